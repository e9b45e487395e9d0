//! The subgenre paper's networks: the baseline CNN, the sequential CRNN and the parallel CNN-RNN.

use burn::module::Module;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BiGru, BiGruConfig, Dropout, Gru, GruConfig, Linear};
use burn::tensor::{Device, Tensor};

use crate::onnx::emit;
use crate::onnx::graph::{ExportError, GraphBuilder};

use super::NetConfig;
use super::blocks::{ConvStack, dense, dropout, maybe_dropout};

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
    pub(super) fn new(config: &NetConfig, device: &Device) -> Self {
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

    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let y: Tensor<2> = self.convs.forward(x).flatten(1, 3);
        self.output.forward(maybe_dropout(&self.dropout, y))
    }

    pub(super) fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
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
    pub(super) fn new(config: &NetConfig, device: &Device) -> Self {
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

    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        // [batch, channels, time, mel] → [batch, time, channels·mel]: one feature vector per time step.
        let y = self.convs.forward(x).swap_dims(1, 2);
        let sequence: Tensor<3> = y.flatten(2, 3);
        let steps = sequence.dims()[1];
        let states = crate::recurrent::gru_states(&self.gru, sequence);
        let last: Tensor<2> = states.narrow(1, steps - 1, 1).flatten(1, 2);
        self.output.forward(maybe_dropout(&self.dropout, last))
    }

    pub(super) fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
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
    pub(super) fn new(config: &NetConfig, device: &Device) -> Self {
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

    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let cnn: Tensor<2> = self.convs.forward(x.clone()).flatten(1, 3);
        let sequence: Tensor<3> = self.rnn_pool.forward(x).flatten(1, 2);
        let (_, state) = self.gru.forward(sequence, None);
        // [2, batch, hidden] → [batch, 2·hidden]: forward's last state, then reverse's.
        let rnn = state.swap_dims(0, 1).flatten(1, 2);
        let both = Tensor::cat(vec![cnn, rnn], 1);
        self.output.forward(maybe_dropout(&self.dropout, both))
    }

    pub(super) fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        let (cnn, _) = self.convs.emit(g, "convs", x, [self.frames, self.mels])?;
        let cnn = emit::reshape(g, &cnn, &[0, -1]);
        let (pooled, _) = emit::max_pool2d(g, x, &self.rnn_pool, [self.frames, self.mels]);
        let sequence = emit::reshape(g, &pooled, &[0, (self.frames / 2) as i64, (self.mels / 2) as i64]);
        let rnn = emit::bigru(g, "gru", &sequence, &self.gru)?;
        let both = emit::concat(g, &[&cnn, &rnn.last], 1);
        emit::linear(g, "output", &both, &self.output, 2)
    }
}
