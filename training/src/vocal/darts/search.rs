//! The bi-level search: network weights ω step on the training split (SGD, lr 0.025 with DARTS' cosine decay,
//! momentum 0.9, weight decay 3·10⁻⁴, gradient norm clipped at 5), architecture weights α on the validation split
//! (Adam, lr 3·10⁻⁴, β = (0.5, 0.999), weight decay 10⁻³ as in DARTS), alternating one batch each. This is
//! DARTS' first-order approximation (ξ = 0: α's gradient is taken at the current ω rather than after a virtual
//! step), which the DARTS paper found close to second order at a third of the cost — the cost that matters on
//! a CPU.

use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::genotype::Genotype;
use super::network::{Alphas, NasConfig, SearchNetwork};
use crate::train::{FoldId, Purpose, Seeds, Stage, TrainError, epoch_bar, init_device};
use crate::vocal::input;

/// Prepared network inputs (`pooled × mels` each) with their classes.
#[derive(Debug, Clone, Default)]
pub struct InputSet {
    /// Rows per input (pooled frames).
    pub rows: usize,
    /// Columns per input (bands).
    pub cols: usize,
    /// One prepared input per utterance.
    pub inputs: Vec<Vec<f32>>,
    /// Class of each.
    pub classes: Vec<usize>,
}

impl InputSet {
    /// Number of utterances.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// Inputs at `indices` as `[batch, 1, rows, cols]`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let refs: Vec<&[f32]> = indices.iter().map(|&i| self.inputs[i].as_slice()).collect();
        input::batch(&refs, self.rows, self.cols, device)
    }

    /// Classes at `indices`.
    pub fn targets(&self, indices: &[usize], device: &Device) -> Tensor<1, Int> {
        let t: Vec<i64> = indices.iter().map(|&i| self.classes[i] as i64).collect();
        Tensor::from_data(TensorData::new(t, [indices.len()]), device)
    }

    /// Inverse-frequency class weights (mean 1 over the classes present) for the loss: the corpora are
    /// unbalanced (RAVDESS has half as many neutral takes) and the paper's measure is the unweighted accuracy.
    /// A class no training take has (boredom when EmoDB is the held-out corpus) gets 1: burn's loss refuses a
    /// weight of 0, and no target picks that class, so its weight changes nothing.
    pub fn class_weights(&self, classes: usize) -> Vec<f32> {
        let mut counts = vec![0usize; classes];
        self.classes.iter().for_each(|&c| counts[c] += 1);
        let present = counts.iter().filter(|&&c| c > 0).count().max(1);
        counts.iter().map(|&c| if c == 0 { 1.0 } else { self.len() as f32 / (present as f32 * c as f32) }).collect()
    }
}

/// How to search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Network size.
    pub net: NasConfig,
    /// Epochs (the paper: 50).
    pub epochs: usize,
    /// Utterances per step.
    pub batch_size: usize,
    /// Weight learning rate at the start of the cosine decay (0.025).
    pub weight_lr: f64,
    /// Floor of the cosine decay (DARTS: 0.001).
    pub weight_lr_min: f64,
    /// Weight momentum (0.9).
    pub momentum: f64,
    /// Weight decay of ω (3·10⁻⁴).
    pub weight_decay: f64,
    /// α learning rate (3·10⁻⁴).
    pub arch_lr: f64,
    /// Weight decay of α (DARTS: 10⁻³).
    pub arch_weight_decay: f64,
    /// Stop an epoch after this many steps (time-boxed runs); `None`: the whole training split.
    pub steps_per_epoch: Option<usize>,
    /// Seed of initial weights, α and data order.
    pub seed: u64,
}

impl SearchConfig {
    /// The paper's settings for `classes` classes.
    pub fn paper(classes: usize) -> Self {
        Self {
            net: NasConfig::paper(classes),
            epochs: 50,
            batch_size: 16,
            weight_lr: 0.025,
            weight_lr_min: 0.001,
            momentum: 0.9,
            weight_decay: 3e-4,
            arch_lr: 3e-4,
            arch_weight_decay: 1e-3,
            steps_per_epoch: None,
            seed: 1,
        }
    }
}

/// DARTS' cosine annealing from `max` to `min` over `epochs`, at `epoch` (0-based).
pub fn cosine_lr(max: f64, min: f64, epoch: usize, epochs: usize) -> f64 {
    min + 0.5 * (max - min) * (1.0 + (std::f64::consts::PI * epoch as f64 / epochs.max(1) as f64).cos())
}

/// One search epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchEpoch {
    /// Mean training loss (weight steps).
    pub train_loss: f64,
    /// Mean validation loss (α steps).
    pub validation_loss: f64,
    /// The genotype α implied at the end of the epoch.
    pub genotype: Genotype,
}

/// What a search produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchOutcome {
    /// The configuration searched with.
    pub config: SearchConfig,
    /// The derived cells.
    pub genotype: Genotype,
    /// Final softmax-normalised α of the normal cells (`edges × 8`).
    pub normal_weights: Vec<Vec<f32>>,
    /// Final softmax-normalised α of the reduction cells.
    pub reduce_weights: Vec<Vec<f32>>,
    /// Per-epoch figures.
    pub history: Vec<SearchEpoch>,
    /// Wall time.
    pub seconds: f64,
}

/// Runs the search: ω on `train`, α on `validation`.
pub fn search(
    config: &SearchConfig,
    train: &InputSet,
    validation: &InputSet,
    show_progress: bool,
) -> Result<SearchOutcome, TrainError> {
    let started = Instant::now();
    config.net.validate().map_err(TrainError::Invalid)?;
    if train.is_empty() || validation.is_empty() {
        return Err(TrainError::Invalid(
            "the search needs both a training split (for the weights) and a validation split (for α)".into(),
        ));
    }
    // DARTS alternates an α step and an ω step: its own loop, with the core's seeds, bars and errors.
    let seeds = Seeds::new(config.seed, Stage::VocalSearch, FoldId::Cv(0));
    let device = init_device(&seeds);
    let mut net = SearchNetwork::new(&config.net, &device);
    let mut alphas = Alphas::new(config.net.steps, &device);
    let mut weight_opt = SgdConfig::new()
        .with_momentum(Some(MomentumConfig { momentum: config.momentum, dampening: 0.0, nesterov: false }))
        .with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay as f32)))
        .with_gradient_clipping(Some(GradientClippingConfig::Norm(5.0)))
        .init();
    let mut arch_opt = AdamConfig::new()
        .with_beta_1(0.5)
        .with_beta_2(0.999)
        .with_weight_decay(Some(WeightDecayConfig::new(config.arch_weight_decay as f32)))
        .init();
    let ce = CrossEntropyLossConfig::new().with_weights(Some(train.class_weights(config.net.classes))).init(&device);
    let size = config.batch_size.max(1);
    let mut history = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        let lr = cosine_lr(config.weight_lr, config.weight_lr_min, epoch - 1, config.epochs);
        device.seed(seeds.epoch(Purpose::Dropout, epoch));
        let mut rng = ChaCha8Rng::seed_from_u64(seeds.epoch(Purpose::Order, epoch));
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        let mut val_order: Vec<usize> = (0..validation.len()).collect();
        val_order.shuffle(&mut rng);
        let mut batches: Vec<&[usize]> = order.chunks(size).collect();
        if let Some(limit) = config.steps_per_epoch {
            batches.truncate(limit.max(1));
        }
        let bar = epoch_bar(batches.len(), epoch, config.epochs, show_progress);
        let (mut t_loss, mut v_loss) = (0.0f64, 0.0f64);
        for (step, chunk) in batches.iter().enumerate() {
            // α step on a validation batch (cycling through the validation split).
            let v: Vec<usize> =
                (0..size).map(|k| val_order[(step * size + k) % val_order.len()]).take(val_order.len()).collect();
            let logits = net.forward(validation.batch(&v, &device), &alphas, false);
            let loss = ce.forward(logits, validation.targets(&v, &device));
            v_loss += finite(f64::from(loss.clone().into_scalar::<f32>()), epoch, step, config.arch_lr)?;
            let grads = GradientsParams::from_grads(loss.backward(), &alphas);
            alphas = arch_opt.step(config.arch_lr, alphas, grads);
            // ω step on a training batch with α fixed.
            let logits = net.forward(train.batch(chunk, &device), &alphas, true);
            let loss = ce.forward(logits, train.targets(chunk, &device));
            t_loss += finite(f64::from(loss.clone().into_scalar::<f32>()), epoch, step, lr)?;
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = weight_opt.step(lr, net, grads);
            bar.set_message(format!("train {:.4} · val {:.4}", t_loss / (step + 1) as f64, v_loss / (step + 1) as f64));
            bar.inc(1);
        }
        let steps = batches.len().max(1) as f64;
        let genotype = alphas.genotype(config.net.steps).map_err(TrainError::Invalid)?;
        bar.finish_with_message(format!("train {:.4} · val {:.4}", t_loss / steps, v_loss / steps));
        history.push(SearchEpoch { train_loss: t_loss / steps, validation_loss: v_loss / steps, genotype });
    }
    let (normal_weights, reduce_weights) = alphas.weights();
    let genotype = alphas.genotype(config.net.steps).map_err(TrainError::Invalid)?;
    Ok(SearchOutcome {
        config: config.clone(),
        genotype,
        normal_weights,
        reduce_weights,
        history,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn finite(value: f64, epoch: usize, step: usize, learning_rate: f64) -> Result<f64, TrainError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(TrainError::NonFiniteLoss { value, epoch, step: step + 1, learning_rate })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaving a corpus out can leave a class with no training take (`--classes all`: boredom is EmoDB's alone);
    /// the loss must still build and weigh the present classes by inverse frequency.
    #[test]
    fn class_weights_are_inverse_frequency_and_positive_for_a_class_without_takes() {
        let set = InputSet { classes: vec![0, 0, 0, 2], inputs: vec![vec![0.0]; 4], rows: 1, cols: 1 };
        let w = set.class_weights(3);
        assert!((w[0] - 4.0 / 6.0).abs() < 1e-6 && (w[2] - 2.0).abs() < 1e-6, "{w:?}");
        assert!(w[1] > 0.0, "{w:?}");
        let device = Device::default();
        let ce = CrossEntropyLossConfig::new().with_weights(Some(w)).init(&device);
        let logits: Tensor<2> =
            Tensor::from_data(TensorData::new(vec![1.0f32, 0.0, -1.0, 0.0, 0.0, 2.0], [2, 3]), &device);
        let targets: Tensor<1, Int> = Tensor::from_data(TensorData::new(vec![0i64, 2], [2]), &device);
        let loss: f32 = crate::onnx::emit::values(ce.forward(logits, targets))[0];
        assert!(loss.is_finite(), "{loss}");
    }

    /// Two classes of 12 × 12 "spectrograms": energy in the top or the bottom half.
    pub(crate) fn toy_set(n: usize, seed: u64) -> InputSet {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (rows, cols) = (12, 12);
        let mut set = InputSet { rows, cols, ..InputSet::default() };
        for i in 0..n {
            let class = i % 2;
            let v: Vec<f32> = (0..rows * cols)
                .map(|k| {
                    let top = (k % cols) < cols / 2;
                    let on = if class == 0 { top } else { !top };
                    f32::from(u8::from(on)) + rng.random_range(-0.3..0.3)
                })
                .collect();
            set.inputs.push(v);
            set.classes.push(class);
        }
        set
    }

    #[test]
    fn a_few_search_steps_move_alpha_and_derive_a_valid_genotype() {
        let _guard = crate::train::TRAINING_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut config = SearchConfig::paper(2);
        config.net = NasConfig { layers: 3, channels: 4, steps: 4, classes: 2, stem_stride: 1 };
        config.epochs = 2;
        config.batch_size = 4;
        config.steps_per_epoch = Some(3);
        config.arch_lr = 3e-2;
        let (train, val) = (toy_set(12, 1), toy_set(8, 2));
        let outcome = search(&config, &train, &val, false).unwrap();
        outcome.genotype.validate().unwrap();
        let uniform = 1.0 / 8.0;
        let moved = outcome
            .normal_weights
            .iter()
            .chain(&outcome.reduce_weights)
            .flatten()
            .map(|w| (w - uniform).abs())
            .fold(0.0f32, f32::max);
        assert!(moved > 1e-3, "α should move away from uniform; largest change {moved}");
        assert_eq!(outcome.history.len(), 2);
        assert!(outcome.history.iter().all(|e| e.train_loss.is_finite() && e.validation_loss.is_finite()));
    }

    #[test]
    fn cosine_schedule_runs_from_max_to_min() {
        assert!((cosine_lr(0.025, 0.001, 0, 50) - 0.025).abs() < 1e-12);
        assert!(cosine_lr(0.025, 0.001, 49, 50) < 0.0011);
        assert!((cosine_lr(0.025, 0.001, 25, 50) - 0.013).abs() < 1e-9);
    }
}
