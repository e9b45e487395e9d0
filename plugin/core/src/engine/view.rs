//! What a person sees, derived from engine snapshots: the emotion point on the valence/arousal circumplex with a
//! fading trail, genre as ranked probabilities, instrument families with their fine tags over threshold, each
//! readout's age, and a status line. The editor draws a [`View`]; building it is plain, testable code.

use std::collections::VecDeque;

use super::readout::{ModelReadout, Snapshot};
use crate::manifest::Task;

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

/// Everything the editor draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct View {
    /// Valence/arousal, if an emotion model runs.
    pub emotion: Option<EmotionView>,
    /// Genre, if a genre model runs.
    pub genre: Option<RankedView>,
    /// Instruments, if an instrument model runs.
    pub instruments: Option<InstrumentsView>,
    /// Vocal emotion, if that model runs.
    pub vocal: Option<RankedView>,
    /// Test models (the demo's band-energy).
    pub other: Vec<RankedView>,
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

/// Decision threshold for tags whose manifest gives none.
const DEFAULT_THRESHOLD: f32 = 0.5;

impl ViewBuilder {
    /// A builder keeping `trail_seconds` of emotion history.
    pub fn new(trail_seconds: f64) -> Self {
        Self { trail_seconds, trail: VecDeque::new() }
    }

    /// The view of `snapshot`.
    pub fn update(&mut self, snapshot: &Snapshot) -> View {
        let now = snapshot.status.stream_seconds;
        let ready = |m: &&ModelReadout| !m.scores.is_empty() && m.scores.len() == m.classes.len();
        let age = |m: &ModelReadout| (now - m.stream_seconds).max(0.0);
        if now < self.trail.back().map_or(0.0, |t| t.0) {
            self.trail.clear(); // the stream was reset
        }
        let mut view = View::default();
        for model in snapshot.models.iter().filter(ready) {
            match model.task {
                Task::Emotion if view.emotion.is_none() => view.emotion = self.emotion(model, now, age(model)),
                Task::Genre if view.genre.is_none() => view.genre = Some(ranked(model, age(model))),
                Task::VocalEmotion if view.vocal.is_none() => view.vocal = Some(ranked(model, age(model))),
                Task::Instruments if view.instruments.is_none() => {
                    view.instruments = Some(instruments(model, age(model)));
                }
                _ => view.other.push(ranked(model, age(model))),
            }
        }
        view.status = status_line(snapshot);
        view.messages = snapshot.status.messages.clone();
        for model in &snapshot.models {
            if let Some(error) = &model.error {
                view.messages.push(format!("{}: {error}", model.name));
            }
        }
        view
    }

    fn emotion(&mut self, model: &ModelReadout, now: f64, age: f64) -> Option<EmotionView> {
        let score = |name: &str| model.classes.iter().position(|c| c == name).map(|i| model.scores[i]);
        let point = Circumplex { valence: 2.0 * score("valence")? - 1.0, arousal: 2.0 * score("arousal")? - 1.0 };
        if self.trail.back().is_none_or(|(t, _)| model.stream_seconds > *t) {
            self.trail.push_back((model.stream_seconds, point));
        }
        while self.trail.front().is_some_and(|(t, _)| now - t > self.trail_seconds) {
            self.trail.pop_front();
        }
        Some(EmotionView { now: point, trail: self.trail.iter().map(|&(t, p)| ((now - t).max(0.0), p)).collect(), age })
    }
}

fn ranked(model: &ModelReadout, age: f64) -> RankedView {
    RankedView {
        model: model.name.clone(),
        ranked: model.ranked().into_iter().map(|(c, p)| (c.to_string(), p)).collect(),
        age,
    }
}

fn instruments(model: &ModelReadout, age: f64) -> InstrumentsView {
    let threshold = |i: usize| model.thresholds.as_ref().and_then(|t| t.get(i).copied()).unwrap_or(DEFAULT_THRESHOLD);
    let groups: Vec<(String, Vec<usize>)> = match &model.hierarchy {
        Some(groups) => groups
            .iter()
            .map(|g| {
                let members = g.members.iter().filter_map(|m| model.classes.iter().position(|c| c == m)).collect();
                (g.name.clone(), members)
            })
            .collect(),
        // No hierarchy: every tag is its own family.
        None => model.classes.iter().enumerate().map(|(i, c)| (c.clone(), vec![i])).collect(),
    };
    let family_count = groups.len();
    let own = model.families.len() == family_count;
    let attention = model.attention.len() == family_count * model.classes.len();
    let mut families: Vec<FamilyView> = groups
        .into_iter()
        .enumerate()
        .map(|(c, (name, members))| {
            let grouped_max = members.iter().map(|&i| model.scores[i]).fold(0.0, f32::max);
            let presence = if own { model.families[c] } else { grouped_max };
            let mut tags: Vec<(String, f32)> = members
                .iter()
                .filter(|&&i| model.scores[i] >= threshold(i))
                .map(|&i| (model.classes[i].clone(), model.scores[i]))
                .collect();
            tags.sort_by(|a, b| b.1.total_cmp(&a.1));
            // Contribution of each tag to this family: its attention weight × its probability (ResAtt's
            // P_coarse = Wᵀ · P_fine), or its probability alone (grouped max) without a map.
            let weight = |i: usize| if attention { model.attention[i * family_count + c] } else { 1.0 };
            let mut contributions: Vec<(usize, f32)> = if attention {
                (0..model.classes.len()).map(|i| (i, weight(i) * model.scores[i])).collect()
            } else {
                members.iter().map(|&i| (i, model.scores[i])).collect()
            };
            contributions.sort_by(|a, b| b.1.total_cmp(&a.1));
            let keep = if attention { 2 } else { 1 };
            let because = contributions
                .into_iter()
                .filter(|&(_, contribution)| contribution >= 0.05)
                .take(keep)
                .map(|(i, _)| (model.classes[i].clone(), model.scores[i]))
                .collect();
            FamilyView { name, presence, tags, because }
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
        "{} · {} · last inference {inference:.1} ms · worker load {:.1} %",
        names.join(", "),
        providers.join("/"),
        100.0 * status.worker_load
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
    use crate::manifest::LabelGroup;

    fn readout(task: Task, classes: &[&str], scores: &[f32], at: f64) -> ModelReadout {
        ModelReadout {
            name: format!("{task:?}").to_lowercase(),
            task,
            classes: classes.iter().map(|c| c.to_string()).collect(),
            multi_label: task == Task::Instruments,
            thresholds: None,
            hierarchy: None,
            scores: scores.to_vec(),
            raw: scores.to_vec(),
            families: Vec::new(),
            attention: Vec::new(),
            stream_seconds: at,
            segment_seconds: 1.0,
            updates: 1,
            inference_ms: 2.5,
            provider: "CPU".into(),
            fallback_reason: None,
            error: None,
        }
    }

    fn snapshot(models: Vec<ModelReadout>, now: f64) -> Snapshot {
        Snapshot { models, status: EngineStatus { stream_seconds: now, worker_load: 0.02, ..EngineStatus::default() } }
    }

    #[test]
    fn emotion_becomes_a_circumplex_point_with_a_trail_that_fades_out() {
        let mut builder = ViewBuilder::new(5.0);
        let mut last = None;
        for step in 0..10 {
            let t = step as f64;
            let s = snapshot(vec![readout(Task::Emotion, &["valence", "arousal"], &[0.9, 0.2], t)], t + 0.4);
            last = builder.update(&s).emotion;
        }
        let emotion = last.unwrap();
        assert!((emotion.now.valence - 0.8).abs() < 1e-6 && (emotion.now.arousal + 0.6).abs() < 1e-6);
        assert!((emotion.age - 0.4).abs() < 1e-9);
        assert_eq!(emotion.trail.len(), 5, "only the last 5 s stay");
        assert!(emotion.trail.windows(2).all(|w| w[0].0 > w[1].0), "oldest first");
        // A reset (stream time going back) clears the trail.
        let reset = snapshot(vec![readout(Task::Emotion, &["valence", "arousal"], &[0.5, 0.5], 1.0)], 1.0);
        assert_eq!(builder.update(&reset).emotion.unwrap().trail.len(), 1);
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
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![model], 2.5)).instruments.unwrap();
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
        let view = ViewBuilder::new(5.0).update(&snapshot(vec![model], 2.5)).instruments.unwrap();
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
        let genre = view.genre.unwrap();
        assert_eq!(genre.ranked[0], ("jazz".to_string(), 0.7));
        assert!((genre.age - 0.2).abs() < 1e-9);
        assert_eq!(view.other.len(), 1);
        assert!(view.status.contains("genre, test") && view.status.contains("CPU"), "{}", view.status);
        assert!(view.status.contains("480 samples dropped"), "{}", view.status);
        assert_eq!(view.messages, ["genre: boom"]);
        assert!(view.emotion.is_none() && view.instruments.is_none());
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
