//! Catalogue throughput of `earmark analyze`: `cargo bench -p earmark-cli --bench catalogue`.
//!
//! Writes a generated catalogue (WAV files of varied length, rate, channel count and sample format: a few
//! musical parts, drum-like bursts and noise, each file its own seed) to a temporary folder, adds the audio files
//! of `EARMARK_BENCH_EXTRA` if set (a folder of real recordings: ogg, mp3, flac), and runs the built `earmark
//! analyze --format jsonl` over it with the shipped models, once per job count. Prints per run: wall time, CPU
//! time, real-time factor in total and per core (audio seconds per CPU second), and the peak memory of the
//! process. Asserts nothing: speed goals are read, not tested.
//!
//! `EARMARK_BENCH_FILES` (default 60) and `EARMARK_BENCH_SECONDS` (longest file, default 180 s) size the catalogue;
//! `EARMARK_BENCH_JOBS` (default `1,<cores>`) and `EARMARK_BENCH_INTERVALS` (default `model,0.5`: analyze's default,
//! each model at its own segment hop, then the plugin's update interval) choose the runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn env_list<T: std::str::FromStr>(name: &str, default: Vec<T>) -> Vec<T> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect::<Vec<T>>())
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
}

/// xorshift32: reproducible without a dependency.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as f32 / u32::MAX as f32
    }
}

/// One generated track: a bass line, a chord pad, a melody, drum-like bursts and a little noise, at a tempo and
/// key of its own.
fn track(seed: u32, rate: u32, seconds: f32) -> Vec<f32> {
    let mut noise = Noise(seed.wrapping_mul(2_654_435_761).max(1));
    let beat = 60.0 / (70.0 + 90.0 * noise.next());
    let root = 55.0 * 2f32.powf((noise.next() * 12.0).floor() / 12.0);
    let scale = [0, 2, 4, 5, 7, 9, 11, 12];
    let mut notes: Vec<f32> = (0..64).map(|_| scale[(noise.next() * 8.0) as usize % 8] as f32).collect();
    notes.iter_mut().for_each(|n| *n = root * 4.0 * 2f32.powf(*n / 12.0));
    let tau = std::f32::consts::TAU;
    (0..(rate as f32 * seconds) as usize)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let step = (t / beat) as usize;
            let in_beat = t - step as f32 * beat;
            let bass = 0.25 * (tau * root * t).sin();
            let pad = 0.08 * [1.0, 1.26, 1.5].iter().map(|r| (tau * root * 2.0 * r * t).sin()).sum::<f32>();
            let melody = 0.2 * (tau * notes[step % notes.len()] * t).sin() * (-3.0 * in_beat).exp();
            let drum =
                if step.is_multiple_of(2) { 0.4 * (-30.0 * in_beat).exp() * (tau * 60.0 * t).sin() } else { 0.0 };
            bass + pad + melody + drum + 0.1 * (-40.0 * in_beat).exp() * (noise.next() - 0.5) + 0.01 * noise.next()
        })
        .collect()
}

/// The generated catalogue's files: (rate, channels, format) cycle so every combination appears.
fn write_catalogue(dir: &Path, files: usize, longest: f32) -> f64 {
    let formats = [(16, hound::SampleFormat::Int), (24, hound::SampleFormat::Int), (32, hound::SampleFormat::Float)];
    let rates = [44_100, 48_000, 22_050, 16_000, 96_000];
    let mut total = 0.0;
    let mut lengths = Noise(7);
    for i in 0..files {
        // Mostly song-length files, some short ones (jingles, stems) and a few long ones.
        let seconds = (5.0 + lengths.next().powi(2) * (longest - 5.0)).round();
        let rate = rates[i % rates.len()];
        let channels = 1 + (i % 2) as u16;
        let (bits, format) = formats[i % formats.len()];
        let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample: bits, sample_format: format };
        let mut writer = hound::WavWriter::create(dir.join(format!("track-{i:04}.wav")), spec).expect("temp folder");
        let scale = ((1i64 << (bits - 1)) - 1) as f32;
        for s in track(i as u32 + 1, rate, seconds) {
            for _ in 0..channels {
                match format {
                    hound::SampleFormat::Float => writer.write_sample(s).unwrap(),
                    hound::SampleFormat::Int => writer.write_sample((s.clamp(-1.0, 1.0) * scale) as i32).unwrap(),
                }
            }
        }
        writer.finalize().unwrap();
        total += f64::from(seconds);
    }
    total
}

/// Runs `command` to its end; returns whether it succeeded, its CPU seconds (user + system) and its peak resident
/// memory in KiB, from `wait4` (the child's own figures, not the sum over earlier runs).
fn run_measured(command: &mut Command) -> (bool, f64, i64) {
    let child = command.spawn().expect("the earmark binary runs");
    let pid = child.id() as libc::pid_t;
    // SAFETY: wait4 reaps our own child and fills the status and rusage we pass; `child` is not waited on again.
    let (status, usage) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(pid, &mut status, 0, &mut usage);
        (status, usage)
    };
    std::mem::forget(child);
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        seconds(usage.ru_utime) + seconds(usage.ru_stime),
        usage.ru_maxrss,
    )
}

/// Seconds of audio in the run's output (the files' own durations, as `analyze` measured them).
fn audio_seconds(jsonl: &Path) -> (usize, f64) {
    let text = std::fs::read_to_string(jsonl).unwrap_or_default();
    let seconds: Vec<f64> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| v["seconds"].as_f64())
        .collect();
    (seconds.len(), seconds.iter().sum())
}

fn main() {
    let files = env_or("EARMARK_BENCH_FILES", 60usize);
    let longest = env_or("EARMARK_BENCH_SECONDS", 180.0f32);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut jobs = env_list("EARMARK_BENCH_JOBS", vec![1, cores]);
    jobs.dedup();
    let intervals = env_list("EARMARK_BENCH_INTERVALS", vec!["model".to_string(), "0.5".to_string()]);
    let dir = tempfile::tempdir().expect("temp folder");
    let generated = write_catalogue(dir.path(), files, longest);
    let mut inputs: Vec<PathBuf> = vec![dir.path().to_path_buf()];
    if let Ok(extra) = std::env::var("EARMARK_BENCH_EXTRA") {
        inputs.push(PathBuf::from(extra));
    }
    println!(
        "catalogue: {files} generated WAV files ({:.2} h; 16/24-bit int and float, mono and stereo, 16–96 kHz){}; \
         {cores} cores; shipped models",
        generated / 3600.0,
        std::env::var("EARMARK_BENCH_EXTRA").map(|d| format!(" + the audio files of {d}")).unwrap_or_default()
    );
    println!();
    println!(
        "| update interval (s) | jobs | files | audio (h) | wall (s) | CPU (s) | × real time | × real time per core | peak memory (MiB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for interval in &intervals {
        // `model`: no --update-interval, so each model runs at its manifest's segment hop (analyze's default).
        let pace: Vec<&str> = if interval == "model" { vec![] } else { vec!["--update-interval", interval] };
        for &job_count in &jobs {
            let out = dir.path().join(format!("run-{interval}-{job_count}.jsonl"));
            let started = Instant::now();
            let (succeeded, cpu, peak_kib) = run_measured(
                Command::new(env!("CARGO_BIN_EXE_earmark"))
                    .arg("analyze")
                    .args(&inputs)
                    .args(["--format", "jsonl", "--jobs", &job_count.to_string()])
                    .args(&pace)
                    .arg("--out")
                    .arg(&out)
                    .stderr(std::process::Stdio::null()),
            );
            let wall = started.elapsed().as_secs_f64();
            let (analysed, audio) = audio_seconds(&out);
            if !succeeded {
                eprintln!("earmark analyze failed; the figures cover the {analysed} files written");
            }
            println!(
                "| {interval} | {job_count} | {analysed} | {:.2} | {wall:.1} | {cpu:.1} | {:.0} | {:.0} | {} |",
                audio / 3600.0,
                audio / wall,
                audio / cpu,
                peak_kib / 1024
            );
        }
    }
}
