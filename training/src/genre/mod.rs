//! Genre / style classification: the subgenre paper's CNN, CRNN and parallel CNN-RNN, Pons & Serra's O-net /
//! P-net, their training with a per-clip majority vote, the papers' study grids, and export for the plugin.
//!
//! All genre models share one frontend, Pons & Serra's ([`frontend`]): 40 mel bands of a Blackman-Harris
//! 2048-sample STFT with 50 % overlap at 44.1 kHz, compressed as `ln(1 + 10 000·x)`. The dataset-wide
//! z-normalisation they apply is fitted on the training clips and written into the exported graph, so the engine
//! feeds the frontend's output unchanged.

pub mod cli;
pub mod data;
pub mod export;
pub mod models;
pub mod optim;
pub mod report;
pub mod study;
pub mod train;
pub mod windows;

use earmark_core::frontend::{Compression, FrontendConfig, MelNorm, MelScale, Padding, WindowKind};

/// Pons & Serra's frontend (Section 3): what every genre model is trained on and fed in the plugin.
pub fn frontend() -> FrontendConfig {
    FrontendConfig {
        sample_rate: 44_100,
        n_fft: 2048,
        win_length: None,
        hop_length: 1024,
        window: WindowKind::BlackmanHarris,
        padding: Padding::Constant,
        n_mels: 40,
        fmin: 0.0,
        fmax: None,
        mel_scale: MelScale::Slaney,
        mel_norm: MelNorm::Slaney,
        power: 2.0,
        compression: Compression::Log1p { c: 10_000.0 },
    }
}
