//! The Tandem EQ: eight zero-latency filter bands with stereo placement.
//!
//! - [`EqSettings`] / [`BandSettings`]: the persisted (serde) settings, in plain units.
//! - The parameter-ID scheme, fixed here once and never renamed: `b{n}_on`, `b{n}_type`,
//!   `b{n}_freq`, `b{n}_gain`, `b{n}_q`, `b{n}_slope`, `b{n}_place` for bands n = 1…8, and
//!   `out_gain`. `Chain::param_map` / `Chain::from_param_map` convert to and from
//!   maps of plain values (enums as their index, bools as 0/1); [`PARAMS`] is the parameter table
//!   (names, ranges, defaults, menus and the value an "amount" of 0 scales to).
//! - [`EqChain`]: the real-time [`Processor`] (mono or stereo). Bands run in order 1…8, each a
//!   [`FilterCascade`] from the filters module (frequency, gain and Q glide click-free);
//!   switching a band on or off, or changing its type, slope or placement, crossfades over
//!   [`BAND_FADE_MS`]. Mid/side bands encode `M = (L+R)/2`, `S = (L−R)/2` around themselves and
//!   decode `L = M+S`, `R = M−S`; left/right bands touch one channel only. Latency 0.
//! - [`EqSettings::magnitude_db`] / [`EqSettings::placement_magnitude_db`]: the exact response
//!   of the coefficients the DSP runs, for the GUI and the assistant.

//!
//! The files: this one holds the settings and the parameter-ID scheme; `band` one band's
//! runner (its cascade, crossfade and block path); `chain` the [`EqChain`] and its band-by-band
//! path; `fast` the fast path through one [`StereoBank`]; `tests`
//! the tests.

use serde::{Deserialize, Serialize};

use crate::chains::params::ParamInfo;
#[cfg(test)]
use crate::filters::BankKernel;
use crate::filters::{
    design, BiquadCoefs, BiquadState, CascadeCoefs, CoefUpdate, CutShape, FilterCascade,
    FilterKind, FilterSpec, MidSide, StereoBank, StereoSection, MAX_BANK_SECTIONS,
};
use crate::util::LinearSmoother;
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig};

mod band;
mod chain;
mod fast;
#[cfg(test)]
mod tests;

pub use chain::EqChain;

/// Number of EQ bands.
pub const NUM_BANDS: usize = 8;
/// Lowest band frequency, in Hz.
pub const MIN_FREQ_HZ: f32 = 10.0;
/// Highest band frequency, in Hz (further clamped to 0.49 × the running sample rate).
pub const MAX_FREQ_HZ: f32 = 30_000.0;
/// Largest band boost or cut, in dB (also the output gain range).
pub const MAX_GAIN_DB: f32 = 24.0;
/// Lowest band Q (dimensionless).
pub const MIN_Q: f32 = 0.1;
/// Highest band Q (dimensionless).
pub const MAX_Q: f32 = 18.0;
/// Gentlest cut slope, in dB/octave.
pub const MIN_SLOPE_DB_OCT: f32 = 6.0;
/// Steepest cut slope, in dB/octave.
pub const MAX_SLOPE_DB_OCT: f32 = 48.0;
/// Default band frequencies in Hz, spread so every band is useful when switched on.
pub const DEFAULT_FREQS_HZ: [f32; NUM_BANDS] =
    [60.0, 150.0, 400.0, 1000.0, 2500.0, 5000.0, 8000.0, 12000.0];
/// Default band Q (dimensionless).
pub const DEFAULT_Q: f32 = 0.7;
/// Default cut slope, in dB/octave.
pub const DEFAULT_SLOPE_DB_OCT: f32 = 12.0;
/// Crossfade time for band on/off and for type/slope/placement changes, in ms.
pub const BAND_FADE_MS: f32 = 10.0;
/// Ramp time of the output gain, in ms.
pub const OUTPUT_GAIN_RAMP_MS: f32 = 20.0;
/// Stable parameter ID of the output gain (dB).
pub const OUT_GAIN_ID: &str = "out_gain";

/// A band's filter type. The order is the parameter's enum index and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum EqBandType {
    /// Peaking bell (gain, Q).
    #[default]
    Bell,
    /// Low shelf (gain, Q).
    LowShelf,
    /// High shelf (gain, Q).
    HighShelf,
    /// Low cut / high pass (slope 6–48 dB/octave, Butterworth).
    LowCut,
    /// High cut / low pass (slope 6–48 dB/octave, Butterworth).
    HighCut,
    /// Notch (Q).
    Notch,
    /// Constant-peak band pass (Q).
    BandPass,
    /// First-order tilt around the frequency (gain = total tilt, low end to high end).
    Tilt,
}

impl EqBandType {
    /// All types in index order.
    pub const ALL: [EqBandType; 8] = [
        EqBandType::Bell,
        EqBandType::LowShelf,
        EqBandType::HighShelf,
        EqBandType::LowCut,
        EqBandType::HighCut,
        EqBandType::Notch,
        EqBandType::BandPass,
        EqBandType::Tilt,
    ];

    /// The parameter enum index (0–7).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&t| t == self).unwrap_or(0)
    }

    /// The type of a plain parameter value (rounded and clamped to 0–7; NaN → Bell).
    pub fn from_value(value: f32) -> Self {
        Self::ALL[enum_index(value, Self::ALL.len())]
    }

    /// True for types whose `gain_db` matters (bell, shelves, tilt).
    pub fn uses_gain(self) -> bool {
        matches!(
            self,
            Self::Bell | Self::LowShelf | Self::HighShelf | Self::Tilt
        )
    }

    /// True for the cuts, whose `slope_db_oct` matters.
    pub fn is_cut(self) -> bool {
        matches!(self, Self::LowCut | Self::HighCut)
    }
}

/// Where a band acts in the stereo image. The order is the parameter's enum index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Placement {
    /// Both channels alike.
    #[default]
    Stereo,
    /// The mid signal `(L+R)/2` only.
    Mid,
    /// The side signal `(L−R)/2` only (no effect on a mono chain).
    Side,
    /// The left channel only.
    Left,
    /// The right channel only.
    Right,
}

impl Placement {
    /// All placements in index order.
    pub const ALL: [Placement; 5] = [
        Placement::Stereo,
        Placement::Mid,
        Placement::Side,
        Placement::Left,
        Placement::Right,
    ];

    /// The parameter enum index (0–4).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }

    /// The placement of a plain parameter value (rounded and clamped to 0–4; NaN → Stereo).
    pub fn from_value(value: f32) -> Self {
        Self::ALL[enum_index(value, Self::ALL.len())]
    }
}

fn enum_index(value: f32, len: usize) -> usize {
    if value.is_finite() {
        value.round().clamp(0.0, (len - 1) as f32) as usize
    } else {
        0
    }
}

/// One band's settings, in plain units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BandSettings {
    /// Band on/off. A disabled band is not computed at all (bit-transparent).
    pub enabled: bool,
    /// Filter type.
    pub kind: EqBandType,
    /// Centre / corner frequency in Hz, 10–30000 (and below 0.49 × the sample rate).
    pub freq_hz: f32,
    /// Gain in dB, ±24 (bells, shelves, tilt).
    pub gain_db: f32,
    /// Quality factor 0.1–18 (bells, shelves, notch, band pass).
    pub q: f32,
    /// Cut slope in dB/octave, 6–48 in steps of 6 (low/high cut).
    pub slope_db_oct: f32,
    /// Stereo placement.
    pub placement: Placement,
}

impl Default for BandSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            kind: EqBandType::Bell,
            freq_hz: 1000.0,
            gain_db: 0.0,
            q: DEFAULT_Q,
            slope_db_oct: DEFAULT_SLOPE_DB_OCT,
            placement: Placement::Stereo,
        }
    }
}

fn clamp_or(v: f32, lo: f32, hi: f32, default: f32) -> f32 {
    if v.is_finite() {
        v.clamp(lo, hi)
    } else {
        default
    }
}

impl BandSettings {
    /// The same settings with every value finite and inside its range (NaN → the default).
    pub fn sanitized(&self) -> Self {
        Self {
            enabled: self.enabled,
            kind: self.kind,
            freq_hz: clamp_or(self.freq_hz, MIN_FREQ_HZ, MAX_FREQ_HZ, 1000.0),
            gain_db: clamp_or(self.gain_db, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0),
            q: clamp_or(self.q, MIN_Q, MAX_Q, DEFAULT_Q),
            slope_db_oct: clamp_or(
                self.slope_db_oct,
                MIN_SLOPE_DB_OCT,
                MAX_SLOPE_DB_OCT,
                DEFAULT_SLOPE_DB_OCT,
            ),
            placement: self.placement,
        }
    }

    /// The filter this band runs (ranges clamped; the design further clamps the frequency below
    /// Nyquist at the running rate). Cuts are Butterworth.
    pub fn filter_spec(&self) -> FilterSpec {
        let s = self.sanitized();
        let (f, g, q) = (s.freq_hz as f64, s.gain_db as f64, s.q as f64);
        let slope = s.slope_db_oct as f64;
        match s.kind {
            EqBandType::Bell => FilterSpec::bell(f, g, q),
            EqBandType::LowShelf => FilterSpec::low_shelf(f, g, q),
            EqBandType::HighShelf => FilterSpec::high_shelf(f, g, q),
            EqBandType::LowCut => FilterSpec::high_pass(f, slope, CutShape::Butterworth),
            EqBandType::HighCut => FilterSpec::low_pass(f, slope, CutShape::Butterworth),
            EqBandType::Notch => FilterSpec::notch(f, q),
            EqBandType::BandPass => FilterSpec::band_pass(f, q),
            EqBandType::Tilt => FilterSpec::tilt(f, g),
        }
    }

    /// The biquad cascade this band runs at `sample_rate_hz` (Hz): the very coefficients of the
    /// DSP once settled.
    pub fn design(&self, sample_rate_hz: f64) -> CascadeCoefs {
        design(&self.filter_spec(), sample_rate_hz)
    }

    /// This band's magnitude response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), in dB,
    /// whether or not it is enabled.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.design(sample_rate_hz)
            .magnitude_db(freq_hz, sample_rate_hz)
    }
}

/// The whole EQ's settings, in plain units (what plugins and the CLI persist).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EqSettings {
    /// Bands 1–8 (index 0 is band 1).
    pub bands: [BandSettings; NUM_BANDS],
    /// Output gain in dB, ±24, applied last (parameter `out_gain`; named `output_gain_db` in
    /// settings serialised before 2026-12-07, which still load).
    #[serde(alias = "output_gain_db")]
    pub out_gain_db: f32,
}

impl Default for EqSettings {
    /// All bands off, bells at Q 0.7 on [`DEFAULT_FREQS_HZ`], 0 dB output.
    fn default() -> Self {
        let mut bands = [BandSettings::default(); NUM_BANDS];
        for (b, f) in bands.iter_mut().zip(DEFAULT_FREQS_HZ) {
            b.freq_hz = f;
        }
        Self {
            bands,
            out_gain_db: 0.0,
        }
    }
}

/// The parameters of one band, for the parameter-ID scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BandParam {
    /// `b{n}_on`: 0/1.
    On,
    /// `b{n}_type`: [`EqBandType`] index.
    Type,
    /// `b{n}_freq`: Hz.
    Freq,
    /// `b{n}_gain`: dB.
    Gain,
    /// `b{n}_q`: dimensionless.
    Q,
    /// `b{n}_slope`: dB/octave.
    Slope,
    /// `b{n}_place`: [`Placement`] index.
    Place,
}

impl BandParam {
    /// All band parameters in ID order.
    pub const ALL: [BandParam; 7] = [
        BandParam::On,
        BandParam::Type,
        BandParam::Freq,
        BandParam::Gain,
        BandParam::Q,
        BandParam::Slope,
        BandParam::Place,
    ];

    /// The ID suffix after `b{n}_`.
    pub fn suffix(self) -> &'static str {
        match self {
            BandParam::On => "on",
            BandParam::Type => "type",
            BandParam::Freq => "freq",
            BandParam::Gain => "gain",
            BandParam::Q => "q",
            BandParam::Slope => "slope",
            BandParam::Place => "place",
        }
    }
}

/// The stable parameter ID of `param` of band `band_number` (1-based, 1–8), e.g. `b3_gain`: its
/// entry in [`PARAMS`]. Panics for a band number outside 1–8.
pub fn band_param_id(band_number: usize, param: BandParam) -> &'static str {
    let p = BandParam::ALL.iter().position(|&q| q == param).unwrap_or(0);
    PARAMS[(band_number - 1) * BandParam::ALL.len() + p].id
}

/// The band types' menu, in [`EqBandType::ALL`] order.
pub const BAND_TYPE_CHOICES: &[&str] = &[
    "Bell",
    "Low Shelf",
    "High Shelf",
    "Low Cut",
    "High Cut",
    "Notch",
    "Band Pass",
    "Tilt",
];
/// The placements' menu, in [`Placement::ALL`] order.
pub const PLACEMENT_CHOICES: &[&str] = &["Stereo", "Mid", "Side", "Left", "Right"];

/// Band `$n`'s seven parameters in [`BandParam::ALL`] order (IDs `b{n}_…`).
macro_rules! band_params {
    ($n:literal) => {
        [
            ParamInfo::boolean(
                concat!("b", $n, "_on"),
                concat!("Band ", $n, " On"),
                false,
                None,
            ),
            ParamInfo::menu(
                concat!("b", $n, "_type"),
                concat!("Band ", $n, " Type"),
                BAND_TYPE_CHOICES,
                0,
            ),
            ParamInfo::float(
                concat!("b", $n, "_freq"),
                concat!("Band ", $n, " Freq"),
                "Hz",
                MIN_FREQ_HZ,
                MAX_FREQ_HZ,
                DEFAULT_FREQS_HZ[$n - 1],
                None,
            ),
            ParamInfo::float(
                concat!("b", $n, "_gain"),
                concat!("Band ", $n, " Gain"),
                "dB",
                -MAX_GAIN_DB,
                MAX_GAIN_DB,
                0.0,
                Some(0.0),
            ),
            ParamInfo::float(
                concat!("b", $n, "_q"),
                concat!("Band ", $n, " Q"),
                "",
                MIN_Q,
                MAX_Q,
                DEFAULT_Q,
                None,
            ),
            ParamInfo::float(
                concat!("b", $n, "_slope"),
                concat!("Band ", $n, " Slope"),
                "dB/oct",
                MIN_SLOPE_DB_OCT,
                MAX_SLOPE_DB_OCT,
                DEFAULT_SLOPE_DB_OCT,
                None,
            ),
            ParamInfo::menu(
                concat!("b", $n, "_place"),
                concat!("Band ", $n, " Placement"),
                PLACEMENT_CHOICES,
                0,
            ),
        ]
    };
}

/// Every EQ parameter in its stable order: bands 1–8 (`on, type, freq, gain, q, slope, place`)
/// then `out_gain`. The band gains and the output gain scale towards 0 dB with the amount;
/// everything else is taken as is.
pub const PARAMS: [ParamInfo; NUM_BANDS * BandParam::ALL.len() + 1] = {
    let bands = [
        band_params!(1),
        band_params!(2),
        band_params!(3),
        band_params!(4),
        band_params!(5),
        band_params!(6),
        band_params!(7),
        band_params!(8),
    ];
    let out = ParamInfo::float(
        OUT_GAIN_ID,
        "Output Gain",
        "dB",
        -MAX_GAIN_DB,
        MAX_GAIN_DB,
        0.0,
        Some(0.0),
    );
    let mut table = [out; NUM_BANDS * BandParam::ALL.len() + 1];
    let mut i = 0;
    while i < NUM_BANDS * BandParam::ALL.len() {
        table[i] = bands[i / BandParam::ALL.len()][i % BandParam::ALL.len()];
        i += 1;
    }
    table
};

/// What the parameter at `index` of [`PARAMS`] is: a band's (1-based band number) or, past
/// the bands, `None` for `out_gain`. No string comparison: for the audio thread.
fn band_param_at(index: usize) -> Option<(usize, BandParam)> {
    let n = BandParam::ALL.len();
    (index < NUM_BANDS * n).then(|| (index / n + 1, BandParam::ALL[index % n]))
}

impl EqSettings {
    /// Sets the parameter at `index` of [`PARAMS`] from its plain value (clamped); false past
    /// the end. No string comparison: for the audio thread.
    pub fn set_param_at(&mut self, index: usize, value: f32) -> bool {
        match band_param_at(index) {
            Some((n, p)) => self.set_band_param(n, p, value),
            None if index == NUM_BANDS * BandParam::ALL.len() => self.set_out_gain(value),
            None => return false,
        }
        true
    }

    /// The plain value of the parameter at `index` of [`PARAMS`] (enums as their index, bools
    /// as 0/1), `None` past the end.
    pub fn param_at(&self, index: usize) -> Option<f32> {
        let Some((n, p)) = band_param_at(index) else {
            return (index == NUM_BANDS * BandParam::ALL.len()).then_some(self.out_gain_db);
        };
        let b = &self.bands[n - 1];
        Some(match p {
            BandParam::On => f32::from(u8::from(b.enabled)),
            BandParam::Type => b.kind.index() as f32,
            BandParam::Freq => b.freq_hz,
            BandParam::Gain => b.gain_db,
            BandParam::Q => b.q,
            BandParam::Slope => b.slope_db_oct,
            BandParam::Place => b.placement.index() as f32,
        })
    }

    fn set_out_gain(&mut self, value: f32) {
        self.out_gain_db = clamp_or(value, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0);
    }

    /// One parameter of band `n` (1-based).
    fn set_band_param(&mut self, n: usize, p: BandParam, value: f32) {
        let b = &mut self.bands[n - 1];
        match p {
            BandParam::On => b.enabled = value.is_finite() && value >= 0.5,
            BandParam::Type => b.kind = EqBandType::from_value(value),
            BandParam::Freq => b.freq_hz = clamp_or(value, MIN_FREQ_HZ, MAX_FREQ_HZ, b.freq_hz),
            BandParam::Gain => b.gain_db = clamp_or(value, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0),
            BandParam::Q => b.q = clamp_or(value, MIN_Q, MAX_Q, DEFAULT_Q),
            BandParam::Slope => {
                b.slope_db_oct = clamp_or(
                    value,
                    MIN_SLOPE_DB_OCT,
                    MAX_SLOPE_DB_OCT,
                    DEFAULT_SLOPE_DB_OCT,
                )
            }
            BandParam::Place => b.placement = Placement::from_value(value),
        }
    }

    /// The magnitude response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), in dB, of the main
    /// path: the enabled [`Placement::Stereo`] bands plus the output gain — what a mono chain
    /// runs (apart from side bands, which a mono chain skips) and what both channels of a stereo
    /// chain share. See [`Self::placement_magnitude_db`] for the other paths.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.placement_magnitude_db(Placement::Stereo, freq_hz, sample_rate_hz)
    }

    /// The magnitude response in dB seen by one signal path: `Stereo` → the stereo bands;
    /// `Mid`/`Side` → the mid (or side) signal: stereo bands plus the bands placed there;
    /// `Left`/`Right` → a signal in that channel alone: stereo bands plus that channel's bands
    /// (mid/side bands excluded, as they mix the channels). Always plus the output gain.
    /// `freq_hz` and `sample_rate_hz` in Hz. Designed from the coefficients the DSP runs.
    pub fn placement_magnitude_db(
        &self,
        placement: Placement,
        freq_hz: f64,
        sample_rate_hz: f64,
    ) -> f64 {
        let bands: f64 = self
            .bands
            .iter()
            .filter(|b| b.enabled && (b.placement == Placement::Stereo || b.placement == placement))
            .map(|b| b.magnitude_db(freq_hz, sample_rate_hz))
            .sum();
        let out = clamp_or(self.out_gain_db, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0) as f64;
        (bands + out).max(crate::util::MIN_DB as f64)
    }

    /// The coefficients of every band at `sample_rate_hz` (Hz), `None` for disabled bands. For
    /// drawing many points: evaluate [`CascadeCoefs::magnitude_db`] on each.
    pub fn designs(&self, sample_rate_hz: f64) -> [Option<CascadeCoefs>; NUM_BANDS] {
        let mut out = [None; NUM_BANDS];
        for (o, b) in out.iter_mut().zip(&self.bands) {
            if b.enabled {
                *o = Some(b.design(sample_rate_hz));
            }
        }
        out
    }
}
