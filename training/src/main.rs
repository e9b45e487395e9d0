//! `earmark-train`: the training crate's command line.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use earmark_core::audio::find_audio_files;
use earmark_core::frontend::FrontendConfig;
use earmark_training::emotion::cli::EmotionCommand;
use earmark_training::feature_cache::FeatureCache;
use earmark_training::genre::cli::{GenreCommand, GenreStudyArgs};
use earmark_training::instruments::cli::{InstrumentsCommand, TagStudyArgs};
use earmark_training::synth::cli::SynthArgs;
use indicatif::{ProgressBar, ProgressStyle};

/// Train Earmark's models and export them to ONNX.
#[derive(Debug, Parser)]
#[command(name = "earmark-train", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute (or reuse) cached log-mel features for audio files, keyed by the frontend config's hash.
    Features {
        /// Audio files or folders (searched recursively for wav, flac, mp3, ogg).
        inputs: Vec<PathBuf>,
        /// Frontend configuration JSON (the `frontend` object of a model manifest).
        #[arg(long)]
        config: PathBuf,
        /// Cache folder.
        #[arg(long, default_value = "target/feature-cache")]
        cache: PathBuf,
    },
    /// Render labelled music with a General MIDI SoundFont: emotion, style or instrument clips + a CSV manifest.
    Synth(SynthArgs),
    /// The music emotion model (segment autoencoder + BiLSTM): pretrain, evaluate, export, or all.
    #[command(subcommand)]
    Emotion(Box<EmotionCommand>),
    /// Genre / style models (CNN, CRNN, parallel CNN-RNN, O-net / P-net): evaluate or export one configuration.
    #[command(subcommand)]
    Genre(Box<GenreCommand>),
    /// Hierarchical instrument tagging (flat, level-wise, top-down, GMP, GAP, LP, ResAtt): evaluate or export.
    #[command(subcommand)]
    Instruments(Box<InstrumentsCommand>),
    /// Vocal emotion with EmotionNAS: DARTS search over spectrogram cells, then train both streams and the fusion.
    #[command(subcommand)]
    Nas(Box<earmark_training::vocal::cli::NasCommand>),
    /// The papers' study grids, written as their tables for our data.
    #[command(subcommand)]
    Study(Box<StudyCommand>),
    /// Print every architecture the crate can build, with its exact parameter count.
    Models {
        /// Output classes of the genre models.
        #[arg(long, default_value_t = 8)]
        classes: usize,
    },
}

#[derive(Debug, Subcommand)]
enum StudyCommand {
    /// The subgenre paper's Tables 1–4 and Pons & Serra's Table 1 on a labelled style/genre set.
    Genre(GenreStudyArgs),
    /// The hierarchical-tagging paper's Table 1 (every method, λ grid) on a tagged instrument set.
    Instruments(TagStudyArgs),
    /// EmotionNAS' Table 3: search and retrain the spectrogram stream for each L / C setting.
    Nas(earmark_training::vocal::cli::NasStudyArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Synth(args) => earmark_training::synth::cli::run(&args),
        Command::Emotion(command) => earmark_training::emotion::cli::run(&command),
        Command::Genre(command) => earmark_training::genre::cli::run(&command),
        Command::Instruments(command) => earmark_training::instruments::cli::run(&command),
        Command::Nas(command) => earmark_training::vocal::cli::run(&command),
        Command::Study(study) => match *study {
            StudyCommand::Genre(args) => earmark_training::genre::cli::study(&args),
            StudyCommand::Instruments(args) => earmark_training::instruments::cli::study(&args),
            StudyCommand::Nas(args) => earmark_training::vocal::cli::study(&args),
        },
        Command::Models { classes } => {
            print!("{}", earmark_training::catalog::table(&earmark_training::catalog::entries(classes)));
            Ok(())
        }
        Command::Features { inputs, config, cache } => {
            let text = std::fs::read_to_string(&config).with_context(|| format!("reading {}", config.display()))?;
            let config = FrontendConfig::from_json(&text)?;
            let mut cache = FeatureCache::open(&cache, &config)?;
            let files = find_audio_files(&inputs)?;
            let bar = ProgressBar::new(files.len() as u64)
                .with_style(ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}").expect("static template"));
            let mut failed = 0;
            for file in &files {
                bar.set_message(file.display().to_string());
                if let Err(e) = cache.features(file) {
                    bar.println(format!("skipped: {e}"));
                    failed += 1;
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            println!("{} files cached in {} ({failed} failed)", files.len() - failed, cache.dir().display());
            Ok(())
        }
    }
}
