//! Log-domain attack/release smoothing (GMR 2012 §2.2).
//!
//! The follower runs on a level in dB — in the compressor, on the gain reduction
//! `x_G − y_G ≥ 0` — and smooths it with one-pole sections whose coefficients are
//! `α = exp(−1 / (τ · fs))` (τ in seconds). Two variants from the paper:
//! - **smooth branching** (eq. 16): `y = α_A·y + (1−α_A)·x` while `x > y`, else
//!   `y = α_R·y + (1−α_R)·x`;
//! - **smooth decoupled** (eq. 17): `y₁ = max(x, α_R·y₁ + (1−α_R)·x)`,
//!   `y = α_A·y + (1−α_A)·y₁` (the release runs first, the attack smooths its output).
//!
//! Optional **program-dependent (auto) release**: a second, slow branching follower runs in
//! parallel (attack `2 × release`, release `5 × release`) and the output is the larger of the
//! two. Short transients barely charge the slow branch, so they release at the set release
//! time; sustained gain reduction charges it and then releases up to five times slower.

use crate::util::flush_denormal_f64;

/// Attack factor of the slow branch of the auto release, relative to the release time.
pub const AUTO_RELEASE_SLOW_ATTACK_FACTOR: f32 = 2.0;
/// Release factor of the slow branch of the auto release, relative to the release time.
pub const AUTO_RELEASE_SLOW_RELEASE_FACTOR: f32 = 5.0;

/// One-pole coefficient `exp(−1 / (τ·fs))` for a time constant of `time_ms` ms at `sample_rate`
/// Hz. Zero, negative or NaN times give 0 (no smoothing).
pub fn time_constant_coef(time_ms: f32, sample_rate: f32) -> f32 {
    coef_f64(time_ms, sample_rate) as f32
}

fn coef_f64(time_ms: f32, sample_rate: f32) -> f64 {
    let t = time_ms as f64 * 0.001 * sample_rate as f64;
    if t > 0.0 && t.is_finite() {
        (-1.0 / t).exp()
    } else {
        0.0
    }
}

/// The peak-detector topology of the smoother (GMR 2012 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmoothingMode {
    /// Smooth decoupled: release stage followed by an attack smoother (GMR eq. 17).
    #[default]
    Decoupled,
    /// Smooth branching: attack or release coefficient depending on the direction (GMR eq. 16).
    Branching,
}

/// Attack/release smoother for a dB-domain level. State in `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeFollower {
    mode: SmoothingMode,
    attack: f64,
    release: f64,
    auto_release: bool,
    slow_attack: f64,
    slow_release: f64,
    /// Release-stage state of the decoupled topology.
    y1: f64,
    /// Output state.
    y: f64,
    /// Slow branch of the auto release.
    slow: f64,
}

impl EnvelopeFollower {
    /// A follower with `attack_ms` / `release_ms` time constants (ms) at `sample_rate` Hz.
    pub fn new(attack_ms: f32, release_ms: f32, mode: SmoothingMode, sample_rate: f32) -> Self {
        let mut e = Self {
            mode,
            attack: 0.0,
            release: 0.0,
            auto_release: false,
            slow_attack: 0.0,
            slow_release: 0.0,
            y1: 0.0,
            y: 0.0,
            slow: 0.0,
        };
        e.set_times(attack_ms, release_ms, sample_rate);
        e
    }

    /// Sets the attack and release time constants in ms at `sample_rate` Hz.
    pub fn set_times(&mut self, attack_ms: f32, release_ms: f32, sample_rate: f32) {
        self.attack = coef_f64(attack_ms, sample_rate);
        self.release = coef_f64(release_ms, sample_rate);
        self.slow_attack = coef_f64(release_ms * AUTO_RELEASE_SLOW_ATTACK_FACTOR, sample_rate);
        self.slow_release = coef_f64(release_ms * AUTO_RELEASE_SLOW_RELEASE_FACTOR, sample_rate);
    }

    /// Chooses the topology.
    pub fn set_mode(&mut self, mode: SmoothingMode) {
        self.mode = mode;
    }

    /// Turns the program-dependent release on or off.
    pub fn set_auto_release(&mut self, on: bool) {
        if on && !self.auto_release {
            self.slow = 0.0;
        }
        self.auto_release = on;
    }

    /// Clears the state to 0 dB.
    pub fn reset(&mut self) {
        self.y1 = 0.0;
        self.y = 0.0;
        self.slow = 0.0;
    }

    /// The current output (dB).
    pub fn value(&self) -> f32 {
        self.y.max(if self.auto_release { self.slow } else { 0.0 }) as f32
    }

    /// Runs a block through the follower in place: per sample exactly [`Self::process`], with
    /// the state in registers and the denormal flush done once at the end instead of at every
    /// sample (a state cannot decay from 1e−30 into the denormal range within a block, and a
    /// gain reduction of 1e−30 dB changes no `f32` gain). Blocks holding non-finite values take
    /// the per-sample path.
    pub fn process_block(&mut self, xs: &mut [f32]) {
        if !xs.iter().all(|x| x.is_finite()) {
            for x in xs.iter_mut() {
                *x = self.process(*x);
            }
            return;
        }
        match (self.mode, self.auto_release) {
            (SmoothingMode::Decoupled, false) => self.block::<true, false>(xs),
            (SmoothingMode::Decoupled, true) => self.block::<true, true>(xs),
            (SmoothingMode::Branching, false) => self.block::<false, false>(xs),
            (SmoothingMode::Branching, true) => self.block::<false, true>(xs),
        }
        self.y = flush_denormal_f64(self.y);
        self.y1 = flush_denormal_f64(self.y1);
        self.slow = flush_denormal_f64(self.slow);
    }

    #[inline(always)]
    fn block<const DECOUPLED: bool, const AUTO: bool>(&mut self, xs: &mut [f32]) {
        let (mut y, mut y1, mut slow) = (self.y, self.y1, self.slow);
        let (att, rel) = (self.attack, self.release);
        let (slow_att, slow_rel) = (self.slow_attack, self.slow_release);
        for v in xs.iter_mut() {
            let x = *v as f64;
            if DECOUPLED {
                y1 = x.max(rel * y1 + (1.0 - rel) * x);
                y = att * y + (1.0 - att) * y1;
            } else {
                let a = if x > y { att } else { rel };
                y = a * y + (1.0 - a) * x;
            }
            *v = if AUTO {
                let a = if x > slow { slow_att } else { slow_rel };
                slow = a * slow + (1.0 - a) * x;
                y.max(slow) as f32
            } else {
                y as f32
            };
        }
        self.y = y;
        self.y1 = y1;
        self.slow = slow;
    }

    /// Feeds one level `x` (dB) and returns the smoothed level (dB). Non-finite input resets the
    /// follower and returns 0.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        if !x.is_finite() {
            self.reset();
            return 0.0;
        }
        let x = x as f64;
        match self.mode {
            SmoothingMode::Branching => {
                let a = if x > self.y {
                    self.attack
                } else {
                    self.release
                };
                self.y = a * self.y + (1.0 - a) * x;
            }
            SmoothingMode::Decoupled => {
                self.y1 = x.max(self.release * self.y1 + (1.0 - self.release) * x);
                self.y = self.attack * self.y + (1.0 - self.attack) * self.y1;
                self.y1 = flush_denormal_f64(self.y1);
            }
        }
        self.y = flush_denormal_f64(self.y);
        if self.auto_release {
            let a = if x > self.slow {
                self.slow_attack
            } else {
                self.slow_release
            };
            self.slow = flush_denormal_f64(a * self.slow + (1.0 - a) * x);
            return self.y.max(self.slow) as f32;
        }
        self.y as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 48_000.0;

    #[test]
    fn coefficient_formula() {
        let a = time_constant_coef(10.0, SR);
        assert!((a as f64 - (-1.0f64 / 480.0).exp()).abs() < 1e-7);
        assert_eq!(time_constant_coef(0.0, SR), 0.0);
        assert_eq!(time_constant_coef(f32::NAN, SR), 0.0);
    }

    #[test]
    fn attack_reaches_63_percent_after_tau_in_both_modes() {
        for mode in [SmoothingMode::Branching, SmoothingMode::Decoupled] {
            let mut e = EnvelopeFollower::new(10.0, 100.0, mode, SR);
            let mut y = 0.0;
            for _ in 0..480 {
                y = e.process(10.0);
            }
            assert!(
                (y - 10.0 * (1.0 - (-1.0f32).exp())).abs() < 0.02,
                "{mode:?}: {y}"
            );
        }
    }

    #[test]
    fn release_decays_63_percent_after_tau() {
        let mut e = EnvelopeFollower::new(0.0, 100.0, SmoothingMode::Branching, SR);
        e.process(10.0);
        let mut y = 0.0;
        for _ in 0..4800 {
            y = e.process(0.0);
        }
        assert!((y - 10.0 * (-1.0f32).exp()).abs() < 0.01, "{y}");
    }

    #[test]
    fn decoupled_smooths_release_start() {
        // After a short burst the decoupled topology releases with a rounded start (its attack
        // filter smooths the release stage), branching releases at once.
        let mut b = EnvelopeFollower::new(5.0, 50.0, SmoothingMode::Branching, SR);
        let mut d = EnvelopeFollower::new(5.0, 50.0, SmoothingMode::Decoupled, SR);
        for _ in 0..4800 {
            b.process(12.0);
            d.process(12.0);
        }
        let yb = b.process(0.0);
        let yd = d.process(0.0);
        assert!(yd > yb, "{yd} vs {yb}");
    }

    #[test]
    fn auto_release_is_slower_after_sustained_reduction() {
        let release_after = |burst: usize| {
            let mut e = EnvelopeFollower::new(1.0, 50.0, SmoothingMode::Branching, SR);
            e.set_auto_release(true);
            for _ in 0..burst {
                e.process(10.0);
            }
            let mut y = 0.0;
            for _ in 0..4800 {
                y = e.process(0.0);
            }
            y
        };
        let short = release_after(480); // 10 ms
        let long = release_after(96_000); // 2 s
        assert!(long > 3.0 * short, "long {long} short {short}");
    }

    #[test]
    fn non_finite_input_resets() {
        let mut e = EnvelopeFollower::new(1.0, 10.0, SmoothingMode::Decoupled, SR);
        e.process(5.0);
        assert_eq!(e.process(f32::NAN), 0.0);
        assert_eq!(e.value(), 0.0);
    }
}
