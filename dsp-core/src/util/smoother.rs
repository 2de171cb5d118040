/// A linear ramp toward a target value over a fixed time, for click-free parameter changes
/// (gains, crossfades). Real-time safe; NaN/Inf targets are ignored.
#[derive(Debug, Clone)]
pub struct LinearSmoother {
    current: f32,
    target: f32,
    step: f32,
    steps_left: u32,
    /// Length of a full ramp in samples.
    ramp_samples: u32,
}

impl LinearSmoother {
    /// A smoother resting at `value` that ramps over `ramp_ms` at `sample_rate`.
    pub fn new(value: f32, ramp_ms: f32, sample_rate: f32) -> Self {
        let mut s = Self {
            current: value,
            target: value,
            step: 0.0,
            steps_left: 0,
            ramp_samples: 1,
        };
        s.set_ramp(ramp_ms, sample_rate);
        s
    }

    /// Changes the ramp length (takes effect on the next target).
    pub fn set_ramp(&mut self, ramp_ms: f32, sample_rate: f32) {
        let n = (ramp_ms.max(0.0) * 0.001 * sample_rate).round();
        self.ramp_samples = if n.is_finite() { (n as u32).max(1) } else { 1 };
    }

    /// Sets a new target; the value ramps there linearly.
    pub fn set_target(&mut self, target: f32) {
        if !target.is_finite() || target == self.target {
            return;
        }
        self.target = target;
        self.steps_left = self.ramp_samples;
        self.step = (self.target - self.current) / self.ramp_samples as f32;
    }

    /// Jumps to `value` immediately.
    pub fn reset(&mut self, value: f32) {
        if value.is_finite() {
            self.current = value;
            self.target = value;
        }
        self.steps_left = 0;
    }

    /// The next value of the ramp.
    #[inline]
    pub fn tick(&mut self) -> f32 {
        if self.steps_left > 0 {
            self.steps_left -= 1;
            // Computed from the target, not accumulated, so rounding never builds up.
            self.current = if self.steps_left == 0 {
                self.target
            } else {
                self.target - self.step * self.steps_left as f32
            };
        }
        self.current
    }

    /// True while a ramp is in progress.
    pub fn is_smoothing(&self) -> bool {
        self.steps_left > 0
    }

    /// The value the ramp is heading to.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The current value.
    pub fn current(&self) -> f32 {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_linearly_and_lands_exactly() {
        let mut s = LinearSmoother::new(0.0, 1.0, 1000.0); // 1 sample ramp
        s.set_ramp(10.0, 1000.0); // 10 samples
        s.set_target(1.0);
        let v: Vec<f32> = (0..12).map(|_| s.tick()).collect();
        assert!((v[0] - 0.1).abs() < 1e-6);
        assert_eq!(v[9], 1.0);
        assert_eq!(v[11], 1.0);
        for w in v.windows(2) {
            assert!(w[1] >= w[0]);
        }
        s.set_target(f32::NAN);
        assert_eq!(s.tick(), 1.0);
    }
}
