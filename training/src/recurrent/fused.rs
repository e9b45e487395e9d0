//! The fused LSTM and GRU as one burn operation each (burn's backend-extension API): on the Flex backend they
//! run [`super::lstm_kernel`]'s and [`super::gru_kernel`]'s forward passes; under autodiff each records one node
//! whose backward pass is the kernel's back-propagation through time, instead of ~17 autodiff nodes per frame.
//!
//! Only the backends the crate trains on are wired (Flex, and autodiff over it); a call on any other backend
//! panics in burn's dispatch, so [`super::lstm_states`] and [`super::gru_states`] use this only after
//! [`crate::backend_io::fused_backend`] says yes.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::Tensor;
use ndarray::Array2;

use crate::backend_io::{matrix, read, write};

use super::arrays::{self, Dims};
use super::gru_kernel;
use super::lstm_kernel;

/// Which cell a fused call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// An LSTM: gates `[input | forget | output | cell]`; its two biases simply add up.
    Lstm,
    /// A GRU (PyTorch's cell): gates `[update | reset | new]`; the recurrent bias sits inside the reset product.
    Gru,
}

impl Cell {
    fn gates(self) -> usize {
        match self {
            Self::Lstm => 4,
            Self::Gru => 3,
        }
    }
}

/// A recurrent layer over a whole sequence as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait FusedRecurrent: Backend {
    /// The hidden states `[batch, time, hidden]` of a plain `cell` layer over `x` `[batch, time, input]` from a
    /// zero state. `w_input` `[input, gates · hidden]`, `w_hidden` `[hidden, gates · hidden]` and the input-side
    /// and recurrent biases `[gates · hidden]` hold the gates side by side in burn's order.
    fn recurrent_sequence(
        x: FloatTensor<Self>,
        w_input: FloatTensor<Self>,
        w_hidden: FloatTensor<Self>,
        b_input: FloatTensor<Self>,
        b_hidden: FloatTensor<Self>,
        cell: Cell,
    ) -> FloatTensor<Self>;
}

/// One call's input and weights, read off the backend; kept as the backward pass's state.
#[derive(Debug)]
struct Call {
    cell: Cell,
    dims: Dims,
    x: Vec<f32>,
    w_input: Array2<f32>,
    w_hidden: Array2<f32>,
    b_input: Vec<f32>,
    b_hidden: Vec<f32>,
}

/// What a forward pass keeps for its backward pass.
#[derive(Debug)]
enum Tape {
    Lstm(lstm_kernel::Tape),
    Gru(gru_kernel::Tape),
}

impl Call {
    fn read<B: Backend>(inputs: [FloatTensor<B>; 5], cell: Cell) -> Self {
        let [x, w_input, w_hidden, b_input, b_hidden] = inputs;
        let (x, shape) = read::<B>(x);
        let w_hidden = matrix::<B>(w_hidden);
        let dims = Dims { batch: shape[0], time: shape[1], input: shape[2], hidden: w_hidden.nrows() };
        let (b_input, b_hidden) = (read::<B>(b_input).0, read::<B>(b_hidden).0);
        Self { cell, dims, x, w_input: matrix::<B>(w_input), w_hidden, b_input, b_hidden }
    }

    fn gru_weights(&self) -> gru_kernel::Weights<'_> {
        gru_kernel::Weights {
            w_input: self.w_input.view(),
            w_hidden: self.w_hidden.view(),
            b_input: &self.b_input,
            b_hidden: &self.b_hidden,
        }
    }

    fn forward(&self) -> (Vec<f32>, Tape) {
        match self.cell {
            Cell::Lstm => {
                let bias: Vec<f32> = self.b_input.iter().zip(&self.b_hidden).map(|(a, b)| a + b).collect();
                let (out, tape) =
                    lstm_kernel::forward(&self.x, self.dims, self.w_input.view(), self.w_hidden.view(), &bias);
                (out, Tape::Lstm(tape))
            }
            Cell::Gru => {
                let (out, tape) = gru_kernel::forward(&self.x, self.dims, self.gru_weights());
                (out, Tape::Gru(tape))
            }
        }
    }

    fn backward(&self, tape: &Tape, d_out: &[f32]) -> [Vec<f32>; 5] {
        let arrays::Gradients { x, w_input, w_hidden, b_input, b_hidden } = match tape {
            Tape::Lstm(tape) => lstm_kernel::backward(tape, self.w_input.view(), self.w_hidden.view(), d_out),
            Tape::Gru(tape) => gru_kernel::backward(tape, self.gru_weights(), d_out),
        };
        [x, w_input.into_raw_vec_and_offset().0, w_hidden.into_raw_vec_and_offset().0, b_input, b_hidden]
    }

    /// The inputs' shapes, in the operation's order, and the output's.
    fn shapes(&self) -> ([Vec<usize>; 5], Vec<usize>) {
        let Dims { batch, time, input, hidden } = self.dims;
        let width = self.cell.gates() * hidden;
        let inputs = [vec![batch, time, input], vec![input, width], vec![hidden, width], vec![width], vec![width]];
        (inputs, vec![batch, time, hidden])
    }
}

impl FusedRecurrent for Flex {
    fn recurrent_sequence(
        x: FloatTensor<Self>,
        w_input: FloatTensor<Self>,
        w_hidden: FloatTensor<Self>,
        b_input: FloatTensor<Self>,
        b_hidden: FloatTensor<Self>,
        cell: Cell,
    ) -> FloatTensor<Self> {
        let device = x.device();
        let call = Call::read::<Self>([x, w_input, w_hidden, b_input, b_hidden], cell);
        write::<Self>(call.forward().0, call.shapes().1, &device)
    }
}

#[derive(Debug)]
struct RecurrentBackward;

impl<B: Backend> Backward<B, 5> for RecurrentBackward {
    type State = Arc<(Call, Tape)>;

    fn backward(self, ops: Ops<Self::State, 5>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let d_out = grads.consume::<B>(&ops.node);
        let device = d_out.device();
        let (call, tape) = &*ops.state;
        let gradients = call.backward(tape, &read::<B>(d_out).0);
        for ((parent, values), shape) in ops.parents.into_iter().zip(gradients).zip(call.shapes().0) {
            if let Some(node) = parent {
                grads.register::<B>(node.id, write::<B>(values, shape, &device));
            }
        }
    }
}

impl<B: Backend + FusedRecurrent, C: CheckpointStrategy> FusedRecurrent for Autodiff<B, C> {
    fn recurrent_sequence(
        x: FloatTensor<Self>,
        w_input: FloatTensor<Self>,
        w_hidden: FloatTensor<Self>,
        b_input: FloatTensor<Self>,
        b_hidden: FloatTensor<Self>,
        cell: Cell,
    ) -> FloatTensor<Self> {
        let nodes = [x.node(), w_input.node(), w_hidden.node(), b_input.node(), b_hidden.node()];
        let inputs = [x, w_input, w_hidden, b_input, b_hidden].map(|t| t.into_primitive());
        match RecurrentBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let device = inputs[0].device();
                let call = Call::read::<B>(inputs, cell);
                let (out, tape) = call.forward();
                let shape = call.shapes().1;
                prep.finish(Arc::new((call, tape)), write::<B>(out, shape, &device))
            }
            OpsKind::UnTracked(prep) => {
                let [x, w_input, w_hidden, b_input, b_hidden] = inputs;
                prep.finish(B::recurrent_sequence(x, w_input, w_hidden, b_input, b_hidden, cell))
            }
        }
    }
}

/// [`FusedRecurrent::recurrent_sequence`] on high-level tensors.
pub fn recurrent_sequence(
    x: Tensor<3>,
    (w_input, b_input): (Tensor<2>, Tensor<1>),
    (w_hidden, b_hidden): (Tensor<2>, Tensor<1>),
    cell: Cell,
) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as FusedRecurrent>::recurrent_sequence(
        x.into_dispatch(),
        w_input.into_dispatch(),
        w_hidden.into_dispatch(),
        b_input.into_dispatch(),
        b_hidden.into_dispatch(),
        cell,
    ))
}
