#!/usr/bin/env bash
# Trains the shipped instrument model (models/instruments) and runs the time-boxed method study:
#   bash training/recipes/instruments.sh [PHILHARMONIA_DIR]
# PHILHARMONIA_DIR (default ../shared/data/philharmonia-subset) supplies real cello, viola, violin, flute,
# saxophone, trumpet and guitar notes mixed with General MIDI renders; without it the mixtures are GM-only.
# About 40 minutes on two CPU cores. Every step is seeded; re-running resumes finished folds (--resume).
set -euo pipefail
cd "$(dirname "$0")/../.."
samples="${1:-../shared/data/philharmonia-subset}"
cargo xtask soundfont
cargo build --release -p earmark-training
train=target/release/earmark-train
data=target/instrument-data
with_samples=()
if [ -d "$samples" ]; then with_samples=(--samples "$samples"); fi
# 10 s mixtures of 29 instruments in 10 families at 16 kHz, 10 % of tags left unannotated (masked, as OpenMIC).
$train synth --kind instruments --count 200 --seed 505 --seconds 10 --sample-rate 16000 "${with_samples[@]}" \
  --unannotated-fraction 0.1 --out "$data/study"
$train synth --kind instruments --count 360 --seed 404 --seconds 10 --sample-rate 16000 "${with_samples[@]}" \
  --unannotated-fraction 0.1 --out "$data/mixtures"
# The paper's Table 1, time-boxed: 200 mixtures, the first of 5 folds, λ ∈ {0.70, 0.80, 0.90}, 6 epochs per run.
$train study instruments --data "$data/study" --run runs/instrument-study --folds 5 --run-folds 1 --epochs 6 \
  --lambdas 0.70,0.80,0.90 --seed 1 --resume --quiet
# The shipped model: ResAtt (its attention map tells the plugin why a family lit up), λ 0.8, 360 mixtures.
$train instruments export --data "$data/mixtures" --run runs/instruments --method resatt --lambda 0.8 \
  --epochs 12 --folds 5 --run-folds 1 --seed 1 --resume --quiet --study runs/instrument-study/STUDY.md \
  --out models/instruments \
  --license "Same as Earmark (GPL-3.0-or-later). Trained on mixtures of TimGM6mb renders and Philharmonia Orchestra samples (free to use, not to redistribute as-is; the weights do not contain the audio)." \
  --describe-data "earmark-train synth --kind instruments --count 360 --seed 404 --seconds 10 --sample-rate 16000 --samples philharmonia-subset --unannotated-fraction 0.1 (TimGM6mb.sf2)"
