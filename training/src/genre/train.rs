//! Training one genre network on one fold, and scoring it per window and per clip (majority vote).
//!
//! Model selection follows Pons & Serra ("the best model in the validation set is kept"): after every epoch the
//! validation clips are voted, and the epoch with the best validation accuracy (ties: lower validation loss) is
//! kept. The optional plateau schedule is theirs too: the learning rate is divided by ten when the training loss
//! stops improving, and training ends when it no longer improves after the last division.

use std::time::Instant;

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::models::{GenreNet, NetConfig, Standardization};
use super::optim::OptimizerKind;
use super::windows::{WindowSet, majority_vote, standardization};
use crate::data::Fold;
use crate::emotion::pretrain::{TrainError, derive_seed, epoch_bar};
use crate::metrics::{Confusion, argmax};

const PURPOSE_INIT: u64 = 11;
const PURPOSE_ORDER: u64 = 12;
const PURPOSE_DROPOUT: u64 = 13;

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

/// Trains `net` on `fold.train`, keeps the best epoch on `fold.validation`, scores on `fold.test`.
pub fn train_fold(
    net_config: &NetConfig,
    config: &TrainConfig,
    clips: &Clips<'_>,
    fold: &Fold,
    fold_number: usize,
    show_progress: bool,
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
    let device = Device::default().autodiff();
    device.seed(derive_seed(config.seed, PURPOSE_INIT, fold_number as u64));
    let mut net = net_config.init(&device).map_err(TrainError::Invalid)?;
    let mut optimizer = config.optimizer.init();
    let ce = CrossEntropyLossConfig::new().init(&device);
    let size = config.batch_size.max(1);
    let mut lr = config.learning_rate();
    let (mut best, mut best_score, mut best_epoch, mut stale) = (None, (f64::MIN, f64::MIN), 0, 0);
    let (mut best_loss, mut flat, mut cuts) = (f64::MAX, 0, 0);
    let mut history = Vec::new();
    for epoch in 1..=config.epochs {
        device.seed(derive_seed(config.seed, PURPOSE_DROPOUT + 100 * fold_number as u64, epoch as u64));
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(derive_seed(
            config.seed,
            PURPOSE_ORDER + 100 * fold_number as u64,
            epoch as u64,
        )));
        let bar = epoch_bar(order.len().div_ceil(size), epoch, config.epochs, show_progress);
        let (mut total, mut seen) = (0.0f64, 0usize);
        for chunk in order.chunks(size) {
            let logits = net.forward(train.batch(chunk, &device));
            let loss = ce.forward(logits, clips.targets(&train, chunk, &device));
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!(
                    "the training loss became {value} in epoch {epoch}; lower the learning rate (now {lr})"
                )));
            }
            total += value * chunk.len() as f64;
            seen += chunk.len();
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optimizer.step(lr, net, grads);
            bar.set_message(format!("loss {:.4}", total / seen as f64));
            bar.inc(1);
        }
        let loss = total / seen.max(1) as f64;
        let valid = net.valid();
        let score = if validation.is_empty() {
            (0.0, -loss)
        } else {
            let (clip, _, v_loss) = score(&valid, clips, &validation, classes, size);
            (clip.accuracy(), -v_loss)
        };
        bar.finish_with_message(format!(
            "loss {loss:.4} · validation accuracy {:.3} loss {:.4} · lr {lr:.0e}",
            score.0, -score.1
        ));
        history.push(EpochRecord {
            loss,
            validation_accuracy: (!validation.is_empty()).then_some(score.0),
            learning_rate: lr,
        });
        if best.is_none() || score > best_score {
            (best, best_score, best_epoch, stale) = (Some(valid), score, epoch, 0);
        } else {
            stale += 1;
        }
        if config.plateau > 0 {
            if loss < best_loss * (1.0 - 1e-3) {
                (best_loss, flat) = (loss, 0);
            } else {
                flat += 1;
                if flat >= config.plateau {
                    if cuts == 3 {
                        break;
                    }
                    (lr, flat, cuts) = (lr / 10.0, 0, cuts + 1);
                }
            }
        }
        if stale >= config.patience.max(1) {
            break;
        }
    }
    let net = best.unwrap_or_else(|| net.valid());
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
        best_epoch,
        history,
        standardization: s,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((net, outcome))
}
