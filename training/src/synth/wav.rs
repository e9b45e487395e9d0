//! Writing the generator's clips as mono WAV (16-bit PCM or 32-bit float) with `hound`, atomically.

use std::io;
use std::path::Path;

/// Sample format of written WAV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavFormat {
    /// 16-bit signed integer PCM (samples × 32767, rounded).
    Pcm16,
    /// 32-bit IEEE float.
    Float32,
}

/// The bytes of a mono WAV file holding `samples` (clamped to [−1, 1]; non-finite values become silence).
pub fn encode(samples: &[f32], sample_rate: u32, format: WavFormat) -> io::Result<Vec<u8>> {
    let (bits_per_sample, sample_format) = match format {
        WavFormat::Pcm16 => (16, hound::SampleFormat::Int),
        WavFormat::Float32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec { channels: 1, sample_rate, bits_per_sample, sample_format };
    let mut cursor = io::Cursor::new(Vec::with_capacity(44 + samples.len() * bits_per_sample as usize / 8));
    let mut writer = hound::WavWriter::new(&mut cursor, spec).map_err(io::Error::other)?;
    for &s in samples {
        let s = if s.is_finite() { s.clamp(-1.0, 1.0) } else { 0.0 };
        match format {
            WavFormat::Pcm16 => writer.write_sample((s * 32767.0).round() as i16),
            WavFormat::Float32 => writer.write_sample(s),
        }
        .map_err(io::Error::other)?;
    }
    writer.finalize().map_err(io::Error::other)?;
    Ok(cursor.into_inner())
}

/// Writes a mono WAV file atomically.
pub fn write(path: &Path, samples: &[f32], sample_rate: u32, format: WavFormat) -> io::Result<()> {
    crate::train::write_atomic(path, &encode(samples, sample_rate, format)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_clamped_and_read_back() {
        let bytes = encode(&[0.0, 1.0, -1.0, 2.0], 22050, WavFormat::Pcm16).unwrap();
        let reader = hound::WavReader::new(io::Cursor::new(bytes)).unwrap();
        assert_eq!(reader.spec().sample_rate, 22050);
        let read: Vec<i16> = reader.into_samples().map(Result::unwrap).collect();
        assert_eq!(read, [0, 32767, -32767, 32767]);
        let float = encode(&[0.5], 44100, WavFormat::Float32).unwrap();
        let read: Vec<f32> =
            hound::WavReader::new(io::Cursor::new(float)).unwrap().into_samples().map(Result::unwrap).collect();
        assert_eq!(read, [0.5]);
    }
}
