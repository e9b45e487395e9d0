//! burn's `Conv2d` module applied through the crate's own stride-1 convolution where it can: the same module
//! (checkpoints, ONNX export and parity tests untouched), a cheaper training step. See `conv::kernel` for why.

mod fused;
mod kernel;

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;

/// Zero padding (top, bottom, left, right) of a stride-1 convolution with `kernel`, as burn pads it (`Same`:
/// the odd row or column goes after).
fn padding(config: &PaddingConfig2d, kernel: [usize; 2]) -> [usize; 4] {
    match *config {
        PaddingConfig2d::Valid => [0; 4],
        PaddingConfig2d::Same => {
            let [kh, kw] = kernel.map(|k| k - 1);
            [kh / 2, kh - kh / 2, kw / 2, kw - kw / 2]
        }
        PaddingConfig2d::Explicit(top, left, bottom, right) => [top, bottom, left, right],
    }
}

/// What `conv.forward(x)` gives: through the crate's convolution for a plain stride-1 layer on the CPU backend,
/// through burn's otherwise (strides, dilation, groups, other backends).
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let plain = conv.stride == [1, 1] && conv.dilation == [1, 1] && conv.groups == 1;
    if !plain || !crate::backend_io::fused_backend(&x.device()) {
        return conv.forward(x);
    }
    let y = fused::conv2d_stride1(x, conv.weight.val(), padding(&conv.padding, conv.kernel_size));
    match &conv.bias {
        Some(bias) => {
            let filters = bias.dims()[0];
            y + bias.val().reshape([1, filters, 1, 1])
        }
        None => y,
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::conv::Conv2dConfig;
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, Distribution};

    use super::*;

    fn max_difference<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    /// Forward pass, input gradient and weight (and bias) gradients equal burn's, for the taggers' 3×3 same
    /// convolution and for an uneven kernel with explicit padding and a bias.
    #[test]
    fn conv2d_equals_burns_forward_and_gradients() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default().autodiff();
        device.seed(5);
        assert!(crate::backend_io::fused_backend(&device), "the test covers the crate's convolution");
        let layers = [
            Conv2dConfig::new([3, 4], [3, 3]).with_padding(PaddingConfig2d::Same).with_bias(false).init(&device),
            Conv2dConfig::new([2, 3], [2, 3]).with_padding(PaddingConfig2d::Explicit(1, 0, 2, 1)).init(&device),
        ];
        for conv in &layers {
            let x = Tensor::<4>::random([2, conv.weight.dims()[1], 7, 6], Distribution::Normal(0.0, 1.0), &device)
                .require_grad();
            let (ours, burns) = (conv2d(conv, x.clone()), conv.forward(x.clone()));
            assert_eq!(ours.dims(), burns.dims());
            assert!(max_difference(ours.clone(), burns.clone()) < 1e-5, "forward");
            let (g_ours, g_burn) = (ours.powi_scalar(2).sum().backward(), burns.powi_scalar(2).sum().backward());
            let dx = |g| x.grad(g).expect("the input's gradient");
            assert!(max_difference(dx(&g_ours), dx(&g_burn)) < 1e-4, "input");
            let (p_ours, p_burn) =
                (GradientsParams::from_grads(g_ours, conv), GradientsParams::from_grads(g_burn, conv));
            let id = conv.weight.id;
            assert!(max_difference(p_ours.get::<4>(id).unwrap(), p_burn.get::<4>(id).unwrap()) < 1e-4, "weight");
            if let Some(bias) = &conv.bias {
                let id = bias.id;
                assert!(max_difference(p_ours.get::<1>(id).unwrap(), p_burn.get::<1>(id).unwrap()) < 1e-4, "bias");
            }
            assert!(conv.num_params() > 0);
        }
    }
}
