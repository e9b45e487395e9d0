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
use crate::onnx::graph::{ExportError, save};

/// File name of the graph.
pub const MODEL_FILE: &str = "model.onnx";

/// What the manifest says besides the graph.
#[derive(Debug, Clone)]
pub struct TagExportInfo {
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

fn spec(name: &str, shape: Vec<Dim>, axes: Vec<Axis>) -> TensorSpec {
    TensorSpec { name: name.to_string(), dtype: "float32".to_string(), shape, axes }
}

/// The manifest of a tagger.
pub fn manifest(config: &TaggerConfig, hierarchy: &Hierarchy, info: &TagExportInfo) -> Manifest {
    let batch = || Dim::Dynamic("batch".to_string());
    let (fine, coarse) = (hierarchy.fine.len() as u64, hierarchy.coarse.len() as u64);
    let mut outputs = vec![
        spec("fine", vec![batch(), Dim::Fixed(fine)], vec![Axis::Batch, Axis::Class]),
        spec("coarse", vec![batch(), Dim::Fixed(coarse)], vec![Axis::Batch, Axis::Other]),
    ];
    if config.method == Method::Resatt {
        outputs.push(spec(
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
        name: "instruments".into(),
        task: Task::Instruments,
        description: info.description.clone(),
        frontend: frontend(),
        segment: SegmentSpec { frames: config.frames, hop_frames: info.hop_frames, sequence_length: None },
        graphs: vec![GraphSpec {
            role: GraphRole::Main,
            file: MODEL_FILE.to_string(),
            inputs: vec![spec(
                "logmel",
                vec![batch(), Dim::Fixed(1), Dim::Fixed(config.frames as u64), Dim::Fixed(config.mels as u64)],
                vec![Axis::Batch, Axis::Channel, Axis::Time, Axis::Mel],
            )],
            outputs,
        }],
        labels: Labels {
            classes: hierarchy.fine.clone(),
            multi_label: true,
            thresholds: Some(info.thresholds.clone()),
            hierarchy: Some(groups),
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
    let io = |source| ExportError::Io { path: dir.display().to_string(), source };
    let manifest = manifest(config, hierarchy, info);
    manifest
        .validate()
        .map_err(|reason| ExportError::Unsupported(format!("the manifest would be invalid: {reason}")))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    save(&net.to_onnx(standardization, "earmark-train instruments")?, &dir.join(MODEL_FILE))?;
    manifest.save(dir).map_err(io)?;
    Ok(manifest)
}
