//! Speaker normalisation for models of a voice: each mel band's long-term level of the voice is subtracted, so
//! what the model reads is how this take departs from how this singer usually sounds.
//!
//! Corpora differ less by emotion than by speaker, language, microphone and room, and all of these shift a
//! voice's long-term spectrum. Standardising by speaker is what carries a classifier across corpora (on
//! per-utterance statistics the team measured leave-one-corpus-out UA on SAVEE going from 27.5 % to 54.8 %;
//! see `shared/data/README.md`). Only the mean is taken out, in dB (the power divided by the speaker's mean
//! band power): the spread stays, and so does how loud a take is against the speaker's average. (The shipped
//! vocal model also takes each window's own level out, in its graph: loudness pointed opposite ways on two of
//! its corpora; see `models/vocal-emotion/REPORT.md`.)
//!
//! Training knows every speaker's takes and subtracts the mean of their prepared segments. The plugin cannot
//! look ahead, so [`RunningSpeakerMean`] keeps the causal equivalent: an exponential average of the voiced
//! segments heard so far on the track (a vocal track is one voice), which starts at the first segment's own
//! mean and tends to the training-time value as the take goes on.

use serde::{Deserialize, Serialize};

/// Speaker normalisation as a manifest declares it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerNorm {
    /// Time constant of the plugin's running average (seconds of voiced audio).
    pub time_constant_seconds: f64,
}

impl SpeakerNorm {
    /// Earmark's setting: a minute of voice, several phrases, so one shouted line moves the average little.
    pub const DEFAULT: SpeakerNorm = SpeakerNorm { time_constant_seconds: 60.0 };

    /// Checks the values are usable.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.time_constant_seconds.is_finite() && self.time_constant_seconds > 0.0) {
            return Err(format!(
                "speaker_norm.time_constant_seconds must be positive, got {}",
                self.time_constant_seconds
            ));
        }
        Ok(())
    }
}

/// Each band's mean over a `frames × mels` segment (dB), written into `out` (which must hold `mels` values).
pub fn band_means(segment: &[f32], mels: usize, out: &mut [f32]) {
    out.fill(0.0);
    let frames = segment.len() / mels.max(1);
    if frames == 0 {
        return;
    }
    for frame in segment.chunks_exact(mels) {
        out.iter_mut().zip(frame).for_each(|(o, &v)| *o += v);
    }
    out.iter_mut().for_each(|o| *o /= frames as f32);
}

/// Subtracts `mean` (one value per band) from every frame of `segment`.
pub fn subtract(segment: &mut [f32], mean: &[f32]) {
    for frame in segment.chunks_exact_mut(mean.len()) {
        frame.iter_mut().zip(mean).for_each(|(v, &m)| *v -= m);
    }
}

/// The plugin's running estimate of the voice's band means. Allocates only when built.
#[derive(Debug, Clone)]
pub struct RunningSpeakerMean {
    config: SpeakerNorm,
    mean: Vec<f32>,
    segment_mean: Vec<f32>,
    heard: bool,
}

impl RunningSpeakerMean {
    /// An estimate for `mels` bands that has heard nothing yet.
    pub fn new(config: SpeakerNorm, mels: usize) -> Self {
        Self { config, mean: vec![0.0; mels], segment_mean: vec![0.0; mels], heard: false }
    }

    /// Folds a voiced segment heard `seconds` after the previous one into the estimate (the first one sets it)
    /// and subtracts the estimate from the segment.
    pub fn update_and_apply(&mut self, segment: &mut [f32], seconds: f64) {
        band_means(segment, self.mean.len(), &mut self.segment_mean);
        if self.heard {
            let a = (1.0 - (-seconds / self.config.time_constant_seconds).exp()) as f32;
            self.mean.iter_mut().zip(&self.segment_mean).for_each(|(m, &s)| *m += a * (s - *m));
        } else {
            self.mean.copy_from_slice(&self.segment_mean);
            self.heard = true;
        }
        subtract(segment, &self.mean);
    }

    /// Subtracts the current estimate without learning from the segment (one that held no voice); nothing
    /// happens before the first voiced segment.
    pub fn apply(&self, segment: &mut [f32]) {
        if self.heard {
            subtract(segment, &self.mean);
        }
    }

    /// Forgets the voice (a transport restart, another track).
    pub fn reset(&mut self) {
        self.heard = false;
        self.mean.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_segment_sets_the_estimate_and_later_ones_move_it_by_their_share_of_the_time_constant() {
        let mut running = RunningSpeakerMean::new(SpeakerNorm { time_constant_seconds: 10.0 }, 2);
        let mut first = vec![-20.0, -40.0, -30.0, -50.0];
        running.update_and_apply(&mut first, 1.0);
        assert_eq!(running.mean, vec![-25.0, -45.0]);
        assert_eq!(first, vec![5.0, 5.0, -5.0, -5.0]);
        let mut louder = vec![-15.0, -35.0];
        running.update_and_apply(&mut louder, 1.0);
        let a = 1.0 - (-0.1f64).exp() as f32;
        assert!((running.mean[0] - (-25.0 + a * 10.0)).abs() < 1e-5);
        assert!(louder[0] > 9.0, "a louder take stays louder than the voice's average: {louder:?}");
        // After many segments at one level the estimate is that level.
        for _ in 0..200 {
            running.update_and_apply(&mut [-10.0, -10.0], 1.0);
        }
        assert!(running.mean.iter().all(|m| (m + 10.0).abs() < 1e-3), "{:?}", running.mean);
        running.reset();
        let mut untouched = vec![1.0, 2.0];
        running.apply(&mut untouched);
        assert_eq!(untouched, vec![1.0, 2.0], "nothing is subtracted before a voice is heard");
    }

    #[test]
    fn settings_are_checked() {
        assert!(SpeakerNorm::DEFAULT.validate().is_ok());
        assert!(SpeakerNorm { time_constant_seconds: 0.0 }.validate().is_err());
        assert!(SpeakerNorm { time_constant_seconds: f64::NAN }.validate().is_err());
    }
}
