//! EmotionNAS' decision-level fusion (`../shared/papers/emotionnas-darts-speech-emotion.txt` §2.3, §3.3): the
//! two streams' class probabilities, concatenated, through a three-layer perceptron — (8, 8), (8, 4), (4, 4)
//! for the paper's four classes, i.e. (2K, 2K), (2K, K), (K, K) for K — with ReLU between the layers and a
//! softmax at the end. The streams see the audio from different sides (spectrogram texture, frame-level
//! prosody), and a learnt combination can trust each where it is reliable, which a plain average cannot.

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::nn::{Linear, LinearConfig};
use burn::optim::AdamConfig;
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::onnx::emit;
use crate::onnx::graph::{Dim, ExportError, GraphBuilder};
use crate::onnx::proto::ModelProto;
use crate::train::{
    FitConfig, FitRun, FoldId, Keep, Objective, Schedule, Seeds, Stage, TrainError, Validation, fit, init_device,
};

/// One training example: the spectrogram stream's probabilities, the frame stream's, and the true class.
pub type FusionExample = (Vec<f32>, Vec<f32>, usize);

/// The fusion perceptron.
#[derive(Module, Debug)]
pub struct Fusion {
    /// (2K → 2K).
    pub first: Linear,
    /// (2K → K).
    pub second: Linear,
    /// (K → K), the logits.
    pub output: Linear,
}

impl Fusion {
    /// A freshly initialised fusion over `classes` classes.
    pub fn new(classes: usize, device: &Device) -> Self {
        Self {
            first: LinearConfig::new(2 * classes, 2 * classes).init(device),
            second: LinearConfig::new(2 * classes, classes).init(device),
            output: LinearConfig::new(classes, classes).init(device),
        }
    }

    /// Classes it fuses.
    pub fn classes(&self) -> usize {
        self.output.weight.dims()[1]
    }

    /// The spectrogram stream's and the frame stream's probabilities (`[batch, K]` each) → logits `[batch, K]`.
    pub fn forward(&self, p_spec: Tensor<2>, p_frames: Tensor<2>) -> Tensor<2> {
        let x = Tensor::cat(vec![p_spec, p_frames], 1);
        let x = relu(self.first.forward(x));
        let x = relu(self.second.forward(x));
        self.output.forward(x)
    }

    /// Fused class probabilities (softmax of [`Self::forward`]).
    pub fn probabilities(&self, p_spec: Tensor<2>, p_frames: Tensor<2>) -> Tensor<2> {
        softmax(self.forward(p_spec, p_frames), 1)
    }

    /// Writes [`Self::probabilities`] into `g` (weights named `fusion.…`) from the two streams' probability
    /// values; returns the fused probabilities value.
    pub fn emit(&self, g: &mut GraphBuilder, p_spec: &str, p_frames: &str) -> Result<String, ExportError> {
        let x = emit::concat(g, &[p_spec, p_frames], 1);
        let x = emit::linear(g, "fusion.first", &x, &self.first, 2)?;
        let x = emit::relu(g, &x);
        let x = emit::linear(g, "fusion.second", &x, &self.second, 2)?;
        let x = emit::relu(g, &x);
        let logits = emit::linear(g, "fusion.output", &x, &self.output, 2)?;
        Ok(emit::softmax(g, &logits, 1))
    }

    /// The fusion on its own: `spectrogram_probabilities`, `frame_probabilities` `[batch, K]` →
    /// `probabilities [batch, K]`.
    pub fn export(&self, producer: &str) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new("vocal_fusion");
        let dims = [Dim::Dynamic("batch".into()), Dim::Fixed(self.classes() as u64)];
        let spec = g.input("spectrogram_probabilities", &dims);
        let frames = g.input("frame_probabilities", &dims);
        self.emit(&mut g, &spec, &frames)?;
        let y = g.rename_last_output("probabilities");
        g.output(&y, &dims);
        Ok(g.finish(producer))
    }
}

/// Trains a [`Fusion`] with Adam on `(spectrogram probabilities, frame probabilities, class)` triples for
/// `epochs` epochs (the paper: 100 at lr 1e-3) and returns it without autodiff. Every epoch is kept: the paper
/// trains a fixed schedule, and the fusion has too few weights (2K² + … ≈ 140 for K = 4) to overfit in 100
/// epochs the way a stream does.
pub fn train_fusion(
    pairs: &[FusionExample],
    classes: usize,
    epochs: usize,
    learning_rate: f64,
    batch_size: usize,
    seed: u64,
) -> Result<Fusion, TrainError> {
    if classes < 2 {
        return Err(TrainError::Invalid(format!("{classes} classes: a classifier needs at least two")));
    }
    if pairs.is_empty() {
        return Err(TrainError::Invalid("the fusion needs predictions to train on".into()));
    }
    if let Some((s, f, c)) = pairs.iter().find(|(s, f, c)| s.len() != classes || f.len() != classes || *c >= classes) {
        return Err(TrainError::Invalid(format!(
            "a fusion example with {} + {} probabilities and class {c} for {classes} classes",
            s.len(),
            f.len()
        )));
    }
    let seeds = Seeds::new(seed, Stage::VocalFusion, FoldId::Cv(0));
    let fusion = Fusion::new(classes, &init_device(&seeds));
    let mut objective = FusionObjective { pairs, ce: CrossEntropyLossConfig::new().init(&Device::default()) };
    let config = FitConfig {
        epochs,
        batch_size: batch_size.max(1),
        learning_rate,
        patience: usize::MAX,
        schedule: Schedule::Constant,
        keep: Keep::Last,
    };
    Ok(fit(fusion, AdamConfig::new().init(), &mut objective, &config, &FitRun::new(seeds, false))?.model)
}

/// The fusion's objective: cross-entropy on the examples; no validation (a fixed schedule, the last weights).
struct FusionObjective<'a> {
    pairs: &'a [FusionExample],
    ce: CrossEntropyLoss,
}

impl Objective<Fusion> for FusionObjective<'_> {
    fn train_len(&self) -> usize {
        self.pairs.len()
    }

    fn loss(&mut self, fusion: &Fusion, batch: &[usize], device: &Device) -> Tensor<1> {
        let targets: Vec<i64> = batch.iter().map(|&i| self.pairs[i].2 as i64).collect();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(targets, [batch.len()]), device);
        let (spec, frames) = (rows(self.pairs, batch, 0, device), rows(self.pairs, batch, 1, device));
        self.ce.forward(fusion.forward(spec, frames), targets)
    }

    fn validate(&mut self, _fusion: &Fusion, training_loss: f64) -> Validation {
        Validation { score: (-training_loss, 0.0), loss: None, summary: String::new() }
    }
}

/// Stream `stream`'s probabilities (0: spectrogram, 1: frames) of the examples `chunk` as `[chunk, K]`.
fn rows(pairs: &[FusionExample], chunk: &[usize], stream: usize, device: &Device) -> Tensor<2> {
    let pick = |i: usize| if stream == 0 { &pairs[i].0 } else { &pairs[i].1 };
    let classes = pick(chunk[0]).len();
    let data: Vec<f32> = chunk.iter().flat_map(|&i| pick(i).iter().copied()).collect();
    Tensor::from_data(TensorData::new(data, [chunk.len(), classes]), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn probabilities(batch: usize, classes: usize, device: &Device) -> Tensor<2> {
        softmax(Tensor::random([batch, classes], Distribution::Normal(0.0, 2.0), device), 1)
    }

    #[test]
    fn fused_probabilities_have_one_row_per_example_summing_to_one() {
        let device = Device::default();
        for classes in [4, 9] {
            let fusion = Fusion::new(classes, &device);
            let p = fusion.probabilities(probabilities(5, classes, &device), probabilities(5, classes, &device));
            assert_eq!(p.dims(), [5, classes]);
            for row in emit::values(p).chunks_exact(classes) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
            }
        }
    }

    /// The paper's layer sizes for K = 4: (8, 8), (8, 4), (4, 4).
    #[test]
    fn layers_have_the_papers_sizes() {
        let fusion = Fusion::new(4, &Device::default());
        assert_eq!(fusion.first.weight.dims(), [8, 8]);
        assert_eq!(fusion.second.weight.dims(), [8, 4]);
        assert_eq!(fusion.output.weight.dims(), [4, 4]);
    }

    /// When the frame stream is right and the spectrogram stream guesses, the fusion learns to follow the frame
    /// stream.
    #[test]
    fn training_learns_which_stream_to_trust() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let classes = 3;
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let pairs: Vec<FusionExample> = (0..60)
            .map(|i| {
                let class = i % classes;
                let mut guess = vec![0.1; classes];
                guess[rng.random_range(0..classes)] = 0.8;
                let mut right = vec![0.1; classes];
                right[class] = 0.8;
                (guess, right, class)
            })
            .collect();
        let fusion = train_fusion(&pairs, classes, 150, 1e-2, 16, 3).unwrap();
        let device = Device::default();
        let all: Vec<usize> = (0..pairs.len()).collect();
        let p = emit::values(fusion.probabilities(rows(&pairs, &all, 0, &device), rows(&pairs, &all, 1, &device)));
        let correct = p.chunks_exact(classes).zip(&pairs).filter(|(row, pair)| crate::metrics::argmax(row) == pair.2);
        assert!(correct.count() >= 57, "the fusion did not learn to follow the reliable stream");
    }
}
