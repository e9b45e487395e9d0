//! `cargo xtask`: provisioning and project tasks that plain cargo cannot do.
//!
//! - `cargo xtask ort [--gpu]`: fetch ONNX Runtime 1.31.1 from PyPI, verify the wheel's SHA-256, unpack the library
//!   into `target/earmark-ort/1.31.1/{cpu,gpu}/`.
//! - `cargo xtask pyenv`: a Python virtual environment in `target/pyenv` with the reference packages
//!   (librosa, onnx, onnxruntime) that regenerate fixtures and feed benchmarks.
//! - `cargo xtask soundfont`: fetch the General MIDI SoundFont TimGM6mb (from the `pretty_midi` wheel on PyPI, SHA-256
//!   checked) into `target/earmark-soundfont/`, for the training crate's procedural music generator.
//! - `cargo xtask test [cargo test args…]`: `ort` and `soundfont`, builds the plugin and `earmark`, then
//!   `cargo test --workspace`.
//! - `cargo xtask demo [earmark demo args…]`: `ort`, then the offline demo on the shipped models.
//! - `cargo xtask screenshots [DIR]`: `ort`, then the editor's headless tests with `EARMARK_SCREENSHOTS=DIR`
//!   (default `docs/screenshots`): PNGs of the editor on silence and on a generated clip, for the README.
//! - `cargo xtask bundle …`: nice-plug's bundler (CLAP/VST3), then ONNX Runtime and the models beside the plugin
//!   binary in each bundle, where the plugin looks for them.

mod bundle;
mod ort;
mod pyenv;
mod soundfont;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("ort") => {
            let gpu = args.iter().any(|a| a == "--gpu");
            let lib = ort::provision(&root, if gpu { ort::Flavour::Gpu } else { ort::Flavour::Cpu })?;
            println!("ONNX Runtime ready: {}", lib.display());
            Ok(())
        }
        Some("pyenv") => {
            let python = pyenv::provision(&root)?;
            println!("Python reference environment ready: {}", python.display());
            Ok(())
        }
        Some("soundfont") => {
            let path = soundfont::provision(&root)?;
            println!("SoundFont ready: {}", path.display());
            Ok(())
        }
        Some("test") => {
            ort::provision(&root, ort::Flavour::Cpu)?;
            soundfont::provision(&root)?;
            // `cargo test` links the plugin as an rlib and never rebuilds its cdylib, nor other packages'
            // binaries: build the plugin library and the `earmark` binary the end-to-end tests host and run.
            cargo(&root, &["build", "-p", "earmark", "-p", "earmark-cli"], &[])?;
            cargo(&root, &["test", "--workspace"], &args[1..])
        }
        Some("demo") => {
            ort::provision(&root, ort::Flavour::Cpu)?;
            cargo(&root, &["run", "--release", "--quiet", "-p", "earmark-cli", "--", "demo"], &args[1..])
        }
        Some("screenshots") => {
            ort::provision(&root, ort::Flavour::Cpu)?;
            let dir = args.get(1).map_or_else(|| root.join("docs/screenshots"), PathBuf::from);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let dir = dir.canonicalize()?;
            let env = [("EARMARK_SCREENSHOTS", dir.as_os_str())];
            cargo_env(&root, &["test", "-p", "earmark", "--lib", "editor::tests", "--", "--nocapture"], &env)?;
            println!("screenshots in {}", dir.display());
            Ok(())
        }
        Some("bundle") | Some("bundle-universal") => {
            let library = ort::provision(&root, ort::Flavour::Cpu)?;
            std::env::set_current_dir(&root)?;
            // The bundle carries the editor: enable the plugin's `gui` feature unless features were chosen.
            let mut bundle_args: Vec<String> = args.clone();
            if !args.iter().any(|a| a.starts_with("--features") || a == "-F") {
                bundle_args.extend(["--features".to_string(), "gui".to_string()]);
            }
            nice_plug_xtask::main_with_args("cargo xtask", bundle_args)?;
            bundle::add_runtime_and_models(&root, &library)
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 ort [--gpu]        download ONNX Runtime {} from PyPI into target/earmark-ort/\n  \
                 pyenv              create target/pyenv with librosa, onnx and onnxruntime (reference tools)\n  \
                 soundfont          download the General MIDI SoundFont into target/earmark-soundfont/\n  \
                 test [ARGS…]       provision ONNX Runtime and the SoundFont, then `cargo test --workspace ARGS…`\n  \
                 demo [ARGS…]       provision ONNX Runtime, then `earmark demo ARGS…` on the shipped models\n  \
                 screenshots [DIR]  PNGs of the editor (silence, a generated clip) into DIR (docs/screenshots)\n  \
                 bundle NAME [--release]  build CLAP/VST3 bundles into target/bundled/",
                ort::VERSION
            );
            if args.is_empty() { Ok(()) } else { bail!("unknown command `{}`", args[0]) }
        }
    }
}

/// Runs cargo with `base` then `extra` arguments in the workspace root; fails when it fails.
fn cargo(root: &Path, base: &[&str], extra: &[String]) -> Result<()> {
    let args: Vec<&str> = base.iter().copied().chain(extra.iter().map(String::as_str)).collect();
    cargo_env(root, &args, &[])
}

/// Runs cargo with `args` and extra environment variables in the workspace root; fails when it fails.
fn cargo_env(root: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(args)
        .envs(env.iter().copied())
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// The workspace root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives inside the workspace").to_path_buf()
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}
