//! The training core every model family shares: typed seeds, the fit loop, checkpoints, the per-fold store of
//! a cross-validation, atomic writes, progress bars and the one error type.
//!
//! Each family (emotion, genre, instruments, vocal) supplies only what is its own — a network, a loss, a
//! validation score, its data — and trains through [`fit::fit`]; DARTS' bi-level search keeps its own
//! alternating step but draws its seeds, bars and errors from here.

pub mod atomic;
pub mod checkpoint;
pub mod error;
pub mod fit;
pub mod fold_store;
pub mod progress;
pub mod provenance;
pub mod run_args;
pub mod seed;

pub use atomic::write_atomic;
pub use error::TrainError;
pub use fit::{
    EpochRecord, FitConfig, FitRun, FitState, Fitted, Keep, Objective, Resumable, Schedule, Validation, fit,
    init_device,
};
pub use progress::epoch_bar;
pub use provenance::command_line;
pub use run_args::RunArgs;
pub use seed::{FoldId, Purpose, Seeds, Stage, derive_seed};

/// burn's CPU backend seeds and draws its random numbers process-wide, so tests that seed it (to initialise or
/// train a network deterministically) serialise on this lock: another test's draws in between would change them.
#[doc(hidden)]
pub static TRAINING_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
