//! Writing a trained EmotionNAS model as the plugin loads it: one `model.onnx` holding both streams and the
//! fusion (8 s of raw frontend frames → class probabilities), and `manifest.json` with task `vocal_emotion`, so
//! the engine shows it as a categorical readout wherever the model folder is present.

use std::path::Path;

use earmark_core::manifest::{Manifest, Task};

use super::input::frontend;
use super::pipeline::{FrameBranch, Stream, TrainedVocal};
use crate::onnx::emit;
use crate::onnx::graph::{Dim, ExportError, ExportInfo, GraphBuilder, write_model_folder};
use crate::onnx::proto::ModelProto;

/// File name of the graph.
pub const MODEL_FILE: &str = "model.onnx";

impl TrainedVocal {
    /// The model in one graph: `logmel [batch, 1, 728, 140]` (voiced frames when the manifest declares the cut)
    /// → level normalisation → `stream`: the spectrogram stream, the frame stream, or both and the fusion →
    /// `probabilities [batch, classes]`.
    pub fn to_onnx(&self, stream: Stream, producer: &str) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new("vocal_emotion_emotionnas");
        let x = g.logmel_input(self.input.frames, self.input.mels);
        let x = self.preparation.emit(&mut g, &x);
        let p_spec = match stream {
            Stream::Frames => None,
            _ => {
                let pooled = self.input.emit(&mut g, &x)?;
                Some(self.net.emit(&mut g, &pooled, [self.input.pooled, self.input.mels])?)
            }
        };
        let p_frames = match (&self.frames, stream) {
            (_, Stream::Spectrogram) => None,
            (FrameBranch::Builtin(model), _) => Some(model.emit(&mut g, &x)?),
            (FrameBranch::Embeddings(_), _) => {
                return Err(ExportError::Unsupported(
                    "this model's frame stream reads external embeddings, which the plugin cannot compute; export a \
                     model trained on the built-in frame features (without --frame-features)"
                        .into(),
                ));
            }
        };
        let p = match (p_spec, p_frames) {
            (Some(spec), Some(frames)) => self.fusion.emit(&mut g, &spec, &frames)?,
            (Some(only), None) | (None, Some(only)) => only,
            (None, None) => unreachable!("every stream choice keeps one stream"),
        };
        let y = emit::named(&mut g, &p, "probabilities");
        g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(self.fusion.classes() as u64)]);
        Ok(g.finish(producer))
    }
}

/// The manifest of a vocal-emotion model.
pub fn manifest(model: &TrainedVocal, info: &ExportInfo) -> Manifest {
    let mut manifest =
        info.classifier_manifest(Task::VocalEmotion, frontend(), (model.input.frames, model.input.mels), MODEL_FILE);
    manifest.segment.voicing = model.preparation.voicing;
    manifest.segment.speaker_norm = model.preparation.speaker;
    manifest
}

/// Writes the graph of `stream` and the manifest into `dir` (created if needed); the manifest is validated
/// first.
pub fn write_model(
    dir: &Path,
    model: &TrainedVocal,
    stream: Stream,
    info: &ExportInfo,
) -> Result<Manifest, ExportError> {
    let manifest = manifest(model, info);
    let graph = model.to_onnx(stream, "earmark-train nas")?;
    write_model_folder(dir, &[(&graph, MODEL_FILE)], &manifest)?;
    Ok(manifest)
}
