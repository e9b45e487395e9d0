//! Finding and loading the General MIDI SoundFont.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use rustysynth::SoundFont;

use super::SynthError;

/// The file `cargo xtask soundfont` writes under `target/earmark-soundfont/`.
pub const DEFAULT_FILE_NAME: &str = "TimGM6mb.sf2";

/// System-wide SoundFonts (Debian's `fluid-soundfont-gm` and `timgm6mb-soundfont`).
const SYSTEM: [&str; 2] = ["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2"];

/// The SoundFont to render with: `explicit` if given (it must exist); else `$EARMARK_SOUNDFONT`; else
/// `target/earmark-soundfont/TimGM6mb.sf2` in the current folder or any parent, then in this crate's folder or
/// any parent (so tests and `cargo run` from anywhere in the workspace find what `cargo xtask soundfont` wrote);
/// else the Debian packages' files.
pub fn locate_soundfont(explicit: Option<&Path>) -> Result<PathBuf, SynthError> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(SynthError::SoundFontNotFound { searched: format!("{} (given, does not exist)", path.display()) })
        };
    }
    let mut searched = Vec::new();
    if let Some(env) = std::env::var_os("EARMARK_SOUNDFONT") {
        let path = PathBuf::from(env);
        if path.is_file() {
            return Ok(path);
        }
        searched.push(format!("EARMARK_SOUNDFONT={}", path.display()));
    }
    let relative = Path::new("target").join("earmark-soundfont").join(DEFAULT_FILE_NAME);
    let starts = [std::env::current_dir().ok(), Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")))];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            let candidate = dir.join(&relative);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
        searched.push(format!("{} and its parents", start.join(&relative).display()));
    }
    for system in SYSTEM {
        if Path::new(system).is_file() {
            return Ok(PathBuf::from(system));
        }
        searched.push(system.to_string());
    }
    Err(SynthError::SoundFontNotFound { searched: searched.join(", ") })
}

/// Loads an SF2; refuses SF3 (detected from the `ifil` version chunk, major version 3) with a clear error rather
/// than playing noise from compressed samples read as PCM.
pub(crate) fn load(path: &Path) -> Result<SoundFont, SynthError> {
    let error = |message: String| SynthError::SoundFont { path: path.to_path_buf(), message };
    let mut head = Vec::with_capacity(4096);
    File::open(path).and_then(|f| f.take(4096).read_to_end(&mut head)).map_err(|e| error(e.to_string()))?;
    if sf_major_version(&head) == Some(3) {
        return Err(SynthError::Sf3 { path: path.to_path_buf() });
    }
    let file = File::open(path).map_err(|e| error(e.to_string()))?;
    let soundfont = SoundFont::new(&mut BufReader::new(file)).map_err(|e| error(e.to_string()))?;
    if soundfont.get_info().get_version().get_major() >= 3 {
        return Err(SynthError::Sf3 { path: path.to_path_buf() });
    }
    Ok(soundfont)
}

/// The major version from the `ifil` sub-chunk of a SoundFont's `INFO` list, if the header is readable:
/// `RIFF <size> sfbk LIST <size> INFO (<id> <size> <data>)*`.
pub(crate) fn sf_major_version(head: &[u8]) -> Option<u16> {
    if head.len() < 24 || &head[0..4] != b"RIFF" || &head[8..12] != b"sfbk" || &head[12..16] != b"LIST" {
        return None;
    }
    if &head[20..24] != b"INFO" {
        return None;
    }
    let mut pos = 24;
    while pos + 8 <= head.len() {
        let id = &head[pos..pos + 4];
        let size = u32::from_le_bytes(head[pos + 4..pos + 8].try_into().ok()?) as usize;
        if id == b"ifil" {
            return head.get(pos + 8..pos + 10).map(|b| u16::from_le_bytes([b[0], b[1]]));
        }
        pos += 8 + size + (size & 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(major: u16) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(b"RIFF\0\0\0\0sfbkLIST\0\0\0\0INFO");
        h.extend_from_slice(b"ifil\x04\0\0\0");
        h.extend_from_slice(&major.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes());
        h
    }

    #[test]
    fn reads_the_version() {
        assert_eq!(sf_major_version(&header(2)), Some(2));
        assert_eq!(sf_major_version(&header(3)), Some(3));
        assert_eq!(sf_major_version(b"not a soundfont at all, no"), None);
    }

    #[test]
    fn sf3_is_refused() {
        let dir = std::env::temp_dir().join(format!("earmark-sf3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.sf3");
        std::fs::write(&path, header(3)).unwrap();
        let err = load(&path).unwrap_err();
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(err, SynthError::Sf3 { .. }), "{err}");
        assert!(err.to_string().contains("SF2"));
    }

    #[test]
    fn missing_explicit_path_names_the_fix() {
        let err = locate_soundfont(Some(Path::new("/nonexistent/x.sf2"))).unwrap_err();
        assert!(err.to_string().contains("cargo xtask soundfont"), "{err}");
    }
}
