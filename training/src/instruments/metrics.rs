//! The paper's multi-label metrics, computed per tag over annotated items only and macro-averaged: ROC-AUC,
//! PR-AUC (average precision, scikit-learn's definition) and F1 at a per-tag threshold tuned on validation data.
//! A tag with no positive (or no negative) annotated item has no ROC-AUC and is left out of that average, as
//! scikit-learn's macro average would fail on it.

use serde::{Deserialize, Serialize};

/// Scores and truths of one tag: `(score, present)` for every annotated item.
pub type Column = Vec<(f32, bool)>;

/// Area under the ROC curve (ties count half), or `None` without both classes.
pub fn roc_auc(column: &[(f32, bool)]) -> Option<f64> {
    let positives = column.iter().filter(|c| c.1).count();
    let negatives = column.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Mann-Whitney U with average ranks for ties.
    let mut sorted: Vec<(f32, bool)> = column.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == sorted[i].0 {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += sorted[i..=j].iter().filter(|c| c.1).count() as f64 * average_rank;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Average precision (scikit-learn's `average_precision_score`): Σ (Rₙ − Rₙ₋₁) Pₙ over decreasing thresholds;
/// `None` without a positive.
pub fn average_precision(column: &[(f32, bool)]) -> Option<f64> {
    let positives = column.iter().filter(|c| c.1).count();
    if positives == 0 {
        return None;
    }
    let mut sorted: Vec<(f32, bool)> = column.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp, mut ap, mut last_recall) = (0usize, 0usize, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            if sorted[j].1 {
                tp += 1
            } else {
                fp += 1
            }
            j += 1;
        }
        let recall = tp as f64 / positives as f64;
        ap += (recall - last_recall) * tp as f64 / (tp + fp) as f64;
        last_recall = recall;
        i = j;
    }
    Some(ap)
}

/// F1 of `score ≥ threshold` against the truths; 0 when nothing is predicted and nothing is present... except
/// that an empty-vs-empty column scores 1 (nothing to find, nothing claimed).
pub fn f1_at(column: &[(f32, bool)], threshold: f32) -> f64 {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for &(s, present) in column {
        match (s >= threshold, present) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    if tp + fp + fn_ == 0 { 1.0 } else { 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64 }
}

/// The threshold maximising F1 on `column` (candidates: midpoints between sorted distinct scores, and 0.5 when the
/// column is empty or single-valued), ties going to the value nearest 0.5.
pub fn best_threshold(column: &[(f32, bool)]) -> f32 {
    let mut scores: Vec<f32> = column.iter().map(|c| c.0).collect();
    scores.sort_by(f32::total_cmp);
    scores.dedup();
    let mut candidates: Vec<f32> = scores.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    candidates.push(0.5);
    if let (Some(&lo), Some(&hi)) = (scores.first(), scores.last()) {
        candidates.push(lo);
        candidates.push((hi + 1.0) / 2.0);
    }
    candidates
        .into_iter()
        .map(|t| (f1_at(column, t), -(t - 0.5).abs(), t))
        .max_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map_or(0.5, |(_, _, t)| t)
}

/// Macro-averaged figures of one level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelScores {
    /// Macro ROC-AUC over tags that have both classes.
    pub roc_auc: f64,
    /// Macro PR-AUC over tags that have a positive.
    pub pr_auc: f64,
    /// Macro F1 at the given thresholds.
    pub f1: f64,
}

/// Macro scores of `columns` (one per tag) with `thresholds` (one per tag).
pub fn level_scores(columns: &[Column], thresholds: &[f32]) -> LevelScores {
    let mean = |v: Vec<f64>| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    LevelScores {
        roc_auc: mean(columns.iter().filter_map(|c| roc_auc(c)).collect()),
        pr_auc: mean(columns.iter().filter_map(|c| average_precision(c)).collect()),
        f1: mean(columns.iter().zip(thresholds).map(|(c, &t)| f1_at(c, t)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values checked with scikit-learn 1.5: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75,
    /// average_precision_score(same) = 0.8333…
    #[test]
    fn roc_and_pr_auc_match_scikit_learn() {
        let c = [(0.1, false), (0.4, false), (0.35, true), (0.8, true)];
        assert!((roc_auc(&c).unwrap() - 0.75).abs() < 1e-12);
        assert!((average_precision(&c).unwrap() - 5.0 / 6.0).abs() < 1e-12);
        // Ties: both scores equal → AUC 0.5; AP = precision at the single threshold.
        let t = [(0.5, true), (0.5, false)];
        assert_eq!(roc_auc(&t), Some(0.5));
        assert_eq!(average_precision(&t), Some(0.5));
        assert_eq!(roc_auc(&[(0.3, true)]), None);
        assert_eq!(average_precision(&[(0.3, false)]), None);
    }

    #[test]
    fn the_tuned_threshold_maximises_f1() {
        let c = [(0.1, false), (0.2, false), (0.3, true), (0.35, false), (0.6, true), (0.9, true)];
        let t = best_threshold(&c);
        assert!(t > 0.2 && t < 0.3, "{t}");
        assert!((f1_at(&c, t) - 6.0 / 7.0).abs() < 1e-12);
        assert_eq!(f1_at(&[], 0.5), 1.0);
    }
}
