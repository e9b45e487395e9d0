//! The one fit loop every family trains with: epochs of shuffled mini-batches, a learning-rate schedule, the
//! progress bar, an actionable error when the loss stops being a number, validation after every epoch with the
//! best weights kept, early stopping, and an atomic checkpoint after every epoch from which `--resume`
//! continues to exactly the weights an uninterrupted run reaches.
//!
//! A family supplies an [`Objective`]: the loss of a batch (with autodiff) and a validation score of the weights
//! after an epoch (higher is better). Everything random comes from [`Seeds`]: burn's generator (dropout) and the
//! item order per epoch, and an augmentation seed per epoch the objective may use.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::error::TrainError;
use super::progress::epoch_bar;
use super::seed::{Purpose, Seeds};

/// How the learning rate moves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// Constant.
    Constant,
    /// Linear warm-up over the first `steps` optimiser steps, then constant (the hierarchical-tagging paper).
    Warmup {
        /// Steps of warm-up.
        steps: usize,
    },
    /// Divided by ten after `after` epochs without a training loss 0.1 % below the best so far; training ends at
    /// the plateau after the `cuts`-th division (Pons & Serra).
    Plateau {
        /// Epochs of plateau before a division.
        after: usize,
        /// Divisions before the next plateau ends training.
        cuts: usize,
    },
    /// Cosine annealing from the rate to `min` over the epochs, set per epoch (DARTS).
    Cosine {
        /// The last epoch's rate.
        min: f64,
    },
}

/// Which weights the fit returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Keep {
    /// The epoch with the best validation score (ties: the earlier).
    Best,
    /// The last epoch's (models trained for a fixed number of epochs without a validation set).
    Last,
}

/// How to fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    /// Most epochs.
    pub epochs: usize,
    /// Items per optimiser step.
    pub batch_size: usize,
    /// Base learning rate.
    pub learning_rate: f64,
    /// Epochs without a better validation score before stopping (`usize::MAX`: never).
    pub patience: usize,
    /// How the rate moves.
    pub schedule: Schedule,
    /// Which weights to return.
    pub keep: Keep,
}

/// Where and how this fit runs: its seeds, progress, checkpoint.
#[derive(Debug, Clone)]
pub struct FitRun<'a> {
    /// The stage and fold's seeds.
    pub seeds: Seeds,
    /// Show per-epoch progress bars.
    pub show_progress: bool,
    /// Written atomically after every epoch when given.
    pub checkpoint: Option<&'a Path>,
    /// Continue from the checkpoint if it exists.
    pub resume: bool,
    /// End this call after this many epochs in total (a time-boxed session, resumed later).
    pub stop_after: Option<usize>,
    /// What identifies the configuration (a resumed checkpoint must carry the same).
    pub fingerprint: String,
}

impl<'a> FitRun<'a> {
    /// A run without checkpoint.
    pub fn new(seeds: Seeds, show_progress: bool) -> Self {
        Self { seeds, show_progress, checkpoint: None, resume: false, stop_after: None, fingerprint: String::new() }
    }

    /// This run checkpointed at `at` (none: unchanged).
    pub fn resuming(self, at: Option<&'a Resumable>) -> Self {
        match at {
            Some(r) => Self { checkpoint: Some(&r.path), resume: r.resume, fingerprint: r.fingerprint.clone(), ..self },
            None => self,
        }
    }
}

/// Where one fold's fit keeps its per-epoch checkpoint, so a run stopped mid-fold (a closed session, Ctrl-C, a
/// crash) continues on `--resume` from its last finished epoch instead of from epoch 1 — an emotion-tagger fold is
/// an hour of one core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumable {
    /// The checkpoint file (written after every epoch).
    pub path: PathBuf,
    /// Continue from the file if it exists (`--resume`); otherwise it is overwritten.
    pub resume: bool,
    /// What the checkpoint must have been written with (the configuration and the fold): another is an error, not
    /// a silent restart.
    pub fingerprint: String,
}

impl Resumable {
    /// Removes the checkpoint, and its stages', once its fold's result is stored elsewhere: they are no longer
    /// needed, and a later run of the same fold (without `--resume`) must not find stale weights.
    pub fn finish(&self) -> Result<(), TrainError> {
        let remove = |path: &Path| match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(TrainError::io(path, e)),
            _ => Ok(()),
        };
        remove(&self.path)?;
        let (Some(dir), Some(prefix)) = (self.path.parent(), self.stage_prefix()) else { return Ok(()) };
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                remove(&entry.path())?;
            }
        }
        Ok(())
    }

    /// The checkpoint of one stage of a fold that trains several networks in turn (vocal emotion's spectrogram
    /// network, then a frame stream per recurrent cell): `<file stem>.<stage>.ckpt` beside this one, removed with
    /// it by [`Resumable::finish`].
    pub fn stage(&self, name: &str) -> Resumable {
        let file = format!("{}{name}.ckpt", self.stage_prefix().unwrap_or_default());
        Resumable {
            path: self.path.with_file_name(file),
            resume: self.resume,
            fingerprint: format!("{} · {name}", self.fingerprint),
        }
    }

    fn stage_prefix(&self) -> Option<String> {
        self.path.file_stem().map(|s| format!("{}.", s.to_string_lossy()))
    }
}

/// What the objective says about the weights after an epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// Higher is better; compared as a pair (the second breaks ties of the first).
    pub score: (f64, f64),
    /// The validation loss, when the objective computes one (kept in the history).
    pub loss: Option<f64>,
    /// For the progress bar ("validation accuracy 0.812 loss 0.4312").
    pub summary: String,
}

/// The family's part of a fit.
pub trait Objective<M: Module> {
    /// Number of training items.
    fn train_len(&self) -> usize;

    /// The epoch's batches of item indices. By default the items shuffled with `order_seed`, in chunks of
    /// `batch_size`; families that group items (by length, say) override it.
    fn batches(&mut self, order_seed: u64, batch_size: usize) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.train_len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(order_seed));
        order.chunks(batch_size.max(1)).map(<[usize]>::to_vec).collect()
    }

    /// Called before an epoch's first batch with the epoch's augmentation seed.
    fn start_epoch(&mut self, _epoch: usize, _augment_seed: u64) {}

    /// The (autodiff) loss of one batch, a mean over its items.
    fn loss(&mut self, model: &M, batch: &[usize], device: &Device) -> Tensor<1>;

    /// Validation of the weights after an epoch (`model` without autodiff), given the epoch's training loss.
    fn validate(&mut self, model: &M, training_loss: f64) -> Validation;
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// From 1.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// The validation loss, if the objective has one.
    pub validation_loss: Option<f64>,
    /// The validation score.
    pub score: (f64, f64),
    /// The rate of the epoch's last step.
    pub learning_rate: f64,
    /// Wall time.
    pub seconds: f64,
}

/// Where a fit stands: the checkpoint's JSON part, and the fit's record when it is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitState {
    /// The run's fingerprint.
    pub fingerprint: String,
    /// Epochs done.
    pub epochs_done: usize,
    /// Optimiser steps done.
    pub steps: usize,
    /// Epoch of the best score (0: none yet).
    pub best_epoch: usize,
    /// The best score.
    pub best_score: Option<(f64, f64)>,
    /// Epochs since the best.
    pub stale: usize,
    /// The rate now (schedules that move per epoch or on plateaus).
    pub learning_rate: f64,
    /// Plateau bookkeeping: the lowest training loss, epochs without it, divisions made.
    pub plateau: (f64, usize, usize),
    /// Early stopping or the schedule ended the run.
    pub stopped: bool,
    /// Every epoch.
    pub history: Vec<EpochRecord>,
}

impl FitState {
    fn new(config: &FitConfig, fingerprint: &str) -> Self {
        Self {
            fingerprint: fingerprint.to_string(),
            epochs_done: 0,
            steps: 0,
            best_epoch: 0,
            best_score: None,
            stale: 0,
            learning_rate: config.learning_rate,
            plateau: (f64::MAX, 0, 0),
            stopped: false,
            history: Vec::new(),
        }
    }

    /// All epochs ran, or training stopped early.
    pub fn finished(&self, config: &FitConfig) -> bool {
        self.stopped || self.epochs_done >= config.epochs
    }
}

/// A finished (or time-boxed) fit.
#[derive(Debug, Clone)]
pub struct Fitted<M> {
    /// The kept weights, without autodiff.
    pub model: M,
    /// How the fit went.
    pub state: FitState,
    /// Wall time of the epochs a resumed checkpoint had already run (earlier sessions): with this call's own time,
    /// a fold's whole training time.
    pub earlier_seconds: f64,
}

impl FitState {
    /// Wall time of every epoch so far, whichever session ran it (a resumed fit's earlier epochs included).
    pub fn seconds(&self) -> f64 {
        self.history.iter().map(|e| e.seconds).sum()
    }
}

/// The device a fit's model must be initialised on, seeded for the initial weights of `seeds`' stage and fold.
pub fn init_device(seeds: &Seeds) -> Device {
    let device = Device::default().autodiff();
    device.seed(seeds.once(Purpose::Init));
    device
}

/// A module's weights as bytes (checkpoints, the best weights).
pub fn to_bytes<M: Module>(module: M) -> Result<Vec<u8>, TrainError> {
    module.into_record().into_bytes().map(|b| b.to_vec()).map_err(|e| TrainError::Record(e.to_string()))
}

/// `module` with the weights of `bytes`.
pub fn from_bytes<M: Module>(module: M, bytes: &[u8]) -> Result<M, TrainError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| TrainError::Record(e.to_string()))?;
    module.try_load_record(record).map_err(|e| TrainError::Record(e.to_string()))
}

fn cosine(base: f64, min: f64, epoch: usize, epochs: usize) -> f64 {
    let progress = (epoch.saturating_sub(1)) as f64 / epochs.max(1) as f64;
    min + 0.5 * (base - min) * (1.0 + (std::f64::consts::PI * progress).cos())
}

/// Fits `model` (initialised on [`init_device`]) with `optimizer` on `objective`.
pub fn fit<M: Module + Clone>(
    mut model: M,
    mut optimizer: ModuleOptimizer,
    objective: &mut impl Objective<M>,
    config: &FitConfig,
    run: &FitRun<'_>,
) -> Result<Fitted<M>, TrainError> {
    if objective.train_len() == 0 {
        return Err(TrainError::Invalid("nothing to train on".into()));
    }
    let device = Device::default().autodiff();
    let mut state = FitState::new(config, &run.fingerprint);
    let mut earlier_seconds = 0.0;
    let mut best: Option<M> = None;
    if let (Some(path), true) = (run.checkpoint, run.resume)
        && path.exists()
    {
        let saved: Checkpoint<FitState> = Checkpoint::load(path)?;
        if saved.state.fingerprint != run.fingerprint {
            return Err(TrainError::ConfigMismatch {
                path: path.display().to_string(),
                saved: saved.state.fingerprint.clone(),
                now: run.fingerprint.clone(),
            });
        }
        let blob = |name: &str| {
            saved.blob(name).ok_or_else(|| TrainError::Record(format!("the checkpoint has no `{name}` record")))
        };
        model = from_bytes(model, blob("model")?)?;
        optimizer = optimizer
            .from_bytes(Bytes::from_bytes_vec(blob("optimizer")?.to_vec()))
            .map_err(|e| TrainError::Record(e.to_string()))?;
        if let Some(bytes) = saved.blob("best") {
            best = Some(from_bytes(model.valid(), bytes)?);
        }
        state = saved.state;
        earlier_seconds = state.seconds();
    }
    let seeds = &run.seeds;
    while !state.finished(config) && run.stop_after.is_none_or(|n| state.epochs_done < n) {
        let epoch = state.epochs_done + 1;
        let started = Instant::now();
        device.seed(seeds.epoch(Purpose::Dropout, epoch));
        let batches = objective.batches(seeds.epoch(Purpose::Order, epoch), config.batch_size);
        objective.start_epoch(epoch, seeds.epoch(Purpose::Augment, epoch));
        if let Schedule::Cosine { min } = config.schedule {
            state.learning_rate = cosine(config.learning_rate, min, epoch, config.epochs);
        }
        let bar = epoch_bar(batches.len(), epoch, config.epochs, run.show_progress);
        let (mut total, mut seen) = (0.0f64, 0usize);
        for (step, batch) in batches.iter().enumerate() {
            state.steps += 1;
            if let Schedule::Warmup { steps } = config.schedule {
                state.learning_rate = config.learning_rate * (state.steps as f64 / steps.max(1) as f64).min(1.0);
            }
            let loss = objective.loss(&model, batch, &device);
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                return Err(TrainError::NonFiniteLoss {
                    value,
                    epoch,
                    step: step + 1,
                    learning_rate: state.learning_rate,
                });
            }
            total += value * batch.len() as f64;
            seen += batch.len();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(state.learning_rate, model, grads);
            bar.set_message(format!("loss {:.4}", total / seen as f64));
            bar.inc(1);
        }
        let loss = total / seen.max(1) as f64;
        let valid = model.valid();
        let validation = objective.validate(&valid, loss);
        let summary = format!("loss {loss:.4} · {} · lr {:.0e}", validation.summary, state.learning_rate);
        // Progress bars draw only on a terminal; a run logged to a file gets one line per epoch instead.
        if run.show_progress && !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprintln!("epoch {epoch}/{} · {summary} · {:.0} s", config.epochs, started.elapsed().as_secs_f64());
        }
        bar.finish_with_message(summary);
        state.history.push(EpochRecord {
            epoch,
            loss,
            validation_loss: validation.loss,
            score: validation.score,
            learning_rate: state.learning_rate,
            seconds: started.elapsed().as_secs_f64(),
        });
        state.epochs_done = epoch;
        if state.best_score.is_none_or(|b| validation.score > b) {
            (state.best_score, state.best_epoch, state.stale) = (Some(validation.score), epoch, 0);
            best = Some(valid);
        } else {
            state.stale += 1;
        }
        if let Schedule::Plateau { after, cuts } = config.schedule {
            let (lowest, flat, made) = &mut state.plateau;
            if loss < *lowest * (1.0 - 1e-3) {
                (*lowest, *flat) = (loss, 0);
            } else {
                *flat += 1;
                if *flat >= after.max(1) {
                    if *made == cuts {
                        state.stopped = true;
                    }
                    (*flat, *made) = (0, *made + 1);
                    state.learning_rate /= 10.0;
                }
            }
        }
        if config.keep == Keep::Best && state.stale >= config.patience.max(1) {
            state.stopped = true;
        }
        if let Some(path) = run.checkpoint {
            let mut blobs = vec![
                ("model".to_string(), to_bytes(model.clone())?),
                (
                    "optimizer".to_string(),
                    optimizer.into_bytes().map(|b| b.to_vec()).map_err(|e| TrainError::Record(e.to_string()))?,
                ),
            ];
            if let Some(best) = &best {
                blobs.push(("best".to_string(), to_bytes(best.clone())?));
            }
            Checkpoint { state: state.clone(), blobs }.save(path)?;
        }
    }
    let model = match (config.keep, best) {
        (Keep::Best, Some(best)) => best,
        _ => model.valid(),
    };
    Ok(Fitted { model, state, earlier_seconds })
}

#[cfg(test)]
mod tests {
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::AdamConfig;
    use burn::tensor::TensorData;

    use super::*;
    use crate::train::seed::{FoldId, Stage};

    /// y = 3x − 1 from noisy points; validation is the negative loss on held-out points.
    struct Line {
        x: Vec<f32>,
        y: Vec<f32>,
        validation_floor: f64,
    }

    impl Line {
        fn new() -> Self {
            let x: Vec<f32> = (0..64).map(|i| i as f32 / 32.0 - 1.0).collect();
            let y = x.iter().enumerate().map(|(i, x)| 3.0 * x - 1.0 + 0.01 * ((i * 7919) % 13) as f32).collect();
            Self { x, y, validation_floor: 0.0 }
        }
        fn batch(&self, batch: &[usize], device: &Device) -> (Tensor<2>, Tensor<2>) {
            let x: Vec<f32> = batch.iter().map(|&i| self.x[i]).collect();
            let y: Vec<f32> = batch.iter().map(|&i| self.y[i]).collect();
            (
                Tensor::from_data(TensorData::new(x, [batch.len(), 1]), device),
                Tensor::from_data(TensorData::new(y, [batch.len(), 1]), device),
            )
        }
    }

    impl Objective<Linear> for Line {
        fn train_len(&self) -> usize {
            self.x.len()
        }
        fn loss(&mut self, model: &Linear, batch: &[usize], device: &Device) -> Tensor<1> {
            let (x, y) = self.batch(batch, device);
            (model.forward(x) - y).powi_scalar(2).mean()
        }
        fn validate(&mut self, model: &Linear, _training_loss: f64) -> Validation {
            let all: Vec<usize> = (0..self.x.len()).collect();
            let (x, y) = self.batch(&all, &Device::default());
            let loss = f64::from((model.forward(x) - y).powi_scalar(2).mean().into_scalar::<f32>());
            // A floor makes every epoch after the first "no better" (early stopping test).
            let score = -loss.max(self.validation_floor);
            Validation { score: (score, 0.0), loss: Some(loss), summary: format!("validation {loss:.4}") }
        }
    }

    fn config(epochs: usize) -> FitConfig {
        FitConfig {
            epochs,
            batch_size: 8,
            learning_rate: 0.05,
            patience: usize::MAX,
            schedule: Schedule::Constant,
            keep: Keep::Best,
        }
    }

    /// Fixed starting weights: burn's random initialiser draws from the device's RNG, which every test thread of
    /// this binary seeds and draws from concurrently, so two "identical" seeded starts could differ (the resume
    /// test failed that way in one CI run). The fit loop's own randomness (batch order) comes from its seeds.
    fn start() -> Linear {
        LinearConfig::new(1, 1)
            .with_initializer(burn::nn::Initializer::Constant { value: 0.5 })
            .init(&Device::default().autodiff())
    }

    fn weights(model: &Linear) -> Vec<f32> {
        crate::onnx::emit::values(model.weight.val())
    }

    #[test]
    fn it_learns_and_keeps_the_best_epoch() {
        let seeds = Seeds::new(3, Stage::Genre, FoldId::Cv(0));
        let fitted =
            fit(start(), AdamConfig::new().init(), &mut Line::new(), &config(40), &FitRun::new(seeds, false)).unwrap();
        let w = weights(&fitted.model)[0];
        assert!((w - 3.0).abs() < 0.3, "weight {w}");
        assert_eq!(fitted.state.epochs_done, 40);
        let best = fitted.state.history.iter().map(|e| e.score).fold((f64::MIN, 0.0), |a, b| if b > a { b } else { a });
        assert_eq!(fitted.state.best_score, Some(best));
    }

    #[test]
    fn early_stopping_ends_after_patience_epochs_without_improvement() {
        let seeds = Seeds::new(3, Stage::Genre, FoldId::Cv(0));
        let mut line = Line { validation_floor: 1e9, ..Line::new() };
        let config = FitConfig { patience: 3, ..config(40) };
        let fitted = fit(start(), AdamConfig::new().init(), &mut line, &config, &FitRun::new(seeds, false)).unwrap();
        assert_eq!((fitted.state.epochs_done, fitted.state.best_epoch), (4, 1), "best at 1, then 3 stale epochs");
        assert!(fitted.state.stopped);
    }

    #[test]
    fn a_plateau_divides_the_rate_and_the_last_one_stops() {
        let seeds = Seeds::new(3, Stage::Genre, FoldId::Cv(0));
        let config = FitConfig { learning_rate: 0.0, schedule: Schedule::Plateau { after: 2, cuts: 1 }, ..config(40) };
        let fitted =
            fit(start(), AdamConfig::new().init(), &mut Line::new(), &config, &FitRun::new(seeds, false)).unwrap();
        // A zero rate never lowers the loss: plateau at 3 (÷10), then at 5 the second plateau ends the run.
        assert_eq!(fitted.state.epochs_done, 5);
        assert!(fitted.state.stopped);
    }

    #[test]
    fn a_non_finite_loss_names_the_epoch_and_the_rate() {
        let seeds = Seeds::new(3, Stage::Genre, FoldId::Cv(0));
        let mut line = Line::new();
        line.y[5] = f32::NAN;
        let error =
            fit(start(), AdamConfig::new().init(), &mut line, &config(3), &FitRun::new(seeds, false)).unwrap_err();
        assert!(matches!(error, TrainError::NonFiniteLoss { epoch: 1, .. }), "{error}");
        assert!(error.to_string().contains("lower the learning rate"), "{error}");
    }

    /// An interrupted run resumed from its checkpoint ends with the weights of an uninterrupted one.
    #[test]
    fn resume_reaches_the_uninterrupted_weights() {
        let seeds = Seeds::new(9, Stage::Genre, FoldId::Cv(1));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fit.ckpt");
        let whole =
            fit(start(), AdamConfig::new().init(), &mut Line::new(), &config(8), &FitRun::new(seeds, false)).unwrap();
        let mut first = FitRun { checkpoint: Some(&path), stop_after: Some(3), ..FitRun::new(seeds, false) };
        first.fingerprint = "line".into();
        let part = fit(start(), AdamConfig::new().init(), &mut Line::new(), &config(8), &first).unwrap();
        assert_eq!(part.state.epochs_done, 3);
        let rest = FitRun { stop_after: None, resume: true, ..first.clone() };
        let resumed = fit(start(), AdamConfig::new().init(), &mut Line::new(), &config(8), &rest).unwrap();
        assert_eq!(resumed.state.epochs_done, 8);
        assert_eq!(weights(&resumed.model), weights(&whole.model));
        let other = FitRun { fingerprint: "another".into(), ..rest };
        let error = fit(start(), AdamConfig::new().init(), &mut Line::new(), &config(8), &other).unwrap_err();
        assert!(matches!(error, TrainError::ConfigMismatch { .. }), "{error}");
    }

    /// A fold's stages checkpoint beside it and go with it; another fold's files stay.
    #[test]
    fn stages_sit_beside_their_fold_and_finish_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let fold = Resumable { path: dir.path().join("abc-fold1.ckpt"), resume: true, fingerprint: "cfg".into() };
        let stage = fold.stage("frames-gru");
        assert_eq!(stage.path, dir.path().join("abc-fold1.frames-gru.ckpt"));
        assert_eq!((stage.resume, stage.fingerprint.as_str()), (true, "cfg · frames-gru"));
        let other = dir.path().join("abc-fold10.ckpt");
        for path in [&fold.path, &stage.path, &other] {
            std::fs::write(path, b"x").unwrap();
        }
        fold.finish().unwrap();
        assert!(!fold.path.exists() && !stage.path.exists());
        assert!(other.exists(), "fold 10's checkpoint went with fold 1's");
        fold.finish().unwrap();
    }
}
