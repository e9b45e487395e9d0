//! SAVEE (Surrey Audio-Visual Expressed Emotion): 480 British-English utterances by four male speakers, labelled
//! by their file names.
//!
//! Layout: any folder (searched recursively) of audio files named `SS_EENN.ext`, e.g. `DC_sa03.flac`:
//!
//! | part | meaning | example |
//! |---|---|---|
//! | `SS` | speaker initials: `DC`, `JE`, `JK`, `KL` (any two capitals are accepted) | `DC` |
//! | `EE` | emotion: `a` anger, `d` disgust, `f` fear, `h` happiness, `n` neutral, `sa` sadness, `su` surprise | `sa` |
//! | `NN` | take, two digits | `03` |
//!
//! Emotions map onto the canonical speech vocabulary ([`super::speech::SPEECH_EMOTIONS`]); the group is the
//! speaker. An audio file whose name breaks the convention is an error naming it; other files are ignored.
//! The published corpus also ships per-speaker subfolders (`DC/a01.wav`): such a file takes its speaker from the
//! folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use earmark_core::audio::find_audio_files;

use super::dataset::Dataset;
use super::error::DataError;
use super::speech::{canonical_emotion, speech_dataset};

/// The naming convention, as shown in errors.
pub const PATTERN: &str =
    "SS_EENN.ext, e.g. DC_sa03.flac (SS speaker initials, EE emotion a/d/f/h/n/sa/su, NN take), or SS/EENN.ext";

/// The canonical emotion of a SAVEE emotion code.
pub fn emotion_of_code(code: &str) -> Option<usize> {
    let name = match code {
        "a" => "anger",
        "d" => "disgust",
        "f" => "fear",
        "h" => "happiness",
        "n" => "neutral",
        "sa" => "sadness",
        "su" => "surprise",
        _ => return None,
    };
    canonical_emotion(name)
}

/// (speaker, canonical emotion) of a file, from `SS_EENN` or a speaker folder holding `EENN`.
pub fn parse_name(path: &Path) -> Result<(String, usize), DataError> {
    let bad = |reason: &str| DataError::BadFileName {
        path: path.to_path_buf(),
        dataset: "SAVEE",
        expected: PATTERN,
        reason: reason.to_string(),
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).ok_or_else(|| bad("no file name"))?;
    let (speaker, rest) = match stem.split_once('_') {
        Some((speaker, rest)) => (speaker.to_string(), rest),
        None => {
            let folder = path.parent().and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or_default();
            (folder.to_string(), stem)
        }
    };
    if speaker.len() != 2 || !speaker.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(bad("the speaker must be two capital initials"));
    }
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let code = &rest[..rest.len() - digits.len()];
    if digits.len() != 2 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad("the take must be two digits"));
    }
    let emotion = emotion_of_code(code).ok_or_else(|| bad(&format!("unknown emotion code `{code}`")))?;
    Ok((speaker, emotion))
}

/// Loads SAVEE from `root` as dataset `savee`.
pub fn load(root: &Path) -> Result<Dataset, DataError> {
    let files = find_audio_files(&[root.to_path_buf()]).map_err(|e| DataError::io(root, e))?;
    let mut entries: BTreeMap<PathBuf, (String, usize)> = BTreeMap::new();
    for path in files {
        let (speaker, emotion) = parse_name(&path)?;
        entries.insert(path, (speaker, emotion));
    }
    if entries.is_empty() {
        return Err(DataError::Empty { path: root.to_path_buf(), expected: format!("SAVEE files: {PATTERN}") });
    }
    speech_dataset("savee", entries.into_iter().map(|(path, (speaker, emotion))| (path, speaker, emotion)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_speaker_and_emotion() {
        let parse = |p: &str| parse_name(Path::new(p)).map(|(s, e)| (s, super::super::speech::SPEECH_EMOTIONS[e]));
        assert_eq!(parse("x/DC_sa03.flac").unwrap(), ("DC".into(), "sadness"));
        assert_eq!(parse("x/KL_su15.wav").unwrap(), ("KL".into(), "surprise"));
        assert_eq!(parse("x/JE_n30.wav").unwrap(), ("JE".into(), "neutral"));
        assert_eq!(parse("AudioData/JK/h07.wav").unwrap(), ("JK".into(), "happiness"), "speaker from the folder");
        for bad in ["x/DC_x01.wav", "x/DC_a1.wav", "x/dc_a01.wav", "x/a01.wav", "x/DC_sa3x.wav"] {
            let error = parse_name(Path::new(bad)).unwrap_err().to_string();
            assert!(error.contains(bad) || error.contains("SAVEE"), "{bad}: {error}");
        }
    }
}
