//! Berlin Emotional Speech (EmoDB): a folder of utterances labelled by their file names.
//!
//! Layout: any folder (searched recursively) of audio files (`wav`, `flac`, `mp3`, `ogg`) named `SSTTTEV.ext`,
//! e.g. `03a01Fa.wav`:
//!
//! | chars | meaning | example |
//! |---|---|---|
//! | 0–1 | speaker, two digits | `03` |
//! | 2–4 | text id, a letter and two digits | `a01` |
//! | 5 | emotion (German initial): `W` anger, `L` boredom, `E` disgust, `A` fear, `F` happiness, `T` sadness, `N` neutral | `F` |
//! | 6 | version, a lowercase letter | `a` |
//!
//! Emotions map onto the canonical speech vocabulary ([`super::speech::SPEECH_EMOTIONS`]); the classes are
//! those present, in canonical order. The group is the speaker, so no voice is on both sides of a split.
//!
//! An audio file whose name breaks the convention is an **error** naming it: its label cannot be known, and
//! silently skipping it would hide a wrong root folder. Other files (`labels.csv`, READMEs) are ignored.
//!
//! The file names alone suffice. If the root holds a `labels.csv` (columns `file,speaker,text,emotion`; emotion
//! a canonical name, an adjective like `happy`, or the letter code), it is **validated** against the names: a
//! disagreeing row, or a row whose file is missing, is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use earmark_core::audio::find_audio_files;

use super::dataset::Dataset;
use super::error::DataError;
use super::manifest_csv::{column_index, read_csv};
use super::speech::{SPEECH_EMOTIONS, canonical_emotion, speech_dataset};

/// The naming convention, as shown in errors.
pub const PATTERN: &str = "SSTTTEV.ext, e.g. 03a01Fa.wav (SS speaker digits, TTT text id like a01, E emotion letter W/L/E/A/F/T/N, V version letter)";

/// What an EmoDB file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmoDbName {
    /// Speaker, two digits (e.g. `03`).
    pub speaker: String,
    /// Text id (e.g. `a01`).
    pub text: String,
    /// Index into [`SPEECH_EMOTIONS`].
    pub emotion: usize,
    /// Version letter.
    pub version: char,
}

/// The canonical emotion of an EmoDB emotion letter.
pub fn emotion_of_code(code: char) -> Option<usize> {
    let name = match code {
        'W' => "anger",
        'L' => "boredom",
        'E' => "disgust",
        'A' => "fear",
        'F' => "happiness",
        'T' => "sadness",
        'N' => "neutral",
        _ => return None,
    };
    canonical_emotion(name)
}

/// Parses an EmoDB file name.
pub fn parse_name(path: &Path) -> Result<EmoDbName, DataError> {
    let bad = |reason: String| DataError::BadFileName {
        path: path.to_path_buf(),
        dataset: "EmoDB",
        expected: PATTERN,
        reason,
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let chars: Vec<char> = stem.chars().collect();
    if chars.len() != 7 {
        return Err(bad(format!("the name before the extension has {} characters, not 7", chars.len())));
    }
    if !chars[..2].iter().all(char::is_ascii_digit) {
        return Err(bad(format!("speaker `{}` is not two digits", stem.get(..2).unwrap_or(stem))));
    }
    if !(chars[2].is_ascii_lowercase() && chars[3].is_ascii_digit() && chars[4].is_ascii_digit()) {
        let text: String = chars[2..5].iter().collect();
        return Err(bad(format!("text id `{text}` is not a lowercase letter and two digits")));
    }
    let emotion = emotion_of_code(chars[5]).ok_or_else(|| bad(format!("`{}` is not an emotion letter", chars[5])))?;
    if !chars[6].is_ascii_lowercase() {
        return Err(bad(format!("version `{}` is not a lowercase letter", chars[6])));
    }
    Ok(EmoDbName { speaker: stem[..2].to_string(), text: stem[2..5].to_string(), emotion, version: chars[6] })
}

/// Loads every EmoDB utterance under `root` as dataset `emodb`.
pub fn load(root: &Path) -> Result<Dataset, DataError> {
    let files = find_audio_files(&[root.to_path_buf()]).map_err(|e| DataError::io(root, e))?;
    let mut by_stem: BTreeMap<String, (PathBuf, EmoDbName)> = BTreeMap::new();
    for path in files {
        let name = parse_name(&path)?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        if let Some((other, _)) = by_stem.get(&stem) {
            return Err(DataError::BadValue {
                path,
                line: None,
                reason: format!("the same utterance is also in {}; keep one of them", other.display()),
            });
        }
        by_stem.insert(stem, (path, name));
    }
    if by_stem.is_empty() {
        return Err(DataError::Empty {
            path: root.to_path_buf(),
            expected: format!("EmoDB audio files named {PATTERN}"),
        });
    }
    let labels = root.join("labels.csv");
    if labels.is_file() {
        validate_labels(&labels, root, &by_stem)?;
    }
    let entries = by_stem.into_values().map(|(path, name)| (path, name.speaker, name.emotion)).collect();
    speech_dataset("emodb", entries)
}

/// Checks `labels.csv` against the file names (see the module docs).
fn validate_labels(
    csv_path: &Path,
    root: &Path,
    by_stem: &BTreeMap<String, (PathBuf, EmoDbName)>,
) -> Result<(), DataError> {
    let (header, rows) = read_csv(csv_path)?;
    let column = |name: &str| column_index(csv_path, &header, name, "EmoDB labels.csv has file,speaker,text,emotion");
    let (file_col, speaker_col, text_col, emotion_col) =
        (column("file")?, column("speaker")?, column("text")?, column("emotion")?);
    let mut listed = Vec::new();
    for (line, row) in &rows {
        let file = &row[file_col];
        let stem = Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let Some((_, name)) = by_stem.get(stem) else {
            listed.push(root.join(file));
            continue;
        };
        let mismatch = |what: &str, in_csv: &str, named: &str| DataError::BadValue {
            path: csv_path.to_path_buf(),
            line: Some(*line),
            reason: format!("{what} of {file} is `{in_csv}` here but `{named}` in the file name"),
        };
        let speaker = &row[speaker_col];
        let same_speaker = match (speaker.parse::<u32>(), name.speaker.parse::<u32>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => *speaker == name.speaker,
        };
        if !same_speaker {
            return Err(mismatch("speaker", speaker, &name.speaker));
        }
        if row[text_col] != name.text {
            return Err(mismatch("text", &row[text_col], &name.text));
        }
        let emotion = &row[emotion_col];
        let listed_emotion = emotion.chars().next().filter(|_| emotion.len() == 1).and_then(emotion_of_code);
        if listed_emotion.or_else(|| canonical_emotion(emotion)) != Some(name.emotion) {
            return Err(mismatch("emotion", emotion, SPEECH_EMOTIONS[name.emotion]));
        }
    }
    if listed.is_empty() {
        return Ok(());
    }
    Err(DataError::MissingAudio {
        missing: listed.len(),
        annotated: rows.len(),
        examples: listed.into_iter().take(5).collect(),
        hint: format!("{} lists them but they are not under {}", csv_path.display(), root.display()),
    })
}
