//! PMEmo (2019): pop-song choruses with static valence/arousal ratings.
//!
//! Layout, as published:
//!
//! ```text
//! <root>/annotations/static_annotations.csv   musicId,Arousal(mean),Valence(mean)
//! <root>/chorus/<musicId>.mp3
//! ```
//!
//! * Values are kept on PMEmo's own [0, 1] scale; a value outside it is an error (a wrong column or file).
//! * The audio may be any supported format with the same stem (`<musicId>.mp3`, `.wav`, `.flac`, `.ogg`, tried in
//!   that order), so re-encoded copies and test fixtures work.
//! * The group is the `musicId`: each song is one group (PMEmo has one chorus per song).
//! * An annotated song without audio is an **error** ([`DataError::MissingAudio`], with the count and the first
//!   few paths), not a silent skip: it almost always means a wrong root or an incomplete download, and training
//!   on the rest would quietly change the data. Audio without annotations is ignored (PMEmo has such songs).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::dataset::{Dataset, Item, Target, TargetKind, VALENCE_AROUSAL, require_audio};
use super::error::DataError;
use super::manifest_csv::{column_index, read_csv};

/// Extensions tried for a chorus, in order.
const EXTENSIONS: [&str; 4] = ["mp3", "wav", "flac", "ogg"];

/// Loads PMEmo from its root folder as dataset `pmemo`.
pub fn load(root: &Path) -> Result<Dataset, DataError> {
    let csv_path = root.join("annotations").join("static_annotations.csv");
    if !csv_path.is_file() {
        return Err(DataError::io(&csv_path, "not found; expected <PMEmo root>/annotations/static_annotations.csv"));
    }
    let (header, rows) = read_csv(&csv_path)?;
    let expected = "PMEmo static annotations have musicId,Arousal(mean),Valence(mean)";
    let id_col = column_index(&csv_path, &header, "musicid", expected)?;
    let arousal_col = column_index(&csv_path, &header, "arousal(mean)", expected)?;
    let valence_col = column_index(&csv_path, &header, "valence(mean)", expected)?;
    if rows.is_empty() {
        return Err(DataError::Empty { path: csv_path, expected: "one annotated song per row".into() });
    }
    let chorus = root.join("chorus");
    let mut seen = BTreeSet::new();
    let mut items = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        let bad = |reason: String| DataError::BadValue { path: csv_path.clone(), line: Some(*line), reason };
        let id = &row[id_col];
        if id.is_empty() || id.contains(['/', '\\']) {
            return Err(bad(format!("musicId `{id}` is not a plain file stem")));
        }
        if !seen.insert(id.clone()) {
            return Err(bad(format!("musicId `{id}` is annotated twice")));
        }
        let value = |col: usize, name: &str| {
            row[col]
                .parse::<f32>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| bad(format!("{name} is `{}`, expected a number in [0, 1]", row[col])))
        };
        let arousal = value(arousal_col, "Arousal(mean)")?;
        let valence = value(valence_col, "Valence(mean)")?;
        items.push(Item {
            path: chorus_file(&chorus, id),
            group: id.clone(),
            target: Target::ValenceArousal { valence, arousal },
        });
    }
    let paths: Vec<&Path> = items.iter().map(|i| i.path.as_path()).collect();
    require_audio(
        &paths,
        &format!("PMEmo expects <root>/chorus/<musicId>.mp3 (or .wav/.flac/.ogg) under {}", root.display()),
    )?;
    Dataset::new(
        "pmemo",
        TargetKind::ValenceArousal,
        VALENCE_AROUSAL.iter().map(|s| s.to_string()).collect(),
        None,
        items,
    )
}

/// The first existing `<chorus>/<id>.<ext>`, or the `.mp3` path (reported as missing) when none exists.
fn chorus_file(chorus: &Path, id: &str) -> PathBuf {
    EXTENSIONS
        .iter()
        .map(|ext| chorus.join(format!("{id}.{ext}")))
        .find(|p| p.is_file())
        .unwrap_or_else(|| chorus.join(format!("{id}.mp3")))
}
