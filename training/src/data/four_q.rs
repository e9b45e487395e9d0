//! The 4Q audio emotion dataset (Panda, Malheiro & Paiva, "Novel audio features for music emotion
//! recognition", IEEE TAFFC 2018): 900 real song clips of about 30 s, 225 per Russell quadrant, with their
//! AllMusic genres.
//!
//! Layout, as published (`Dataset/` of the authors' archive):
//!
//! ```text
//! <root>/panda_dataset_taffc_metadata.csv    "Song","Artist","Title","Quadrant",…,"GenresStr",…
//! <root>/Q1/<Song>.mp3 … <root>/Q4/<Song>.mp3
//! ```
//!
//! * Quadrants: Q1 high valence + high arousal, Q2 low valence + high arousal, Q3 low + low, Q4 high valence +
//!   low arousal.
//! * The group is the **artist** (case and surrounding spaces folded): the same artist never lands on both sides
//!   of a split, so a model cannot score by recognising a voice or a production. A clip whose artist is empty
//!   (one in the published metadata) is a group of its own.
//! * Targets ([`FourQTarget`]): valence/arousal as two tags (present = high, so a tagger's sigmoid is P(high)), the
//!   quadrant as one class of four, or the genres as multi-label tags over [`GENRES`]. AllMusic lists each
//!   clip's genres, so a genre not listed is annotated as absent; `Rap` is named `Rap/Hip-Hop`; tags that are not
//!   musical genres (`International`, `Vocal`, `Holiday`, `Comedy/Spoken`, …) are dropped, and a clip left with no
//!   genre keeps no genre tag (every tag annotated absent).
//! * A listed clip without its mp3 is an error naming the missing files, as for every loader.

use std::path::{Path, PathBuf};

use super::dataset::{Dataset, Item, Target, TargetKind, VALENCE_AROUSAL, require_audio};
use super::error::DataError;
use super::manifest_csv::{column_index, read_csv};

/// The metadata file's name.
pub const METADATA: &str = "panda_dataset_taffc_metadata.csv";

/// The genre vocabulary: AllMusic genres a producer would name, each backed by real clips of the set (counts
/// in the genre model's report). `Rap` is renamed; other AllMusic tags are not genres and are dropped.
pub const GENRES: [&str; 12] = [
    "Pop/Rock",
    "Jazz",
    "Electronic",
    "R&B",
    "Country",
    "Blues",
    "Rap/Hip-Hop",
    "Latin",
    "Folk",
    "Reggae",
    "New Age",
    "Classical",
];

/// What a 4Q clip is labelled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FourQTarget {
    /// Two tags, `valence` and `arousal`, present when high.
    Emotion,
    /// Valence and arousal as numbers, 1 (high) or 0 (low): the emotion pipeline's input.
    ValenceArousal,
    /// One of `Q1` … `Q4`.
    Quadrant,
    /// Multi-label over [`GENRES`].
    Genre,
    /// The clips with exactly one genre of [`GENRES`], that genre as a single label (for single-label genre
    /// networks; the others are left out).
    SingleGenre,
}

/// (high valence, high arousal) of a quadrant name.
pub fn quadrant(name: &str) -> Option<(bool, bool)> {
    match name.trim().to_ascii_uppercase().as_str() {
        "Q1" | "1" => Some((true, true)),
        "Q2" | "2" => Some((false, true)),
        "Q3" | "3" => Some((false, false)),
        "Q4" | "4" => Some((true, false)),
        _ => None,
    }
}

/// The vocabulary name of an AllMusic genre, or `None` for a tag that is not a genre of [`GENRES`].
fn genre(allmusic: &str) -> Option<&'static str> {
    let name = allmusic.trim();
    let name = if name == "Rap" { "Rap/Hip-Hop" } else { name };
    GENRES.iter().copied().find(|g| *g == name)
}

/// Loads the set from `root` (the folder holding [`METADATA`] and `Q1` … `Q4`) with the given target.
pub fn load(root: &Path, target: FourQTarget) -> Result<Dataset, DataError> {
    let csv_path = root.join(METADATA);
    if !csv_path.is_file() {
        return Err(DataError::io(
            &csv_path,
            format!("not found; expected the 4Q dataset's folder holding {METADATA} and Q1 … Q4"),
        ));
    }
    let (header, rows) = read_csv(&csv_path)?;
    let expected = "the 4Q metadata has Song, Artist, Quadrant and GenresStr columns";
    let song_col = column_index(&csv_path, &header, "song", expected)?;
    let artist_col = column_index(&csv_path, &header, "artist", expected)?;
    let quadrant_col = column_index(&csv_path, &header, "quadrant", expected)?;
    let genres_col = column_index(&csv_path, &header, "genresstr", expected)?;
    if rows.is_empty() {
        return Err(DataError::Empty { path: csv_path, expected: "one clip per row".into() });
    }
    let (classes, kind): (Vec<String>, TargetKind) = match target {
        FourQTarget::Emotion => (VALENCE_AROUSAL.iter().map(|s| s.to_string()).collect(), TargetKind::MultiLabel),
        FourQTarget::ValenceArousal => {
            (VALENCE_AROUSAL.iter().map(|s| s.to_string()).collect(), TargetKind::ValenceArousal)
        }
        FourQTarget::Quadrant => (["Q1", "Q2", "Q3", "Q4"].map(String::from).to_vec(), TargetKind::SingleLabel),
        FourQTarget::Genre => (GENRES.map(String::from).to_vec(), TargetKind::MultiLabel),
        FourQTarget::SingleGenre => (GENRES.map(String::from).to_vec(), TargetKind::SingleLabel),
    };
    let mut items = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        let bad = |reason: String| DataError::BadValue { path: csv_path.clone(), line: Some(*line), reason };
        let song = &row[song_col];
        if song.is_empty() || song.contains(['/', '\\']) {
            return Err(bad(format!("Song `{song}` is not a plain file stem")));
        }
        let quadrant_name = row[quadrant_col].trim().to_ascii_uppercase();
        let (high_valence, high_arousal) =
            quadrant(&quadrant_name).ok_or_else(|| bad(format!("Quadrant `{}` is not Q1 … Q4", row[quadrant_col])))?;
        // A clip without an artist (the published metadata has one) is a group of its own.
        let artist = match row[artist_col].trim().to_lowercase() {
            a if a.is_empty() => format!("song:{song}"),
            a => a,
        };
        let target = match target {
            FourQTarget::Emotion => {
                Target::Tags { present: vec![high_valence, high_arousal], annotated: vec![true, true] }
            }
            FourQTarget::ValenceArousal => Target::ValenceArousal {
                valence: if high_valence { 1.0 } else { 0.0 },
                arousal: if high_arousal { 1.0 } else { 0.0 },
            },
            FourQTarget::Quadrant => Target::Class(quadrant_name[1..].parse::<usize>().expect("checked above") - 1),
            FourQTarget::Genre => {
                let listed: Vec<&str> = row[genres_col].split(';').filter_map(genre).collect();
                Target::Tags {
                    present: GENRES.iter().map(|g| listed.contains(g)).collect(),
                    annotated: vec![true; GENRES.len()],
                }
            }
            FourQTarget::SingleGenre => {
                let mut listed: Vec<&str> = row[genres_col].split(';').filter_map(genre).collect();
                listed.dedup();
                match listed[..] {
                    [only] => Target::Class(GENRES.iter().position(|g| *g == only).expect("a vocabulary genre")),
                    _ => continue,
                }
            }
        };
        items.push(Item { path: clip_path(root, &quadrant_name, song), group: artist, target });
    }
    let paths: Vec<&Path> = items.iter().map(|i| i.path.as_path()).collect();
    require_audio(&paths, &format!("4Q expects <root>/Q1 … Q4/<Song>.mp3 under {}", root.display()))?;
    Dataset::new("4q", kind, classes, None, items)
}

fn clip_path(root: &Path, quadrant: &str, song: &str) -> PathBuf {
    root.join(quadrant).join(format!("{song}.mp3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4Q-shaped folder: metadata rows `(song, artist, quadrant, genres)`, an (empty) mp3 per row.
    fn fixture(rows: &[(&str, &str, &str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("\"Song\",\"Artist\",\"Title\",\"Quadrant\",\"GenresStr\"\n");
        for (song, artist, quadrant, genres) in rows {
            csv.push_str(&format!("\"{song}\",\"{artist}\",\"t\",\"{quadrant}\",\"{genres}\"\n"));
            let folder = dir.path().join(quadrant);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(format!("{song}.mp3")), b"").unwrap();
        }
        std::fs::write(dir.path().join(METADATA), csv).unwrap();
        dir
    }

    #[test]
    fn quadrants_genres_and_artist_groups() {
        let dir = fixture(&[
            ("MT1", "Charlie Poole", "Q3", "Country; International"),
            ("MT2", " charlie poole ", "Q1", "Rap; Pop/Rock"),
            ("MT3", "Dismember", "Q2", "Holiday"),
            ("MT4", "Nina", "Q4", "Jazz"),
            ("MT5", "", "Q4", "Jazz"),
        ]);
        let emotion = load(dir.path(), FourQTarget::Emotion).unwrap();
        let tags: Vec<Vec<bool>> = emotion
            .items
            .iter()
            .map(|i| match &i.target {
                Target::Tags { present, .. } => present.clone(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            tags,
            [vec![false, false], vec![true, true], vec![false, true], vec![true, false], vec![true, false]]
        );
        assert_eq!(emotion.items[4].group, "song:MT5", "no artist: its own group");
        assert_eq!(emotion.items[0].group, emotion.items[1].group, "one artist, one group");
        assert!(emotion.items[2].path.ends_with("Q2/MT3.mp3"));

        let quadrant = load(dir.path(), FourQTarget::Quadrant).unwrap();
        let classes: Vec<usize> =
            quadrant.items.iter().map(|i| if let Target::Class(c) = i.target { c } else { 9 }).collect();
        assert_eq!(classes, [2, 0, 1, 3, 3]);

        let genre = load(dir.path(), FourQTarget::Genre).unwrap();
        let present = |i: usize| match &genre.items[i].target {
            Target::Tags { present, .. } => {
                genre.classes.iter().zip(present).filter(|(_, p)| **p).map(|(c, _)| c.as_str()).collect::<Vec<_>>()
            }
            _ => unreachable!(),
        };
        assert_eq!(present(0), ["Country"], "International is not a genre");
        assert_eq!(present(1), ["Pop/Rock", "Rap/Hip-Hop"]);
        assert!(present(2).is_empty(), "Holiday is not a genre: no genre tag");

        let single = load(dir.path(), FourQTarget::SingleGenre).unwrap();
        let songs: Vec<String> =
            single.items.iter().map(|i| i.path.file_stem().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(songs, ["MT1", "MT4", "MT5"], "only the clips with exactly one genre");
    }

    #[test]
    fn bad_rows_and_missing_audio_are_named() {
        let dir = fixture(&[("MT1", "A", "Q5", "Jazz")]);
        let error = load(dir.path(), FourQTarget::Emotion).unwrap_err().to_string();
        assert!(error.contains("Q5") && error.contains("line"), "{error}");
        let dir = fixture(&[("MT1", "A", "Q1", "Jazz")]);
        std::fs::remove_file(dir.path().join("Q1/MT1.mp3")).unwrap();
        let error = load(dir.path(), FourQTarget::Genre).unwrap_err().to_string();
        assert!(error.contains("MT1.mp3"), "{error}");
        let error = load(&dir.path().join("nowhere"), FourQTarget::Genre).unwrap_err().to_string();
        assert!(error.contains(METADATA), "{error}");
    }
}
