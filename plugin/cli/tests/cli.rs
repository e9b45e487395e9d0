//! The offline `earmark` binary, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use earmark_core::frontend::{BatchFrontend, FrontendConfig};
use ndarray::Array2;
use ndarray_npy::read_npy;

fn earmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_earmark"))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The hand-built test models folder (band-energy), not shipped: tests that follow one known readout use it.
fn test_models() -> PathBuf {
    workspace().join("plugin/core/tests/fixtures/models")
}

/// `earmark features FILE <--config|--model> SOURCE --out OUT`.
fn run_features(file: &Path, source_flag: &str, source: &Path, out: &Path) -> Output {
    earmark().arg("features").arg(file).arg(source_flag).arg(source).arg("--out").arg(out).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A deterministic chirp plus harmonics, `seconds` long.
fn test_signal(rate: u32, seconds: f32) -> Vec<f32> {
    (0..(rate as f32 * seconds) as usize)
        .map(|n| {
            let t = n as f32 / rate as f32;
            0.3 * (std::f32::consts::TAU * (200.0 + 900.0 * t) * t).sin()
                + 0.2 * (std::f32::consts::TAU * 440.0 * t).sin()
        })
        .collect()
}

fn write_wav_f32(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
    let spec =
        hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    samples.iter().for_each(|&s| writer.write_sample(s).unwrap());
    writer.finalize().unwrap();
}

#[test]
fn demo_readout_follows_the_register_of_each_section() {
    let output = earmark().args(["demo", "--json", "--models"]).arg(test_models()).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let readouts: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let band = readouts.as_array().unwrap().iter().find(|r| r["name"] == "band-energy").expect("test model ran");
    let tops: Vec<&str> = band["sections"].as_array().unwrap().iter().map(|s| s["top"].as_str().unwrap()).collect();
    assert_eq!(tops, ["low", "mid", "high"]);
    for section in band["sections"].as_array().unwrap() {
        let best = section["scores"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).fold(0.0, f64::max);
        assert!(best > 0.8, "a clear register gets a clear readout: {section}");
    }
    assert!(band["segments"].as_array().unwrap().len() > 30);
}

#[test]
fn demo_text_output_and_saved_clip() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("demo.wav");
    let output = earmark().args(["demo", "--save-wav"]).arg(&wav).arg("--models").arg(test_models()).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("model `band-energy`") && text.contains("provider: CPU"), "{text}");
    let reader = hound::WavReader::open(&wav).unwrap();
    assert_eq!(reader.spec().sample_rate, 44_100);
    assert_eq!(reader.len(), 9 * 44_100);
}

#[test]
fn features_writes_exactly_what_the_batch_frontend_computes() {
    let dir = tempfile::tempdir().unwrap();
    let config = FrontendConfig::default(); // 22.05 kHz: no resampling, so the comparison is exact
    let config_path = dir.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_string(&config).unwrap()).unwrap();
    let signal = test_signal(22_050, 1.5);
    let wav = dir.path().join("in.wav");
    write_wav_f32(&wav, 22_050, 1, &signal);
    let out = dir.path().join("out.npy");
    let output = run_features(&wav, "--config", &config_path, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    let written: Array2<f32> = read_npy(&out).unwrap();
    let expected = BatchFrontend::new(&config).unwrap().process(&signal);
    assert_eq!(written, expected);
}

#[test]
fn features_resamples_and_downmixes_to_a_models_frontend() {
    let dir = tempfile::tempdir().unwrap();
    let mono = test_signal(44_100, 2.0);
    let stereo: Vec<f32> = mono.iter().flat_map(|&s| [s, s]).collect();
    let wav = dir.path().join("stereo.wav");
    write_wav_f32(&wav, 44_100, 2, &stereo);
    let out = dir.path().join("out.npy");
    let model = workspace().join("plugin/core/tests/fixtures/models/band-energy");
    let output = run_features(&wav, "--model", &model, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    let written: Array2<f32> = read_npy(&out).unwrap();
    // 2 s at 16 kHz, hop 256, centred: 1 + 32000 / 256 frames of 64 mels.
    assert_eq!(written.dim(), (1 + 32_000 / 256, 64));
    assert!(stderr(&output).contains("2 ch at 44100 Hz"), "{}", stderr(&output));
}

#[test]
fn corrupt_audio_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.wav");
    std::fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    let out = dir.path().join("out.npy");
    let model = workspace().join("plugin/core/tests/fixtures/models/band-energy");
    let output = run_features(&bad, "--model", &model, &out);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("broken.wav") && message.starts_with("error:"), "{message}");
    assert!(!out.exists() && !out.with_extension("npy.partial").exists());
}

#[test]
fn invalid_config_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let bad = FrontendConfig { power: 3.0, ..FrontendConfig::default() };
    std::fs::write(&config, serde_json::to_string(&bad).unwrap()).unwrap();
    let wav = dir.path().join("in.wav");
    write_wav_f32(&wav, 22_050, 1, &test_signal(22_050, 0.2));
    let output = run_features(&wav, "--config", &config, &dir.path().join("o.npy"));
    assert!(!output.status.success());
    assert!(stderr(&output).contains("power = 3"), "{}", stderr(&output));
}

#[test]
fn without_onnx_runtime_the_demo_says_where_it_looked() {
    // A copy of the binary outside target/ finds no xtask cache and nothing beside it.
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("earmark");
    std::fs::copy(env!("CARGO_BIN_EXE_earmark"), &exe).unwrap();
    let output = Command::new(&exe)
        .args(["demo", "--models"])
        .arg(workspace().join("models"))
        .env_remove("EARMARK_ORT_LIB")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("was not found") && message.contains("cargo xtask ort"), "{message}");
    assert!(message.contains(&dir.path().join("libonnxruntime.so.1.31.1").display().to_string()), "{message}");
}

#[test]
fn a_broken_model_folder_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("broken");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(model.join("manifest.json"), "{\"format_version\": 1}").unwrap();
    let output = earmark().args(["demo", "--models"]).arg(dir.path()).output().unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("broken") && message.contains("not a valid manifest"), "{message}");
}

/// 1 s of a low tone then 1 s of a high one.
fn low_then_high(rate: u32) -> Vec<f32> {
    (0..2 * rate as usize)
        .map(|n| {
            let f = if n < rate as usize { 110.0 } else { 3500.0 };
            0.5 * (std::f32::consts::TAU * f * n as f32 / rate as f32).sin()
        })
        .collect()
}

#[test]
fn analyze_writes_a_timeline_that_follows_the_audio() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tones.wav");
    write_wav_f32(&wav, 48_000, 1, &low_then_high(48_000));
    let out = dir.path().join("timeline.json");
    let output = earmark()
        .args(["analyze", "--smoothing", "0", "--models"])
        .arg(test_models())
        .arg("--out")
        .arg(&out)
        .arg(&wav)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let reports: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let report = &reports[0];
    assert_eq!(report["sample_rate"], 48_000);
    assert!((report["seconds"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    let model = report["models"].as_array().unwrap().iter().find(|m| m["name"] == "band-energy").unwrap();
    let timeline = model["timeline"].as_array().unwrap();
    assert!(timeline.len() >= 3, "{} updates", timeline.len());
    let top = |u: &serde_json::Value| {
        let raw: Vec<f64> = u["raw"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        raw.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0
    };
    assert_eq!(top(&timeline[0]), 0, "low first");
    assert_eq!(top(timeline.last().unwrap()), 2, "high last");
    let ends: Vec<f64> = timeline.iter().map(|u| u["end"].as_f64().unwrap()).collect();
    assert!(ends.windows(2).all(|w| w[1] > w[0]), "{ends:?}");
}

/// The band-energy model's timeline and mean from `earmark analyze` of `wav` with `extra` options.
fn band_energy_analysis(wav: &Path, extra: &[&str]) -> serde_json::Value {
    let output = earmark()
        .args(["analyze", "--smoothing", "0", "--models"])
        .arg(test_models())
        .args(extra)
        .arg(wav)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    reports[0]["models"].as_array().unwrap().iter().find(|m| m["name"] == "band-energy").unwrap().clone()
}

#[test]
fn analyze_runs_each_model_at_its_own_hop_unless_given_an_interval_and_means_its_segments() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tones.wav");
    write_wav_f32(&wav, 48_000, 1, &low_then_high(48_000));
    let gaps = |model: &serde_json::Value| -> Vec<f64> {
        let ends: Vec<f64> = model["timeline"].as_array().unwrap().iter().map(|u| u["end"].as_f64().unwrap()).collect();
        ends.windows(2).map(|w| w[1] - w[0]).collect()
    };
    // The band-energy manifest: 16 frames of 16 ms between segments (0.256 s).
    let own = band_energy_analysis(&wav, &[]);
    assert!(gaps(&own).iter().all(|g| (g - 0.256).abs() < 1e-6), "{:?}", gaps(&own));
    // --update-interval 0.5: 31 frames (0.496 s) between runs.
    let paced = band_energy_analysis(&wav, &["--update-interval", "0.5"]);
    assert!(gaps(&paced).iter().all(|g| (g - 0.496).abs() < 1e-6), "{:?}", gaps(&paced));
    // The mean is each class's raw score averaged over the timeline (half low tone, half high: both bands show).
    let timeline = own["timeline"].as_array().unwrap();
    let mean: Vec<f64> = own["mean"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(mean.len(), own["classes"].as_array().unwrap().len());
    for (c, &m) in mean.iter().enumerate() {
        let expected = timeline.iter().map(|u| u["raw"][c].as_f64().unwrap()).sum::<f64>() / timeline.len() as f64;
        assert!((m - expected).abs() < 1e-5, "class {c}: {m} vs {expected}");
    }
    assert!(mean[0] > 0.2 && mean[2] > 0.2, "{mean:?}");
}

#[test]
fn analyze_csv_has_a_row_per_update_and_class() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tones.wav");
    write_wav_f32(&wav, 22_050, 2, &low_then_high(22_050).iter().flat_map(|&s| [s, s]).collect::<Vec<_>>());
    let output = earmark().args(["analyze", "--format", "csv"]).arg(&wav).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("file,model,task,start,end,class,score,raw"));
    let rows: Vec<&str> = lines.collect();
    // One row per class per update, for every model `earmark analyze` finds under models/ (whatever models are
    // shipped): each model's row count is a multiple of its class count, and the task column is the manifest's.
    let mut manifests = Vec::new();
    let mut stack = vec![workspace().join("models")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "manifest.json") {
                manifests.push(earmark_core::manifest::Manifest::load(&path).unwrap());
            }
        }
    }
    let mut counted = 0;
    for manifest in &manifests {
        let of_model: Vec<&&str> = rows.iter().filter(|r| r.contains(&format!("\"{}\"", manifest.name))).collect();
        let task = serde_json::to_value(manifest.task).unwrap();
        let task_column = format!(",{},", task.as_str().unwrap());
        assert!(
            of_model.iter().all(|r| r.contains(&task_column)),
            "{}: task column is not {task_column}",
            manifest.name
        );
        let classes = manifest.labels.classes.len();
        // Vocal emotion runs only while a voice is heard: two tones are no voice, so it has no row; every other
        // model has rows.
        let expect_rows = manifest.task != earmark_core::manifest::Task::VocalEmotion;
        assert!(
            of_model.is_empty() != expect_rows && of_model.len().is_multiple_of(classes),
            "{}: {} rows",
            manifest.name,
            of_model.len()
        );
        counted += of_model.len();
    }
    assert!(!manifests.is_empty() && manifests.iter().all(|m| m.task != earmark_core::manifest::Task::Test));
    assert_eq!(counted, rows.len(), "rows of unknown models: {rows:?}");
}

#[test]
fn analyze_keeps_the_good_files_when_one_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    write_wav_f32(&dir.path().join("a.wav"), 16_000, 1, &low_then_high(16_000));
    std::fs::write(dir.path().join("b.mp3"), b"ID3 this is not an mp3").unwrap();
    let out = dir.path().join("out.json");
    let output = earmark().arg("analyze").arg(dir.path()).arg("--out").arg(&out).output().unwrap();
    assert!(!output.status.success(), "a failed file is a failed run");
    let message = stderr(&output);
    assert!(message.contains("b.mp3") && message.contains("1 of 2 files"), "{message}");
    let reports: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 1);
    assert!(reports[0]["file"].as_str().unwrap().ends_with("a.wav"));
}

/// A small catalogue of the band-energy test model's kind of audio: different rates, channel counts and lengths.
fn catalogue(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (i, (rate, channels, seconds)) in
        [(48_000, 1, 2.0), (22_050, 2, 0.7), (16_000, 1, 3.1), (44_100, 2, 1.3), (48_000, 2, 2.6)]
            .into_iter()
            .enumerate()
    {
        let mono = test_signal(rate, seconds);
        let samples: Vec<f32> = mono.iter().flat_map(|&s| std::iter::repeat_n(s, channels)).collect();
        let path = dir.join(format!("track-{i}.wav"));
        write_wav_f32(&path, rate, channels as u16, &samples);
        files.push(path);
    }
    files
}

fn analyze_catalogue(dir: &Path, extra: &[&str]) -> Output {
    earmark().args(["analyze", "--models"]).arg(test_models()).arg(dir).args(extra).output().unwrap()
}

/// JSON-lines objects keyed by file.
fn lines_by_file(path: &Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .map(|object| (object["file"].as_str().unwrap().to_string(), object))
        .collect()
}

/// Several jobs write exactly what one job writes: the same document in the same order, and as JSON lines the
/// same objects (in the order they finished).
#[test]
fn analyze_in_parallel_writes_what_one_job_writes() {
    let audio = tempfile::tempdir().unwrap();
    let files = catalogue(audio.path());
    let out = tempfile::tempdir().unwrap();
    let one = out.path().join("one.json");
    let three = out.path().join("three.json");
    for (jobs, path) in [("1", &one), ("3", &three)] {
        let output = analyze_catalogue(audio.path(), &["--jobs", jobs, "--out", path.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let one_text = std::fs::read_to_string(&one).unwrap();
    assert_eq!(one_text, std::fs::read_to_string(&three).unwrap());
    let document: Vec<serde_json::Value> = serde_json::from_str(&one_text).unwrap();
    let order: Vec<&str> = document.iter().map(|r| r["file"].as_str().unwrap()).collect();
    let expected: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    assert_eq!(order, expected, "the document lists files as found, whichever job finished first");
    let lines = out.path().join("three.jsonl");
    let output = analyze_catalogue(audio.path(), &["-j", "3", "--format", "jsonl", "--out", lines.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let by_file = lines_by_file(&lines);
    assert_eq!(by_file.len(), files.len());
    for report in &document {
        assert_eq!(&by_file[report["file"].as_str().unwrap()], report);
    }
    assert!(stderr(&output).contains("5 analysed, 0 failed"), "{}", stderr(&output));
}

/// An interrupted JSON-lines run (its last line cut mid-write) is continued by `--resume`: the files written are
/// skipped, the cut one is analysed again, and the output ends as an uninterrupted run's. Without `--resume` an
/// existing output is refused and left as it was.
#[test]
fn analyze_resume_continues_an_interrupted_run() {
    let audio = tempfile::tempdir().unwrap();
    catalogue(audio.path());
    let out = tempfile::tempdir().unwrap();
    let whole = out.path().join("whole.jsonl");
    let output = analyze_catalogue(audio.path(), &["--format", "jsonl", "-j", "1", "--out", whole.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&whole).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Two files written, the third cut halfway through its line.
    let cut = out.path().join("cut.jsonl");
    let partial = format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..lines[2].len() / 2]);
    std::fs::write(&cut, &partial).unwrap();
    let refused = analyze_catalogue(audio.path(), &["--format", "jsonl", "--out", cut.to_str().unwrap()]);
    assert!(!refused.status.success() && stderr(&refused).contains("--resume"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(&cut).unwrap(), partial, "a refused run leaves the output untouched");
    let resumed = analyze_catalogue(audio.path(), &["--format", "jsonl", "--resume", "--out", cut.to_str().unwrap()]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("3 analysed, 0 failed, 2 already done"), "{}", stderr(&resumed));
    assert_eq!(lines_by_file(&cut), lines_by_file(&whole));
    let wrong = analyze_catalogue(audio.path(), &["--resume", "--out", cut.to_str().unwrap()]);
    assert!(!wrong.status.success() && stderr(&wrong).contains("--format jsonl"), "{}", stderr(&wrong));
}

/// A corrupt file in a JSON-lines run is reported and left out, the others are written, and `--resume` tries only
/// the failed file again.
#[test]
fn analyze_jsonl_reports_a_bad_file_and_resume_retries_only_it() {
    let audio = tempfile::tempdir().unwrap();
    catalogue(audio.path());
    std::fs::write(audio.path().join("track-9.flac"), b"fLaC but nothing after").unwrap();
    let out = tempfile::tempdir().unwrap().keep().join("run.jsonl");
    let first = analyze_catalogue(audio.path(), &["--format", "jsonl", "--out", out.to_str().unwrap()]);
    assert!(!first.status.success());
    assert!(stderr(&first).contains("track-9.flac") && stderr(&first).contains("5 analysed, 1 failed"));
    assert_eq!(lines_by_file(&out).len(), 5);
    let again = analyze_catalogue(audio.path(), &["--format", "jsonl", "--resume", "--out", out.to_str().unwrap()]);
    assert!(stderr(&again).contains("0 analysed, 1 failed, 5 already done"), "{}", stderr(&again));
}
