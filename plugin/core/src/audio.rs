//! Reading audio files (wav, flac, mp3, ogg/vorbis via symphonia) and bringing them to a model's sample rate
//! (rubato). Shared by the offline analyser and the training crate's datasets.

use std::fs::File;
use std::path::{Path, PathBuf};

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Why a file could not be turned into samples.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a format or codec we read.
    #[error("{} is not a supported audio file (wav, flac, mp3, ogg/vorbis): {reason}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// symphonia's reason.
        reason: String,
    },
    /// The container has no audio track.
    #[error("{} has no audio track", path.display())]
    NoAudioTrack {
        /// The file.
        path: PathBuf,
    },
    /// Decoding failed beyond recovery (nothing usable was decoded).
    #[error("{} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// A file or folder named on the command line does not exist, or a folder cannot be listed.
    #[error("{}: {reason}", path.display())]
    Input {
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Resampling was impossible (a zero or absurd rate).
    #[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
    Resample {
        /// Source rate.
        from: u32,
        /// Target rate.
        to: u32,
        /// rubato's reason.
        reason: String,
    },
}

/// Decoded audio, interleaved.
#[derive(Debug, Clone)]
pub struct DecodedAudio {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channel count (≥ 1).
    pub channels: usize,
    /// Interleaved samples in [-1, 1].
    pub samples: Vec<f32>,
    /// Packets that failed to decode and were skipped (a damaged stretch, not a failed file).
    pub skipped_packets: usize,
}

impl DecodedAudio {
    /// Frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels
    }

    /// Duration in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
    }

    /// Mean of the channels: the plugin analyses a mono downmix too.
    pub fn to_mono(&self) -> Vec<f32> {
        if self.channels == 1 {
            return self.samples.clone();
        }
        let scale = 1.0 / self.channels as f32;
        self.samples.chunks_exact(self.channels).map(|frame| frame.iter().sum::<f32>() * scale).collect()
    }
}

/// File extensions searched for inside folders.
pub const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "flac", "mp3", "ogg"];

/// The audio files among `inputs`, sorted: files are taken as given (the decoder judges them), folders are
/// searched recursively for [`AUDIO_EXTENSIONS`]. A path that does not exist is an error.
pub fn find_audio_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, AudioError> {
    let is_audio = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
    };
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut stack = vec![input.clone()];
            while let Some(dir) = stack.pop() {
                let entries = std::fs::read_dir(&dir)
                    .map_err(|e| AudioError::Input { path: dir.clone(), reason: format!("cannot list: {e}") })?;
                for path in entries.flatten().map(|entry| entry.path()) {
                    if path.is_dir() {
                        stack.push(path);
                    } else if is_audio(&path) {
                        files.push(path);
                    }
                }
            }
        } else if input.exists() {
            files.push(input.clone());
        } else {
            return Err(AudioError::Input { path: input.clone(), reason: "does not exist".into() });
        }
    }
    files.sort();
    Ok(files)
}

/// Decodes the first audio track of `path`.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, AudioError> {
    let file = File::open(path).map_err(|source| AudioError::Open { path: path.to_path_buf(), source })?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let unsupported = |e: SymphoniaError| AudioError::Unsupported { path: path.to_path_buf(), reason: e.to_string() };
    let mut format = symphonia::default::get_probe()
        .probe(&hint, stream, FormatOptions::default(), MetadataOptions::default())
        .map_err(unsupported)?;
    let track = format.default_track(TrackType::Audio).ok_or(AudioError::NoAudioTrack { path: path.to_path_buf() })?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or(AudioError::NoAudioTrack { path: path.to_path_buf() })?
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| AudioError::Unsupported { path: path.to_path_buf(), reason: e.to_string() })?;

    let mut samples: Vec<f32> = Vec::new();
    let mut block: Vec<f32> = Vec::new();
    let mut sample_rate = params.sample_rate.unwrap_or(0);
    let mut channels = params.channels.as_ref().map_or(0, |c| c.count());
    let mut skipped_packets = 0;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A truncated file ends like this; keep what was decoded.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(e) if samples.is_empty() => {
                return Err(AudioError::Corrupt { path: path.to_path_buf(), reason: e.to_string() });
            }
            Err(_) => {
                skipped_packets += 1;
                break;
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buffer) => {
                sample_rate = buffer.spec().rate();
                channels = buffer.spec().channels().count();
                block.resize(buffer.samples_interleaved(), 0.0);
                buffer.copy_to_slice_interleaved(&mut block);
                samples.extend_from_slice(&block);
            }
            Err(SymphoniaError::DecodeError(_)) => skipped_packets += 1,
            Err(e) => {
                return Err(AudioError::Corrupt { path: path.to_path_buf(), reason: e.to_string() });
            }
        }
    }
    if sample_rate == 0 || channels == 0 {
        return Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: "no decodable audio (unknown sample rate or channel count)".into(),
        });
    }
    if samples.is_empty() && skipped_packets > 0 {
        return Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("all {skipped_packets} packets failed to decode"),
        });
    }
    Ok(DecodedAudio { sample_rate, channels, samples, skipped_packets })
}

/// Resamples a mono signal from `from` Hz to `to` Hz with rubato's FFT resampler (no-op when equal).
pub fn resample_mono(signal: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    if from == to || signal.is_empty() {
        return Ok(signal.to_vec());
    }
    let fail = |reason: String| AudioError::Resample { from, to, reason };
    let mut resampler =
        Fft::<f32>::new(from as usize, to as usize, 1024, 1, FixedSync::Input).map_err(|e| fail(e.to_string()))?;
    let input = InterleavedSlice::new(signal, 1, signal.len()).map_err(|e| fail(e.to_string()))?;
    let output = resampler.process_all(&input, signal.len(), None).map_err(|e| fail(e.to_string()))?;
    Ok(output.take_data())
}

/// A file brought to one model's input format: mono at the requested rate.
#[derive(Debug, Clone)]
pub struct MonoAudio {
    /// Mono samples at `sample_rate`.
    pub samples: Vec<f32>,
    /// Their rate in Hz.
    pub sample_rate: u32,
    /// The file's own rate.
    pub source_rate: u32,
    /// The file's channel count.
    pub source_channels: usize,
    /// Packets skipped while decoding (see [`DecodedAudio::skipped_packets`]).
    pub skipped_packets: usize,
}

/// Decodes `path`, downmixes to mono and resamples to `sample_rate`: what a model's frontend expects.
pub fn load_mono(path: &Path, sample_rate: u32) -> Result<MonoAudio, AudioError> {
    let decoded = decode_file(path)?;
    Ok(MonoAudio {
        samples: resample_mono(&decoded.to_mono(), decoded.sample_rate, sample_rate)?,
        sample_rate,
        source_rate: decoded.sample_rate,
        source_channels: decoded.channels,
        skipped_packets: decoded.skipped_packets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_searched_for_audio_and_missing_paths_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for name in ["b.WAV", "sub/a.flac", "notes.txt", "sub/c.ogg"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let named = dir.path().join("notes.txt");
        let files = find_audio_files(&[dir.path().to_path_buf(), named.clone()]).unwrap();
        let expected =
            [dir.path().join("b.WAV"), named.clone(), dir.path().join("sub/a.flac"), dir.path().join("sub/c.ogg")];
        assert_eq!(files, expected, "folder members by extension, named files as given, sorted");
        let err = find_audio_files(&[dir.path().join("nowhere.wav")]).unwrap_err();
        assert!(err.to_string().contains("nowhere.wav: does not exist"), "{err}");
    }
}
