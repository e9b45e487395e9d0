//! Writing a trained emotion model as the plugin loads it: `encoder.onnx` (one segment → embedding),
//! `head.onnx` (a sequence of embeddings → P(high valence), P(high arousal)) and `manifest.json`, so the engine
//! runs the encoder once per new segment and the head over the embeddings it has kept.

use std::path::Path;

use earmark_core::manifest::{
    Axis, Dim, GraphRole, GraphSpec, Labels, MANIFEST_FORMAT_VERSION, Manifest, SegmentSpec, Task, TensorSpec,
};

use super::model::{ConvEncoder, EmotionHead};
use super::segments::SegmentPlan;
pub use crate::onnx::graph::ExportInfo;
use crate::onnx::graph::{ExportError, write_model_folder};

/// File name of the encoder graph.
pub const ENCODER_FILE: &str = "encoder.onnx";
/// File name of the head graph.
pub const HEAD_FILE: &str = "head.onnx";

fn dynamic(name: &str) -> Dim {
    Dim::Dynamic(name.to_string())
}

/// The manifest for an encoder with `features`-long embeddings and a head over the last `sequence_length` of
/// them. `info`'s hop is the encoder's (once per new segment), its classes `valence` and `arousal`.
pub fn manifest(
    plan: &SegmentPlan,
    (features, frames, mels): (usize, usize, usize),
    sequence_length: usize,
    info: &ExportInfo,
) -> Manifest {
    Manifest {
        format_version: MANIFEST_FORMAT_VERSION,
        name: info.name.clone(),
        task: Task::Emotion,
        description: info.description.clone(),
        frontend: plan.frontend(),
        segment: SegmentSpec {
            frames,
            hop_frames: info.hop_frames,
            sequence_length: Some(sequence_length),
            voicing: None,
            speaker_norm: None,
        },
        graphs: vec![
            GraphSpec {
                role: GraphRole::Encoder,
                file: ENCODER_FILE.to_string(),
                inputs: vec![TensorSpec::logmel_input(frames, mels)],
                outputs: vec![TensorSpec::float32(
                    "embedding",
                    vec![dynamic("batch"), Dim::Fixed(features as u64)],
                    vec![Axis::Batch, Axis::Feature],
                )],
            },
            GraphSpec {
                role: GraphRole::Head,
                file: HEAD_FILE.to_string(),
                inputs: vec![TensorSpec::float32(
                    "embeddings",
                    vec![dynamic("batch"), dynamic("sequence"), Dim::Fixed(features as u64)],
                    vec![Axis::Batch, Axis::Sequence, Axis::Feature],
                )],
                outputs: vec![TensorSpec::float32(
                    "emotion",
                    vec![dynamic("batch"), Dim::Fixed(2)],
                    vec![Axis::Batch, Axis::Class],
                )],
            },
        ],
        labels: Labels {
            classes: info.classes.clone(),
            multi_label: false,
            thresholds: info.thresholds.clone(),
            hierarchy: None,
        },
        provenance: info.provenance.clone(),
        metrics: info.metrics.clone(),
    }
}

/// Writes both graphs and the manifest into `dir` (created if needed).
pub fn write_model(
    dir: &Path,
    plan: &SegmentPlan,
    encoder: &ConvEncoder,
    head: &EmotionHead,
    sequence_length: usize,
    info: &ExportInfo,
) -> Result<Manifest, ExportError> {
    let producer = "earmark-train emotion";
    let features = encoder.embedding_len();
    let manifest = manifest(plan, (features, encoder.frames, encoder.mels), sequence_length, info);
    let (encoder_graph, head_graph) = (encoder.to_onnx(producer)?, head.to_onnx(features, producer)?);
    write_model_folder(dir, &[(&encoder_graph, ENCODER_FILE), (&head_graph, HEAD_FILE)], &manifest)?;
    Ok(manifest)
}
