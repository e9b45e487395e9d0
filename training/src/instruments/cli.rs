//! `earmark-train instruments evaluate|export` and `earmark-train study instruments`.

use std::path::{Path, PathBuf};

use crate::command_error::{CommandError, CommandResult, read_text, usage, write_file};
use crate::train::RunArgs;
use clap::{Args, Subcommand};
use earmark_core::manifest::{Provenance, Task};

use super::data::{LoadedTags, load};
use super::export::write_model;
use super::figures;
use super::model::{Method, TaggerConfig};
use super::study::{LAMBDAS, TagRecord, TagRunner, TagSets, table};
use super::train::{TagTrainConfig, train_fold};
use crate::data::Fold;
use crate::data::splits::rotating_group_folds;
use crate::onnx::graph::ExportInfo;
use crate::train::{FoldId, TrainError};

/// The instrument family's run folder unless `--run` names another (the flat tagger's tasks share it).
const FAMILY: &str = "instruments";

/// Data, splits and run folder.
#[derive(Debug, Args, Clone)]
pub struct TagDataArgs {
    /// Tagged clips: a folder written by `earmark-train synth --kind instruments`, a CSV manifest with
    /// `hierarchy.json` beside it, or an OpenMIC-2018 root.
    #[arg(long)]
    pub data: PathBuf,
    /// Folds over groups (train / validation / test = k−2 / 1 / 1 chunks).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Run only the first N folds.
    #[arg(long)]
    pub run_folds: Option<usize>,
    /// Run folder (`tag-study.json`, `STUDY.md`), cache, seed, resuming, progress.
    #[command(flatten)]
    pub run: RunArgs,
    /// What the tags are for: instrument families (the hierarchical tagger), or a flat tagger for `emotion` (the
    /// tags `valence` and `arousal`, present when high), `genre`, or `content` (the tags `music` and `speech`);
    /// decides the exported model's task and the report's figures.
    #[arg(long, value_enum, default_value_t = TagTask::Instruments)]
    pub task: TagTask,
    /// More labelled clips (same tags) added to the training part of every fold and of the final model, never
    /// validated or tested on (rendered or generated material beside a real set).
    #[arg(long)]
    pub train_extra: Option<PathBuf>,
}

/// The task a tagger serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TagTask {
    /// Instrument tags under families.
    Instruments,
    /// `valence` and `arousal`, P(high).
    Emotion,
    /// Genre tags.
    Genre,
    /// What the input is: the tags `music` and `speech` (both absent: silence or noise).
    Content,
}

impl TagTask {
    /// The manifest task.
    pub fn task(self) -> Task {
        match self {
            TagTask::Instruments => Task::Instruments,
            TagTask::Emotion => Task::Emotion,
            TagTask::Genre => Task::Genre,
            TagTask::Content => Task::Content,
        }
    }
}

/// Network and training options.
#[derive(Debug, Args, Clone)]
pub struct TaggerArgs {
    /// Coarse-level method.
    #[arg(long, value_enum, default_value_t = Method::Resatt)]
    pub method: Method,
    /// λ, the fine-level loss weight (ignored by `flat`).
    #[arg(long, default_value_t = 0.8)]
    pub lambda: f64,
    /// Frames per window (100 per second).
    #[arg(long, default_value_t = 256)]
    pub frames: usize,
    /// Filters of the first conv block (doubling per block).
    #[arg(long, default_value_t = 8)]
    pub width: usize,
    /// Conv blocks.
    #[arg(long, default_value_t = 4)]
    pub blocks: usize,
    /// Embedding size.
    #[arg(long, default_value_t = 64)]
    pub embedding: usize,
    /// Dropout on the embedding.
    #[arg(long, default_value_t = 0.2)]
    pub dropout: f64,
    /// Peak learning rate (Adam; the paper uses 1e-4 with a pretrained base, we train from scratch).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Adam weight decay.
    #[arg(long, default_value_t = 1e-4)]
    pub weight_decay: f64,
    /// Warm-up epochs.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Most epochs.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Epochs without a lower validation fine loss before stopping.
    #[arg(long, default_value_t = 5)]
    pub patience: usize,
    /// Windows per step (the paper: 16).
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Frames between training windows.
    #[arg(long, default_value_t = 128)]
    pub train_hop: usize,
    /// Frames between the training windows of `--train-extra` clips (default: `--train-hop`): rendered extras
    /// many times the real set's size join each epoch without multiplying its cost.
    #[arg(long)]
    pub extra_hop: Option<usize>,
    /// Frames between evaluation windows.
    #[arg(long, default_value_t = 256)]
    pub eval_hop: usize,
    /// Augmentation: each training window's level shifted by up to ± this many dB and its spectrum tilted by up
    /// to ± half as many (0: none).
    #[arg(long, default_value_t = 0.0)]
    pub augment_db: f32,
    /// Mixup's α: each training window mixed with another of its batch as sounds, at a weight drawn from
    /// Beta(α, α), and its targets likewise (0: none; 0.2–1 are usual).
    #[arg(long, default_value_t = 0.0, value_parser = mixup_alpha)]
    pub mixup: f32,
}

/// Mixup's α from the command line (see [`super::mixup::check_alpha`]).
fn mixup_alpha(text: &str) -> Result<f32, String> {
    super::mixup::check_alpha(text.parse().map_err(|e| format!("{e}"))?)
}

/// Instrument commands.
#[derive(Debug, Subcommand)]
pub enum InstrumentsCommand {
    /// Cross-validate one configuration (per-fold results kept in the run folder).
    Evaluate {
        /// Data.
        #[command(flatten)]
        data: TagDataArgs,
        /// Model and training.
        #[command(flatten)]
        tagger: TaggerArgs,
    },
    /// Train the final model (all groups but a validation chunk) and write it with its manifest and REPORT.md.
    Export {
        /// Data.
        #[command(flatten)]
        data: TagDataArgs,
        /// Model and training.
        #[command(flatten)]
        tagger: TaggerArgs,
        /// Model folder to write.
        #[arg(long)]
        out: PathBuf,
        /// How the data was made, for the manifest and report.
        #[arg(long, default_value = "")]
        describe_data: String,
        /// Licence of the weights (inherited from the data).
        #[arg(long)]
        license: Option<String>,
        /// A study's tables (Markdown) to include in the report.
        #[arg(long)]
        study: Option<PathBuf>,
        /// Another labelled set (same tags) the final model is also scored on, all of it: how far it carries to
        /// music it never heard the like of (emotion: 4Q ↔ rendered EMOPIA; instruments: mixtures built only from
        /// held-out recordings, `synth --holdout test` — then the manifest's `heldout_*` metrics).
        #[arg(long)]
        cross_data: Option<PathBuf>,
    },
}

/// `earmark-train study instruments` options.
#[derive(Debug, Args)]
pub struct TagStudyArgs {
    /// Data.
    #[command(flatten)]
    pub data: TagDataArgs,
    /// Model and training defaults (method and λ vary).
    #[command(flatten)]
    pub tagger: TaggerArgs,
    /// Methods to compare (default: all seven).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub methods: Vec<Method>,
    /// λ grid (the paper's by default).
    #[arg(long, value_delimiter = ',', default_value = "0.70,0.75,0.80,0.85,0.90")]
    pub lambdas: Vec<f64>,
    /// A held-out set (same tags; e.g. `synth --holdout test` mixtures) every fold's model is also scored on:
    /// Table 1b.
    #[arg(long)]
    pub cross_data: Option<PathBuf>,
}

impl TaggerArgs {
    fn configs(&self, loaded: &LoadedTags, seed: u64) -> (TaggerConfig, TagTrainConfig) {
        let net = TaggerConfig {
            method: self.method,
            frames: self.frames,
            mels: super::frontend().n_mels,
            parents: loaded.hierarchy.parents.clone(),
            coarse: loaded.hierarchy.coarse.len(),
            width: self.width,
            blocks: self.blocks,
            embedding: self.embedding,
            dropout: self.dropout,
        };
        let train = TagTrainConfig {
            lambda: self.lambda,
            learning_rate: self.lr,
            weight_decay: self.weight_decay,
            warmup: self.warmup,
            epochs: self.epochs,
            patience: self.patience,
            batch_size: self.batch,
            train_hop: self.train_hop,
            extra_hop: self.extra_hop,
            eval_hop: self.eval_hop,
            augment_db: self.augment_db,
            mixup: self.mixup,
            seed,
        };
        (net, train)
    }
}

fn prepare(args: &TagDataArgs) -> CommandResult<(LoadedTags, Vec<Fold>)> {
    let mut loaded = load(&args.data, &args.run.cache)?;
    for s in &loaded.skipped {
        eprintln!("skipped (unreadable): {s}");
    }
    // Folds over the set itself; extra training clips join every fold's training part afterwards.
    let mut folds = rotating_group_folds(&loaded.dataset, args.folds, args.run.seed)?;
    if let Some(extra) = &args.train_extra {
        let added = loaded.append_training_only(extra, &args.run.cache)?;
        eprintln!("{} extra training clips from {}", added.len(), extra.display());
        folds.iter_mut().for_each(|f| f.train.extend(added.iter().copied()));
    }
    for fold in &folds {
        fold.check_disjoint_groups(&loaded.dataset)?;
    }
    eprintln!(
        "{}: {} clips, {} groups, {} tags in {} families, {} folds",
        loaded.dataset.name,
        loaded.dataset.len(),
        loaded.dataset.group_members().len(),
        loaded.hierarchy.fine.len(),
        loaded.hierarchy.coarse.len(),
        folds.len()
    );
    Ok((loaded, folds))
}

fn runner<'a>(
    loaded: &'a LoadedTags,
    held_out: Option<&'a LoadedTags>,
    folds: &'a [Fold],
    args: &TagDataArgs,
) -> CommandResult<TagRunner<'a>> {
    let sets = TagSets { clips: loaded.clips(), held_out: held_out.map(LoadedTags::clips) };
    let mut runner = TagRunner::open_in(
        sets,
        folds,
        args.run_folds.unwrap_or(folds.len()),
        &args.run.folder(FAMILY),
        args.run.resume,
    )?;
    runner.show_progress = !args.run.quiet;
    Ok(runner)
}

/// A held-out instrument set: the same tags under the same families as the training set, or an error naming it.
fn load_held_out(path: &Path, cache: &Path, loaded: &LoadedTags) -> CommandResult<LoadedTags> {
    let other = load(path, cache)?;
    if other.hierarchy.fine != loaded.hierarchy.fine || other.hierarchy.parents != loaded.hierarchy.parents {
        usage!("{}: its tags and families differ from the training set's", path.display());
    }
    Ok(other)
}

fn summary(record: &TagRecord) -> String {
    format!(
        "{} folds · fine ROC-AUC {:.3} PR-AUC {:.3} F1 {:.3} · coarse ROC-AUC {:.3} PR-AUC {:.3} F1 {:.3}",
        record.folds.len(),
        record.mean(|o| o.fine.roc_auc),
        record.mean(|o| o.fine.pr_auc),
        record.mean(|o| o.fine.f1),
        record.mean(|o| o.coarse.roc_auc),
        record.mean(|o| o.coarse.pr_auc),
        record.mean(|o| o.coarse.f1),
    )
}

/// Runs an instruments command.
pub fn run(command: &InstrumentsCommand) -> CommandResult<()> {
    match command {
        InstrumentsCommand::Evaluate { data, tagger } => {
            let (loaded, folds) = prepare(data)?;
            let (net, train) = tagger.configs(&loaded, data.run.seed);
            net.validate().map_err(CommandError::Usage)?;
            let record = runner(&loaded, None, &folds, data)?.run(&format!("{:?}", net.method), &net, &train)?;
            println!("{:?} (λ {}): {} parameters · {}", net.method, train.lambda, record.parameters, summary(&record));
            match data.task {
                TagTask::Emotion => println!("{}", figures::emotion_markdown(&record, &loaded.dataset)),
                TagTask::Genre => println!("{}", figures::genre_markdown(&record, &loaded.dataset, loaded.own_len())),
                TagTask::Content => {
                    println!("{}", figures::content_markdown(&record, &loaded.dataset, loaded.own_len()))
                }
                TagTask::Instruments => {}
            }
            Ok(())
        }
        InstrumentsCommand::Export { data, tagger, out, describe_data, license, study, cross_data } => {
            export(data, tagger, out, describe_data, license.clone(), study.as_deref(), cross_data.as_deref())
        }
    }
}

fn export(
    data: &TagDataArgs,
    tagger: &TaggerArgs,
    out: &Path,
    describe: &str,
    license: Option<String>,
    study: Option<&Path>,
    cross_data: Option<&Path>,
) -> CommandResult<()> {
    // Read before any training, so a wrong path fails in a second, not after the folds.
    let study_text = match study {
        Some(p) => Some(read_text(p)?),
        None => None,
    };
    let (loaded, folds) = prepare(data)?;
    let (net, train) = tagger.configs(&loaded, data.run.seed);
    net.validate().map_err(CommandError::Usage)?;
    // The other set is loaded before any training (a wrong path fails at once) and scores every fold's model
    // too (`held_out` in the run's records), not only the final one.
    let cross = cross_data.map(|p| load_held_out(p, &data.run.cache, &loaded)).transpose()?;
    let mut runner = runner(&loaded, cross.as_ref(), &folds, data)?;
    let label = format!("{:?}", net.method);
    // With a second process on the run (`--resume`), folds it holds leave this one free to train the final model
    // meanwhile; the report waits for every fold.
    let (record, folds_busy) = match runner.run(&label, &net, &train) {
        Ok(record) => (Some(record), None),
        Err(busy @ TrainError::Busy { .. }) => (None, Some(busy)),
        Err(e) => return Err(e.into()),
    };
    let checkpoint = runner.checkpoint(&net, &train, FoldId::Final);
    let Some(_claim) = runner.store.claim(&checkpoint)? else {
        return Err(folds_busy.unwrap_or_else(|| runner.store.busy("the final model")).into());
    };
    // The final model trains on every group but the validation chunk (which picks the epoch and thresholds).
    let fold = folds[0].for_final_model();
    let clips = loaded.clips();
    eprintln!("final model on {} clips (validation {})", fold.train.len(), fold.validation.len());
    let (model, outcome) = train_fold(&net, &train, &clips, &fold, FoldId::Final, !data.run.quiet, Some(&checkpoint))?;
    let record = match record {
        Some(record) => record,
        // The folds another process held: stored by now, or still training (then this stops, the final model
        // kept in its checkpoint for the process that writes the report).
        None => runner.run(&label, &net, &train)?,
    };
    let command = crate::train::command_line();
    let data_text = if describe.is_empty() { data.data.display().to_string() } else { describe.to_string() };
    if data.task != TagTask::Instruments {
        let cross = match &cross {
            Some(other) => Some(cross_figures(other, &model, &net, &train, &outcome)?),
            None => None,
        };
        let input = super::report::TaskReport {
            task: data.task.task(),
            net: &net,
            train: &train,
            loaded: &loaded,
            record: &record,
            last: &outcome,
            folds: folds.len(),
            data: &data_text,
            command: &command,
            study: study_text.as_deref(),
            cross: cross.as_ref().map(|(name, text, _)| (name.as_str(), text.as_str())),
        };
        let mut metrics = super::report::task_metrics(&input);
        if let Some((_, _, cross_metrics)) = &cross {
            metrics.extend(cross_metrics.clone());
        }
        let task = data.task.task();
        let info = ExportInfo {
            name: task.name().replace('_', "-"),
            description: super::report::task_description(&input),
            classes: loaded.hierarchy.fine.clone(),
            hop_frames: train.eval_hop,
            thresholds: Some(outcome.fine_thresholds.clone()),
            provenance: Provenance { command: command.clone(), data: data_text.clone(), license },
            metrics,
        };
        write_model(out, &model, &net, &loaded.hierarchy, outcome.standardization, task, &info)?;
        let report = super::report::task_markdown(&input);
        let report_path = out.join("REPORT.md");
        write_file(&report_path, report)?;
        println!("wrote {} · {}", out.display(), summary(&record));
        return Ok(());
    }
    let held_out = match &cross {
        Some(other) => {
            let clips = other.clips();
            let thresholds = (&outcome.fine_thresholds[..], &outcome.coarse_thresholds[..]);
            let e = super::train::evaluate(
                &model,
                &net,
                &clips,
                train.eval_hop,
                outcome.standardization,
                thresholds,
                train.batch_size,
            );
            Some((other.dataset.name.clone(), e))
        }
        None => None,
    };
    let mut metrics: std::collections::BTreeMap<String, f64> = [
        ("fine_roc_auc", record.mean(|o| o.fine.roc_auc)),
        ("fine_pr_auc", record.mean(|o| o.fine.pr_auc)),
        ("fine_f1", record.mean(|o| o.fine.f1)),
        ("coarse_roc_auc", record.mean(|o| o.coarse.roc_auc)),
        ("coarse_pr_auc", record.mean(|o| o.coarse.pr_auc)),
        ("coarse_f1", record.mean(|o| o.coarse.f1)),
        ("folds_run", record.folds.len() as f64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (family, t) in loaded.hierarchy.coarse.iter().zip(&outcome.coarse_thresholds) {
        metrics.insert(format!("coarse_threshold.{family}"), f64::from(*t));
    }
    if let Some((_, e)) = &held_out {
        for (key, value) in [
            ("heldout_fine_roc_auc", e.fine.roc_auc),
            ("heldout_fine_pr_auc", e.fine.pr_auc),
            ("heldout_fine_f1", e.fine.f1),
            ("heldout_coarse_roc_auc", e.coarse.roc_auc),
            ("heldout_coarse_pr_auc", e.coarse.pr_auc),
            ("heldout_coarse_f1", e.coarse.f1),
            ("heldout_clips", e.clips as f64),
        ] {
            metrics.insert(key.to_string(), value);
        }
    }
    let task = data.task.task();
    let info = ExportInfo {
        name: task.name().replace('_', "-"),
        description: format!(
            "Instruments of the last {:.2} s: {} tags in {} families, the families by {}, after the hierarchical tagging paper; trained by Earmark.",
            net.frames as f64 * super::frontend().hop_seconds(),
            loaded.hierarchy.fine.len(),
            loaded.hierarchy.coarse.len(),
            net.method.label()
        ),
        classes: loaded.hierarchy.fine.clone(),
        hop_frames: train.eval_hop,
        thresholds: Some(outcome.fine_thresholds.clone()),
        provenance: Provenance { command: command.clone(), data: data_text.clone(), license },
        metrics,
    };
    write_model(out, &model, &net, &loaded.hierarchy, outcome.standardization, task, &info)?;
    let mut report = super::report::markdown(
        &net,
        &train,
        &loaded,
        &record,
        &outcome,
        folds.len(),
        &data_text,
        &command,
        study_text.as_deref(),
    );
    if let Some((name, e)) = &held_out {
        report += &format!("\n{}", super::report::held_out_markdown(name, &loaded.hierarchy, e));
    }
    let report_path = out.join("REPORT.md");
    write_file(&report_path, report)?;
    println!("wrote {} · {}", out.display(), summary(&record));
    Ok(())
}

/// The final model's figures on every clip of another set: (its name, the report section, manifest metrics).
fn cross_figures(
    other: &LoadedTags,
    model: &super::model::Tagger,
    net: &TaggerConfig,
    train: &TagTrainConfig,
    outcome: &super::train::TagOutcome,
) -> CommandResult<(String, String, std::collections::BTreeMap<String, f64>)> {
    let items: Vec<usize> = (0..other.dataset.len()).collect();
    let windows = crate::genre::windows::WindowSet::from_clips(
        (net.frames, net.mels),
        &items,
        &other.features,
        train.eval_hop,
        outcome.standardization,
    );
    let probabilities: Vec<(usize, Vec<f32>)> = super::train::clip_probabilities(model, &windows, train.batch_size)
        .into_iter()
        .map(|(owner, fine, _)| (owner, fine))
        .collect();
    let name = other.dataset.name.clone();
    let e = figures::emotion_figures(&probabilities, &other.dataset)
        .ok_or_else(|| CommandError::Usage("cross-set figures need the tags valence and arousal".into()))?;
    let [va, vf, aa, af, qa, qf] = e.figures().map(|x| 100.0 * x);
    let (valence_auc, arousal_auc) = e.roc_auc();
    let auc = |x: Option<f64>| x.map_or_else(|| "—".to_string(), |x| format!("{x:.3}"));
    let text = format!(
        "{} clips: valence accuracy {va:.1} % (macro F1 {vf:.1}, ROC-AUC {}), arousal {aa:.1} % ({af:.1}, ROC-AUC {}), quadrant {qa:.1} % ({qf:.1}).\n\n**Quadrant**\n\n{}",
        e.quadrant.total(),
        auc(valence_auc),
        auc(arousal_auc),
        e.quadrant.markdown(&["Q1", "Q2", "Q3", "Q4"])
    );
    let mut metrics: std::collections::BTreeMap<String, f64> = [
        (format!("cross_{name}_valence_accuracy"), e.valence.accuracy()),
        (format!("cross_{name}_arousal_accuracy"), e.arousal.accuracy()),
        (format!("cross_{name}_quadrant_accuracy"), e.quadrant.accuracy()),
    ]
    .into_iter()
    .collect();
    for (key, value) in [("valence", valence_auc), ("arousal", arousal_auc)] {
        if let Some(value) = value {
            metrics.insert(format!("cross_{name}_{key}_roc_auc"), value);
        }
    }
    Ok((name, text, metrics))
}

/// Runs `earmark-train study instruments`: Table 1 to stdout and `<run>/STUDY.md`.
pub fn study(args: &TagStudyArgs) -> CommandResult<()> {
    let (loaded, folds) = prepare(&args.data)?;
    let (net, train) = args.tagger.configs(&loaded, args.data.run.seed);
    net.validate().map_err(CommandError::Usage)?;
    let methods = if args.methods.is_empty() { Method::ALL.to_vec() } else { args.methods.clone() };
    let lambdas = if args.lambdas.is_empty() { LAMBDAS.to_vec() } else { args.lambdas.clone() };
    let held_out = args.cross_data.as_deref().map(|p| load_held_out(p, &args.data.run.cache, &loaded)).transpose()?;
    let mut runner = runner(&loaded, held_out.as_ref(), &folds, &args.data)?;
    let (tables, _) = table(&mut runner, &net, &train, &methods, &lambdas)?;
    let out = format!(
        "## Instrument study\n\n{} clips, {} groups, {} tags in {} families; {} of {} folds run; at most {} epochs per run.\n\n{tables}",
        loaded.dataset.len(),
        loaded.dataset.group_members().len(),
        loaded.hierarchy.fine.len(),
        loaded.hierarchy.coarse.len(),
        runner.run_folds,
        folds.len(),
        train.epochs
    );
    let path = args.data.run.folder(FAMILY).join("STUDY.md");
    write_file(&path, &out)?;
    println!("{out}");
    Ok(())
}
