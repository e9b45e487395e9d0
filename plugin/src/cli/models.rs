//! Finding the model folders to run.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// The default models folder: `models/` next to the binary (an installed Earmark), else the workspace's
/// `models/` (a `cargo run` from a checkout).
pub fn default_models_dir() -> Result<PathBuf> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("models")))
        .filter(|d| d.is_dir());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    match beside_binary.or_else(|| workspace.is_dir().then_some(workspace)) {
        Some(dir) => Ok(dir),
        None => bail!(
            "no models folder found next to the binary or in the workspace; pass --models DIR"
        ),
    }
}
