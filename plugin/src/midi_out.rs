//! Readouts as MIDI CC values, so producers can modulate other plugins with them (and host tests can read them).
//!
//! Which model feeds which CC comes from the snapshot's [`Roles`], the same map the editor draws from, so a CC
//! and the editor never disagree. The same goes for the snapshot's [`Gates`](earmark_core::engine::hearing::Gates),
//! worked out on the worker: a readout the editor holds back ("not music", "no voice") sends nothing, so its
//! CCs hold their last values. [`slot_values`] runs on the audio thread: fixed-size arrays, index lookups, two
//! boolean gates, no allocation. [`cc_map`] (which CC carries what, in words) is for the editor.

use earmark_core::engine::readout::Snapshot;
use earmark_core::engine::roles::Roles;
use earmark_core::engine::watch::{Readout, Watched};

/// Instrument families with a CC each: the first `MAX_FAMILIES` families of the instrument model's hierarchy, on
/// consecutive CCs from the "instrument families" parameter (so that parameter goes up to `127 - 15`).
pub const MAX_FAMILIES: usize = 16;

/// What one CC slot carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// P(high valence).
    Valence,
    /// P(high arousal).
    Arousal,
    /// The top genre's probability.
    GenreConfidence,
    /// The top genre's index (the 7-bit value is the index).
    GenreClass,
    /// The top vocal emotion's index.
    VocalClass,
    /// The top vocal emotion's probability.
    VocalConfidence,
    /// The top style's probability.
    StyleConfidence,
    /// The top style's index.
    StyleClass,
    /// P(music), from the content model.
    Music,
    /// P(speech), from the content model.
    Speech,
    /// Family `n` of the instrument model's hierarchy.
    Family(usize),
}

/// The slots with a CC parameter of their own, in parameter order.
pub const FIXED: [Slot; 10] = [
    Slot::Valence,
    Slot::Arousal,
    Slot::GenreConfidence,
    Slot::GenreClass,
    Slot::VocalClass,
    Slot::VocalConfidence,
    Slot::StyleConfidence,
    Slot::StyleClass,
    Slot::Music,
    Slot::Speech,
];
/// Every slot: the fixed ones, then the families.
pub const SLOTS: usize = FIXED.len() + MAX_FAMILIES;

/// The slot at index `i` of [`slot_values`].
pub fn slot(i: usize) -> Slot {
    FIXED.get(i).copied().unwrap_or_else(|| Slot::Family(i - FIXED.len()))
}

/// The CC numbers the parameters assign (−1 = off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CcNumbers {
    /// One per [`FIXED`] slot.
    pub fixed: [i32; FIXED.len()],
    /// CC of the first family; family `n` goes out on `families + n`.
    pub families: i32,
}

impl CcNumbers {
    /// The controller of slot `i`, if it is switched on and in range.
    pub fn cc(&self, i: usize) -> Option<u8> {
        let number = match slot(i) {
            Slot::Family(n) if self.families >= 0 => self.families + n as i32,
            Slot::Family(_) => -1,
            _ => self.fixed[i],
        };
        u8::try_from(number).ok().filter(|&cc| cc <= 127)
    }
}

/// The readouts with at least one CC switched on: they stay watched with the editor closed.
pub fn watched_by(numbers: &CcNumbers) -> Watched {
    (0..SLOTS).filter(|&i| numbers.cc(i).is_some()).fold(Watched::NONE, |watched, i| {
        watched.with(match slot(i) {
            Slot::Valence | Slot::Arousal => Readout::Emotion,
            Slot::GenreConfidence | Slot::GenreClass => Readout::Genre,
            Slot::VocalClass | Slot::VocalConfidence => Readout::Vocal,
            Slot::StyleConfidence | Slot::StyleClass => Readout::Style,
            Slot::Music | Slot::Speech => Readout::Content,
            Slot::Family(_) => Readout::Instruments,
        })
    })
}

/// Values in [0, 1] per slot, `None` where no model provides one (yet). Class indices are sent as
/// `index / 127`, so the 7-bit value is the index itself.
pub fn slot_values(snapshot: &Snapshot) -> [Option<f32>; SLOTS] {
    let mut values = [None; SLOTS];
    let models = &snapshot.models;
    let Roles { emotion, genre, style, vocal, instruments, content, .. } = &snapshot.roles;
    // A gated readout sends nothing: its CCs hold, as the editor holds it back.
    let genre = genre.filter(|_| snapshot.gates.genre_open());
    let vocal = vocal.filter(|_| snapshot.gates.vocal_open());
    if let Some((valence, arousal)) = emotion.and_then(|role| role.scores(models)) {
        values[0] = Some(valence);
        values[1] = Some(arousal);
    }
    if let Some((index, best)) = genre.and_then(|g| models.get(g)).and_then(|m| m.top()) {
        values[2] = Some(best);
        values[3] = Some(index as f32 / 127.0);
    }
    if let Some((index, best)) = vocal.and_then(|v| models.get(v)).and_then(|m| m.top()) {
        values[4] = Some(index as f32 / 127.0);
        values[5] = Some(best);
    }
    if let Some((index, best)) = style.and_then(|s| models.get(s)).and_then(|m| m.top()) {
        values[6] = Some(best);
        values[7] = Some(index as f32 / 127.0);
    }
    if let Some((music, speech)) = content.and_then(|role| role.scores(models)) {
        values[8] = Some(music);
        values[9] = Some(speech);
    }
    if let Some(role) = instruments {
        for (f, value) in values[FIXED.len()..].iter_mut().enumerate().take(role.families.len()) {
            *value = role.presence(models, f);
        }
    }
    values
}

/// 7-bit value of a [0, 1] score.
pub fn to_7bit(value: f32) -> u8 {
    (value.clamp(0.0, 1.0) * 127.0).round() as u8
}

/// Which CC carries what, for the models in `snapshot` (only the roles a model plays), in CC order — what the
/// editor lists so a producer can route the CCs.
pub fn cc_map(snapshot: &Snapshot, numbers: &CcNumbers) -> Vec<(u8, String)> {
    let models = &snapshot.models;
    let roles = &snapshot.roles;
    let classes = |index: Option<usize>| {
        let model = index.and_then(|i| models.get(i))?;
        let list: Vec<String> = model.classes.iter().enumerate().map(|(i, c)| format!("{i} {c}")).collect();
        Some(list.join(", "))
    };
    let mut map = Vec::new();
    for i in 0..SLOTS {
        let Some(cc) = numbers.cc(i) else { continue };
        let what = match slot(i) {
            Slot::Valence if roles.emotion.is_some() => Some("valence (P high)".to_string()),
            Slot::Arousal if roles.emotion.is_some() => Some("arousal (P high)".to_string()),
            Slot::GenreConfidence => roles.genre.map(|_| "genre: top probability".to_string()),
            Slot::GenreClass => classes(roles.genre).map(|list| format!("genre: top class ({list})")),
            Slot::VocalClass => classes(roles.vocal).map(|list| format!("vocal emotion: top class ({list})")),
            Slot::VocalConfidence => roles.vocal.map(|_| "vocal emotion: top probability".to_string()),
            Slot::StyleConfidence => roles.style.map(|_| "style: top probability".to_string()),
            Slot::StyleClass => classes(roles.style).map(|list| format!("style: top class ({list})")),
            Slot::Music => roles.content.map(|_| "content: P(music)".to_string()),
            Slot::Speech => roles.content.map(|_| "content: P(speech)".to_string()),
            Slot::Family(n) => roles
                .instruments
                .as_ref()
                .and_then(|r| r.families.get(n))
                .map(|family| format!("instruments: {}", family.name)),
            _ => None,
        };
        if let Some(what) = what {
            map.push((cc, what));
        }
    }
    map.sort_by_key(|(cc, _)| *cc);
    map
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_readout_is_watched_by_any_of_its_ccs() {
        let off = CcNumbers { fixed: [-1; FIXED.len()], families: -1 };
        assert_eq!(watched_by(&off), Watched::NONE);
        let mut numbers = off;
        numbers.fixed[5] = 25; // vocal emotion confidence only
        assert_eq!(watched_by(&numbers), Watched::NONE.with(Readout::Vocal));
        numbers.families = 32;
        numbers.fixed[1] = 21; // arousal
        let expected = Watched::NONE.with(Readout::Vocal).with(Readout::Instruments).with(Readout::Emotion);
        assert_eq!(watched_by(&numbers), expected);
    }

    use earmark_core::engine::readout::{EngineStatus, ModelReadout};
    use earmark_core::manifest::{LabelGroup, Task};

    use super::*;

    fn readout(task: Task, classes: &[&str], scores: &[f32]) -> ModelReadout {
        ModelReadout {
            multi_label: task == Task::Instruments,
            scores: scores.to_vec(),
            raw: scores.to_vec(),
            stream_seconds: 1.0,
            segment_seconds: 1.0,
            updates: 1,
            inference_ms: 1.0,
            ..ModelReadout::new(&format!("{task:?}"), task, classes.iter().map(|c| c.to_string()).collect())
        }
    }

    fn snapshot(models: Vec<ModelReadout>) -> Snapshot {
        let roles = Roles::of(&models);
        Snapshot::new(models, EngineStatus::default(), roles)
    }

    fn content(music: f32, speech: f32) -> ModelReadout {
        let mut model = readout(Task::Content, &["music", "speech"], &[music, speech]);
        model.thresholds = Some(vec![0.5, 0.5]);
        model
    }

    const NUMBERS: CcNumbers = CcNumbers { fixed: [20, 21, 22, 23, 24, 25, 26, 27, 28, 29], families: 32 };

    #[test]
    fn every_readout_maps_to_its_slot() {
        let mut instruments = readout(Task::Instruments, &["violin", "cello", "drums"], &[0.9, 0.3, 0.1]);
        instruments.hierarchy = Some(vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
            LabelGroup { name: "percussion".into(), members: vec!["drums".into()] },
        ]);
        instruments.families = vec![0.8, 0.05]; // the model's own family output wins over the grouped max
        let snapshot = snapshot(vec![
            readout(Task::Emotion, &["valence", "arousal"], &[0.2, 0.8]),
            readout(Task::Genre, &["rock", "jazz", "waltz"], &[0.1, 0.7, 0.2]),
            readout(Task::VocalEmotion, &["anger", "neutral", "sadness"], &[0.1, 0.3, 0.6]),
            readout(Task::Style, &["waltz", "tango"], &[0.25, 0.75]),
            instruments,
        ]);
        let values = slot_values(&snapshot);
        let expected = [
            Some(0.2),
            Some(0.8),
            Some(0.7),
            Some(1.0 / 127.0),
            Some(2.0 / 127.0),
            Some(0.6),
            Some(0.75),
            Some(1.0 / 127.0),
        ];
        assert_eq!(&values[..8], &expected);
        assert_eq!(&values[8..10], &[None, None], "no content model");
        assert_eq!(&values[FIXED.len()..FIXED.len() + 2], &[Some(0.8), Some(0.05)]);
        assert!(values[FIXED.len() + 2..].iter().all(Option::is_none));
        assert_eq!(to_7bit(values[3].unwrap()), 1);
        assert_eq!(to_7bit(values[4].unwrap()), 2);
        assert_eq!(to_7bit(0.5), 64);
        let map = cc_map(&snapshot, &NUMBERS);
        let ccs: Vec<u8> = map.iter().map(|(cc, _)| *cc).collect();
        assert_eq!(ccs, [20, 21, 22, 23, 24, 25, 26, 27, 32, 33]);
        assert_eq!(map[3].1, "genre: top class (0 rock, 1 jazz, 2 waltz)");
        assert_eq!(map[7].1, "style: top class (0 waltz, 1 tango)");
        assert_eq!(map[9].1, "instruments: percussion");
    }

    /// CCs 28/29 carry P(music) and P(speech) on the usual 0–127 scale, whatever the content reading.
    #[test]
    fn the_content_model_sends_music_and_speech() {
        let snapshot = snapshot(vec![readout(Task::Genre, &["rock"], &[0.9]), content(0.25, 0.75)]);
        let values = slot_values(&snapshot);
        assert_eq!((values[8], values[9]), (Some(0.25), Some(0.75)));
        assert_eq!((to_7bit(0.25), to_7bit(0.75)), (32, 95));
        let map = cc_map(&snapshot, &NUMBERS);
        assert!(map.contains(&(28, "content: P(music)".to_string())), "{map:?}");
        assert!(map.contains(&(29, "content: P(speech)".to_string())), "{map:?}");
        let before = readout(Task::Content, &["music", "speech"], &[]);
        assert_eq!(slot_values(&self::snapshot(vec![before]))[8..10], [None, None], "nothing before a readout");
    }

    /// A gated readout sends nothing, so the host keeps its last CC value: genre on speech, vocal emotion without
    /// a voice.
    #[test]
    fn gated_readouts_hold_their_ccs() {
        let genre = || readout(Task::Genre, &["rock", "jazz"], &[0.2, 0.8]);
        let vocal = || readout(Task::VocalEmotion, &["anger", "neutral"], &[0.7, 0.3]);
        let speech = slot_values(&snapshot(vec![genre(), vocal(), content(0.1, 0.9)]));
        assert_eq!((speech[2], speech[3]), (None, None), "genre holds on speech");
        assert_eq!((speech[4], speech[5]), (Some(0.0), Some(0.7)), "speech is a voice");
        let music = slot_values(&snapshot(vec![genre(), vocal(), content(0.9, 0.1)]));
        assert_eq!((music[2], music[3]), (Some(0.8), Some(1.0 / 127.0)), "genre goes out on music");
        assert_eq!((music[4], music[5]), (None, None), "no voice tag, no speech: vocal emotion holds");
    }

    #[test]
    fn sixteen_families_get_a_cc_each_and_off_switches_them() {
        let tags: Vec<String> = (0..20).map(|i| format!("tag{i}")).collect();
        let names: Vec<&str> = tags.iter().map(String::as_str).collect();
        let scores: Vec<f32> = (0..20).map(|i| i as f32 / 20.0).collect();
        let snapshot = snapshot(vec![readout(Task::Instruments, &names, &scores)]);
        let values = slot_values(&snapshot);
        assert_eq!(values[FIXED.len() + 15], Some(0.75), "no hierarchy: one family per tag, 16 with a CC");
        assert_eq!(cc_map(&snapshot, &NUMBERS).last().map(|(cc, _)| *cc), Some(47));
        let off = CcNumbers { fixed: [-1; FIXED.len()], families: -1 };
        assert!(cc_map(&snapshot, &off).is_empty());
        assert_eq!(CcNumbers { families: 120, ..NUMBERS }.cc(FIXED.len() + 15), None, "beyond CC 127");
    }

    #[test]
    fn nothing_is_sent_before_the_first_readout() {
        let mut empty = readout(Task::Genre, &["a", "b"], &[]);
        empty.updates = 0;
        assert!(slot_values(&snapshot(vec![empty])).iter().all(Option::is_none));
    }

    #[test]
    fn a_test_model_is_sent_as_genre_only_without_a_genre_model() {
        let test = readout(Task::Test, &["low", "mid", "high"], &[0.1, 0.2, 0.7]);
        assert_eq!(slot_values(&snapshot(vec![test.clone()]))[3], Some(2.0 / 127.0));
        let genre = readout(Task::Genre, &["rock", "jazz"], &[0.9, 0.1]);
        assert_eq!(slot_values(&snapshot(vec![test, genre]))[3], Some(0.0));
    }
}
