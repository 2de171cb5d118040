//! What the audio thread runs and what it shares: the engine around a `dsp-core` chain, the
//! compare switch and its level-matching trim, the suggestion store it reads as atomics, the
//! display atomics and the state shared with the analysis thread and the editor. The analysis
//! thread and the editor stand on this layer; it knows neither.

pub mod checks;
pub mod compare;
pub mod display;
pub mod engine;
pub mod shared;
pub mod store;
