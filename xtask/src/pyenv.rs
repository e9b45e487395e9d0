//! The Python reference environment: librosa (log-mel parity), onnx (test-model fixtures), onnxruntime (parity of
//! exported models). Only regenerating fixtures and benchmarks need it; the test suite does not.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Creates `target/pyenv` and installs `tools/reference/requirements.txt`; returns its Python.
pub fn provision(root: &Path) -> Result<PathBuf> {
    let venv = crate::target_dir(root).join("pyenv");
    let python = venv.join("bin/python");
    let requirements = root.join("tools/reference/requirements.txt");
    let stamp = venv.join(".requirements");
    let wanted = std::fs::read_to_string(&requirements).context("reading tools/reference/requirements.txt")?;
    if python.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv), "creating the virtual environment")?;
    run(
        Command::new(&python).args(["-m", "pip", "install", "--quiet", "-r"]).arg(&requirements),
        "installing the reference packages",
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command.status().with_context(|| format!("{what}: could not start {command:?}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
