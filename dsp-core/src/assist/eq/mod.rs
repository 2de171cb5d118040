//! The EQ assistant: listens (long-term spectrum of non-silent audio) and proposes EQ bands
//! towards a tonal [`Target`], with the measured reasons.
//!
//! # Listening: [`EqAnalysis`]
//! Hann-windowed frames of about a third of a second (16384 points at 44.1/48 kHz, 50 % overlap)
//! are gated like [`crate::analysis::Ltas`] (frames below −60 dBFS mean square are skipped) and
//! power-averaged. The result holds a 1/6-octave band curve (the tonal balance), a 1/24-octave
//! fine curve (for resonances) with, per point, how persistently it stood out in the 2-second
//! windows, and the raw bins below 200 Hz (for rumble). Every 2 seconds of heard audio the
//! running 1/6-octave curve is compared with the one 2 seconds earlier; the estimate is *stable*
//! once it changed by less than [`STABILITY_THRESHOLD_DB`] dB RMS.
//!
//! # Proposing: [`suggest_eq`]
//! 1. Deviation = measured − target on the 1/6-octave grid (20 Hz–20 kHz, below 0.45·fs),
//!    levels aligned by the weighted median of the deviation over 200 Hz–5 kHz. Bands that are
//!    only noise floor (more than 50 dB below the loudest band) are ignored. If the analysis is of
//!    the EQ's input, the engineer's enabled bands are added to the deviation (they stay as set).
//! 2. A **low cut** is proposed when the 16–28 Hz bands hold more energy than 40–80 Hz (+3 dB,
//!    or 12 dB more than the target expects) and that energy is noise-like (spectral flatness of
//!    the 10–30 Hz bins ≥ 0.3): rumble, not a musical low note.
//! 3. **Resonances**: points of the 1/24-octave curve at least 6 dB above the robust envelope
//!    (the median over the surrounding 2/3 octave) that stood out (≥ 4 dB) in at least half of
//!    the 2-second windows get a narrow cut (Q 6–12 from the measured width).
//! 4. **Tonal bands**, greedily: each step tries low shelves (30–400 Hz), high shelves
//!    (1.5–12 kHz) and bells (30 Hz–16 kHz, Q 0.5–2) with the gain that best cancels the
//!    remaining deviation, capped at ± `max_gain_db`, computed with the exact digital response
//!    of the filter ([`BandSettings::magnitude_db`]), and keeps the one that most reduces the
//!    perceptually weighted squared deviation (weights 1 from 100 Hz to 6 kHz, falling towards
//!    the extremes; a free overall level, since targets are relative). Then a few rounds of
//!    coordinate refinement of frequency, Q and gain. A band must be ≥ 1 dB and reduce the error
//!    noticeably to be proposed.
//! 5. Bands go to free EQ slots (bands the engineer has not enabled), in frequency order near
//!    their default frequencies. At most `max_bands` bands are used in all.
//!
//! Everything here is a pure function of its inputs (deterministic), for analysis threads.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::targets::Target;
use super::{Suggestion, SuggestionItem};
use crate::analysis::spectrum::{FrameFft, Framer, OctaveSmoother};
use crate::chains::eq::{
    band_param_id, BandParam, BandSettings, EqBandType, EqSettings, Placement, NUM_BANDS,
};
use crate::{validate_sample_rate, ConfigError, MAX_CHANNELS};

mod analysis;
mod fit;
mod items;
mod lowcut;
mod resonances;
#[cfg(test)]
mod tests;

pub use analysis::*;
use fit::*;
pub use fit::{perceptual_weight, MAX_STACK_FACTOR};
use items::*;
use lowcut::*;
use resonances::*;

/// Options of [`suggest_eq`]. The "amount" is applied by the caller ([`super::accept`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EqAssistOptions {
    /// The most EQ bands the suggestion uses in all (tonal bands, resonance cuts, low cut).
    pub max_bands: usize,
    /// The largest boost or cut of any suggested band, in dB.
    pub max_gain_db: f32,
    /// True when the analysis is of the EQ's input: the engineer's enabled bands are then added
    /// to the measured deviation (they stay as they are and the suggestion completes them).
    /// False when it is of the EQ's output.
    pub analysis_is_pre_eq: bool,
    /// Look for resonances.
    pub detect_resonances: bool,
    /// Look for sub-30 Hz rumble.
    pub suggest_low_cut: bool,
}

impl Default for EqAssistOptions {
    /// 6 bands, ±6 dB, analysis of the input, resonances and low cut on.
    fn default() -> Self {
        Self {
            max_bands: 6,
            max_gain_db: 6.0,
            analysis_is_pre_eq: true,
            detect_resonances: true,
            suggest_low_cut: true,
        }
    }
}

/// The suggested EQ for what `analysis` heard, towards `target`, completing `current` (the
/// engineer's settings, left untouched: suggested bands go to bands that are not enabled).
/// See the module docs for the method. Never panics; with nothing heard it returns an empty
/// suggestion with a warning.
pub fn suggest_eq(
    analysis: &EqAnalysisResult,
    target: &Target,
    options: &EqAssistOptions,
    current: &EqSettings,
) -> Suggestion {
    let a = analysis;
    let mut s = Suggestion::empty("eq", &target.name);
    s.heard_seconds = if a.heard_seconds.is_finite() {
        a.heard_seconds.max(0.0)
    } else {
        0.0
    };
    s.stable = a.stable;
    let sr = a.sample_rate_hz as f64;
    let cap = if options.max_gain_db.is_finite() {
        options
            .max_gain_db
            .clamp(0.5, crate::chains::eq::MAX_GAIN_DB) as f64
    } else {
        6.0
    };
    if s.heard_seconds <= 0.0
        || a.band_db.len() != a.band_center_hz.len()
        || !sr.is_finite()
        || sr <= 0.0
    {
        s.warnings
            .push("nothing heard yet: play the material to get a suggestion".into());
        return s;
    }

    // 1. The grid, the deviation and the weights.
    let top = (0.45 * sr).min(20_000.0);
    let peak = a
        .band_db
        .iter()
        .zip(&a.band_center_hz)
        .filter(|(_, f)| (20.0..=top as f32).contains(*f))
        .map(|(d, _)| *d)
        .fold(f32::NEG_INFINITY, f32::max);
    let mut freq_hz = Vec::new();
    let mut weight = Vec::new();
    let mut dev = Vec::new();
    for (f, d) in a.band_center_hz.iter().zip(&a.band_db) {
        if !(19.5..=top as f32).contains(f) || !d.is_finite() {
            continue;
        }
        let floor = *d < peak - NOISE_FLOOR_BELOW_PEAK_DB || *d <= crate::util::MIN_DB + 10.0;
        freq_hz.push(*f as f64);
        weight.push(if floor {
            0.0
        } else {
            perceptual_weight(*f) as f64
        });
        dev.push((*d - target.db_at(*f)) as f64);
    }
    let weight_sum: f64 = weight.iter().sum();
    let grid = Grid {
        free_level: true,
        freq_hz,
        weight,
        weight_sum,
        sample_rate_hz: sr,
    };
    if grid.weight_sum <= 0.0 {
        s.warnings
            .push("the audio heard is too quiet to analyse".into());
        return s;
    }
    if options.analysis_is_pre_eq {
        for b in current.bands.iter().filter(|b| b.enabled) {
            if b.placement == Placement::Stereo || b.placement == Placement::Mid {
                add(&mut dev, &grid.response(b));
            }
        }
    }
    let mid_w: Vec<f64> = grid
        .freq_hz
        .iter()
        .zip(&grid.weight)
        .map(|(f, w)| {
            if (200.0..=5000.0).contains(f) {
                *w
            } else {
                0.0
            }
        })
        .collect();
    let alignment = weighted_median(&dev, &mid_w);
    for d in dev.iter_mut() {
        *d -= alignment;
    }

    // Evidence.
    let evidence = (s.heard_seconds / FULL_CONFIDENCE_SECONDS).clamp(0.0, 1.0)
        * if a.stable { 1.0 } else { 0.75 };

    // Free slots and the band budget.
    let free: Vec<(usize, f64)> = current
        .bands
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.enabled)
        .map(|(i, b)| (i, b.freq_hz as f64))
        .collect();
    let mut budget = options.max_bands.min(free.len()).min(NUM_BANDS);
    if free.len() < options.max_bands.min(NUM_BANDS) {
        s.warnings.push(format!(
            "only {} EQ band(s) are free; switch bands off to let the assistant use more",
            free.len()
        ));
    }
    let mut proposals: Vec<Proposal> = Vec::new();
    let mut residual = dev.clone();

    // 2. Low cut.
    let rumble_m = rumble(a, target);
    if let Some((excess, t_excess, flatness)) = rumble_m {
        s.measurements.insert("sub30_excess_db".into(), excess);
        s.measurements.insert("sub30_flatness".into(), flatness);
        let over_target = excess - t_excess;
        if options.suggest_low_cut
            && budget > 0
            && flatness >= 0.3
            && (excess >= 3.0 || over_target >= 12.0)
        {
            let mut band = make_band(EqBandType::LowCut, 30.0, 0.0, 0.707);
            band.slope_db_oct = 24.0;
            add(&mut residual, &grid.response(&band));
            budget -= 1;
            proposals.push(Proposal {
                band,
                role: "lowcut",
                reason: format!(
                    "{:.1} dB more energy in 16–28 Hz than in 40–80 Hz ({:.1} dB more than the \
                     {} target has there), and noise-like (spectral flatness {:.2}): rumble \
                     below the music, not musical content",
                    excess, over_target, target.name, flatness
                ),
                confidence_factor: (0.5 + (excess.max(over_target) / 24.0)).min(1.0) as f32,
            });
        }
    }

    // 3. Resonances.
    let resonances = if options.detect_resonances {
        find_resonances(a, budget.min(3))
    } else {
        Vec::new()
    };
    s.measurements
        .insert("resonances_found".into(), resonances.len() as f64);
    for r in &resonances {
        let gain = -(r.excess_db.min(cap));
        let band = make_band(
            EqBandType::Bell,
            round_sig(r.freq_hz, 3),
            (gain * 10.0).round() / 10.0,
            (r.q * 10.0).round() / 10.0,
        );
        add(&mut residual, &grid.band_averaged_response(&band));
        budget -= 1;
        proposals.push(Proposal {
            band,
            role: "resonance",
            reason: format!(
                "narrow peak at {} stands {:.1} dB above the surrounding spectrum (1/24-octave \
                 analysis) in {:.0} % of the 2-second windows",
                fmt_hz(r.freq_hz),
                r.excess_db,
                100.0 * r.persistence
            ),
            confidence_factor: ((0.5 + 0.5 * r.persistence) * (r.excess_db / 9.0).min(1.0)) as f32,
        });
    }

    // 4. Tonal bands.
    let fitted = fit_tonal(&grid, &residual, budget, cap);
    let before_err = grid.error(&dev);
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
    let tonal = limit_stacking(tonal, &grid, cap);
    for (i, band) in tonal.iter().enumerate() {
        let f = band.freq_hz as f64;
        let (lo, hi) = match band.kind {
            EqBandType::LowShelf => (20.0, f),
            EqBandType::HighShelf => (f, top),
            _ => {
                let bw = bell_bandwidth_oct(band.q as f64);
                (f * (-bw / 2.0).exp2(), f * (bw / 2.0).exp2())
            }
        };
        let (mut sum, mut wsum) = (0.0, 0.0);
        for ((fr, d), w) in grid.freq_hz.iter().zip(&dev).zip(&grid.weight) {
            if (lo..=hi).contains(fr) && *w > 0.0 {
                sum += d * w;
                wsum += w;
            }
        }
        let mean_dev = if wsum > 0.0 {
            sum / wsum
        } else {
            -(band.gain_db as f64)
        };
        let where_ = match band.kind {
            EqBandType::LowShelf => format!("below {}", fmt_hz(f)),
            EqBandType::HighShelf => format!("above {}", fmt_hz(f)),
            _ => format!("between {} and {}", fmt_hz(lo), fmt_hz(hi)),
        };
        let mut reason = format!(
            "{} {:.1} dB {} the {} target {}",
            match band.kind {
                EqBandType::LowShelf => "lows",
                EqBandType::HighShelf => "highs",
                _ => region_name(f),
            },
            mean_dev.abs(),
            if mean_dev >= 0.0 { "above" } else { "below" },
            target.name,
            where_
        );
        if mean_dev.abs() < 0.5 || mean_dev * band.gain_db as f64 > 0.0 {
            // The band corrects how the neighbouring bands overlap rather than a deviation of
            // its own: say so instead of quoting a number that seems to contradict it.
            reason.push_str(&format!(
                "; this band {} by {:.1} dB to even out where the neighbouring bands overlap",
                if band.gain_db < 0.0 { "cuts" } else { "lifts" },
                band.gain_db.abs()
            ));
        }
        let partner = tonal.iter().enumerate().find(|(j, o)| {
            *j != i
                && o.kind == band.kind
                && (o.freq_hz as f64 / f).log2().abs() < 0.5
                && (o.gain_db.abs() as f64) >= cap - 0.05
                && o.gain_db.signum() == band.gain_db.signum()
        });
        if partner.is_some() && (band.gain_db.abs() as f64) < cap - 0.05 {
            reason.push_str(&format!(
                "; completes the other band near {}, which is capped at {:.0} dB",
                fmt_hz(f),
                cap
            ));
        }
        proposals.push(Proposal {
            band: *band,
            role: "band",
            reason,
            confidence_factor: (0.6 + 0.4 * (band.gain_db.abs() / 3.0).min(1.0)),
        });
    }

    // The error left by everything proposed (exact responses, rounded values).
    let mut after = dev.clone();
    for p in &proposals {
        let resp = if p.role == "resonance" {
            grid.band_averaged_response(&p.band)
        } else {
            grid.response(&p.band)
        };
        add(&mut after, &resp);
    }
    let after_err = grid.error(&after);

    // 5. Slots and items.
    let mut order: Vec<usize> = (0..proposals.len()).collect();
    order.sort_by(|&x, &y| {
        proposals[x]
            .band
            .freq_hz
            .total_cmp(&proposals[y].band.freq_hz)
    });
    let freqs: Vec<f64> = order
        .iter()
        .map(|&i| proposals[i].band.freq_hz as f64)
        .collect();
    let slots = assign_slots(&freqs, &free);
    let mut res_count = 0;
    for (&pi, &slot) in order.iter().zip(&slots) {
        let p = &proposals[pi];
        let n = slot + 1;
        let b = p.band;
        let mut values = BTreeMap::new();
        values.insert(band_param_id(n, BandParam::On), 1.0);
        values.insert(band_param_id(n, BandParam::Type), b.kind.index() as f32);
        values.insert(band_param_id(n, BandParam::Freq), b.freq_hz);
        values.insert(band_param_id(n, BandParam::Gain), b.gain_db);
        values.insert(band_param_id(n, BandParam::Q), b.q);
        values.insert(band_param_id(n, BandParam::Slope), b.slope_db_oct);
        values.insert(
            band_param_id(n, BandParam::Place),
            Placement::Stereo.index() as f32,
        );
        let key = match p.role {
            "lowcut" => "lowcut".to_string(),
            "resonance" => {
                res_count += 1;
                if res_count == 1 {
                    "resonance".to_string()
                } else {
                    format!("resonance{res_count}")
                }
            }
            _ => format!("band{n}"),
        };
        let f = fmt_hz(b.freq_hz as f64);
        let title = match (p.role, b.kind) {
            ("lowcut", _) => format!("Low cut at {f} ({:.0} dB/oct)", b.slope_db_oct),
            ("resonance", _) => format!(
                "Cut resonance at {f} by {:.1} dB (Q {:.0})",
                -b.gain_db, b.q
            ),
            (_, EqBandType::LowShelf) => format!("Low shelf {:+.1} dB at {f}", b.gain_db),
            (_, EqBandType::HighShelf) => format!("High shelf {:+.1} dB at {f}", b.gain_db),
            _ => format!(
                "{} {f} by {:.1} dB",
                if b.gain_db < 0.0 { "Cut" } else { "Boost" },
                b.gain_db.abs()
            ),
        };
        s.values.extend(values.iter().map(|(k, v)| (k.clone(), *v)));
        s.items.push(SuggestionItem {
            key,
            title,
            values,
            reason: p.reason.clone(),
            confidence: (evidence * p.confidence_factor).clamp(0.0, 1.0),
        });
    }
    s.confidence = evidence.clamp(0.0, 1.0);

    // Measurements.
    let m = &mut s.measurements;
    m.insert("heard_seconds".into(), s.heard_seconds as f64);
    m.insert("windows".into(), a.windows as f64);
    if let Some(c) = a.stability_change_db {
        m.insert("stability_change_db".into(), c as f64);
    }
    m.insert("level_alignment_db".into(), alignment);
    m.insert("deviation_rms_db".into(), before_err.sqrt());
    m.insert("residual_rms_db".into(), after_err.sqrt());
    if before_err > 0.0 {
        m.insert(
            "deviation_reduction_pct".into(),
            100.0 * (1.0 - (after_err / before_err).sqrt()),
        );
    }
    let mean_dev = grid.mean(&dev);
    for oct in [
        31.5f64, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16_000.0,
    ] {
        let (mut sum, mut n) = (0.0, 0);
        for ((f, d), w) in grid.freq_hz.iter().zip(&dev).zip(&grid.weight) {
            if (f / oct).log2().abs() <= 0.5 + 1e-6 && *w > 0.0 {
                sum += d - mean_dev;
                n += 1;
            }
        }
        if n > 0 {
            m.insert(
                format!("deviation_db_{}hz", oct.round() as u32),
                sum / n as f64,
            );
        }
    }
    if s.heard_seconds < 10.0 {
        s.warnings.push(format!(
            "only {:.1} s heard so far; keep playing for a steadier estimate",
            s.heard_seconds
        ));
    }
    if !a.stable && a.windows >= 2 {
        s.warnings
            .push("the spectrum is still changing between windows".into());
    }
    s
}
