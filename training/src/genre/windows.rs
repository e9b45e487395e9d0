//! Fixed-length input windows cut from whole clips, and the per-clip majority vote over them.
//!
//! Pons & Serra feed `N = 250`-frame windows cut from each track with a hop of 250 (no overlap) or 80 (overlap,
//! more examples), and decide a track's class by a majority vote over its windows. The same cutting serves the
//! subgenre models, so both papers' models are trained and scored on identical inputs.

use ndarray::Array2;

use super::models::Standardization;
use crate::metrics::argmax;

/// Windows of many clips, standardised, in one buffer: window `i` is `frames × mels` values, time-major.
#[derive(Debug, Clone, Default)]
pub struct WindowSet {
    /// Frames per window.
    pub frames: usize,
    /// Mel bands.
    pub mels: usize,
    values: Vec<f32>,
    /// The clip (dataset item index) each window came from.
    pub owners: Vec<usize>,
}

/// Start frames of the windows of a clip `length` frames long. A clip shorter than one window yields one window
/// (filled by repeating the clip, see [`WindowSet::push_clip`]) rather than none, so no clip silently drops out
/// of an evaluation.
pub fn window_starts(length: usize, frames: usize, hop: usize) -> Vec<usize> {
    if length <= frames {
        return vec![0];
    }
    (0..=(length - frames)).step_by(hop.max(1)).collect()
}

impl WindowSet {
    /// An empty set of `frames × mels` windows.
    pub fn new(frames: usize, mels: usize) -> Self {
        Self { frames, mels, ..Self::default() }
    }

    /// The windows of the clips `items` (indices into `features`; unreadable clips, `None`, are skipped), `hop`
    /// frames apart, standardised.
    pub fn from_clips(
        (frames, mels): (usize, usize),
        items: &[usize],
        features: &[Option<Array2<f32>>],
        hop: usize,
        standardization: Standardization,
    ) -> Self {
        Self::from_clips_each((frames, mels), items, features, |_| hop, standardization)
    }

    /// As [`WindowSet::from_clips`], with clip `i`'s windows `hop_of(i)` frames apart.
    pub fn from_clips_each(
        (frames, mels): (usize, usize),
        items: &[usize],
        features: &[Option<Array2<f32>>],
        hop_of: impl Fn(usize) -> usize,
        standardization: Standardization,
    ) -> Self {
        let mut set = Self::new(frames, mels);
        for &i in items {
            if let Some(f) = &features[i] {
                set.push_clip(i, f, hop_of(i), standardization);
            }
        }
        set
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// Window `i`'s values.
    pub fn window(&self, i: usize) -> &[f32] {
        let size = self.frames * self.mels;
        &self.values[i * size..(i + 1) * size]
    }

    /// Cuts `features` (`frames × mels`, as the frontend returns them) of clip `owner` into windows `hop` frames
    /// apart, standardised. A clip shorter than a window fills its one window by repeating itself from the start,
    /// with the engine's own fill for a short file ([`earmark_core::voicing::repeat_to_fill`]): what a model
    /// trained on is what it reads, and no window ends in a constant pad the plugin never produces.
    pub fn push_clip(&mut self, owner: usize, features: &Array2<f32>, hop: usize, standardization: Standardization) {
        assert_eq!(features.ncols(), self.mels, "mel bands differ from the window set's");
        let length = features.nrows();
        for start in window_starts(length, self.frames, hop) {
            let offset = self.values.len();
            self.values.resize(offset + self.frames * self.mels, 0.0);
            let end = (start + self.frames).min(length);
            for (row, frame) in features.slice(ndarray::s![start..end, ..]).rows().into_iter().enumerate() {
                let to = &mut self.values[offset + row * self.mels..offset + (row + 1) * self.mels];
                to.iter_mut().zip(frame).for_each(|(t, &v)| *t = v);
            }
            let filled = (end - start) * self.mels;
            standardization.apply(&mut self.values[offset..offset + filled]);
            earmark_core::voicing::repeat_to_fill(&mut self.values[offset..], filled);
            self.owners.push(owner);
        }
    }

    /// The windows at `indices` as a `[batch, 1, frames, mels]` tensor.
    pub fn batch(&self, indices: &[usize], device: &burn::tensor::Device) -> burn::tensor::Tensor<4> {
        let mut values = Vec::with_capacity(indices.len() * self.frames * self.mels);
        for &i in indices {
            values.extend_from_slice(self.window(i));
        }
        burn::tensor::Tensor::from_data(
            burn::tensor::TensorData::new(values, [indices.len(), 1, self.frames, self.mels]),
            device,
        )
    }
}

/// Mean and standard deviation over every frame and band of the given clips (Pons & Serra normalise the whole
/// training data together). A constant input gets a standard deviation of 1 so nothing divides by zero.
pub fn standardization<'a>(clips: impl IntoIterator<Item = &'a Array2<f32>>) -> Standardization {
    standardization_of(clips.into_iter().flatten().copied())
}

/// The same over any values (the vocal models fit it on unified 8 s windows).
pub fn standardization_of(values: impl IntoIterator<Item = f32>) -> Standardization {
    let (mut n, mut sum, mut sum_sq) = (0u64, 0.0f64, 0.0f64);
    for v in values {
        n += 1;
        sum += f64::from(v);
        sum_sq += f64::from(v) * f64::from(v);
    }
    if n == 0 {
        return Standardization::NONE;
    }
    let mean = sum / n as f64;
    let std = (sum_sq / n as f64 - mean * mean).max(0.0).sqrt();
    Standardization { mean: mean as f32, std: if std > 1e-12 { std as f32 } else { 1.0 } }
}

/// Per clip, the majority class over its windows' predictions; ties go to the class with the higher summed
/// probability. `probabilities` is `windows × classes`, row-major, aligned with `owners`. Returns
/// `(clip, class)` pairs in order of first appearance.
pub fn majority_vote(owners: &[usize], probabilities: &[f32], classes: usize) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = Vec::new();
    let mut tallies: std::collections::HashMap<usize, (Vec<usize>, Vec<f32>)> = std::collections::HashMap::new();
    for (w, &owner) in owners.iter().enumerate() {
        let row = &probabilities[w * classes..(w + 1) * classes];
        let entry = tallies.entry(owner).or_insert_with(|| {
            order.push(owner);
            (vec![0; classes], vec![0.0; classes])
        });
        entry.0[argmax(row)] += 1;
        entry.1.iter_mut().zip(row).for_each(|(s, &p)| *s += p);
    }
    order
        .into_iter()
        .map(|owner| {
            let (votes, sums) = &tallies[&owner];
            let best =
                (0..classes).max_by(|&a, &b| votes[a].cmp(&votes[b]).then(sums[a].total_cmp(&sums[b]))).unwrap_or(0);
            (owner, best)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_clip_at_the_hop() {
        assert_eq!(window_starts(1292, 250, 250), vec![0, 250, 500, 750, 1000]);
        assert_eq!(window_starts(500, 250, 80), vec![0, 80, 160, 240]);
        assert_eq!(window_starts(100, 250, 80), vec![0]);
        assert_eq!(window_starts(250, 250, 80), vec![0]);
    }

    #[test]
    fn windows_are_standardised_copies_and_short_clips_repeat_to_fill_theirs() {
        let features = Array2::from_shape_fn((7, 4), |(t, m)| (t * 10 + m) as f32);
        let mut set = WindowSet::new(3, 4);
        set.push_clip(5, &features, 2, Standardization { mean: 1.0, std: 2.0 });
        assert_eq!(set.len(), 3);
        assert_eq!(set.owners, vec![5, 5, 5]);
        // Window 1 starts at frame 2: (20 − 1) / 2.
        assert_eq!(set.window(1)[0], 9.5);
        assert_eq!(set.window(2)[11], (63.0 - 1.0) / 2.0);
        let short = Array2::from_shape_fn((2, 4), |(t, _)| 3.0 + 2.0 * t as f32);
        set.push_clip(6, &short, 2, Standardization { mean: 1.0, std: 2.0 });
        assert_eq!(set.window(3), &[[1.0; 4], [2.0; 4], [1.0; 4]].concat()[..]);
    }

    #[test]
    fn standardization_is_over_all_values() {
        let a = Array2::from_elem((2, 2), 1.0);
        let b = Array2::from_elem((2, 2), 3.0);
        let s = standardization([&a, &b]);
        assert_eq!((s.mean, s.std), (2.0, 1.0));
        assert_eq!(standardization([&a]).std, 1.0);
    }

    #[test]
    fn the_vote_takes_the_majority_then_the_surer_class() {
        // Clip 0: windows say 1, 1, 0 → 1. Clip 3: one window each for 0 and 2; class 2 is surer → 2.
        let owners = [0, 0, 0, 3, 3];
        let p = [0.1, 0.8, 0.1, 0.2, 0.7, 0.1, 0.9, 0.05, 0.05, 0.5, 0.1, 0.4, 0.1, 0.2, 0.7];
        assert_eq!(majority_vote(&owners, &p, 3), vec![(0, 1), (3, 2)]);
    }
}
