//! Writing a trained tagger as the plugin loads it: `model.onnx` (one window of raw frontend output → fine tag
//! probabilities, family probabilities and, for ResAtt, the attention map that says which tags lit a family)
//! and `manifest.json` (task `instruments`, tags, families, per-tag thresholds).

use std::path::Path;

use earmark_core::manifest::{
    Axis, Dim, GraphRole, GraphSpec, LabelGroup, Labels, MANIFEST_FORMAT_VERSION, Manifest, SegmentSpec, Task,
    TensorSpec,
};

use super::frontend;
use super::model::{Method, Tagger, TaggerConfig};
use super::train::Hierarchy;
use crate::genre::models::Standardization;
use crate::onnx::graph::{ExportError, ExportInfo, write_model_folder};

/// File name of the graph.
pub const MODEL_FILE: &str = "model.onnx";

/// The manifest of a tagger serving `task`: `instruments` (tags under families, with the family output), or a
/// flat tagger for another task (`emotion`: the tags `valence` and `arousal`, P(high); `genre`: genre tags;
/// `content`), whose graph has the `fine` output alone and whose manifest has no hierarchy. The classes are the
/// hierarchy's fine tags; `info`'s thresholds are theirs (coarse thresholds go in the metrics as
/// `coarse_threshold.<family>`).
pub fn manifest(config: &TaggerConfig, hierarchy: &Hierarchy, task: Task, info: &ExportInfo) -> Manifest {
    let batch = || Dim::Dynamic("batch".to_string());
    let (fine, coarse) = (hierarchy.fine.len() as u64, hierarchy.coarse.len() as u64);
    let families = task == Task::Instruments;
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
        name: info.name.clone(),
        task,
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
            thresholds: info.thresholds.clone(),
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
    task: Task,
    info: &ExportInfo,
) -> Result<Manifest, ExportError> {
    if info.classes != hierarchy.fine {
        return Err(ExportError::Unsupported(format!(
            "a tagger's classes are its fine tags {:?}, not {:?}",
            hierarchy.fine, info.classes
        )));
    }
    let manifest = manifest(config, hierarchy, task, info);
    let fine_only = task != Task::Instruments;
    if fine_only && config.method != Method::Flat {
        return Err(ExportError::Unsupported(format!(
            "a `{}` model is a flat tagger: export it with --method flat (not {:?})",
            task.name(),
            config.method
        )));
    }
    let graph = net.to_onnx_with(standardization, "earmark-train instruments", fine_only)?;
    write_model_folder(dir, &[(&graph, MODEL_FILE)], &manifest)?;
    Ok(manifest)
}
