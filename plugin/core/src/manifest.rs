//! `models/<name>/manifest.json`: everything needed to feed a model and read its answers, next to its ONNX file(s).
//!
//! The manifest is the contract between the training crate (which writes it) and the engine (which trusts it):
//! the frontend config the model was trained on, how to cut segments, each graph's tensors with the meaning of
//! every axis, the labels (with the coarse → fine hierarchy and per-tag thresholds), and where the model came
//! from. [`Manifest::load`] checks it is self-consistent; [`crate::model::Model::load`] checks it against the
//! real ONNX graphs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::frontend::{Compression, FrontendConfig};
use crate::speaker::SpeakerNorm;
use crate::voicing::Voicing;

/// The manifest format this build reads and writes.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;
/// The manifest's file name inside a model folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What a model does; the engine picks how to run and show a model by this, never by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Music valence/arousal (the segment-emotion paper).
    Emotion,
    /// Genre: single-label (softmax) or multi-label (genre tags).
    Genre,
    /// Style: tempo and metre families (dance styles), single-label.
    Style,
    /// Instrument tags, multi-label, with a coarse → fine hierarchy.
    Instruments,
    /// Categorical emotion of a voice (EmotionNAS).
    VocalEmotion,
    /// What the input is: independent sigmoids `music` and `speech`; both low reads as silence or noise. Gates
    /// the genre readout (muted on non-music) and the vocal-emotion readout.
    Content,
    /// A small hand-built model for tests and the demo; no claims about music.
    Test,
}

impl Task {
    /// The name a manifest uses (`vocal_emotion`), which `earmark analyze` writes too.
    pub fn name(self) -> &'static str {
        match self {
            Task::Emotion => "emotion",
            Task::Genre => "genre",
            Task::Style => "style",
            Task::Instruments => "instruments",
            Task::VocalEmotion => "vocal_emotion",
            Task::Content => "content",
            Task::Test => "test",
        }
    }
}

/// What one graph does inside a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphRole {
    /// Features of one segment → predictions.
    Main,
    /// Features of one segment → an embedding (the first stage of a two-stage model).
    Encoder,
    /// A sequence of segment embeddings → predictions (the second stage).
    Head,
}

/// The meaning of one tensor axis; validation checks fixed sizes against the rest of the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Batch; dynamic in our exports.
    Batch,
    /// Channel (1 for a spectrogram image).
    Channel,
    /// Mel bands: must equal `frontend.n_mels`.
    Mel,
    /// Frames: must equal `segment.frames` when fixed.
    Time,
    /// Segments of a sequence head; usually dynamic.
    Sequence,
    /// Embedding features.
    Feature,
    /// Classes: must equal the number of labels.
    Class,
    /// Anything else (an attention map's axis, say).
    Other,
}

/// One dimension: a size, or a symbol for a dynamic axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    /// Fixed size.
    Fixed(u64),
    /// Dynamic, named (e.g. `"batch"`).
    Dynamic(String),
}

impl Dim {
    /// The size if fixed.
    pub fn fixed(&self) -> Option<u64> {
        match self {
            Dim::Fixed(n) => Some(*n),
            Dim::Dynamic(_) => None,
        }
    }
}

/// A graph input or output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Name in the ONNX graph.
    pub name: String,
    /// Element type (`float32`).
    pub dtype: String,
    /// Shape.
    pub shape: Vec<Dim>,
    /// Meaning of each axis (same length as `shape`).
    pub axes: Vec<Axis>,
}

impl TensorSpec {
    /// A float32 tensor (the only element type Earmark's models use).
    pub fn float32(name: &str, shape: Vec<Dim>, axes: Vec<Axis>) -> Self {
        Self { name: name.to_string(), dtype: "float32".to_string(), shape, axes }
    }

    /// The spectrogram input every Earmark exporter writes: `logmel [batch, 1, frames, mels]`, time before mel.
    pub fn logmel_input(frames: usize, mels: usize) -> Self {
        Self::float32(
            "logmel",
            vec![Dim::Dynamic("batch".into()), Dim::Fixed(1), Dim::Fixed(frames as u64), Dim::Fixed(mels as u64)],
            vec![Axis::Batch, Axis::Channel, Axis::Time, Axis::Mel],
        )
    }
}

/// One ONNX file of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphSpec {
    /// Its role.
    pub role: GraphRole,
    /// File name, relative to the manifest's folder.
    pub file: String,
    /// Inputs in graph order.
    pub inputs: Vec<TensorSpec>,
    /// Outputs in graph order.
    pub outputs: Vec<TensorSpec>,
}

/// How the engine cuts the frame stream into model inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    /// Frames per segment.
    pub frames: usize,
    /// Frames between the starts of consecutive segments (training hop; the plugin may update faster).
    pub hop_frames: usize,
    /// Segments a sequence head looks at (two-stage models); `None` for single-stage models.
    #[serde(default)]
    pub sequence_length: Option<usize>,
    /// Cut each segment to its voiced frames, repeated to fill it ([`Voicing::trim_and_tile`]), before the model
    /// sees it: models of a voice, trained on segments prepared the same way. `None`: segments as they come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicing: Option<Voicing>,
    /// Subtract the voice's long-term band levels ([`crate::speaker`]): a running estimate in the engine, each
    /// speaker's mean in training. Needs `voicing` (the estimate learns from voiced segments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker_norm: Option<SpeakerNorm>,
}

/// A coarse family and its fine tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelGroup {
    /// Coarse name (e.g. `strings`).
    pub name: String,
    /// Fine labels in it (each must be one of `classes`).
    pub members: Vec<String>,
}

/// Output labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Class names in output order.
    pub classes: Vec<String>,
    /// True when classes are independent sigmoids (tags) rather than one softmax.
    #[serde(default)]
    pub multi_label: bool,
    /// Decision threshold per class (multi-label models), tuned on validation data.
    #[serde(default)]
    pub thresholds: Option<Vec<f32>>,
    /// Coarse → fine hierarchy (instrument families).
    #[serde(default)]
    pub hierarchy: Option<Vec<LabelGroup>>,
}

/// Where a model came from, so anyone can reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The exact command that produced the files.
    pub command: String,
    /// The data it was trained (or built) on.
    pub data: String,
    /// Licence of the weights, including constraints inherited from the data.
    #[serde(default)]
    pub license: Option<String>,
}

/// A model folder's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT_VERSION`] at the time of writing.
    pub format_version: u32,
    /// Short name shown in the UI.
    pub name: String,
    /// What the model does.
    pub task: Task,
    /// One sentence for people.
    pub description: String,
    /// The frontend the model was trained on.
    pub frontend: FrontendConfig,
    /// Segmenting.
    pub segment: SegmentSpec,
    /// The ONNX graphs.
    pub graphs: Vec<GraphSpec>,
    /// Output labels.
    pub labels: Labels,
    /// Origin.
    pub provenance: Provenance,
    /// Evaluation figures (name → value), as in the model's REPORT.md.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
}

/// Why a manifest (or the model it describes) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// No manifest where one was expected.
    #[error("no model manifest at {}", path.display())]
    Missing {
        /// Where it should be.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not JSON, or not the shape of a manifest.
    #[error("{} is not a valid manifest: {reason}", path.display())]
    InvalidJson {
        /// The file.
        path: PathBuf,
        /// serde's reason, with line and column.
        reason: String,
    },
    /// Written by a newer (or much older) Earmark.
    #[error(
        "{} has manifest format version {found}; this Earmark reads version {MANIFEST_FORMAT_VERSION}. \
         Update Earmark or re-export the model.", path.display()
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The manifest contradicts itself.
    #[error("{} is inconsistent: {reason}", path.display())]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// What disagrees with what.
        reason: String,
    },
}

impl Manifest {
    /// Reads and validates `dir/manifest.json` (or the file itself when `path` is a file).
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let file = if path.is_dir() { path.join(MANIFEST_FILE) } else { path.to_path_buf() };
        let text = std::fs::read_to_string(&file).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ManifestError::Missing { path: file.clone() }
            } else {
                ManifestError::Unreadable { path: file.clone(), source }
            }
        })?;
        Self::parse(&text, &file)
    }

    /// Parses and validates manifest JSON; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, ManifestError> {
        // Check the version before the schema, so a newer manifest gets "update Earmark", not a field error.
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ManifestError::InvalidJson { path: origin.to_path_buf(), reason: e.to_string() })?;
        match value.get("format_version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(MANIFEST_FORMAT_VERSION) => {}
            Some(v) => {
                return Err(ManifestError::UnsupportedVersion {
                    path: origin.to_path_buf(),
                    found: u32::try_from(v).unwrap_or(u32::MAX),
                });
            }
            None => {
                return Err(ManifestError::InvalidJson {
                    path: origin.to_path_buf(),
                    reason: "missing integer field `format_version`".into(),
                });
            }
        }
        let manifest: Manifest = serde_json::from_value(value)
            .map_err(|e| ManifestError::InvalidJson { path: origin.to_path_buf(), reason: e.to_string() })?;
        manifest.validate().map_err(|reason| ManifestError::Inconsistent { path: origin.to_path_buf(), reason })?;
        Ok(manifest)
    }

    /// Writes the manifest as pretty JSON, atomically (temporary file + rename), so a crash never leaves half a file.
    pub fn save(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join(MANIFEST_FILE);
        let tmp = dir.join(format!(".{MANIFEST_FILE}.tmp"));
        let mut text = serde_json::to_string_pretty(self).expect("manifests always serialise");
        text.push('\n');
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// The graph with `role`, if any.
    pub fn graph(&self, role: GraphRole) -> Option<&GraphSpec> {
        self.graphs.iter().find(|g| g.role == role)
    }

    /// Checks everything the manifest says about itself; returns what disagrees.
    pub fn validate(&self) -> Result<(), String> {
        self.frontend.validate().map_err(|e| e.to_string())?;
        if self.segment.frames == 0 || self.segment.hop_frames == 0 {
            return Err("segment.frames and segment.hop_frames must be positive".into());
        }
        if let Some(voicing) = &self.segment.voicing {
            voicing.validate().map_err(|e| format!("segment.{e}"))?;
            if !matches!(self.frontend.compression, Compression::PowerToDb { .. }) {
                return Err("segment.voicing reads frame energy in dB: it needs the power_to_db compression".into());
            }
        }
        if let Some(norm) = &self.segment.speaker_norm {
            norm.validate().map_err(|e| format!("segment.{e}"))?;
            if self.segment.voicing.is_none() {
                return Err("segment.speaker_norm learns from voiced segments: it needs segment.voicing".into());
            }
        }
        let roles: Vec<GraphRole> = self.graphs.iter().map(|g| g.role).collect();
        match roles.as_slice() {
            [GraphRole::Main] => {}
            [GraphRole::Encoder, GraphRole::Head] => {
                if self.segment.sequence_length.is_none_or(|n| n == 0) {
                    return Err("a two-stage model needs segment.sequence_length ≥ 1".into());
                }
            }
            other => {
                return Err(format!("graphs must be [main] or [encoder, head], found {other:?}"));
            }
        }
        let classes = &self.labels.classes;
        if classes.is_empty() {
            return Err("labels.classes is empty".into());
        }
        if let Some(thresholds) = &self.labels.thresholds {
            if thresholds.len() != classes.len() {
                return Err(format!("{} thresholds for {} classes", thresholds.len(), classes.len()));
            }
            if let Some(t) = thresholds.iter().find(|t| !(0.0..=1.0).contains(*t)) {
                return Err(format!("threshold {t} is outside [0, 1]"));
            }
        }
        if let Some(groups) = &self.labels.hierarchy {
            for group in groups {
                if let Some(unknown) = group.members.iter().find(|m| !classes.contains(m)) {
                    return Err(format!("hierarchy group `{}` names unknown class `{unknown}`", group.name));
                }
            }
        }
        for graph in &self.graphs {
            if graph.file.is_empty() || Path::new(&graph.file).is_absolute() || graph.file.contains("..") {
                return Err(format!("graph file `{}` must be a plain name inside the model folder", graph.file));
            }
            for spec in graph.inputs.iter().chain(&graph.outputs) {
                self.validate_tensor(spec)
                    .map_err(|e| format!("{:?} graph, tensor `{}`: {e}", graph.role, spec.name))?;
            }
        }
        if let Some(main) = self.graph(GraphRole::Main).or(self.graph(GraphRole::Encoder)) {
            let first = main.inputs.first().ok_or("the first graph has no inputs")?;
            if !first.axes.contains(&Axis::Mel) {
                return Err(format!("input `{}` of the first graph has no `mel` axis", first.name));
            }
        }
        Ok(())
    }

    fn validate_tensor(&self, spec: &TensorSpec) -> Result<(), String> {
        if spec.dtype != "float32" {
            return Err(format!("dtype `{}` is not supported (float32 only)", spec.dtype));
        }
        if spec.axes.len() != spec.shape.len() {
            return Err(format!("{} axes named for a {}-dimensional shape", spec.axes.len(), spec.shape.len()));
        }
        for (axis, dim) in spec.axes.iter().zip(&spec.shape) {
            let expected = match axis {
                Axis::Mel => Some(("frontend.n_mels", self.frontend.n_mels)),
                Axis::Time => Some(("segment.frames", self.segment.frames)),
                Axis::Class => Some(("the number of labels", self.labels.classes.len())),
                _ => None,
            };
            if let (Some((what, want)), Some(got)) = (expected, dim.fixed())
                && got != want as u64
            {
                return Err(format!("its {axis:?} axis has size {got} but {what} is {want}"));
            }
            if *axis == Axis::Mel && dim.fixed().is_none() {
                return Err("the mel axis must have a fixed size".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `analyze` writes `Task::name`: it must be the manifest's own spelling for every task.
    #[test]
    fn task_names_are_the_manifest_names() {
        for task in
            [Task::Emotion, Task::Genre, Task::Style, Task::Instruments, Task::VocalEmotion, Task::Content, Task::Test]
        {
            assert_eq!(serde_json::to_value(task).unwrap(), task.name(), "{task:?}");
        }
    }
}
