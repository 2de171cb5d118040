//! Tandem Master: a mastering chain (input gain, tonal EQ, glue, width, true-peak limiter,
//! dither) with loudness targets and a mastering assistant.
//!
//! - The host-visible parameters ([`params::MasterParams`]) are the engineer's manual settings;
//!   their IDs are the chain's stable IDs ([`dsp_core::chains::master::PARAMS`]).
//! - The analysis thread ([`analyzer::MasterAnalyzer`]) learns the input and proposes settings
//!   for the chosen platform target (limiter drive solved by simulating the chain); the
//!   suggestion is persisted with the project. It also meters the output for the editor.
//! - `compare` switches the DSP between the manual and the suggested set, level-matched (the
//!   trim only turns down, so the ceiling holds); accepting writes the suggestion into the
//!   manual parameters through host gestures.
//!
//! The DSP is [`dsp_core::chains::master::MasterChain`] (latency constant for a sample rate);
//! [`engine::MasterEngine`] is the audio-thread glue and
//! [`tandem_common::plugin::TandemPlugin`] the plugin.

pub mod analyzer;
pub mod editor;
pub mod engine;
pub mod meters;
pub mod params;
pub mod reference;

use dsp_core::chains::master::MasterChain;
use meters::Meters;
use nice_plug::prelude::*;
use tandem_common::plugin::{AfterBlockFn, AnalyzerFn, EditorFn, PluginSpec, TandemPlugin};

/// The CLAP ID (also written into the saved state to recognise foreign states).
pub const CLAP_ID: &str = "audio.tandem.master";

/// What makes Tandem Master itself.
pub struct MasterSpec;

impl PluginSpec for MasterSpec {
    const NAME: &'static str = "Tandem Master";
    const CLAP_ID: &'static str = CLAP_ID;
    const DESCRIPTION: &'static str =
        "mastering chain with loudness targets and a mastering assistant";
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Mastering,
        ClapFeature::Limiter,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
    const VST3_CLASS_ID: [u8; 16] = *b"TandemMasterAsst";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Mastering];
    type Chain = MasterChain;
    type Params = params::MasterParams;
    type Analyzer = analyzer::MasterAnalyzer;
    type Extra = Meters;

    const ANALYZER: AnalyzerFn<Self> = analyzer::for_plugin;
    const EDITOR: EditorFn<Self> = editor::create;
    const AFTER_BLOCK: AfterBlockFn<Self> = Meters::show_gain_reductions;
}

/// The plugin object the host instantiates.
pub type TandemMaster = TandemPlugin<MasterSpec>;

nice_export_clap!(TandemMaster);
nice_export_vst3!(TandemMaster);
