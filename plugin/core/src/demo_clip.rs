//! A deterministic demo clip with three clearly different registers, so any readout has something to show:
//! `earmark demo` analyses it, and tests that need "some music" for every shipped model use it too.

use std::f32::consts::TAU;

/// Sample rate the clip is rendered at; models resample from it as they would from a file.
pub const DEMO_SAMPLE_RATE: u32 = 44_100;
/// Length of each section in seconds.
const SECTION_SECONDS: f32 = 3.0;

/// A labelled stretch of the clip.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Section {
    /// What plays.
    pub name: &'static str,
    /// Start in seconds.
    pub start: f64,
    /// End in seconds.
    pub end: f64,
}

/// Renders the clip: a bass line, then mid-register chords, then bells, each 3 s, over a faint noise floor.
pub fn render() -> (Vec<f32>, Vec<Section>) {
    let sr = DEMO_SAMPLE_RATE as f32;
    let per_section = (SECTION_SECONDS * sr) as usize;
    let mut clip = Vec::with_capacity(3 * per_section);
    // Bass: four notes (A1 D2 E2 A2), harmonics falling as 1/k².
    clip.extend(notes(&[55.0, 73.42, 82.41, 110.0], per_section, sr, |f, t| {
        (1..=6).map(|k| (TAU * f * k as f32 * t).sin() / (k * k) as f32).sum::<f32>() * 0.5
    }));
    // Chords around C6 (fundamentals 1–1.6 kHz), two soft harmonics.
    clip.extend(notes(&[1046.5, 1174.7, 1318.5, 1568.0], per_section, sr, |f, t| {
        [(1.0, 0.3), (1.26, 0.2), (1.5, 0.2)]
            .iter()
            .map(|(ratio, gain)| gain * ((TAU * f * ratio * t).sin() + 0.15 * (TAU * 2.0 * f * ratio * t).sin()))
            .sum()
    }));
    // Bells: inharmonic partials between 3 and 7 kHz.
    clip.extend(notes(&[3100.0, 3500.0, 2900.0, 3800.0], per_section, sr, |f, t| {
        [1.0f32, 1.47, 1.83].iter().map(|p| 0.25 * (TAU * f * p * t).sin()).sum()
    }));
    // A faint deterministic noise floor keeps every band finite in dB.
    let mut state = 0x9e37_79b9u32;
    for x in &mut clip {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *x += (state as f32 / u32::MAX as f32 - 0.5) * 2e-3;
    }
    let names = ["bass line (low register)", "chords (mid register)", "bells (high register)"];
    let sections = names
        .iter()
        .enumerate()
        .map(|(i, &name)| Section {
            name,
            start: f64::from(SECTION_SECONDS) * i as f64,
            end: f64::from(SECTION_SECONDS) * (i + 1) as f64,
        })
        .collect();
    (clip, sections)
}

/// `len` samples of four equal-length notes with a plucked envelope.
fn notes(freqs: &[f32], len: usize, sr: f32, voice: impl Fn(f32, f32) -> f32) -> impl Iterator<Item = f32> {
    let note_len = len / freqs.len();
    (0..len).map(move |n| {
        let f = freqs[(n / note_len).min(freqs.len() - 1)];
        let t = (n % note_len) as f32 / sr;
        let envelope = (1.0 - (-t * 200.0).exp()) * (-t * 1.5).exp();
        voice(f, n as f32 / sr) * envelope
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_is_deterministic_and_in_range() {
        let (a, sections) = render();
        let (b, _) = render();
        assert_eq!(a, b);
        assert_eq!(a.len(), 3 * 3 * DEMO_SAMPLE_RATE as usize);
        assert_eq!(sections.len(), 3);
        let peak = a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.2 && peak < 1.0, "peak {peak}");
    }
}
