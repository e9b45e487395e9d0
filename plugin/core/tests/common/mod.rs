//! Helpers the engine and service tests share.

use std::time::{Duration, Instant};

use earmark_core::engine::readout::{ModelReadout, Snapshot};

/// Readouts with the (timing-dependent) inference time zeroed, for exact comparison.
pub fn timeless(readouts: &[ModelReadout]) -> Vec<ModelReadout> {
    readouts.iter().map(|r| ModelReadout { inference_ms: 0.0, ..r.clone() }).collect()
}

/// The snapshot once `seconds` of audio are analysed (or after a minute, to fail with what there is).
pub fn wait_for(reader: &mut triple_buffer::Output<Snapshot>, seconds: f64) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let snapshot = reader.read().clone();
        if (snapshot.status.stream_seconds - seconds).abs() < 1e-6 || Instant::now() > deadline {
            return snapshot;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
