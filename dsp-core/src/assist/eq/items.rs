//! Items and reasons: proposals, their titles and reasons, and the EQ slots they go to.

use super::*;

/// One proposed band before slot assignment.
#[derive(Debug, Clone)]
pub(super) struct Proposal {
    pub(super) band: BandSettings,
    /// `"band"`, `"resonance"` or `"lowcut"`.
    pub(super) role: &'static str,
    pub(super) reason: String,
    pub(super) confidence_factor: f32,
}

pub(super) fn fmt_hz(f: f64) -> String {
    if f >= 1000.0 {
        let k = f / 1000.0;
        if (k - k.round()).abs() < 0.05 {
            format!("{:.0} kHz", k)
        } else {
            format!("{:.1} kHz", k)
        }
    } else {
        format!("{:.0} Hz", f)
    }
}

pub(super) fn region_name(f: f64) -> &'static str {
    match f {
        f if f < 60.0 => "sub-bass",
        f if f < 200.0 => "bass",
        f if f < 500.0 => "low-mids",
        f if f < 2000.0 => "mids",
        f if f < 4000.0 => "upper mids",
        f if f < 8000.0 => "presence",
        _ => "air",
    }
}

/// Half-gain bandwidth of a bell in octaves for `q`.
pub(super) fn bell_bandwidth_oct(q: f64) -> f64 {
    2.0 / std::f64::consts::LN_2 * (1.0 / (2.0 * q)).asinh()
}

/// The Q of a bell whose half-gain bandwidth is `bw_oct` octaves.
pub(super) fn q_from_bandwidth(bw_oct: f64) -> f64 {
    1.0 / (2.0 * (std::f64::consts::LN_2 / 2.0 * bw_oct).sinh())
}

/// Assigns proposals (sorted by frequency) to free slots (sorted), keeping the order and
/// minimising the summed log-distance to the slots' current frequencies. Returns slot indices.
pub(super) fn assign_slots(freqs: &[f64], slots: &[(usize, f64)]) -> Vec<usize> {
    let (k, m) = (freqs.len(), slots.len());
    if k == 0 || m < k {
        return (0..k.min(m)).map(|i| slots[i].0).collect();
    }
    // cost[i][j]: best cost placing the first i proposals in the first j slots.
    let inf = f64::INFINITY;
    let mut cost = vec![vec![inf; m + 1]; k + 1];
    let mut take = vec![vec![false; m + 1]; k + 1];
    for c in cost[0].iter_mut() {
        *c = 0.0;
    }
    for i in 1..=k {
        for j in i..=m {
            let skip = cost[i][j - 1];
            let d = (freqs[i - 1] / slots[j - 1].1.max(1.0)).log2().abs();
            let use_it = cost[i - 1][j - 1] + d;
            if use_it <= skip {
                cost[i][j] = use_it;
                take[i][j] = true;
            } else {
                cost[i][j] = skip;
            }
        }
    }
    let mut out = vec![0; k];
    let (mut i, mut j) = (k, m);
    while i > 0 {
        if take[i][j] {
            out[i - 1] = slots[j - 1].0;
            i -= 1;
        }
        j -= 1;
    }
    out
}
