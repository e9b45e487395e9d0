//! A bounded CLAP fuzzer over the built plugin, after the third-party conformance fuzzers hosts run: random
//! activations (sample rate 1–200 kHz, minimum and maximum block size, in-place or separate buffers), random
//! block sizes within the promised bounds, hostile input (denormals, NaN, infinities, full-scale noise,
//! Nyquist, DC, constants), parameter and state churn mid-stream, transport toggles, resets, and
//! deactivate/reactivate. Seeded and reproducible: a failure names the seed and the step.
//!
//! Every block is checked: the plugin must not crash, must not write a subnormal or a non-finite sample where
//! the input was finite, and must pass everything else through bit for bit (subnormals become zero of the same
//! sign; NaN and infinities pass through as they came — an analyser does not repair upstream audio); every CC
//! it sends is on a valid channel with a 7-bit value. After each activation, readouts must still come (a tone,
//! paced at 8× real time, with the CC settings restored, must produce CCs). In a debug build, nice-plug's
//! `assert_process_allocs` aborts the process on any allocation inside `process()`.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Activation, PluginHost};

/// What to run.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    /// Seed of everything random.
    pub seed: u64,
    /// Activations to run (each with its own random configuration and blocks), so a seed always replays the
    /// same episodes.
    pub activations: usize,
    /// Models folder the plugin loads (`None`: the models beside the plugin, or the checkout's).
    pub models: Option<std::path::PathBuf>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FuzzReport {
    /// Activations (each with its own sample rate, block bounds and buffer layout).
    pub activations: usize,
    /// Blocks processed.
    pub blocks: u64,
    /// Frames processed.
    pub frames: u64,
    /// Parameter changes sent.
    pub param_changes: u64,
    /// States saved and loaded mid-stream, damaged states offered.
    pub state_loads: u64,
    /// CCs received.
    pub ccs: u64,
    /// Subnormal input samples the plugin flushed.
    pub flushed: u64,
}

/// The first thing that went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzFailure {
    /// The run's seed.
    pub seed: u64,
    /// Activation and block where it happened.
    pub activation: usize,
    /// Block within the activation.
    pub block: u64,
    /// What.
    pub message: String,
}

impl std::fmt::Display for FuzzFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seed {}: activation {}, block {}: {} (rerun: cargo run -p earmark-e2e --example fuzz -- --seed {})",
            self.seed, self.activation, self.block, self.message, self.seed
        )
    }
}

/// The kinds of input the fuzzer feeds.
#[derive(Debug, Clone, Copy)]
enum Input {
    Silence,
    Denormals,
    Constant(f32),
    Nyquist(f32),
    Noise(f32),
    Tone(f32),
    NonFinite,
}

fn random_input(rng: &mut ChaCha8Rng) -> Input {
    match rng.random_range(0..7) {
        0 => Input::Silence,
        1 => Input::Denormals,
        2 => Input::Constant([0.0, 1.0, -1.0, 0.5, f32::MIN_POSITIVE, 1e-30][rng.random_range(0..6)]),
        3 => Input::Nyquist(rng.random_range(0.0..1.0)),
        4 => Input::Noise(rng.random_range(0.0..1.0)),
        5 => Input::Tone(rng.random_range(30.0..20_000.0)),
        _ => Input::NonFinite,
    }
}

fn render(input: Input, rng: &mut ChaCha8Rng, start: u64, rate: f64, frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|i| {
            let n = start + i as u64;
            match input {
                Input::Silence => 0.0,
                Input::Denormals => {
                    let bits = rng.random_range(1..0x007f_ffffu32) | if rng.random_bool(0.5) { 0x8000_0000 } else { 0 };
                    f32::from_bits(bits)
                }
                Input::Constant(v) => v,
                Input::Nyquist(a) => {
                    if n.is_multiple_of(2) {
                        a
                    } else {
                        -a
                    }
                }
                Input::Noise(a) => a * rng.random_range(-1.0..=1.0f32),
                Input::Tone(hz) => 0.5 * (std::f64::consts::TAU * f64::from(hz) * n as f64 / rate).sin() as f32,
                Input::NonFinite => match rng.random_range(0..8) {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => f32::NEG_INFINITY,
                    3 => f32::MAX,
                    _ => rng.random_range(-1.0..=1.0f32),
                },
            }
        })
        .collect()
}

/// What the plugin must output for `x`: itself, with a subnormal flushed to a zero of the same sign.
fn expected(x: f32) -> f32 {
    if x.is_subnormal() { 0.0f32.copysign(x) } else { x }
}

fn random_activation(rng: &mut ChaCha8Rng) -> Activation {
    let sample_rate = match rng.random_range(0..3) {
        0 => [1_000.0, 8_000.0, 22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 200_000.0][rng.random_range(0..8)],
        _ => rng.random_range(1_000.0..200_000.0f64).round(),
    };
    let max_block = match rng.random_range(0..3) {
        0 => rng.random_range(1..=64),
        1 => rng.random_range(1..=1024),
        _ => rng.random_range(1..=10_000),
    };
    let min_block = if rng.random_bool(0.3) { max_block } else { rng.random_range(1..=max_block) };
    Activation { sample_rate, min_block, max_block, in_place: rng.random_bool(0.5) }
}

/// Seconds of tone the "readouts still come" check plays: 1.5 s, or longer where a model in `models` (the
/// checkout's `models/` when `None`) needs more audio for its first segment after a transport restart cleared
/// its frames (the shipped models read 2.56–8 s).
fn tone_seconds(models: Option<&std::path::Path>) -> f64 {
    let checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let dir = models.unwrap_or(&checkout);
    let segment = |manifest: serde_json::Value| -> Option<f64> {
        let frames = manifest["segment"]["frames"].as_f64()?;
        let hop = manifest["frontend"]["hop_length"].as_f64()?;
        Some(frames * hop / manifest["frontend"]["sample_rate"].as_f64()?)
    };
    let longest = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("manifest.json")).ok())
        .filter_map(|text| serde_json::from_str(&text).ok())
        .filter_map(segment)
        .fold(0.0, f64::max);
    (longest + 0.5).max(1.5)
}

/// Runs the fuzzer; the first failure ends it.
pub fn fuzz(config: &FuzzConfig) -> Result<FuzzReport, FuzzFailure> {
    let tone_seconds = tone_seconds(config.models.as_deref());
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut report = FuzzReport::default();
    let channels = if rng.random_bool(0.5) { 2 } else { 1 };
    let first = random_activation(&mut rng);
    let mut host = match &config.models {
        Some(dir) => PluginHost::with_models_as(first, channels, dir),
        None => PluginHost::activated(first, channels),
    };
    // The state right after set-up: CC settings at their defaults, the models folder chosen. Restored before
    // each "readouts still come" check, because the churn may have switched every CC off.
    let pristine = host.save_state();
    let params = host.params();
    let mut activation = first;
    let mut saved = vec![pristine.clone()];
    loop {
        let fail = |block: u64, message: String| FuzzFailure {
            seed: config.seed,
            activation: report.activations,
            block,
            message,
        };
        let blocks = rng.random_range(20..200u64);
        let mut input = random_input(&mut rng);
        let mut position = 0u64;
        for block in 0..blocks {
            if rng.random_bool(0.1) {
                input = random_input(&mut rng);
            }
            for _ in 0..rng.random_range(0..3) {
                let param = &params[rng.random_range(0..params.len())];
                // CLAP carries plain values; nice-plug's are normalised for floats and steps for integers.
                let value = rng.random_range(param.min..=param.max);
                host.set_param(param.id, if param.max > param.min { value } else { param.min });
                report.param_changes += 1;
            }
            match rng.random_range(0..60) {
                0 => host.set_playing(rng.random_bool(0.5)),
                1 => host.reset(),
                2 => saved.push(host.save_state()),
                3 => {
                    let state = saved[rng.random_range(0..saved.len())].clone();
                    if !host.try_load_state(&state) {
                        return Err(fail(block, "the plugin refused a state it saved itself".into()));
                    }
                    report.state_loads += 1;
                }
                4 => {
                    let mut damaged = saved[rng.random_range(0..saved.len())].clone();
                    let cut = rng.random_range(0..=damaged.len());
                    damaged.truncate(cut);
                    if let Some(byte) = damaged.get_mut(cut / 2) {
                        *byte ^= 0x5a;
                    }
                    host.try_load_state(&damaged); // refusing it is fine; crashing is not
                    report.state_loads += 1;
                }
                _ => {}
            }
            let frames = rng.random_range(activation.min_block..=activation.max_block);
            let samples: Vec<Vec<f32>> =
                (0..channels).map(|_| render(input, &mut rng, position, activation.sample_rate, frames)).collect();
            let ccs_before = host.ccs.len();
            let output = host.process(&samples, frames);
            position += frames as u64;
            report.blocks += 1;
            report.frames += frames as u64;
            for (c, (out, inp)) in output.iter().zip(&samples).enumerate() {
                for (i, (&y, &x)) in out.iter().zip(inp).enumerate() {
                    if y.to_bits() != expected(x).to_bits() {
                        return Err(fail(
                            block,
                            format!(
                                "{activation:?}, {channels} ch, frame {i} of channel {c}: input {x:e} came out as {y:e}"
                            ),
                        ));
                    }
                    if x.is_subnormal() {
                        report.flushed += 1;
                    }
                }
            }
            for cc in &host.ccs[ccs_before..] {
                if cc.channel > 15 || cc.cc > 127 || cc.value > 127 {
                    return Err(fail(block, format!("invalid CC {cc:?}")));
                }
            }
            report.ccs += (host.ccs.len() - ccs_before) as u64;
        }
        // Readouts keep coming: restore the CC settings, let the worker work off the backlog the unpaced blocks
        // left in its queue (a full queue drops what comes next, by design), restart the transport (the plugin
        // then sends its next readout whatever it sent before), play a tone at a paced rate, and wait for CCs.
        host.load_state(&pristine);
        std::thread::sleep(Duration::from_secs(1));
        host.set_playing(false);
        host.process(&vec![vec![0.0; activation.min_block]; channels], activation.min_block);
        host.set_playing(true);
        let rate = activation.sample_rate;
        let frames = ((rate * tone_seconds) as usize).div_ceil(activation.max_block) * activation.max_block;
        let tone: Vec<f32> =
            (0..frames).map(|n| 0.5 * (std::f64::consts::TAU * 110.0 * n as f64 / rate).sin() as f32).collect();
        let before = host.ccs.len();
        host.process_paced(&vec![tone; channels], activation.max_block, rate, 8.0);
        if !host.wait_for_ccs_beyond(before, Duration::from_secs(30)) {
            let settings: Vec<String> =
                params.iter().map(|p| format!("{} = {}", p.name, host.param_text(p.id))).collect();
            return Err(fail(
                blocks,
                format!(
                    "no readout after a {tone_seconds:.1} s tone at {rate} Hz ({activation:?}; {})",
                    settings.join(", ")
                ),
            ));
        }
        report.ccs += (host.ccs.len() - before) as u64;
        report.activations += 1;
        if report.activations >= config.activations {
            return Ok(report);
        }
        activation = random_activation(&mut rng);
        host.reactivate_as(activation);
    }
}
