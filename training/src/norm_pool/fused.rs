//! Batch norm → ReLU → 2 × 2 average pooling as one burn operation (backend extension): on the Flex backend it
//! runs [`super::kernel`]'s forward pass; under autodiff it records one node whose backward pass is the kernel's.
//! The batch statistics come out beside the output, untracked, for the running statistics.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::Tensor;

use super::kernel::{self, BlockDims, Norm};
use crate::backend_io::{read, write};

/// The block tail as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait FusedNormPool: Backend {
    /// `x` `[batch, channels, height, width]` normalised with its batch statistics, scaled by `gamma`, shifted by
    /// `beta` (`[channels]`), ReLU, each 2 × 2 block averaged: `([batch, channels, height / 2, width / 2], batch
    /// mean, biased batch variance)`.
    fn norm_relu_pool(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// One call's input, parameters and statistics, read off the backend; kept as the backward pass's state.
#[derive(Debug)]
struct Call {
    dims: BlockDims,
    x: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    mean: Vec<f32>,
    variance: Vec<f32>,
    epsilon: f64,
}

impl Call {
    fn read<B: Backend>(x: FloatTensor<B>, gamma: FloatTensor<B>, beta: FloatTensor<B>, epsilon: f64) -> Self {
        let (x, shape) = read::<B>(x);
        let [batch, channels, height, width] = shape.try_into().expect("a rank-4 tensor");
        let dims = BlockDims { batch, channels, height, width };
        let (mean, variance) = kernel::statistics(&x, &dims);
        Self { dims, x, gamma: read::<B>(gamma).0, beta: read::<B>(beta).0, mean, variance, epsilon }
    }

    fn norm(&self) -> Norm<'_> {
        Norm { mean: &self.mean, variance: &self.variance, gamma: &self.gamma, beta: &self.beta, epsilon: self.epsilon }
    }

    fn forward(&self) -> Vec<f32> {
        kernel::forward(&self.x, &self.dims, &self.norm())
    }

    fn output_shape(&self) -> Vec<usize> {
        let [out_h, out_w] = self.dims.out();
        vec![self.dims.batch, self.dims.channels, out_h, out_w]
    }

    /// The output and both statistics as tensors of backend `B`.
    fn outputs<B: Backend>(&self, device: &B::Device) -> [FloatTensor<B>; 3] {
        let channels = vec![self.dims.channels];
        [
            write::<B>(self.forward(), self.output_shape(), device),
            write::<B>(self.mean.clone(), channels.clone(), device),
            write::<B>(self.variance.clone(), channels, device),
        ]
    }
}

impl FusedNormPool for Flex {
    fn norm_relu_pool(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let device = x.device();
        let [out, mean, variance] = Call::read::<Self>(x, gamma, beta, epsilon).outputs::<Self>(&device);
        (out, mean, variance)
    }
}

#[derive(Debug)]
struct NormPoolBackward;

impl<B: Backend> Backward<B, 3> for NormPoolBackward {
    type State = Arc<Call>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let d_out = grads.consume::<B>(&ops.node);
        let device = d_out.device();
        let call = ops.state;
        let d = call.dims;
        let (d_x, d_gamma, d_beta) = kernel::backward(&call.x, &d, &call.norm(), &read::<B>(d_out).0);
        let shapes = [vec![d.batch, d.channels, d.height, d.width], vec![d.channels], vec![d.channels]];
        for ((parent, values), shape) in ops.parents.into_iter().zip([d_x, d_gamma, d_beta]).zip(shapes) {
            if let Some(node) = parent {
                grads.register::<B>(node.id, write::<B>(values, shape, &device));
            }
        }
    }
}

impl<B: Backend + FusedNormPool, C: CheckpointStrategy> FusedNormPool for Autodiff<B, C> {
    fn norm_relu_pool(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let nodes = [x.node(), gamma.node(), beta.node()];
        let [x, gamma, beta] = [x, gamma, beta].map(|t| t.into_primitive());
        match NormPoolBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let device = x.device();
                let call = Call::read::<B>(x, gamma, beta, epsilon);
                let [out, mean, variance] = call.outputs::<B>(&device);
                (prep.finish(Arc::new(call), out), untracked::<B, C>(mean), untracked::<B, C>(variance))
            }
            OpsKind::UnTracked(prep) => {
                let (out, mean, variance) = B::norm_relu_pool(x, gamma, beta, epsilon);
                (prep.finish(out), untracked::<B, C>(mean), untracked::<B, C>(variance))
            }
        }
    }
}

/// A tensor of the inner backend as a leaf of the graph that no gradient flows to (the batch statistics).
fn untracked<B: Backend, C: CheckpointStrategy>(tensor: FloatTensor<B>) -> FloatTensor<Autodiff<B, C>> {
    <Autodiff<B, C> as AutodiffBackend>::from_inner(tensor)
}

/// [`FusedNormPool::norm_relu_pool`] on high-level tensors.
pub fn norm_relu_pool(
    x: Tensor<4>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
) -> (Tensor<4>, Tensor<1>, Tensor<1>) {
    let (out, mean, variance) = <Dispatch as FusedNormPool>::norm_relu_pool(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        epsilon,
    );
    (Tensor::from_dispatch(out), Tensor::from_dispatch(mean), Tensor::from_dispatch(variance))
}
