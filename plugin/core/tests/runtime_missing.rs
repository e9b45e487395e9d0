//! A missing or broken ONNX Runtime library gives typed errors that say where we looked and what to do.
//!
//! This file is its own test binary (its own process) and never loads a real library, because a process can
//! hold only one ONNX Runtime.

use earmark_core::runtime::{ORT_LIBRARY_FILE, Runtime, RuntimeError, SearchPlan};

#[test]
fn nothing_found_lists_every_place_searched() {
    let empty = tempfile::tempdir().unwrap();
    let bogus_env = empty.path().join("nowhere/libonnxruntime.so");
    let plan = SearchPlan::build(&[empty.path().to_path_buf()], Some(&bogus_env));
    let err = plan.find().unwrap_err();
    let RuntimeError::LibraryNotFound { searched } = &err else { panic!("wrong error: {err:?}") };
    assert!(searched.iter().any(|s| s.contains(&empty.path().join(ORT_LIBRARY_FILE).display().to_string())));
    assert!(searched.iter().any(|s| s.contains("earmark-ort") && s.contains("cargo xtask ort")));
    assert!(searched.iter().any(|s| s.contains("nowhere") && s.contains("EARMARK_ORT_LIB")));
    let message = err.to_string();
    assert!(message.contains("cargo xtask ort") && message.contains("EARMARK_ORT_LIB"), "{message}");
}

#[test]
fn next_to_the_binary_wins_over_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let beside = dir.path().join(ORT_LIBRARY_FILE);
    std::fs::write(&beside, b"not really a library").unwrap();
    let env_dir = tempfile::tempdir().unwrap();
    std::fs::write(env_dir.path().join(ORT_LIBRARY_FILE), b"x").unwrap();
    let plan = SearchPlan::build(&[dir.path().to_path_buf()], Some(env_dir.path()));
    assert_eq!(plan.find().unwrap(), beside);
    // The environment variable may name a folder: the library inside it is used.
    let plan = SearchPlan::build(&[], Some(env_dir.path()));
    assert_eq!(plan.find().unwrap(), env_dir.path().join(ORT_LIBRARY_FILE));
}

#[test]
fn a_file_that_is_not_onnx_runtime_is_a_load_error() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join(ORT_LIBRARY_FILE);
    std::fs::write(&fake, b"\x7fELF but not really").unwrap();
    let err = Runtime::init_from(&fake).expect_err("loading garbage must fail");
    assert!(matches!(err, RuntimeError::LibraryLoad { .. }), "{err:?}");
    assert!(err.to_string().contains(&fake.display().to_string()));
    let missing = dir.path().join("missing.so");
    assert!(matches!(Runtime::init_from(&missing), Err(RuntimeError::LibraryNotFound { .. })));
}
