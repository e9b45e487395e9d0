//! Standard MIDI files as scores the renderer plays: the tempo map applied, the sustain pedal folded into note
//! lengths (the renderer has no controller events), velocities rescaled, every channel on one chosen program.
//!
//! Used to render transcribed performances (EMOPIA's pop-piano covers) with several real piano sounds, so a
//! model learns the music rather than one instrument's recording chain.

use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use super::SynthError;
use super::music::{ChannelSetup, Score};

/// How to turn a performance into a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Performance {
    /// General MIDI program every note is played with (0 = acoustic grand piano).
    pub program: u8,
    /// Velocities are multiplied by this (then kept in 1–127): a softer or harder touch.
    pub velocity_scale: f32,
    /// Reverb send (CC 91) of the channel, 0–127.
    pub reverb: u8,
    /// At most this many seconds from the start.
    pub max_seconds: f64,
}

/// A pressed key waiting for its release: (start in seconds, velocity).
type Held = Option<(f64, u8)>;

/// Parses `bytes` (a standard MIDI file) into a score on channel 0 with `performance`'s program and touch.
pub fn score(bytes: &[u8], performance: &Performance) -> Result<Score, SynthError> {
    let bad = |reason: String| SynthError::Midi(reason);
    let smf = Smf::parse(bytes).map_err(|e| bad(e.to_string()))?;
    let ticks_per_beat = match smf.header.timing {
        Timing::Metrical(t) => f64::from(t.as_int()),
        Timing::Timecode(..) => return Err(bad("SMPTE timecode timing is not supported".into())),
    };
    // Every event of every track with its absolute tick, in time order (tempo changes first at a tick).
    let mut events: Vec<(u64, u8, TrackEventKind)> = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        for event in track {
            tick += u64::from(event.delta.as_int());
            let order = if matches!(event.kind, TrackEventKind::Meta(MetaMessage::Tempo(_))) { 0 } else { 1 };
            events.push((tick, order, event.kind));
        }
    }
    events.sort_by_key(|(tick, order, _)| (*tick, *order));
    let (mut seconds, mut last_tick, mut us_per_beat) = (0.0f64, 0u64, 500_000.0f64);
    // Per channel and key: the held note; per channel: the pedal, and keys released while it was down.
    let mut held: Vec<Vec<Held>> = vec![vec![None; 128]; 16];
    let mut pedal = [false; 16];
    let mut sustained: Vec<Vec<(u8, f64, u8)>> = vec![Vec::new(); 16];
    let mut notes: Vec<(f64, f64, u8, u8)> = Vec::new();
    let velocity = |v: u8| (f32::from(v) * performance.velocity_scale).round().clamp(1.0, 127.0) as u8;
    for (tick, _, kind) in events {
        seconds += (tick - last_tick) as f64 * us_per_beat / 1e6 / ticks_per_beat;
        last_tick = tick;
        match kind {
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => us_per_beat = f64::from(t.as_int()),
            TrackEventKind::Midi { channel, message } => {
                let c = usize::from(channel.as_int());
                let release = |key: u8, start: f64, v: u8, notes: &mut Vec<(f64, f64, u8, u8)>| {
                    notes.push((start, seconds - start, key, v));
                };
                match message {
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                        let k = key.as_int();
                        // A key struck again ends its previous (or pedal-held) sound.
                        if let Some((start, v)) = held[c][usize::from(k)].take() {
                            release(k, start, v, &mut notes);
                        }
                        if let Some(i) = sustained[c].iter().position(|&(sk, _, _)| sk == k) {
                            let (sk, start, v) = sustained[c].swap_remove(i);
                            release(sk, start, v, &mut notes);
                        }
                        held[c][usize::from(k)] = Some((seconds, velocity(vel.as_int())));
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        let k = key.as_int();
                        if let Some((start, v)) = held[c][usize::from(k)].take() {
                            if pedal[c] {
                                sustained[c].push((k, start, v));
                            } else {
                                release(k, start, v, &mut notes);
                            }
                        }
                    }
                    MidiMessage::Controller { controller, value } if controller.as_int() == 64 => {
                        let down = value.as_int() >= 64;
                        if pedal[c] && !down {
                            for (k, start, v) in std::mem::take(&mut sustained[c]) {
                                release(k, start, v, &mut notes);
                            }
                        }
                        pedal[c] = down;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    // Notes still sounding at the end last until then.
    for c in 0..16 {
        for (k, slot) in held[c].iter_mut().enumerate() {
            if let Some((start, v)) = slot.take() {
                notes.push((start, (seconds - start).max(0.05), k as u8, v));
            }
        }
        for (k, start, v) in std::mem::take(&mut sustained[c]) {
            notes.push((start, (seconds - start).max(0.05), k, v));
        }
    }
    if notes.is_empty() {
        return Err(bad("no notes".into()));
    }
    // A little room after the last release for the sound to decay.
    let length = (seconds + 1.5).min(performance.max_seconds);
    let mut score = Score::new(length);
    score.channels.push(ChannelSetup {
        channel: 0,
        program: performance.program,
        volume: 110,
        pan: 64,
        reverb: performance.reverb,
        chorus: 0,
    });
    for (start, duration, key, v) in notes {
        score.push(0, start, duration.max(0.02), i32::from(key), f64::from(v));
    }
    Ok(score)
}

#[cfg(test)]
pub(crate) mod tests {
    use midly::num::{u4, u7, u15, u24, u28};
    use midly::{Format, Header, TrackEvent};

    use super::*;

    /// A track event `delta` ticks after the previous one.
    pub(crate) fn event(delta: u32, kind: TrackEventKind<'static>) -> TrackEvent<'static> {
        TrackEvent { delta: u28::new(delta), kind }
    }

    /// A channel message.
    pub(crate) fn midi(channel: u8, message: MidiMessage) -> TrackEventKind<'static> {
        TrackEventKind::Midi { channel: u4::new(channel), message }
    }

    /// One track as a Standard MIDI File at 480 ticks per beat (the test fixtures' resolution).
    pub(crate) fn smf_bytes(track: Vec<TrackEvent<'static>>) -> Vec<u8> {
        let smf =
            Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(480))), tracks: vec![track] };
        let mut bytes = Vec::new();
        smf.write_std(&mut bytes).unwrap();
        bytes
    }

    /// 480 ticks per beat at 120 bpm (0.5 s a beat), then 60 bpm after beat 2.
    fn file() -> Vec<u8> {
        let on = |k: u8, v: u8| MidiMessage::NoteOn { key: u7::new(k), vel: u7::new(v) };
        let off = |k: u8| MidiMessage::NoteOff { key: u7::new(k), vel: u7::new(0) };
        let pedal = |v: u8| MidiMessage::Controller { controller: u7::new(64), value: u7::new(v) };
        let track = vec![
            event(0, TrackEventKind::Meta(MetaMessage::Tempo(u24::new(500_000)))),
            event(0, midi(0, on(60, 100))),
            event(480, midi(0, off(60))), // 0.5 s
            event(0, midi(0, pedal(127))),
            event(0, midi(0, on(64, 80))),
            event(240, midi(0, off(64))), // released at 0.75 s, but the pedal holds it
            event(240, TrackEventKind::Meta(MetaMessage::Tempo(u24::new(1_000_000)))), // 1.0 s
            event(480, midi(0, pedal(0))), // pedal up at 2.0 s
            event(0, TrackEventKind::Meta(MetaMessage::EndOfTrack)),
        ];
        smf_bytes(track)
    }

    #[test]
    fn tempo_pedal_and_touch() {
        let performance = Performance { program: 4, velocity_scale: 0.5, reverb: 40, max_seconds: 30.0 };
        let score = score(&file(), &performance).unwrap();
        let mut notes: Vec<(f64, f64, u8, u8)> =
            score.notes.iter().map(|n| (n.start, n.duration, n.key, n.velocity)).collect();
        notes.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(notes.len(), 2);
        assert!((notes[0].0 - 0.0).abs() < 1e-9 && (notes[0].1 - 0.5).abs() < 1e-9 && notes[0].3 == 50);
        // The second note sounds from 0.5 s until the pedal lifts at 2.0 s (the tempo halves at 1.0 s).
        assert!((notes[1].0 - 0.5).abs() < 1e-9 && (notes[1].1 - 1.5).abs() < 1e-9, "{notes:?}");
        assert_eq!(score.channels[0].program, 4);
        assert!((score.seconds - 3.5).abs() < 1e-9);
        let short = Performance { max_seconds: 1.0, ..performance };
        assert_eq!(super::score(&file(), &short).unwrap().seconds, 1.0);
        assert!(matches!(super::score(b"not midi", &performance), Err(SynthError::Midi(_))));
    }
}
