//! Cross-validated runs of genre configurations, stored per fold so an interrupted study resumes where it
//! stopped, and the two papers' study grids built from them:
//!
//! * the subgenre paper's Table 1 (optimiser × model, macro F1), Table 2 (accuracy of each model with its best
//!   optimiser), Table 3 (dropout / batch normalisation / both for the CRNN and the parallel model, train,
//!   validation and test macro F1) and Table 4 (initialiser × model, macro F1): Tables 3 and 4 use each model's
//!   best optimiser from Table 1, as the paper's text does;
//! * Pons & Serra's Table 1 (each O-net / P-net combination at hop 250 and 80: parameters, accuracy with the
//!   per-track majority vote).

use std::collections::BTreeMap;
use std::path::Path;

use super::models::{Architecture, Init, NetConfig, Regularization};
use super::optim::OptimizerKind;
use super::train::{Clips, FoldOutcome, TrainConfig, train_fold};
use crate::data::Fold;
use crate::metrics::{Confusion, mean_std};
use crate::report::{Table, pm};
use crate::train::FoldId;
use crate::train::TrainError;
use crate::train::fold_store::{FoldRecord, FoldRunner};

/// One configuration's per-fold outcomes.
pub type RunRecord = FoldRecord<NetConfig, TrainConfig, FoldOutcome>;

/// Mean-over-folds figures of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Test clip accuracy (majority vote): mean, standard deviation.
    pub accuracy: (f64, f64),
    /// Test clip macro F1: mean, standard deviation.
    pub macro_f1: (f64, f64),
    /// Training clip macro F1 (mean).
    pub train_f1: f64,
    /// Validation clip macro F1 (mean).
    pub validation_f1: f64,
    /// Test window accuracy, no vote (mean).
    pub window_accuracy: f64,
    /// Folds done.
    pub folds: usize,
}

impl RunRecord {
    /// Figures over the finished folds.
    pub fn summary(&self) -> Summary {
        let of = |f: fn(&FoldOutcome) -> f64| self.folds.values().map(f).collect::<Vec<_>>();
        let mean = |v: Vec<f64>| mean_std(&v).0;
        Summary {
            accuracy: mean_std(&of(|o| o.test.accuracy())),
            macro_f1: mean_std(&of(|o| o.test.macro_f1())),
            train_f1: mean(of(|o| o.train.macro_f1())),
            validation_f1: mean(of(|o| o.validation.macro_f1())),
            window_accuracy: mean(of(|o| o.test_windows.accuracy())),
            folds: self.folds.len(),
        }
    }

    /// Test confusions of all folds added up.
    pub fn pooled_test(&self, classes: usize) -> Confusion {
        let mut total = Confusion::new(classes);
        self.folds.values().for_each(|o| total.add(&o.test));
        total
    }
}

/// Runs configurations fold by fold, saving `study.json` in the run folder after every fold.
pub type Runner<'a> = FoldRunner<'a, Clips<'a>, NetConfig, TrainConfig, FoldOutcome>;

impl<'a> Runner<'a> {
    /// A runner storing results in `run/study.json`, reusing the finished folds there when `resume` and the run
    /// was made from the same `data` ([`crate::data::Dataset::fingerprint`]).
    pub fn open_in(
        clips: Clips<'a>,
        folds: &'a [Fold],
        run_folds: usize,
        (run, data): (&Path, &str),
        resume: bool,
    ) -> Result<Self, TrainError> {
        FoldRunner::open(clips, folds, run_folds, (run, "study.json", data), resume)
    }

    /// Runs (or reuses) every fold of one configuration; returns its record.
    pub fn run(&mut self, label: &str, net: &NetConfig, train: &TrainConfig) -> Result<RunRecord, TrainError> {
        let parameters =
            burn::module::Module::num_params(&net.init(&burn::tensor::Device::default()).map_err(TrainError::Invalid)?);
        let (clips, show) = (&self.clips, self.show_progress);
        self.store.run_folds(
            (net, train, parameters),
            self.folds,
            self.run_folds,
            show.then_some(label),
            |fold, number, checkpoint| {
                let (_, outcome) = train_fold(net, train, clips, fold, FoldId::Cv(number), show, Some(checkpoint))?;
                if show {
                    eprintln!(
                        "  test accuracy {:.3} · macro F1 {:.3} · best epoch {} · {:.0} s",
                        outcome.test.accuracy(),
                        outcome.test.macro_f1(),
                        outcome.best_epoch,
                        outcome.seconds
                    );
                }
                Ok(outcome)
            },
        )
    }
}

/// What the subgenre grid varies around.
#[derive(Debug, Clone)]
pub struct SubgenreBase {
    /// Network defaults (architecture, regularisation and initialiser are overridden per cell).
    pub net: NetConfig,
    /// Training defaults (the optimiser is overridden per cell).
    pub train: TrainConfig,
}

const MODELS: [Architecture; 3] = [Architecture::Cnn, Architecture::Crnn, Architecture::CnnRnn];
const MODEL_NAMES: [&str; 3] = ["CNN", "CRNN", "CNN-RNN"];

fn cell(
    base: &SubgenreBase,
    arch: Architecture,
    opt: OptimizerKind,
    reg: Regularization,
    init: Init,
) -> (NetConfig, TrainConfig) {
    let net = NetConfig { architecture: arch, regularization: reg, init, ..base.net.clone() };
    let train = TrainConfig { optimizer: opt, learning_rate: None, ..base.train.clone() };
    (net, train)
}

/// A cell of a study table: `mean ± sd` over the folds run, or the bare figure when one fold ran (a spread of
/// one number would read as "no spread").
fn figure(runner: &Runner<'_>, value: (f64, f64)) -> String {
    if runner.run_folds > 1 { pm(value, 2) } else { format!("{:.2}", value.0) }
}

/// Runs the subgenre paper's grid and returns its four tables in Markdown.
pub fn subgenre_tables(runner: &mut Runner<'_>, base: &SubgenreBase) -> Result<String, TrainError> {
    let (reg0, init0) = (Regularization::Dropout, Init::GlorotUniform);
    let mut table1 = BTreeMap::new();
    for opt in OptimizerKind::SUBGENRE {
        for (m, &arch) in MODELS.iter().enumerate() {
            let (net, train) = cell(base, arch, opt, reg0, init0);
            let record = runner.run(&format!("Table 1 · {} · {}", opt.label(), MODEL_NAMES[m]), &net, &train)?;
            table1.insert((opt.label(), m), record.summary());
        }
    }
    let best_opt: Vec<OptimizerKind> = (0..3)
        .map(|m| {
            *OptimizerKind::SUBGENRE
                .iter()
                .max_by(|a, b| table1[&(a.label(), m)].macro_f1.0.total_cmp(&table1[&(b.label(), m)].macro_f1.0))
                .expect("three optimisers")
        })
        .collect();
    let mut table1_text = Table::new(["Optimizer", "CNN", "CRNN", "CNN-RNN"]);
    for opt in OptimizerKind::SUBGENRE {
        table1_text.row(
            std::iter::once(opt.label().to_string())
                .chain((0..3).map(|m| figure(runner, table1[&(opt.label(), m)].macro_f1))),
        );
    }
    let mut table2 = Table::new(["", "CNN", "CRNN", "CNN-RNN"]);
    table2.row(std::iter::once("Optimizer".to_string()).chain(best_opt.iter().map(|opt| opt.label().to_string())));
    table2.row(
        std::iter::once("Accuracy".to_string())
            .chain(best_opt.iter().enumerate().map(|(m, opt)| figure(runner, table1[&(opt.label(), m)].accuracy))),
    );
    let mut table3 = Table::new(["Model", "Data", "Dropout", "Batch normalization", "Dropout + batch normalization"]);
    let regs = [Regularization::Dropout, Regularization::BatchNorm, Regularization::Both];
    for m in 1..3 {
        let mut rows: [Vec<String>; 3] = Default::default();
        for reg in regs {
            let (net, train) = cell(base, MODELS[m], best_opt[m], reg, init0);
            let s = runner.run(&format!("Table 3 · {} · {reg:?}", MODEL_NAMES[m]), &net, &train)?.summary();
            rows[0].push(format!("{:.2}", s.train_f1));
            rows[1].push(format!("{:.2}", s.validation_f1));
            rows[2].push(format!("{:.2}", s.macro_f1.0));
        }
        for (r, data) in ["Train", "Validation", "Test"].iter().enumerate() {
            let model = if r == 0 { MODEL_NAMES[m] } else { "" };
            table3.row([model.to_string(), data.to_string()].into_iter().chain(rows[r].clone()));
        }
    }
    let mut table4 = Table::new(["Initialization", "CNN", "CRNN", "CNN-RNN"]);
    for (init, name) in [
        (Init::GlorotNormal, "Glorot Normal"),
        (Init::GlorotUniform, "Glorot Uniform"),
        (Init::RandomNormal, "Random Normal"),
        (Init::RandomUniform, "Random Uniform"),
    ] {
        let mut row = vec![name.to_string()];
        for m in 0..3 {
            let (net, train) = cell(base, MODELS[m], best_opt[m], reg0, init);
            let s = runner.run(&format!("Table 4 · {name} · {}", MODEL_NAMES[m]), &net, &train)?.summary();
            row.push(figure(runner, s.macro_f1));
        }
        table4.row(row);
    }
    Ok(format!(
        "### Table 1 — macro F1 (test clips) by optimiser\n\n{}\n\
         ### Table 2 — accuracy (test clips) with each model's best optimiser\n\n{}\n\
         ### Table 3 — macro F1 by regularisation (best optimiser per model)\n\n{}\n\
         ### Table 4 — macro F1 by initialiser (best optimiser per model)\n\n{}",
        table1_text.markdown(),
        table2.markdown(),
        table3.markdown(),
        table4.markdown()
    ))
}

/// Runs Pons & Serra's comparison for the given `(O-net copies, P-net copies)` and hops; returns their Table 1.
pub fn temporal_table(
    runner: &mut Runner<'_>,
    base: &SubgenreBase,
    nets: &[(usize, usize)],
    hops: &[usize],
) -> Result<String, TrainError> {
    let headings =
        ["Model".to_string(), "# params".to_string()].into_iter().chain(hops.iter().map(|h| format!("hop {h}")));
    let mut table = Table::new(headings);
    for &(onet, pnet) in nets {
        let net = NetConfig { onet, pnet, architecture: Architecture::Temporal, ..base.net.clone() };
        let mut row = Vec::new();
        let mut params = 0;
        for &hop in hops {
            let train = TrainConfig { train_hop: hop, eval_hop: hop, ..base.train.clone() };
            let record = runner.run(&format!("Temporal · {} · hop {hop}", net.name()), &net, &train)?;
            params = record.parameters;
            row.push(figure(runner, record.summary().accuracy));
        }
        table.row([net.name(), params.to_string()].into_iter().chain(row));
    }
    Ok(format!("### Pons & Serra Table 1 — accuracy (test clips, majority vote)\n\n{}", table.markdown()))
}
