//! The analysis service with many instances in one process: one pool of threads and one copy of each model
//! for all of them, each instance reading exactly what it would alone, a broken instance isolated, and the last
//! instance to go releasing everything. One test in its own binary: the pool and the model cache are
//! process-wide, so nothing else may start instances beside it.

mod common;

use common::{timeless, wait_for};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use earmark_core::engine::input::AudioInput;
use earmark_core::engine::offline::analyze;
use earmark_core::engine::readout::Snapshot;
use earmark_core::engine::worker::{self, Spawned, WorkerHandle, spawn};
use earmark_core::engine::{Engine, EngineSettings, LiveSettings};
use earmark_core::model_cache::ModelCache;

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models")
}

fn settings() -> EngineSettings {
    EngineSettings { update_interval: 0.25, smoothing: 1.0, ..EngineSettings::default() }
}

/// A tone at `hz` with a little noise: each instance hears its own.
fn tone(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
    let mut state = 0x1357_9bdfu32 ^ hz as u32;
    (0..(rate as f32 * seconds) as usize)
        .map(|n| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            0.4 * (std::f32::consts::TAU * hz * n as f32 / rate as f32).sin()
                + 0.01 * (state as f32 / u32::MAX as f32 - 0.5)
        })
        .collect()
}

struct Running {
    input: AudioInput,
    handle: WorkerHandle,
    reader: triple_buffer::Output<Snapshot>,
    audio: Vec<f32>,
    rate: u32,
}

fn start(rate: u32, hz: f32, models_dir: Option<PathBuf>) -> Running {
    let settings = EngineSettings { models_dir, ..settings() };
    let live = Arc::new(LiveSettings::new(&settings));
    let Spawned { input, handle, mut readers } = spawn(models(), rate, settings, live, 10.0, 1).unwrap();
    Running { input, handle, reader: readers.pop().unwrap(), audio: tone(rate, hz, 2.0), rate }
}

#[test]
fn many_instances_share_one_pool_and_one_model_and_each_reads_its_own_audio() {
    let model_dir = models().join("band-energy");
    assert_eq!(worker::running_threads(), 0);
    let broken = tempfile::tempdir().unwrap();
    std::fs::create_dir(broken.path().join("bad")).unwrap();
    std::fs::write(broken.path().join("bad/manifest.json"), b"{ not json").unwrap();

    // Eight instances at three host rates, each on its own tone; the fourth has a broken models folder.
    let rates = [48_000, 44_100, 16_000];
    let mut instances: Vec<Running> = (0..8)
        .map(|i| {
            let folder = (i == 3).then(|| broken.path().to_path_buf());
            start(rates[i % 3], 110.0 * (i + 1) as f32, folder)
        })
        .collect();
    assert_eq!(worker::running_instances(), 8);
    // A thread counts itself in when it starts running: give the pool a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while worker::running_threads() < worker::pool_size() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(worker::running_threads(), worker::pool_size(), "one pool for every instance");
    for running in &mut instances {
        let audio = running.audio.clone();
        for block in audio.chunks(512) {
            running.input.push(&[block]);
        }
    }
    let snapshots: Vec<Snapshot> =
        instances.iter_mut().map(|r| wait_for(&mut r.reader, r.audio.len() as f64 / f64::from(r.rate))).collect();
    assert_eq!(ModelCache::global().holders(&model_dir), 7, "seven working instances, one loaded model");

    for (i, (running, live)) in instances.iter().zip(&snapshots).enumerate() {
        if i == 3 {
            assert!(live.models.is_empty());
            assert!(live.status.messages.iter().any(|m| m.contains("bad")), "{:?}", live.status.messages);
            continue;
        }
        // Exactly what the instance's own engine reads offline.
        let mut alone = Engine::load(&models(), running.rate, &settings());
        let timeline = analyze(&mut alone, &running.audio, |_| {});
        assert!(timeline.len() > 4, "instance {i}: {} updates", timeline.len());
        assert_eq!(timeless(&live.models), timeless(&alone.snapshot().models), "instance {i}");
        assert_eq!(live.status.dropped_samples, 0);
    }
    let top = |s: &Snapshot| s.models[0].ranked()[0].0.to_string();
    assert_ne!(top(&snapshots[0]), top(&snapshots[7]), "the low and the high tone read differently");

    // Removal in any order: the others keep analysing; the last one out stops the pool and frees the model.
    for &i in &[5, 0, 7, 3, 1] {
        instances[i].handle.stop();
    }
    let more = tone(16_000, 220.0, 1.0);
    let survivor = &mut instances[2];
    survivor.input.push(&[more.as_slice()]);
    let after = wait_for(&mut survivor.reader, 3.0);
    assert!((after.status.stream_seconds - 3.0).abs() < 1e-6, "a surviving instance still analyses");
    assert_eq!(worker::running_instances(), 3);
    drop(instances);
    assert_eq!(worker::running_threads(), 0, "the last instance stopped the pool and joined its threads");
    assert_eq!(worker::running_instances(), 0);
    assert_eq!(ModelCache::global().holders(&model_dir), 0, "and the model went with it");
}
