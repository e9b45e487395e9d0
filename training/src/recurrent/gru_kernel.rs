//! A GRU layer's forward and backward pass over a whole sequence, on plain arrays: the arithmetic of
//! [`super::fused`]'s GRU, as [`super::lstm_kernel`] is its LSTM's (same layouts, same reasons).
//!
//! The cell is PyTorch's (reset applied after the recurrent product, burn's `reset_after`), gates side by side
//! in burn's order `[update | reset | new]`: `z = σ(x·W_z + b_z + h·U_z + c_z)`, `r = σ(x·W_r + b_r + h·U_r +
//! c_r)`, `n = tanh(x·W_n + b_n + r ⊙ (h·U_n + c_n))`, `h′ = (1 − z) ⊙ n + z ⊙ h`. The recurrent bias `c` sits
//! inside the reset product, so the two biases stay apart.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView1, ArrayView2, s};

use super::arrays::{Dims, Gradients, batch_first, sigmoid, tanh, time_major};

/// The weights of one call: `w_input` `[input, 3 · hidden]`, `w_hidden` `[hidden, 3 · hidden]`, the input-side
/// and recurrent biases `3 · hidden` long each.
#[derive(Clone, Copy, Debug)]
pub struct Weights<'a> {
    /// Input weights.
    pub w_input: ArrayView2<'a, f32>,
    /// Recurrent weights.
    pub w_hidden: ArrayView2<'a, f32>,
    /// Input-side bias.
    pub b_input: &'a [f32],
    /// Recurrent bias.
    pub b_hidden: &'a [f32],
}

/// What the forward pass keeps for the backward one (time-major rows).
#[derive(Clone, Debug)]
pub struct Tape {
    dims: Dims,
    /// The input frames `[time · batch, input]`.
    x: Array2<f32>,
    /// `z`, `r`, `n` after their activations `[time · batch, 3 · hidden]`.
    gates: Array2<f32>,
    /// The recurrent product of the new gate, `h·U_n + c_n` `[time · batch, hidden]`.
    recurrent_new: Array2<f32>,
    /// The hidden state after each frame `[time · batch, hidden]`.
    states: Array2<f32>,
}

fn add_bias(rows: &mut Array2<f32>, bias: &[f32]) {
    rows.rows_mut().into_iter().for_each(|mut row| row.iter_mut().zip(bias).for_each(|(v, b)| *v += b));
}

/// The hidden states after each frame from a zero state, batch-first `[batch, time, hidden]`, and the tape.
pub fn forward(x: &[f32], dims: Dims, weights: Weights) -> (Vec<f32>, Tape) {
    let Dims { batch, time, input, hidden } = dims;
    assert_eq!(x.len(), batch * time * input, "input size");
    assert_eq!((weights.w_input.dim(), weights.w_hidden.dim()), ((input, 3 * hidden), (hidden, 3 * hidden)));
    assert_eq!((weights.b_input.len(), weights.b_hidden.len()), (3 * hidden, 3 * hidden));
    let x = time_major(x, batch, time, input);
    let mut gates = x.dot(&weights.w_input);
    add_bias(&mut gates, weights.b_input);
    let mut recurrent_new = Array2::<f32>::zeros((time * batch, hidden));
    let mut states = Array2::<f32>::zeros((time * batch, hidden));
    let mut from_hidden = Array2::<f32>::zeros((batch, 3 * hidden));
    for t in 0..time {
        from_hidden.rows_mut().into_iter().for_each(|mut row| row.assign(&ArrayView1::from(weights.b_hidden)));
        if t > 0 {
            let previous = states.slice(s![(t - 1) * batch..t * batch, ..]);
            general_mat_mul(1.0, &previous, &weights.w_hidden, 1.0, &mut from_hidden);
        }
        for b in 0..batch {
            let row = t * batch + b;
            for j in 0..hidden {
                let h_before = if t > 0 { states[[row - batch, j]] } else { 0.0 };
                let z = sigmoid(gates[[row, j]] + from_hidden[[b, j]]);
                let r = sigmoid(gates[[row, hidden + j]] + from_hidden[[b, hidden + j]]);
                let hn = from_hidden[[b, 2 * hidden + j]];
                let n = tanh(gates[[row, 2 * hidden + j]] + r * hn);
                (gates[[row, j]], gates[[row, hidden + j]], gates[[row, 2 * hidden + j]]) = (z, r, n);
                recurrent_new[[row, j]] = hn;
                states[[row, j]] = (1.0 - z) * n + z * h_before;
            }
        }
    }
    let out = batch_first(&states, batch, time);
    (out, Tape { dims, x, gates, recurrent_new, states })
}

/// Back-propagation through time, given the loss's gradient `d_out` with respect to the output (batch-first).
pub fn backward(tape: &Tape, weights: Weights, d_out: &[f32]) -> Gradients {
    let Dims { batch, time, hidden, .. } = tape.dims;
    assert_eq!(d_out.len(), batch * time * hidden, "output gradient size");
    let d_out = time_major(d_out, batch, time, hidden);
    // Gradients of the input-side and recurrent pre-activations; they differ only in the new gate's third.
    let mut d_input_side = Array2::<f32>::zeros((time * batch, 3 * hidden));
    let mut d_hidden_side = Array2::<f32>::zeros((time * batch, 3 * hidden));
    let mut d_state = Array2::<f32>::zeros((batch, hidden));
    for t in (0..time).rev() {
        for b in 0..batch {
            let row = t * batch + b;
            for j in 0..hidden {
                let (z, r, n) =
                    (tape.gates[[row, j]], tape.gates[[row, hidden + j]], tape.gates[[row, 2 * hidden + j]]);
                let h_before = if t > 0 { tape.states[[row - batch, j]] } else { 0.0 };
                let dh = d_out[[row, j]] + d_state[[b, j]];
                let dn = dh * (1.0 - z) * (1.0 - n * n);
                let dz = dh * (h_before - n) * z * (1.0 - z);
                let dr = dn * tape.recurrent_new[[row, j]] * r * (1.0 - r);
                (d_input_side[[row, j]], d_input_side[[row, hidden + j]], d_input_side[[row, 2 * hidden + j]]) =
                    (dz, dr, dn);
                (d_hidden_side[[row, j]], d_hidden_side[[row, hidden + j]], d_hidden_side[[row, 2 * hidden + j]]) =
                    (dz, dr, dn * r);
                // What reaches the previous state directly (the product's share is added below).
                d_state[[b, j]] = dh * z;
            }
        }
        if t > 0 {
            let frame = d_hidden_side.slice(s![t * batch..(t + 1) * batch, ..]);
            general_mat_mul(1.0, &frame, &weights.w_hidden.t(), 1.0, &mut d_state);
        }
    }
    let input = (&tape.x, weights.w_input);
    Gradients::from_frames(tape.dims, input, &tape.states, &d_input_side, Some(&d_hidden_side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradient_check::{check, fill};

    /// Finite differences agree with the backward pass for every input, weight and both biases.
    #[test]
    fn the_backward_pass_is_the_forward_pass_derivative() {
        let dims = Dims { batch: 2, time: 4, input: 3, hidden: 2 };
        let params = vec![fill(24, 1), fill(18, 2), fill(12, 3), fill(6, 4), fill(6, 5)];
        let weights_of = |p: &[Vec<f32>]| -> (Array2<f32>, Array2<f32>) {
            (
                Array2::from_shape_vec((3, 6), p[1].clone()).unwrap(),
                Array2::from_shape_vec((2, 6), p[2].clone()).unwrap(),
            )
        };
        let d_out = fill(16, 6);
        let run = |p: &[Vec<f32>]| {
            let (wi, wh) = weights_of(p);
            let w = Weights { w_input: wi.view(), w_hidden: wh.view(), b_input: &p[3], b_hidden: &p[4] };
            forward(&p[0], dims, w)
        };
        let (wi, wh) = weights_of(&params);
        let (_, tape) = run(&params);
        let w = Weights { w_input: wi.view(), w_hidden: wh.view(), b_input: &params[3], b_hidden: &params[4] };
        let g = backward(&tape, w, &d_out);
        let analytic =
            [g.x, g.w_input.into_raw_vec_and_offset().0, g.w_hidden.into_raw_vec_and_offset().0, g.b_input, g.b_hidden];
        check(&params, &analytic, |p| run(p).0.iter().zip(&d_out).map(|(o, w)| f64::from(o * w)).sum());
    }
}
