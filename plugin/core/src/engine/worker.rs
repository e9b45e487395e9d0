//! One worker thread per plugin instance: drains the audio queue, runs the [`Engine`], publishes snapshots.
//!
//! Not nice-plug's shared background thread: inference takes milliseconds and instances must not queue behind
//! one another. Models load here, after activation, never in the plugin's constructor or on the audio thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use triple_buffer::{Input, Output, TripleBuffer};

use super::input::{AudioInput, AudioQueue, RESET_MARKER, audio_queue};
use super::readout::Snapshot;
use super::{Engine, EngineSettings, LiveSettings};

/// How long the worker sleeps when the queue is empty: short against any readout interval, long enough to cost
/// nothing measurable.
const IDLE_SLEEP: Duration = Duration::from_millis(3);
/// Samples drained per step.
const STEP: usize = 8192;

/// Changes sent to a running worker.
#[derive(Debug, Clone)]
pub enum Command {
    /// New settings: the engine reloads its models with them.
    Settings(EngineSettings),
}

/// Owns the worker thread; dropping it stops and joins the thread.
pub struct WorkerHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    commands: Sender<Command>,
}

impl WorkerHandle {
    /// Sends a command; a worker that has stopped ignores it.
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// A sender for commands, for another thread (the editor) to keep.
    pub fn commands(&self) -> Sender<Command> {
        self.commands.clone()
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running worker's two ends besides its handle.
pub struct Spawned {
    /// For the audio thread.
    pub input: AudioInput,
    /// Owns the thread.
    pub handle: WorkerHandle,
    /// Snapshot readers, one per consumer (say the editor and the audio thread's MIDI output): a triple
    /// buffer has exactly one reader.
    pub readers: Vec<Output<Snapshot>>,
}

/// Starts a worker for audio at `host_rate`, with a queue of `queue_seconds` of audio and `readers` snapshot
/// readers. `live` carries automatable settings; `settings` the rest. Models come from `settings.models_dir`,
/// or from `default_models` while that is `None` (also after a later settings command clears it).
pub fn spawn(
    default_models: PathBuf,
    host_rate: u32,
    settings: EngineSettings,
    live: Arc<LiveSettings>,
    queue_seconds: f64,
    readers: usize,
) -> std::io::Result<Spawned> {
    let capacity = (f64::from(host_rate) * queue_seconds).ceil() as usize;
    let (input, queue) = audio_queue(capacity);
    let (publishers, readers): (Vec<Input<Snapshot>>, Vec<Output<Snapshot>>) =
        (0..readers.max(1)).map(|_| TripleBuffer::new(&Snapshot::default()).split()).unzip();
    let (commands, receiver) = crossbeam_channel::unbounded();
    let stop = Arc::new(AtomicBool::new(false));
    let thread = std::thread::Builder::new().name("earmark-worker".into()).spawn({
        let stop = stop.clone();
        move || run(default_models, host_rate, settings, live, queue, publishers, receiver, stop)
    })?;
    Ok(Spawned { input, handle: WorkerHandle { stop, thread: Some(thread), commands }, readers })
}

fn publish(publishers: &mut [Input<Snapshot>], snapshot: &Snapshot) {
    for publisher in publishers {
        publisher.write(snapshot.clone());
    }
}

#[allow(clippy::too_many_arguments, reason = "the thread's whole world, moved in once")]
fn run(
    default_models: PathBuf,
    host_rate: u32,
    mut settings: EngineSettings,
    live: Arc<LiveSettings>,
    mut queue: AudioQueue,
    mut publishers: Vec<Input<Snapshot>>,
    commands: Receiver<Command>,
    stop: Arc<AtomicBool>,
) {
    let mut engine = Engine::load(settings.models_dir.as_ref().unwrap_or(&default_models), host_rate, &settings);
    // The timing the engine runs with: the values it was loaded with. Whatever `live` says differently — set
    // before the worker started, or automated while the models loaded — is applied in the loop below.
    let mut timing = (settings.update_interval, settings.smoothing);
    publish(&mut publishers, &engine.snapshot());
    debug_assert!(RESET_MARKER.is_nan(), "the split below relies on the marker being NaN");
    let mut buffer = vec![0.0f32; STEP];
    let (mut busy, mut total) = (0.0f64, 0.0f64);
    let mut last_publish = Instant::now();
    // Something changed since the last snapshot (audio analysed, a model updated).
    let mut dirty = false;
    let mut updated = false;
    while !stop.load(Ordering::Acquire) {
        for command in commands.try_iter() {
            match command {
                Command::Settings(new) => {
                    settings = new;
                    timing = (settings.update_interval, settings.smoothing);
                    engine =
                        Engine::load(settings.models_dir.as_ref().unwrap_or(&default_models), host_rate, &settings);
                    dirty = true;
                    updated = true;
                }
            }
        }
        // Automation of the update interval and smoothing lands here, between updates, without a reload.
        if live.timing() != timing {
            timing = live.timing();
            (settings.update_interval, settings.smoothing) = timing;
            engine.set_timing(&settings);
        }
        let started = Instant::now();
        let (read, _) = queue.consumer.pop_partial_slice(&mut buffer);
        let n = read.len();
        if n > 0 {
            // A panic inside the analysis (a dependency's bug on some input) must not end analysis for the rest
            // of the session: the worker reloads its models, says so in the status, and goes on.
            let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for (i, part) in buffer[..n].split(|x| x.is_nan()).enumerate() {
                    if i > 0 {
                        engine.reset();
                        updated = true;
                    }
                    engine.feed(part, |_, _| updated = true);
                }
            }));
            if let Err(panic) = analysed {
                let reason = panic_message(panic.as_ref());
                engine = Engine::load(settings.models_dir.as_ref().unwrap_or(&default_models), host_rate, &settings);
                engine.status_mut().messages.push(format!("analysis failed and was restarted: {reason}"));
                updated = true;
            }
            dirty = true;
            busy += started.elapsed().as_secs_f64();
        }
        // Publish promptly after an update, at least every 100 ms while audio flows, and once the queue is drained
        // (so a reader waiting for the end of a stream sees it).
        if dirty && (updated || n == 0 || last_publish.elapsed() > Duration::from_millis(100)) {
            let status = engine.status_mut();
            status.dropped_samples = queue.dropped.load(Ordering::Relaxed);
            status.worker_load = if total > 0.0 { (busy / total) as f32 } else { 0.0 };
            publish(&mut publishers, &engine.snapshot());
            last_publish = Instant::now();
            dirty = false;
            updated = false;
        }
        if n == 0 {
            std::thread::sleep(IDLE_SLEEP);
        }
        total += started.elapsed().as_secs_f64();
        // A moving window: halve the history so the load reflects the last few seconds.
        if total > 2.0 {
            busy /= 2.0;
            total /= 2.0;
        }
    }
}

/// The message of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
