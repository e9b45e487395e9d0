//! Hierarchical multi-label instrument tagging (fine tags under coarse families) after
//! `../shared/papers/hierarchical-instrument-tagging-resatt.txt`: the flat baseline, level-wise, top-down and
//! the bottom-up joint methods (GMP, GAP, LP, ResAtt), masked BCE for unannotated tags, per-tag thresholds, and
//! the paper's metrics at both levels.
//!
//! The frontend is the paper's (PANNs'): 64 mel bands from 50 Hz to 8 kHz of a 32 ms Hann STFT with a 10 ms hop
//! at 16 kHz, in dB. The training data's mean and deviation are written into the exported graph.

pub mod cli;
pub mod data;
pub mod export;
pub mod figures;
pub mod metrics;
pub mod mixup;
pub mod model;
pub mod report;
pub mod study;
pub mod train;

use earmark_core::frontend::{Compression, FrontendConfig, MelNorm, MelScale, Padding, WindowKind};

/// The paper's frontend.
pub fn frontend() -> FrontendConfig {
    FrontendConfig {
        sample_rate: 16_000,
        n_fft: 512,
        win_length: None,
        hop_length: 160,
        window: WindowKind::Hann,
        padding: Padding::Constant,
        n_mels: 64,
        fmin: 50.0,
        fmax: Some(8_000.0),
        mel_scale: MelScale::Slaney,
        mel_norm: MelNorm::Slaney,
        power: 2.0,
        compression: Compression::PowerToDb { ref_value: 1.0, amin: 1e-10, top_db: None },
    }
}
