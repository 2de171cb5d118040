//! Resonances: narrow peaks that stay at one frequency while the music moves.

use super::*;

/// A detected resonance.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resonance {
    pub(super) freq_hz: f64,
    pub(super) excess_db: f64,
    pub(super) q: f64,
    pub(super) persistence: f64,
}

pub(super) fn find_resonances(a: &EqAnalysisResult, max: usize) -> Vec<Resonance> {
    let f = &a.fine_center_hz;
    let d = &a.fine_db;
    if f.len() < 5 || d.len() != f.len() {
        return Vec::new();
    }
    let excess = fine_excess_db(d);
    let peak = d.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let top = (0.4 * a.sample_rate_hz).min(16_000.0);
    let mut found: Vec<Resonance> = Vec::new();
    for i in 1..f.len() - 1 {
        let e = excess[i];
        if !(60.0..=top).contains(&f[i])
            || e < 6.0
            || e < excess[i - 1]
            || e < excess[i + 1]
            || d[i] < peak - NOISE_FLOOR_BELOW_PEAK_DB
        {
            continue;
        }
        let persistence = if a.windows >= 2 {
            a.fine_persistence.get(i).copied().unwrap_or(0.0) as f64
        } else {
            1.0
        };
        if persistence < 0.5 {
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
        // Half-excess width.
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
        let bw_oct = (edge(-1) + edge(1)) / FINE_FRACTION as f64;
        let q = q_from_bandwidth(bw_oct.max(1e-3)).clamp(6.0, 12.0);
        found.push(Resonance {
            freq_hz,
            excess_db: e as f64,
            q,
            persistence,
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
