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

fn open_error(path: &Path, e: std::io::Error) -> FileError {
    match e.kind() {
        std::io::ErrorKind::NotFound => err(path, "file not found"),
        std::io::ErrorKind::PermissionDenied => err(path, "permission denied"),
        _ => err(path, format!("cannot read: {e}")),
    }
}

/// Checks that `path` is a readable, non-empty regular file and returns its first bytes.
fn check_file(path: &Path) -> Result<Vec<u8>, FileError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        return Err(err(path, "is a directory, not an audio file"));
    }
    if meta.len() == 0 {
        return Err(err(path, "file is empty"));
    }
    let mut head = Vec::with_capacity(12);
    std::fs::File::open(path)
        .map_err(|e| open_error(path, e))?
        .take(12)
        .read_to_end(&mut head)
        .map_err(|e| open_error(path, e))?;
    Ok(head)
}

/// Reads an audio file into planar f32, choosing the decoder by the file's content (not its
/// name): WAV (16/24/32-bit integer or 32-bit float PCM) through hound; FLAC, Ogg Vorbis and
/// MP3 through symphonia.
///
/// Refuses missing, unreadable, empty, truncated, non-audio and unsupported files and NaN/Inf
/// samples, with one line naming the file.
pub fn read_audio(path: &Path) -> Result<Audio, FileError> {
    let head = check_file(path)?;
    if head.starts_with(b"RIFF") || head.starts_with(b"RIFX") || head.starts_with(b"RF64") {
        return read_wav(path);
    }
    read_compressed(path, &head)
}

/// Reads a WAV file (16/24/32-bit integer or 32-bit float PCM) into planar f32.
///
/// Refuses missing, unreadable, empty, truncated and non-WAV files and NaN/Inf samples.
pub fn read_wav(path: &Path) -> Result<Audio, FileError> {
    check_file(path)?;
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
    finish(path, &interleaved, channels, spec.sample_rate)
}

/// Checks the decoded interleaved samples (not empty, all finite) and de-interleaves them.
fn finish(
    path: &Path,
    interleaved: &[f32],
    channels: usize,
    sample_rate: u32,
) -> Result<Audio, FileError> {
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
        sample_rate,
    })
}

fn check_layout(path: &Path, channels: usize, sample_rate: u32) -> Result<(), FileError> {
    if channels == 0 || channels > 8 {
        return Err(err(
            path,
            format!("{channels} channels is not supported (1–8)"),
        ));
    }
    if !(8_000..=768_000).contains(&sample_rate) {
        return Err(err(
            path,
            format!("sample rate {sample_rate} Hz is not supported (8000–768000)"),
        ));
    }
    Ok(())
}

/// FLAC, Ogg Vorbis and MP3 through symphonia. A decoder panic (malformed data symphonia did
/// not anticipate) is reported as a damaged file, never as a crash.
fn read_compressed(path: &Path, head: &[u8]) -> Result<Audio, FileError> {
    match std::panic::catch_unwind(|| decode_symphonia(path, head)) {
        Ok(r) => r,
        Err(payload) => Err(err(
            path,
            format!(
                "cannot decode, the file is damaged ({})",
                crate::panic_message(payload.as_ref())
            ),
        )),
    }
}

/// True when `head` starts like a FLAC, Ogg or MP3 file (so a failure is damage, not a
/// different kind of file).
fn looks_compressed(head: &[u8]) -> bool {
    head.starts_with(b"fLaC")
        || head.starts_with(b"OggS")
        || head.starts_with(b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
}

fn decode_symphonia(path: &Path, head: &[u8]) -> Result<Audio, FileError> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
    use symphonia::core::errors::Error as SymError;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    const NOT_AUDIO: &str =
        "not an audio file, or an unsupported format (WAV, FLAC, Ogg Vorbis and MP3 are read)";
    const TRUNCATED: &str = "file is truncated (it ends in the middle of the audio)";
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let format_opts = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, mss, &format_opts, &MetadataOptions::default())
        .map_err(|e| match e {
            SymError::IoError(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
                err(path, format!("cannot read: {e}"))
            }
            SymError::IoError(_) if looks_compressed(head) => err(path, TRUNCATED),
            SymError::IoError(_) => err(path, NOT_AUDIO),
            e if looks_compressed(head) => err(
                path,
                format!("file is damaged, its header cannot be read ({e})"),
            ),
            _ => err(path, NOT_AUDIO),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| err(path, "holds no audio track"))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| {
            if looks_compressed(head) {
                err(path, format!("unsupported audio codec ({e})"))
            } else {
                err(path, NOT_AUDIO)
            }
        })?;
    let mut channels = params.channels.map(|c| c.count()).unwrap_or(0);
    let mut sample_rate = params.sample_rate.unwrap_or(0);
    if channels > 0 && sample_rate > 0 {
        check_layout(path, channels, sample_rate)?;
    }
    let mut interleaved: Vec<f32> = Vec::new();
    let mut sample_buf: Option<SampleBuffer<f32>> = None;
    let mut damaged = 0usize;
    let mut last_failed = false;
    let mut stream_error = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::IoError(e)) => return Err(err(path, format!("cannot read: {e}"))),
            Err(SymError::ResetRequired) => {
                return Err(err(
                    path,
                    "the stream changes format midway, which is not supported",
                ))
            }
            Err(SymError::DecodeError(m)) => {
                stream_error = Some(m);
                break;
            }
            Err(e) => return Err(err(path, format!("cannot read the stream ({e})"))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymError::IoError(_)) | Err(SymError::DecodeError(_)) => {
                // A damaged or cut packet (symphonia's readers hand a truncated last packet to
                // the decoder): counted, and the file refused below.
                damaged += 1;
                last_failed = true;
                continue;
            }
            Err(e) => return Err(err(path, format!("cannot decode ({e})"))),
        };
        last_failed = false;
        let spec = *decoded.spec();
        let ch = spec.channels.count();
        if interleaved.is_empty() && sample_buf.is_none() {
            channels = ch;
            sample_rate = spec.rate;
            check_layout(path, channels, sample_rate)?;
        } else if ch != channels || spec.rate != sample_rate {
            return Err(err(
                path,
                "the stream changes channel count or sample rate midway, which is not supported",
            ));
        }
        if decoded.frames() == 0 {
            continue;
        }
        let buf = match &mut sample_buf {
            Some(b) if b.capacity() >= decoded.capacity() * ch => b,
            _ => sample_buf.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        interleaved.extend_from_slice(buf.samples());
    }
    if channels == 0 {
        return Err(err(path, "file holds no audio samples"));
    }
    let frames = (interleaved.len() / channels) as u64;
    let expected = params.n_frames.unwrap_or(0);
    if damaged > 0 && !looks_compressed(head) {
        // Data that merely happened to hold something like an MP3 frame header.
        return Err(err(path, NOT_AUDIO));
    }
    // A cut file hands its last, partial packet to the decoder; failures before it are damage.
    let damaged_midway = damaged - usize::from(last_failed);
    if damaged_midway > 0 {
        return Err(err(
            path,
            format!("file is damaged ({damaged_midway} packet(s) cannot be decoded)"),
        ));
    }
    if let Some(m) = stream_error {
        return Err(err(path, format!("file is damaged or truncated ({m})")));
    }
    if expected > 0 && frames < expected {
        return Err(err(
            path,
            format!(
                "file is truncated or damaged ({frames} of its {expected} frames can be decoded)"
            ),
        ));
    }
    if last_failed {
        return Err(err(path, TRUNCATED));
    }
    if expected > 0 && frames > expected {
        // The container's declared length ends mid-packet (Ogg's last granule position, the
        // encoder's padding): keep what it declares.
        interleaved.truncate(expected as usize * channels);
    }
    finish(path, &interleaved, channels, sample_rate)
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

/// The file `path` names, for telling whether two paths are one file: (device, inode) after
/// following symlinks; `None` when nothing is there yet.
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// `path` with its folder resolved (symlinks, `..`), for comparing outputs that do not exist
/// yet.
fn resolved(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(n)) => d.join(n),
        _ => path.to_path_buf(),
    }
}

/// True when `a` and `b` name the same file: the same device and inode (hard links and
/// symlinks included) or, when one does not exist yet, the same resolved path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (file_identity(a), file_identity(b)) {
        (Some(x), Some(y)) => x == y,
        _ => resolved(a) == resolved(b),
    }
}

/// The largest WAV data chunk (bytes): its size field and the RIFF size are 32-bit.
pub const MAX_WAV_DATA_BYTES: u64 = u32::MAX as u64 - 1024;

/// Checks that `frames` frames of `channels` channels fit in one WAV file in `format`.
pub fn check_wav_fits(
    path: &Path,
    frames: u64,
    channels: usize,
    format: OutFormat,
) -> Result<(), FileError> {
    let bytes_per_sample = match format {
        OutFormat::Int16 => 2,
        OutFormat::Int24 => 3,
        OutFormat::Float32 => 4,
    };
    let bytes = frames
        .saturating_mul(channels as u64)
        .saturating_mul(bytes_per_sample);
    if bytes > MAX_WAV_DATA_BYTES {
        return Err(err(
            path,
            format!(
                "the output would hold {:.1} GiB of audio, more than a WAV file can (4 GiB); \
                 use fewer bits, a lower --rate or a shorter input",
                bytes as f64 / (1u64 << 30) as f64
            ),
        ));
    }
    Ok(())
}

/// Reads at most `limit` bytes of text from `path` (a preset, a JSON file): larger is an error,
/// so a device or a huge file cannot exhaust memory.
pub fn read_text_bounded(path: &Path, limit: u64) -> Result<String, FileError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let mut text = String::new();
    file.take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|e| err(path, format!("cannot read: {e}")))?;
    if text.len() as u64 > limit {
        return Err(err(
            path,
            format!("larger than {} MiB: not a preset", limit >> 20),
        ));
    }
    Ok(text)
}

/// Checks that `path` can be an output file: its folder exists and it names a file.
pub fn check_output(path: &Path) -> Result<(), FileError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(err(path, "output folder does not exist"));
    }
    if path.file_name().is_none() {
        return Err(err(path, "not a file name"));
    }
    if path.is_dir() {
        return Err(err(path, "is a directory, not a file name"));
    }
    Ok(())
}

/// A finished output in a temporary file beside its destination, renamed into place by
/// [`Pending::commit`]; dropped uncommitted, the temporary file is removed.
#[derive(Debug)]
pub struct Pending {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Pending {
    /// Creates the temporary file exclusively (`create_new`: never an existing file or a
    /// symlink planted at its name) beside `dest`, under a name no other run uses.
    fn new(dest: &Path) -> Result<(Self, std::fs::File), FileError> {
        check_output(dest)?;
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = dest
            .file_name()
            .ok_or_else(|| err(dest, "not a file name"))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let tmp = dir.join(format!(
                ".{}.tmp-{}-{:x}-{attempt}",
                file_name.to_string_lossy(),
                std::process::id(),
                nanos
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => {
                    return Ok((
                        Self {
                            tmp,
                            dest: dest.to_path_buf(),
                            done: false,
                        },
                        f,
                    ))
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(err(dest, format!("cannot write: {e}"))),
            }
        }
        Err(err(dest, "cannot create a temporary file beside it"))
    }

    /// Renames the temporary file to its destination.
    pub fn commit(mut self) -> Result<(), FileError> {
        self.done = true;
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| {
            let _ = std::fs::remove_file(&self.tmp);
            err(&self.dest, format!("cannot write: {e}"))
        })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, to be renamed by [`Pending::commit`].
pub fn prepare_file(path: &Path, bytes: &[u8]) -> Result<Pending, FileError> {
    use std::io::Write;
    let (p, mut f) = Pending::new(path)?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    Ok(p)
}

/// Writes planar audio as WAV to a temporary file beside `path`, to be renamed by
/// [`Pending::commit`].
pub fn prepare_wav(path: &Path, audio: &Audio, format: OutFormat) -> Result<Pending, FileError> {
    check_wav_fits(path, audio.frames() as u64, audio.channels.len(), format)?;
    let (p, f) = Pending::new(path)?;
    write_wav_inner(&p.tmp, f, audio, format).map_err(|e| err(path, e.problem))?;
    Ok(p)
}

/// Writes planar audio to `path` atomically: a temporary file in the same folder is written
/// and renamed at the end, so a failure never leaves a half-written output behind.
pub fn write_wav(path: &Path, audio: &Audio, format: OutFormat) -> Result<(), FileError> {
    prepare_wav(path, audio, format)?.commit()
}

fn write_wav_inner(
    tmp: &Path,
    file: std::fs::File,
    audio: &Audio,
    format: OutFormat,
) -> Result<(), FileError> {
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
    let mut w = hound::WavWriter::new(std::io::BufWriter::new(file), spec).map_err(io)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Temporary files are created exclusively under unpredictable names: a symlink planted at
    /// the name an earlier version used (`.name.tmp-PID`) is not written through, two pending
    /// writes of one destination get two files, and a dropped one leaves nothing.
    #[test]
    fn temp_files_are_exclusive_and_never_follow_a_planted_symlink() {
        let d = std::env::temp_dir().join(format!("tandem-pending-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let victim = d.join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let dest = d.join("out.json");
        std::os::unix::fs::symlink(
            &victim,
            d.join(format!(".out.json.tmp-{}", std::process::id())),
        )
        .unwrap();
        let a = prepare_file(&dest, b"first").unwrap();
        let b = prepare_file(&dest, b"second").unwrap();
        assert_ne!(a.tmp, b.tmp);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        drop(b);
        a.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "first");
        let left: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-") && !n.ends_with(&std::process::id().to_string()))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn one_file_is_recognised_through_links_and_dots() {
        let d = std::env::temp_dir().join(format!("tandem-same-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        let f = d.join("a.wav");
        std::fs::write(&f, "x").unwrap();
        std::os::unix::fs::symlink(&f, d.join("l.wav")).unwrap();
        std::fs::hard_link(&f, d.join("h.wav")).unwrap();
        assert!(same_file(&f, &d.join("l.wav")));
        assert!(same_file(&f, &d.join("h.wav")));
        assert!(same_file(&f, &d.join("sub/../a.wav")));
        assert!(same_file(&d.join("new.wav"), &d.join("sub/../new.wav")));
        assert!(!same_file(&f, &d.join("new.wav")));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn wav_size_limit() {
        let p = Path::new("x.wav");
        assert!(check_wav_fits(p, 100_000_000, 2, OutFormat::Float32).is_ok());
        assert!(check_wav_fits(p, 600_000_000, 2, OutFormat::Float32).is_err());
        assert!(check_wav_fits(p, u64::MAX, 8, OutFormat::Int16).is_err());
    }
}
