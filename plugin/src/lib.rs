//! Earmark as a CLAP/VST3 plugin.
//!
//! Three parts, one narrow way between each: the audio thread ([`Plugin::process`]) only hands audio to the
//! engine's [`AudioInput`] and turns the latest snapshot into MIDI CCs; the engine's worker thread (one per
//! instance, started in `activate`) does all analysis; the editor reads snapshots from its own triple buffer.
//! Audio passes through untouched (bit-exact) with zero latency.

mod editor;
pub mod midi_out;
mod params;

use std::sync::{Arc, Mutex};

use earmark_core::engine::input::AudioInput;
use earmark_core::engine::readout::Snapshot;
use earmark_core::engine::worker::{Spawned, WorkerHandle, spawn};
use earmark_core::engine::{EngineSettings, LiveSettings, default_models_dir};
use nice_plug::prelude::*;
use triple_buffer::Output;

pub use params::{EarmarkParams, StoredSettings};

/// Seconds of audio the queue to the worker holds: plenty for a worker that stalls on a slow first inference.
const QUEUE_SECONDS: f64 = 4.0;

/// What exists only while the plugin is active.
struct Active {
    input: AudioInput,
    worker: WorkerHandle,
    /// The audio thread's snapshot reader (for MIDI CCs).
    snapshots: Output<Snapshot>,
}

/// The plugin.
pub struct Earmark {
    params: Arc<EarmarkParams>,
    live: Arc<LiveSettings>,
    active: Option<Active>,
    /// The editor's snapshot reader, handed over on every activation. Only non-audio threads lock it.
    editor_snapshots: Arc<Mutex<Option<Output<Snapshot>>>>,
    /// The editor's way to send settings to the current worker. Only non-audio threads lock it.
    editor_commands: Arc<Mutex<Option<crossbeam_channel::Sender<earmark_core::engine::worker::Command>>>>,
    was_playing: bool,
    /// Last 7-bit value sent per CC slot (-1: none yet), so only changes are sent.
    last_cc: [i16; midi_out::SLOTS],
    /// Test hook, debug builds only: allocate inside `process()` so the host tests can prove that the
    /// allocation guard really aborts (`EARMARK_TEST_ALLOCATE_IN_PROCESS=1`).
    #[cfg(debug_assertions)]
    allocate_in_process: bool,
}

impl Default for Earmark {
    fn default() -> Self {
        let live = Arc::new(LiveSettings::new(&EngineSettings::default()));
        Self {
            params: Arc::new(EarmarkParams::new(live.clone())),
            live,
            active: None,
            editor_snapshots: Arc::new(Mutex::new(None)),
            editor_commands: Arc::new(Mutex::new(None)),
            was_playing: false,
            last_cc: [-1; midi_out::SLOTS],
            #[cfg(debug_assertions)]
            allocate_in_process: std::env::var_os("EARMARK_TEST_ALLOCATE_IN_PROCESS").is_some(),
        }
    }
}

impl Earmark {
    fn engine_settings(&self) -> EngineSettings {
        let settings = self.params.engine_settings();
        self.live.set_update_interval(settings.update_interval);
        self.live.set_smoothing(settings.smoothing);
        settings
    }
}

/// Sends the CCs whose 7-bit value changed since the last block.
fn send_ccs(
    snapshot: &Snapshot,
    params: &EarmarkParams,
    last: &mut [i16; midi_out::SLOTS],
    context: &mut impl ProcessContext<Earmark>,
) {
    let channel = (params.cc_channel.value() - 1).clamp(0, 15) as u8;
    let base = params.cc_instruments.value();
    let numbers = [
        params.cc_valence.value(),
        params.cc_arousal.value(),
        params.cc_genre_confidence.value(),
        params.cc_genre_class.value(),
    ];
    for (slot, value) in midi_out::slot_values(snapshot).into_iter().enumerate() {
        let cc = if slot < numbers.len() {
            numbers[slot]
        } else if base < 0 {
            -1
        } else {
            base + (slot - numbers.len()) as i32
        };
        let (Some(value), Ok(cc)) = (value, u8::try_from(cc)) else { continue };
        if cc > 127 {
            continue;
        }
        let seven = midi_out::to_7bit(value);
        if last[slot] != i16::from(seven) {
            let event = NoteEvent::MidiCC { timing: 0, channel, cc, value: f32::from(seven) / 127.0 };
            // A full output queue keeps the old value marked as sent-last, so the change goes out next block.
            if context.try_send_event(event).is_ok() {
                last[slot] = i16::from(seven);
            }
        }
    }
}

impl Plugin for Earmark {
    const NAME: &'static str = "Earmark";
    const VENDOR: &'static str = "Earmark";
    const URL: &'static str = "https://example.invalid/earmark";
    const EMAIL: &'static str = "earmark@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];
    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;

    #[cfg(feature = "gui")]
    type Editor = nice_plug_egui::EguiEditor<editor::EarmarkApp>;
    #[cfg(not(feature = "gui"))]
    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    #[cfg(feature = "gui")]
    fn editor(&mut self, _executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.editor_snapshots.clone(), self.editor_commands.clone())
    }

    fn activate(
        &mut self,
        _layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        // Stop the previous worker (a sample-rate change re-activates) before starting the new one.
        self.active = None;
        let settings = self.engine_settings();
        // The worker loads the user's folder when one is set, else (also after the user clears it) this one.
        let models = default_models_dir().unwrap_or_default();
        let host_rate = buffer_config.sample_rate.round() as u32;
        match spawn(models, host_rate, settings, self.live.clone(), QUEUE_SECONDS, 2) {
            Ok(Spawned { input, handle, mut readers }) => {
                let editor = readers.pop();
                let snapshots = readers.pop().expect("two readers were asked for");
                if let Ok(mut slot) = self.editor_snapshots.lock() {
                    *slot = editor;
                }
                if let Ok(mut slot) = self.editor_commands.lock() {
                    *slot = Some(handle.commands());
                }
                self.active = Some(Active { input, worker: handle, snapshots });
                self.last_cc = [-1; midi_out::SLOTS];
                self.was_playing = false;
                true
            }
            // Without a worker there is nothing to show, but audio still passes through: stay active.
            Err(_) => true,
        }
    }

    fn reset(&mut self) {
        if let Some(active) = &mut self.active {
            active.input.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        #[cfg(debug_assertions)]
        if self.allocate_in_process {
            std::hint::black_box(vec![0u8; 64]);
        }
        let Some(active) = &mut self.active else { return ProcessStatus::KeepAlive };
        let playing = context.transport().playing;
        if playing && !self.was_playing {
            // Transport (re)started: the readouts describe what plays from here on.
            active.input.reset();
        }
        self.was_playing = playing;
        active.input.push(buffer.as_slice_immutable());
        send_ccs(active.snapshots.read(), &self.params, &mut self.last_cc, context);
        // Keep analysing through silence: the readout should say "silence", not freeze.
        ProcessStatus::KeepAlive
    }

    fn deactivate(&mut self) {
        if let Some(mut active) = self.active.take() {
            active.worker.stop();
        }
    }
}

impl ClapPlugin for Earmark {
    const CLAP_ID: &'static str = "dev.earmark.analyzer";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("Real-time emotion, genre and instrument readouts");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Analyzer, ClapFeature::Stereo, ClapFeature::Mono];
}

impl Vst3Plugin for Earmark {
    const VST3_CLASS_ID: [u8; 16] = *b"EarmarkAnalyzr01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Analyzer];
}

nice_export_clap!(Earmark);
nice_export_vst3!(Earmark);
