//! The shipped genre model's `REPORT.md`: data, splits, cross-validated figures, per-class F1, the pooled
//! confusion matrix, and how to retrain on GTZAN or Ballroom.

use super::models::NetConfig;
use super::study::RunRecord;
use crate::report::{Table, pm};

/// What the report needs besides the run.
pub struct ReportInput<'a> {
    /// Class names.
    pub classes: &'a [String],
    /// How the data was made (one paragraph).
    pub data: &'a str,
    /// Clips and groups used.
    pub clips: usize,
    /// Groups (compositions, tracks).
    pub groups: usize,
    /// Folds in the cross-validation, of which `record.folds.len()` were run.
    pub folds: usize,
    /// The command that exported the model.
    pub command: &'a str,
    /// Study tables (Markdown), if a study was run.
    pub study: Option<&'a str>,
}

/// Train / validation / test shares of a rotating k-fold split (k − 2 chunks train, one validates, one tests).
fn split(folds: usize) -> String {
    let k = folds.max(3) as f64;
    format!("{:.0} / {:.0} / {:.0} %", 100.0 * (k - 2.0) / k, 100.0 / k, 100.0 / k)
}

/// The Markdown report.
pub fn markdown(net: &NetConfig, record: &RunRecord, input: &ReportInput<'_>) -> String {
    let s = record.summary();
    let names: Vec<&str> = input.classes.iter().map(String::as_str).collect();
    let pooled = record.pooled_test(names.len());
    let train = record.train.as_ref();
    let mut out = format!(
        "# Genre model: {name}\n\n\
         Task `genre` (single label, softmax over {n} classes). Architecture: **{name}** ({params} parameters) over \
         {frames} frames × {mels} mel bands (Pons & Serra's frontend: Blackman-Harris 2048 / hop 1024 at 44.1 kHz, \
         `ln(1 + 10 000·x)`, z-normalised with the training data's mean and deviation, written into the graph).\n\n\
         ## Data\n\n{data}\n\n{clips} clips in {groups} groups (a group is one composition; its renders never straddle \
         a split).\n\n\
         ## Evaluation\n\n\
         {folds}-fold cross-validation over groups with disjoint train / validation / test groups ({split}; Pons & \
         Serra use 10 folds: 80 / 10 / 10 %); {done} of the {folds} folds run. Each clip is cut into {frames}-frame windows (hop {hop}); \
         a clip's class is the majority vote of its windows. The weights kept are those of the epoch with the best \
         validation accuracy.\n\n{figures}\n",
        name = net.name(),
        n = names.len(),
        params = record.parameters,
        frames = net.frames,
        mels = net.mels,
        data = input.data,
        clips = input.clips,
        groups = input.groups,
        folds = input.folds,
        done = s.folds,
        split = split(input.folds),
        hop = train.map_or(0, |t| t.eval_hop),
        figures = Table::new(["figure", "value"])
            .row(["clip accuracy (vote)".to_string(), pm(s.accuracy, 2)])
            .row(["clip macro F1".to_string(), pm(s.macro_f1, 2)])
            .row(["window accuracy (no vote)".to_string(), format!("{:.3}", s.window_accuracy)])
            .row(["training macro F1".to_string(), format!("{:.3}", s.train_f1)])
            .row(["validation macro F1".to_string(), format!("{:.3}", s.validation_f1)])
            .markdown(),
    );
    if let Some(t) = train {
        out += &format!(
            "Training: {} (learning rate {}), batch {}, at most {} epochs, patience {}, training windows every {} frames.\n\n",
            t.optimizer.label(),
            t.learning_rate(),
            t.batch_size,
            t.epochs,
            t.patience,
            t.train_hop
        );
    }
    let mut per_class = Table::new(["class", "F1"]);
    for (name, f1) in names.iter().zip(pooled.f1_per_class()) {
        per_class.row([name.to_string(), format!("{f1:.3}")]);
    }
    out += &format!("### Per-class F1 (test clips of all folds pooled)\n\n{}", per_class.markdown());
    out += &format!("\n### Confusion matrix (test clips of all folds pooled)\n\n{}\n", pooled.markdown(&names));
    if let Some(study) = input.study {
        out += &format!("{study}\n");
    }
    out += &format!(
        "## Reproduce\n\n```\n{}\n```\n\n\
         ## Retrain on GTZAN or Ballroom\n\n\
         Both corpora ship as one folder per class (`genres/blues/blues.00000.wav`, `BallroomData/ChaChaCha/…`), \
         which `earmark-train genre` reads directly (the folder loader groups by file):\n\n\
         ```\n\
         earmark-train genre evaluate --data /path/to/BallroomData --run runs/ballroom --arch temporal --onet 1 --pnet 1 --optimizer sgd --plateau 3 --batch 50\n\
         earmark-train genre export   --data /path/to/BallroomData --run runs/ballroom --arch temporal --onet 1 --pnet 1 --optimizer sgd --plateau 3 --batch 50 --out models/genre\n\
         ```\n\n\
         Any other layout works through a CSV manifest (`path,class,group`; see `training/src/data/manifest_csv.rs`).\n",
        input.command
    );
    out
}
