//! The engine over a whole signal: the same pipelines the plugin's worker runs, fed block by block.

use super::Engine;
use super::readout::ModelReadout;
use crate::audio::{AudioError, AudioStream, downmix_into};

/// Samples per block fed to the engine (any size gives the same readouts).
pub const BLOCK: usize = 4096;

/// One readout update.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimelineEntry {
    /// Index of the model in the engine.
    pub model: usize,
    /// The readout right after the update.
    pub readout: ModelReadout,
}

/// Feeds `mono` (at the engine's host rate), ends the stream, and returns every update in order.
/// `progress(samples done)` is called after each block.
pub fn analyze(engine: &mut Engine, mono: &[f32], mut progress: impl FnMut(usize)) -> Vec<TimelineEntry> {
    let mut timeline = Vec::new();
    let mut record = |model: usize, readout: &ModelReadout| {
        timeline.push(TimelineEntry { model, readout: readout.clone() });
    };
    let mut done = 0;
    for block in mono.chunks(BLOCK) {
        engine.feed(block, &mut record);
        done += block.len();
        progress(done);
    }
    engine.finish(&mut record);
    timeline
}

/// Decodes `stream` block by block into the engine (built for the stream's sample rate), ends it, and returns
/// every update in order: memory stays flat however long the file is. The engine is reset first, so one engine
/// serves file after file.
pub fn analyze_stream(engine: &mut Engine, stream: &mut AudioStream) -> Result<Vec<TimelineEntry>, AudioError> {
    debug_assert_eq!(engine.host_rate(), stream.sample_rate(), "an engine built for the stream's rate");
    engine.reset();
    let mut timeline = Vec::new();
    let mut record = |model: usize, readout: &ModelReadout| {
        timeline.push(TimelineEntry { model, readout: readout.clone() });
    };
    let channels = stream.channels();
    let mut mono = Vec::new();
    while let Some(block) = stream.next_block()? {
        downmix_into(block, channels, &mut mono);
        engine.feed(&mono, &mut record);
    }
    engine.finish(&mut record);
    Ok(timeline)
}
