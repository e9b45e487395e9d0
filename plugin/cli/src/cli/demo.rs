//! `earmark demo`: the README's first command. Renders the demo clip, runs every model found through the same
//! engine the plugin uses, and prints the readouts.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use earmark_core::engine::offline::{TimelineEntry, analyze};
use earmark_core::engine::readout::EngineStatus;
use earmark_core::engine::{Engine, EngineSettings};
use earmark_core::manifest::Task;
use serde::Serialize;

use super::models::default_models_dir;
use earmark_core::demo_clip::{self, DEMO_SAMPLE_RATE, Section};

/// One model's readout over the demo clip.
#[derive(Debug, Serialize)]
struct ModelSummary {
    name: String,
    task: String,
    provider: String,
    classes: Vec<String>,
    /// Mean unsmoothed scores of the segments inside each section, in class order.
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
    // Raw segment scores (no smoothing) at each model's segment hop: the demo shows what each segment says.
    let settings = EngineSettings { update_interval: 0.25, smoothing: 0.0, ..EngineSettings::default() };
    let mut engine = Engine::load(&root, DEMO_SAMPLE_RATE, &settings);
    let snapshot = engine.snapshot();
    if snapshot.models.is_empty() {
        bail!("no model could run:\n  {}", snapshot.status.messages.join("\n  "));
    }
    let timeline = analyze(&mut engine, &clip, |_| {});
    let summaries: Vec<ModelSummary> =
        (0..snapshot.models.len()).map(|i| summarise(&engine, i, &sections, &timeline)).collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    } else {
        print_text(&summaries, &snapshot.status, sections.last().map_or(0.0, |s| s.end));
    }
    Ok(())
}

fn summarise(engine: &Engine, model: usize, sections: &[Section], timeline: &[TimelineEntry]) -> ModelSummary {
    let readout = &engine.snapshot().models[model];
    let rows: Vec<SegmentRow> = timeline
        .iter()
        .filter(|e| e.model == model)
        .map(|e| SegmentRow {
            start: e.readout.stream_seconds - e.readout.segment_seconds,
            end: e.readout.stream_seconds,
            scores: e.readout.raw.clone(),
        })
        .collect();
    let classes = readout.classes.clone();
    // A segment belongs to the section holding its midpoint (robust to resampling's sub-sample offsets). Models
    // with segments as long as a section (the emotion model's 3 s) may leave a section with none: say so.
    let sections = sections
        .iter()
        .map(|section| {
            let inside: Vec<&SegmentRow> =
                rows.iter().filter(|r| (section.start..section.end).contains(&(0.5 * (r.start + r.end)))).collect();
            if inside.is_empty() {
                return SectionReadout { section: section.name, top: "—".to_string(), scores: Vec::new() };
            }
            let mut mean = vec![0.0f32; classes.len()];
            for row in &inside {
                mean.iter_mut().zip(&row.scores).for_each(|(m, v)| *m += v / inside.len() as f32);
            }
            let top = match readout.task {
                // Valence and arousal are two independent probabilities, not competing classes.
                Task::Emotion => "P(high)".to_string(),
                _ => classes[mean.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)].clone(),
            };
            SectionReadout { section: section.name, top, scores: mean }
        })
        .collect();
    ModelSummary {
        name: readout.name.clone(),
        task: readout.task.name().to_string(),
        provider: readout.provider.clone(),
        classes,
        sections,
        segments: rows,
    }
}

fn bar(value: f32) -> String {
    let width = (value.clamp(0.0, 1.0) * 20.0).round() as usize;
    format!("{}{}", "█".repeat(width), "·".repeat(20 - width))
}

fn print_text(summaries: &[ModelSummary], status: &EngineStatus, seconds: f64) {
    println!(
        "Earmark demo: {seconds:.0} s synthesised clip, {}\n",
        status.runtime.as_deref().unwrap_or("no ONNX Runtime")
    );
    for message in &status.messages {
        println!("note: {message}");
    }
    for s in summaries {
        println!("model `{}` (task: {}, provider: {})", s.name, s.task, s.provider);
        // Columns as wide as the longest class name (genres such as "Rap/Hip-Hop" outgrow a fixed width).
        let w = s.classes.iter().map(|c| c.chars().count()).max().unwrap_or(0).max(10);
        for section in &s.sections {
            if section.scores.is_empty() {
                println!("  {:<26} → no segment falls inside this section", section.section);
                continue;
            }
            println!("  {:<26} → {}", section.section, section.top);
            for (class, score) in s.classes.iter().zip(&section.scores) {
                println!("      {class:<w$} {score:5.2} {}", bar(*score));
            }
        }
        println!("  timeline (segment start–end: top class, score):");
        for row in &s.segments {
            let (top, score) =
                row.scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or((0, 0.0), |(i, v)| (i, *v));
            println!("    {:5.2}–{:5.2} s  {:<w$} {score:4.2}", row.start, row.end, s.classes[top]);
        }
        println!();
    }
}

fn write_wav(path: &Path, clip: &[f32]) -> Result<()> {
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
