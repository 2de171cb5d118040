//! Fitting: the grid of the deviation, the candidate shapes, the greedy fit with joint
//! refinement, and the limits that keep a proposal sensible.

use super::*;

/// Perceptual weight (0–1, dimensionless) of a deviation at `freq_hz` (Hz): 1 from 100 Hz to
/// 6 kHz, falling (linearly in log frequency) to 0.4 at 40 Hz, 0.15 at 20 Hz, 0.6 at 10 kHz,
/// 0.35 at 16 kHz and 0.15 at 20 kHz.
pub fn perceptual_weight(freq_hz: f32) -> f32 {
    const PTS: [(f32, f32); 8] = [
        (20.0, 0.15),
        (40.0, 0.4),
        (100.0, 1.0),
        (6000.0, 1.0),
        (10_000.0, 0.6),
        (16_000.0, 0.35),
        (20_000.0, 0.15),
        (24_000.0, 0.1),
    ];
    if !(freq_hz.is_finite() && freq_hz > PTS[0].0) {
        return PTS[0].1;
    }
    for w in PTS.windows(2) {
        let ((f0, w0), (f1, w1)) = (w[0], w[1]);
        if freq_hz <= f1 {
            let t = (freq_hz / f0).ln() / (f1 / f0).ln();
            return w0 + t * (w1 - w0);
        }
    }
    PTS[PTS.len() - 1].1
}

/// The fitting grid: frequencies, deviation (dB) and weights.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    pub(super) freq_hz: Vec<f64>,
    pub(super) weight: Vec<f64>,
    pub(super) weight_sum: f64,
    pub(super) sample_rate_hz: f64,
    /// Regularisation per dB² of cut (see [`GAIN_PENALTY`]).
    pub(super) gain_penalty: f64,
    /// How much more a dB² of boost costs (see [`BOOST_COST`]).
    pub(super) boost_cost: f64,
    /// The share of the remaining error a new band must remove (see [`MIN_IMPROVEMENT_SHARE`]).
    pub(super) min_share: f64,
    /// Frequencies (Hz) where the content is far below the corridor: no boost may aim there.
    pub(super) no_boost_hz: Vec<f64>,
}

impl Grid {
    /// Weighted mean square of `r` (dB, already anchored), dB².
    pub(super) fn error(&self, r: &[f64]) -> f64 {
        if self.weight_sum <= 0.0 {
            return 0.0;
        }
        r.iter()
            .zip(&self.weight)
            .map(|(r, w)| w * r.powi(2))
            .sum::<f64>()
            / self.weight_sum
    }

    /// The band's response at the grid points, dB.
    pub(super) fn response(&self, band: &BandSettings) -> Vec<f64> {
        let c = band.design(self.sample_rate_hz);
        self.freq_hz
            .iter()
            .map(|&f| c.magnitude_db(f, self.sample_rate_hz))
            .collect()
    }

    /// The band's response averaged (in power) over each grid point's 1/6-octave band, dB:
    /// what the band curve of the processed audio would show for a narrow filter.
    pub(super) fn band_averaged_response(&self, band: &BandSettings) -> Vec<f64> {
        let c = band.design(self.sample_rate_hz);
        self.freq_hz
            .iter()
            .map(|&f| {
                let n = 9;
                let p: f64 = (0..n)
                    .map(|k| {
                        let o = (k as f64 / (n - 1) as f64 - 0.5) / BAND_FRACTION as f64;
                        let db = c.magnitude_db(f * o.exp2(), self.sample_rate_hz);
                        10f64.powf(db / 10.0)
                    })
                    .sum::<f64>()
                    / n as f64;
                10.0 * p.max(1e-30).log10()
            })
            .collect()
    }
}

pub(super) fn add(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Regularisation per dB² of band gain, in units of the weighted mean-square error (dB²): a
/// move must pay for itself, so small deviations are left alone.
pub(super) const GAIN_PENALTY: f64 = 0.005;
/// How much more a dB of boost costs than a dB of cut (cuts before boosts).
pub const BOOST_COST: f64 = 3.0;
/// Reference mode: matching a reference is the point, so moves cost less.
pub(super) const REFERENCE_GAIN_PENALTY: f64 = 0.002;
/// Reference mode: boosts cost this much more than cuts.
pub(super) const REFERENCE_BOOST_COST: f64 = 1.5;
/// Reference mode: the share of the remaining error a new band must remove.
pub(super) const REFERENCE_MIN_SHARE: f64 = 0.06;
/// A tonal band must be at least this large, in dB.
pub(super) const MIN_BAND_GAIN_DB: f64 = 1.0;
/// A tonal band must reduce the weighted mean-square deviation by at least this much (dB²)
/// and by [`MIN_IMPROVEMENT_SHARE`] of what is left: the fewest moves that remove most of it.
pub(super) const MIN_IMPROVEMENT_DB2: f64 = 0.1;
/// See [`MIN_IMPROVEMENT_DB2`].
pub(super) const MIN_IMPROVEMENT_SHARE: f64 = 0.06;

/// The cost factor of a gain: [`BOOST_COST`] for boosts, 1 for cuts.
impl Grid {
    /// True when a boost of `shape` would aim into a region left alone (its main region, ±1/2
    /// of a bell's bandwidth or a shelf's side, holds such a frequency).
    pub(super) fn boost_blocked(&self, shape: Shape) -> bool {
        let f = shape.freq_hz;
        self.no_boost_hz.iter().any(|&h| match shape.kind {
            EqBandType::LowShelf => h <= f,
            EqBandType::HighShelf => h >= f,
            _ => (h / f).log2().abs() <= bell_bandwidth_oct(shape.q) / 2.0,
        })
    }

    /// The cost factor of a gain: the boost cost for boosts, 1 for cuts.
    pub(super) fn gain_cost(&self, gain_db: f64) -> f64 {
        if gain_db > 0.0 {
            self.boost_cost
        } else {
            1.0
        }
    }

    /// The regularisation a band of `gain_db` pays, dB².
    pub(super) fn penalty(&self, gain_db: f64) -> f64 {
        self.gain_cost(gain_db) * self.gain_penalty * gain_db * gain_db
    }
}

pub(super) fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let p = digits - 1 - x.abs().log10().floor() as i32;
    let m = 10f64.powi(p);
    (x * m).round() / m
}

pub(super) fn make_band(kind: EqBandType, freq_hz: f64, gain_db: f64, q: f64) -> BandSettings {
    BandSettings {
        enabled: true,
        kind,
        freq_hz: freq_hz as f32,
        gain_db: gain_db as f32,
        q: q as f32,
        slope_db_oct: 12.0,
        placement: Placement::Stereo,
    }
}

/// A tonal candidate: type, frequency and Q; the gain is solved.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub(super) kind: EqBandType,
    pub(super) freq_hz: f64,
    pub(super) q: f64,
}

/// Best capped gain for `shape` against residual `r`, with the exact error it leaves
/// (including the gain penalty). Returns (gain dB, error, response on the grid).
pub(super) fn solve_gain(grid: &Grid, r: &[f64], shape: Shape, cap: f64) -> (f64, f64, Vec<f64>) {
    // Least-squares gain (gain penalty) using the per-dB shape of the filter
    // designed at `probe` dB: the dB response is nearly proportional to the gain.
    let estimate = |probe: f64| -> Option<f64> {
        let h = grid.response(&make_band(shape.kind, shape.freq_hz, probe, shape.q));
        let b: Vec<f64> = h.iter().map(|v| v / probe).collect();
        let (mut num, mut den) = (0.0, 0.0);
        for ((bi, ri), w) in b.iter().zip(r).zip(&grid.weight) {
            num += w * bi * ri;
            den += w * bi * bi;
        }
        if den <= 1e-12 {
            return None;
        }
        let g = -num / (den + grid.gain_penalty * grid.weight_sum);
        Some(-num / (den + grid.gain_cost(g) * grid.gain_penalty * grid.weight_sum))
    };
    let Some(g_pos) = estimate(6.0) else {
        return (0.0, grid.error(r), vec![0.0; r.len()]);
    };
    let mut g = if g_pos >= 0.0 {
        g_pos
    } else {
        estimate(-6.0).map_or(g_pos, |g| g.min(0.0))
    };
    g = g.clamp(-cap, cap);
    if g.abs() > 0.5 {
        if let Some(g2) = estimate(g) {
            if g2 * g > 0.0 {
                g = g2.clamp(-cap, cap);
            }
        }
    }
    if g.abs() < 1e-3 {
        return (0.0, grid.error(r), vec![0.0; r.len()]);
    }
    let resp = grid.response(&make_band(shape.kind, shape.freq_hz, g, shape.q));
    let mut res = r.to_vec();
    add(&mut res, &resp);
    (g, grid.error(&res) + grid.penalty(g), resp)
}

pub(super) fn candidate_shapes(sr: f64) -> Vec<Shape> {
    let mut v = Vec::new();
    let top = (0.45 * sr).min(20_000.0);
    let grid = |lo: f64, hi: f64| {
        let k0 = ((lo / 1000.0).log2() * 6.0).ceil() as i32;
        let k1 = ((hi.min(top) / 1000.0).log2() * 6.0).floor() as i32;
        (k0..=k1)
            .map(|k| 1000.0 * (k as f64 / 6.0).exp2())
            .collect::<Vec<_>>()
    };
    for f in grid(30.0, 300.0) {
        for q in [0.5, 0.7, 1.0] {
            v.push(Shape {
                kind: EqBandType::LowShelf,
                freq_hz: f,
                q,
            });
        }
    }
    for f in grid(1500.0, 10_000.0) {
        for q in [0.5, 0.7, 1.0] {
            v.push(Shape {
                kind: EqBandType::HighShelf,
                freq_hz: f,
                q,
            });
        }
    }
    for f in grid(30.0, 16_000.0) {
        for q in [0.5, 0.7, 1.0, 1.4] {
            v.push(Shape {
                kind: EqBandType::Bell,
                freq_hz: f,
                q,
            });
        }
    }
    v
}

/// A fitted tonal band with its response on the grid.
#[derive(Debug, Clone)]
pub(super) struct Fitted {
    pub(super) shape: Shape,
    pub(super) gain_db: f64,
    pub(super) resp: Vec<f64>,
}

/// Greedy fit plus coordinate refinement. `r` is the residual to cancel (deviation plus fixed
/// bands). Returns the fitted bands.
pub(super) fn fit_tonal(grid: &Grid, r: &[f64], max: usize, cap: f64) -> Vec<Fitted> {
    let shapes = candidate_shapes(grid.sample_rate_hz);
    let mut bands: Vec<Fitted> = Vec::new();
    for _ in 0..3 {
        // A plugin stopping (deactivate, destroy) does not wait out the fit; its result is
        // discarded. Outside a plugin's analysis thread this is never true.
        if crate::assistant::cancel::requested() {
            break;
        }
        let before = bands.len();
        greedy_add(grid, r, &shapes, &mut bands, max, cap);
        if bands.is_empty() {
            break;
        }
        swap_passes(grid, r, &shapes, &mut bands, cap);
        joint_refine(grid, r, &mut bands, cap);
        // Bands the joint fit made redundant free their slot for another greedy round.
        bands.retain(|b| b.gain_db.abs() >= 0.5);
        if bands.len() == before || bands.len() >= max {
            break;
        }
    }
    bands
}

/// Adds bands one at a time, each the candidate that most reduces the error, while it helps.
pub(super) fn greedy_add(
    grid: &Grid,
    r: &[f64],
    shapes: &[Shape],
    bands: &mut Vec<Fitted>,
    max: usize,
    cap: f64,
) {
    let mut total = r.to_vec();
    for b in bands.iter() {
        add(&mut total, &b.resp);
    }
    let mut err = grid.error(&total);
    while bands.len() < max && !crate::assistant::cancel::requested() {
        let mut best: Option<(f64, f64, Shape, Vec<f64>)> = None;
        for &s in shapes {
            let (g, e, resp) = solve_gain(grid, &total, s, cap);
            if g.abs() < MIN_BAND_GAIN_DB || (g > 0.0 && grid.boost_blocked(s)) {
                continue;
            }
            if best.as_ref().is_none_or(|b| e < b.1) {
                best = Some((g, e, s, resp));
            }
        }
        let Some((g, e, s, resp)) = best else { break };
        if err - e < MIN_IMPROVEMENT_DB2.max(grid.min_share * err) {
            break;
        }
        add(&mut total, &resp);
        err = grid.error(&total);
        bands.push(Fitted {
            shape: s,
            gain_db: g,
            resp,
        });
    }
}

/// Bounds of (log2 frequency, log2 Q) for a band type.
pub(super) fn bounds(kind: EqBandType, top: f64) -> ([f64; 2], [f64; 2]) {
    let (f, q) = match kind {
        EqBandType::LowShelf => ((25.0, 500.0), (0.4, 1.2)),
        EqBandType::HighShelf => ((1000.0, top.min(14_000.0)), (0.4, 1.2)),
        _ => ((25.0, top.min(17_000.0)), (0.4, 2.0)),
    };
    (
        [f64::log2(f.0), f64::log2(f.1)],
        [f64::log2(q.0), f64::log2(q.1)],
    )
}

/// Solves `a·x = b` (n×n, row-major) by Gaussian elimination with partial pivoting; `None` when
/// singular.
pub(super) fn solve_linear(mut a: Vec<f64>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))?;
        if a[p * n + c].abs() < 1e-12 {
            return None;
        }
        if p != c {
            for k in 0..n {
                a.swap(p * n + k, c * n + k);
            }
            b.swap(p, c);
        }
        for i in c + 1..n {
            let f = a[i * n + c] / a[c * n + c];
            for k in c..n {
                a[i * n + k] -= f * a[c * n + k];
            }
            b[i] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c * n + k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c * n + c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Joint Levenberg–Marquardt refinement of every band's log-frequency, log-Q and gain (within
/// bounds, gains within ±`cap`), minimising the same weighted error plus gain penalty.
pub(super) fn joint_refine(grid: &Grid, r: &[f64], bands: &mut [Fitted], cap: f64) {
    let nb = bands.len();
    if nb == 0 {
        return;
    }
    let top = (0.45 * grid.sample_rate_hz).min(20_000.0);
    let kinds: Vec<EqBandType> = bands.iter().map(|b| b.shape.kind).collect();
    let clamp_x = |x: &mut [f64]| {
        for (k, kind) in kinds.iter().enumerate() {
            let (bf, bq) = bounds(*kind, top);
            x[3 * k] = x[3 * k].clamp(bf[0], bf[1]);
            x[3 * k + 1] = x[3 * k + 1].clamp(bq[0], bq[1]);
            x[3 * k + 2] = x[3 * k + 2].clamp(-cap, cap);
        }
    };
    let band_of = |x: &[f64], k: usize| {
        make_band(kinds[k], x[3 * k].exp2(), x[3 * k + 2], x[3 * k + 1].exp2())
    };
    let sqrt_w: Vec<f64> = grid
        .weight
        .iter()
        .map(|w| (w / grid.weight_sum).sqrt())
        .collect();
    let m = r.len();
    // Residual vector: weighted deviation points, then one penalty term per band.
    let residuals = |resps: &[Vec<f64>], x: &[f64]| -> Vec<f64> {
        let mut t = r.to_vec();
        for rs in resps {
            add(&mut t, rs);
        }
        let mut e: Vec<f64> = t.iter().zip(&sqrt_w).map(|(v, sw)| v * sw).collect();
        for k in 0..nb {
            e.push(grid.penalty(x[3 * k + 2]).sqrt() * x[3 * k + 2].signum());
        }
        e
    };
    let cost = |e: &[f64]| e.iter().map(|v| v * v).sum::<f64>();
    let mut x: Vec<f64> = bands
        .iter()
        .flat_map(|b| [b.shape.freq_hz.log2(), b.shape.q.log2(), b.gain_db])
        .collect();
    clamp_x(&mut x);
    let mut resps: Vec<Vec<f64>> = (0..nb).map(|k| grid.response(&band_of(&x, k))).collect();
    let mut e = residuals(&resps, &x);
    let mut c = cost(&e);
    let n = 3 * nb;
    let mut mu = 1e-2;
    for _ in 0..30 {
        if crate::assistant::cancel::requested() {
            break;
        }
        // Forward-difference Jacobian (each parameter only moves its own band's response).
        let mut jac = vec![0.0; (m + nb) * n];
        for p in 0..n {
            let k = p / 3;
            let h = if p % 3 == 2 { 0.01 } else { 0.005 };
            let mut xp = x.clone();
            xp[p] += h;
            let rp = grid.response(&band_of(&xp, k));
            let mut rs = resps.clone();
            rs[k] = rp;
            let ep = residuals(&rs, &xp);
            for i in 0..m + nb {
                jac[i * n + p] = (ep[i] - e[i]) / h;
            }
        }
        let mut jtj = vec![0.0; n * n];
        let mut jte = vec![0.0; n];
        for i in 0..m + nb {
            let row = &jac[i * n..(i + 1) * n];
            for a in 0..n {
                jte[a] += row[a] * e[i];
                for b in 0..n {
                    jtj[a * n + b] += row[a] * row[b];
                }
            }
        }
        let mut improved = false;
        for _ in 0..6 {
            let mut aug = jtj.clone();
            for d in 0..n {
                aug[d * n + d] += mu * (jtj[d * n + d] + 1e-9);
            }
            let Some(delta) = solve_linear(aug, jte.iter().map(|v| -v).collect()) else {
                mu *= 4.0;
                continue;
            };
            let mut xn: Vec<f64> = x.iter().zip(&delta).map(|(a, d)| a + d).collect();
            clamp_x(&mut xn);
            let rn: Vec<Vec<f64>> = (0..nb).map(|k| grid.response(&band_of(&xn, k))).collect();
            let en = residuals(&rn, &xn);
            let cn = cost(&en);
            if cn < c {
                x = xn;
                resps = rn;
                e = en;
                let gain = c - cn;
                c = cn;
                mu = (mu / 3.0).max(1e-7);
                improved = gain > 1e-7;
                break;
            }
            mu *= 4.0;
        }
        if !improved {
            break;
        }
    }
    for (k, b) in bands.iter_mut().enumerate() {
        *b = Fitted {
            shape: Shape {
                kind: kinds[k],
                freq_hz: x[3 * k].exp2(),
                q: x[3 * k + 1].exp2(),
            },
            gain_db: x[3 * k + 2],
            resp: resps[k].clone(),
        };
    }
}

/// Revisits greedy choices: each band in turn is replaced by the best candidate of the whole
/// set given all the others (a band may also move to another type or frequency), until no
/// replacement helps (at most 3 passes).
pub(super) fn swap_passes(
    grid: &Grid,
    r: &[f64],
    shapes: &[Shape],
    bands: &mut [Fitted],
    cap: f64,
) {
    for _ in 0..3 {
        if crate::assistant::cancel::requested() {
            return;
        }
        let mut changed = false;
        for k in 0..bands.len() {
            let mut others = r.to_vec();
            for (j, b) in bands.iter().enumerate() {
                if j != k {
                    add(&mut others, &b.resp);
                }
            }
            let cur_e = {
                let mut t = others.clone();
                add(&mut t, &bands[k].resp);
                grid.error(&t) + grid.penalty(bands[k].gain_db)
            };
            let mut best: Option<Fitted> = None;
            let mut best_e = cur_e - 1e-4;
            for &shape in shapes {
                let (g, e, resp) = solve_gain(grid, &others, shape, cap);
                if g.abs() >= MIN_BAND_GAIN_DB
                    && e < best_e
                    && !(g > 0.0 && grid.boost_blocked(shape))
                {
                    best_e = e;
                    best = Some(Fitted {
                        shape,
                        gain_db: g,
                        resp,
                    });
                }
            }
            if let Some(b) = best {
                bands[k] = b;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Weighted median of `v` (weights `w` ≥ 0); 0 when all weights are 0.
pub(super) fn weighted_median(v: &[f64], w: &[f64]) -> f64 {
    let mut pairs: Vec<(f64, f64)> = v
        .iter()
        .zip(w)
        .filter(|(_, w)| **w > 0.0)
        .map(|(a, b)| (*a, *b))
        .collect();
    if pairs.is_empty() {
        return 0.0;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = pairs.iter().map(|p| p.1).sum::<f64>() / 2.0;
    let mut acc = 0.0;
    for (x, wi) in &pairs {
        acc += wi;
        if acc >= half {
            return *x;
        }
    }
    pairs[pairs.len() - 1].0
}

/// How far the tonal bands together may move any frequency, as a multiple of the per-band cap:
/// two bands may complete a capped move (e.g. +8 dB with a 6 dB cap), never more.
pub const MAX_STACK_FACTOR: f64 = 1.5;

/// Keeps the fitted tonal bands a sensible proposal: bands of the same kind within 1/6 octave
/// are merged (keeping the broader Q), at most two per place (one at the cap plus the remainder), and if
/// the bands together still move any frequency by more than [`MAX_STACK_FACTOR`] × `cap`, every
/// gain is scaled down so they do not. Without this the greedy fit stacks three +6 dB bells on a
/// region that is merely empty in the material (a synthetic mix with nothing at 1 kHz).
pub(super) fn limit_stacking(
    bands: Vec<BandSettings>,
    grid: &Grid,
    cap: f64,
    stack_factor: f64,
) -> Vec<BandSettings> {
    let mut merged: Vec<(BandSettings, f64)> = Vec::new();
    for b in bands {
        let same = merged.iter_mut().find(|(m, _)| {
            m.kind == b.kind && (m.freq_hz as f64 / b.freq_hz as f64).log2().abs() < 1.0 / 6.0
        });
        match same {
            Some((m, total)) => {
                *total += b.gain_db as f64;
                // The broader shape of the two: broad moves are preferred.
                m.q = m.q.min(b.q);
            }
            None => merged.push((b, b.gain_db as f64)),
        }
    }
    let mut out = Vec::new();
    for (b, total) in merged {
        let first = total.clamp(-cap, cap);
        let extra = (stack_factor - 1.0) * cap;
        let rest = (total - first).clamp(-extra, extra);
        let mut a = b;
        a.gain_db = ((first * 10.0).round() / 10.0) as f32;
        out.push(a);
        if rest.abs() >= 0.5 {
            let mut r = b;
            r.gain_db = ((rest * 10.0).round() / 10.0) as f32;
            out.push(r);
        }
    }
    let mut sum = vec![0.0f64; grid.freq_hz.len()];
    for b in &out {
        add(&mut sum, &grid.response(b));
    }
    let peak = sum.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let limit = stack_factor * cap;
    if peak > limit {
        let k = limit / peak;
        for b in out.iter_mut() {
            b.gain_db = ((b.gain_db as f64 * k * 10.0).round() / 10.0) as f32;
        }
    }
    out.retain(|b| b.gain_db.abs() >= 0.5 || !b.kind.uses_gain());
    out
}

/// The one level anchor of the EQ assistant: the level (dB) at which a deviation curve `dev`
/// (measured − target, per band at `freq_hz`) counts as zero. It is the median of `dev` over
/// the mids, 200 Hz–5 kHz, weighted by [`perceptual_weight`] (the loudness weighting of the
/// ear), over the bands that hold content (`band_db`, the measured levels, finite). A median
/// in the mids is where the music's loudness lives, and a change in the bass or the top (a
/// boomy shelf, a dull treble) does not move it, so the deviation it leaves is the change
/// itself. The fit, the reasons, the measurements, reference mode and the measured targets all
/// use it.
pub fn level_anchor(freq_hz: &[f64], band_db: &[f64], dev: &[f64]) -> f64 {
    let w: Vec<f64> = freq_hz
        .iter()
        .zip(band_db)
        .map(|(&f, &d)| {
            if (200.0..=5000.0).contains(&f) && d.is_finite() {
                perceptual_weight(f as f32) as f64
            } else {
                0.0
            }
        })
        .collect();
    weighted_median(dev, &w)
}

/// Reference mode: the most boost all tonal bands together may add, dB.
pub const REFERENCE_BOOST_BUDGET_DB: f64 = 9.0;

/// The most tonal bands a suggestion proposes: few, broad moves.
pub const MAX_TONAL_BANDS: usize = 4;

/// Keeps the boosts modest: all tonal boosts together at most [`BOOST_BUDGET_DB`] (scaled
/// down together), and the whole EQ at most [`MAX_SUB_BOOST_DB`] above 0 dB below 40 Hz
/// (scaling the low boosts). Gains rounded to 0.1 dB; bands under 0.5 dB dropped.
pub(super) fn limit_boosts(
    mut bands: Vec<BandSettings>,
    others: &[BandSettings],
    sr: f64,
    boost_budget: f64,
) -> Vec<BandSettings> {
    let total: f64 = bands
        .iter()
        .filter(|b| b.gain_db > 0.0)
        .map(|b| b.gain_db as f64)
        .sum();
    if total > boost_budget {
        let k = boost_budget / total;
        for b in bands.iter_mut().filter(|b| b.gain_db > 0.0) {
            b.gain_db = (b.gain_db as f64 * k) as f32;
        }
    }
    for _ in 0..6 {
        let sub = (0..=8)
            .map(|k| 20.0 * 2f64.powf(k as f64 / 8.0))
            .map(|f| {
                bands
                    .iter()
                    .chain(others)
                    .map(|b| b.magnitude_db(f, sr))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max);
        if sub <= MAX_SUB_BOOST_DB - 0.05 {
            break;
        }
        let k = (MAX_SUB_BOOST_DB - 0.1) / sub;
        for b in bands
            .iter_mut()
            .filter(|b| b.gain_db > 0.0 && (b.kind == EqBandType::LowShelf || b.freq_hz < 150.0))
        {
            b.gain_db = (b.gain_db as f64 * k) as f32;
        }
    }
    for b in bands.iter_mut() {
        b.gain_db = (b.gain_db * 10.0).trunc() / 10.0;
    }
    bands.retain(|b| b.gain_db.abs() >= 0.5 || !b.kind.uses_gain());
    bands
}

/// Stage 4: the tonal bands — greedy fit with refinement on what lies outside the corridor
/// (`residual`), merged and limited, each with the error it acts on as its reason and a
/// confidence from the segments.
#[allow(clippy::too_many_arguments)]
pub(super) fn propose_tonal(
    a: &EqAnalysisResult,
    target: &Target,
    fixed: &[BandSettings],
    dev: &Deviation,
    residual: &[f64],
    budget: usize,
    cap: f64,
    proposals: &mut Vec<Proposal>,
    s: &mut Suggestion,
    evidence: f32,
) {
    let grid = &dev.grid;
    let sr = grid.sample_rate_hz;
    let top = (0.45 * sr).min(20_000.0);
    let reference = target.id == "reference";
    let max = if reference {
        budget
    } else {
        budget.min(MAX_TONAL_BANDS)
    };
    let fitted = fit_tonal(grid, residual, max, cap);
    let mut tonal: Vec<BandSettings> = fitted
        .iter()
        .filter(|b| b.gain_db.abs() >= 0.5)
        .map(|b| {
            make_band(
                b.shape.kind,
                round_sig(b.shape.freq_hz, 3),
                (b.gain_db * 10.0).round() / 10.0,
                (b.shape.q * 100.0).round() / 100.0,
            )
        })
        .collect();
    tonal.sort_by(|x, y| x.freq_hz.total_cmp(&y.freq_hz));
    let tonal = limit_stacking(tonal, grid, cap, MAX_STACK_FACTOR);
    let others: Vec<BandSettings> = proposals.iter().map(|p| p.band).collect();
    let boost_budget = if reference {
        REFERENCE_BOOST_BUDGET_DB
    } else {
        BOOST_BUDGET_DB
    };
    let tonal = limit_boosts(tonal, &others, sr, boost_budget);
    for band in &tonal {
        let resp = grid.response(band);
        let local = local_error(grid, &dev.excess, &resp).unwrap_or(-(band.gain_db as f64));
        let (agreement, _) = segment_agreement(a, target, fixed, band, local);
        let capped = (band.gain_db.abs() as f64) >= cap - 0.05;
        proposals.push(Proposal {
            band: *band,
            role: "band",
            reason: tonal_reason(band, local, target, top),
            confidence: tonal_confidence(
                evidence,
                agreement,
                band.gain_db > 0.0,
                target.measured,
                capped,
            ),
            local_error_db: Some(local),
        });
    }
    // Say where the music was left alone.
    let low: Vec<f64> = dev
        .holes_hz
        .iter()
        .copied()
        .filter(|f| *f < 200.0)
        .collect();
    let high: Vec<f64> = dev
        .holes_hz
        .iter()
        .copied()
        .filter(|f| *f > 4000.0)
        .collect();
    if let Some(f) = low.iter().copied().reduce(f64::max) {
        s.warnings.push(format!(
            "little content below {} — not boosted (the music has little there; it is not a \
             deficit to fill)",
            fmt_hz(f * 2f64.powf(1.0 / 12.0))
        ));
    }
    let mid: Vec<f64> = dev
        .holes_hz
        .iter()
        .copied()
        .filter(|f| (200.0..=4000.0).contains(f))
        .collect();
    if !mid.is_empty() {
        s.warnings.push(format!(
            "little content around {} — not boosted",
            fmt_hz(mid[mid.len() / 2])
        ));
    }
    if let Some(f) = high.iter().copied().reduce(f64::min) {
        s.warnings.push(format!(
            "little content above {} — not boosted",
            fmt_hz(f * 2f64.powf(-1.0 / 12.0))
        ));
    }
}
