//! The [`MasterChain`]: input gain, tonal EQ, glue, width and mono-below, drive, the true-peak
//! limiter (one preallocated per oversampling factor, padded to a constant latency) and dither.

use super::*;
use crate::chains::params::ParamInfo;
use crate::chains::{in_blocks, Chain};

/// One preallocated limiter and the delay that pads it to the chain's constant latency.
#[derive(Debug, Clone)]
pub(super) struct LimiterSlot {
    limiter: TruePeakLimiter,
    pad: [DelayLine; 2],
}

impl LimiterSlot {
    fn reset(&mut self) {
        self.limiter.reset();
        for d in &mut self.pad {
            d.reset();
        }
    }

    fn process(&mut self, l: &mut [f32], r: Option<&mut [f32]>) {
        match r {
            Some(r) => {
                self.limiter.process(&mut [&mut *l, &mut *r]);
                for x in r.iter_mut() {
                    *x = self.pad[1].process(*x);
                }
            }
            None => self.limiter.process(&mut [&mut *l]),
        }
        for x in l.iter_mut() {
            *x = self.pad[0].process(*x);
        }
    }
}

/// Maximum pad between limiters, in samples (the upsampler delays differ by at most 36).
pub(super) const MAX_PAD_SAMPLES: usize = 64;

/// Scratch buffers (allocated at construction).
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    mid: Vec<f32>,
    side: Vec<f32>,
    hp: Vec<f32>,
    alt_l: Vec<f32>,
    alt_r: Vec<f32>,
}

/// The Tandem Master processor (1 or 2 channels). Allocates only in [`MasterChain::new`];
/// `process` and `set_settings` never allocate, lock or panic, and the output is always finite.
#[derive(Debug, Clone)]
pub struct MasterChain {
    sample_rate_hz: f32,
    capacity_rate_hz: f32,
    channels: usize,
    max_block_size: usize,
    settings: MasterSettings,
    in_gain: LinearSmoother,
    eq: EqChain,
    glue: Compressor,
    /// Samples since the glue's mix reached 0 (the compressor is skipped once its ramp is over).
    glue_idle: usize,
    width: LinearSmoother,
    mono_mix: LinearSmoother,
    mono_hp: FilterCascade,
    drive: LinearSmoother,
    slots: [LimiterSlot; 4],
    active: usize,
    /// An oversampling change in progress: (new slot, samples since it started).
    switching: Option<(usize, usize)>,
    xfade_len: usize,
    latency: usize,
    rng: u64,
    scratch: Scratch,
}

pub(super) fn ramp_samples(sample_rate_hz: f32) -> usize {
    (RAMP_MS * 1e-3 * sample_rate_hz).round() as usize + 1
}

pub(super) fn mono_hp_spec(hz: f32) -> FilterSpec {
    FilterSpec::high_pass(
        hz.clamp(MONO_BELOW_MIN_HZ, 300.0) as f64,
        MONO_BELOW_SLOPE_DB_OCT as f64,
        CutShape::LinkwitzRiley,
    )
}

impl MasterChain {
    /// A chain for `config` (1 or 2 channels) starting settled at `settings` (no ramps).
    pub fn new(config: ProcessorConfig, settings: &MasterSettings) -> Result<Self, ConfigError> {
        config.validate()?;
        if config.channels > 2 {
            return Err(ConfigError::Channels(config.channels));
        }
        let s = settings.sanitized();
        let fs = config.sample_rate;
        let n = config.max_block_size;
        let mut slots = Vec::with_capacity(4);
        for f in OVERSAMPLING_FACTORS {
            slots.push(LimiterSlot {
                limiter: TruePeakLimiter::new(
                    config,
                    f,
                    LIMITER_MAX_LOOKAHEAD_MS,
                    s.limiter_settings(),
                )?,
                pad: [
                    DelayLine::new(MAX_PAD_SAMPLES),
                    DelayLine::new(MAX_PAD_SAMPLES),
                ],
            });
        }
        let slots: [LimiterSlot; 4] = slots
            .try_into()
            .map_err(|_| ConfigError::Invalid("limiter count"))?;
        let mono_cfg = ProcessorConfig {
            channels: 1,
            ..config
        };
        let mut chain = Self {
            sample_rate_hz: fs,
            capacity_rate_hz: config.capacity_sample_rate(),
            channels: config.channels,
            max_block_size: n,
            settings: s,
            in_gain: LinearSmoother::new(1.0, RAMP_MS, fs),
            eq: EqChain::new(config, &s.eq_settings())?,
            glue: Compressor::new(config, 0.0, s.glue_settings())?,
            glue_idle: usize::MAX,
            width: LinearSmoother::new(1.0, RAMP_MS, fs),
            mono_mix: LinearSmoother::new(0.0, RAMP_MS, fs),
            mono_hp: FilterCascade::new(mono_cfg, mono_hp_spec(s.mono_below_hz))?,
            drive: LinearSmoother::new(1.0, RAMP_MS, fs),
            slots,
            active: s.lim_oversampling.min(3),
            switching: None,
            xfade_len: 1,
            latency: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            scratch: Scratch {
                mid: vec![0.0; n],
                side: vec![0.0; n],
                hp: vec![0.0; n],
                alt_l: vec![0.0; n],
                alt_r: vec![0.0; n],
            },
        };
        chain.configure_rate(fs);
        chain.set_settings_immediate(&s);
        Ok(chain)
    }

    fn configure_rate(&mut self, fs: f32) {
        self.sample_rate_hz = fs;
        self.latency = self
            .slots
            .iter()
            .map(|s| s.limiter.latency_samples())
            .max()
            .unwrap_or(0);
        let latency = self.latency;
        for slot in &mut self.slots {
            let pad = latency - slot.limiter.latency_samples();
            for d in &mut slot.pad {
                d.set_delay(pad);
            }
        }
        self.xfade_len = ((LIMITER_XFADE_MS * 1e-3 * fs).round() as usize).max(1);
        for sm in [
            &mut self.in_gain,
            &mut self.width,
            &mut self.mono_mix,
            &mut self.drive,
        ] {
            sm.set_ramp(RAMP_MS, fs);
        }
    }

    /// Sets new settings, click-free (see the module docs). Real-time safe.
    pub fn set_settings(&mut self, settings: &MasterSettings) {
        self.apply(settings, false);
    }

    /// Sets new settings at once, without ramps or fades (state loading, offline rendering).
    pub fn set_settings_immediate(&mut self, settings: &MasterSettings) {
        self.apply(settings, true);
    }

    fn apply(&mut self, settings: &MasterSettings, snap: bool) {
        let s = settings.sanitized();
        let old = self.settings;
        self.settings = s;
        let set = |sm: &mut LinearSmoother, v: f32| {
            if snap {
                sm.reset(v)
            } else {
                sm.set_target(v)
            }
        };
        set(&mut self.in_gain, db_to_gain(s.in_gain_db));
        set(&mut self.width, s.width_pct * 0.01);
        let mono_on = s.mono_below_hz >= MONO_BELOW_MIN_HZ;
        if mono_on {
            let idle = self.mono_mix.current() == 0.0 && !self.mono_mix.is_smoothing();
            if snap || idle {
                self.mono_hp
                    .set_spec_immediate(mono_hp_spec(s.mono_below_hz));
                self.mono_hp.reset();
            } else {
                self.mono_hp.set_spec(mono_hp_spec(s.mono_below_hz));
            }
        }
        set(&mut self.mono_mix, if mono_on { 1.0 } else { 0.0 });
        set(&mut self.drive, db_to_gain(s.lim_drive_db));
        let eq = s.eq_settings();
        if snap {
            self.eq.set_settings_immediate(&eq);
        } else if eq != old.eq_settings() {
            self.eq.set_settings(&eq);
        }
        if s.glue_on && self.glue_idle == usize::MAX && !snap {
            // Waking up after being skipped: start from clean state; the mix ramps 0 → 1.
            self.glue.reset();
        }
        self.glue.set_settings(s.glue_settings());
        if snap {
            // Re-deriving for the same rate snaps the compressor's makeup and mix ramps (and
            // clears its state); it cannot fail for the rate it already runs at.
            let _ = self.glue.set_sample_rate(self.sample_rate_hz);
            self.glue_idle = if s.glue_on { 0 } else { usize::MAX };
        } else if s.glue_on {
            self.glue_idle = 0;
        }
        let lim = s.limiter_settings();
        for slot in &mut self.slots {
            slot.limiter.set_settings(lim);
        }
        let want = s.lim_oversampling.min(3);
        if snap {
            self.active = want;
            self.switching = None;
            for slot in &mut self.slots {
                slot.reset();
            }
        } else {
            match self.switching {
                Some((to, _)) if to == want => {}
                _ if want == self.active => self.switching = None,
                _ => {
                    self.slots[want].reset();
                    self.switching = Some((want, 0));
                }
            }
        }
    }

    /// The settings last set (sanitised).
    pub fn settings(&self) -> &MasterSettings {
        &self.settings
    }

    /// The sample rate, in Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// The number of channels (1 or 2).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The glue compressor's current gain reduction in dB (≥ 0; 0 when the glue is off).
    pub fn glue_gain_reduction_db(&self) -> f32 {
        if self.settings.glue_on {
            self.glue.gain_reduction_db()
        } else {
            0.0
        }
    }

    /// The limiter's current gain reduction in dB (≥ 0), of the active oversampling factor.
    pub fn limiter_gain_reduction_db(&self) -> f32 {
        self.slots[self.active].limiter.gain_reduction_db()
    }

    /// The chain's constant latency at `sample_rate_hz` (Hz), without building one:
    /// `round(5 ms × fs) + 36`.
    pub fn latency_for_rate(sample_rate_hz: f32) -> usize {
        crate::dynamics::ms_to_samples(LIMITER_MAX_LOOKAHEAD_MS, sample_rate_hz).max(1) + 36
    }

    /// Input gain, tonal EQ, glue and width, in place (no latency). One block.
    fn process_pre_block(&mut self, l: &mut [f32], mut r: Option<&mut [f32]>) {
        let n = l.len();
        // Input gain (and sanitising).
        if self.in_gain.is_smoothing() || self.in_gain.current() != 1.0 {
            for i in 0..n {
                let g = self.in_gain.tick();
                l[i] = crate::util::sanitize(l[i]) * g;
                if let Some(r) = r.as_deref_mut() {
                    r[i] = crate::util::sanitize(r[i]) * g;
                }
            }
        }
        // Tonal EQ (sanitises its output).
        match r.as_deref_mut() {
            Some(r) => self.eq.process(&mut [&mut *l, &mut *r]),
            None => self.eq.process(&mut [&mut *l]),
        }
        // Glue.
        let ramp = ramp_samples(self.sample_rate_hz);
        if self.settings.glue_on || self.glue_idle < ramp {
            match r.as_deref_mut() {
                Some(r) => self.glue.process(&mut [&mut *l, &mut *r]),
                None => self.glue.process(&mut [&mut *l]),
            }
            if !self.settings.glue_on {
                self.glue_idle = self.glue_idle.saturating_add(n);
                if self.glue_idle >= ramp {
                    self.glue_idle = usize::MAX;
                }
            }
        }
        // Width and mono-below (stereo only).
        if let Some(r) = r {
            let active = self.width.is_smoothing()
                || self.width.current() != 1.0
                || self.mono_mix.is_smoothing()
                || self.mono_mix.current() != 0.0;
            if active {
                let (mid, side, hp) = (
                    &mut self.scratch.mid[..n],
                    &mut self.scratch.side[..n],
                    &mut self.scratch.hp[..n],
                );
                for i in 0..n {
                    mid[i] = 0.5 * (l[i] + r[i]);
                    side[i] = 0.5 * (l[i] - r[i]);
                }
                let mono = self.mono_mix.is_smoothing() || self.mono_mix.current() != 0.0;
                if mono {
                    hp.copy_from_slice(side);
                    self.mono_hp.process(&mut [&mut *hp]);
                }
                for i in 0..n {
                    let m = self.mono_mix.tick();
                    let w = self.width.tick();
                    let s = if mono {
                        side[i] + m * (hp[i] - side[i])
                    } else {
                        side[i]
                    };
                    let s = s * w;
                    l[i] = mid[i] + s;
                    r[i] = mid[i] - s;
                }
            }
        }
    }

    /// Drive, limiter (with the oversampling crossfade) and dither. One block.
    fn process_limit_block(&mut self, l: &mut [f32], mut r: Option<&mut [f32]>) {
        let n = l.len();
        for i in 0..n {
            let g = self.drive.tick();
            l[i] *= g;
            if let Some(r) = r.as_deref_mut() {
                r[i] *= g;
            }
        }
        if let Some((to, pos)) = self.switching {
            let alt_l = &mut self.scratch.alt_l[..n];
            let alt_r = &mut self.scratch.alt_r[..n];
            alt_l.copy_from_slice(l);
            if let Some(r) = r.as_deref() {
                alt_r.copy_from_slice(r);
            }
            self.slots[self.active].process(l, r.as_deref_mut());
            let alt_r_opt = if r.is_some() { Some(&mut *alt_r) } else { None };
            self.slots[to].process(alt_l, alt_r_opt);
            let (warm, fade) = (self.latency, self.xfade_len);
            let mut p = pos;
            for i in 0..n {
                if p >= warm {
                    let t = ((p - warm) as f32 / fade as f32).min(1.0);
                    l[i] += t * (alt_l[i] - l[i]);
                    if let Some(r) = r.as_deref_mut() {
                        r[i] += t * (alt_r[i] - r[i]);
                    }
                }
                p += 1;
            }
            if p >= warm + fade {
                self.active = to;
                self.switching = None;
            } else {
                self.switching = Some((to, p));
            }
        } else {
            self.slots[self.active].process(l, r.as_deref_mut());
        }
        if let Some(bits) = self.settings.dither.bits() {
            let q = 2f32.powi(1 - bits as i32);
            let inv = 1.0 / q;
            for i in 0..n {
                l[i] = self.dither_sample(l[i], q, inv);
                if let Some(r) = r.as_deref_mut() {
                    r[i] = self.dither_sample(r[i], q, inv);
                }
            }
        }
    }

    #[inline]
    fn uniform(&mut self) -> f32 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let v = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (v >> 40) as f32 / (1u64 << 24) as f32
    }

    #[inline]
    fn dither_sample(&mut self, x: f32, q: f32, inv: f32) -> f32 {
        let tpdf = self.uniform() - self.uniform();
        ((x * inv + tpdf).round() * q).clamp(-1.0, 1.0 - q)
    }

    /// Runs only the stages before the limiter (input gain, EQ, glue, width) on whole channels,
    /// in place, in the blocks [`Processor::process`] would use; calls `each_block` after every
    /// block (for metering in simulations). Stops early when an analysis is cancelled
    /// ([`crate::assistant::cancel`]). See [`MasterChain::process_limit_stage`].
    pub fn process_pre_limiter(
        &mut self,
        channels: &mut [&mut [f32]],
        mut each_block: impl FnMut(&Self),
    ) {
        let (configured, max_block) = (self.channels, self.max_block_size);
        in_blocks(channels, configured, max_block, |l, r| {
            self.process_pre_block(l, r);
            each_block(self);
            !crate::assistant::cancel::requested()
        });
    }

    /// [`Processor::process`] from the drive on (drive, limiter, dither, sanitising), in place:
    /// over the output of [`MasterChain::process_pre_limiter`] (in the same blocks, by a chain
    /// whose settings differ at most from the drive on, see
    /// [`MasterSettings::same_before_limiter`]) it gives what `process` gives, bit for bit, so
    /// renders that change only the drive, limiter or dither (what `tandem master` corrects) need
    /// not run the stages before again. Real-time safe.
    pub fn process_limit_stage(&mut self, channels: &mut [&mut [f32]]) {
        self.process_stages(channels, false);
    }

    /// The whole chain, or (`pre` false) the stages from the drive on.
    fn process_stages(&mut self, channels: &mut [&mut [f32]], pre: bool) {
        let (configured, max_block) = (self.channels, self.max_block_size);
        let (nch, n) = in_blocks(channels, configured, max_block, |l, mut r| {
            if pre {
                self.process_pre_block(l, r.as_deref_mut());
            }
            self.process_limit_block(l, r);
            true
        });
        for (i, buf) in channels.iter_mut().enumerate() {
            if i < nch {
                for x in buf[..n].iter_mut() {
                    *x = crate::util::sanitize(*x);
                }
                buf[n..].fill(0.0);
            } else {
                buf.fill(0.0);
            }
        }
    }

    /// Offline: renders whole planar channels (1 or 2) through a fresh chain at `settings`,
    /// latency-compensated (the output is aligned with the input and has the same length; the
    /// tail is flushed with silence).
    pub fn render(
        settings: &MasterSettings,
        channels: &[&[f32]],
        sample_rate_hz: f32,
    ) -> Result<Vec<Vec<f32>>, ConfigError> {
        let nch = channels.len();
        let config = ProcessorConfig::new(sample_rate_hz, 4096, nch)?;
        let mut chain = Self::new(config, settings)?;
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let lat = chain.latency_samples();
        let mut bufs: Vec<Vec<f32>> = channels
            .iter()
            .map(|c| {
                let mut v = Vec::with_capacity(n + lat);
                v.extend_from_slice(&c[..n]);
                v.resize(n + lat, 0.0);
                v
            })
            .collect();
        // In slices, so an analysis thread's stop ends an offline render early.
        crate::assistant::cancel::in_slices(n + lat, |r| {
            let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[r.clone()]).collect();
            chain.process(&mut refs);
        });
        for b in &mut bufs {
            b.drain(..lat);
        }
        Ok(bufs)
    }
}

impl Processor for MasterChain {
    /// Re-derives everything for the new rate and resets (settings are kept, ramps finished).
    /// Errors (and changes nothing) outside 8–768 kHz or above the limiters' capacity
    /// (max(construction rate, 192 kHz)).
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        validate_sample_rate(sample_rate)?;
        // Check the capacity first so a failure changes nothing.
        if sample_rate > self.capacity_rate_hz {
            return Err(ConfigError::SampleRate(sample_rate));
        }
        for slot in &mut self.slots {
            slot.limiter.set_sample_rate(sample_rate)?;
        }
        self.glue.set_sample_rate(sample_rate)?;
        self.eq.set_sample_rate(sample_rate)?;
        self.mono_hp.set_sample_rate(sample_rate)?;
        self.configure_rate(sample_rate);
        let s = self.settings;
        self.set_settings_immediate(&s);
        self.reset();
        Ok(())
    }

    /// Clears all state (filters, envelopes, delay lines, limiters) and finishes every ramp.
    fn reset(&mut self) {
        self.eq.reset();
        self.glue.reset();
        self.mono_hp.reset();
        for sm in [
            &mut self.in_gain,
            &mut self.width,
            &mut self.mono_mix,
            &mut self.drive,
        ] {
            let t = sm.target();
            sm.reset(t);
        }
        if let Some((to, _)) = self.switching.take() {
            self.active = to;
        }
        for slot in &mut self.slots {
            slot.reset();
        }
        self.glue_idle = if self.settings.glue_on { 0 } else { usize::MAX };
    }

    /// Processes 1 or 2 channels in place; extra slices are silenced. Blocks longer than the
    /// configured maximum are split internally.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.process_stages(channels, true);
    }

    /// Constant for a given sample rate: `round(5 ms × fs) + 36` samples (see the module docs).
    fn latency_samples(&self) -> usize {
        self.latency
    }
}

impl Chain for MasterChain {
    type Settings = MasterSettings;
    const TRIM_CAN_BOOST: bool = false;
    fn params() -> &'static [ParamInfo] {
        super::PARAMS
    }
    fn build(config: ProcessorConfig, settings: &MasterSettings) -> Result<Self, ConfigError> {
        MasterChain::new(config, settings)
    }
    fn apply(&mut self, settings: &MasterSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &MasterSettings) {
        self.set_settings_immediate(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], _key: Option<&[&[f32]]>) {
        self.process(io);
    }
    fn set_param_at(settings: &mut MasterSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn param_at(settings: &MasterSettings, index: usize) -> Option<f32> {
        settings.param_at(index)
    }
}
