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
    /// Write a cleared data set's labels as Earmark's CSV manifest (`manifest.csv` + `tags.txt`/`classes.txt`,
    /// and for tags a flat `hierarchy.json`: each tag its own family), for any trainer to read.
    FourQ {
        /// The 4Q set's folder (the one holding panda_dataset_taffc_metadata.csv and Q1 … Q4).
        #[arg(long)]
        root: PathBuf,
        /// What the clips are labelled with.
        #[arg(long, value_enum)]
        target: earmark_training::data::four_q::FourQTarget,
        /// Folder to write the manifest into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Render EMOPIA's MIDI clips with real piano sounds (SF2 pianos, touch, room, tone, level drawn per
    /// render) into `OUT/audio/` with an emotion-tag manifest (group = song). Renders already written are kept.
    RenderEmopia {
        /// The folder of EMOPIA `.mid` files (`Q{1-4}_{song}_{clip}.mid`).
        #[arg(long)]
        midi: PathBuf,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// SF2 SoundFonts to draw pianos from (repeat the option; default: the one `cargo xtask soundfont` fetched).
        #[arg(long)]
        soundfont: Vec<PathBuf>,
        /// General MIDI programs to draw from.
        #[arg(long, value_delimiter = ',', default_values_t = [0u8, 1, 2])]
        programs: Vec<u8>,
        /// Renders per clip.
        #[arg(long, default_value_t = 2)]
        variants: u32,
        /// Seed of every choice.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// At most this many seconds of each clip.
        #[arg(long, default_value_t = 40.0)]
        seconds: f64,
        /// Output sample rate.
        #[arg(long, default_value_t = 22_050)]
        sample_rate: u32,
    },
    /// Split a CSV manifest by group into `OUT/kept/` and `OUT/held-out/` (about 1/PARTS of the items; no group
    /// on both sides), e.g. to train on most EMOPIA songs' renders and score on songs never trained on.
    SplitGroups {
        /// The manifest (`manifest.csv`; its `tags.txt`/`classes.txt` and `hierarchy.json` are carried over).
        #[arg(long)]
        data: PathBuf,
        /// Hold out one of this many group-balanced parts.
        #[arg(long, default_value_t = 5)]
        parts: usize,
        /// Seed of the group draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Folder to write `kept/manifest.csv` and `held-out/manifest.csv` into.
        #[arg(long)]
        out: PathBuf,
    },
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
        Command::Synth(args) => Ok(earmark_training::synth::cli::run(&args)?),
        Command::Emotion(command) => Ok(earmark_training::emotion::cli::run(&command)?),
        Command::Genre(command) => Ok(earmark_training::genre::cli::run(&command)?),
        Command::Instruments(command) => Ok(earmark_training::instruments::cli::run(&command)?),
        Command::Nas(command) => Ok(earmark_training::vocal::cli::run(&command)?),
        Command::Study(study) => match *study {
            StudyCommand::Genre(args) => Ok(earmark_training::genre::cli::study(&args)?),
            StudyCommand::Instruments(args) => Ok(earmark_training::instruments::cli::study(&args)?),
            StudyCommand::Nas(args) => Ok(earmark_training::vocal::cli::study(&args)?),
        },
        Command::FourQ { root, target, out } => {
            use earmark_training::data::{TargetKind, four_q, manifest_csv};
            let dataset = four_q::load(&root, target)?;
            let csv = out.join("manifest.csv");
            manifest_csv::write(&dataset, &csv)?;
            if dataset.kind == TargetKind::MultiLabel {
                let flat: Vec<serde_json::Value> =
                    dataset.classes.iter().map(|c| serde_json::json!({ "name": c, "members": [c] })).collect();
                std::fs::write(out.join("hierarchy.json"), serde_json::to_string_pretty(&flat)?)?;
            }
            println!(
                "{} clips, {} artists, classes {:?} → {}",
                dataset.len(),
                dataset.group_members().len(),
                dataset.classes,
                csv.display()
            );
            Ok(())
        }
        Command::RenderEmopia { midi, out, soundfont, programs, variants, seed, seconds, sample_rate } => {
            use earmark_training::synth::emopia::{RenderOptions, render_all, scan};
            let soundfonts =
                if soundfont.is_empty() { vec![earmark_training::synth::locate_soundfont(None)?] } else { soundfont };
            let options = RenderOptions { soundfonts, programs, variants, seed, seconds, sample_rate };
            let settings = serde_json::json!({
                "soundfonts": options.soundfonts, "programs": options.programs, "variants": variants,
                "seed": seed, "seconds": seconds, "sample_rate": sample_rate,
            });
            let settings_path = out.join("render.json");
            if let Ok(old) = std::fs::read_to_string(&settings_path)
                && serde_json::from_str::<serde_json::Value>(&old).ok() != Some(settings.clone())
            {
                anyhow::bail!(
                    "{} holds renders made with other options ({old}); use the same options to resume, or another --out",
                    out.display()
                );
            }
            std::fs::create_dir_all(&out)?;
            earmark_training::train::write_atomic(&settings_path, serde_json::to_string_pretty(&settings)?.as_bytes())?;
            let clips = scan(&midi)?;
            let bar = ProgressBar::new((clips.len() as u64) * u64::from(variants)).with_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} renders {elapsed_precise}<{eta_precise}")
                    .expect("static template"),
            );
            let dataset = render_all(&clips, &options, &out, |done, _| bar.set_position(done as u64))?;
            bar.finish_and_clear();
            earmark_training::data::manifest_csv::write(&dataset, &out.join("manifest.csv"))?;
            let flat: Vec<serde_json::Value> =
                dataset.classes.iter().map(|c| serde_json::json!({ "name": c, "members": [c] })).collect();
            std::fs::write(out.join("hierarchy.json"), serde_json::to_string_pretty(&flat)?)?;
            println!(
                "{} renders of {} clips ({} songs) → {}",
                dataset.len(),
                clips.len(),
                dataset.group_members().len(),
                out.display()
            );
            Ok(())
        }
        Command::SplitGroups { data, parts, seed, out } => {
            use earmark_training::data::{manifest_csv, splits::hold_out_groups};
            let dataset = manifest_csv::load(&data)?;
            let (kept, held_out) = hold_out_groups(&dataset, parts, seed)?;
            for (name, part) in [("kept", &kept), ("held-out", &held_out)] {
                let csv = out.join(name).join("manifest.csv");
                manifest_csv::write(part, &csv)?;
                println!("{}: {} items, {} groups → {}", name, part.len(), part.group_members().len(), csv.display());
            }
            Ok(())
        }
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
