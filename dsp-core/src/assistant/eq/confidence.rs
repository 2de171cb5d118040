//! Confidence from evidence: how much of the song was heard, whether each move is needed in
//! every part of it (the 4–8 contiguous segments of [`EqAnalysisResult::segment_band_db`]),
//! whether a cap bound it, and what kind of move and target it is.

use super::*;

/// Seconds of heard audio after which the amount of evidence counts as complete.
pub const FULL_CONFIDENCE_SECONDS: f32 = 30.0;
/// Factor for boosts (cuts before boosts: a boost is the less certain move).
pub const BOOST_FACTOR: f32 = 0.85;
/// Factor for items aimed at a hand-drawn (heuristic) target.
pub const HEURISTIC_TARGET_FACTOR: f32 = 0.8;
/// Factor when the band cap bound the move (the fit wanted more than it may give).
pub const CAPPED_FACTOR: f32 = 0.9;

/// How much audio was heard, 0–1.
pub(super) fn evidence(a: &EqAnalysisResult) -> f32 {
    let heard = if a.heard_seconds.is_finite() {
        a.heard_seconds.max(0.0)
    } else {
        0.0
    };
    (heard / FULL_CONFIDENCE_SECONDS).clamp(0.0, 1.0).sqrt()
}

/// The share (0–1) of segments whose own local error agrees with `full` (the whole
/// analysis'): same direction and within max(1 dB, 35 % of it). 0.5 without segments.
pub(super) fn segment_agreement(
    a: &EqAnalysisResult,
    target: &Target,
    fixed: &[BandSettings],
    band: &BandSettings,
    full: f64,
) -> (f32, Vec<f64>) {
    let sr = a.sample_rate_hz as f64;
    let mut locals = Vec::new();
    for seg in &a.segment_band_db {
        if seg.len() != a.band_center_hz.len() {
            continue;
        }
        let Some(d) = deviation(&a.band_center_hz, seg, sr, target, fixed) else {
            continue;
        };
        let resp = d.grid.response(band);
        if let Some(l) = local_error(&d.grid, &d.excess, &resp) {
            locals.push(l);
        }
    }
    if locals.len() < 2 {
        return (0.5, locals);
    }
    let tol = (0.35 * full.abs()).max(1.0);
    let agree = locals
        .iter()
        .filter(|l| l.signum() == full.signum() && l.abs() > 0.0 && (*l - full).abs() <= tol)
        .count();
    (agree as f32 / locals.len() as f32, locals)
}

/// The confidence of a tonal band: evidence × agreement² × the factors above.
pub(super) fn tonal_confidence(
    evidence: f32,
    agreement: f32,
    boost: bool,
    measured_target: bool,
    capped: bool,
) -> f32 {
    let mut c = evidence * agreement * agreement;
    if boost {
        c *= BOOST_FACTOR;
    }
    if !measured_target {
        c *= HEURISTIC_TARGET_FACTOR;
    }
    if capped {
        c *= CAPPED_FACTOR;
    }
    c.clamp(0.0, 1.0)
}

/// The confidence of a resonance cut: evidence × how persistently it stood out × how far
/// (excess over 8 dB counts fully).
pub(super) fn resonance_confidence(evidence: f32, persistence: f64, excess_db: f64) -> f32 {
    (evidence as f64 * persistence * (excess_db / 8.0).min(1.0)).clamp(0.0, 1.0) as f32
}
