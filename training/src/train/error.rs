//! Why a training failed: one error type for every family, with the paths and numbers a user needs to act.

use super::checkpoint::CheckpointError;

/// Why a training (or a step around it: data, checkpoint, store) failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Checkpoint I/O.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A checkpoint from a different configuration.
    #[error(
        "the checkpoint at {path} was written with another configuration; start without --resume or use the same options\n  checkpoint: {saved}\n  now:        {now}"
    )]
    ConfigMismatch {
        /// The checkpoint.
        path: String,
        /// Its configuration.
        saved: String,
        /// The requested one.
        now: String,
    },
    /// Model or optimizer records that do not load.
    #[error("checkpoint record: {0}")]
    Record(String),
    /// The loss stopped being a number: the run cannot recover by itself.
    #[error(
        "the training loss became {value} in epoch {epoch} (step {step}) at learning rate {learning_rate:e}; lower the learning rate (or check the inputs for NaN/∞)"
    )]
    NonFiniteLoss {
        /// The loss value (NaN or ±∞).
        value: f64,
        /// Epoch, from 1.
        epoch: usize,
        /// Step within the epoch, from 1.
        step: usize,
        /// The learning rate in force.
        learning_rate: f64,
    },
    /// A file the run reads or writes.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Not enough data or a bad configuration.
    #[error("{0}")]
    Invalid(String),
    /// Fits another process of the same run is still training (`--resume` shares a run's folds and final model).
    #[error(
        "another process is training {what} of this run (it holds the claims beside {}); when it has finished, run the same command with --resume again to go on",
        store.display()
    )]
    Busy {
        /// What is busy: "fold(s) 2, 4", "the final model".
        what: String,
        /// The run's fold store.
        store: std::path::PathBuf,
    },
}

impl TrainError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, error: impl std::fmt::Display) -> Self {
        TrainError::Io { path: path.to_path_buf(), reason: error.to_string() }
    }
}
