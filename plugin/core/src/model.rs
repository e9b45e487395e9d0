//! A model folder made runnable: its manifest, checked against the ONNX sessions it describes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use ndarray::{ArrayD, ArrayViewD};

use crate::combine::Combiner;
use crate::manifest::{GraphRole, GraphSpec, Manifest, ManifestError};
use crate::runtime::{OnnxSession, Provider, Runtime, RuntimeError, SessionOptions, TensorInfo, format_dims};

/// Why a model folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The manifest is missing, unreadable or inconsistent.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A graph the manifest names is not in the folder.
    #[error("{} names the model file {}, which does not exist", manifest.display(), file.display())]
    MissingFile {
        /// The manifest.
        manifest: PathBuf,
        /// The missing file.
        file: PathBuf,
    },
    /// ONNX Runtime could not be loaded, or refused the graph.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The graph's real inputs or outputs are not what the manifest says.
    #[error("{} does not match its manifest: {reason}", file.display())]
    Mismatch {
        /// The ONNX file.
        file: PathBuf,
        /// What differs.
        reason: String,
    },
}

/// A validated model: manifest plus sessions for each graph.
///
/// Runs take `&self`, so one loaded model serves every engine in the process (see [`crate::model_cache`]). ONNX
/// Runtime's Rust binding runs a session through `&mut`, so a run takes an idle session of its graph and puts it
/// back after; when every session of the graph is busy (two `analyze` jobs, two pool threads at the same model)
/// another one is made from the same file, so parallel work never waits for a session. A graph thus has as many
/// sessions as runs ever overlapped on it: one in a plugin pool of one thread, at most one per job in `analyze`.
#[derive(Debug)]
pub struct Model {
    dir: PathBuf,
    manifest: Manifest,
    graphs: Vec<GraphSessions>,
    runtime: &'static Runtime,
    options: SessionOptions,
    provider: Provider,
    fallback_reason: Option<String>,
}

/// One graph's sessions: the one loaded and checked with the model, then any made for overlapping runs.
#[derive(Debug)]
struct GraphSessions {
    file: PathBuf,
    idle: Mutex<Vec<OnnxSession>>,
    made: AtomicUsize,
    /// ONNX Runtime runs so far (fewer than the model's runs when they are combined).
    runs: AtomicUsize,
    /// Present when this graph's runs are combined into batches (the options ask for it and every input and
    /// output has a dynamic batch axis).
    combiner: Option<Combiner>,
}

impl GraphSessions {
    fn take(&self) -> Option<OnnxSession> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    fn put_back(&self, session: OnnxSession) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(session);
    }
}

impl Model {
    /// Loads `dir/manifest.json` and every graph it names, and checks each graph's real tensors against it.
    pub fn load(dir: &Path, runtime: &'static Runtime, options: SessionOptions) -> Result<Self, ModelError> {
        let manifest = Manifest::load(dir)?;
        let manifest_path = dir.join(crate::manifest::MANIFEST_FILE);
        let mut sessions = Vec::with_capacity(manifest.graphs.len());
        let mut files = Vec::with_capacity(manifest.graphs.len());
        for graph in &manifest.graphs {
            let file = dir.join(&graph.file);
            if !file.is_file() {
                return Err(ModelError::MissingFile { manifest: manifest_path, file });
            }
            let session = OnnxSession::load(runtime, &file, options)?;
            check_graph(graph, &session).map_err(|reason| ModelError::Mismatch { file: file.clone(), reason })?;
            sessions.push(session);
            files.push(file);
        }
        let provider = sessions.first().map_or(Provider::Cpu, OnnxSession::provider);
        let fallback_reason = sessions.first().and_then(|s| s.fallback_reason().map(str::to_string));
        let combine = options.batching.combines(provider == Provider::Cuda);
        let graphs = sessions
            .into_iter()
            .zip(files)
            .map(|(session, file)| {
                let batch_axis = |tensors: &[TensorInfo]| tensors.iter().all(|t| t.dims.first() == Some(&None));
                let batchable =
                    !session.inputs().is_empty() && batch_axis(session.inputs()) && batch_axis(session.outputs());
                GraphSessions {
                    file,
                    idle: Mutex::new(vec![session]),
                    made: AtomicUsize::new(1),
                    runs: AtomicUsize::new(0),
                    combiner: (combine && batchable).then(Combiner::default),
                }
            })
            .collect();
        Ok(Self { dir: dir.to_path_buf(), manifest, graphs, runtime, options, provider, fallback_reason })
    }

    /// The folder it was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The provider its sessions run on (all graphs of a model share the same options).
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Why CUDA was asked for and not used, if so.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// Runs the graph with `role` on float32 inputs; returns its outputs in graph order. Runs on other threads
    /// at the same time use other sessions of the graph (made on demand, see the type's docs) — or, when this
    /// model combines runs ([`crate::combine`]), join one batched run with them.
    pub fn run(&self, role: GraphRole, inputs: &[ArrayViewD<'_, f32>]) -> Result<Vec<ArrayD<f32>>, ModelError> {
        let graph = self.graph(role)?;
        match &graph.combiner {
            Some(combiner) => combiner
                .run(inputs, &|views| {
                    // The reason alone: the error below names the file once.
                    self.run_session(graph, views).map_err(|e| match e {
                        ModelError::Runtime(RuntimeError::Run { reason, .. }) => reason,
                        other => other.to_string(),
                    })
                })
                .map_err(|reason| ModelError::Runtime(RuntimeError::Run { path: graph.file.clone(), reason })),
            None => self.run_session(graph, inputs),
        }
    }

    /// One ONNX Runtime run of `graph` on an idle session (made when none is idle).
    fn run_session(
        &self,
        graph: &GraphSessions,
        inputs: &[ArrayViewD<'_, f32>],
    ) -> Result<Vec<ArrayD<f32>>, ModelError> {
        graph.runs.fetch_add(1, Ordering::Relaxed);
        let mut session = match graph.take() {
            Some(session) => session,
            None => {
                let session = OnnxSession::load(self.runtime, &graph.file, self.options)?;
                graph.made.fetch_add(1, Ordering::Relaxed);
                session
            }
        };
        // A run that panics drops its session (the next run makes another); one that fails keeps it.
        let outputs = session.run(inputs);
        graph.put_back(session);
        Ok(outputs?)
    }

    /// Sessions made for the graph with `role` so far: one, plus one for each run that overlapped all the others.
    pub fn sessions(&self, role: GraphRole) -> usize {
        self.graph(role).map_or(0, |g| g.made.load(Ordering::Relaxed))
    }

    /// ONNX Runtime runs of the graph with `role` so far: as many as [`Model::run`] calls, fewer when runs are
    /// combined into batches.
    pub fn session_runs(&self, role: GraphRole) -> usize {
        self.graph(role).map_or(0, |g| g.runs.load(Ordering::Relaxed))
    }

    /// Whether this model's runs from several threads are combined into batches ([`crate::combine`]).
    pub fn combines_runs(&self) -> bool {
        self.graphs.iter().any(|g| g.combiner.is_some())
    }

    fn graph(&self, role: GraphRole) -> Result<&GraphSessions, ModelError> {
        let index = self.manifest.graphs.iter().position(|g| g.role == role).ok_or_else(|| ModelError::Mismatch {
            file: self.dir.clone(),
            reason: format!("the model has no {role:?} graph"),
        })?;
        Ok(&self.graphs[index])
    }
}

/// Compares one graph's manifest entry with what ONNX Runtime reports.
fn check_graph(spec: &GraphSpec, session: &OnnxSession) -> Result<(), String> {
    check_tensors("input", &spec.inputs, session.inputs())?;
    check_tensors("output", &spec.outputs, session.outputs())
}

fn check_tensors(kind: &str, specs: &[crate::manifest::TensorSpec], real: &[TensorInfo]) -> Result<(), String> {
    if specs.len() != real.len() {
        let names: Vec<&str> = real.iter().map(|t| t.name.as_str()).collect();
        return Err(format!("the manifest lists {} {kind}s, the graph has {} ({names:?})", specs.len(), real.len()));
    }
    for (spec, info) in specs.iter().zip(real) {
        if spec.name != info.name {
            return Err(format!("{kind} `{}` in the manifest is `{}` in the graph", spec.name, info.name));
        }
        if spec.dtype != info.element_type {
            return Err(format!(
                "{kind} `{}` is {} in the graph, {} in the manifest",
                spec.name, info.element_type, spec.dtype
            ));
        }
        let manifest_dims: Vec<Option<u64>> = spec.shape.iter().map(crate::manifest::Dim::fixed).collect();
        if manifest_dims != info.dims {
            return Err(format!(
                "{kind} `{}` has shape {} in the graph, {} in the manifest",
                spec.name,
                format_dims(&info.dims),
                format_dims(&manifest_dims)
            ));
        }
    }
    Ok(())
}
