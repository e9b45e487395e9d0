//! Earmark's own CSV manifest: the format for any labelled audio that has no dedicated loader, and the format
//! `earmark-train synth` writes ([`write()`] produces it from a [`Dataset`]).
//!
//! # Format
//!
//! A UTF-8 CSV file with a header row. Column names are matched after trimming, case-insensitively; cells are
//! trimmed; columns not listed here are ignored (keep notes, durations, sources in them).
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `path` | yes | the audio file (wav, flac, mp3, ogg), relative to **the CSV's folder**, or absolute |
//! | `group` | no | split group (track, artist, speaker); empty or absent → the `path` cell, i.e. every file its own group |
//!
//! and then exactly **one** of these target column sets, which decides the dataset kind:
//!
//! | columns | kind | cell |
//! |---|---|---|
//! | `label` | single-label | the class name |
//! | `valence`, `arousal` | valence/arousal | a finite number each (any scale; PMEmo's is [0, 1]) |
//! | `quadrant` | valence/arousal | Russell's quadrant `Q1` … `Q4` (or `1` … `4`): Q1 high valence and arousal, Q2 low valence high arousal, Q3 both low, Q4 high valence low arousal; read as valence and arousal of 1 (high) or 0 (low) |
//! | `tags` (+ optional `unannotated`) | multi-label | `;`-separated tags that are present; `unannotated`: `;`-separated tags whose presence is unknown (masked in the loss). Every other tag of the vocabulary is annotated as absent. An empty `tags` cell means no tag is present |
//!
//! Optional files **next to the CSV** (shared by every manifest in that folder):
//!
//! * `classes.txt` (single-label) / `tags.txt` (multi-label): the vocabulary, one name per line, in output
//!   order; blank lines and lines starting with `#` are skipped. A label in the CSV that is not listed is an
//!   error; a listed class with no items is kept (the model still has that output). Without the file the
//!   vocabulary is the sorted set of labels (tags: of `tags` and `unannotated` cells).
//! * `hierarchy.json`: coarse → fine groups as in the model manifest, e.g.
//!   `[{"name": "strings", "members": ["violin", "cello"]}]`; every member must be in the vocabulary. Not allowed
//!   with valence/arousal.
//!
//! Example (multi-label):
//!
//! ```csv
//! path,group,tags,unannotated
//! audio/0001.wav,piece-17,violin;cello,
//! audio/0002.wav,piece-17,flute,violin
//! ```
//!
//! Every referenced audio file must exist ([`DataError::MissingAudio`] reports how many do not, and the first
//! few): a manifest pointing at missing audio usually means it was moved without its audio. The dataset is named
//! after the CSV's folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use earmark_core::manifest::LabelGroup;

use super::dataset::{Dataset, Item, Target, TargetKind, VALENCE_AROUSAL, require_audio};
use super::error::DataError;

/// Loads a manifest (see the module docs for the format).
pub fn load(csv_path: &Path) -> Result<Dataset, DataError> {
    let folder = folder_of(csv_path);
    let (header, rows) = read_csv(csv_path)?;
    let has = |name: &str| header.iter().any(|h| h == name);
    let path_col = column_index(csv_path, &header, "path", "the audio file, relative to the CSV's folder")?;
    let group_col = header.iter().position(|h| h == "group");
    let kinds: Vec<&str> = [
        ("label", has("label")),
        ("valence/arousal", has("valence") || has("arousal")),
        ("quadrant", has("quadrant")),
        ("tags", has("tags")),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    let kind = match kinds.as_slice() {
        ["label"] => TargetKind::SingleLabel,
        ["valence/arousal"] | ["quadrant"] => TargetKind::ValenceArousal,
        ["tags"] => TargetKind::MultiLabel,
        [] => {
            return Err(DataError::MissingColumn {
                path: csv_path.to_path_buf(),
                column: "label".into(),
                expected: "a manifest needs `label` (single-label), `valence` and `arousal`, or `tags` (multi-label)"
                    .into(),
                found: header.clone(),
            });
        }
        several => {
            return Err(DataError::BadValue {
                path: csv_path.to_path_buf(),
                line: Some(1),
                reason: format!(
                    "the header has {} target columns; a manifest is single-label (`label`), valence/arousal or \
                     multi-label (`tags`): keep one (or rename the others)",
                    several.join(" and ")
                ),
            });
        }
    };
    if has("unannotated") && kind != TargetKind::MultiLabel {
        return Err(DataError::BadValue {
            path: csv_path.to_path_buf(),
            line: Some(1),
            reason: "`unannotated` only applies to a `tags` (multi-label) manifest".into(),
        });
    }
    if rows.is_empty() {
        return Err(DataError::Empty {
            path: csv_path.to_path_buf(),
            expected: "one row per audio file after the header".into(),
        });
    }

    let mut paths = Vec::with_capacity(rows.len());
    let mut groups = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        let cell = &row[path_col];
        if cell.is_empty() {
            return Err(bad_value(csv_path, *line, "the `path` cell is empty".into()));
        }
        let path = Path::new(cell);
        paths.push(if path.is_absolute() { path.to_path_buf() } else { folder.join(path) });
        let group = group_col.map(|c| row[c].as_str()).filter(|g| !g.is_empty()).unwrap_or(cell);
        groups.push(group.to_string());
    }

    let (classes, targets) = match kind {
        TargetKind::SingleLabel => single_label(csv_path, &folder, &header, &rows)?,
        TargetKind::MultiLabel => multi_label(csv_path, &folder, &header, &rows)?,
        TargetKind::ValenceArousal => valence_arousal(csv_path, &header, &rows)?,
    };
    let hierarchy = read_hierarchy(&folder.join("hierarchy.json"), kind, &classes)?;
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    require_audio(&refs, &format!("paths in {} are relative to its folder {}", csv_path.display(), folder.display()))?;
    let items = paths
        .into_iter()
        .zip(groups)
        .zip(targets)
        .map(|((path, group), target)| Item { path, group, target })
        .collect();
    let name = folder
        .file_name()
        .or_else(|| csv_path.file_stem())
        .map_or_else(|| "manifest".to_string(), |n| n.to_string_lossy().into_owned());
    Dataset::new(name, kind, classes, hierarchy, items)
}

/// Writes `dataset` as a manifest at `csv_path`, with `classes.txt`/`tags.txt` (always, to pin the class order)
/// and `hierarchy.json` (when the dataset has one) next to it. Paths under the CSV's folder are written relative
/// to it, others absolute, so [`load`] reads back the same dataset.
pub fn write(dataset: &Dataset, csv_path: &Path) -> Result<(), DataError> {
    dataset.validate()?;
    for class in &dataset.classes {
        if class.is_empty() || class.trim() != class || class.contains(['\n', '\r', ';']) || class.starts_with('#') {
            return Err(DataError::invalid(
                &dataset.name,
                format!(
                    "class `{class}` cannot be written to a manifest: names must be non-empty, without leading or trailing spaces or a leading `#`, and contain no `;` or line break"
                ),
            ));
        }
    }
    let folder = folder_of(csv_path);
    let written =
        |e: &dyn std::fmt::Display, path: &Path| DataError::Write { path: path.to_path_buf(), reason: e.to_string() };
    std::fs::create_dir_all(&folder).map_err(|e| written(&e, &folder))?;
    let mut writer = csv::Writer::from_path(csv_path).map_err(|e| written(&e, csv_path))?;
    let mut header = vec!["path", "group"];
    header.extend(match dataset.kind {
        TargetKind::SingleLabel => vec!["label"],
        TargetKind::MultiLabel => vec!["tags", "unannotated"],
        TargetKind::ValenceArousal => vec!["valence", "arousal"],
    });
    writer.write_record(&header).map_err(|e| written(&e, csv_path))?;
    for item in &dataset.items {
        let path = match item.path.strip_prefix(&folder) {
            Ok(relative) => relative.to_path_buf(),
            _ => std::path::absolute(&item.path).map_err(|e| written(&e, &item.path))?,
        };
        let mut record = vec![path.to_string_lossy().into_owned(), item.group.clone()];
        match &item.target {
            Target::Class(c) => record.push(dataset.classes[*c].clone()),
            Target::Tags { present, annotated } => {
                let join = |keep: &dyn Fn(usize) -> bool| {
                    dataset
                        .classes
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| keep(*i))
                        .map(|(_, c)| c.as_str())
                        .collect::<Vec<_>>()
                        .join(";")
                };
                record.push(join(&|i| present[i] && annotated[i]));
                record.push(join(&|i| !annotated[i]));
            }
            Target::ValenceArousal { valence, arousal } => {
                record.push(valence.to_string());
                record.push(arousal.to_string());
            }
        }
        writer.write_record(&record).map_err(|e| written(&e, csv_path))?;
    }
    writer.flush().map_err(|e| written(&e, csv_path))?;
    let vocabulary = match dataset.kind {
        TargetKind::SingleLabel => Some("classes.txt"),
        TargetKind::MultiLabel => Some("tags.txt"),
        TargetKind::ValenceArousal => None,
    };
    if let Some(file) = vocabulary {
        let path = folder.join(file);
        let mut text = dataset.classes.join("\n");
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| written(&e, &path))?;
    }
    if let Some(hierarchy) = &dataset.hierarchy {
        let path = folder.join("hierarchy.json");
        let json = serde_json::to_string_pretty(hierarchy).map_err(|e| written(&e, &path))?;
        std::fs::write(&path, json).map_err(|e| written(&e, &path))?;
    }
    Ok(())
}

/// The folder relative paths in `csv_path` are resolved against (`.` for a bare file name).
fn folder_of(csv_path: &Path) -> PathBuf {
    match csv_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn bad_value(path: &Path, line: u64, reason: String) -> DataError {
    DataError::BadValue { path: path.to_path_buf(), line: Some(line), reason }
}

/// CSV rows: (1-based line, trimmed cells).
pub(crate) type Rows = Vec<(u64, Vec<String>)>;

/// A CSV file's header (trimmed, lower-cased) and rows (trimmed cells) with their 1-based line numbers.
pub(crate) fn read_csv(path: &Path) -> Result<(Vec<String>, Rows), DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| DataError::io(path, e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| DataError::csv(path, &e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DataError::csv(path, &e))?;
        let line = record.position().map_or(0, |p| p.line());
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok((header, rows))
}

/// The index of column `name` in `header`, or [`DataError::MissingColumn`].
pub(crate) fn column_index(path: &Path, header: &[String], name: &str, expected: &str) -> Result<usize, DataError> {
    header.iter().position(|h| h == name).ok_or_else(|| DataError::MissingColumn {
        path: path.to_path_buf(),
        column: name.to_string(),
        expected: expected.to_string(),
        found: header.to_vec(),
    })
}

/// A vocabulary file: one name per line, blank and `#` lines skipped, duplicates an error.
fn read_vocabulary(path: &Path) -> Result<Vec<String>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let mut names: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let name = line.trim();
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        if names.iter().any(|n| n == name) {
            return Err(bad_value(path, i as u64 + 1, format!("`{name}` is listed twice")));
        }
        names.push(name.to_string());
    }
    if names.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), expected: "one class name per line".into() });
    }
    Ok(names)
}

type Parsed = (Vec<String>, Vec<Target>);

fn single_label(
    csv_path: &Path,
    folder: &Path,
    header: &[String],
    rows: &[(u64, Vec<String>)],
) -> Result<Parsed, DataError> {
    let col = column_index(csv_path, header, "label", "the class name")?;
    for (line, row) in rows {
        if row[col].is_empty() {
            return Err(bad_value(csv_path, *line, "the `label` cell is empty".into()));
        }
    }
    let vocabulary_file = folder.join("classes.txt");
    let classes = if vocabulary_file.is_file() {
        read_vocabulary(&vocabulary_file)?
    } else {
        rows.iter().map(|(_, row)| row[col].clone()).collect::<BTreeSet<_>>().into_iter().collect()
    };
    let mut targets = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let label = &row[col];
        let index = classes.iter().position(|c| c == label).ok_or_else(|| DataError::UnknownLabel {
            path: csv_path.to_path_buf(),
            line: Some(*line),
            what: "class",
            label: label.clone(),
            vocabulary: format!("{} lists: {}", vocabulary_file.display(), classes.join(", ")),
        })?;
        targets.push(Target::Class(index));
    }
    Ok((classes, targets))
}

/// A row's `tags` and `unannotated` cells (the latter empty when the column is absent).
fn tag_cells(row: &[String], tags_col: usize, unannotated_col: Option<usize>) -> (&str, &str) {
    (row[tags_col].as_str(), unannotated_col.map_or("", |c| row[c].as_str()))
}

fn split_tags(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';').map(str::trim).filter(|t| !t.is_empty())
}

fn multi_label(
    csv_path: &Path,
    folder: &Path,
    header: &[String],
    rows: &[(u64, Vec<String>)],
) -> Result<Parsed, DataError> {
    let tags_col = column_index(csv_path, header, "tags", "`;`-separated present tags")?;
    let unannotated_col = header.iter().position(|h| h == "unannotated");
    let vocabulary_file = folder.join("tags.txt");
    let tags = if vocabulary_file.is_file() {
        read_vocabulary(&vocabulary_file)?
    } else {
        let mut union = BTreeSet::new();
        for (_, row) in rows {
            let (present, unannotated) = tag_cells(row, tags_col, unannotated_col);
            union.extend(split_tags(present).chain(split_tags(unannotated)).map(str::to_string));
        }
        if union.is_empty() {
            return Err(DataError::Empty {
                path: csv_path.to_path_buf(),
                expected: "at least one tag in the `tags` or `unannotated` cells, or a tags.txt next to the CSV".into(),
            });
        }
        union.into_iter().collect()
    };
    let mut targets = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let (present_cell, unannotated_cell) = tag_cells(row, tags_col, unannotated_col);
        let index_of = |tag: &str| {
            tags.iter().position(|t| t == tag).ok_or_else(|| DataError::UnknownLabel {
                path: csv_path.to_path_buf(),
                line: Some(*line),
                what: "tag",
                label: tag.to_string(),
                vocabulary: format!("{} lists: {}", vocabulary_file.display(), tags.join(", ")),
            })
        };
        let mut present = vec![false; tags.len()];
        let mut annotated = vec![true; tags.len()];
        for tag in split_tags(present_cell) {
            present[index_of(tag)?] = true;
        }
        for tag in split_tags(unannotated_cell) {
            let i = index_of(tag)?;
            if present[i] {
                return Err(bad_value(
                    csv_path,
                    *line,
                    format!("tag `{tag}` is both present (`tags`) and unknown (`unannotated`); it can be only one"),
                ));
            }
            annotated[i] = false;
        }
        targets.push(Target::Tags { present, annotated });
    }
    Ok((tags, targets))
}

fn valence_arousal(csv_path: &Path, header: &[String], rows: &[(u64, Vec<String>)]) -> Result<Parsed, DataError> {
    if let Some(quadrant_col) = header.iter().position(|h| h == "quadrant") {
        let mut targets = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            let (v, a) = crate::data::four_q::quadrant(&row[quadrant_col]).ok_or_else(|| {
                bad_value(csv_path, *line, format!("`quadrant` is `{}`, expected Q1, Q2, Q3 or Q4", row[quadrant_col]))
            })?;
            let level = |high: bool| if high { 1.0 } else { 0.0 };
            targets.push(Target::ValenceArousal { valence: level(v), arousal: level(a) });
        }
        return Ok((VALENCE_AROUSAL.iter().map(|s| s.to_string()).collect(), targets));
    }
    let valence_col = column_index(csv_path, header, "valence", "a number per row, with `arousal`")?;
    let arousal_col = column_index(csv_path, header, "arousal", "a number per row, with `valence`")?;
    let mut targets = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let number = |col: usize, name: &str| {
            row[col].parse::<f32>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                bad_value(csv_path, *line, format!("`{name}` is `{}`, expected a finite number", row[col]))
            })
        };
        targets.push(Target::ValenceArousal {
            valence: number(valence_col, "valence")?,
            arousal: number(arousal_col, "arousal")?,
        });
    }
    Ok((VALENCE_AROUSAL.iter().map(|s| s.to_string()).collect(), targets))
}

/// `hierarchy.json`, when present, checked against the vocabulary.
fn read_hierarchy(path: &Path, kind: TargetKind, classes: &[String]) -> Result<Option<Vec<LabelGroup>>, DataError> {
    if !path.is_file() {
        return Ok(None);
    }
    if kind == TargetKind::ValenceArousal {
        return Err(DataError::BadValue {
            path: path.to_path_buf(),
            line: None,
            reason: "a valence/arousal manifest has no classes to group; remove this file".into(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let groups: Vec<LabelGroup> = serde_json::from_str(&text).map_err(|e| {
        bad_value(
            path,
            e.line() as u64,
            format!("{e}; expected [{{\"name\": \"strings\", \"members\": [\"violin\", \"cello\"]}}, …]"),
        )
    })?;
    for group in &groups {
        if let Some(unknown) = group.members.iter().find(|m| !classes.contains(m)) {
            return Err(DataError::BadValue {
                path: path.to_path_buf(),
                line: None,
                reason: format!(
                    "group `{}` names `{unknown}`, which is not a class of the manifest; classes are: {}",
                    group.name,
                    classes.join(", ")
                ),
            });
        }
    }
    Ok(Some(groups))
}
