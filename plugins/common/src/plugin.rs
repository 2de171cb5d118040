//! The plugin written once: [`TandemPlugin`] is every Tandem plugin's `Plugin`, `ClapPlugin`
//! and `Vst3Plugin` over a small [`PluginSpec`] (names, IDs, features, the chain, the
//! parameters, the analyzer, the editor). A plugin crate keeps what is its own: its parameters,
//! its analyzer's suggest step and its editor body.
//!
//! What every plugin does the same way lives here: the host's layout to a channel count, the
//! engine built at the host's rate and block size (latency reported from the chain), the
//! analysis thread started after it (a plugin whose analysis cannot start still plays), the
//! manual settings read at every block, the side-chain port handed on when a layout has one,
//! and the foreign-state filter.

use crate::analysis::runtime::AssistantRuntime;
use crate::audio::display::Display;
use crate::audio::engine::{AssistedEngine, BlockControls};
use crate::audio::store::SuggestionStore;
use crate::gui::{Shell, ShellConfig, ShellCtx, ShellEditor};
use crate::params::AssistedParams;
use crate::{analysis::assistant::Analyzer, audio::shared::AssistantShared};
use dsp_core::chains::Chain;
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Stereo in and out, or mono in and out.
pub const STEREO_OR_MONO: &[AudioIOLayout] = &[
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

/// [`STEREO_OR_MONO`], each with a side-chain input of as many channels.
pub const STEREO_OR_MONO_WITH_SIDECHAIN: &[AudioIOLayout] = &[
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

/// What makes one Tandem plugin itself.
pub trait PluginSpec: Send + Sync + Sized + 'static {
    /// The name hosts show ("Tandem EQ").
    const NAME: &'static str;
    /// The CLAP ID, also written into the saved state to recognise foreign states.
    const CLAP_ID: &'static str;
    /// One line for the host's plugin browser.
    const DESCRIPTION: &'static str;
    /// CLAP features.
    const CLAP_FEATURES: &'static [ClapFeature];
    /// The VST3 class ID.
    const VST3_CLASS_ID: [u8; 16];
    /// VST3 subcategories.
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory];
    /// The audio layouts, the preferred first.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = STEREO_OR_MONO;

    /// The `dsp-core` chain the plugin plays.
    type Chain: Chain;
    /// The host parameters.
    type Params: AssistedParams<Settings = <Self::Chain as Chain>::Settings>;
    /// The analysis thread's listener.
    type Analyzer: Analyzer;
    /// State the plugin shares between its audio thread, analyzer and editor besides
    /// [`Display`] (the Master's meters); `()` when there is none.
    type Extra: Default + Send + Sync + 'static;

    /// Builds the analyzer for a host rate and channel count.
    const ANALYZER: AnalyzerFn<Self>;
    /// Builds the editor.
    const EDITOR: EditorFn<Self>;
    /// After each block: the chain's meters into the shared state. Real-time safe. The default
    /// does nothing.
    const AFTER_BLOCK: AfterBlockFn<Self> = |_, _, _| {};
}

/// [`PluginSpec::ANALYZER`]: (sample rate, channels, display, extra, parameters).
pub type AnalyzerFn<S> = fn(
    f32,
    usize,
    Arc<Display>,
    Arc<<S as PluginSpec>::Extra>,
    &<S as PluginSpec>::Params,
) -> Result<<S as PluginSpec>::Analyzer, String>;

/// What an editor is built from: (parameters, assistant state, display, extra).
pub type EditorArgs<S> = (
    Arc<<S as PluginSpec>::Params>,
    Arc<AssistantShared>,
    Arc<Display>,
    Arc<<S as PluginSpec>::Extra>,
);

/// [`PluginSpec::EDITOR`]: builds the editor from [`EditorArgs`].
pub type EditorFn<S> = fn(EditorArgs<S>) -> Option<ShellEditor<<S as PluginSpec>::Params>>;

/// [`PluginSpec::AFTER_BLOCK`]: (chain, display, extra).
pub type AfterBlockFn<S> = fn(&<S as PluginSpec>::Chain, &Display, &<S as PluginSpec>::Extra);

/// The body of plugin `S`'s editor, drawn each frame inside the shell: (the space it has, the
/// shell's context, the parameters, the display, the plugin's extra state, the body's own state).
pub type BodyFn<S, B> = fn(
    &mut egui::Ui,
    &ShellCtx,
    &<S as PluginSpec>::Params,
    &Display,
    &<S as PluginSpec>::Extra,
    &mut B,
);

/// The editor of plugin `S`: the shared shell (header, suggestion panel, compare, learn) with
/// `config`, around the plugin's own `body` and its `state`. What each plugin's
/// [`PluginSpec::EDITOR`] calls with the [`EditorArgs`] it got.
pub fn shell_editor<S: PluginSpec, B: Send + 'static>(
    config: ShellConfig,
    (params, shared, display, extra): EditorArgs<S>,
    mut state: B,
    body: BodyFn<S, B>,
) -> Option<ShellEditor<S::Params>> {
    let editor_state = params.editor_state();
    let (p, d) = (params.clone(), display.clone());
    let shell = Shell::new(
        config,
        params,
        S::Params::assistant,
        shared,
        S::Chain::neutral_value,
    )
    .with_display(display);
    crate::gui::create_editor(editor_state, shell, move |ui, cx| {
        body(ui, cx, &p, &d, &extra, &mut state)
    })
}

/// What an editor of plugin `S` draws each frame: the manual settings the parameters hold, and
/// the suggested ones (the manual settings with the suggestion scaled by the amount; the manual
/// settings again while there is no suggestion).
pub fn manual_and_suggested<S: PluginSpec>(
    params: &S::Params,
    cx: &ShellCtx,
) -> (<S::Chain as Chain>::Settings, <S::Chain as Chain>::Settings) {
    let mut manual = Default::default();
    params.manual_settings(&mut manual);
    let mut suggested = manual;
    crate::audio::engine::suggested_settings::<S::Chain>(
        &manual,
        &cx.shared.store,
        cx.amount,
        &mut suggested,
    );
    (manual, suggested)
}

/// One Tandem plugin instance, the object the host instantiates.
pub struct TandemPlugin<S: PluginSpec> {
    params: Arc<S::Params>,
    shared: Arc<AssistantShared>,
    display: Arc<Display>,
    extra: Arc<S::Extra>,
    runtime: AssistantRuntime,
    engine: Option<AssistedEngine<S::Chain>>,
    manual: <S::Chain as Chain>::Settings,
}

impl<S: PluginSpec> Default for TandemPlugin<S> {
    fn default() -> Self {
        let store = Arc::new(SuggestionStore::new(S::Chain::params()));
        let shared = AssistantShared::new(store.clone());
        Self {
            params: Arc::new(S::Params::with_store(store)),
            runtime: AssistantRuntime::new(shared.clone()),
            shared,
            display: Arc::new(Display::default()),
            extra: Arc::new(S::Extra::default()),
            engine: None,
            manual: Default::default(),
        }
    }
}

impl<S: PluginSpec> TandemPlugin<S> {
    /// The shared assistant state (tests and the editor).
    pub fn shared(&self) -> &Arc<AssistantShared> {
        &self.shared
    }

    /// The parameters.
    pub fn plugin_params(&self) -> &Arc<S::Params> {
        &self.params
    }
}

impl<S: PluginSpec> Plugin for TandemPlugin<S> {
    const NAME: &'static str = S::NAME;
    const VENDOR: &'static str = "Tandem";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = S::AUDIO_IO_LAYOUTS;

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = ShellEditor<S::Params>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        (S::EDITOR)((
            self.params.clone(),
            self.shared.clone(),
            self.display.clone(),
            self.extra.clone(),
        ))
    }

    fn filter_state(state: &mut PluginState) {
        crate::identity::filter_foreign_state(state, S::CLAP_ID);
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let name = S::NAME;
        let channels = audio_io_layout
            .main_output_channels
            .map(|c| c.get() as usize)
            .unwrap_or(2)
            .clamp(1, 2);
        let sr = buffer_config.sample_rate;
        let max_block = buffer_config.max_buffer_size.max(1) as usize;
        self.params.manual_settings(&mut self.manual);
        let engine = match AssistedEngine::<S::Chain>::new(sr, max_block, channels, &self.manual) {
            Ok(e) => e,
            Err(e) => {
                nice_log!("{name} cannot run at {sr} Hz with {channels} channels: {e}");
                return false;
            }
        };
        // Constant for a rate whatever the settings, so automation never changes it.
        context.set_latency_samples(engine.latency_samples() as u32);
        self.engine = Some(engine);
        self.display.sample_rate_hz.store(sr, Ordering::Relaxed);
        self.display.gain_reduction_db.store(0.0, Ordering::Relaxed);

        let analyzer = match (S::ANALYZER)(
            sr,
            channels,
            self.display.clone(),
            self.extra.clone(),
            &self.params,
        ) {
            Ok(a) => a,
            Err(e) => {
                nice_log!("{name} analysis unavailable: {e}");
                return true;
            }
        };
        if let Err(e) = self.runtime.start_for(
            name,
            sr,
            channels,
            analyzer,
            self.params.clone(),
            S::Params::assistant,
            S::Chain::neutral_value,
        ) {
            nice_log!("{name}: {e}");
        }
        true
    }

    fn reset(&mut self) {
        self.params.manual_settings(&mut self.manual);
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
        self.params.manual_settings(&mut self.manual);
        let assistant = self.params.assistant();
        let controls = BlockControls {
            manual: &self.manual,
            compare: assistant.compare.value(),
            amount: assistant.amount.value(),
            match_levels: assistant.match_levels.value(),
        };
        // A side-chain port, where the layout has one (the host may leave it unconnected:
        // nice-plug then hands silence).
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
        (S::AFTER_BLOCK)(engine.chain(), &self.display, &self.extra);
        ProcessStatus::Normal
    }
}

impl<S: PluginSpec> Drop for TandemPlugin<S> {
    fn drop(&mut self) {
        self.runtime.stop();
        // A reference still loading stops with the instance: its thread runs this library.
        self.params.common().loader.shutdown();
    }
}

impl<S: PluginSpec> ClapPlugin for TandemPlugin<S> {
    const CLAP_ID: &'static str = S::CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(S::DESCRIPTION);
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = S::CLAP_FEATURES;
}

impl<S: PluginSpec> Vst3Plugin for TandemPlugin<S> {
    const VST3_CLASS_ID: [u8; 16] = S::VST3_CLASS_ID;
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = S::VST3_SUBCATEGORIES;
}
