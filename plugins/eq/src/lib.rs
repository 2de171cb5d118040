//! Tandem EQ: parametric EQ with a tonal-balance assistant
//!
//! NOTE: the DSP and the assistant arrive with this plugin's own issue; until then the plugin
//! is a pass-through that bundles, loads and keeps its stable name and IDs.

use nice_plug::prelude::*;
use std::sync::Arc;

/// The plugin object the host instantiates.
pub struct TandemEq {
    params: Arc<TandemEqParams>,
}

/// Host-visible parameters (the engineer's manual settings).
#[derive(Params)]
pub struct TandemEqParams {
    /// Output gain in dB, applied last.
    #[id = "out_gain"]
    pub output_gain_db: FloatParam,
}

impl Default for TandemEqParams {
    fn default() -> Self {
        Self {
            output_gain_db: FloatParam::new(
                "Output Gain",
                0.0,
                FloatRange::Linear {
                    min: -24.0,
                    max: 24.0,
                },
            )
            .with_smoother(SmoothingStyle::Linear(20.0))
            .with_unit(" dB")
            .with_step_size(0.01),
        }
    }
}

impl Default for TandemEq {
    fn default() -> Self {
        Self {
            params: Arc::new(TandemEqParams::default()),
        }
    }
}

impl Plugin for TandemEq {
    const NAME: &'static str = "Tandem EQ";
    const VENDOR: &'static str = "Tandem";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        for mut frame in buffer.iter_samples() {
            let gain = dsp_core::util::db_to_gain(self.params.output_gain_db.smoothed.next());
            for sample in frame.iter_mut() {
                *sample = dsp_core::util::sanitize(*sample) * gain;
            }
        }
        ProcessStatus::Normal
    }
}

impl ClapPlugin for TandemEq {
    const CLAP_ID: &'static str = "audio.tandem.eq";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("parametric EQ with a tonal-balance assistant");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Equalizer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for TandemEq {
    const VST3_CLASS_ID: [u8; 16] = *b"TandemEqAssist01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Eq];
}

nice_export_clap!(TandemEq);
nice_export_vst3!(TandemEq);
