//! Plugin-side machinery shared by the three Tandem plugins, layered by thread:
//!
//! - [`audio`]: what `process()` runs and shares (the engine around a `dsp-core` chain, the
//!   Manual/Suggested compare switch with level matching, the suggestion store, the display
//!   atomics, the state shared with the analysis thread and the editor);
//! - [`analysis`]: the listening tasks on their shared pool, the level-match measurement and the
//!   recent audio — on top of `audio`;
//! - [`gui`]: the egui editor shell and widgets — on top of `audio`, never of `analysis`;
//! - [`plugin`]: the plugin written once over a small per-plugin spec, which ties the three;
//! - [`params`]: the host parameters as the shared machinery reads them;
//! - [`reference`]: the persisted reference-track slot and its background loader, which the
//!   analyzers read and the editors fill.
//!
//! Nothing here does DSP: the processors and the suggestion engines live in `dsp-core`.

pub mod analysis;
pub mod audio;
pub mod gui;
pub mod identity;
pub mod mirror;
pub mod params;
pub mod plugin;
pub mod reference;

pub use dsp_core::assist::{Suggestion, SuggestionItem};
