//! Branch-free `f64` `exp`, `expm1`, `exp2` and `sin`/`cos` for filter design in vector lanes:
//! the gliding EQ bells redesign every control period, eight at a time
//! ([`crate::filters::design`]), and libm's functions are calls the compiler cannot vectorise.
//! Plain arithmetic on the float's bits and Taylor polynomials (no fused multiply-add), so a
//! loop over lanes compiles to vector code and every lane gives the same bits as a scalar call.
//!
//! Accuracy (tested against libm): within 4 units in the last place over the documented
//! domains, which are what the bell design needs (not general-purpose replacements).

/// 1.5·2⁵²: adding and subtracting it rounds an `f64` below 2⁵¹ in magnitude to an integer
/// (ties to even).
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;
/// ln 2 in two parts: the first has 11 trailing zero bits, so `k·LN2_HI` is exact for
/// |k| < 2¹¹.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `x` rounded to the nearest integer (ties to even), for |x| < 2⁵¹.
#[inline(always)]
fn round_int(x: f64) -> f64 {
    (x + ROUND_MAGIC) - ROUND_MAGIC
}

/// 2^k for an integer-valued `k` in −1022…1023, built from its bits.
#[inline(always)]
fn pow2_int(k: f64) -> f64 {
    // 2⁵² + 1023 + k holds 1023 + k in its low mantissa bits; shifted up by 52 they become the
    // exponent field (sign 0).
    let t = k + (4_503_599_627_370_496.0 + 1023.0);
    f64::from_bits(t.to_bits() << 52)
}

/// `c[0] + c[1]·x + c[2]·x² + …` by Estrin's scheme: pairs of terms first, then pairs of
/// pairs with x², x⁴, …, so the chain of dependent operations is logarithmic in the degree
/// (the design these serve is latency-bound; Horner's rule would make it linear).
#[inline(always)]
fn estrin<const N: usize>(x: f64, c: &[f64; N]) -> f64 {
    let mut v = *c;
    let mut len = N;
    let mut p = x;
    while len > 1 {
        let half = len.div_ceil(2);
        for i in 0..half {
            v[i] = if 2 * i + 1 < len {
                v[2 * i] + v[2 * i + 1] * p
            } else {
                v[2 * i]
            };
        }
        len = half;
        p = p * p;
    }
    v[0]
}

/// e^r − 1 for |r| ≤ ½·ln 2 (Taylor series to r¹³; the first omitted term is below 2e−17 of
/// the result).
#[inline(always)]
fn expm1_reduced(r: f64) -> f64 {
    const C: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    r + r * (r * estrin(r, &C))
}

/// `(e^x, e^x − 1)` for x in −700…700, `e^x − 1` accurate relative to itself near 0.
#[inline(always)]
pub fn exp_expm1(x: f64) -> (f64, f64) {
    let k = round_int(x * std::f64::consts::LOG2_E);
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let e = expm1_reduced(r);
    let s = pow2_int(k);
    (s + s * e, (s - 1.0) + s * e)
}

/// 2^y for y in −1000…1000.
#[inline(always)]
pub fn exp2(y: f64) -> f64 {
    let k = round_int(y);
    // Exact: y and k are within ½ of each other.
    let f = y - k;
    let s = pow2_int(k);
    s + s * expm1_reduced(f * std::f64::consts::LN_2)
}

/// `(sin x, cos x)` for x in 0…π/2 (Taylor series to x²¹ and x²²; the first omitted terms are
/// below 2e−18 there).
#[inline(always)]
pub fn sin_cos_quadrant(x: f64) -> (f64, f64) {
    // (−1)ᵏ/(2k+1)! and (−1)ᵏ/(2k)!, k = 1…
    const S: [f64; 10] = [
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5_040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
        1.0 / 6_227_020_800.0,
        -1.0 / 1_307_674_368_000.0,
        1.0 / 355_687_428_096_000.0,
        -1.0 / 121_645_100_408_832_000.0,
        1.0 / 51_090_942_171_709_440_000.0,
    ];
    const C: [f64; 11] = [
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 20_922_789_888_000.0,
        -1.0 / 6_402_373_705_728_000.0,
        1.0 / 2_432_902_008_176_640_000.0,
        -1.0 / 1_124_000_727_777_607_680_000.0,
    ];
    let x2 = x * x;
    (x + x * (x2 * estrin(x2, &S)), 1.0 + x2 * estrin(x2, &C))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error in units of the last place of `want` (its spacing at `want`'s magnitude).
    fn ulps(got: f64, want: f64) -> f64 {
        let spacing = f64::from_bits(want.abs().to_bits() + 1) - want.abs();
        (got - want).abs() / spacing
    }

    #[test]
    fn exp_and_expm1_match_libm() {
        let mut worst = (0.0f64, 0.0f64);
        let mut x = -700.0;
        while x < 700.0 {
            let (e, em1) = exp_expm1(x);
            worst.0 = worst.0.max(ulps(e, x.exp()));
            worst.1 = worst.1.max(ulps(em1, x.exp_m1()));
            x += 0.000_731 * (1.0 + x.abs());
        }
        // Near 0, where expm1 matters.
        let mut x = 1e-300;
        while x < 1.0 {
            for x in [x, -x] {
                let (e, em1) = exp_expm1(x);
                worst.0 = worst.0.max(ulps(e, x.exp()));
                worst.1 = worst.1.max(ulps(em1, x.exp_m1()));
            }
            x *= 1.37;
        }
        assert!(worst.0 <= 4.0 && worst.1 <= 4.0, "worst ulps {worst:?}");
        assert_eq!(exp_expm1(0.0), (1.0, 0.0));
    }

    #[test]
    fn exp2_matches_libm() {
        let mut worst = 0.0f64;
        let mut y = -1000.0;
        while y < 1000.0 {
            worst = worst.max(ulps(exp2(y), y.exp2()));
            y += 0.000_917 * (1.0 + y.abs());
        }
        assert!(worst <= 4.0, "worst ulps {worst}");
        for k in -1022..=1000 {
            assert_eq!(exp2(k as f64), (k as f64).exp2(), "2^{k}");
        }
    }

    #[test]
    fn sin_cos_match_libm_in_the_first_quadrant() {
        let (mut worst_s, mut worst_c) = (0.0f64, 0.0f64);
        let mut x = 1e-300;
        while x < std::f64::consts::FRAC_PI_2 {
            let (s, c) = sin_cos_quadrant(x);
            worst_s = worst_s.max(ulps(s, x.sin()));
            // Near π/2 the cosine is small: its error is measured against 1 there.
            let cos = x.cos();
            worst_c = worst_c.max(ulps(c, cos).min(ulps(c - cos + 1.0, 1.0)));
            x = if x < 1e-3 { x * 1.37 } else { x + 0.000_173 };
        }
        assert!(
            worst_s <= 4.0 && worst_c <= 4.0,
            "worst ulps {worst_s}, {worst_c}"
        );
        assert_eq!(sin_cos_quadrant(0.0), (0.0, 1.0));
    }
}
