//! Coefficient design, all in `f64`.
//!
//! # Which method for which filter
//! - **Bell, band pass, shelves, notch, tilt** use *matched* designs after M. Vicanek,
//!   "Matched Second Order Digital Filters" (2016): the poles are the analog prototype's poles
//!   mapped exactly by `z = e^{sT}` (impulse invariance), and the numerator is solved in closed
//!   form so the digital magnitude equals the analog one at chosen points. Unlike the bilinear
//!   transform there is no frequency warping, so a 16 kHz bell at 44.1 kHz keeps its gain and
//!   its width instead of cramping towards Nyquist.
//!   - bell and band pass: match at DC, at f0 and a zero slope at f0 (Vicanek's peaking EQ and
//!     band pass); where no real numerator satisfies that (broad band pass close to Nyquist) the
//!     analog value at Nyquist replaces the slope condition;
//!   - shelves: match at DC, at the midpoint f0 and at Nyquist;
//!   - cuts (bell, shelf) are designed as the exact inverse of the boost by the same amount —
//!     the RBJ prototypes are inversion-symmetric — so boost and cut deviate from analog by
//!     mirror-image amounts, and shelf poles never have to be placed above Nyquist;
//!   - when every analog root is within 0.01 rad/sample of DC (e.g. a 20 Hz shelf at 192 kHz)
//!     the zeros are mapped by `z = e^{sT}` too (matched-z, scaled for the exact DC gain): just
//!     as accurate there (< 0.02 dB from analog, tested across the hand-over) and better
//!     conditioned than the magnitude factorisation;
//!   - notch: zeros exactly on the unit circle at f0 (a true null), matched poles, unity DC gain;
//!   - tilt (first order): matched pole, magnitude matched at DC and Nyquist.
//!
//!   Accuracy (tested): a 16 kHz bell at 44.1 kHz is exact at f0 and within 0.5 dB of analog at
//!   its half-gain points below 0.45·fs; shelves up to 16 kHz at 44.1 kHz stay within ≈ 0.6 dB of
//!   analog everywhere below 0.45·fs, within 0.02 dB at 1 kHz.
//! - **Low/high pass** (Butterworth and Linkwitz–Riley) use the bilinear transform prewarped at
//!   the corner frequency: warping only moves frequencies, so the analog value at the corner
//!   (−3.01 dB Butterworth, −6.02 dB Linkwitz–Riley) lands exactly on fc, and the response
//!   reaches a true zero at Nyquist (low pass) or DC (high pass).
//!
//! Every function here is total: inputs are clamped as [`FilterSpec::sanitized`] describes and
//! the result is always a finite, stable section.
//!
//! The magnitude-matching algebra uses Vicanek's notation: with `φ1 = sin²(ω/2)`, `φ0 = 1 − φ1`
//! and `φ2 = 4·φ0·φ1`, a polynomial `b0 + b1·z⁻¹ + b2·z⁻²` has squared magnitude
//! `B0·φ0 + B1·φ1 + B2·φ2` with `B0 = (b0+b1+b2)²`, `B1 = (b0−b1+b2)²`, `B2 = −4·b0·b2`.

use std::f64::consts::PI;

use super::biquad::BiquadCoefs;
use super::cascade::CascadeCoefs;
use super::spec::{
    clamp_freq_hz, clamp_gain_db, clamp_q, sanitize_sample_rate, CutShape, FilterKind, FilterSpec,
};

/// Designs `spec` for `sample_rate_hz` (Hz) into a cascade of at most
/// [`super::MAX_SECTIONS`] sections. The spec is [`FilterSpec::sanitized`] first; an invalid
/// sample rate is clamped to 8–768 kHz (non-finite → 48 kHz). Never panics.
pub fn design(spec: &FilterSpec, sample_rate_hz: f64) -> CascadeCoefs {
    let fs = sanitize_sample_rate(sample_rate_hz);
    let s = spec.sanitized(fs);
    match s.kind {
        FilterKind::Bell => CascadeCoefs::single(bell(s.freq_hz, s.gain_db, s.q, fs)),
        FilterKind::LowShelf => {
            CascadeCoefs::single(low_shelf(s.freq_hz, s.gain_db, s.effective_shelf_q(), fs))
        }
        FilterKind::HighShelf => {
            CascadeCoefs::single(high_shelf(s.freq_hz, s.gain_db, s.effective_shelf_q(), fs))
        }
        FilterKind::LowPass => cut(s.freq_hz, s.cut_order(), s.cut_shape, false, fs),
        FilterKind::HighPass => cut(s.freq_hz, s.cut_order(), s.cut_shape, true, fs),
        FilterKind::Notch => CascadeCoefs::single(notch(s.freq_hz, s.q, fs)),
        FilterKind::BandPass => CascadeCoefs::single(band_pass(s.freq_hz, s.q, fs)),
        FilterKind::Tilt => CascadeCoefs::single(tilt(s.freq_hz, s.gain_db, fs)),
    }
}

/// The angular frequency (radians/sample) of `freq_hz` (Hz), clamped as specs are.
fn omega(freq_hz: f64, sample_rate_hz: f64) -> (f64, f64) {
    let fs = sanitize_sample_rate(sample_rate_hz);
    (2.0 * PI * clamp_freq_hz(freq_hz, fs) / fs, fs)
}

/// `(φ0, φ1) = (cos²(ω/2), sin²(ω/2))`, each computed directly for accuracy at both ends.
fn phis(w: f64) -> (f64, f64) {
    let (s, c) = (0.5 * w).sin_cos();
    (c * c, s * s)
}

/// The digital denominator from an analog pole pair and its magnitude-squared coefficients.
struct MatchedPoles {
    a1: f64,
    a2: f64,
    /// `1 + a1 + a2`, computed without cancellation.
    s_dc: f64,
    /// The largest analog root magnitude, `wp·max(1, 1/qp)` (radians/sample).
    scale: f64,
    /// `(1 + a1 + a2)²`
    big_a0: f64,
    /// `(1 − a1 + a2)²`
    big_a1: f64,
    /// `−4·a2`
    big_a2: f64,
}

impl MatchedPoles {
    /// Poles of `s² + s·wp/qp + wp²` (wp in radians/sample) mapped by `z = e^{s}`.
    /// `1 + a1 + a2` is formed as `(1 − p1)(1 − p2)` with `expm1`, so it stays accurate at very
    /// low frequencies where the naive sum cancels. A complex pair whose angle would pass
    /// Nyquist (possible for shelf poles, which sit off f0) is held at Nyquist.
    fn new(wp: f64, qp: f64) -> Self {
        let zeta = 0.5 / qp;
        if zeta < 1.0 {
            let theta = Self::complex_angle(wp, zeta);
            return Self::complex(
                wp,
                qp,
                (-zeta * wp).exp(),
                -(-zeta * wp).exp_m1(),
                (0.5 * theta).sin(),
                theta.cos(),
            );
        }
        // Two real poles; the slow one computed without cancellation.
        let root = (zeta * zeta - 1.0).sqrt();
        let s_slow = -wp / (zeta + root);
        let s_fast = -wp * (zeta + root);
        let (p1, p2) = (s_slow.exp(), s_fast.exp());
        Self::from_sums(
            wp,
            qp,
            -(p1 + p2),
            p1 * p2,
            s_slow.exp_m1() * s_fast.exp_m1(),
            (1.0 + p1) * (1.0 + p2),
        )
    }

    /// The angle θ of a complex pair (`ζ = 1/(2·qp)` < 1), held at Nyquist.
    fn complex_angle(wp: f64, zeta: f64) -> f64 {
        (wp * (1.0 - zeta * zeta).max(0.0).sqrt()).min(PI)
    }

    /// A complex pair from its transcendental values: `r = e^(−ζ·wp)`, `1 − r` (from
    /// `expm1`), `sin(θ/2)` and `cos θ` ([`bells`] computes them for several pairs at once).
    #[inline(always)]
    fn complex(wp: f64, qp: f64, r: f64, one_minus_r: f64, sh: f64, cos_theta: f64) -> Self {
        let sh2 = sh * sh;
        let a1 = -2.0 * r * cos_theta;
        let s_dc = one_minus_r * one_minus_r + 4.0 * r * sh2;
        let s_ny = (1.0 + r) * (1.0 + r) - 4.0 * r * sh2;
        Self::from_sums(wp, qp, a1, r * r, s_dc, s_ny)
    }

    /// From `a1`, `a2`, `1 + a1 + a2` and `1 − a1 + a2`.
    #[inline(always)]
    fn from_sums(wp: f64, qp: f64, a1: f64, a2: f64, s_dc: f64, s_ny: f64) -> Self {
        Self {
            a1,
            a2,
            s_dc,
            scale: Self::scale_of(wp, qp),
            big_a0: s_dc * s_dc,
            big_a1: s_ny * s_ny,
            big_a2: -4.0 * a2,
        }
    }

    /// [`Self::scale`] of the pair `(wp, qp)`, without mapping it (cheap).
    fn scale_of(wp: f64, qp: f64) -> f64 {
        wp * (1.0 / qp).max(1.0)
    }

    /// The squared magnitude of the denominator at `(φ0, φ1)`.
    #[cfg(test)]
    fn den_sq(&self, phi0: f64, phi1: f64) -> f64 {
        self.big_a0 * phi0 + self.big_a1 * phi1 + self.big_a2 * 4.0 * phi0 * phi1
    }

    /// Builds the section from the numerator's magnitude-squared coefficients `B0, B1, B2`,
    /// choosing the minimum-phase factorisation with `b0+b1+b2 ≥ 0` and `b0−b1+b2 ≥ 0`.
    /// When no real factorisation exists (numerical edge cases) the zeros are put on the unit
    /// circle, which keeps the DC and Nyquist values.
    fn with_numerator(&self, big_b0: f64, big_b1: f64, big_b2: f64) -> BiquadCoefs {
        let sb0 = big_b0.max(0.0).sqrt();
        let sb1 = big_b1.max(0.0).sqrt();
        let w = 0.5 * (sb0 + sb1);
        let disc = w * w + big_b2;
        let (b0, b2) = if disc >= 0.0 && w > 0.0 {
            let b0 = 0.5 * (w + disc.sqrt());
            (b0, -big_b2 / (4.0 * b0))
        } else {
            (0.5 * w, 0.5 * w)
        };
        finite_or_identity(BiquadCoefs {
            b0,
            b1: 0.5 * (sb0 - sb1),
            b2,
            a1: self.a1,
            a2: self.a2,
        })
    }
}

/// Below this root scale (radians/sample) the matched-z transform replaces magnitude matching.
///
/// When every analog root is this close to DC, mapping the zeros by `z = e^{sT}` as well is
/// accurate to well under 0.01 dB, while the magnitude-squared factorisation becomes
/// ill-conditioned (the zeros crowd z = 1 and `W² + B2` cancels), e.g. a bell at 1 Hz at 768 kHz.
const MATCHED_Z_BELOW: f64 = 0.01;

/// True when the poles and the zero pair `(zw, zq)` (as [`MatchedPoles::new`] takes them) are
/// both close enough to DC for [`matched_z`]. The zeros are only mapped when they are (their
/// mapping is a third of a design's transcendental calls, and gliding bands redesign often).
fn use_matched_z(poles: &MatchedPoles, zw: f64, zq: f64) -> bool {
    poles.scale.max(MatchedPoles::scale_of(zw, zq)) < MATCHED_Z_BELOW
}

/// Poles and zeros both mapped by `z = e^{sT}`, scaled for `dc_gain` (linear) at DC.
fn matched_z(poles: &MatchedPoles, zeros: &MatchedPoles, dc_gain: f64) -> BiquadCoefs {
    let k = dc_gain * poles.s_dc / zeros.s_dc;
    finite_or_identity(BiquadCoefs {
        b0: k,
        b1: k * zeros.a1,
        b2: k * zeros.a2,
        a1: poles.a1,
        a2: poles.a2,
    })
}

fn finite_or_identity(c: BiquadCoefs) -> BiquadCoefs {
    if [c.b0, c.b1, c.b2, c.a1, c.a2].iter().all(|v| v.is_finite()) {
        c
    } else {
        BiquadCoefs::IDENTITY
    }
}

/// Peaking bell, matched design (Vicanek's peaking EQ). Centre `freq_hz` (Hz), `gain_db` (dB),
/// `q` (dimensionless), `sample_rate_hz` (Hz).
///
/// Analog prototype (RBJ's symmetric bell, boost and cut are exact inverses):
/// `H(s) = (s² + s·A/Q + 1) / (s² + s/(A·Q) + 1)`, `A = 10^(gain_db/40)`, s normalised to f0.
/// The digital filter has exactly `gain_db` at f0 with zero slope there, unity gain at DC, and
/// the analog poles.
pub fn bell(freq_hz: f64, gain_db: f64, q: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w0, _) = omega(freq_hz, sample_rate_hz);
    let gain_db = clamp_gain_db(gain_db);
    if gain_db == 0.0 {
        return BiquadCoefs::IDENTITY;
    }
    // A cut is designed as the inverse of the boost by the same amount (the prototype is
    // inversion-symmetric), so boosts and cuts deviate from analog by mirror-image amounts.
    let a = 10f64.powf(gain_db.abs() / 40.0);
    let g2 = a.powi(4); // |H(f0)|² = G², G = A²
    let q = clamp_q(q);
    let p = MatchedPoles::new(w0, q * a);
    let boost = if use_matched_z(&p, w0, q / a) {
        matched_z(&p, &MatchedPoles::new(w0, q / a), 1.0)
    } else {
        let x = PI / w0;
        let t_ny = ((1.0 - x * x).powi(2) + (a / q * x).powi(2))
            / ((1.0 - x * x).powi(2) + (x / (a * q)).powi(2));
        peak_numerator(&p, w0, g2, p.big_a0, t_ny)
    };
    if gain_db > 0.0 {
        boost
    } else {
        invert(&boost)
    }
}

/// The bells [`glide_bells`] designs in one pass of its lanes (the EQ's band count).
pub(crate) const MAX_BELLS: usize = 8;

#[cfg(test)]
thread_local! {
    /// Set by tests to design gliding bells as before [`glide_bells`] existed (libm's
    /// functions, through [`bell`]), so renders can be compared with it.
    pub(crate) static EXACT_GLIDE_BELLS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The bells of gliding filters (every gliding bell redesigns each control period, so this is
/// the automated EQ's main cost). `specs` are `(log2 freq_hz, gain_db, log2 q)`, the values a
/// glide moves; `out` receives one section per spec (as many as both hold).
///
/// The same design as [`bell`] of `(2^log2 freq_hz, gain_db, 2^log2 q)`, with its transcendental
/// steps (the two `exp2`, `10^x`, `e^x` and `e^x − 1` of the poles, the sines and cosines of the
/// pole angle and of ω0) computed [`MAX_BELLS`] lanes at a time by [`crate::util::poly64`]'s
/// branch-free polynomials, which the compiler vectorises, instead of libm's calls: within a few
/// units in the last place of them, so the coefficients agree with [`bell`]'s to about 1e−15
/// and a render within far less than −120 dBFS (both tested). Every lane gives the same bits as
/// a call with that spec alone, so the EQ's vector fast path, which designs a whole stretch's
/// control updates at once, and its band-by-band path, which designs one bell at a time, stay
/// bit-identical. The cases the common path does not cover (0 dB, real poles, matched-z, the
/// fallback numerator, non-finite values) go through [`bell`].
pub(crate) fn glide_bells(specs: &[(f64, f64, f64)], sample_rate_hz: f64, out: &mut [BiquadCoefs]) {
    let n = specs.len().min(out.len());
    let (specs, out) = (&specs[..n], &mut out[..n]);
    #[cfg(test)]
    if EXACT_GLIDE_BELLS.with(std::cell::Cell::get) {
        for (o, &(lf, g, lq)) in out.iter_mut().zip(specs) {
            *o = bell(lf.exp2(), g, lq.exp2(), sample_rate_hz);
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { glide_bells_avx512(specs, sample_rate_hz, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { glide_bells_avx2(specs, sample_rate_hz, out) };
        }
    }
    glide_bells_all(specs, sample_rate_hz, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn glide_bells_avx512(specs: &[(f64, f64, f64)], fs: f64, out: &mut [BiquadCoefs]) {
    glide_bells_all(specs, fs, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn glide_bells_avx2(specs: &[(f64, f64, f64)], fs: f64, out: &mut [BiquadCoefs]) {
    glide_bells_all(specs, fs, out);
}

/// [`glide_bells`] over `specs` (as long as `out`), [`MAX_BELLS`] at a time.
#[inline(always)]
fn glide_bells_all(specs: &[(f64, f64, f64)], fs: f64, out: &mut [BiquadCoefs]) {
    for (specs, out) in specs.chunks(MAX_BELLS).zip(out.chunks_mut(MAX_BELLS)) {
        glide_bells_lanes(specs, fs, out);
    }
}

/// [`glide_bells`]' body (`specs.len() <= MAX_BELLS`): the transcendental steps over all
/// [`MAX_BELLS`] lanes (unused ones hold a harmless 1 kHz, 0 dB, Q 1), then each bell's algebra.
#[inline(always)]
fn glide_bells_lanes(specs: &[(f64, f64, f64)], sample_rate_hz: f64, out: &mut [BiquadCoefs]) {
    use super::spec::{MAX_FREQ_RATIO, MAX_GAIN_DB, MAX_Q, MIN_FREQ_HZ, MIN_Q};
    use crate::util::poly64::{exp2, exp_expm1, sin_cos_quadrant};
    let fs = sanitize_sample_rate(sample_rate_hz);
    let mut lf = [9.965_784_284_662_087; MAX_BELLS];
    let mut g = [0.0f64; MAX_BELLS];
    let mut lq = [0.0f64; MAX_BELLS];
    for (i, &(f, gain, q)) in specs.iter().enumerate() {
        (lf[i], g[i], lq[i]) = (f, gain, q);
    }
    let (mut f, mut q, mut a, mut w0) = (
        [0.0f64; MAX_BELLS],
        [0.0; MAX_BELLS],
        [0.0; MAX_BELLS],
        [0.0; MAX_BELLS],
    );
    let (mut zeta, mut r, mut one_minus_r) =
        ([0.0f64; MAX_BELLS], [0.0; MAX_BELLS], [0.0; MAX_BELLS]);
    let (mut sh, mut cos_theta, mut phi0, mut phi1) = (
        [0.0f64; MAX_BELLS],
        [0.0; MAX_BELLS],
        [0.0; MAX_BELLS],
        [0.0; MAX_BELLS],
    );
    for i in 0..MAX_BELLS {
        // As `omega`, `clamp_q` and `clamp_gain_db` in `bell` (for the finite values glides
        // hold; the rest take `bell`'s path below).
        f[i] = exp2(lf[i]).max(MIN_FREQ_HZ).min(MAX_FREQ_RATIO * fs);
        w0[i] = 2.0 * PI * f[i] / fs;
        q[i] = exp2(lq[i]).clamp(MIN_Q, MAX_Q);
        let gain = g[i].abs().min(MAX_GAIN_DB);
        a[i] = exp2(gain * (std::f64::consts::LOG2_10 / 40.0));
        // The poles of `MatchedPoles::new(w0, q·a)` as a complex pair.
        zeta[i] = 0.5 / (q[i] * a[i]);
        let theta = MatchedPoles::complex_angle(w0[i], zeta[i]);
        (r[i], one_minus_r[i]) = exp_expm1(-zeta[i] * w0[i]);
        one_minus_r[i] = -one_minus_r[i];
        let (s, c) = sin_cos_quadrant(0.5 * theta);
        sh[i] = s;
        cos_theta[i] = (c - s) * (c + s);
        // `phis(w0)`.
        let (s, c) = sin_cos_quadrant(0.5 * w0[i]);
        (phi0[i], phi1[i]) = (c * c, s * s);
    }
    // Each bell's algebra, also in lanes: `MatchedPoles::complex` itself (branch-free), then
    // `peak_numerator_at` (with `a⁴` and `A0`), `with_numerator`, `finite_or_identity` and, for
    // cuts, `invert`, the same operations in the same order with selects instead of branches.
    // `ok` marks the lanes that took none of their special cases.
    let mut c = [[0.0f64; MAX_BELLS]; 5];
    let mut ok = [false; MAX_BELLS];
    for i in 0..MAX_BELLS {
        let (wp, qp) = (w0[i], q[i] * a[i]);
        let simple = lf[i].is_finite()
            && g[i].is_finite()
            && lq[i].is_finite()
            && g[i] != 0.0
            && zeta[i] < 1.0
            && MatchedPoles::scale_of(wp, qp).max(MatchedPoles::scale_of(wp, q[i] / a[i]))
                >= MATCHED_Z_BELOW;
        let p = MatchedPoles::complex(wp, qp, r[i], one_minus_r[i], sh[i], cos_theta[i]);
        let (pa1, pa2) = (p.a1, p.a2);
        let (big_a0, big_a1, big_a2) = (p.big_a0, p.big_a1, p.big_a2);
        let a2 = a[i] * a[i];
        let g2 = a2 * a2;
        let big_b0 = big_a0;
        let e = g2 * big_a0 - big_b0;
        let ratio = phi0[i] / phi1[i];
        let big_b1 = g2 * big_a1 - e * ratio * ratio;
        let big_b2 = g2 * big_a2 + e / (4.0 * phi1[i] * phi1[i]);
        let sb0 = big_b0.max(0.0).sqrt();
        let sb1 = big_b1.max(0.0).sqrt();
        let w = 0.5 * (sb0 + sb1);
        let disc = w * w + big_b2;
        let numerator_ok = !(big_b1 < 0.0 || disc < 0.0) && w > 0.0;
        let b0 = 0.5 * (w + disc.max(0.0).sqrt());
        let b2 = -big_b2 / (4.0 * b0);
        let b1 = 0.5 * (sb0 - sb1);
        let boost = [b0, b1, b2, pa1, pa2];
        // The cut: `invert`.
        let n = 1.0 / b0;
        let cut = [n, pa1 * n, pa2 * n, b1 * n, b2 * n];
        let (is_cut, section) = if g[i] < 0.0 {
            (true, cut)
        } else {
            (false, boost)
        };
        let finite = boost.iter().chain(&cut).all(|v| v.is_finite());
        let stable =
            !is_cut || (b0.abs() >= 1e-300 && cut[4].abs() < 1.0 && cut[3].abs() < 1.0 + cut[4]);
        ok[i] = simple && numerator_ok && finite && stable;
        for (row, v) in c.iter_mut().zip(section) {
            row[i] = v;
        }
    }
    for (i, o) in out[..specs.len()].iter_mut().enumerate() {
        *o = if ok[i] {
            BiquadCoefs {
                b0: c[0][i],
                b1: c[1][i],
                b2: c[2][i],
                a1: c[3][i],
                a2: c[4][i],
            }
        } else {
            bell(f[i], g[i], q[i], sample_rate_hz)
        };
    }
}

/// The inverse filter `1/H`: numerator and denominator swapped and renormalised. Only used on
/// sections whose zeros are inside the unit circle (the matched designs factor minimum-phase).
/// Returns the identity if the inverse would not be stable (zeros on the unit circle).
fn invert(c: &BiquadCoefs) -> BiquadCoefs {
    if c.b0.abs() < 1e-300 {
        return BiquadCoefs::IDENTITY;
    }
    let n = 1.0 / c.b0;
    let inv = BiquadCoefs {
        b0: n,
        b1: c.a1 * n,
        b2: c.a2 * n,
        a1: c.b1 * n,
        a2: c.b2 * n,
    };
    if inv.is_stable() {
        inv
    } else {
        BiquadCoefs::IDENTITY
    }
}

/// Band pass with 0 dB at the centre, matched design (Vicanek's band pass). Centre `freq_hz`
/// (Hz), `q` (dimensionless), `sample_rate_hz` (Hz).
///
/// Analog prototype: `H(s) = (s/Q) / (s² + s/Q + 1)`. Exactly 0 dB with zero slope at f0, a true
/// zero at DC.
pub fn band_pass(freq_hz: f64, q: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w0, _) = omega(freq_hz, sample_rate_hz);
    let q = clamp_q(q);
    let p = MatchedPoles::new(w0, q);
    let x = PI / w0;
    let t_ny = (x / q).powi(2) / ((1.0 - x * x).powi(2) + (x / q).powi(2));
    peak_numerator(&p, w0, 1.0, 0.0, t_ny)
}

/// Numerator with `|H(ω0)|² = g2`, `d|H|²/dω = 0` at ω0 and `B0 = big_b0` (the DC term);
/// `t_ny_analog` is the prototype's squared magnitude at Nyquist, used by the fallback.
/// Closed form of Vicanek's equations rearranged so nothing cancels at low frequencies:
/// `E = g2·A0 − B0`, `B1 = g2·A1 − E·(φ0/φ1)²`, `B2 = g2·A2 + E/(4·φ1²)`.
fn peak_numerator(
    p: &MatchedPoles,
    w0: f64,
    g2: f64,
    big_b0: f64,
    t_ny_analog: f64,
) -> BiquadCoefs {
    peak_numerator_at(p, phis(w0), g2, big_b0).unwrap_or_else(|| {
        // No real numerator has both the value and a zero slope at f0 (low Q close to
        // Nyquist): keep the values at DC and f0 and take the analog value at Nyquist instead.
        three_point_numerator(p, big_b0 / p.big_a0, t_ny_analog, g2, w0)
    })
}

/// [`peak_numerator`] with `(φ0, φ1)` of ω0 given; `None` where it takes its fallback.
fn peak_numerator_at(
    p: &MatchedPoles,
    (phi0, phi1): (f64, f64),
    g2: f64,
    big_b0: f64,
) -> Option<BiquadCoefs> {
    let e = g2 * p.big_a0 - big_b0;
    let ratio = phi0 / phi1;
    let big_b1 = g2 * p.big_a1 - e * ratio * ratio;
    let big_b2 = g2 * p.big_a2 + e / (4.0 * phi1 * phi1);
    let w = 0.5 * (big_b0.max(0.0).sqrt() + big_b1.max(0.0).sqrt());
    if big_b1 < 0.0 || w * w + big_b2 < 0.0 {
        return None;
    }
    Some(p.with_numerator(big_b0, big_b1, big_b2))
}

/// Numerator with the squared magnitudes `t_dc` at DC, `t_ny` at Nyquist and `t_m` at `w_m`
/// (radians/sample).
fn three_point_numerator(
    p: &MatchedPoles,
    t_dc: f64,
    t_ny: f64,
    t_m: f64,
    w_m: f64,
) -> BiquadCoefs {
    let (phi0, phi1) = phis(w_m);
    let big_b0 = t_dc * p.big_a0;
    let big_b1 = t_ny * p.big_a1;
    let big_b2 = (t_m * p.big_a0 - big_b0) / (4.0 * phi1)
        + (t_m * p.big_a1 - big_b1) / (4.0 * phi0)
        + t_m * p.big_a2;
    p.with_numerator(big_b0, big_b1, big_b2)
}

/// Squared magnitude of RBJ's analog low shelf at `x = f/f0` (see [`low_shelf`]).
pub(crate) fn low_shelf_mag_sq(a: f64, q: f64, x: f64) -> f64 {
    let x2 = x * x;
    let d = a / (q * q) * x2;
    let num = (a - x2) * (a - x2) + d;
    let den = (1.0 - a * x2) * (1.0 - a * x2) + d;
    a * a * num / den
}

/// Low shelf, matched design. Midpoint `freq_hz` (Hz), `gain_db` (dB) below it, `q`
/// (dimensionless; use [`FilterSpec::effective_shelf_q`] for a shelf slope), `sample_rate_hz` (Hz).
///
/// Analog prototype (RBJ): `H(s) = A·(s² + s·√A/Q + A) / (A·s² + s·√A/Q + 1)`,
/// `A = 10^(gain_db/40)`: `gain_db` at DC, `gain_db/2` at f0, 0 dB far above. The digital filter
/// has the analog poles and the analog magnitude at DC, f0 and Nyquist.
pub fn low_shelf(freq_hz: f64, gain_db: f64, q: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w0, _) = omega(freq_hz, sample_rate_hz);
    let gain_db = clamp_gain_db(gain_db);
    if gain_db == 0.0 {
        return BiquadCoefs::IDENTITY;
    }
    // Designed as the boost (poles at f0/√A, below the zeros and below f0) and inverted for a
    // cut, whose own poles could lie above Nyquist where impulse invariance cannot place them.
    let a = 10f64.powf(gain_db.abs() / 40.0);
    let q = clamp_q(q);
    let p = MatchedPoles::new(w0 / a.sqrt(), q);
    let boost = if use_matched_z(&p, w0 * a.sqrt(), q) {
        matched_z(&p, &MatchedPoles::new(w0 * a.sqrt(), q), a * a)
    } else {
        let t_ny = low_shelf_mag_sq(a, q, PI / w0);
        three_point_numerator(&p, a.powi(4), t_ny, a * a, w0)
    };
    if gain_db > 0.0 {
        boost
    } else {
        invert(&boost)
    }
}

/// High shelf, matched design. Midpoint `freq_hz` (Hz), `gain_db` (dB) above it, `q`
/// (dimensionless), `sample_rate_hz` (Hz).
///
/// Analog prototype (RBJ): `H(s) = A·(A·s² + s·√A/Q + 1) / (s² + s·√A/Q + A)`: 0 dB at DC,
/// `gain_db/2` at f0, `gain_db` far above. Matched at DC, f0 and Nyquist like [`low_shelf`].
pub fn high_shelf(freq_hz: f64, gain_db: f64, q: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w0, _) = omega(freq_hz, sample_rate_hz);
    let gain_db = clamp_gain_db(gain_db);
    if gain_db == 0.0 {
        return BiquadCoefs::IDENTITY;
    }
    // Designed as the cut (poles at f0·√A with A < 1, below f0) and inverted for a boost, whose
    // own poles could lie above Nyquist.
    let a = 10f64.powf(-gain_db.abs() / 40.0);
    let q = clamp_q(q);
    let p = MatchedPoles::new(w0 * a.sqrt(), q);
    let cut = if use_matched_z(&p, w0 / a.sqrt(), q) {
        matched_z(&p, &MatchedPoles::new(w0 / a.sqrt(), q), 1.0)
    } else {
        let t_ny = high_shelf_mag_sq(a, q, PI / w0);
        three_point_numerator(&p, 1.0, t_ny, a * a, w0)
    };
    if gain_db < 0.0 {
        cut
    } else {
        invert(&cut)
    }
}

/// Squared magnitude of RBJ's analog high shelf at `x = f/f0` (see [`high_shelf`]).
pub(crate) fn high_shelf_mag_sq(a: f64, q: f64, x: f64) -> f64 {
    let x2 = x * x;
    let d = a / (q * q) * x2;
    let num = (1.0 - a * x2) * (1.0 - a * x2) + d;
    let den = (a - x2) * (a - x2) + d;
    a * a * num / den
}

/// Notch. Centre `freq_hz` (Hz), `q` (dimensionless), `sample_rate_hz` (Hz).
///
/// Analog prototype: `H(s) = (s² + 1) / (s² + s/Q + 1)`. Zeros exactly on the unit circle at f0
/// (a true null), the analog poles matched, numerator scaled for exactly 0 dB at DC.
pub fn notch(freq_hz: f64, q: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w0, _) = omega(freq_hz, sample_rate_hz);
    let p = MatchedPoles::new(w0, clamp_q(q));
    let (_, phi1) = phis(w0);
    // (1 − 2cos ω0 + 1) = 4 sin²(ω0/2); scale so that DC gain = (1 + a1 + a2) / that = 1.
    let k = p.big_a0.sqrt() / (4.0 * phi1);
    finite_or_identity(BiquadCoefs {
        b0: k,
        b1: -2.0 * w0.cos() * k,
        b2: k,
        a1: p.a1,
        a2: p.a2,
    })
}

/// First-order tilt, matched design. Centre `freq_hz` (Hz), `gain_db` (dB) = total tilt,
/// `sample_rate_hz` (Hz).
///
/// Analog prototype: `H(s) = (T·s + 1) / (s + T)`, `T = 10^(gain_db/40)`: −`gain_db`/2 at DC,
/// +`gain_db`/2 far above, exactly 0 dB at f0 (the zero and pole sit at f0/T and f0·T). The
/// digital pole is the analog pole mapped by `z = e^{sT}`; the zero is solved so the magnitude is
/// exact at DC and at Nyquist.
pub fn tilt(freq_hz: f64, gain_db: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w0, _) = omega(freq_hz, sample_rate_hz);
    let gain_db = clamp_gain_db(gain_db);
    if gain_db == 0.0 {
        return BiquadCoefs::IDENTITY;
    }
    let t = 10f64.powf(gain_db / 40.0);
    let pole = (-t * w0).exp();
    let one_minus_pole = -(-t * w0).exp_m1();
    let x_ny = PI / w0;
    let h_ny = ((t * t * x_ny * x_ny + 1.0) / (x_ny * x_ny + t * t)).sqrt();
    let sum_dc = one_minus_pole / t; // b0 + b1 = H(0)·(1 + a1)
    let sum_ny = h_ny * (1.0 + pole); // b0 − b1 = H(π)·(1 − a1)
    finite_or_identity(BiquadCoefs {
        b0: 0.5 * (sum_dc + sum_ny),
        b1: 0.5 * (sum_dc - sum_ny),
        b2: 0.0,
        a1: -pole,
        a2: 0.0,
    })
}

/// Second-order low pass, bilinear transform prewarped at `freq_hz` (Hz); `q` (dimensionless)
/// is the analog section's Q; `sample_rate_hz` (Hz).
pub fn low_pass_2(freq_hz: f64, q: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w, _) = omega(freq_hz, sample_rate_hz);
    let k = (0.5 * w).tan();
    let q = clamp_q(q);
    let n = 1.0 / (1.0 + k / q + k * k);
    let b0 = k * k * n;
    BiquadCoefs {
        b0,
        b1: 2.0 * b0,
        b2: b0,
        a1: 2.0 * (k * k - 1.0) * n,
        a2: (1.0 - k / q + k * k) * n,
    }
}

/// Second-order high pass, bilinear transform prewarped at `freq_hz` (Hz); `q` (dimensionless);
/// `sample_rate_hz` (Hz).
pub fn high_pass_2(freq_hz: f64, q: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w, _) = omega(freq_hz, sample_rate_hz);
    let k = (0.5 * w).tan();
    let q = clamp_q(q);
    let n = 1.0 / (1.0 + k / q + k * k);
    BiquadCoefs {
        b0: n,
        b1: -2.0 * n,
        b2: n,
        a1: 2.0 * (k * k - 1.0) * n,
        a2: (1.0 - k / q + k * k) * n,
    }
}

/// First-order low pass (6 dB/octave), bilinear prewarped at `freq_hz` (Hz); `sample_rate_hz` (Hz).
pub fn low_pass_1(freq_hz: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w, _) = omega(freq_hz, sample_rate_hz);
    let k = (0.5 * w).tan();
    let n = 1.0 / (1.0 + k);
    BiquadCoefs {
        b0: k * n,
        b1: k * n,
        b2: 0.0,
        a1: (k - 1.0) * n,
        a2: 0.0,
    }
}

/// First-order high pass (6 dB/octave), bilinear prewarped at `freq_hz` (Hz); `sample_rate_hz` (Hz).
pub fn high_pass_1(freq_hz: f64, sample_rate_hz: f64) -> BiquadCoefs {
    let (w, _) = omega(freq_hz, sample_rate_hz);
    let k = (0.5 * w).tan();
    let n = 1.0 / (1.0 + k);
    BiquadCoefs {
        b0: n,
        b1: -n,
        b2: 0.0,
        a1: (k - 1.0) * n,
        a2: 0.0,
    }
}

/// The Q (dimensionless) of section `k` of an order-`order` Butterworth filter,
/// `1 / (2·sin((2k+1)·π / (2·order)))`, for `k < order/2`. Odd orders add one first-order section.
pub fn butterworth_q(order: usize, k: usize) -> f64 {
    let n = order.max(1) as f64;
    1.0 / (2.0 * ((2 * k + 1) as f64 * PI / (2.0 * n)).sin())
}

/// Pushes an order-`order` Butterworth low or high pass: the first-order section (odd orders)
/// first, then the pairs from lowest to highest Q.
fn push_butterworth(c: &mut CascadeCoefs, freq_hz: f64, order: usize, high: bool, fs: f64) {
    if order % 2 == 1 {
        c.push(if high {
            high_pass_1(freq_hz, fs)
        } else {
            low_pass_1(freq_hz, fs)
        });
    }
    for k in (0..order / 2).rev() {
        let q = butterworth_q(order, k);
        c.push(if high {
            high_pass_2(freq_hz, q, fs)
        } else {
            low_pass_2(freq_hz, q, fs)
        });
    }
}

/// A low/high-pass cascade of `order` (1–8). Linkwitz–Riley of order 2m is Butterworth m twice;
/// the two first-order halves of odd m are merged into one section, so order 8 needs 4 sections.
fn cut(freq_hz: f64, order: usize, shape: CutShape, high: bool, fs: f64) -> CascadeCoefs {
    let mut c = CascadeCoefs::empty();
    match shape {
        CutShape::Butterworth => push_butterworth(&mut c, freq_hz, order.clamp(1, 8), high, fs),
        CutShape::LinkwitzRiley => {
            let half = (order.clamp(2, 8) / 2).max(1);
            if half % 2 == 1 {
                let first = if high {
                    high_pass_1(freq_hz, fs)
                } else {
                    low_pass_1(freq_hz, fs)
                };
                c.push(first.merge_first_order(&first));
            }
            for _ in 0..2 {
                for k in (0..half / 2).rev() {
                    let q = butterworth_q(half, k);
                    c.push(if high {
                        high_pass_2(freq_hz, q, fs)
                    } else {
                        low_pass_2(freq_hz, q, fs)
                    });
                }
            }
        }
    }
    c
}

/// The squared magnitude the matched designs' denominator has at `w` (radians/sample); exposed
/// to the tests only.
#[cfg(test)]
fn matched_den_sq(wp: f64, qp: f64, w: f64) -> f64 {
    let (phi0, phi1) = phis(w);
    MatchedPoles::new(wp, qp).den_sq(phi0, phi1)
}

#[cfg(test)]
mod tests;
