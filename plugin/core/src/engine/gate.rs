//! The "no signal" gate: models run only while the input carries a signal.
//!
//! A model fed silence still answers (a genre, a point on the circumplex), and a readout of silence on screen
//! is a guess a producer would take for a judgement of their track. So the engine measures the input's peak in
//! fixed 10 ms windows of host-rate samples, and once the input has stayed below [`SILENCE_DBFS`] for longer
//! than one update interval, the models stop running: the frontend keeps turning audio into frames (so the
//! models' context is current when the signal comes back), but no inference runs, readouts keep their last
//! values (and MIDI CCs hold them), and their age keeps growing. When a window carries signal again, the models
//! resume with their smoothing restarted, so the first readout describes the new audio, not a blend with what
//! played before the silence.
//!
//! The gate changes state only at window boundaries counted from the start of the stream, so the readouts stay
//! independent of the host's block size (and `earmark analyze` still equals the plugin).

/// Peak level (dBFS) under which input counts as silence: below the noise floor of any real recording's quiet
/// passage, above the dither and denormal noise of an idle track.
pub const SILENCE_DBFS: f32 = -60.0;
/// Length of the windows the peak is measured in.
pub const WINDOW_SECONDS: f64 = 0.01;

/// Measures the input and says whether the models should run.
#[derive(Debug, Clone)]
pub struct SignalGate {
    threshold: f32,
    window: usize,
    filled: usize,
    peak: f32,
    /// Any window with signal since the start (or the last reset).
    heard: bool,
    silent_samples: u64,
    hold_samples: u64,
    host_rate: u32,
}

impl SignalGate {
    /// A gate for audio at `host_rate` that closes after `hold_seconds` of silence. It starts closed: nothing
    /// runs before the first window with signal.
    pub fn new(host_rate: u32, hold_seconds: f64) -> Self {
        Self {
            threshold: 10f32.powf(SILENCE_DBFS / 20.0),
            window: ((f64::from(host_rate) * WINDOW_SECONDS).round() as usize).max(1),
            filled: 0,
            peak: 0.0,
            heard: false,
            silent_samples: 0,
            hold_samples: hold(host_rate, hold_seconds),
            host_rate,
        }
    }

    /// Samples until the current window ends: feed at most this many before calling [`Self::measure`].
    pub fn until_boundary(&self) -> usize {
        self.window - self.filled
    }

    /// Measures `part` (at most [`Self::until_boundary`] samples). At a window's end returns `Some(open)` when the
    /// gate's state changed there (`true`: signal is back), `None` otherwise.
    pub fn measure(&mut self, part: &[f32]) -> Option<bool> {
        debug_assert!(part.len() <= self.until_boundary());
        self.peak = part.iter().fold(self.peak, |peak, x| peak.max(x.abs()));
        self.filled += part.len();
        if self.filled < self.window {
            return None;
        }
        let was_open = self.is_open();
        if self.peak >= self.threshold {
            self.heard = true;
            self.silent_samples = 0;
        } else {
            self.silent_samples += self.window as u64;
        }
        self.filled = 0;
        self.peak = 0.0;
        let open = self.is_open();
        (open != was_open).then_some(open)
    }

    /// Whether the models should run.
    pub fn is_open(&self) -> bool {
        self.heard && self.silent_samples <= self.hold_samples
    }

    /// Seconds the input has been below the silence level.
    pub fn silent_seconds(&self) -> f64 {
        self.silent_samples as f64 / f64::from(self.host_rate)
    }

    /// A new hold time (the update interval changed).
    pub fn set_hold(&mut self, seconds: f64) {
        self.hold_samples = hold(self.host_rate, seconds);
    }

    /// Back to the start: closed until signal arrives.
    pub fn reset(&mut self) {
        *self = Self { hold_samples: self.hold_samples, ..Self::new(self.host_rate, 0.0) };
    }
}

fn hold(host_rate: u32, seconds: f64) -> u64 {
    (f64::from(host_rate) * seconds.max(0.0)).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `samples` window by window; returns the transitions with the sample they happened at.
    fn run(gate: &mut SignalGate, samples: &[f32], block: usize) -> Vec<(usize, bool)> {
        let mut changes = Vec::new();
        let mut done = 0;
        for chunk in samples.chunks(block) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let (part, tail) = rest.split_at(gate.until_boundary().min(rest.len()));
                done += part.len();
                if let Some(open) = gate.measure(part) {
                    changes.push((done, open));
                }
                rest = tail;
            }
        }
        changes
    }

    #[test]
    fn opens_on_signal_and_closes_after_the_hold_whatever_the_block_size() {
        let rate = 1000; // 10-sample windows
        let quiet = 10f32.powf((SILENCE_DBFS - 1.0) / 20.0);
        let loud = 10f32.powf((SILENCE_DBFS + 1.0) / 20.0);
        let mut x = vec![quiet; 100];
        x.extend(vec![loud; 30]);
        x.extend(vec![-quiet; 300]);
        x.extend(vec![-loud; 10]);
        for block in [1, 7, 10, 64, 1000] {
            let mut gate = SignalGate::new(rate, 0.2);
            assert!(!gate.is_open(), "closed before any signal");
            // Opens at the end of the first loud window; closes once 200 ms (20 windows) of silence have passed.
            assert_eq!(run(&mut gate, &x, block), [(110, true), (130 + 210, false), (440, true)], "block {block}");
        }
        let mut gate = SignalGate::new(rate, 0.2);
        run(&mut gate, &x[..300], 10);
        assert!((gate.silent_seconds() - 0.17).abs() < 1e-9);
        gate.reset();
        assert!(!gate.is_open() && gate.silent_seconds() == 0.0);
    }
}
