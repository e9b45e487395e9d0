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
use std::time::Instant;

use burn::module::Module;
use burn::nn::loss::{HuberLossConfig, Reduction};
use burn::optim::{AdamConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::model::{Autoencoder, AutoencoderConfig};
use super::segments::SpecAugment;
use crate::checkpoint::{Checkpoint, CheckpointError};

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
    fn new(config: PretrainConfig) -> Self {
        Self { config, epochs_done: 0, best_loss: f64::INFINITY, best_epoch: 0, stale_epochs: 0, history: Vec::new() }
    }

    /// True when early stopping has triggered or all epochs ran.
    pub fn finished(&self) -> bool {
        self.epochs_done >= self.config.epochs || self.stale_epochs >= self.config.patience
    }
}

/// Why pre-training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Checkpoint I/O.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A checkpoint from a different configuration.
    #[error(
        "the checkpoint at {path} was written with another configuration; start without --resume or use the same options\n  checkpoint: {saved}\n  now:        {now}"
    )]
    ConfigMismatch {
        /// The checkpoint.
        path: String,
        /// Its configuration.
        saved: String,
        /// The requested one.
        now: String,
    },
    /// Model or optimizer records that do not load.
    #[error("checkpoint record: {0}")]
    Record(String),
    /// Not enough data or a bad configuration.
    #[error("{0}")]
    Invalid(String),
}

/// A seed for one purpose in one epoch, so nothing depends on how many random numbers came before.
pub fn derive_seed(seed: u64, purpose: u64, epoch: u64) -> u64 {
    let mut x = seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ epoch.wrapping_mul(0xD1B5_4A32_D192_ED03);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

const PURPOSE_ORDER: u64 = 1;
const PURPOSE_MASK: u64 = 2;
const PURPOSE_BURN: u64 = 3;
const PURPOSE_INIT: u64 = 4;
const PURPOSE_VALIDATION_MASK: u64 = 5;

/// A progress bar with loss in its message, or a hidden one.
pub fn epoch_bar(steps: usize, epoch: usize, epochs: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    ProgressBar::new(steps as u64)
        .with_style(
            ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} {elapsed_precise}<{eta_precise} {msg}")
                .expect("static template"),
        )
        .with_prefix(format!("{epoch}/{epochs}"))
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

fn to_bytes<M: Module>(module: M) -> Result<Vec<u8>, TrainError> {
    module.into_record().into_bytes().map(|b| b.to_vec()).map_err(|e| TrainError::Record(e.to_string()))
}

fn load<M: Module>(module: M, bytes: &[u8]) -> Result<M, TrainError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| TrainError::Record(e.to_string()))?;
    module.try_load_record(record).map_err(|e| TrainError::Record(e.to_string()))
}

/// Validation loss on fixed masks, without autodiff.
fn validation_loss(model: &Autoencoder, set: &SegmentSet, config: &PretrainConfig, device: &Device) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(config.seed, PURPOSE_VALIDATION_MASK, 0));
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
    let device = Device::default().autodiff();
    device.seed(derive_seed(config.seed, PURPOSE_INIT, 0));
    let mut model = config.network.init(&device);
    let mut optimizer = AdamConfig::new().init();
    let mut state = PretrainState::new(config.clone());
    let mut best: Option<Vec<u8>> = None;

    if let (Some(path), true) = (checkpoint, resume)
        && path.exists()
    {
        let saved: Checkpoint<PretrainState> = Checkpoint::load(path)?;
        if saved.state.config != *config {
            return Err(TrainError::ConfigMismatch {
                path: path.display().to_string(),
                saved: serde_json::to_string(&saved.state.config).unwrap_or_default(),
                now: serde_json::to_string(config).unwrap_or_default(),
            });
        }
        let blob = |name: &str| {
            saved.blob(name).ok_or_else(|| TrainError::Record(format!("the checkpoint has no `{name}` record")))
        };
        model = load(model, blob("model")?)?;
        optimizer = optimizer
            .from_bytes(Bytes::from_bytes_vec(blob("optimizer")?.to_vec()))
            .map_err(|e| TrainError::Record(e.to_string()))?;
        best = saved.blob("best").map(<[u8]>::to_vec);
        state = saved.state;
    }

    let steps = train.len().div_ceil(config.batch_size.max(1));
    while !state.finished() && stop_after.is_none_or(|n| state.epochs_done < n) {
        let epoch = state.epochs_done + 1;
        let started = Instant::now();
        device.seed(derive_seed(config.seed, PURPOSE_BURN, epoch as u64));
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(derive_seed(config.seed, PURPOSE_ORDER, epoch as u64)));
        let mut mask_rng = ChaCha8Rng::seed_from_u64(derive_seed(config.seed, PURPOSE_MASK, epoch as u64));
        let bar = epoch_bar(steps, epoch, config.epochs, show_progress);
        let (mut total, mut seen) = (0.0f64, 0usize);
        for chunk in order.chunks(config.batch_size.max(1)) {
            let (input, target) = masked_batch(train, chunk, &config.mask, &mut mask_rng, &device);
            let l = loss(&model, input, target, config.activity_l2);
            let value = l.clone().into_scalar::<f32>();
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            total += f64::from(value) * chunk.len() as f64;
            seen += chunk.len();
            bar.set_message(format!("loss {:.5}", total / seen as f64));
            bar.inc(1);
        }
        let validation_loss = validation_loss(&model.valid(), validation, config, &Device::default());
        bar.finish_with_message(format!("loss {:.5} · validation {validation_loss:.5}", total / seen.max(1) as f64));
        state.history.push(EpochRecord {
            epoch,
            train_loss: total / seen.max(1) as f64,
            validation_loss,
            seconds: started.elapsed().as_secs_f64(),
        });
        state.epochs_done = epoch;
        if validation_loss < state.best_loss {
            state.best_loss = validation_loss;
            state.best_epoch = epoch;
            state.stale_epochs = 0;
            best = Some(to_bytes(model.valid())?);
        } else {
            state.stale_epochs += 1;
        }
        if let Some(path) = checkpoint {
            let mut blobs = vec![
                ("model".to_string(), to_bytes(model.clone())?),
                (
                    "optimizer".to_string(),
                    optimizer.into_bytes().map(|b| b.to_vec()).map_err(|e| TrainError::Record(e.to_string()))?,
                ),
            ];
            if let Some(best) = &best {
                blobs.push(("best".to_string(), best.clone()));
            }
            Checkpoint { state: state.clone(), blobs }.save(path)?;
        }
    }
    let plain = Device::default();
    let final_model = match &best {
        Some(bytes) => load(config.network.init(&plain), bytes)?,
        None => model.valid(),
    };
    Ok((final_model, state))
}
