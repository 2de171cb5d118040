//! A reference track chosen in the editor (reference mode), shared by the editor (which loads
//! it on a helper thread), the analysis thread (which aims at it) and the saved state (so
//! reopening a project does not need the file again). Never touched by the audio thread.

use nice_plug::params::persist::PersistentField;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Holds the loaded reference `T` (what the plugin's assistant needs of it), a generation
/// counter and the last load error; loads through its [`Loader`].
pub struct ReferenceSlot<T> {
    inner: Mutex<Option<T>>,
    generation: AtomicU64,
    error: Mutex<Option<String>>,
    loader: Arc<Loader>,
}

impl<T> Default for ReferenceSlot<T> {
    /// A slot with a loader of its own.
    fn default() -> Self {
        Self::new(Arc::default())
    }
}

impl<T> ReferenceSlot<T> {
    /// An empty slot loading through `loader` (the plugin instance's, which the instance stops
    /// when it goes away: [`crate::params::TandemParams::loader`]).
    pub fn new(loader: Arc<Loader>) -> Self {
        Self {
            inner: Mutex::new(None),
            generation: AtomicU64::new(0),
            error: Mutex::new(None),
            loader,
        }
    }
}

/// The helper thread that reads and analyses a reference track (at most one at a time), with
/// what stops it. A plugin instance owns one ([`crate::params::TandemParams::loader`]) and stops
/// it when it goes away: the thread runs the plugin library's code, so it must not outlive it.
#[derive(Default)]
pub struct Loader {
    loading: AtomicBool,
    /// Asks a running load to stop (checked between chunks of the file).
    cancel: Arc<AtomicBool>,
    /// The loader thread, joined by [`Loader::shutdown`].
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Loader {
    /// True while a load runs.
    pub fn is_loading(&self) -> bool {
        self.loading.load(Ordering::Acquire)
    }

    /// Asks a running load to stop (the editor's Cancel); returns at once.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Release);
    }

    /// Stops a running load and waits for its thread (the plugin instance is going away).
    pub fn shutdown(&self) {
        self.cancel();
        if let Some(h) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
    }
}

/// The longest reference track read, in seconds (30 minutes; the editor says so).
pub const MAX_REFERENCE_SECONDS: u64 = 30 * 60;

/// What the editor says about the files it reads as references.
pub const REFERENCE_LIMIT_TEXT: &str = "WAV, up to 30 minutes (read in one-second chunks)";

/// Resets the loading flag however the loader ends (returns, errs, panics).
struct LoadingGuard<'a>(&'a AtomicBool);

impl Drop for LoadingGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<T: Clone + Send + 'static> ReferenceSlot<T> {
    /// A copy of the loaded reference.
    pub fn get(&self) -> Option<T> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the reference (clears the last error).
    pub fn set(&self, reference: Option<T>) {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = reference;
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Changes whenever the reference changes.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The last load error (one line naming the file and the problem).
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// True while a load runs.
    pub fn is_loading(&self) -> bool {
        self.loader.is_loading()
    }

    /// Loads a reference with `load` on a helper thread (reading and analysing a whole song
    /// takes a moment; the editor must not freeze). The result or the error lands in the slot.
    /// `load` gets a "cancelled?" check to poll between chunks. A panic in it is caught and
    /// reported; the loading flag is reset however it ends. Ignored while a load runs.
    pub fn load_in_background(
        self: &Arc<Self>,
        path: std::path::PathBuf,
        load: fn(&std::path::Path, &dyn Fn() -> bool) -> Result<T, String>,
    ) {
        let loader = &self.loader;
        if loader.loading.swap(true, Ordering::AcqRel) {
            return;
        }
        // The previous loader has finished (loading was false): reap it.
        if let Some(h) = loader
            .worker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            let _ = h.join();
        }
        loader.cancel.store(false, Ordering::Release);
        let slot = self.clone();
        let spawned = std::thread::Builder::new()
            .name("Tandem reference".into())
            .spawn(move || {
                let _guard = LoadingGuard(&slot.loader.loading);
                let cancel = slot.loader.cancel.clone();
                let cancelled = move || cancel.load(Ordering::Acquire);
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    load(&path, &cancelled)
                }))
                .unwrap_or_else(|_| {
                    Err(format!(
                        "{}: the reference could not be analysed (internal error)",
                        path.display()
                    ))
                });
                match result {
                    Ok(r) => slot.set(Some(r)),
                    Err(_) if cancelled() => {
                        *slot.error.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(format!("{}: loading cancelled", display_name(&path)))
                    }
                    Err(e) => *slot.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e),
                }
            });
        match spawned {
            Ok(h) => *loader.worker.lock().unwrap_or_else(|e| e.into_inner()) = Some(h),
            Err(_) => loader.loading.store(false, Ordering::Release),
        }
    }

    /// Asks a running load to stop (the editor's Cancel); returns at once.
    pub fn cancel_loading(&self) {
        self.loader.cancel();
    }
}

/// A WAV file opened for streaming: its rate and channel count are known before any audio is
/// read, so the analyses can be built first and fed chunk by chunk (memory stays bounded).
pub struct WavStream {
    reader: hound::WavReader<std::io::BufReader<std::fs::File>>,
    path: std::path::PathBuf,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channels fed to the analyses (the file's first two).
    pub channels: usize,
    file_channels: usize,
}

impl WavStream {
    /// Opens `path`: a regular file (a FIFO or a device would block or never end), a WAV of
    /// 1–8 channels at 8–768 kHz, at most [`MAX_REFERENCE_SECONDS`] long. Errors are one line
    /// naming the file and the problem.
    pub fn open(path: &std::path::Path) -> Result<Self, String> {
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read ({e})"))?;
        if !meta.is_file() {
            return Err(format!("{shown}: not a regular file"));
        }
        let reader = hound::WavReader::open(path)
            .map_err(|e| format!("{shown}: cannot read as WAV ({e})"))?;
        let spec = reader.spec();
        let channels = spec.channels as usize;
        if channels == 0 || channels > 8 {
            return Err(format!("{shown}: {channels} channels is not supported"));
        }
        if !(8_000..=768_000).contains(&spec.sample_rate) {
            return Err(format!(
                "{shown}: sample rate {} Hz is not supported",
                spec.sample_rate
            ));
        }
        let seconds = reader.duration() as u64 / spec.sample_rate as u64;
        if seconds > MAX_REFERENCE_SECONDS {
            return Err(format!(
                "{shown}: {} minutes long; a reference may be up to {} minutes",
                seconds / 60,
                MAX_REFERENCE_SECONDS / 60
            ));
        }
        Ok(Self {
            reader,
            path: path.to_path_buf(),
            sample_rate: spec.sample_rate,
            channels: channels.min(2),
            file_channels: channels,
        })
    }

    /// Reads the whole file in one-second chunks of planar audio (the first two channels),
    /// handing each to `each`, stopping with an error when `cancelled()` turns true. Returns the
    /// frames read. Errors: truncated or corrupt data, NaN/Inf samples, shorter than a second.
    pub fn for_each_chunk(
        mut self,
        cancelled: &dyn Fn() -> bool,
        each: &mut dyn FnMut(&[&[f32]]),
    ) -> Result<u64, String> {
        let shown = self.path.display().to_string();
        let spec = self.reader.spec();
        let shape = (
            self.sample_rate as usize * self.file_channels,
            self.channels,
            self.file_channels,
        );
        let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(8, 32) - 1)) as f32;
        let frames = match spec.sample_format {
            hound::SampleFormat::Float => {
                stream(self.reader.samples::<f32>(), shape, cancelled, each, &shown)?
            }
            hound::SampleFormat::Int => stream(
                self.reader
                    .samples::<i32>()
                    .map(|r| r.map(|v| v as f32 * scale)),
                shape,
                cancelled,
                each,
                &shown,
            )?,
        };
        if frames < self.sample_rate as u64 {
            return Err(format!("{shown}: shorter than one second"));
        }
        Ok(frames)
    }
}

/// The chunk loop of [`WavStream::for_each_chunk`] over any sample iterator; `shape` is
/// (samples per chunk, channels handed on, channels in the file).
fn stream(
    mut samples: impl Iterator<Item = Result<f32, hound::Error>>,
    (chunk, channels, file_channels): (usize, usize, usize),
    cancelled: &dyn Fn() -> bool,
    each: &mut dyn FnMut(&[&[f32]]),
    shown: &str,
) -> Result<u64, String> {
    let mut inter: Vec<f32> = Vec::with_capacity(chunk);
    let mut planar: Vec<Vec<f32>> = vec![Vec::with_capacity(chunk / file_channels); channels];
    let mut frames = 0u64;
    loop {
        if cancelled() {
            return Err(format!("{shown}: loading cancelled"));
        }
        inter.clear();
        for s in samples.by_ref().take(chunk) {
            inter.push(s.map_err(|e| format!("{shown}: truncated or corrupt ({e})"))?);
        }
        if !feed_chunk(
            &inter,
            &mut planar,
            channels,
            file_channels,
            &mut frames,
            each,
            shown,
        )? {
            return Ok(frames);
        }
    }
}

/// De-interleaves one chunk and hands it on; false when the chunk was empty (the end).
fn feed_chunk(
    inter: &[f32],
    planar: &mut [Vec<f32>],
    channels: usize,
    file_channels: usize,
    frames: &mut u64,
    each: &mut dyn FnMut(&[&[f32]]),
    shown: &str,
) -> Result<bool, String> {
    let n = inter.len() / file_channels;
    if n == 0 {
        return Ok(false);
    }
    if inter.iter().any(|x| !x.is_finite()) {
        return Err(format!("{shown}: holds NaN or infinite samples"));
    }
    for (c, p) in planar.iter_mut().enumerate().take(channels) {
        p.clear();
        p.extend(inter.iter().skip(c).step_by(file_channels).take(n));
    }
    let view: Vec<&[f32]> = planar.iter().map(|p| p.as_slice()).collect();
    each(&view);
    *frames += n as u64;
    Ok(true)
}

/// The file name of `path` for display.
pub fn display_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "reference".into())
}

/// The reference as saved in the plugin state. Loading never fails: anything that is not a
/// valid reference loads as "no reference".
#[derive(Debug, Clone, PartialEq)]
pub struct PersistedReference<T>(pub Option<T>);

impl<T: Serialize> Serialize for PersistedReference<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for PersistedReference<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Self(
            serde_json::from_value::<Option<T>>(value).ok().flatten(),
        ))
    }
}

impl<'a, T> PersistentField<'a, PersistedReference<T>> for Arc<ReferenceSlot<T>>
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    fn set(&self, new_value: PersistedReference<T>) {
        ReferenceSlot::set(self, new_value.0);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&PersistedReference<T>) -> R,
    {
        f(&PersistedReference(self.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_round_trip_and_garbage_loads_as_none() {
        let slot: Arc<ReferenceSlot<Vec<f32>>> = Arc::new(ReferenceSlot::default());
        ReferenceSlot::set(&slot, Some(vec![1.0, 2.5]));
        let json = slot.map(|v| serde_json::to_string(v).unwrap());
        let other: Arc<ReferenceSlot<Vec<f32>>> = Arc::new(ReferenceSlot::default());
        let g = other.generation();
        PersistentField::set(&other, serde_json::from_str(&json).unwrap());
        assert_eq!(other.get(), Some(vec![1.0, 2.5]));
        assert_ne!(other.generation(), g);
        let garbage: PersistedReference<Vec<f32>> =
            serde_json::from_str("{\"not\": \"a reference\"}").unwrap();
        assert_eq!(garbage.0, None);
    }

    #[test]
    fn background_load_reports_errors() {
        let slot: Arc<ReferenceSlot<Vec<f32>>> = Arc::new(ReferenceSlot::default());
        slot.load_in_background("/nonexistent.wav".into(), |p, _| {
            Err(format!("{}: file not found", p.display()))
        });
        let t0 = std::time::Instant::now();
        while slot.error().is_none() && t0.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(
            slot.error().as_deref(),
            Some("/nonexistent.wav: file not found")
        );
        assert!(slot.get().is_none());
    }

    /// A loader that panics leaves the slot usable: the flag is reset, the error says so, and
    /// the next load runs.
    #[test]
    fn a_panicking_loader_resets_the_flag() {
        let slot: Arc<ReferenceSlot<Vec<f32>>> = Arc::new(ReferenceSlot::default());
        slot.load_in_background("x.wav".into(), |_, _| panic!("decoder bug"));
        let t0 = std::time::Instant::now();
        while (slot.is_loading() || slot.error().is_none()) && t0.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!slot.is_loading());
        assert!(slot.error().unwrap().contains("internal error"));
        slot.load_in_background("y.wav".into(), |_, _| Ok(vec![1.0]));
        let t0 = std::time::Instant::now();
        while slot.get().is_none() && t0.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(slot.get(), Some(vec![1.0]));
        assert!(slot.error().is_none());
    }

    /// A FIFO (or any non-regular file) is refused before it is opened (opening would block
    /// until a writer appears), and a load can be cancelled or stopped with the instance.
    #[test]
    fn fifos_are_refused_and_loads_cancel_and_stop() {
        let d = std::env::temp_dir().join(format!("tandem-ref-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let fifo = d.join("pipe.wav");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = WavStream::open(&fifo).err().unwrap();
            assert!(e.contains("not a regular file"), "{e}");
        }
        assert!(WavStream::open(&d)
            .err()
            .unwrap()
            .contains("not a regular file"));
        // A loader that only stops when cancelled: Cancel ends it, and so does shutdown.
        let slot: Arc<ReferenceSlot<Vec<f32>>> = Arc::new(ReferenceSlot::default());
        fn endless(_: &std::path::Path, cancelled: &dyn Fn() -> bool) -> Result<Vec<f32>, String> {
            while !cancelled() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err("stopped".into())
        }
        slot.load_in_background("song.wav".into(), endless);
        assert!(slot.is_loading());
        slot.cancel_loading();
        let t0 = std::time::Instant::now();
        while slot.is_loading() && t0.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(!slot.is_loading());
        assert_eq!(slot.error().as_deref(), Some("song.wav: loading cancelled"));
        // The instance's loader, shared with its slot, stops the slot's load.
        let loader = Arc::new(Loader::default());
        let slot: Arc<ReferenceSlot<Vec<f32>>> = Arc::new(ReferenceSlot::new(loader.clone()));
        slot.load_in_background("song.wav".into(), endless);
        assert!(loader.is_loading());
        let t0 = std::time::Instant::now();
        loader.shutdown();
        assert!(t0.elapsed().as_millis() < 500);
        assert!(!slot.is_loading());
        let _ = std::fs::remove_dir_all(&d);
    }

    /// The stream reads a file in one-second chunks of at most two channels, the whole of it.
    #[test]
    fn wav_streams_in_one_second_chunks() {
        let d = std::env::temp_dir().join(format!("tandem-wav-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let path = d.join("three.wav");
        let spec = hound::WavSpec {
            channels: 3,
            sample_rate: 8_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..8_000 * 5 / 2 {
            for c in 0..3i16 {
                w.write_sample((i % 100) as i16 * (c + 1)).unwrap();
            }
        }
        w.finalize().unwrap();
        let wav = WavStream::open(&path).unwrap();
        assert_eq!((wav.sample_rate, wav.channels), (8_000, 2));
        let mut sizes = Vec::new();
        let frames = wav
            .for_each_chunk(&|| false, &mut |c| {
                assert_eq!(c.len(), 2);
                sizes.push(c[0].len());
            })
            .unwrap();
        assert_eq!(frames, 20_000);
        assert_eq!(sizes, vec![8_000, 8_000, 4_000]);
        let _ = std::fs::remove_dir_all(&d);
    }
}
