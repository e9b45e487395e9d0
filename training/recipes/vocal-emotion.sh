#!/usr/bin/env bash
# Trains the shipped vocal-emotion model (models/vocal-emotion) from the team's three speech corpora:
#   bash training/recipes/vocal-emotion.sh [EMODB_DIR] [RAVDESS_DIR] [SAVEE_DIR]
# (defaults: ../shared/data/emodb, ../shared/data/ravdess-speech, ../shared/data/savee). SEARCH=1 repeats the
# DARTS search (a 5-epoch × 12-step search, about 30 minutes) instead of reusing the cells committed beside the
# model (models/vocal-emotion/genotype.json, from that search on EmoDB + RAVDESS).
#
# One command evaluates and ships: leave-one-corpus-out (3 folds) and leave-speakers-out (5 folds over all three
# corpora), 12 epochs per stream, then the final model on every speaker, shipping its frame stream (the stream
# that carries best to the held-out corpora; the report has all three); about 70 minutes of one core. Each
# finished fold is saved, and --resume picks an interrupted run up where it stopped. Then, for the report's
# comparison of window preparations, leave-one-corpus-out with the earlier preparations (about 20 minutes
# each), the augmentation arm (every training take re-recorded once; about 40 minutes) and the functionals frame
# stream, leaving corpora and speakers out with its own final model in runs/nas-functionals/model (not shipped: the
# report compares it; about 45 minutes). Every step is seeded.
set -euo pipefail
cd "$(dirname "$0")/../.."
emodb=${1:-../shared/data/emodb}
ravdess=${2:-../shared/data/ravdess-speech}
savee=${3:-../shared/data/savee}
cargo build --release -p earmark-training
train=target/release/earmark-train
corpora=(--emodb "$emodb" --ravdess "$ravdess" --savee "$savee" --quiet)
schedule=(--epochs 12 --frame-epochs 12 --fusion-epochs 100)
genotype=models/vocal-emotion/genotype.json
if [[ ${SEARCH:-0} == 1 || ! -f $genotype ]]; then
  $train nas search --emodb "$emodb" --ravdess "$ravdess" --quiet --run runs/nas --search-epochs 5 \
    --steps-per-epoch 12 --batch 16
  genotype=runs/nas/genotype.json
fi
$train nas train "${corpora[@]}" --split corpus,speakers --preparation speaker-level --run runs/nas-cross \
  --genotype "$genotype" "${schedule[@]}" --resume --out models/vocal-emotion --ship frames
for preparation in raw speaker; do
  $train nas train "${corpora[@]}" --split corpus --preparation "$preparation" --run "runs/nas-loco-$preparation" \
    --genotype "$genotype" "${schedule[@]}" --resume
done
$train nas train "${corpora[@]}" --split corpus --preparation speaker-level --augment 1 --run runs/nas-loco-augment \
  --genotype "$genotype" "${schedule[@]}" --resume
$train nas train "${corpora[@]}" --split corpus,speakers --preparation speaker-level --cells functionals \
  --run runs/nas-functionals --genotype "$genotype" "${schedule[@]}" --resume --out runs/nas-functionals/model \
  --ship frames
