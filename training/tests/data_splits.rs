//! Group-aware splits on a synthetic dataset with uneven group sizes: no group leaks across parts, every item is
//! tested exactly once, assignments are reproducible per seed.

use std::collections::BTreeSet;
use std::path::PathBuf;

use earmark_training::data::splits::{
    group_k_fold, group_k_fold_with_validation, hold_out_groups, leave_groups_out, leave_speakers_out_folds,
    rotating_group_folds,
};
use earmark_training::data::{DataError, Dataset, Fold, Item, Target, TargetKind, ValidationGroups};

/// Groups `g00`, `g01`, … with the given sizes; labels alternate between two classes. No audio is needed.
fn dataset(sizes: &[usize]) -> Dataset {
    let mut items = Vec::new();
    for (g, &size) in sizes.iter().enumerate() {
        for i in 0..size {
            items.push(Item {
                path: PathBuf::from(format!("g{g:02}_{i}.wav")),
                group: format!("g{g:02}"),
                target: Target::Class(items.len() % 2),
            });
        }
    }
    Dataset::new("synthetic", TargetKind::SingleLabel, vec!["a".into(), "b".into()], None, items).unwrap()
}

/// Uneven, with many ties so that the seed matters.
const SIZES: [usize; 13] = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 2, 2, 9];

fn groups_of(data: &Dataset, indices: &[usize]) -> BTreeSet<String> {
    indices.iter().map(|&i| data.items[i].group.clone()).collect()
}

/// Each fold partitions all items, keeps groups whole, and the test sets together cover every item once.
fn assert_sound(data: &Dataset, folds: &[Fold]) {
    let mut tested = vec![0; data.len()];
    for fold in folds {
        fold.check_disjoint_groups(data).unwrap();
        let mut all: Vec<usize> = fold.train.iter().chain(&fold.validation).chain(&fold.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..data.len()).collect::<Vec<_>>(), "each item in exactly one part of every fold");
        assert!(!fold.train.is_empty() && !fold.test.is_empty());
        for &i in &fold.test {
            tested[i] += 1;
        }
    }
    assert!(tested.iter().all(|&n| n == 1), "every item in exactly one test fold: {tested:?}");
}

#[test]
fn group_k_fold_keeps_groups_whole_and_balances_items() {
    let data = dataset(&SIZES);
    let folds = group_k_fold(&data, 4, 7).unwrap();
    assert_eq!(folds.len(), 4);
    assert_sound(&data, &folds);
    for fold in &folds {
        assert!(fold.validation.is_empty());
    }
    // Greedy largest-first balancing: test sizes differ by at most the largest group.
    let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
    let spread = sizes.iter().max().unwrap() - sizes.iter().min().unwrap();
    assert!(spread <= 9, "test sizes {sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), data.len());
}

#[test]
fn group_k_fold_carves_whole_validation_groups_from_train() {
    let data = dataset(&SIZES);
    let folds = group_k_fold_with_validation(&data, 3, 11, ValidationGroups::Count(2)).unwrap();
    assert_sound(&data, &folds);
    for fold in &folds {
        assert_eq!(groups_of(&data, &fold.validation).len(), 2);
    }
    let by_fraction = group_k_fold_with_validation(&data, 3, 11, ValidationGroups::Fraction(0.25)).unwrap();
    assert_sound(&data, &by_fraction);
    assert!(by_fraction.iter().all(|f| !f.validation.is_empty()));
    assert!(group_k_fold_with_validation(&data, 3, 11, ValidationGroups::Count(100)).is_err());
    assert!(group_k_fold_with_validation(&data, 3, 11, ValidationGroups::Fraction(1.5)).is_err());
}

#[test]
fn the_same_seed_gives_the_same_folds_and_another_seed_a_different_assignment() {
    let data = dataset(&SIZES);
    let a = group_k_fold_with_validation(&data, 4, 42, ValidationGroups::Count(1)).unwrap();
    assert_eq!(a, group_k_fold_with_validation(&data, 4, 42, ValidationGroups::Count(1)).unwrap());
    let b = group_k_fold_with_validation(&data, 4, 43, ValidationGroups::Count(1)).unwrap();
    assert_ne!(a, b, "another seed assigns the tied groups differently");

    let speakers = dataset(&[3, 5, 4, 4, 6, 2, 5, 5, 3, 4]);
    assert_eq!(leave_speakers_out_folds(&speakers, 1).unwrap(), leave_speakers_out_folds(&speakers, 1).unwrap());
    assert_ne!(leave_speakers_out_folds(&speakers, 1).unwrap(), leave_speakers_out_folds(&speakers, 2).unwrap());
}

#[test]
fn more_folds_than_groups_is_an_error() {
    let data = dataset(&[3, 1, 2]);
    let err = group_k_fold(&data, 4, 0).unwrap_err();
    assert!(matches!(err, DataError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("at least 4 groups but there are 3"), "{err}");
    assert!(group_k_fold(&data, 1, 0).is_err());
    assert_eq!(group_k_fold(&data, 3, 0).unwrap().len(), 3);
}

#[test]
fn leave_speakers_out_has_disjoint_speakers_in_every_part() {
    // EmoDB-like: 10 speakers with uneven utterance counts.
    let data = dataset(&[49, 58, 43, 38, 55, 35, 61, 69, 56, 71]);
    let folds = leave_speakers_out_folds(&data, 3).unwrap();
    assert_eq!(folds.len(), 5);
    assert_sound(&data, &folds);
    let mut tested_speakers = BTreeSet::new();
    for fold in &folds {
        assert_eq!(groups_of(&data, &fold.test).len(), 2);
        assert_eq!(groups_of(&data, &fold.validation).len(), 2);
        assert_eq!(groups_of(&data, &fold.train).len(), 6);
        tested_speakers.extend(groups_of(&data, &fold.test));
    }
    assert_eq!(tested_speakers.len(), 10);

    // Few speakers still work down to three; fewer cannot give three disjoint parts.
    assert_sound(&dataset(&[2, 3, 4]), &leave_speakers_out_folds(&dataset(&[2, 3, 4]), 0).unwrap());
    assert!(leave_speakers_out_folds(&dataset(&[2, 3]), 0).is_err());
    assert!(rotating_group_folds(&data, 2, 0).is_err());
}

#[test]
fn leave_groups_out_uses_the_named_groups() {
    let data = dataset(&SIZES);
    let fold = leave_groups_out(&data, &["g00", "g12"], &["g03"]).unwrap();
    fold.check_disjoint_groups(&data).unwrap();
    assert_eq!(groups_of(&data, &fold.test), BTreeSet::from(["g00".to_string(), "g12".to_string()]));
    assert_eq!(groups_of(&data, &fold.validation), BTreeSet::from(["g03".to_string()]));
    assert_eq!(fold.train.len() + fold.validation.len() + fold.test.len(), data.len());

    let unknown = leave_groups_out(&data, &["nobody"], &[]).unwrap_err();
    assert!(unknown.to_string().contains("no group `nobody`"), "{unknown}");
    assert!(leave_groups_out(&data, &["g01"], &["g01"]).is_err());
}

#[test]
fn a_leaking_fold_is_reported() {
    let data = dataset(&[2, 2]);
    // Items 0 and 1 are both group g00.
    let leaking = Fold { train: vec![0, 2, 3], validation: vec![], test: vec![1] };
    let err = leaking.check_disjoint_groups(&data).unwrap_err();
    assert!(matches!(&err, DataError::GroupLeak { group, .. } if group == "g00"), "{err}");
    let out_of_range = Fold { train: vec![0, 1], validation: vec![], test: vec![9] };
    assert!(out_of_range.check_disjoint_groups(&data).is_err());
}

#[test]
fn holding_out_groups_keeps_every_item_once_and_no_group_on_both_sides() {
    let data = dataset(&SIZES);
    let (kept, held_out) = hold_out_groups(&data, 5, 3).unwrap();
    assert_eq!(kept.len() + held_out.len(), data.len());
    let (kept_groups, held_groups) = (
        groups_of(&kept, &(0..kept.len()).collect::<Vec<_>>()),
        groups_of(&held_out, &(0..held_out.len()).collect::<Vec<_>>()),
    );
    assert!(kept_groups.is_disjoint(&held_groups), "{kept_groups:?} / {held_groups:?}");
    assert_eq!(kept_groups.len() + held_groups.len(), SIZES.len());
    // About a fifth of the 43 items (balanced by whole groups), the same for the same seed.
    assert!((5..=14).contains(&held_out.len()), "{} held out", held_out.len());
    assert_eq!(hold_out_groups(&data, 5, 3).unwrap().1.items, held_out.items);
    assert_eq!(kept.classes, data.classes);
}
