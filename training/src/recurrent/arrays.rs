//! What the recurrent kernels share: a call's sizes, its gradients, the layout changes between burn's
//! batch-first sequences and the kernels' time-major rows, and the cells' activations.

use ndarray::Array2;

/// Sizes of one call: `batch × time` frames of `input` features into `hidden` units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Sequences.
    pub batch: usize,
    /// Frames per sequence.
    pub time: usize,
    /// Features per input frame.
    pub input: usize,
    /// Hidden units.
    pub hidden: usize,
}

/// Gradients of one backward pass, in the fused operation's input order. (An LSTM's two biases add up, so both
/// get its one bias gradient.)
#[derive(Clone, Debug)]
pub struct Gradients {
    /// Of the input sequence, batch-first `[batch, time, input]`.
    pub x: Vec<f32>,
    /// Of the input weights `[input, gates · hidden]`.
    pub w_input: Array2<f32>,
    /// Of the recurrent weights `[hidden, gates · hidden]`.
    pub w_hidden: Array2<f32>,
    /// Of the input-side bias `[gates · hidden]`.
    pub b_input: Vec<f32>,
    /// Of the recurrent bias `[gates · hidden]`.
    pub b_hidden: Vec<f32>,
}

pub fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// Batch-first `[batch, time, width]` as time-major rows `[time · batch, width]`.
pub fn time_major(x: &[f32], batch: usize, time: usize, width: usize) -> Array2<f32> {
    let mut out = Array2::zeros((time * batch, width));
    for b in 0..batch {
        for t in 0..time {
            let from = (b * time + t) * width;
            out.row_mut(t * batch + b).as_slice_mut().expect("standard layout").copy_from_slice(&x[from..from + width]);
        }
    }
    out
}

/// Time-major rows back to a batch-first slice.
pub fn batch_first(rows: &Array2<f32>, batch: usize, time: usize) -> Vec<f32> {
    let width = rows.ncols();
    let mut out = vec![0.0; batch * time * width];
    for b in 0..batch {
        for t in 0..time {
            let to = (b * time + t) * width;
            out[to..to + width].copy_from_slice(rows.row(t * batch + b).as_slice().expect("standard layout"));
        }
    }
    out
}

/// A standard-layout array's values.
pub fn slice_mut(a: &mut Array2<f32>) -> &mut [f32] {
    a.as_slice_mut().expect("standard layout")
}

/// `tanh` through one `exp` (`1 − 2 / (e^{2v} + 1)`): glibc's `tanhf` goes through `expm1f` and was the
/// largest single cost of a training step; this is within 1e-7 of it and saturates cleanly to ±1.
pub fn tanh(v: f32) -> f32 {
    1.0 - 2.0 / ((2.0 * v).exp() + 1.0)
}
