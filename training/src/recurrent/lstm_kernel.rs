//! An LSTM layer's forward and backward pass over a whole sequence, on plain arrays: the arithmetic of
//! [`super::fused`], kept apart from burn so it can be read and tested alone.
//!
//! Why by hand: the per-frame burn graph costs autodiff bookkeeping for ~17 small operations per frame, which
//! made the vocal frame stream's training step 5.8× PyTorch's. Here the input side of every frame is one
//! matrix product over the whole sequence, each frame adds one product against the recurrent weights, and the
//! backward pass is the textbook one (back-propagation through time) with the weight gradients as one product
//! each at the end. Gate order and layout are burn's: `[input | forget | output | cell]` side by side.
//!
//! Layouts: sequences are batch-first `[batch, time, features]` row-major slices at the boundary, as burn holds
//! them; inside, rows are time-major (`t · batch + b`) so that one frame's rows are contiguous.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, s};

use super::arrays::{Dims, Gradients, batch_first, sigmoid, slice_mut, tanh, time_major};

/// What the forward pass keeps for the backward one (time-major rows).
#[derive(Clone, Debug)]
pub struct Tape {
    dims: Dims,
    /// The input frames `[time · batch, input]`.
    x: Array2<f32>,
    /// The gates after their activations `[time · batch, 4 · hidden]`.
    gates: Array2<f32>,
    /// The cell state after each frame `[time · batch, hidden]`.
    cells: Array2<f32>,
    /// Its `tanh` (kept: the backward pass needs it, and recomputing costs as much as the forward pass's).
    cell_tanh: Array2<f32>,
    /// The hidden state after each frame `[time · batch, hidden]`.
    states: Array2<f32>,
}

/// The hidden states after each frame from a zero state, batch-first `[batch, time, hidden]`, and the tape.
/// `w_input` is `[input, 4 · hidden]`, `w_hidden` `[hidden, 4 · hidden]`, `bias` `4 · hidden` long.
pub fn forward(
    x: &[f32],
    dims: Dims,
    w_input: ArrayView2<f32>,
    w_hidden: ArrayView2<f32>,
    bias: &[f32],
) -> (Vec<f32>, Tape) {
    let Dims { batch, time, input, hidden } = dims;
    assert_eq!(x.len(), batch * time * input, "input size");
    assert_eq!((w_input.dim(), w_hidden.dim(), bias.len()), ((input, 4 * hidden), (hidden, 4 * hidden), 4 * hidden));
    let x = time_major(x, batch, time, input);
    let mut gates = x.dot(&w_input);
    gates.rows_mut().into_iter().for_each(|mut row| row.iter_mut().zip(bias).for_each(|(g, b)| *g += b));
    let mut cells = Array2::<f32>::zeros((time * batch, hidden));
    let mut states = Array2::<f32>::zeros((time * batch, hidden));
    let mut cell_tanh = Array2::<f32>::zeros((time * batch, hidden));
    let width = 4 * hidden;
    for t in 0..time {
        if t > 0 {
            let previous = states.slice(s![(t - 1) * batch..t * batch, ..]);
            general_mat_mul(1.0, &previous, &w_hidden, 1.0, &mut gates.slice_mut(s![t * batch..(t + 1) * batch, ..]));
        }
        let (gs, cs, ts, hs) =
            (slice_mut(&mut gates), slice_mut(&mut cells), slice_mut(&mut cell_tanh), slice_mut(&mut states));
        for b in 0..batch {
            let row = t * batch + b;
            let g = &mut gs[row * width..(row + 1) * width];
            let (before, now) = cs.split_at_mut(row * hidden);
            let (c_now, c_before) = (&mut now[..hidden], (t > 0).then(|| &before[(row - batch) * hidden..]));
            let (tanh_now, h_now) =
                (&mut ts[row * hidden..(row + 1) * hidden], &mut hs[row * hidden..(row + 1) * hidden]);
            for j in 0..hidden {
                let i = sigmoid(g[j]);
                let f = sigmoid(g[hidden + j]);
                let o = sigmoid(g[2 * hidden + j]);
                let cand = tanh(g[3 * hidden + j]);
                let c = f * c_before.map_or(0.0, |c| c[j]) + i * cand;
                (g[j], g[hidden + j], g[2 * hidden + j], g[3 * hidden + j]) = (i, f, o, cand);
                c_now[j] = c;
                tanh_now[j] = tanh(c);
                h_now[j] = o * tanh_now[j];
            }
        }
    }
    let out = batch_first(&states, batch, time);
    (out, Tape { dims, x, gates, cells, cell_tanh, states })
}

/// Back-propagation through time: the gradients of a loss given its gradient `d_out` with respect to the
/// forward pass's output (batch-first `[batch, time, hidden]`).
pub fn backward(tape: &Tape, w_input: ArrayView2<f32>, w_hidden: ArrayView2<f32>, d_out: &[f32]) -> Gradients {
    let Dims { batch, time, hidden, .. } = tape.dims;
    assert_eq!(d_out.len(), batch * time * hidden, "output gradient size");
    let d_out = time_major(d_out, batch, time, hidden);
    let width = 4 * hidden;
    let mut d_gates = Array2::<f32>::zeros((time * batch, width));
    let mut d_state = Array2::<f32>::zeros((batch, hidden));
    let mut d_cell = vec![0.0f32; batch * hidden];
    let gs = tape.gates.as_slice().expect("standard layout");
    let (cs, ts) =
        (tape.cells.as_slice().expect("standard layout"), tape.cell_tanh.as_slice().expect("standard layout"));
    let dys = d_out.as_slice().expect("standard layout");
    for t in (0..time).rev() {
        let (dgs, dhs) = (slice_mut(&mut d_gates), slice_mut(&mut d_state));
        for b in 0..batch {
            let row = t * batch + b;
            let (g, dg) = (&gs[row * width..(row + 1) * width], &mut dgs[row * width..(row + 1) * width]);
            let c_before = (t > 0).then(|| &cs[(row - batch) * hidden..(row - batch + 1) * hidden]);
            let (tanh_c, dy) = (&ts[row * hidden..(row + 1) * hidden], &dys[row * hidden..(row + 1) * hidden]);
            let (dh_next, dc_next) = (&dhs[b * hidden..(b + 1) * hidden], &mut d_cell[b * hidden..(b + 1) * hidden]);
            for j in 0..hidden {
                let (i, f, o, cand) = (g[j], g[hidden + j], g[2 * hidden + j], g[3 * hidden + j]);
                let dh = dy[j] + dh_next[j];
                let dc = dh * o * (1.0 - tanh_c[j] * tanh_c[j]) + dc_next[j];
                dg[j] = dc * cand * i * (1.0 - i);
                dg[hidden + j] = dc * c_before.map_or(0.0, |c| c[j]) * f * (1.0 - f);
                dg[2 * hidden + j] = dh * tanh_c[j] * o * (1.0 - o);
                dg[3 * hidden + j] = dc * i * (1.0 - cand * cand);
                dc_next[j] = dc * f;
            }
        }
        if t > 0 {
            let frame = d_gates.slice(s![t * batch..(t + 1) * batch, ..]);
            general_mat_mul(1.0, &frame, &w_hidden.t(), 0.0, &mut d_state);
        }
    }
    Gradients::from_frames(tape.dims, (&tape.x, w_input), &tape.states, &d_gates, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradient_check::{check, fill};

    /// Finite differences agree with the backward pass for every input, weight and bias.
    #[test]
    fn the_backward_pass_is_the_forward_pass_derivative() {
        let dims = Dims { batch: 2, time: 4, input: 3, hidden: 2 };
        let params = vec![fill(24, 1), fill(24, 2), fill(16, 3), fill(8, 4)];
        let weights_of = |p: &[Vec<f32>]| -> (Array2<f32>, Array2<f32>) {
            (
                Array2::from_shape_vec((3, 8), p[1].clone()).unwrap(),
                Array2::from_shape_vec((2, 8), p[2].clone()).unwrap(),
            )
        };
        let d_out = fill(16, 5);
        let run = |p: &[Vec<f32>]| {
            let (wi, wh) = weights_of(p);
            forward(&p[0], dims, wi.view(), wh.view(), &p[3])
        };
        let (wi, wh) = weights_of(&params);
        let g = backward(&run(&params).1, wi.view(), wh.view(), &d_out);
        let analytic = [g.x, g.w_input.into_raw_vec_and_offset().0, g.w_hidden.into_raw_vec_and_offset().0, g.b_input];
        check(&params, &analytic, |p| run(p).0.iter().zip(&d_out).map(|(o, w)| f64::from(o * w)).sum());
    }
}
