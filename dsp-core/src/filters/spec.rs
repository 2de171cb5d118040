//! The persisted description of one filter ([`FilterSpec`]) and its parameter limits.

use serde::{Deserialize, Serialize};

use super::analog;
use super::biquad::Complex;
use super::cascade::CascadeCoefs;
use super::design;

/// The lowest centre/corner frequency any design uses, in Hz.
pub const MIN_FREQ_HZ: f64 = 1.0;
/// The highest centre/corner frequency as a fraction of the sample rate (dimensionless);
/// 0.49 keeps every design strictly below Nyquist.
pub const MAX_FREQ_RATIO: f64 = 0.49;
/// The lowest accepted Q (dimensionless).
pub const MIN_Q: f64 = 0.025;
/// The highest accepted Q (dimensionless).
pub const MAX_Q: f64 = 40.0;
/// The largest accepted boost or cut, in dB (gains are clamped to ±this).
pub const MAX_GAIN_DB: f64 = 48.0;
/// The gentlest low/high-pass slope, in dB/octave (a first-order section).
pub const MIN_SLOPE_DB_OCT: f64 = 6.0;
/// The steepest low/high-pass slope, in dB/octave (eighth order, four sections).
pub const MAX_SLOPE_DB_OCT: f64 = 48.0;
/// The smallest accepted RBJ shelf slope `S` (dimensionless).
pub const MIN_SHELF_SLOPE: f64 = 0.05;
/// The largest accepted RBJ shelf slope `S` (dimensionless); above 1 the shelf overshoots.
pub const MAX_SHELF_SLOPE: f64 = 2.0;
/// The Butterworth Q, 1/√2 (dimensionless): the default Q of a new spec.
pub const BUTTERWORTH_Q: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// What a filter does. Every kind designs into at most [`super::MAX_SECTIONS`] biquads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FilterKind {
    /// Peaking bell: `gain_db` at `freq_hz`, width set by `q` (RBJ's symmetric boost/cut prototype).
    #[default]
    Bell,
    /// Second-order low shelf: `gain_db` below `freq_hz`, half of it (in dB) at `freq_hz`.
    LowShelf,
    /// Second-order high shelf: `gain_db` above `freq_hz`, half of it (in dB) at `freq_hz`.
    HighShelf,
    /// Low pass (high cut), 6–48 dB/octave set by `slope_db_oct`, shape by `cut_shape`.
    LowPass,
    /// High pass (low cut), 6–48 dB/octave set by `slope_db_oct`, shape by `cut_shape`.
    HighPass,
    /// Notch: a zero of transmission at `freq_hz`, width set by `q`.
    Notch,
    /// Constant-peak band pass: 0 dB at `freq_hz`, width set by `q`.
    BandPass,
    /// First-order tilt around `freq_hz`: −`gain_db`/2 at the low end, +`gain_db`/2 at the high
    /// end, 0 dB at `freq_hz`.
    Tilt,
}

/// The alignment of a low/high-pass cascade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CutShape {
    /// Maximally flat; −3.01 dB at the corner frequency. Any order 1–8 (6–48 dB/octave).
    #[default]
    Butterworth,
    /// Two cascaded Butterworth filters of half the order; −6.02 dB at the corner, so a low pass
    /// and a high pass at the same frequency sum flat in magnitude. Even orders only
    /// (12/24/36/48 dB/octave); odd orders are rounded up to the next even one.
    LinkwitzRiley,
}

/// Everything that defines one filter; the value plugins and the CLI persist.
///
/// Not every field applies to every kind: `gain_db` is used by bells, shelves and tilt; `q` by
/// bells, shelves (unless `shelf_slope` is set), notch and band pass; `slope_db_oct` and
/// `cut_shape` by low/high pass only. Out-of-range values are clamped at design time (see
/// [`FilterSpec::sanitized`]), never rejected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterSpec {
    /// The filter type.
    pub kind: FilterKind,
    /// Centre (bell, notch, band pass, tilt), midpoint (shelves) or corner (cuts) frequency, in Hz.
    pub freq_hz: f64,
    /// Boost (positive) or cut (negative), in dB. For tilt: the total tilt from low to high end.
    pub gain_db: f64,
    /// Quality factor (dimensionless).
    pub q: f64,
    /// Low/high-pass steepness in dB/octave, 6–48 in steps of 6 (rounded to the nearest step).
    pub slope_db_oct: f64,
    /// Low/high-pass alignment.
    pub cut_shape: CutShape,
    /// Shelves only: when set, RBJ's dimensionless shelf slope `S` replaces `q`
    /// (`S = 1` is the steepest shelf without overshoot; the slope in dB/octave is proportional to
    /// `S`).
    pub shelf_slope: Option<f64>,
}

impl Default for FilterSpec {
    fn default() -> Self {
        Self {
            kind: FilterKind::Bell,
            freq_hz: 1000.0,
            gain_db: 0.0,
            q: BUTTERWORTH_Q,
            slope_db_oct: 12.0,
            cut_shape: CutShape::Butterworth,
            shelf_slope: None,
        }
    }
}

impl FilterSpec {
    /// A bell at `freq_hz` (Hz) with `gain_db` (dB) and `q` (dimensionless).
    pub fn bell(freq_hz: f64, gain_db: f64, q: f64) -> Self {
        Self {
            kind: FilterKind::Bell,
            freq_hz,
            gain_db,
            q,
            ..Self::default()
        }
    }

    /// A low shelf with midpoint `freq_hz` (Hz), `gain_db` (dB) and `q` (dimensionless).
    pub fn low_shelf(freq_hz: f64, gain_db: f64, q: f64) -> Self {
        Self {
            kind: FilterKind::LowShelf,
            freq_hz,
            gain_db,
            q,
            ..Self::default()
        }
    }

    /// A high shelf with midpoint `freq_hz` (Hz), `gain_db` (dB) and `q` (dimensionless).
    pub fn high_shelf(freq_hz: f64, gain_db: f64, q: f64) -> Self {
        Self {
            kind: FilterKind::HighShelf,
            freq_hz,
            gain_db,
            q,
            ..Self::default()
        }
    }

    /// A low shelf whose steepness is RBJ's dimensionless shelf slope `shelf_slope` instead of a Q.
    pub fn low_shelf_with_slope(freq_hz: f64, gain_db: f64, shelf_slope: f64) -> Self {
        Self {
            shelf_slope: Some(shelf_slope),
            ..Self::low_shelf(freq_hz, gain_db, BUTTERWORTH_Q)
        }
    }

    /// A high shelf whose steepness is RBJ's dimensionless shelf slope `shelf_slope` instead of a Q.
    pub fn high_shelf_with_slope(freq_hz: f64, gain_db: f64, shelf_slope: f64) -> Self {
        Self {
            shelf_slope: Some(shelf_slope),
            ..Self::high_shelf(freq_hz, gain_db, BUTTERWORTH_Q)
        }
    }

    /// A low pass with corner `freq_hz` (Hz), `slope_db_oct` (dB/octave) and alignment `cut_shape`.
    pub fn low_pass(freq_hz: f64, slope_db_oct: f64, cut_shape: CutShape) -> Self {
        Self {
            kind: FilterKind::LowPass,
            freq_hz,
            slope_db_oct,
            cut_shape,
            ..Self::default()
        }
    }

    /// A high pass with corner `freq_hz` (Hz), `slope_db_oct` (dB/octave) and alignment `cut_shape`.
    pub fn high_pass(freq_hz: f64, slope_db_oct: f64, cut_shape: CutShape) -> Self {
        Self {
            kind: FilterKind::HighPass,
            freq_hz,
            slope_db_oct,
            cut_shape,
            ..Self::default()
        }
    }

    /// A notch at `freq_hz` (Hz) with `q` (dimensionless).
    pub fn notch(freq_hz: f64, q: f64) -> Self {
        Self {
            kind: FilterKind::Notch,
            freq_hz,
            q,
            ..Self::default()
        }
    }

    /// A constant-peak (0 dB) band pass at `freq_hz` (Hz) with `q` (dimensionless).
    pub fn band_pass(freq_hz: f64, q: f64) -> Self {
        Self {
            kind: FilterKind::BandPass,
            freq_hz,
            q,
            ..Self::default()
        }
    }

    /// A tilt around `freq_hz` (Hz); `gain_db` (dB) is the total tilt, low end to high end.
    pub fn tilt(freq_hz: f64, gain_db: f64) -> Self {
        Self {
            kind: FilterKind::Tilt,
            freq_hz,
            gain_db,
            ..Self::default()
        }
    }

    /// The low/high-pass order (1–8, dimensionless) `slope_db_oct` and `cut_shape` select:
    /// `round(slope / 6)`, rounded up to even for Linkwitz–Riley.
    pub fn cut_order(&self) -> usize {
        let slope = if self.slope_db_oct.is_finite() {
            self.slope_db_oct
        } else {
            12.0
        };
        let n = (slope / 6.0).round().clamp(1.0, 8.0) as usize;
        match self.cut_shape {
            CutShape::Butterworth => n,
            CutShape::LinkwitzRiley => (n + (n & 1)).clamp(2, 8),
        }
    }

    /// The same spec with every field made finite and clamped to what the designs accept at
    /// `sample_rate_hz` (Hz): frequency to [`MIN_FREQ_HZ`]…[`MAX_FREQ_RATIO`]·fs, gain to
    /// ±[`MAX_GAIN_DB`], Q to [`MIN_Q`]…[`MAX_Q`], slope to a multiple of 6 dB/octave in 6–48,
    /// shelf slope to [`MIN_SHELF_SLOPE`]…[`MAX_SHELF_SLOPE`]. Non-finite values become the
    /// defaults (1 kHz, 0 dB, Q 0.707, 12 dB/octave, S = 1).
    pub fn sanitized(&self, sample_rate_hz: f64) -> Self {
        let fs = sanitize_sample_rate(sample_rate_hz);
        Self {
            kind: self.kind,
            freq_hz: clamp_freq_hz(self.freq_hz, fs),
            gain_db: clamp_gain_db(self.gain_db),
            q: clamp_q(self.q),
            slope_db_oct: 6.0 * self.cut_order() as f64,
            cut_shape: self.cut_shape,
            shelf_slope: self.shelf_slope.map(|s| {
                if s.is_finite() {
                    s.clamp(MIN_SHELF_SLOPE, MAX_SHELF_SLOPE)
                } else {
                    1.0
                }
            }),
        }
    }

    /// The Q (dimensionless) a shelf actually uses: `q`, or the Q RBJ's shelf slope `S` implies
    /// for this gain, `1/Q = √((A + 1/A)(1/S − 1) + 2)` with `A = 10^(gain_db/40)`.
    pub fn effective_shelf_q(&self) -> f64 {
        match self.shelf_slope {
            None => clamp_q(self.q),
            Some(s) => {
                let s = if s.is_finite() {
                    s.clamp(MIN_SHELF_SLOPE, MAX_SHELF_SLOPE)
                } else {
                    1.0
                };
                let a = 10f64.powf(clamp_gain_db(self.gain_db) / 40.0);
                let inv_q_sq = ((a + 1.0 / a) * (1.0 / s - 1.0) + 2.0).max(1.0 / (MAX_Q * MAX_Q));
                clamp_q(1.0 / inv_q_sq.sqrt())
            }
        }
    }

    /// Designs the biquad cascade for `sample_rate_hz` (Hz). See [`design::design`].
    pub fn design(&self, sample_rate_hz: f64) -> CascadeCoefs {
        design::design(self, sample_rate_hz)
    }

    /// The digital frequency response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), as a complex
    /// number (linear). Designs the cascade each call: for many points, call [`Self::design`] once
    /// and use [`CascadeCoefs::response`].
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        self.design(sample_rate_hz)
            .response(freq_hz, sample_rate_hz)
    }

    /// The digital magnitude response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), in dB.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.design(sample_rate_hz)
            .magnitude_db(freq_hz, sample_rate_hz)
    }

    /// The analog prototype's magnitude at `freq_hz` (Hz), in dB. See [`analog::analog_response`].
    pub fn analog_magnitude_db(&self, freq_hz: f64) -> f64 {
        analog::analog_magnitude_db(self, freq_hz)
    }
}

/// A usable sample rate in Hz: finite values are clamped to the crate's 8 kHz–768 kHz, anything
/// else becomes 48 kHz. Keeps the design functions total.
pub(crate) fn sanitize_sample_rate(sample_rate_hz: f64) -> f64 {
    if sample_rate_hz.is_finite() {
        sample_rate_hz.clamp(
            crate::MIN_SAMPLE_RATE_HZ as f64,
            crate::MAX_SAMPLE_RATE_HZ as f64,
        )
    } else {
        48_000.0
    }
}

/// `freq_hz` clamped to [`MIN_FREQ_HZ`]…[`MAX_FREQ_RATIO`]·`sample_rate_hz`; non-finite → 1 kHz.
pub(crate) fn clamp_freq_hz(freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let f = if freq_hz.is_finite() { freq_hz } else { 1000.0 };
    f.clamp(MIN_FREQ_HZ, MAX_FREQ_RATIO * sample_rate_hz)
}

/// `q` clamped to [`MIN_Q`]…[`MAX_Q`]; non-finite → 1/√2.
pub(crate) fn clamp_q(q: f64) -> f64 {
    if q.is_finite() {
        q.clamp(MIN_Q, MAX_Q)
    } else {
        BUTTERWORTH_Q
    }
}

/// `gain_db` clamped to ±[`MAX_GAIN_DB`]; non-finite → 0 dB.
pub(crate) fn clamp_gain_db(gain_db: f64) -> f64 {
    if gain_db.is_finite() {
        gain_db.clamp(-MAX_GAIN_DB, MAX_GAIN_DB)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitized_clamps_everything() {
        let s = FilterSpec {
            kind: FilterKind::LowPass,
            freq_hz: f64::NAN,
            gain_db: 1e9,
            q: 0.0,
            slope_db_oct: 100.0,
            cut_shape: CutShape::Butterworth,
            shelf_slope: Some(f64::INFINITY),
        }
        .sanitized(48_000.0);
        assert_eq!(s.freq_hz, 1000.0);
        assert_eq!(s.gain_db, 48.0);
        assert_eq!(s.q, MIN_Q);
        assert_eq!(s.slope_db_oct, 48.0);
        assert_eq!(s.shelf_slope, Some(1.0));
        let hi = FilterSpec::bell(1e6, 0.0, 1.0).sanitized(44_100.0);
        assert!((hi.freq_hz - 0.49 * 44_100.0).abs() < 1e-9);
        let lo = FilterSpec::bell(-5.0, 0.0, 1.0).sanitized(f64::NAN);
        assert_eq!(lo.freq_hz, 1.0);
    }

    #[test]
    fn cut_orders() {
        let bw = |s: f64| FilterSpec::low_pass(1000.0, s, CutShape::Butterworth).cut_order();
        let lr = |s: f64| FilterSpec::low_pass(1000.0, s, CutShape::LinkwitzRiley).cut_order();
        assert_eq!(
            [bw(6.0), bw(18.0), bw(48.0), bw(0.0), bw(f64::NAN)],
            [1, 3, 8, 1, 2]
        );
        assert_eq!(
            [lr(6.0), lr(12.0), lr(18.0), lr(24.0), lr(48.0)],
            [2, 2, 4, 4, 8]
        );
    }

    #[test]
    fn shelf_slope_one_is_butterworth_q() {
        for g in [-12.0, 0.0, 6.0] {
            let q = FilterSpec::low_shelf_with_slope(100.0, g, 1.0).effective_shelf_q();
            assert!((q - BUTTERWORTH_Q).abs() < 1e-12, "{g}: {q}");
        }
        // A gentler slope means a lower Q.
        let q = FilterSpec::low_shelf_with_slope(100.0, 12.0, 0.5).effective_shelf_q();
        assert!(q < 0.6);
    }

    #[test]
    fn serde_round_trip() {
        let s = FilterSpec::high_shelf_with_slope(8000.0, -3.5, 0.8);
        let json = serde_json::to_string(&s).unwrap();
        let back: FilterSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(s, back);
        // Missing fields take their defaults.
        let partial: FilterSpec =
            serde_json::from_str(r#"{"kind":"LowPass","freq_hz":80.0}"#).unwrap();
        assert_eq!(partial.kind, FilterKind::LowPass);
        assert_eq!(partial.slope_db_oct, 12.0);
    }
}
