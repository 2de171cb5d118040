//! Manual / Suggested compare with level matching, and the assistant parameters every plugin
//! shares (`compare`, `match_levels`, `amount`).
//!
//! One DSP chain plays either the manual parameter set or the suggested one; the switch glides
//! the chain's own parameter smoothing (≤ 20 ms) and a trim gain, so there is no click and no
//! doubled CPU. With level matching on, the suggested set is trimmed by the loudness difference
//! the analysis thread measured by rendering its recent audio through both sets, so louder never
//! wins by accident. The manual set is never trimmed: Manual plays exactly the engineer's sound.

use atomic_float::AtomicF32;
use dsp_core::util::{db_to_gain, LinearSmoother};
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;

/// Which parameter set drives the DSP.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// The host-visible parameters: what the DAW automates and saves.
    #[id = "manual"]
    Manual,
    /// The assistant's latest suggestion, scaled by `amount`.
    #[id = "suggested"]
    Suggested,
}

/// A switch parameter whose text input only accepts on/off words (`on`, `off`, `true`, `false`,
/// `yes`, `no`, `1`, `0`); anything else is refused instead of silently switching off.
pub fn switch_param(name: impl Into<String>, default: bool) -> BoolParam {
    BoolParam::new(name, default).with_string_to_value(std::sync::Arc::new(|s: &str| {
        match s.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => Some(true),
            "off" | "false" | "no" | "0" => Some(false),
            _ => None,
        }
    }))
}

/// Length of the compare crossfade (parameter glide and trim ramp), in ms.
pub const COMPARE_CROSSFADE_MS: f32 = 20.0;

/// The assistant parameters shared by all three plugins. Nest it with
/// `#[nested(group = "Assistant")]`; the IDs are stable and never renamed.
#[derive(Params)]
pub struct AssistantParams {
    /// Manual or Suggested.
    #[id = "compare"]
    pub compare: EnumParam<Compare>,
    /// Trim the suggested set so both play equally loud (Manual is never changed).
    #[id = "match_levels"]
    pub match_levels: BoolParam,
    /// Scales the suggestion from neutral (0 %) to full (100 %), as a 0–1 fraction.
    #[id = "amount"]
    pub amount: FloatParam,
}

impl Default for AssistantParams {
    fn default() -> Self {
        Self {
            compare: EnumParam::new("Compare", Compare::Manual),
            match_levels: switch_param("Match Levels", true),
            amount: FloatParam::new("Amount", 1.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_unit(" %")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
        }
    }
}

/// The trims (dB) applied to the manual and the suggested set so both play at the same
/// loudness. `offset_lu` is suggested minus manual loudness; unknown (NaN) or matching off means
/// no trim. The manual set is never touched — with `compare = Manual` the plugin plays exactly
/// the engineer's settings, whatever the assistant proposes — so the suggested set carries the
/// whole correction: turned down when it is louder, and turned up when it is quieter if
/// `allow_boost` (not for a chain that ends in a ceiling it must hold, where a quieter
/// suggestion stays unmatched and the editor says so).
pub fn match_trims_db(offset_lu: f32, match_levels: bool, allow_boost: bool) -> (f32, f32) {
    if !match_levels || !offset_lu.is_finite() {
        return (0.0, 0.0);
    }
    let offset = offset_lu.clamp(-24.0, 24.0);
    if offset > 0.0 || allow_boost {
        (0.0, -offset)
    } else {
        (0.0, 0.0)
    }
}

/// Audio-thread side of the compare switch: which set plays and the smoothed trim gain.
pub struct CompareState {
    trim: LinearSmoother,
    /// Whether a quieter suggestion may be turned up (see [`match_trims_db`]).
    allow_boost: bool,
    /// The set that played in the last block.
    active: Compare,
}

impl CompareState {
    /// A switch resting on Manual with unity trim.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            allow_boost: true,
            trim: LinearSmoother::new(1.0, COMPARE_CROSSFADE_MS, sample_rate),
            active: Compare::Manual,
        }
    }

    /// Whether a quieter suggestion may be turned up to match (default true).
    pub fn with_boost(mut self, allow_boost: bool) -> Self {
        self.allow_boost = allow_boost;
        self
    }

    /// Resets to the current choice with the trim at its target (no ramp).
    pub fn reset(&mut self, compare: Compare, trim_gain: f32) {
        self.active = compare;
        self.trim.reset(trim_gain);
    }

    /// Called once per block: decides which set plays (Suggested only when a suggestion exists)
    /// and sets the trim target. Returns the set to use for this block.
    pub fn begin_block(
        &mut self,
        requested: Compare,
        has_suggestion: bool,
        offset_lu: &AtomicF32,
        match_levels: bool,
    ) -> Compare {
        let active = if requested == Compare::Suggested && has_suggestion {
            Compare::Suggested
        } else {
            Compare::Manual
        };
        let (manual_db, suggested_db) = match_trims_db(
            offset_lu.load(Ordering::Relaxed),
            match_levels,
            self.allow_boost,
        );
        let trim_db = if active == Compare::Suggested {
            suggested_db
        } else {
            manual_db
        };
        self.trim.set_target(db_to_gain(trim_db));
        self.active = active;
        active
    }

    /// The trim gain for the next sample (ramps over [`COMPARE_CROSSFADE_MS`]).
    #[inline]
    pub fn next_trim(&mut self) -> f32 {
        self.trim.tick()
    }

    /// True when the trim is exactly unity and not ramping, so the block can skip it and the
    /// output is bit-for-bit the chain's.
    #[inline]
    pub fn is_unity(&self) -> bool {
        !self.trim.is_smoothing() && self.trim.current() == 1.0
    }

    /// Applies the trim to planar channels in place.
    pub fn apply_trim(&mut self, channels: &mut [&mut [f32]]) {
        if self.is_unity() {
            return;
        }
        let len = channels.first().map(|c| c.len()).unwrap_or(0);
        for i in 0..len {
            let g = self.trim.tick();
            for ch in channels.iter_mut() {
                ch[i] *= g;
            }
        }
    }

    /// The set that played in the last block.
    pub fn active(&self) -> Compare {
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_is_never_trimmed_and_suggested_carries_the_match() {
        assert_eq!(match_trims_db(3.0, true, true), (0.0, -3.0));
        assert_eq!(match_trims_db(-2.0, true, true), (0.0, 2.0));
        assert_eq!(match_trims_db(-2.0, true, false), (0.0, 0.0));
        assert_eq!(match_trims_db(3.0, false, true), (0.0, 0.0));
        assert_eq!(match_trims_db(f32::NAN, true, true), (0.0, 0.0));
    }

    #[test]
    fn manual_without_offset_is_bit_exact_and_switch_ramps() {
        let offset = AtomicF32::new(f32::NAN);
        let mut st = CompareState::new(48_000.0);
        assert_eq!(
            st.begin_block(Compare::Suggested, false, &offset, true),
            Compare::Manual
        );
        let mut a = [0.3f32, -0.7, 0.11];
        let orig = a;
        st.apply_trim(&mut [&mut a[..]]);
        assert_eq!(a, orig);

        offset.store(6.0, Ordering::Relaxed);
        assert_eq!(
            st.begin_block(Compare::Suggested, true, &offset, true),
            Compare::Suggested
        );
        // Ramp to −6 dB over 20 ms = 960 samples; never a step larger than a 960th of the change.
        let mut prev = 1.0f32;
        let target = db_to_gain(-6.0);
        for _ in 0..2000 {
            let g = st.next_trim();
            assert!(
                (g - prev).abs() <= (1.0 - target) / 960.0 + 1e-6,
                "{g} {prev}"
            );
            prev = g;
        }
        assert!((prev - target).abs() < 1e-6);
    }
}
