//! The shipped instrument model's `REPORT.md`.

use super::data::LoadedTags;
use super::model::TaggerConfig;
use super::study::TagRecord;
use super::train::{TagOutcome, TagTrainConfig};

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
    let mean = |f: &dyn Fn(&TagOutcome) -> f64| 100.0 * record.mean(f);
    let mut out = format!(
        "# Instrument model: {method:?}\n\n\
         Task `instruments`: {fine} fine tags (sigmoids) under {coarse} families; coarse level by **{label}** \
         (λ = {lambda}). Base: {blocks} conv blocks from {width} filters (3×3, batch norm, ReLU, 2×2 average pool), \
         max + mean over time, bands flattened, a {embedding}-unit embedding; {params} parameters. Input: {frames} frames × {mels} mel bands \
         (16 kHz, 32 ms Hann, 10 ms hop, 50 Hz–8 kHz, dB), standardised inside the graph. Outputs: `fine`, `coarse`{att}.\n\n\
         ## Data\n\n{data}\n\n{clips} clips in {groups} groups; some tags deliberately left unannotated and masked in \
         the loss and the metrics.\n\n\
         ## Evaluation\n\n{done} of the {k} folds of a group split run (train / validation / test groups disjoint, \
         {share:.0} / {rest:.0} / {rest:.0} %). \
         Clip probabilities are the mean over {frames}-frame windows (hop {hop}); thresholds per tag are tuned on \
         the validation clips for F1; metrics are macro averages over tags, on annotated entries only.\n\n\
         | level | ROC-AUC | PR-AUC | F1 |\n|---|---|---|---|\n\
         | fine | {fr:.1} | {fp:.1} | {ff:.1} |\n| coarse | {cr:.1} | {cp:.1} | {cf:.1} |\n\n",
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
        done = record.folds.len(),
        k = folds,
        share = 100.0 * (folds.max(3) - 2) as f64 / folds.max(3) as f64,
        rest = 100.0 / folds.max(3) as f64,
        hop = train.eval_hop,
        fr = mean(&|o| o.fine.roc_auc),
        fp = mean(&|o| o.fine.pr_auc),
        ff = mean(&|o| o.fine.f1),
        cr = mean(&|o| o.coarse.roc_auc),
        cp = mean(&|o| o.coarse.pr_auc),
        cf = mean(&|o| o.coarse.f1),
    );
    let first = record.folds.values().next();
    out += "### Per tag (test F1 of the first fold; threshold of the shipped model)\n\n| family | tag | F1 | threshold |\n|---|---|---|---|\n";
    for (i, tag) in h.fine.iter().enumerate() {
        let f1 = first.and_then(|o| o.fine_f1_per_tag.get(i)).map_or("—".into(), |f| format!("{f:.2}"));
        out += &format!(
            "| {} | {tag} | {f1} | {:.2} |\n",
            h.coarse[h.parents[i]],
            last.fine_thresholds.get(i).copied().unwrap_or(0.5)
        );
    }
    out += "\n| family | F1 | threshold |\n|---|---|---|\n";
    for (c, family) in h.coarse.iter().enumerate() {
        let f1 = first.and_then(|o| o.coarse_f1_per_tag.get(c)).map_or("—".into(), |f| format!("{f:.2}"));
        out += &format!("| {family} | {f1} | {:.2} |\n", last.coarse_thresholds.get(c).copied().unwrap_or(0.5));
    }
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
