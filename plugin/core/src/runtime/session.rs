//! One ONNX graph in an ONNX Runtime session: CPU by default, CUDA when asked and available (else CPU, saying why).

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, ArrayViewD};
use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::{Runtime, RuntimeError};
use crate::combine::Batching;

/// Where a session should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// ONNX Runtime's CPU provider.
    #[default]
    Cpu,
    /// The CUDA provider, falling back to CPU (with the reason recorded) when it cannot be registered.
    Cuda,
}

/// The execution provider a session really got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// CPU.
    Cpu,
    /// CUDA.
    Cuda,
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Provider::Cpu => "CPU",
            Provider::Cuda => "CUDA",
        })
    }
}

/// Session settings.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// Requested device.
    pub device: Device,
    /// Intra-op threads. 1 by default: the steadiest latency when a DAW keeps every other core busy.
    pub intra_threads: usize,
    /// Whether runs of one graph from several threads are combined into batches ([`crate::combine`]): by default
    /// on CUDA only.
    pub batching: Batching,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self { device: Device::Cpu, intra_threads: 1, batching: Batching::Auto }
    }
}

/// A graph input or output as ONNX Runtime reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Name in the graph.
    pub name: String,
    /// Element type, e.g. `float32` (ONNX Runtime's spelling, lower-cased).
    pub element_type: String,
    /// Dimensions; `None` where the graph leaves the axis dynamic.
    pub dims: Vec<Option<u64>>,
}

/// An ONNX graph ready to run.
pub struct OnnxSession {
    session: Session,
    path: PathBuf,
    provider: Provider,
    fallback_reason: Option<String>,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
}

impl std::fmt::Debug for OnnxSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxSession").field("path", &self.path).field("provider", &self.provider).finish()
    }
}

fn element_name(ty: TensorElementType) -> String {
    format!("{ty:?}").to_lowercase()
}

fn describe(outlets: &[ort::value::Outlet]) -> Vec<TensorInfo> {
    outlets
        .iter()
        .map(|o| match o.dtype() {
            ValueType::Tensor { ty, shape, .. } => TensorInfo {
                name: o.name().to_string(),
                element_type: element_name(*ty),
                dims: shape.iter().map(|&d| u64::try_from(d).ok()).collect(),
            },
            other => TensorInfo { name: o.name().to_string(), element_type: format!("{other:?}"), dims: vec![] },
        })
        .collect()
}

impl OnnxSession {
    /// Loads `path` into a new session on `runtime`.
    pub fn load(runtime: &Runtime, path: &Path, options: SessionOptions) -> Result<Self, RuntimeError> {
        let fail = |reason: String| RuntimeError::Session { path: path.to_path_buf(), reason };
        if !path.is_file() {
            return Err(fail("the file does not exist".into()));
        }
        let mut builder = Session::builder(runtime.environment())
            .and_then(|b| b.with_intra_threads(options.intra_threads.max(1)).map_err(|e| e.into()))
            .map_err(|e| fail(e.to_string()))?;
        let (provider, fallback_reason) = match options.device {
            Device::Cpu => (Provider::Cpu, None),
            Device::Cuda => match register_cuda(&mut builder) {
                Ok(()) => (Provider::Cuda, None),
                Err(reason) => (Provider::Cpu, Some(reason)),
            },
        };
        let session = builder.commit_from_file(path).map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            inputs: describe(session.inputs()),
            outputs: describe(session.outputs()),
            session,
            path: path.to_path_buf(),
            provider,
            fallback_reason,
        })
    }

    /// The file this session was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The provider that runs this session.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Why CUDA was asked for but CPU is in use, if that happened.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// The graph's inputs, in order.
    pub fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    /// The graph's outputs, in order.
    pub fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    /// Runs the graph on float32 inputs (in the graph's input order) and returns every output as float32.
    ///
    /// Allocates (ONNX Runtime does, ~350 mallocs a run): call it from a worker, never from the audio thread.
    pub fn run(&mut self, inputs: &[ArrayViewD<'_, f32>]) -> Result<Vec<ArrayD<f32>>, RuntimeError> {
        let fail = |reason: String| RuntimeError::Run { path: self.path.clone(), reason };
        if inputs.len() != self.inputs.len() {
            return Err(fail(format!("{} inputs given, the graph takes {}", inputs.len(), self.inputs.len())));
        }
        let mut values = Vec::with_capacity(inputs.len());
        for (view, info) in inputs.iter().zip(&self.inputs) {
            if view.ndim() != info.dims.len()
                || view.shape().iter().zip(&info.dims).any(|(&got, want)| want.is_some_and(|w| w != got as u64))
            {
                return Err(fail(format!(
                    "input `{}` has shape {:?}, the graph wants {}",
                    info.name,
                    view.shape(),
                    format_dims(&info.dims)
                )));
            }
            let tensor = TensorRef::from_array_view(view.view()).map_err(|e| fail(e.to_string()))?;
            values.push(ort::session::SessionInputValue::from(tensor));
        }
        let outputs = self
            .session
            .run(values.as_slice())
            .map_err(|e| RuntimeError::Run { path: self.path.clone(), reason: e.to_string() })?;
        outputs
            .iter()
            .map(|(name, value)| {
                value
                    .try_extract_array::<f32>()
                    .map(|a| a.to_owned())
                    .map_err(|e| RuntimeError::Run { path: self.path.clone(), reason: format!("output `{name}`: {e}") })
            })
            .collect()
    }
}

/// `[batch, 1, 64, 32]`-style text with `?` for dynamic axes.
pub fn format_dims(dims: &[Option<u64>]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.map_or_else(|| "?".to_string(), |d| d.to_string())).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(feature = "cuda")]
fn register_cuda(builder: &mut ort::session::builder::SessionBuilder) -> Result<(), String> {
    use ort::ep::ExecutionProvider;
    // `with_execution_providers` would fall back to CPU silently; `register` tells us why CUDA failed.
    ort::ep::CUDA::default().register(builder).map_err(|e| e.to_string())
}

#[cfg(not(feature = "cuda"))]
fn register_cuda(_builder: &mut ort::session::builder::SessionBuilder) -> Result<(), String> {
    Err("this build has no CUDA support (rebuild with `--features cuda`)".into())
}
