//! Writing a trained genre network as the plugin loads it: `model.onnx` (one window of raw frontend output →
//! class probabilities, standardisation included) and `manifest.json` (task `genre`, or `style` for the dance
//! families the generated style clips teach).

use std::path::Path;

use earmark_core::manifest::{Manifest, Task};

use super::frontend;
use super::models::{GenreNet, NetConfig, Standardization};
use crate::onnx::graph::{ExportError, write_model_folder};

/// File name of the graph.
pub const MODEL_FILE: &str = "model.onnx";

pub use crate::onnx::graph::ExportInfo;

/// The manifest of a genre (or style) model.
pub fn manifest(task: Task, config: &NetConfig, info: &ExportInfo) -> Manifest {
    info.classifier_manifest(task, frontend(), (config.frames, config.mels), MODEL_FILE)
}

/// Writes the graph and the manifest into `dir` (created if needed); the manifest is validated first.
pub fn write_model(
    dir: &Path,
    task: Task,
    net: &GenreNet,
    config: &NetConfig,
    standardization: Standardization,
    info: &ExportInfo,
) -> Result<Manifest, ExportError> {
    let manifest = manifest(task, config, info);
    let graph = net.to_onnx(config, standardization, "earmark-train genre")?;
    write_model_folder(dir, &[(&graph, MODEL_FILE)], &manifest)?;
    Ok(manifest)
}
