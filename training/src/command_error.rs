//! Why a training command failed: one typed error for the library's command modules (`*/cli.rs`).
//!
//! The commands glue loaders, trainers, stores and exporters together, so their error is mostly those parts' own
//! errors passed through (each already names the file and says what to do); what the glue adds is the file it was
//! reading or writing itself and the options a user got wrong. Only the binary turns it into `anyhow`.

use std::path::{Path, PathBuf};

use earmark_core::audio::AudioError;

use crate::data::DataError;
use crate::emotion::pipeline::PipelineError;
use crate::feature_cache::CacheError;
use crate::genre::data::GenreDataError;
use crate::onnx::graph::ExportError;
use crate::synth::SynthError;
use crate::train::TrainError;
use crate::vocal::frames::FramesError;

/// Why a training command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A dataset that does not load or split.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A training, checkpoint or fold store that failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// An ONNX export that failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The feature cache.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The emotion pipeline (segments, encoder, heads).
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// Genre windows or data.
    #[error(transparent)]
    GenreData(#[from] GenreDataError),
    /// Generating or rendering audio.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// Vocal frame features.
    #[error(transparent)]
    Frames(#[from] FramesError),
    /// Finding or decoding audio files.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// A file the command itself reads or writes.
    #[error("{}: {source}", path.display())]
    File {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file that does not parse as what the command expects.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        #[source]
        source: serde_json::Error,
    },
    /// Options that do not fit together, or data that does not fit the options; the message says which.
    #[error("{0}")]
    Usage(String),
}

/// A command's result.
pub type CommandResult<T> = Result<T, CommandError>;

/// Names the file an I/O or JSON step was about, so the error says which one.
pub trait AtPath<T> {
    /// This result, its error tagged with `path`.
    fn at(self, path: &Path) -> CommandResult<T>;
}

impl<T> AtPath<T> for Result<T, std::io::Error> {
    fn at(self, path: &Path) -> CommandResult<T> {
        self.map_err(|source| CommandError::File { path: path.to_path_buf(), source })
    }
}

impl<T> AtPath<T> for Result<T, serde_json::Error> {
    fn at(self, path: &Path) -> CommandResult<T> {
        self.map_err(|source| CommandError::Json { path: path.to_path_buf(), source })
    }
}

/// Fails with a usage message.
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err($crate::command_error::CommandError::Usage(format!($($arg)*)))
    };
}
pub(crate) use usage;

/// Writes a file a command produces (atomically, creating its folder), naming it in the error.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> CommandResult<()> {
    crate::train::write_atomic(path, contents.as_ref()).at(path)
}

/// Reads a text file a command was given, naming it in the error.
pub fn read_text(path: &Path) -> CommandResult<String> {
    std::fs::read_to_string(path).at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_errors_name_the_file_and_keep_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-report.md");
        let error = read_text(&missing).unwrap_err();
        assert!(matches!(&error, CommandError::File { path, .. } if path == &missing), "{error:?}");
        assert!(error.to_string().contains("no-such-report.md"), "{error}");
        assert!(std::error::Error::source(&error).is_some(), "the I/O cause is kept for the binary's chain");

        let bad = dir.path().join("settings.json");
        std::fs::write(&bad, "{ not json").unwrap();
        let error = serde_json::from_str::<serde_json::Value>(&read_text(&bad).unwrap()).at(&bad).unwrap_err();
        assert!(matches!(&error, CommandError::Json { path, .. } if path == &bad), "{error:?}");
    }

    #[test]
    fn written_files_land_whole_in_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/REPORT.md");
        write_file(&path, "# report\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# report\n");
        // A folder where the file should go is an error naming it, not a panic.
        let error = write_file(dir.path(), "x").unwrap_err();
        assert!(error.to_string().contains(&dir.path().display().to_string()), "{error}");
    }
}
