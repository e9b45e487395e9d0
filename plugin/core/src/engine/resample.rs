//! Streaming resampling from the host's rate to a model's rate, fed in blocks of any size.
//!
//! rubato's FFT resampler takes fixed input chunks; we collect samples into one and process it when full, so
//! the output does not depend on how the host sliced the audio (the plugin and `earmark analyze` agree).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Async, Fft, FixedAsync, FixedSync, Resampler, SincInterpolationParameters};

use crate::audio::AudioError;

/// Most input frames per rubato call: ~23 ms at 44.1 kHz, small enough for prompt readouts.
const CHUNK: usize = 1024;
/// Fewest input frames per call (FFT resampling below this costs more than it saves in latency).
const MIN_CHUNK: usize = 32;

/// Input frames per rubato call at `rate` Hz: about 23 ms of audio. A fixed 1024 would hold back a second of
/// audio at a 1 kHz host rate (a conformance fuzzer's favourite) and delay the first readout by as much.
fn chunk(rate: u32) -> usize {
    (rate as usize / 43).clamp(MIN_CHUNK, CHUNK)
}

/// The FFT resampler's input chunk is a multiple of `from / gcd(from, to)`: fine for the rates DAWs use
/// (44.1 → 16 kHz: 441 frames), but a whole second for a rate like 22 597 Hz, which would hold back the first
/// readout by a second or more. Beyond this many of our chunks, the sinc resampler (any ratio, our chunk) is
/// used instead.
const MOST_FFT_CHUNKS: usize = 4;

/// The resampler for `from` → `to`: rubato's FFT resampler where its chunk stays short, else its sinc one.
fn resampler(from: u32, to: u32) -> Result<Box<dyn Resampler<f32>>, String> {
    let chunk = chunk(from);
    let gcd = gcd(from as usize, to as usize);
    if from as usize / gcd <= MOST_FFT_CHUNKS * chunk {
        let fft = Fft::<f32>::new(from as usize, to as usize, chunk, 1, FixedSync::Input).map_err(|e| e.to_string())?;
        return Ok(Box::new(fft));
    }
    let ratio = f64::from(to) / f64::from(from);
    let sinc = Async::<f32>::new_sinc(ratio, 1.0, &SincInterpolationParameters::default(), chunk, 1, FixedAsync::Input)
        .map_err(|e| e.to_string())?;
    Ok(Box::new(sinc))
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

/// Largest magnitude passed to the FFT resampler (+60 dBFS). Audio beyond it is clipped for analysis only (the
/// plugin's audio output is untouched): an input of `f32::MAX` overflows the resampler's FFT to infinities,
/// and rubato panics on the NaN that follows — found by the fuzz harness, which feeds such blocks.
const LIMIT: f32 = 1000.0;

/// Resamples a mono stream; allocation-free after construction. Total: NaN becomes 0 and magnitudes are
/// clipped to [`LIMIT`], so no input can make it fail.
pub struct StreamResampler {
    resampler: Box<dyn Resampler<f32>>,
    pending: Vec<f32>,
    filled: usize,
    output: Vec<f32>,
}

impl StreamResampler {
    /// A resampler from `from` Hz to `to` Hz.
    pub fn new(from: u32, to: u32) -> Result<Self, AudioError> {
        let fail = |reason: String| AudioError::Resample { from, to, reason };
        let resampler = resampler(from, to).map_err(fail)?;
        let output = vec![0.0; resampler.output_frames_max()];
        let pending = vec![0.0; resampler.input_frames_max()];
        Ok(Self { resampler, pending, filled: 0, output })
    }

    /// Pushes input samples; `on_output` receives each block of resampled samples as it is produced.
    pub fn push(&mut self, mut samples: &[f32], mut on_output: impl FnMut(&[f32])) {
        while !samples.is_empty() {
            let needed = self.resampler.input_frames_next();
            let take = (needed - self.filled).min(samples.len());
            for (slot, &x) in self.pending[self.filled..self.filled + take].iter_mut().zip(&samples[..take]) {
                *slot = if x.is_nan() { 0.0 } else { x.clamp(-LIMIT, LIMIT) };
            }
            self.filled += take;
            samples = &samples[take..];
            if self.filled == needed {
                let input = InterleavedSlice::new(&self.pending[..needed], 1, needed).expect("sized by rubato");
                let frames = self.output.len();
                let mut output = InterleavedSlice::new_mut(&mut self.output[..], 1, frames).expect("sized by rubato");
                let (_, written) = self
                    .resampler
                    .process_into_buffer(&input, &mut output, None)
                    .expect("buffers are sized by the resampler itself");
                self.filled = 0;
                on_output(&self.output[..written]);
            }
        }
    }

    /// Forgets buffered input and the filter state.
    pub fn reset(&mut self) {
        self.resampler.reset();
        self.filled = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(block: usize) -> Vec<f32> {
        let mut resampler = StreamResampler::new(48_000, 22_050).unwrap();
        let input: Vec<f32> = (0..48_000).map(|n| (n as f32 * 0.01).sin()).collect();
        let mut out = Vec::new();
        for chunk in input.chunks(block) {
            resampler.push(chunk, |o| out.extend_from_slice(o));
        }
        out
    }

    /// What the fuzz harness found: full-scale float garbage must not panic the resampler (it did, inside
    /// rubato, killing the plugin's worker thread).
    #[test]
    fn extreme_and_non_finite_input_never_panics() {
        for (from, to) in [(1_000, 16_000), (48_000, 22_050), (200_000, 44_100)] {
            let mut resampler = StreamResampler::new(from, to).unwrap();
            let nasty = [f32::MAX, f32::MIN, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e-40, 0.5];
            let input: Vec<f32> = (0..20_000).map(|n| nasty[n % nasty.len()]).collect();
            let mut out = Vec::new();
            resampler.push(&input, |o| out.extend_from_slice(o));
            assert!(!out.is_empty() && out.iter().all(|x| x.is_finite()), "{from} → {to}");
        }
    }

    /// Odd rates (no common factor with the model's) get the sinc resampler: output within a few chunks, not
    /// after a second.
    #[test]
    fn odd_rates_resample_promptly() {
        for from in [22_597u32, 174_914, 1_013] {
            let mut resampler = StreamResampler::new(from, 16_000).unwrap();
            let tenth: Vec<f32> = (0..from as usize / 10).map(|n| (n as f32 * 0.05).sin()).collect();
            let mut out = Vec::new();
            resampler.push(&tenth, |o| out.extend_from_slice(o));
            assert!(out.len() > 1_000, "{from} Hz: {} samples out of 0.1 s in", out.len());
            let mut more = Vec::new();
            resampler.push(&tenth.repeat(10), |o| more.extend_from_slice(o));
            let rate = (out.len() + more.len()) as f64 / 1.1;
            assert!((rate - 16_000.0).abs() < 600.0, "{from} Hz → {rate} Hz");
        }
    }

    #[test]
    fn output_does_not_depend_on_block_size_and_has_the_right_rate() {
        let reference = run(4096);
        for block in [1, 37, 512, 1024, 8192] {
            assert_eq!(run(block), reference, "block {block}");
        }
        // 1 s in, all complete chunks out: within one chunk of 22 050 samples.
        let expected = 22_050.0;
        assert!((reference.len() as f64 - expected).abs() < 1024.0, "{}", reference.len());
    }
}
