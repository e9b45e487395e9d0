//! The emotion recipe on a few generated clips: pre-training lowers the loss, an interrupted and resumed run ends
//! exactly where an uninterrupted one does, and cross-validation + export produce a model folder the plugin's
//! engine loads, whose ONNX graphs compute what burn computes. Needs the SoundFont (`cargo xtask soundfont`) and
//! ONNX Runtime (`cargo xtask ort`); `cargo xtask test` provisions both.

use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Distribution, Tensor};
use earmark_core::manifest::GraphRole;
use earmark_core::model::Model;
use earmark_core::runtime::{Runtime, SessionOptions};
use earmark_training::data::manifest_csv;
use earmark_training::emotion::model::AutoencoderConfig;
use earmark_training::emotion::pipeline::{
    EvaluateConfig, ExcerptSet, evaluate_step, export_step, load_encoder, load_excerpts, pretrain_step, split_segments,
};
use earmark_training::emotion::pretrain::{PretrainConfig, pretrain};
use earmark_training::emotion::segments::{SegmentPlan, SpecAugment};
use earmark_training::emotion::sequence::SequenceTrainConfig;
use earmark_training::onnx::emit::values;
use earmark_training::synth::ClipKind;
use earmark_training::synth::cli::SynthArgs;
use earmark_training::train::FitState;
use earmark_training::train::checkpoint::Checkpoint;
use ndarray::{ArrayD, IxDyn};

/// Renders `count` emotion clips of `seconds` into `dir` with the project's generator.
fn render_clips(dir: &Path, count: u64, seconds: f32, seed: u64) {
    let args = SynthArgs {
        kind: ClipKind::Emotion,
        count,
        variants: 1,
        seed,
        seconds,
        sample_rate: 22_050,
        out: dir.to_path_buf(),
        soundfont: None,
        samples: None,
        unannotated_fraction: 0.0,
        voices: None,
        drum_kits: None,
        holdout: earmark_training::synth::HoldoutPart::All,
        holdout_percent: 20,
        sung_fraction: 0.0,
        float: false,
        overwrite: false,
        jobs: Some(1),
    };
    earmark_training::synth::cli::run(&args)
        .unwrap_or_else(|e| panic!("rendering test clips failed ({e:#}); run `cargo xtask soundfont` first"));
}

/// burn seeds its CPU backend process-wide: two trainings running at once in one test binary would interleave
/// their random draws, and neither would be reproducible. The tests of this file take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn small_config(epochs: usize) -> PretrainConfig {
    PretrainConfig {
        network: AutoencoderConfig { frames: 216, mels: 128, filters: vec![16, 8, 8] },
        epochs,
        batch_size: 2,
        learning_rate: 3e-3,
        activity_l2: 1e-4,
        patience: 10,
        mask: SpecAugment::default(),
        seed: 7,
    }
}

/// Every weight of an autoencoder record, in module order.
fn weights(config: &PretrainConfig, record: &[u8]) -> Vec<f32> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(record.to_vec())).unwrap();
    let model = config.network.init(&Device::default()).load_record(record);
    let convs = model.encoder.convs.iter().chain(&model.decoder.convs).chain(std::iter::once(&model.decoder.output));
    convs.flat_map(|c| [values(c.weight.val()), values(c.bias.as_ref().unwrap().val())]).flatten().collect()
}

fn excerpts(dir: &Path, cache: &Path) -> ExcerptSet {
    let dataset = manifest_csv::load(&dir.join("manifest.csv")).unwrap();
    load_excerpts(&dataset, &SegmentPlan::new(3.0), cache, false).unwrap()
}

#[test]
fn pretraining_lowers_the_loss_and_resuming_matches_an_uninterrupted_run() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let clips = dir.path().join("clips");
    render_clips(&clips, 4, 9.5, 3);
    let set = excerpts(&clips, &dir.path().join("cache"));
    assert_eq!(set.excerpts.len(), 4);
    assert!(set.excerpts.iter().all(|e| e.count == 3), "9.5 s clips give three 3 s segments each");
    let (train, validation) = split_segments(&set, 0.25, 1).unwrap();
    assert_eq!(train.len() + validation.len(), 12);

    // Two epochs: the loss falls.
    let config = small_config(2);
    let (_, state) = pretrain(&config, &train, &validation, None, false, None, false).unwrap();
    let [first, second] = [&state.history[0], &state.history[1]];
    assert!(second.train_loss < first.train_loss, "training loss did not fall: {:?}", state.history);
    assert!(state.history.iter().all(|e| e.validation_loss.is_finite()), "{:?}", state.history);

    // Three epochs straight vs two, "crash", resume for the third.
    let config = small_config(3);
    let straight = dir.path().join("straight.ckpt");
    let resumed = dir.path().join("resumed.ckpt");
    pretrain(&config, &train, &validation, Some(&straight), false, None, false).unwrap();
    let (_, partial) = pretrain(&config, &train, &validation, Some(&resumed), false, Some(2), false).unwrap();
    assert_eq!(partial.epochs_done, 2);
    pretrain(&config, &train, &validation, Some(&resumed), true, None, false).unwrap();
    let a: Checkpoint<FitState> = Checkpoint::load(&straight).unwrap();
    let b: Checkpoint<FitState> = Checkpoint::load(&resumed).unwrap();
    assert_eq!(a.state.epochs_done, 3);
    assert_eq!(a.state.history.len(), b.state.history.len());
    for (x, y) in a.state.history.iter().zip(&b.state.history) {
        assert_eq!(x.loss, y.loss, "epoch {} train loss", x.epoch);
        assert_eq!(x.validation_loss, y.validation_loss, "epoch {} validation loss", x.epoch);
    }
    // Records carry parameter ids that differ between runs; compare the weights themselves, exactly.
    assert_eq!(weights(&config, a.blob("model").unwrap()), weights(&config, b.blob("model").unwrap()));
    assert_eq!(weights(&config, a.blob("best").unwrap()), weights(&config, b.blob("best").unwrap()));

    // A checkpoint of another configuration is refused, not silently mixed in.
    let err = pretrain(&small_config(4), &train, &validation, Some(&straight), true, None, false).unwrap_err();
    assert!(err.to_string().contains("another configuration"), "{err}");
}

#[test]
fn cross_validation_and_export_write_a_model_the_engine_loads_and_onnx_matches_burn() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (pool, labelled, cache, run, out) = (
        dir.path().join("pool"),
        dir.path().join("labelled"),
        dir.path().join("cache"),
        dir.path().join("run"),
        dir.path().join("model"),
    );
    render_clips(&pool, 3, 6.5, 11);
    render_clips(&labelled, 6, 6.5, 12);
    let plan = SegmentPlan::new(3.0);
    let pool_data = manifest_csv::load(&pool.join("manifest.csv")).unwrap();
    pretrain_step(&pool_data, &plan, &small_config(1), &run, &cache, false, None, false).unwrap();

    let data = manifest_csv::load(&labelled.join("manifest.csv")).unwrap();
    let head = SequenceTrainConfig {
        head: earmark_training::emotion::model::HeadConfig { features: 0, hidden: 4, dropout: 0.5 },
        sequence_length: 10,
        epochs: 2,
        batch_size: 4,
        learning_rate: 1e-3,
        patience: 10,
        seed: 3,
    };
    let config =
        EvaluateConfig { head: head.clone(), folds: 3, baseline: true, baseline_epochs: 1, baseline_folds: Some(2) };
    let cv = evaluate_step(&data, &config, &run, &cache, false, false).unwrap();
    assert_eq!((cv.autoencoder.len(), cv.baseline.len()), (3, 2));
    let tested: usize = cv.autoencoder.iter().map(|f| f.valence.counts.iter().flatten().sum::<usize>()).sum();
    assert_eq!(tested, 6, "every excerpt is tested exactly once");

    export_step(&data, &head, &run, &out, &cache, "test", "six generated clips", false).unwrap();
    assert!(out.join("REPORT.md").is_file());
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("joint CNN + BiLSTM baseline"), "{report}");

    // The engine's loader checks the manifest against the graphs; then the graphs against burn.
    let runtime = Runtime::global().unwrap_or_else(|e| panic!("{e}"));
    let model = Model::load(&out, runtime, SessionOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.manifest().segment.sequence_length, Some(2), "6.5 s clips hold two 3 s segments");
    let (encoder, _) = load_encoder(&run).unwrap();
    let device = Device::default();
    let x: Tensor<4> = Tensor::random([3, 1, 216, 128], Distribution::Uniform(0.0, 2.0), &device);
    let expected = values(encoder.forward(x.clone()));
    let input = ArrayD::from_shape_vec(IxDyn(&[3, 1, 216, 128]), values(x)).unwrap();
    let got = model.run(GraphRole::Encoder, &[input.view()]).unwrap();
    let diff = got[0].iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(diff <= 1e-4, "encoder: burn vs ONNX Runtime max abs diff {diff}");
    let embeddings = got[0].clone().into_shape_with_order(IxDyn(&[1, 3, encoder.embedding_len()])).unwrap();
    let p = model.run(GraphRole::Head, &[embeddings.view()]).unwrap();
    assert_eq!(p[0].shape(), &[1, 2]);
    assert!(p[0].iter().all(|v| (0.0..=1.0).contains(v)), "{:?}", p[0]);
}
