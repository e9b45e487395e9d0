//! The hierarchical instrument tagger of `../shared/papers/hierarchical-instrument-tagging-resatt.txt`: a base
//! CNN producing an embedding, a fine-level sigmoid classifier, and the coarse level by each method of the
//! paper's Table 1:
//!
//! | [`Method`] | coarse level | trained with the coarse loss |
//! |---|---|---|
//! | `flat` | grouped max of the fine probabilities, at inference only | no |
//! | `level-wise` | its own linear + sigmoid beside the fine one | yes |
//! | `top-down` | soft decision tree: P(coarse) = σ(linear); P(fine) = P(parent) · σ(leaf) | yes |
//! | `gmp` | grouped max-pooling of the fine probabilities | yes |
//! | `gap` | grouped average pooling | yes |
//! | `lp` | a learned linear projection of the fine probabilities (σ) | yes |
//! | `resatt` | attention W = softmax over fine of a linear map of the embedding; P(coarse) = Wᵀ · P(fine) | yes |
//!
//! The paper's base DNN is a pretrained CNN14 (80 M parameters, AudioSet); no pretrained weights can be fetched
//! here, so the base is a small CNN trained from scratch in the same shape: conv blocks (3×3, batch norm, ReLU,
//! 2×2 average pool), max + mean over time, and a dense embedding layer. CNN14 then averages over mel, but only
//! after six blocks have shrunk 64 bands to 2; after our 2–4 blocks that average would throw away where in
//! frequency the energy sits (3×3 filters cannot tell bands apart), so the remaining bands are flattened instead.
//! Input `[batch, 1, time, mel]`.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{relu, sigmoid, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::genre::models::Standardization;
use crate::onnx::emit;
use crate::onnx::graph::{Dim, ExportError, GraphBuilder};
use crate::onnx::proto::ModelProto;

/// How the coarse level is produced (the paper's Table 1 rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Flat fine-level classifier; coarse by grouped max at inference (the baseline).
    Flat,
    /// Two parallel classifiers, one per level.
    LevelWise,
    /// Soft decision tree: coarse first, fine = parent × leaf.
    TopDown,
    /// Bottom-up, jointly trained with grouped max-pooling (proposed).
    Gmp,
    /// Bottom-up, jointly trained with grouped average pooling.
    Gap,
    /// Bottom-up, jointly trained with a learned linear projection.
    Lp,
    /// Bottom-up, jointly trained with residual attention (proposed).
    Resatt,
}

impl Method {
    /// All methods in the paper's table order.
    pub const ALL: [Self; 7] =
        [Self::Flat, Self::LevelWise, Self::TopDown, Self::Gap, Self::Lp, Self::Gmp, Self::Resatt];

    /// Whether the coarse loss takes part in training (λ matters).
    pub fn joint(self) -> bool {
        self != Self::Flat
    }

    /// The row label of the paper's table.
    pub fn label(self) -> &'static str {
        match self {
            Self::Flat => "Flat + inference-time GMP (baseline)",
            Self::LevelWise => "Level-wise",
            Self::TopDown => "Top-down (soft decision tree)",
            Self::Gmp => "Bottom-up joint: grouped max-pooling (GMP)",
            Self::Gap => "Bottom-up joint: grouped average pooling (GAP)",
            Self::Lp => "Bottom-up joint: linear projection (LP)",
            Self::Resatt => "Bottom-up joint: ResAtt",
        }
    }
}

/// The network's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerConfig {
    /// Coarse-level method.
    pub method: Method,
    /// Frames per input window.
    pub frames: usize,
    /// Mel bands.
    pub mels: usize,
    /// Parent (coarse index) of every fine tag.
    pub parents: Vec<usize>,
    /// Number of coarse tags.
    pub coarse: usize,
    /// Filters of the first conv block (doubling per block).
    pub width: usize,
    /// Conv blocks.
    pub blocks: usize,
    /// Embedding size (the paper's N_dim).
    pub embedding: usize,
    /// Dropout before the classifiers.
    pub dropout: f64,
}

impl TaggerConfig {
    /// Fine tags.
    pub fn fine(&self) -> usize {
        self.parents.len()
    }

    /// Checks the shape before any tensor is made.
    pub fn validate(&self) -> Result<(), String> {
        if self.parents.is_empty() || self.coarse == 0 {
            return Err("the hierarchy is empty".into());
        }
        if let Some(p) = self.parents.iter().find(|&&p| p >= self.coarse) {
            return Err(format!("parent {p} is not one of the {} coarse tags", self.coarse));
        }
        if (0..self.coarse).any(|c| !self.parents.contains(&c)) {
            return Err("every coarse tag needs at least one fine tag".into());
        }
        let scale = 1 << self.blocks;
        if self.blocks == 0 || self.width == 0 || self.frames < scale || self.mels < scale {
            return Err(format!("{}×{} cannot be pooled {} times", self.frames, self.mels, self.blocks));
        }
        Ok(())
    }

    /// A fresh network.
    pub fn init(&self, device: &Device) -> Result<Tagger, String> {
        self.validate()?;
        let mut channels = 1;
        let blocks = (0..self.blocks)
            .map(|i| {
                let filters = self.width << i;
                let block = TaggerBlock {
                    conv: Conv2dConfig::new([channels, filters], [3, 3])
                        .with_padding(PaddingConfig2d::Same)
                        .with_bias(false)
                        .init(device),
                    norm: BatchNormConfig::new(filters).init(device),
                    pool: AvgPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
                };
                channels = filters;
                block
            })
            .collect();
        let (fine, coarse) = (self.fine(), self.coarse);
        let linear = |i: usize, o: usize| LinearConfig::new(i, o).init(device);
        let head = match self.method {
            Method::Flat | Method::Gmp | Method::Gap => {
                Head { fine: linear(self.embedding, fine), coarse: None, projection: None }
            }
            Method::LevelWise | Method::TopDown => Head {
                fine: linear(self.embedding, fine),
                coarse: Some(linear(self.embedding, coarse)),
                projection: None,
            },
            Method::Lp => {
                Head { fine: linear(self.embedding, fine), coarse: None, projection: Some(linear(fine, coarse)) }
            }
            Method::Resatt => Head {
                fine: linear(self.embedding, fine),
                coarse: None,
                projection: Some(linear(self.embedding, fine * coarse)),
            },
        };
        let bands = self.mels >> self.blocks;
        Ok(Tagger {
            blocks,
            embedding: linear(channels * bands, self.embedding),
            dropout: DropoutConfig::new(self.dropout).init(),
            head,
            method: self.method,
            parents: self.parents.clone(),
            coarse,
            frames: self.frames,
            mels: self.mels,
        })
    }
}

/// conv 3×3 (no bias) → batch norm → ReLU → average pool 2×2.
#[derive(Module, Debug)]
pub struct TaggerBlock {
    /// Convolution.
    pub conv: Conv2d,
    /// Batch normalisation.
    pub norm: BatchNorm,
    /// Pooling.
    pub pool: AvgPool2d,
}

/// The classifier layers (which exist depends on the method).
#[derive(Module, Debug)]
pub struct Head {
    /// Embedding → fine logits (the SDT's leaves for top-down).
    pub fine: Linear,
    /// Embedding → coarse logits (level-wise, top-down).
    pub coarse: Option<Linear>,
    /// LP: fine probabilities → coarse logits; ResAtt: embedding → attention logits `[fine × coarse]`.
    pub projection: Option<Linear>,
}

/// Fine and coarse probabilities, and ResAtt's attention map.
pub struct TaggerOutput {
    /// `[batch, fine]`.
    pub fine: Tensor<2>,
    /// `[batch, coarse]`.
    pub coarse: Tensor<2>,
    /// `[batch, fine, coarse]`, softmax over fine (ResAtt only).
    pub attention: Option<Tensor<3>>,
}

/// The whole tagger.
#[derive(Module, Debug)]
pub struct Tagger {
    /// Conv blocks.
    pub blocks: Vec<TaggerBlock>,
    /// Pooled features → embedding.
    pub embedding: Linear,
    /// Dropout on the embedding.
    pub dropout: Dropout,
    /// Classifiers.
    pub head: Head,
    #[module(skip)]
    method: Method,
    #[module(skip)]
    parents: Vec<usize>,
    coarse: usize,
    frames: usize,
    mels: usize,
}

impl Tagger {
    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// `[batch, 1, time, mel]` → embedding `[batch, N_dim]` (ReLU).
    pub fn embed(&self, x: Tensor<4>) -> Tensor<2> {
        let y = self
            .blocks
            .iter()
            .fold(x, |x, b| crate::norm_pool::norm_relu_pool(&b.norm, &b.pool, crate::conv::conv2d(&b.conv, x)));
        // Max + mean over time, per channel and remaining band; bands are kept (flattened), not averaged.
        let pooled: Tensor<3> = y.clone().max_dim(2).squeeze_dim(2) + y.mean_dim(2).squeeze_dim(2);
        relu(self.embedding.forward(pooled.flatten(1, 2)))
    }

    fn group_indices(&self, device: &Device) -> Tensor<1, Int> {
        let order: Vec<i64> = (0..self.coarse)
            .flat_map(|c| self.parents.iter().enumerate().filter(move |&(_, &p)| p == c).map(|(i, _)| i as i64))
            .collect();
        Tensor::from_data(TensorData::new(order.clone(), [order.len()]), device)
    }

    /// Grouped max (`max = true`) or mean of `[batch, fine]` over each coarse tag's children.
    pub fn grouped(&self, fine: Tensor<2>, max: bool) -> Tensor<2> {
        let device = fine.device();
        let per_group: Vec<usize> =
            (0..self.coarse).map(|c| self.parents.iter().filter(|&&p| p == c).count()).collect();
        let sorted = fine.select(1, self.group_indices(&device));
        let mut start = 0;
        let parts: Vec<Tensor<2>> = per_group
            .iter()
            .map(|&n| {
                let part = sorted.clone().narrow(1, start, n);
                start += n;
                if max { part.max_dim(1) } else { part.mean_dim(1) }
            })
            .collect();
        Tensor::cat(parts, 1)
    }

    /// Probabilities at both levels (and the attention map for ResAtt).
    pub fn forward(&self, x: Tensor<4>) -> TaggerOutput {
        let z = self.dropout.forward(self.embed(x));
        let head = &self.head;
        let leaves = sigmoid(head.fine.forward(z.clone()));
        match self.method {
            Method::Flat | Method::Gmp => {
                TaggerOutput { coarse: self.grouped(leaves.clone(), true), fine: leaves, attention: None }
            }
            Method::Gap => TaggerOutput { coarse: self.grouped(leaves.clone(), false), fine: leaves, attention: None },
            Method::LevelWise => {
                let coarse = sigmoid(head.coarse.as_ref().expect("level-wise has a coarse layer").forward(z));
                TaggerOutput { fine: leaves, coarse, attention: None }
            }
            Method::TopDown => {
                let coarse = sigmoid(head.coarse.as_ref().expect("top-down has a coarse layer").forward(z));
                let index: Vec<i64> = self.parents.iter().map(|&p| p as i64).collect();
                let parents = coarse
                    .clone()
                    .select(1, Tensor::from_data(TensorData::new(index, [self.parents.len()]), &leaves.device()));
                TaggerOutput { fine: parents * leaves, coarse, attention: None }
            }
            Method::Lp => {
                let coarse = sigmoid(head.projection.as_ref().expect("lp has a projection").forward(leaves.clone()));
                TaggerOutput { fine: leaves, coarse, attention: None }
            }
            Method::Resatt => {
                let [batch, fine] = leaves.dims();
                let logits = head.projection.as_ref().expect("resatt has an attention layer").forward(z);
                let attention = softmax(logits.reshape([batch, fine, self.coarse]), 1);
                let coarse: Tensor<2> =
                    leaves.clone().reshape([batch, 1, fine]).matmul(attention.clone()).reshape([batch, self.coarse]);
                TaggerOutput { fine: leaves, coarse, attention: Some(attention) }
            }
        }
    }

    /// Writes the tagger: `logmel [batch, 1, frames, mels]` (raw frontend output; `standardization` is applied
    /// first) → `fine [batch, fine]`, `coarse [batch, coarse]` and, for ResAtt, `attention [batch, fine, coarse]`.
    pub fn to_onnx(&self, standardization: Standardization, producer: &str) -> Result<ModelProto, ExportError> {
        self.to_onnx_with(standardization, producer, false)
    }

    /// The graph with the `fine` output alone (`fine_only`): a flat tagger used for another task (emotion's two
    /// tags, genre tags) has no families for the plugin to show.
    pub fn to_onnx_with(
        &self,
        standardization: Standardization,
        producer: &str,
        fine_only: bool,
    ) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new("instrument_tagger");
        let x = g.logmel_input(self.frames, self.mels);
        let x = standardization.emit(&mut g, &x)?;
        let (mut y, mut hw) = (x, [self.frames, self.mels]);
        for (i, b) in self.blocks.iter().enumerate() {
            let (c, conv_hw) = emit::conv2d(&mut g, &format!("block{i}.conv"), &y, &b.conv, hw)?;
            let n = emit::batch_norm(&mut g, &format!("block{i}.norm"), &c, &b.norm)?;
            let r = emit::relu(&mut g, &n);
            (y, hw) = emit::avg_pool2d(&mut g, &r, &b.pool, conv_hw);
        }
        let max_t = emit::reduce_max(&mut g, &y, &[2], false);
        let mean_t = emit::reduce_mean(&mut g, &y, &[2], false);
        let summed = emit::add(&mut g, &max_t, &mean_t);
        let pooled = emit::reshape(&mut g, &summed, &[0, -1]);
        let e = emit::linear(&mut g, "embedding", &pooled, &self.embedding, 2)?;
        let z = emit::relu(&mut g, &e);
        let fine_logits = emit::linear(&mut g, "fine", &z, &self.head.fine, 2)?;
        let leaves = emit::sigmoid(&mut g, &fine_logits);
        let (fine_count, coarse_count) = (self.parents.len() as i64, self.coarse as i64);
        if fine_only {
            let fine = emit::named(&mut g, &leaves, "fine");
            g.output(&fine, &[Dim::Dynamic("batch".into()), Dim::Fixed(fine_count as u64)]);
            return Ok(g.finish(producer));
        }
        let mut attention = None;
        let (fine, coarse) = match self.method {
            Method::Flat | Method::Gmp | Method::Gap => {
                let coarse = self.emit_grouped(&mut g, &leaves, self.method != Method::Gap);
                (leaves, coarse)
            }
            Method::LevelWise => {
                let c = emit::linear(&mut g, "coarse", &z, self.head.coarse.as_ref().expect("level-wise"), 2)?;
                (leaves, emit::sigmoid(&mut g, &c))
            }
            Method::TopDown => {
                let c = emit::linear(&mut g, "coarse", &z, self.head.coarse.as_ref().expect("top-down"), 2)?;
                let coarse = emit::sigmoid(&mut g, &c);
                let index: Vec<i64> = self.parents.iter().map(|&p| p as i64).collect();
                let index = g.int64_initializer("parents", &[fine_count], &index);
                let parents = g.node("Gather", &[&coarse, &index], &[("axis", crate::onnx::graph::Attr::Int(1))]);
                (emit::mul(&mut g, &parents, &leaves), coarse)
            }
            Method::Lp => {
                let c = emit::linear(&mut g, "projection", &leaves, self.head.projection.as_ref().expect("lp"), 2)?;
                (leaves, emit::sigmoid(&mut g, &c))
            }
            Method::Resatt => {
                let a = emit::linear(&mut g, "attention", &z, self.head.projection.as_ref().expect("resatt"), 2)?;
                let a = emit::reshape(&mut g, &a, &[0, fine_count, coarse_count]);
                let a = emit::softmax(&mut g, &a, 1);
                let row = emit::reshape(&mut g, &leaves, &[0, 1, fine_count]);
                let c = g.node("MatMul", &[&row, &a], &[]);
                let c = emit::reshape(&mut g, &c, &[0, coarse_count]);
                attention = Some(a);
                (leaves, c)
            }
        };
        let fine = emit::named(&mut g, &fine, "fine");
        g.output(&fine, &[Dim::Dynamic("batch".into()), Dim::Fixed(fine_count as u64)]);
        let coarse = emit::named(&mut g, &coarse, "coarse");
        g.output(&coarse, &[Dim::Dynamic("batch".into()), Dim::Fixed(coarse_count as u64)]);
        if let Some(a) = attention {
            let a = emit::named(&mut g, &a, "attention");
            g.output(
                &a,
                &[Dim::Dynamic("batch".into()), Dim::Fixed(fine_count as u64), Dim::Fixed(coarse_count as u64)],
            );
        }
        Ok(g.finish(producer))
    }

    fn emit_grouped(&self, g: &mut GraphBuilder, fine: &str, max: bool) -> String {
        let parts: Vec<String> = (0..self.coarse)
            .map(|c| {
                let members: Vec<i64> =
                    self.parents.iter().enumerate().filter(|&(_, &p)| p == c).map(|(i, _)| i as i64).collect();
                let index = g.int64_initializer(&format!("group{c}"), &[members.len() as i64], &members);
                let picked = g.node("Gather", &[fine, &index], &[("axis", crate::onnx::graph::Attr::Int(1))]);
                if max { emit::reduce_max(g, &picked, &[1], true) } else { emit::reduce_mean(g, &picked, &[1], true) }
            })
            .collect();
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        emit::concat(g, &refs, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(method: Method) -> TaggerConfig {
        TaggerConfig {
            method,
            frames: 32,
            mels: 16,
            parents: vec![0, 0, 1, 2, 2, 2],
            coarse: 3,
            width: 4,
            blocks: 2,
            embedding: 8,
            dropout: 0.0,
        }
    }

    #[test]
    fn every_method_gives_probabilities_at_both_levels() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default();
        for method in Method::ALL {
            let net = config(method).init(&device).unwrap();
            let x = Tensor::<4>::random([3, 1, 32, 16], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
            let out = net.forward(x);
            assert_eq!(out.fine.dims(), [3, 6], "{method:?}");
            assert_eq!(out.coarse.dims(), [3, 3], "{method:?}");
            for v in crate::onnx::emit::values(out.fine).into_iter().chain(crate::onnx::emit::values(out.coarse)) {
                assert!((0.0..=1.0).contains(&v), "{method:?}: {v}");
            }
            assert_eq!(out.attention.is_some(), method == Method::Resatt);
        }
    }

    #[test]
    fn grouped_pooling_follows_the_hierarchy() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default();
        let net = config(Method::Gmp).init(&device).unwrap();
        let fine = Tensor::<2>::from_floats([[0.1, 0.7, 0.2, 0.3, 0.9, 0.0]], &device);
        assert_eq!(crate::onnx::emit::values(net.grouped(fine.clone(), true)), vec![0.7, 0.2, 0.9]);
        let mean = crate::onnx::emit::values(net.grouped(fine, false));
        assert!((mean[0] - 0.4).abs() < 1e-6 && (mean[2] - 0.4).abs() < 1e-6);
    }

    #[test]
    fn resatt_attention_sums_to_one_over_fine_tags() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default();
        let net = config(Method::Resatt).init(&device).unwrap();
        let x = Tensor::<4>::random([2, 1, 32, 16], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
        let attention = net.forward(x).attention.unwrap();
        for s in crate::onnx::emit::values(attention.sum_dim(1)) {
            assert!((s - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn a_hierarchy_with_an_empty_family_is_refused() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let bad = TaggerConfig { parents: vec![0, 0, 2], ..config(Method::Gmp) };
        assert!(bad.validate().unwrap_err().contains("at least one fine tag"));
    }
}
