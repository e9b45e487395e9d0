//! Periodic analysis windows, computed exactly as `scipy.signal.get_window(kind, win_length, fftbins=True)`
//! and centred in `n_fft` samples as librosa's `util.pad_center` does.

use std::f64::consts::PI;

use super::WindowKind;

/// The window for `kind`, `win_length` long, zero-padded (centred) to `n_fft` samples.
///
/// Computed in f64 and rounded once to f32 so that the rounding matches scipy's float64 window.
pub fn padded_window(kind: WindowKind, win_length: usize, n_fft: usize) -> Vec<f32> {
    // Cosine-sum coefficients a₀, a₁, a₂, a₃ of w[n] = Σ (−1)ᵏ aₖ cos(2πkn / N).
    let coefficients: &[f64] = match kind {
        WindowKind::Hann => &[0.5, 0.5],
        WindowKind::Hamming => &[0.54, 0.46],
        WindowKind::BlackmanHarris => &[0.35875, 0.48829, 0.14128, 0.01168],
    };
    let n = win_length as f64;
    let mut window = vec![0.0f32; n_fft];
    let offset = (n_fft - win_length) / 2;
    for (i, w) in window[offset..offset + win_length].iter_mut().enumerate() {
        let phase = 2.0 * PI * i as f64 / n;
        let value: f64 = coefficients
            .iter()
            .enumerate()
            .map(|(k, &a)| if k % 2 == 0 { a } else { -a } * (k as f64 * phase).cos())
            .sum();
        *w = value as f32;
    }
    window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_is_periodic_and_centred() {
        let w = padded_window(WindowKind::Hann, 8, 8);
        assert_eq!(w[0], 0.0);
        assert!((w[4] - 1.0).abs() < 1e-7, "peak at N/2 for a periodic window");
        assert!((w[1] - w[7]).abs() < 1e-7);
        let padded = padded_window(WindowKind::Hann, 4, 8);
        assert_eq!(&padded[..2], &[0.0, 0.0]);
        assert_eq!(&padded[6..], &[0.0, 0.0]);
        assert!((padded[4] - 1.0).abs() < 1e-7);
    }

    #[test]
    fn blackman_harris_matches_scipy_values() {
        // scipy.signal.get_window("blackmanharris", 8) → [6e-05, 0.0217358, 0.21747, 0.6957642, 1.0, ...]
        let w = padded_window(WindowKind::BlackmanHarris, 8, 8);
        let expected = [6.0e-05, 0.021_735_837, 0.217_47, 0.695_764_2, 1.0];
        for (a, b) in w.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn hamming_endpoints() {
        let w = padded_window(WindowKind::Hamming, 400, 512);
        assert!((w[56] - 0.08).abs() < 1e-6);
        assert!((w[56 + 200] - 1.0).abs() < 1e-6);
    }
}
