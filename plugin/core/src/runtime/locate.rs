//! Finding `libonnxruntime.so` without help from the environment a DAW happens to have.
//!
//! `ort`'s own fallback resolves relative names against the *host executable* (the DAW), which is wrong for a
//! plugin, so we always hand it an absolute path, found in this order:
//! 1. next to our own binary: the plugin `.so` (found with `dladdr`) or the executable (CLI, tests);
//! 2. the cache `cargo xtask ort` fills: `<target>/earmark-ort/<version>/{gpu,cpu}/`, searched upwards from
//!    the binary's folder so that `target/debug/deps/*` test binaries find it too;
//! 3. `EARMARK_ORT_LIB` (the library file, or a folder holding it).

use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::RuntimeError;

/// The ONNX Runtime release Earmark is built and tested against (`ort` 2.0.0-rc.15, API 24).
pub const ORT_VERSION: &str = "1.31.1";
/// The library's file name inside the PyPI wheels and inside our bundles.
pub const ORT_LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";
/// Environment variable naming the library (or its folder) when it is nowhere else.
pub const ORT_ENV_VAR: &str = "EARMARK_ORT_LIB";
/// Folder under the cargo target directory that `cargo xtask ort` fills.
pub const ORT_CACHE_DIR: &str = "earmark-ort";

/// The places to look, in order, each with why it is on the list (shown to the user when all fail).
#[derive(Debug, Clone, Default)]
pub struct SearchPlan {
    /// Candidate library files, in order.
    pub candidates: Vec<(PathBuf, &'static str)>,
}

impl SearchPlan {
    /// The standard plan for this process: own binary's folder, xtask cache, then `EARMARK_ORT_LIB`.
    pub fn standard() -> Self {
        let mut binary_dirs: Vec<PathBuf> = Vec::new();
        for path in [own_binary_path(), std::env::current_exe().ok()].into_iter().flatten() {
            if let Some(dir) = path.parent()
                && !binary_dirs.iter().any(|d| d == dir)
            {
                binary_dirs.push(dir.to_path_buf());
            }
        }
        let env = std::env::var_os(ORT_ENV_VAR).map(PathBuf::from);
        Self::build(&binary_dirs, env.as_deref())
    }

    /// A plan from explicit binary folders and an optional `EARMARK_ORT_LIB` value (tests use this directly).
    pub fn build(binary_dirs: &[PathBuf], env_value: Option<&Path>) -> Self {
        let mut candidates = Vec::new();
        for dir in binary_dirs {
            candidates.push((dir.join(ORT_LIBRARY_FILE), "next to the Earmark binary"));
        }
        let flavours: &[&str] = if cfg!(feature = "cuda") { &["gpu", "cpu"] } else { &["cpu", "gpu"] };
        for dir in binary_dirs {
            for ancestor in dir.ancestors() {
                let cache = ancestor.join(ORT_CACHE_DIR).join(ORT_VERSION);
                for flavour in flavours {
                    let file = cache.join(flavour).join(ORT_LIBRARY_FILE);
                    if file.exists() && !candidates.iter().any(|(c, _)| c == &file) {
                        candidates.push((file, "cache of `cargo xtask ort`"));
                    }
                }
            }
        }
        if binary_dirs.is_empty() || !candidates.iter().any(|(_, why)| *why == "cache of `cargo xtask ort`") {
            // Say where the cache would have been, so the error message tells the whole story.
            if let Some(dir) = binary_dirs.first() {
                let target = dir.ancestors().find(|a| a.file_name() == Some(OsStr::new("target"))).unwrap_or(dir);
                candidates.push((
                    target.join(ORT_CACHE_DIR).join(ORT_VERSION).join(flavours[0]).join(ORT_LIBRARY_FILE),
                    "cache of `cargo xtask ort`",
                ));
            }
        }
        if let Some(value) = env_value {
            let file = if value.is_dir() { value.join(ORT_LIBRARY_FILE) } else { value.to_path_buf() };
            candidates.push((file, "EARMARK_ORT_LIB"));
        }
        Self { candidates }
    }

    /// The first candidate that exists, or an error listing every place searched.
    pub fn find(&self) -> Result<PathBuf, RuntimeError> {
        self.candidates.iter().find(|(path, _)| path.is_file()).map(|(path, _)| path.clone()).ok_or_else(|| {
            RuntimeError::LibraryNotFound {
                searched: self.candidates.iter().map(|(p, why)| format!("{} ({why})", p.display())).collect(),
            }
        })
    }
}

/// The folder of the file this code was loaded from (see [`own_binary_path`]).
pub fn own_binary_dir() -> Option<PathBuf> {
    own_binary_path().and_then(|p| p.parent().map(Path::to_path_buf))
}

/// The file this code was loaded from: the plugin's `.so` inside a DAW, the executable otherwise.
fn own_binary_path() -> Option<PathBuf> {
    // SAFETY: `dladdr` only reads the address we pass (a function in this very object) and fills `info`.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let address = own_binary_path as *const () as *const libc::c_void;
    let found = unsafe { libc::dladdr(address, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: `dli_fname` is a NUL-terminated string owned by the dynamic loader, valid while we are loaded.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(OsStr::from_bytes(name.to_bytes()));
    std::fs::canonicalize(&path).ok().or(Some(path)).filter(|p| p.is_absolute())
}
