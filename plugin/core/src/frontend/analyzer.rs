//! The per-frame core shared by the batch and streaming frontends: window → real FFT → |X|^power → mel → compression.
//!
//! Everything is allocated in [`FrameAnalyzer::new`]; [`FrameAnalyzer::mel_power`] and
//! [`FrameAnalyzer::compress`] allocate nothing, so the streaming frontend built on them is real-time safe.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::fastlog::{ln_1p_clamped, ln_clamped};
use super::mel::MelFilterBank;
use super::window::padded_window;
use super::{Compression, FrontendConfig, FrontendError};

/// Turns one `n_fft`-sample frame into one mel frame.
pub struct FrameAnalyzer {
    config: FrontendConfig,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    windowed: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    magnitudes: Vec<f32>,
    filters: MelFilterBank,
    /// `10 · log10(max(amin, ref))`, subtracted by [`Compression::PowerToDb`].
    db_reference: f32,
}

impl FrameAnalyzer {
    /// Validates `config` and allocates every buffer a frame needs.
    pub fn new(config: &FrontendConfig) -> Result<Self, FrontendError> {
        config.validate()?;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(config.n_fft);
        let db_reference = match config.compression {
            Compression::PowerToDb { ref_value, amin, .. } => 10.0 * amin.max(ref_value).log10(),
            _ => 0.0,
        };
        Ok(Self {
            window: padded_window(config.window, config.win_length(), config.n_fft),
            windowed: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            magnitudes: vec![0.0; config.n_bins()],
            filters: MelFilterBank::new(config),
            fft,
            db_reference,
            config: config.clone(),
        })
    }

    /// The configuration this analyzer was built for.
    pub fn config(&self) -> &FrontendConfig {
        &self.config
    }

    /// The mel filter bank in use.
    pub fn filters(&self) -> &MelFilterBank {
        &self.filters
    }

    /// Mel spectrum of one frame of `n_fft` samples, before compression, into `out` (`n_mels` values).
    pub fn mel_power(&mut self, frame: &[f32], out: &mut [f32]) {
        debug_assert_eq!(frame.len(), self.config.n_fft);
        for ((dst, &x), &w) in self.windowed.iter_mut().zip(frame).zip(&self.window) {
            *dst = x * w;
        }
        self.fft
            .process_with_scratch(&mut self.windowed, &mut self.spectrum, &mut self.scratch)
            .expect("buffer lengths come from the same plan");
        if self.config.power == 2.0 {
            for (m, c) in self.magnitudes.iter_mut().zip(&self.spectrum) {
                *m = c.re * c.re + c.im * c.im;
            }
        } else {
            for (m, c) in self.magnitudes.iter_mut().zip(&self.spectrum) {
                *m = (c.re * c.re + c.im * c.im).sqrt();
            }
        }
        self.filters.apply(&self.magnitudes, out);
    }

    /// Applies the configured compression to one frame in place (everything but `top_db`, which is not per-frame).
    ///
    /// Total: NaN or infinite values come out finite (see [`ln_clamped`]), so a model never sees a NaN.
    pub fn compress(&self, frame: &mut [f32]) {
        const LOG10_E: f32 = std::f32::consts::LOG10_E;
        match self.config.compression {
            Compression::None => {}
            Compression::Log10Offset { delta } => {
                frame.iter_mut().for_each(|v| *v = ln_clamped(*v + delta) * LOG10_E);
            }
            Compression::PowerToDb { amin, .. } => {
                let reference = self.db_reference;
                frame.iter_mut().for_each(|v| *v = 10.0 * LOG10_E * ln_clamped(v.max(amin)) - reference);
            }
            Compression::Log1p { c } => frame.iter_mut().for_each(|v| *v = ln_1p_clamped(c * *v)),
        }
    }

    /// Window + real FFT + power spectrum only: the bound any mel frontend is measured against in the benchmark.
    pub fn power_spectrum_only(&mut self, frame: &[f32]) -> f32 {
        for ((dst, &x), &w) in self.windowed.iter_mut().zip(frame).zip(&self.window) {
            *dst = x * w;
        }
        self.fft
            .process_with_scratch(&mut self.windowed, &mut self.spectrum, &mut self.scratch)
            .expect("buffer lengths come from the same plan");
        for (m, c) in self.magnitudes.iter_mut().zip(&self.spectrum) {
            *m = c.re * c.re + c.im * c.im;
        }
        self.magnitudes[self.magnitudes.len() / 2]
    }
}

/// Clips every value to at least `max − top_db` (librosa's `power_to_db(.., top_db)` over this slice).
pub fn clip_top_db(values: &mut [f32], top_db: f32) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let floor = max - top_db;
    values.iter_mut().for_each(|v| *v = v.max(floor));
}
