//! Instrument clips: one to four instruments playing together, tagged with fine tags and coarse families.
//!
//! Why mixtures: instrument recognition in the plugin hears full arrangements, and OpenMIC-2018 (Humphrey,
//! Durand & McFee, ISMIR 2018) labels real mixtures with 20 multi-label tags. Each source gets a *role* (melody,
//! chords, arpeggio, sustained pad, bass line, drums) from the composition stream and an instrument compatible with
//! that role from the production stream, so variants of one composition swap instruments while keeping the music.
//! Every source plays through the whole clip at a comparable level, so a present tag is always audible.
//!
//! With a sample bank ([`super::SampleBank`]), melody and bass sources may be real recorded notes (two times in
//! three when the bank has an instrument that fits the role), chosen by nearest pitch and placed on the line's
//! onsets; with drum kits ([`super::DrumKits`]) the groove is played on real kit hits (three times in five); with a
//! voice bank ([`super::VoiceBank`]) a `voice` part (spoken utterances of one speaker, shifted a few semitones)
//! joins some mixtures, now and then alone.
//!
//! Every part is rendered on its own and set to a musical level by its loudness while it plays
//! ([`super::effects::set_active_level`]): SoundFont programs differ by up to 26 dB (MuseScore General's grand
//! piano against its strings), and a tag is only a fair label if its part is audible. The sum then goes through a
//! room, bus compression, sometimes a dull low-pass and a noise floor ([`super::effects::Polish`]), so real notes
//! and rendered accompaniment share one recording chain and no tag can be told by its chain.
//!
//! Unannotated tags: OpenMIC rates only some tags per clip. With an unannotated fraction F, each *absent* tag is
//! independently marked unannotated with probability F; present tags are always annotated (they are known by
//! construction). A trainer masks unannotated tags out of the loss.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use std::path::PathBuf;

use super::drumkits::{DrumKits, Piece};
use super::effects::Polish;
use super::gm;
use super::gm::percussion;
use super::music::{self, ChannelSetup, DRUMS, Key, Line, MelodyShape, Score, Timing, human_velocity};
use super::render::{Level, Mix};
use super::samples::{SampleBank, SampleNote};
use super::voices::VoiceBank;

/// What a source plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A melodic line.
    Melody,
    /// Block chords on a rhythm.
    Chords,
    /// Broken chords on eighths or sixteenths.
    Arpeggio,
    /// Held chords, one per bar.
    Pad,
    /// A bass line.
    Bass,
    /// A drum-kit groove.
    Drums,
    /// Auxiliary percussion on a repeating one-bar figure.
    Percussion,
    /// A voice (recordings only).
    Voice,
}

impl Role {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Melody => "melody",
            Role::Chords => "chords",
            Role::Arpeggio => "arpeggio",
            Role::Pad => "pad",
            Role::Bass => "bass",
            Role::Drums => "drums",
            Role::Percussion => "percussion",
            Role::Voice => "voice",
        }
    }

    /// Fine tags that can take this role.
    fn tags(self) -> &'static [&'static str] {
        match self {
            Role::Melody => &[
                "piano",
                "electric_piano",
                "harpsichord",
                "organ",
                "accordion",
                "mallets",
                "acoustic_guitar",
                "electric_guitar",
                "banjo",
                "mandolin",
                "violin",
                "viola",
                "cello",
                "choir",
                "trumpet",
                "trombone",
                "french_horn",
                "saxophone",
                "oboe",
                "bassoon",
                "clarinet",
                "flute",
                "synth_lead",
            ],
            Role::Chords => &[
                "piano",
                "electric_piano",
                "harpsichord",
                "organ",
                "accordion",
                "acoustic_guitar",
                "electric_guitar",
                "strings_ensemble",
                "brass_section",
                "mallets",
            ],
            Role::Arpeggio => &[
                "piano",
                "electric_piano",
                "harpsichord",
                "harp",
                "acoustic_guitar",
                "electric_guitar",
                "banjo",
                "mallets",
                "synth_lead",
            ],
            Role::Pad => &["organ", "strings_ensemble", "choir", "synth_pad", "accordion", "brass_section"],
            Role::Bass => &["bass", "contrabass", "tuba", "cello", "bassoon"],
            Role::Drums => &[gm::DRUMS],
            Role::Percussion => &[gm::HAND_PERCUSSION],
            Role::Voice => &[gm::VOICE],
        }
    }
}

/// One sound source of a clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Fine tag.
    pub tag: &'static str,
    /// What it plays.
    pub role: Role,
    /// GM program (None: drums, percussion or recordings).
    pub program: Option<u8>,
    /// Recordings (notes, kit hits, a voice) rather than the SoundFont.
    pub recorded: bool,
}

/// An instrument clip's labels.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentLabels {
    /// Present fine tags, in vocabulary order.
    pub tags: Vec<String>,
    /// Their families, in vocabulary order, each once.
    pub families: Vec<String>,
    /// Absent tags whose absence is not annotated (never overlaps `tags`).
    pub unannotated: Vec<String>,
    /// The sources, in channel order.
    pub sources: Vec<Source>,
    /// Tempo in BPM.
    pub tempo_bpm: f32,
    /// Key, e.g. "G major".
    pub key: String,
}

/// The recordings a plan may draw on.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Banks<'a> {
    pub samples: Option<&'a SampleBank>,
    pub voices: Option<&'a VoiceBank>,
    pub drums: Option<&'a DrumKits>,
}

/// What one part of a mixture sounds from.
#[derive(Debug, Clone, PartialEq)]
pub enum PartSound {
    /// A one-channel score for the SoundFont.
    Synth(Score),
    /// Recordings at fixed times (notes, kit hits).
    Recorded(Vec<SampleNote>),
    /// A voice: utterances one after another from `start`, separated by `gaps` (cycled), at `ratio`.
    Voice {
        /// Utterance files, in order.
        files: Vec<PathBuf>,
        /// First onset, seconds.
        start: f64,
        /// Pauses between utterances, seconds.
        gaps: Vec<f64>,
        /// Playback-rate ratio.
        ratio: f32,
        /// Time stretch before playback (1: spoken; 1.5–2.5: held like sung vowels, see [`super::voices::stretch`]).
        stretch: f32,
    },
}

/// One part of a mixture and the level it plays at.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Its fine tag.
    pub tag: &'static str,
    /// Its sound.
    pub sound: PartSound,
    /// Loudness while it plays, dBFS RMS.
    pub level_db: f32,
}

pub(crate) struct Planned {
    pub parts: Vec<Part>,
    pub polish: Polish,
    pub mix: Mix,
    pub labels: InstrumentLabels,
}

/// Role-specific material drawn in the composition stream (independent of the instrument that will play it).
enum Material {
    Line(Line),
    Chords { rhythm: &'static [(f64, f64)] },
    Arpeggio { grid: f64 },
    Pad,
    Bass(Line),
    Drums { pattern: usize },
    Percussion { grid: f64, slots: Vec<bool> },
    Voice,
}

const CHORD_RHYTHMS: [&[(f64, f64)]; 4] = [
    &[(0.0, 1.9), (2.0, 1.9)],
    &[(0.0, 0.9), (1.0, 0.9), (2.0, 0.9), (3.0, 0.9)],
    &[(0.0, 1.4), (1.5, 1.0), (2.5, 1.4)],
    &[(0.0, 0.4), (1.5, 0.4), (2.5, 0.4), (3.0, 0.9)],
];

pub(crate) fn plan(
    composition: &mut ChaCha8Rng,
    production: &mut ChaCha8Rng,
    seconds: f64,
    banks: Banks<'_>,
    unannotated_fraction: f32,
    sung_fraction: f32,
) -> Planned {
    // Composition: key, tempo, progression, roles and their notes.
    let major = composition.random_bool(0.6);
    let key = Key::random(composition, major);
    let tempo: f32 = composition.random_range(70.0..150.0);
    let chords = music::progression(composition, major);
    let beats_per_bar = 4;
    let mut timing = Timing::new(f64::from(tempo));
    let bars = timing.beats_in(seconds).div_ceil(beats_per_bar);
    let count = composition.random_range(1..=4usize);
    let mut options = vec![
        Role::Melody,
        Role::Melody,
        Role::Chords,
        Role::Arpeggio,
        Role::Pad,
        Role::Bass,
        Role::Drums,
        Role::Percussion,
    ];
    if banks.voices.is_some_and(|v| !v.speakers().is_empty()) {
        options.push(Role::Voice);
    }
    let mut roles: Vec<Role> = Vec::new();
    while roles.len() < count {
        let role = *options.choose(composition).expect("non-empty");
        // One bass, one drum kit, one percussionist and one voice at most.
        if matches!(role, Role::Bass | Role::Drums | Role::Percussion | Role::Voice) && roles.contains(&role) {
            continue;
        }
        roles.push(role);
    }
    let materials: Vec<Material> = roles.iter().map(|role| material(*role, composition, key, &chords, bars)).collect();

    // Production: an instrument per role (distinct tags), recorded or synthesised.
    let recorded_tags = banks.samples.map(SampleBank::tags).unwrap_or_default();
    let has_kits = banks.drums.is_some_and(|d| !d.kits().is_empty());
    let mut sources: Vec<Source> = Vec::new();
    for role in &roles {
        let taken: Vec<&str> = sources.iter().map(|s| s.tag).collect();
        let source = match role {
            Role::Voice => Source { tag: gm::VOICE, role: *role, program: None, recorded: true },
            Role::Drums => {
                Source { tag: gm::DRUMS, role: *role, program: None, recorded: has_kits && production.random_bool(0.6) }
            }
            Role::Percussion => Source {
                tag: gm::HAND_PERCUSSION,
                role: *role,
                program: None,
                recorded: recorded_tags.contains(&gm::HAND_PERCUSSION) && production.random_bool(0.5),
            },
            _ => {
                let synthesised = |tag: &'static str, production: &mut ChaCha8Rng| {
                    let program = gm::instrument(tag).and_then(|i| i.programs.choose(production).copied());
                    Source { tag, role: *role, program, recorded: false }
                };
                let recordable: Vec<&'static str> = role
                    .tags()
                    .iter()
                    .copied()
                    .filter(|t| {
                        matches!(role, Role::Melody | Role::Bass) && recorded_tags.contains(t) && !taken.contains(t)
                    })
                    .collect();
                if let Some(tag) = favoured(*role, &taken, production) {
                    synthesised(tag, production)
                } else if !recordable.is_empty() && production.random_bool(0.65) {
                    let tag = *recordable.choose(production).expect("non-empty");
                    Source { tag, role: *role, program: None, recorded: true }
                } else {
                    let free: Vec<&'static str> =
                        role.tags().iter().copied().filter(|t| !taken.contains(t) && !gm::recorded_only(t)).collect();
                    // Roles have more synthesisable tags than there are sources, so `free` is never empty.
                    let tag = *free.choose(production).expect("a free tag");
                    synthesised(tag, production)
                }
            }
        };
        sources.push(source);
    }

    timing.jitter = production.random_range(0.0..0.012);
    let velocity_spread = production.random_range(3.0..8.0);
    let mut parts = Vec::new();
    for (source, material) in sources.iter().zip(&materials) {
        let velocity: f64 = production.random_range(75.0..110.0);
        let channel = if matches!(source.role, Role::Drums | Role::Percussion) { DRUMS } else { 0 };
        let mut score = Score::new(seconds);
        score.channels.push(ChannelSetup {
            channel,
            program: source.program.unwrap_or(0),
            volume: 100,
            pan: production.random_range(30..98),
            reverb: production.random_range(0..90),
            chorus: production.random_range(0..50),
        });
        let mut notes: Vec<SampleNote> = Vec::new();
        let range = gm::instrument(source.tag).map_or((48, 84), |i| i.range);
        let fit = |k: i32| music::fold_into(k, range.0, range.1);
        let sound = match material {
            Material::Line(line) | Material::Bass(line) => {
                if source.recorded {
                    let files = banks.samples.map_or(&[][..], |b| b.files(source.tag));
                    for &(beat, len, k) in line {
                        notes.push(SampleNote {
                            tag: source.tag,
                            file: nearest(files, fit(k), production),
                            start: timing.human(production, beat),
                            duration: timing.length(len).max(0.15),
                            gain: production.random_range(0.8..1.0),
                            ratio: 1.0,
                        });
                    }
                } else {
                    for &(beat, len, k) in line {
                        let start = timing.human(production, beat);
                        let v = human_velocity(production, velocity, velocity_spread);
                        score.push(channel, start, timing.length(len) * 0.95, fit(k), v);
                    }
                }
                None
            }
            Material::Chords { rhythm } => {
                for bar in 0..bars {
                    let voicing: Vec<i32> =
                        key.chord(chords[bar % chords.len()], 60, false).into_iter().map(fit).collect();
                    for &(b, len) in *rhythm {
                        let t = timing.human(production, (bar * beats_per_bar) as f64 + b);
                        for &k in &voicing {
                            let v = human_velocity(production, velocity * 0.85, velocity_spread);
                            score.push(channel, t, timing.length(len), k, v);
                        }
                    }
                }
                None
            }
            Material::Arpeggio { grid } => {
                let steps = (beats_per_bar as f64 / grid).round() as usize;
                for bar in 0..bars {
                    let voicing: Vec<i32> =
                        key.chord(chords[bar % chords.len()], 60, true).into_iter().map(fit).collect();
                    for s in 0..steps {
                        let k = voicing[s % voicing.len()];
                        let t = timing.human(production, (bar * beats_per_bar) as f64 + s as f64 * grid);
                        let v = human_velocity(production, velocity * 0.8, velocity_spread);
                        score.push(channel, t, timing.length(*grid) * 1.5, k, v);
                    }
                }
                None
            }
            Material::Pad => {
                for bar in 0..bars {
                    let t = timing.at((bar * beats_per_bar) as f64);
                    for k in key.chord(chords[bar % chords.len()], 55, false) {
                        score.push(channel, t, timing.length(beats_per_bar as f64) * 0.98, fit(k), velocity * 0.8);
                    }
                }
                None
            }
            Material::Drums { pattern } => {
                let kit = if source.recorded { banks.drums.and_then(|d| d.kits().choose(production)) } else { None };
                let pick = |piece: Piece, rng: &mut ChaCha8Rng| kit.and_then(|k| k.files(piece).choose(rng).cloned());
                let files: Vec<Option<PathBuf>> =
                    [Piece::Kick, Piece::Snare, Piece::Hat].into_iter().map(|p| pick(p, production)).collect();
                for (beat, piece, scale) in groove(*pattern, bars * beats_per_bar) {
                    let start = timing.human(production, beat);
                    let v = human_velocity(production, velocity * scale, velocity_spread);
                    match &files[piece.index()] {
                        Some(file) => notes.push(hit(source.tag, file.clone(), start, v)),
                        None => score.push(DRUMS, start, 0.1, i32::from(piece.gm_key(*pattern)), v),
                    }
                }
                None
            }
            Material::Percussion { grid, slots } => {
                let recorded = banks.samples.map_or(&[][..], |b| b.files(gm::HAND_PERCUSSION));
                let voices: Vec<Result<PathBuf, u8>> = (0..2)
                    .map(|_| {
                        if source.recorded {
                            Ok(nearest(recorded, 0, production))
                        } else {
                            Err(*percussion::HAND.choose(production).expect("non-empty"))
                        }
                    })
                    .collect();
                for bar in 0..bars {
                    for (i, _) in slots.iter().enumerate().filter(|(_, on)| **on) {
                        let start = timing.human(production, (bar * beats_per_bar) as f64 + i as f64 * grid);
                        let v = human_velocity(production, velocity * 0.8, velocity_spread);
                        match &voices[i % 2] {
                            Ok(file) => notes.push(hit(source.tag, file.clone(), start, v)),
                            Err(key) => score.push(DRUMS, start, 0.1, i32::from(*key), v),
                        }
                    }
                }
                None
            }
            Material::Voice => banks.voices.and_then(|v| v.speakers().choose(production)).map(|(_, takes)| {
                let mut files = takes.clone();
                files.shuffle(production);
                files.truncate(8);
                let semitones: f32 = production.random_range(-4.0..4.0);
                let start = production.random_range(0.0..seconds * 0.3);
                let gaps = (0..8).map(|_| production.random_range(0.2..1.0)).collect();
                // Drawn only when asked for, so mixtures made without sung voices stay bit-identical.
                let sung = sung_fraction > 0.0 && production.random_bool(f64::from(sung_fraction.min(1.0)));
                let stretch = if sung { production.random_range(1.5..2.5) } else { 1.0 };
                PartSound::Voice { files, start, gaps, ratio: 2f32.powf(semitones / 12.0), stretch }
            }),
        };
        let sound = sound.unwrap_or(if source.recorded && source.role != Role::Voice {
            PartSound::Recorded(notes)
        } else {
            PartSound::Synth(score)
        });
        let level_db = match source.role {
            Role::Melody | Role::Voice => production.random_range(-20.0..-15.0),
            Role::Bass | Role::Drums => production.random_range(-24.0..-17.0),
            Role::Percussion => production.random_range(-30.0..-22.0),
            Role::Chords | Role::Arpeggio | Role::Pad => production.random_range(-27.0..-19.0),
        };
        parts.push(Part { tag: source.tag, sound, level_db });
    }

    // Labels.
    let present: Vec<&str> = sources.iter().map(|s| s.tag).collect();
    let tags: Vec<String> = gm::tags().into_iter().filter(|t| present.contains(t)).map(String::from).collect();
    let mut families: Vec<String> = Vec::new();
    for (family, members) in gm::hierarchy() {
        if members.iter().any(|m| present.contains(m)) {
            families.push(family.to_string());
        }
    }
    let unannotated: Vec<String> = gm::tags()
        .into_iter()
        .filter(|t| !present.contains(t))
        .filter(|_| unannotated_fraction > 0.0 && production.random_bool(f64::from(unannotated_fraction)))
        .map(String::from)
        .collect();
    let mix = Mix {
        effects: production.random_bool(0.6),
        tilt_db: production.random_range(-4.0..4.0),
        level: Level::RmsDb(production.random_range(-26.0..-12.0)),
    };
    let polish = Polish {
        room: production
            .random_bool(0.5)
            .then(|| (production.random_range(0.3..1.8), production.random_range(0.08..0.35))),
        compression: production
            .random_bool(0.5)
            .then(|| (production.random_range(6.0..18.0), production.random_range(2.0..6.0))),
        low_pass_hz: production.random_bool(0.25).then(|| production.random_range(3000.0..7500.0)),
        noise: production.random_bool(0.4).then(|| (production.random_range(18.0..45.0), production.random())),
    };
    let labels = InstrumentLabels { tags, families, unannotated, sources, tempo_bpm: tempo, key: key.name() };
    Planned { parts, polish, mix, labels }
}

/// The instrument a role takes more often than its share of the vocabulary, and how often: bass guitar and
/// piano are the commonest sounds of a producer's tracks, yet among 5 bass and 20 melody tags (most of them with
/// real recordings, which win two times in three) they would come up in 1 % and 7 % of mixtures.
fn favourite(role: Role) -> Option<(&'static str, f64)> {
    match role {
        Role::Bass => Some(("bass", 0.45)),
        Role::Melody | Role::Chords | Role::Arpeggio => Some(("piano", 0.2)),
        _ => None,
    }
}

/// The role's favourite tag when it is free and the draw picks it (the draw is made only for a free favourite).
fn favoured(role: Role, taken: &[&str], production: &mut ChaCha8Rng) -> Option<&'static str> {
    favourite(role).filter(|(tag, p)| !taken.contains(tag) && production.random_bool(*p)).map(|(tag, _)| tag)
}

/// Role-specific material from the composition stream.
fn material(role: Role, composition: &mut ChaCha8Rng, key: Key, chords: &[i32], bars: usize) -> Material {
    let beats_per_bar = 4;
    match role {
        Role::Melody => {
            let shape = MelodyShape {
                low: 60,
                high: 76,
                grid: *[0.5, 0.5, 0.25, 1.0].choose(composition).expect("non-empty"),
                onset: composition.random_range(0.25..0.6),
                chromatic: 0.02,
            };
            Material::Line(music::melody(composition, key, chords, bars, beats_per_bar, shape))
        }
        Role::Chords => Material::Chords { rhythm: CHORD_RHYTHMS.choose(composition).expect("non-empty") },
        Role::Arpeggio => Material::Arpeggio { grid: *[0.5, 0.25].choose(composition).expect("non-empty") },
        Role::Pad => Material::Pad,
        Role::Bass => {
            let mut line = Vec::new();
            let figure: &[(f64, i32, f64)] = [
                &[(0.0, 0, 1.9), (2.0, 4, 1.9)][..],
                &[(0.0, 0, 0.9), (1.0, 0, 0.9), (2.0, 4, 0.9), (3.0, 7, 0.9)][..],
                &[(0.0, 0, 1.4), (1.5, 0, 0.4), (2.0, 4, 0.9), (3.0, 2, 0.9)][..],
            ]
            .choose(composition)
            .expect("non-empty");
            for bar in 0..bars {
                let root = chords[bar % chords.len()];
                for &(b, off, len) in figure {
                    line.push(((bar * beats_per_bar) as f64 + b, len, key.degree(root + off, 40)));
                }
            }
            Material::Bass(line)
        }
        Role::Drums => Material::Drums { pattern: composition.random_range(0..3) },
        Role::Percussion => {
            let grid = *[0.5, 0.25].choose(composition).expect("non-empty");
            let count = (beats_per_bar as f64 / grid).round() as usize;
            let mut slots: Vec<bool> = (0..count).map(|_| composition.random_bool(0.45)).collect();
            slots[0] = true;
            Material::Percussion { grid, slots }
        }
        Role::Voice => Material::Voice,
    }
}

/// A recorded hit at `start` with a MIDI-like velocity (gain ∝ velocity/127; the part's level is set later).
fn hit(tag: &'static str, file: PathBuf, start: f64, velocity: f64) -> SampleNote {
    SampleNote { tag, file, start, duration: 1.0, gain: (velocity / 127.0) as f32, ratio: 1.0 }
}

impl Piece {
    fn index(self) -> usize {
        match self {
            Piece::Kick => 0,
            Piece::Snare => 1,
            Piece::Hat => 2,
        }
    }

    /// The GM key of a piece (pattern 2 keeps time on the ride).
    fn gm_key(self, pattern: usize) -> u8 {
        match self {
            Piece::Kick => percussion::KICK,
            Piece::Snare => percussion::SNARE,
            Piece::Hat if pattern == 2 => percussion::RIDE,
            Piece::Hat => percussion::CLOSED_HAT,
        }
    }
}

/// A drum groove over `beats` beats: (beat, piece, velocity scale). Pattern 0: kick on 1 and 3; 1: four on the
/// floor; 2: kick on 1 only; snare on 2 and 4; eighth-note hats.
fn groove(pattern: usize, beats: usize) -> Vec<(f64, Piece, f64)> {
    let mut hits = Vec::new();
    for beat in 0..beats {
        let b = beat as f64;
        let kick = match pattern {
            0 => beat % 2 == 0,
            1 => true,
            _ => beat % 4 == 0,
        };
        if kick {
            hits.push((b, Piece::Kick, 1.0));
        }
        if beat % 2 == 1 {
            hits.push((b, Piece::Snare, 0.9));
        }
        for half in [0.0, 0.5] {
            hits.push((b + half, Piece::Hat, 0.6));
        }
    }
    hits
}

/// The recorded file nearest in pitch to `key` (ties and unpitched files: a random one among the best).
fn nearest(files: &[super::samples::SampleFile], key: i32, rng: &mut ChaCha8Rng) -> std::path::PathBuf {
    let distance = |f: &super::samples::SampleFile| f.pitch.map_or(i32::MAX, |p| (p - key).abs());
    let best = files.iter().map(distance).min().unwrap_or(i32::MAX);
    let candidates: Vec<&super::samples::SampleFile> = files.iter().filter(|f| distance(f) == best).collect();
    candidates.choose(rng).map(|f| f.path.clone()).unwrap_or_default()
}
