//! Wrong or missing models give typed errors that name the file and the mismatch.

use std::path::{Path, PathBuf};

use earmark_core::manifest::{Manifest, ManifestError};
use earmark_core::model::{Model, ModelError};
use earmark_core::runtime::{Runtime, RuntimeError, SessionOptions};

fn source_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/band-energy")
}

/// A copy of the test model whose manifest text is passed through `edit`.
fn edited_copy(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["manifest.json", "model.onnx"] {
        std::fs::copy(source_model().join(file), dir.path().join(file)).unwrap();
    }
    let manifest = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    std::fs::write(dir.path().join("manifest.json"), edit(manifest)).unwrap();
    dir
}

fn load(dir: &Path) -> Result<Model, ModelError> {
    let runtime = Runtime::global().unwrap_or_else(|e| panic!("{e}"));
    Model::load(dir, runtime, SessionOptions::default())
}

fn error_of(dir: &Path) -> ModelError {
    load(dir).expect_err("this model must not load")
}

#[test]
fn the_unedited_copy_loads() {
    let dir = edited_copy(|m| m);
    load(dir.path()).unwrap();
}

#[test]
fn missing_manifest() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(error_of(dir.path()), ModelError::Manifest(ManifestError::Missing { .. })));
}

#[test]
fn unreadable_json_names_line_and_column() {
    let dir = edited_copy(|m| m.replacen('{', "{ oops", 1));
    let err = error_of(dir.path());
    assert!(matches!(err, ModelError::Manifest(ManifestError::InvalidJson { .. })), "{err:?}");
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn unknown_format_version_asks_for_an_update() {
    let dir = edited_copy(|m| m.replace("\"format_version\": 1", "\"format_version\": 7"));
    let err = error_of(dir.path());
    assert!(matches!(err, ModelError::Manifest(ManifestError::UnsupportedVersion { found: 7, .. })), "{err:?}");
    assert!(err.to_string().contains("Update Earmark"));
}

#[test]
fn unknown_fields_are_rejected() {
    let dir = edited_copy(|m| m.replace("\"task\": \"test\"", "\"task\": \"test\", \"tsak\": 1"));
    assert!(matches!(error_of(dir.path()), ModelError::Manifest(ManifestError::InvalidJson { .. })));
}

#[test]
fn mel_count_disagreeing_with_the_frontend_is_inconsistent() {
    // The frontend now makes 40 mels but the input still says 64.
    let dir = edited_copy(|m| m.replace("\"n_mels\": 64", "\"n_mels\": 40"));
    let err = error_of(dir.path());
    assert!(matches!(err, ModelError::Manifest(ManifestError::Inconsistent { .. })), "{err:?}");
    assert!(err.to_string().contains("frontend.n_mels is 40"), "{err}");
}

#[test]
fn manifest_and_graph_disagreeing_on_shape_is_a_mismatch() {
    // Self-consistent manifest (40 mels everywhere) but the ONNX graph takes 64.
    let dir = edited_copy(|m| {
        let mut manifest: serde_json::Value = serde_json::from_str(&m).unwrap();
        manifest["frontend"]["n_mels"] = 40.into();
        manifest["graphs"][0]["inputs"][0]["shape"][2] = 40.into();
        manifest.to_string()
    });
    let err = error_of(dir.path());
    assert!(matches!(err, ModelError::Mismatch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("[?, 1, 64, 32] in the graph") && text.contains("[?, 1, 40, 32] in the manifest"), "{text}");
}

#[test]
fn wrong_tensor_name_is_a_mismatch() {
    let dir = edited_copy(|m| m.replace("\"name\": \"logmel\"", "\"name\": \"spectrogram\""));
    let err = error_of(dir.path()).to_string();
    assert!(err.contains("`spectrogram` in the manifest is `logmel` in the graph"), "{err}");
}

#[test]
fn missing_output_is_a_mismatch() {
    let dir = edited_copy(|m| {
        let mut manifest: serde_json::Value = serde_json::from_str(&m).unwrap();
        manifest["graphs"][0]["outputs"].as_array_mut().unwrap().pop();
        manifest.to_string()
    });
    let err = error_of(dir.path()).to_string();
    assert!(err.contains("lists 1 outputs, the graph has 2"), "{err}");
}

#[test]
fn missing_model_file() {
    let dir = edited_copy(|m| m);
    std::fs::remove_file(dir.path().join("model.onnx")).unwrap();
    assert!(matches!(error_of(dir.path()), ModelError::MissingFile { .. }));
}

#[test]
fn corrupt_model_file_is_a_session_error() {
    let dir = edited_copy(|m| m);
    std::fs::write(dir.path().join("model.onnx"), b"definitely not protobuf").unwrap();
    let err = error_of(dir.path());
    assert!(matches!(err, ModelError::Runtime(RuntimeError::Session { .. })), "{err:?}");
}

#[test]
fn thresholds_and_hierarchy_are_checked_against_the_classes() {
    let base = std::fs::read_to_string(source_model().join("manifest.json")).unwrap();
    let with = |labels: &str| {
        let mut manifest: serde_json::Value = serde_json::from_str(&base).unwrap();
        manifest["labels"] = serde_json::from_str(labels).unwrap();
        Manifest::parse(&manifest.to_string(), Path::new("m.json"))
    };
    with(
        r#"{"classes": ["low", "mid", "high"], "thresholds": [0.5, 0.4, 0.3],
             "hierarchy": [{"name": "all", "members": ["low", "high"]}]}"#,
    )
    .unwrap();
    let err = with(r#"{"classes": ["low", "mid", "high"], "thresholds": [0.5]}"#).unwrap_err();
    assert!(err.to_string().contains("1 thresholds for 3 classes"), "{err}");
    let err =
        with(r#"{"classes": ["low", "mid", "high"], "hierarchy": [{"name": "x", "members": ["bass"]}]}"#).unwrap_err();
    assert!(err.to_string().contains("unknown class `bass`"), "{err}");
    let err = with(r#"{"classes": ["a", "b"]}"#).unwrap_err();
    assert!(err.to_string().contains("size 3 but the number of labels is 2"), "{err}");
}

#[test]
fn save_then_load_round_trips() {
    let manifest = Manifest::load(&source_model()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    manifest.save(dir.path()).unwrap();
    assert_eq!(Manifest::load(dir.path()).unwrap(), manifest);
}
