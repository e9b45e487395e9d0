//! Writing a trained tagger as the plugin loads it: `model.onnx` (one window of raw frontend output → fine tag
//! probabilities, family probabilities and, for ResAtt, the attention map that says which tags lit a family)
//! and `manifest.json` (task `instruments`, tags, families, per-tag thresholds).

use std::collections::BTreeMap;
use std::path::Path;

use earmark_core::manifest::{
    Axis, Dim, GraphRole, GraphSpec, LabelGroup, Labels, MANIFEST_FORMAT_VERSION, Manifest, Provenance, SegmentSpec,
    Task, TensorSpec,
};

use super::frontend;
use super::model::{Method, Tagger, TaggerConfig};
use super::train::Hierarchy;
use crate::genre::models::Standardization;
use crate::onnx::graph::{ExportError, write_model_folder};

/// File name of the graph.
pub const MODEL_FILE: &str = "model.onnx";

/// What the manifest says besides the graph.
#[derive(Debug, Clone)]
pub struct TagExportInfo {
    /// The task the tags serve: `instruments` (tags under families, with the family output), or a flat tagger
    /// for another task (`emotion`: the tags `valence` and `arousal`, P(high); `genre`: genre tags), whose graph
    /// has the `fine` output alone and whose manifest has no hierarchy.
    pub task: Task,
    /// One sentence for people.
    pub description: String,
    /// Frames between the windows the engine tags.
    pub hop_frames: usize,
    /// Per fine tag decision thresholds (validation-tuned).
    pub thresholds: Vec<f32>,
    /// How it was made.
    pub provenance: Provenance,
    /// Evaluation figures (coarse thresholds go here as `coarse_threshold.<family>`).
    pub metrics: BTreeMap<String, f64>,
}

/// The manifest of a tagger.
pub fn manifest(config: &TaggerConfig, hierarchy: &Hierarchy, info: &TagExportInfo) -> Manifest {
    let batch = || Dim::Dynamic("batch".to_string());
    let (fine, coarse) = (hierarchy.fine.len() as u64, hierarchy.coarse.len() as u64);
    let families = info.task == Task::Instruments;
    let mut outputs =
        vec![TensorSpec::float32("fine", vec![batch(), Dim::Fixed(fine)], vec![Axis::Batch, Axis::Class])];
    if families {
        outputs.push(TensorSpec::float32("coarse", vec![batch(), Dim::Fixed(coarse)], vec![Axis::Batch, Axis::Other]));
    }
    if families && config.method == Method::Resatt {
        outputs.push(TensorSpec::float32(
            "attention",
            vec![batch(), Dim::Fixed(fine), Dim::Fixed(coarse)],
            vec![Axis::Batch, Axis::Other, Axis::Other],
        ));
    }
    let groups = hierarchy
        .coarse
        .iter()
        .enumerate()
        .map(|(c, name)| LabelGroup {
            name: name.clone(),
            members: hierarchy
                .parents
                .iter()
                .zip(&hierarchy.fine)
                .filter(|&(&p, _)| p == c)
                .map(|(_, f)| f.clone())
                .collect(),
        })
        .collect();
    Manifest {
        format_version: MANIFEST_FORMAT_VERSION,
        name: info.task.name().replace('_', "-"),
        task: info.task,
        description: info.description.clone(),
        frontend: frontend(),
        segment: SegmentSpec {
            frames: config.frames,
            hop_frames: info.hop_frames,
            sequence_length: None,
            voicing: None,
            speaker_norm: None,
        },
        graphs: vec![GraphSpec {
            role: GraphRole::Main,
            file: MODEL_FILE.to_string(),
            inputs: vec![TensorSpec::logmel_input(config.frames, config.mels)],
            outputs,
        }],
        labels: Labels {
            classes: hierarchy.fine.clone(),
            multi_label: true,
            thresholds: Some(info.thresholds.clone()),
            hierarchy: families.then_some(groups),
        },
        provenance: info.provenance.clone(),
        metrics: info.metrics.clone(),
    }
}

/// Writes the graph and the validated manifest into `dir`.
pub fn write_model(
    dir: &Path,
    net: &Tagger,
    config: &TaggerConfig,
    hierarchy: &Hierarchy,
    standardization: Standardization,
    info: &TagExportInfo,
) -> Result<Manifest, ExportError> {
    let manifest = manifest(config, hierarchy, info);
    let fine_only = info.task != Task::Instruments;
    if fine_only && config.method != Method::Flat {
        return Err(ExportError::Unsupported(format!(
            "a `{}` model is a flat tagger: export it with --method flat (not {:?})",
            info.task.name(),
            config.method
        )));
    }
    let graph = net.to_onnx_with(standardization, "earmark-train instruments", fine_only)?;
    write_model_folder(dir, &[(&graph, MODEL_FILE)], &manifest)?;
    Ok(manifest)
}
