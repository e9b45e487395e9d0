//! Mixup (Zhang et al. 2018) for the flat and hierarchical taggers: each training window is mixed with another
//! window of its batch at a weight λ ~ Beta(α, α), and its targets with the same λ.
//!
//! Why: the genre tagger learns from 900 real clips; mixup is the usual regulariser for audio taggers on small sets
//! (PANNs train with it). Why mix as sounds: the features are standardised dB, and a weighted mean of two dB
//! spectra is their geometric mean, which no recording sounds like; mixing the powers is what two signals playing
//! at once give (up to phase), so the mixed window is a sound the tagger could meet.

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution};

use crate::train::TrainError;

/// Natural-log units per dB: 10·log10(p) = ln(p) / `NEPER_PER_DB`.
const NEPER_PER_DB: f32 = std::f32::consts::LN_10 / 10.0;

/// One batch's mixing: window `i` is mixed with window `partners[i]` at weight `lambdas[i]` (on window `i`).
#[derive(Debug, Clone, PartialEq)]
pub struct MixDraw {
    /// Batch position of each window's partner (a permutation of the batch).
    pub partners: Vec<usize>,
    /// Weight of each window itself, in [0, 1].
    pub lambdas: Vec<f32>,
}

/// Mixup's α as given: 0 (off) or positive and finite; anything else is refused with the reason.
pub fn check_alpha(alpha: f32) -> Result<f32, String> {
    if alpha.is_finite() && alpha >= 0.0 {
        Ok(alpha)
    } else {
        Err(format!("mixup α must be 0 (off) or positive, not {alpha}"))
    }
}

/// Draws mixing partners and weights for a batch of `n` windows: a random permutation, and λ ~ Beta(α, α) per
/// window (α = 0.2 puts most λ near 0 or 1: most windows stay mostly themselves).
pub fn draw(alpha: f32, n: usize, rng: &mut impl Rng) -> Result<MixDraw, TrainError> {
    let beta = Beta::new(alpha, alpha).map_err(|e| TrainError::Invalid(format!("mixup α = {alpha}: {e}")))?;
    let mut partners: Vec<usize> = (0..n).collect();
    partners.shuffle(rng);
    let lambdas = (0..n).map(|_| beta.sample(rng)).collect();
    Ok(MixDraw { partners, lambdas })
}

impl MixDraw {
    fn lambda_tensor<const D: usize>(&self, device: &Device) -> Tensor<D> {
        let mut shape = [1; D];
        shape[0] = self.lambdas.len();
        Tensor::from_data(TensorData::new(self.lambdas.clone(), shape), device)
    }

    fn partner_rows<const D: usize>(&self, x: Tensor<D>, device: &Device) -> Tensor<D> {
        let indices: Vec<i64> = self.partners.iter().map(|&p| p as i64).collect();
        x.select(0, Tensor::<1, Int>::from_data(TensorData::new(indices, [self.partners.len()]), device))
    }

    /// Mixes standardised dB windows `[batch, 1, frames, mels]` as powers: with `std` the standardisation's
    /// deviation (dB per unit), the result is 10·log10(λ·10^(a/10) + (1 − λ)·10^(b/10)) in the same units (the
    /// mean cancels), computed as a log-sum-exp so that loud bands do not overflow.
    pub fn mix_features(&self, x: Tensor<4>, std: f32, device: &Device) -> Tensor<4> {
        let scale = std * NEPER_PER_DB;
        let a = x.clone().mul_scalar(scale);
        let b = self.partner_rows(x, device).mul_scalar(scale);
        let top = a.clone().max_pair(b.clone());
        let lambda = self.lambda_tensor::<4>(device);
        let sum = (a - top.clone()).exp() * lambda.clone() + (b - top.clone()).exp() * (lambda.neg() + 1.0);
        (top + sum.clamp_min(1e-30).log()).div_scalar(scale)
    }

    /// Mixes targets `[batch, tags]` with the windows' weights: λ·a + (1 − λ)·b.
    pub fn mix_targets(&self, targets: Tensor<2>, device: &Device) -> Tensor<2> {
        let lambda = self.lambda_tensor::<2>(device);
        let partner = self.partner_rows(targets.clone(), device);
        targets * lambda.clone() + partner * (lambda.neg() + 1.0)
    }

    /// A mixed window's loss mask: an entry counts only where both windows are annotated (the mix of a known and
    /// an unknown label is unknown).
    pub fn mix_mask(&self, mask: Tensor<2>, device: &Device) -> Tensor<2> {
        let partner = self.partner_rows(mask.clone(), device);
        mask * partner
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::onnx::emit::values;

    #[test]
    fn features_mix_as_powers() {
        let device = Device::default();
        // Two windows of two values each, standardised with a deviation of 10 dB per unit.
        let x = Tensor::<4>::from_data(TensorData::new(vec![0.0f32, 3.0, -2.0, 3.0], [2, 1, 1, 2]), &device);
        let draw = MixDraw { partners: vec![1, 0], lambdas: vec![0.5, 0.25] };
        let got = values(draw.mix_features(x, 10.0, &device));
        let power = |u: f32| 10f32.powf(u * 10.0 / 10.0);
        let mixed = |a: f32, b: f32, l: f32| (l * power(a) + (1.0 - l) * power(b)).log10();
        let want = [mixed(0.0, -2.0, 0.5), mixed(3.0, 3.0, 0.5), mixed(-2.0, 0.0, 0.25), mixed(3.0, 3.0, 0.25)];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-4, "{got:?} against {want:?}");
        }
        // Equal levels stay where they are; a window at full weight is itself.
        assert!((got[1] - 3.0).abs() < 1e-4);
        let x = Tensor::<4>::from_data(TensorData::new(vec![0.5f32, -4.0], [2, 1, 1, 1]), &device);
        let whole = MixDraw { partners: vec![1, 0], lambdas: vec![1.0, 0.0] };
        let got = values(whole.mix_features(x, 6.0, &device));
        assert!((got[0] - 0.5).abs() < 1e-4 && (got[1] - 0.5).abs() < 1e-4, "{got:?}");
    }

    #[test]
    fn targets_and_masks_follow_the_weights() {
        let device = Device::default();
        let targets = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.0, 0.0, 1.0], [2, 2]), &device);
        let draw = MixDraw { partners: vec![1, 0], lambdas: vec![0.75, 0.1] };
        let got = values(draw.mix_targets(targets, &device));
        let want = [0.75, 0.25, 0.9, 0.1];
        assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6), "{got:?}");
        let mask = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 1.0, 0.0, 1.0], [2, 2]), &device);
        assert_eq!(values(draw.mix_mask(mask, &device)), vec![0.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn draws_a_permutation_and_weights_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let d = draw(0.2, 16, &mut rng).expect("valid α");
        let mut sorted = d.partners.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..16).collect::<Vec<_>>());
        assert!(d.lambdas.iter().all(|l| (0.0..=1.0).contains(l)));
        // α = 0.2 is U-shaped: most weights sit near an end.
        let d = draw(0.2, 2000, &mut rng).expect("valid α");
        let ends = d.lambdas.iter().filter(|&&l| !(0.1..=0.9).contains(&l)).count();
        assert!(ends > 1200, "{ends} of 2000 near an end");
        assert!(draw(0.0, 4, &mut rng).is_err());
        assert_eq!(check_alpha(0.0), Ok(0.0));
        assert!(check_alpha(-0.1).is_err() && check_alpha(f32::NAN).is_err() && check_alpha(f32::INFINITY).is_err());
    }
}
