//! Group-aware splits: every group (speaker, actor, track) lies wholly in one of train, validation and test.
//!
//! Splitting by item would let a model recognise a voice or a recording instead of an emotion or a genre, and
//! every reported number would be too good. All assignments are deterministic given a seed (ChaCha8), so a
//! reported result can be reproduced exactly.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::dataset::Dataset;
use super::error::DataError;

/// One train/validation/test partition of a dataset's item indices (each ascending).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fold {
    /// Items to fit on.
    pub train: Vec<usize>,
    /// Items for early stopping and model selection; may be empty.
    pub validation: Vec<usize>,
    /// Items to report on.
    pub test: Vec<usize>,
}

impl Fold {
    /// The parts with their names, for reports and checks.
    pub fn parts(&self) -> [(&'static str, &[usize]); 3] {
        [("train", &self.train), ("validation", &self.validation), ("test", &self.test)]
    }

    /// The split a shipped model trains on: this fold's test part joins training, its validation part stays
    /// (it still picks the epoch and the thresholds), nothing is held out for testing.
    pub fn for_final_model(&self) -> Fold {
        let mut train = self.train.clone();
        train.extend(&self.test);
        train.sort_unstable();
        Fold { train, validation: self.validation.clone(), test: Vec::new() }
    }

    /// Fails with [`DataError::GroupLeak`] if a group (hence also an item) is in two parts, and with
    /// [`DataError::Invalid`] if an index is out of range.
    pub fn check_disjoint_groups(&self, dataset: &Dataset) -> Result<(), DataError> {
        let mut owner: BTreeMap<&str, &'static str> = BTreeMap::new();
        for (part, indices) in self.parts() {
            for &i in indices {
                let Some(item) = dataset.items.get(i) else {
                    return Err(DataError::invalid(
                        &dataset.name,
                        format!("{part} index {i} is out of range ({} items)", dataset.len()),
                    ));
                };
                match owner.insert(item.group.as_str(), part) {
                    Some(first) if first != part => {
                        return Err(DataError::GroupLeak {
                            dataset: dataset.name.clone(),
                            group: item.group.clone(),
                            first,
                            second: part,
                        });
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// How many groups of each fold's training side become its validation set.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ValidationGroups {
    /// No validation set.
    #[default]
    None,
    /// This many whole groups (at least one group always stays in train).
    Count(usize),
    /// This fraction of the training side's groups, rounded, at least one when positive.
    Fraction(f64),
}

/// Group k-fold without validation sets: see [`group_k_fold_with_validation`].
pub fn group_k_fold(dataset: &Dataset, k: usize, seed: u64) -> Result<Vec<Fold>, DataError> {
    group_k_fold_with_validation(dataset, k, seed, ValidationGroups::None)
}

/// `k` folds whose test sets partition the dataset by group, with item counts balanced: the groups are shuffled
/// with `seed` (so equal-sized groups land differently per seed), sorted by size, largest first, and each is
/// put into the fold with the fewest items so far. Fold `i` tests on its groups and trains on the rest; with
/// `validation`, whole groups drawn (with the seed) from the training side form its validation set.
///
/// Errors when `k < 2` or when there are fewer groups than `k` (a fold would be empty).
pub fn group_k_fold_with_validation(
    dataset: &Dataset,
    k: usize,
    seed: u64,
    validation: ValidationGroups,
) -> Result<Vec<Fold>, DataError> {
    let groups = dataset.group_members();
    if k < 2 {
        return Err(DataError::invalid(&dataset.name, format!("k-fold needs k ≥ 2, got {k}")));
    }
    if groups.len() < k {
        return Err(DataError::invalid(
            &dataset.name,
            format!("{k} folds need at least {k} groups but there are {}; lower k or use finer groups", groups.len()),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<&Vec<usize>> = groups.values().collect();
    order.shuffle(&mut rng);
    order.sort_by_key(|members| std::cmp::Reverse(members.len()));
    let mut fold_groups: Vec<Vec<&Vec<usize>>> = vec![Vec::new(); k];
    let mut sizes = vec![0usize; k];
    for members in order {
        let smallest = (0..k).min_by_key(|&f| sizes[f]).expect("k ≥ 2");
        sizes[smallest] += members.len();
        fold_groups[smallest].push(members);
    }
    let folds = (0..k)
        .map(|f| -> Result<Fold, String> {
            let train_groups: Vec<&Vec<usize>> = fold_groups
                .iter()
                .enumerate()
                .filter(|(g, _)| *g != f)
                .flat_map(|(_, gs)| gs.iter().copied())
                .collect();
            let (train, validation) = carve_validation(train_groups, validation, seed, f)?;
            Ok(Fold { train, validation, test: flatten(&fold_groups[f]) })
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(|reason: String| DataError::invalid(&dataset.name, reason))?;
    Ok(folds)
}

/// One fold with the named groups as test and validation and every other group as train. Unknown group names,
/// a group named in both lists, or nothing left to train on are errors.
pub fn leave_groups_out(
    dataset: &Dataset,
    test_groups: &[&str],
    validation_groups: &[&str],
) -> Result<Fold, DataError> {
    let groups = dataset.group_members();
    for name in test_groups.iter().chain(validation_groups) {
        if !groups.contains_key(name) {
            return Err(DataError::invalid(
                &dataset.name,
                format!("no group `{name}`; the groups are: {}", groups.keys().copied().collect::<Vec<_>>().join(", ")),
            ));
        }
    }
    if let Some(both) = test_groups.iter().find(|g| validation_groups.contains(*g)) {
        return Err(DataError::invalid(&dataset.name, format!("group `{both}` is named for both test and validation")));
    }
    let mut fold = Fold::default();
    for (name, members) in &groups {
        let part = if test_groups.contains(name) {
            &mut fold.test
        } else if validation_groups.contains(name) {
            &mut fold.validation
        } else {
            &mut fold.train
        };
        part.extend(members);
    }
    if fold.train.is_empty() {
        return Err(DataError::invalid(&dataset.name, "every group is held out; nothing is left to train on"));
    }
    for part in [&mut fold.train, &mut fold.validation, &mut fold.test] {
        part.sort_unstable();
    }
    Ok(fold)
}

/// Splits `dataset` by group into (kept, held out): the held-out part is the test part of the first of `parts`
/// group-balanced folds drawn with `seed` ([`group_k_fold`]), about 1/`parts` of the items; no group is on both
/// sides. For scoring models on groups of a training-only set they never trained on (EMOPIA songs whose renders
/// join the 4Q training clips).
pub fn hold_out_groups(dataset: &Dataset, parts: usize, seed: u64) -> Result<(Dataset, Dataset), DataError> {
    let fold = group_k_fold(dataset, parts, seed)?.swap_remove(0);
    Ok((dataset.subset(&fold.train), dataset.subset(&fold.test)))
}

/// Speaker-independent evaluation with disjoint train, validation and test speakers: see [`rotating_group_folds`]
/// with `min(5, groups)` folds. For EmoDB's 10 speakers: 5 folds, each testing on 2 speakers, validating on
/// 2 others and training on the remaining 6; every speaker is tested exactly once.
pub fn leave_speakers_out_folds(dataset: &Dataset, seed: u64) -> Result<Vec<Fold>, DataError> {
    rotating_group_folds(dataset, dataset.group_members().len().min(5), seed)
}

/// `k` folds over groups shuffled with `seed` and cut into `k` near-equal chunks (by group count, since a
/// speaker is the unit of generalisation): fold `i` tests on chunk `i`, validates on chunk `i + 1` (cyclically)
/// and trains on the others. Needs `k ≥ 3` and at least `k` groups.
pub fn rotating_group_folds(dataset: &Dataset, k: usize, seed: u64) -> Result<Vec<Fold>, DataError> {
    let groups = dataset.group_members();
    if k < 3 || groups.len() < k {
        return Err(DataError::invalid(
            &dataset.name,
            format!(
                "disjoint train/validation/test folds need k ≥ 3 and at least k groups; got k = {k} with {} groups",
                groups.len()
            ),
        ));
    }
    let mut order: Vec<&Vec<usize>> = groups.values().collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let chunks: Vec<Vec<usize>> =
        (0..k).map(|c| flatten(&order[c * order.len() / k..(c + 1) * order.len() / k])).collect();
    Ok((0..k)
        .map(|f| {
            let validation = (f + 1) % k;
            let mut train: Vec<usize> =
                (0..k).filter(|&c| c != f && c != validation).flat_map(|c| chunks[c].iter().copied()).collect();
            train.sort_unstable();
            Fold { train, validation: chunks[validation].clone(), test: chunks[f].clone() }
        })
        .collect())
}

/// Leave-one-corpus-out folds over a merged dataset (groups named `corpus:speaker`, as [`Dataset::merge`] writes
/// them): fold `c` tests on every item of corpus `c` — voices, language, microphones and rooms it never trained
/// on — and trains on the other corpora, with about one speaker in five of each of them (seeded, at least one)
/// held out for validation.
pub fn leave_one_corpus_out_folds(dataset: &Dataset, seed: u64) -> Result<Vec<Fold>, DataError> {
    let groups = dataset.group_members();
    let corpus_of = |group: &str| Dataset::corpus_of(group).map(str::to_string);
    let mut corpora: Vec<String> = groups.keys().filter_map(|g| corpus_of(g)).collect();
    corpora.dedup();
    if corpora.len() < 2 || groups.keys().any(|g| corpus_of(g).is_none()) {
        return Err(DataError::invalid(
            &dataset.name,
            "leave-one-corpus-out needs a merge of two corpora or more (groups named corpus:speaker)",
        ));
    }
    let mut folds = Vec::with_capacity(corpora.len());
    for (c, corpus) in corpora.iter().enumerate() {
        let mut fold = Fold { train: Vec::new(), validation: Vec::new(), test: Vec::new() };
        for other in &corpora {
            let mut speakers: Vec<(&&str, &Vec<usize>)> =
                groups.iter().filter(|(g, _)| corpus_of(g).as_deref() == Some(other.as_str())).collect();
            if other == corpus {
                fold.test.extend(speakers.iter().flat_map(|(_, m)| m.iter().copied()));
                continue;
            }
            speakers.shuffle(&mut ChaCha8Rng::seed_from_u64(seed.wrapping_add(c as u64)));
            let held = (speakers.len() / 5).max(1).min(speakers.len().saturating_sub(1));
            for (k, (_, members)) in speakers.iter().enumerate() {
                let part = if k < held { &mut fold.validation } else { &mut fold.train };
                part.extend(members.iter().copied());
            }
        }
        for part in [&mut fold.train, &mut fold.validation, &mut fold.test] {
            part.sort_unstable();
        }
        folds.push(fold);
    }
    Ok(folds)
}

fn flatten(groups: &[&Vec<usize>]) -> Vec<usize> {
    let mut items: Vec<usize> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    items.sort_unstable();
    items
}

/// Splits a fold's training groups into (train, validation) item lists.
fn carve_validation(
    mut train_groups: Vec<&Vec<usize>>,
    validation: ValidationGroups,
    seed: u64,
    fold: usize,
) -> Result<(Vec<usize>, Vec<usize>), String> {
    let available = train_groups.len();
    let count = match validation {
        ValidationGroups::None => 0,
        ValidationGroups::Count(n) => n,
        ValidationGroups::Fraction(f) if (0.0..1.0).contains(&f) => {
            if f > 0.0 {
                ((f * available as f64).round() as usize).max(1)
            } else {
                0
            }
        }
        ValidationGroups::Fraction(f) => return Err(format!("validation fraction {f} is not in [0, 1)")),
    };
    if count == 0 {
        return Ok((flatten(&train_groups), Vec::new()));
    }
    if count >= available {
        return Err(format!(
            "{count} validation groups would leave no training group (fold {fold} trains on {available} groups)"
        ));
    }
    // A per-fold stream, so each fold draws its validation groups independently but reproducibly.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(fold as u64 + 1);
    train_groups.shuffle(&mut rng);
    let validation_groups = train_groups.split_off(available - count);
    Ok((flatten(&train_groups), flatten(&validation_groups)))
}
