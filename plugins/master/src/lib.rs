//! Tandem Master: mastering chain with loudness targets and a mastering assistant
//!
//! NOTE: the DSP and the assistant arrive with this plugin's own issue; until then the plugin
//! is a pass-through that bundles, loads and keeps its stable name and IDs.

use nice_plug::prelude::*;
use std::sync::Arc;

/// The plugin object the host instantiates.
pub struct TandemMaster {
    params: Arc<TandemMasterParams>,
}

/// Host-visible parameters (the engineer's manual settings).
#[derive(Params)]
pub struct TandemMasterParams {
    /// Output gain in dB, applied last.
    #[id = "out_gain"]
    pub output_gain_db: FloatParam,
}

impl Default for TandemMasterParams {
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

impl Default for TandemMaster {
    fn default() -> Self {
        Self {
            params: Arc::new(TandemMasterParams::default()),
        }
    }
}

impl Plugin for TandemMaster {
    const NAME: &'static str = "Tandem Master";
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

impl ClapPlugin for TandemMaster {
    const CLAP_ID: &'static str = "audio.tandem.master";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("mastering chain with loudness targets and a mastering assistant");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Mastering,
        ClapFeature::Limiter,
        ClapFeature::Stereo,
    ];
}

impl Vst3Plugin for TandemMaster {
    const VST3_CLASS_ID: [u8; 16] = *b"TandemMasterAsst";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Mastering];
}

nice_export_clap!(TandemMaster);
nice_export_vst3!(TandemMaster);
