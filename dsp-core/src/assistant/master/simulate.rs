//! The chain run over the excerpt: loudness measurements, the pre-limiter render, the limiter
//! alone at a drive, and the drive search.

use crate::chains::master::{MasterChain, MasterSettings};
use crate::dynamics::{TruePeakLimiter, LIMITER_MAX_LOOKAHEAD_MS};
use crate::util::db_to_gain;
use crate::{Processor, ProcessorConfig};

/// Integrated loudness (and optionally true peak) of planar channels.
pub(super) fn loudness_of(
    chans: &[Vec<f32>],
    sr: f32,
    true_peak: bool,
) -> (Option<f64>, Option<f64>) {
    if crate::assistant::cancel::requested() {
        return (None, None);
    }
    let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
    crate::loudness::measure_integrated(&refs, sr, true_peak).unwrap_or((None, None))
}

/// The pre-limiter signal (input gain, EQ, glue, width) of `settings` and the glue's mean gain
/// reduction over it.
pub(super) fn render_pre(
    settings: &MasterSettings,
    audio: &[Vec<f32>],
    sr: f32,
) -> (Vec<Vec<f32>>, f32) {
    if crate::assistant::cancel::requested() {
        return (vec![Vec::new(); audio.len()], 0.0);
    }
    let mut bufs: Vec<Vec<f32>> = audio.to_vec();
    let Ok(config) = ProcessorConfig::new(sr, 512, bufs.len()) else {
        return (bufs, 0.0);
    };
    let Ok(mut chain) = MasterChain::new(config, settings) else {
        return (bufs, 0.0);
    };
    let (mut sum, mut count) = (0.0f64, 0u64);
    {
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        chain.process_pre_limiter(&mut refs, |c| {
            sum += c.glue_gain_reduction_db() as f64;
            count += 1;
        });
    }
    (bufs, (sum / count.max(1) as f64) as f32)
}

/// Integrated loudness after drive and the limiter of `settings` (exactly the chain's limiter
/// stage; the latency padding does not change loudness).
pub(super) fn limited_loudness(
    pre: &[Vec<f32>],
    sr: f32,
    settings: &MasterSettings,
    drive_db: f32,
) -> f64 {
    let fallback = -200.0;
    if crate::assistant::cancel::requested() {
        return fallback;
    }
    let Ok(config) = ProcessorConfig::new(sr, 4096, pre.len()) else {
        return fallback;
    };
    let Ok(mut lim) = TruePeakLimiter::new(
        config,
        settings.oversampling_factor(),
        LIMITER_MAX_LOOKAHEAD_MS,
        settings.limiter_settings(),
    ) else {
        return fallback;
    };
    let g = db_to_gain(drive_db);
    let mut bufs: Vec<Vec<f32>> = pre
        .iter()
        .map(|c| c.iter().map(|x| x * g).collect())
        .collect();
    let n = bufs.iter().map(Vec::len).min().unwrap_or(0);
    if !crate::assistant::cancel::in_slices(n, |r| {
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[r.clone()]).collect();
        lim.process(&mut refs);
    }) {
        return fallback;
    }
    loudness_of(&bufs, sr, false).0.unwrap_or(fallback)
}

/// Safeguarded root search for the drive (dB, 0–24) giving `target` LUFS, from `guess`.
/// Returns (drive, loudness at it).
pub(super) fn solve_drive(
    eval: &mut impl FnMut(f32) -> f64,
    target: f64,
    guess: f32,
) -> (f32, f64) {
    let search = Search {
        range: (0.0, 24.0),
        first_slope: 1.0,
        tolerance: 0.05,
        min_width: 0.005,
        max_evals: 16,
    };
    search.run(eval, target, guess)
}

/// A safeguarded root search of an increasing function: secant steps inside a bisection
/// bracket (a step leaving the bracket is replaced by bisection).
pub(super) struct Search {
    /// Where the root is looked for.
    pub range: (f32, f32),
    /// The slope the first step assumes (value per unit).
    pub first_slope: f64,
    /// Close enough: the search stops within this of the target.
    pub tolerance: f64,
    /// The search stops when the bracket is narrower than this.
    pub min_width: f32,
    /// The most evaluations.
    pub max_evals: usize,
}

impl Search {
    /// Searches from `guess` for where `eval` gives `target`; returns the closest evaluation
    /// (argument, value).
    pub(super) fn run(
        &self,
        eval: &mut impl FnMut(f32) -> f64,
        target: f64,
        guess: f32,
    ) -> (f32, f64) {
        let (mut lo, mut hi) = self.range;
        let mut d = guess.clamp(lo, hi);
        let mut prev: Option<(f32, f64)> = None;
        let mut best = (d, f64::INFINITY, 0.0);
        for _ in 0..self.max_evals {
            if crate::assistant::cancel::requested() {
                break;
            }
            let l = eval(d);
            let f = l - target;
            if f.abs() < best.1 {
                best = (d, f.abs(), l);
            }
            if f.abs() < self.tolerance {
                break;
            }
            if f < 0.0 {
                lo = d;
            } else {
                hi = d;
            }
            if hi - lo < self.min_width {
                break;
            }
            let secant = match prev {
                Some((pd, pf)) if (f - pf).abs() > 1e-6 => {
                    d - (f * (d - pd) as f64 / (f - pf)) as f32
                }
                _ => d - (f / self.first_slope) as f32,
            };
            prev = Some((d, f));
            d = if secant > lo && secant < hi {
                secant
            } else {
                0.5 * (lo + hi)
            };
        }
        (best.0, best.2)
    }
}
