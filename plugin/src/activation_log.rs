//! Each activation's audio accounting, for hosts and test harnesses that cannot see the editor.
//!
//! The editor's status line says when the worker fell behind and audio had to be dropped ("N samples dropped");
//! a host driving many instances (the multi-instance benchmark, a CI harness) has no editor to read. With
//! `EARMARK_ACTIVATION_LOG=FILE` in the environment, every instance appends one JSON line to FILE when it is
//! deactivated: `{"host_rate": 48000, "samples_in": N, "dropped_samples": D}`. Written on the main thread at
//! deactivation, never from `process()`; without the variable nothing is written.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

/// The environment variable naming the file.
pub const VARIABLE: &str = "EARMARK_ACTIVATION_LOG";

/// One activation's accounting.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The host's sample rate.
    pub host_rate: u32,
    /// Frames the host passed to `process()`.
    pub samples_in: u64,
    /// Frames that found the analysis queue full (the worker fell behind) and were not analysed.
    pub dropped_samples: u64,
}

/// Where entries go, when the environment asks for them.
#[derive(Debug, Clone)]
pub struct ActivationLog {
    path: PathBuf,
}

impl ActivationLog {
    /// The log `EARMARK_ACTIVATION_LOG` names, if set and not empty.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(VARIABLE).filter(|p| !p.is_empty()).map(|p| Self { path: PathBuf::from(p) })
    }

    /// Appends `entry` as one line (one `write` call, so instances in one process do not interleave lines).
    pub fn append(&self, entry: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?.write_all(line.as_bytes())
    }

    /// The file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}
