//! `earmark analyze`: the plugin's engine over files, writing a timeline of readouts.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use earmark_core::audio::{decode_file, find_audio_files};
use earmark_core::engine::offline::analyze;
use earmark_core::engine::{Engine, EngineSettings};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document: files → models → timeline.
    Json,
    /// Long-format CSV: one row per file, model, update and class.
    Csv,
}

#[derive(Debug, Serialize)]
struct FileReport {
    file: PathBuf,
    seconds: f64,
    sample_rate: u32,
    channels: usize,
    /// Damaged packets skipped while decoding.
    skipped_packets: usize,
    models: Vec<ModelTimeline>,
}

#[derive(Debug, Serialize)]
struct ModelTimeline {
    name: String,
    task: String,
    classes: Vec<String>,
    timeline: Vec<Update>,
}

#[derive(Debug, Serialize)]
struct Update {
    /// Start and end (s) of the audio the model had just analysed.
    start: f64,
    end: f64,
    /// Smoothed scores (what the plugin shows), then the segment's own.
    scores: Vec<f32>,
    raw: Vec<f32>,
}

/// Options of one `analyze` run.
pub struct Options {
    pub inputs: Vec<PathBuf>,
    pub format: Format,
    pub out: Option<PathBuf>,
    pub models: PathBuf,
    pub settings: EngineSettings,
}

pub fn run(options: Options) -> Result<()> {
    let files = find_audio_files(&options.inputs)?;
    if files.is_empty() {
        bail!("no audio files (wav, flac, mp3, ogg) in {:?}", options.inputs);
    }
    // One engine per sample rate: the engine resamples from the file's rate, as the plugin does from the host's.
    let mut engines: HashMap<u32, Engine> = HashMap::new();
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for file in &files {
        match analyze_file(file, &options, &mut engines) {
            Ok(report) => reports.push(report),
            Err(error) => {
                eprintln!("error: {}: {error:#}", file.display());
                failures.push(file.clone());
            }
        }
    }
    let text = match options.format {
        Format::Json => serde_json::to_string_pretty(&reports)? + "\n",
        Format::Csv => csv(&reports),
    };
    match &options.out {
        Some(path) => {
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("moving the result to {}", path.display()))?;
            eprintln!("{} files analysed → {}", reports.len(), path.display());
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    if !failures.is_empty() {
        bail!(
            "{} of {} files could not be analysed (see above); the others are in the output",
            failures.len(),
            files.len()
        );
    }
    Ok(())
}

fn analyze_file(file: &Path, options: &Options, engines: &mut HashMap<u32, Engine>) -> Result<FileReport> {
    let decoded = decode_file(file)?;
    let mono = decoded.to_mono();
    let engine = engines
        .entry(decoded.sample_rate)
        .or_insert_with(|| Engine::load(&options.models, decoded.sample_rate, &options.settings));
    let snapshot = engine.snapshot();
    if snapshot.models.is_empty() {
        bail!("no model could run:\n  {}", snapshot.status.messages.join("\n  "));
    }
    engine.reset();
    let bar = ProgressBar::new(mono.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {percent:>3}% ({elapsed})").expect("static template"),
    );
    bar.set_message(file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()));
    let timeline = analyze(engine, &mono, |done| bar.set_position(done as u64));
    bar.finish_and_clear();
    let models = snapshot
        .models
        .iter()
        .enumerate()
        .map(|(i, model)| ModelTimeline {
            name: model.name.clone(),
            task: model.task.name().to_string(),
            classes: model.classes.clone(),
            timeline: timeline
                .iter()
                .filter(|e| e.model == i)
                .map(|e| Update {
                    start: (e.readout.stream_seconds - e.readout.segment_seconds).max(0.0),
                    end: e.readout.stream_seconds,
                    scores: e.readout.scores.clone(),
                    raw: e.readout.raw.clone(),
                })
                .collect(),
        })
        .collect();
    Ok(FileReport {
        file: file.to_path_buf(),
        seconds: decoded.seconds(),
        sample_rate: decoded.sample_rate,
        channels: decoded.channels,
        skipped_packets: decoded.skipped_packets,
        models,
    })
}

fn csv(reports: &[FileReport]) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("file,model,task,start,end,class,score,raw\n");
    for report in reports {
        for model in &report.models {
            for update in &model.timeline {
                for (c, class) in model.classes.iter().enumerate() {
                    out.push_str(&format!(
                        "{},{},{},{:.3},{:.3},{},{:.6},{:.6}\n",
                        quote(&report.file.display().to_string()),
                        quote(&model.name),
                        model.task,
                        update.start,
                        update.end,
                        quote(class),
                        update.scores[c],
                        update.raw[c]
                    ));
                }
            }
        }
    }
    out
}
