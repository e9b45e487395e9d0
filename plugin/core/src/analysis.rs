//! Whole-signal analysis with a single-stage model: log-mel → segments (as the manifest cuts them) → scores.
//!
//! The offline tools use this directly; the real-time engine cuts the same segments from the streaming frontend.

use ndarray::{Array2, Array3, ArrayD, Axis as NdAxis, s};

use crate::frontend::{BatchFrontend, FrameAnalyzer, FrontendError};
use crate::manifest::{Axis, GraphRole, Manifest};
use crate::model::{Model, ModelError};

/// Segments per ONNX run: bounds memory on long files while keeping runs few.
const SEGMENTS_PER_RUN: usize = 32;

/// One segment's scores, in the manifest's class order.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentScores {
    /// Start of the segment in seconds (its first frame's centre, or start when unpadded).
    pub start_seconds: f64,
    /// End of the segment in seconds.
    pub end_seconds: f64,
    /// One value per class.
    pub scores: Vec<f32>,
}

/// Why a signal could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The model failed to run.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The frontend config is invalid.
    #[error(transparent)]
    Frontend(#[from] FrontendError),
    /// The model's input layout is not one this analyser can fill.
    #[error("model `{model}`: {reason}")]
    Unsupported {
        /// Model name.
        model: String,
        /// Why.
        reason: String,
    },
}

/// Where the class scores and the mel/time axes are in a single-stage model's tensors.
struct Layout {
    /// Position of each axis in the input: (channel, mel, time); batch is axis 0.
    channel: Option<usize>,
    mel: usize,
    time: usize,
    rank: usize,
    /// Index of the output holding class scores.
    class_output: usize,
}

fn layout(manifest: &Manifest) -> Result<Layout, String> {
    let graph = manifest
        .graph(GraphRole::Main)
        .ok_or("only single-stage (main graph) models are analysed here")?;
    let [input] = graph.inputs.as_slice() else {
        return Err(format!(
            "the main graph takes {} inputs; one spectrogram input is supported",
            graph.inputs.len()
        ));
    };
    let position = |axis: Axis| input.axes.iter().position(|a| *a == axis);
    let (Some(0), Some(mel), Some(time)) = (
        position(Axis::Batch),
        position(Axis::Mel),
        position(Axis::Time),
    ) else {
        return Err(format!(
            "input axes {:?} need batch first, a mel and a time axis",
            input.axes
        ));
    };
    let channel = position(Axis::Channel);
    if input.axes.len() != 3 + usize::from(channel.is_some()) {
        return Err(format!(
            "input axes {:?} have axes this analyser cannot fill",
            input.axes
        ));
    }
    let class_output = graph
        .outputs
        .iter()
        .position(|o| o.axes == [Axis::Batch, Axis::Class])
        .ok_or("no output with axes [batch, class]")?;
    Ok(Layout {
        channel,
        mel,
        time,
        rank: input.axes.len(),
        class_output,
    })
}

/// Start frames of the segments covering `frames` frames: hop apart, the last one flush with the end.
pub fn segment_starts(frames: usize, length: usize, hop: usize) -> Vec<usize> {
    if frames <= length {
        return vec![0];
    }
    let mut starts: Vec<usize> = (0..=frames - length).step_by(hop).collect();
    if starts.last() != Some(&(frames - length)) {
        starts.push(frames - length);
    }
    starts
}

/// Scores every segment of `signal` (mono, at the manifest's sample rate).
///
/// A signal shorter than one segment is padded with the frontend's value for silence, as a track that starts
/// with silence would be.
pub fn analyze_signal(
    model: &mut Model,
    signal: &[f32],
) -> Result<Vec<SegmentScores>, AnalysisError> {
    let manifest = model.manifest().clone();
    let layout = layout(&manifest).map_err(|reason| AnalysisError::Unsupported {
        model: manifest.name.clone(),
        reason,
    })?;
    let config = &manifest.frontend;
    let length = manifest.segment.frames;
    let mut logmel = BatchFrontend::new(config)?.process(signal);
    if logmel.nrows() < length {
        let mut silence = vec![0.0; config.n_mels];
        FrameAnalyzer::new(config)?.compress(&mut silence);
        let mut padded = Array2::from_shape_fn((length, config.n_mels), |(_, m)| silence[m]);
        padded.slice_mut(s![..logmel.nrows(), ..]).assign(&logmel);
        logmel = padded;
    }
    let starts = segment_starts(logmel.nrows(), length, manifest.segment.hop_frames);
    let hop_seconds = config.hop_seconds();
    let mut results = Vec::with_capacity(starts.len());
    for chunk in starts.chunks(SEGMENTS_PER_RUN) {
        // [n, time, mel], then into the model's axis order.
        let mut batch = Array3::<f32>::zeros((chunk.len(), length, config.n_mels));
        for (i, &start) in chunk.iter().enumerate() {
            batch
                .index_axis_mut(NdAxis(0), i)
                .assign(&logmel.slice(s![start..start + length, ..]));
        }
        let input = arrange(batch, &layout);
        let outputs = model.run(GraphRole::Main, &[input.view()])?;
        let scores = &outputs[layout.class_output];
        for (i, &start) in chunk.iter().enumerate() {
            results.push(SegmentScores {
                start_seconds: start as f64 * hop_seconds,
                end_seconds: (start + length) as f64 * hop_seconds,
                scores: scores.index_axis(NdAxis(0), i).iter().copied().collect(),
            });
        }
    }
    Ok(results)
}

/// `[n, time, mel]` → the model's input layout (mel/time in its order, a channel axis where it has one).
fn arrange(batch: Array3<f32>, layout: &Layout) -> ArrayD<f32> {
    let mut array = batch.into_dyn();
    // Without the channel axis, where do mel and time sit (as positions among batch/mel/time)?
    let without_channel = |p: usize| {
        if layout.channel.is_some_and(|c| c < p) {
            p - 1
        } else {
            p
        }
    };
    if without_channel(layout.mel) < without_channel(layout.time) {
        array = array.permuted_axes(vec![0, 2, 1]);
    }
    if let Some(channel) = layout.channel {
        array = array.insert_axis(NdAxis(channel));
    }
    debug_assert_eq!(array.ndim(), layout.rank);
    array.as_standard_layout().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_signal_and_end_flush() {
        assert_eq!(segment_starts(10, 32, 16), vec![0]);
        assert_eq!(segment_starts(32, 32, 16), vec![0]);
        assert_eq!(segment_starts(64, 32, 16), vec![0, 16, 32]);
        assert_eq!(segment_starts(70, 32, 16), vec![0, 16, 32, 38]);
    }

    #[test]
    fn arrange_puts_mel_and_time_where_the_model_wants_them() {
        let batch = Array3::from_shape_fn((2, 3, 4), |(n, t, m)| (n * 100 + t * 10 + m) as f32);
        let nchw = Layout {
            channel: Some(1),
            mel: 2,
            time: 3,
            rank: 4,
            class_output: 0,
        };
        let a = arrange(batch.clone(), &nchw);
        assert_eq!(a.shape(), &[2, 1, 4, 3]);
        assert_eq!(a[[1, 0, 3, 2]], 123.0);
        let ntm = Layout {
            channel: None,
            mel: 2,
            time: 1,
            rank: 3,
            class_output: 0,
        };
        let b = arrange(batch, &ntm);
        assert_eq!(b.shape(), &[2, 3, 4]);
        assert_eq!(b[[1, 2, 3]], 123.0);
    }
}
