//! EmotionNAS' second, frame-level stream (`../shared/papers/emotionnas-darts-speech-emotion.txt` §2.2): a
//! recurrent network over per-frame features, attention pooling over the frames, fully connected layers and a
//! softmax.
//!
//! The paper feeds wav2vec features. Earmark ships no wav2vec, so the built-in extractor, [`MelProsody`], derives
//! frame features from the same raw log-mel input the spectrogram stream reads: the mel frame itself plus three
//! prosodic measures that the recurrent net would otherwise have to learn from scratch (log energy, a pitch
//! estimate, a harmonicity / voicing measure). It has no trainable parameters and is written into the exported
//! graph, so the plugin feeds one log-mel window to both streams. The trainable part, [`FrameStream`], takes
//! `[batch, time, features]` of any width, so per-file embeddings from an external extractor
//! ([`load_npy_frames`]) can replace the built-in features in training.
//!
//! Training follows §3.3: Adam at 1e-3, the epoch with the lowest validation loss is kept, and [`choose_cell`]
//! keeps the recurrent cell with the lowest validation loss ("we choose the cell structure with the lowest
//! validation loss"); the paper chose among searched cells, we choose among LSTM and GRU.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Gru, GruConfig, Linear, LinearConfig, Lstm, LstmConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::{log_softmax, relu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use earmark_core::frontend::FrontendConfig;
use earmark_core::frontend::mel::{hz_to_mel, mel_to_hz};
use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::input::pooling_matrix;
use crate::emotion::pretrain::{TrainError, derive_seed, epoch_bar};
use crate::onnx::emit;
use crate::onnx::graph::{Dim, ExportError, GraphBuilder};
use crate::onnx::proto::ModelProto;

/// Lowest F0 candidate in Hz: below a low adult male voice (~70 Hz), so it is never at the edge of the grid.
pub const PITCH_MIN_HZ: f64 = 60.0;
/// Highest F0 candidate in Hz: above high female and child speech, and shouted or sung emotional speech.
pub const PITCH_MAX_HZ: f64 = 500.0;
/// F0 candidates, log-spaced: 4.6 % (0.8 semitone) apart, finer than the triangles' resolution at 200 Hz
/// (~10 %), and the soft-argmax interpolates between neighbours anyway.
pub const PITCH_CANDIDATES: usize = 48;
/// Harmonics summed per candidate. 8 harmonics of the highest candidate stay below 4 kHz; above ~2 kHz the
/// slaney mel bands are wider than the harmonic spacing of speech, so more harmonics would only add noise.
pub const HARMONICS: usize = 8;
/// Weight of harmonic `h` is `DECAY^(h−1)`: Hermes' subharmonic-summation compression factor (1988). It makes a
/// candidate an octave too low (which collects every other true harmonic, but further down the series) score
/// below the true F0.
pub const HARMONIC_DECAY: f64 = 0.84;
/// κ in `softmax(κ·ln S)`, i.e. weights `S^κ / Σ S^κ`. With 25 ms windows the harmonics of a low voice are
/// barely resolved (the Hamming main lobe spans ±80 Hz), so candidates an octave or more below the true F0
/// keep 0.6–0.8 of its salience, and the low end of a log grid holds many of them: at κ = 4 their summed weight
/// pulled a 200 Hz tone down to 140 Hz. `0.8^16 ≈ 3 %` silences them, while candidates within a few percent of
/// the peak's salience still share weight, so the contour moves smoothly between grid points (measured: 110,
/// 150, 200, 320 and 450 Hz tones all read within 3 %).
pub const PITCH_SHARPNESS: f32 = 16.0;
/// ε added to powers before a logarithm: the frontend's `amin`, the smallest power it ever reports.
pub const POWER_FLOOR: f32 = 1e-10;
/// Features [`MelProsody`] appends to the mel bands: energy, pitch, voicing.
pub const PROSODY_FEATURES: usize = 3;

const LN_10: f32 = std::f32::consts::LN_10;

const PURPOSE_INIT: u64 = 31;
const PURPOSE_ORDER: u64 = 32;

/// Per-feature z-normalisation of frame features, fitted on training frames and baked into the module and the
/// graph (`Add` of −mean, `Mul` by 1/std), so the plugin feeds raw log-mel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameStandardization {
    /// Mean of each feature.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature (never zero: see [`fit_standardization`]).
    pub std: Vec<f32>,
}

impl FrameStandardization {
    /// The identity over `features` features.
    pub fn identity(features: usize) -> Self {
        Self { mean: vec![0.0; features], std: vec![1.0; features] }
    }

    /// −mean, the constant the graph adds.
    pub fn negative_mean(&self) -> Vec<f32> {
        self.mean.iter().map(|m| -m).collect()
    }

    /// 1/std, the constant the graph multiplies by.
    pub fn inverse_std(&self) -> Vec<f32> {
        self.std.iter().map(|s| 1.0 / s).collect()
    }

    /// Standardises `frames` (`T × features`) in place, with the graph's operations in the graph's order.
    pub fn apply(&self, frames: &mut Array2<f32>) {
        let (shift, scale) = (self.negative_mean(), self.inverse_std());
        for mut row in frames.rows_mut() {
            row.iter_mut().zip(shift.iter().zip(&scale)).for_each(|(v, (a, s))| *v = (*v + a) * s);
        }
    }
}

/// Mean and standard deviation of every feature over every frame of `frames` (each `T × features`).
///
/// A feature that never varies (a mel band the training audio never reaches) gets std 1 rather than a tiny
/// number, so it stays constant instead of turning rounding noise in new audio into huge inputs.
pub fn fit_standardization(frames: &[Array2<f32>]) -> FrameStandardization {
    let features = frames.first().map_or(0, |f| f.ncols());
    let (mut sum, mut square, mut count) = (vec![0.0f64; features], vec![0.0f64; features], 0usize);
    for item in frames {
        for row in item.rows() {
            for (k, &v) in row.iter().enumerate().take(features) {
                sum[k] += f64::from(v);
                square[k] += f64::from(v) * f64::from(v);
            }
            count += 1;
        }
    }
    let n = count.max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let std = square
        .iter()
        .zip(&mean)
        .map(|(q, m)| {
            let s = (q / n - m * m).max(0.0).sqrt();
            if s < 1e-6 { 1.0 } else { s as f32 }
        })
        .collect();
    FrameStandardization { mean: mean.into_iter().map(|m| m as f32).collect(), std }
}

/// The built-in frame-feature extractor: raw log-mel in dB `[batch, 1, frames, mels]` → averaged over time to
/// `pooled` steps ([`POOLED_FRAMES`](super::input::POOLED_FRAMES) as shipped: ~57 ms each, while prosody moves on the syllable scale of
/// 100–250 ms, so little is lost and the recurrence runs 5× fewer steps) → per step the `mels` log-mel values
/// and
/// - **energy**: `10·log10(Σₘ Pₘ + ε)`, the log total mel power (loudness, arousal's strongest cue);
/// - **pitch**: `Σ_c softmax_c(κ·ln(S_c + ε))·log2 f0_c`, a soft argmax of subharmonic-summation salience
///   `S = P·H` over log-spaced F0 candidates, in octaves (intonation: pitch level and range carry arousal and
///   valence);
/// - **voicing**: `ln(max_c S_c + ε) − ln(Σₘ Pₘ + ε)`, the share of the power that lies on the best harmonic
///   comb (voiced speech high, noise and silence low);
///
/// then per-feature standardisation. `P = 10^(dB/10)` is the linear mel power. `H[m, c] = Σₕ 0.84^(h−1) ·
/// triₘ(h·f0_c)` with triₘ mel filter m's peak-normalised triangle: the triangles sum to one at every frequency,
/// so each harmonic contributes the same total weight wherever it falls and S interpolates smoothly in f0.
///
/// No trainable parameters: its constants are plain vectors, rebuilt as tensors in each forward pass.
#[derive(Module, Debug)]
pub struct MelProsody {
    /// [`pooling_matrix`] `[pooled, frames]`.
    #[module(skip)]
    pooling: Vec<f32>,
    /// `H`, `[mels, candidates]` row-major.
    #[module(skip)]
    harmonics: Vec<f32>,
    /// `log2 f0_c`, `[candidates]`.
    #[module(skip)]
    log2_f0: Vec<f32>,
    /// −mean per feature.
    #[module(skip)]
    negative_mean: Vec<f32>,
    /// 1/std per feature.
    #[module(skip)]
    inverse_std: Vec<f32>,
    frames: usize,
    pooled: usize,
    mels: usize,
}

/// The F0 candidates in Hz, log-spaced from [`PITCH_MIN_HZ`] to [`PITCH_MAX_HZ`].
pub fn pitch_candidates() -> Vec<f64> {
    let ratio = (PITCH_MAX_HZ / PITCH_MIN_HZ).ln() / (PITCH_CANDIDATES - 1) as f64;
    (0..PITCH_CANDIDATES).map(|c| PITCH_MIN_HZ * (ratio * c as f64).exp()).collect()
}

/// `H[m, c]` for `frontend`'s mel filters (edges as `librosa.filters.mel` places them), `[mels, candidates]`.
fn harmonic_matrix(frontend: &FrontendConfig, candidates: &[f64]) -> Vec<f32> {
    let scale = frontend.mel_scale;
    let (low, high) = (hz_to_mel(f64::from(frontend.fmin), scale), hz_to_mel(f64::from(frontend.fmax()), scale));
    let points = frontend.n_mels + 2;
    let edges: Vec<f64> =
        (0..points).map(|i| mel_to_hz(low + (high - low) * i as f64 / (points - 1) as f64, scale)).collect();
    let mut h = vec![0.0f32; frontend.n_mels * candidates.len()];
    for m in 0..frontend.n_mels {
        let (left, centre, right) = (edges[m], edges[m + 1], edges[m + 2]);
        for (c, &f0) in candidates.iter().enumerate() {
            let mut weight = 0.0;
            for harmonic in 1..=HARMONICS {
                let f = harmonic as f64 * f0;
                let rise = (f - left) / (centre - left);
                let fall = (right - f) / (right - centre);
                weight += HARMONIC_DECAY.powi(harmonic as i32 - 1) * rise.min(fall).max(0.0);
            }
            h[m * candidates.len() + c] = weight as f32;
        }
    }
    h
}

impl MelProsody {
    /// The extractor for `frames × frontend.n_mels` windows of `frontend`'s output, pooled to `pooled` steps,
    /// with no standardisation yet ([`Self::with_standardization`]).
    pub fn new(frontend: &FrontendConfig, frames: usize, pooled: usize) -> Result<Self, String> {
        if pooled == 0 || pooled > frames {
            return Err(format!("cannot pool {frames} frames to {pooled}"));
        }
        if frontend.n_mels == 0 || frontend.fmax() <= frontend.fmin {
            return Err("the frontend has no mel bands to read pitch from".into());
        }
        let candidates = pitch_candidates();
        let features = frontend.n_mels + PROSODY_FEATURES;
        Ok(Self {
            pooling: pooling_matrix(frames, pooled),
            harmonics: harmonic_matrix(frontend, &candidates),
            log2_f0: candidates.iter().map(|f| f.log2() as f32).collect(),
            negative_mean: vec![0.0; features],
            inverse_std: vec![1.0; features],
            frames,
            pooled,
            mels: frontend.n_mels,
        })
    }

    /// The same extractor, standardising with `s` (which must have [`Self::features`] entries).
    pub fn with_standardization(self, s: &FrameStandardization) -> Result<Self, String> {
        if s.mean.len() != self.features() || s.std.len() != self.features() {
            return Err(format!("a standardisation of {} features for {} features", s.mean.len(), self.features()));
        }
        Ok(Self { negative_mean: s.negative_mean(), inverse_std: s.inverse_std(), ..self })
    }

    /// Features per step: the mel bands and [`PROSODY_FEATURES`].
    pub fn features(&self) -> usize {
        self.mels + PROSODY_FEATURES
    }

    /// Input frames per window.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Output steps per window.
    pub fn pooled(&self) -> usize {
        self.pooled
    }

    /// Mel bands of the input.
    pub fn mels(&self) -> usize {
        self.mels
    }

    fn constant<const D: usize>(values: &[f32], shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
    }

    /// Raw log-mel `[batch, 1, frames, mels]` → standardised features `[batch, pooled, mels + 3]`.
    pub fn forward(&self, logmel: Tensor<4>) -> Tensor<3> {
        let [batch, _, frames, mels] = logmel.dims();
        let device = logmel.device();
        let candidates = self.log2_f0.len();
        let pooling: Tensor<3> = Self::constant(&self.pooling, [1, self.pooled, frames], &device);
        let db = pooling.matmul(logmel.reshape([batch, frames, mels]));
        let power = db.clone().mul_scalar(LN_10 / 10.0).exp();
        let log_total = power.clone().sum_dim(2).add_scalar(POWER_FLOOR).log();
        let energy = log_total.clone().mul_scalar(10.0 / LN_10);
        let harmonics: Tensor<3> = Self::constant(&self.harmonics, [1, mels, candidates], &device);
        let log_salience = power.matmul(harmonics).add_scalar(POWER_FLOOR).log();
        let weights = softmax(log_salience.clone().mul_scalar(PITCH_SHARPNESS), 2);
        let pitch = weights.matmul(Self::constant(&self.log2_f0, [1, candidates, 1], &device));
        let voicing = log_salience.max_dim(2) - log_total;
        let features = Tensor::cat(vec![db, energy, pitch, voicing], 2);
        let d = self.features();
        let shift: Tensor<3> = Self::constant(&self.negative_mean, [1, 1, d], &device);
        let scale: Tensor<3> = Self::constant(&self.inverse_std, [1, 1, d], &device);
        (features + shift) * scale
    }

    /// Writes [`Self::forward`] into `g` (constants named `{name}.…`); returns the `[batch, pooled, features]`
    /// value.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, logmel: &str) -> Result<String, ExportError> {
        let (frames, mels, candidates) = (self.frames as i64, self.mels as i64, self.log2_f0.len() as i64);
        let x = emit::reshape(g, logmel, &[0, frames, mels]);
        let pooling = g.initializer(&format!("{name}.pooling"), &[self.pooled as i64, frames], &self.pooling)?;
        let db = g.node("MatMul", &[&pooling, &x], &[]);
        let to_power = g.initializer(&format!("{name}.db_to_ln_power"), &[], &[LN_10 / 10.0])?;
        let ln_power = emit::mul(g, &db, &to_power);
        let power = g.node("Exp", &[&ln_power], &[]);
        let floor = g.initializer(&format!("{name}.power_floor"), &[], &[POWER_FLOOR])?;
        let ones = g.initializer(&format!("{name}.ones"), &[mels, 1], &vec![1.0; self.mels])?;
        let total = g.node("MatMul", &[&power, &ones], &[]);
        let total = emit::add(g, &total, &floor);
        let log_total = g.node("Log", &[&total], &[]);
        let to_db = g.initializer(&format!("{name}.ln_to_db"), &[], &[10.0 / LN_10])?;
        let energy = emit::mul(g, &log_total, &to_db);
        let harmonics = g.initializer(&format!("{name}.harmonics"), &[mels, candidates], &self.harmonics)?;
        let salience = g.node("MatMul", &[&power, &harmonics], &[]);
        let salience = emit::add(g, &salience, &floor);
        let log_salience = g.node("Log", &[&salience], &[]);
        let kappa = g.initializer(&format!("{name}.pitch_sharpness"), &[], &[PITCH_SHARPNESS])?;
        let sharpened = emit::mul(g, &log_salience, &kappa);
        let weights = emit::softmax(g, &sharpened, 2);
        let log2_f0 = g.initializer(&format!("{name}.log2_f0"), &[candidates, 1], &self.log2_f0)?;
        let pitch = g.node("MatMul", &[&weights, &log2_f0], &[]);
        let peak = emit::reduce_max(g, &log_salience, &[2], true);
        let voicing = g.node("Sub", &[&peak, &log_total], &[]);
        let features = emit::concat(g, &[&db, &energy, &pitch, &voicing], 2);
        let d = self.features() as i64;
        let shift = g.initializer(&format!("{name}.negative_mean"), &[d], &self.negative_mean)?;
        let scale = g.initializer(&format!("{name}.inverse_std"), &[d], &self.inverse_std)?;
        let centred = emit::add(g, &features, &shift);
        Ok(emit::mul(g, &centred, &scale))
    }
}

/// Runs `prosody` (no autodiff) over log-mel windows (each `frames × mels`, the frontend's layout) in batches
/// of `batch_size`: the recurrent stream's training features, computed once instead of every epoch.
pub fn prosody_frames(
    prosody: &MelProsody,
    windows: &[Array2<f32>],
    batch_size: usize,
) -> Result<Vec<Array2<f32>>, TrainError> {
    let device = Device::default();
    let (frames, mels) = (prosody.frames(), prosody.mels());
    if let Some(w) = windows.iter().find(|w| w.dim() != (frames, mels)) {
        return Err(TrainError::Invalid(format!("a {:?} window for a {frames}×{mels} extractor", w.dim())));
    }
    let mut out = Vec::with_capacity(windows.len());
    for chunk in windows.chunks(batch_size.max(1)) {
        let data: Vec<f32> = chunk.iter().flat_map(|w| w.iter().copied()).collect();
        let x = Tensor::from_data(TensorData::new(data, [chunk.len(), 1, frames, mels]), &device);
        let y = emit::values(prosody.forward(x));
        let per = prosody.pooled() * prosody.features();
        for item in y.chunks_exact(per) {
            let item = Array2::from_shape_vec((prosody.pooled(), prosody.features()), item.to_vec())
                .expect("the extractor's output has pooled × features values per item");
            out.push(item);
        }
    }
    Ok(out)
}

/// Why external frame features could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FramesError {
    /// The `.npy` file is missing, unreadable, or not a 2-D float32 array.
    #[error("reading frame features {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: ndarray_npy::ReadNpyError,
    },
    /// The file holds no frames or no features: nothing for a recurrent net to read.
    #[error("frame features {path} are empty ({rows}×{cols})")]
    Empty {
        /// The file.
        path: PathBuf,
        /// Frames.
        rows: usize,
        /// Features per frame.
        cols: usize,
    },
}

/// Per-file embeddings from an external extractor (wav2vec, …): `dir/{item_stem}.npy`, a `T × D` float32 array,
/// fed to [`FrameStream`] in place of [`MelProsody`]'s features.
pub fn load_npy_frames(dir: &Path, item_stem: &str) -> Result<Array2<f32>, FramesError> {
    let path = dir.join(format!("{item_stem}.npy"));
    let frames: Array2<f32> =
        ndarray_npy::read_npy(&path).map_err(|source| FramesError::Read { path: path.clone(), source })?;
    if frames.is_empty() {
        let (rows, cols) = frames.dim();
        return Err(FramesError::Empty { path, rows, cols });
    }
    Ok(frames)
}

/// The recurrent cell of the frame stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RecurrentCell {
    /// Long short-term memory.
    Lstm,
    /// Gated recurrent unit (burn's default `reset_after`, ONNX `linear_before_reset = 1`).
    Gru,
}

impl RecurrentCell {
    /// Both cells, in the order [`choose_cell`] tries them.
    pub const ALL: [Self; 2] = [Self::Lstm, Self::Gru];

    /// The name in reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lstm => "LSTM",
            Self::Gru => "GRU",
        }
    }
}

/// Shape of the frame stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameStreamConfig {
    /// Features per frame (`mels + 3` for [`MelProsody`], the embedding width for external features).
    pub input: usize,
    /// Units of each recurrent layer (the paper's best wav2vec setting has 256; 64 fits a CPU budget).
    pub hidden: usize,
    /// Stacked recurrent layers (the paper's best: 2).
    pub layers: usize,
    /// The cell.
    pub cell: RecurrentCell,
    /// Width of the attention's hidden layer.
    pub attention: usize,
    /// Width of the fully connected layer before the classifier.
    pub fc: usize,
    /// Output classes.
    pub classes: usize,
}

impl FrameStreamConfig {
    /// The defaults (64 hidden units, 2 LSTM layers, 32-wide attention and FC) for `input` features.
    pub fn new(input: usize, classes: usize) -> Self {
        Self { input, hidden: 64, layers: 2, cell: RecurrentCell::Lstm, attention: 32, fc: 32, classes }
    }

    /// Checks sizes before any tensor is made.
    pub fn validate(&self) -> Result<(), String> {
        if self.classes < 2 {
            return Err(format!("{} classes: a classifier needs at least two", self.classes));
        }
        if [self.input, self.hidden, self.layers, self.attention, self.fc].contains(&0) {
            return Err(format!("every size of the frame stream must be positive: {self:?}"));
        }
        Ok(())
    }

    /// A freshly initialised stream.
    pub fn init(&self, device: &Device) -> Result<FrameStream, String> {
        self.validate()?;
        let layers = (0..self.layers)
            .map(|i| {
                let input = if i == 0 { self.input } else { self.hidden };
                match self.cell {
                    RecurrentCell::Lstm => RecurrentLayer::Lstm(LstmConfig::new(input, self.hidden, true).init(device)),
                    RecurrentCell::Gru => RecurrentLayer::Gru(GruConfig::new(input, self.hidden, true).init(device)),
                }
            })
            .collect();
        Ok(FrameStream {
            layers,
            attention: LinearConfig::new(self.hidden, self.attention).init(device),
            score: LinearConfig::new(self.attention, 1).with_bias(false).init(device),
            fc: LinearConfig::new(self.hidden, self.fc).init(device),
            output: LinearConfig::new(self.fc, self.classes).init(device),
        })
    }
}

/// One recurrent layer (batch-first). (An LSTM has four gates to a GRU's three, hence the variants' sizes; a
/// stream holds one or two layers, so boxing would buy nothing.)
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum RecurrentLayer {
    /// An LSTM.
    Lstm(Lstm),
    /// A GRU.
    Gru(Gru),
}

impl RecurrentLayer {
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        match self {
            Self::Lstm(lstm) => lstm.forward(x, None).0,
            Self::Gru(gru) => gru.forward(x, None),
        }
    }

    fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str) -> Result<String, ExportError> {
        Ok(match self {
            Self::Lstm(lstm) => emit::lstm(g, name, x, lstm)?.sequence,
            Self::Gru(gru) => emit::gru(g, name, x, gru)?.sequence,
        })
    }
}

/// The trainable frame stream: stacked recurrent layers → attention pooling over time (`e_t = vᵀ·tanh(W·h_t +
/// b)`, `a = softmax_t(e)`, `z = Σ_t a_t·h_t`: frames differ in how much they say about emotion) → FC + ReLU →
/// classifier.
#[derive(Module, Debug)]
pub struct FrameStream {
    /// The recurrent layers, input first.
    pub layers: Vec<RecurrentLayer>,
    /// `W`, `b` of the attention.
    pub attention: Linear,
    /// `v` of the attention (no bias: a constant shift of every score leaves the softmax unchanged).
    pub score: Linear,
    /// The fully connected layer.
    pub fc: Linear,
    /// The classifier.
    pub output: Linear,
}

impl FrameStream {
    /// `[batch, time, features]` → the recurrent states `[batch, time, hidden]` and the attention weights
    /// `[batch, time]`.
    pub fn attend(&self, x: Tensor<3>) -> (Tensor<3>, Tensor<2>) {
        let h = self.layers.iter().fold(x, |x, layer| layer.forward(x));
        let [batch, time, _] = h.dims();
        let scores: Tensor<2> = self.score.forward(self.attention.forward(h.clone()).tanh()).reshape([batch, time]);
        (h, softmax(scores, 1))
    }

    /// `[batch, time, features]` → logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let (h, weights) = self.attend(x);
        let [batch, time, hidden] = h.dims();
        let pooled: Tensor<2> = weights.reshape([batch, 1, time]).matmul(h).reshape([batch, hidden]);
        self.output.forward(relu(self.fc.forward(pooled)))
    }

    /// Class probabilities (softmax of [`Self::forward`]).
    pub fn probabilities(&self, x: Tensor<3>) -> Tensor<2> {
        softmax(self.forward(x), 1)
    }

    /// Output classes.
    pub fn classes(&self) -> usize {
        self.output.weight.dims()[1]
    }

    /// Features per frame it reads.
    pub fn input(&self) -> usize {
        match self.layers.first() {
            Some(RecurrentLayer::Lstm(l)) => l.input_gate.input_transform.weight.dims()[0],
            Some(RecurrentLayer::Gru(g)) => g.update_gate.input_transform.weight.dims()[0],
            None => self.fc.weight.dims()[0],
        }
    }

    /// Writes [`Self::forward`] into `g` (weights named `{name}.…`); returns the logits value.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str) -> Result<String, ExportError> {
        let mut h = x.to_string();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.emit(g, &format!("{name}.rnn{i}"), &h)?;
        }
        let e = emit::linear(g, &format!("{name}.attention"), &h, &self.attention, 3)?;
        let e = emit::tanh(g, &e);
        let scores = emit::linear(g, &format!("{name}.score"), &e, &self.score, 3)?;
        let scores = emit::reshape(g, &scores, &[0, -1]);
        let weights = emit::softmax(g, &scores, 1);
        let weights = emit::reshape(g, &weights, &[0, 1, -1]);
        let pooled = g.node("MatMul", &[&weights, &h], &[]);
        let pooled = emit::reshape(g, &pooled, &[0, -1]);
        let fc = emit::linear(g, &format!("{name}.fc"), &pooled, &self.fc, 2)?;
        let fc = emit::relu(g, &fc);
        emit::linear(g, &format!("{name}.output"), &fc, &self.output, 2)
    }
}

/// The whole frame stream as shipped: raw log-mel → [`MelProsody`] → [`FrameStream`].
#[derive(Module, Debug)]
pub struct FrameModel {
    /// The feature extractor (with its standardisation).
    pub prosody: MelProsody,
    /// The trained stream.
    pub stream: FrameStream,
}

impl FrameModel {
    /// Pairs an extractor with a stream trained on its features.
    pub fn new(prosody: MelProsody, stream: FrameStream) -> Result<Self, String> {
        if stream.input() != prosody.features() {
            return Err(format!("a stream over {} features for {} features", stream.input(), prosody.features()));
        }
        Ok(Self { prosody, stream })
    }

    /// Raw log-mel `[batch, 1, frames, mels]` → logits `[batch, classes]`.
    pub fn forward(&self, logmel: Tensor<4>) -> Tensor<2> {
        self.stream.forward(self.prosody.forward(logmel))
    }

    /// Class probabilities (softmax of [`Self::forward`]).
    pub fn probabilities(&self, logmel: Tensor<4>) -> Tensor<2> {
        softmax(self.forward(logmel), 1)
    }

    /// Writes the whole stream into `g` from the raw log-mel value `x`; returns the `[batch, classes]`
    /// probabilities value, so it composes with the spectrogram stream and the fusion in one graph. Its
    /// constants and weights are named `frames.…`.
    pub fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        let features = self.prosody.emit(g, "frames.prosody", x)?;
        let logits = self.stream.emit(g, "frames.stream", &features)?;
        Ok(emit::softmax(g, &logits, 1))
    }

    /// The stream on its own: `logmel [batch, 1, frames, mels]` → `probabilities [batch, classes]`.
    pub fn export(&self, producer: &str) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new("vocal_frames");
        let x = g.input(
            "logmel",
            &[
                Dim::Dynamic("batch"),
                Dim::Fixed(1),
                Dim::Fixed(self.prosody.frames() as i64),
                Dim::Fixed(self.prosody.mels() as i64),
            ],
        );
        self.emit(&mut g, &x)?;
        let y = g.rename_last_output("probabilities");
        g.output(&y, &[Dim::Dynamic("batch"), Dim::Fixed(self.stream.classes() as i64)]);
        Ok(g.finish(producer))
    }
}

/// How to train the frame stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameTraining {
    /// Epochs (the paper: 50).
    pub epochs: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Adam's learning rate (the paper: 1e-3).
    pub learning_rate: f64,
    /// Seed of initial weights and data order.
    pub seed: u64,
}

impl Default for FrameTraining {
    fn default() -> Self {
        Self { epochs: 50, batch_size: 32, learning_rate: 1e-3, seed: 0 }
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameEpoch {
    /// Mean training cross-entropy.
    pub loss: f64,
    /// Mean validation cross-entropy.
    pub validation_loss: f64,
}

/// A trained stream and how it got there.
#[derive(Debug)]
pub struct FrameRun {
    /// The weights of the epoch with the lowest validation loss (no autodiff).
    pub stream: FrameStream,
    /// Every epoch's figures.
    pub history: Vec<FrameEpoch>,
    /// The kept epoch (1-based).
    pub best_epoch: usize,
    /// Its validation loss.
    pub validation_loss: f64,
}

/// Labelled sequences (`T × D` frames, class); sequences may differ in length.
pub type Sequences = [(Array2<f32>, usize)];

/// Batches of equal-length sequences: recurrent layers take no mask, so a batch never mixes lengths (with
/// [`MelProsody`] every sequence has [`POOLED_FRAMES`](super::input::POOLED_FRAMES) steps and this is plain chunking).
fn batches(items: &Sequences, size: usize, rng: Option<&mut ChaCha8Rng>) -> Vec<Vec<usize>> {
    let mut by_length: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, (frames, _)) in items.iter().enumerate() {
        by_length.entry(frames.nrows()).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    match rng {
        Some(rng) => {
            for group in by_length.values_mut() {
                group.shuffle(rng);
                out.extend(group.chunks(size.max(1)).map(<[usize]>::to_vec));
            }
            out.shuffle(rng);
        }
        None => by_length.values().for_each(|group| out.extend(group.chunks(size.max(1)).map(<[usize]>::to_vec))),
    }
    out
}

fn batch_tensor(items: &Sequences, batch: &[usize], device: &Device) -> (Tensor<3>, Tensor<1, Int>) {
    let (time, features) = items[batch[0]].0.dim();
    let data: Vec<f32> = batch.iter().flat_map(|&i| items[i].0.iter().copied()).collect();
    let targets: Vec<i64> = batch.iter().map(|&i| items[i].1 as i64).collect();
    (
        Tensor::from_data(TensorData::new(data, [batch.len(), time, features]), device),
        Tensor::from_data(TensorData::new(targets, [batch.len()]), device),
    )
}

/// Mean cross-entropy of `stream` (no autodiff) over `items`.
pub fn frame_loss(stream: &FrameStream, items: &Sequences, batch_size: usize) -> f64 {
    let device = Device::default();
    let (mut total, mut count) = (0.0f64, 0usize);
    for batch in batches(items, batch_size, None) {
        let (x, _) = batch_tensor(items, &batch, &device);
        let log_p = emit::values(log_softmax(stream.forward(x), 1));
        let classes = log_p.len() / batch.len();
        for (row, &i) in log_p.chunks_exact(classes).zip(&batch) {
            total -= f64::from(row[items[i].1]);
            count += 1;
        }
    }
    total / count.max(1) as f64
}

fn check_sequences(config: &FrameStreamConfig, items: &Sequences, what: &str) -> Result<(), TrainError> {
    if items.is_empty() {
        return Err(TrainError::Invalid(format!("the frame stream needs {what} sequences")));
    }
    for (frames, class) in items {
        if frames.ncols() != config.input || frames.nrows() == 0 {
            return Err(TrainError::Invalid(format!(
                "a {what} sequence of {:?} frames × features for a stream over {} features",
                frames.dim(),
                config.input
            )));
        }
        if *class >= config.classes {
            return Err(TrainError::Invalid(format!("{what} class {class} of {} classes", config.classes)));
        }
    }
    Ok(())
}

/// Trains a [`FrameStream`] with Adam on `train` and keeps the epoch with the lowest loss on `validation`.
pub fn train_frame_stream(
    config: &FrameStreamConfig,
    train: &Sequences,
    validation: &Sequences,
    training: &FrameTraining,
    show_progress: bool,
) -> Result<FrameRun, TrainError> {
    config.validate().map_err(TrainError::Invalid)?;
    check_sequences(config, train, "training")?;
    check_sequences(config, validation, "validation")?;
    let device = Device::default().autodiff();
    device.seed(derive_seed(training.seed, PURPOSE_INIT, 0));
    let mut stream = config.init(&device).map_err(TrainError::Invalid)?;
    let mut optimizer = AdamConfig::new().init();
    let ce = CrossEntropyLossConfig::new().init(&device);
    let lr = training.learning_rate;
    let mut best: Option<(FrameStream, usize, f64)> = None;
    let mut history = Vec::with_capacity(training.epochs);
    for epoch in 1..=training.epochs {
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(training.seed, PURPOSE_ORDER, epoch as u64));
        let order = batches(train, training.batch_size, Some(&mut rng));
        let bar = epoch_bar(order.len(), epoch, training.epochs, show_progress);
        let (mut total, mut seen) = (0.0f64, 0usize);
        for batch in &order {
            let (x, targets) = batch_tensor(train, batch, &device);
            let loss = ce.forward(stream.forward(x), targets);
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!(
                    "the frame stream's training loss became {value} in epoch {epoch}; lower the learning rate (now {lr})"
                )));
            }
            total += value * batch.len() as f64;
            seen += batch.len();
            let grads = GradientsParams::from_grads(loss.backward(), &stream);
            stream = optimizer.step(lr, stream, grads);
            bar.set_message(format!("loss {:.4}", total / seen as f64));
            bar.inc(1);
        }
        let loss = total / seen.max(1) as f64;
        let valid = stream.valid();
        let validation_loss = frame_loss(&valid, validation, training.batch_size);
        bar.finish_with_message(format!("loss {loss:.4} · validation loss {validation_loss:.4}"));
        history.push(FrameEpoch { loss, validation_loss });
        if best.as_ref().is_none_or(|(_, _, b)| validation_loss < *b) {
            best = Some((valid, epoch, validation_loss));
        }
    }
    let (stream, best_epoch, validation_loss) = match best {
        Some(b) => b,
        None => {
            let valid = stream.valid();
            let loss = frame_loss(&valid, validation, training.batch_size);
            (valid, 0, loss)
        }
    };
    Ok(FrameRun { stream, history, best_epoch, validation_loss })
}

/// The outcome of [`choose_cell`].
#[derive(Debug)]
pub struct CellChoice {
    /// The cell with the lowest validation loss (the first on a tie).
    pub cell: RecurrentCell,
    /// Its training run.
    pub run: FrameRun,
    /// Every candidate's best validation loss, in the order tried (for the report).
    pub candidates: Vec<(RecurrentCell, f64)>,
}

/// Trains one stream per cell of `cells` (`config.cell` is overridden) and keeps the one with the lowest
/// validation loss, as the paper chose its recurrent cell.
pub fn choose_cell(
    config: &FrameStreamConfig,
    cells: &[RecurrentCell],
    train: &Sequences,
    validation: &Sequences,
    training: &FrameTraining,
    show_progress: bool,
) -> Result<CellChoice, TrainError> {
    let mut best: Option<(RecurrentCell, FrameRun)> = None;
    let mut candidates = Vec::with_capacity(cells.len());
    for &cell in cells {
        let run = train_frame_stream(
            &FrameStreamConfig { cell, ..config.clone() },
            train,
            validation,
            training,
            show_progress,
        )?;
        candidates.push((cell, run.validation_loss));
        if best.as_ref().is_none_or(|(_, b)| run.validation_loss < b.validation_loss) {
            best = Some((cell, run));
        }
    }
    let (cell, run) = best.ok_or_else(|| TrainError::Invalid("no recurrent cell to choose from".into()))?;
    Ok(CellChoice { cell, run, candidates })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocal::TRAINING_LOCK;
    use crate::vocal::input::{SAMPLE_RATE, frontend};
    use burn::tensor::Distribution;
    use earmark_core::frontend::BatchFrontend;
    use rand::Rng;

    /// Half a second of a harmonic tone at `f0` (ten harmonics, amplitude `amplitude / h`).
    fn tone(f0: f64, amplitude: f64) -> Vec<f32> {
        let sr = f64::from(SAMPLE_RATE);
        (0..SAMPLE_RATE as usize / 2)
            .map(|n| {
                let t = n as f64 / sr;
                let s: f64 = (1..=10).map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64).sum();
                (amplitude * s) as f32
            })
            .collect()
    }

    /// Raw prosody features (`pooled × (mels + 3)`) of a signal, through the real vocal frontend.
    fn features(signal: &[f32], pooled: usize) -> Array2<f32> {
        let logmel = BatchFrontend::new(&frontend()).unwrap().process(signal);
        let prosody = MelProsody::new(&frontend(), logmel.nrows(), pooled).unwrap();
        prosody_frames(&prosody, &[logmel], 4).unwrap().remove(0)
    }

    const ENERGY: usize = 140;
    const PITCH: usize = 141;
    const VOICING: usize = 142;

    #[test]
    fn pitch_of_a_harmonic_tone_lands_within_ten_percent() {
        for f0 in [110.0, 150.0, 200.0, 320.0, 450.0] {
            let f = features(&tone(f0, 0.1), 8);
            // The first and last steps hold the zero-padded edges of the signal.
            for step in 1..7 {
                let hz = 2f64.powf(f64::from(f[[step, PITCH]]));
                assert!((hz / f0 - 1.0).abs() < 0.1, "{f0} Hz read as {hz:.1} Hz at step {step}");
            }
        }
    }

    #[test]
    fn energy_rises_by_six_db_when_the_amplitude_doubles() {
        let (quiet, loud) = (features(&tone(200.0, 0.05), 8), features(&tone(200.0, 0.1), 8));
        for step in 1..7 {
            let rise = loud[[step, ENERGY]] - quiet[[step, ENERGY]];
            assert!((rise - 6.02).abs() < 0.1, "step {step}: {rise} dB");
            // Pitch and voicing do not depend on the level.
            assert!((loud[[step, PITCH]] - quiet[[step, PITCH]]).abs() < 1e-3);
            assert!((loud[[step, VOICING]] - quiet[[step, VOICING]]).abs() < 1e-3);
        }
    }

    #[test]
    fn a_tone_is_more_voiced_than_noise() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let noise: Vec<f32> = (0..SAMPLE_RATE as usize / 2).map(|_| rng.random_range(-0.1..0.1)).collect();
        let (voiced, unvoiced) = (features(&tone(200.0, 0.1), 8), features(&noise, 8));
        for step in 1..7 {
            assert!(voiced[[step, VOICING]] > unvoiced[[step, VOICING]] + 0.5, "step {step}");
        }
    }

    #[test]
    fn fitted_standardization_centres_and_scales_and_leaves_constant_features_alone() {
        let a = Array2::from_shape_fn((4, 3), |(r, c)| if c == 2 { 7.0 } else { (r * (c + 1)) as f32 });
        let b = Array2::from_shape_fn((2, 3), |(r, c)| if c == 2 { 7.0 } else { -(r as f32) });
        let s = fit_standardization(&[a.clone(), b.clone()]);
        assert_eq!(s.std[2], 1.0);
        let (mut a, mut b) = (a, b);
        s.apply(&mut a);
        s.apply(&mut b);
        for k in 0..2 {
            let column: Vec<f32> = a.column(k).iter().chain(b.column(k).iter()).copied().collect();
            let mean = column.iter().sum::<f32>() / 6.0;
            let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 6.0;
            assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4, "feature {k}: {mean} {var}");
        }
        assert!(a.column(2).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn the_extractor_applies_its_standardization() {
        let frontend = frontend();
        let raw = MelProsody::new(&frontend, 12, 3).unwrap();
        let s = FrameStandardization {
            mean: (0..raw.features()).map(|k| k as f32 * 0.1 - 5.0).collect(),
            std: (0..raw.features()).map(|k| 1.0 + k as f32 * 0.01).collect(),
        };
        let standard = raw.clone().with_standardization(&s).unwrap();
        let window = Array2::from_shape_fn((12, 140), |(t, m)| -60.0 + ((t * 7 + m * 3) % 40) as f32);
        let mut expected = prosody_frames(&raw, std::slice::from_ref(&window), 1).unwrap().remove(0);
        s.apply(&mut expected);
        let got = prosody_frames(&standard, &[window], 1).unwrap().remove(0);
        assert!(got.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-4));
        assert!(raw.with_standardization(&FrameStandardization::identity(3)).is_err());
    }

    /// Two classes that differ in the sign of the first feature in the middle of the sequence.
    fn separable(n: usize, time: usize, seed: u64) -> Vec<(Array2<f32>, usize)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                let class = i % 2;
                let sign = if class == 0 { 1.0 } else { -1.0 };
                let frames = Array2::from_shape_fn((time, 3), |(t, k)| {
                    let signal = if k == 0 && t >= time / 2 { sign } else { 0.0 };
                    signal + rng.random_range(-0.5..0.5)
                });
                (frames, class)
            })
            .collect()
    }

    fn tiny(cell: RecurrentCell) -> FrameStreamConfig {
        FrameStreamConfig { input: 3, hidden: 8, layers: 1, cell, attention: 4, fc: 4, classes: 2 }
    }

    const QUICK: FrameTraining = FrameTraining { epochs: 12, batch_size: 8, learning_rate: 1e-2, seed: 7 };

    #[test]
    fn training_on_separable_classes_lowers_the_loss() {
        let _lock = TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let (train, validation) = (separable(32, 6, 1), separable(16, 6, 2));
        let run = train_frame_stream(&tiny(RecurrentCell::Gru), &train, &validation, &QUICK, false).unwrap();
        let first = &run.history[0];
        let last = run.history.last().unwrap();
        assert!(last.loss < first.loss * 0.7, "{:?}", run.history);
        assert!(run.validation_loss < 0.4, "{:?}", run.history);
        assert_eq!(run.validation_loss, run.history[run.best_epoch - 1].validation_loss);
        assert!((frame_loss(&run.stream, &validation, 5) - run.validation_loss).abs() < 1e-6);
    }

    #[test]
    fn choose_cell_keeps_the_cell_with_the_lower_validation_loss() {
        let _lock = TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let (train, validation) = (separable(24, 6, 3), separable(12, 6, 4));
        let training = FrameTraining { epochs: 4, ..QUICK };
        let choice =
            choose_cell(&tiny(RecurrentCell::Lstm), &RecurrentCell::ALL, &train, &validation, &training, false)
                .unwrap();
        assert_eq!(choice.candidates.iter().map(|c| c.0).collect::<Vec<_>>(), RecurrentCell::ALL);
        let lowest = choice.candidates.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert_eq!(choice.cell, lowest.0);
        assert_eq!(choice.run.validation_loss, lowest.1);
        assert!(matches!(
            (choice.cell, &choice.run.stream.layers[0]),
            (RecurrentCell::Lstm, RecurrentLayer::Lstm(_)) | (RecurrentCell::Gru, RecurrentLayer::Gru(_))
        ));
    }

    #[test]
    fn sequences_of_other_widths_or_classes_are_refused() {
        let good = separable(4, 5, 5);
        let wide = vec![(Array2::zeros((5, 4)), 0)];
        let config = tiny(RecurrentCell::Gru);
        assert!(train_frame_stream(&config, &wide, &good, &QUICK, false).is_err());
        assert!(train_frame_stream(&config, &good, &[(Array2::zeros((5, 3)), 2)], &QUICK, false).is_err());
        assert!(train_frame_stream(&config, &good, &[], &QUICK, false).is_err());
    }

    #[test]
    fn batches_never_mix_lengths_and_cover_every_sequence_once() {
        let mut items = separable(7, 4, 6);
        items.extend(separable(5, 9, 7));
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let batches = batches(&items, 3, Some(&mut rng));
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..12).collect::<Vec<_>>());
        for batch in &batches {
            assert!(batch.len() <= 3 && batch.iter().all(|&i| items[i].0.nrows() == items[batch[0]].0.nrows()));
        }
    }

    #[test]
    fn the_frame_model_maps_log_mel_to_class_logits() {
        let device = Device::default();
        let prosody = MelProsody::new(&frontend(), 20, 5).unwrap();
        for cell in RecurrentCell::ALL {
            let config = FrameStreamConfig { cell, ..FrameStreamConfig::new(prosody.features(), 4) };
            let model = FrameModel::new(prosody.clone(), config.init(&device).unwrap()).unwrap();
            let x = Tensor::<4>::random([2, 1, 20, 140], Distribution::Uniform(-90.0, -10.0), &device);
            let p = emit::values(model.probabilities(x));
            assert_eq!(p.len(), 8);
            assert!(p.chunks_exact(4).all(|row| (row.iter().sum::<f32>() - 1.0).abs() < 1e-5));
        }
        let other = FrameStreamConfig::new(12, 4).init(&device).unwrap();
        assert!(FrameModel::new(prosody, other).is_err());
    }

    #[test]
    fn external_embeddings_load_from_npy_and_missing_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let frames = Array2::from_shape_fn((5, 7), |(t, d)| (t * 7 + d) as f32);
        ndarray_npy::write_npy(dir.path().join("03a01Fa.npy"), &frames).unwrap();
        assert_eq!(load_npy_frames(dir.path(), "03a01Fa").unwrap(), frames);
        let missing = load_npy_frames(dir.path(), "nope").unwrap_err();
        assert!(matches!(missing, FramesError::Read { .. }), "{missing}");
        ndarray_npy::write_npy(dir.path().join("empty.npy"), &Array2::<f32>::zeros((0, 7))).unwrap();
        assert!(matches!(load_npy_frames(dir.path(), "empty"), Err(FramesError::Empty { .. })));
    }
}
