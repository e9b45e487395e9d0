//! Building ONNX graphs node by node: named inputs/outputs with fixed or symbolic (dynamic) dimensions, f32
//! initializers, operators with attributes. The per-layer emitters of the exporter are written on top of this.

use std::path::Path;

use prost::Message;

use super::proto::*;

/// The ONNX IR version written (ONNX Runtime 1.31 reads IR 3–11).
pub const IR_VERSION: i64 = 8;
/// The default-domain opset written: new enough for every operator the exporter emits.
pub const OPSET: i64 = 17;

/// A dimension of a graph input or output: the manifest's own type, so a graph and the manifest describing it
/// speak of their tensors in one vocabulary.
pub use earmark_core::manifest::Dim;

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// A float.
    Float(f32),
    /// An int.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// Floats.
    Floats(Vec<f32>),
    /// Ints.
    Ints(Vec<i64>),
}

/// Why a model could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A layer uses a feature the exporter does not write (rather than writing something that computes otherwise).
    #[error("cannot export {0}")]
    Unsupported(String),
    /// An initializer's data does not fill its shape.
    #[error("initializer `{name}` has {len} values for shape {dims:?}")]
    ShapeMismatch {
        /// Initializer name.
        name: String,
        /// Values given.
        len: usize,
        /// Shape given.
        dims: Vec<i64>,
    },
}

/// Accumulates a graph; [`GraphBuilder::finish`] wraps it into a model.
#[derive(Debug, Default)]
pub struct GraphBuilder {
    graph: GraphProto,
    counter: usize,
}

fn value_info(name: &str, dims: &[Dim]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => DimensionProto { dim_value: Some(*n as i64), dim_param: None },
            Dim::Dynamic(s) => DimensionProto { dim_value: None, dim_param: Some(s.clone()) },
        })
        .collect();
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: Some(DATA_TYPE_FLOAT),
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
    }
}

impl GraphBuilder {
    /// An empty graph called `name`.
    pub fn new(name: &str) -> Self {
        Self { graph: GraphProto { name: Some(name.to_string()), ..GraphProto::default() }, counter: 0 }
    }

    /// Declares a float32 graph input.
    pub fn input(&mut self, name: &str, dims: &[Dim]) -> String {
        self.graph.input.push(value_info(name, dims));
        name.to_string()
    }

    /// Declares the raw log-mel input every Earmark model takes (`logmel [batch, 1, frames, mels]`), exactly as
    /// its manifest declares it ([`earmark_core::manifest::TensorSpec::logmel_input`]); returns its value name.
    pub fn logmel_input(&mut self, frames: usize, mels: usize) -> String {
        let spec = earmark_core::manifest::TensorSpec::logmel_input(frames, mels);
        self.input(&spec.name, &spec.shape)
    }

    /// Declares a float32 graph output (the value `name` must be produced by a node).
    pub fn output(&mut self, name: &str, dims: &[Dim]) {
        self.graph.output.push(value_info(name, dims));
    }

    /// Adds a float32 weight; returns its value name.
    pub fn initializer(&mut self, name: &str, dims: &[i64], data: &[f32]) -> Result<String, ExportError> {
        let expected: i64 = dims.iter().product();
        if expected != data.len() as i64 {
            return Err(ExportError::ShapeMismatch { name: name.to_string(), len: data.len(), dims: dims.to_vec() });
        }
        self.graph.initializer.push(TensorProto {
            dims: dims.to_vec(),
            data_type: Some(DATA_TYPE_FLOAT),
            name: Some(name.to_string()),
            raw_data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
        });
        Ok(name.to_string())
    }

    /// Adds an int64 constant (shapes, axes); returns its value name.
    pub fn int64_initializer(&mut self, name: &str, dims: &[i64], data: &[i64]) -> String {
        self.graph.initializer.push(TensorProto {
            dims: dims.to_vec(),
            data_type: Some(DATA_TYPE_INT64),
            name: Some(name.to_string()),
            raw_data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
        });
        name.to_string()
    }

    /// A number not used before in this graph, for naming helper constants.
    pub fn fresh_id(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    /// Adds an operator with one output; returns the output's (generated) value name.
    pub fn node(&mut self, op_type: &str, inputs: &[&str], attributes: &[(&str, Attr)]) -> String {
        self.counter += 1;
        let output = format!("{}_{}", op_type.to_lowercase(), self.counter);
        self.node_with_outputs(op_type, inputs, &[&output], attributes);
        output
    }

    /// Adds an operator with the given output names (LSTM and friends have several).
    pub fn node_with_outputs(&mut self, op_type: &str, inputs: &[&str], outputs: &[&str], attributes: &[(&str, Attr)]) {
        let attribute = attributes
            .iter()
            .map(|(name, value)| {
                let mut a = AttributeProto { name: Some((*name).to_string()), ..AttributeProto::default() };
                let kind = match value {
                    Attr::Float(f) => {
                        a.f = Some(*f);
                        AttributeType::Float
                    }
                    Attr::Int(i) => {
                        a.i = Some(*i);
                        AttributeType::Int
                    }
                    Attr::Str(s) => {
                        a.s = Some(s.as_bytes().to_vec());
                        AttributeType::String
                    }
                    Attr::Floats(v) => {
                        a.floats = v.clone();
                        AttributeType::Floats
                    }
                    Attr::Ints(v) => {
                        a.ints = v.clone();
                        AttributeType::Ints
                    }
                };
                a.r#type = Some(kind as i32);
                a
            })
            .collect();
        self.graph.node.push(NodeProto {
            input: inputs.iter().map(|s| (*s).to_string()).collect(),
            output: outputs.iter().map(|s| (*s).to_string()).collect(),
            name: Some(format!("{op_type}_{}", self.graph.node.len())),
            op_type: Some(op_type.to_string()),
            attribute,
            domain: None,
        });
    }

    /// Renames the last node's output to `name` (so a graph output can carry a chosen name).
    pub fn rename_last_output(&mut self, name: &str) -> String {
        if let Some(node) = self.graph.node.last_mut()
            && let Some(output) = node.output.first_mut()
        {
            *output = name.to_string();
        }
        name.to_string()
    }

    /// The finished model.
    pub fn finish(self, producer: &str) -> ModelProto {
        ModelProto {
            ir_version: Some(IR_VERSION),
            opset_import: vec![OperatorSetIdProto { domain: Some(String::new()), version: Some(OPSET) }],
            producer_name: Some(producer.to_string()),
            producer_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            doc_string: None,
            graph: Some(self.graph),
        }
    }
}

/// Writes `model` to `path` atomically (temporary file + rename).
pub fn save(model: &ModelProto, path: &Path) -> Result<(), ExportError> {
    crate::train::write_atomic(path, &model.encode_to_vec())
        .map_err(|source| ExportError::Io { path: path.display().to_string(), source })
}

/// Writes a model folder: validates `manifest` first (an export that the plugin would refuse fails here, not in
/// a DAW), creates `dir`, saves each `(graph, file name)` atomically, then the manifest.
pub fn write_model_folder(
    dir: &Path,
    graphs: &[(&ModelProto, &str)],
    manifest: &earmark_core::manifest::Manifest,
) -> Result<(), ExportError> {
    let io = |source| ExportError::Io { path: dir.display().to_string(), source };
    manifest
        .validate()
        .map_err(|reason| ExportError::Unsupported(format!("the manifest would be invalid: {reason}")))?;
    for (graph, file) in graphs {
        declared_as_in_manifest(graph, file, manifest)?;
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    for (graph, file) in graphs {
        save(graph, &dir.join(file))?;
    }
    manifest.save(dir).map_err(io)?;
    Ok(())
}

/// A graph's declared inputs and outputs (names, shapes; fixed sizes exact, dynamic axes dynamic) against the
/// manifest's entry for its file: a mismatch fails the export, where the plugin would otherwise refuse the model
/// only when a producer loads it.
fn declared_as_in_manifest(
    graph: &ModelProto,
    file: &str,
    manifest: &earmark_core::manifest::Manifest,
) -> Result<(), ExportError> {
    let fail = |reason: String| ExportError::Unsupported(format!("{file} does not match its manifest: {reason}"));
    let spec = manifest.graphs.iter().find(|g| g.file == file).ok_or_else(|| fail("no manifest entry".into()))?;
    let body = graph.graph.as_ref().ok_or_else(|| fail("an empty model".into()))?;
    let shape = |info: &ValueInfoProto| -> Vec<Option<i64>> {
        let dims = info.r#type.as_ref().and_then(|t| t.tensor_type.as_ref()).and_then(|t| t.shape.as_ref());
        dims.map_or_else(Vec::new, |d| d.dim.iter().map(|d| d.dim_value).collect())
    };
    for (kind, declared, specs) in [("input", &body.input, &spec.inputs), ("output", &body.output, &spec.outputs)] {
        let names: Vec<&str> = declared.iter().map(|i| i.name.as_deref().unwrap_or("")).collect();
        let wanted: Vec<&str> = specs.iter().map(|t| t.name.as_str()).collect();
        if names != wanted {
            return Err(fail(format!("{kind}s {names:?} in the graph, {wanted:?} in the manifest")));
        }
        for (info, tensor) in declared.iter().zip(specs.iter()) {
            let manifest_dims: Vec<Option<i64>> = tensor.shape.iter().map(|d| d.fixed().map(|n| n as i64)).collect();
            if shape(info) != manifest_dims {
                return Err(fail(format!(
                    "{kind} `{}` is {:?} in the graph, {:?} in the manifest",
                    tensor.name,
                    shape(info),
                    manifest_dims
                )));
            }
        }
    }
    Ok(())
}

/// What every exported model's manifest says besides its graphs: one type for every family (genre, style,
/// instruments, content, emotion, vocal emotion), so every exporter fills a manifest the same way. What only one
/// family has (an instrument model's task, an emotion head's sequence length) is an argument of its exporter.
#[derive(Debug, Clone)]
pub struct ExportInfo {
    /// Short name shown in the UI.
    pub name: String,
    /// One sentence for people.
    pub description: String,
    /// Class (or tag) names in output order.
    pub classes: Vec<String>,
    /// Frames between the windows the engine reads (the vote's hop in training; a two-stage model's segment).
    pub hop_frames: usize,
    /// Per-class decision thresholds of a multi-label model (validation-tuned); `None` for a single-label one.
    pub thresholds: Option<Vec<f32>>,
    /// How it was made.
    pub provenance: earmark_core::manifest::Provenance,
    /// Evaluation figures.
    pub metrics: std::collections::BTreeMap<String, f64>,
}

impl ExportInfo {
    /// The manifest of a single-label classifier with one graph `file`: `[batch, 1, frames, mels]` raw frontend
    /// output in, `probabilities [batch, classes]` out.
    pub fn classifier_manifest(
        &self,
        task: earmark_core::manifest::Task,
        frontend: earmark_core::frontend::FrontendConfig,
        (frames, mels): (usize, usize),
        file: &str,
    ) -> earmark_core::manifest::Manifest {
        use earmark_core::manifest::{
            Axis, Dim, GraphRole, GraphSpec, Labels, MANIFEST_FORMAT_VERSION, Manifest, SegmentSpec, TensorSpec,
        };
        Manifest {
            format_version: MANIFEST_FORMAT_VERSION,
            name: self.name.clone(),
            task,
            description: self.description.clone(),
            frontend,
            segment: SegmentSpec {
                frames,
                hop_frames: self.hop_frames,
                sequence_length: None,
                voicing: None,
                speaker_norm: None,
            },
            graphs: vec![GraphSpec {
                role: GraphRole::Main,
                file: file.to_string(),
                inputs: vec![TensorSpec::logmel_input(frames, mels)],
                outputs: vec![TensorSpec::float32(
                    "probabilities",
                    vec![Dim::Dynamic("batch".to_string()), Dim::Fixed(self.classes.len() as u64)],
                    vec![Axis::Batch, Axis::Class],
                )],
            }],
            labels: Labels {
                classes: self.classes.clone(),
                multi_label: false,
                thresholds: self.thresholds.clone(),
                hierarchy: None,
            },
            provenance: self.provenance.clone(),
            metrics: self.metrics.clone(),
        }
    }
}
