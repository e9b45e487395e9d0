//! Training the frame stream with Adam, keeping the epoch with the lowest validation loss, and choosing the
//! recurrent cell by that loss.

use std::collections::BTreeMap;

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::AdamConfig;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::corpus_head::{WithCorpusHead, ramped_strength};
use super::stream::{FrameStream, FrameStreamConfig, RecurrentCell};
use crate::onnx::emit;
use crate::train::{
    FitConfig, FitRun, FitState, FoldId, Keep, Objective, Resumable, Schedule, Seeds, Stage, TrainError, Validation,
    fit, init_device,
};

/// How to train the frame stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameTraining {
    /// Epochs (the paper: 50).
    pub epochs: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Adam's learning rate (the paper: 1e-3).
    pub learning_rate: f64,
    /// Seed of initial weights and data order.
    pub seed: u64,
    /// Strength of the corpus adversary (0: none; see [`super::corpus_head`]). Left out of the fold store's key
    /// when 0, so runs made before the option keep their folds.
    #[serde(default, skip_serializing_if = "unused")]
    pub corpus_adversary: f32,
    /// Weight of the corpus as an auxiliary target (0: none; see [`super::corpus_head`]); exclusive with the
    /// adversary. Left out of the key when 0, as the adversary.
    #[serde(default, skip_serializing_if = "unused")]
    pub corpus_auxiliary: f32,
}

fn unused(strength: &f32) -> bool {
    *strength == 0.0
}

impl Default for FrameTraining {
    fn default() -> Self {
        Self { epochs: 50, batch_size: 32, learning_rate: 1e-3, seed: 0, corpus_adversary: 0.0, corpus_auxiliary: 0.0 }
    }
}

impl FrameTraining {
    /// Whether a corpus head trains beside the stream.
    fn corpus_head(&self) -> bool {
        self.corpus_adversary > 0.0 || self.corpus_auxiliary > 0.0
    }

    /// The strength [`WithCorpusHead::forward`] gets at `progress` (0 … 1) of training: the adversary's, ramped
    /// ([`ramped_strength`]); the auxiliary target's weight, negated and constant (its gradient helps from the
    /// first step, so nothing needs to hold it back).
    pub fn corpus_strength(&self, progress: f64) -> f32 {
        if self.corpus_adversary > 0.0 {
            ramped_strength(self.corpus_adversary, progress)
        } else {
            -self.corpus_auxiliary
        }
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameEpoch {
    /// Mean training cross-entropy.
    pub loss: f64,
    /// Mean validation cross-entropy.
    pub validation_loss: f64,
}

/// A trained stream and how it got there.
#[derive(Debug)]
pub struct FrameRun {
    /// The weights of the epoch with the lowest validation loss (no autodiff).
    pub stream: FrameStream,
    /// Every epoch's figures.
    pub history: Vec<FrameEpoch>,
    /// The kept epoch (1-based).
    pub best_epoch: usize,
    /// Its validation loss.
    pub validation_loss: f64,
}

/// Labelled sequences (`T × D` frames, class); sequences may differ in length.
pub type Sequences = [(Array2<f32>, usize)];

/// Batches of equal-length sequences: recurrent layers take no mask, so a batch never mixes lengths (with
/// [`MelProsody`] every sequence has [`POOLED_FRAMES`](super::input::POOLED_FRAMES) steps and this is plain chunking).
pub(super) fn batches(items: &Sequences, size: usize, rng: Option<&mut ChaCha8Rng>) -> Vec<Vec<usize>> {
    let mut by_length: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, (frames, _)) in items.iter().enumerate() {
        by_length.entry(frames.nrows()).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    match rng {
        Some(rng) => {
            for group in by_length.values_mut() {
                group.shuffle(rng);
                out.extend(group.chunks(size.max(1)).map(<[usize]>::to_vec));
            }
            out.shuffle(rng);
        }
        None => by_length.values().for_each(|group| out.extend(group.chunks(size.max(1)).map(<[usize]>::to_vec))),
    }
    out
}

fn batch_tensor(items: &Sequences, batch: &[usize], device: &Device) -> (Tensor<3>, Tensor<1, Int>) {
    let (time, features) = items[batch[0]].0.dim();
    let data: Vec<f32> = batch.iter().flat_map(|&i| items[i].0.iter().copied()).collect();
    let targets: Vec<i64> = batch.iter().map(|&i| items[i].1 as i64).collect();
    (
        Tensor::from_data(TensorData::new(data, [batch.len(), time, features]), device),
        Tensor::from_data(TensorData::new(targets, [batch.len()]), device),
    )
}

/// Mean cross-entropy of `stream` (no autodiff) over `items`.
pub fn frame_loss(stream: &FrameStream, items: &Sequences, batch_size: usize) -> f64 {
    let device = Device::default();
    let (mut total, mut count) = (0.0f64, 0usize);
    for batch in batches(items, batch_size, None) {
        let (x, _) = batch_tensor(items, &batch, &device);
        let log_p = emit::values(log_softmax(stream.forward(x), 1));
        let classes = log_p.len() / batch.len();
        for (row, &i) in log_p.chunks_exact(classes).zip(&batch) {
            total -= f64::from(row[items[i].1]);
            count += 1;
        }
    }
    total / count.max(1) as f64
}

/// Class probabilities of every sequence, in `items` order, without autodiff.
pub fn stream_probabilities(stream: &FrameStream, items: &Sequences, batch_size: usize) -> Vec<Vec<f32>> {
    let device = Device::default();
    let mut out = vec![Vec::new(); items.len()];
    for batch in batches(items, batch_size, None) {
        let (x, _) = batch_tensor(items, &batch, &device);
        let p = emit::values(stream.probabilities(x));
        let classes = p.len() / batch.len();
        for (row, &i) in p.chunks_exact(classes).zip(&batch) {
            out[i] = row.to_vec();
        }
    }
    out
}

fn check_sequences(config: &FrameStreamConfig, items: &Sequences, what: &str) -> Result<(), TrainError> {
    if items.is_empty() {
        return Err(TrainError::Invalid(format!("the frame stream needs {what} sequences")));
    }
    for (frames, class) in items {
        if frames.ncols() != config.input || frames.nrows() == 0 {
            return Err(TrainError::Invalid(format!(
                "a {what} sequence of {:?} frames × features for a stream over {} features",
                frames.dim(),
                config.input
            )));
        }
        if *class >= config.classes {
            return Err(TrainError::Invalid(format!("{what} class {class} of {} classes", config.classes)));
        }
    }
    Ok(())
}

/// A frame stream's training takes and how each counts.
#[derive(Debug, Clone, Copy)]
pub struct TrainingTakes<'a> {
    /// The labelled sequences.
    pub sequences: &'a Sequences,
    /// Each sequence's loss weight (e.g. [`corpus_class_weights`](crate::vocal::data::corpus_class_weights);
    /// mean 1), or every take alike.
    pub weights: Option<&'a [f32]>,
    /// Each sequence's corpus (`0..n`), which a corpus head ([`FrameTraining::corpus_adversary`],
    /// [`FrameTraining::corpus_auxiliary`]) needs.
    pub corpora: Option<&'a [usize]>,
}

impl<'a> TrainingTakes<'a> {
    /// Every take alike, no corpora.
    pub fn plain(sequences: &'a Sequences) -> Self {
        Self { sequences, weights: None, corpora: None }
    }

    fn check(&self) -> Result<(), TrainError> {
        let n = self.sequences.len();
        if let Some(w) = self.weights
            && (w.len() != n || w.iter().any(|w| !w.is_finite() || *w < 0.0))
        {
            return Err(TrainError::Invalid(format!(
                "{} training weights for {n} training sequences (each finite and at least 0)",
                w.len()
            )));
        }
        if let Some(c) = self.corpora
            && c.len() != n
        {
            return Err(TrainError::Invalid(format!("{} corpus labels for {n} training sequences", c.len())));
        }
        Ok(())
    }
}

/// The frame stream's objective: cross-entropy over length-grouped batches (each sequence's term scaled by its
/// weight when weights are given); validation by the plain validation loss.
struct FrameObjective<'a> {
    train: TrainingTakes<'a>,
    validation: &'a Sequences,
    batch_size: usize,
    ce: CrossEntropyLoss,
}

/// Mean over the batch of `weight × −log p(class)`: with weights of mean 1 over the training set, an epoch's
/// expected loss is the weighted training loss, as if sequences were drawn in proportion to their weights.
fn weighted_cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>, weights: Tensor<1>) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let picked: Tensor<1> = log_softmax(logits, 1).gather(1, targets.reshape([batch, 1])).reshape([batch]);
    (picked * weights).sum().neg().div_scalar(batch as f32)
}

impl FrameObjective<'_> {
    /// The emotion loss of a batch's logits.
    fn emotion_loss(&self, logits: Tensor<2>, targets: Tensor<1, Int>, batch: &[usize], device: &Device) -> Tensor<1> {
        match self.train.weights {
            None => self.ce.forward(logits, targets),
            Some(weights) => {
                let w: Vec<f32> = batch.iter().map(|&i| weights[i]).collect();
                weighted_cross_entropy(logits, targets, Tensor::from_data(TensorData::new(w, [batch.len()]), device))
            }
        }
    }

    /// Sequences of one length per batch (no padding), shuffled within and across lengths.
    fn length_batches(&self, order_seed: u64, batch_size: usize) -> Vec<Vec<usize>> {
        batches(self.train.sequences, batch_size, Some(&mut ChaCha8Rng::seed_from_u64(order_seed)))
    }

    fn validation(&self, stream: &FrameStream) -> Validation {
        let loss = frame_loss(stream, self.validation, self.batch_size);
        Validation { score: (-loss, 0.0), loss: Some(loss), summary: format!("validation loss {loss:.4}") }
    }
}

impl Objective<FrameStream> for FrameObjective<'_> {
    fn train_len(&self) -> usize {
        self.train.sequences.len()
    }

    fn batches(&mut self, order_seed: u64, batch_size: usize) -> Vec<Vec<usize>> {
        self.length_batches(order_seed, batch_size)
    }

    fn loss(&mut self, stream: &FrameStream, batch: &[usize], device: &Device) -> Tensor<1> {
        let (x, targets) = batch_tensor(self.train.sequences, batch, device);
        self.emotion_loss(stream.forward(x), targets, batch, device)
    }

    fn validate(&mut self, stream: &FrameStream, _training_loss: f64) -> Validation {
        self.validation(stream)
    }
}

/// The emotion objective plus the corpus head's cross-entropy (its gradient into the stream reversed or passed on,
/// with the epoch's [`FrameTraining::corpus_strength`]); validation and the kept epoch by the emotion's validation
/// loss alone.
struct CorpusObjective<'a> {
    emotion: FrameObjective<'a>,
    corpora: &'a [usize],
    training: &'a FrameTraining,
    strength: f32,
}

impl Objective<WithCorpusHead> for CorpusObjective<'_> {
    fn train_len(&self) -> usize {
        self.emotion.train.sequences.len()
    }

    fn batches(&mut self, order_seed: u64, batch_size: usize) -> Vec<Vec<usize>> {
        self.emotion.length_batches(order_seed, batch_size)
    }

    fn start_epoch(&mut self, epoch: usize, _augment_seed: u64) {
        self.strength = self.training.corpus_strength((epoch - 1) as f64 / self.training.epochs.max(1) as f64);
    }

    fn loss(&mut self, model: &WithCorpusHead, batch: &[usize], device: &Device) -> Tensor<1> {
        let (x, targets) = batch_tensor(self.emotion.train.sequences, batch, device);
        let (logits, corpus_logits) = model.forward(x, self.strength);
        let corpora: Vec<i64> = batch.iter().map(|&i| self.corpora[i] as i64).collect();
        let corpora = Tensor::from_data(TensorData::new(corpora, [batch.len()]), device);
        self.emotion.emotion_loss(logits, targets, batch, device) + self.emotion.ce.forward(corpus_logits, corpora)
    }

    fn validate(&mut self, model: &WithCorpusHead, _training_loss: f64) -> Validation {
        self.emotion.validation(&model.stream)
    }
}

/// Trains a [`FrameStream`] with Adam on `train` and keeps the epoch with the lowest loss on `validation`; with
/// [`FrameTraining::corpus_adversary`] or [`FrameTraining::corpus_auxiliary`] above 0, beside a corpus head
/// ([`super::corpus_head`]).
pub fn train_frame_stream(
    config: &FrameStreamConfig,
    train: TrainingTakes<'_>,
    validation: &Sequences,
    training: &FrameTraining,
    show_progress: bool,
    checkpoint: Option<&Resumable>,
) -> Result<FrameRun, TrainError> {
    config.validate().map_err(TrainError::Invalid)?;
    check_sequences(config, train.sequences, "training")?;
    check_sequences(config, validation, "validation")?;
    train.check()?;
    let seeds = Seeds::new(training.seed, Stage::VocalFrames, FoldId::Cv(0));
    let device = init_device(&seeds);
    let stream = config.init(&device).map_err(TrainError::Invalid)?;
    let emotion = FrameObjective {
        train,
        validation,
        batch_size: training.batch_size,
        ce: CrossEntropyLossConfig::new().init(&device),
    };
    // Every epoch runs; the one with the lowest validation loss is kept (the paper's choice of the cell too).
    let fit_config = FitConfig {
        epochs: training.epochs,
        batch_size: training.batch_size,
        learning_rate: training.learning_rate,
        patience: usize::MAX,
        schedule: Schedule::Constant,
        keep: Keep::Best,
    };
    let run = FitRun::new(seeds, show_progress).resuming(checkpoint);
    if training.corpus_adversary < 0.0 || training.corpus_auxiliary < 0.0 {
        return Err(TrainError::Invalid(
            "the corpus adversary's strength and the auxiliary's weight are 0 or more".into(),
        ));
    }
    if training.corpus_adversary > 0.0 && training.corpus_auxiliary > 0.0 {
        return Err(TrainError::Invalid(
            "the corpus can be an adversary or an auxiliary target, not both: set one of the two to 0".into(),
        ));
    }
    if training.corpus_head() {
        let corpora = train
            .corpora
            .ok_or_else(|| TrainError::Invalid("the corpus head needs each training take's corpus".into()))?;
        let count = corpora.iter().max().map_or(0, |&c| c + 1);
        if (0..count).filter(|c| corpora.contains(c)).count() < 2 {
            return Err(TrainError::Invalid("the corpus head needs training takes of two corpora or more".into()));
        }
        let model = WithCorpusHead::new(stream, count, &device);
        let mut objective = CorpusObjective { emotion, corpora, training, strength: 0.0 };
        let fitted = fit(model, AdamConfig::new().init(), &mut objective, &fit_config, &run)?;
        return Ok(frame_run(fitted.state, fitted.model.stream));
    }
    let mut objective = emotion;
    let fitted = fit(stream, AdamConfig::new().init(), &mut objective, &fit_config, &run)?;
    Ok(frame_run(fitted.state, fitted.model))
}

fn frame_run(state: FitState, stream: FrameStream) -> FrameRun {
    let history = state
        .history
        .iter()
        .map(|e| FrameEpoch { loss: e.loss, validation_loss: e.validation_loss.unwrap_or(f64::NAN) })
        .collect();
    let validation_loss = state.best_score.map_or(f64::NAN, |s| -s.0);
    FrameRun { stream, history, best_epoch: state.best_epoch, validation_loss }
}

/// The outcome of [`choose_cell`].
#[derive(Debug)]
pub struct CellChoice {
    /// The cell with the lowest validation loss (the first on a tie).
    pub cell: RecurrentCell,
    /// Its training run.
    pub run: FrameRun,
    /// Every candidate's best validation loss, in the order tried (for the report).
    pub candidates: Vec<(RecurrentCell, f64)>,
}

/// Trains one stream per cell of `cells` (`config.cell` is overridden) and keeps the one with the lowest
/// validation loss, as the paper chose its recurrent cell; each cell's fit checkpoints as a stage of `checkpoint`.
pub fn choose_cell(
    config: &FrameStreamConfig,
    cells: &[RecurrentCell],
    (train, validation): (TrainingTakes<'_>, &Sequences),
    training: &FrameTraining,
    show_progress: bool,
    checkpoint: Option<&Resumable>,
) -> Result<CellChoice, TrainError> {
    let mut best: Option<(RecurrentCell, FrameRun)> = None;
    let mut candidates = Vec::with_capacity(cells.len());
    for &cell in cells {
        let stage = checkpoint.map(|c| c.stage(&format!("frames-{}", cell.label().to_lowercase())));
        let run = train_frame_stream(
            &FrameStreamConfig { cell, ..config.clone() },
            train,
            validation,
            training,
            show_progress,
            stage.as_ref(),
        )?;
        candidates.push((cell, run.validation_loss));
        if best.as_ref().is_none_or(|(_, b)| run.validation_loss < b.validation_loss) {
            best = Some((cell, run));
        }
    }
    let (cell, run) = best.ok_or_else(|| TrainError::Invalid("no recurrent cell to choose from".into()))?;
    Ok(CellChoice { cell, run, candidates })
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Int, Tensor, TensorData};

    use super::*;

    fn logits_and_targets(device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let logits = Tensor::from_data(TensorData::new(vec![2.0f32, -1.0, 0.5, 0.3, -0.7, 1.2], [3, 2]), device);
        (logits, Tensor::from_data(TensorData::new(vec![0i64, 1, 1], [3]), device))
    }

    /// A run's fold store keys its folds by the serialised settings: runs made before the corpus head existed
    /// keep their folds only if the default leaves the key as it was.
    #[test]
    fn the_corpus_head_enters_the_settings_only_when_used() {
        let plain = serde_json::to_string(&FrameTraining::default()).unwrap();
        assert!(!plain.contains("corpus_"), "{plain}");
        let used = serde_json::to_string(&FrameTraining { corpus_adversary: 0.5, ..FrameTraining::default() }).unwrap();
        assert!(used.contains("\"corpus_adversary\":0.5") && !used.contains("auxiliary"), "{used}");
        let used = serde_json::to_string(&FrameTraining { corpus_auxiliary: 0.3, ..FrameTraining::default() }).unwrap();
        assert!(used.contains("\"corpus_auxiliary\":0.3") && !used.contains("adversary"), "{used}");
        let back: FrameTraining = serde_json::from_str(&plain).unwrap();
        assert_eq!(back, FrameTraining::default());
    }

    #[test]
    fn the_adversary_ramps_up_reversed_and_the_auxiliary_passes_on_at_its_weight_from_the_start() {
        let adversary = FrameTraining { corpus_adversary: 0.5, ..FrameTraining::default() };
        assert_eq!(adversary.corpus_strength(0.0), 0.0);
        assert!((adversary.corpus_strength(1.0) - 0.5).abs() < 1e-3);
        let auxiliary = FrameTraining { corpus_auxiliary: 0.3, ..FrameTraining::default() };
        assert_eq!(auxiliary.corpus_strength(0.0), -0.3);
        assert_eq!(auxiliary.corpus_strength(1.0), -0.3);
    }

    #[test]
    fn weighted_cross_entropy_is_the_plain_one_at_unit_weights_and_scales_each_term() {
        let device = Device::default();
        let (logits, targets) = logits_and_targets(&device);
        let plain = emit::values(CrossEntropyLossConfig::new().init(&device).forward(logits.clone(), targets.clone()));
        let ones = Tensor::from_data(TensorData::new(vec![1.0f32; 3], [3]), &device);
        let unit = emit::values(weighted_cross_entropy(logits.clone(), targets.clone(), ones));
        assert!((plain[0] - unit[0]).abs() < 1e-6, "{plain:?} {unit:?}");
        // By hand: −log softmax of each row's target, weighted 2, 0, 1, over a batch of 3.
        let nll = |a: f32, b: f32| (a.exp() + b.exp()).ln() - b;
        let expected = (2.0 * nll(-1.0, 2.0) + 0.0 * nll(0.5, 0.3) + nll(-0.7, 1.2)) / 3.0;
        let w = Tensor::from_data(TensorData::new(vec![2.0f32, 0.0, 1.0], [3]), &device);
        let weighted = emit::values(weighted_cross_entropy(logits, targets, w));
        assert!((weighted[0] - expected).abs() < 1e-5, "{weighted:?} against {expected}");
    }
}
