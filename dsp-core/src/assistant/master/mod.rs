//! The mastering assistant ("master"): loudness targets, analysis and suggestions for
//! [`crate::chains::master`].
//!
//! - [`Platform`] / [`PlatformTarget`] / [`MasterTarget`]: platform loudness targets from the
//!   versioned, sourced data file `data/loudness_targets.json` ([`LOUDNESS_TARGETS_JSON`]), plus a
//!   custom target.
//! - [`MasterAnalysis`]: streaming analysis fed planar chunks (1 or 2 channels) on an analysis
//!   thread — BS.1770 loudness (integrated, LRA, true peak), the EQ assistant's tonal band curve
//!   ([`EqAnalysis`]), stereo correlation, low-end side/mid ratio — and a bounded excerpt of the
//!   audio for simulation, stratified by loudness and peak over everything heard
//!   ([`Excerpt`]). One-shot: [`MasterAnalysis::analyze`].
//! - [`suggest_master`]: broad tonal moves, glue, stereo fixes, and limiter drive + ceiling
//!   solved by **simulating the whole [`MasterChain`]** on the analysed audio.
//!
//! The code, one stage per file: `targets` (platforms, targets, reference, options), `analysis`
//! (listening), `simulate` (the chain and its limiter run over audio, the drive search), and the
//! proposal's stages `tonal` (the broad tonal fit), `stereo`, `loudness` (glue, drive and ceiling
//! solved and verified on the excerpt), with `suggest` running them in order.
//!
//! [`EqAnalysis`]: crate::assistant::eq::EqAnalysis
//! [`Excerpt`]: crate::assistant::excerpt::Excerpt
//! [`MasterChain`]: crate::chains::master::MasterChain

mod analysis;
mod loudness;
mod simulate;
mod stereo;
mod suggest;
mod targets;
mod tonal;

pub use analysis::{MasterAnalysis, MasterAnalysisResult};
pub use suggest::suggest_master;
pub use targets::{
    loudness_targets, loudness_targets_version, MasterAssistantOptions, MasterReference,
    MasterTarget, Platform, PlatformTarget,
};

/// The loudness-target data file, compiled in.
pub const LOUDNESS_TARGETS_JSON: &str = include_str!("../../../data/loudness_targets.json");

/// Upper edge of the "low end" for the mono-compatibility check, in Hz.
pub const LOW_END_HZ: f32 = 120.0;
/// `mono_below` the assistant proposes when the low end is too wide or out of phase, in Hz.
pub const SUGGESTED_MONO_BELOW_HZ: f32 = 120.0;
/// Side/mid energy below [`LOW_END_HZ`] above which the low end counts as too wide, in dB.
pub const LOW_END_MAX_SIDE_TO_MID_DB: f32 = -12.0;
/// The most audio kept for simulation ([`Excerpt`]), in seconds at rates up to 96 kHz
/// (proportionally fewer seconds above, so memory stays below ≈ 23 MB for stereo).
///
/// [`Excerpt`]: crate::assistant::excerpt::Excerpt
pub const SIM_MAX_SECONDS: f32 = 30.0;
/// Loudness tolerance of the drive solution, in LU.
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.2;
/// The verified output true peak is kept this far under the target's ceiling, in dB.
pub const TRUE_PEAK_GUARD_DB: f64 = 0.02;
/// Minimum of heard (non-silent) audio for a suggestion, in seconds.
pub const MIN_HEARD_SECONDS: f32 = 1.0;
/// Seconds of heard audio before the analysis can be stable (the tonal estimate converging on
/// an intro is not enough).
pub const MIN_STABLE_SECONDS: f32 = 30.0;

/// The Master assistant: [`MasterAnalysis`] (live) and [`suggest_master`] towards a
/// [`MasterTarget`].
#[derive(Debug, Clone, Copy, Default)]
pub struct MasterAssistant;

impl super::Assistant for MasterAssistant {
    type Chain = crate::chains::master::MasterChain;
    type Analysis = MasterAnalysis;
    type Result = MasterAnalysisResult;
    type Aim = MasterTarget;
    type Options = MasterAssistantOptions;
    const KEY: &'static str = "master";
    fn live(sample_rate_hz: f32, channels: usize) -> Result<MasterAnalysis, crate::ConfigError> {
        MasterAnalysis::live(sample_rate_hz, channels)
    }
    fn process(analysis: &mut MasterAnalysis, block: &[&[f32]]) {
        analysis.process(block);
    }
    fn reset(analysis: &mut MasterAnalysis) {
        analysis.reset();
    }
    fn heard_seconds(analysis: &MasterAnalysis) -> f32 {
        analysis.status().0
    }
    fn is_stable(analysis: &MasterAnalysis) -> bool {
        analysis.status().1
    }
    fn result(analysis: &MasterAnalysis) -> MasterAnalysisResult {
        analysis.result()
    }
    fn suggest(
        result: &MasterAnalysisResult,
        aim: &MasterTarget,
        options: &MasterAssistantOptions,
        current: &crate::chains::master::MasterSettings,
    ) -> super::Suggestion {
        suggest_master(result, aim, options, current)
    }
}

#[cfg(test)]
mod tests;
