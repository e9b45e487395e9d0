//! Finding the model folders to run.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use earmark_core::manifest::MANIFEST_FILE;

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

/// Every folder under `root` (up to two levels down) that holds a manifest, sorted.
pub fn find_model_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    if !root.is_dir() {
        bail!("models folder {} does not exist", root.display());
    }
    let mut found = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        if dir.join(MANIFEST_FILE).is_file() {
            found.push(dir);
            continue;
        }
        if depth < 2 {
            for entry in std::fs::read_dir(&dir)?.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((entry.path(), depth + 1));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}
