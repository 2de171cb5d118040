//! Loudness measurement per ITU-R BS.1770-4 / EBU R128.
//!
//! - [`LoudnessAnalyzer`] / [`measure`]: the offline (analysis-thread) measurement (checked
//!   against the `ebur128` crate): momentary, short-term and integrated loudness in LUFS,
//!   loudness range in LU (EBU Tech 3342), their maxima, sample peak and true peak. Results as
//!   [`LoudnessStats`].
//!   [`measure_integrated`]: the same integrated loudness and true peak, without the rest.
//! - [`ShortTermLoudness`]: a hand-written, allocation-free K-weighted meter for the audio thread
//!   (momentary 400 ms and short-term 3 s readings), used by the plugins' level matching.
//! - [`true_peak`]: the real-time true-peak meter.

mod analyzer;
mod short_term;
pub mod true_peak;

pub(crate) use analyzer::KWeighting;
pub use analyzer::{measure, measure_integrated, LoudnessAnalyzer, LoudnessStats};
pub use short_term::{
    k_weighting_coefficients, ShortTermLoudness, BLOCKS_PER_SHORT_TERM, SILENCE_LUFS,
};

/// Converts a channel-weighted mean-square energy to loudness in LUFS (BS.1770: −0.691 + 10·log10 E).
/// Energies at or below 1e-15 (≈ −150.7 LUFS) give `None`.
#[inline]
pub fn energy_to_lufs(energy: f64) -> Option<f64> {
    if energy.is_finite() && energy > 1e-15 {
        Some(-0.691 + 10.0 * energy.log10())
    } else {
        None
    }
}

/// Converts loudness in LUFS back to channel-weighted mean-square energy (inverse of
/// [`energy_to_lufs`]). Non-finite or −∞ loudness gives 0.
#[inline]
pub fn lufs_to_energy(lufs: f64) -> f64 {
    if lufs.is_finite() {
        10f64.powf((lufs + 0.691) / 10.0)
    } else {
        0.0
    }
}

/// The BS.1770 channel weight for channel `index` of a `channels`-channel stream, using the same
/// default layouts as the `ebur128` crate: mono/stereo 1.0; 3 ch L R C; 4 ch L R Ls Rs;
/// 5 ch L R C Ls Rs; 6+ ch L R C LFE Ls Rs (LFE and channels past the 6th weigh 0, surrounds 1.41).
pub fn channel_weight(channels: usize, index: usize) -> f64 {
    const SURROUND: f64 = 1.41; // BS.1770 surround weight (+1.5 dB), as in `ebur128`
    match (channels, index) {
        (_, 0) | (_, 1) => 1.0,
        (4, 2) | (4, 3) => SURROUND,
        (5, 2) => 1.0,
        (5, 3) | (5, 4) => SURROUND,
        (_, 2) => 1.0,
        (_, 3) => 0.0,
        (_, 4) | (_, 5) => SURROUND,
        _ => 0.0,
    }
}

/// Test-signal helpers shared by the loudness tests.
#[cfg(test)]
pub(crate) mod test_signals {
    /// A 1 kHz sine at `dbfs` peak level, `seconds` long, at `sample_rate_hz`, starting at phase 0.
    pub fn sine_1k(dbfs: f64, seconds: f64, sample_rate_hz: u32) -> Vec<f32> {
        sine(1000.0, dbfs, seconds, sample_rate_hz)
    }

    /// A sine of `freq_hz` at `dbfs` peak level.
    pub fn sine(freq_hz: f64, dbfs: f64, seconds: f64, sample_rate_hz: u32) -> Vec<f32> {
        let amp = 10f64.powf(dbfs / 20.0);
        let n = (seconds * sample_rate_hz as f64).round() as usize;
        let w = std::f64::consts::TAU * freq_hz / sample_rate_hz as f64;
        (0..n)
            .map(|i| (amp * (w * i as f64).sin()) as f32)
            .collect()
    }

    /// Concatenated 1 kHz sine segments `(dbfs, seconds)`, with continuous phase.
    pub fn sine_1k_segments(segments: &[(f64, f64)], sample_rate_hz: u32) -> Vec<f32> {
        let w = std::f64::consts::TAU * 1000.0 / sample_rate_hz as f64;
        let mut out = Vec::new();
        let mut i = 0usize;
        for &(dbfs, seconds) in segments {
            let amp = 10f64.powf(dbfs / 20.0);
            let n = (seconds * sample_rate_hz as f64).round() as usize;
            for _ in 0..n {
                out.push((amp * (w * i as f64).sin()) as f32);
                i += 1;
            }
        }
        out
    }

    /// Deterministic uniform white noise in ±`amp` (xorshift), `n` samples.
    pub fn noise(n: usize, amp: f32, seed: u64) -> Vec<f32> {
        let mut s = seed.max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let u = (s >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
                amp * (2.0 * u - 1.0)
            })
            .collect()
    }
}
