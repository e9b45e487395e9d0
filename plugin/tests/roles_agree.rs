//! The MIDI CCs and the editor read one map of roles: for the shipped models and for a user's folder with only
//! some tasks, every CC value equals what the editor shows, and a role without a model sends nothing and
//! shows "no model".

use std::path::{Path, PathBuf};

use earmark::midi_out::{FIXED, SLOTS, slot_values, to_7bit};
use earmark_core::demo_clip::{DEMO_SAMPLE_RATE, render};
use earmark_core::engine::readout::Snapshot;
use earmark_core::engine::view::ViewBuilder;
use earmark_core::engine::{Engine, EngineSettings};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// The snapshot after the demo clip, through the engine over `models`.
fn snapshot_of(models: &Path) -> Snapshot {
    let mut engine = Engine::load(models, DEMO_SAMPLE_RATE, &EngineSettings::default());
    assert!(engine.status_mut().messages.is_empty(), "{:?}", engine.status_mut().messages);
    engine.feed(&render().0, |_, _| {});
    engine.snapshot()
}

/// Asserts that every CC slot carries what the view shows (both from the same snapshot); returns how many
/// slots carry something.
fn assert_ccs_match_the_view(snapshot: &Snapshot) -> usize {
    let view = ViewBuilder::new(10.0).update(snapshot);
    let values = slot_values(snapshot);
    let models = &snapshot.models;
    let seven = |v: Option<f32>| v.map(to_7bit);
    match view.emotion.live() {
        Some(emotion) => {
            assert_eq!(seven(values[0]), Some(to_7bit((emotion.now.valence + 1.0) / 2.0)), "valence");
            assert_eq!(seven(values[1]), Some(to_7bit((emotion.now.arousal + 1.0) / 2.0)), "arousal");
        }
        None => assert_eq!((values[0], values[1]), (None, None)),
    }
    for (section, role, confidence, class) in [
        (&view.genre, snapshot.roles.genre, 2, 3),
        (&view.vocal, snapshot.roles.vocal, 5, 4),
        (&view.style, snapshot.roles.style, 6, 7),
    ] {
        match section.live() {
            Some(ranked) => {
                let (top, p) = &ranked.ranked[0];
                let index = models[role.unwrap()].classes.iter().position(|c| c == top).unwrap();
                assert_eq!(seven(values[class]), Some(index as u8), "{top} is class {index}");
                assert_eq!(values[confidence], Some(*p));
            }
            None => assert_eq!((values[class], values[confidence]), (None, None)),
        }
    }
    // The content CCs follow the content model's scores; the editor shows its reading on the "Hears" line.
    match snapshot.roles.content.and_then(|role| role.scores(models)) {
        Some((music, speech)) => assert_eq!((values[8], values[9]), (Some(music), Some(speech)), "content"),
        None => assert_eq!((values[8], values[9]), (None, None)),
    }
    match (view.instruments.live(), &snapshot.roles.instruments) {
        (Some(instruments), Some(role)) => {
            assert_eq!(instruments.families.len(), role.families.len());
            for family in &instruments.families {
                let f = role.families.iter().position(|r| r.name == family.name).unwrap();
                if f < SLOTS - FIXED.len() {
                    assert_eq!(values[FIXED.len() + f], Some(family.presence), "family {}", family.name);
                }
            }
        }
        _ => assert!(values[FIXED.len()..].iter().all(Option::is_none)),
    }
    values.iter().filter(|v| v.is_some()).count()
}

#[test]
fn ccs_and_the_editor_agree_on_the_shipped_models() {
    let snapshot = snapshot_of(&shipped());
    let roles = &snapshot.roles;
    assert!(roles.emotion.is_some() && roles.genre.is_some() && roles.instruments.is_some() && roles.vocal.is_some());
    let families = roles.instruments.as_ref().unwrap().families.len().min(SLOTS - FIXED.len());
    // Two CCs for each of emotion, genre and vocal emotion (and style and content when they ship), one per
    // family; a readout its gate holds back sends none.
    let gates = &snapshot.gates;
    let pairs = 1
        + usize::from(gates.genre_open())
        + usize::from(gates.vocal_open())
        + usize::from(roles.style.is_some())
        + usize::from(roles.content.is_some());
    assert_eq!(assert_ccs_match_the_view(&snapshot), 2 * pairs + families, "every slot with a model is sent");
}

#[test]
fn a_folder_with_only_some_tasks_sends_and_shows_only_those() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["genre", "vocal-emotion"] {
        std::os::unix::fs::symlink(shipped().join(name), dir.path().join(name)).unwrap();
    }
    let snapshot = snapshot_of(dir.path());
    assert!(snapshot.roles.emotion.is_none() && snapshot.roles.instruments.is_none());
    assert_eq!(assert_ccs_match_the_view(&snapshot), 4, "genre and vocal emotion, two CCs each");
    let view = ViewBuilder::new(10.0).update(&snapshot);
    assert!(!view.emotion.has_model() && !view.instruments.has_model());
}
