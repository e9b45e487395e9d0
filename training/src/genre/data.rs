//! Loading a single-label music dataset (the generator's styles, GTZAN, Ballroom, any CSV manifest) with its
//! features, for every genre command.

use std::path::Path;

use ndarray::Array2;

use super::frontend;
use crate::data::{Dataset, TargetKind, folder, manifest_csv};
use crate::feature_cache::{CacheError, FeatureCache};

/// Why genre data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum GenreDataError {
    /// The loader refused the dataset.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// The feature cache could not be opened.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// Not a single-label dataset, or too little of it is usable.
    #[error("{0}")]
    Unusable(String),
}

/// A dataset with each item's class and features.
pub struct LoadedClips {
    /// The dataset (items, classes, groups).
    pub dataset: Dataset,
    /// Class of each item.
    pub classes: Vec<usize>,
    /// Features of each item (`None`: unreadable, listed in `skipped`).
    pub features: Vec<Option<Array2<f32>>>,
    /// Unreadable files with the reason.
    pub skipped: Vec<String>,
}

/// Loads `path`: a CSV manifest, a folder holding `manifest.csv` (what `earmark-train synth` writes), or a
/// folder with one sub-folder per class (GTZAN's and Ballroom's layout). With `per_class`, only the first that
/// many groups of each class (in name order) are kept: a smaller, still balanced set for time-boxed studies.
pub fn load(path: &Path, cache: &Path, per_class: Option<usize>) -> Result<LoadedClips, GenreDataError> {
    let dataset = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        manifest_csv::load(path)?
    } else if path.join("manifest.csv").is_file() {
        manifest_csv::load(&path.join("manifest.csv"))?
    } else {
        let name = path.file_name().map_or_else(|| "genre".into(), |n| n.to_string_lossy().into_owned());
        folder::load(path, &name)?
    };
    if dataset.kind != TargetKind::SingleLabel {
        return Err(GenreDataError::Unusable(format!(
            "{}: genre training needs one class per clip (a `class` column or class folders)",
            path.display()
        )));
    }
    let dataset = match per_class {
        Some(n) => limit_groups_per_class(&dataset, n),
        None => dataset,
    };
    let mut cache = FeatureCache::open(cache, &frontend())?;
    let (features, skipped) = dataset.features_by_item(&mut cache);
    let classes: Vec<usize> = dataset.items.iter().map(|item| item.target.class().unwrap_or(0)).collect();
    let readable = features.iter().filter(|f| f.is_some()).count();
    if readable < 2 {
        return Err(GenreDataError::Unusable(format!("{}: fewer than two readable clips", path.display())));
    }
    Ok(LoadedClips { dataset, classes, features, skipped })
}

/// The first `n` groups of each class, by group name; items keep their order.
fn limit_groups_per_class(dataset: &Dataset, n: usize) -> Dataset {
    let mut kept: std::collections::BTreeMap<usize, std::collections::BTreeSet<&str>> = Default::default();
    let mut groups: Vec<(&str, usize)> =
        dataset.items.iter().map(|item| (item.group.as_str(), item.target.class().unwrap_or(0))).collect();
    groups.sort_unstable();
    groups.dedup();
    for (group, class) in groups {
        let set = kept.entry(class).or_default();
        if set.len() < n {
            set.insert(group);
        }
    }
    let keep: Vec<usize> = (0..dataset.len())
        .filter(|&i| {
            let item = &dataset.items[i];
            kept.get(&item.target.class().unwrap_or(0)).is_some_and(|s| s.contains(item.group.as_str()))
        })
        .collect();
    dataset.subset(&keep)
}
