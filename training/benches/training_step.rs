//! Training-step speed of every family's net at its shipped size, beside PyTorch's for the same net:
//! `cargo bench -p earmark-training --bench training_step`.
//!
//! One step = forward + the family's loss + backward + Adam update on one batch of random input (the data
//! pipeline is not timed: every family reads cached features). When a Python with `torch` is found
//! (`EARMARK_PYTHON`, `target/pyenv`, `.venv`, `python3`), `tools/reference/train_step_torch.py` times the same
//! step in PyTorch on the CPU with the same thread count (`RAYON_NUM_THREADS`, else every core), and the ratio is
//! printed (goal: burn ≤ 1.5 × PyTorch). `EARMARK_BENCH_NETS` picks rows by name (comma-separated). Prints
//! figures; asserts nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLossConfig, HuberLossConfig, Reduction};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use earmark_training::emotion::model::AutoencoderConfig;
use earmark_training::genre::models::NetConfig;
use earmark_training::instruments::model::{Method, TaggerConfig};
use earmark_training::instruments::train::masked_bce;
use earmark_training::vocal::frames::FrameStreamConfig;

const BATCH: usize = 16;

/// One row: the family and net, how many steps to time, burn's step, and the reference script's arguments.
struct Row {
    name: &'static str,
    what: &'static str,
    steps: usize,
    torch_args: Vec<String>,
    burn: fn(&Device, usize) -> f64,
}

/// Median seconds per step of `step` over `steps` steps after two warm-up steps.
fn median_seconds(steps: usize, mut step: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..steps + 2)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed().as_secs_f64()
        })
        .skip(2)
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// A training step of `model` with Adam: `loss(model)` builds the loss; the step waits for the update to land.
fn time_steps<M>(model: M, steps: usize, loss: impl Fn(&M) -> Tensor<1>) -> f64
where
    M: Module + Clone,
{
    let mut optimizer = AdamConfig::new().init();
    let mut model = Some(model);
    median_seconds(steps, || {
        let current = model.take().expect("model");
        let grads = GradientsParams::from_grads(loss(&current).backward(), &current);
        let next = optimizer.step(1e-3, current, grads);
        let _ = next.clone().valid(); // the update is done when the new weights exist
        model = Some(next);
    })
}

fn targets(device: &Device, rows: usize, columns: usize, share: f32) -> Tensor<2> {
    let values: Vec<f32> =
        (0..rows * columns).map(|i| if (i * 7919 % 100) as f32 / 100.0 < share { 1.0 } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(values, [rows, columns]), device)
}

fn classes(device: &Device, rows: usize, count: usize) -> Tensor<1, Int> {
    let values: Vec<i64> = (0..rows).map(|i| (i % count) as i64).collect();
    Tensor::from_data(TensorData::new(values, [rows]), device)
}

fn autoencoder(filters: &[usize], device: &Device, steps: usize) -> f64 {
    let model = AutoencoderConfig { frames: 216, mels: 128, filters: filters.to_vec() }.init(device);
    let x: Tensor<4> = Tensor::random([BATCH, 1, 216, 128], Distribution::Uniform(0.0, 1.0), device);
    let huber = HuberLossConfig::new(1.0).init();
    time_steps(model, steps, |m| {
        let (reconstruction, first) = m.forward(x.clone());
        huber.forward(reconstruction, x.clone(), Reduction::Mean) + first.powi_scalar(2).mean().mul_scalar(1e-4)
    })
}

/// The flat or ResAtt tagger (content, emotion, genre, instruments) with its masked BCE (λ 0.8 for ResAtt).
fn tagger(config: TaggerConfig, device: &Device, steps: usize) -> f64 {
    let (fine, coarse, frames, mels) = (config.fine(), config.coarse, config.frames, config.mels);
    let joint = config.method.joint();
    let model = config.init(device).expect("a valid tagger");
    let x: Tensor<4> = Tensor::random([BATCH, 1, frames, mels], Distribution::Normal(0.0, 1.0), device);
    let (fine_target, coarse_target) = (targets(device, BATCH, fine, 0.2), targets(device, BATCH, coarse, 0.3));
    let ones = |n| Tensor::ones([BATCH, n], device);
    time_steps(model, steps, |m| {
        let out = m.forward(x.clone());
        let loss = masked_bce(out.fine, fine_target.clone(), ones(fine));
        if joint {
            loss.mul_scalar(0.8) + masked_bce(out.coarse, coarse_target.clone(), ones(coarse)).mul_scalar(0.2)
        } else {
            loss
        }
    })
}

fn flat_tagger(frames: usize, tags: usize) -> TaggerConfig {
    TaggerConfig {
        method: Method::Flat,
        frames,
        mels: 64,
        parents: (0..tags).collect(),
        coarse: tags,
        width: 8,
        blocks: 4,
        embedding: 64,
        dropout: 0.2,
    }
}

/// The shipped instrument tagger's hierarchy: 33 tags under 10 families.
fn instruments_tagger() -> TaggerConfig {
    let parents = (0..33).map(|i| i * 10 / 33).collect();
    TaggerConfig { method: Method::Resatt, width: 16, embedding: 128, parents, coarse: 10, ..flat_tagger(256, 33) }
}

fn temporal(device: &Device, steps: usize) -> f64 {
    let config = NetConfig::temporal(1, 1, 13);
    let model = config.init(device).expect("a valid temporal net");
    let x: Tensor<4> = Tensor::random([BATCH, 1, 250, 40], Distribution::Normal(0.0, 1.0), device);
    let (target, loss) = (classes(device, BATCH, 13), CrossEntropyLossConfig::new().init(device));
    time_steps(model, steps, |m| loss.forward(m.forward(x.clone()), target.clone()))
}

fn frame_stream(device: &Device, steps: usize) -> f64 {
    let model = FrameStreamConfig::new(67, 4).init(device).expect("a valid frame stream");
    let x: Tensor<3> = Tensor::random([BATCH, 728, 67], Distribution::Normal(0.0, 1.0), device);
    let (target, loss) = (classes(device, BATCH, 4), CrossEntropyLossConfig::new().init(device));
    time_steps(model, steps, |m| loss.forward(m.forward(x.clone()), target.clone()))
}

fn rows() -> Vec<Row> {
    let args = |text: &str| text.split_whitespace().map(String::from).collect::<Vec<_>>();
    vec![
        Row {
            name: "emotion",
            what: "flat tagger 500×64, 8 filters, 4 blocks, 2 tags",
            steps: 7,
            torch_args: args("--net tagger --frames 500 --fine 2 --coarse 2"),
            burn: |d, s| tagger(flat_tagger(500, 2), d, s),
        },
        Row {
            name: "genre",
            what: "flat tagger 256×64, 8 filters, 4 blocks, 12 tags",
            steps: 7,
            torch_args: args("--net tagger --frames 256 --fine 12 --coarse 12"),
            burn: |d, s| tagger(flat_tagger(256, 12), d, s),
        },
        Row {
            name: "content",
            what: "flat tagger 256×64, 8 filters, 4 blocks, 2 tags",
            steps: 7,
            torch_args: args("--net tagger --frames 256 --fine 2 --coarse 2"),
            burn: |d, s| tagger(flat_tagger(256, 2), d, s),
        },
        Row {
            name: "instruments",
            what: "ResAtt tagger 256×64, 16 filters, 128-d, 33/10 tags",
            steps: 7,
            torch_args: args("--net tagger --frames 256 --width 16 --embedding 128 --fine 33 --coarse 10 --resatt"),
            burn: |d, s| tagger(instruments_tagger(), d, s),
        },
        Row {
            name: "style",
            what: "O-net + P-net 250×40, 13 classes",
            steps: 7,
            torch_args: args("--net temporal --frames 250 --mels 40 --classes 13 --onet 1 --pnet 1"),
            burn: temporal,
        },
        Row {
            name: "vocal-emotion",
            what: "frame stream: 2 LSTM × 64 + attention, 728×67",
            steps: 5,
            torch_args: args("--net frames --frames 728 --mels 67 --classes 4"),
            burn: frame_stream,
        },
        Row {
            name: "emotion-paper",
            what: "autoencoder 216×128, filters 32/16/8 (study arm)",
            steps: 5,
            torch_args: args("--net ae --filters 32,16,8"),
            burn: |d, s| autoencoder(&[32, 16, 8], d, s),
        },
    ]
}

fn python_with_torch(root: &Path) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("EARMARK_PYTHON").map(PathBuf::from),
        Some(root.join("target/pyenv/bin/python")),
        Some(root.join(".venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|python| Command::new(python).args(["-c", "import torch"]).output().is_ok_and(|o| o.status.success()))
}

fn torch_step_seconds(python: &Path, script: &Path, row: &Row, threads: usize) -> Option<f64> {
    let output = Command::new(python)
        .arg(script)
        .args(&row.torch_args)
        .args(["--steps", &row.steps.to_string(), "--threads", &threads.to_string(), "--batch", &BATCH.to_string()])
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!("PyTorch reference failed: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let python = python_with_torch(&root);
    if python.is_none() {
        eprintln!("(torch not found: `pip install torch` into a Python the bench finds; its column stays empty)");
    }
    let wanted: Option<Vec<String>> =
        std::env::var("EARMARK_BENCH_NETS").ok().map(|n| n.split(',').map(|s| s.trim().to_string()).collect());
    let device = Device::default().autodiff();
    device.seed(1);
    println!("training step (forward + loss + backward + Adam), batch {BATCH}, {threads} threads");
    println!("{:<15} {:<52} {:>10} {:>12} {:>7}", "family", "net", "burn (s)", "PyTorch (s)", "ratio");
    for row in rows() {
        if wanted.as_ref().is_some_and(|w| !w.iter().any(|n| n == row.name)) {
            continue;
        }
        let burn = (row.burn)(&device, row.steps);
        let torch = python
            .as_ref()
            .and_then(|p| torch_step_seconds(p, &root.join("tools/reference/train_step_torch.py"), &row, threads));
        let (torch_text, ratio) = match torch {
            Some(t) => (format!("{t:.3}"), format!("{:.2}", burn / t)),
            None => ("—".to_string(), "—".to_string()),
        };
        println!("{:<15} {:<52} {:>10.3} {:>12} {:>7}", row.name, row.what, burn, torch_text, ratio);
    }
}
