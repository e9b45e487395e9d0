//! Training a derived DARTS network from scratch on one fold (the paper retrains the searched architecture;
//! DARTS' evaluation recipe: SGD, lr 0.025 with cosine decay, momentum 0.9, weight decay 3·10⁻⁴, gradient norm
//! clipped at 5), keeping the epoch with the best validation unweighted accuracy — the paper "select[s] the
//! model with the best performance on the validation set".

use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::Device;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::darts::genotype::Genotype;
use super::darts::network::{DerivedNetwork, NasConfig};
use super::darts::search::{InputSet, cosine_lr};
use crate::emotion::pretrain::{TrainError, derive_seed, epoch_bar};
use crate::metrics::{Confusion, argmax};

const PURPOSE_INIT: u64 = 71;
const PURPOSE_ORDER: u64 = 72;

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

/// Trains the network `genotype` describes on `train`, keeping the best validation epoch.
pub fn train_derived(
    genotype: &Genotype,
    net_config: &NasConfig,
    config: &NetTrainConfig,
    train: &InputSet,
    validation: &InputSet,
    show_progress: bool,
) -> Result<(DerivedNetwork, NetTraining), TrainError> {
    let started = Instant::now();
    if train.is_empty() {
        return Err(TrainError::Invalid("no training utterances".into()));
    }
    let device = Device::default().autodiff();
    device.seed(derive_seed(config.seed, PURPOSE_INIT, 0));
    let mut net = DerivedNetwork::new(genotype, net_config, &device).map_err(TrainError::Invalid)?;
    let mut optimizer = SgdConfig::new()
        .with_momentum(Some(MomentumConfig { momentum: config.momentum, dampening: 0.0, nesterov: false }))
        .with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay as f32)))
        .with_gradient_clipping(Some(GradientClippingConfig::Norm(5.0)))
        .init();
    let ce = CrossEntropyLossConfig::new().with_weights(Some(train.class_weights(net_config.classes))).init(&device);
    let size = config.batch_size.max(1);
    let (mut best, mut best_score, mut best_epoch, mut stale) = (None, (f64::MIN, f64::MIN), 0, 0);
    let mut history = Vec::new();
    for epoch in 0..config.epochs {
        let lr = cosine_lr(config.learning_rate, 0.0, epoch, config.epochs);
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(derive_seed(config.seed, PURPOSE_ORDER, epoch as u64)));
        let bar = epoch_bar(order.len().div_ceil(size), epoch + 1, config.epochs, show_progress);
        let (mut total, mut seen) = (0.0f64, 0usize);
        for chunk in order.chunks(size) {
            let loss = ce.forward(net.forward(train.batch(chunk, &device)), train.targets(chunk, &device));
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!(
                    "the training loss became {value} in epoch {}; lower the learning rate",
                    epoch + 1
                )));
            }
            total += value * chunk.len() as f64;
            seen += chunk.len();
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optimizer.step(lr, net, grads);
            bar.set_message(format!("loss {:.4}", total / seen as f64));
            bar.inc(1);
        }
        let valid = net.valid();
        let loss = total / seen.max(1) as f64;
        let (ua, v_loss) = if validation.is_empty() {
            (0.0, loss)
        } else {
            let (c, l) = score(&predict(&valid, validation, size), &validation.classes, net_config.classes);
            (c.unweighted_accuracy(), l)
        };
        bar.finish_with_message(format!("loss {loss:.4} · validation UA {ua:.3} loss {v_loss:.4}"));
        history.push(NetEpoch { loss, validation_ua: ua, validation_loss: v_loss });
        let s = (ua, -v_loss);
        if best.is_none() || s > best_score {
            (best, best_score, best_epoch, stale) = (Some(valid), s, epoch + 1, 0);
        } else {
            stale += 1;
            if stale >= config.patience.max(1) {
                break;
            }
        }
    }
    let net = best.unwrap_or_else(|| net.valid());
    Ok((net, NetTraining { history, best_epoch, seconds: started.elapsed().as_secs_f64() }))
}
