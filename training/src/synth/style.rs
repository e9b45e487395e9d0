//! Style clips: the eight Ballroom dances and five broad styles, each with its metre, tempo range, drum pattern,
//! bass figure, comping and instrument palette.
//!
//! # Tempi and metres
//!
//! The dances are the classes of the Ballroom data set (F. Gouyon, S. Dixon, E. Pampalk & G. Widmer (2004),
//! "Evaluating rhythmic descriptors for musical genre classification", AES 25th International Conference; audio
//! from ballroomdancers.com): cha-cha, jive, quickstep, rumba, samba, tango, Viennese waltz, waltz. Their tempi
//! are the competition tempi of the World DanceSport Federation (WDSF Competition Rules, tempo table, in bars per
//! minute), converted to beats (quarter notes) per minute:
//!
//! | dance | metre | bars/min | BPM |
//! |---|---|---|---|
//! | cha-cha | 4/4 | 30–32 | 120–128 |
//! | jive | 4/4 | 42–44 | 168–176 |
//! | quickstep | 4/4 | 50–52 | 200–208 |
//! | rumba | 4/4 | 25–27 | 100–108 |
//! | samba | 2/4 | 50–52 | 100–104 |
//! | tango | 4/4 (often written 2/4) | 31–33 | 124–132 |
//! | Viennese waltz | 3/4 | 58–60 | 174–180 |
//! | waltz | 3/4 | 28–30 | 84–90 |
//!
//! Recordings in the Ballroom set spread wider than competition rules (dance-school CDs), so a model trained here
//! should meet real data with some tempo augmentation. The broad styles use conventional ranges: rock 100–150,
//! swing jazz 110–220 (medium to up-tempo), four-on-the-floor electronic 118–135 (house/techno), hip-hop 75–100
//! (boom-bap), orchestral 60–130.
//!
//! # Why the patterns
//!
//! A style classifier should learn rhythm, metre and arrangement, not one synthesiser's piano. So each style has
//! its characteristic groove (clave and tumbao for rumba and cha-cha, surdo on 2 and sixteenth shakers for samba,
//! oom-pah-pah for waltzes, swung ride and walking bass for jazz, kick on every beat for electronic, swung
//! sixteenths and heavy kick/snare for hip-hop, marcato staccato for tango, no drums for orchestral), and
//! everything else varies: key, mode, tempo within range, progression, voicings, instruments from the style's
//! palette, swing amount, velocities, timing jitter, reverb, pan, spectral tilt and level.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::music::{self, ChannelSetup, DRUMS, Key, MelodyShape, Score, Timing, human_velocity};
use super::render::{Level, Mix};

/// A style class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// Cha-cha-chá (Ballroom "ChaChaCha").
    ChaCha,
    /// Jive.
    Jive,
    /// Quickstep.
    Quickstep,
    /// Rumba.
    Rumba,
    /// Samba.
    Samba,
    /// Tango (ballroom).
    Tango,
    /// Viennese waltz.
    VienneseWaltz,
    /// (Slow) waltz.
    Waltz,
    /// Rock.
    Rock,
    /// Swing jazz.
    SwingJazz,
    /// Four-on-the-floor electronic dance music.
    Electronic,
    /// Hip-hop (boom-bap).
    HipHop,
    /// Orchestral (strings, brass, woodwinds; no drums).
    Orchestral,
}

impl Style {
    /// Every class, in `classes.txt` order.
    pub const ALL: [Style; 13] = [
        Style::ChaCha,
        Style::Jive,
        Style::Quickstep,
        Style::Rumba,
        Style::Samba,
        Style::Tango,
        Style::VienneseWaltz,
        Style::Waltz,
        Style::Rock,
        Style::SwingJazz,
        Style::Electronic,
        Style::HipHop,
        Style::Orchestral,
    ];

    /// The class name in manifests and `classes.txt`.
    pub fn name(self) -> &'static str {
        match self {
            Style::ChaCha => "cha_cha",
            Style::Jive => "jive",
            Style::Quickstep => "quickstep",
            Style::Rumba => "rumba",
            Style::Samba => "samba",
            Style::Tango => "tango",
            Style::VienneseWaltz => "viennese_waltz",
            Style::Waltz => "waltz",
            Style::Rock => "rock",
            Style::SwingJazz => "swing_jazz",
            Style::Electronic => "electronic",
            Style::HipHop => "hip_hop",
            Style::Orchestral => "orchestral",
        }
    }

    /// The class of a name.
    pub fn from_name(name: &str) -> Option<Style> {
        Style::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Tempo range in quarter-note BPM (see the module docs for sources).
    pub fn tempo_range(self) -> (f32, f32) {
        spec(self).tempo
    }

    /// Beats per bar (0 = 3 or 4, chosen per clip: orchestral).
    pub fn beats_per_bar(self) -> u32 {
        spec(self).beats_per_bar as u32
    }

    /// Whether the style has a drum kit.
    pub fn has_drums(self) -> bool {
        spec(self).drum_prob > 0.0
    }
}

/// A style clip's labels and how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleLabels {
    /// The class.
    pub style: Style,
    /// Tempo in quarter-note BPM.
    pub tempo_bpm: f32,
    /// Beats per bar (2, 3 or 4).
    pub beats_per_bar: u32,
    /// Key, e.g. "D minor".
    pub key: String,
    /// Swing ratio (0.5 = straight).
    pub swing: f32,
    /// Whether drums play.
    pub drums: bool,
    /// GM programs of lead, comping, bass and pad (255 = none).
    pub programs: [u8; 4],
}

/// A drum hit: beat position within the pattern's cycle, GM drum key, relative velocity.
type Hit = (f64, u8, f64);

/// A bass note: beat within the bar, scale-degree offset from the chord root (0 root, 2 third, 4 fifth, 5 sixth,
/// 7 octave, −3 the fifth below), length in beats.
type BassNote = (f64, i32, f64);

#[derive(Debug, Clone, Copy)]
enum Bass {
    Figure(&'static [BassNote]),
    /// Quarter notes: chord tones, a chromatic approach into the next bar's root.
    Walking,
    /// Waltz: root on 1, alternating root and fifth bar by bar.
    OomPah,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comp {
    /// Block chords.
    Block,
    /// Root–fifth–octave power chords.
    Power,
    /// Chord tones one after another on this grid (beats).
    Arpeggio(f64),
}

struct Spec {
    tempo: (f32, f32),
    /// 0 = choose 3 or 4.
    beats_per_bar: usize,
    swing: (f64, f64),
    swing_unit: f64,
    drum_prob: f64,
    /// Alternative drum patterns, each over `drum_cycle` beats.
    drums: &'static [&'static [Hit]],
    drum_cycle: f64,
    /// Closed hi-hat on this grid (0 = none), accents on beats.
    hats: f64,
    /// Random snare comping on off-beats (jazz drummers).
    snare_comping: bool,
    crash_every: usize,
    bass: &'static [Bass],
    bass_programs: &'static [u8],
    comp: &'static [&'static [(f64, f64)]],
    comp_kind: Comp,
    comp_programs: &'static [u8],
    pad_programs: &'static [u8],
    lead_programs: &'static [u8],
    lead_grid: f64,
    lead_onset: f64,
    lead_prob: f64,
    seventh: f64,
    major: f64,
    timpani: bool,
}

use super::gm::percussion::{
    CLAP, CLAVES, CLOSED_HAT, COWBELL, CRASH, HI_AGOGO, HI_BONGO, KICK, KICK2, LONG_GUIRO, LOW_AGOGO, LOW_CONGA,
    LOW_TOM, MARACAS, MUTE_CONGA, OPEN_CONGA, OPEN_HAT, PEDAL_HAT, RIDE, SHORT_GUIRO, SNARE, STICK, WOODBLOCK,
};

const CHA_CHA_DRUMS: &[Hit] = &[
    (0.0, COWBELL, 0.9),
    (1.0, COWBELL, 0.6),
    (2.0, COWBELL, 0.8),
    (3.0, COWBELL, 0.6),
    (0.0, LONG_GUIRO, 0.5),
    (2.0, LONG_GUIRO, 0.5),
    (3.0, SHORT_GUIRO, 0.5),
    (3.5, SHORT_GUIRO, 0.5),
    (1.0, MUTE_CONGA, 0.7),
    (3.0, OPEN_CONGA, 0.8),
    (3.5, OPEN_CONGA, 0.8),
    (0.0, KICK, 0.6),
    (2.0, KICK, 0.5),
    (3.0, STICK, 0.5),
    (3.5, STICK, 0.4),
];
const CHA_CHA_DRUMS_2: &[Hit] = &[
    (0.0, COWBELL, 0.9),
    (1.0, COWBELL, 0.6),
    (2.0, COWBELL, 0.8),
    (3.0, COWBELL, 0.6),
    (0.0, MARACAS, 0.4),
    (0.5, MARACAS, 0.3),
    (1.0, MARACAS, 0.4),
    (1.5, MARACAS, 0.3),
    (2.0, MARACAS, 0.4),
    (2.5, MARACAS, 0.3),
    (3.0, MARACAS, 0.4),
    (3.5, MARACAS, 0.3),
    (1.0, MUTE_CONGA, 0.7),
    (3.0, OPEN_CONGA, 0.8),
    (3.5, LOW_CONGA, 0.8),
    (0.0, KICK, 0.6),
];
const JIVE_DRUMS: &[Hit] = &[
    (0.0, KICK, 0.9),
    (2.0, KICK, 0.8),
    (1.0, SNARE, 1.0),
    (3.0, SNARE, 1.0),
    (0.0, RIDE, 0.7),
    (1.0, RIDE, 0.8),
    (1.5, RIDE, 0.5),
    (2.0, RIDE, 0.7),
    (3.0, RIDE, 0.8),
    (3.5, RIDE, 0.5),
    (1.0, PEDAL_HAT, 0.5),
    (3.0, PEDAL_HAT, 0.5),
];
const JIVE_DRUMS_2: &[Hit] = &[
    (0.0, KICK, 0.9),
    (1.0, KICK, 0.6),
    (2.0, KICK, 0.8),
    (3.0, KICK, 0.6),
    (1.0, SNARE, 1.0),
    (3.0, SNARE, 1.0),
    (3.5, SNARE, 0.4),
    (0.0, CLOSED_HAT, 0.6),
    (0.5, CLOSED_HAT, 0.4),
    (1.0, CLOSED_HAT, 0.6),
    (1.5, CLOSED_HAT, 0.4),
    (2.0, CLOSED_HAT, 0.6),
    (2.5, CLOSED_HAT, 0.4),
    (3.0, CLOSED_HAT, 0.6),
    (3.5, CLOSED_HAT, 0.4),
];
const SWING_DRUMS: &[Hit] = &[
    (0.0, RIDE, 0.8),
    (1.0, RIDE, 0.9),
    (1.5, RIDE, 0.5),
    (2.0, RIDE, 0.8),
    (3.0, RIDE, 0.9),
    (3.5, RIDE, 0.5),
    (1.0, PEDAL_HAT, 0.6),
    (3.0, PEDAL_HAT, 0.6),
    (0.0, KICK, 0.3),
    (1.0, KICK, 0.25),
    (2.0, KICK, 0.3),
    (3.0, KICK, 0.25),
];
const QUICKSTEP_DRUMS: &[Hit] = &[
    (0.0, RIDE, 0.8),
    (1.0, RIDE, 0.9),
    (1.5, RIDE, 0.5),
    (2.0, RIDE, 0.8),
    (3.0, RIDE, 0.9),
    (3.5, RIDE, 0.5),
    (0.0, KICK, 0.6),
    (2.0, KICK, 0.6),
    (1.0, SNARE, 0.7),
    (3.0, SNARE, 0.7),
    (1.0, PEDAL_HAT, 0.5),
    (3.0, PEDAL_HAT, 0.5),
];
// Two bars of 4/4: the 3-2 rumba clave (1, 2&, 4 | 2, 3), congas, maracas.
const RUMBA_DRUMS: &[Hit] = &[
    (0.0, CLAVES, 0.9),
    (1.5, CLAVES, 0.9),
    (3.5, CLAVES, 0.9),
    (5.0, CLAVES, 0.9),
    (6.0, CLAVES, 0.9),
    (1.0, MUTE_CONGA, 0.6),
    (3.0, OPEN_CONGA, 0.8),
    (3.5, OPEN_CONGA, 0.7),
    (5.0, MUTE_CONGA, 0.6),
    (7.0, OPEN_CONGA, 0.8),
    (7.5, LOW_CONGA, 0.7),
    (0.0, KICK, 0.5),
    (4.0, KICK, 0.5),
    (2.5, KICK, 0.35),
    (6.5, KICK, 0.35),
    (0.0, MARACAS, 0.4),
    (0.5, MARACAS, 0.25),
    (1.0, MARACAS, 0.4),
    (1.5, MARACAS, 0.25),
    (2.0, MARACAS, 0.4),
    (2.5, MARACAS, 0.25),
    (3.0, MARACAS, 0.4),
    (3.5, MARACAS, 0.25),
    (4.0, MARACAS, 0.4),
    (4.5, MARACAS, 0.25),
    (5.0, MARACAS, 0.4),
    (5.5, MARACAS, 0.25),
    (6.0, MARACAS, 0.4),
    (6.5, MARACAS, 0.25),
    (7.0, MARACAS, 0.4),
    (7.5, MARACAS, 0.25),
];
// Son clave 3-2 variant with bongos.
const RUMBA_DRUMS_2: &[Hit] = &[
    (0.0, CLAVES, 0.9),
    (1.5, CLAVES, 0.9),
    (3.0, CLAVES, 0.9),
    (5.0, CLAVES, 0.9),
    (6.0, CLAVES, 0.9),
    (0.0, HI_BONGO, 0.6),
    (0.5, HI_BONGO, 0.4),
    (1.0, HI_BONGO, 0.5),
    (1.5, HI_BONGO, 0.4),
    (2.0, HI_BONGO, 0.6),
    (2.5, HI_BONGO, 0.4),
    (3.0, HI_BONGO, 0.5),
    (3.5, HI_BONGO, 0.4),
    (4.0, HI_BONGO, 0.6),
    (5.0, HI_BONGO, 0.5),
    (6.0, HI_BONGO, 0.6),
    (7.0, HI_BONGO, 0.5),
    (3.0, OPEN_CONGA, 0.8),
    (7.0, OPEN_CONGA, 0.8),
    (0.0, KICK, 0.5),
    (4.0, KICK, 0.5),
];
// One 2/4 bar: surdo answering on beat 2, shaker sixteenths accented on the off-sixteenths, tamborim, agogo.
const SAMBA_DRUMS: &[Hit] = &[
    (0.0, KICK2, 0.5),
    (1.0, KICK, 1.0),
    (1.0, LOW_TOM, 0.7),
    (0.0, MARACAS, 0.4),
    (0.25, MARACAS, 0.7),
    (0.5, MARACAS, 0.4),
    (0.75, MARACAS, 0.7),
    (1.0, MARACAS, 0.4),
    (1.25, MARACAS, 0.7),
    (1.5, MARACAS, 0.4),
    (1.75, MARACAS, 0.7),
    (0.0, WOODBLOCK, 0.7),
    (0.5, WOODBLOCK, 0.6),
    (0.75, WOODBLOCK, 0.7),
    (1.25, WOODBLOCK, 0.6),
    (1.5, WOODBLOCK, 0.7),
    (0.0, HI_AGOGO, 0.6),
    (0.5, LOW_AGOGO, 0.5),
    (1.0, HI_AGOGO, 0.6),
    (1.25, HI_AGOGO, 0.5),
    (1.75, LOW_AGOGO, 0.5),
    (0.25, SNARE, 0.3),
    (0.75, SNARE, 0.35),
    (1.25, SNARE, 0.3),
    (1.75, SNARE, 0.4),
];
const SAMBA_DRUMS_2: &[Hit] = &[
    (0.0, KICK2, 0.5),
    (0.75, KICK2, 0.4),
    (1.0, KICK, 1.0),
    (1.75, KICK, 0.5),
    (0.0, CLOSED_HAT, 0.4),
    (0.25, CLOSED_HAT, 0.6),
    (0.5, CLOSED_HAT, 0.4),
    (0.75, CLOSED_HAT, 0.6),
    (1.0, CLOSED_HAT, 0.4),
    (1.25, CLOSED_HAT, 0.6),
    (1.5, CLOSED_HAT, 0.4),
    (1.75, CLOSED_HAT, 0.6),
    (0.25, STICK, 0.6),
    (0.75, STICK, 0.6),
    (1.5, STICK, 0.6),
    (0.0, HI_AGOGO, 0.5),
    (1.0, LOW_AGOGO, 0.5),
];
const TANGO_DRUMS: &[Hit] =
    &[(0.0, KICK, 1.0), (1.0, KICK, 0.7), (2.0, KICK, 0.9), (3.0, SNARE, 0.6), (3.5, SNARE, 0.9)];
// Habanera: dotted-eighth–sixteenth–eighth–eighth.
const TANGO_DRUMS_2: &[Hit] = &[
    (0.0, KICK, 1.0),
    (0.75, STICK, 0.6),
    (1.0, KICK, 0.8),
    (1.5, STICK, 0.7),
    (2.0, KICK, 1.0),
    (2.75, STICK, 0.6),
    (3.0, KICK, 0.8),
    (3.5, SNARE, 0.9),
];
const WALTZ_DRUMS: &[Hit] = &[(0.0, KICK, 0.5), (1.0, CLOSED_HAT, 0.5), (2.0, CLOSED_HAT, 0.45)];
const WALTZ_DRUMS_2: &[Hit] = &[(0.0, KICK, 0.45), (1.0, STICK, 0.4), (2.0, STICK, 0.35), (0.0, RIDE, 0.4)];
const ROCK_DRUMS: &[Hit] =
    &[(0.0, KICK, 1.0), (1.0, SNARE, 1.0), (2.0, KICK, 0.9), (2.5, KICK, 0.8), (3.0, SNARE, 1.0)];
const ROCK_DRUMS_2: &[Hit] =
    &[(0.0, KICK, 1.0), (1.0, SNARE, 1.0), (1.5, KICK, 0.8), (2.0, KICK, 0.9), (3.0, SNARE, 1.0)];
const ELECTRONIC_DRUMS: &[Hit] = &[
    (0.0, KICK, 1.0),
    (1.0, KICK, 1.0),
    (2.0, KICK, 1.0),
    (3.0, KICK, 1.0),
    (1.0, CLAP, 0.8),
    (3.0, CLAP, 0.8),
    (0.5, OPEN_HAT, 0.6),
    (1.5, OPEN_HAT, 0.6),
    (2.5, OPEN_HAT, 0.6),
    (3.5, OPEN_HAT, 0.6),
];
const ELECTRONIC_DRUMS_2: &[Hit] = &[
    (0.0, KICK, 1.0),
    (1.0, KICK, 1.0),
    (2.0, KICK, 1.0),
    (3.0, KICK, 1.0),
    (1.0, SNARE, 0.7),
    (3.0, SNARE, 0.7),
    (0.5, OPEN_HAT, 0.5),
    (1.5, OPEN_HAT, 0.5),
    (2.5, OPEN_HAT, 0.5),
    (3.5, OPEN_HAT, 0.5),
    (3.75, CLAP, 0.4),
];
const HIP_HOP_DRUMS: &[Hit] =
    &[(0.0, KICK, 1.0), (1.75, KICK, 0.8), (2.5, KICK, 0.9), (1.0, SNARE, 1.0), (3.0, SNARE, 1.0)];
const HIP_HOP_DRUMS_2: &[Hit] = &[
    (0.0, KICK, 1.0),
    (0.75, KICK, 0.7),
    (2.25, KICK, 0.8),
    (2.5, KICK, 0.9),
    (1.0, SNARE, 1.0),
    (3.0, SNARE, 1.0),
    (3.75, SNARE, 0.3),
];

const CHA_CHA_BASS: &[BassNote] = &[(0.0, 0, 1.0), (2.0, 4, 1.0), (3.0, 0, 0.5), (3.5, 0, 0.5)];
const BOOGIE_BASS: &[BassNote] = &[(0.0, 0, 1.0), (1.0, 2, 1.0), (2.0, 4, 1.0), (3.0, 5, 1.0)];
const TWO_FEEL_BASS: &[BassNote] = &[(0.0, 0, 2.0), (2.0, 4, 2.0)];
// Tumbao: anticipated bass on 2& and 4.
const TUMBAO_BASS: &[BassNote] = &[(1.5, 0, 1.5), (3.0, 4, 1.0)];
const RUMBA_BASS: &[BassNote] = &[(0.0, 0, 1.5), (1.5, 4, 0.5), (2.0, 7, 1.0), (3.0, 4, 1.0)];
const SAMBA_BASS: &[BassNote] = &[(0.0, 0, 0.75), (0.75, 0, 0.25), (1.0, -3, 0.75), (1.75, 0, 0.25)];
const TANGO_BASS: &[BassNote] = &[(0.0, 0, 0.4), (1.0, 0, 0.4), (2.0, 4, 0.4), (3.0, 4, 0.3), (3.5, 0, 0.3)];
const ROCK_BASS: &[BassNote] = &[
    (0.0, 0, 0.45),
    (0.5, 0, 0.45),
    (1.0, 0, 0.45),
    (1.5, 0, 0.45),
    (2.0, 0, 0.45),
    (2.5, 0, 0.45),
    (3.0, 0, 0.45),
    (3.5, 0, 0.45),
];
const ROCK_BASS_2: &[BassNote] = &[(0.0, 0, 1.5), (1.5, 0, 0.5), (2.0, 4, 1.0), (3.0, 7, 1.0)];
const OFFBEAT_BASS: &[BassNote] = &[(0.5, 0, 0.4), (1.5, 0, 0.4), (2.5, 0, 0.4), (3.5, 0, 0.4)];
const ROLLING_BASS: &[BassNote] =
    &[(0.5, 0, 0.25), (0.75, 0, 0.25), (1.5, 7, 0.25), (1.75, 0, 0.25), (2.5, 0, 0.25), (2.75, 0, 0.25), (3.5, 4, 0.4)];
const HIP_HOP_BASS: &[BassNote] = &[(0.0, 0, 1.5), (1.75, 0, 0.5), (2.5, 4, 1.25)];
const ORCHESTRAL_BASS: &[BassNote] = &[(0.0, 0, 2.0), (2.0, 4, 2.0)];

const MONTUNO: &[(f64, f64)] = &[(0.0, 0.4), (1.5, 0.4), (2.5, 0.4), (3.0, 0.4), (3.5, 0.4)];
const ON_TWO_FOUR: &[(f64, f64)] = &[(1.0, 0.5), (3.0, 0.5)];
const SHUFFLE_STABS: &[(f64, f64)] = &[(0.5, 0.3), (1.5, 0.3), (2.5, 0.3), (3.5, 0.3)];
const CHARLESTON: &[(f64, f64)] = &[(0.0, 0.6), (1.5, 0.5)];
const FREDDIE_GREEN: &[(f64, f64)] = &[(0.0, 0.5), (1.0, 0.5), (2.0, 0.5), (3.0, 0.5)];
const HALF_NOTES: &[(f64, f64)] = &[(0.0, 1.8), (2.0, 1.8)];
const WHOLE: &[(f64, f64)] = &[(0.0, 3.9)];
const RUMBA_COMP: &[(f64, f64)] = &[(0.0, 1.0), (1.5, 0.5), (2.5, 0.5), (3.0, 1.0)];
const SAMBA_COMP: &[(f64, f64)] = &[(0.0, 0.2), (0.5, 0.2), (0.75, 0.2), (1.25, 0.2), (1.5, 0.2)];
const MARCATO: &[(f64, f64)] = &[(0.0, 0.3), (1.0, 0.3), (2.0, 0.3), (3.0, 0.3)];
const OOM_PAH_PAH: &[(f64, f64)] = &[(1.0, 0.7), (2.0, 0.7)];
const ROCK_EIGHTS: &[(f64, f64)] =
    &[(0.0, 0.4), (0.5, 0.4), (1.0, 0.4), (1.5, 0.4), (2.0, 0.4), (2.5, 0.4), (3.0, 0.4), (3.5, 0.4)];
const ROCK_PUSH: &[(f64, f64)] = &[(0.0, 1.4), (1.5, 1.0), (2.5, 1.4)];
const ARP_BAR: &[(f64, f64)] = &[(0.0, 4.0)];
const ARP_WALTZ: &[(f64, f64)] = &[(0.0, 3.0)];

fn spec(style: Style) -> Spec {
    let base = Spec {
        tempo: (100.0, 120.0),
        beats_per_bar: 4,
        swing: (0.5, 0.5),
        swing_unit: 0.5,
        drum_prob: 1.0,
        drums: &[],
        drum_cycle: 4.0,
        hats: 0.0,
        snare_comping: false,
        crash_every: 0,
        bass: &[],
        bass_programs: &[32, 33, 34],
        comp: &[],
        comp_kind: Comp::Block,
        comp_programs: &[0],
        pad_programs: &[],
        lead_programs: &[73],
        lead_grid: 0.5,
        lead_onset: 0.4,
        lead_prob: 0.8,
        seventh: 0.2,
        major: 0.6,
        timpani: false,
    };
    match style {
        Style::ChaCha => Spec {
            tempo: (120.0, 128.0),
            drums: &[CHA_CHA_DRUMS, CHA_CHA_DRUMS_2],
            bass: &[Bass::Figure(CHA_CHA_BASS), Bass::Figure(TUMBAO_BASS)],
            bass_programs: &[32, 33, 35],
            comp: &[MONTUNO, RUMBA_COMP],
            comp_programs: &[0, 1, 4, 61],
            lead_programs: &[73, 56, 40, 65, 0],
            seventh: 0.4,
            ..base
        },
        Style::Jive => Spec {
            tempo: (168.0, 176.0),
            swing: (0.6, 0.7),
            drums: &[JIVE_DRUMS, JIVE_DRUMS_2],
            crash_every: 8,
            bass: &[Bass::Figure(BOOGIE_BASS), Bass::Walking],
            bass_programs: &[32, 33],
            comp: &[ON_TWO_FOUR, SHUFFLE_STABS],
            comp_programs: &[0, 26, 61, 3],
            lead_programs: &[65, 66, 56, 26, 71],
            seventh: 0.6,
            major: 0.8,
            ..base
        },
        Style::Quickstep => Spec {
            tempo: (200.0, 208.0),
            swing: (0.56, 0.64),
            drums: &[QUICKSTEP_DRUMS],
            snare_comping: true,
            crash_every: 8,
            bass: &[Bass::Figure(TWO_FEEL_BASS), Bass::Walking],
            bass_programs: &[32, 33],
            comp: &[HALF_NOTES, CHARLESTON],
            comp_programs: &[0, 61, 26, 48],
            lead_programs: &[56, 65, 66, 71, 57],
            seventh: 0.7,
            major: 0.85,
            ..base
        },
        Style::Rumba => Spec {
            tempo: (100.0, 108.0),
            drums: &[RUMBA_DRUMS, RUMBA_DRUMS_2],
            drum_cycle: 8.0,
            bass: &[Bass::Figure(TUMBAO_BASS), Bass::Figure(RUMBA_BASS)],
            bass_programs: &[32, 33, 35],
            comp: &[RUMBA_COMP, WHOLE],
            comp_kind: Comp::Block,
            comp_programs: &[24, 0, 4, 48],
            pad_programs: &[48, 49, 89],
            lead_programs: &[40, 73, 24, 65, 71],
            lead_onset: 0.3,
            seventh: 0.5,
            major: 0.4,
            ..base
        },
        Style::Samba => Spec {
            tempo: (100.0, 104.0),
            beats_per_bar: 2,
            swing: (0.5, 0.56),
            swing_unit: 0.25,
            drums: &[SAMBA_DRUMS, SAMBA_DRUMS_2],
            drum_cycle: 2.0,
            bass: &[Bass::Figure(SAMBA_BASS)],
            bass_programs: &[32, 33, 34],
            comp: &[SAMBA_COMP],
            comp_programs: &[25, 24, 0, 4],
            lead_programs: &[73, 56, 65, 11, 24],
            lead_grid: 0.25,
            lead_onset: 0.4,
            seventh: 0.4,
            major: 0.75,
            ..base
        },
        Style::Tango => Spec {
            tempo: (124.0, 132.0),
            drum_prob: 0.7,
            drums: &[TANGO_DRUMS, TANGO_DRUMS_2],
            bass: &[Bass::Figure(TANGO_BASS)],
            bass_programs: &[32, 43, 33],
            comp: &[MARCATO],
            comp_programs: &[23, 21, 0, 45, 48],
            lead_programs: &[23, 40, 48, 21],
            lead_onset: 0.45,
            seventh: 0.2,
            major: 0.3,
            ..base
        },
        Style::VienneseWaltz => Spec {
            tempo: (174.0, 180.0),
            beats_per_bar: 3,
            drum_prob: 0.35,
            drums: &[WALTZ_DRUMS, WALTZ_DRUMS_2],
            drum_cycle: 3.0,
            bass: &[Bass::OomPah],
            bass_programs: &[43, 32, 42, 58],
            comp: &[OOM_PAH_PAH],
            comp_programs: &[48, 45, 0, 21, 61],
            lead_programs: &[40, 73, 48, 71, 60],
            lead_grid: 1.0,
            lead_onset: 0.5,
            seventh: 0.2,
            major: 0.75,
            timpani: true,
            ..base
        },
        Style::Waltz => Spec {
            tempo: (84.0, 90.0),
            beats_per_bar: 3,
            drum_prob: 0.35,
            drums: &[WALTZ_DRUMS, WALTZ_DRUMS_2],
            drum_cycle: 3.0,
            bass: &[Bass::OomPah],
            bass_programs: &[43, 32, 42],
            comp: &[OOM_PAH_PAH, ARP_WALTZ],
            comp_kind: Comp::Arpeggio(0.5),
            comp_programs: &[46, 0, 48, 24],
            pad_programs: &[48, 49, 89, 52],
            lead_programs: &[40, 73, 65, 0, 71],
            lead_grid: 0.5,
            lead_onset: 0.3,
            seventh: 0.3,
            major: 0.65,
            ..base
        },
        Style::Rock => Spec {
            tempo: (100.0, 150.0),
            drums: &[ROCK_DRUMS, ROCK_DRUMS_2],
            hats: 0.5,
            crash_every: 8,
            bass: &[Bass::Figure(ROCK_BASS), Bass::Figure(ROCK_BASS_2)],
            bass_programs: &[33, 34],
            comp: &[ROCK_EIGHTS, ROCK_PUSH],
            comp_kind: Comp::Power,
            comp_programs: &[29, 30, 27],
            pad_programs: &[16, 17, 18],
            lead_programs: &[29, 30, 27, 81],
            lead_onset: 0.45,
            lead_prob: 0.6,
            seventh: 0.0,
            major: 0.55,
            ..base
        },
        Style::SwingJazz => Spec {
            tempo: (110.0, 220.0),
            swing: (0.6, 0.7),
            drums: &[SWING_DRUMS],
            snare_comping: true,
            bass: &[Bass::Walking],
            bass_programs: &[32],
            comp: &[CHARLESTON, FREDDIE_GREEN],
            comp_programs: &[0, 26, 11],
            lead_programs: &[65, 66, 56, 59, 57, 71, 11],
            lead_onset: 0.55,
            seventh: 1.0,
            major: 0.7,
            ..base
        },
        Style::Electronic => Spec {
            tempo: (118.0, 135.0),
            drums: &[ELECTRONIC_DRUMS, ELECTRONIC_DRUMS_2],
            hats: 0.25,
            crash_every: 16,
            bass: &[Bass::Figure(OFFBEAT_BASS), Bass::Figure(ROLLING_BASS)],
            bass_programs: &[38, 39],
            comp: &[ARP_BAR],
            comp_kind: Comp::Arpeggio(0.25),
            comp_programs: &[80, 81, 84, 5],
            pad_programs: &[88, 89, 90, 91, 95],
            lead_programs: &[80, 81, 87],
            lead_grid: 0.25,
            lead_onset: 0.3,
            lead_prob: 0.4,
            seventh: 0.3,
            major: 0.4,
            ..base
        },
        Style::HipHop => Spec {
            tempo: (75.0, 100.0),
            swing: (0.54, 0.62),
            swing_unit: 0.25,
            drums: &[HIP_HOP_DRUMS, HIP_HOP_DRUMS_2],
            hats: 0.25,
            bass: &[Bass::Figure(HIP_HOP_BASS)],
            bass_programs: &[38, 33, 39],
            comp: &[HALF_NOTES, WHOLE],
            comp_programs: &[4, 0, 48, 5],
            lead_programs: &[11, 73, 80, 0],
            lead_grid: 0.25,
            lead_onset: 0.15,
            lead_prob: 0.5,
            seventh: 0.8,
            major: 0.35,
            ..base
        },
        Style::Orchestral => Spec {
            tempo: (60.0, 130.0),
            beats_per_bar: 0,
            drum_prob: 0.0,
            bass: &[Bass::Figure(ORCHESTRAL_BASS), Bass::OomPah],
            bass_programs: &[43, 42, 58, 70],
            comp: &[WHOLE, HALF_NOTES],
            comp_programs: &[48, 49, 61, 60],
            pad_programs: &[48, 49, 52],
            lead_programs: &[40, 73, 68, 60, 56, 71, 41],
            lead_onset: 0.35,
            lead_prob: 0.95,
            seventh: 0.15,
            major: 0.55,
            timpani: true,
            ..base
        },
    }
}

/// Plans a style clip: the style, then the composition from `composition`, instruments and mix from `production`.
pub(crate) fn plan(
    composition: &mut ChaCha8Rng,
    production: &mut ChaCha8Rng,
    seconds: f64,
) -> (Score, Mix, StyleLabels) {
    let style = *Style::ALL.choose(composition).expect("non-empty");
    plan_style(style, composition, production, seconds)
}

/// Plans a clip of a given style.
pub(crate) fn plan_style(
    style: Style,
    composition: &mut ChaCha8Rng,
    production: &mut ChaCha8Rng,
    seconds: f64,
) -> (Score, Mix, StyleLabels) {
    let spec = spec(style);
    let tempo = composition.random_range(spec.tempo.0..=spec.tempo.1);
    let beats_per_bar =
        if spec.beats_per_bar == 0 { if composition.random_bool(0.5) { 3 } else { 4 } } else { spec.beats_per_bar };
    let bpb = beats_per_bar as f64;
    let major = composition.random_bool(spec.major);
    let key = Key::random(composition, major);
    let chords = music::progression(composition, major);
    let drums = spec.drum_prob > 0.0 && composition.random_bool(spec.drum_prob);
    let drum_pattern = spec.drums.choose(composition).copied();
    let bass = *spec.bass.choose(composition).expect("every style has a bass");
    let comp_rhythm = *spec.comp.choose(composition).expect("every style comps");
    let seventh = composition.random_bool(spec.seventh);
    let lead = composition.random_bool(spec.lead_prob);
    let pad = !spec.pad_programs.is_empty() && composition.random_bool(0.5);
    let swing = composition.random_range(spec.swing.0..=spec.swing.1);

    let mut timing = Timing::new(f64::from(tempo));
    timing.swing = swing;
    timing.swing_unit = spec.swing_unit;
    timing.jitter = production.random_range(0.002..0.015);
    let bars = timing.beats_in(seconds).div_ceil(beats_per_bar);
    let velocity = production.random_range(70.0..110.0);
    let spread = production.random_range(3.0..9.0);

    let lead_program = *spec.lead_programs.choose(production).expect("non-empty");
    let comp_program = *spec.comp_programs.choose(production).expect("non-empty");
    let bass_program = *spec.bass_programs.choose(production).expect("non-empty");
    let pad_program = spec.pad_programs.choose(production).copied();
    let effects = production.random_bool(0.6);
    let mut score = Score::new(seconds);
    let channel = |score: &mut Score, channel: u8, program: u8, volume: u8, production: &mut ChaCha8Rng| {
        score.channels.push(ChannelSetup {
            channel,
            program,
            volume,
            pan: production.random_range(30..98),
            reverb: production.random_range(0..100),
            chorus: production.random_range(0..60),
        });
    };
    channel(&mut score, 0, lead_program, 105, production);
    channel(&mut score, 1, comp_program, 85, production);
    channel(&mut score, 2, bass_program, 100, production);
    if let (true, Some(p)) = (pad, pad_program) {
        channel(&mut score, 3, p, 60, production);
    }
    if spec.timpani {
        channel(&mut score, 4, 47, 80, production);
    }
    if drums {
        score.channels.push(ChannelSetup {
            channel: DRUMS,
            program: 0,
            volume: production.random_range(80..110),
            pan: 64,
            reverb: production.random_range(0..60),
            chorus: 0,
        });
    }

    // Lead melody.
    if lead {
        let lead_range =
            super::gm::tag_for_program(lead_program).and_then(super::gm::instrument).map_or((60, 84), |i| i.range);
        let centre = composition.random_range(64..76).clamp(lead_range.0 + 6, lead_range.1 - 6);
        let shape = MelodyShape {
            low: centre - 7,
            high: centre + 9,
            grid: spec.lead_grid,
            onset: spec.lead_onset,
            chromatic: 0.03,
        };
        let legato = if style == Style::Tango { 0.55 } else { 0.9 };
        for (beat, len, k) in music::melody(composition, key, &chords, bars, beats_per_bar, shape) {
            let start = timing.human(production, beat);
            score.push(0, start, timing.length(len) * legato, k, human_velocity(production, velocity, spread));
        }
    }

    // Comping.
    let comp_base = composition.random_range(52..62);
    for bar in 0..bars {
        let root = chords[bar % chords.len()];
        let bar_start = bar as f64 * bpb;
        let voicing: Vec<i32> = match spec.comp_kind {
            Comp::Power => {
                let r = key.degree(root, comp_base - 7);
                vec![r, r + 7, r + 12]
            }
            _ => {
                let mut v = key.chord(root, comp_base, seventh);
                // Inversions for smoother voice leading: fold every tone into one octave above the base.
                for k in &mut v {
                    *k = music::fold_into(*k, comp_base, comp_base + 11);
                }
                v.sort_unstable();
                v
            }
        };
        for &(beat, len) in comp_rhythm {
            if beat >= bpb {
                continue;
            }
            let len = len.min(bpb - beat);
            match spec.comp_kind {
                Comp::Arpeggio(grid) => {
                    let steps = (len / grid).round() as usize;
                    for s in 0..steps {
                        let k = voicing[s % voicing.len()] + 12 * ((s / voicing.len()) % 2) as i32;
                        let t = timing.human(production, bar_start + beat + s as f64 * grid);
                        score.push(
                            1,
                            t,
                            timing.length(grid) * 0.9,
                            k,
                            human_velocity(production, velocity * 0.75, spread),
                        );
                    }
                }
                _ => {
                    for &k in &voicing {
                        let t = timing.human(production, bar_start + beat);
                        score.push(1, t, timing.length(len), k, human_velocity(production, velocity * 0.8, spread));
                    }
                }
            }
        }
        if pad {
            for k in key.chord(root, comp_base + 5, seventh) {
                score.push(3, timing.at(bar_start), timing.length(bpb) * 0.98, k, velocity * 0.6);
            }
        }
        if spec.timpani && (bar % 4 == 0 || composition.random_bool(0.25)) {
            let k = music::fold_into(key.degree(root, 45), 41, 53);
            score.push(
                4,
                timing.human(production, bar_start),
                timing.length(1.0),
                k,
                human_velocity(production, velocity * 0.8, spread),
            );
        }
    }

    // Bass.
    let bass_range =
        super::gm::tag_for_program(bass_program).and_then(super::gm::instrument).map_or((28, 55), |i| i.range);
    let bass_base = composition.random_range(36..44).clamp(bass_range.0 + 5, bass_range.1 - 7);
    for bar in 0..bars {
        let root = chords[bar % chords.len()];
        let bar_start = bar as f64 * bpb;
        let notes: Vec<(f64, i32, f64)> = match bass {
            Bass::Figure(figure) => figure
                .iter()
                .filter(|(b, _, _)| *b < bpb)
                .map(|&(b, off, len)| (b, key.degree(root + off, bass_base), len))
                .collect(),
            Bass::OomPah => {
                let off = if bar % 2 == 0 { 0 } else { 4 };
                vec![(0.0, music::fold_into(key.degree(root + off, bass_base), bass_base - 5, bass_base + 9), 0.9)]
            }
            Bass::Walking => {
                let next_root = key.degree(chords[(bar + 1) % chords.len()], bass_base);
                let mut line = Vec::new();
                for beat in 0..beats_per_bar {
                    let k = if beat == 0 {
                        key.degree(root, bass_base)
                    } else if beat + 1 == beats_per_bar {
                        // Chromatic approach from a semitone above or below.
                        next_root + if composition.random_bool(0.5) { 1 } else { -1 }
                    } else {
                        key.degree(root + *[2, 4, 5, 7].choose(composition).expect("non-empty"), bass_base)
                    };
                    line.push((beat as f64, k, 0.9));
                }
                line
            }
        };
        for (b, k, len) in notes {
            let t = timing.human(production, bar_start + b);
            let k = music::fold_into(k, bass_range.0, bass_range.1);
            score.push(2, t, timing.length(len), k, human_velocity(production, velocity * 0.9, spread));
        }
    }

    // Drums.
    if let (true, Some(pattern)) = (drums, drum_pattern) {
        let cycles = ((bars as f64 * bpb) / spec.drum_cycle).ceil() as usize;
        for c in 0..cycles {
            let cycle_start = c as f64 * spec.drum_cycle;
            for &(b, k, v) in pattern {
                let t = timing.human(production, cycle_start + b);
                score.push(DRUMS, t, 0.1, i32::from(k), human_velocity(production, velocity * v, spread));
            }
        }
        let total_beats = bars * beats_per_bar;
        if spec.hats > 0.0 {
            let steps = (total_beats as f64 / spec.hats) as usize;
            for s in 0..steps {
                let b = s as f64 * spec.hats;
                let accent = if (b - b.round()).abs() < 1e-9 { 0.65 } else { 0.45 };
                score.push(
                    DRUMS,
                    timing.human(production, b),
                    0.1,
                    i32::from(CLOSED_HAT),
                    human_velocity(production, velocity * accent, spread),
                );
            }
        }
        if spec.snare_comping {
            for s in 0..total_beats * 2 {
                if composition.random_bool(0.12) {
                    let b = s as f64 * 0.5;
                    score.push(
                        DRUMS,
                        timing.human(production, b),
                        0.1,
                        i32::from(SNARE),
                        human_velocity(production, velocity * 0.45, spread),
                    );
                }
            }
        }
        if spec.crash_every > 0 {
            for bar in (0..bars).step_by(spec.crash_every) {
                score.push(DRUMS, timing.at(bar as f64 * bpb), 1.0, i32::from(CRASH), velocity * 0.8);
            }
        }
    }

    let mix = Mix {
        effects,
        tilt_db: production.random_range(-4.0..4.0),
        level: Level::PeakDb(production.random_range(-12.0..-1.0)),
    };
    let labels = StyleLabels {
        style,
        tempo_bpm: tempo,
        beats_per_bar: beats_per_bar as u32,
        key: key.name(),
        swing: swing as f32,
        drums,
        programs: [
            if lead { lead_program } else { 255 },
            comp_program,
            bass_program,
            if pad { pad_program.unwrap_or(255) } else { 255 },
        ],
    };
    (score, mix, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_ranges_are_sane() {
        for s in Style::ALL {
            assert_eq!(Style::from_name(s.name()), Some(s));
            let (lo, hi) = s.tempo_range();
            assert!(40.0 <= lo && lo <= hi && hi <= 240.0);
        }
        assert_eq!(Style::Waltz.beats_per_bar(), 3);
        assert_eq!(Style::VienneseWaltz.beats_per_bar(), 3);
        assert!(!Style::Orchestral.has_drums());
    }
}
