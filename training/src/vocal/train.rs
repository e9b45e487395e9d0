//! Training a derived DARTS network from scratch on one fold (the paper retrains the searched architecture;
//! DARTS' evaluation recipe: SGD, lr 0.025 with cosine decay, momentum 0.9, weight decay 3·10⁻⁴, gradient norm
//! clipped at 5), keeping the epoch with the best validation unweighted accuracy — the paper "select[s] the
//! model with the best performance on the validation set".

use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::SgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::darts::genotype::Genotype;
use super::darts::network::{DerivedNetwork, NasConfig};
use super::darts::search::InputSet;
use crate::metrics::{Confusion, argmax};
use crate::train::{
    FitConfig, FitRun, FoldId, Keep, Objective, Resumable, Schedule, Seeds, Stage, TrainError, Validation, fit,
    init_device,
};

/// How to train a derived network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetTrainConfig {
    /// Most epochs.
    pub epochs: usize,
    /// Utterances per step.
    pub batch_size: usize,
    /// Initial learning rate (cosine decay to 0).
    pub learning_rate: f64,
    /// Momentum.
    pub momentum: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Stop after this many epochs without a better validation UA.
    pub patience: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for NetTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 50,
            batch_size: 16,
            learning_rate: 0.025,
            momentum: 0.9,
            weight_decay: 3e-4,
            patience: 15,
            seed: 1,
        }
    }
}

/// One epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetEpoch {
    /// Mean training loss.
    pub loss: f64,
    /// Validation unweighted accuracy.
    pub validation_ua: f64,
    /// Validation loss.
    pub validation_loss: f64,
}

/// A trained derived network's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetTraining {
    /// Per-epoch figures.
    pub history: Vec<NetEpoch>,
    /// Epoch kept (1-based).
    pub best_epoch: usize,
    /// Wall time.
    pub seconds: f64,
}

/// Class probabilities of every input (`len × classes`), without autodiff.
pub fn predict(net: &DerivedNetwork, set: &InputSet, batch: usize) -> Vec<Vec<f32>> {
    let device = Device::default();
    let classes = net.config().classes;
    let all: Vec<usize> = (0..set.len()).collect();
    let mut out = Vec::with_capacity(set.len());
    for chunk in all.chunks(batch.max(1)) {
        let p = crate::onnx::emit::values(net.probabilities(set.batch(chunk, &device)));
        out.extend(p.chunks(classes).map(<[f32]>::to_vec));
    }
    out
}

/// Confusion and mean cross-entropy of probabilities against classes.
pub fn score(probabilities: &[Vec<f32>], classes: &[usize], n_classes: usize) -> (Confusion, f64) {
    let predicted: Vec<usize> = probabilities.iter().map(|p| argmax(p)).collect();
    let loss = probabilities.iter().zip(classes).map(|(p, &c)| -f64::from(p[c].max(1e-7)).ln()).sum::<f64>()
        / probabilities.len().max(1) as f64;
    (Confusion::from_pairs(n_classes, classes, &predicted), loss)
}

/// Cross-entropy (class-weighted) on the training utterances; validation by unweighted accuracy, ties to the
/// lower validation loss (the training loss without validation utterances).
struct DerivedObjective<'a> {
    train: &'a InputSet,
    validation: &'a InputSet,
    ce: CrossEntropyLoss,
    classes: usize,
    batch_size: usize,
}

impl Objective<DerivedNetwork> for DerivedObjective<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn loss(&mut self, net: &DerivedNetwork, batch: &[usize], device: &Device) -> Tensor<1> {
        self.ce.forward(net.forward(self.train.batch(batch, device)), self.train.targets(batch, device))
    }

    fn validate(&mut self, net: &DerivedNetwork, training_loss: f64) -> Validation {
        let (ua, loss) = if self.validation.is_empty() {
            (0.0, training_loss)
        } else {
            let (c, l) = score(&predict(net, self.validation, self.batch_size), &self.validation.classes, self.classes);
            (c.unweighted_accuracy(), l)
        };
        Validation { score: (ua, -loss), loss: Some(loss), summary: format!("validation UA {ua:.3} loss {loss:.4}") }
    }
}

/// Trains the network `genotype` describes on `train`, keeping the best validation epoch.
pub fn train_derived(
    genotype: &Genotype,
    net_config: &NasConfig,
    config: &NetTrainConfig,
    train: &InputSet,
    validation: &InputSet,
    show_progress: bool,
    checkpoint: Option<&Resumable>,
) -> Result<(DerivedNetwork, NetTraining), TrainError> {
    let started = Instant::now();
    if train.is_empty() {
        return Err(TrainError::Invalid("no training utterances".into()));
    }
    let seeds = Seeds::new(config.seed, Stage::VocalNetwork, FoldId::Cv(0));
    let device = init_device(&seeds);
    let net = DerivedNetwork::new(genotype, net_config, &device).map_err(TrainError::Invalid)?;
    let optimizer = SgdConfig::new()
        .with_momentum(Some(MomentumConfig { momentum: config.momentum, dampening: 0.0, nesterov: false }))
        .with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay as f32)))
        .with_gradient_clipping(Some(GradientClippingConfig::Norm(5.0)))
        .init();
    let ce = CrossEntropyLossConfig::new().with_weights(Some(train.class_weights(net_config.classes))).init(&device);
    let size = config.batch_size.max(1);
    let mut objective = DerivedObjective { train, validation, ce, classes: net_config.classes, batch_size: size };
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: size,
        learning_rate: config.learning_rate,
        patience: config.patience,
        schedule: Schedule::Cosine { min: 0.0 },
        keep: Keep::Best,
    };
    let fitted =
        fit(net, optimizer, &mut objective, &fit_config, &FitRun::new(seeds, show_progress).resuming(checkpoint))?;
    let history = fitted
        .state
        .history
        .iter()
        .map(|e| NetEpoch { loss: e.loss, validation_ua: e.score.0, validation_loss: -e.score.1 })
        .collect();
    let training = NetTraining {
        history,
        best_epoch: fitted.state.best_epoch,
        seconds: started.elapsed().as_secs_f64() + fitted.earlier_seconds,
    };
    Ok((fitted.model, training))
}
