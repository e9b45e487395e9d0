//! What an emotion run stores and reports: the autoencoder's pre-training summary (`pretrain.json`), the
//! cross-validation results (`cv.json`) and the two ways the report reduces folds (mean ± sd, pooled
//! confusion). The pipeline writes these and the report reads them; keeping them here lets the report depend on
//! the data alone, not on the pipeline that produced it.

use serde::{Deserialize, Serialize};

use super::pretrain::PretrainState;
use super::segments::SegmentPlan;
use super::sequence::{FoldResult, SequenceTrainConfig};
use crate::metrics::{Confusion, mean_std};

/// What `pretrain.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PretrainSummary {
    /// Segment plan.
    pub plan: SegmentPlan,
    /// The run's state at the end (configuration, history, best epoch).
    pub state: PretrainState,
    /// Segments trained and validated on.
    pub segments: (usize, usize),
    /// Excerpts in the pool, and files skipped.
    pub excerpts: usize,
    /// Files that could not be used.
    pub skipped: Vec<String>,
}

/// How to cross-validate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluateConfig {
    /// Head training.
    pub head: SequenceTrainConfig,
    /// Number of folds (the paper: 10).
    pub folds: usize,
    /// Also run the jointly trained baseline.
    pub baseline: bool,
    /// Most epochs of the baseline (it is much slower per epoch than the head).
    pub baseline_epochs: usize,
    /// Run the baseline on the first this-many folds only (`None`: all); it trains the CNN per fold.
    pub baseline_folds: Option<usize>,
}

/// Cross-validation results, fold by fold (saved after each fold, so `--resume` skips finished folds).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CvResults {
    /// The configuration these folds were run with.
    pub config: Option<EvaluateConfig>,
    /// Excerpts and groups evaluated.
    pub excerpts: usize,
    /// Distinct groups.
    pub groups: usize,
    /// Autoencoder + BiLSTM, per fold.
    pub autoencoder: Vec<FoldResult>,
    /// Joint baseline, per fold.
    pub baseline: Vec<FoldResult>,
}

/// Mean ± std of a figure over folds.
pub fn summarise(folds: &[FoldResult], figure: impl Fn(&FoldResult) -> f64) -> (f64, f64) {
    mean_std(&folds.iter().map(figure).collect::<Vec<_>>())
}

/// Pooled confusion matrices (valence, arousal) over folds.
pub fn pooled(folds: &[FoldResult]) -> (Confusion, Confusion) {
    let (mut v, mut a) = (Confusion::new(2), Confusion::new(2));
    for f in folds {
        v.add(&f.valence);
        a.add(&f.arousal);
    }
    (v, a)
}
