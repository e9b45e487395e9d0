//! The built-in frame features: the pooled mel frames plus energy, pitch and voicing computed from them, with a
//! per-feature standardisation; and the loader for external per-file embeddings.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use earmark_core::frontend::FrontendConfig;
use earmark_core::frontend::mel::{hz_to_mel, mel_to_hz};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::onnx::emit;
use crate::onnx::graph::{ExportError, GraphBuilder};
use crate::train::TrainError;
use crate::vocal::input::pooling_matrix;

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
/// Features [`MelProsody`] appends to the spectral part: energy, pitch, voicing.
pub const PROSODY_FEATURES: usize = 3;

const LN_10: f32 = std::f32::consts::LN_10;

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
/// then per-feature standardisation. The spectral part is the `mels` log-mel values themselves, or (`cepstra` > 0)
/// their first `cepstra` orthonormal DCT-II coefficients over the bands — the cepstrum MFCCs keep: the spectrum's
/// broad shape (tilt, formant regions) without each band's fine detail, which is mostly the corpus's microphone,
/// room and speakers and is what a stream of 140 band means and spreads fits on two corpora and loses on a third.
/// A fixed matrix product (`MatMul` in the graph), so the engine still feeds raw log-mel.
///
/// `P = 10^(dB/10)` is the linear mel power. `H[m, c] = Σₕ 0.84^(h−1) ·
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
    /// The DCT-II basis `[mels, cepstra]` row-major ([`dct_basis`]), empty when the bands are kept as they are.
    #[module(skip)]
    cepstra: Vec<f32>,
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

/// The first `kept` orthonormal DCT-II basis vectors over `n` points as a `[n, kept]` row-major matrix, so that
/// `x · D` holds the coefficients `c_k = s_k Σₘ xₘ cos(π k (2m + 1) / 2n)` with `s_0 = √(1/n)`, `s_k = √(2/n)`
/// (scipy's `dct(type=2, norm="ortho")`): coefficient 0 is the mean level (times √n), 1 the spectral tilt, the
/// next ones ever finer ripples across the bands.
pub fn dct_basis(n: usize, kept: usize) -> Vec<f32> {
    let mut d = vec![0.0f32; n * kept];
    for m in 0..n {
        for k in 0..kept {
            let scale = if k == 0 { (1.0 / n as f64).sqrt() } else { (2.0 / n as f64).sqrt() };
            let angle = std::f64::consts::PI * k as f64 * (2 * m + 1) as f64 / (2 * n) as f64;
            d[m * kept + k] = (scale * angle.cos()) as f32;
        }
    }
    d
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
    /// The extractor for `frames × frontend.n_mels` windows of `frontend`'s output, pooled to `pooled` steps, its
    /// spectral part the bands themselves (`cepstra` 0) or their first `cepstra` DCT coefficients, with no
    /// standardisation yet ([`Self::with_standardization`]).
    pub fn new(frontend: &FrontendConfig, frames: usize, pooled: usize, cepstra: usize) -> Result<Self, String> {
        if pooled == 0 || pooled > frames {
            return Err(format!("cannot pool {frames} frames to {pooled}"));
        }
        if frontend.n_mels == 0 || frontend.fmax() <= frontend.fmin {
            return Err("the frontend has no mel bands to read pitch from".into());
        }
        if cepstra > frontend.n_mels {
            return Err(format!("{cepstra} cepstral coefficients from {} mel bands", frontend.n_mels));
        }
        let candidates = pitch_candidates();
        let features = if cepstra == 0 { frontend.n_mels } else { cepstra } + PROSODY_FEATURES;
        Ok(Self {
            pooling: pooling_matrix(frames, pooled),
            harmonics: harmonic_matrix(frontend, &candidates),
            log2_f0: candidates.iter().map(|f| f.log2() as f32).collect(),
            cepstra: if cepstra == 0 { Vec::new() } else { dct_basis(frontend.n_mels, cepstra) },
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

    /// Features per step: the spectral part (mel bands or cepstral coefficients) and [`PROSODY_FEATURES`].
    pub fn features(&self) -> usize {
        self.spectral() + PROSODY_FEATURES
    }

    /// Cepstral coefficients in place of the mel bands (0: the bands as they are).
    pub fn cepstra(&self) -> usize {
        self.cepstra.len() / self.mels
    }

    /// Spectral features per step: the mel bands, or the cepstral coefficients kept.
    fn spectral(&self) -> usize {
        if self.cepstra.is_empty() { self.mels } else { self.cepstra() }
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

    /// Raw log-mel `[batch, 1, frames, mels]` → standardised features `[batch, pooled, spectral + 3]`.
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
        let spectral = if self.cepstra.is_empty() {
            db
        } else {
            db.matmul(Self::constant(&self.cepstra, [1, mels, self.cepstra()], &device))
        };
        let features = Tensor::cat(vec![spectral, energy, pitch, voicing], 2);
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
        let spectral = if self.cepstra.is_empty() {
            db
        } else {
            let basis = g.initializer(&format!("{name}.cepstra"), &[mels, self.cepstra() as i64], &self.cepstra)?;
            g.node("MatMul", &[&db, &basis], &[])
        };
        let features = emit::concat(g, &[&spectral, &energy, &pitch, &voicing], 2);
        let d = self.features() as i64;
        emit::standardize(g, name, &features, (&self.negative_mean, &self.inverse_std), &[d])
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
