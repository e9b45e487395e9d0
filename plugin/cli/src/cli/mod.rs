//! Command-line interface of the offline `earmark` binary.

mod analyze;
mod demo;
mod features;
mod models;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use earmark_core::engine::{EngineSettings, Pace};

/// Earmark: emotion, genre and instrument readouts for music, offline.
#[derive(Debug, Parser)]
#[command(name = "earmark", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Synthesise a demo clip (bass, then mid-register chords, then bells), analyse it with every model found and
    /// print the readout.
    Demo {
        /// Folder of models (each a sub-folder with manifest.json). Default: the `models/` shipped with Earmark.
        #[arg(long)]
        models: Option<PathBuf>,
        /// Print the readout as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the demo clip to this WAV file.
        #[arg(long)]
        save_wav: Option<PathBuf>,
    },
    /// Analyse audio files with every model (the plugin's engine, offline) and write a timeline of readouts.
    ///
    /// For a catalogue: `--format jsonl --out results.jsonl` writes each file's object as it finishes, and the same
    /// command with `--resume` after an interruption skips the files already written.
    Analyze {
        /// Audio files or folders (searched recursively for wav, flac, mp3, ogg).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: analyze::Format,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Files analysed at once (default: one per core). Every model is loaded once, whatever the number.
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Continue an interrupted `--format jsonl --out FILE` run: files already in FILE are skipped.
        #[arg(long)]
        resume: bool,
        /// Folder of models. Default: the models shipped with Earmark.
        #[arg(long)]
        models: Option<PathBuf>,
        /// Seconds between every model's readouts (the plugin's default is 0.5). Default: each model once per
        /// segment hop of its manifest (1 s for vocal emotion, 2.5–5.8 s for the other shipped models), the
        /// windows its report's figures were measured on, at a fraction of the cost.
        #[arg(long)]
        update_interval: Option<f64>,
        /// Smoothing time constant in seconds (0: none).
        #[arg(long, default_value_t = 1.5)]
        smoothing: f64,
    },
    /// Write the log-mel frontend's output for an audio file as a frames × mels float32 .npy.
    Features {
        /// Audio file (wav, flac, mp3, ogg). Mixed to mono and resampled to the config's rate.
        file: PathBuf,
        /// Frontend configuration (JSON, the `frontend` object of a model manifest).
        #[arg(long, conflicts_with = "model", required_unless_present = "model")]
        config: Option<PathBuf>,
        /// Use the frontend of this model folder (its manifest.json) instead of --config.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Output .npy file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo { models, json, save_wav } => demo::run(models, json, save_wav),
        Command::Analyze { inputs, format, out, jobs, resume, models, update_interval, smoothing } => {
            if !(update_interval.is_none_or(|s| s > 0.0) && smoothing >= 0.0) {
                anyhow::bail!("--update-interval must be positive and --smoothing non-negative");
            }
            if jobs == Some(0) {
                anyhow::bail!("--jobs must be at least 1");
            }
            let models = match models {
                Some(dir) => dir,
                None => models::default_models_dir()?,
            };
            let settings = match update_interval {
                Some(update_interval) => EngineSettings { update_interval, smoothing, ..EngineSettings::default() },
                None => EngineSettings { smoothing, pace: Pace::ModelHop, ..EngineSettings::default() },
            };
            analyze::run(analyze::Options { inputs, format, out, models, settings, jobs, resume })
        }
        Command::Features { file, config, model, out } => features::run(&file, config, model, &out),
    }
}
