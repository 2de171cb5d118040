//! A reference track chosen in the editor (reference mode), shared by the editor (which loads
//! it on a helper thread), the analysis thread (which aims at it) and the saved state (so
//! reopening a project does not need the file again). Never touched by the audio thread.

use nice_plug::params::persist::PersistentField;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Holds the loaded reference `T` (what the plugin's assistant needs of it), a generation
/// counter and the last load error.
pub struct ReferenceSlot<T> {
    inner: Mutex<Option<T>>,
    generation: AtomicU64,
    error: Mutex<Option<String>>,
    loading: std::sync::atomic::AtomicBool,
}

impl<T> Default for ReferenceSlot<T> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(None),
            generation: AtomicU64::new(0),
            error: Mutex::new(None),
            loading: std::sync::atomic::AtomicBool::new(false),
        }
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
        self.loading.load(Ordering::Acquire)
    }

    /// Loads a reference with `load` on a helper thread (reading and analysing a whole song
    /// takes a moment; the editor must not freeze). The result or the error lands in the slot.
    pub fn load_in_background(
        self: &Arc<Self>,
        path: std::path::PathBuf,
        load: fn(&std::path::Path) -> Result<T, String>,
    ) {
        if self.loading.swap(true, Ordering::AcqRel) {
            return;
        }
        let slot = self.clone();
        let spawned = std::thread::Builder::new()
            .name("Tandem reference".into())
            .spawn(move || {
                match load(&path) {
                    Ok(r) => slot.set(Some(r)),
                    Err(e) => *slot.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e),
                }
                slot.loading.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            self.loading.store(false, Ordering::Release);
        }
    }
}

/// Reads a WAV file (16/24/32-bit integer or 32-bit float) into planar channels (at most the
/// first two) and its sample rate, for analysing a reference track. Errors are one line naming
/// the file and the problem.
pub fn read_wav_planar(path: &std::path::Path) -> Result<(Vec<Vec<f32>>, u32), String> {
    let shown = path.display();
    let mut reader =
        hound::WavReader::open(path).map_err(|e| format!("{shown}: cannot read as WAV ({e})"))?;
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
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{shown}: truncated or corrupt ({e})"))?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(8, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{shown}: truncated or corrupt ({e})"))?
        }
    };
    if samples.len() < channels * spec.sample_rate as usize {
        return Err(format!("{shown}: shorter than one second"));
    }
    if samples.iter().any(|x| !x.is_finite()) {
        return Err(format!("{shown}: holds NaN or infinite samples"));
    }
    let planar = (0..channels.min(2))
        .map(|c| samples.iter().skip(c).step_by(channels).copied().collect())
        .collect();
    Ok((planar, spec.sample_rate))
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
        slot.load_in_background("/nonexistent.wav".into(), |p| {
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
}
