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
//! The DSP is [`dsp_core::chains::master::MasterChain`]; [`engine::MasterEngine`] is the
//! audio-thread glue. The latency is the chain's, constant for a sample rate.

pub mod analyzer;
pub mod editor;
pub mod engine;
pub mod params;
pub mod reference;

use analyzer::Meters;
use dsp_core::chains::master::{param_ids, MasterSettings};
use engine::{BlockControls, MasterEngine};
use nice_plug::prelude::*;
use params::MasterParams;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use tandem_common::assistant::AssistantShared;
use tandem_common::display::Display;
use tandem_common::runtime::AssistRuntime;
use tandem_common::store::SuggestionStore;

/// The CLAP ID (also written into the saved state to recognise foreign states).
pub const CLAP_ID: &str = "audio.tandem.master";

/// The parameters the assistant may propose: every chain parameter.
pub fn assistable_ids() -> &'static [&'static str] {
    static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    IDS.get_or_init(|| {
        param_ids()
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect()
    })
}

/// The manual parameter values by stable ID (chain parameters plus `master_target`,
/// `custom_lufs`, `custom_ceiling` and the assistant's), read off the GUI/analysis thread.
pub fn manual_map(params: &MasterParams) -> BTreeMap<String, f32> {
    tandem_common::gui::manual_values(params)
}

/// The plugin object the host instantiates.
pub struct TandemMaster {
    params: Arc<MasterParams>,
    shared: Arc<AssistantShared>,
    display: Arc<Display>,
    meters: Arc<Meters>,
    runtime: AssistRuntime,
    engine: Option<MasterEngine>,
    manual: MasterSettings,
}

impl Default for TandemMaster {
    fn default() -> Self {
        let store = Arc::new(SuggestionStore::new(assistable_ids()));
        let shared = AssistantShared::new(store.clone());
        Self {
            params: Arc::new(MasterParams::new(store)),
            runtime: AssistRuntime::new(shared.clone()),
            shared,
            display: Arc::new(Display::default()),
            meters: Arc::new(Meters::default()),
            engine: None,
            manual: MasterSettings::default(),
        }
    }
}

impl TandemMaster {
    /// The shared assistant state (tests and the editor).
    pub fn shared(&self) -> &Arc<AssistantShared> {
        &self.shared
    }

    /// The parameters.
    pub fn master_params(&self) -> &Arc<MasterParams> {
        &self.params
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

    type Editor = tandem_common::gui::ShellEditor<MasterParams>;
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
            self.meters.clone(),
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
        self.params.manual_settings(&mut self.manual);
        let engine = match MasterEngine::new(sr, max_block, channels, &self.manual) {
            Ok(e) => e,
            Err(e) => {
                nice_log!("Tandem Master cannot run at {sr} Hz with {channels} channels: {e}");
                return false;
            }
        };
        context.set_latency_samples(engine.latency_samples() as u32);
        self.engine = Some(engine);
        self.display.sample_rate_hz.store(sr, Ordering::Relaxed);

        let analyzer = match analyzer::MasterAnalyzer::new(
            sr,
            channels,
            self.display.clone(),
            self.meters.clone(),
            self.params.reference.clone(),
        ) {
            Ok(a) => a,
            Err(e) => {
                nice_log!("Tandem Master analysis unavailable: {e}");
                return true;
            }
        };
        if let Err(e) = self.runtime.start_for(
            "Tandem Master",
            sr,
            channels,
            analyzer,
            self.params.clone(),
            |p| &p.assist,
            dsp_core::chains::master::neutral_value,
        ) {
            nice_log!("Tandem Master: {e}");
        }
        true
    }

    fn reset(&mut self) {
        self.params.manual_settings(&mut self.manual);
        if let Some(e) = self.engine.as_mut() {
            e.reset(&self.manual);
        }
    }

    fn deactivate(&mut self) {
        self.runtime.stop();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = self.engine.as_mut() else {
            for ch in buffer.as_slice() {
                ch.fill(0.0);
            }
            return ProcessStatus::Normal;
        };
        self.params.manual_settings(&mut self.manual);
        let assist = &self.params.assist;
        let controls = BlockControls {
            manual: &self.manual,
            compare: assist.compare.value(),
            amount: assist.amount.value(),
            match_levels: assist.match_levels.value(),
        };
        engine.process_host_block(
            buffer.as_slice(),
            None,
            &controls,
            &self.shared,
            &mut self.runtime,
            &self.display,
        );
        let glue = engine.chain().glue_gain_reduction_db();
        let lim = engine.chain().limiter_gain_reduction_db();
        self.meters.glue_gr_db.store(glue, Ordering::Relaxed);
        self.meters.limiter_gr_db.store(lim, Ordering::Relaxed);
        self.display
            .gain_reduction_db
            .store(glue + lim, Ordering::Relaxed);
        ProcessStatus::Normal
    }
}

impl Drop for TandemMaster {
    fn drop(&mut self) {
        self.runtime.stop();
        // A reference still loading stops with the instance (its thread runs this library's
        // code).
        self.params.reference.shutdown();
    }
}

impl ClapPlugin for TandemMaster {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("mastering chain with loudness targets and a mastering assistant");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Mastering,
        ClapFeature::Limiter,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for TandemMaster {
    const VST3_CLASS_ID: [u8; 16] = *b"TandemMasterAsst";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Mastering];
}

nice_export_clap!(TandemMaster);
nice_export_vst3!(TandemMaster);
