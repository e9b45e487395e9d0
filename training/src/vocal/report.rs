//! The results table (the paper's Table 2 for our data, per fold and mean) and the shipped model's REPORT.md.

use std::fmt::Write as _;
use std::path::Path;

use super::darts::genotype::Genotype;
use super::darts::search::SearchOutcome;
use super::data::Balance;
use super::frames::RecurrentCell;
use super::input::Preparation;
use super::pipeline::{AlteredCheck, FoldOutcome, PipelineConfig, Stream};
use crate::metrics::Confusion;
use crate::report::{Align, Table, percent as pct, percent_pm_of};

/// Per-fold and mean UA / WA of each stream and the fusion, per-class recall and the length check of the
/// `shipped` stream, then each fold's confusion matrices.
pub fn results_markdown(outcomes: &[FoldOutcome], names: &[String], shipped: Stream) -> String {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut table = Table::new([
        "fold",
        "test speakers",
        "utterances (train/val/test)",
        "UA spectrogram",
        "UA frames",
        "UA fusion",
        "WA spectrogram",
        "WA frames",
        "WA fusion",
        "cell (val loss)",
    ])
    .align(3..9, Align::Right);
    let figures = |o: &FoldOutcome| {
        [&o.spectrogram, &o.frames, &o.fusion]
            .map(|c| c.unweighted_accuracy())
            .into_iter()
            .chain([&o.spectrogram, &o.frames, &o.fusion].map(|c| c.accuracy()))
            .collect::<Vec<f64>>()
    };
    for (k, o) in outcomes.iter().enumerate() {
        let cells: Vec<String> = o.cell_losses.iter().map(|(c, l)| format!("{} {l:.3}", c.label())).collect();
        let sizes = format!("{}/{}/{}", o.sizes[0], o.sizes[1], o.sizes[2]);
        table.row(
            [(k + 1).to_string(), o.test_speakers.join(" "), sizes]
                .into_iter()
                .chain(figures(o).into_iter().map(pct))
                .chain([format!("**{}** ({})", o.cell.label(), cells.join(", "))]),
        );
    }
    let per_fold: Vec<Vec<f64>> = outcomes.iter().map(figures).collect();
    let means = (0..6).map(|i| percent_pm_of(&per_fold.iter().map(|f| f[i]).collect::<Vec<_>>()));
    table.row(["mean ± sd".to_string(), String::new(), String::new()].into_iter().chain(means));
    let mut s = table.markdown();
    s.push_str(&members_markdown(outcomes));
    s.push_str(&recall_markdown(outcomes, names, shipped));
    s.push_str(&length_markdown(outcomes));
    s.push_str(&room_markdown(outcomes));
    for (k, o) in outcomes.iter().enumerate() {
        for (what, c) in [("spectrogram", &o.spectrogram), ("frames", &o.frames), ("fusion", &o.fusion)] {
            let _ = write!(
                s,
                "\nFold {} — {what} (test; rows: truth, columns: prediction)\n\n{}",
                k + 1,
                c.markdown(&refs)
            );
        }
    }
    for stream in [shipped, Stream::Fusion] {
        let mut total = Confusion::new(names.len());
        outcomes.iter().for_each(|o| total.add(o.test(stream)));
        let _ = write!(s, "\nAll folds — {} (test)\n\n{}", stream.label(), total.markdown(&refs));
        if shipped == Stream::Fusion {
            break;
        }
    }
    s
}

/// When the frame stream averages several members: each member's UA alone per fold, their mean, and the
/// average's (the `UA frames` column above), so what averaging gains over one training is read off directly
/// (empty for a one-stream run).
pub fn members_markdown(outcomes: &[FoldOutcome]) -> String {
    let members = outcomes.iter().map(|o| o.frame_members.len()).max().unwrap_or(0);
    if members < 2 {
        return String::new();
    }
    let headings = std::iter::once("fold".to_string())
        .chain((1..=members).map(|m| format!("member {m}")))
        .chain(["members' mean".to_string(), "average of members".to_string()]);
    let mut table = Table::new(headings).align(1..members + 3, Align::Right);
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); members + 2];
    for (k, o) in outcomes.iter().enumerate() {
        let alone: Vec<f64> = o.frame_members.iter().map(Confusion::unweighted_accuracy).collect();
        let mean = alone.iter().sum::<f64>() / alone.len().max(1) as f64;
        let row: Vec<f64> = alone.into_iter().chain([mean, o.frames.unweighted_accuracy()]).collect();
        row.iter().zip(columns.iter_mut()).for_each(|(v, c)| c.push(*v));
        table.row(std::iter::once((k + 1).to_string()).chain(row.into_iter().map(pct)));
    }
    table.row(std::iter::once("mean ± sd".to_string()).chain(columns.iter().map(|c| percent_pm_of(c))));
    format!("\nFrame stream members alone (UA, test)\n\n{}", table.markdown())
}

/// Each class's recall under `stream`, per fold, with the fold's weakest class: a model that answers "sadness"
/// to every voice of a new corpus can still post a fair UA on the other classes' behalf.
pub fn recall_markdown(outcomes: &[FoldOutcome], names: &[String], stream: Stream) -> String {
    let headings = std::iter::once("fold").chain(names.iter().map(String::as_str)).chain(["lowest"]);
    let mut table = Table::new(headings).align(1..names.len() + 2, Align::Right);
    for (k, o) in outcomes.iter().enumerate() {
        let recalls = o.test(stream).recall_per_class();
        let cells = recalls.iter().map(|r| r.map_or_else(|| "–".into(), pct));
        let lowest = recalls.iter().flatten().copied().fold(f64::INFINITY, f64::min);
        table.row(std::iter::once((k + 1).to_string()).chain(cells).chain([pct(lowest)]));
    }
    format!("\nRecall per class ({}, test)\n\n{}", stream.label(), table.markdown())
}

/// The length check per fold and stream: UA on whole takes and on their first 1.5 s, and how often the two
/// agree (empty when no fold ran it).
pub fn length_markdown(outcomes: &[FoldOutcome]) -> String {
    let seconds = super::pipeline::SHORT_TAKE_SECONDS;
    checks_markdown(
        outcomes,
        |o| &o.length,
        &format!(
            "Length (test): UA on whole takes / on their first {seconds} s (prepared as the plugin would a take that \
             short) / share of takes read as the same class"
        ),
    )
}

/// The room check per fold and stream (`--test-rooms`): UA on the takes as recorded and re-recorded in a room of
/// each test speaker's own, and how often the two agree (empty when no fold ran it).
pub fn room_markdown(outcomes: &[FoldOutcome]) -> String {
    checks_markdown(
        outcomes,
        |o| &o.room,
        "Room (test): UA on the takes as recorded / re-recorded through another microphone, room and noise (one \
         per speaker, the speaker estimate formed there too) / share of takes read as the same class",
    )
}

/// One altered-take check per fold and stream as a table under `caption` (empty when no fold ran it).
fn checks_markdown(outcomes: &[FoldOutcome], checks: fn(&FoldOutcome) -> &[AlteredCheck], caption: &str) -> String {
    if outcomes.iter().all(|o| checks(o).is_empty()) {
        return String::new();
    }
    let mut table = Table::new(["fold", "spectrogram", "frames", "fusion"]);
    for (k, o) in outcomes.iter().enumerate() {
        let cells: Vec<String> = Stream::ALL
            .iter()
            .map(|&stream| match checks(o).iter().find(|c| c.stream == stream) {
                Some(c) => format!(
                    "{} / {} / {}",
                    pct(o.test(stream).unweighted_accuracy()),
                    pct(c.altered.unweighted_accuracy()),
                    pct(c.agreement)
                ),
                None => "–".into(),
            })
            .collect();
        table.row(std::iter::once((k + 1).to_string()).chain(cells));
    }
    format!("\n{caption}\n\n{}", table.markdown())
}

/// What the shipped model's REPORT.md is written from.
pub struct ReportInput<'a> {
    /// The derived cells.
    pub genotype: &'a Genotype,
    /// The search that derived them, when its record is next to the genotype.
    pub search: Option<&'a SearchOutcome>,
    /// Each evaluation (a heading saying how its folds hold data out, and their outcomes).
    pub sections: Vec<(String, &'a [FoldOutcome])>,
    /// Class names.
    pub names: &'a [String],
    /// Retraining schedule.
    pub config: &'a PipelineConfig,
    /// How windows were prepared.
    pub preparation: Preparation,
    /// What ships.
    pub shipped: Stream,
    /// The corpora, with their citations.
    pub data: &'a str,
    /// The weights' licence.
    pub licence: &'a str,
    /// The command that made it.
    pub command: &'a str,
}

/// How a preparation reads in a report.
pub fn preparation_text(p: &Preparation) -> String {
    let mut steps = Vec::new();
    match p.voicing {
        Some(v) => steps.push(format!(
            "cut to its voiced frames (from the first to the last frame within {} dB of the loudest, {} frames of \
             margin) repeated to fill the 8 s — the engine does the same (`segment.voicing` in the manifest)",
            v.below_peak_db, v.margin_frames
        )),
        None => steps.push("the first 8 s, padded with silence (−100 dB)".into()),
    }
    if let Some(norm) = p.speaker {
        steps.push(format!(
            "each band's mean over the speaker's windows subtracted (in the plugin a running average over the \
             track's voiced segments, time constant {} s: `segment.speaker_norm`)",
            norm.time_constant_seconds
        ));
    }
    if p.level {
        steps.push("the window's own mean level subtracted (the graph's first node)".into());
    }
    steps.join("; ")
}

/// How the frame stream was shaped and trained, for the report's retraining line.
fn frame_training_text(config: &PipelineConfig) -> String {
    let mut text = if config.cells == [RecurrentCell::Dynamics] {
        "each feature's mean, spread and root-mean-square change from one pooled frame to the next over the take \
         into two fully connected layers, lowest validation loss kept"
            .to_string()
    } else if RecurrentCell::functionals_only(&config.cells) {
        "each feature's mean and spread over the take into two fully connected layers, lowest validation loss kept"
            .to_string()
    } else {
        format!(
            "{} recurrent layers of {}, cells tried: {}, lowest validation loss kept",
            config.layers,
            config.hidden,
            config.cells.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
        )
    };
    if config.frame_cepstra > 0 {
        let _ = write!(text, "; the bands read as their first {} cepstral (DCT) coefficients", config.frame_cepstra);
    }
    if config.balance == Balance::CorpusClass {
        text.push_str("; every (corpus, class) cell of the training takes weighs the same in its loss");
    }
    if config.frame_training.corpus_adversary > 0.0 {
        let _ = write!(text, "; against a corpus adversary of strength {}", config.frame_training.corpus_adversary);
    }
    if config.frame_training.corpus_auxiliary > 0.0 {
        let _ = write!(
            text,
            "; with the corpus as an auxiliary target of weight {}",
            config.frame_training.corpus_auxiliary
        );
    }
    if config.frame_members > 1 {
        let first = config.frame_training.seed;
        let _ = write!(
            text,
            "; {} such streams trained at seeds {first}–{} and their class probabilities averaged",
            config.frame_members,
            first + config.frame_members as u64 - 1
        );
    }
    text
}

/// Writes the model folder's REPORT.md.
pub fn write_report(path: &Path, r: &ReportInput<'_>) -> std::io::Result<()> {
    let mut s = format!("# Vocal emotion — {}\n\n", r.shipped.trained_description(r.config));
    let _ = writeln!(
        s,
        "Classes: {}. Input: 8 s of the vocal frontend (16 kHz, 25 ms Hamming windows every 11 ms, 140 mel bands, dB), \
         averaged in time to 140 × 140 inside the graph. The plugin classifies the last 8 s once a second (hop 91 \
         frames). Each window is prepared before either stream sees it: {}.\n",
        r.names.join(", "),
        preparation_text(&r.preparation)
    );
    let _ = writeln!(s, "## Data and licence of these weights\n\nTrained on {}. {}\n", r.data, r.licence);
    s.push_str("## Derived cells\n\n```text\n");
    s.push_str(&r.genotype.describe());
    s.push_str("```\n\nGraphviz sources: `normal.dot`, `reduce.dot` (`dot -Tsvg normal.dot`).\n\n");
    if let Some(search) = r.search {
        let c = &search.config;
        let _ = writeln!(
            s,
            "Search: L = {}, C = {}, N = {}, stem stride {}, {} epochs × {} steps of batch {} (first-order DARTS: ω by \
             SGD lr {} cosine, momentum {}, weight decay {}; α by Adam lr {}), {:.0} s. Final validation loss {:.3}.\n",
            c.net.layers,
            c.net.channels,
            c.net.steps,
            c.net.stem_stride,
            c.epochs,
            c.steps_per_epoch.map_or_else(|| "all".to_string(), |n| n.to_string()),
            c.batch_size,
            c.weight_lr,
            c.momentum,
            c.weight_decay,
            c.arch_lr,
            search.seconds,
            search.history.last().map_or(f64::NAN, |e| e.validation_loss)
        );
    }
    let config = r.config;
    let _ = writeln!(
        s,
        "Retraining: derived network {} epochs (SGD 0.025 cosine, best validation UA kept); frame stream {} epochs \
         (Adam 1e-3, {}); fusion perceptron {} epochs (Adam 1e-3) on the validation speakers' stream probabilities.\n",
        config.net_training.epochs,
        config.frame_training.epochs,
        frame_training_text(config),
        config.fusion_epochs
    );
    let _ = writeln!(
        s,
        "What ships: **{}** ({}). The shipped weights are a final model trained on every speaker (one validation \
         chunk of speakers held back to pick the epochs and train the fusion); the figures below are \
         cross-validated: in every fold the test speakers were never seen in training or selection.",
        r.shipped.label(),
        match r.shipped {
            Stream::Fusion => "both streams and the paper's fusion",
            Stream::Frames => "the frame stream alone, which carries across corpora better than the fusion below",
            Stream::Spectrogram => "the spectrogram stream alone",
        }
    );
    for (heading, outcomes) in &r.sections {
        let _ = write!(s, "\n## {heading}\n\n{}", results_markdown(outcomes, r.names, r.shipped));
    }
    let _ = write!(s, "\n## Exact command\n\n```sh\n{}\n```\n", r.command);
    std::fs::write(path, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocal::darts::network::NasConfig;
    use crate::vocal::frames::FrameTraining;
    use crate::vocal::train::NetTrainConfig;

    fn config(cells: Vec<RecurrentCell>, balance: Balance, corpus_adversary: f32) -> PipelineConfig {
        PipelineConfig {
            net: NasConfig { layers: 3, channels: 2, steps: 4, classes: 4, stem_stride: 2 },
            net_training: NetTrainConfig::default(),
            hidden: 64,
            layers: 2,
            cells,
            frame_training: FrameTraining { corpus_adversary, ..FrameTraining::default() },
            fusion_epochs: 100,
            frame_features: None,
            balance,
            frame_members: 1,
            frame_cepstra: 0,
            seed: 1,
        }
    }

    /// A run's fold store keys its folds by the serialised settings: the balance enters them only when used, so
    /// runs made before the option keep their folds.
    #[test]
    fn the_balance_enters_the_settings_only_when_used() {
        let plain = serde_json::to_string(&config(vec![RecurrentCell::Lstm], Balance::None, 0.0)).unwrap();
        assert!(!plain.contains("balance"), "{plain}");
        let used = serde_json::to_string(&config(vec![RecurrentCell::Lstm], Balance::CorpusClass, 0.0)).unwrap();
        assert!(used.contains(r#""balance":"corpus-class""#), "{used}");
        let back: PipelineConfig = serde_json::from_str(&plain).unwrap();
        assert_eq!(back.balance, Balance::None);
        assert!(!plain.contains("frame_members"), "{plain}");
        assert_eq!(back.frame_members, 1);
        assert!(!plain.contains("frame_cepstra"), "{plain}");
        let cepstral = PipelineConfig { frame_cepstra: 20, ..back.clone() };
        assert!(serde_json::to_string(&cepstral).unwrap().contains(r#""frame_cepstra":20"#));
        let averaged = PipelineConfig { frame_members: 5, ..back };
        assert!(serde_json::to_string(&averaged).unwrap().contains(r#""frame_members":5"#));
    }

    /// The report and manifest say what was trained: a functionals stream is not called recurrent, and the
    /// balance, the adversary and the auxiliary target are named when used.
    #[test]
    fn the_frame_stream_is_described_as_trained() {
        let recurrent = config(RecurrentCell::ALL.to_vec(), Balance::None, 0.0);
        let text = frame_training_text(&recurrent);
        assert!(text.starts_with("2 recurrent layers of 64, cells tried: LSTM, GRU"), "{text}");
        assert!(!text.contains("corpus"), "{text}");
        assert!(Stream::Frames.description(&recurrent.cells).contains("recurrent network"));
        let functionals = config(vec![RecurrentCell::Functionals], Balance::CorpusClass, 0.5);
        let text = frame_training_text(&functionals);
        assert!(text.starts_with("each feature's mean and spread"), "{text}");
        assert!(text.contains("every (corpus, class) cell") && text.contains("corpus adversary of strength 0.5"));
        let described = Stream::Frames.description(&functionals.cells);
        assert!(described.contains("mean and spread") && !described.contains("recurrent network"), "{described}");
        let mut auxiliary = config(vec![RecurrentCell::Functionals], Balance::None, 0.0);
        auxiliary.frame_training.corpus_auxiliary = 0.3;
        let text = frame_training_text(&auxiliary);
        assert!(text.contains("corpus as an auxiliary target of weight 0.3") && !text.contains("adversary"), "{text}");
        assert!(!text.contains("averaged") && !Stream::Frames.trained_description(&auxiliary).contains("averaged"));
        let cepstral = PipelineConfig { frame_cepstra: 20, ..auxiliary.clone() };
        assert!(frame_training_text(&cepstral).contains("first 20 cepstral (DCT) coefficients"));
        let described = Stream::Frames.trained_description(&cepstral);
        assert!(described.contains("(the first 20 cepstral coefficients of the log-mel, energy"), "{described}");
        assert!(!Stream::Spectrogram.trained_description(&cepstral).contains("cepstral"));
        assert!(!text.contains("cepstral"), "{text}");
        let averaged = PipelineConfig { frame_members: 5, ..auxiliary };
        let text = frame_training_text(&averaged);
        assert!(text.ends_with("5 such streams trained at seeds 0–4 and their class probabilities averaged"), "{text}");
        let described = Stream::Frames.trained_description(&averaged);
        assert!(described.ends_with("averaged over 5 trainings from successive seeds"), "{described}");
        assert!(!Stream::Spectrogram.trained_description(&averaged).contains("averaged"));
    }
}
