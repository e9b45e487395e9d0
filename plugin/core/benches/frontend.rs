//! Frontend throughput: `cargo bench -p earmark-core --bench frontend`.
//!
//! For each librosa fixture configuration, on the same 60 s signal: our batch and streaming frontends (one
//! thread), librosa 0.11 (when a Python with librosa is found: `EARMARK_PYTHON`, `target/pyenv`, `.venv`, or
//! `python3`), and the FFT bound (window + real FFT + power spectrum over the same frames, no mel). Prints
//! figures; asserts nothing (speed goals are read, not tested).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use earmark_core::frontend::{BatchFrontend, FrontendConfig, StreamingFrontend};

const SECONDS: f32 = 60.0;
const REPEATS: usize = 7;

fn signal(rate: u32) -> Vec<f32> {
    let mut state = 0x1234_5678u32;
    (0..(rate as f32 * SECONDS) as usize)
        .map(|n| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let t = n as f32 / rate as f32;
            0.3 * (std::f32::consts::TAU * 220.0 * t).sin()
                + 0.2 * (std::f32::consts::TAU * (100.0 + 50.0 * t) * t).sin()
                + 0.05 * (state as f32 / u32::MAX as f32 - 0.5)
        })
        .collect()
}

/// Best-of-`REPEATS` frames per second of `work`, which returns the number of frames it produced.
fn frames_per_second(mut work: impl FnMut() -> usize) -> f64 {
    work();
    (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            let frames = work();
            frames as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn python_with_librosa(root: &Path) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("EARMARK_PYTHON").map(PathBuf::from),
        Some(root.join("target/pyenv/bin/python")),
        Some(root.join(".venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|python| Command::new(python).args(["-c", "import librosa"]).output().is_ok_and(|o| o.status.success()))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .expect("fixtures folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let signals_dir = tempfile::tempdir().expect("temporary folder");

    let mut rows = Vec::new();
    for name in &names {
        let config_path = fixtures.join(name).join("config.json");
        let config = FrontendConfig::from_json(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
        let x = signal(config.sample_rate);
        ndarray_npy::write_npy(signals_dir.path().join(format!("{name}.npy")), &ndarray::Array1::from(x.clone()))
            .unwrap();
        let mut batch = BatchFrontend::new(&config).unwrap();
        let rust = frames_per_second(|| batch.process(&x).nrows());
        let mut stream = StreamingFrontend::new(&config).unwrap();
        let streaming = frames_per_second(|| {
            let mut frames = 0;
            for block in x.chunks(512) {
                stream.push(block, |_| frames += 1);
            }
            stream.finish(|_| frames += 1);
            frames
        });
        let frames = config.frame_count(x.len());
        let fft = frames_per_second(|| {
            std::hint::black_box(batch.fft_bound(&x));
            frames
        });
        rows.push((name.clone(), config_path, rust, streaming, fft));
    }

    let librosa: Option<serde_json::Value> = python_with_librosa(&root).and_then(|python| {
        let output = Command::new(python)
            .arg(root.join("tools/reference/bench_librosa.py"))
            .arg(signals_dir.path())
            .args(rows.iter().map(|r| &r.1))
            .output()
            .ok()?;
        if !output.status.success() {
            eprintln!("librosa benchmark failed: {}", String::from_utf8_lossy(&output.stderr));
            return None;
        }
        serde_json::from_slice(&output.stdout).ok()
    });
    if librosa.is_none() {
        eprintln!("(librosa not found: `cargo xtask pyenv` installs it; its column stays empty)");
    }

    println!("log-mel frontend, {SECONDS} s signal, one thread, best of {REPEATS} (frames/s)");
    println!(
        "{:<18} {:>11} {:>11} {:>11} {:>11} {:>10} {:>10}",
        "config", "earmark", "streaming", "librosa", "FFT bound", "vs librosa", "of bound"
    );
    for (name, _, rust, streaming, fft) in &rows {
        let lib = librosa.as_ref().and_then(|l| l[name].as_f64());
        println!(
            "{:<18} {:>11.0} {:>11.0} {:>11} {:>11.0} {:>10} {:>9.0}%",
            name,
            rust,
            streaming,
            lib.map_or("-".into(), |l| format!("{l:.0}")),
            fft,
            lib.map_or("-".into(), |l| format!("{:.2}×", rust / l)),
            100.0 * rust / fft
        );
    }
}
