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
//! #[derive(Params)]
//! pub struct MyParams {
//!     #[id = "out_gain"]
//!     pub out_gain: FloatParam,
//!     /// Compare, match levels, amount; the suggestion, the window size and the identity.
//!     #[nested]
//!     pub common: TandemParams, // TandemParams::new(store, EDITOR_SIZE, CLAP_ID)
//! }
//!
//! // The plugin's `PluginSpec::EDITOR`: the shell around the plugin's own body.
//! pub fn create(args: EditorArgs<MySpec>) -> Option<ShellEditor<MyParams>> {
//!     let config = ShellConfig::new("Tandem EQ", "tonal-balance assistant", theme::accent::EQ);
//!     shell_editor::<MySpec, _>(config, args, BodyState::default(), body)
//! }
//!
//! fn body(ui: &mut Ui, cx: &ShellCtx, params: &MyParams, display: &Display, _: &(), st: &mut BodyState) {
//!     let (manual, suggested) = manual_and_suggested::<MySpec>(params, cx);
//!     gui::Knob::new(&params.out_gain, cx.setter, "Output").bipolar().show(ui);
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
pub use shell::{
    create_editor, curve_legend, with_meter_column, Shell, ShellApp, ShellConfig, ShellCtx,
    ShellEditor,
};
pub use spectrum::{NodeDrag, Spectrum, SpectrumNode, SpectrumResponse};
