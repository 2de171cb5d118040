//! Loudness measurement (placeholder: owned by the loudness helper).
pub mod true_peak;
