//! Which loaded model plays which part of the readout: the one map the MIDI CC output and the editor both read.
//!
//! Before this map existed, the CC path and the editor each decided on their own which model was "the genre"
//! or "the instruments", and they disagreed (a test model went out on the genre CCs but was drawn under
//! "other"; family CCs were a grouped max while the editor showed the model's own family output). Now the
//! worker works the roles out once, when models load, from the manifests (task, class names, hierarchy), and
//! publishes them with every snapshot. Readers only follow indices: no string compares per block, nothing
//! for the audio thread to allocate.

use serde::Serialize;

use super::readout::ModelReadout;
use crate::manifest::Task;

/// The instrument model's tag for a (solo or lead) voice, read by name: it opens the vocal-emotion readout.
pub const VOICE_TAG: &str = "voice";

/// The emotion model and where its two scores sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EmotionRole {
    /// Index of the model in the snapshot.
    pub model: usize,
    /// Index of the `valence` class (P(high valence)).
    pub valence: usize,
    /// Index of the `arousal` class (P(high arousal)).
    pub arousal: usize,
}

/// The content model (what the input is) and where its two scores sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContentRole {
    /// Index of the model in the snapshot.
    pub model: usize,
    /// Index of the `music` class (P(music)).
    pub music: usize,
    /// Index of the `speech` class (P(speech)).
    pub speech: usize,
}

/// One instrument family: its name and the indices of its fine tags among the model's classes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyRole {
    /// Coarse name (`strings`).
    pub name: String,
    /// Indices of the member tags in the model's classes.
    pub members: Vec<usize>,
}

/// The instrument model and its families, in the manifest's hierarchy order (the order of the model's own
/// `coarse` output and of the family CCs). A model without a hierarchy gets one family per tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstrumentRole {
    /// Index of the model in the snapshot.
    pub model: usize,
    /// Families in hierarchy order.
    pub families: Vec<FamilyRole>,
    /// Index of the `voice` tag, when the model has one: the vocal-emotion gate and the "what it hears" line
    /// read it by this name.
    pub voice: Option<usize>,
}

/// Who plays which role. Each role goes to the first model (in folder order) whose task fits; later models of
/// a taken task are listed in `other` and drawn generically, never sent as CCs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Roles {
    /// Valence/arousal.
    pub emotion: Option<EmotionRole>,
    /// The single-label genre classifier. A test model stands in for it when no genre model is loaded (test
    /// models are small single-label classifiers; only test fixtures have them).
    pub genre: Option<usize>,
    /// The style (dance) classifier.
    pub style: Option<usize>,
    /// Categorical vocal emotion.
    pub vocal: Option<usize>,
    /// Instrument tags and families.
    pub instruments: Option<InstrumentRole>,
    /// Music / speech / neither: labels what the editor hears and gates the genre and vocal-emotion readouts.
    pub content: Option<ContentRole>,
    /// Every other model, drawn as a ranked list.
    pub other: Vec<usize>,
}

impl Roles {
    /// The roles of `models` (readouts as the engine built them from the manifests, in snapshot order).
    pub fn of(models: &[ModelReadout]) -> Self {
        let mut roles = Roles::default();
        let position = |m: &ModelReadout, name: &str| m.classes.iter().position(|c| c == name);
        for (i, model) in models.iter().enumerate() {
            let taken = match model.task {
                Task::Emotion if roles.emotion.is_none() => {
                    match (position(model, "valence"), position(model, "arousal")) {
                        (Some(valence), Some(arousal)) => {
                            roles.emotion = Some(EmotionRole { model: i, valence, arousal });
                            true
                        }
                        _ => false,
                    }
                }
                Task::Genre if roles.genre.is_none_or(|g| models[g].task == Task::Test) => {
                    // A genre model displaces a test model that stood in before it.
                    if let Some(test) = roles.genre.replace(i) {
                        roles.other.push(test);
                    }
                    true
                }
                Task::Test if roles.genre.is_none() => {
                    roles.genre = Some(i);
                    true
                }
                Task::Style if roles.style.is_none() => {
                    roles.style = Some(i);
                    true
                }
                Task::VocalEmotion if roles.vocal.is_none() => {
                    roles.vocal = Some(i);
                    true
                }
                Task::Instruments if roles.instruments.is_none() => {
                    let voice = position(model, VOICE_TAG);
                    roles.instruments = Some(InstrumentRole { model: i, families: families(model), voice });
                    true
                }
                Task::Content if roles.content.is_none() => {
                    match (position(model, "music"), position(model, "speech")) {
                        (Some(music), Some(speech)) => {
                            roles.content = Some(ContentRole { model: i, music, speech });
                            true
                        }
                        _ => false,
                    }
                }
                _ => false,
            };
            if !taken {
                roles.other.push(i);
            }
        }
        roles.other.sort_unstable();
        roles
    }
}

fn families(model: &ModelReadout) -> Vec<FamilyRole> {
    match &model.hierarchy {
        Some(groups) => groups
            .iter()
            .map(|group| FamilyRole {
                name: group.name.clone(),
                members: group.members.iter().filter_map(|m| model.classes.iter().position(|c| c == m)).collect(),
            })
            .collect(),
        None => {
            model.classes.iter().enumerate().map(|(i, c)| FamilyRole { name: c.clone(), members: vec![i] }).collect()
        }
    }
}

impl EmotionRole {
    /// (P(high valence), P(high arousal)) of the current readout.
    pub fn scores(&self, models: &[ModelReadout]) -> Option<(f32, f32)> {
        let model = models.get(self.model).filter(|m| m.is_ready())?;
        Some((model.scores[self.valence], model.scores[self.arousal]))
    }
}

impl ContentRole {
    /// (P(music), P(speech)) of the current readout.
    pub fn scores(&self, models: &[ModelReadout]) -> Option<(f32, f32)> {
        let model = models.get(self.model).filter(|m| m.is_ready())?;
        Some((model.scores[self.music], model.scores[self.speech]))
    }
}

impl InstrumentRole {
    /// The model's readout, if ready.
    pub fn readout<'a>(&self, models: &'a [ModelReadout]) -> Option<&'a ModelReadout> {
        models.get(self.model).filter(|m| m.is_ready())
    }

    /// How present family `f` is: the model's own family (coarse) output when it has one, else its most
    /// present member (the paper's grouped max). `None` before the first readout.
    pub fn presence(&self, models: &[ModelReadout], f: usize) -> Option<f32> {
        let model = self.readout(models)?;
        let family = self.families.get(f)?;
        if model.families.len() == self.families.len() {
            return Some(model.families[f]);
        }
        Some(family.members.iter().map(|&i| model.scores[i]).fold(0.0, f32::max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::LabelGroup;

    fn model(task: Task, classes: &[&str]) -> ModelReadout {
        ModelReadout {
            segment_seconds: 1.0,
            ..ModelReadout::new(&format!("{task:?}"), task, classes.iter().map(|c| c.to_string()).collect())
        }
    }

    #[test]
    fn each_role_goes_to_the_first_model_of_its_task() {
        let mut instruments = model(Task::Instruments, &["violin", "cello", "drums"]);
        instruments.hierarchy = Some(vec![
            LabelGroup { name: "percussion".into(), members: vec!["drums".into()] },
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
        ]);
        let models = vec![
            model(Task::Test, &["low", "high"]),
            model(Task::Emotion, &["arousal", "valence"]),
            model(Task::Genre, &["rock", "jazz"]),
            model(Task::Genre, &["waltz"]),
            instruments,
            model(Task::VocalEmotion, &["anger", "neutral"]),
            model(Task::Style, &["waltz", "tango"]),
        ];
        let roles = Roles::of(&models);
        assert_eq!(roles.emotion, Some(EmotionRole { model: 1, valence: 1, arousal: 0 }));
        assert_eq!(roles.genre, Some(2), "a genre model displaces the test model");
        assert_eq!(roles.vocal, Some(5));
        assert_eq!(roles.style, Some(6));
        let instruments = roles.instruments.unwrap();
        assert_eq!(instruments.families[1], FamilyRole { name: "strings".into(), members: vec![0, 1] });
        assert_eq!(roles.other, [0, 3]);
    }

    /// The first content model with `music` and `speech` classes takes the role (a second goes to `other`); the
    /// instrument model's `voice` tag is found by name.
    #[test]
    fn the_content_role_and_the_voice_tag_are_found_by_name() {
        let models = vec![
            model(Task::Content, &["speech_only"]),
            model(Task::Content, &["speech", "music"]),
            model(Task::Content, &["music", "speech"]),
            model(Task::Instruments, &["choir", "voice", "banjo"]),
        ];
        let roles = Roles::of(&models);
        assert_eq!(roles.content, Some(ContentRole { model: 1, music: 1, speech: 0 }));
        assert_eq!(roles.other, [0, 2]);
        assert_eq!(roles.instruments.unwrap().voice, Some(1));
        assert_eq!(Roles::of(&[model(Task::Instruments, &["choir"])]).instruments.unwrap().voice, None);
        let content = roles.content.unwrap();
        assert_eq!(content.scores(&models), None, "before the first readout");
        let mut ready = models.clone();
        ready[1].scores = vec![0.2, 0.9];
        assert_eq!(content.scores(&ready), Some((0.9, 0.2)), "(P(music), P(speech)) in the model's class order");
    }

    #[test]
    fn a_test_model_stands_in_for_genre_only_without_one() {
        let roles = Roles::of(&[model(Task::Test, &["low"]), model(Task::Test, &["x"])]);
        assert_eq!(roles.genre, Some(0));
        assert_eq!(roles.other, [1]);
        // An emotion model without the two named outputs cannot take the role.
        assert_eq!(Roles::of(&[model(Task::Emotion, &["happy"])]).emotion, None);
    }

    #[test]
    fn presence_prefers_the_models_own_family_output() {
        let mut m = model(Task::Instruments, &["violin", "cello", "drums"]);
        m.hierarchy = Some(vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
            LabelGroup { name: "percussion".into(), members: vec!["drums".into()] },
        ]);
        m.scores = vec![0.2, 0.7, 0.1];
        let roles = Roles::of(std::slice::from_ref(&m));
        let role = roles.instruments.as_ref().unwrap();
        let models = vec![m];
        assert_eq!(role.presence(&models, 0), Some(0.7), "grouped max without a coarse output");
        let mut with_own = models.clone();
        with_own[0].families = vec![0.4, 0.05];
        assert_eq!(role.presence(&with_own, 0), Some(0.4));
        assert_eq!(role.presence(&with_own, 1), Some(0.05));
        assert_eq!(role.presence(&with_own, 2), None);
        assert_eq!(with_own[0].top(), Some((1, 0.7)));
    }
}
