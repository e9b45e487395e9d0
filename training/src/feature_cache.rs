//! Log-mel features cached on disk, keyed by the frontend config's hash and the audio file's identity.
//!
//! Decoding and resampling dominate a training epoch's data time; the cache makes every epoch after the first
//! read a `.npy` instead. A different frontend config gets a different folder, so stale features are never used.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use earmark_core::audio::{AudioError, load_mono};
use earmark_core::frontend::{BatchFrontend, FrontendConfig, FrontendError};
use ndarray::Array2;
use sha2::{Digest, Sha256};

/// Why features could not be produced or stored.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The audio could not be read.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The config is invalid.
    #[error(transparent)]
    Frontend(#[from] FrontendError),
    /// Reading or writing the cache failed.
    #[error("feature cache at {}: {reason}", path.display())]
    Io {
        /// The cache file or folder.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

/// A cache folder for one frontend configuration.
pub struct FeatureCache {
    dir: PathBuf,
    frontend: BatchFrontend,
}

impl FeatureCache {
    /// Opens (creating if needed) `root/<config key>/` and records the config there as `config.json`.
    pub fn open(root: &Path, config: &FrontendConfig) -> Result<Self, CacheError> {
        let frontend = BatchFrontend::new(config)?;
        let dir = root.join(&config.cache_key()[..16]);
        let io = |e: std::io::Error| CacheError::Io { path: dir.clone(), reason: e.to_string() };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let config_file = dir.join("config.json");
        if !config_file.exists() {
            let json = serde_json::to_string_pretty(config).expect("configs serialise");
            std::fs::write(&config_file, json).map_err(io)?;
        }
        Ok(Self { dir, frontend })
    }

    /// The folder holding this configuration's features.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the features of `audio` are (or would be) stored: keyed by absolute path, size and modification time,
    /// so an edited file is analysed again.
    pub fn entry_path(&self, audio: &Path) -> Result<PathBuf, CacheError> {
        let io = |e: std::io::Error| CacheError::Io { path: audio.to_path_buf(), reason: e.to_string() };
        let absolute = std::fs::canonicalize(audio).map_err(io)?;
        let meta = std::fs::metadata(&absolute).map_err(io)?;
        let modified = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        let mut hasher = Sha256::new();
        hasher.update(absolute.as_os_str().as_encoded_bytes());
        hasher.update(meta.len().to_le_bytes());
        hasher.update(modified.to_le_bytes());
        let key: String = hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
        Ok(self.dir.join(format!("{key}.npy")))
    }

    /// The features of `audio` (frames × mels): from the cache when present, else computed and stored.
    pub fn features(&mut self, audio: &Path) -> Result<Array2<f32>, CacheError> {
        let entry = self.entry_path(audio)?;
        if let Ok(cached) = ndarray_npy::read_npy::<_, Array2<f32>>(&entry) {
            return Ok(cached);
        }
        let mono = load_mono(audio, self.frontend.config().sample_rate)?;
        let features = self.frontend.process(&mono.samples);
        // Atomic: an interrupted run never leaves a truncated entry that later reads as valid.
        let mut bytes = Vec::new();
        ndarray_npy::WriteNpyExt::write_npy(&features, &mut bytes)
            .map_err(|e| CacheError::Io { path: entry.clone(), reason: e.to_string() })?;
        crate::train::write_atomic(&entry, &bytes)
            .map_err(|e| CacheError::Io { path: entry.clone(), reason: e.to_string() })?;
        Ok(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_tone(path: &Path, seconds: f32) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 22_050,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        for n in 0..(22_050.0 * seconds) as usize {
            writer.write_sample((n as f32 * 0.05).sin() * 0.5).unwrap();
        }
        writer.finalize().unwrap();
    }

    #[test]
    fn second_read_comes_from_the_cache_and_configs_do_not_mix() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("a.wav");
        write_tone(&wav, 0.5);
        let config = FrontendConfig::default();
        let mut cache = FeatureCache::open(&dir.path().join("cache"), &config).unwrap();
        let first = cache.features(&wav).unwrap();
        assert_eq!(first.dim(), (config.frame_count(11_025), 128));
        // Overwrite the entry: a cache hit returns it unchanged, proving nothing was recomputed.
        let marker = Array2::<f32>::from_elem((2, 2), 7.0);
        ndarray_npy::write_npy(cache.entry_path(&wav).unwrap(), &marker).unwrap();
        assert_eq!(cache.features(&wav).unwrap(), marker);

        let other = FrontendConfig { n_mels: 40, ..config };
        let mut other_cache = FeatureCache::open(&dir.path().join("cache"), &other).unwrap();
        assert_ne!(other_cache.dir(), cache.dir());
        assert_eq!(other_cache.features(&wav).unwrap().ncols(), 40);
    }

    #[test]
    fn an_edited_file_is_analysed_again() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("a.wav");
        write_tone(&wav, 0.5);
        let mut cache = FeatureCache::open(dir.path(), &FrontendConfig::default()).unwrap();
        let before = cache.entry_path(&wav).unwrap();
        cache.features(&wav).unwrap();
        write_tone(&wav, 1.0);
        assert_ne!(cache.entry_path(&wav).unwrap(), before);
        assert_eq!(cache.features(&wav).unwrap().nrows(), FrontendConfig::default().frame_count(22_050));
    }

    #[test]
    fn unreadable_audio_is_an_error_and_leaves_no_entry() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.flac");
        std::fs::write(&bad, b"fLaC but nothing else").unwrap();
        let mut cache = FeatureCache::open(&dir.path().join("cache"), &FrontendConfig::default()).unwrap();
        assert!(matches!(cache.features(&bad), Err(CacheError::Audio(_))));
        let entries = std::fs::read_dir(cache.dir()).unwrap().count();
        assert_eq!(entries, 1, "only config.json");
    }
}
