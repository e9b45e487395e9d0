//! Finding the model folders to run.

use std::path::PathBuf;

use anyhow::{Result, bail};

/// The default models folder: `models/` next to the binary (an installed Earmark), else the checkout's.
pub fn default_models_dir() -> Result<PathBuf> {
    match earmark_core::engine::default_models_dir() {
        Some(dir) => Ok(dir),
        None => bail!("no models folder found next to the binary or in the checkout; pass --models DIR"),
    }
}
