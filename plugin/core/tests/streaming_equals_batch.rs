//! The streaming frontend yields the batch frontend's frames for every block size from 1 to 4096.

use earmark_core::frontend::{
    BatchFrontend, Compression, FrontendConfig, MelNorm, MelScale, Padding, StreamingFrontend, WindowKind, clip_top_db,
};

/// A deterministic test signal: a few partials, a sweep and LCG noise.
fn signal(len: usize, sr: f32) -> Vec<f32> {
    let mut state = 0x2545_f491u32;
    (0..len)
        .map(|n| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let t = n as f32 / sr;
            0.4 * (2.0 * std::f32::consts::PI * 330.0 * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * (100.0 + 2000.0 * t) * t).sin()
                + 0.1 * noise
        })
        .collect()
}

fn stream_all(config: &FrontendConfig, signal: &[f32], block: usize) -> Vec<f32> {
    let mut stream = StreamingFrontend::new(config).unwrap();
    let mut out = Vec::new();
    for chunk in signal.chunks(block) {
        stream.push(chunk, |f| out.extend_from_slice(f));
    }
    stream.finish(|f| out.extend_from_slice(f));
    out
}

fn batch(config: &FrontendConfig, signal: &[f32]) -> Vec<f32> {
    BatchFrontend::new(config).unwrap().process(signal).into_raw_vec_and_offset().0
}

fn assert_close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: frame counts differ");
    let err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    assert!(err <= 1e-6, "{what}: max abs diff {err}");
}

fn configs() -> Vec<(&'static str, FrontendConfig)> {
    vec![
        (
            "emotion",
            FrontendConfig { compression: Compression::Log10Offset { delta: 1.0 }, ..FrontendConfig::default() },
        ),
        (
            "pons-reflect",
            FrontendConfig {
                sample_rate: 44_100,
                hop_length: 1024,
                window: WindowKind::BlackmanHarris,
                padding: Padding::Reflect,
                n_mels: 40,
                compression: Compression::Log1p { c: 10_000.0 },
                ..FrontendConfig::default()
            },
        ),
        (
            "speech-uncentred",
            FrontendConfig {
                sample_rate: 16_000,
                n_fft: 512,
                win_length: Some(400),
                hop_length: 160,
                padding: Padding::None,
                n_mels: 64,
                mel_scale: MelScale::Htk,
                mel_norm: MelNorm::None,
                compression: Compression::PowerToDb { ref_value: 1.0, amin: 1e-10, top_db: None },
                ..FrontendConfig::default()
            },
        ),
        (
            "hop-longer-than-window",
            FrontendConfig {
                sample_rate: 16_000,
                n_fft: 256,
                hop_length: 300,
                n_mels: 32,
                power: 1.0,
                ..FrontendConfig::default()
            },
        ),
    ]
}

#[test]
fn every_block_size_from_1_to_4096_gives_the_batch_frames() {
    // The emotion configuration, every block size; a 0.3 s signal keeps 4096 runs fast.
    let (_, config) = &configs()[0];
    let x = signal(6615, 22_050.0);
    let expected = batch(config, &x);
    assert_eq!(expected.len(), config.frame_count(x.len()) * config.n_mels);
    for block in 1..=4096 {
        assert_close(&stream_all(config, &x, block), &expected, &format!("block {block}"));
    }
}

#[test]
fn other_configurations_at_awkward_block_sizes() {
    for (name, config) in configs() {
        let x = signal(config.sample_rate as usize / 2 + 17, config.sample_rate as f32);
        let expected = batch(&config, &x);
        assert!(!expected.is_empty());
        for block in [1, 2, 3, 7, 64, 160, 511, 512, 513, 1024, 4095, 4096] {
            assert_close(&stream_all(&config, &x, block), &expected, &format!("{name}, block {block}"));
        }
    }
}

#[test]
fn signals_shorter_than_the_padding() {
    // Reflect padding longer than the signal mirrors repeatedly (numpy semantics); both paths must agree.
    let (_, config) = &configs()[1];
    for len in [1, 2, 5, 1023, 1024, 1025, 2047, 2048, 2049] {
        let x = signal(len, 44_100.0);
        let expected = batch(config, &x);
        assert_eq!(expected.len(), config.frame_count(len) * config.n_mels, "len {len}");
        assert_close(&stream_all(config, &x, 7), &expected, &format!("len {len}"));
    }
    for (_, config) in configs() {
        assert!(stream_all(&config, &[], 64).is_empty());
        assert!(batch(&config, &[]).is_empty());
    }
}

#[test]
fn top_db_over_the_streamed_frames_equals_batch() {
    let config = FrontendConfig {
        compression: Compression::PowerToDb { ref_value: 1.0, amin: 1e-10, top_db: Some(60.0) },
        ..FrontendConfig::default()
    };
    let mut x = signal(22_050, 22_050.0);
    x[..8000].fill(0.0); // silence, so the floor really clips
    let mut streamed = stream_all(&config, &x, 100);
    clip_top_db(&mut streamed, 60.0);
    assert_close(&streamed, &batch(&config, &x), "top_db");
}

#[test]
fn reset_starts_a_new_signal() {
    let (_, config) = &configs()[0];
    let x = signal(5000, 22_050.0);
    let mut stream = StreamingFrontend::new(config).unwrap();
    let mut junk = 0;
    stream.push(&signal(3000, 8000.0), |_| junk += 1);
    stream.reset();
    let mut out = Vec::new();
    stream.push(&x, |f| out.extend_from_slice(f));
    stream.finish(|f| out.extend_from_slice(f));
    assert!(junk > 0);
    assert_close(&out, &batch(config, &x), "after reset");
    assert_eq!(stream.frames_emitted(), 0, "finish resets the stream");
}
