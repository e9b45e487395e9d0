//! Stage one: pre-training the masked convolutional autoencoder on segments (no labels needed).
//!
//! Each training segment is masked with SpecAugment and the network must reconstruct the unmasked segment;
//! the loss is Huber (δ = 1) plus an L2 penalty on the first conv's activations (the paper's activity
//! regulariser), optimised with Adam, with early stopping on a held-out set (patience 10 by default). The
//! held-out masks are fixed, so validation losses of different epochs compare like with like.
//!
//! Every epoch's randomness (data order, masks, burn's own RNG) is derived from the seed and the epoch number,
//! and a checkpoint is written atomically after each epoch: `resume` continues an interrupted run and ends with
//! the same weights an uninterrupted run would have. burn seeds its CPU backend process-wide, so this holds for
//! one training at a time per process (the CLI's case; the tests take turns).

use std::path::Path;

use burn::nn::loss::{HuberLossConfig, Reduction};
use burn::optim::AdamConfig;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::model::{Autoencoder, AutoencoderConfig};
use super::segments::SpecAugment;
use crate::train::{
    FitConfig, FitRun, FitState, FoldId, Keep, Objective, Purpose, Schedule, Seeds, Stage, TrainError, Validation, fit,
    init_device,
};

/// Segments stored back to back (`len × frames × mels`, row-major), the layout a batch tensor wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentSet {
    /// Frames per segment.
    pub frames: usize,
    /// Mels per frame.
    pub mels: usize,
    /// The values.
    pub data: Vec<f32>,
}

impl SegmentSet {
    /// An empty set of `frames × mels` segments.
    pub fn new(frames: usize, mels: usize) -> Self {
        Self { frames, mels, data: Vec::new() }
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.data.len() / (self.frames * self.mels).max(1)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Segment `i`.
    pub fn segment(&self, i: usize) -> &[f32] {
        let n = self.frames * self.mels;
        &self.data[i * n..(i + 1) * n]
    }

    /// Appends one segment (`frames × mels` values).
    pub fn push(&mut self, segment: &[f32]) {
        assert_eq!(segment.len(), self.frames * self.mels, "segment size");
        self.data.extend_from_slice(segment);
    }

    /// `indices` as a `[batch, 1, frames, mels]` tensor.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let mut values = Vec::with_capacity(indices.len() * self.frames * self.mels);
        indices.iter().for_each(|&i| values.extend_from_slice(self.segment(i)));
        Tensor::from_data(TensorData::new(values, [indices.len(), 1, self.frames, self.mels]), device)
    }
}

/// How to pre-train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainConfig {
    /// Network shape.
    pub network: AutoencoderConfig,
    /// Most epochs to run.
    pub epochs: usize,
    /// Segments per step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Weight of the L2 penalty on the first conv's activations (mean of squares).
    pub activity_l2: f64,
    /// Epochs without a better validation loss before stopping (the paper: 10).
    pub patience: usize,
    /// Masking.
    pub mask: SpecAugment,
    /// Seed of everything random.
    pub seed: u64,
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss (Huber + penalty).
    pub train_loss: f64,
    /// Validation loss (Huber + penalty) on fixed masks.
    pub validation_loss: f64,
    /// Wall time of the epoch.
    pub seconds: f64,
}

/// What a pre-training run has done so far: the checkpoint's JSON part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainState {
    /// The configuration (a resumed run must match it).
    pub config: PretrainConfig,
    /// Epochs completed.
    pub epochs_done: usize,
    /// Best validation loss so far.
    pub best_loss: f64,
    /// Epoch of the best loss.
    pub best_epoch: usize,
    /// Epochs since the best loss.
    pub stale_epochs: usize,
    /// Per-epoch figures.
    pub history: Vec<EpochRecord>,
}

impl PretrainState {
    /// True when early stopping has triggered or all epochs ran.
    pub fn finished(&self) -> bool {
        self.epochs_done >= self.config.epochs || self.stale_epochs >= self.config.patience
    }

    /// The pre-training view of a fit's state.
    fn of(config: &PretrainConfig, fit: &FitState) -> Self {
        Self {
            config: config.clone(),
            epochs_done: fit.epochs_done,
            best_loss: fit.best_score.map_or(f64::INFINITY, |s| -s.0),
            best_epoch: fit.best_epoch,
            stale_epochs: fit.stale,
            history: fit
                .history
                .iter()
                .map(|e| EpochRecord {
                    epoch: e.epoch,
                    train_loss: e.loss,
                    validation_loss: e.validation_loss.unwrap_or(f64::NAN),
                    seconds: e.seconds,
                })
                .collect(),
        }
    }
}

fn masked_batch(
    set: &SegmentSet,
    indices: &[usize],
    mask: &SpecAugment,
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> (Tensor<4>, Tensor<4>) {
    let (frames, mels) = (set.frames, set.mels);
    let mut masked = Vec::with_capacity(indices.len() * frames * mels);
    for &i in indices {
        let start = masked.len();
        masked.extend_from_slice(set.segment(i));
        mask.apply(&mut masked[start..], frames, mels, rng);
    }
    let input = Tensor::from_data(TensorData::new(masked, [indices.len(), 1, frames, mels]), device);
    (input, set.batch(indices, device))
}

fn loss(model: &Autoencoder, input: Tensor<4>, target: Tensor<4>, l2: f64) -> Tensor<1> {
    let (reconstruction, first) = model.forward(input);
    let huber = HuberLossConfig::new(1.0).init().forward(reconstruction, target, Reduction::Mean);
    huber + first.powi_scalar(2).mean().mul_scalar(l2)
}

/// Validation loss on fixed masks, without autodiff.
fn validation_loss(model: &Autoencoder, set: &SegmentSet, config: &PretrainConfig, seeds: &Seeds) -> f64 {
    let device = &Device::default();
    let mut rng = ChaCha8Rng::seed_from_u64(seeds.once(Purpose::ValidationAugment));
    let indices: Vec<usize> = (0..set.len()).collect();
    let (mut total, mut count) = (0.0, 0);
    for chunk in indices.chunks(config.batch_size.max(1)) {
        let (input, target) = masked_batch(set, chunk, &config.mask, &mut rng, device);
        let l = loss(model, input, target, config.activity_l2).into_scalar::<f32>();
        total += f64::from(l) * chunk.len() as f64;
        count += chunk.len();
    }
    total / count.max(1) as f64
}

/// The autoencoder's objective: reconstruct masked training segments (masks drawn per epoch); validation on the
/// fixed masks of the validation segments.
struct Reconstruction<'a> {
    config: &'a PretrainConfig,
    train: &'a SegmentSet,
    validation: &'a SegmentSet,
    seeds: Seeds,
    masks: ChaCha8Rng,
}

impl Objective<Autoencoder> for Reconstruction<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn start_epoch(&mut self, _epoch: usize, augment_seed: u64) {
        self.masks = ChaCha8Rng::seed_from_u64(augment_seed);
    }

    fn loss(&mut self, model: &Autoencoder, batch: &[usize], device: &Device) -> Tensor<1> {
        let (input, target) = masked_batch(self.train, batch, &self.config.mask, &mut self.masks, device);
        loss(model, input, target, self.config.activity_l2)
    }

    fn validate(&mut self, model: &Autoencoder, _training_loss: f64) -> Validation {
        let loss = validation_loss(model, self.validation, self.config, &self.seeds);
        Validation { score: (-loss, 0.0), loss: Some(loss), summary: format!("validation {loss:.5}") }
    }
}

/// Pre-trains (or resumes pre-training of) the autoencoder and returns the best weights with the run's record.
///
/// `checkpoint`: where to write the state after every epoch; with `resume`, an existing checkpoint there is
/// continued (it must have the same configuration). `stop_after` ends this call after that many epochs in total
/// (a time-boxed session; resume later), without marking the run finished.
pub fn pretrain(
    config: &PretrainConfig,
    train: &SegmentSet,
    validation: &SegmentSet,
    checkpoint: Option<&Path>,
    resume: bool,
    stop_after: Option<usize>,
    show_progress: bool,
) -> Result<(Autoencoder, PretrainState), TrainError> {
    config.network.validate().map_err(TrainError::Invalid)?;
    if train.is_empty() || validation.is_empty() {
        return Err(TrainError::Invalid(format!(
            "pre-training needs segments to train and validate on; got {} and {}",
            train.len(),
            validation.len()
        )));
    }
    let seeds = Seeds::new(config.seed, Stage::EmotionAutoencoder, FoldId::Cv(0));
    let model = config.network.init(&init_device(&seeds));
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: config.batch_size.max(1),
        learning_rate: config.learning_rate,
        patience: config.patience,
        schedule: Schedule::Constant,
        keep: Keep::Best,
    };
    let run = FitRun {
        checkpoint,
        resume,
        stop_after,
        fingerprint: serde_json::to_string(config).unwrap_or_default(),
        ..FitRun::new(seeds, show_progress)
    };
    let mut objective = Reconstruction { config, train, validation, seeds, masks: ChaCha8Rng::seed_from_u64(0) };
    let fitted = fit(model, AdamConfig::new().init(), &mut objective, &fit_config, &run)?;
    Ok((fitted.model, PretrainState::of(config, &fitted.state)))
}
