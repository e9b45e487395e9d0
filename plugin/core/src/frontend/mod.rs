//! The log-mel frontend: the one implementation that training, the plugin and the offline analyser all use, so
//! what a model saw in training is exactly what it sees in the DAW.
//!
//! Two APIs share one per-frame core ([`FrameAnalyzer`]): [`BatchFrontend`] (whole signal in, array out,
//! allocates) and [`StreamingFrontend`] (push samples, receive frames, allocation-free after construction).
//! Both reproduce librosa 0.11's `melspectrogram` (+ `power_to_db`) to within 1e-4 relative error; the
//! committed fixtures in `plugin/core/tests/fixtures/librosa` prove it.

mod analyzer;
mod batch;
mod config;
mod fastlog;
pub mod mel;
mod streaming;
mod window;

pub use analyzer::{FrameAnalyzer, clip_top_db};
pub use batch::BatchFrontend;
pub use config::{Compression, FrontendConfig, MelNorm, MelScale, Padding, WindowKind};
pub use streaming::StreamingFrontend;
pub use window::padded_window;

/// Why a frontend could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    /// A parameter is out of range or the JSON does not describe a frontend.
    #[error("invalid frontend configuration: {0}")]
    InvalidConfig(String),
}
