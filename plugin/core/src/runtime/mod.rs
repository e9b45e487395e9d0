//! The ONNX Runtime wrapper: loads `libonnxruntime` by absolute path (never from the working directory or the
//! host's environment), creates the one process-wide environment, and builds sessions on it.

mod locate;
mod session;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

pub use locate::{ORT_CACHE_DIR, ORT_ENV_VAR, ORT_LIBRARY_FILE, ORT_VERSION, SearchPlan, own_binary_dir};
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
    version: String,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("library", &self.library).field("version", &self.version).finish()
    }
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
                Err(RuntimeError::AlreadyLoaded { loaded: runtime.library.clone(), requested })
            };
        }
        if !requested.is_file() {
            return Err(RuntimeError::LibraryNotFound { searched: vec![format!("{} (given)", requested.display())] });
        }
        let builder = ort::init_from(&requested)
            .map_err(|e| RuntimeError::LibraryLoad { path: requested.clone(), reason: e.to_string() })?;
        let environment = builder
            .with_name("earmark")
            .with_telemetry(false)
            .build()
            .map_err(|e| RuntimeError::Environment(e.to_string()))?;
        let version = library_version(&requested).unwrap_or_else(|| "unknown".into());
        Ok(RUNTIME.get_or_init(|| Runtime { environment, library: requested, version }))
    }

    /// The library file in use.
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// The ONNX Runtime environment sessions are built on.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The library's own version string (`OrtGetApiBase()->GetVersionString()`), e.g. `1.31.1`.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// Asks the already-loaded library for its version (`ort` keeps that to itself).
fn library_version(path: &Path) -> Option<String> {
    use std::ffi::{CStr, CString};
    use std::os::unix::ffi::OsStrExt;

    let name = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: RTLD_NOLOAD only returns a handle to a library that is already loaded (ort loaded it), raising its
    // reference count, which dlclose lowers again; the symbol is ONNX Runtime's documented C entry point, whose
    // API base struct and version string live as long as the library.
    unsafe {
        let handle = libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
        if handle.is_null() {
            return None;
        }
        let symbol = libc::dlsym(handle, c"OrtGetApiBase".as_ptr());
        let version = if symbol.is_null() {
            None
        } else {
            let get_base: unsafe extern "C" fn() -> *const ort::sys::OrtApiBase = std::mem::transmute(symbol);
            let base = get_base();
            (!base.is_null()).then(|| CStr::from_ptr(((*base).GetVersionString)()).to_string_lossy().into_owned())
        };
        libc::dlclose(handle);
        version
    }
}
