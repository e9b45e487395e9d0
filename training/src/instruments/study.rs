//! Cross-validated tagger runs stored per fold (`tag-study.json`, resumable), and the paper's Table 1: every
//! method, λ chosen per method by the lowest validation fine-level loss (as the paper does), with macro ROC-AUC,
//! PR-AUC and F1 at both levels on the test clips.

use std::path::Path;

use super::model::{Method, TaggerConfig};
use super::train::{TagClips, TagOutcome, TagTrainConfig, train_fold};
use crate::data::Fold;
use crate::metrics::mean_std;
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

/// Runs configurations fold by fold, saving `tag-study.json` in the run folder after every fold.
pub type TagRunner<'a> = FoldRunner<'a, TagClips<'a>, TaggerConfig, TagTrainConfig, TagOutcome>;

impl<'a> TagRunner<'a> {
    /// A runner storing results in `run/tag-study.json`, reusing the finished folds there when `resume`.
    pub fn open_in(
        clips: TagClips<'a>,
        folds: &'a [Fold],
        run_folds: usize,
        run: &Path,
        resume: bool,
    ) -> Result<Self, TrainError> {
        FoldRunner::open(clips, folds, run_folds, (run, "tag-study.json"), resume)
    }

    /// Runs (or reuses) every fold of one configuration.
    pub fn run(&mut self, label: &str, net: &TaggerConfig, train: &TagTrainConfig) -> Result<TagRecord, TrainError> {
        let parameters =
            burn::module::Module::num_params(&net.init(&burn::tensor::Device::default()).map_err(TrainError::Invalid)?);
        let (clips, show) = (&self.clips, self.show_progress);
        self.store.run_folds(
            (net, train, parameters),
            self.folds,
            self.run_folds,
            show.then_some(label),
            |fold, number| Ok(train_fold(net, train, clips, fold, FoldId::Cv(number), show)?.1),
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
    let mut out = String::from(
        "### Table 1 — macro scores on the test clips (λ chosen per method by validation fine-level loss)\n\n\
         | Method | λ | fine ROC-AUC | fine PR-AUC | fine F1 | coarse ROC-AUC | coarse PR-AUC | coarse F1 |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let mut rows = Vec::new();
    for &method in methods {
        let config = TaggerConfig { method, ..net.clone() };
        let (lambda, record) = best_lambda(runner, &config, train, lambdas)?;
        let pct = |f: &dyn Fn(&TagOutcome) -> f64| format!("{:.1}", 100.0 * record.mean(f));
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            method.label(),
            if method.joint() { format!("{lambda:.2}") } else { "—".into() },
            pct(&|o| o.fine.roc_auc),
            pct(&|o| o.fine.pr_auc),
            pct(&|o| o.fine.f1),
            pct(&|o| o.coarse.roc_auc),
            pct(&|o| o.coarse.pr_auc),
            pct(&|o| o.coarse.f1),
        );
        rows.push(MethodRow { method, lambda, record });
    }
    Ok((out, rows))
}
