//! What a person sees, derived from engine snapshots: the emotion point on the valence/arousal circumplex with a
//! fading trail, genre as ranked probabilities, instrument families with their fine tags over threshold, a line
//! saying what it hears ("music · strings: violin, cello · voice"), each readout's age, and a status line. The
//! genre and vocal-emotion sections follow the snapshot's [`Gates`]. The editor draws a [`View`]; building it is
//! plain, testable code.

use std::collections::VecDeque;

use super::hearing::{Content, Gates};
use super::readout::{ModelReadout, Snapshot};
use super::roles::{InstrumentRole, VOICE_TAG};

/// A point on the circumplex: valence (x) and arousal (y), both in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circumplex {
    /// Negative (−1) to positive (+1).
    pub valence: f32,
    /// Calm (−1) to excited (+1).
    pub arousal: f32,
}

/// The emotion readout.
#[derive(Debug, Clone, PartialEq)]
pub struct EmotionView {
    /// Where the music is now.
    pub now: Circumplex,
    /// Where it was, oldest first, with each point's age in seconds (for fading).
    pub trail: Vec<(f64, Circumplex)>,
    /// Seconds since the readout was computed.
    pub age: f64,
}

/// A single-label readout (genre, vocal emotion, test models): classes best first.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedView {
    /// Model name.
    pub model: String,
    /// (class, probability), best first.
    pub ranked: Vec<(String, f32)>,
    /// Seconds since the readout was computed.
    pub age: f64,
}

/// One instrument family and its fine tags.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyView {
    /// Coarse name.
    pub name: String,
    /// Presence: the model's own family probability when it has a coarse output, else the most present
    /// member's probability (grouped max).
    pub presence: f32,
    /// (tag, probability) of the members over their threshold, best first.
    pub tags: Vec<(String, f32)>,
    /// Why the family lit up: with a ResAtt attention map, the members that contribute most (attention ×
    /// probability), at most two, as (tag, probability) — "strings: violin 0.91"; without one, the strongest
    /// member (grouped max). Empty when nothing contributes.
    pub because: Vec<(String, f32)>,
}

/// The instrument readout.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentsView {
    /// Families, most present first.
    pub families: Vec<FamilyView>,
    /// Seconds since the readout was computed.
    pub age: f64,
}

/// What the editor hears, in one line: the content reading, the instrument families with fine tags over their
/// thresholds, and whether the instrument model hears a voice.
#[derive(Debug, Clone, PartialEq)]
pub struct HearingView {
    /// The content model's reading; `None` without a content model (or before its first readout).
    pub content: Option<Content>,
    /// Families with tags over their thresholds, most present first, each with those tags best first (the
    /// `voice` tag apart: it has its own place at the end of the line).
    pub families: Vec<(String, Vec<String>)>,
    /// The instrument model's `voice` tag is over its threshold.
    pub voice: bool,
}

impl HearingView {
    /// "music · strings: violin, cello · voice": the content label, the first `families` families, then
    /// "voice". The editor folds the families past `families`, as it folds genres past the top three.
    pub fn line(&self, families: usize) -> String {
        let content = self.content.map(|c| c.label().to_string());
        let families =
            self.families.iter().take(families).map(|(family, tags)| format!("{family}: {}", tags.join(", ")));
        let voice = self.voice.then(|| VOICE_TAG.to_string());
        let parts: Vec<String> = content.into_iter().chain(families).chain(voice).collect();
        if parts.is_empty() {
            return "no instrument over its threshold".to_string();
        }
        parts.join(" · ")
    }
}

/// One section of the editor: no model for it, a model with nothing to show (before its first readout, or
/// while there is no signal), a readout a [gate](Gates) holds back, or a live readout.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Section<T> {
    /// No loaded model plays this role.
    #[default]
    NoModel,
    /// A model plays it, but has nothing current to show.
    Waiting,
    /// A model plays it, but what is heard rules the readout out ("not music", "no voice"); its CCs hold.
    Gated(&'static str),
    /// The readout.
    Live(T),
}

impl<T> Section<T> {
    /// The live readout, if any.
    pub fn live(&self) -> Option<&T> {
        match self {
            Section::Live(view) => Some(view),
            _ => None,
        }
    }

    /// A model plays this role.
    pub fn has_model(&self) -> bool {
        !matches!(self, Section::NoModel)
    }
}

/// Everything the editor draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct View {
    /// Valence/arousal.
    pub emotion: Section<EmotionView>,
    /// Genre.
    pub genre: Section<RankedView>,
    /// Style (dance families).
    pub style: Section<RankedView>,
    /// Instruments.
    pub instruments: Section<InstrumentsView>,
    /// Vocal emotion.
    pub vocal: Section<RankedView>,
    /// Models without a role of their own (a second model of a taken task), drawn as ranked lists.
    pub other: Vec<RankedView>,
    /// What it hears; `None` without a live content or instrument readout (and while there is no signal).
    pub hears: Option<HearingView>,
    /// Set while the input is silent ("no signal: input below −60 dBFS for 3.2 s"); the sections then wait.
    pub no_signal: Option<String>,
    /// One line: models, provider, last inference, worker load, dropped audio.
    pub status: String,
    /// Problems to show prominently (no runtime, a model that failed, CUDA fallback, inference errors).
    pub messages: Vec<String>,
}

/// Builds views from successive snapshots, remembering the emotion trail.
#[derive(Debug, Clone)]
pub struct ViewBuilder {
    trail_seconds: f64,
    trail: VecDeque<(f64, Circumplex)>,
}

impl ViewBuilder {
    /// A builder keeping `trail_seconds` of emotion history.
    pub fn new(trail_seconds: f64) -> Self {
        Self { trail_seconds, trail: VecDeque::new() }
    }

    /// The view of `snapshot`. Which model fills which section comes from the snapshot's [`Roles`], the map the
    /// MIDI CC output reads too ([`Roles`](super::roles::Roles)).
    pub fn update(&mut self, snapshot: &Snapshot) -> View {
        let now = snapshot.status.stream_seconds;
        let models = &snapshot.models;
        let roles = &snapshot.roles;
        let age = |m: &ModelReadout| (now - m.stream_seconds).max(0.0);
        if now < self.trail.back().map_or(0.0, |t| t.0) {
            self.trail.clear(); // the stream was reset
        }
        let mut view = View::default();
        if !snapshot.status.signal && !models.is_empty() {
            // Nothing current to show: no readout of silence, no fading guess of what played before it.
            self.trail.clear();
            view.no_signal = Some(no_signal(snapshot.status.silent_seconds));
        }
        let signal = view.no_signal.is_none();
        // A section for a role: waiting without signal or before the first readout, else live.
        let section = |index: Option<usize>| match index.and_then(|i| models.get(i)) {
            None => Section::NoModel,
            Some(model) if signal && model.is_ready() => Section::Live(model),
            Some(_) => Section::Waiting,
        };
        view.emotion = match (section(roles.emotion.map(|r| r.model)), roles.emotion) {
            (Section::Live(model), Some(role)) => match role.scores(models) {
                Some((valence, arousal)) => Section::Live(self.emotion(model, valence, arousal, now, age(model))),
                None => Section::Waiting,
            },
            (Section::Live(_), None) | (Section::Waiting | Section::Gated(_), _) => Section::Waiting,
            (Section::NoModel, _) => Section::NoModel,
        };
        let gates = &snapshot.gates;
        view.genre = gate(map(section(roles.genre), |m| ranked(m, age(m))), gates.genre_open(), "not music");
        view.style = map(section(roles.style), |m| ranked(m, age(m)));
        view.vocal = gate(map(section(roles.vocal), |m| ranked(m, age(m))), gates.vocal_open(), "no voice");
        view.instruments = match (section(roles.instruments.as_ref().map(|r| r.model)), &roles.instruments) {
            (Section::Live(model), Some(role)) => Section::Live(instruments(model, role, models, age(model))),
            (Section::NoModel, _) => Section::NoModel,
            _ => Section::Waiting,
        };
        if signal {
            view.hears = hearing(snapshot, view.instruments.live());
            view.other = roles
                .other
                .iter()
                .filter_map(|&i| models.get(i))
                .filter(|m| m.is_ready())
                .map(|m| ranked(m, age(m)))
                .collect();
        }
        view.status = status_line(snapshot);
        view.messages = snapshot.status.messages.clone();
        for model in models {
            if let Some(error) = &model.error {
                view.messages.push(format!("{}: {error}", model.name));
            }
        }
        view
    }

    fn emotion(&mut self, model: &ModelReadout, valence: f32, arousal: f32, now: f64, age: f64) -> EmotionView {
        let point = Circumplex { valence: 2.0 * valence - 1.0, arousal: 2.0 * arousal - 1.0 };
        if self.trail.back().is_none_or(|(t, _)| model.stream_seconds > *t) {
            self.trail.push_back((model.stream_seconds, point));
        }
        while self.trail.front().is_some_and(|(t, _)| now - t > self.trail_seconds) {
            self.trail.pop_front();
        }
        EmotionView { now: point, trail: self.trail.iter().map(|&(t, p)| ((now - t).max(0.0), p)).collect(), age }
    }
}

fn map<'a, T>(section: Section<&'a ModelReadout>, f: impl FnOnce(&'a ModelReadout) -> T) -> Section<T> {
    match section {
        Section::NoModel => Section::NoModel,
        Section::Waiting => Section::Waiting,
        Section::Gated(reason) => Section::Gated(reason),
        Section::Live(model) => Section::Live(f(model)),
    }
}

/// A live readout that `open` rules out becomes [`Section::Gated`] with `reason`.
fn gate<T>(section: Section<T>, open: bool, reason: &'static str) -> Section<T> {
    match section {
        Section::Live(_) if !open => Section::Gated(reason),
        section => section,
    }
}

/// The "what it hears" line's parts, from the content reading and the instrument view (tags already
/// thresholded); `None` when neither is live.
fn hearing(snapshot: &Snapshot, instruments: Option<&InstrumentsView>) -> Option<HearingView> {
    let Gates { content, .. } = snapshot.gates;
    if content.is_none() && instruments.is_none() {
        return None;
    }
    let families = instruments.map_or_else(Vec::new, |view| view.families.iter().filter_map(heard_tags).collect());
    let voice = instruments.is_some()
        && snapshot.roles.instruments.as_ref().is_some_and(|role| {
            role.voice.zip(snapshot.models.get(role.model)).is_some_and(|(tag, model)| model.over_threshold(tag))
        });
    Some(HearingView { content, families, voice })
}

/// A family's tags over threshold, without the `voice` tag (the line says "voice" once, at its end); `None`
/// when that leaves none.
fn heard_tags(family: &FamilyView) -> Option<(String, Vec<String>)> {
    let tags: Vec<String> = family.tags.iter().filter(|(t, _)| t != VOICE_TAG).map(|(t, _)| t.clone()).collect();
    (!tags.is_empty()).then(|| (family.name.clone(), tags))
}

/// "no signal: input below −60 dBFS for 3.2 s".
fn no_signal(silent_seconds: f64) -> String {
    let level = super::gate::SILENCE_DBFS;
    if silent_seconds > 0.0 {
        format!("no signal: input below {level:.0} dBFS for {silent_seconds:.1} s")
    } else {
        format!("no signal yet: waiting for input above {level:.0} dBFS")
    }
}

fn ranked(model: &ModelReadout, age: f64) -> RankedView {
    RankedView {
        model: model.name.clone(),
        ranked: model.ranked().into_iter().map(|(c, p)| (c.to_string(), p)).collect(),
        age,
    }
}

fn instruments(model: &ModelReadout, role: &InstrumentRole, models: &[ModelReadout], age: f64) -> InstrumentsView {
    let family_count = role.families.len();
    let attention = model.attention.len() == family_count * model.classes.len();
    let mut families: Vec<FamilyView> = role
        .families
        .iter()
        .enumerate()
        .map(|(c, family)| {
            let presence = role.presence(models, c).unwrap_or(0.0);
            let mut tags: Vec<(String, f32)> = family
                .members
                .iter()
                .filter(|&&i| model.over_threshold(i))
                .map(|&i| (model.classes[i].clone(), model.scores[i]))
                .collect();
            tags.sort_by(|a, b| b.1.total_cmp(&a.1));
            // Contribution of each tag to this family: its attention weight × its probability (ResAtt's
            // P_coarse = Wᵀ · P_fine), or its probability alone (grouped max) without a map.
            let mut contributions: Vec<(usize, f32)> = if attention {
                (0..model.classes.len()).map(|i| (i, model.attention[i * family_count + c] * model.scores[i])).collect()
            } else {
                family.members.iter().map(|&i| (i, model.scores[i])).collect()
            };
            contributions.sort_by(|a, b| b.1.total_cmp(&a.1));
            let keep = if attention { 2 } else { 1 };
            let because = contributions
                .into_iter()
                .filter(|&(_, contribution)| contribution >= 0.05)
                .take(keep)
                .map(|(i, _)| (model.classes[i].clone(), model.scores[i]))
                .collect();
            FamilyView { name: family.name.clone(), presence, tags, because }
        })
        .collect();
    families.sort_by(|a, b| b.presence.total_cmp(&a.presence));
    InstrumentsView { families, age }
}

fn status_line(snapshot: &Snapshot) -> String {
    let status = &snapshot.status;
    if snapshot.models.is_empty() {
        return match &status.runtime {
            Some(_) => "no model loaded".into(),
            None => "ONNX Runtime not loaded: nothing is analysed (audio passes through)".into(),
        };
    }
    let names: Vec<&str> = snapshot.models.iter().map(|m| m.name.as_str()).collect();
    let providers: Vec<&str> = {
        let mut p: Vec<&str> = snapshot.models.iter().map(|m| m.provider.as_str()).collect();
        p.dedup();
        p
    };
    let inference = snapshot.models.iter().map(|m| m.inference_ms).fold(0.0, f32::max);
    let mut line = format!(
        "{} · {} · last inference {inference:.1} ms · worker load {:.1} % · lag {:.0} ms",
        names.join(", "),
        providers.join("/"),
        100.0 * status.worker_load,
        1000.0 * status.lag_seconds
    );
    if status.dropped_samples > 0 {
        line.push_str(&format!(" · {} samples dropped (worker too slow)", status.dropped_samples));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::readout::EngineStatus;
    use crate::engine::roles::Roles;
    use crate::manifest::{LabelGroup, Task};

    fn readout(task: Task, classes: &[&str], scores: &[f32], at: f64) -> ModelReadout {
        ModelReadout {
            multi_label: task == Task::Instruments,
            scores: scores.to_vec(),
            raw: scores.to_vec(),
            stream_seconds: at,
            segment_seconds: 1.0,
            updates: 1,
            inference_ms: 2.5,
            ..ModelReadout::new(
                &format!("{task:?}").to_lowercase(),
                task,
                classes.iter().map(|c| c.to_string()).collect(),
            )
        }
    }

    fn snapshot(models: Vec<ModelReadout>, now: f64) -> Snapshot {
        let status = EngineStatus { stream_seconds: now, worker_load: 0.02, signal: true, ..EngineStatus::default() };
        let roles = Roles::of(&models);
        Snapshot::new(models, status, roles)
    }

    fn content(music: f32, speech: f32) -> ModelReadout {
        let mut model = readout(Task::Content, &["music", "speech"], &[music, speech], 2.0);
        model.thresholds = Some(vec![0.5, 0.5]);
        model
    }

    /// Strings, a voice family with choir and the `voice` tag, percussion: the shape of the shipped hierarchy.
    fn instruments(violin: f32, cello: f32, voice: f32) -> ModelReadout {
        let classes = ["violin", "cello", "choir", "voice", "drums"];
        let mut model = readout(Task::Instruments, &classes, &[violin, cello, 0.1, voice, 0.2], 2.0);
        model.thresholds = Some(vec![0.5, 0.3, 0.5, 0.4, 0.5]);
        model.hierarchy = Some(vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
            LabelGroup { name: "voice".into(), members: vec!["choir".into(), "voice".into()] },
            LabelGroup { name: "percussion".into(), members: vec!["drums".into()] },
        ]);
        model
    }

    fn genre() -> ModelReadout {
        readout(Task::Genre, &["rock", "jazz"], &[0.2, 0.8], 2.0)
    }

    fn vocal() -> ModelReadout {
        readout(Task::VocalEmotion, &["anger", "neutral"], &[0.7, 0.3], 2.0)
    }

    #[test]
    fn the_hears_line_names_content_families_and_voice() {
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![content(0.9, 0.2), instruments(0.9, 0.35, 0.8)], 2.5));
        let hears = view.hears.unwrap();
        assert_eq!(hears.line(3), "music · strings: violin, cello · voice");
        assert_eq!(hears.line(0), "music · voice", "families past the limit are folded");
        // Without a content model the line starts at the instruments; without a voice it has no "voice".
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![instruments(0.9, 0.1, 0.1)], 2.5));
        assert_eq!(view.hears.unwrap().line(3), "strings: violin");
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![content(0.1, 0.1)], 2.5));
        assert_eq!(view.hears.unwrap().line(3), "silence or noise");
        assert_eq!(ViewBuilder::new(5.0).update(&snapshot(vec![genre()], 2.5)).hears, None, "nothing can tell");
    }

    #[test]
    fn genre_is_muted_on_speech_and_shown_on_music() {
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![content(0.1, 0.9), genre()], 2.5));
        assert_eq!(view.genre, Section::Gated("not music"));
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![content(0.9, 0.9), genre()], 2.5));
        assert_eq!(view.genre.live().unwrap().ranked[0], ("jazz".to_string(), 0.8), "speech over music is music");
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![genre()], 2.5));
        assert!(view.genre.live().is_some(), "without a content model genre shows as before");
    }

    #[test]
    fn vocal_emotion_shows_only_with_a_voice() {
        let shown = |models| ViewBuilder::new(5.0).update(&snapshot(models, 2.5)).vocal;
        assert_eq!(shown(vec![instruments(0.9, 0.1, 0.1), vocal()]), Section::Gated("no voice"));
        assert_eq!(shown(vec![content(0.9, 0.1), vocal()]), Section::Gated("no voice"), "music, no voice tag");
        assert!(shown(vec![instruments(0.9, 0.1, 0.6), vocal()]).live().is_some(), "the voice tag");
        assert!(shown(vec![content(0.1, 0.9), vocal()]).live().is_some(), "speech");
        assert!(shown(vec![vocal()]).live().is_some(), "interim: nothing can tell a voice");
    }

    #[test]
    fn emotion_becomes_a_circumplex_point_with_a_trail_that_fades_out() {
        let mut builder = ViewBuilder::new(5.0);
        let mut last = None;
        for step in 0..10 {
            let t = step as f64;
            let s = snapshot(vec![readout(Task::Emotion, &["valence", "arousal"], &[0.9, 0.2], t)], t + 0.4);
            last = builder.update(&s).emotion.live().cloned();
        }
        let emotion = last.unwrap();
        assert!((emotion.now.valence - 0.8).abs() < 1e-6 && (emotion.now.arousal + 0.6).abs() < 1e-6);
        assert!((emotion.age - 0.4).abs() < 1e-9);
        assert_eq!(emotion.trail.len(), 5, "only the last 5 s stay");
        assert!(emotion.trail.windows(2).all(|w| w[0].0 > w[1].0), "oldest first");
        // A reset (stream time going back) clears the trail.
        let reset = snapshot(vec![readout(Task::Emotion, &["valence", "arousal"], &[0.5, 0.5], 1.0)], 1.0);
        assert_eq!(builder.update(&reset).emotion.live().unwrap().trail.len(), 1);
    }

    #[test]
    fn instruments_group_by_family_with_thresholded_tags() {
        let mut model = readout(Task::Instruments, &["violin", "cello", "flute", "drums"], &[0.9, 0.35, 0.6, 0.1], 2.0);
        model.thresholds = Some(vec![0.5, 0.3, 0.7, 0.5]);
        model.hierarchy = Some(vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
            LabelGroup { name: "woodwinds".into(), members: vec!["flute".into()] },
            LabelGroup { name: "percussion".into(), members: vec!["drums".into()] },
        ]);
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![model], 2.5)).instruments.live().cloned().unwrap();
        let names: Vec<&str> = view.families.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["strings", "woodwinds", "percussion"]);
        assert_eq!(view.families[0].tags, [("violin".to_string(), 0.9), ("cello".to_string(), 0.35)]);
        assert!(view.families[1].tags.is_empty(), "flute 0.6 is under its 0.7 threshold");
        assert_eq!(view.families[1].presence, 0.6);
        assert_eq!(view.families[0].because, [("violin".to_string(), 0.9)], "grouped max: the strongest member");
    }

    /// A ResAtt model: the family's presence is the model's own coarse output, and "because" follows the
    /// attention map — here strings attend to cello, not to the more probable violin, so cello is the reason.
    #[test]
    fn an_attention_map_says_why_a_family_lit_up() {
        let mut model = readout(Task::Instruments, &["violin", "cello", "drums"], &[0.9, 0.6, 0.2], 2.0);
        model.hierarchy = Some(vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
            LabelGroup { name: "percussion".into(), members: vec!["drums".into()] },
        ]);
        model.families = vec![0.55, 0.3];
        // [tags × families]: violin → (0.1, 0.0), cello → (0.85, 0.0), drums → (0.05, 1.0).
        model.attention = vec![0.1, 0.0, 0.85, 0.0, 0.05, 1.0];
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![model], 2.5)).instruments.live().cloned().unwrap();
        assert_eq!(view.families[0].name, "strings");
        assert_eq!(view.families[0].presence, 0.55);
        assert_eq!(view.families[0].because, [("cello".to_string(), 0.6), ("violin".to_string(), 0.9)]);
        assert_eq!(view.families[1].because, [("drums".to_string(), 0.2)]);
    }

    #[test]
    fn genre_is_ranked_and_the_status_line_says_what_runs() {
        let mut genre = readout(Task::Genre, &["rock", "jazz", "waltz"], &[0.2, 0.7, 0.1], 3.0);
        genre.error = Some("boom".into());
        let mut s = snapshot(vec![genre, readout(Task::Test, &["low", "high"], &[0.3, 0.7], 3.0)], 3.2);
        s.status.dropped_samples = 480;
        let view = ViewBuilder::new(5.0).update(&s);
        let genre = view.genre.live().unwrap();
        assert_eq!(genre.ranked[0], ("jazz".to_string(), 0.7));
        assert!((genre.age - 0.2).abs() < 1e-9);
        assert_eq!(view.other.len(), 1, "a test model beside a genre model is drawn on its own");
        assert!(view.status.contains("genre, test") && view.status.contains("CPU"), "{}", view.status);
        assert!(view.status.contains("480 samples dropped"), "{}", view.status);
        assert_eq!(view.messages, ["genre: boom"]);
        assert!(!view.emotion.has_model() && !view.instruments.has_model());
    }

    /// Silence: every section waits, the emotion trail is gone, and the view says why; signal brings it back.
    #[test]
    fn no_signal_shows_no_readouts_and_no_fading_guess() {
        let mut builder = ViewBuilder::new(5.0);
        let models = || {
            vec![
                readout(Task::Emotion, &["valence", "arousal"], &[0.9, 0.2], 1.0),
                readout(Task::Genre, &["rock", "jazz"], &[0.2, 0.8], 1.0),
            ]
        };
        assert!(builder.update(&snapshot(models(), 1.2)).emotion.live().is_some());
        let mut silent = snapshot(models(), 4.0);
        silent.status.signal = false;
        silent.status.silent_seconds = 2.75;
        let view = builder.update(&silent);
        assert_eq!(view.emotion, Section::Waiting);
        assert_eq!(view.genre, Section::Waiting);
        assert_eq!(view.instruments, Section::NoModel);
        assert_eq!(view.no_signal.as_deref(), Some("no signal: input below -60 dBFS for 2.8 s"));
        let back =
            builder.update(&snapshot(vec![readout(Task::Emotion, &["valence", "arousal"], &[0.1, 0.2], 4.5)], 4.6));
        assert_eq!(back.emotion.live().unwrap().trail.len(), 1, "the trail from before the silence is gone");
        assert!(back.no_signal.is_none());
    }

    #[test]
    fn no_runtime_is_said_plainly() {
        let mut s = Snapshot::default();
        s.status.messages.push("ONNX Runtime 1.31.1 was not found".into());
        let view = ViewBuilder::new(5.0).update(&s);
        assert!(view.status.contains("ONNX Runtime not loaded"));
        assert_eq!(view.messages.len(), 1);
    }
}
