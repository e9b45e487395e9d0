//! The stride-1 convolution as one burn operation (backend extension): on the Flex backend it runs
//! [`super::kernel`]'s forward pass; under autodiff it records one node whose backward pass is the kernel's.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::Tensor;
use ndarray::Array2;

use super::kernel::{self, ConvDims};
use crate::backend_io::{read, write};

/// The convolution as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait FusedConv: Backend {
    /// `x` `[batch, channels, height, width]` convolved with `weight` `[filters, channels, kh, kw]` at stride 1,
    /// zero-padded by `padding` (top, bottom, left, right), no bias: `[batch, filters, out_h, out_w]`.
    fn conv2d_stride1(x: FloatTensor<Self>, weight: FloatTensor<Self>, padding: [usize; 4]) -> FloatTensor<Self>;
}

/// One call's input and weight, read off the backend; kept as the backward pass's state.
#[derive(Debug)]
struct Call {
    dims: ConvDims,
    x: Vec<f32>,
    weight: Array2<f32>,
}

impl Call {
    fn read<B: Backend>(x: FloatTensor<B>, weight: FloatTensor<B>, padding: [usize; 4]) -> Self {
        let (x, [batch, channels, height, width]) = read4::<B>(x);
        let (weight, [filters, _, kh, kw]) = read4::<B>(weight);
        let dims = ConvDims { batch, channels, height, width, filters, kernel: [kh, kw], padding };
        let weight = Array2::from_shape_vec((filters, channels * kh * kw), weight).expect("weight shape");
        Self { dims, x, weight }
    }

    fn output_shape(&self) -> Vec<usize> {
        let [out_h, out_w] = self.dims.out();
        vec![self.dims.batch, self.dims.filters, out_h, out_w]
    }
}

fn read4<B: Backend>(tensor: FloatTensor<B>) -> (Vec<f32>, [usize; 4]) {
    let (values, shape) = read::<B>(tensor);
    (values, shape.try_into().expect("a rank-4 tensor"))
}

impl FusedConv for Flex {
    fn conv2d_stride1(x: FloatTensor<Self>, weight: FloatTensor<Self>, padding: [usize; 4]) -> FloatTensor<Self> {
        let device = x.device();
        let call = Call::read::<Self>(x, weight, padding);
        let out = kernel::forward(&call.x, &call.dims, call.weight.view());
        write::<Self>(out, call.output_shape(), &device)
    }
}

#[derive(Debug)]
struct ConvBackward;

impl<B: Backend> Backward<B, 2> for ConvBackward {
    type State = Arc<Call>;

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let d_out = grads.consume::<B>(&ops.node);
        let device = d_out.device();
        let call = ops.state;
        let d = call.dims;
        let (d_x, d_weight) = kernel::backward(&call.x, &d, call.weight.view(), &read::<B>(d_out).0);
        let [x, weight] = ops.parents;
        if let Some(node) = x {
            grads.register::<B>(node.id, write::<B>(d_x, vec![d.batch, d.channels, d.height, d.width], &device));
        }
        if let Some(node) = weight {
            let shape = vec![d.filters, d.channels, d.kernel[0], d.kernel[1]];
            grads.register::<B>(node.id, write::<B>(d_weight.into_raw_vec_and_offset().0, shape, &device));
        }
    }
}

impl<B: Backend + FusedConv, C: CheckpointStrategy> FusedConv for Autodiff<B, C> {
    fn conv2d_stride1(x: FloatTensor<Self>, weight: FloatTensor<Self>, padding: [usize; 4]) -> FloatTensor<Self> {
        let nodes = [x.node(), weight.node()];
        let (x, weight) = (x.into_primitive(), weight.into_primitive());
        match ConvBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let device = x.device();
                let call = Call::read::<B>(x, weight, padding);
                let out = kernel::forward(&call.x, &call.dims, call.weight.view());
                let shape = call.output_shape();
                prep.finish(Arc::new(call), write::<B>(out, shape, &device))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::conv2d_stride1(x, weight, padding)),
        }
    }
}

/// [`FusedConv::conv2d_stride1`] on high-level tensors.
pub fn conv2d_stride1(x: Tensor<4>, weight: Tensor<4>, padding: [usize; 4]) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as FusedConv>::conv2d_stride1(x.into_dispatch(), weight.into_dispatch(), padding))
}
