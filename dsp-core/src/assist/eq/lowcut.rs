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
