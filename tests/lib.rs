//! A small CLAP host (clack-host) that loads the built Earmark plugin the way a DAW does, for the workspace's
//! end-to-end tests. It processes audio in blocks, collects MIDI CC output (how readouts leave the plugin),
//! sets parameters, and saves/loads state.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_host::events::event_types::{MidiEvent, ParamValueEvent, TransportEvent, TransportFlags};
use clack_host::events::io::EventBuffer;
use clack_host::events::{EventFlags, EventHeader};
use clack_host::prelude::*;
use clack_host::utils::ClapId;
use clack_host::utils::{BeatTime, SecondsTime};

/// Serialises the tests that host plugins: on a 2-core machine, parallel tests each running a worker and ONNX
/// Runtime would make "the worker has caught up" waits a matter of luck. Hold the guard for a whole test.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The CLAP id of the plugin under test.
pub const PLUGIN_ID: &CStr = c"dev.earmark.analyzer";

/// `target/<profile>/libearmark.so`, found from this test binary's location (`target/<profile>/deps/…`).
pub fn plugin_library() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps layout");
    let library = profile_dir.join("libearmark.so");
    assert!(
        library.is_file(),
        "{} is missing: run the workspace tests (`cargo xtask test`) so the plugin is built",
        library.display()
    );
    library
}

/// `target/<profile>/earmark`, the offline binary.
pub fn earmark_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let binary = exe.parent().and_then(|deps| deps.parent()).expect("target layout").join("earmark");
    assert!(binary.is_file(), "{} is missing: run the workspace tests (`cargo xtask test`)", binary.display());
    binary
}

/// What the plugin may ask of the host from any thread.
#[derive(Default)]
struct Shared {
    /// The plugin asked for `on_main_thread` (nice-plug runs its main-thread tasks there: without it, its task
    /// queue fills up and state changes are never finished).
    callback_requested: std::sync::atomic::AtomicBool,
}

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {}
}

struct MainThread;

impl MainThreadHandler<'_> for MainThread {}

impl HostParamsImplMainThread for MainThread {
    fn rescan(&self, _flags: ParamRescanFlags) {}
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostStateImpl for MainThread {
    fn mark_dirty(&self) {}
}

struct Handlers;

impl HostHandlers for Handlers {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<HostParams>().register::<HostState>();
    }
}

/// Selects the plugin's audio-ports configuration whose main input and output have `channels` channels, as a
/// host does before activating a plugin on a mono or stereo track (without it, a plugin would be fed a
/// channel count it did not declare).
fn select_layout(instance: &mut PluginInstance<Handlers>, channels: usize) {
    use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
    let handle = instance.plugin_handle();
    let Some(configs) = handle.get_extension::<PluginAudioPortsConfig>() else { return };
    let mut buffer = AudioPortsConfigBuffer::new();
    let wanted = (0..configs.count(&handle)).find_map(|i| {
        let config = configs.get(&handle, i, &mut buffer)?;
        let fits = |port: Option<clack_extensions::audio_ports_config::MainPortInfo>| {
            port.is_some_and(|p| p.channel_count as usize == channels)
        };
        (fits(config.main_input) && fits(config.main_output)).then_some(config.id)
    });
    let id = wanted.unwrap_or_else(|| panic!("the plugin offers no {channels}-channel layout"));
    configs.select(&handle, id).expect("select the audio-ports configuration");
}

fn audio_configuration(activation: &Activation) -> PluginAudioConfiguration {
    PluginAudioConfiguration {
        sample_rate: activation.sample_rate,
        min_frames_count: activation.min_block.max(1) as u32,
        max_frames_count: activation.max_block.max(1) as u32,
    }
}

/// One MIDI CC the plugin sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cc {
    /// Samples processed before the block that carried it.
    pub at_sample: u64,
    /// Channel 0–15.
    pub channel: u8,
    /// Controller number.
    pub cc: u8,
    /// 7-bit value.
    pub value: u8,
}

pub mod fuzz;

/// How the host activates the plugin and hands it buffers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activation {
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Smallest block the host promises.
    pub min_block: usize,
    /// Largest block the host promises.
    pub max_block: usize,
    /// One buffer serves as input and output (as many DAWs do), instead of separate input and output buffers.
    pub in_place: bool,
}

impl Activation {
    /// Blocks of 1 to `max_block` frames in separate buffers.
    pub fn new(sample_rate: f64, max_block: usize) -> Self {
        Self { sample_rate, min_block: 1, max_block: max_block.max(1), in_place: false }
    }
}

/// One parameter as the plugin describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDescription {
    /// CLAP id.
    pub id: ClapId,
    /// Display name.
    pub name: String,
    /// Plain value range.
    pub min: f64,
    /// Plain value range.
    pub max: f64,
}

/// A loaded, activated plugin instance.
pub struct PluginHost {
    _entry: PluginEntry,
    instance: PluginInstance<Handlers>,
    processor: Option<StartedPluginAudioProcessor<Handlers>>,
    channels: usize,
    min_block: usize,
    max_block: usize,
    in_place: bool,
    samples: u64,
    /// Every CC received so far.
    pub ccs: Vec<Cc>,
    pending_params: Vec<(ClapId, f64)>,
    /// The transport sent with every block (`None`: no transport information, as offline hosts do).
    playing: Option<bool>,
}

impl PluginHost {
    /// Loads the plugin library, creates an instance and activates it at `sample_rate` for blocks of up to
    /// `max_block` frames on `channels` (1 or 2) channels.
    pub fn new(sample_rate: f64, max_block: usize, channels: usize) -> Self {
        Self::activated(Activation::new(sample_rate, max_block), channels)
    }

    /// Loads the plugin and activates it as `activation` says, on `channels` (1 or 2) channels.
    pub fn activated(activation: Activation, channels: usize) -> Self {
        let library = plugin_library();
        // SAFETY: loading a CLAP bundle runs its entry's init; ours is built by this workspace.
        let entry = unsafe { PluginEntry::load(&library) }.expect("load the CLAP entry");
        let info = HostInfo::new("earmark-e2e", "Earmark", "https://example.invalid", "0.1").unwrap();
        let mut instance =
            PluginInstance::<Handlers>::new(|_| Shared::default(), |_| MainThread, &entry, PLUGIN_ID, &info)
                .expect("instance");
        select_layout(&mut instance, channels);
        let processor = instance
            .activate(|_, _| (), audio_configuration(&activation))
            .expect("activate")
            .start_processing()
            .expect("start");
        Self {
            _entry: entry,
            instance,
            processor: Some(processor),
            channels,
            min_block: activation.min_block.max(1),
            max_block: activation.max_block,
            in_place: activation.in_place,
            samples: 0,
            ccs: Vec::new(),
            pending_params: Vec::new(),
            playing: None,
        }
    }

    /// Deactivates the plugin and activates it again at a new sample rate and maximum block size, as a DAW does
    /// when the project's rate changes.
    pub fn reactivate(&mut self, sample_rate: f64, max_block: usize) {
        self.reactivate_as(Activation::new(sample_rate, max_block));
    }

    /// Deactivates the plugin and activates it again as `activation` says.
    pub fn reactivate_as(&mut self, activation: Activation) {
        if let Some(processor) = self.processor.take() {
            self.instance.deactivate(processor.stop_processing());
        }
        let processor = self
            .instance
            .activate(|_, _| (), audio_configuration(&activation))
            .expect("activate")
            .start_processing()
            .expect("start");
        self.processor = Some(processor);
        self.min_block = activation.min_block.max(1);
        self.max_block = activation.max_block;
        self.in_place = activation.in_place;
        self.samples = 0;
    }

    /// Every parameter the plugin declares.
    pub fn params(&mut self) -> Vec<ParamDescription> {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("params extension");
        let mut buffer = clack_extensions::params::ParamInfoBuffer::new();
        (0..params.count(&handle))
            .filter_map(|i| {
                params.get_info(&handle, i, &mut buffer).map(|info| ParamDescription {
                    id: info.id,
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                })
            })
            .collect()
    }

    /// The host's "reset" (CLAP `reset`): clear the plugin's history, as after a jump in the timeline.
    pub fn reset(&mut self) {
        self.processor.as_mut().expect("active").reset();
    }

    /// From the next block on, tell the plugin the transport is playing (or stopped).
    pub fn set_playing(&mut self, playing: bool) {
        self.playing = Some(playing);
    }

    /// The plugin's parameter id for the parameter named `name`.
    pub fn param_id(&mut self, name: &str) -> ClapId {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("params extension");
        let mut buffer = clack_extensions::params::ParamInfoBuffer::new();
        (0..params.count(&handle))
            .filter_map(|i| params.get_info(&handle, i, &mut buffer).map(|info| (info.id, info.name.to_vec())))
            .find(|(_, n)| n.as_slice() == name.as_bytes())
            .map(|(id, _)| id)
            .unwrap_or_else(|| panic!("no parameter named {name}"))
    }

    /// The current value of a parameter as CLAP carries it (nice-plug: normalised for floats, step index for
    /// integers).
    pub fn param_value(&mut self, id: ClapId) -> f64 {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("params extension");
        params.get_value(&handle, id).expect("parameter value")
    }

    /// The parameter's current value as the plugin displays it (e.g. `CC 20`, `0.50 s`).
    pub fn param_text(&mut self, id: ClapId) -> String {
        let value = self.param_value(id);
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("params extension");
        let mut buffer = [0u8; 256];
        let text = params.value_to_text(&handle, id, value, &mut buffer).expect("value to text");
        String::from_utf8_lossy(text).into_owned()
    }

    /// The CLAP value the plugin parses from `text` (what a user typing into the host would set).
    pub fn param_value_from_text(&mut self, id: ClapId, text: &str) -> f64 {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("params extension");
        let text = std::ffi::CString::new(text).unwrap();
        params.text_to_value(&handle, id, &text).expect("text to value")
    }

    /// Sends a parameter change with the next processed block.
    pub fn set_param(&mut self, id: ClapId, value: f64) {
        self.pending_params.push((id, value));
    }

    /// Processes `input` (one slice per channel, equal lengths) in blocks of `block` frames; returns the
    /// output, and records the CCs the plugin sent.
    pub fn process(&mut self, input: &[Vec<f32>], block: usize) -> Vec<Vec<f32>> {
        assert_eq!(input.len(), self.channels);
        assert!(block <= self.max_block);
        let len = input[0].len();
        let mut output = vec![vec![0.0f32; len]; self.channels];
        let mut start = 0;
        while start < len || (len == 0 && start == 0) {
            let end = (start + block).min(len);
            let mut in_block: Vec<Vec<f32>> = input.iter().map(|c| c[start..end].to_vec()).collect();
            let out_block = if self.in_place {
                self.process_block_in_place(&mut in_block);
                in_block
            } else {
                let mut out_block = vec![vec![0.0f32; end - start]; self.channels];
                self.process_block(&mut in_block, &mut out_block);
                out_block
            };
            for (o, b) in output.iter_mut().zip(&out_block) {
                o[start..end].copy_from_slice(b);
            }
            if len == 0 {
                break;
            }
            start = end;
        }
        output
    }

    /// Like [`Self::process`], but never more than `speed` times faster than real time, as a DAW rendering a
    /// mixdown would: the plugin's queue to its worker holds a few seconds, not a whole song at once.
    pub fn process_paced(&mut self, input: &[Vec<f32>], block: usize, sample_rate: f64, speed: f64) -> Vec<Vec<f32>> {
        let started = std::time::Instant::now();
        let len = input[0].len();
        let mut output = vec![Vec::with_capacity(len); self.channels];
        for start in (0..len).step_by(block.max(1)) {
            let end = (start + block).min(len);
            let chunk: Vec<Vec<f32>> = input.iter().map(|c| c[start..end].to_vec()).collect();
            for (o, b) in output.iter_mut().zip(self.process(&chunk, block)) {
                o.extend_from_slice(&b);
            }
            let due = std::time::Duration::from_secs_f64(end as f64 / sample_rate / speed);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        output
    }

    /// Processes one block in separate input and output buffers.
    fn process_block(&mut self, input: &mut [Vec<f32>], output: &mut [Vec<f32>]) {
        let frames = input.first().map_or(0, |c| c.len() as u64);
        let mut in_ports = AudioPorts::with_capacity(self.channels, 1);
        let mut out_ports = AudioPorts::with_capacity(self.channels, 1);
        let in_audio = in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                input.iter_mut().map(|c| InputChannel::variable(c.as_mut_slice())),
            ),
        }]);
        let mut out_audio = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(output.iter_mut().map(|c| c.as_mut_slice())),
        }]);
        let events_in = self.pending_events();
        self.run_process(&in_audio, &mut out_audio, events_in, frames);
    }

    /// Processes one block in place: the plugin gets the same buffer as input and output, as many DAWs do.
    fn process_block_in_place(&mut self, buffers: &mut [Vec<f32>]) {
        let frames = buffers.first().map_or(0, Vec::len);
        let pointers: Vec<*mut f32> = buffers.iter_mut().map(|c| c.as_mut_ptr()).collect();
        // SAFETY: both slices of a channel point at the same live `Vec`, which nothing else touches while the
        // plugin runs; this host only hands the pointers to the plugin (a CLAP host does exactly this for
        // in-place processing) and reads the buffer again after `process` returns.
        let (inputs, outputs): (Vec<&mut [f32]>, Vec<&mut [f32]>) = pointers
            .iter()
            .map(|&p| unsafe { (std::slice::from_raw_parts_mut(p, frames), std::slice::from_raw_parts_mut(p, frames)) })
            .unzip();
        let mut in_ports = AudioPorts::with_capacity(self.channels, 1);
        let mut out_ports = AudioPorts::with_capacity(self.channels, 1);
        let in_audio = in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(inputs.into_iter().map(InputChannel::variable)),
        }]);
        let mut out_audio = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(outputs.into_iter()),
        }]);
        let events_in = self.pending_events();
        self.run_process(&in_audio, &mut out_audio, events_in, frames as u64);
    }

    /// The transport sent with the next block.
    fn transport(&self) -> Option<TransportEvent> {
        self.playing.map(|playing| TransportEvent {
            header: EventHeader::new_core(0, EventFlags::empty()),
            flags: if playing { TransportFlags::IS_PLAYING } else { TransportFlags::empty() },
            song_pos_beats: BeatTime::from_int(0),
            song_pos_seconds: SecondsTime::from_int(0),
            tempo: 120.0,
            tempo_inc: 0.0,
            loop_start_beats: BeatTime::from_int(0),
            loop_end_beats: BeatTime::from_int(0),
            loop_start_seconds: SecondsTime::from_int(0),
            loop_end_seconds: SecondsTime::from_int(0),
            bar_start: BeatTime::from_int(0),
            bar_number: 0,
            time_signature_numerator: 4,
            time_signature_denominator: 4,
        })
    }

    /// The parameter changes queued for the next block.
    fn pending_events(&mut self) -> EventBuffer {
        let mut events_in = EventBuffer::new();
        for (id, value) in self.pending_params.drain(..) {
            events_in.push(&ParamValueEvent::new(0, id, Pckn::match_all(), value));
        }
        events_in
    }

    fn run_process(
        &mut self,
        in_audio: &clack_host::process::audio_buffers::InputAudioBuffers,
        out_audio: &mut clack_host::process::audio_buffers::OutputAudioBuffers,
        events_in: EventBuffer,
        frames: u64,
    ) {
        let mut events_out = EventBuffer::new();
        let transport = self.transport();
        let processor = self.processor.as_mut().expect("active");
        processor
            .process(
                in_audio,
                out_audio,
                &events_in.as_input(),
                &mut events_out.as_output(),
                Some(self.samples),
                transport.as_ref(),
            )
            .expect("process");
        for event in events_out.iter() {
            if let Some(midi) = event.as_event::<MidiEvent>() {
                let [status, cc, value] = midi.data();
                if status & 0xF0 == 0xB0 {
                    self.ccs.push(Cc { at_sample: self.samples, channel: status & 0x0F, cc, value });
                }
            }
        }
        self.samples += frames;
        self.run_main_thread_callback();
    }

    /// Runs the plugin's `on_main_thread` if it asked for it, as a host's main loop does soon after the request.
    fn run_main_thread_callback(&mut self) {
        let requested = self
            .instance
            .access_shared_handler(|s| s.callback_requested.swap(false, std::sync::atomic::Ordering::SeqCst));
        if requested {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// The last value received for controller `cc`.
    pub fn last_cc(&self, cc: u8) -> Option<u8> {
        self.ccs.iter().rev().find(|c| c.cc == cc).map(|c| c.value)
    }

    /// Keeps processing the smallest blocks the host promised, of silence (nice-plug does not call `process()`
    /// for empty blocks, and CCs only leave from there) until the worker has analysed everything queued and the CC output has been
    /// quiet for `quiet` polls; at most `max_polls` polls, 10 ms apart. Returns the polls made.
    pub fn drain_readouts(&mut self, quiet: usize, max_polls: usize) -> usize {
        let mut still = 0;
        for poll in 0..max_polls {
            let before = self.ccs.len();
            self.process(&vec![vec![0.0; self.min_block]; self.channels], self.min_block);
            still = if self.ccs.len() == before { still + 1 } else { 0 };
            if still >= quiet && !self.ccs.is_empty() {
                return poll + 1;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        max_polls
    }

    /// Keeps processing the smallest promised blocks of silence, 10 ms apart, until more than `count` CCs have
    /// arrived in all; false if they did not within `timeout`. (Unlike [`Self::drain_readouts`], which stops
    /// once the output has been quiet for a while, this waits for a worker that is slow to catch up.)
    pub fn wait_for_ccs_beyond(&mut self, count: usize, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.ccs.len() <= count {
            if std::time::Instant::now() > deadline {
                return false;
            }
            self.process(&vec![vec![0.0; self.min_block]; self.channels], self.min_block);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        true
    }

    /// A host whose plugin reads only the models in `dir` (the user's models folder, as the editor sets it):
    /// tests that follow one model's readouts (the band-energy test model) must not depend on which models the
    /// repository ships, since the genre model, when present, is the one the class CC reports.
    pub fn with_models(sample_rate: f64, max_block: usize, channels: usize, dir: &std::path::Path) -> Self {
        Self::with_models_as(Activation::new(sample_rate, max_block), channels, dir)
    }

    /// [`Self::with_models`] for any activation.
    pub fn with_models_as(activation: Activation, channels: usize, dir: &std::path::Path) -> Self {
        let mut host = Self::activated(activation, channels);
        // nice-plug's CLAP state is a little-endian u64 length, then zstd-compressed JSON; it also loads plain JSON
        // (its pre-compression format). Only the persisted `settings` field is given: parameters keep defaults.
        let settings = serde_json::json!({ "models_dir": dir, "device": "cpu" });
        let state = serde_json::json!({ "version": "", "params": {}, "fields": { "settings": settings.to_string() } });
        let json = serde_json::to_vec(&state).expect("serialise");
        let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
        bytes.extend(json);
        host.load_state(&bytes);
        // The worker picks the models folder when it starts, on activation.
        host.reactivate_as(activation);
        host
    }

    /// The test model's folder in this checkout.
    pub fn testing_models() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin/core/tests/fixtures/models")
    }

    /// The plugin's saved state.
    pub fn save_state(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state extension");
        let mut bytes = Vec::new();
        state.save(&handle, &mut bytes).expect("save state");
        bytes
    }

    /// Loads a saved state.
    pub fn load_state(&mut self, bytes: &[u8]) {
        assert!(self.try_load_state(bytes), "load state");
    }

    /// Offers the plugin a state; false when it refuses it (a damaged or foreign state must be refused, not
    /// crash the plugin).
    pub fn try_load_state(&mut self, bytes: &[u8]) -> bool {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state extension");
        let loaded = state.load(&handle, &mut &bytes[..]).is_ok();
        self.run_main_thread_callback();
        loaded
    }
}

impl Drop for PluginHost {
    fn drop(&mut self) {
        if let Some(processor) = self.processor.take() {
            let stopped = processor.stop_processing();
            self.instance.deactivate(stopped);
        }
    }
}
