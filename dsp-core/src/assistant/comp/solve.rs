//! The proposal's solve stage: the threshold that gives the target average gain reduction on
//! the excerpt, and the makeup that keeps the loudness (both simulated with the real chain).

use super::analysis::CompAnalysisResult;
use super::simulate::{
    average_gain_reduction, average_gain_reduction_and_loudness, integrated_lufs,
};
use super::suggest::round_to;
use crate::chains::comp::CompSettings;

/// What the solve found (the threshold and makeup are written into the settings).
pub(super) struct Solved {
    /// True when the bisection found the target (not held at a limit).
    pub solved: bool,
    /// " (held at the … limit)" when the threshold was.
    pub threshold_clamp: Option<&'static str>,
    /// The simulated average gain reduction, dB.
    pub predicted_gr: Option<f32>,
    /// Input loudness of the simulated audio, LUFS.
    pub in_lufs: Option<f32>,
    /// Output loudness without makeup, LUFS.
    pub out_before: Option<f32>,
    /// Output loudness with the makeup, LUFS.
    pub out_lufs: Option<f32>,
}

/// The first step (dB) when bracketing the threshold from its estimate; each further step
/// doubles.
const BRACKET_STEP_DB: f32 = 3.0;
/// The solve stops when the threshold is known to this (dB), or when
const THRESHOLD_TOL_DB: f32 = 0.005;
/// the simulated gain reduction is this close to the target (dB).
const GR_TOL_DB: f32 = 0.002;

/// The threshold (dBFS) a static curve would need for `target` dB of gain reduction on the
/// loud 50 ms level of the statistics: where the solve starts looking.
fn estimate_threshold(analysis: &CompAnalysisResult, s: &CompSettings, target: f32) -> f32 {
    let loud = analysis.rms_50ms.p90.unwrap_or(-20.0);
    let r = s.effective_ratio();
    let slope = if r.is_finite() { 1.0 - 1.0 / r } else { 1.0 };
    loud - target / slope.max(0.05)
}

/// The root of the decreasing `f` between `lo` (f ≥ 0 there) and `hi` (f < 0), each given
/// with its value: regula falsi with the Illinois modification (the end that stays has its
/// value halved, so a curved or flat side does not stall it). Converges in a handful of
/// simulations where bisection took 13.
fn illinois(mut f: impl FnMut(f32) -> f32, lo: (f32, f32), hi: (f32, f32)) -> f32 {
    let ((mut a, mut fa), (mut b, mut fb)) = (lo, hi);
    let mut kept = 0i8;
    for _ in 0..40 {
        if b - a <= THRESHOLD_TOL_DB {
            break;
        }
        let mut c = a + (b - a) * fa / (fa - fb);
        if !(c > a && c < b) {
            c = 0.5 * (a + b);
        }
        let fc = f(c);
        if fc.abs() <= GR_TOL_DB {
            return c;
        }
        if fc >= 0.0 {
            (a, fa) = (c, fc);
            if kept == 1 {
                fb *= 0.5;
            }
            kept = 1;
        } else {
            (b, fb) = (c, fc);
            if kept == -1 {
                fa *= 0.5;
            }
            kept = -1;
        }
    }
    0.5 * (a + b)
}

/// Solves the threshold (bracketed from the statistics' estimate, then regula falsi) and the
/// makeup (measured, two passes) of `s` for `target` dB on `audio` (the excerpt; empty when
/// none was kept: then estimated from the level statistics, with a warning). Warnings go to
/// `warnings`.
pub(super) fn solve(
    analysis: &CompAnalysisResult,
    audio: &[&[f32]],
    have_audio: bool,
    s: &mut CompSettings,
    target: f32,
    warnings: &mut Vec<String>,
) -> Solved {
    let sr = analysis.sample_rate_hz;
    let mut solved = false;
    let mut threshold_clamp = None;
    let mut predicted_gr = None;
    let mut makeup = 0.0f32;
    let mut out_lufs = None;
    let mut out_before = None;
    let in_lufs = if have_audio {
        integrated_lufs(audio, sr)
    } else {
        analysis.integrated_lufs
    };
    if have_audio {
        let gr_at = |t: f32, s: &CompSettings| -> f32 {
            let st = CompSettings {
                threshold_db: t,
                ..*s
            };
            average_gain_reduction(&st, audio, sr, false)
                .map(|r| r.average_db)
                .unwrap_or(0.0)
        };
        let (min_t, max_t) = (crate::chains::comp::MIN_THRESHOLD_DB, 0.0f32);
        // Bracket the threshold from the level statistics' estimate, in growing steps, so
        // the limits are simulated only when the answer lies there.
        let estimate = estimate_threshold(analysis, s, target);
        let mut t = if estimate.is_finite() {
            estimate.clamp(min_t, max_t)
        } else {
            -20.0
        };
        let mut g = gr_at(t, s);
        let mut step = BRACKET_STEP_DB;
        let (mut lo, mut g_lo, mut hi, mut g_hi) = (t, g, t, g);
        if g >= target {
            while g >= target && t < max_t {
                (lo, g_lo) = (t, g);
                t = (t + step).min(max_t);
                g = gr_at(t, s);
                (hi, g_hi) = (t, g);
                step *= 2.0;
            }
        } else {
            while g < target && t > min_t {
                (hi, g_hi) = (t, g);
                t = (t - step).max(min_t);
                g = gr_at(t, s);
                (lo, g_lo) = (t, g);
                step *= 2.0;
            }
        }
        let t = if g_hi >= target {
            if target > 0.05 {
                warnings.push(format!(
                "The material is so hot that even a 0 dBFS threshold gives {g_hi:.1} dB of average gain reduction."
            ));
            }
            predicted_gr = Some(g_hi);
            threshold_clamp = Some(" (held at the 0 dBFS limit)");
            hi
        } else if g_lo < target {
            warnings.push(format!(
                "The material is too quiet to reach {target:.1} dB of average gain reduction: at the lowest threshold (−60 dBFS) it gets {g_lo:.1} dB."
            ));
            predicted_gr = Some(g_lo);
            threshold_clamp = Some(" (held at the −60 dBFS limit)");
            lo
        } else {
            solved = true;
            illinois(
                |t| gr_at(t, s) - target,
                (lo, g_lo - target),
                (hi, g_hi - target),
            )
        };
        s.threshold_db = round_to(t, 0.01);
        // Makeup: measure the output loudness and correct (a second pass for mixes below
        // 100 %, where the makeup is not a pure gain shift of the output).
        for pass in 0..2 {
            let st = CompSettings {
                makeup_db: makeup,
                ..*s
            };
            let Ok((rep, o)) = average_gain_reduction_and_loudness(&st, audio, sr) else {
                break;
            };
            predicted_gr = Some(rep.average_db);
            if pass == 0 {
                out_before = o;
            }
            out_lufs = o;
            match (in_lufs, o) {
                (Some(i), Some(o)) => {
                    let d = i - o;
                    if d.abs() < 0.05 {
                        break;
                    }
                    makeup = (makeup + d).clamp(-24.0, 24.0);
                    // At 100 % mix the makeup shifts the output loudness exactly.
                    out_lufs = Some(o + d);
                }
                _ => break,
            }
        }
    } else {
        // No audio kept (e.g. a deserialised analysis): estimate from the level statistics.
        s.threshold_db = round_to(estimate_threshold(analysis, s, target), 0.1).clamp(-60.0, 0.0);
        makeup = target * 0.7;
        warnings.push(
            "No audio was kept with this analysis: the threshold is estimated from the level statistics, not simulated.".into(),
        );
    }
    makeup = round_to(makeup, 0.1).clamp(-24.0, 24.0);
    s.makeup_db = makeup;
    Solved {
        solved,
        threshold_clamp,
        predicted_gr,
        in_lufs,
        out_before,
        out_lufs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root of smooth, curved and flat-sided decreasing functions, to the tolerance, in few
    /// evaluations.
    #[test]
    fn illinois_finds_the_root_of_decreasing_curves_quickly() {
        // Smooth curves, as an average gain reduction over many frames is (a kink right at
        // the root would make regula falsi as slow as bisection).
        type Case = (fn(f32) -> f32, f32);
        let cases: [Case; 3] = [
            // A straight line, root at −17.
            (|t| -(t + 17.0), -17.0),
            // A soft knee: no gain reduction well above −10 dBFS, 1 dB more per dB lower well
            // below it; target 3 dB.
            (
                |t| 2.0 * (1.0 + ((-10.0 - t) / 2.0).exp()).ln() - 3.0,
                -10.0 - 2.0 * (1.5f32.exp() - 1.0).ln(),
            ),
            // Convex: growing with the square of the distance below +10 dBFS; target 3 dB.
            (
                |t| 0.02 * (t - 10.0) * (t - 10.0) - 3.0,
                10.0 - 150f32.sqrt(),
            ),
        ];
        for (f, root) in cases {
            // The whole range (bisection took 13 there), and a 3 dB bracket around the root
            // as the solve's bracketing from its estimate gives.
            for ((lo, hi), most) in [((-60.0f32, 0.0f32), 13), ((root - 2.0, root + 1.0), 6)] {
                let mut calls = 0;
                let mut g = |t: f32| {
                    calls += 1;
                    f(t)
                };
                let t = illinois(&mut g, (lo, f(lo)), (hi, f(hi)));
                // The contract: the threshold to the tolerance, or the gain reduction.
                assert!(
                    (t - root).abs() < 0.01 || f(t).abs() <= GR_TOL_DB,
                    "{t} vs {root}"
                );
                assert!(
                    calls <= most,
                    "{calls} evaluations for the root at {root} in {lo}..{hi}"
                );
            }
        }
    }
}
