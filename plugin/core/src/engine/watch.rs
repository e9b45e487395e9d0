//! Which readouts someone can see, so that work goes where it is watched.
//!
//! A readout is watched while the editor is open (it shows every readout) or while one of its MIDI CCs is switched
//! on (an automation lane or a mapped control reads it). A readout nobody can see keeps running, so that it is
//! current when someone looks, but updates only every [`UNWATCHED_SECONDS`] instead of every update interval: with
//! Earmark on 32 tracks and one editor open, 31 instances' unseen readouts cost an eighth of their watched rate.
//! A readout that gates another is watched as much as what it gates: the content model gates genre and vocal
//! emotion, and the instrument model's `voice` tag gates vocal emotion.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use atomic_float::AtomicF64;

use super::roles::Roles;

/// Seconds between updates of a readout nobody can see (instead of the update interval, when that is shorter).
pub const UNWATCHED_SECONDS: f64 = 4.0;

/// The editor counts as open while it drew a frame this recently (it repaints every 100 ms while open).
pub const EDITOR_SEEN_SECONDS: f64 = 1.0;

/// A readout of the plugin, as far as watching goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readout {
    /// Valence/arousal.
    Emotion,
    /// Genre.
    Genre,
    /// Style.
    Style,
    /// Vocal emotion.
    Vocal,
    /// Instrument families and tags.
    Instruments,
    /// Music / speech.
    Content,
    /// Any other model (drawn in the editor only; no CC).
    Other,
}

/// A set of watched readouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched(u8);

impl Watched {
    /// Every readout (the editor is open).
    pub const ALL: Watched = Watched(0x7f);
    /// None.
    pub const NONE: Watched = Watched(0);

    /// This set plus `readout`.
    #[must_use]
    pub fn with(self, readout: Readout) -> Self {
        Watched(self.0 | 1 << readout as u8)
    }

    /// Whether `readout` is in the set.
    pub fn has(self, readout: Readout) -> bool {
        self.0 & (1 << readout as u8) != 0
    }

    /// The readouts that must keep their full rate: the watched ones and whatever gates them.
    #[must_use]
    pub fn with_gates(self) -> Self {
        let mut needed = self;
        if self.has(Readout::Genre) || self.has(Readout::Vocal) {
            needed = needed.with(Readout::Content);
        }
        if self.has(Readout::Vocal) {
            needed = needed.with(Readout::Instruments);
        }
        needed
    }

    /// Whether the model at `index` updates at the full rate, given the engine's `roles`.
    pub fn runs_at_full_rate(self, roles: &Roles, index: usize) -> bool {
        let needed = self.with_gates();
        let readout = if roles.emotion.as_ref().is_some_and(|r| r.model == index) {
            Readout::Emotion
        } else if roles.genre == Some(index) {
            Readout::Genre
        } else if roles.style == Some(index) {
            Readout::Style
        } else if roles.vocal == Some(index) {
            Readout::Vocal
        } else if roles.instruments.as_ref().is_some_and(|r| r.model == index) {
            Readout::Instruments
        } else if roles.content.as_ref().is_some_and(|r| r.model == index) {
            Readout::Content
        } else {
            Readout::Other
        };
        needed.has(readout)
    }
}

/// Seconds on a clock every thread of the process shares.
fn now() -> f64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// What the plugin tells the worker about who watches: written from the audio thread (the CCs switched on, read
/// with the parameters every block) and the editor (each frame it draws), read by the worker. Plain atomics,
/// real-time safe.
#[derive(Debug)]
pub struct WatchState {
    by_ccs: AtomicU8,
    editor_drawn_at: AtomicF64,
}

impl Default for WatchState {
    /// Everything watched until the plugin says otherwise (`earmark analyze` and tests never do).
    fn default() -> Self {
        Self { by_ccs: AtomicU8::new(Watched::ALL.0), editor_drawn_at: AtomicF64::new(f64::NEG_INFINITY) }
    }
}

impl WatchState {
    /// The readouts with a CC switched on; real-time safe.
    pub fn set_by_ccs(&self, watched: Watched) {
        self.by_ccs.store(watched.0, Ordering::Relaxed);
    }

    /// The editor drew a frame.
    pub fn editor_drawn(&self) {
        self.editor_drawn_at.store(now(), Ordering::Relaxed);
    }

    /// What is watched now: everything while the editor is open, else the readouts with a CC on.
    pub fn watched(&self) -> Watched {
        if now() - self.editor_drawn_at.load(Ordering::Relaxed) <= EDITOR_SEEN_SECONDS {
            Watched::ALL
        } else {
            Watched(self.by_ccs.load(Ordering::Relaxed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_are_watched_with_what_they_gate() {
        let vocal = Watched::NONE.with(Readout::Vocal).with_gates();
        assert!(vocal.has(Readout::Content) && vocal.has(Readout::Instruments) && !vocal.has(Readout::Genre));
        let genre = Watched::NONE.with(Readout::Genre).with_gates();
        assert!(genre.has(Readout::Content) && !genre.has(Readout::Instruments));
        assert_eq!(Watched::NONE.with(Readout::Emotion).with_gates(), Watched::NONE.with(Readout::Emotion));
        assert!(Watched::ALL.has(Readout::Other) && !Watched::NONE.has(Readout::Other));
    }

    #[test]
    fn an_open_editor_watches_everything_and_a_closed_one_leaves_the_ccs() {
        let state = WatchState::default();
        assert_eq!(state.watched(), Watched::ALL, "until the plugin says otherwise");
        let emotion = Watched::NONE.with(Readout::Emotion);
        state.set_by_ccs(emotion);
        assert_eq!(state.watched(), emotion);
        state.editor_drawn();
        assert_eq!(state.watched(), Watched::ALL);
        state.editor_drawn_at.store(now() - 2.0 * EDITOR_SEEN_SECONDS, Ordering::Relaxed);
        assert_eq!(state.watched(), emotion, "closed a while ago");
    }
}
