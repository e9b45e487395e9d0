//! Puts ONNX Runtime and the shipped models next to the plugin binary in each bundle: the plugin looks beside its
//! own `.so` (never in the DAW's working directory or environment).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Copies `library` and `models/` beside the plugin binary of every bundle under `target/bundled/`.
pub fn add_runtime_and_models(root: &Path, library: &Path) -> Result<()> {
    let bundled = crate::target_dir(root).join("bundled");
    let mut homes: Vec<PathBuf> = Vec::new();
    // VST3: earmark.vst3/Contents/x86_64-linux/earmark.so
    let vst3 = bundled.join("earmark.vst3/Contents/x86_64-linux");
    if vst3.is_dir() {
        homes.push(vst3);
    }
    // CLAP on Linux is a single file, so its runtime and models sit beside it (install them together).
    if bundled.join("earmark.clap").is_file() {
        homes.push(bundled.clone());
    }
    for home in &homes {
        let name = library.file_name().expect("library file name");
        fs::copy(library, home.join(name)).with_context(|| format!("copying ONNX Runtime into {}", home.display()))?;
        copy_dir(&root.join("models"), &home.join("models"))?;
        eprintln!("added ONNX Runtime and models to {}", home.display());
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
