#!/usr/bin/env bash
# Trains the shipped genre model (models/genre: 12 AllMusic genres as independent tags, on the 4Q set's real
# clips) with its artist-disjoint cross-validation and report, and runs the time-boxed study of the genre papers'
# architectures on the clips with one genre:
#   bash training/recipes/genre.sh [4Q_DATASET_FOLDER] [SHARED_DATA_FOLDER]
# SHARED_DATA_FOLDER (default ../shared/data) holds emodb/, ravdess-speech/ and savee/: their speech joins every
# fold's training part as clips with no genre, so that speech does not read as a genre.
# About 4½ hours of one CPU core for the shipped model and the papers' study, 2¼ more for the report's comparison
# arms at the end. Every step resumes where it stopped (re-run the script).
set -euo pipefail
cd "$(dirname "$0")/../.."
source training/recipes/fetch-4q.sh
root=$(fourq_root "${1:-}")
shared="${2:-../shared/data}"
cargo build --release -p earmark-training
train=target/release/earmark-train
data=target/genre-data
$train four-q --root "$root" --target genre --out "$data/genre"
$train four-q --root "$root" --target single-genre --out "$data/single-genre"
# Speech as training-only negatives (a manifest with no tags; group = corpus and speaker).
source training/recipes/speech-list.sh
neg="$data/speech-negatives"
speech_manifest "$shared" "$neg/manifest.csv"
cp "$data/genre/tags.txt" "$data/genre/hierarchy.json" "$neg/"
# The papers' networks (single-label, on the clips with exactly one genre), time-boxed: the subgenre paper's
# Tables 1–4 and Pons & Serra's O-net/P-net table on the first of 5 artist-disjoint folds, 6 epochs per run.
$train study genre --data "$data/single-genre" --run runs/genre-study --folds 5 --run-folds 1 --epochs 6 \
  --batch 16 --patience 6 --temporal 1+0,0+1,1+1 --hops 250,80 --seed 1 --resume --quiet
# The shipped model: a flat tagger over the genre tags with the speech negatives, 5 s windows (500 frames, 2.5 s
# apart: better than 2.56 s on every fold, see the report), all 5 artist-disjoint folds, then the final model
# (about 30 minutes of one core per fold and 40 for the final model).
tagger=(--task genre --data "$data/genre/manifest.csv" --folds 5 --method flat --epochs 25 --patience 6 --frames 500
  --train-hop 250 --eval-hop 250 --augment-db 6 --seed 1 --resume --quiet)
$train instruments export "${tagger[@]}" --run runs/genre-500 --run-folds 5 --train-extra "$neg/manifest.csv" \
  --study runs/genre-study/STUDY.md --out models/genre \
  --license "research use only: trained on the 4Q set's clips (AllMusic previews; Panda, Malheiro & Paiva 2018), which are for research" \
  --describe-data "4Q audio emotion set (Panda, Malheiro & Paiva 2018): 900 real 30 s clips (AllMusic previews, 22–32 kHz mp3), 664 artists; genres from its AllMusic metadata (GenresStr), 12 kept"
# The report's "three more routes" (none ships), each one change to the shipped settings: a tagger twice as wide
# and mixup as sound on fold 1 (about 35 and 17 minutes of one core), and 600 generated noise clips as further
# negatives on all 5 folds (about 80 minutes).
$train instruments evaluate "${tagger[@]}" --run runs/genre-w16 --run-folds 1 --train-extra "$neg/manifest.csv" --width 16
$train instruments evaluate "${tagger[@]}" --run runs/genre-mixup --run-folds 1 --train-extra "$neg/manifest.csv" --mixup 0.4
$train synth --kind noise --count 600 --seed 1703 --seconds 10 --sample-rate 16000 --out "$data/noise"
python3 training/recipes/mixes.py negatives "$data/genre" "$data/negatives" "$neg/manifest.csv" "$data/noise/manifest.csv"
$train instruments evaluate "${tagger[@]}" --run runs/genre-noise --run-folds 5 --train-extra "$data/negatives/manifest.csv"
