//! ONNX Runtime from PyPI: `ort`'s own download cannot work on machines that reach only package registries, and
//! the official wheels carry exactly the shared library we need.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// Must match `earmark_core::runtime::ORT_VERSION` (checked by a test in earmark-core).
pub const VERSION: &str = "1.31.1";
const LIBRARY: &str = "libonnxruntime.so.1.31.1";

/// CPU-only runtime, or the CUDA-enabled build.
#[derive(Clone, Copy)]
pub enum Flavour {
    Cpu,
    Gpu,
}

struct Wheel {
    package: &'static str,
    file: &'static str,
    sha256: &'static str,
    /// Files to unpack next to the library (the CUDA build needs its provider libraries too).
    members: &'static [&'static str],
}

impl Flavour {
    fn wheel(self) -> Wheel {
        match self {
            Flavour::Cpu => Wheel {
                package: "onnxruntime",
                file: "onnxruntime-1.31.1-cp312-cp312-manylinux_2_28_x86_64.whl",
                sha256: "1f3dea47f2f0e5117c2404cea7d21fd253ae7836a3bf167a501cdfbb2600d536",
                members: &[LIBRARY],
            },
            Flavour::Gpu => Wheel {
                package: "onnxruntime-gpu",
                file: "onnxruntime_gpu-1.31.1-cp312-cp312-manylinux_2_28_x86_64.whl",
                sha256: "05d548956197b9d01f59b625de740e0d6be3593f874e241a12dc0362650ecdf7",
                members: &[LIBRARY, "libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"],
            },
        }
    }

    fn dir_name(self) -> &'static str {
        match self {
            Flavour::Cpu => "cpu",
            Flavour::Gpu => "gpu",
        }
    }
}

/// Makes sure `target/earmark-ort/<version>/<flavour>/libonnxruntime.so.<version>` exists; returns its path.
pub fn provision(root: &Path, flavour: Flavour) -> Result<PathBuf> {
    let dir = crate::target_dir(root).join("earmark-ort").join(VERSION).join(flavour.dir_name());
    let library = dir.join(LIBRARY);
    let wheel = flavour.wheel();
    if wheel.members.iter().all(|m| dir.join(m).is_file()) {
        return Ok(library);
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let downloads = dir.join("download");
    let wheel_path = downloads.join(wheel.file);
    if !wheel_path.is_file() || sha256_file(&wheel_path)? != wheel.sha256 {
        download(&wheel, &downloads)?;
    }
    let digest = sha256_file(&wheel_path)?;
    if digest != wheel.sha256 {
        bail!(
            "{} has SHA-256 {digest}, expected {}: refusing to use it (delete {} and retry)",
            wheel.file,
            wheel.sha256,
            downloads.display()
        );
    }
    for member in wheel.members {
        let bytes = read_zip_member(&wheel_path, &format!("onnxruntime/capi/{member}"))?;
        // Write then rename: an interrupted unpack never leaves a truncated library that looks provisioned.
        write_atomically(&dir.join(member), &bytes)?;
    }
    fs::remove_file(&wheel_path).ok();
    eprintln!("unpacked {} from {} ({})", LIBRARY, wheel.file, dir.display());
    Ok(library)
}

/// `pip download` of the exact wheel (pip is on every machine that has Python, and speaks to PyPI's mirror setup).
fn download(wheel: &Wheel, into: &Path) -> Result<()> {
    eprintln!("downloading {}=={VERSION} from PyPI…", wheel.package);
    let requirement = format!("{}=={VERSION}", wheel.package);
    let platform = [
        "--only-binary=:all:",
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--platform",
        "manylinux_2_28_x86_64",
    ];
    pip_download(&requirement, &platform, wheel.file, into)
}

/// `pip download --no-deps` of one exact `requirement` whose wheel is named `file`, into `into`; `extra` are
/// pip options placed before `-d` (platform selection). Tries `python3`, then `python`.
pub(crate) fn pip_download(requirement: &str, extra: &[&str], file: &str, into: &Path) -> Result<()> {
    fs::create_dir_all(into)?;
    let mut last_error = String::new();
    for python in ["python3", "python"] {
        let output = Command::new(python)
            .args(["-m", "pip", "download", "--no-deps"])
            .args(extra)
            .arg("--disable-pip-version-check")
            .arg("-d")
            .arg(into)
            .arg(requirement)
            .output();
        match output {
            Ok(out) if out.status.success() && into.join(file).is_file() => return Ok(()),
            Ok(out) => last_error = String::from_utf8_lossy(&out.stderr).into_owned(),
            Err(e) => last_error = format!("{python}: {e}"),
        }
    }
    bail!(
        "could not download {requirement} with pip: {last_error}\n\
         Install Python 3 with pip, or place {file} in {} yourself.",
        into.display()
    )
}

/// Reads one member of a zip archive (a wheel) into memory.
pub(crate) fn read_zip_member(archive: &Path, member: &str) -> Result<Vec<u8>> {
    let file = fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(file).with_context(|| format!("opening {} as a zip", archive.display()))?;
    let mut entry = zip.by_name(member).with_context(|| format!("{member} is not in {}", archive.display()))?;
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Writes `bytes` to `path` through a hidden temporary file in the same folder and a rename, so an interrupted
/// write never leaves a truncated file that looks provisioned.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file path has a parent")?;
    let name = path.file_name().context("a file path has a name")?.to_string_lossy();
    let tmp = dir.join(format!(".{name}.partial"));
    fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sha256_bytes(&bytes))
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
