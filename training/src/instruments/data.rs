//! Loading a multi-label instrument dataset with its two-level hierarchy and features: the generator's
//! instrument mixtures (a folder with `manifest.csv`, `tags.txt` and `hierarchy.json`), any CSV manifest with a
//! `hierarchy.json`, or an OpenMIC-2018 root (with the tone-based families of [`openmic_families`]).

use std::path::Path;

use earmark_core::manifest::LabelGroup;
use ndarray::Array2;

use super::frontend;
use super::train::{Hierarchy, TagClips};
use crate::data::{Dataset, TargetKind, manifest_csv, openmic};
use crate::feature_cache::FeatureCache;
use crate::train::TrainError;

/// A dataset with its hierarchy and features.
pub struct LoadedTags {
    /// Items.
    pub dataset: Dataset,
    /// Fine → coarse.
    pub hierarchy: Hierarchy,
    /// Features per item (`None`: unreadable, listed in `skipped`).
    pub features: Vec<Option<Array2<f32>>>,
    /// Unreadable files and why.
    pub skipped: Vec<String>,
    /// Items from here on are training-only extras (never in a validation or test part); `None`: no extras.
    pub extra_from: Option<usize>,
}

impl LoadedTags {
    /// Loads the set at `path` (same tags) and appends it as training-only items, their groups prefixed with
    /// `extra:` so they can never share a group with the set's own items. Returns the appended indices.
    pub fn append_training_only(&mut self, path: &Path, cache: &Path) -> Result<Vec<usize>, TrainError> {
        let extra = load(path, cache)?;
        if extra.dataset.classes != self.dataset.classes {
            return Err(TrainError::Invalid(format!(
                "{}: its tags {:?} differ from the set's {:?}",
                path.display(),
                extra.dataset.classes,
                self.dataset.classes
            )));
        }
        let start = self.dataset.items.len();
        self.extra_from.get_or_insert(start);
        for mut item in extra.dataset.items {
            item.group = format!("extra:{}", item.group);
            self.dataset.items.push(item);
        }
        self.features.extend(extra.features);
        self.skipped.extend(extra.skipped);
        Ok((start..self.dataset.items.len()).collect())
    }

    /// The set as a tagger trains on it.
    pub fn clips(&self) -> TagClips<'_> {
        TagClips {
            dataset: &self.dataset,
            features: &self.features,
            hierarchy: &self.hierarchy,
            extra_from: self.extra_from,
        }
    }

    /// The set's own items (without training-only extras).
    pub fn own_len(&self) -> usize {
        self.extra_from.unwrap_or(self.dataset.items.len())
    }
}

/// OpenMIC's 20 instruments grouped by how they make sound (the paper's "tone-based" idea; its figure is not
/// in the text we have, so this grouping is ours): bowed and plucked strings, woodwinds, brass, keyboards,
/// percussion, voice.
pub fn openmic_families() -> Vec<LabelGroup> {
    let group = |name: &str, members: &[&str]| LabelGroup {
        name: name.to_string(),
        members: members.iter().map(|m| m.to_string()).collect(),
    };
    vec![
        group("bowed_strings", &["cello", "violin"]),
        group("plucked_strings", &["banjo", "bass", "guitar", "mandolin", "ukulele"]),
        group("woodwinds", &["clarinet", "flute", "saxophone"]),
        group("brass", &["trombone", "trumpet"]),
        group("keyboards", &["accordion", "organ", "piano", "synthesizer"]),
        group("percussion", &["cymbals", "drums", "mallet_percussion"]),
        group("voice", &["voice"]),
    ]
}

/// Loads `path` and computes (or reuses) its features in `cache`.
pub fn load(path: &Path, cache: &Path) -> Result<LoadedTags, TrainError> {
    let invalid = |e: String| TrainError::Invalid(format!("{}: {e}", path.display()));
    let mut dataset = if path.join(openmic::LABELS_FILE).is_file() {
        openmic::load(path).map_err(|e| invalid(e.to_string()))?
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        manifest_csv::load(path).map_err(|e| invalid(e.to_string()))?
    } else {
        manifest_csv::load(&path.join("manifest.csv")).map_err(|e| invalid(e.to_string()))?
    };
    if dataset.kind != TargetKind::MultiLabel {
        return Err(invalid("instrument tagging needs multi-label tags (a `tags` column)".into()));
    }
    if dataset.hierarchy.is_none() && dataset.name == "openmic" {
        dataset.hierarchy = Some(openmic_families());
    }
    let hierarchy = Hierarchy::of(&dataset)?;
    let mut cache = FeatureCache::open(cache, &frontend()).map_err(|e| invalid(e.to_string()))?;
    let (features, skipped) = dataset.features_by_item(&mut cache);
    Ok(LoadedTags { dataset, hierarchy, features, skipped, extra_from: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openmic_families_cover_its_twenty_instruments_once() {
        let mut members: Vec<String> = openmic_families().into_iter().flat_map(|g| g.members).collect();
        members.sort();
        let before = members.len();
        members.dedup();
        assert_eq!((before, members.len()), (20, 20));
    }
}
