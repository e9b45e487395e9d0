//! The procedural music generator: determinism, labels by construction, audio sanity, the CLI's output.
//!
//! Needs the General MIDI SoundFont: `cargo xtask test` provisions it; otherwise run `cargo xtask soundfont`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use earmark_training::synth::cli::{SynthArgs, header, run};
use earmark_training::synth::{
    ClipKind, ClipLabels, EmotionCues, Generator, Holdout, HoldoutPart, Mode, PartSound, SampleBank, Style, gm,
    locate_soundfont,
};

const RATE: u32 = 22050;

fn soundfont() -> PathBuf {
    locate_soundfont(None).unwrap_or_else(|e| {
        panic!("{e}\nThese tests need the SoundFont: run `cargo xtask soundfont` (or `cargo xtask test`).")
    })
}

fn generator() -> &'static Generator {
    static GENERATOR: OnceLock<Generator> = OnceLock::new();
    GENERATOR.get_or_init(|| Generator::new(&soundfont(), RATE).expect("the SoundFont loads"))
}

fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0f32, |m, s| m.max(s.abs()))
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt()
}

fn assert_sane(samples: &[f32], seconds: f32, what: &str) {
    assert_eq!(samples.len(), (seconds * RATE as f32).round() as usize, "{what}: length");
    assert!(samples.iter().all(|s| s.is_finite()), "{what}: non-finite samples");
    let p = peak(samples);
    assert!(p <= 0.99 + 1e-6, "{what}: clipped ({p})");
    assert!(rms(samples) > 1e-3, "{what}: silent (rms {})", rms(samples));
}

#[test]
fn same_seed_same_samples_different_seed_different() {
    let g = generator();
    for kind in [ClipKind::Emotion, ClipKind::Style, ClipKind::Instruments] {
        let a = g.render(kind, 11, 3, 2.0).unwrap();
        let b = g.render(kind, 11, 3, 2.0).unwrap();
        assert_eq!(a.samples, b.samples, "{kind:?}: same seed and index must be bit-identical");
        assert_eq!(a.labels, b.labels);
        let c = g.render(kind, 12, 3, 2.0).unwrap();
        assert_ne!(a.samples, c.samples, "{kind:?}: another seed must differ");
        let d = g.render(kind, 11, 4, 2.0).unwrap();
        assert_ne!(a.samples, d.samples, "{kind:?}: another index must differ");
    }
}

#[test]
fn variants_share_the_composition_and_differ_in_sound() {
    let g = generator();
    let a = g.plan(ClipKind::Style, 5, 2, 0, 3.0).unwrap();
    let b = g.plan(ClipKind::Style, 5, 2, 1, 3.0).unwrap();
    let (ClipLabels::Style(la), ClipLabels::Style(lb)) = (&a.labels, &b.labels) else { panic!("style labels") };
    assert_eq!((la.style, la.tempo_bpm, &la.key), (lb.style, lb.tempo_bpm, &lb.key));
    let ra = g.render_plan(&a).unwrap();
    let rb = g.render_plan(&b).unwrap();
    assert_ne!(ra.samples, rb.samples);
}

#[test]
fn emotion_label_function_follows_the_cues() {
    let neutral = EmotionCues {
        mode: Mode::Major,
        tempo_bpm: 115.0,
        loudness: 0.0,
        register: 0.0,
        articulation: 0.0,
        density: 0.0,
        brightness: 0.0,
        dissonance: 0.5,
    };
    let happy = EmotionCues { tempo_bpm: 170.0, register: 0.6, articulation: 0.6, ..neutral };
    let sad = EmotionCues { mode: Mode::Minor, tempo_bpm: 60.0, register: -0.6, articulation: -0.6, ..neutral };
    let (vh, ah) = happy.valence_arousal();
    let (vs, as_) = sad.valence_arousal();
    assert!(vh > 0.4 && ah > 0.3, "major fast high staccato: ({vh}, {ah})");
    assert!(vs < -0.4 && as_ < -0.3, "minor slow low legato: ({vs}, {as_})");
    // Each cue alone moves the labels in its literature direction.
    let (v0, a0) = neutral.valence_arousal();
    let minor = EmotionCues { mode: Mode::Minor, ..neutral }.valence_arousal();
    assert!(minor.0 < v0 - 0.5, "mode dominates valence");
    let fast = EmotionCues { tempo_bpm: 180.0, ..neutral }.valence_arousal();
    assert!(fast.1 > a0 + 0.3 && fast.1 - a0 > fast.0 - v0, "tempo dominates arousal");
    let loud = EmotionCues { loudness: 1.0, ..neutral }.valence_arousal();
    assert!(loud.1 > a0 && loud.0 <= v0, "loud: more arousal, not more valence");
    let dissonant = EmotionCues { dissonance: 1.0, ..neutral }.valence_arousal();
    assert!(dissonant.0 < v0 && dissonant.1 > a0, "dissonance: lower valence, more tension");
    let extreme = EmotionCues {
        mode: Mode::Major,
        tempo_bpm: 400.0,
        loudness: 9.0,
        register: 9.0,
        articulation: 9.0,
        density: 9.0,
        brightness: 9.0,
        dissonance: 0.0,
    };
    let (v, a) = extreme.valence_arousal();
    assert!((-1.0..=1.0).contains(&v) && (-1.0..=1.0).contains(&a));
}

#[test]
fn emotion_clips_have_labels_in_range_consistent_with_their_cues() {
    let g = generator();
    let mut loud_rms = Vec::new();
    for index in 0..6 {
        let clip = g.render(ClipKind::Emotion, 2, index, 3.0).unwrap();
        assert_sane(&clip.samples, 3.0, "emotion");
        let ClipLabels::Emotion(l) = &clip.labels else { panic!("emotion labels") };
        assert!((-1.0..=1.0).contains(&l.valence) && (-1.0..=1.0).contains(&l.arousal));
        assert!((50.0..=180.0).contains(&l.cues.tempo_bpm), "{}", l.cues.tempo_bpm);
        let (v, a) = l.cues.valence_arousal();
        assert!(
            (l.valence - v).abs() < 0.15 && (l.arousal - a).abs() < 0.15,
            "labels are the cue model plus small noise"
        );
        loud_rms.push((l.cues.loudness, rms(&clip.samples)));
    }
    // The loudness cue is audible: the loudest-cue clip is louder than the softest-cue clip.
    loud_rms.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (soft, loud) = (loud_rms[0], loud_rms[loud_rms.len() - 1]);
    if loud.0 - soft.0 > 0.5 {
        assert!(loud.1 > soft.1, "loudness cue {} → rms {}, cue {} → rms {}", soft.0, soft.1, loud.0, loud.1);
    }
}

/// How periodic the onsets are at a tempo: the autocorrelation of an onset-strength envelope (positive flux of
/// log energy of the pre-emphasised signal, 256-sample frames) at the beat period, divided by its largest value
/// minus its largest value at lags off the beat grid (0.6–0.9 and 1.1–1.4 beats), relative to the envelope's
/// variance. Positive: the onsets repeat at that tempo.
fn beat_periodicity(samples: &[f32], rate: u32, bpm: f32) -> f32 {
    let hop = 256;
    let emphasised: Vec<f32> = samples.windows(2).map(|w| w[1] - 0.97 * w[0]).collect();
    let frames: Vec<f32> =
        emphasised.chunks(hop).map(|c| (1.0 + 1000.0 * c.iter().map(|s| s * s).sum::<f32>()).ln()).collect();
    let mut flux: Vec<f32> = frames.windows(2).map(|w| (w[1] - w[0]).max(0.0)).collect();
    let mean = flux.iter().sum::<f32>() / flux.len() as f32;
    flux.iter_mut().for_each(|f| *f -= mean);
    let r = |lag: usize| -> f32 {
        flux.iter().zip(&flux[lag..]).map(|(a, b)| a * b).sum::<f32>() / (flux.len() - lag) as f32
    };
    let beat = 60.0 * rate as f32 / hop as f32 / bpm;
    let at_beat = [-1.0, 0.0, 1.0].iter().map(|d| r((beat + d).round() as usize)).fold(f32::MIN, f32::max);
    let off_grid =
        (60..=90).chain(110..=140).map(|p| r((beat * p as f32 / 100.0).round() as usize)).fold(f32::MIN, f32::max);
    (at_beat - off_grid) / r(0)
}

#[test]
fn style_clips_have_their_tempo_metre_and_are_sane() {
    let g = generator();
    for (i, style) in Style::ALL.into_iter().enumerate() {
        let started = Instant::now();
        let plan = g.plan_style(style, 3, i as u64, 0, 4.0).unwrap();
        let clip = g.render_plan(&plan).unwrap();
        let took = started.elapsed();
        assert_sane(&clip.samples, 4.0, style.name());
        let ClipLabels::Style(l) = &clip.labels else { panic!("style labels") };
        assert_eq!(l.style, style);
        let (lo, hi) = style.tempo_range();
        assert!((lo..=hi).contains(&l.tempo_bpm), "{}: {} outside {lo}–{hi}", style.name(), l.tempo_bpm);
        if style.beats_per_bar() != 0 {
            assert_eq!(l.beats_per_bar, style.beats_per_bar());
        }
        eprintln!("{:>15}: {:6.1} BPM, {} ms to plan and render 4 s", style.name(), l.tempo_bpm, took.as_millis());
    }
}

#[test]
fn onsets_repeat_at_the_labelled_tempo() {
    let g = generator();
    for style in [Style::Electronic, Style::Rock, Style::HipHop, Style::Jive] {
        for index in 0..3 {
            let clip = g.render_plan(&g.plan_style(style, 9, index, 0, 8.0).unwrap()).unwrap();
            let ClipLabels::Style(l) = &clip.labels else { panic!("style labels") };
            let at_label = beat_periodicity(&clip.samples, RATE, l.tempo_bpm);
            let off = beat_periodicity(&clip.samples, RATE, l.tempo_bpm * 1.13);
            eprintln!("{} {index}: {} BPM, periodicity {at_label:.2} (at +13 %: {off:.2})", style.name(), l.tempo_bpm);
            assert!(
                at_label > 0.0 && at_label > off,
                "{} {index}: onsets do not repeat at the labelled {} BPM",
                style.name(),
                l.tempo_bpm
            );
        }
    }
}

#[test]
fn instrument_tags_follow_the_vocabulary_and_hierarchy() {
    let soundfont = soundfont();
    let g = Generator::new(&soundfont, RATE).unwrap().with_unannotated_fraction(0.5);
    let vocabulary = gm::tags();
    let mut seen_unannotated = 0;
    for index in 0..8 {
        let clip = g.render(ClipKind::Instruments, 1, index, 2.0).unwrap();
        assert_sane(&clip.samples, 2.0, "instruments");
        let ClipLabels::Instruments(l) = &clip.labels else { panic!("instrument labels") };
        assert!((1..=4).contains(&l.tags.len()), "{:?}", l.tags);
        assert_eq!(l.tags.len(), l.sources.len(), "one tag per source, no duplicates");
        for tag in &l.tags {
            assert!(vocabulary.contains(&tag.as_str()), "{tag}");
            let family = gm::family(tag).unwrap();
            assert!(l.families.iter().any(|f| f == family), "{tag}'s family {family} missing");
        }
        for family in &l.families {
            assert!(l.tags.iter().any(|t| gm::family(t) == Some(family.as_str())));
        }
        for u in &l.unannotated {
            assert!(!l.tags.contains(u), "{u} is both present and unannotated");
            assert!(vocabulary.contains(&u.as_str()));
        }
        seen_unannotated += l.unannotated.len();
        for source in &l.sources {
            if let Some(p) = source.program {
                assert_eq!(gm::tag_for_program(p), Some(source.tag), "program {p} tags {}", source.tag);
            }
        }
    }
    assert!(seen_unannotated > 0, "a fraction of 0.5 leaves some absent tags unannotated");
    let all = Generator::new(&soundfont, RATE).unwrap();
    let ClipLabels::Instruments(l) = all.render(ClipKind::Instruments, 1, 0, 1.0).unwrap().labels else { panic!() };
    assert!(l.unannotated.is_empty(), "fraction 0 annotates everything");
}

/// A sine note with a decaying envelope, written with hound.
fn write_note(path: &Path, midi: i32, rate: u32) {
    let spec =
        hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let f = 440.0 * 2f32.powf((midi - 69) as f32 / 12.0);
    for i in 0..rate / 2 {
        let t = i as f32 / rate as f32;
        w.write_sample(((std::f32::consts::TAU * f * t).sin() * (-4.0 * t).exp() * 20000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn recorded_notes_are_mixed_in_and_tagged_by_folder() {
    let dir = tempfile::tempdir().unwrap();
    for (folder, prefix) in [("violin", "violin"), ("guitar", "guitar"), ("cello", "cello")] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        for (name, midi) in [("A3", 57), ("C4", 60), ("E4", 64), ("A4", 69), ("C2", 36)] {
            write_note(&dir.path().join(folder).join(format!("{prefix}_{name}_025_forte.wav")), midi, 44100);
        }
    }
    let bank = SampleBank::open(dir.path()).unwrap();
    assert_eq!(bank.tags(), vec!["acoustic_guitar", "violin", "cello"]);
    let g = Generator::new(&soundfont(), RATE).unwrap().with_samples(dir.path()).unwrap();
    let mut recorded = 0;
    for index in 0..16 {
        let plan = g.plan(ClipKind::Instruments, 4, index, 0, 2.0).unwrap();
        let ClipLabels::Instruments(l) = &plan.labels else { panic!() };
        for s in l.sources.iter().filter(|s| s.recorded) {
            recorded += 1;
            assert!(["violin", "acoustic_guitar", "cello"].contains(&s.tag));
            assert!(l.tags.iter().any(|t| t == s.tag));
        }
        if l.sources.iter().any(|s| s.recorded) {
            let clip = g.render_plan(&plan).unwrap();
            assert_sane(&clip.samples, 2.0, "instruments with recordings");
        }
    }
    assert!(recorded > 0, "some sources use the recordings");
    std::fs::create_dir(dir.path().join("kazoo")).unwrap();
    let err = SampleBank::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("kazoo"), "{err}");
}

/// A voice manifest of `speakers` speakers × 2 "utterances" (gliding tones with a voice-like spectrum) and a
/// Hydrogen kit folder with two kits (noise-burst kick, snare and hat).
fn write_voices_and_kits(dir: &Path, speakers: usize) -> (PathBuf, PathBuf) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut csv = String::from("path,group\n");
    for s in 0..speakers {
        for take in 0..2 {
            let path = dir.join(format!("spk{s}_{take}.wav"));
            let mut w = hound::WavWriter::create(&path, spec).unwrap();
            let mut phase = 0f32;
            for i in 0..16000 {
                let t = i as f32 / 16000.0;
                phase += std::f32::consts::TAU * (120.0 + 40.0 * s as f32 + 30.0 * t) / 16000.0;
                let v = (1..6).map(|h| (phase * h as f32).sin() / h as f32).sum::<f32>();
                w.write_sample((v * 8000.0) as i16).unwrap();
            }
            w.finalize().unwrap();
            csv.push_str(&format!("{},speaker{s}\n", path.display()));
        }
    }
    let voices = dir.join("voices.csv");
    std::fs::write(&voices, csv).unwrap();
    let kits = dir.join("kits");
    for kit in ["Kit A", "Kit B"] {
        let folder = kits.join(kit);
        std::fs::create_dir_all(&folder).unwrap();
        let mut xml = String::from("<drumkit_info><instrumentList>");
        for (name, file, hz) in
            [("Kick", "kick.wav", 60.0f32), ("Snare", "snare.wav", 300.0), ("Closed HH", "hh.wav", 5000.0)]
        {
            let mut w = hound::WavWriter::create(folder.join(file), spec).unwrap();
            for i in 0..3000 {
                let t = i as f32 / 16000.0;
                w.write_sample(((std::f32::consts::TAU * hz * t).sin() * (-30.0 * t).exp() * 20000.0) as i16).unwrap();
            }
            w.finalize().unwrap();
            xml.push_str(&format!("<instrument><name>{name}</name><filename>{file}</filename></instrument>"));
        }
        xml.push_str("</instrumentList></drumkit_info>");
        std::fs::write(folder.join("drumkit.xml"), xml).unwrap();
    }
    (voices, kits)
}

#[test]
fn voices_and_kits_join_mixtures_and_held_out_parts_never_meet() {
    let dir = tempfile::tempdir().unwrap();
    let (voices, kits) = write_voices_and_kits(dir.path(), 20);
    let rate = RATE;
    let parts_of = |part: HoldoutPart| {
        let g = Generator::new(&soundfont(), rate)
            .unwrap()
            .with_holdout(Holdout { part, percent: 30 })
            .with_voices(&voices)
            .unwrap()
            .with_drum_kits(&kits)
            .unwrap();
        let mut speakers = std::collections::BTreeSet::new();
        let mut kit_files = std::collections::BTreeSet::new();
        let (mut voiced, mut real_drums) = (0, 0);
        for index in 0..40 {
            let plan = g.plan(ClipKind::Instruments, 3, index, 0, 3.0).unwrap();
            let ClipLabels::Instruments(l) = &plan.labels else { panic!() };
            for part in &plan.parts {
                match &part.sound {
                    PartSound::Voice { files, ratio, .. } => {
                        assert_eq!(part.tag, "voice");
                        assert!(l.tags.iter().any(|t| t == "voice") && l.families.iter().any(|f| f == "voice"));
                        assert!((0.78..1.28).contains(ratio), "within ±4 semitones: {ratio}");
                        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
                        speakers.insert(name.split('_').next().unwrap().to_string());
                        voiced += 1;
                        if voiced <= 2 {
                            let clip = g.render_plan(&plan).unwrap();
                            assert_sane(&clip.samples, 3.0, "mixture with a voice");
                        }
                    }
                    PartSound::Recorded(notes) if part.tag == "drums" => {
                        real_drums += 1;
                        kit_files.extend(notes.iter().map(|n| n.file.parent().unwrap().to_path_buf()));
                    }
                    _ => {}
                }
            }
        }
        assert!(voiced >= 5, "voices join a fair share of mixtures: {voiced} of 40");
        (speakers, kit_files, real_drums)
    };
    let (train_speakers, train_kits, _) = parts_of(HoldoutPart::Train);
    let (test_speakers, test_kits, _) = parts_of(HoldoutPart::Test);
    assert!(!test_speakers.is_empty() && !train_speakers.is_empty());
    assert!(train_speakers.is_disjoint(&test_speakers), "{train_speakers:?} vs {test_speakers:?}");
    assert!(train_kits.is_disjoint(&test_kits), "a kit plays in one part only");
    let (_, _, real_drums) = parts_of(HoldoutPart::All);
    assert!(real_drums > 0, "some grooves play on the real kits");
}

/// Sung-like voices are drawn only when asked for: with a fraction of 0 the plans are those of a generator
/// without the option (bit-identical mixtures), with 1 every voice is slowed 1.5–2.5× and still renders sanely.
#[test]
fn sung_voices_only_when_asked_for() {
    const PINNED: u64 = 18_101_506_652_973_156_517;
    let dir = tempfile::tempdir().unwrap();
    let (voices, _) = write_voices_and_kits(dir.path(), 6);
    let plain = Generator::new(&soundfont(), RATE).unwrap().with_voices(&voices).unwrap();
    let none = Generator::new(&soundfont(), RATE).unwrap().with_voices(&voices).unwrap().with_sung_fraction(0.0);
    let all = Generator::new(&soundfont(), RATE).unwrap().with_voices(&voices).unwrap().with_sung_fraction(1.0);
    let mut sung = 0;
    let mut fingerprint = 0u64;
    for index in 0..24 {
        let (a, b) = (
            plain.plan(ClipKind::Instruments, 5, index, 0, 3.0).unwrap(),
            none.plan(ClipKind::Instruments, 5, index, 0, 3.0).unwrap(),
        );
        assert_eq!(a.parts, b.parts, "a fraction of 0 draws nothing");
        for part in &b.parts {
            if let PartSound::Voice { stretch, .. } = part.sound {
                assert_eq!(stretch, 1.0, "a fraction of 0 keeps every voice spoken");
            }
        }
        // The last draws of a plan (the bus noise's seed) move if anything before them draws once more: pinned
        // to the values the generator gave before the option existed.
        fingerprint = b.polish.noise.map_or(fingerprint, |(_, seed)| fingerprint.rotate_left(5) ^ seed);
        let plan = all.plan(ClipKind::Instruments, 5, index, 0, 3.0).unwrap();
        for part in &plan.parts {
            if let PartSound::Voice { stretch, .. } = part.sound {
                assert!((1.5..2.5).contains(&stretch), "{stretch}");
                sung += 1;
                if sung == 1 {
                    assert_sane(&all.render_plan(&plan).unwrap().samples, 3.0, "sung voice");
                }
            }
        }
    }
    assert!(sung > 0, "some mixtures have a voice");
    assert_eq!(fingerprint, PINNED, "plans without sung voices changed");
}

fn args(kind: ClipKind, out: &Path) -> SynthArgs {
    SynthArgs {
        kind,
        count: 3,
        variants: 1,
        seed: 7,
        seconds: 2.0,
        sample_rate: RATE,
        out: out.to_path_buf(),
        soundfont: Some(soundfont()),
        samples: None,
        unannotated_fraction: 0.0,
        voices: None,
        drum_kits: None,
        holdout: HoldoutPart::All,
        holdout_percent: 20,
        sung_fraction: 0.0,
        float: false,
        overwrite: false,
        jobs: Some(2),
    }
}

fn read_manifest(dir: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(dir.join("manifest.csv")).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    (header, reader.records().map(Result::unwrap).collect())
}

#[test]
fn cli_writes_clips_manifest_and_vocabulary_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    // Emotion.
    let out = dir.path().join("emotion");
    run(&args(ClipKind::Emotion, &out)).unwrap();
    let (h, rows) = read_manifest(&out);
    assert_eq!(&h[..4], ["path", "group", "valence", "arousal"]);
    assert_eq!(h, header(ClipKind::Emotion));
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(&row[0], format!("emotion-{i:05}.wav"));
        assert_eq!(&row[1], format!("emotion-{i:05}"));
        let v: f32 = row[2].parse().unwrap();
        let a: f32 = row[3].parse().unwrap();
        assert!((-1.0..=1.0).contains(&v) && (-1.0..=1.0).contains(&a));
        let reader = hound::WavReader::open(out.join(&row[0])).unwrap();
        assert_eq!(reader.spec().channels, 1);
        assert_eq!(reader.spec().sample_rate, RATE);
        assert_eq!(reader.len(), 2 * RATE);
    }
    let first = std::fs::read(out.join("emotion-00000.wav")).unwrap();
    // The WAV holds the rendered clip, 16-bit.
    let clip = generator().render(ClipKind::Emotion, 7, 0, 2.0).unwrap();
    let written: Vec<i16> =
        hound::WavReader::open(out.join("emotion-00000.wav")).unwrap().samples().map(Result::unwrap).collect();
    let expected: Vec<i16> = clip.samples.iter().map(|s| (s * 32767.0).round() as i16).collect();
    assert_eq!(written, expected);

    // Resume: a larger count keeps the existing files and extends the manifest; other settings are refused.
    std::fs::write(out.join("emotion-00001.wav"), b"kept").unwrap();
    run(&SynthArgs { count: 4, ..args(ClipKind::Emotion, &out) }).unwrap();
    assert_eq!(std::fs::read(out.join("emotion-00001.wav")).unwrap(), b"kept");
    assert_eq!(std::fs::read(out.join("emotion-00000.wav")).unwrap(), first);
    assert_eq!(read_manifest(&out).1.len(), 4);
    let refused = run(&SynthArgs { seed: 8, ..args(ClipKind::Emotion, &out) }).unwrap_err().to_string();
    assert!(refused.contains("--overwrite"), "{refused}");
    run(&SynthArgs { overwrite: true, ..args(ClipKind::Emotion, &out) }).unwrap();
    assert_ne!(std::fs::read(out.join("emotion-00001.wav")).unwrap(), b"kept");
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".partial")));

    // Style, with variants sharing a group.
    let out = dir.path().join("style");
    run(&SynthArgs { variants: 2, count: 2, ..args(ClipKind::Style, &out) }).unwrap();
    let (h, rows) = read_manifest(&out);
    assert_eq!(&h[..3], ["path", "group", "label"]);
    let classes: Vec<String> =
        std::fs::read_to_string(out.join("classes.txt")).unwrap().lines().map(String::from).collect();
    assert_eq!(classes.len(), Style::ALL.len());
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][0], "style-00000-v00.wav");
    assert_eq!(&rows[1][0], "style-00000-v01.wav");
    assert_eq!(rows[0][1], rows[1][1]);
    assert_eq!(rows[0][2], rows[1][2], "variants keep the style");
    for row in &rows {
        assert!(classes.contains(&row[2].to_string()), "{}", &row[2]);
        assert!(out.join(&row[0]).is_file());
    }

    // Instruments.
    let out = dir.path().join("instruments");
    run(&SynthArgs { unannotated_fraction: 0.3, float: true, ..args(ClipKind::Instruments, &out) }).unwrap();
    let (h, rows) = read_manifest(&out);
    assert_eq!(&h[..4], ["path", "group", "tags", "unannotated"]);
    let tags: Vec<String> = std::fs::read_to_string(out.join("tags.txt")).unwrap().lines().map(String::from).collect();
    assert_eq!(tags, gm::tags());
    let hierarchy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("hierarchy.json")).unwrap()).unwrap();
    let members: Vec<&str> = hierarchy
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            assert!(f["name"].is_string());
            f["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap())
        })
        .collect();
    assert_eq!(members, gm::tags(), "every tag in exactly one family");
    for row in &rows {
        let present: Vec<&str> = row[2].split(';').collect();
        let unannotated: Vec<&str> = row[3].split(';').filter(|s| !s.is_empty()).collect();
        assert!(present.iter().all(|t| tags.iter().any(|x| x == t)));
        assert!(unannotated.iter().all(|u| !present.contains(u)));
        let reader = hound::WavReader::open(out.join(&row[0])).unwrap();
        assert_eq!(reader.spec().sample_format, hound::SampleFormat::Float);
    }

    // Wrong options are refused clearly.
    let err = run(&SynthArgs { samples: Some(dir.path().to_path_buf()), ..args(ClipKind::Style, &out) }).unwrap_err();
    assert!(err.to_string().contains("instruments only"), "{err}");
    let err =
        run(&SynthArgs { soundfont: Some(dir.path().join("none.sf2")), ..args(ClipKind::Style, &out) }).unwrap_err();
    assert!(err.to_string().contains("cargo xtask soundfont"), "{err}");
}

#[test]
fn render_speed() {
    let g = generator();
    let started = Instant::now();
    let mut seconds = 0.0;
    for (i, kind) in [ClipKind::Emotion, ClipKind::Style, ClipKind::Instruments].into_iter().enumerate() {
        for index in 0..3 {
            g.render(kind, 100 + i as u64, index, 4.0).unwrap();
            seconds += 4.0;
        }
    }
    let took = started.elapsed().as_secs_f64();
    eprintln!("rendered {seconds} s of audio in {:.0} ms ({:.0}× real time)", took * 1000.0, seconds / took);
}
