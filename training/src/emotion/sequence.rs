//! Stage two: the BiLSTM heads over a track's segment embeddings, the jointly trained baseline, and their
//! cross-validated evaluation.
//!
//! Each excerpt (a track or clip with one static valence/arousal annotation) is a sequence of segments. High and
//! low are decided per fold from the *training* excerpts' labels (2-means midpoint), so the test fold never leaks
//! into the thresholds. Early stopping uses a validation set of whole groups carved out of the training folds.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::model::{ConvEncoder, EmotionHead, HeadConfig, JointModel};
use super::pretrain::SegmentSet;
use super::thresholds::two_means_threshold;
use crate::data::Fold;
use crate::metrics::{Confusion, argmax};
use crate::train::{
    FitConfig, FitRun, FoldId, Keep, Objective, Schedule, Seeds, Stage, TrainError, Validation, epoch_bar, fit,
    init_device,
};

/// One annotated excerpt: its segments are `start..start + count` of the segment set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excerpt {
    /// File name, for reports.
    pub name: String,
    /// Group key (track, piece): never split across train and test.
    pub group: String,
    /// Continuous valence label.
    pub valence: f32,
    /// Continuous arousal label.
    pub arousal: f32,
    /// First segment index.
    pub start: usize,
    /// Number of segments.
    pub count: usize,
}

/// Thresholds turning continuous labels into high (1) / low (0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Valence threshold.
    pub valence: f32,
    /// Arousal threshold.
    pub arousal: f32,
}

impl Thresholds {
    /// 2-means midpoints of the given excerpts' labels.
    pub fn fit(excerpts: &[Excerpt], indices: &[usize]) -> Result<Self, TrainError> {
        let labels = |f: fn(&Excerpt) -> f32| indices.iter().map(|&i| f(&excerpts[i])).collect::<Vec<_>>();
        let fit = |values: Vec<f32>, what: &str| {
            two_means_threshold(&values).ok_or_else(|| {
                TrainError::Invalid(format!("every training {what} label is the same: nothing to split"))
            })
        };
        Ok(Self { valence: fit(labels(|e| e.valence), "valence")?, arousal: fit(labels(|e| e.arousal), "arousal")? })
    }

    /// (valence class, arousal class) of an excerpt.
    pub fn classes(&self, e: &Excerpt) -> (usize, usize) {
        (usize::from(e.valence >= self.valence), usize::from(e.arousal >= self.arousal))
    }
}

/// How to train a head (or the baseline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceTrainConfig {
    /// Head shape (`features` is the encoder's embedding length).
    pub head: HeadConfig,
    /// Segments per sequence.
    pub sequence_length: usize,
    /// Most epochs.
    pub epochs: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    /// Seed.
    pub seed: u64,
}

/// Embeddings of every segment by a frozen encoder: `len × features`, row-major.
pub fn embed(encoder: &ConvEncoder, set: &SegmentSet, show_progress: bool) -> Vec<f32> {
    let device = Device::default();
    let indices: Vec<usize> = (0..set.len()).collect();
    let bar = epoch_bar(set.len().div_ceil(32), 1, 1, show_progress).with_prefix("embedding");
    let mut out = Vec::with_capacity(set.len() * encoder.embedding_len());
    for chunk in indices.chunks(32) {
        out.extend(crate::onnx::emit::values(encoder.forward(set.batch(chunk, &device))));
        bar.inc(1);
    }
    bar.finish_and_clear();
    out
}

/// The sequence of an excerpt used for training and evaluation: its first `length` segments.
fn sequence_indices(e: &Excerpt, length: usize) -> impl Iterator<Item = usize> {
    e.start..e.start + length.min(e.count)
}

fn embedding_batch(
    embeddings: &[f32],
    features: usize,
    excerpts: &[Excerpt],
    batch: &[usize],
    length: usize,
    device: &Device,
) -> Tensor<3> {
    let mut values = Vec::with_capacity(batch.len() * length * features);
    for &i in batch {
        for s in sequence_indices(&excerpts[i], length) {
            values.extend_from_slice(&embeddings[s * features..(s + 1) * features]);
        }
    }
    Tensor::from_data(TensorData::new(values, [batch.len(), length, features]), device)
}

fn targets(excerpts: &[Excerpt], batch: &[usize], thresholds: &Thresholds, device: &Device) -> [Tensor<1, Int>; 2] {
    let (v, a): (Vec<i64>, Vec<i64>) = batch
        .iter()
        .map(|&i| {
            let (v, a) = thresholds.classes(&excerpts[i]);
            (v as i64, a as i64)
        })
        .unzip();
    let n = batch.len();
    [Tensor::from_data(TensorData::new(v, [n]), device), Tensor::from_data(TensorData::new(a, [n]), device)]
}

/// The shortest sequence every excerpt can fill, capped at the configured length.
pub fn usable_length(excerpts: &[Excerpt], configured: usize) -> Result<usize, TrainError> {
    let shortest = excerpts.iter().map(|e| e.count).min().unwrap_or(0);
    if shortest == 0 {
        return Err(TrainError::Invalid("an excerpt is shorter than one segment".into()));
    }
    Ok(configured.min(shortest))
}

/// Anything trained with sequences of `(input, valence logits, arousal logits)`.
trait SequenceModel: Module + Sized + Clone {
    type Input;
    fn logits(&self, x: Self::Input) -> (Tensor<2>, Tensor<2>);
}

impl SequenceModel for EmotionHead {
    type Input = Tensor<3>;
    fn logits(&self, x: Tensor<3>) -> (Tensor<2>, Tensor<2>) {
        self.forward(x)
    }
}

impl SequenceModel for JointModel {
    type Input = Tensor<5>;
    fn logits(&self, x: Tensor<5>) -> (Tensor<2>, Tensor<2>) {
        self.forward(x)
    }
}

/// The result of training on one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// Thresholds fitted on the training part.
    pub thresholds: Thresholds,
    /// Valence confusion on the test part (low, high).
    pub valence: Confusion,
    /// Arousal confusion on the test part.
    pub arousal: Confusion,
    /// Epochs run (early stopping).
    pub epochs: usize,
    /// Training time in seconds.
    pub seconds: f64,
}

struct Trainer<'a, M: SequenceModel> {
    config: &'a SequenceTrainConfig,
    batch: &'a dyn Fn(&[usize], &Device) -> M::Input,
    excerpts: &'a [Excerpt],
    show_progress: bool,
}

/// The fit loop's view of one fold: training items are positions in `train`; validation by valence + arousal
/// accuracy on `validation`, ties to the lower validation loss.
struct SequenceObjective<'a, 'b, M: SequenceModel> {
    trainer: &'b Trainer<'a, M>,
    train: &'b [usize],
    validation: &'b [usize],
    thresholds: &'b Thresholds,
}

impl<M: SequenceModel> Objective<M> for SequenceObjective<'_, '_, M> {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn loss(&mut self, model: &M, batch: &[usize], device: &Device) -> Tensor<1> {
        let items: Vec<usize> = batch.iter().map(|&i| self.train[i]).collect();
        self.trainer.loss(model, &items, self.thresholds, device)
    }

    // The paper stops on validation accuracy; ties (common on small validation sets) go to the lower loss.
    fn validate(&mut self, model: &M, training_loss: f64) -> Validation {
        if self.validation.is_empty() {
            return Validation { score: (0.0, -training_loss), loss: None, summary: "no validation excerpts".into() };
        }
        let (v, a) = self.trainer.evaluate(model, self.validation, self.thresholds);
        let plain = Device::default();
        let (mut total, mut seen) = (0.0f64, 0);
        for chunk in self.validation.chunks(self.trainer.config.batch_size.max(1)) {
            let loss = self.trainer.loss(model, chunk, self.thresholds, &plain).into_scalar::<f32>();
            total += f64::from(loss) * chunk.len() as f64;
            seen += chunk.len();
        }
        let loss = total / seen.max(1) as f64;
        let accuracy = v.accuracy() + a.accuracy();
        Validation {
            score: (accuracy, -loss),
            loss: Some(loss),
            summary: format!("validation accuracy {:.3} loss {loss:.4}", accuracy / 2.0),
        }
    }
}

impl<M: SequenceModel + Clone> Trainer<'_, M> {
    fn loss(&self, model: &M, batch: &[usize], thresholds: &Thresholds, device: &Device) -> Tensor<1> {
        let (v, a) = model.logits((self.batch)(batch, device));
        let [tv, ta] = targets(self.excerpts, batch, thresholds, device);
        let ce = CrossEntropyLossConfig::new().init(device);
        ce.forward(v, tv) + ce.forward(a, ta)
    }

    /// Trains with early stopping on `validation` (accuracy, then loss); returns the best model and the epochs run.
    fn fit(
        &self,
        model: M,
        train: &[usize],
        validation: &[usize],
        thresholds: &Thresholds,
        seeds: Seeds,
    ) -> Result<(M, usize), TrainError> {
        let mut objective = SequenceObjective { trainer: self, train, validation, thresholds };
        let config = FitConfig {
            epochs: self.config.epochs,
            batch_size: self.config.batch_size.max(1),
            learning_rate: self.config.learning_rate,
            patience: self.config.patience,
            schedule: Schedule::Constant,
            keep: Keep::Best,
        };
        let fitted =
            fit(model, AdamConfig::new().init(), &mut objective, &config, &FitRun::new(seeds, self.show_progress))?;
        Ok((fitted.model, fitted.state.epochs_done))
    }

    fn evaluate(&self, model: &M, test: &[usize], thresholds: &Thresholds) -> (Confusion, Confusion) {
        let device = Device::default();
        let (mut tv, mut ta, mut pv, mut pa) = (vec![], vec![], vec![], vec![]);
        for chunk in test.chunks(self.config.batch_size.max(1)) {
            let (v, a) = model.logits((self.batch)(chunk, &device));
            let (v, a) = (crate::onnx::emit::values(v), crate::onnx::emit::values(a));
            for (k, &i) in chunk.iter().enumerate() {
                let (cv, ca) = thresholds.classes(&self.excerpts[i]);
                tv.push(cv);
                ta.push(ca);
                pv.push(argmax(&v[2 * k..2 * k + 2]));
                pa.push(argmax(&a[2 * k..2 * k + 2]));
            }
        }
        (Confusion::from_pairs(2, &tv, &pv), Confusion::from_pairs(2, &ta, &pa))
    }
}

/// Trains a head on frozen embeddings for one fold and evaluates it; returns the head too (for export).
pub fn head_fold(
    config: &SequenceTrainConfig,
    embeddings: &[f32],
    excerpts: &[Excerpt],
    fold: &Fold,
    fold_id: FoldId,
    show_progress: bool,
) -> Result<(EmotionHead, FoldResult), TrainError> {
    let started = std::time::Instant::now();
    let thresholds = Thresholds::fit(excerpts, &fold.train)?;
    let features = config.head.features;
    let length = config.sequence_length;
    let batch = move |b: &[usize], d: &Device| embedding_batch(embeddings, features, excerpts, b, length, d);
    let trainer: Trainer<'_, EmotionHead> = Trainer { config, batch: &batch, excerpts, show_progress };
    let seeds = Seeds::new(config.seed, Stage::EmotionHeads, fold_id);
    let head = config.head.init(&init_device(&seeds));
    let (head, epochs) = trainer.fit(head, &fold.train, &fold.validation, &thresholds, seeds)?;
    let (valence, arousal) = trainer.evaluate(&head, &fold.test, &thresholds);
    let result = FoldResult { thresholds, valence, arousal, epochs, seconds: started.elapsed().as_secs_f64() };
    Ok((head, result))
}

/// The paper's baseline on one fold: encoder and heads trained jointly from scratch on the segments themselves.
pub fn baseline_fold(
    config: &SequenceTrainConfig,
    encoder_shape: &super::model::AutoencoderConfig,
    segments: &SegmentSet,
    excerpts: &[Excerpt],
    fold: &Fold,
    fold_id: FoldId,
    show_progress: bool,
) -> Result<(JointModel, FoldResult), TrainError> {
    let started = std::time::Instant::now();
    let thresholds = Thresholds::fit(excerpts, &fold.train)?;
    let length = config.sequence_length;
    let batch = move |b: &[usize], d: &Device| {
        let mut ids = Vec::with_capacity(b.len() * length);
        b.iter().for_each(|&i| ids.extend(sequence_indices(&excerpts[i], length)));
        let x = segments.batch(&ids, d);
        x.reshape([b.len(), length, 1, segments.frames, segments.mels])
    };
    let trainer: Trainer<'_, JointModel> = Trainer { config, batch: &batch, excerpts, show_progress };
    let seeds = Seeds::new(config.seed, Stage::EmotionBaseline, fold_id);
    let device = init_device(&seeds);
    let encoder = encoder_shape.init_encoder(&device);
    let head = HeadConfig { features: encoder.embedding_len(), ..config.head.clone() }.init(&device);
    let (model, epochs) =
        trainer.fit(JointModel { encoder, head }, &fold.train, &fold.validation, &thresholds, seeds)?;
    let (valence, arousal) = trainer.evaluate(&model, &fold.test, &thresholds);
    let result = FoldResult { thresholds, valence, arousal, epochs, seconds: started.elapsed().as_secs_f64() };
    Ok((model, result))
}
