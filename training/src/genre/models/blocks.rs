//! The conv blocks the subgenre paper's networks are built from, and their dense and dropout helpers.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::onnx::emit;
use crate::onnx::graph::{ExportError, GraphBuilder};

use super::NetConfig;

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
    pub(super) fn new(channels: [usize; 2], pool: [usize; 2], config: &NetConfig, device: &Device) -> Self {
        Self {
            conv: Conv2dConfig::new(channels, [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .with_initializer(config.init.initializer())
                .init(device),
            norm: config.regularization.batch_norm().then(|| BatchNormConfig::new(channels[1]).init(device)),
            pool: MaxPool2dConfig::new(pool).with_strides(pool).init(),
        }
    }

    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut y = crate::conv::conv2d(&self.conv, x);
        if let Some(norm) = &self.norm {
            y = crate::norm::batch_norm_2d(norm, y);
        }
        self.pool.forward(relu(y))
    }

    pub(super) fn emit(
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
    pub(super) fn new(filters: &[usize], config: &NetConfig, device: &Device) -> Self {
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

    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.blocks.iter().fold(x, |x, block| block.forward(x))
    }

    /// Output spatial size for an input of `hw`.
    pub(super) fn output_hw(&self, hw: [usize; 2]) -> [usize; 2] {
        self.blocks.iter().fold(hw, |[h, w], _| [h / 2, w / 2])
    }

    pub(super) fn channels(&self) -> usize {
        self.blocks.last().map_or(1, |b| b.conv.weight.dims()[0])
    }

    pub(super) fn emit(
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

pub(super) fn dropout(config: &NetConfig) -> Option<Dropout> {
    config.regularization.dropout().then(|| DropoutConfig::new(config.dropout).init())
}

pub(super) fn dense(inputs: usize, outputs: usize, config: &NetConfig, device: &Device) -> Linear {
    LinearConfig::new(inputs, outputs).with_initializer(config.init.initializer()).init(device)
}

pub(super) fn maybe_dropout(dropout: &Option<Dropout>, x: Tensor<2>) -> Tensor<2> {
    match dropout {
        Some(d) => d.forward(x),
        None => x,
    }
}
