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
    let mut archive = zip::ZipArchive::new(fs::File::open(&wheel_path)?).context("opening the wheel")?;
    for member in wheel.members {
        let name = format!("onnxruntime/capi/{member}");
        let mut entry = archive.by_name(&name).with_context(|| format!("{name} is not in {}", wheel.file))?;
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes)?;
        // Write then rename: an interrupted unpack never leaves a truncated library that looks provisioned.
        let tmp = dir.join(format!(".{member}.partial"));
        fs::write(&tmp, &bytes)?;
        fs::rename(&tmp, dir.join(member))?;
    }
    fs::remove_file(&wheel_path).ok();
    eprintln!("unpacked {} from {} ({})", LIBRARY, wheel.file, dir.display());
    Ok(library)
}

/// `pip download` of the exact wheel (pip is on every machine that has Python, and speaks to PyPI's mirror setup).
fn download(wheel: &Wheel, into: &Path) -> Result<()> {
    fs::create_dir_all(into)?;
    eprintln!("downloading {}=={VERSION} from PyPI…", wheel.package);
    let mut last_error = String::new();
    for python in ["python3", "python"] {
        let output = Command::new(python)
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12"])
            .args(["--implementation", "cp", "--platform", "manylinux_2_28_x86_64", "--disable-pip-version-check"])
            .arg("-d")
            .arg(into)
            .arg(format!("{}=={VERSION}", wheel.package))
            .output();
        match output {
            Ok(out) if out.status.success() && into.join(wheel.file).is_file() => return Ok(()),
            Ok(out) => last_error = String::from_utf8_lossy(&out.stderr).into_owned(),
            Err(e) => last_error = format!("{python}: {e}"),
        }
    }
    bail!(
        "could not download {} {VERSION} with pip: {last_error}\n\
         Install Python 3 with pip, or place {} in {} yourself.",
        wheel.package,
        wheel.file,
        into.display()
    )
}

fn sha256_file(path: &Path) -> Result<String> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}
