//! The audio thread's side of the engine: downmix, sanitise, queue. Nothing else.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rtrb::{Consumer, Producer, RingBuffer};

/// Marks a transport restart inside the sample stream; sanitised audio never contains NaN, so it is unambiguous
/// and arrives exactly between the samples before and after the restart.
pub const RESET_MARKER: f32 = f32::NAN;

/// Queues host audio for the worker. Real-time safe: no allocation, lock, syscall or log in any method.
pub struct AudioInput {
    producer: Producer<f32>,
    dropped: Arc<AtomicU64>,
    reset_pending: bool,
    /// Frames pushed so far (queued or dropped): with `dropped`, what an activation's accounting reports.
    received: u64,
}

/// The worker's end of the queue.
pub struct AudioQueue {
    /// Mono samples (and [`RESET_MARKER`]s).
    pub consumer: Consumer<f32>,
    /// Samples the audio thread had to drop because the queue was full.
    pub dropped: Arc<AtomicU64>,
}

/// A queue holding `capacity` mono samples, split into the audio thread's and the worker's ends.
pub fn audio_queue(capacity: usize) -> (AudioInput, AudioQueue) {
    let (producer, consumer) = RingBuffer::new(capacity.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    (
        AudioInput { producer, dropped: dropped.clone(), reset_pending: false, received: 0 },
        AudioQueue { consumer, dropped },
    )
}

impl AudioInput {
    /// Mixes `channels` (equal-length slices) to mono, replaces NaN/±∞ with 0, and queues the result. What does
    /// not fit is counted as dropped, never waited for.
    pub fn push<S: AsRef<[f32]>>(&mut self, channels: &[S]) {
        if self.reset_pending && self.producer.push(RESET_MARKER).is_ok() {
            self.reset_pending = false;
        }
        let Some(first) = channels.first() else {
            return;
        };
        let frames = first.as_ref().len();
        if frames == 0 {
            return;
        }
        self.received += frames as u64;
        let scale = 1.0 / channels.len() as f32;
        let n = frames.min(self.producer.slots());
        if n > 0
            && let Ok(chunk) = self.producer.write_chunk_uninit(n)
        {
            chunk.fill_from_iter((0..n).map(|i| {
                let sum: f32 = channels.iter().map(|c| c.as_ref().get(i).copied().unwrap_or(0.0)).sum();
                let mono = sum * scale;
                if mono.is_finite() { mono } else { 0.0 }
            }));
        }
        if n < frames {
            self.dropped.fetch_add((frames - n) as u64, Ordering::Relaxed);
        }
    }

    /// Tells the worker to forget the stream's history (transport restart) at this point of the stream.
    pub fn reset(&mut self) {
        if self.producer.push(RESET_MARKER).is_err() {
            self.reset_pending = true;
        }
    }

    /// Samples dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Frames pushed so far, queued or dropped.
    pub fn received(&self) -> u64 {
        self.received
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmixes_sanitises_and_counts_drops() {
        let (mut input, mut queue) = audio_queue(6);
        input.push(&[[1.0, f32::NAN, 0.5, f32::INFINITY], [0.0, 1.0, 0.5, 1.0]]);
        input.reset();
        input.push(&[[0.25f32; 3]]);
        let mut out = [9.0f32; 6];
        let (read, _) = queue.consumer.pop_partial_slice(&mut out);
        let read = read.to_vec();
        assert_eq!(&read[..4], &[0.5, 0.0, 0.5, 0.0]);
        assert!(read[4].is_nan(), "reset marker");
        assert_eq!(read[5], 0.25);
        assert_eq!(input.dropped(), 2);
        assert_eq!(input.received(), 7, "4 + 3 frames pushed, 2 of them dropped");
    }
}
