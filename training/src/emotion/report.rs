//! `models/emotion/REPORT.md`: what the shipped model was trained on, how it was evaluated, and how to redo it.

use std::fmt::Write;

use super::results::{CvResults, PretrainSummary, pooled, summarise};
use super::sequence::{FoldResult, SequenceTrainConfig};
use crate::report::{Table, percent_pm};

/// Everything the report is made from.
pub struct ReportInput<'a> {
    /// Pre-training summary.
    pub summary: &'a PretrainSummary,
    /// Cross-validation, when it was run.
    pub cv: Option<&'a CvResults>,
    /// The final head's configuration.
    pub final_head: &'a SequenceTrainConfig,
    /// The final head's held-out result (its early-stopping groups).
    pub final_result: &'a FoldResult,
    /// Time to train the final head.
    pub final_seconds: f64,
    /// Labelled excerpts used.
    pub excerpts: usize,
    /// The command that made the model.
    pub command: &'a str,
    /// What the data was.
    pub data_description: &'a str,
    /// Parameters of encoder and head.
    pub parameters: (usize, usize),
}

fn pct(figure: (f64, f64)) -> String {
    format!("{} %", percent_pm(figure))
}

fn fold_table(out: &mut String, folds: &[FoldResult]) {
    let mut table = Table::new([
        "fold",
        "valence acc",
        "valence F1",
        "arousal acc",
        "arousal F1",
        "thresholds (v, a)",
        "epochs",
        "seconds",
    ]);
    for (i, f) in folds.iter().enumerate() {
        table.row([
            (i + 1).to_string(),
            format!("{:.3}", f.valence.accuracy()),
            format!("{:.3}", f.valence.macro_f1()),
            format!("{:.3}", f.arousal.accuracy()),
            format!("{:.3}", f.arousal.macro_f1()),
            format!("{:.3}, {:.3}", f.thresholds.valence, f.thresholds.arousal),
            f.epochs.to_string(),
            format!("{:.0}", f.seconds),
        ]);
    }
    out.push_str(&table.markdown());
}

fn summary_row(table: &mut Table, name: &str, folds: &[FoldResult]) {
    if folds.is_empty() {
        return;
    }
    table.row([
        name.to_string(),
        folds.len().to_string(),
        pct(summarise(folds, |f| f.valence.accuracy())),
        pct(summarise(folds, |f| f.valence.macro_f1())),
        pct(summarise(folds, |f| f.arousal.accuracy())),
        pct(summarise(folds, |f| f.arousal.macro_f1())),
    ]);
}

fn confusions(out: &mut String, name: &str, folds: &[FoldResult]) {
    if folds.is_empty() {
        return;
    }
    let (v, a) = pooled(folds);
    let _ = writeln!(out, "\n**{name}, valence** (all folds pooled)\n\n{}", v.markdown(&["low", "high"]));
    let _ = writeln!(out, "**{name}, arousal** (all folds pooled)\n\n{}", a.markdown(&["low", "high"]));
}

/// Renders the report.
pub fn render(input: &ReportInput<'_>) -> String {
    let s = input.summary;
    let network = &s.state.config.network;
    let pre_seconds: f64 = s.state.history.iter().map(|e| e.seconds).sum();
    let mut out = String::new();
    out.push_str("# Emotion model (valence / arousal)\n\n");
    let _ = writeln!(
        out,
        "The segment-level emotion model of `../shared/papers/segment-emotion-autoencoder-bilstm.txt`, trained by \
         `earmark-train emotion`. The plugin runs `encoder.onnx` once per new {} s segment and `head.onnx` over the \
         last {} segment embeddings; it shows P(high valence) and P(high arousal).\n",
        s.plan.seconds, input.final_head.sequence_length
    );
    out.push_str("## Command\n\nThe whole recipe (data generation, pre-training, cross-validation, export) is ");
    out.push_str("`bash training/recipes/emotion.sh`; this folder was written by its last step:\n\n```sh\n");
    out.push_str(input.command);
    out.push_str("\n```\n\n");
    out.push_str("## Data\n\n");
    let _ = writeln!(out, "{}\n", input.data_description);
    let _ = writeln!(
        out,
        "- Pre-training pool (unlabelled use): {} excerpts → {} training and {} validation segments (validation = whole \
         groups).\n- Labelled excerpts: {}.{}\n",
        s.excerpts,
        s.segments.0,
        s.segments.1,
        input.excerpts,
        if s.skipped.is_empty() { String::new() } else { format!(" Skipped files: {}.", s.skipped.len()) }
    );
    out.push_str("## Model\n\n");
    let frontend = s.plan.frontend();
    let _ = writeln!(
        out,
        "- Input: {} s segments as {} frames × {} mels, `log10(S + 1)` of the power mel spectrogram at {} Hz (n_fft {}, \
         hop {}).\n- Encoder: {} × (conv 3×3 + ReLU + max-pool 2×2), filters {:?}; embedding {} values; {} parameters.\n\
         - Autoencoder training: SpecAugment (F = {}, T = {}, mean fill), Huber δ = 1 + {} · mean(first conv²), Adam lr {}, \
         batch {}, early stopping patience {} (best epoch {} of {}, validation loss {:.5}); {:.0} s.\n\
         - Heads: BiLSTM {} units per direction → dropout {} → dense 2-way softmax, one for valence and one for arousal; \
         {} parameters. Adam lr {}, batch {}, patience {}.\n\
         - High/low: threshold at the midpoint of the 2-means centres of the training labels (final model: valence {:.3}, \
         arousal {:.3}).\n",
        s.plan.seconds,
        network.frames,
        network.mels,
        frontend.sample_rate,
        frontend.n_fft,
        frontend.hop_length,
        network.filters.len(),
        network.filters,
        network.embedding_shape().1,
        input.parameters.0,
        s.state.config.mask.max_mels,
        s.state.config.mask.max_frames,
        s.state.config.activity_l2,
        s.state.config.learning_rate,
        s.state.config.batch_size,
        s.state.config.patience,
        s.state.best_epoch,
        s.state.epochs_done,
        s.state.best_loss,
        pre_seconds,
        input.final_head.head.hidden,
        input.final_head.head.dropout,
        input.parameters.1,
        input.final_head.learning_rate,
        input.final_head.batch_size,
        input.final_head.patience,
        input.final_result.thresholds.valence,
        input.final_result.thresholds.arousal,
    );
    out.push_str("## Cross-validation\n\n");
    match input.cv {
        Some(cv) => {
            let _ = writeln!(
                out,
                "Group k-fold over {} excerpts in {} groups (a group never straddles train and test; a tenth of the \
                 training groups is held out for early stopping). Thresholds are fitted on each fold's training labels.\n",
                cv.excerpts, cv.groups
            );
            let mut table = Table::new([
                "model",
                "folds",
                "valence accuracy",
                "valence macro F1",
                "arousal accuracy",
                "arousal macro F1",
            ]);
            summary_row(&mut table, "autoencoder + BiLSTM (shipped)", &cv.autoencoder);
            summary_row(&mut table, "joint CNN + BiLSTM baseline", &cv.baseline);
            out.push_str(&table.markdown());
            if let Some(config) = &cv.config
                && config.baseline
            {
                let _ = writeln!(
                    out,
                    "\nThe baseline trains the whole CNN on every segment of every sequence, which costs far more per \
                     epoch than a head on stored embeddings; it ran on {} of the {} folds with at most {} epochs each, \
                     so read its row as indicative, not as a converged comparison.",
                    cv.baseline.len(),
                    config.folds,
                    config.baseline_epochs
                );
            }
            out.push_str("\n### Autoencoder + BiLSTM, per fold\n\n");
            fold_table(&mut out, &cv.autoencoder);
            confusions(&mut out, "Autoencoder + BiLSTM", &cv.autoencoder);
            if !cv.baseline.is_empty() {
                out.push_str("\n### Joint baseline, per fold\n\n");
                fold_table(&mut out, &cv.baseline);
                confusions(&mut out, "Joint baseline", &cv.baseline);
            }
        }
        None => out.push_str("Not run for this model (`earmark-train emotion evaluate`).\n"),
    }
    let _ = writeln!(
        out,
        "\n## Final model\n\nTrained on all labelled groups but the early-stopping tenth ({} epochs, {:.0} s); on those \
         held-out groups: valence accuracy {:.3}, arousal accuracy {:.3}.\n",
        input.final_result.epochs,
        input.final_seconds,
        input.final_result.valence.accuracy(),
        input.final_result.arousal.accuracy()
    );
    out.push_str(
        "## Retraining on PMEmo\n\n\
         PMEmo (static annotations, chorus clips) loads directly: point `--data` at its root, the folder holding \
         `annotations/static_annotations.csv` and `chorus/`. Its labels are in [0, 1]; the 2-means thresholds adapt.\n\n\
         ```sh\n\
         earmark-train emotion pretrain --pool /data/PMEmo2019 --run runs/pmemo      # or a larger unlabelled pool\n\
         earmark-train emotion evaluate --data /data/PMEmo2019 --run runs/pmemo --folds 10 --baseline\n\
         earmark-train emotion export   --data /data/PMEmo2019 --run runs/pmemo --out models/emotion\n\
         ```\n\n\
         PMEmo choruses are ~30 s, i.e. 10 segments of 3 s, the sequence length used here. For the paper's sizes add \
         `--paper` to `pretrain` (filters 128/64/32) and `--hidden 512` to `evaluate`/`export`: a paper-sized \
         autoencoder step takes about 10× the shipped one's time on the CPU.\n",
    );
    out
}
