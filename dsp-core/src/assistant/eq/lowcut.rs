//! The low cut: sub-30 Hz rumble, told apart from musical low notes.

use super::*;

/// Rumble measurement: (16–28 Hz band level − 40–80 Hz band level in dB, the same difference of
/// the target in dB, spectral flatness 0–1 of the 10–30 Hz bins).
pub(super) fn rumble(a: &EqAnalysisResult, target: &Target) -> Option<(f64, f64, f64)> {
    let mean_db = |lo: f32, hi: f32, f: &dyn Fn(usize) -> f32| -> Option<f64> {
        let idx: Vec<usize> = (0..a.band_center_hz.len())
            .filter(|&i| (lo..=hi).contains(&a.band_center_hz[i]))
            .collect();
        if idx.is_empty() {
            return None;
        }
        let p: f64 = idx
            .iter()
            .map(|&i| 10f64.powf(f(i) as f64 / 10.0))
            .sum::<f64>()
            / idx.len() as f64;
        Some(10.0 * p.max(1e-30).log10())
    };
    let meas = |i: usize| a.band_db[i];
    let tgt = |i: usize| target.db_at(a.band_center_hz[i]);
    let sub = mean_db(15.5, 28.5, &meas)?;
    let reference = mean_db(40.0, 80.0, &meas)?;
    let t_sub = mean_db(15.5, 28.5, &tgt)?;
    let t_ref = mean_db(40.0, 80.0, &tgt)?;
    let bins: Vec<f64> = a
        .low_bin_db
        .iter()
        .enumerate()
        .filter(|(k, _)| (10.0..=30.0).contains(&(*k as f32 * a.bin_spacing_hz)))
        .map(|(_, d)| 10f64.powf(*d as f64 / 10.0).max(1e-30))
        .collect();
    if bins.len() < 2 {
        return None;
    }
    let am = bins.iter().sum::<f64>() / bins.len() as f64;
    let gm = (bins.iter().map(|p| p.ln()).sum::<f64>() / bins.len() as f64).exp();
    Some((sub - reference, t_sub - t_ref, (gm / am).clamp(0.0, 1.0)))
}

/// Stage 2: a 24 dB/oct low cut at 30 Hz when the 16–28 Hz bands hold more energy than
/// 40–80 Hz (+3 dB, or +1 dB and 12 dB more than the target expects) and that energy is noise-like
/// (spectral flatness of the 10–30 Hz bins ≥ 0.3): rumble, not a musical low note.
#[allow(clippy::too_many_arguments)]
pub(super) fn propose_low_cut(
    a: &EqAnalysisResult,
    target: &Target,
    options: &EqAssistantOptions,
    grid: &Grid,
    residual: &mut [f64],
    budget: &mut usize,
    proposals: &mut Vec<Proposal>,
    s: &mut Suggestion,
    evidence: f32,
) {
    let Some((excess, t_excess, flatness)) = rumble(a, target) else {
        return;
    };
    s.measurements.insert("sub30_excess_db".into(), excess);
    s.measurements.insert("sub30_flatness".into(), flatness);
    let over_target = excess - t_excess;
    if !(options.suggest_low_cut
        && *budget > 0
        && flatness >= 0.3
        && (excess >= 3.0 || (over_target >= 12.0 && excess >= 1.0)))
    {
        return;
    }
    let mut band = make_band(EqBandType::LowCut, 30.0, 0.0, 0.707);
    band.slope_db_oct = 24.0;
    // The cut is meant: the fit does not try to make up for it below 35 Hz.
    for (r, f) in residual.iter_mut().zip(&grid.freq_hz) {
        if *f < 35.0 {
            *r = 0.0;
        }
    }
    *budget -= 1;
    proposals.push(Proposal {
        band,
        role: "lowcut",
        reason: format!(
            "{:.1} dB more energy in 16–28 Hz than in 40–80 Hz ({:.1} dB more than the {} \
             target has there), and noise-like (spectral flatness {:.2}): rumble below the \
             music, not musical content",
            excess, over_target, target.name, flatness
        ),
        confidence: (evidence as f64 * (0.5 + (excess.max(over_target) / 24.0)).min(1.0)) as f32,
        local_error_db: None,
    });
}
