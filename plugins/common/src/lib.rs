//! Plugin-side machinery shared by the three Tandem plugins: the analysis pool and the
//! persisted suggestion store, the Manual/Suggested compare switch with level matching, and the
//! egui editor shell and widgets.
//!
//! Nothing here does DSP: the processors and the suggestion engines live in `dsp-core`.

pub mod assistant;
pub mod compare;
pub mod display;
pub mod engine;
pub mod gui;
pub mod identity;
pub mod mirror;
pub mod monitor;
pub mod plugin;
pub mod recent;
pub mod reference;
pub mod runtime;
pub mod scheduler;
pub mod store;

pub use dsp_core::assist::{Suggestion, SuggestionItem};
