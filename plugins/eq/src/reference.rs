//! Reference mode: the long-term spectrum of a reference track, loaded from a WAV file chosen in
//! the editor, turned into a tonal target and saved with the project (so reopening it does not
//! need the file again).

use dsp_core::assist::eq::EqAnalysis;
use dsp_core::assist::targets::Target;
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A loaded reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// File name shown in the editor.
    pub name: String,
    /// The tonal target derived from its spectrum.
    pub target: Target,
}

/// The reference shared by the editor (which loads it), the analysis thread (which aims at it)
/// and the saved state. Never touched by the audio thread.
#[derive(Default)]
pub struct ReferenceSlot {
    inner: Mutex<Option<Reference>>,
    generation: AtomicU64,
    /// The last load error, for the editor.
    error: Mutex<Option<String>>,
}

impl ReferenceSlot {
    /// The reference's target, if one is loaded.
    pub fn target(&self) -> Option<Target> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|r| r.target.clone())
    }

    /// The loaded reference's name.
    pub fn name(&self) -> Option<String> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|r| r.name.clone())
    }

    /// Changes whenever the reference changes.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Replaces the reference.
    pub fn set(&self, reference: Option<Reference>) {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = reference;
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The last load error.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records a load error.
    pub fn set_error(&self, message: String) {
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }
}

/// The reference as saved in the plugin state. Loading never fails: anything that is not a
/// valid reference loads as "no reference".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersistedReference(pub Option<Reference>);

impl Serialize for PersistedReference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PersistedReference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Self(
            serde_json::from_value::<Option<Reference>>(value)
                .ok()
                .flatten()
                .filter(|r| {
                    !r.target.points.is_empty()
                        && r.target
                            .points
                            .iter()
                            .all(|p| p.freq_hz.is_finite() && p.db.is_finite())
                }),
        ))
    }
}

impl<'a> PersistentField<'a, PersistedReference> for std::sync::Arc<ReferenceSlot> {
    fn set(&self, new_value: PersistedReference) {
        ReferenceSlot::set(self, new_value.0);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&PersistedReference) -> R,
    {
        f(&PersistedReference(
            self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        ))
    }
}

/// Reads a WAV file (16/24/32-bit integer or 32-bit float) and derives its tonal target.
/// Errors name the file and the problem in one line.
pub fn load_reference(path: &Path) -> Result<Reference, String> {
    let shown = path.display();
    let mut reader =
        hound::WavReader::open(path).map_err(|e| format!("{shown}: cannot read as WAV ({e})"))?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    if channels == 0 || channels > 8 {
        return Err(format!("{shown}: {channels} channels is not supported"));
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
    // Mono sum of the channels' powers is what the EQ analysis averages; feed them planar.
    let planar: Vec<Vec<f32>> = (0..channels.min(2))
        .map(|c| samples.iter().skip(c).step_by(channels).copied().collect())
        .collect();
    let view: Vec<&[f32]> = planar.iter().map(|c| c.as_slice()).collect();
    let result =
        EqAnalysis::analyze(&view, spec.sample_rate as f32).map_err(|e| format!("{shown}: {e}"))?;
    if result.heard_seconds <= 0.0 {
        return Err(format!("{shown}: silent"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "reference".into());
    Ok(Reference {
        target: result.reference_target(&name),
        name,
    })
}
