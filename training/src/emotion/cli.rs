//! `earmark-train emotion …`: the command-line face of [`super::pipeline`].

use std::path::{Path, PathBuf};

use crate::command_error::{CommandResult, usage};
use crate::train::RunArgs;
use clap::{Args, Subcommand};
use earmark_core::audio::find_audio_files;

use super::model::AutoencoderConfig;
use super::pipeline::{
    EvaluateConfig, default_head, default_network, evaluate_step, export_step, pooled, pretrain_step, summarise,
};
use super::pretrain::PretrainConfig;
use super::segments::{SegmentPlan, SpecAugment};
use super::sequence::SequenceTrainConfig;
use crate::data::{Dataset, Item, Target, TargetKind, manifest_csv, pmemo};

/// The emotion model's steps.
#[derive(Debug, Subcommand)]
pub enum EmotionCommand {
    /// Step 1: pre-train the masked convolutional autoencoder on a pool of music (labels are not used).
    Pretrain(PretrainArgs),
    /// Step 2: k-fold cross-validation of the BiLSTM heads on the frozen encoder (and of the joint baseline).
    Evaluate(EvaluateArgs),
    /// Step 3: train the final heads on all labelled data and write the ONNX model, manifest and REPORT.md.
    Export(ExportArgs),
    /// All three steps in order, into one run folder.
    All(AllArgs),
}

/// The emotion family's run folder unless `--run` names another.
const FAMILY: &str = "emotion";

/// Pre-training options.
#[derive(Debug, Args, Clone)]
pub struct PretrainArgs {
    /// Audio to pre-train on: a CSV manifest, a PMEmo root, or a folder of audio files (searched recursively).
    #[arg(long)]
    pub pool: PathBuf,
    /// Segment length in seconds (the paper compares 1, 3, 5 and 10); each segment is 216 frames × 128 mels.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f32,
    /// Encoder filters per conv block, non-increasing (the shipped model: 16,8,8; a 2-filter bottleneck tends to
    /// die: every ReLU off, the reconstruction stuck at the mean).
    #[arg(long, value_delimiter = ',', default_value = "16,8,8")]
    pub filters: Vec<usize>,
    /// Use the paper's filters (128,64,32) instead of --filters.
    #[arg(long)]
    pub paper: bool,
    /// Most epochs (early stopping usually ends sooner).
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Segments per step.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub learning_rate: f64,
    /// Weight of the L2 penalty on the first conv layer's activations.
    #[arg(long, default_value_t = 1e-4)]
    pub activity_l2: f64,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = 10)]
    pub patience: usize,
    /// Stop this session after this many epochs in total (resume later with --resume).
    #[arg(long)]
    pub stop_after: Option<usize>,
    /// Widest SpecAugment frequency mask in mel bands (the paper's F).
    #[arg(long, default_value_t = 30)]
    pub mask_mels: usize,
    /// Widest SpecAugment time mask in frames (the paper's T).
    #[arg(long, default_value_t = 32)]
    pub mask_frames: usize,
    #[command(flatten)]
    pub common: RunArgs,
}

/// Head training options.
#[derive(Debug, Args, Clone)]
pub struct HeadArgs {
    /// Labelled excerpts with valence/arousal: a CSV manifest (`valence,arousal` columns) or a PMEmo root.
    #[arg(long)]
    pub data: PathBuf,
    /// BiLSTM units per direction (the paper: 512).
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Segments per sequence (excerpts with fewer use all they have, the shortest decides).
    #[arg(long, default_value_t = 10)]
    pub sequence: usize,
    /// Most epochs of head training.
    #[arg(long, default_value_t = 100)]
    pub head_epochs: usize,
    /// Sequences per step.
    #[arg(long, default_value_t = 16)]
    pub head_batch_size: usize,
    /// Adam learning rate of the heads.
    #[arg(long, default_value_t = 1e-3)]
    pub head_learning_rate: f64,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = 10)]
    pub head_patience: usize,
    /// Dropout before the dense layer.
    #[arg(long, default_value_t = 0.5)]
    pub dropout: f64,
}

/// Evaluation options.
#[derive(Debug, Args, Clone)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub head: HeadArgs,
    #[command(flatten)]
    pub cv: CvArgs,
    #[command(flatten)]
    pub common: RunArgs,
}

/// Cross-validation options, shared by `evaluate` and `all`.
#[derive(Debug, Args, Clone)]
pub struct CvArgs {
    /// Folds (the paper: 10).
    #[arg(long, default_value_t = 10)]
    pub folds: usize,
    /// Also cross-validate the paper's baseline (same CNN + BiLSTM trained jointly, no autoencoder).
    #[arg(long)]
    pub baseline: bool,
    /// Most epochs of the baseline per fold.
    #[arg(long, default_value_t = 30)]
    pub baseline_epochs: usize,
    /// Run the baseline on the first N folds only (it trains the whole CNN per fold; default: every fold).
    #[arg(long)]
    pub baseline_folds: Option<usize>,
}

/// Export options.
#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub head: HeadArgs,
    /// Model folder to write (ONNX graphs, manifest.json, REPORT.md).
    #[arg(long, default_value = "models/emotion")]
    pub out: PathBuf,
    /// One line describing the data, for the manifest and the report.
    #[arg(long, default_value = "")]
    pub describe_data: String,
    #[command(flatten)]
    pub common: RunArgs,
}

/// Options of `all`.
#[derive(Debug, Args, Clone)]
pub struct AllArgs {
    #[command(flatten)]
    pub pretrain: PretrainArgs,
    #[command(flatten)]
    pub head: HeadArgs,
    #[command(flatten)]
    pub cv: CvArgs,
    /// Model folder to write.
    #[arg(long, default_value = "models/emotion")]
    pub out: PathBuf,
    /// One line describing the data, for the manifest and the report.
    #[arg(long, default_value = "")]
    pub describe_data: String,
}

/// Loads labelled or unlabelled audio: a CSV manifest, a PMEmo root, or (when `unlabelled_ok`) a folder of audio.
pub fn load_dataset(path: &Path, unlabelled_ok: bool) -> CommandResult<Dataset> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        return Ok(manifest_csv::load(path)?);
    }
    if path.join("annotations").join("static_annotations.csv").is_file() {
        return Ok(pmemo::load(path)?);
    }
    if path.join("manifest.csv").is_file() {
        return Ok(manifest_csv::load(&path.join("manifest.csv"))?);
    }
    if !unlabelled_ok {
        usage!(
            "{}: expected a CSV manifest with valence,arousal columns, a folder holding manifest.csv, or a PMEmo root \
             (with annotations/static_annotations.csv)",
            path.display()
        );
    }
    let files = find_audio_files(&[path.to_path_buf()])?;
    if files.is_empty() {
        usage!("{}: no audio files (wav, flac, mp3, ogg) found", path.display());
    }
    let items = files
        .into_iter()
        .map(|p| Item {
            group: p.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            path: p,
            target: Target::ValenceArousal { valence: 0.0, arousal: 0.0 },
        })
        .collect();
    Ok(Dataset::new("pool", TargetKind::ValenceArousal, vec!["valence".into(), "arousal".into()], None, items)?)
}

impl PretrainArgs {
    fn config(&self) -> PretrainConfig {
        let network = if self.paper {
            default_network(true)
        } else {
            AutoencoderConfig { filters: self.filters.clone(), ..default_network(false) }
        };
        PretrainConfig {
            network,
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            activity_l2: self.activity_l2,
            patience: self.patience,
            mask: SpecAugment { max_mels: self.mask_mels, max_frames: self.mask_frames },
            seed: self.common.seed,
        }
    }

    fn run(&self) -> CommandResult<()> {
        let pool = load_dataset(&self.pool, true)?;
        let plan = SegmentPlan::new(self.seconds);
        let c = &self.common;
        let summary = pretrain_step(
            &pool,
            &plan,
            &self.config(),
            &c.folder(FAMILY),
            &c.cache,
            c.resume,
            self.stop_after,
            !c.quiet,
        )?;
        println!(
            "pre-trained on {} segments ({} validation): best validation loss {:.5} at epoch {} of {}; encoder in {}",
            summary.segments.0,
            summary.segments.1,
            summary.state.best_loss,
            summary.state.best_epoch,
            summary.state.epochs_done,
            c.folder(FAMILY).display()
        );
        if !summary.skipped.is_empty() {
            println!("skipped {} files: {}", summary.skipped.len(), summary.skipped.join(", "));
        }
        Ok(())
    }
}

impl HeadArgs {
    fn config(&self, seed: u64) -> SequenceTrainConfig {
        SequenceTrainConfig {
            head: super::model::HeadConfig { dropout: self.dropout, ..default_head(self.hidden) },
            sequence_length: self.sequence,
            epochs: self.head_epochs,
            batch_size: self.head_batch_size,
            learning_rate: self.head_learning_rate,
            patience: self.head_patience,
            seed,
        }
    }
}

fn evaluate(head: &HeadArgs, cv: &CvArgs, c: &RunArgs) -> CommandResult<()> {
    let data = load_dataset(&head.data, false)?;
    let config = EvaluateConfig {
        head: head.config(c.seed),
        folds: cv.folds,
        baseline: cv.baseline,
        baseline_epochs: cv.baseline_epochs,
        baseline_folds: cv.baseline_folds,
    };
    let cv = evaluate_step(&data, &config, &c.folder(FAMILY), &c.cache, c.resume, !c.quiet)?;
    for (name, folds) in [("autoencoder + BiLSTM", &cv.autoencoder), ("joint baseline", &cv.baseline)] {
        if folds.is_empty() {
            continue;
        }
        let (v, a) = pooled(folds);
        let (va, vs) = summarise(folds, |f| f.valence.accuracy());
        let (aa, as_) = summarise(folds, |f| f.arousal.accuracy());
        println!(
            "{name}: valence accuracy {:.3} ± {:.3} (F1 {:.3}), arousal accuracy {:.3} ± {:.3} (F1 {:.3}) over {} folds",
            va,
            vs,
            v.macro_f1(),
            aa,
            as_,
            a.macro_f1(),
            folds.len()
        );
    }
    Ok(())
}

fn export(head: &HeadArgs, out: &Path, describe: &str, c: &RunArgs) -> CommandResult<()> {
    let data = load_dataset(&head.data, false)?;
    let describe = if describe.is_empty() {
        format!("{} ({} excerpts)", head.data.display(), data.len())
    } else {
        describe.to_string()
    };
    export_step(
        &data,
        &head.config(c.seed),
        &c.folder(FAMILY),
        out,
        &c.cache,
        &crate::train::command_line(),
        &describe,
        !c.quiet,
    )?;
    println!("wrote {}", out.display());
    Ok(())
}

/// Runs one emotion command.
pub fn run(command: &EmotionCommand) -> CommandResult<()> {
    match command {
        EmotionCommand::Pretrain(args) => args.run(),
        EmotionCommand::Evaluate(args) => evaluate(&args.head, &args.cv, &args.common),
        EmotionCommand::Export(args) => export(&args.head, &args.out, &args.describe_data, &args.common),
        EmotionCommand::All(args) => {
            args.pretrain.run()?;
            let c = &args.pretrain.common;
            evaluate(&args.head, &args.cv, c)?;
            export(&args.head, &args.out, &args.describe_data, c)
        }
    }
}
