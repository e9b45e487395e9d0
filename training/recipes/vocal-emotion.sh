#!/usr/bin/env bash
# Trains the shipped vocal-emotion model (models/vocal-emotion) from the team's speech corpora:
#   bash training/recipes/vocal-emotion.sh [EMODB_DIR] [RAVDESS_DIR]
# (defaults: ../shared/data/emodb and ../shared/data/ravdess-speech). Time-boxed for two CPU cores (about
# 90 minutes): a 5-epoch DARTS search of 12 steps per epoch, then 12 epochs per stream on the first 3 of 5
# leave-speakers-out folds (fold 1's models are exported), and the all-classes comparison (2 folds, the cells of
# a 3 × 8-step search). Drop --search-epochs/--steps-per-epoch/--epochs/--frame-epochs/--run-folds for the
# paper's full schedule (50 epochs everywhere, every fold). Every step is seeded.
set -euo pipefail
cd "$(dirname "$0")/../.."
emodb=${1:-../shared/data/emodb}
ravdess=${2:-../shared/data/ravdess-speech}
cargo build --release -p earmark-training
train=target/release/earmark-train
corpora=(--emodb "$emodb" --ravdess "$ravdess" --quiet)
$train nas search "${corpora[@]}" --run runs/nas --search-epochs 5 --steps-per-epoch 12 --batch 16
$train nas train "${corpora[@]}" --run runs/nas --genotype runs/nas/genotype.json --epochs 12 --frame-epochs 12 \
  --fusion-epochs 100 --run-folds 3 --out models/vocal-emotion
$train nas search "${corpora[@]}" --run runs/nas-smoke --search-epochs 3 --steps-per-epoch 8 --batch 16
$train nas train "${corpora[@]}" --run runs/nas-all --classes all --genotype runs/nas-smoke/genotype.json \
  --epochs 10 --frame-epochs 10 --fusion-epochs 100 --run-folds 2
