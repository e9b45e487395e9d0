//! Loading the speech corpora for the vocal-emotion models: EmoDB, RAVDESS speech and SAVEE, merged (speakers stay
//! distinct per corpus), in the paper's 4-class setting or with every emotion, each utterance unified to the
//! paper's 8 s of frames.

use std::path::Path;

use super::input::{Preparation, frontend, segment_frames, subtract_speaker_means, unify};
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
/// each utterance's window with `preparation`.
pub fn load(
    corpora: &Corpora<'_>,
    classes: ClassSet,
    preparation: Preparation,
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
    let mut windows: Vec<Option<Vec<f32>>> = features
        .iter()
        .map(|f| {
            f.as_ref().map(|f| {
                let mut window = unify(f, frames);
                preparation.apply(&mut window, f.ncols());
                window
            })
        })
        .collect();
    if preparation.speaker.is_some() {
        let speakers: Vec<&str> = dataset.items.iter().map(|item| item.group.as_str()).collect();
        subtract_speaker_means(&mut windows, &speakers, super::input::BANDS);
    }
    let classes: Vec<usize> = dataset.items.iter().map(|item| item.target.class().unwrap_or(0)).collect();
    if windows.iter().filter(|w| w.is_some()).count() < 2 {
        return Err(invalid("fewer than two readable utterances".into()));
    }
    Ok(VocalData { dataset, classes, windows, skipped, frames, preparation })
}
