//! The vocal models' input: the paper's fixed-size spectrogram. Audio is unified to 8 s (longer cut, shorter
//! padded with silence), analysed with 25 ms Hamming windows every 11 ms (14 ms overlap) into 140 bands, and the
//! 728 frames are averaged in non-overlapping runs down to 140, giving 140 × 140.
//!
//! The engine feeds the model 728 × 140 frontend frames, cut to their voiced part when the manifest says so
//! ([`Preparation`]); level normalisation, standardisation and the time pooling are the first nodes of the
//! exported graph, so the plugin needs nothing else model-specific.

use burn::tensor::{Device, Tensor, TensorData};
use earmark_core::frontend::{Compression, FrontendConfig, MelNorm, MelScale, Padding, WindowKind};
use earmark_core::speaker::SpeakerNorm;
use earmark_core::voicing::Voicing;
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

/// How an utterance's 8 s window is prepared before either stream sees it — the cross-corpus gap in steps:
///
/// - **voicing**: cut to its voiced frames and repeated to fill 8 s ([`Voicing::trim_and_tile`]). Corpora differ
///   in how much silence surrounds a take and how long takes are; the plugin's window is continuous voice. The
///   engine applies the same function (the manifest's `segment.voicing`), so training and plugin agree.
/// - **speaker**: each band's mean over the speaker's prepared windows is subtracted ([`earmark_core::speaker`];
///   the engine keeps a running estimate over the track, `segment.speaker_norm`): speaker, language,
///   microphone and room shift the long-term spectrum far more than emotion does. On its own it keeps a take's
///   loudness against the speaker's average; the level step below takes that out too.
/// - **level**: the window's own mean (every frame and band, dB) is subtracted as the exported graph's first
///   node. Loudness is not a cue that carries: EmoDB's files were levelled by their makers, so its angry takes
///   sit 2 dB *under* their speaker's average and its neutral ones 2.5 dB over, where RAVDESS' angry takes sit
///   9 dB over and its neutral ones 8 dB under — and a producer's vocal is gain-staged and compressed anyway.
///   Both subtractions are of means, so speaker-then-level (the engine) equals level-then-speaker (training).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Preparation {
    /// Cut to the voiced frames (declared in the manifest, done by the engine).
    pub voicing: Option<Voicing>,
    /// Subtract the window's mean level (done inside the graph).
    pub level: bool,
    /// Subtract the speaker's band means (declared in the manifest, a running estimate in the engine).
    #[serde(default)]
    pub speaker: Option<SpeakerNorm>,
}

/// Takes a window's mean level (over every frame and band, in dB) out of it: the graph's first node.
fn subtract_level(window: &mut [f32]) {
    if !window.is_empty() {
        let mean = (window.iter().map(|&v| f64::from(v)).sum::<f64>() / window.len() as f64) as f32;
        window.iter_mut().for_each(|v| *v -= mean);
    }
}

impl Preparation {
    /// First 8 s as they are (Earmark's first vocal models).
    pub const RAW: Self = Self { voicing: None, level: false, speaker: None };
    /// Voiced frames only.
    pub const VOICED: Self = Self { voicing: Some(Voicing::SPEECH), level: false, speaker: None };
    /// Voiced frames at a normalised level.
    pub const LEVEL: Self = Self { level: true, ..Self::VOICED };
    /// Voiced frames, speaker band means out.
    pub const SPEAKER: Self = Self { speaker: Some(SpeakerNorm::DEFAULT), ..Self::VOICED };
    /// Voiced frames, speaker band means out, then the window's own level out.
    pub const SPEAKER_LEVEL: Self = Self { level: true, ..Self::SPEAKER };

    /// Prepares one unified window (`frames × mels`, dB) in place, as engine and graph will (the speaker mean,
    /// which needs every window of a speaker, is [`subtract_speaker_means`]).
    pub fn apply(&self, window: &mut [f32], mels: usize) {
        if let Some(voicing) = &self.voicing {
            voicing.trim_and_tile(window, mels);
        }
        if self.level {
            subtract_level(window);
        }
    }

    /// A prepared window as if its take had lasted only its first `keep` frames: under voicing those frames
    /// repeated (what the engine's cut makes of a short take), otherwise followed by silence; its level taken out
    /// again, as the graph takes out the level of whatever window it is given.
    pub fn shortened(&self, window: &[f32], keep: usize, mels: usize) -> Vec<f32> {
        self.excerpt(window, 0, keep, mels)
    }

    /// A prepared window as if its take had been only the `keep` frames from frame `start` on (wrapping around
    /// the window, which under voicing repeats the voiced stretch anyway), prepared the way the engine prepares a
    /// take that short: see [`Self::shortened`].
    pub fn excerpt(&self, window: &[f32], start: usize, keep: usize, mels: usize) -> Vec<f32> {
        let frames = window.len() / mels.max(1);
        let keep = keep.clamp(1, frames.max(1));
        let mut out = vec![SILENCE_DB; window.len()];
        for t in 0..frames {
            let offset = if self.voicing.is_some() {
                t % keep
            } else if t < keep {
                t
            } else {
                continue;
            };
            let from = (start + offset) % frames;
            out[t * mels..(t + 1) * mels].copy_from_slice(&window[from * mels..(from + 1) * mels]);
        }
        if self.level {
            // The cut is judged by its own level, as in the engine (`apply` took out the whole take's).
            subtract_level(&mut out);
        }
        out
    }

    /// Writes the graph's share (the level) from the raw input `x` (`[batch, 1, frames, mels]`); returns the
    /// value both streams read.
    pub fn emit(&self, g: &mut GraphBuilder, x: &str) -> String {
        if !self.level {
            return x.to_string();
        }
        let level = emit::reduce_mean(g, x, &[1, 2, 3], true);
        g.node("Sub", &[x, &level], &[])
    }
}

/// How a take's speaker estimate (the band means subtracted from it) is formed in training and evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpeakerEstimate {
    /// The mean over every take of the speaker, itself included: the value the engine's running estimate tends to
    /// over a long track.
    #[default]
    AllTakes,
    /// The mean over `count` other takes of the speaker drawn at random (seeded per take): what the running
    /// estimate knows after a few takes, never the take itself — closer to a track's first minute. A speaker with
    /// one take is its own estimate, as the running estimate starts from the first segment.
    OtherTakes {
        /// Takes averaged.
        count: usize,
        /// Seed of the draw.
        seed: u64,
    },
}

impl SpeakerEstimate {
    /// Whether this is [`SpeakerEstimate::AllTakes`] (run keys leave it out, so runs made before the option keep
    /// their keys).
    pub fn is_all_takes(&self) -> bool {
        *self == Self::AllTakes
    }
}

/// Subtracts from each prepared window (`frames × mels`) its speaker estimate: the mean of the band means of the
/// speaker's windows that `estimate` picks. `windows` pairs each window with its speaker's name.
pub fn subtract_speaker_means<'a>(
    windows: impl IntoIterator<Item = (&'a mut Vec<f32>, &'a str)>,
    mels: usize,
    estimate: SpeakerEstimate,
) {
    use rand::SeedableRng;
    use std::collections::HashMap;
    let windows: Vec<(&mut Vec<f32>, &str)> = windows.into_iter().collect();
    let band_means: Vec<Vec<f32>> = windows
        .iter()
        .map(|(window, _)| {
            let mut means = vec![0.0f32; mels];
            earmark_core::speaker::band_means(window, mels, &mut means);
            means
        })
        .collect();
    let mut takes: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, speaker)) in windows.iter().enumerate() {
        takes.entry(speaker).or_default().push(i);
    }
    let average = |picked: &mut dyn Iterator<Item = usize>| {
        let (mut sum, mut count) = (vec![0.0f64; mels], 0usize);
        for i in picked {
            sum.iter_mut().zip(&band_means[i]).for_each(|(s, &m)| *s += f64::from(m));
            count += 1;
        }
        sum.iter().map(|s| (s / count as f64) as f32).collect::<Vec<f32>>()
    };
    let all: HashMap<&str, Vec<f32>> =
        takes.iter().map(|(speaker, own)| (*speaker, average(&mut own.iter().copied()))).collect();
    for (i, (window, speaker)) in windows.into_iter().enumerate() {
        let own = &takes[speaker];
        let estimate = match estimate {
            SpeakerEstimate::OtherTakes { count, seed } if own.len() > 1 && count > 0 => {
                let others: Vec<usize> = own.iter().copied().filter(|&j| j != i).collect();
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9));
                let picked = rand::seq::index::sample(&mut rng, others.len(), count.min(others.len()));
                average(&mut picked.into_iter().map(|k| others[k]))
            }
            SpeakerEstimate::OtherTakes { .. } if own.len() == 1 => band_means[i].clone(),
            _ => all[speaker].clone(),
        };
        earmark_core::speaker::subtract(window, &estimate);
    }
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
        let standard = emit::standardize(g, "spectrogram", x, (&[-self.mean], &[1.0 / self.std]), &[])?;
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

#[cfg(test)]
mod preparation_tests {
    use super::*;

    /// A `frames × 2` window: `voiced` frames of a speaker's voice (`offset` dB on band 0, the other band 10 dB
    /// under it, moving a little with time) amid the recording's noise floor 70 dB under the voice.
    fn take(frames: usize, voiced: std::ops::Range<usize>, offset: f32) -> Vec<f32> {
        let mut w = vec![offset - 70.0; frames * 2];
        for t in voiced {
            w[2 * t] = offset + (t % 3) as f32;
            w[2 * t + 1] = offset - 10.0 + (t % 2) as f32;
        }
        w
    }

    #[test]
    fn a_speakers_long_term_spectrum_is_taken_out_and_their_takes_keep_their_differences() {
        // Speaker b records 20 dB hotter with a brighter microphone (band 1 another 6 dB up).
        let a = [take(40, 10..20, -40.0), take(40, 12..26, -30.0)];
        let mut b = [take(40, 10..20, -20.0), take(40, 12..26, -10.0)];
        b.iter_mut().for_each(|w| w.chunks_exact_mut(2).for_each(|f| f[1] += 6.0));
        let prepared = |w: &[f32]| {
            let mut w = w.to_vec();
            Preparation::SPEAKER.apply(&mut w, 2);
            Some(w)
        };
        let mut windows: Vec<Option<Vec<f32>>> = a.iter().chain(&b).map(|w| prepared(w)).collect();
        windows.push(None);
        let speakers = ["a", "a", "b", "b", "c"];
        let pairs = windows.iter_mut().zip(speakers).filter_map(|(w, s)| Some((w.as_mut()?, s)));
        subtract_speaker_means(pairs, 2, SpeakerEstimate::AllTakes);
        assert_eq!(windows[0], windows[2], "the same take by either speaker reads the same");
        assert_eq!(windows[1], windows[3]);
        let mean = |w: &Option<Vec<f32>>| w.as_ref().unwrap().iter().sum::<f32>() / 80.0;
        assert!(mean(&windows[1]) - mean(&windows[0]) > 9.0, "the louder take stays louder than the quiet one");
        assert!(windows[4].is_none());
    }

    /// With other takes as the estimate, no take is measured against itself: with one other take drawn, each of a
    /// speaker's three takes is shifted by exactly another take's band means, the draw is the same every run, and a
    /// speaker's only take is its own estimate.
    #[test]
    fn an_estimate_from_other_takes_never_includes_the_take() {
        let levels = [-40.0, -25.0, -10.0];
        let raw: Vec<Vec<f32>> = levels.iter().map(|&l| vec![l; 8]).collect();
        let run = |seed: u64| {
            let mut windows = raw.clone();
            windows.push(vec![-33.0; 8]);
            let speakers = ["a", "a", "a", "b"];
            let estimate = SpeakerEstimate::OtherTakes { count: 1, seed };
            subtract_speaker_means(windows.iter_mut().zip(speakers), 2, estimate);
            windows
        };
        let out = run(7);
        for (i, window) in out[..3].iter().enumerate() {
            let shift = raw[i][0] - window[0];
            let from = levels.iter().position(|&l| l == shift).expect("shifted by one take's level");
            assert_ne!(from, i, "take {i} measured against itself");
        }
        assert_eq!(out, run(7), "the draw is seeded");
        assert_eq!(out[3], vec![0.0; 8], "a lone take is its own estimate");
        let all = {
            let mut windows = raw.clone();
            subtract_speaker_means(windows.iter_mut().zip(["a", "a", "a"]), 2, SpeakerEstimate::AllTakes);
            windows
        };
        assert_eq!(all[0], vec![-15.0; 8], "every take: the mean level, −25 dB");
    }

    #[test]
    fn an_excerpt_is_a_stretch_of_the_take_repeated_and_levelled_as_the_engine_would_a_take_that_short() {
        // Ten frames of two bands, frame t at t dB.
        let window: Vec<f32> = (0..10).flat_map(|t| [t as f32, t as f32]).collect();
        let piece = Preparation::LEVEL.excerpt(&window, 8, 3, 2);
        // Frames 8, 9, 0 (wrapping), repeated: 8 9 0 8 9 0 8 9 0 8, mean 5.9 dB taken out.
        let expected: Vec<f32> = [8.0f32, 9.0, 0.0].iter().cycle().take(10).flat_map(|&v| [v - 5.9, v - 5.9]).collect();
        assert!(piece.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-4), "{piece:?}");
        let raw = Preparation::RAW.excerpt(&window, 8, 3, 2);
        assert_eq!(&raw[..6], &[8.0, 8.0, 9.0, 9.0, 0.0, 0.0]);
        assert!(raw[6..].iter().all(|&v| v == SILENCE_DB), "a raw excerpt is followed by silence, its level kept");
        assert_eq!(Preparation::LEVEL.shortened(&window, 3, 2), Preparation::LEVEL.excerpt(&window, 0, 3, 2));
    }

    #[test]
    fn the_level_preparation_makes_a_take_read_the_same_at_any_gain() {
        let mut quiet = take(40, 10..22, -50.0);
        let mut loud = take(40, 10..22, -15.0);
        Preparation::LEVEL.apply(&mut quiet, 2);
        Preparation::LEVEL.apply(&mut loud, 2);
        assert!(quiet.iter().zip(&loud).all(|(a, b)| (a - b).abs() < 1e-4));
        let short = Preparation::LEVEL.shortened(&loud, 3, 2);
        // A voiced window's first frames, repeated, then levelled as a window of their own.
        let tiled: Vec<f32> = (0..40).flat_map(|t| [loud[2 * (t % 3)], loud[2 * (t % 3) + 1]]).collect();
        let mean = tiled.iter().sum::<f32>() / tiled.len() as f32;
        assert!(short.iter().zip(&tiled).all(|(s, t)| (s - (t - mean)).abs() < 1e-4));
        let padded = Preparation::RAW.shortened(&loud, 3, 2);
        assert!(padded[6..].iter().all(|&v| v == SILENCE_DB), "a raw one's, then silence");
        let mut raw = take(40, 10..22, -50.0);
        Preparation::RAW.apply(&mut raw, 2);
        assert_eq!(raw, take(40, 10..22, -50.0), "raw leaves the window alone");
    }
}
