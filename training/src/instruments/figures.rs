//! The figures a flat tagger is judged by when it serves another task, computed from each fold's test-clip
//! probabilities: for emotion, high/low valence and arousal accuracy and macro F1 and the quadrant they imply;
//! for genre, per-genre ROC-AUC, PR-AUC and F1 and the top-1 accuracy on clips with one genre. Every figure is
//! per fold, then mean ± sd, as the reports give them.

use super::metrics::{Column, average_precision, f1_at, roc_auc};
use super::study::TagRecord;
use super::train::TagOutcome;
use crate::data::{Dataset, Target};
use crate::metrics::{Confusion, argmax, mean_std};
use crate::report::{Table, percent, percent_pm_of as pm};

/// One fold's emotion figures, at P(high) ≥ 0.5 (the circumplex's centre in the plugin).
#[derive(Debug, Clone, PartialEq)]
pub struct EmotionFold {
    /// Low (0) / high (1) valence.
    pub valence: Confusion,
    /// Low / high arousal.
    pub arousal: Confusion,
    /// Quadrants Q1 … Q4 (indices 0 … 3).
    pub quadrant: Confusion,
    /// P(high valence) and its truth for every clip.
    pub valence_scores: Column,
    /// P(high arousal) and its truth for every clip.
    pub arousal_scores: Column,
}

impl EmotionFold {
    /// Valence accuracy and macro F1, arousal accuracy and macro F1, quadrant accuracy and macro F1 (fractions):
    /// the order of every emotion table and metric list.
    pub fn figures(&self) -> [f64; 6] {
        [
            self.valence.accuracy(),
            self.valence.macro_f1(),
            self.arousal.accuracy(),
            self.arousal.macro_f1(),
            self.quadrant.accuracy(),
            self.quadrant.macro_f1(),
        ]
    }

    /// Valence and arousal ROC-AUC: how well the scores order the clips whatever the threshold (a model on music
    /// unlike its training may order clips well and still sit on one side of 0.5).
    pub fn roc_auc(&self) -> (Option<f64>, Option<f64>) {
        (roc_auc(&self.valence_scores), roc_auc(&self.arousal_scores))
    }
}

/// The quadrant index (Q1 = 0 … Q4 = 3) of high valence / high arousal.
pub fn quadrant_of(high_valence: bool, high_arousal: bool) -> usize {
    match (high_valence, high_arousal) {
        (true, true) => 0,
        (false, true) => 1,
        (false, false) => 2,
        (true, false) => 3,
    }
}

/// The two tags' truth of a dataset item, if both are annotated.
fn truth(dataset: &Dataset, item: usize, v: usize, a: usize) -> Option<(bool, bool)> {
    match &dataset.items.get(item)?.target {
        Target::Tags { present, annotated } if annotated[v] && annotated[a] => Some((present[v], present[a])),
        _ => None,
    }
}

/// The emotion figures of `probabilities` (dataset index, P per tag) against `dataset`'s `valence` and
/// `arousal` tags.
pub fn emotion_figures(probabilities: &[(usize, Vec<f32>)], dataset: &Dataset) -> Option<EmotionFold> {
    let v = dataset.classes.iter().position(|c| c == "valence")?;
    let a = dataset.classes.iter().position(|c| c == "arousal")?;
    let (mut valence, mut arousal, mut quadrant) = (Confusion::new(2), Confusion::new(2), Confusion::new(4));
    let (mut valence_scores, mut arousal_scores) = (Column::new(), Column::new());
    for (item, p) in probabilities {
        let Some((tv, ta)) = truth(dataset, *item, v, a) else { continue };
        valence_scores.push((p[v], tv));
        arousal_scores.push((p[a], ta));
        let (pv, pa) = (p[v] >= 0.5, p[a] >= 0.5);
        valence.add(&Confusion::from_pairs(2, &[usize::from(tv)], &[usize::from(pv)]));
        arousal.add(&Confusion::from_pairs(2, &[usize::from(ta)], &[usize::from(pa)]));
        quadrant.add(&Confusion::from_pairs(4, &[quadrant_of(tv, ta)], &[quadrant_of(pv, pa)]));
    }
    Some(EmotionFold { valence, arousal, quadrant, valence_scores, arousal_scores })
}

fn fold_figures(record: &TagRecord, dataset: &Dataset) -> Vec<(usize, EmotionFold)> {
    record
        .folds
        .iter()
        .filter_map(|(&f, o): (&usize, &TagOutcome)| emotion_figures(&o.test_probabilities, dataset).map(|e| (f, e)))
        .collect()
}

/// Mean figures of a record: (valence accuracy, valence macro F1, arousal accuracy, arousal macro F1, quadrant
/// accuracy, quadrant macro F1), each (mean, sd), fractions.
pub fn emotion_means(record: &TagRecord, dataset: &Dataset) -> [(f64, f64); 6] {
    let folds: Vec<[f64; 6]> = fold_figures(record, dataset).iter().map(|(_, e)| e.figures()).collect();
    std::array::from_fn(|k| mean_std(&folds.iter().map(|f| f[k]).collect::<Vec<_>>()))
}

/// The emotion section of a report: per fold and mean ± sd, pooled confusion matrices.
pub fn emotion_markdown(record: &TagRecord, dataset: &Dataset) -> String {
    let folds = fold_figures(record, dataset);
    let mut table = Table::new([
        "fold",
        "test clips",
        "valence acc.",
        "valence macro F1",
        "arousal acc.",
        "arousal macro F1",
        "quadrant acc.",
        "quadrant macro F1",
    ]);
    let (mut v, mut a, mut q) = (Confusion::new(2), Confusion::new(2), Confusion::new(4));
    for (f, e) in &folds {
        let cells = e.figures().map(percent);
        table.row([(f + 1).to_string(), e.quadrant.total().to_string()].into_iter().chain(cells));
        v.add(&e.valence);
        a.add(&e.arousal);
        q.add(&e.quadrant);
    }
    let cells: Vec<String> = (0..6)
        .map(|k| {
            let text = pm(&folds.iter().map(|(_, e)| e.figures()[k]).collect::<Vec<_>>());
            // Accuracies in bold: they are the figures the table asks for first.
            if k % 2 == 0 { format!("**{text}**") } else { text }
        })
        .collect();
    table.row(["**mean ± sd**".to_string(), String::new()].into_iter().chain(cells));
    let mut out = table.markdown() + "\n";
    out += &format!(
        "Pooled over the test folds (rows: truth, columns: prediction):\n\n**Valence**\n\n{}\n**Arousal**\n\n{}\n**Quadrant**\n\n{}\n",
        v.markdown(&["low", "high"]),
        a.markdown(&["low", "high"]),
        q.markdown(&["Q1", "Q2", "Q3", "Q4"])
    );
    out
}

/// Per-tag test columns of a fold: `(P, present)` over annotated clips.
fn columns(outcome: &TagOutcome, dataset: &Dataset) -> Vec<Column> {
    let mut out = vec![Vec::new(); dataset.classes.len()];
    for (item, p) in &outcome.test_probabilities {
        if let Some(Target::Tags { present, annotated }) = dataset.items.get(*item).map(|i| &i.target) {
            for t in 0..out.len() {
                if annotated[t] {
                    out[t].push((p[t], present[t]));
                }
            }
        }
    }
    out
}

/// One fold's per-genre test figures (ROC-AUC, PR-AUC, F1 at the validation threshold), `None` where the fold's
/// test clips hold no clip of that genre (ROC-AUC and PR-AUC are undefined there: a rare genre such as Classical
/// can miss a fold). Report and manifest both read these, so they cannot disagree.
fn genre_fold_scores(outcome: &TagOutcome, dataset: &Dataset) -> Vec<Option<[f64; 3]>> {
    columns(outcome, dataset)
        .iter()
        .enumerate()
        .map(|(g, col)| {
            let f1 = f1_at(col, outcome.fine_thresholds.get(g).copied().unwrap_or(0.5));
            Some([roc_auc(col)?, average_precision(col)?, f1])
        })
        .collect()
}

/// Per fold, the macro mean of each figure over the genres that fold can score.
fn genre_fold_macros(record: &TagRecord, dataset: &Dataset) -> Vec<[f64; 3]> {
    record
        .folds
        .values()
        .map(|o| {
            let scored: Vec<[f64; 3]> = genre_fold_scores(o, dataset).into_iter().flatten().collect();
            let n = scored.len().max(1) as f64;
            std::array::from_fn(|k| scored.iter().map(|s| s[k]).sum::<f64>() / n)
        })
        .collect()
}

/// The genre section: clips per genre, per-genre ROC-AUC / PR-AUC / F1 (mean ± sd over the folds whose test
/// clips hold the genre, on the set's own clips only), their macro means, and top-1 accuracy with the confusion
/// among clips that have exactly one genre.
pub fn genre_markdown(record: &TagRecord, dataset: &Dataset, own: usize) -> String {
    let genres = &dataset.classes;
    let mut out = tag_table(record, dataset, own, "genre");
    // Clips with exactly one genre: is the top-scored genre that one?
    let mut confusion = Confusion::new(genres.len());
    let mut accuracies = Vec::new();
    for outcome in record.folds.values() {
        let mut fold = Confusion::new(genres.len());
        for (item, p) in &outcome.test_probabilities {
            if let Some(Target::Tags { present, .. }) = dataset.items.get(*item).map(|i| &i.target) {
                let listed: Vec<usize> = (0..present.len()).filter(|&t| present[t]).collect();
                if let [only] = listed[..] {
                    fold.add(&Confusion::from_pairs(genres.len(), &[only], &[argmax(p)]));
                }
            }
        }
        accuracies.push(fold.accuracy());
        confusion.add(&fold);
    }
    let names: Vec<&str> = genres.iter().map(String::as_str).collect();
    out += &format!(
        "Top-1 accuracy on the {} test clips with exactly one genre: **{}** (chance with the largest genre alone: {:.1} %).\n\n\
         Confusion among those clips, pooled over folds (rows: truth, columns: top-scored genre):\n\n{}\n",
        confusion.total(),
        pm(&accuracies),
        100.0 * confusion.largest_class_share(),
        confusion.markdown(&names)
    );
    out
}

/// The three readings of the content readout, in the order of its confusion matrix.
pub const CONTENT_READINGS: [&str; 3] = ["music", "speech", "silence or noise"];

/// The content reading of two probabilities: music if P(music) ≥ its threshold, else speech if P(speech) ≥ its
/// threshold, else silence or noise — the rule the plugin applies.
pub fn content_reading(p_music: f32, p_speech: f32, thresholds: (f32, f32)) -> usize {
    if p_music >= thresholds.0 {
        0
    } else if p_speech >= thresholds.1 {
        1
    } else {
        2
    }
}

/// The content section: the per-tag table (music, speech), then the three-way reading against the truth
/// (a clip with music is music whatever else it holds; speech without music is speech; a clip annotated with
/// neither is silence or noise; a clip whose speech tag is unannotated and has no music is skipped), per fold
/// and pooled, at each fold's validation-tuned thresholds.
pub fn content_markdown(record: &TagRecord, dataset: &Dataset, own: usize) -> String {
    let mut out = tag_table(record, dataset, own, "tag");
    let Some((accuracies, pooled)) = content_readings(record, dataset) else {
        return out + "The content reading needs the tags `music` and `speech`.\n";
    };
    out += &format!(
        "Content reading (music if P(music) ≥ its threshold, else speech if P(speech) ≥ its threshold, else silence \
         or noise; thresholds tuned on each fold's validation clips) on {} test clips: accuracy **{}**, macro F1 \
         {:.1} %.\n\nConfusion pooled over folds (rows: truth, columns: reading):\n\n{}\n",
        pooled.total(),
        pm(&accuracies),
        100.0 * pooled.macro_f1(),
        pooled.markdown(&CONTENT_READINGS)
    );
    out
}

/// The three-way content reading of every fold's test clips against the truth: each fold's accuracy and the
/// confusion pooled over folds (`None` without the tags `music` and `speech`). The report and the manifest's
/// `cv_content_accuracy` both come from here.
pub fn content_readings(record: &TagRecord, dataset: &Dataset) -> Option<(Vec<f64>, Confusion)> {
    let index = |name: &str| dataset.classes.iter().position(|c| c == name);
    let (m, s) = (index("music")?, index("speech")?);
    let truth = |target: &Target| match target {
        Target::Tags { present, .. } if present[m] => Some(0),
        Target::Tags { present, annotated } if annotated[m] && annotated[s] => Some(if present[s] { 1 } else { 2 }),
        _ => None,
    };
    let mut pooled = Confusion::new(3);
    let mut accuracies = Vec::new();
    for outcome in record.folds.values() {
        let t = |k: usize| outcome.fine_thresholds.get(k).copied().unwrap_or(0.5);
        let mut fold = Confusion::new(3);
        for (item, p) in &outcome.test_probabilities {
            let Some(actual) = dataset.items.get(*item).and_then(|i| truth(&i.target)) else { continue };
            fold.add(&Confusion::from_pairs(3, &[actual], &[content_reading(p[m], p[s], (t(m), t(s)))]));
        }
        accuracies.push(fold.accuracy());
        pooled.add(&fold);
    }
    Some((accuracies, pooled))
}

/// Clips per tag, per-tag ROC-AUC / PR-AUC / F1 (mean ± sd over the folds whose test clips hold the tag, on the
/// set's own clips only) and their macro means; `noun` heads the first column.
fn tag_table(record: &TagRecord, dataset: &Dataset, own: usize, noun: &str) -> String {
    let genres = &dataset.classes;
    let count = |g: usize| {
        dataset.items[..own].iter().filter(|i| matches!(&i.target, Target::Tags { present, .. } if present[g])).count()
    };
    let per_fold: Vec<Vec<Option<[f64; 3]>>> = record.folds.values().map(|o| genre_fold_scores(o, dataset)).collect();
    let mut table = Table::new([noun, "clips", "ROC-AUC", "PR-AUC", "F1"]);
    let mut partial = false;
    for (g, name) in genres.iter().enumerate() {
        let scored: Vec<[f64; 3]> = per_fold.iter().filter_map(|fold| fold[g]).collect();
        let cells: Vec<String> = (0..3).map(|k| pm(&scored.iter().map(|s| s[k]).collect::<Vec<_>>())).collect();
        let note = if scored.len() < per_fold.len() {
            partial = true;
            format!(" ({} of {} folds)", scored.len(), per_fold.len())
        } else {
            String::new()
        };
        table.row([format!("{name}{note}"), count(g).to_string()].into_iter().chain(cells));
    }
    let macros = genre_fold_macros(record, dataset);
    let cells: Vec<String> =
        (0..3).map(|k| format!("**{}**", pm(&macros.iter().map(|m| m[k]).collect::<Vec<_>>()))).collect();
    table.row(["**macro**".to_string(), String::new()].into_iter().chain(cells));
    let mut out = table.markdown() + "\n";
    if partial {
        out += &format!(
            "A {noun} marked with fewer folds had no clip in the other folds' test groups; it is scored on the \
             folds that hold it, and each fold's macro mean is over the {noun}s it can score.\n\n"
        );
    }
    out
}

/// Macro ROC-AUC, PR-AUC and F1 (mean, sd over folds), as the report's macro row gives them.
pub fn genre_macro(record: &TagRecord, dataset: &Dataset) -> [(f64, f64); 3] {
    let macros = genre_fold_macros(record, dataset);
    std::array::from_fn(|k| mean_std(&macros.iter().map(|m| m[k]).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Item, TargetKind};

    /// A fully annotated two-tag dataset with one item per `(first, second)` presence pair.
    fn two_tags(names: [&str; 2], tags: &[(bool, bool)]) -> Dataset {
        let items = tags
            .iter()
            .map(|&(x, y)| Item {
                path: "x.wav".into(),
                group: "g".into(),
                target: Target::Tags { present: vec![x, y], annotated: vec![true, true] },
            })
            .collect();
        Dataset::new("t", TargetKind::MultiLabel, names.map(String::from).to_vec(), None, items).unwrap()
    }

    #[test]
    fn quadrants_follow_the_two_tags() {
        let dataset = two_tags(["valence", "arousal"], &[(true, true), (false, true), (false, false), (true, false)]);
        // Perfect on the first three, valence wrong on the fourth (Q4 read as Q3).
        let p = vec![(0, vec![0.9, 0.8]), (1, vec![0.2, 0.7]), (2, vec![0.1, 0.3]), (3, vec![0.4, 0.2])];
        let e = emotion_figures(&p, &dataset).unwrap();
        assert_eq!(e.arousal.accuracy(), 1.0);
        assert_eq!(e.valence.accuracy(), 0.75);
        assert_eq!(e.quadrant.accuracy(), 0.75);
        assert_eq!(quadrant_of(true, false), 3);
        // The scores still order every clip right: Q4's valence 0.4 is under 0.5 but over both low clips'.
        assert_eq!(e.roc_auc(), (Some(1.0), Some(1.0)));
    }

    fn outcome(test_probabilities: Vec<(usize, Vec<f32>)>) -> TagOutcome {
        TagOutcome {
            fine: Default::default(),
            coarse: Default::default(),
            validation_fine_loss: 0.0,
            fine_thresholds: vec![0.5, 0.5],
            coarse_thresholds: vec![0.5, 0.5],
            fine_f1_per_tag: vec![],
            coarse_f1_per_tag: vec![],
            best_epoch: 1,
            losses: vec![],
            standardization: crate::genre::models::Standardization { mean: 0.0, std: 1.0 },
            seconds: 0.0,
            test_probabilities,
            held_out: None,
        }
    }

    /// The report's table rows and means come from each fold's figures in one order: a fold all right and a fold
    /// with valence wrong on half its clips give valence 100 and 50 % and a mean of 75 ± 25.
    #[test]
    fn the_emotion_table_lists_each_fold_and_the_mean() {
        let dataset = two_tags(["valence", "arousal"], &[(true, true), (false, false)]);
        let mut record = TagRecord::default();
        record.folds.insert(0, outcome(vec![(0, vec![0.9, 0.9]), (1, vec![0.1, 0.1])]));
        record.folds.insert(1, outcome(vec![(0, vec![0.9, 0.9]), (1, vec![0.9, 0.1])]));
        let means = emotion_means(&record, &dataset);
        assert_eq!(means[0], (0.75, 0.25), "valence accuracy");
        assert_eq!(means[2], (1.0, 0.0), "arousal accuracy");
        let table = emotion_markdown(&record, &dataset);
        assert!(table.contains("| 1 | 2 | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 |"), "{table}");
        assert!(table.contains("| 2 | 2 | 50.0 |"), "{table}");
        assert!(table.contains("| **mean ± sd** | | **75.0 ± 25.0** |"), "{table}");
    }

    /// A genre with no test clip in one fold (Classical in the 4Q set) is scored on the folds that hold it: no
    /// NaN reaches the report or the manifest, and the row says on how many folds it stands.
    #[test]
    fn a_genre_missing_from_a_fold_is_scored_on_the_others() {
        let dataset = two_tags(["Jazz", "Classical"], &[(true, false), (false, true), (true, false), (false, false)]);
        let mut record = TagRecord::default();
        // Fold 1 holds both genres, ranked perfectly; fold 2 holds no Classical clip.
        record.folds.insert(0, outcome(vec![(0, vec![0.9, 0.1]), (1, vec![0.2, 0.8])]));
        record.folds.insert(1, outcome(vec![(2, vec![0.7, 0.3]), (3, vec![0.4, 0.2])]));
        let [roc, pr, _] = genre_macro(&record, &dataset);
        assert_eq!(roc, (1.0, 0.0));
        assert_eq!(pr, (1.0, 0.0));
        let table = genre_markdown(&record, &dataset, 4);
        assert!(!table.contains("NaN"), "{table}");
        assert!(table.contains("| Classical (1 of 2 folds) | 1 | 100.0 |"), "{table}");
    }

    /// Music wins over speech (a singer over a band is music), both low is silence or noise, and a clip with no
    /// music whose speech is unannotated is not scored.
    #[test]
    fn the_content_reading_follows_the_thresholds() {
        assert_eq!(content_reading(0.6, 0.9, (0.5, 0.5)), 0);
        assert_eq!(content_reading(0.4, 0.9, (0.5, 0.5)), 1);
        assert_eq!(content_reading(0.4, 0.4, (0.5, 0.5)), 2);
        assert_eq!(content_reading(0.4, 0.4, (0.3, 0.5)), 0, "each tag has its own threshold");
        let mut dataset =
            two_tags(["music", "speech"], &[(true, false), (false, true), (false, false), (false, false)]);
        if let Target::Tags { annotated, .. } = &mut dataset.items[3].target {
            annotated[1] = false;
        }
        let mut record = TagRecord::default();
        // Music read right, speech read as noise, noise read right; the unannotated clip is ignored.
        record.folds.insert(
            0,
            outcome(vec![(0, vec![0.9, 0.1]), (1, vec![0.1, 0.2]), (2, vec![0.1, 0.1]), (3, vec![0.1, 0.9])]),
        );
        let text = content_markdown(&record, &dataset, 4);
        assert!(text.contains("on 3 test clips: accuracy **66.7**"), "{text}");
        assert!(text.contains("| speech | 0 | 0 | 1 |"), "{text}");
        let (accuracies, pooled) = content_readings(&record, &dataset).unwrap();
        assert_eq!((accuracies, pooled.total()), (vec![2.0 / 3.0], 3), "what the manifest's cv_content_accuracy reads");
    }
}
