//! Seeds: one per purpose, fold and epoch, derived from the run's `--seed`, so nothing depends on how many
//! random numbers were drawn before (a resumed run continues with exactly the randomness an uninterrupted one
//! would have had) and no two streams of one run coincide.
//!
//! Purposes are a typed list instead of numbers scattered over files; their codes are the numbers the
//! families used before the training core existed, so cross-validation folds draw the same weights, orders
//! and masks as they did then (the shipped reports stay reproducible).

/// Which model of a run a seed is for: a cross-validation fold, or the final model trained on every fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FoldId {
    /// Fold `n` of a cross-validation (or the only training of a run that has no folds: `Cv(0)`).
    Cv(usize),
    /// The final model, trained on everything the folds held out.
    Final,
}

impl FoldId {
    /// The index the seed derivation uses: the fold number, or one that no cross-validation reaches for the
    /// final model (the exporters once passed `usize::MAX / 2` here, which overflowed `100 * fold`).
    fn index(self) -> u64 {
        match self {
            FoldId::Cv(n) => n as u64,
            FoldId::Final => FINAL_INDEX,
        }
    }

    /// A short name for file names and progress bars (`fold 3`, `final`).
    pub fn label(self) -> String {
        match self {
            FoldId::Cv(n) => format!("fold {}", n + 1),
            FoldId::Final => "final".to_string(),
        }
    }
}

/// Fold index of the final model in seed derivation: above any fold count.
const FINAL_INDEX: u64 = 1_000_000;

/// What a random stream is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Initial weights.
    Init,
    /// The order of training items in an epoch.
    Order,
    /// burn's own generator during an epoch (dropout).
    Dropout,
    /// Per-epoch augmentation (SpecAugment masks, gains, …).
    Augment,
    /// Fixed augmentation of the validation set (the same every epoch, so epochs compare like with like).
    ValidationAugment,
}

/// The families (and stages) that train, each with its own streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The emotion model's masked autoencoder.
    EmotionAutoencoder,
    /// The emotion model's sequence heads (BiLSTM per dimension).
    EmotionHeads,
    /// The emotion model's jointly trained baseline.
    EmotionBaseline,
    /// Genre and style networks.
    Genre,
    /// Instrument taggers.
    Instruments,
    /// EmotionNAS' recurrent frame stream.
    VocalFrames,
    /// EmotionNAS' decision-level fusion.
    VocalFusion,
    /// EmotionNAS' DARTS search network.
    VocalSearch,
    /// EmotionNAS' derived network, retrained.
    VocalNetwork,
}

impl Stage {
    /// The code of `purpose` in this stage: the numbers the families used before the core existed.
    fn code(self, purpose: Purpose) -> u64 {
        use Purpose::*;
        match (self, purpose) {
            (Stage::EmotionAutoencoder, Order) => 1,
            (Stage::EmotionAutoencoder, Augment) => 2,
            (Stage::EmotionAutoencoder, Dropout) => 3,
            (Stage::EmotionAutoencoder, Init) => 4,
            (Stage::EmotionAutoencoder, ValidationAugment) => 5,
            (Stage::Genre, Init) => 11,
            (Stage::Genre, Order) => 12,
            (Stage::Genre, Dropout) => 13,
            (Stage::Instruments, Init) => 21,
            (Stage::Instruments, Dropout) => 22,
            (Stage::Instruments, Order) => 23,
            (Stage::VocalFrames, Init) => 31,
            (Stage::VocalFrames, Order) => 32,
            (Stage::VocalFusion, Init) => 41,
            (Stage::VocalFusion, Order) => 42,
            (Stage::VocalSearch, Init) => 61,
            (Stage::VocalSearch, Order) => 62,
            (Stage::VocalNetwork, Init) => 71,
            (Stage::VocalNetwork, Order) => 72,
            (Stage::EmotionHeads, Dropout) => 81,
            (Stage::EmotionHeads, Order) => 82,
            (Stage::EmotionHeads, Init) => 300,
            (Stage::EmotionBaseline, Init) => 400,
            (Stage::EmotionBaseline, Dropout) => 401,
            (Stage::EmotionBaseline, Order) => 402,
            // Streams no family draws yet: distinct codes per stage and purpose.
            (stage, purpose) => 1000 + 10 * stage as u64 + purpose as u64,
        }
    }
}

/// The seeds of one training (a stage of one fold of one run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    /// The run's `--seed`.
    pub base: u64,
    /// What trains.
    pub stage: Stage,
    /// Which fold.
    pub fold: FoldId,
}

impl Seeds {
    /// Seeds of `stage` on `fold` of the run seeded `base`.
    pub fn new(base: u64, stage: Stage, fold: FoldId) -> Self {
        Self { base, stage, fold }
    }

    /// The seed of a one-off stream (initial weights, fixed validation masks) of this fold.
    pub fn once(&self, purpose: Purpose) -> u64 {
        derive_seed(self.base, self.stage.code(purpose), self.fold.index())
    }

    /// The seed of `purpose` in epoch `epoch` (from 1) of this fold.
    pub fn epoch(&self, purpose: Purpose, epoch: usize) -> u64 {
        let code = self.stage.code(purpose).wrapping_add(self.fold.index().wrapping_mul(100));
        derive_seed(self.base, code, epoch as u64)
    }
}

/// Mixes a seed, a stream code and an index (SplitMix64's finaliser).
pub fn derive_seed(seed: u64, purpose: u64, index: u64) -> u64 {
    let mut x = seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes are the numbers each family used before: cross-validation folds draw what they drew then.
    #[test]
    fn cross_validation_seeds_are_the_ones_the_families_used() {
        let genre = Seeds::new(7, Stage::Genre, FoldId::Cv(2));
        assert_eq!(genre.once(Purpose::Init), derive_seed(7, 11, 2));
        assert_eq!(genre.epoch(Purpose::Dropout, 5), derive_seed(7, 13 + 200, 5));
        assert_eq!(genre.epoch(Purpose::Order, 5), derive_seed(7, 12 + 200, 5));
        let autoencoder = Seeds::new(7, Stage::EmotionAutoencoder, FoldId::Cv(0));
        assert_eq!(autoencoder.epoch(Purpose::Augment, 3), derive_seed(7, 2, 3));
        assert_eq!(autoencoder.once(Purpose::ValidationAugment), derive_seed(7, 5, 0));
    }

    /// The final model has seeds of its own, and no fold number overflows (the old exporters' bug).
    #[test]
    fn the_final_model_has_distinct_seeds_and_nothing_overflows() {
        let final_seeds = Seeds::new(7, Stage::Genre, FoldId::Final);
        let all: Vec<u64> = (0..100).map(|n| Seeds::new(7, Stage::Genre, FoldId::Cv(n)).once(Purpose::Init)).collect();
        assert!(!all.contains(&final_seeds.once(Purpose::Init)));
        let _ = Seeds::new(u64::MAX, Stage::Genre, FoldId::Cv(usize::MAX)).epoch(Purpose::Order, usize::MAX);
        let mut codes = std::collections::HashSet::new();
        for stage in
            [Stage::EmotionAutoencoder, Stage::EmotionHeads, Stage::Genre, Stage::Instruments, Stage::VocalFrames]
        {
            for purpose in [Purpose::Init, Purpose::Order, Purpose::Dropout, Purpose::Augment] {
                assert!(codes.insert(stage.code(purpose)), "{stage:?} {purpose:?} shares a code");
            }
        }
        assert_eq!(FoldId::Cv(0).label(), "fold 1");
    }
}
