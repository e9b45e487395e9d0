//! Loading the speech corpora for the vocal-emotion models: EmoDB, RAVDESS speech and SAVEE, merged (speakers stay
//! distinct per corpus), in the paper's 4-class setting or with every emotion, each utterance unified to the
//! paper's 8 s of frames.

use std::path::Path;

use super::augment::Room;
use super::input::{BANDS, Preparation, SpeakerEstimate, frontend, segment_frames, subtract_speaker_means, unify};
use crate::data::speech::FOUR_CLASS_SPEECH;
use crate::data::{Dataset, emodb, ravdess, savee};
use crate::feature_cache::FeatureCache;
use crate::train::TrainError;

/// Which emotions to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ClassSet {
    /// Neutral, anger, happiness, sadness (the paper's setting).
    Four,
    /// Every emotion either corpus labels.
    All,
}

/// Utterances with their classes and unified windows.
pub struct VocalData {
    /// The merged dataset (items, classes, speakers as groups).
    pub dataset: Dataset,
    /// Class of each item.
    pub classes: Vec<usize>,
    /// Each item's first 8 s of frames, `frames × bands` dB, silence-padded, then prepared (`None`: unreadable).
    pub windows: Vec<Option<Vec<f32>>>,
    /// Unreadable files and why.
    pub skipped: Vec<String>,
    /// Frames per window.
    pub frames: usize,
    /// How the windows were prepared (the exported model does the same).
    pub preparation: Preparation,
    /// Re-recorded copies of the takes ([`super::augment`]), prepared the same way; only training uses them.
    pub copies: Vec<TakeCopy>,
}

/// A take re-recorded through another room.
pub struct TakeCopy {
    /// The item it copies.
    pub of: usize,
    /// Its prepared window.
    pub window: Vec<f32>,
}

impl VocalData {
    /// Class names in output order.
    pub fn class_names(&self) -> Vec<String> {
        self.dataset.classes.clone()
    }

    /// The readable items among `indices`.
    pub fn readable(&self, indices: &[usize]) -> Vec<usize> {
        indices.iter().copied().filter(|&i| self.windows[i].is_some()).collect()
    }
}

/// Re-recorded copies of every take ([`super::augment`]): how many, and the seed of their rooms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Augmentation {
    /// Copies per take (0: none).
    pub copies: usize,
    /// Seed of the rooms.
    pub seed: u64,
}

/// The speech corpora to load (any of them, at least one).
#[derive(Debug, Clone, Copy, Default)]
pub struct Corpora<'a> {
    /// EmoDB root.
    pub emodb: Option<&'a Path>,
    /// RAVDESS speech root.
    pub ravdess: Option<&'a Path>,
    /// SAVEE root.
    pub savee: Option<&'a Path>,
}

/// Loads the corpora given (at least one), keeps `classes`, computes features through the cache and prepares
/// each utterance's window with `preparation`, its speaker estimate formed as `speaker` says.
pub fn load(
    corpora: &Corpora<'_>,
    classes: ClassSet,
    preparation: Preparation,
    augment: Augmentation,
    speaker: SpeakerEstimate,
    cache: &Path,
) -> Result<VocalData, TrainError> {
    let invalid = |e: String| TrainError::Invalid(e);
    let mut parts = Vec::new();
    if let Some(root) = corpora.emodb {
        parts.push(emodb::load(root).map_err(|e| invalid(e.to_string()))?);
    }
    if let Some(root) = corpora.ravdess {
        parts.push(ravdess::load(root).map_err(|e| invalid(e.to_string()))?);
    }
    if let Some(root) = corpora.savee {
        parts.push(savee::load(root).map_err(|e| invalid(e.to_string()))?);
    }
    if parts.is_empty() {
        return Err(invalid("give at least one corpus: --emodb DIR, --ravdess DIR and/or --savee DIR".into()));
    }
    let merged = if parts.len() == 1 {
        parts.pop().expect("one part")
    } else {
        crate::data::speech::merge("speech", &parts).map_err(|e| invalid(e.to_string()))?
    };
    let dataset = match classes {
        ClassSet::Four => merged.filter_classes(&FOUR_CLASS_SPEECH).map_err(|e| invalid(e.to_string()))?,
        ClassSet::All => merged,
    };
    let mut cache = FeatureCache::open(cache, &frontend()).map_err(|e| invalid(e.to_string()))?;
    let (features, skipped) = dataset.features_by_item(&mut cache);
    let frames = segment_frames();
    let hop = frontend().hop_seconds() as f32;
    let mut windows: Vec<Option<Vec<f32>>> = Vec::with_capacity(features.len());
    let mut copies: Vec<TakeCopy> = Vec::new();
    // A copy's speaker is the speaker in that room: the running estimate would learn that room too.
    let mut rooms: Vec<String> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let Some(f) = f else {
            windows.push(None);
            continue;
        };
        let raw = unify(f, frames);
        for k in 0..augment.copies {
            let mut copy = raw.clone();
            let speaker = &dataset.items[i].group;
            Room::of(speaker, k, augment.seed).apply(&mut copy, BANDS, hop);
            preparation.apply(&mut copy, BANDS);
            copies.push(TakeCopy { of: i, window: copy });
            rooms.push(format!("{speaker}#{k}"));
        }
        let mut window = raw;
        preparation.apply(&mut window, BANDS);
        windows.push(Some(window));
    }
    if preparation.speaker.is_some() {
        let speakers = dataset.items.iter().map(|item| item.group.as_str());
        let takes = windows.iter_mut().zip(speakers).filter_map(|(w, s)| Some((w.as_mut()?, s)));
        subtract_speaker_means(takes, BANDS, speaker);
        let copy_windows = copies.iter_mut().map(|c| &mut c.window).zip(rooms.iter().map(String::as_str));
        subtract_speaker_means(copy_windows, BANDS, speaker);
    }
    let classes: Vec<usize> = dataset.items.iter().map(|item| item.target.class().unwrap_or(0)).collect();
    if windows.iter().filter(|w| w.is_some()).count() < 2 {
        return Err(invalid("fewer than two readable utterances".into()));
    }
    Ok(VocalData { dataset, classes, windows, skipped, frames, preparation, copies })
}
