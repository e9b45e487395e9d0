//! One speaker-independent fold end to end, as the paper's Table 2: the derived spectrogram network and the
//! frame stream are trained on the training speakers and select their epochs (and the frame stream its cell)
//! on the validation speakers; the fusion perceptron learns from both streams' probabilities on the validation
//! speakers (predictions on data the streams did not fit); all three are scored on the test speakers.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::darts::genotype::Genotype;
use super::darts::network::{DerivedNetwork, NasConfig};
use super::darts::search::InputSet;
use super::data::{Balance, VocalData, corpus_class_weights, corpus_indices};
use super::frames::{
    CellChoice, FrameModel, FrameStream, FrameStreamConfig, FrameTraining, MelProsody, RecurrentCell, TrainingTakes,
    choose_cell, fit_standardization, load_npy_frames, prosody_frames, stream_probabilities,
};
use super::fusion::{Fusion, train_fusion};
use super::input::{Preparation, SpectrogramInput, frontend};
use super::train::{NetTrainConfig, NetTraining, predict, score, train_derived};
use crate::data::Fold;
use crate::metrics::{Confusion, argmax};
use crate::onnx::emit;
use crate::train::{Resumable, TrainError};

/// Everything one fold trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineConfig {
    /// Spectrogram network size.
    pub net: NasConfig,
    /// Its training.
    pub net_training: NetTrainConfig,
    /// Frame stream hidden size.
    pub hidden: usize,
    /// Frame stream recurrent layers.
    pub layers: usize,
    /// Candidate recurrent cells (the lowest validation loss wins).
    pub cells: Vec<RecurrentCell>,
    /// Frame stream training.
    pub frame_training: FrameTraining,
    /// Fusion epochs (the paper: 100).
    pub fusion_epochs: usize,
    /// External frame embeddings (`<audio file stem>.npy`, `T × D` each) for the frame stream instead of the
    /// built-in log-mel + prosody features.
    #[serde(default)]
    pub frame_features: Option<PathBuf>,
    /// How the frame stream weighs its training takes (left out of the fold store's key when it is the default,
    /// so runs made before the option keep their folds).
    #[serde(default, skip_serializing_if = "Balance::is_none")]
    pub balance: Balance,
    /// How many frame streams to train (at seeds `frame_training.seed`, `+ 1`, …) and average: one training's
    /// held-out figures move by several points with its seed alone. Left out of the fold store's key at one, so
    /// runs made before the option keep their folds.
    #[serde(default = "one_member", skip_serializing_if = "is_one_member")]
    pub frame_members: usize,
    /// The frame stream's spectral features: the 140 log-mel bands (0) or their first this many DCT coefficients
    /// (see [`MelProsody`]). Left out of the fold store's key at 0, so runs made before the option keep their folds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub frame_cepstra: usize,
    /// Seed.
    pub seed: u64,
}

fn one_member() -> usize {
    1
}

fn is_one_member(members: &usize) -> bool {
    *members == 1
}

/// Whether a count option is off (serde leaves such options out of run keys).
pub(super) fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// One fold's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldOutcome {
    /// Spectrogram stream on the test speakers.
    pub spectrogram: Confusion,
    /// Frame stream on the test speakers.
    pub frames: Confusion,
    /// Fusion on the test speakers.
    pub fusion: Confusion,
    /// Spectrogram stream on the validation speakers.
    pub spectrogram_validation: Confusion,
    /// Frame stream on the validation speakers.
    pub frames_validation: Confusion,
    /// Spectrogram network training history.
    pub net_training: NetTraining,
    /// Each candidate cell's validation loss.
    pub cell_losses: Vec<(RecurrentCell, f64)>,
    /// The chosen cell.
    pub cell: RecurrentCell,
    /// Frame stream's kept epoch.
    pub frames_best_epoch: usize,
    /// Test speakers.
    pub test_speakers: Vec<String>,
    /// Utterances per split (train, validation, test).
    pub sizes: [usize; 3],
    /// Wall time.
    pub seconds: f64,
    /// Each stream on the test speakers' takes cut to their first [`SHORT_TAKE_SECONDS`] (prepared as the
    /// plugin would a take that short): whether a short take reads like the whole one.
    #[serde(default)]
    pub length: Vec<AlteredCheck>,
    /// Each stream on the test speakers' takes re-recorded through a room of each speaker's own (`--test-rooms`;
    /// the speaker estimate formed in that room too): how far an unheard microphone, room and noise move it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub room: Vec<AlteredCheck>,
    /// Each frame stream member alone on the test speakers, when the frame stream averages several (`frames` is
    /// their average): what the average gains over one training.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frame_members: Vec<Confusion>,
}

/// The parts of the model that can be shipped: either stream alone or both fused (the paper's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Stream {
    /// The DARTS spectrogram network.
    Spectrogram,
    /// The frame stream.
    Frames,
    /// Both, fused.
    Fusion,
}

impl Stream {
    /// All three, in report order.
    pub const ALL: [Stream; 3] = [Stream::Spectrogram, Stream::Frames, Stream::Fusion];

    /// What a model shipping this stream is, in one phrase (manifest description, report title), for a frame
    /// stream over `cells`.
    pub fn description(self, cells: &[RecurrentCell]) -> &'static str {
        let functionals = RecurrentCell::functionals_only(cells);
        let dynamics = cells == [RecurrentCell::Dynamics];
        match self {
            Self::Spectrogram => "EmotionNAS' DARTS-searched spectrogram network",
            Self::Frames if dynamics => {
                "EmotionNAS' frame stream with each feature's mean, spread and rate of change over the take in place \
                 of its recurrence (log-mel, energy, pitch and voicing)"
            }
            Self::Fusion if dynamics => {
                "EmotionNAS (DARTS-searched spectrogram network + a frame stream of per-take means, spreads and rates \
                 of change, fused)"
            }
            Self::Frames if functionals => {
                "EmotionNAS' frame stream with each feature's mean and spread over the take in place of its \
                 recurrence (log-mel, energy, pitch and voicing)"
            }
            Self::Frames => {
                "EmotionNAS' frame stream (a recurrent network with attention over log-mel, energy, pitch and voicing)"
            }
            Self::Fusion if functionals => {
                "EmotionNAS (DARTS-searched spectrogram network + a frame stream of per-take means and spreads, fused)"
            }
            Self::Fusion => "EmotionNAS (DARTS-searched spectrogram network + recurrent frame stream, fused)",
        }
    }

    /// [`Self::description`] of the model `config` trains, naming the average when the frame stream is several
    /// streams averaged (the manifest and the report title say what the graph holds).
    pub fn trained_description(self, config: &PipelineConfig) -> String {
        let described = self.description(&config.cells);
        let cepstral = format!("the first {} cepstral coefficients of the log-mel", config.frame_cepstra);
        let text = if config.frame_cepstra > 0 { described.replace("log-mel", &cepstral) } else { described.into() };
        match self {
            Self::Frames | Self::Fusion if config.frame_members > 1 => {
                format!(
                    "{text}, the frame stream averaged over {} trainings from successive seeds",
                    config.frame_members
                )
            }
            _ => text,
        }
    }

    /// The name in reports and metric keys.
    pub fn label(self) -> &'static str {
        match self {
            Self::Spectrogram => "spectrogram",
            Self::Frames => "frames",
            Self::Fusion => "fusion",
        }
    }
}

/// One stream on a fold's test takes altered — cut to their first seconds (the length check) or re-recorded in
/// another room (the room check) — beside the same stream on the takes as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlteredCheck {
    /// The stream.
    pub stream: Stream,
    /// Its confusion on the altered takes (`short` in fold stores written before the room check).
    #[serde(alias = "short")]
    pub altered: Confusion,
    /// Share of takes whose class is the same on the take as it is and altered.
    pub agreement: f64,
}

impl FoldOutcome {
    /// A stream's confusion on the test speakers.
    pub fn test(&self, stream: Stream) -> &Confusion {
        match stream {
            Stream::Spectrogram => &self.spectrogram,
            Stream::Frames => &self.frames,
            Stream::Fusion => &self.fusion,
        }
    }
}

/// The short takes of the length check: 1.5 s, the shortest take the plugin should read (TESS-like 2 s takes
/// and 8 s phrases must score alike).
pub const SHORT_TAKE_SECONDS: f64 = 1.5;

/// The trained models of a fold.
pub struct TrainedVocal {
    /// How the input window is prepared (voicing cut in the engine, level in the graph).
    pub preparation: Preparation,
    /// Standardisation and pooling in front of the spectrogram network.
    pub input: SpectrogramInput,
    /// Spectrogram stream.
    pub net: DerivedNetwork,
    /// Frame stream.
    pub frames: FrameBranch,
    /// Decision-level fusion.
    pub fusion: Fusion,
}

/// The trained frame stream: over the built-in features (it runs in the plugin), or over external embeddings,
/// which the plugin cannot compute, so such a model is for offline evaluation and cannot be exported.
pub enum FrameBranch {
    /// Built-in log-mel + prosody features, extractor included.
    Builtin(FrameModel),
    /// A stream over external per-utterance embeddings.
    Embeddings(Box<FrameStream>),
}

/// Each item's external embeddings with its class (`dir/<stem>.npy`).
fn embeddings(data: &VocalData, dir: &Path, items: &[usize]) -> Result<Vec<(Array2<f32>, usize)>, TrainError> {
    items
        .iter()
        .map(|&i| {
            let path = &data.dataset.items[i].path;
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let frames = load_npy_frames(dir, &stem).map_err(|e| TrainError::Invalid(e.to_string()))?;
            Ok((frames, data.classes[i]))
        })
        .collect()
}

fn windows(data: &VocalData, items: &[usize]) -> Vec<Array2<f32>> {
    items
        .iter()
        .map(|&i| {
            let w = data.windows[i].as_ref().expect("readable items only");
            Array2::from_shape_vec((data.frames, w.len() / data.frames), w.clone()).expect("frames × bands")
        })
        .collect()
}

/// The spectrogram stream's prepared inputs of `items`.
pub fn input_set(data: &VocalData, input: &SpectrogramInput, items: &[usize]) -> InputSet {
    InputSet {
        rows: input.pooled,
        cols: input.mels,
        inputs: items.iter().map(|&i| input.prepare(data.windows[i].as_ref().expect("readable"))).collect(),
        classes: items.iter().map(|&i| data.classes[i]).collect(),
    }
}

/// The fitted spectrogram input of a fold (standardisation from its training speakers).
pub fn fitted_input(data: &VocalData, train: &[usize]) -> SpectrogramInput {
    SpectrogramInput::paper().fitted(train.iter().filter_map(|&i| data.windows[i].as_deref()))
}

/// The frame stream's loss weights for the training takes `items` (in order), or none.
fn frame_weights(data: &VocalData, balance: Balance, items: &[usize]) -> Option<Vec<f32>> {
    match balance {
        Balance::None => None,
        Balance::CorpusClass => {
            Some(corpus_class_weights(items.iter().map(|&i| (data.dataset.items[i].group.as_str(), data.classes[i]))))
        }
    }
}

/// The corpus of each of `items`, as an index (for the corpus adversary).
fn corpora_of(data: &VocalData, items: &[usize]) -> Vec<usize> {
    corpus_indices(items.iter().map(|&i| data.dataset.items[i].group.as_str()))
}

fn frame_probabilities(model: &FrameModel, windows: &[Array2<f32>], batch: usize) -> Vec<Vec<f32>> {
    let device = Device::default();
    let classes = model.classes();
    let mut out = Vec::with_capacity(windows.len());
    for chunk in windows.chunks(batch.max(1)) {
        let (frames, mels) = chunk[0].dim();
        let data: Vec<f32> = chunk.iter().flat_map(|w| w.iter().copied()).collect();
        let x = Tensor::<4>::from_data(TensorData::new(data, [chunk.len(), 1, frames, mels]), &device);
        out.extend(emit::values(model.probabilities(x)).chunks(classes).map(<[f32]>::to_vec));
    }
    out
}

fn fused(fusion: &Fusion, spec: &[Vec<f32>], frames: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let device = Device::default();
    let k = fusion.classes();
    let t = |rows: &[Vec<f32>]| Tensor::<2>::from_data(TensorData::new(rows.concat(), [rows.len(), k]), &device);
    emit::values(fusion.probabilities(t(spec), t(frames))).chunks(k).map(<[f32]>::to_vec).collect()
}

/// Trains and scores both streams and the fusion on one fold.
pub fn run_fold(
    data: &VocalData,
    fold: &Fold,
    genotype: &Genotype,
    config: &PipelineConfig,
    show_progress: bool,
    checkpoint: Option<&Resumable>,
) -> Result<(TrainedVocal, FoldOutcome), TrainError> {
    let started = Instant::now();
    let classes = data.dataset.classes.len();
    let (train, validation, test) =
        (data.readable(&fold.train), data.readable(&fold.validation), data.readable(&fold.test));
    // The test part may be empty: the final model trains on every speaker but the validation ones.
    if train.is_empty() || validation.is_empty() {
        return Err(TrainError::Invalid(format!(
            "a fold needs training and validation speakers with readable audio; got {} / {} / {} utterances",
            train.len(),
            validation.len(),
            test.len()
        )));
    }
    let truth = |items: &[usize]| items.iter().map(|&i| data.classes[i]).collect::<Vec<_>>();
    // Spectrogram stream.
    let input = fitted_input(data, &train);
    let (mut train_set, val_set, test_set) =
        (input_set(data, &input, &train), input_set(data, &input, &validation), input_set(data, &input, &test));
    // Training-only copies of the training takes (re-recorded, excerpts) train too; validation and test stay whole.
    let copies: Vec<&super::data::TakeCopy> = {
        let in_train: std::collections::HashSet<usize> = train.iter().copied().collect();
        data.copies.iter().filter(|c| in_train.contains(&c.of)).collect()
    };
    for copy in &copies {
        train_set.inputs.push(input.prepare(&copy.window));
        train_set.classes.push(data.classes[copy.of]);
    }
    let net_config = NasConfig { classes, ..config.net };
    let (net, net_training) = train_derived(
        genotype,
        &net_config,
        &config.net_training,
        &train_set,
        &val_set,
        show_progress,
        checkpoint.map(|c| c.stage("spectrogram")).as_ref(),
    )?;
    let batch = config.net_training.batch_size;
    let spec_val = predict(&net, &val_set, batch);
    let spec_test = predict(&net, &test_set, batch);
    // Frame stream.
    let mut member_tests: Vec<Vec<Vec<f32>>> = Vec::new();
    let (frames, frames_val, frames_test, (cell, frames_best_epoch, cell_losses)) = match &config.frame_features {
        None => {
            let prosody = MelProsody::new(&frontend(), data.frames, input.pooled, config.frame_cepstra)
                .map_err(TrainError::Invalid)?;
            let (mut train_w, val_w, test_w) =
                (windows(data, &train), windows(data, &validation), windows(data, &test));
            // The training takes: the recorded ones, then their copies (each labelled as its original).
            let items: Vec<usize> = train.iter().copied().chain(copies.iter().map(|c| c.of)).collect();
            for copy in &copies {
                train_w.push(
                    Array2::from_shape_vec((data.frames, input.mels), copy.window.clone()).expect("frames × bands"),
                );
            }
            // The training features are extracted once: standardising them afterwards is what the extractor
            // does with the standardisation baked in.
            let mut raw_train = prosody_frames(&prosody, &train_w, 32)?;
            let standardization = fit_standardization(&raw_train);
            raw_train.iter_mut().for_each(|f| standardization.apply(f));
            let prosody = prosody.with_standardization(&standardization).map_err(TrainError::Invalid)?;
            let train_seq: Vec<(Array2<f32>, usize)> = raw_train.into_iter().zip(truth(&items)).collect();
            let (weights, corpora) = (frame_weights(data, config.balance, &items), corpora_of(data, &items));
            let takes = TrainingTakes { sequences: &train_seq, weights: weights.as_deref(), corpora: Some(&corpora) };
            let val_seq: Vec<(Array2<f32>, usize)> =
                prosody_frames(&prosody, &val_w, 32)?.into_iter().zip(truth(&validation)).collect();
            let frame_config = FrameStreamConfig {
                hidden: config.hidden,
                layers: config.layers,
                ..FrameStreamConfig::new(prosody.features(), classes)
            };
            // Each member is a whole cell choice at its own seed; the first is the single model of a one-member
            // run (same seed, same checkpoint), so averaging only adds streams to what ran before.
            let mut members = Vec::with_capacity(config.frame_members);
            for m in 0..config.frame_members.max(1) {
                let training =
                    FrameTraining { seed: config.frame_training.seed + m as u64, ..config.frame_training.clone() };
                let stage = (m > 0).then(|| checkpoint.map(|c| c.stage(&format!("member{m}")))).flatten();
                members.push(choose_cell(
                    &frame_config,
                    &config.cells,
                    (takes, &val_seq),
                    &training,
                    show_progress,
                    stage.as_ref().or(checkpoint),
                )?);
            }
            let first = (members[0].cell, members[0].run.best_epoch, members[0].candidates.clone());
            let streams: Vec<FrameStream> = members.into_iter().map(|c| c.run.stream).collect();
            if streams.len() > 1 {
                // The test takes' features once for every member (the extraction is the costly part).
                let test_seq: Vec<(Array2<f32>, usize)> =
                    prosody_frames(&prosody, &test_w, 32)?.into_iter().zip(truth(&test)).collect();
                member_tests = streams.iter().map(|stream| stream_probabilities(stream, &test_seq, 32)).collect();
            }
            let model = FrameModel::averaged(prosody, streams).map_err(TrainError::Invalid)?;
            let (pv, pt) = (frame_probabilities(&model, &val_w, 32), frame_probabilities(&model, &test_w, 32));
            (FrameBranch::Builtin(model), pv, pt, first)
        }
        Some(_) if config.frame_cepstra > 0 => {
            return Err(TrainError::Invalid(
                "cepstral coefficients are taken from the built-in log-mel features (drop --frame-features or \
                 --frame-cepstra)"
                    .into(),
            ));
        }
        Some(_) if config.frame_members > 1 => {
            return Err(TrainError::Invalid(
                "averaging several frame streams needs the built-in frame features (drop --frame-features or use \
                 one member)"
                    .into(),
            ));
        }
        Some(dir) => {
            let (mut tr, mut va, mut te) =
                (embeddings(data, dir, &train)?, embeddings(data, dir, &validation)?, embeddings(data, dir, &test)?);
            let raw: Vec<Array2<f32>> = tr.iter().map(|(f, _)| f.clone()).collect();
            let standardization = fit_standardization(&raw);
            for (f, _) in tr.iter_mut().chain(va.iter_mut()).chain(te.iter_mut()) {
                standardization.apply(f);
            }
            let frame_config = FrameStreamConfig {
                hidden: config.hidden,
                layers: config.layers,
                ..FrameStreamConfig::new(tr[0].0.ncols(), classes)
            };
            let (weights, corpora) = (frame_weights(data, config.balance, &train), corpora_of(data, &train));
            let takes = TrainingTakes { sequences: &tr, weights: weights.as_deref(), corpora: Some(&corpora) };
            let CellChoice { cell, run, candidates } = choose_cell(
                &frame_config,
                &config.cells,
                (takes, &va),
                &config.frame_training,
                show_progress,
                checkpoint,
            )?;
            let (pv, pt) = (stream_probabilities(&run.stream, &va, 32), stream_probabilities(&run.stream, &te, 32));
            (FrameBranch::Embeddings(Box::new(run.stream)), pv, pt, (cell, run.best_epoch, candidates))
        }
    };
    // Fusion on the validation speakers' predictions.
    let examples: Vec<(Vec<f32>, Vec<f32>, usize)> =
        spec_val.iter().zip(&frames_val).zip(truth(&validation)).map(|((s, f), c)| (s.clone(), f.clone(), c)).collect();
    let fusion = train_fusion(&examples, classes, config.fusion_epochs, 1e-3, 16, config.seed)?;
    let fused_test = fused(&fusion, &spec_test, &frames_test);
    let test_truth = truth(&test);
    let val_truth = truth(&validation);
    // The length check (the same takes, cut to their first seconds) and the room check (the same takes in another
    // room): each stream on the altered windows beside its reading of the takes as they are.
    let check = |model: &FrameModel, altered: Vec<Vec<f32>>| -> Vec<AlteredCheck> {
        let set = InputSet {
            rows: input.pooled,
            cols: input.mels,
            inputs: altered.iter().map(|w| input.prepare(w)).collect(),
            classes: test_truth.clone(),
        };
        let arrays: Vec<Array2<f32>> = altered
            .into_iter()
            .map(|w| Array2::from_shape_vec((data.frames, input.mels), w).expect("frames × bands"))
            .collect();
        let spec_altered = predict(&net, &set, batch);
        let frames_altered = frame_probabilities(model, &arrays, 32);
        let fused_altered = fused(&fusion, &spec_altered, &frames_altered);
        [
            (Stream::Spectrogram, spec_altered, &spec_test),
            (Stream::Frames, frames_altered, &frames_test),
            (Stream::Fusion, fused_altered, &fused_test),
        ]
        .into_iter()
        .map(|(stream, altered, whole)| {
            let same = altered.iter().zip(whole).filter(|(a, b)| argmax(a) == argmax(b)).count();
            AlteredCheck {
                stream,
                altered: score(&altered, &test_truth, classes).0,
                agreement: same as f64 / test.len() as f64,
            }
        })
        .collect()
    };
    let (length, room) = match &frames {
        FrameBranch::Builtin(model) if !test.is_empty() => {
            let keep = (SHORT_TAKE_SECONDS / frontend().hop_seconds()).round() as usize;
            let cut: Vec<Vec<f32>> = test
                .iter()
                .map(|&i| data.preparation.shortened(data.windows[i].as_ref().expect("readable"), keep, input.mels))
                .collect();
            let in_room: Option<Vec<Vec<f32>>> = (!data.in_room.is_empty()).then(|| {
                test.iter().map(|&i| data.in_room[i].clone().expect("readable items have a room copy")).collect()
            });
            (check(model, cut), in_room.map(|w| check(model, w)).unwrap_or_default())
        }
        _ => (Vec::new(), Vec::new()),
    };
    let outcome = FoldOutcome {
        spectrogram: score(&spec_test, &test_truth, classes).0,
        frames: score(&frames_test, &test_truth, classes).0,
        fusion: score(&fused_test, &test_truth, classes).0,
        spectrogram_validation: score(&spec_val, &val_truth, classes).0,
        frames_validation: score(&frames_val, &val_truth, classes).0,
        net_training,
        cell_losses,
        cell,
        frames_best_epoch,
        test_speakers: {
            let mut s: Vec<String> = test.iter().map(|&i| data.dataset.items[i].group.clone()).collect();
            s.sort();
            s.dedup();
            s
        },
        sizes: [train.len(), validation.len(), test.len()],
        seconds: started.elapsed().as_secs_f64(),
        length,
        room,
        frame_members: member_tests.iter().map(|p| score(p, &test_truth, classes).0).collect(),
    };
    Ok((TrainedVocal { preparation: data.preparation, input, net, frames, fusion }, outcome))
}
