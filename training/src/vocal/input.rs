//! The vocal models' input: the paper's fixed-size spectrogram. Audio is unified to 8 s (longer cut, shorter
//! padded with silence), analysed with 25 ms Hamming windows every 11 ms (14 ms overlap) into 140 bands, and the
//! 728 frames are averaged in non-overlapping runs down to 140, giving 140 × 140.
//!
//! The engine feeds the model the raw 728 × 140 frames; standardisation and the time pooling are the first
//! nodes of the exported graph, so the plugin needs nothing model-specific.

use burn::tensor::{Device, Tensor, TensorData};
use earmark_core::frontend::{Compression, FrontendConfig, MelNorm, MelScale, Padding, WindowKind};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::genre::windows::standardization_of;
use crate::onnx::emit;
use crate::onnx::graph::{ExportError, GraphBuilder};

/// Sample rate: EmoDB's own; RAVDESS (48 kHz) is resampled.
pub const SAMPLE_RATE: u32 = 16_000;
/// Seconds every utterance is unified to.
pub const SECONDS: f64 = 8.0;
/// Frequency features per frame.
pub const BANDS: usize = 140;
/// Frames after time pooling.
pub const POOLED_FRAMES: usize = 140;
/// The floor of `power_to_db` (`amin = 1e-10`): what silence (zero padding) looks like.
pub const SILENCE_DB: f32 = -100.0;

/// The vocal frontend: 16 kHz, 25 ms Hamming window (400 samples, zero-padded to a 1024-point FFT so the
/// narrow low mel bands each get several bins), hop 11 ms (176 samples: 25 ms windows with 14 ms overlap),
/// 140 Slaney mel bands to 8 kHz, power in dB.
pub fn frontend() -> FrontendConfig {
    FrontendConfig {
        sample_rate: SAMPLE_RATE,
        n_fft: 1024,
        win_length: Some(400),
        hop_length: 176,
        window: WindowKind::Hamming,
        padding: Padding::Constant,
        n_mels: BANDS,
        fmin: 0.0,
        fmax: None,
        mel_scale: MelScale::Slaney,
        mel_norm: MelNorm::Slaney,
        power: 2.0,
        compression: Compression::PowerToDb { ref_value: 1.0, amin: 1e-10, top_db: None },
    }
}

/// Frames in 8 s (the frontend's centred frame count).
pub fn segment_frames() -> usize {
    frontend().frame_count((SECONDS * f64::from(SAMPLE_RATE)) as usize)
}

/// Non-overlapping average pooling along time as a matrix (`out × frames`, row-major): output `i` averages
/// frames `⌊i·frames/out⌋ .. ⌊(i+1)·frames/out⌋`. 728 frames do not divide into 140, so the runs are 5 or 6
/// frames long; a matrix product does that exactly in burn and ONNX alike.
pub fn pooling_matrix(frames: usize, out: usize) -> Vec<f32> {
    let mut m = vec![0.0f32; out * frames];
    for i in 0..out {
        let run = pooling_run(i, frames, out);
        let weight = 1.0 / run.len() as f32;
        m[i * frames + run.start..i * frames + run.end].iter_mut().for_each(|w| *w = weight);
    }
    m
}

/// The frames output `i` of [`pooling_matrix`] averages (never empty).
fn pooling_run(i: usize, frames: usize, out: usize) -> std::ops::Range<usize> {
    let (start, end) = (i * frames / out, (i + 1) * frames / out);
    start..end.max(start + 1).min(frames)
}

/// An utterance's first 8 s of frames (`frames × bands`, raw dB), padded with silence when shorter.
pub fn unify(features: &Array2<f32>, frames: usize) -> Vec<f32> {
    let bands = features.ncols();
    let mut out = vec![SILENCE_DB; frames * bands];
    for (row, frame) in features.rows().into_iter().take(frames).enumerate() {
        out[row * bands..(row + 1) * bands].iter_mut().zip(frame).for_each(|(o, &v)| *o = v);
    }
    out
}

/// Standardisation and time pooling in front of the spectrogram stream.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpectrogramInput {
    /// Frames fed in (728).
    pub frames: usize,
    /// Bands (140).
    pub mels: usize,
    /// Frames after pooling (140).
    pub pooled: usize,
    /// Mean of the training data (dB).
    pub mean: f32,
    /// Standard deviation of the training data (dB).
    pub std: f32,
}

impl SpectrogramInput {
    /// The paper's shape with the identity standardisation.
    pub fn paper() -> Self {
        Self { frames: segment_frames(), mels: BANDS, pooled: POOLED_FRAMES, mean: 0.0, std: 1.0 }
    }

    /// Fits the standardisation on unified training windows (each `frames × mels`), as the genre models fit
    /// theirs: one mean and deviation over every value.
    pub fn fitted<'a>(mut self, windows: impl IntoIterator<Item = &'a [f32]>) -> Self {
        let s = standardization_of(windows.into_iter().flatten().copied());
        (self.mean, self.std) = (s.mean, s.std);
        self
    }

    /// The network input of one unified window (`pooled × mels`, row-major), computed on the CPU once per
    /// utterance so training does not pool every step (walking the runs, not the 728 × 140 matrix).
    pub fn prepare(&self, window: &[f32]) -> Vec<f32> {
        assert_eq!(window.len(), self.frames * self.mels, "a unified window is frames × mels");
        let scale = 1.0 / self.std;
        let mut out = vec![0.0f32; self.pooled * self.mels];
        for i in 0..self.pooled {
            let run = pooling_run(i, self.frames, self.pooled);
            let w = 1.0 / run.len() as f32;
            for f in run {
                let frame = &window[f * self.mels..(f + 1) * self.mels];
                for (o, &v) in out[i * self.mels..(i + 1) * self.mels].iter_mut().zip(frame) {
                    *o += w * (v - self.mean) * scale;
                }
            }
        }
        out
    }

    /// The same in burn: `[batch, 1, frames, mels]` raw dB → `[batch, 1, pooled, mels]` (what the graph does).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, _, t, m] = x.dims();
        let device = x.device();
        let p = Tensor::<2>::from_data(TensorData::new(pooling_matrix(t, self.pooled), [self.pooled, t]), &device);
        let x = x.sub_scalar(self.mean).div_scalar(self.std);
        let by_band = x.swap_dims(2, 3).reshape([b * m, t]);
        by_band.matmul(p.transpose()).reshape([b, 1, m, self.pooled]).swap_dims(2, 3)
    }

    /// Writes standardisation and pooling from the raw input `x`; returns the pooled value.
    pub fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        let mean = g.initializer("spectrogram.negative_mean", &[], &[-self.mean])?;
        let scale = g.initializer("spectrogram.inverse_std", &[], &[1.0 / self.std])?;
        let centred = emit::add(g, x, &mean);
        let standard = emit::mul(g, &centred, &scale);
        let p = g.initializer(
            "spectrogram.time_pooling",
            &[self.pooled as i64, self.frames as i64],
            &pooling_matrix(self.frames, self.pooled),
        )?;
        Ok(g.node("MatMul", &[&p, &standard], &[]))
    }
}

/// A `[batch, 1, pooled, mels]` batch of prepared inputs.
pub fn batch(prepared: &[&[f32]], pooled: usize, mels: usize, device: &Device) -> Tensor<4> {
    let mut values = Vec::with_capacity(prepared.len() * pooled * mels);
    for p in prepared {
        values.extend_from_slice(p);
    }
    Tensor::from_data(TensorData::new(values, [prepared.len(), 1, pooled, mels]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_seconds_are_728_frames_pooled_into_runs_of_five_or_six() {
        assert_eq!(segment_frames(), 728);
        let p = pooling_matrix(728, 140);
        let mut covered = vec![0usize; 728];
        for i in 0..140 {
            let row = &p[i * 728..(i + 1) * 728];
            let used: Vec<usize> = (0..728).filter(|&f| row[f] > 0.0).collect();
            assert!((5..=6).contains(&used.len()), "run {i} has {} frames", used.len());
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            used.iter().for_each(|&f| covered[f] += 1);
        }
        assert!(covered.iter().all(|&c| c == 1), "every frame in exactly one run");
    }

    #[test]
    fn prepare_equals_the_burn_pooling() {
        let input = SpectrogramInput { frames: 30, mels: 4, pooled: 7, mean: -40.0, std: 12.0 };
        let window: Vec<f32> = (0..120).map(|i| -80.0 + (i as f32 * 0.37).sin() * 30.0).collect();
        let cpu = input.prepare(&window);
        let device = Device::default();
        let x = Tensor::<4>::from_data(TensorData::new(window, [1, 1, 30, 4]), &device);
        let burned = emit::values(input.forward(x));
        for (a, b) in cpu.iter().zip(&burned) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn short_utterances_are_padded_with_silence_and_long_ones_cut() {
        let short = Array2::from_elem((3, 2), -20.0f32);
        let u = unify(&short, 5);
        assert_eq!(&u[..6], &[-20.0; 6]);
        assert_eq!(&u[6..], &[SILENCE_DB; 4]);
        let long = Array2::from_shape_fn((9, 2), |(r, _)| r as f32);
        assert_eq!(unify(&long, 4), vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
    }
}
