//! What the recurrent kernels share: a call's sizes, its gradients, the layout changes between burn's
//! batch-first sequences and the kernels' time-major rows, and the cells' activations.

use ndarray::{Array2, ArrayView2, Axis, s};

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

impl Gradients {
    /// What follows from the gradients of every frame's pre-activations, once back-propagation through time has
    /// them: `d_input_side` of `x·W + b` and `d_hidden_side` of `h·U + c` (`None`: the same, as in an LSTM; a
    /// GRU's differ in its new gate), time-major `[time · batch, gates · hidden]`. `x` is the input and `states`
    /// the hidden states, time-major; `U` meets the state *before* each frame, so the first frame (a zero state)
    /// adds nothing to its gradient.
    pub fn from_frames(
        dims: Dims,
        (x, w_input): (&Array2<f32>, ArrayView2<f32>),
        states: &Array2<f32>,
        d_input_side: &Array2<f32>,
        d_hidden_side: Option<&Array2<f32>>,
    ) -> Self {
        let Dims { batch, time, hidden, .. } = dims;
        let d_hidden = d_hidden_side.unwrap_or(d_input_side);
        let w_hidden = if time > 1 {
            states.slice(s![..(time - 1) * batch, ..]).t().dot(&d_hidden.slice(s![batch.., ..]))
        } else {
            Array2::zeros((hidden, d_hidden.ncols()))
        };
        let b_input = d_input_side.sum_axis(Axis(0)).to_vec();
        let b_hidden = d_hidden_side.map_or_else(|| b_input.clone(), |d| d.sum_axis(Axis(0)).to_vec());
        Self {
            x: batch_first(&d_input_side.dot(&w_input.t()), batch, time),
            w_input: x.t().dot(d_input_side),
            w_hidden,
            b_input,
            b_hidden,
        }
    }
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
