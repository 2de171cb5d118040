//! Resonances: narrow peaks that stay at one frequency while the music moves.
//!
//! A held note, a drone and the partials of a bass line are peaks too; an engineer does not
//! cut them. A peak of the 1/24-octave curve is proposed for a narrow cut only when all of this
//! holds (each a measured fact, quoted in the reason):
//! - it stands at least [`MIN_EXCESS_DB`] above its surrounding 2/3 octave over everything heard
//!   and by [`SEGMENT_EXCESS_DB`] in at least [`MIN_PERSISTENCE`] of the song's 4–8 segments;
//! - the music around it moved: the typical segment-to-segment spread of the fine curve's excess
//!   is at least [`MIN_MUSIC_MOTION_DB`] (in a static drone or a held chord a fixed peak cannot be
//!   told from a note, so nothing is cut);
//! - it is wider than a steady tone: at half its excess it spans at least
//!   [`MIN_WIDTH_OCT`] octave (a sustained sine reads about 0.07 octave at half its excess on the
//!   1/24-octave curve);
//! - it is as steady as the music around it: the segment-to-segment spread of its excess is at
//!   most [`MAX_SPREAD_FACTOR`] times the music's typical spread (a note comes and goes, so its
//!   excess spreads more);
//! - it is not a partial of a tracked fundamental: not two or more stronger steady peaks at ½,
//!   ⅓ or ¼ of its frequency;
//! - below [`LOW_LIMIT_HZ`] only with strong evidence (twice the excess, in 90 % of the segments).
//!
//! The cut is half the excess, at most [`MAX_CUT_DB`] (and the band cap), with the Q of the
//! measured width (2–12).

use super::*;

/// A fine point must stand this far above its envelope (dB) over the whole analysis.
pub const MIN_EXCESS_DB: f32 = 5.0;
/// The share of the song's segments in which it must have stood out.
pub const MIN_PERSISTENCE: f32 = 0.75;
/// Excess (dB) a fine point must show in a segment to count as standing out there.
pub const SEGMENT_EXCESS_DB: f32 = 3.0;
/// Segments needed before any resonance is proposed (8 s of music at the start).
pub const MIN_SEGMENTS: usize = 4;
/// The typical (median) segment-to-segment spread of the excess (dB, 150 Hz–5 kHz) below which
/// the music is too static to tell a resonance from a note.
pub const MIN_MUSIC_MOTION_DB: f32 = 0.75;
/// A peak whose excess spreads over the windows more than this many times the music's
/// typical spread comes and goes with the notes.
pub const MAX_SPREAD_FACTOR: f32 = 1.25;
/// A peak narrower than this (octaves at half its excess) is a steady tone.
pub const MIN_WIDTH_OCT: f64 = 0.08;
/// Below this frequency (Hz), only with strong evidence.
pub const LOW_LIMIT_HZ: f32 = 150.0;
/// The deepest resonance cut by default (dB).
pub const MAX_CUT_DB: f64 = 4.0;

/// A detected resonance.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resonance {
    pub(super) freq_hz: f64,
    pub(super) excess_db: f64,
    pub(super) q: f64,
    /// Share of the 2-second windows in which it stood out (the confidence's evidence).
    pub(super) persistence: f64,
    /// Share of the song's segments in which it stood out (the criterion the reason quotes).
    pub(super) segment_share: f64,
    pub(super) width_oct: f64,
}

/// Per fine point over the song's segments: (share of segments in which it stood at least
/// [`SEGMENT_EXCESS_DB`] above its envelope, standard deviation of its excess in dB). Empty
/// with fewer than [`MIN_SEGMENTS`] segments.
pub(super) fn segment_stats(a: &EqAnalysisResult) -> Vec<(f32, f32)> {
    let segs: Vec<Vec<f32>> = a
        .segment_fine_db
        .iter()
        .filter(|s| s.len() == a.fine_center_hz.len())
        .map(|s| fine_excess_db(s))
        .collect();
    if segs.len() < MIN_SEGMENTS {
        return Vec::new();
    }
    let n = segs.len() as f32;
    (0..a.fine_center_hz.len())
        .map(|i| {
            let v: Vec<f32> = segs.iter().map(|s| s[i]).collect();
            let share = v.iter().filter(|e| **e >= SEGMENT_EXCESS_DB).count() as f32 / n;
            let m = v.iter().sum::<f32>() / n;
            let sd = (v.iter().map(|e| (e - m) * (e - m)).sum::<f32>() / n).sqrt();
            (share, sd)
        })
        .collect()
}

/// The music's motion over the song: the median over 150 Hz–5 kHz of the segment spread.
pub(super) fn segment_motion_db(a: &EqAnalysisResult, stats: &[(f32, f32)]) -> Option<f32> {
    if stats.len() != a.fine_center_hz.len() || stats.is_empty() {
        return None;
    }
    let v: Vec<f32> = a
        .fine_center_hz
        .iter()
        .zip(stats)
        .filter(|(f, _)| (150.0..=5000.0).contains(*f))
        .map(|(_, s)| s.1)
        .collect();
    Some(median(&v))
}

pub(super) fn find_resonances(a: &EqAnalysisResult, max: usize) -> Vec<Resonance> {
    let f = &a.fine_center_hz;
    let d = &a.fine_db;
    if max == 0 || f.len() < 5 || d.len() != f.len() || a.windows < 2 {
        return Vec::new();
    }
    let stats = segment_stats(a);
    let motion = match segment_motion_db(a, &stats) {
        Some(m) if m >= MIN_MUSIC_MOTION_DB => m,
        _ => return Vec::new(),
    };
    let excess = fine_excess_db(d);
    let peak = d.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let top = (0.4 * a.sample_rate_hz).min(16_000.0);
    let persistence = |i: usize| a.fine_persistence.get(i).copied().unwrap_or(0.0);
    // Every persistent local peak, for the partial check.
    let peaks: Vec<usize> = (1..f.len() - 1)
        .filter(|&i| {
            excess[i] >= PERSIST_EXCESS_DB
                && excess[i] >= excess[i - 1]
                && excess[i] >= excess[i + 1]
                && persistence(i) >= 0.5
        })
        .collect();
    let mut found: Vec<Resonance> = Vec::new();
    for &i in &peaks {
        let e = excess[i];
        let strong = e >= 2.0 * MIN_EXCESS_DB && stats[i].0 >= 0.9;
        if !(60.0..=top).contains(&f[i])
            || (f[i] < LOW_LIMIT_HZ && !strong)
            || e < MIN_EXCESS_DB
            || stats[i].0 < MIN_PERSISTENCE
            || d[i] < peak - NOISE_FLOOR_BELOW_PEAK_DB
        {
            continue;
        }
        // A note comes and goes with the music: its excess spreads more than the music's
        // typical spread. A resonance is there whenever the music is.
        if stats[i].1 > MAX_SPREAD_FACTOR * motion {
            continue;
        }
        // A partial of a tracked fundamental: two or more stronger steady peaks at ½, ⅓ or ¼
        // of its frequency.
        let related = peaks
            .iter()
            .filter(|&&j| {
                j != i
                    && excess[j] >= e
                    && [0.5f32, 1.0 / 3.0, 0.25]
                        .iter()
                        .any(|r| (f[j] / (f[i] * r)).log2().abs() <= 0.5 / FINE_FRACTION)
            })
            .count();
        if related >= 2 {
            continue;
        }
        // Parabolic interpolation of the peak in log frequency.
        let (y0, y1, y2) = (d[i - 1] as f64, d[i] as f64, d[i + 1] as f64);
        let den = y0 - 2.0 * y1 + y2;
        let off = if den < 0.0 {
            (0.5 * (y0 - y2) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let freq_hz = f[i] as f64 * (off / FINE_FRACTION as f64).exp2();
        // Width at half the excess.
        let half = e / 2.0;
        let edge = |dir: isize| -> f64 {
            let mut j = i as isize;
            loop {
                let n = j + dir;
                if n < 0 || n as usize >= f.len() {
                    return (j - i as isize).unsigned_abs() as f64;
                }
                if excess[n as usize] < half {
                    let (a0, a1) = (excess[j as usize] as f64, excess[n as usize] as f64);
                    let t = ((a0 - half as f64) / (a0 - a1).max(1e-9)).clamp(0.0, 1.0);
                    return (j - i as isize).unsigned_abs() as f64 + t;
                }
                j = n;
            }
        };
        let width_oct = (edge(-1) + edge(1)) / FINE_FRACTION as f64;
        if width_oct < MIN_WIDTH_OCT {
            continue;
        }
        let q = q_from_bandwidth(width_oct.max(1e-3)).clamp(2.0, 12.0);
        found.push(Resonance {
            freq_hz,
            excess_db: e as f64,
            q,
            persistence: persistence(i) as f64,
            segment_share: stats[i].0 as f64,
            width_oct,
        });
    }
    found.sort_by(|a, b| b.excess_db.total_cmp(&a.excess_db));
    let mut kept: Vec<Resonance> = Vec::new();
    for r in found {
        if kept
            .iter()
            .all(|k| (r.freq_hz / k.freq_hz).log2().abs() > 1.0 / 3.0)
        {
            kept.push(r);
        }
        if kept.len() >= max {
            break;
        }
    }
    kept
}

/// Stage 3: narrow cuts for the resonances found (at most 2, and only while bands are free).
#[allow(clippy::too_many_arguments)]
pub(super) fn propose_resonances(
    a: &EqAnalysisResult,
    options: &EqAssistantOptions,
    grid: &Grid,
    residual: &mut [f64],
    budget: &mut usize,
    proposals: &mut Vec<Proposal>,
    s: &mut Suggestion,
    evidence: f32,
    cap: f64,
) {
    if let Some(m) = segment_motion_db(a, &segment_stats(a)) {
        s.measurements.insert("music_motion_db".into(), m as f64);
    }
    let found = if options.detect_resonances {
        find_resonances(a, (*budget).min(2))
    } else {
        Vec::new()
    };
    s.measurements
        .insert("resonances_found".into(), found.len() as f64);
    for r in &found {
        let depth = (r.excess_db / 2.0).min(MAX_CUT_DB).min(cap);
        let band = make_band(
            EqBandType::Bell,
            round_sig(r.freq_hz, 3),
            -(depth * 10.0).round() / 10.0,
            (r.q * 10.0).round() / 10.0,
        );
        add(residual, &grid.band_averaged_response(&band));
        *budget = budget.saturating_sub(1);
        proposals.push(Proposal {
            band,
            role: "resonance",
            reason: format!(
                "peak at {} stands {:.1} dB above the surrounding spectrum (1/24-octave \
                 analysis), stood out in {:.0} % of the song's segments while the music around \
                 it moved, {:.2} octave wide (wider than a held note) and no partial of another \
                 steady peak: a resonance, cut by half its excess",
                fmt_hz(r.freq_hz),
                r.excess_db,
                100.0 * r.segment_share,
                r.width_oct
            ),
            confidence: resonance_confidence(evidence, r.persistence, r.excess_db),
            local_error_db: None,
        });
    }
}
