#!/usr/bin/env bash
# Trains the shipped emotion model (models/emotion: P(high valence) and P(high arousal) on real music) on the 4Q
# set's clips and piano renders of most EMOPIA songs, with its 5-fold artist-disjoint cross-validation on 4Q, its
# score on EMOPIA songs held out of training, and the report; then the study arms beside it (the same tagger on 4Q
# alone, the segment-emotion paper's autoencoder + BiLSTM, and the reverse cross-set direction):
#   bash training/recipes/emotion.sh [4Q_DATASET_FOLDER] [EMOPIA_MIDI_FOLDER]
# 4Q_DATASET_FOLDER: see fetch-4q.sh (fetched when not given). EMOPIA_MIDI_FOLDER: EMOPIA's .mid clips
# (default ../shared/data/emopia-midi). The shipped model: about 3½ hours of one CPU core (each fold and the final
# model about 30–40 minutes with the renders, the renders about 15 minutes); the study arms about as long again.
# Every step resumes where it stopped, to the last finished epoch (re-run the script).
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
# EMOPIA split by song: about a fifth of the songs (75 of 387) held out of every training, scored at the end.
$train split-groups --data "$data/emopia/manifest.csv" --parts 5 --seed 1 --out "$data/emopia-split"
license="research use only: trained on the 4Q set's clips (AllMusic previews; Panda, Malheiro & Paiva 2018), which are for research"
describe="4Q audio emotion set (Panda, Malheiro & Paiva 2018): 900 real 30 s clips (AllMusic previews, 22–32 kHz mp3), 664 artists; valence and arousal from the clip's Russell quadrant (Q1 +V+A, Q2 −V+A, Q3 −V−A, Q4 +V−A)"
# The shipped model: the flat tagger over 500-frame (5 s) windows; the kept songs' renders join every fold's
# training part as training-only extras, cut 10 s apart (so they cost about what 4Q's own windows cost); 5
# artist-disjoint folds scored on 4Q only, then the final model on every artist, scored on the held-out songs.
$train instruments export --task emotion --data "$data/4q/manifest.csv" --run runs/emotion-emopia --folds 5 \
  --method flat --epochs 30 --patience 8 --frames 500 --train-hop 250 --eval-hop 250 --augment-db 6 --seed 1 \
  --train-extra "$data/emopia-split/kept/manifest.csv" --extra-hop 1000 \
  --cross-data "$data/emopia-split/held-out/manifest.csv" --resume --quiet --out models/emotion \
  --license "$license, and on piano renders of EMOPIA (CC BY-NC-SA 4.0)" \
  --describe-data "$describe; plus 1,724 piano renders of 312 EMOPIA songs (training only; 75 other songs held out)"
# Study arm: the same tagger on 4Q alone (the model shipped before the renders), same folds and held-out songs.
$train instruments export --task emotion --data "$data/4q/manifest.csv" --run runs/emotion-4q --folds 5 \
  --method flat --epochs 30 --patience 8 --frames 500 --train-hop 250 --eval-hop 250 --augment-db 6 --seed 1 \
  --cross-data "$data/emopia-split/held-out/manifest.csv" --resume --quiet --out runs/emotion-4q/model \
  --license "$license" --describe-data "$describe"
# Study arm: the segment-emotion paper's pipeline at the size the data supports — the masked CNN autoencoder
# pre-trained on 4Q's 3 s segments (4 epochs), then 5-fold group cross-validation of the BiLSTM heads (64 units)
# on the frozen encoder.
$train four-q --root "$root" --target valence-arousal --out "$data/4q-va"
$train emotion pretrain --pool "$data/4q-va/manifest.csv" --run runs/emotion-paper --epochs 4 --seed 1 --resume --quiet
$train emotion evaluate --data "$data/4q-va/manifest.csv" --run runs/emotion-paper --hidden 64 --folds 5 --seed 1 \
  --resume --quiet
# Study arm, the reverse cross-set direction: the tagger trained on every EMOPIA render (song-disjoint fold 1 of 5
# for its own figure), scored on all of 4Q.
$train instruments export --task emotion --data "$data/emopia/manifest.csv" --run runs/emotion-reverse --folds 5 \
  --run-folds 1 --method flat --epochs 30 --patience 8 --frames 500 --train-hop 1000 --eval-hop 250 \
  --augment-db 6 --seed 1 --cross-data "$data/4q/manifest.csv" --resume --quiet --out runs/emotion-reverse/model \
  --license "study only (not shipped): trained on piano renders of EMOPIA (CC BY-NC-SA 4.0)" \
  --describe-data "EMOPIA (Hung et al. 2021): 1,078 piano clips' MIDI rendered twice each with SF2 pianos (2,156 renders, 387 songs; group = song); scored on the 4Q set (900 real clips)"
