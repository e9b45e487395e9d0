//! High/low classes from continuous valence and arousal, as the paper does it: cluster the training labels of
//! one dimension into two groups with k-means (k = 2) and put the threshold at the midpoint of the two centres.
//! Unlike a fixed 0.5 (or the scale's middle), this follows where the annotations actually split.

/// The 2-means threshold of `values`: Lloyd's algorithm in one dimension, started from the minimum and maximum
/// (deterministic), run to convergence. `None` for fewer than two distinct values.
pub fn two_means_threshold(values: &[f32]) -> Option<f32> {
    let (mut low, mut high) =
        values.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    for _ in 0..100 {
        let split = 0.5 * (low + high);
        let (mut sum_lo, mut n_lo, mut sum_hi, mut n_hi) = (0.0f64, 0usize, 0.0f64, 0usize);
        for &v in values {
            if v < split {
                sum_lo += f64::from(v);
                n_lo += 1;
            } else {
                sum_hi += f64::from(v);
                n_hi += 1;
            }
        }
        let next = ((sum_lo / n_lo.max(1) as f64) as f32, (sum_hi / n_hi.max(1) as f64) as f32);
        if next == (low, high) {
            break;
        }
        (low, high) = next;
    }
    Some(0.5 * (low + high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_sits_between_two_clusters() {
        let values = [0.1, 0.15, 0.2, 0.12, 0.8, 0.85, 0.9];
        let t = two_means_threshold(&values).unwrap();
        let low = (0.1 + 0.15 + 0.2 + 0.12) / 4.0;
        let high = (0.8 + 0.85 + 0.9) / 3.0;
        assert!((t - 0.5 * (low + high)).abs() < 1e-6, "{t}");
        assert_eq!(two_means_threshold(&[0.3, 0.3]), None);
    }
}
