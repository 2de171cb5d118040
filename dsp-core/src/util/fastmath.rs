//! Branch-free `f32` decibel conversions for per-sample loops (the compressor's level → dB and
//! gain → linear at every sample). Plain arithmetic on the float's bits and short polynomials,
//! so the compiler vectorises loops over them; libm's `log10f`/`powf` are calls it cannot.
//!
//! Accuracy (tested against `f64` libm over the whole range): [`fast_power_to_db`] within
//! 1e−5 dB plus the result's own `f32` rounding (1e−7 of it), [`fast_db_to_gain`] within 1e−6
//! relative plus 1e−8 per dB (the rounding of its `f32` argument) — 1e−5 dB at ±60 dB. Edge
//! cases behave like [`super::gain_to_db`] / [`super::db_to_gain`]: powers ≤ 1e−20 (an
//! amplitude of 1e−10) and NaN give [`MIN_DB`], dB ≤ [`MIN_DB`] (and NaN) give 0.

use super::MIN_DB;

/// 20·log10(2): dB per octave of amplitude.
const DB_PER_LOG2: f32 = 6.020_6;
/// log2(10)/20: log2 of the amplitude per dB.
const LOG2_PER_DB: f32 = 0.166_096_4;

/// log2 of a positive, normal `x` (relative error ≈ 1e−8 of the result's scale).
#[inline(always)]
fn log2_normal(x: f32) -> f32 {
    let bits = x.to_bits();
    // Split x = m · 2^e with m in [√½, √2), so the series argument stays small.
    let adj = bits.wrapping_sub(0x3f35_04f3); // bits of √½
    let e = (adj as i32) >> 23;
    let m = f32::from_bits(bits.wrapping_sub((e as u32) << 23));
    // ln(m) = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.1716.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = t * (2.0 + t2 * (2.0 / 3.0 + t2 * (0.4 + t2 * (2.0 / 7.0 + t2 * (2.0 / 9.0)))));
    e as f32 + series * std::f32::consts::LOG2_E
}

/// 2^y for finite y in [−126, 127] (relative error ≈ 2e−7).
#[inline(always)]
fn exp2_in_range(y: f32) -> f32 {
    debug_assert!((-126.0..=127.0).contains(&y));
    // floor(y) without libm's floorf (no SSE4.1 in the x86-64 baseline): truncate, then step
    // down for negative non-integers.
    // SAFETY: y is finite and within i32 range (callers clamp it), so the truncation is
    // defined; unlike `as`, it compiles to a plain (vectorisable) conversion.
    let t: i32 = unsafe { y.to_int_unchecked() };
    let e = t - ((t as f32) > y) as i32;
    let f = y - e as f32; // [0, 1)
                          // 2^f on [0, 1): the Taylor series of e^(f·ln2) to degree 7.
    const L: f32 = std::f32::consts::LN_2;
    let p = 1.0
        + f * (L + f
            * (L * L / 2.0
                + f * (L * L * L / 6.0
                    + f * (L * L * L * L / 24.0
                        + f * (L * L * L * L * L / 120.0
                            + f * (L * L * L * L * L * L / 720.0
                                + f * (L * L * L * L * L * L * L / 5040.0)))))));
    f32::from_bits(p.to_bits().wrapping_add((e << 23) as u32))
}

/// Linear power (squared amplitude) to dB: `10·log10(p)`, [`MIN_DB`] for powers ≤ 1e−20 (an
/// amplitude of 1e−10) and NaN.
#[inline(always)]
pub fn fast_power_to_db(power: f32) -> f32 {
    let db = 0.5 * DB_PER_LOG2 * log2_normal(power.clamp(1e-20, 1e38));
    if power > 1e-20 {
        db
    } else {
        MIN_DB
    }
}

/// dB to linear amplitude, like [`super::db_to_gain`] (0 at or below [`MIN_DB`] and for NaN).
#[inline(always)]
pub fn fast_db_to_gain(db: f32) -> f32 {
    // NaN fails the comparison and becomes MIN_DB, so the argument is always finite.
    let d = if db > MIN_DB { db } else { MIN_DB };
    let g = exp2_in_range((d * LOG2_PER_DB).min(127.0));
    if db > MIN_DB {
        g
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_to_db_matches_libm() {
        let mut p = 1.001e-20f64;
        while p < 1e30 {
            let exact = 10.0 * p.log10();
            let got = fast_power_to_db(p as f32) as f64;
            assert!(
                (got - exact).abs() < 1e-5 + 1e-7 * exact.abs(),
                "{p}: {got} vs {exact}"
            );
            p *= 1.013;
        }
        assert_eq!(fast_power_to_db(1e-21), MIN_DB);
        assert_eq!(fast_power_to_db(0.0), MIN_DB);
        assert_eq!(fast_power_to_db(f32::NAN), MIN_DB);
        assert!(fast_power_to_db(f32::INFINITY).is_finite());
    }

    #[test]
    fn db_to_gain_matches_libm() {
        let mut worst = 0.0f64;
        let mut db = -199.99f64;
        while db < 300.0 {
            let exact = 10f64.powf(db / 20.0);
            let got = fast_db_to_gain(db as f32) as f64;
            // f32 rounding of dB · log2(10)/20 costs up to 1e−8 relative per dB.
            worst = worst.max((got / exact - 1.0).abs() - 1e-8 * db.abs());
            db += 0.0173;
        }
        assert!(
            worst < 1e-6,
            "worst relative error {worst} (beyond 1e-8 per dB)"
        );
        assert_eq!(fast_db_to_gain(MIN_DB), 0.0);
        assert_eq!(fast_db_to_gain(-300.0), 0.0);
        assert_eq!(fast_db_to_gain(f32::NAN), 0.0);
        assert_eq!(fast_db_to_gain(0.0), 1.0);
        assert!(fast_db_to_gain(f32::INFINITY).is_finite());
    }
}
