//! Cross-validated tagger runs stored per fold (`tag-study.json`, resumable), and the paper's Table 1: every
//! method, λ chosen per method by the lowest validation fine-level loss (as the paper does), with macro ROC-AUC,
//! PR-AUC and F1 at both levels on the test clips.

use std::path::Path;

use super::model::{Method, TaggerConfig};
use super::train::{TagClips, TagOutcome, TagTrainConfig, evaluate, train_fold};
use crate::data::Fold;
use crate::metrics::mean_std;
use crate::report::{Table, percent};
use crate::train::FoldId;
use crate::train::TrainError;
use crate::train::fold_store::{FoldRecord, FoldRunner};

/// The λ grid of the paper.
pub const LAMBDAS: [f64; 5] = [0.70, 0.75, 0.80, 0.85, 0.90];

/// One configuration's folds.
pub type TagRecord = FoldRecord<TaggerConfig, TagTrainConfig, TagOutcome>;

impl TagRecord {
    /// Mean of `f` over the finished folds.
    pub fn mean(&self, f: impl Fn(&TagOutcome) -> f64) -> f64 {
        mean_std(&self.folds.values().map(f).collect::<Vec<_>>()).0
    }
}

/// The clips folds are drawn from, and optionally a held-out set of other recordings every fold's model is also
/// scored on (instrument mixtures built from held-out note files, speakers and kits).
pub struct TagSets<'a> {
    /// The cross-validated clips.
    pub clips: TagClips<'a>,
    /// Scored whole by every fold's model.
    pub held_out: Option<TagClips<'a>>,
}

/// Runs configurations fold by fold, saving `tag-study.json` in the run folder after every fold.
pub type TagRunner<'a> = FoldRunner<'a, TagSets<'a>, TaggerConfig, TagTrainConfig, TagOutcome>;

impl<'a> TagRunner<'a> {
    /// A runner storing results in `run/tag-study.json`, reusing the finished folds there when `resume` and the run
    /// was made from the same clips ([`crate::data::Dataset::fingerprint`]; a study made with other clips is refused).
    pub fn open_in(
        sets: TagSets<'a>,
        folds: &'a [Fold],
        run_folds: usize,
        run: &Path,
        resume: bool,
    ) -> Result<Self, TrainError> {
        // The cross-validated clips (extras included) only: a study may be resumed without its held-out set.
        let data = sets.clips.dataset.fingerprint();
        FoldRunner::open(sets, folds, run_folds, (run, "tag-study.json", &data), resume)
    }

    /// Runs (or reuses) every fold of one configuration.
    pub fn run(&mut self, label: &str, net: &TaggerConfig, train: &TagTrainConfig) -> Result<TagRecord, TrainError> {
        let parameters =
            burn::module::Module::num_params(&net.init(&burn::tensor::Device::default()).map_err(TrainError::Invalid)?);
        let (sets, show) = (&self.clips, self.show_progress);
        self.store.run_folds(
            (net, train, parameters),
            self.folds,
            self.run_folds,
            show.then_some(label),
            |fold, number, checkpoint| {
                let (model, mut outcome) =
                    train_fold(net, train, &sets.clips, fold, FoldId::Cv(number), show, Some(checkpoint))?;
                if let Some(held_out) = &sets.held_out {
                    let thresholds = (&outcome.fine_thresholds[..], &outcome.coarse_thresholds[..]);
                    let e = evaluate(
                        &model,
                        net,
                        held_out,
                        train.eval_hop,
                        outcome.standardization,
                        thresholds,
                        train.batch_size,
                    );
                    outcome.held_out = Some((e.fine, e.coarse));
                }
                Ok(outcome)
            },
        )
    }
}

/// The best λ of `method` (lowest mean validation fine loss) and its record.
pub fn best_lambda(
    runner: &mut TagRunner<'_>,
    net: &TaggerConfig,
    train: &TagTrainConfig,
    lambdas: &[f64],
) -> Result<(f64, TagRecord), TrainError> {
    let net = net.clone();
    if !net.method.joint() {
        // λ has no effect without a coarse loss: one run, stored with λ = 1.
        let train = TagTrainConfig { lambda: 1.0, ..train.clone() };
        return Ok((1.0, runner.run(&format!("{:?}", net.method), &net, &train)?));
    }
    let mut best: Option<(f64, TagRecord)> = None;
    for &lambda in lambdas {
        let train = TagTrainConfig { lambda, ..train.clone() };
        let record = runner.run(&format!("{:?} · λ {lambda:.2}", net.method), &net, &train)?;
        let loss = record.mean(|o| o.validation_fine_loss);
        if best.as_ref().is_none_or(|(_, b)| loss < b.mean(|o| o.validation_fine_loss)) {
            best = Some((lambda, record));
        }
    }
    best.ok_or_else(|| TrainError::Invalid("no λ to try".into()))
}

/// One row of Table 1: a method, its chosen λ and that run's record.
#[derive(Debug, Clone)]
pub struct MethodRow {
    /// The method.
    pub method: Method,
    /// λ with the lowest validation fine loss.
    pub lambda: f64,
    /// Its folds.
    pub record: TagRecord,
}

/// Runs every method over the λ grid; returns the paper's Table 1 in Markdown and its rows.
pub fn table(
    runner: &mut TagRunner<'_>,
    net: &TaggerConfig,
    train: &TagTrainConfig,
    methods: &[Method],
    lambdas: &[f64],
) -> Result<(String, Vec<MethodRow>), TrainError> {
    let headings =
        ["Method", "λ", "fine ROC-AUC", "fine PR-AUC", "fine F1", "coarse ROC-AUC", "coarse PR-AUC", "coarse F1"];
    let lambda_text = |method: Method, lambda: f64| if method.joint() { format!("{lambda:.2}") } else { "—".into() };
    let mut test_table = Table::new(headings);
    let mut rows = Vec::new();
    for &method in methods {
        let config = TaggerConfig { method, ..net.clone() };
        let (lambda, record) = best_lambda(runner, &config, train, lambdas)?;
        let pct = |f: &dyn Fn(&TagOutcome) -> f64| percent(record.mean(f));
        test_table.row([
            method.label().to_string(),
            lambda_text(method, lambda),
            pct(&|o| o.fine.roc_auc),
            pct(&|o| o.fine.pr_auc),
            pct(&|o| o.fine.f1),
            pct(&|o| o.coarse.roc_auc),
            pct(&|o| o.coarse.pr_auc),
            pct(&|o| o.coarse.f1),
        ]);
        rows.push(MethodRow { method, lambda, record });
    }
    let scored: Vec<&MethodRow> =
        rows.iter().filter(|r| r.record.folds.values().all(|o| o.held_out.is_some())).collect();
    let mut out = format!(
        "### Table 1 — macro scores on the test clips (λ chosen per method by validation fine-level loss)\n\n{}",
        test_table.markdown()
    );
    if !scored.is_empty() {
        let mut held_out = Table::new(headings);
        for row in scored {
            let pct = |f: &dyn Fn(&(super::metrics::LevelScores, super::metrics::LevelScores)) -> f64| {
                let values: Vec<f64> = row.record.folds.values().filter_map(|o| o.held_out.as_ref()).map(f).collect();
                percent(mean_std(&values).0)
            };
            held_out.row([
                row.method.label().to_string(),
                lambda_text(row.method, row.lambda),
                pct(&|h| h.0.roc_auc),
                pct(&|h| h.0.pr_auc),
                pct(&|h| h.0.f1),
                pct(&|h| h.1.roc_auc),
                pct(&|h| h.1.pr_auc),
                pct(&|h| h.1.f1),
            ]);
        }
        out += &format!(
            "\n### Table 1b — the same fold models on the held-out mixtures (recordings no training mixture used)\n\n{}",
            held_out.markdown()
        );
    }
    Ok((out, rows))
}
