//! The analysis engine shared by the plugin and `earmark analyze`.
//!
//! - [`input::AudioInput`] is the only piece the audio thread touches: downmix, sanitise, push into a
//!   preallocated lock-free ring. No allocation, lock, syscall or log.
//! - [`Engine`] is the synchronous analysis: one [`pipeline::ModelPipeline`] per model found, fed mono host-rate
//!   audio through one [`shared_frontend::SharedFrontend`] per distinct frontend configuration. Models come from
//!   the process's [`crate::model_cache::ModelCache`], so engines loading the same folder share sessions. The
//!   process's worker pool ([`worker::spawn`]) runs it live; [`offline::analyze`] runs it over a file.
//! - Results leave the worker through a triple buffer ([`readout::Snapshot`]), so readers never wait.

pub mod frames;
pub mod gate;
pub mod hearing;
pub mod input;
pub mod layout;
pub mod offline;
pub mod pipeline;
pub mod readout;
pub mod resample;
pub mod roles;
pub mod shared_frontend;
pub mod view;
pub mod watch;
pub mod worker;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audio::AudioError;
use crate::frontend::FrontendError;
use crate::manifest::MANIFEST_FILE;
use crate::model::ModelError;
use crate::model_cache::ModelCache;
use crate::runtime::{Device, Runtime, RuntimeError, SessionOptions};
use gate::SignalGate;
use hearing::Gates;
use pipeline::ModelPipeline;
use readout::{EngineStatus, ModelReadout, Snapshot};
use roles::Roles;
use shared_frontend::SharedFrontend;

/// User settings of the engine (persisted with the plugin state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSettings {
    /// Seconds between readout updates of single-stage models (two-stage models update once per new segment).
    pub update_interval: f64,
    /// Smoothing time constant in seconds (0 = none).
    pub smoothing: f64,
    /// CPU or CUDA.
    pub device: Device,
    /// Folder of model folders; `None` = the models shipped with Earmark.
    pub models_dir: Option<PathBuf>,
    /// Whether single-stage models run every `update_interval` or each at its own segment hop.
    #[serde(default)]
    pub pace: Pace,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self { update_interval: 0.5, smoothing: 1.5, device: Device::Cpu, models_dir: None, pace: Pace::Interval }
    }
}

/// How often a single-stage model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Pace {
    /// Every model every [`EngineSettings::update_interval`]: a readout that moves while the plugin plays.
    #[default]
    Interval,
    /// Each model once per segment hop of its manifest (`segment.hop_frames`): the windows its report's
    /// figures were measured on (a clip's score is the mean of them); for the shipped models a fifth of the
    /// inference cost of a 0.5 s interval or less (vocal emotion, 1 s apart, half). For offline analysis of
    /// catalogues, where nobody watches a readout move.
    ModelHop,
}

impl EngineSettings {
    /// Seconds between a single-stage model's runs, for a model whose segments start `hop_seconds` apart.
    pub fn interval_for(&self, hop_seconds: f64) -> f64 {
        match self.pace {
            Pace::Interval => self.update_interval,
            Pace::ModelHop => hop_seconds,
        }
    }
}

/// Settings the host may automate while audio runs: written from any thread (the audio thread included, so
/// plain atomics), read by the worker, which applies a change without reloading models.
#[derive(Debug)]
pub struct LiveSettings {
    update_interval: atomic_float::AtomicF64,
    smoothing: atomic_float::AtomicF64,
    /// Which readouts someone can see (the editor, the CCs switched on).
    pub watch: watch::WatchState,
}

impl LiveSettings {
    /// Starts from `settings`.
    pub fn new(settings: &EngineSettings) -> Self {
        Self {
            update_interval: atomic_float::AtomicF64::new(settings.update_interval),
            smoothing: atomic_float::AtomicF64::new(settings.smoothing),
            watch: watch::WatchState::default(),
        }
    }

    /// Seconds between readouts; real-time safe.
    pub fn set_update_interval(&self, seconds: f64) {
        self.update_interval.store(seconds.max(0.01), std::sync::atomic::Ordering::Relaxed);
    }

    /// Smoothing time constant; real-time safe.
    pub fn set_smoothing(&self, seconds: f64) {
        self.smoothing.store(seconds.max(0.0), std::sync::atomic::Ordering::Relaxed);
    }

    /// The current (update interval, smoothing); real-time safe.
    pub fn timing(&self) -> (f64, f64) {
        (
            self.update_interval.load(std::sync::atomic::Ordering::Relaxed),
            self.smoothing.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}

/// The models folder to use when the user chose none: `models/` next to our binary (inside a bundle, or an
/// installed `earmark`), else the `models/` of the checkout this was built from.
pub fn default_models_dir() -> Option<PathBuf> {
    let beside = crate::runtime::own_binary_dir().map(|dir| dir.join("models")).filter(|d| d.is_dir());
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    beside.or_else(|| checkout.is_dir().then_some(checkout))
}

/// Why the engine (or one model in it) cannot run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// ONNX Runtime is missing or broken.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A model failed to load or run.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Resampling is impossible.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The frontend config is invalid.
    #[error(transparent)]
    Frontend(#[from] FrontendError),
    /// The model's tensors are not a layout the engine can feed.
    #[error("model `{model}` cannot run in the engine: {reason}")]
    Unsupported {
        /// Model name.
        model: String,
        /// Why.
        reason: String,
    },
    /// No model folder anywhere.
    #[error("no models found under {}", .0.display())]
    NoModels(PathBuf),
}

/// Every folder under `root` (up to two levels down) holding a manifest, sorted by path.
pub fn find_model_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        if dir.join(MANIFEST_FILE).is_file() {
            found.push(dir);
            continue;
        }
        if depth < 2
            && let Ok(entries) = std::fs::read_dir(&dir)
        {
            stack.extend(entries.flatten().filter(|e| e.path().is_dir()).map(|e| (e.path(), depth + 1)));
        }
    }
    found.sort();
    found
}

/// All models' pipelines plus the status a user sees. Never fails to exist: whatever cannot load becomes a
/// message, and audio keeps flowing through the plugin regardless.
pub struct Engine {
    pipelines: Vec<ModelPipeline>,
    frontends: Vec<SharedFrontend>,
    status: EngineStatus,
    roles: Roles,
    gate: SignalGate,
    host_rate: u32,
    watched: watch::Watched,
}

impl Engine {
    /// Loads ONNX Runtime and every model under `models_dir` for audio at `host_rate`.
    pub fn load(models_dir: &Path, host_rate: u32, settings: &EngineSettings) -> Self {
        let mut engine = Self {
            pipelines: Vec::new(),
            frontends: Vec::new(),
            status: EngineStatus::default(),
            roles: Roles::default(),
            gate: SignalGate::new(host_rate, settings.update_interval),
            host_rate,
            watched: watch::Watched::ALL,
        };
        let runtime = match Runtime::global() {
            Ok(runtime) => runtime,
            Err(error) => {
                engine.status.messages.push(error.to_string());
                return engine;
            }
        };
        engine.status.runtime = Some(format!("ONNX Runtime {} ({})", runtime.version(), runtime.library().display()));
        let dirs = find_model_dirs(models_dir);
        if dirs.is_empty() {
            engine.status.messages.push(EngineError::NoModels(models_dir.to_path_buf()).to_string());
        }
        let options = SessionOptions { device: settings.device, ..SessionOptions::default() };
        for dir in dirs {
            let loaded = ModelCache::global()
                .load(&dir, runtime, options)
                .map_err(EngineError::from)
                .and_then(|model| ModelPipeline::new(model, settings))
                .and_then(|pipeline| engine.frontend_for(&pipeline).map(|frontend| (pipeline, frontend)));
            match loaded {
                Ok((mut pipeline, frontend)) => {
                    if let Some(reason) = &pipeline.readout().fallback_reason {
                        let name = &pipeline.readout().name;
                        engine.status.messages.push(format!("{name}: CUDA unavailable, running on CPU ({reason})"));
                    }
                    pipeline.warm_up();
                    engine.frontends[frontend].add_member(engine.pipelines.len());
                    engine.pipelines.push(pipeline);
                }
                Err(error) => engine.status.messages.push(format!("{}: {error}", dir.display())),
            }
        }
        let readouts: Vec<ModelReadout> = engine.pipelines.iter().map(|p| p.readout().clone()).collect();
        engine.roles = Roles::of(&readouts);
        engine
    }

    /// The index of the shared frontend `pipeline` takes its frames from, made now if no model before it had
    /// the same frontend configuration.
    fn frontend_for(&mut self, pipeline: &ModelPipeline) -> Result<usize, EngineError> {
        if let Some(index) = self.frontends.iter().position(|f| f.config() == pipeline.frontend()) {
            return Ok(index);
        }
        self.frontends.push(SharedFrontend::new(pipeline.frontend(), self.host_rate)?);
        Ok(self.frontends.len() - 1)
    }

    /// How many frontends the engine computes (one per distinct frontend configuration among its models).
    pub fn frontend_count(&self) -> usize {
        self.frontends.len()
    }

    /// The host sample rate the pipelines expect.
    pub fn host_rate(&self) -> u32 {
        self.host_rate
    }

    /// Feeds mono host-rate audio; `on_update(model index, readout)` follows every inference. The models run
    /// only while the [signal gate](gate) is open; the audio is cut at the gate's window boundaries so that its
    /// decisions fall on the same samples whatever the block size.
    pub fn feed(&mut self, samples: &[f32], mut on_update: impl FnMut(usize, &ModelReadout)) {
        let mut rest = samples;
        while !rest.is_empty() {
            let (part, tail) = rest.split_at(self.gate.until_boundary().min(rest.len()));
            for frontend in &mut self.frontends {
                frontend.feed(part, &mut self.pipelines, &mut on_update);
            }
            self.gate.measure(part);
            self.apply_running();
            rest = tail;
        }
        self.status.stream_seconds += samples.len() as f64 / f64::from(self.host_rate);
        self.status.signal = self.gate.is_open();
        self.status.silent_seconds = self.gate.silent_seconds();
    }

    /// Starts or stops each model: every model runs while the [signal gate](gate) is open, except the
    /// vocal-emotion model, which runs only while a voice is heard (the [gate](hearing::Gates::vocal_open) that
    /// shows its readout). Why: a vocal-emotion readout over a string quartet is hidden anyway, so computing it
    /// is waste; and the model's running speaker average must learn from voices only, as in training.
    fn apply_running(&mut self) {
        let signal = self.gate.is_open();
        let voice = match self.roles.vocal {
            Some(_) => {
                Gates::of_readouts(&self.roles, |i| self.pipelines.get(i).map(ModelPipeline::readout)).vocal_open()
            }
            None => true,
        };
        for (i, pipeline) in self.pipelines.iter_mut().enumerate() {
            pipeline.set_running(signal && (voice || self.roles.vocal != Some(i)));
        }
    }

    /// Ends a finite stream (see [`ModelPipeline::finish`]).
    pub fn finish(&mut self, mut on_update: impl FnMut(usize, &ModelReadout)) {
        for frontend in &mut self.frontends {
            frontend.finish(&mut self.pipelines, &mut on_update);
        }
    }

    /// Applies a new update interval and smoothing to every model, keeping their history; the gate's hold
    /// follows the update interval.
    pub fn set_timing(&mut self, settings: &EngineSettings) {
        self.pipelines.iter_mut().for_each(|p| p.set_timing(settings));
        self.gate.set_hold(settings.update_interval);
    }

    /// Which readouts someone can see: the others update every [`watch::UNWATCHED_SECONDS`] at most.
    pub fn set_watched(&mut self, watched: watch::Watched) {
        if watched == self.watched {
            return;
        }
        self.watched = watched;
        for (i, pipeline) in self.pipelines.iter_mut().enumerate() {
            pipeline.set_watched(watched.runs_at_full_rate(&self.roles, i));
        }
    }

    /// Clears every model's history (transport restart); the gate waits for signal again.
    pub fn reset(&mut self) {
        self.pipelines.iter_mut().for_each(ModelPipeline::reset);
        self.frontends.iter_mut().for_each(SharedFrontend::reset);
        self.gate.reset();
        self.pipelines.iter_mut().for_each(|p| p.set_running(false));
        self.status.stream_seconds = 0.0;
        self.status.signal = false;
        self.status.silent_seconds = 0.0;
    }

    /// Status for the UI.
    pub fn status_mut(&mut self) -> &mut EngineStatus {
        &mut self.status
    }

    /// Everything at once.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::new(
            self.pipelines.iter().map(|p| p.readout().clone()).collect(),
            self.status.clone(),
            self.roles.clone(),
        )
    }
}
