//! OpenMIC-2018: 10 s excerpts with crowd-sourced, partially annotated instrument tags.
//!
//! Layout, as published:
//!
//! ```text
//! <root>/openmic-2018-aggregated-labels.csv   sample_key,instrument,relevance,num_responses
//! <root>/class-map.json                        {"accordion": 0, "banjo": 1, …}
//! <root>/audio/<first 3 chars of key>/<sample_key>.ogg
//! <root>/partitions/split01_train.csv          one sample_key per line, no header
//! ```
//!
//! * The tags are the instruments of `class-map.json`, ordered by their index there, so output `i` is OpenMIC's
//!   class `i` and published baselines line up with ours.
//! * Each CSV row annotates one (sample, instrument) pair. A pair is *present* when its relevance reaches the
//!   threshold (0.5 by default, as OpenMIC's own baseline does); a pair absent from the CSV is **unannotated**,
//!   not absent: most excerpts were asked about only a few instruments, and reading silence as "no" would teach
//!   the model that nearly every instrument is missing. `num_responses` is not used.
//! * Sample keys are `<track id>_<start ms>` (`000046_3840`) and the group is the track id: several excerpts come
//!   from one track, and a split with that track on both sides would score the model on music it trained on.
//! * Items are in sample-key order, so a partition is an ordered subset of the full set.
//! * Like the other loaders this is strict: an unknown instrument, a bad relevance or key, a repeated pair or an
//!   annotated sample without its `.ogg` is an error naming the file and line, never a silent skip. With a
//!   partition only its samples need audio, so a copy holding one split's audio loads that split.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::dataset::{Dataset, Item, Target, TargetKind, require_audio};
use super::error::DataError;
use super::manifest_csv::{column_index, read_csv};

/// The aggregated label file, relative to the root.
pub const LABELS_FILE: &str = "openmic-2018-aggregated-labels.csv";
/// The instrument → index map, relative to the root.
pub const CLASS_MAP_FILE: &str = "class-map.json";
/// Relevance at or above which an annotated instrument counts as present (OpenMIC's baseline uses 0.5).
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// How to load OpenMIC.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Keep only the samples listed in `<root>/partitions/<partition>.csv` (e.g. `split01_train`); `None` keeps all.
    pub partition: Option<String>,
    /// Relevance in [0, 1] at or above which an annotated instrument is present.
    pub threshold: f32,
}

impl Default for Options {
    fn default() -> Self {
        Self { partition: None, threshold: DEFAULT_THRESHOLD }
    }
}

/// Loads every annotated sample as dataset `openmic`, with the default threshold.
pub fn load(root: &Path) -> Result<Dataset, DataError> {
    load_with(root, &Options::default())
}

/// Loads the samples of one partition (`split01_train`, `split01_test`), with the default threshold.
pub fn load_partition(root: &Path, partition: &str) -> Result<Dataset, DataError> {
    load_with(root, &Options { partition: Some(partition.to_string()), ..Options::default() })
}

/// Loads OpenMIC as asked (see the module docs for the layout and the rules).
pub fn load_with(root: &Path, options: &Options) -> Result<Dataset, DataError> {
    if !(0.0..=1.0).contains(&options.threshold) {
        return Err(DataError::invalid(
            "openmic",
            format!("threshold {} is not a relevance; expected a number in [0, 1]", options.threshold),
        ));
    }
    let classes = read_class_map(&root.join(CLASS_MAP_FILE))?;
    let mut tags = read_labels(&root.join(LABELS_FILE), &classes, options.threshold)?;
    if let Some(partition) = &options.partition {
        let keep = read_partition(root, partition, &tags)?;
        tags.retain(|key, _| keep.contains(key));
    }
    let audio = root.join("audio");
    let items: Vec<Item> = tags
        .into_iter()
        .map(|(key, (present, annotated))| Item {
            path: audio.join(key.chars().take(3).collect::<String>()).join(format!("{key}.ogg")),
            group: key.split_once('_').map_or(key.as_str(), |(track, _)| track).to_string(),
            target: Target::Tags { present, annotated },
        })
        .collect();
    let paths: Vec<&Path> = items.iter().map(|i| i.path.as_path()).collect();
    require_audio(
        &paths,
        &format!("OpenMIC expects <root>/audio/<first 3 chars of key>/<sample_key>.ogg under {}", root.display()),
    )?;
    Dataset::new("openmic", TargetKind::MultiLabel, classes, None, items)
}

/// Instrument names ordered by their index; the indices must be exactly 0..n.
fn read_class_map(path: &Path) -> Result<Vec<String>, DataError> {
    let text = read(path, "the OpenMIC class map, a JSON object instrument → index")?;
    let bad = |line, reason: String| DataError::BadValue { path: path.to_path_buf(), line, reason };
    let map: BTreeMap<String, usize> = serde_json::from_str(&text).map_err(|e| {
        bad(Some(e.line() as u64), format!("{e}; expected a JSON object like {{\"accordion\": 0, \"banjo\": 1}}"))
    })?;
    let mut classes = vec![None; map.len()];
    for (name, &index) in &map {
        match classes.get_mut(index) {
            Some(slot @ None) => *slot = Some(name.clone()),
            Some(Some(other)) => return Err(bad(None, format!("`{other}` and `{name}` both have index {index}"))),
            None => {
                let last = map.len() - 1;
                return Err(bad(None, format!("`{name}` has index {index}; indices must be 0 to {last}, each once")));
            }
        }
    }
    if classes.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), expected: "instrument → index pairs".into() });
    }
    Ok(classes.into_iter().map(|c| c.expect("indices are 0..n, each once")).collect())
}

/// Per sample key (sorted): (present, annotated) flags in class order.
type Tags = BTreeMap<String, (Vec<bool>, Vec<bool>)>;

/// The aggregated labels, checked against the class map.
fn read_labels(path: &Path, classes: &[String], threshold: f32) -> Result<Tags, DataError> {
    if !path.is_file() {
        return Err(DataError::io(path, format!("not found; expected <OpenMIC root>/{LABELS_FILE}")));
    }
    let (header, rows) = read_csv(path)?;
    let expected = "OpenMIC aggregated labels have sample_key,instrument,relevance,num_responses";
    let key_col = column_index(path, &header, "sample_key", expected)?;
    let instrument_col = column_index(path, &header, "instrument", expected)?;
    let relevance_col = column_index(path, &header, "relevance", expected)?;
    if rows.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), expected: "one (sample, instrument) row".into() });
    }
    let mut tags = Tags::new();
    for (line, row) in &rows {
        let bad = |reason: String| DataError::BadValue { path: path.to_path_buf(), line: Some(*line), reason };
        let key = check_key(&row[key_col]).map_err(bad)?;
        let instrument = &row[instrument_col];
        let Some(class) = classes.iter().position(|c| c == instrument) else {
            return Err(DataError::UnknownLabel {
                path: path.to_path_buf(),
                line: Some(*line),
                what: "tag",
                label: instrument.clone(),
                vocabulary: format!("{CLASS_MAP_FILE} lists: {}", classes.join(", ")),
            });
        };
        let relevance = row[relevance_col]
            .parse::<f32>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| bad(format!("relevance is `{}`, expected a number in [0, 1]", row[relevance_col])))?;
        let (present, annotated) =
            tags.entry(key.to_string()).or_insert_with(|| (vec![false; classes.len()], vec![false; classes.len()]));
        if annotated[class] {
            return Err(bad(format!("`{key}` is annotated for `{instrument}` twice")));
        }
        annotated[class] = true;
        present[class] = relevance >= threshold;
    }
    Ok(tags)
}

/// The keys listed in a partition file; each must be a well-formed, annotated key, listed once.
fn read_partition(root: &Path, partition: &str, tags: &Tags) -> Result<BTreeSet<String>, DataError> {
    if partition.is_empty() || partition.contains(['/', '\\']) || partition.ends_with(".csv") {
        return Err(DataError::invalid(
            "openmic",
            format!("partition `{partition}` is not a partition name; expected e.g. `split01_train`"),
        ));
    }
    let path = root.join("partitions").join(format!("{partition}.csv"));
    let text = read(&path, "one sample_key per line")?;
    let mut keep = BTreeSet::new();
    for (i, raw) in text.lines().enumerate() {
        let bad = |reason: String| DataError::BadValue { path: path.clone(), line: Some(i as u64 + 1), reason };
        let cell = raw.trim_start_matches('\u{feff}').trim();
        if cell.is_empty() {
            continue;
        }
        let key = check_key(cell).map_err(bad)?;
        if !tags.contains_key(key) {
            return Err(bad(format!("`{key}` has no annotations in {LABELS_FILE}; is this the right root?")));
        }
        if !keep.insert(key.to_string()) {
            return Err(bad(format!("`{key}` is listed twice")));
        }
    }
    if keep.is_empty() {
        return Err(DataError::Empty { path, expected: "one sample_key per line".into() });
    }
    Ok(keep)
}

/// A sample key of the form `<track id>_<start ms>`, or why it is not one.
fn check_key(key: &str) -> Result<&str, String> {
    match key.split_once('_') {
        Some((track, start)) if !track.is_empty() && !start.is_empty() && !key.contains(['/', '\\']) => Ok(key),
        _ => Err(format!("sample key `{key}` is not `<track id>_<start ms>` (e.g. `000046_3840`)")),
    }
}

/// A whole file, or [`DataError::Io`] saying what it should have held.
fn read(path: &Path, expected: &str) -> Result<String, DataError> {
    if !path.is_file() {
        return Err(DataError::io(path, format!("not found; expected {expected}")));
    }
    std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: &str = "sample_key,instrument,relevance,num_responses\n\
        000046_3840,violin,0.9,3\n\
        000046_3840,cello,0.1,3\n\
        000046_7680,voice,0.5,2\n\
        000135_483840,cello,0.49,4\n\
        000135_483840,violin,0.0,1\n";

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Three instruments whose index order differs from the alphabet, labels for three keys of two tracks,
    /// their (empty: the loader only checks existence) audio and both partitions.
    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join(CLASS_MAP_FILE), r#"{"violin": 2, "cello": 0, "voice": 1}"#);
        write(&root.join(LABELS_FILE), LABELS);
        for key in ["000046_3840", "000046_7680", "000135_483840"] {
            write(&root.join(format!("audio/{}/{key}.ogg", &key[..3])), "");
        }
        write(&root.join("partitions/split01_train.csv"), "000046_3840\n000046_7680\n");
        write(&root.join("partitions/split01_test.csv"), "000135_483840\n");
        dir
    }

    fn tags(data: &Dataset, i: usize) -> (Vec<bool>, Vec<bool>) {
        match &data.items[i].target {
            Target::Tags { present, annotated } => (present.clone(), annotated.clone()),
            other => panic!("expected tags, got {other:?}"),
        }
    }

    #[test]
    fn labels_mask_order_and_groups() {
        let dir = fixture();
        let root = dir.path();
        let data = load(root).unwrap();
        assert_eq!((data.name.as_str(), data.kind, data.hierarchy.clone()), ("openmic", TargetKind::MultiLabel, None));
        assert_eq!(data.classes, ["cello", "voice", "violin"]);
        assert_eq!(data.items[0].path, root.join("audio/000/000046_3840.ogg"));
        // classes: cello, voice, violin. Unlisted pairs are unannotated; 0.5 is present, 0.49 is not.
        assert_eq!(tags(&data, 0), (vec![false, false, true], vec![true, false, true]));
        assert_eq!(tags(&data, 1), (vec![false, true, false], vec![false, true, false]));
        assert_eq!(tags(&data, 2), (vec![false, false, false], vec![true, false, true]));
        assert_eq!(data.items.iter().map(|i| i.group.as_str()).collect::<Vec<_>>(), ["000046", "000046", "000135"]);
        assert_eq!(data.groups(), ["000046", "000135"]);
        assert_eq!((data.class_counts(), data.annotated_counts()), (vec![0, 1, 1], vec![2, 1, 2]));

        let strict = load_with(root, &Options { threshold: 0.95, ..Options::default() }).unwrap();
        assert_eq!(tags(&strict, 0).0, [false, false, false]);
        let loose = load_with(root, &Options { threshold: 0.4, ..Options::default() }).unwrap();
        assert_eq!(tags(&loose, 2).0, [true, false, false]);
        let bad = load_with(root, &Options { threshold: 1.5, ..Options::default() }).unwrap_err();
        assert!(matches!(bad, DataError::Invalid { .. }), "{bad}");
    }

    #[test]
    fn partitions_keep_only_their_keys() {
        let dir = fixture();
        let root = dir.path();
        let train = load_partition(root, "split01_train").unwrap();
        let test = load_partition(root, "split01_test").unwrap();
        let keys = |d: &Dataset| d.items.iter().map(|i| i.path.file_stem().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(keys(&train), ["000046_3840", "000046_7680"]);
        assert_eq!(keys(&test), ["000135_483840"]);
        assert_eq!(train.items, load(root).unwrap().items[..2]);

        // Only the partition's audio is needed.
        std::fs::remove_file(root.join("audio/000/000135_483840.ogg")).unwrap();
        assert_eq!(load_partition(root, "split01_train").unwrap().len(), 2);

        let missing = load_partition(root, "split02_train").unwrap_err();
        assert!(matches!(&missing, DataError::Io { path, .. } if path.ends_with("split02_train.csv")), "{missing}");
        let name = load_partition(root, "../labels").unwrap_err();
        assert!(matches!(name, DataError::Invalid { .. }), "{name}");
        write(&root.join("partitions/odd.csv"), "000046_3840\n\n999999_0\n");
        let unknown = load_partition(root, "odd").unwrap_err();
        assert!(matches!(unknown, DataError::BadValue { line: Some(3), .. }), "{unknown}");
        assert!(unknown.to_string().contains("999999_0"), "{unknown}");
        write(&root.join("partitions/odd.csv"), "000046_3840\n000046_3840\n");
        let twice = load_partition(root, "odd").unwrap_err();
        assert!(twice.to_string().contains("listed twice"), "{twice}");
    }

    #[test]
    fn bad_input_gives_errors_naming_file_and_line() {
        let dir = fixture();
        let root = dir.path();
        let labels = root.join(LABELS_FILE);
        let with_row = |row: &str| write(&labels, &format!("{LABELS}{row}\n"));

        with_row("000046_3840,kazoo,0.7,2");
        let unknown = load(root).unwrap_err();
        assert!(matches!(&unknown, DataError::UnknownLabel { line: Some(7), label, .. } if label == "kazoo"));
        assert!(unknown.to_string().contains("cello, voice, violin"), "{unknown}");

        for relevance in ["1.5", "-0.1", "NaN", "high", ""] {
            with_row(&format!("000046_7680,cello,{relevance},2"));
            let err = load(root).unwrap_err();
            assert!(matches!(err, DataError::BadValue { line: Some(7), .. }), "{relevance}: {err}");
            assert!(err.to_string().contains("relevance"), "{err}");
        }
        for key in ["000046", "_3840", "000046_", "a/b_1"] {
            with_row(&format!("{key},cello,0.5,2"));
            let err = load(root).unwrap_err();
            assert!(matches!(err, DataError::BadValue { line: Some(7), .. }), "{key}: {err}");
        }
        with_row("000046_3840,violin,0.2,1");
        let twice = load(root).unwrap_err();
        assert!(twice.to_string().contains("twice"), "{twice}");

        with_row("000777_0,cello,0.8,2");
        let audio = load(root).unwrap_err();
        assert!(matches!(audio, DataError::MissingAudio { missing: 1, annotated: 4, .. }), "{audio}");
        assert!(audio.to_string().contains("000777_0.ogg"), "{audio}");

        write(&labels, "sample_key,instrument,num_responses\n000046_3840,violin,3\n");
        let column = load(root).unwrap_err();
        assert!(matches!(&column, DataError::MissingColumn { column, .. } if column == "relevance"), "{column}");
        write(&labels, "sample_key,instrument,relevance,num_responses\n");
        assert!(matches!(load(root).unwrap_err(), DataError::Empty { .. }));
        std::fs::remove_file(&labels).unwrap();
        let gone = load(root).unwrap_err();
        assert!(matches!(&gone, DataError::Io { path, .. } if *path == labels), "{gone}");

        let map = root.join(CLASS_MAP_FILE);
        for (json, says) in [
            (r#"{"cello": 0, "voice": 0}"#, "both have index 0"),
            (r#"{"cello": 0, "voice": 2}"#, "indices must be 0 to 1"),
            (r#"["cello"]"#, "JSON object"),
        ] {
            write(&map, json);
            let err = load(root).unwrap_err();
            assert!(matches!(err, DataError::BadValue { .. }) && err.to_string().contains(says), "{json}: {err}");
        }
        std::fs::remove_file(&map).unwrap();
        assert!(matches!(load(root).unwrap_err(), DataError::Io { path, .. } if path == map));
    }
}
