//! The deviation: measured − target on the 1/6-octave grid, with one level anchor
//! ([`level_anchor`]) and the target's tolerance corridor, and the regions left alone.

use super::*;

/// A region whose content lies this far (dB) below the corridor's lower edge is not boosted:
/// the music has little there (a rolled-off sub, an empty top), it is not a deficit to fill.
pub const NO_BOOST_BELOW_DB: f64 = 6.0;

/// Half-width (dB) of a target's corridor up to which a deviation counts fully; where the
/// corridor is wider (real mixes differ more), its weight falls with the square of the ratio.
pub const SPREAD_REFERENCE_DB: f64 = 2.5;

/// The share of a target's corridor (measured: the interquartile range of real mixes) that
/// counts as on target. A quarter of it: a mix at the edge of what real music does is still
/// worth a modest move, and a change to the music (a boomy shelf) must show in the proposal.
pub const CORRIDOR_SCALE: f32 = 0.25;

/// Reference mode: the reference has content wherever it is compared, so only a much deeper
/// deficit (dB) counts as missing content in the material.
pub const REFERENCE_NO_BOOST_BELOW_DB: f64 = 12.0;

/// The deviation of one band curve from a target.
#[derive(Debug, Clone)]
pub(super) struct Deviation {
    /// The fitting grid (weights 0 where the music is noise floor, the target says nothing, or
    /// the content is far below the corridor).
    pub(super) grid: Grid,
    /// Measured − target − anchor, dB (0 = on the target's curve).
    pub(super) dev: Vec<f64>,
    /// What lies outside the corridor, dB (the error the fit acts on; 0 inside).
    pub(super) excess: Vec<f64>,
    /// The anchor, dB.
    pub(super) anchor: f64,
    /// Measured levels on the grid, dB (for the loudness estimate).
    pub(super) level_db: Vec<f64>,
    /// Frequencies (Hz) left alone because the content is far below the corridor.
    pub(super) holes_hz: Vec<f64>,
}

/// The corridor (below ≤ 0, above ≥ 0; dB) the assistant uses at `f` (Hz): the target's,
/// scaled by [`CORRIDOR_SCALE`].
pub(super) fn corridor(target: &Target, f: f64) -> (f64, f64) {
    let (lo, hi) = target.corridor_at(f as f32);
    let k = CORRIDOR_SCALE as f64;
    (lo as f64 * k, hi as f64 * k)
}

/// The part of `d` (dB) outside the corridor (`lo` ≤ 0 ≤ `hi`).
pub(super) fn outside(d: f64, lo: f64, hi: f64) -> f64 {
    if d > hi {
        d - hi
    } else if d < lo {
        d - lo
    } else {
        0.0
    }
}

/// Running mean in dB over ±`half_oct` octaves (reference mode smooths both spectra).
fn smooth(freqs: &[f32], db: &[f32], half_oct: f32) -> Vec<f32> {
    freqs
        .iter()
        .map(|&f| {
            let (mut s, mut n) = (0.0f32, 0u32);
            for (g, d) in freqs.iter().zip(db) {
                if (g / f).log2().abs() <= half_oct + 1e-4 && d.is_finite() {
                    s += d;
                    n += 1;
                }
            }
            if n > 0 {
                s / n as f32
            } else {
                crate::util::MIN_DB
            }
        })
        .collect()
}

/// The deviation of band curve (`centers`, `band_db`) at `sr` from `target`. `fixed` are the
/// engineer's bands already in the signal path (added to the measured curve). `None` when
/// nothing above the noise floor is on the grid.
pub(super) fn deviation(
    centers: &[f32],
    band_db: &[f32],
    sr: f64,
    target: &Target,
    fixed: &[BandSettings],
) -> Option<Deviation> {
    let top = (0.45 * sr).min(20_000.0);
    let reference = target.id == "reference";
    let measured: Vec<f32> = if reference {
        smooth(centers, band_db, REFERENCE_SMOOTHING_OCT / 2.0)
    } else {
        band_db.to_vec()
    };
    let peak = band_db
        .iter()
        .zip(centers)
        .filter(|(_, f)| (20.0..=top as f32).contains(*f))
        .map(|(d, _)| *d)
        .fold(f32::NEG_INFINITY, f32::max);
    let mut freq_hz = Vec::new();
    let mut weight = Vec::new();
    let mut dev = Vec::new();
    let mut level_db = Vec::new();
    for ((f, d), raw) in centers.iter().zip(&measured).zip(band_db) {
        if !(19.5..=top as f32).contains(f) || !d.is_finite() || !raw.is_finite() {
            continue;
        }
        let floor = *raw < peak - NOISE_FLOOR_BELOW_PEAK_DB || *raw <= crate::util::MIN_DB + 10.0;
        freq_hz.push(*f as f64);
        weight.push(if floor || !target.covers(*f) {
            0.0
        } else {
            perceptual_weight(*f) as f64
        });
        dev.push((*d - target.db_at(*f)) as f64);
        level_db.push(*raw as f64);
    }
    let mut grid = Grid {
        gain_penalty: if reference {
            REFERENCE_GAIN_PENALTY
        } else {
            GAIN_PENALTY
        },
        boost_cost: if reference {
            REFERENCE_BOOST_COST
        } else {
            BOOST_COST
        },
        min_share: if reference {
            REFERENCE_MIN_SHARE
        } else {
            MIN_IMPROVEMENT_SHARE
        },
        no_boost_hz: Vec::new(),
        weight_sum: weight.iter().sum(),
        freq_hz,
        weight,
        sample_rate_hz: sr,
    };
    if grid.weight_sum <= 0.0 {
        return None;
    }
    for b in fixed {
        add(&mut dev, &grid.response(b));
    }
    let anchor_w: Vec<f64> = level_db
        .iter()
        .zip(&grid.weight)
        .map(|(l, w)| if *w > 0.0 { *l } else { f64::NEG_INFINITY })
        .collect();
    let anchor = level_anchor(&grid.freq_hz, &anchor_w, &dev);
    for d in dev.iter_mut() {
        *d -= anchor;
    }
    let mut excess = Vec::with_capacity(dev.len());
    let mut holes_hz = Vec::new();
    for (i, d) in dev.iter().enumerate() {
        let (lo, hi) = corridor(target, grid.freq_hz[i]);
        // Where real mixes differ a lot (the sub, the air), a deviation says less: the
        // weight falls with the square of the corridor's half-width beyond SPREAD_REFERENCE_DB.
        let (tlo, thi) = target.corridor_at(grid.freq_hz[i] as f32);
        let half = ((thi - tlo) / 2.0) as f64;
        if half > 0.0 {
            grid.weight[i] *= (SPREAD_REFERENCE_DB / half).powi(2).min(1.0);
        }
        let e = outside(*d, lo, hi);
        let limit = if reference {
            REFERENCE_NO_BOOST_BELOW_DB
        } else {
            NO_BOOST_BELOW_DB
        };
        if e < -limit && grid.weight[i] > 0.0 {
            grid.weight[i] = 0.0;
            holes_hz.push(grid.freq_hz[i]);
        }
        excess.push(e);
    }
    grid.weight_sum = grid.weight.iter().sum();
    grid.no_boost_hz = holes_hz.clone();
    if grid.weight_sum <= 0.0 {
        return None;
    }
    Some(Deviation {
        grid,
        dev,
        excess,
        anchor,
        level_db,
        holes_hz,
    })
}

/// The error a band acts on: the mean of `excess` over the grid weighted by the band's own
/// response (`resp`, dB) and the grid weights, dB. `None` when the band touches no weighted point.
pub(super) fn local_error(grid: &Grid, excess: &[f64], resp: &[f64]) -> Option<f64> {
    let (mut s, mut w) = (0.0, 0.0);
    for ((e, r), gw) in excess.iter().zip(resp).zip(&grid.weight) {
        let k = r.abs() * gw;
        s += k * e;
        w += k;
    }
    (w > 1e-9).then(|| s / w)
}

/// The estimated loudness change (dB) of the measured spectrum through `resp` (dB per grid
/// point): band powers weighted by [`perceptual_weight`].
pub(super) fn loudness_change_db(dev: &Deviation, resp: &[f64]) -> f64 {
    let (mut a, mut b) = (0.0, 0.0);
    for ((f, l), r) in dev.grid.freq_hz.iter().zip(&dev.level_db).zip(resp) {
        let p = perceptual_weight(*f as f32) as f64 * 10f64.powf(l / 10.0);
        a += p;
        b += p * 10f64.powf(r / 10.0);
    }
    if a > 0.0 && b > 0.0 {
        10.0 * (b / a).log10()
    } else {
        0.0
    }
}

/// The EQ assistant's reading of a band curve against a target, for another assistant's broad
/// fit (Master's tonal stage): the same grid, level anchor, corridor and fitting weights, so both
/// assistants quote the same error for the same music.
#[derive(Debug, Clone)]
pub(crate) struct CorridorError {
    /// Grid frequencies, Hz.
    pub(crate) freq_hz: Vec<f64>,
    /// Fitting weights (0 on the noise floor, where the target says nothing, and on content far
    /// below the corridor).
    pub(crate) weight: Vec<f64>,
    /// What lies outside the corridor after the level anchor, dB (0 inside).
    pub(crate) excess: Vec<f64>,
    /// Frequencies (Hz) whose content lies far below the corridor: no boost aims there.
    pub(crate) holes_hz: Vec<f64>,
}

/// [`CorridorError`] of band curve (`centers`, `band_db`) at `sr` against `target`; `None`
/// when nothing above the noise floor is on the grid.
pub(crate) fn corridor_error(
    centers: &[f32],
    band_db: &[f32],
    sr: f64,
    target: &Target,
) -> Option<CorridorError> {
    let d = deviation(centers, band_db, sr, target, &[])?;
    Some(CorridorError {
        freq_hz: d.grid.freq_hz,
        weight: d.grid.weight,
        excess: d.excess,
        holes_hz: d.holes_hz,
    })
}
