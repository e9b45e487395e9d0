//! Earmark as a CLAP/VST3 plugin.
//!
//! Three parts, one narrow way between each: the audio thread ([`Plugin::process`]) only hands audio to the
//! engine's [`AudioInput`] and turns the latest snapshot into MIDI CCs; the engine's worker pool (one per process,
//! shared by every instance; an instance joins it in `activate`) does all analysis; the editor reads snapshots
//! from its own triple buffer.
//! Audio passes through with zero latency, bit-exact but for subnormal samples, which are flushed to zero.

mod activation_log;
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
/// Host blocks the queue holds at least, whatever their length: a host may promise blocks longer than
/// [`QUEUE_SECONDS`] (the fuzz harness found 4.3 s blocks at a 1 kHz rate), and a block that cannot fit would
/// lose part of every block for good.
const QUEUE_BLOCKS: f64 = 4.0;

/// What exists only while the plugin is active.
struct Active {
    input: AudioInput,
    host_rate: u32,
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
    /// Where each activation's audio accounting goes (`EARMARK_ACTIVATION_LOG`), if anywhere.
    activation_log: Option<activation_log::ActivationLog>,
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
            activation_log: activation_log::ActivationLog::from_env(),
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
    numbers: &midi_out::CcNumbers,
    last: &mut [i16; midi_out::SLOTS],
    context: &mut impl ProcessContext<Earmark>,
) {
    let channel = (params.cc_channel.value() - 1).clamp(0, 15) as u8;
    for (slot, value) in midi_out::slot_values(snapshot).into_iter().enumerate() {
        let (Some(value), Some(cc)) = (value, numbers.cc(slot)) else { continue };
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

/// Flushes subnormal samples to zero, leaving every other sample (NaN and infinities included) bit-exact.
/// Hosts and conformance fuzzers count a subnormal output sample as a fault, and a chain that keeps feeding
/// denormals can stall on CPUs without flush-to-zero; a branch per sample costs nothing measurable.
///
/// The test is on the bits, not `f32::is_subnormal`: nice-plug enables flush-to-zero/denormals-are-zero on
/// the audio thread, where a float comparison sees a subnormal as zero and would let it through.
fn flush_subnormals(buffer: &mut Buffer) {
    const EXPONENT: u32 = 0x7f80_0000;
    const SIGN: u32 = 0x8000_0000;
    for channel in buffer.as_slice() {
        for sample in channel.iter_mut() {
            let bits = sample.to_bits();
            if bits & EXPONENT == 0 && bits & !SIGN != 0 {
                *sample = f32::from_bits(bits & SIGN);
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
        let queue_seconds = QUEUE_SECONDS
            .max(QUEUE_BLOCKS * f64::from(buffer_config.max_buffer_size) / f64::from(buffer_config.sample_rate));
        match spawn(models, host_rate, settings, self.live.clone(), queue_seconds, 2) {
            Ok(Spawned { input, handle, mut readers }) => {
                let editor = readers.pop();
                let snapshots = readers.pop().expect("two readers were asked for");
                if let Ok(mut slot) = self.editor_snapshots.lock() {
                    *slot = editor;
                }
                if let Ok(mut slot) = self.editor_commands.lock() {
                    *slot = Some(handle.commands());
                }
                self.active = Some(Active { input, host_rate, worker: handle, snapshots });
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
        // The next readout describes what plays from here on: send it even where it equals the last one sent.
        self.last_cc = [-1; midi_out::SLOTS];
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
        flush_subnormals(buffer);
        let Some(active) = &mut self.active else { return ProcessStatus::KeepAlive };
        let playing = context.transport().playing;
        if playing && !self.was_playing {
            // Transport (re)started: the readouts describe what plays from here on (and go out anew).
            active.input.reset();
            self.last_cc = [-1; midi_out::SLOTS];
        }
        self.was_playing = playing;
        active.input.push(buffer.as_slice_immutable());
        let numbers = self.params.cc_numbers();
        // Readouts with no CC on slow down while the editor is closed (an atomic store: real-time safe).
        self.live.watch.set_by_ccs(midi_out::watched_by(&numbers));
        send_ccs(active.snapshots.read(), &self.params, &numbers, &mut self.last_cc, context);
        // Keep the worker fed through silence: its gate then says "no signal" (and lets the age count) instead of
        // the readout freezing with no explanation.
        ProcessStatus::KeepAlive
    }

    fn deactivate(&mut self) {
        if let Some(mut active) = self.active.take() {
            active.worker.stop();
            if let Some(log) = &self.activation_log {
                let entry = activation_log::Entry {
                    host_rate: active.host_rate,
                    samples_in: active.input.received(),
                    dropped_samples: active.input.dropped(),
                };
                if let Err(e) = log.append(&entry) {
                    nice_log!("could not append to {} ({}): {e}", log.path().display(), activation_log::VARIABLE);
                }
            }
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
