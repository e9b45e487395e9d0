//! The tail of a tagger's conv block — batch norm, ReLU, 2 × 2 average pooling — through the crate's own fused
//! operation while training on the CPU backend: the same modules (checkpoints, ONNX export and parity tests
//! untouched), a cheaper training step. See `norm_pool::kernel` for why.

mod fused;
mod kernel;

use burn::nn::pool::AvgPool2d;
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;

/// What `pool.forward(relu(norm.forward(x)))` gives in training (batch statistics, running statistics updated):
/// through the fused operation for a 2 × 2, stride-2, unpadded pooling under autodiff on the CPU backend, through
/// [`crate::norm::batch_norm_2d`] and burn's modules otherwise (inference, other pools, other backends).
pub fn norm_relu_pool(norm: &BatchNorm, pool: &AvgPool2d, x: Tensor<4>) -> Tensor<4> {
    let halving = pool.kernel_size == [2, 2]
        && pool.stride == [2, 2]
        && matches!(pool.padding, PaddingConfig2d::Valid)
        && !pool.ceil_mode;
    let device = x.device();
    let training = crate::norm::uses_batch_statistics(norm, &device);
    if !(halving && training && crate::backend_io::fused_backend(&device)) {
        return pool.forward(relu(crate::norm::batch_norm_2d(norm, x)));
    }
    let (y, mean, variance) = fused::norm_relu_pool(x, norm.gamma.val(), norm.beta.val(), norm.epsilon);
    crate::norm::update_running(norm, mean, variance);
    y
}

#[cfg(test)]
mod tests {
    use burn::module::Param;
    use burn::nn::BatchNormConfig;
    use burn::nn::pool::AvgPool2dConfig;
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, Distribution};

    use super::*;

    fn gap<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    /// Output, input gradient, γ and β gradients and the running statistics equal burn's batch norm → ReLU →
    /// average pooling, on an even and an odd-sized input (the odd row and column dropped).
    #[test]
    fn equals_burns_layers_in_output_gradients_and_running_statistics() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default().autodiff();
        device.seed(11);
        assert!(crate::backend_io::fused_backend(&device), "the test covers the fused operation");
        let pool = AvgPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
        for shape in [[3, 4, 6, 8], [2, 3, 7, 5]] {
            let channels = shape[1];
            // Two modules with the same non-trivial γ and β (a gradient or shift that ignored them would show)
            // but their own running statistics (a clone would share them).
            let gamma: Tensor<1> = Tensor::random([channels], Distribution::Uniform(0.5, 1.5), &device);
            let beta: Tensor<1> = Tensor::random([channels], Distribution::Uniform(-0.5, 0.5), &device);
            let module = || {
                let mut norm = BatchNormConfig::new(channels).init(&device);
                norm.gamma = Param::from_tensor(Tensor::from_data(gamma.to_data(), &device));
                norm.beta = Param::from_tensor(Tensor::from_data(beta.to_data(), &device));
                norm
            };
            let (norm, twin) = (module(), module());
            let x = Tensor::<4>::random(shape, Distribution::Normal(1.0, 2.0), &device).require_grad();
            let ours = norm_relu_pool(&norm, &pool, x.clone());
            let burns = pool.forward(relu(twin.forward(x.clone())));
            assert_eq!(ours.dims(), burns.dims());
            assert!(gap(ours.clone(), burns.clone()) < 1e-5, "{shape:?}: forward");
            let weights = Tensor::<4>::random(ours.dims(), Distribution::Normal(0.0, 1.0), &device);
            let g_ours = (ours * weights.clone()).sum().backward();
            let g_burn = (burns * weights).sum().backward();
            let dx = |g| x.grad(g).expect("the input's gradient");
            assert!(gap(dx(&g_ours), dx(&g_burn)) < 1e-4, "{shape:?}: input gradient");
            let (p_ours, p_burn) =
                (GradientsParams::from_grads(g_ours, &norm), GradientsParams::from_grads(g_burn, &twin));
            for (id_ours, id_burn, what) in [(norm.gamma.id, twin.gamma.id, "γ"), (norm.beta.id, twin.beta.id, "β")] {
                let (a, b) = (p_ours.get::<1>(id_ours).unwrap(), p_burn.get::<1>(id_burn).unwrap());
                assert!(gap(a, b) < 1e-4, "{shape:?}: {what} gradient");
            }
            let state = |s: &burn::module::RunningState<Tensor<1>>| s.value_sync();
            assert!(gap(state(&norm.running_mean), state(&twin.running_mean)) < 1e-5, "{shape:?}: running mean");
            assert!(gap(state(&norm.running_var), state(&twin.running_var)) < 1e-5, "{shape:?}: running variance");
        }
    }
}
