//! Every dataset loader on tiny fixtures written here in the published layouts (0.1 s sine waves), never on
//! `../shared`: items, labels, groups, class order, masks, and the errors bad input must produce.

use std::path::Path;

use earmark_core::frontend::FrontendConfig;
use earmark_core::manifest::LabelGroup;
use earmark_training::data::speech::FOUR_CLASS_SPEECH;
use earmark_training::data::{DataError, Dataset, Target, TargetKind, emodb, folder, manifest_csv, pmemo, ravdess};
use earmark_training::feature_cache::FeatureCache;

/// A 0.1 s 440 Hz sine at 16 kHz, creating parent folders.
fn write_wav(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..1_600 {
        let t = n as f32 / 16_000.0;
        writer.write_sample(((t * 440.0 * std::f32::consts::TAU).sin() * 8_000.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn file_names(data: &Dataset) -> Vec<String> {
    data.items.iter().map(|i| i.path.file_name().unwrap().to_string_lossy().into_owned()).collect()
}

fn classes(data: &Dataset) -> Vec<&str> {
    data.classes.iter().map(String::as_str).collect()
}

#[test]
fn folder_per_class_sorts_classes_and_groups_by_file_stem() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("genres");
    for file in ["rock/rock.00001.wav", "blues/blues.00000.wav", "blues/blues.00001.wav", "jazz/jazz.00000.wav"] {
        write_wav(&root.join(file));
    }
    write(&root.join("input.mf"), "GTZAN ships playlist files at the root\n");
    write_wav(&root.join(".hidden/x.wav"));
    std::fs::create_dir_all(root.join("empty")).unwrap();

    let data = folder::load(&root, "gtzan").unwrap();
    assert_eq!(data.name, "gtzan");
    assert_eq!(data.kind, TargetKind::SingleLabel);
    assert_eq!(classes(&data), ["blues", "jazz", "rock"]);
    assert_eq!(file_names(&data), ["blues.00000.wav", "blues.00001.wav", "jazz.00000.wav", "rock.00001.wav"]);
    let targets: Vec<Target> = data.items.iter().map(|i| i.target.clone()).collect();
    assert_eq!(targets, [Target::Class(0), Target::Class(0), Target::Class(1), Target::Class(2)]);
    assert_eq!(data.groups(), ["blues.00000", "blues.00001", "jazz.00000", "rock.00001"]);
    assert_eq!(data.class_counts(), [2, 1, 1]);

    // `<class>/<artist>/<file>` can group by artist; an artist under two classes is one group.
    let nested = dir.path().join("nested");
    for file in ["Waltz/ann/1.wav", "Waltz/ann/2.wav", "Tango/ann/3.wav", "Tango/bob/4.wav", "Tango/5.wav"] {
        write_wav(&nested.join(file));
    }
    let by_artist = folder::load_with(&nested, "ballroom", folder::GroupBy::Subfolder).unwrap();
    assert_eq!(classes(&by_artist), ["Tango", "Waltz"]);
    assert_eq!(by_artist.groups(), ["5", "ann", "bob"]);

    let empty = folder::load(&dir.path().join("genres/empty"), "none").unwrap_err();
    assert!(matches!(empty, DataError::Empty { .. }), "{empty}");
    assert!(folder::load(&dir.path().join("absent"), "none").is_err());
}

#[test]
fn pmemo_reads_static_annotations_and_any_audio_extension() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let csv = root.join("annotations/static_annotations.csv");
    write(&csv, "musicId,Arousal(mean),Valence(mean)\n1,0.4,0.575\n4,0.2625,0.15\n");
    write_wav(&root.join("chorus/1.wav"));
    write_wav(&root.join("chorus/4.wav"));
    write_wav(&root.join("chorus/99.wav")); // audio without annotation is ignored

    let data = pmemo::load(root).unwrap();
    assert_eq!(data.kind, TargetKind::ValenceArousal);
    assert_eq!(classes(&data), ["valence", "arousal"]);
    assert_eq!(data.groups(), ["1", "4"]);
    assert_eq!(data.items[0].target, Target::ValenceArousal { valence: 0.575, arousal: 0.4 });
    assert_eq!(data.items[1].target, Target::ValenceArousal { valence: 0.15, arousal: 0.2625 });
    assert_eq!(data.items[1].path, root.join("chorus/4.wav"));
    assert!(data.class_counts().is_empty());

    // Annotated songs without audio: one error with the count, not a silent skip.
    write(&csv, "musicId,Arousal(mean),Valence(mean)\n1,0.4,0.5\n7,0.2,0.1\n8,0.3,0.3\n");
    let missing = pmemo::load(root).unwrap_err();
    assert!(matches!(missing, DataError::MissingAudio { missing: 2, annotated: 3, .. }), "{missing}");
    assert!(missing.to_string().contains("7.mp3"), "{missing}");

    write(&csv, "musicId,Arousal(mean),Valence(mean)\n1,0.4,0.5\n4,1.7,0.1\n");
    let range = pmemo::load(root).unwrap_err();
    assert!(matches!(range, DataError::BadValue { line: Some(3), .. }), "{range}");

    write(&csv, "musicId,Arousal(mean)\n1,0.4\n");
    let column = pmemo::load(root).unwrap_err();
    assert!(matches!(&column, DataError::MissingColumn { column, .. } if column == "valence(mean)"), "{column}");
}

#[test]
fn manifest_single_label_uses_classes_txt_order_and_defaults_groups_to_paths() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("set");
    write_wav(&root.join("audio/a.wav"));
    write_wav(&root.join("audio/b.wav"));
    let absolute = dir.path().join("elsewhere/c.wav");
    write_wav(&absolute);
    let csv = root.join("manifest.csv");
    write(
        &csv,
        &format!(
            "path,label,group,notes\naudio/a.wav,sad,tr1,x\naudio/b.wav, happy ,,y\n{},sad,tr2,z\n",
            absolute.display()
        ),
    );

    // Without classes.txt: sorted labels.
    let data = manifest_csv::load(&csv).unwrap();
    assert_eq!(data.name, "set");
    assert_eq!(classes(&data), ["happy", "sad"]);
    assert_eq!(data.items[0].path, root.join("audio/a.wav"));
    assert_eq!(data.items[2].path, absolute);
    let groups: Vec<&str> = data.items.iter().map(|i| i.group.as_str()).collect();
    assert_eq!(groups, ["tr1", "audio/b.wav", "tr2"]);

    // classes.txt defines the order and may list classes without items.
    write(&root.join("classes.txt"), "# output order\nsad\nhappy\n\nangry\n");
    let data = manifest_csv::load(&csv).unwrap();
    assert_eq!(classes(&data), ["sad", "happy", "angry"]);
    assert_eq!(data.class_counts(), [2, 1, 0]);
    assert_eq!(data.items[1].target, Target::Class(1));

    write(&root.join("classes.txt"), "sad\nangry\n");
    let unknown = manifest_csv::load(&csv).unwrap_err();
    assert!(matches!(&unknown, DataError::UnknownLabel { line: Some(3), label, .. } if label == "happy"), "{unknown}");
    assert!(unknown.to_string().contains("classes.txt"), "{unknown}");
    std::fs::remove_file(root.join("classes.txt")).unwrap();

    write(&csv, "file,label\naudio/a.wav,sad\n");
    let column = manifest_csv::load(&csv).unwrap_err();
    assert!(matches!(&column, DataError::MissingColumn { column, .. } if column == "path"), "{column}");
    assert!(column.to_string().contains("file, label"), "{column}");

    write(&csv, "path,label\naudio/a.wav,sad\naudio/gone.wav,sad\n");
    let missing = manifest_csv::load(&csv).unwrap_err();
    assert!(matches!(missing, DataError::MissingAudio { missing: 1, annotated: 2, .. }), "{missing}");

    write(&csv, "path,group\naudio/a.wav,x\n");
    assert!(matches!(manifest_csv::load(&csv).unwrap_err(), DataError::MissingColumn { .. }));
    write(&csv, "path,label,tags\naudio/a.wav,sad,violin\n");
    assert!(matches!(manifest_csv::load(&csv).unwrap_err(), DataError::BadValue { .. }));
    write(&csv, "path,label\naudio/a.wav,sad,extra\n");
    assert!(matches!(manifest_csv::load(&csv).unwrap_err(), DataError::Csv { line: Some(2), .. }));
}

#[test]
fn manifest_tags_mask_unannotated_tags_and_read_the_hierarchy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for name in ["1.wav", "2.wav", "3.wav"] {
        write_wav(&root.join(name));
    }
    let csv = root.join("tags.csv");
    write(&csv, "path,group,tags,unannotated\n1.wav,p1,violin;cello,\n2.wav,p1,flute,violin ; cello\n3.wav,p2,,\n");
    write(&root.join("hierarchy.json"), r#"[{"name": "strings", "members": ["violin", "cello"]}]"#);

    // Vocabulary: sorted union of both columns.
    let data = manifest_csv::load(&csv).unwrap();
    assert_eq!(data.kind, TargetKind::MultiLabel);
    assert_eq!(classes(&data), ["cello", "flute", "violin"]);
    assert_eq!(
        data.items[1].target,
        Target::Tags { present: vec![false, true, false], annotated: vec![false, true, false] }
    );
    assert_eq!(data.items[2].target, Target::Tags { present: vec![false; 3], annotated: vec![true; 3] });
    assert_eq!(data.class_counts(), [1, 1, 1]);
    assert_eq!(data.annotated_counts(), [2, 3, 2]);
    let strings = LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] };
    assert_eq!(data.hierarchy, Some(vec![strings]));

    // tags.txt fixes the order; filtering keeps masks aligned and trims the hierarchy.
    write(&root.join("tags.txt"), "violin\ncello\nflute\ntrumpet\n");
    let data = manifest_csv::load(&csv).unwrap();
    assert_eq!(classes(&data), ["violin", "cello", "flute", "trumpet"]);
    let only = data.filter_classes(&["flute", "violin"]).unwrap();
    assert_eq!(only.items[1].target, Target::Tags { present: vec![true, false], annotated: vec![true, false] });
    assert_eq!(only.hierarchy.as_ref().unwrap()[0].members, ["violin"]);
    assert_eq!(only.len(), 3);

    // The manifest writer round-trips.
    let copy = root.join("copy/manifest.csv");
    manifest_csv::write(&data, &copy).unwrap();
    let reread = manifest_csv::load(&copy).unwrap();
    assert_eq!(reread.classes, data.classes);
    assert_eq!(reread.hierarchy, data.hierarchy);
    assert_eq!(
        reread.items.iter().map(|i| &i.target).collect::<Vec<_>>(),
        data.items.iter().map(|i| &i.target).collect::<Vec<_>>()
    );
    assert_eq!(reread.groups(), data.groups());

    write(&csv, "path,tags,unannotated\n1.wav,violin,violin\n");
    assert!(matches!(manifest_csv::load(&csv).unwrap_err(), DataError::BadValue { line: Some(2), .. }));
    write(&csv, "path,tags\n1.wav,oboe\n");
    assert!(matches!(manifest_csv::load(&csv).unwrap_err(), DataError::UnknownLabel { what: "tag", .. }));
    write(&csv, "path,tags\n1.wav,violin\n");
    write(&root.join("hierarchy.json"), r#"[{"name": "brass", "members": ["tuba"]}]"#);
    let hierarchy = manifest_csv::load(&csv).unwrap_err();
    assert!(hierarchy.to_string().contains("tuba"), "{hierarchy}");
}

#[test]
fn manifest_valence_arousal_parses_floats() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_wav(&root.join("x.wav"));
    write_wav(&root.join("y.wav"));
    let csv = root.join("va.csv");
    write(&csv, "path,valence,arousal,group\nx.wav,-0.5,0.25,s\ny.wav,1e-1,3,s\n");
    let data = manifest_csv::load(&csv).unwrap();
    assert_eq!(data.kind, TargetKind::ValenceArousal);
    assert_eq!(data.items[0].target, Target::ValenceArousal { valence: -0.5, arousal: 0.25 });
    assert_eq!(data.items[1].target, Target::ValenceArousal { valence: 0.1, arousal: 3.0 });
    assert_eq!(data.groups(), ["s"]);

    write(&csv, "path,valence,arousal\nx.wav,0.1,0.2\ny.wav,high,0.2\n");
    let bad = manifest_csv::load(&csv).unwrap_err();
    assert!(matches!(bad, DataError::BadValue { line: Some(3), .. }), "{bad}");
    assert!(bad.to_string().contains("`high`"), "{bad}");
    write(&csv, "path,valence\nx.wav,0.1\n");
    let column = manifest_csv::load(&csv).unwrap_err();
    assert!(matches!(&column, DataError::MissingColumn { column, .. } if column == "arousal"), "{column}");
}

/// A users' set labelled by Russell quadrant reads as high (1) / low (0) valence and arousal.
#[test]
fn manifest_quadrants_read_as_high_and_low_valence_and_arousal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_wav(&root.join("x.wav"));
    write_wav(&root.join("y.wav"));
    let csv = root.join("q.csv");
    write(&csv, "path,quadrant,group\nx.wav,Q2,a\ny.wav,4,b\n");
    let data = manifest_csv::load(&csv).unwrap();
    assert_eq!(data.kind, TargetKind::ValenceArousal);
    assert_eq!(data.items[0].target, Target::ValenceArousal { valence: 0.0, arousal: 1.0 });
    assert_eq!(data.items[1].target, Target::ValenceArousal { valence: 1.0, arousal: 0.0 });
    write(&csv, "path,quadrant\nx.wav,Q5\n");
    let bad = manifest_csv::load(&csv).unwrap_err();
    assert!(matches!(bad, DataError::BadValue { line: Some(2), .. }) && bad.to_string().contains("Q5"), "{bad}");
    write(&csv, "path,quadrant,valence,arousal\nx.wav,Q1,1,1\n");
    assert!(manifest_csv::load(&csv).unwrap_err().to_string().contains("target columns"));
}

#[test]
fn emodb_labels_come_from_file_names_and_labels_csv_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("emodb");
    for name in ["03a01Fa.wav", "03a01Wa.flac", "08b02Nc.wav", "10a05Ta.wav", "10a07Wb.wav"] {
        write_wav(&root.join(name));
    }
    write(&root.join("README.txt"), "ignored\n");

    let data = emodb::load(&root).unwrap();
    assert_eq!(data.name, "emodb");
    // Canonical order, restricted to the emotions present.
    assert_eq!(classes(&data), ["neutral", "happiness", "sadness", "anger"]);
    assert_eq!(file_names(&data), ["03a01Fa.wav", "03a01Wa.flac", "08b02Nc.wav", "10a05Ta.wav", "10a07Wb.wav"]);
    let labels: Vec<usize> = data.items.iter().map(|i| i.target.class().unwrap()).collect();
    assert_eq!(labels, [1, 3, 0, 2, 3]);
    assert_eq!(data.groups(), ["03", "08", "10"]);

    let labels_csv = root.join("labels.csv");
    write(&labels_csv, "file,speaker,text,emotion\n03a01Fa.wav,03,a01,happiness\n10a05Ta.wav,10,a05,sad\n");
    assert_eq!(emodb::load(&root).unwrap(), data);
    write(&labels_csv, "file,speaker,text,emotion\n03a01Fa.wav,03,a01,happiness\n10a05Ta.wav,10,a05,anger\n");
    let mismatch = emodb::load(&root).unwrap_err();
    assert!(matches!(mismatch, DataError::BadValue { line: Some(3), .. }), "{mismatch}");
    write(&labels_csv, "file,speaker,text,emotion\n03a09Fa.wav,03,a09,happiness\n");
    assert!(matches!(emodb::load(&root).unwrap_err(), DataError::MissingAudio { missing: 1, .. }));
    write(&labels_csv, "file,emotion\n03a01Fa.wav,happiness\n");
    assert!(matches!(emodb::load(&root).unwrap_err(), DataError::MissingColumn { .. }));
    std::fs::remove_file(&labels_csv).unwrap();

    write_wav(&root.join("03a01Xa.wav"));
    let bad = emodb::load(&root).unwrap_err();
    assert!(matches!(&bad, DataError::BadFileName { path, .. } if path.ends_with("03a01Xa.wav")), "{bad}");
    assert!(bad.to_string().contains("03a01Fa"), "the message shows the expected pattern: {bad}");
}

#[test]
fn ravdess_maps_emotions_to_the_canonical_vocabulary_and_groups_by_actor() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ravdess");
    for name in [
        "Actor_01/03-01-03-01-01-01-01.wav",
        "Actor_01/03-01-01-01-02-01-01.wav",
        "Actor_02/03-01-05-02-01-02-02.flac",
        "Actor_02/03-01-08-01-01-01-02.wav",
        "Actor_12/03-01-02-01-01-01-12.wav",
    ] {
        write_wav(&root.join(name));
    }
    let data = ravdess::load(&root).unwrap();
    assert_eq!(data.name, "ravdess");
    assert_eq!(classes(&data), ["neutral", "calm", "happiness", "anger", "surprise"]);
    assert_eq!(data.groups(), ["01", "02", "12"]);
    let by_name = |name: &str| data.items.iter().find(|i| i.path.ends_with(name)).unwrap();
    assert_eq!(by_name("03-01-03-01-01-01-01.wav").target, Target::Class(2));
    assert_eq!(by_name("03-01-05-02-01-02-02.flac").group, "02");
    assert_eq!(
        ravdess::parse_name(Path::new("03-01-05-02-01-02-02.flac")).unwrap().intensity,
        2,
        "strong intensity is kept in the parsed name"
    );

    let song = root.join("Actor_01/03-02-03-01-01-01-01.wav");
    write_wav(&song);
    let err = ravdess::load(&root).unwrap_err();
    assert!(matches!(&err, DataError::BadFileName { path, .. } if *path == song), "{err}");
    assert!(err.to_string().contains("vocal channel 02"), "{err}");
    std::fs::remove_file(&song).unwrap();

    let moved = root.join("Actor_01/03-01-04-01-01-01-05.wav");
    write_wav(&moved);
    assert!(ravdess::load(&root).unwrap_err().to_string().contains("Actor_01"));
    std::fs::remove_file(&moved).unwrap();

    write_wav(&root.join("Actor_01/03-01-09-01-01-01-01.wav"));
    assert!(ravdess::load(&root).unwrap_err().to_string().contains("emotion 09"));
}

#[test]
fn speech_sets_merge_with_separate_speakers_and_filter_to_four_classes() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["emodb/03a01Fa.wav", "emodb/03a01La.wav", "emodb/08a01Ta.wav"] {
        write_wav(&dir.path().join(name));
    }
    for name in ["ravdess/Actor_03/03-01-02-01-01-01-03.wav", "ravdess/Actor_03/03-01-05-01-01-01-03.wav"] {
        write_wav(&dir.path().join(name));
    }
    let emo = emodb::load(&dir.path().join("emodb")).unwrap();
    let rav = ravdess::load(&dir.path().join("ravdess")).unwrap();
    let speech = earmark_training::data::speech::merge("speech", &[emo, rav]).unwrap();
    assert_eq!(classes(&speech), ["calm", "happiness", "sadness", "anger", "boredom"]);
    // Speaker 03 of EmoDB is not actor 03 of RAVDESS.
    assert_eq!(speech.groups(), ["emodb:03", "emodb:08", "ravdess:03"]);
    let anger = speech.items.iter().find(|i| i.path.ends_with("03-01-05-01-01-01-03.wav")).unwrap();
    assert_eq!(anger.target, Target::Class(3));

    let four = speech.filter_classes(&FOUR_CLASS_SPEECH[1..]).unwrap();
    assert_eq!(classes(&four), ["anger", "happiness", "sadness"]);
    assert_eq!(four.len(), 3);
    assert_eq!(four.class_counts(), [1, 1, 1]);
    let unknown = speech.filter_classes(&["neutral"]).unwrap_err();
    assert!(unknown.to_string().contains("calm, happiness"), "{unknown}");

    let subset = speech.subset(&[4, 0]);
    assert_eq!(subset.items, [speech.items[4].clone(), speech.items[0].clone()]);
    assert_eq!(subset.classes, speech.classes);
}

#[test]
fn features_skip_and_report_unreadable_audio() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("genres");
    write_wav(&root.join("pop/ok.wav"));
    write(&root.join("pop/broken.wav"), "RIFF but nothing else");
    let data = folder::load(&root, "gtzan").unwrap();
    let mut cache = FeatureCache::open(&dir.path().join("cache"), &FrontendConfig::default()).unwrap();
    let features = data.features(&mut cache);
    assert_eq!(features.features.len(), 1);
    assert_eq!(features.skipped.len(), 1);
    let ok = features.features[0].0;
    assert_eq!(data.items[ok].path, root.join("pop/ok.wav"));
    assert_eq!(features.skipped[0].path, root.join("pop/broken.wav"));
    assert_eq!(features.features[0].1.ncols(), FrontendConfig::default().n_mels);
}

/// SAVEE joins the other corpora; leave-one-corpus-out tests each corpus whole and never trains on it.
#[test]
fn savee_loads_and_leave_one_corpus_out_holds_each_corpus_out() {
    use earmark_training::data::savee;
    use earmark_training::data::splits::leave_one_corpus_out_folds;
    let dir = tempfile::tempdir().unwrap();
    for name in ["emodb/03a01Fa.wav", "emodb/08a01Ta.wav", "emodb/09a01Wa.wav"] {
        write_wav(&dir.path().join(name));
    }
    for name in ["ravdess/Actor_03/03-01-05-01-01-01-03.wav", "ravdess/Actor_04/03-01-01-01-01-01-04.wav"] {
        write_wav(&dir.path().join(name));
    }
    for name in ["savee/DC_a01.flac", "savee/DC_sa02.flac", "savee/JE_h01.wav", "savee/KL_n30.wav"] {
        write_wav(&dir.path().join(name));
    }
    let sav = savee::load(&dir.path().join("savee")).unwrap();
    assert_eq!(classes(&sav), ["neutral", "happiness", "sadness", "anger"]);
    assert_eq!(sav.groups(), ["DC", "JE", "KL"]);
    std::fs::write(dir.path().join("savee/DC_zz01.wav"), b"").unwrap();
    assert!(savee::load(&dir.path().join("savee")).unwrap_err().to_string().contains("DC_zz01"));
    std::fs::remove_file(dir.path().join("savee/DC_zz01.wav")).unwrap();

    let parts =
        [emodb::load(&dir.path().join("emodb")).unwrap(), ravdess::load(&dir.path().join("ravdess")).unwrap(), sav];
    let speech = earmark_training::data::speech::merge("speech", &parts).unwrap();
    let folds = leave_one_corpus_out_folds(&speech, 1).unwrap();
    assert_eq!(folds.len(), 3);
    for fold in &folds {
        let corpus = |i: &usize| speech.items[*i].group.split(':').next().unwrap().to_string();
        let tested: std::collections::BTreeSet<String> = fold.test.iter().map(corpus).collect();
        assert_eq!(tested.len(), 1, "one corpus tested whole");
        assert!(fold.train.iter().chain(&fold.validation).all(|i| !tested.contains(&corpus(i))));
        assert!(!fold.validation.is_empty() && !fold.train.is_empty());
        fold.check_disjoint_groups(&speech).unwrap();
    }
    let all: usize = folds.iter().map(|f| f.test.len()).sum();
    assert_eq!(all, speech.len(), "every utterance is tested exactly once");
    assert!(leave_one_corpus_out_folds(&parts[0], 1).is_err(), "one corpus alone cannot be left out");
}
