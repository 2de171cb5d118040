//! The Tandem Comp: a feed-forward compressor with an external side-chain input.
//!
//! - [`CompSettings`]: the plugin's manual parameter set, in plain units (serde).
//! - The parameter-ID scheme, fixed here once and never renamed (see [`PARAMS`]):
//!   `threshold` (dBFS −60…0), `ratio` (1…100, where **≥ 100 means ∞:1**), `knee` (dB 0…24),
//!   `attack` (ms 0.01…300), `release` (ms 5…3000), `auto_release` (0/1), `detector`
//!   ([`CompDetector`] index: 0 = peak, 1 = RMS over [`RMS_WINDOW_MS`]), `link` (% 0…100),
//!   `stereo_mode` ([`CompStereoMode`] index: 0 = L/R, 1 = M/S), `sc_external` (0 = internal
//!   key, 1 = external side-chain), `sc_hpf` (Hz 20…500), `sc_hpf_on` (0/1), `lookahead`
//!   (ms 0…10), `makeup` (dB ±24), `auto_makeup` (0/1), `mix` (% 0…100), `out_gain` (dB ±24).
//!   Enums are their index as `f32`, bools 0/1; values are clamped on the way in.
//! - [`CompChain`]: the real-time [`Processor`] around [`Compressor`], with a constant latency of
//!   [`LATENCY_MS`] worth of samples (the maximum lookahead; the audio is always delayed by it,
//!   whatever the `lookahead` setting) and a ramped output gain.

use crate::chains::Chain;

use serde::{Deserialize, Serialize};

use crate::chains::params::ParamInfo;
use crate::dynamics::{Compressor, CompressorSettings, DetectorKind, SmoothingMode, StereoMode};
use crate::util::{db_to_gain, LinearSmoother};
use crate::{ConfigError, Processor, ProcessorConfig};

/// The chain's maximum lookahead, in ms; also its constant latency.
pub const LATENCY_MS: f32 = 10.0;
/// Window of the RMS detector (`detector` = 1), in ms.
pub const RMS_WINDOW_MS: f32 = 10.0;
/// Ramp time of the output gain, in ms.
pub const OUTPUT_GAIN_RAMP_MS: f32 = 20.0;
/// Lowest threshold, dBFS.
pub const MIN_THRESHOLD_DB: f32 = -60.0;
/// Highest threshold, dBFS.
pub const MAX_THRESHOLD_DB: f32 = 0.0;
/// Lowest ratio.
pub const MIN_RATIO: f32 = 1.0;
/// Highest ratio value; this value (and anything above) means ∞:1 (a limiter curve).
pub const MAX_RATIO: f32 = 100.0;
/// Widest knee, dB.
pub const MAX_KNEE_DB: f32 = 24.0;
/// Shortest attack, ms.
pub const MIN_ATTACK_MS: f32 = 0.01;
/// Longest attack, ms.
pub const MAX_ATTACK_MS: f32 = 300.0;
/// Shortest release, ms.
pub const MIN_RELEASE_MS: f32 = 5.0;
/// Longest release, ms.
pub const MAX_RELEASE_MS: f32 = 3000.0;
/// Lowest side-chain high-pass corner, Hz.
pub const MIN_SC_HPF_HZ: f32 = 20.0;
/// Highest side-chain high-pass corner, Hz.
pub const MAX_SC_HPF_HZ: f32 = 500.0;
/// Largest makeup / output gain magnitude, dB.
pub const MAX_GAIN_DB: f32 = 24.0;

/// Stable parameter IDs (never renamed).
pub mod ids {
    /// Threshold, dBFS.
    pub const THRESHOLD: &str = "threshold";
    /// Ratio (≥ 100 = ∞:1).
    pub const RATIO: &str = "ratio";
    /// Knee width, dB.
    pub const KNEE: &str = "knee";
    /// Attack, ms.
    pub const ATTACK: &str = "attack";
    /// Release, ms.
    pub const RELEASE: &str = "release";
    /// Program-dependent release, 0/1.
    pub const AUTO_RELEASE: &str = "auto_release";
    /// Detector index (0 peak, 1 RMS).
    pub const DETECTOR: &str = "detector";
    /// Stereo link, %.
    pub const LINK: &str = "link";
    /// Stereo mode index (0 L/R, 1 M/S).
    pub const STEREO_MODE: &str = "stereo_mode";
    /// External side-chain, 0/1.
    pub const SC_EXTERNAL: &str = "sc_external";
    /// Side-chain high-pass corner, Hz.
    pub const SC_HPF: &str = "sc_hpf";
    /// Side-chain high-pass on, 0/1.
    pub const SC_HPF_ON: &str = "sc_hpf_on";
    /// Lookahead, ms.
    pub const LOOKAHEAD: &str = "lookahead";
    /// Makeup gain, dB.
    pub const MAKEUP: &str = "makeup";
    /// Automatic makeup, 0/1.
    pub const AUTO_MAKEUP: &str = "auto_makeup";
    /// Dry/wet mix, %.
    pub const MIX: &str = "mix";
    /// Output gain, dB.
    pub const OUT_GAIN: &str = "out_gain";
}

/// The detectors' menu, in [`CompDetector::ALL`] order.
pub const DETECTOR_CHOICES: &[&str] = &["Peak", "RMS"];
/// The stereo modes' menu, in [`CompStereoMode::ALL`] order.
pub const STEREO_MODE_CHOICES: &[&str] = &["L/R", "M/S"];

/// Every parameter in its stable order (the order of [`idx`]). Amount 0 means no compression:
/// `threshold` scales towards 0 dBFS, `ratio` towards 1, `makeup` and `out_gain` towards 0 dB,
/// `mix` stays at 100 % (ratio and threshold already fade the compression out); the times,
/// knee, switches and menus are taken as is.
pub const PARAMS: [ParamInfo; 17] = [
    ParamInfo::float(
        ids::THRESHOLD,
        "Threshold",
        "dB",
        MIN_THRESHOLD_DB,
        MAX_THRESHOLD_DB,
        -18.0,
        Some(0.0),
    ),
    ParamInfo::float(
        ids::RATIO,
        "Ratio",
        ":1",
        MIN_RATIO,
        MAX_RATIO,
        4.0,
        Some(1.0),
    ),
    ParamInfo::float(ids::KNEE, "Knee", "dB", 0.0, MAX_KNEE_DB, 6.0, None),
    ParamInfo::float(
        ids::ATTACK,
        "Attack",
        "ms",
        MIN_ATTACK_MS,
        MAX_ATTACK_MS,
        10.0,
        None,
    ),
    ParamInfo::float(
        ids::RELEASE,
        "Release",
        "ms",
        MIN_RELEASE_MS,
        MAX_RELEASE_MS,
        100.0,
        None,
    ),
    ParamInfo::boolean(ids::AUTO_RELEASE, "Auto Release", false, None),
    ParamInfo::menu(ids::DETECTOR, "Detector", DETECTOR_CHOICES, 0),
    ParamInfo::float(ids::LINK, "Stereo Link", "%", 0.0, 100.0, 100.0, None),
    ParamInfo::menu(ids::STEREO_MODE, "Stereo Mode", STEREO_MODE_CHOICES, 0),
    ParamInfo::boolean(ids::SC_EXTERNAL, "External Sidechain", false, None),
    ParamInfo::float(
        ids::SC_HPF,
        "Sidechain HPF",
        "Hz",
        MIN_SC_HPF_HZ,
        MAX_SC_HPF_HZ,
        100.0,
        None,
    ),
    ParamInfo::boolean(ids::SC_HPF_ON, "Sidechain HPF On", false, None),
    ParamInfo::float(
        ids::LOOKAHEAD,
        "Lookahead",
        "ms",
        0.0,
        LATENCY_MS,
        0.0,
        None,
    ),
    ParamInfo::float(
        ids::MAKEUP,
        "Makeup",
        "dB",
        -MAX_GAIN_DB,
        MAX_GAIN_DB,
        0.0,
        Some(0.0),
    ),
    ParamInfo::boolean(ids::AUTO_MAKEUP, "Auto Makeup", false, None),
    ParamInfo::float(ids::MIX, "Mix", "%", 0.0, 100.0, 100.0, Some(100.0)),
    ParamInfo::float(
        ids::OUT_GAIN,
        "Output Gain",
        "dB",
        -MAX_GAIN_DB,
        MAX_GAIN_DB,
        0.0,
        Some(0.0),
    ),
];

/// Each parameter's index in [`PARAMS`] (the same names as [`ids`]; a test pins the pairs),
/// so the audio thread sets a parameter without comparing strings.
pub mod idx {
    /// [`super::ids::THRESHOLD`].
    pub const THRESHOLD: usize = 0;
    /// [`super::ids::RATIO`].
    pub const RATIO: usize = 1;
    /// [`super::ids::KNEE`].
    pub const KNEE: usize = 2;
    /// [`super::ids::ATTACK`].
    pub const ATTACK: usize = 3;
    /// [`super::ids::RELEASE`].
    pub const RELEASE: usize = 4;
    /// [`super::ids::AUTO_RELEASE`].
    pub const AUTO_RELEASE: usize = 5;
    /// [`super::ids::DETECTOR`].
    pub const DETECTOR: usize = 6;
    /// [`super::ids::LINK`].
    pub const LINK: usize = 7;
    /// [`super::ids::STEREO_MODE`].
    pub const STEREO_MODE: usize = 8;
    /// [`super::ids::SC_EXTERNAL`].
    pub const SC_EXTERNAL: usize = 9;
    /// [`super::ids::SC_HPF`].
    pub const SC_HPF: usize = 10;
    /// [`super::ids::SC_HPF_ON`].
    pub const SC_HPF_ON: usize = 11;
    /// [`super::ids::LOOKAHEAD`].
    pub const LOOKAHEAD: usize = 12;
    /// [`super::ids::MAKEUP`].
    pub const MAKEUP: usize = 13;
    /// [`super::ids::AUTO_MAKEUP`].
    pub const AUTO_MAKEUP: usize = 14;
    /// [`super::ids::MIX`].
    pub const MIX: usize = 15;
    /// [`super::ids::OUT_GAIN`].
    pub const OUT_GAIN: usize = 16;
}

fn enum_index(value: f32, len: usize) -> usize {
    if value.is_finite() {
        value.round().clamp(0.0, (len - 1) as f32) as usize
    } else {
        0
    }
}

fn clamp_or(v: f32, lo: f32, hi: f32, default: f32) -> f32 {
    if v.is_finite() {
        v.clamp(lo, hi)
    } else {
        default
    }
}

fn flag(v: f32) -> bool {
    v.is_finite() && v >= 0.5
}

/// The level detector. The order is the parameter's enum index and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CompDetector {
    /// Instantaneous peak `|x|`.
    #[default]
    Peak,
    /// Sliding RMS over [`RMS_WINDOW_MS`].
    Rms,
}

impl CompDetector {
    /// All detectors in index order.
    pub const ALL: [CompDetector; 2] = [CompDetector::Peak, CompDetector::Rms];

    /// The parameter enum index.
    pub fn index(self) -> usize {
        match self {
            CompDetector::Peak => 0,
            CompDetector::Rms => 1,
        }
    }

    /// From a plain parameter value (rounded, clamped; NaN → Peak).
    pub fn from_value(value: f32) -> Self {
        Self::ALL[enum_index(value, Self::ALL.len())]
    }

    /// The compressor's detector kind.
    pub fn kind(self) -> DetectorKind {
        match self {
            CompDetector::Peak => DetectorKind::Peak,
            CompDetector::Rms => DetectorKind::Rms {
                window_ms: RMS_WINDOW_MS,
            },
        }
    }
}

/// Left/right or mid/side processing. The order is the parameter's enum index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CompStereoMode {
    /// Left and right, linked by `link`.
    #[default]
    LeftRight,
    /// Mid and side (stereo only), linked by `link`.
    MidSide,
}

impl CompStereoMode {
    /// All modes in index order.
    pub const ALL: [CompStereoMode; 2] = [CompStereoMode::LeftRight, CompStereoMode::MidSide];

    /// The parameter enum index.
    pub fn index(self) -> usize {
        match self {
            CompStereoMode::LeftRight => 0,
            CompStereoMode::MidSide => 1,
        }
    }

    /// From a plain parameter value (rounded, clamped; NaN → L/R).
    pub fn from_value(value: f32) -> Self {
        Self::ALL[enum_index(value, Self::ALL.len())]
    }
}

/// The compressor's manual settings, in plain units (what the plugin and the CLI persist).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompSettings {
    /// Threshold, dBFS, −60…0 (default −18).
    pub threshold_db: f32,
    /// Ratio 1…100; 100 means ∞:1 (default 4).
    pub ratio: f32,
    /// Soft-knee width, dB, 0…24 (default 6).
    pub knee_db: f32,
    /// Attack time constant, ms, 0.01…300 (default 10).
    pub attack_ms: f32,
    /// Release time constant, ms, 5…3000 (default 100).
    pub release_ms: f32,
    /// Program-dependent release (default off).
    pub auto_release: bool,
    /// Level detector (default peak).
    pub detector: CompDetector,
    /// Stereo link, %, 0…100 (default 100).
    pub link_pct: f32,
    /// L/R or M/S (default L/R).
    pub stereo_mode: CompStereoMode,
    /// Key from the external side-chain input instead of the main input (default off).
    pub sc_external: bool,
    /// Side-chain high-pass corner, Hz, 20…500 (default 100).
    pub sc_hpf_hz: f32,
    /// Side-chain high-pass on (default off).
    pub sc_hpf_on: bool,
    /// Lookahead, ms, 0…10 (default 0). Does not change the latency.
    pub lookahead_ms: f32,
    /// Makeup gain, dB, ±24 (default 0).
    pub makeup_db: f32,
    /// Adds the automatic makeup `−y_G(0 dBFS)` to `makeup_db` (default off).
    pub auto_makeup: bool,
    /// Wet share, %, 0…100 (default 100).
    pub mix_pct: f32,
    /// Output gain, dB, ±24 (default 0), ramped.
    pub out_gain_db: f32,
}

impl Default for CompSettings {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            auto_release: false,
            detector: CompDetector::Peak,
            link_pct: 100.0,
            stereo_mode: CompStereoMode::LeftRight,
            sc_external: false,
            sc_hpf_hz: 100.0,
            sc_hpf_on: false,
            lookahead_ms: 0.0,
            makeup_db: 0.0,
            auto_makeup: false,
            mix_pct: 100.0,
            out_gain_db: 0.0,
        }
    }
}

impl CompSettings {
    /// The same settings with every value finite and inside its range (NaN → the default).
    pub fn sanitized(&self) -> Self {
        let d = Self::default();
        Self {
            threshold_db: clamp_or(
                self.threshold_db,
                MIN_THRESHOLD_DB,
                MAX_THRESHOLD_DB,
                d.threshold_db,
            ),
            ratio: if self.ratio.is_nan() {
                d.ratio
            } else {
                self.ratio.clamp(MIN_RATIO, MAX_RATIO)
            },
            knee_db: clamp_or(self.knee_db, 0.0, MAX_KNEE_DB, d.knee_db),
            attack_ms: clamp_or(self.attack_ms, MIN_ATTACK_MS, MAX_ATTACK_MS, d.attack_ms),
            release_ms: clamp_or(
                self.release_ms,
                MIN_RELEASE_MS,
                MAX_RELEASE_MS,
                d.release_ms,
            ),
            link_pct: clamp_or(self.link_pct, 0.0, 100.0, d.link_pct),
            sc_hpf_hz: clamp_or(self.sc_hpf_hz, MIN_SC_HPF_HZ, MAX_SC_HPF_HZ, d.sc_hpf_hz),
            lookahead_ms: clamp_or(self.lookahead_ms, 0.0, LATENCY_MS, d.lookahead_ms),
            makeup_db: clamp_or(self.makeup_db, -MAX_GAIN_DB, MAX_GAIN_DB, d.makeup_db),
            mix_pct: clamp_or(self.mix_pct, 0.0, 100.0, d.mix_pct),
            out_gain_db: clamp_or(self.out_gain_db, -MAX_GAIN_DB, MAX_GAIN_DB, d.out_gain_db),
            ..*self
        }
    }

    /// The ratio the gain computer runs: the `ratio` value, or `f32::INFINITY` at ≥ 100.
    pub fn effective_ratio(&self) -> f32 {
        let r = self.sanitized().ratio;
        if r >= MAX_RATIO {
            f32::INFINITY
        } else {
            r
        }
    }

    /// The settings sanitised, with the total makeup (manual plus automatic) capped at +24 dB
    /// like the manual makeup alone. Without the cap, auto makeup with a low threshold and a
    /// high ratio adds up to 60 dB on top of 24 dB of makeup, and since the makeup ramps in
    /// 20 ms while the gain reduction follows the attack (up to 300 ms), a jump of threshold or
    /// ratio would let full-scale input through 100 dB louder for a moment. Below the cap
    /// (every practical setting) this is just [`sanitized`](Self::sanitized).
    pub fn capped(&self) -> Self {
        let mut s = self.sanitized();
        if s.auto_makeup {
            let total = s.makeup_db - s.static_curve_db(0.0);
            if total > MAX_GAIN_DB {
                s.auto_makeup = false;
                s.makeup_db = MAX_GAIN_DB;
            }
        }
        s
    }

    /// The [`CompressorSettings`] these settings run (decoupled smoothing; the output gain and
    /// the side-chain source are handled by [`CompChain`]).
    pub fn compressor_settings(&self) -> CompressorSettings {
        let s = self.capped();
        CompressorSettings {
            threshold_db: s.threshold_db,
            ratio: s.effective_ratio(),
            knee_db: s.knee_db,
            attack_ms: s.attack_ms,
            release_ms: s.release_ms,
            auto_release: s.auto_release,
            detector: s.detector.kind(),
            smoothing: SmoothingMode::Decoupled,
            stereo_link_pct: s.link_pct,
            stereo_mode: match s.stereo_mode {
                CompStereoMode::LeftRight => StereoMode::LeftRight,
                CompStereoMode::MidSide => StereoMode::MidSide,
            },
            sidechain_hpf_hz: s.sc_hpf_on.then_some(s.sc_hpf_hz),
            lookahead_ms: s.lookahead_ms,
            makeup_db: s.makeup_db,
            auto_makeup: s.auto_makeup,
            mix_pct: s.mix_pct,
        }
    }

    /// Sets the parameter at `index` of [`PARAMS`] from its plain value (clamped; NaN → the
    /// default); false past the end. No string comparison: for the audio thread.
    pub fn set_param_at(&mut self, index: usize, value: f32) -> bool {
        let d = Self::default();
        match index {
            idx::THRESHOLD => {
                self.threshold_db =
                    clamp_or(value, MIN_THRESHOLD_DB, MAX_THRESHOLD_DB, d.threshold_db)
            }
            idx::RATIO => {
                self.ratio = if value.is_nan() {
                    d.ratio
                } else {
                    value.clamp(MIN_RATIO, MAX_RATIO)
                }
            }
            idx::KNEE => self.knee_db = clamp_or(value, 0.0, MAX_KNEE_DB, d.knee_db),
            idx::ATTACK => {
                self.attack_ms = clamp_or(value, MIN_ATTACK_MS, MAX_ATTACK_MS, d.attack_ms)
            }
            idx::RELEASE => {
                self.release_ms = clamp_or(value, MIN_RELEASE_MS, MAX_RELEASE_MS, d.release_ms)
            }
            idx::AUTO_RELEASE => self.auto_release = flag(value),
            idx::DETECTOR => self.detector = CompDetector::from_value(value),
            idx::LINK => self.link_pct = clamp_or(value, 0.0, 100.0, d.link_pct),
            idx::STEREO_MODE => self.stereo_mode = CompStereoMode::from_value(value),
            idx::SC_EXTERNAL => self.sc_external = flag(value),
            idx::SC_HPF => {
                self.sc_hpf_hz = clamp_or(value, MIN_SC_HPF_HZ, MAX_SC_HPF_HZ, d.sc_hpf_hz)
            }
            idx::SC_HPF_ON => self.sc_hpf_on = flag(value),
            idx::LOOKAHEAD => self.lookahead_ms = clamp_or(value, 0.0, LATENCY_MS, 0.0),
            idx::MAKEUP => self.makeup_db = clamp_or(value, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0),
            idx::AUTO_MAKEUP => self.auto_makeup = flag(value),
            idx::MIX => self.mix_pct = clamp_or(value, 0.0, 100.0, d.mix_pct),
            idx::OUT_GAIN => self.out_gain_db = clamp_or(value, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0),
            _ => return false,
        }
        true
    }

    /// The plain value of the parameter at `index` of [`PARAMS`] (enums as their index, bools
    /// as 0/1), `None` past the end.
    pub fn param_at(&self, index: usize) -> Option<f32> {
        let b = |x: bool| f32::from(u8::from(x));
        Some(match index {
            idx::THRESHOLD => self.threshold_db,
            idx::RATIO => self.ratio,
            idx::KNEE => self.knee_db,
            idx::ATTACK => self.attack_ms,
            idx::RELEASE => self.release_ms,
            idx::AUTO_RELEASE => b(self.auto_release),
            idx::DETECTOR => self.detector.index() as f32,
            idx::LINK => self.link_pct,
            idx::STEREO_MODE => self.stereo_mode.index() as f32,
            idx::SC_EXTERNAL => b(self.sc_external),
            idx::SC_HPF => self.sc_hpf_hz,
            idx::SC_HPF_ON => b(self.sc_hpf_on),
            idx::LOOKAHEAD => self.lookahead_ms,
            idx::MAKEUP => self.makeup_db,
            idx::AUTO_MAKEUP => b(self.auto_makeup),
            idx::MIX => self.mix_pct,
            idx::OUT_GAIN => self.out_gain_db,
            _ => return None,
        })
    }

    /// The static curve of these settings: output level (dB) for a stationary detected input
    /// level `x_db` (dB), before makeup and output gain.
    pub fn static_curve_db(&self, x_db: f32) -> f32 {
        let s = self.sanitized();
        crate::dynamics::static_curve_db(x_db, s.threshold_db, s.effective_ratio(), s.knee_db)
    }
}

/// The Tandem Comp processor: [`Compressor`] (max lookahead [`LATENCY_MS`]) then a ramped output
/// gain, 1–8 channels. Allocates only in [`CompChain::new`]; `process` never allocates, locks or
/// panics and never outputs NaN/Inf (non-finite input samples come out as 0).
#[derive(Debug, Clone)]
pub struct CompChain {
    settings: CompSettings,
    comp: Compressor,
    out_gain: LinearSmoother,
    sample_rate_hz: f32,
}

impl CompChain {
    /// A compressor for `config` starting at `settings` (sanitised) without any ramp.
    pub fn new(config: ProcessorConfig, settings: &CompSettings) -> Result<Self, ConfigError> {
        config.validate()?;
        let s = settings.sanitized();
        let comp = Compressor::new(config, LATENCY_MS, s.compressor_settings())?;
        Ok(Self {
            settings: s,
            comp,
            out_gain: LinearSmoother::new(
                db_to_gain(s.out_gain_db),
                OUTPUT_GAIN_RAMP_MS,
                config.sample_rate,
            ),
            sample_rate_hz: config.sample_rate,
        })
    }

    /// Applies new settings (sanitised). Makeup, mix and output gain ramp over 20 ms; threshold,
    /// ratio and knee act in the gain computer, whose output is smoothed by attack/release, so
    /// changes are click-free. Real-time safe (no allocation).
    pub fn set_settings(&mut self, settings: &CompSettings) {
        let s = settings.sanitized();
        self.settings = s;
        self.comp.set_settings(s.compressor_settings());
        self.out_gain.set_target(db_to_gain(s.out_gain_db));
    }

    /// The current (sanitised) settings.
    pub fn settings(&self) -> &CompSettings {
        &self.settings
    }

    /// The current gain reduction in dB (≥ 0, the largest over the channels) for the meter.
    pub fn gain_reduction_db(&self) -> f32 {
        self.comp.gain_reduction_db()
    }

    /// The automatic makeup of the current curve, `−y_G(0 dBFS)`, in dB (what `auto_makeup`
    /// adds).
    pub fn auto_makeup_db(&self) -> f32 {
        self.comp.auto_makeup_db()
    }

    /// The current sample rate in Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// Processes `main` in place. With `sc_external` on and `key` given (one slice per channel,
    /// channel `c` keyed by `key[min(c, len − 1)]`), the compressor is keyed by `key`; otherwise
    /// (internal key, or no external input available: `None` or an empty slice) by `main`
    /// itself. Real-time safe; any block length.
    pub fn process_with_sidechain(&mut self, main: &mut [&mut [f32]], key: Option<&[&[f32]]>) {
        let key: &[&[f32]] = match key {
            Some(k) if self.settings.sc_external => k,
            _ => &[],
        };
        self.comp.process_with_sidechain(main, key);
        let n = main.iter().map(|c| c.len()).min().unwrap_or(0);
        if !self.out_gain.is_smoothing() && self.out_gain.current() == 1.0 {
            return;
        }
        for i in 0..n {
            let g = self.out_gain.tick();
            for ch in main.iter_mut() {
                let y = ch[i] * g;
                ch[i] = if y.is_finite() { y } else { 0.0 };
            }
        }
    }
}

impl Processor for CompChain {
    /// Fails for rates outside 8–768 kHz or above max(construction rate, 192 kHz).
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        self.comp.set_sample_rate(sample_rate)?;
        self.sample_rate_hz = sample_rate;
        self.out_gain.set_ramp(OUTPUT_GAIN_RAMP_MS, sample_rate);
        self.out_gain.reset(db_to_gain(self.settings.out_gain_db));
        Ok(())
    }

    fn reset(&mut self) {
        self.comp.reset();
        self.out_gain.reset(db_to_gain(self.settings.out_gain_db));
    }

    /// Keyed by the main input (an external key needs [`CompChain::process_with_sidechain`]).
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.process_with_sidechain(channels, None);
    }

    /// [`LATENCY_MS`] in samples at the current rate, rounded to nearest (constant for a rate).
    fn latency_samples(&self) -> usize {
        self.comp.latency_samples()
    }
}

impl Chain for CompChain {
    type Settings = CompSettings;
    fn params() -> &'static [ParamInfo] {
        &PARAMS
    }
    fn build(config: ProcessorConfig, settings: &CompSettings) -> Result<Self, ConfigError> {
        CompChain::new(config, settings)
    }
    fn apply(&mut self, settings: &CompSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &CompSettings) {
        // The following `reset` settles the ramps.
        self.set_settings(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], key: Option<&[&[f32]]>) {
        self.process_with_sidechain(io, key);
    }
    fn set_param_at(settings: &mut CompSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn param_at(settings: &CompSettings, index: usize) -> Option<f32> {
        settings.param_at(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each index constant names its own ID, checked against a list written out by hand.
    #[test]
    fn index_constants_name_their_ids() {
        let pairs = [
            (idx::THRESHOLD, "threshold"),
            (idx::RATIO, "ratio"),
            (idx::KNEE, "knee"),
            (idx::ATTACK, "attack"),
            (idx::RELEASE, "release"),
            (idx::AUTO_RELEASE, "auto_release"),
            (idx::DETECTOR, "detector"),
            (idx::LINK, "link"),
            (idx::STEREO_MODE, "stereo_mode"),
            (idx::SC_EXTERNAL, "sc_external"),
            (idx::SC_HPF, "sc_hpf"),
            (idx::SC_HPF_ON, "sc_hpf_on"),
            (idx::LOOKAHEAD, "lookahead"),
            (idx::MAKEUP, "makeup"),
            (idx::AUTO_MAKEUP, "auto_makeup"),
            (idx::MIX, "mix"),
            (idx::OUT_GAIN, "out_gain"),
        ];
        assert_eq!(pairs.len(), PARAMS.len());
        for (i, id) in pairs {
            assert_eq!(PARAMS[i].id, id);
            assert_eq!(
                <CompChain as crate::chains::Chain>::param_index(id),
                Some(i)
            );
        }
    }
    use crate::testsignals::{pink_noise, sine};

    fn chain(sr: f32, channels: usize, s: &CompSettings) -> CompChain {
        CompChain::new(ProcessorConfig::new(sr, 512, channels).unwrap(), s).unwrap()
    }

    fn run(c: &mut CompChain, chans: &mut [Vec<f32>], key: Option<&[Vec<f32>]>) {
        let n = chans[0].len();
        let mut start = 0;
        let mut k = 0;
        while start < n {
            let len = [512usize, 100, 333][k % 3].min(n - start);
            let mut block: Vec<&mut [f32]> = chans
                .iter_mut()
                .map(|v| &mut v[start..start + len])
                .collect();
            match key {
                Some(kk) => {
                    let kb: Vec<&[f32]> = kk.iter().map(|v| &v[start..start + len]).collect();
                    c.process_with_sidechain(&mut block, Some(&kb));
                }
                None => c.process(&mut block),
            }
            start += len;
            k += 1;
        }
    }

    fn rms_db(x: &[f32]) -> f32 {
        let ms: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64;
        (10.0 * ms.log10()) as f32
    }

    #[test]
    fn static_curve_exact_outside_knee() {
        // 1 kHz at 48 kHz: the 10 ms RMS window holds whole periods, so the detected level is
        // the sine's RMS and the output RMS must be T + (x − T)/R.
        let sr = 48_000.0;
        for &(t, r, knee, amp) in &[
            (-20.0f32, 4.0f32, 6.0f32, 0.5f32),
            (-30.0, 2.0, 0.0, 0.3),
            (-40.0, 8.0, 12.0, 0.9),
            (-24.0, 100.0, 6.0, 0.5),
            (-10.0, 1.0, 0.0, 0.5),
        ] {
            let s = CompSettings {
                threshold_db: t,
                ratio: r,
                knee_db: knee,
                attack_ms: 5.0,
                release_ms: 200.0,
                detector: CompDetector::Rms,
                ..CompSettings::default()
            };
            let mut c = chain(sr, 1, &s);
            let mut x = vec![sine(48_000, 1000.0, amp, sr as f64)];
            let x_db = rms_db(&x[0][24_000..]);
            assert!(x_db > t + knee / 2.0 || r == 1.0);
            run(&mut c, &mut x, None);
            let got = rms_db(&x[0][24_000..]);
            let want = if r >= 100.0 { t } else { t + (x_db - t) / r };
            assert!(
                (got - want).abs() < 0.1,
                "T {t} R {r}: out {got:.3} dB, curve {want:.3} dB"
            );
            assert!((s.static_curve_db(x_db) - want).abs() < 1e-3);
        }
    }

    #[test]
    fn external_key_ducks_internal_does_not() {
        let sr = 48_000.0;
        let n = 24_000;
        let quiet = sine(n, 440.0, 0.05, sr as f64); // −29 dB RMS, below −20 dB threshold
        let loud_key = pink_noise(n, 0.5, 3);
        let s = CompSettings {
            threshold_db: -20.0,
            ratio: 8.0,
            knee_db: 0.0,
            ..CompSettings::default()
        };
        // Internal key: nothing to do.
        let mut c = chain(sr, 2, &s);
        let mut x = vec![quiet.clone(), quiet.clone()];
        let key = vec![loud_key.clone(), loud_key.clone()];
        run(&mut c, &mut x, Some(&key));
        let lat = c.latency_samples();
        let in_db = rms_db(&quiet[12_000..n - lat]);
        assert!((rms_db(&x[0][12_000 + lat..]) - in_db).abs() < 0.05);
        // External key: ducked by many dB.
        let s_ext = CompSettings {
            sc_external: true,
            ..s
        };
        let mut c = chain(sr, 2, &s_ext);
        let mut x = vec![quiet.clone(), quiet.clone()];
        run(&mut c, &mut x, Some(&key));
        let out_db = rms_db(&x[0][12_000 + lat..]);
        assert!(out_db < in_db - 6.0, "{out_db} vs {in_db}");
        assert!(c.gain_reduction_db() > 6.0);
        // External selected but no key available: falls back to the main input.
        let mut c = chain(sr, 2, &s_ext);
        let mut x = vec![quiet.clone(), quiet.clone()];
        run(&mut c, &mut x, None);
        assert!((rms_db(&x[0][12_000 + lat..]) - in_db).abs() < 0.05);
    }

    #[test]
    fn impulse_peak_at_latency() {
        for sr in [44_100.0f32, 48_000.0, 96_000.0] {
            for la in [0.0f32, 5.0, 10.0] {
                let s = CompSettings {
                    lookahead_ms: la,
                    threshold_db: -6.0,
                    ..CompSettings::default()
                };
                let mut c = chain(sr, 2, &s);
                let lat = c.latency_samples();
                assert_eq!(lat, (LATENCY_MS as f64 * 1e-3 * sr as f64).round() as usize);
                let mut x = vec![vec![0.0f32; 4096]; 2];
                x[0][100] = 0.1;
                x[1][100] = 0.1;
                run(&mut c, &mut x, None);
                let peak = x[0].iter().enumerate().fold((0, 0.0f32), |a, (i, v)| {
                    if v.abs() > a.1 {
                        (i, v.abs())
                    } else {
                        a
                    }
                });
                assert_eq!(peak.0, 100 + lat, "{sr} Hz, lookahead {la} ms");
            }
        }
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let s = CompSettings {
            out_gain_db: 6.0,
            lookahead_ms: 3.0,
            stereo_mode: CompStereoMode::MidSide,
            ..CompSettings::default()
        };
        let mut c = chain(44_100.0, 2, &s);
        let mut x = vec![pink_noise(8000, 0.3, 1), pink_noise(8000, 0.3, 2)];
        x[0][100] = f32::NAN;
        x[1][200] = f32::INFINITY;
        x[0][300] = f32::NEG_INFINITY;
        x[1][1000] = 3e38;
        let key = vec![vec![f32::NAN; 8000]];
        c.set_settings(&CompSettings {
            sc_external: true,
            ..s
        });
        run(&mut c, &mut x, Some(&key));
        assert!(x.iter().flatten().all(|v| v.is_finite()));
        c.set_settings(&CompSettings {
            ratio: f32::NAN,
            threshold_db: f32::INFINITY,
            ..s
        });
        let mut y = vec![pink_noise(4000, 0.3, 5), pink_noise(4000, 0.3, 6)];
        run(&mut c, &mut y, None);
        assert!(y.iter().flatten().all(|v| v.is_finite()));
        assert!(y[0][3000..].iter().any(|v| *v != 0.0));
    }

    #[test]
    fn output_gain_ramps_and_settings_changes_are_click_free() {
        let sr = 48_000.0;
        let x = sine(48_000, 200.0, 0.5, sr as f64);
        let max_step = |y: &[f32]| {
            y.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max)
        };
        let dry = max_step(&x);
        let mut s = CompSettings {
            detector: CompDetector::Rms,
            ..CompSettings::default()
        };
        let mut c = chain(sr, 1, &s);
        let mut y = x.clone();
        for (i, block) in y.chunks_mut(256).enumerate() {
            match i {
                30 => s.out_gain_db = -12.0,
                60 => s.makeup_db = 6.0,
                90 => s.mix_pct = 30.0,
                120 => s.threshold_db = -40.0,
                150 => s.ratio = 100.0,
                _ => {}
            }
            c.set_settings(&s);
            c.process(&mut [block]);
        }
        assert!(max_step(&y) < 1.5 * dry, "{} vs {}", max_step(&y), dry);
        // Settled output gain: −12 dB exactly (threshold 0, ratio 1 → no compression).
        let s = CompSettings {
            threshold_db: 0.0,
            ratio: 1.0,
            out_gain_db: -12.0,
            ..CompSettings::default()
        };
        let mut c = chain(sr, 1, &s);
        let mut y = vec![x.clone()];
        run(&mut c, &mut y, None);
        let lat = c.latency_samples();
        let d = rms_db(&y[0][lat + 1000..]) - rms_db(&x[1000..48_000 - lat]);
        assert!((d + 12.0).abs() < 0.01, "{d}");
    }

    #[test]
    fn settings_param_map_round_trip() {
        let s = CompSettings {
            threshold_db: -33.5,
            ratio: 100.0,
            knee_db: 3.0,
            attack_ms: 0.5,
            release_ms: 1200.0,
            auto_release: true,
            detector: CompDetector::Rms,
            link_pct: 40.0,
            stereo_mode: CompStereoMode::MidSide,
            sc_external: true,
            sc_hpf_hz: 250.0,
            sc_hpf_on: true,
            lookahead_ms: 4.0,
            makeup_db: -3.0,
            auto_makeup: true,
            mix_pct: 70.0,
            out_gain_db: 2.0,
        };
        use crate::chains::Chain;
        let map = CompChain::param_map(&s);
        assert_eq!(map.len(), PARAMS.len());
        assert_eq!(CompChain::from_param_map(&map), s);
        assert_eq!(map["detector"], 1.0);
        assert_eq!(map["stereo_mode"], 1.0);
        assert_eq!(map["sc_hpf_on"], 1.0);
        assert_eq!(s.effective_ratio(), f32::INFINITY);
        assert_eq!(CompChain::param(&s, "nope"), None);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<CompSettings>(&json).unwrap(), s);
        assert_eq!(CompChain::neutral_value("ratio"), Some(1.0));
        assert_eq!(CompChain::neutral_value("threshold"), Some(0.0));
        assert_eq!(CompChain::neutral_value("mix"), Some(100.0));
        assert_eq!(CompChain::neutral_value("attack"), None);
        let mut m = std::collections::BTreeMap::new();
        m.insert("threshold".to_string(), -100.0);
        m.insert("ratio".to_string(), 1e9);
        m.insert("attack".to_string(), f32::NAN);
        m.insert("detector".to_string(), 7.0);
        m.insert("lookahead".to_string(), 50.0);
        let c = CompChain::from_param_map(&m);
        assert_eq!(c.threshold_db, MIN_THRESHOLD_DB);
        assert_eq!(c.ratio, MAX_RATIO);
        assert_eq!(c.attack_ms, 10.0);
        assert_eq!(c.detector, CompDetector::Rms);
        assert_eq!(c.lookahead_ms, LATENCY_MS);
        let d = CompSettings::default();
        assert_eq!((d.threshold_db, d.ratio, d.knee_db), (-18.0, 4.0, 6.0));
        assert!(CompChain::new(
            ProcessorConfig::new(48_000.0, 64, 9).unwrap_or(ProcessorConfig {
                sample_rate: 48_000.0,
                max_block_size: 64,
                channels: 9,
                fixed_rate: false,
            }),
            &d
        )
        .is_err());
        let mut c = chain(48_000.0, 1, &d);
        assert!(c.set_sample_rate(1.0).is_err());
        c.set_sample_rate(96_000.0).unwrap();
        assert_eq!(c.latency_samples(), 960);
    }

    /// A chain whose buffers are sized for its own rate only (how the plugins build theirs)
    /// sounds exactly like one sized for 192 kHz, RMS and peak, with a moving threshold; it
    /// refuses a higher rate instead of allocating, and takes a lower one.
    #[test]
    fn a_chain_fixed_to_its_rate_sounds_the_same() {
        let s = CompSettings::default();
        crate::chains::test_support::a_fixed_rate_chain_sounds_the_same(
            |config| CompChain::new(config, &s).unwrap(),
            |c, i| {
                c.set_settings(&CompSettings {
                    detector: if i / 100 % 2 == 0 {
                        CompDetector::Rms
                    } else {
                        CompDetector::Peak
                    },
                    threshold_db: -30.0 + (i % 11) as f32,
                    ..s
                })
            },
        );
    }
}
