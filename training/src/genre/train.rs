//! Training one genre network on one fold, and scoring it per window and per clip (majority vote).
//!
//! Model selection follows Pons & Serra ("the best model in the validation set is kept"): after every epoch the
//! validation clips are voted, and the epoch with the best validation accuracy (ties: lower validation loss) is
//! kept. The optional plateau schedule is theirs too: the learning rate is divided by ten when the training loss
//! stops improving, and training ends when it no longer improves after the last division.

use std::time::Instant;

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::models::{GenreNet, NetConfig, Standardization};
use super::optim::OptimizerKind;
use super::windows::{WindowSet, majority_vote, standardization};
use crate::data::Fold;
use crate::metrics::{Confusion, argmax};
use crate::train::{
    FitConfig, FitRun, FoldId, Keep, Objective, Resumable, Schedule, Seeds, Stage, TrainError, Validation, fit,
    init_device,
};

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Learning rate; `None` takes the optimiser's default.
    pub learning_rate: Option<f64>,
    /// Most epochs.
    pub epochs: usize,
    /// Windows per step (Pons & Serra: 50).
    pub batch_size: usize,
    /// Epochs without a better validation score before stopping.
    pub patience: usize,
    /// Divide the learning rate by 10 after this many epochs without a lower training loss (0: never).
    pub plateau: usize,
    /// Frames between training windows (Pons & Serra: 250 or 80).
    pub train_hop: usize,
    /// Frames between evaluation windows (the vote's resolution).
    pub eval_hop: usize,
    /// Seed of initial weights, data order and dropout.
    pub seed: u64,
}

impl TrainConfig {
    /// The learning rate actually used.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate.unwrap_or_else(|| self.optimizer.default_learning_rate())
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Mean training loss.
    pub loss: f64,
    /// Validation clip accuracy (majority vote), if there is a validation set.
    pub validation_accuracy: Option<f64>,
    /// Learning rate used.
    pub learning_rate: f64,
}

/// Scores of one trained fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldOutcome {
    /// Test clips, majority vote.
    pub test: Confusion,
    /// Test windows, each on its own.
    pub test_windows: Confusion,
    /// Training clips (the subgenre paper's Table 3 reports train F1 too).
    pub train: Confusion,
    /// Validation clips.
    pub validation: Confusion,
    /// Epoch of the kept weights (1-based).
    pub best_epoch: usize,
    /// Per-epoch figures.
    pub history: Vec<EpochRecord>,
    /// The standardisation fitted on the training clips.
    pub standardization: Standardization,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Labelled clips with their features, indexed like the dataset (`None`: unreadable, already reported).
pub struct Clips<'a> {
    /// Class of each item.
    pub classes: &'a [usize],
    /// Features of each item.
    pub features: &'a [Option<Array2<f32>>],
}

impl Clips<'_> {
    fn windows(&self, items: &[usize], net: &NetConfig, hop: usize, s: Standardization) -> WindowSet {
        WindowSet::from_clips((net.frames, net.mels), items, self.features, hop, s)
    }

    fn targets(&self, set: &WindowSet, batch: &[usize], device: &Device) -> Tensor<1, Int> {
        let t: Vec<i64> = batch.iter().map(|&w| self.classes[set.owners[w]] as i64).collect();
        Tensor::from_data(TensorData::new(t, [batch.len()]), device)
    }
}

/// Class probabilities of every window (`windows × classes`, row-major), in batches, without autodiff.
pub fn predict(net: &GenreNet, set: &WindowSet, batch_size: usize) -> Vec<f32> {
    let device = Device::default();
    let indices: Vec<usize> = (0..set.len()).collect();
    let mut out = Vec::new();
    for chunk in indices.chunks(batch_size.max(1)) {
        out.extend(crate::onnx::emit::values(net.probabilities(set.batch(chunk, &device))));
    }
    out
}

/// Clip-level confusion (majority vote) and window-level confusion.
fn score(
    net: &GenreNet,
    clips: &Clips<'_>,
    set: &WindowSet,
    classes: usize,
    batch: usize,
) -> (Confusion, Confusion, f64) {
    let p = predict(net, set, batch);
    let votes = majority_vote(&set.owners, &p, classes);
    let (truth, predicted): (Vec<usize>, Vec<usize>) = votes.iter().map(|&(c, k)| (clips.classes[c], k)).unzip();
    let window_truth: Vec<usize> = set.owners.iter().map(|&o| clips.classes[o]).collect();
    let window_pred: Vec<usize> = p.chunks(classes).map(argmax).collect();
    let loss = set
        .owners
        .iter()
        .zip(p.chunks(classes))
        .map(|(&o, row)| -f64::from(row[clips.classes[o]].max(1e-7)).ln())
        .sum::<f64>()
        / set.len().max(1) as f64;
    (
        Confusion::from_pairs(classes, &truth, &predicted),
        Confusion::from_pairs(classes, &window_truth, &window_pred),
        loss,
    )
}

/// The genre objective: cross-entropy on training windows; validation by majority vote of the validation
/// clips (accuracy, ties to the lower validation loss), or the training loss alone without validation clips.
struct GenreObjective<'a> {
    clips: &'a Clips<'a>,
    train: &'a WindowSet,
    validation: &'a WindowSet,
    classes: usize,
    batch_size: usize,
    ce: CrossEntropyLoss,
}

impl Objective<GenreNet> for GenreObjective<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn loss(&mut self, net: &GenreNet, batch: &[usize], device: &Device) -> Tensor<1> {
        let logits = net.forward(self.train.batch(batch, device));
        self.ce.forward(logits, self.clips.targets(self.train, batch, device))
    }

    fn validate(&mut self, net: &GenreNet, training_loss: f64) -> Validation {
        if self.validation.is_empty() {
            return Validation { score: (0.0, -training_loss), loss: None, summary: "no validation clips".into() };
        }
        let (clip, _, loss) = score(net, self.clips, self.validation, self.classes, self.batch_size);
        Validation {
            score: (clip.accuracy(), -loss),
            loss: Some(loss),
            summary: format!("validation accuracy {:.3} loss {loss:.4}", clip.accuracy()),
        }
    }
}

/// Trains `net` on `fold.train`, keeps the best epoch on `fold.validation`, scores on `fold.test`.
pub fn train_fold(
    net_config: &NetConfig,
    config: &TrainConfig,
    clips: &Clips<'_>,
    fold: &Fold,
    fold_id: FoldId,
    show_progress: bool,
    checkpoint: Option<&Resumable>,
) -> Result<(GenreNet, FoldOutcome), TrainError> {
    let started = Instant::now();
    let classes = net_config.classes;
    let s = standardization(fold.train.iter().filter_map(|&i| clips.features[i].as_ref()));
    let train = clips.windows(&fold.train, net_config, config.train_hop, s);
    let validation = clips.windows(&fold.validation, net_config, config.eval_hop, s);
    let test = clips.windows(&fold.test, net_config, config.eval_hop, s);
    if train.is_empty() {
        return Err(TrainError::Invalid("no readable training clips in this fold".into()));
    }
    let seeds = Seeds::new(config.seed, Stage::Genre, fold_id);
    let device = init_device(&seeds);
    let net = net_config.init(&device).map_err(TrainError::Invalid)?;
    let size = config.batch_size.max(1);
    let mut objective = GenreObjective {
        clips,
        train: &train,
        validation: &validation,
        classes,
        batch_size: size,
        ce: CrossEntropyLossConfig::new().init(&device),
    };
    let schedule = match config.plateau {
        0 => Schedule::Constant,
        after => Schedule::Plateau { after, cuts: 3 },
    };
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: size,
        learning_rate: config.learning_rate(),
        patience: config.patience,
        schedule,
        keep: Keep::Best,
    };
    let fitted = fit(
        net,
        config.optimizer.init(),
        &mut objective,
        &fit_config,
        &FitRun::new(seeds, show_progress).resuming(checkpoint),
    )?;
    let net = fitted.model;
    let history = fitted
        .state
        .history
        .iter()
        .map(|e| EpochRecord {
            loss: e.loss,
            validation_accuracy: (!validation.is_empty()).then_some(e.score.0),
            learning_rate: e.learning_rate,
        })
        .collect();
    let (test_clips, test_windows, _) = score(&net, clips, &test, classes, size);
    // Training clips are scored at the evaluation hop; the training windows already are that when the hops agree.
    let train_eval =
        (config.eval_hop != config.train_hop).then(|| clips.windows(&fold.train, net_config, config.eval_hop, s));
    let (train_clips, _, _) = score(&net, clips, train_eval.as_ref().unwrap_or(&train), classes, size);
    let validation_clips =
        if validation.is_empty() { Confusion::new(classes) } else { score(&net, clips, &validation, classes, size).0 };
    let outcome = FoldOutcome {
        test: test_clips,
        test_windows,
        train: train_clips,
        validation: validation_clips,
        best_epoch: fitted.state.best_epoch,
        history,
        standardization: s,
        // Epochs a resumed fit ran in an earlier session count towards the fold's time too.
        seconds: started.elapsed().as_secs_f64() + fitted.earlier_seconds,
    };
    Ok((net, outcome))
}
