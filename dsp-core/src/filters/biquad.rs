//! One second-order section: coefficients, their analytic response, and the running state.

use std::f64::consts::PI;

/// A complex number (`re + j·im`), used for frequency responses. Linear, dimensionless.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// 1 + 0j.
    pub const ONE: Self = Self { re: 1.0, im: 0.0 };

    /// `re + j·im`.
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// The squared magnitude `re² + im²` (linear power gain).
    #[inline]
    pub fn norm_sqr(self) -> f64 {
        self.re * self.re + self.im * self.im
    }

    /// The magnitude (linear gain).
    #[inline]
    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    /// The phase, in radians (−π…π).
    #[inline]
    pub fn arg(self) -> f64 {
        self.im.atan2(self.re)
    }

    /// The magnitude in dB, floored at [`crate::util::MIN_DB`].
    #[inline]
    pub fn magnitude_db(self) -> f64 {
        power_ratio_to_db(self.norm_sqr())
    }
}

impl std::ops::Mul for Complex {
    type Output = Self;
    /// The complex product.
    #[inline]
    fn mul(self, rhs: Self) -> Self {
        Self::new(
            self.re * rhs.re - self.im * rhs.im,
            self.re * rhs.im + self.im * rhs.re,
        )
    }
}

impl std::ops::Div for Complex {
    type Output = Self;
    /// The complex quotient; 0 when `rhs` is 0 or not finite (never NaN from a zero divisor).
    #[inline]
    fn div(self, rhs: Self) -> Self {
        let d = rhs.norm_sqr();
        if d == 0.0 || !d.is_finite() {
            return Self::default();
        }
        Self::new(
            (self.re * rhs.re + self.im * rhs.im) / d,
            (self.im * rhs.re - self.re * rhs.im) / d,
        )
    }
}

/// 10·log10 of a power ratio, floored at [`crate::util::MIN_DB`] (dB).
#[inline]
pub(crate) fn power_ratio_to_db(p: f64) -> f64 {
    let floor = crate::util::MIN_DB as f64;
    if p.is_nan() || p <= 1e-20 {
        floor
    } else {
        (10.0 * p.log10()).max(floor)
    }
}

/// Normalised biquad coefficients (a0 = 1), designed in `f64`:
/// `H(z) = (b0 + b1·z⁻¹ + b2·z⁻²) / (1 + a1·z⁻¹ + a2·z⁻²)`. A first-order section has
/// `b2 = a2 = 0`. All dimensionless.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiquadCoefs {
    /// Feed-forward coefficient of `x[n]`.
    pub b0: f64,
    /// Feed-forward coefficient of x[n−1].
    pub b1: f64,
    /// Feed-forward coefficient of x[n−2].
    pub b2: f64,
    /// Feedback coefficient of y[n−1] (sign convention: denominator `1 + a1·z⁻¹ + a2·z⁻²`).
    pub a1: f64,
    /// Feedback coefficient of y[n−2].
    pub a2: f64,
}

impl Default for BiquadCoefs {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl BiquadCoefs {
    /// The pass-through section (H = 1).
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// The analytic response H(e^jω) at `freq_hz` (Hz) for `sample_rate_hz` (Hz), linear complex.
    /// These are exactly the numbers [`BiquadState::tick`] runs, so a GUI drawing this curve
    /// draws what the DSP does.
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        self.response_at_omega(2.0 * PI * freq_hz / sample_rate_hz)
    }

    /// The response at normalised angular frequency `omega` (radians/sample), linear complex.
    pub fn response_at_omega(&self, omega: f64) -> Complex {
        // z⁻¹ = e^{−jω}
        let (s1, c1) = omega.sin_cos();
        let (s2, c2) = (2.0 * omega).sin_cos();
        let num = Complex::new(
            self.b0 + self.b1 * c1 + self.b2 * c2,
            -(self.b1 * s1 + self.b2 * s2),
        );
        let den = Complex::new(
            1.0 + self.a1 * c1 + self.a2 * c2,
            -(self.a1 * s1 + self.a2 * s2),
        );
        num / den
    }

    /// The magnitude response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), in dB.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.response(freq_hz, sample_rate_hz).magnitude_db()
    }

    /// The phase response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), in radians.
    pub fn phase_rad(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.response(freq_hz, sample_rate_hz).arg()
    }

    /// True when all coefficients are finite and both poles lie strictly inside the unit circle
    /// (stability triangle `|a2| < 1`, `|a1| < 1 + a2`).
    pub fn is_stable(&self) -> bool {
        let finite = [self.b0, self.b1, self.b2, self.a1, self.a2]
            .iter()
            .all(|c| c.is_finite());
        finite && self.a2.abs() < 1.0 && self.a1.abs() < 1.0 + self.a2
    }

    /// The product of two first-order sections (`b2 = a2 = 0` in both) as one second-order
    /// section. Used to pack Linkwitz–Riley halves into fewer sections.
    pub fn merge_first_order(&self, other: &Self) -> Self {
        Self {
            b0: self.b0 * other.b0,
            b1: self.b0 * other.b1 + self.b1 * other.b0,
            b2: self.b1 * other.b1,
            a1: self.a1 + other.a1,
            a2: self.a1 * other.a1,
        }
    }
}

/// States below this magnitude are flushed to zero at control updates: some 100 orders of
/// magnitude below the smallest `f32` (1.4e−45) and as far above `f64`'s denormal range
/// (2.2e−308), so a decaying state has room to fall between two flushes.
pub const STATE_FLUSH_BELOW: f64 = 1e-150;

/// The running state of one section in Transposed Direct Form II, in `f64` (low corner
/// frequencies at high sample rates need the precision).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BiquadState {
    /// First state variable.
    pub s1: f64,
    /// Second state variable.
    pub s2: f64,
}

impl BiquadState {
    /// Clears the state.
    #[inline]
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// One sample through the section (TDF-II).
    #[inline(always)]
    pub fn tick(&mut self, c: &BiquadCoefs, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Runs a block in place. Bit-identical to calling [`Self::tick`] per sample (with `f32`
    /// rounding of each output), just with the state held in registers.
    #[inline]
    pub fn process_block(&mut self, c: &BiquadCoefs, buf: &mut [f32]) {
        let (b0, b1, b2, a1, a2) = (c.b0, c.b1, c.b2, c.a1, c.a2);
        let (mut s1, mut s2) = (self.s1, self.s2);
        for x in buf.iter_mut() {
            let xi = *x as f64;
            let y = b0 * xi + s1;
            s1 = b1 * xi - a1 * y + s2;
            s2 = b2 * xi - a2 * y;
            *x = y as f32;
        }
        self.s1 = s1;
        self.s2 = s2;
    }

    /// Runs two channels through the same section in one loop: `self` filters `l`, `other`
    /// filters `r` (the common length). Per channel the arithmetic is exactly
    /// [`Self::process_block`]'s, so the results are bit-identical; the two independent
    /// recursions simply overlap in the CPU (twice the throughput of two separate passes, whose
    /// speed is bound by the latency of the feedback chain).
    #[inline]
    pub fn process_block_stereo(
        &mut self,
        other: &mut Self,
        c: &BiquadCoefs,
        l: &mut [f32],
        r: &mut [f32],
    ) {
        let (b0, b1, b2, a1, a2) = (c.b0, c.b1, c.b2, c.a1, c.a2);
        let (mut l1, mut l2) = (self.s1, self.s2);
        let (mut r1, mut r2) = (other.s1, other.s2);
        for (xl, xr) in l.iter_mut().zip(r.iter_mut()) {
            let il = *xl as f64;
            let ir = *xr as f64;
            let yl = b0 * il + l1;
            let yr = b0 * ir + r1;
            l1 = b1 * il - a1 * yl + l2;
            r1 = b1 * ir - a1 * yr + r2;
            l2 = b2 * il - a2 * yl;
            r2 = b2 * ir - a2 * yr;
            *xl = yl as f32;
            *xr = yr as f32;
        }
        self.s1 = l1;
        self.s2 = l2;
        other.s1 = r1;
        other.s2 = r2;
    }

    /// Flushes tiny state values to zero (and non-finite ones, defensively), so the state does
    /// not linger in the denormal range. (Between two flushes — 32 samples per band, or one
    /// block in the EQ's fast path — a state decaying through digital silence can still pass
    /// through it briefly on its way to zero.)
    ///
    /// The threshold ([`STATE_FLUSH_BELOW`], far below anything `f32` can show) makes the flush
    /// inaudible *and* invisible: a state that small could change an `f32` output only if that
    /// output's exact value lay within 1e−150 of an `f32` rounding midpoint, so when the flush
    /// happens does not matter in practice — block-wise fast paths may flush at the end of a
    /// block and still produce the same samples as per-sample processing.
    #[inline]
    pub fn flush_denormals(&mut self) {
        let flush = |x: f64| if x.abs() < STATE_FLUSH_BELOW { 0.0 } else { x };
        self.s1 = flush(self.s1);
        self.s2 = flush(self.s2);
        if !(self.s1.is_finite() && self.s2.is_finite()) {
            self.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_flat() {
        for f in [10.0, 1000.0, 23_000.0] {
            assert!(BiquadCoefs::IDENTITY.magnitude_db(f, 48_000.0).abs() < 1e-12);
        }
    }

    #[test]
    fn response_matches_impulse_response_dft() {
        let c = BiquadCoefs {
            b0: 0.3,
            b1: -0.2,
            b2: 0.1,
            a1: -0.9,
            a2: 0.4,
        };
        assert!(c.is_stable());
        let mut st = BiquadState::default();
        let h: Vec<f64> = (0..400)
            .map(|n| st.tick(&c, if n == 0 { 1.0 } else { 0.0 }))
            .collect();
        for w in [0.1, 1.0, 2.5] {
            let mut acc = Complex::default();
            for (n, v) in h.iter().enumerate() {
                let (s, co) = (w * n as f64).sin_cos();
                acc.re += v * co;
                acc.im -= v * s;
            }
            let r = c.response_at_omega(w);
            assert!(
                (acc.re - r.re).abs() < 1e-9 && (acc.im - r.im).abs() < 1e-9,
                "{w}"
            );
        }
    }

    #[test]
    fn stereo_block_equals_two_mono_blocks() {
        let c = BiquadCoefs {
            b0: 0.7,
            b1: -0.3,
            b2: 0.2,
            a1: -1.5,
            a2: 0.6,
        };
        let l: Vec<f32> = (0..257)
            .map(|i| ((i * 7919) % 23) as f32 / 11.0 - 1.0)
            .collect();
        let r: Vec<f32> = (0..257)
            .map(|i| ((i * 104_729) % 31) as f32 / 15.0 - 1.0)
            .collect();
        let (mut a, mut b) = (BiquadState::default(), BiquadState::default());
        let (mut ml, mut mr) = (l.clone(), r.clone());
        a.process_block(&c, &mut ml);
        b.process_block(&c, &mut mr);
        let (mut sa, mut sb) = (BiquadState::default(), BiquadState::default());
        let (mut sl, mut sr) = (l, r);
        sa.process_block_stereo(&mut sb, &c, &mut sl, &mut sr);
        assert_eq!(ml, sl);
        assert_eq!(mr, sr);
        assert_eq!((a, b), (sa, sb));
    }

    #[test]
    fn block_equals_tick() {
        let c = BiquadCoefs {
            b0: 0.5,
            b1: 0.1,
            b2: -0.2,
            a1: -1.2,
            a2: 0.5,
        };
        let input: Vec<f32> = (0..100)
            .map(|i| ((i * 7919) % 23) as f32 / 11.0 - 1.0)
            .collect();
        let mut a = BiquadState::default();
        let mut b = BiquadState::default();
        let mut buf = input.clone();
        a.process_block(&c, &mut buf);
        for (x, y) in input.iter().zip(&buf) {
            assert_eq!(b.tick(&c, *x as f64) as f32, *y);
        }
    }

    #[test]
    fn stability_check() {
        assert!(!BiquadCoefs {
            a1: 0.0,
            a2: 1.0,
            ..BiquadCoefs::IDENTITY
        }
        .is_stable());
        assert!(!BiquadCoefs {
            a1: -2.1,
            a2: 0.9,
            ..BiquadCoefs::IDENTITY
        }
        .is_stable());
        assert!(!BiquadCoefs {
            b0: f64::NAN,
            ..BiquadCoefs::IDENTITY
        }
        .is_stable());
    }
}
