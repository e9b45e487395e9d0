//! The streaming frontend: push any number of samples, receive each mel frame as soon as its last sample arrives.
//!
//! After [`StreamingFrontend::new`] nothing allocates, so the engine's worker can run it on a tight budget; the
//! frames are identical to [`super::BatchFrontend`]'s once [`StreamingFrontend::finish`] has padded the end.

use super::analyzer::FrameAnalyzer;
use super::batch::reflect_index;
use super::{FrontendConfig, FrontendError, Padding};

/// Collects padded samples into `n_fft`-long frames, `hop` apart.
struct FrameAssembler {
    frame: Vec<f32>,
    filled: usize,
    /// Samples still to drop before the next frame starts (only when `hop > n_fft`).
    skip: usize,
    hop: usize,
}

impl FrameAssembler {
    /// Feeds padded samples; calls `on_full` with each completed frame.
    #[inline]
    fn feed(&mut self, mut samples: &[f32], mut on_full: impl FnMut(&[f32])) {
        let n_fft = self.frame.len();
        while !samples.is_empty() {
            if self.skip > 0 {
                let dropped = self.skip.min(samples.len());
                self.skip -= dropped;
                samples = &samples[dropped..];
                continue;
            }
            let take = (n_fft - self.filled).min(samples.len());
            self.frame[self.filled..self.filled + take].copy_from_slice(&samples[..take]);
            self.filled += take;
            samples = &samples[take..];
            if self.filled == n_fft {
                on_full(&self.frame);
                if self.hop < n_fft {
                    self.frame.copy_within(self.hop.., 0);
                    self.filled = n_fft - self.hop;
                } else {
                    self.filled = 0;
                    self.skip = self.hop - n_fft;
                }
            }
        }
    }
}

/// Turns completed frames into compressed mel frames and hands them on.
struct FrameSink {
    analyzer: FrameAnalyzer,
    mel: Vec<f32>,
    emitted: u64,
}

impl FrameSink {
    #[inline]
    fn emit(&mut self, frame: &[f32], on_frame: &mut impl FnMut(&[f32])) {
        self.analyzer.mel_power(frame, &mut self.mel);
        self.analyzer.compress(&mut self.mel);
        self.emitted += 1;
        on_frame(&self.mel);
    }
}

/// Real-time-safe incremental log-mel analysis.
pub struct StreamingFrontend {
    sink: FrameSink,
    assembler: FrameAssembler,
    /// Reflect padding: the first `pad + 1` samples, needed before the mirrored prefix can be written.
    head: Vec<f32>,
    head_len: usize,
    /// Reflect padding: the last `pad + 1` samples (ring), needed for the mirrored suffix.
    history: Vec<f32>,
    history_pos: usize,
    samples_seen: u64,
}

impl StreamingFrontend {
    /// Validates `config` and allocates every buffer the stream will ever need.
    pub fn new(config: &FrontendConfig) -> Result<Self, FrontendError> {
        let analyzer = FrameAnalyzer::new(config)?;
        let reflect_len = if config.padding == Padding::Reflect { config.pad() + 1 } else { 0 };
        let mut stream = Self {
            assembler: FrameAssembler { frame: vec![0.0; config.n_fft], filled: 0, skip: 0, hop: config.hop_length },
            head: vec![0.0; reflect_len],
            head_len: 0,
            history: vec![0.0; reflect_len],
            history_pos: 0,
            samples_seen: 0,
            sink: FrameSink { analyzer, mel: vec![0.0; config.n_mels], emitted: 0 },
        };
        stream.reset();
        Ok(stream)
    }

    /// The configuration in use.
    pub fn config(&self) -> &FrontendConfig {
        self.sink.analyzer.config()
    }

    /// Frames emitted since the last reset; frame `t` is centred on sample `t · hop` (or starts there, unpadded).
    pub fn frames_emitted(&self) -> u64 {
        self.sink.emitted
    }

    /// Forgets the stream: the next sample pushed is sample 0 of a new signal.
    pub fn reset(&mut self) {
        self.assembler.filled = 0;
        self.assembler.skip = 0;
        self.head_len = 0;
        self.history_pos = 0;
        self.samples_seen = 0;
        self.sink.emitted = 0;
        if self.config().padding == Padding::Constant {
            // The zero prefix is shorter than a frame, so writing it never completes one.
            let pad = self.config().pad();
            self.assembler.frame[..pad].fill(0.0);
            self.assembler.filled = pad;
        }
    }

    /// Pushes samples; `on_frame` receives each completed, compressed mel frame (`n_mels` values).
    ///
    /// `top_db` clipping is not applied here (it needs the whole window's maximum): see
    /// [`super::Compression::PowerToDb`].
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&[f32])) {
        if samples.is_empty() {
            return;
        }
        let Self { sink, assembler, .. } = self;
        let mut emit = |frame: &[f32]| sink.emit(frame, &mut on_frame);
        if self.head.is_empty() {
            assembler.feed(samples, &mut emit);
        } else {
            // Reflect padding: remember the tail for `finish`, and hold the head until the prefix can be mirrored.
            remember(&mut self.history, &mut self.history_pos, samples);
            let mut rest = samples;
            if self.head_len < self.head.len() {
                let take = (self.head.len() - self.head_len).min(rest.len());
                self.head[self.head_len..self.head_len + take].copy_from_slice(&rest[..take]);
                self.head_len += take;
                rest = &rest[take..];
                if self.head_len == self.head.len() {
                    for &s in self.head[1..].iter().rev() {
                        assembler.feed(&[s], &mut emit);
                    }
                    assembler.feed(&self.head, &mut emit);
                }
            }
            assembler.feed(rest, &mut emit);
        }
        self.samples_seen += samples.len() as u64;
    }

    /// Ends the signal: pads its end as the batch frontend does, emits the remaining frames, then resets.
    pub fn finish(&mut self, mut on_frame: impl FnMut(&[f32])) {
        let pad = self.config().pad();
        let padding = self.config().padding;
        let seen = self.samples_seen;
        let Self { sink, assembler, .. } = self;
        let mut emit = |frame: &[f32]| sink.emit(frame, &mut on_frame);
        if seen > 0 {
            match padding {
                Padding::None => {}
                Padding::Constant => {
                    const ZEROS: [f32; 64] = [0.0; 64];
                    let mut left = pad;
                    while left > 0 {
                        let n = left.min(ZEROS.len());
                        assembler.feed(&ZEROS[..n], &mut emit);
                        left -= n;
                    }
                }
                Padding::Reflect if self.head_len < self.head.len() => {
                    // Shorter than the padding: mirror the whole (held) signal, both ends at once.
                    let signal = &self.head[..self.head_len];
                    for i in 0..signal.len() + 2 * pad {
                        let s = signal[reflect_index(i as isize - pad as isize, signal.len())];
                        assembler.feed(&[s], &mut emit);
                    }
                }
                Padding::Reflect => {
                    // x[L − 2 − j] for j in 0..pad, read back from the ring of the last pad + 1 samples.
                    let cap = self.history.len();
                    for j in 0..pad {
                        let s = self.history[(self.history_pos + 2 * cap - 2 - j) % cap];
                        assembler.feed(&[s], &mut emit);
                    }
                }
            }
        }
        self.reset();
    }
}

/// Appends `samples` to the ring `history` (write position `pos`), keeping only the last `history.len()` samples.
fn remember(history: &mut [f32], pos: &mut usize, samples: &[f32]) {
    let cap = history.len();
    let recent = &samples[samples.len().saturating_sub(cap)..];
    let first = recent.len().min(cap - *pos);
    history[*pos..*pos + first].copy_from_slice(&recent[..first]);
    history[..recent.len() - first].copy_from_slice(&recent[first..]);
    *pos = (*pos + recent.len()) % cap;
}

#[cfg(test)]
mod tests {
    use super::remember;

    #[test]
    fn ring_keeps_the_last_samples_in_order() {
        let mut ring = [0.0; 4];
        let mut pos = 0;
        remember(&mut ring, &mut pos, &[1.0, 2.0, 3.0]);
        remember(&mut ring, &mut pos, &[4.0, 5.0]);
        // Oldest first, starting at pos: 2, 3, 4, 5.
        let ordered: Vec<f32> = (0..4).map(|i| ring[(pos + i) % 4]).collect();
        assert_eq!(ordered, [2.0, 3.0, 4.0, 5.0]);
        remember(&mut ring, &mut pos, &[6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
        let ordered: Vec<f32> = (0..4).map(|i| ring[(pos + i) % 4]).collect();
        assert_eq!(ordered, [8.0, 9.0, 10.0, 11.0]);
    }
}
