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
use super::lookahead::{ring_recent, DelayLine, SlidingMax};
use super::{ms_to_samples, CAPACITY_SAMPLE_RATE_HZ};
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

/// The sum of the last `len` values written to `ring` before `pos`, newest first.
fn window_sum(ring: &[f64], pos: usize, len: usize) -> f64 {
    ring_recent(ring, pos, len).sum()
}

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
    /// Maximum lookahead in samples at the current rate.
    max_lookahead: usize,
    /// Current lookahead in samples (= moving-average length).
    lookahead: usize,
    /// Required gain delayed by `max_lookahead − lookahead`.
    req_delay: DelayLine,
    /// Sliding maximum of the negated required gain (= sliding minimum).
    min_req: SlidingMax,
    ring: Vec<f64>,
    ring_pos: usize,
    ring_sum: f64,
    since_refresh: usize,
    release: f64,
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
        let capacity_rate = fs.max(CAPACITY_SAMPLE_RATE_HZ);
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
            req_delay: DelayLine::new(cap),
            min_req: SlidingMax::new(cap + 2),
            ring: vec![1.0; cap],
            ring_pos: 0,
            ring_sum: 0.0,
            since_refresh: 0,
            release: 0.0,
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
        self.max_lookahead =
            ms_to_samples(self.max_lookahead_ms, fs).clamp(1, self.req_delay.max_delay().max(1));
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
        self.req_delay
            .set_delay(self.max_lookahead - self.lookahead);
        self.min_req.set_window(self.lookahead + 2);
        let coef = |ms: f32| {
            let t = ms as f64 * 0.001 * fs as f64;
            if t > 0.0 {
                (-1.0 / t).exp()
            } else {
                0.0
            }
        };
        self.release = coef(s.release_ms);
        self.slow_attack = coef(s.release_ms * AUTO_RELEASE_SLOW_ATTACK_FACTOR);
        self.slow_release = coef(s.release_ms * AUTO_RELEASE_SLOW_RELEASE_FACTOR);
        if !s.auto_release {
            self.slow = 1.0;
        }
        self.target = db_to_gain_f64((s.ceiling_dbtp - safety_margin_db(self.os.factor())) as f64);
        self.refresh_sum();
    }

    fn refresh_sum(&mut self) {
        self.ring_sum = window_sum(&self.ring, self.ring_pos, self.lookahead);
        self.since_refresh = 0;
    }

    fn pull_down(&mut self, scale: f64) {
        let mut g = self.req_delay.min_value().min(-self.min_req.current()) as f64;
        g = g.min(self.fast).min(self.slow);
        g = g.min(self.ring.iter().copied().fold(1.0, f64::min));
        let g = (g * scale).clamp(0.0, 1.0);
        self.req_delay.fill(g as f32);
        self.min_req.reset();
        self.ring.fill(g);
        self.fast = g;
        self.slow = self.slow.min(g);
        self.refresh_sum();
    }

    fn reset_state(&mut self) {
        self.os.reset();
        for d in &mut self.audio_delay {
            d.reset();
        }
        self.req_delay.fill(1.0);
        self.min_req.reset();
        self.ring.fill(1.0);
        self.ring_pos = 0;
        self.fast = 1.0;
        self.slow = 1.0;
        self.gain_reduction_db = 0.0;
        self.refresh_sum();
    }

    fn process_chunk(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let r = self.os.ratio();
        let nch = channels.len().min(self.channels);
        self.peak[..n].fill(0.0);
        for (c, data) in channels.iter_mut().enumerate().take(nch) {
            let chunk = &mut data[start..start + n];
            let mut finite = true;
            for v in chunk.iter_mut() {
                if !v.is_finite() {
                    *v = 0.0;
                    finite = false;
                } else {
                    *v = v.clamp(-MAX_MAGNITUDE, MAX_MAGNITUDE);
                }
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
                self.os.upsample(c, chunk, &mut self.os_buf[..n * r]);
                for (p, group) in self.peak[..n]
                    .iter_mut()
                    .zip(self.os_buf[..n * r].chunks_exact(r))
                {
                    *p = group.iter().fold(*p, |a, &b| fmax(a, b.abs()));
                }
            }
        }
        // The gain each frame needs (vector loop), delayed by max − current lookahead.
        let target = self.target;
        for g in self.gain[..n].iter_mut().zip(&self.peak[..n]) {
            let p = *g.1 as f64;
            *g.0 = (if p > target { target / p } else { 1.0 }) as f32;
        }
        self.req_delay.process_block(&mut self.gain[..n]);
        // Hold (sliding minimum over the lookahead), release, and the moving average over the
        // lookahead that ramps the gain down before each peak.
        let cap = self.ring.len();
        let auto = self.settings.auto_release;
        let inv_lookahead = 1.0 / self.lookahead as f64;
        let (release, slow_attack, slow_release) =
            (self.release, self.slow_attack, self.slow_release);
        let (mut fast, mut slow) = (self.fast, self.slow);
        let lookahead = self.lookahead;
        let (mut pos, mut sum, mut since) = (self.ring_pos, self.ring_sum, self.since_refresh);
        let ring = &mut self.ring[..];
        let min_req = &mut self.min_req;
        for g in self.gain[..n].iter_mut() {
            let m = (-min_req.push(-*g)) as f64;
            // Instant attack, exponential release: the release step lies between the old value
            // and m, so the smaller of the two is m when m is lower (branch-free).
            fast = m.min(release * fast + (1.0 - release) * m);
            let mut h = fast;
            if auto {
                let a = if m < slow { slow_attack } else { slow_release };
                slow = (a * slow + (1.0 - a) * m).min(1.0);
                h = h.min(slow);
            }
            let back = if pos >= lookahead {
                pos - lookahead
            } else {
                pos + cap - lookahead
            };
            let leaving = ring[back];
            ring[pos] = h;
            pos = if pos + 1 == cap { 0 } else { pos + 1 };
            sum += h - leaving;
            since += 1;
            if since >= lookahead {
                // Re-sum now and then so rounding cannot accumulate.
                sum = window_sum(ring, pos, lookahead);
                since = 0;
            }
            *g = (sum * inv_lookahead).clamp(0.0, 1.0) as f32;
        }
        self.ring_pos = pos;
        self.ring_sum = sum;
        self.since_refresh = since;
        self.fast = fast;
        self.slow = slow;
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

impl Processor for TruePeakLimiter {
    /// Fails with [`ConfigError::SampleRate`] above the capacity chosen at construction
    /// (max(construction rate, 192 kHz)). Resets.
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
