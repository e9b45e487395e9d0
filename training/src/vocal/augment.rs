//! Rooms, microphones and noise for the vocal models' training takes, in the log-mel domain.
//!
//! All three corpora are studio recordings; a producer's vocal is not always. A take is re-recorded here by
//! working on its mel power `P = 10^(dB/10)` directly, which is exact for what is linear in power and cheap
//! enough to make copies of every training take: a spectral tilt (a brighter or darker microphone), a late
//! reverberant tail (`R(t) = g·R(t−1) + (1−g)·P(t−1)` with `g` from the room's T60, added at a
//! direct-to-reverberant ratio), and stationary noise at a signal-to-noise ratio against the take's voiced
//! power. One speaker's copies share a room (a speaker in another studio), so the speaker normalisation sees
//! a consistent recording chain, as it would on one track.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::input::SILENCE_DB;

/// One recording chain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Room {
    /// Tilt across the bands, dB from the lowest to the highest band.
    pub tilt_db: f32,
    /// Reverberation time (s) to −60 dB.
    pub t60: f32,
    /// Level of the reverberant tail against the direct sound (linear power ratio).
    pub wet: f32,
    /// Signal-to-noise ratio against the take's voiced power (dB).
    pub snr_db: f32,
}

/// The ranges a room is drawn from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Rooms {
    /// What studios, home booths and live rooms span (the training copies' rooms unless asked otherwise): tilt
    /// ±6 dB, T60 0.2–1.0 s, tail 0.05–0.5 of the direct power, SNR 5–35 dB.
    #[default]
    Wide,
    /// A home vocal booth: the same microphones (tilt ±6 dB), a short decay (T60 0.2–0.4 s, tail 0.05–0.2) and
    /// little noise (SNR 25–40 dB) — where most vocals a producer loads were recorded.
    Booth,
}

impl Rooms {
    /// Whether these are the wide rooms (the default, which run keys leave out).
    pub fn is_wide(&self) -> bool {
        *self == Self::Wide
    }
}

impl Room {
    /// A room drawn from `rooms`' ranges.
    pub fn draw(rooms: Rooms, rng: &mut impl Rng) -> Self {
        let (t60, wet, snr_db) = match rooms {
            Rooms::Wide => (0.2..1.0, 0.05..0.5, 5.0..35.0),
            Rooms::Booth => (0.2..0.4, 0.05..0.2, 25.0..40.0),
        };
        Self {
            tilt_db: rng.random_range(-6.0..6.0),
            t60: rng.random_range(t60),
            wet: rng.random_range(wet),
            snr_db: rng.random_range(snr_db),
        }
    }

    /// The room (from `rooms`) of copy `copy` of `speaker`'s takes (the same for every take of theirs).
    pub fn of(rooms: Rooms, speaker: &str, copy: usize, seed: u64) -> Self {
        let hash =
            speaker.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        let seed = hash ^ seed.wrapping_mul(0x9e37_79b9).wrapping_add(copy as u64);
        Self::draw(rooms, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    /// Re-records `window` (`frames × mels`, dB, frames `hop_seconds` apart) through this room in place.
    /// Frames at the frontend's floor (padding) get the noise too, as a real room's silence would.
    pub fn apply(&self, window: &mut [f32], mels: usize, hop_seconds: f32) {
        if mels == 0 || window.is_empty() {
            return;
        }
        let power: Vec<f32> = window.iter().map(|&v| 10f32.powf(v / 10.0)).collect();
        let frames = window.len() / mels;
        // Noise: flat per mel band (pink-like in Hz, as mel bands widen), at the SNR against the mean power of
        // the frames within 30 dB of the loudest.
        let frame_power: Vec<f32> = power.chunks_exact(mels).map(|f| f.iter().sum::<f32>()).collect();
        let loudest = frame_power.iter().copied().fold(0.0f32, f32::max);
        let voiced: Vec<f32> = frame_power.iter().copied().filter(|&p| p >= loudest * 1e-3).collect();
        let signal = voiced.iter().sum::<f32>() / voiced.len().max(1) as f32;
        let noise = signal * 10f32.powf(-self.snr_db / 10.0) / mels as f32;
        let g = (-6.91 * hop_seconds / self.t60).exp();
        let mut tail = vec![0.0f32; mels];
        for t in 0..frames {
            for m in 0..mels {
                let direct = power[t * mels + m];
                let tilt = 10f32.powf(self.tilt_db * (m as f32 / (mels - 1).max(1) as f32 - 0.5) / 10.0);
                let out = (direct + self.wet * tail[m]) * tilt + noise;
                tail[m] = g * tail[m] + (1.0 - g) * direct;
                window[t * mels + m] = (10.0 * out.max(1e-10).log10()).max(SILENCE_DB);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(frames: usize, mels: usize) -> Vec<f32> {
        let mut w = vec![SILENCE_DB; frames * mels];
        for t in 10..30 {
            for m in 0..mels {
                w[t * mels + m] = -20.0 - m as f32;
            }
        }
        w
    }

    #[test]
    fn noise_fills_the_silence_at_the_snr_and_the_tail_outlasts_the_take() {
        let (frames, mels) = (60, 4);
        let dry = Room { tilt_db: 0.0, t60: 0.5, wet: 0.0, snr_db: 20.0 };
        let mut w = take(frames, mels);
        dry.apply(&mut w, mels, 0.011);
        let power =
            |w: &[f32], t: usize| w[t * mels..(t + 1) * mels].iter().map(|&v| 10f32.powf(v / 10.0)).sum::<f32>();
        let ratio = 10.0 * (power(&take(frames, mels), 15) / power(&w, 50)).log10();
        assert!((ratio - 20.0).abs() < 0.5, "noise {ratio} dB under the voice");
        let wet = Room { wet: 0.5, snr_db: 80.0, ..dry };
        let mut w = take(frames, mels);
        wet.apply(&mut w, mels, 0.011);
        assert!(power(&w, 32) > power(&w, 40) && power(&w, 40) > 1e-7, "a decaying tail after the take ends");
        assert!(w[5 * mels] < -90.0, "nothing before the take but the (here very low) noise");
    }

    #[test]
    fn tilt_brightens_the_top_and_darkens_the_bottom_and_rooms_are_per_speaker() {
        let (frames, mels) = (40, 8);
        let room = Room { tilt_db: 6.0, t60: 0.3, wet: 0.0, snr_db: 90.0 };
        let mut w = take(frames, mels);
        room.apply(&mut w, mels, 0.011);
        let before = take(frames, mels);
        assert!((w[15 * mels + 7] - before[15 * mels + 7] - 3.0).abs() < 0.05);
        assert!((w[15 * mels] - before[15 * mels] + 3.0).abs() < 0.05);
        let of = |speaker, copy| Room::of(Rooms::Wide, speaker, copy, 1);
        assert_eq!(of("savee:DC", 0), of("savee:DC", 0));
        assert_ne!(of("savee:DC", 0), of("savee:JE", 0));
        assert_ne!(of("savee:DC", 0), of("savee:DC", 1));
        // A booth is drawn from its own, narrower ranges.
        for copy in 0..50 {
            let booth = Room::of(Rooms::Booth, "savee:DC", copy, 1);
            assert!(booth.t60 <= 0.4 && booth.wet <= 0.2 && booth.snr_db >= 25.0, "{booth:?}");
        }
    }
}
