//! Real drum kits (Hydrogen's `drumkit.xml` folders, e.g. Debian's `hydrogen-drumkits`) for the `drums` tag, so
//! the kit under a mixture is not always the SoundFont's.
//!
//! Each kit's instruments are sorted into kick, snare and hi-hat by their names (`Kick`, `BassDrum`, `Snare
//! Rock`, `Closed HH`, …); kits without all three are skipped. Only files the core can decode (wav, flac, mp3,
//! ogg) count. Held-out splits go by kit ([`Holdout`] on the kit folder's name).

use std::path::{Path, PathBuf};

use earmark_core::audio::AUDIO_EXTENSIONS;

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
}

impl DrumKits {
    /// Reads every `*/drumkit.xml` under `dir`.
    pub fn open(dir: &Path) -> Result<Self, SynthError> {
        let error = |message: String| SynthError::Samples { path: dir.to_path_buf(), message };
        let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| error(e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("drumkit.xml").is_file())
            .collect();
        folders.sort();
        let mut kits = Vec::new();
        for folder in folders {
            let xml = std::fs::read_to_string(folder.join("drumkit.xml")).map_err(|e| error(e.to_string()))?;
            let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut kit = Kit { name, kick: Vec::new(), snare: Vec::new(), hat: Vec::new() };
            for (instrument, files) in instruments(&xml) {
                let Some(piece) = piece_for(&instrument) else { continue };
                let decodable = files.into_iter().map(|f| folder.join(f)).filter(|p| {
                    p.is_file()
                        && p.extension().is_some_and(|e| {
                            AUDIO_EXTENSIONS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
                        })
                });
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
        Ok(Self { all: kits.clone(), kits })
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
        for f in ["bd1.flac", "sn.wav", "hh.wav", "hh2.wav", "open.wav", "tom.wav", "x.aiff"] {
            std::fs::write(kit.join(f), b"").unwrap();
        }
        std::fs::write(
            kit.join("drumkit.xml"),
            "<drumkit_info><name>Test Kit</name><instrumentList>\
             <instrument><id>0</id><filename>bd1.flac</filename><name>Kick</name></instrument>\
             <instrument><id>1</id><name>Snare Rock</name><layer><filename>sn.wav</filename></layer></instrument>\
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
        let empty = tempfile::tempdir().unwrap();
        assert!(DrumKits::open(empty.path()).unwrap_err().to_string().contains("hydrogen-drumkits"));
    }
}
