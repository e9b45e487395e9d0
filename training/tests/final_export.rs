//! The final-model export of each family through its command, in a debug build (overflow checks on): the genre
//! and instrument exporters once passed `usize::MAX / 2` as the fold number, which overflowed in the seed
//! derivation (a panic here, a silent wrap in release). Each export must write a model folder whose manifest
//! loads and whose graph runs in ONNX Runtime.

use std::path::Path;

use clap::Parser;
use earmark_core::manifest::Manifest;
use earmark_core::model::Model;
use earmark_core::runtime::{Runtime, SessionOptions};

/// Serialises the tests of this binary: burn seeds its CPU backend process-wide.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn write_wav(path: &Path, rate: u32, samples: &[f32]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec =
        hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    samples.iter().for_each(|&s| writer.write_sample((s * 30_000.0) as i16).unwrap());
    writer.finalize().unwrap();
}

/// `seconds` of a tone at `hz` with a little noise, different per `seed`.
fn tone(rate: u32, seconds: f32, hz: f32, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..(rate as f32 * seconds) as usize)
        .map(|n| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state as f32 / u32::MAX as f32 - 0.5) * 0.05;
            0.4 * (std::f32::consts::TAU * hz * n as f32 / rate as f32).sin() + noise
        })
        .collect()
}

/// The exported folder loads as a manifest and every graph runs in ONNX Runtime (the plugin's own checks).
fn assert_exported(dir: &Path) -> Manifest {
    let manifest = Manifest::load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let runtime = Runtime::global().expect("ONNX Runtime (cargo xtask ort)");
    Model::load(dir, runtime, SessionOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    assert!(dir.join("REPORT.md").is_file());
    manifest
}

#[derive(Parser)]
struct Genre {
    #[command(subcommand)]
    command: earmark_training::genre::cli::GenreCommand,
}

#[derive(Parser)]
struct Instruments {
    #[command(subcommand)]
    command: earmark_training::instruments::cli::InstrumentsCommand,
}

#[test]
fn the_genre_export_trains_a_final_model_and_writes_it() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("genres");
    for (class, hz) in [("low", 150.0), ("high", 2500.0)] {
        for i in 0..6 {
            write_wav(&data.join(class).join(format!("{class}.{i:05}.wav")), 22_050, &tone(22_050, 2.0, hz, i));
        }
    }
    let out = dir.path().join("model");
    let path = |p: &Path| p.display().to_string();
    let args = [
        "t",
        "export",
        "--data",
        &path(&data),
        "--run",
        &path(&dir.path().join("run")),
        "--cache",
        &path(&dir.path().join("cache")),
        "--folds",
        "3",
        "--arch",
        "cnn",
        "--width",
        "2",
        "--hidden",
        "4",
        "--frames",
        "40",
        "--epochs",
        "2",
        "--batch",
        "8",
        "--train-hop",
        "20",
        "--quiet",
        "--out",
        &path(&out),
    ];
    let cli = Genre::try_parse_from(args).unwrap();
    earmark_training::genre::cli::run(&cli.command).unwrap();
    let manifest = assert_exported(&out);
    assert_eq!(manifest.labels.classes, ["high", "low"]);
}

/// Twelve 3 s clips, violin (440 Hz) or flute (1.8 kHz), with their manifest and hierarchy in `dir/mixtures`.
fn instrument_clips(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("mixtures");
    let mut csv = String::from("path,group,tags\n");
    for i in 0..12u32 {
        let (tag, hz) = if i % 2 == 0 { ("violin", 440.0) } else { ("flute", 1800.0) };
        let file = format!("audio/{i:03}.wav");
        write_wav(&data.join(&file), 16_000, &tone(16_000, 3.0, hz, i));
        csv.push_str(&format!("{file},piece-{i},{tag}\n"));
    }
    std::fs::write(data.join("manifest.csv"), csv).unwrap();
    std::fs::write(
        data.join("hierarchy.json"),
        r#"[{"name": "strings", "members": ["violin"]}, {"name": "woodwinds", "members": ["flute"]}]"#,
    )
    .unwrap();
    data.join("manifest.csv")
}

/// `instruments export` of a small ResAtt tagger over `manifest` into `dir/model`, run folder `dir/run`.
fn instrument_export(dir: &Path, manifest: &Path, extra: &[&str]) -> Result<(), String> {
    let path = |p: &Path| p.display().to_string();
    let (data, run) = (path(manifest), path(&dir.join("run")));
    let (cache, out) = (path(&dir.join("cache")), path(&dir.join("model")));
    let mut args = vec!["t", "export", "--data", &data, "--run", &run, "--cache", &cache];
    let small = ["--folds", "3", "--method", "resatt", "--width", "2", "--blocks", "2", "--embedding", "8"];
    args.extend(small);
    args.extend(["--frames", "64", "--epochs", "2", "--batch", "8", "--quiet", "--out", &out]);
    args.extend(extra);
    let cli = Instruments::try_parse_from(args).unwrap();
    earmark_training::instruments::cli::run(&cli.command).map_err(|e| e.to_string())
}

#[test]
fn the_instrument_export_trains_a_final_model_and_writes_it() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let manifest = instrument_clips(dir.path());
    // Another set with the same tags (here the same clips): every fold's model and the final one score it.
    let cross = manifest.display().to_string();
    instrument_export(dir.path(), &manifest, &["--cross-data", &cross]).unwrap();
    let manifest = assert_exported(&dir.path().join("model"));
    assert_eq!(manifest.labels.classes.len(), 2);
    assert!(manifest.metrics.contains_key("heldout_fine_roc_auc"), "{:?}", manifest.metrics.keys());
    let study: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/tag-study.json")).unwrap()).unwrap();
    let folds = study.as_object().unwrap().values().next().unwrap()["folds"].as_object().unwrap().clone();
    assert_eq!(folds.len(), 3);
    assert!(folds.values().all(|f| !f["held_out"].is_null()), "every fold's model scored on the other set");
}

#[test]
fn a_negative_mixup_is_refused_on_the_command_line() {
    let args = ["t", "export", "--data", "x.csv", "--out", "m", "--mixup=-0.5"];
    let error = Instruments::try_parse_from(args).err().expect("refused").to_string();
    assert!(error.contains("mixup α must be 0 (off) or positive"), "{error}");
    assert!(Instruments::try_parse_from(["t", "export", "--data", "x.csv", "--out", "m", "--mixup", "0.2"]).is_ok());
}

/// Holds the claim another process would hold on a fit of the run (an OS lock on its own open file).
fn hold(path: &Path) -> std::fs::File {
    let file = std::fs::File::create(path).unwrap();
    file.lock().unwrap();
    file
}

/// Two processes resuming one export share it: a fold the other holds is left to it (this one trains the
/// final model meanwhile and stops with an error naming the fold), the final model the other holds likewise,
/// and a run once every claim is free writes the model and report.
#[test]
fn a_resumed_instrument_export_leaves_the_fits_another_process_holds() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let manifest = instrument_clips(dir.path());
    // A first run leaves the final model's checkpoint (kept), whose name gives the configuration's hash.
    instrument_export(dir.path(), &manifest, &["--resume"]).unwrap();
    let checkpoints = dir.path().join("run/checkpoints");
    let hash = std::fs::read_dir(&checkpoints)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().unwrap().strip_suffix("-final.ckpt").map(String::from))
        .next()
        .expect("the final model's checkpoint");
    // Fold 2 is taken off the store, as if another process were still training it.
    let store_path = dir.path().join("run/tag-study.json");
    let complete = std::fs::read_to_string(&store_path).unwrap();
    let mut store: serde_json::Value = serde_json::from_str(&complete).unwrap();
    store.as_object_mut().unwrap().values_mut().next().unwrap()["folds"].as_object_mut().unwrap().remove("1");
    std::fs::write(&store_path, serde_json::to_string(&store).unwrap()).unwrap();
    let model = dir.path().join("model");
    std::fs::remove_dir_all(&model).unwrap();
    let fold = hold(&checkpoints.join(format!("{hash}-fold2.claim")));
    let error = instrument_export(dir.path(), &manifest, &["--resume"]).unwrap_err();
    assert!(error.contains("another process is training fold(s) 2"), "{error}");
    assert!(!model.exists(), "no report before every fold is in");
    // The other process stores its fold and lets go, but holds the final model: this one leaves it too.
    std::fs::write(&store_path, complete).unwrap();
    drop(fold);
    let final_model = hold(&checkpoints.join(format!("{hash}-final.claim")));
    instrument_export(dir.path(), &manifest, &["--resume"]).expect_err("the final model is held");
    drop(final_model);
    instrument_export(dir.path(), &manifest, &["--resume"]).unwrap();
    assert_exported(&model);
}

#[derive(Parser)]
struct Nas {
    #[command(subcommand)]
    command: earmark_training::vocal::cli::NasCommand,
}

/// `nas train --out`: cross-validated folds, then a final model trained on every speaker but the validation
/// ones (not a fold's weights), exported with the folds' mean figures in its manifest.
#[test]
fn the_vocal_export_trains_a_final_model_on_all_speakers() {
    use earmark_training::vocal::darts::genotype::{CellGenotype, Genotype};
    use earmark_training::vocal::darts::ops::Primitive as P;
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let emodb = dir.path().join("emodb");
    // Five speakers, the four classes (EmoDB letters N, W, F, T), a tone per class.
    for speaker in ["03", "08", "09", "10", "11"] {
        for (code, hz) in [("N", 150.0), ("W", 300.0), ("F", 450.0), ("T", 110.0)] {
            let seed = speaker.parse::<u32>().unwrap() * 7 + hz as u32;
            write_wav(&emodb.join(format!("{speaker}a01{code}a.wav")), 16_000, &tone(16_000, 1.5, hz, seed));
        }
    }
    let cell = CellGenotype {
        edges: vec![
            (P::SepConv3x3, 0),
            (P::SkipConnect, 1),
            (P::MaxPool3x3, 0),
            (P::SkipConnect, 2),
            (P::AvgPool3x3, 1),
            (P::SkipConnect, 3),
            (P::SkipConnect, 2),
            (P::SkipConnect, 4),
        ],
        concat: vec![2, 3, 4, 5],
    };
    let genotype = dir.path().join("genotype.json");
    std::fs::write(&genotype, serde_json::to_string(&Genotype { normal: cell.clone(), reduce: cell }).unwrap())
        .unwrap();
    let out = dir.path().join("model");
    let path = |p: &Path| p.display().to_string();
    let args = [
        "t",
        "train",
        "--emodb",
        &path(&emodb),
        "--run",
        &path(&dir.path().join("run")),
        "--cache",
        &path(&dir.path().join("cache")),
        "--genotype",
        &path(&genotype),
        "--layers",
        "3",
        "--channels",
        "2",
        "--epochs",
        "1",
        "--frame-epochs",
        "1",
        "--fusion-epochs",
        "2",
        "--hidden",
        "4",
        "--rnn-layers",
        "1",
        "--cells",
        "gru",
        "--run-folds",
        "1",
        "--quiet",
        "--out",
        &path(&out),
    ];
    let cli = Nas::try_parse_from(args).unwrap();
    earmark_training::vocal::cli::run(&cli.command).unwrap();
    let manifest = assert_exported(&out);
    assert!(manifest.metrics.contains_key("cv_ua_fusion"), "{:?}", manifest.metrics);
    assert_eq!(manifest.labels.classes, ["neutral", "anger", "happiness", "sadness"]);

    // The folds went to the run's fold store. A run made before the store kept them in `folds-<split>.json`:
    // resuming such a run takes its folds over instead of training them again (the marked outcome survives).
    let store: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/folds.json")).unwrap()).unwrap();
    let (key, record) = store.as_object().unwrap().iter().next().unwrap();
    assert_eq!(record["folds"].as_object().unwrap().len(), 1, "one fold ran");
    let (run, config): (serde_json::Value, serde_json::Value) = serde_json::from_str(key).unwrap();
    let mut outcome = record["folds"]["0"].clone();
    outcome["sizes"] = serde_json::json!([7, 7, 7]); // no training produces these sizes here
    let legacy = serde_json::json!({
        "split": run["split"], "preparation": run["preparation"], "augment": run["augment"],
        "config": config, "genotype": run["genotype"], "outcomes": [outcome],
    });
    let old_run = dir.path().join("old-run");
    std::fs::create_dir_all(&old_run).unwrap();
    std::fs::write(old_run.join("folds-cv.json"), legacy.to_string()).unwrap();
    let old = path(&old_run);
    let mut resumed: Vec<&str> = args[..args.len() - 2].to_vec(); // without --out
    let run_at = resumed.iter().position(|a| *a == "--run").unwrap() + 1;
    resumed[run_at] = &old;
    resumed.push("--resume");
    earmark_training::vocal::cli::run(&Nas::try_parse_from(resumed).unwrap().command).unwrap();
    let store: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(old_run.join("folds.json")).unwrap()).unwrap();
    let record = store.as_object().unwrap().values().next().unwrap();
    assert_eq!(record["folds"]["0"]["sizes"], serde_json::json!([7, 7, 7]), "the legacy fold was taken over");
}
