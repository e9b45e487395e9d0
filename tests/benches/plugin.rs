//! Plugin cost, measured in a real CLAP host: `cargo build --release -p earmark && cargo bench -p earmark-e2e`.
//!
//! Prints (asserts nothing): audio-thread time per block as a fraction of the block's duration at 64 and 512
//! samples (goal ≤ 1 %); whole-plugin CPU time (audio thread + worker pool + ONNX Runtime) per second of audio
//! at default settings with every model in `models/`, for 1, 8 and 32 instances in one host process, each on
//! its own audio, paced at real time (goal: 32 instances ≤ 1 core in all), with each instance's CC count (every
//! readout live) and whether its audio came back bit-exact; and per model, the inference cost per second of
//! audio (the engine alone, offline, at the default update interval). Each instance's dropped audio comes from
//! the plugin's activation log (`EARMARK_ACTIVATION_LOG`, set here to a temporary file): frames the worker pool
//! fell too far behind to analyse. `EARMARK_BENCH_INSTANCES` (e.g. `1,8,32`)
//! and `EARMARK_BENCH_SECONDS` (default 20) change the multi-instance runs.

use std::time::Instant;

use earmark_e2e::PluginHost;

const RATE: u32 = 48_000;

fn music_like(seconds: f32) -> Vec<f32> {
    music_like_in(seconds, 0)
}

/// Music-like audio of its own for instance `k`: another seed, another key and tempo.
fn music_like_in(seconds: f32, k: usize) -> Vec<f32> {
    let mut state = 0x2468_ace1u32 ^ (k as u32).wrapping_mul(0x9e37_79b9);
    let key = 2f32.powf((k % 12) as f32 / 12.0);
    let rate = 1.5 + (k % 5) as f32 * 0.5;
    (0..(RATE as f32 * seconds) as usize)
        .map(|n| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let t = n as f32 / RATE as f32;
            let note = key * [220.0, 277.2, 329.6, 440.0][(t * rate) as usize % 4];
            0.3 * (std::f32::consts::TAU * note * t).sin() + 0.05 * (state as f32 / u32::MAX as f32 - 0.5)
        })
        .collect()
}

/// CPU time (user + system) this process has used, in seconds.
fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn main() {
    let log_dir = tempfile::tempdir().expect("temporary folder");
    let log = log_dir.path().join("activations.jsonl");
    // SAFETY: set before any plugin instance or thread exists.
    unsafe { std::env::set_var("EARMARK_ACTIVATION_LOG", &log) };
    println!("plugin: {}", earmark_e2e::plugin_library().display());
    println!("audio thread, {RATE} Hz stereo, 20 s of audio per block size:");
    for block in [64usize, 512] {
        let mut host = PluginHost::new(f64::from(RATE), block, 2);
        let x = music_like(20.0);
        let mut times = Vec::with_capacity(x.len() / block);
        for chunk in x.chunks(block) {
            let input = [chunk.to_vec(), chunk.to_vec()];
            let started = Instant::now();
            host.process(&input, block);
            times.push(started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let block_seconds = block as f64 / f64::from(RATE);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let p99 = times[times.len() * 99 / 100];
        println!(
            "  block {block:>4}: mean {:.2} µs = {:.3} % of the block, p99 {:.2} µs = {:.3} %",
            mean * 1e6,
            100.0 * mean / block_seconds,
            p99 * 1e6,
            100.0 * p99 / block_seconds
        );
    }

    // Whole plugin at real time (paced), so the worker does exactly what it would in a DAW.
    let seconds = 20.0;
    let mut host = PluginHost::new(f64::from(RATE), 512, 2);
    let x = music_like(seconds);
    host.process(&[x[..RATE as usize].to_vec(), x[..RATE as usize].to_vec()], 512); // warm-up second
    host.drain_readouts(5, 100);
    let cpu_before = process_cpu_seconds();
    let wall = Instant::now();
    let rest = &x[RATE as usize..];
    host.process_paced(&[rest.to_vec(), rest.to_vec()], 512, f64::from(RATE), 1.0);
    let cpu = process_cpu_seconds() - cpu_before;
    let audio = rest.len() as f64 / f64::from(RATE);
    println!(
        "whole plugin (audio thread + worker + ONNX Runtime, default settings, models in models/): \
         {:.3} s CPU for {audio:.0} s of audio = {:.2} % of one core (wall {:.1} s, host loop included)",
        cpu,
        100.0 * cpu / audio,
        wall.elapsed().as_secs_f64()
    );
    println!("CC messages received: {}", host.ccs.len());

    let counts: Vec<usize> = std::env::var("EARMARK_BENCH_INSTANCES")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 8, 32]);
    let seconds: f32 = std::env::var("EARMARK_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20.0);
    println!();
    println!("many instances in one host process, paced at real time, {seconds} s of audio each, block 512:");
    println!(
        "| instances | CPU (s) | % of one core in all | % per instance | CCs per instance (min) | audio bit-exact | samples dropped (all instances) |"
    );
    println!("|---:|---:|---:|---:|---:|---|---:|");
    for &count in &counts {
        many_instances(count, seconds, &log);
    }
    println!();
    println!("the worker pool alone (earmark-core, same engine), paced at real time, {seconds} s of audio each:");
    println!("| instances | pool threads | lag, mean of instances' worst (ms) | worst lag (ms) | dropped samples |");
    println!("|---:|---:|---:|---:|---:|");
    for &count in &counts {
        pool_latency(count, seconds);
    }
    println!();
    inference_per_model();
}

/// How far each instance's analysis trails its audio (the status line's "lag"), for `count` instances fed at
/// real-time pace through the worker pool.
fn pool_latency(count: usize, seconds: f32) {
    use earmark_core::engine::worker::{Spawned, pool_size, spawn};
    use earmark_core::engine::{EngineSettings, LiveSettings};
    const BLOCK: usize = 512;
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let settings = EngineSettings::default();
    let mut instances: Vec<_> = (0..count)
        .map(|_| {
            let live = std::sync::Arc::new(LiveSettings::new(&settings));
            let Spawned { input, handle, mut readers } =
                spawn(models.clone(), RATE, settings.clone(), live, 4.0, 1).expect("a worker");
            (input, handle, readers.pop().expect("one reader"))
        })
        .collect();
    let audio: Vec<Vec<f32>> = (0..count).map(|k| music_like_in(seconds + 1.0, k)).collect();
    let mut worst = vec![0.0f64; count];
    let started = Instant::now();
    for (b, start) in (0..audio[0].len()).step_by(BLOCK).enumerate() {
        for (k, (input, _, reader)) in instances.iter_mut().enumerate() {
            let x = &audio[k][start..(start + BLOCK).min(audio[k].len())];
            input.push(&[x, x]);
            // The first second loads the models: not counted.
            if start > RATE as usize {
                worst[k] = worst[k].max(reader.read().status.lag_seconds);
            }
        }
        let due = std::time::Duration::from_secs_f64((b + 1) as f64 * BLOCK as f64 / f64::from(RATE));
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let dropped: u64 = instances.iter_mut().map(|(_, _, reader)| reader.read().status.dropped_samples).sum();
    let mean = worst.iter().sum::<f64>() / count as f64;
    let max = worst.iter().copied().fold(0.0, f64::max);
    println!("| {count} | {} | {:.0} | {:.0} | {dropped} |", pool_size(), 1000.0 * mean, 1000.0 * max);
    instances.clear();
}

/// Instances that logged an activation with audio, and the frames they dropped in all, from the activation log
/// (emptied after reading).
fn dropped_in_log(log: &std::path::Path) -> (usize, u64) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let _ = std::fs::remove_file(log);
    let entries: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let with_audio = entries.iter().filter(|e| e["samples_in"].as_u64().unwrap_or(0) > 0);
    (with_audio.clone().count(), with_audio.map(|e| e["dropped_samples"].as_u64().unwrap_or(0)).sum())
}

/// `count` instances, each on its own audio, processed block by block in turn at real-time pace.
fn many_instances(count: usize, seconds: f32, log: &std::path::Path) {
    let _ = std::fs::remove_file(log);
    const BLOCK: usize = 512;
    let mut hosts: Vec<PluginHost> = (0..count).map(|_| PluginHost::new(f64::from(RATE), BLOCK, 2)).collect();
    let audio: Vec<Vec<f32>> = (0..count).map(|k| music_like_in(seconds + 1.0, k)).collect();
    // A second each to load the models and warm up, not measured.
    for (host, x) in hosts.iter_mut().zip(&audio) {
        host.process(&[x[..RATE as usize].to_vec(), x[..RATE as usize].to_vec()], BLOCK);
    }
    for host in &mut hosts {
        host.drain_readouts(5, 300);
    }
    let ccs_before: Vec<usize> = hosts.iter().map(|h| h.ccs.len()).collect();
    let mut exact = true;
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let len = audio[0].len();
    for (b, start) in (RATE as usize..len).step_by(BLOCK).enumerate() {
        let end = (start + BLOCK).min(len);
        for (host, x) in hosts.iter_mut().zip(&audio) {
            let block = x[start..end].to_vec();
            let out = host.process(&[block.clone(), block.clone()], BLOCK);
            exact &= out[0].iter().zip(&block).all(|(a, b)| a.to_bits() == b.to_bits());
        }
        let due = std::time::Duration::from_secs_f64((b + 1) as f64 * BLOCK as f64 / f64::from(RATE));
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let cpu = process_cpu_seconds() - cpu_before;
    let audio_seconds = (len - RATE as usize) as f64 / f64::from(RATE);
    let ccs = hosts.iter().zip(&ccs_before).map(|(h, before)| h.ccs.len() - before).min().unwrap_or(0);
    // Deactivating every instance writes its accounting.
    hosts.clear();
    let (logged, dropped) = dropped_in_log(log);
    println!(
        "| {count} | {cpu:.2} | {:.1} | {:.2} | {ccs} | {} | {dropped} ({logged} of {count} instances logged) |",
        100.0 * cpu / audio_seconds,
        100.0 * cpu / audio_seconds / count as f64,
        if exact { "yes" } else { "NO" }
    );
}

/// Per model in `models/`: the engine alone over 20 s of audio at the default update interval, as CPU time per
/// second of audio.
fn inference_per_model() {
    use earmark_core::engine::offline::analyze;
    use earmark_core::engine::{Engine, EngineSettings, find_model_dirs};
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let x = music_like(20.0);
    println!("per model, the engine alone at 48 kHz, default settings (ms of one core per second of audio):");
    println!("| model | ms per s of audio | updates |");
    println!("|---|---:|---:|");
    for dir in find_model_dirs(&models) {
        let alone = tempfile::tempdir().expect("temp folder");
        let link = alone.path().join(dir.file_name().expect("a folder name"));
        std::os::unix::fs::symlink(&dir, &link).expect("symlink");
        let mut engine = Engine::load(alone.path(), RATE, &EngineSettings::default());
        let started = process_cpu_seconds();
        let updates = analyze(&mut engine, &x, |_| {}).len();
        let cpu = process_cpu_seconds() - started;
        println!("| {} | {:.2} | {updates} |", dir.file_name().unwrap().to_string_lossy(), 1000.0 * cpu / 20.0);
    }
}
