#!/usr/bin/env bash
# Trains the shipped vocal-emotion model (models/vocal-emotion) from the team's speech corpora:
#   bash training/recipes/vocal-emotion.sh [EMODB_DIR] [RAVDESS_DIR]
# (defaults: ../shared/data/emodb and ../shared/data/ravdess-speech). Time-boxed for two CPU cores (about
# 25 minutes): a 3-epoch DARTS search of 8 steps per epoch, then 8 epochs per stream on the first of 5
# leave-speakers-out folds. Drop --search-epochs/--steps-per-epoch/--epochs/--frame-epochs/--run-folds for the
# paper's full schedule (50 epochs everywhere, every fold). Every step is seeded.
set -euo pipefail
cd "$(dirname "$0")/../.."
emodb=${1:-../shared/data/emodb}
ravdess=${2:-../shared/data/ravdess-speech}
cargo build --release -p earmark-training
train=target/release/earmark-train
data=(--emodb "$emodb" --ravdess "$ravdess" --run runs/nas --quiet)
$train nas search "${data[@]}" --search-epochs 3 --steps-per-epoch 8 --batch 16
$train nas train "${data[@]}" --genotype runs/nas/genotype.json --epochs 8 --frame-epochs 8 --fusion-epochs 100 \
  --run-folds 1 --out models/vocal-emotion
