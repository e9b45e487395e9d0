//! The instrument vocabulary: fine tags tied to General MIDI programs and coarse families.
//!
//! Fine tags follow the General MIDI 1 program list (MMA, 1991): each tag owns the programs that sound like it
//! (e.g. `electric_guitar` = programs 26–30). Coarse families follow GM's program groups of eight (Piano,
//! Chromatic Percussion, Organ, Guitar, Bass, Strings, Ensemble, Brass, Reed, Pipe, Synth Lead/Pad), merged
//! where a listener would not separate them (piano + organ = keyboards; solo strings + string ensemble =
//! strings) and close to OpenMIC-2018's twenty classes so the models can be fine-tuned on it. GM programs not
//! listed here (sound effects, ethnic instruments, …) are never used, so every sound in a clip has a tag.

/// One fine-tagged instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instrument {
    /// Fine tag (snake_case), e.g. `violin`.
    pub tag: &'static str,
    /// Coarse family, e.g. `strings`.
    pub family: &'static str,
    /// GM programs (0-based) that render it; empty for `drums` (the percussion channel).
    pub programs: &'static [u8],
    /// Comfortable MIDI key range (lowest, highest).
    pub range: (i32, i32),
    /// Can play chords.
    pub polyphonic: bool,
}

/// The drum-kit tag (GM percussion channel).
pub const DRUMS: &str = "drums";
/// Auxiliary percussion (congas, bongos, claves, shakers, tambourine, triangle, woodblock, cymbals struck
/// singly): GM percussion keys, or the Philharmonia `percussion/` hits.
pub const HAND_PERCUSSION: &str = "hand_percussion";
/// A human voice (speech, or speech made sung-like); only from recordings.
pub const VOICE: &str = "voice";

/// Tags no SoundFont program renders: they come only from recordings (a sample folder or the voice bank).
pub fn recorded_only(tag: &str) -> bool {
    instrument(tag).is_some_and(|i| i.programs.is_empty() && i.tag != DRUMS && i.tag != HAND_PERCUSSION)
}

const fn inst(
    tag: &'static str,
    family: &'static str,
    programs: &'static [u8],
    range: (i32, i32),
    polyphonic: bool,
) -> Instrument {
    Instrument { tag, family, programs, range, polyphonic }
}

/// The vocabulary, in `tags.txt` order (grouped by family).
pub const INSTRUMENTS: &[Instrument] = &[
    inst("piano", "keyboards", &[0, 1, 2], (36, 96), true),
    inst("electric_piano", "keyboards", &[4, 5], (40, 88), true),
    inst("harpsichord", "keyboards", &[6], (41, 89), true),
    inst("organ", "keyboards", &[16, 17, 18, 19], (36, 96), true),
    inst("accordion", "keyboards", &[21, 23], (53, 89), true),
    inst("drums", "percussion", &[], (35, 81), true),
    inst("mallets", "percussion", &[9, 11, 12, 13], (60, 96), true),
    inst("hand_percussion", "percussion", &[], (35, 81), false),
    inst("acoustic_guitar", "guitars", &[24, 25], (40, 81), true),
    inst("electric_guitar", "guitars", &[26, 27, 28, 29, 30], (40, 84), true),
    inst("banjo", "guitars", &[105], (48, 84), true),
    inst("mandolin", "guitars", &[], (55, 88), false),
    inst("bass", "bass", &[32, 33, 34, 35, 38, 39], (28, 55), false),
    inst("violin", "strings", &[40], (55, 96), false),
    inst("viola", "strings", &[41], (48, 84), false),
    inst("cello", "strings", &[42], (36, 72), false),
    inst("contrabass", "strings", &[43], (28, 55), false),
    inst("harp", "strings", &[46], (36, 96), true),
    inst("strings_ensemble", "strings", &[48, 49], (36, 96), true),
    inst("choir", "voice", &[52, 53], (48, 79), true),
    inst("voice", "voice", &[], (48, 79), false),
    inst("trumpet", "brass", &[56, 59], (55, 82), false),
    inst("trombone", "brass", &[57], (40, 72), false),
    inst("tuba", "brass", &[58], (28, 55), false),
    inst("french_horn", "brass", &[60], (41, 77), false),
    inst("brass_section", "brass", &[61], (45, 82), true),
    inst("saxophone", "reeds", &[64, 65, 66, 67], (44, 80), false),
    inst("oboe", "reeds", &[68], (58, 91), false),
    inst("bassoon", "reeds", &[70], (34, 72), false),
    inst("clarinet", "reeds", &[71], (50, 89), false),
    inst("flute", "pipes", &[72, 73], (60, 96), false),
    inst("synth_lead", "synth", &[80, 81], (48, 88), false),
    inst("synth_pad", "synth", &[88, 89, 90, 91, 95], (36, 84), true),
];

/// Every fine tag, in vocabulary order.
pub fn tags() -> Vec<&'static str> {
    INSTRUMENTS.iter().map(|i| i.tag).collect()
}

/// The instrument of a fine tag.
pub fn instrument(tag: &str) -> Option<&'static Instrument> {
    INSTRUMENTS.iter().find(|i| i.tag == tag)
}

/// The family of a fine tag.
pub fn family(tag: &str) -> Option<&'static str> {
    instrument(tag).map(|i| i.family)
}

/// The fine tag a GM program renders, if the program is in the vocabulary.
pub fn tag_for_program(program: u8) -> Option<&'static str> {
    INSTRUMENTS.iter().find(|i| i.programs.contains(&program)).map(|i| i.tag)
}

/// Families and their members, in vocabulary order (what `hierarchy.json` holds).
pub fn hierarchy() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for i in INSTRUMENTS {
        match out.iter_mut().find(|(family, _)| *family == i.family) {
            Some((_, members)) => members.push(i.tag),
            None => out.push((i.family, vec![i.tag])),
        }
    }
    out
}

/// The fine tag of a sample folder name (`cello`, `Double Bass`, `guitar`, `alto-sax`, …), if it names an
/// instrument in the vocabulary.
pub fn tag_for_folder(name: &str) -> Option<&'static str> {
    let n: String = name.trim().to_lowercase().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
    if let Some(i) = instrument(&n) {
        return Some(i.tag);
    }
    let synonym = match n.as_str() {
        "guitar" | "classical_guitar" | "nylon_guitar" => "acoustic_guitar",
        "double_bass" | "doublebass" | "upright_bass" => "contrabass",
        "bass_guitar" | "electric_bass" => "bass",
        "horn" | "french_horns" => "french_horn",
        "sax" | "alto_sax" | "tenor_sax" | "soprano_sax" | "baritone_sax" | "alto_saxophone" | "tenor_saxophone" => {
            "saxophone"
        }
        "bass_clarinet" => "clarinet",
        "contrabassoon" => "bassoon",
        "cor_anglais" | "english_horn" => "oboe",
        "piccolo" => "flute",
        "bass_trombone" | "tenor_trombone" => "trombone",
        "strings" | "string_ensemble" => "strings_ensemble",
        "vocals" | "singer" | "speech" => "voice",
        "percussion" | "auxiliary_percussion" | "hand_percussion" => "hand_percussion",
        "synthesizer" | "synth" => "synth_lead",
        "drum" | "drum_kit" | "drumkit" => "drums",
        "keyboard" | "grand_piano" => "piano",
        "vibraphone" | "marimba" | "xylophone" | "glockenspiel" | "mallet_percussion" => "mallets",
        _ => return None,
    };
    instrument(synonym).map(|i| i.tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_is_consistent() {
        let tags = tags();
        let mut unique = tags.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), tags.len(), "duplicate tags");
        let mut programs: Vec<u8> = INSTRUMENTS.iter().flat_map(|i| i.programs.iter().copied()).collect();
        let n = programs.len();
        programs.sort_unstable();
        programs.dedup();
        assert_eq!(programs.len(), n, "a program belongs to two tags");
        for i in INSTRUMENTS {
            assert!(i.range.1 - i.range.0 >= 12, "{} needs an octave", i.tag);
            assert!(i.programs.is_empty() == (i.tag == DRUMS || i.tag == HAND_PERCUSSION || recorded_only(i.tag)));
        }
        let members: usize = hierarchy().iter().map(|(_, m)| m.len()).sum();
        assert_eq!(members, tags.len());
    }

    #[test]
    fn philharmonia_folders_map() {
        for (folder, tag) in [
            ("cello", "cello"),
            ("flute", "flute"),
            ("guitar", "acoustic_guitar"),
            ("saxophone", "saxophone"),
            ("trumpet", "trumpet"),
            ("viola", "viola"),
            ("violin", "violin"),
            ("double bass", "contrabass"),
            ("French-Horn", "french_horn"),
        ] {
            assert_eq!(tag_for_folder(folder), Some(tag), "{folder}");
        }
        assert_eq!(tag_for_folder("banjo"), Some("banjo"));
        assert_eq!(tag_for_folder("percussion"), Some("hand_percussion"));
        assert_eq!(tag_for_folder("bass-clarinet"), Some("clarinet"));
        assert_eq!(tag_for_folder("cor-anglais"), Some("oboe"));
        assert_eq!(tag_for_folder("contrabassoon"), Some("bassoon"));
        assert_eq!(tag_for_folder("kazoo"), None);
        assert_eq!(tag_for_program(42), Some("cello"));
        assert_eq!(tag_for_program(120), None);
    }
}

/// General MIDI percussion keys (channel 10), by GM 1's percussion map: the drum parts of every generator name
/// their hits here instead of by number.
pub mod percussion {
    /// GM key 35.
    pub const KICK2: u8 = 35;
    /// GM key 36.
    pub const KICK: u8 = 36;
    /// GM key 37.
    pub const STICK: u8 = 37;
    /// GM key 38.
    pub const SNARE: u8 = 38;
    /// GM key 39.
    pub const CLAP: u8 = 39;
    /// GM key 41.
    pub const LOW_TOM: u8 = 41;
    /// GM key 42.
    pub const CLOSED_HAT: u8 = 42;
    /// GM key 44.
    pub const PEDAL_HAT: u8 = 44;
    /// GM key 46.
    pub const OPEN_HAT: u8 = 46;
    /// GM key 49.
    pub const CRASH: u8 = 49;
    /// GM key 51.
    pub const RIDE: u8 = 51;
    /// GM key 54.
    pub const TAMBOURINE: u8 = 54;
    /// GM key 56.
    pub const COWBELL: u8 = 56;
    /// GM key 60.
    pub const HI_BONGO: u8 = 60;
    /// GM key 62.
    pub const MUTE_CONGA: u8 = 62;
    /// GM key 63.
    pub const OPEN_CONGA: u8 = 63;
    /// GM key 64.
    pub const LOW_CONGA: u8 = 64;
    /// GM key 67.
    pub const HI_AGOGO: u8 = 67;
    /// GM key 68.
    pub const LOW_AGOGO: u8 = 68;
    /// GM key 70.
    pub const MARACAS: u8 = 70;
    /// GM key 73.
    pub const SHORT_GUIRO: u8 = 73;
    /// GM key 74.
    pub const LONG_GUIRO: u8 = 74;
    /// GM key 75.
    pub const CLAVES: u8 = 75;
    /// GM key 76.
    pub const WOODBLOCK: u8 = 76;
    /// GM key 81.
    pub const OPEN_TRIANGLE: u8 = 81;
    /// The keys the `hand_percussion` tag plays (no kit pieces: those are `drums`).
    pub const HAND: [u8; 12] = [
        TAMBOURINE,
        COWBELL,
        HI_BONGO,
        MUTE_CONGA,
        OPEN_CONGA,
        LOW_CONGA,
        HI_AGOGO,
        MARACAS,
        SHORT_GUIRO,
        CLAVES,
        WOODBLOCK,
        OPEN_TRIANGLE,
    ];
}
