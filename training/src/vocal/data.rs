//! Loading the speech corpora for the vocal-emotion models: EmoDB, RAVDESS speech and SAVEE, merged (speakers stay
//! distinct per corpus), in the paper's 4-class setting or with every emotion, each utterance unified to the
//! paper's 8 s of frames.

use std::path::Path;

use super::augment::{Room, Rooms};
use super::input::{BANDS, Preparation, SpeakerEstimate, frontend, segment_frames, subtract_speaker_means, unify};
use crate::data::speech::FOUR_CLASS_SPEECH;
use crate::data::{Dataset, emodb, ravdess, savee};
use crate::feature_cache::FeatureCache;
use crate::train::TrainError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which emotions to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ClassSet {
    /// Neutral, anger, happiness, sadness (the paper's setting).
    Four,
    /// Every emotion either corpus labels.
    All,
    /// The emotions every loaded corpus labels (EmoDB, RAVDESS and SAVEE share six: neutral, happiness, sadness,
    /// anger, fear, disgust): leaving a corpus out then tests only classes the training corpora teach, where
    /// `all` scores RAVDESS' calm or EmoDB's boredom against a model that never heard them.
    Shared,
}

/// The classes a corpus has takes of (not merely lists).
fn labelled_classes(corpus: &Dataset) -> Vec<String> {
    corpus.class_counts().iter().zip(&corpus.classes).filter(|(n, _)| **n > 0).map(|(_, c)| c.clone()).collect()
}

/// The classes of `merged` (in its order) that every corpus has takes of, given each corpus's
/// [`labelled_classes`].
fn shared_classes(merged: &[String], labelled: &[Vec<String>]) -> Vec<String> {
    merged.iter().filter(|name| labelled.iter().all(|l| l.contains(name))).cloned().collect()
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
    /// Training-only copies of the takes: re-recorded through other rooms ([`super::augment`]) and short
    /// excerpts, prepared the same way.
    pub copies: Vec<TakeCopy>,
    /// Every take re-recorded through a room of its speaker's own that no training copy uses, prepared with the
    /// speaker estimate formed in that room (index-aligned with `windows`): what the room check scores the test
    /// takes on. Empty unless asked for (`--test-rooms`).
    pub in_room: Vec<Option<Vec<f32>>>,
}

/// A training-only copy of a take: re-recorded through another room, a short excerpt of it, or under another draw
/// of its speaker estimate.
#[derive(Debug, Clone, PartialEq)]
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

/// Training-only copies of every take: re-recorded ones ([`super::augment`]) and excerpts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Augmentation {
    /// Re-recorded copies per take (0: none).
    pub copies: usize,
    /// Excerpts per take (0: none): a random stretch of [`EXCERPT_SECONDS`] of the prepared take, prepared as the
    /// engine prepares a take that short (repeated to fill the window, its own level out) — so a phrase's first
    /// seconds and the whole phrase are taught to read alike.
    pub excerpts: usize,
    /// Copies of every take under other draws of the takes behind its speaker estimate (0: none; needs an estimate
    /// from other takes): which few takes form the estimate moves a held-out corpus' figures by several points,
    /// so the stream is taught to read a take alike under any of them.
    pub estimate_draws: usize,
    /// The rooms the re-recorded copies are drawn from.
    pub rooms: Rooms,
    /// Seed of the rooms and the excerpts.
    pub seed: u64,
}

/// A copy of every readable prepared take (`windows`, before the speaker means come out) under each of `draws`
/// further draws of its speaker estimate's other takes; `None` when the estimate is not drawn from other takes.
fn estimate_draw_copies(
    windows: &[Option<Vec<f32>>],
    speakers: &[&str],
    draws: usize,
    estimate: SpeakerEstimate,
) -> Option<Vec<TakeCopy>> {
    let SpeakerEstimate::OtherTakes { count, seed } = estimate else { return None };
    let mut copies = Vec::new();
    for draw in 1..=draws as u64 {
        // Far from the seeds a run's own draw takes (`--seed`, `--speaker-draw-seed`), so no copy repeats it.
        let estimate = SpeakerEstimate::OtherTakes { count, seed: seed ^ (draw << 40) };
        let mut drawn: Vec<(usize, Vec<f32>)> =
            windows.iter().enumerate().filter_map(|(i, w)| Some((i, w.clone()?))).collect();
        subtract_speaker_means(drawn.iter_mut().map(|(i, w)| (w, speakers[*i])), BANDS, estimate);
        copies.extend(drawn.into_iter().map(|(of, window)| TakeCopy { of, window }));
    }
    Some(copies)
}

/// The copy number of a speaker's test room in [`Room::of`]: far past any `--augment` copy, so the room check's
/// rooms are never ones the training takes were re-recorded in.
pub const TEST_ROOM_COPY: usize = 1 << 20;

/// A raw take bound for a room: its window (`frames × bands` dB), the name its speaker estimate is formed under
/// (the speaker in that room), and the room; `None` for an unreadable take.
type RoomTake<'a> = Option<(Vec<f32>, &'a str, Room)>;

/// Each raw take re-recorded through its room and prepared as `preparation` says, the speaker means formed from the
/// takes under the same name as `estimate` draws them — as the plugin's running estimate learns the room a vocal
/// was recorded in. The one way both the `--augment` copies and the room check's takes are made. `None` stays
/// `None`; an estimate's draw follows the take's place among the readable ones.
fn in_rooms<'a>(
    takes: impl IntoIterator<Item = RoomTake<'a>>,
    preparation: &Preparation,
    estimate: SpeakerEstimate,
) -> Vec<Option<Vec<f32>>> {
    let hop = frontend().hop_seconds() as f32;
    let mut takes: Vec<Option<(Vec<f32>, &str)>> = takes
        .into_iter()
        .map(|take| {
            take.map(|(mut window, name, room)| {
                room.apply(&mut window, BANDS, hop);
                preparation.apply(&mut window, BANDS);
                (window, name)
            })
        })
        .collect();
    if preparation.speaker.is_some() {
        subtract_speaker_means(takes.iter_mut().flatten().map(|(w, s)| (w, *s)), BANDS, estimate);
    }
    takes.into_iter().map(|take| take.map(|(window, _)| window)).collect()
}

/// Shortest and longest excerpt in seconds: the shortest phrase (1.5 s) up to half the 8 s window.
pub const EXCERPT_SECONDS: std::ops::Range<f64> = 1.5..4.0;

/// The excerpts of one prepared take: `count` random stretches, drawn from the take's index and the seed.
fn excerpts(preparation: &Preparation, window: &[f32], item: usize, count: usize, seed: u64) -> Vec<Vec<f32>> {
    let frames = window.len() / BANDS;
    let hop = frontend().hop_seconds();
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ item as u64);
    (0..count)
        .map(|_| {
            let keep = (rng.random_range(EXCERPT_SECONDS) / hop).round() as usize;
            let start = rng.random_range(0..frames.max(1));
            preparation.excerpt(window, start, keep, BANDS)
        })
        .collect()
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
/// each utterance's window with `preparation`, its speaker estimate formed as `speaker` says; with `test_rooms`,
/// also each utterance in a room of its speaker's own drawn from those rooms ([`VocalData::in_room`]).
pub fn load(
    corpora: &Corpora<'_>,
    classes: ClassSet,
    preparation: Preparation,
    augment: Augmentation,
    speaker: SpeakerEstimate,
    test_rooms: Option<Rooms>,
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
    // What each corpus has takes of, read before the corpora merge.
    let labelled: Vec<Vec<String>> =
        if classes == ClassSet::Shared { parts.iter().map(labelled_classes).collect() } else { Vec::new() };
    let merged = if parts.len() == 1 {
        parts.pop().expect("one part")
    } else {
        crate::data::speech::merge("speech", &parts).map_err(|e| invalid(e.to_string()))?
    };
    let dataset = match classes {
        ClassSet::Four => merged.filter_classes(&FOUR_CLASS_SPEECH).map_err(|e| invalid(e.to_string()))?,
        ClassSet::All => merged,
        ClassSet::Shared => {
            let shared = shared_classes(&merged.classes, &labelled);
            merged
                .filter_classes(&shared.iter().map(String::as_str).collect::<Vec<_>>())
                .map_err(|e| invalid(e.to_string()))?
        }
    };
    let mut cache = FeatureCache::open(cache, &frontend()).map_err(|e| invalid(e.to_string()))?;
    let (features, skipped) = dataset.features_by_item(&mut cache);
    let frames = segment_frames();
    let mut windows: Vec<Option<Vec<f32>>> = Vec::with_capacity(features.len());
    // Re-recorded copies: the item each copies, its raw window and room, and its speaker in that room (the running
    // estimate would learn that room too).
    let (mut copy_of, mut copy_raw, mut copy_names) = (Vec::new(), Vec::new(), Vec::new());
    let mut test_takes: Vec<RoomTake<'_>> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let Some(f) = f else {
            windows.push(None);
            test_takes.extend(test_rooms.map(|_| None));
            continue;
        };
        let raw = unify(f, frames);
        let speaker = dataset.items[i].group.as_str();
        if let Some(rooms) = test_rooms {
            test_takes.push(Some((raw.clone(), speaker, Room::of(rooms, speaker, TEST_ROOM_COPY, augment.seed))));
        }
        for k in 0..augment.copies {
            copy_of.push(i);
            copy_raw.push((raw.clone(), Room::of(augment.rooms, speaker, k, augment.seed)));
            copy_names.push(format!("{speaker}#{k}"));
        }
        let mut window = raw;
        preparation.apply(&mut window, BANDS);
        windows.push(Some(window));
    }
    let re_recorded = copy_raw.into_iter().zip(&copy_names).map(|((raw, room), name)| Some((raw, name.as_str(), room)));
    let mut copies: Vec<TakeCopy> = copy_of
        .into_iter()
        .zip(in_rooms(re_recorded, &preparation, speaker))
        .map(|(of, window)| TakeCopy { of, window: window.expect("copies are of readable takes") })
        .collect();
    if augment.estimate_draws > 0 {
        let speakers: Vec<&str> = dataset.items.iter().map(|item| item.group.as_str()).collect();
        let drawn = (preparation.speaker.is_some())
            .then(|| estimate_draw_copies(&windows, &speakers, augment.estimate_draws, speaker))
            .flatten()
            .ok_or_else(|| {
                invalid(
                    "copies under other estimate draws need speaker means from other takes (--speaker-takes K)".into(),
                )
            })?;
        copies.extend(drawn);
    }
    if preparation.speaker.is_some() {
        let speakers = dataset.items.iter().map(|item| item.group.as_str());
        let takes = windows.iter_mut().zip(speakers).filter_map(|(w, s)| Some((w.as_mut()?, s)));
        subtract_speaker_means(takes, BANDS, speaker);
    }
    // Excerpts are cut from the prepared takes, speaker means out: the engine's running estimate is the voice's,
    // however short the phrase.
    for (i, window) in windows.iter().enumerate() {
        if let Some(window) = window {
            let cut = excerpts(&preparation, window, i, augment.excerpts, augment.seed);
            copies.extend(cut.into_iter().map(|window| TakeCopy { of: i, window }));
        }
    }
    let in_room = in_rooms(test_takes, &preparation, speaker);
    let classes: Vec<usize> = dataset.items.iter().map(|item| item.target.class().unwrap_or(0)).collect();
    if windows.iter().filter(|w| w.is_some()).count() < 2 {
        return Err(invalid("fewer than two readable utterances".into()));
    }
    Ok(VocalData { dataset, classes, windows, skipped, frames, preparation, copies, in_room })
}

/// Whether each (corpus, class) cell of the training takes weighs the same in the frame stream's loss.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Balance {
    /// Every take weighs the same: the largest corpus (RAVDESS has about half the 4-class takes) sets the decision
    /// boundaries.
    #[default]
    None,
    /// Every (corpus, class) cell weighs the same in total, so no corpus and no class within a corpus outweighs
    /// another: the cross-corpus literature's corpus-balanced sampling, as loss weights.
    CorpusClass,
}

impl Balance {
    /// Every take alike (the default).
    pub fn is_none(&self) -> bool {
        *self == Self::None
    }
}

/// Loss weights for takes given as (speaker group, class): each non-empty (corpus, class) cell gets the same total,
/// scaled so that the weights' mean is 1. A group's corpus is the part before its `:` (the merged corpora's
/// `corpus:speaker`); a group without one is a corpus of its own name.
pub fn corpus_class_weights<'a>(takes: impl IntoIterator<Item = (&'a str, usize)>) -> Vec<f32> {
    let cells: Vec<(&str, usize)> = takes.into_iter().map(|(group, class)| (corpus_name(group), class)).collect();
    let mut counts: std::collections::HashMap<(&str, usize), usize> = std::collections::HashMap::new();
    for cell in &cells {
        *counts.entry(*cell).or_default() += 1;
    }
    let per_cell = cells.len() as f64 / counts.len().max(1) as f64;
    cells.iter().map(|cell| (per_cell / counts[cell] as f64) as f32).collect()
}

/// A group's corpus for the weights and the adversary: its merged corpus, or the group itself in an unmerged set.
fn corpus_name(group: &str) -> &str {
    Dataset::corpus_of(group).unwrap_or(group)
}

/// Each take's corpus as an index (`0..n`, corpora numbered in name order), for the corpus adversary; groups as in
/// [`corpus_class_weights`].
pub fn corpus_indices<'a>(groups: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let corpora: Vec<&str> = groups.into_iter().map(corpus_name).collect();
    let mut names = corpora.clone();
    names.sort_unstable();
    names.dedup();
    corpora.iter().map(|c| names.binary_search(c).expect("listed")).collect()
}

#[cfg(test)]
mod tests {
    use super::{
        BANDS, EXCERPT_SECONDS, Preparation, corpus_class_weights, corpus_indices, excerpts, frontend,
        labelled_classes, segment_frames, shared_classes,
    };
    use crate::data::{Dataset, Item, Target, TargetKind};

    fn corpus(name: &str, classes: &[&str], labelled: &[usize]) -> Dataset {
        let items = labelled
            .iter()
            .enumerate()
            .map(|(i, &c)| Item {
                path: format!("{name}/{i}.wav").into(),
                group: name.into(),
                target: Target::Class(c),
            })
            .collect();
        let classes = classes.iter().map(|c| c.to_string()).collect();
        Dataset::new(name, TargetKind::SingleLabel, classes, None, items).unwrap()
    }

    /// `--classes shared` keeps what every corpus has takes of — not what a corpus only lists — in the merged order.
    #[test]
    fn the_shared_classes_are_those_every_corpus_has_takes_of() {
        let a = corpus("a", &["neutral", "anger", "boredom", "fear"], &[0, 1, 2, 3]);
        let b = corpus("b", &["neutral", "calm", "anger", "fear"], &[0, 1, 2]);
        let merged = corpus("ab", &["neutral", "calm", "anger", "fear", "boredom"], &[0, 1, 2, 3, 4]);
        assert_eq!(
            shared_classes(&merged.classes, &[labelled_classes(&a), labelled_classes(&b)]),
            ["neutral", "anger"]
        );
    }

    #[test]
    fn excerpts_are_seeded_stretches_of_one_and_a_half_to_four_seconds() {
        let frames = segment_frames();
        // Frame t holds t dB in every band, so a piece's frames name where they came from.
        let window: Vec<f32> = (0..frames).flat_map(|t| vec![t as f32; BANDS]).collect();
        let preparation = Preparation::VOICED;
        let cut = excerpts(&preparation, &window, 3, 4, 1);
        assert_eq!(cut.len(), 4);
        assert_eq!(cut, excerpts(&preparation, &window, 3, 4, 1), "the same take and seed, the same excerpts");
        assert_ne!(cut, excerpts(&preparation, &window, 4, 4, 1), "another take, other excerpts");
        let hop = frontend().hop_seconds();
        for piece in &cut {
            let first: Vec<f32> = piece.chunks_exact(BANDS).map(|f| f[0]).collect();
            // A contiguous stretch (wrapping at the window's end), then the same stretch again.
            let keep = (1..frames).find(|&k| first[k] == first[0]).unwrap_or(frames);
            assert!(first[..keep].windows(2).all(|w| w[1] == (w[0] + 1.0) % frames as f32), "{:?}", &first[..keep]);
            assert!((0..frames).all(|t| first[t] == first[t % keep]));
            let seconds = keep as f64 * hop;
            assert!(EXCERPT_SECONDS.contains(&seconds) || (seconds - EXCERPT_SECONDS.end).abs() < hop, "{seconds}");
        }
        assert!(excerpts(&preparation, &window, 3, 0, 1).is_empty());
    }

    /// Each further draw copies every readable take with another estimate (other takes of its own speaker only):
    /// the copy differs from the take's own draw, repeats under the same seed, and needs an estimate from other
    /// takes.
    #[test]
    fn estimate_draw_copies_subtract_other_draws_of_the_speakers_own_takes() {
        use super::estimate_draw_copies;
        use crate::vocal::input::{SpeakerEstimate, subtract_speaker_means};
        // Two speakers of five one-frame takes each, every band of take k of speaker s at 10 s + k.
        let take = |s: usize, k: usize| vec![(10 * s + k) as f32; BANDS];
        let windows: Vec<Option<Vec<f32>>> =
            (0..10).map(|i| if i == 7 { None } else { Some(take(i / 5, i % 5)) }).collect();
        let speakers: Vec<&str> = (0..10).map(|i| if i < 5 { "a" } else { "b" }).collect();
        let estimate = SpeakerEstimate::OtherTakes { count: 2, seed: 1 };
        let copies = estimate_draw_copies(&windows, &speakers, 3, estimate).unwrap();
        assert_eq!(copies.len(), 3 * 9, "three copies of each readable take");
        let mut own: Vec<(usize, Vec<f32>)> =
            windows.iter().enumerate().filter_map(|(i, w)| Some((i, w.clone()?))).collect();
        subtract_speaker_means(own.iter_mut().map(|(i, w)| (w, speakers[*i])), BANDS, estimate);
        let own: std::collections::HashMap<usize, Vec<f32>> = own.into_iter().collect();
        for copy in &copies {
            let value = copy.window[0];
            let first = 10.0 * (copy.of / 5) as f32;
            // The take minus the mean of two other takes of its speaker (values first … first + 4).
            let estimate = (10 * (copy.of / 5) + copy.of % 5) as f32 - value;
            assert!((first..=first + 4.0).contains(&estimate) && copy.window.iter().all(|&v| v == value), "{copy:?}");
        }
        let differs = copies.iter().filter(|c| c.window != own[&c.of]).count();
        assert!(
            differs > copies.len() / 2,
            "only {differs} of {} copies differ from the take's own draw",
            copies.len()
        );
        assert_eq!(estimate_draw_copies(&windows, &speakers, 3, estimate).unwrap(), copies);
        assert!(estimate_draw_copies(&windows, &speakers, 1, SpeakerEstimate::AllTakes).is_none());
    }

    /// A microphone's tilt is a constant per band in dB: formed in the same room, the speaker estimate takes it
    /// out exactly, so a tilt-only room leaves the prepared takes as recorded (to 0.001 dB); noise does not come
    /// out (here it moves a take by 0.8 dB).
    #[test]
    fn takes_in_a_room_are_normalised_by_the_estimate_formed_in_that_room() {
        use super::in_rooms;
        use crate::vocal::augment::Room;
        use crate::vocal::input::{Preparation, SpeakerEstimate, subtract_speaker_means};
        // Two speakers of four steady 20-frame takes, each take its own spectral shape.
        let take = |s: usize, k: usize| -> Vec<f32> {
            let frame: Vec<f32> = (0..BANDS)
                .map(|m| -30.0 - 0.1 * m as f32 + (k as f32 * 0.7 + s as f32) * (m as f32 * 0.05).sin())
                .collect();
            frame.repeat(20)
        };
        let speakers = ["a", "a", "a", "a", "b", "b", "b", "b"];
        let raw: Vec<Option<(Vec<f32>, &str)>> =
            (0..9).map(|i| (i != 8).then(|| (take(i / 4, i % 4), speakers[i.min(7)]))).collect();
        let (preparation, estimate) = (Preparation::SPEAKER_LEVEL, SpeakerEstimate::OtherTakes { count: 2, seed: 3 });
        let mut clean: Vec<(Vec<f32>, &str)> = raw.iter().flatten().cloned().collect();
        clean.iter_mut().for_each(|(w, _)| preparation.apply(w, BANDS));
        subtract_speaker_means(clean.iter_mut().map(|(w, s)| (w, *s)), BANDS, estimate);
        let tilted = |s: &str| Room { tilt_db: if s == "a" { 6.0 } else { -4.0 }, t60: 0.3, wet: 0.0, snr_db: 200.0 };
        let in_room = in_rooms(raw.iter().cloned().map(|t| t.map(|(w, s)| (w, s, tilted(s)))), &preparation, estimate);
        assert!(in_room[8].is_none());
        for (i, (window, _)) in clean.iter().enumerate() {
            let room = in_room[i].as_ref().unwrap();
            let worst = room.iter().zip(window).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "take {i}: the tilt left {worst} dB");
        }
        let noisy = |_: &str| Room { tilt_db: 0.0, t60: 0.3, wet: 0.0, snr_db: 0.0 };
        let in_noise = in_rooms(raw.into_iter().map(|t| t.map(|(w, s)| (w, s, noisy(s)))), &preparation, estimate);
        let moved =
            in_noise[0].as_ref().unwrap().iter().zip(&clean[0].0).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(moved > 0.1, "noise at 0 dB SNR moved the take by only {moved} dB");
    }

    #[test]
    fn corpora_are_numbered_in_name_order() {
        assert_eq!(corpus_indices(["savee:DC", "emodb:03", "savee:JE", "ravdess:01"]), [2, 0, 2, 1]);
    }

    #[test]
    fn every_corpus_and_class_cell_weighs_the_same_and_the_mean_weight_is_one() {
        // RAVDESS-like: 6 angry + 2 neutral; SAVEE-like: 1 angry + 1 neutral.
        let mut takes = vec![("ravdess:01", 1); 6];
        takes.extend([("ravdess:02", 0); 2]);
        takes.extend([("savee:DC", 1), ("savee:JE", 0)]);
        let w = corpus_class_weights(takes.iter().copied());
        assert_eq!(w.len(), 10);
        let total = |corpus: &str, class: usize| -> f32 {
            takes.iter().zip(&w).filter(|((g, c), _)| g.starts_with(corpus) && *c == class).map(|(_, w)| w).sum()
        };
        for (corpus, class) in [("ravdess", 0), ("ravdess", 1), ("savee", 0), ("savee", 1)] {
            assert!((total(corpus, class) - 2.5).abs() < 1e-5, "{corpus} {class}: {w:?}");
        }
        assert!((w.iter().sum::<f32>() / 10.0 - 1.0).abs() < 1e-6);
        // One corpus, balanced classes: every weight 1.
        assert!(corpus_class_weights([("a", 0), ("b", 1)]).iter().all(|&w| (w - 1.0).abs() < 1e-6));
    }
}
