//! The analysis service: one pool of worker threads per process, shared by every plugin instance in it. Each
//! instance's state (its [`Engine`], audio queue, snapshot publishers, settings) is its own; the pool's threads
//! take turns over the instances, one bounded step each, and drain the audio queues, run the engines and publish
//! snapshots. Models load on a pool thread at an instance's first step, never in the plugin's constructor or on
//! the audio thread, and come from the process's [model cache](crate::model_cache), so instances share them.
//!
//! Why a pool and not a thread per instance: with Earmark on 32 tracks, 32 threads each waking every few
//! milliseconds to poll an empty queue cost more than the analysis; a few threads that find work by walking the
//! instances cost one wake-up per pass. Not nice-plug's background thread either: inference takes milliseconds
//! and would queue behind the host's own tasks.
//!
//! **Fairness**: every pass visits every instance once, starting from a rotating position, and a step analyses
//! at most [`STEP`] samples, so no instance waits longer than one pass of the others' steps; how far each one's
//! analysis trails its audio is measured (the status line's "lag"). **Isolation**: a panic inside one instance's
//! analysis reloads that instance's models and is reported in its status; the other instances never notice.
//! **Release**: the pool lives while an instance holds it; the last instance to stop stops and joins its threads,
//! and the models go with the last engine holding them.
//!
//! Pool size: `EARMARK_WORKERS` when set (at least 1), else half the cores, between 1 and 4: the host's audio
//! threads need the other half, and a pass over 32 instances at default settings is a few milliseconds of work.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use triple_buffer::{Input, Output, TripleBuffer};

use super::input::{AudioInput, AudioQueue, RESET_MARKER, audio_queue};
use super::readout::Snapshot;
use super::{Engine, EngineSettings, LiveSettings};

/// How long a pool thread sleeps after a pass that found no work: short against any readout interval, long
/// enough to cost nothing measurable.
const IDLE_SLEEP: Duration = Duration::from_millis(3);
/// Samples drained per instance per step (170 ms at 48 kHz).
pub const STEP: usize = 8192;
/// The longest a snapshot waits while audio flows.
const PUBLISH_EVERY: Duration = Duration::from_millis(100);

/// Changes sent to a running worker.
#[derive(Debug, Clone)]
pub enum Command {
    /// New settings: the engine reloads its models with them.
    Settings(EngineSettings),
}

/// Threads in the pool (see the module docs).
pub fn pool_size() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    std::env::var("EARMARK_WORKERS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or((cores / 2).clamp(1, 4))
}

/// What the pool's threads share: the instances to visit.
#[derive(Default)]
struct Pool {
    instances: Mutex<Vec<Arc<Instance>>>,
    stop: AtomicBool,
    /// Where the next pass starts, so that no instance is always last.
    next: AtomicUsize,
}

/// The process's pool and its threads; instances hold it, and dropping the last holder stops and joins them.
struct Service {
    pool: Arc<Pool>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Service {
    fn drop(&mut self) {
        self.pool.stop.store(true, Ordering::Release);
        for thread in &self.threads {
            thread.thread().unpark();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The service instances hold (weakly here, so that it goes with the last of them).
static CURRENT: Mutex<Weak<Service>> = Mutex::new(Weak::new());

/// The running service, started if none is.
fn service() -> std::io::Result<Arc<Service>> {
    let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(service) = current.upgrade() {
        return Ok(service);
    }
    let pool = Arc::new(Pool::default());
    let mut threads = Vec::new();
    for i in 0..pool_size() {
        let pool = pool.clone();
        match std::thread::Builder::new().name(format!("earmark-worker-{i}")).spawn(move || run_pool(&pool)) {
            Ok(thread) => threads.push(thread),
            // Fewer threads than asked for still work; none at all is the caller's error.
            Err(error) if threads.is_empty() => return Err(error),
            Err(_) => break,
        }
    }
    let service = Arc::new(Service { pool, threads });
    *current = Arc::downgrade(&service);
    Ok(service)
}

/// Pool threads alive in this process, counted by the threads themselves (in at start, out at exit): what the
/// tests count. (Not by thread name: threads that ONNX Runtime starts from a pool thread inherit its name.)
pub fn running_threads() -> usize {
    LIVE_THREADS.load(Ordering::Acquire)
}

static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Instances the running service is analysing.
pub fn running_instances() -> usize {
    let service = CURRENT.lock().unwrap_or_else(PoisonError::into_inner).upgrade();
    service.map_or(0, |s| s.pool.instances.lock().unwrap_or_else(PoisonError::into_inner).len())
}

fn run_pool(pool: &Pool) {
    struct Alive;
    impl Drop for Alive {
        fn drop(&mut self) {
            LIVE_THREADS.fetch_sub(1, Ordering::AcqRel);
        }
    }
    LIVE_THREADS.fetch_add(1, Ordering::AcqRel);
    let _alive = Alive;
    let mut instances: Vec<Arc<Instance>> = Vec::new();
    while !pool.stop.load(Ordering::Acquire) {
        instances.extend(pool.instances.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned());
        let count = instances.len();
        let start = pool.next.fetch_add(1, Ordering::Relaxed);
        let mut worked = false;
        for k in 0..count {
            let instance = &instances[(start + k) % count];
            // An instance another thread is stepping is skipped this pass; a poisoned one (a panic outside the
            // analysis' own guard) is still stepped: its state is whole between steps.
            let state = match instance.state.try_lock() {
                Ok(state) => Some(state),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            if let Some(mut state) = state {
                worked |= state.step();
            }
        }
        // Let go of the instances before sleeping: a stopped instance must not wait for this thread to wake.
        instances.clear();
        if !worked {
            std::thread::park_timeout(IDLE_SLEEP);
        }
    }
}

/// One instance, as the pool sees it.
struct Instance {
    state: Mutex<InstanceState>,
}

/// Stops the instance's analysis when dropped; the pool goes with the last instance.
pub struct WorkerHandle {
    service: Option<Arc<Service>>,
    instance: Arc<Instance>,
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

    /// Stops the instance's analysis: out of the pool's list, any step in flight finished, its engine (and so
    /// its hold on the models) dropped; then lets go of the pool, which stops if this was the last instance.
    pub fn stop(&mut self) {
        let Some(service) = self.service.take() else { return };
        service
            .pool
            .instances
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|i| !Arc::ptr_eq(i, &self.instance));
        let mut state = self.instance.lock_state();
        state.stopped = true;
        state.engine = None;
        drop(state);
        drop(service);
    }
}

impl Instance {
    fn lock_state(&self) -> MutexGuard<'_, InstanceState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
    /// Stops the analysis when dropped.
    pub handle: WorkerHandle,
    /// Snapshot readers, one per consumer (say the editor and the audio thread's MIDI output): a triple
    /// buffer has exactly one reader.
    pub readers: Vec<Output<Snapshot>>,
}

/// Starts analysing an instance's audio at `host_rate` on the process's pool (starting the pool if this is the
/// first instance), with a queue of `queue_seconds` of audio and `readers` snapshot readers. `live` carries
/// automatable settings; `settings` the rest. Models come from `settings.models_dir`, or from `default_models`
/// while that is `None` (also after a later settings command clears it).
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
    let state = InstanceState {
        default_models,
        host_rate,
        settings,
        live,
        queue,
        publishers,
        commands: receiver,
        engine: None,
        buffer: vec![0.0; STEP],
        load: LoadMeter::new(),
        last_publish: Instant::now(),
        dirty: false,
        updated: false,
        lag: 0.0,
        stopped: false,
    };
    let instance = Arc::new(Instance { state: Mutex::new(state) });
    let service = service()?;
    service.pool.instances.lock().unwrap_or_else(PoisonError::into_inner).push(instance.clone());
    for thread in &service.threads {
        thread.thread().unpark();
    }
    Ok(Spawned { input, handle: WorkerHandle { service: Some(service), instance, commands }, readers })
}

/// Share of wall time spent analysing one instance, over the last few seconds.
struct LoadMeter {
    busy: f64,
    since: Instant,
}

impl LoadMeter {
    fn new() -> Self {
        Self { busy: 0.0, since: Instant::now() }
    }

    fn add(&mut self, busy: Duration) {
        self.busy += busy.as_secs_f64();
        // A moving window: halve the history so the load reflects the last few seconds.
        let total = self.since.elapsed();
        if total > Duration::from_secs(2) {
            self.busy /= 2.0;
            self.since += total / 2;
        }
    }

    fn load(&self) -> f32 {
        let total = self.since.elapsed().as_secs_f64();
        if total > 0.0 { (self.busy / total).min(1.0) as f32 } else { 0.0 }
    }
}

/// Everything one instance's analysis needs, stepped by whichever pool thread gets to it.
struct InstanceState {
    default_models: PathBuf,
    host_rate: u32,
    settings: EngineSettings,
    live: Arc<LiveSettings>,
    queue: AudioQueue,
    publishers: Vec<Input<Snapshot>>,
    commands: Receiver<Command>,
    /// Loaded at the first step (on a pool thread), dropped when the instance stops.
    engine: Option<Engine>,
    buffer: Vec<f32>,
    load: LoadMeter,
    last_publish: Instant,
    /// Something changed since the last snapshot (audio analysed, a model updated).
    dirty: bool,
    updated: bool,
    /// The most audio (seconds) found waiting at a step since the last snapshot: how far analysis trails.
    lag: f64,
    stopped: bool,
}

impl InstanceState {
    fn models_dir(&self) -> PathBuf {
        self.settings.models_dir.clone().unwrap_or_else(|| self.default_models.clone())
    }

    fn load_engine(&mut self) -> &mut Engine {
        let engine = Engine::load(&self.models_dir(), self.host_rate, &self.settings);
        self.engine.insert(engine)
    }

    /// One bounded piece of work: commands, automation, up to [`STEP`] samples, a snapshot when due. Returns
    /// whether there was anything to do.
    fn step(&mut self) -> bool {
        if self.stopped {
            return false;
        }
        let started = Instant::now();
        if self.engine.is_none() {
            let snapshot = self.load_engine().snapshot();
            publish(&mut self.publishers, &snapshot);
            self.load.add(started.elapsed());
            return true;
        }
        let mut worked = false;
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Settings(new) => {
                    self.settings = new;
                    self.load_engine();
                    (self.dirty, self.updated, worked) = (true, true, true);
                }
            }
        }
        let Some(engine) = self.engine.as_mut() else { return worked };
        // The engine runs with `settings`' timing (the values it was loaded with); whatever `live` says differently
        // (set before the instance started, or automated since) is applied here, without a reload.
        let live = self.live.timing();
        if live != (self.settings.update_interval, self.settings.smoothing) {
            (self.settings.update_interval, self.settings.smoothing) = live;
            engine.set_timing(&self.settings);
        }
        engine.set_watched(self.live.watch.watched());
        self.lag = self.lag.max(self.queue.consumer.slots() as f64 / f64::from(self.host_rate));
        let (read, _) = self.queue.consumer.pop_partial_slice(&mut self.buffer);
        let n = read.len();
        debug_assert!(RESET_MARKER.is_nan(), "the split below relies on the marker being NaN");
        if n > 0 {
            let updated = &mut self.updated;
            let buffer = &self.buffer[..n];
            // A panic inside the analysis (a dependency's bug on some input) must not end analysis for the rest
            // of the session: the instance reloads its models, says so in the status, and goes on.
            let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for (i, part) in buffer.split(|x| x.is_nan()).enumerate() {
                    if i > 0 {
                        engine.reset();
                        *updated = true;
                    }
                    engine.feed(part, |_, _| *updated = true);
                }
            }));
            if let Err(panic) = analysed {
                let reason = panic_message(panic.as_ref());
                let engine = self.load_engine();
                engine.status_mut().messages.push(format!("analysis failed and was restarted: {reason}"));
                self.updated = true;
            }
            (self.dirty, worked) = (true, true);
        }
        // Publish promptly after an update, at least every 100 ms while audio flows, and once the queue is drained
        // (so a reader waiting for the end of a stream sees it).
        if self.dirty && (self.updated || n == 0 || self.last_publish.elapsed() > PUBLISH_EVERY) {
            let engine = self.engine.as_mut().expect("loaded above");
            let status = engine.status_mut();
            status.dropped_samples = self.queue.dropped.load(Ordering::Relaxed);
            status.worker_load = self.load.load();
            status.lag_seconds = self.lag;
            publish(&mut self.publishers, &engine.snapshot());
            self.last_publish = Instant::now();
            (self.dirty, self.updated, self.lag) = (false, false, 0.0);
        }
        if worked {
            self.load.add(started.elapsed());
        }
        worked
    }
}

fn publish(publishers: &mut [Input<Snapshot>], snapshot: &Snapshot) {
    for publisher in publishers {
        publisher.write(snapshot.clone());
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
