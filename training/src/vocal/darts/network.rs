//! The DARTS network around the cells: a 3×3 convolution stem, `L` cells (reductions at `L/3` and `2L/3`, as in
//! DARTS, doubling the channels), global average pooling and a linear classifier. The search network and the
//! derived network share this skeleton and differ only in their cells.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Distribution, Tensor};
use serde::{Deserialize, Serialize};

use super::cells::{CellShape, DerivedCell, SearchCell};
use super::genotype::{CellGenotype, Genotype, STEPS, edge_count};
use super::ops::Primitive;
use crate::onnx::emit;
use crate::onnx::graph::{Dim, ExportError, GraphBuilder};
use crate::onnx::proto::ModelProto;
use crate::vocal::input::SpectrogramInput;

/// Size of a DARTS network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NasConfig {
    /// Cells, `L` (the paper: 3).
    pub layers: usize,
    /// Channels of the first cell, `C` (the paper: 6).
    pub channels: usize,
    /// Intermediate nodes per cell, `N` (the paper: 4).
    pub steps: usize,
    /// Output classes.
    pub classes: usize,
    /// Stride of the stem convolution. DARTS' CIFAR stem keeps the size (1); its ImageNet networks halve large
    /// inputs first. At 140 × 140 on a CPU a stride-1 search step (batch 16, L = 3, C = 6) takes ≈ 55 s with
    /// burn's CPU backend; stride 2 (70 × 70 into the first cell) makes it four times cheaper, so it is the
    /// default here.
    #[serde(default = "default_stem_stride")]
    pub stem_stride: usize,
}

fn default_stem_stride() -> usize {
    2
}

/// Stem channels are this many times `C` (DARTS' `stem_multiplier`).
const STEM_MULTIPLIER: usize = 3;

impl NasConfig {
    /// The paper's setting, `L = 3`, `C = 6`, `N = 4`.
    pub fn paper(classes: usize) -> Self {
        Self { layers: 3, channels: 6, steps: STEPS, classes, stem_stride: default_stem_stride() }
    }

    /// Refuses sizes no network can have.
    pub fn validate(&self) -> Result<(), String> {
        if self.layers == 0 || self.channels == 0 || self.steps == 0 {
            return Err("cells, channels and nodes must all be at least 1".into());
        }
        if !self.channels.is_multiple_of(2) {
            return Err(format!(
                "channels must be even (a factorised reduction splits them in two), got {}",
                self.channels
            ));
        }
        if !(1..=2).contains(&self.stem_stride) {
            return Err(format!("the stem stride is 1 or 2, got {}", self.stem_stride));
        }
        if self.classes < 2 {
            return Err(format!("at least two classes are needed, got {}", self.classes));
        }
        Ok(())
    }

    /// Whether cell `i` is a reduction cell (DARTS: at `L/3` and `2L/3`).
    pub fn is_reduction(&self, i: usize) -> bool {
        i == self.layers / 3 || i == 2 * self.layers / 3
    }

    /// Every cell's channel bookkeeping, and the channels reaching the classifier.
    pub fn shapes(&self) -> (Vec<CellShape>, usize) {
        let stem = STEM_MULTIPLIER * self.channels;
        let (mut c_pp, mut c_p, mut c) = (stem, stem, self.channels);
        let mut reduction_prev = false;
        let mut shapes = Vec::with_capacity(self.layers);
        for i in 0..self.layers {
            let reduction = self.is_reduction(i);
            if reduction {
                c *= 2;
            }
            shapes.push(CellShape { c_prev_prev: c_pp, c_prev: c_p, channels: c, reduction, reduction_prev });
            reduction_prev = reduction;
            (c_pp, c_p) = (c_p, self.steps * c);
        }
        (shapes, c_p)
    }

    /// A short name for tables and file names: `L3-C6`.
    pub fn label(&self) -> String {
        format!("L{}-C{}", self.layers, self.channels)
    }
}

/// 3×3 convolution → BN from the one input channel.
#[derive(Module, Debug)]
pub struct Stem {
    conv: Conv2d,
    bn: BatchNorm,
}

impl Stem {
    fn new(channels: usize, stride: usize, device: &Device) -> Self {
        Self {
            conv: Conv2dConfig::new([1, channels], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device),
            bn: BatchNormConfig::new(channels).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        crate::norm::batch_norm_2d(&self.bn, crate::conv::conv2d(&self.conv, x))
    }
}

fn global_pool(x: Tensor<4>) -> Tensor<2> {
    let [b, c, _, _] = x.dims();
    x.mean_dim(3).mean_dim(2).reshape([b, c])
}

/// The over-parameterised network searched over.
#[derive(Module, Debug)]
pub struct SearchNetwork {
    stem: Stem,
    cells: Vec<SearchCell>,
    classifier: Linear,
}

/// The architecture parameters α: one row of [`Primitive::ALL`] logits per edge, shared by all normal cells
/// and by all reduction cells. Kept apart from the network's weights so each has its own optimiser.
#[derive(Module, Debug)]
pub struct Alphas {
    /// Normal cells' α, `[edges, 8]`.
    pub normal: Param<Tensor<2>>,
    /// Reduction cells' α, `[edges, 8]`.
    pub reduce: Param<Tensor<2>>,
}

impl Alphas {
    /// DARTS' initialisation: `10⁻³ · N(0, 1)`, so the search starts from a near-uniform mixture.
    pub fn new(steps: usize, device: &Device) -> Self {
        let init = || {
            Param::from_tensor(
                Tensor::<2>::random([edge_count(steps), Primitive::ALL.len()], Distribution::Normal(0.0, 1.0), device)
                    .mul_scalar(1e-3),
            )
        };
        Self { normal: init(), reduce: init() }
    }

    fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
        let [_, cols] = t.dims();
        emit::values(softmax(t, 1)).chunks(cols).map(<[f32]>::to_vec).collect()
    }

    /// Softmax-normalised weights of the normal and reduction cells.
    pub fn weights(&self) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        (Self::rows(self.normal.val()), Self::rows(self.reduce.val()))
    }

    /// The derived genotype (see [`CellGenotype::derive`]).
    pub fn genotype(&self, steps: usize) -> Result<Genotype, String> {
        let (normal, reduce) = self.weights();
        Ok(Genotype { normal: CellGenotype::derive(&normal, steps)?, reduce: CellGenotype::derive(&reduce, steps)? })
    }
}

impl SearchNetwork {
    /// A search network of size `config`.
    pub fn new(config: &NasConfig, device: &Device) -> Self {
        let (shapes, c_out) = config.shapes();
        Self {
            stem: Stem::new(STEM_MULTIPLIER * config.channels, config.stem_stride, device),
            cells: shapes.into_iter().map(|s| SearchCell::new(s, config.steps, device)).collect(),
            classifier: LinearConfig::new(c_out, config.classes).init(device),
        }
    }

    /// `[batch, 1, H, W]` → logits, mixing every edge by `alphas`. `detach_alphas` stops gradients into α (the
    /// weight step of the bi-level optimisation does not need them).
    pub fn forward(&self, x: Tensor<4>, alphas: &Alphas, detach_alphas: bool) -> Tensor<2> {
        let prepare = |p: &Param<Tensor<2>>| {
            let v = p.val();
            softmax(if detach_alphas { v.detach() } else { v }, 1)
        };
        let (normal, reduce) = (prepare(&alphas.normal), prepare(&alphas.reduce));
        let s = self.stem.forward(x);
        let (mut s0, mut s1) = (s.clone(), s);
        for cell in &self.cells {
            let w = if cell.reduction() { reduce.clone() } else { normal.clone() };
            let next = cell.forward(s0, s1.clone(), w);
            (s0, s1) = (s1, next);
        }
        self.classifier.forward(global_pool(s1))
    }
}

/// A network built from a genotype, trained from scratch and exported.
#[derive(Module, Debug)]
pub struct DerivedNetwork {
    stem: Stem,
    cells: Vec<DerivedCell>,
    classifier: Linear,
    #[module(skip)]
    config: NasConfig,
}

impl DerivedNetwork {
    /// The network `genotype` describes at size `config`.
    pub fn new(genotype: &Genotype, config: &NasConfig, device: &Device) -> Result<Self, String> {
        config.validate()?;
        genotype.validate()?;
        if genotype.normal.steps() != config.steps || genotype.reduce.steps() != config.steps {
            return Err(format!(
                "the genotype's cells have {} / {} nodes but the network is configured for {}",
                genotype.normal.steps(),
                genotype.reduce.steps(),
                config.steps
            ));
        }
        let (shapes, _) = config.shapes();
        let last = *shapes.last().expect("at least one cell");
        let last_concat = if last.reduction { genotype.reduce.concat.len() } else { genotype.normal.concat.len() };
        Ok(Self {
            stem: Stem::new(STEM_MULTIPLIER * config.channels, config.stem_stride, device),
            cells: shapes
                .into_iter()
                .map(|s| DerivedCell::new(if s.reduction { &genotype.reduce } else { &genotype.normal }, s, device))
                .collect(),
            classifier: LinearConfig::new(last_concat * last.channels, config.classes).init(device),
            config: *config,
        })
    }

    /// Its size.
    pub fn config(&self) -> NasConfig {
        self.config
    }

    /// `[batch, 1, H, W]` (the pooled, standardised spectrogram) → logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let s = self.stem.forward(x);
        let (mut s0, mut s1) = (s.clone(), s);
        for cell in &self.cells {
            let next = cell.forward(s0, s1.clone());
            (s0, s1) = (s1, next);
        }
        self.classifier.forward(global_pool(s1))
    }

    /// Class probabilities.
    pub fn probabilities(&self, x: Tensor<4>) -> Tensor<2> {
        softmax(self.forward(x), 1)
    }

    /// Writes the network from the value `x` (`[batch, 1, H, W]`, size `hw`) to its class probabilities;
    /// returns the probabilities' value name.
    pub fn emit(&self, g: &mut GraphBuilder, x: &str, hw: [usize; 2]) -> Result<String, ExportError> {
        let (c, hw) = emit::conv2d(g, "spectrogram.stem.conv", x, &self.stem.conv, hw)?;
        let s = emit::batch_norm(g, "spectrogram.stem.bn", &c, &self.stem.bn)?;
        let (mut s0, mut s1) = ((s.clone(), hw), (s, hw));
        for (i, cell) in self.cells.iter().enumerate() {
            let next = cell.emit(g, &format!("spectrogram.cell{i}"), (&s0.0, s0.1), (&s1.0, s1.1))?;
            (s0, s1) = (s1, next);
        }
        let pooled = emit::reduce_mean(g, &s1.0, &[2, 3], false);
        let logits = emit::linear(g, "spectrogram.classifier", &pooled, &self.classifier, 2)?;
        Ok(emit::softmax(g, &logits, 1))
    }

    /// The spectrogram stream alone as a model: `logmel [batch, 1, frames, mels]` (raw frontend output) →
    /// `probabilities [batch, classes]`, with `input`'s standardisation and time pooling in the graph.
    pub fn export(&self, input: &SpectrogramInput, producer: &str) -> Result<ModelProto, ExportError> {
        let mut g = GraphBuilder::new("vocal_emotion_spectrogram");
        let x = g.logmel_input(input.frames, input.mels);
        let pooled = input.emit(&mut g, &x)?;
        let p = self.emit(&mut g, &pooled, [input.pooled, input.mels])?;
        let y = emit::named(&mut g, &p, "probabilities");
        g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(self.config.classes as u64)]);
        Ok(g.finish(producer))
    }
}
