//! The segment-emotion paper's networks (`../shared/papers/segment-emotion-autoencoder-bilstm.txt`):
//! a convolutional autoencoder over one segment's log-mel image, and a BiLSTM head over the sequence of a
//! track's segment embeddings, with one binary (high/low) softmax classifier each for valence and arousal.
//!
//! Input layout is `[batch, 1, time, mel]` (216 × 128 in the paper). The encoder is three
//! conv 3×3 ("same") + ReLU + max-pool 2×2 blocks; the embedding is the flattened last block. The decoder mirrors
//! it with conv 3×3 + ReLU + nearest upsampling ×2 and ends in a single-filter conv (linear: the targets are
//! `log10(S + 1) ≥ 0` but unbounded above, so no squashing). The joint baseline is the same encoder feeding the
//! same head, trained end to end without the reconstruction stage.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::interpolate::{Interpolate2d, Interpolate2dConfig, InterpolateMode};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BiLstm, BiLstmConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::onnx::emit;
use crate::onnx::graph::{Dim, ExportError, GraphBuilder};
use crate::onnx::proto::ModelProto;

/// Shape of the autoencoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderConfig {
    /// Frames per segment (216 in the paper); must be divisible by 2^blocks.
    pub frames: usize,
    /// Mel bands (128 in the paper); must be divisible by 2^blocks.
    pub mels: usize,
    /// Filters of the encoder's conv blocks, decreasing (the paper: 128, 64, 32).
    pub filters: Vec<usize>,
}

impl AutoencoderConfig {
    /// The paper's shape.
    pub fn paper() -> Self {
        Self { frames: 216, mels: 128, filters: vec![128, 64, 32] }
    }

    /// The spatial size of the embedding map and its flattened length.
    pub fn embedding_shape(&self) -> ([usize; 2], usize) {
        let scale = 1 << self.filters.len();
        let hw = [self.frames / scale, self.mels / scale];
        (hw, hw[0] * hw[1] * self.filters.last().copied().unwrap_or(1))
    }

    /// Checks the sizes before any tensor is made.
    pub fn validate(&self) -> Result<(), String> {
        let scale = 1 << self.filters.len();
        if self.filters.is_empty() || self.filters.contains(&0) {
            return Err(format!("filters {:?}: give at least one non-zero filter count", self.filters));
        }
        if !self.frames.is_multiple_of(scale) || !self.mels.is_multiple_of(scale) {
            return Err(format!(
                "{} frames × {} mels cannot be halved {} times: both must be divisible by {scale}",
                self.frames,
                self.mels,
                self.filters.len()
            ));
        }
        Ok(())
    }

    /// The encoder alone (the joint baseline trains it from scratch).
    pub fn init_encoder(&self, device: &Device) -> ConvEncoder {
        let mut channels = 1;
        let blocks = self
            .filters
            .iter()
            .map(|&f| {
                let conv = Conv2dConfig::new([channels, f], [3, 3]).with_padding(PaddingConfig2d::Same).init(device);
                channels = f;
                conv
            })
            .collect();
        ConvEncoder {
            convs: blocks,
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            relu: Relu::new(),
            frames: self.frames,
            mels: self.mels,
        }
    }

    /// Encoder and decoder.
    pub fn init(&self, device: &Device) -> Autoencoder {
        let mut convs = Vec::new();
        let mut channels = *self.filters.last().expect("validated: not empty");
        for &f in self.filters.iter().rev() {
            convs.push(Conv2dConfig::new([channels, f], [3, 3]).with_padding(PaddingConfig2d::Same).init(device));
            channels = f;
        }
        let output = Conv2dConfig::new([channels, 1], [3, 3]).with_padding(PaddingConfig2d::Same).init(device);
        Autoencoder {
            encoder: self.init_encoder(device),
            decoder: ConvDecoder {
                convs,
                output,
                upsample: Interpolate2dConfig::new()
                    .with_scale_factor(Some([2.0, 2.0]))
                    .with_mode(InterpolateMode::Nearest)
                    .init(),
                relu: Relu::new(),
            },
        }
    }
}

/// conv 3×3 + ReLU + max-pool 2×2, repeated.
#[derive(Module, Debug)]
pub struct ConvEncoder {
    /// One conv per block.
    pub convs: Vec<Conv2d>,
    /// The 2×2 pool shared by all blocks (it has no weights).
    pub pool: MaxPool2d,
    /// Activation.
    pub relu: Relu,
    /// Frames per segment.
    pub frames: usize,
    /// Mel bands.
    pub mels: usize,
}

impl ConvEncoder {
    /// `[batch, 1, frames, mels]` → (the last block's map `[batch, filters, h, w]`, the first conv's activation
    /// that the L2 penalty is on).
    pub fn forward_maps(&self, x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let mut first = None;
        let mut x = x;
        for conv in &self.convs {
            let h = self.relu.forward(crate::conv::conv2d(conv, x));
            if first.is_none() {
                first = Some(h.clone());
            }
            x = self.pool.forward(h);
        }
        (x, first.expect("an encoder has at least one block"))
    }

    /// `[batch, 1, frames, mels]` → the flattened embedding `[batch, features]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.forward_maps(x).0.flatten(1, 3)
    }

    /// The embedding length.
    pub fn embedding_len(&self) -> usize {
        let scale = 1 << self.convs.len();
        let filters = self.convs.last().map_or(1, |c| c.weight.dims()[0]);
        (self.frames / scale) * (self.mels / scale) * filters
    }

    /// Writes the encoder as an ONNX graph: `logmel [batch, 1, frames, mels]` → `embedding [batch, features]`.
    pub fn to_onnx(&self, producer: &str) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new("emotion_encoder");
        let x = g.logmel_input(self.frames, self.mels);
        let mut x = x;
        let mut hw = [self.frames, self.mels];
        for (i, conv) in self.convs.iter().enumerate() {
            let (y, conv_hw) = emit::conv2d(&mut g, &format!("encoder.conv{i}"), &x, conv, hw)?;
            let y = emit::relu(&mut g, &y);
            let (y, pooled) = emit::max_pool2d(&mut g, &y, &self.pool, conv_hw);
            x = y;
            hw = pooled;
        }
        emit::reshape(&mut g, &x, &[0, -1]);
        let y = g.rename_last_output("embedding");
        g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(self.embedding_len() as u64)]);
        Ok(g.finish(producer))
    }
}

/// conv 3×3 + ReLU + nearest upsampling ×2, repeated, then a 1-filter conv.
#[derive(Module, Debug)]
pub struct ConvDecoder {
    /// One conv per block (filters increasing back to the encoder's first).
    pub convs: Vec<Conv2d>,
    /// The final single-filter conv.
    pub output: Conv2d,
    /// Nearest ×2 upsampling.
    pub upsample: Interpolate2d,
    /// Activation.
    pub relu: Relu,
}

impl ConvDecoder {
    /// The encoder's last map → a reconstruction `[batch, 1, frames, mels]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut x = x;
        for conv in &self.convs {
            x = self.upsample.forward(self.relu.forward(crate::conv::conv2d(conv, x)));
        }
        crate::conv::conv2d(&self.output, x)
    }
}

/// The masked (denoising) convolutional autoencoder of the paper's first stage.
#[derive(Module, Debug)]
pub struct Autoencoder {
    /// Encoder (kept, frozen, for the second stage).
    pub encoder: ConvEncoder,
    /// Decoder (thrown away after pre-training).
    pub decoder: ConvDecoder,
}

impl Autoencoder {
    /// Reconstruction of a (masked) input, and the first conv's activation for the L2 penalty.
    pub fn forward(&self, x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let (code, first) = self.encoder.forward_maps(x);
        (self.decoder.forward(code), first)
    }
}

/// Shape of a sequence head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadConfig {
    /// Embedding length per segment.
    pub features: usize,
    /// BiLSTM units per direction (512 in the paper).
    pub hidden: usize,
    /// Dropout before the classifier (0.5 in the paper).
    pub dropout: f64,
}

impl HeadConfig {
    /// Two independent binary heads, valence and arousal.
    pub fn init(&self, device: &Device) -> EmotionHead {
        EmotionHead { valence: self.init_binary(device), arousal: self.init_binary(device) }
    }

    fn init_binary(&self, device: &Device) -> BinaryHead {
        BinaryHead {
            lstm: BiLstmConfig::new(self.features, self.hidden, true).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(2 * self.hidden, 2).init(device),
        }
    }
}

/// BiLSTM over the segment sequence → final states of both directions → dropout → dense (2-way softmax).
#[derive(Module, Debug)]
pub struct BinaryHead {
    /// The recurrent layer.
    pub lstm: BiLstm,
    /// Dropout (training only).
    pub dropout: Dropout,
    /// Dense layer to the two classes (low, high).
    pub output: Linear,
}

impl BinaryHead {
    /// `[batch, sequence, features]` → logits `[batch, 2]` (low, high).
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let (_, state) = self.lstm.forward(x, None);
        // [2, batch, hidden] → [batch, 2·hidden]: forward's last state then reverse's.
        let last = state.hidden.swap_dims(0, 1).flatten(1, 2);
        self.output.forward(self.dropout.forward(last))
    }

    fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str) -> Result<String, ExportError> {
        let rnn = emit::bilstm(g, &format!("{name}.lstm"), x, &self.lstm)?;
        let logits = emit::linear(g, &format!("{name}.output"), &rnn.last, &self.output, 2)?;
        let probabilities = emit::softmax(g, &logits, 1);
        Ok(emit::slice(g, &probabilities, 1, 1, 2))
    }
}

/// The paper's second stage: a valence and an arousal classifier over the same embeddings.
#[derive(Module, Debug)]
pub struct EmotionHead {
    /// High/low valence.
    pub valence: BinaryHead,
    /// High/low arousal.
    pub arousal: BinaryHead,
}

impl EmotionHead {
    /// `[batch, sequence, features]` → (valence logits, arousal logits), each `[batch, 2]`.
    pub fn forward(&self, x: Tensor<3>) -> (Tensor<2>, Tensor<2>) {
        (self.valence.forward(x.clone()), self.arousal.forward(x))
    }

    /// P(high valence), P(high arousal) as `[batch, 2]`: what the engine shows.
    pub fn probabilities(&self, x: Tensor<3>) -> Tensor<2> {
        let (v, a) = self.forward(x);
        let high = |logits: Tensor<2>| burn::tensor::activation::softmax(logits, 1).narrow(1, 1, 1);
        Tensor::cat(vec![high(v), high(a)], 1)
    }

    /// Writes the head: `embeddings [batch, sequence, features]` → `emotion [batch, 2]` = P(high valence),
    /// P(high arousal). Batch and sequence are dynamic.
    pub fn to_onnx(&self, features: usize, producer: &str) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new("emotion_head");
        let x = g.input(
            "embeddings",
            &[Dim::Dynamic("batch".into()), Dim::Dynamic("sequence".into()), Dim::Fixed(features as u64)],
        );
        let v = self.valence.emit(&mut g, "valence", &x)?;
        let a = self.arousal.emit(&mut g, "arousal", &x)?;
        emit::concat(&mut g, &[&v, &a], 1);
        let y = g.rename_last_output("emotion");
        g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(2)]);
        Ok(g.finish(producer))
    }
}

/// The paper's baseline: the same encoder and head, trained jointly from scratch with no autoencoder.
#[derive(Module, Debug)]
pub struct JointModel {
    /// Per-segment CNN.
    pub encoder: ConvEncoder,
    /// Sequence head.
    pub head: EmotionHead,
}

impl JointModel {
    /// `[batch, sequence, 1, frames, mels]` → (valence logits, arousal logits).
    pub fn forward(&self, x: Tensor<5>) -> (Tensor<2>, Tensor<2>) {
        let [batch, sequence, _, frames, mels] = x.dims();
        let embeddings = self.encoder.forward(x.reshape([batch * sequence, 1, frames, mels]));
        let features = embeddings.dims()[1];
        self.head.forward(embeddings.reshape([batch, sequence, features]))
    }
}
