//! `earmark demo`: the README's first command. Renders the demo clip, runs every model found, prints readouts.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use earmark_core::analysis::{SegmentScores, analyze_signal};
use earmark_core::audio::resample_mono;
use earmark_core::model::Model;
use earmark_core::runtime::{Runtime, SessionOptions};
use serde::Serialize;

use super::demo_clip::{self, DEMO_SAMPLE_RATE, Section};
use super::models::{default_models_dir, find_model_dirs};

/// One model's readout over the demo clip.
#[derive(Debug, Serialize)]
struct ModelReadout {
    name: String,
    task: String,
    provider: String,
    classes: Vec<String>,
    /// Mean scores per section, in class order.
    sections: Vec<SectionReadout>,
    segments: Vec<SegmentRow>,
}

#[derive(Debug, Serialize)]
struct SectionReadout {
    section: &'static str,
    top: String,
    scores: Vec<f32>,
}

#[derive(Debug, Serialize)]
struct SegmentRow {
    start: f64,
    end: f64,
    scores: Vec<f32>,
}

pub fn run(models: Option<PathBuf>, json: bool, save_wav: Option<PathBuf>) -> Result<()> {
    let (clip, sections) = demo_clip::render();
    if let Some(path) = save_wav {
        write_wav(&path, &clip).with_context(|| format!("writing {}", path.display()))?;
    }
    let root = match models {
        Some(dir) => dir,
        None => default_models_dir()?,
    };
    let dirs = find_model_dirs(&root)?;
    if dirs.is_empty() {
        bail!(
            "no models (folders with manifest.json) under {}",
            root.display()
        );
    }
    let runtime = Runtime::global()?;
    let mut readouts = Vec::new();
    for dir in dirs {
        let mut model = Model::load(&dir, runtime, SessionOptions::default())
            .with_context(|| format!("loading the model in {}", dir.display()))?;
        let rate = model.manifest().frontend.sample_rate;
        let signal = resample_mono(&clip, DEMO_SAMPLE_RATE, rate)?;
        let scores = analyze_signal(&mut model, &signal)
            .with_context(|| format!("running {}", dir.display()))?;
        readouts.push(readout(&model, &sections, &scores));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&readouts)?);
    } else {
        print_text(&readouts, runtime, sections.last().map_or(0.0, |s| s.end));
    }
    Ok(())
}

fn readout(model: &Model, sections: &[Section], scores: &[SegmentScores]) -> ModelReadout {
    let manifest = model.manifest();
    let classes = manifest.labels.classes.clone();
    let sections = sections
        .iter()
        .map(|section| {
            // Segments lying wholly inside the section.
            let inside: Vec<&SegmentScores> = scores
                .iter()
                .filter(|s| s.start_seconds >= section.start && s.end_seconds <= section.end)
                .collect();
            let mut mean = vec![0.0f32; classes.len()];
            for s in &inside {
                mean.iter_mut()
                    .zip(&s.scores)
                    .for_each(|(m, v)| *m += v / inside.len() as f32);
            }
            let top = mean
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(i, _)| i);
            SectionReadout {
                section: section.name,
                top: classes[top].clone(),
                scores: mean,
            }
        })
        .collect();
    ModelReadout {
        name: manifest.name.clone(),
        task: format!("{:?}", manifest.task).to_lowercase(),
        provider: model.provider().to_string(),
        classes,
        sections,
        segments: scores
            .iter()
            .map(|s| SegmentRow {
                start: s.start_seconds,
                end: s.end_seconds,
                scores: s.scores.clone(),
            })
            .collect(),
    }
}

fn bar(value: f32) -> String {
    let width = (value.clamp(0.0, 1.0) * 20.0).round() as usize;
    format!("{}{}", "█".repeat(width), "·".repeat(20 - width))
}

fn print_text(readouts: &[ModelReadout], runtime: &Runtime, seconds: f64) {
    println!(
        "Earmark demo: {:.0} s synthesised clip, ONNX Runtime {} ({})\n",
        seconds,
        runtime.version(),
        runtime.library().display()
    );
    for r in readouts {
        println!(
            "model `{}` (task: {}, provider: {})",
            r.name, r.task, r.provider
        );
        for s in &r.sections {
            println!("  {:<26} → {}", s.section, s.top);
            for (class, score) in r.classes.iter().zip(&s.scores) {
                println!("      {class:<10} {score:5.2} {}", bar(*score));
            }
        }
        println!("  timeline (segment start–end: top class, score):");
        for row in &r.segments {
            let (top, score) = row
                .scores
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or((0, 0.0), |(i, v)| (i, *v));
            println!(
                "    {:5.2}–{:5.2} s  {:<10} {score:4.2}",
                row.start, row.end, r.classes[top]
            );
        }
        println!();
    }
}

fn write_wav(path: &std::path::Path, clip: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: DEMO_SAMPLE_RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec)?;
    for &x in clip {
        writer.write_sample(x)?;
    }
    writer.finalize()?;
    Ok(())
}
