//! Training one tagger on one fold: masked, level-weighted BCE (λ·fine + (1 − λ)·coarse), Adam with weight decay
//! and a linear warm-up (the paper's recipe), model selection on the validation fine-level loss (the paper picks
//! λ by it too), per-tag thresholds tuned on the validation clips, and the paper's metrics on the test clips.
//!
//! Clips are cut into windows; a clip's probabilities are the mean of its windows'. Labels are per clip (weak
//! labels, as OpenMIC's), so every window of a clip is trained towards the clip's tags.

use std::time::Instant;

use burn::optim::{AdamConfig, decay::WeightDecayConfig};
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::metrics::{Column, LevelScores, average_precision, best_threshold, f1_at, level_scores, roc_auc};
use super::mixup;
use super::model::{Tagger, TaggerConfig};
use crate::data::{Dataset, Fold, Target};
use crate::genre::models::Standardization;
use crate::genre::windows::{WindowSet, standardization};
use crate::train::{
    FitConfig, FitRun, FoldId, Keep, Objective, Resumable, Schedule, Seeds, Stage, TrainError, Validation, fit,
    init_device,
};

/// Fine tags, their families, and the parent of each fine tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hierarchy {
    /// Fine tags in output order.
    pub fine: Vec<String>,
    /// Coarse tags in output order.
    pub coarse: Vec<String>,
    /// Coarse index of each fine tag.
    pub parents: Vec<usize>,
}

impl Hierarchy {
    /// From a multi-label dataset's classes and hierarchy; every fine tag must be in exactly one family.
    pub fn of(dataset: &Dataset) -> Result<Self, TrainError> {
        let groups = dataset.hierarchy.as_ref().ok_or_else(|| {
            TrainError::Invalid(format!(
                "{}: no coarse → fine hierarchy (hierarchy.json next to the manifest); the two-level tagger needs one",
                dataset.name
            ))
        })?;
        let mut parents = vec![usize::MAX; dataset.classes.len()];
        for (c, group) in groups.iter().enumerate() {
            for member in &group.members {
                let i = dataset.classes.iter().position(|t| t == member).ok_or_else(|| {
                    TrainError::Invalid(format!("family `{}` names unknown tag `{member}`", group.name))
                })?;
                if parents[i] != usize::MAX {
                    return Err(TrainError::Invalid(format!("tag `{member}` is in two families")));
                }
                parents[i] = c;
            }
        }
        if let Some(i) = parents.iter().position(|&p| p == usize::MAX) {
            return Err(TrainError::Invalid(format!("tag `{}` is in no family", dataset.classes[i])));
        }
        Ok(Self { fine: dataset.classes.clone(), coarse: groups.iter().map(|g| g.name.clone()).collect(), parents })
    }

    /// Fine (present, annotated) and derived coarse (present, annotated) of a target. A family is present when an
    /// annotated member is present, and known absent only when every member is annotated absent.
    pub fn targets(&self, target: &Target) -> [(Vec<bool>, Vec<bool>); 2] {
        let (present, annotated) = match target {
            Target::Tags { present, annotated } => (present.clone(), annotated.clone()),
            _ => (vec![false; self.fine.len()], vec![false; self.fine.len()]),
        };
        let mut coarse_present = vec![false; self.coarse.len()];
        let mut all_annotated = vec![true; self.coarse.len()];
        for (i, &p) in self.parents.iter().enumerate() {
            coarse_present[p] |= present[i] && annotated[i];
            all_annotated[p] &= annotated[i];
        }
        let coarse_annotated = coarse_present.iter().zip(&all_annotated).map(|(&p, &a)| p || a).collect();
        [(present, annotated), (coarse_present, coarse_annotated)]
    }
}

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagTrainConfig {
    /// λ: weight of the fine-level loss (the paper searches 0.70–0.90).
    pub lambda: f64,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Adam weight decay (the paper: 1e-4).
    pub weight_decay: f64,
    /// Epochs of linear warm-up (the paper: 5).
    pub warmup: usize,
    /// Most epochs.
    pub epochs: usize,
    /// Epochs without a lower validation fine loss before stopping.
    pub patience: usize,
    /// Windows per step (the paper: 16).
    pub batch_size: usize,
    /// Frames between training windows.
    pub train_hop: usize,
    /// Frames between evaluation windows.
    pub eval_hop: usize,
    /// Frames between the training windows of training-only extras (`None`: `train_hop`). Rendered material can
    /// outnumber the real set many times over (2 156 EMOPIA renders beside 4Q's 900 clips): a longer hop keeps
    /// every extra clip in each epoch at a fraction of its windows, so an epoch costs about what the real set's
    /// does, not five times it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_hop: Option<usize>,
    /// Training-time augmentation (0: none): each training window's level is shifted by up to ± this many dB and
    /// its spectrum tilted by up to ± half as many dB from the lowest to the highest band, drawn per window and
    /// epoch — the level, microphone and mastering differences between recordings.
    #[serde(default)]
    pub augment_db: f32,
    /// Mixup's α (0: none): each training window mixed with another of its batch as sounds, at λ ~ Beta(α, α),
    /// targets likewise (see [`super::mixup`]). Left out of the fold store's key when 0, so runs made before it
    /// existed keep their folds.
    #[serde(default, skip_serializing_if = "no_mixup")]
    pub mixup: f32,
    /// Seed.
    pub seed: u64,
}

fn no_mixup(alpha: &f32) -> bool {
    *alpha == 0.0
}

/// Results of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagOutcome {
    /// Test scores, fine level.
    pub fine: LevelScores,
    /// Test scores, coarse level.
    pub coarse: LevelScores,
    /// Best validation fine-level masked BCE (selects the epoch and λ).
    pub validation_fine_loss: f64,
    /// Per-tag thresholds tuned on validation, fine.
    pub fine_thresholds: Vec<f32>,
    /// Per-family thresholds tuned on validation.
    pub coarse_thresholds: Vec<f32>,
    /// Test F1 of each fine tag at its threshold.
    pub fine_f1_per_tag: Vec<f64>,
    /// Test F1 of each family at its threshold.
    pub coarse_f1_per_tag: Vec<f64>,
    /// Epoch of the kept weights.
    pub best_epoch: usize,
    /// Training loss per epoch.
    pub losses: Vec<f64>,
    /// Standardisation fitted on the training clips.
    pub standardization: Standardization,
    /// Wall time.
    pub seconds: f64,
    /// The fold's model on a held-out set of other recordings (`--cross-data`): (fine, coarse) macro scores at
    /// the fold's thresholds; `None` without one.
    #[serde(default)]
    pub held_out: Option<(LevelScores, LevelScores)>,
    /// Each test clip's (dataset index, fine probabilities): what task-specific figures (emotion accuracy and
    /// quadrants, genre top-1) are computed from.
    #[serde(default)]
    pub test_probabilities: Vec<(usize, Vec<f32>)>,
}

/// A multi-label dataset with features.
pub struct TagClips<'a> {
    /// Items (targets) and hierarchy.
    pub dataset: &'a Dataset,
    /// Features per item (`None`: unreadable).
    pub features: &'a [Option<Array2<f32>>],
    /// The hierarchy.
    pub hierarchy: &'a Hierarchy,
    /// Items from here on are training-only extras, cut at [`TagTrainConfig::extra_hop`]; `None`: none.
    pub extra_from: Option<usize>,
}

/// One item's tags at one level as 1/0: what is present, and which entries are annotated (the loss mask).
struct TagRow {
    present: Vec<f32>,
    annotated: Vec<f32>,
}

struct Targets {
    fine: Vec<TagRow>,
    coarse: Vec<TagRow>,
}

impl TagClips<'_> {
    fn targets(&self) -> Targets {
        let f = |v: &[bool]| v.iter().map(|&b| f32::from(u8::from(b))).collect::<Vec<f32>>();
        let (mut fine, mut coarse) = (Vec::new(), Vec::new());
        for item in &self.dataset.items {
            let [(fp, fa), (cp, ca)] = self.hierarchy.targets(&item.target);
            fine.push(TagRow { present: f(&fp), annotated: f(&fa) });
            coarse.push(TagRow { present: f(&cp), annotated: f(&ca) });
        }
        Targets { fine, coarse }
    }

    fn windows(&self, items: &[usize], frames: usize, mels: usize, hop: usize, s: Standardization) -> WindowSet {
        WindowSet::from_clips((frames, mels), items, self.features, hop, s)
    }

    /// The training windows of `items`: the set's own clips `config.train_hop` frames apart, training-only
    /// extras `config.extra_hop` apart.
    fn training_windows(
        &self,
        items: &[usize],
        dims: (usize, usize),
        config: &TagTrainConfig,
        s: Standardization,
    ) -> WindowSet {
        let extra_hop = config.extra_hop.unwrap_or(config.train_hop);
        let hop_of =
            |i: usize| if self.extra_from.is_some_and(|from| i >= from) { extra_hop } else { config.train_hop };
        WindowSet::from_clips_each(dims, items, self.features, hop_of, s)
    }
}

/// The `present` (or, with `mask`, the `annotated`) rows of `owners` as a `[owners, tags]` tensor.
fn stack(rows: &[TagRow], owners: &[usize], mask: bool, device: &Device) -> Tensor<2> {
    let pick = |r: &TagRow| if mask { r.annotated.clone() } else { r.present.clone() };
    let width = rows.first().map_or(0, |r| pick(r).len());
    let values: Vec<f32> = owners.iter().flat_map(|&o| pick(&rows[o])).collect();
    Tensor::from_data(TensorData::new(values, [owners.len(), width]), device)
}

/// Masked binary cross-entropy of probabilities: mean over annotated entries (0 when none).
pub fn masked_bce(p: Tensor<2>, target: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    let p = p.clamp(1e-7, 1.0 - 1e-7);
    let loss = (target.clone() * p.clone().log() + (target.neg() + 1.0) * (p.neg() + 1.0).log()).neg();
    let count = mask.clone().sum().clamp_min(1.0);
    (loss * mask).sum() / count
}

/// Per-clip mean probabilities (fine, coarse) over the windows of `set`, without autodiff.
pub fn clip_probabilities(net: &Tagger, set: &WindowSet, batch: usize) -> Vec<(usize, Vec<f32>, Vec<f32>)> {
    let device = Device::default();
    let indices: Vec<usize> = (0..set.len()).collect();
    let mut out: Vec<(usize, Vec<f32>, Vec<f32>, usize)> = Vec::new();
    for chunk in indices.chunks(batch.max(1)) {
        let y = net.forward(set.batch(chunk, &device));
        let (fine, coarse) = (crate::onnx::emit::values(y.fine), crate::onnx::emit::values(y.coarse));
        let (nf, nc) = (fine.len() / chunk.len(), coarse.len() / chunk.len());
        for (k, &w) in chunk.iter().enumerate() {
            let owner = set.owners[w];
            if out.last().is_none_or(|last| last.0 != owner) {
                out.push((owner, vec![0.0; nf], vec![0.0; nc], 0));
            }
            let last = out.last_mut().expect("pushed");
            last.1.iter_mut().zip(&fine[k * nf..(k + 1) * nf]).for_each(|(s, v)| *s += v);
            last.2.iter_mut().zip(&coarse[k * nc..(k + 1) * nc]).for_each(|(s, v)| *s += v);
            last.3 += 1;
        }
    }
    out.into_iter()
        .map(|(o, f, c, n)| {
            (o, f.into_iter().map(|v| v / n as f32).collect(), c.into_iter().map(|v| v / n as f32).collect())
        })
        .collect()
}

/// Per-tag columns of `(score, present)` over annotated clips, for fine (`coarse = false`) or coarse tags.
fn columns(probabilities: &[(usize, Vec<f32>, Vec<f32>)], targets: &Targets, coarse: bool) -> Vec<Column> {
    let width = probabilities.first().map_or(0, |p| if coarse { p.2.len() } else { p.1.len() });
    let mut out = vec![Vec::new(); width];
    for (owner, fine, coarse_p) in probabilities {
        let (p, row) = if coarse { (coarse_p, &targets.coarse[*owner]) } else { (fine, &targets.fine[*owner]) };
        for t in 0..width {
            if row.annotated[t] > 0.5 {
                out[t].push((p[t], row.present[t] > 0.5));
            }
        }
    }
    out
}

fn validation_fine_loss(probabilities: &[(usize, Vec<f32>, Vec<f32>)], targets: &Targets) -> f64 {
    let (mut total, mut count) = (0.0f64, 0usize);
    for (owner, fine, _) in probabilities {
        let row = &targets.fine[*owner];
        for ((&p, &annotated), &present) in fine.iter().zip(&row.annotated).zip(&row.present) {
            if annotated > 0.5 {
                let p = f64::from(p).clamp(1e-7, 1.0 - 1e-7);
                total -= if present > 0.5 { p.ln() } else { (1.0 - p).ln() };
                count += 1;
            }
        }
    }
    total / count.max(1) as f64
}

/// The tagging objective: λ·masked BCE on the fine tags + (1 − λ)·masked BCE on the families; validation by the
/// fine-level masked BCE of the validation clips (lower is better, so its negative is the score).
struct TagObjective<'a> {
    train: &'a WindowSet,
    validation: &'a WindowSet,
    targets: &'a Targets,
    lambda: f64,
    batch_size: usize,
    /// Augmentation range in dB and the standardisation's deviation (dB in the standardised domain).
    augment_db: f32,
    std: f32,
    /// Mixup's α (0: none).
    mixup: f32,
    rng: ChaCha8Rng,
}

impl TagObjective<'_> {
    /// The batch's windows, each with a random level shift and spectral tilt when augmenting.
    fn batch(&mut self, batch: &[usize], device: &Device) -> Tensor<4> {
        let x = self.train.batch(batch, device);
        if self.augment_db <= 0.0 {
            return x;
        }
        let mels = self.train.mels;
        let mut offsets = Vec::with_capacity(batch.len() * mels);
        for _ in batch {
            let gain = self.rng.random_range(-self.augment_db..=self.augment_db);
            let tilt = self.rng.random_range(-self.augment_db / 2.0..=self.augment_db / 2.0);
            offsets.extend((0..mels).map(|m| (gain + tilt * (m as f32 / (mels - 1).max(1) as f32 - 0.5)) / self.std));
        }
        // [batch, 1, 1, mels]: the same offset for every frame of a window.
        x + Tensor::<4>::from_data(TensorData::new(offsets, [batch.len(), 1, 1, mels]), device)
    }
}

impl Objective<Tagger> for TagObjective<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn start_epoch(&mut self, _epoch: usize, augment_seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(augment_seed);
    }

    fn loss(&mut self, net: &Tagger, batch: &[usize], device: &Device) -> Tensor<1> {
        let owners: Vec<usize> = batch.iter().map(|&w| self.train.owners[w]).collect();
        let x = self.batch(batch, device);
        let mix = (self.mixup > 0.0)
            .then(|| mixup::draw(self.mixup, batch.len(), &mut self.rng).expect("α checked in train_fold"));
        let x = match &mix {
            Some(m) => m.mix_features(x, self.std, device),
            None => x,
        };
        // A level's (targets, mask), mixed like the windows when mixing.
        let level = |rows: &[TagRow]| {
            let (t, m) = (stack(rows, &owners, false, device), stack(rows, &owners, true, device));
            match &mix {
                Some(mix) => (mix.mix_targets(t, device), mix.mix_mask(m, device)),
                None => (t, m),
            }
        };
        let out = net.forward(x);
        let (t, m) = level(&self.targets.fine);
        let fine = masked_bce(out.fine, t, m);
        if self.lambda < 1.0 {
            let (t, m) = level(&self.targets.coarse);
            let coarse = masked_bce(out.coarse, t, m);
            fine.mul_scalar(self.lambda) + coarse.mul_scalar(1.0 - self.lambda)
        } else {
            fine
        }
    }

    fn validate(&mut self, net: &Tagger, _training_loss: f64) -> Validation {
        let loss = validation_fine_loss(&clip_probabilities(net, self.validation, self.batch_size), self.targets);
        Validation { score: (-loss, 0.0), loss: Some(loss), summary: format!("validation fine BCE {loss:.4}") }
    }
}

/// Trains `config` on `fold.train`, keeps the epoch with the lowest validation fine loss, tunes thresholds on
/// validation and scores the test clips.
pub fn train_fold(
    net_config: &TaggerConfig,
    config: &TagTrainConfig,
    clips: &TagClips<'_>,
    fold: &Fold,
    fold_id: FoldId,
    show_progress: bool,
    checkpoint: Option<&Resumable>,
) -> Result<(Tagger, TagOutcome), TrainError> {
    let started = Instant::now();
    mixup::check_alpha(config.mixup).map_err(TrainError::Invalid)?;
    let targets = clips.targets();
    let s = standardization(fold.train.iter().filter_map(|&i| clips.features[i].as_ref()));
    let (frames, mels) = (net_config.frames, net_config.mels);
    let train = clips.training_windows(&fold.train, (frames, mels), config, s);
    let validation = clips.windows(&fold.validation, frames, mels, config.eval_hop, s);
    let test = clips.windows(&fold.test, frames, mels, config.eval_hop, s);
    if train.is_empty() || validation.is_empty() {
        return Err(TrainError::Invalid("a fold needs readable training and validation clips".into()));
    }
    let seeds = Seeds::new(config.seed, Stage::Instruments, fold_id);
    let net = net_config.init(&init_device(&seeds)).map_err(TrainError::Invalid)?;
    let optimizer =
        AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay as f32))).init();
    let size = config.batch_size.max(1);
    let lambda = if net_config.method.joint() { config.lambda } else { 1.0 };
    let mut objective = TagObjective {
        train: &train,
        validation: &validation,
        targets: &targets,
        lambda,
        batch_size: size,
        augment_db: config.augment_db,
        std: s.std,
        mixup: config.mixup,
        rng: ChaCha8Rng::seed_from_u64(0),
    };
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: size,
        learning_rate: config.learning_rate,
        patience: config.patience,
        schedule: Schedule::Warmup { steps: config.warmup * train.len().div_ceil(size) },
        keep: Keep::Best,
    };
    let fitted =
        fit(net, optimizer, &mut objective, &fit_config, &FitRun::new(seeds, show_progress).resuming(checkpoint))?;
    let net = fitted.model;
    let best_loss = fitted.state.best_score.map_or(f64::MAX, |s| -s.0);
    let validation_p = clip_probabilities(&net, &validation, size);
    let fine_thresholds: Vec<f32> = columns(&validation_p, &targets, false).iter().map(|c| best_threshold(c)).collect();
    let coarse_thresholds: Vec<f32> =
        columns(&validation_p, &targets, true).iter().map(|c| best_threshold(c)).collect();
    let test_p = clip_probabilities(&net, &test, size);
    let (fine_columns, coarse_columns) = (columns(&test_p, &targets, false), columns(&test_p, &targets, true));
    let per_tag = |columns: &[Column], t: &[f32]| columns.iter().zip(t).map(|(c, &t)| f1_at(c, t)).collect();
    let outcome = TagOutcome {
        fine: level_scores(&fine_columns, &fine_thresholds),
        coarse: level_scores(&coarse_columns, &coarse_thresholds),
        fine_f1_per_tag: per_tag(&fine_columns, &fine_thresholds),
        coarse_f1_per_tag: per_tag(&coarse_columns, &coarse_thresholds),
        validation_fine_loss: best_loss,
        fine_thresholds,
        coarse_thresholds,
        best_epoch: fitted.state.best_epoch,
        losses: fitted.state.history.iter().map(|e| e.loss).collect(),
        standardization: s,
        // Epochs a resumed fit ran in an earlier session count towards the fold's time too.
        seconds: started.elapsed().as_secs_f64() + fitted.earlier_seconds,
        test_probabilities: test_p.into_iter().map(|(owner, fine, _)| (owner, fine)).collect(),
        held_out: None,
    };
    Ok((net, outcome))
}

/// A trained tagger's figures on clips it never saw (another set with the same tags), at given thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Macro figures, fine level.
    pub fine: LevelScores,
    /// Macro figures, coarse level.
    pub coarse: LevelScores,
    /// Per fine tag: (ROC-AUC, PR-AUC, F1, positives); AUCs are `None` where the tag lacks a class.
    pub fine_per_tag: Vec<(Option<f64>, Option<f64>, f64, usize)>,
    /// Per family, as `fine_per_tag`.
    pub coarse_per_tag: Vec<(Option<f64>, Option<f64>, f64, usize)>,
    /// Clips scored.
    pub clips: usize,
}

/// Scores `net` on every readable clip of `clips` (mean probabilities over windows of `hop` frames, standardised
/// as in training) at the given thresholds — the held-out check of a final model.
pub fn evaluate(
    net: &Tagger,
    net_config: &TaggerConfig,
    clips: &TagClips<'_>,
    hop: usize,
    standardization: Standardization,
    thresholds: (&[f32], &[f32]),
    batch: usize,
) -> Evaluation {
    let items: Vec<usize> = (0..clips.dataset.len()).collect();
    let set = clips.windows(&items, net_config.frames, net_config.mels, hop, standardization);
    let targets = clips.targets();
    let p = clip_probabilities(net, &set, batch);
    let per_tag = |columns: &[Column], t: &[f32]| -> Vec<(Option<f64>, Option<f64>, f64, usize)> {
        columns
            .iter()
            .zip(t)
            .map(|(c, &t)| (roc_auc(c), average_precision(c), f1_at(c, t), c.iter().filter(|(_, y)| *y).count()))
            .collect()
    };
    let (fine, coarse) = (columns(&p, &targets, false), columns(&p, &targets, true));
    Evaluation {
        fine: level_scores(&fine, thresholds.0),
        coarse: level_scores(&coarse, thresholds.1),
        fine_per_tag: per_tag(&fine, thresholds.0),
        coarse_per_tag: per_tag(&coarse, thresholds.1),
        clips: p.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Item, TargetKind};
    use earmark_core::manifest::LabelGroup;

    #[test]
    fn families_are_present_if_a_member_is_and_absent_only_if_all_are_known_absent() {
        let groups = vec![
            LabelGroup { name: "strings".into(), members: vec!["violin".into(), "cello".into()] },
            LabelGroup { name: "brass".into(), members: vec!["trumpet".into()] },
        ];
        let tags = |present: [bool; 3], annotated: [bool; 3]| Item {
            path: "x.wav".into(),
            group: "g".into(),
            target: Target::Tags { present: present.to_vec(), annotated: annotated.to_vec() },
        };
        let classes = vec!["violin".to_string(), "cello".to_string(), "trumpet".to_string()];
        let items =
            vec![tags([true, false, false], [true, false, true]), tags([false, false, false], [true, false, true])];
        let dataset = Dataset::new("t", TargetKind::MultiLabel, classes, Some(groups), items).unwrap();
        let h = Hierarchy::of(&dataset).unwrap();
        assert_eq!(h.parents, vec![0, 0, 1]);
        // Violin present (cello unknown) → strings present; trumpet annotated absent → brass absent.
        assert_eq!(h.targets(&dataset.items[0].target)[1], (vec![true, false], vec![true, true]));
        // Violin absent but cello unknown → strings unknown.
        assert_eq!(h.targets(&dataset.items[1].target)[1], (vec![false, false], vec![false, true]));
    }

    #[test]
    fn training_only_extras_are_cut_at_their_own_hop() {
        let classes = vec!["valence".to_string()];
        let groups = vec![LabelGroup { name: "valence".into(), members: classes.clone() }];
        let item = |group: &str| Item {
            path: "x.wav".into(),
            group: group.into(),
            target: Target::Tags { present: vec![true], annotated: vec![true] },
        };
        let items = vec![item("own"), item("extra:song")];
        let dataset = Dataset::new("t", TargetKind::MultiLabel, classes, Some(groups), items).unwrap();
        let hierarchy = Hierarchy::of(&dataset).unwrap();
        let features = vec![Some(Array2::<f32>::zeros((100, 4))), Some(Array2::<f32>::zeros((100, 4)))];
        let clips = TagClips { dataset: &dataset, features: &features, hierarchy: &hierarchy, extra_from: Some(1) };
        let config = TagTrainConfig { extra_hop: Some(40), ..small_config() };
        let s = Standardization { mean: 0.0, std: 1.0 };
        let set = clips.training_windows(&[0, 1], (20, 4), &config, s);
        // 100 frames in 20-frame windows: starts 0, 10, …, 80 for the set's own clip; 0, 40, 80 for the extra.
        let count = |owner: usize| set.owners.iter().filter(|&&o| o == owner).count();
        assert_eq!((count(0), count(1)), (9, 3));
        // Without an extra hop, extras are cut like the set's own clips.
        let same = clips.training_windows(&[0, 1], (20, 4), &TagTrainConfig { extra_hop: None, ..config }, s);
        assert_eq!(same.owners.iter().filter(|&&o| o == 1).count(), 9);
    }

    fn small_config() -> TagTrainConfig {
        TagTrainConfig {
            lambda: 1.0,
            learning_rate: 1e-3,
            weight_decay: 0.0,
            warmup: 0,
            epochs: 1,
            patience: 1,
            batch_size: 4,
            train_hop: 10,
            extra_hop: None,
            eval_hop: 20,
            augment_db: 0.0,
            mixup: 0.0,
            seed: 1,
        }
    }

    /// A run's fold store keys its folds by the serialised settings: runs made before mixup existed keep their
    /// folds only if the default leaves the key as it was.
    #[test]
    fn mixup_enters_the_settings_only_when_used() {
        let config = small_config();
        let plain = serde_json::to_string(&config).unwrap();
        assert!(!plain.contains("mixup"), "{plain}");
        let used = serde_json::to_string(&TagTrainConfig { mixup: 0.2, ..config.clone() }).unwrap();
        assert!(used.contains("\"mixup\":0.2"), "{used}");
        assert_eq!(serde_json::from_str::<TagTrainConfig>(&plain).unwrap(), config);
    }

    #[test]
    fn masked_bce_ignores_unannotated_entries() {
        let device = Device::default();
        let p = Tensor::<2>::from_floats([[0.9, 0.2]], &device);
        let t = Tensor::<2>::from_floats([[1.0, 1.0]], &device);
        let only_first = Tensor::<2>::from_floats([[1.0, 0.0]], &device);
        let loss = masked_bce(p, t, only_first).into_scalar::<f32>();
        assert!((f64::from(loss) + 0.9f64.ln()).abs() < 1e-5, "{loss}");
    }
}
