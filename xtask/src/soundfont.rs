//! The General MIDI SoundFont the training crate's procedural music generator (`earmark-train synth`) renders
//! through.
//!
//! Why this one and why from PyPI: the generator needs a complete General MIDI bank (128 programs and the GM drum
//! kit) in SF2 form (rustysynth cannot read SF3's Ogg-compressed samples), small enough to fetch in CI, with a
//! licence that allows redistribution, and from a place these machines can reach — they reach only package
//! registries. Tim Brechbill's TimGM6mb (6 MB, GPL-2.0, the bank MuseScore 1 shipped) is bundled inside the
//! `pretty_midi` wheel on PyPI, a pure-Python (`py3-none-any`) wheel, so one pinned `pip download` gives it on
//! any platform. The wheel's SHA-256 is pinned and the unpacked file's size and SHA-256 are checked.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::ort::{pip_download, read_zip_member, sha256_file, write_atomically};

/// The PyPI release that carries the SoundFont.
const REQUIREMENT: &str = "pretty_midi==0.2.11.post0";
const WHEEL: &str = "pretty_midi-0.2.11.post0-py3-none-any.whl";
const WHEEL_SHA256: &str = "a3e2321736245a9c92259716d85a4762f16b7bde2f591fb0dba95bdb6e793d8a";
const MEMBER: &str = "pretty_midi/TimGM6mb.sf2";
/// The file name under `target/earmark-soundfont/`, where `earmark_training::synth::locate_soundfont` looks.
pub const FILE_NAME: &str = "TimGM6mb.sf2";
const SIZE: u64 = 5_994_284;
const SHA256: &str = "82475b91a76de15cb28a104707d3247ba932e228bada3f47bba63c6b31aaf7a1";

/// Makes sure `target/earmark-soundfont/TimGM6mb.sf2` exists with the pinned size and SHA-256; returns its path.
pub fn provision(root: &Path) -> Result<PathBuf> {
    let dir = crate::target_dir(root).join("earmark-soundfont");
    let path = dir.join(FILE_NAME);
    // The size check is free; the hash (6 MB, a few ms) only runs when the size is right.
    if fs::metadata(&path).is_ok_and(|m| m.len() == SIZE) && sha256_file(&path)? == SHA256 {
        return Ok(path);
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let downloads = dir.join("download");
    let wheel_path = downloads.join(WHEEL);
    if !wheel_path.is_file() || sha256_file(&wheel_path)? != WHEEL_SHA256 {
        eprintln!("downloading {REQUIREMENT} from PyPI (for its General MIDI SoundFont)…");
        pip_download(REQUIREMENT, &["--only-binary=:all:"], WHEEL, &downloads)?;
    }
    let digest = sha256_file(&wheel_path)?;
    if digest != WHEEL_SHA256 {
        bail!(
            "{WHEEL} has SHA-256 {digest}, expected {WHEEL_SHA256}: refusing to use it (delete {} and retry)",
            downloads.display()
        );
    }
    let bytes = read_zip_member(&wheel_path, MEMBER)?;
    let digest = crate::ort::sha256_bytes(&bytes);
    if bytes.len() as u64 != SIZE || digest != SHA256 {
        bail!("{MEMBER} in {WHEEL} is {} bytes with SHA-256 {digest}, expected {SIZE} bytes, {SHA256}", bytes.len());
    }
    write_atomically(&path, &bytes)?;
    fs::remove_file(&wheel_path).ok();
    fs::remove_dir(&downloads).ok();
    eprintln!("unpacked {FILE_NAME} from {WHEEL} ({})", dir.display());
    Ok(path)
}
