//! Long-term average spectrum (LTAS) over non-silent frames.

use serde::{Deserialize, Serialize};

use super::spectrum::{validate_fft_size, FrameFft, Framer, OctaveSmoother};
use crate::{validate_sample_rate, ConfigError, MAX_CHANNELS};

/// Settings of an [`Ltas`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LtasConfig {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// FFT length in samples (power of two, 64–65536); frames hop by half of it (50 % overlap).
    pub fft_size: usize,
    /// Number of planar channels fed; their powers are averaged.
    pub channels: usize,
    /// Frames whose mean square (over all channels, unwindowed) is below this level in dBFS
    /// (10·log10 of the mean square; a full-scale square wave is 0 dBFS) are skipped.
    pub gate_dbfs: f32,
    /// Fractional-octave band width denominator N of the band result (3 = third octaves).
    pub band_fraction: f32,
}

impl LtasConfig {
    /// 4096-point frames, mono, −60 dBFS gate, third-octave bands.
    pub fn new(sample_rate_hz: f32) -> Self {
        Self {
            sample_rate_hz,
            fft_size: 4096,
            channels: 1,
            gate_dbfs: -60.0,
            band_fraction: 3.0,
        }
    }
}

/// The result of an LTAS measurement, on the sine-peak dB scale of [`super::spectrum`]
/// (power-averaged over the frames that passed the gate). Serialisable; levels are floored at
/// [`crate::util::MIN_DB`] so the JSON is always valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LtasResult {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// FFT length in samples.
    pub fft_size: usize,
    /// Bin spacing in Hz (bin `k` is at `k × bin_spacing_hz`).
    pub bin_spacing_hz: f32,
    /// Frames seen.
    pub frames_total: u64,
    /// Frames that passed the gate and were averaged.
    pub frames_used: u64,
    /// The gate in dBFS (mean square).
    pub gate_dbfs: f32,
    /// Average power per bin (DC … Nyquist) in dB.
    pub bin_db: Vec<f32>,
    /// Fractional-octave band width denominator N.
    pub band_fraction: f32,
    /// Band centre frequencies in Hz.
    pub band_center_hz: Vec<f32>,
    /// Average band power in dB (a sine inside the band reads its peak level).
    pub band_db: Vec<f32>,
}

/// Streaming long-term average spectrum: Hann-windowed frames at 50 % overlap, skipping frames
/// below the gate, power-averaged. Allocates only at construction (`result` allocates the
/// returned vectors).
pub struct Ltas {
    config: LtasConfig,
    framer: Framer,
    fft: FrameFft,
    frame: Vec<f32>,
    frame_power: Vec<f32>,
    sum_power: Vec<f64>,
    frames_total: u64,
    frames_used: u64,
    smoother: OctaveSmoother,
}

impl std::fmt::Debug for Ltas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ltas")
            .field("config", &self.config)
            .field("frames_total", &self.frames_total)
            .field("frames_used", &self.frames_used)
            .finish()
    }
}

impl Ltas {
    /// Builds the LTAS accumulator.
    pub fn new(config: LtasConfig) -> Result<Self, ConfigError> {
        validate_sample_rate(config.sample_rate_hz)?;
        validate_fft_size(config.fft_size)?;
        if config.channels == 0 || config.channels > MAX_CHANNELS {
            return Err(ConfigError::Channels(config.channels));
        }
        if !config.gate_dbfs.is_finite() {
            return Err(ConfigError::Invalid("LTAS gate must be finite"));
        }
        let fft = FrameFft::new(config.fft_size);
        let smoother =
            OctaveSmoother::bands(config.sample_rate_hz, config.fft_size, config.band_fraction)?;
        let bins = fft.bins();
        Ok(Self {
            framer: Framer::new(config.fft_size, config.fft_size / 2, config.channels),
            fft,
            frame: vec![0.0; config.fft_size],
            frame_power: vec![0.0; bins],
            sum_power: vec![0.0; bins],
            frames_total: 0,
            frames_used: 0,
            smoother,
            config,
        })
    }

    /// Clears everything accumulated.
    pub fn reset(&mut self) {
        self.framer.reset();
        self.sum_power.fill(0.0);
        self.frames_total = 0;
        self.frames_used = 0;
    }

    /// Feeds planar channels (one slice per configured channel, shortest length used; with fewer
    /// slices than channels nothing happens).
    pub fn process(&mut self, channels: &[&[f32]]) {
        if channels.len() < self.config.channels {
            return;
        }
        let chans = &channels[..self.config.channels];
        let len = chans.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut i = 0;
        while i < len {
            let (used, ready) = self.framer.feed(chans, i, len);
            i += used;
            if ready {
                self.frame_done();
            }
        }
    }

    fn frame_done(&mut self) {
        self.frames_total += 1;
        let mut ms = 0.0f64;
        for ch in 0..self.config.channels {
            self.framer.copy_frame(ch, &mut self.frame);
            ms += self
                .frame
                .iter()
                .map(|&x| {
                    let x = crate::util::sanitize(x) as f64;
                    x * x
                })
                .sum::<f64>();
        }
        ms /= (self.config.channels * self.config.fft_size) as f64;
        let level_db = if ms > 1e-30 {
            10.0 * ms.log10()
        } else {
            -300.0
        };
        if level_db < self.config.gate_dbfs as f64 {
            return;
        }
        self.frames_used += 1;
        self.frame_power.fill(0.0);
        let w = 1.0 / self.config.channels as f32;
        for ch in 0..self.config.channels {
            self.framer.copy_frame(ch, self.fft.input_mut());
            self.fft.accumulate_power(&mut self.frame_power, w);
        }
        for (s, p) in self.sum_power.iter_mut().zip(&self.frame_power) {
            *s += *p as f64;
        }
    }

    /// Frames seen and frames used so far.
    pub fn frame_counts(&self) -> (u64, u64) {
        (self.frames_total, self.frames_used)
    }

    /// The average so far (all levels at [`crate::util::MIN_DB`] when no frame passed the gate).
    pub fn result(&self) -> LtasResult {
        let n = self.frames_used.max(1) as f64;
        let mean: Vec<f32> = self.sum_power.iter().map(|s| (s / n) as f32).collect();
        let bin_db: Vec<f32> = mean.iter().map(|&p| crate::util::power_to_db(p)).collect();
        let mut band_db = vec![0.0; self.smoother.len()];
        self.smoother.apply_db(&mean, &mut band_db);
        LtasResult {
            sample_rate_hz: self.config.sample_rate_hz,
            fft_size: self.config.fft_size,
            bin_spacing_hz: self.config.sample_rate_hz / self.config.fft_size as f32,
            frames_total: self.frames_total,
            frames_used: self.frames_used,
            gate_dbfs: self.config.gate_dbfs,
            bin_db,
            band_fraction: self.config.band_fraction,
            band_center_hz: self.smoother.centers_hz().to_vec(),
            band_db,
        }
    }
}

/// One-shot LTAS of whole planar channels at `sample_rate_hz` with the defaults of
/// [`LtasConfig::new`] (4096-point frames, −60 dBFS gate, third-octave bands).
pub fn long_term_average_spectrum(
    channels: &[&[f32]],
    sample_rate_hz: f32,
) -> Result<LtasResult, ConfigError> {
    let mut cfg = LtasConfig::new(sample_rate_hz);
    cfg.channels = channels.len();
    let mut l = Ltas::new(cfg)?;
    l.process(channels);
    Ok(l.result())
}

#[cfg(test)]
mod tests {
    use super::super::spectrum::tests::{pink, white};
    use super::*;

    #[test]
    fn silent_stretches_are_ignored() {
        let sr = 48_000.0;
        let noise = pink(48_000 * 3, 21);
        let tiny: Vec<f32> = white(48_000 * 4, 22).iter().map(|x| x * 1e-4).collect(); // ≈ −85 dBFS
        let mut with_gaps = vec![0.0f32; 48_000 * 2];
        with_gaps.extend_from_slice(&noise[..48_000 * 3 / 2]);
        with_gaps.extend_from_slice(&tiny);
        with_gaps.extend(std::iter::repeat_n(0.0, 48_000 * 3));
        with_gaps.extend_from_slice(&noise[48_000 * 3 / 2..]);
        let gappy = long_term_average_spectrum(&[&with_gaps], sr).unwrap();
        let clean = long_term_average_spectrum(&[&noise], sr).unwrap();
        assert!(
            gappy.frames_used < gappy.frames_total / 2,
            "{} of {}",
            gappy.frames_used,
            gappy.frames_total
        );
        assert!(clean.frames_used == clean.frames_total);
        // Same level in every third-octave band from 200 Hz up within 0.5 dB (a silence-diluted
        // average would read about 6 dB lower; lower bands hold too few bins for a tight check).
        let bands = gappy
            .band_center_hz
            .iter()
            .zip(&gappy.band_db)
            .zip(&clean.band_db);
        for ((f, a), b) in bands.filter(|((f, _), _)| **f >= 200.0) {
            assert!((a - b).abs() < 0.5, "{f} Hz: {a} vs {b}");
        }
        let json = serde_json::to_string(&gappy).unwrap();
        let back: LtasResult = serde_json::from_str(&json).unwrap();
        assert_eq!(back.band_db.len(), gappy.band_db.len());
    }

    #[test]
    fn all_silent_gives_floor_and_stereo_works() {
        let z = vec![0.0f32; 20_000];
        let r = long_term_average_spectrum(&[&z, &z], 44_100.0).unwrap();
        assert_eq!(r.frames_used, 0);
        assert!(r.bin_db.iter().all(|&d| d == crate::util::MIN_DB));
        assert!(serde_json::to_string(&r).is_ok());
        let n = white(44_100, 4);
        let r = long_term_average_spectrum(&[&n, &z], 44_100.0).unwrap();
        assert!(r.frames_used > 0);
        assert!(r.band_db.iter().all(|d| d.is_finite()));
        assert!(Ltas::new(LtasConfig {
            channels: 0,
            ..LtasConfig::new(48_000.0)
        })
        .is_err());
    }
}
