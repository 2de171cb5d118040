//! The EQ table of `tandem eval`: generic mode on the untouched tracks (narrow cuts, boosts
//! below 40 Hz, reason/fit agreement, loudness change, confidence calibration), an added fixed
//! resonance, reference mode against a known damage and damage invariance.

use super::{
    excerpt, lufs, median, run_tracks, spectral_deviation_db, third_octave_db, Track,
    EXCERPT_SECONDS,
};
use crate::audio_io::read_audio;
use crate::engines::{accepted, Kind, Settings};
use dsp_core::assistant::eq::{suggest_eq, EqAnalysis, EqAnalysisResult, EqAssistantOptions};
use dsp_core::assistant::targets::{Target, TargetId};
use dsp_core::assistant::Suggestion;
use dsp_core::chains::eq::{BandSettings, EqBandType, EqSettings, Placement};
use serde::Serialize;
use std::path::Path;

fn band(kind: EqBandType, f: f32, g: f32, q: f32) -> BandSettings {
    BandSettings {
        enabled: true,
        kind,
        freq_hz: f,
        gain_db: g,
        q,
        slope_db_oct: 12.0,
        placement: Placement::Stereo,
    }
}

fn render_eq(s: &EqSettings, audio: &[Vec<f32>], sr: u32, gain_db: f32) -> Vec<Vec<f32>> {
    let mut s = *s;
    s.out_gain_db += gain_db;
    Settings::Eq(s)
        .render(audio, sr as f32)
        .unwrap_or_else(|_| audio.to_vec())
}

/// The EQ settings that play with `s` accepted at 100 %.
fn accepted_eq(s: &Suggestion) -> EqSettings {
    match accepted(Kind::Eq, &Settings::default_for(Kind::Eq), s, 1.0) {
        Settings::Eq(e) => e,
        _ => EqSettings::default(),
    }
}

pub(super) fn analyze(audio: &[Vec<f32>], sr: u32) -> EqAnalysisResult {
    let v: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
    EqAnalysis::analyze(&v, sr as f32).expect("valid sample rate")
}

fn suggest(a: &EqAnalysisResult, target: &Target) -> Suggestion {
    suggest_eq(
        a,
        target,
        &EqAssistantOptions::default(),
        &EqSettings::default(),
    )
}

/// A band an item sets: (type, Hz, dB, Q).
fn item_band(
    values: &std::collections::BTreeMap<String, f32>,
) -> Option<(EqBandType, f32, f32, f32)> {
    let get = |suffix: &str| {
        values
            .iter()
            .find(|(k, _)| k.ends_with(suffix))
            .map(|(_, v)| *v)
    };
    let kind = EqBandType::from_value(get("_type")?);
    Some((
        kind,
        get("_freq")?,
        get("_gain").unwrap_or(0.0),
        get("_q").unwrap_or(0.7),
    ))
}

/// A narrow cut: a bell or notch cutting at Q ≥ 3.
fn is_narrow_cut(kind: EqBandType, gain: f32, q: f32) -> bool {
    matches!(kind, EqBandType::Bell | EqBandType::Notch) && gain < 0.0 && q >= 3.0
        || kind == EqBandType::Notch
}

/// Mean response (dB) of `eq` over an item's region (its ±1/2 bandwidth for bells, the shelf's
/// side for shelves), at `sr`.
fn region_response(eq: &EqSettings, item: (EqBandType, f32, f32, f32), sr: f64) -> f64 {
    let (kind, f, _, q) = item;
    let f = f as f64;
    let (lo, hi) = match kind {
        EqBandType::LowShelf | EqBandType::LowCut => (20.0, f),
        EqBandType::HighShelf | EqBandType::HighCut => (f, (0.45 * sr).min(20_000.0)),
        _ => {
            let bw = 2.0 / std::f64::consts::LN_2 * (1.0 / (2.0 * q.max(0.1) as f64)).asinh();
            (f * (-bw / 2.0).exp2(), f * (bw / 2.0).exp2())
        }
    };
    let n = 16;
    (0..n)
        .map(|k| {
            let x = lo * (hi / lo).powf((k as f64 + 0.5) / n as f64);
            eq.magnitude_db(x, sr)
        })
        .sum::<f64>()
        / n as f64
}

/// The largest boost (dB) `eq` applies below 40 Hz.
fn boost_below_40(eq: &EqSettings, sr: f64) -> f64 {
    (0..24)
        .map(|k| 20.0 * 2f64.powf(k as f64 / 24.0))
        .map(|f| eq.magnitude_db(f, sr))
        .fold(0.0, f64::max)
}

/// The first "N.N dB" quoted in a reason, if any.
fn reason_db(reason: &str) -> Option<f64> {
    let i = reason.find(" dB")?;
    let head = &reason[..i];
    let start = head
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .map_or(0, |p| p + 1);
    head[start..].parse().ok()
}

/// One item and whether the halves agree on it.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationItem {
    pub confidence: f32,
    pub agree: bool,
}

/// The EQ measures of one track.
#[derive(Debug, Clone, Serialize)]
pub struct EqTrackResult {
    pub id: String,
    pub description: String,
    pub sample_rate_hz: u32,
    pub seconds: f64,
    /// Items proposed on the untouched track (generic mode, Balanced).
    pub items: usize,
    /// Narrow cuts (bell/notch, Q ≥ 3) among them.
    pub narrow_cuts: usize,
    /// Titles of the items proposed on the untouched track.
    pub titles: Vec<String>,
    /// Titles of the items proposed after the +6 dB shelf at 120 Hz (damage invariance).
    pub shelf_titles: Vec<String>,
    /// The largest boost below 40 Hz of any generic suggestion made here, dB.
    pub max_boost_below_40hz_db: f64,
    /// Frequency of the added resonance, Hz.
    pub resonance_hz: f64,
    /// Distance in octaves from the added resonance to the nearest narrow cut (None: no cut).
    pub resonance_found_oct: Option<f64>,
    /// Reference mode: % of the 1/3-octave deviation from the undamaged track removed.
    pub reference_removed_pct: f64,
    /// Damage invariance: % of the way the render of the suggestion on the damaged track moved
    /// towards the render of the suggestion on the undamaged track.
    pub invariance_pct: f64,
    /// Largest |number quoted in a tonal item's reason − its fitted local error|, dB.
    pub reason_mismatch_db: f64,
    /// Integrated loudness change of the untouched track with the suggestion accepted, LU.
    pub loudness_change_lu: f64,
    /// Items of the whole-excerpt suggestion with whether the two halves agree.
    pub calibration: Vec<CalibrationItem>,
}

/// Runs every EQ measure on one track (index `k` of `n` picks its resonance frequency).
pub fn eval_eq_track(t: &Track, k: usize, n: usize) -> Result<EqTrackResult, String> {
    let audio = read_audio(&t.path).map_err(|e| e.to_string())?;
    let sr = audio.sample_rate;
    let srf = sr as f64;
    let x = excerpt(&audio, EXCERPT_SECONDS);
    drop(audio);
    let frames = x[0].len();
    let balanced = TargetId::Balanced.target();

    // Untouched, generic mode.
    let a0 = analyze(&x, sr);
    let s0 = suggest(&a0, &balanced);
    let eq0 = accepted_eq(&s0);
    let mut max_boost_low = boost_below_40(&eq0, srf);
    let mut narrow_cuts = 0;
    let mut mismatch: f64 = 0.0;
    for it in &s0.items {
        if let Some((kind, _, g, q)) = item_band(&it.values) {
            if is_narrow_cut(kind, g, q) {
                narrow_cuts += 1;
            }
        }
        if it.key.starts_with("band") {
            if let (Some(r), Some(l)) = (
                reason_db(&it.reason),
                s0.measurements.get(&format!("{}_local_error_db", it.key)),
            ) {
                mismatch = mismatch.max((r - l.abs()).abs());
            }
        }
    }
    let r0 = render_eq(&eq0, &x, sr, 0.0);
    let loudness_change_lu = match (lufs(&x, sr), lufs(&r0, sr)) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let meter_x = third_octave_db(&x, srf);

    // An added fixed resonance: +9 dB, Q 8, log-spaced over 400 Hz–4 kHz across the set.
    let f_res = 400.0 * 10f64.powf(k as f64 / (n.max(2) - 1) as f64);
    let mut res_eq = EqSettings::default();
    res_eq.bands[0] = band(EqBandType::Bell, f_res as f32, 9.0, 8.0);
    let xr = render_eq(&res_eq, &x, sr, 0.0);
    let sr_res = suggest(&analyze(&xr, sr), &balanced);
    drop(xr);
    let resonance_found_oct = sr_res
        .items
        .iter()
        .filter_map(|it| item_band(&it.values))
        .filter(|(kind, _, g, q)| is_narrow_cut(*kind, *g, *q))
        .map(|(_, f, _, _)| (f as f64 / f_res).log2().abs())
        .min_by(f64::total_cmp);

    // Reference mode against a known damage.
    let mut damage = EqSettings::default();
    damage.bands[0] = band(EqBandType::LowShelf, 120.0, 6.0, 0.7);
    damage.bands[1] = band(EqBandType::HighShelf, 6000.0, -6.0, 0.7);
    damage.bands[2] = band(EqBandType::Bell, 1000.0, 8.0, 2.0);
    let xd = render_eq(&damage, &x, sr, -10.0);
    let reference = a0.reference_target("undamaged");
    let sd = suggest(&analyze(&xd, sr), &reference);
    let rd = render_eq(&accepted_eq(&sd), &xd, sr, 0.0);
    let before = spectral_deviation_db(&third_octave_db(&xd, srf), &meter_x);
    let after = spectral_deviation_db(&third_octave_db(&rd, srf), &meter_x);
    drop((xd, rd));
    let reference_removed_pct = 100.0 * (1.0 - after / before.max(1e-9));

    // Damage invariance: +6 dB low shelf at 120 Hz.
    let mut shelf = EqSettings::default();
    shelf.bands[0] = band(EqBandType::LowShelf, 120.0, 6.0, 0.7);
    let xs = render_eq(&shelf, &x, sr, 0.0);
    let ss = suggest(&analyze(&xs, sr), &balanced);
    let eqs = accepted_eq(&ss);
    max_boost_low = max_boost_low.max(boost_below_40(&eqs, srf));
    let rs = render_eq(&eqs, &xs, sr, 0.0);
    let before = spectral_deviation_db(&third_octave_db(&xs, srf), &meter_x);
    let after = spectral_deviation_db(&third_octave_db(&rs, srf), &third_octave_db(&r0, srf));
    drop((xs, rs, r0));
    let invariance_pct = 100.0 * (1.0 - after / before.max(1e-9));

    // Calibration: do the two halves agree on each item of the whole-excerpt suggestion?
    let half = frames / 2;
    let h1: Vec<Vec<f32>> = x.iter().map(|c| c[..half].to_vec()).collect();
    let h2: Vec<Vec<f32>> = x.iter().map(|c| c[half..].to_vec()).collect();
    let e1 = accepted_eq(&suggest(&analyze(&h1, sr), &balanced));
    let e2 = accepted_eq(&suggest(&analyze(&h2, sr), &balanced));
    let calibration = s0
        .items
        .iter()
        .filter_map(|it| {
            let b = item_band(&it.values)?;
            let dir = if b.0 == EqBandType::LowCut || b.2 < 0.0 {
                -1.0
            } else {
                1.0
            };
            let (v1, v2) = (region_response(&e1, b, srf), region_response(&e2, b, srf));
            let agree = v1 * dir >= 0.25 && v2 * dir >= 0.25 && (v1 - v2).abs() <= 1.5;
            Some(CalibrationItem {
                confidence: it.confidence,
                agree,
            })
        })
        .collect();

    Ok(EqTrackResult {
        id: t.id.clone(),
        description: t.description.clone(),
        sample_rate_hz: sr,
        seconds: frames as f64 / srf,
        items: s0.items.len(),
        narrow_cuts,
        titles: s0.items.iter().map(|i| i.title.clone()).collect(),
        shelf_titles: ss.items.iter().map(|i| i.title.clone()).collect(),
        max_boost_below_40hz_db: max_boost_low,
        resonance_hz: f_res,
        resonance_found_oct,
        reference_removed_pct,
        invariance_pct,
        reason_mismatch_db: mismatch,
        loudness_change_lu,
        calibration,
    })
}

/// Summary over the set, with the bars of issue 15.
#[derive(Debug, Clone, Serialize)]
pub struct EqSummary {
    pub tracks: usize,
    pub reference_removed_median_pct: f64,
    pub reference_removed_ge70: usize,
    pub resonances_found: usize,
    pub narrow_cuts_total: usize,
    pub invariance_median_pct: f64,
    pub max_boost_below_40hz_db: f64,
    pub max_reason_mismatch_db: f64,
    pub high_confidence_items: usize,
    pub high_confidence_agree_pct: f64,
    pub mid_confidence_items: usize,
    pub mid_confidence_agree_pct: f64,
    pub low_confidence_items: usize,
    pub low_confidence_agree_pct: f64,
    pub median_loudness_change_lu: f64,
}

pub fn summarize(rows: &[EqTrackResult]) -> EqSummary {
    let cal: Vec<&CalibrationItem> = rows.iter().flat_map(|r| &r.calibration).collect();
    let bucket = |lo: f32, hi: f32| {
        let b: Vec<_> = cal
            .iter()
            .filter(|c| c.confidence >= lo && c.confidence < hi)
            .collect();
        let agree = b.iter().filter(|c| c.agree).count();
        (b.len(), 100.0 * agree as f64 / b.len().max(1) as f64)
    };
    let (hn, hp) = bucket(0.8, 2.0);
    let (mn, mp) = bucket(0.5, 0.8);
    let (ln, lp) = bucket(-1.0, 0.5);
    EqSummary {
        tracks: rows.len(),
        reference_removed_median_pct: median(
            rows.iter().map(|r| r.reference_removed_pct).collect(),
        ),
        reference_removed_ge70: rows
            .iter()
            .filter(|r| r.reference_removed_pct >= 70.0)
            .count(),
        resonances_found: rows
            .iter()
            .filter(|r| r.resonance_found_oct.is_some_and(|d| d <= 1.0 / 6.0))
            .count(),
        narrow_cuts_total: rows.iter().map(|r| r.narrow_cuts).sum(),
        invariance_median_pct: median(rows.iter().map(|r| r.invariance_pct).collect()),
        max_boost_below_40hz_db: rows
            .iter()
            .map(|r| r.max_boost_below_40hz_db)
            .fold(0.0, f64::max),
        max_reason_mismatch_db: rows
            .iter()
            .map(|r| r.reason_mismatch_db)
            .fold(0.0, f64::max),
        high_confidence_items: hn,
        high_confidence_agree_pct: hp,
        mid_confidence_items: mn,
        mid_confidence_agree_pct: mp,
        low_confidence_items: ln,
        low_confidence_agree_pct: lp,
        median_loudness_change_lu: median(rows.iter().map(|r| r.loudness_change_lu).collect()),
    }
}

/// The readable table.
pub fn print_table(rows: &[EqTrackResult], s: &EqSummary) {
    println!(
        "EQ assistant on {} tracks (central {:.0} s of each)",
        rows.len(),
        EXCERPT_SECONDS
    );
    println!(
        "{:<22} {:>5} {:>6} {:>7} {:>9} {:>7} {:>7} {:>7} {:>6} {:>7}",
        "track",
        "items",
        "narrow",
        "res Hz",
        "found oct",
        "ref %",
        "invar %",
        "<40 dB",
        "reason",
        "dLU"
    );
    for r in rows {
        println!(
            "{:<22} {:>5} {:>6} {:>7.0} {:>9} {:>7.1} {:>7.1} {:>7.1} {:>6.2} {:>7.2}",
            r.id,
            r.items,
            r.narrow_cuts,
            r.resonance_hz,
            r.resonance_found_oct
                .map_or("miss".to_string(), |d| format!("{d:.3}")),
            r.reference_removed_pct,
            r.invariance_pct,
            r.max_boost_below_40hz_db,
            r.reason_mismatch_db,
            r.loudness_change_lu
        );
    }
    let pass = |ok: bool| if ok { "ok" } else { "MISS" };
    let n = s.tracks;
    println!();
    println!(
        "reference mode removes {:.1} % of the damage (median; bar 80), >= 70 % on {}/{} (bar {}) [{}]",
        s.reference_removed_median_pct,
        s.reference_removed_ge70,
        n,
        (10 * n).div_ceil(12),
        pass(s.reference_removed_median_pct >= 80.0 && s.reference_removed_ge70 * 12 >= 10 * n)
    );
    println!(
        "added resonance found within 1/6 octave on {}/{} (bar {}) [{}]",
        s.resonances_found,
        n,
        (11 * n).div_ceil(12),
        pass(s.resonances_found * 12 >= 11 * n)
    );
    println!(
        "narrow cuts on the untouched tracks: {} (bar <= 1) [{}]",
        s.narrow_cuts_total,
        pass(s.narrow_cuts_total <= 1)
    );
    println!(
        "damage invariance: {:.1} % of the way back (median; bar 60) [{}]",
        s.invariance_median_pct,
        pass(s.invariance_median_pct >= 60.0)
    );
    println!(
        "largest boost below 40 Hz: {:.2} dB (bar 3) [{}]; largest reason/fit mismatch: {:.2} dB (bar 1) [{}]",
        s.max_boost_below_40hz_db,
        pass(s.max_boost_below_40hz_db <= 3.0 + 1e-6),
        s.max_reason_mismatch_db,
        pass(s.max_reason_mismatch_db <= 1.0)
    );
    println!(
        "confidence >= 80 %: {} items, halves agree on {:.0} % (bar 90) [{}]; 50-80 %: {} items, {:.0} %; < 50 %: {} items, {:.0} %",
        s.high_confidence_items,
        s.high_confidence_agree_pct,
        pass(s.high_confidence_agree_pct >= 90.0),
        s.mid_confidence_items,
        s.mid_confidence_agree_pct,
        s.low_confidence_items,
        s.low_confidence_agree_pct
    );
    println!(
        "loudness change with the suggestion accepted: {:+.2} LU (median)",
        s.median_loudness_change_lu
    );
}

/// Runs the EQ evaluation over `dir` on two threads. Returns the rows in manifest order.
pub fn run(dir: &Path, only: &[String]) -> Result<Vec<EqTrackResult>, String> {
    run_tracks(dir, only, eval_eq_track)
}

/// True when every bar of issue 15 that the summary measures is met.
pub fn passes(s: &EqSummary) -> bool {
    let n = s.tracks;
    s.reference_removed_median_pct >= 80.0
        && s.reference_removed_ge70 * 12 >= 10 * n
        && s.resonances_found * 12 >= 11 * n
        && s.narrow_cuts_total <= 1
        && s.invariance_median_pct >= 60.0
        && s.max_boost_below_40hz_db <= 3.0 + 1e-6
        && s.max_reason_mismatch_db <= 1.0
        && (s.high_confidence_items == 0 || s.high_confidence_agree_pct >= 90.0)
}
