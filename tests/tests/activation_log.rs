//! `EARMARK_ACTIVATION_LOG`: each instance of the built plugin, in a real CLAP host, appends its activation's
//! audio accounting (frames in, frames dropped) when deactivated — what the multi-instance benchmark reads to
//! show that no audio was dropped, since a host has no editor status line to read.
//!
//! One test in its own binary: it sets the variable before any plugin (or thread) exists.

use earmark_e2e::PluginHost;

#[test]
fn every_deactivation_appends_its_frames_in_and_dropped() {
    let _serial = earmark_e2e::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("activations.jsonl");
    // SAFETY: the first thing the only test of this binary does; no other thread reads the environment yet.
    unsafe { std::env::set_var("EARMARK_ACTIVATION_LOG", &log) };
    let models = PluginHost::testing_models();
    // Two instances on different amounts of audio, well within the analysis queue (4 s): nothing can be dropped.
    let fed = [48_000 + 300, 2 * 48_000 + 17];
    for &frames in &fed {
        let mut host = PluginHost::with_models(48_000.0, 512, 2, &models);
        let x: Vec<f32> = (0..frames).map(|n| 0.3 * (n as f32 * 0.05).sin()).collect();
        host.process(&[x.clone(), x], 512);
        // Dropping the host deactivates the plugin.
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let entries: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Each host activates twice (once to load the models folder from its state, once to use it): the first
    // activation saw no audio.
    assert_eq!(entries.len(), 4, "{text}");
    let with_audio: Vec<u64> =
        entries.iter().map(|e| e["samples_in"].as_u64().unwrap()).filter(|&n| n > 0).collect::<Vec<_>>();
    assert_eq!(with_audio, fed.map(|f| f as u64), "{text}");
    assert!(entries.iter().all(|e| e["dropped_samples"] == 0 && e["host_rate"] == 48_000), "{text}");
}
