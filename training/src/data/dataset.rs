//! The dataset abstraction every loader produces and every trainer consumes.
//!
//! One type covers the three target shapes Earmark trains (single-label genre/speech emotion, multi-label
//! instrument tags, continuous valence/arousal) so that splitting, filtering, merging and feature extraction are
//! written once. Each item carries a *group* key (speaker, actor, track) because splitting by item would put the
//! same voice or piece on both sides of an evaluation and inflate every number reported from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use earmark_core::manifest::LabelGroup;
use ndarray::Array2;

use super::error::DataError;
use crate::feature_cache::{CacheError, FeatureCache};

/// Which kind of target a dataset's items carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// Exactly one class per item ([`Target::Class`]).
    SingleLabel,
    /// Any number of tags per item, some possibly unannotated ([`Target::Tags`]).
    MultiLabel,
    /// Two continuous values per item ([`Target::ValenceArousal`]).
    ValenceArousal,
}

impl TargetKind {
    fn describe(self) -> &'static str {
        match self {
            Self::SingleLabel => "single-label",
            Self::MultiLabel => "multi-label",
            Self::ValenceArousal => "valence/arousal",
        }
    }
}

/// What an item is labelled with.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Index into [`Dataset::classes`].
    Class(usize),
    /// One entry per tag in [`Dataset::classes`]. `annotated[i] == false` means nobody said whether tag `i` is
    /// present, so a loss must mask it rather than treat it as absent (datasets often label only some tags).
    Tags {
        /// Whether each tag is present (meaningless where not annotated; kept `false` there).
        present: Vec<bool>,
        /// Whether each tag's presence is known.
        annotated: Vec<bool>,
    },
    /// Continuous emotion, in the source dataset's own scale (PMEmo: [0, 1]).
    ValenceArousal {
        /// Pleasantness.
        valence: f32,
        /// Energy.
        arousal: f32,
    },
}

impl Target {
    /// The kind of this target.
    pub fn kind(&self) -> TargetKind {
        match self {
            Self::Class(_) => TargetKind::SingleLabel,
            Self::Tags { .. } => TargetKind::MultiLabel,
            Self::ValenceArousal { .. } => TargetKind::ValenceArousal,
        }
    }

    /// The class index of a single-label target.
    pub fn class(&self) -> Option<usize> {
        match self {
            Self::Class(c) => Some(*c),
            _ => None,
        }
    }
}

/// One labelled audio file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The audio file (absolute, or relative to the working directory the loader was given).
    pub path: PathBuf,
    /// Items sharing a group (speaker, actor, track) are always put on the same side of a split.
    pub group: String,
    /// The label.
    pub target: Target,
}

/// Labelled audio items of one target kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Short name used in messages, reports and merged group keys (e.g. `emodb`).
    pub name: String,
    /// The kind every item's target has.
    pub kind: TargetKind,
    /// Class names (single-label) or tag names (multi-label) in output order; `["valence", "arousal"]` for
    /// valence/arousal.
    pub classes: Vec<String>,
    /// Coarse → fine grouping of `classes` (instrument families), as in the model manifest.
    pub hierarchy: Option<Vec<LabelGroup>>,
    /// The items.
    pub items: Vec<Item>,
}

/// The names used as `classes` of a valence/arousal dataset.
pub const VALENCE_AROUSAL: [&str; 2] = ["valence", "arousal"];

/// Features of the items that could be read, and the items that could not.
#[derive(Debug)]
pub struct ItemFeatures {
    /// `(item index, frames × mels)` for every readable item, in the order asked for.
    pub features: Vec<(usize, Array2<f32>)>,
    /// Items whose audio could not be decoded or cached (a corrupt file should not end a whole run).
    pub skipped: Vec<SkippedItem>,
}

/// An item left out of [`ItemFeatures`].
#[derive(Debug)]
pub struct SkippedItem {
    /// The item's index in the dataset.
    pub index: usize,
    /// Its audio file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub error: CacheError,
}

impl Dataset {
    /// What a run folder remembers of the data it was made from: the item count and a hash of every item's path,
    /// group and label, in order. `--resume` compares it, so a run made from other data (more mixtures, another
    /// corpus) fails instead of silently reusing models trained on that data. The audio itself is not hashed:
    /// regenerating the same files must not lock a run out.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for item in &self.items {
            hash.update(format!("{}\u{1f}{}\u{1f}{:?}\u{1e}", item.path.display(), item.group, item.target).as_bytes());
        }
        let digest: String = hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{} items · {digest}", self.items.len())
    }

    /// A dataset, checked with [`Dataset::validate`].
    pub fn new(
        name: impl Into<String>,
        kind: TargetKind,
        classes: Vec<String>,
        hierarchy: Option<Vec<LabelGroup>>,
        items: Vec<Item>,
    ) -> Result<Self, DataError> {
        let dataset = Self { name: name.into(), kind, classes, hierarchy, items };
        dataset.validate()?;
        Ok(dataset)
    }

    /// Checks the invariants trainers rely on: every target has the dataset's kind, class indices and tag vectors
    /// fit `classes`, class names are unique, values are finite and the hierarchy only names known classes.
    pub fn validate(&self) -> Result<(), DataError> {
        let invalid = |reason: String| DataError::invalid(&self.name, reason);
        let mut seen = BTreeSet::new();
        if let Some(dup) = self.classes.iter().find(|c| !seen.insert(c.as_str())) {
            return Err(invalid(format!("class `{dup}` is listed twice")));
        }
        match self.kind {
            TargetKind::ValenceArousal => {
                if self.classes.iter().map(String::as_str).ne(VALENCE_AROUSAL) {
                    return Err(invalid(format!(
                        "a valence/arousal dataset's classes must be {VALENCE_AROUSAL:?}, not {:?}",
                        self.classes
                    )));
                }
                if self.hierarchy.is_some() {
                    return Err(invalid("a valence/arousal dataset has no class hierarchy".into()));
                }
            }
            TargetKind::SingleLabel | TargetKind::MultiLabel if self.classes.is_empty() => {
                return Err(invalid(format!("a {} dataset needs at least one class", self.kind.describe())));
            }
            _ => {}
        }
        if let Some(groups) = &self.hierarchy {
            for group in groups {
                if let Some(unknown) = group.members.iter().find(|m| !self.classes.contains(m)) {
                    return Err(invalid(format!(
                        "hierarchy group `{}` names unknown class `{unknown}`; classes are: {}",
                        group.name,
                        self.classes.join(", ")
                    )));
                }
            }
        }
        for item in &self.items {
            let at = || item.path.display();
            match &item.target {
                target if target.kind() != self.kind => {
                    return Err(invalid(format!(
                        "{} has a {} target in a {} dataset",
                        at(),
                        target.kind().describe(),
                        self.kind.describe()
                    )));
                }
                Target::Class(c) if *c >= self.classes.len() => {
                    return Err(invalid(format!(
                        "{} has class index {c} but there are {} classes",
                        at(),
                        self.classes.len()
                    )));
                }
                Target::Tags { present, annotated }
                    if present.len() != self.classes.len() || annotated.len() != self.classes.len() =>
                {
                    return Err(invalid(format!(
                        "{} has {} tag flags and {} annotation flags for {} tags",
                        at(),
                        present.len(),
                        annotated.len(),
                        self.classes.len()
                    )));
                }
                Target::ValenceArousal { valence, arousal } if !valence.is_finite() || !arousal.is_finite() => {
                    return Err(invalid(format!("{} has non-finite valence/arousal ({valence}, {arousal})", at())));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items per class (single-label) or items where each tag is present (multi-label); empty for
    /// valence/arousal. For class weights and for reports.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; if self.kind == TargetKind::ValenceArousal { 0 } else { self.classes.len() }];
        for item in &self.items {
            match &item.target {
                Target::Class(c) => counts[*c] += 1,
                Target::Tags { present, annotated } => {
                    for (i, _) in present.iter().zip(annotated).enumerate().filter(|(_, (p, a))| **p && **a) {
                        counts[i] += 1;
                    }
                }
                Target::ValenceArousal { .. } => {}
            }
        }
        counts
    }

    /// Items where each tag's presence is known (multi-label; a loss's per-tag denominator). Equal to
    /// [`Dataset::len`] for every class of the other kinds.
    pub fn annotated_counts(&self) -> Vec<usize> {
        match self.kind {
            TargetKind::MultiLabel => {
                let mut counts = vec![0; self.classes.len()];
                for item in &self.items {
                    if let Target::Tags { annotated, .. } = &item.target {
                        for (count, _) in counts.iter_mut().zip(annotated).filter(|(_, a)| **a) {
                            *count += 1;
                        }
                    }
                }
                counts
            }
            _ => vec![self.len(); self.classes.len()],
        }
    }

    /// The distinct group keys, sorted.
    pub fn groups(&self) -> Vec<String> {
        self.group_members().into_keys().map(str::to_string).collect()
    }

    /// Each group key (sorted) with the indices of its items (ascending).
    pub fn group_members(&self) -> BTreeMap<&str, Vec<usize>> {
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, item) in self.items.iter().enumerate() {
            groups.entry(item.group.as_str()).or_default().push(i);
        }
        groups
    }

    /// Replaces every item's group key, e.g. with artist names from a side list (GTZAN's loaders group by file
    /// because the published layout has no artist information).
    pub fn map_groups(&mut self, mut group_of: impl FnMut(&Item) -> String) {
        for item in &mut self.items {
            item.group = group_of(item);
        }
    }

    /// The items at `indices` (in that order), with the same classes: a fold's training set, say.
    ///
    /// # Panics
    /// If an index is out of range, like slice indexing: indices come from code (splits), not from users.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            name: self.name.clone(),
            kind: self.kind,
            classes: self.classes.clone(),
            hierarchy: self.hierarchy.clone(),
            items: indices.iter().map(|&i| self.items[i].clone()).collect(),
        }
    }

    /// Keeps only the classes named in `keep`, in that order (e.g. the 4-class speech setting
    /// `["neutral", "anger", "happiness", "sadness"]`). Single-label: items of other classes are dropped and the
    /// rest renumbered. Multi-label: the other tags' columns are dropped and every item kept; hierarchy groups
    /// keep only surviving members and vanish when empty. An unknown or repeated name is an error.
    pub fn filter_classes(&self, keep: &[&str]) -> Result<Self, DataError> {
        if self.kind == TargetKind::ValenceArousal {
            return Err(DataError::invalid(&self.name, "a valence/arousal dataset has no classes to filter"));
        }
        let mut old_index = Vec::with_capacity(keep.len());
        for name in keep {
            let Some(i) = self.classes.iter().position(|c| c == name) else {
                return Err(DataError::invalid(
                    &self.name,
                    format!("cannot keep class `{name}`: the classes are {}", self.classes.join(", ")),
                ));
            };
            if old_index.contains(&i) {
                return Err(DataError::invalid(&self.name, format!("class `{name}` is named twice")));
            }
            old_index.push(i);
        }
        let items = self
            .items
            .iter()
            .filter_map(|item| {
                let target = match &item.target {
                    Target::Class(c) => Target::Class(old_index.iter().position(|o| o == c)?),
                    Target::Tags { present, annotated } => Target::Tags {
                        present: old_index.iter().map(|&o| present[o]).collect(),
                        annotated: old_index.iter().map(|&o| annotated[o]).collect(),
                    },
                    Target::ValenceArousal { .. } => return None,
                };
                Some(Item { target, ..item.clone() })
            })
            .collect();
        let classes: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
        let hierarchy = self.hierarchy.as_ref().map(|groups| {
            groups
                .iter()
                .map(|g| LabelGroup {
                    name: g.name.clone(),
                    members: g.members.iter().filter(|m| classes.contains(m)).cloned().collect(),
                })
                .filter(|g| !g.members.is_empty())
                .collect()
        });
        Ok(Self { name: self.name.clone(), kind: self.kind, classes, hierarchy, items })
    }

    /// The part (corpus) a merged group key `<part name>:<group>` ([`Dataset::merge`]) comes from; `None` for a
    /// group of an unmerged set.
    pub fn corpus_of(group: &str) -> Option<&str> {
        group.split_once(':').map(|(corpus, _)| corpus)
    }

    /// Concatenates datasets of one kind under a new name (e.g. EmoDB + RAVDESS for speech emotion).
    ///
    /// * Group keys become `<part name>:<group>`, because speaker `03` of one corpus is not actor `03` of another
    ///   and must not be forced onto the same side of a split.
    /// * Classes are the union in first-seen order (use [`Dataset::filter_classes`] to reorder;
    ///   [`super::speech::merge`] puts speech emotions in their canonical order).
    /// * Multi-label: a tag one part does not have becomes *unannotated* for that part's items (unknown, not
    ///   absent), which is exactly what the mask is for.
    /// * Hierarchies are merged by group name.
    pub fn merge(name: impl Into<String>, parts: &[Dataset]) -> Result<Self, DataError> {
        let name = name.into();
        let Some(first) = parts.first() else {
            return Err(DataError::invalid(&name, "nothing to merge"));
        };
        let kind = first.kind;
        if let Some(other) = parts.iter().find(|p| p.kind != kind) {
            return Err(DataError::invalid(
                &name,
                format!(
                    "cannot merge `{}` ({}) with `{}` ({})",
                    first.name,
                    kind.describe(),
                    other.name,
                    other.kind.describe()
                ),
            ));
        }
        let mut classes: Vec<String> = Vec::new();
        for class in parts.iter().flat_map(|p| &p.classes) {
            if !classes.contains(class) {
                classes.push(class.clone());
            }
        }
        let mut hierarchy: Option<Vec<LabelGroup>> = None;
        for groups in parts.iter().filter_map(|p| p.hierarchy.as_ref()) {
            let merged = hierarchy.get_or_insert_with(Vec::new);
            for group in groups {
                let target = match merged.iter().position(|g| g.name == group.name) {
                    Some(i) => &mut merged[i],
                    None => {
                        merged.push(LabelGroup { name: group.name.clone(), members: Vec::new() });
                        merged.last_mut().expect("just pushed")
                    }
                };
                for member in &group.members {
                    if !target.members.contains(member) {
                        target.members.push(member.clone());
                    }
                }
            }
        }
        let mut items = Vec::with_capacity(parts.iter().map(Dataset::len).sum());
        for part in parts {
            let new_index: Vec<usize> =
                part.classes.iter().map(|c| classes.iter().position(|m| m == c).expect("union")).collect();
            for item in &part.items {
                let target = match &item.target {
                    Target::Class(c) => Target::Class(new_index[*c]),
                    Target::Tags { present, annotated } => {
                        let mut p = vec![false; classes.len()];
                        let mut a = vec![false; classes.len()];
                        for (old, &new) in new_index.iter().enumerate() {
                            p[new] = present[old];
                            a[new] = annotated[old];
                        }
                        Target::Tags { present: p, annotated: a }
                    }
                    va @ Target::ValenceArousal { .. } => va.clone(),
                };
                items.push(Item { path: item.path.clone(), group: format!("{}:{}", part.name, item.group), target });
            }
        }
        Self::new(name, kind, classes, hierarchy, items)
    }

    /// Log-mel features of every item (see [`Dataset::features_of`]).
    pub fn features(&self, cache: &mut FeatureCache) -> ItemFeatures {
        let all: Vec<usize> = (0..self.len()).collect();
        self.features_of(&all, cache)
    }

    /// Features of every item, indexed like the items (`None` where unreadable), with the unreadable files and
    /// why, as `path: reason` lines; a progress bar while it works (decoding a corpus the first time is slow).
    pub fn features_by_item(&self, cache: &mut FeatureCache) -> (Vec<Option<Array2<f32>>>, Vec<String>) {
        let bar = indicatif::ProgressBar::new(self.len() as u64).with_style(
            indicatif::ProgressStyle::with_template("features {bar:30} {pos}/{len} {elapsed_precise}<{eta_precise}")
                .expect("static template"),
        );
        let (mut features, mut skipped) = (Vec::with_capacity(self.len()), Vec::new());
        for i in 0..self.len() {
            let mut got = self.features_of(&[i], cache);
            features.push(got.features.pop().map(|(_, f)| f));
            skipped.extend(got.skipped.into_iter().map(|s| format!("{}: {}", s.path.display(), s.error)));
            bar.inc(1);
        }
        bar.finish_and_clear();
        (features, skipped)
    }

    /// Log-mel features of the items at `indices`, through the on-disk cache. Unreadable files are skipped and
    /// reported rather than fatal: published corpora contain the odd corrupt file (GTZAN's `jazz.00054.wav`),
    /// and one bad file should not end a training run. Holds all features in memory; for large sets, call it
    /// per batch of indices.
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn features_of(&self, indices: &[usize], cache: &mut FeatureCache) -> ItemFeatures {
        let mut result = ItemFeatures { features: Vec::with_capacity(indices.len()), skipped: Vec::new() };
        for &index in indices {
            let path = &self.items[index].path;
            match cache.features(path) {
                Ok(features) => result.features.push((index, features)),
                Err(error) => result.skipped.push(SkippedItem { index, path: path.clone(), error }),
            }
        }
        result
    }
}

/// Fails with [`DataError::MissingAudio`] when any of `paths` does not exist: an annotation without audio
/// usually means a wrong root or an incomplete copy, and training on the rest would quietly change the data.
pub(crate) fn require_audio(paths: &[&Path], hint: &str) -> Result<(), DataError> {
    let missing: Vec<PathBuf> = paths.iter().filter(|p| !p.is_file()).map(|p| p.to_path_buf()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(DataError::MissingAudio {
        missing: missing.len(),
        annotated: paths.len(),
        examples: missing.into_iter().take(5).collect(),
        hint: hint.to_string(),
    })
}
