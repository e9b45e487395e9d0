//! One model's path from log-mel frames to scores: segments → ONNX → smoothing. The frames come from the
//! engine's [shared frontend](super::shared_frontend), one per distinct frontend configuration.
//!
//! Used unchanged by the plugin's worker thread and by `earmark analyze`, so both give the same readouts.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use ndarray::{ArrayD, Axis as NdAxis};

use super::frames::FrameRing;
use super::layout::{SequenceLayout, SpectrogramLayout};
use super::readout::{ModelReadout, Smoother};
use super::watch::UNWATCHED_SECONDS;
use super::{EngineError, EngineSettings};
use crate::frontend::{Compression, FrameAnalyzer, FrontendConfig, clip_top_db};
use crate::manifest::{Axis, GraphRole, GraphSpec, Manifest, SegmentSpec};
use crate::model::Model;
use crate::speaker::RunningSpeakerMean;
use crate::voicing::Voicing;

/// How a model turns segments into scores.
enum Stages {
    /// One graph: segment → class scores (and, for instrument models, family scores and an attention map).
    Single {
        layout: SpectrogramLayout,
        input: ArrayD<f32>,
        class_output: usize,
        coarse_output: Option<usize>,
        attention_output: Option<usize>,
    },
    /// Encoder once per new segment, head over the last `sequence_length` embeddings.
    TwoStage {
        layout: SpectrogramLayout,
        input: ArrayD<f32>,
        embedding_output: usize,
        embeddings: VecDeque<Vec<f32>>,
        sequence_length: usize,
        head: SequenceLayout,
        class_output: usize,
    },
}

/// What one inference produced.
struct Inference {
    scores: Vec<f32>,
    families: Vec<f32>,
    attention: Vec<f32>,
}

/// The output named `name` if it has `elements` values per batch item (instrument models' `coarse` and
/// `attention`); a same-named output of another size is a broken export, refused at load.
fn optional_output(graph: &GraphSpec, name: &str, elements: Option<usize>) -> Result<Option<usize>, String> {
    let Some(index) = graph.outputs.iter().position(|o| o.name == name) else { return Ok(None) };
    let per_item: Option<u64> = graph.outputs[index].shape[1..].iter().map(|d| d.fixed()).product();
    match (elements, per_item) {
        (Some(want), Some(got)) if got == want as u64 => Ok(Some(index)),
        _ => Err(format!(
            "output `{name}` has shape {:?}; with this manifest's labels it must have {elements:?} values per item",
            graph.outputs[index].shape
        )),
    }
}

fn output_with_axes(graph: &GraphSpec, axes: &[Axis]) -> Result<usize, String> {
    graph
        .outputs
        .iter()
        .position(|o| o.axes == axes)
        .ok_or_else(|| format!("the {:?} graph has no output with axes {axes:?}", graph.role))
}

impl Stages {
    fn new(manifest: &Manifest) -> Result<Self, String> {
        let frames = manifest.segment.frames;
        let n_mels = manifest.frontend.n_mels;
        if let Some(main) = manifest.graph(GraphRole::Main) {
            let layout = SpectrogramLayout::from_spec(&main.inputs[0], frames, n_mels)?;
            let families = manifest.labels.hierarchy.as_ref().map(Vec::len);
            let tags = manifest.labels.classes.len();
            return Ok(Stages::Single {
                input: layout.tensor(),
                layout,
                class_output: output_with_axes(main, &[Axis::Batch, Axis::Class])?,
                coarse_output: optional_output(main, "coarse", families)?,
                attention_output: optional_output(main, "attention", families.map(|f| f * tags))?,
            });
        }
        let encoder = manifest.graph(GraphRole::Encoder).ok_or("no main or encoder graph")?;
        let head = manifest.graph(GraphRole::Head).ok_or("an encoder without a head")?;
        let layout = SpectrogramLayout::from_spec(&encoder.inputs[0], frames, n_mels)?;
        let embedding_output = output_with_axes(encoder, &[Axis::Batch, Axis::Feature])?;
        let features = encoder.outputs[embedding_output].shape[1]
            .fixed()
            .ok_or("the encoder's embedding size must be fixed")? as usize;
        let head_input = head.inputs.first().ok_or("the head has no input")?;
        Ok(Stages::TwoStage {
            input: layout.tensor(),
            layout,
            embedding_output,
            embeddings: VecDeque::new(),
            sequence_length: manifest.segment.sequence_length.unwrap_or(1),
            head: SequenceLayout::from_spec(head_input, features)?,
            class_output: output_with_axes(head, &[Axis::Batch, Axis::Class])?,
        })
    }
}

/// The model-side half of a pipeline: everything after the frontend.
struct SegmentStage {
    model: Arc<Model>,
    stages: Stages,
    ring: FrameRing,
    top_db: Option<f32>,
    /// Frames since the last inference, and how many to wait between inferences.
    since_run: usize,
    run_every: usize,
    /// The update interval (s) single-stage models run at while watched.
    interval: f64,
    /// Whether someone can see this readout: if not, it updates every [`UNWATCHED_SECONDS`] at most.
    watched: bool,
    frames_seen: u64,
    hop_seconds: f64,
    smoother: Smoother,
    readout: ModelReadout,
    /// A frame of silence as the frontend renders it: fills the segment for the warm-up run.
    silence: Vec<f32>,
    /// Whether inference runs (the engine's signal gate is open); frames are collected either way.
    running: bool,
    /// Whether the gate has opened since the stream started: a finite stream whose signal stopped before its
    /// first segment filled still gets its one readout at the end (see [`ModelPipeline::finish`]).
    heard: bool,
    /// The manifest's voice preparation (models of a voice), `None` for every other model.
    voice: Option<VoicePrep>,
}

/// What a model of a voice gets done to its segment before inference, exactly as training prepared its
/// segments: the voicing cut ([`Voicing::trim_and_tile`]) and, when declared, the running speaker mean
/// ([`RunningSpeakerMean`]).
struct VoicePrep {
    voicing: Voicing,
    speaker: Option<RunningSpeakerMean>,
    /// The `frames × mels` segment being prepared (allocated once).
    rows: Vec<f32>,
    mels: usize,
}

impl VoicePrep {
    fn new(segment: &SegmentSpec, mels: usize) -> Option<Self> {
        let voicing = segment.voicing?;
        Some(Self {
            voicing,
            speaker: segment.speaker_norm.map(|norm| RunningSpeakerMean::new(norm, mels)),
            rows: vec![0.0; segment.frames * mels],
            mels,
        })
    }

    /// Prepares the ring's segment in `rows`; `seconds` since the previous inference weigh the new segment in
    /// the speaker estimate.
    fn prepare(&mut self, ring: &FrameRing, seconds: f64) -> &[f32] {
        let (rows, mels) = (&mut self.rows, self.mels);
        ring.for_each(|t, frame| rows[t * mels..(t + 1) * mels].copy_from_slice(frame));
        let voiced = self.voicing.trim_and_tile(rows, mels).is_some();
        if let Some(speaker) = &mut self.speaker {
            if voiced {
                speaker.update_and_apply(rows, seconds);
            } else {
                speaker.apply(rows);
            }
        }
        rows
    }
}

impl SegmentStage {
    /// Frames between inferences: a single-stage model's update interval (or [`UNWATCHED_SECONDS`] when nobody
    /// can see it), a two-stage model's segment hop (its encoder runs once per new segment).
    fn pace(&mut self) {
        if let Stages::Single { .. } = self.stages {
            let interval = if self.watched { self.interval } else { self.interval.max(UNWATCHED_SECONDS) };
            self.run_every = ((interval / self.hop_seconds).round() as usize).max(1);
        }
    }

    fn on_frame(&mut self, frame: &[f32], on_update: &mut impl FnMut(&ModelReadout)) {
        self.ring.push(frame);
        self.frames_seen += 1;
        self.since_run += 1;
        if self.running && self.ring.is_full() && self.since_run >= self.run_every {
            self.since_run = 0;
            self.run();
            on_update(&self.readout);
        }
    }

    /// Tops the frame ring up with silence (the warm-up run).
    fn fill_with_silence(&mut self) {
        while !self.ring.is_full() {
            self.ring.push(&self.silence);
        }
    }

    fn run(&mut self) {
        let started = Instant::now();
        let Inference { scores, families, attention } = match self.infer() {
            Ok(inference) => inference,
            Err(error) => {
                self.readout.error = Some(error.to_string());
                return;
            }
        };
        let dt = self.run_every as f64 * self.hop_seconds;
        self.smoother.apply(&mut self.readout.scores, &scores, dt);
        self.smoother.apply(&mut self.readout.families, &families, dt);
        self.readout.raw = scores;
        self.readout.attention = attention;
        self.readout.error = None;
        self.readout.updates += 1;
        self.readout.stream_seconds = self.frames_seen as f64 * self.hop_seconds;
        self.readout.inference_ms = started.elapsed().as_secs_f32() * 1000.0;
    }

    fn infer(&mut self) -> Result<Inference, EngineError> {
        let seconds = self.run_every as f64 * self.hop_seconds;
        let first_row = |a: &ArrayD<f32>| a.index_axis(NdAxis(0), 0).iter().copied().collect::<Vec<f32>>();
        match &mut self.stages {
            Stages::Single { layout, input, class_output, coarse_output, attention_output } => {
                fill_segment(layout, &self.ring, &mut self.voice, seconds, self.top_db, input);
                let outputs = self.model.run(GraphRole::Main, &[input.view()])?;
                let optional = |index: &Option<usize>| index.map_or_else(Vec::new, |i| first_row(&outputs[i]));
                Ok(Inference {
                    scores: first_row(&outputs[*class_output]),
                    families: optional(coarse_output),
                    attention: optional(attention_output),
                })
            }
            Stages::TwoStage { layout, input, embedding_output, embeddings, sequence_length, head, class_output } => {
                fill_segment(layout, &self.ring, &mut self.voice, seconds, self.top_db, input);
                let outputs = self.model.run(GraphRole::Encoder, &[input.view()])?;
                if embeddings.len() == *sequence_length {
                    embeddings.pop_front();
                }
                embeddings.push_back(first_row(&outputs[*embedding_output]));
                let sequence: Vec<Vec<f32>> = embeddings.iter().cloned().collect();
                let head_input = head.tensor(&sequence);
                let outputs = self.model.run(GraphRole::Head, &[head_input.view()])?;
                Ok(Inference {
                    scores: first_row(&outputs[*class_output]),
                    families: Vec::new(),
                    attention: Vec::new(),
                })
            }
        }
    }

    fn reset(&mut self) {
        self.heard = false;
        self.ring.clear();
        self.since_run = 0;
        self.frames_seen = 0;
        self.readout.scores.clear();
        self.readout.raw.clear();
        self.readout.families.clear();
        self.readout.attention.clear();
        self.readout.updates = 0;
        self.readout.stream_seconds = 0.0;
        self.readout.error = None;
        if let Stages::TwoStage { embeddings, .. } = &mut self.stages {
            embeddings.clear();
        }
        if let Some(speaker) = self.voice.as_mut().and_then(|v| v.speaker.as_mut()) {
            speaker.reset();
        }
    }
}

/// Puts the ring's segment into the model input: as it is, or prepared as the model of a voice wants it.
fn fill_segment(
    layout: &SpectrogramLayout,
    ring: &FrameRing,
    voice: &mut Option<VoicePrep>,
    seconds: f64,
    top_db: Option<f32>,
    input: &mut ArrayD<f32>,
) {
    match voice {
        Some(voice) => layout.fill_rows(voice.prepare(ring, seconds), input),
        None => layout.fill(ring, input),
    }
    if let Some(top_db) = top_db {
        clip_top_db(input.as_slice_mut().expect("tensors are built contiguous"), top_db);
    }
}

/// One model, from log-mel frames to readouts.
pub struct ModelPipeline {
    stage: SegmentStage,
}

impl ModelPipeline {
    /// Builds the pipeline for a loaded model (which other engines may share).
    pub fn new(model: Arc<Model>, settings: &EngineSettings) -> Result<Self, EngineError> {
        let manifest = model.manifest().clone();
        let unsupported = |reason: String| EngineError::Unsupported { model: manifest.name.clone(), reason };
        let stages = Stages::new(&manifest).map_err(unsupported)?;
        let config = &manifest.frontend;
        let hop_seconds = config.hop_seconds();
        let top_db = match config.compression {
            Compression::PowerToDb { top_db, .. } => top_db,
            _ => None,
        };
        let mut silence = vec![0.0; config.n_mels];
        FrameAnalyzer::new(config)?.compress(&mut silence);
        let labels = &manifest.labels;
        let readout = ModelReadout {
            multi_label: labels.multi_label,
            thresholds: labels.thresholds.clone(),
            hierarchy: labels.hierarchy.clone(),
            segment_seconds: manifest.segment.frames as f64 * hop_seconds,
            provider: model.provider().to_string(),
            fallback_reason: model.fallback_reason().map(str::to_string),
            ..ModelReadout::new(&manifest.name, manifest.task, labels.classes.clone())
        };
        let mut pipeline = Self {
            stage: SegmentStage {
                ring: FrameRing::new(manifest.segment.frames, config.n_mels),
                model,
                run_every: manifest.segment.hop_frames,
                stages,
                top_db,
                since_run: 0,
                interval: settings.interval_for(manifest.segment.hop_frames as f64 * hop_seconds),
                watched: true,
                frames_seen: 0,
                hop_seconds,
                smoother: Smoother::new(settings.smoothing),
                readout,
                silence,
                running: false,
                heard: false,
                voice: VoicePrep::new(&manifest.segment, config.n_mels),
            },
        };
        pipeline.stage.pace();
        Ok(pipeline)
    }

    /// The frontend the model was trained with: pipelines with equal ones share one frontend in the engine.
    pub fn frontend(&self) -> &FrontendConfig {
        &self.stage.model.manifest().frontend
    }

    /// The current readout.
    pub fn readout(&self) -> &ModelReadout {
        &self.stage.readout
    }

    /// Takes one log-mel frame; `on_update` sees the readout after every inference.
    pub fn on_frame(&mut self, frame: &[f32], mut on_update: impl FnMut(&ModelReadout)) {
        self.stage.on_frame(frame, &mut on_update);
    }

    /// Whether the end of a finite stream still matters to this model: only one that never gave a readout
    /// takes the frontend's padded last frames (see [`Self::finish`]).
    pub fn awaits_end(&self) -> bool {
        self.stage.readout.updates == 0
    }

    /// Ends a finite stream (offline analysis), after the frontend's last frames went through [`Self::on_frame`]
    /// (only when [`Self::awaits_end`]). A stream that gave no readout is analysed once more at its end — if it
    /// never filled one segment, with its frames repeated to fill it ([`FrameRing::repeat_to_full`], as training
    /// fills a clip shorter than its window; no training window ends in silence) — so every file with a signal
    /// gets a readout, also one whose signal stopped (and the gate closed) before its first segment filled, like
    /// a 5.3 s solo phrase ending in a decay for a 5 s window; a silent one gets none, as in the plugin. Otherwise
    /// nothing more happens: the plugin never sees a stream's end either, and `earmark analyze` must give exactly
    /// the plugin's readouts.
    pub fn finish(&mut self, mut on_update: impl FnMut(&ModelReadout)) {
        let stage = &mut self.stage;
        if (stage.running || stage.heard) && stage.readout.updates == 0 && !stage.ring.is_empty() {
            stage.ring.repeat_to_full();
            stage.run();
            on_update(&stage.readout);
        }
    }

    /// Runs every graph once on silence, so the first real inference does not pay ONNX Runtime's first-run costs
    /// (and a broken graph shows up at load time, not mid-song).
    pub fn warm_up(&mut self) {
        self.stage.fill_with_silence();
        self.stage.run();
        let error = self.stage.readout.error.take();
        self.stage.reset();
        self.stage.readout.error = error;
    }

    /// Starts or stops inference (the engine's signal gate). Frames keep flowing into the segment either way;
    /// on a restart the smoothing starts afresh, so the first readout is the new audio's own.
    pub fn set_running(&mut self, running: bool) {
        let stage = &mut self.stage;
        if running && !stage.running {
            stage.readout.scores.clear();
            stage.readout.families.clear();
        }
        stage.running = running;
        stage.heard |= running;
    }

    /// Applies new timing settings (update interval, smoothing) without reloading the model or losing history.
    pub fn set_timing(&mut self, settings: &EngineSettings) {
        let segment_hop = self.stage.model.manifest().segment.hop_frames as f64 * self.stage.hop_seconds;
        self.stage.interval = settings.interval_for(segment_hop);
        self.stage.pace();
        self.stage.smoother = Smoother::new(settings.smoothing);
    }

    /// Whether someone can see this readout (see [`super::watch`]); an unwatched one updates every
    /// [`UNWATCHED_SECONDS`] at most, keeping its history.
    pub fn set_watched(&mut self, watched: bool) {
        self.stage.watched = watched;
        self.stage.pace();
    }

    /// Forgets the stream (transport restart): frames, embeddings, smoothing.
    pub fn reset(&mut self) {
        self.stage.reset();
    }
}
