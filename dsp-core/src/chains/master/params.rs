//! The Tandem Master's parameter table: every parameter's stable ID, name, unit, range, default
//! and neutral value ([`PARAMS`]), and one getter and setter per entry, so a parameter is read or
//! set by index without comparing strings.

use super::*;

/// How a parameter's plain value is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A continuous value in `min..=max`.
    Float,
    /// 0 = off, 1 = on (≥ 0.5 reads as on).
    Bool,
    /// An enum index `0..=max` (rounded).
    Enum,
}

/// One parameter of the scheme: stable ID, display name, unit, range, default and neutral value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamInfo {
    /// Stable parameter ID, never renamed.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Unit label ("dB", "Hz", "ms", "%", "dBTP", "dBFS", ":1", "" for enums/bools/Q).
    pub unit: &'static str,
    /// Lowest plain value.
    pub min: f32,
    /// Highest plain value.
    pub max: f32,
    /// Default plain value.
    pub default: f32,
    /// The value an "amount" of 0 scales to (`None`: taken as is).
    pub neutral: Option<f32>,
    /// Float, bool or enum.
    pub kind: ParamKind,
}

impl ParamInfo {
    const fn float(
        id: &'static str,
        name: &'static str,
        unit: &'static str,
        min: f32,
        max: f32,
        default: f32,
        neutral: Option<f32>,
    ) -> Self {
        Self {
            id,
            name,
            unit,
            min,
            max,
            default,
            neutral,
            kind: ParamKind::Float,
        }
    }

    const fn boolean(id: &'static str, name: &'static str, default: bool, neutral: bool) -> Self {
        Self {
            id,
            name,
            unit: "",
            min: 0.0,
            max: 1.0,
            default: if default { 1.0 } else { 0.0 },
            neutral: Some(if neutral { 1.0 } else { 0.0 }),
            kind: ParamKind::Bool,
        }
    }

    const fn enumeration(id: &'static str, name: &'static str, count: usize, default: f32) -> Self {
        Self {
            id,
            name,
            unit: "",
            min: 0.0,
            max: (count - 1) as f32,
            default,
            neutral: None,
            kind: ParamKind::Enum,
        }
    }

    /// `value` made valid for this parameter: clamped, bools to 0/1, enums rounded; NaN/Inf
    /// give the default.
    pub fn sanitize(&self, value: f32) -> f32 {
        if !value.is_finite() {
            return self.default;
        }
        match self.kind {
            ParamKind::Float => value.clamp(self.min, self.max),
            ParamKind::Bool => {
                if value >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
            ParamKind::Enum => value.round().clamp(self.min, self.max),
        }
    }
}

/// Largest tonal EQ boost/cut, in dB (shelves and bells).
pub const MAX_TONE_DB: f32 = 12.0;
/// Largest tilt, in dB.
pub const MAX_TILT_DB: f32 = 6.0;

/// Every Tandem Master parameter, in a stable order (the order of [`param_ids`]).
pub const PARAMS: &[ParamInfo] = &[
    ParamInfo::float("in_gain", "Input", "dB", -24.0, 24.0, 0.0, Some(0.0)),
    ParamInfo::float(
        "ls_gain",
        "Low shelf",
        "dB",
        -MAX_TONE_DB,
        MAX_TONE_DB,
        0.0,
        Some(0.0),
    ),
    ParamInfo::float("ls_freq", "Low shelf freq", "Hz", 20.0, 500.0, 100.0, None),
    ParamInfo::enumeration("ls_place", "Low shelf place", 3, 0.0),
    ParamInfo::float(
        "hs_gain",
        "High shelf",
        "dB",
        -MAX_TONE_DB,
        MAX_TONE_DB,
        0.0,
        Some(0.0),
    ),
    ParamInfo::float(
        "hs_freq",
        "High shelf freq",
        "Hz",
        2000.0,
        20_000.0,
        8000.0,
        None,
    ),
    ParamInfo::enumeration("hs_place", "High shelf place", 3, 0.0),
    ParamInfo::float(
        "tilt_gain",
        "Tilt",
        "dB",
        -MAX_TILT_DB,
        MAX_TILT_DB,
        0.0,
        Some(0.0),
    ),
    ParamInfo::enumeration("tilt_place", "Tilt place", 3, 0.0),
    ParamInfo::float(
        "bell1_gain",
        "Bell 1",
        "dB",
        -MAX_TONE_DB,
        MAX_TONE_DB,
        0.0,
        Some(0.0),
    ),
    ParamInfo::float(
        "bell1_freq",
        "Bell 1 freq",
        "Hz",
        20.0,
        20_000.0,
        300.0,
        None,
    ),
    ParamInfo::float("bell1_q", "Bell 1 Q", "", 0.3, 2.0, 0.7, None),
    ParamInfo::enumeration("bell1_place", "Bell 1 place", 3, 0.0),
    ParamInfo::float(
        "bell2_gain",
        "Bell 2",
        "dB",
        -MAX_TONE_DB,
        MAX_TONE_DB,
        0.0,
        Some(0.0),
    ),
    ParamInfo::float(
        "bell2_freq",
        "Bell 2 freq",
        "Hz",
        20.0,
        20_000.0,
        3000.0,
        None,
    ),
    ParamInfo::float("bell2_q", "Bell 2 Q", "", 0.3, 2.0, 0.7, None),
    ParamInfo::enumeration("bell2_place", "Bell 2 place", 3, 0.0),
    ParamInfo::boolean("glue_on", "Glue", false, false),
    ParamInfo::float(
        "glue_threshold",
        "Glue threshold",
        "dBFS",
        -40.0,
        0.0,
        -18.0,
        None,
    ),
    ParamInfo::float("glue_ratio", "Glue ratio", ":1", 1.0, 10.0, 2.0, None),
    ParamInfo::float("glue_attack", "Glue attack", "ms", 0.1, 100.0, 30.0, None),
    ParamInfo::float(
        "glue_release",
        "Glue release",
        "ms",
        10.0,
        2000.0,
        200.0,
        None,
    ),
    ParamInfo::boolean("glue_auto_release", "Glue auto release", false, false),
    ParamInfo::float(
        "glue_makeup",
        "Glue makeup",
        "dB",
        -12.0,
        12.0,
        0.0,
        Some(0.0),
    ),
    ParamInfo::float("width", "Width", "%", 0.0, 200.0, 100.0, Some(100.0)),
    ParamInfo::float("mono_below", "Mono below", "Hz", 0.0, 300.0, 0.0, Some(0.0)),
    ParamInfo::float("lim_drive", "Drive", "dB", 0.0, 24.0, 0.0, Some(0.0)),
    ParamInfo::float("lim_ceiling", "Ceiling", "dBTP", -3.0, -0.1, -1.0, None),
    ParamInfo::float(
        "lim_release",
        "Limiter release",
        "ms",
        1.0,
        1000.0,
        100.0,
        None,
    ),
    ParamInfo::boolean("lim_auto_release", "Limiter auto release", true, true),
    ParamInfo::float(
        "lim_lookahead",
        "Limiter lookahead",
        "ms",
        1.0,
        LIMITER_MAX_LOOKAHEAD_MS,
        5.0,
        None,
    ),
    ParamInfo::enumeration("lim_oversampling", "Oversampling", 4, 2.0),
    ParamInfo::enumeration("dither", "Dither", 3, 0.0),
];

/// The [`ParamInfo`] of an ID, `None` for an unknown one.
pub fn param_info(id: &str) -> Option<&'static ParamInfo> {
    PARAMS.iter().find(|p| p.id == id)
}

/// Reads one field of [`MasterSettings`] as its parameter's plain value.
pub(super) type Getter = fn(&MasterSettings) -> f32;
/// Stores an already sanitised plain value into one field of [`MasterSettings`].
pub(super) type Setter = fn(&mut MasterSettings, f32);

/// 1.0 for true, 0.0 for false (a boolean parameter's plain value).
pub(super) fn bool_value(x: bool) -> f32 {
    if x {
        1.0
    } else {
        0.0
    }
}

/// One getter and setter per entry of [`PARAMS`], in the same order (a test checks every
/// pairing against an independent list), so a parameter is read or set by its index without
/// comparing strings — what the plugin does on the audio thread every block, and what
/// [`MasterSettings::sanitized`] does whenever the chain takes new settings.
pub(super) const FIELDS: [(Getter, Setter); 33] = [
    (|s| s.in_gain_db, |s, v| s.in_gain_db = v), // in_gain
    (|s| s.ls_gain_db, |s, v| s.ls_gain_db = v), // ls_gain
    (|s| s.ls_freq_hz, |s, v| s.ls_freq_hz = v), // ls_freq
    (
        |s| place_index(s.ls_place),
        |s, v| s.ls_place = place_from_value(v),
    ), // ls_place
    (|s| s.hs_gain_db, |s, v| s.hs_gain_db = v), // hs_gain
    (|s| s.hs_freq_hz, |s, v| s.hs_freq_hz = v), // hs_freq
    (
        |s| place_index(s.hs_place),
        |s, v| s.hs_place = place_from_value(v),
    ), // hs_place
    (|s| s.tilt_gain_db, |s, v| s.tilt_gain_db = v), // tilt_gain
    (
        |s| place_index(s.tilt_place),
        |s, v| s.tilt_place = place_from_value(v),
    ), // tilt_place
    (|s| s.bell1_gain_db, |s, v| s.bell1_gain_db = v), // bell1_gain
    (|s| s.bell1_freq_hz, |s, v| s.bell1_freq_hz = v), // bell1_freq
    (|s| s.bell1_q, |s, v| s.bell1_q = v),       // bell1_q
    (
        |s| place_index(s.bell1_place),
        |s, v| s.bell1_place = place_from_value(v),
    ), // bell1_place
    (|s| s.bell2_gain_db, |s, v| s.bell2_gain_db = v), // bell2_gain
    (|s| s.bell2_freq_hz, |s, v| s.bell2_freq_hz = v), // bell2_freq
    (|s| s.bell2_q, |s, v| s.bell2_q = v),       // bell2_q
    (
        |s| place_index(s.bell2_place),
        |s, v| s.bell2_place = place_from_value(v),
    ), // bell2_place
    (|s| bool_value(s.glue_on), |s, v| s.glue_on = v >= 0.5), // glue_on
    (|s| s.glue_threshold_db, |s, v| s.glue_threshold_db = v), // glue_threshold
    (|s| s.glue_ratio, |s, v| s.glue_ratio = v), // glue_ratio
    (|s| s.glue_attack_ms, |s, v| s.glue_attack_ms = v), // glue_attack
    (|s| s.glue_release_ms, |s, v| s.glue_release_ms = v), // glue_release
    (
        |s| bool_value(s.glue_auto_release),
        |s, v| s.glue_auto_release = v >= 0.5,
    ), // glue_auto_release
    (|s| s.glue_makeup_db, |s, v| s.glue_makeup_db = v), // glue_makeup
    (|s| s.width_pct, |s, v| s.width_pct = v),   // width
    (|s| s.mono_below_hz, |s, v| s.mono_below_hz = v), // mono_below
    (|s| s.lim_drive_db, |s, v| s.lim_drive_db = v), // lim_drive
    (|s| s.lim_ceiling_dbtp, |s, v| s.lim_ceiling_dbtp = v), // lim_ceiling
    (|s| s.lim_release_ms, |s, v| s.lim_release_ms = v), // lim_release
    (
        |s| bool_value(s.lim_auto_release),
        |s, v| s.lim_auto_release = v >= 0.5,
    ), // lim_auto_release
    (|s| s.lim_lookahead_ms, |s, v| s.lim_lookahead_ms = v), // lim_lookahead
    (
        |s| s.lim_oversampling as f32,
        |s, v| s.lim_oversampling = v as usize,
    ), // lim_oversampling
    (
        |s| s.dither.index() as f32,
        |s, v| s.dither = Dither::from_value(v),
    ), // dither
];
const _: () = assert!(FIELDS.len() == PARAMS.len(), "one field per parameter");

/// Every Tandem Master parameter ID in a stable order.
pub fn param_ids() -> Vec<String> {
    PARAMS.iter().map(|p| p.id.to_string()).collect()
}

/// The neutral value of a parameter for amount scaling: 0 dB for gains, makeup and drive, 100 %
/// for width, 0 (off) for `mono_below` and `glue_on`, on for `lim_auto_release`; `None` (taken
/// as is) for frequencies, Q, times, ratio, threshold, ceiling, modes and placements.
pub fn neutral_value(id: &str) -> Option<f32> {
    param_info(id).and_then(|p| p.neutral)
}

/// [`neutral_value`] for the parameter at `index` of [`PARAMS`]. No string comparison: for the
/// audio thread.
pub fn neutral_value_at(index: usize) -> Option<f32> {
    PARAMS.get(index).and_then(|p| p.neutral)
}
