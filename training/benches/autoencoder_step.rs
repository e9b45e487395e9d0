//! Autoencoder training-step speed: `cargo bench -p earmark-training --bench autoencoder_step`.
//!
//! One step = forward + Huber/L2 loss + backward + Adam update on a batch of 16 masked 216 × 128 segments, for the
//! shipped shape (filters 32/16/8) and the paper's (128/64/32). When a Python with `torch` is found
//! (`EARMARK_PYTHON`, `target/pyenv`, `.venv`, `python3`), `tools/reference/ae_step_torch.py` times the same step
//! in PyTorch on the CPU with the same thread count, and the ratio is printed (goal: burn ≤ 1.5 × PyTorch).
//! Prints figures; asserts nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use burn::nn::loss::{HuberLossConfig, Reduction};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use earmark_training::emotion::model::AutoencoderConfig;

const BATCH: usize = 16;

/// Median seconds per step over `steps` steps after two warm-up steps.
fn burn_step_seconds(filters: &[usize], steps: usize) -> f64 {
    let device = Device::default().autodiff();
    device.seed(1);
    let config = AutoencoderConfig { frames: 216, mels: 128, filters: filters.to_vec() };
    let mut model = config.init(&device);
    let mut optimizer = AdamConfig::new().init();
    let huber = HuberLossConfig::new(1.0).init();
    let x: Tensor<4> = Tensor::random([BATCH, 1, 216, 128], Distribution::Uniform(0.0, 1.0), &device);
    let mut times = Vec::new();
    for step in 0..steps + 2 {
        let start = Instant::now();
        let (reconstruction, first) = model.forward(x.clone());
        let loss =
            huber.forward(reconstruction, x.clone(), Reduction::Mean) + first.powi_scalar(2).mean().mul_scalar(1e-4);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(1e-3, model, grads);
        let _ = model.encoder.convs[0].weight.val().into_data(); // wait for the work to finish
        if step >= 2 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
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

fn torch_step_seconds(python: &Path, script: &Path, filters: &[usize], steps: usize, threads: usize) -> Option<f64> {
    let filters = filters.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
    let output = Command::new(python)
        .arg(script)
        .args(["--filters", &filters, "--steps", &steps.to_string(), "--threads", &threads.to_string()])
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
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let python = python_with_torch(&root);
    if python.is_none() {
        eprintln!("(torch not found: `pip install torch` into a Python the bench finds; its column stays empty)");
    }
    println!("autoencoder training step, batch {BATCH} of 1 × 216 × 128, {threads} threads");
    println!("{:<22} {:>12} {:>14} {:>8}", "filters", "burn (s)", "PyTorch (s)", "ratio");
    for (filters, steps) in [(vec![16, 8, 8], 7), (vec![32, 16, 8], 5), (vec![128, 64, 32], 3)] {
        let burn = burn_step_seconds(&filters, steps);
        let torch = python.as_ref().and_then(|p| {
            torch_step_seconds(p, &root.join("tools/reference/ae_step_torch.py"), &filters, steps, threads)
        });
        let (torch_text, ratio) = match torch {
            Some(t) => (format!("{t:.3}"), format!("{:.2}", burn / t)),
            None => ("—".to_string(), "—".to_string()),
        };
        println!("{:<22} {:>12.3} {:>14} {:>8}", format!("{filters:?}"), burn, torch_text, ratio);
    }
}
