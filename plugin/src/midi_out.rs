//! Readouts as MIDI CC values, so producers can modulate other plugins with them (and host tests can read them).
//!
//! Everything here runs on the audio thread: fixed-size arrays, no allocation.

use earmark_core::engine::readout::{ModelReadout, Snapshot};
use earmark_core::manifest::Task;

/// Instrument families with a CC each.
pub const MAX_FAMILIES: usize = 8;
/// Slots: valence, arousal, genre confidence, genre class, then the families.
pub const SLOTS: usize = 4 + MAX_FAMILIES;

/// Values in [0, 1] per slot, `None` where no model provides one (yet).
pub fn slot_values(snapshot: &Snapshot) -> [Option<f32>; SLOTS] {
    let mut values = [None; SLOTS];
    let ready = |m: &&ModelReadout| !m.scores.is_empty() && m.scores.len() == m.classes.len();
    if let Some(emotion) = snapshot.models.iter().filter(ready).find(|m| m.task == Task::Emotion) {
        values[0] = score_of(emotion, "valence");
        values[1] = score_of(emotion, "arousal");
    }
    // Test models are single-label classifiers too: shown (and sent) like a genre model.
    if let Some(genre) = snapshot.models.iter().filter(ready).find(|m| matches!(m.task, Task::Genre | Task::Test)) {
        let (index, best) =
            genre.scores.iter().enumerate().fold((0, f32::MIN), |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc });
        values[2] = Some(best);
        values[3] = Some(index as f32 / 127.0);
    }
    if let Some(instruments) = snapshot.models.iter().filter(ready).find(|m| m.task == Task::Instruments)
        && let Some(groups) = &instruments.hierarchy
    {
        for (slot, group) in values[4..].iter_mut().zip(groups) {
            // A family is as present as its most present instrument (the paper's grouped max).
            *slot = group.members.iter().filter_map(|member| score_of(instruments, member)).reduce(f32::max);
        }
    }
    values
}

fn score_of(readout: &ModelReadout, class: &str) -> Option<f32> {
    readout.classes.iter().position(|c| c == class).map(|i| readout.scores[i])
}

/// 7-bit value of a [0, 1] score.
pub fn to_7bit(value: f32) -> u8 {
    (value.clamp(0.0, 1.0) * 127.0).round() as u8
}

#[cfg(test)]
mod tests {
    use earmark_core::manifest::LabelGroup;

    use super::*;

    fn readout(task: Task, classes: &[&str], scores: &[f32]) -> ModelReadout {
        ModelReadout {
            name: format!("{task:?}"),
            task,
            classes: classes.iter().map(|c| c.to_string()).collect(),
            multi_label: task == Task::Instruments,
            thresholds: None,
            hierarchy: None,
            scores: scores.to_vec(),
            raw: scores.to_vec(),
            families: Vec::new(),
            attention: Vec::new(),
            stream_seconds: 1.0,
            segment_seconds: 1.0,
            updates: 1,
            inference_ms: 1.0,
            provider: "CPU".into(),
            fallback_reason: None,
            error: None,
        }
    }

    #[test]
    fn every_readout_maps_to_its_slot() {
        let mut instruments = readout(Task::Instruments, &["violin", "cello", "drums"], &[0.9, 0.3, 0.1]);
        instruments.hierarchy = Some(vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
            LabelGroup { name: "percussion".into(), members: vec!["drums".into()] },
        ]);
        let snapshot = Snapshot {
            models: vec![
                readout(Task::Emotion, &["valence", "arousal"], &[0.2, 0.8]),
                readout(Task::Genre, &["rock", "jazz", "waltz"], &[0.1, 0.7, 0.2]),
                instruments,
            ],
            ..Snapshot::default()
        };
        let values = slot_values(&snapshot);
        assert_eq!(&values[..6], &[Some(0.2), Some(0.8), Some(0.7), Some(1.0 / 127.0), Some(0.9), Some(0.1)]);
        assert!(values[6..].iter().all(Option::is_none));
        assert_eq!(to_7bit(values[3].unwrap()), 1);
        assert_eq!(to_7bit(0.5), 64);
    }

    #[test]
    fn nothing_is_sent_before_the_first_readout() {
        let mut empty = readout(Task::Genre, &["a", "b"], &[]);
        empty.updates = 0;
        let snapshot = Snapshot { models: vec![empty], ..Snapshot::default() };
        assert!(slot_values(&snapshot).iter().all(Option::is_none));
    }
}
