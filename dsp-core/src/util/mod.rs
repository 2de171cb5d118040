//! Small helpers every processor uses: level conversions, denormals, parameter smoothing; and
//! [`Packed`] audio for the analysis threads.

mod fastmath;
mod packed;
pub(crate) mod poly64;
mod smoother;
pub use fastmath::{fast_db_to_gain, fast_power_to_db};
pub use packed::Packed;
pub use smoother::LinearSmoother;

/// The quietest level any conversion returns, in dB. Stands in for −∞ so arithmetic stays finite.
pub const MIN_DB: f32 = -200.0;

/// Converts decibels to linear gain. −∞/NaN give 0.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    if db.is_nan() || db <= MIN_DB {
        0.0
    } else {
        10f32.powf(db * 0.05)
    }
}

/// Converts linear gain (amplitude) to decibels, floored at [`MIN_DB`].
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    let g = gain.abs();
    if g.is_nan() || g <= 1e-10 {
        MIN_DB
    } else {
        20.0 * g.log10()
    }
}

/// Converts a power (mean square) to decibels, floored at [`MIN_DB`].
#[inline]
pub fn power_to_db(power: f32) -> f32 {
    if power.is_nan() || power <= 1e-20 {
        MIN_DB
    } else {
        10.0 * power.log10()
    }
}

/// `f64` version of [`db_to_gain`].
#[inline]
pub fn db_to_gain_f64(db: f64) -> f64 {
    if db.is_nan() || db <= MIN_DB as f64 {
        0.0
    } else {
        10f64.powf(db * 0.05)
    }
}

/// `f64` version of [`gain_to_db`].
#[inline]
pub fn gain_to_db_f64(gain: f64) -> f64 {
    let g = gain.abs();
    if g.is_nan() || g <= 1e-10 {
        MIN_DB as f64
    } else {
        20.0 * g.log10()
    }
}

/// Below this magnitude a value in a recursive state is treated as a denormal and flushed.
pub const DENORMAL_THRESHOLD: f32 = 1e-20;

/// Flushes tiny values (denormal candidates) to zero. Used on recursive filter state, the one
/// place denormals build up, so no CPU flag needs to be touched.
#[inline(always)]
pub fn flush_denormal(x: f32) -> f32 {
    if x.abs() < DENORMAL_THRESHOLD {
        0.0
    } else {
        x
    }
}

/// `f64` version of [`flush_denormal`].
#[inline(always)]
pub fn flush_denormal_f64(x: f64) -> f64 {
    if x.abs() < 1e-30 {
        0.0
    } else {
        x
    }
}

/// Replaces NaN and ±Inf with 0.0. Returns the cleaned value.
#[inline(always)]
pub fn sanitize(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// Sets every subnormal sample (and −0) to +0, so nothing downstream of a plugin computes on
/// denormals. Real-time safe; vectorises.
#[inline]
pub fn flush_subnormals(xs: &mut [f32]) {
    // A select, not a branch: the loop vectorises.
    for x in xs {
        *x = if x.abs() < f32::MIN_POSITIVE { 0.0 } else { *x };
    }
}

/// The largest magnitude among the finite samples of `xs` (0 when there is none). Eight
/// running maxima and a select instead of a filter, so the loop vectorises; the result is the
/// same as folding `f32::max` over the finite magnitudes.
#[inline]
pub fn finite_abs_max(xs: &[f32]) -> f32 {
    #[inline(always)]
    fn step(acc: f32, x: f32) -> f32 {
        // NaN and ±Inf fail `< INFINITY` and count as 0.
        let v = x.abs();
        let v = if v < f32::INFINITY { v } else { 0.0 };
        if v > acc {
            v
        } else {
            acc
        }
    }
    let (chunks, rest) = xs.as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for c in chunks {
        for k in 0..8 {
            acc[k] = step(acc[k], c[k]);
        }
    }
    acc.into_iter().chain(rest.iter().copied()).fold(0.0, step)
}

/// [`flush_subnormals`] and then [`finite_abs_max`] of the result, in one pass over `xs` (for a
/// plugin's block, which meters what it flushes). The same values as the two calls.
#[inline]
pub fn flush_subnormals_abs_max(xs: &mut [f32]) -> f32 {
    /// One sample: flushed, and the magnitude it counts with (0 for NaN and ±∞, which fail
    /// `< ∞`). Selects only, so the loop over lanes vectorises.
    #[inline(always)]
    fn step(x: f32) -> (f32, f32) {
        let flushed = if x.abs() < f32::MIN_POSITIVE { 0.0 } else { x };
        let v = flushed.abs();
        (flushed, if v < f32::INFINITY { v } else { 0.0 })
    }
    let (chunks, rest) = xs.as_chunks_mut::<8>();
    let mut acc = [0.0f32; 8];
    for c in chunks {
        for k in 0..8 {
            let (x, m) = step(c[k]);
            c[k] = x;
            acc[k] = if m > acc[k] { m } else { acc[k] };
        }
    }
    let mut peak = 0.0f32;
    for m in acc {
        peak = if m > peak { m } else { peak };
    }
    for x in rest {
        let m;
        (*x, m) = step(*x);
        peak = if m > peak { m } else { peak };
    }
    peak
}

/// True when every sample is finite.
#[inline]
pub fn all_finite(xs: &[f32]) -> bool {
    xs.iter().all(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_abs_max_is_the_fold_over_finite_magnitudes() {
        let reference = |xs: &[f32]| {
            xs.iter()
                .filter(|x| x.is_finite())
                .fold(0.0f32, |m, x| m.max(x.abs()))
        };
        let mut seed = 1u32;
        for len in [0usize, 1, 7, 8, 9, 31, 64, 100, 1023] {
            let mut xs: Vec<f32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed as f32 / u32::MAX as f32 - 0.5) * 4.0
                })
                .collect();
            assert_eq!(finite_abs_max(&xs), reference(&xs), "len {len}");
            // Non-finite samples anywhere, the largest magnitude in the tail or a chunk.
            for (k, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -7.5, 1e-40]
                .into_iter()
                .enumerate()
            {
                if len > k * 3 {
                    xs[k * 3] = bad;
                }
            }
            assert_eq!(
                finite_abs_max(&xs),
                reference(&xs),
                "len {len} with specials"
            );
        }
        assert_eq!(finite_abs_max(&[f32::NAN, f32::INFINITY]), 0.0);
        assert_eq!(finite_abs_max(&[-0.0]), 0.0);
    }

    /// The fused pass gives what the two passes give, samples and peak, bit for bit, on every
    /// kind of sample (subnormals, ±0, NaN, ±∞, the largest finite) at lengths around its
    /// lanes.
    #[test]
    fn flush_subnormals_abs_max_is_the_flush_then_the_peak() {
        let specials = [
            f32::MIN_POSITIVE / 3.0,
            -f32::MIN_POSITIVE / 7.0,
            -0.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            -f32::MIN_POSITIVE,
        ];
        let mut seed = 7u32;
        for len in [0usize, 1, 7, 8, 9, 17, 64, 100, 1023] {
            for special_every in [0usize, 1, 3, 11] {
                let xs: Vec<f32> = (0..len)
                    .map(|i| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        if special_every > 0 && i % special_every == 0 {
                            specials[(seed >> 8) as usize % specials.len()]
                        } else {
                            (seed as f32 / u32::MAX as f32 - 0.5) * 4.0
                        }
                    })
                    .collect();
                let mut two = xs.clone();
                flush_subnormals(&mut two);
                let want = finite_abs_max(&two);
                let mut one = xs.clone();
                let got = flush_subnormals_abs_max(&mut one);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&one), bits(&two), "len {len}, every {special_every}");
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "len {len}, every {special_every}"
                );
            }
        }
    }

    #[test]
    fn flush_subnormals_zeroes_only_subnormals() {
        let mut x = [1e-40f32, -1e-39, f32::MIN_POSITIVE, -0.5, 0.0, -0.0, 1.0];
        flush_subnormals(&mut x);
        assert_eq!(x, [0.0, 0.0, f32::MIN_POSITIVE, -0.5, 0.0, 0.0, 1.0]);
        assert!(x.iter().all(|v| !v.is_subnormal()));
    }

    #[test]
    fn db_gain_round_trip() {
        for db in [-120.0f32, -60.0, -6.0206, 0.0, 6.0206, 24.0] {
            let g = db_to_gain(db);
            assert!((gain_to_db(g) - db).abs() < 1e-3, "{db}");
        }
        assert!((db_to_gain(-6.0206) - 0.5).abs() < 1e-4);
        assert_eq!(db_to_gain(f32::NEG_INFINITY), 0.0);
        assert_eq!(db_to_gain(f32::NAN), 0.0);
        assert_eq!(gain_to_db(0.0), MIN_DB);
        assert_eq!(gain_to_db(f32::NAN), MIN_DB);
    }

    #[test]
    fn flush_and_sanitize() {
        assert_eq!(flush_denormal(1e-30), 0.0);
        assert_eq!(flush_denormal(0.5), 0.5);
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::INFINITY), 0.0);
        assert_eq!(sanitize(-0.25), -0.25);
    }
}
