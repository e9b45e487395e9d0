//! Pons & Serra's single-layer temporal nets: O-net and P-net branches of 1-by-n filters, P-net's long filters
//! as one banded matrix product.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::onnx::emit;
use crate::onnx::graph::{ExportError, GraphBuilder};

use super::blocks::dense;
use super::{NetConfig, ONET_FILTERS, ONET_LENGTHS, pnet_lengths};

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
    pub(super) fn new(lengths: &[(usize, usize)], frames: usize, init: &Initializer, device: &Device) -> Self {
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
    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<3> {
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
    pub(super) fn lengths(&self) -> Vec<(usize, usize)> {
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
    pub(super) fn new(config: &NetConfig, device: &Device) -> Self {
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

    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut features: Vec<Tensor<2>> = self
            .branches
            .iter()
            .map(|b| b.pool.forward(relu(crate::conv::conv2d(&b.conv, x.clone()))).flatten(1, 3))
            .collect();
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

    pub(super) fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
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
pub(super) struct ConvParts {
    /// `(n, filters)`.
    shape: (usize, usize),
    weight: Vec<f32>,
    bias: Vec<f32>,
}
