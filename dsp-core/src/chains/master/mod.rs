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

//!
//! The files: this one holds the settings; `params` the parameter table ([`PARAMS`]) and the
//! access by index; `chain` the [`MasterChain`]; `tests` the tests.

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

mod chain;
mod params;
#[cfg(test)]
mod tests;

pub use chain::MasterChain;
pub use params::*;

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

pub(super) fn place_from_value(v: f32) -> Placement {
    // Only stereo / mid / side exist here.
    Placement::ALL[if v.is_finite() {
        v.round().clamp(0.0, 2.0) as usize
    } else {
        0
    }]
}

pub(super) fn place_index(p: Placement) -> f32 {
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
        for (i, p) in PARAMS.iter().enumerate() {
            s.set_param_at(i, p.default);
        }
        s
    }
}

impl MasterSettings {
    /// The same settings with every value made valid (each field passed through its
    /// [`ParamInfo::sanitize`]).
    pub fn sanitized(&self) -> Self {
        let mut s = *self;
        for (i, (get, _)) in FIELDS.iter().enumerate() {
            s.set_param_at(i, get(self));
        }
        s
    }

    /// True when `self` and `other` (both as the chain takes them, [`Self::sanitized`]) differ
    /// at most from the drive on (drive, limiter, dither): the stages before the limiter
    /// process the same (see [`MasterChain::process_limit_stage`]).
    pub fn same_before_limiter(&self, other: &Self) -> bool {
        let (a, mut b) = (self.sanitized(), other.sanitized());
        b.lim_drive_db = a.lim_drive_db;
        b.lim_ceiling_dbtp = a.lim_ceiling_dbtp;
        b.lim_release_ms = a.lim_release_ms;
        b.lim_auto_release = a.lim_auto_release;
        b.lim_lookahead_ms = a.lim_lookahead_ms;
        b.lim_oversampling = a.lim_oversampling;
        b.dither = a.dither;
        a == b
    }

    /// Sets the parameter at `index` in [`PARAMS`] from its plain value (clamped; NaN → the
    /// default); false for an index past the end. No string comparison: for the audio thread.
    pub fn set_param_at(&mut self, index: usize, value: f32) -> bool {
        match (PARAMS.get(index), FIELDS.get(index)) {
            (Some(info), Some((_, set))) => {
                set(self, info.sanitize(value));
                true
            }
            _ => false,
        }
    }

    /// The plain value of the parameter at `index` in [`PARAMS`] (enums as their index, bools
    /// as 0/1), `None` past the end.
    pub fn param_at(&self, index: usize) -> Option<f32> {
        FIELDS.get(index).map(|(get, _)| get(self))
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
