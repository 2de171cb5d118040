//! The Tandem EQ: eight zero-latency filter bands with stereo placement.
//!
//! - [`EqSettings`] / [`BandSettings`]: the persisted (serde) settings, in plain units.
//! - The parameter-ID scheme, fixed here once and never renamed: `b{n}_on`, `b{n}_type`,
//!   `b{n}_freq`, `b{n}_gain`, `b{n}_q`, `b{n}_slope`, `b{n}_place` for bands n = 1…8, and
//!   `out_gain`. [`EqSettings::to_param_map`] / [`EqSettings::from_param_map`] convert to and from
//!   maps of plain values (enums as their index, bools as 0/1); [`neutral_value`] gives the value
//!   an "amount" of 0 scales to.
//! - [`EqChain`]: the real-time [`Processor`] (mono or stereo). Bands run in order 1…8, each a
//!   [`FilterCascade`] from the filters module (frequency, gain and Q glide click-free);
//!   switching a band on or off, or changing its type, slope or placement, crossfades over
//!   [`BAND_FADE_MS`]. Mid/side bands encode `M = (L+R)/2`, `S = (L−R)/2` around themselves and
//!   decode `L = M+S`, `R = M−S`; left/right bands touch one channel only. Latency 0.
//! - [`EqSettings::magnitude_db`] / [`EqSettings::placement_magnitude_db`]: the exact response
//!   of the coefficients the DSP runs, for the GUI and the assistant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[cfg(test)]
use crate::filters::BankKernel;
use crate::filters::{
    design, BiquadCoefs, BiquadState, CascadeCoefs, CoefUpdate, CutShape, FilterCascade,
    FilterKind, FilterSpec, MidSide, StereoBank, StereoSection, MAX_BANK_SECTIONS,
};
use crate::util::LinearSmoother;
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig};

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
    /// Output gain in dB, ±24, applied last.
    pub output_gain_db: f32,
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
            output_gain_db: 0.0,
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

/// The stable parameter ID of `param` of band `band_number` (1-based, 1–8), e.g. `b3_gain`.
pub fn band_param_id(band_number: usize, param: BandParam) -> String {
    format!("b{band_number}_{}", param.suffix())
}

/// Parses a band parameter ID into (band number 1–8, parameter); `None` for anything else
/// (including `out_gain`).
pub fn parse_band_param_id(id: &str) -> Option<(usize, BandParam)> {
    let rest = id.strip_prefix('b')?;
    let (num, suffix) = rest.split_once('_')?;
    let n: usize = num.parse().ok()?;
    if !(1..=NUM_BANDS).contains(&n) || num.starts_with('0') {
        return None;
    }
    let p = BandParam::ALL.into_iter().find(|p| p.suffix() == suffix)?;
    Some((n, p))
}

/// Every EQ parameter ID in a stable order: bands 1–8 (`on, type, freq, gain, q, slope, place`)
/// then `out_gain`.
pub fn param_ids() -> Vec<String> {
    let mut v: Vec<String> = (1..=NUM_BANDS)
        .flat_map(|n| BandParam::ALL.into_iter().map(move |p| band_param_id(n, p)))
        .collect();
    v.push(OUT_GAIN_ID.to_string());
    v
}

/// The neutral value of an EQ parameter for amount scaling: 0 dB for the band gains and the
/// output gain, `None` (taken as is) for everything else.
pub fn neutral_value(id: &str) -> Option<f32> {
    if id == OUT_GAIN_ID {
        return Some(0.0);
    }
    match parse_band_param_id(id) {
        Some((_, BandParam::Gain)) => Some(0.0),
        _ => None,
    }
}

/// What the parameter at `index` of [`param_ids`] is: a band's (1-based band number) or, past
/// the bands, `None` for `out_gain`. No string comparison: for the audio thread.
fn param_at(index: usize) -> Option<(usize, BandParam)> {
    let n = BandParam::ALL.len();
    (index < NUM_BANDS * n).then(|| (index / n + 1, BandParam::ALL[index % n]))
}

/// [`neutral_value`] for the parameter at `index` of [`param_ids`]. No string comparison: for
/// the audio thread.
pub fn neutral_value_at(index: usize) -> Option<f32> {
    match param_at(index) {
        Some((_, BandParam::Gain)) => Some(0.0),
        Some(_) => None,
        None if index == NUM_BANDS * BandParam::ALL.len() => Some(0.0),
        None => None,
    }
}

impl EqSettings {
    /// The settings as stable parameter ID → plain value (enums as index, bools as 0/1).
    pub fn to_param_map(&self) -> BTreeMap<String, f32> {
        let mut m = BTreeMap::new();
        for (i, b) in self.bands.iter().enumerate() {
            for p in BandParam::ALL {
                let v = match p {
                    BandParam::On => f32::from(u8::from(b.enabled)),
                    BandParam::Type => b.kind.index() as f32,
                    BandParam::Freq => b.freq_hz,
                    BandParam::Gain => b.gain_db,
                    BandParam::Q => b.q,
                    BandParam::Slope => b.slope_db_oct,
                    BandParam::Place => b.placement.index() as f32,
                };
                m.insert(band_param_id(i + 1, p), v);
            }
        }
        m.insert(OUT_GAIN_ID.to_string(), self.output_gain_db);
        m
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

    /// Sets one parameter from its plain value (clamped). Returns false for an unknown ID.
    pub fn set_param(&mut self, id: &str, value: f32) -> bool {
        if id == OUT_GAIN_ID {
            self.set_out_gain(value);
            return true;
        }
        let Some((n, p)) = parse_band_param_id(id) else {
            return false;
        };
        self.set_band_param(n, p, value);
        true
    }

    /// [`Self::set_param`] for the parameter at `index` of [`param_ids`] (sanitised the same
    /// way); false past the end. No string comparison: for the audio thread.
    pub fn set_param_at(&mut self, index: usize, value: f32) -> bool {
        match param_at(index) {
            Some((n, p)) => self.set_band_param(n, p, value),
            None if index == NUM_BANDS * BandParam::ALL.len() => self.set_out_gain(value),
            None => return false,
        }
        true
    }

    fn set_out_gain(&mut self, value: f32) {
        self.output_gain_db = clamp_or(value, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0);
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

    /// The plain value of one parameter, `None` for an unknown ID.
    pub fn param(&self, id: &str) -> Option<f32> {
        self.to_param_map().get(id).copied()
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
        let out = clamp_or(self.output_gain_db, -MAX_GAIN_DB, MAX_GAIN_DB, 0.0) as f64;
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

/// True when `a` can glide into `b` (same kind and, for cuts, same order).
fn same_structure(a: &FilterSpec, b: &FilterSpec) -> bool {
    a.kind == b.kind
        && match a.kind {
            FilterKind::LowPass | FilterKind::HighPass => a.cut_order() == b.cut_order(),
            _ => true,
        }
}

/// One band's running state: its cascade and its crossfade.
#[derive(Debug, Clone)]
struct BandRunner {
    cascade: FilterCascade,
    /// The spec the cascade runs (or glides to).
    spec: FilterSpec,
    /// The placement the cascade runs at.
    placement: Placement,
    /// Crossfade position 0…fade_len (wet fraction = fade_pos / fade_len).
    fade_pos: u32,
    /// Fade direction: towards fully wet (true) or fully dry (false).
    fade_up: bool,
    /// A structural change waiting for the fade-out to finish.
    pending: Option<(FilterSpec, Placement)>,
}

impl BandRunner {
    fn is_idle(&self) -> bool {
        self.fade_pos == 0 && !self.fade_up && self.pending.is_none()
    }

    /// Fully on, not fading, nothing pending: the band is its cascade, exactly (which may be
    /// gliding).
    fn is_fully_on(&self, fade_len: u32) -> bool {
        self.fade_up && self.fade_pos >= fade_len && self.pending.is_none()
    }

    fn update(&mut self, band: &BandSettings) {
        let spec = band.filter_spec();
        let placement = band.placement;
        if !band.enabled {
            self.pending = None;
            self.fade_up = false;
            if self.fade_pos == 0 {
                self.spec = spec;
                self.placement = placement;
                self.cascade.set_spec_immediate(spec);
            }
            return;
        }
        if self.is_idle() {
            self.start(spec, placement);
            return;
        }
        if same_structure(&self.spec, &spec) && placement == self.placement {
            self.cascade.set_spec(spec);
            self.spec = spec;
            self.pending = None;
            self.fade_up = true;
        } else {
            self.pending = Some((spec, placement));
            self.fade_up = false;
        }
    }

    /// Starts from silence with `spec`, fading in.
    fn start(&mut self, spec: FilterSpec, placement: Placement) {
        self.cascade.set_spec_immediate(spec);
        self.cascade.reset();
        self.spec = spec;
        self.placement = placement;
        self.fade_up = true;
    }

    fn update_immediate(&mut self, band: &BandSettings, fade_len: u32) {
        let spec = band.filter_spec();
        let was_idle = self.is_idle();
        self.pending = None;
        self.spec = spec;
        self.placement = band.placement;
        self.cascade.set_spec_immediate(spec);
        if band.enabled {
            if was_idle {
                self.cascade.reset();
            }
            self.fade_pos = fade_len;
            self.fade_up = true;
        } else {
            self.fade_pos = 0;
            self.fade_up = false;
        }
    }

    /// Finishes any fade and applies a pending change (for `reset`).
    fn settle(&mut self, fade_len: u32) {
        if let Some((spec, placement)) = self.pending.take() {
            self.start(spec, placement);
        }
        self.fade_pos = if self.fade_up { fade_len } else { 0 };
        self.cascade.reset();
    }
}

/// Scratch buffers for one block (allocated at construction).
#[derive(Debug, Clone)]
struct Scratch {
    dry_l: Vec<f32>,
    dry_r: Vec<f32>,
    mid: Vec<f32>,
    side: Vec<f32>,
}

/// Runs one band's cascade on a segment, in its placement.
fn run_band(
    cascade: &mut FilterCascade,
    placement: Placement,
    l: &mut [f32],
    r: Option<&mut [f32]>,
    mid: &mut [f32],
    side: &mut [f32],
) {
    match r {
        None => {
            if placement != Placement::Side {
                cascade.process(&mut [l]);
            }
        }
        Some(r) => match placement {
            Placement::Stereo => cascade.process(&mut [l, r]),
            Placement::Left => cascade.process(&mut [l]),
            Placement::Right => cascade.process(&mut [r]),
            Placement::Mid | Placement::Side => {
                let n = l.len();
                let (m, s) = (&mut mid[..n], &mut side[..n]);
                for i in 0..n {
                    m[i] = 0.5 * (l[i] + r[i]);
                    s[i] = 0.5 * (l[i] - r[i]);
                }
                if placement == Placement::Mid {
                    cascade.process(&mut [&mut *m]);
                } else {
                    cascade.process(&mut [&mut *s]);
                }
                for i in 0..n {
                    l[i] = m[i] + s[i];
                    r[i] = m[i] - s[i];
                }
            }
        },
    }
}

impl BandRunner {
    /// Processes one block (at most the scratch length) through this band, crossfading as
    /// needed. Segment boundaries fall at fixed positions of the fade, so the output does not
    /// depend on the host's block sizes.
    fn process(
        &mut self,
        l: &mut [f32],
        mut r: Option<&mut [f32]>,
        scratch: &mut Scratch,
        fade_len: u32,
    ) {
        let n = l.len();
        let mut pos = 0;
        while pos < n {
            if self.fade_pos == 0 && !self.fade_up {
                match self.pending.take() {
                    Some((spec, placement)) => self.start(spec, placement),
                    None => return,
                }
            }
            let full = self.fade_up && self.fade_pos >= fade_len;
            let len = if full {
                n - pos
            } else {
                let remaining = if self.fade_up {
                    fade_len - self.fade_pos
                } else {
                    self.fade_pos
                };
                (remaining as usize).min(n - pos)
            };
            let seg_l = &mut l[pos..pos + len];
            let mut seg_r = r.as_deref_mut().map(|r| &mut r[pos..pos + len]);
            if full {
                run_band(
                    &mut self.cascade,
                    self.placement,
                    seg_l,
                    seg_r,
                    &mut scratch.mid,
                    &mut scratch.side,
                );
            } else {
                let dry_l = &mut scratch.dry_l[..len];
                dry_l.copy_from_slice(seg_l);
                let dry_r = &mut scratch.dry_r[..len];
                if let Some(sr) = seg_r.as_deref() {
                    dry_r.copy_from_slice(sr);
                }
                run_band(
                    &mut self.cascade,
                    self.placement,
                    seg_l,
                    seg_r.as_deref_mut(),
                    &mut scratch.mid,
                    &mut scratch.side,
                );
                let inv = 1.0 / fade_len as f32;
                let mut fp = self.fade_pos;
                for i in 0..len {
                    if self.fade_up {
                        fp += 1;
                    } else {
                        fp -= 1;
                    }
                    let g = fp as f32 * inv;
                    seg_l[i] = dry_l[i] + g * (seg_l[i] - dry_l[i]);
                    if let Some(sr) = seg_r.as_deref_mut() {
                        sr[i] = dry_r[i] + g * (sr[i] - dry_r[i]);
                    }
                }
                self.fade_pos = fp;
            }
            pos += len;
        }
    }
}

/// The Tandem EQ processor: 8 bands in series then the output gain, mono or stereo, zero
/// latency. Allocates only in [`EqChain::new`]; `process` never allocates, locks or panics and
/// never outputs NaN/Inf (non-finite input samples come out as 0).
#[derive(Debug, Clone)]
pub struct EqChain {
    sample_rate_hz: f32,
    channels: usize,
    max_block_size: usize,
    settings: EqSettings,
    bands: [BandRunner; NUM_BANDS],
    fade_len: u32,
    out_gain: LinearSmoother,
    scratch: Scratch,
    /// The stereo fast path's sections (see [`EqChain::process_block_fast`]).
    bank: Box<StereoBank>,
    /// Where each band's sections are in the bank (first, one past the last), as
    /// [`Self::fill_bank`] last put them.
    bank_at: [(usize, usize); NUM_BANDS],
    /// The coefficient updates of the fast path's next bank call.
    updates: Box<[CoefUpdate; UPDATES_PER_CALL]>,
}

/// The most coefficient updates the fast path schedules into one bank call (a call ends early
/// when the next control update's would not fit): enough for eight gliding bells over 256
/// samples, and at least one update of every section a bank can hold.
const UPDATES_PER_CALL: usize = 64;
const _: () = assert!(UPDATES_PER_CALL >= MAX_BANK_SECTIONS);

/// The fast path only takes blocks whose samples are all within ±this: finite, and so far from
/// `f32`'s range that no gain the bands can reach overflows (the per-band path guards that).
const FAST_PATH_MAX_INPUT: f32 = 1e6;

/// Whether every sample of `block` is within ±[`FAST_PATH_MAX_INPUT`] (so not NaN). On the bits:
/// without its sign, a float's bits order like its magnitude, and every NaN's lie above
/// infinity's. Or-ed over the block in 32-bit lanes, rather than `all` (which stops early, so
/// it cannot vectorise) or counted in `usize` (two lanes per register).
#[inline]
fn fast_path_takes(block: &[f32]) -> bool {
    let max_bits = FAST_PATH_MAX_INPUT.to_bits();
    block.iter().fold(0u32, |out, x| {
        out | u32::from(x.to_bits() & 0x7fff_ffff > max_bits)
    }) == 0
}

/// A band's section as the fast path's bank runs it: on both channels (stereo), or on the one its
/// placement filters with an identity on the other (every band in mono runs on the left).
fn bank_coefs(placement: Placement, mono: bool, c: &BiquadCoefs) -> [BiquadCoefs; 2] {
    let id = BiquadCoefs::IDENTITY;
    match placement {
        _ if mono => [*c, id],
        Placement::Stereo => [*c, *c],
        Placement::Left | Placement::Mid => [*c, id],
        Placement::Right | Placement::Side => [id, *c],
    }
}

/// The channels of the bank a band's sections filter (see [`bank_coefs`]).
fn bank_lanes(placement: Placement, mono: bool) -> u8 {
    match placement {
        _ if mono => CoefUpdate::LEFT,
        Placement::Stereo => CoefUpdate::LEFT | CoefUpdate::RIGHT,
        Placement::Left | Placement::Mid => CoefUpdate::LEFT,
        Placement::Right | Placement::Side => CoefUpdate::RIGHT,
    }
}

fn fade_len_samples(sample_rate_hz: f32) -> u32 {
    ((BAND_FADE_MS * 1e-3 * sample_rate_hz).round() as u32).max(1)
}

impl EqChain {
    /// An EQ for `config` (1 or 2 channels) starting at `settings` without any fade.
    pub fn new(config: ProcessorConfig, settings: &EqSettings) -> Result<Self, ConfigError> {
        config.validate()?;
        if config.channels > 2 {
            return Err(ConfigError::Channels(config.channels));
        }
        let band_cfg = ProcessorConfig {
            channels: 2,
            ..config
        };
        let mut bands = Vec::with_capacity(NUM_BANDS);
        for b in &settings.bands {
            let spec = b.filter_spec();
            bands.push(BandRunner {
                cascade: FilterCascade::new(band_cfg, spec)?,
                spec,
                placement: b.placement,
                fade_pos: 0,
                fade_up: false,
                pending: None,
            });
        }
        let bands: [BandRunner; NUM_BANDS] = bands
            .try_into()
            .map_err(|_| ConfigError::Invalid("EQ band count"))?;
        let n = config.max_block_size;
        let mut chain = Self {
            sample_rate_hz: config.sample_rate,
            channels: config.channels,
            max_block_size: n,
            settings: *settings,
            bands,
            fade_len: fade_len_samples(config.sample_rate),
            out_gain: LinearSmoother::new(1.0, OUTPUT_GAIN_RAMP_MS, config.sample_rate),
            scratch: Scratch {
                dry_l: vec![0.0; n],
                dry_r: vec![0.0; n],
                mid: vec![0.0; n],
                side: vec![0.0; n],
            },
            bank: Box::new(StereoBank::new()),
            bank_at: [(0, 0); NUM_BANDS],
            updates: Box::new([CoefUpdate::default(); UPDATES_PER_CALL]),
        };
        chain.set_settings_immediate(settings);
        Ok(chain)
    }

    /// Sets new settings, click-free: frequency, gain and Q glide (the filters module's
    /// [`FilterCascade`] glide), band on/off and type/slope/placement changes crossfade over
    /// [`BAND_FADE_MS`], the output gain ramps over [`OUTPUT_GAIN_RAMP_MS`]. Real-time safe.
    pub fn set_settings(&mut self, settings: &EqSettings) {
        self.settings = *settings;
        for (runner, band) in self.bands.iter_mut().zip(&settings.bands) {
            runner.update(band);
        }
        self.out_gain.set_target(crate::util::db_to_gain(clamp_or(
            settings.output_gain_db,
            -MAX_GAIN_DB,
            MAX_GAIN_DB,
            0.0,
        )));
    }

    /// Sets new settings at once, without glides or fades (presets, state loading, offline).
    pub fn set_settings_immediate(&mut self, settings: &EqSettings) {
        self.settings = *settings;
        for (runner, band) in self.bands.iter_mut().zip(&settings.bands) {
            runner.update_immediate(band, self.fade_len);
        }
        self.out_gain.reset(crate::util::db_to_gain(clamp_or(
            settings.output_gain_db,
            -MAX_GAIN_DB,
            MAX_GAIN_DB,
            0.0,
        )));
    }

    /// The settings last set.
    pub fn settings(&self) -> &EqSettings {
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

    /// The magnitude response of the current settings at `freq_hz` (Hz), in dB, for `placement`
    /// at the running sample rate. See [`EqSettings::placement_magnitude_db`].
    pub fn magnitude_db(&self, placement: Placement, freq_hz: f64) -> f64 {
        self.settings
            .placement_magnitude_db(placement, freq_hz, self.sample_rate_hz as f64)
    }

    /// The fast path, taken when every active band is fully on (not crossfading; gliding is
    /// fine), the input is safely finite and the CPU has AVX or AVX-512: all bands' sections run
    /// sample by sample in one [`StereoBank`], bit-identical to the per-band path (a left-only
    /// band is an identity section on the right, and vice versa; mid and side bands convert to
    /// and from mid/side around themselves with [`MidSide`], as the per-band path does).
    /// Returns false, having touched nothing, when the block must take the per-band path.
    ///
    /// Mono (`r` = `None`) runs the same way on the left lanes, with silence on the right
    /// lanes; as in the per-band path, every placement but Side filters the one channel (with
    /// its cascade's channel 0) and Side bands do nothing.
    fn process_block_fast(&mut self, l: &mut [f32], r: Option<&mut [f32]>) -> bool {
        if !self.bank.is_vectorized() {
            return false;
        }
        let mono = r.is_none();
        let fade_len = self.fade_len;
        let active = |b: &BandRunner| !(b.is_idle() || (mono && b.placement == Placement::Side));
        if !self
            .bands
            .iter()
            .filter(|b| active(b))
            .all(|b| b.is_fully_on(fade_len))
        {
            return false;
        }
        if !(fast_path_takes(l) && r.as_deref().is_none_or(fast_path_takes)) {
            return false;
        }
        if !self.fill_bank(mono) {
            return false;
        }
        let n = l.len();
        let mut r = r;
        if mono {
            self.scratch.dry_r[..n].fill(0.0);
        }
        // Gliding bands change their coefficients every control period, at the samples where
        // the band-by-band path switches them. The block goes through the bank in calls that
        // carry their updates inside ([`StereoBank::process_scheduled`]): the due bands are
        // ticked (their bells designed together) up to where the call's updates are full, then
        // the bank runs that stretch at once. With nothing gliding this is one call.
        let mut gliding = [false; NUM_BANDS];
        let mut active_bands = [false; NUM_BANDS];
        for (i, band) in self.bands.iter().enumerate() {
            active_bands[i] = active(band);
            gliding[i] = active_bands[i] && band.cascade.is_gliding();
        }
        // Samples each active band has run settled (not gliding) in this block: its control
        // clock advances by them at the end (a settled band's update only flushes its state,
        // which the bank holds meanwhile; see `FilterCascade::advance_settled`).
        let mut settled = [0usize; NUM_BANDS];
        let mut pos = 0;
        while pos < n {
            let mut count = 0;
            let mut end = pos;
            while end < n {
                let mut due = [false; NUM_BANDS];
                let mut needed = 0;
                for i in 0..NUM_BANDS {
                    if gliding[i] && self.bands[i].cascade.samples_to_tick() == 0 {
                        due[i] = true;
                        needed += self.bank_at[i].1 - self.bank_at[i].0;
                    }
                }
                if needed > 0 {
                    if count + needed > UPDATES_PER_CALL {
                        break;
                    }
                    self.tick_due(&due);
                    for (i, band) in self.bands.iter().enumerate() {
                        if !due[i] {
                            continue;
                        }
                        gliding[i] = band.cascade.is_gliding();
                        let (start, stop) = self.bank_at[i];
                        let coefs = band.cascade.coefs().sections();
                        // A glide keeps each band's structure, so its sections stay in place.
                        debug_assert_eq!(coefs.len(), stop - start);
                        let lanes = bank_lanes(band.placement, mono);
                        for (k, c) in coefs.iter().enumerate().take(stop - start) {
                            self.updates[count] = CoefUpdate {
                                at: (end - pos) as u32,
                                section: (start + k) as u16,
                                lanes,
                                coefs: *c,
                            };
                            count += 1;
                        }
                    }
                }
                let mut len = n - end;
                for (band, &g) in self.bands.iter().zip(&gliding) {
                    if g {
                        len = len.min(band.cascade.samples_to_tick());
                    }
                }
                for i in 0..NUM_BANDS {
                    if gliding[i] {
                        self.bands[i].cascade.advance_within_period(len);
                    } else if active_bands[i] {
                        settled[i] += len;
                    }
                }
                end += len;
            }
            let updates = &self.updates[..count];
            match r.as_deref_mut() {
                Some(r) => self
                    .bank
                    .process_scheduled(&mut l[pos..end], &mut r[pos..end], updates),
                None => self.bank.process_scheduled(
                    &mut l[pos..end],
                    &mut self.scratch.dry_r[pos..end],
                    updates,
                ),
            }
            pos = end;
        }
        for (band, &samples) in self.bands.iter_mut().zip(&settled) {
            if samples > 0 {
                band.cascade.advance_settled(samples);
            }
        }
        self.drain_bank(mono);
        true
    }

    /// Fills the fast path's bank from the active bands' current coefficients and states (see
    /// [`Self::process_block_fast`]); false when it does not fit.
    fn fill_bank(&mut self, mono: bool) -> bool {
        let bank = &mut self.bank;
        bank.clear();
        // Whether the running signal is in mid/side: a mid or side band encodes before its first
        // section and the next non-mid/side band (or the end) decodes, exactly as the per-band
        // path converts around each such band.
        let mut in_ms = false;
        for (band, at) in self.bands.iter_mut().zip(self.bank_at.iter_mut()) {
            if band.is_idle() || (mono && band.placement == Placement::Side) {
                *at = (bank.len(), bank.len());
                continue;
            }
            let ms = !mono && matches!(band.placement, Placement::Mid | Placement::Side);
            let first_pre = match (in_ms, ms) {
                (false, true) => MidSide::Encode,
                (true, true) => MidSide::DecodeEncode,
                (true, false) => MidSide::Decode,
                (false, false) => MidSide::None,
            };
            in_ms = ms;
            let start = bank.len();
            let (coefs, state) = band.cascade.coefs_and_state_mut();
            for (i, c) in coefs.sections().iter().enumerate() {
                let none = BiquadState::default();
                // A one-channel band (left, right, mid, side, and every band in mono) runs on
                // its cascade's channel 0.
                let state = match band.placement {
                    _ if mono => [state[0][i], none],
                    Placement::Stereo => [state[0][i], state[1][i]],
                    Placement::Left | Placement::Mid => [state[0][i], none],
                    Placement::Right | Placement::Side => [none, state[0][i]],
                };
                let pre = if i == 0 { first_pre } else { MidSide::None };
                let coefs = bank_coefs(band.placement, mono, c);
                if !bank.push(StereoSection { coefs, state, pre }) {
                    return false;
                }
            }
            *at = (start, bank.len());
        }
        if in_ms {
            let decode = StereoSection {
                pre: MidSide::Decode,
                ..StereoSection::default()
            };
            if !bank.push(decode) {
                return false;
            }
        }
        true
    }

    /// The control update of every band marked in `due` (each gliding, its update due now), as
    /// each band's cascade would make it: the gliding bells designed together (bit for bit as
    /// each alone, in vector lanes); other kinds, and glides' last steps, tick alone.
    fn tick_due(&mut self, due: &[bool; NUM_BANDS]) {
        let mut bells = [(0.0, 0.0, 0.0); NUM_BANDS];
        let mut which = [0usize; NUM_BANDS];
        let mut count = 0;
        for (i, band) in self.bands.iter_mut().enumerate() {
            if due[i] {
                if let Some(bell) = band.cascade.tick_due_begin() {
                    bells[count] = bell;
                    which[count] = i;
                    count += 1;
                }
            }
        }
        if count > 0 {
            // Every band's cascade runs at the chain's rate.
            let rate = self.bands[which[0]].cascade.sample_rate_hz() as f64;
            let mut sections = [BiquadCoefs::IDENTITY; NUM_BANDS];
            crate::filters::design::glide_bells(&bells[..count], rate, &mut sections);
            for (&i, &section) in which[..count].iter().zip(&sections) {
                self.bands[i].cascade.tick_due_finish(section);
            }
        }
    }

    /// Writes the bank's states back into the bands' cascades.
    fn drain_bank(&mut self, mono: bool) {
        let mut done = self.bank.sections().iter();
        for band in self.bands.iter_mut() {
            if band.is_idle() || (mono && band.placement == Placement::Side) {
                continue;
            }
            let count = band.cascade.coefs().len();
            let state = band.cascade.state_mut();
            for (i, s) in done.by_ref().take(count).enumerate() {
                match band.placement {
                    _ if mono => state[0][i] = s.state[0],
                    Placement::Stereo => {
                        state[0][i] = s.state[0];
                        state[1][i] = s.state[1];
                    }
                    Placement::Left | Placement::Mid => state[0][i] = s.state[0],
                    Placement::Right | Placement::Side => state[0][i] = s.state[1],
                }
            }
        }
    }

    fn process_block(&mut self, l: &mut [f32], mut r: Option<&mut [f32]>) {
        let fast = match r.as_deref_mut() {
            Some(r) if r.len() == l.len() => self.process_block_fast(l, Some(r)),
            Some(_) => false,
            None => self.process_block_fast(l, None),
        };
        if !fast {
            for band in self.bands.iter_mut() {
                if band.is_idle() {
                    continue;
                }
                band.process(l, r.as_deref_mut(), &mut self.scratch, self.fade_len);
            }
        }
        if self.out_gain.is_smoothing() || self.out_gain.current() != 1.0 {
            for i in 0..l.len() {
                let g = self.out_gain.tick();
                l[i] *= g;
                if let Some(r) = r.as_deref_mut() {
                    r[i] *= g;
                }
            }
        }
        for x in l.iter_mut() {
            *x = crate::util::sanitize(*x);
        }
        if let Some(r) = r {
            for x in r.iter_mut() {
                *x = crate::util::sanitize(*x);
            }
        }
    }
}

impl Processor for EqChain {
    /// Re-derives every band for the new rate (bands jump to their settings, state cleared).
    /// Errors (and changes nothing) outside 8–768 kHz.
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        validate_sample_rate(sample_rate)?;
        self.sample_rate_hz = sample_rate;
        self.fade_len = fade_len_samples(sample_rate);
        self.out_gain.set_ramp(OUTPUT_GAIN_RAMP_MS, sample_rate);
        for b in self.bands.iter_mut() {
            b.cascade.set_sample_rate(sample_rate)?;
        }
        let s = self.settings;
        self.set_settings_immediate(&s);
        self.reset();
        Ok(())
    }

    /// Clears all filter state and finishes every glide and fade.
    fn reset(&mut self) {
        for b in self.bands.iter_mut() {
            b.settle(self.fade_len);
        }
        let g = self.out_gain.target();
        self.out_gain.reset(g);
    }

    /// Processes 1 or 2 channels in place (more slices than configured channels: the extra ones
    /// are only sanitised). Blocks longer than the configured maximum are split internally.
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
                self.process_block(l, Some(r));
            } else {
                let l = &mut channels[0][start..start + len];
                self.process_block(l, None);
            }
            start += len;
        }
        for (i, buf) in channels.iter_mut().enumerate() {
            let from = if i < nch { n } else { 0 };
            for x in buf[from..].iter_mut() {
                *x = crate::util::sanitize(*x);
            }
        }
    }

    /// Always 0: minimum-phase biquads only.
    fn latency_samples(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testsignals::{pink_noise, white_noise};

    fn chain(sr: f32, channels: usize, s: &EqSettings) -> EqChain {
        EqChain::new(ProcessorConfig::new(sr, 512, channels).unwrap(), s).unwrap()
    }

    /// |DFT| of `h` at `freq_hz`, in dB.
    fn dft_db(h: &[f32], freq_hz: f64, sr: f64) -> f64 {
        let w = std::f64::consts::TAU * freq_hz / sr;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (n, &v) in h.iter().enumerate() {
            let (s, c) = (w * n as f64).sin_cos();
            re += v as f64 * c;
            im -= v as f64 * s;
        }
        10.0 * (re * re + im * im).max(1e-30).log10()
    }

    fn one_band(kind: EqBandType, freq_hz: f32, gain_db: f32, q: f32, slope: f32) -> EqSettings {
        let mut s = EqSettings::default();
        s.bands[2] = BandSettings {
            enabled: true,
            kind,
            freq_hz,
            gain_db,
            q,
            slope_db_oct: slope,
            placement: Placement::Stereo,
        };
        s
    }

    fn all_types() -> Vec<EqSettings> {
        vec![
            one_band(EqBandType::Bell, 1000.0, 6.0, 1.5, 12.0),
            one_band(EqBandType::Bell, 15_000.0, -9.0, 3.0, 12.0),
            one_band(EqBandType::LowShelf, 200.0, -8.0, 0.7, 12.0),
            one_band(EqBandType::HighShelf, 5000.0, 5.0, 0.9, 12.0),
            one_band(EqBandType::LowCut, 100.0, 24.0, 0.7, 24.0),
            one_band(EqBandType::HighCut, 8000.0, 18.0, 0.7, 18.0),
            one_band(EqBandType::Notch, 3000.0, 0.0, 4.0, 12.0),
            one_band(EqBandType::BandPass, 700.0, 0.0, 2.0, 12.0),
            one_band(EqBandType::Tilt, 1000.0, 6.0, 0.7, 12.0),
        ]
    }

    const TEST_FREQS_HZ: [f64; 9] = [
        31.0, 97.0, 310.0, 1000.0, 2900.0, 5300.0, 9700.0, 14_000.0, 19_000.0,
    ];

    #[test]
    fn running_chain_matches_analytic_response_for_every_type() {
        for sr in [44_100.0f32, 96_000.0] {
            for s in all_types() {
                let mut eq = chain(sr, 1, &s);
                let mut h = vec![0.0f32; 1 << 16];
                h[0] = 1.0;
                eq.process(&mut [&mut h]);
                for f in TEST_FREQS_HZ {
                    let want = s.magnitude_db(f, sr as f64);
                    if want < -50.0 {
                        continue;
                    }
                    let got = dft_db(&h, f, sr as f64);
                    assert!(
                        (got - want).abs() < 0.1,
                        "{:?} at {sr} Hz, {f} Hz: measured {got:.3} dB, analytic {want:.3} dB",
                        s.bands[2].kind
                    );
                }
            }
        }
    }

    #[test]
    fn sine_amplitude_after_settling_matches_analytic() {
        let sr = 48_000.0;
        let mut s = one_band(EqBandType::Bell, 2000.0, 7.5, 2.0, 12.0);
        s.bands[5] = BandSettings {
            enabled: true,
            ..s.bands[2]
        };
        s.bands[5].kind = EqBandType::LowShelf;
        s.bands[5].freq_hz = 300.0;
        s.output_gain_db = -2.0;
        for f in [150.0, 1500.0, 2000.0, 6000.0] {
            let mut eq = chain(sr, 2, &s);
            let x: Vec<f32> = crate::testsignals::sine(24_000, f, 0.5, sr as f64);
            let (mut l, mut r) = (x.clone(), x.clone());
            eq.process(&mut [&mut l, &mut r]);
            // Least-squares amplitude over the last 0.25 s.
            let w = std::f64::consts::TAU * f / sr as f64;
            let (mut a, mut b) = (0.0, 0.0);
            let tail = 12_000..24_000;
            for n in tail.clone() {
                let (sn, cs) = (w * n as f64).sin_cos();
                a += l[n] as f64 * sn;
                b += l[n] as f64 * cs;
            }
            let amp = 2.0 * (a * a + b * b).sqrt() / tail.len() as f64;
            let got = 20.0 * (amp / 0.5).log10();
            let want = s.magnitude_db(f, sr as f64);
            assert!((got - want).abs() < 0.1, "{f} Hz: {got} vs {want}");
            assert_eq!(l, r);
        }
    }

    #[test]
    fn mid_side_left_right_touch_only_their_signal() {
        let sr = 48_000.0;
        let n = 20_000;
        let a = pink_noise(n, 0.1, 5);
        let b = white_noise(n, 0.1, 6);
        for place in [
            Placement::Mid,
            Placement::Side,
            Placement::Left,
            Placement::Right,
        ] {
            let mut s = one_band(EqBandType::Bell, 1000.0, 9.0, 1.0, 12.0);
            s.bands[2].placement = place;
            let mut eq = chain(sr, 2, &s);
            let (mut l, mut r) = (a.clone(), b.clone());
            eq.process(&mut [&mut l, &mut r]);
            let err = |x: &[f32], y: &[f32]| {
                x.iter()
                    .zip(y)
                    .map(|(p, q)| (p - q).abs())
                    .fold(0.0f32, f32::max)
            };
            let m_in: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.5 * (x + y)).collect();
            let s_in: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.5 * (x - y)).collect();
            let m_out: Vec<f32> = l.iter().zip(&r).map(|(x, y)| 0.5 * (x + y)).collect();
            let s_out: Vec<f32> = l.iter().zip(&r).map(|(x, y)| 0.5 * (x - y)).collect();
            match place {
                Placement::Mid => {
                    assert!(err(&s_in, &s_out) < 1e-6);
                    assert!(err(&m_in, &m_out) > 0.01);
                }
                Placement::Side => {
                    assert!(err(&m_in, &m_out) < 1e-6);
                    assert!(err(&s_in, &s_out) > 0.01);
                }
                Placement::Left => {
                    assert_eq!(r, b);
                    assert!(err(&a, &l) > 0.01);
                }
                _ => {
                    assert_eq!(l, a);
                    assert!(err(&b, &r) > 0.01);
                }
            }
        }
        // The mid path's measured response equals the per-placement analytic one.
        let mut s = one_band(EqBandType::Bell, 1000.0, 9.0, 1.0, 12.0);
        s.bands[2].placement = Placement::Mid;
        s.bands[4] = one_band(EqBandType::HighShelf, 4000.0, -4.0, 0.7, 12.0).bands[2];
        let mut eq = chain(sr, 2, &s);
        let mut l = vec![0.0f32; 1 << 15];
        l[0] = 1.0;
        let mut r = l.clone();
        eq.process(&mut [&mut l, &mut r]);
        for f in TEST_FREQS_HZ {
            let want = s.placement_magnitude_db(Placement::Mid, f, sr as f64);
            assert!((dft_db(&l, f, sr as f64) - want).abs() < 0.1, "{f}");
        }
        // Mono: a side band does nothing.
        let mut s = one_band(EqBandType::Bell, 1000.0, 9.0, 1.0, 12.0);
        s.bands[2].placement = Placement::Side;
        let mut eq = chain(sr, 1, &s);
        let mut m = a.clone();
        eq.process(&mut [&mut m]);
        assert_eq!(m, a);
    }

    #[test]
    fn disabled_bands_are_bit_transparent() {
        let sr = 44_100.0;
        let x = pink_noise(30_000, 0.2, 9);
        let mut s = EqSettings::default();
        for (i, b) in s.bands.iter_mut().enumerate() {
            b.kind = EqBandType::ALL[i];
            b.gain_db = 6.0;
            b.placement = Placement::ALL[i % 5];
        }
        let mut eq = chain(sr, 2, &s);
        let (mut l, mut r) = (x.clone(), x.clone());
        eq.process(&mut [&mut l, &mut r]);
        assert_eq!(l, x);
        assert_eq!(r, x);
        // Switch one on, then off again: once the fade has finished it is transparent again.
        let mut on = s;
        on.bands[0].enabled = true;
        eq.set_settings(&on);
        let (mut l, mut r) = (x.clone(), x.clone());
        eq.process(&mut [&mut l, &mut r]);
        assert_ne!(l, x);
        eq.set_settings(&s);
        let (mut l, mut r) = (x.clone(), x.clone());
        eq.process(&mut [&mut l[..1000], &mut r[..1000]]);
        let (mut l, mut r) = (x.clone(), x.clone());
        eq.process(&mut [&mut l, &mut r]);
        assert_eq!(l, x);
        assert_eq!(r, x);
    }

    fn busy_settings() -> (EqSettings, EqSettings) {
        let mut a = EqSettings::default();
        a.bands[0] = one_band(EqBandType::LowCut, 40.0, 0.0, 0.7, 24.0).bands[2];
        a.bands[1] = one_band(EqBandType::Bell, 300.0, -4.0, 1.2, 12.0).bands[2];
        a.bands[1].placement = Placement::Mid;
        a.bands[3] = one_band(EqBandType::HighShelf, 6000.0, 3.0, 0.7, 12.0).bands[2];
        a.bands[3].placement = Placement::Side;
        a.bands[4] = one_band(EqBandType::Notch, 2000.0, 0.0, 6.0, 12.0).bands[2];
        a.bands[4].placement = Placement::Left;
        a.output_gain_db = 1.5;
        let mut b = a;
        b.bands[1].freq_hz = 450.0; // glide
        b.bands[1].gain_db = 5.0;
        b.bands[3].kind = EqBandType::Bell; // structural: crossfade
        b.bands[4].placement = Placement::Right; // placement change: crossfade
        b.bands[6].enabled = true; // fade in
        b.bands[0].enabled = false; // fade out
        b.output_gain_db = -3.0;
        (a, b)
    }

    #[test]
    fn block_processing_equals_sample_by_sample() {
        let sr = 48_000.0;
        let (a, b) = busy_settings();
        let xl = pink_noise(12_000, 0.2, 1);
        let xr = white_noise(12_000, 0.2, 2);
        let run = |block: usize| {
            let mut eq = chain(sr, 2, &a);
            let (mut l, mut r) = (xl.clone(), xr.clone());
            let mut pos = 0;
            while pos < l.len() {
                if pos == 4096 {
                    eq.set_settings(&b);
                }
                let end =
                    (pos + block)
                        .min(l.len())
                        .min(if pos < 4096 { 4096 } else { usize::MAX });
                eq.process(&mut [&mut l[pos..end], &mut r[pos..end]]);
                pos = end;
            }
            (l, r)
        };
        let big = run(512);
        assert_eq!(big, run(1));
        assert_eq!(big, run(37));
        // One call longer than the maximum block size is split internally.
        assert_eq!(big, run(3000));
    }

    /// [`chain`], on the fast path where the CPU has it (`fast`) or always band by band.
    fn chain_on_path(sr: f32, channels: usize, settings: &EqSettings, fast: bool) -> EqChain {
        let mut eq = chain(sr, channels, settings);
        if !fast {
            *eq.bank = StereoBank::with_kernel(BankKernel::Scalar).unwrap();
        }
        eq
    }

    /// Settings the fast path takes once settled: stereo, left, right, mid and side bands of
    /// every section count (a 48 dB/oct cut has 4).
    fn fast_settings() -> (EqSettings, EqSettings) {
        let mut a = EqSettings::default();
        for (i, b) in a.bands.iter_mut().enumerate() {
            b.enabled = true;
            b.kind = EqBandType::Bell;
            b.gain_db = if i % 2 == 0 { 3.0 } else { -2.5 };
        }
        a.bands[0] = one_band(EqBandType::LowCut, 30.0, 0.0, 0.7, 48.0).bands[2];
        a.bands[1].placement = Placement::Side;
        a.bands[2].placement = Placement::Mid; // side then mid: decode, encode again
        a.bands[3].placement = Placement::Left;
        a.bands[5].kind = EqBandType::HighShelf;
        a.bands[5].placement = Placement::Right;
        a.bands[7].kind = EqBandType::Tilt;
        a.bands[7].placement = Placement::Mid; // ends in mid/side: a final decode
        a.output_gain_db = -1.0;
        let mut b = a;
        b.bands[1].freq_hz = 220.0; // glide
        b.bands[2].gain_db = -6.0;
        b.bands[3].placement = Placement::Right; // crossfade
        b.bands[6].enabled = false; // fade out
        (a, b)
    }

    #[test]
    fn the_fast_path_takes_exactly_the_samples_within_its_bound() {
        let bound = FAST_PATH_MAX_INPUT;
        let below = f32::from_bits(bound.to_bits() - 1);
        let above = f32::from_bits(bound.to_bits() + 1);
        for x in [
            0.0, -0.0, 1.0, -1.0, 1e-45, -1e-45, below, -below, bound, -bound,
        ] {
            assert!(fast_path_takes(&[0.5, x, 0.25]), "{x}");
        }
        let nan_with_sign = f32::from_bits(f32::NAN.to_bits() | 0x8000_0000);
        for x in [
            above,
            -above,
            1e30,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            nan_with_sign,
        ] {
            assert!(!fast_path_takes(&[0.5, x, 0.25]), "{x}");
            // Anywhere in a long block (the vectorised body and its tail).
            for at in [0, 1, 7, 63, 64, 99] {
                let mut b = vec![0.1f32; 100];
                b[at] = x;
                assert!(!fast_path_takes(&b), "{x} at {at}");
            }
        }
        assert!(fast_path_takes(&[]));
    }

    #[test]
    fn fast_path_is_bit_identical_to_the_band_by_band_path() {
        let sr = 48_000.0;
        let (a, b) = fast_settings();
        let len = 40_000;
        let mut xl = pink_noise(len, 0.3, 5);
        let mut xr = white_noise(len, 0.3, 6);
        // A silent tail: the faster sections' states decay through the flush threshold.
        for x in xl[30_000..].iter_mut().chain(xr[30_000..].iter_mut()) {
            *x = 0.0;
        }
        // The settings change to `b` at 8192 (glides and fades), in blocks of `block`.
        let run = |settings: &EqSettings, input: &[Vec<f32>], block: usize, fast: bool| {
            let mut eq = chain_on_path(sr, input.len(), settings, fast);
            let mut x = input.to_vec();
            let mut pos = 0;
            while pos < len {
                if pos == 8192 {
                    eq.set_settings(&b);
                }
                let end = (pos + block)
                    .min(len)
                    .min(if pos < 8192 { 8192 } else { usize::MAX });
                let mut chans: Vec<&mut [f32]> = x.iter_mut().map(|c| &mut c[pos..end]).collect();
                eq.process(&mut chans);
                pos = end;
            }
            (x, eq)
        };
        let stereo = [xl.clone(), xr.clone()];
        let reference = run(&a, &stereo, 512, false).0;
        assert_ne!(reference[0], xl);
        for block in [512, 1, 37, 1024, 3000] {
            let (got, mut eq) = run(&a, &stereo, block, true);
            assert!(reference == got, "block {block}");
            // Once the glides and fades are over, the fast path runs again (so the comparison
            // above covered it after the change too, not the band-by-band path twice).
            let (mut l, mut r) = (vec![0.0f32; 64], vec![0.0f32; 64]);
            assert_eq!(
                eq.process_block_fast(&mut l, Some(&mut r)),
                eq.bank.is_vectorized(),
                "block {block}: the fast path did not resume"
            );
        }
        // Mono: every band but the side-placed ones filters the one channel.
        let mut mono_settings = a;
        mono_settings.bands[2].placement = Placement::Side;
        mono_settings.bands[4].placement = Placement::Mid;
        let mono = [xl.clone()];
        let mono_reference = run(&mono_settings, &mono, 512, false).0;
        assert_ne!(mono_reference[0], xl);
        for block in [512, 1, 37, 3000] {
            assert!(
                mono_reference == run(&mono_settings, &mono, block, true).0,
                "mono, block {block}"
            );
        }
        // The fast path really runs for these settings (where the CPU has AVX).
        let mut eq = chain(sr, 2, &a);
        let (mut l, mut r) = (xl[..256].to_vec(), xr[..256].to_vec());
        assert_eq!(
            eq.process_block_fast(&mut l, Some(&mut r)),
            eq.bank.is_vectorized()
        );
        // And not while a band glides, or for non-finite or huge input.
        let mut gliding = chain(sr, 2, &a);
        gliding.set_settings(&b);
        assert!(!gliding.process_block_fast(&mut l, Some(&mut r)));
        l[3] = f32::NAN;
        assert!(!eq.process_block_fast(&mut l, Some(&mut r)));
        l[3] = 1e7;
        assert!(!eq.process_block_fast(&mut l, Some(&mut r)));
    }

    /// Automation: every band's gain, frequency and Q moved at every host block (each glides)
    /// keeps the fast path, bit-identical to the band-by-band path, stereo and mono, at any
    /// host block size.
    #[test]
    fn gliding_bands_keep_the_fast_path_bit_identically() {
        let sr = 48_000.0;
        let (a, _) = fast_settings();
        let len = 30_000;
        let xl = pink_noise(len, 0.3, 7);
        let xr = white_noise(len, 0.3, 8);
        let at = |base: &EqSettings, t: usize| {
            let mut s = *base;
            for (k, b) in s.bands.iter_mut().enumerate() {
                let ph = (t as f32 / 2000.0 + k as f32).sin();
                b.gain_db += 3.0 * ph;
                b.freq_hz *= 2f32.powf(ph / 3.0);
                b.q *= 2f32.powf(0.5 * ph);
            }
            s
        };
        let run = |settings: &EqSettings, input: &[Vec<f32>], block: usize, fast: bool| {
            let mut eq = chain_on_path(sr, input.len(), settings, fast);
            let mut x = input.to_vec();
            let mut pos = 0;
            while pos < len {
                eq.set_settings(&at(settings, pos));
                let end = (pos + block).min(len);
                let mut chans: Vec<&mut [f32]> = x.iter_mut().map(|c| &mut c[pos..end]).collect();
                eq.process(&mut chans);
                pos = end;
            }
            x
        };
        // (The lane is read at each block's start, so each block size has its own reference.)
        let stereo = [xl.clone(), xr.clone()];
        for block in [64, 1, 37, 512, 3000] {
            assert!(
                run(&a, &stereo, block, false) == run(&a, &stereo, block, true),
                "block {block}"
            );
        }
        // A gliding chain really takes the fast path (where the CPU has AVX).
        let mut eq = chain(sr, 2, &a);
        eq.set_settings(&at(&a, 5000));
        assert!(eq.bands.iter().all(|b| b.cascade.is_gliding()));
        let (mut l, mut r) = (xl[..256].to_vec(), xr[..256].to_vec());
        assert_eq!(
            eq.process_block_fast(&mut l, Some(&mut r)),
            eq.bank.is_vectorized()
        );
        let mut mono_settings = a;
        mono_settings.bands[2].placement = Placement::Side;
        mono_settings.bands[4].placement = Placement::Mid;
        let mono = [xl.clone()];
        for block in [64, 1, 37, 3000] {
            assert!(
                run(&mono_settings, &mono, block, false) == run(&mono_settings, &mono, block, true),
                "mono, block {block}"
            );
        }
    }

    /// Automation designs its gliding bells with vector polynomials instead of libm's functions
    /// ([`crate::filters::design::glide_bells`]): the render stays within −120 dBFS of what the
    /// libm design gives, on both paths, at 44.1 and 48 kHz, with every band's gain, frequency
    /// and Q moving (12 dB of boost at the lows included) at host blocks of 64 and 1024.
    #[test]
    fn automated_bells_render_within_minus_120_dbfs_of_the_libm_design() {
        use crate::filters::design::EXACT_GLIDE_BELLS;
        let mut a = EqSettings::default();
        let freqs = [40.0, 100.0, 250.0, 600.0, 1500.0, 3500.0, 8000.0, 15000.0];
        for (i, (b, f)) in a.bands.iter_mut().zip(freqs).enumerate() {
            b.enabled = true;
            b.kind = EqBandType::Bell;
            b.freq_hz = f;
            b.gain_db = if i % 2 == 0 { 4.0 } else { -5.0 };
            b.q = [0.7, 2.0, 4.0, 1.0][i % 4];
        }
        a.bands[3].placement = Placement::Mid;
        a.bands[4].placement = Placement::Side;
        let len = 48_000;
        let xl = pink_noise(len, 0.5, 17);
        let xr = white_noise(len, 0.5, 18);
        let mut worst = 0.0f32;
        for sr in [44_100.0, 48_000.0] {
            for (block, fast) in [(64, true), (1024, true), (1024, false)] {
                let run = |exact: bool| {
                    EXACT_GLIDE_BELLS.with(|e| e.set(exact));
                    let mut eq = chain_on_path(sr, 2, &a, fast);
                    let mut x = [xl.clone(), xr.clone()];
                    let mut pos = 0;
                    while pos < len {
                        let mut s = a;
                        let t = pos as f32 / sr;
                        for (k, b) in s.bands.iter_mut().enumerate() {
                            let ph = (std::f32::consts::TAU * 0.7 * t + k as f32).sin();
                            b.gain_db = (b.gain_db + 6.0 * ph + if k == 0 { 6.0 } else { 0.0 })
                                .clamp(-24.0, 24.0);
                            b.freq_hz *= 2f32.powf(ph);
                            b.q *= 2f32.powf(0.5 * ph);
                        }
                        eq.set_settings(&s);
                        let end = (pos + block).min(len);
                        let [l, r] = &mut x;
                        eq.process(&mut [&mut l[pos..end], &mut r[pos..end]]);
                        pos = end;
                    }
                    EXACT_GLIDE_BELLS.with(|e| e.set(false));
                    x
                };
                let (poly, exact) = (run(false), run(true));
                assert!(poly != exact, "the two designs should differ somewhere");
                for (p, e) in poly.iter().zip(&exact) {
                    for (p, e) in p.iter().zip(e) {
                        worst = worst.max((p - e).abs());
                    }
                }
            }
        }
        eprintln!(
            "automated bells, vector vs libm design: {:.1} dBFS",
            20.0 * worst.log10()
        );
        assert!(worst < 1e-6, "{worst} apart");
    }

    /// The largest bank the EQ builds — eight 48 dB/oct cuts (four sections each), the last
    /// one mid-placed (one more section for the final decode) — still takes the fast path.
    #[test]
    fn eight_steepest_cuts_ending_in_mid_take_the_fast_path() {
        let mut s = EqSettings::default();
        for (i, b) in s.bands.iter_mut().enumerate() {
            let kind = if i % 2 == 0 {
                EqBandType::LowCut
            } else {
                EqBandType::HighCut
            };
            let freq = if i % 2 == 0 {
                20.0 + i as f32
            } else {
                18_000.0 - i as f32
            };
            *b = one_band(kind, freq, 0.0, 0.7, 48.0).bands[2];
        }
        s.bands[7].placement = Placement::Mid;
        let mut eq = chain(48_000.0, 2, &s);
        let (mut l, mut r) = (pink_noise(256, 0.3, 1), pink_noise(256, 0.3, 2));
        assert_eq!(
            eq.process_block_fast(&mut l, Some(&mut r)),
            eq.bank.is_vectorized()
        );
        assert!(eq.bank.len() > 32, "{} sections", eq.bank.len());
    }

    #[test]
    fn setting_changes_are_click_free() {
        let sr = 48_000.0;
        let x = crate::testsignals::sine(48_000, 200.0, 0.5, sr as f64);
        let max_step = |y: &[f32]| {
            y.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max)
        };
        let dry_step = max_step(&x);
        let mut s = EqSettings::default();
        let mut eq = chain(sr, 1, &s);
        let mut y = x.clone();
        for (i, block) in y.chunks_mut(256).enumerate() {
            match i {
                20 => s.bands[0] = one_band(EqBandType::LowCut, 1000.0, 0.0, 0.7, 48.0).bands[2],
                60 => s.bands[0].kind = EqBandType::Notch,
                100 => s.bands[0].enabled = false,
                120 => s.output_gain_db = -12.0,
                _ => {}
            }
            eq.set_settings(&s);
            eq.process(&mut [block]);
        }
        assert!(
            max_step(&y) < 1.5 * dry_step,
            "{} vs {}",
            max_step(&y),
            dry_step
        );
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let (a, _) = busy_settings();
        let mut eq = chain(44_100.0, 2, &a);
        let mut l = pink_noise(4000, 0.3, 3);
        let mut r = l.clone();
        l[100] = f32::NAN;
        r[200] = f32::INFINITY;
        l[300] = f32::NEG_INFINITY;
        r[1000] = 3e38;
        eq.process(&mut [&mut l, &mut r]);
        assert!(l.iter().chain(&r).all(|v| v.is_finite()));
        assert!(l[3000..].iter().any(|v| *v != 0.0));
        let mut extra = vec![f32::NAN; 10];
        let mut m = vec![f32::NAN; 10];
        let mut n = vec![0.1f32; 10];
        eq.process(&mut [&mut m, &mut n, &mut extra]);
        assert!(m.iter().chain(&n).chain(&extra).all(|v| v.is_finite()));
        assert_eq!(eq.latency_samples(), 0);
    }

    #[test]
    fn settings_param_map_round_trip() {
        let (mut s, _) = busy_settings();
        s.bands[7] = one_band(EqBandType::Tilt, 900.0, -3.25, 2.5, 30.0).bands[2];
        s.bands[7].placement = Placement::Right;
        let map = s.to_param_map();
        assert_eq!(map.len(), NUM_BANDS * 7 + 1);
        assert_eq!(
            map.keys()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>(),
            param_ids().into_iter().collect()
        );
        assert_eq!(map["b8_type"], 7.0);
        assert_eq!(map["b8_place"], 4.0);
        assert_eq!(map["b1_on"], 1.0);
        assert_eq!(map["b3_on"], 0.0);
        assert_eq!(EqSettings::from_param_map(&map), s);
        assert_eq!(s.param("b2_freq"), Some(300.0));
        assert_eq!(s.param("nope"), None);
        // Serde too.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<EqSettings>(&json).unwrap(), s);
        // Neutral values and ID parsing.
        assert_eq!(neutral_value("b3_gain"), Some(0.0));
        assert_eq!(neutral_value("out_gain"), Some(0.0));
        assert_eq!(neutral_value("b3_freq"), None);
        assert_eq!(parse_band_param_id("b8_place"), Some((8, BandParam::Place)));
        assert_eq!(parse_band_param_id("b9_gain"), None);
        assert_eq!(parse_band_param_id("b0_gain"), None);
        assert_eq!(parse_band_param_id("b01_gain"), None);
        // Out-of-range values are clamped.
        let mut m = BTreeMap::new();
        m.insert("b1_freq".to_string(), 1e6);
        m.insert("b1_gain".to_string(), f32::NAN);
        m.insert("b1_type".to_string(), 42.0);
        let c = EqSettings::from_param_map(&m);
        assert_eq!(c.bands[0].freq_hz, MAX_FREQ_HZ);
        assert_eq!(c.bands[0].gain_db, 0.0);
        assert_eq!(c.bands[0].kind, EqBandType::Tilt);
        let d = EqSettings::default();
        assert!(d
            .bands
            .iter()
            .all(|b| !b.enabled && b.kind == EqBandType::Bell && b.q == 0.7));
        assert_eq!(d.bands[3].freq_hz, 1000.0);
    }

    #[test]
    fn config_and_sample_rate_changes() {
        let s = one_band(EqBandType::Bell, 30_000.0, 6.0, 1.0, 12.0);
        assert!(EqChain::new(ProcessorConfig::new(48_000.0, 64, 3).unwrap(), &s).is_err());
        let mut eq = chain(48_000.0, 2, &s);
        assert!(eq.set_sample_rate(1.0).is_err());
        eq.set_sample_rate(22_050.0).unwrap();
        // Clamped below Nyquist, still finite.
        let v = eq.magnitude_db(Placement::Stereo, 10_000.0);
        assert!(v.is_finite() && v > 1.0, "{v}");
        let mut x = pink_noise(2048, 0.1, 4);
        eq.process(&mut [&mut x]);
        assert!(x.iter().all(|v| v.is_finite()));
    }
}
