//! `earmark analyze`: the plugin's engine over files, writing a timeline of readouts.
//!
//! Built for catalogues: files are analysed in parallel (`--jobs`, one engine per job and sample rate, every
//! model loaded once for the whole process through the core's model cache), each decoded as a stream so memory
//! stays flat however long a file is. With `--format jsonl` every file's object is written and flushed as soon
//! as it is done, so an interrupted run loses only the files in flight and `--resume` skips what is written.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use earmark_core::audio::{AudioStream, find_audio_files};
use earmark_core::engine::offline::analyze_stream;
use earmark_core::engine::{Engine, EngineSettings};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document: files → models → timeline (written when every file is done).
    Json,
    /// JSON lines: one object per file, written as each finishes (the format `--resume` continues).
    Jsonl,
    /// Long-format CSV: one row per file, model, update and class (written when every file is done).
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
    /// Each class's segment score (`raw`) averaged over the timeline: the clip-level score the model's report
    /// measures (a clip's probabilities are the mean of its windows'). Empty when the model never ran.
    mean: Vec<f32>,
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
    /// Files analysed at once; `None`: one per core.
    pub jobs: Option<usize>,
    /// Skip the files already in `out` (JSON lines).
    pub resume: bool,
}

/// What one job sends back for one file.
struct Done {
    index: usize,
    result: Result<FileReport>,
}

pub fn run(options: Options) -> Result<()> {
    let files = find_audio_files(&options.inputs)?;
    if files.is_empty() {
        bail!("no audio files (wav, flac, mp3, ogg) in {:?}", options.inputs);
    }
    let mut sink = Sink::open(&options)?;
    let todo: Vec<usize> = (0..files.len()).filter(|&i| !sink.already.contains(&files[i])).collect();
    let skipped = files.len() - todo.len();
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, todo.len().max(1));
    // Read once: the bar's total and its steps (its ETA weighs long files more than short ones).
    let sizes: Vec<u64> = files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).collect();
    let bar = progress_bar(todo.iter().map(|&i| sizes[i]).sum(), todo.len());
    if skipped > 0 {
        // `suspend`, not `println`: a hidden bar (no terminal) would swallow the line.
        bar.suspend(|| eprintln!("resuming: {skipped} of {} files are already in the output", files.len()));
    }
    let started = Instant::now();
    let mut tally = Tally::default();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        let (sender, receiver) = mpsc::channel::<Done>();
        for _ in 0..jobs {
            let (sender, next, files, todo, options) = (sender.clone(), &next, &files, &todo, &options);
            scope.spawn(move || {
                // One engine per sample rate, kept for the job's later files; the models inside are the process's.
                let mut engines: HashMap<u32, Engine> = HashMap::new();
                while let Some(&index) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = analyze_file(&files[index], options, &mut engines);
                    if sender.send(Done { index, result }).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for Done { index, result } in receiver {
            let file = &files[index];
            bar.inc(sizes[index]);
            match result {
                Ok(report) => {
                    tally.audio_seconds += report.seconds;
                    tally.analysed += 1;
                    sink.write(index, report)?;
                }
                Err(error) => {
                    bar.suspend(|| eprintln!("error: {}: {error:#}", file.display()));
                    tally.failed.push(file.clone());
                }
            }
            let elapsed = started.elapsed().as_secs_f64();
            bar.set_message(format!(
                "{}/{} files · {:.2} h of audio · {:.0}× real time",
                tally.analysed + tally.failed.len(),
                todo.len(),
                tally.audio_seconds / 3600.0,
                tally.audio_seconds / elapsed.max(1e-9)
            ));
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let written = sink.finish()?;
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "{} analysed, {} failed, {} already done; {:.2} h of audio in {:.1} s ({:.0}× real time, {jobs} job{}){}",
        tally.analysed,
        tally.failed.len(),
        skipped,
        tally.audio_seconds / 3600.0,
        elapsed,
        tally.audio_seconds / elapsed.max(1e-9),
        if jobs == 1 { "" } else { "s" },
        written.map(|path| format!(" → {}", path.display())).unwrap_or_default(),
    );
    if !tally.failed.is_empty() {
        bail!(
            "{} of {} files could not be analysed (see above); the others are in the output{}",
            tally.failed.len(),
            todo.len(),
            if options.format == Format::Jsonl { ", and --resume retries only the failed ones" } else { "" }
        );
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    analysed: usize,
    failed: Vec<PathBuf>,
    audio_seconds: f64,
}

/// Files, audio and throughput as they finish, over `bytes` to read in `files` files.
fn progress_bar(bytes: u64, files: usize) -> ProgressBar {
    let bar = ProgressBar::new(bytes).with_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {percent:>3}% {msg} · {elapsed} elapsed, ETA {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("0/{files} files"));
    bar
}

/// Where reports go: written line by line (JSON lines), or kept in input order until the end (JSON, CSV).
struct Sink {
    format: Format,
    out: Option<PathBuf>,
    /// The JSON-lines file or standard output being appended to.
    lines: Option<Box<dyn Write>>,
    kept: Vec<Option<FileReport>>,
    /// Files already in the output (`--resume`).
    already: HashSet<PathBuf>,
}

/// The one field `--resume` reads back from each line.
#[derive(Deserialize)]
struct WrittenFile {
    file: PathBuf,
}

impl Sink {
    fn open(options: &Options) -> Result<Self> {
        let mut sink = Self {
            format: options.format,
            out: options.out.clone(),
            lines: None,
            kept: Vec::new(),
            already: HashSet::new(),
        };
        if options.resume && (options.format != Format::Jsonl || options.out.is_none()) {
            bail!("--resume continues a JSON-lines file: give --format jsonl and --out FILE");
        }
        if options.format != Format::Jsonl {
            return Ok(sink);
        }
        sink.lines = Some(match &options.out {
            None => Box::new(std::io::stdout()),
            Some(path) if options.resume && path.exists() => {
                let (already, good_bytes) = read_written(path)?;
                sink.already = already;
                let mut file = OpenOptions::new().write(true).open(path)?;
                // An interrupted write leaves a partial last line: cut it, that file is analysed again.
                file.set_len(good_bytes).with_context(|| format!("trimming {}", path.display()))?;
                file.seek(SeekFrom::End(0))?;
                Box::new(file)
            }
            Some(path) => {
                if path.exists() {
                    bail!("{} exists: add --resume to continue it, or remove it", path.display());
                }
                Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
            }
        });
        Ok(sink)
    }

    fn write(&mut self, index: usize, report: FileReport) -> Result<()> {
        match &mut self.lines {
            Some(lines) => {
                let line = serde_json::to_string(&report)? + "\n";
                lines.write_all(line.as_bytes()).and_then(|()| lines.flush()).context("writing the output")?;
            }
            None => {
                if self.kept.len() <= index {
                    self.kept.resize_with(index + 1, || None);
                }
                self.kept[index] = Some(report);
            }
        }
        Ok(())
    }

    /// Writes the whole document (JSON, CSV) atomically; returns the file written to, if any.
    fn finish(self) -> Result<Option<PathBuf>> {
        if self.format == Format::Jsonl {
            return Ok(self.out);
        }
        // Kept by index, so the document lists files in the order found, whichever job finished first.
        let reports: Vec<FileReport> = self.kept.into_iter().flatten().collect();
        let text = match self.format {
            Format::Csv => csv(&reports),
            _ => serde_json::to_string_pretty(&reports)? + "\n",
        };
        match &self.out {
            Some(path) => {
                let tmp = path.with_extension("partial");
                std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
                std::fs::rename(&tmp, path).with_context(|| format!("moving the result to {}", path.display()))?;
            }
            None => std::io::stdout().write_all(text.as_bytes())?,
        }
        Ok(self.out)
    }
}

/// The files a JSON-lines output already holds, and the length of its complete lines.
fn read_written(path: &Path) -> Result<(HashSet<PathBuf>, u64)> {
    let mut reader = BufReader::new(File::open(path).with_context(|| format!("reading {}", path.display()))?);
    let (mut files, mut good, mut line) = (HashSet::new(), 0u64, String::new());
    loop {
        line.clear();
        let read = reader.read_line(&mut line)?;
        if read == 0 || !line.ends_with('\n') {
            break;
        }
        match serde_json::from_str::<WrittenFile>(&line) {
            Ok(written) => {
                files.insert(written.file);
                good += read as u64;
            }
            Err(error) => bail!(
                "{} is not an `earmark analyze` JSON-lines file (byte {good}: {error}); give another --out",
                path.display()
            ),
        }
    }
    Ok((files, good))
}

fn analyze_file(file: &Path, options: &Options, engines: &mut HashMap<u32, Engine>) -> Result<FileReport> {
    let mut stream = AudioStream::open(file)?;
    let engine = engines
        .entry(stream.sample_rate())
        .or_insert_with(|| Engine::load(&options.models, stream.sample_rate(), &options.settings));
    let snapshot = engine.snapshot();
    if snapshot.models.is_empty() {
        bail!("no model could run:\n  {}", snapshot.status.messages.join("\n  "));
    }
    let timeline = analyze_stream(engine, &mut stream)?;
    let models = snapshot
        .models
        .iter()
        .enumerate()
        .map(|(i, model)| {
            let timeline: Vec<Update> = timeline
                .iter()
                .filter(|e| e.model == i)
                .map(|e| Update {
                    start: (e.readout.stream_seconds - e.readout.segment_seconds).max(0.0),
                    end: e.readout.stream_seconds,
                    scores: e.readout.scores.clone(),
                    raw: e.readout.raw.clone(),
                })
                .collect();
            ModelTimeline {
                name: model.name.clone(),
                task: model.task.name().to_string(),
                classes: model.classes.clone(),
                mean: mean_raw(&timeline),
                timeline,
            }
        })
        .collect();
    Ok(FileReport {
        file: file.to_path_buf(),
        seconds: stream.frames() as f64 / f64::from(stream.sample_rate()),
        sample_rate: stream.sample_rate(),
        channels: stream.channels(),
        skipped_packets: stream.skipped_packets(),
        models,
    })
}

/// Each class's raw score averaged over the updates (empty when there are none).
fn mean_raw(timeline: &[Update]) -> Vec<f32> {
    let Some(first) = timeline.first() else { return Vec::new() };
    let mut sum = vec![0.0f64; first.raw.len()];
    for update in timeline {
        sum.iter_mut().zip(&update.raw).for_each(|(s, &v)| *s += f64::from(v));
    }
    sum.into_iter().map(|s| (s / timeline.len() as f64) as f32).collect()
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
