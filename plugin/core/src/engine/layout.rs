//! Putting a segment of mel frames (or a sequence of embeddings) into the tensor layout a graph declares.

use ndarray::ArrayD;

use super::frames::FrameRing;
use crate::manifest::{Axis, TensorSpec};

/// Where the axes of a spectrogram input sit: batch first, then an optional channel, a mel and a time axis.
#[derive(Debug, Clone)]
pub struct SpectrogramLayout {
    shape: Vec<usize>,
    mel: usize,
    time: usize,
}

impl SpectrogramLayout {
    /// Reads the layout from a tensor spec; `frames`/`n_mels` size the dynamic axes.
    pub fn from_spec(spec: &TensorSpec, frames: usize, n_mels: usize) -> Result<Self, String> {
        let position = |axis: Axis| spec.axes.iter().position(|a| *a == axis);
        let (Some(0), Some(mel), Some(time)) = (position(Axis::Batch), position(Axis::Mel), position(Axis::Time))
        else {
            return Err(format!("input `{}` axes {:?} need batch first, a mel and a time axis", spec.name, spec.axes));
        };
        let channel = position(Axis::Channel);
        if spec.axes.len() != 3 + usize::from(channel.is_some()) {
            return Err(format!("input `{}` axes {:?} hold axes that cannot be filled", spec.name, spec.axes));
        }
        let mut shape = vec![1; spec.axes.len()];
        shape[mel] = n_mels;
        shape[time] = frames;
        Ok(Self { shape, mel, time })
    }

    /// A zeroed batch-1 input tensor of this layout.
    pub fn tensor(&self) -> ArrayD<f32> {
        ArrayD::zeros(self.shape.clone())
    }

    /// Copies the ring's frames (oldest first) into `tensor`, which must come from [`Self::tensor`].
    pub fn fill(&self, ring: &FrameRing, tensor: &mut ArrayD<f32>) {
        let mut index = vec![0usize; self.shape.len()];
        ring.for_each(|t, frame| self.put(&mut index, t, frame, tensor));
    }

    /// Copies a `frames × mels` row-major segment (a prepared one, see [`crate::voicing`]) into `tensor`.
    pub fn fill_rows(&self, rows: &[f32], tensor: &mut ArrayD<f32>) {
        let mut index = vec![0usize; self.shape.len()];
        for (t, frame) in rows.chunks_exact(self.shape[self.mel]).enumerate() {
            self.put(&mut index, t, frame, tensor);
        }
    }

    fn put(&self, index: &mut [usize], t: usize, frame: &[f32], tensor: &mut ArrayD<f32>) {
        index[self.time] = t;
        for (m, &value) in frame.iter().enumerate() {
            index[self.mel] = m;
            tensor[&*index] = value;
        }
    }
}

/// A head's `[batch, sequence, feature]` input.
#[derive(Debug, Clone)]
pub struct SequenceLayout {
    /// Whether the sequence axis comes before the feature axis.
    sequence_first: bool,
    /// Embedding size.
    pub features: usize,
}

impl SequenceLayout {
    /// Reads the layout of a head input; `features` is the encoder's embedding size.
    pub fn from_spec(spec: &TensorSpec, features: usize) -> Result<Self, String> {
        match spec.axes.as_slice() {
            [Axis::Batch, Axis::Sequence, Axis::Feature] => Ok(Self { sequence_first: true, features }),
            [Axis::Batch, Axis::Feature, Axis::Sequence] => Ok(Self { sequence_first: false, features }),
            other => Err(format!("head input `{}` axes {other:?} must be [batch, sequence, feature]", spec.name)),
        }
    }

    /// The head input for `embeddings` (oldest first), batch 1.
    pub fn tensor(&self, embeddings: &[Vec<f32>]) -> ArrayD<f32> {
        let n = embeddings.len();
        let shape = if self.sequence_first { vec![1, n, self.features] } else { vec![1, self.features, n] };
        let mut tensor = ArrayD::zeros(shape);
        for (s, embedding) in embeddings.iter().enumerate() {
            for (f, &v) in embedding.iter().enumerate() {
                let index = if self.sequence_first { [0, s, f] } else { [0, f, s] };
                tensor[index.as_slice()] = v;
            }
        }
        tensor
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Dim;

    fn spec(axes: Vec<Axis>) -> TensorSpec {
        TensorSpec {
            name: "x".into(),
            dtype: "float32".into(),
            shape: axes.iter().map(|_| Dim::Fixed(1)).collect(),
            axes,
        }
    }

    #[test]
    fn frames_land_on_the_declared_axes() {
        let mut ring = FrameRing::new(3, 2);
        for t in 0..3 {
            ring.push(&[t as f32 * 10.0, t as f32 * 10.0 + 1.0]);
        }
        let nchw =
            SpectrogramLayout::from_spec(&spec(vec![Axis::Batch, Axis::Channel, Axis::Mel, Axis::Time]), 3, 2).unwrap();
        let mut x = nchw.tensor();
        nchw.fill(&ring, &mut x);
        assert_eq!(x.shape(), &[1, 1, 2, 3]);
        assert_eq!(x[[0, 0, 1, 2]], 21.0);
        let ntm = SpectrogramLayout::from_spec(&spec(vec![Axis::Batch, Axis::Time, Axis::Mel]), 3, 2).unwrap();
        let mut y = ntm.tensor();
        ntm.fill(&ring, &mut y);
        assert_eq!(y.shape(), &[1, 3, 2]);
        assert_eq!(y[[0, 2, 1]], 21.0);
        assert!(SpectrogramLayout::from_spec(&spec(vec![Axis::Mel, Axis::Time]), 3, 2).is_err());
    }

    #[test]
    fn sequences_follow_the_declared_order() {
        let layout = SequenceLayout::from_spec(&spec(vec![Axis::Batch, Axis::Sequence, Axis::Feature]), 2).unwrap();
        let x = layout.tensor(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
        assert_eq!(x.shape(), &[1, 3, 2]);
        assert_eq!(x[[0, 2, 0]], 5.0);
    }
}
