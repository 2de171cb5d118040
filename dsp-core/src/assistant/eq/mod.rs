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
//! once it changed by less than [`STABILITY_THRESHOLD_DB`] dB RMS. It also keeps the band and
//! fine curves of 4–8 contiguous segments of the song ([`MAX_SEGMENTS`]), for the resonance
//! test and the confidence.
//!
//! # Proposing: [`suggest_eq`], one stage per file
//! 1. **Deviation** (`deviation.rs`): measured − target on the 1/6-octave grid (20 Hz–20 kHz,
//!    below 0.45·fs), anchored once with [`level_anchor`] (the weighted median over
//!    150 Hz–5 kHz, weighted where the music's energy is), so the fit, the reasons and the
//!    measurements share one scale. What lies inside the target's tolerance corridor (measured
//!    targets: half their interquartile range of real mixes) costs nothing. Content more than
//!    [`NO_BOOST_BELOW_DB`] below the corridor is left alone and named in a warning. If the
//!    analysis is of the EQ's input, the engineer's enabled bands are added first.
//! 2. **Low cut** (`lowcut.rs`): sub-30 Hz energy that is noise-like, not a low note.
//! 3. **Resonances** (`resonances.rs`): only a peak that stays in every part of the song while
//!    the music moves, wider than a held note and not a partial; cut by half its excess.
//! 4. **Tonal bands** (`fit.rs`): greedy fit of shelves and broad bells plus joint refinement
//!    on what lies outside the corridor; boosts cost [`BOOST_COST`]× cuts, all boosts together
//!    at most [`BOOST_BUDGET_DB`], at most [`MAX_SUB_BOOST_DB`] below 40 Hz, at most
//!    [`MAX_TONAL_BANDS`] bands. Each band's reason quotes the error it acts on.
//! 5. **Confidence** (`confidence.rs`): from the evidence — seconds heard, whether each move is
//!    needed in every segment of the song, caps, boosts and heuristic targets.
//! 6. **Items** (`items.rs`): bands to free EQ slots in frequency order, titles and reasons.
//!
//! How well this works on real music is measured by `tandem eval` (docs/ASSISTANTS.md).
//!
//! Everything here is a pure function of its inputs (deterministic), for analysis threads.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::targets::{Target, DEFAULT_TOLERANCE_DB};
use super::{Suggestion, SuggestionItem};
use crate::analysis::spectrum::{FrameFft, Framer, OctaveSmoother};
use crate::chains::eq::{
    band_param_id, BandParam, BandSettings, EqBandType, EqSettings, Placement, NUM_BANDS,
};
use crate::{validate_sample_rate, ConfigError, MAX_CHANNELS};

mod analysis;
mod confidence;
mod deviation;
mod fit;
mod items;
mod lowcut;
mod resonances;
#[cfg(test)]
mod tests;

pub use analysis::*;
pub use confidence::FULL_CONFIDENCE_SECONDS;
use confidence::*;
pub(crate) use deviation::corridor_error;
pub use deviation::NO_BOOST_BELOW_DB;
use deviation::*;
use fit::*;
pub use fit::{level_anchor, perceptual_weight, BOOST_COST, MAX_STACK_FACTOR, MAX_TONAL_BANDS};
use items::*;
use lowcut::*;
use resonances::*;
pub use resonances::{MAX_CUT_DB, MIN_EXCESS_DB, MIN_PERSISTENCE};

/// Options of [`suggest_eq`]. The "amount" is applied by the caller ([`super::accept`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EqAssistantOptions {
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

impl Default for EqAssistantOptions {
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

/// The most boost (dB) the suggestion may apply below 40 Hz, all bands together.
pub const MAX_SUB_BOOST_DB: f64 = 3.0;
/// The most boost (dB) all tonal bands together may add (sum of their positive gains).
pub const BOOST_BUDGET_DB: f64 = 6.0;

/// The EQ assistant: [`EqAnalysis`] and [`suggest_eq`] towards a tonal [`Target`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EqAssistant;

impl super::Assistant for EqAssistant {
    type Chain = crate::chains::eq::EqChain;
    type Analysis = EqAnalysis;
    type Result = EqAnalysisResult;
    type Aim = Target;
    type Options = EqAssistantOptions;
    const KEY: &'static str = "eq";
    fn live(sample_rate_hz: f32, channels: usize) -> Result<EqAnalysis, ConfigError> {
        EqAnalysis::new(EqAnalysisConfig::new(sample_rate_hz, channels))
    }
    fn process(analysis: &mut EqAnalysis, block: &[&[f32]]) {
        analysis.process(block);
    }
    fn reset(analysis: &mut EqAnalysis) {
        analysis.reset();
    }
    fn heard_seconds(analysis: &EqAnalysis) -> f32 {
        analysis.heard_seconds()
    }
    fn is_stable(analysis: &EqAnalysis) -> bool {
        analysis.is_stable()
    }
    fn result(analysis: &EqAnalysis) -> EqAnalysisResult {
        analysis.result()
    }
    fn suggest(
        result: &EqAnalysisResult,
        aim: &Target,
        options: &EqAssistantOptions,
        current: &EqSettings,
    ) -> Suggestion {
        suggest_eq(result, aim, options, current)
    }
}

/// The suggested EQ for what `analysis` heard, towards `target`, completing `current` (the
/// engineer's settings, left untouched: suggested bands go to bands that are not enabled).
/// See the module docs for the method. Never panics; with nothing heard it returns an empty
/// suggestion with a warning.
pub fn suggest_eq(
    analysis: &EqAnalysisResult,
    target: &Target,
    options: &EqAssistantOptions,
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
    let cap = band_cap(options);
    let sr = a.sample_rate_hz as f64;
    if s.heard_seconds <= 0.0
        || a.band_db.len() != a.band_center_hz.len()
        || !sr.is_finite()
        || sr <= 0.0
    {
        s.warnings
            .push("nothing heard yet: play the material to get a suggestion".into());
        return s;
    }
    let fixed: Vec<BandSettings> = if options.analysis_is_pre_eq {
        current
            .bands
            .iter()
            .filter(|b| b.enabled && matches!(b.placement, Placement::Stereo | Placement::Mid))
            .copied()
            .collect()
    } else {
        Vec::new()
    };
    // 1. The deviation, anchored once, with the corridor.
    let Some(dev) = deviation(&a.band_center_hz, &a.band_db, sr, target, &fixed) else {
        s.warnings
            .push("the audio heard is too quiet to analyse".into());
        return s;
    };
    let (free, mut budget) = free_slots(current, options, &mut s);
    let mut proposals: Vec<Proposal> = Vec::new();
    let mut residual = dev.excess.clone();
    let evidence = evidence(a);
    // 2. Low cut, 3. resonances, 4. tonal bands.
    propose_low_cut(
        a,
        target,
        options,
        &dev.grid,
        &mut residual,
        &mut budget,
        &mut proposals,
        &mut s,
        evidence,
    );
    propose_resonances(
        a,
        options,
        &dev.grid,
        &mut residual,
        &mut budget,
        &mut proposals,
        &mut s,
        evidence,
        cap,
    );
    if crate::assistant::cancel::requested() {
        // The plugin is stopping: the suggestion is discarded.
        return s;
    }
    propose_tonal(
        a,
        target,
        &fixed,
        &dev,
        &residual,
        budget,
        cap,
        &mut proposals,
        &mut s,
        evidence,
    );
    // 5. Slots, items, measurements.
    emit_items(&proposals, &free, &mut s);
    measure(a, target, &dev, &proposals, &mut s);
    s
}

fn band_cap(options: &EqAssistantOptions) -> f64 {
    if options.max_gain_db.is_finite() {
        options
            .max_gain_db
            .clamp(0.5, crate::chains::eq::MAX_GAIN_DB) as f64
    } else {
        6.0
    }
}

/// The free EQ slots (bands the engineer has not enabled) and how many bands may be proposed.
fn free_slots(
    current: &EqSettings,
    options: &EqAssistantOptions,
    s: &mut Suggestion,
) -> (Vec<(usize, f64)>, usize) {
    let free: Vec<(usize, f64)> = current
        .bands
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.enabled)
        .map(|(i, b)| (i, b.freq_hz as f64))
        .collect();
    let budget = options.max_bands.min(free.len()).min(NUM_BANDS);
    if free.len() < options.max_bands.min(NUM_BANDS) {
        s.warnings.push(format!(
            "only {} EQ band(s) are free; switch bands off to let the assistant use more",
            free.len()
        ));
    }
    (free, budget)
}

/// The measurements behind the suggestion, the overall confidence and the warnings.
fn measure(
    a: &EqAnalysisResult,
    target: &Target,
    dev: &Deviation,
    proposals: &[Proposal],
    s: &mut Suggestion,
) {
    let grid = &dev.grid;
    let mut total = vec![0.0; grid.freq_hz.len()];
    for p in proposals {
        let resp = if p.role == "resonance" {
            grid.band_averaged_response(&p.band)
        } else {
            grid.response(&p.band)
        };
        add(&mut total, &resp);
    }
    // What is left outside the corridor once the EQ acts.
    let after: Vec<f64> = dev
        .dev
        .iter()
        .zip(&total)
        .zip(&grid.freq_hz)
        .map(|((d, t), f)| {
            let (lo, hi) = corridor(target, *f);
            outside(d + t, lo, hi)
        })
        .collect();
    let before_err = grid.error(&dev.excess);
    let after_err = grid.error(&after);
    let m = &mut s.measurements;
    m.insert("heard_seconds".into(), s.heard_seconds as f64);
    m.insert("windows".into(), a.windows as f64);
    if let Some(c) = a.stability_change_db {
        m.insert("stability_change_db".into(), c as f64);
    }
    m.insert("level_alignment_db".into(), dev.anchor);
    m.insert("deviation_rms_db".into(), before_err.sqrt());
    m.insert("residual_rms_db".into(), after_err.sqrt());
    if before_err > 0.0 {
        m.insert(
            "deviation_reduction_pct".into(),
            100.0 * (1.0 - (after_err / before_err).sqrt()),
        );
    }
    m.insert("loudness_change_db".into(), loudness_change_db(dev, &total));
    for oct in [
        31.5f64, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16_000.0,
    ] {
        let (mut sum, mut n) = (0.0, 0);
        for ((f, d), w) in grid.freq_hz.iter().zip(&dev.dev).zip(&grid.weight) {
            if (f / oct).log2().abs() <= 0.5 + 1e-6 && *w > 0.0 {
                sum += d;
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
    s.confidence = if s.items.is_empty() {
        evidence(a)
    } else {
        s.items.iter().map(|i| i.confidence).sum::<f32>() / s.items.len() as f32
    };
    if s.heard_seconds < 10.0 {
        s.warnings.push(format!(
            "only {:.1} s heard so far; keep playing for a steadier estimate",
            s.heard_seconds
        ));
    }
    let converged = a
        .stability_change_db
        .is_some_and(|c| c < STABILITY_THRESHOLD_DB);
    if !converged && a.windows >= 2 {
        s.warnings
            .push("the spectrum is still changing between windows".into());
    }
    if s.items.is_empty() && s.heard_seconds >= 10.0 {
        s.warnings.push(format!(
            "nothing to do here: the balance is within the {} range",
            target.name
        ));
    }
}
