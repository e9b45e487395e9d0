//! Models loaded once per process: every engine that asks for the same model folder on the same device gets the
//! same [`Model`] (its sessions included), and the last engine to let go of it frees it.
//!
//! Why: a host with Earmark on 32 tracks would otherwise hold 32 copies of every session, and `earmark analyze`
//! with several jobs one copy per job and sample rate. The cache holds only weak references, so it never keeps a
//! model alive by itself, and a folder whose files changed on disk (a retrained model) is loaded afresh.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::SystemTime;

use crate::model::{Model, ModelError};
use crate::runtime::{Device, Runtime, SessionOptions};

/// What makes two loads the same: the folder, the session options, and the size and modification time of every
/// file in the folder (so that a model written again is not served from memory).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    dir: PathBuf,
    device: Device,
    intra_threads: usize,
    batching: crate::combine::Batching,
    files: Vec<(PathBuf, u64, Option<SystemTime>)>,
}

impl Key {
    fn of(dir: &Path, options: SessionOptions) -> Self {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let mut files: Vec<(PathBuf, u64, Option<SystemTime>)> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok().filter(|m| m.is_file()).map(|m| (e.path(), m)))
                    .map(|(path, meta)| (path, meta.len(), meta.modified().ok()))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        Self { dir, device: options.device, intra_threads: options.intra_threads, batching: options.batching, files }
    }
}

/// The process's loaded models (see the module docs).
#[derive(Debug, Default)]
pub struct ModelCache {
    entries: Mutex<HashMap<Key, Weak<Model>>>,
}

impl ModelCache {
    /// The cache every engine of this process shares.
    pub fn global() -> &'static ModelCache {
        static CACHE: OnceLock<ModelCache> = OnceLock::new();
        CACHE.get_or_init(ModelCache::default)
    }

    /// The model in `dir` with `options`: the one already loaded if any engine still holds it, else loaded now.
    /// Loads are serialised, so two engines asking at once load it once. Failures are not remembered: the next
    /// call tries again (the user may have fixed the folder).
    pub fn load(
        &self,
        dir: &Path,
        runtime: &'static Runtime,
        options: SessionOptions,
    ) -> Result<Arc<Model>, ModelError> {
        let key = Key::of(dir, options);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, model| model.strong_count() > 0);
        if let Some(model) = entries.get(&key).and_then(Weak::upgrade) {
            return Ok(model);
        }
        let model = Arc::new(Model::load(dir, runtime, options)?);
        entries.insert(key, Arc::downgrade(&model));
        Ok(model)
    }

    /// How many holders the model loaded from `dir` has (on any device), 0 when none is loaded: the count the
    /// tests check sharing and release with.
    pub fn holders(&self, dir: &Path) -> usize {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.iter().filter(|(key, _)| key.dir == dir).map(|(_, model)| model.strong_count()).sum()
    }
}
