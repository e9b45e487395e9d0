//! The shipped instrument model's `REPORT.md`.

use super::data::LoadedTags;
use super::model::TaggerConfig;
use super::study::TagRecord;
use super::train::{TagOutcome, TagTrainConfig};
use crate::report::{Table, percent};

/// The hierarchical-tagging paper's own figures, for the held-out section to stand beside.
const PAPER: &str = "### Beside the paper\n\n\
    The hierarchical-tagging paper's ResAtt, on OpenMIC-2018's real recordings (tone-base hierarchy, a pretrained \
    base, OpenMIC's own split): fine ROC-AUC 92.0, PR-AUC 86.0, F1 83.7; coarse 93.1 / 90.7 / 85.5 (its Table 1). The \
    figures above are on generated mixtures of held-out real recordings with a small CNN trained from scratch: \
    not the same task, and no real multi-instrument recordings with tags are cleared here to measure the \
    paper's setting.\n";

/// The macro figures of both levels, `[ROC-AUC, PR-AUC, F1]` fractions each, as a table in per cent.
fn levels_table(fine: [f64; 3], coarse: [f64; 3]) -> String {
    let mut table = Table::new(["level", "ROC-AUC", "PR-AUC", "F1"]);
    for (level, figures) in [("fine", fine), ("coarse", coarse)] {
        table.row(std::iter::once(level.to_string()).chain(figures.map(percent)));
    }
    table.markdown()
}

/// The held-out section: the final model on mixtures built only from recordings (note files, speakers, kits)
/// that no training mixture used — the figures the manifest reports.
pub fn held_out_markdown(name: &str, h: &super::train::Hierarchy, e: &super::train::Evaluation) -> String {
    let cell = |x: &Option<f64>| x.map_or("—".to_string(), percent);
    let mut per_tag = Table::new(["family", "tag", "clips with it", "ROC-AUC", "PR-AUC", "F1"]);
    for (t, (roc, pr, f1, n)) in e.fine_per_tag.iter().enumerate() {
        let family = h.parents.get(t).and_then(|&c| h.coarse.get(c)).map_or("", String::as_str);
        per_tag.row([family.to_string(), h.fine[t].clone(), n.to_string(), cell(roc), cell(pr), format!("{f1:.2}")]);
    }
    let mut per_family = Table::new(["family", "clips with it", "ROC-AUC", "PR-AUC", "F1"]);
    for (c, (roc, pr, f1, n)) in e.coarse_per_tag.iter().enumerate() {
        per_family.row([h.coarse[c].clone(), n.to_string(), cell(roc), cell(pr), format!("{f1:.2}")]);
    }
    format!(
        "## Held-out mixtures: {name}\n\n{clips} mixtures built only from held-out recordings (note files, \
         speakers and drum kits that no training mixture contains); the final model at the thresholds it ships \
         with.\n\n{levels}\n{tags}\n{families}\n{PAPER}",
        clips = e.clips,
        levels =
            levels_table([e.fine.roc_auc, e.fine.pr_auc, e.fine.f1], [e.coarse.roc_auc, e.coarse.pr_auc, e.coarse.f1]),
        tags = per_tag.markdown(),
        families = per_family.markdown(),
    )
}

/// The Markdown report: data, evaluation, per-tag F1 and thresholds, the study, how to reproduce and retrain.
#[allow(clippy::too_many_arguments)]
pub fn markdown(
    net: &TaggerConfig,
    train: &TagTrainConfig,
    loaded: &LoadedTags,
    record: &TagRecord,
    last: &TagOutcome,
    folds: usize,
    data: &str,
    command: &str,
    study: Option<&str>,
) -> String {
    let h = &loaded.hierarchy;
    let mean = |f: &dyn Fn(&TagOutcome) -> f64| record.mean(f);
    let mut out = format!(
        "# Instrument model: {method:?}\n\n\
         Task `instruments`: {fine} fine tags (sigmoids) under {coarse} families; coarse level by **{label}** \
         (λ = {lambda}). Base: {blocks} conv blocks from {width} filters (3×3, batch norm, ReLU, 2×2 average pool), \
         max + mean over time, bands flattened, a {embedding}-unit embedding; {params} parameters. Input: {frames} frames × {mels} mel bands \
         (16 kHz, 32 ms Hann, 10 ms hop, 50 Hz–8 kHz, dB), standardised inside the graph. Outputs: `fine`, `coarse`{att}.\n\n\
         ## Data\n\n{data}\n\n{clips} clips in {groups} groups{masked}.\n\n\
         ## Evaluation\n\n{done} of the {k} folds of a group split run (train / validation / test groups disjoint, \
         {share:.0} / {rest:.0} / {rest:.0} %). \
         Clip probabilities are the mean over {frames}-frame windows (hop {hop}); thresholds per tag are tuned on \
         the validation clips for F1; metrics are macro averages over tags, on annotated entries only. A group is \
         a clip here, so one recording can sound in a training and a test mixture; a held-out section below, where \
         there is one, is the figure that counts.\n\n{levels}\n",
        method = net.method,
        fine = h.fine.len(),
        coarse = h.coarse.len(),
        label = net.method.label(),
        lambda = train.lambda,
        blocks = net.blocks,
        width = net.width,
        embedding = net.embedding,
        params = record.parameters,
        frames = net.frames,
        mels = net.mels,
        att = if net.method == super::model::Method::Resatt {
            ", `attention` (fine × coarse, softmax over fine)"
        } else {
            ""
        },
        clips = loaded.dataset.len(),
        groups = loaded.dataset.group_members().len(),
        masked = if loaded
            .dataset
            .items
            .iter()
            .any(|i| matches!(&i.target, crate::data::Target::Tags { annotated, .. } if annotated.contains(&false)))
        {
            "; some tags deliberately left unannotated and masked in the loss and the metrics"
        } else {
            "; every tag annotated"
        },
        done = record.folds.len(),
        k = folds,
        share = 100.0 * (folds.max(3) - 2) as f64 / folds.max(3) as f64,
        rest = 100.0 / folds.max(3) as f64,
        hop = train.eval_hop,
        levels = levels_table(
            [mean(&|o| o.fine.roc_auc), mean(&|o| o.fine.pr_auc), mean(&|o| o.fine.f1)],
            [mean(&|o| o.coarse.roc_auc), mean(&|o| o.coarse.pr_auc), mean(&|o| o.coarse.f1)]
        ),
    );
    let first = record.folds.values().next();
    let mut per_tag = Table::new(["family", "tag", "F1", "threshold"]);
    for (i, tag) in h.fine.iter().enumerate() {
        let f1 = first.and_then(|o| o.fine_f1_per_tag.get(i)).map_or("—".into(), |f| format!("{f:.2}"));
        let threshold = last.fine_thresholds.get(i).copied().unwrap_or(0.5);
        per_tag.row([h.coarse[h.parents[i]].clone(), tag.clone(), f1, format!("{threshold:.2}")]);
    }
    let mut per_family = Table::new(["family", "F1", "threshold"]);
    for (c, family) in h.coarse.iter().enumerate() {
        let f1 = first.and_then(|o| o.coarse_f1_per_tag.get(c)).map_or("—".into(), |f| format!("{f:.2}"));
        let threshold = last.coarse_thresholds.get(c).copied().unwrap_or(0.5);
        per_family.row([family.clone(), f1, format!("{threshold:.2}")]);
    }
    out += &format!(
        "### Per tag (test F1 of the first fold; threshold of the shipped model)\n\n{}\n{}",
        per_tag.markdown(),
        per_family.markdown()
    );
    if let Some(study) = study {
        out += &format!("\n{study}\n");
    }
    out += &format!(
        "\n## Reproduce\n\n```\n{command}\n```\n\n## Retrain on OpenMIC-2018\n\nPoint `--data` at the OpenMIC root \
         (`openmic-2018-aggregated-labels.csv`, `class-map.json`, `audio/`): unannotated (sample, instrument) pairs \
         are masked, groups are source tracks, and the 20 instruments are grouped into bowed strings, plucked \
         strings, woodwinds, brass, keyboards, percussion and voice.\n\n\
         ```\nearmark-train study instruments --data /path/to/openmic-2018 --run runs/openmic\n\
         earmark-train instruments export --data /path/to/openmic-2018 --run runs/openmic --method resatt --frames 1000 --out models/instruments\n```\n"
    );
    out
}

/// What a flat tagger's report for another task (emotion, genre) is written from.
pub struct TaskReport<'a> {
    /// `emotion` or `genre`.
    pub task: earmark_core::manifest::Task,
    /// Network.
    pub net: &'a TaggerConfig,
    /// Training.
    pub train: &'a TagTrainConfig,
    /// Data (with any training-only extras at the end).
    pub loaded: &'a LoadedTags,
    /// Cross-validation.
    pub record: &'a TagRecord,
    /// The final model's training.
    pub last: &'a TagOutcome,
    /// Folds of the split.
    pub folds: usize,
    /// How the data was made.
    pub data: &'a str,
    /// The exact command.
    pub command: &'a str,
    /// Study tables and comparisons (Markdown) to include.
    pub study: Option<&'a str>,
    /// The final model scored on another set: (its name, the section).
    pub cross: Option<(&'a str, &'a str)>,
}

/// One sentence for the manifest.
pub fn task_description(r: &TaskReport<'_>) -> String {
    let seconds = r.net.frames as f64 * super::frontend().hop_seconds();
    match r.task {
        earmark_core::manifest::Task::Emotion => format!(
            "Valence and arousal of the last {seconds:.2} s as P(high), from a {}-block CNN over 64 log-mel bands (16 kHz); trained by Earmark on real recordings.",
            r.net.blocks
        ),
        earmark_core::manifest::Task::Content => format!(
            "What the last {seconds:.2} s is: P(music) and P(speech), independent sigmoids (both low: silence or noise), from a {}-block CNN over 64 log-mel bands (16 kHz); trained by Earmark on real recordings, speech corpora and generated noise.",
            r.net.blocks
        ),
        _ => format!(
            "Genres of the last {seconds:.2} s ({} tags, independent sigmoids), from a {}-block CNN over 64 log-mel bands (16 kHz); trained by Earmark on real recordings.",
            r.loaded.dataset.classes.len(),
            r.net.blocks
        ),
    }
}

/// The manifest metrics: the cross-validated figures the report gives.
pub fn task_metrics(r: &TaskReport<'_>) -> std::collections::BTreeMap<String, f64> {
    let figures: Vec<(&str, (f64, f64))> = match r.task {
        earmark_core::manifest::Task::Emotion => [
            "cv_valence_accuracy",
            "cv_valence_macro_f1",
            "cv_arousal_accuracy",
            "cv_arousal_macro_f1",
            "cv_quadrant_accuracy",
            "cv_quadrant_macro_f1",
        ]
        .into_iter()
        .zip(super::figures::emotion_means(r.record, &r.loaded.dataset))
        .collect(),
        _ => ["cv_macro_roc_auc", "cv_macro_pr_auc", "cv_macro_f1"]
            .into_iter()
            .zip(super::figures::genre_macro(r.record, &r.loaded.dataset))
            .collect(),
    };
    let mut metrics = std::collections::BTreeMap::new();
    for (name, (mean, sd)) in figures {
        metrics.insert(name.to_string(), mean);
        metrics.insert(format!("{name}_sd"), sd);
    }
    if r.task == earmark_core::manifest::Task::Content
        && let Some((accuracies, _)) = super::figures::content_readings(r.record, &r.loaded.dataset)
    {
        let (mean, sd) = crate::metrics::mean_std(&accuracies);
        metrics.insert("cv_content_accuracy".into(), mean);
        metrics.insert("cv_content_accuracy_sd".into(), sd);
    }
    metrics.insert("folds_run".into(), r.record.folds.len() as f64);
    metrics
}

/// The report of a flat tagger serving emotion or genre.
pub fn task_markdown(r: &TaskReport<'_>) -> String {
    let own = r.loaded.own_len();
    let extra = r.loaded.dataset.len() - own;
    let seconds: f64 = r.record.folds.values().map(|o| o.seconds).sum();
    let task = r.task.name();
    let own_groups: std::collections::BTreeSet<&str> =
        r.loaded.dataset.items[..own].iter().map(|i| i.group.as_str()).collect();
    let mut out = format!(
        "# {title} model\n\n\
         Task `{task}`: {tags} independent sigmoids ({names}). A flat tagger: {blocks} conv blocks from {width} \
         filters (3×3, batch norm, ReLU, 2×2 average pool), max + mean over time, bands flattened, a {embedding}-unit \
         embedding, {params} parameters; input {frames} frames × {mels} mel bands (16 kHz, 32 ms Hann, 10 ms hop, \
         50 Hz–8 kHz, dB), standardised inside the graph. Clip probabilities are the mean over windows (hop {hop}); \
         in the plugin, the readout's smoothing plays that part.\n\n\
         ## Data\n\n{data}\n\n{own} clips in {groups} groups{extra_text}.\n\n\
         ## Evaluation\n\n{done} of {k} folds over groups (train / validation / test groups disjoint); every figure \
         is on the test clips of the set itself (training-only extras are never tested on). Training: Adam \
         {lr:e}, weight decay {wd:e}, warm-up {warmup} epochs, at most {epochs} epochs, the epoch with the lowest \
         validation loss kept{augment}. {minutes:.0} minutes of training over the folds on two CPU cores.\n\n",
        title = match r.task {
            earmark_core::manifest::Task::Emotion => "Music emotion",
            earmark_core::manifest::Task::Content => "Content",
            _ => "Genre",
        },
        tags = r.loaded.dataset.classes.len(),
        names = r.loaded.dataset.classes.join(", "),
        blocks = r.net.blocks,
        width = r.net.width,
        embedding = r.net.embedding,
        params = r.record.parameters,
        frames = r.net.frames,
        mels = r.net.mels,
        hop = r.train.eval_hop,
        data = r.data,
        groups = own_groups.len(),
        extra_text =
            if extra > 0 { format!("; {extra} training-only clips added to every fold") } else { String::new() },
        done = r.record.folds.len(),
        k = r.folds,
        lr = r.train.learning_rate,
        wd = r.train.weight_decay,
        warmup = r.train.warmup,
        epochs = r.train.epochs,
        augment = if r.train.augment_db > 0.0 {
            format!(
                "; each training window's level shifted by up to ±{} dB and its spectrum tilted by up to ±{} dB",
                r.train.augment_db,
                r.train.augment_db / 2.0
            )
        } else {
            String::new()
        } + &if r.train.mixup > 0.0 {
            format!(
                "; mixup: each training window mixed as sound with another of its batch at a weight drawn from \
                 Beta({a}, {a}), its targets likewise",
                a = r.train.mixup
            )
        } else {
            String::new()
        },
        minutes = seconds / 60.0,
    );
    out += &match r.task {
        earmark_core::manifest::Task::Emotion => super::figures::emotion_markdown(r.record, &r.loaded.dataset),
        earmark_core::manifest::Task::Content => super::figures::content_markdown(r.record, &r.loaded.dataset, own),
        _ => super::figures::genre_markdown(r.record, &r.loaded.dataset, own),
    };
    out += literature(r.task);
    if let Some((name, text)) = r.cross {
        out += &format!("\n### The final model on another set: {name}\n\n{text}\n");
    }
    if let Some(study) = r.study {
        out += &format!("\n{study}\n");
    }
    out += &format!(
        "\n## The shipped model\n\nTrained on every group of the set but one validation chunk (it picks the epoch and \
         the per-tag thresholds; best epoch {best}). Thresholds (validation-tuned for F1, shown in the plugin's \
         lists{centre}): {thresholds}.\n\n## Reproduce\n\n```\n{command}\n```\n",
        centre = if task == "emotion" { "; the circumplex uses P = 0.5 as its centre" } else { "" },
        best = r.last.best_epoch,
        thresholds = r
            .loaded
            .dataset
            .classes
            .iter()
            .zip(&r.last.fine_thresholds)
            .map(|(c, t)| format!("{c} {t:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        command = r.command,
    );
    out
}

/// What the literature reports on the same task and data, so a reader can place the figures above. Stated with
/// how the splits differ: a random split lets one artist's songs sit on both sides, which an artist-disjoint one
/// does not, so the published figures are upper bounds for a comparison rather than equals.
fn literature(task: earmark_core::manifest::Task) -> &'static str {
    match task {
        earmark_core::manifest::Task::Emotion => {
            "\n### Beside the literature\n\n\
             Panda, Malheiro & Paiva (2018), who built this set: **76.4 % F1 on the four quadrants** with an SVM \
             over 100 hand-picked features (of 1,702, including their novel expressive-technique and texture \
             features), in repeated 10-fold cross-validation with random (not artist-disjoint) splits. The segment-emotion paper (CNN autoencoder + BiLSTM) also \
             evaluates on this set (its \"AllMusic dataset\", random 10-fold) but gives its figures for it only in a \
             plot. Compare the quadrant macro F1 above with 76.4 %.\n"
        }
        earmark_core::manifest::Task::Content => {
            "\n### Beside the literature\n\n\
             Speech/music discrimination is an old and mostly solved task on clean broadcast audio (Scheirer & \
             Slaney 1997: 1.4 % frame error with hand-made features); the point here is a small model that also \
             says \"neither\" on noise and near silence, and keeps speech over a music bed as music.\n"
        }
        _ => {
            "\n### Beside the literature\n\n\
             No published figure exists for these 12 AllMusic genre tags of the 4Q clips. Earmark's aim is a \
             macro ROC-AUC of at least 0.85. The genre papers report single-label accuracy on other sets: the \
             parallel CNN–RNN paper an average F1 of 0.63 on its subgenres, Pons & Serra 88.8–92.3 % accuracy on \
             Ballroom's 8 dances (random splits).\n"
        }
    }
}
