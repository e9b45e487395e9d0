//! DARTS' candidate operations (Liu et al. 2019, the search space EmotionNAS uses unchanged) as burn modules,
//! each with its ONNX emitter next to its forward pass so the two cannot drift apart.
//!
//! Every operation keeps the channel count `C`; a stride of 2 (operations next to a reduction cell's inputs)
//! halves the spatial size as `⌊(H − 1) / 2⌋ + 1`, the same for every operation, so the outputs of different
//! operations on one edge can be summed for any input size — including odd ones, which DARTS (CIFAR, always
//! even) never meets but our 140 → 70 → 35 → 18 spectrogram maps do. That is why [`FactorizedReduce`]'s shifted
//! path pads one row and column at the end instead of relying on an even size.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::onnx::emit;
use crate::onnx::graph::{ExportError, GraphBuilder};

/// What an emitter returns: the output value's name and its spatial size (which decides the next padding).
pub type Emitted = Result<(String, [usize; 2]), ExportError>;

/// The eight candidate operations of the paper's search space, in DARTS' order (`none` first: its weight is
/// ignored when a cell is derived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Primitive {
    /// No connection (a zero tensor).
    None,
    /// 3×3 max pooling.
    MaxPool3x3,
    /// 3×3 average pooling (padding not counted).
    AvgPool3x3,
    /// Identity (a factorised 1×1 reduction when the stride is 2).
    SkipConnect,
    /// Two stacked ReLU → depthwise 3×3 → pointwise 1×1 → BN.
    SepConv3x3,
    /// Two stacked ReLU → depthwise 5×5 → pointwise 1×1 → BN.
    SepConv5x5,
    /// ReLU → depthwise 3×3 with dilation 2 → pointwise 1×1 → BN.
    DilConv3x3,
    /// ReLU → depthwise 5×5 with dilation 2 → pointwise 1×1 → BN.
    DilConv5x5,
}

impl Primitive {
    /// All eight, in the order of the architecture weights' columns.
    pub const ALL: [Primitive; 8] = [
        Self::None,
        Self::MaxPool3x3,
        Self::AvgPool3x3,
        Self::SkipConnect,
        Self::SepConv3x3,
        Self::SepConv5x5,
        Self::DilConv3x3,
        Self::DilConv5x5,
    ];

    /// DARTS' name for it (what the genotype files and diagrams print).
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::MaxPool3x3 => "max_pool_3x3",
            Self::AvgPool3x3 => "avg_pool_3x3",
            Self::SkipConnect => "skip_connect",
            Self::SepConv3x3 => "sep_conv_3x3",
            Self::SepConv5x5 => "sep_conv_5x5",
            Self::DilConv3x3 => "dil_conv_3x3",
            Self::DilConv5x5 => "dil_conv_5x5",
        }
    }

    /// Its column in the architecture weights.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&p| p == self).expect("every primitive is listed")
    }

    /// Builds it for `channels` channels at `stride`; `None` for [`Primitive::None`], which computes nothing.
    pub fn build(self, channels: usize, stride: usize, device: &Device) -> Option<Op> {
        let pad = PaddingConfig2d::Explicit(1, 1, 1, 1);
        Some(match self {
            Self::None => return None,
            Self::MaxPool3x3 => {
                Op::MaxPool(MaxPool2dConfig::new([3, 3]).with_strides([stride, stride]).with_padding(pad).init())
            }
            Self::AvgPool3x3 => Op::AvgPool(
                AvgPool2dConfig::new([3, 3])
                    .with_strides([stride, stride])
                    .with_padding(pad)
                    .with_count_include_pad(false)
                    .init(),
            ),
            Self::SkipConnect if stride == 1 => Op::Identity(Identity::default()),
            Self::SkipConnect => Op::Reduce(FactorizedReduce::new(channels, channels, device)),
            Self::SepConv3x3 => Op::Sep(SepConv::new(channels, 3, stride, device)),
            Self::SepConv5x5 => Op::Sep(SepConv::new(channels, 5, stride, device)),
            Self::DilConv3x3 => Op::Dil(DilConv::new(channels, channels, 3, stride, 2, device)),
            Self::DilConv5x5 => Op::Dil(DilConv::new(channels, channels, 5, stride, 2, device)),
        })
    }
}

/// The identity (a module with nothing to learn, so an [`Op`] variant can hold it).
#[derive(Module, Debug, Default)]
pub struct Identity {
    #[module(skip)]
    _marker: (),
}

/// One instantiated candidate operation.
// The convolutions are larger than the pools; boxing them would only add an indirection per forward pass.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Op {
    /// 3×3 max pooling.
    MaxPool(MaxPool2d),
    /// 3×3 average pooling.
    AvgPool(AvgPool2d),
    /// Skip connection at stride 1.
    Identity(Identity),
    /// Skip connection at stride 2.
    Reduce(FactorizedReduce),
    /// Separable convolution.
    Sep(SepConv),
    /// Dilated convolution.
    Dil(DilConv),
}

impl Op {
    /// `[batch, C, H, W]` → `[batch, C, H′, W′]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::MaxPool(p) => p.forward(x),
            Self::AvgPool(p) => p.forward(x),
            Self::Identity(_) => x,
            Self::Reduce(r) => r.forward(x),
            Self::Sep(s) => s.forward(x),
            Self::Dil(d) => d.forward(x),
        }
    }

    /// Writes it; returns the output and its spatial size.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str, hw: [usize; 2]) -> Emitted {
        Ok(match self {
            Self::MaxPool(p) => emit::max_pool2d(g, x, p, hw),
            Self::AvgPool(p) => emit::avg_pool2d(g, x, p, hw),
            Self::Identity(_) => (x.to_string(), hw),
            Self::Reduce(r) => r.emit(g, name, x, hw)?,
            Self::Sep(s) => s.emit(g, name, x, hw)?,
            Self::Dil(d) => d.emit(g, name, x, hw)?,
        })
    }
}

fn conv(
    [c_in, c_out]: [usize; 2],
    kernel: usize,
    stride: usize,
    dilation: usize,
    groups: usize,
    device: &Device,
) -> Conv2d {
    let pad = dilation * (kernel - 1) / 2;
    Conv2dConfig::new([c_in, c_out], [kernel, kernel])
        .with_stride([stride, stride])
        .with_dilation([dilation, dilation])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(false)
        .init(device)
}

/// ReLU → convolution → BN: DARTS' stem-side building block and its cells' 1×1 input preprocessing.
#[derive(Module, Debug)]
pub struct ReluConvBn {
    conv: Conv2d,
    bn: BatchNorm,
}

impl ReluConvBn {
    /// A `kernel × kernel` convolution from `c_in` to `c_out` channels at stride 1.
    pub fn new(c_in: usize, c_out: usize, kernel: usize, device: &Device) -> Self {
        Self { conv: conv([c_in, c_out], kernel, 1, 1, 1, device), bn: BatchNormConfig::new(c_out).init(device) }
    }

    /// Forward pass.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        crate::norm::batch_norm_2d(&self.bn, crate::conv::conv2d(&self.conv, relu(x)))
    }

    /// Writes it.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str, hw: [usize; 2]) -> Emitted {
        let r = emit::relu(g, x);
        let (y, hw) = emit::conv2d(g, &format!("{name}.conv"), &r, &self.conv, hw)?;
        Ok((emit::batch_norm(g, &format!("{name}.bn"), &y, &self.bn)?, hw))
    }
}

/// ReLU → depthwise `k × k` (dilated) → pointwise 1×1 → BN: DARTS' `DilConv`, and half of a `SepConv`.
#[derive(Module, Debug)]
pub struct DilConv {
    depthwise: Conv2d,
    pointwise: Conv2d,
    bn: BatchNorm,
}

impl DilConv {
    /// From `c_in` to `c_out` channels; the padding keeps the size at stride 1.
    pub fn new(c_in: usize, c_out: usize, kernel: usize, stride: usize, dilation: usize, device: &Device) -> Self {
        Self {
            depthwise: conv([c_in, c_in], kernel, stride, dilation, c_in, device),
            pointwise: conv([c_in, c_out], 1, 1, 1, 1, device),
            bn: BatchNormConfig::new(c_out).init(device),
        }
    }

    /// Forward pass.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        crate::norm::batch_norm_2d(&self.bn, self.pointwise.forward(self.depthwise.forward(relu(x))))
    }

    /// Writes it.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str, hw: [usize; 2]) -> Emitted {
        let r = emit::relu(g, x);
        let (d, hw) = emit::conv2d(g, &format!("{name}.depthwise"), &r, &self.depthwise, hw)?;
        let (p, hw) = emit::conv2d(g, &format!("{name}.pointwise"), &d, &self.pointwise, hw)?;
        Ok((emit::batch_norm(g, &format!("{name}.bn"), &p, &self.bn)?, hw))
    }
}

/// Two [`DilConv`]s without dilation, the first carrying the stride: DARTS' `SepConv`.
#[derive(Module, Debug)]
pub struct SepConv {
    first: DilConv,
    second: DilConv,
}

impl SepConv {
    /// `channels` in and out.
    pub fn new(channels: usize, kernel: usize, stride: usize, device: &Device) -> Self {
        Self {
            first: DilConv::new(channels, channels, kernel, stride, 1, device),
            second: DilConv::new(channels, channels, kernel, 1, 1, device),
        }
    }

    /// Forward pass.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.second.forward(self.first.forward(x))
    }

    /// Writes it.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str, hw: [usize; 2]) -> Emitted {
        let (y, hw) = self.first.emit(g, &format!("{name}.first"), x, hw)?;
        self.second.emit(g, &format!("{name}.second"), &y, hw)
    }
}

/// Halves the spatial size with two 1×1 stride-2 convolutions, one on the input and one on the input shifted
/// by a pixel, concatenated (DARTS' `FactorizedReduce`): unlike a single strided 1×1 convolution it sees every
/// pixel. The shifted path pads a row and a column at the end so both paths agree for odd sizes too.
#[derive(Module, Debug)]
pub struct FactorizedReduce {
    even: Conv2d,
    odd: Conv2d,
    bn: BatchNorm,
}

impl FactorizedReduce {
    /// From `c_in` to `c_out` channels (`c_out` even).
    pub fn new(c_in: usize, c_out: usize, device: &Device) -> Self {
        let half = |pad| {
            Conv2dConfig::new([c_in, c_out / 2], [1, 1])
                .with_stride([2, 2])
                .with_padding(pad)
                .with_bias(false)
                .init(device)
        };
        Self {
            even: half(PaddingConfig2d::Valid),
            odd: half(PaddingConfig2d::Explicit(0, 0, 1, 1)),
            bn: BatchNormConfig::new(c_out).init(device),
        }
    }

    /// Forward pass.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = relu(x);
        let [b, c, h, w] = x.dims();
        let shifted = x.clone().slice([0..b, 0..c, 1..h, 1..w]);
        crate::norm::batch_norm_2d(&self.bn, Tensor::cat(vec![self.even.forward(x), self.odd.forward(shifted)], 1))
    }

    /// Writes it.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str, hw: [usize; 2]) -> Emitted {
        let r = emit::relu(g, x);
        let (even, out) = emit::conv2d(g, &format!("{name}.even"), &r, &self.even, hw)?;
        let rows = emit::slice(g, &r, 2, 1, hw[0] as i64);
        let shifted = emit::slice(g, &rows, 3, 1, hw[1] as i64);
        let (odd, _) = emit::conv2d(g, &format!("{name}.odd"), &shifted, &self.odd, [hw[0] - 1, hw[1] - 1])?;
        let joined = emit::concat(g, &[&even, &odd], 1);
        Ok((emit::batch_norm(g, &format!("{name}.bn"), &joined, &self.bn)?, out))
    }
}
