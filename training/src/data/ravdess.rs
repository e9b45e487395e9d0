//! RAVDESS speech: `Actor_NN/03-01-EE-II-SS-RR-AA.ext`, labels in the file name.
//!
//! The seven two-digit fields are modality (`03` audio-only), vocal channel (`01` speech), emotion, intensity
//! (`01` normal, `02` strong), statement (`01`, `02`), repetition (`01`, `02`) and actor (`01`–`24`; odd male,
//! even female). Emotions `01` neutral, `02` calm, `03` happy, `04` sad, `05` angry, `06` fearful, `07` disgust,
//! `08` surprised map onto the canonical speech vocabulary ([`super::speech::SPEECH_EMOTIONS`]: happy →
//! `happiness`, …); the classes are those present, in canonical order. The group is the actor (`AA`, e.g.
//! `01`), so no voice is on both sides of a split.
//!
//! Files are searched recursively under the root, in any supported format (the team copy is FLAC). An audio file
//! whose name breaks the convention, that is not audio-only speech (song files are `03-02-…`), or whose actor
//! disagrees with its `Actor_NN` folder is an **error** naming it, as for EmoDB: its label would be unknown or
//! suspect, and a silent skip would hide a wrong root. Non-audio files are ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use earmark_core::audio::find_audio_files;

use super::dataset::Dataset;
use super::error::DataError;
use super::speech::{canonical_emotion, speech_dataset};

/// The naming convention, as shown in errors.
pub const PATTERN: &str = "Actor_AA/03-01-EE-II-SS-RR-AA.ext (two-digit fields: audio-only 03, speech 01, emotion 01-08, intensity 01-02, statement 01-02, repetition 01-02, actor AA)";

/// What a RAVDESS file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RavdessName {
    /// Index into [`super::speech::SPEECH_EMOTIONS`].
    pub emotion: usize,
    /// 1 normal, 2 strong.
    pub intensity: u8,
    /// 1 "Kids are talking by the door", 2 "Dogs are sitting by the door".
    pub statement: u8,
    /// 1 or 2.
    pub repetition: u8,
    /// Actor, two digits as in the name (e.g. `07`).
    pub actor: String,
}

/// Parses a RAVDESS speech file name (not checking the folder).
pub fn parse_name(path: &Path) -> Result<RavdessName, DataError> {
    let bad = |reason: String| DataError::BadFileName {
        path: path.to_path_buf(),
        dataset: "RAVDESS speech",
        expected: PATTERN,
        reason,
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let fields: Vec<&str> = stem.split('-').collect();
    if fields.len() != 7 {
        return Err(bad(format!("{} `-`-separated fields instead of 7", fields.len())));
    }
    let mut numbers = [0u8; 7];
    for (number, field) in numbers.iter_mut().zip(&fields) {
        if field.len() != 2 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("field `{field}` is not two digits")));
        }
        *number = field.parse().map_err(|_| bad(format!("field `{field}` is not two digits")))?;
    }
    let [modality, channel, emotion, intensity, statement, repetition, actor] = numbers;
    if modality != 3 {
        return Err(bad(format!("modality {modality:02} is not 03 (audio-only)")));
    }
    if channel != 1 {
        return Err(bad(format!("vocal channel {channel:02} is not 01 (speech); song files belong to another set")));
    }
    let name = match emotion {
        1 => "neutral",
        2 => "calm",
        3 => "happy",
        4 => "sad",
        5 => "angry",
        6 => "fearful",
        7 => "disgust",
        8 => "surprised",
        _ => return Err(bad(format!("emotion {emotion:02} is not 01-08"))),
    };
    for (value, what) in [(intensity, "intensity"), (statement, "statement"), (repetition, "repetition")] {
        if !(1..=2).contains(&value) {
            return Err(bad(format!("{what} {value:02} is not 01 or 02")));
        }
    }
    if actor == 0 {
        return Err(bad("actor 00 does not exist".into()));
    }
    Ok(RavdessName {
        emotion: canonical_emotion(name).expect("RAVDESS names are canonical or adjective forms"),
        intensity,
        statement,
        repetition,
        actor: fields[6].to_string(),
    })
}

/// Loads every RAVDESS speech file under `root` as dataset `ravdess`.
pub fn load(root: &Path) -> Result<Dataset, DataError> {
    let files = find_audio_files(&[root.to_path_buf()]).map_err(|e| DataError::io(root, e))?;
    let mut by_stem: BTreeMap<String, (PathBuf, RavdessName)> = BTreeMap::new();
    for path in files {
        let name = parse_name(&path)?;
        let folder = path.parent().and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if let Some(folder_actor) = folder.strip_prefix("Actor_")
            && folder_actor.parse::<u32>().ok() != name.actor.parse::<u32>().ok()
        {
            return Err(DataError::BadFileName {
                path,
                dataset: "RAVDESS speech",
                expected: PATTERN,
                reason: format!("actor {} in the name but folder {folder}", name.actor),
            });
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        if let Some((other, _)) = by_stem.get(&stem) {
            return Err(DataError::BadValue {
                path,
                line: None,
                reason: format!("the same recording is also in {}; keep one of them", other.display()),
            });
        }
        by_stem.insert(stem, (path, name));
    }
    if by_stem.is_empty() {
        return Err(DataError::Empty {
            path: root.to_path_buf(),
            expected: format!("RAVDESS speech files: {PATTERN}"),
        });
    }
    let entries = by_stem.into_values().map(|(path, name)| (path, name.actor, name.emotion)).collect();
    speech_dataset("ravdess", entries)
}
