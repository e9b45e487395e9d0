//! The production chain of instrument mixtures: per-part loudness, a room, bus compression, a dull-recording
//! low-pass and a noise floor — so that a tag cannot be told by a clean, dry, one-chain rendering.
//!
//! All of it is cheap and deterministic (a seed for the noise): a Schroeder reverb (four damped combs, two
//! all-passes) rather than convolution with measured rooms, one-pole filters, an RMS compressor.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::render::db_to_gain;

/// What happens to a mixture after its parts are summed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Polish {
    /// A room: (RT60 in seconds, wet share 0–1).
    pub room: Option<(f32, f32)>,
    /// Bus compression: (threshold in dB under the mixture's RMS-peak, ratio).
    pub compression: Option<(f32, f32)>,
    /// A low-pass (two one-pole stages) at this frequency, Hz: a dull microphone or a low-bit-rate file.
    pub low_pass_hz: Option<f32>,
    /// White noise this many dB under the mixture's RMS, and its seed.
    pub noise: Option<(f32, u64)>,
}

impl Polish {
    /// Applies the chain in the order a studio would: room, compression, low-pass, noise.
    pub fn apply(&self, samples: &mut [f32], sample_rate: u32) {
        if let Some((rt60, wet)) = self.room {
            reverb(samples, sample_rate, rt60, wet);
        }
        if let Some((threshold_db, ratio)) = self.compression {
            compress(samples, sample_rate, threshold_db, ratio);
        }
        if let Some(hz) = self.low_pass_hz {
            low_pass(samples, sample_rate, hz);
            low_pass(samples, sample_rate, hz);
        }
        if let Some((snr_db, seed)) = self.noise {
            let level = rms(samples) * db_to_gain(-snr_db);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            // Uniform noise of RMS `level`: amplitude level·√3.
            let amplitude = level * 3f32.sqrt();
            samples.iter_mut().for_each(|s| *s += amplitude * rng.random_range(-1.0f32..1.0));
        }
    }
}

/// RMS over the whole buffer.
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt() as f32
}

/// RMS over the 50 ms frames within 30 dB of the loudest one: the level of a part while it plays, so a voice
/// that sings half the clip is set by its singing, not diluted by its rests.
pub fn active_rms(samples: &[f32], sample_rate: u32) -> f32 {
    let frame = (sample_rate as usize / 20).max(1);
    let energies: Vec<f64> =
        samples.chunks(frame).map(|c| c.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / c.len() as f64).collect();
    let loudest = energies.iter().copied().fold(0.0, f64::max);
    if loudest <= 0.0 {
        return 0.0;
    }
    let active: Vec<f64> = energies.into_iter().filter(|e| *e >= loudest * 1e-3).collect();
    (active.iter().sum::<f64>() / active.len() as f64).sqrt() as f32
}

/// Scales `samples` so their [`active_rms`] is `db` dBFS (silence stays silence).
pub fn set_active_level(samples: &mut [f32], sample_rate: u32, db: f32) {
    let level = active_rms(samples, sample_rate);
    if level > 0.0 && level.is_finite() {
        let gain = db_to_gain(db) / level;
        samples.iter_mut().for_each(|s| *s *= gain);
    }
}

/// Schroeder reverb: four parallel feedback combs (delays 29.7–43.7 ms, gains set for `rt60`, one-pole damping)
/// into two all-passes; `wet` of the result is mixed with 1 − `wet` of the dry signal.
fn reverb(samples: &mut [f32], sample_rate: u32, rt60: f32, wet: f32) {
    let rate = sample_rate as f32;
    let combs_ms = [29.7f32, 37.1, 41.1, 43.7];
    let mut out = vec![0f32; samples.len()];
    for ms in combs_ms {
        let delay = ((ms / 1000.0) * rate) as usize;
        let gain = 10f32.powf(-3.0 * (ms / 1000.0) / rt60.max(0.05));
        let mut line = vec![0f32; delay.max(1)];
        let mut damped = 0f32;
        for (i, (s, o)) in samples.iter().zip(out.iter_mut()).enumerate() {
            let slot = i % line.len();
            let delayed = line[slot];
            damped = 0.7 * delayed + 0.3 * damped;
            line[slot] = s + gain * damped;
            *o += delayed * 0.25;
        }
    }
    for (ms, g) in [(5.0f32, 0.7f32), (1.7, 0.7)] {
        let delay = (((ms / 1000.0) * rate) as usize).max(1);
        let mut line = vec![0f32; delay];
        for (i, o) in out.iter_mut().enumerate() {
            let slot = i % delay;
            let delayed = line[slot];
            let input = *o + g * delayed;
            line[slot] = input;
            *o = delayed - g * input;
        }
    }
    let wet_level = rms(&out);
    let dry_level = rms(samples);
    let match_gain = if wet_level > 0.0 { dry_level / wet_level } else { 0.0 };
    for (s, w) in samples.iter_mut().zip(&out) {
        *s = (1.0 - wet) * *s + wet * w * match_gain;
    }
}

/// A feed-forward RMS compressor (10 ms attack, 150 ms release): gain reduction above `threshold_db` under
/// the loudest 50 ms RMS, by `ratio`.
fn compress(samples: &mut [f32], sample_rate: u32, threshold_db: f32, ratio: f32) {
    let rate = sample_rate as f32;
    let frame = (sample_rate as usize / 20).max(1);
    let loudest = samples.chunks(frame).map(rms).fold(0f32, f32::max);
    if loudest <= 0.0 {
        return;
    }
    let threshold = loudest * db_to_gain(-threshold_db.abs());
    let attack = (-1.0 / (0.010 * rate)).exp();
    let release = (-1.0 / (0.150 * rate)).exp();
    let mut envelope = 0f32;
    for s in samples.iter_mut() {
        let power = *s * *s;
        let coefficient = if power > envelope { attack } else { release };
        envelope = coefficient * envelope + (1.0 - coefficient) * power;
        let level = envelope.sqrt();
        if level > threshold {
            let over_db = 20.0 * (level / threshold).log10();
            *s *= db_to_gain(-over_db * (1.0 - 1.0 / ratio.max(1.0)));
        }
    }
}

/// One-pole low-pass at `hz`.
fn low_pass(samples: &mut [f32], sample_rate: u32, hz: f32) {
    let a = (-std::f32::consts::TAU * hz / sample_rate as f32).exp();
    let mut y = 0f32;
    for s in samples.iter_mut() {
        y = (1.0 - a) * *s + a * y;
        *s = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, seconds: f32, hz: f32, amplitude: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| amplitude * (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn active_level_ignores_rests() {
        let rate = 16_000;
        let mut x = tone(rate, 1.0, 440.0, 0.5);
        x.extend(vec![0.0; 16_000 * 3]);
        set_active_level(&mut x, rate, -20.0);
        let playing = rms(&x[..16_000]);
        assert!((20.0 * playing.log10() + 20.0).abs() < 0.3, "{playing}");
    }

    #[test]
    fn room_leaves_a_tail_and_compression_narrows_the_range() {
        let rate = 16_000;
        let mut x = tone(rate, 0.5, 440.0, 0.5);
        x.extend(vec![0.0; 16_000]);
        let polish = Polish { room: Some((1.2, 0.4)), ..Polish::default() };
        polish.apply(&mut x, rate);
        assert!(rms(&x[12_000..16_000]) > 1e-3, "a 1.2 s room rings on after the note");

        let mut loud_soft = tone(rate, 0.5, 440.0, 0.8);
        loud_soft.extend(tone(rate, 0.5, 440.0, 0.05));
        let before = rms(&loud_soft[..8000]) / rms(&loud_soft[8000..]);
        Polish { compression: Some((24.0, 4.0)), ..Polish::default() }.apply(&mut loud_soft, rate);
        let after = rms(&loud_soft[2000..8000]) / rms(&loud_soft[10_000..]);
        assert!(after < before / 2.0, "compression: {before} → {after}");

        let mut bright = tone(rate, 0.5, 6000.0, 0.5);
        Polish { low_pass_hz: Some(2000.0), ..Polish::default() }.apply(&mut bright, rate);
        assert!(rms(&bright) < 0.5 * 0.707 * 0.5, "a 2 kHz low-pass dulls 6 kHz");

        let mut silent = vec![0f32; 1000];
        Polish { noise: Some((30.0, 1)), ..Polish::default() }.apply(&mut silent, rate);
        assert!(silent.iter().all(|s| *s == 0.0), "noise is relative to the signal: silence stays silent");
    }
}
