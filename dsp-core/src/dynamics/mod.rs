//! Dynamics processing after Giannoulis, Massberg & Reiss, "Digital Dynamic Range Compressor
//! Design — A Tutorial and Analysis", JAES 60(6), 2012 (cited below as *GMR 2012*).
//!
//! The building blocks, each usable on its own:
//! - [`detector`]: level detectors (peak, sliding-window RMS) behind the [`Detect`] seam;
//! - [`envelope`]: log-domain attack/release smoothing ("smooth decoupled" and "smooth branching"
//!   peak detectors of GMR 2012 §2.2), with an optional program-dependent release;
//! - [`gain_computer`]: the static curve (threshold, ratio, quadratic soft knee, GMR 2012 eq. 4);
//! - [`lookahead`]: delay line and a block sliding minimum;
//! - [`compressor`]: the feed-forward, dB-domain compressor [`Compressor`];
//! - [`limiter`]: the oversampled true-peak limiter [`TruePeakLimiter`].

pub mod compressor;
pub mod detector;
pub mod envelope;
pub mod gain_computer;
pub mod limiter;
pub mod lookahead;

pub use compressor::{Compressor, CompressorSettings, StereoMode, COMPRESSOR_MAX_LOOKAHEAD_MS};
pub use detector::{Detect, DetectorKind, LevelDetector, PeakDetector, RmsDetector};
pub use envelope::{time_constant_coef, EnvelopeFollower, SmoothingMode};
pub use gain_computer::{static_curve_db, GainComputer};
pub use limiter::{LimiterSettings, TruePeakLimiter, LIMITER_MAX_LOOKAHEAD_MS};
pub use lookahead::{sliding_min, DelayLine};

/// Buffers whose length depends on the sample rate are sized for at least this rate (Hz), so
/// `set_sample_rate` can move up to it without allocating.
pub const CAPACITY_SAMPLE_RATE_HZ: f32 = 192_000.0;

/// Samples for `ms` milliseconds at `sample_rate` Hz, rounded to nearest.
#[inline]
pub(crate) fn ms_to_samples(ms: f32, sample_rate: f32) -> usize {
    let n = (ms as f64 * 0.001 * sample_rate as f64).round();
    if n.is_finite() && n > 0.0 {
        n as usize
    } else {
        0
    }
}
