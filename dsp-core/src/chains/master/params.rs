//! The Tandem Master's parameter table: every parameter's stable ID, name, unit, range, default
//! and neutral value ([`PARAMS`]), and one getter and setter per entry, so a parameter is read or
//! set by index without comparing strings.

use super::*;
pub use crate::chains::params::{ParamInfo, ParamKind};

/// The section placements a tonal band offers (the EQ's first three).
pub const PLACEMENT_CHOICES: &[&str] = &["Stereo", "Mid", "Side"];
/// The oversampling menu, in [`OVERSAMPLING_FACTORS`] order.
pub const OVERSAMPLING_CHOICES: &[&str] = &["1x", "2x", "4x", "8x"];
/// The dither menu, in [`Dither::ALL`] order.
pub const DITHER_CHOICES: &[&str] = &["Off", "16-bit", "24-bit"];

/// Largest tonal EQ boost/cut, in dB (shelves and bells).
pub const MAX_TONE_DB: f32 = 12.0;
/// Largest tilt, in dB.
pub const MAX_TILT_DB: f32 = 6.0;

/// Every Tandem Master parameter, in a stable order. Amount 0 scales the gains, makeup and drive
/// to 0 dB, width to 100 %, `mono_below` and `glue_on` off and `lim_auto_release` on; frequencies,
/// Q, times, ratio, threshold, ceiling, modes and placements are taken as is.
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
    ParamInfo::menu("ls_place", "Low shelf place", PLACEMENT_CHOICES, 0),
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
    ParamInfo::menu("hs_place", "High shelf place", PLACEMENT_CHOICES, 0),
    ParamInfo::float(
        "tilt_gain",
        "Tilt",
        "dB",
        -MAX_TILT_DB,
        MAX_TILT_DB,
        0.0,
        Some(0.0),
    ),
    ParamInfo::menu("tilt_place", "Tilt place", PLACEMENT_CHOICES, 0),
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
    ParamInfo::menu("bell1_place", "Bell 1 place", PLACEMENT_CHOICES, 0),
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
    ParamInfo::menu("bell2_place", "Bell 2 place", PLACEMENT_CHOICES, 0),
    ParamInfo::boolean("glue_on", "Glue", false, Some(false)),
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
    ParamInfo::boolean("glue_auto_release", "Glue auto release", false, Some(false)),
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
    ParamInfo::boolean("lim_auto_release", "Limiter auto release", true, Some(true)),
    ParamInfo::float(
        "lim_lookahead",
        "Limiter lookahead",
        "ms",
        1.0,
        LIMITER_MAX_LOOKAHEAD_MS,
        5.0,
        None,
    ),
    ParamInfo::menu("lim_oversampling", "Oversampling", OVERSAMPLING_CHOICES, 2),
    ParamInfo::menu("dither", "Dither", DITHER_CHOICES, 0),
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
