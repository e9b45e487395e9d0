//! Cross-validated tagger runs stored per fold (`tag-study.json`, resumable), and the paper's Table 1: every
//! method, λ chosen per method by the lowest validation fine-level loss (as the paper does), with macro ROC-AUC,
//! PR-AUC and F1 at both levels on the test clips.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::{Method, TaggerConfig};
use super::train::{TagClips, TagOutcome, TagTrainConfig, train_fold};
use crate::data::Fold;
use crate::emotion::pretrain::TrainError;
use crate::metrics::mean_std;

/// The λ grid of the paper.
pub const LAMBDAS: [f64; 5] = [0.70, 0.75, 0.80, 0.85, 0.90];

/// One configuration's folds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TagRecord {
    /// Network.
    pub net: Option<TaggerConfig>,
    /// Training.
    pub train: Option<TagTrainConfig>,
    /// Parameters.
    pub parameters: usize,
    /// Fold → outcome.
    pub folds: BTreeMap<usize, TagOutcome>,
}

impl TagRecord {
    /// Mean of `f` over the finished folds.
    pub fn mean(&self, f: impl Fn(&TagOutcome) -> f64) -> f64 {
        mean_std(&self.folds.values().map(f).collect::<Vec<_>>()).0
    }
}

/// Runs tagger configurations fold by fold, saving after each.
pub struct TagRunner<'a> {
    /// Data.
    pub clips: TagClips<'a>,
    /// Folds.
    pub folds: &'a [Fold],
    /// Folds to run.
    pub run_folds: usize,
    /// Progress output.
    pub show_progress: bool,
    path: PathBuf,
    records: BTreeMap<String, TagRecord>,
}

impl<'a> TagRunner<'a> {
    /// A runner storing results in `run/tag-study.json` (reused with `resume`).
    pub fn open(
        clips: TagClips<'a>,
        folds: &'a [Fold],
        run_folds: usize,
        run: &Path,
        resume: bool,
    ) -> Result<Self, TrainError> {
        let path = run.join("tag-study.json");
        let bad = |e: String| TrainError::Invalid(format!("{}: {e}", path.display()));
        let records = if resume && path.is_file() {
            serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?
        } else {
            BTreeMap::new()
        };
        std::fs::create_dir_all(run).map_err(|e| TrainError::Invalid(format!("{}: {e}", run.display())))?;
        Ok(Self { clips, folds, run_folds: run_folds.clamp(1, folds.len()), show_progress: true, path, records })
    }

    /// Runs (or reuses) every fold of one configuration.
    pub fn run(&mut self, label: &str, net: &TaggerConfig, train: &TagTrainConfig) -> Result<TagRecord, TrainError> {
        let key = serde_json::to_string(&(net, train)).expect("configs serialise");
        let parameters =
            burn::module::Module::num_params(&net.init(&burn::tensor::Device::default()).map_err(TrainError::Invalid)?);
        for (number, fold) in self.folds.iter().enumerate().take(self.run_folds) {
            if self.records.get(&key).is_some_and(|r| r.folds.contains_key(&number)) {
                continue;
            }
            if self.show_progress {
                eprintln!("{label} · fold {}/{}", number + 1, self.run_folds);
            }
            let (_, outcome) = train_fold(net, train, &self.clips, fold, number, self.show_progress)?;
            let record = self.records.entry(key.clone()).or_default();
            record.net = Some(net.clone());
            record.train = Some(train.clone());
            record.parameters = parameters;
            record.folds.insert(number, outcome);
            let tmp = self.path.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_string_pretty(&self.records).expect("records serialise"))
                .and_then(|()| std::fs::rename(&tmp, &self.path))
                .map_err(|e| TrainError::Invalid(format!("{}: {e}", self.path.display())))?;
        }
        Ok(self.records.get(&key).cloned().unwrap_or_default())
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
