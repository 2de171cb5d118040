//! Suggestion engines: pure functions from measurements to proposed settings, shared by the
//! plugins (on their analysis threads), the `tandem` CLI and the tests.
//!
//! A [`Suggestion`] is what an assistant proposes: the value of every parameter it has an opinion
//! on (keyed by the plugins' stable parameter IDs, in plain units), a list of [`SuggestionItem`]s
//! an engineer can accept one by one, each with a reason in plain words with the measured
//! numbers and a confidence, and the measurements behind it. The same JSON is persisted in the
//! plugin state and printed by `tandem suggest --json`.

pub mod cancel;
pub mod comp;
pub mod eq;
pub mod excerpt;
pub mod master;
pub mod targets;

use crate::chains::Chain;
use crate::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An assistant as the plugins' analysis threads, the CLI and the benchmarks run it: a streaming
/// analysis of what the plugin hears, and a pure [`suggest`](Self::suggest) from what it
/// measured to a [`Suggestion`] for its chain's settings. Implemented by [`eq::EqAssistant`],
/// [`comp::CompAssistant`] and [`master::MasterAssistant`].
pub trait Assistant {
    /// The chain whose settings it proposes.
    type Chain: Chain;
    /// The streaming measurement, fed planar blocks.
    type Analysis: Send;
    /// What the analysis measured.
    type Result;
    /// What the engineer aims for: a tonal target (EQ), a style (Comp), a delivery target
    /// (Master).
    type Aim;
    /// The assistant's options.
    type Options: Default;
    /// Its key in [`Suggestion::assistant`].
    const KEY: &'static str;
    /// An analysis for a plugin's analysis thread (which listens all the time) of `channels`
    /// planar channels at `sample_rate_hz`.
    fn live(sample_rate_hz: f32, channels: usize) -> Result<Self::Analysis, ConfigError>;
    /// Feeds one planar block.
    fn process(analysis: &mut Self::Analysis, block: &[&[f32]]);
    /// Forgets everything heard.
    fn reset(analysis: &mut Self::Analysis);
    /// Seconds of non-silent audio heard.
    fn heard_seconds(analysis: &Self::Analysis) -> f32;
    /// Whether the estimate stopped changing (what the result's `stable` says), without
    /// building a result.
    fn is_stable(analysis: &Self::Analysis) -> bool;
    /// What the analysis measured so far.
    fn result(analysis: &Self::Analysis) -> Self::Result;
    /// The proposal for `current` settings, aiming at `aim`.
    fn suggest(
        result: &Self::Result,
        aim: &Self::Aim,
        options: &Self::Options,
        current: &<Self::Chain as Chain>::Settings,
    ) -> Suggestion;
}

/// The most frames the Comp's and the Master's analyses take in one step: a caller may feed a
/// whole file at once (the CLI does), and they copy the input (cleaned of non-finite samples)
/// only this much at a time.
pub const PROCESS_STEP_FRAMES: usize = 16_384;

/// The version of the [`Suggestion`] JSON layout. Bumped on breaking changes; older versions are
/// rejected on load (the plugin then simply has no suggestion, never a crash).
pub const SUGGESTION_FORMAT_VERSION: u32 = 1;

/// One proposed change an engineer can accept on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionItem {
    /// Stable key of the item, e.g. `"band3"`, `"threshold"`, `"limiter"`.
    pub key: String,
    /// Short human title, e.g. `"Cut 250 Hz by 2.5 dB"`.
    pub title: String,
    /// The parameters this item sets: stable parameter ID → plain value (Hz, dB, ms, ratio…).
    pub values: BTreeMap<String, f32>,
    /// Why, in plain words with the measured numbers.
    pub reason: String,
    /// Confidence 0–1 computed from the evidence (audio heard, stability across windows).
    pub confidence: f32,
}

/// Everything an assistant proposes, plus the measurements behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Layout version, see [`SUGGESTION_FORMAT_VERSION`].
    pub format_version: u32,
    /// Which assistant made it: `"eq"`, `"comp"` or `"master"`.
    pub assistant: String,
    /// The target or style it aimed for, e.g. `"Balanced"`, `"Glue"`, `"Spotify"`.
    pub target: String,
    /// The full suggested parameter set: stable parameter ID → plain value. Parameters not listed
    /// keep their neutral value when the suggestion is played or accepted.
    pub values: BTreeMap<String, f32>,
    /// The individual proposals, each acceptable on its own.
    pub items: Vec<SuggestionItem>,
    /// Overall confidence 0–1.
    pub confidence: f32,
    /// Seconds of non-silent audio the suggestion is based on.
    pub heard_seconds: f32,
    /// True once the estimate stopped changing between analysis windows.
    pub stable: bool,
    /// The measurements behind the suggestion (name → value, units in the name, e.g.
    /// `"integrated_lufs"`), for display and for scripts.
    pub measurements: BTreeMap<String, f64>,
    /// Warnings in plain words (e.g. "needs 6.3 dB of limiting; −16 LUFS keeps the transients").
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Suggestion {
    /// An empty suggestion for `assistant`.
    pub fn empty(assistant: &str, target: &str) -> Self {
        Self {
            format_version: SUGGESTION_FORMAT_VERSION,
            assistant: assistant.to_string(),
            target: target.to_string(),
            values: BTreeMap::new(),
            items: Vec::new(),
            confidence: 0.0,
            heard_seconds: 0.0,
            stable: false,
            measurements: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Parses and validates suggestion JSON (version, finite numbers, confidences in 0–1).
    pub fn from_json(json: &str) -> Result<Self, String> {
        let s: Suggestion = serde_json::from_str(json).map_err(|e| e.to_string())?;
        s.validate()?;
        Ok(s)
    }

    /// Checks the invariants every consumer relies on.
    pub fn validate(&self) -> Result<(), String> {
        if self.format_version != SUGGESTION_FORMAT_VERSION {
            return Err(format!(
                "suggestion format version {} is not supported (expected {})",
                self.format_version, SUGGESTION_FORMAT_VERSION
            ));
        }
        let finite = |m: &BTreeMap<String, f32>| m.values().all(|v| v.is_finite());
        if !finite(&self.values) || self.items.iter().any(|i| !finite(&i.values)) {
            return Err("suggestion holds a non-finite value".into());
        }
        let unit = |c: f32| (0.0..=1.0).contains(&c);
        if !unit(self.confidence) || self.items.iter().any(|i| !unit(i.confidence)) {
            return Err("suggestion confidence outside 0–1".into());
        }
        Ok(())
    }
}

/// How the proposals are scaled and applied: the pure decision behind "Accept" and "amount".
pub mod accept {
    use super::Suggestion;
    use std::collections::BTreeMap;

    /// What to accept.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Selection<'a> {
        /// Every item (and every value of the full suggested set).
        All,
        /// One item, by its key.
        Item(&'a str),
    }

    /// Scales a suggested value from neutral (`amount` = 0) to full (`amount` = 1).
    /// Parameters with no neutral value (a frequency, a mode) are taken as they are once
    /// `amount` > 0.
    pub fn scale(value: f32, neutral: Option<f32>, amount: f32) -> f32 {
        let amount = if amount.is_finite() {
            amount.clamp(0.0, 1.0)
        } else {
            1.0
        };
        match neutral {
            Some(n) => n + (value - n) * amount,
            None => value,
        }
    }

    /// The suggested parameter set as played by `compare = Suggested`: every parameter the
    /// suggestion names, scaled by `amount`; everything else at the manual value.
    /// `neutral` gives a parameter's neutral value (or `None` if it has none).
    pub fn suggested_set(
        suggestion: &Suggestion,
        manual: &BTreeMap<String, f32>,
        amount: f32,
        neutral: impl Fn(&str) -> Option<f32>,
    ) -> BTreeMap<String, f32> {
        let mut out = manual.clone();
        for (id, v) in &suggestion.values {
            out.insert(id.clone(), scale(*v, neutral(id), amount));
        }
        out
    }

    /// The parameter writes "Accept" performs: (stable parameter ID, plain value) in a stable
    /// order, only for parameters whose value actually changes (so an accept of an item that
    /// matches the manual settings writes nothing and leaves no needless automation).
    pub fn changes(
        suggestion: &Suggestion,
        manual: &BTreeMap<String, f32>,
        selection: Selection<'_>,
        amount: f32,
        neutral: impl Fn(&str) -> Option<f32>,
    ) -> Vec<(String, f32)> {
        let source: BTreeMap<String, f32> = match selection {
            Selection::All => suggestion.values.clone(),
            Selection::Item(key) => suggestion
                .items
                .iter()
                .find(|i| i.key == key)
                .map(|i| i.values.clone())
                .unwrap_or_default(),
        };
        source
            .into_iter()
            .filter_map(|(id, v)| {
                let target = scale(v, neutral(&id), amount);
                match manual.get(&id) {
                    Some(cur) if (cur - target).abs() <= 1e-6 * cur.abs().max(1.0) => None,
                    _ => Some((id, target)),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::accept::*;
    use super::*;

    fn sample() -> Suggestion {
        let mut s = Suggestion::empty("eq", "Balanced");
        s.values.insert("b1_gain".into(), -4.0);
        s.values.insert("b1_freq".into(), 250.0);
        s.values.insert("b2_gain".into(), 2.0);
        let mut v1 = BTreeMap::new();
        v1.insert("b1_gain".into(), -4.0);
        v1.insert("b1_freq".into(), 250.0);
        s.items.push(SuggestionItem {
            key: "band1".into(),
            title: "Cut 250 Hz".into(),
            values: v1,
            reason: "low-mids 4.1 dB above the target curve".into(),
            confidence: 0.8,
        });
        let mut v2 = BTreeMap::new();
        v2.insert("b2_gain".into(), 2.0);
        s.items.push(SuggestionItem {
            key: "band2".into(),
            title: "Lift 8 kHz".into(),
            values: v2,
            reason: "air 2.0 dB below".into(),
            confidence: 0.6,
        });
        s.confidence = 0.7;
        s
    }

    fn neutral(id: &str) -> Option<f32> {
        id.ends_with("_gain").then_some(0.0)
    }

    #[test]
    fn accept_one_item_writes_only_its_parameters_scaled() {
        let s = sample();
        let manual = BTreeMap::from([
            ("b1_gain".to_string(), 0.0),
            ("b1_freq".to_string(), 1000.0),
        ]);
        let c = changes(&s, &manual, Selection::Item("band1"), 0.5, neutral);
        assert_eq!(
            c,
            vec![
                ("b1_freq".to_string(), 250.0),
                ("b1_gain".to_string(), -2.0)
            ]
        );
        let none = changes(&s, &manual, Selection::Item("nope"), 1.0, neutral);
        assert!(none.is_empty());
    }

    #[test]
    fn accept_all_skips_unchanged_values() {
        let s = sample();
        let manual = BTreeMap::from([
            ("b1_gain".to_string(), -4.0),
            ("b1_freq".to_string(), 250.0),
        ]);
        let c = changes(&s, &manual, Selection::All, 1.0, neutral);
        assert_eq!(c, vec![("b2_gain".to_string(), 2.0)]);
    }

    #[test]
    fn amount_zero_is_neutral_and_suggested_set_keeps_manual_rest() {
        let s = sample();
        let manual = BTreeMap::from([("b1_gain".to_string(), 3.0), ("out_gain".to_string(), 1.5)]);
        let set = suggested_set(&s, &manual, 0.0, neutral);
        assert_eq!(set["b1_gain"], 0.0);
        assert_eq!(set["b1_freq"], 250.0);
        assert_eq!(set["out_gain"], 1.5);
    }

    #[test]
    fn json_round_trip_and_validation() {
        let s = sample();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(Suggestion::from_json(&json).unwrap(), s);
        let mut bad = s.clone();
        bad.format_version = 99;
        assert!(Suggestion::from_json(&serde_json::to_string(&bad).unwrap()).is_err());
        let mut bad = s;
        bad.confidence = 1.5;
        assert!(bad.validate().is_err());
        assert!(Suggestion::from_json("{not json").is_err());
    }
}

#[cfg(test)]
mod assistant_tests {
    use super::*;

    /// Runs assistant `A` live over 12 s of stereo pink noise whose level alternates every
    /// quarter second (so each assistant has something to propose), in 1000-frame blocks, and
    /// checks what it proposes: its own key, and only parameters of its chain's table, each at a
    /// value the parameter holds as is (in range, a whole menu index, a switch 0 or 1).
    fn proposes_its_chains_parameters<A: Assistant>(aim: A::Aim) {
        let sr = 48_000;
        let n = 12 * sr;
        let level = |i: usize| {
            if (i / (sr / 4)).is_multiple_of(2) {
                1.0
            } else {
                0.2
            }
        };
        let noise = |seed| -> Vec<f32> {
            let x = crate::testsignals::pink_noise(n, 0.2, seed);
            x.iter().enumerate().map(|(i, v)| v * level(i)).collect()
        };
        let (l, r) = (noise(11), noise(12));
        let mut a = A::live(sr as f32, 2).unwrap();
        for (bl, br) in l.chunks(1000).zip(r.chunks(1000)) {
            A::process(&mut a, &[bl, br]);
        }
        let s = A::suggest(
            &A::result(&a),
            &aim,
            &A::Options::default(),
            &Default::default(),
        );
        assert_eq!(s.assistant, A::KEY);
        assert!(!s.values.is_empty(), "{}: proposes something", A::KEY);
        let table = A::Chain::params();
        let item_values = s.items.iter().flat_map(|i| i.values.iter());
        for (id, &v) in s.values.iter().chain(item_values) {
            let p = table
                .iter()
                .find(|p| p.id == id)
                .unwrap_or_else(|| panic!("{}: {id} is not a parameter", A::KEY));
            assert_eq!(p.sanitize(v), v, "{}: {id} = {v}", A::KEY);
        }
    }

    #[test]
    fn each_assistant_proposes_its_chains_parameters() {
        use crate::assistant::targets::TargetId;
        proposes_its_chains_parameters::<eq::EqAssistant>(TargetId::Bright.target());
        proposes_its_chains_parameters::<comp::CompAssistant>(comp::CompStyle::ALL[1]);
        let spotify = master::Platform::ALL[0].target(-14.0, -1.0);
        proposes_its_chains_parameters::<master::MasterAssistant>(spotify);
    }
}
