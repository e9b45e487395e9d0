//! The editor (egui via nice-plug-egui, behind the `gui` feature): draws the engine's [`View`] and the
//! settings. The view is built from the worker's snapshots (its own triple buffer) on the GUI thread, only when
//! a new snapshot arrived; settings that need a reload (models folder, device) go to the worker as a command.
//!
//! Layout, sized so that every section fits the default 720 × 540 window: settings on top; one line of what it
//! hears ("Hears: music · strings: violin, cello · voice", families past the third behind a fold); emotion (the
//! circumplex) and vocal emotion on the left; the top genres and the most present instrument families on the
//! right, the rest of each behind a "more" fold; the status line and the MIDI CC map at the bottom. A readout
//! that what is heard rules out says why in its place ("— (not music)", "— (no voice)").

#[cfg(feature = "gui")]
mod app;
#[cfg(all(test, feature = "gui"))]
mod raster;
#[cfg(all(test, feature = "gui"))]
mod tests;

#[cfg(feature = "gui")]
pub use app::{EarmarkApp, create};
#[cfg(feature = "gui")]
use earmark_core::engine::view::{HearingView, RankedView, Section, View};

/// Genres shown before the "more" fold.
#[cfg(feature = "gui")]
const TOP_GENRES: usize = 3;
/// Instrument families shown before the "more" fold.
#[cfg(feature = "gui")]
const TOP_FAMILIES: usize = 5;
/// Vocal emotions shown before the "more" fold.
#[cfg(feature = "gui")]
const TOP_VOCAL: usize = 3;
/// Instrument families on the "Hears" line before its fold: three keep it to one line of the default window.
#[cfg(feature = "gui")]
const TOP_HEARD: usize = 3;

/// Draws a view and the CC map (`(cc, what)` pairs): emotion, vocal emotion, genre, instruments, other
/// models, messages, the status line. Plain egui, so tests run it in a headless `egui::Context`.
#[cfg(feature = "gui")]
pub fn draw_view(ui: &mut egui::Ui, view: &View, cc_map: &[(u8, String)]) {
    use egui::Color32;

    for message in &view.messages {
        ui.colored_label(Color32::from_rgb(230, 90, 70), message);
    }
    if let Some(no_signal) = &view.no_signal {
        ui.colored_label(Color32::from_rgb(230, 190, 80), no_signal);
    }
    if let Some(hears) = &view.hears {
        hearing(ui, hears);
    }
    ui.columns(2, |columns| {
        let ui = &mut columns[0];
        emotion(ui, view);
        if view.vocal.has_model() {
            ui.heading("Vocal emotion");
            ranked(ui, &view.vocal, view, TOP_VOCAL, "vocal", "no vocal emotion model");
        }
        let ui = &mut columns[1];
        ui.heading("Genre");
        ranked(ui, &view.genre, view, TOP_GENRES, "genre", "no genre model");
        if view.style.has_model() {
            ui.heading("Style");
            ranked(ui, &view.style, view, 1, "style", "");
        }
        ui.heading("Instruments");
        instruments(ui, view);
        for other in &view.other {
            ui.heading(&other.model);
            ranked(ui, &Section::Live(other.clone()), view, TOP_GENRES, &other.model, "");
        }
    });
    ui.separator();
    ui.small(&view.status);
    egui::CollapsingHeader::new(format!("MIDI CCs ({})", cc_map.len())).id_salt("cc map").show(ui, |ui| {
        if cc_map.is_empty() {
            ui.small("no CC is sent: no model loaded, or every CC switched off");
        }
        for (cc, what) in cc_map {
            ui.small(format!("CC {cc}: {what}"));
        }
    });
}

/// "Hears: music · strings: violin, cello · voice", the families past [`TOP_HEARD`] behind a fold.
#[cfg(feature = "gui")]
fn hearing(ui: &mut egui::Ui, hears: &HearingView) {
    use egui::RichText;

    ui.label(RichText::new(format!("Hears: {}", hears.line(TOP_HEARD))).strong());
    if hears.families.len() > TOP_HEARD {
        egui::CollapsingHeader::new(format!("{} more heard", hears.families.len() - TOP_HEARD))
            .id_salt("more heard")
            .show(ui, |ui| {
                for (family, tags) in hears.families.iter().skip(TOP_HEARD) {
                    ui.small(format!("{family}: {}", tags.join(", ")));
                }
            });
    }
}

/// What a section without a live readout says.
#[cfg(feature = "gui")]
fn waiting<T>(ui: &mut egui::Ui, section: &Section<T>, view: &View, missing: &str) {
    match section {
        Section::NoModel => ui.label(missing),
        Section::Gated(reason) => ui.weak(format!("— ({reason})")),
        _ if view.no_signal.is_some() => ui.weak("no signal"),
        _ => ui.weak("listening…"),
    };
}

#[cfg(feature = "gui")]
fn emotion(ui: &mut egui::Ui, view: &View) {
    use egui::Color32;
    use egui_plot::{Line, Plot, PlotPoints, Points};

    ui.heading("Emotion");
    let live = view.emotion.live();
    match live {
        Some(emotion) => {
            ui.label(format!(
                "valence {:+.2} · arousal {:+.2} · updated {}",
                emotion.now.valence,
                emotion.now.arousal,
                age(emotion.age)
            ));
        }
        None => waiting(ui, &view.emotion, view, "no emotion model"),
    }
    if !view.emotion.has_model() {
        return;
    }
    // The circumplex stays on screen (empty while there is nothing to show) so the layout does not jump.
    Plot::new("circumplex")
        .data_aspect(1.0)
        .include_x(-1.0)
        .include_x(1.0)
        .include_y(-1.0)
        .include_y(1.0)
        .x_axis_label("valence")
        .y_axis_label("arousal")
        .height(210.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot| {
            let Some(emotion) = live else { return };
            // The trail fades with age: each segment is drawn more transparent the older it is.
            let oldest = emotion.trail.first().map_or(1.0, |(age, _)| age.max(1e-3));
            for (i, pair) in emotion.trail.windows(2).enumerate() {
                let alpha = (255.0 * (1.0 - pair[0].0 / oldest).clamp(0.1, 1.0)) as u8;
                let points: Vec<[f64; 2]> =
                    pair.iter().map(|(_, p)| [f64::from(p.valence), f64::from(p.arousal)]).collect();
                plot.line(
                    Line::new(format!("trail {i}"), PlotPoints::from(points)).color(Color32::from_white_alpha(alpha)),
                );
            }
            let now = [f64::from(emotion.now.valence), f64::from(emotion.now.arousal)];
            plot.points(Points::new("now", vec![now]).radius(6.0).color(Color32::LIGHT_BLUE));
        });
}

/// A ranked readout: the top `top` classes as bars (the first in words), the rest behind a fold.
#[cfg(feature = "gui")]
fn ranked(ui: &mut egui::Ui, section: &Section<RankedView>, view: &View, top: usize, id: &str, missing: &str) {
    use egui::RichText;

    let Some(readout) = section.live() else {
        waiting(ui, section, view, missing);
        return;
    };
    if let Some((class, p)) = readout.ranked.first() {
        ui.label(RichText::new(format!("{class} ({:.0} %) · updated {}", 100.0 * p, age(readout.age))).strong());
    }
    let bar = |ui: &mut egui::Ui, (class, p): &(String, f32)| {
        ui.add(egui::ProgressBar::new(*p).desired_height(14.0).text(format!("{class} {p:.2}")));
    };
    readout.ranked.iter().take(top).for_each(|entry| bar(ui, entry));
    if readout.ranked.len() > top {
        egui::CollapsingHeader::new(format!("{} more", readout.ranked.len() - top))
            .id_salt(("more", id))
            .show(ui, |ui| readout.ranked.iter().skip(top).for_each(|entry| bar(ui, entry)));
    }
}

#[cfg(feature = "gui")]
fn instruments(ui: &mut egui::Ui, view: &View) {
    use earmark_core::engine::view::FamilyView;
    use egui::RichText;

    let Some(instruments) = view.instruments.live() else {
        waiting(ui, &view.instruments, view, "no instrument model");
        return;
    };
    ui.label(format!("updated {}", age(instruments.age)));
    // One line a family: "strings 0.87 · violin 0.91, cello 0.60" — the family, then the tags over their
    // thresholds, or (none over) the tags the model says lit it.
    let family = |ui: &mut egui::Ui, family: &FamilyView| {
        let tags = if family.tags.is_empty() { &family.because } else { &family.tags };
        let tags: Vec<String> = tags.iter().map(|(tag, p)| format!("{tag} {p:.2}")).collect();
        let label = if tags.is_empty() {
            format!("{} {:.2}", family.name, family.presence)
        } else {
            format!("{} {:.2} · {}", family.name, family.presence, tags.join(", "))
        };
        ui.add(egui::ProgressBar::new(family.presence).desired_height(14.0).text(RichText::new(label).strong()));
    };
    instruments.families.iter().take(TOP_FAMILIES).for_each(|f| family(ui, f));
    if instruments.families.len() > TOP_FAMILIES {
        egui::CollapsingHeader::new(format!("{} more families", instruments.families.len() - TOP_FAMILIES))
            .id_salt("more families")
            .show(ui, |ui| instruments.families.iter().skip(TOP_FAMILIES).for_each(|f| family(ui, f)));
    }
}

/// "0.4 s ago", or "now".
#[cfg(any(feature = "gui", test))]
pub fn age(seconds: f64) -> String {
    if seconds < 0.05 { "now".into() } else { format!("{seconds:.1} s ago") }
}
