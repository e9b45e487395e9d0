//! Training checkpoints: one file holding the run's JSON state and the binary records (model weights, optimizer
//! moments, best weights so far), written atomically so a crash or Ctrl-C mid-write never leaves a checkpoint that
//! cannot be resumed. `--resume` reads it back and the run continues at the next epoch, with the same data order
//! and masks it would have had (every epoch's randomness is derived from the seed and the epoch number).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

const MAGIC: &[u8; 8] = b"EMCKPT01";

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file system refused.
    #[error("checkpoint {}: {source}", path.display())]
    Io {
        /// The checkpoint file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a checkpoint, is truncated, or belongs to another kind of run.
    #[error("checkpoint {}: {reason} (delete it, or start without --resume)", path.display())]
    Invalid {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A run's state plus named binary blobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint<S> {
    /// Epoch counters, best loss, history, config: anything serde can write.
    pub state: S,
    /// Named records (`model`, `optimizer`, `best`).
    pub blobs: Vec<(String, Vec<u8>)>,
}

impl<S: Serialize + DeserializeOwned> Checkpoint<S> {
    /// The blob called `name`.
    pub fn blob(&self, name: &str) -> Option<&[u8]> {
        self.blobs.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
    }

    /// Writes to `path` through a temporary file in the same folder and a rename.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let io = |source| CheckpointError::Io { path: path.to_path_buf(), source };
        let state = serde_json::to_vec(&self.state).map_err(|e| CheckpointError::Invalid {
            path: path.to_path_buf(),
            reason: format!("state does not serialise: {e}"),
        })?;
        let mut bytes = Vec::with_capacity(
            state.len() + self.blobs.iter().map(|(n, b)| n.len() + b.len() + 16).sum::<usize>() + 32,
        );
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(state.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&state);
        bytes.extend_from_slice(&(self.blobs.len() as u64).to_le_bytes());
        for (name, blob) in &self.blobs {
            bytes.extend_from_slice(&(name.len() as u64).to_le_bytes());
            bytes.extend_from_slice(name.as_bytes());
            bytes.extend_from_slice(&(blob.len() as u64).to_le_bytes());
            bytes.extend_from_slice(blob);
        }
        super::write_atomic(path, &bytes).map_err(io)
    }

    /// Reads a checkpoint written by [`Checkpoint::save`].
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io { path: path.to_path_buf(), source })?;
        let invalid = |reason: String| CheckpointError::Invalid { path: path.to_path_buf(), reason };
        let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| invalid("not an Earmark checkpoint".into()))?;
        let mut reader = Reader { rest };
        let truncated = || invalid("truncated".into());
        let n = reader.len().ok_or_else(truncated)?;
        let state = reader.take(n).ok_or_else(truncated)?;
        let state = serde_json::from_slice(state).map_err(|e| invalid(format!("its state does not match: {e}")))?;
        let count = reader.len().ok_or_else(truncated)?;
        let mut blobs = Vec::with_capacity(count.min(16));
        for _ in 0..count {
            let n = reader.len().ok_or_else(truncated)?;
            let name = reader.take(n).ok_or_else(truncated)?;
            let name = String::from_utf8(name.to_vec()).map_err(|_| invalid("a blob name is not UTF-8".into()))?;
            let n = reader.len().ok_or_else(truncated)?;
            blobs.push((name, reader.take(n).ok_or_else(truncated)?.to_vec()));
        }
        Ok(Self { state, blobs })
    }
}

/// Length-prefixed reading over a byte slice.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn len(&mut self) -> Option<usize> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
    }
}
