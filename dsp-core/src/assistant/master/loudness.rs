//! The proposal's loudness stage: glue when the limiter would work too hard, then the drive
//! (or a lower input) solved for the target on the excerpt, verified on the whole chain, and the
//! ceiling corrected when heavy limiting overshoots it.

use super::analysis::MasterAnalysisResult;
use super::simulate::{limited_loudness, loudness_of, render_pre, solve_drive, Search};
use super::suggest::item;
use super::targets::MasterAssistantOptions;
use super::{LOUDNESS_TOLERANCE_LU, TRUE_PEAK_GUARD_DB};
use crate::assistant::{Suggestion, SuggestionItem};
use crate::chains::master::{MasterChain, MasterSettings};

/// What the loudness stage settled (drive, input gain, glue and ceiling are set in the
/// settings).
pub(super) struct Loudness {
    /// The glue item, when glue was proposed.
    pub glue_item: Option<SuggestionItem>,
    /// Limiter drive, dB.
    pub drive: f32,
    /// Predicted integrated loudness of the whole programme, LUFS.
    pub predicted: f64,
    /// Peak limiting: pre-limiter true peak + drive − ceiling, dB.
    pub peak_limiting: f64,
    /// The excerpt's loudness offset from the whole programme, LU.
    pub offset: f64,
    /// The most limiting before a warning, dB.
    pub max_lim: f32,
}

/// Solves glue, drive and ceiling of `s` for `target_lufs` (measurements and warnings go into
/// `sug`).
#[allow(clippy::too_many_arguments)]
pub(super) fn loudness_stage(
    analysis: &MasterAnalysisResult,
    options: &MasterAssistantOptions,
    settings: &mut MasterSettings,
    target_lufs: f64,
    ceiling: f32,
    cmin: f32,
    evidence: f32,
    sug: &mut Suggestion,
) -> Loudness {
    let sr = analysis.sample_rate_hz;
    let audio = &analysis.audio;
    let integrated = analysis.integrated_lufs.unwrap_or(-200.0);
    let mut s = *settings;
    // Loudness: glue and limiter, simulated. Up to two passes (the second with a negative input
    // gain when the mix is already louder than the target).
    let max_glue = if options.max_glue_gr_db.is_finite() {
        options.max_glue_gr_db.clamp(0.0, 6.0)
    } else {
        2.0
    };
    let max_lim = if options.max_limiting_db.is_finite() {
        options.max_limiting_db.max(0.0)
    } else {
        6.0
    };
    let mut glue_item = None;
    let mut glue_gr = 0.0f32;
    let mut result = (0.0f32, -200.0f64);
    let mut pre_tp = f64::NEG_INFINITY;
    let mut pre_lufs = -200.0;
    let mut pre: Vec<Vec<f32>> = Vec::new();
    // The excerpt stands for the whole programme, but its integrated loudness is not exactly
    // the programme's (gating, the loudest moments): the simulation aims at the target shifted
    // by that measured offset, and its predictions are reported shifted back.
    let excerpt_lufs = loudness_of(audio, sr, false).0.unwrap_or(integrated);
    let offset = (integrated - excerpt_lufs).clamp(-6.0, 6.0);
    sug.measurements
        .insert("excerpt_loudness_offset_lu".into(), offset);
    let sim_target = target_lufs - offset;
    for pass in 0..2 {
        if crate::assistant::cancel::requested() {
            break;
        }
        s.glue_on = false;
        s.lim_drive_db = 0.0;
        let (p0, _) = render_pre(&s, audio, sr);
        let (l0, tp0) = loudness_of(&p0, sr, true);
        let (l0, tp0) = (l0.unwrap_or(-200.0), tp0.unwrap_or(-200.0));
        let needed_peak_gr = (sim_target - l0) - (ceiling as f64 - tp0);
        glue_item = None;
        glue_gr = 0.0;
        pre = p0;
        pre_tp = tp0;
        pre_lufs = l0;
        if max_glue > 0.0 && needed_peak_gr > 3.0 {
            let aim = max_glue.min(1.5);
            let mut g = s;
            g.glue_on = true;
            g.glue_ratio = 2.0;
            g.glue_attack_ms = 30.0;
            g.glue_release_ms = 200.0;
            g.glue_auto_release = true;
            g.glue_makeup_db = 0.0;
            // The threshold for the aimed mean gain reduction, which falls as the threshold
            // rises (at 2:1, by about half a dB per dB where the music is above it); the
            // closest within the limit is kept.
            let mut best: Option<(f32, f32)> = None;
            let mut eval = |thr: f32| {
                g.glue_threshold_db = thr;
                let (_, gr) = render_pre(&g, audio, sr);
                let better = best
                    .as_ref()
                    .is_none_or(|b| (gr - aim).abs() < (b.1 - aim).abs());
                if better && gr <= max_glue {
                    best = Some((thr, gr));
                }
                -gr as f64
            };
            let search = Search {
                range: (-40.0, 0.0),
                first_slope: 0.25,
                tolerance: 0.05,
                min_width: 0.1,
                max_evals: 9,
            };
            search.run(&mut eval, -aim as f64, -20.0);
            if let Some((thr, gr)) = best {
                if gr >= 0.3 {
                    let thr = (thr * 2.0).round() / 2.0;
                    g.glue_threshold_db = thr;
                    g.glue_makeup_db = (gr * 2.0).round() / 2.0;
                    let (p, gr) = render_pre(&g, audio, sr);
                    s = g;
                    glue_gr = gr;
                    let (l1, tp1) = loudness_of(&p, sr, true);
                    pre_lufs = l1.unwrap_or(pre_lufs);
                    pre_tp = tp1.unwrap_or(pre_tp);
                    pre = p;
                    glue_item = Some(item(
                        "glue",
                        format!("Glue: 2:1 at {thr:.1} dBFS"),
                        &[
                            ("glue_on", 1.0),
                            ("glue_threshold", thr),
                            ("glue_ratio", 2.0),
                            ("glue_attack", 30.0),
                            ("glue_release", 200.0),
                            ("glue_auto_release", 1.0),
                            ("glue_makeup", s.glue_makeup_db),
                        ],
                        format!(
                            "Reaching {target_lufs:.1} LUFS from a peak-to-loudness ratio of \
                             {:.1} dB would need {needed_peak_gr:.1} dB of peak limiting; a gentle \
                             2:1 glue averaging {gr:.1} dB of gain reduction (simulated) takes \
                             some of that work off the limiter.",
                            tp0 - l0
                        ),
                        evidence * 0.7,
                    ));
                }
            }
        }
        let mut eval = |d: f32| limited_loudness(&pre, sr, &s, d);
        let l_at_0 = eval(0.0);
        if pass == 0 && l_at_0 > sim_target + LOUDNESS_TOLERANCE_LU {
            // Too loud already: turn the input down and solve again.
            s.in_gain_db = ((sim_target - l_at_0) as f32 - 0.5).clamp(-24.0, 0.0);
            continue;
        }
        let guess = (sim_target - pre_lufs) as f32;
        result = solve_drive(&mut eval, sim_target, guess);
        break;
    }
    let (mut drive, mut predicted) = result;
    s.lim_drive_db = drive;
    // Verify on the whole chain (real settings, latency compensated, true peak measured like
    // any BS.1770 meter) and correct: the level for loudness (the drive, or the input gain when
    // even no drive is too loud), the limiter ceiling when the reconstructed peak of heavy
    // limiting overshoots the target's ceiling.
    let mut predicted_tp = None;
    let mut prev: Option<(f64, f64)> = None;
    for _ in 0..5 {
        if crate::assistant::cancel::requested() {
            break;
        }
        let refs: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
        let Ok(out) = MasterChain::render(&s, &refs, sr) else {
            break;
        };
        let (l, tp) = loudness_of(&out, sr, true);
        predicted = l.unwrap_or(predicted);
        predicted_tp = tp;
        let err = sim_target - predicted;
        let level = (s.in_gain_db.min(0.0) + drive) as f64;
        let loud_ok =
            err.abs() <= 0.1 || (level >= 24.0 && err > 0.0) || (level <= -24.0 && err < 0.0);
        let over = tp.map_or(0.0, |tp| tp - ceiling as f64 + TRUE_PEAK_GUARD_DB);
        let peak_ok = over <= 0.0 || s.lim_ceiling_dbtp <= cmin;
        if loud_ok && peak_ok {
            break;
        }
        if !peak_ok {
            s.lim_ceiling_dbtp = (s.lim_ceiling_dbtp - over as f32 - 0.05).max(cmin);
        }
        if !loud_ok {
            // Loudness per dB of level: 1 below the limiter, less as it works harder.
            let slope = match prev {
                Some((pl, pv)) if (level - pl).abs() > 1e-3 => {
                    ((predicted - pv) / (level - pl)).clamp(0.2, 1.2)
                }
                _ => 1.0,
            };
            prev = Some((level, predicted));
            let new_level = (level + err / slope).clamp(-24.0, 24.0) as f32;
            if new_level < 0.0 {
                s.in_gain_db = (new_level * 100.0).round() / 100.0;
                drive = 0.0;
            } else {
                s.in_gain_db = 0.0;
                drive = new_level;
            }
            s.lim_drive_db = drive;
        }
    }
    let predicted = predicted + offset;
    let drive = (drive * 100.0).round() / 100.0;
    s.lim_drive_db = drive;
    let peak_limiting = (pre_tp + drive as f64 - s.lim_ceiling_dbtp as f64).max(0.0);
    let mm = &mut sug.measurements;
    mm.insert("pre_limiter_lufs".into(), pre_lufs);
    mm.insert("pre_limiter_true_peak_dbtp".into(), pre_tp);
    mm.insert("predicted_lufs".into(), predicted);
    if let Some(tp) = predicted_tp {
        mm.insert("predicted_true_peak_dbtp".into(), tp);
    }
    mm.insert("lim_drive_db".into(), drive as f64);
    mm.insert("limiting_db".into(), peak_limiting);
    mm.insert("glue_gr_db".into(), glue_gr as f64);
    if (predicted - target_lufs).abs() > LOUDNESS_TOLERANCE_LU + 0.1 {
        sug.warnings.push(format!(
            "{target_lufs:.1} LUFS is out of reach within the limiter's 24 dB of drive; the \
             simulation predicts {predicted:.1} LUFS."
        ));
    }
    if peak_limiting > max_lim as f64 {
        let d_s = ((s.lim_ceiling_dbtp as f64 + max_lim as f64 - pre_tp) as f32).clamp(0.0, 24.0);
        let l_s = limited_loudness(&pre, sr, &s, d_s) + offset;
        let sensible = (l_s * 2.0).floor() / 2.0;
        sug.measurements
            .insert("sensible_target_lufs".into(), sensible);
        sug.warnings.push(format!(
            "{target_lufs:.1} LUFS needs {peak_limiting:.1} dB of limiting (more than \
             {max_lim:.1} dB); {sensible:.1} LUFS keeps the transients."
        ));
    }

    *settings = s;
    Loudness {
        glue_item,
        drive,
        predicted,
        peak_limiting,
        offset,
        max_lim,
    }
}
