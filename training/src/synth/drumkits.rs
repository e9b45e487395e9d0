//! Real drum kits (Hydrogen's `drumkit.xml` folders, e.g. Debian's `hydrogen-drumkits`) for the `drums` tag, so
//! the kit under a mixture is not always the SoundFont's.
//!
//! Each kit's instruments are sorted into kick, snare and hi-hat by their names (`Kick`, `BassDrum`, `Snare
//! Rock`, `Closed HH`, …); kits without all three are skipped. Only files the core decodes count: every file is
//! decoded once when the kits are opened (a few hundred short hits), so one odd file (Debian's kits hold an
//! AIFF kit and a WAV symphonia cannot probe) is listed in [`DrumKits::skipped`] instead of stopping a long
//! generation run halfway. Held-out splits go by kit ([`Holdout`] on the kit folder's name).

use std::path::{Path, PathBuf};

use earmark_core::audio::{AUDIO_EXTENSIONS, load_mono};

use super::SynthError;
use super::holdout::Holdout;

/// A kit piece a groove uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Bass drum.
    Kick,
    /// Snare drum (or a clap standing in for it).
    Snare,
    /// Hi-hat or ride: the time-keeping cymbal.
    Hat,
}

/// One kit: its name and the files of each piece.
#[derive(Debug, Clone)]
pub struct Kit {
    /// The kit folder's name (its group in a split).
    pub name: String,
    /// Kick files.
    pub kick: Vec<PathBuf>,
    /// Snare files.
    pub snare: Vec<PathBuf>,
    /// Hi-hat files.
    pub hat: Vec<PathBuf>,
}

impl Kit {
    /// The files of a piece.
    pub fn files(&self, piece: Piece) -> &[PathBuf] {
        match piece {
            Piece::Kick => &self.kick,
            Piece::Snare => &self.snare,
            Piece::Hat => &self.hat,
        }
    }
}

/// The usable kits of a folder.
#[derive(Debug, Clone)]
pub struct DrumKits {
    kits: Vec<Kit>,
    all: Vec<Kit>,
    skipped: Vec<PathBuf>,
}

impl DrumKits {
    /// Reads every `*/drumkit.xml` under `dir`.
    pub fn open(dir: &Path) -> Result<Self, SynthError> {
        let error = |message: String| SynthError::Samples { path: dir.to_path_buf(), message };
        let folders = super::samples::sub_folders(dir)?.into_iter().filter(|p| p.join("drumkit.xml").is_file());
        let mut kits = Vec::new();
        let mut skipped = Vec::new();
        for folder in folders {
            let xml = std::fs::read_to_string(folder.join("drumkit.xml")).map_err(|e| error(e.to_string()))?;
            let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut kit = Kit { name, kick: Vec::new(), snare: Vec::new(), hat: Vec::new() };
            for (instrument, files) in instruments(&xml) {
                let Some(piece) = piece_for(&instrument) else { continue };
                let mut decodable = Vec::new();
                for path in files.into_iter().map(|f| folder.join(f)).filter(|p| p.is_file()) {
                    let known = path
                        .extension()
                        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str()));
                    if known && load_mono(&path, 16_000).is_ok() {
                        decodable.push(path);
                    } else {
                        skipped.push(path);
                    }
                }
                match piece {
                    Piece::Kick => kit.kick.extend(decodable),
                    Piece::Snare => kit.snare.extend(decodable),
                    Piece::Hat => kit.hat.extend(decodable),
                }
            }
            if !kit.kick.is_empty() && !kit.snare.is_empty() && !kit.hat.is_empty() {
                kits.push(kit);
            }
        }
        if kits.is_empty() {
            return Err(error(
                "no kit with a kick, a snare and a hi-hat in a decodable format (folders of drumkit.xml + wav/flac; \
                 Debian: apt install hydrogen-drumkits → /usr/share/hydrogen/data/drumkits)"
                    .into(),
            ));
        }
        Ok(Self { all: kits.clone(), kits, skipped })
    }

    /// Kit files left out because they do not decode.
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }

    /// Keeps the kits of one part of a split. Always filters the full listing, so it can be re-applied.
    pub fn restrict(&mut self, holdout: Holdout) {
        self.kits = self.all.iter().filter(|k| holdout.keeps(&k.name)).cloned().collect();
    }

    /// The kits available.
    pub fn kits(&self) -> &[Kit] {
        &self.kits
    }
}

/// The kit piece an instrument name stands for, if a groove uses it.
fn piece_for(name: &str) -> Option<Piece> {
    let n = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&["kick", "bassdrum", "bass drum", "bd"]) {
        Some(Piece::Kick)
    } else if has(&["snare", "sd"]) {
        Some(Piece::Snare)
    } else if has(&["hihat", "hi-hat", "hi hat", "hh", "hat"]) && !has(&["open", "pedal"]) {
        Some(Piece::Hat)
    } else {
        None
    }
}

/// (instrument name, file names) for each `<instrument>` of a Hydrogen `drumkit.xml` (layers included). A plain
/// scan for the two elements: the format is flat and the kits are trusted local files.
fn instruments(xml: &str) -> Vec<(String, Vec<String>)> {
    let element = |block: &str, tag: &str| -> Vec<String> {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut out = Vec::new();
        let mut rest = block;
        while let Some(start) = rest.find(&open) {
            let after = &rest[start + open.len()..];
            let Some(end) = after.find(&close) else { break };
            out.push(after[..end].trim().to_string());
            rest = &after[end + close.len()..];
        }
        out
    };
    xml.split("<instrument>")
        .skip(1)
        .filter_map(|block| {
            let block = block.split("</instrument>").next().unwrap_or(block);
            let name = element(block, "name").into_iter().next()?;
            Some((name, element(block, "filename")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_hydrogen_instruments_into_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let kit = dir.path().join("Test Kit");
        std::fs::create_dir(&kit).unwrap();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        for f in ["bd1.wav", "sn.wav", "hh.wav", "hh2.wav", "open.wav", "tom.wav"] {
            let mut w = hound::WavWriter::create(kit.join(f), spec).unwrap();
            (0..800).for_each(|i| w.write_sample(((i % 50) * 200) as i16).unwrap());
            w.finalize().unwrap();
        }
        std::fs::write(kit.join("x.aiff"), b"FORM").unwrap();
        std::fs::write(kit.join("broken.wav"), b"RIFF....not audio").unwrap();
        std::fs::write(
            kit.join("drumkit.xml"),
            "<drumkit_info><name>Test Kit</name><instrumentList>\
             <instrument><id>0</id><filename>bd1.wav</filename><name>Kick</name></instrument>\
             <instrument><id>1</id><name>Snare Rock</name><layer><filename>sn.wav</filename></layer>\
             <layer><filename>broken.wav</filename></layer></instrument>\
             <instrument><id>2</id><name>Closed HH</name><layer><filename>hh.wav</filename></layer>\
             <layer><filename>hh2.wav</filename></layer><layer><filename>x.aiff</filename></layer></instrument>\
             <instrument><id>3</id><name>Open HH</name><filename>open.wav</filename></instrument>\
             <instrument><id>4</id><name>Tom Low</name><filename>tom.wav</filename></instrument>\
             </instrumentList></drumkit_info>",
        )
        .unwrap();
        let kits = DrumKits::open(dir.path()).unwrap();
        let kit = &kits.kits()[0];
        assert_eq!(kit.name, "Test Kit");
        assert_eq!(kit.kick.len(), 1);
        assert_eq!(kit.snare.len(), 1);
        assert_eq!(kit.hat.len(), 2, "layers count, the aiff layer and the open hat do not");
        assert_eq!(kits.skipped().len(), 2, "the AIFF and the broken WAV are listed, not fatal: {:?}", kits.skipped());
        let empty = tempfile::tempdir().unwrap();
        assert!(DrumKits::open(empty.path()).unwrap_err().to_string().contains("hydrogen-drumkits"));
    }
}
