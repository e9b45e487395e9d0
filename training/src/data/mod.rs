//! Datasets: labelled audio items with group keys, loaders for common layouts, group-aware splits.
//!
//! Every loader returns a [`Dataset`]: audio paths with a [`Target`] (a class, multi-label tags with a mask for
//! unannotated tags, or valence/arousal) and a group key (speaker, actor, track) that [`splits`] keeps on one side
//! of every split. Loaders only read names and annotation files; decoding happens later through
//! [`crate::feature_cache::FeatureCache`] ([`Dataset::features`]), which skips and reports unreadable audio.
//!
//! Loaders are strict about *labels*: a file whose label cannot be determined (a name breaking the corpus'
//! convention, an unknown class, a missing column) or an annotation without audio is an error naming the file
//! and what was expected, never a silent skip, because a quietly shrunken dataset changes every result while
//! looking fine.
//!
//! | module | corpus / layout | target | group |
//! |---|---|---|---|
//! | [`folder`] | GTZAN, Ballroom, Philharmonia: `<root>/<class>/<file>` | class | file stem |
//! | [`four_q`] | 4Q (Panda et al. 2018): `panda_dataset_taffc_metadata.csv` + `Q1…Q4/<song>.mp3` | valence/arousal tags, quadrant or genre tags | artist |
//! | [`pmemo`] | PMEmo: `annotations/static_annotations.csv` + `chorus/<id>.mp3` | valence/arousal | song |
//! | [`openmic`] | OpenMIC-2018: `openmic-2018-aggregated-labels.csv` + `audio/<key[..3]>/<key>.ogg` | instrument tags (masked) | track |
//! | [`manifest_csv`] | Earmark's CSV manifest (format in the module docs) | any | `group` column |
//! | [`emodb`] | EmoDB: `03a01Fa.wav` | speech emotion | speaker |
//! | [`savee`] | SAVEE: `DC_sa03.flac` (speaker initials, emotion code, take) | speech emotion | speaker |
//! | [`ravdess`] | RAVDESS speech: `Actor_NN/03-01-EE-II-SS-RR-AA.wav` | speech emotion | actor |

mod dataset;
mod error;

pub mod emodb;
pub mod folder;
pub mod four_q;
pub mod manifest_csv;
pub mod openmic;
pub mod pmemo;
pub mod ravdess;
pub mod savee;
pub mod speech;
pub mod splits;

pub use dataset::{Dataset, Item, ItemFeatures, SkippedItem, Target, TargetKind, VALENCE_AROUSAL};
pub use error::DataError;
pub use splits::{Fold, ValidationGroups};
