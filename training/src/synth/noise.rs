//! Neither music nor speech: the third class of the content readout (silence or noise). A producer's track
//! between takes holds room tone, hum, hiss, wind, rain on a window, handling noise — none of which may read as a
//! genre or a voice.
//!
//! Each clip layers one to three sounds drawn from: white, pink or brown noise (steady or swelling like wind),
//! mains hum (50 or 60 Hz with harmonics), sparse clicks or drops (rain, crackle), bird-like chirps (short fast
//! sweeps at 1.5–6 kHz) and whale-like moans (long slow glides of a harmonic tone), at a level from near silence
//! to loud. The calls are there because tonal is not musical: a first content model trained without them called
//! a robin and a humpback whale "music"; chirps and glides are tonal but keep to no scale and no metre.

use rand::Rng;
use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// A noise colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// Flat spectrum (hiss).
    White,
    /// −3 dB per octave (room tone, rain).
    Pink,
    /// −6 dB per octave (rumble, wind).
    Brown,
}

/// One layer of a noise clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Layer {
    /// Broadband noise; `swell_hz` > 0 modulates its level slowly (wind).
    Noise {
        /// Colour.
        colour: Colour,
        /// Rate of the level swell, Hz (0: steady).
        swell_hz: f32,
    },
    /// Mains hum at `hz` with decaying odd and even harmonics.
    Hum {
        /// 50 or 60.
        hz: f32,
    },
    /// Short decaying clicks at random times.
    Clicks {
        /// Mean clicks per second.
        rate: f32,
    },
    /// Bird-like chirps: 40–250 ms sweeps between 1.5 and 6 kHz, in bursts.
    Chirps {
        /// Mean chirps per second.
        rate: f32,
    },
    /// Whale-like moans: 1–4 s harmonic tones gliding slowly between 60 and 700 Hz, with pauses.
    Moans,
}

impl Layer {
    /// A short name for the manifest.
    pub fn name(&self) -> String {
        match self {
            Layer::Noise { colour, swell_hz } => {
                let c = format!("{colour:?}").to_lowercase();
                if *swell_hz > 0.0 { format!("{c}-swell") } else { c }
            }
            Layer::Hum { hz } => format!("hum{hz:.0}"),
            Layer::Clicks { .. } => "clicks".into(),
            Layer::Chirps { .. } => "chirps".into(),
            Layer::Moans => "moans".into(),
        }
    }
}

/// What a noise clip holds.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseLabels {
    /// The layers, e.g. `pink-swell;hum50`.
    pub layers: Vec<Layer>,
    /// RMS level of the clip, dBFS.
    pub level_db: f32,
    /// Seed of the clip's random samples.
    pub seed: u64,
}

/// Draws a noise clip's layers and level.
pub(crate) fn plan(production: &mut ChaCha8Rng) -> NoiseLabels {
    let count = production.random_range(1..=3usize);
    let mut layers = Vec::new();
    for _ in 0..count {
        let layer = match production.random_range(0..6) {
            0 | 1 => Layer::Noise {
                colour: *[Colour::White, Colour::Pink, Colour::Brown].choose(production).expect("non-empty"),
                swell_hz: if production.random_bool(0.4) { production.random_range(0.05..0.5) } else { 0.0 },
            },
            2 => Layer::Hum { hz: *[50.0, 60.0].choose(production).expect("non-empty") },
            3 => Layer::Clicks { rate: production.random_range(0.5..40.0) },
            4 => Layer::Chirps { rate: production.random_range(1.0..12.0) },
            _ => Layer::Moans,
        };
        layers.push(layer);
    }
    NoiseLabels { layers, level_db: production.random_range(-58.0..-18.0), seed: production.random() }
}

/// Renders the layers (each at its own random weight) to `seconds` at `sample_rate`, then the clip's level.
pub(crate) fn render(labels: &NoiseLabels, seconds: f64, sample_rate: u32) -> Vec<f32> {
    let n = (seconds * f64::from(sample_rate)).round() as usize;
    let rate = sample_rate as f32;
    let mut rng = ChaCha8Rng::seed_from_u64(labels.seed);
    let mut out = vec![0f32; n];
    for layer in &labels.layers {
        let mut sound = vec![0f32; n];
        match *layer {
            Layer::Noise { colour, swell_hz } => {
                let (mut b0, mut b1, mut b2, mut brown) = (0f32, 0f32, 0f32, 0f32);
                let phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
                for (i, s) in sound.iter_mut().enumerate() {
                    let white: f32 = rng.random_range(-1.0..1.0);
                    let v = match colour {
                        Colour::White => white,
                        Colour::Pink => {
                            // Paul Kellett's economy pink filter.
                            b0 = 0.99765 * b0 + white * 0.0990460;
                            b1 = 0.96300 * b1 + white * 0.2965164;
                            b2 = 0.57000 * b2 + white * 1.0526913;
                            b0 + b1 + b2 + white * 0.1848
                        }
                        Colour::Brown => {
                            brown = (brown + white * 0.02) * 0.998;
                            brown
                        }
                    };
                    let swell = if swell_hz > 0.0 {
                        0.55 + 0.45 * (std::f32::consts::TAU * swell_hz * i as f32 / rate + phase).sin()
                    } else {
                        1.0
                    };
                    *s = v * swell;
                }
            }
            Layer::Hum { hz } => {
                for (i, s) in sound.iter_mut().enumerate() {
                    let t = i as f32 / rate;
                    *s = (1..=6)
                        .map(|h| (std::f32::consts::TAU * hz * h as f32 * t).sin() / (h * h) as f32)
                        .sum::<f32>();
                }
            }
            Layer::Clicks { rate: per_second } => {
                let decay = (-1.0 / (0.002 * rate)).exp();
                let mut envelope = 0f32;
                for s in sound.iter_mut() {
                    if rng.random_bool(f64::from(per_second / rate).min(1.0)) {
                        envelope = rng.random_range(0.3..1.0);
                    }
                    envelope *= decay;
                    *s = envelope * rng.random_range(-1.0f32..1.0);
                }
            }
            Layer::Chirps { rate: per_second } => {
                calls(&mut sound, rate, &mut rng, per_second, (0.04, 0.25), (1500.0, 6000.0))
            }
            Layer::Moans => calls(&mut sound, rate, &mut rng, 0.4, (1.0, 4.0), (60.0, 700.0)),
        }
        let level = super::effects::rms(&sound);
        if level > 0.0 {
            let weight = rng.random_range(0.3f32..1.0) / level;
            out.iter_mut().zip(&sound).for_each(|(o, s)| *o += s * weight);
        }
    }
    let level = super::effects::rms(&out);
    let peak = out.iter().fold(0f32, |m, s| m.max(s.abs()));
    if level > 0.0 {
        // Sparse clicks have a high crest factor: the peak, not the RMS, may decide the gain.
        let gain = (super::render::db_to_gain(labels.level_db) / level).min(super::MAX_PEAK / peak);
        out.iter_mut().for_each(|s| *s *= gain);
    }
    out
}

/// Adds tonal calls to `sound`: at about `per_second` onsets a second, a call of `length` seconds (range) whose
/// fundamental glides from one random frequency in `band` to another (log-uniform), with three harmonics and a
/// raised-sine envelope. Calls may overlap; nothing aligns them to a beat or a scale.
fn calls(sound: &mut [f32], rate: f32, rng: &mut ChaCha8Rng, per_second: f32, length: (f32, f32), band: (f32, f32)) {
    let seconds = sound.len() as f32 / rate;
    let count = (per_second * seconds).round().max(1.0) as usize;
    let log_band = (band.0.ln(), band.1.ln());
    for _ in 0..count {
        let start = (rng.random_range(0.0..seconds) * rate) as usize;
        let n = (rng.random_range(length.0..length.1) * rate) as usize;
        let (from, to) =
            (rng.random_range(log_band.0..log_band.1).exp(), rng.random_range(log_band.0..log_band.1).exp());
        let amplitude: f32 = rng.random_range(0.3..1.0);
        let mut phase = 0f32;
        for i in 0..n {
            let Some(s) = sound.get_mut(start + i) else { break };
            let x = i as f32 / n as f32;
            let f = from * (to / from).powf(x);
            phase += std::f32::consts::TAU * f / rate;
            let envelope = (std::f32::consts::PI * x).sin();
            let tone: f32 = (1..=3).map(|h| (phase * h as f32).sin() / h as f32).sum();
            *s += amplitude * envelope * tone;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_clips_sit_at_their_level_and_differ_by_seed() {
        let mut production = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..12 {
            let labels = plan(&mut production);
            assert!((1..=3).contains(&labels.layers.len()));
            let audio = render(&labels, 1.0, 16_000);
            assert_eq!(audio.len(), 16_000);
            let db = 20.0 * super::super::effects::rms(&audio).log10();
            let peak = audio.iter().fold(0f32, |m, s| m.max(s.abs()));
            assert!(peak <= super::super::MAX_PEAK + 1e-6);
            let at_peak_limit = peak >= super::super::MAX_PEAK - 1e-3 && db < labels.level_db;
            assert!((db - labels.level_db).abs() < 0.1 || at_peak_limit, "{db} vs {}", labels.level_db);
            let again = render(&labels, 1.0, 16_000);
            assert_eq!(audio, again, "one seed, one clip");
        }
        // Sparse loud clicks: the peak, not the RMS, sets the gain, and nothing clips.
        let sparse = NoiseLabels { layers: vec![Layer::Clicks { rate: 0.5 }], level_db: -18.0, seed: 1 };
        let audio = render(&sparse, 2.0, 16_000);
        let peak = audio.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!(peak > 0.0 && peak <= super::super::MAX_PEAK + 1e-6, "peak {peak}");
        // The calls are tonal and audible at their level.
        for layer in [Layer::Chirps { rate: 4.0 }, Layer::Moans] {
            let audio = render(&NoiseLabels { layers: vec![layer], level_db: -30.0, seed: 2 }, 2.0, 16_000);
            let db = 20.0 * super::super::effects::rms(&audio).log10();
            assert!((db + 30.0).abs() < 0.1, "{} at {db} dB", layer.name());
        }
    }
}
