//! The ONNX Runtime wrapper runs the committed test model and matches the outputs numpy and onnxruntime-python
//! computed for it (`tools/reference/make_test_model.py`). Needs the library: `cargo xtask ort` (the README's test
//! command provisions it).

use std::path::{Path, PathBuf};

use earmark_core::combine::Batching;
use earmark_core::manifest::GraphRole;
use earmark_core::model::Model;
use earmark_core::runtime::{Device, ORT_VERSION, Provider, Runtime, SessionOptions};
use ndarray::{Array2, Array4, Axis, s};
use ndarray_npy::read_npy;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn runtime() -> &'static Runtime {
    Runtime::global().unwrap_or_else(|e| panic!("{e}"))
}

/// The committed band-energy test model.
fn band_energy(options: SessionOptions) -> Model {
    Model::load(&workspace().join("plugin/core/tests/fixtures/models/band-energy"), runtime(), options).unwrap()
}

fn max_abs_diff(a: ndarray::ArrayViewD<f32>, b: ndarray::ArrayViewD<f32>) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn test_model_matches_its_reference_outputs_at_batch_3_and_1() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/band_energy");
    let input: Array4<f32> = read_npy(fixtures.join("input.npy")).unwrap();
    let probabilities: Array2<f32> = read_npy(fixtures.join("probabilities.npy")).unwrap();
    let band_means: Array2<f32> = read_npy(fixtures.join("band_means.npy")).unwrap();

    let model = band_energy(SessionOptions::default());
    assert_eq!(model.provider(), Provider::Cpu);
    assert_eq!(model.manifest().labels.classes, ["low", "mid", "high"]);

    let outputs = model.run(GraphRole::Main, &[input.view().into_dyn()]).unwrap();
    assert_eq!(outputs.len(), 2);
    assert!(max_abs_diff(outputs[0].view(), probabilities.view().into_dyn()) <= 1e-6);
    assert!(max_abs_diff(outputs[1].view(), band_means.view().into_dyn()) <= 1e-4);
    // The fixture's second and third items were made loud in the low and high regions.
    let argmax = |row: ndarray::ArrayView1<f32>| row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    assert_eq!(argmax(outputs[0].index_axis(Axis(0), 1).into_dimensionality().unwrap()), 0);
    assert_eq!(argmax(outputs[0].index_axis(Axis(0), 2).into_dimensionality().unwrap()), 2);

    // The batch axis is dynamic: one item alone gives the same answer.
    let single = input.slice(s![1..2, .., .., ..]).to_owned();
    let outputs = model.run(GraphRole::Main, &[single.view().into_dyn()]).unwrap();
    let expected = probabilities.slice(s![1..2, ..]).to_owned();
    assert!(max_abs_diff(outputs[0].view(), expected.view().into_dyn()) <= 1e-6);
}

#[test]
fn wrong_input_shapes_are_errors_not_crashes() {
    let model = band_energy(SessionOptions::default());
    let wrong = Array4::<f32>::zeros((1, 1, 40, 32));
    let err = model.run(GraphRole::Main, &[wrong.view().into_dyn()]).unwrap_err().to_string();
    assert!(err.contains("[1, 1, 40, 32]") && err.contains("[?, 1, 64, 32]"), "{err}");
    let err = model.run(GraphRole::Main, &[]).unwrap_err().to_string();
    assert!(err.contains("0 inputs given"), "{err}");
    let err = model.run(GraphRole::Head, &[]).unwrap_err().to_string();
    assert!(err.contains("no Head graph"), "{err}");
}

#[test]
fn the_library_in_use_is_the_pinned_version_from_an_absolute_path() {
    let runtime = runtime();
    assert!(runtime.library().is_absolute());
    assert!(runtime.library().to_string_lossy().ends_with(&format!("libonnxruntime.so.{ORT_VERSION}")));
    // Asking for the same file again is fine; a different one in the same process is refused.
    assert!(Runtime::init_from(runtime.library()).is_ok());
    let other = tempfile::NamedTempFile::new().unwrap();
    let err = Runtime::init_from(other.path()).expect_err("a second library must be refused").to_string();
    assert!(err.contains("already loaded"), "{err}");
}

#[test]
fn cuda_request_without_cuda_falls_back_to_cpu_and_says_why() {
    let options = SessionOptions { device: Device::Cuda, ..SessionOptions::default() };
    let model = band_energy(options);
    if cfg!(feature = "cuda") && model.provider() == Provider::Cuda {
        return; // a CUDA build on a machine with a working GPU: nothing fell back.
    }
    assert_eq!(model.provider(), Provider::Cpu);
    let reason = model.fallback_reason().expect("a fallback must carry its reason");
    assert!(!reason.is_empty());
}

#[test]
fn xtask_provisions_the_version_the_wrapper_expects() {
    let xtask = std::fs::read_to_string(workspace().join("xtask/src/ort.rs")).unwrap();
    assert!(xtask.contains(&format!("pub const VERSION: &str = \"{ORT_VERSION}\";")));
}

/// Threads running one model at once each get a session of their own (made on demand, never more than the runs
/// that overlapped) and exactly the answer a lone run gives.
#[test]
fn overlapping_runs_of_one_model_get_sessions_of_their_own() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/band_energy");
    let input: Array4<f32> = read_npy(fixtures.join("input.npy")).unwrap();
    let model = band_energy(SessionOptions::default());
    let alone = model.run(GraphRole::Main, &[input.view().into_dyn()]).unwrap();
    assert_eq!(model.sessions(GraphRole::Main), 1);
    const THREADS: usize = 4;
    let barrier = std::sync::Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                barrier.wait();
                for _ in 0..200 {
                    let outputs = model.run(GraphRole::Main, &[input.view().into_dyn()]).unwrap();
                    assert_eq!(outputs, alone);
                }
            });
        }
    });
    let sessions = model.sessions(GraphRole::Main);
    assert!((1..=THREADS).contains(&sessions), "{sessions} sessions for {THREADS} threads");
    eprintln!("{sessions} sessions for {THREADS} threads");
}

/// With batching on (what CUDA gets by default), threads asking one graph at once share ONNX Runtime runs —
/// fewer runs than requests — and each gets its own rows of the answer, equal to a lone run's; with batching off
/// (the CPU default) every request is a run of its own.
#[test]
fn concurrent_runs_are_combined_into_batches_when_batching_is_on() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/band_energy");
    let input: Array4<f32> = read_npy(fixtures.join("input.npy")).unwrap();
    let off = band_energy(SessionOptions { batching: Batching::Off, ..SessionOptions::default() });
    let on = band_energy(SessionOptions { batching: Batching::On, ..SessionOptions::default() });
    assert!(on.combines_runs() && !off.combines_runs());
    // Each thread sends its own request: the fixture's items in its own order, repeated so that a run lasts long
    // enough (about a millisecond) for the other threads' requests to queue up behind it.
    let requests: Vec<Array4<f32>> = (0..3)
        .map(|t| {
            let order: Vec<usize> = (0..900).map(|k| (k + t) % 3).collect();
            input.select(ndarray::Axis(0), &order)
        })
        .collect();
    let alone: Vec<_> = requests.iter().map(|x| off.run(GraphRole::Main, &[x.view().into_dyn()]).unwrap()).collect();
    const THREADS: usize = 6;
    const REQUESTS: usize = 25;
    for model in [&on, &off] {
        let before = model.session_runs(GraphRole::Main);
        let barrier = std::sync::Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let (request, expected, barrier) = (&requests[t % 3], &alone[t % 3], &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    for _ in 0..REQUESTS {
                        let outputs = model.run(GraphRole::Main, &[request.view().into_dyn()]).unwrap();
                        assert_eq!(outputs.len(), expected.len());
                        for (got, want) in outputs.iter().zip(expected) {
                            assert!(max_abs_diff(got.view(), want.view()) <= 1e-5, "rows differ from a lone run");
                        }
                    }
                });
            }
        });
        let runs = model.session_runs(GraphRole::Main) - before;
        eprintln!("batching {}: {runs} runs for {} requests", model.combines_runs(), THREADS * REQUESTS);
        if model.combines_runs() {
            assert!(runs < THREADS * REQUESTS, "{runs} runs: nothing was combined");
        } else {
            assert_eq!(runs, THREADS * REQUESTS);
        }
    }
}
