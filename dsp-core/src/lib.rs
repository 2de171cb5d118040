//! Tandem's shared DSP crate.
//!
//! Everything here is plain Rust on slices: no plugin-framework types, so the plugins, the `tandem`
//! command-line tool and the tests all run exactly the same code.
//!
//! # The processor contract
//! Every real-time processor in this crate follows the same contract:
//! - it is built from a [`ProcessorConfig`] (sample rate, the largest block size and channel count it
//!   will ever see) and **allocates only at construction**; an invalid configuration is a
//!   [`ConfigError`] returned from the constructor, never a panic later;
//! - `set_sample_rate` re-derives coefficients (allowed to fail with [`ConfigError`]),
//!   `reset` clears all running state (real-time safe), `process` works on slices and never
//!   allocates, locks, panics or produces NaN/Inf, whatever it is fed;
//! - `latency_samples` reports the exact delay it introduces.
//!
//! Modules:
//! - [`util`]: dB/gain conversions, denormal flushing, parameter smoothing.
//! - [`filters`]: biquad design (matched, analog-shaped near Nyquist), cascades and analytic responses.
//! - [`dynamics`]: detectors, envelopes, gain computers, lookahead and the true-peak limiter.
//! - [`oversampling`]: polyphase half-band 2×/4×/8× up/down sampling.
//! - [`loudness`]: BS.1770-4 loudness, EBU Tech 3342 loudness range, true peak.
//! - [`analysis`]: spectra, long-term average spectrum, crest factor, onsets, stereo correlation.
//! - [`rt`]: the audio tap (SPSC ring) and the lock-free latest-value snapshot.

pub mod analysis;
pub mod assistant;
pub mod chains;
pub mod dynamics;
pub mod filters;
pub mod loudness;
pub mod oversampling;
pub mod rt;
pub mod testsignals;
pub mod util;

/// The lowest sample rate any processor accepts, in Hz.
pub const MIN_SAMPLE_RATE_HZ: f32 = 1_000.0;
/// The highest sample rate any processor accepts, in Hz.
pub const MAX_SAMPLE_RATE_HZ: f32 = 768_000.0;
/// The most channels any processor is built for.
pub const MAX_CHANNELS: usize = 8;

/// Why a processor could not be built or reconfigured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The sample rate is outside 8 kHz–768 kHz or not finite.
    #[error("sample rate {0} Hz is outside the supported 8000–768000 Hz")]
    SampleRate(f32),
    /// The maximum block size is zero.
    #[error("the maximum block size must be at least 1 sample")]
    BlockSize,
    /// The channel count is zero or above [`MAX_CHANNELS`].
    #[error("channel count {0} is outside the supported 1–8")]
    Channels(usize),
    /// Any other parameter that is outside what the processor supports.
    #[error("invalid setting: {0}")]
    Invalid(&'static str),
}

/// What a processor is built for. Processors allocate for these maxima at construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessorConfig {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// The largest number of samples per channel one `process` call will receive.
    pub max_block_size: usize,
    /// The number of channels.
    pub channels: usize,
    /// When true, buffers whose length depends on the sample rate are sized for
    /// `sample_rate` only, and `set_sample_rate` to a higher rate is an error; when false (the
    /// default) they are sized for at least [`dynamics::CAPACITY_SAMPLE_RATE_HZ`], so
    /// `set_sample_rate` can move up to it without allocating. For a host plugin, which
    /// rebuilds its processors when the host changes the rate (in `activate()`), and should
    /// not hold memory for rates it does not run at.
    pub fixed_rate: bool,
}

impl ProcessorConfig {
    /// A config, validated.
    pub fn new(
        sample_rate: f32,
        max_block_size: usize,
        channels: usize,
    ) -> Result<Self, ConfigError> {
        let c = Self {
            sample_rate,
            max_block_size,
            channels,
            fixed_rate: false,
        };
        c.validate()?;
        Ok(c)
    }

    /// The same config with [`Self::fixed_rate`] set.
    pub fn with_fixed_rate(self) -> Self {
        Self {
            fixed_rate: true,
            ..self
        }
    }

    /// The highest rate (Hz) the processors built for this config can move to without
    /// allocating: the sample rate itself when [`Self::fixed_rate`], else at least
    /// [`dynamics::CAPACITY_SAMPLE_RATE_HZ`].
    pub fn capacity_sample_rate(&self) -> f32 {
        if self.fixed_rate {
            self.sample_rate
        } else {
            self.sample_rate.max(dynamics::CAPACITY_SAMPLE_RATE_HZ)
        }
    }

    /// Checks the ranges every processor relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_sample_rate(self.sample_rate)?;
        if self.max_block_size == 0 {
            return Err(ConfigError::BlockSize);
        }
        if self.channels == 0 || self.channels > MAX_CHANNELS {
            return Err(ConfigError::Channels(self.channels));
        }
        Ok(())
    }
}

/// Checks that a sample rate is finite and inside 8 kHz–768 kHz.
pub fn validate_sample_rate(sample_rate: f32) -> Result<(), ConfigError> {
    if sample_rate.is_finite() && (MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&sample_rate) {
        Ok(())
    } else {
        Err(ConfigError::SampleRate(sample_rate))
    }
}

/// The contract shared by Tandem's multichannel real-time processors.
///
/// `channels` holds one slice per channel, all the same length and at most the configured
/// maximum block size; longer input is processed in chunks by the implementation.
pub trait Processor {
    /// Re-derives everything that depends on the sample rate. Never allocates.
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError>;
    /// Clears all running state (filters, envelopes, delay lines). Real-time safe.
    fn reset(&mut self);
    /// Processes the channels in place. Never allocates, locks, panics or outputs NaN/Inf.
    fn process(&mut self, channels: &mut [&mut [f32]]);
    /// The exact delay this processor adds, in samples at the current sample rate.
    fn latency_samples(&self) -> usize;
}
