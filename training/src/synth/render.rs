//! Score → audio through rustysynth, then the clip's spectral tilt and level.
//!
//! The synthesiser is driven directly (note-on/off at sample positions, rendering the stretches between them)
//! rather than through a MIDI file sequencer: it is simpler, exact to rustysynth's 64-sample block, and
//! trivially deterministic. A fresh `Synthesizer` per clip means no state leaks from one clip into the next.

use std::sync::Arc;

use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use super::SynthError;
use super::music::{DRUMS, Score};

/// How a clip is produced after the notes: effects, tone and level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    /// The synthesiser's reverb and chorus on (each channel's sends decide how much).
    pub effects: bool,
    /// Spectral tilt in dB: the part above ~1 kHz is raised by `tilt_db / 2`, the part below lowered by as much
    /// (a one-pole shelf pair). Positive = brighter.
    pub tilt_db: f32,
    /// Output level.
    pub level: Level,
}

/// The clip's output level; either way the peak is then kept at or below 0.99 (−0.09 dBFS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    /// Scale so the peak is this many dBFS.
    PeakDb(f32),
    /// Scale so the RMS is this many dBFS (keeps loudness differences between clips).
    RmsDb(f32),
}

/// The highest peak a clip may have.
pub const MAX_PEAK: f32 = 0.99;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    at: usize,
    /// 0 = off, 1 = on: offs first at the same sample so a repeated key restarts cleanly.
    on: u8,
    channel: u8,
    key: u8,
    velocity: u8,
}

/// Renders `score` at `sample_rate` to mono (the stereo output's mean).
pub(crate) fn render_score(
    soundfont: &Arc<SoundFont>,
    sample_rate: u32,
    score: &Score,
    effects: bool,
) -> Result<Vec<f32>, SynthError> {
    let mut settings = SynthesizerSettings::new(sample_rate as i32);
    settings.block_size = 64;
    settings.maximum_polyphony = 128;
    settings.enable_reverb_and_chorus = effects;
    let mut synth = Synthesizer::new(soundfont, &settings).map_err(|e| SynthError::Synthesizer(e.to_string()))?;
    for setup in &score.channels {
        let ch = i32::from(setup.channel);
        if setup.channel != DRUMS {
            synth.process_midi_message(ch, 0xB0, 0x00, 0);
            synth.process_midi_message(ch, 0xC0, i32::from(setup.program), 0);
        }
        synth.process_midi_message(ch, 0xB0, 0x07, i32::from(setup.volume.min(127)));
        synth.process_midi_message(ch, 0xB0, 0x0A, i32::from(setup.pan.min(127)));
        synth.process_midi_message(ch, 0xB0, 0x0B, 127);
        synth.process_midi_message(ch, 0xB0, 0x5B, i32::from(setup.reverb.min(127)));
        synth.process_midi_message(ch, 0xB0, 0x5D, i32::from(setup.chorus.min(127)));
    }

    let total = (score.seconds * f64::from(sample_rate)).round() as usize;
    let events = events(score, sample_rate);
    let mut left = vec![0f32; total];
    let mut right = vec![0f32; total];
    let mut done = 0;
    for event in events.iter().filter(|e| e.at < total) {
        if event.at > done {
            synth.render(&mut left[done..event.at], &mut right[done..event.at]);
            done = event.at;
        }
        if event.on == 1 {
            synth.note_on(i32::from(event.channel), i32::from(event.key), i32::from(event.velocity));
        } else {
            synth.note_off(i32::from(event.channel), i32::from(event.key));
        }
    }
    if done < total {
        synth.render(&mut left[done..], &mut right[done..]);
    }
    Ok(left.iter().zip(&right).map(|(l, r)| 0.5 * (l + r)).collect())
}

/// Note-on/off events sorted by time. Notes of one channel and key are shortened so none overlaps the next
/// (rustysynth's note-off ends every voice of that key, which would otherwise cut the later note short).
fn events(score: &Score, sample_rate: u32) -> Vec<Event> {
    let rate = f64::from(sample_rate);
    let mut notes: Vec<(u8, u8, usize, usize, u8)> = score
        .notes
        .iter()
        .map(|n| {
            let on = (n.start * rate).round() as usize;
            let off = ((n.start + n.duration) * rate).round() as usize;
            (n.channel, n.key, on, off.max(on + 1), n.velocity)
        })
        .collect();
    notes.sort_unstable();
    for i in 1..notes.len() {
        let (prev, next) = (notes[i - 1], notes[i]);
        if prev.0 == next.0 && prev.1 == next.1 && prev.3 > next.2 {
            notes[i - 1].3 = next.2.max(prev.2 + 1);
        }
    }
    let mut events = Vec::with_capacity(notes.len() * 2);
    for (channel, key, on, off, velocity) in notes {
        events.push(Event { at: on, on: 1, channel, key, velocity });
        events.push(Event { at: off, on: 0, channel, key, velocity: 0 });
    }
    events.sort_unstable();
    events
}

/// Applies the tilt and the level, then keeps the peak at or below [`MAX_PEAK`].
pub(crate) fn finish(samples: &mut [f32], sample_rate: u32, mix: &Mix) {
    if mix.tilt_db != 0.0 {
        tilt(samples, sample_rate, mix.tilt_db);
    }
    let peak = samples.iter().fold(0f32, |m, s| m.max(s.abs()));
    if peak == 0.0 || !peak.is_finite() {
        samples.iter_mut().for_each(|s| *s = if s.is_finite() { *s } else { 0.0 });
        return;
    }
    let mut gain = match mix.level {
        Level::PeakDb(db) => db_to_gain(db) / peak,
        Level::RmsDb(db) => db_to_gain(db) / super::effects::rms(samples),
    };
    if peak * gain > MAX_PEAK {
        gain = MAX_PEAK / peak;
    }
    samples.iter_mut().for_each(|s| *s = (*s * gain).clamp(-MAX_PEAK, MAX_PEAK));
}

/// One-pole low/high split at 1 kHz, low part scaled by −tilt/2 dB, high part by +tilt/2 dB.
fn tilt(samples: &mut [f32], sample_rate: u32, tilt_db: f32) {
    let a = (-std::f32::consts::TAU * 1000.0 / sample_rate as f32).exp();
    let low_gain = db_to_gain(-tilt_db / 2.0);
    let high_gain = db_to_gain(tilt_db / 2.0);
    let mut low = 0f32;
    for s in samples.iter_mut() {
        low = (1.0 - a) * *s + a * low;
        *s = low_gain * low + high_gain * (*s - low);
    }
}

pub(crate) fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_and_peak_guard() {
        let mut x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.1).sin() * 0.1).collect();
        finish(&mut x, 22050, &Mix { effects: false, tilt_db: 0.0, level: Level::PeakDb(-6.0) });
        let peak = x.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!((peak - 0.501).abs() < 0.01, "{peak}");
        finish(&mut x, 22050, &Mix { effects: false, tilt_db: 3.0, level: Level::RmsDb(0.0) });
        assert!(x.iter().all(|s| s.abs() <= MAX_PEAK));
        let mut silent = vec![0f32; 10];
        finish(&mut silent, 22050, &Mix { effects: false, tilt_db: 3.0, level: Level::PeakDb(-1.0) });
        assert!(silent.iter().all(|s| *s == 0.0));
    }

    #[test]
    fn overlapping_repeats_are_shortened() {
        let mut score = Score::new(1.0);
        score.push(0, 0.0, 0.5, 60, 100.0);
        score.push(0, 0.25, 0.5, 60, 100.0);
        let events = events(&score, 1000);
        let offs: Vec<usize> = events.iter().filter(|e| e.on == 0).map(|e| e.at).collect();
        assert_eq!(offs, vec![250, 750]);
    }
}
