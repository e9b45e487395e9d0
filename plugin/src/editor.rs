//! The editor (egui via nice-plug-egui, behind the `gui` feature): draws the engine's [`View`] and the
//! settings. The view is built from the worker's snapshots (its own triple buffer) on the GUI thread; settings
//! that need a reload (models folder, device) go to the worker as a command.

#[cfg(feature = "gui")]
use earmark_core::engine::view::{RankedView, View};

/// Draws a view: emotion circumplex, genre, instruments, other models, messages and the status line.
/// Plain egui, so tests can run it in a headless `egui::Context`.
#[cfg(feature = "gui")]
pub fn draw_view(ui: &mut egui::Ui, view: &View) {
    use egui::{Color32, RichText};
    use egui_plot::{Line, Plot, PlotPoints, Points};

    for message in &view.messages {
        ui.colored_label(Color32::from_rgb(230, 90, 70), message);
    }
    ui.columns(2, |columns| {
        let ui = &mut columns[0];
        ui.heading("Emotion");
        match &view.emotion {
            Some(emotion) => {
                ui.label(format!(
                    "valence {:+.2} · arousal {:+.2} · updated {}",
                    emotion.now.valence,
                    emotion.now.arousal,
                    age(emotion.age)
                ));
                Plot::new("circumplex")
                    .data_aspect(1.0)
                    .include_x(-1.0)
                    .include_x(1.0)
                    .include_y(-1.0)
                    .include_y(1.0)
                    .x_axis_label("valence")
                    .y_axis_label("arousal")
                    .height(220.0)
                    .show(ui, |plot| {
                        // The trail fades with age: each segment is drawn more transparent the older it is.
                        let oldest = emotion.trail.first().map_or(1.0, |(age, _)| age.max(1e-3));
                        for (i, pair) in emotion.trail.windows(2).enumerate() {
                            let alpha = (255.0 * (1.0 - pair[0].0 / oldest).clamp(0.1, 1.0)) as u8;
                            let points: Vec<[f64; 2]> =
                                pair.iter().map(|(_, p)| [f64::from(p.valence), f64::from(p.arousal)]).collect();
                            plot.line(
                                Line::new(format!("trail {i}"), PlotPoints::from(points))
                                    .color(Color32::from_white_alpha(alpha)),
                            );
                        }
                        let now = [f64::from(emotion.now.valence), f64::from(emotion.now.arousal)];
                        plot.points(Points::new("now", vec![now]).radius(6.0).color(Color32::LIGHT_BLUE));
                    });
            }
            None => {
                ui.label("no emotion model");
            }
        }
        let ui = &mut columns[1];
        ui.heading("Genre");
        ranked(ui, view.genre.as_ref(), "no genre model");
        ui.heading("Instruments");
        match &view.instruments {
            Some(instruments) => {
                ui.label(format!("updated {}", age(instruments.age)));
                for family in &instruments.families {
                    // "strings 0.87 · violin 0.91": the family, and the tags that made it light up.
                    let because: Vec<String> = family.because.iter().map(|(tag, p)| format!("{tag} {p:.2}")).collect();
                    let label = if because.is_empty() {
                        format!("{} {:.2}", family.name, family.presence)
                    } else {
                        format!("{} {:.2} · {}", family.name, family.presence, because.join(", "))
                    };
                    ui.add(egui::ProgressBar::new(family.presence).text(RichText::new(label).strong()));
                    for (tag, p) in &family.tags {
                        ui.horizontal(|ui| {
                            ui.add_space(16.0);
                            ui.add(egui::ProgressBar::new(*p).desired_width(160.0).text(format!("{tag} {p:.2}")));
                        });
                    }
                }
            }
            None => {
                ui.label("no instrument model");
            }
        }
        if let Some(vocal) = &view.vocal {
            ui.heading("Vocal emotion");
            // The top class in words first (what a producer glances at), then every class's probability.
            if let Some((class, p)) = vocal.ranked.first() {
                ui.label(RichText::new(format!("{class} ({:.0} %)", 100.0 * p)).strong());
            }
            ranked(ui, Some(vocal), "");
        }
        for other in &view.other {
            ui.heading(&other.model);
            ranked(ui, Some(other), "");
        }
    });
    ui.separator();
    ui.small(&view.status);
}

#[cfg(feature = "gui")]
fn ranked(ui: &mut egui::Ui, view: Option<&RankedView>, missing: &str) {
    match view {
        Some(view) => {
            ui.label(format!("updated {}", age(view.age)));
            for (class, p) in &view.ranked {
                ui.add(egui::ProgressBar::new(*p).text(format!("{class} {p:.2}")));
            }
        }
        None => {
            ui.label(missing);
        }
    }
}

/// "0.4 s ago", or "now".
#[cfg(any(feature = "gui", test))]
pub fn age(seconds: f64) -> String {
    if seconds < 0.05 { "now".into() } else { format!("{seconds:.1} s ago") }
}

#[cfg(feature = "gui")]
pub use gui::{EarmarkApp, create};

#[cfg(feature = "gui")]
mod gui {
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    use crossbeam_channel::Sender;
    use earmark_core::engine::readout::Snapshot;
    use earmark_core::engine::view::ViewBuilder;
    use earmark_core::engine::worker::Command;
    use earmark_core::runtime::Device;
    use nice_plug::context::gui::GuiContext;
    use nice_plug::editor::dpi::LogicalSize;
    use nice_plug_egui::widgets::ParamSlider;
    use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
    use triple_buffer::Output;

    use super::draw_view;
    use crate::params::EarmarkParams;

    /// Seconds of valence/arousal history drawn as the trail.
    const TRAIL_SECONDS: f64 = 10.0;

    /// The editor's state.
    pub struct EarmarkApp {
        params: Arc<EarmarkParams>,
        snapshots: Arc<Mutex<Option<Output<Snapshot>>>>,
        commands: Arc<Mutex<Option<Sender<Command>>>>,
        builder: ViewBuilder,
        gui: Option<GuiContext>,
        models_dir: String,
    }

    /// The editor, or `None` when the host cannot show one.
    pub fn create(
        params: Arc<EarmarkParams>,
        snapshots: Arc<Mutex<Option<Output<Snapshot>>>>,
        commands: Arc<Mutex<Option<Sender<Command>>>>,
    ) -> Option<EguiEditor<EarmarkApp>> {
        let models_dir = params
            .stored
            .read()
            .ok()
            .and_then(|s| s.models_dir.clone())
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        let app =
            EarmarkApp { params, snapshots, commands, builder: ViewBuilder::new(TRAIL_SECONDS), gui: None, models_dir };
        nice_plug_egui::create_egui_editor(
            EguiEditorState::from_size(LogicalSize::new(720.0, 540.0), 1.0),
            RepaintNotifier::new(),
            EguiNiceSettings::new().with_tile("Earmark"),
            app,
        )
    }

    impl EarmarkApp {
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
                ui.add(egui::TextEdit::singleline(&mut self.models_dir).hint_text("models inside the bundle"));
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
    }

    impl NiceEguiApp for EarmarkApp {
        fn build(
            &mut self,
            _egui_ctx: egui::Context,
            gui: GuiContext,
            _frame: &mut nice_plug_egui::Frame,
        ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
            self.gui = Some(gui);
            Ok(())
        }

        fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
            let snapshot = match self.snapshots.lock() {
                Ok(mut reader) => reader.as_mut().map(|r| r.read().clone()).unwrap_or_default(),
                Err(_) => Snapshot::default(),
            };
            let view = self.builder.update(&snapshot);
            egui::ScrollArea::vertical().show(ui, |ui| {
                self.settings_ui(ui);
                ui.separator();
                draw_view(ui, &view);
            });
            // Readouts change continuously: keep repainting at the editor's poll rate.
            ui.ctx().request_repaint();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(0.01), "now");
        assert_eq!(age(0.42), "0.4 s ago");
    }

    /// Every text the frame painted.
    #[cfg(feature = "gui")]
    fn painted_text(output: &egui::FullOutput) -> String {
        let mut text = String::new();
        for clipped in &output.shapes {
            collect_text(&clipped.shape, &mut text);
        }
        text
    }

    #[cfg(feature = "gui")]
    fn collect_text(shape: &egui::Shape, text: &mut String) {
        match shape {
            egui::Shape::Text(t) => {
                text.push_str(t.galley.text());
                text.push('\n');
            }
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| collect_text(s, text)),
            _ => {}
        }
    }

    /// The editor's drawing in a headless egui context (egui's own rendering path up to shapes; no window).
    #[cfg(feature = "gui")]
    #[test]
    fn the_view_draws_headless_with_every_section() {
        use earmark_core::engine::view::{Circumplex, EmotionView, FamilyView, InstrumentsView, RankedView, View};

        let view = View {
            emotion: Some(EmotionView {
                now: Circumplex { valence: 0.6, arousal: -0.2 },
                trail: vec![
                    (3.0, Circumplex { valence: 0.1, arousal: 0.4 }),
                    (1.0, Circumplex { valence: 0.5, arousal: 0.0 }),
                ],
                age: 0.4,
            }),
            genre: Some(RankedView {
                model: "genre".into(),
                ranked: vec![("waltz".into(), 0.8), ("tango".into(), 0.15)],
                age: 0.2,
            }),
            instruments: Some(InstrumentsView {
                families: vec![FamilyView {
                    name: "strings".into(),
                    presence: 0.91,
                    tags: vec![("violin".into(), 0.91)],
                    because: vec![("violin".into(), 0.91)],
                }],
                age: 0.0,
            }),
            vocal: None,
            other: vec![RankedView { model: "band-energy".into(), ranked: vec![("low".into(), 0.9)], age: 1.0 }],
            status: "genre, instruments · CPU · last inference 1.2 ms · worker load 0.8 %".into(),
            messages: vec!["CUDA unavailable, running on CPU".into()],
        };
        let ctx = egui::Context::default();
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(720.0, 540.0))),
            ..Default::default()
        };
        // Two frames: egui lays out text on the first and settles sizes on the second.
        let frame = || {
            let mut output = ctx.run_ui(input.clone(), |ui| draw_view(ui, &view));
            output.textures_delta.clear(); // no renderer here to upload the font atlas to
            output
        };
        frame();
        frame();
        let output = frame();
        let text = painted_text(&output);
        for expected in [
            "Emotion",
            "valence +0.60",
            "waltz 0.80",
            "strings",
            "violin 0.91",
            "band-energy",
            "low 0.90",
            "CUDA unavailable",
            "worker load",
        ] {
            assert!(text.contains(expected), "`{expected}` not drawn; drawn:\n{text}");
        }
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        assert!(primitives.len() > 10, "{} primitives", primitives.len());
    }
}
