//! Plugin cost, measured in a real CLAP host: `cargo build --release -p earmark && cargo bench -p earmark-e2e`.
//!
//! Prints (asserts nothing): audio-thread time per block as a fraction of the block's duration at 64 and 512
//! samples (goal ≤ 1 %), and whole-plugin CPU time (audio thread + worker + ONNX Runtime) per second of audio
//! at default settings with every model in `models/` (goal ≤ 3 % of one core).

use std::time::Instant;

use earmark_e2e::PluginHost;

const RATE: u32 = 48_000;

fn music_like(seconds: f32) -> Vec<f32> {
    let mut state = 0x2468_ace1u32;
    (0..(RATE as f32 * seconds) as usize)
        .map(|n| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let t = n as f32 / RATE as f32;
            let note = [220.0, 277.2, 329.6, 440.0][(t * 2.0) as usize % 4];
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
}
