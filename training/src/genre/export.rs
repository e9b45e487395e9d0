//! Writing a trained genre network as the plugin loads it: `model.onnx` (one window of raw frontend output →
//! class probabilities, standardisation included) and `manifest.json` (task `genre`).

use std::collections::BTreeMap;
use std::path::Path;

use earmark_core::manifest::{
    Axis, Dim, GraphRole, GraphSpec, Labels, MANIFEST_FORMAT_VERSION, Manifest, Provenance, SegmentSpec, Task,
    TensorSpec,
};

use super::frontend;
use super::models::{GenreNet, NetConfig, Standardization};
use crate::onnx::graph::{ExportError, write_model_folder};

/// File name of the graph.
pub const MODEL_FILE: &str = "model.onnx";

/// What the manifest says besides the graph.
#[derive(Debug, Clone)]
pub struct ExportInfo {
    /// Short name shown in the UI.
    pub name: String,
    /// One sentence for people.
    pub description: String,
    /// Class names in output order.
    pub classes: Vec<String>,
    /// Frames between the windows the engine classifies (the vote's hop in training).
    pub hop_frames: usize,
    /// How it was made.
    pub provenance: Provenance,
    /// Evaluation figures.
    pub metrics: BTreeMap<String, f64>,
}

/// The manifest of a genre model.
pub fn manifest(config: &NetConfig, info: &ExportInfo) -> Manifest {
    let batch = || Dim::Dynamic("batch".to_string());
    Manifest {
        format_version: MANIFEST_FORMAT_VERSION,
        name: info.name.clone(),
        task: Task::Genre,
        description: info.description.clone(),
        frontend: frontend(),
        segment: SegmentSpec { frames: config.frames, hop_frames: info.hop_frames, sequence_length: None },
        graphs: vec![GraphSpec {
            role: GraphRole::Main,
            file: MODEL_FILE.to_string(),
            inputs: vec![TensorSpec::logmel_input(config.frames, config.mels)],
            outputs: vec![TensorSpec::float32(
                "probabilities",
                vec![batch(), Dim::Fixed(config.classes as u64)],
                vec![Axis::Batch, Axis::Class],
            )],
        }],
        labels: Labels { classes: info.classes.clone(), multi_label: false, thresholds: None, hierarchy: None },
        provenance: info.provenance.clone(),
        metrics: info.metrics.clone(),
    }
}

/// Writes the graph and the manifest into `dir` (created if needed); the manifest is validated first.
pub fn write_model(
    dir: &Path,
    net: &GenreNet,
    config: &NetConfig,
    standardization: Standardization,
    info: &ExportInfo,
) -> Result<Manifest, ExportError> {
    let manifest = manifest(config, info);
    let graph = net.to_onnx(config, standardization, "earmark-train genre")?;
    write_model_folder(dir, &[(&graph, MODEL_FILE)], &manifest)?;
    Ok(manifest)
}
