#!/usr/bin/env bash
# Trains the shipped vocal-emotion model (models/vocal-emotion) from the team's three speech corpora:
#   bash training/recipes/vocal-emotion.sh [EMODB_DIR] [RAVDESS_DIR] [SAVEE_DIR]
# (defaults: ../shared/data/emodb, ../shared/data/ravdess-speech, ../shared/data/savee). SEARCH=1 repeats the
# DARTS search (a 5-epoch × 12-step search, about 30 minutes) instead of reusing the cells committed beside the
# model (models/vocal-emotion/genotype.json, from that search on EmoDB + RAVDESS).
#
# One command evaluates and ships: leave-one-corpus-out (3 folds) and leave-speakers-out (5 folds over all three
# corpora), 12 epochs per stream, then the final model on every speaker, shipping its frame stream — as functionals
# (each feature's mean and spread over the take), trained corpus-balanced, each take's speaker estimate formed from
# 3 other takes of its speaker (what a vocal's first minutes give), on every take and one copy of it re-recorded
# in a home booth; test takes are also scored re-recorded in (other) booths: the setting that holds best on held-out
# corpora and speakers heard through a room; about 130 minutes of one core (two processes with the same command
# share the folds). Each finished fold is saved, and --resume picks an interrupted run up
# where it stopped. Then the report's comparisons: leave-one-corpus-out with the earlier preparations (about 20
# minutes each), with every take's speaker estimate from all its takes (the recurrent stream shipped before, and
# the functionals stream), the augmentation arm (about 40 minutes), and under the 3-other-takes estimate the
# recurrent stream (corpora and speakers), the functionals stream unbalanced, the corpus adversary and the corpus as
# an auxiliary target (about 25 minutes each leaving corpora out, 40–50 leaving speakers out); last, the seed
# spread: two more seeds, five trainings averaged at three seeds, two draws of the speaker estimates' takes.
# Every step is seeded.
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
honest=(--preparation speaker-level --speaker-takes 3)
$train nas train "${corpora[@]}" --split corpus,speakers "${honest[@]}" --cells functionals --balance corpus-class \
  --augment 1 --augment-rooms booth --test-rooms booth --run runs/nas-ship-augbooth --genotype "$genotype" \
  "${schedule[@]}" --resume --out models/vocal-emotion --ship frames
# The stream shipped until 2026-12-01 (the same without the booth copies), both splits, then leaving speakers out
# with the test takes also in booths (the spectrogram network cut to one epoch: the frame figures are the full
# schedule's).
$train nas train "${corpora[@]}" --split corpus,speakers "${honest[@]}" --cells functionals --balance corpus-class \
  --run runs/nas-cross --genotype "$genotype" "${schedule[@]}" --resume
$train nas train "${corpora[@]}" --split speakers "${honest[@]}" --cells functionals --balance corpus-class \
  --test-rooms booth --run runs/nas-booth-aug0-speakers --genotype "$genotype" --epochs 1 --frame-epochs 12 \
  --fusion-epochs 100 --resume
# Comparisons with every take's speaker estimate formed from all its takes (the take itself included).
for preparation in raw speaker; do
  $train nas train "${corpora[@]}" --split corpus --preparation "$preparation" --run "runs/nas-loco-$preparation" \
    --genotype "$genotype" "${schedule[@]}" --resume
done
$train nas train "${corpora[@]}" --split corpus,speakers --preparation speaker-level --run runs/nas-recurrent \
  --genotype "$genotype" "${schedule[@]}" --resume --out runs/nas-recurrent/model --ship frames
$train nas train "${corpora[@]}" --split corpus --preparation speaker-level --augment 1 --run runs/nas-loco-augment \
  --genotype "$genotype" "${schedule[@]}" --resume
$train nas train "${corpora[@]}" --split corpus,speakers --preparation speaker-level --cells functionals \
  --run runs/nas-functionals --genotype "$genotype" "${schedule[@]}" --resume --out runs/nas-functionals/model \
  --ship frames
# Comparisons under the 3-other-takes estimate: the recurrent stream, the functionals stream unbalanced, the
# re-recorded takes, and a corpus adversary on the functionals stream.
$train nas train "${corpora[@]}" --split corpus,speakers "${honest[@]}" --run runs/nas-recurrent-takes3 \
  --genotype "$genotype" "${schedule[@]}" --resume
$train nas train "${corpora[@]}" --split corpus,speakers "${honest[@]}" --cells functionals \
  --run runs/nas-functionals-takes3 --genotype "$genotype" "${schedule[@]}" --resume
$train nas train "${corpora[@]}" --split corpus "${honest[@]}" --augment 1 --run runs/nas-augment-takes3 \
  --genotype "$genotype" "${schedule[@]}" --resume
for strength in 0.5 0.1; do
  $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --corpus-adversary "$strength" \
    --run "runs/nas-adversary-$strength-takes3" --genotype "$genotype" "${schedule[@]}" --resume
done
# The corpus as an auxiliary target instead (the same corpus classifier, its gradient passed on), on the shipped
# settings (about 25 minutes).
$train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
  --corpus-auxiliary 0.3 --run runs/nas-auxiliary-0.3-takes3 --genotype "$genotype" "${schedule[@]}" --resume
# Two more arms on the shipped settings, leaving corpora out: each feature's rate of change beside its mean and
# spread, and one 1.5–4 s excerpt of every training take (about 25 and 40 minutes).
$train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells dynamics --balance corpus-class \
  --run runs/nas-dynamics-takes3 --genotype "$genotype" "${schedule[@]}" --resume
$train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --excerpts 1 --balance corpus-class \
  --run runs/nas-excerpts-takes3 --genotype "$genotype" "${schedule[@]}" --resume
# More classes on the shipped settings: the six emotions every corpus shares (--classes shared), and all nine any
# corpus labels (--classes all), leaving corpora and speakers out (about 70 and 90 minutes).
for set in shared all; do
  $train nas train "${corpora[@]}" --split corpus,speakers "${honest[@]}" --cells functionals --balance corpus-class \
    --classes "$set" --run "runs/nas-classes-$set-takes3" --genotype "$genotype" "${schedule[@]}" --resume
done
# How far the seed moves it: the shipped settings leaving corpora out at seeds 2 and 3 (about 20 minutes each).
for seed in 2 3; do
  $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
    --seed "$seed" --run "runs/nas-seed$seed" --genotype "$genotype" "${schedule[@]}" --resume
done
# Five frame streams trained at successive seeds and their probabilities averaged (--frame-members 5), at base
# seeds 1 (corpora and speakers out, and its final model; about 65 minutes), 2 and 3 (corpora out, 20 minutes each).
$train nas train "${corpora[@]}" --split corpus,speakers "${honest[@]}" --cells functionals --balance corpus-class \
  --frame-members 5 --run runs/nas-members5 --genotype "$genotype" "${schedule[@]}" --resume \
  --out runs/nas-members5/model --ship frames
for seed in 2 3; do
  $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
    --frame-members 5 --seed "$seed" --run "runs/nas-members5-seed$seed" --genotype "$genotype" "${schedule[@]}" \
    --resume
done
# Where the seed spread lies: the averaged stream at seed 1 with only the draw of each speaker estimate's other
# takes changed (--speaker-draw-seed 2 and 3; about 20 minutes each).
for draw in 2 3; do
  $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
    --frame-members 5 --speaker-draw-seed "$draw" --run "runs/nas-members5-draw$draw" --genotype "$genotype" \
    "${schedule[@]}" --resume
done
# Every training take under 2 more draws of its estimate's takes as well (--speaker-draws 2), at seeds 1-5 leaving
# corpora out and at seed 1 leaving speakers out, and the shipped settings the same way (seeds 1, 4, 5; seeds 2 and 3
# ran above) for the comparison. The
# spectrogram network is cut to one epoch: the frame stream trains apart from it, so its figures are the full
# schedule's (the shipped settings run this way give the shipped frame figures exactly); 2-7 minutes a run.
for draws in 2 0; do
  for seed in 1 2 3 4 5; do
    split=corpus
    [[ $seed == 1 ]] && split=corpus,speakers
    [[ $draws == 0 && ( $seed == 2 || $seed == 3 ) ]] && continue
    $train nas train "${corpora[@]}" --split "$split" "${honest[@]}" --cells functionals --balance corpus-class \
      --speaker-draws "$draws" --seed "$seed" --run "runs/nas-draws$draws-seed$seed" --genotype "$genotype" \
      --epochs 1 --frame-epochs 12 --fusion-epochs 100 --resume
  done
done
# Five more draws instead of two, leaving corpora out at seeds 1-3 (same schedule; 7-10 minutes a run).
for seed in 1 2 3; do
  $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
    --speaker-draws 5 --seed "$seed" --run "runs/nas-draws5-seed$seed" --genotype "$genotype" \
    --epochs 1 --frame-epochs 12 --fusion-epochs 100 --resume
done
# A sixth seed of the shipped settings, the same way (2-3 minutes).
$train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
  --seed 6 --run runs/nas-draws0-seed6 --genotype "$genotype" --epochs 1 --frame-epochs 12 --fusion-epochs 100 --resume
# Every test take also scored re-recorded through a room of its speaker's own (--test-rooms wide, then booth), the
# shipped settings and with every training take re-recorded once (--augment 1), seeds 1-5, same schedule (2-5
# minutes a run).
for rooms in wide booth; do
  for augment in 0 1; do
    for seed in 1 2 3 4 5; do
      name=rooms
      [[ $rooms == booth ]] && name=booth
      $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
        --augment "$augment" --test-rooms "$rooms" --seed "$seed" --run "runs/nas-$name-aug$augment-seed$seed" \
        --genotype "$genotype" --epochs 1 --frame-epochs 12 --fusion-epochs 100 --resume
    done
  done
done
# Every training take re-recorded once in a booth instead (--augment-rooms booth), test takes also scored in
# (other) booths, then in wide rooms, seeds 1-5, same schedule (about 5-8 minutes a run).
for rooms in booth wide; do
  for seed in 1 2 3 4 5; do
    name=augbooth
    [[ $rooms == wide ]] && name=augbooth-wide
    $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
      --augment 1 --augment-rooms booth --test-rooms "$rooms" --seed "$seed" --run "runs/nas-$name-seed$seed" \
      --genotype "$genotype" --epochs 1 --frame-epochs 12 --fusion-epochs 100 --resume
  done
done
# Two booth copies of every training take, seeds 1-3 (about 10 minutes a run).
for seed in 1 2 3; do
  $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
    --augment 2 --augment-rooms booth --test-rooms booth --seed "$seed" --run "runs/nas-aug2booth-seed$seed" \
    --genotype "$genotype" --epochs 1 --frame-epochs 12 --fusion-epochs 100 --resume
done
# The bands read as their first 20 (seeds 1, 2) or 40 (seed 1) cepstral coefficients (--frame-cepstra), same
# schedule (about 3 minutes a run).
for run in 20:1 20:2 40:1; do
  k=${run%:*} seed=${run#*:}
  $train nas train "${corpora[@]}" --split corpus "${honest[@]}" --cells functionals --balance corpus-class \
    --frame-cepstra "$k" --seed "$seed" --run "runs/nas-cep$k-seed$seed" --genotype "$genotype" \
    --epochs 1 --frame-epochs 12 --fusion-epochs 100 --resume
done
