//! The plugin driven through a host and `earmark analyze` give the same readouts for the same audio: both run
//! the same engine code, and this proves nothing in between (downmix, resampling, block slicing, smoothing,
//! CC quantisation) makes them drift.

use std::process::Command;

use earmark_e2e::{PluginHost, earmark_binary};

const RATE: u32 = 44_100;
/// One-sample blocks the host sends after the audio so the plugin can emit its last CCs (part of the file too).
const POLLS: usize = 150;

fn signal() -> Vec<f32> {
    let mut state = 0xdead_beefu32;
    let len = 6 * RATE as usize;
    let mut x: Vec<f32> = (0..len)
        .map(|n| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let hz = if n < len / 2 { 150.0 } else { 2900.0 };
            0.4 * (std::f32::consts::TAU * hz * n as f32 / RATE as f32).sin()
                + 0.02 * (state as f32 / u32::MAX as f32 - 0.5)
        })
        .collect();
    x.extend(std::iter::repeat_n(0.0, POLLS));
    x
}

#[test]
fn host_and_analyze_agree_on_the_final_readout() {
    let _serial = earmark_e2e::exclusive();
    let x = signal();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("clip.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(&wav, spec).unwrap();
    for &s in &x {
        writer.write_sample(s).unwrap();
        writer.write_sample(s).unwrap();
    }
    writer.finalize().unwrap();

    // The plugin: the audio in 512-frame blocks, then the trailing zeros one sample at a time, 20 ms apart,
    // which leaves the worker time to analyse everything before the last CCs leave.
    // Both read the band-energy test model alone (the shipped genre model would own the class CC otherwise).
    let mut host = PluginHost::with_models(f64::from(RATE), 512, 2, &PluginHost::testing_models());
    let audio = &x[..x.len() - POLLS];
    host.process_paced(&[audio.to_vec(), audio.to_vec()], 512, f64::from(RATE), 8.0);
    for _ in 0..POLLS {
        host.process(&[vec![0.0], vec![0.0]], 512);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let plugin_class = host.last_cc(23).expect("class CC");
    let plugin_confidence = host.last_cc(22).expect("confidence CC");

    // analyze, with the plugin's default settings (analyze's own default runs each model at its segment hop).
    let output = Command::new(earmark_binary())
        .arg("analyze")
        .args(["--update-interval", "0.5"])
        .arg(&wav)
        .arg("--models")
        .arg(PluginHost::testing_models())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let model = reports[0]["models"].as_array().unwrap().iter().find(|m| m["name"] == "band-energy").unwrap();
    let last = model["timeline"].as_array().unwrap().last().expect("updates").clone();
    let scores: Vec<f64> = last["scores"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (class, best) = scores.iter().enumerate().fold((0, f64::MIN), |a, (i, &v)| if v > a.1 { (i, v) } else { a });

    assert_eq!(usize::from(plugin_class), class, "top class");
    assert_eq!(plugin_confidence, (best.clamp(0.0, 1.0) * 127.0).round() as u8, "top confidence (7-bit)");
    // The readout really moved during the clip (not a trivially constant answer).
    let first = &model["timeline"][0]["scores"];
    assert_ne!(first, &last["scores"]);
    assert!(host.ccs.iter().filter(|c| c.cc == 23).count() >= 2, "the class CC changed during the clip");
}
