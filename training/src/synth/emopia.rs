//! EMOPIA (Hung et al., ISMIR 2021): 1 078 MIDI clips transcribed from real pop-piano covers of 387 songs, each
//! named `Q{1-4}_{song id}_{clip}.mid` with its emotion quadrant. Rendered here with real piano sounds — the
//! piano programs of several SF2 SoundFonts, a touch (velocity scaling), room reverb, a spectral tilt and a level
//! drawn per render — so an emotion model hears the performance, not one piano and one recording chain.
//!
//! Every render is a function of (seed, clip, variant) alone, so a run can be resumed (renders already written
//! are kept) and repeated. The labels are the quadrant's high/low valence and arousal, as two tags; the group is
//! the song, so no split ever puts two clips of one song on both sides.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::Rng;
use rustysynth::SoundFont;

use super::midi::{Performance, score};
use super::render::{Level, Mix, finish, render_score};
use super::{SynthError, clip_rng, soundfont, wav};
use crate::data::four_q::quadrant;
use crate::data::{DataError, Dataset, Item, Target, TargetKind, VALENCE_AROUSAL};

/// One EMOPIA clip.
#[derive(Debug, Clone, PartialEq)]
pub struct EmopiaClip {
    /// The MIDI file.
    pub path: PathBuf,
    /// File stem (`Q1_0vLPYiPN7qY_0`).
    pub stem: String,
    /// Quadrant 1–4.
    pub quadrant: u8,
    /// The song id (everything between the first and the last underscore; YouTube ids may hold `_`).
    pub song: String,
}

/// Parses an EMOPIA file name.
pub fn parse_name(stem: &str) -> Option<(u8, String)> {
    let (q, rest) = stem.split_once('_')?;
    let (song, clip) = rest.rsplit_once('_')?;
    let quadrant = q.strip_prefix('Q')?.parse::<u8>().ok().filter(|q| (1..=4).contains(q))?;
    (!song.is_empty() && clip.parse::<u32>().is_ok()).then(|| (quadrant, song.to_string()))
}

/// Every `.mid` under `dir`, sorted; a name that breaks EMOPIA's convention is an error naming it.
pub fn scan(dir: &Path) -> Result<Vec<EmopiaClip>, SynthError> {
    let io = |e: std::io::Error| SynthError::Io { path: dir.to_path_buf(), reason: e.to_string() };
    let mut clips = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_none_or(|e| !e.eq_ignore_ascii_case("mid")) {
            continue;
        }
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let (quadrant, song) = parse_name(&stem).ok_or_else(|| SynthError::Io {
            path: path.clone(),
            reason: "not an EMOPIA name: expected Q{1-4}_{song id}_{clip number}.mid".into(),
        })?;
        clips.push(EmopiaClip { path, stem, quadrant, song });
    }
    if clips.is_empty() {
        return Err(SynthError::Io { path: dir.to_path_buf(), reason: "no .mid files".into() });
    }
    clips.sort_by(|a, b| a.stem.cmp(&b.stem));
    Ok(clips)
}

/// How to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// SF2 SoundFonts to draw the piano from (one per render, uniformly).
    pub soundfonts: Vec<PathBuf>,
    /// General MIDI programs to draw from (pianos: 0 acoustic grand, 1 bright, 2 electric grand, 4/5 electric).
    pub programs: Vec<u8>,
    /// Renders per clip, each with its own piano, touch, room, tone and level.
    pub variants: u32,
    /// Seed of every choice.
    pub seed: u64,
    /// At most this many seconds of each clip.
    pub seconds: f64,
    /// Output sample rate.
    pub sample_rate: u32,
}

/// The production drawn for one render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Production {
    /// Index into [`RenderOptions::soundfonts`].
    pub soundfont: usize,
    /// Performance (program, touch, reverb send).
    pub performance: Performance,
    /// Tilt and level.
    pub mix: Mix,
}

/// The production of render `variant` of clip number `index`.
pub fn production(options: &RenderOptions, index: u64, variant: u32) -> Production {
    let mut rng = clip_rng(options.seed, index, variant, 77);
    let performance = Performance {
        program: options.programs[rng.random_range(0..options.programs.len().max(1))],
        velocity_scale: rng.random_range(0.7..1.2),
        reverb: rng.random_range(0..100),
        max_seconds: options.seconds,
    };
    Production {
        soundfont: rng.random_range(0..options.soundfonts.len().max(1)),
        performance,
        mix: Mix {
            effects: true,
            tilt_db: rng.random_range(-4.0..4.0),
            level: Level::RmsDb(rng.random_range(-26.0..-14.0)),
        },
    }
}

/// Renders every clip `variants` times into `out/audio/`, keeping renders that exist, and returns the dataset
/// (two tags, `valence` and `arousal`, present when high; group = song) to write as a manifest.
/// `progress(done, total)` follows each render.
pub fn render_all(
    clips: &[EmopiaClip],
    options: &RenderOptions,
    out: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<Dataset, SynthError> {
    if options.soundfonts.is_empty() || options.programs.is_empty() || options.variants == 0 {
        return Err(SynthError::Midi("rendering needs a SoundFont, a program and one variant at least".into()));
    }
    let fonts: Vec<Arc<SoundFont>> =
        options.soundfonts.iter().map(|p| soundfont::load(p).map(Arc::new)).collect::<Result<_, _>>()?;
    let audio = out.join("audio");
    let total = clips.len() * options.variants as usize;
    let mut items = Vec::with_capacity(total);
    for (index, clip) in clips.iter().enumerate() {
        let bytes =
            std::fs::read(&clip.path).map_err(|e| SynthError::Io { path: clip.path.clone(), reason: e.to_string() })?;
        for variant in 0..options.variants {
            let path = audio.join(format!("{}_v{variant}.wav", clip.stem));
            if !path.is_file() {
                let p = production(options, index as u64, variant);
                let score = score(&bytes, &p.performance).map_err(|e| match e {
                    SynthError::Midi(reason) => SynthError::Midi(format!("{}: {reason}", clip.path.display())),
                    other => other,
                })?;
                let mut samples = render_score(&fonts[p.soundfont], options.sample_rate, &score, p.mix.effects)?;
                finish(&mut samples, options.sample_rate, &p.mix);
                wav::write(&path, &samples, options.sample_rate, wav::WavFormat::Pcm16)
                    .map_err(|e| SynthError::Io { path: path.clone(), reason: e.to_string() })?;
            }
            let (valence, arousal) = quadrant(&format!("Q{}", clip.quadrant)).expect("parsed quadrant");
            items.push(Item {
                path,
                group: clip.song.clone(),
                target: Target::Tags { present: vec![valence, arousal], annotated: vec![true, true] },
            });
            progress(items.len(), total);
        }
    }
    let classes = VALENCE_AROUSAL.iter().map(|s| s.to_string()).collect();
    Dataset::new("emopia", TargetKind::MultiLabel, classes, None, items)
        .map_err(|e: DataError| SynthError::Midi(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_quadrant_and_song() {
        assert_eq!(parse_name("Q1_0vLPYiPN7qY_0"), Some((1, "0vLPYiPN7qY".into())));
        assert_eq!(parse_name("Q3_a_b_c_12"), Some((3, "a_b_c".into())), "song ids may hold underscores");
        assert_eq!(parse_name("Q5_x_1"), None);
        assert_eq!(parse_name("Q2_x"), None);
        assert_eq!(parse_name("Q2_x_y"), None);
    }

    /// A two-note MIDI file.
    fn tiny_midi() -> Vec<u8> {
        use crate::synth::midi::tests::{event, midi, smf_bytes};
        use midly::MidiMessage;
        use midly::num::u7;
        let on = |key: u8| midi(0, MidiMessage::NoteOn { key: u7::new(key), vel: u7::new(90) });
        let off = |key: u8| midi(0, MidiMessage::NoteOff { key: u7::new(key), vel: u7::new(0) });
        smf_bytes(vec![event(0, on(60)), event(480, off(60)), event(0, on(67)), event(480, off(67))])
    }

    /// Scan, render with the test SoundFont, label by quadrant, group by song, and keep renders on a rerun.
    #[test]
    fn renders_label_by_quadrant_and_resume() {
        let dir = tempfile::tempdir().unwrap();
        let midi = dir.path().join("midi");
        std::fs::create_dir_all(&midi).unwrap();
        for name in ["Q2_song_a_0", "Q2_song_a_1", "Q4_other_0"] {
            std::fs::write(midi.join(format!("{name}.mid")), tiny_midi()).unwrap();
        }
        let clips = scan(&midi).unwrap();
        assert_eq!(clips.iter().map(|c| c.song.as_str()).collect::<Vec<_>>(), ["song_a", "song_a", "other"]);
        let options = RenderOptions {
            soundfonts: vec![soundfont::locate_soundfont(None).expect("cargo xtask soundfont")],
            programs: vec![0, 1],
            variants: 2,
            seed: 1,
            seconds: 10.0,
            sample_rate: 16_000,
        };
        let out = dir.path().join("out");
        let dataset = render_all(&clips, &options, &out, |_, _| {}).unwrap();
        assert_eq!(dataset.len(), 6);
        assert_eq!(dataset.group_members().len(), 2, "clips of one song share a group");
        let first = &dataset.items[0];
        assert_eq!(first.target, Target::Tags { present: vec![false, true], annotated: vec![true, true] }, "Q2");
        let reader = hound::WavReader::open(&first.path).unwrap();
        assert_eq!(reader.spec().sample_rate, 16_000);
        let samples: Vec<i16> = reader.into_samples().map(Result::unwrap).collect();
        let rms = (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt();
        assert!(rms > 100.0, "the render is not silent (rms {rms})");
        let written = std::fs::metadata(&first.path).unwrap().modified().unwrap();
        render_all(&clips, &options, &out, |_, _| {}).unwrap();
        assert_eq!(std::fs::metadata(&first.path).unwrap().modified().unwrap(), written, "kept, not rendered again");
        std::fs::write(midi.join("not_emopia.mid"), tiny_midi()).unwrap();
        assert!(scan(&midi).unwrap_err().to_string().contains("not_emopia"));
    }

    #[test]
    fn productions_are_repeatable_and_vary() {
        let options = RenderOptions {
            soundfonts: vec!["a.sf2".into(), "b.sf2".into()],
            programs: vec![0, 1, 2],
            variants: 2,
            seed: 3,
            seconds: 30.0,
            sample_rate: 22_050,
        };
        assert_eq!(production(&options, 5, 1), production(&options, 5, 1));
        let all: Vec<Production> = (0..40).map(|i| production(&options, i, 0)).collect();
        assert!(all.iter().any(|p| p.soundfont == 0) && all.iter().any(|p| p.soundfont == 1));
        assert!(all.windows(2).any(|w| w[0].performance.program != w[1].performance.program));
    }
}
