#!/usr/bin/env bash
# Trains the shipped style model (models/style: the eight Ballroom dances and five broad styles, a tempo and
# metre readout beside the real-genre model) and runs the (time-boxed) genre papers' study, from nothing but
# this repository:
#   bash training/recipes/style.sh
# About 25 minutes on two CPU cores. Every step is seeded; re-running resumes finished folds (--resume).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo xtask soundfont
cargo build --release -p earmark-training
train=target/release/earmark-train
data=target/genre-data/styles
# 390 compositions (13 styles: 8 Ballroom dances at WDSF tempi + 5 broad styles), 30 s each, at 44.1 kHz.
$train synth --kind style --count 390 --seed 303 --seconds 30 --sample-rate 44100 --out "$data"
# The papers' grids, time-boxed: 12 compositions per style, the first of 5 folds (60/20/20 %), 6 epochs per run.
# (A run folder of its own: genre.sh studies other clips, and a run resumes only on the data it was made from.)
$train study genre --data "$data" --run runs/style-study --per-class 12 --folds 5 --run-folds 1 --epochs 6 \
  --batch 16 --patience 6 --temporal 1+0,0+1,1+1 --hops 250,80 --seed 1 --resume --quiet
# The shipped model: O-net + P-net, Adam, 20 compositions per style; the first of 5 folds for the report, then
# the final model on every group but one validation chunk.
$train genre export --data "$data" --run runs/style --per-class 20 --arch temporal --onet 1 --pnet 1 \
  --optimizer adam --epochs 6 --batch 16 --patience 6 --folds 5 --run-folds 1 --seed 1 --resume --quiet \
  --study runs/style-study/STUDY.md --task style --out models/style \
  --describe-data "earmark-train synth --kind style --count 390 --seed 303 --seconds 30 --sample-rate 44100 (TimGM6mb.sf2), 20 compositions per style kept"
