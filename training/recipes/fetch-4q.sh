#!/usr/bin/env bash
# Brings the 4Q audio emotion dataset (Panda, Malheiro & Paiva 2018: 900 clips, Q1–Q4, AllMusic genres) into
# target/data/4q/Dataset, unless it is there already. Sourced by the emotion and genre recipes; run alone with:
#   bash training/recipes/fetch-4q.sh [EXISTING_COPY]
# EXISTING_COPY: a folder holding panda_dataset_taffc_metadata.csv and Q1 … Q4 (the official archive's
# `Dataset/`, from http://mir.dei.uc.pt/downloads.html), used as is. Otherwise the copy in the public repository
# github.com/Famelgas/MULT_TP2 (its `Dataset/` folder only) is fetched with git.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
fourq_root() {
  local given="${1:-}"
  if [ -n "$given" ]; then
    [ -f "$given/panda_dataset_taffc_metadata.csv" ] || { echo "no 4Q metadata in $given" >&2; return 1; }
    echo "$given"
    return
  fi
  local dest=target/data/4q
  if [ ! -f "$dest/Dataset/panda_dataset_taffc_metadata.csv" ]; then
    rm -rf "$dest.partial"
    git clone --depth 1 --filter=blob:none --sparse https://github.com/Famelgas/MULT_TP2 "$dest.partial" >&2
    git -C "$dest.partial" sparse-checkout set Dataset >&2
    mkdir -p "$dest"
    mv "$dest.partial/Dataset" "$dest/Dataset"
    rm -rf "$dest.partial"
  fi
  echo "$dest/Dataset"
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then fourq_root "${1:-}"; fi
