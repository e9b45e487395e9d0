//! Cutting a segment of log-mel frames down to its voiced part, for models of a voice (vocal emotion).
//!
//! Speech corpora hold short takes (1.5–8 s) with leading and trailing silence whose length differs by corpus,
//! and a model trained on "first 8 s, padded with silence" learns where an utterance ends, how long the pause
//! after it is and how loud the padding is — none of which says anything about emotion, and none of which looks
//! like the continuous 8 s of a vocal track the plugin sees. So both sides prepare a segment the same way, with
//! this one function: the frames from the first to the last voiced frame (plus a short margin for onsets and
//! releases) are kept and repeated until they fill the segment. A 2 s take and an 8 s phrase then both fill the
//! model's whole input with voice, and a pause before or after a sung line in the plugin's window is cut just as
//! a corpus' silence is. Pauses inside the voiced part stay: they are prosody.
//!
//! "Voiced" is relative to the segment itself (within [`Voicing::below_peak_db`] of its loudest frame), so the
//! cut does not depend on the recording's level; a segment with no frame above the frontend's floor is left as
//! it is.

use serde::{Deserialize, Serialize};

/// How a segment is cut to its voiced part (declared in a model's manifest, applied by training and engine).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voicing {
    /// Frames whose energy lies more than this many dB under the segment's loudest frame count as silence.
    pub below_peak_db: f32,
    /// Frames kept before the first and after the last voiced frame (onsets and releases).
    pub margin_frames: usize,
}

impl Voicing {
    /// Earmark's setting for speech: 40 dB under the loudest frame (voiced speech and most fricatives lie within
    /// 30 dB of the peak; the corpora's room noise lies 45–70 dB under it) and 5 frames (55 ms at the vocal
    /// frontend's 11 ms hop) of margin.
    pub const SPEECH: Voicing = Voicing { below_peak_db: 40.0, margin_frames: 5 };

    /// Checks the values are usable.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.below_peak_db.is_finite() && self.below_peak_db > 0.0) {
            return Err(format!("voicing below_peak_db must be a positive number of dB, got {}", self.below_peak_db));
        }
        Ok(())
    }

    /// Cuts `segment` (`frames × mels` row-major, values in dB) to its voiced frames and repeats them from the
    /// start until the segment is full again. Returns the frames kept (`start..end` of the input), or `None`
    /// when nothing stands out from the segment's floor (it is then left unchanged). Allocates nothing, so the
    /// engine's worker can call it every update.
    pub fn trim_and_tile(&self, segment: &mut [f32], mels: usize) -> Option<std::ops::Range<usize>> {
        if mels == 0 || segment.len() < mels {
            return None;
        }
        let frames = segment.len() / mels;
        let energy = |t: usize| frame_energy_db(&segment[t * mels..(t + 1) * mels]);
        let (mut peak, mut floor) = (f32::NEG_INFINITY, f32::INFINITY);
        for t in 0..frames {
            let e = energy(t);
            peak = peak.max(e);
            floor = floor.min(e);
        }
        if !peak.is_finite() || peak - floor < 1e-3 {
            return None;
        }
        let threshold = peak - self.below_peak_db;
        let first = (0..frames).find(|&t| energy(t) >= threshold)?;
        let last = (0..frames).rev().find(|&t| energy(t) >= threshold)?;
        let start = first.saturating_sub(self.margin_frames);
        let end = (last + 1 + self.margin_frames).min(frames);
        let kept = end - start;
        segment.copy_within(start * mels..end * mels, 0);
        repeat_to_fill(&mut segment[..frames * mels], kept * mels);
        Some(start..end)
    }
}

/// Repeats `values[..filled]` from the start until `values` is full: the one way training and engine fill a
/// segment that holds less sound than the model's window — a voiced cut ([`Voicing::trim_and_tile`]), a clip or
/// file shorter than the window — so that every window a model reads is full of sound, never sound then silence
/// or a constant pad. Does nothing when `filled` is 0. Allocates nothing.
pub fn repeat_to_fill(values: &mut [f32], filled: usize) {
    if filled == 0 {
        return;
    }
    let mut at = filled.min(values.len());
    while at < values.len() {
        let n = filled.min(values.len() - at);
        values.copy_within(0..n, at);
        at += n;
    }
}

/// A frame's total power in dB, `10·log10(Σ 10^(v/10))`, computed around its largest band so that it neither
/// overflows nor underflows.
fn frame_energy_db(frame: &[f32]) -> f32 {
    let top = frame.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !top.is_finite() {
        return top;
    }
    let sum: f32 = frame.iter().map(|&v| 10f32.powf((v - top) / 10.0)).sum();
    top + 10.0 * sum.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MELS: usize = 3;

    /// A segment of `frames` frames at `floor` dB with frames `voiced` at `level` dB (a distinct pattern per
    /// frame so the tiling can be followed).
    fn segment(frames: usize, voiced: std::ops::Range<usize>, level: f32, floor: f32) -> Vec<f32> {
        let mut s = vec![floor; frames * MELS];
        for t in voiced {
            for m in 0..MELS {
                s[t * MELS + m] = level - (t % 7) as f32 - m as f32;
            }
        }
        s
    }

    #[test]
    fn leading_and_trailing_silence_are_cut_and_the_voice_repeated() {
        let mut s = segment(40, 10..20, -20.0, -100.0);
        let voice: Vec<f32> = s[(10 - 2) * MELS..(20 + 2) * MELS].to_vec();
        let kept = Voicing { below_peak_db: 40.0, margin_frames: 2 }.trim_and_tile(&mut s, MELS);
        assert_eq!(kept, Some(8..22));
        for t in 0..40 {
            let k = t % 14;
            assert_eq!(&s[t * MELS..(t + 1) * MELS], &voice[k * MELS..(k + 1) * MELS], "frame {t}");
        }
    }

    #[test]
    fn where_the_take_sits_and_how_loud_it_is_do_not_matter() {
        let v = Voicing { below_peak_db: 40.0, margin_frames: 0 };
        let mut early = segment(50, 3..15, -30.0, -100.0);
        // Same pattern: shift `late` so its frame phase (t % 7) matches `early`'s.
        let mut shifted = segment(50, 31..43, -30.0, -100.0);
        v.trim_and_tile(&mut early, MELS);
        v.trim_and_tile(&mut shifted, MELS);
        assert_eq!(early, shifted, "a take's position in the segment changes nothing");
        let mut quiet = segment(50, 3..15, -30.0 - 25.0, -100.0 - 25.0);
        v.trim_and_tile(&mut quiet, MELS);
        let shifted_back: Vec<f32> = quiet.iter().map(|x| x + 25.0).collect();
        assert_eq!(early, shifted_back, "nor does its level");
    }

    #[test]
    fn noise_within_the_range_is_voice_and_pauses_inside_stay() {
        // A take with a pause in the middle: the pause is kept, only the ends are cut.
        let mut s = segment(30, 5..25, -10.0, -100.0);
        for t in 12..16 {
            s[t * MELS..(t + 1) * MELS].fill(-100.0);
        }
        let before = s.clone();
        let kept = Voicing { below_peak_db: 40.0, margin_frames: 0 }.trim_and_tile(&mut s, MELS);
        assert_eq!(kept, Some(5..25));
        assert_eq!(&s[7 * MELS..11 * MELS], &before[12 * MELS..16 * MELS]);
        // A quiet floor 30 dB down counts as voice with a 40 dB range, as silence with a 20 dB one.
        let noisy = segment(30, 10..20, -10.0, -40.0);
        assert_eq!(
            Voicing { below_peak_db: 40.0, margin_frames: 0 }.trim_and_tile(&mut noisy.clone(), MELS),
            Some(0..30)
        );
        assert_eq!(
            Voicing { below_peak_db: 20.0, margin_frames: 0 }.trim_and_tile(&mut noisy.clone(), MELS),
            Some(10..20)
        );
    }

    #[test]
    fn a_segment_of_silence_or_full_of_voice_is_left_alone() {
        let v = Voicing::SPEECH;
        let mut silent = vec![-100.0; 20 * MELS];
        assert_eq!(v.trim_and_tile(&mut silent, MELS), None);
        assert!(silent.iter().all(|&x| x == -100.0));
        let mut full = segment(20, 0..20, -20.0, -100.0);
        let before = full.clone();
        assert_eq!(v.trim_and_tile(&mut full, MELS), Some(0..20));
        assert_eq!(full, before);
        assert_eq!(v.trim_and_tile(&mut [], MELS), None);
    }

    #[test]
    fn energy_sums_the_bands_power() {
        assert!((frame_energy_db(&[-10.0, -10.0]) - (-10.0 + 10.0 * 2f32.log10())).abs() < 1e-4);
        assert!((frame_energy_db(&[0.0, -100.0]) - 0.0).abs() < 1e-4);
        assert!(Voicing { below_peak_db: 0.0, margin_frames: 1 }.validate().is_err());
        assert!(Voicing::SPEECH.validate().is_ok());
    }
}
