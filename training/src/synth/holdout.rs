//! Which recordings a generator may use: all of them, or only the training or the held-out part of a split by
//! recording group (a note file, a speaker, a drum kit).
//!
//! Why by hash: a held-out evaluation of instrument tags must hear only note files, voices and kits that no
//! training mixture contained. Deciding by a hash of the group's name (not by position in a listing) keeps the
//! split identical whatever else a folder holds, on every machine, and the train and test runs of the generator
//! never need to see each other.

use sha2::{Digest, Sha256};

/// The part of the split a generator draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum HoldoutPart {
    /// Every recording.
    All,
    /// Recordings whose group is not held out.
    Train,
    /// The held-out recordings only.
    Test,
}

/// A split of recordings by group: `percent` % of the groups are held out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Holdout {
    /// The part drawn from.
    pub part: HoldoutPart,
    /// Share of groups held out, 0–100.
    pub percent: u8,
}

impl Holdout {
    /// Every recording (no split).
    pub const ALL: Holdout = Holdout { part: HoldoutPart::All, percent: 0 };

    /// True when `group` is in the part drawn from.
    pub fn keeps(&self, group: &str) -> bool {
        match self.part {
            HoldoutPart::All => true,
            HoldoutPart::Train => !held_out(group, self.percent),
            HoldoutPart::Test => held_out(group, self.percent),
        }
    }
}

/// Whether `group` falls in the held-out `percent` %: the first 8 bytes of its SHA-256, modulo 100.
pub fn held_out(group: &str, percent: u8) -> bool {
    let digest = Sha256::digest(group.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes) % 100 < u64::from(percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_and_test_partition_the_groups() {
        let groups: Vec<String> = (0..2000).map(|i| format!("violin_A{i}_025_forte")).collect();
        let train = Holdout { part: HoldoutPart::Train, percent: 20 };
        let test = Holdout { part: HoldoutPart::Test, percent: 20 };
        let mut held = 0;
        for g in &groups {
            assert_ne!(train.keeps(g), test.keeps(g), "{g} must be in exactly one part");
            assert!(Holdout::ALL.keeps(g));
            held += usize::from(test.keeps(g));
        }
        assert!((340..=460).contains(&held), "about 20 % held out, got {held} of 2000");
        // Stable across runs and machines: a fixed group stays where it is.
        assert_eq!(held_out("emodb-03", 20), held_out("emodb-03", 20));
        assert!(!held_out("anything", 0) && held_out("anything", 100));
    }
}
