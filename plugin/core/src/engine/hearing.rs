//! What the input is (music, speech, or neither) and whether a voice is in it, and the two gates that follow:
//! the genre readout is muted on anything but music, and the vocal-emotion readout shows only where a voice is.
//!
//! A genre model fed a podcast still names a genre, and a vocal-emotion model fed a string quartet still names
//! an emotion; on screen (or on a CC) either reads as a judgement. The [`Gates`] are worked out on the worker,
//! with every snapshot, from the same smoothed scores the editor shows. The CC output on the audio thread and
//! the view both read the result (two booleans' worth, no allocation, no string compare), so a muted readout is
//! hidden on screen exactly while its CCs hold.
//!
//! **The vocal-emotion gate** opens when the instrument model's `voice` tag is over its threshold, or the
//! content model reads speech. A source that has not read anything yet counts as "no voice". **Interim gate**:
//! with neither a content model nor an instrument model with a `voice` tag loaded (the models shipped before
//! the content readout), nothing here can tell a voice, and the readout shows as it always did, behind the
//! engine's [no-signal gate](super::gate) alone: an energy gate (input above −60 dBFS), not a voicing one.

use serde::Serialize;

use super::readout::ModelReadout;
use super::roles::{ContentRole, Roles};

/// What the content model hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// P(music) at or over its threshold, whatever P(speech) says (speech over a music bed is music).
    Music,
    /// P(speech) at or over its threshold, P(music) under its own.
    Speech,
    /// Neither.
    SilenceOrNoise,
}

impl Content {
    /// The content model's reading: music if P(music) ≥ its threshold; else speech if P(speech) ≥ its threshold;
    /// else silence or noise. `None` before its first readout. `model(i)` finds readout `i` (a snapshot's list,
    /// or the engine's pipelines).
    pub fn read<'a>(role: &ContentRole, model: impl Fn(usize) -> Option<&'a ModelReadout>) -> Option<Self> {
        let model = model(role.model).filter(|m| m.is_ready())?;
        Some(if model.over_threshold(role.music) {
            Content::Music
        } else if model.over_threshold(role.speech) {
            Content::Speech
        } else {
            Content::SilenceOrNoise
        })
    }

    /// What the editor calls it.
    pub fn label(self) -> &'static str {
        match self {
            Content::Music => "music",
            Content::Speech => "speech",
            Content::SilenceOrNoise => "silence or noise",
        }
    }
}

/// The readings the gated readouts depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Gates {
    /// The content model's reading; `None` without a content model or before its first readout.
    pub content: Option<Content>,
    /// Whether a voice is heard; `None` when no loaded model can tell (the interim gate: see the module docs).
    pub voice: Option<bool>,
}

impl Gates {
    /// The gates of the current readouts of `models`, playing `roles`.
    pub fn of(models: &[ModelReadout], roles: &Roles) -> Self {
        Self::of_readouts(roles, |i| models.get(i))
    }

    /// [`Self::of`] over readouts found by index: the engine works the vocal gate out from its pipelines' own
    /// readouts, without collecting them.
    pub fn of_readouts<'a>(roles: &Roles, model: impl Fn(usize) -> Option<&'a ModelReadout>) -> Self {
        let content = roles.content.as_ref().and_then(|role| Content::read(role, &model));
        // The instrument model's voice tag, where it has one: Some(over its threshold).
        let voice_tag = roles
            .instruments
            .as_ref()
            .and_then(|role| Some((role.voice?, model(role.model)?)))
            .map(|(tag, model)| model.over_threshold(tag));
        let voice = match (voice_tag, roles.content.is_some()) {
            (None, false) => None,
            (tag, _) => Some(tag == Some(true) || content == Some(Content::Speech)),
        };
        Self { content, voice }
    }

    /// The genre readout shows (and its CCs follow it): unless a content model reads something other than music.
    /// Before the content model's first reading there is no evidence against music, so genre shows.
    pub fn genre_open(&self) -> bool {
        matches!(self.content, None | Some(Content::Music))
    }

    /// The vocal-emotion readout shows (and its CCs follow it): a voice is heard, or no model can tell.
    pub fn vocal_open(&self) -> bool {
        self.voice != Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{LabelGroup, Task};

    fn readout(task: Task, classes: &[&str], scores: &[f32]) -> ModelReadout {
        ModelReadout {
            multi_label: true,
            scores: scores.to_vec(),
            updates: 1,
            ..ModelReadout::new(&format!("{task:?}"), task, classes.iter().map(|c| c.to_string()).collect())
        }
    }

    fn content(music: f32, speech: f32) -> ModelReadout {
        let mut model = readout(Task::Content, &["music", "speech"], &[music, speech]);
        model.thresholds = Some(vec![0.4, 0.6]);
        model
    }

    fn instruments(voice: f32) -> ModelReadout {
        let mut model = readout(Task::Instruments, &["violin", "choir", "voice"], &[0.9, 0.1, voice]);
        model.thresholds = Some(vec![0.5, 0.5, 0.3]);
        model.hierarchy = Some(vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into()] },
            LabelGroup { name: "voice".into(), members: vec!["choir".into(), "voice".into()] },
        ]);
        model
    }

    fn gates(models: &[ModelReadout]) -> Gates {
        Gates::of(models, &Roles::of(models))
    }

    /// Music wins over speech (a voice over a music bed), each against its own threshold.
    #[test]
    fn the_content_reading_follows_the_thresholds_music_first() {
        assert_eq!(gates(&[content(0.45, 0.9)]).content, Some(Content::Music));
        assert_eq!(gates(&[content(0.35, 0.6)]).content, Some(Content::Speech));
        assert_eq!(gates(&[content(0.35, 0.55)]).content, Some(Content::SilenceOrNoise));
        assert_eq!(gates(&[readout(Task::Content, &["music", "speech"], &[])]).content, None, "before a readout");
        assert_eq!(Content::SilenceOrNoise.label(), "silence or noise");
    }

    #[test]
    fn genre_is_muted_on_anything_but_music() {
        assert!(gates(&[content(0.9, 0.1)]).genre_open());
        assert!(!gates(&[content(0.1, 0.9)]).genre_open(), "speech");
        assert!(!gates(&[content(0.1, 0.1)]).genre_open(), "silence or noise");
        assert!(gates(&[]).genre_open(), "no content model: genre as before");
    }

    #[test]
    fn a_voice_is_the_voice_tag_or_speech() {
        assert!(gates(&[instruments(0.35)]).vocal_open(), "the voice tag over its 0.3 threshold");
        assert!(!gates(&[instruments(0.25)]).vocal_open());
        assert!(gates(&[content(0.1, 0.9), instruments(0.1)]).vocal_open(), "speech");
        assert!(!gates(&[content(0.9, 0.9), instruments(0.1)]).vocal_open(), "music without the voice tag");
        assert!(!gates(&[content(0.1, 0.1)]).vocal_open(), "a content model alone, reading noise");
        // Interim: no model can tell a voice (an instrument model without the tag), so vocal emotion shows.
        let no_tag = readout(Task::Instruments, &["violin"], &[0.9]);
        assert_eq!(gates(&[no_tag]).voice, None);
        assert!(gates(&[]).vocal_open());
    }
}
