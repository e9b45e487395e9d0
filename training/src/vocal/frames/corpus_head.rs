//! A corpus head for the frame stream: a small classifier learns to tell from the take's embedding which corpus
//! the take comes from. Its gradient reaches the stream one of two ways, the two answers the cross-corpus
//! literature gives:
//! - **reversed** (a corpus adversary; domain-adversarial training, Ganin & Lempitsky 2015; for speech emotion
//!   across corpora, Abdelwahab & Busso 2018): the stream learns an embedding that serves the emotion and hides
//!   the corpus (its language, microphones and rooms);
//! - **as is** (the corpus as an auxiliary target; multi-task learning, Zhang et al. 2017, "seeking common ground
//!   while preserving differences"): the embedding keeps what tells the corpora apart in directions of its own,
//!   so the emotion head need not untangle it from the emotion.
//!
//! Used only while training: the exported stream is the stream alone.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::stream::FrameStream;

/// The frame stream with a corpus classifier on its embedding.
#[derive(Module, Debug)]
pub struct WithCorpusHead {
    /// The stream being trained (what ships).
    pub stream: FrameStream,
    /// The corpus head's hidden layer.
    pub hidden: Linear,
    /// The corpus head's logits.
    pub corpus: Linear,
}

impl WithCorpusHead {
    /// `stream` with a fresh corpus head over `corpora` corpora (a hidden layer as wide as the embedding).
    pub fn new(stream: FrameStream, corpora: usize, device: &Device) -> Self {
        let width = stream.embedding_width();
        Self {
            hidden: LinearConfig::new(width, width).init(device),
            corpus: LinearConfig::new(width, corpora).init(device),
            stream,
        }
    }

    /// Emotion logits and corpus logits for `[batch, time, features]`; the corpus branch passes the embedding
    /// through [`reverse_gradient`] with `strength` (positive: an adversary; negative: an auxiliary target whose
    /// gradient reaches the stream scaled by `−strength`).
    pub fn forward(&self, x: Tensor<3>, strength: f32) -> (Tensor<2>, Tensor<2>) {
        let embedding = self.stream.embedding(x);
        let corpus = self.corpus.forward(relu(self.hidden.forward(reverse_gradient(embedding.clone(), strength))));
        (self.stream.output.forward(embedding), corpus)
    }
}

/// The identity forward; backward, the gradient times `−strength` (so a negative strength passes it on, scaled).
/// Written as `x̄·(1 + s) − x·s` with `x̄` the detached `x`: its value is `x`, and only the `−x·s` term carries a
/// gradient.
pub fn reverse_gradient(x: Tensor<2>, strength: f32) -> Tensor<2> {
    x.clone().detach().mul_scalar(1.0 + strength) - x.mul_scalar(strength)
}

/// The adversary's strength at `progress` (0 at the first epoch … 1 at the end) of training: `λ·(2 / (1 +
/// e^(−10 p)) − 1)`, Ganin & Lempitsky's ramp, so the adversary's noisy early gradient does not swamp the
/// emotion's before the embedding means anything.
pub fn ramped_strength(strength: f32, progress: f64) -> f32 {
    (f64::from(strength) * (2.0 / (1.0 + (-10.0 * progress.clamp(0.0, 1.0)).exp()) - 1.0)) as f32
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Distribution, Tensor};

    use super::*;
    use crate::onnx::emit;

    #[test]
    fn the_reversal_passes_values_and_turns_gradients_round() {
        let device = Device::default().autodiff();
        let x: Tensor<2> = Tensor::random([3, 4], Distribution::Uniform(-1.0, 1.0), &device).require_grad();
        let y = reverse_gradient(x.clone(), 0.5);
        let (xs, ys) = (emit::values(x.clone()), emit::values(y.clone()));
        assert!(xs.iter().zip(&ys).all(|(a, b)| (a - b).abs() < 1e-6), "{xs:?} {ys:?}");
        // d/dx Σ 3·y = 3 · (−0.5) everywhere.
        let grads = (y * 3.0).sum().backward();
        let g = emit::values(x.grad(&grads).expect("a gradient"));
        assert!(g.iter().all(|v| (v + 1.5).abs() < 1e-6), "{g:?}");
    }

    #[test]
    fn a_negative_strength_passes_the_gradient_on_scaled() {
        let device = Device::default().autodiff();
        let x: Tensor<2> = Tensor::random([3, 4], Distribution::Uniform(-1.0, 1.0), &device).require_grad();
        let y = reverse_gradient(x.clone(), -0.25);
        let (xs, ys) = (emit::values(x.clone()), emit::values(y.clone()));
        assert!(xs.iter().zip(&ys).all(|(a, b)| (a - b).abs() < 1e-6), "{xs:?} {ys:?}");
        let grads = (y * 3.0).sum().backward();
        let g = emit::values(x.grad(&grads).expect("a gradient"));
        assert!(g.iter().all(|v| (v - 0.75).abs() < 1e-6), "{g:?}");
    }

    #[test]
    fn the_strength_ramps_from_zero_to_the_full_strength() {
        assert_eq!(ramped_strength(0.3, 0.0), 0.0);
        assert!((ramped_strength(0.3, 1.0) - 0.3).abs() < 1e-3);
        assert!(ramped_strength(0.3, 0.1) > 0.1 && ramped_strength(0.3, 0.1) < 0.2);
    }
}
