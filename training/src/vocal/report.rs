//! The results table (the paper's Table 2 for our data, per fold and mean) and the shipped model's REPORT.md.

use std::fmt::Write as _;
use std::path::Path;

use super::darts::genotype::Genotype;
use super::darts::search::SearchOutcome;
use super::pipeline::{FoldOutcome, PipelineConfig};
use crate::metrics::{Confusion, mean_std};

fn pct(v: f64) -> String {
    format!("{:.1}", 100.0 * v)
}

/// Per-fold and mean UA / WA of each stream and the fusion, then each fold's confusion matrices.
pub fn results_markdown(outcomes: &[FoldOutcome], names: &[String]) -> String {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut s = String::from(
        "| fold | test speakers | utterances (train/val/test) | UA spectrogram | UA frames | UA fusion | WA spectrogram | WA frames | WA fusion | cell (val loss) |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for (k, o) in outcomes.iter().enumerate() {
        let cells: Vec<String> = o.cell_losses.iter().map(|(c, l)| format!("{} {l:.3}", c.label())).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {}/{}/{} | {} | {} | {} | {} | {} | {} | **{}** ({}) |",
            k + 1,
            o.test_speakers.join(" "),
            o.sizes[0],
            o.sizes[1],
            o.sizes[2],
            pct(o.spectrogram.unweighted_accuracy()),
            pct(o.frames.unweighted_accuracy()),
            pct(o.fusion.unweighted_accuracy()),
            pct(o.spectrogram.accuracy()),
            pct(o.frames.accuracy()),
            pct(o.fusion.accuracy()),
            o.cell.label(),
            cells.join(", ")
        );
    }
    let stat = |f: &dyn Fn(&FoldOutcome) -> f64| {
        let (m, sd) = mean_std(&outcomes.iter().map(f).collect::<Vec<_>>());
        format!("{} ± {}", pct(m), pct(sd))
    };
    let _ = writeln!(
        s,
        "| mean ± sd | | | {} | {} | {} | {} | {} | {} | |",
        stat(&|o| o.spectrogram.unweighted_accuracy()),
        stat(&|o| o.frames.unweighted_accuracy()),
        stat(&|o| o.fusion.unweighted_accuracy()),
        stat(&|o| o.spectrogram.accuracy()),
        stat(&|o| o.frames.accuracy()),
        stat(&|o| o.fusion.accuracy()),
    );
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
    let mut total = Confusion::new(names.len());
    outcomes.iter().for_each(|o| total.add(&o.fusion));
    let _ = write!(s, "\nAll folds — fusion (test)\n\n{}", total.markdown(&refs));
    s
}

/// Writes the model folder's REPORT.md.
pub fn write_report(
    path: &Path,
    genotype: &Genotype,
    search: Option<&SearchOutcome>,
    outcomes: &[FoldOutcome],
    names: &[String],
    config: &PipelineConfig,
    command: &str,
) -> std::io::Result<()> {
    let mut s =
        String::from("# Vocal emotion — EmotionNAS (DARTS spectrogram stream + recurrent frame stream, fused)\n\n");
    let _ = writeln!(
        s,
        "Classes: {}. Input: 8 s of the vocal frontend (16 kHz, 25 ms Hamming windows every 11 ms, 140 mel bands, dB), \
         averaged in time to 140 × 140 inside the graph. The plugin classifies the last 8 s about once a second.\n",
        names.join(", ")
    );
    s.push_str("## Licence of these weights\n\nTrained on **RAVDESS** (Livingstone & Russo 2018, CC BY-NC-SA 4.0) and \
                **EmoDB** (Burkhardt et al. 2005, free for research). The weights inherit RAVDESS' terms: **non-commercial \
                use only**, attribution, share-alike. The code that trains them is GPL-3.0-or-later.\n\n");
    s.push_str("## Derived cells\n\n```text\n");
    s.push_str(&genotype.describe());
    s.push_str("```\n\nGraphviz sources: `normal.dot`, `reduce.dot` (`dot -Tsvg normal.dot`).\n\n");
    if let Some(search) = search {
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
    let _ = writeln!(
        s,
        "Retraining: derived network {} epochs (SGD 0.025 cosine, best validation UA kept); frame stream {} epochs \
         (Adam 1e-3, {} recurrent layers of {}, cells tried: {}, lowest validation loss kept); fusion perceptron {} \
         epochs (Adam 1e-3) on the validation speakers' stream probabilities.\n",
        config.net_training.epochs,
        config.frame_training.epochs,
        config.layers,
        config.hidden,
        config.cells.iter().map(|c| c.label()).collect::<Vec<_>>().join(", "),
        config.fusion_epochs
    );
    s.push_str("## Results (speaker-independent: train / validation / test speakers disjoint)\n\n");
    s.push_str("The shipped weights are fold 1's (its test speakers were never seen in training or selection).\n\n");
    s.push_str(&results_markdown(outcomes, names));
    let _ = write!(s, "\n## Exact command\n\n```sh\n{command}\n```\n");
    std::fs::write(path, s)
}
