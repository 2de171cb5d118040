//! Level detectors: instantaneous peak and sliding-window RMS, behind one seam ([`Detect`]).
//!
//! A detector turns the (side-chain) signal into a level in linear amplitude; the compressor
//! converts it to dB and smooths the resulting gain reduction in the log domain (GMR 2012 §2.2,
//! "log domain detector" placement).

use super::lookahead::ring_recent;

/// The longest RMS window any detector supports, in ms.
pub const MAX_RMS_WINDOW_MS: f32 = 300.0;

/// Input magnitudes are clamped to this (≈ +300 dBFS) so squares never overflow.
const MAX_MAGNITUDE: f32 = 1e15;

/// A level detector: one sample in, one level out (linear amplitude, ≥ 0).
pub trait Detect {
    /// Feeds one sample and returns the current level (linear amplitude). Non-finite input is
    /// treated as 0.
    fn detect(&mut self, x: f32) -> f32;
    /// Clears the running state.
    fn reset(&mut self);
}

/// The instantaneous peak detector: the level is `|x|`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeakDetector;

impl Detect for PeakDetector {
    #[inline]
    fn detect(&mut self, x: f32) -> f32 {
        let a = x.abs();
        if a.is_finite() {
            a.min(MAX_MAGNITUDE)
        } else {
            0.0
        }
    }

    fn reset(&mut self) {}
}

/// Sliding-window RMS detector: `sqrt(mean(x²))` over the last `window` samples, O(1) per
/// sample (running sum in `f64`, refreshed exactly once per window length so rounding never
/// builds up). The ring buffer is allocated once for a maximum window.
#[derive(Debug, Clone)]
pub struct RmsDetector {
    /// Squares of the most recent inputs (ring of `capacity` entries).
    ring: Vec<f32>,
    /// Next write position.
    pos: usize,
    /// Window length in samples (1..capacity−1).
    len: usize,
    sum: f64,
    /// 1 / len.
    inv_len: f64,
    since_refresh: usize,
}

impl RmsDetector {
    /// A detector whose window can be up to `max_window_samples` (≥ 1) long; the window starts
    /// at that maximum.
    pub fn with_capacity(max_window_samples: usize) -> Self {
        let cap = max_window_samples.max(1) + 1;
        Self {
            ring: vec![0.0; cap],
            pos: 0,
            len: cap - 1,
            sum: 0.0,
            inv_len: 1.0 / (cap - 1) as f64,
            since_refresh: 0,
        }
    }

    /// A detector with a window of `window_ms` (clamped to 0.1 ms–[`MAX_RMS_WINDOW_MS`]) at
    /// `sample_rate` Hz, able to grow to [`MAX_RMS_WINDOW_MS`] at `capacity_sample_rate` Hz.
    pub fn new(window_ms: f32, sample_rate: f32, capacity_sample_rate: f32) -> Self {
        let cap = super::ms_to_samples(MAX_RMS_WINDOW_MS, capacity_sample_rate.max(sample_rate));
        let mut d = Self::with_capacity(cap);
        d.set_window_ms(window_ms, sample_rate);
        d
    }

    /// The largest window in samples.
    pub fn max_window_samples(&self) -> usize {
        self.ring.len() - 1
    }

    /// The current window in samples.
    pub fn window_samples(&self) -> usize {
        self.len
    }

    /// Sets the window in samples (clamped to 1..=max). The running sum is recomputed over the
    /// samples already in the ring (O(window), once), so no history is lost.
    pub fn set_window_samples(&mut self, samples: usize) {
        let len = samples.clamp(1, self.max_window_samples());
        if len != self.len {
            self.len = len;
            self.inv_len = 1.0 / len as f64;
            self.refresh();
        }
    }

    /// Sets the window in ms (clamped to 0.1 ms–[`MAX_RMS_WINDOW_MS`] and to the capacity) at
    /// `sample_rate` Hz. NaN keeps the current window.
    pub fn set_window_ms(&mut self, window_ms: f32, sample_rate: f32) {
        if window_ms.is_nan() {
            return;
        }
        let ms = window_ms.clamp(0.1, MAX_RMS_WINDOW_MS);
        self.set_window_samples(super::ms_to_samples(ms, sample_rate).max(1));
    }

    fn refresh(&mut self) {
        // The last `len` squares, newest first.
        let s: f64 = ring_recent(&self.ring, self.pos, self.len)
            .map(f64::from)
            .sum();
        self.sum = s;
        self.since_refresh = 0;
    }

    /// The current mean square (linear power).
    pub fn mean_square(&self) -> f64 {
        (self.sum * self.inv_len).max(0.0)
    }
}

impl RmsDetector {
    /// Pushes `x` and returns the mean square over the window (linear power; the detector's
    /// level is its square root). Non-finite `x` counts as 0.
    #[inline]
    pub fn detect_power(&mut self, x: f32) -> f32 {
        let mut v = [x];
        self.detect_power_block(&mut v);
        v[0]
    }
}

impl RmsDetector {
    /// [`Self::detect_power`] for every sample of `xs`, in place, with the running state in
    /// registers.
    pub fn detect_power_block(&mut self, xs: &mut [f32]) {
        let cap = self.ring.len();
        let len = self.len;
        let mut i = 0;
        while i < xs.len() {
            // Up to the next refresh, the loop needs no call.
            let run = (len - self.since_refresh.min(len)).max(1).min(xs.len() - i);
            let (mut pos, mut sum) = (self.pos, self.sum);
            for x in xs[i..i + run].iter_mut() {
                let a = PeakDetector.detect(*x);
                let sq = a * a;
                let back = if pos >= len {
                    pos - len
                } else {
                    pos + cap - len
                };
                let leaving = self.ring[back];
                self.ring[pos] = sq;
                pos = if pos + 1 == cap { 0 } else { pos + 1 };
                sum += sq as f64 - leaving as f64;
                *x = ((sum * self.inv_len).max(0.0)) as f32;
            }
            self.pos = pos;
            self.sum = sum;
            self.since_refresh += run;
            if self.since_refresh >= len {
                self.refresh();
                // A refresh lands before that sample's output is read.
                xs[i + run - 1] = self.mean_square() as f32;
            }
            i += run;
        }
    }
}

impl Detect for RmsDetector {
    #[inline]
    fn detect(&mut self, x: f32) -> f32 {
        self.detect_power(x).sqrt()
    }

    fn reset(&mut self) {
        self.ring.fill(0.0);
        self.sum = 0.0;
        self.pos = 0;
        self.since_refresh = 0;
    }
}

/// Which detector a [`LevelDetector`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum DetectorKind {
    /// Instantaneous peak (`|x|`).
    #[default]
    Peak,
    /// Sliding-window RMS over `window_ms` milliseconds.
    Rms {
        /// Window length in ms (0.1–[`MAX_RMS_WINDOW_MS`]).
        window_ms: f32,
    },
}

/// A detector switchable at run time between peak and RMS without allocating (the RMS ring is
/// allocated up front).
#[derive(Debug, Clone)]
pub struct LevelDetector {
    kind: DetectorKind,
    rms: RmsDetector,
}

impl LevelDetector {
    /// A detector of `kind` at `sample_rate` Hz whose RMS window can reach
    /// [`MAX_RMS_WINDOW_MS`] at up to `capacity_sample_rate` Hz.
    pub fn new(kind: DetectorKind, sample_rate: f32, capacity_sample_rate: f32) -> Self {
        let mut d = Self {
            kind: DetectorKind::Peak,
            rms: RmsDetector::new(10.0, sample_rate, capacity_sample_rate),
        };
        d.set_kind(kind, sample_rate);
        d
    }

    /// Switches the detector (and/or the RMS window). Switching to RMS clears the RMS history.
    pub fn set_kind(&mut self, kind: DetectorKind, sample_rate: f32) {
        if let DetectorKind::Rms { window_ms } = kind {
            if !matches!(self.kind, DetectorKind::Rms { .. }) {
                self.rms.reset();
            }
            self.rms.set_window_ms(window_ms, sample_rate);
        }
        self.kind = kind;
    }

    /// The current kind.
    pub fn kind(&self) -> DetectorKind {
        self.kind
    }
}

impl LevelDetector {
    /// Pushes `x` and returns the square of [`Detect::detect`]'s level (linear power), without
    /// the square root: what a dB conversion needs.
    #[inline]
    pub fn detect_power(&mut self, x: f32) -> f32 {
        match self.kind {
            DetectorKind::Peak => {
                let a = PeakDetector.detect(x);
                a * a
            }
            DetectorKind::Rms { .. } => self.rms.detect_power(x),
        }
    }
}

impl LevelDetector {
    /// [`Self::detect_power`] for every sample of `xs`, in place.
    pub fn detect_power_block(&mut self, xs: &mut [f32]) {
        match self.kind {
            DetectorKind::Peak => {
                for x in xs.iter_mut() {
                    let a = PeakDetector.detect(*x);
                    *x = a * a;
                }
            }
            DetectorKind::Rms { .. } => self.rms.detect_power_block(xs),
        }
    }
}

impl Detect for LevelDetector {
    #[inline]
    fn detect(&mut self, x: f32) -> f32 {
        match self.kind {
            DetectorKind::Peak => PeakDetector.detect(x),
            DetectorKind::Rms { .. } => self.rms.detect(x),
        }
    }

    fn reset(&mut self) {
        self.rms.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_is_absolute_value_and_finite() {
        let mut p = PeakDetector;
        assert_eq!(p.detect(-0.5), 0.5);
        assert_eq!(p.detect(f32::NAN), 0.0);
        assert_eq!(p.detect(f32::INFINITY), 0.0);
    }

    #[test]
    fn rms_of_sine_over_whole_periods() {
        // 1 kHz at 48 kHz, 10 ms window = 10 whole periods.
        let mut d = RmsDetector::new(10.0, 48_000.0, 48_000.0);
        assert_eq!(d.window_samples(), 480);
        let mut last = 0.0;
        for i in 0..4800 {
            let x = 0.5 * (std::f64::consts::TAU * 1000.0 * i as f64 / 48_000.0).sin();
            last = d.detect(x as f32);
        }
        assert!((last - 0.5 / 2f32.sqrt()).abs() < 1e-5, "{last}");
    }

    #[test]
    fn rms_matches_brute_force_and_window_changes() {
        let x = crate::testsignals::white_noise(5000, 1.0, 7);
        let mut d = RmsDetector::with_capacity(300);
        d.set_window_samples(100);
        for (i, &v) in x.iter().enumerate() {
            if i == 2500 {
                d.set_window_samples(37);
            }
            let w = if i >= 2500 { 37 } else { 100 };
            let got = d.detect(v);
            let lo = (i + 1).saturating_sub(w);
            let ms: f64 = x[lo..=i].iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / w as f64;
            assert!((got as f64 - ms.sqrt()).abs() < 1e-5, "{i}");
        }
    }

    #[test]
    fn block_detection_equals_per_sample() {
        let x = crate::testsignals::white_noise(3000, 1.0, 9);
        for kind in [DetectorKind::Peak, DetectorKind::Rms { window_ms: 1.0 }] {
            let mut a = LevelDetector::new(kind, 48_000.0, 48_000.0);
            let mut b = a.clone();
            let expect: Vec<f32> = x.iter().map(|&v| a.detect_power(v)).collect();
            let mut got = x.clone();
            for chunk in got.chunks_mut(37) {
                b.detect_power_block(chunk);
            }
            assert_eq!(got, expect, "{kind:?}");
        }
    }

    #[test]
    fn level_detector_switches() {
        let mut d = LevelDetector::new(DetectorKind::Peak, 48_000.0, 48_000.0);
        assert_eq!(d.detect(-0.25), 0.25);
        d.set_kind(DetectorKind::Rms { window_ms: 1.0 }, 48_000.0);
        let mut v = 0.0;
        for _ in 0..100 {
            v = d.detect(0.5);
        }
        assert!((v - 0.5).abs() < 1e-6);
        assert!(d.detect(f32::NAN).is_finite());
    }
}
