//! The shared editor of the Tandem plugins: the [`shell`] (header with the Manual/Suggested
//! switch and level offset, suggestion panel with Accept / Accept all, learn status) around the
//! plugin's own controls, the widgets ([`spectrum`], [`meters`], [`controls`]), the [`accept`]
//! plumbing that writes suggestions through host gestures, and a resizable [`editor`] whose size
//! is saved with the plugin state.
//!
//! The GUI only reads snapshots and atomics; it writes parameters only through host gestures
//! (so automation and undo work) and asks for a learn restart through
//! [`AssistantShared::restart_requested`](crate::audio::shared::AssistantShared).
//!
//! # Wiring a plugin
//!
//! ```ignore
//! use tandem_common::gui::{self, EditorState, Shell, ShellConfig, ShellEditor};
//!
//! #[derive(Params)]
//! pub struct MyParams {
//!     /// Window size, saved with the project.
//!     #[persist = "editor-state"]
//!     pub editor_state: Arc<EditorState>,
//!     #[nested(group = "Assistant")]
//!     pub assist: AssistParams,
//!     #[id = "out_gain"]
//!     pub out_gain: FloatParam,
//! }
//! // Default: editor_state: EditorState::new(1000.0, 640.0), …
//!
//! impl Plugin for MyPlugin {
//!     type Editor = ShellEditor<MyParams>;
//!
//!     fn editor(&mut self, _: AsyncExecutor<Self>) -> Option<Self::Editor> {
//!         let shell = Shell::new(
//!             ShellConfig::new("Tandem EQ", "tonal-balance assistant", gui::theme::accent::EQ),
//!             self.params.clone(),
//!             |p| &p.assist,
//!             self.shared.clone(),      // Arc<AssistantShared>
//!             neutral_value,            // fn(&str) -> Option<f32>, as used by the compare switch
//!         );
//!         let params = self.params.clone();
//!         let meters = self.meters.clone(); // the plugin's own Arc of atomics
//!         gui::create_editor(params.editor_state.clone(), shell, move |ui, cx| {
//!             gui::Spectrum::new("eq").pre(&meters.pre_snapshot()).show(ui);
//!             gui::Knob::new(&params.out_gain, cx.setter, "Output").bipolar().show(ui);
//!         })
//!     }
//! }
//! ```
//!
//! `editor()` is called once, before the host restores the state, so the size is read from
//! [`EditorState`] each time the window opens (see [`editor`] for why `EguiEditorState` is not
//! persisted directly).

pub mod accept;
pub mod controls;
pub mod editor;
pub mod meters;
pub mod probe;
pub mod reference;
pub mod shell;
pub mod spectrum;
pub mod theme;

pub use accept::{apply_changes, ParamIndex};
pub use controls::{enum_combo, param_slider, param_toggle, segmented, set_param_gesture, Knob};
pub use editor::{EditorSize, EditorState, TandemEditor};
pub use meters::{
    gain_reduction_meter, level_meter, loudness_readout, true_peak_readout, IoMeters, Loudness,
    PeakHold,
};
pub use reference::ReferencePicker;
pub use shell::{create_editor, curve_legend, Shell, ShellApp, ShellConfig, ShellCtx, ShellEditor};
pub use spectrum::{NodeDrag, Spectrum, SpectrumNode, SpectrumResponse};
