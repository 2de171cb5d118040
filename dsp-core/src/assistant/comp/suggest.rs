//! The proposal: [`suggest_comp`] runs the stages in order (material, timing, solve) and writes
//! the items with their reasons and confidences.

use std::collections::BTreeMap;

use super::analysis::CompAnalysisResult;
use super::material::{declined_item, read_material, Material};
use super::solve::{solve, Solved};
use super::style::{CompStyle, TransientHandling};
use super::timing::{fmt_attack, timing, Timing};
use super::{FULL_CONFIDENCE_SECONDS, MIN_HEARD_SECONDS, STABILITY_THRESHOLD_DB};
use crate::assistant::{Suggestion, SuggestionItem};
use crate::chains::comp::{ids, CompDetector, CompSettings};
use crate::{validate_sample_rate, MAX_CHANNELS};

/// Options of [`suggest_comp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompAssistantOptions {
    /// At most this many seconds of the kept audio (its loudest part) are simulated.
    pub sim_seconds: f32,
    /// Overrides the style's target average gain reduction, dB.
    pub target_avg_gr_db: Option<f32>,
}

impl Default for CompAssistantOptions {
    /// 20 s simulated, the style's target.
    fn default() -> Self {
        Self {
            sim_seconds: 20.0,
            target_avg_gr_db: None,
        }
    }
}

pub(super) fn fmt_opt(v: Option<f32>, unit: &str) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.1} {unit}"))
}

pub(super) fn round_to(v: f32, step: f32) -> f32 {
    (v / step).round() * step
}

/// Proposes compressor settings for `style` from what was heard (see the module docs).
/// `current` supplies everything the assistant has no opinion on (link, stereo mode, side-chain,
/// mix, output gain). Never panics; with too little heard audio the suggestion is empty with a
/// warning.
pub fn suggest_comp(
    analysis: &CompAnalysisResult,
    style: CompStyle,
    options: &CompAssistantOptions,
    current: &CompSettings,
) -> Suggestion {
    let mut sug = Suggestion::empty("comp", style.name());
    sug.heard_seconds = analysis.heard_seconds.max(0.0);
    sug.stable = analysis.stable;
    let p = style.params();
    let target = options
        .target_avg_gr_db
        .filter(|t| t.is_finite())
        .unwrap_or(p.target_avg_gr_db)
        .clamp(0.0, 30.0);
    add_measurements(&mut sug.measurements, analysis);
    sug.measurements
        .insert("target_avg_gr_db".into(), target as f64);
    if analysis.heard_seconds.is_nan()
        || analysis.heard_seconds < MIN_HEARD_SECONDS
        || validate_sample_rate(analysis.sample_rate_hz).is_err()
    {
        sug.warnings.push(format!(
            "Not enough audio heard yet ({:.1} s of non-silent audio; at least {:.0} s needed): play the part to compress.",
            analysis.heard_seconds.max(0.0),
            MIN_HEARD_SECONDS
        ));
        return sug;
    }
    let sr = analysis.sample_rate_hz;
    let evidence = (analysis.heard_seconds / FULL_CONFIDENCE_SECONDS).clamp(0.0, 1.0);
    // Stability across the analysis windows: full below the threshold, less as the level
    // statistics still move.
    let stab = analysis.stability_change_db.map_or(0.6, |c| {
        (1.0 - (c - STABILITY_THRESHOLD_DB).max(0.0) / (4.0 * STABILITY_THRESHOLD_DB))
            .clamp(0.4, 1.0)
    }) * if analysis.stable { 1.0 } else { 0.85 };

    // The material: density, dynamics and crest change the style's proposal.
    let Material {
        target,
        ratio,
        attack_range,
        density,
        notes: material,
        rule,
    } = read_material(analysis, &p, options, target);
    sug.measurements
        .insert("target_avg_gr_db".into(), target as f64);
    sug.measurements
        .insert("density_factor".into(), density as f64);
    if target < rule.decline_below_db && options.target_avg_gr_db.is_none() {
        let conf = (evidence * stab).clamp(0.0, 1.0);
        sug.items.push(declined_item(analysis, style, &rule, conf));
        sug.measurements.insert("declined".into(), 1.0);
        sug.confidence = conf;
        return sug;
    }

    // Timing from transients and tempo.
    let Timing {
        attack,
        release,
        attack_clamp,
        release_clamp,
    } = timing(analysis, &p, attack_range);

    let mut s = CompSettings {
        ratio,
        knee_db: p.knee_db,
        detector: p.detector(),
        attack_ms: attack,
        release_ms: release,
        auto_release: p.auto_release,
        lookahead_ms: p.lookahead_ms,
        makeup_db: 0.0,
        auto_makeup: false,
        out_gain_db: 0.0,
        sc_external: false,
        ..*current
    }
    .sanitized();
    if current.sc_external {
        sug.warnings.push(
            "The threshold was solved on the main input; with the external side-chain selected the gain reduction will differ.".into(),
        );
    }

    // The audio to simulate: the excerpt (at most sim_seconds of it).
    let len = analysis.audio.iter().map(|c| c.len()).min().unwrap_or(0);
    let sim_frames = (options.sim_seconds.clamp(1.0, 600.0) as f64 * sr as f64) as usize;
    let (a0, a1) = (0, len.min(sim_frames));
    let audio: Vec<&[f32]> = analysis.audio.iter().map(|c| &c[a0..a1]).collect();
    let have_audio = !audio.is_empty() && a1 > a0 && audio.len() <= MAX_CHANNELS;

    // Threshold and makeup, simulated.
    let Solved {
        solved,
        threshold_clamp,
        predicted_gr,
        in_lufs,
        out_before,
        out_lufs,
    } = solve(
        analysis,
        &audio,
        have_audio,
        &mut s,
        target,
        &mut sug.warnings,
    );
    let makeup = s.makeup_db;

    // Confidence: coverage of the song, stability across windows, whether the threshold was
    // solved or held at a limit, and how much compression the material calls for (a move the
    // density rule scaled down is a closer call).
    let onset_ev = if analysis.rise_time_ms.is_some() && analysis.onset_count >= 2 {
        0.4 + 0.6 * (analysis.onset_count as f32 / 8.0).min(1.0)
    } else {
        0.3
    };
    let need = 0.6 + 0.4 * density;
    let conf_t = (evidence * stab * need * if solved { 1.0 } else { 0.5 }).clamp(0.0, 1.0);
    let conf_timing = (evidence * stab * onset_ev).clamp(0.0, 1.0);
    let conf_m = (evidence * stab * if out_lufs.is_some() { 1.0 } else { 0.3 }).clamp(0.0, 1.0);

    let ratio_txt = if s.effective_ratio().is_finite() {
        format!("{:.1}:1", s.ratio)
    } else {
        "∞:1".to_string()
    };
    let mut item = |key: &str, title: String, vals: &[(&str, f32)], reason: String, conf: f32| {
        let values: BTreeMap<String, f32> = vals.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        for (k, v) in &values {
            sug.values.insert(k.clone(), *v);
        }
        sug.items.push(SuggestionItem {
            key: key.into(),
            title,
            values,
            reason,
            confidence: conf,
        });
    };
    let gr_txt = predicted_gr.map_or_else(String::new, |g| {
        format!(" (simulated: {g:.1} dB average on the loud passages)")
    });
    item(
        "threshold",
        format!("Threshold {:.1} dBFS at {ratio_txt}", s.threshold_db),
        &[
            (ids::THRESHOLD, s.threshold_db),
            (ids::RATIO, s.ratio),
            (ids::KNEE, s.knee_db),
            (ids::DETECTOR, s.detector.index() as f32),
        ],
        format!(
            "{} aims at {target:.1} dB of average gain reduction{}; with ratio {ratio_txt}, a {:.0} dB knee and {} sensing that takes a threshold of {:.1} dBFS{}{gr_txt}, solved on {:.0} s chosen across the {:.0} s heard. Loud 50 ms levels: median {}, 90th percentile {}.",
            style.name(),
            if material.is_empty() {
                String::new()
            } else {
                format!(": {}", material.join("; "))
            },
            s.knee_db,
            if s.detector == CompDetector::Rms { "RMS" } else { "peak" },
            s.threshold_db,
            threshold_clamp.unwrap_or(""),
            (a1 - a0) as f32 / sr,
            analysis.heard_seconds,
            fmt_opt(analysis.rms_50ms.p50, "dBFS"),
            fmt_opt(analysis.rms_50ms.p90, "dBFS"),
        ),
        conf_t,
    );
    let transient_txt = match (analysis.rise_time_ms, p.transients) {
        (Some(r), TransientHandling::LetThrough) if analysis.onset_count >= 2 => format!(
            "transients rise in {r:.1} ms → attack {} lets them through",
            fmt_attack(s.attack_ms)
        ),
        (Some(r), TransientHandling::Catch) if analysis.onset_count >= 2 => format!(
            "transients rise in {r:.1} ms → attack {} catches them",
            fmt_attack(s.attack_ms)
        ),
        _ => format!(
            "no clear transients found → the style's attack of {}",
            fmt_attack(s.attack_ms)
        ),
    };
    let release_txt = match (analysis.median_ioi_ms, analysis.tempo_bpm) {
        (Some(i), Some(b)) => format!(
            "onsets every {i:.0} ms (about {b:.0} BPM) → release {:.0} ms recovers before the next one",
            s.release_ms
        ),
        _ => format!("no regular onsets → the style's release of {:.0} ms", s.release_ms),
    };
    item(
        "timing",
        format!(
            "Attack {}, release {:.0} ms",
            fmt_attack(s.attack_ms),
            s.release_ms
        ),
        &[
            (ids::ATTACK, s.attack_ms),
            (ids::RELEASE, s.release_ms),
            (ids::AUTO_RELEASE, f32::from(u8::from(s.auto_release))),
            (ids::LOOKAHEAD, s.lookahead_ms),
        ],
        format!(
            "Crest factor {} (200 ms median), {transient_txt}{}; {release_txt}{}.",
            fmt_opt(analysis.crest_200ms.p50, "dB"),
            attack_clamp.unwrap_or_default(),
            release_clamp.unwrap_or_default(),
        ),
        conf_timing,
    );
    let makeup_reason = match (in_lufs, out_before) {
        (Some(i), Some(o)) => format!(
            "The input measures {i:.1} LUFS integrated; compressed without makeup it measured {o:.1} LUFS, so {makeup:+.1} dB of makeup keeps the loudness the same (a fair comparison)."
        ),
        _ => format!("Estimated makeup {makeup:+.1} dB to keep the loudness about the same."),
    };
    item(
        "makeup",
        format!("Makeup {makeup:+.1} dB"),
        &[(ids::MAKEUP, makeup), (ids::AUTO_MAKEUP, 0.0)],
        makeup_reason,
        conf_m,
    );
    if let Some(g) = predicted_gr {
        sug.measurements
            .insert("predicted_avg_gr_db".into(), g as f64);
    }
    if let Some(o) = out_lufs {
        sug.measurements
            .insert("predicted_output_lufs".into(), o as f64);
    }
    sug.confidence = ((conf_t + conf_timing + conf_m) / 3.0).clamp(0.0, 1.0);
    sug
}

fn add_measurements(m: &mut BTreeMap<String, f64>, a: &CompAnalysisResult) {
    let mut put = |k: &str, v: Option<f32>| {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            m.insert(k.to_string(), v as f64);
        }
    };
    put("heard_s", Some(a.heard_seconds));
    for (name, p) in [
        ("rms10ms", &a.rms_10ms),
        ("rms50ms", &a.rms_50ms),
        ("rms400ms", &a.rms_400ms),
    ] {
        put(&format!("{name}_p10_dbfs"), p.p10);
        put(&format!("{name}_p50_dbfs"), p.p50);
        put(&format!("{name}_p90_dbfs"), p.p90);
        put(&format!("{name}_p95_dbfs"), p.p95);
    }
    put("crest200ms_p50_db", a.crest_200ms.p50);
    put("crest200ms_p90_db", a.crest_200ms.p90);
    put("sample_peak_dbfs", a.sample_peak_dbfs);
    put("integrated_lufs", a.integrated_lufs);
    put("loudness_range_lu", Some(a.loudness_range_lu));
    put("plr_db", a.plr_db);
    put("onsets_per_s", Some(a.onsets_per_s));
    put("rise_time_ms", a.rise_time_ms);
    put("median_ioi_ms", a.median_ioi_ms);
    put("tempo_bpm", a.tempo_bpm);
}
