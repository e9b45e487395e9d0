//! The speech-emotion vocabulary shared by the EmoDB and RAVDESS loaders.
//!
//! The corpora name emotions differently (RAVDESS `happy`, EmoDB code `F` for *Freude*); mapping both onto one
//! canonical vocabulary lets them be merged ([`super::Dataset::merge`]) and lets the plugin's vocal-emotion
//! model use the same names whichever corpus trained it.

use std::path::PathBuf;

use super::dataset::{Dataset, Item, Target, TargetKind};
use super::error::DataError;

/// Canonical speech emotions, in canonical class order.
pub const SPEECH_EMOTIONS: [&str; 9] =
    ["neutral", "calm", "happiness", "sadness", "anger", "fear", "disgust", "surprise", "boredom"];

/// Concatenates speech corpora ([`Dataset::merge`]: groups kept apart per corpus) with the emotions in canonical
/// order, so merged speech sets always number emotions the same way whatever order the corpora come in.
pub fn merge(name: &str, parts: &[Dataset]) -> Result<Dataset, DataError> {
    let merged = Dataset::merge(name, parts)?;
    if !merged.classes.iter().all(|c| SPEECH_EMOTIONS.contains(&c.as_str())) {
        return Ok(merged);
    }
    let order: Vec<&str> = SPEECH_EMOTIONS.iter().copied().filter(|e| merged.classes.iter().any(|c| c == e)).collect();
    merged.filter_classes(&order)
}

/// The common 4-class setting of the speech-emotion literature, for [`Dataset::filter_classes`].
pub const FOUR_CLASS_SPEECH: [&str; 4] = ["neutral", "anger", "happiness", "sadness"];

/// The canonical index of an emotion name, accepting the usual adjective forms (`happy`, `angry`, `sad`,
/// `fearful`, `disgusted`, `surprised`, `bored`), case-insensitively.
pub fn canonical_emotion(name: &str) -> Option<usize> {
    let lower = name.trim().to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "happy" => "happiness",
        "sad" => "sadness",
        "angry" => "anger",
        "fearful" | "afraid" => "fear",
        "disgusted" => "disgust",
        "surprised" => "surprise",
        "bored" => "boredom",
        other => other,
    };
    SPEECH_EMOTIONS.iter().position(|e| *e == canonical)
}

/// A single-label dataset over the canonical emotions present in `entries` (path, group, canonical index),
/// keeping canonical order: a class nobody is labelled with would only be an untrainable output.
pub(crate) fn speech_dataset(name: &str, entries: Vec<(PathBuf, String, usize)>) -> Result<Dataset, DataError> {
    let mut present = [false; SPEECH_EMOTIONS.len()];
    for (_, _, emotion) in &entries {
        present[*emotion] = true;
    }
    let used: Vec<usize> = (0..SPEECH_EMOTIONS.len()).filter(|&e| present[e]).collect();
    let classes = used.iter().map(|&e| SPEECH_EMOTIONS[e].to_string()).collect();
    let items = entries
        .into_iter()
        .map(|(path, group, emotion)| {
            let class = used.iter().position(|&u| u == emotion).expect("emotion marked present");
            Item { path, group, target: Target::Class(class) }
        })
        .collect();
    Dataset::new(name, TargetKind::SingleLabel, classes, None, items)
}
