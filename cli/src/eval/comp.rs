//! The Comp table of `tandem eval`: the Glue style on the central excerpt of each track, as
//! `tandem suggest comp` proposes it (the makeup checked on the whole excerpt). Per track: the material (PLR, LRA, crest factor), the
//! gain reduction the suggestion claims against an independent measurement of the render, the
//! loudness change with the suggestion accepted (the fairness of the A/B), and the timing.
//!
//! Each excerpt is also made dense (driven into Master's limiter by [`DENSE_LUFS`] minus its
//! loudness) and the suggestion on that copy recorded: dense material must be declined or kept gentle.
//!
//! The independent gain reduction does not read the compressor's gain computer: it renders the
//! excerpt with the suggestion accepted but makeup 0, cuts input and output into 10 ms frames,
//! and averages 10·log10(input power / output power) over the loud frames (input frames above
//! −60 dBFS and within 20 dB of their power average, the definition the assistant's claim uses).

use super::{excerpt, lufs, median, run_tracks, Track, EXCERPT_SECONDS};
use crate::audio_io::read_audio;
use crate::engines::{accepted, suggest, AssistantOptions, Kind, Settings};
use dsp_core::chains::comp::CompSettings;
use dsp_core::chains::master::MasterSettings;
use serde::Serialize;
use std::path::Path;

/// PLR below this is dense material (issue 16's bar), dB.
pub const DENSE_PLR_DB: f64 = 10.5;
/// The most gain reduction dense material may get, dB.
pub const DENSE_MAX_GR_DB: f64 = 1.5;
/// Each excerpt is driven into Master's limiter by the difference between this and its
/// integrated loudness (LUFS), which makes it dense.
pub const DENSE_LUFS: f64 = -6.0;

/// One track's Comp row.
#[derive(Debug, Clone, Serialize)]
pub struct CompTrackResult {
    pub id: String,
    pub seconds: f64,
    /// Peak-to-loudness ratio of the excerpt, dB.
    pub plr_db: f64,
    /// Loudness range, LU.
    pub lra_lu: f64,
    /// Median 200 ms crest factor, dB.
    pub crest_db: f64,
    /// True when the assistant declined (no threshold proposed).
    pub declined: bool,
    /// The gain reduction the suggestion claims, dB (0 when declined).
    pub claimed_gr_db: f64,
    /// The independently measured gain reduction of the render, dB.
    pub measured_gr_db: f64,
    /// Output minus input integrated loudness with the suggestion accepted, LU.
    pub loudness_change_lu: f64,
    pub ratio: f64,
    pub attack_ms: f64,
    pub release_ms: f64,
    pub auto_release: bool,
    /// The suggestion's overall confidence.
    pub confidence: f64,
    pub titles: Vec<String>,
    pub warnings: Vec<String>,
    /// The same excerpt made dense (driven into Master's limiter): its PLR, dB, …
    pub dense_plr_db: f64,
    /// … and the gain reduction the suggestion claims on it, dB (`None`: declined).
    pub dense_claimed_gr_db: Option<f64>,
}

/// Mean power per 10 ms frame (channels averaged).
fn frame_power(x: &[Vec<f32>], frame: usize) -> Vec<f64> {
    let n = x.first().map_or(0, |c| c.len()) / frame;
    (0..n)
        .map(|k| {
            x.iter()
                .map(|c| {
                    c[k * frame..(k + 1) * frame]
                        .iter()
                        .map(|&v| (v as f64) * (v as f64))
                        .sum::<f64>()
                })
                .sum::<f64>()
                / (frame * x.len()) as f64
        })
        .collect()
}

/// The independent gain reduction of `output` against `input` (see the module docs), dB.
pub fn measured_gain_reduction_db(input: &[Vec<f32>], output: &[Vec<f32>], sr: u32) -> f64 {
    let frame = (sr as usize / 100).max(1);
    let pi = frame_power(input, frame);
    let po = frame_power(output, frame);
    let gate = 1e-6; // −60 dBFS
    let above: Vec<f64> = pi.iter().copied().filter(|&p| p >= gate).collect();
    if above.is_empty() {
        return 0.0;
    }
    let loud = above.iter().sum::<f64>() / above.len() as f64 * 0.01; // −20 dB
    let gr: Vec<f64> = pi
        .iter()
        .zip(&po)
        .filter(|(&i, _)| i >= gate && i >= loud)
        .map(|(&i, &o)| 10.0 * (i / o.max(1e-20)).log10())
        .collect();
    if gr.is_empty() {
        0.0
    } else {
        gr.iter().sum::<f64>() / gr.len() as f64
    }
}

/// Runs the Comp measures on one track.
pub fn eval_comp_track(t: &Track, _k: usize, _n: usize) -> Result<CompTrackResult, String> {
    let audio = read_audio(&t.path).map_err(|e| e.to_string())?;
    let sr = audio.sample_rate;
    let x = excerpt(&audio, EXCERPT_SECONDS);
    drop(audio);
    let glue = AssistantOptions {
        style: Some("glue".into()),
        ..AssistantOptions::default()
    };
    let s = suggest(Kind::Comp, &x, sr, &glue)?;
    let settings = match accepted(Kind::Comp, &Settings::default_for(Kind::Comp), &s, 1.0) {
        Settings::Comp(c) => c,
        _ => CompSettings::default(),
    };
    let declined = !s.items.iter().any(|i| i.key == "threshold");
    let rendered = Settings::Comp(settings).render(&x, sr as f32)?;
    let loudness_change_lu = match (lufs(&x, sr), lufs(&rendered, sr)) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    drop(rendered);
    let dry = CompSettings {
        makeup_db: 0.0,
        auto_makeup: false,
        out_gain_db: 0.0,
        ..settings
    };
    let wet = Settings::Comp(dry).render(&x, sr as f32)?;
    let measured_gr_db = measured_gain_reduction_db(&x, &wet, sr);
    let m = |k: &str| s.measurements.get(k).copied();

    // The same music made dense: the assistant must decline or stay gentle.
    let in_lufs = lufs(&x, sr).unwrap_or(-20.0);
    let limited = Settings::Master(MasterSettings {
        lim_drive_db: ((DENSE_LUFS - in_lufs) as f32).clamp(0.0, 24.0),
        ..MasterSettings::default()
    })
    .render(&x, sr as f32)?;
    let ls = suggest(Kind::Comp, &limited, sr, &glue)?;
    let dense_declined = !ls.items.iter().any(|i| i.key == "threshold");
    Ok(CompTrackResult {
        id: t.id.clone(),
        seconds: x[0].len() as f64 / sr as f64,
        plr_db: m("plr_db").unwrap_or(f64::NAN),
        lra_lu: m("loudness_range_lu").unwrap_or(f64::NAN),
        crest_db: m("crest200ms_p50_db").unwrap_or(f64::NAN),
        declined,
        claimed_gr_db: if declined {
            0.0
        } else {
            m("predicted_avg_gr_db").unwrap_or(f64::NAN)
        },
        measured_gr_db,
        loudness_change_lu,
        ratio: settings.ratio as f64,
        attack_ms: settings.attack_ms as f64,
        release_ms: settings.release_ms as f64,
        auto_release: settings.auto_release,
        confidence: s.confidence as f64,
        titles: s.items.iter().map(|i| i.title.clone()).collect(),
        warnings: s.warnings.clone(),
        dense_plr_db: ls.measurements.get("plr_db").copied().unwrap_or(f64::NAN),
        dense_claimed_gr_db: if dense_declined {
            None
        } else {
            ls.measurements.get("predicted_avg_gr_db").copied()
        },
    })
}

/// Summary over the set, with the bars of issue 16.
#[derive(Debug, Clone, Serialize)]
pub struct CompSummary {
    pub tracks: usize,
    pub loudness_within_0_3: usize,
    pub max_abs_loudness_change_lu: f64,
    pub gr_within_1db: usize,
    pub max_gr_error_db: f64,
    pub timing_in_range: usize,
    pub dense_tracks: usize,
    pub dense_ok: usize,
    pub declined: usize,
    pub dense_copies_declined: usize,
    pub median_measured_gr_db: f64,
}

fn timing_ok(r: &CompTrackResult) -> bool {
    r.declined
        || ((1.0..=50.0).contains(&r.attack_ms)
            && (r.auto_release || (50.0..=1500.0).contains(&r.release_ms)))
}

fn dense_ok(r: &CompTrackResult) -> bool {
    r.plr_db >= DENSE_PLR_DB || r.declined || r.measured_gr_db <= DENSE_MAX_GR_DB
}

pub fn summarize(rows: &[CompTrackResult]) -> CompSummary {
    CompSummary {
        tracks: rows.len(),
        loudness_within_0_3: rows
            .iter()
            .filter(|r| r.loudness_change_lu.abs() <= 0.3)
            .count(),
        max_abs_loudness_change_lu: rows
            .iter()
            .map(|r| r.loudness_change_lu.abs())
            .fold(0.0, f64::max),
        gr_within_1db: rows
            .iter()
            .filter(|r| (r.claimed_gr_db - r.measured_gr_db).abs() <= 1.0)
            .count(),
        max_gr_error_db: rows
            .iter()
            .map(|r| (r.claimed_gr_db - r.measured_gr_db).abs())
            .fold(0.0, f64::max),
        timing_in_range: rows.iter().filter(|r| timing_ok(r)).count(),
        dense_tracks: rows.iter().filter(|r| r.plr_db < DENSE_PLR_DB).count()
            + rows
                .iter()
                .filter(|r| r.dense_plr_db < DENSE_PLR_DB)
                .count(),
        dense_ok: rows
            .iter()
            .filter(|r| r.plr_db < DENSE_PLR_DB && dense_ok(r))
            .count()
            + rows
                .iter()
                .filter(|r| {
                    r.dense_plr_db < DENSE_PLR_DB
                        && r.dense_claimed_gr_db.is_none_or(|g| g <= DENSE_MAX_GR_DB)
                })
                .count(),
        dense_copies_declined: rows
            .iter()
            .filter(|r| r.dense_claimed_gr_db.is_none())
            .count(),
        declined: rows.iter().filter(|r| r.declined).count(),
        median_measured_gr_db: median(rows.iter().map(|r| r.measured_gr_db).collect()),
    }
}

/// True when every bar of the Comp table is met.
pub fn passes(s: &CompSummary) -> bool {
    let n = s.tracks;
    s.loudness_within_0_3 == n
        && s.gr_within_1db == n
        && s.timing_in_range == n
        && s.dense_ok == s.dense_tracks
}

/// The readable table.
pub fn print_table(rows: &[CompTrackResult], s: &CompSummary) {
    println!(
        "Comp assistant, Glue style, on {} tracks (central {:.0} s of each)",
        rows.len(),
        EXCERPT_SECONDS
    );
    println!(
        "{:<22} {:>6} {:>6} {:>6} {:>8} {:>8} {:>6} {:>7} {:>8} {:>7} {:>5}",
        "track",
        "PLR",
        "LRA",
        "crest",
        "claim dB",
        "meas dB",
        "ratio",
        "att ms",
        "rel ms",
        "dLU",
        "conf"
    );
    for r in rows {
        let rel = if r.auto_release {
            "auto".to_string()
        } else {
            format!("{:.0}", r.release_ms)
        };
        let claim = if r.declined {
            "declined".to_string()
        } else {
            format!("{:.2}", r.claimed_gr_db)
        };
        println!(
            "{:<22} {:>6.1} {:>6.1} {:>6.1} {:>8} {:>8.2} {:>6.1} {:>7.1} {:>8} {:>7.2} {:>4.0}% {:>9.1} {:>9}",
            r.id,
            r.plr_db,
            r.lra_lu,
            r.crest_db,
            claim,
            r.measured_gr_db,
            r.ratio,
            r.attack_ms,
            rel,
            r.loudness_change_lu,
            100.0 * r.confidence,
            r.dense_plr_db,
            r.dense_claimed_gr_db
                .map_or("declined".to_string(), |g| format!("{g:.2}"))
        );
    }
    let pass = |ok: bool| if ok { "ok" } else { "MISS" };
    let n = s.tracks;
    println!();
    println!(
        "loudness within 0.3 LU of the input: {}/{} (largest {:.2} LU) [{}]",
        s.loudness_within_0_3,
        n,
        s.max_abs_loudness_change_lu,
        pass(s.loudness_within_0_3 == n)
    );
    println!(
        "claimed vs measured gain reduction within 1 dB: {}/{} (largest {:.2} dB) [{}]",
        s.gr_within_1db,
        n,
        s.max_gr_error_db,
        pass(s.gr_within_1db == n)
    );
    println!(
        "attack 1-50 ms and release 50-1500 ms (or auto): {}/{} [{}]",
        s.timing_in_range,
        n,
        pass(s.timing_in_range == n)
    );
    println!(
        "dense material (PLR < {DENSE_PLR_DB} dB; the tracks and their copies through a heavy limiter) at <= {DENSE_MAX_GR_DB} dB or declined: {}/{} [{}]; declined on {} track(s) and {} dense copies; median measured gain reduction {:.2} dB",
        s.dense_ok,
        s.dense_tracks,
        pass(s.dense_ok == s.dense_tracks),
        s.declined,
        s.dense_copies_declined,
        s.median_measured_gr_db
    );
}

/// Runs the Comp evaluation over `dir` on two threads.
pub fn run(dir: &Path, only: &[String]) -> Result<Vec<CompTrackResult>, String> {
    run_tracks(dir, only, eval_comp_track)
}
