//! Instrument clips: one to four instruments playing together, tagged with fine tags and coarse families.
//!
//! Why mixtures: instrument recognition in the plugin hears full arrangements, and OpenMIC-2018 (Humphrey,
//! Durand & McFee, ISMIR 2018) labels real mixtures with 20 multi-label tags. Each source gets a *role* (melody,
//! chords, arpeggio, sustained pad, bass line, drums) from the composition stream and an instrument compatible with
//! that role from the production stream, so variants of one composition swap instruments while keeping the music.
//! Every source plays through the whole clip at a comparable level, so a present tag is always audible.
//!
//! With a sample bank ([`super::SampleBank`]), melody and bass sources may be real recorded notes (half the time
//! when the bank has an instrument that fits the role), chosen by nearest pitch and placed on the melody's onsets.
//!
//! Unannotated tags: OpenMIC rates only some tags per clip. With an unannotated fraction F, each *absent* tag is
//! independently marked unannotated with probability F; present tags are always annotated (they are known by
//! construction). A trainer masks unannotated tags out of the loss.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::gm;
use super::gm::percussion;
use super::music::{self, ChannelSetup, DRUMS, Key, Line, MelodyShape, Score, Timing, human_velocity};
use super::render::{Level, Mix};
use super::samples::{SampleBank, SampleNote};

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
                "mallets",
                "synth_lead",
            ],
            Role::Pad => &["organ", "strings_ensemble", "choir", "synth_pad", "accordion", "brass_section"],
            Role::Bass => &["bass", "contrabass", "tuba", "cello", "bassoon"],
            Role::Drums => &[gm::DRUMS],
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
    /// GM program (None: drums or recorded notes).
    pub program: Option<u8>,
    /// Recorded notes rather than the SoundFont.
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

pub(crate) struct Planned {
    pub score: Score,
    pub sample_notes: Vec<SampleNote>,
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
    bank: Option<&SampleBank>,
    unannotated_fraction: f32,
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
    let mut roles: Vec<Role> = Vec::new();
    while roles.len() < count {
        let role = *[Role::Melody, Role::Melody, Role::Chords, Role::Arpeggio, Role::Pad, Role::Bass, Role::Drums]
            .choose(composition)
            .expect("non-empty");
        // One bass and one drum kit at most.
        if (role == Role::Bass || role == Role::Drums) && roles.contains(&role) {
            continue;
        }
        roles.push(role);
    }
    let materials: Vec<Material> = roles
        .iter()
        .map(|role| match role {
            Role::Melody => {
                let shape = MelodyShape {
                    low: 60,
                    high: 76,
                    grid: *[0.5, 0.5, 0.25, 1.0].choose(composition).expect("non-empty"),
                    onset: composition.random_range(0.25..0.6),
                    chromatic: 0.02,
                };
                Material::Line(music::melody(composition, key, &chords, bars, beats_per_bar, shape))
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
        })
        .collect();

    // Production: an instrument per role (distinct tags), recorded or synthesised, levels and mix.
    let recorded_tags = bank.map(SampleBank::tags).unwrap_or_default();
    let mut sources: Vec<Source> = Vec::new();
    for role in &roles {
        let taken: Vec<&str> = sources.iter().map(|s| s.tag).collect();
        let recordable: Vec<&'static str> = role
            .tags()
            .iter()
            .copied()
            .filter(|t| matches!(role, Role::Melody | Role::Bass) && recorded_tags.contains(t) && !taken.contains(t))
            .collect();
        if !recordable.is_empty() && production.random_bool(0.5) {
            let tag = *recordable.choose(production).expect("non-empty");
            sources.push(Source { tag, role: *role, program: None, recorded: true });
            continue;
        }
        let free: Vec<&'static str> = role.tags().iter().copied().filter(|t| !taken.contains(t)).collect();
        // Roles have more tags than there are sources, so `free` is never empty.
        let tag = *free.choose(production).expect("a free tag");
        let program = gm::instrument(tag).and_then(|i| i.programs.choose(production).copied());
        sources.push(Source { tag, role: *role, program, recorded: false });
    }

    timing.jitter = production.random_range(0.0..0.012);
    let velocity_spread = production.random_range(3.0..8.0);
    let mut score = Score::new(seconds);
    let mut sample_notes = Vec::new();
    for (i, (source, material)) in sources.iter().zip(&materials).enumerate() {
        let channel = if source.role == Role::Drums { DRUMS } else { i as u8 };
        let velocity: f64 = production.random_range(75.0..110.0);
        if !source.recorded {
            score.channels.push(ChannelSetup {
                channel,
                program: source.program.unwrap_or(0),
                volume: production.random_range(90..120),
                pan: production.random_range(30..98),
                reverb: production.random_range(0..90),
                chorus: production.random_range(0..50),
            });
        }
        let range = gm::instrument(source.tag).map_or((48, 84), |i| i.range);
        let fit = |k: i32| music::fold_into(k, range.0, range.1);
        match material {
            Material::Line(line) | Material::Bass(line) => {
                if source.recorded {
                    // Peak-normalised notes at 0.06–0.12 peak sit at the level of a SoundFont note played at
                    // velocity ~95 through rustysynth (measured with TimGM6mb: peaks 0.05–0.12).
                    let gain = production.random_range(0.06..0.12);
                    let files = bank.map_or(&[][..], |b| b.files(source.tag));
                    for &(beat, len, k) in line {
                        let wanted = fit(k);
                        let file = nearest(files, wanted, production);
                        sample_notes.push(SampleNote {
                            tag: source.tag,
                            file,
                            start: timing.human(production, beat),
                            duration: timing.length(len).max(0.15),
                            gain: gain * production.random_range(0.8..1.0),
                        });
                    }
                } else {
                    for &(beat, len, k) in line {
                        let start = timing.human(production, beat);
                        score.push(
                            channel,
                            start,
                            timing.length(len) * 0.95,
                            fit(k),
                            human_velocity(production, velocity, velocity_spread),
                        );
                    }
                }
            }
            Material::Chords { rhythm } => {
                for bar in 0..bars {
                    let voicing: Vec<i32> =
                        key.chord(chords[bar % chords.len()], 60, false).into_iter().map(fit).collect();
                    for &(b, len) in *rhythm {
                        let t = timing.human(production, (bar * beats_per_bar) as f64 + b);
                        for &k in &voicing {
                            score.push(
                                channel,
                                t,
                                timing.length(len),
                                k,
                                human_velocity(production, velocity * 0.85, velocity_spread),
                            );
                        }
                    }
                }
            }
            Material::Arpeggio { grid } => {
                let steps = (beats_per_bar as f64 / grid).round() as usize;
                for bar in 0..bars {
                    let voicing: Vec<i32> =
                        key.chord(chords[bar % chords.len()], 60, true).into_iter().map(fit).collect();
                    for s in 0..steps {
                        let k = voicing[s % voicing.len()];
                        let t = timing.human(production, (bar * beats_per_bar) as f64 + s as f64 * grid);
                        score.push(
                            channel,
                            t,
                            timing.length(*grid) * 1.5,
                            k,
                            human_velocity(production, velocity * 0.8, velocity_spread),
                        );
                    }
                }
            }
            Material::Pad => {
                for bar in 0..bars {
                    let t = timing.at((bar * beats_per_bar) as f64);
                    for k in key.chord(chords[bar % chords.len()], 55, false) {
                        score.push(channel, t, timing.length(beats_per_bar as f64) * 0.98, fit(k), velocity * 0.8);
                    }
                }
            }
            Material::Drums { pattern } => {
                for beat in 0..bars * beats_per_bar {
                    let b = beat as f64;
                    let kick = match pattern {
                        0 => beat % 2 == 0,
                        1 => true,
                        _ => beat % 4 == 0,
                    };
                    if kick {
                        score.push(
                            DRUMS,
                            timing.human(production, b),
                            0.1,
                            i32::from(percussion::KICK),
                            human_velocity(production, velocity, velocity_spread),
                        );
                    }
                    if beat % 2 == 1 {
                        score.push(
                            DRUMS,
                            timing.human(production, b),
                            0.1,
                            i32::from(percussion::SNARE),
                            human_velocity(production, velocity * 0.9, velocity_spread),
                        );
                    }
                    for half in [0.0, 0.5] {
                        let hat = i32::from(if *pattern == 2 { percussion::RIDE } else { percussion::CLOSED_HAT });
                        score.push(
                            DRUMS,
                            timing.human(production, b + half),
                            0.1,
                            hat,
                            human_velocity(production, velocity * 0.6, velocity_spread),
                        );
                    }
                }
            }
        }
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
        tilt_db: production.random_range(-3.0..3.0),
        level: Level::PeakDb(production.random_range(-12.0..-1.0)),
    };
    let labels = InstrumentLabels { tags, families, unannotated, sources, tempo_bpm: tempo, key: key.name() };
    Planned { score, sample_notes, mix, labels }
}

/// The recorded file nearest in pitch to `key` (ties and unpitched files: a random one among the best).
fn nearest(files: &[super::samples::SampleFile], key: i32, rng: &mut ChaCha8Rng) -> std::path::PathBuf {
    let distance = |f: &super::samples::SampleFile| f.pitch.map_or(i32::MAX, |p| (p - key).abs());
    let best = files.iter().map(distance).min().unwrap_or(i32::MAX);
    let candidates: Vec<&super::samples::SampleFile> = files.iter().filter(|f| distance(f) == best).collect();
    candidates.choose(rng).map(|f| f.path.clone()).unwrap_or_default()
}
