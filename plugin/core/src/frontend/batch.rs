//! The batch frontend: a whole signal in, a `frames × mels` array out. Allocates; use it offline and in training.

use ndarray::Array2;

use super::analyzer::{FrameAnalyzer, clip_top_db};
use super::{Compression, FrontendConfig, FrontendError, Padding};

/// Computes log-mel spectrograms of whole signals, exactly as `librosa.feature.melspectrogram` (+ compression).
pub struct BatchFrontend {
    analyzer: FrameAnalyzer,
}

impl BatchFrontend {
    /// Validates `config` and plans the FFT.
    pub fn new(config: &FrontendConfig) -> Result<Self, FrontendError> {
        Ok(Self { analyzer: FrameAnalyzer::new(config)? })
    }

    /// The configuration in use.
    pub fn config(&self) -> &FrontendConfig {
        self.analyzer.config()
    }

    /// The uncompressed mel spectrogram (`frames × n_mels`): what `librosa.feature.melspectrogram` returns, transposed.
    pub fn mel_power(&mut self, signal: &[f32]) -> Array2<f32> {
        self.frames(signal, false)
    }

    /// The compressed spectrogram (`frames × n_mels`), with `top_db` applied over the whole signal as librosa does.
    pub fn process(&mut self, signal: &[f32]) -> Array2<f32> {
        let mut out = self.frames(signal, true);
        if let Compression::PowerToDb { top_db: Some(top_db), .. } = self.config().compression {
            clip_top_db(out.as_slice_mut().expect("freshly built arrays are contiguous"), top_db);
        }
        out
    }

    /// Every frame of `signal`, compressed row by row while it is still in cache when `compress` is set.
    fn frames(&mut self, signal: &[f32], compress: bool) -> Array2<f32> {
        let config = self.analyzer.config().clone();
        let padded = pad_signal(signal, config.pad(), config.padding);
        let frames = config.frame_count(signal.len());
        let mut out = Array2::<f32>::zeros((frames, config.n_mels));
        for (t, mut row) in out.rows_mut().into_iter().enumerate() {
            let start = t * config.hop_length;
            let row = row.as_slice_mut().expect("rows of a standard-layout array are contiguous");
            self.analyzer.mel_power(&padded[start..start + config.n_fft], row);
            if compress {
                self.analyzer.compress(row);
            }
        }
        out
    }

    /// Window + FFT + power spectrum over the same frames as [`Self::process`], discarding the result: the bound
    /// any mel frontend is measured against. Returns a checksum so the work cannot be optimised away.
    pub fn fft_bound(&mut self, signal: &[f32]) -> f32 {
        let config = self.analyzer.config().clone();
        let padded = pad_signal(signal, config.pad(), config.padding);
        (0..config.frame_count(signal.len()))
            .map(|t| {
                let start = t * config.hop_length;
                self.analyzer.power_spectrum_only(&padded[start..start + config.n_fft])
            })
            .sum()
    }
}

/// `np.pad(signal, pad, mode)` for librosa's centre padding.
pub(crate) fn pad_signal(signal: &[f32], pad: usize, mode: Padding) -> Vec<f32> {
    if signal.is_empty() {
        return Vec::new();
    }
    match mode {
        Padding::None => signal.to_vec(),
        Padding::Constant => {
            let mut padded = vec![0.0; signal.len() + 2 * pad];
            padded[pad..pad + signal.len()].copy_from_slice(signal);
            padded
        }
        Padding::Reflect => {
            // Only the 2·pad edge samples need the mirror arithmetic; the body is a plain copy.
            let len = signal.len();
            let mirrored = |i: usize| signal[reflect_index(i as isize - pad as isize, len)];
            let mut padded = Vec::with_capacity(len + 2 * pad);
            padded.extend((0..pad).map(mirrored));
            padded.extend_from_slice(signal);
            padded.extend((pad + len..len + 2 * pad).map(mirrored));
            padded
        }
    }
}

/// Index into a signal of `len` samples for position `j` of its mirror extension without edge repetition
/// (numpy's `reflect`, periodic with period `2 (len − 1)`, so it also covers pads longer than the signal).
pub(crate) fn reflect_index(j: isize, len: usize) -> usize {
    if len == 1 {
        return 0;
    }
    let period = 2 * (len as isize - 1);
    let m = j.rem_euclid(period);
    if m < len as isize { m as usize } else { (period - m) as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_matches_numpy() {
        // np.pad([1, 2, 3, 4], 3, mode="reflect") → [4, 3, 2, 1, 2, 3, 4, 3, 2, 1]
        let padded = pad_signal(&[1.0, 2.0, 3.0, 4.0], 3, Padding::Reflect);
        assert_eq!(padded, [4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0]);
        // np.pad([1, 2], 3, mode="reflect") → [2, 1, 2, 1, 2, 1, 2, 1]
        assert_eq!(pad_signal(&[1.0, 2.0], 3, Padding::Reflect), [2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0]);
        assert_eq!(pad_signal(&[5.0], 2, Padding::Reflect), [5.0; 5]);
    }

    #[test]
    fn frame_counts_match_librosa() {
        let config = FrontendConfig::default(); // n_fft 2048, hop 512, centred
        assert_eq!(config.frame_count(22_050), 1 + 22_050 / 512);
        assert_eq!(config.frame_count(5 * 22_050), 216, "the emotion paper's 5 s segments are 216 frames");
        let uncentred = FrontendConfig { padding: Padding::None, ..config };
        assert_eq!(uncentred.frame_count(2047), 0);
        assert_eq!(uncentred.frame_count(2048 + 1024), 3);
        let mut frontend = BatchFrontend::new(&uncentred).unwrap();
        assert_eq!(frontend.process(&[0.1; 3072]).dim(), (3, 128));
        assert_eq!(frontend.process(&[]).dim(), (0, 128));
    }

    #[test]
    fn sine_peaks_in_the_right_band() {
        let config = FrontendConfig { n_mels: 64, ..FrontendConfig::default() };
        let mut frontend = BatchFrontend::new(&config).unwrap();
        let sr = config.sample_rate as f32;
        let tone: Vec<f32> = (0..22_050).map(|n| (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / sr).sin()).collect();
        let mel = frontend.mel_power(&tone);
        let middle = mel.row(20);
        let peak = middle.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let centre_hz = |m: usize| {
            let lo = super::super::mel::hz_to_mel(0.0, config.mel_scale);
            let hi = super::super::mel::hz_to_mel(11_025.0, config.mel_scale);
            super::super::mel::mel_to_hz(lo + (hi - lo) * (m + 1) as f64 / 65.0, config.mel_scale)
        };
        assert!((centre_hz(peak) - 1000.0).abs() < 120.0, "peak band centred at {} Hz", centre_hz(peak));
    }
}
