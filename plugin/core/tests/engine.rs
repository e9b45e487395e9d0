//! The engine: the same readouts offline and on the worker thread, for any block size, across resets, for
//! single- and two-stage models. Uses the committed test models (needs ONNX Runtime: `cargo xtask ort`).

mod common;

use common::{timeless, wait_for};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use earmark_core::engine::offline::analyze;
use earmark_core::engine::readout::{ModelReadout, Snapshot};
use earmark_core::engine::worker::{Spawned, spawn};
use earmark_core::engine::{Engine, EngineSettings, LiveSettings};
use earmark_core::frontend::BatchFrontend;
use earmark_core::manifest::Manifest;

fn band_energy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models")
}

fn two_stage_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two_stage")
}

/// Low tone, then a high one, with a little noise: the register readout must move.
fn signal(rate: u32, seconds: f32) -> Vec<f32> {
    let mut state = 0x1234_5678u32;
    let len = (rate as f32 * seconds) as usize;
    (0..len)
        .map(|n| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let t = n as f32 / rate as f32;
            let f = if n < len / 2 { 110.0 } else { 3500.0 };
            0.5 * (std::f32::consts::TAU * f * t).sin() + 0.01 * (state as f32 / u32::MAX as f32 - 0.5)
        })
        .collect()
}

fn feed_all(engine: &mut Engine, samples: &[f32], block: usize) -> Vec<(usize, ModelReadout)> {
    let mut updates = Vec::new();
    for chunk in samples.chunks(block) {
        engine.feed(chunk, |i, r| updates.push((i, r.clone())));
    }
    updates
}

fn settings() -> EngineSettings {
    EngineSettings { update_interval: 0.25, smoothing: 1.0, ..EngineSettings::default() }
}

#[test]
fn readouts_do_not_depend_on_the_host_block_size() {
    let x = signal(48_000, 3.0);
    let mut reference_engine = Engine::load(&band_energy_dir(), 48_000, &settings());
    assert!(reference_engine.status_mut().messages.is_empty(), "{:?}", reference_engine.status_mut().messages);
    let reference = feed_all(&mut reference_engine, &x, 4096);
    assert!(reference.len() > 8, "{} updates", reference.len());
    for block in [1, 63, 512, 8192] {
        let mut engine = Engine::load(&band_energy_dir(), 48_000, &settings());
        let updates = feed_all(&mut engine, &x, block);
        let (indices, readouts): (Vec<usize>, Vec<ModelReadout>) = updates.into_iter().unzip();
        assert!(indices.iter().all(|&i| i == 0));
        let expected: Vec<ModelReadout> = reference.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(timeless(&readouts), timeless(&expected), "block {block}");
    }
    // The register moves from low to high, and smoothing keeps it from jumping in one update.
    let first = &reference.first().unwrap().1;
    let last = &reference.last().unwrap().1;
    assert_eq!(first.ranked()[0].0, "low");
    let top_raw = last.raw.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    assert_eq!(last.classes[top_raw], "high", "the last segment is all high tone");
    assert!(last.scores[2] > first.scores[2] + 0.2, "the smoothed readout follows");
    let big_jumps = reference.windows(2).filter(|w| (w[1].1.scores[2] - w[0].1.scores[2]).abs() > 0.5).count();
    assert_eq!(big_jumps, 0, "smoothing with a 1 s time constant never moves 0.5 in 0.25 s");
}

/// A worker with one snapshot reader.
fn start(
    rate: u32,
    queue_seconds: f64,
) -> (
    earmark_core::engine::input::AudioInput,
    earmark_core::engine::worker::WorkerHandle,
    triple_buffer::Output<Snapshot>,
) {
    let live = std::sync::Arc::new(LiveSettings::new(&settings()));
    let Spawned { input, handle, mut readers } =
        spawn(band_energy_dir(), rate, settings(), live, queue_seconds, 1).unwrap();
    (input, handle, readers.pop().unwrap())
}

#[test]
fn the_worker_thread_gives_exactly_the_offline_readouts() {
    let rate = 44_100;
    let x = signal(rate, 2.0);
    let (mut input, mut worker, mut reader) = start(rate, 10.0);
    for block in x.chunks(333) {
        input.push(&[block, block]); // stereo, identical channels: the downmix is the signal
    }
    let live = wait_for(&mut reader, x.len() as f64 / f64::from(rate));
    worker.stop();
    assert_eq!(live.status.dropped_samples, 0);
    assert!(live.status.runtime.as_deref().is_some_and(|r| r.contains("ONNX Runtime")));
    let mut offline = Engine::load(&band_energy_dir(), rate, &settings());
    feed_all(&mut offline, &x, 4096);
    let expected = offline.snapshot();
    assert!(expected.models[0].updates > 4);
    assert_eq!(timeless(&live.models), timeless(&expected.models));
}

#[test]
fn a_transport_reset_clears_history_at_the_exact_sample() {
    let rate = 16_000;
    let a = signal(rate, 1.5);
    let b: Vec<f32> = signal(rate, 1.0).into_iter().rev().collect();
    let mut fresh = Engine::load(&band_energy_dir(), rate, &settings());
    feed_all(&mut fresh, &b, 1000);
    let expected = fresh.snapshot().models;

    let (mut input, mut worker, mut reader) = start(rate, 10.0);
    input.push(&[a.as_slice()]);
    input.reset();
    input.push(&[b.as_slice()]);
    let live = wait_for(&mut reader, b.len() as f64 / f64::from(rate));
    worker.stop();
    assert_eq!(timeless(&live.models), timeless(&expected));
}

#[test]
fn two_stage_models_run_the_encoder_per_segment_and_the_head_over_the_sequence() {
    let manifest = Manifest::load(&two_stage_dir()).unwrap();
    let rate = manifest.frontend.sample_rate; // no resampling: frames equal the batch frontend's
    let x = signal(rate, 2.0);
    let settings = EngineSettings { smoothing: 0.0, ..settings() };
    let mut engine = Engine::load(&two_stage_dir(), rate, &settings);
    assert!(engine.status_mut().messages.is_empty(), "{:?}", engine.status_mut().messages);
    let updates = feed_all(&mut engine, &x, 777);

    let logmel = BatchFrontend::new(&manifest.frontend).unwrap().process(&x);
    let (frames, hop, keep) = (manifest.segment.frames, manifest.segment.hop_frames, 4);
    let regions = [(0usize, 16usize), (16, 40), (40, 64)];
    assert!(updates.len() >= 6);
    for (k, (_, readout)) in updates.iter().enumerate() {
        // Embedding j = time-mean of segment j; the head averages the last `keep` embeddings.
        let first = k.saturating_sub(keep - 1);
        let mut mean = vec![0.0f64; 64];
        for j in first..=k {
            let segment = logmel.slice(ndarray::s![j * hop..j * hop + frames, ..]);
            for (m, column) in segment.columns().into_iter().enumerate() {
                mean[m] += column.iter().map(|&v| f64::from(v)).sum::<f64>() / frames as f64 / (k - first + 1) as f64;
            }
        }
        let logits: Vec<f64> =
            regions.iter().map(|&(lo, hi)| 0.25 * mean[lo..hi].iter().sum::<f64>() / (hi - lo) as f64).collect();
        let max = logits.iter().copied().fold(f64::MIN, f64::max);
        let total: f64 = logits.iter().map(|l| (l - max).exp()).sum();
        for (c, l) in logits.iter().enumerate() {
            let expected = (l - max).exp() / total;
            assert!((f64::from(readout.raw[c]) - expected).abs() < 1e-4, "update {k}, class {c}");
        }
        assert!((readout.stream_seconds - ((k * hop + frames) as f64 * manifest.frontend.hop_seconds())).abs() < 1e-9);
    }
}

#[test]
fn short_files_still_get_a_readout_offline() {
    let mut engine = Engine::load(&band_energy_dir(), 22_050, &settings());
    let timeline = analyze(&mut engine, &signal(22_050, 0.1), |_| {});
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].readout.ranked()[0].0, "low");
}

/// A file whose signal stops (and the gate closes) before the first segment fills — a 0.2 s sound, then silence,
/// against a 0.51 s window — still gets its one readout at the end; a silent file still gets none.
#[test]
fn a_file_whose_signal_stops_before_the_first_segment_fills_still_gets_a_readout_offline() {
    let mut engine = Engine::load(&band_energy_dir(), 22_050, &settings());
    let mut audio = signal(22_050, 0.2);
    audio.extend(std::iter::repeat_n(0.0, (22_050.0 * 0.6) as usize));
    assert_eq!(analyze(&mut engine, &audio, |_| {}).len(), 1);
    let mut silent = Engine::load(&band_energy_dir(), 22_050, &settings());
    assert!(analyze(&mut silent, &vec![0.0; 22_050], |_| {}).is_empty());
}

#[test]
fn missing_models_are_messages_not_failures() {
    let empty = tempfile::tempdir().unwrap();
    let mut engine = Engine::load(empty.path(), 48_000, &settings());
    assert!(engine.snapshot().models.is_empty());
    assert!(engine.status_mut().messages.iter().any(|m| m.contains("no models found")));
    // Feeding audio to an engine without models is harmless.
    engine.feed(&[0.0; 1024], |_, _| panic!("no model, no update"));
}

#[test]
fn several_instances_run_side_by_side_and_stop_cleanly() {
    let x = signal(48_000, 1.0);
    let mut workers = Vec::new();
    for _ in 0..3 {
        let (mut input, worker, reader) = start(48_000, 5.0);
        input.push(&[x.as_slice()]);
        workers.push((input, worker, reader));
    }
    for (_, worker, reader) in &mut workers {
        let snapshot = wait_for(reader, 1.0);
        assert!(snapshot.models[0].updates > 0);
        worker.stop();
    }
    // After the worker is gone the audio thread's side keeps working (it only counts drops).
    let (input, _, _) = &mut workers[0];
    input.push(&[x.as_slice()]);
}

/// Automation of the update interval and smoothing lands in a running worker without a reload. The interval
/// goes from 1 s to 0.1 s: ten times the updates afterwards (a worker that read the settings only at start
/// would give two in the next two seconds), and smoothing switched off makes the readout the raw scores.
#[test]
fn automated_settings_apply_without_reloading() {
    let rate = 16_000;
    let x = signal(rate, 3.0);
    let slow = EngineSettings { update_interval: 1.0, smoothing: 1.0, ..settings() };
    let live = std::sync::Arc::new(LiveSettings::new(&slow));
    let Spawned { mut input, mut handle, mut readers } =
        spawn(band_energy_dir(), rate, slow, live.clone(), 10.0, 2).unwrap();
    input.push(&[&x[..rate as usize]]);
    let first = wait_for(&mut readers[0], 1.0);
    live.set_update_interval(0.1);
    live.set_smoothing(0.0);
    std::thread::sleep(Duration::from_millis(50));
    input.push(&[&x[rate as usize..]]);
    let second = wait_for(&mut readers[0], 3.0);
    let other = wait_for(&mut readers[1], 3.0);
    handle.stop();
    let new_updates = second.models[0].updates - first.models[0].updates;
    assert!(new_updates >= 15, "{new_updates} updates in the 2 s after the interval went from 1 s to 0.1 s");
    assert_eq!(second.models[0].scores, second.models[0].raw, "smoothing switched off live");
    assert_eq!(timeless(&second.models), timeless(&other.models), "both readers see the same snapshots");
}

/// Automation that lands while the worker is still loading its models (a host automating from the first block)
/// is applied too: the worker compares the live values with what its engine was loaded with. Here the engine is
/// loaded with a 1 s interval while the live value already says 0.1 s — as when automation lands during loading.
#[test]
fn automation_during_model_loading_is_not_lost() {
    let rate = 16_000;
    let x = signal(rate, 2.0);
    let slow = EngineSettings { update_interval: 1.0, ..settings() };
    let live = std::sync::Arc::new(LiveSettings::new(&EngineSettings { update_interval: 0.1, ..slow.clone() }));
    let Spawned { mut input, mut handle, mut readers } = spawn(band_energy_dir(), rate, slow, live, 10.0, 1).unwrap();
    input.push(&[x.as_slice()]);
    let done = wait_for(&mut readers[0], 2.0);
    handle.stop();
    assert!(done.models[0].updates >= 10, "{} updates in 2 s at a 0.1 s interval", done.models[0].updates);
}

/// `seconds` of near-silence: a tone about 14 dB under the gate's level.
fn quiet(rate: u32, seconds: f32) -> Vec<f32> {
    signal(rate, seconds).iter().map(|x| x * 2e-4).collect()
}

/// Below −60 dBFS for longer than one update the models stop (readouts held, the status says so); signal brings
/// them back without a reload; and the gate's decisions do not depend on the block size.
#[test]
fn silence_stops_the_models_and_signal_brings_them_back() {
    let rate = 16_000;
    let mut x = signal(rate, 1.0);
    x.extend(quiet(rate, 2.0));
    let resume_at = x.len();
    x.extend(signal(rate, 1.0));
    let mut engine = Engine::load(&band_energy_dir(), rate, &settings());
    let updates = feed_all(&mut engine, &x[..rate as usize], 1000);
    assert!(updates.len() >= 2 && engine.snapshot().status.signal);
    let held = engine.snapshot().models[0].clone();
    let during = feed_all(&mut engine, &x[rate as usize..resume_at], 1000);
    let status = engine.snapshot().status;
    assert!(during.len() <= 2, "{} updates in 2 s of silence (the hold is one 0.25 s update)", during.len());
    assert!(!status.signal && (status.silent_seconds - 2.0).abs() < 0.02, "{status:?}");
    let kept = &engine.snapshot().models[0];
    assert_eq!(kept.updates, held.updates + during.len() as u64, "no update after the gate closed");
    assert!(kept.is_ready(), "the last readout is held (the CCs keep it)");
    let after = feed_all(&mut engine, &x[resume_at..], 1000);
    assert!(after.len() >= 3 && engine.snapshot().status.signal, "{} updates after the signal came back", after.len());
    assert_eq!(after[0].1.scores, after[0].1.raw, "smoothing restarts: the first readout is the new audio's own");

    let reference = feed_all(&mut Engine::load(&band_energy_dir(), rate, &settings()), &x, 4096);
    for block in [1, 333, 8192] {
        let updates = feed_all(&mut Engine::load(&band_energy_dir(), rate, &settings()), &x, block);
        let strip = |u: &[(usize, ModelReadout)]| timeless(&u.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>());
        assert_eq!(strip(&updates), strip(&reference), "block {block}");
    }
}

#[test]
fn the_models_folder_setting_switches_and_clearing_it_returns_to_the_default() {
    let rate = 16_000;
    let custom = EngineSettings { models_dir: Some(two_stage_dir()), ..settings() };
    let live = std::sync::Arc::new(LiveSettings::new(&custom));
    let Spawned { mut input, mut handle, mut readers } =
        spawn(band_energy_dir(), rate, custom.clone(), live, 10.0, 1).unwrap();
    let x = signal(rate, 1.0);
    input.push(&[x.as_slice()]);
    let first = wait_for(&mut readers[0], 1.0);
    assert_eq!(first.models[0].name, "band-energy-two-stage", "the user's folder wins over the default");
    handle.send(earmark_core::engine::worker::Command::Settings(EngineSettings { models_dir: None, ..custom }));
    let deadline = Instant::now() + Duration::from_secs(30);
    let name = loop {
        let snapshot = readers[0].read().clone();
        if snapshot.models.first().is_some_and(|m| m.name == "band-energy") || Instant::now() > deadline {
            break snapshot.models.first().map(|m| m.name.clone());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    handle.stop();
    assert_eq!(name.as_deref(), Some("band-energy"), "clearing the folder returns to the default models");
}

/// The band-energy model with its manifest edited, in a temporary models folder.
fn band_energy_variant(edit: impl FnOnce(&mut Manifest)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(band_energy_dir().join("band-energy/model.onnx"), dir.path().join("model.onnx")).unwrap();
    let mut manifest = Manifest::load(&band_energy_dir().join("band-energy")).unwrap();
    edit(&mut manifest);
    std::fs::write(dir.path().join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    dir
}

/// Every readout's raw scores for `x`, offline.
fn raw_readouts(dir: &Path, rate: u32, x: &[f32]) -> Vec<Vec<f32>> {
    let mut engine = Engine::load(dir, rate, &settings());
    assert!(engine.status_mut().messages.is_empty(), "{:?}", engine.status_mut().messages);
    analyze(&mut engine, x, |_| {}).into_iter().map(|u| u.readout.raw).collect()
}

/// `seconds` of a 3.5 kHz tone at −6 dBFS.
fn tone(rate: u32, seconds: f32) -> Vec<f32> {
    let len = (rate as f32 * seconds) as usize;
    // The phase is reduced exactly (3500 · n mod rate), so the tone stays as clean at 3 s as at 0 s: an f32
    // phase that grows with n smears it into the low bands over time.
    (0..len).map(|n| 0.5 * (std::f32::consts::TAU * ((3500 * n) % rate as usize) as f32 / rate as f32).sin()).collect()
}

/// A model whose manifest declares a voicing cut (vocal emotion) sees a short take with silence around it as if
/// the take filled its whole segment: the engine cuts and repeats exactly as training did. The band-energy
/// model averages energy over the segment, so silence left in the segment would pull its output far away
/// (measured: 0.38 away without the cut, 0.07 with it; the take's onset and release frames are what is left).
#[test]
fn a_voiced_model_sees_a_short_take_as_if_it_filled_the_segment() {
    let rate = 16_000;
    let voiced = band_energy_variant(|m| {
        m.segment.voicing = Some(earmark_core::voicing::Voicing { below_peak_db: 40.0, margin_frames: 0 })
    });
    let first_raw = |dir: &Path, x: &[f32]| raw_readouts(dir, rate, x)[0].clone();
    let mut take = vec![0.0; rate as usize / 10];
    take.extend(tone(rate, 0.15));
    take.extend(vec![0.0; rate as usize / 5]);
    let filled = first_raw(&band_energy_dir(), &tone(rate, 0.6));
    let plain = first_raw(&band_energy_dir(), &take);
    let cut = first_raw(voiced.path(), &take);
    let distance = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(distance(&cut, &filled) < 0.1, "voiced {cut:?} vs a segment full of tone {filled:?}");
    assert!(distance(&plain, &filled) > 0.25, "without the cut the silence shows: {plain:?} vs {filled:?}");
}

/// A file shorter than a model's window is read as more of itself, not as sound followed by silence: a 0.3 s
/// tone against the 0.51 s window reads as a segment full of tone does. The band-energy model averages energy
/// over the segment, so silence padding would pull it far away.
#[test]
fn a_file_shorter_than_the_window_is_read_as_if_it_went_on() {
    let rate = 16_000;
    let short = raw_readouts(&band_energy_dir(), rate, &tone(rate, 0.3));
    assert_eq!(short.len(), 1, "one readout at the end");
    let filled = raw_readouts(&band_energy_dir(), rate, &tone(rate, 0.6))[0].clone();
    let distance = short[0].iter().zip(&filled).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(distance < 0.1, "short {:?} vs a segment full of tone {filled:?}", short[0]);
}

/// A model that declares speaker normalisation reads a voice against the voice's own running average: a steady
/// tone is its own average, so the band-energy model, which says which region holds the most energy, finds no
/// region above the others (a third each) where without the normalisation it reads "high" at 0.84; and the
/// first segment sets the estimate, so this holds from the first readout.
#[test]
fn a_speaker_normalised_model_reads_a_voice_against_its_own_average() {
    let rate = 16_000;
    let voicing = earmark_core::voicing::Voicing { below_peak_db: 40.0, margin_frames: 0 };
    let normalised = band_energy_variant(|m| {
        m.segment.voicing = Some(voicing);
        m.segment.speaker_norm = Some(earmark_core::speaker::SpeakerNorm { time_constant_seconds: 30.0 });
    });
    let steady = tone(rate, 3.0);
    let readouts = raw_readouts(normalised.path(), rate, &steady);
    assert!(readouts.len() >= 8, "{} readouts", readouts.len());
    for raw in &readouts {
        assert!(raw.iter().all(|p| (p - 1.0 / 3.0).abs() < 0.02), "a steady voice is its own average: {raw:?}");
    }
    let plain = raw_readouts(band_energy_variant(|m| m.segment.voicing = Some(voicing)).path(), rate, &steady);
    assert!(plain[0][2] > 0.8, "without the normalisation the tone reads high: {:?}", plain[0]);
}

/// A models folder holding `count` copies of the band-energy model (distinct folders, the same frontend).
fn band_energy_copies(count: usize) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for i in 0..count {
        let dir = root.path().join(format!("copy-{i}"));
        std::fs::create_dir(&dir).unwrap();
        for file in ["manifest.json", "model.onnx"] {
            std::fs::copy(band_energy_dir().join("band-energy").join(file), dir.join(file)).unwrap();
        }
    }
    root
}

/// Engines loading the same folder share its model (sessions included): two engines, at two host rates, hold one
/// model between them, and it is released when the last of them goes, in either order.
#[test]
fn engines_share_each_model_and_the_last_one_releases_it() {
    use earmark_core::model_cache::ModelCache;
    let root = band_energy_copies(1);
    let model_dir = root.path().join("copy-0");
    let cache = ModelCache::global();
    for first_goes_first in [true, false] {
        assert_eq!(cache.holders(&model_dir), 0, "nothing loaded yet");
        let a = Engine::load(root.path(), 48_000, &settings());
        assert_eq!(cache.holders(&model_dir), 1);
        let b = Engine::load(root.path(), 22_050, &settings());
        assert_eq!(cache.holders(&model_dir), 2, "the second engine got the first one's model, not a new load");
        let (first, second) = if first_goes_first { (a, b) } else { (b, a) };
        drop(first);
        assert_eq!(cache.holders(&model_dir), 1);
        drop(second);
        assert_eq!(cache.holders(&model_dir), 0, "the last engine released it");
    }
}

/// Models trained with the same frontend get their frames from one frontend, and read exactly what a model alone
/// in its engine reads.
#[test]
fn models_with_one_frontend_share_it_and_read_what_they_read_alone() {
    let x = signal(44_100, 3.0);
    let alone = raw_readouts(&band_energy_dir(), 44_100, &x);
    let root = band_energy_copies(3);
    let mut engine = Engine::load(root.path(), 44_100, &settings());
    assert_eq!(engine.snapshot().models.len(), 3);
    assert_eq!(engine.frontend_count(), 1, "three models, one frontend configuration, one frontend");
    let timeline = analyze(&mut engine, &x, |_| {});
    for model in 0..3 {
        let raw: Vec<Vec<f32>> = timeline.iter().filter(|u| u.model == model).map(|u| u.readout.raw.clone()).collect();
        assert_eq!(raw, alone, "model {model} read something else than the model alone");
    }
}

/// The band-energy model as `task` with `classes` (its three outputs: low, mid, high band energy), in `root/name`.
fn band_energy_as(root: &Path, name: &str, task: earmark_core::manifest::Task, classes: [&str; 3]) {
    let dir = root.join(name);
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(band_energy_dir().join("band-energy/model.onnx"), dir.join("model.onnx")).unwrap();
    let mut manifest = Manifest::load(&band_energy_dir().join("band-energy")).unwrap();
    manifest.name = name.into();
    manifest.task = task;
    manifest.labels.classes = classes.iter().map(|c| c.to_string()).collect();
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}

/// Vocal emotion runs only while a voice is heard. A content model reads "speech" on the low tone and "music" on
/// the high one (band energies standing in for the real model's outputs); the vocal-emotion model updates
/// through the low two seconds and stops once the content model hears music (measured: last update at 2.83 s). Without the content model nothing can
/// tell a voice, and it runs throughout.
#[test]
fn vocal_emotion_runs_only_while_a_voice_is_heard() {
    use earmark_core::manifest::Task;
    let rate = 16_000;
    let x = signal(rate, 4.0); // low for 2 s, then high
    let vocal_updates = |with_content: bool| {
        let root = tempfile::tempdir().unwrap();
        band_energy_as(root.path(), "voice", Task::VocalEmotion, ["neutral", "anger", "sadness"]);
        if with_content {
            band_energy_as(root.path(), "content", Task::Content, ["speech", "mid", "music"]);
        }
        let mut engine = Engine::load(root.path(), rate, &settings());
        let vocal = engine.snapshot().roles.vocal.expect("a vocal-emotion model");
        let ends: Vec<f64> = analyze(&mut engine, &x, |_| {})
            .into_iter()
            .filter(|u| u.model == vocal)
            .map(|u| u.readout.stream_seconds)
            .collect();
        // The content readout (smoothed over 1 s) reads music about 0.9 s after the tone changes.
        (ends.iter().filter(|&&t| t <= 2.0).count(), ends.iter().filter(|&&t| t > 3.0).count())
    };
    let (low, high) = vocal_updates(false);
    assert!(low >= 4 && high >= 4, "without a content model: {low} updates on the low tone, {high} on the high");
    let (low, high) = vocal_updates(true);
    assert!(low >= 2, "a voice (speech) is heard on the low tone: {low} updates");
    assert_eq!(high, 0, "music, no voice: the vocal-emotion model does not run");
}

/// A readout nobody can see updates every `UNWATCHED_SECONDS` instead of every update interval, and one that
/// gates a watched readout (content gating genre) keeps its full rate.
#[test]
fn unwatched_readouts_update_slowly_and_gates_follow_what_they_gate() {
    use earmark_core::engine::watch::{Readout, UNWATCHED_SECONDS, Watched};
    use earmark_core::manifest::Task;
    let rate = 16_000;
    let seconds = 12.0;
    let x: Vec<f32> = tone(rate, seconds);
    let root = tempfile::tempdir().unwrap();
    band_energy_as(root.path(), "genre", Task::Genre, ["low", "mid", "high"]);
    band_energy_as(root.path(), "content", Task::Content, ["speech", "mid", "music"]);
    band_energy_as(root.path(), "style", Task::Style, ["slow", "mid", "fast"]);
    let updates = |watched: Watched| {
        let mut engine = Engine::load(root.path(), rate, &settings());
        engine.set_watched(watched);
        let snapshot = engine.snapshot();
        let timeline = analyze(&mut engine, &x, |_| {});
        let count = |name: &str| {
            let index = snapshot.models.iter().position(|m| m.name == name).unwrap();
            timeline.iter().filter(|u| u.model == index).count()
        };
        (count("genre"), count("content"), count("style"))
    };
    let watched = updates(Watched::ALL);
    let full = (f64::from(seconds) / settings().update_interval) as usize;
    // Less the first segment's filling (about 0.7 s).
    assert!(watched.0 + 4 >= full && watched.1 + 4 >= full && watched.2 + 4 >= full, "{watched:?} of {full}");
    let (genre, content, style) = updates(Watched::NONE.with(Readout::Genre));
    assert_eq!((genre, content), (watched.0, watched.1), "genre is watched, and content gates it");
    let slow = (f64::from(seconds) / UNWATCHED_SECONDS) as usize;
    assert!((slow - 1..=slow).contains(&style), "unwatched style: {style} updates in {seconds} s");
}
