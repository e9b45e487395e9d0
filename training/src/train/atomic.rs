//! The one way the training crate writes a file that must never be seen half-written (checkpoints, fold stores,
//! models, reports, caches, generated clips): into a temporary file beside it, then a rename.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `bytes` to `path` atomically, creating its folder. A crash or Ctrl-C leaves either the old file or
/// the new one, and at worst a `.NAME.PID-N.partial` file beside it. Each write has its own temporary name
/// (process and write number), so two runs writing the same file at once (two trainings filling one feature
/// cache) both succeed, the last rename winning. (A plain `File::create`, unlike a `tempfile`, keeps the usual
/// permissions.)
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().ok_or_else(|| std::io::Error::other("no file name"))?;
    let write = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{}.{}-{write}.partial", name.to_string_lossy(), std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_and_leave_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/a.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }

    /// Two trainings sharing a feature cache write the same entry at once: every write succeeds and the file
    /// is whole. (With one fixed temporary name, one writer's rename took the other's file away and a take was
    /// skipped as unreadable.)
    #[test]
    fn concurrent_writers_of_one_file_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.npy");
        let bytes = vec![7u8; 64 * 1024];
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        write_atomic(&path, &bytes).unwrap();
                    }
                });
            }
        });
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }
}
