//! Tandem Comp: a feed-forward compressor with an external side-chain input and a dynamics
//! assistant.
//!
//! - The host-visible parameters ([`params::CompParams`]) are the engineer's manual settings;
//!   their IDs, names, ranges and defaults are the chain's table
//!   ([`dsp_core::chains::comp::PARAMS`]) plus `comp_style`.
//! - The analysis thread ([`analyzer::CompAnalyzer`]) learns the input's dynamics and proposes
//!   settings for the chosen style; the suggestion is persisted with the project.
//! - `compare` switches the DSP between the manual and the suggested set, level-matched;
//!   accepting writes the suggestion into the manual parameters through host gestures.
//!
//! The DSP is [`dsp_core::chains::comp::CompChain`] (constant latency of 10 ms);
//! [`engine::CompEngine`] is the audio-thread glue and [`tandem_common::plugin::TandemPlugin`]
//! the plugin.

pub mod analyzer;
pub mod editor;
pub mod engine;
pub mod params;

use dsp_core::chains::comp::CompChain;
use nice_plug::prelude::*;
use tandem_common::plugin::{
    AfterBlockFn, AnalyzerFn, EditorFn, PluginSpec, TandemPlugin, STEREO_OR_MONO_WITH_SIDECHAIN,
};

/// The CLAP ID (also written into the saved state to recognise foreign states).
pub const CLAP_ID: &str = "audio.tandem.comp";

/// What makes Tandem Comp itself.
pub struct CompSpec;

impl PluginSpec for CompSpec {
    const NAME: &'static str = "Tandem Comp";
    const CLAP_ID: &'static str = CLAP_ID;
    const DESCRIPTION: &'static str = "compressor with a dynamics assistant";
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Compressor,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
    const VST3_CLASS_ID: [u8; 16] = *b"TandemCompAssist";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Dynamics];
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = STEREO_OR_MONO_WITH_SIDECHAIN;
    type Chain = CompChain;
    type Params = params::CompParams;
    type Analyzer = analyzer::CompAnalyzer;
    type Extra = ();

    const ANALYZER: AnalyzerFn<Self> = analyzer::for_plugin;
    const EDITOR: EditorFn<Self> = editor::create;
    const AFTER_BLOCK: AfterBlockFn<Self> = engine::show_gain_reduction;
}

/// The plugin object the host instantiates.
pub type TandemComp = TandemPlugin<CompSpec>;

nice_export_clap!(TandemComp);
nice_export_vst3!(TandemComp);
