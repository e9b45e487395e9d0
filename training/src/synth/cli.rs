//! `earmark-train synth`: writes generated clips, a manifest and the label vocabulary to a folder.
//!
//! Output folder layout:
//!
//! - `<kind>-<index:05>.wav` (or `<kind>-<index:05>-v<variant:02>.wav` with `--variants` > 1): mono, 16-bit PCM
//!   (or 32-bit float with `--float`), peak ≤ 0.99.
//! - `manifest.csv`: the project's generic CSV manifest: `path` (relative to the folder), `group` (the composition
//!   id, shared by its variants), then by kind `valence,arousal` | `label` | `tags,unannotated` (`;`-separated),
//!   then informative columns (cues, tempo, key, programs…) that loaders ignore.
//! - `classes.txt` (style: one class per line, in label-index order), `tags.txt` and `hierarchy.json`
//!   (instruments: `[{"name": family, "members": [tags]}]`).
//! - `synth.json`: the settings that determine the audio (kind, seed, length, rate, format, SoundFont, samples).
//!
//! Re-running into the same folder *resumes*: when `synth.json` matches, clips whose WAV already exists are not
//! rendered again (each WAV is written to a temporary name and renamed, so an existing one is complete); their
//! labels are re-planned, which is cheap and deterministic, and the manifest is rewritten for the whole run. A
//! larger `--count` extends a run. Different settings into a used folder are refused unless `--overwrite`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::command_error::{AtPath, CommandError, CommandResult, usage, write_file};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::wav::{self, WavFormat};
use super::{ClipKind, ClipLabels, Generator, Holdout, HoldoutPart, Plan, gm, locate_soundfont, style::Style};

/// Generate labelled music clips with the procedural generator (rustysynth + a General MIDI SoundFont).
#[derive(Debug, Clone, clap::Args)]
pub struct SynthArgs {
    /// What to generate: `emotion` (valence/arousal from musical cues), `style` (8 Ballroom dances + rock, swing
    /// jazz, electronic, hip-hop, orchestral) or `instruments` (1–4 instruments, fine tags + families).
    #[arg(long, value_enum)]
    pub kind: ClipKind,
    /// Number of compositions (clip indices 0..count).
    #[arg(long, default_value_t = 100)]
    pub count: u64,
    /// Renders of each composition with different instruments and mix; they share a `group` in the manifest.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub variants: u32,
    /// Run seed: the same seed gives bit-identical clips (clip i never depends on --count or --jobs).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f32,
    /// Output sample rate in Hz (16000–192000).
    #[arg(long, default_value_t = 22050)]
    pub sample_rate: u32,
    /// Output folder (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// SF2 SoundFont (default: $EARMARK_SOUNDFONT, then target/earmark-soundfont/TimGM6mb.sf2 from
    /// `cargo xtask soundfont`, then /usr/share/sounds/sf2/).
    #[arg(long)]
    pub soundfont: Option<PathBuf>,
    /// Instruments only: a folder with one sub-folder of single-note recordings per instrument (e.g.
    /// ../shared/data/philharmonia-subset) whose notes are mixed in and tagged by folder name.
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// Instruments only: probability that each absent tag is marked unannotated (OpenMIC-style partial labels).
    #[arg(long, default_value_t = 0.0)]
    pub unannotated_fraction: f32,
    /// Instruments only: a manifest CSV of utterances (`path`, `group` = speaker), voiced as the `voice` tag over
    /// some mixtures (e.g. the EmoDB / RAVDESS / SAVEE speech list the genre recipe writes).
    #[arg(long)]
    pub voices: Option<PathBuf>,
    /// Instruments only: a folder of Hydrogen drum kits (`*/drumkit.xml`; Debian's hydrogen-drumkits installs
    /// /usr/share/hydrogen/data/drumkits) whose hits play some grooves.
    #[arg(long)]
    pub drum_kits: Option<PathBuf>,
    /// Instruments only: which recordings to draw from — all, or the training or held-out part of a split by
    /// note file, speaker and kit (`--holdout-percent` of each held out).
    #[arg(long, value_enum, default_value_t = HoldoutPart::All)]
    pub holdout: HoldoutPart,
    /// Instruments only: the share of voices slowed 1.5–2.5× with their pitch kept, so their vowels are held like
    /// sung ones (no real singing is cleared for training).
    #[arg(long, default_value_t = 0.0)]
    pub sung_fraction: f32,
    /// Share of recording groups held out, percent.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(1..=99))]
    pub holdout_percent: u8,
    /// Write 32-bit float WAV instead of 16-bit PCM.
    #[arg(long)]
    pub float: bool,
    /// Re-render every clip even if the folder holds a run (same or different settings).
    #[arg(long)]
    pub overwrite: bool,
    /// Worker threads (default: all cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
}

/// Runs `earmark-train synth`.
pub fn run(args: &SynthArgs) -> CommandResult<()> {
    if !(0.0..=1.0).contains(&args.unannotated_fraction) {
        usage!("--unannotated-fraction must be in [0, 1], got {}", args.unannotated_fraction);
    }
    let recordings = args.samples.is_some() || args.voices.is_some() || args.drum_kits.is_some();
    if args.kind != ClipKind::Instruments
        && (recordings || args.unannotated_fraction > 0.0 || args.holdout != HoldoutPart::All)
    {
        usage!(
            "--samples, --voices, --drum-kits, --holdout and --unannotated-fraction apply to --kind instruments only"
        );
    }
    if args.holdout != HoldoutPart::All && !recordings {
        usage!("--holdout splits recordings: give --samples, --voices or --drum-kits");
    }
    let soundfont = locate_soundfont(args.soundfont.as_deref())?;
    let mut generator = Generator::new(&soundfont, args.sample_rate)?
        .with_holdout(Holdout { part: args.holdout, percent: args.holdout_percent });
    if let Some(samples) = &args.samples {
        generator = generator.with_samples(samples)?;
    }
    if let Some(voices) = &args.voices {
        generator = generator.with_voices(voices)?;
    }
    if let Some(kits) = &args.drum_kits {
        generator = generator.with_drum_kits(kits)?;
    }
    for skipped in generator.skipped_recordings() {
        eprintln!("skipping {} (does not decode)", skipped.display());
    }
    if !(0.0..=1.0).contains(&args.sung_fraction) {
        usage!("--sung-fraction must be in [0, 1], got {}", args.sung_fraction);
    }
    let generator =
        generator.with_unannotated_fraction(args.unannotated_fraction).with_sung_fraction(args.sung_fraction);
    std::fs::create_dir_all(&args.out).at(&args.out)?;

    let settings = settings_json(args, &soundfont);
    let settings_path = args.out.join("synth.json");
    let resume = match std::fs::read_to_string(&settings_path) {
        Ok(text) => {
            let previous: serde_json::Value = serde_json::from_str(&text).at(&settings_path)?;
            if previous == settings {
                !args.overwrite
            } else if args.overwrite {
                false
            } else {
                usage!(
                    "{} holds clips made with other settings ({}); use another --out, or --overwrite",
                    args.out.display(),
                    settings_path.display()
                );
            }
        }
        Err(_) => false,
    };
    write_file(&settings_path, serde_json::to_string_pretty(&settings).at(&settings_path)?)?;
    write_vocabulary(args.kind, &args.out)?;

    let items: Vec<(u64, u32)> = (0..args.count).flat_map(|i| (0..args.variants).map(move |v| (i, v))).collect();
    let format = if args.float { WavFormat::Float32 } else { WavFormat::Pcm16 };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let bar = ProgressBar::new(items.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} clips, {elapsed} (eta {eta}) {wide_msg}")
            .expect("static template"),
    );
    let rows: Mutex<Vec<Option<Vec<String>>>> = Mutex::new(vec![None; items.len()]);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<CommandError>> = Mutex::new(None);
    let rendered = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(items.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= items.len() || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let (index, variant) = items[n];
                    match clip(&generator, args, index, variant, resume, format) {
                        Ok((row, did_render)) => {
                            rows.lock().expect("rows lock")[n] = Some(row);
                            if did_render {
                                rendered.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            first_error.lock().expect("error lock").get_or_insert(e);
                        }
                    }
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    if let Some(e) = first_error.into_inner().expect("error lock") {
        return Err(e);
    }
    let rows: Vec<Vec<String>> = rows.into_inner().expect("rows lock").into_iter().flatten().collect();
    let manifest = args.out.join("manifest.csv");
    let mut writer = csv::Writer::from_writer(Vec::new());
    let to_memory = |e: csv::Error| CommandError::File { path: manifest.clone(), source: e.into() };
    writer.write_record(header(args.kind)).map_err(to_memory)?;
    for row in &rows {
        writer.write_record(row).map_err(to_memory)?;
    }
    let bytes =
        writer.into_inner().map_err(|e| CommandError::File { path: manifest.clone(), source: e.into_error() })?;
    write_file(&manifest, &bytes)?;
    println!(
        "{} clips in {} ({} rendered, {} kept from an earlier run); manifest.csv written",
        rows.len(),
        args.out.display(),
        rendered.load(Ordering::Relaxed),
        rows.len() - rendered.load(Ordering::Relaxed)
    );
    Ok(())
}

/// Plans (and unless resumable, renders and writes) one clip; returns its manifest row and whether it rendered.
fn clip(
    generator: &Generator,
    args: &SynthArgs,
    index: u64,
    variant: u32,
    resume: bool,
    format: WavFormat,
) -> CommandResult<(Vec<String>, bool)> {
    let group = format!("{}-{index:05}", args.kind.name());
    let name = if args.variants > 1 { format!("{group}-v{variant:02}.wav") } else { format!("{group}.wav") };
    let path = args.out.join(&name);
    let plan = generator.plan(args.kind, args.seed, index, variant, args.seconds)?;
    let render = !(resume && path.is_file());
    if render {
        let clip = generator.render_plan(&plan)?;
        wav::write(&path, &clip.samples, clip.sample_rate, format).at(&path)?;
    }
    Ok((row(&name, &group, &plan), render))
}

/// The manifest header of a kind.
pub fn header(kind: ClipKind) -> Vec<&'static str> {
    let mut h = vec!["path", "group"];
    h.extend_from_slice(match kind {
        ClipKind::Emotion => &[
            "valence",
            "arousal",
            "mode",
            "tempo_bpm",
            "loudness",
            "register",
            "articulation",
            "density",
            "brightness",
            "dissonance",
            "key",
            "beats_per_bar",
            "drums",
            "programs",
        ][..],
        ClipKind::Style => &["label", "tempo_bpm", "beats_per_bar", "key", "swing", "drums", "programs"][..],
        ClipKind::Instruments => &["tags", "unannotated", "families", "sources", "tempo_bpm", "key"][..],
        ClipKind::Noise => &["tags", "unannotated", "layers", "level_db"][..],
    });
    h
}

fn row(name: &str, group: &str, plan: &Plan) -> Vec<String> {
    let mut r = vec![name.to_string(), group.to_string()];
    let f = |x: f32| format!("{x:.4}");
    match &plan.labels {
        ClipLabels::Emotion(l) => {
            let c = &l.cues;
            r.extend([
                f(l.valence),
                f(l.arousal),
                if c.mode == super::Mode::Major { "major" } else { "minor" }.to_string(),
                format!("{:.2}", c.tempo_bpm),
                f(c.loudness),
                f(c.register),
                f(c.articulation),
                f(c.density),
                f(c.brightness),
                f(c.dissonance),
                l.key.clone(),
                l.beats_per_bar.to_string(),
                l.drums.to_string(),
                l.programs.iter().map(u8::to_string).collect::<Vec<_>>().join(";"),
            ]);
        }
        ClipLabels::Style(l) => {
            r.extend([
                l.style.name().to_string(),
                format!("{:.2}", l.tempo_bpm),
                l.beats_per_bar.to_string(),
                l.key.clone(),
                format!("{:.3}", l.swing),
                l.drums.to_string(),
                l.programs.iter().filter(|p| **p != 255).map(u8::to_string).collect::<Vec<_>>().join(";"),
            ]);
        }
        ClipLabels::Instruments(l) => {
            let sources: Vec<String> = l
                .sources
                .iter()
                .map(|s| {
                    let how = match (s.recorded, s.program) {
                        (true, _) => "recorded".to_string(),
                        (false, Some(p)) => format!("gm{p}"),
                        (false, None) => "gm-drums".to_string(),
                    };
                    format!("{}:{how}:{}", s.tag, s.role.name())
                })
                .collect();
            r.extend([
                l.tags.join(";"),
                l.unannotated.join(";"),
                l.families.join(";"),
                sources.join(";"),
                format!("{:.2}", l.tempo_bpm),
                l.key.clone(),
            ]);
        }
        ClipLabels::Noise(l) => {
            let layers: Vec<String> = l.layers.iter().map(|x| x.name()).collect();
            r.extend([String::new(), String::new(), layers.join(";"), format!("{:.1}", l.level_db)]);
        }
    }
    r
}

/// `classes.txt` for style, `tags.txt` + `hierarchy.json` for instruments.
fn write_vocabulary(kind: ClipKind, out: &Path) -> CommandResult<()> {
    match kind {
        ClipKind::Emotion | ClipKind::Noise => Ok(()),
        ClipKind::Style => {
            let classes: Vec<&str> = Style::ALL.iter().map(|s| s.name()).collect();
            write_file(&out.join("classes.txt"), classes.join("\n") + "\n")
        }
        ClipKind::Instruments => {
            write_file(&out.join("tags.txt"), gm::tags().join("\n") + "\n")?;
            #[derive(serde::Serialize)]
            struct Family {
                name: &'static str,
                members: Vec<&'static str>,
            }
            let hierarchy: Vec<Family> =
                gm::hierarchy().into_iter().map(|(name, members)| Family { name, members }).collect();
            let path = out.join("hierarchy.json");
            write_file(&path, serde_json::to_string_pretty(&hierarchy).at(&path)? + "\n")
        }
    }
}

/// What determines the audio of a run (count, variants and jobs do not: they only choose which clips exist).
fn settings_json(args: &SynthArgs, soundfont: &Path) -> serde_json::Value {
    let soundfont_size = std::fs::metadata(soundfont).map(|m| m.len()).unwrap_or(0);
    let mut settings = json!({
        "generator": "earmark-train synth",
        "generator_version": GENERATOR_VERSION,
        "kind": args.kind.name(),
        "seed": args.seed,
        "seconds": args.seconds,
        "sample_rate": args.sample_rate,
        "format": if args.float { "float32" } else { "pcm16" },
        "soundfont": soundfont.file_name().map(|n| n.to_string_lossy().into_owned()),
        "soundfont_bytes": soundfont_size,
        "samples": args.samples.as_ref().map(|p| p.display().to_string()),
        "unannotated_fraction": args.unannotated_fraction,
        "voices": args.voices.as_ref().map(|p| p.display().to_string()),
        "drum_kits": args.drum_kits.as_ref().map(|p| p.display().to_string()),
        "holdout": format!("{:?}", args.holdout).to_lowercase(),
        "holdout_percent": args.holdout_percent,
    });
    // Only when used, so folders written before the option keep resuming.
    if args.sung_fraction > 0.0 {
        settings["sung_fraction"] = json!(args.sung_fraction);
    }
    settings
}

/// Bumped whenever a change to the generator changes its output for a given seed, so an old folder is not
/// silently extended with clips from different code.
pub const GENERATOR_VERSION: u32 = 2;
