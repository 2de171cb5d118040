//! The proposal's solve stage: the threshold that gives the target average gain reduction on
//! the excerpt, and the makeup that keeps the loudness (both simulated with the real chain).

use super::analysis::CompAnalysisResult;
use super::simulate::{average_gain_reduction, integrated_lufs};
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

/// Solves the threshold (bisection, 13 steps) and the makeup (measured, two passes) of `s` for
/// `target` dB on `audio` (the excerpt; empty when none was kept: then estimated from the level
/// statistics, with a warning). Warnings go to `warnings`.
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
        let (mut lo, mut hi) = (crate::chains::comp::MIN_THRESHOLD_DB, 0.0f32);
        let g_lo = gr_at(lo, s);
        let g_hi = gr_at(hi, s);
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
            for _ in 0..13 {
                let mid = 0.5 * (lo + hi);
                if gr_at(mid, s) >= target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            solved = true;
            // lo gives at least the target; take the midpoint of the final bracket.
            0.5 * (lo + hi)
        };
        s.threshold_db = round_to(t, 0.01);
        // Makeup: measure the output loudness and correct (a second pass for mixes below
        // 100 %, where the makeup is not a pure gain shift of the output).
        for pass in 0..2 {
            let st = CompSettings {
                makeup_db: makeup,
                ..*s
            };
            let Ok(rep) = average_gain_reduction(&st, audio, sr, true) else {
                break;
            };
            predicted_gr = Some(rep.average_db);
            let outs: Vec<&[f32]> = rep.output.iter().map(|c| c.as_slice()).collect();
            let o = integrated_lufs(&outs, sr);
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
        let loud = analysis.rms_50ms.p90.unwrap_or(-20.0);
        let r = s.effective_ratio();
        let slope = if r.is_finite() { 1.0 - 1.0 / r } else { 1.0 };
        s.threshold_db = round_to(loud - target / slope.max(0.05), 0.1).clamp(-60.0, 0.0);
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
