//! Feed-forward, log-domain compressor after GMR 2012 (Fig. 7(b) / §2.2 "log domain" design):
//!
//! ```text
//! key → [HPF] → [lookahead delay] → detector (peak|RMS) → dB → gain computer → x_G − y_G
//!     → stereo link → attack/release smoothing (dB) → makeup − GR → gain → × delayed input
//! ```
//!
//! - The key is the input itself or an external side-chain ([`Compressor::process_with_sidechain`]).
//! - Stereo link 0–100 % blends each channel's gain reduction with the largest one
//!   (100 %: one common gain). Mid/side mode (stereo only) compresses M = (L+R)/2 and
//!   S = (L−R)/2, detected from the key's M and S.
//! - Lookahead: the audio (wet and dry) is always delayed by the maximum lookahead configured at
//!   construction, so [`latency_samples`](crate::Processor::latency_samples) never changes; the
//!   key is delayed by `max − current` so the gain leads the audio by the current lookahead.
//! - Auto makeup (GMR 2012 §2.3): `M = −y_G(0 dB)`, the gain reduction a 0 dBFS level would get
//!   from the static curve, added to the manual makeup.
//! - Dry/wet mix and makeup changes are ramped over 20 ms.

use super::detector::{Detect, DetectorKind, LevelDetector};
use super::envelope::{EnvelopeFollower, SmoothingMode};
use super::gain_computer::GainComputer;
use super::lookahead::DelayLine;
use super::ms_to_samples;
use crate::util::{fast_db_to_gain, fast_power_to_db, flush_denormal_f64, LinearSmoother};
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig, MAX_CHANNELS};

/// The largest lookahead a compressor can be built with, in ms.
pub const COMPRESSOR_MAX_LOOKAHEAD_MS: f32 = 20.0;

/// Ramp time of makeup and mix changes, in ms.
const PARAM_RAMP_MS: f32 = 20.0;

/// Frames processed stage by stage at a time (see [`Compressor::process_with_sidechain`]).
const CHUNK: usize = 64;

/// How channels are detected and compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StereoMode {
    /// Each channel (L, R, …) is a detection/gain channel, linked by `stereo_link_pct`.
    #[default]
    LeftRight,
    /// Stereo only: mid and side are detected and compressed (then linked by
    /// `stereo_link_pct`). With other channel counts this behaves like `LeftRight`.
    MidSide,
}

/// Every setting of the [`Compressor`]. Ranges are checked by [`validate`](Self::validate) at
/// construction and clamped by [`Compressor::set_settings`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorSettings {
    /// Threshold in dBFS, −80..=0.
    pub threshold_db: f32,
    /// Ratio, 1..=∞ (`f32::INFINITY` for ∞:1).
    pub ratio: f32,
    /// Soft-knee width in dB, 0..=24.
    pub knee_db: f32,
    /// Attack time constant in ms, 0..=500.
    pub attack_ms: f32,
    /// Release time constant in ms, 1..=5000.
    pub release_ms: f32,
    /// Program-dependent release (see [`super::envelope`]).
    pub auto_release: bool,
    /// Level detector (peak or RMS with its window).
    pub detector: DetectorKind,
    /// Smoothing topology.
    pub smoothing: SmoothingMode,
    /// Stereo link in percent, 0..=100.
    pub stereo_link_pct: f32,
    /// Left/right or mid/side processing.
    pub stereo_mode: StereoMode,
    /// Side-chain high-pass corner in Hz (20..=500), or `None` for no filter.
    pub sidechain_hpf_hz: Option<f32>,
    /// Lookahead in ms, 0..=the maximum given at construction.
    pub lookahead_ms: f32,
    /// Manual makeup gain in dB, −24..=24.
    pub makeup_db: f32,
    /// Adds the automatic makeup `−y_G(0 dBFS)`.
    pub auto_makeup: bool,
    /// Wet share in percent, 0..=100 (100 = fully compressed).
    pub mix_pct: f32,
}

impl Default for CompressorSettings {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            auto_release: false,
            detector: DetectorKind::Peak,
            smoothing: SmoothingMode::Decoupled,
            stereo_link_pct: 100.0,
            stereo_mode: StereoMode::LeftRight,
            sidechain_hpf_hz: None,
            lookahead_ms: 0.0,
            makeup_db: 0.0,
            auto_makeup: false,
            mix_pct: 100.0,
        }
    }
}

fn in_range(x: f32, lo: f32, hi: f32) -> bool {
    x >= lo && x <= hi
}

impl CompressorSettings {
    /// Checks every range; `max_lookahead_ms` is the compressor's maximum lookahead.
    pub fn validate(&self, max_lookahead_ms: f32) -> Result<(), ConfigError> {
        if !in_range(self.threshold_db, -80.0, 0.0) {
            return Err(ConfigError::Invalid("threshold must be within −80..=0 dB"));
        }
        if self.ratio.is_nan() || self.ratio < 1.0 {
            return Err(ConfigError::Invalid("ratio must be at least 1"));
        }
        if !in_range(self.knee_db, 0.0, 24.0) {
            return Err(ConfigError::Invalid("knee must be within 0..=24 dB"));
        }
        if !in_range(self.attack_ms, 0.0, 500.0) {
            return Err(ConfigError::Invalid("attack must be within 0..=500 ms"));
        }
        if !in_range(self.release_ms, 1.0, 5000.0) {
            return Err(ConfigError::Invalid("release must be within 1..=5000 ms"));
        }
        if let DetectorKind::Rms { window_ms } = self.detector {
            if !in_range(window_ms, 0.1, super::detector::MAX_RMS_WINDOW_MS) {
                return Err(ConfigError::Invalid(
                    "RMS window must be within 0.1..=300 ms",
                ));
            }
        }
        if !in_range(self.stereo_link_pct, 0.0, 100.0) {
            return Err(ConfigError::Invalid("stereo link must be within 0..=100 %"));
        }
        if let Some(f) = self.sidechain_hpf_hz {
            if !in_range(f, 20.0, 500.0) {
                return Err(ConfigError::Invalid(
                    "side-chain high-pass must be within 20..=500 Hz",
                ));
            }
        }
        if !in_range(self.lookahead_ms, 0.0, max_lookahead_ms) {
            return Err(ConfigError::Invalid(
                "lookahead must be within 0..=the maximum lookahead",
            ));
        }
        if !in_range(self.makeup_db, -24.0, 24.0) {
            return Err(ConfigError::Invalid("makeup must be within −24..=24 dB"));
        }
        if !in_range(self.mix_pct, 0.0, 100.0) {
            return Err(ConfigError::Invalid("mix must be within 0..=100 %"));
        }
        Ok(())
    }

    /// A copy with every value clamped into range; NaN values are replaced by `fallback`'s.
    pub fn clamped(&self, fallback: &Self, max_lookahead_ms: f32) -> Self {
        let c = |x: f32, fb: f32, lo: f32, hi: f32| {
            if x.is_nan() {
                fb.clamp(lo, hi)
            } else {
                x.clamp(lo, hi)
            }
        };
        let detector = match self.detector {
            DetectorKind::Peak => DetectorKind::Peak,
            DetectorKind::Rms { window_ms } => DetectorKind::Rms {
                window_ms: c(window_ms, 10.0, 0.1, super::detector::MAX_RMS_WINDOW_MS),
            },
        };
        Self {
            threshold_db: c(self.threshold_db, fallback.threshold_db, -80.0, 0.0),
            ratio: if self.ratio.is_nan() {
                fallback.ratio.max(1.0)
            } else {
                self.ratio.max(1.0)
            },
            knee_db: c(self.knee_db, fallback.knee_db, 0.0, 24.0),
            attack_ms: c(self.attack_ms, fallback.attack_ms, 0.0, 500.0),
            release_ms: c(self.release_ms, fallback.release_ms, 1.0, 5000.0),
            auto_release: self.auto_release,
            detector,
            smoothing: self.smoothing,
            stereo_link_pct: c(self.stereo_link_pct, fallback.stereo_link_pct, 0.0, 100.0),
            stereo_mode: self.stereo_mode,
            sidechain_hpf_hz: self.sidechain_hpf_hz.map(|f| c(f, 100.0, 20.0, 500.0)),
            lookahead_ms: c(
                self.lookahead_ms,
                fallback.lookahead_ms,
                0.0,
                max_lookahead_ms,
            ),
            makeup_db: c(self.makeup_db, fallback.makeup_db, -24.0, 24.0),
            auto_makeup: self.auto_makeup,
            mix_pct: c(self.mix_pct, fallback.mix_pct, 0.0, 100.0),
        }
    }
}

/// Second-order Butterworth high-pass (RBJ cookbook, Q = 1/√2), transposed direct form II in
/// `f64`. Only used on the side-chain.
#[derive(Debug, Clone, Default)]
struct HighPass {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    s1: f64,
    s2: f64,
}

impl HighPass {
    fn set(&mut self, freq_hz: f32, sample_rate: f32) {
        let w0 = std::f64::consts::TAU * (freq_hz as f64 / sample_rate as f64).min(0.49);
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
        let a0 = 1.0 + alpha;
        self.b0 = (1.0 + cos) / 2.0 / a0;
        self.b1 = -(1.0 + cos) / a0;
        self.b2 = self.b0;
        self.a1 = -2.0 * cos / a0;
        self.a2 = (1.0 - alpha) / a0;
    }

    fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }

    #[inline]
    fn process(&mut self, x: f32) -> f32 {
        let x = x as f64;
        let y = self.b0 * x + self.s1;
        self.s1 = flush_denormal_f64(self.b1 * x - self.a1 * y + self.s2);
        self.s2 = flush_denormal_f64(self.b2 * x - self.a2 * y);
        y as f32
    }
}

/// Per-channel running state.
#[derive(Debug, Clone)]
struct Channel {
    hpf: HighPass,
    key_delay: DelayLine,
    audio_delay: DelayLine,
    detector: LevelDetector,
    envelope: EnvelopeFollower,
    /// Current smoothed gain reduction, dB (≥ 0).
    gr_db: f32,
}

impl Channel {
    fn reset_detection(&mut self) {
        self.hpf.reset();
        self.detector.reset();
        self.envelope.reset();
        self.gr_db = 0.0;
    }
}

/// Feed-forward log-domain compressor (see the module docs). Allocates only in
/// [`new`](Self::new).
#[derive(Debug, Clone)]
pub struct Compressor {
    sample_rate: f32,
    capacity_rate: f32,
    max_lookahead_ms: f32,
    max_lookahead_samples: usize,
    settings: CompressorSettings,
    computer: GainComputer,
    channels: Vec<Channel>,
    makeup: LinearSmoother,
    mix: LinearSmoother,
    gain_reduction_db: f32,
}

impl Compressor {
    /// A compressor for `config` with up to `max_lookahead_ms` (0..=[`COMPRESSOR_MAX_LOOKAHEAD_MS`])
    /// of lookahead — which is also its constant latency — and initial `settings`.
    /// Buffers are sized so `set_sample_rate` can go up to
    /// [`ProcessorConfig::capacity_sample_rate`] (max(`config.sample_rate`,
    /// [`super::CAPACITY_SAMPLE_RATE_HZ`]) unless the config is fixed to its rate).
    pub fn new(
        config: ProcessorConfig,
        max_lookahead_ms: f32,
        settings: CompressorSettings,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        if !in_range(max_lookahead_ms, 0.0, COMPRESSOR_MAX_LOOKAHEAD_MS) {
            return Err(ConfigError::Invalid(
                "maximum lookahead must be within 0..=20 ms",
            ));
        }
        settings.validate(max_lookahead_ms)?;
        let fs = config.sample_rate;
        let capacity_rate = config.capacity_sample_rate();
        let cap = ms_to_samples(max_lookahead_ms, capacity_rate);
        let channels = (0..config.channels)
            .map(|_| Channel {
                hpf: HighPass::default(),
                key_delay: DelayLine::new(cap),
                audio_delay: DelayLine::new(cap),
                detector: LevelDetector::new(settings.detector, fs, capacity_rate),
                envelope: EnvelopeFollower::new(
                    settings.attack_ms,
                    settings.release_ms,
                    settings.smoothing,
                    fs,
                ),
                gr_db: 0.0,
            })
            .collect();
        let mut c = Self {
            sample_rate: fs,
            capacity_rate,
            max_lookahead_ms,
            max_lookahead_samples: 0,
            settings,
            computer: GainComputer::new(settings.threshold_db, settings.ratio, settings.knee_db)?,
            channels,
            makeup: LinearSmoother::new(0.0, PARAM_RAMP_MS, fs),
            mix: LinearSmoother::new(1.0, PARAM_RAMP_MS, fs),
            gain_reduction_db: 0.0,
        };
        c.apply_sample_rate(fs);
        c.apply_settings(settings, true);
        Ok(c)
    }

    /// The current settings (after clamping).
    pub fn settings(&self) -> &CompressorSettings {
        &self.settings
    }

    /// The maximum lookahead in ms (fixed at construction; sets the latency).
    pub fn max_lookahead_ms(&self) -> f32 {
        self.max_lookahead_ms
    }

    /// Applies new settings, clamping out-of-range values (NaN keeps the previous value).
    /// Real-time safe.
    pub fn set_settings(&mut self, settings: CompressorSettings) {
        let s = settings.clamped(&self.settings, self.max_lookahead_ms);
        self.apply_settings(s, false);
    }

    /// The current gain reduction in dB (≥ 0), the largest over the channels, for a meter.
    pub fn gain_reduction_db(&self) -> f32 {
        self.gain_reduction_db
    }

    /// The automatic makeup for the current curve, `−y_G(0 dBFS)`, in dB.
    pub fn auto_makeup_db(&self) -> f32 {
        self.computer.gain_reduction_db(0.0)
    }

    fn apply_settings(&mut self, s: CompressorSettings, snap: bool) {
        self.settings = s;
        if let Ok(gc) = GainComputer::new(s.threshold_db, s.ratio, s.knee_db) {
            self.computer = gc;
        }
        let fs = self.sample_rate;
        let la = ms_to_samples(s.lookahead_ms, fs).min(self.max_lookahead_samples);
        for ch in &mut self.channels {
            ch.envelope.set_times(s.attack_ms, s.release_ms, fs);
            ch.envelope.set_mode(s.smoothing);
            ch.envelope.set_auto_release(s.auto_release);
            ch.detector.set_kind(s.detector, fs);
            if let Some(f) = s.sidechain_hpf_hz {
                ch.hpf.set(f, fs);
            }
            ch.key_delay.set_delay(self.max_lookahead_samples - la);
        }
        let makeup = s.makeup_db
            + if s.auto_makeup {
                self.auto_makeup_db()
            } else {
                0.0
            };
        let mix = s.mix_pct * 0.01;
        if snap {
            self.makeup.reset(makeup);
            self.mix.reset(mix);
        } else {
            self.makeup.set_target(makeup);
            self.mix.set_target(mix);
        }
    }

    fn apply_sample_rate(&mut self, fs: f32) {
        self.sample_rate = fs;
        self.max_lookahead_samples = ms_to_samples(self.max_lookahead_ms, fs);
        for ch in &mut self.channels {
            ch.audio_delay.set_delay(self.max_lookahead_samples);
        }
        self.makeup.set_ramp(PARAM_RAMP_MS, fs);
        self.mix.set_ramp(PARAM_RAMP_MS, fs);
    }

    /// Compresses `main` in place, keyed by `sidechain` (one slice per channel; channel `c` uses
    /// `sidechain[min(c, len − 1)]`; missing samples read as 0). An empty `sidechain` keys from
    /// `main` itself. Never allocates; NaN/Inf samples reset that channel's detection state and
    /// are replaced by silence.
    ///
    /// Works in chunks of `CHUNK` frames, stage by stage (read, detect, level → gain
    /// reduction, link and smooth, dB → gain, apply), so the stages without a recursion run as
    /// vector loops. Every sample sees exactly the per-sample algorithm of the module docs.
    pub fn process_with_sidechain(&mut self, main: &mut [&mut [f32]], sidechain: &[&[f32]]) {
        let nch = main.len().min(self.channels.len());
        if nch == 0 {
            return;
        }
        let n = main[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < n {
            let len = CHUNK.min(n - pos);
            self.process_chunk(main, sidechain, nch, pos, len);
            pos += len;
        }
        if n > 0 {
            self.gain_reduction_db = self.channels[..nch]
                .iter()
                .fold(0.0f32, |a, ch| a.max(ch.gr_db));
        }
    }

    // Stages loop over channels and frames of fixed-size arrays: indexing is the clearest form.
    #[allow(clippy::needless_range_loop)]
    fn process_chunk(
        &mut self,
        main: &mut [&mut [f32]],
        sidechain: &[&[f32]],
        nch: usize,
        pos: usize,
        len: usize,
    ) {
        let mid_side = self.settings.stereo_mode == StereoMode::MidSide && nch == 2;
        let link = self.settings.stereo_link_pct * 0.01;
        let hpf_on = self.settings.sidechain_hpf_hz.is_some();
        // x: the finite input; v: the key, then its level, then the gain reduction, then the
        // gain; bad: the frame's input or key was NaN/Inf.
        let mut x = [[0.0f32; CHUNK]; MAX_CHANNELS];
        let mut v = [[0.0f32; CHUNK]; MAX_CHANNELS];
        let mut bad = [[false; CHUNK]; MAX_CHANNELS];
        let mut any_bad = false;
        for c in 0..nch {
            let src = &main[c][pos..pos + len];
            for i in 0..len {
                let ok = src[i].is_finite();
                x[c][i] = if ok { src[i] } else { 0.0 };
                bad[c][i] = !ok;
                any_bad |= !ok;
            }
            if sidechain.is_empty() {
                v[c] = x[c];
            } else {
                let sc = sidechain[c.min(sidechain.len() - 1)];
                for i in 0..len {
                    let k = sc.get(pos + i).copied().unwrap_or(0.0);
                    let ok = k.is_finite();
                    v[c][i] = if ok { k } else { 0.0 };
                    bad[c][i] |= !ok;
                    any_bad |= !ok;
                }
            }
        }
        if mid_side {
            for i in 0..len {
                let b = bad[0][i] || bad[1][i];
                bad[0][i] = b;
                bad[1][i] = b;
                let (l, r) = (v[0][i], v[1][i]);
                v[0][i] = 0.5 * (l + r);
                v[1][i] = 0.5 * (l - r);
            }
        }
        // Detection (recursive per channel), then level → gain reduction (vector loop).
        for c in 0..nch {
            let ch = &mut self.channels[c];
            let key = &mut v[c][..len];
            if any_bad && bad[c][..len].contains(&true) {
                for i in 0..len {
                    if bad[c][i] {
                        ch.hpf.reset();
                        ch.detector.reset();
                    }
                    let mut k = key[i];
                    if hpf_on {
                        k = ch.hpf.process(k);
                    }
                    k = ch.key_delay.process(k);
                    key[i] = ch.detector.detect_power(k);
                }
            } else {
                if hpf_on {
                    for k in key.iter_mut() {
                        *k = ch.hpf.process(*k);
                    }
                }
                ch.key_delay.process_block(key);
                ch.detector.detect_power_block(key);
            }
            for g in key.iter_mut() {
                *g = fast_power_to_db(*g);
            }
            self.computer.gain_reduction_db_block(key);
        }
        // Link (vector loop), smooth (recursive per channel), then makeup − GR in dB.
        let mut gr_max = [0.0f32; CHUNK];
        for c in 0..nch {
            for (m, &g) in gr_max[..len].iter_mut().zip(&v[c][..len]) {
                *m = m.max(g);
            }
        }
        let mut makeup_db = [0.0f32; CHUNK];
        if self.makeup.is_smoothing() {
            for m in makeup_db[..len].iter_mut() {
                *m = self.makeup.tick();
            }
        } else {
            makeup_db[..len].fill(self.makeup.current());
        }
        // Fully linked channels with equal envelope states get equal envelopes: run it once.
        let shared = nch > 1
            && link >= 1.0
            && !any_bad
            && self.channels[1..nch]
                .iter()
                .all(|ch| ch.envelope == self.channels[0].envelope);
        for c in 0..nch {
            if shared && c > 0 {
                let (first, rest) = self.channels.split_at_mut(1);
                rest[c - 1].envelope.clone_from(&first[0].envelope);
                rest[c - 1].gr_db = first[0].gr_db;
                // Channel 0's finished gains: the same for every channel.
                let (first, rest) = v.split_at_mut(1);
                rest[c - 1][..len].copy_from_slice(&first[0][..len]);
                continue;
            }
            let ch = &mut self.channels[c];
            let g = &mut v[c][..len];
            if link >= 1.0 {
                // Exactly the largest (the blend below could be an ulp off), so fully linked
                // channels are bit-equal and may share one envelope.
                g.copy_from_slice(&gr_max[..len]);
            } else {
                for (gi, &m) in g.iter_mut().zip(&gr_max[..len]) {
                    *gi += link * (m - *gi);
                }
            }
            if any_bad && bad[c][..len].contains(&true) {
                for i in 0..len {
                    if bad[c][i] {
                        ch.envelope.reset();
                    }
                    g[i] = ch.envelope.process(g[i]);
                }
            } else {
                ch.envelope.process_block(g);
            }
            for (gi, &m) in g.iter_mut().zip(&makeup_db[..len]) {
                *gi = m - gi.max(0.0);
            }
            ch.gr_db = ch.envelope.value().max(0.0);
        }
        // dB → gain (vector loop), the delayed dry signal, wet, mix.
        for c in 0..nch {
            for g in v[c][..len].iter_mut() {
                *g = fast_db_to_gain(*g);
            }
            self.channels[c].audio_delay.process_block(&mut x[c][..len]);
        }
        for i in 0..len {
            let mix = self.mix.tick();
            let (dry0, dry1) = (x[0][i], x[1.min(nch - 1)][i]);
            if mid_side {
                let m = 0.5 * (dry0 + dry1) * v[0][i];
                let s = 0.5 * (dry0 - dry1) * v[1][i];
                let wet = [m + s, m - s];
                for c in 0..2 {
                    let y = x[c][i] + mix * (wet[c] - x[c][i]);
                    main[c][pos + i] = if y.is_finite() { y } else { 0.0 };
                }
            } else {
                for c in 0..nch {
                    let dry = x[c][i];
                    let y = dry + mix * (dry * v[c][i] - dry);
                    main[c][pos + i] = if y.is_finite() { y } else { 0.0 };
                }
            }
        }
    }
}

impl Processor for Compressor {
    /// Fails with [`ConfigError::SampleRate`] for rates above the capacity chosen at
    /// construction (max(construction rate, 192 kHz)).
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        validate_sample_rate(sample_rate)?;
        if sample_rate > self.capacity_rate {
            return Err(ConfigError::SampleRate(sample_rate));
        }
        self.apply_sample_rate(sample_rate);
        let s = self.settings;
        self.apply_settings(s, true);
        self.reset();
        Ok(())
    }

    fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.reset_detection();
            ch.key_delay.reset();
            ch.audio_delay.reset();
        }
        self.gain_reduction_db = 0.0;
    }

    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.process_with_sidechain(channels, &[]);
    }

    /// The maximum lookahead given at construction, in samples (constant).
    fn latency_samples(&self) -> usize {
        self.max_lookahead_samples
    }
}

#[cfg(test)]
mod tests;
