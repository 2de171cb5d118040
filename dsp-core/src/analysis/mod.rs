//! Signal analysis for the assistant and the editors' displays.
//!
//! - [`spectrum`]: windowed FFT spectrum (Hann, overlap, averaging) normalised so a full-scale
//!   sine reads 0 dB, and 1/N-octave smoothing onto a log-frequency grid.
//! - [`ltas`]: long-term average spectrum over non-silent frames only.
//! - [`features`]: crest factor, onsets/transients, stereo correlation, side/mid ratio per band.
//!
//! The spectrum analyzer, smoother and meters allocate only at construction; the one-shot
//! functions that return `Vec`s (onsets, side/mid per band, LTAS results) are for analysis
//! threads.

pub mod features;
pub mod ltas;
pub mod spectrum;

pub use features::{
    crest_factor_db, crest_factor_db_channels, detect_onsets, pearson_correlation,
    side_mid_ratio_db, BandSideMid, CorrelationMeter, CrestFactorMeter, OnsetParams, OnsetReport,
    DEFAULT_STEREO_BANDS_HZ,
};
pub use ltas::{long_term_average_spectrum, Ltas, LtasConfig, LtasResult};
pub use spectrum::{Averaging, OctaveSmoother, SpectrumAnalyzer, SpectrumConfig};
