//! Tandem EQ: an eight-band, zero-latency parametric EQ with a tonal-balance assistant.
//!
//! - The host-visible parameters ([`params::EqParams`]) are the engineer's manual settings.
//! - The analysis thread ([`analyzer::EqAnalyzer`]) learns the input's long-term spectrum and
//!   proposes bands towards a target curve or a reference track; the suggestion is persisted
//!   with the project.
//! - `compare` switches the DSP between the manual and the suggested set, level-matched;
//!   accepting writes the suggestion into the manual parameters through host gestures.
//!
//! The DSP is [`dsp_core::chains::eq::EqChain`]; [`engine::EqEngine`] is the audio-thread glue
//! and [`tandem_common::plugin::TandemPlugin`] the plugin.

pub mod analyzer;
pub mod editor;
pub mod engine;
pub mod params;
pub mod reference;

use nice_plug::prelude::*;
use tandem_common::plugin::{AnalyzerFn, EditorFn, PluginSpec, TandemPlugin};

/// The CLAP ID (also written into the saved state to recognise foreign states).
pub const CLAP_ID: &str = "audio.tandem.eq";

/// What makes Tandem EQ itself.
pub struct EqSpec;

impl PluginSpec for EqSpec {
    const NAME: &'static str = "Tandem EQ";
    const CLAP_ID: &'static str = CLAP_ID;
    const DESCRIPTION: &'static str = "parametric EQ with a tonal-balance assistant";
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Equalizer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
    const VST3_CLASS_ID: [u8; 16] = *b"TandemEqAssist01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Eq];
    type Chain = dsp_core::chains::eq::EqChain;
    type Params = params::EqParams;
    type Analyzer = analyzer::EqAnalyzer;
    type Extra = ();

    const ANALYZER: AnalyzerFn<Self> = analyzer::for_plugin;
    const EDITOR: EditorFn<Self> = editor::create;
}

/// The plugin object the host instantiates.
pub type TandemEq = TandemPlugin<EqSpec>;

nice_export_clap!(TandemEq);
nice_export_vst3!(TandemEq);
