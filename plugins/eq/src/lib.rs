//! Tandem EQ: an eight-band, zero-latency parametric EQ with a tonal-balance assistant.
//!
//! - The host-visible parameters ([`params::EqParams`]) are the engineer's manual settings.
//! - The analysis thread ([`analyzer::EqAnalyzer`]) learns the input's long-term spectrum and
//!   proposes bands towards a target curve or a reference track; the suggestion is persisted
//!   with the project.
//! - `compare` switches the DSP between the manual and the suggested set, level-matched;
//!   accepting writes the suggestion into the manual parameters through host gestures.
//!
//! The DSP is [`dsp_core::chains::eq::EqChain`]; [`engine::EqEngine`] is the audio-thread glue.

pub mod analyzer;
pub mod editor;
pub mod engine;
pub mod params;
pub mod reference;

use dsp_core::chains::eq::{param_ids, EqSettings};
use engine::{BlockControls, EqEngine};
use nice_plug::prelude::*;
use params::EqParams;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use tandem_common::assistant::AssistantShared;
use tandem_common::display::Display;
use tandem_common::runtime::AssistRuntime;
use tandem_common::store::SuggestionStore;

/// The CLAP ID (also written into the saved state to recognise foreign states).
pub const CLAP_ID: &str = "audio.tandem.eq";

/// The parameters the assistant may propose: every band parameter and `out_gain`.
pub fn assistable_ids() -> &'static [&'static str] {
    static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    IDS.get_or_init(|| {
        param_ids()
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect()
    })
}

/// The manual settings as the parameters hold them now (plain values; no smoothing: the chain
/// glides itself). Real-time safe.
pub fn manual_settings(params: &EqParams, out: &mut EqSettings) {
    for (b, p) in out.bands.iter_mut().zip(params.bands()) {
        b.enabled = p.on.value();
        b.kind = dsp_core::chains::eq::EqBandType::from_value(p.kind.value() as usize as f32);
        b.freq_hz = p.freq_hz.value();
        b.gain_db = p.gain_db.value();
        b.q = p.q.value();
        b.slope_db_oct = p.slope_db_oct.value();
        b.placement =
            dsp_core::chains::eq::Placement::from_value(p.placement.value() as usize as f32);
    }
    out.output_gain_db = params.output_gain_db.value();
}

/// The manual parameter values by stable ID, read off the GUI/analysis thread.
pub fn manual_map(params: &EqParams) -> BTreeMap<String, f32> {
    tandem_common::gui::manual_values(params)
}

/// The plugin object the host instantiates.
pub struct TandemEq {
    params: Arc<EqParams>,
    shared: Arc<AssistantShared>,
    display: Arc<Display>,
    runtime: AssistRuntime,
    engine: Option<EqEngine>,
    manual: EqSettings,
}

impl Default for TandemEq {
    fn default() -> Self {
        let store = Arc::new(SuggestionStore::new(assistable_ids()));
        let shared = AssistantShared::new(store.clone());
        Self {
            params: Arc::new(EqParams::new(store)),
            runtime: AssistRuntime::new(shared.clone()),
            shared,
            display: Arc::new(Display::default()),
            engine: None,
            manual: EqSettings::default(),
        }
    }
}

impl TandemEq {
    /// The shared assistant state (tests and the editor).
    pub fn shared(&self) -> &Arc<AssistantShared> {
        &self.shared
    }

    /// The parameters.
    pub fn eq_params(&self) -> &Arc<EqParams> {
        &self.params
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

    type Editor = tandem_common::gui::ShellEditor<EqParams>;
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
        let Ok(engine) = EqEngine::new(sr, max_block, channels, &self.manual) else {
            nice_log!("Tandem EQ cannot run at {sr} Hz with {channels} channels");
            return false;
        };
        self.engine = Some(engine);
        self.display.sample_rate_hz.store(sr, Ordering::Relaxed);
        context.set_latency_samples(0);

        let analyzer = match analyzer::EqAnalyzer::new(
            sr,
            channels,
            self.display.clone(),
            self.params.reference.clone(),
        ) {
            Ok(a) => a,
            Err(e) => {
                nice_log!("Tandem EQ analysis unavailable: {e}");
                return true;
            }
        };
        if let Err(e) = self.runtime.start_for(
            "Tandem EQ",
            sr,
            channels,
            analyzer,
            self.params.clone(),
            |p| &p.assist,
            dsp_core::chains::eq::neutral_value,
        ) {
            nice_log!("Tandem EQ: {e}");
        }
        true
    }

    fn reset(&mut self) {
        manual_settings(&self.params, &mut self.manual);
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
        manual_settings(&self.params, &mut self.manual);
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
        ProcessStatus::Normal
    }
}

impl Drop for TandemEq {
    fn drop(&mut self) {
        self.runtime.stop();
        // A reference still loading stops with the instance (its thread runs this library's
        // code).
        self.params.reference.shutdown();
    }
}

impl ClapPlugin for TandemEq {
    const CLAP_ID: &'static str = CLAP_ID;
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
