//! Voices for the `voice` tag: spoken utterances grouped by speaker, read from a CSV manifest (`path`, `group`
//! columns, as the training manifests; relative paths are relative to the manifest's folder).
//!
//! Why speech: no real singing is cleared for training, and speech is the closest material — the same vocal
//! tract, formants and onsets. A clip's voice plays one speaker's utterances one after another, shifted a few
//! semitones (a playback ratio, so also slightly faster or slower), so that a voice tag is not one corpus'
//! pitch range. Held-out splits go by speaker ([`Holdout`] on the group): a held-out mixture never holds a
//! voice heard in training.

use std::path::{Path, PathBuf};

use super::SynthError;
use super::holdout::Holdout;

/// Utterances by speaker.
#[derive(Debug, Clone)]
pub struct VoiceBank {
    speakers: Vec<(String, Vec<PathBuf>)>,
    all: Vec<(String, Vec<PathBuf>)>,
}

impl VoiceBank {
    /// Reads a manifest CSV with `path` and `group` (speaker) columns; other columns are ignored.
    pub fn from_manifest(manifest: &Path) -> Result<Self, SynthError> {
        let error = |message: String| SynthError::Samples { path: manifest.to_path_buf(), message };
        let mut reader = csv::Reader::from_path(manifest).map_err(|e| error(e.to_string()))?;
        let headers = reader.headers().map_err(|e| error(e.to_string()))?.clone();
        let column = |name: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                error(format!("needs a `{name}` column (a voice manifest has `path,group`, group = speaker)"))
            })
        };
        let (path_column, group_column) = (column("path")?, column("group")?);
        let base = manifest.parent().unwrap_or(Path::new("."));
        let mut speakers: Vec<(String, Vec<PathBuf>)> = Vec::new();
        for (line, record) in reader.records().enumerate() {
            let record = record.map_err(|e| error(format!("row {}: {e}", line + 2)))?;
            let path = PathBuf::from(record.get(path_column).unwrap_or_default());
            let path = if path.is_absolute() { path } else { base.join(path) };
            let group = record.get(group_column).unwrap_or_default().to_string();
            match speakers.iter_mut().find(|(g, _)| *g == group) {
                Some((_, files)) => files.push(path),
                None => speakers.push((group, vec![path])),
            }
        }
        if speakers.is_empty() {
            return Err(error("lists no utterance".into()));
        }
        speakers.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Self { all: speakers.clone(), speakers })
    }

    /// Keeps the speakers of one part of a split. Always filters the full listing, so it can be re-applied.
    pub fn restrict(&mut self, holdout: Holdout) {
        self.speakers = self.all.iter().filter(|(g, _)| holdout.keeps(g)).cloned().collect();
    }

    /// Speakers available, with their utterances.
    pub(crate) fn speakers(&self) -> &[(String, Vec<PathBuf>)] {
        &self.speakers
    }
}

/// Slows `samples` down by `factor` (> 1: longer) without changing their pitch, by waveform-similarity
/// overlap-add (WSOLA; Verhelst & Roelands 1993): 40 ms Hann frames written every 20 ms, each read from near
/// its nominal input position at the offset (within ±10 ms) whose waveform best continues the previous frame.
/// Why: a voice slowed 1.5–2.5× holds its vowels the way a singer does — the closest to singing that spoken
/// corpora can give (its pitch still glides like speech).
pub fn stretch(samples: &[f32], factor: f32, sample_rate: u32) -> Vec<f32> {
    let frame = (0.04 * sample_rate as f32) as usize;
    let hop = frame / 2;
    let tolerance = (0.01 * sample_rate as f32) as usize;
    if samples.len() < frame + 2 * tolerance || factor <= 0.0 || hop == 0 {
        return samples.to_vec();
    }
    let window: Vec<f32> =
        (0..frame).map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / frame as f32).cos()).collect();
    let frames = ((samples.len() - frame) as f32 * factor / hop as f32) as usize;
    let mut out = vec![0f32; frames * hop + frame];
    let mut previous: Option<usize> = None;
    for k in 0..frames {
        let nominal = ((k * hop) as f32 / factor) as usize;
        let position = match previous {
            None => nominal,
            Some(p) => {
                // The previous frame's natural continuation is what this frame should resemble.
                let natural = (p + hop).min(samples.len() - frame);
                let low = nominal.saturating_sub(tolerance);
                let high = (nominal + tolerance).min(samples.len() - frame);
                (low..=high)
                    .max_by(|&a, &b| {
                        let score = |c: usize| -> f32 {
                            (0..frame).step_by(4).map(|i| samples[c + i] * samples[natural + i]).sum()
                        };
                        score(a).total_cmp(&score(b))
                    })
                    .unwrap_or(nominal)
            }
        };
        for i in 0..frame {
            out[k * hop + i] += samples[position + i] * window[i];
        }
        previous = Some(position);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::holdout::HoldoutPart;

    /// A 233 Hz tone (its period does not divide the frame hop) stretched 2× lasts twice as long and keeps its pitch (zero crossings per second).
    #[test]
    fn stretching_lengthens_without_changing_the_pitch() {
        let rate = 16_000;
        let tone: Vec<f32> =
            (0..rate).map(|i| (std::f32::consts::TAU * 233.0 * i as f32 / rate as f32).sin()).collect();
        let long = stretch(&tone, 2.0, rate);
        let seconds = long.len() as f32 / rate as f32;
        assert!((seconds - 2.0).abs() < 0.1, "{seconds} s");
        let middle = &long[rate as usize / 2..3 * rate as usize / 2];
        let crossings = middle.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        assert!((228..=238).contains(&crossings), "{crossings} upward crossings in 1 s: the pitch moved");
        let level = middle.iter().map(|s| s * s).sum::<f32>() / middle.len() as f32;
        assert!((level - 0.5).abs() < 0.1, "overlap-add keeps the level: mean square {level}");
    }

    #[test]
    fn reads_speakers_and_splits_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("path,group,tags\n");
        for speaker in 0..40 {
            for take in 0..3 {
                csv.push_str(&format!("s{speaker}/t{take}.wav,spk{speaker},\n"));
            }
        }
        std::fs::write(dir.path().join("voices.csv"), csv).unwrap();
        let mut bank = VoiceBank::from_manifest(&dir.path().join("voices.csv")).unwrap();
        assert_eq!(bank.speakers().len(), 40);
        assert!(bank.speakers().iter().all(|(_, files)| files.len() == 3));
        assert!(bank.speakers()[0].1[0].starts_with(dir.path()), "relative paths resolve from the manifest");
        bank.restrict(Holdout { part: HoldoutPart::Test, percent: 25 });
        let test: Vec<String> = bank.speakers().iter().map(|(g, _)| g.clone()).collect();
        bank.restrict(Holdout { part: HoldoutPart::Train, percent: 25 });
        let train: Vec<String> = bank.speakers().iter().map(|(g, _)| g.clone()).collect();
        assert!(!test.is_empty() && !train.is_empty());
        assert_eq!(test.len() + train.len(), 40);
        assert!(test.iter().all(|g| !train.contains(g)), "a speaker is in one part only");
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "file,speaker\nx.wav,a\n").unwrap();
        let message = VoiceBank::from_manifest(&bad).unwrap_err().to_string();
        assert!(message.contains("`path` column"), "{message}");
    }
}
