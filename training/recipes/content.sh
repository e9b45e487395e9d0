#!/usr/bin/env bash
# Trains the shipped content model (models/content: P(music), P(speech); both low = silence or noise), which
# labels what the plugin hears and gates the genre and vocal-emotion readouts:
#   bash training/recipes/content.sh [4Q_DATASET_FOLDER] [SHARED_DATA_FOLDER]
# Runs after emotion.sh (its EMOPIA renders) and instruments.sh (its training mixtures and speech list).
# About 40 minutes on two CPU cores; resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
source training/recipes/fetch-4q.sh
root=$(fourq_root "${1:-}")
shared="${2:-../shared/data}"
emopia=target/emotion-data/emopia/manifest.csv
mixtures=target/instrument-data/train
speech=target/instrument-data/speech.csv
for need in "$emopia" "$mixtures/manifest.csv" "$speech"; do
  [ -f "$need" ] || { echo "missing $need: run training/recipes/emotion.sh and instruments.sh first" >&2; exit 1; }
done
cargo build --release -p earmark-training
train=target/release/earmark-train
data=target/content-data
$train four-q --root "$root" --target genre --out "$data/4q"
$train synth --kind noise --count 600 --seed 1703 --seconds 10 --sample-rate 16000 --out "$data/noise"
python3 training/recipes/mixes.py content "$data/4q/manifest.csv" "$emopia" "$mixtures" "$speech" "$data/noise" "$data/set"
$train instruments export --task content --data "$data/set/manifest.csv" --run runs/content --resume --folds 5 \
  --run-folds 1 --method flat --epochs 8 --patience 4 --frames 256 --train-hop 256 --eval-hop 256 --augment-db 6 \
  --seed 1 --quiet --out models/content \
  --license "Research use only: trained on the 4Q clips (AllMusic previews), RAVDESS (CC BY-NC-SA 4.0), SAVEE and EmoDB (research), EMOPIA renders (CC BY-NC-SA 4.0); the weights inherit the non-commercial terms." \
  --describe-data "music: the 4Q set's 900 real clips (Panda et al. 2018; group = artist), 300 rendered EMOPIA piano performances (group = song), 600 generated instrument mixtures (earmark-train synth --kind instruments, training recordings; speech unannotated where a voice is mixed in); speech: 2,455 utterances of EmoDB, RAVDESS speech and SAVEE (group = speaker); neither: 600 generated noise clips (earmark-train synth --kind noise: white/pink/brown noise, hum, clicks, bird-like chirps, whale-like moans, -58 to -18 dBFS)"
