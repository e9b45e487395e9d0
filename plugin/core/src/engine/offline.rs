//! The engine over a whole signal: the same pipelines the plugin's worker runs, fed block by block.

use super::Engine;
use super::readout::ModelReadout;

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
