//! Oversampled true-peak lookahead limiter.
//!
//! ```text
//! input ─┬─ upsample (1×/2×/4×/8×) → |x| → max over the ratio's points and the channels = P[n]
//!        │     required gain r[n] = min(1, ceiling / P[n])
//!        │     → [delay max − lookahead] → sliding minimum over lookahead + 2 samples
//!        │     → release (instant down, one-pole up; optional program-dependent slow branch)
//!        │     → moving average over the lookahead (the attack ramp) = gain g[n]
//!        └─ delay (max lookahead + ⌊upsampler delay⌋) ────────────── × g[n] → output
//! ```
//!
//! **Why the ceiling holds.** Every oversampled point shown at step `n` lies within one sample
//! of the audio sample `n − a` (`a` = the upsampler's delay rounded down), so the gain an audio
//! sample needs is the minimum of `r` over three consecutive steps. The sliding minimum spans
//! the lookahead `B` plus those two steps, and the release stage only ever lowers it, so each of
//! the `B` values the moving average sums is at or below what the audio sample under the
//! average's last tap needs: the gain reaches its target **before** the peak arrives, along a
//! linear ramp of `B` samples (the lookahead time). Channels share one gain (linked), so the
//! stereo image never shifts.
//!
//! The gain is detected at the oversampled rate but applied at the base rate, so no
//! downsampling filter reshapes the limited waveform. Applying a smooth gain to a band-limited
//! signal can still lift its reconstructed (true) peak a hair above the product of the gain and
//! the detected peak; [`safety_margin_db`] pulls the internal ceiling down by a small fixed
//! amount to cover that and the resampling error of the meter (measured with
//! [`crate::loudness::true_peak::TruePeakMeter`] on +40 dB steps and +20 dB-driven white noise).
//! At 1× the limiter is a sample-peak limiter (no margin).
//!
//! Latency ([`latency_samples`](crate::Processor::latency_samples)): the maximum lookahead
//! given at construction plus the upsampler's whole-sample delay (0 at 1×, 31 at 2×, 35 at 4×,
//! 36 at 8×), whatever the current lookahead.

use super::envelope::{AUTO_RELEASE_SLOW_ATTACK_FACTOR, AUTO_RELEASE_SLOW_RELEASE_FACTOR};
use super::lookahead::{sliding_min, DelayLine};
use super::ms_to_samples;
use crate::oversampling::{Oversampler, OversamplingFactor};
use crate::util::{db_to_gain_f64, gain_to_db};
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig};

/// The shortest lookahead, in ms.
pub const LIMITER_MIN_LOOKAHEAD_MS: f32 = 1.0;
/// The longest lookahead, in ms.
pub const LIMITER_MAX_LOOKAHEAD_MS: f32 = 5.0;

/// Input magnitudes above this (≈ +300 dBFS) are clamped.
const MAX_MAGNITUDE: f32 = 1e15;

/// The internal safety margin below the ceiling, in dB, for an oversampling factor: 0 at 1×
/// (sample peak), 0.5 dB at 2× (whose detection can miss more of a 4× meter's peaks), 0.1 dB at
/// 4× and 8×.
pub fn safety_margin_db(factor: OversamplingFactor) -> f32 {
    match factor {
        OversamplingFactor::X1 => 0.0,
        OversamplingFactor::X2 => 0.5,
        OversamplingFactor::X4 | OversamplingFactor::X8 => 0.1,
    }
}

/// Settings of the [`TruePeakLimiter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// Ceiling in dBTP, −30..=0.
    pub ceiling_dbtp: f32,
    /// Release time constant in ms, 1..=1000.
    pub release_ms: f32,
    /// Program-dependent release: a slow branch (attack 2× release, release 5× release) holds
    /// the gain down after sustained limiting.
    pub auto_release: bool,
    /// Lookahead (= attack ramp) in ms, 1..=the maximum given at construction.
    pub lookahead_ms: f32,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            ceiling_dbtp: -1.0,
            release_ms: 50.0,
            auto_release: false,
            lookahead_ms: LIMITER_MAX_LOOKAHEAD_MS,
        }
    }
}

impl LimiterSettings {
    /// Checks every range against the limiter's maximum lookahead (ms).
    pub fn validate(&self, max_lookahead_ms: f32) -> Result<(), ConfigError> {
        if !(self.ceiling_dbtp >= -30.0 && self.ceiling_dbtp <= 0.0) {
            return Err(ConfigError::Invalid("ceiling must be within −30..=0 dBTP"));
        }
        if !(self.release_ms >= 1.0 && self.release_ms <= 1000.0) {
            return Err(ConfigError::Invalid("release must be within 1..=1000 ms"));
        }
        if !(self.lookahead_ms >= LIMITER_MIN_LOOKAHEAD_MS && self.lookahead_ms <= max_lookahead_ms)
        {
            return Err(ConfigError::Invalid(
                "lookahead must be within 1 ms..=the maximum lookahead",
            ));
        }
        Ok(())
    }

    fn clamped(&self, fallback: &Self, max_lookahead_ms: f32) -> Self {
        let c = |x: f32, fb: f32, lo: f32, hi: f32| {
            if x.is_nan() {
                fb.clamp(lo, hi)
            } else {
                x.clamp(lo, hi)
            }
        };
        Self {
            ceiling_dbtp: c(self.ceiling_dbtp, fallback.ceiling_dbtp, -30.0, 0.0),
            release_ms: c(self.release_ms, fallback.release_ms, 1.0, 1000.0),
            auto_release: self.auto_release,
            lookahead_ms: c(
                self.lookahead_ms,
                fallback.lookahead_ms,
                LIMITER_MIN_LOOKAHEAD_MS,
                max_lookahead_ms,
            ),
        }
    }
}

mod control;
use control::{release_average, Kernel, Release, RunningSum, Slow};

/// Frames of room in the history buffers beyond the kept history and the largest block, so
/// short blocks move the kept history back to the start only now and then.
const HISTORY_SLACK: usize = 2048;

/// Oversampled, linked, true-peak lookahead limiter (see the module docs). Allocates only in
/// [`new`](Self::new).
#[derive(Debug, Clone)]
pub struct TruePeakLimiter {
    sample_rate: f32,
    capacity_rate: f32,
    channels: usize,
    max_block: usize,
    max_lookahead_ms: f32,
    settings: LimiterSettings,
    os: Oversampler,
    os_buf: Vec<f32>,
    /// Per base sample: the largest oversampled magnitude over the channels.
    peak: Vec<f32>,
    /// Per base sample: the gain to apply.
    gain: Vec<f32>,
    audio_delay: Vec<DelayLine>,
    /// Whole-sample part of the upsampler delay, base samples.
    align: usize,
    /// Maximum lookahead in samples at the capacity rate (sizes the histories).
    cap: usize,
    /// Maximum lookahead in samples at the current rate.
    max_lookahead: usize,
    /// Current lookahead in samples (= moving-average length).
    lookahead: usize,
    /// The required gain, oldest first: the last `max_lookahead + 1` values end at `req_pos`,
    /// where the block's are written. With `k = req_pos − max_lookahead − 1`, the hold for
    /// frame `i` of a block is the minimum of `req_hist[k + i..=k + i + lookahead + 1]`, which
    /// delays the required gain by `max_lookahead − lookahead`.
    req_hist: Vec<f32>,
    req_pos: usize,
    /// Scratch for the sliding minimum.
    min_scratch: [Vec<f32>; 2],
    /// The released gain `h`, oldest first: the last `max_lookahead` values end at `h_pos`,
    /// where the block's are written.
    h_hist: Vec<f64>,
    h_pos: usize,
    /// The moving average's running sum over `h`.
    running: RunningSum,
    kernel: Kernel,
    /// The CPU has AVX2 (the block loops are compiled for it).
    avx2: bool,
    release: Release,
    slow_attack: f64,
    slow_release: f64,
    fast: f64,
    slow: f64,
    /// Internal ceiling (linear, margin applied).
    target: f64,
    gain_reduction_db: f32,
}

impl TruePeakLimiter {
    /// A limiter for `config`, oversampling by `factor` (the default is 4×), with lookahead up to
    /// `max_lookahead_ms` (1..=5 ms; fixes the latency) and initial `settings`.
    pub fn new(
        config: ProcessorConfig,
        factor: OversamplingFactor,
        max_lookahead_ms: f32,
        settings: LimiterSettings,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        if !(LIMITER_MIN_LOOKAHEAD_MS..=LIMITER_MAX_LOOKAHEAD_MS).contains(&max_lookahead_ms) {
            return Err(ConfigError::Invalid(
                "maximum lookahead must be within 1..=5 ms",
            ));
        }
        settings.validate(max_lookahead_ms)?;
        let fs = config.sample_rate;
        let capacity_rate = config.capacity_sample_rate();
        let os = Oversampler::new(config, factor)?;
        let align = os.upsample_latency().floor() as usize;
        let cap = ms_to_samples(max_lookahead_ms, capacity_rate).max(1);
        let mut l = Self {
            sample_rate: fs,
            capacity_rate,
            channels: config.channels,
            max_block: config.max_block_size,
            max_lookahead_ms,
            settings,
            os,
            os_buf: vec![0.0; config.max_block_size * factor.ratio()],
            peak: vec![0.0; config.max_block_size],
            gain: vec![1.0; config.max_block_size],
            audio_delay: (0..config.channels)
                .map(|_| DelayLine::new(cap + align))
                .collect(),
            align,
            max_lookahead: 1,
            lookahead: 1,
            cap,
            req_hist: vec![1.0; cap + 1 + config.max_block_size + HISTORY_SLACK],
            req_pos: cap + 1,
            min_scratch: [
                vec![0.0; cap + 2 + config.max_block_size],
                vec![0.0; cap + 2 + config.max_block_size],
            ],
            h_hist: vec![1.0; cap + config.max_block_size + HISTORY_SLACK],
            h_pos: cap,
            running: RunningSum::STALE,
            kernel: Kernel::detect(),
            avx2: {
                #[cfg(target_arch = "x86_64")]
                let avx2 = std::arch::is_x86_feature_detected!("avx2");
                #[cfg(not(target_arch = "x86_64"))]
                let avx2 = false;
                avx2
            },
            release: Release::new(0.5),
            slow_attack: 0.0,
            slow_release: 0.0,
            fast: 1.0,
            slow: 1.0,
            target: 1.0,
            gain_reduction_db: 0.0,
        };
        l.configure(fs);
        Ok(l)
    }

    /// The oversampling factor (fixed at construction).
    pub fn oversampling(&self) -> OversamplingFactor {
        self.os.factor()
    }

    /// The current settings (after clamping).
    pub fn settings(&self) -> &LimiterSettings {
        &self.settings
    }

    /// The current gain reduction in dB (≥ 0), for a meter.
    pub fn gain_reduction_db(&self) -> f32 {
        self.gain_reduction_db
    }

    /// Applies new settings, clamped into range (NaN keeps the previous value). Real-time safe.
    /// Lowering the ceiling or changing the lookahead conservatively pulls every pending gain
    /// down to the lowest one in flight (scaled by the ceiling change), so no peak already inside
    /// the lookahead escapes. That pull-down is a step in the gain, whose band-limited
    /// reconstruction can overshoot the ceiling by up to ≈ 0.2 dB for a few ms on a full-scale
    /// signal; with steady settings the ceiling holds.
    pub fn set_settings(&mut self, settings: LimiterSettings) {
        let s = settings.clamped(&self.settings, self.max_lookahead_ms);
        let old_target = self.target;
        let old_lookahead = self.lookahead;
        self.settings = s;
        self.derive();
        if self.target < old_target || self.lookahead != old_lookahead {
            let scale = (self.target / old_target).min(1.0);
            self.pull_down(scale);
        }
    }

    /// Recomputes everything that depends on the sample rate and settings; resets the state.
    fn configure(&mut self, fs: f32) {
        self.sample_rate = fs;
        self.max_lookahead = ms_to_samples(self.max_lookahead_ms, fs).clamp(1, self.cap);
        for d in &mut self.audio_delay {
            d.set_delay(self.max_lookahead + self.align);
        }
        self.derive();
        self.reset_state();
    }

    fn derive(&mut self) {
        let fs = self.sample_rate;
        let s = self.settings;
        self.lookahead = ms_to_samples(s.lookahead_ms, fs).clamp(1, self.max_lookahead);
        let coef = |ms: f32| {
            let t = ms as f64 * 0.001 * fs as f64;
            if t > 0.0 {
                (-1.0 / t).exp()
            } else {
                0.0
            }
        };
        self.release = Release::new(coef(s.release_ms));
        self.slow_attack = coef(s.release_ms * AUTO_RELEASE_SLOW_ATTACK_FACTOR);
        self.slow_release = coef(s.release_ms * AUTO_RELEASE_SLOW_RELEASE_FACTOR);
        if !s.auto_release {
            self.slow = 1.0;
        }
        self.target = db_to_gain_f64((s.ceiling_dbtp - safety_margin_db(self.os.factor())) as f64);
    }

    /// Frames of required gain kept from block to block.
    fn req_front(&self) -> usize {
        self.max_lookahead + 1
    }

    /// Lowers every gain in flight (the required gains not yet released, the release state and
    /// the moving average's window) to the lowest of them times `scale`.
    fn pull_down(&mut self, scale: f64) {
        let rf = self.req_front();
        let req = &mut self.req_hist[self.req_pos - rf..self.req_pos];
        let h = &mut self.h_hist[self.h_pos - self.max_lookahead..self.h_pos];
        let mut g = req.iter().fold(1.0f32, |a, &b| a.min(b)) as f64;
        g = h
            .iter()
            .fold(g.min(self.fast).min(self.slow), |a, &b| a.min(b));
        let g = (g * scale).clamp(0.0, 1.0);
        req.fill(g as f32);
        h.fill(g);
        self.fast = g;
        self.slow = self.slow.min(g);
        self.running.invalidate();
    }

    fn reset_state(&mut self) {
        self.os.reset();
        for d in &mut self.audio_delay {
            d.reset();
        }
        self.req_hist.fill(1.0);
        self.h_hist.fill(1.0);
        self.req_pos = self.req_front();
        self.h_pos = self.max_lookahead;
        self.running.invalidate();
        self.fast = 1.0;
        self.slow = 1.0;
        self.gain_reduction_db = 0.0;
    }

    fn process_chunk(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only when the CPU has AVX2.
            unsafe { self.process_chunk_avx2(channels, start, n) };
            return;
        }
        self.process_chunk_impl(channels, start, n);
    }

    /// [`Self::process_chunk_impl`] compiled for AVX2: its per-frame loops (sanitising, peaks,
    /// needed gain, applying the gain) run eight frames per instruction instead of four.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn process_chunk_avx2(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        self.process_chunk_impl(channels, start, n);
    }

    #[inline(always)]
    fn process_chunk_impl(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let r = self.os.ratio();
        let nch = channels.len().min(self.channels);
        self.peak[..n].fill(0.0);
        for (c, data) in channels.iter_mut().enumerate().take(nch) {
            let chunk = &mut data[start..start + n];
            // Non-finite samples become 0, the rest are clamped (branch-free, so it vectorises).
            let mut finite = true;
            for v in chunk.iter_mut() {
                let ok = v.is_finite();
                finite &= ok;
                // Written out: `f32::clamp` keeps this loop from vectorising.
                #[allow(clippy::manual_clamp)]
                let c = if *v < -MAX_MAGNITUDE {
                    -MAX_MAGNITUDE
                } else if *v > MAX_MAGNITUDE {
                    MAX_MAGNITUDE
                } else {
                    *v
                };
                *v = if ok { c } else { 0.0 };
            }
            if !finite {
                self.os.reset_channel(c);
            }
            // The samples are finite here, so a plain comparison (which vectorises) is the max.
            let fmax = |a: f32, b: f32| if b > a { b } else { a };
            if r == 1 {
                for (p, &v) in self.peak[..n].iter_mut().zip(chunk.iter()) {
                    *p = fmax(*p, v.abs());
                }
            } else {
                let os = &mut self.os_buf[..n * r];
                self.os.upsample(c, chunk, os);
                // Fixed group sizes, so the loop vectorises (strided loads).
                match r {
                    2 => group_peaks::<2>(&mut self.peak[..n], os),
                    4 => group_peaks::<4>(&mut self.peak[..n], os),
                    _ => group_peaks::<8>(&mut self.peak[..n], os),
                }
            }
        }
        // The gain each frame needs (vector loop), after the frames kept from the last block.
        // In f32: a twice faster division, and the gain is stored in f32 anyway.
        let target = self.target as f32;
        let rf = self.req_front();
        if self.req_pos + n > self.req_hist.len() {
            self.req_hist
                .copy_within(self.req_pos - rf..self.req_pos, 0);
            self.req_pos = rf;
        }
        let k = self.req_pos - rf;
        for (q, &p) in self.req_hist[self.req_pos..self.req_pos + n]
            .iter_mut()
            .zip(&self.peak[..n])
        {
            *q = if p > target { target / p } else { 1.0 };
        }
        self.req_pos += n;
        // Hold: the minimum over the lookahead plus two frames, delayed by max − current
        // lookahead (into `peak`, no longer needed).
        let l = self.lookahead;
        let [a, b] = &mut self.min_scratch;
        sliding_min(
            &self.req_hist[k..k + n + l + 1],
            l + 2,
            &mut self.peak[..n],
            a,
            b,
        );
        // Release, and the moving average over the lookahead that ramps the gain down before
        // each peak.
        let hf = self.max_lookahead;
        if self.h_pos + n > self.h_hist.len() {
            self.h_hist.copy_within(self.h_pos - hf..self.h_pos, 0);
            self.h_pos = hf;
        }
        let slow = self.settings.auto_release.then_some(Slow {
            attack: self.slow_attack,
            release: self.slow_release,
            state: &mut self.slow,
        });
        self.fast = release_average(
            self.kernel,
            &self.release,
            &self.peak[..n],
            &mut self.h_hist[self.h_pos - hf..self.h_pos + n],
            hf,
            l,
            self.fast,
            slow,
            &mut self.running,
            &mut self.gain[..n],
        );
        self.h_pos += n;
        for (c, data) in channels.iter_mut().enumerate().take(nch) {
            let out = &mut data[start..start + n];
            self.audio_delay[c].process_block(out);
            for (v, &g) in out.iter_mut().zip(&self.gain[..n]) {
                let y = *v * g;
                *v = if y.is_finite() { y } else { 0.0 };
            }
        }
        // Channels beyond the configured count are silenced rather than passed undelayed.
        for data in channels.iter_mut().skip(nch) {
            data[start..start + n].fill(0.0);
        }
        if n > 0 {
            self.gain_reduction_db = -gain_to_db(self.gain[n - 1]).min(0.0);
        }
    }
}

/// `peak[i] = max(peak[i], |os[R·i]|, …, |os[R·i + R − 1]|)` (finite values).
#[inline(always)]
fn group_peaks<const R: usize>(peak: &mut [f32], os: &[f32]) {
    let (groups, _) = os.as_chunks::<R>();
    for (p, g) in peak.iter_mut().zip(groups) {
        *p = g
            .iter()
            .fold(*p, |a, &b| if b.abs() > a { b.abs() } else { a });
    }
}

impl Processor for TruePeakLimiter {
    /// Fails with [`ConfigError::SampleRate`] above the capacity chosen at construction
    /// ([`ProcessorConfig::capacity_sample_rate`]: max(construction rate, 192 kHz) unless the
    /// config is fixed to its rate). Resets.
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        validate_sample_rate(sample_rate)?;
        if sample_rate > self.capacity_rate {
            return Err(ConfigError::SampleRate(sample_rate));
        }
        self.configure(sample_rate);
        Ok(())
    }

    fn reset(&mut self) {
        self.reset_state();
    }

    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < n {
            let len = (n - start).min(self.max_block);
            self.process_chunk(channels, start, len);
            start += len;
        }
    }

    /// Maximum lookahead plus the upsampler's whole-sample delay, in samples (constant for the
    /// oversampling factor chosen at construction).
    fn latency_samples(&self) -> usize {
        self.max_lookahead + self.align
    }
}

#[cfg(test)]
mod tests;
