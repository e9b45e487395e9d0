//! `earmark-train synth`: a deterministic procedural music generator with labels by construction.
//!
//! # Why
//!
//! The corpora Earmark's models should learn from (PMEmo and DEAM for valence/arousal, Ballroom and GTZAN for
//! genre, OpenMIC for instruments) cannot be downloaded on every machine, are small, and their labels are noisy
//! human ratings. A generator gives unlimited clips whose labels are *true by construction*: the notes, tempo,
//! metre and instruments are chosen first and the audio rendered from them. It serves three purposes: pre-training
//! before fine-tuning on real data, sanity checks ("can this architecture learn tempo at all?") and tests that need
//! realistic labelled music without committed audio.
//!
//! Every clip is a function of `(seed, index, variant)` alone: its random stream is a ChaCha8 generator keyed by
//! those three numbers (not a shared stream advanced clip after clip), so clip 17 is bit-identical whether 20 or
//! 20 000 clips are generated, in whatever order and on however many threads. Rendering goes through
//! [`rustysynth`] (a pure-Rust SoundFont synthesiser, deterministic, no system audio) with a General MIDI SF2
//! bank; [`locate_soundfont`] finds one, `cargo xtask soundfont` provisions TimGM6mb.
//!
//! # Clip kinds
//!
//! - [`ClipKind::Emotion`] ([`emotion`]): continuous valence/arousal from a documented linear model over the
//!   musical cues the music-psychology literature links to perceived emotion (mode, tempo, loudness, register,
//!   articulation, rhythmic density, timbral brightness, dissonance), with the citations.
//! - [`ClipKind::Style`] ([`style`]): the eight Ballroom dances at their competition tempi and metres plus five
//!   broad styles (rock, swing jazz, electronic, hip-hop, orchestral), each with its own drum pattern, bass figure,
//!   comping and instrument palette.
//! - [`ClipKind::Instruments`] ([`instruments`]): mixtures of one to four instruments tagged with a fine tag (from
//!   the General MIDI program, [`gm`]) and a coarse family, optionally mixing in real recorded notes
//!   (`--samples`), optionally leaving absent tags unannotated as OpenMIC does.
//!
//! A clip is first *planned* ([`Generator::plan`]: a score of notes and channel settings, the mix, and the labels;
//! cheap) then *rendered* ([`Generator::render_plan`]). `--variants V` renders each composition V times with a
//! different instrumentation and mix: the variants share a `group` so that dataset splits keep them together.
//!
//! Production variety (so models do not learn one synthesiser's timbre or one level): the synthesiser's own
//! reverb and chorus on or off per clip, per-channel reverb/chorus sends and pan, timing and velocity
//! humanisation, a one-pole spectral tilt (`render`), and a random output level. Emotion clips instead keep
//! their level tied to the loudness cue, because loudness is one of the cues their labels are made of.

pub mod cli;
pub mod drumkits;
pub mod effects;
pub mod emopia;
pub mod emotion;
pub mod gm;
pub mod holdout;
pub mod instruments;
pub mod midi;
mod music;
pub mod noise;
mod render;
mod samples;
mod soundfont;
pub mod style;
pub mod voices;
pub mod wav;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rustysynth::SoundFont;

pub use drumkits::DrumKits;
pub use emotion::{EmotionCues, EmotionLabels, Mode};
pub use holdout::{Holdout, HoldoutPart};
pub use instruments::{InstrumentLabels, Part, PartSound};
pub use music::{ChannelSetup, Note, Score};
pub use render::{Level, MAX_PEAK, Mix};
pub use samples::{AudioCache, SampleBank, SampleNote};
pub use soundfont::{DEFAULT_FILE_NAME, locate_soundfont};
pub use style::{Style, StyleLabels};
pub use voices::VoiceBank;

/// Errors of the generator. The messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// No SoundFont was given and none was found where one is looked for.
    #[error(
        "no General MIDI SoundFont found (looked in: {searched}); run `cargo xtask soundfont` to download \
         TimGM6mb into target/earmark-soundfont/, set EARMARK_SOUNDFONT, or pass `--soundfont PATH` (an .sf2)"
    )]
    SoundFontNotFound {
        /// Every place that was looked at, comma-separated.
        searched: String,
    },
    /// The file is an SF3 (Ogg Vorbis-compressed samples), which rustysynth cannot play.
    #[error(
        "{path}: this is an SF3 SoundFont (compressed samples); rustysynth reads only SF2. Use an .sf2 (e.g. \
         `cargo xtask soundfont`, or Debian's fluid-soundfont-gm / timgm6mb-soundfont) or convert it to SF2"
    )]
    Sf3 {
        /// The SoundFont file.
        path: PathBuf,
    },
    /// The SoundFont could not be read or parsed.
    #[error("reading SoundFont {path}: {message}")]
    SoundFont {
        /// The SoundFont file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The synthesiser refused the settings (sample rate outside 16–192 kHz).
    #[error("synthesiser: {0}")]
    Synthesizer(String),
    /// The folder of real instrument notes is unusable.
    #[error("instrument samples {path}: {message}")]
    Samples {
        /// The folder or file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A clip length outside (0, 3600] s.
    #[error("clip length must be in (0, 3600] seconds, got {0}")]
    BadLength(f32),
    /// A MIDI file that cannot be played.
    #[error("MIDI: {0}")]
    Midi(String),
    /// A file that could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// What a clip is for, and so what its labels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ClipKind {
    /// Continuous valence and arousal from musical cues.
    Emotion,
    /// One of the Ballroom dances or broad styles.
    Style,
    /// A mixture of one to four instruments, multi-label tags.
    Instruments,
    /// Neither music nor speech: noise, hum, clicks, near silence (the content readout's third class).
    Noise,
}

impl ClipKind {
    /// The lower-case name used in file names and the manifest.
    pub fn name(self) -> &'static str {
        match self {
            ClipKind::Emotion => "emotion",
            ClipKind::Style => "style",
            ClipKind::Instruments => "instruments",
            ClipKind::Noise => "noise",
        }
    }
}

/// A clip's labels, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ClipLabels {
    /// Valence/arousal and the cues they were computed from.
    Emotion(EmotionLabels),
    /// Style class, tempo and metre.
    Style(StyleLabels),
    /// Present tags, their families, unannotated tags.
    Instruments(InstrumentLabels),
    /// The noise layers and level.
    Noise(noise::NoiseLabels),
}

/// Everything about a clip except its audio: the score to render, the mix, and the labels.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Clip kind.
    pub kind: ClipKind,
    /// Run seed.
    pub seed: u64,
    /// Composition index.
    pub index: u64,
    /// Variant of the composition (instrumentation and mix).
    pub variant: u32,
    /// Notes and channel settings (rustysynth part).
    pub score: Score,
    /// Instrument mixtures: the parts, each rendered alone and set to its level (the score is then empty).
    pub parts: Vec<Part>,
    /// Instrument mixtures: room, compression, low-pass and noise after the parts are summed.
    pub polish: effects::Polish,
    /// Effects, tilt and level.
    pub mix: Mix,
    /// Labels by construction.
    pub labels: ClipLabels,
}

/// A rendered clip: mono samples in [-1, 1] and its labels.
#[derive(Debug, Clone)]
pub struct Clip {
    /// Mono audio, never clipping (peak ≤ 0.99).
    pub samples: Vec<f32>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Labels by construction.
    pub labels: ClipLabels,
}

/// The random stream of one clip aspect: a ChaCha8 generator keyed by (seed, index, variant, purpose), so no clip
/// depends on how many others are generated or in which order.
pub(crate) fn clip_rng(seed: u64, index: u64, variant: u32, purpose: u32) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    key[16..20].copy_from_slice(&variant.to_le_bytes());
    key[20..24].copy_from_slice(&purpose.to_le_bytes());
    key[24..32].copy_from_slice(b"earmark!");
    ChaCha8Rng::from_seed(key)
}

/// Stream purposes: the composition is shared by all variants, the production differs per variant.
pub(crate) const COMPOSITION: u32 = 1;
pub(crate) const PRODUCTION: u32 = 2;

/// The procedural music generator: a loaded SoundFont, a sample rate and optionally a bank of real notes.
/// `Sync`: one generator can render clips on several threads.
pub struct Generator {
    soundfont: Arc<SoundFont>,
    sample_rate: u32,
    samples: Option<SampleBank>,
    voices: Option<VoiceBank>,
    drums: Option<DrumKits>,
    holdout: Holdout,
    cache: AudioCache,
    unannotated_fraction: f32,
    sung_fraction: f32,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("sample_rate", &self.sample_rate)
            .field("samples", &self.samples.as_ref().map(|s| s.tags()))
            .field("voices", &self.voices.as_ref().map(|v| v.speakers().len()))
            .field("drum_kits", &self.drums.as_ref().map(|d| d.kits().len()))
            .field("holdout", &self.holdout)
            .field("unannotated_fraction", &self.unannotated_fraction)
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// Loads an SF2 SoundFont (SF3 is refused with [`SynthError::Sf3`]) for rendering at `sample_rate`
    /// (16 000–192 000 Hz).
    pub fn new(soundfont: &Path, sample_rate: u32) -> Result<Self, SynthError> {
        if !(16_000..=192_000).contains(&sample_rate) {
            return Err(SynthError::Synthesizer(format!("sample rate must be 16000–192000 Hz, got {sample_rate}")));
        }
        let soundfont = soundfont::load(soundfont)?;
        Ok(Self {
            soundfont: Arc::new(soundfont),
            sample_rate,
            samples: None,
            voices: None,
            drums: None,
            holdout: Holdout::ALL,
            cache: AudioCache::new(sample_rate),
            unannotated_fraction: 0.0,
            sung_fraction: 0.0,
        })
    }

    /// Mixes real recorded notes into instrument clips: `dir` holds one folder per instrument (its name mapped to
    /// a fine tag, see [`gm::tag_for_folder`]) of audio files, each one note.
    pub fn with_samples(mut self, dir: &Path) -> Result<Self, SynthError> {
        let mut bank = SampleBank::open(dir)?;
        bank.restrict(self.holdout);
        self.samples = Some(bank);
        Ok(self)
    }

    /// Adds a `voice` part to some instrument clips, from a manifest of utterances (`path`, `group` = speaker).
    pub fn with_voices(mut self, manifest: &Path) -> Result<Self, SynthError> {
        let mut bank = VoiceBank::from_manifest(manifest)?;
        bank.restrict(self.holdout);
        self.voices = Some(bank);
        Ok(self)
    }

    /// Plays some instrument clips' grooves on real kits (Hydrogen `drumkit.xml` folders under `dir`).
    pub fn with_drum_kits(mut self, dir: &Path) -> Result<Self, SynthError> {
        let mut kits = DrumKits::open(dir)?;
        kits.restrict(self.holdout);
        self.drums = Some(kits);
        Ok(self)
    }

    /// Recordings left out because they do not decode (drum-kit hits; checked when the kits are opened).
    pub fn skipped_recordings(&self) -> &[PathBuf] {
        self.drums.as_ref().map_or(&[], |d| d.skipped())
    }

    /// For instrument clips with a voice: the share of voices slowed 1.5–2.5× (pitch kept) so their vowels are
    /// held like sung ones (0, the default, draws nothing extra: earlier mixtures stay bit-identical).
    pub fn with_sung_fraction(mut self, fraction: f32) -> Self {
        self.sung_fraction = fraction.clamp(0.0, 1.0);
        self
    }

    /// Draws recordings from one part of a split by group (note file, speaker, kit) — for mixtures built only
    /// from held-out recordings. Applies to the banks added before and after.
    pub fn with_holdout(mut self, holdout: Holdout) -> Self {
        self.holdout = holdout;
        if let Some(bank) = &mut self.samples {
            bank.restrict(holdout);
        }
        if let Some(bank) = &mut self.voices {
            bank.restrict(holdout);
        }
        if let Some(kits) = &mut self.drums {
            kits.restrict(holdout);
        }
        self
    }

    /// For instrument clips: each absent tag is marked unannotated with this probability (0 = every tag
    /// annotated), the way OpenMIC leaves most tags of a clip unrated.
    pub fn with_unannotated_fraction(mut self, fraction: f32) -> Self {
        self.unannotated_fraction = fraction.clamp(0.0, 1.0);
        self
    }

    /// The output sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Plans clip `index` of run `seed` (variant 0) and renders it.
    pub fn render(&self, kind: ClipKind, seed: u64, index: u64, seconds: f32) -> Result<Clip, SynthError> {
        self.render_variant(kind, seed, index, 0, seconds)
    }

    /// Plans and renders one variant of one composition.
    pub fn render_variant(
        &self,
        kind: ClipKind,
        seed: u64,
        index: u64,
        variant: u32,
        seconds: f32,
    ) -> Result<Clip, SynthError> {
        let plan = self.plan(kind, seed, index, variant, seconds)?;
        self.render_plan(&plan)
    }

    /// Decides everything about a clip without rendering audio (fast: used to rebuild a manifest).
    pub fn plan(&self, kind: ClipKind, seed: u64, index: u64, variant: u32, seconds: f32) -> Result<Plan, SynthError> {
        if !(seconds > 0.0 && seconds <= 3600.0) {
            return Err(SynthError::BadLength(seconds));
        }
        let mut composition = clip_rng(seed, index, 0, COMPOSITION);
        let mut production = clip_rng(seed, index, variant, PRODUCTION);
        let seconds = f64::from(seconds);
        let (score, parts, polish, mix, labels) = match kind {
            ClipKind::Emotion => {
                let (score, mix, labels) = emotion::plan(&mut composition, &mut production, seconds);
                (score, Vec::new(), effects::Polish::default(), mix, ClipLabels::Emotion(labels))
            }
            ClipKind::Style => {
                let (score, mix, labels) = style::plan(&mut composition, &mut production, seconds);
                (score, Vec::new(), effects::Polish::default(), mix, ClipLabels::Style(labels))
            }
            ClipKind::Instruments => {
                let banks = instruments::Banks {
                    samples: self.samples.as_ref(),
                    voices: self.voices.as_ref(),
                    drums: self.drums.as_ref(),
                };
                let planned = instruments::plan(
                    &mut composition,
                    &mut production,
                    seconds,
                    banks,
                    self.unannotated_fraction,
                    self.sung_fraction,
                );
                let labels = ClipLabels::Instruments(planned.labels);
                (Score::new(seconds), planned.parts, planned.polish, planned.mix, labels)
            }
            ClipKind::Noise => {
                let labels = noise::plan(&mut production);
                let mix = Mix { effects: false, tilt_db: 0.0, level: Level::RmsDb(labels.level_db) };
                (Score::new(seconds), Vec::new(), effects::Polish::default(), mix, ClipLabels::Noise(labels))
            }
        };
        Ok(Plan { kind, seed, index, variant, score, parts, polish, mix, labels })
    }

    /// Plans a style clip of a chosen style (instead of the style the seed would draw), e.g. to balance classes
    /// or to test one style.
    pub fn plan_style(
        &self,
        style: Style,
        seed: u64,
        index: u64,
        variant: u32,
        seconds: f32,
    ) -> Result<Plan, SynthError> {
        if !(seconds > 0.0 && seconds <= 3600.0) {
            return Err(SynthError::BadLength(seconds));
        }
        let mut composition = clip_rng(seed, index, 0, COMPOSITION);
        let mut production = clip_rng(seed, index, variant, PRODUCTION);
        let (score, mix, labels) = style::plan_style(style, &mut composition, &mut production, f64::from(seconds));
        let labels = ClipLabels::Style(labels);
        Ok(Plan {
            kind: ClipKind::Style,
            seed,
            index,
            variant,
            score,
            parts: Vec::new(),
            polish: effects::Polish::default(),
            mix,
            labels,
        })
    }

    /// Renders a plan: the score through the SoundFont, real notes added, tilt and level applied.
    pub fn render_plan(&self, plan: &Plan) -> Result<Clip, SynthError> {
        if let ClipLabels::Noise(labels) = &plan.labels {
            let samples = noise::render(labels, plan.score.seconds, self.sample_rate);
            return Ok(Clip { samples, sample_rate: self.sample_rate, labels: plan.labels.clone() });
        }
        let mut samples = render::render_score(&self.soundfont, self.sample_rate, &plan.score, plan.mix.effects)?;
        for part in &plan.parts {
            let mut audio = self.render_part(part, plan.score.seconds, plan.mix.effects)?;
            audio.resize(samples.len(), 0.0);
            effects::set_active_level(&mut audio, self.sample_rate, part.level_db);
            samples.iter_mut().zip(&audio).for_each(|(s, a)| *s += a);
        }
        plan.polish.apply(&mut samples, self.sample_rate);
        render::finish(&mut samples, self.sample_rate, &plan.mix);
        Ok(Clip { samples, sample_rate: self.sample_rate, labels: plan.labels.clone() })
    }

    /// One part of an instrument mixture, alone, before its level is set.
    fn render_part(&self, part: &Part, seconds: f64, effects: bool) -> Result<Vec<f32>, SynthError> {
        let length = (seconds * f64::from(self.sample_rate)).round() as usize;
        match &part.sound {
            PartSound::Synth(score) => render::render_score(&self.soundfont, self.sample_rate, score, effects),
            PartSound::Recorded(notes) => {
                let mut audio = vec![0f32; length];
                self.cache.mix_into(&mut audio, notes)?;
                Ok(audio)
            }
            PartSound::Voice { files, start, gaps, ratio, stretch } => {
                let mut audio = vec![0f32; length];
                let mut t = *start;
                for (i, file) in files.iter().enumerate() {
                    if t >= seconds {
                        break;
                    }
                    let take = self.cache.get(file)?;
                    let take = if *stretch == 1.0 {
                        take
                    } else {
                        Arc::new(voices::stretch(&take, *stretch, self.sample_rate))
                    };
                    let duration = take.len() as f64 / f64::from(self.sample_rate) / f64::from(*ratio);
                    let note =
                        SampleNote { tag: part.tag, file: file.clone(), start: t, duration, gain: 1.0, ratio: *ratio };
                    samples::add_at(&mut audio, &take, self.sample_rate, &note);
                    t += duration + gaps.get(i % gaps.len().max(1)).copied().unwrap_or(0.5);
                }
                Ok(audio)
            }
        }
    }
}
