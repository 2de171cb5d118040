//! The suggested parameter set: persisted with the plugin state (so reopening a project shows
//! the same suggestion without relearning) and readable from the audio thread through atomics.

use atomic_float::AtomicF32;
use dsp_core::assistant::Suggestion;
use dsp_core::chains::params::ParamInfo;
use nice_plug::params::persist::PersistentField;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

/// Holds the latest suggestion.
///
/// - The editor and the state (de)serialisation use the full [`Suggestion`] behind a mutex; the
///   audio thread never touches it.
/// - The audio thread reads the suggested plain values per assistable parameter from atomics
///   (`NaN` = "the suggestion has no opinion, play the manual value").
pub struct SuggestionStore {
    /// The chain's parameter table, in the order the audio thread indexes the values.
    params: &'static [ParamInfo],
    full: Mutex<Option<Suggestion>>,
    values: Box<[AtomicF32]>,
    present: AtomicBool,
    /// Bumped on every change, so readers can tell a new suggestion arrived.
    generation: AtomicU32,
}

impl SuggestionStore {
    /// An empty store for a chain's parameter table ([`dsp_core::chains::Chain::params`]).
    pub fn new(params: &'static [ParamInfo]) -> Self {
        Self {
            params,
            full: Mutex::new(None),
            values: params.iter().map(|_| AtomicF32::new(f32::NAN)).collect(),
            present: AtomicBool::new(false),
            generation: AtomicU32::new(0),
        }
    }

    /// The parameter table the values follow, in index order.
    pub fn params(&self) -> &'static [ParamInfo] {
        self.params
    }

    /// Replaces the suggestion (or clears it with `None`). Invalid suggestions are refused and
    /// leave the store unchanged. Not for the audio thread.
    pub fn set_suggestion(&self, suggestion: Option<Suggestion>) -> Result<(), String> {
        self.set_if(suggestion, None).map(|_| ())
    }

    /// Replaces the suggestion only while the store is still at `generation` (nobody else wrote
    /// since it was read): the analysis thread's writes, so a suggestion the host restores while
    /// a solve runs is never overwritten by the solve's result. Returns the store's new
    /// generation when it was written, `None` when someone else wrote first.
    pub fn set_suggestion_if_unchanged(
        &self,
        suggestion: Option<Suggestion>,
        generation: u32,
    ) -> Result<Option<u32>, String> {
        self.set_if(suggestion, Some(generation))
    }

    fn set_if(
        &self,
        suggestion: Option<Suggestion>,
        expected: Option<u32>,
    ) -> Result<Option<u32>, String> {
        if let Some(s) = &suggestion {
            s.validate()?;
        }
        let mut guard = self.full.lock().unwrap_or_else(|e| e.into_inner());
        // Every write holds the lock, so the generation cannot move between this check and the
        // write below.
        if expected.is_some_and(|g| g != self.generation.load(Ordering::Acquire)) {
            return Ok(None);
        }
        for (i, p) in self.params.iter().enumerate() {
            let v = suggestion
                .as_ref()
                .and_then(|s| s.values.get(p.id).copied())
                .unwrap_or(f32::NAN);
            self.values[i].store(v, Ordering::Relaxed);
        }
        self.present.store(suggestion.is_some(), Ordering::Release);
        *guard = suggestion;
        Ok(Some(
            self.generation
                .fetch_add(1, Ordering::AcqRel)
                .wrapping_add(1),
        ))
    }

    /// A copy of the current suggestion. Not for the audio thread.
    pub fn suggestion(&self) -> Option<Suggestion> {
        self.full.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// True when a suggestion is held. Real-time safe.
    #[inline]
    pub fn has_suggestion(&self) -> bool {
        self.present.load(Ordering::Acquire)
    }

    /// The suggested plain value of assistable parameter `index`, or `NaN` when the suggestion
    /// has no opinion on it. Real-time safe.
    #[inline]
    pub fn value(&self, index: usize) -> f32 {
        self.values
            .get(index)
            .map(|v| v.load(Ordering::Relaxed))
            .unwrap_or(f32::NAN)
    }

    /// Changes every time the suggestion changes. Real-time safe.
    #[inline]
    pub fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }
}

/// The suggestion as saved in the plugin state: the suggestion JSON (or `null`). Loading never
/// fails: anything that is not a valid suggestion of this version loads as "no suggestion".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersistedSuggestion(pub Option<Suggestion>);

impl serde::Serialize for PersistedSuggestion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for PersistedSuggestion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Self(
            serde_json::from_value::<Option<Suggestion>>(value)
                .ok()
                .flatten()
                .filter(|s| s.validate().is_ok()),
        ))
    }
}

impl<'a> PersistentField<'a, PersistedSuggestion> for std::sync::Arc<SuggestionStore> {
    fn set(&self, new_value: PersistedSuggestion) {
        PersistentField::set(self.as_ref(), new_value.0);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&PersistedSuggestion) -> R,
    {
        f(&PersistedSuggestion(self.suggestion()))
    }
}

impl<'a> PersistentField<'a, Option<Suggestion>> for SuggestionStore {
    fn set(&self, new_value: Option<Suggestion>) {
        // A foreign or outdated suggestion in the state is dropped rather than half-applied.
        if self.set_suggestion(new_value).is_err() {
            let _ = self.set_suggestion(None);
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<Suggestion>) -> R,
    {
        f(&self.full.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A one-parameter table (the output gain) for the tests' stores.
#[cfg(test)]
pub(crate) const TEST_OUT_GAIN: &[ParamInfo] = &[ParamInfo::float(
    "out_gain",
    "Output Gain",
    "dB",
    -24.0,
    24.0,
    0.0,
    Some(0.0),
)];

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: &[ParamInfo] = &[
        ParamInfo::float("b1_gain", "Gain", "dB", -24.0, 24.0, 0.0, Some(0.0)),
        ParamInfo::float("b1_freq", "Freq", "Hz", 10.0, 30_000.0, 60.0, None),
        ParamInfo::float("out_gain", "Output Gain", "dB", -24.0, 24.0, 0.0, Some(0.0)),
    ];

    #[test]
    fn values_follow_the_suggestion_and_persist_round_trip() {
        let store = SuggestionStore::new(IDS);
        assert!(!store.has_suggestion());
        assert!(store.value(0).is_nan());
        let mut s = Suggestion::empty("eq", "Flat");
        s.values.insert("b1_gain".into(), -3.0);
        s.values.insert("b1_freq".into(), 300.0);
        let g0 = store.generation();
        store.set_suggestion(Some(s.clone())).unwrap();
        assert!(store.has_suggestion());
        assert_eq!(store.value(0), -3.0);
        assert_eq!(store.value(1), 300.0);
        assert!(store.value(2).is_nan());
        assert_ne!(store.generation(), g0);

        // What nice-plug does on save and load.
        let json = store.map(|v| serde_json::to_string(v).unwrap());
        let other = SuggestionStore::new(IDS);
        PersistentField::set(
            &other,
            serde_json::from_str::<Option<Suggestion>>(&json).unwrap(),
        );
        assert_eq!(other.suggestion(), Some(s));
        assert_eq!(other.value(1), 300.0);
    }

    #[test]
    fn invalid_suggestions_are_refused() {
        let store = SuggestionStore::new(IDS);
        let mut s = Suggestion::empty("eq", "Flat");
        s.values.insert("b1_gain".into(), f32::NAN);
        assert!(store.set_suggestion(Some(s.clone())).is_err());
        PersistentField::set(&store, Some(s));
        assert!(!store.has_suggestion());
    }
}
