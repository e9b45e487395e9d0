//! A third-party host: the PyPI package `pedalboard` loads the built plugin as a VST3 bundle and processes audio.
//!
//! Runs when a Python with pedalboard is found (`EARMARK_PYTHON`, `target/pyenv` from `cargo xtask pyenv`, `.venv`,
//! or `python3`); otherwise it says so and passes, since CI machines have no pedalboard.

use std::path::{Path, PathBuf};
use std::process::Command;

fn python_with_pedalboard(root: &Path) -> Option<PathBuf> {
    [
        std::env::var_os("EARMARK_PYTHON").map(PathBuf::from),
        Some(root.join("target/pyenv/bin/python")),
        Some(root.join(".venv/bin/python")),
        Some(PathBuf::from("python3")),
    ]
    .into_iter()
    .flatten()
    .find(|python| Command::new(python).args(["-c", "import pedalboard"]).output().is_ok_and(|o| o.status.success()))
}

const SCRIPT: &str = r#"
import sys, numpy as np, pedalboard
plugin = pedalboard.load_plugin(sys.argv[1])
assert plugin.name == "Earmark", plugin.name
names = list(plugin.parameters.keys())
assert "update_interval_s" in names and "cc_valence" in names, names
sr = 48000
t = np.arange(sr * 2) / sr
audio = np.stack([0.5 * np.sin(2 * np.pi * 110 * t), 0.3 * np.sin(2 * np.pi * 3000 * t)]).astype(np.float32)
audio[0, ::997] = 1e-40  # denormals pass through too
out = plugin.process(audio, sr, buffer_size=512, reset=False)
assert out.shape == audio.shape, out.shape
assert np.array_equal(out.view(np.uint32), audio.view(np.uint32)), "passthrough is not bit-exact"
print("ok", len(names), "parameters")
"#;

#[test]
fn pedalboard_hosts_the_vst3_bundle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Some(python) = python_with_pedalboard(&root) else {
        eprintln!("skipped: no Python with pedalboard (cargo xtask pyenv installs it)");
        return;
    };
    // A VST3 bundle around the debug build, with ONNX Runtime and the models beside it as `xtask bundle` does.
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("earmark.vst3/Contents/x86_64-linux");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(earmark_e2e::plugin_library(), home.join("earmark.so")).unwrap();
    let output = Command::new(&python).arg("-c").arg(SCRIPT).arg(dir.path().join("earmark.vst3")).output().unwrap();
    assert!(
        output.status.success(),
        "pedalboard failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ok"));
}
