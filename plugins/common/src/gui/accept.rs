//! Writing accepted suggestions into the host-visible parameters.
//!
//! Every write goes through the host gesture sequence (begin → set → end), exactly as if the
//! engineer had moved the control, so the host records automation and an undo step. Which values
//! are written is decided by the pure [`dsp_core::assistant::accept::changes`]; this module only
//! looks parameters up by their stable ID and talks to the host.

use nice_plug::prelude::{ParamPtr, ParamSetter, Params};
use std::collections::BTreeMap;

/// The plugin's parameters by stable ID, built once from [`Params::param_map`].
///
/// The pointers stay valid for as long as the `Params` object they were taken from lives; the
/// editor keeps that `Arc` alive, so an index held next to it is safe to use.
pub struct ParamIndex {
    ptrs: BTreeMap<String, ParamPtr>,
}

impl ParamIndex {
    /// Indexes every parameter of `params` (nested groups included) by its stable ID.
    pub fn new(params: &dyn Params) -> Self {
        Self {
            ptrs: params
                .param_map()
                .into_iter()
                .map(|(id, ptr, _group)| (id, ptr))
                .collect(),
        }
    }

    /// The parameter with this stable ID.
    pub fn get(&self, id: &str) -> Option<ParamPtr> {
        self.ptrs.get(id).copied()
    }

    /// Number of indexed parameters.
    pub fn len(&self) -> usize {
        self.ptrs.len()
    }

    /// True when the plugin has no parameters.
    pub fn is_empty(&self) -> bool {
        self.ptrs.is_empty()
    }

    /// The engineer's (unmodulated) plain values by stable ID: the `manual` input of
    /// [`dsp_core::assistant::accept::changes`]. Booleans read 0/1, enums their variant index.
    pub fn manual_values(&self) -> BTreeMap<String, f32> {
        self.ptrs
            .iter()
            // SAFETY: the pointers come from a `Params` object the caller keeps alive.
            .map(|(id, ptr)| (id.clone(), unsafe { ptr.unmodulated_plain_value() }))
            .collect()
    }

    /// The normalized value the host should receive for a plain value of parameter `id`
    /// (snapped to the parameter's steps, clamped to 0–1). `None` for an unknown ID or a
    /// non-finite value.
    pub fn plain_to_normalized(&self, id: &str, plain: f32) -> Option<f32> {
        if !plain.is_finite() {
            return None;
        }
        let ptr = self.get(id)?;
        // SAFETY: see `manual_values`.
        let normalized = unsafe { ptr.preview_normalized(plain) };
        normalized.is_finite().then(|| normalized.clamp(0.0, 1.0))
    }

    /// Writes `(stable ID, plain value)` pairs through the host gesture sequence. All gestures
    /// are opened first, then every value is set, then all gestures are closed, so hosts that
    /// group overlapping gestures record one undo step for an "Accept all". Unknown IDs and
    /// non-finite values are skipped. Returns how many parameters were written.
    ///
    /// Must be called from the GUI thread (as every [`ParamSetter`] call).
    pub fn apply(&self, setter: &ParamSetter, changes: &[(String, f32)]) -> usize {
        let writes: Vec<(ParamPtr, f32)> = changes
            .iter()
            .filter_map(|(id, plain)| Some((self.get(id)?, self.plain_to_normalized(id, *plain)?)))
            .collect();
        let ctx = setter.raw_context;
        // SAFETY: every pointer was obtained from the plugin's own `param_map()`, and the
        // `Params` object it points into outlives the editor.
        unsafe {
            for (ptr, _) in &writes {
                ctx.raw_begin_set_parameter(*ptr);
            }
            for (ptr, normalized) in &writes {
                ctx.raw_set_parameter_normalized(*ptr, *normalized);
            }
            for (ptr, _) in &writes {
                ctx.raw_end_set_parameter(*ptr);
            }
        }
        writes.len()
    }
}

/// Writes `(stable ID, plain value)` pairs into `params` through the host gesture sequence
/// (begin → set → end) so the host records automation and undo. Looks the parameters up by ID
/// via [`Params::param_map`]; unknown IDs are skipped. Returns how many parameters were written.
///
/// Editors that accept repeatedly should keep a [`ParamIndex`] instead of rebuilding it.
pub fn apply_changes(
    setter: &ParamSetter,
    params: &dyn Params,
    changes: &[(String, f32)],
) -> usize {
    ParamIndex::new(params).apply(setter, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::manual_values;
    use dsp_core::assistant::accept::{changes, Selection};
    use dsp_core::assistant::{Suggestion, SuggestionItem};
    use nice_plug::prelude::*;
    use std::sync::Mutex;

    #[derive(Params)]
    struct TestParams {
        #[id = "b1_gain"]
        gain: FloatParam,
        #[id = "b1_freq"]
        freq: FloatParam,
        #[id = "bypass"]
        bypass: BoolParam,
        #[id = "mode"]
        mode: IntParam,
    }

    impl Default for TestParams {
        fn default() -> Self {
            Self {
                gain: FloatParam::new(
                    "Gain",
                    0.0,
                    FloatRange::Linear {
                        min: -24.0,
                        max: 24.0,
                    },
                ),
                freq: FloatParam::new(
                    "Freq",
                    1000.0,
                    FloatRange::Skewed {
                        min: 20.0,
                        max: 20_000.0,
                        factor: FloatRange::skew_factor(-2.0),
                    },
                ),
                bypass: BoolParam::new("Bypass", false),
                mode: IntParam::new("Mode", 1, IntRange::Linear { min: 0, max: 3 }),
            }
        }
    }

    #[derive(Debug, PartialEq)]
    enum Call {
        Begin(ParamPtr),
        Set(ParamPtr, f32),
        End(ParamPtr),
    }

    /// A host stand-in that records the calls and applies the values like a wrapper would.
    #[derive(Default)]
    struct RecordingHost {
        calls: Mutex<Vec<Call>>,
    }

    impl GuiContextInner for RecordingHost {
        fn plugin_api(&self) -> PluginApi {
            PluginApi::Clap
        }
        unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
            self.calls.lock().unwrap().push(Call::Begin(param));
        }
        unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
            unsafe { param._internal_set_normalized_value(normalized) };
            self.calls
                .lock()
                .unwrap()
                .push(Call::Set(param, normalized));
        }
        unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
            self.calls.lock().unwrap().push(Call::End(param));
        }
        fn get_state(&self) -> PluginState {
            unimplemented!()
        }
        fn set_state(&self, _state: PluginState) {}
        fn request_restart(&self) {}
    }

    fn suggestion() -> Suggestion {
        let mut s = Suggestion::empty("eq", "Balanced");
        s.values.insert("b1_gain".into(), -4.0);
        s.values.insert("b1_freq".into(), 250.0);
        s.items.push(SuggestionItem {
            key: "band1".into(),
            title: "Cut 250 Hz by 4 dB".into(),
            values: s.values.clone(),
            reason: "low-mids 4.1 dB above target".into(),
            confidence: 0.8,
        });
        s
    }

    #[test]
    fn manual_values_read_plain_units_by_id() {
        let p = TestParams::default();
        let m = manual_values(&p);
        assert_eq!(m["b1_gain"], 0.0);
        assert!((m["b1_freq"] - 1000.0).abs() < 1e-2);
        assert_eq!(m["bypass"], 0.0);
        assert_eq!(m["mode"], 1.0);
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn accept_writes_through_gestures_and_lands_on_the_plain_values() {
        let p = TestParams::default();
        let host = RecordingHost::default();
        let setter = ParamSetter::new(&host);
        let neutral = |id: &str| id.ends_with("_gain").then_some(0.0);

        let c = changes(
            &suggestion(),
            &manual_values(&p),
            Selection::Item("band1"),
            0.5,
            neutral,
        );
        assert_eq!(apply_changes(&setter, &p, &c), 2);
        assert_eq!(p.gain.unmodulated_plain_value(), -2.0);
        assert!((p.freq.unmodulated_plain_value() - 250.0).abs() < 0.05);

        // Begin for all, then sets, then ends: every set is inside its own gesture.
        let calls = host.calls.lock().unwrap();
        assert_eq!(calls.len(), 6);
        assert!(matches!(calls[0], Call::Begin(_)) && matches!(calls[1], Call::Begin(_)));
        assert!(matches!(calls[2], Call::Set(..)) && matches!(calls[3], Call::Set(..)));
        assert!(matches!(calls[4], Call::End(_)) && matches!(calls[5], Call::End(_)));
        drop(calls);

        // Accepting again changes nothing, so nothing is written (no needless automation).
        let again = changes(
            &suggestion(),
            &manual_values(&p),
            Selection::Item("band1"),
            0.5,
            neutral,
        );
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn unknown_ids_and_non_finite_values_are_skipped() {
        let p = TestParams::default();
        let host = RecordingHost::default();
        let setter = ParamSetter::new(&host);
        let n = apply_changes(
            &setter,
            &p,
            &[
                ("nope".into(), 1.0),
                ("b1_gain".into(), f32::NAN),
                ("bypass".into(), 1.0),
                ("mode".into(), 3.0),
                ("b1_gain".into(), 100.0),
            ],
        );
        assert_eq!(n, 3);
        assert!(p.bypass.value());
        assert_eq!(p.mode.value(), 3);
        // Out-of-range plain values are clamped to the range, never beyond.
        assert_eq!(p.gain.unmodulated_plain_value(), 24.0);
    }
}
