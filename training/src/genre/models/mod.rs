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

mod blocks;
mod subgenre;
mod temporal;

pub use blocks::{ConvBlock, ConvStack};
pub use subgenre::{Cnn, CnnRnn, Crnn};
pub use temporal::{TemporalBranch, TemporalNet, ToeplitzBank};

use burn::module::Module;
use burn::nn::Initializer;
use burn::tensor::{Device, Tensor};
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
    /// Writes `(x − mean) / std` in front of a graph (constants `standardize.*`); returns the standardised value.
    pub fn emit(&self, g: &mut GraphBuilder, x: &str) -> Result<String, ExportError> {
        emit::standardize(g, "standardize", x, (&[-self.mean], &[1.0 / self.std]), &[])
    }

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
        let x = g.logmel_input(config.frames, config.mels);
        let x = standardization.emit(&mut g, &x)?;
        let logits = match self {
            Self::Cnn(m) => m.emit(&mut g, &x)?,
            Self::Crnn(m) => m.emit(&mut g, &x)?,
            Self::CnnRnn(m) => m.emit(&mut g, &x)?,
            Self::Temporal(m) => m.emit(&mut g, &x)?,
        };
        emit::softmax(&mut g, &logits, 1);
        let y = g.rename_last_output("probabilities");
        g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(config.classes as u64)]);
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
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
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
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
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
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let short = NetConfig { frames: 100, ..NetConfig::temporal(0, 1, 8) };
        assert!(short.validate().unwrap_err().contains("shorter than the longest filter"));
        let none = NetConfig::temporal(0, 0, 8);
        assert!(none.validate().is_err());
        assert!(NetConfig::subgenre(Architecture::Cnn, 1).validate().is_err());
    }

    #[test]
    fn names_read_like_the_papers_tables() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(NetConfig::temporal(2, 2, 8).name(), "2x O-net + 2x P-net");
        assert_eq!(NetConfig::temporal(1, 0, 8).name(), "O-net");
        assert_eq!(NetConfig::subgenre(Architecture::CnnRnn, 8).name(), "cnn-rnn");
    }
}
