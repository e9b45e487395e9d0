//! Per-configuration, per-fold results of a cross-validated study, written to one JSON file after every finished
//! fold, so an interrupted study (hours of CPU) resumes where it stopped instead of starting over. The genre and
//! instrument studies both keep their runs here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::train::{FoldId, Resumable, TrainError};

/// One configuration's finished folds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "N: DeserializeOwned, T: DeserializeOwned, O: DeserializeOwned"))]
pub struct FoldRecord<N, T, O> {
    /// Network configuration.
    pub net: Option<N>,
    /// Training configuration.
    pub train: Option<T>,
    /// Trainable parameters of the network.
    pub parameters: usize,
    /// Fold number → outcome.
    pub folds: BTreeMap<usize, O>,
}

impl<N, T, O> Default for FoldRecord<N, T, O> {
    fn default() -> Self {
        Self { net: None, train: None, parameters: 0, folds: BTreeMap::new() }
    }
}

/// The records of one study file.
pub struct FoldStore<N, T, O> {
    path: PathBuf,
    records: BTreeMap<String, FoldRecord<N, T, O>>,
    /// Whether fits continue from the checkpoints they find (`--resume`).
    resume: bool,
}

impl<N, T, O> FoldStore<N, T, O>
where
    N: Serialize + DeserializeOwned + Clone,
    T: Serialize + DeserializeOwned + Clone,
    O: Serialize + DeserializeOwned + Clone,
{
    /// `run/file`, read back when `resume` (else started empty; the folder is created).
    pub fn open(run: &Path, file: &str, resume: bool) -> Result<Self, TrainError> {
        let path = run.join(file);
        let bad = |e: String| TrainError::Invalid(format!("{}: {e}", path.display()));
        let records = if resume && path.is_file() {
            serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?
        } else {
            BTreeMap::new()
        };
        std::fs::create_dir_all(run).map_err(|e| TrainError::Invalid(format!("{}: {e}", run.display())))?;
        Ok(Self { path, records, resume })
    }

    /// The per-epoch checkpoint of one fold's fit of the configuration `key`: `checkpoints/<hash of key>-<fold>.ckpt`
    /// beside the store, so a fold stopped half-way continues from its last epoch on `--resume`.
    pub fn checkpoint(&self, key: &str, fold: FoldId) -> Resumable {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_bytes());
        let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let name = match fold {
            FoldId::Cv(n) => format!("{hash}-fold{}.ckpt", n + 1),
            FoldId::Final => format!("{hash}-final.ckpt"),
        };
        let dir = self.path.parent().unwrap_or(Path::new(".")).join("checkpoints");
        Resumable { path: dir.join(name), resume: self.resume, fingerprint: format!("{key} · {}", fold.label()) }
    }

    /// The key a configuration is stored under: its JSON.
    pub fn key(net: &N, train: &T) -> String {
        serde_json::to_string(&(net, train)).expect("configurations serialise")
    }

    /// Whether fold `fold` of `key` is done.
    pub fn has(&self, key: &str, fold: usize) -> bool {
        self.records.get(key).is_some_and(|r| r.folds.contains_key(&fold))
    }

    /// Records a finished fold and rewrites the file (temporary file + rename: a crash never leaves half of it).
    pub fn insert(
        &mut self,
        key: &str,
        (net, train, parameters): (&N, &T, usize),
        fold: usize,
        outcome: O,
    ) -> Result<(), TrainError> {
        let record = self.records.entry(key.to_string()).or_default();
        record.net = Some(net.clone());
        record.train = Some(train.clone());
        record.parameters = parameters;
        record.folds.insert(fold, outcome);
        let json = serde_json::to_string_pretty(&self.records).expect("records serialise");
        super::write_atomic(&self.path, json.as_bytes()).map_err(|e| TrainError::io(&self.path, e))
    }

    /// Runs the first `run_folds` of `folds` for one configuration, skipping those already stored and saving after
    /// each: `train(fold, number, checkpoint)` trains and scores one fold, checkpointing its fit where given (the
    /// checkpoint is removed once the fold is stored). Returns the configuration's record.
    pub fn run_folds(
        &mut self,
        (net, train, parameters): (&N, &T, usize),
        folds: &[crate::data::Fold],
        run_folds: usize,
        label: Option<&str>,
        mut train_one: impl FnMut(&crate::data::Fold, usize, &Resumable) -> Result<O, TrainError>,
    ) -> Result<FoldRecord<N, T, O>, TrainError> {
        let key = Self::key(net, train);
        for (number, fold) in folds.iter().enumerate().take(run_folds) {
            if self.has(&key, number) {
                continue;
            }
            if let Some(label) = label {
                eprintln!("{label} · fold {}/{run_folds}", number + 1);
            }
            let checkpoint = self.checkpoint(&key, FoldId::Cv(number));
            let outcome = train_one(fold, number, &checkpoint)?;
            self.insert(&key, (net, train, parameters), number, outcome)?;
            checkpoint.finish()?;
        }
        Ok(self.get(&key))
    }

    /// The record of `key` (empty when nothing ran).
    pub fn get(&self, key: &str) -> FoldRecord<N, T, O> {
        self.records.get(key).cloned().unwrap_or_default()
    }
}

/// A study's driver: the data, its folds, how many to run, and the store; each study adds its own `run` for its
/// configuration types (`genre::study::Runner`, `instruments::study::TagRunner`).
pub struct FoldRunner<'a, C, N, T, O> {
    /// The labelled data, as the study's trainer takes it.
    pub clips: C,
    /// The folds (test sets partition the data by group).
    pub folds: &'a [crate::data::Fold],
    /// How many of the folds to run (time-boxed studies run the first few).
    pub run_folds: usize,
    /// Progress output.
    pub show_progress: bool,
    /// Finished folds.
    pub store: FoldStore<N, T, O>,
}

impl<'a, C, N, T, O> FoldRunner<'a, C, N, T, O>
where
    N: Serialize + DeserializeOwned + Clone,
    T: Serialize + DeserializeOwned + Clone,
    O: Serialize + DeserializeOwned + Clone,
{
    /// A runner storing results in `run/file`, reusing the finished folds there when `resume`.
    pub fn open(
        clips: C,
        folds: &'a [crate::data::Fold],
        run_folds: usize,
        (run, file): (&Path, &str),
        resume: bool,
    ) -> Result<Self, TrainError> {
        let store = FoldStore::open(run, file, resume)?;
        Ok(Self { clips, folds, run_folds: run_folds.clamp(1, folds.len().max(1)), show_progress: true, store })
    }

    /// The checkpoint of one fit of a configuration: a fold's, or the final model's (an export resumes it like a
    /// fold, and keeps it, so that a re-export with `--resume` rewrites the model and report without retraining).
    pub fn checkpoint(&self, net: &N, train: &T, fold: FoldId) -> Resumable {
        self.store.checkpoint(&FoldStore::<N, T, O>::key(net, train), fold)
    }
}
