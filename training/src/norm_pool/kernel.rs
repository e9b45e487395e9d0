//! Training-mode batch normalisation, ReLU and 2 × 2 average pooling (stride 2, no padding) of
//! `[batch, channels, height, width]` as one pass forward and two back, on plain arrays: the arithmetic of
//! [`super::fused`].
//!
//! Why: composed from burn's operations this tail of a tagger block is a dozen element-wise passes over the
//! block's largest activation, each with its own autodiff node and buffer, and burn's average pooling goes
//! through its general 3-D pooling (perf on the instrument tagger's step: pooling forward and backward 15 %,
//! the batch norm's element-wise operations, reductions and fresh zeroed pages about as much again). Here the
//! statistics are one read of the input, the output one more, and the backward pass two.

/// Sizes of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockDims {
    /// Images.
    pub batch: usize,
    /// Channels.
    pub channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
}

impl BlockDims {
    /// Output height and width: halved, rounded down (an odd last row or column is dropped, as burn's pooling).
    pub fn out(&self) -> [usize; 2] {
        [self.height / 2, self.width / 2]
    }

    fn plane(&self) -> usize {
        self.height * self.width
    }

    /// Values behind each channel's statistics.
    fn count(&self) -> usize {
        self.batch * self.plane()
    }

    /// The planes (`height × width` slices) of channel `c`, one per image.
    fn planes<'a>(&self, x: &'a [f32], c: usize) -> impl Iterator<Item = &'a [f32]> {
        let (plane, channels) = (self.plane(), self.channels);
        (0..self.batch).map(move |b| &x[(b * channels + c) * plane..(b * channels + c + 1) * plane])
    }
}

/// Σ `f(a_i, b_i)` over eight independent lanes, so that it vectorises (one running sum is a chain of
/// dependent additions the compiler may not reorder); callers pass a row at a time and add rows in f64.
#[inline]
fn lane_sum(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8.remainder().iter().zip(b8.remainder()).map(|(&x, &y)| f(x, y)).sum();
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            lanes[k] += f(x[k], y[k]);
        }
    }
    f64::from(lanes.iter().sum::<f32>() + tail)
}

/// Per channel: the batch mean and the biased variance (burn's batch norm normalises by the biased one).
pub fn statistics(x: &[f32], d: &BlockDims) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(x.len(), d.channels * d.count(), "input size");
    let n = d.count() as f64;
    let width = d.width;
    fn rows(plane: &[f32], width: usize, f: impl Fn(f32, f32) -> f32 + Copy) -> f64 {
        plane.chunks_exact(width).map(|row| lane_sum(row, row, f)).sum()
    }
    (0..d.channels)
        .map(|c| {
            let mean = (d.planes(x, c).map(|p| rows(p, width, |v, _| v)).sum::<f64>() / n) as f32;
            let squares: f64 = d.planes(x, c).map(|p| rows(p, width, |v, _| (v - mean) * (v - mean))).sum();
            (mean, (squares / n) as f32)
        })
        .unzip()
}

/// Per channel: the batch statistics, γ and β, and the ε under the variance.
#[derive(Clone, Copy, Debug)]
pub struct Norm<'a> {
    /// Batch mean.
    pub mean: &'a [f32],
    /// Biased batch variance.
    pub variance: &'a [f32],
    /// Scale γ.
    pub gamma: &'a [f32],
    /// Shift β.
    pub beta: &'a [f32],
    /// ε.
    pub epsilon: f64,
}

/// Per channel, the affine map `x ↦ x · scale + shift` that normalises with the batch statistics and applies
/// γ and β, and `1/σ`.
struct Affine {
    scale: Vec<f32>,
    shift: Vec<f32>,
    inv_std: Vec<f32>,
}

impl Affine {
    fn new(n: &Norm<'_>) -> Self {
        let inv_std: Vec<f32> = n.variance.iter().map(|&v| (1.0 / (f64::from(v) + n.epsilon).sqrt()) as f32).collect();
        let scale: Vec<f32> = inv_std.iter().zip(n.gamma).map(|(s, g)| s * g).collect();
        let shift = n.mean.iter().zip(&scale).zip(n.beta).map(|((m, s), b)| b - m * s).collect();
        Self { scale, shift, inv_std }
    }
}

/// `[batch, channels, height / 2, width / 2]`: each 2 × 2 block's mean of `relu(γ (x − μ) / σ + β)`, with `μ`, `σ²`
/// the batch statistics `mean`, `variance`.
pub fn forward(x: &[f32], d: &BlockDims, norm: &Norm<'_>) -> Vec<f32> {
    let affine = Affine::new(norm);
    let [out_h, out_w] = d.out();
    let mut out = vec![0.0; d.batch * d.channels * out_h * out_w];
    let planes = x.chunks_exact(d.plane()).zip(out.chunks_exact_mut(out_h * out_w));
    for (k, (plane, pooled)) in planes.enumerate() {
        let (scale, shift) = (affine.scale[k % d.channels], affine.shift[k % d.channels]);
        // Not `f32::max`, which answers 0 for NaN: a diverged training must reach the fit loop's non-finite check.
        let act = |v: f32| {
            let y = v * scale + shift;
            if y < 0.0 { 0.0 } else { y }
        };
        for (oh, row) in pooled.chunks_exact_mut(out_w).enumerate() {
            let top = &plane[2 * oh * d.width..][..2 * out_w];
            let bottom = &plane[(2 * oh + 1) * d.width..][..2 * out_w];
            for ((o, t), b) in row.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
                *o = 0.25 * (act(t[0]) + act(t[1]) + act(b[0]) + act(b[1]));
            }
        }
    }
    out
}

/// The gradients of the input, γ and β given the loss's gradient `d_out` with respect to the output.
pub fn backward(x: &[f32], d: &BlockDims, norm: &Norm<'_>, d_out: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (mean, gamma) = (norm.mean, norm.gamma);
    let affine = Affine::new(norm);
    let [out_h, out_w] = d.out();
    // The gradient reaching each normalised value: a quarter of its block's, where the ReLU let it through
    // (zero in a dropped odd row or column).
    let mut d_y = vec![0.0f32; x.len()];
    let (mut d_gamma, mut d_beta) = (vec![0.0f64; d.channels], vec![0.0f64; d.channels]);
    let planes = x.chunks_exact(d.plane()).zip(d_y.chunks_exact_mut(d.plane())).zip(d_out.chunks_exact(out_h * out_w));
    for (k, ((plane, g), pooled)) in planes.enumerate() {
        let c = k % d.channels;
        let (scale, shift) = (affine.scale[c], affine.shift[c]);
        let (mut sum, mut sum_hat) = (0.0f64, 0.0f64);
        for (oh, row) in pooled.chunks_exact(out_w).enumerate() {
            for dh in 0..2 {
                let at = (2 * oh + dh) * d.width;
                let (xs, gs) = (&plane[at..at + 2 * out_w], &mut g[at..at + 2 * out_w]);
                // Without a branch: whether the ReLU was open is as good as random, and mispredicted
                // branches made this loop the step's largest cost after the matrix products.
                for ((pair, g_pair), &grad) in xs.chunks_exact(2).zip(gs.chunks_exact_mut(2)).zip(row) {
                    for (&v, gv) in pair.iter().zip(g_pair) {
                        *gv = if v * scale + shift > 0.0 { 0.25 * grad } else { 0.0 };
                    }
                }
                // Σ g and Σ g (x − μ) = Σ g x − μ Σ g.
                let row_sum = lane_sum(gs, xs, |g, _| g);
                sum += row_sum;
                sum_hat += lane_sum(gs, xs, |g, v| g * v) - f64::from(mean[c]) * row_sum;
            }
        }
        d_beta[c] += sum;
        d_gamma[c] += sum_hat * f64::from(affine.inv_std[c]);
    }
    // Through the normalisation: dx = γ/σ · (g − mean(g) − x̂ · mean(g · x̂)).
    let n = d.count() as f64;
    for (k, (plane, g)) in x.chunks_exact(d.plane()).zip(d_y.chunks_exact_mut(d.plane())).enumerate() {
        let c = k % d.channels;
        let inv_std = affine.inv_std[c];
        let factor = gamma[c] * inv_std;
        let (g_mean, gh_mean) = ((d_beta[c] / n) as f32, (d_gamma[c] / n) as f32);
        for (gv, &v) in g.iter_mut().zip(plane) {
            let hat = (v - mean[c]) * inv_std;
            *gv = factor * (*gv - g_mean - hat * gh_mean);
        }
    }
    let narrow = |v: Vec<f64>| v.into_iter().map(|s| s as f32).collect();
    (d_y, narrow(d_gamma), narrow(d_beta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradient_check::{assert_close, check, fill};

    /// Straight from the definition: normalise, ReLU, then average each 2 × 2 block.
    fn naive(x: &[f32], d: &BlockDims, gamma: &[f32], beta: &[f32], epsilon: f64) -> Vec<f32> {
        let (mean, variance) = statistics(x, d);
        let [out_h, out_w] = d.out();
        let mut y = Vec::new();
        for b in 0..d.batch {
            for c in 0..d.channels {
                let at = |h: usize, w: usize| {
                    let v = x[((b * d.channels + c) * d.height + h) * d.width + w];
                    let hat = (v - mean[c]) / (variance[c] + epsilon as f32).sqrt();
                    (gamma[c] * hat + beta[c]).max(0.0)
                };
                for oh in 0..out_h {
                    for ow in 0..out_w {
                        let (h, w) = (2 * oh, 2 * ow);
                        y.push((at(h, w) + at(h, w + 1) + at(h + 1, w) + at(h + 1, w + 1)) / 4.0);
                    }
                }
            }
        }
        y
    }

    const SHAPES: [BlockDims; 2] = [
        BlockDims { batch: 2, channels: 3, height: 4, width: 6 },
        BlockDims { batch: 3, channels: 2, height: 5, width: 3 },
    ];

    #[test]
    fn one_pass_is_normalise_relu_then_pool() {
        for d in SHAPES {
            let x = fill(d.batch * d.channels * d.plane(), 1);
            let (gamma, beta) = (fill(d.channels, 2), fill(d.channels, 3));
            let (mean, variance) = statistics(&x, &d);
            let norm = Norm { mean: &mean, variance: &variance, gamma: &gamma, beta: &beta, epsilon: 1e-5 };
            let y = forward(&x, &d, &norm);
            let expected = naive(&x, &d, &gamma, &beta, 1e-5);
            assert_close(&y, &expected, d);
        }
    }

    /// A non-finite input reaches the output (and so the loss, where the fit loop stops a diverged training).
    #[test]
    fn a_nan_input_is_not_hidden_by_the_relu() {
        let d = SHAPES[0];
        let mut x = fill(d.batch * d.channels * d.plane(), 8);
        x[0] = f32::NAN;
        let (gamma, beta) = (fill(d.channels, 2), fill(d.channels, 3));
        let (mean, variance) = statistics(&x, &d);
        let y = forward(&x, &d, &Norm { mean: &mean, variance: &variance, gamma: &gamma, beta: &beta, epsilon: 1e-5 });
        assert!(y[0].is_nan(), "the first channel's output: {}", y[0]);
    }

    /// The statistics move with the input, so the check differentiates through them too.
    #[test]
    fn the_backward_pass_is_the_forward_pass_derivative() {
        for d in SHAPES {
            let params = vec![fill(d.batch * d.channels * d.plane(), 4), fill(d.channels, 5), fill(d.channels, 6)];
            let [out_h, out_w] = d.out();
            let d_out = fill(d.batch * d.channels * out_h * out_w, 7);
            let run = |p: &[Vec<f32>]| {
                let (mean, variance) = statistics(&p[0], &d);
                forward(&p[0], &d, &Norm { mean: &mean, variance: &variance, gamma: &p[1], beta: &p[2], epsilon: 1e-5 })
            };
            let (mean, variance) = statistics(&params[0], &d);
            let (d_x, d_gamma, d_beta) = backward(
                &params[0],
                &d,
                &Norm { mean: &mean, variance: &variance, gamma: &params[1], beta: &params[2], epsilon: 1e-5 },
                &d_out,
            );
            check(&params, &[d_x, d_gamma, d_beta], |p| run(p).iter().zip(&d_out).map(|(o, g)| f64::from(o * g)).sum());
        }
    }
}
