//! Tandem Master: the mastering chain.
//!
//! ```text
//! in ─ input gain ─ tonal EQ ─ glue compressor ─ width / mono-below ─ drive ─ true-peak limiter
//!      (ramped)     (5 bands)   (dsp-core           (M/S, LR4 split     (ramped)  (1×/2×/4×/8×,
//!                                Compressor)         of the side)                  padded) ─ dither ─ out
//! ```
//!
//! - [`MasterSettings`]: the plugin's manual parameter set, in plain units (serde).
//! - The parameter-ID scheme, fixed here once and never renamed (see [`PARAMS`] for every ID
//!   with its range, default, unit and neutral value): `in_gain`; tonal EQ `ls_gain`, `ls_freq`,
//!   `ls_place`, `hs_gain`, `hs_freq`, `hs_place`, `tilt_gain`, `tilt_place`, `bell1_gain`,
//!   `bell1_freq`, `bell1_q`, `bell1_place`, `bell2_gain`, `bell2_freq`, `bell2_q`,
//!   `bell2_place`; glue `glue_on`, `glue_threshold`, `glue_ratio`, `glue_attack`,
//!   `glue_release`, `glue_auto_release`, `glue_makeup`; image `width`, `mono_below`; limiter
//!   `lim_drive`, `lim_ceiling`, `lim_release`, `lim_auto_release`, `lim_lookahead`,
//!   `lim_oversampling`; `dither`. Enums are their index as f32, bools 0/1.
//! - [`MasterChain`]: the real-time [`Processor`] (mono or stereo).
//!
//! **Latency** is constant for a given sample rate, whatever the settings: one limiter is
//! preallocated per oversampling factor, each built for the longest lookahead
//! ([`LIMITER_MAX_LOOKAHEAD_MS`]) and padded with a delay up to the slowest factor's latency;
//! the glue compressor runs without lookahead and the EQ and width stages are zero-latency IIR.
//! So `latency_samples() = round(5 ms × fs) + 36` (the 8× upsampler's whole-sample delay).
//!
//! **Click-free changes**: gains, drive, width and mono-below amount ramp over
//! [`RAMP_MS`]; EQ bands glide/crossfade as in [`crate::chains::eq`]; glue on/off ramps the
//! compressor's dry/wet mix; an oversampling change warms the new limiter up (it is fed the
//! same audio for one latency) and then crossfades over [`LIMITER_XFADE_MS`].
//!
//! Mono chains (1 channel) run everything except the width stage; mid-placed EQ sections act on
//! the mono signal, side-placed ones do nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chains::eq::{BandSettings, EqBandType, EqChain, EqSettings, Placement};
use crate::dynamics::{
    Compressor, CompressorSettings, DelayLine, DetectorKind, LimiterSettings, SmoothingMode,
    StereoMode, TruePeakLimiter, LIMITER_MAX_LOOKAHEAD_MS,
};
use crate::filters::{CutShape, FilterCascade, FilterSpec};
use crate::oversampling::OversamplingFactor;
use crate::util::{db_to_gain, LinearSmoother};
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig};

/// Extra safety margin the chain keeps below `lim_ceiling`, in dB, on top of the limiter's own
/// ([`crate::dynamics::limiter::safety_margin_db`]): smooth limiting of dense, bass-heavy
/// material was measured to reconstruct up to ≈ 0.02 dB above the limiter's internal ceiling.
pub const CEILING_MARGIN_DB: f32 = 0.1;
/// Ramp time of the input gain, drive, width and mono-below crossfade, in ms.
pub const RAMP_MS: f32 = 20.0;
/// Crossfade time between limiters when the oversampling factor changes, in ms.
pub const LIMITER_XFADE_MS: f32 = 10.0;
/// Pivot frequency of the tilt section, in Hz.
pub const TILT_FREQ_HZ: f32 = 1000.0;
/// Q of the low and high shelves (dimensionless).
pub const SHELF_Q: f32 = 0.7;
/// Soft knee of the glue compressor, in dB.
pub const GLUE_KNEE_DB: f32 = 6.0;
/// Side-chain high-pass of the glue compressor, in Hz (keeps the kick from pumping the mix).
pub const GLUE_SIDECHAIN_HPF_HZ: f32 = 60.0;
/// `mono_below` values under this (Hz) switch the mono-below stage off.
pub const MONO_BELOW_MIN_HZ: f32 = 20.0;
/// Slope of the Linkwitz–Riley split used by mono-below, in dB/octave (LR4).
pub const MONO_BELOW_SLOPE_DB_OCT: f32 = 24.0;
/// The oversampling factors in `lim_oversampling` index order.
pub const OVERSAMPLING_FACTORS: [OversamplingFactor; 4] = [
    OversamplingFactor::X1,
    OversamplingFactor::X2,
    OversamplingFactor::X4,
    OversamplingFactor::X8,
];

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
type Getter = fn(&MasterSettings) -> f32;
/// Stores an already sanitised plain value into one field of [`MasterSettings`].
type Setter = fn(&mut MasterSettings, f32);

/// 1.0 for true, 0.0 for false (a boolean parameter's plain value).
fn bool_value(x: bool) -> f32 {
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
const FIELDS: [(Getter, Setter); 33] = [
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

/// TPDF dither after the limiter. The order is the parameter's enum index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Dither {
    /// No dither, no quantisation (32-bit float out).
    #[default]
    Off,
    /// TPDF dither (±1 LSB) and rounding to 16 bits.
    Bits16,
    /// TPDF dither (±1 LSB) and rounding to 24 bits.
    Bits24,
}

impl Dither {
    /// All modes in index order.
    pub const ALL: [Dither; 3] = [Dither::Off, Dither::Bits16, Dither::Bits24];

    /// The enum index (0–2).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&d| d == self).unwrap_or(0)
    }

    /// The mode of a plain value (rounded and clamped; NaN → off).
    pub fn from_value(value: f32) -> Self {
        if !value.is_finite() {
            return Self::Off;
        }
        Self::ALL[value.round().clamp(0.0, 2.0) as usize]
    }

    /// The word length, `None` when off.
    pub fn bits(self) -> Option<u32> {
        match self {
            Dither::Off => None,
            Dither::Bits16 => Some(16),
            Dither::Bits24 => Some(24),
        }
    }
}

fn place_from_value(v: f32) -> Placement {
    // Only stereo / mid / side exist here.
    Placement::ALL[if v.is_finite() {
        v.round().clamp(0.0, 2.0) as usize
    } else {
        0
    }]
}

fn place_index(p: Placement) -> f32 {
    match p {
        Placement::Mid => 1.0,
        Placement::Side => 2.0,
        _ => 0.0,
    }
}

/// The Tandem Master settings, in plain units (what the plugin and the CLI persist). Ranges and
/// defaults: see [`PARAMS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MasterSettings {
    /// `in_gain`: input gain, dB ±24.
    pub in_gain_db: f32,
    /// `ls_gain`: low shelf gain, dB ±12.
    pub ls_gain_db: f32,
    /// `ls_freq`: low shelf corner, Hz 20–500.
    pub ls_freq_hz: f32,
    /// `ls_place`: stereo / mid / side.
    pub ls_place: Placement,
    /// `hs_gain`: high shelf gain, dB ±12.
    pub hs_gain_db: f32,
    /// `hs_freq`: high shelf corner, Hz 2000–20000.
    pub hs_freq_hz: f32,
    /// `hs_place`: stereo / mid / side.
    pub hs_place: Placement,
    /// `tilt_gain`: total first-order tilt around [`TILT_FREQ_HZ`], low end to high end, dB ±6
    /// (positive = brighter).
    pub tilt_gain_db: f32,
    /// `tilt_place`: stereo / mid / side.
    pub tilt_place: Placement,
    /// `bell1_gain`: dB ±12.
    pub bell1_gain_db: f32,
    /// `bell1_freq`: Hz 20–20000.
    pub bell1_freq_hz: f32,
    /// `bell1_q`: 0.3–2.
    pub bell1_q: f32,
    /// `bell1_place`: stereo / mid / side.
    pub bell1_place: Placement,
    /// `bell2_gain`: dB ±12.
    pub bell2_gain_db: f32,
    /// `bell2_freq`: Hz 20–20000.
    pub bell2_freq_hz: f32,
    /// `bell2_q`: 0.3–2.
    pub bell2_q: f32,
    /// `bell2_place`: stereo / mid / side.
    pub bell2_place: Placement,
    /// `glue_on`.
    pub glue_on: bool,
    /// `glue_threshold`: dBFS −40–0.
    pub glue_threshold_db: f32,
    /// `glue_ratio`: 1–10.
    pub glue_ratio: f32,
    /// `glue_attack`: ms 0.1–100.
    pub glue_attack_ms: f32,
    /// `glue_release`: ms 10–2000.
    pub glue_release_ms: f32,
    /// `glue_auto_release`: program-dependent release.
    pub glue_auto_release: bool,
    /// `glue_makeup`: dB ±12.
    pub glue_makeup_db: f32,
    /// `width`: side level in %, 0–200 (100 = unchanged, 0 = mono).
    pub width_pct: f32,
    /// `mono_below`: the side signal is removed below this frequency (LR4 high-pass on the
    /// side), Hz 0–300; below [`MONO_BELOW_MIN_HZ`] = off.
    pub mono_below_hz: f32,
    /// `lim_drive`: gain into the limiter, dB 0–24.
    pub lim_drive_db: f32,
    /// `lim_ceiling`: output ceiling, dBTP −3…−0.1.
    pub lim_ceiling_dbtp: f32,
    /// `lim_release`: ms 1–1000.
    pub lim_release_ms: f32,
    /// `lim_auto_release`: program-dependent release.
    pub lim_auto_release: bool,
    /// `lim_lookahead`: ms 1–5 (latency does not change with it).
    pub lim_lookahead_ms: f32,
    /// `lim_oversampling`: index into [`OVERSAMPLING_FACTORS`] (0 = 1×, 1 = 2×, 2 = 4×, 3 = 8×).
    pub lim_oversampling: usize,
    /// `dither`.
    pub dither: Dither,
}

impl Default for MasterSettings {
    /// Every parameter at its [`PARAMS`] default: neutral EQ, glue off, width 100 %, drive 0 dB,
    /// ceiling −1 dBTP, 4× oversampling, no dither.
    fn default() -> Self {
        let mut s = Self {
            in_gain_db: 0.0,
            ls_gain_db: 0.0,
            ls_freq_hz: 0.0,
            ls_place: Placement::Stereo,
            hs_gain_db: 0.0,
            hs_freq_hz: 0.0,
            hs_place: Placement::Stereo,
            tilt_gain_db: 0.0,
            tilt_place: Placement::Stereo,
            bell1_gain_db: 0.0,
            bell1_freq_hz: 0.0,
            bell1_q: 0.0,
            bell1_place: Placement::Stereo,
            bell2_gain_db: 0.0,
            bell2_freq_hz: 0.0,
            bell2_q: 0.0,
            bell2_place: Placement::Stereo,
            glue_on: false,
            glue_threshold_db: 0.0,
            glue_ratio: 0.0,
            glue_attack_ms: 0.0,
            glue_release_ms: 0.0,
            glue_auto_release: false,
            glue_makeup_db: 0.0,
            width_pct: 0.0,
            mono_below_hz: 0.0,
            lim_drive_db: 0.0,
            lim_ceiling_dbtp: 0.0,
            lim_release_ms: 0.0,
            lim_auto_release: false,
            lim_lookahead_ms: 0.0,
            lim_oversampling: 0,
            dither: Dither::Off,
        };
        for p in PARAMS {
            s.set_param(p.id, p.default);
        }
        s
    }
}

impl MasterSettings {
    /// The settings as stable parameter ID → plain value (enums as index, bools as 0/1).
    pub fn to_param_map(&self) -> BTreeMap<String, f32> {
        PARAMS
            .iter()
            .filter_map(|p| self.param(p.id).map(|v| (p.id.to_string(), v)))
            .collect()
    }

    /// Settings from parameter ID → plain value; missing IDs keep their defaults, unknown IDs
    /// are ignored, values are clamped to their ranges.
    pub fn from_param_map(map: &BTreeMap<String, f32>) -> Self {
        let mut s = Self::default();
        for (id, v) in map {
            s.set_param(id, *v);
        }
        s
    }

    /// The same settings with every value made valid (each field passed through its
    /// [`ParamInfo::sanitize`]).
    pub fn sanitized(&self) -> Self {
        let mut s = *self;
        for (i, (get, _)) in FIELDS.iter().enumerate() {
            s.set_param_at(i, get(self));
        }
        s
    }

    /// Sets one parameter from its plain value (clamped; NaN → default). Returns false for an
    /// unknown ID.
    pub fn set_param(&mut self, id: &str, value: f32) -> bool {
        match PARAMS.iter().position(|p| p.id == id) {
            Some(index) => self.set_param_at(index, value),
            None => false,
        }
    }

    /// [`Self::set_param`] for the parameter at `index` in [`PARAMS`] (sanitised the same way);
    /// false for an index past the end. No string comparison: for the audio thread.
    pub fn set_param_at(&mut self, index: usize, value: f32) -> bool {
        match (PARAMS.get(index), FIELDS.get(index)) {
            (Some(info), Some((_, set))) => {
                set(self, info.sanitize(value));
                true
            }
            _ => false,
        }
    }

    /// The plain value of one parameter, `None` for an unknown ID.
    pub fn param(&self, id: &str) -> Option<f32> {
        let index = PARAMS.iter().position(|p| p.id == id)?;
        Some((FIELDS[index].0)(self))
    }

    /// The oversampling factor of `lim_oversampling`.
    pub fn oversampling_factor(&self) -> OversamplingFactor {
        OVERSAMPLING_FACTORS[self.lim_oversampling.min(3)]
    }

    /// The tonal EQ as [`EqSettings`] (bands 1–5: low shelf, bell 1, bell 2, high shelf, tilt;
    /// a section with |gain| < 0.01 dB is disabled). Use [`EqSettings::placement_magnitude_db`]
    /// on it to draw the tonal curve per placement.
    pub fn eq_settings(&self) -> EqSettings {
        let s = self.sanitized();
        let band = |kind, freq_hz: f32, gain_db: f32, q: f32, placement| BandSettings {
            enabled: gain_db.abs() >= 0.01,
            kind,
            freq_hz,
            gain_db,
            q,
            slope_db_oct: 12.0,
            placement,
        };
        let mut eq = EqSettings::default();
        eq.bands[0] = band(
            EqBandType::LowShelf,
            s.ls_freq_hz,
            s.ls_gain_db,
            SHELF_Q,
            s.ls_place,
        );
        eq.bands[1] = band(
            EqBandType::Bell,
            s.bell1_freq_hz,
            s.bell1_gain_db,
            s.bell1_q,
            s.bell1_place,
        );
        eq.bands[2] = band(
            EqBandType::Bell,
            s.bell2_freq_hz,
            s.bell2_gain_db,
            s.bell2_q,
            s.bell2_place,
        );
        eq.bands[3] = band(
            EqBandType::HighShelf,
            s.hs_freq_hz,
            s.hs_gain_db,
            SHELF_Q,
            s.hs_place,
        );
        eq.bands[4] = band(
            EqBandType::Tilt,
            TILT_FREQ_HZ,
            s.tilt_gain_db,
            0.7,
            s.tilt_place,
        );
        eq
    }

    /// The glue compressor's settings: the `glue_*` values plus the fixed design choices (peak
    /// detector, smooth decoupled envelope, [`GLUE_KNEE_DB`] knee, 100 % stereo link,
    /// [`GLUE_SIDECHAIN_HPF_HZ`] side-chain high-pass, no lookahead; mix 100 % when on, 0 % off).
    pub fn glue_settings(&self) -> CompressorSettings {
        let s = self.sanitized();
        CompressorSettings {
            threshold_db: s.glue_threshold_db,
            ratio: s.glue_ratio,
            knee_db: GLUE_KNEE_DB,
            attack_ms: s.glue_attack_ms,
            release_ms: s.glue_release_ms,
            auto_release: s.glue_auto_release,
            detector: DetectorKind::Peak,
            smoothing: SmoothingMode::Decoupled,
            stereo_link_pct: 100.0,
            stereo_mode: StereoMode::LeftRight,
            sidechain_hpf_hz: Some(GLUE_SIDECHAIN_HPF_HZ),
            lookahead_ms: 0.0,
            makeup_db: s.glue_makeup_db,
            auto_makeup: false,
            mix_pct: if s.glue_on { 100.0 } else { 0.0 },
        }
    }

    /// The limiter's settings (`lim_ceiling` minus [`CEILING_MARGIN_DB`], `lim_release`,
    /// `lim_auto_release`, `lim_lookahead`).
    pub fn limiter_settings(&self) -> LimiterSettings {
        let s = self.sanitized();
        LimiterSettings {
            ceiling_dbtp: s.lim_ceiling_dbtp - CEILING_MARGIN_DB,
            release_ms: s.lim_release_ms,
            auto_release: s.lim_auto_release,
            lookahead_ms: s.lim_lookahead_ms,
        }
    }
}

/// One preallocated limiter and the delay that pads it to the chain's constant latency.
#[derive(Debug, Clone)]
struct LimiterSlot {
    limiter: TruePeakLimiter,
    pad: [DelayLine; 2],
}

impl LimiterSlot {
    fn reset(&mut self) {
        self.limiter.reset();
        for d in &mut self.pad {
            d.reset();
        }
    }

    fn process(&mut self, l: &mut [f32], r: Option<&mut [f32]>) {
        match r {
            Some(r) => {
                self.limiter.process(&mut [&mut *l, &mut *r]);
                for x in r.iter_mut() {
                    *x = self.pad[1].process(*x);
                }
            }
            None => self.limiter.process(&mut [&mut *l]),
        }
        for x in l.iter_mut() {
            *x = self.pad[0].process(*x);
        }
    }
}

/// Maximum pad between limiters, in samples (the upsampler delays differ by at most 36).
const MAX_PAD_SAMPLES: usize = 64;

/// Scratch buffers (allocated at construction).
#[derive(Debug, Clone)]
struct Scratch {
    mid: Vec<f32>,
    side: Vec<f32>,
    hp: Vec<f32>,
    alt_l: Vec<f32>,
    alt_r: Vec<f32>,
}

/// The Tandem Master processor (1 or 2 channels). Allocates only in [`MasterChain::new`];
/// `process` and `set_settings` never allocate, lock or panic, and the output is always finite.
#[derive(Debug, Clone)]
pub struct MasterChain {
    sample_rate_hz: f32,
    capacity_rate_hz: f32,
    channels: usize,
    max_block_size: usize,
    settings: MasterSettings,
    in_gain: LinearSmoother,
    eq: EqChain,
    glue: Compressor,
    /// Samples since the glue's mix reached 0 (the compressor is skipped once its ramp is over).
    glue_idle: usize,
    width: LinearSmoother,
    mono_mix: LinearSmoother,
    mono_hp: FilterCascade,
    drive: LinearSmoother,
    slots: [LimiterSlot; 4],
    active: usize,
    /// An oversampling change in progress: (new slot, samples since it started).
    switching: Option<(usize, usize)>,
    xfade_len: usize,
    latency: usize,
    rng: u64,
    scratch: Scratch,
}

fn ramp_samples(sample_rate_hz: f32) -> usize {
    (RAMP_MS * 1e-3 * sample_rate_hz).round() as usize + 1
}

fn mono_hp_spec(hz: f32) -> FilterSpec {
    FilterSpec::high_pass(
        hz.clamp(MONO_BELOW_MIN_HZ, 300.0) as f64,
        MONO_BELOW_SLOPE_DB_OCT as f64,
        CutShape::LinkwitzRiley,
    )
}

impl MasterChain {
    /// A chain for `config` (1 or 2 channels) starting settled at `settings` (no ramps).
    pub fn new(config: ProcessorConfig, settings: &MasterSettings) -> Result<Self, ConfigError> {
        config.validate()?;
        if config.channels > 2 {
            return Err(ConfigError::Channels(config.channels));
        }
        let s = settings.sanitized();
        let fs = config.sample_rate;
        let n = config.max_block_size;
        let mut slots = Vec::with_capacity(4);
        for f in OVERSAMPLING_FACTORS {
            slots.push(LimiterSlot {
                limiter: TruePeakLimiter::new(
                    config,
                    f,
                    LIMITER_MAX_LOOKAHEAD_MS,
                    s.limiter_settings(),
                )?,
                pad: [
                    DelayLine::new(MAX_PAD_SAMPLES),
                    DelayLine::new(MAX_PAD_SAMPLES),
                ],
            });
        }
        let slots: [LimiterSlot; 4] = slots
            .try_into()
            .map_err(|_| ConfigError::Invalid("limiter count"))?;
        let mono_cfg = ProcessorConfig {
            channels: 1,
            ..config
        };
        let mut chain = Self {
            sample_rate_hz: fs,
            capacity_rate_hz: config.capacity_sample_rate(),
            channels: config.channels,
            max_block_size: n,
            settings: s,
            in_gain: LinearSmoother::new(1.0, RAMP_MS, fs),
            eq: EqChain::new(config, &s.eq_settings())?,
            glue: Compressor::new(config, 0.0, s.glue_settings())?,
            glue_idle: usize::MAX,
            width: LinearSmoother::new(1.0, RAMP_MS, fs),
            mono_mix: LinearSmoother::new(0.0, RAMP_MS, fs),
            mono_hp: FilterCascade::new(mono_cfg, mono_hp_spec(s.mono_below_hz))?,
            drive: LinearSmoother::new(1.0, RAMP_MS, fs),
            slots,
            active: s.lim_oversampling.min(3),
            switching: None,
            xfade_len: 1,
            latency: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            scratch: Scratch {
                mid: vec![0.0; n],
                side: vec![0.0; n],
                hp: vec![0.0; n],
                alt_l: vec![0.0; n],
                alt_r: vec![0.0; n],
            },
        };
        chain.configure_rate(fs);
        chain.set_settings_immediate(&s);
        Ok(chain)
    }

    fn configure_rate(&mut self, fs: f32) {
        self.sample_rate_hz = fs;
        self.latency = self
            .slots
            .iter()
            .map(|s| s.limiter.latency_samples())
            .max()
            .unwrap_or(0);
        let latency = self.latency;
        for slot in &mut self.slots {
            let pad = latency - slot.limiter.latency_samples();
            for d in &mut slot.pad {
                d.set_delay(pad);
            }
        }
        self.xfade_len = ((LIMITER_XFADE_MS * 1e-3 * fs).round() as usize).max(1);
        for sm in [
            &mut self.in_gain,
            &mut self.width,
            &mut self.mono_mix,
            &mut self.drive,
        ] {
            sm.set_ramp(RAMP_MS, fs);
        }
    }

    /// Sets new settings, click-free (see the module docs). Real-time safe.
    pub fn set_settings(&mut self, settings: &MasterSettings) {
        self.apply(settings, false);
    }

    /// Sets new settings at once, without ramps or fades (state loading, offline rendering).
    pub fn set_settings_immediate(&mut self, settings: &MasterSettings) {
        self.apply(settings, true);
    }

    fn apply(&mut self, settings: &MasterSettings, snap: bool) {
        let s = settings.sanitized();
        let old = self.settings;
        self.settings = s;
        let set = |sm: &mut LinearSmoother, v: f32| {
            if snap {
                sm.reset(v)
            } else {
                sm.set_target(v)
            }
        };
        set(&mut self.in_gain, db_to_gain(s.in_gain_db));
        set(&mut self.width, s.width_pct * 0.01);
        let mono_on = s.mono_below_hz >= MONO_BELOW_MIN_HZ;
        if mono_on {
            let idle = self.mono_mix.current() == 0.0 && !self.mono_mix.is_smoothing();
            if snap || idle {
                self.mono_hp
                    .set_spec_immediate(mono_hp_spec(s.mono_below_hz));
                self.mono_hp.reset();
            } else {
                self.mono_hp.set_spec(mono_hp_spec(s.mono_below_hz));
            }
        }
        set(&mut self.mono_mix, if mono_on { 1.0 } else { 0.0 });
        set(&mut self.drive, db_to_gain(s.lim_drive_db));
        let eq = s.eq_settings();
        if snap {
            self.eq.set_settings_immediate(&eq);
        } else if eq != old.eq_settings() {
            self.eq.set_settings(&eq);
        }
        if s.glue_on && self.glue_idle == usize::MAX && !snap {
            // Waking up after being skipped: start from clean state; the mix ramps 0 → 1.
            self.glue.reset();
        }
        self.glue.set_settings(s.glue_settings());
        if snap {
            // Re-deriving for the same rate snaps the compressor's makeup and mix ramps (and
            // clears its state); it cannot fail for the rate it already runs at.
            let _ = self.glue.set_sample_rate(self.sample_rate_hz);
            self.glue_idle = if s.glue_on { 0 } else { usize::MAX };
        } else if s.glue_on {
            self.glue_idle = 0;
        }
        let lim = s.limiter_settings();
        for slot in &mut self.slots {
            slot.limiter.set_settings(lim);
        }
        let want = s.lim_oversampling.min(3);
        if snap {
            self.active = want;
            self.switching = None;
            for slot in &mut self.slots {
                slot.reset();
            }
        } else {
            match self.switching {
                Some((to, _)) if to == want => {}
                _ if want == self.active => self.switching = None,
                _ => {
                    self.slots[want].reset();
                    self.switching = Some((want, 0));
                }
            }
        }
    }

    /// The settings last set (sanitised).
    pub fn settings(&self) -> &MasterSettings {
        &self.settings
    }

    /// The sample rate, in Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// The number of channels (1 or 2).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The glue compressor's current gain reduction in dB (≥ 0; 0 when the glue is off).
    pub fn glue_gain_reduction_db(&self) -> f32 {
        if self.settings.glue_on {
            self.glue.gain_reduction_db()
        } else {
            0.0
        }
    }

    /// The limiter's current gain reduction in dB (≥ 0), of the active oversampling factor.
    pub fn limiter_gain_reduction_db(&self) -> f32 {
        self.slots[self.active].limiter.gain_reduction_db()
    }

    /// The chain's constant latency at `sample_rate_hz` (Hz), without building one:
    /// `round(5 ms × fs) + 36`.
    pub fn latency_for_rate(sample_rate_hz: f32) -> usize {
        crate::dynamics::ms_to_samples(LIMITER_MAX_LOOKAHEAD_MS, sample_rate_hz).max(1) + 36
    }

    /// Input gain, tonal EQ, glue and width, in place (no latency). One block.
    fn process_pre_block(&mut self, l: &mut [f32], mut r: Option<&mut [f32]>) {
        let n = l.len();
        // Input gain (and sanitising).
        if self.in_gain.is_smoothing() || self.in_gain.current() != 1.0 {
            for i in 0..n {
                let g = self.in_gain.tick();
                l[i] = crate::util::sanitize(l[i]) * g;
                if let Some(r) = r.as_deref_mut() {
                    r[i] = crate::util::sanitize(r[i]) * g;
                }
            }
        }
        // Tonal EQ (sanitises its output).
        match r.as_deref_mut() {
            Some(r) => self.eq.process(&mut [&mut *l, &mut *r]),
            None => self.eq.process(&mut [&mut *l]),
        }
        // Glue.
        let ramp = ramp_samples(self.sample_rate_hz);
        if self.settings.glue_on || self.glue_idle < ramp {
            match r.as_deref_mut() {
                Some(r) => self.glue.process(&mut [&mut *l, &mut *r]),
                None => self.glue.process(&mut [&mut *l]),
            }
            if !self.settings.glue_on {
                self.glue_idle = self.glue_idle.saturating_add(n);
                if self.glue_idle >= ramp {
                    self.glue_idle = usize::MAX;
                }
            }
        }
        // Width and mono-below (stereo only).
        if let Some(r) = r {
            let active = self.width.is_smoothing()
                || self.width.current() != 1.0
                || self.mono_mix.is_smoothing()
                || self.mono_mix.current() != 0.0;
            if active {
                let (mid, side, hp) = (
                    &mut self.scratch.mid[..n],
                    &mut self.scratch.side[..n],
                    &mut self.scratch.hp[..n],
                );
                for i in 0..n {
                    mid[i] = 0.5 * (l[i] + r[i]);
                    side[i] = 0.5 * (l[i] - r[i]);
                }
                let mono = self.mono_mix.is_smoothing() || self.mono_mix.current() != 0.0;
                if mono {
                    hp.copy_from_slice(side);
                    self.mono_hp.process(&mut [&mut *hp]);
                }
                for i in 0..n {
                    let m = self.mono_mix.tick();
                    let w = self.width.tick();
                    let s = if mono {
                        side[i] + m * (hp[i] - side[i])
                    } else {
                        side[i]
                    };
                    let s = s * w;
                    l[i] = mid[i] + s;
                    r[i] = mid[i] - s;
                }
            }
        }
    }

    /// Drive, limiter (with the oversampling crossfade) and dither. One block.
    fn process_limit_block(&mut self, l: &mut [f32], mut r: Option<&mut [f32]>) {
        let n = l.len();
        for i in 0..n {
            let g = self.drive.tick();
            l[i] *= g;
            if let Some(r) = r.as_deref_mut() {
                r[i] *= g;
            }
        }
        if let Some((to, pos)) = self.switching {
            let alt_l = &mut self.scratch.alt_l[..n];
            let alt_r = &mut self.scratch.alt_r[..n];
            alt_l.copy_from_slice(l);
            if let Some(r) = r.as_deref() {
                alt_r.copy_from_slice(r);
            }
            self.slots[self.active].process(l, r.as_deref_mut());
            let alt_r_opt = if r.is_some() { Some(&mut *alt_r) } else { None };
            self.slots[to].process(alt_l, alt_r_opt);
            let (warm, fade) = (self.latency, self.xfade_len);
            let mut p = pos;
            for i in 0..n {
                if p >= warm {
                    let t = ((p - warm) as f32 / fade as f32).min(1.0);
                    l[i] += t * (alt_l[i] - l[i]);
                    if let Some(r) = r.as_deref_mut() {
                        r[i] += t * (alt_r[i] - r[i]);
                    }
                }
                p += 1;
            }
            if p >= warm + fade {
                self.active = to;
                self.switching = None;
            } else {
                self.switching = Some((to, p));
            }
        } else {
            self.slots[self.active].process(l, r.as_deref_mut());
        }
        if let Some(bits) = self.settings.dither.bits() {
            let q = 2f32.powi(1 - bits as i32);
            let inv = 1.0 / q;
            for i in 0..n {
                l[i] = self.dither_sample(l[i], q, inv);
                if let Some(r) = r.as_deref_mut() {
                    r[i] = self.dither_sample(r[i], q, inv);
                }
            }
        }
    }

    #[inline]
    fn uniform(&mut self) -> f32 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let v = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (v >> 40) as f32 / (1u64 << 24) as f32
    }

    #[inline]
    fn dither_sample(&mut self, x: f32, q: f32, inv: f32) -> f32 {
        let tpdf = self.uniform() - self.uniform();
        ((x * inv + tpdf).round() * q).clamp(-1.0, 1.0 - q)
    }

    /// Runs only the stages before the limiter (input gain, EQ, glue, width) on whole channels,
    /// in blocks; calls `each_block` after every block (for metering in simulations).
    pub(crate) fn process_pre_limiter(
        &mut self,
        channels: &mut [&mut [f32]],
        mut each_block: impl FnMut(&Self),
    ) {
        let nch = channels.len().min(self.channels);
        let n = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < n {
            let len = (n - start).min(self.max_block_size);
            if nch == 2 {
                let (a, b) = channels.split_at_mut(1);
                self.process_pre_block(
                    &mut a[0][start..start + len],
                    Some(&mut b[0][start..start + len]),
                );
            } else if nch == 1 {
                self.process_pre_block(&mut channels[0][start..start + len], None);
            }
            each_block(self);
            start += len;
            if crate::assist::cancel::requested() {
                break;
            }
        }
    }

    /// Offline: renders whole planar channels (1 or 2) through a fresh chain at `settings`,
    /// latency-compensated (the output is aligned with the input and has the same length; the
    /// tail is flushed with silence).
    pub fn render(
        settings: &MasterSettings,
        channels: &[&[f32]],
        sample_rate_hz: f32,
    ) -> Result<Vec<Vec<f32>>, ConfigError> {
        let nch = channels.len();
        let config = ProcessorConfig::new(sample_rate_hz, 4096, nch)?;
        let mut chain = Self::new(config, settings)?;
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let lat = chain.latency_samples();
        let mut bufs: Vec<Vec<f32>> = channels
            .iter()
            .map(|c| {
                let mut v = Vec::with_capacity(n + lat);
                v.extend_from_slice(&c[..n]);
                v.resize(n + lat, 0.0);
                v
            })
            .collect();
        // In slices, so an analysis thread's stop ends an offline render early.
        crate::assist::cancel::in_slices(n + lat, |r| {
            let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[r.clone()]).collect();
            chain.process(&mut refs);
        });
        for b in &mut bufs {
            b.drain(..lat);
        }
        Ok(bufs)
    }
}

impl Processor for MasterChain {
    /// Re-derives everything for the new rate and resets (settings are kept, ramps finished).
    /// Errors (and changes nothing) outside 8–768 kHz or above the limiters' capacity
    /// (max(construction rate, 192 kHz)).
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        validate_sample_rate(sample_rate)?;
        // Check the capacity first so a failure changes nothing.
        if sample_rate > self.capacity_rate_hz {
            return Err(ConfigError::SampleRate(sample_rate));
        }
        for slot in &mut self.slots {
            slot.limiter.set_sample_rate(sample_rate)?;
        }
        self.glue.set_sample_rate(sample_rate)?;
        self.eq.set_sample_rate(sample_rate)?;
        self.mono_hp.set_sample_rate(sample_rate)?;
        self.configure_rate(sample_rate);
        let s = self.settings;
        self.set_settings_immediate(&s);
        self.reset();
        Ok(())
    }

    /// Clears all state (filters, envelopes, delay lines, limiters) and finishes every ramp.
    fn reset(&mut self) {
        self.eq.reset();
        self.glue.reset();
        self.mono_hp.reset();
        for sm in [
            &mut self.in_gain,
            &mut self.width,
            &mut self.mono_mix,
            &mut self.drive,
        ] {
            let t = sm.target();
            sm.reset(t);
        }
        if let Some((to, _)) = self.switching.take() {
            self.active = to;
        }
        for slot in &mut self.slots {
            slot.reset();
        }
        self.glue_idle = if self.settings.glue_on { 0 } else { usize::MAX };
    }

    /// Processes 1 or 2 channels in place; extra slices are silenced. Blocks longer than the
    /// configured maximum are split internally.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let nch = channels.len().min(self.channels);
        let n = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < n {
            let len = (n - start).min(self.max_block_size);
            if nch == 2 {
                let (a, b) = channels.split_at_mut(1);
                let l = &mut a[0][start..start + len];
                let r = &mut b[0][start..start + len];
                self.process_pre_block(l, Some(&mut *r));
                self.process_limit_block(l, Some(r));
            } else if nch == 1 {
                let l = &mut channels[0][start..start + len];
                self.process_pre_block(l, None);
                self.process_limit_block(l, None);
            }
            start += len;
        }
        for (i, buf) in channels.iter_mut().enumerate() {
            if i < nch {
                for x in buf[..n].iter_mut() {
                    *x = crate::util::sanitize(*x);
                }
                buf[n..].fill(0.0);
            } else {
                buf.fill(0.0);
            }
        }
    }

    /// Constant for a given sample rate: `round(5 ms × fs) + 36` samples (see the module docs).
    fn latency_samples(&self) -> usize {
        self.latency
    }
}

#[cfg(test)]
mod tests;
