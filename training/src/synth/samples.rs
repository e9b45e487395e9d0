//! Real recordings mixed into instrument clips: notes of real instruments (e.g. the Philharmonia Orchestra
//! samples), so instrument models also hear acoustic instruments rather than only one SoundFont's rendition of
//! them; and the one decoded-audio cache every bank (notes, voices, drum kits) shares.
//!
//! A sample folder holds one sub-folder per instrument; the folder name maps to a fine tag
//! ([`super::gm::tag_for_folder`]). When a file name carries a pitch token (`violin_As3_025_forte_…`: `As3` =
//! A♯3), notes are chosen by nearest pitch, so a recorded melody follows the clip's key. Each note file is its
//! own group for a [`Holdout`] split: a held-out mixture plays only held-out files. Decoded recordings
//! (resampled to the generator's rate, silence trimmed at both ends, at most [`MAX_RECORDING_SECONDS`],
//! peak-normalised) are cached in memory up to [`CACHE_BYTES`]; past that they are decoded again when used.
//! Caching never changes a result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use earmark_core::audio::{find_audio_files, load_mono};

use super::SynthError;
use super::gm;
use super::holdout::Holdout;

/// Longest part of a recording that is kept (a note is cut shorter by its duration; a voice utterance is
/// rarely longer).
pub const MAX_RECORDING_SECONDS: f32 = 10.0;
/// Memory the recording cache may use.
pub const CACHE_BYTES: usize = 768 << 20;

/// One recording placed in a clip.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleNote {
    /// Fine tag of the instrument.
    pub tag: &'static str,
    /// The audio file.
    pub file: PathBuf,
    /// Onset in seconds.
    pub start: f64,
    /// How long it may sound before a short fade-out, seconds.
    pub duration: f64,
    /// Linear gain applied to the peak-normalised recording.
    pub gain: f32,
    /// Playback-rate ratio (1 = as recorded; 1.12 = two semitones up and 12 % faster).
    pub ratio: f32,
}

/// A recorded file, its pitch if the name gives one, and its group for held-out splits.
#[derive(Debug, Clone)]
pub(crate) struct SampleFile {
    pub path: PathBuf,
    pub pitch: Option<i32>,
}

/// The instruments of a sample folder. Cheap to clone: it lists files, it holds no audio.
#[derive(Clone)]
pub struct SampleBank {
    instruments: Vec<(&'static str, Vec<SampleFile>)>,
    all: Vec<(&'static str, Vec<SampleFile>)>,
}

impl std::fmt::Debug for SampleBank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleBank").field("tags", &self.tags()).finish_non_exhaustive()
    }
}

impl SampleBank {
    /// Lists `dir`'s instrument folders (each must map to a fine tag) and their audio files; decodes nothing yet.
    pub fn open(dir: &Path) -> Result<Self, SynthError> {
        let error = |message: String| SynthError::Samples { path: dir.to_path_buf(), message };
        let folders = sub_folders(dir)?;
        let mut instruments: Vec<(&'static str, Vec<SampleFile>)> = Vec::new();
        for folder in folders {
            let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let Some(tag) = gm::tag_for_folder(&name) else {
                return Err(error(format!(
                    "folder `{name}` names no instrument of the vocabulary ({}); rename or remove it",
                    gm::tags().join(", ")
                )));
            };
            let files = find_audio_files(std::slice::from_ref(&folder)).map_err(|e| error(e.to_string()))?;
            let files = files
                .into_iter()
                .filter(|path| tag != gm::HAND_PERCUSSION || is_hand_percussion(path))
                .map(|path| SampleFile { pitch: pitch_from_name(&path), path });
            match instruments.iter_mut().find(|(t, _)| *t == tag) {
                Some((_, list)) => list.extend(files),
                None => instruments.push((tag, files.collect())),
            }
        }
        for (_, files) in &mut instruments {
            files.sort_by(|a, b| a.path.cmp(&b.path));
        }
        instruments.retain(|(_, files)| !files.is_empty());
        if instruments.is_empty() {
            return Err(error("no instrument folder with audio files".into()));
        }
        Ok(Self { all: instruments.clone(), instruments })
    }

    /// Keeps the note files of one part of a split (each file is its own group: its name without extension);
    /// an instrument left without files is dropped. Always filters the full listing, so it can be re-applied.
    pub fn restrict(&mut self, holdout: Holdout) {
        self.instruments = self
            .all
            .iter()
            .map(|(tag, files)| {
                let kept = files.iter().filter(|f| holdout.keeps(&file_group(&f.path))).cloned().collect();
                (*tag, kept)
            })
            .filter(|(_, files): &(&'static str, Vec<SampleFile>)| !files.is_empty())
            .collect();
    }

    /// The fine tags that have recordings, in vocabulary order.
    pub fn tags(&self) -> Vec<&'static str> {
        gm::tags().into_iter().filter(|t| self.instruments.iter().any(|(i, _)| i == t)).collect()
    }

    pub(crate) fn files(&self, tag: &str) -> &[SampleFile] {
        self.instruments.iter().find(|(t, _)| *t == tag).map_or(&[], |(_, f)| f.as_slice())
    }
}

/// Percussion kinds a `percussion/` folder may hold that are not hand percussion, by the name before a
/// Philharmonia file's first `__`: orchestral drums, cymbals and gongs (a drum kit's or an orchestra's sound: their
/// rolls and washes taught the tag to fire on any reverberant ensemble), and sound effects — whistles, horns,
/// squeakers, the flexatone's and spring coil's wobble, chimes (pitched or sustained: they taught it to fire on
/// birdsong). They are left out of the mixtures; everything else in the folder (shakers, tambourine, castanets,
/// cowbell, agogo, guiro, woodblock, triangle, hand drums …) plays as `hand_percussion`.
pub const NOT_HAND_PERCUSSION: [&str; 18] = [
    "bass-drum",
    "snare-drum",
    "tenor-drum",
    "tom-toms",
    "clash-cymbals",
    "suspended-cymbal",
    "chinese-cymbal",
    "tam-tam",
    "thai-gong",
    "train-whistle",
    "swanee-whistle",
    "motor-horn",
    "squeaker",
    "flexatone",
    "spring-coil",
    "wind-chimes",
    "bell-tree",
    "ratchet",
];

/// Whether a file of a `percussion/` folder plays as hand percussion (see [`NOT_HAND_PERCUSSION`]).
fn is_hand_percussion(path: &Path) -> bool {
    let stem = file_group(path).to_lowercase();
    let kind = stem.split("__").next().unwrap_or_default();
    !NOT_HAND_PERCUSSION.contains(&kind)
}

/// The folders directly inside `dir`, sorted by name (so every bank lists its recordings in one order).
pub(crate) fn sub_folders(dir: &Path) -> Result<Vec<PathBuf>, SynthError> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| SynthError::Samples { path: dir.to_path_buf(), message: e.to_string() })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    Ok(folders)
}

/// A note file's group for held-out splits: its name without the extension.
pub(crate) fn file_group(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Decoded recordings by file, and the bytes they hold.
type Decoded = (HashMap<PathBuf, Arc<Vec<f32>>>, usize);

/// Decoded, trimmed, peak-normalised recordings at one sample rate, shared by every bank and thread.
pub struct AudioCache {
    sample_rate: u32,
    cache: Mutex<Decoded>,
}

impl std::fmt::Debug for AudioCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioCache").field("sample_rate", &self.sample_rate).finish_non_exhaustive()
    }
}

impl AudioCache {
    /// An empty cache for audio at `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        Self { sample_rate, cache: Mutex::new((HashMap::new(), 0)) }
    }

    /// The prepared recording (see [`prepare`]); decoded once while the cache has room.
    pub(crate) fn get(&self, path: &Path) -> Result<Arc<Vec<f32>>, SynthError> {
        if let Some(audio) = self.cache.lock().expect("cache lock").0.get(path) {
            return Ok(Arc::clone(audio));
        }
        let decoded = load_mono(path, self.sample_rate)
            .map_err(|e| SynthError::Samples { path: path.to_path_buf(), message: e.to_string() })?;
        let audio = Arc::new(prepare(decoded.samples, self.sample_rate));
        let mut cache = self.cache.lock().expect("cache lock");
        let bytes = audio.len() * 4;
        if cache.1 + bytes <= CACHE_BYTES {
            cache.1 += bytes;
            cache.0.insert(path.to_path_buf(), Arc::clone(&audio));
        }
        Ok(audio)
    }

    /// Adds the recordings into `out` (at the cache's rate), each cut to its duration with a 30 ms fade-out
    /// and played at its ratio (linear interpolation: a ratio only ever moves a voice a few semitones).
    pub(crate) fn mix_into(&self, out: &mut [f32], notes: &[SampleNote]) -> Result<(), SynthError> {
        for note in notes {
            let audio = self.get(&note.file)?;
            add_at(out, &audio, self.sample_rate, note);
        }
        Ok(())
    }
}

/// Adds `audio` (prepared, at `sample_rate`) into `out` as `note` places it: from its start, cut to its duration
/// with a 30 ms fade-out, played at its ratio (linear interpolation) and gain.
pub(crate) fn add_at(out: &mut [f32], audio: &[f32], sample_rate: u32, note: &SampleNote) {
    let rate = f64::from(sample_rate);
    let fade = (0.03 * rate) as usize;
    let ratio = f64::from(note.ratio.max(0.01));
    let start = (note.start * rate).round() as usize;
    let natural = (audio.len() as f64 / ratio).floor() as usize;
    let length = natural.min((note.duration * rate).round() as usize);
    for i in 0..length {
        let Some(o) = out.get_mut(start + i) else { break };
        let position = i as f64 * ratio;
        let k = position as usize;
        let frac = (position - k as f64) as f32;
        let a = audio.get(k).copied().unwrap_or(0.0);
        let b = audio.get(k + 1).copied().unwrap_or(0.0);
        let remaining = length - i;
        let envelope = if remaining < fade { remaining as f32 / fade as f32 } else { 1.0 };
        *o += (a + (b - a) * frac) * note.gain * envelope;
    }
}

/// Trims silence (below −50 dB of the peak) at both ends, keeps at most [`MAX_RECORDING_SECONDS`], scales the
/// peak to 1. Trailing silence matters for voices: corpora differ in how much of it a take keeps.
fn prepare(mut samples: Vec<f32>, sample_rate: u32) -> Vec<f32> {
    let peak = samples.iter().fold(0f32, |m, s| m.max(s.abs()));
    if peak == 0.0 || !peak.is_finite() {
        return Vec::new();
    }
    let threshold = peak * 10f32.powf(-50.0 / 20.0);
    let last = samples.iter().rposition(|s| s.abs() >= threshold).map_or(0, |i| i + 1);
    samples.truncate(last);
    let first = samples.iter().position(|s| s.abs() >= threshold).unwrap_or(0);
    samples.drain(..first);
    samples.truncate((MAX_RECORDING_SECONDS * sample_rate as f32) as usize);
    samples.iter_mut().for_each(|s| *s /= peak);
    samples
}

/// The MIDI pitch of a name token like `A2`, `As3` / `A#3` (sharp), `Bb4` (flat) between underscores, dashes
/// or dots.
pub(crate) fn pitch_from_name(path: &Path) -> Option<i32> {
    let stem = path.file_stem()?.to_string_lossy();
    stem.split(['_', '-', '.', ' ']).find_map(parse_pitch)
}

fn parse_pitch(token: &str) -> Option<i32> {
    let mut chars = token.chars();
    let letter = chars.next()?;
    let base = match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    let rest: String = chars.collect();
    let (accidental, octave) = if let Some(r) = rest.strip_prefix('s').or_else(|| rest.strip_prefix('#')) {
        (1, r)
    } else if let Some(r) = rest.strip_prefix('b') {
        (-1, r)
    } else {
        (0, rest.as_str())
    };
    if octave.is_empty() || octave.len() > 2 {
        return None;
    }
    let octave: i32 = octave.parse().ok()?;
    Some(12 * (octave + 1) + base + accidental)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pitches_from_philharmonia_names() {
        assert_eq!(pitch_from_name(Path::new("violin_As3_025_forte_arco-normal.mp3")), Some(58));
        assert_eq!(pitch_from_name(Path::new("cello_A2_025_forte_arco-normal.mp3")), Some(45));
        assert_eq!(pitch_from_name(Path::new("flute_C4_1_piano_normal.mp3")), Some(60));
        assert_eq!(pitch_from_name(Path::new("x_Bb4.wav")), Some(70));
        assert_eq!(pitch_from_name(Path::new("noise.wav")), None);
    }

    #[test]
    fn a_percussion_folder_plays_its_hand_percussion_and_leaves_out_drums_cymbals_and_effects() {
        let dir = tempfile::tempdir().unwrap();
        for (folder, names) in [
            ("percussion", &["tambourine__1_forte_shaken", "swanee-whistle__phrase_forte", "Tam-Tam__long_piano"][..]),
            ("violin", &["violin_A4_1_forte_arco-normal"][..]),
        ] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
            for name in names {
                let path = dir.path().join(folder).join(format!("{name}.wav"));
                crate::synth::wav::write(&path, &[0.5; 160], 16_000, crate::synth::wav::WavFormat::Float32).unwrap();
            }
        }
        let bank = SampleBank::open(dir.path()).unwrap();
        let names = |tag| bank.files(tag).iter().map(|f| file_group(&f.path)).collect::<Vec<_>>();
        assert_eq!(names(gm::HAND_PERCUSSION), ["tambourine__1_forte_shaken"]);
        assert_eq!(names("violin"), ["violin_A4_1_forte_arco-normal"], "other instruments keep every file");
    }

    #[test]
    fn prepare_trims_and_normalises() {
        let mut x = vec![0.0; 100];
        x.extend([0.5, -0.25, 0.1]);
        x.extend([0.0; 50]);
        let y = prepare(x, 1000);
        assert_eq!(y, vec![1.0, -0.5, 0.2], "silence trimmed at both ends");
    }
}
