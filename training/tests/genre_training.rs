//! Genre training end to end on features the test writes (no audio, no shared data): a temporal net learns two
//! rhythms apart, the export loads as a valid model whose ONNX Runtime output equals burn's, and the study grid
//! runs, stores every fold and resumes without retraining. Needs ONNX Runtime for the export test
//! (`cargo xtask test` provisions it).

use std::sync::Mutex;

use earmark_core::manifest::{Manifest, Task};
use earmark_core::runtime::{OnnxSession, Runtime, SessionOptions};
use earmark_training::data::Fold;
use earmark_training::genre::export::{ExportInfo, MODEL_FILE, write_model};
use earmark_training::genre::models::{Architecture, NetConfig};
use earmark_training::genre::optim::OptimizerKind;
use earmark_training::genre::study::{Runner, SubgenreBase, subgenre_tables, temporal_table};
use earmark_training::genre::train::{Clips, TrainConfig, predict, train_fold};
use earmark_training::genre::windows::WindowSet;
use earmark_training::train::FoldId;
use ndarray::{Array2, ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// burn's CPU backend draws from one process-wide generator: trainings in one process take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// A clip of `frames × 40` log-mel-like values: noise plus pulses in the low bands every `period` frames.
fn clip(period: usize, frames: usize, rng: &mut ChaCha8Rng) -> Array2<f32> {
    let phase = rng.random_range(0..period);
    Array2::from_shape_fn((frames, 40), |(t, m)| {
        let pulse = if (t + phase) % period == 0 && m < 12 { 3.0 } else { 0.0 };
        pulse + rng.random_range(0.0..0.5)
    })
}

/// 2 classes (period 9 vs 21 frames), 12 clips each; clips 0–7 of each class train, 8–9 validate, 10–11 test.
fn rhythms() -> (Vec<usize>, Vec<Option<Array2<f32>>>, Fold) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut classes, mut features, mut fold) = (Vec::new(), Vec::new(), Fold::default());
    for i in 0..24 {
        let class = i % 2;
        classes.push(class);
        features.push(Some(clip(if class == 0 { 9 } else { 21 }, 500, &mut rng)));
        match i / 2 {
            0..=7 => fold.train.push(i),
            8 | 9 => fold.validation.push(i),
            _ => fold.test.push(i),
        }
    }
    (classes, features, fold)
}

fn quick(optimizer: OptimizerKind, epochs: usize) -> TrainConfig {
    TrainConfig {
        optimizer,
        learning_rate: None,
        epochs,
        batch_size: 8,
        patience: epochs,
        plateau: 0,
        train_hop: 125,
        eval_hop: 125,
        seed: 3,
    }
}

#[test]
fn a_temporal_net_learns_two_rhythms_apart_and_its_export_runs_in_onnx_runtime() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (classes, features, fold) = rhythms();
    let clips = Clips { classes: &classes, features: &features };
    let net_config = NetConfig::temporal(1, 1, 2);
    let (net, outcome) =
        train_fold(&net_config, &quick(OptimizerKind::Adam, 8), &clips, &fold, FoldId::Cv(0), false, None).unwrap();
    assert!(outcome.test.accuracy() >= 0.75, "test accuracy {} (chance 0.5)", outcome.test.accuracy());
    assert!(outcome.history.first().unwrap().loss > outcome.history.last().unwrap().loss, "{:?}", outcome.history);
    assert_eq!(outcome.test.counts.iter().flatten().sum::<usize>(), 4, "one vote per test clip");

    let dir = tempfile::tempdir().unwrap();
    let info = ExportInfo {
        name: "genre".into(),
        description: "test".into(),
        classes: vec!["fast".into(), "slow".into()],
        hop_frames: 125,
        thresholds: None,
        provenance: earmark_core::manifest::Provenance {
            command: "test".into(),
            data: "synthetic".into(),
            license: None,
        },
        metrics: Default::default(),
    };
    // A manifest naming three classes for a two-class graph fails the export, and writes nothing.
    let three = ExportInfo { classes: vec!["fast".into(), "slow".into(), "still".into()], ..info.clone() };
    let refused = dir.path().join("refused");
    let error = write_model(&refused, Task::Genre, &net, &net_config, outcome.standardization, &three).unwrap_err();
    assert!(error.to_string().contains("model.onnx does not match its manifest"), "{error}");
    assert!(!refused.exists());
    write_model(dir.path(), Task::Genre, &net, &net_config, outcome.standardization, &info).unwrap();
    let manifest = Manifest::load(dir.path()).unwrap();
    assert_eq!(manifest.task, Task::Genre);
    assert_eq!(manifest.frontend, earmark_training::genre::frontend());

    // The graph takes raw features (standardisation inside) and gives what burn gives on standardised windows.
    let runtime = Runtime::global().unwrap_or_else(|e| panic!("{e}"));
    let mut session = OnnxSession::load(runtime, &dir.path().join(MODEL_FILE), SessionOptions::default()).unwrap();
    let raw = features[fold.test[0]].as_ref().unwrap().slice(ndarray::s![0..250, ..]).to_owned();
    let input = ArrayD::from_shape_vec(IxDyn(&[1, 1, 250, 40]), raw.iter().copied().collect()).unwrap();
    let onnx = session.run(&[input.view()]).unwrap().remove(0);
    let mut set = WindowSet::new(250, 40);
    set.push_clip(0, &raw, 250, outcome.standardization);
    let burn = predict(&net, &set, 1);
    assert_eq!(onnx.len(), 2);
    for (a, b) in onnx.iter().zip(&burn) {
        assert!((a - b).abs() < 1e-4, "onnx {onnx:?} vs burn {burn:?}");
    }
    assert!((onnx.sum() - 1.0).abs() < 1e-5);
}

#[test]
fn the_study_runs_every_table_stores_each_fold_and_resumes_without_retraining() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (classes, features, fold) = rhythms();
    let folds = vec![fold];
    let run = tempfile::tempdir().unwrap();
    let net = NetConfig { width: 2, hidden: 4, ..NetConfig::subgenre(Architecture::Cnn, 2) };
    let base = SubgenreBase { net, train: quick(OptimizerKind::Adam, 1) };
    let tables = {
        let clips = Clips { classes: &classes, features: &features };
        let mut runner = Runner::open_in(clips, &folds, 1, (run.path(), "8 items · test"), false).unwrap();
        runner.show_progress = false;
        let mut text = subgenre_tables(&mut runner, &base).unwrap();
        text += &temporal_table(&mut runner, &base, &[(1, 0)], &[250]).unwrap();
        text
    };
    for heading in ["Table 1", "Table 2", "Table 3", "Table 4", "Pons & Serra Table 1"] {
        assert!(tables.contains(heading), "{heading} missing:\n{tables}");
    }
    assert!(tables.contains("| O-net | 1782 |"), "O-net for 2 classes has 980 + 802 parameters:\n{tables}");
    // One fold ran: bare figures, not a "± 0.00" that reads as no spread.
    assert!(!tables.contains('±'), "a spread over one fold:\n{tables}");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.path().join("study.json")).unwrap()).unwrap();
    // 9 (Table 1) + 4 new in Table 3 + 9 new in Table 4 + 1 temporal.
    assert_eq!(stored.as_object().unwrap().len(), 23);

    // Resuming reuses every stored fold: the tables come back identical and the store is not rewritten (a
    // retrained fold would be saved with its new wall time).
    let before = std::fs::read(run.path().join("study.json")).unwrap();
    let clips = Clips { classes: &classes, features: &features };
    let mut runner = Runner::open_in(clips, &folds, 1, (run.path(), "8 items · test"), true).unwrap();
    runner.show_progress = false;
    let again =
        subgenre_tables(&mut runner, &base).unwrap() + &temporal_table(&mut runner, &base, &[(1, 0)], &[250]).unwrap();
    assert_eq!(again, tables);
    assert_eq!(std::fs::read(run.path().join("study.json")).unwrap(), before, "resuming retrained something");
}
