//! What each style plays: its tempo range and metre, drum patterns, bass figures, comping rhythms and instrument
//! palettes (the patterns and their sources are described in the parent module).

use super::Style;

/// A drum hit: beat position within the pattern's cycle, GM drum key, relative velocity.
pub(super) type Hit = (f64, u8, f64);

/// A bass note: beat within the bar, scale-degree offset from the chord root (0 root, 2 third, 4 fifth, 5 sixth,
/// 7 octave, −3 the fifth below), length in beats.
pub(super) type BassNote = (f64, i32, f64);

#[derive(Debug, Clone, Copy)]
pub(super) enum Bass {
    Figure(&'static [BassNote]),
    /// Quarter notes: chord tones, a chromatic approach into the next bar's root.
    Walking,
    /// Waltz: root on 1, alternating root and fifth bar by bar.
    OomPah,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Comp {
    /// Block chords.
    Block,
    /// Root–fifth–octave power chords.
    Power,
    /// Chord tones one after another on this grid (beats).
    Arpeggio(f64),
}

pub(super) struct Spec {
    pub(super) tempo: (f32, f32),
    /// 0 = choose 3 or 4.
    pub(super) beats_per_bar: usize,
    pub(super) swing: (f64, f64),
    pub(super) swing_unit: f64,
    pub(super) drum_prob: f64,
    /// Alternative drum patterns, each over `drum_cycle` beats.
    pub(super) drums: &'static [&'static [Hit]],
    pub(super) drum_cycle: f64,
    /// Closed hi-hat on this grid (0 = none), accents on beats.
    pub(super) hats: f64,
    /// Random snare comping on off-beats (jazz drummers).
    pub(super) snare_comping: bool,
    pub(super) crash_every: usize,
    pub(super) bass: &'static [Bass],
    pub(super) bass_programs: &'static [u8],
    pub(super) comp: &'static [&'static [(f64, f64)]],
    pub(super) comp_kind: Comp,
    pub(super) comp_programs: &'static [u8],
    pub(super) pad_programs: &'static [u8],
    pub(super) lead_programs: &'static [u8],
    pub(super) lead_grid: f64,
    pub(super) lead_onset: f64,
    pub(super) lead_prob: f64,
    pub(super) seventh: f64,
    pub(super) major: f64,
    pub(super) timpani: bool,
}

use super::super::gm::percussion::{
    CLAP, CLAVES, CLOSED_HAT, COWBELL, HI_AGOGO, HI_BONGO, KICK, KICK2, LONG_GUIRO, LOW_AGOGO, LOW_CONGA, LOW_TOM,
    MARACAS, MUTE_CONGA, OPEN_CONGA, OPEN_HAT, PEDAL_HAT, RIDE, SHORT_GUIRO, SNARE, STICK, WOODBLOCK,
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

/// The style's rules: what every clip of it plays and what varies.
pub(super) fn spec(style: Style) -> Spec {
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
