//! Why a dataset could not be loaded, changed or split.
//!
//! Every variant names the file (and line, where there is one) and says what was expected, because the person
//! reading the message is usually looking at a folder of thousands of files and needs to know which one to fix.

use std::path::PathBuf;

/// Why a dataset could not be loaded, changed or split.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file or folder could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {reason}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// A CSV file is not well-formed (unbalanced quotes, a row with the wrong number of fields, …).
    #[error("{}{}: malformed CSV: {reason}", path.display(), line_suffix(*line))]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The 1-based line, when known.
        line: Option<u64>,
        /// The parser's reason.
        reason: String,
    },
    /// A CSV file lacks a column the format requires.
    #[error("{} has no column `{column}` ({expected}); its columns are: {}", path.display(), found.join(", "))]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The missing column.
        column: String,
        /// What the column is for, or which alternatives would do.
        expected: String,
        /// The columns the header does have.
        found: Vec<String>,
    },
    /// A value in a file is not what the format allows.
    #[error("{}{}: {reason}", path.display(), line_suffix(*line))]
    BadValue {
        /// The file.
        path: PathBuf,
        /// The 1-based line, when known.
        line: Option<u64>,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// A label that is not in the vocabulary the dataset declares.
    #[error("{}{}: unknown {what} `{label}`; {vocabulary}", path.display(), line_suffix(*line))]
    UnknownLabel {
        /// The file where the label occurs.
        path: PathBuf,
        /// The 1-based line, when known.
        line: Option<u64>,
        /// `class` or `tag`.
        what: &'static str,
        /// The label as written.
        label: String,
        /// Where the vocabulary comes from and what it holds (`/data/classes.txt lists: sad, happy`).
        vocabulary: String,
    },
    /// An audio file's name does not follow the dataset's naming convention, so its label cannot be known.
    #[error("{}: file name does not follow the {dataset} convention `{expected}`: {reason}", path.display())]
    BadFileName {
        /// The file.
        path: PathBuf,
        /// The dataset whose convention applies.
        dataset: &'static str,
        /// The expected pattern.
        expected: &'static str,
        /// What exactly does not match.
        reason: String,
    },
    /// Annotated items whose audio file is not there.
    #[error(
        "{missing} of {annotated} annotated items have no audio file (first: {}); {hint}",
        examples.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    MissingAudio {
        /// How many are missing.
        missing: usize,
        /// How many items were annotated.
        annotated: usize,
        /// The first few missing paths.
        examples: Vec<PathBuf>,
        /// What to check.
        hint: String,
    },
    /// Loading found nothing to train on.
    #[error("{}: no items found; expected {expected}", path.display())]
    Empty {
        /// The root folder or manifest.
        path: PathBuf,
        /// The layout that was looked for.
        expected: String,
    },
    /// A request that does not fit the dataset (unknown class, mismatched kinds, too few groups, …).
    #[error("dataset `{dataset}`: {reason}")]
    Invalid {
        /// The dataset's name.
        dataset: String,
        /// What is wrong and what would work.
        reason: String,
    },
    /// A split puts one group into two parts, so the evaluation would leak.
    #[error(
        "dataset `{dataset}`: group `{group}` is in both {first} and {second}; a group must stay on one side of a split"
    )]
    GroupLeak {
        /// The dataset's name.
        dataset: String,
        /// The group found twice.
        group: String,
        /// The first part (`train`, `validation` or `test`).
        first: &'static str,
        /// The second part.
        second: &'static str,
    },
}

fn line_suffix(line: Option<u64>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

impl DataError {
    /// An [`DataError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Self {
        Self::Io { path: path.into(), reason: error.to_string() }
    }

    /// A [`DataError::Csv`] from the `csv` crate's error.
    pub(crate) fn csv(path: impl Into<PathBuf>, error: &csv::Error) -> Self {
        let line = error.position().map(|p| p.line());
        let reason = match error.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("{len} fields where the header has {expected_len}")
            }
            _ => error.to_string(),
        };
        Self::Csv { path: path.into(), line, reason }
    }

    /// A [`DataError::Invalid`].
    pub(crate) fn invalid(dataset: &str, reason: impl Into<String>) -> Self {
        Self::Invalid { dataset: dataset.to_string(), reason: reason.into() }
    }
}
