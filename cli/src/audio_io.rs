//! Reading and writing audio files with clear, one-line errors.

use std::fmt;
use std::path::{Path, PathBuf};

/// Planar audio in memory.
#[derive(Debug, Clone)]
pub struct Audio {
    /// One Vec per channel, all the same length.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
}

impl Audio {
    /// Frames per channel.
    pub fn frames(&self) -> usize {
        self.channels.first().map(|c| c.len()).unwrap_or(0)
    }

    /// Duration in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / self.sample_rate as f64
    }

    /// Planar slices for dsp-core.
    pub fn slices(&self) -> Vec<&[f32]> {
        self.channels.iter().map(|c| c.as_slice()).collect()
    }
}

/// Why a file could not be used. Displayed as one line naming the file and the problem.
#[derive(Debug)]
pub struct FileError {
    /// The file concerned.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for FileError {}

fn err(path: &Path, problem: impl Into<String>) -> FileError {
    FileError {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Reads a WAV file (16/24/32-bit integer or 32-bit float PCM) into planar f32.
///
/// Refuses missing, unreadable, empty, truncated and non-WAV files and NaN/Inf samples.
pub fn read_wav(path: &Path) -> Result<Audio, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => err(path, "file not found"),
        std::io::ErrorKind::PermissionDenied => err(path, "permission denied"),
        _ => err(path, format!("cannot read: {e}")),
    })?;
    if meta.is_dir() {
        return Err(err(path, "is a directory, not an audio file"));
    }
    if meta.len() == 0 {
        return Err(err(path, "file is empty"));
    }
    let mut reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::FormatError(m) => {
            err(path, format!("not a WAV file or unsupported WAV ({m})"))
        }
        hound::Error::Unsupported => err(path, "unsupported WAV encoding"),
        hound::Error::IoError(e) => err(path, format!("cannot read: {e}")),
        other => err(path, format!("cannot read WAV: {other}")),
    })?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    if channels == 0 || channels > 8 {
        return Err(err(
            path,
            format!("{channels} channels is not supported (1–8)"),
        ));
    }
    if !(8_000..=768_000).contains(&spec.sample_rate) {
        return Err(err(
            path,
            format!(
                "sample rate {} Hz is not supported (8000–768000)",
                spec.sample_rate
            ),
        ));
    }
    let expected_frames = reader.duration() as usize;
    let mut interleaved: Vec<f32> = Vec::with_capacity(expected_frames * channels);
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for s in reader.samples::<f32>() {
                interleaved.push(s.map_err(|e| truncated(path, e))?);
            }
        }
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            for s in reader.samples::<i32>() {
                interleaved.push(s.map_err(|e| truncated(path, e))? as f32 * scale);
            }
        }
        (fmt, bits) => {
            return Err(err(
                path,
                format!("unsupported sample format {fmt:?} with {bits} bits"),
            ));
        }
    }
    if interleaved.len() < expected_frames * channels {
        return Err(err(
            path,
            "file is truncated (fewer samples than its header says)",
        ));
    }
    if interleaved.is_empty() {
        return Err(err(path, "file holds no audio samples"));
    }
    if let Some(i) = interleaved.iter().position(|x| !x.is_finite()) {
        return Err(err(
            path,
            format!(
                "sample {} is not a finite number (NaN or Inf)",
                i / channels
            ),
        ));
    }
    let frames = interleaved.len() / channels;
    let mut planar = vec![Vec::with_capacity(frames); channels];
    for frame in interleaved.chunks_exact(channels) {
        for (c, s) in frame.iter().enumerate() {
            planar[c].push(*s);
        }
    }
    Ok(Audio {
        channels: planar,
        sample_rate: spec.sample_rate,
    })
}

fn truncated(path: &Path, e: hound::Error) -> FileError {
    match e {
        hound::Error::IoError(_) => err(
            path,
            "file is truncated (fewer samples than its header says)",
        ),
        other => err(path, format!("cannot decode samples: {other}")),
    }
}

/// Output sample format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    /// 16-bit integer with TPDF dither.
    #[value(name = "16")]
    Int16,
    /// 24-bit integer (default).
    #[value(name = "24")]
    Int24,
    /// 32-bit float.
    #[value(name = "32f")]
    Float32,
}

/// Writes planar audio to `path` atomically: a temporary file in the same folder is written
/// and renamed at the end, so a failure never leaves a half-written output behind.
pub fn write_wav(path: &Path, audio: &Audio, format: OutFormat) -> Result<(), FileError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(err(path, "output folder does not exist"));
    }
    let file_name = path
        .file_name()
        .ok_or_else(|| err(path, "not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = write_wav_inner(&tmp, audio, format).and_then(|_| {
        std::fs::rename(&tmp, path).map_err(|e| err(path, format!("cannot write: {e}")))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_wav_inner(tmp: &Path, audio: &Audio, format: OutFormat) -> Result<(), FileError> {
    let channels = audio.channels.len() as u16;
    let (bits, sample_format) = match format {
        OutFormat::Int16 => (16, hound::SampleFormat::Int),
        OutFormat::Int24 => (24, hound::SampleFormat::Int),
        OutFormat::Float32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels,
        sample_rate: audio.sample_rate,
        bits_per_sample: bits,
        sample_format,
    };
    let io = |e: hound::Error| err(tmp, format!("cannot write: {e}"));
    let mut w = hound::WavWriter::create(tmp, spec).map_err(io)?;
    let mut dither = Tpdf::new(0x5eed);
    for i in 0..audio.frames() {
        for ch in &audio.channels {
            let x = ch[i];
            let x = if x.is_finite() { x } else { 0.0 };
            match format {
                OutFormat::Float32 => w.write_sample(x).map_err(io)?,
                OutFormat::Int24 => {
                    let q = (x as f64 * 8_388_608.0)
                        .round()
                        .clamp(-8_388_608.0, 8_388_607.0) as i32;
                    w.write_sample(q).map_err(io)?
                }
                OutFormat::Int16 => {
                    let d = dither.next();
                    let q = (x as f64 * 32_768.0 + d).round().clamp(-32_768.0, 32_767.0) as i16;
                    w.write_sample(q).map_err(io)?
                }
            }
        }
    }
    w.finalize().map_err(io)
}

/// Triangular-PDF dither of ±1 LSB peak (two uniform sources), from a small xorshift generator.
struct Tpdf(u64);

impl Tpdf {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
    fn next(&mut self) -> f64 {
        self.uniform() + self.uniform()
    }
}
