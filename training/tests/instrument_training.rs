//! Instrument tagging end to end on features the test writes (no audio, no shared data): ResAtt learns which
//! "instruments" (energy in their own mel bands) are present with some tags unannotated, its export loads as a
//! valid `instruments` model whose three ONNX outputs equal burn's, and the study table runs and resumes.
//! Needs ONNX Runtime for the export test (`cargo xtask test` provisions it).

use std::sync::Mutex;

use earmark_core::manifest::{LabelGroup, Manifest, Task};
use earmark_core::runtime::{OnnxSession, Runtime, SessionOptions};
use earmark_training::data::{Dataset, Fold, Item, Target, TargetKind};
use earmark_training::genre::windows::WindowSet;
use earmark_training::instruments::export::{MODEL_FILE, write_model};
use earmark_training::instruments::model::{Method, TaggerConfig};
use earmark_training::instruments::study::{TagRunner, TagSets, table};
use earmark_training::instruments::train::{Hierarchy, TagClips, TagTrainConfig, train_fold};
use earmark_training::onnx::graph::ExportInfo;
use earmark_training::train::FoldId;
use ndarray::{Array2, ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

static SERIAL: Mutex<()> = Mutex::new(());

const TAGS: [&str; 4] = ["violin", "cello", "trumpet", "tuba"];

/// 40 clips of 64 frames × 64 bands (the instrument frontend's): tag i present adds energy to bands 16i..16i+16; each clip has 1–2 tags;
/// every fifth clip leaves one tag unannotated. Clips 0–23 train, 24–31 validate, 32–39 test.
fn data() -> (Dataset, Vec<Option<Array2<f32>>>, Fold) {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (mut items, mut features, mut fold) = (Vec::new(), Vec::new(), Fold::default());
    for i in 0..40 {
        let mut present = [false; 4];
        present[i % 4] = true;
        if rng.random_bool(0.5) {
            present[rng.random_range(0..4)] = true;
        }
        let mut annotated = [true; 4];
        if i % 5 == 0 {
            annotated[(i / 5) % 4] = false;
        }
        features.push(Some(Array2::from_shape_fn((64, 64), |(_, m)| {
            let on = if present[m / 16] { 2.0 } else { 0.0 };
            on + rng.random_range(-0.5f32..0.5)
        })));
        let present = present.iter().zip(&annotated).map(|(&p, &a)| p && a).collect();
        items.push(Item {
            path: format!("clip{i}.wav").into(),
            group: format!("g{i}"),
            target: Target::Tags { present, annotated: annotated.to_vec() },
        });
        match i {
            0..24 => fold.train.push(i),
            24..32 => fold.validation.push(i),
            _ => fold.test.push(i),
        }
    }
    let families = vec![
        LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
        LabelGroup { name: "brass".into(), members: vec!["trumpet".into(), "tuba".into()] },
    ];
    let classes = TAGS.iter().map(|t| t.to_string()).collect();
    (Dataset::new("test", TargetKind::MultiLabel, classes, Some(families), items).unwrap(), features, fold)
}

fn net(method: Method) -> TaggerConfig {
    TaggerConfig {
        method,
        frames: 32,
        mels: 64,
        parents: vec![0, 0, 1, 1],
        coarse: 2,
        width: 4,
        blocks: 2,
        embedding: 16,
        dropout: 0.1,
    }
}

fn train(epochs: usize) -> TagTrainConfig {
    TagTrainConfig {
        lambda: 0.8,
        learning_rate: 3e-3,
        weight_decay: 1e-4,
        warmup: 1,
        epochs,
        patience: epochs,
        batch_size: 8,
        train_hop: 16,
        eval_hop: 32,
        augment_db: 0.0,
        mixup: 0.0,
        extra_hop: None,
        seed: 2,
    }
}

#[test]
fn resatt_learns_the_tags_and_its_export_has_three_matching_outputs() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (dataset, features, fold) = data();
    let hierarchy = Hierarchy::of(&dataset).unwrap();
    let clips = TagClips { dataset: &dataset, features: &features, hierarchy: &hierarchy, extra_from: None };
    let config = net(Method::Resatt);
    let (model, outcome) = train_fold(&config, &train(30), &clips, &fold, FoldId::Cv(0), false, None).unwrap();
    assert!(outcome.fine.roc_auc > 0.9, "fine ROC-AUC {:?}", outcome.fine);
    assert!(outcome.coarse.roc_auc > 0.8, "coarse ROC-AUC {:?}", outcome.coarse);
    assert_eq!(outcome.fine_thresholds.len(), 4);
    assert_eq!(outcome.coarse_thresholds.len(), 2);

    let dir = tempfile::tempdir().unwrap();
    let info = ExportInfo {
        name: "instruments".into(),
        description: "test".into(),
        classes: hierarchy.fine.clone(),
        hop_frames: 32,
        thresholds: Some(outcome.fine_thresholds.clone()),
        provenance: earmark_core::manifest::Provenance {
            command: "test".into(),
            data: "synthetic".into(),
            license: None,
        },
        metrics: Default::default(),
    };
    write_model(dir.path(), &model, &config, &hierarchy, outcome.standardization, Task::Instruments, &info).unwrap();
    // Classes that are not the tagger's fine tags are refused, not written into a manifest that lies.
    let wrong = ExportInfo { classes: hierarchy.fine.iter().rev().cloned().collect(), ..info.clone() };
    let refused =
        write_model(dir.path(), &model, &config, &hierarchy, outcome.standardization, Task::Instruments, &wrong);
    assert!(refused.unwrap_err().to_string().contains("fine tags"));
    let manifest = Manifest::load(dir.path()).unwrap();
    assert_eq!(manifest.task, Task::Instruments);
    assert!(manifest.labels.multi_label);
    assert_eq!(manifest.labels.hierarchy.as_ref().unwrap()[1].members, vec!["trumpet", "tuba"]);
    assert_eq!(
        manifest.graphs[0].outputs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["fine", "coarse", "attention"]
    );

    let runtime = Runtime::global().unwrap_or_else(|e| panic!("{e}"));
    let mut session = OnnxSession::load(runtime, &dir.path().join(MODEL_FILE), SessionOptions::default()).unwrap();
    let raw = features[fold.test[0]].as_ref().unwrap().slice(ndarray::s![0..32, ..]).to_owned();
    let input = ArrayD::from_shape_vec(IxDyn(&[1, 1, 32, 64]), raw.iter().copied().collect()).unwrap();
    let outputs = session.run(&[input.view()]).unwrap();
    let mut set = WindowSet::new(32, 64);
    set.push_clip(0, &raw, 32, outcome.standardization);
    let burn = model.forward(set.batch(&[0], &burn::tensor::Device::default()));
    let expected = [
        earmark_training::onnx::emit::values(burn.fine),
        earmark_training::onnx::emit::values(burn.coarse),
        earmark_training::onnx::emit::values(burn.attention.unwrap()),
    ];
    for (got, want) in outputs.iter().zip(&expected) {
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(want) {
            assert!((a - b).abs() < 1e-4, "onnx {got:?} vs burn {want:?}");
        }
    }

    // The engine runs it like the plugin does: family scores from the model's coarse output and the attention
    // map reach the readout and the view (which tags lit a family is checked in the view's own tests).
    use earmark_core::engine::view::ViewBuilder;
    use earmark_core::engine::{Engine, EngineSettings, offline::analyze};
    let models = tempfile::tempdir().unwrap();
    write_model(
        &models.path().join("instruments"),
        &model,
        &config,
        &hierarchy,
        outcome.standardization,
        Task::Instruments,
        &info,
    )
    .unwrap();
    let settings = EngineSettings { update_interval: 0.25, smoothing: 0.0, ..EngineSettings::default() };
    let mut engine = Engine::load(models.path(), 48_000, &settings);
    assert!(engine.status_mut().messages.is_empty(), "{:?}", engine.status_mut().messages);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let noise: Vec<f32> = (0..48_000).map(|_| rng.random_range(-0.3f32..0.3)).collect();
    let timeline = analyze(&mut engine, &noise, |_| {});
    let last = &timeline.last().expect("an update").readout;
    assert_eq!((last.families.len(), last.attention.len()), (2, 8));
    let view =
        ViewBuilder::new(5.0).update(&engine.snapshot()).instruments.live().cloned().expect("an instruments view");
    assert_eq!(view.families.len(), 2);
    assert!(view.families.iter().all(|f| (0.0..=1.0).contains(&f.presence)));
    // Family presence is the model's own coarse output, not a grouped max of the tags.
    for (name, presence) in ["strings", "brass"].iter().zip(&last.families) {
        assert_eq!(view.families.iter().find(|f| f.name == *name).unwrap().presence, *presence);
    }
}

/// Mixup changes what the tagger trains on (its losses differ from a plain run's from the first epoch) and the
/// tagger still learns the tags from windows mixed as sounds with soft targets and partly unannotated rows.
#[test]
fn a_tagger_trained_with_mixup_still_learns_the_tags() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (dataset, features, fold) = data();
    let hierarchy = Hierarchy::of(&dataset).unwrap();
    let clips = TagClips { dataset: &dataset, features: &features, hierarchy: &hierarchy, extra_from: None };
    let config = net(Method::Resatt);
    let mixed = TagTrainConfig { mixup: 0.4, ..train(30) };
    let (_, outcome) = train_fold(&config, &mixed, &clips, &fold, FoldId::Cv(0), false, None).unwrap();
    assert!(outcome.fine.roc_auc > 0.9, "fine ROC-AUC {:?}", outcome.fine);
    let (_, plain) = train_fold(&config, &train(2), &clips, &fold, FoldId::Cv(0), false, None).unwrap();
    assert_ne!(outcome.losses[..2], plain.losses[..], "mixup left training unchanged");
    // A negative α is refused before any training, not a panic mid-epoch.
    let negative = TagTrainConfig { mixup: -0.5, ..train(2) };
    let refused = train_fold(&config, &negative, &clips, &fold, FoldId::Cv(0), false, None).expect_err("refused");
    assert!(refused.to_string().contains("mixup α"), "{refused}");
}

#[test]
fn the_study_table_compares_methods_over_lambdas_and_resumes() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (dataset, features, fold) = data();
    let hierarchy = Hierarchy::of(&dataset).unwrap();
    let folds = vec![fold];
    let run = tempfile::tempdir().unwrap();
    let methods = [Method::Flat, Method::Gmp, Method::Resatt];
    let lambdas = [0.8, 0.9];
    let first = {
        let clips = TagClips { dataset: &dataset, features: &features, hierarchy: &hierarchy, extra_from: None };
        // The same clips stand in for a held-out set: every fold model is scored on it too (Table 1b).
        let held_out =
            Some(TagClips { dataset: &dataset, features: &features, hierarchy: &hierarchy, extra_from: None });
        let mut runner = TagRunner::open_in(TagSets { clips, held_out }, &folds, 1, run.path(), false).unwrap();
        runner.show_progress = false;
        table(&mut runner, &net(Method::Flat), &train(2), &methods, &lambdas).unwrap()
    };
    assert_eq!(first.1.len(), 3);
    assert!(first.0.contains("ResAtt") && first.0.contains("GMP") && first.0.contains("baseline"));
    assert!(first.0.contains("Table 1b"), "the held-out table: {}", first.0);
    assert!(first.1.iter().all(|row| row.record.folds.values().all(|o| o.held_out.is_some())));
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.path().join("tag-study.json")).unwrap()).unwrap();
    assert_eq!(stored.as_object().unwrap().len(), 1 + 2 + 2, "flat once, each joint method per λ");
    let before = std::fs::read(run.path().join("tag-study.json")).unwrap();
    let clips = TagClips { dataset: &dataset, features: &features, hierarchy: &hierarchy, extra_from: None };
    let mut runner = TagRunner::open_in(TagSets { clips, held_out: None }, &folds, 1, run.path(), true).unwrap();
    runner.show_progress = false;
    let again = table(&mut runner, &net(Method::Flat), &train(2), &methods, &lambdas).unwrap();
    assert_eq!(again.0, first.0);
    assert_eq!(std::fs::read(run.path().join("tag-study.json")).unwrap(), before, "resuming retrained something");
}

/// A fold stopped part-way continues on `--resume` from the checkpoint it left in the run folder, and that
/// checkpoint is removed once the fold is stored; without `--resume` the fold starts over. The stopped session here
/// trained at another learning rate, so its epochs are told apart from a fresh start's in the loss history
/// (that a resumed fit equals an uninterrupted one is `train::fit`'s own test).
#[test]
fn a_fold_stopped_part_way_resumes_from_its_checkpoint() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (dataset, features, fold) = data();
    let hierarchy = Hierarchy::of(&dataset).unwrap();
    let clips = || TagClips { dataset: &dataset, features: &features, hierarchy: &hierarchy, extra_from: None };
    let folds = vec![fold.clone()];
    let config = net(Method::Flat);
    let full = train(6);
    let fresh = train_fold(&config, &full, &clips(), &fold, FoldId::Cv(0), false, None).unwrap().1;
    for resume in [true, false] {
        let run = tempfile::tempdir().unwrap();
        let runner = TagRunner::open_in(TagSets { clips: clips(), held_out: None }, &folds, 1, run.path(), resume);
        let mut runner = runner.unwrap();
        runner.show_progress = false;
        let checkpoint = runner.checkpoint(&config, &full, FoldId::Cv(0));
        assert!(checkpoint.path.starts_with(run.path()), "{:?}", checkpoint.path);
        // The stopped session: 3 epochs, checkpointed where the runner looks for fold 1's.
        let stopped = TagTrainConfig { epochs: 3, learning_rate: 3e-2, ..full.clone() };
        let partial = train_fold(&config, &stopped, &clips(), &fold, FoldId::Cv(0), false, Some(&checkpoint));
        let partial = partial.unwrap().1;
        assert!(checkpoint.path.is_file(), "no checkpoint written");
        assert_ne!(partial.losses[..3], fresh.losses[..3]);
        let record = runner.run("flat", &config, &full).unwrap();
        let losses = &record.folds[&0].losses;
        assert_eq!(losses.len(), 6);
        if resume {
            assert_eq!(losses[..3], partial.losses[..], "the resumed fold did not continue the stopped one");
        } else {
            assert_eq!(losses, &fresh.losses, "without --resume the fold starts over");
        }
        assert!(!checkpoint.path.exists(), "the stored fold's checkpoint is left behind");
    }
}

/// The fold store keys folds and checkpoints by the configurations alone: resuming a study on other clips (here
/// one item is another file) must be refused, not served the other clips' models.
#[test]
fn a_study_resumed_on_other_clips_is_refused() {
    let (dataset, features, fold) = data();
    let hierarchy = Hierarchy::of(&dataset).unwrap();
    let mut other = dataset.clone();
    other.items[0].path = other.items[0].path.with_extension("other.wav");
    let folds = vec![fold];
    let run = tempfile::tempdir().unwrap();
    let open = |d: &Dataset| {
        let clips = TagClips { dataset: d, features: &features, hierarchy: &hierarchy, extra_from: None };
        TagRunner::open_in(TagSets { clips, held_out: None }, &folds, 1, run.path(), true).map(|_| ())
    };
    open(&dataset).unwrap();
    open(&dataset).unwrap();
    let err = open(&other).unwrap_err().to_string();
    assert!(err.contains("made from other data") && err.contains("--run"), "{err}");
}
