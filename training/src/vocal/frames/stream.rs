//! The trainable frame stream: stacked LSTM or GRU, attention pooling over frames, two fully connected layers —
//! or, as the cross-corpus alternative, no recurrence at all: each feature's mean and spread over the take
//! ("functionals", what the statistics-based classifiers that carry best across corpora read) into the same
//! two layers.

use burn::module::Module;
use burn::nn::{Gru, GruConfig, Linear, LinearConfig, Lstm, LstmConfig};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::onnx::emit;
use crate::onnx::graph::{ExportError, GraphBuilder};

/// The recurrent cell of the frame stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RecurrentCell {
    /// Long short-term memory.
    Lstm,
    /// Gated recurrent unit (burn's default `reset_after`, ONNX `linear_before_reset = 1`).
    Gru,
    /// No recurrence: each feature's mean and standard deviation over time (utterance functionals), then the
    /// fully connected layers. Far fewer weights to fit to one corpus's voices.
    Functionals,
    /// The functionals and, beside them, each feature's root-mean-square change from one pooled frame to the
    /// next: how fast the spectrum, level and pitch move — articulation rate and pitch movement, the cues that
    /// tell a flat, slow sad take from a neutral one once level and the speaker's own balance are taken out.
    Dynamics,
}

impl RecurrentCell {
    /// The recurrent cells, in the order [`choose_cell`](super::choose_cell) tries them.
    pub const ALL: [Self; 2] = [Self::Lstm, Self::Gru];

    /// Whether a stream over `cells` is sure to be functionals (no recurrent cell to choose instead): what the
    /// report and manifest call it.
    pub fn functionals_only(cells: &[Self]) -> bool {
        matches!(cells, [cell] if cell.is_functionals())
    }

    /// Whether this cell pools the take into statistics instead of reading it with recurrence and attention.
    pub fn is_functionals(self) -> bool {
        matches!(self, Self::Functionals | Self::Dynamics)
    }

    /// Statistics per feature the pooled vector holds (0 for a recurrent cell).
    fn statistics(self) -> usize {
        match self {
            Self::Functionals => 2,
            Self::Dynamics => 3,
            Self::Lstm | Self::Gru => 0,
        }
    }

    /// The name in reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lstm => "LSTM",
            Self::Gru => "GRU",
            Self::Functionals => "functionals",
            Self::Dynamics => "functionals + dynamics",
        }
    }
}

/// Shape of the frame stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameStreamConfig {
    /// Features per frame (`mels + 3` for [`MelProsody`], the embedding width for external features).
    pub input: usize,
    /// Units of each recurrent layer (the paper's best wav2vec setting has 256; 64 fits a CPU budget).
    pub hidden: usize,
    /// Stacked recurrent layers (the paper's best: 2).
    pub layers: usize,
    /// The cell.
    pub cell: RecurrentCell,
    /// Width of the attention's hidden layer.
    pub attention: usize,
    /// Width of the fully connected layer before the classifier.
    pub fc: usize,
    /// Output classes.
    pub classes: usize,
}

impl FrameStreamConfig {
    /// The defaults (64 hidden units, 2 LSTM layers, 32-wide attention and FC) for `input` features.
    pub fn new(input: usize, classes: usize) -> Self {
        Self { input, hidden: 64, layers: 2, cell: RecurrentCell::Lstm, attention: 32, fc: 32, classes }
    }

    /// Checks sizes before any tensor is made.
    pub fn validate(&self) -> Result<(), String> {
        if self.classes < 2 {
            return Err(format!("{} classes: a classifier needs at least two", self.classes));
        }
        if [self.input, self.hidden, self.layers, self.attention, self.fc].contains(&0) {
            return Err(format!("every size of the frame stream must be positive: {self:?}"));
        }
        Ok(())
    }

    /// A freshly initialised stream.
    pub fn init(&self, device: &Device) -> Result<FrameStream, String> {
        self.validate()?;
        let layers = (0..if self.cell.is_functionals() { 0 } else { self.layers })
            .map(|i| {
                let input = if i == 0 { self.input } else { self.hidden };
                match self.cell {
                    RecurrentCell::Gru => RecurrentLayer::Gru(GruConfig::new(input, self.hidden, true).init(device)),
                    _ => RecurrentLayer::Lstm(LstmConfig::new(input, self.hidden, true).init(device)),
                }
            })
            .collect();
        let pooled = if self.cell.is_functionals() { self.cell.statistics() * self.input } else { self.hidden };
        Ok(FrameStream {
            layers,
            attention: LinearConfig::new(self.hidden, self.attention).init(device),
            score: LinearConfig::new(self.attention, 1).with_bias(false).init(device),
            fc: LinearConfig::new(pooled, self.fc).init(device),
            output: LinearConfig::new(self.fc, self.classes).init(device),
            cell: self.cell,
        })
    }
}

/// One recurrent layer (batch-first). (An LSTM has four gates to a GRU's three, hence the variants' sizes; a
/// stream holds one or two layers, so boxing would buy nothing.)
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum RecurrentLayer {
    /// An LSTM.
    Lstm(Lstm),
    /// A GRU.
    Gru(Gru),
}

impl RecurrentLayer {
    /// The state after each frame, `[batch, time, features]` → `[batch, time, hidden]` (see [`crate::recurrent`]).
    fn states(&self, x: Tensor<3>) -> Tensor<3> {
        match self {
            Self::Lstm(lstm) => crate::recurrent::lstm_states(lstm, x),
            Self::Gru(gru) => crate::recurrent::gru_states(gru, x),
        }
    }

    fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str) -> Result<String, ExportError> {
        Ok(match self {
            Self::Lstm(lstm) => emit::lstm(g, name, x, lstm)?.sequence,
            Self::Gru(gru) => emit::gru(g, name, x, gru)?.sequence,
        })
    }
}

/// The trainable frame stream: stacked recurrent layers → attention pooling over time (`e_t = vᵀ·tanh(W·h_t +
/// b)`, `a = softmax_t(e)`, `z = Σ_t a_t·h_t`: frames differ in how much they say about emotion) → FC + ReLU →
/// classifier.
#[derive(Module, Debug)]
pub struct FrameStream {
    /// The recurrent layers, input first.
    pub layers: Vec<RecurrentLayer>,
    /// `W`, `b` of the attention.
    pub attention: Linear,
    /// `v` of the attention (no bias: a constant shift of every score leaves the softmax unchanged).
    pub score: Linear,
    /// The fully connected layer.
    pub fc: Linear,
    /// The classifier.
    pub output: Linear,
    /// The cell it was built with: with functionals or their dynamics in place of recurrence and attention, the
    /// attention's weights are unused.
    #[module(skip)]
    pub cell: RecurrentCell,
}

/// Floor under a feature's variance before its square root (features are standardised: a variance this small
/// is a constant feature, and the gradient of √ at 0 is infinite).
const VARIANCE_FLOOR: f32 = 1e-6;

impl FrameStream {
    /// `[batch, time, features]` → the recurrent states `[batch, time, hidden]` and the attention weights
    /// `[batch, time]`.
    pub fn attend(&self, x: Tensor<3>) -> (Tensor<3>, Tensor<2>) {
        let h = self.layers.iter().fold(x, |x, layer| layer.states(x));
        let [batch, time, _] = h.dims();
        let scores: Tensor<2> = self.score.forward(self.attention.forward(h.clone()).tanh()).reshape([batch, time]);
        (h, softmax(scores, 1))
    }

    /// `[batch, time, features]` → logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        self.output.forward(self.embedding(x))
    }

    /// `[batch, time, features]` → the take's embedding `[batch, fc]` the classifier reads (the fully connected
    /// layer after ReLU): what a corpus adversary looks at while training.
    pub fn embedding(&self, x: Tensor<3>) -> Tensor<2> {
        relu(self.fc.forward(self.pool(x)))
    }

    /// `[batch, time, features]` → what the fully connected layer reads: the take's statistics per feature
    /// (functionals) or the attention-weighted sum of the recurrent states.
    pub fn pool(&self, x: Tensor<3>) -> Tensor<2> {
        if self.cell.is_functionals() {
            let [batch, time, features] = x.dims();
            let mean = x.clone().mean_dim(1);
            let spread = (x.clone() - mean.clone()).powi_scalar(2).mean_dim(1).add_scalar(VARIANCE_FLOOR).sqrt();
            let mut statistics = vec![mean, spread];
            if self.cell == RecurrentCell::Dynamics {
                let change = x.clone().slice([0..batch, 1..time]) - x.slice([0..batch, 0..time - 1]);
                statistics.push(change.powi_scalar(2).mean_dim(1).add_scalar(VARIANCE_FLOOR).sqrt());
            }
            let width = self.cell.statistics() * features;
            Tensor::cat(statistics, 2).reshape([batch, width])
        } else {
            let (h, weights) = self.attend(x);
            let [batch, time, hidden] = h.dims();
            weights.reshape([batch, 1, time]).matmul(h).reshape([batch, hidden])
        }
    }

    /// Width of [`Self::embedding`].
    pub fn embedding_width(&self) -> usize {
        self.fc.weight.dims()[1]
    }

    /// Class probabilities (softmax of [`Self::forward`]).
    pub fn probabilities(&self, x: Tensor<3>) -> Tensor<2> {
        softmax(self.forward(x), 1)
    }

    /// Output classes.
    pub fn classes(&self) -> usize {
        self.output.weight.dims()[1]
    }

    /// Features per frame it reads.
    pub fn input(&self) -> usize {
        match self.layers.first() {
            Some(RecurrentLayer::Lstm(l)) => l.input_gate.input_transform.weight.dims()[0],
            Some(RecurrentLayer::Gru(g)) => g.update_gate.input_transform.weight.dims()[0],
            None if self.cell.is_functionals() => self.fc.weight.dims()[0] / self.cell.statistics(),
            None => self.fc.weight.dims()[0],
        }
    }

    /// Writes [`Self::forward`] into `g` (weights named `{name}.…`); returns the logits value.
    pub fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str) -> Result<String, ExportError> {
        if self.cell.is_functionals() {
            let mean = emit::reduce_mean(g, x, &[1], true);
            let centred = g.node("Sub", &[x, &mean], &[]);
            let square = emit::mul(g, &centred, &centred);
            let variance = emit::reduce_mean(g, &square, &[1], true);
            let floor = g.initializer(&format!("{name}.variance_floor"), &[], &[VARIANCE_FLOOR])?;
            let variance = emit::add(g, &variance, &floor);
            let spread = g.node("Sqrt", &[&variance], &[]);
            let mut statistics = vec![mean, spread];
            if self.cell == RecurrentCell::Dynamics {
                let later = emit::slice(g, x, 1, 1, i64::MAX);
                let earlier = emit::slice(g, x, 1, 0, -1);
                let change = g.node("Sub", &[&later, &earlier], &[]);
                let square = emit::mul(g, &change, &change);
                let power = emit::reduce_mean(g, &square, &[1], true);
                let power = emit::add(g, &power, &floor);
                statistics.push(g.node("Sqrt", &[&power], &[]));
            }
            let statistics: Vec<&str> = statistics.iter().map(String::as_str).collect();
            let pooled = emit::concat(g, &statistics, 2);
            let pooled = emit::reshape(g, &pooled, &[0, -1]);
            let fc = emit::linear(g, &format!("{name}.fc"), &pooled, &self.fc, 2)?;
            let fc = emit::relu(g, &fc);
            return emit::linear(g, &format!("{name}.output"), &fc, &self.output, 2);
        }
        let mut h = x.to_string();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.emit(g, &format!("{name}.rnn{i}"), &h)?;
        }
        let e = emit::linear(g, &format!("{name}.attention"), &h, &self.attention, 3)?;
        let e = emit::tanh(g, &e);
        let scores = emit::linear(g, &format!("{name}.score"), &e, &self.score, 3)?;
        let scores = emit::reshape(g, &scores, &[0, -1]);
        let weights = emit::softmax(g, &scores, 1);
        let weights = emit::reshape(g, &weights, &[0, 1, -1]);
        let pooled = g.node("MatMul", &[&weights, &h], &[]);
        let pooled = emit::reshape(g, &pooled, &[0, -1]);
        let fc = emit::linear(g, &format!("{name}.fc"), &pooled, &self.fc, 2)?;
        let fc = emit::relu(g, &fc);
        emit::linear(g, &format!("{name}.output"), &fc, &self.output, 2)
    }
}
