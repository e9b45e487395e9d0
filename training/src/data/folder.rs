//! Folder-per-class corpora: GTZAN (`genres/<genre>/<genre>.00042.wav`), Ballroom
//! (`BallroomData/<Dance>/<file>.wav`), Philharmonia (`<instrument>/<file>.mp3`) and anything laid out alike.
//!
//! * Classes are the names of `root`'s subfolders that contain audio (searched recursively), sorted; hidden
//!   folders (`.git`) and empty folders are ignored, as are files directly in `root` (GTZAN ships `.mf` lists
//!   there).
//! * The group is the **file stem** by default ([`GroupBy::FileStem`]): GTZAN's layout carries no artist
//!   information, so the loader cannot keep an artist on one side of a split. Known artist lists can be applied
//!   afterwards with [`Dataset::map_groups`]; corpora stored as `<class>/<artist or album>/<file>` can use
//!   [`GroupBy::Subfolder`].
//! * Decoding problems are not checked here (that would decode every file); [`Dataset::features`] skips and
//!   reports unreadable files.

use std::path::{Path, PathBuf};

use earmark_core::audio::find_audio_files;

use super::dataset::{Dataset, Item, Target, TargetKind};
use super::error::DataError;

/// How a folder-per-class item's group key is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// The file name without extension: every file its own group (unless two classes share a stem).
    #[default]
    FileStem,
    /// The folder directly below the class folder (`<class>/<artist>/<file>` groups by artist). The same folder
    /// name under two classes is one group (an artist in two genres stays on one side); files directly in the
    /// class folder fall back to their stem.
    Subfolder,
}

/// Loads `root/<class>/…/<file>` as dataset `name`, grouped by file stem.
pub fn load(root: &Path, name: &str) -> Result<Dataset, DataError> {
    load_with(root, name, GroupBy::FileStem)
}

/// Loads `root/<class>/…/<file>` as dataset `name`, grouping as asked.
pub fn load_with(root: &Path, name: &str, group_by: GroupBy) -> Result<Dataset, DataError> {
    let entries = std::fs::read_dir(root).map_err(|e| DataError::io(root, e))?;
    let mut class_dirs: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(root, e))?.path();
        if !path.is_dir() {
            continue;
        }
        let Some(class) = path.file_name().and_then(|n| n.to_str()) else {
            return Err(DataError::BadValue {
                path: path.clone(),
                line: None,
                reason: "a class folder's name must be valid UTF-8: it becomes the class name".into(),
            });
        };
        if !class.starts_with('.') {
            class_dirs.push((class.to_string(), path.clone()));
        }
    }
    class_dirs.sort();
    let mut classes = Vec::new();
    let mut items = Vec::new();
    for (class, dir) in class_dirs {
        let files = find_audio_files(std::slice::from_ref(&dir)).map_err(|e| DataError::io(&dir, e))?;
        if files.is_empty() {
            continue;
        }
        let index = classes.len();
        classes.push(class);
        for path in files {
            let group = group_of(&path, &dir, group_by);
            items.push(Item { path, group, target: Target::Class(index) });
        }
    }
    if items.is_empty() {
        return Err(DataError::Empty {
            path: root.to_path_buf(),
            expected: "one subfolder per class holding audio files (wav, flac, mp3, ogg): <root>/<class>/<file>".into(),
        });
    }
    Dataset::new(name, TargetKind::SingleLabel, classes, None, items)
}

fn group_of(path: &Path, class_dir: &Path, group_by: GroupBy) -> String {
    let stem = || path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match group_by {
        GroupBy::FileStem => stem(),
        GroupBy::Subfolder => {
            let relative = path.strip_prefix(class_dir).unwrap_or(path);
            let mut components = relative.components();
            match (components.next(), components.next()) {
                (Some(first), Some(_)) => first.as_os_str().to_string_lossy().into_owned(),
                _ => stem(),
            }
        }
    }
}
