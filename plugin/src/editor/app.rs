//! The editor window's state: settings widgets, the snapshot reader, and when to rebuild and repaint.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::Sender;
use earmark_core::engine::readout::Snapshot;
use earmark_core::engine::view::{View, ViewBuilder};
use earmark_core::engine::worker::Command;
use earmark_core::runtime::Device;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::ResizeHint;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use triple_buffer::Output;

use super::draw_view;
use crate::midi_out::cc_map;
use crate::params::EarmarkParams;

/// Seconds of valence/arousal history drawn as the trail.
const TRAIL_SECONDS: f64 = 10.0;
/// How often the editor looks for a new snapshot: the worker publishes at most every update and at least every
/// 100 ms while audio flows, so a faster repaint would redraw the same readout.
pub const REFRESH: Duration = Duration::from_millis(100);
/// The smallest size the window can be dragged to (logical points).
const MIN_SIZE: (f32, f32) = (560.0, 420.0);

/// The editor's state.
pub struct EarmarkApp {
    params: Arc<EarmarkParams>,
    snapshots: Arc<Mutex<Option<Output<Snapshot>>>>,
    commands: Arc<Mutex<Option<Sender<Command>>>>,
    builder: ViewBuilder,
    gui: Option<GuiContext>,
    models_dir: String,
    /// The view of the last snapshot and the CC map it implies, rebuilt only when a new snapshot arrives.
    view: View,
    snapshot: Snapshot,
}

/// The editor, or `None` when the host cannot show one. It opens at the size saved with the project.
pub fn create(
    params: Arc<EarmarkParams>,
    snapshots: Arc<Mutex<Option<Output<Snapshot>>>>,
    commands: Arc<Mutex<Option<Sender<Command>>>>,
) -> Option<EguiEditor<EarmarkApp>> {
    let (width, height) = params.editor_size.read().map(|s| *s).unwrap_or(crate::params::DEFAULT_EDITOR_SIZE);
    let app = EarmarkApp::new(params, snapshots, commands);
    let resize = ResizeHint::resizable().with_min_logical_size(LogicalSize::new(MIN_SIZE.0, MIN_SIZE.1));
    nice_plug_egui::create_egui_editor(
        EguiEditorState::from_size(LogicalSize::new(width as f32, height as f32), 1.0),
        RepaintNotifier::new(),
        EguiNiceSettings::new().with_tile("Earmark").with_resize_hint(resize),
        app,
    )
}

impl EarmarkApp {
    /// The app over a snapshot reader and a command sender (both handed over on every activation).
    pub fn new(
        params: Arc<EarmarkParams>,
        snapshots: Arc<Mutex<Option<Output<Snapshot>>>>,
        commands: Arc<Mutex<Option<Sender<Command>>>>,
    ) -> Self {
        let models_dir = params
            .stored
            .read()
            .ok()
            .and_then(|s| s.models_dir.clone())
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        Self {
            params,
            snapshots,
            commands,
            builder: ViewBuilder::new(TRAIL_SECONDS),
            gui: None,
            models_dir,
            view: ViewBuilder::new(TRAIL_SECONDS).update(&Snapshot::default()),
            snapshot: Snapshot::default(),
        }
    }

    /// Gives the app the context its parameter widgets write through.
    pub fn set_gui(&mut self, gui: GuiContext) {
        self.gui = Some(gui);
    }

    fn apply_settings(&self) {
        let settings = self.params.engine_settings();
        if let Ok(commands) = self.commands.lock()
            && let Some(sender) = commands.as_ref()
        {
            let _ = sender.send(Command::Settings(settings));
        }
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let Some(gui) = &self.gui else { return };
        let setter = gui.param_setter();
        ui.horizontal(|ui| {
            ui.label("Update every");
            ui.add(ParamSlider::for_param(&self.params.update_interval, &setter).with_width(110.0));
            ui.label("Smoothing");
            ui.add(ParamSlider::for_param(&self.params.smoothing, &setter).with_width(110.0));
        });
        let mut changed = false;
        ui.horizontal(|ui| {
            ui.label("Models folder");
            ui.add(
                egui::TextEdit::singleline(&mut self.models_dir)
                    .hint_text("models inside the bundle")
                    .desired_width(280.0),
            );
            if ui.button("Apply").clicked() {
                let dir = self.models_dir.trim();
                if let Ok(mut stored) = self.params.stored.write() {
                    stored.models_dir = (!dir.is_empty()).then(|| PathBuf::from(dir));
                }
                changed = true;
            }
            let mut device = self.params.stored.read().map(|s| s.device).unwrap_or_default();
            let before = device;
            ui.radio_value(&mut device, Device::Cpu, "CPU");
            ui.radio_value(&mut device, Device::Cuda, "CUDA");
            if device != before {
                if let Ok(mut stored) = self.params.stored.write() {
                    stored.device = device;
                }
                changed = true;
            }
        });
        if changed {
            self.apply_settings();
        }
    }

    /// Takes the newest snapshot, if one arrived since the last frame, and rebuilds the view from it.
    fn refresh(&mut self) {
        let Ok(mut reader) = self.snapshots.lock() else { return };
        if let Some(reader) = reader.as_mut()
            && reader.update()
        {
            self.snapshot = reader.output_buffer_mut().clone();
            self.view = self.builder.update(&self.snapshot);
        }
    }

    /// One frame of the whole editor.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        self.refresh();
        let cc_map = cc_map(&self.snapshot, &self.params.cc_numbers());
        egui::ScrollArea::vertical().show(ui, |ui| {
            self.settings_ui(ui);
            ui.separator();
            draw_view(ui, &self.view, &cc_map);
        });
        ui.ctx().request_repaint_after(REFRESH);
    }
}

impl NiceEguiApp for EarmarkApp {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.set_gui(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        // Only an open editor draws: while it does, every readout is watched.
        self.params.live.watch.editor_drawn();
        self.draw(ui);
    }

    /// Remembers the size with the project, so the editor reopens as the producer left it.
    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        if let Ok(mut size) = self.params.editor_size.write() {
            *size = (new_size.logical.width.round() as u32, new_size.logical.height.round() as u32);
        }
    }
}
