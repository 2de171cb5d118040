//! The proposal: [`suggest_master`] runs the stages in order (tonal, stereo, loudness) and
//! writes the items with their reasons and confidences.

use std::collections::BTreeMap;

use super::analysis::MasterAnalysisResult;
use super::loudness::{loudness_stage, Loudness};
use super::stereo::stereo_stage;
use super::targets::{MasterAssistantOptions, MasterTarget};
use super::tonal::tonal_stage;
use super::{LOUDNESS_TOLERANCE_LU, MIN_HEARD_SECONDS};
use crate::assistant::eq::FULL_CONFIDENCE_SECONDS;
use crate::assistant::{Suggestion, SuggestionItem};
use crate::chains::master::{MasterSettings, PARAMS};
use crate::validate_sample_rate;

pub(super) fn item(
    key: &str,
    title: String,
    values: &[(&str, f32)],
    reason: String,
    conf: f32,
) -> SuggestionItem {
    SuggestionItem {
        key: key.to_string(),
        title,
        values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        reason,
        confidence: conf.clamp(0.0, 1.0),
    }
}

pub(super) fn fmt_db(v: f32) -> String {
    format!("{v:+.1} dB")
}

/// Proposes master settings for `analysis` aimed at `target` (see the module docs):
///
/// - **tonal**: four broad sections (low shelf 100 Hz, bells 300 Hz / 3 kHz at Q 0.7, high shelf
///   8 kHz) least-squares fitted to bring the 1/6-octave band curve towards the tonal target,
///   each ≤ `max_tonal_db`. Generic mode (Balanced or `options.tonal_target`) reads the curve as
///   Tandem EQ does (its level anchor, the target's corridor, its weights) and moves a section
///   only where the error it acts on is at least `tonal::MIN_SECTION_ERROR_DB`, in the
///   direction that brings it back, never boosting into content far below the corridor;
///   reference mode (the reference's curve) aligns the mids and also searches each section's
///   frequency and Q. Moves under 0.5 dB are left out;
/// - **stereo**: `mono_below` [`SUGGESTED_MONO_BELOW_HZ`] when the low end is wide
///   (side/mid below [`LOW_END_HZ`] > [`LOW_END_MAX_SIDE_TO_MID_DB`]) or the mix is out of phase
///   (correlation < 0), plus width 80 % when the correlation is below −0.2; otherwise left alone;
/// - **glue**: when reaching the target would need more than 3 dB of peak limiting, a 2:1 glue
///   whose threshold is solved by simulation (bisection) for a mean gain reduction of
///   min(1.5, `max_glue_gr_db`) dB, with makeup equal to that gain reduction;
/// - **limiter**: `lim_ceiling` = the target's ceiling, `lim_drive` solved by simulating the
///   whole [`MasterChain`] on the analysed excerpt (secant-safeguarded bisection) until the
///   predicted integrated loudness is within [`LOUDNESS_TOLERANCE_LU`] of the target; a mix
///   louder than the target gets a negative `in_gain` instead. More than `max_limiting_db` of
///   peak limiting gives a warning with the nearest target that stays within it.
///
/// The limiter's release, auto release, lookahead and oversampling are taken from `current`
/// and listed in the limiter item so the suggestion reproduces the simulation. Never panics;
/// nothing heard gives an empty suggestion with a warning.
///
/// [`SUGGESTED_MONO_BELOW_HZ`]: super::SUGGESTED_MONO_BELOW_HZ
/// [`LOW_END_HZ`]: super::LOW_END_HZ
/// [`LOW_END_MAX_SIDE_TO_MID_DB`]: super::LOW_END_MAX_SIDE_TO_MID_DB
/// [`MasterChain`]: crate::chains::master::MasterChain
pub fn suggest_master(
    analysis: &MasterAnalysisResult,
    target: &MasterTarget,
    options: &MasterAssistantOptions,
    current: &MasterSettings,
) -> Suggestion {
    let reference = options.reference.as_ref();
    let target_name = match reference {
        Some(r) => format!("Reference: {}", r.name),
        None => target.name.clone(),
    };
    let mut sug = Suggestion::empty("master", &target_name);
    sug.heard_seconds = analysis.heard_seconds;
    sug.stable = analysis.stable;
    let sr = analysis.sample_rate_hz;
    let audio = &analysis.audio;
    let frames = audio.first().map_or(0, |c| c.len());
    let (Some(integrated), true) = (
        analysis.integrated_lufs,
        analysis.heard_seconds >= MIN_HEARD_SECONDS
            && !audio.is_empty()
            && audio.len() <= 2
            && frames > 0
            && validate_sample_rate(sr).is_ok(),
    ) else {
        sug.warnings.push(format!(
            "Nothing to work on yet: {:.1} s of audio heard (at least {MIN_HEARD_SECONDS:.0} s of \
             non-silent audio is needed, with the analysed excerpt).",
            analysis.heard_seconds
        ));
        return sug;
    };
    let m = &mut sug.measurements;
    m.insert("integrated_lufs".into(), integrated);
    m.insert("loudness_range_lu".into(), analysis.loudness_range_lu);
    if let Some(tp) = analysis.true_peak_dbtp {
        m.insert("true_peak_dbtp".into(), tp);
    }
    if let Some(p) = analysis.plr_db {
        m.insert("plr_db".into(), p);
    }
    if let Some(c) = analysis.correlation {
        m.insert("correlation".into(), c as f64);
    }
    if let Some(c) = analysis.low_side_to_mid_db {
        m.insert("low_side_to_mid_db".into(), c as f64);
    }
    m.insert("simulated_seconds".into(), frames as f64 / sr as f64);

    let evidence = (analysis.heard_seconds / FULL_CONFIDENCE_SECONDS).clamp(0.0, 1.0)
        * if analysis.stable { 1.0 } else { 0.75 };

    // Target loudness and ceiling.
    let ceiling_info = PARAMS.iter().find(|p| p.id == "lim_ceiling");
    let (cmin, cmax) = ceiling_info.map_or((-3.0, -0.1), |p| (p.min, p.max));
    let mut ceiling = if target.ceiling_dbtp.is_finite() {
        target.ceiling_dbtp
    } else {
        -1.0
    };
    if !(cmin..=cmax).contains(&ceiling) {
        sug.warnings.push(format!(
            "The ceiling {ceiling:.1} dBTP is outside the limiter's {cmin:.1}…{cmax:.1} dBTP; \
             using {:.1} dBTP.",
            ceiling.clamp(cmin, cmax)
        ));
        ceiling = ceiling.clamp(cmin, cmax);
    }
    let target_lufs = match reference {
        Some(r) if r.integrated_lufs.is_finite() => r.integrated_lufs,
        _ if target.lufs.is_finite() => target.lufs as f64,
        _ => -14.0,
    };
    sug.measurements.insert("target_lufs".into(), target_lufs);
    sug.measurements
        .insert("target_ceiling_dbtp".into(), ceiling as f64);

    // Base: defaults plus the engineer's limiter taste.
    let mut s = MasterSettings {
        lim_release_ms: current.lim_release_ms,
        lim_auto_release: current.lim_auto_release,
        lim_lookahead_ms: current.lim_lookahead_ms,
        lim_oversampling: current.lim_oversampling,
        lim_ceiling_dbtp: ceiling,
        ..Default::default()
    }
    .sanitized();

    // Tonal balance.
    let tonal_items = tonal_stage(&analysis.tonal, reference, options, &mut s, evidence, sr);

    // Stereo.
    let stereo_items = stereo_stage(analysis, &mut s, evidence, &mut sug.warnings);

    // Loudness: glue, drive and ceiling, simulated and verified.
    let Loudness {
        glue_item,
        drive,
        predicted,
        peak_limiting,
        offset,
        max_lim,
    } = loudness_stage(
        analysis,
        options,
        &mut s,
        target_lufs,
        ceiling,
        cmin,
        evidence,
        &mut sug,
    );

    // Items.
    let mut items = tonal_items;
    items.extend(stereo_items);
    if s.in_gain_db != 0.0 {
        items.push(item(
            "input",
            format!("Turn the input down by {:.1} dB", -s.in_gain_db),
            &[("in_gain", s.in_gain_db)],
            format!(
                "The mix ({integrated:.1} LUFS) is already louder than the {target_lufs:.1} LUFS \
                 target."
            ),
            evidence * 0.9,
        ));
    }
    if let Some(g) = glue_item {
        items.push(g);
    }
    // The limiter's confidence: coverage of the song, whether the simulation reached the
    // target, how hard the limiter must work (the more limiting, the less certain the result
    // is what the engineer wants) and how well the excerpt stood for the whole (its loudness
    // offset).
    let reach = if (predicted - target_lufs).abs() <= LOUDNESS_TOLERANCE_LU {
        1.0
    } else {
        0.5
    };
    let strain = 1.0 - (peak_limiting / (2.0 * max_lim.max(0.5) as f64)).min(0.5) as f32;
    let representative = 1.0 - (offset.abs() / 5.0).min(0.3) as f32;
    let lim_conf = (reach * strain * representative * (0.4 + 0.6 * evidence)).clamp(0.0, 1.0);
    items.push(item(
        "limiter",
        format!(
            "Limiter: drive {drive:.1} dB, ceiling {:.1} dBTP",
            s.lim_ceiling_dbtp
        ),
        &[
            ("lim_drive", drive),
            ("lim_ceiling", s.lim_ceiling_dbtp),
            ("lim_release", s.lim_release_ms),
            (
                "lim_auto_release",
                if s.lim_auto_release { 1.0 } else { 0.0 },
            ),
            ("lim_lookahead", s.lim_lookahead_ms),
            ("lim_oversampling", s.lim_oversampling as f32),
        ],
        format!(
            "From {integrated:.1} LUFS to the {target_lufs:.1} LUFS of {target_name}: the whole \
             chain simulated on {:.0} s chosen across the {:.0} s heard (loud and quiet passages, \
             and their peaks, in the song's proportions) predicts {predicted:.1} LUFS with \
             {peak_limiting:.1} dB of peak limiting, true peak held at {ceiling:.1} dBTP{}.",
            frames as f64 / sr as f64,
            analysis.heard_seconds,
            if s.lim_ceiling_dbtp < ceiling - 1e-3 {
                format!(
                    " (the limiter's ceiling is set {:.2} dB lower: heavy limiting overshot \
                     it in the simulation)",
                    ceiling - s.lim_ceiling_dbtp
                )
            } else {
                String::new()
            }
        ),
        lim_conf,
    ));
    let mut values = BTreeMap::new();
    for it in &items {
        for (k, v) in &it.values {
            values.insert(k.clone(), *v);
        }
    }
    sug.values = values;
    sug.confidence = if items.is_empty() {
        0.0
    } else {
        items.iter().map(|i| i.confidence).sum::<f32>() / items.len() as f32
    };
    sug.items = items;
    sug
}
