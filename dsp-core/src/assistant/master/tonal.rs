//! The broad tonal fit: four sections (low shelf, low-mid bell, presence bell, high shelf)
//! towards the target curve, and the proposal's tonal stage.

use super::suggest::{fmt_db, item};
use super::targets::{MasterAssistantOptions, MasterReference};
use crate::assistant::eq::EqAnalysisResult;
use crate::assistant::targets::{Target, TargetId};
use crate::assistant::SuggestionItem;
use crate::chains::master::{MasterChain, MasterSettings};
use crate::chains::Chain;

/// The four broad sections the assistant moves: (param prefix, display name, frequency, Q).
const TONAL_SECTIONS: [(&str, &str, f32, f32); 4] = [
    ("ls", "low shelf", 100.0, 0.7),
    ("bell1", "low-mid bell", 300.0, 0.7),
    ("bell2", "presence bell", 3000.0, 0.7),
    ("hs", "high shelf", 8000.0, 0.7),
];

/// Least-squares gains (dB) of the four sections that bring the band curve towards the target,
/// each clamped to ±`max_db`; plus the per-section measured deviation (dB, mix − target, averaged
/// over the section's main region) for the reasons, and the sections' (frequency, Q).
///
/// With `search` (reference mode: the target is a measured song, not a taste prior), each
/// section's frequency and Q are also chosen, by coordinate descent over a small grid within the
/// section's region (still broad: Q 0.5–1.4), to leave the smallest weighted residual; only the
/// bands where the target has content count.
fn fit_tonal(
    tonal: &EqAnalysisResult,
    target: &Target,
    max_db: f32,
    sr: f32,
    search: bool,
) -> Option<TonalFit> {
    if !search {
        return fit_corridor(tonal, target, max_db, sr);
    }
    let (lo_hz, hi_hz) = target.valid_hz.unwrap_or((0.0, f32::INFINITY));
    let bands: Vec<(f32, f32)> = tonal
        .band_center_hz
        .iter()
        .zip(&tonal.band_db)
        .filter(|(f, d)| **f >= 30.0 && **f <= 16_000.0 && f.is_finite() && d.is_finite())
        .filter(|(f, _)| !search || (lo_hz..=hi_hz).contains(*f))
        .map(|(f, d)| (*f, *d))
        .collect();
    if bands.len() < 8 {
        return None;
    }
    let peak = bands.iter().map(|b| b.1).fold(f32::NEG_INFINITY, f32::max);
    let bands: Vec<(f32, f32)> = bands.into_iter().filter(|b| b.1 > peak - 60.0).collect();
    let mut diff: Vec<(f32, f32, f64)> = bands
        .iter()
        .map(|&(f, d)| {
            let w = if (40.0..=12_000.0).contains(&f) {
                1.0
            } else {
                0.5
            };
            (f, d - target.db_at(f), w)
        })
        .collect();
    let mids: Vec<f32> = diff
        .iter()
        .filter(|(f, _, _)| (200.0..=5000.0).contains(f))
        .map(|d| d.1)
        .collect();
    if mids.is_empty() {
        return None;
    }
    let offset = mids.iter().sum::<f32>() / mids.len() as f32;
    diff.iter_mut().for_each(|d| d.1 -= offset);
    let mut shape: [(f32, f32); 4] = TONAL_SECTIONS.map(|(_, _, f, q)| (f, q));
    let limits = [max_db; 4];
    let (mut gains, mut residual) = solve_sections(&diff, &shape, limits, sr)?;
    if search {
        for _ in 0..2 {
            for k in 0..4 {
                let (lo, hi) = SEARCH_HZ[k];
                let mut best = (residual, shape[k], gains);
                for step in 0..=8 {
                    let f = lo * (hi / lo).powf(step as f32 / 8.0);
                    for q in [0.5f32, 0.7, 1.0, 1.4] {
                        // Shelves keep their Q.
                        if (k == 0 || k == 3) && q != 0.7 {
                            continue;
                        }
                        let mut trial = shape;
                        trial[k] = (f, q);
                        if let Some((g, r)) = solve_sections(&diff, &trial, limits, sr) {
                            if r < best.0 - 1e-9 {
                                best = (r, (f, q), g);
                            }
                        }
                    }
                }
                residual = best.0;
                shape[k] = best.1;
                gains = best.2;
            }
        }
    }
    // Measured deviation per region, for the reasons.
    let regions = [
        (30.0, 120.0),
        (180.0, 500.0),
        (1500.0, 5000.0),
        (6000.0, 16_000.0),
    ];
    let mut dev = [0.0f32; 4];
    for (k, (lo, hi)) in regions.iter().enumerate() {
        let v: Vec<f32> = diff
            .iter()
            .filter(|(f, _, _)| f >= lo && f <= hi)
            .map(|d| d.1)
            .collect();
        dev[k] = if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f32>() / v.len() as f32
        };
    }
    Some(TonalFit {
        gains,
        deviation: dev,
        shape,
        corridor: false,
    })
}

/// The generic-mode fit: the four sections at their fixed shapes, least squares on what lies
/// outside the target's corridor after the EQ assistant's level anchor
/// ([`crate::assistant::eq::level_anchor`], weighted where the music's energy is) with the EQ's
/// fitting weights, so Tandem Master and Tandem EQ quote the same error for the same music. A
/// section whose boost would aim into content far below the corridor (a rolled-off sub, an
/// empty top) is left out and the others solved again. Each section's deviation is the error
/// it acts on: the excess averaged over the grid weighted by its own response.
fn fit_corridor(
    tonal: &EqAnalysisResult,
    target: &Target,
    max_db: f32,
    sr: f32,
) -> Option<TonalFit> {
    let e = crate::assistant::eq::corridor_error(
        &tonal.band_center_hz,
        &tonal.band_db,
        sr as f64,
        target,
    )?;
    let diff: Vec<(f32, f32, f64)> = e
        .freq_hz
        .iter()
        .zip(&e.excess)
        .zip(&e.weight)
        .filter(|((f, _), w)| **w > 0.0 && (30.0..=16_000.0).contains(*f))
        .map(|((f, x), w)| (*f as f32, *x as f32, *w))
        .collect();
    if diff.len() < 8 {
        return None;
    }
    let shape: [(f32, f32); 4] = TONAL_SECTIONS.map(|(_, _, f, q)| (f, q));
    let mut deviation = [0.0f32; 4];
    for (k, d) in deviation.iter_mut().enumerate() {
        let (mut sum, mut wsum) = (0.0f64, 0.0f64);
        for ((f, x), w) in e.freq_hz.iter().zip(&e.excess).zip(&e.weight) {
            let r = section_db(k, shape[k], *f as f32, sr).abs() * w;
            sum += r * x;
            wsum += r;
        }
        *d = if wsum > 1e-9 {
            (sum / wsum) as f32
        } else {
            0.0
        };
    }
    let mut limits = [max_db; 4];
    let mut gains = [0.0f32; 4];
    for _ in 0..=4 {
        gains = solve_sections(&diff, &shape, limits, sr)?.0;
        // Left out, one at a time (the others solved again): a boost into a hole, then a
        // section moved where the mix sits (nearly) inside the corridor or against its own
        // error (the least squares borrowing from a neighbour's region).
        let into_hole = (0..4).find(|&k| {
            gains[k] > 0.0
                && e.holes_hz
                    .iter()
                    .any(|&h| section_db(k, shape[k], h as f32, sr) >= 0.5)
        });
        let unneeded = || {
            (0..4)
                .filter(|&k| {
                    gains[k] != 0.0
                        && (deviation[k].abs() < MIN_SECTION_ERROR_DB
                            || gains[k] * deviation[k] > 0.0)
                })
                .min_by(|&a, &b| deviation[a].abs().total_cmp(&deviation[b].abs()))
        };
        match into_hole.or_else(unneeded) {
            Some(k) => limits[k] = 0.0,
            None => break,
        }
    }
    Some(TonalFit {
        gains,
        deviation,
        shape,
        corridor: true,
    })
}

/// A section is moved only where the error it acts on (outside the corridor) is at least this, dB.
pub const MIN_SECTION_ERROR_DB: f32 = 0.5;

/// Response (dB) of section `k` at (frequency, Q) `shape` with 1 dB of gain, at `f` Hz.
fn section_db(k: usize, shape: (f32, f32), f: f32, sr: f32) -> f64 {
    let (freq, q) = (shape.0 as f64, shape.1 as f64);
    let spec = match k {
        0 => crate::filters::FilterSpec::low_shelf(freq, 1.0, q),
        3 => crate::filters::FilterSpec::high_shelf(freq, 1.0, q),
        _ => crate::filters::FilterSpec::bell(freq, 1.0, q),
    };
    spec.magnitude_db(f as f64, sr as f64)
}

/// What [`fit_tonal`] found.
struct TonalFit {
    /// Gain of each section, dB (rounded to 0.1).
    gains: [f32; 4],
    /// Generic mode: the error outside the corridor each section acts on; reference mode:
    /// mix − reference over each section's main region (mids aligned); dB.
    deviation: [f32; 4],
    /// (frequency Hz, Q) of each section.
    shape: [(f32, f32); 4],
    /// True for the generic-mode fit on the corridor ([`fit_corridor`]).
    corridor: bool,
}

/// The frequency range each section's frequency is searched over in reference mode, Hz.
const SEARCH_HZ: [(f32, f32); 4] = [
    (60.0, 250.0),
    (150.0, 800.0),
    (1000.0, 6000.0),
    (4000.0, 12_000.0),
];

/// Least-squares gains of the sections at `shape` for the deviation `diff` (Hz, dB, weight),
/// each clamped to ±`limits[k]` (the clamped ones held and the others solved again), rounded to
/// 0.1 dB; with the weighted squared residual.
fn solve_sections(
    diff: &[(f32, f32, f64)],
    shape: &[(f32, f32); 4],
    limits: [f32; 4],
    sr: f32,
) -> Option<([f32; 4], f64)> {
    // Basis: dB response per dB of gain.
    let basis: Vec<[f64; 4]> = diff
        .iter()
        .map(|&(f, _, _)| {
            let mut row = [0.0; 4];
            for (k, &(freq, q)) in shape.iter().enumerate() {
                let spec = match k {
                    0 => crate::filters::FilterSpec::low_shelf(freq as f64, 3.0, q as f64),
                    3 => crate::filters::FilterSpec::high_shelf(freq as f64, 3.0, q as f64),
                    _ => crate::filters::FilterSpec::bell(freq as f64, 3.0, q as f64),
                };
                row[k] = spec.magnitude_db(f as f64, sr as f64) / 3.0;
            }
            row
        })
        .collect();
    let ridge = 0.05 * diff.len() as f64 * 0.1;
    let mut fixed: [Option<f64>; 4] = [None; 4];
    let mut g = [0.0f64; 4];
    for _ in 0..3 {
        // Normal equations with a small ridge; held sections enter as known terms.
        let mut a = [[0.0f64; 4]; 4];
        let mut b = [0.0f64; 4];
        for (row, &(_, d, w)) in basis.iter().zip(diff) {
            let known: f64 = (0..4).filter_map(|k| fixed[k].map(|v| v * row[k])).sum();
            for i in 0..4 {
                if fixed[i].is_some() {
                    continue;
                }
                b[i] += w * row[i] * -(d as f64 + known);
                for j in 0..4 {
                    if fixed[j].is_none() {
                        a[i][j] += w * row[i] * row[j];
                    }
                }
            }
        }
        for (i, r) in a.iter_mut().enumerate() {
            r[i] += if fixed[i].is_some() { 1.0 } else { ridge };
        }
        let sol = solve4(a, b)?;
        let mut changed = false;
        for k in 0..4 {
            g[k] = fixed[k].unwrap_or(sol[k]);
            let max_db = limits[k] as f64;
            if fixed[k].is_none() && g[k].abs() > max_db {
                fixed[k] = Some(g[k].clamp(-max_db, max_db));
                g[k] = fixed[k].unwrap_or(g[k]);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut gains = [0.0f32; 4];
    for k in 0..4 {
        let v = (g[k] as f32).clamp(-limits[k], limits[k]);
        gains[k] = (v * 10.0).round() / 10.0;
    }
    let residual = basis
        .iter()
        .zip(diff)
        .map(|(row, &(_, d, w))| {
            let e = d as f64 + (0..4).map(|k| gains[k] as f64 * row[k]).sum::<f64>();
            w * e * e
        })
        .sum();
    Some((gains, residual))
}

/// Solves a 4×4 system by Gaussian elimination with partial pivoting.
#[allow(clippy::needless_range_loop)]
fn solve4(mut a: [[f64; 4]; 4], mut b: [f64; 4]) -> Option<[f64; 4]> {
    for c in 0..4 {
        let p = (c..4).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..4 {
            let f = a[r][c] / a[c][c];
            for k in c..4 {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; 4];
    for c in (0..4).rev() {
        let s: f64 = (c + 1..4).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The tonal stage: the fitted sections as items (set into `s`), towards the reference's curve,
/// the options' target or Balanced.
pub(super) fn tonal_stage(
    tonal: &EqAnalysisResult,
    reference: Option<&MasterReference>,
    options: &MasterAssistantOptions,
    s: &mut MasterSettings,
    evidence: f32,
    sr: f32,
) -> Vec<SuggestionItem> {
    let tonal_target: Target = match (reference, &options.tonal_target) {
        (Some(r), _) => r.tonal.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => TargetId::Balanced.target(),
    }
    .normalized();
    let max_tonal = if options.max_tonal_db.is_finite() {
        options.max_tonal_db.clamp(0.0, 12.0)
    } else {
        3.0
    };
    let mut tonal_items = Vec::new();
    let max_tonal = match reference {
        Some(_) if options.max_reference_tonal_db.is_finite() => {
            options.max_reference_tonal_db.clamp(0.0, 12.0)
        }
        _ => max_tonal,
    };
    if max_tonal > 0.0 {
        if let Some(fit) = fit_tonal(tonal, &tonal_target, max_tonal, sr, reference.is_some()) {
            let regions = ["30–120 Hz", "180–500 Hz", "1.5–5 kHz", "6–16 kHz"];
            for (k, &(prefix, name, _, _)) in TONAL_SECTIONS.iter().enumerate() {
                let g = fit.gains[k];
                if g.abs() < 0.5 {
                    continue;
                }
                let (freq, q) = fit.shape[k];
                let freq = freq.round();
                let q = (q * 10.0).round() / 10.0;
                let gain_id = format!("{prefix}_gain");
                let freq_id = format!("{prefix}_freq");
                let place_id = format!("{prefix}_place");
                MasterChain::set_param(s, &gain_id, g);
                MasterChain::set_param(s, &freq_id, freq);
                let mut values = vec![
                    (gain_id.as_str(), g),
                    (freq_id.as_str(), freq),
                    (place_id.as_str(), 0.0),
                ];
                let q_id = format!("{prefix}_q");
                if prefix.starts_with("bell") {
                    MasterChain::set_param(s, &q_id, q);
                    values.push((q_id.as_str(), q));
                }
                let verb = if g > 0.0 { "Lift" } else { "Cut" };
                let strength = (fit.deviation[k].abs() / 3.0).clamp(0.3, 1.0);
                let limit = if g.abs() >= max_tonal - 0.05 {
                    format!(" (held at the ±{max_tonal:.1} dB limit)")
                } else {
                    String::new()
                };
                let reason = if fit.corridor {
                    format!(
                        "Where the {name} acts (around {freq:.0} Hz) the mix sits {:.1} dB {} the {} \
                         corridor (levels aligned where the music's energy is, as Tandem EQ \
                         aligns them); a broad {name} of {} brings it closer{limit}.",
                        fit.deviation[k].abs(),
                        if fit.deviation[k] > 0.0 { "above" } else { "below" },
                        tonal_target.name,
                        fmt_db(g),
                    )
                } else {
                    format!(
                        "{} sits {} relative to the {} curve (mids aligned); a broad {} of {} \
                         brings it closer{limit}.",
                        regions[k],
                        fmt_db(fit.deviation[k]),
                        tonal_target.name,
                        name,
                        fmt_db(g),
                    )
                };
                tonal_items.push(item(
                    prefix,
                    format!("{verb} the {name} ({freq:.0} Hz) by {:.1} dB", g.abs()),
                    &values,
                    reason,
                    evidence * strength,
                ));
            }
        }
    }

    tonal_items
}
