//! The Master table of `tandem eval`, in two parts.
//!
//! - **Platform targets**, as `tandem master --target KEY` runs on the whole track: the master
//!   analysis of the file, the suggestion for each distinct (loudness, ceiling) pair of the
//!   platform data, the render with it accepted, verified and corrected on the whole file
//!   ([`crate::engines::master_render_verified`]). Per pair: the first render's loudness error
//!   (the assistant's own simulation, what the plugin would play) and the final one, and the final
//!   true peak by dsp-core's `TruePeakMeter` against the ceiling.
//! - **Reference mastering**: the central [`REFERENCE_EXCERPT_SECONDS`] of the track made worse
//!   ([`damage`]: −8 dB, boomy lows, a muddy 400 Hz, dull highs) is mastered with the whole
//!   finished track as the reference. Measured: the 1/3-octave deviation (independent meter) of
//!   the render from the undamaged excerpt, before and after; the loudness error against the
//!   reference's integrated loudness; the true peak against the ceiling.

use super::{lufs, median, run_tracks, spectral_deviation_db, third_octave_db, Track};
use crate::audio_io::read_audio;
use crate::engines::{master_render_verified, true_peak_dbtp, Settings};
use dsp_core::assistant::master::{
    loudness_targets, suggest_master, MasterAnalysis, MasterAssistantOptions, MasterReference,
    MasterTarget,
};
use dsp_core::chains::eq::{BandSettings, EqBandType, EqSettings, Placement};
use dsp_core::chains::master::MasterSettings;
use serde::Serialize;
use std::path::Path;

/// Length of the damaged pre-master, s.
pub const REFERENCE_EXCERPT_SECONDS: f64 = 30.0;
/// Loudness bar of the platform targets, LU.
pub const TARGET_TOLERANCE_LU: f64 = 0.3;
/// Loudness bar of reference mastering, LU.
pub const REFERENCE_TOLERANCE_LU: f64 = 0.2;
/// Spectral bar of reference mastering: median deviation, dB.
pub const REFERENCE_MAX_DEVIATION_DB: f64 = 0.6;

/// One (loudness, ceiling) target on one track.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    /// The platform keys sharing this target.
    pub platforms: String,
    pub target_lufs: f64,
    pub ceiling_dbtp: f64,
    /// First render (the suggestion as simulated) minus the target, LU.
    pub first_error_lu: f64,
    /// Final render minus the target, LU.
    pub error_lu: f64,
    /// Final true peak, dBTP (dsp-core's meter).
    pub true_peak_dbtp: f64,
    /// Renders made.
    pub passes: usize,
}

/// One track's Master row.
#[derive(Debug, Clone, Serialize)]
pub struct MasterTrackResult {
    pub id: String,
    pub seconds: f64,
    pub input_lufs: f64,
    pub input_lra_lu: f64,
    pub targets: Vec<TargetResult>,
    /// Reference mastering: deviation of the damaged excerpt from the undamaged one, dB.
    pub reference_before_db: f64,
    /// … and of the render, dB.
    pub reference_after_db: f64,
    /// Deviation of the whole track (the reference) from the undamaged excerpt, dB: what a
    /// perfect match of the reference would leave.
    pub reference_floor_db: f64,
    /// Deviation of the render from the undamaged excerpt when that excerpt is the reference, dB.
    pub self_reference_after_db: f64,
    /// Deviation of the damaged excerpt from the reference (the whole track), dB.
    pub to_reference_before_db: f64,
    /// … and of the render: how close it came to what it was asked to match, dB.
    pub to_reference_after_db: f64,
    /// Render minus the reference's integrated loudness, LU.
    pub reference_loudness_error_lu: f64,
    /// Render's true peak minus the ceiling, dB.
    pub reference_true_peak_over_db: f64,
    pub reference_titles: Vec<String>,
}

/// The distinct (loudness, ceiling) pairs of the platform data, with the keys sharing each.
pub fn distinct_targets() -> Vec<(String, MasterTarget)> {
    let mut out: Vec<(String, MasterTarget)> = Vec::new();
    for t in loudness_targets() {
        match out
            .iter_mut()
            .find(|(_, m)| m.lufs == t.lufs && m.ceiling_dbtp == t.ceiling_dbtp)
        {
            Some((keys, _)) => {
                keys.push(',');
                keys.push_str(&t.key);
            }
            None => out.push((
                t.key.clone(),
                MasterTarget {
                    name: t.name.clone(),
                    lufs: t.lufs,
                    ceiling_dbtp: t.ceiling_dbtp,
                },
            )),
        }
    }
    out
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

/// The damage of a pre-master: −8 dB, +5 dB low shelf at 100 Hz, +4 dB Q 1 at 400 Hz, −5 dB
/// high shelf at 8 kHz.
pub fn damage() -> EqSettings {
    let mut d = EqSettings::default();
    d.bands[0] = band(EqBandType::LowShelf, 100.0, 5.0, 0.7);
    d.bands[1] = band(EqBandType::Bell, 400.0, 4.0, 1.0);
    d.bands[2] = band(EqBandType::HighShelf, 8000.0, -5.0, 0.7);
    d.out_gain_db = -8.0;
    d
}

/// The central `seconds` of planar channels.
fn central(x: &[Vec<f32>], frames: usize) -> Vec<Vec<f32>> {
    let n = x[0].len();
    let want = frames.min(n);
    let start = (n - want) / 2;
    x.iter().map(|c| c[start..start + want].to_vec()).collect()
}

fn no_progress(_: usize, _: usize) {}

/// Runs the Master measures on one track.
pub fn eval_master_track(t: &Track, _k: usize, _n: usize) -> Result<MasterTrackResult, String> {
    let audio = read_audio(&t.path).map_err(|e| e.to_string())?;
    let sr = audio.sample_rate;
    let srf = sr as f32;
    let x: Vec<Vec<f32>> = audio.channels.into_iter().take(2).collect();
    let view: Vec<&[f32]> = x.iter().map(|c| c.as_slice()).collect();
    let a = MasterAnalysis::analyze(&view, srf).map_err(|e| e.to_string())?;
    let input_lufs = a.integrated_lufs.unwrap_or(f64::NAN);
    let mut targets = Vec::new();
    for (keys, target) in distinct_targets() {
        let mut s = suggest_master(
            &a,
            &target,
            &MasterAssistantOptions::default(),
            &MasterSettings::default(),
        );
        let v = master_render_verified(&mut s, &x, sr, 1.0, &mut no_progress)?;
        let t_lufs = target.lufs as f64;
        targets.push(TargetResult {
            platforms: keys,
            target_lufs: t_lufs,
            ceiling_dbtp: target.ceiling_dbtp as f64,
            first_error_lu: v.first.0.map_or(f64::NAN, |l| l - t_lufs),
            error_lu: v.last.0.map_or(f64::NAN, |l| l - t_lufs),
            true_peak_dbtp: v.last.1.unwrap_or(f64::NAN),
            passes: v.passes,
        });
    }

    // Reference mastering of a damaged excerpt, the whole track as the reference.
    let reference = MasterReference::from_analysis(&t.id, &a).ok_or("the track is silent")?;
    let clean = central(&x, (REFERENCE_EXCERPT_SECONDS * sr as f64) as usize);
    let meter_clean = third_octave_db(&clean, sr as f64);
    // How far the whole track (the reference) is from its own central excerpt: what matching
    // the reference perfectly would leave.
    let meter_whole = third_octave_db(&x, sr as f64);
    let floor = spectral_deviation_db(&meter_whole, &meter_clean);
    drop(x);
    let damaged = Settings::Eq(damage()).render(&clean, srf)?;
    let dv: Vec<&[f32]> = damaged.iter().map(|c| c.as_slice()).collect();
    let da = MasterAnalysis::analyze(&dv, srf).map_err(|e| e.to_string())?;
    let options = MasterAssistantOptions {
        reference: Some(reference.clone()),
        ..MasterAssistantOptions::default()
    };
    let target = MasterTarget::default();
    let mut s = suggest_master(&da, &target, &options, &MasterSettings::default());
    let v = master_render_verified(&mut s, &damaged, sr, 1.0, &mut no_progress)?;
    let meter_damaged = third_octave_db(&damaged, sr as f64);
    let meter_after = third_octave_db(&v.rendered, sr as f64);
    let before = spectral_deviation_db(&meter_damaged, &meter_clean);
    let after = spectral_deviation_db(&meter_after, &meter_clean);
    // The same with the undamaged excerpt itself as the reference (nothing to find but the
    // damage: a perfect match leaves 0 dB).
    let cv: Vec<&[f32]> = clean.iter().map(|c| c.as_slice()).collect();
    let ca = MasterAnalysis::analyze(&cv, srf).map_err(|e| e.to_string())?;
    let self_options = MasterAssistantOptions {
        reference: Some(MasterReference::from_analysis("excerpt", &ca).ok_or("silent excerpt")?),
        ..MasterAssistantOptions::default()
    };
    let mut ss = suggest_master(&da, &target, &self_options, &MasterSettings::default());
    let sv = master_render_verified(&mut ss, &damaged, sr, 1.0, &mut no_progress)?;
    let self_after = spectral_deviation_db(&third_octave_db(&sv.rendered, sr as f64), &meter_clean);
    let out_lufs = lufs(&v.rendered, sr).unwrap_or(f64::NAN);
    let tp = true_peak_dbtp(&v.rendered, srf).unwrap_or(f64::NAN);
    let ceiling = s
        .measurements
        .get("target_ceiling_dbtp")
        .copied()
        .unwrap_or(target.ceiling_dbtp as f64);
    Ok(MasterTrackResult {
        id: t.id.clone(),
        seconds: a.duration_s,
        input_lufs,
        input_lra_lu: a.loudness_range_lu,
        targets,
        reference_before_db: before,
        reference_after_db: after,
        reference_floor_db: floor,
        self_reference_after_db: self_after,
        to_reference_before_db: spectral_deviation_db(&meter_damaged, &meter_whole),
        to_reference_after_db: spectral_deviation_db(&meter_after, &meter_whole),
        reference_loudness_error_lu: out_lufs - reference.integrated_lufs,
        reference_true_peak_over_db: tp - ceiling,
        reference_titles: s.items.iter().map(|i| i.title.clone()).collect(),
    })
}

/// Summary over the set, with the bars of issue 16.
#[derive(Debug, Clone, Serialize)]
pub struct MasterSummary {
    pub tracks: usize,
    /// Tracks with every platform target within ±0.3 LU and the true peak at or under the
    /// ceiling.
    pub all_targets_met: usize,
    pub max_abs_error_lu: f64,
    pub max_true_peak_over_db: f64,
    /// Tracks whose first render (the simulation alone) is within ±0.5 LU on every target.
    pub first_render_within_0_5: usize,
    pub max_abs_first_error_lu: f64,
    pub reference_before_median_db: f64,
    pub reference_after_median_db: f64,
    pub reference_floor_median_db: f64,
    pub self_reference_after_median_db: f64,
    /// Medians of [`MasterTrackResult::to_reference_before_db`] and `…_after_db`.
    pub to_reference_before_median_db: f64,
    pub to_reference_after_median_db: f64,
    pub reference_loudness_within: usize,
    pub reference_true_peak_ok: usize,
}

fn target_met(t: &TargetResult) -> bool {
    t.error_lu.abs() <= TARGET_TOLERANCE_LU && t.true_peak_dbtp <= t.ceiling_dbtp + 1e-3
}

pub fn summarize(rows: &[MasterTrackResult]) -> MasterSummary {
    let all = || rows.iter().flat_map(|r| &r.targets);
    MasterSummary {
        tracks: rows.len(),
        all_targets_met: rows
            .iter()
            .filter(|r| r.targets.iter().all(target_met))
            .count(),
        max_abs_error_lu: all().map(|t| t.error_lu.abs()).fold(0.0, f64::max),
        max_true_peak_over_db: all()
            .map(|t| t.true_peak_dbtp - t.ceiling_dbtp)
            .fold(f64::NEG_INFINITY, f64::max),
        first_render_within_0_5: rows
            .iter()
            .filter(|r| r.targets.iter().all(|t| t.first_error_lu.abs() <= 0.5))
            .count(),
        max_abs_first_error_lu: all().map(|t| t.first_error_lu.abs()).fold(0.0, f64::max),
        reference_before_median_db: median(rows.iter().map(|r| r.reference_before_db).collect()),
        reference_after_median_db: median(rows.iter().map(|r| r.reference_after_db).collect()),
        reference_floor_median_db: median(rows.iter().map(|r| r.reference_floor_db).collect()),
        self_reference_after_median_db: median(
            rows.iter().map(|r| r.self_reference_after_db).collect(),
        ),
        to_reference_before_median_db: median(
            rows.iter().map(|r| r.to_reference_before_db).collect(),
        ),
        to_reference_after_median_db: median(
            rows.iter().map(|r| r.to_reference_after_db).collect(),
        ),
        reference_loudness_within: rows
            .iter()
            .filter(|r| r.reference_loudness_error_lu.abs() <= REFERENCE_TOLERANCE_LU)
            .count(),
        reference_true_peak_ok: rows
            .iter()
            .filter(|r| r.reference_true_peak_over_db <= 1e-3)
            .count(),
    }
}

/// True when every bar of the Master table is met.
pub fn passes(s: &MasterSummary) -> bool {
    let n = s.tracks;
    s.all_targets_met == n
        && s.reference_after_median_db <= REFERENCE_MAX_DEVIATION_DB
        && s.reference_loudness_within == n
        && s.reference_true_peak_ok == n
}

/// The readable tables.
pub fn print_table(rows: &[MasterTrackResult], s: &MasterSummary) {
    let pass = |ok: bool| if ok { "ok" } else { "MISS" };
    let n = s.tracks;
    let heads = rows.first().map(|r| r.targets.clone()).unwrap_or_default();
    println!(
        "Master assistant, `tandem master` on {} whole tracks: final (first render) loudness error, LU; true peak over the ceiling",
        rows.len()
    );
    print!("{:<22} {:>7} {:>5}", "track", "in LUFS", "LRA");
    for h in &heads {
        print!(
            " {:>16}",
            format!("{:.0}/{:.0}", h.target_lufs, h.ceiling_dbtp)
        );
    }
    println!(" {:>7}", "TP over");
    for r in rows {
        print!("{:<22} {:>7.1} {:>5.1}", r.id, r.input_lufs, r.input_lra_lu);
        for t in &r.targets {
            print!(
                " {:>16}",
                format!(
                    "{:+.2} ({:+.2}){}",
                    t.error_lu,
                    t.first_error_lu,
                    if t.passes > 1 { "*" } else { "" }
                )
            );
        }
        let over = r
            .targets
            .iter()
            .map(|t| t.true_peak_dbtp - t.ceiling_dbtp)
            .fold(f64::NEG_INFINITY, f64::max);
        println!(" {over:>7.2}");
    }
    println!(
        "(* corrected after rendering the whole file; targets: {})",
        {
            let v: Vec<String> = heads
                .iter()
                .map(|h| {
                    format!(
                        "{:.0}/{:.0} = {}",
                        h.target_lufs, h.ceiling_dbtp, h.platforms
                    )
                })
                .collect();
            v.join("; ")
        }
    );
    println!();
    println!(
        "Reference mastering: the central {REFERENCE_EXCERPT_SECONDS:.0} s made worse, the whole track as reference"
    );
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9} {:>12}",
        "track", "before dB", "after dB", "floor dB", "dLU", "TP over", "self ref", "to ref dB"
    );
    for r in rows {
        println!(
            "{:<22} {:>9.2} {:>9.2} {:>9.2} {:>8.2} {:>8.2} {:>9.2} {:>5.2} > {:.2}",
            r.id,
            r.reference_before_db,
            r.reference_after_db,
            r.reference_floor_db,
            r.reference_loudness_error_lu,
            r.reference_true_peak_over_db,
            r.self_reference_after_db,
            r.to_reference_before_db,
            r.to_reference_after_db
        );
    }
    println!();
    println!(
        "platform targets: every target within {TARGET_TOLERANCE_LU} LU and true peak <= ceiling on {}/{} (largest error {:.2} LU, largest true peak over the ceiling {:+.2} dB) [{}]",
        s.all_targets_met,
        n,
        s.max_abs_error_lu,
        s.max_true_peak_over_db,
        pass(s.all_targets_met == n)
    );
    println!(
        "the suggestion as simulated (first render) within 0.5 LU on every target: {}/{} (largest {:.2} LU)",
        s.first_render_within_0_5, n, s.max_abs_first_error_lu
    );
    println!(
        "reference mastering: median deviation {:.2} dB from {:.2} (bar {REFERENCE_MAX_DEVIATION_DB}; the whole track itself is {:.2} dB from the excerpt) [{}]; loudness within {REFERENCE_TOLERANCE_LU} LU on {}/{} [{}]; true peak <= ceiling on {}/{} [{}]",
        s.reference_after_median_db,
        s.reference_before_median_db,
        s.reference_floor_median_db,
        pass(s.reference_after_median_db <= REFERENCE_MAX_DEVIATION_DB),
        s.reference_loudness_within,
        n,
        pass(s.reference_loudness_within == n),
        s.reference_true_peak_ok,
        n,
        pass(s.reference_true_peak_ok == n)
    );
    println!(
        "with the undamaged excerpt itself as the reference (a perfect match leaves 0): median deviation {:.2} dB",
        s.self_reference_after_median_db
    );
    println!(
        "measured against the reference itself (the whole track, what the assistant matches): median deviation {:.2} dB before, {:.2} dB after",
        s.to_reference_before_median_db, s.to_reference_after_median_db
    );
}

/// Runs the Master evaluation over `dir` on two threads.
pub fn run(dir: &Path, only: &[String]) -> Result<Vec<MasterTrackResult>, String> {
    run_tracks(dir, only, eval_master_track)
}
