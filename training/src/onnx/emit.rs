//! Per-layer emitters: each writes one burn module (or one tensor operation) into a [`GraphBuilder`] with the
//! module's trained weights, laid out as ONNX wants them.
//!
//! The layouts are where exporters go wrong, so each emitter says what it converts:
//! - burn's `Linear` weight is `[in, out]` (`y = x·W + b`): Gemm with `transB = 0`, or MatMul + Add for rank 3.
//! - burn's LSTM keeps one `GateController` (an input and a hidden `Linear`, each with a bias) per gate in the
//!   order input, forget, output, cell; ONNX's `W`/`R`/`B` stack the gates as i, o, f, c with `W[g] = Wᵢₙᵀ`,
//!   `R[g] = Wₕᵢ𝒹ᵀ` and `B = [all input biases, all hidden biases]`.
//! - burn's GRU gates are update, reset, new (ONNX z, r, h); `reset_after = true` is `linear_before_reset = 1`.
//! - burn's `Same` padding ignores dilation and puts the odd pixel at the end; emitters always write explicit
//!   `pads` computed exactly as burn does, so the two agree for every stride, dilation and input size.
//! - Sequence modules are batch-first in burn and time-first in ONNX: the emitters transpose around them.
//!
//! Emitters take value names and return the name of what they produce; shapes that decide padding are passed
//! in explicitly and the output shape is returned, so a model's export function reads like its forward pass.

use burn::nn::activation::Activation;
use burn::nn::conv::{Conv1d, Conv2d};
use burn::nn::pool::{AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d};
use burn::nn::{BatchNorm, BiGru, BiLstm, GateController, Gru, Linear, Lstm, PaddingConfig1d, PaddingConfig2d};
use burn::tensor::Tensor;

use super::graph::{Attr, ExportError, GraphBuilder};

/// The values of a tensor, row-major.
pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().convert::<f32>().try_to_vec::<f32>().expect("a float tensor converts to f32")
}

fn weight(g: &mut GraphBuilder, name: &str, tensor: Tensor<1>) -> Result<String, ExportError> {
    let n = tensor.dims()[0] as i64;
    g.initializer(name, &[n], &values(tensor))
}

fn unsupported(what: String) -> ExportError {
    ExportError::Unsupported(what)
}

/// burn's "same" padding: total `(ceil(in / s) − 1)·s + k − in`, the odd one at the end. Dilation is ignored,
/// as burn ignores it.
fn same_padding(kernel: usize, stride: usize, size: usize) -> (usize, usize) {
    let out = size.div_ceil(stride);
    let total = if out > 0 { ((out - 1) * stride + kernel).saturating_sub(size) } else { 0 };
    (total / 2, total - total / 2)
}

fn pads_2d(padding: &PaddingConfig2d, kernel: [usize; 2], stride: [usize; 2], hw: [usize; 2]) -> [usize; 4] {
    match padding {
        PaddingConfig2d::Valid => [0; 4],
        PaddingConfig2d::Same => {
            let (top, bottom) = same_padding(kernel[0], stride[0], hw[0]);
            let (left, right) = same_padding(kernel[1], stride[1], hw[1]);
            [top, left, bottom, right]
        }
        PaddingConfig2d::Explicit(top, left, bottom, right) => [*top, *left, *bottom, *right],
    }
}

fn pads_1d(padding: &PaddingConfig1d, kernel: usize, stride: usize, len: usize) -> [usize; 2] {
    match padding {
        PaddingConfig1d::Valid => [0; 2],
        PaddingConfig1d::Same => {
            let (left, right) = same_padding(kernel, stride, len);
            [left, right]
        }
        PaddingConfig1d::Explicit(left, right) => [*left, *right],
    }
}

/// Output length of a convolution or pooling window along one axis.
fn out_len(size: usize, pad: usize, kernel: usize, stride: usize, dilation: usize, ceil: bool) -> usize {
    let span = size + pad;
    let reach = dilation * (kernel - 1) + 1;
    if span < reach {
        return 0;
    }
    let steps = span - reach;
    if ceil { steps.div_ceil(stride) + 1 } else { steps / stride + 1 }
}

fn ints(v: &[usize]) -> Attr {
    Attr::Ints(v.iter().map(|&x| x as i64).collect())
}

/// `Conv` for a burn `Conv2d` over an input of spatial size `hw`; returns the output and its spatial size.
pub fn conv2d(
    g: &mut GraphBuilder,
    name: &str,
    x: &str,
    conv: &Conv2d,
    hw: [usize; 2],
) -> Result<(String, [usize; 2]), ExportError> {
    let w = conv.weight.val();
    let dims = w.dims();
    let w = g.initializer(&format!("{name}.weight"), &dims.map(|d| d as i64), &values(w))?;
    let mut inputs = vec![w];
    if let Some(bias) = &conv.bias {
        inputs.push(weight(g, &format!("{name}.bias"), bias.val())?);
    }
    let pads = pads_2d(&conv.padding, conv.kernel_size, conv.stride, hw);
    let mut all: Vec<&str> = vec![x];
    all.extend(inputs.iter().map(String::as_str));
    let y = g.node(
        "Conv",
        &all,
        &[
            ("kernel_shape", ints(&conv.kernel_size)),
            ("strides", ints(&conv.stride)),
            ("dilations", ints(&conv.dilation)),
            ("group", Attr::Int(conv.groups as i64)),
            ("pads", ints(&pads)),
        ],
    );
    let out = [
        out_len(hw[0], pads[0] + pads[2], conv.kernel_size[0], conv.stride[0], conv.dilation[0], false),
        out_len(hw[1], pads[1] + pads[3], conv.kernel_size[1], conv.stride[1], conv.dilation[1], false),
    ];
    Ok((y, out))
}

/// `Conv` for a burn `Conv1d` over an input of length `len`; returns the output and its length.
pub fn conv1d(
    g: &mut GraphBuilder,
    name: &str,
    x: &str,
    conv: &Conv1d,
    len: usize,
) -> Result<(String, usize), ExportError> {
    let w = conv.weight.val();
    let dims = w.dims();
    let w = g.initializer(&format!("{name}.weight"), &dims.map(|d| d as i64), &values(w))?;
    let mut inputs = vec![x.to_string(), w];
    if let Some(bias) = &conv.bias {
        inputs.push(weight(g, &format!("{name}.bias"), bias.val())?);
    }
    let pads = pads_1d(&conv.padding, conv.kernel_size, conv.stride, len);
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let y = g.node(
        "Conv",
        &refs,
        &[
            ("kernel_shape", ints(&[conv.kernel_size])),
            ("strides", ints(&[conv.stride])),
            ("dilations", ints(&[conv.dilation])),
            ("group", Attr::Int(conv.groups as i64)),
            ("pads", ints(&pads)),
        ],
    );
    Ok((y, out_len(len, pads[0] + pads[1], conv.kernel_size, conv.stride, conv.dilation, false)))
}

/// `BatchNormalization` with burn's running statistics (inference behaviour).
pub fn batch_norm(g: &mut GraphBuilder, name: &str, x: &str, bn: &BatchNorm) -> Result<String, ExportError> {
    let scale = weight(g, &format!("{name}.gamma"), bn.gamma.val())?;
    let bias = weight(g, &format!("{name}.beta"), bn.beta.val())?;
    let mean = weight(g, &format!("{name}.running_mean"), bn.running_mean.value())?;
    let var = weight(g, &format!("{name}.running_var"), bn.running_var.value())?;
    Ok(g.node("BatchNormalization", &[x, &scale, &bias, &mean, &var], &[("epsilon", Attr::Float(bn.epsilon as f32))]))
}

/// `MaxPool` for a burn `MaxPool2d`; returns the output and its spatial size.
pub fn max_pool2d(g: &mut GraphBuilder, x: &str, pool: &MaxPool2d, hw: [usize; 2]) -> (String, [usize; 2]) {
    let pads = pads_2d(&pool.padding, pool.kernel_size, pool.stride, hw);
    let y = g.node(
        "MaxPool",
        &[x],
        &[
            ("kernel_shape", ints(&pool.kernel_size)),
            ("strides", ints(&pool.stride)),
            ("dilations", ints(&pool.dilation)),
            ("pads", ints(&pads)),
            ("ceil_mode", Attr::Int(i64::from(pool.ceil_mode))),
        ],
    );
    let out = [
        out_len(hw[0], pads[0] + pads[2], pool.kernel_size[0], pool.stride[0], pool.dilation[0], pool.ceil_mode),
        out_len(hw[1], pads[1] + pads[3], pool.kernel_size[1], pool.stride[1], pool.dilation[1], pool.ceil_mode),
    ];
    (y, out)
}

/// `AveragePool` for a burn `AvgPool2d`; returns the output and its spatial size.
pub fn avg_pool2d(g: &mut GraphBuilder, x: &str, pool: &AvgPool2d, hw: [usize; 2]) -> (String, [usize; 2]) {
    let pads = pads_2d(&pool.padding, pool.kernel_size, pool.stride, hw);
    let y = g.node(
        "AveragePool",
        &[x],
        &[
            ("kernel_shape", ints(&pool.kernel_size)),
            ("strides", ints(&pool.stride)),
            ("pads", ints(&pads)),
            ("ceil_mode", Attr::Int(i64::from(pool.ceil_mode))),
            ("count_include_pad", Attr::Int(i64::from(pool.count_include_pad))),
        ],
    );
    let out = [
        out_len(hw[0], pads[0] + pads[2], pool.kernel_size[0], pool.stride[0], 1, pool.ceil_mode),
        out_len(hw[1], pads[1] + pads[3], pool.kernel_size[1], pool.stride[1], 1, pool.ceil_mode),
    ];
    (y, out)
}

/// `MaxPool` for a burn `MaxPool1d`; returns the output and its length.
pub fn max_pool1d(g: &mut GraphBuilder, x: &str, pool: &MaxPool1d, len: usize) -> (String, usize) {
    let pads = pads_1d(&pool.padding, pool.kernel_size, pool.stride, len);
    let y = g.node(
        "MaxPool",
        &[x],
        &[
            ("kernel_shape", ints(&[pool.kernel_size])),
            ("strides", ints(&[pool.stride])),
            ("dilations", ints(&[pool.dilation])),
            ("pads", ints(&pads)),
            ("ceil_mode", Attr::Int(i64::from(pool.ceil_mode))),
        ],
    );
    (y, out_len(len, pads[0] + pads[1], pool.kernel_size, pool.stride, pool.dilation, pool.ceil_mode))
}

/// `AveragePool` for a burn `AvgPool1d`; returns the output and its length.
pub fn avg_pool1d(g: &mut GraphBuilder, x: &str, pool: &AvgPool1d, len: usize) -> (String, usize) {
    let pads = pads_1d(&pool.padding, pool.kernel_size, pool.stride, len);
    let y = g.node(
        "AveragePool",
        &[x],
        &[
            ("kernel_shape", ints(&[pool.kernel_size])),
            ("strides", ints(&[pool.stride])),
            ("pads", ints(&pads)),
            ("ceil_mode", Attr::Int(i64::from(pool.ceil_mode))),
            ("count_include_pad", Attr::Int(i64::from(pool.count_include_pad))),
        ],
    );
    (y, out_len(len, pads[0] + pads[1], pool.kernel_size, pool.stride, 1, pool.ceil_mode))
}

/// A burn `Linear` over the last axis of a rank-`rank` input: Gemm for rank 2, MatMul (+ Add) otherwise.
pub fn linear(g: &mut GraphBuilder, name: &str, x: &str, layer: &Linear, rank: usize) -> Result<String, ExportError> {
    let w = layer.weight.val();
    let [d_in, d_out] = w.dims();
    let w = g.initializer(&format!("{name}.weight"), &[d_in as i64, d_out as i64], &values(w))?;
    let bias = match &layer.bias {
        Some(b) => Some(weight(g, &format!("{name}.bias"), b.val())?),
        None => None,
    };
    Ok(match (rank, bias) {
        (2, Some(b)) => g.node("Gemm", &[x, &w, &b], &[("transB", Attr::Int(0))]),
        (_, bias) => {
            let y = g.node("MatMul", &[x, &w], &[]);
            match bias {
                Some(b) => g.node("Add", &[&y, &b], &[]),
                None => y,
            }
        }
    })
}

/// An elementwise activation that burn's recurrent layers and our models use.
pub fn activation(g: &mut GraphBuilder, x: &str, act: &Activation) -> Result<String, ExportError> {
    let op = match act {
        Activation::Relu(_) => "Relu",
        Activation::Sigmoid(_) => "Sigmoid",
        Activation::Tanh(_) => "Tanh",
        Activation::Identity(_) => "Identity",
        other => return Err(unsupported(format!("activation {other:?}"))),
    };
    Ok(g.node(op, &[x], &[]))
}

/// `Relu`.
pub fn relu(g: &mut GraphBuilder, x: &str) -> String {
    g.node("Relu", &[x], &[])
}

/// `Sigmoid`.
pub fn sigmoid(g: &mut GraphBuilder, x: &str) -> String {
    g.node("Sigmoid", &[x], &[])
}

/// `Tanh`.
pub fn tanh(g: &mut GraphBuilder, x: &str) -> String {
    g.node("Tanh", &[x], &[])
}

/// `Softmax` along `axis`.
pub fn softmax(g: &mut GraphBuilder, x: &str, axis: i64) -> String {
    g.node("Softmax", &[x], &[("axis", Attr::Int(axis))])
}

/// `Concat` along `axis`.
pub fn concat(g: &mut GraphBuilder, xs: &[&str], axis: i64) -> String {
    g.node("Concat", xs, &[("axis", Attr::Int(axis))])
}

/// `ReduceMax` over `axes` (opset 17 takes axes as an attribute).
pub fn reduce_max(g: &mut GraphBuilder, x: &str, axes: &[i64], keep_dims: bool) -> String {
    g.node("ReduceMax", &[x], &[("axes", Attr::Ints(axes.to_vec())), ("keepdims", Attr::Int(i64::from(keep_dims)))])
}

/// `ReduceMean` over `axes`.
pub fn reduce_mean(g: &mut GraphBuilder, x: &str, axes: &[i64], keep_dims: bool) -> String {
    g.node("ReduceMean", &[x], &[("axes", Attr::Ints(axes.to_vec())), ("keepdims", Attr::Int(i64::from(keep_dims)))])
}

/// `Reshape` to `shape` (0 copies the input's size, −1 is inferred: how a dynamic batch survives a flatten).
pub fn reshape(g: &mut GraphBuilder, x: &str, shape: &[i64]) -> String {
    let name = format!("shape_{}", g.fresh_id());
    let shape = g.int64_initializer(&name, &[shape.len() as i64], shape);
    g.node("Reshape", &[x, &shape], &[])
}

/// `Transpose` with `perm`.
pub fn transpose(g: &mut GraphBuilder, x: &str, perm: &[i64]) -> String {
    g.node("Transpose", &[x], &[("perm", Attr::Ints(perm.to_vec()))])
}

/// `Resize` by integer `scales` per axis, nearest neighbour, as burn's nearest `Interpolate2d` does
/// (asymmetric coordinates, floor).
pub fn resize_nearest(g: &mut GraphBuilder, x: &str, scales: &[f32]) -> Result<String, ExportError> {
    let name = format!("scales_{}", g.fresh_id());
    let scales = g.initializer(&name, &[scales.len() as i64], scales)?;
    Ok(g.node(
        "Resize",
        &[x, "", &scales],
        &[
            ("mode", Attr::Str("nearest")),
            ("coordinate_transformation_mode", Attr::Str("asymmetric")),
            ("nearest_mode", Attr::Str("floor")),
        ],
    ))
}

/// Gives a value a chosen name (an `Identity` node), so several graph outputs can be named.
pub fn named(g: &mut GraphBuilder, x: &str, name: &str) -> String {
    g.node_with_outputs("Identity", &[x], &[name], &[]);
    name.to_string()
}

/// Standardisation inside a graph: `(x + negative_mean) · inverse_std`, the constants named
/// `{name}.negative_mean` and `{name}.inverse_std` with shape `dims` (`[]` for one scalar each, `[features]` per
/// feature). Every family's exporter writes its input standardisation with this, so the engine feeds raw
/// frontend frames whatever the model.
pub fn standardize(
    g: &mut GraphBuilder,
    name: &str,
    x: &str,
    (negative_mean, inverse_std): (&[f32], &[f32]),
    dims: &[i64],
) -> Result<String, ExportError> {
    let shift = g.initializer(&format!("{name}.negative_mean"), dims, negative_mean)?;
    let scale = g.initializer(&format!("{name}.inverse_std"), dims, inverse_std)?;
    let centred = add(g, x, &shift);
    Ok(mul(g, &centred, &scale))
}

/// `Mul` (broadcasting).
pub fn mul(g: &mut GraphBuilder, a: &str, b: &str) -> String {
    g.node("Mul", &[a, b], &[])
}

/// `Add` (broadcasting).
pub fn add(g: &mut GraphBuilder, a: &str, b: &str) -> String {
    g.node("Add", &[a, b], &[])
}

/// `Slice` of `[start, end)` along `axis`.
pub fn slice(g: &mut GraphBuilder, x: &str, axis: i64, start: i64, end: i64) -> String {
    let id = g.fresh_id();
    let s = g.int64_initializer(&format!("slice_start_{id}"), &[1], &[start]);
    let e = g.int64_initializer(&format!("slice_end_{id}"), &[1], &[end]);
    let a = g.int64_initializer(&format!("slice_axis_{id}"), &[1], &[axis]);
    g.node("Slice", &[x, &s, &e, &a], &[])
}

/// A gate's input and hidden weights transposed to ONNX's `[out, in]`, and its two biases.
struct Gate {
    w: Vec<f32>,
    r: Vec<f32>,
    wb: Vec<f32>,
    rb: Vec<f32>,
}

fn transposed(layer: &Linear) -> Vec<f32> {
    values(layer.weight.val().transpose())
}

fn bias_or_zeros(layer: &Linear) -> Vec<f32> {
    match &layer.bias {
        Some(b) => values(b.val()),
        None => vec![0.0; layer.weight.dims()[1]],
    }
}

fn gate(controller: &GateController) -> Gate {
    Gate {
        w: transposed(&controller.input_transform),
        r: transposed(&controller.hidden_transform),
        wb: bias_or_zeros(&controller.input_transform),
        rb: bias_or_zeros(&controller.hidden_transform),
    }
}

/// Stacks the directions' gates (in ONNX gate order) into `W`, `R`, `B`.
fn recurrent_weights(
    g: &mut GraphBuilder,
    name: &str,
    directions: &[Vec<Gate>],
    d_in: usize,
    hidden: usize,
) -> Result<[String; 3], ExportError> {
    let gates = directions[0].len();
    let (mut w, mut r, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for dir in directions {
        dir.iter().for_each(|gate| w.extend_from_slice(&gate.w));
        dir.iter().for_each(|gate| r.extend_from_slice(&gate.r));
        dir.iter().for_each(|gate| b.extend_from_slice(&gate.wb));
        dir.iter().for_each(|gate| b.extend_from_slice(&gate.rb));
    }
    let (dirs, rows) = (directions.len() as i64, (gates * hidden) as i64);
    Ok([
        g.initializer(&format!("{name}.W"), &[dirs, rows, d_in as i64], &w)?,
        g.initializer(&format!("{name}.R"), &[dirs, rows, hidden as i64], &r)?,
        g.initializer(&format!("{name}.B"), &[dirs, 2 * rows], &b)?,
    ])
}

fn check_lstm(lstm: &Lstm) -> Result<(), ExportError> {
    if lstm.input_forget || lstm.forget_gate.is_none() {
        return Err(unsupported("an LSTM with a coupled input/forget gate".into()));
    }
    let default = matches!(lstm.gate_activation, Activation::Sigmoid(_))
        && matches!(lstm.cell_activation, Activation::Tanh(_))
        && matches!(lstm.hidden_activation, Activation::Tanh(_));
    if !default {
        return Err(unsupported("an LSTM with non-default activations".into()));
    }
    Ok(())
}

fn lstm_gates(lstm: &Lstm) -> Vec<Gate> {
    let forget = lstm.forget_gate.as_ref().expect("checked by check_lstm");
    // ONNX order: input, output, forget, cell.
    vec![gate(&lstm.input_gate), gate(&lstm.output_gate), gate(forget), gate(&lstm.cell_gate)]
}

fn lstm_dims(lstm: &Lstm) -> (usize, usize) {
    (lstm.input_gate.input_transform.weight.dims()[0], lstm.d_hidden)
}

/// What a recurrent emitter produces, in burn's batch-first layout.
#[derive(Debug, Clone)]
pub struct RecurrentOutputs {
    /// Every step's hidden state `[batch, time, directions·hidden]` (directions concatenated, forward first).
    pub sequence: String,
    /// The final hidden state `[batch, directions·hidden]`: forward after the last step, reverse after the first.
    pub last: String,
}

/// Turns ONNX's `Y [T, dirs, B, H]` and `Y_h [dirs, B, H]` into burn's batch-first layout.
fn batch_first_outputs(g: &mut GraphBuilder, y: &str, y_h: &str) -> RecurrentOutputs {
    let seq = transpose(g, y, &[2, 0, 1, 3]);
    let sequence = reshape(g, &seq, &[0, 0, -1]);
    let last = transpose(g, y_h, &[1, 0, 2]);
    let last = reshape(g, &last, &[0, -1]);
    RecurrentOutputs { sequence, last }
}

/// One recurrent node to write.
struct Recurrent<'a> {
    op: &'a str,
    name: &'a str,
    weights: [String; 3],
    attrs: Vec<(&'a str, Attr)>,
    hidden: usize,
    clip: Option<f64>,
}

fn recurrent_node(g: &mut GraphBuilder, x_batch_first: &str, node: Recurrent<'_>) -> RecurrentOutputs {
    let Recurrent { op, name, weights, mut attrs, hidden, clip } = node;
    let x = transpose(g, x_batch_first, &[1, 0, 2]);
    let y = format!("{name}.Y");
    let y_h = format!("{name}.Y_h");
    attrs.push(("hidden_size", Attr::Int(hidden as i64)));
    if let Some(clip) = clip {
        attrs.push(("clip", Attr::Float(clip as f32)));
    }
    g.node_with_outputs(op, &[&x, &weights[0], &weights[1], &weights[2]], &[&y, &y_h], &attrs);
    batch_first_outputs(g, &y, &y_h)
}

/// `LSTM` for a burn `Lstm` (forward or `reverse`) over a batch-first input `[batch, time, features]`.
pub fn lstm(g: &mut GraphBuilder, name: &str, x: &str, lstm: &Lstm) -> Result<RecurrentOutputs, ExportError> {
    check_lstm(lstm)?;
    if !lstm.batch_first {
        return Err(unsupported("a time-first LSTM (export expects batch_first)".into()));
    }
    let (d_in, hidden) = lstm_dims(lstm);
    let weights = recurrent_weights(g, name, &[lstm_gates(lstm)], d_in, hidden)?;
    let direction = if lstm.reverse { "reverse" } else { "forward" };
    let attrs = vec![("direction", Attr::Str(direction))];
    Ok(recurrent_node(g, x, Recurrent { op: "LSTM", name, weights, attrs, hidden, clip: lstm.clip }))
}

/// Bidirectional `LSTM` for a burn `BiLstm` over a batch-first input `[batch, time, features]`.
pub fn bilstm(g: &mut GraphBuilder, name: &str, x: &str, bi: &BiLstm) -> Result<RecurrentOutputs, ExportError> {
    check_lstm(&bi.forward)?;
    check_lstm(&bi.reverse)?;
    if !bi.batch_first {
        return Err(unsupported("a time-first BiLSTM (export expects batch_first)".into()));
    }
    if bi.forward.clip != bi.reverse.clip {
        return Err(unsupported("a BiLSTM whose directions clip differently".into()));
    }
    let (d_in, hidden) = lstm_dims(&bi.forward);
    let weights = recurrent_weights(g, name, &[lstm_gates(&bi.forward), lstm_gates(&bi.reverse)], d_in, hidden)?;
    let attrs = vec![("direction", Attr::Str("bidirectional"))];
    Ok(recurrent_node(g, x, Recurrent { op: "LSTM", name, weights, attrs, hidden, clip: bi.forward.clip }))
}

fn check_gru(gru: &Gru) -> Result<(), ExportError> {
    let default =
        matches!(gru.gate_activation, Activation::Sigmoid(_)) && matches!(gru.hidden_activation, Activation::Tanh(_));
    if !default {
        return Err(unsupported("a GRU with non-default activations".into()));
    }
    Ok(())
}

fn gru_gates(gru: &Gru) -> Vec<Gate> {
    // ONNX order: update (z), reset (r), new (h).
    vec![gate(&gru.update_gate), gate(&gru.reset_gate), gate(&gru.new_gate)]
}

fn gru_dims(gru: &Gru) -> (usize, usize) {
    (gru.update_gate.input_transform.weight.dims()[0], gru.d_hidden)
}

/// `GRU` for a burn `Gru` (always batch-first) over `[batch, time, features]`.
pub fn gru(g: &mut GraphBuilder, name: &str, x: &str, gru: &Gru) -> Result<RecurrentOutputs, ExportError> {
    check_gru(gru)?;
    let (d_in, hidden) = gru_dims(gru);
    let weights = recurrent_weights(g, name, &[gru_gates(gru)], d_in, hidden)?;
    let attrs =
        vec![("direction", Attr::Str("forward")), ("linear_before_reset", Attr::Int(i64::from(gru.reset_after)))];
    Ok(recurrent_node(g, x, Recurrent { op: "GRU", name, weights, attrs, hidden, clip: gru.clip }))
}

/// Bidirectional `GRU` for a burn `BiGru` over a batch-first input.
pub fn bigru(g: &mut GraphBuilder, name: &str, x: &str, bi: &BiGru) -> Result<RecurrentOutputs, ExportError> {
    check_gru(&bi.forward)?;
    check_gru(&bi.reverse)?;
    if !bi.batch_first {
        return Err(unsupported("a time-first BiGRU (export expects batch_first)".into()));
    }
    if bi.forward.reset_after != bi.reverse.reset_after || bi.forward.clip != bi.reverse.clip {
        return Err(unsupported("a BiGRU whose directions differ in reset_after or clip".into()));
    }
    let (d_in, hidden) = gru_dims(&bi.forward);
    let weights = recurrent_weights(g, name, &[gru_gates(&bi.forward), gru_gates(&bi.reverse)], d_in, hidden)?;
    let attrs = vec![
        ("direction", Attr::Str("bidirectional")),
        ("linear_before_reset", Attr::Int(i64::from(bi.forward.reset_after))),
    ];
    Ok(recurrent_node(g, x, Recurrent { op: "GRU", name, weights, attrs, hidden, clip: bi.forward.clip }))
}
