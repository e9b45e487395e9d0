#!/usr/bin/env bash
# Trains the shipped emotion model (models/emotion: P(high valence) and P(high arousal) on real music) with its
# 5-fold artist-disjoint cross-validation on the 4Q set, the cross-set check on rendered EMOPIA piano, and the
# report:
#   bash training/recipes/emotion.sh [4Q_DATASET_FOLDER] [EMOPIA_MIDI_FOLDER]
# 4Q_DATASET_FOLDER: see fetch-4q.sh (fetched when not given). EMOPIA_MIDI_FOLDER: EMOPIA's .mid clips
# (default ../shared/data/emopia-midi). About 3 hours on two CPU cores (each fold ~25 min on one core, the
# renders ~15 min). Every step resumes where it stopped (re-run the script).
set -euo pipefail
cd "$(dirname "$0")/../.."
source training/recipes/fetch-4q.sh
root=$(fourq_root "${1:-}")
emopia_midi="${2:-../shared/data/emopia-midi}"
[ -d "$emopia_midi" ] || { echo "no EMOPIA MIDI folder at $emopia_midi (give it as the second argument)" >&2; exit 1; }
# Real SF2 pianos for the renders (Debian packages; TimGM6mb comes from cargo xtask soundfont).
fonts=(/usr/share/sounds/sf2/MuseScore_General_Full.sf2 /usr/share/sounds/sf2/FluidR3_GM.sf2)
for font in "${fonts[@]}"; do
  if [ ! -f "$font" ]; then
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get install -y --no-install-recommends musescore-general-soundfont-lossless fluid-soundfont-gm
    break
  fi
done
cargo xtask soundfont
cargo build --release -p earmark-training
train=target/release/earmark-train
data=target/emotion-data
$train four-q --root "$root" --target emotion --out "$data/4q"
# Two renders per EMOPIA clip, each with its own piano (3 fonts x GM programs 0-2), touch, room, tilt and level.
$train render-emopia --midi "$emopia_midi" --out "$data/emopia" --variants 2 --seed 1 \
  --soundfont "${fonts[0]}" --soundfont "${fonts[1]}" --soundfont target/earmark-soundfont/TimGM6mb.sf2
# The shipped model: the flat tagger over 500-frame (5 s) windows, 5 artist-disjoint folds, then the final
# model on every artist; the final model is then scored on every EMOPIA render (music it never heard the like of).
$train instruments export --task emotion --data "$data/4q/manifest.csv" --run runs/emotion-4q --folds 5 \
  --method flat --epochs 30 --patience 8 --frames 500 --train-hop 250 --eval-hop 250 --augment-db 6 --seed 1 \
  --resume --quiet --cross-data "$data/emopia/manifest.csv" --out models/emotion \
  --license "research use only: trained on the 4Q set's clips (AllMusic previews; Panda, Malheiro & Paiva 2018), which are for research" \
  --describe-data "4Q audio emotion set (Panda, Malheiro & Paiva 2018): 900 real 30 s clips (AllMusic previews, 22–32 kHz mp3), 664 artists; valence and arousal from the clip's Russell quadrant (Q1 +V+A, Q2 −V+A, Q3 −V−A, Q4 +V−A)"
