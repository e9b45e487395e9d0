//! Reading audio files (wav, flac, mp3, ogg/vorbis via symphonia) and bringing them to a model's sample rate
//! (rubato). Shared by the offline analyser and the training crate's datasets.

use std::fs::File;
use std::path::{Path, PathBuf};

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
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
        let mut mono = Vec::with_capacity(self.frames());
        downmix_into(&self.samples, self.channels, &mut mono);
        mono
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

/// A file decoded block by block, so that memory stays flat however long the file is (`earmark analyze` over a
/// catalogue). [`decode_file`] is this stream collected.
pub struct AudioStream {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    sample_rate: u32,
    channels: usize,
    skipped_packets: usize,
    /// The block most recently decoded (interleaved); `pending` when `open` decoded it to learn the format.
    block: Vec<f32>,
    pending: bool,
    frames: u64,
    ended: bool,
}

impl std::fmt::Debug for AudioStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioStream").field("path", &self.path).field("sample_rate", &self.sample_rate).finish()
    }
}

impl AudioStream {
    /// Opens the first audio track of `path` and decodes its first block (the rate and channel count a container
    /// leaves out are known only then).
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let file = File::open(path).map_err(|source| AudioError::Open { path: path.to_path_buf(), source })?;
        let stream = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let unsupported =
            |e: SymphoniaError| AudioError::Unsupported { path: path.to_path_buf(), reason: e.to_string() };
        let format = symphonia::default::get_probe()
            .probe(&hint, stream, FormatOptions::default(), MetadataOptions::default())
            .map_err(unsupported)?;
        let track =
            format.default_track(TrackType::Audio).ok_or(AudioError::NoAudioTrack { path: path.to_path_buf() })?;
        let track_id = track.id;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or(AudioError::NoAudioTrack { path: path.to_path_buf() })?
            .clone();
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(unsupported)?;
        let mut stream = Self {
            path: path.to_path_buf(),
            format,
            decoder,
            track_id,
            sample_rate: params.sample_rate.unwrap_or(0),
            channels: params.channels.as_ref().map_or(0, |c| c.count()),
            skipped_packets: 0,
            block: Vec::new(),
            pending: false,
            frames: 0,
            ended: false,
        };
        stream.pending = stream.decode_next()?;
        if stream.sample_rate == 0 || stream.channels == 0 {
            return Err(stream.corrupt("no decodable audio (unknown sample rate or channel count)".into()));
        }
        if !stream.pending && stream.skipped_packets > 0 {
            return Err(stream.corrupt(format!("all {} packets failed to decode", stream.skipped_packets)));
        }
        Ok(stream)
    }

    fn corrupt(&self, reason: String) -> AudioError {
        AudioError::Corrupt { path: self.path.clone(), reason }
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channel count (≥ 1).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Packets that failed to decode and were skipped so far (see [`DecodedAudio::skipped_packets`]).
    pub fn skipped_packets(&self) -> usize {
        self.skipped_packets
    }

    /// Frames (samples per channel) handed out so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The next block of interleaved samples, `None` at the end. A damaged packet is skipped and counted; a
    /// truncated file ends where its data ends.
    pub fn next_block(&mut self) -> Result<Option<&[f32]>, AudioError> {
        let has_block = if self.pending {
            self.pending = false;
            true
        } else {
            self.decode_next()?
        };
        if !has_block {
            return Ok(None);
        }
        self.frames += (self.block.len() / self.channels) as u64;
        Ok(Some(&self.block))
    }

    /// Decodes packets into `block` until one decodes; false at the end of the track.
    fn decode_next(&mut self) -> Result<bool, AudioError> {
        while !self.ended {
            let packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                // A truncated file ends like this; keep what was decoded.
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) if self.frames == 0 && !self.pending => return Err(self.corrupt(e.to_string())),
                Err(_) => {
                    self.skipped_packets += 1;
                    break;
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(buffer) => {
                    let (rate, channels) = (buffer.spec().rate(), buffer.spec().channels().count());
                    if self.frames > 0 && (rate != self.sample_rate || channels != self.channels) {
                        return Err(self.corrupt(format!(
                            "the stream changes from {} Hz × {} channels to {rate} Hz × {channels} mid-file",
                            self.sample_rate, self.channels
                        )));
                    }
                    (self.sample_rate, self.channels) = (rate, channels);
                    self.block.resize(buffer.samples_interleaved(), 0.0);
                    buffer.copy_to_slice_interleaved(&mut self.block);
                    if !self.block.is_empty() {
                        return Ok(true);
                    }
                }
                Err(SymphoniaError::DecodeError(_)) => self.skipped_packets += 1,
                Err(e) => return Err(self.corrupt(e.to_string())),
            }
        }
        self.ended = true;
        Ok(false)
    }
}

/// Decodes the first audio track of `path` whole.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, AudioError> {
    let mut stream = AudioStream::open(path)?;
    let mut samples = Vec::new();
    while let Some(block) = stream.next_block()? {
        samples.extend_from_slice(block);
    }
    Ok(DecodedAudio {
        sample_rate: stream.sample_rate,
        channels: stream.channels,
        samples,
        skipped_packets: stream.skipped_packets,
    })
}

/// Mixes interleaved `samples` of `channels` channels down to mono into `out` (cleared first): the plugin
/// analyses a mono downmix too.
pub fn downmix_into(samples: &[f32], channels: usize, out: &mut Vec<f32>) {
    out.clear();
    if channels == 1 {
        out.extend_from_slice(samples);
        return;
    }
    let scale = 1.0 / channels as f32;
    out.extend(samples.chunks_exact(channels).map(|frame| frame.iter().sum::<f32>() * scale));
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

    /// A stereo 16-bit WAV of `frames` frames: left a ramp, right its negation.
    fn write_stereo(path: &Path, frames: usize) {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 22_050,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        for n in 0..frames {
            let v = ((n % 2000) as i32 - 1000) as i16 * 16;
            writer.write_sample(v).unwrap();
            writer.write_sample(-v / 2).unwrap();
        }
        writer.finalize().unwrap();
    }

    #[test]
    fn a_stream_hands_out_the_whole_file_block_by_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        write_stereo(&path, 50_000);
        let whole = decode_file(&path).unwrap();
        assert_eq!((whole.sample_rate, whole.channels, whole.frames()), (22_050, 2, 50_000));
        let mut stream = AudioStream::open(&path).unwrap();
        let (mut blocks, mut joined, mut mono) = (0, Vec::new(), Vec::new());
        let mut mono_joined = Vec::new();
        while let Some(block) = stream.next_block().unwrap() {
            blocks += 1;
            joined.extend_from_slice(block);
            downmix_into(block, 2, &mut mono);
            mono_joined.extend_from_slice(&mono);
        }
        assert!(blocks > 3, "decoded in {blocks} blocks: not streamed");
        assert_eq!(joined, whole.samples);
        assert_eq!(stream.frames(), 50_000);
        assert_eq!(mono_joined, whole.to_mono());
        assert!((whole.to_mono()[1] - (whole.samples[2] + whole.samples[3]) / 2.0).abs() < 1e-7);
        // Cut mid-file (an interrupted copy): what is there is decoded, without an error.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.wav");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let mut stream = AudioStream::open(&cut).unwrap();
        while stream.next_block().unwrap().is_some() {}
        assert!((20_000..30_000).contains(&stream.frames()), "{} frames of the cut file", stream.frames());
    }
}
