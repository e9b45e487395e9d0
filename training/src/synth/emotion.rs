//! Emotion clips: continuous valence and arousal computed from the musical cues a clip is built from.
//!
//! # The cue model and where it comes from
//!
//! Decades of listening experiments agree on which structural features of music carry perceived emotion and in
//! which direction:
//!
//! - A. Gabrielsson & E. Lindström (2010), "The role of structure in the musical expression of emotions", in
//!   P. N. Juslin & J. A. Sloboda (eds.), *Handbook of Music and Emotion*, Oxford University Press, pp. 367–400:
//!   a review of a century of studies, factor by factor. Major mode → happiness, minor → sadness; fast tempo →
//!   activity/happiness/anger, slow → calm/sadness; high pitch → happiness/activity, low → sadness; loud →
//!   activity/anger, soft → tenderness/sadness; staccato → gaiety/activity, legato → tenderness/sadness;
//!   dissonance → tension, unpleasantness; firm dense rhythms → activity.
//! - P. N. Juslin & P. Laukka (2003), "Communication of emotions in vocal expression and music performance:
//!   Different channels, same code?", *Psychological Bulletin* 129(5), 770–814: a meta-analysis of 104 vocal and
//!   41 music studies. Happiness: fast, loud-ish, staccato, high, bright timbre; sadness: slow, soft, legato,
//!   low, dull timbre; anger: fast, loud, sharp timbre (so loudness does *not* imply positive valence);
//!   tenderness: slow, soft, legato, soft timbre.
//! - T. Eerola, A. Friberg & R. Bresin (2013), "Emotional expression in music: contribution, linearity, and
//!   additivity of primary musical cues", *Frontiers in Psychology* 4:487: a factorial design over mode, tempo,
//!   register, dynamics, articulation and timbre rated on valence and energy. Cue effects are largely additive
//!   and close to linear; **mode dominates valence and tempo dominates arousal**, with register, dynamics,
//!   articulation and timbre contributing less.
//!
//! So the labels are a linear model over cues normalised to [−1, 1] ([`EmotionCues::normalised`]), with the
//! directions above and weights in their reported rank order ([`VALENCE_WEIGHTS`], [`AROUSAL_WEIGHTS`]). The
//! weights are this generator's choice, not coefficients fitted to any data set; each row's absolute values sum to
//! 1, so the noiseless labels lie in [−1, 1]. A little Gaussian noise (σ = 0.03) makes the labels continuous
//! beyond the cue grid without hiding them. Because every cue is audible (mode and dissonance in the pitches,
//! tempo and density in the onsets, loudness in velocity and level, register in pitch height, articulation in
//! note lengths, brightness in the instruments and a spectral tilt), the labels are learnable from the audio.
//!
//! Cues are not drawn independently: independent cues would average out and crowd the labels near (0, 0).
//! A latent target (v*, a*) is drawn uniformly on the square and each cue leans towards it with a random
//! strength plus its own noise; the labels are then computed from the cues (never from the latent), so
//! conflicting cues — a fast piece in minor — also occur.
//!
//! Each clip is a piece: a diatonic progression in the chosen key and mode, a melody, a bass line, comping
//! chords and, half the time, drums.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::gm::percussion;
use super::music::{self, DRUMS, Key, MelodyShape, Score, Timing, gaussian, human_velocity};
use super::render::{Level, Mix};

/// Major or minor mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Major (Ionian).
    Major,
    /// Minor (natural, with a major dominant).
    Minor,
}

/// The musical cues of an emotion clip (what the labels are computed from).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmotionCues {
    /// Major or minor.
    pub mode: Mode,
    /// Tempo, 50–180 BPM.
    pub tempo_bpm: f32,
    /// Dynamics, −1 (pp) to 1 (ff): velocities and output level.
    pub loudness: f32,
    /// Pitch register, −1 (low, melody around C3) to 1 (high, around C5).
    pub register: f32,
    /// −1 legato (notes overlap slightly) to 1 staccato (a third of the inter-onset interval).
    pub articulation: f32,
    /// Rhythmic density, −1 (sparse: mostly beats) to 1 (dense: most sixteenths).
    pub density: f32,
    /// Timbral brightness, −1 (dark instruments, high cut) to 1 (bright instruments, high boost).
    pub brightness: f32,
    /// Dissonance and chromaticism, 0 (diatonic triads) to 1 (added seconds/tritones, chromatic neighbours).
    pub dissonance: f32,
}

/// Names of the normalised cues, in the order of [`EmotionCues::normalised`] and the weight rows.
pub const CUE_NAMES: [&str; 8] =
    ["mode", "tempo", "loudness", "register", "articulation", "density", "brightness", "dissonance"];

/// Valence weights over the normalised cues: mode first, then tempo, dissonance (negative), register,
/// articulation (staccato positive), brightness, loudness (slightly negative: loud is angry as often as happy),
/// density. Absolute values sum to 1.
pub const VALENCE_WEIGHTS: [f32; 8] = [0.34, 0.16, -0.06, 0.12, 0.08, 0.04, 0.06, -0.14];

/// Arousal weights over the normalised cues: tempo first, then loudness, density, articulation, dissonance
/// (tension), brightness, register, mode. Absolute values sum to 1.
pub const AROUSAL_WEIGHTS: [f32; 8] = [0.04, 0.34, 0.22, 0.05, 0.10, 0.12, 0.06, 0.07];

/// Label noise standard deviation.
pub const LABEL_NOISE: f32 = 0.03;

impl EmotionCues {
    /// The cues mapped to [−1, 1]: mode ±1 (major +1), tempo (BPM − 115) / 65, loudness, register,
    /// articulation, density, brightness as they are, dissonance 2d − 1.
    pub fn normalised(&self) -> [f32; 8] {
        [
            if self.mode == Mode::Major { 1.0 } else { -1.0 },
            ((self.tempo_bpm - 115.0) / 65.0).clamp(-1.0, 1.0),
            self.loudness.clamp(-1.0, 1.0),
            self.register.clamp(-1.0, 1.0),
            self.articulation.clamp(-1.0, 1.0),
            self.density.clamp(-1.0, 1.0),
            self.brightness.clamp(-1.0, 1.0),
            (2.0 * self.dissonance - 1.0).clamp(-1.0, 1.0),
        ]
    }

    /// The noiseless labels (valence, arousal), each in [−1, 1].
    pub fn valence_arousal(&self) -> (f32, f32) {
        let cues = self.normalised();
        let dot = |w: &[f32; 8]| cues.iter().zip(w).map(|(c, w)| c * w).sum::<f32>().clamp(-1.0, 1.0);
        (dot(&VALENCE_WEIGHTS), dot(&AROUSAL_WEIGHTS))
    }
}

/// An emotion clip's labels and how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct EmotionLabels {
    /// Valence in [−1, 1] (negative → positive).
    pub valence: f32,
    /// Arousal in [−1, 1] (calm → excited).
    pub arousal: f32,
    /// The cues the labels come from.
    pub cues: EmotionCues,
    /// Key, e.g. "A minor".
    pub key: String,
    /// Beats per bar (3 or 4).
    pub beats_per_bar: u32,
    /// Whether drums play.
    pub drums: bool,
    /// GM programs of melody, chords and bass.
    pub programs: [u8; 3],
}

/// Draws the cues, leaning towards a latent (v*, a*) target (see the module docs).
pub(crate) fn draw_cues(rng: &mut ChaCha8Rng) -> EmotionCues {
    let target_v: f32 = rng.random_range(-1.0..=1.0);
    let target_a: f32 = rng.random_range(-1.0..=1.0);
    let mut cue = |i: usize| -> f32 {
        let (wv, wa) = (VALENCE_WEIGHTS[i], AROUSAL_WEIGHTS[i]);
        let aligned = (wv * target_v + wa * target_a) / (wv.abs() + wa.abs());
        let strength: f32 = rng.random_range(0.3..0.9);
        let own: f32 = rng.random_range(-1.0..=1.0);
        (strength * aligned * 1.4 + (1.0 - strength) * own).clamp(-1.0, 1.0)
    };
    let mode_lean = cue(0);
    let tempo = cue(1);
    let loudness = cue(2);
    let register = cue(3);
    let articulation = cue(4);
    let density = cue(5);
    let brightness = cue(6);
    let dissonance = cue(7);
    let major = rng.random_bool(f64::from(1.0 / (1.0 + (-4.0 * mode_lean).exp())));
    EmotionCues {
        mode: if major { Mode::Major } else { Mode::Minor },
        tempo_bpm: 115.0 + 65.0 * tempo,
        loudness,
        register,
        articulation,
        density,
        brightness,
        dissonance: (dissonance + 1.0) / 2.0,
    }
}

const DARK_MELODY: [u8; 5] = [42, 60, 71, 70, 52];
const MID_MELODY: [u8; 6] = [0, 73, 11, 24, 4, 65];
const BRIGHT_MELODY: [u8; 7] = [56, 68, 80, 40, 6, 13, 9];
const DARK_CHORDS: [u8; 4] = [48, 89, 46, 19];
const MID_CHORDS: [u8; 5] = [0, 4, 24, 49, 16];
const BRIGHT_CHORDS: [u8; 5] = [25, 6, 61, 5, 81];
const BASSES: [u8; 5] = [32, 33, 43, 42, 38];

/// Picks from the dark, middle or bright pool, the pool chosen with a probability that follows `brightness`.
fn by_brightness(rng: &mut ChaCha8Rng, brightness: f32, pools: [&[u8]; 3]) -> u8 {
    let weights = [(-brightness).max(0.0) + 0.15, 1.0 - brightness.abs() + 0.15, brightness.max(0.0) + 0.15];
    let total: f32 = weights.iter().sum();
    let mut x = rng.random_range(0.0..total);
    for (pool, w) in pools.iter().zip(weights) {
        if x < w {
            return *pool.choose(rng).expect("non-empty");
        }
        x -= w;
    }
    *pools[2].choose(rng).expect("non-empty")
}

/// Plans an emotion clip: composition from `composition`, instruments and mix from `production`.
pub(crate) fn plan(
    composition: &mut ChaCha8Rng,
    production: &mut ChaCha8Rng,
    seconds: f64,
) -> (Score, Mix, EmotionLabels) {
    let cues = draw_cues(composition);
    let (v, a) = cues.valence_arousal();
    let valence = (v + LABEL_NOISE * gaussian(composition) as f32).clamp(-1.0, 1.0);
    let arousal = (a + LABEL_NOISE * gaussian(composition) as f32).clamp(-1.0, 1.0);

    let major = cues.mode == Mode::Major;
    let key = Key::random(composition, major);
    let beats_per_bar = if composition.random_bool(0.2) { 3 } else { 4 };
    let chords = music::progression(composition, major);
    let drums = composition.random_bool(0.5);
    let mut timing = Timing::new(f64::from(cues.tempo_bpm));
    let bars = timing.beats_in(seconds).div_ceil(beats_per_bar);
    let bpb = beats_per_bar as f64;

    let reg = f64::from(cues.register);
    let density01 = f64::from((cues.density + 1.0) / 2.0);
    let dissonance = f64::from(cues.dissonance);
    // Legato notes overlap the next by 5 %, staccato ones last a third of the gap.
    let length_factor = 0.70 - 0.35 * f64::from(cues.articulation);
    let velocity = 64.0 + 40.0 * f64::from(cues.loudness);

    // Production: instruments (within the brightness pool), humanisation, effects.
    let melody_program = by_brightness(production, cues.brightness, [&DARK_MELODY, &MID_MELODY, &BRIGHT_MELODY]);
    let chord_program = by_brightness(production, cues.brightness, [&DARK_CHORDS, &MID_CHORDS, &BRIGHT_CHORDS]);
    let bass_program = *BASSES.choose(production).expect("non-empty");
    timing.jitter = production.random_range(0.0..0.012);
    let velocity_spread = production.random_range(3.0..8.0);
    let effects = production.random_bool(0.6);
    let mut score = Score::new(seconds);
    for (channel, program, volume) in [(0u8, melody_program, 110u8), (1, chord_program, 80), (2, bass_program, 95)] {
        score.channels.push(music::ChannelSetup {
            channel,
            program,
            volume,
            pan: production.random_range(34..94),
            reverb: production.random_range(10..90),
            chorus: production.random_range(0..50),
        });
    }
    if drums {
        score.channels.push(music::ChannelSetup {
            channel: DRUMS,
            program: 0,
            volume: 85,
            pan: 64,
            reverb: production.random_range(0..50),
            chorus: 0,
        });
    }

    // Melody.
    let centre = 67 + (12.0 * reg).round() as i32;
    let shape = MelodyShape {
        low: centre - 7,
        high: centre + 9,
        grid: if density01 > 0.6 { 0.25 } else { 0.5 },
        onset: 0.1 + 0.75 * density01,
        chromatic: 0.25 * dissonance,
    };
    for (beat, len, k) in music::melody(composition, key, &chords, bars, beats_per_bar, shape) {
        let start = timing.human(production, beat);
        let duration = timing.length(len) * length_factor;
        score.push(0, start, duration, k, human_velocity(production, velocity, velocity_spread));
    }

    // Chords: sustained (sparse) or re-struck on beats (dense), with added dissonances.
    let chord_base = 55 + (7.0 * reg).round() as i32;
    let strikes_per_bar = if density01 < 0.35 {
        1
    } else if density01 < 0.7 {
        beats_per_bar.min(2)
    } else {
        beats_per_bar
    };
    let seventh = composition.random_bool(0.3);
    for bar in 0..bars {
        let root = chords[bar % chords.len()];
        let mut keys = key.chord(root, chord_base, seventh);
        if composition.random_bool(dissonance) {
            // A minor second above the root, a tritone, or a minor ninth: the classic tension intervals.
            let extra = *[1, 6, 13].choose(composition).expect("non-empty");
            keys.push(keys[0] + extra);
        }
        let strike_len = bpb / strikes_per_bar as f64;
        for s in 0..strikes_per_bar {
            let beat = bar as f64 * bpb + s as f64 * strike_len;
            for &k in &keys {
                let start = timing.human(production, beat);
                let duration = timing.length(strike_len) * length_factor.max(0.4);
                score.push(1, start, duration, k, human_velocity(production, velocity * 0.8, velocity_spread));
            }
        }
    }

    // Bass: root on the downbeat, and on the middle beat when denser.
    let bass_base = 40 + (4.0 * reg).round() as i32;
    for bar in 0..bars {
        let root = key.degree(chords[bar % chords.len()], bass_base);
        let hits: &[f64] = if density01 > 0.5 && beats_per_bar == 4 { &[0.0, 2.0] } else { &[0.0] };
        for (i, h) in hits.iter().enumerate() {
            let next = hits.get(i + 1).copied().unwrap_or(bpb);
            let start = timing.human(production, bar as f64 * bpb + h);
            let k = if i == 1 && composition.random_bool(0.5) { root + 7 } else { root };
            score.push(
                2,
                start,
                timing.length(next - h) * length_factor,
                k,
                human_velocity(production, velocity * 0.9, velocity_spread),
            );
        }
    }

    if drums {
        let hat_grid = if density01 > 0.65 {
            0.25
        } else if density01 > 0.3 {
            0.5
        } else {
            1.0
        };
        for bar in 0..bars {
            let bar_start = bar as f64 * bpb;
            let mut b = 0.0;
            while b < bpb - 1e-9 {
                let accent = if (b - b.round()).abs() < 1e-9 { 1.0 } else { 0.75 };
                let t = timing.human(production, bar_start + b);
                score.push(
                    DRUMS,
                    t,
                    0.1,
                    i32::from(percussion::CLOSED_HAT),
                    human_velocity(production, velocity * 0.7 * accent, velocity_spread),
                );
                b += hat_grid;
            }
            let kicks: &[f64] = if beats_per_bar == 3 { &[0.0] } else { &[0.0, 2.0] };
            let snares: &[f64] = if beats_per_bar == 3 { &[1.0, 2.0] } else { &[1.0, 3.0] };
            for &k in kicks {
                score.push(
                    DRUMS,
                    timing.human(production, bar_start + k),
                    0.1,
                    i32::from(percussion::KICK),
                    human_velocity(production, velocity, velocity_spread),
                );
            }
            for &s in snares {
                let snare = i32::from(if cues.loudness > 0.0 { percussion::SNARE } else { percussion::STICK });
                score.push(
                    DRUMS,
                    timing.human(production, bar_start + s),
                    0.1,
                    snare,
                    human_velocity(production, velocity * 0.9, velocity_spread),
                );
            }
        }
    }

    let tilt_db = 4.0 * cues.brightness + production.random_range(-1.0..1.0);
    let level_db = -26.0 + 8.0 * cues.loudness + production.random_range(-1.0..1.0);
    let mix = Mix { effects, tilt_db, level: Level::RmsDb(level_db) };
    let labels = EmotionLabels {
        valence,
        arousal,
        cues,
        key: key.name(),
        beats_per_bar: beats_per_bar as u32,
        drums,
        programs: [melody_program, chord_program, bass_program],
    };
    (score, mix, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_normalised() {
        for w in [VALENCE_WEIGHTS, AROUSAL_WEIGHTS] {
            let total: f32 = w.iter().map(|x| x.abs()).sum();
            assert!((total - 1.0).abs() < 1e-6, "{total}");
        }
        // Mode dominates valence, tempo dominates arousal (Eerola et al. 2013).
        assert!(VALENCE_WEIGHTS.iter().all(|w| w.abs() <= VALENCE_WEIGHTS[0]));
        assert!(AROUSAL_WEIGHTS.iter().all(|w| w.abs() <= AROUSAL_WEIGHTS[1]));
    }

    #[test]
    fn drawn_labels_cover_the_plane() {
        let mut quadrants = [0usize; 4];
        for i in 0..400 {
            let mut rng = super::super::clip_rng(7, i, 0, super::super::COMPOSITION);
            let (v, a) = draw_cues(&mut rng).valence_arousal();
            assert!((-1.0..=1.0).contains(&v) && (-1.0..=1.0).contains(&a));
            quadrants[usize::from(v > 0.0) + 2 * usize::from(a > 0.0)] += 1;
        }
        assert!(quadrants.iter().all(|&q| q > 50), "{quadrants:?}");
    }
}
