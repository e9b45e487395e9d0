//! The vocal-emotion pipeline end to end on synthetic "speakers" (no corpus needed): folds keep speakers apart
//! (also across two corpora that reuse speaker numbers), one fold trains both streams and the fusion and scores
//! each on the test speakers, and the exported one-graph model runs in the engine as a categorical readout.

use std::path::PathBuf;
use std::sync::Mutex;

use earmark_core::manifest::{Manifest, Task};
use earmark_training::data::splits::leave_speakers_out_folds;
use earmark_training::data::{Dataset, Item, Target, TargetKind};
use earmark_training::onnx::graph::ExportInfo;
use earmark_training::train::{Resumable, TrainError};
use earmark_training::vocal::darts::genotype::{CellGenotype, Genotype};
use earmark_training::vocal::darts::network::NasConfig;
use earmark_training::vocal::darts::ops::Primitive as P;
use earmark_training::vocal::data::{Balance, VocalData};
use earmark_training::vocal::export::write_model;
use earmark_training::vocal::frames::{FrameTraining, RecurrentCell};
use earmark_training::vocal::input::{
    BANDS, Preparation, SILENCE_DB, SpeakerEstimate, segment_frames, subtract_speaker_means,
};
use earmark_training::vocal::pipeline::{PipelineConfig, Stream, run_fold};
use earmark_training::vocal::train::NetTrainConfig;

static SERIAL: Mutex<()> = Mutex::new(());

fn speakers(corpus: &str, count: usize, per_speaker: usize) -> Dataset {
    let mut items = Vec::new();
    for s in 0..count {
        for u in 0..per_speaker {
            items.push(Item {
                path: PathBuf::from(format!("{corpus}/{s:02}_{u}.wav")),
                group: format!("{:02}", s + 1),
                target: Target::Class(u % 2),
            });
        }
    }
    Dataset::new(corpus, TargetKind::SingleLabel, vec!["neutral".into(), "anger".into()], None, items).unwrap()
}

#[test]
fn merged_corpora_keep_equal_speaker_numbers_apart_and_no_speaker_is_in_two_parts() {
    let merged =
        earmark_training::data::speech::merge("speech", &[speakers("emodb", 4, 2), speakers("ravdess", 4, 2)]).unwrap();
    assert_eq!(merged.group_members().len(), 8, "speaker 01 of one corpus is not actor 01 of the other");
    for fold in leave_speakers_out_folds(&merged, 3).unwrap() {
        fold.check_disjoint_groups(&merged).unwrap();
        let group = |items: &[usize]| -> std::collections::BTreeSet<String> {
            items.iter().map(|&i| merged.items[i].group.clone()).collect()
        };
        let (tr, va, te) = (group(&fold.train), group(&fold.validation), group(&fold.test));
        assert!(tr.is_disjoint(&va) && tr.is_disjoint(&te) && va.is_disjoint(&te));
        assert!(!tr.is_empty() && !va.is_empty() && !te.is_empty());
    }
}

/// Class 0 speaks low and quietly, class 1 high and loudly: a short window of harmonic energy in the bands,
/// then silence (as the 8 s padding leaves it).
fn window(class: usize, speaker: usize, utterance: usize) -> Vec<f32> {
    let frames = segment_frames();
    let mut w = vec![SILENCE_DB; frames * BANDS];
    let (centre, level) = if class == 0 { (20, -50.0) } else { (70, -25.0) };
    let centre = centre + speaker % 3;
    for f in 0..200 + 20 * utterance {
        for b in 0..BANDS {
            let d = (b as f32 - centre as f32).abs();
            w[f * BANDS + b] = (level - 2.0 * d).max(SILENCE_DB) + ((f * 7 + b) % 5) as f32 * 0.5;
        }
    }
    w
}

/// The synthetic speakers' windows, prepared as the shipped model's are (voiced frames, speaker band means out).
fn synthetic_data() -> VocalData {
    let dataset = speakers("synthetic", 6, 8);
    let preparation = Preparation::SPEAKER;
    let mut windows: Vec<Option<Vec<f32>>> = dataset
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut w = window(item.target.class().unwrap(), i / 8, i % 8);
            preparation.apply(&mut w, BANDS);
            Some(w)
        })
        .collect();
    let speakers = dataset.items.iter().map(|i| i.group.as_str());
    let takes = windows.iter_mut().zip(speakers).filter_map(|(w, s)| Some((w.as_mut()?, s)));
    subtract_speaker_means(takes, BANDS, SpeakerEstimate::AllTakes);
    let classes = dataset.items.iter().map(|i| i.target.class().unwrap()).collect();
    let windows_copy = windows.clone();
    VocalData {
        dataset,
        classes,
        windows,
        skipped: Vec::new(),
        frames: segment_frames(),
        preparation,
        copies: Vec::new(),
        // The room check on the takes as they are: it must then read every take as the test itself does.
        in_room: windows_copy,
    }
}

fn small_genotype() -> Genotype {
    let cell = CellGenotype {
        edges: vec![
            (P::SepConv3x3, 0),
            (P::SkipConnect, 1),
            (P::DilConv3x3, 0),
            (P::MaxPool3x3, 2),
            (P::AvgPool3x3, 1),
            (P::SkipConnect, 3),
            (P::SepConv3x3, 2),
            (P::SkipConnect, 4),
        ],
        concat: vec![2, 3, 4, 5],
    };
    Genotype { normal: cell.clone(), reduce: cell }
}

fn small_pipeline() -> PipelineConfig {
    PipelineConfig {
        net: NasConfig { layers: 3, channels: 2, steps: 4, classes: 2, stem_stride: 2 },
        net_training: NetTrainConfig { epochs: 3, batch_size: 8, ..NetTrainConfig::default() },
        hidden: 8,
        layers: 1,
        cells: vec![RecurrentCell::Lstm, RecurrentCell::Gru],
        frame_training: FrameTraining {
            epochs: 4,
            batch_size: 8,
            learning_rate: 1e-2,
            seed: 1,
            ..FrameTraining::default()
        },
        fusion_epochs: 30,
        frame_features: None,
        balance: Balance::None,
        frame_members: 1,
        frame_cepstra: 0,
        seed: 1,
    }
}

/// A user's own embeddings (`<stem>.npy`, any width and length) feed the frame stream instead of the built-in
/// features; the fold is scored as usual, and exporting such a model is refused with the reason.
#[test]
fn external_frame_embeddings_feed_the_frame_stream_and_are_not_exported() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = synthetic_data();
    let dir = tempfile::tempdir().unwrap();
    for (item, &class) in data.dataset.items.iter().zip(&data.classes) {
        let stem = item.path.file_stem().unwrap().to_string_lossy().into_owned();
        let frames = ndarray::Array2::from_shape_fn((12, 5), |(t, d)| {
            (if d == class { 1.0 } else { 0.0 }) + ((t * 3 + d) % 4) as f32 * 0.1
        });
        ndarray_npy::write_npy(dir.path().join(format!("{stem}.npy")), &frames).unwrap();
    }
    let fold = leave_speakers_out_folds(&data.dataset, 1).unwrap().remove(0);
    let config = PipelineConfig { frame_features: Some(dir.path().to_path_buf()), ..small_pipeline() };
    let (model, outcome) = run_fold(&data, &fold, &small_genotype(), &config, false, None).unwrap();
    assert!(outcome.frames.unweighted_accuracy() >= 0.99, "embeddings name the class: {:?}", outcome.frames);
    let error = model.to_onnx(Stream::Fusion, "test").unwrap_err().to_string();
    assert!(error.contains("external embeddings"), "{error}");
    // A missing embedding file is named.
    std::fs::remove_file(dir.path().join("05_0.npy")).unwrap();
    let error = run_fold(&data, &fold, &small_genotype(), &config, false, None)
        .err()
        .expect("a missing file fails")
        .to_string();
    assert!(error.contains("05_0.npy"), "{error}");
}

#[test]
fn one_fold_trains_both_streams_and_the_fusion_and_ships_as_a_categorical_readout() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = synthetic_data();
    let fold = leave_speakers_out_folds(&data.dataset, 1).unwrap().remove(0);
    let (genotype, config) = (small_genotype(), small_pipeline());
    let (model, outcome) = run_fold(&data, &fold, &genotype, &config, false, None).unwrap();
    let tested = fold.test.len();
    for (what, c) in [("spectrogram", &outcome.spectrogram), ("frames", &outcome.frames), ("fusion", &outcome.fusion)] {
        assert_eq!(c.counts.iter().flatten().sum::<usize>(), tested, "{what}: every test utterance scored once");
    }
    assert_eq!(outcome.cell_losses.len(), 2);
    assert!(
        outcome.cell_losses.iter().any(|&(c, l)| c == outcome.cell && outcome.cell_losses.iter().all(|&(_, m)| l <= m))
    );
    assert!(
        outcome.frames.unweighted_accuracy() >= 0.75,
        "pitch and loudness separate the classes: frame stream UA {}",
        outcome.frames.unweighted_accuracy()
    );
    assert_eq!(outcome.test_speakers.len(), 1);
    let streams: Vec<Stream> = outcome.length.iter().map(|c| c.stream).collect();
    assert_eq!(streams, Stream::ALL, "every stream's length check ran");
    for check in &outcome.length {
        assert_eq!(check.altered.counts.iter().flatten().sum::<usize>(), tested);
        assert!((0.0..=1.0).contains(&check.agreement));
    }
    let streams: Vec<Stream> = outcome.room.iter().map(|c| c.stream).collect();
    assert_eq!(streams, Stream::ALL, "every stream's room check ran");
    for check in &outcome.room {
        assert_eq!(check.altered, *outcome.test(check.stream), "the room check reads the room windows");
        assert_eq!(check.agreement, 1.0);
    }
    // Both checks reach the results table, each under its own caption; a run without the room check has none.
    let names = ["neutral".to_string(), "anger".to_string()];
    let table =
        earmark_training::vocal::report::results_markdown(std::slice::from_ref(&outcome), &names, Stream::Frames);
    assert!(table.contains("Length (test)") && table.contains("Room (test)"), "{table}");
    let row = table.lines().skip_while(|l| !l.starts_with("Room (test)")).find(|l| l.starts_with("| 1 ")).unwrap();
    assert!(row.matches("100.0").count() >= 3, "every stream reads the unaltered room takes alike: {row}");
    let plain = earmark_training::vocal::pipeline::FoldOutcome { room: Vec::new(), ..outcome.clone() };
    let table = earmark_training::vocal::report::results_markdown(&[plain], &names, Stream::Frames);
    assert!(!table.contains("Room (test)"), "{table}");

    let models = tempfile::tempdir().unwrap();
    let info = ExportInfo {
        name: "vocal-emotion".into(),
        description: "test".into(),
        classes: vec!["neutral".into(), "anger".into()],
        hop_frames: 91,
        thresholds: None,
        provenance: earmark_core::manifest::Provenance {
            command: "test".into(),
            data: "synthetic".into(),
            license: None,
        },
        metrics: Default::default(),
    };
    write_model(&models.path().join("vocal-emotion"), &model, Stream::Frames, &info).unwrap();
    let manifest = Manifest::load(&models.path().join("vocal-emotion")).unwrap();
    assert_eq!(manifest.task, Task::VocalEmotion);
    assert_eq!((manifest.segment.frames, manifest.frontend.sample_rate), (728, 16_000));
    assert_eq!(manifest.segment.voicing, Preparation::SPEAKER.voicing, "the engine is told to cut as training did");
    assert_eq!(manifest.segment.speaker_norm, Preparation::SPEAKER.speaker, "and to keep a running speaker mean");

    use earmark_core::engine::view::ViewBuilder;
    use earmark_core::engine::{Engine, EngineSettings, offline::analyze};
    let settings = EngineSettings { update_interval: 0.5, smoothing: 0.0, ..EngineSettings::default() };
    let mut engine = Engine::load(models.path(), 48_000, &settings);
    assert!(engine.status_mut().messages.is_empty(), "{:?}", engine.status_mut().messages);
    let voice: Vec<f32> = (0..48_000 * 9)
        .map(|i| {
            let t = i as f32 / 48_000.0;
            (1..6).map(|h| (std::f32::consts::TAU * 180.0 * h as f32 * t).sin() * 0.2 / h as f32).sum()
        })
        .collect();
    let timeline = analyze(&mut engine, &voice, |_| {});
    let last = &timeline.last().expect("an update").readout;
    let total: f32 = last.scores.iter().sum();
    assert!((total - 1.0).abs() < 1e-3, "class probabilities sum to 1: {:?}", last.scores);
    let view = ViewBuilder::new(5.0).update(&engine.snapshot()).vocal.live().cloned().expect("a vocal-emotion view");
    assert_eq!(view.ranked.len(), 2);
    assert!(view.ranked[0].1 >= view.ranked[1].1, "ranked by probability: {:?}", view.ranked);
}

/// Re-recorded copies of the training takes train; copies of validation and test takes never do. Copies of the
/// held-out takes are poisoned (NaN): the fold still trains. Poisoning the training takes' copies instead
/// stops it with a non-finite loss, so copies are really read.
#[test]
fn augmented_copies_train_only_from_training_takes() {
    use earmark_training::vocal::data::TakeCopy;
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let fold = leave_speakers_out_folds(&synthetic_data().dataset, 1).unwrap().remove(0);
    let held_out: std::collections::HashSet<usize> = fold.validation.iter().chain(&fold.test).copied().collect();
    let with_copies = |poison_training: bool| {
        let mut data = synthetic_data();
        data.copies = (0..data.windows.len())
            .map(|of| {
                let poisoned = held_out.contains(&of) != poison_training;
                let window = data.windows[of].clone().unwrap();
                TakeCopy { of, window: if poisoned { vec![f32::NAN; window.len()] } else { window } }
            })
            .collect();
        data
    };
    let config = PipelineConfig {
        net_training: NetTrainConfig { epochs: 1, batch_size: 8, ..NetTrainConfig::default() },
        frame_training: FrameTraining {
            epochs: 1,
            batch_size: 8,
            learning_rate: 1e-2,
            seed: 1,
            ..FrameTraining::default()
        },
        ..small_pipeline()
    };
    let (_, outcome) = run_fold(&with_copies(false), &fold, &small_genotype(), &config, false, None).unwrap();
    assert_eq!(outcome.fusion.total(), fold.test.len());
    let error =
        run_fold(&with_copies(true), &fold, &small_genotype(), &config, false, None).err().expect("NaN copies trained");
    assert!(error.to_string().contains("non-finite") || error.to_string().contains("NaN"), "{error}");
}

/// A vocal fold checkpoints each network it trains as a stage of the fold's checkpoint (the spectrogram network,
/// one frame stream per recurrent cell): a rerun with `--resume` continues from them (here: finds them finished
/// and returns the same fold), and stages written for other settings are refused, not silently reused.
#[test]
fn a_vocal_fold_checkpoints_each_network_and_resumes_from_them() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = synthetic_data();
    let fold = leave_speakers_out_folds(&data.dataset, 1).unwrap().remove(0);
    let (genotype, config) = (small_genotype(), small_pipeline());
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = Resumable { path: dir.path().join("run-fold1.ckpt"), resume: true, fingerprint: "a".into() };
    let (_, first) = run_fold(&data, &fold, &genotype, &config, false, Some(&checkpoint)).unwrap();
    for stage in ["spectrogram", "frames-lstm", "frames-gru"] {
        assert!(checkpoint.stage(stage).path.is_file(), "no {stage} checkpoint");
    }
    let (_, again) = run_fold(&data, &fold, &genotype, &config, false, Some(&checkpoint)).unwrap();
    assert_eq!(again.spectrogram, first.spectrogram);
    assert_eq!(again.frames, first.frames);
    let other = Resumable { fingerprint: "b".into(), ..checkpoint.clone() };
    let refused = run_fold(&data, &fold, &genotype, &config, false, Some(&other)).err().expect("other settings");
    assert!(matches!(refused, TrainError::ConfigMismatch { .. }), "{refused}");
    checkpoint.finish().unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "stages left behind");
}

/// `frame_members: 3` trains three frame streams at seeds 1, 2, 3 and ships their average: the first member is
/// the one-member run's stream (same seed, same checkpoint), the others differ and checkpoint as their own
/// stages, each member's own test figures are kept, and the exported graph holds all three. External embeddings
/// cannot be averaged (refused with the reason).
#[test]
fn averaged_frame_members_train_at_successive_seeds_and_checkpoint_apart() {
    use earmark_training::vocal::pipeline::FrameBranch;
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = synthetic_data();
    let fold = leave_speakers_out_folds(&data.dataset, 1).unwrap().remove(0);
    let single = PipelineConfig { cells: vec![RecurrentCell::Functionals], ..small_pipeline() };
    let (_, alone) = run_fold(&data, &fold, &small_genotype(), &single, false, None).unwrap();
    assert!(alone.frame_members.is_empty(), "a one-stream fold keeps no member figures");
    let config = PipelineConfig { frame_members: 3, ..single.clone() };
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = Resumable { path: dir.path().join("run-fold1.ckpt"), resume: true, fingerprint: "a".into() };
    let (model, outcome) = run_fold(&data, &fold, &small_genotype(), &config, false, Some(&checkpoint)).unwrap();
    assert_eq!(outcome.frame_members.len(), 3);
    assert_eq!(outcome.frame_members[0], alone.frames, "the first member is the one-stream model");
    assert!(outcome.frame_members.iter().all(|c| c.total() == fold.test.len()));
    let FrameBranch::Builtin(frames) = &model.frames else { panic!("built-in frame features") };
    assert_eq!(frames.streams.len(), 3);
    let weights = |k: usize| frames.streams[k].fc.weight.val().into_data().iter::<f32>().collect::<Vec<_>>();
    assert!(weights(0) != weights(1), "each member trains from its own seed");
    for stage in ["frames-functionals", "member1.frames-functionals", "member2.frames-functionals"] {
        assert!(checkpoint.stage(stage).path.is_file(), "no {stage} checkpoint");
    }
    let onnx = model.to_onnx(Stream::Frames, "test").unwrap();
    let graph = onnx.graph.unwrap();
    assert_eq!(graph.node.iter().filter(|n| n.op_type.as_deref() == Some("Mean")).count(), 1);
    checkpoint.finish().unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "stages left behind");
    let embedded = PipelineConfig { frame_features: Some(dir.path().to_path_buf()), ..config };
    let error = run_fold(&data, &fold, &small_genotype(), &embedded, false, None).err().expect("refused").to_string();
    assert!(error.contains("built-in frame features"), "{error}");
}
