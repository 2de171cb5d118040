//! The compressor assistant: listens to the dynamics of the material and proposes
//! [`CompSettings`] for a compression style, with the measured reasons.
//!
//! # Listening: [`CompAnalysis`]
//! Fed planar chunks on an analysis thread (or all at once with [`CompAnalysis::analyze`]). It
//! measures, over all channels (mean square averaged over channels, peak = largest channel):
//! - the **short-term level distribution**: RMS over consecutive 10 ms, 50 ms and 400 ms windows,
//!   as histograms (0.25 dB bins) of the non-silent windows (above the −60 dBFS gate), reported
//!   as percentiles ([`LevelPercentiles`]);
//! - the **crest factor** (peak / RMS, dB) of consecutive 200 ms non-silent windows (percentiles);
//! - BS.1770 **integrated loudness**, **loudness range** (EBU Tech 3342) and the sample peak,
//!   hence the **peak-to-loudness ratio** PLR = sample peak (dBFS) − integrated (LUFS);
//! - **onsets** ([`detect_onsets`], default [`OnsetParams`]) on the kept audio: onset rate, mean
//!   10→90 % **transient rise time**, median **inter-onset interval** and the tempo it implies;
//! - an excerpt of everything heard for simulation, at most [`CompAnalysisConfig::keep_seconds`]
//!   long, stratified by loudness and by peak so its loud and quiet passages (and their peaks)
//!   stand in the song's proportions ([`Excerpt`]): a quiet last half minute no longer sets the
//!   threshold for the tutti.
//!
//! Every statistic covers everything heard, in bounded memory (histograms, the excerpt).
//! Every [`STABILITY_WINDOW_SECONDS`] of heard audio the 90th percentile of the 50 ms levels and
//! the median crest factor are compared with the previous window's; the analysis is *stable* once
//! both moved by less than [`STABILITY_THRESHOLD_DB`] and at least [`MIN_STABLE_SECONDS`] were
//! heard.
//!
//! # Average gain reduction (the definition used everywhere)
//! [`average_gain_reduction`] runs the real [`CompChain`] (internal key) over the audio in 1 ms
//! sub-blocks and reads [`CompChain::gain_reduction_db`] after each. The timeline is cut into
//! 10 ms frames (10 sub-blocks); a frame's gain reduction is the mean of its readings and its
//! level is the mean square (over channels) of the *input delayed by the chain's latency* (so
//! level and gain reduction refer to the same audio). A frame is **loud** when its level is above
//! the gate (−60 dBFS) and within [`LOUD_RELATIVE_DB`] (20 dB) of the power average of all frames
//! above the gate. The average gain reduction is the arithmetic mean (dB) over the loud frames.
//!
//! # Proposing: [`suggest_comp`]
//! Ratio, knee, detector, lookahead and auto release come from the style ([`StyleParams`], data
//! in `data/comp_styles.json`). Attack = clamp(`attack_rise_factor` × rise time) to the style's
//! range (styles that *let through* use an attack longer than the rise, styles that *catch* one
//! at or below it); release = clamp(`release_ioi_factor` × inter-onset interval). The threshold
//! is then **solved** by bisection so that [`average_gain_reduction`] on the excerpt (at most
//! [`CompAssistantOptions::sim_seconds`] of it) equals the style's target, and the makeup so the
//! integrated loudness of the output equals the input's (measured after simulation,
//! `auto_makeup` off). Everything is a pure function of its inputs; it never panics.
//!
//! The **material** changes the style's proposal ([`MaterialRule`], the `material` record of
//! the style data, where the rule and its sources are written down): the target gain reduction
//! is scaled by a density factor from the peak-to-loudness ratio, and below
//! `decline_below_db` the assistant declines with an item that changes nothing ("Already dense:
//! little to gain"); a loudness range of `dynamic_lra_lu` or more limits the ratio; styles with a
//! [`CrestBackoff`] (Transient control) back off on a low crest factor. An explicit target
//! ([`CompAssistantOptions::target_avg_gr_db`]) is the engineer's and is not scaled. Each value
//! that a range or limit held says so in its reason. Confidence comes from the coverage of the
//! song, the stability of the level statistics across windows, whether the threshold was solved
//! or held at a limit, and how much compression the material calls for.
//!
//! # The code, one stage per file
//! `style` (the style data and the material rule), `analysis`
//! (listening), `simulate` (the chain run over audio, the gain-reduction
//! definition), and the proposal's stages: `material` (what the material changes), `timing`
//! (attack and release), `solve` (threshold and makeup, simulated), `suggest` (the stages in
//! order, the items and their reasons).
//!
//! [`CompSettings`]: crate::chains::comp::CompSettings
//! [`detect_onsets`]: crate::analysis::features::detect_onsets
//! [`OnsetParams`]: crate::analysis::features::OnsetParams
//! [`Excerpt`]: crate::assistant::excerpt::Excerpt
//! [`CompChain`]: crate::chains::comp::CompChain
//! [`CompChain::gain_reduction_db`]: crate::chains::comp::CompChain::gain_reduction_db

mod analysis;
mod material;
mod simulate;
mod solve;
mod style;
mod suggest;
mod timing;

pub use analysis::{CompAnalysis, CompAnalysisConfig, CompAnalysisResult, LevelPercentiles};
pub use simulate::{
    average_gain_reduction, average_gain_reduction_and_loudness, integrated_lufs,
    GainReductionReport,
};
pub use style::{
    material_rule, styles_version, CompStyle, CrestBackoff, MaterialRule, StyleParams,
    TransientHandling,
};
pub use suggest::{suggest_comp, CompAssistantOptions};

/// The built-in style data (JSON).
pub const STYLES_JSON: &str = include_str!("../../../data/comp_styles.json");
/// Default gate: windows below this RMS (dBFS) are silence.
pub const DEFAULT_GATE_DBFS: f32 = -60.0;
/// Loud frames are within this many dB of the power average of the non-silent frames.
pub const LOUD_RELATIVE_DB: f32 = 20.0;
/// Gain-reduction frame length, ms.
pub const FRAME_MS: f32 = 10.0;
/// Crest-factor window, ms.
pub const CREST_WINDOW_MS: f32 = 200.0;
/// Default length of the simulation excerpt, s.
pub const DEFAULT_KEEP_SECONDS: f32 = 20.0;
/// Seconds of heard audio before the analysis can be stable.
pub const MIN_STABLE_SECONDS: f32 = 30.0;
/// Length of one stability window, s of heard audio.
pub const STABILITY_WINDOW_SECONDS: f32 = 5.0;
/// Stable once successive windows move the 50 ms p90 level and median crest by less than this, dB.
pub const STABILITY_THRESHOLD_DB: f32 = 0.5;
/// Seconds of heard audio after which the evidence counts as complete.
pub const FULL_CONFIDENCE_SECONDS: f32 = MIN_STABLE_SECONDS;
/// Less heard audio than this gives an empty suggestion, s.
pub const MIN_HEARD_SECONDS: f32 = 1.0;

/// The Comp assistant: [`CompAnalysis`] and [`suggest_comp`] in a [`CompStyle`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CompAssistant;

impl super::Assistant for CompAssistant {
    type Chain = crate::chains::comp::CompChain;
    type Analysis = CompAnalysis;
    type Result = CompAnalysisResult;
    type Aim = CompStyle;
    type Options = CompAssistantOptions;
    const KEY: &'static str = "comp";
    fn live(sample_rate_hz: f32, channels: usize) -> Result<CompAnalysis, crate::ConfigError> {
        CompAnalysis::new(CompAnalysisConfig::new(sample_rate_hz, channels))
    }
    fn process(analysis: &mut CompAnalysis, block: &[&[f32]]) {
        analysis.process(block);
    }
    fn reset(analysis: &mut CompAnalysis) {
        analysis.reset();
    }
    fn heard_seconds(analysis: &CompAnalysis) -> f32 {
        analysis.heard_seconds()
    }
    fn is_stable(analysis: &CompAnalysis) -> bool {
        analysis.is_stable()
    }
    fn result(analysis: &CompAnalysis) -> CompAnalysisResult {
        analysis.result()
    }
    fn suggest(
        result: &CompAnalysisResult,
        aim: &CompStyle,
        options: &CompAssistantOptions,
        current: &crate::chains::comp::CompSettings,
    ) -> super::Suggestion {
        suggest_comp(result, *aim, options, current)
    }
}

#[cfg(test)]
mod tests;
