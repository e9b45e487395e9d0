//! The whole emotion recipe, step by step, with everything a step produces written into a run folder so each
//! step can be resumed or redone on its own:
//!
//! | step | reads | writes |
//! |---|---|---|
//! | [`pretrain_step`] | unlabelled audio | `pretrain.ckpt` (per epoch), `encoder.bpk`, `pretrain.json` |
//! | [`evaluate_step`] | labelled excerpts + encoder | `cv.json` (per fold, resumable) |
//! | [`export_step`] | labelled excerpts + encoder + `cv.json` | ONNX graphs, `manifest.json`, `REPORT.md` |
//!
//! The autoencoder is pre-trained on a pool separate from the labelled excerpts, so the cross-validated
//! figures of the head never rest on an encoder that has seen a test excerpt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use earmark_core::manifest::Provenance;
use serde::{Deserialize, Serialize};

use super::export::{ExportInfo, write_model};
use super::model::{AutoencoderConfig, ConvEncoder, HeadConfig};
use super::pretrain::{PretrainConfig, SegmentSet, pretrain};
pub use super::results::{CvResults, EvaluateConfig, PretrainSummary, pooled, summarise};
use super::segments::{SEGMENT_FRAMES, SEGMENT_MELS, SegmentPlan};
use super::sequence::{Excerpt, SequenceTrainConfig, baseline_fold, embed, head_fold, usable_length};
use crate::data::splits::{ValidationGroups, group_k_fold_with_validation};
use crate::data::{Dataset, Fold, Item, Target, TargetKind};
use crate::feature_cache::FeatureCache;
use crate::train::{FoldId, TrainError};

/// Pre-training's outputs inside the run folder.
pub const CHECKPOINT_FILE: &str = "pretrain.ckpt";
/// The best encoder's weights.
pub const ENCODER_FILE: &str = "encoder.bpk";
/// Pre-training's configuration and history.
pub const PRETRAIN_FILE: &str = "pretrain.json";
/// Cross-validation results.
pub const CV_FILE: &str = "cv.json";

/// Why a pipeline step failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Training failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The data could not be used.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// Features could not be computed or cached.
    #[error(transparent)]
    Cache(#[from] crate::feature_cache::CacheError),
    /// Export failed.
    #[error(transparent)]
    Export(#[from] crate::onnx::graph::ExportError),
    /// A run-folder file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Anything else a user must fix.
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl Fn(String) -> PipelineError + '_ {
    move |reason| PipelineError::Io { path: path.to_path_buf(), reason }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PipelineError> {
    crate::train::write_atomic(path, bytes).map_err(|e| io(path)(e.to_string()))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), PipelineError> {
    write_atomic(path, serde_json::to_string_pretty(value).expect("serialisable").as_bytes())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, PipelineError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path)(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| io(path)(format!("not what this step expects: {e}")))
}

/// Labelled excerpts cut into segments.
#[derive(Debug, Clone, Default)]
pub struct ExcerptSet {
    /// All segments, excerpt after excerpt.
    pub segments: SegmentSet,
    /// The excerpts.
    pub excerpts: Vec<Excerpt>,
    /// Files that could not be read (reported, not fatal).
    pub skipped: Vec<String>,
}

impl ExcerptSet {
    /// The excerpts as a dataset (for group-aware splitting).
    pub fn dataset(&self) -> Dataset {
        Dataset {
            name: "excerpts".into(),
            kind: TargetKind::ValenceArousal,
            classes: vec!["valence".into(), "arousal".into()],
            hierarchy: None,
            items: self
                .excerpts
                .iter()
                .map(|e| Item {
                    path: PathBuf::from(&e.name),
                    group: e.group.clone(),
                    target: Target::ValenceArousal { valence: e.valence, arousal: e.arousal },
                })
                .collect(),
        }
    }
}

/// Decodes (through the feature cache), segments and collects `dataset`. Items of other target kinds are
/// treated as unlabelled (valence = arousal = 0): pre-training does not look at labels.
pub fn load_excerpts(
    dataset: &Dataset,
    plan: &SegmentPlan,
    cache_root: &Path,
    show_progress: bool,
) -> Result<ExcerptSet, PipelineError> {
    let mut cache = FeatureCache::open(cache_root, &plan.frontend())?;
    let mut set = ExcerptSet { segments: SegmentSet::new(SEGMENT_FRAMES, SEGMENT_MELS), ..ExcerptSet::default() };
    let bar = crate::train::epoch_bar(dataset.len(), 1, 1, show_progress).with_prefix("features");
    for (index, item) in dataset.items.iter().enumerate() {
        bar.inc(1);
        let features = match dataset.features_of(&[index], &mut cache).features.pop() {
            Some((_, f)) => f,
            None => {
                set.skipped.push(item.path.display().to_string());
                continue;
            }
        };
        let segments = plan.segments(features.view());
        if segments.is_empty() {
            set.skipped.push(format!("{} (shorter than one {} s segment)", item.path.display(), plan.seconds));
            continue;
        }
        let (valence, arousal) = match item.target {
            Target::ValenceArousal { valence, arousal } => (valence, arousal),
            _ => (0.0, 0.0),
        };
        let start = set.segments.len();
        for s in &segments {
            set.segments.push(s.as_slice().expect("owned arrays are contiguous"));
        }
        set.excerpts.push(Excerpt {
            name: item.path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            group: item.group.clone(),
            valence,
            arousal,
            start,
            count: segments.len(),
        });
    }
    bar.finish_and_clear();
    Ok(set)
}

/// Splits excerpts into training and validation segment sets by group (`validation_fraction` of the groups).
pub fn split_segments(
    set: &ExcerptSet,
    validation_fraction: f64,
    seed: u64,
) -> Result<(SegmentSet, SegmentSet), PipelineError> {
    let dataset = set.dataset();
    let k = ((1.0 / validation_fraction.clamp(0.05, 0.5)).round() as usize).min(dataset.groups().len()).max(2);
    let fold = group_k_fold_with_validation(&dataset, k, seed, ValidationGroups::None)?
        .into_iter()
        .next()
        .expect("k ≥ 2 folds");
    let collect = |indices: &[usize]| {
        let mut out = SegmentSet::new(set.segments.frames, set.segments.mels);
        for &i in indices {
            let e = &set.excerpts[i];
            (e.start..e.start + e.count).for_each(|s| out.push(set.segments.segment(s)));
        }
        out
    };
    Ok((collect(&fold.train), collect(&fold.test)))
}

/// Step 1: pre-trains the autoencoder on `pool` and stores the best encoder so far in `run`.
#[allow(clippy::too_many_arguments)] // each is a distinct input of the step; a struct would only rename them
pub fn pretrain_step(
    pool: &Dataset,
    plan: &SegmentPlan,
    config: &PretrainConfig,
    run: &Path,
    cache_root: &Path,
    resume: bool,
    stop_after: Option<usize>,
    show_progress: bool,
) -> Result<PretrainSummary, PipelineError> {
    std::fs::create_dir_all(run).map_err(|e| io(run)(e.to_string()))?;
    let set = load_excerpts(pool, plan, cache_root, show_progress)?;
    let (train, validation) = split_segments(&set, 0.1, config.seed)?;
    let (ae, state) =
        pretrain(config, &train, &validation, Some(&run.join(CHECKPOINT_FILE)), resume, stop_after, show_progress)?;
    let bytes = ae.encoder.into_record().into_bytes().map_err(|e| PipelineError::Invalid(e.to_string()))?;
    write_atomic(&run.join(ENCODER_FILE), &bytes)?;
    let summary = PretrainSummary {
        plan: *plan,
        state,
        segments: (train.len(), validation.len()),
        excerpts: set.excerpts.len(),
        skipped: set.skipped,
    };
    write_json(&run.join(PRETRAIN_FILE), &summary)?;
    Ok(summary)
}

/// Loads the encoder stored by [`pretrain_step`].
pub fn load_encoder(run: &Path) -> Result<(ConvEncoder, PretrainSummary), PipelineError> {
    let summary: PretrainSummary = read_json(&run.join(PRETRAIN_FILE))
        .map_err(|e| PipelineError::Invalid(format!("{e}\n  (run `earmark-train emotion pretrain` first)")))?;
    let path = run.join(ENCODER_FILE);
    let bytes = std::fs::read(&path).map_err(|e| io(&path)(e.to_string()))?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| io(&path)(e.to_string()))?;
    let encoder = summary.state.config.network.init_encoder(&Device::default());
    let encoder = encoder.try_load_record(record).map_err(|e| io(&path)(e.to_string()))?;
    Ok((encoder, summary))
}

fn folds_for(set: &ExcerptSet, k: usize, seed: u64) -> Result<Vec<Fold>, PipelineError> {
    let dataset = set.dataset();
    let folds = group_k_fold_with_validation(&dataset, k, seed, ValidationGroups::Fraction(0.1))?;
    for fold in &folds {
        fold.check_disjoint_groups(&dataset)?;
    }
    Ok(folds)
}

/// Step 2: k-fold cross-validation of the head on the frozen encoder (and optionally of the joint baseline).
pub fn evaluate_step(
    labelled: &Dataset,
    config: &EvaluateConfig,
    run: &Path,
    cache_root: &Path,
    resume: bool,
    show_progress: bool,
) -> Result<CvResults, PipelineError> {
    if labelled.kind != TargetKind::ValenceArousal {
        return Err(PipelineError::Invalid(format!(
            "{} has {:?} labels; the emotion model needs valence/arousal (CSV columns `valence,arousal`, or PMEmo)",
            labelled.name, labelled.kind
        )));
    }
    let (encoder, summary) = load_encoder(run)?;
    let set = load_excerpts(labelled, &summary.plan, cache_root, show_progress)?;
    let cv_path = run.join(CV_FILE);
    let mut results: CvResults = if resume && cv_path.exists() { read_json(&cv_path)? } else { CvResults::default() };
    if results.config.as_ref().is_some_and(|c| c != config) {
        return Err(PipelineError::Invalid(format!(
            "{} was written with other options; start without --resume or repeat them",
            cv_path.display()
        )));
    }
    let mut head_config = config.head.clone();
    head_config.head.features = encoder.embedding_len();
    head_config.sequence_length = usable_length(&set.excerpts, head_config.sequence_length)?;
    results.config = Some(config.clone());
    results.excerpts = set.excerpts.len();
    results.groups = set.dataset().groups().len();
    let folds = folds_for(&set, config.folds, config.head.seed)?;
    let embeddings = embed(&encoder, &set.segments, show_progress);
    for (f, fold) in folds.iter().enumerate().skip(results.autoencoder.len()) {
        if show_progress {
            eprintln!("fold {}/{}: autoencoder + BiLSTM", f + 1, folds.len());
        }
        let (_, result) = head_fold(&head_config, &embeddings, &set.excerpts, fold, FoldId::Cv(f), show_progress)?;
        results.autoencoder.push(result);
        write_json(&cv_path, &results)?;
    }
    if config.baseline {
        let baseline_config = SequenceTrainConfig { epochs: config.baseline_epochs, ..head_config.clone() };
        let count = config.baseline_folds.unwrap_or(folds.len()).min(folds.len());
        for (f, fold) in folds.iter().enumerate().take(count).skip(results.baseline.len()) {
            if show_progress {
                eprintln!("fold {}/{count}: joint CNN + BiLSTM baseline", f + 1);
            }
            let (_, result) = baseline_fold(
                &baseline_config,
                &summary.state.config.network,
                &set.segments,
                &set.excerpts,
                fold,
                FoldId::Cv(f),
                show_progress,
            )?;
            results.baseline.push(result);
            write_json(&cv_path, &results)?;
        }
    }
    Ok(results)
}

/// Step 3: trains the final head on all labelled excerpts (a tenth of the groups kept for early stopping) and
/// writes the model folder with its report.
#[allow(clippy::too_many_arguments)] // each is a distinct input of the step; a struct would only rename them
pub fn export_step(
    labelled: &Dataset,
    head: &SequenceTrainConfig,
    run: &Path,
    out: &Path,
    cache_root: &Path,
    command: &str,
    data_description: &str,
    show_progress: bool,
) -> Result<(), PipelineError> {
    let (encoder, summary) = load_encoder(run)?;
    let set = load_excerpts(labelled, &summary.plan, cache_root, show_progress)?;
    let mut config = head.clone();
    config.head.features = encoder.embedding_len();
    config.sequence_length = usable_length(&set.excerpts, config.sequence_length)?;
    let dataset = set.dataset();
    let fold = group_k_fold_with_validation(
        &dataset,
        10.min(dataset.groups().len()).max(2),
        head.seed,
        ValidationGroups::None,
    )?
    .into_iter()
    .next()
    .expect("folds");
    // Train on everything but the first fold's groups, which early stopping watches.
    let final_fold = Fold { train: fold.train.clone(), validation: fold.test.clone(), test: fold.test.clone() };
    let started = std::time::Instant::now();
    let embeddings = embed(&encoder, &set.segments, show_progress);
    let (model, result) = head_fold(&config, &embeddings, &set.excerpts, &final_fold, FoldId::Final, show_progress)?;
    let cv: Option<CvResults> = read_json(&run.join(CV_FILE)).ok();
    let mut metrics = BTreeMap::new();
    if let Some(cv) = &cv {
        let (acc_v, _) = summarise(&cv.autoencoder, |f| f.valence.accuracy());
        let (acc_a, _) = summarise(&cv.autoencoder, |f| f.arousal.accuracy());
        let (f1_v, _) = summarise(&cv.autoencoder, |f| f.valence.macro_f1());
        let (f1_a, _) = summarise(&cv.autoencoder, |f| f.arousal.macro_f1());
        metrics.insert("cv_valence_accuracy".into(), acc_v);
        metrics.insert("cv_arousal_accuracy".into(), acc_a);
        metrics.insert("cv_valence_macro_f1".into(), f1_v);
        metrics.insert("cv_arousal_macro_f1".into(), f1_a);
    }
    metrics.insert("valence_threshold".into(), f64::from(result.thresholds.valence));
    metrics.insert("arousal_threshold".into(), f64::from(result.thresholds.arousal));
    let info = ExportInfo {
        name: "emotion".into(),
        description: format!(
            "Valence/arousal (P(high)) of the last {} × {} s of music: masked CNN autoencoder embeddings + BiLSTM, after the segment-emotion paper.",
            config.sequence_length, summary.plan.seconds
        ),
        classes: vec!["valence".into(), "arousal".into()],
        hop_frames: encoder.frames,
        thresholds: None,
        provenance: Provenance {
            command: command.to_string(),
            data: data_description.to_string(),
            license: Some("same as Earmark (GPL-3.0-or-later); trained only on audio this repository generates".into()),
        },
        metrics,
    };
    write_model(out, &summary.plan, &encoder, &model, config.sequence_length, &info)?;
    let report = super::report::render(&super::report::ReportInput {
        summary: &summary,
        cv: cv.as_ref(),
        final_head: &config,
        final_result: &result,
        final_seconds: started.elapsed().as_secs_f64(),
        excerpts: set.excerpts.len(),
        command,
        data_description,
        parameters: (encoder.num_params(), model.num_params()),
    });
    write_atomic(&out.join("REPORT.md"), report.as_bytes())?;
    Ok(())
}

/// The shapes the shipped model uses by default, and the paper's for comparison.
pub fn default_network(paper: bool) -> AutoencoderConfig {
    if paper {
        AutoencoderConfig::paper()
    } else {
        AutoencoderConfig { filters: vec![16, 8, 8], ..AutoencoderConfig::paper() }
    }
}

/// The default head shape (`features` is filled in from the encoder).
pub fn default_head(hidden: usize) -> HeadConfig {
    HeadConfig { features: 0, hidden, dropout: 0.5 }
}
