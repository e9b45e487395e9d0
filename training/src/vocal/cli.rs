//! `earmark-train nas search|train` and `earmark-train study nas`.

use std::path::{Path, PathBuf};

use crate::command_error::{AtPath, CommandError, CommandResult, read_text, usage, write_file};
use crate::report::{Align, Table, percent};
use crate::train::RunArgs;
use clap::{Args, Subcommand};
use earmark_core::manifest::Provenance;
use serde::{Deserialize, Serialize};

use super::augment::Rooms;
use super::darts::genotype::Genotype;
use super::darts::network::NasConfig;
use super::darts::search::{SearchConfig, SearchOutcome, search};
use super::data::{Augmentation, Balance, ClassSet, VocalData, load};
use super::export::write_model;
use super::frames::{FrameTraining, RecurrentCell};
use super::input::{Preparation, SpeakerEstimate};
use super::pipeline::{FoldOutcome, PipelineConfig, Stream, fitted_input, input_set, is_zero, run_fold};
use super::report::{ReportInput, results_markdown, write_report};
use super::train::NetTrainConfig;
use crate::data::Fold;
use crate::data::splits::leave_speakers_out_folds;
use crate::onnx::graph::ExportInfo;
use crate::train::fold_store::FoldStore;
use crate::train::{FoldId, TrainError, command_line};

/// Data, folds and run folder shared by every `nas` command.
#[derive(Debug, Args, Clone)]
pub struct SpeechArgs {
    /// EmoDB root (the folder with the `.wav`/`.flac` files).
    #[arg(long)]
    pub emodb: Option<PathBuf>,
    /// RAVDESS speech root (the folder with `Actor_01` …).
    #[arg(long)]
    pub ravdess: Option<PathBuf>,
    /// SAVEE root (files `DC_sa03.flac`, or speaker folders).
    #[arg(long)]
    pub savee: Option<PathBuf>,
    /// How folds hold speakers out: five leave-speakers-out folds over every corpus, or leave-one-corpus-out
    /// (each corpus tested whole, trained on the others: how the model carries to voices, languages and rooms
    /// it never heard).
    /// Several, comma-separated, are run one after the other by `nas train` (each reported; the manifest
    /// carries each one's figures); `search` and `study` use the first.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Split::Speakers])]
    pub split: Vec<Split>,
    /// Emotions: the paper's four (neutral, anger, happiness, sadness) or all.
    #[arg(long, value_enum, default_value_t = ClassSet::Four)]
    pub classes: ClassSet,
    /// How each utterance's 8 s window is prepared (the plugin prepares its windows the same way):
    /// `speaker-level` cuts it to its voiced frames, repeated to fill the window, subtracts the speaker's band
    /// means and then the window's own mean level (shipped); `speaker` keeps the level; `level` cuts and
    /// subtracts only the window's level; `voiced` only cuts; `raw` keeps the first 8 s padded with silence
    /// (Earmark's first vocal models).
    #[arg(long, value_enum, default_value_t = PreparationArg::SpeakerLevel)]
    pub preparation: PreparationArg,
    /// Re-recorded copies of every training take (another room, microphone tilt and noise per speaker and
    /// copy; see `vocal::augment`); validation and test takes stay as recorded.
    #[arg(long, default_value_t = 0)]
    pub augment: usize,
    /// The rooms `--augment` re-records the training takes in: `wide` (T60 0.2–1.0 s, SNR 5–35 dB) or `booth`s
    /// (T60 0.2–0.4 s, SNR 25–40 dB), as `--test-rooms` draws them (other rooms of the same ranges).
    #[arg(long, value_enum, default_value_t = Rooms::Wide)]
    pub augment_rooms: Rooms,
    /// Excerpts of every training take: random stretches of 1.5–4 s, prepared as the engine prepares a phrase
    /// that short (repeated to fill the window, its own level out), labelled as their take — so a phrase's first
    /// seconds read like the whole phrase. Validation and test takes stay whole.
    #[arg(long, default_value_t = 0)]
    pub excerpts: usize,
    /// Each take's speaker estimate from this many other takes of its speaker, drawn at random — what the
    /// plugin's running estimate knows after a few takes, never the take itself; 0: the mean over every take of
    /// the speaker (the value the running estimate tends to over a long track). Training and test takes alike.
    #[arg(long, default_value_t = 0)]
    pub speaker_takes: usize,
    /// Seed of the draw of `--speaker-takes` other takes (default: `--seed`): varied alone, it shows how much of
    /// a run's figures is which takes happened to form each estimate rather than the model's training.
    #[arg(long)]
    pub speaker_draw_seed: Option<u64>,
    /// Train on every training take under this many more draws of its estimate's `--speaker-takes` other takes
    /// as well (training-only copies; validation and test takes keep their one draw), so the streams learn to
    /// read a take alike whichever takes formed the estimate.
    #[arg(long, default_value_t = 0)]
    pub speaker_draws: usize,
    /// Also score every test take re-recorded through a room of its speaker's own, drawn from `wide` rooms (a
    /// microphone tilt of ±6 dB, a reverberant tail of T60 0.2–1.0 s, stationary noise at 5–35 dB SNR, as
    /// `--augment` draws them, but rooms no training copy uses) or `booth`s (T60 0.2–0.4 s, SNR 25–40 dB), the
    /// speaker estimate formed in that room as the plugin's running estimate would: how far an unheard
    /// microphone, room and noise move each stream (reported beside the length check). Evaluation only.
    #[arg(long, value_enum)]
    pub test_rooms: Option<Rooms>,
    /// Run folder, cache, seed, resuming (`nas train` keeps the folds a previous run with the same settings
    /// finished, in the run's `folds.json`, and runs only the rest), progress.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The vocal family's run folder unless `--run` names another.
const FAMILY: &str = "nas";

/// Network size and search schedule.
#[derive(Debug, Args, Clone)]
pub struct SearchArgs {
    /// Cells, L.
    #[arg(long, default_value_t = 3)]
    pub layers: usize,
    /// Channels, C.
    #[arg(long, default_value_t = 6)]
    pub channels: usize,
    /// Stem stride (1: DARTS' CIFAR stem; 2: halve 140 × 140 first, four times cheaper).
    #[arg(long, default_value_t = 2)]
    pub stem_stride: usize,
    /// Search epochs.
    #[arg(long, default_value_t = 50)]
    pub search_epochs: usize,
    /// At most this many steps per search epoch (time-boxed runs).
    #[arg(long)]
    pub steps_per_epoch: Option<usize>,
    /// Utterances per step.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// The fold whose training / validation speakers the search uses.
    #[arg(long, default_value_t = 0)]
    pub fold: usize,
}

/// Retraining schedule.
#[derive(Debug, Args, Clone)]
pub struct TrainArgs {
    /// Epochs of the derived network.
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    /// Epochs of the frame stream (the paper: 50).
    #[arg(long, default_value_t = 50)]
    pub frame_epochs: usize,
    /// Frame stream hidden size.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Frame stream recurrent layers (the paper: 2).
    #[arg(long, default_value_t = 2)]
    pub rnn_layers: usize,
    /// Candidate recurrent cells.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [RecurrentCell::Lstm, RecurrentCell::Gru])]
    pub cells: Vec<RecurrentCell>,
    /// Fusion epochs (the paper: 100).
    #[arg(long, default_value_t = 100)]
    pub fusion_epochs: usize,
    /// Run only the first N folds.
    #[arg(long)]
    pub run_folds: Option<usize>,
    /// Train the frame stream on your own per-utterance embeddings instead of the built-in log-mel + pitch +
    /// energy features: one `<audio file stem>.npy` (`frames × dimensions`, float32) per utterance in this
    /// folder. Such a model is evaluated like any other but cannot be exported (the plugin computes only log-mel).
    #[arg(long)]
    pub frame_features: Option<PathBuf>,
    /// How the frame stream weighs its training takes: `corpus-class` gives every (corpus, class) cell the same
    /// total weight (corpus-balanced training), `none` every take the same.
    #[arg(long, value_enum, default_value_t = Balance::None)]
    pub balance: Balance,
    /// Train the frame stream against a corpus adversary of this strength (gradient reversal; 0: none; the
    /// domain-adversarial literature uses 0.1–1). Needs training takes of two corpora or more.
    #[arg(long, default_value_t = 0.0)]
    pub corpus_adversary: f32,
    /// Train the frame stream with the corpus as an auxiliary target of this weight (multi-task, the corpus
    /// head's gradient passed on as is; 0: none). Exclusive with `--corpus-adversary`; needs training takes of
    /// two corpora or more.
    #[arg(long, default_value_t = 0.0)]
    pub corpus_auxiliary: f32,
    /// Train this many frame streams, at seeds `--seed`, `--seed + 1`, …, and average their probabilities (one
    /// graph; each member's own figures are reported beside the average). Built-in frame features only.
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=32))]
    pub frame_members: usize,
    /// The frame stream reads the first this many DCT coefficients of the 140 log-mel bands (a cepstrum, as MFCCs)
    /// in place of the bands: the spectrum's broad shape without each band's detail, which is mostly microphone,
    /// room and corpus. 0: the bands. Built-in frame features only.
    #[arg(long, default_value_t = 0, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=140))]
    pub frame_cepstra: usize,
}

/// `earmark-train nas …`.
#[derive(Debug, Subcommand)]
pub enum NasCommand {
    /// Search the spectrogram stream's cells with DARTS; saves genotype.json, cells.txt and the cell diagrams.
    Search {
        #[command(flatten)]
        data: SpeechArgs,
        #[command(flatten)]
        search: SearchArgs,
    },
    /// Train the derived network, the frame stream and the fusion on every fold; report each stream and the
    /// fusion; with `--out`, export the first fold's models as one ONNX model folder.
    Train {
        #[command(flatten)]
        data: SpeechArgs,
        /// Genotype written by `nas search`.
        #[arg(long)]
        genotype: PathBuf,
        /// Network size (must match the search's nodes).
        #[arg(long, default_value_t = 3)]
        layers: usize,
        /// Channels, C.
        #[arg(long, default_value_t = 6)]
        channels: usize,
        /// Stem stride.
        #[arg(long, default_value_t = 2)]
        stem_stride: usize,
        #[command(flatten)]
        train: TrainArgs,
        /// Write the model folder (ONNX + manifest + REPORT.md) here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// What `--out` ships: the frame stream, the spectrogram stream, or both fused (the paper's); every fold
        /// scores all three either way.
        #[arg(long, value_enum, default_value_t = Stream::Fusion)]
        ship: Stream,
    },
}

/// `earmark-train study nas`: the paper's Table 3 grid (L / C).
#[derive(Debug, Args)]
pub struct NasStudyArgs {
    #[command(flatten)]
    data: SpeechArgs,
    /// Settings as `L/C` (the paper: 3/4, 3/6, 4/8, 8/16).
    #[arg(long, value_delimiter = ',', default_values_t = ["3/4".to_string(), "3/6".to_string(), "4/8".to_string(), "8/16".to_string()])]
    grid: Vec<String>,
    #[command(flatten)]
    search: SearchArgs,
    #[command(flatten)]
    train: TrainArgs,
}

/// `--preparation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PreparationArg {
    /// Voiced frames, repeated; speaker band means subtracted, then the window's mean level.
    SpeakerLevel,
    /// Voiced frames, repeated; speaker band means subtracted.
    Speaker,
    /// Voiced frames, repeated; the window's mean level subtracted.
    Level,
    /// Voiced frames, repeated.
    Voiced,
    /// First 8 s, silence-padded.
    Raw,
}

impl PreparationArg {
    fn preparation(self) -> Preparation {
        match self {
            Self::SpeakerLevel => Preparation::SPEAKER_LEVEL,
            Self::Speaker => Preparation::SPEAKER,
            Self::Level => Preparation::LEVEL,
            Self::Voiced => Preparation::VOICED,
            Self::Raw => Preparation::RAW,
        }
    }
}

/// How the folds hold data out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// Five leave-speakers-out folds over the merged corpora.
    Speakers,
    /// Leave one corpus out.
    Corpus,
}

impl Split {
    /// File-name and metric-name stem.
    fn key(self) -> &'static str {
        match self {
            Self::Speakers => "cv",
            Self::Corpus => "loco",
        }
    }

    /// Report heading.
    fn heading(self) -> &'static str {
        match self {
            Self::Speakers => {
                "Leave speakers out (5 folds over every corpus; train / validation / test speakers disjoint)"
            }
            Self::Corpus => "Leave one corpus out (trained on the others, tested on the whole held-out corpus)",
        }
    }
}

/// What a split's fold outcomes depend on besides the training schedule: with the [`PipelineConfig`], the key
/// its folds are stored under in the run's fold store (`folds.json`, rewritten after every fold), so a resumed
/// run never mixes folds of different settings and runs of other settings keep theirs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SplitRun {
    split: Split,
    preparation: Preparation,
    augment: usize,
    /// Left out of the key when wide, so runs made before the option keep their folds.
    #[serde(default, skip_serializing_if = "Rooms::is_wide")]
    augment_rooms: Rooms,
    /// Left out of the key when 0, so runs made before the option keep their folds.
    #[serde(default, skip_serializing_if = "is_zero")]
    excerpts: usize,
    /// Left out of the key when 0, so runs made before the option keep their folds.
    #[serde(default, skip_serializing_if = "is_zero")]
    speaker_draws: usize,
    /// Left out of the key when off, so runs made before the option keep their folds (and a run with the room
    /// check never resumes folds that lack it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_rooms: Option<Rooms>,
    genotype: Genotype,
    /// Left out of the key when it is the default, so runs made before the option keep their folds.
    #[serde(default, skip_serializing_if = "SpeakerEstimate::is_all_takes")]
    speaker: SpeakerEstimate,
}

impl SplitRun {
    fn new(split: Split, data: &VocalData, args: &SpeechArgs, genotype: &Genotype) -> Self {
        let speaker = speaker_estimate(args);
        Self {
            split,
            preparation: data.preparation,
            augment: args.augment,
            augment_rooms: args.augment_rooms,
            excerpts: args.excerpts,
            speaker_draws: args.speaker_draws,
            test_rooms: args.test_rooms,
            genotype: genotype.clone(),
            speaker,
        }
    }
}

/// The training-only copies `args` ask for.
fn augmentation(args: &SpeechArgs) -> Augmentation {
    Augmentation {
        copies: args.augment,
        excerpts: args.excerpts,
        estimate_draws: args.speaker_draws,
        rooms: args.augment_rooms,
        seed: args.run.seed,
    }
}

/// The speaker estimate `--speaker-takes` asks for.
fn speaker_estimate(args: &SpeechArgs) -> SpeakerEstimate {
    match args.speaker_takes {
        0 => SpeakerEstimate::AllTakes,
        count => SpeakerEstimate::OtherTakes { count, seed: args.speaker_draw_seed.unwrap_or(args.run.seed) },
    }
}

/// The run's fold store: every split and setting's finished folds.
const FOLD_STORE: &str = "folds.json";

/// The record earlier versions wrote per split (`folds-<split>.json`): read once into the fold store when a run
/// resumes, so runs made before the store (the shipped model's) resume instead of starting over.
#[derive(Debug, Deserialize)]
struct LegacyFolds {
    split: Split,
    preparation: Preparation,
    #[serde(default)]
    augment: usize,
    config: PipelineConfig,
    genotype: Genotype,
    outcomes: Vec<FoldOutcome>,
}

type VocalStore = FoldStore<SplitRun, PipelineConfig, FoldOutcome>;

/// Moves a legacy `folds-<split>.json` of the same settings into `store` (outcomes the store already has win).
fn import_legacy(store: &mut VocalStore, dir: &Path, run: &SplitRun, config: &PipelineConfig) -> CommandResult<()> {
    let file = dir.join(format!("folds-{}.json", run.split.key()));
    if !file.is_file() {
        return Ok(());
    }
    let legacy: LegacyFolds = serde_json::from_str(&read_text(&file)?).map_err(|e| {
        CommandError::Usage(format!("{} is not a fold record of `nas train` ({e}); remove it", file.display()))
    })?;
    let same = legacy.split == run.split
        && legacy.preparation == run.preparation
        && legacy.augment == run.augment
        && run.excerpts == 0
        && run.speaker.is_all_takes()
        && &legacy.config == config
        && legacy.genotype == run.genotype;
    if !same {
        return Ok(());
    }
    let key = VocalStore::key(run, config);
    for (k, outcome) in legacy.outcomes.into_iter().enumerate() {
        if !store.has(&key, k) {
            store.insert(&key, (run, config, 0), k, outcome)?;
        }
    }
    Ok(())
}

/// Runs (or, resuming, completes) one split's folds, storing each as it finishes.
fn run_split(
    data: &VocalData,
    split: Split,
    args: &SpeechArgs,
    g: &Genotype,
    config: &PipelineConfig,
    run_folds: Option<usize>,
) -> CommandResult<(Vec<Fold>, Vec<FoldOutcome>)> {
    let folds = folds_of(data, split, args.run.seed)?;
    let dir = args.run.folder(FAMILY);
    let mut store = VocalStore::open(&dir, FOLD_STORE, args.run.resume, &data.dataset.fingerprint())?;
    let run = SplitRun::new(split, data, args, g);
    if args.run.resume {
        import_legacy(&mut store, &dir, &run, config)?;
    }
    let done = store.get(&VocalStore::key(&run, config)).folds.len();
    if done > 0 {
        eprintln!("resuming: {done} fold(s) of the {split:?} split already done");
    }
    let count = run_folds.unwrap_or(folds.len()).min(folds.len());
    let record = store.run_folds((&run, config, 0), &folds, count, None, |fold, k, checkpoint| {
        eprintln!("{split:?} fold {} of {count}", k + 1);
        let (_, outcome) = run_fold(data, fold, g, config, !args.run.quiet, Some(checkpoint))?;
        eprintln!(
            "{split:?} fold {}: UA spectrogram {:.3} · frames {:.3} · fusion {:.3}",
            k + 1,
            outcome.spectrogram.unweighted_accuracy(),
            outcome.frames.unweighted_accuracy(),
            outcome.fusion.unweighted_accuracy()
        );
        Ok(outcome)
    })?;
    Ok((folds, record.folds.into_values().take(count).collect()))
}

/// Runs `run` on every split in order; a split whose remaining folds another process of the run holds
/// ([`TrainError::Busy`]) is left for later, so this process goes on to the next split meanwhile, and is run again
/// at the end (its folds stored by then, or still held: then the busy error stops this process, and a rerun with
/// `--resume` goes on). Results in the splits' order.
fn each_split<T>(splits: &[Split], mut run: impl FnMut(Split) -> CommandResult<T>) -> CommandResult<Vec<(Split, T)>> {
    let mut results: Vec<(Split, Option<T>)> = Vec::with_capacity(splits.len());
    for &split in splits {
        match run(split) {
            Ok(result) => results.push((split, Some(result))),
            Err(CommandError::Train(TrainError::Busy { what, .. })) => {
                eprintln!("the {split:?} split's {what} are held by another process: going on meanwhile");
                results.push((split, None));
            }
            Err(e) => return Err(e),
        }
    }
    results
        .into_iter()
        .map(|(split, result)| match result {
            Some(result) => Ok((split, result)),
            None => Ok((split, run(split)?)),
        })
        .collect()
}

/// The manifest figures of one split, named `<cv|loco>_…`: the shipped stream's UA, WA and lowest class recall
/// (all folds' test predictions pooled), each stream's UA, and how many folds ran.
fn split_metrics(split: Split, outcomes: &[FoldOutcome], shipped: Stream) -> Vec<(String, f64)> {
    let mean = |f: &dyn Fn(&FoldOutcome) -> f64| outcomes.iter().map(f).sum::<f64>() / outcomes.len().max(1) as f64;
    let mut pooled = crate::metrics::Confusion::new(outcomes.first().map_or(0, |o| o.fusion.counts.len()));
    outcomes.iter().for_each(|o| pooled.add(o.test(shipped)));
    let lowest = pooled.recall_per_class().into_iter().flatten().fold(f64::INFINITY, f64::min);
    let mut metrics = vec![
        ("ua".to_string(), mean(&|f| f.test(shipped).unweighted_accuracy())),
        ("wa".to_string(), mean(&|f| f.test(shipped).accuracy())),
        ("lowest_recall".to_string(), lowest),
        ("folds_run".to_string(), outcomes.len() as f64),
    ];
    for stream in Stream::ALL {
        metrics.push((format!("ua_{}", stream.label()), mean(&|f| f.test(stream).unweighted_accuracy())));
    }
    metrics.into_iter().map(|(k, v)| (format!("{}_{k}", split.key()), v)).collect()
}

/// The corpora `args` names: each one's short name and its citation and terms.
fn corpora_given(args: &SpeechArgs) -> Vec<(&'static str, &'static str)> {
    [
        (args.emodb.is_some(), "EmoDB", "Burkhardt et al. 2005, free for research"),
        (args.ravdess.is_some(), "RAVDESS speech", "Livingstone & Russo 2018, CC BY-NC-SA 4.0"),
        (args.savee.is_some(), "SAVEE", "Haq & Jackson 2009, research use, registration and citation asked"),
    ]
    .into_iter()
    .filter_map(|(given, name, terms)| given.then_some((name, terms)))
    .collect()
}

/// The corpora's short names and what `--augment` added to them (for one-line descriptions).
fn corpus_names(args: &SpeechArgs) -> String {
    corpora_given(args).iter().map(|(name, _)| *name).collect::<Vec<_>>().join(" + ") + &copies_clause(args)
}

/// What `--augment` adds to the corpora, said wherever the training data is named (the manifest's description and
/// data, the report): a model trained on re-recorded copies learned from more than the corpora's studio takes.
fn copies_clause(args: &SpeechArgs) -> String {
    let times = match args.augment {
        0 => return String::new(),
        1 => "once".to_string(),
        2 => "twice".to_string(),
        k => format!("{k} times"),
    };
    let rooms = if args.augment_rooms.is_wide() { "rooms" } else { "home booths" };
    format!(", each training take also re-recorded {times} in simulated {rooms} (microphone, reverberation, noise)")
}

/// The corpora `args` names, with their citations, and the licence the weights inherit.
fn corpora_and_licence(args: &SpeechArgs) -> (String, String) {
    let names: Vec<String> = corpora_given(args).iter().map(|(name, terms)| format!("{name} ({terms})")).collect();
    let licence = if args.ravdess.is_some() {
        "The weights inherit the strictest terms: **non-commercial use only** (RAVDESS, CC BY-NC-SA 4.0: \
         attribution, share-alike; EmoDB and SAVEE: research use). The code that trains them is GPL-3.0-or-later."
    } else {
        "The weights inherit the corpora's terms: **research use only**. The code that trains them is \
         GPL-3.0-or-later."
    };
    (names.join(" + ") + &copies_clause(args), licence.to_string())
}

fn load_data(args: &SpeechArgs) -> CommandResult<VocalData> {
    if args.augment == 0 && !args.augment_rooms.is_wide() {
        usage!("--augment-rooms chooses the rooms of --augment's copies, and there are none: add --augment K");
    }
    let corpora = super::data::Corpora {
        emodb: args.emodb.as_deref(),
        ravdess: args.ravdess.as_deref(),
        savee: args.savee.as_deref(),
    };
    let data = load(
        &corpora,
        args.classes,
        args.preparation.preparation(),
        augmentation(args),
        speaker_estimate(args),
        args.test_rooms,
        &args.run.cache,
    )?;
    for s in &data.skipped {
        eprintln!("skipped (unreadable): {s}");
    }
    eprintln!(
        "{} utterances, {} speakers, classes {:?}",
        data.dataset.len(),
        data.dataset.group_members().len(),
        data.class_names(),
    );
    Ok(data)
}

/// The folds of the first `--split` (what `search` and `study` use).
fn first_split_folds(data: &VocalData, args: &SpeechArgs) -> CommandResult<Vec<Fold>> {
    folds_of(data, args.split.first().copied().unwrap_or(Split::Speakers), args.run.seed)
}

fn folds_of(data: &VocalData, split: Split, seed: u64) -> CommandResult<Vec<Fold>> {
    let folds = match split {
        Split::Speakers => leave_speakers_out_folds(&data.dataset, seed)?,
        Split::Corpus => crate::data::splits::leave_one_corpus_out_folds(&data.dataset, seed)?,
    };
    for fold in &folds {
        fold.check_disjoint_groups(&data.dataset)?;
    }
    Ok(folds)
}

fn run_search(data: &VocalData, folds: &[Fold], args: &SpeechArgs, s: &SearchArgs) -> CommandResult<SearchOutcome> {
    let fold = folds
        .get(s.fold)
        .ok_or_else(|| CommandError::Usage(format!("no fold {}; there are {}", s.fold, folds.len())))?;
    let classes = data.dataset.classes.len();
    let config = SearchConfig {
        net: NasConfig {
            layers: s.layers,
            channels: s.channels,
            stem_stride: s.stem_stride,
            ..NasConfig::paper(classes)
        },
        epochs: s.search_epochs,
        batch_size: s.batch,
        steps_per_epoch: s.steps_per_epoch,
        seed: args.run.seed,
        ..SearchConfig::paper(classes)
    };
    let (train, validation) = (data.readable(&fold.train), data.readable(&fold.validation));
    let input = fitted_input(data, &train);
    let outcome =
        search(&config, &input_set(data, &input, &train), &input_set(data, &input, &validation), !args.run.quiet)?;
    Ok(outcome)
}

fn save_search(dir: &Path, outcome: &SearchOutcome) -> CommandResult<()> {
    let g = &outcome.genotype;
    let (search, genotype) = (dir.join("search.json"), dir.join("genotype.json"));
    write_file(&search, serde_json::to_string_pretty(outcome).at(&search)?)?;
    write_file(&genotype, serde_json::to_string_pretty(g).at(&genotype)?)?;
    write_file(&dir.join("cells.txt"), g.describe())?;
    write_cells(dir, g)
}

/// The searched cells as Graphviz drawings, beside the genotype.
fn write_cells(dir: &Path, g: &Genotype) -> CommandResult<()> {
    write_file(&dir.join("normal.dot"), g.normal.dot("normal cell"))?;
    write_file(&dir.join("reduce.dot"), g.reduce.dot("reduction cell"))
}

fn read_genotype(path: &Path) -> CommandResult<Genotype> {
    let text = read_text(path)?;
    let g: Genotype = serde_json::from_str(&text).map_err(|e| {
        CommandError::Usage(format!("{} is not a genotype written by `earmark-train nas search` ({e})", path.display()))
    })?;
    g.validate().map_err(|e| CommandError::Usage(format!("{}: {e}", path.display())))?;
    Ok(g)
}

fn pipeline(net: NasConfig, t: &TrainArgs, batch: usize, seed: u64) -> PipelineConfig {
    PipelineConfig {
        net,
        net_training: NetTrainConfig { epochs: t.epochs, batch_size: batch, seed, ..NetTrainConfig::default() },
        hidden: t.hidden,
        layers: t.rnn_layers,
        cells: t.cells.clone(),
        frame_training: FrameTraining {
            epochs: t.frame_epochs,
            seed,
            corpus_adversary: t.corpus_adversary,
            corpus_auxiliary: t.corpus_auxiliary,
            ..FrameTraining::default()
        },
        fusion_epochs: t.fusion_epochs,
        frame_features: t.frame_features.clone(),
        balance: t.balance,
        frame_members: t.frame_members,
        frame_cepstra: t.frame_cepstra,
        seed,
    }
}

/// Runs a `nas` command.
pub fn run(command: &NasCommand) -> CommandResult<()> {
    match command {
        NasCommand::Search { data: args, search: s } => {
            if args.run.resume {
                usage!("`nas search` does not resume (DARTS starts afresh each time): drop --resume");
            }
            let data = load_data(args)?;
            let folds = first_split_folds(&data, args)?;
            let outcome = run_search(&data, &folds, args, s)?;
            save_search(&args.run.folder(FAMILY), &outcome)?;
            println!("{}", outcome.genotype.describe());
            println!("search took {:.0} s; written to {}", outcome.seconds, args.run.folder(FAMILY).display());
            Ok(())
        }
        NasCommand::Train { data: args, genotype, layers, channels, stem_stride, train, out, ship } => {
            if out.is_some() && train.frame_features.is_some() {
                usage!(
                    "--out cannot export a model whose frame stream reads external embeddings (--frame-features): \
                     the plugin computes only log-mel; drop one of the two"
                );
            }
            let g = read_genotype(genotype)?;
            let data = load_data(args)?;
            let classes = data.dataset.classes.len();
            let net = NasConfig {
                layers: *layers,
                channels: *channels,
                stem_stride: *stem_stride,
                ..NasConfig::paper(classes)
            };
            let config = pipeline(net, train, 16, args.run.seed);
            let names = data.class_names();
            let mut splits: Vec<Split> = Vec::new();
            args.split.iter().for_each(|s| {
                if !splits.contains(s) {
                    splits.push(*s)
                }
            });
            let results: Vec<(Split, Vec<Fold>, Vec<FoldOutcome>)> =
                each_split(&splits, |split| run_split(&data, split, args, &g, &config, train.run_folds))?
                    .into_iter()
                    .map(|(split, (folds, outcomes))| (split, folds, outcomes))
                    .collect();
            let mut text = String::new();
            for (split, _, outcomes) in &results {
                let table = results_markdown(outcomes, &names, *ship);
                text.push_str(&format!("## {}\n\n{table}\n", split.heading()));
            }
            write_file(&args.run.folder(FAMILY).join("RESULTS.md"), &text)?;
            println!("{text}");
            if let Some(out) = out {
                // The shipped model trains on every speaker but one validation chunk (which picks the epochs and
                // trains the fusion), taken from the leave-speakers-out folds when they ran (a chunk of every
                // corpus); its manifest carries the cross-validated figures.
                let (split, folds, _) = results.iter().find(|(s, _, _)| *s == Split::Speakers).unwrap_or(&results[0]);
                let final_fold = folds[0].for_final_model();
                // Checkpointed like a fold (and kept: a re-export with --resume does not retrain it).
                let store = VocalStore::open(
                    &args.run.folder(FAMILY),
                    FOLD_STORE,
                    args.run.resume,
                    &data.dataset.fingerprint(),
                )?;
                let run = SplitRun::new(*split, &data, args, &g);
                let checkpoint = store.checkpoint(&VocalStore::key(&run, &config), FoldId::Final);
                // One process of a shared run trains it; another one stops here, and a rerun exports.
                let Some(_claim) = store.claim(&checkpoint)? else {
                    return Err(store.busy("the final model").into());
                };
                eprintln!(
                    "final model on {} utterances (validation {})",
                    final_fold.train.len(),
                    final_fold.validation.len()
                );
                let (model, _) = run_fold(&data, &final_fold, &g, &config, !args.run.quiet, Some(&checkpoint))?;
                let metrics = results.iter().flat_map(|(split, _, o)| split_metrics(*split, o, *ship)).collect();
                let (corpora, licence) = corpora_and_licence(args);
                let info = ExportInfo {
                    name: "vocal-emotion".into(),
                    description: format!(
                        "Emotion of the last 8 s of a voice ({}): {}, trained by Earmark on {}.",
                        names.join(", "),
                        ship.trained_description(&config),
                        corpus_names(args)
                    ),
                    classes: names.clone(),
                    hop_frames: 91,
                    thresholds: None,
                    provenance: Provenance {
                        command: command_line(),
                        data: corpora.clone(),
                        license: Some(licence.replace("**", "")),
                    },
                    metrics,
                };
                write_model(out, &model, *ship, &info)?;
                let search_text = genotype.parent().map(|d| d.join("search.json")).filter(|p| p.is_file());
                let search: Option<SearchOutcome> = match search_text {
                    Some(p) => serde_json::from_str(&read_text(&p)?).ok(),
                    None => None,
                };
                let command = command_line();
                let report = ReportInput {
                    genotype: &g,
                    search: search.as_ref(),
                    sections: results.iter().map(|(s, _, o)| (s.heading().to_string(), o.as_slice())).collect(),
                    names: &names,
                    config: &config,
                    preparation: data.preparation,
                    shipped: *ship,
                    data: &corpora,
                    licence: &licence,
                    command: &command,
                };
                let report_path = out.join("REPORT.md");
                write_report(&report_path, &report).at(&report_path)?;
                write_cells(out, &g)?;
                // The cells travel with the model, so it can be retrained without repeating the search.
                let genotype_path = out.join("genotype.json");
                write_file(&genotype_path, serde_json::to_string_pretty(&g).at(&genotype_path)?)?;
                println!("model written to {}", out.display());
            }
            Ok(())
        }
    }
}

/// Runs `study nas`: for each `L/C`, a search and a retraining on the first fold(s); a Table 3 in STUDY.md.
pub fn study(args: &NasStudyArgs) -> CommandResult<()> {
    if args.data.run.resume {
        usage!("`study nas` does not resume (each setting searches afresh): drop --resume");
    }
    let data = load_data(&args.data)?;
    let folds = first_split_folds(&data, &args.data)?;
    let classes = data.dataset.classes.len();
    let mut rows =
        Table::new(["setting", "parameters", "UA spectrogram (test, mean over folds)"]).align(1..3, Align::Right);
    for setting in &args.grid {
        let (l, c) = setting
            .split_once('/')
            .and_then(|(l, c)| Some((l.trim().parse::<usize>().ok()?, c.trim().parse::<usize>().ok()?)))
            .ok_or_else(|| CommandError::Usage(format!("`{setting}` is not L/C, e.g. 3/6")))?;
        let s = SearchArgs { layers: l, channels: c, ..args.search.clone() };
        let outcome = run_search(&data, &folds, &args.data, &s)?;
        let dir = args.data.run.folder(FAMILY).join(format!("L{l}-C{c}"));
        save_search(&dir, &outcome)?;
        let net = NasConfig { layers: l, channels: c, stem_stride: s.stem_stride, ..NasConfig::paper(classes) };
        let config = pipeline(net, &args.train, s.batch, args.data.run.seed);
        let count = args.train.run_folds.unwrap_or(folds.len()).min(folds.len());
        if count == 0 {
            usage!("no folds to run");
        }
        let mut uas = Vec::new();
        let mut params = 0;
        for fold in folds.iter().take(count) {
            let (model, outcome) = run_fold(&data, fold, &outcome.genotype, &config, !args.data.run.quiet, None)?;
            use burn::module::Module;
            params = model.net.num_params();
            uas.push(outcome.spectrogram.unweighted_accuracy());
        }
        let (mean, _) = crate::metrics::mean_std(&uas);
        rows.row([format!("(L = {l}, C = {c})"), params.to_string(), percent(mean)]);
        write_file(&args.data.run.folder(FAMILY).join("STUDY.md"), rows.markdown())?;
    }
    println!("{}", rows.markdown());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run's fold-store key names the excerpts only when there are some, so runs made before the option keep
    /// their folds, and a run with excerpts never resumes folds trained without them.
    #[test]
    fn excerpts_enter_the_fold_key_only_when_used() {
        let genotype: Genotype =
            serde_json::from_str(include_str!("../../../models/vocal-emotion/genotype.json")).expect("genotype");
        let run = |excerpts, test_rooms: Option<Rooms>| SplitRun {
            split: Split::Corpus,
            preparation: Preparation::SPEAKER_LEVEL,
            augment: 0,
            augment_rooms: Rooms::Wide,
            excerpts,
            speaker_draws: 0,
            test_rooms,
            genotype: genotype.clone(),
            speaker: SpeakerEstimate::AllTakes,
        };
        let plain = serde_json::to_string(&run(0, None)).unwrap();
        assert!(!plain.contains("excerpts") && !plain.contains("test_rooms"), "{plain}");
        let cut = serde_json::to_string(&run(2, None)).unwrap();
        assert!(cut.contains("\"excerpts\":2"), "{cut}");
        let back: SplitRun = serde_json::from_str(&plain).unwrap();
        assert_eq!((back.excerpts, back.test_rooms), (0, None));
        assert!(!plain.contains("augment_rooms"), "{plain}");
        let booth = SplitRun { augment_rooms: Rooms::Booth, ..run(0, None) };
        assert!(serde_json::to_string(&booth).unwrap().contains("\"augment_rooms\":\"booth\""));
        let rooms = serde_json::to_string(&run(0, Some(Rooms::Booth))).unwrap();
        assert!(rooms.contains("\"test_rooms\":\"booth\""), "{rooms}");
    }

    /// The speech options as the command line `args` (after the program name) gives them.
    fn speech_args<'a>(args: impl IntoIterator<Item = &'a &'a str>) -> SpeechArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            speech: SpeechArgs,
        }
        Cli::parse_from(std::iter::once(&"x").chain(args)).speech
    }

    /// The draw of other takes follows `--seed` unless `--speaker-draw-seed` sets it alone.
    #[test]
    fn the_speaker_draw_follows_the_seed_unless_set_alone() {
        let estimate = |extra: &[&str]| {
            let args = ["--emodb", "e", "--speaker-takes", "3", "--seed", "4"].iter().chain(extra);
            speaker_estimate(&speech_args(args))
        };
        assert_eq!(estimate(&[]), SpeakerEstimate::OtherTakes { count: 3, seed: 4 });
        assert_eq!(estimate(&["--speaker-draw-seed", "9"]), SpeakerEstimate::OtherTakes { count: 3, seed: 9 });
    }

    /// A split another process holds is left for later and run again at the end; still held, its busy error
    /// stops the run; any other error stops it at once.
    #[test]
    fn a_busy_split_waits_while_the_next_one_runs() {
        let busy = || CommandError::Train(TrainError::Busy { what: "fold(s) 3".into(), store: "folds.json".into() });
        let mut calls = Vec::new();
        let mut first = true;
        let results = each_split(&[Split::Corpus, Split::Speakers], |split| {
            calls.push(split);
            if split == Split::Corpus && std::mem::take(&mut first) { Err(busy()) } else { Ok(split.key()) }
        })
        .unwrap();
        assert_eq!(calls, [Split::Corpus, Split::Speakers, Split::Corpus], "the held split runs last");
        assert_eq!(results, [(Split::Corpus, "loco"), (Split::Speakers, "cv")], "results in the splits' order");
        let still = each_split(&[Split::Corpus, Split::Speakers], |split| match split {
            Split::Corpus => Err(busy()),
            Split::Speakers => Ok(()),
        });
        assert!(matches!(still, Err(CommandError::Train(TrainError::Busy { .. }))));
        let mut ran = Vec::new();
        let failed = each_split(&[Split::Corpus, Split::Speakers], |split| {
            ran.push(split);
            Err::<(), _>(CommandError::Usage("bad".into()))
        });
        assert!(matches!(failed, Err(CommandError::Usage(_))) && ran == [Split::Corpus]);
    }

    /// A model trained on re-recorded copies says so where its data is named; one trained on the corpora alone
    /// names only them.
    #[test]
    fn the_data_named_in_the_manifest_says_the_takes_were_re_recorded() {
        let args = |extra: &[&str]| speech_args(["--emodb", "e", "--savee", "s"].iter().chain(extra));
        let plain = args(&[]);
        assert_eq!(corpus_names(&plain), "EmoDB + SAVEE");
        assert!(!corpora_and_licence(&plain).0.contains("re-recorded"));
        let booths = args(&["--augment", "1", "--augment-rooms", "booth"]);
        let clause =
            ", each training take also re-recorded once in simulated home booths (microphone, reverberation, noise)";
        assert_eq!(corpus_names(&booths), format!("EmoDB + SAVEE{clause}"));
        assert!(corpora_and_licence(&booths).0.ends_with(clause));
        assert!(
            corpus_names(&args(&["--augment", "3"]))
                .ends_with("re-recorded 3 times in simulated rooms (microphone, reverberation, noise)")
        );
    }

    /// The training copies are re-recorded in wide rooms unless `--augment-rooms` asks for booths.
    #[test]
    fn training_copies_are_re_recorded_in_wide_rooms_unless_asked() {
        let copies = |extra: &[&str]| {
            let args = ["--emodb", "e", "--augment", "1"].iter().chain(extra);
            augmentation(&speech_args(args))
        };
        assert_eq!((copies(&[]).copies, copies(&[]).rooms), (1, Rooms::Wide));
        assert_eq!(copies(&["--augment-rooms", "booth"]).rooms, Rooms::Booth);
        // Booths without copies would do nothing: refused before any audio is read.
        let alone = speech_args(&["--emodb", "/nonexistent", "--augment-rooms", "booth"]);
        let refused = load_data(&alone).err().expect("refused").to_string();
        assert!(refused.contains("add --augment K"), "{refused}");
    }
}
