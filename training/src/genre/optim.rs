//! The optimisers of the subgenre paper's Table 1 (Adam, RMSprop, Adadelta) and Pons & Serra's plain gradient
//! descent, with Keras' defaults (the framework both papers used), so "Adadelta" here means what it meant there.
//!
//! burn has Adam, RMSprop and SGD but no Adadelta; [`Adadelta`] implements Zeiler's update on burn's
//! [`Optimizer`] trait, so it plugs into the same [`ModuleOptimizer`] (and checkpointing) as the others.

use burn::optim::{
    AdamConfig, ModuleOptimizer, Optimizer, RecordState, RmsPropConfig, SgdConfig, StateSink, StateSource,
};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Which optimiser trains a genre network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Adam (lr 1e-3, β 0.9/0.999).
    Adam,
    /// RMSprop (lr 1e-3, ρ 0.9, no momentum: Keras' defaults).
    Rmsprop,
    /// Adadelta (lr 1, ρ 0.95, ε 1e-6: Zeiler's and Keras 2's defaults).
    Adadelta,
    /// Plain minibatch gradient descent (Pons & Serra: lr 0.01, divided by 10 on plateaus).
    Sgd,
}

impl OptimizerKind {
    /// The three optimisers of the subgenre paper's Table 1, in its order.
    pub const SUBGENRE: [Self; 3] = [Self::Adam, Self::Adadelta, Self::Rmsprop];

    /// The learning rate used when none is given.
    pub fn default_learning_rate(self) -> f64 {
        match self {
            Self::Adam | Self::Rmsprop => 1e-3,
            Self::Adadelta => 1.0,
            Self::Sgd => 0.01,
        }
    }

    /// A fresh optimiser.
    pub fn init(self) -> ModuleOptimizer {
        match self {
            Self::Adam => AdamConfig::new().init(),
            Self::Rmsprop => RmsPropConfig::new().with_alpha(0.9).with_momentum(0.0).with_epsilon(1e-7).init(),
            Self::Adadelta => ModuleOptimizer::from(Adadelta { rho: 0.95, epsilon: 1e-6 }),
            Self::Sgd => SgdConfig::new().init(),
        }
    }

    /// The name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Adam => "Adam",
            Self::Rmsprop => "RMSprop",
            Self::Adadelta => "Adadelta",
            Self::Sgd => "SGD",
        }
    }
}

/// Zeiler's Adadelta: per-parameter step sizes from running averages of squared gradients and squared updates.
#[derive(Debug, Clone, Copy)]
pub struct Adadelta {
    /// Decay of both running averages.
    pub rho: f32,
    /// Keeps the square roots away from zero.
    pub epsilon: f32,
}

/// Adadelta's two running averages for one parameter.
#[derive(Clone)]
pub struct AdadeltaState<const D: usize> {
    /// E[g²].
    pub square_grad: Tensor<D>,
    /// E[Δx²].
    pub square_delta: Tensor<D>,
}

impl<const D: usize> RecordState for AdadeltaState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(prefix, "square_grad", self.square_grad.clone().into_data());
        out.push_tensor(prefix, "square_delta", self.square_delta.clone().into_data());
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let square_grad = Tensor::from_data(src.take_tensor(prefix, "square_grad")?, device);
        let square_delta = Tensor::from_data(src.take_tensor(prefix, "square_delta")?, device);
        Some(Self { square_grad, square_delta })
    }
}

impl Optimizer for Adadelta {
    type State<const D: usize> = AdadeltaState<D>;

    fn step<const D: usize>(
        &self,
        lr: f64,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (square_grad, square_delta) = match state {
            Some(s) => (s.square_grad, s.square_delta),
            None => (grad.zeros_like(), grad.zeros_like()),
        };
        let rho = self.rho;
        let square_grad = square_grad.mul_scalar(rho).add(grad.clone().square().mul_scalar(1.0 - rho));
        let delta = square_delta
            .clone()
            .add_scalar(self.epsilon)
            .sqrt()
            .div(square_grad.clone().add_scalar(self.epsilon).sqrt())
            .mul(grad);
        let square_delta = square_delta.mul_scalar(rho).add(delta.clone().square().mul_scalar(1.0 - rho));
        (tensor.sub(delta.mul_scalar(lr)), Some(AdadeltaState { square_grad, square_delta }))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdadeltaState {
            square_grad: state.square_grad.to_device(device),
            square_delta: state.square_delta.to_device(device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One parameter, two steps, against Zeiler's update written out by hand.
    #[test]
    fn adadelta_matches_the_update_rule() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default();
        let opt = Adadelta { rho: 0.95, epsilon: 1e-6 };
        let x = Tensor::<1>::from_floats([1.0, -2.0], &device);
        let g = Tensor::<1>::from_floats([0.5, -1.0], &device);
        let (x1, state) = opt.step(1.0, x, g.clone(), None);
        let (x2, _) = opt.step(1.0, x1.clone(), g, state);
        let (mut eg, mut ed, mut want) = ([0.0f64; 2], [0.0f64; 2], [[1.0f64, -2.0]; 2]);
        let grads = [0.5f64, -1.0];
        let mut current = [1.0f64, -2.0];
        for slot in &mut want {
            for i in 0..2 {
                eg[i] = 0.95 * eg[i] + 0.05 * grads[i] * grads[i];
                let delta = (ed[i] + 1e-6).sqrt() / (eg[i] + 1e-6).sqrt() * grads[i];
                ed[i] = 0.95 * ed[i] + 0.05 * delta * delta;
                current[i] -= delta;
            }
            *slot = current;
        }
        for (got, want) in [(x1, want[0]), (x2, want[1])] {
            let got = crate::onnx::emit::values(got);
            for i in 0..2 {
                assert!((f64::from(got[i]) - want[i]).abs() < 1e-6, "{got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn every_kind_builds_with_a_positive_default_rate() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        for kind in [OptimizerKind::Adam, OptimizerKind::Rmsprop, OptimizerKind::Adadelta, OptimizerKind::Sgd] {
            assert!(kind.default_learning_rate() > 0.0);
            let _ = kind.init();
        }
    }
}
