//! Scores and the small amount of music theory the clip kinds share: scales, diatonic chords, progressions,
//! beat ↔ seconds with swing, humanisation.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// The General MIDI percussion channel (0-based; "channel 10").
pub const DRUMS: u8 = 9;

/// One note: start and duration in seconds, MIDI channel (0–15, 9 = drums), key and velocity (1–127).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Note {
    /// Onset in seconds from the clip start.
    pub start: f64,
    /// Duration in seconds (drums: how long until note-off; most kits ignore it).
    pub duration: f64,
    /// MIDI channel, 0-based.
    pub channel: u8,
    /// MIDI key (60 = middle C).
    pub key: u8,
    /// MIDI velocity 1–127.
    pub velocity: u8,
}

/// A channel's settings, sent before the first note.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelSetup {
    /// MIDI channel, 0-based.
    pub channel: u8,
    /// General MIDI program 0–127 (ignored on the drum channel).
    pub program: u8,
    /// Channel volume (CC 7), 0–127.
    pub volume: u8,
    /// Pan (CC 10), 0–127, 64 = centre.
    pub pan: u8,
    /// Reverb send (CC 91), 0–127; heard only when the clip's effects are on.
    pub reverb: u8,
    /// Chorus send (CC 93), 0–127; heard only when the clip's effects are on.
    pub chorus: u8,
}

/// What the synthesiser plays: channel settings and notes, over `seconds`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    /// Channel settings.
    pub channels: Vec<ChannelSetup>,
    /// Notes, in any order.
    pub notes: Vec<Note>,
    /// Clip length in seconds.
    pub seconds: f64,
}

impl Score {
    pub(crate) fn new(seconds: f64) -> Self {
        Self { channels: Vec::new(), notes: Vec::new(), seconds }
    }

    /// Adds a note if it starts inside the clip, clamping key and velocity to MIDI ranges.
    pub(crate) fn push(&mut self, channel: u8, start: f64, duration: f64, key: i32, velocity: f64) {
        if start < 0.0 || start >= self.seconds || duration <= 0.0 {
            return;
        }
        self.notes.push(Note {
            start,
            duration,
            channel,
            key: key.clamp(0, 127) as u8,
            velocity: velocity.round().clamp(1.0, 127.0) as u8,
        });
    }
}

/// A major or minor key: tonic pitch class and scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// Tonic pitch class 0–11 (0 = C).
    pub tonic: i32,
    /// Major (true) or natural minor.
    pub major: bool,
}

const MAJOR: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR: [i32; 7] = [0, 2, 3, 5, 7, 8, 10];
const NAMES: [&str; 12] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];

impl Key {
    pub(crate) fn random(rng: &mut ChaCha8Rng, major: bool) -> Self {
        Self { tonic: rng.random_range(0..12), major }
    }

    /// "A minor", "Eb major".
    pub fn name(&self) -> String {
        format!("{} {}", NAMES[self.tonic as usize], if self.major { "major" } else { "minor" })
    }

    fn scale(&self) -> &'static [i32; 7] {
        if self.major { &MAJOR } else { &MINOR }
    }

    /// The MIDI key of scale `degree` (any integer; 7 = the tonic an octave up) in the octave whose tonic is at
    /// or below `base` (a MIDI key).
    pub(crate) fn degree(&self, degree: i32, base: i32) -> i32 {
        let tonic = base - (base - self.tonic).rem_euclid(12);
        let octave = degree.div_euclid(7);
        tonic + 12 * octave + self.scale()[degree.rem_euclid(7) as usize]
    }

    /// The scale degree nearest to MIDI `key` (ties go down), relative to the octave of `base`.
    pub(crate) fn nearest_degree(&self, key: i32, base: i32) -> i32 {
        let mut best = (i32::MAX, 0);
        for d in -21..=35 {
            let distance = (self.degree(d, base) - key).abs();
            if distance < best.0 {
                best = (distance, d);
            }
        }
        best.1
    }

    /// Triad (or seventh chord with `seventh`) on scale `root` degree, stacked in thirds, as MIDI keys around
    /// `base`. In minor the dominant (degree 4) takes the raised leading tone (harmonic minor), as common
    /// practice does.
    pub(crate) fn chord(&self, root: i32, base: i32, seventh: bool) -> Vec<i32> {
        let count = if seventh { 4 } else { 3 };
        let mut keys: Vec<i32> = (0..count).map(|i| self.degree(root + 2 * i, base)).collect();
        if !self.major && root.rem_euclid(7) == 4 {
            keys[1] += 1;
        }
        keys
    }
}

/// Diatonic progressions (0-based scale degrees, one chord per bar), common in the styles the generator imitates.
pub(crate) fn progression(rng: &mut ChaCha8Rng, major: bool) -> Vec<i32> {
    const MAJOR_PROGRESSIONS: [&[i32]; 7] = [
        &[0, 4, 5, 3],             // I–V–vi–IV
        &[0, 5, 3, 4],             // I–vi–IV–V
        &[0, 3, 4, 0],             // I–IV–V–I
        &[1, 4, 0, 0],             // ii–V–I
        &[0, 3, 0, 4],             // I–IV–I–V
        &[0, 2, 3, 4],             // I–iii–IV–V
        &[0, 0, 3, 3, 4, 3, 0, 4], // a blues-like eight-bar
    ];
    const MINOR_PROGRESSIONS: [&[i32]; 6] = [
        &[0, 5, 2, 6], // i–VI–III–VII
        &[0, 3, 4, 0], // i–iv–V–i
        &[0, 6, 5, 4], // i–VII–VI–V (Andalusian)
        &[0, 3, 6, 2], // i–iv–VII–III
        &[0, 5, 3, 4], // i–VI–iv–V
        &[1, 4, 0, 0], // ii°–V–i
    ];
    let table: &[&[i32]] = if major { &MAJOR_PROGRESSIONS } else { &MINOR_PROGRESSIONS };
    table.choose(rng).expect("non-empty").to_vec()
}

/// Beat positions → seconds at a tempo, with swing: an off-beat at `sub` (0.5 for eighths, 0.25 for sixteenths)
/// is delayed so the pair's first note takes `swing` of the pair (0.5 = straight, 0.67 = triplet swing).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub seconds_per_beat: f64,
    pub swing: f64,
    pub swing_unit: f64,
    /// Standard deviation of timing humanisation, seconds.
    pub jitter: f64,
}

impl Timing {
    pub(crate) fn new(bpm: f64) -> Self {
        Self { seconds_per_beat: 60.0 / bpm, swing: 0.5, swing_unit: 0.5, jitter: 0.0 }
    }

    /// The time in seconds of beat position `beat` (quarter notes from the start), swung, without jitter.
    pub(crate) fn at(&self, beat: f64) -> f64 {
        let pair = 2.0 * self.swing_unit;
        let within = beat.rem_euclid(pair);
        let base = beat - within;
        // Piecewise-linear map of [0, pair): [0, unit) → [0, swing·pair), [unit, pair) → [swing·pair, pair).
        let swung = if within < self.swing_unit {
            within / self.swing_unit * self.swing * pair
        } else {
            self.swing * pair + (within - self.swing_unit) / self.swing_unit * (1.0 - self.swing) * pair
        };
        (base + swung) * self.seconds_per_beat
    }

    /// `at(beat)` plus Gaussian timing jitter (never before 0).
    pub(crate) fn human(&self, rng: &mut ChaCha8Rng, beat: f64) -> f64 {
        (self.at(beat) + gaussian(rng) * self.jitter).max(0.0)
    }

    /// Seconds in `beats`.
    pub(crate) fn length(&self, beats: f64) -> f64 {
        beats * self.seconds_per_beat
    }

    /// Whole beats in `seconds`, rounded up.
    pub(crate) fn beats_in(&self, seconds: f64) -> usize {
        (seconds / self.seconds_per_beat).ceil() as usize + 1
    }
}

/// A standard normal draw (Box–Muller; the `rand` crate's distributions live in another crate).
pub(crate) fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Velocity with Gaussian humanisation of standard deviation `spread`.
pub(crate) fn human_velocity(rng: &mut ChaCha8Rng, velocity: f64, spread: f64) -> f64 {
    velocity + gaussian(rng) * spread
}

/// Moves `key` by octaves into `[low, high]` (if the range is at least an octave wide).
pub(crate) fn fold_into(key: i32, low: i32, high: i32) -> i32 {
    let mut k = key;
    while k < low {
        k += 12;
    }
    while k > high {
        k -= 12;
    }
    k
}

/// A melodic line: (beat, length in beats, MIDI key) triples.
pub(crate) type Line = Vec<(f64, f64, i32)>;

/// How a melody is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MelodyShape {
    /// Lowest and highest MIDI key.
    pub low: i32,
    pub high: i32,
    /// Grid in beats (0.25 = sixteenths, 0.5 = eighths, 1 = quarters).
    pub grid: f64,
    /// Probability of an onset on an off-beat grid slot (beats always get one with probability 0.85).
    pub onset: f64,
    /// Probability that a note is a chromatic neighbour instead of a scale tone.
    pub chromatic: f64,
}

/// A melody over a chord progression (one chord per bar): chord tones on beats, scale steps between, a random
/// walk kept inside the range. Each note lasts until the next onset.
pub(crate) fn melody(
    rng: &mut ChaCha8Rng,
    key: Key,
    chords: &[i32],
    bars: usize,
    beats_per_bar: usize,
    shape: MelodyShape,
) -> Line {
    let centre = (shape.low + shape.high) / 2;
    let mut degree = key.nearest_degree(centre, centre);
    let slots_per_bar = ((beats_per_bar as f64) / shape.grid).round() as usize;
    let mut onsets: Vec<(f64, i32)> = Vec::new();
    for bar in 0..bars {
        let chord_root = chords[bar % chords.len()];
        for slot in 0..slots_per_bar {
            let beat_in_bar = slot as f64 * shape.grid;
            let on_beat = (beat_in_bar - beat_in_bar.round()).abs() < 1e-9;
            let p = if on_beat { 0.85 } else { shape.onset };
            if !rng.random_bool(p.clamp(0.0, 1.0)) {
                continue;
            }
            if on_beat && rng.random_bool(0.7) {
                // Nearest chord tone (root, third or fifth) to the current degree.
                let targets = [chord_root, chord_root + 2, chord_root + 4];
                let mut best = degree;
                let mut best_distance = i32::MAX;
                for t in targets {
                    for octave in -3..=3 {
                        let d = t + 7 * octave;
                        if (d - degree).abs() < best_distance {
                            best_distance = (d - degree).abs();
                            best = d;
                        }
                    }
                }
                degree = best;
            } else {
                degree += *[-2, -1, -1, 1, 1, 2].choose(rng).expect("non-empty");
            }
            let mut midi = key.degree(degree, centre);
            if midi < shape.low || midi > shape.high {
                degree = key.nearest_degree(fold_into(midi, shape.low, shape.high), centre);
                midi = key.degree(degree, centre);
            }
            if rng.random_bool(shape.chromatic.clamp(0.0, 1.0)) {
                midi += if rng.random_bool(0.5) { 1 } else { -1 };
            }
            onsets.push((bar as f64 * beats_per_bar as f64 + beat_in_bar, midi.clamp(shape.low, shape.high)));
        }
    }
    let end = (bars * beats_per_bar) as f64;
    (0..onsets.len())
        .map(|i| {
            let next = onsets.get(i + 1).map_or(end, |n| n.0);
            (onsets[i].0, (next - onsets[i].0).min(4.0), onsets[i].1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_and_chords() {
        let c = Key { tonic: 0, major: true };
        assert_eq!(c.degree(0, 60), 60);
        assert_eq!(c.degree(7, 60), 72);
        assert_eq!(c.degree(-1, 60), 59);
        assert_eq!(c.chord(4, 60, true), vec![67, 71, 74, 77]);
        let a = Key { tonic: 9, major: false };
        assert_eq!(a.degree(0, 60), 57);
        // E major (raised G#) as the dominant of A minor.
        assert_eq!(a.chord(4, 60, false), vec![64, 68, 71]);
        assert_eq!(a.nearest_degree(64, 60), 4);
    }

    #[test]
    fn swing_moves_only_offbeats() {
        let mut t = Timing::new(120.0);
        t.swing = 2.0 / 3.0;
        assert!((t.at(1.0) - 0.5).abs() < 1e-12);
        assert!((t.at(0.5) - 0.5 * 2.0 / 3.0).abs() < 1e-12);
        assert!((t.at(2.5) - (1.0 + 0.5 * 2.0 / 3.0)).abs() < 1e-12);
    }
}
