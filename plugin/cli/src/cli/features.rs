//! `earmark features`: the frontend's output for any file, so anyone can compare it with their own tools.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use earmark_core::audio::load_mono;
use earmark_core::frontend::{BatchFrontend, FrontendConfig};
use earmark_core::manifest::Manifest;

pub fn run(file: &Path, config: Option<PathBuf>, model: Option<PathBuf>, out: &Path) -> Result<()> {
    let config = match (config, model) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            FrontendConfig::from_json(&text).with_context(|| format!("in {}", path.display()))?
        }
        (None, Some(dir)) => Manifest::load(&dir)?.frontend,
        (None, None) => unreachable!("clap requires --config or --model"),
    };
    let audio = load_mono(file, config.sample_rate)?;
    if audio.skipped_packets > 0 {
        eprintln!("warning: {} damaged packets in {} were skipped", audio.skipped_packets, file.display());
    }
    let features = BatchFrontend::new(&config)?.process(&audio.samples);
    // Write beside the target, then rename: a failure never leaves a truncated .npy behind.
    let tmp = out.with_extension("npy.partial");
    ndarray_npy::write_npy(&tmp, &features).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("moving the result to {}", out.display()))?;
    eprintln!(
        "{}: {:.2} s, {} ch at {} Hz → {} frames × {} mels ({} Hz, hop {}) → {}",
        file.display(),
        audio.samples.len() as f64 / f64::from(config.sample_rate),
        audio.source_channels,
        audio.source_rate,
        features.nrows(),
        features.ncols(),
        config.sample_rate,
        config.hop_length,
        out.display()
    );
    Ok(())
}
