//! Tandem Comp: a feed-forward compressor with an external side-chain input and a dynamics
//! assistant.
//!
//! - The host-visible parameters ([`params::CompParams`]) are the engineer's manual settings;
//!   their IDs are the chain's ([`dsp_core::chains::comp::PARAM_IDS`]) plus `comp_style`.
//! - The analysis thread ([`analyzer::CompAnalyzer`]) learns the input's dynamics and proposes
//!   settings for the chosen style; the suggestion is persisted with the project.
//! - `compare` switches the DSP between the manual and the suggested set, level-matched;
//!   accepting writes the suggestion into the manual parameters through host gestures.
//!
//! The DSP is [`dsp_core::chains::comp::CompChain`] (constant latency of 10 ms, reported in
//! `activate`); [`engine::CompEngine`] is the audio-thread glue.

pub mod analyzer;
pub mod editor;
pub mod engine;
pub mod params;

use dsp_core::chains::comp::{CompSettings, PARAM_IDS};
use engine::{BlockControls, CompEngine};
use nice_plug::prelude::*;
use params::CompParams;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tandem_common::assistant::AssistantShared;
use tandem_common::display::Display;
use tandem_common::runtime::AssistRuntime;
use tandem_common::store::SuggestionStore;

/// The CLAP ID (also written into the saved state to recognise foreign states).
pub const CLAP_ID: &str = "audio.tandem.comp";

/// The parameters the assistant may propose: every compressor parameter.
pub fn assistable_ids() -> &'static [&'static str] {
    &PARAM_IDS
}

/// The manual settings as the parameters hold them now. Real-time safe.
pub fn manual_settings(params: &CompParams, out: &mut CompSettings) {
    params.settings(out);
}

/// The manual parameter values by stable ID (`comp_style` as its enum index), read off the
/// GUI/analysis thread.
pub fn manual_map(params: &CompParams) -> BTreeMap<String, f32> {
    tandem_common::gui::manual_values(params)
}

/// The plugin object the host instantiates.
pub struct TandemComp {
    params: Arc<CompParams>,
    shared: Arc<AssistantShared>,
    display: Arc<Display>,
    runtime: AssistRuntime,
    engine: Option<CompEngine>,
    manual: CompSettings,
}

impl Default for TandemComp {
    fn default() -> Self {
        let store = Arc::new(SuggestionStore::new(assistable_ids()));
        let shared = AssistantShared::new(store.clone());
        Self {
            params: Arc::new(CompParams::new(store)),
            runtime: AssistRuntime::new(shared.clone()),
            shared,
            display: Arc::new(Display::default()),
            engine: None,
            manual: CompSettings::default(),
        }
    }
}

impl TandemComp {
    /// The shared assistant state (tests and the editor).
    pub fn shared(&self) -> &Arc<AssistantShared> {
        &self.shared
    }

    /// The parameters.
    pub fn comp_params(&self) -> &Arc<CompParams> {
        &self.params
    }
}

impl Plugin for TandemComp {
    const NAME: &'static str = "Tandem Comp";
    const VENDOR: &'static str = "Tandem";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_input_ports: &[new_nonzero_u32(2)],
            names: PortNames {
                layout: Some("Stereo"),
                aux_inputs: &["Sidechain"],
                ..PortNames::const_default()
            },
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            aux_input_ports: &[new_nonzero_u32(1)],
            names: PortNames {
                layout: Some("Mono"),
                aux_inputs: &["Sidechain"],
                ..PortNames::const_default()
            },
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = tandem_common::gui::ShellEditor<CompParams>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.shared.clone(),
            self.display.clone(),
        )
    }

    fn filter_state(state: &mut PluginState) {
        tandem_common::identity::filter_foreign_state(state, CLAP_ID);
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = audio_io_layout
            .main_output_channels
            .map(|c| c.get() as usize)
            .unwrap_or(2)
            .clamp(1, 2);
        let sr = buffer_config.sample_rate;
        let max_block = buffer_config.max_buffer_size.max(1) as usize;
        manual_settings(&self.params, &mut self.manual);
        let Ok(engine) = CompEngine::new(sr, max_block, channels, &self.manual) else {
            nice_log!("Tandem Comp cannot run at {sr} Hz with {channels} channels");
            return false;
        };
        // Constant whatever the settings (the maximum lookahead), so automation never changes it.
        context.set_latency_samples(engine.latency_samples() as u32);
        self.engine = Some(engine);
        self.display.sample_rate_hz.store(sr, Ordering::Relaxed);
        self.display.gain_reduction_db.store(0.0, Ordering::Relaxed);

        let analyzer = match analyzer::CompAnalyzer::new(sr, channels, self.display.clone()) {
            Ok(a) => a,
            Err(e) => {
                nice_log!("Tandem Comp analysis unavailable: {e}");
                return true;
            }
        };
        if let Err(e) = self.runtime.start_for(
            "Tandem Comp",
            sr,
            channels,
            analyzer,
            self.params.clone(),
            |p| &p.assist,
            dsp_core::chains::comp::neutral_value,
        ) {
            nice_log!("Tandem Comp: {e}");
        }
        true
    }

    fn reset(&mut self) {
        manual_settings(&self.params, &mut self.manual);
        if let Some(e) = self.engine.as_mut() {
            e.reset(&self.manual);
        }
        self.display.gain_reduction_db.store(0.0, Ordering::Relaxed);
    }

    fn deactivate(&mut self) {
        self.runtime.stop();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = self.engine.as_mut() else {
            for ch in buffer.as_slice() {
                ch.fill(0.0);
            }
            return ProcessStatus::Normal;
        };
        manual_settings(&self.params, &mut self.manual);
        let assist = &self.params.assist;
        let controls = BlockControls {
            manual: &self.manual,
            compare: assist.compare.value(),
            amount: assist.amount.value(),
            match_levels: assist.match_levels.value(),
        };
        // The side-chain port (the host may leave it unconnected: nice-plug then hands silence).
        let mut key: [&[f32]; 2] = [&[]; 2];
        let mut key_channels = 0;
        if let Some(sc) = aux.inputs.first() {
            for (k, ch) in key.iter_mut().zip(sc.as_slice_immutable().iter()) {
                *k = ch;
                key_channels += 1;
            }
        }
        let key = (key_channels > 0).then_some(&key[..key_channels]);
        engine.process_host_block(
            buffer.as_slice(),
            key,
            &controls,
            &self.shared,
            &mut self.runtime,
            &self.display,
        );
        self.display
            .gain_reduction_db
            .store(engine.chain().gain_reduction_db(), Ordering::Relaxed);
        ProcessStatus::Normal
    }
}

impl Drop for TandemComp {
    fn drop(&mut self) {
        self.runtime.stop();
    }
}

impl ClapPlugin for TandemComp {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some("compressor with a dynamics assistant");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Compressor,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for TandemComp {
    const VST3_CLASS_ID: [u8; 16] = *b"TandemCompAssist";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Dynamics];
}

nice_export_clap!(TandemComp);
nice_export_vst3!(TandemComp);
