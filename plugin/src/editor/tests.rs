//! The editor as a producer sees it: the whole window (settings included) drawn headless at its default size,
//! every section on screen, "no signal" on silence, and — with `EARMARK_SCREENSHOTS=DIR` — PNG screenshots
//! for the README (`cargo xtask screenshots`).

use std::sync::{Arc, Mutex};

use earmark_core::engine::Engine;
use earmark_core::engine::hearing::Content;
use earmark_core::engine::readout::EngineStatus;
use earmark_core::engine::readout::{ModelReadout, Snapshot};
use earmark_core::engine::roles::Roles;
use earmark_core::engine::view::{
    Circumplex, EmotionView, FamilyView, HearingView, InstrumentsView, RankedView, Section, View,
};
use earmark_core::engine::{EngineSettings, LiveSettings};
use earmark_core::manifest::Task;
use nice_plug::context::PluginApi;
use nice_plug::context::gui::{GuiContext, GuiContextInner};
use nice_plug::params::internals::ParamPtr;
use nice_plug::plugin::PluginState;
use triple_buffer::TripleBuffer;

use super::raster::{Picture, Textures};
use super::{EarmarkApp, age, draw_view};
use crate::params::{DEFAULT_EDITOR_SIZE, EarmarkParams};

/// A host that ignores parameter gestures: enough for the editor's sliders to draw.
struct NoHost;

impl GuiContextInner for NoHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, _param: ParamPtr, _normalized: f32) {}
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        unimplemented!("the editor never asks for the state")
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

/// Every text egui painted, with the rectangle it occupies on screen (clipped).
fn painted_text(output: &egui::FullOutput) -> Vec<(String, egui::Rect)> {
    fn collect(shape: &egui::Shape, clip: egui::Rect, out: &mut Vec<(String, egui::Rect)>) {
        match shape {
            egui::Shape::Text(t) => {
                let rect = t.galley.rect.translate(t.pos.to_vec2()).intersect(clip);
                out.push((t.galley.text().to_string(), rect));
            }
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| collect(s, clip, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &output.shapes {
        collect(&clipped.shape, clipped.clip_rect, &mut out);
    }
    out
}

/// The whole editor (settings, view, CC map) at `size`, showing `snapshot`: a few frames so layout settles.
struct Window {
    ctx: egui::Context,
    app: EarmarkApp,
    size: egui::Vec2,
    textures: Textures,
}

impl Window {
    fn new(snapshot: Snapshot) -> Self {
        let params = Arc::new(EarmarkParams::new(Arc::new(LiveSettings::new(&EngineSettings::default()))));
        let (mut input, output) = TripleBuffer::new(&Snapshot::default()).split();
        input.write(snapshot);
        let mut app = EarmarkApp::new(params, Arc::new(Mutex::new(Some(output))), Arc::new(Mutex::new(None)));
        app.set_gui(GuiContext::new(Arc::new(NoHost)));
        let (w, h) = DEFAULT_EDITOR_SIZE;
        Self { ctx: egui::Context::default(), app, size: egui::vec2(w as f32, h as f32), textures: Textures::default() }
    }

    fn frame(&mut self) -> egui::FullOutput {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, self.size)),
            ..Default::default()
        };
        let app = &mut self.app;
        let mut output = self.ctx.run_ui(input, |ui| {
            egui::CentralPanel::default().show(ui, |ui| app.draw(ui));
        });
        self.textures.apply(&output.textures_delta);
        output.textures_delta.clear();
        output
    }

    /// Texts on screen after the layout settled, and the picture of the last frame.
    fn show(&mut self) -> (Vec<(String, egui::Rect)>, Picture) {
        for _ in 0..3 {
            self.frame();
        }
        let output = self.frame();
        let texts = painted_text(&output);
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        let mut picture = Picture::new(self.size.x as usize, self.size.y as usize, [27, 27, 27]);
        picture.draw(&primitives, &self.textures);
        (texts, picture)
    }
}

/// Asserts `expected` is drawn, entirely within the window.
fn assert_visible(texts: &[(String, egui::Rect)], window: egui::Vec2, expected: &str) {
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, window);
    let found: Vec<&(String, egui::Rect)> = texts.iter().filter(|(t, _)| t.contains(expected)).collect();
    assert!(
        !found.is_empty(),
        "`{expected}` is not drawn; drawn: {:?}",
        texts.iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    assert!(
        found.iter().any(|(_, rect)| rect.height() > 4.0 && screen.contains_rect(*rect)),
        "`{expected}` is drawn outside the {window:?} window (or clipped away): {found:?}"
    );
}

/// A view with every section full: 13 genres, 10 families, vocal emotion, messages.
fn full_view() -> View {
    let genres = [
        "hip_hop",
        "rock",
        "waltz",
        "tango",
        "jive",
        "samba",
        "rumba",
        "foxtrot",
        "quickstep",
        "swing",
        "electronic",
        "orchestral",
        "viennese",
    ];
    View {
        emotion: Section::Live(EmotionView {
            now: Circumplex { valence: 0.6, arousal: -0.2 },
            trail: vec![
                (3.0, Circumplex { valence: 0.1, arousal: 0.4 }),
                (1.0, Circumplex { valence: 0.5, arousal: 0.0 }),
            ],
            age: 0.4,
        }),
        genre: Section::Live(RankedView {
            model: "genre".into(),
            ranked: genres.iter().enumerate().map(|(i, g)| (g.to_string(), 0.5 / (i + 1) as f32)).collect(),
            age: 0.2,
        }),
        instruments: Section::Live(InstrumentsView {
            families: (0..10)
                .map(|f| FamilyView {
                    name: format!("family{f}"),
                    presence: 0.9 - 0.08 * f as f32,
                    tags: vec![(format!("tag{f}a"), 0.8), (format!("tag{f}b"), 0.6)],
                    because: vec![(format!("tag{f}a"), 0.8)],
                })
                .collect(),
            age: 0.0,
        }),
        style: Section::Live(RankedView {
            model: "style".into(),
            ranked: vec![("waltz".into(), 0.6), ("tango".into(), 0.3)],
            age: 0.2,
        }),
        vocal: Section::Live(RankedView {
            model: "vocal-emotion".into(),
            ranked: vec![
                ("anger".into(), 0.75),
                ("happiness".into(), 0.15),
                ("neutral".into(), 0.06),
                ("sadness".into(), 0.04),
            ],
            age: 0.3,
        }),
        other: Vec::new(),
        hears: Some(HearingView {
            content: Some(Content::Music),
            families: (0..5).map(|f| (format!("family{f}"), vec![format!("tag{f}a"), format!("tag{f}b")])).collect(),
            voice: true,
        }),
        no_signal: None,
        status: "emotion, genre, instruments, vocal-emotion · CPU · last inference 1.2 ms · worker load 0.8 %".into(),
        messages: vec!["CUDA unavailable, running on CPU".into()],
    }
}

#[test]
fn ages_read_naturally() {
    assert_eq!(age(0.01), "now");
    assert_eq!(age(0.42), "0.4 s ago");
}

/// The view alone, every section drawn (the parts the whole-window tests below cannot set directly).
#[test]
fn every_section_of_a_full_view_is_drawn_within_the_default_size() {
    let view = full_view();
    let cc_map = vec![(20, "valence (P high)".to_string()), (32, "instruments: family0".to_string())];
    let ctx = egui::Context::default();
    let (w, h) = DEFAULT_EDITOR_SIZE;
    let size = egui::vec2(w as f32, h as f32 - 60.0); // the settings rows take about 60 points above the view
    let input =
        egui::RawInput { screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)), ..Default::default() };
    let mut output = None;
    for _ in 0..4 {
        let mut frame = ctx.run_ui(input.clone(), |ui| {
            egui::CentralPanel::default().show(ui, |ui| draw_view(ui, &view, &cc_map));
        });
        frame.textures_delta.clear(); // no renderer here to upload the font atlas to
        output = Some(frame);
    }
    let texts = painted_text(&output.unwrap());
    for expected in [
        "CUDA unavailable",
        "Emotion",
        "valence +0.60",
        "Vocal emotion",
        "anger (75 %)",
        "Genre",
        "hip_hop (50 %)",
        "Style",
        "waltz (60 %)",
        "waltz 0.17",
        "10 more",
        "Instruments",
        "family0 0.90 · tag0a 0.80, tag0b 0.60",
        "family4",
        "5 more families",
        "worker load",
        "MIDI CCs (2)",
        "Hears: music · family0: tag0a, tag0b · family1: tag1a, tag1b · family2: tag2a, tag2b · voice",
        "2 more heard",
    ] {
        assert_visible(&texts, size, expected);
    }
    assert!(!texts.iter().any(|(t, _)| t.contains("tango")), "genres past the top 3 wait behind the fold");
}

/// The real editor window on silence: the settings, the sections, "no signal", and nothing invented.
#[test]
fn on_silence_the_window_says_no_signal_and_shows_no_readout() {
    // Readouts from before the silence are still in the snapshot (they are held for the CCs): none may show.
    let ready = |task, classes: &[&str]| ModelReadout {
        scores: vec![0.7; classes.len()],
        updates: 3,
        ..ModelReadout::new(&format!("{task:?}"), task, classes.iter().map(|c| c.to_string()).collect())
    };
    let models = vec![
        ready(Task::Emotion, &["valence", "arousal"]),
        ready(Task::Genre, &["rock", "jazz"]),
        ready(Task::Instruments, &["violin"]),
    ];
    let mut snapshot = Snapshot { roles: Roles::of(&models), models, ..Snapshot::default() };
    snapshot.status.silent_seconds = 4.0;
    let mut window = Window::new(snapshot);
    let (texts, picture) = window.show();
    for expected in [
        "Update every",
        "Models folder",
        "no signal: input below -60 dBFS for 4.0 s",
        "Emotion",
        "Genre",
        "Instruments",
        "MIDI CCs",
    ] {
        assert_visible(&texts, window.size, expected);
    }
    assert!(
        !texts.iter().any(|(t, _)| t.starts_with("valence +") || t.starts_with("valence -")),
        "no point on silence"
    );
    assert!(!texts.iter().any(|(t, _)| t.contains("rock")), "no genre on silence");
    save("editor-silence.png", &picture);
}

/// The real editor window on speech, with content, genre, instrument and vocal-emotion models: it says what
/// it hears, mutes genre ("not music"), and holds vocal emotion back where no voice is heard.
#[test]
fn the_window_says_what_it_hears_and_why_a_readout_is_held_back() {
    let ready = |task, classes: &[&str], scores: &[f32]| ModelReadout {
        scores: scores.to_vec(),
        updates: 3,
        ..ModelReadout::new(&format!("{task:?}"), task, classes.iter().map(|c| c.to_string()).collect())
    };
    let snapshot = |content: [f32; 2]| {
        let models = vec![
            ready(Task::Content, &["music", "speech"], &content),
            ready(Task::Genre, &["rock", "jazz"], &[0.2, 0.8]),
            ready(Task::Instruments, &["violin", "voice"], &[0.9, 0.1]),
            ready(Task::VocalEmotion, &["anger", "neutral"], &[0.7, 0.3]),
        ];
        let status = EngineStatus { signal: true, ..EngineStatus::default() };
        let roles = Roles::of(&models);
        Snapshot::new(models, status, roles)
    };
    let mut window = Window::new(snapshot([0.1, 0.1]));
    let (texts, _) = window.show();
    for expected in ["Hears: silence or noise · violin: violin", "— (not music)", "— (no voice)"] {
        assert_visible(&texts, window.size, expected);
    }
    assert!(!texts.iter().any(|(t, _)| t.contains("jazz") || t.contains("anger")), "gated readouts stay hidden");
    let mut window = Window::new(snapshot([0.9, 0.1]));
    let (texts, _) = window.show();
    assert_visible(&texts, window.size, "Hears: music · violin: violin");
    assert_visible(&texts, window.size, "jazz (80 %)");
    assert_visible(&texts, window.size, "— (no voice)");
}

/// Saves a screenshot when `EARMARK_SCREENSHOTS` names a folder (`cargo xtask screenshots`).
fn save(name: &str, picture: &Picture) {
    if let Some(dir) = std::env::var_os("EARMARK_SCREENSHOTS") {
        let path = std::path::Path::new(&dir).join(name);
        picture.save_png(&path).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        eprintln!("saved {}", path.display());
    }
}

/// The real editor window over the shipped models' readouts of the generated demo clip.
#[test]
fn on_a_clip_every_shipped_readout_is_on_screen() {
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let (clip, _) = earmark_core::demo_clip::render();
    let mut engine = Engine::load(&models, earmark_core::demo_clip::DEMO_SAMPLE_RATE, &EngineSettings::default());
    assert!(engine.status_mut().messages.is_empty(), "{:?}", engine.status_mut().messages);
    engine.feed(&clip, |_, _| {});
    let snapshot = engine.snapshot();
    let roles = snapshot.roles.clone();
    let mut window = Window::new(snapshot);
    let (texts, picture) = window.show();
    assert_visible(&texts, window.size, "Update every");
    assert_visible(&texts, window.size, "MIDI CCs");
    if roles.emotion.is_some() {
        assert_visible(&texts, window.size, "valence ");
    }
    if roles.genre.is_some() {
        assert_visible(&texts, window.size, "Genre");
    }
    if roles.instruments.is_some() {
        assert_visible(&texts, window.size, "Instruments");
    }
    if roles.vocal.is_some() {
        assert_visible(&texts, window.size, "Vocal emotion");
    }
    assert_visible(&texts, window.size, "worker load");
    assert!(!texts.iter().any(|(t, _)| t.contains("no signal")), "a clip is a signal");
    save("editor-clip.png", &picture);
    // The emotion point is painted (light blue) inside the circumplex, not just text on a blank background.
    let plot = egui::Rect::from_min_size(egui::pos2(40.0, 100.0), egui::vec2(320.0, 200.0));
    let point = picture.count_color(plot, egui::Color32::LIGHT_BLUE, 12);
    assert!(point > 40, "{point} light-blue pixels in the circumplex");
}
