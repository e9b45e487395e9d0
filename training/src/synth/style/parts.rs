//! The parts of a style clip — lead melody, comping (with pad and timpani), bass and drums — each written into
//! the score from the clip's shared plan (key, progression, timing, level).
//!
//! Each part draws its choices from the composition and production generators in a fixed order; the parts are
//! written in the order lead, comping, bass, drums, so a clip's random draws (and so the style set a seed makes)
//! stay what they were when these were one function (`plans_are_unchanged_golden` checks it).

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::Style;
use super::spec::{Bass, Comp, Hit, Spec};
use crate::synth::gm::percussion::{CLOSED_HAT, CRASH, SNARE};
use crate::synth::music::{self, DRUMS, Key, MelodyShape, Score, Timing, human_velocity};

/// What every part of a clip shares.
#[derive(Clone, Copy)]
pub(super) struct Part<'a> {
    /// The style's rules.
    pub spec: &'a Spec,
    /// Key and mode.
    pub key: Key,
    /// Chord roots (scale degrees), one per bar, repeating.
    pub chords: &'a [i32],
    /// Beats to seconds, swing and timing jitter.
    pub timing: &'a Timing,
    /// Bars in the clip.
    pub bars: usize,
    /// Beats per bar.
    pub beats_per_bar: usize,
    /// Mean velocity.
    pub velocity: f64,
    /// Velocity spread.
    pub spread: f64,
}

impl Part<'_> {
    /// The lead melody on channel 0.
    pub fn lead(
        &self,
        score: &mut Score,
        composition: &mut ChaCha8Rng,
        production: &mut ChaCha8Rng,
        lead_program: u8,
        style: Style,
    ) {
        let Part { spec, key, chords, timing, bars, beats_per_bar, velocity, spread } = *self;
        let lead_range = crate::synth::gm::tag_for_program(lead_program)
            .and_then(crate::synth::gm::instrument)
            .map_or((60, 84), |i| i.range);
        let centre = composition.random_range(64..76).clamp(lead_range.0 + 6, lead_range.1 - 6);
        let shape = MelodyShape {
            low: centre - 7,
            high: centre + 9,
            grid: spec.lead_grid,
            onset: spec.lead_onset,
            chromatic: 0.03,
        };
        let legato = if style == Style::Tango { 0.55 } else { 0.9 };
        for (beat, len, k) in music::melody(composition, key, chords, bars, beats_per_bar, shape) {
            let start = timing.human(production, beat);
            score.push(0, start, timing.length(len) * legato, k, human_velocity(production, velocity, spread));
        }
    }

    /// Chords on channel 1, the pad on 3 and timpani on 4.
    pub fn comping(
        &self,
        score: &mut Score,
        composition: &mut ChaCha8Rng,
        production: &mut ChaCha8Rng,
        comp_rhythm: &[(f64, f64)],
        seventh: bool,
        pad: bool,
    ) {
        let Part { spec, key, chords, timing, bars, beats_per_bar, velocity, spread } = *self;
        let bpb = beats_per_bar as f64;
        let comp_base = composition.random_range(52..62);
        for bar in 0..bars {
            let root = chords[bar % chords.len()];
            let bar_start = bar as f64 * bpb;
            let voicing: Vec<i32> = match spec.comp_kind {
                Comp::Power => {
                    let r = key.degree(root, comp_base - 7);
                    vec![r, r + 7, r + 12]
                }
                _ => {
                    let mut v = key.chord(root, comp_base, seventh);
                    // Inversions for smoother voice leading: fold every tone into one octave above the base.
                    for k in &mut v {
                        *k = music::fold_into(*k, comp_base, comp_base + 11);
                    }
                    v.sort_unstable();
                    v
                }
            };
            for &(beat, len) in comp_rhythm {
                if beat >= bpb {
                    continue;
                }
                let len = len.min(bpb - beat);
                match spec.comp_kind {
                    Comp::Arpeggio(grid) => {
                        let steps = (len / grid).round() as usize;
                        for s in 0..steps {
                            let k = voicing[s % voicing.len()] + 12 * ((s / voicing.len()) % 2) as i32;
                            let t = timing.human(production, bar_start + beat + s as f64 * grid);
                            score.push(
                                1,
                                t,
                                timing.length(grid) * 0.9,
                                k,
                                human_velocity(production, velocity * 0.75, spread),
                            );
                        }
                    }
                    _ => {
                        for &k in &voicing {
                            let t = timing.human(production, bar_start + beat);
                            score.push(1, t, timing.length(len), k, human_velocity(production, velocity * 0.8, spread));
                        }
                    }
                }
            }
            if pad {
                for k in key.chord(root, comp_base + 5, seventh) {
                    score.push(3, timing.at(bar_start), timing.length(bpb) * 0.98, k, velocity * 0.6);
                }
            }
            if spec.timpani && (bar % 4 == 0 || composition.random_bool(0.25)) {
                let k = music::fold_into(key.degree(root, 45), 41, 53);
                score.push(
                    4,
                    timing.human(production, bar_start),
                    timing.length(1.0),
                    k,
                    human_velocity(production, velocity * 0.8, spread),
                );
            }
        }
    }

    /// The bass line on channel 2.
    pub fn bass(
        &self,
        score: &mut Score,
        composition: &mut ChaCha8Rng,
        production: &mut ChaCha8Rng,
        bass: Bass,
        bass_program: u8,
    ) {
        let Part { key, chords, timing, bars, beats_per_bar, velocity, spread, .. } = *self;
        let bpb = beats_per_bar as f64;
        let bass_range = crate::synth::gm::tag_for_program(bass_program)
            .and_then(crate::synth::gm::instrument)
            .map_or((28, 55), |i| i.range);
        let bass_base = composition.random_range(36..44).clamp(bass_range.0 + 5, bass_range.1 - 7);
        for bar in 0..bars {
            let root = chords[bar % chords.len()];
            let bar_start = bar as f64 * bpb;
            let notes: Vec<(f64, i32, f64)> = match bass {
                Bass::Figure(figure) => figure
                    .iter()
                    .filter(|(b, _, _)| *b < bpb)
                    .map(|&(b, off, len)| (b, key.degree(root + off, bass_base), len))
                    .collect(),
                Bass::OomPah => {
                    let off = if bar % 2 == 0 { 0 } else { 4 };
                    vec![(0.0, music::fold_into(key.degree(root + off, bass_base), bass_base - 5, bass_base + 9), 0.9)]
                }
                Bass::Walking => {
                    let next_root = key.degree(chords[(bar + 1) % chords.len()], bass_base);
                    let mut line = Vec::new();
                    for beat in 0..beats_per_bar {
                        let k = if beat == 0 {
                            key.degree(root, bass_base)
                        } else if beat + 1 == beats_per_bar {
                            // Chromatic approach from a semitone above or below.
                            next_root + if composition.random_bool(0.5) { 1 } else { -1 }
                        } else {
                            key.degree(root + *[2, 4, 5, 7].choose(composition).expect("non-empty"), bass_base)
                        };
                        line.push((beat as f64, k, 0.9));
                    }
                    line
                }
            };
            for (b, k, len) in notes {
                let t = timing.human(production, bar_start + b);
                let k = music::fold_into(k, bass_range.0, bass_range.1);
                score.push(2, t, timing.length(len), k, human_velocity(production, velocity * 0.9, spread));
            }
        }
    }

    /// The drum pattern, hi-hats, snare comping and crashes on the drum channel.
    pub fn drums(&self, score: &mut Score, composition: &mut ChaCha8Rng, production: &mut ChaCha8Rng, pattern: &[Hit]) {
        let Part { spec, timing, bars, beats_per_bar, velocity, spread, .. } = *self;
        let bpb = beats_per_bar as f64;
        let cycles = ((bars as f64 * bpb) / spec.drum_cycle).ceil() as usize;
        for c in 0..cycles {
            let cycle_start = c as f64 * spec.drum_cycle;
            for &(b, k, v) in pattern {
                let t = timing.human(production, cycle_start + b);
                score.push(DRUMS, t, 0.1, i32::from(k), human_velocity(production, velocity * v, spread));
            }
        }
        let total_beats = bars * beats_per_bar;
        if spec.hats > 0.0 {
            let steps = (total_beats as f64 / spec.hats) as usize;
            for s in 0..steps {
                let b = s as f64 * spec.hats;
                let accent = if (b - b.round()).abs() < 1e-9 { 0.65 } else { 0.45 };
                score.push(
                    DRUMS,
                    timing.human(production, b),
                    0.1,
                    i32::from(CLOSED_HAT),
                    human_velocity(production, velocity * accent, spread),
                );
            }
        }
        if spec.snare_comping {
            for s in 0..total_beats * 2 {
                if composition.random_bool(0.12) {
                    let b = s as f64 * 0.5;
                    score.push(
                        DRUMS,
                        timing.human(production, b),
                        0.1,
                        i32::from(SNARE),
                        human_velocity(production, velocity * 0.45, spread),
                    );
                }
            }
        }
        if spec.crash_every > 0 {
            for bar in (0..bars).step_by(spec.crash_every) {
                score.push(DRUMS, timing.at(bar as f64 * bpb), 1.0, i32::from(CRASH), velocity * 0.8);
            }
        }
    }
}
