//! The genre networks: the subgenre paper's baseline CNN, sequential CRNN and parallel CNN-RNN
//! (`../shared/papers/parallel-cnn-rnn-subgenre.txt`), and Pons & Serra's single-layer O-net / P-net designs
//! (`../shared/papers/pons-serra-temporal-filters-onet-pnet.txt`).
//!
//! Every network reads `[batch, 1, time, mel]` (the layout the engine feeds, [`Axis::Time`] before
//! [`Axis::Mel`]) and returns class logits; the exported graph ends in a softmax.
//!
//! The subgenre paper gives its architectures only as figures, without sizes; the sizes here follow the works it
//! builds on (Choi et al.'s CRNN for the sequential model, Yang et al.'s parallel recurrent CNN for the parallel
//! one) scaled to a CPU budget by `width`. Its study axes (optimiser, dropout / batch normalisation / both,
//! initialiser) are options of [`NetConfig`]. Pons & Serra's nets are exact: the parameter counts printed by
//! `earmark-train models` equal their Table 1 (checked in the tests).
//!
//! [`Axis::Time`]: earmark_core::manifest::Axis::Time
//! [`Axis::Mel`]: earmark_core::manifest::Axis::Mel

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, BiGru, BiGruConfig, Dropout, DropoutConfig, Gru, GruConfig, Initializer, Linear,
    LinearConfig, PaddingConfig2d,
};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::onnx::emit;
use crate::onnx::graph::{Dim, ExportError, GraphBuilder};
use crate::onnx::proto::ModelProto;

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// The subgenre paper's baseline: four conv blocks, flatten, dense softmax.
    Cnn,
    /// Sequential CRNN: three conv blocks, then a GRU over the time axis of the feature map.
    Crnn,
    /// Parallel CNN-RNN: a conv branch and a bidirectional GRU branch over the same input, concatenated.
    CnnRnn,
    /// Pons & Serra's temporal nets: `k×` O-net and/or `k×` P-net 1-by-n filters in one layer.
    Temporal,
}

/// The regularisation axis of the subgenre paper's Table 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Regularization {
    /// Dropout before the classifier only.
    Dropout,
    /// Batch normalisation after every convolution only.
    BatchNorm,
    /// Both.
    Both,
}

impl Regularization {
    fn dropout(self) -> bool {
        matches!(self, Self::Dropout | Self::Both)
    }
    fn batch_norm(self) -> bool {
        matches!(self, Self::BatchNorm | Self::Both)
    }
}

/// The initialiser axis of the subgenre paper's Table 4 (Keras' definitions, which the paper used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// Glorot (Xavier) normal.
    GlorotNormal,
    /// Glorot (Xavier) uniform.
    GlorotUniform,
    /// N(0, 0.05²), Keras' `RandomNormal` default.
    RandomNormal,
    /// U(−0.05, 0.05), Keras' `RandomUniform` default.
    RandomUniform,
}

impl Init {
    /// The burn initialiser.
    pub fn initializer(self) -> Initializer {
        match self {
            Self::GlorotNormal => Initializer::XavierNormal { gain: 1.0 },
            Self::GlorotUniform => Initializer::XavierUniform { gain: 1.0 },
            Self::RandomNormal => Initializer::Normal { mean: 0.0, std: 0.05 },
            Self::RandomUniform => Initializer::Uniform { min: -0.05, max: 0.05 },
        }
    }
}

/// Everything that decides a genre network's shape and initial weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Which network.
    pub architecture: Architecture,
    /// Frames per input window (Pons & Serra: 250).
    pub frames: usize,
    /// Mel bands (Pons & Serra: 40).
    pub mels: usize,
    /// Output classes.
    pub classes: usize,
    /// Dropout / batch normalisation (subgenre models; the temporal nets always use dropout only).
    pub regularization: Regularization,
    /// Weight initialiser.
    pub init: Init,
    /// Dropout rate where dropout is used (both papers: 0.5).
    pub dropout: f64,
    /// Filters of the first conv block of the subgenre models (later blocks double it, up to 4×).
    pub width: usize,
    /// Units of the recurrent layers of the CRNN and the parallel model.
    pub hidden: usize,
    /// Copies of O-net in a temporal net (0 = none).
    pub onet: usize,
    /// Copies of P-net in a temporal net (0 = none).
    pub pnet: usize,
}

/// O-net's filter lengths (5 filters each per copy): n ∈ {6, 11, …, 41}.
pub const ONET_LENGTHS: [usize; 8] = [6, 11, 16, 21, 26, 31, 36, 41];
/// Filters per O-net length per copy.
pub const ONET_FILTERS: usize = 5;

/// P-net's filter lengths (one filter each per copy): n = 46 + 5f, f = 0…34.
pub fn pnet_lengths() -> impl Iterator<Item = usize> {
    (0..35).map(|f| 46 + 5 * f)
}

impl NetConfig {
    /// Pons & Serra's input and output (250 frames × 40 bands, Ballroom's 8 classes), `onet`× O-net + `pnet`×
    /// P-net, with the subgenre defaults for the other fields.
    pub fn temporal(onet: usize, pnet: usize, classes: usize) -> Self {
        Self { architecture: Architecture::Temporal, onet, pnet, ..Self::subgenre(Architecture::Cnn, classes) }
    }

    /// A subgenre model over Pons & Serra's input with dropout and Glorot-uniform weights.
    pub fn subgenre(architecture: Architecture, classes: usize) -> Self {
        Self {
            architecture,
            frames: 250,
            mels: 40,
            classes,
            regularization: Regularization::Dropout,
            init: Init::GlorotUniform,
            dropout: 0.5,
            width: 8,
            hidden: 32,
            onet: 1,
            pnet: 1,
        }
    }

    /// A short human name: `cnn`, `crnn`, `cnn-rnn`, `2x O-net + 2x P-net`.
    pub fn name(&self) -> String {
        match self.architecture {
            Architecture::Cnn => "cnn".into(),
            Architecture::Crnn => "crnn".into(),
            Architecture::CnnRnn => "cnn-rnn".into(),
            Architecture::Temporal => {
                let part = |k: usize, net: &str| match k {
                    0 => None,
                    1 => Some(net.to_string()),
                    k => Some(format!("{k}x {net}")),
                };
                [part(self.onet, "O-net"), part(self.pnet, "P-net")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" + ")
            }
        }
    }

    /// Checks sizes before any tensor is made.
    pub fn validate(&self) -> Result<(), String> {
        if self.classes < 2 {
            return Err(format!("{} classes: a classifier needs at least two", self.classes));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} is outside [0, 1)", self.dropout));
        }
        match self.architecture {
            Architecture::Temporal => {
                if self.onet + self.pnet == 0 {
                    return Err("a temporal net needs at least one O-net or P-net".into());
                }
                let longest = if self.pnet > 0 { pnet_lengths().last().unwrap_or(0) } else { ONET_LENGTHS[7] };
                if self.frames < longest {
                    return Err(format!("{} frames are shorter than the longest filter ({longest})", self.frames));
                }
                if !self.mels.is_multiple_of(4) {
                    return Err(format!("{} mel bands cannot be max-pooled by 4", self.mels));
                }
            }
            _ => {
                if self.width == 0 || self.hidden == 0 {
                    return Err("width and hidden must be positive".into());
                }
                if self.frames < 16 || self.mels < 16 {
                    return Err(format!("{}×{} is too small for four 2×2 poolings", self.frames, self.mels));
                }
            }
        }
        Ok(())
    }

    /// A freshly initialised network.
    pub fn init(&self, device: &Device) -> Result<GenreNet, String> {
        self.validate()?;
        Ok(match self.architecture {
            Architecture::Cnn => GenreNet::Cnn(Cnn::new(self, device)),
            Architecture::Crnn => GenreNet::Crnn(Crnn::new(self, device)),
            Architecture::CnnRnn => GenreNet::CnnRnn(CnnRnn::new(self, device)),
            Architecture::Temporal => GenreNet::Temporal(TemporalNet::new(self, device)),
        })
    }
}

/// conv 3×3 "same" → (batch norm) → ReLU → max-pool.
#[derive(Module, Debug)]
pub struct ConvBlock {
    /// The convolution.
    pub conv: Conv2d,
    /// Batch normalisation, when the regularisation setting has it.
    pub norm: Option<BatchNorm>,
    /// The pooling.
    pub pool: MaxPool2d,
}

impl ConvBlock {
    fn new(channels: [usize; 2], pool: [usize; 2], config: &NetConfig, device: &Device) -> Self {
        Self {
            conv: Conv2dConfig::new(channels, [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .with_initializer(config.init.initializer())
                .init(device),
            norm: config.regularization.batch_norm().then(|| BatchNormConfig::new(channels[1]).init(device)),
            pool: MaxPool2dConfig::new(pool).with_strides(pool).init(),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut y = self.conv.forward(x);
        if let Some(norm) = &self.norm {
            y = norm.forward(y);
        }
        self.pool.forward(relu(y))
    }

    fn emit(
        &self,
        g: &mut GraphBuilder,
        name: &str,
        x: &str,
        hw: [usize; 2],
    ) -> Result<(String, [usize; 2]), ExportError> {
        let (mut y, hw) = emit::conv2d(g, &format!("{name}.conv"), x, &self.conv, hw)?;
        if let Some(norm) = &self.norm {
            y = emit::batch_norm(g, &format!("{name}.norm"), &y, norm)?;
        }
        let y = emit::relu(g, &y);
        Ok(emit::max_pool2d(g, &y, &self.pool, hw))
    }
}

/// A stack of conv blocks.
#[derive(Module, Debug)]
pub struct ConvStack {
    /// The blocks, in order.
    pub blocks: Vec<ConvBlock>,
}

impl ConvStack {
    /// `filters[i]` filters and a 2×2 pool per block.
    fn new(filters: &[usize], config: &NetConfig, device: &Device) -> Self {
        let mut channels = 1;
        let blocks = filters
            .iter()
            .map(|&f| {
                let block = ConvBlock::new([channels, f], [2, 2], config, device);
                channels = f;
                block
            })
            .collect();
        Self { blocks }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.blocks.iter().fold(x, |x, block| block.forward(x))
    }

    /// Output spatial size for an input of `hw`.
    fn output_hw(&self, hw: [usize; 2]) -> [usize; 2] {
        self.blocks.iter().fold(hw, |[h, w], _| [h / 2, w / 2])
    }

    fn channels(&self) -> usize {
        self.blocks.last().map_or(1, |b| b.conv.weight.dims()[0])
    }

    fn emit(
        &self,
        g: &mut GraphBuilder,
        name: &str,
        x: &str,
        hw: [usize; 2],
    ) -> Result<(String, [usize; 2]), ExportError> {
        let (mut x, mut hw) = (x.to_string(), hw);
        for (i, block) in self.blocks.iter().enumerate() {
            (x, hw) = block.emit(g, &format!("{name}.{i}"), &x, hw)?;
        }
        Ok((x, hw))
    }
}

fn dropout(config: &NetConfig) -> Option<Dropout> {
    config.regularization.dropout().then(|| DropoutConfig::new(config.dropout).init())
}

fn dense(inputs: usize, outputs: usize, config: &NetConfig, device: &Device) -> Linear {
    LinearConfig::new(inputs, outputs).with_initializer(config.init.initializer()).init(device)
}

fn maybe_dropout(dropout: &Option<Dropout>, x: Tensor<2>) -> Tensor<2> {
    match dropout {
        Some(d) => d.forward(x),
        None => x,
    }
}

/// The subgenre paper's baseline CNN: four conv blocks (`w, 2w, 4w, 4w` filters) → flatten → dense.
#[derive(Module, Debug)]
pub struct Cnn {
    /// Feature extractor.
    pub convs: ConvStack,
    /// Dropout before the classifier.
    pub dropout: Option<Dropout>,
    /// Classifier.
    pub output: Linear,
    frames: usize,
    mels: usize,
}

impl Cnn {
    fn new(config: &NetConfig, device: &Device) -> Self {
        let w = config.width;
        let convs = ConvStack::new(&[w, 2 * w, 4 * w, 4 * w], config, device);
        let [h, m] = convs.output_hw([config.frames, config.mels]);
        let features = h * m * convs.channels();
        Self {
            convs,
            dropout: dropout(config),
            output: dense(features, config.classes, config, device),
            frames: config.frames,
            mels: config.mels,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let y: Tensor<2> = self.convs.forward(x).flatten(1, 3);
        self.output.forward(maybe_dropout(&self.dropout, y))
    }

    fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        let (y, _) = self.convs.emit(g, "convs", x, [self.frames, self.mels])?;
        let y = emit::reshape(g, &y, &[0, -1]);
        emit::linear(g, "output", &y, &self.output, 2)
    }
}

/// The sequential CRNN: three conv blocks (`w, 2w, 4w`) → the feature map read as a sequence over time → GRU →
/// its last state → dense.
#[derive(Module, Debug)]
pub struct Crnn {
    /// Feature extractor.
    pub convs: ConvStack,
    /// Recurrent layer over the conv output's time axis.
    pub gru: Gru,
    /// Dropout before the classifier.
    pub dropout: Option<Dropout>,
    /// Classifier.
    pub output: Linear,
    frames: usize,
    mels: usize,
}

impl Crnn {
    fn new(config: &NetConfig, device: &Device) -> Self {
        let w = config.width;
        let convs = ConvStack::new(&[w, 2 * w, 4 * w], config, device);
        let [_, m] = convs.output_hw([config.frames, config.mels]);
        let features = m * convs.channels();
        Self {
            gru: GruConfig::new(features, config.hidden, true).with_initializer(config.init.initializer()).init(device),
            convs,
            dropout: dropout(config),
            output: dense(config.hidden, config.classes, config, device),
            frames: config.frames,
            mels: config.mels,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        // [batch, channels, time, mel] → [batch, time, channels·mel]: one feature vector per time step.
        let y = self.convs.forward(x).swap_dims(1, 2);
        let sequence: Tensor<3> = y.flatten(2, 3);
        let steps = sequence.dims()[1];
        let states = self.gru.forward(sequence, None);
        let last: Tensor<2> = states.narrow(1, steps - 1, 1).flatten(1, 2);
        self.output.forward(maybe_dropout(&self.dropout, last))
    }

    fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        let (y, _) = self.convs.emit(g, "convs", x, [self.frames, self.mels])?;
        let y = emit::transpose(g, &y, &[0, 2, 1, 3]);
        let sequence = emit::reshape(g, &y, &[0, 0, -1]);
        let rnn = emit::gru(g, "gru", &sequence, &self.gru)?;
        emit::linear(g, "output", &rnn.last, &self.output, 2)
    }
}

/// The parallel CNN-RNN: the baseline's conv blocks and, beside them, a bidirectional GRU over the input pooled
/// 2×2 (time × mel); both branches' features concatenated → dense.
#[derive(Module, Debug)]
pub struct CnnRnn {
    /// Conv branch.
    pub convs: ConvStack,
    /// Pooling in front of the recurrent branch.
    pub rnn_pool: MaxPool2d,
    /// Recurrent branch.
    pub gru: BiGru,
    /// Dropout before the classifier.
    pub dropout: Option<Dropout>,
    /// Classifier over both branches.
    pub output: Linear,
    frames: usize,
    mels: usize,
}

impl CnnRnn {
    fn new(config: &NetConfig, device: &Device) -> Self {
        let w = config.width;
        let convs = ConvStack::new(&[w, 2 * w, 4 * w, 4 * w], config, device);
        let [h, m] = convs.output_hw([config.frames, config.mels]);
        let cnn_features = h * m * convs.channels();
        let gru = BiGruConfig::new(config.mels / 2, config.hidden, true)
            .with_initializer(config.init.initializer())
            .init(device);
        Self {
            convs,
            rnn_pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            gru,
            dropout: dropout(config),
            output: dense(cnn_features + 2 * config.hidden, config.classes, config, device),
            frames: config.frames,
            mels: config.mels,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let cnn: Tensor<2> = self.convs.forward(x.clone()).flatten(1, 3);
        let sequence: Tensor<3> = self.rnn_pool.forward(x).flatten(1, 2);
        let (_, state) = self.gru.forward(sequence, None);
        // [2, batch, hidden] → [batch, 2·hidden]: forward's last state, then reverse's.
        let rnn = state.swap_dims(0, 1).flatten(1, 2);
        let both = Tensor::cat(vec![cnn, rnn], 1);
        self.output.forward(maybe_dropout(&self.dropout, both))
    }

    fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        let (cnn, _) = self.convs.emit(g, "convs", x, [self.frames, self.mels])?;
        let cnn = emit::reshape(g, &cnn, &[0, -1]);
        let (pooled, _) = emit::max_pool2d(g, x, &self.rnn_pool, [self.frames, self.mels]);
        let sequence = emit::reshape(g, &pooled, &[0, (self.frames / 2) as i64, (self.mels / 2) as i64]);
        let rnn = emit::bigru(g, "gru", &sequence, &self.gru)?;
        let both = emit::concat(g, &[&cnn, &rnn.last], 1);
        emit::linear(g, "output", &both, &self.output, 2)
    }
}

/// One filter length of a temporal net: `filters` 1-by-n filters (n frames × 1 band, no padding) → ReLU →
/// max-pool 4 bands × all N′ frames, so every length yields `filters × mels/4` features whatever its n.
#[derive(Module, Debug)]
pub struct TemporalBranch {
    /// The 1-by-n convolution.
    pub conv: Conv2d,
    /// The 4-by-N′ max-pool.
    pub pool: MaxPool2d,
}

/// Long 1-by-n filters (P-net's n = 46…216) computed as one matrix product with a banded (Toeplitz) weight
/// matrix instead of one convolution per length.
///
/// Why: each P-net length has one filter per copy, so a convolution per length materialises an im2col buffer of
/// `N′ · n · bands` values per example for very few multiply-adds: 35 of them cost ~70 MB per example and made
/// P-net 5× slower to train than a CNN with twice its multiply-adds. Here the taps of every filter are gathered
/// into one `[frames, Σ N′]` matrix (zeros off the band) and the input's bands are multiplied by it in a single
/// GEMM; the maximum over each filter's N′ outputs, the bias and the ReLU follow (max, +bias and ReLU commute).
/// The weights keep a convolution's layout `[filters, 1, n, 1]`, so the exporter writes ordinary `Conv` nodes and
/// the parameter count is the paper's.
#[derive(Module, Debug)]
pub struct ToeplitzBank {
    /// Per length: weights `[filters, 1, n, 1]`.
    pub weights: Vec<Param<Tensor<4>>>,
    /// Per length: biases `[filters]`.
    pub biases: Vec<Param<Tensor<1>>>,
    /// Row-major `[frames, columns]` indices into the concatenated taps (the last index is a zero).
    #[module(skip)]
    index: Vec<i64>,
    /// Columns per filter (the shortest filter's output count).
    per_filter: usize,
    frames: usize,
}

impl ToeplitzBank {
    fn new(lengths: &[(usize, usize)], frames: usize, init: &Initializer, device: &Device) -> Self {
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for &(n, filters) in lengths {
            weights.push(init.init_with([filters, 1, n, 1], Some(n), Some(filters * n), device));
            biases.push(init.init_with([filters], Some(n), Some(filters * n), device));
        }
        let total_taps: usize = lengths.iter().map(|&(n, f)| n * f).sum();
        let mut taps = Vec::new(); // (first tap index, n) per filter
        let mut base = 0;
        for &(n, filters) in lengths {
            for c in 0..filters {
                taps.push((base + c * n, n));
            }
            base += n * filters;
        }
        // Every filter gets as many columns as the shortest has outputs; a longer filter's surplus columns repeat
        // its last valid output, which leaves its maximum unchanged and lets one reshape + max serve all filters.
        let per_filter = frames + 1 - taps.iter().map(|&(_, n)| n).min().unwrap_or(frames);
        let width = per_filter * taps.len();
        let mut index = vec![total_taps as i64; frames * width];
        for (f, &(first, n)) in taps.iter().enumerate() {
            for column in 0..per_filter {
                let t = column.min(frames - n);
                for j in 0..n {
                    index[(t + j) * width + f * per_filter + column] = (first + j) as i64;
                }
            }
        }
        Self { weights, biases, index, per_filter, frames }
    }

    /// `[batch, 1, frames, mels]` → per filter, the maximum over time of each band's response + bias, ReLU:
    /// `[batch, filters, mels]`.
    fn forward(&self, x: Tensor<4>) -> Tensor<3> {
        let [batch, _, frames, mels] = x.dims();
        let device = x.device();
        let mut flat: Vec<Tensor<1>> = self.weights.iter().map(|w| w.val().flatten(0, 3)).collect();
        flat.push(Tensor::zeros([1], &device));
        let taps = Tensor::cat(flat, 0);
        let width = self.index.len() / self.frames;
        let index = Tensor::<1, Int>::from_data(TensorData::new(self.index.clone(), [self.index.len()]), &device);
        let matrix: Tensor<2> = taps.select(0, index).reshape([frames, width]);
        let bands: Tensor<2> = x.reshape([batch, frames, mels]).swap_dims(1, 2).reshape([batch * mels, frames]);
        let bias = Tensor::cat(self.biases.iter().map(|b| b.val()).collect(), 0);
        let filters = bias.dims()[0];
        let responses: Tensor<3> = bands.matmul(matrix).reshape([batch * mels, filters, self.per_filter]);
        let peaks: Tensor<2> = responses.max_dim(2).flatten(1, 2);
        let y = relu(peaks + bias.reshape([1, filters]));
        y.reshape([batch, mels, filters]).swap_dims(1, 2)
    }

    /// `(n, filters)` of each length.
    fn lengths(&self) -> Vec<(usize, usize)> {
        self.weights.iter().map(|w| (w.dims()[2], w.dims()[0])).collect()
    }
}

/// Pons & Serra's single-layer net: the O-net and P-net branches side by side → 50 % dropout → dense (softmax).
#[derive(Module, Debug)]
pub struct TemporalNet {
    /// O-net: one convolution per (short) filter length.
    pub branches: Vec<TemporalBranch>,
    /// P-net: the long filters, as one banded matrix product (`None` without P-net).
    pub long: Option<ToeplitzBank>,
    /// Dropout on the output layer's input.
    pub dropout: Dropout,
    /// Classifier.
    pub output: Linear,
    frames: usize,
    mels: usize,
}

impl TemporalNet {
    fn new(config: &NetConfig, device: &Device) -> Self {
        let init = config.init.initializer();
        let branches: Vec<TemporalBranch> = ONET_LENGTHS
            .iter()
            .map(|&n| (n, ONET_FILTERS * config.onet))
            .filter(|&(_, f)| f > 0)
            .map(|(n, filters)| TemporalBranch {
                conv: Conv2dConfig::new([1, filters], [n, 1]).with_initializer(init.clone()).init(device),
                pool: MaxPool2dConfig::new([config.frames - n + 1, 4]).with_strides([config.frames - n + 1, 4]).init(),
            })
            .collect();
        let long_lengths: Vec<(usize, usize)> =
            pnet_lengths().map(|n| (n, config.pnet)).filter(|&(_, f)| f > 0).collect();
        let long = (!long_lengths.is_empty()).then(|| ToeplitzBank::new(&long_lengths, config.frames, &init, device));
        let filters = branches.iter().map(|b| b.conv.weight.dims()[0]).sum::<usize>()
            + long_lengths.iter().map(|&(_, f)| f).sum::<usize>();
        Self {
            branches,
            long,
            dropout: DropoutConfig::new(config.dropout).init(),
            output: dense(filters * (config.mels / 4), config.classes, config, device),
            frames: config.frames,
            mels: config.mels,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut features: Vec<Tensor<2>> =
            self.branches.iter().map(|b| b.pool.forward(relu(b.conv.forward(x.clone()))).flatten(1, 3)).collect();
        if let Some(long) = &self.long {
            // [batch, filters, mels] → max over groups of 4 bands → [batch, filters · mels/4], filter-major like the
            // convolution branches' flattened [filters, 1, mels/4].
            let y = long.forward(x);
            let [batch, filters, mels] = y.dims();
            let pooled: Tensor<3> = y.reshape([batch, filters, mels / 4, 4]).max_dim(3).flatten(2, 3);
            features.push(pooled.flatten(1, 2));
        }
        self.output.forward(self.dropout.forward(Tensor::cat(features, 1)))
    }

    fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        let mut features = Vec::with_capacity(self.branches.len());
        let mut branch = |g: &mut GraphBuilder, name: &str, conv: ConvParts| -> Result<(), ExportError> {
            let (n, filters) = conv.shape;
            let w = g.initializer(&format!("{name}.weight"), &[filters as i64, 1, n as i64, 1], &conv.weight)?;
            let b = g.initializer(&format!("{name}.bias"), &[filters as i64], &conv.bias)?;
            let kernel = crate::onnx::graph::Attr::Ints(vec![n as i64, 1]);
            let y = g.node("Conv", &[x, &w, &b], &[("kernel_shape", kernel)]);
            let y = emit::relu(g, &y);
            let pool = crate::onnx::graph::Attr::Ints(vec![(self.frames - n + 1) as i64, 4]);
            let y = g.node("MaxPool", &[&y], &[("kernel_shape", pool.clone()), ("strides", pool)]);
            features.push(emit::reshape(g, &y, &[0, -1]));
            Ok(())
        };
        for (i, b) in self.branches.iter().enumerate() {
            let dims = b.conv.weight.dims();
            let bias = b.conv.bias.as_ref().map(|p| emit::values(p.val())).unwrap_or_else(|| vec![0.0; dims[0]]);
            branch(
                g,
                &format!("onet{i}"),
                ConvParts { shape: (dims[2], dims[0]), weight: emit::values(b.conv.weight.val()), bias },
            )?;
        }
        if let Some(long) = &self.long {
            for (i, ((w, b), shape)) in long.weights.iter().zip(&long.biases).zip(long.lengths()).enumerate() {
                branch(
                    g,
                    &format!("pnet{i}"),
                    ConvParts { shape, weight: emit::values(w.val()), bias: emit::values(b.val()) },
                )?;
            }
        }
        let refs: Vec<&str> = features.iter().map(String::as_str).collect();
        let all = emit::concat(g, &refs, 1);
        emit::linear(g, "output", &all, &self.output, 2)
    }
}

/// One 1-by-n convolution's values, for export.
struct ConvParts {
    /// `(n, filters)`.
    shape: (usize, usize),
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// Any genre network. (Variants differ in size, but a network exists once per training run: boxing buys nothing.)
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum GenreNet {
    /// Baseline CNN.
    Cnn(Cnn),
    /// Sequential CRNN.
    Crnn(Crnn),
    /// Parallel CNN-RNN.
    CnnRnn(CnnRnn),
    /// O-net / P-net.
    Temporal(TemporalNet),
}

/// Per-band z-normalisation baked into the exported graph (Pons & Serra normalise over the whole training set),
/// so the engine feeds the frontend's output unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// Mean over every training frame and band.
    pub mean: f32,
    /// Standard deviation over the same.
    pub std: f32,
}

impl Standardization {
    /// The identity.
    pub const NONE: Self = Self { mean: 0.0, std: 1.0 };

    /// Applies it to values in place (what the exported graph does first).
    pub fn apply(&self, values: &mut [f32]) {
        let scale = 1.0 / self.std;
        values.iter_mut().for_each(|v| *v = (*v - self.mean) * scale);
    }
}

impl GenreNet {
    /// `[batch, 1, time, mel]` (already standardised) → logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        match self {
            Self::Cnn(m) => m.forward(x),
            Self::Crnn(m) => m.forward(x),
            Self::CnnRnn(m) => m.forward(x),
            Self::Temporal(m) => m.forward(x),
        }
    }

    /// Class probabilities (softmax of [`Self::forward`]).
    pub fn probabilities(&self, x: Tensor<4>) -> Tensor<2> {
        burn::tensor::activation::softmax(self.forward(x), 1)
    }

    /// Writes the network: `logmel [batch, 1, frames, mels]` (raw frontend output) → `probabilities
    /// [batch, classes]`, with `standardization` applied first.
    pub fn to_onnx(
        &self,
        config: &NetConfig,
        standardization: Standardization,
        producer: &str,
    ) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new(&format!("genre_{}", config.architecture.name_token()));
        let x = g.input(
            "logmel",
            &[Dim::Dynamic("batch"), Dim::Fixed(1), Dim::Fixed(config.frames as i64), Dim::Fixed(config.mels as i64)],
        );
        let mean = g.initializer("standardize.negative_mean", &[], &[-standardization.mean])?;
        let scale = g.initializer("standardize.inverse_std", &[], &[1.0 / standardization.std])?;
        let centred = emit::add(&mut g, &x, &mean);
        let x = emit::mul(&mut g, &centred, &scale);
        let logits = match self {
            Self::Cnn(m) => m.emit(&mut g, &x)?,
            Self::Crnn(m) => m.emit(&mut g, &x)?,
            Self::CnnRnn(m) => m.emit(&mut g, &x)?,
            Self::Temporal(m) => m.emit(&mut g, &x)?,
        };
        emit::softmax(&mut g, &logits, 1);
        let y = g.rename_last_output("probabilities");
        g.output(&y, &[Dim::Dynamic("batch"), Dim::Fixed(config.classes as i64)]);
        Ok(g.finish(producer))
    }
}

impl Architecture {
    fn name_token(self) -> &'static str {
        match self {
            Self::Cnn => "cnn",
            Self::Crnn => "crnn",
            Self::CnnRnn => "cnn_rnn",
            Self::Temporal => "temporal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(config: &NetConfig) -> usize {
        config.init(&Device::default()).expect("valid").num_params()
    }

    /// Pons & Serra's Table 1 parameter counts (8 Ballroom classes): the nets are built exactly as published.
    #[test]
    fn temporal_nets_have_the_papers_parameter_counts() {
        for (onet, pnet, expected) in [
            (1, 0, 4_188),
            (0, 1, 7_428),
            (2, 0, 8_368),
            (1, 1, 11_608),
            (0, 2, 14_848),
            (2, 2, 23_208),
            (4, 4, 46_408),
            (8, 8, 92_808),
        ] {
            let config = NetConfig::temporal(onet, pnet, 8);
            assert_eq!(params(&config), expected, "{}", config.name());
        }
    }

    #[test]
    fn every_architecture_maps_a_window_to_class_logits() {
        let device = Device::default();
        for architecture in [Architecture::Cnn, Architecture::Crnn, Architecture::CnnRnn, Architecture::Temporal] {
            for regularization in [Regularization::Dropout, Regularization::BatchNorm, Regularization::Both] {
                let config = NetConfig { regularization, ..NetConfig::subgenre(architecture, 5) };
                let config =
                    if architecture == Architecture::Temporal { NetConfig { architecture, ..config } } else { config };
                let net = config.init(&device).expect("valid");
                let x = Tensor::<4>::random([2, 1, 250, 40], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
                assert_eq!(net.forward(x).dims(), [2, 5], "{}", config.name());
            }
        }
    }

    #[test]
    fn impossible_shapes_are_refused_before_building() {
        let short = NetConfig { frames: 100, ..NetConfig::temporal(0, 1, 8) };
        assert!(short.validate().unwrap_err().contains("shorter than the longest filter"));
        let none = NetConfig::temporal(0, 0, 8);
        assert!(none.validate().is_err());
        assert!(NetConfig::subgenre(Architecture::Cnn, 1).validate().is_err());
    }

    #[test]
    fn names_read_like_the_papers_tables() {
        assert_eq!(NetConfig::temporal(2, 2, 8).name(), "2x O-net + 2x P-net");
        assert_eq!(NetConfig::temporal(1, 0, 8).name(), "O-net");
        assert_eq!(NetConfig::subgenre(Architecture::CnnRnn, 8).name(), "cnn-rnn");
    }
}
