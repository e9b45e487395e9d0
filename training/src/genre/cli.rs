//! `earmark-train genre evaluate|export` and `earmark-train study genre`.

use std::path::PathBuf;

use crate::command_error::{CommandError, CommandResult, read_text, usage, write_file};
use crate::train::RunArgs;
use clap::{Args, Subcommand};
use earmark_core::manifest::Provenance;

use super::data::{LoadedClips, load};
use super::export::{ExportInfo, write_model};
use super::models::{Architecture, Init, NetConfig, Regularization};
use super::optim::OptimizerKind;
use super::report::{ReportInput, markdown};
use super::study::{Runner, SubgenreBase, subgenre_tables, temporal_table};
use super::train::{Clips, TrainConfig, train_fold};
use crate::data::Fold;
use crate::data::splits::rotating_group_folds;
use crate::train::FoldId;

/// Where the data is and how it is split.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Labelled clips: a folder written by `earmark-train synth --kind style`, a CSV manifest, or a folder with
    /// one sub-folder per class (GTZAN, Ballroom).
    #[arg(long)]
    pub data: PathBuf,
    /// Folds of the group cross-validation (train / validation / test = k−2 / 1 / 1 chunks: 80/10/10 % for 10).
    #[arg(long, default_value_t = 10)]
    pub folds: usize,
    /// Run only the first N folds (time-boxed studies); default all.
    #[arg(long)]
    pub run_folds: Option<usize>,
    /// Keep only the first N groups of each class (a smaller balanced set).
    #[arg(long)]
    pub per_class: Option<usize>,
    /// Run folder (per-fold results in `study.json`, tables), cache, seed, resuming, progress.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The genre family's run folder unless `--run` names another.
const FAMILY: &str = "genre";

/// The network.
#[derive(Debug, Args, Clone)]
pub struct NetArgs {
    /// Architecture.
    #[arg(long, value_enum, default_value_t = Architecture::Temporal)]
    pub arch: Architecture,
    /// Dropout, batch normalisation or both (subgenre models).
    #[arg(long, value_enum, default_value_t = Regularization::Dropout)]
    pub regularization: Regularization,
    /// Weight initialiser.
    #[arg(long, value_enum, default_value_t = Init::GlorotUniform)]
    pub init: Init,
    /// Dropout rate.
    #[arg(long, default_value_t = 0.5)]
    pub dropout: f64,
    /// Filters of the first conv block (subgenre models).
    #[arg(long, default_value_t = 8)]
    pub width: usize,
    /// Recurrent units (CRNN, CNN-RNN).
    #[arg(long, default_value_t = 32)]
    pub hidden: usize,
    /// Copies of O-net (temporal).
    #[arg(long, default_value_t = 1)]
    pub onet: usize,
    /// Copies of P-net (temporal).
    #[arg(long, default_value_t = 1)]
    pub pnet: usize,
    /// Frames per input window (Pons & Serra: 250 ≈ 5.8 s).
    #[arg(long, default_value_t = 250)]
    pub frames: usize,
}

/// Training.
#[derive(Debug, Args, Clone)]
pub struct TrainArgs {
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    pub optimizer: OptimizerKind,
    /// Learning rate (default: the optimiser's: Adam/RMSprop 1e-3, Adadelta 1, SGD 0.01).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Most epochs.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Windows per step (Pons & Serra: 50).
    #[arg(long, default_value_t = 50)]
    pub batch: usize,
    /// Epochs without a better validation accuracy before stopping.
    #[arg(long, default_value_t = 8)]
    pub patience: usize,
    /// Divide the learning rate by 10 after N epochs without a lower training loss (0: never; Pons & Serra's schedule).
    #[arg(long, default_value_t = 0)]
    pub plateau: usize,
    /// Frames between training windows (Pons & Serra: 250 or 80).
    #[arg(long, default_value_t = 250)]
    pub train_hop: usize,
    /// Frames between evaluation windows (default: the training hop).
    #[arg(long)]
    pub eval_hop: Option<usize>,
}

/// What a single-label genre network's classes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenreTask {
    /// Genres.
    Genre,
    /// Styles: tempo and metre families (the Ballroom dances and the generator's broad styles).
    Style,
}

impl GenreTask {
    /// The manifest task.
    pub fn task(self) -> earmark_core::manifest::Task {
        match self {
            GenreTask::Genre => earmark_core::manifest::Task::Genre,
            GenreTask::Style => earmark_core::manifest::Task::Style,
        }
    }
}

/// Genre commands.
#[derive(Debug, Subcommand)]
pub enum GenreCommand {
    /// Cross-validate one configuration; prints and stores per-fold results in the run folder.
    Evaluate {
        /// Data and splits.
        #[command(flatten)]
        data: DataArgs,
        /// Network.
        #[command(flatten)]
        net: NetArgs,
        /// Training.
        #[command(flatten)]
        train: TrainArgs,
    },
    /// Train the final model (all groups but a validation chunk) and write it with a manifest and REPORT.md.
    Export {
        /// Data and splits.
        #[command(flatten)]
        data: DataArgs,
        /// Network.
        #[command(flatten)]
        net: NetArgs,
        /// Training.
        #[command(flatten)]
        train: TrainArgs,
        /// Where the model goes and what it says about itself.
        #[command(flatten)]
        publish: PublishArgs,
    },
}

/// Where an exported genre or style model goes, and the provenance it carries.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Model folder to write.
    #[arg(long)]
    out: PathBuf,
    /// How the data was made, for the manifest and report.
    #[arg(long, default_value = "")]
    describe_data: String,
    /// What the classes are: genres, or styles (tempo and metre families: the dance styles); the plugin
    /// shows and sends each on its own.
    #[arg(long, value_enum, default_value_t = GenreTask::Genre)]
    task: GenreTask,
    /// Licence of the weights (inherited from the data); default: the generated-audio licence.
    #[arg(long)]
    license: Option<String>,
    /// A study's tables (Markdown) to include in the report.
    #[arg(long)]
    study: Option<PathBuf>,
}

/// `earmark-train study genre` options.
#[derive(Debug, Args)]
pub struct GenreStudyArgs {
    /// Data and splits.
    #[command(flatten)]
    pub data: DataArgs,
    /// Network defaults around which the grid varies.
    #[command(flatten)]
    pub net: NetArgs,
    /// Training defaults for the subgenre grid (the temporal nets use Pons & Serra's SGD schedule).
    #[command(flatten)]
    pub train: TrainArgs,
    /// Which studies: `subgenre` (Tables 1–4), `temporal` (Pons & Serra's Table 1), or both.
    #[arg(long, value_delimiter = ',', default_value = "subgenre,temporal")]
    pub tables: Vec<String>,
    /// Temporal nets as `O+P` copies, e.g. `1+0,0+1,2+0,1+1,0+2,2+2,4+4,8+8` (the paper's list, the default).
    #[arg(long, value_delimiter = ',', default_value = "1+0,0+1,2+0,1+1,0+2,2+2,4+4,8+8")]
    pub temporal: Vec<String>,
    /// Hops for the temporal study.
    #[arg(long, value_delimiter = ',', default_value = "250,80")]
    pub hops: Vec<usize>,
}

impl NetArgs {
    fn config(&self, classes: usize) -> NetConfig {
        NetConfig {
            architecture: self.arch,
            frames: self.frames,
            mels: super::frontend().n_mels,
            classes,
            regularization: self.regularization,
            init: self.init,
            dropout: self.dropout,
            width: self.width,
            hidden: self.hidden,
            onet: self.onet,
            pnet: self.pnet,
        }
    }
}

impl TrainArgs {
    fn config(&self, seed: u64) -> TrainConfig {
        TrainConfig {
            optimizer: self.optimizer,
            learning_rate: self.lr,
            epochs: self.epochs,
            batch_size: self.batch,
            patience: self.patience,
            plateau: self.plateau,
            train_hop: self.train_hop,
            eval_hop: self.eval_hop.unwrap_or(self.train_hop),
            seed,
        }
    }
}

struct Prepared {
    loaded: LoadedClips,
    folds: Vec<Fold>,
}

fn prepare(args: &DataArgs) -> CommandResult<Prepared> {
    let loaded = load(&args.data, &args.run.cache, args.per_class)?;
    for s in &loaded.skipped {
        eprintln!("skipped (unreadable): {s}");
    }
    let folds = rotating_group_folds(&loaded.dataset, args.folds, args.run.seed)?;
    for fold in &folds {
        fold.check_disjoint_groups(&loaded.dataset)?;
    }
    eprintln!(
        "{}: {} clips, {} groups, {} classes, {} folds",
        loaded.dataset.name,
        loaded.dataset.len(),
        loaded.dataset.group_members().len(),
        loaded.dataset.classes.len(),
        folds.len()
    );
    Ok(Prepared { loaded, folds })
}

fn runner<'a>(p: &'a Prepared, args: &DataArgs) -> CommandResult<Runner<'a>> {
    let clips = Clips { classes: &p.loaded.classes, features: &p.loaded.features };
    let mut runner = Runner::open_in(
        clips,
        &p.folds,
        args.run_folds.unwrap_or(p.folds.len()),
        (&args.run.folder(FAMILY), &p.loaded.dataset.fingerprint()),
        args.run.resume,
    )?;
    runner.show_progress = !args.run.quiet;
    Ok(runner)
}

/// Runs a genre command.
pub fn run(command: &GenreCommand) -> CommandResult<()> {
    match command {
        GenreCommand::Evaluate { data, net, train } => {
            let p = prepare(data)?;
            let net = net.config(p.loaded.dataset.classes.len());
            net.validate().map_err(CommandError::Usage)?;
            let mut runner = runner(&p, data)?;
            let record = runner.run(&net.name(), &net, &train.config(data.run.seed))?;
            let s = record.summary();
            println!(
                "{}: {} parameters · {} folds · clip accuracy {} · macro F1 {} · window accuracy {:.3}",
                net.name(),
                record.parameters,
                s.folds,
                crate::report::pm(s.accuracy, 2),
                crate::report::pm(s.macro_f1, 2),
                s.window_accuracy
            );
            Ok(())
        }
        GenreCommand::Export { data, net, train, publish } => export(data, net, train, publish),
    }
}

fn export(data: &DataArgs, net_args: &NetArgs, train_args: &TrainArgs, publish: &PublishArgs) -> CommandResult<()> {
    let PublishArgs { out, describe_data: describe, task, license, study } = publish;
    let task = *task;
    let p = prepare(data)?;
    let classes = &p.loaded.dataset.classes;
    let net = net_args.config(classes.len());
    net.validate().map_err(CommandError::Usage)?;
    let train = train_args.config(data.run.seed);
    // The cross-validation figures for the report (run now, or reused with --resume).
    let mut runner = runner(&p, data)?;
    let record = runner.run(&net.name(), &net, &train)?;
    // The final model: every group except one validation chunk (kept for choosing the epoch).
    let fold = p.folds[0].for_final_model();
    let clips = Clips { classes: &p.loaded.classes, features: &p.loaded.features };
    eprintln!("final model on {} clips (validation {})", fold.train.len(), fold.validation.len());
    let checkpoint = runner.checkpoint(&net, &train, FoldId::Final);
    let (model, outcome) = train_fold(&net, &train, &clips, &fold, FoldId::Final, !data.run.quiet, Some(&checkpoint))?;
    let s = record.summary();
    let command = crate::train::command_line();
    let data_text = if describe.is_empty() { data.data.display().to_string() } else { describe.to_string() };
    let metrics = [
        ("clip_accuracy".to_string(), s.accuracy.0),
        ("clip_macro_f1".to_string(), s.macro_f1.0),
        ("window_accuracy".to_string(), s.window_accuracy),
        ("folds_run".to_string(), s.folds as f64),
    ]
    .into_iter()
    .collect();
    let info = ExportInfo {
        name: task.task().name().to_string(),
        description: format!(
            "{} of the last {:.1} s: {} over Pons & Serra's 40-band log-mel frontend, trained by Earmark on {}.",
            if task == GenreTask::Style { "Style" } else { "Genre" },
            net.frames as f64 * super::frontend().hop_seconds(),
            net.name(),
            if task == GenreTask::Style { "generated music" } else { "the data its report names" }
        ),
        classes: classes.clone(),
        hop_frames: train.eval_hop,
        thresholds: None,
        provenance: Provenance {
            command: command.clone(),
            data: data_text.clone(),
            license: Some(license.clone().unwrap_or_else(|| {
                "same as Earmark (GPL-3.0-or-later); trained only on audio this repository generates".into()
            })),
        },
        metrics,
    };
    write_model(out, task.task(), &model, &net, outcome.standardization, &info)?;
    let study_text = match study.as_deref() {
        Some(path) => Some(read_text(path)?),
        None => None,
    };
    let report = markdown(
        &net,
        &record,
        &ReportInput {
            classes,
            data: &data_text,
            clips: p.loaded.dataset.len(),
            groups: p.loaded.dataset.group_members().len(),
            folds: p.folds.len(),
            command: &command,
            study: study_text.as_deref(),
        },
    );
    let report_path = out.join("REPORT.md");
    write_file(&report_path, report)?;
    println!("wrote {} (final model: best epoch {}, {:.0} s)", out.display(), outcome.best_epoch, outcome.seconds);
    Ok(())
}

/// Runs `earmark-train study genre`: the tables go to stdout and to `<run>/STUDY.md`.
pub fn study(args: &GenreStudyArgs) -> CommandResult<()> {
    let p = prepare(&args.data)?;
    let classes = p.loaded.dataset.classes.len();
    let mut runner = runner(&p, &args.data)?;
    let base = SubgenreBase { net: args.net.config(classes), train: args.train.config(args.data.run.seed) };
    let mut out = format!(
        "## Genre study\n\n{} clips, {} groups, {} classes; {} of {} folds run; at most {} epochs per run.\n\n",
        p.loaded.dataset.len(),
        p.loaded.dataset.group_members().len(),
        classes,
        runner.run_folds,
        p.folds.len(),
        args.train.epochs
    );
    for table in &args.tables {
        match table.as_str() {
            "subgenre" => out += &subgenre_tables(&mut runner, &base)?,
            "temporal" => {
                let nets = args.temporal.iter().map(|t| parse_temporal(t)).collect::<CommandResult<Vec<_>>>()?;
                // Pons & Serra: plain gradient descent, lr 0.01, minibatch 50, lr ÷ 10 on training-loss plateaus.
                let pons = SubgenreBase {
                    net: base.net.clone(),
                    train: TrainConfig {
                        optimizer: OptimizerKind::Sgd,
                        learning_rate: None,
                        batch_size: 50,
                        plateau: 3,
                        ..base.train.clone()
                    },
                };
                out += &temporal_table(&mut runner, &pons, &nets, &args.hops)?;
            }
            other => usage!("unknown study table `{other}`: use subgenre, temporal"),
        }
        out += "\n";
    }
    let path = args.data.run.folder(FAMILY).join("STUDY.md");
    write_file(&path, &out)?;
    println!("{out}");
    Ok(())
}

fn parse_temporal(text: &str) -> CommandResult<(usize, usize)> {
    let bad = || CommandError::Usage(format!("`{text}`: write temporal nets as O+P, e.g. 1+1"));
    let (o, p) = text.split_once('+').ok_or_else(bad)?;
    Ok((o.trim().parse().map_err(|_| bad())?, p.trim().parse().map_err(|_| bad())?))
}
