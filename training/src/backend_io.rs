//! Reading and writing backend tensors as plain `f32` arrays, for the crate's own operations (fused recurrent
//! layers, convolutions) that burn's backend-extension API runs on the CPU backend.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, TensorMetadata, try_read_sync};
use burn::tensor::TensorData;
use ndarray::Array2;

/// A tensor's values (any float type, read as f32) and shape.
pub fn read<B: Backend>(tensor: FloatTensor<B>) -> (Vec<f32>, Vec<usize>) {
    let shape = tensor.shape().to_vec();
    let data = try_read_sync(B::float_into_data(tensor))
        .expect("the CPU backend reads synchronously")
        .expect("reading a CPU tensor cannot fail");
    let values = data.convert::<f32>().try_into_vec::<f32>().expect("converted to f32");
    (values, shape)
}

/// A rank-2 tensor as an array.
pub fn matrix<B: Backend>(tensor: FloatTensor<B>) -> Array2<f32> {
    let (values, shape) = read::<B>(tensor);
    Array2::from_shape_vec((shape[0], shape[1]), values).expect("a matrix")
}

/// `values` as a tensor of `shape` on `device`.
pub fn write<B: Backend>(values: Vec<f32>, shape: Vec<usize>, device: &B::Device) -> FloatTensor<B> {
    B::float_from_data(TensorData::new(values, shape), device)
}

/// Whether tensors on `device` run on the backend the crate's own operations are wired for (Flex, with or
/// without autodiff); elsewhere callers take burn's own operations.
pub fn fused_backend(device: &burn::tensor::Device) -> bool {
    matches!(device.clone().inner().as_dispatch(), burn::backend::DispatchDevice::Flex(_))
}
