//! What the engine publishes: each model's (smoothed) scores with its labels, and the engine's status.

use serde::Serialize;

use super::hearing::Gates;
use super::roles::Roles;
use crate::manifest::{LabelGroup, Task};

/// Decision threshold for tags whose manifest gives none.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// One model's current readout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelReadout {
    /// Model name (manifest).
    pub name: String,
    /// What it does; the UI chooses the view by this.
    pub task: Task,
    /// Class names, in score order.
    pub classes: Vec<String>,
    /// Independent tags (sigmoids) rather than one softmax.
    pub multi_label: bool,
    /// Per-class thresholds for tags.
    pub thresholds: Option<Vec<f32>>,
    /// Coarse → fine groups.
    pub hierarchy: Option<Vec<LabelGroup>>,
    /// Smoothed scores (empty until the first segment has been analysed).
    pub scores: Vec<f32>,
    /// The latest unsmoothed scores.
    pub raw: Vec<f32>,
    /// Smoothed family (coarse) probabilities from the model's own `coarse` output, in hierarchy order; empty
    /// when the model has none (the view then takes each family's most present tag).
    pub families: Vec<f32>,
    /// The latest attention map of a ResAtt instrument model, `[tags × families]` row-major: how much each tag
    /// counts towards each family, so the view can say why a family lit up; empty otherwise.
    pub attention: Vec<f32>,
    /// Stream position (seconds of model-rate audio) of the newest frame in the last analysed segment.
    pub stream_seconds: f64,
    /// Length of one segment in seconds: the last analysed audio spans `stream_seconds - segment_seconds` to
    /// `stream_seconds`.
    pub segment_seconds: f64,
    /// Segments analysed since the last reset.
    pub updates: u64,
    /// Wall time of the last inference (all graphs), in milliseconds.
    pub inference_ms: f32,
    /// Execution provider (`CPU`/`CUDA`).
    pub provider: String,
    /// Why CUDA was asked for and not used.
    pub fallback_reason: Option<String>,
    /// The last inference error, if the model failed.
    pub error: Option<String>,
}

impl ModelReadout {
    /// The readout of a model that has not analysed anything yet (no scores, on the CPU); the engine fills in
    /// the manifest's other label fields, tests the ones they need.
    pub fn new(name: &str, task: Task, classes: Vec<String>) -> Self {
        Self {
            name: name.to_string(),
            task,
            classes,
            multi_label: false,
            thresholds: None,
            hierarchy: None,
            scores: Vec::new(),
            raw: Vec::new(),
            families: Vec::new(),
            attention: Vec::new(),
            stream_seconds: 0.0,
            segment_seconds: 0.0,
            updates: 0,
            inference_ms: 0.0,
            provider: "CPU".to_string(),
            fallback_reason: None,
            error: None,
        }
    }

    /// Scores exist and match the classes (false before the first analysed segment).
    pub fn is_ready(&self) -> bool {
        !self.scores.is_empty() && self.scores.len() == self.classes.len()
    }

    /// The best class and its score, if the readout is ready.
    pub fn top(&self) -> Option<(usize, f32)> {
        if !self.is_ready() {
            return None;
        }
        self.scores.iter().copied().enumerate().fold(None, |best, (i, v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        })
    }

    /// The decision threshold of class `i`: the manifest's, or [`DEFAULT_THRESHOLD`] where it gives none.
    pub fn threshold(&self, i: usize) -> f32 {
        self.thresholds.as_ref().and_then(|t| t.get(i).copied()).unwrap_or(DEFAULT_THRESHOLD)
    }

    /// Whether class `i` is at or over its threshold in the current readout (false before the first one).
    pub fn over_threshold(&self, i: usize) -> bool {
        self.is_ready() && self.scores.get(i).is_some_and(|&p| p >= self.threshold(i))
    }

    /// Classes ranked by score, best first (what the genre view shows).
    pub fn ranked(&self) -> Vec<(&str, f32)> {
        let mut ranked: Vec<(&str, f32)> =
            self.classes.iter().map(String::as_str).zip(self.scores.iter().copied()).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }
}

/// The engine as a whole.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct EngineStatus {
    /// `ONNX Runtime 1.31.1 (path)` once loaded.
    pub runtime: Option<String>,
    /// Problems a user should see: no runtime, a model that failed to load, a CUDA fallback.
    pub messages: Vec<String>,
    /// Samples the audio thread could not queue because the worker fell behind.
    pub dropped_samples: u64,
    /// Fraction of wall time the worker pool spent on this instance (0–1).
    pub worker_load: f32,
    /// How far the analysis trails the audio: the most audio (seconds) found waiting in the queue at one of
    /// the worker's steps since the previous snapshot.
    pub lag_seconds: f64,
    /// Seconds of host audio analysed since the last reset.
    pub stream_seconds: f64,
    /// Whether the input carries a signal: false after the input stayed below [`super::gate::SILENCE_DBFS`] for
    /// longer than one update interval (and before any audio arrived). Models do not run meanwhile: readouts
    /// keep their last values and their age keeps growing.
    pub signal: bool,
    /// Seconds the input has been below the silence level (0 while a signal is present).
    pub silent_seconds: f64,
}

/// Everything the UI (or a test) reads at once.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Snapshot {
    /// One readout per loaded model, in folder order.
    pub models: Vec<ModelReadout>,
    /// Engine status.
    pub status: EngineStatus,
    /// Which model plays which role (emotion, genre, …): the one map the CC output and the editor read.
    pub roles: Roles,
    /// What the input is and whether a voice is in it, and so which gated readouts are open; worked out on the
    /// worker ([`Snapshot::new`]) so the CC output (audio thread) and the editor only read it.
    pub gates: Gates,
}

impl Snapshot {
    /// The snapshot of `models` playing `roles`, with the gates their readouts imply.
    pub fn new(models: Vec<ModelReadout>, status: EngineStatus, roles: Roles) -> Self {
        let gates = Gates::of(&models, &roles);
        Self { models, status, roles, gates }
    }
}

/// Exponential smoothing with a time constant, so readouts move at a rate a person can follow.
#[derive(Debug, Clone)]
pub struct Smoother {
    time_constant: f64,
}

impl Smoother {
    /// `time_constant` in seconds; 0 disables smoothing.
    pub fn new(time_constant: f64) -> Self {
        Self { time_constant: time_constant.max(0.0) }
    }

    /// Moves `state` towards `target` for `dt` seconds; an empty state takes the target as is.
    pub fn apply(&self, state: &mut Vec<f32>, target: &[f32], dt: f64) {
        if state.len() != target.len() || self.time_constant == 0.0 {
            state.clear();
            state.extend_from_slice(target);
            return;
        }
        let alpha = (1.0 - (-dt / self.time_constant).exp()) as f32;
        state.iter_mut().zip(target).for_each(|(s, t)| *s += alpha * (t - *s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_reaches_63_percent_after_one_time_constant() {
        let smoother = Smoother::new(2.0);
        let mut state = Vec::new();
        smoother.apply(&mut state, &[0.0], 0.5);
        assert_eq!(state, [0.0]);
        for _ in 0..4 {
            smoother.apply(&mut state, &[1.0], 0.5);
        }
        assert!((state[0] - (1.0 - (-1.0f32).exp())).abs() < 1e-6, "{}", state[0]);
        let off = Smoother::new(0.0);
        off.apply(&mut state, &[0.25], 0.5);
        assert_eq!(state, [0.25]);
    }
}
