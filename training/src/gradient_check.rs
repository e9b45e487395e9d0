//! Finite-difference checks of the crate's hand-written backward passes (recurrent layers, convolution, the
//! fused block tail; tests only), and the element-wise comparison their forward tests share.

/// A small deterministic pseudo-random fill in [−1, 1).
pub fn fill(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// Asserts that `analytic[k][i]` is the derivative of `loss` with respect to `params[k][i]` for every
/// parameter, by central differences.
pub fn check(params: &[Vec<f32>], analytic: &[Vec<f32>], loss: impl Fn(&[Vec<f32>]) -> f64) {
    let eps = 1e-3f32;
    for (k, values) in params.iter().enumerate() {
        assert_eq!(values.len(), analytic[k].len(), "parameter {k}'s gradient size");
        for i in 0..values.len() {
            let mut moved = params.to_vec();
            moved[k][i] = values[i] + eps;
            let plus = loss(&moved);
            moved[k][i] = values[i] - eps;
            let minus = loss(&moved);
            let numeric = (plus - minus) / (2.0 * f64::from(eps));
            let got = f64::from(analytic[k][i]);
            assert!((got - numeric).abs() < 2e-3, "parameter {k}[{i}]: backward {got} vs finite differences {numeric}");
        }
    }
}

/// Asserts that `got` has `expected`'s length and every value within 1e-5 of it; `what` names the case.
pub fn assert_close(got: &[f32], expected: &[f32], what: impl std::fmt::Debug) {
    assert_eq!(got.len(), expected.len(), "{what:?}: length");
    for (a, b) in got.iter().zip(expected) {
        assert!((a - b).abs() < 1e-5, "{what:?}: {a} vs {b}");
    }
}
