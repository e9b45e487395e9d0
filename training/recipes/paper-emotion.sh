#!/usr/bin/env bash
# The segment-emotion paper's pipeline (masked CNN autoencoder pre-trained on unlabelled segments, frozen
# encoder, BiLSTM heads for high/low valence and arousal) on generated music: Earmark's first emotion model and
# now a study arm beside the shipped 4Q tagger (training/recipes/emotion.sh). From nothing but this repository:
#   bash training/recipes/paper-emotion.sh
# Writes runs/paper-emotion/model (not models/). About 45 minutes on two CPU cores. Every step is seeded; each resumes if interrupted (re-run the script).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo xtask soundfont
cargo build --release -p earmark-training
train=target/release/earmark-train
data=target/emotion-data
# 60 unlabelled 30 s clips for the autoencoder; 120 labelled compositions rendered twice each (a group = both renders).
$train synth --kind emotion --count 60 --seed 101 --seconds 30 --out "$data/pool"
$train synth --kind emotion --count 120 --variants 2 --seed 202 --seconds 30 --out "$data/labelled"
$train emotion pretrain --pool "$data/pool" --run runs/paper-emotion --epochs 40 --seed 1 --resume
$train emotion evaluate --data "$data/labelled" --run runs/paper-emotion --hidden 32 --folds 10 \
  --baseline --baseline-folds 3 --baseline-epochs 4 --seed 1 --resume
$train emotion export --data "$data/labelled" --run runs/paper-emotion --hidden 32 --seed 1 --out runs/paper-emotion/model \
  --describe-data "earmark-train synth --kind emotion: pool of 60 clips (seed 101) for the autoencoder; 240 labelled clips = 120 compositions x 2 renders (seed 202), 30 s each, TimGM6mb.sf2"
