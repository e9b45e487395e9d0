//! Per-configuration, per-fold results of a cross-validated study, written to one JSON file after every finished
//! fold, so an interrupted study (hours of CPU) resumes where it stopped instead of starting over. The genre and
//! instrument studies both keep their runs here.
//!
//! Two processes of the same run share its folds when both resume (`--resume`): our trainings are single-threaded,
//! so on a two-core machine a second process halves a cross-validation's wall time. Each fold is claimed by an OS
//! file lock before it trains (a process that dies releases its claims, so nothing stale blocks a later resume), a
//! process skips the folds another holds, and every finished fold is merged into the file under a lock on the
//! store, so neither process overwrites the other's folds.

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
    /// `run/file`, read back when `resume` (else started empty; the folder is created). `data` is the
    /// fingerprint of the data the run trains on ([`crate::data::Dataset::fingerprint`]), kept beside the store
    /// (`file.data`): resuming with other data is refused, since the stored folds and checkpoints are keyed by the
    /// configurations alone. A run made before the fingerprint existed adopts the one it is resumed with.
    pub fn open(run: &Path, file: &str, resume: bool, data: &str) -> Result<Self, TrainError> {
        let path = run.join(file);
        let sidecar = run.join(format!("{file}.data"));
        if resume && let Ok(made_from) = std::fs::read_to_string(&sidecar) {
            let made_from = made_from.trim();
            if made_from != data {
                return Err(TrainError::Invalid(format!(
                    "{} was made from other data ({made_from}; now {data}): give a new --run folder, or leave out \
                     --resume to train this one again from the start",
                    run.display()
                )));
            }
        }
        let bad = |e: String| TrainError::Invalid(format!("{}: {e}", path.display()));
        let records = if resume && path.is_file() {
            serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?
        } else {
            BTreeMap::new()
        };
        std::fs::create_dir_all(run).map_err(|e| TrainError::Invalid(format!("{}: {e}", run.display())))?;
        super::write_atomic(&sidecar, format!("{data}\n").as_bytes()).map_err(|e| TrainError::io(&sidecar, e))?;
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
    /// When resuming, the folds another process of the run stored since are read back and kept (under a lock on
    /// the store, so two processes finishing at once do not drop each other's fold).
    pub fn insert(
        &mut self,
        key: &str,
        (net, train, parameters): (&N, &T, usize),
        fold: usize,
        outcome: O,
    ) -> Result<(), TrainError> {
        let _store_lock = if self.resume { Some(self.lock_store()?) } else { None };
        if self.resume {
            self.reload()?;
        }
        let record = self.records.entry(key.to_string()).or_default();
        record.net = Some(net.clone());
        record.train = Some(train.clone());
        record.parameters = parameters;
        record.folds.insert(fold, outcome);
        let json = serde_json::to_string_pretty(&self.records).expect("records serialise");
        super::write_atomic(&self.path, json.as_bytes()).map_err(|e| TrainError::io(&self.path, e))
    }

    /// Claims the fit checkpointed at `checkpoint` for this process: `None` when another process of the run holds
    /// it. Without `--resume` this process owns the run and every claim is granted.
    pub fn claim(&self, checkpoint: &Resumable) -> Result<Option<FoldClaim>, TrainError> {
        if self.resume { FoldClaim::take(&checkpoint.path) } else { Ok(Some(FoldClaim(None))) }
    }

    /// The error for a fit another process of the run holds.
    pub fn busy(&self, what: &str) -> TrainError {
        TrainError::Busy { what: what.to_string(), store: self.path.clone() }
    }

    /// Adds the folds the file holds and this store does not (another process's), keeping this store's own.
    fn reload(&mut self) -> Result<(), TrainError> {
        if !self.path.is_file() {
            return Ok(());
        }
        let text = std::fs::read_to_string(&self.path).map_err(|e| TrainError::io(&self.path, e))?;
        let on_disk: BTreeMap<String, FoldRecord<N, T, O>> =
            serde_json::from_str(&text).map_err(|e| TrainError::io(&self.path, e))?;
        for (key, theirs) in on_disk {
            let ours = self.records.entry(key).or_default();
            for (fold, outcome) in theirs.folds {
                ours.folds.entry(fold).or_insert(outcome);
            }
            if ours.net.is_none() {
                (ours.net, ours.train, ours.parameters) = (theirs.net, theirs.train, theirs.parameters);
            }
        }
        Ok(())
    }

    /// An exclusive lock on the store (`<file>.lock` beside it), held until the returned file is dropped.
    fn lock_store(&self) -> Result<std::fs::File, TrainError> {
        let path = self.path.with_extension("lock");
        let file = std::fs::File::create(&path).map_err(|e| TrainError::io(&path, e))?;
        file.lock().map_err(|e| TrainError::io(&path, e))?;
        Ok(file)
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
        let mut busy = Vec::new();
        for (number, fold) in folds.iter().enumerate().take(run_folds) {
            if self.has(&key, number) {
                continue;
            }
            let checkpoint = self.checkpoint(&key, FoldId::Cv(number));
            // Without --resume this process owns the run (a fresh start); resuming, it shares it.
            let Some(_claim) = self.claim(&checkpoint)? else {
                busy.push(number + 1);
                continue;
            };
            // Another process may have finished this fold since the store was opened.
            if self.resume {
                self.reload()?;
                if self.has(&key, number) {
                    continue;
                }
            }
            if let Some(label) = label {
                eprintln!("{label} · fold {}/{run_folds}", number + 1);
            }
            let outcome = train_one(fold, number, &checkpoint)?;
            self.insert(&key, (net, train, parameters), number, outcome)?;
            checkpoint.finish()?;
        }
        if !busy.is_empty() {
            self.reload()?;
            busy.retain(|&n| !self.has(&key, n - 1));
            if !busy.is_empty() {
                let folds = busy.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                return Err(self.busy(&format!("fold(s) {folds}")));
            }
        }
        Ok(self.get(&key))
    }

    /// The record of `key` (empty when nothing ran).
    pub fn get(&self, key: &str) -> FoldRecord<N, T, O> {
        self.records.get(key).cloned().unwrap_or_default()
    }
}

/// A fit claimed by this process (a fold's or the final model's): an exclusive OS lock on `<checkpoint>.claim`,
/// released (and the file removed) when dropped or when the process dies. A run that does not resume holds an
/// empty claim: it owns the whole run.
pub struct FoldClaim(Option<(PathBuf, std::fs::File)>);

impl FoldClaim {
    /// The claim of the fit whose checkpoint is `checkpoint`, or `None` when another process holds it.
    fn take(checkpoint: &Path) -> Result<Option<Self>, TrainError> {
        let path = checkpoint.with_extension("claim");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
        }
        let file = std::fs::File::create(&path).map_err(|e| TrainError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self(Some((path, file))))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(TrainError::io(&path, e)),
        }
    }
}

impl Drop for FoldClaim {
    fn drop(&mut self) {
        // A process that opened the file before it goes finds the fold stored when it re-reads the store.
        if let Some((path, _)) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
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
    /// A runner storing results in `run/file`, reusing the finished folds there when `resume` and the run was
    /// made from the same `data` (see [`FoldStore::open`]).
    pub fn open(
        clips: C,
        folds: &'a [crate::data::Fold],
        run_folds: usize,
        (run, file, data): (&Path, &str, &str),
        resume: bool,
    ) -> Result<Self, TrainError> {
        let store = FoldStore::open(run, file, resume, data)?;
        Ok(Self { clips, folds, run_folds: run_folds.clamp(1, folds.len().max(1)), show_progress: true, store })
    }

    /// The checkpoint of one fit of a configuration: a fold's, or the final model's (an export resumes it like a
    /// fold, and keeps it, so that a re-export with `--resume` rewrites the model and report without retraining).
    pub fn checkpoint(&self, net: &N, train: &T, fold: FoldId) -> Resumable {
        self.store.checkpoint(&FoldStore::<N, T, O>::key(net, train), fold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Fold;

    type Store = FoldStore<u32, u32, f64>;

    const DATA: &str = "4 items · 0123456789abcdef";

    fn folds(n: usize) -> Vec<Fold> {
        vec![Fold::default(); n]
    }

    /// Trains "fold n" as the value n + 0.5, counting the folds this process trained.
    fn run(store: &mut Store, trained: &mut Vec<usize>) -> Result<FoldRecord<u32, u32, f64>, TrainError> {
        store.run_folds((&1, &2, 3), &folds(4), 4, None, |_, n, _| {
            trained.push(n);
            Ok(n as f64 + 0.5)
        })
    }

    #[test]
    fn two_resuming_processes_keep_each_others_folds() {
        let dir = tempfile::tempdir().unwrap();
        let (mut a, mut b) = (
            Store::open(dir.path(), "s.json", true, DATA).unwrap(),
            Store::open(dir.path(), "s.json", true, DATA).unwrap(),
        );
        let key = Store::key(&1, &2);
        a.insert(&key, (&1, &2, 3), 0, 0.5).unwrap();
        // b opened before a stored fold 0: storing its own fold must not drop a's.
        b.insert(&key, (&1, &2, 3), 1, 1.5).unwrap();
        let stored = Store::open(dir.path(), "s.json", true, DATA).unwrap().get(&key);
        assert_eq!(stored.folds.keys().copied().collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(stored.parameters, 3);
    }

    #[test]
    fn a_fold_another_process_holds_is_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "s.json", true, DATA).unwrap();
        let key = Store::key(&1, &2);
        // "Another process" holds fold 3's claim (an OS lock on its own open file).
        let held = FoldClaim::take(&store.checkpoint(&key, FoldId::Cv(2)).path).unwrap().expect("free");
        let mut trained = Vec::new();
        let error = run(&mut store, &mut trained).unwrap_err();
        assert_eq!(trained, vec![0, 1, 3]);
        assert!(matches!(&error, TrainError::Busy { what, .. } if what == "fold(s) 3"), "{error}");
        assert!(error.to_string().contains("--resume"), "{error}");
        // The other process stores fold 3 and lets go: a second call finds every fold and trains none.
        let mut other = Store::open(dir.path(), "s.json", true, DATA).unwrap();
        other.insert(&key, (&1, &2, 3), 2, 2.5).unwrap();
        drop(held);
        trained.clear();
        let record = run(&mut store, &mut trained).unwrap();
        assert!(trained.is_empty(), "{trained:?}");
        assert_eq!(record.folds.values().copied().collect::<Vec<_>>(), vec![0.5, 1.5, 2.5, 3.5]);
        // No claim files are left behind.
        let claims = std::fs::read_dir(dir.path().join("checkpoints"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "claim"))
            .count();
        assert_eq!(claims, 0);
    }

    #[test]
    fn the_final_model_is_claimed_once_while_resuming_and_always_by_a_fresh_run() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            Store::open(dir.path(), "s.json", true, DATA).unwrap(),
            Store::open(dir.path(), "s.json", true, DATA).unwrap(),
        );
        let final_model = a.checkpoint(&Store::key(&1, &2), FoldId::Final);
        let held = a.claim(&final_model).unwrap().expect("free");
        assert!(b.claim(&final_model).unwrap().is_none());
        assert!(b.busy("the final model").to_string().contains("another process is training the final model"));
        let fresh = Store::open(dir.path(), "s.json", false, DATA).unwrap();
        assert!(fresh.claim(&final_model).unwrap().is_some());
        drop(held);
        assert!(b.claim(&final_model).unwrap().is_some());
    }

    #[test]
    fn a_fresh_run_owns_its_folds() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "s.json", false, DATA).unwrap();
        let key = Store::key(&1, &2);
        let _held = FoldClaim::take(&store.checkpoint(&key, FoldId::Cv(2)).path).unwrap().expect("free");
        let mut trained = Vec::new();
        run(&mut store, &mut trained).unwrap();
        assert_eq!(trained, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_run_resumes_only_with_the_data_it_was_made_from() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), "s.json", true, DATA).unwrap();
        store.insert(&Store::key(&1, &2), (&1, &2, 3), 0, 0.5).unwrap();
        let err = Store::open(dir.path(), "s.json", true, "8 items · fedcba9876543210").err().expect("refused");
        let text = err.to_string();
        assert!(text.contains("made from other data (4 items") && text.contains("now 8 items"), "{text}");
        // The same data resumes and keeps its folds; a fresh run (no --resume) takes the new data over.
        assert!(Store::open(dir.path(), "s.json", true, DATA).unwrap().has(&Store::key(&1, &2), 0));
        Store::open(dir.path(), "s.json", false, "8 items · fedcba9876543210").unwrap();
        assert!(Store::open(dir.path(), "s.json", true, DATA).is_err());
        // A run made before the fingerprint existed adopts the data it is resumed with.
        std::fs::remove_file(dir.path().join("s.json.data")).unwrap();
        Store::open(dir.path(), "s.json", true, DATA).unwrap();
        assert!(Store::open(dir.path(), "s.json", true, "8 items · fedcba9876543210").is_err());
    }
}
