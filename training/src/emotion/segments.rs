//! Cutting a track's log-mel features into the paper's fixed-size segments, and SpecAugment masking.
//!
//! The paper compares segments of 1, 3, 5 and 10 s but keeps every segment image 216 frames × 128 mels by
//! adapting the hop (and n_fft) to the segment length: a longer segment is a coarser picture of more music, so the
//! autoencoder's input size never changes. Features are `log10(S + 1)` of a power mel spectrogram.

use earmark_core::frontend::{Compression, FrontendConfig};
use ndarray::{Array2, ArrayView2, s};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Frames per segment image (the paper's 216).
pub const SEGMENT_FRAMES: usize = 216;
/// Mel bands (the paper's 128).
pub const SEGMENT_MELS: usize = 128;

/// How long a segment is, and therefore how the frontend is configured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmentPlan {
    /// Segment length in seconds (the paper: 1, 3, 5 or 10).
    pub seconds: f32,
    /// Sample rate the frontend runs at.
    pub sample_rate: u32,
}

impl SegmentPlan {
    /// A plan for `seconds`-long segments at 22.05 kHz (librosa's default rate, the paper's setting).
    pub fn new(seconds: f32) -> Self {
        Self { seconds, sample_rate: 22_050 }
    }

    /// Hop in samples so that a segment is [`SEGMENT_FRAMES`] frames long.
    pub fn hop(&self) -> usize {
        ((self.seconds * self.sample_rate as f32) / SEGMENT_FRAMES as f32).round().max(1.0) as usize
    }

    /// The frontend: n_fft is the power of two at or above four hops (at least 512, at most 4096), so each frame
    /// overlaps its neighbours by about three quarters whatever the segment length (3 s → hop 306, n_fft 2048).
    pub fn frontend(&self) -> FrontendConfig {
        let hop = self.hop();
        FrontendConfig {
            sample_rate: self.sample_rate,
            n_fft: (4 * hop).next_power_of_two().clamp(512, 4096),
            hop_length: hop,
            n_mels: SEGMENT_MELS,
            compression: Compression::Log10Offset { delta: 1.0 },
            ..FrontendConfig::default()
        }
    }

    /// Contiguous, non-overlapping segments of `features` (frames × mels); a last partial segment is dropped.
    pub fn segments(&self, features: ArrayView2<'_, f32>) -> Vec<Array2<f32>> {
        let count = features.nrows() / SEGMENT_FRAMES;
        (0..count).map(|i| features.slice(s![i * SEGMENT_FRAMES..(i + 1) * SEGMENT_FRAMES, ..]).to_owned()).collect()
    }
}

/// SpecAugment as the paper uses it: one frequency span of up to `max_mels` bands and one time span of up to
/// `max_frames` frames, both filled with the segment's mean (so the mask adds no artificial edge of zeros).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpecAugment {
    /// Widest frequency mask (the paper's F = 30).
    pub max_mels: usize,
    /// Widest time mask (the paper's T = 32).
    pub max_frames: usize,
}

impl Default for SpecAugment {
    fn default() -> Self {
        Self { max_mels: 30, max_frames: 32 }
    }
}

impl SpecAugment {
    /// Masks `segment` (`frames × mels`, row-major) in place.
    pub fn apply(&self, segment: &mut [f32], frames: usize, mels: usize, rng: &mut impl Rng) {
        let mean = segment.iter().sum::<f32>() / segment.len().max(1) as f32;
        let f = rng.random_range(0..=self.max_mels.min(mels));
        let f0 = rng.random_range(0..=mels - f);
        let t = rng.random_range(0..=self.max_frames.min(frames));
        let t0 = rng.random_range(0..=frames - t);
        for frame in 0..frames {
            let row = &mut segment[frame * mels..(frame + 1) * mels];
            if (t0..t0 + t).contains(&frame) {
                row.fill(mean);
            } else {
                row[f0..f0 + f].fill(mean);
            }
        }
    }
}
