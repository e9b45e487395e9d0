//! The frontend's configuration: every knob that changes what a model sees.
//!
//! A [`FrontendConfig`] is stored in every model manifest, and its [`FrontendConfig::cache_key`] keys the
//! training crate's feature cache, so two places computing "the same" features can never silently disagree.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::FrontendError;

/// Analysis window, always *periodic* (as `scipy.signal.get_window(.., fftbins=True)`, which librosa uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// Hann: librosa's default.
    Hann,
    /// Hamming (0.54 − 0.46 cos): EmotionNAS' 25 ms speech frames.
    Hamming,
    /// 4-term Blackman-Harris: Pons & Serra's 2048-sample window.
    BlackmanHarris,
}

/// How the signal is padded so that frame `t` is centred on sample `t · hop` (librosa's `center=True`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// `n_fft / 2` zeros each side: librosa 0.11's default (`pad_mode="constant"`).
    Constant,
    /// `n_fft / 2` samples mirrored about the first and last sample (`np.pad(.., mode="reflect")`).
    Reflect,
    /// No padding: frame `t` starts at sample `t · hop` (librosa's `center=False`).
    None,
}

/// Hz ↔ mel conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelScale {
    /// Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above (librosa's default).
    Slaney,
    /// HTK: `2595 · log10(1 + f / 700)`.
    Htk,
}

/// Normalisation of the triangular mel filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelNorm {
    /// Each filter divided by its width in Hz (constant energy per band; librosa's default).
    Slaney,
    /// Peak of each triangle is 1.
    None,
}

/// The amplitude compression applied to the mel spectrogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Compression {
    /// The raw mel spectrogram (power or magnitude, as `power` says).
    None,
    /// `log10(S + delta)`: the segment-emotion paper uses `delta = 1`, which keeps values non-negative.
    Log10Offset {
        /// Offset added before the logarithm.
        delta: f32,
    },
    /// librosa's `power_to_db(S, ref=ref_value, amin=amin, top_db=top_db)`.
    ///
    /// `top_db` clips each value to at least `max − top_db`, where `max` is taken over the whole array that
    /// librosa is given. That is not causal: the batch API applies it over the whole signal (exactly as librosa
    /// would), the streaming API yields unclipped frames, and [`super::clip_top_db`] applies it over whatever
    /// window a caller analyses (the engine: one model segment).
    PowerToDb {
        /// Reference value (librosa's `ref`; only a fixed value: `np.max` is not causal either).
        ref_value: f32,
        /// Floor applied before the logarithm.
        amin: f32,
        /// Dynamic range kept below the maximum, in dB; `None` keeps everything.
        top_db: Option<f32>,
    },
    /// `ln(1 + c · S)`: Pons & Serra use `c = 10 000`.
    Log1p {
        /// Gain applied before the logarithm.
        c: f32,
    },
}

/// Every parameter of the log-mel frontend. The defaults are librosa 0.11's `melspectrogram` defaults at 22.05 kHz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontendConfig {
    /// Sample rate the frontend expects, in Hz. Audio at other rates is resampled before it gets here.
    pub sample_rate: u32,
    /// FFT size in samples.
    pub n_fft: usize,
    /// Window length in samples (≤ `n_fft`; the window is zero-padded to `n_fft`, centred). `None` means `n_fft`.
    #[serde(default)]
    pub win_length: Option<usize>,
    /// Hop between frames in samples.
    pub hop_length: usize,
    /// Analysis window.
    pub window: WindowKind,
    /// Centre padding.
    pub padding: Padding,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Lowest filter edge in Hz.
    pub fmin: f32,
    /// Highest filter edge in Hz; `None` means Nyquist.
    #[serde(default)]
    pub fmax: Option<f32>,
    /// Hz ↔ mel conversion.
    pub mel_scale: MelScale,
    /// Filter normalisation.
    pub mel_norm: MelNorm,
    /// Exponent of the magnitude spectrum: 1 (magnitude) or 2 (power).
    pub power: f32,
    /// Compression applied after the mel projection.
    pub compression: Compression,
}

impl Default for FrontendConfig {
    fn default() -> Self {
        Self {
            sample_rate: 22_050,
            n_fft: 2048,
            win_length: None,
            hop_length: 512,
            window: WindowKind::Hann,
            padding: Padding::Constant,
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            mel_scale: MelScale::Slaney,
            mel_norm: MelNorm::Slaney,
            power: 2.0,
            compression: Compression::None,
        }
    }
}

impl FrontendConfig {
    /// The window length actually used.
    pub fn win_length(&self) -> usize {
        self.win_length.unwrap_or(self.n_fft)
    }

    /// The upper filter edge actually used.
    pub fn fmax(&self) -> f32 {
        self.fmax.unwrap_or(self.sample_rate as f32 / 2.0)
    }

    /// Number of FFT bins (`n_fft / 2 + 1`).
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Samples of padding on each side of the signal.
    pub fn pad(&self) -> usize {
        match self.padding {
            Padding::None => 0,
            Padding::Constant | Padding::Reflect => self.n_fft / 2,
        }
    }

    /// Number of frames the batch API yields for a signal of `len` samples (librosa's count).
    pub fn frame_count(&self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        let padded = len + 2 * self.pad();
        if padded < self.n_fft { 0 } else { 1 + (padded - self.n_fft) / self.hop_length }
    }

    /// Duration of one hop in seconds.
    pub fn hop_seconds(&self) -> f64 {
        self.hop_length as f64 / f64::from(self.sample_rate)
    }

    /// Checks that the parameters describe a frontend that can exist; every error says which field and why.
    pub fn validate(&self) -> Result<(), FrontendError> {
        let bad = |msg: String| Err(FrontendError::InvalidConfig(msg));
        if self.sample_rate == 0 {
            return bad("sample_rate must be positive".into());
        }
        if self.n_fft < 16 {
            return bad(format!("n_fft = {} is too small (at least 16)", self.n_fft));
        }
        if self.hop_length == 0 {
            return bad("hop_length must be positive".into());
        }
        let win = self.win_length();
        if win == 0 || win > self.n_fft {
            return bad(format!("win_length = {win} must be in 1..=n_fft ({})", self.n_fft));
        }
        if self.n_mels == 0 {
            return bad("n_mels must be positive".into());
        }
        let nyquist = self.sample_rate as f32 / 2.0;
        if !(self.fmin >= 0.0 && self.fmin.is_finite()) {
            return bad(format!("fmin = {} must be a non-negative number", self.fmin));
        }
        let fmax = self.fmax();
        if !(fmax > self.fmin && fmax <= nyquist) {
            return bad(format!(
                "fmax = {fmax} must lie above fmin = {} and at most at Nyquist ({nyquist} Hz)",
                self.fmin
            ));
        }
        if self.power != 1.0 && self.power != 2.0 {
            return bad(format!("power = {} must be 1 (magnitude) or 2 (power)", self.power));
        }
        match self.compression {
            Compression::None => {}
            Compression::Log10Offset { delta } if !(delta > 0.0 && delta.is_finite()) => {
                return bad(format!("log10_offset delta = {delta} must be positive"));
            }
            Compression::Log1p { c } if !(c > 0.0 && c.is_finite()) => {
                return bad(format!("log1p c = {c} must be positive"));
            }
            Compression::PowerToDb { ref_value, amin, top_db } => {
                if !(amin > 0.0 && amin.is_finite()) {
                    return bad(format!("power_to_db amin = {amin} must be positive"));
                }
                if !(ref_value > 0.0 && ref_value.is_finite()) {
                    return bad(format!("power_to_db ref_value = {ref_value} must be positive"));
                }
                if let Some(top) = top_db
                    && !(top >= 0.0 && top.is_finite())
                {
                    return bad(format!("power_to_db top_db = {top} must be non-negative"));
                }
            }
            Compression::Log10Offset { .. } | Compression::Log1p { .. } => {}
        }
        Ok(())
    }

    /// A stable hex digest of the configuration (SHA-256 of its canonical JSON): feature caches are keyed by it,
    /// so a change to any parameter invalidates them.
    pub fn cache_key(&self) -> String {
        // Field order is fixed by the struct, so serde_json's output is canonical for a given config.
        let json = serde_json::to_vec(self).expect("a FrontendConfig always serialises");
        let digest = Sha256::digest(&json);
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a configuration from JSON and validates it.
    pub fn from_json(text: &str) -> Result<Self, FrontendError> {
        let config: Self = serde_json::from_str(text).map_err(|e| FrontendError::InvalidConfig(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }
}
