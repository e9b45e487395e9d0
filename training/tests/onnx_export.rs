//! Graphs written by our exporter load in ONNX Runtime (through the same wrapper the plugin uses) and compute what
//! a plain Rust reference computes, with a dynamic batch axis. Needs the library: `cargo xtask ort`.

use earmark_core::runtime::{OnnxSession, Runtime, SessionOptions};
use earmark_training::onnx::graph::{Attr, Dim, ExportError, GraphBuilder, save};
use ndarray::Array2;

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

/// Dense layer (weight stored [in, out], as burn does) followed by softmax.
fn reference(x: &Array2<f32>, w: &[f32], b: &[f32], inputs: usize, outputs: usize) -> Array2<f32> {
    Array2::from_shape_fn((x.nrows(), outputs), |(r, o)| {
        let logits: Vec<f32> =
            (0..outputs).map(|k| b[k] + (0..inputs).map(|i| x[[r, i]] * w[i * outputs + k]).sum::<f32>()).collect();
        let max = logits.iter().copied().fold(f32::MIN, f32::max);
        let total: f32 = logits.iter().map(|l| (l - max).exp()).sum();
        (logits[o] - max).exp() / total
    })
}

#[test]
fn gemm_softmax_matches_a_reference_at_batch_1_and_3() {
    let (inputs, outputs) = (6, 4);
    let w = values(inputs * outputs, 1);
    let b = values(outputs, 2);
    let mut graph = GraphBuilder::new("dense_softmax");
    let x = graph.input("x", &[Dim::Dynamic("batch".into()), Dim::Fixed(inputs as u64)]);
    let w_name = graph.initializer("w", &[inputs as i64, outputs as i64], &w).unwrap();
    let b_name = graph.initializer("b", &[outputs as i64], &b).unwrap();
    // burn's Linear weight is [in, out]: Gemm with transB = 0.
    let logits = graph.node("Gemm", &[&x, &w_name, &b_name], &[("transB", Attr::Int(0))]);
    graph.node("Softmax", &[&logits], &[("axis", Attr::Int(1))]);
    let y = graph.rename_last_output("y");
    graph.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(outputs as u64)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dense_softmax.onnx");
    save(&graph.finish("earmark-training test"), &path).unwrap();

    let runtime = Runtime::global().unwrap_or_else(|e| panic!("{e}"));
    let mut session = OnnxSession::load(runtime, &path, SessionOptions::default()).unwrap();
    assert_eq!(session.inputs()[0].dims, [None, Some(inputs as u64)], "the batch axis stays dynamic");
    assert_eq!(session.outputs()[0].name, "y");
    for batch in [1, 3] {
        let x = Array2::from_shape_vec((batch, inputs), values(batch * inputs, 10 + batch as u32)).unwrap();
        let out = session.run(&[x.view().into_dyn()]).unwrap();
        let expected = reference(&x, &w, &b, inputs, outputs);
        let diff = out[0].iter().zip(expected.iter()).map(|(a, e)| (a - e).abs()).fold(0.0, f32::max);
        assert!(diff <= 1e-6, "batch {batch}: max abs diff {diff}");
    }
}

#[test]
fn a_weight_that_does_not_fill_its_shape_is_refused() {
    let mut graph = GraphBuilder::new("bad");
    let err = graph.initializer("w", &[2, 3], &[0.0; 5]).unwrap_err();
    assert!(matches!(err, ExportError::ShapeMismatch { len: 5, .. }), "{err}");
}
