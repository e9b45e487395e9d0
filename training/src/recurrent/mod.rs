//! burn's LSTM and GRU run over a whole sequence as one operation each: the same modules (so checkpoints, the
//! ONNX export and its parity tests are untouched), a much cheaper training step.
//!
//! Why: burn steps a recurrent layer gate by gate — two matrix products and a bias per gate per frame — and writes
//! each frame's state into the output with `slice_assign`, whose backward copies the whole `[batch, time, hidden]`
//! gradient once per frame. On the vocal frame stream (728 frames) that made a training step 12× PyTorch's. A
//! per-frame graph with the gates' weights joined ([`lstm_steps`], [`gru_steps`]) halved it, but kept autodiff
//! bookkeeping for ~17 small operations per frame. On the CPU backend a plain layer is now one burn operation
//! (`fused`) whose forward and backward passes are written out on plain arrays (`lstm_kernel`,
//! `gru_kernel`); the per-frame graph stays for anything else (other backends, clipped or reversed layers).

mod arrays;
mod fused;
mod gru_kernel;
mod lstm_kernel;

use burn::nn::activation::Activation;
use burn::nn::{GateController, Gru, Lstm};
use burn::tensor::Tensor;
use burn::tensor::activation::sigmoid;

/// The gates' input weights side by side `[input, gates · hidden]` with their biases, and likewise the hidden
/// weights `[hidden, gates · hidden]` — in the order given.
fn joined(gates: &[&GateController]) -> ((Tensor<2>, Option<Tensor<1>>), (Tensor<2>, Option<Tensor<1>>)) {
    let side = |pick: fn(&GateController) -> &burn::nn::Linear| {
        let weight = Tensor::cat(gates.iter().map(|g| pick(g).weight.val()).collect(), 1);
        let biases: Option<Vec<Tensor<1>>> = gates.iter().map(|g| pick(g).bias.as_ref().map(|b| b.val())).collect();
        (weight, biases.map(|b| Tensor::cat(b, 0)))
    };
    (side(|g| &g.input_transform), side(|g| &g.hidden_transform))
}

/// `h · W + b` for one frame `[batch, features]`.
fn project(h: Tensor<2>, (weight, bias): &(Tensor<2>, Option<Tensor<1>>)) -> Tensor<2> {
    let out = weight.dims()[1];
    let y = h.matmul(weight.clone());
    match bias {
        Some(b) => y + b.clone().reshape([1, out]),
        None => y,
    }
}

/// `[batch, time, features]` as one `[batch, features]` tensor per frame.
///
/// Cutting a tensor that needs a gradient frame by frame costs a full-size gradient per frame in the backward pass
/// (a second layer's input needs one), which is why layers hand each other whole sequences and only the
/// per-frame fallback ([`lstm_steps`], [`gru_steps`]) cuts.
pub fn frames(x: Tensor<3>) -> Vec<Tensor<2>> {
    let [batch, time, features] = x.dims();
    (0..time).map(|t| x.clone().narrow(1, t, 1).reshape([batch, features])).collect()
}

/// Per-frame tensors back into `[batch, time, features]` (one operation).
pub fn sequence(frames: Vec<Tensor<2>>) -> Tensor<3> {
    Tensor::stack(frames, 1)
}

/// Whether `lstm` is the plain layer this module computes (sigmoid gates, tanh cell and output, its own forget
/// gate, no clipping, batch-first, forward in time); anything else runs through burn's own forward.
fn plain_lstm(lstm: &Lstm) -> bool {
    lstm.forget_gate.is_some()
        && !lstm.input_forget
        && lstm.clip.is_none()
        && lstm.batch_first
        && !lstm.reverse
        && matches!(lstm.gate_activation, Activation::Sigmoid(_))
        && matches!(lstm.cell_activation, Activation::Tanh(_))
        && matches!(lstm.hidden_activation, Activation::Tanh(_))
}

/// The hidden state of `lstm` after each frame of `input`, from a zero state: what `lstm.forward` gives, frame
/// by frame. (The per-frame graph: [`lstm_states`] takes the fused operation where it can.)
pub fn lstm_steps(lstm: &Lstm, input: Vec<Tensor<2>>) -> Vec<Tensor<2>> {
    let Some(forget) = lstm.forget_gate.as_ref().filter(|_| plain_lstm(lstm)) else {
        return frames(lstm.forward(sequence(input), None).0);
    };
    let Some(batch) = input.first().map(|x| x.dims()[0]) else { return Vec::new() };
    let hidden = lstm.d_hidden;
    // burn's gate order: input, forget, output, cell.
    let (input_side, hidden_side) = joined(&[&lstm.input_gate, forget, &lstm.output_gate, &lstm.cell_gate]);
    let device = input[0].device();
    let (mut h, mut c) = (Tensor::<2>::zeros([batch, hidden], &device), Tensor::<2>::zeros([batch, hidden], &device));
    let mut states = Vec::with_capacity(input.len());
    for x in input {
        let gates = project(x, &input_side) + project(h, &hidden_side);
        let ifo = sigmoid(gates.clone().narrow(1, 0, 3 * hidden));
        let candidate = gates.narrow(1, 3 * hidden, hidden).tanh();
        let input_gate = ifo.clone().narrow(1, 0, hidden);
        let forget_gate = ifo.clone().narrow(1, hidden, hidden);
        let output_gate = ifo.narrow(1, 2 * hidden, hidden);
        c = forget_gate * c + input_gate * candidate;
        h = output_gate * c.clone().tanh();
        states.push(h.clone());
    }
    states
}

/// The hidden states of `lstm` over `x` `[batch, time, input]` from a zero state: `[batch, time, hidden]`, what
/// `lstm.forward(x, None).0` gives. On the CPU backend a plain LSTM runs as one fused operation (see `recurrent::fused`):
/// the vocal frame stream's training step fell from 0.409 s (5.8× PyTorch's) to 0.115 s (1.6×).
pub fn lstm_states(lstm: &Lstm, x: Tensor<3>) -> Tensor<3> {
    match lstm.forget_gate.as_ref().filter(|_| plain_lstm(lstm) && crate::backend_io::fused_backend(&x.device())) {
        Some(forget) => {
            let sides = joined(&[&lstm.input_gate, forget, &lstm.output_gate, &lstm.cell_gate]);
            fused_sequence(x, sides, 4 * lstm.d_hidden, fused::Cell::Lstm)
        }
        None => sequence(lstm_steps(lstm, frames(x))),
    }
}

/// One fused call ([`fused::recurrent_sequence`]) with the joined weights; a missing bias is a zero constant.
fn fused_sequence(
    x: Tensor<3>,
    (input_side, hidden_side): ((Tensor<2>, Option<Tensor<1>>), (Tensor<2>, Option<Tensor<1>>)),
    width: usize,
    cell: fused::Cell,
) -> Tensor<3> {
    let device = x.device();
    let bias = |b: Option<Tensor<1>>| b.unwrap_or_else(|| Tensor::zeros([width], &device));
    fused::recurrent_sequence(x, (input_side.0, bias(input_side.1)), (hidden_side.0, bias(hidden_side.1)), cell)
}

/// Whether `gru` is the plain layer this module computes (sigmoid gates, tanh candidate, reset after the hidden
/// product as in PyTorch, no clipping).
fn plain_gru(gru: &Gru) -> bool {
    gru.reset_after
        && gru.clip.is_none()
        && matches!(gru.gate_activation, Activation::Sigmoid(_))
        && matches!(gru.hidden_activation, Activation::Tanh(_))
}

/// The hidden state of `gru` after each frame of `input`, from a zero state: what `gru.forward` gives, frame by
/// frame.
pub fn gru_steps(gru: &Gru, input: Vec<Tensor<2>>) -> Vec<Tensor<2>> {
    if !plain_gru(gru) {
        return frames(gru.forward(sequence(input), None));
    }
    let Some(batch) = input.first().map(|x| x.dims()[0]) else { return Vec::new() };
    let hidden = gru.d_hidden;
    // Update, reset, new: z = σ(x·W_z + h·U_z), r = σ(x·W_r + h·U_r), n = tanh(x·W_n + r ⊙ (h·U_n)),
    // h′ = (1 − z) ⊙ n + z ⊙ h (biases inside each product).
    let (input_side, hidden_side) = joined(&[&gru.update_gate, &gru.reset_gate, &gru.new_gate]);
    let mut h = Tensor::<2>::zeros([batch, hidden], &input[0].device());
    let mut states = Vec::with_capacity(input.len());
    for x in input {
        let from_input = project(x, &input_side);
        let from_hidden = project(h.clone(), &hidden_side);
        let zr = sigmoid(from_input.clone().narrow(1, 0, 2 * hidden) + from_hidden.clone().narrow(1, 0, 2 * hidden));
        let update = zr.clone().narrow(1, 0, hidden);
        let reset = zr.narrow(1, hidden, hidden);
        let candidate =
            (from_input.narrow(1, 2 * hidden, hidden) + reset * from_hidden.narrow(1, 2 * hidden, hidden)).tanh();
        h = candidate * update.clone().neg().add_scalar(1.0) + update * h;
        states.push(h.clone());
    }
    states
}

/// The hidden states of `gru` over `x` `[batch, time, input]` from a zero state: `[batch, time, hidden]`, what
/// `gru.forward(x, None)` gives; on the CPU backend a plain GRU runs as one fused operation (see `recurrent::fused`).
pub fn gru_states(gru: &Gru, x: Tensor<3>) -> Tensor<3> {
    if plain_gru(gru) && crate::backend_io::fused_backend(&x.device()) {
        let sides = joined(&[&gru.update_gate, &gru.reset_gate, &gru.new_gate]);
        return fused_sequence(x, sides, 3 * gru.d_hidden, fused::Cell::Gru);
    }
    sequence(gru_steps(gru, frames(x)))
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::{GruConfig, LstmConfig};
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, Distribution};

    use super::*;

    fn close(a: Tensor<3>, b: Tensor<3>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    /// Ours and burn's forward pass over `x` agree, and so do the gradients of the sum of squares with respect to
    /// the input (as a second layer's input needs one) and every weight and bias of `gates` (the joined weights
    /// are views of the module's parameters).
    fn assert_same_as_burn<M: Module>(
        module: &M,
        gates: &[&GateController],
        x: Tensor<3>,
        ours: impl Fn(Tensor<3>) -> Tensor<3>,
        burns: impl Fn(Tensor<3>) -> Tensor<3>,
    ) {
        assert!(crate::backend_io::fused_backend(&x.device()), "the test covers the fused operation");
        let x = x.require_grad();
        let (ours, burns) = (ours(x.clone()), burns(x.clone()));
        assert!(close(ours.clone(), burns.clone()) < 1e-5, "forward");
        let (grads_ours, grads_burn) = (ours.powi_scalar(2).sum().backward(), burns.powi_scalar(2).sum().backward());
        let dx = |grads| x.grad(grads).expect("the input's gradient");
        assert!((dx(&grads_ours) - dx(&grads_burn)).abs().max().into_scalar::<f32>() < 1e-4, "input");
        let (g_ours, g_burn) =
            (GradientsParams::from_grads(grads_ours, module), GradientsParams::from_grads(grads_burn, module));
        for linear in gates.iter().flat_map(|g| [&g.input_transform, &g.hidden_transform]) {
            let id = linear.weight.id;
            let (a, b) = (g_ours.get::<2>(id).unwrap(), g_burn.get::<2>(id).unwrap());
            assert!((a - b).abs().max().into_scalar::<f32>() < 1e-4, "weight");
            let id = linear.bias.as_ref().unwrap().id;
            let (a, b) = (g_ours.get::<1>(id).unwrap(), g_burn.get::<1>(id).unwrap());
            assert!((a - b).abs().max().into_scalar::<f32>() < 1e-4, "bias");
        }
    }

    #[test]
    fn lstm_states_equal_burns_forward_and_gradients() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default().autodiff();
        device.seed(3);
        let lstm = LstmConfig::new(5, 7, true).init(&device);
        let x = Tensor::random([3, 11, 5], Distribution::Normal(0.0, 1.0), &device);
        let gates = [&lstm.input_gate, lstm.forget_gate.as_ref().unwrap(), &lstm.output_gate, &lstm.cell_gate];
        assert_same_as_burn(&lstm, &gates, x, |x| lstm_states(&lstm, x), |x| lstm.forward(x, None).0);
        assert_eq!(lstm.num_params(), 4 * (5 * 7 + 7 * 7 + 2 * 7));
    }

    #[test]
    fn gru_states_equal_burns_forward_and_gradients() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default().autodiff();
        device.seed(4);
        let gru = GruConfig::new(6, 4, true).init(&device);
        let x = Tensor::random([2, 9, 6], Distribution::Normal(0.0, 1.0), &device);
        let gates = [&gru.update_gate, &gru.reset_gate, &gru.new_gate];
        assert_same_as_burn(&gru, &gates, x, |x| gru_states(&gru, x), |x| gru.forward(x, None));
    }

    #[test]
    fn other_layers_fall_back_to_burns_forward() {
        let _lock = crate::train::TRAINING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::default();
        let lstm = LstmConfig::new(3, 2, true).with_batch_first(false).init(&device);
        let x: Tensor<3> = Tensor::random([4, 1, 3], Distribution::Normal(0.0, 1.0), &device);
        assert!(close(lstm_states(&lstm, x.clone()), lstm.forward(x, None).0) < 1e-7);
    }
}
