//! [`FilterCascade`]: one [`FilterSpec`] running on up to [`crate::MAX_CHANNELS`] channels.

use super::biquad::{BiquadCoefs, BiquadState};
use super::cascade::{CascadeCoefs, MAX_SECTIONS};
use super::design::{self, design};
use super::spec::{FilterKind, FilterSpec};
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig, MAX_CHANNELS};

/// Samples between two control-rate updates (parameter glide steps, coefficient recomputation
/// and denormal flushing). Updates happen at fixed absolute sample positions, so the output does
/// not depend on how the host splits the stream into blocks.
pub const CONTROL_PERIOD_SAMPLES: usize = 32;

/// The default glide time constant for parameter changes, in ms.
pub const DEFAULT_SMOOTHING_MS: f32 = 20.0;

/// The continuously automatable parameters, in the domains they glide in.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Glide {
    /// log2 of the frequency in Hz.
    log2_freq: f64,
    /// Gain in dB.
    gain_db: f64,
    /// log2 of Q.
    log2_q: f64,
    /// RBJ shelf slope S (only meaningful when the spec has one).
    shelf_slope: f64,
}

impl Glide {
    fn of(spec: &FilterSpec) -> Self {
        Self {
            log2_freq: spec.freq_hz.log2(),
            gain_db: spec.gain_db,
            log2_q: spec.q.log2(),
            shelf_slope: spec.shelf_slope.unwrap_or(1.0),
        }
    }

    /// One exponential step toward `target` by `coef` (0–1), snapping when close. Returns true
    /// when all values have arrived.
    fn step(&mut self, target: &Self, coef: f64) -> bool {
        fn go(cur: &mut f64, tgt: f64, coef: f64, eps: f64) -> bool {
            let d = tgt - *cur;
            if d.abs() <= eps {
                *cur = tgt;
                true
            } else {
                *cur += d * coef;
                false
            }
        }
        let f = go(&mut self.log2_freq, target.log2_freq, coef, 1e-5);
        let g = go(&mut self.gain_db, target.gain_db, coef, 1e-4);
        let q = go(&mut self.log2_q, target.log2_q, coef, 1e-5);
        let s = go(&mut self.shelf_slope, target.shelf_slope, coef, 1e-5);
        f && g && q && s
    }
}

/// True when `a` and `b` differ only in continuously automatable values (frequency, gain, Q,
/// shelf slope), so one can glide into the other.
fn same_structure(a: &FilterSpec, b: &FilterSpec) -> bool {
    if a.kind != b.kind {
        return false;
    }
    match a.kind {
        FilterKind::LowPass | FilterKind::HighPass => {
            a.cut_shape == b.cut_shape && a.cut_order() == b.cut_order()
        }
        FilterKind::LowShelf | FilterKind::HighShelf => {
            a.shelf_slope.is_some() == b.shelf_slope.is_some()
        }
        _ => true,
    }
}

/// A multichannel biquad cascade running one [`FilterSpec`] (up to [`MAX_SECTIONS`] sections):
/// the real-time processor behind every EQ band and cut filter.
///
/// - Transposed Direct Form II with `f64` state per channel and section; samples stay `f32`
///   between sections.
/// - [`Self::set_spec`] glides: every [`CONTROL_PERIOD_SAMPLES`] samples, log-frequency, dB gain,
///   log-Q (and shelf slope) take one exponential step toward the target (time constant
///   [`DEFAULT_SMOOTHING_MS`], see [`Self::set_smoothing_ms`]) and the coefficients are
///   recomputed. The per-sample loop never touches coefficients. Changes of kind, cut order/shape
///   or shelf parametrisation cannot glide and switch at once.
/// - A NaN/±Inf input sample resets that channel's state and outputs 0 for it; output that would
///   overflow `f32` is replaced by 0 and the channel reset. State is flushed of denormals at
///   every control update.
/// - No heap at all: state and coefficients are fixed-size arrays. Latency 0.
#[derive(Debug, Clone)]
pub struct FilterCascade {
    sample_rate_hz: f32,
    channels: usize,
    max_block_size: usize,
    /// What the caller asked for (unclamped, so a sample-rate change can re-clamp it).
    requested: FilterSpec,
    /// `requested` sanitized at the current sample rate.
    target: FilterSpec,
    current: Glide,
    target_glide: Glide,
    gliding: bool,
    coefs: CascadeCoefs,
    state: [[BiquadState; MAX_SECTIONS]; MAX_CHANNELS],
    smoothing_ms: f32,
    glide_coef: f64,
    samples_to_tick: usize,
}

impl FilterCascade {
    /// A processor for `config` running `spec` (no glide at start). Errors when the config is
    /// invalid (sample rate outside 8–768 kHz, block size 0, channels outside 1–8). The spec is
    /// clamped, never rejected.
    pub fn new(config: ProcessorConfig, spec: FilterSpec) -> Result<Self, ConfigError> {
        config.validate()?;
        let target = spec.sanitized(config.sample_rate as f64);
        let mut p = Self {
            sample_rate_hz: config.sample_rate,
            channels: config.channels,
            max_block_size: config.max_block_size,
            requested: spec,
            target,
            current: Glide::of(&target),
            target_glide: Glide::of(&target),
            gliding: false,
            coefs: CascadeCoefs::identity(),
            state: [[BiquadState::default(); MAX_SECTIONS]; MAX_CHANNELS],
            smoothing_ms: DEFAULT_SMOOTHING_MS,
            glide_coef: 1.0,
            samples_to_tick: 0,
        };
        p.update_glide_coef();
        p.recompute();
        Ok(p)
    }

    /// Sets a new target spec. Frequency, gain, Q and shelf slope glide there (click-free under
    /// automation); a change of kind, cut order/shape or shelf parametrisation switches at once.
    /// Real-time safe.
    pub fn set_spec(&mut self, spec: FilterSpec) {
        // The spec it already has changes nothing (hosts and plugins send every parameter when
        // one moves), unless a glide must end at once (its time constant was set to 0).
        if spec == self.requested
            && self.gliding == (self.current != self.target_glide)
            && !(self.gliding && self.glide_coef >= 1.0)
        {
            return;
        }
        self.requested = spec;
        let target = spec.sanitized(self.sample_rate_hz as f64);
        let structural = !same_structure(&self.target, &target);
        self.target = target;
        self.target_glide = Glide::of(&target);
        if structural || self.glide_coef >= 1.0 {
            self.snap_to_target();
        } else {
            self.gliding = self.current != self.target_glide;
        }
    }

    /// Sets a new spec and jumps to it without gliding (for presets and state loading).
    pub fn set_spec_immediate(&mut self, spec: FilterSpec) {
        self.requested = spec;
        self.target = spec.sanitized(self.sample_rate_hz as f64);
        self.target_glide = Glide::of(&self.target);
        self.snap_to_target();
    }

    /// The spec last passed in (as given, not clamped).
    pub fn spec(&self) -> FilterSpec {
        self.requested
    }

    /// The spec being glided to, clamped for the current sample rate.
    pub fn target_spec(&self) -> FilterSpec {
        self.target
    }

    /// The spec the current coefficients were designed from (mid-glide values while gliding; a
    /// gliding bell's frequency and Q may differ from these in the last place, see
    /// `design::glide_bells`).
    pub fn current_spec(&self) -> FilterSpec {
        if self.current == self.target_glide {
            // Exactly the target (no log/exp round trip), so settled coefficients equal
            // `target_spec().design(fs)` bit for bit.
            return self.target;
        }
        FilterSpec {
            freq_hz: self.current.log2_freq.exp2(),
            gain_db: self.current.gain_db,
            q: self.current.log2_q.exp2(),
            shelf_slope: self.target.shelf_slope.map(|_| self.current.shelf_slope),
            ..self.target
        }
    }

    /// The coefficients running right now. Draw curves from [`FilterSpec::design`] of
    /// [`Self::target_spec`] for the settled response.
    pub fn coefs(&self) -> &CascadeCoefs {
        &self.coefs
    }

    /// True while a parameter glide is in progress.
    pub fn is_gliding(&self) -> bool {
        self.gliding
    }

    /// Sets the glide time constant in ms (0 = no glide: specs apply at once). Non-finite or
    /// negative values mean 0.
    pub fn set_smoothing_ms(&mut self, smoothing_ms: f32) {
        self.smoothing_ms = if smoothing_ms.is_finite() {
            smoothing_ms.max(0.0)
        } else {
            0.0
        };
        self.update_glide_coef();
    }

    /// The glide time constant, in ms.
    pub fn smoothing_ms(&self) -> f32 {
        self.smoothing_ms
    }

    /// The sample rate, in Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// The number of channels this processor was built for.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The largest block size this processor was configured for, in samples (informational:
    /// `process` accepts any length, it needs no buffers).
    pub fn max_block_size(&self) -> usize {
        self.max_block_size
    }

    /// The running state, per channel and section (for a caller that runs settled sections
    /// itself, like the EQ's [`super::StereoBank`] fast path).
    pub(crate) fn state_mut(&mut self) -> &mut [[BiquadState; MAX_SECTIONS]; MAX_CHANNELS] {
        &mut self.state
    }

    /// [`Self::coefs`] and [`Self::state_mut`] at once (for the same caller, without copying
    /// the coefficients).
    pub(crate) fn coefs_and_state_mut(
        &mut self,
    ) -> (
        &CascadeCoefs,
        &mut [[BiquadState; MAX_SECTIONS]; MAX_CHANNELS],
    ) {
        (&self.coefs, &mut self.state)
    }

    /// For a caller that ran `n` samples through [`Self::coefs`] and [`Self::state_mut`] itself
    /// (only while not gliding): advances the control clock exactly as [`Processor::process`]
    /// would have, flushing the state if a control update fell within those samples. The flush
    /// comes at the end instead of at the update's sample; that cannot change any output (see
    /// [`BiquadState::flush_denormals`]).
    pub(crate) fn advance_settled(&mut self, n: usize) {
        debug_assert!(!self.gliding);
        if n == 0 {
            return;
        }
        if n <= self.samples_to_tick {
            self.samples_to_tick -= n;
            return;
        }
        let rest = n - self.samples_to_tick;
        self.control_tick();
        self.samples_to_tick =
            (CONTROL_PERIOD_SAMPLES - rest % CONTROL_PERIOD_SAMPLES) % CONTROL_PERIOD_SAMPLES;
    }

    /// Samples until the next control update (0: one is due before the next sample).
    pub(crate) fn samples_to_tick(&self) -> usize {
        self.samples_to_tick
    }

    /// For a caller that runs [`Self::coefs`] and [`Self::state_mut`] itself while gliding (the
    /// EQ's fast path, which plans a whole stretch's control updates before running it): the
    /// next control update's glide step, as [`Processor::process`] makes it. Returns the bell
    /// `(log2 freq_hz, gain_db, log2 q)` of a gliding bell, whose section the caller designs
    /// ([`design::glide_bells`], as here, so both give the same bits) and hands back with
    /// [`Self::set_glide_section`] (at least the last one, before the coefficients are read);
    /// otherwise (not a bell, or the glide's last step) `None`, the coefficients recomputed here.
    /// The caller keeps the control clock ([`Self::set_samples_to_tick`]) and flushes the
    /// running state at each update (the EQ's bank does); the state here is left as it is.
    pub(crate) fn glide_step(&mut self) -> Option<(f64, f64, f64)> {
        debug_assert!(self.gliding);
        let done = self.current.step(&self.target_glide, self.glide_coef);
        self.gliding = !done;
        let bell = self.gliding_bell();
        if bell.is_none() {
            self.recompute();
        }
        bell
    }

    /// While a bell glides (and has not arrived): its `(log2 freq_hz, gain_db, log2 q)` for
    /// [`design::glide_bells`], which designs every gliding bell (here and in the EQ's fast
    /// path, so both give the same bits). Anything else, and a glide's last step, takes
    /// [`design`] of [`Self::current_spec`].
    fn gliding_bell(&self) -> Option<(f64, f64, f64)> {
        (self.gliding && self.target.kind == FilterKind::Bell).then_some((
            self.current.log2_freq,
            self.current.gain_db,
            self.current.log2_q,
        ))
    }

    /// The section designed for the bell [`Self::glide_step`] returned.
    pub(crate) fn set_glide_section(&mut self, section: BiquadCoefs) {
        self.coefs.set_single(section);
    }

    /// For the same caller: the samples until the next control update, once it has run the
    /// ones before (see [`Self::glide_step`]).
    pub(crate) fn set_samples_to_tick(&mut self, samples: usize) {
        debug_assert!(samples <= CONTROL_PERIOD_SAMPLES);
        self.samples_to_tick = samples;
    }

    fn update_glide_coef(&mut self) {
        let tau_samples = self.smoothing_ms as f64 * 1e-3 * self.sample_rate_hz as f64;
        self.glide_coef = if tau_samples <= 0.0 {
            1.0
        } else {
            -(-(CONTROL_PERIOD_SAMPLES as f64) / tau_samples).exp_m1()
        };
    }

    fn snap_to_target(&mut self) {
        self.current = self.target_glide;
        self.gliding = false;
        let before = self.coefs.len();
        self.recompute();
        // Sections that were idle start from silence.
        if self.coefs.len() != before {
            for ch in self.state.iter_mut() {
                for st in ch.iter_mut().skip(before.min(self.coefs.len())) {
                    st.reset();
                }
            }
        }
    }

    fn recompute(&mut self) {
        self.coefs = design(&self.current_spec(), self.sample_rate_hz as f64);
    }

    /// The control-rate update: one glide step (and coefficient recomputation) if gliding, and
    /// denormal flushing.
    fn control_tick(&mut self) {
        if self.gliding {
            if let Some(bell) = self.glide_step() {
                let mut section = [BiquadCoefs::IDENTITY];
                design::glide_bells(&[bell], self.sample_rate_hz as f64, &mut section);
                self.set_glide_section(section[0]);
            }
        }
        let n = self.coefs.len();
        for ch in self.state[..self.channels].iter_mut() {
            for st in ch[..n].iter_mut() {
                st.flush_denormals();
            }
        }
    }
}

/// Runs one channel's segment (at most one control period) through all sections.
#[inline]
fn process_segment(coefs: &CascadeCoefs, state: &mut [BiquadState; MAX_SECTIONS], seg: &mut [f32]) {
    let sections = coefs.sections();
    if seg.iter().all(|x| x.is_finite()) {
        // Fast path: one tight loop per section.
        for (st, c) in state.iter_mut().zip(sections) {
            st.process_block(c, seg);
        }
    } else {
        // Rare path: per sample, resetting on every non-finite input. Same arithmetic as the
        // fast path, so results do not depend on which path ran.
        for x in seg.iter_mut() {
            if !x.is_finite() {
                state.iter_mut().for_each(BiquadState::reset);
                *x = 0.0;
                continue;
            }
            let mut v = *x;
            for (st, c) in state.iter_mut().zip(sections) {
                v = st.tick(c, v as f64) as f32;
            }
            *x = v;
        }
    }
    guard_overflow(state, seg);
}

/// Zeroes non-finite output and resets the channel: only reachable when finite input
/// overflows `f32` after gain.
#[inline]
fn guard_overflow(state: &mut [BiquadState; MAX_SECTIONS], seg: &mut [f32]) {
    if !seg.iter().all(|x| x.is_finite()) {
        for x in seg.iter_mut() {
            *x = crate::util::sanitize(*x);
        }
        state.iter_mut().for_each(BiquadState::reset);
    }
}

/// Two channels' segments (same length, at most one control period) through all sections at
/// once, bit-identical to [`process_segment`] on each: when both are finite the two recursions
/// run interleaved in one loop per section (see [`BiquadState::process_block_stereo`]).
#[inline]
fn process_segment_stereo(
    coefs: &CascadeCoefs,
    state_l: &mut [BiquadState; MAX_SECTIONS],
    state_r: &mut [BiquadState; MAX_SECTIONS],
    l: &mut [f32],
    r: &mut [f32],
) {
    if l.len() == r.len() && l.iter().chain(r.iter()).all(|x| x.is_finite()) {
        for ((sl, sr), c) in state_l
            .iter_mut()
            .zip(state_r.iter_mut())
            .zip(coefs.sections())
        {
            sl.process_block_stereo(sr, c, l, r);
        }
        guard_overflow(state_l, l);
        guard_overflow(state_r, r);
    } else {
        process_segment(coefs, state_l, l);
        process_segment(coefs, state_r, r);
    }
}

impl Processor for FilterCascade {
    /// Re-clamps the spec for the new rate, recomputes the coefficients (no glide) and resets
    /// the state. Errors (and changes nothing) outside 8–768 kHz.
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        validate_sample_rate(sample_rate)?;
        self.sample_rate_hz = sample_rate;
        self.update_glide_coef();
        self.set_spec_immediate(self.requested);
        self.reset();
        Ok(())
    }

    /// Clears all filter state and finishes any glide (coefficients jump to the target).
    fn reset(&mut self) {
        for ch in self.state.iter_mut() {
            ch.iter_mut().for_each(BiquadState::reset);
        }
        self.snap_to_target();
        self.samples_to_tick = 0;
    }

    /// Filters the channels in place. Processes `min(channels.len(), configured channels)`
    /// channels over their common length; any other samples are only sanitised (NaN/Inf → 0).
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let nch = channels.len().min(self.channels);
        let n = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < n {
            if self.samples_to_tick == 0 {
                self.control_tick();
                self.samples_to_tick = CONTROL_PERIOD_SAMPLES;
            }
            let len = self.samples_to_tick.min(n - pos);
            if nch == 2 {
                let (bl, br) = channels.split_at_mut(1);
                let (sl, sr) = self.state.split_at_mut(1);
                process_segment_stereo(
                    &self.coefs,
                    &mut sl[0],
                    &mut sr[0],
                    &mut bl[0][pos..pos + len],
                    &mut br[0][pos..pos + len],
                );
            } else {
                for (buf, state) in channels[..nch].iter_mut().zip(self.state.iter_mut()) {
                    process_segment(&self.coefs, state, &mut buf[pos..pos + len]);
                }
            }
            self.samples_to_tick -= len;
            pos += len;
        }
        // Samples this processor does not own are at least made safe.
        for (i, buf) in channels.iter_mut().enumerate() {
            let start = if i < nch { n } else { 0 };
            for x in buf[start..].iter_mut() {
                *x = crate::util::sanitize(*x);
            }
        }
    }

    /// Always 0: biquads add no delay.
    fn latency_samples(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests;
