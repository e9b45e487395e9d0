//! The ONNX Runtime wrapper: loads `libonnxruntime` by absolute path (never from the working directory or the
//! host's environment), creates the one process-wide environment, and builds sessions on it.

mod locate;
mod session;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

pub use locate::{ORT_CACHE_DIR, ORT_ENV_VAR, ORT_LIBRARY_FILE, ORT_VERSION, SearchPlan};
pub use session::{Device, OnnxSession, Provider, SessionOptions, TensorInfo, format_dims};

/// What can go wrong between "run this model" and its output.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    /// The library is nowhere we looked.
    #[error(
        "ONNX Runtime {ORT_VERSION} ({ORT_LIBRARY_FILE}) was not found. Looked in:\n  {}\n\
         Provision it with `cargo xtask ort`, or set {ORT_ENV_VAR} to the library file.",
        searched.join("\n  ")
    )]
    LibraryNotFound {
        /// Every place searched, with why it was searched.
        searched: Vec<String>,
    },
    /// The file exists but is not a loadable ONNX Runtime of a compatible version.
    #[error("could not load ONNX Runtime from {}: {reason}", path.display())]
    LibraryLoad {
        /// The file.
        path: PathBuf,
        /// The loader's reason.
        reason: String,
    },
    /// The process already loaded ONNX Runtime from elsewhere; one process holds one copy.
    #[error("ONNX Runtime is already loaded from {}; cannot also load {}", loaded.display(), requested.display())]
    AlreadyLoaded {
        /// Library in use.
        loaded: PathBuf,
        /// Library asked for.
        requested: PathBuf,
    },
    /// ONNX Runtime refused to create its environment.
    #[error("could not create the ONNX Runtime environment: {0}")]
    Environment(String),
    /// A model file could not be turned into a session (missing, corrupt, unsupported operator…).
    #[error("could not load the ONNX model {}: {reason}", path.display())]
    Session {
        /// The model file.
        path: PathBuf,
        /// ONNX Runtime's reason.
        reason: String,
    },
    /// Running a session failed.
    #[error("running {} failed: {reason}", path.display())]
    Run {
        /// The model file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// The loaded ONNX Runtime library and its environment. One per process.
pub struct Runtime {
    environment: Environment,
    library: PathBuf,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static INIT: Mutex<()> = Mutex::new(());

impl Runtime {
    /// The process's runtime, loading the library found by [`SearchPlan::standard`] on first use.
    ///
    /// A failure is not cached: after `cargo xtask ort` the next call succeeds.
    pub fn global() -> Result<&'static Runtime, RuntimeError> {
        if let Some(runtime) = RUNTIME.get() {
            return Ok(runtime);
        }
        let path = SearchPlan::standard().find()?;
        Self::init_from(&path)
    }

    /// Loads ONNX Runtime from `path` (absolute) unless a runtime is already loaded, in which case that one must be
    /// the same file.
    pub fn init_from(path: &Path) -> Result<&'static Runtime, RuntimeError> {
        let _guard = INIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let requested = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(runtime) = RUNTIME.get() {
            return if runtime.library == requested {
                Ok(runtime)
            } else {
                Err(RuntimeError::AlreadyLoaded {
                    loaded: runtime.library.clone(),
                    requested,
                })
            };
        }
        if !requested.is_file() {
            return Err(RuntimeError::LibraryNotFound {
                searched: vec![format!("{} (given)", requested.display())],
            });
        }
        let builder = ort::init_from(&requested).map_err(|e| RuntimeError::LibraryLoad {
            path: requested.clone(),
            reason: e.to_string(),
        })?;
        let environment = builder
            .with_name("earmark")
            .with_telemetry(false)
            .build()
            .map_err(|e| RuntimeError::Environment(e.to_string()))?;
        Ok(RUNTIME.get_or_init(|| Runtime {
            environment,
            library: requested,
        }))
    }

    /// The library file in use.
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// The ONNX Runtime environment sessions are built on.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The library's own version string, e.g. `1.31.1`.
    pub fn version(&self) -> String {
        ort::info()
            .split(',')
            .find_map(|p| p.trim().strip_prefix("ORT Build Info: git-branch=rel-"))
            .map_or_else(|| ORT_VERSION.to_string(), str::to_string)
    }
}
