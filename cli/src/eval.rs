//! `tandem eval`: the assistants judged on real, mastered music (the evaluation set that
//! `tools/eval/fetch-music.sh` fetches). One table per assistant, also as JSON; how each measure
//! is computed is in docs/ASSISTANTS.md.
//!
//! Every measure of the sound uses an independent meter ([`third_octave_db`]: a plain Welch
//! power spectrum summed into 1/3-octave bands, not the assistant's own analysis), on the
//! central [`EXCERPT_SECONDS`] of each track.

use crate::audio_io::{read_audio, Audio};
use crate::engines::{accepted, Kind, Settings};
use dsp_core::assist::eq::{suggest_eq, EqAnalysis, EqAnalysisResult, EqAssistOptions};
use dsp_core::assist::targets::{Target, TargetId};
use dsp_core::assist::Suggestion;
use dsp_core::chains::eq::{BandSettings, EqBandType, EqSettings, Placement};
use realfft::RealFftPlanner;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Seconds taken from the middle of each track.
pub const EXCERPT_SECONDS: f64 = 150.0;

/// One row of the manifest.
#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub path: PathBuf,
    pub description: String,
}

/// Reads `DIR/manifest.tsv` (id, package, file, description).
pub fn read_manifest(dir: &Path) -> Result<Vec<Track>, String> {
    let m = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&m).map_err(|e| {
        format!(
            "{}: {e} (fetch the set first: tools/eval/fetch-music.sh)",
            m.display()
        )
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 {
            return Err(format!(
                "{}:{}: expected 4 tab-separated columns",
                m.display(),
                n + 1
            ));
        }
        out.push(Track {
            id: f[0].to_string(),
            path: dir.join(f[2]),
            description: f[3].to_string(),
        });
    }
    if out.is_empty() {
        return Err(format!("{}: no tracks", m.display()));
    }
    Ok(out)
}

/// The central `seconds` of `audio`, at most two channels.
fn excerpt(audio: &Audio, seconds: f64) -> Vec<Vec<f32>> {
    let n = audio.frames();
    let want = ((seconds * audio.sample_rate as f64) as usize).min(n);
    let start = (n - want) / 2;
    audio
        .channels
        .iter()
        .take(2)
        .map(|c| c[start..start + want].to_vec())
        .collect()
}

/// The independent meter: Hann-windowed 8192-point Welch power spectrum (50 % overlap, channels
/// averaged), summed into ISO 1/3-octave bands from 25 Hz to 16 kHz (bands above 0.45 × the
/// rate or with fewer than 2 bins left out). Returns (centre Hz, dB).
pub fn third_octave_db(channels: &[Vec<f32>], sr: f64) -> Vec<(f64, f64)> {
    let n = 8192usize;
    let hop = n / 2;
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let win: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect();
    let mut psd = vec![0.0f64; n / 2 + 1];
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut frames = 0usize;
    for ch in channels {
        let mut i = 0;
        while i + n <= ch.len() {
            for (k, x) in input.iter_mut().enumerate() {
                *x = ch[i + k] as f64 * win[k];
            }
            if fft.process(&mut input, &mut spec).is_ok() {
                for (p, c) in psd.iter_mut().zip(&spec) {
                    *p += c.norm_sqr();
                }
                frames += 1;
            }
            i += hop;
        }
    }
    let df = sr / n as f64;
    let mut out = Vec::new();
    for k in 14..=42 {
        let fc = 10f64.powf(k as f64 / 10.0);
        let (lo, hi) = (fc * 2f64.powf(-1.0 / 6.0), fc * 2f64.powf(1.0 / 6.0));
        if hi > 0.45 * sr {
            break;
        }
        let (b0, b1) = ((lo / df).ceil() as usize, (hi / df).floor() as usize);
        if b1 < b0 + 1 {
            continue;
        }
        let p: f64 = psd[b0..=b1.min(psd.len() - 1)].iter().sum::<f64>() / frames.max(1) as f64;
        out.push((fc, 10.0 * p.max(1e-30).log10()));
    }
    out
}

/// Deviation in dB between two spectra of [`third_octave_db`]: RMS over 40 Hz–16 kHz, where
/// both have content (within 60 dB of their loudest band), after removing the median difference
/// (so an overall level change is not a deviation).
pub fn spectral_deviation_db(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
    let pa = a.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let pb = b.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let mut d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| (40.0..=16_500.0).contains(&x.0) && x.1 > pa - 60.0 && y.1 > pb - 60.0)
        .map(|(x, y)| x.1 - y.1)
        .collect();
    if d.is_empty() {
        return 0.0;
    }
    let mut s = d.clone();
    s.sort_by(f64::total_cmp);
    let med = s[s.len() / 2];
    for v in d.iter_mut() {
        *v -= med;
    }
    (d.iter().map(|v| v * v).sum::<f64>() / d.len() as f64).sqrt()
}

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
    s.output_gain_db += gain_db;
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

fn analyze(audio: &[Vec<f32>], sr: u32) -> EqAnalysisResult {
    let v: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
    EqAnalysis::analyze(&v, sr as f32).expect("valid sample rate")
}

fn suggest(a: &EqAnalysisResult, target: &Target) -> Suggestion {
    suggest_eq(
        a,
        target,
        &EqAssistOptions::default(),
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

fn lufs(audio: &[Vec<f32>], sr: u32) -> Option<f64> {
    let v: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
    dsp_core::loudness::measure(&v, sr as f32)
        .ok()
        .and_then(|s| s.integrated_lufs)
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

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
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
pub fn run_eq(dir: &Path, only: &[String]) -> Result<Vec<EqTrackResult>, String> {
    let mut tracks = read_manifest(dir)?;
    let n = tracks.len();
    let indexed: Vec<(usize, Track)> = tracks.drain(..).enumerate().collect();
    let todo: Vec<(usize, Track)> = indexed
        .into_iter()
        .filter(|(_, t)| only.is_empty() || only.iter().any(|o| o == &t.id))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..2 {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((k, t)) = todo.get(i) else { break };
                let r = eval_eq_track(t, *k, n).map_err(|e| format!("{}: {e}", t.id));
                results.lock().expect("no panics while held").push((*k, r));
            });
        }
    });
    let mut rows = results
        .into_inner()
        .map_err(|_| "a worker panicked".to_string())?;
    rows.sort_by_key(|r| r.0);
    rows.into_iter().map(|r| r.1).collect()
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

/// One track's long-term 1/6-octave spectrum (the EQ analysis of the whole track), anchored
/// with [`dsp_core::assist::eq::level_anchor`]: (Hz, dB) for the bands below 0.45 × its rate.
fn anchored_curve(t: &Track) -> Result<Vec<(f64, f64)>, String> {
    let audio = read_audio(&t.path).map_err(|e| e.to_string())?;
    let ch: Vec<Vec<f32>> = audio.channels.iter().take(2).cloned().collect();
    let a = analyze(&ch, audio.sample_rate);
    let f: Vec<f64> = a.band_center_hz.iter().map(|v| *v as f64).collect();
    let d: Vec<f64> = a.band_db.iter().map(|v| *v as f64).collect();
    let anchor = dsp_core::assist::eq::level_anchor(&f, &d, &d);
    let top = 0.45 * audio.sample_rate as f64;
    Ok(f.iter()
        .zip(&d)
        .filter(|(f, _)| (19.0..=20_500.0).contains(*f) && **f <= top)
        .map(|(f, d)| (*f, d - anchor))
        .collect())
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let x = p * (v.len() - 1) as f64;
    let (i, t) = (x.floor() as usize, x - x.floor());
    if i + 1 < v.len() {
        v[i] * (1.0 - t) + v[i + 1] * t
    } else {
        v[i]
    }
}

/// Builds the measured mix targets (Balanced, Warm, Bright) from the profile set in `dir`:
/// per 1/6-octave band the median of the tracks' anchored long-term spectra and their
/// interquartile range as the tolerance corridor, over all tracks (Balanced), the third with the
/// most low end against top end (Warm) and the third with the least (Bright). Returns the JSON
/// of `dsp-core/data/measured_targets.json`.
pub fn build_targets(dir: &Path) -> Result<serde_json::Value, String> {
    let tracks = read_manifest(dir)?;
    let curves: Vec<(String, Vec<(f64, f64)>)> = std::thread::scope(|sc| {
        let hs: Vec<_> = tracks
            .chunks(tracks.len().div_ceil(2))
            .map(|part| {
                sc.spawn(move || {
                    part.iter()
                        .map(|t| anchored_curve(t).map(|c| (t.id.clone(), c)))
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in hs {
            all.extend(h.join().map_err(|_| "a worker panicked".to_string())??);
        }
        Ok::<_, String>(all)
    })?;
    let mean_over = |c: &[(f64, f64)], lo: f64, hi: f64| {
        let v: Vec<f64> = c
            .iter()
            .filter(|p| (lo..=hi).contains(&p.0))
            .map(|p| p.1)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let mut by_tilt: Vec<(f64, usize)> = curves
        .iter()
        .enumerate()
        .map(|(i, (_, c))| {
            (
                mean_over(c, 60.0, 250.0) - mean_over(c, 2500.0, 10_000.0),
                i,
            )
        })
        .collect();
    by_tilt.sort_by(|a, b| b.0.total_cmp(&a.0));
    let third = curves.len().div_ceil(3);
    let warm: Vec<usize> = by_tilt[..third].iter().map(|p| p.1).collect();
    let bright: Vec<usize> = by_tilt[by_tilt.len() - third..]
        .iter()
        .map(|p| p.1)
        .collect();
    let all: Vec<usize> = (0..curves.len()).collect();
    let freqs: Vec<f64> = curves
        .iter()
        .max_by_key(|c| c.1.len())
        .map(|c| c.1.iter().map(|p| p.0).collect())
        .unwrap_or_default();
    let make = |id: &str, name: &str, members: &[usize], what: &str| {
        let mut points = Vec::new();
        let mut corridor = Vec::new();
        for (k, &f) in freqs.iter().enumerate() {
            // Every other 1/6-octave band (1/3-octave points), pooled over ±1/6 octave.
            if k % 2 != 0 {
                continue;
            }
            let mut v: Vec<f64> = members
                .iter()
                .flat_map(|&i| curves[i].1.iter())
                .filter(|p| (p.0 / f).log2().abs() <= 1.0 / 6.0 + 1e-3)
                .map(|p| p.1)
                .collect();
            if v.len() < 3 {
                continue;
            }
            let (q1, q2, q3) = (
                percentile(&mut v, 0.25),
                percentile(&mut v, 0.5),
                percentile(&mut v, 0.75),
            );
            let r = |x: f64| (x * 10.0).round() / 10.0;
            let fr = (f * 10.0).round() / 10.0;
            points.push(serde_json::json!([fr, r(q2)]));
            corridor.push(serde_json::json!([fr, r(q1 - q2), r(q3 - q2)]));
        }
        // Relative curves: 0 dB at 1 kHz, like every built-in target.
        let at_1k = points
            .iter()
            .find(|p| (p[0].as_f64().unwrap_or(0.0) - 1000.0).abs() < 1.0)
            .and_then(|p| p[1].as_f64())
            .unwrap_or(0.0);
        for p in points.iter_mut() {
            let v = p[1].as_f64().unwrap_or(0.0) - at_1k;
            p[1] = serde_json::json!((v * 10.0).round() / 10.0);
        }
        let ids: Vec<&str> = members.iter().map(|&i| curves[i].0.as_str()).collect();
        serde_json::json!({
            "id": id,
            "name": name,
            "version": 2,
            "source": format!(
                "Tandem {name} v2, measured: the median long-term 1/6-octave spectrum (EQ \
                 analysis, pink-referenced, anchored with level_anchor) of {what} of the profile \
                 set ({} tracks: {}), rebuilt by `tandem build-targets`; the corridor is their \
                 interquartile range.",
                members.len(),
                ids.join(", ")
            ),
            "points": points,
            "corridor": corridor,
        })
    };
    Ok(serde_json::json!({
        "version": 2,
        "built_from": "tools/eval/tracks.tsv, set 'profile' (freely licensed game soundtracks in Debian packages, kept apart from the evaluation set)",
        "targets": [
            make("balanced", "Balanced", &all, "all tracks"),
            make("warm", "Warm", &warm, "the third with the most low end against top end (60-250 Hz vs 2.5-10 kHz)"),
            make("bright", "Bright", &bright, "the third with the least low end against top end"),
        ]
    }))
}
