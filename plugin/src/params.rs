//! The plugin's parameters and persisted settings.
//!
//! Automatable timing parameters write straight into the engine's [`LiveSettings`] (atomics) from whatever
//! thread the host sets them on; the models folder and device are persisted with the plugin state and applied
//! by reloading the worker.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use earmark_core::engine::LiveSettings;
use earmark_core::runtime::Device;
use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};

use crate::midi_out::{CcNumbers, MAX_FAMILIES};

/// The editor's size when the project has none saved (logical points).
pub const DEFAULT_EDITOR_SIZE: (u32, u32) = (720, 540);

/// Settings that are not automatable parameters but belong to the project (saved with the plugin state).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredSettings {
    /// The user's models folder; `None` = the models inside the bundle.
    pub models_dir: Option<PathBuf>,
    /// Requested device.
    pub device: Device,
}

/// MIDI CC number parameter from −1 (off) to `max`.
fn cc_param(name: &str, default: i32, max: i32) -> IntParam {
    IntParam::new(name, default, IntRange::Linear { min: -1, max })
        .with_value_to_string(Arc::new(|v| if v < 0 { "off".into() } else { format!("CC {v}") }))
        .with_string_to_value(Arc::new(|s| {
            let s = s.trim().trim_start_matches("CC").trim();
            if s.eq_ignore_ascii_case("off") { Some(-1) } else { s.parse().ok() }
        }))
}

/// Everything the host saves and automates.
#[derive(Params)]
pub struct EarmarkParams {
    /// Models folder and device.
    #[persist = "settings"]
    pub stored: RwLock<StoredSettings>,
    /// Seconds between readout updates.
    #[id = "update"]
    pub update_interval: FloatParam,
    /// Smoothing time constant in seconds.
    #[id = "smooth"]
    pub smoothing: FloatParam,
    /// MIDI channel of the CC output (1–16).
    #[id = "ccchan"]
    pub cc_channel: IntParam,
    /// CC for valence.
    #[id = "ccval"]
    pub cc_valence: IntParam,
    /// CC for arousal.
    #[id = "ccaro"]
    pub cc_arousal: IntParam,
    /// CC for the top genre's confidence.
    #[id = "ccgen"]
    pub cc_genre_confidence: IntParam,
    /// CC for the top genre's index (value = class index).
    #[id = "ccgcls"]
    pub cc_genre_class: IntParam,
    /// CC for the top vocal emotion's index (value = class index).
    #[id = "ccvcls"]
    pub cc_vocal_class: IntParam,
    /// CC for the top vocal emotion's probability.
    #[id = "ccvoc"]
    pub cc_vocal_confidence: IntParam,
    /// CC for the top style's probability.
    #[id = "ccsty"]
    pub cc_style_confidence: IntParam,
    /// CC for the top style's index (value = class index).
    #[id = "ccscls"]
    pub cc_style_class: IntParam,
    /// CC for the content model's P(music).
    #[id = "ccmus"]
    pub cc_music: IntParam,
    /// CC for the content model's P(speech).
    #[id = "ccspch"]
    pub cc_speech: IntParam,
    /// First of [`MAX_FAMILIES`] consecutive CCs, one per instrument family in the model's hierarchy order.
    #[id = "ccinst"]
    pub cc_instruments: IntParam,
    /// The editor window's size (logical points), remembered with the project.
    #[persist = "editor-size"]
    pub editor_size: RwLock<(u32, u32)>,
    /// The worker's live settings (not a parameter): the editor tells it when it draws, so readouts nobody sees
    /// can slow down (see `earmark_core::engine::watch`).
    pub live: Arc<LiveSettings>,
}

impl EarmarkParams {
    /// The engine settings these parameters and persisted settings describe right now.
    pub fn engine_settings(&self) -> earmark_core::engine::EngineSettings {
        let stored = self.stored.read().map(|s| s.clone()).unwrap_or_default();
        earmark_core::engine::EngineSettings {
            update_interval: f64::from(self.update_interval.value()),
            smoothing: f64::from(self.smoothing.value()),
            device: stored.device,
            models_dir: stored.models_dir,
            // The plugin's readouts move at the update interval; analysing at each model's hop is for catalogues.
            pace: earmark_core::engine::Pace::Interval,
        }
    }

    /// The CC numbers the parameters assign now (audio thread: plain loads, no allocation).
    pub fn cc_numbers(&self) -> CcNumbers {
        CcNumbers {
            fixed: [
                self.cc_valence.value(),
                self.cc_arousal.value(),
                self.cc_genre_confidence.value(),
                self.cc_genre_class.value(),
                self.cc_vocal_class.value(),
                self.cc_vocal_confidence.value(),
                self.cc_style_confidence.value(),
                self.cc_style_class.value(),
                self.cc_music.value(),
                self.cc_speech.value(),
            ],
            families: self.cc_instruments.value(),
        }
    }

    /// Parameters whose timing values feed `live`.
    pub fn new(live: Arc<LiveSettings>) -> Self {
        let defaults = earmark_core::engine::EngineSettings::default();
        let on_update = live.clone();
        let on_smoothing = live.clone();
        Self {
            stored: RwLock::new(StoredSettings::default()),
            update_interval: FloatParam::new(
                "Update interval",
                defaults.update_interval as f32,
                FloatRange::Skewed { min: 0.1, max: 5.0, factor: FloatRange::skew_factor(-1.0) },
            )
            .with_unit(" s")
            .with_value_to_string(formatters::v2s_f32_rounded(2))
            .with_callback(Arc::new(move |v| on_update.set_update_interval(f64::from(v)))),
            smoothing: FloatParam::new(
                "Smoothing",
                defaults.smoothing as f32,
                FloatRange::Skewed { min: 0.0, max: 10.0, factor: FloatRange::skew_factor(-1.0) },
            )
            .with_unit(" s")
            .with_value_to_string(formatters::v2s_f32_rounded(2))
            .with_callback(Arc::new(move |v| on_smoothing.set_smoothing(f64::from(v)))),
            cc_channel: IntParam::new("CC channel", 1, IntRange::Linear { min: 1, max: 16 }),
            cc_valence: cc_param("CC valence", 20, 127),
            cc_arousal: cc_param("CC arousal", 21, 127),
            cc_genre_confidence: cc_param("CC genre confidence", 22, 127),
            cc_genre_class: cc_param("CC genre class", 23, 127),
            cc_vocal_class: cc_param("CC vocal emotion class", 24, 127),
            cc_vocal_confidence: cc_param("CC vocal emotion confidence", 25, 127),
            cc_style_confidence: cc_param("CC style confidence", 26, 127),
            cc_style_class: cc_param("CC style class", 27, 127),
            cc_music: cc_param("CC content music", 28, 127),
            cc_speech: cc_param("CC content speech", 29, 127),
            // The last family's CC must still be a controller number.
            cc_instruments: cc_param("CC instrument families (first of 16)", 32, 128 - MAX_FAMILIES as i32),
            editor_size: RwLock::new(DEFAULT_EDITOR_SIZE),
            live,
        }
    }
}
