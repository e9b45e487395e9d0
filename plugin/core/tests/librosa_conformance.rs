//! The frontend against librosa 0.11, on fixtures written by `tools/reference/librosa_fixtures.py`.
//!
//! Four configurations cover both papers' settings (emotion: 22.05 kHz/128 mels/log10(S+1); Pons & Serra:
//! 44.1 kHz/40 mels/Blackman-Harris/log(1+10⁴S)), a 16 kHz/64-mel HTK dB setting with top_db and an
//! uncentred Hamming magnitude setting. No Python is needed to run this.

use std::path::{Path, PathBuf};

use earmark_core::frontend::{BatchFrontend, Compression, FrontendConfig, StreamingFrontend};
use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;

const CONFIGS: [&str; 4] = ["emotion_22k_128", "pons_44k_40", "speech_16k_64", "nas_16k_140"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa").join(name)
}

fn load(name: &str) -> (FrontendConfig, Vec<f32>, Array2<f32>, Array2<f32>) {
    let dir = fixture(name);
    let config = FrontendConfig::from_json(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let signal: Array1<f32> = read_npy(dir.join("signal.npy")).unwrap();
    let mel: Array2<f32> = read_npy(dir.join("mel_power.npy")).unwrap();
    let compressed: Array2<f32> = read_npy(dir.join("compressed.npy")).unwrap();
    (config, signal.to_vec(), mel, compressed)
}

/// Largest |ours − theirs| / |theirs| (with a floor far below any band's energy, only against division by zero).
fn max_relative_error(ours: &Array2<f32>, theirs: &Array2<f32>) -> f64 {
    let floor = f64::from(theirs.iter().copied().fold(0.0, f32::max)) * 1e-12;
    ours.iter()
        .zip(theirs)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).abs() / f64::from(b).abs().max(floor))
        .fold(0.0, f64::max)
}

fn max_abs_error(ours: &Array2<f32>, theirs: &Array2<f32>) -> f64 {
    ours.iter().zip(theirs).map(|(&a, &b)| (f64::from(a) - f64::from(b)).abs()).fold(0.0, f64::max)
}

#[test]
fn mel_power_matches_librosa_within_1e4_relative() {
    for name in CONFIGS {
        let (config, signal, expected, _) = load(name);
        let ours = BatchFrontend::new(&config).unwrap().mel_power(&signal);
        assert_eq!(ours.dim(), expected.dim(), "{name}: frames × mels");
        let err = max_relative_error(&ours, &expected);
        println!("{name}: max relative error on mel power {err:.2e}");
        assert!(err <= 1e-4, "{name}: max relative error {err:.3e} > 1e-4");
    }
}

#[test]
fn compressed_output_matches_librosa() {
    for name in CONFIGS {
        let (config, signal, _, expected) = load(name);
        let ours = BatchFrontend::new(&config).unwrap().process(&signal);
        assert_eq!(ours.dim(), expected.dim(), "{name}: frames × mels");
        let err = max_abs_error(&ours, &expected);
        println!("{name}: max abs error after compression {err:.2e}");
        match config.compression {
            // dB: the bound, 0.01 dB.
            Compression::PowerToDb { .. } => assert!(err <= 0.01, "{name}: {err} dB"),
            // log10(S + 1) and ln(1 + cS) of a 1e-4-accurate S: 1e-4 in the log domain is generous.
            _ => assert!(err <= 1e-4, "{name}: {err}"),
        }
    }
}

#[test]
fn top_db_really_clips_in_the_fixture() {
    // Guards the fixture itself: the speech config must exercise top_db, or the dB test above proves less.
    let (_, _, _, expected) = load("speech_16k_64");
    let max = expected.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let clipped = expected.iter().filter(|&&v| (v - (max - 80.0)).abs() < 1e-4).count();
    assert!(clipped > 0, "no value sits on the top_db floor");
}

#[test]
fn streaming_matches_librosa_too() {
    for name in CONFIGS {
        let (config, signal, expected, _) = load(name);
        let uncompressed = FrontendConfig { compression: Compression::None, ..config };
        let mut stream = StreamingFrontend::new(&uncompressed).unwrap();
        let mut frames = Vec::new();
        for block in signal.chunks(333) {
            stream.push(block, |f| frames.extend_from_slice(f));
        }
        stream.finish(|f| frames.extend_from_slice(f));
        let ours = Array2::from_shape_vec(expected.dim(), frames).unwrap();
        assert!(max_relative_error(&ours, &expected) <= 1e-4, "{name}");
    }
}
