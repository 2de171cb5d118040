//! What the editor draws and the audio/analysis threads measure: spectra on the editor's log
//! grid and peak levels, shared through atomics (the GUI only reads them; a torn read between
//! points only shows as a one-frame wiggle, never as a lock on the audio path).

use atomic_float::AtomicF32;
use dsp_core::analysis::spectrum::{Averaging, OctaveSmoother, SpectrumAnalyzer, SpectrumConfig};
use dsp_core::util::MIN_DB;
use std::sync::atomic::{AtomicU32, Ordering};

/// Points of the display grid (20 Hz–20 kHz, log spaced).
pub const GRID_POINTS: usize = 240;

/// Lowest frequency of the grid (and the editors' axis), Hz.
pub const F_MIN: f32 = 20.0;
/// Highest frequency of the grid (and the editors' axis), Hz.
pub const F_MAX: f32 = 20_000.0;

/// Frequency (Hz) of point `i` of an `n`-point log grid from [`F_MIN`] to [`F_MAX`].
pub fn grid_freq(i: usize, n: usize) -> f32 {
    if n < 2 {
        return F_MIN;
    }
    F_MIN * (F_MAX / F_MIN).powf(i as f32 / (n - 1) as f32)
}

/// Floor of the displayed spectra in dB.
pub const DISPLAY_FLOOR_DB: f32 = -120.0;

/// One curve of [`GRID_POINTS`] values in dB.
pub struct Curve {
    points: Box<[AtomicF32]>,
}

impl Curve {
    fn new() -> Self {
        Self {
            points: (0..GRID_POINTS)
                .map(|_| AtomicF32::new(DISPLAY_FLOOR_DB))
                .collect(),
        }
    }

    /// Stores a curve (extra values ignored, missing ones left as they were).
    pub fn store(&self, db: &[f32]) {
        for (p, v) in self.points.iter().zip(db) {
            p.store(*v, Ordering::Relaxed);
        }
    }

    /// Copies the curve into `out` (resized to [`GRID_POINTS`]).
    pub fn load_into(&self, out: &mut Vec<f32>) {
        out.clear();
        out.extend(self.points.iter().map(|p| p.load(Ordering::Relaxed)));
    }

    /// Sets every point to the floor.
    pub fn clear(&self) {
        for p in self.points.iter() {
            p.store(DISPLAY_FLOOR_DB, Ordering::Relaxed);
        }
    }
}

/// Spectra and levels for the editor.
pub struct Display {
    /// Input spectrum.
    pub pre: Curve,
    /// Output spectrum.
    pub post: Curve,
    /// The assistant's target on the spectrum scale.
    pub target: Curve,
    /// Bumped when `target` holds a curve (0 = none yet).
    pub target_generation: AtomicU32,
    /// Block peak of the input per channel (dBFS), written by the audio thread.
    pub in_peak_db: [AtomicF32; 2],
    /// Block peak of the output per channel (dBFS), written by the audio thread.
    pub out_peak_db: [AtomicF32; 2],
    /// Gain reduction in dB (positive), for plugins that have one.
    pub gain_reduction_db: AtomicF32,
    /// The running sample rate in Hz (for drawing responses).
    pub sample_rate_hz: AtomicF32,
}

impl Default for Display {
    fn default() -> Self {
        Self {
            pre: Curve::new(),
            post: Curve::new(),
            target: Curve::new(),
            target_generation: AtomicU32::new(0),
            in_peak_db: [AtomicF32::new(MIN_DB), AtomicF32::new(MIN_DB)],
            out_peak_db: [AtomicF32::new(MIN_DB), AtomicF32::new(MIN_DB)],
            gain_reduction_db: AtomicF32::new(0.0),
            sample_rate_hz: AtomicF32::new(48_000.0),
        }
    }
}

/// A block peak (linear, the largest finite magnitude, as [`dsp_core::util::finite_abs_max`]
/// gives it) in dBFS as the meters read it. Real-time safe.
#[inline]
fn peak_db(peak: f32) -> f32 {
    dsp_core::util::gain_to_db(peak).max(MIN_DB)
}

impl Display {
    /// Stores each channel's block peak (linear, `peaks`) into `meter` (one of the peak
    /// arrays). Audio thread; atomics only.
    #[inline]
    pub fn store_peaks(&self, meter: &[AtomicF32; 2], peaks: &[f32]) {
        for (a, &p) in meter.iter().zip(peaks) {
            a.store(peak_db(p), Ordering::Relaxed);
        }
    }

    /// Publishes a target curve (spectrum scale, on the grid).
    pub fn store_target(&self, db: &[f32]) {
        self.target.store(db);
        self.target_generation.fetch_add(1, Ordering::Release);
    }

    /// True once a target curve was published.
    pub fn has_target(&self) -> bool {
        self.target_generation.load(Ordering::Acquire) > 0
    }
}

/// Analysis-thread side of the display: running spectra of one signal, resampled onto the grid.
pub struct SpectrumToGrid {
    analyzer: SpectrumAnalyzer,
    smoother: OctaveSmoother,
    bands: Vec<f32>,
    grid: Vec<f32>,
    /// For each grid point: (index of the band below, interpolation weight of the band above).
    map: Vec<(usize, f32)>,
    valid_to: f32,
}

impl SpectrumToGrid {
    /// A display spectrum for `channels` channels at `sample_rate_hz` (Hz): Hann FFT about
    /// 85 ms long, exponential averaging over 0.3 s, 1/12-octave smoothing.
    pub fn new(sample_rate_hz: f32, channels: usize) -> Result<Self, dsp_core::ConfigError> {
        let fft_size = ((sample_rate_hz * 0.085) as usize)
            .next_power_of_two()
            .clamp(1024, 32768);
        let mut config = SpectrumConfig::new(sample_rate_hz, fft_size);
        config.channels = channels.max(1);
        config.averaging = Averaging::Exponential {
            time_constant_s: 0.3,
        };
        let analyzer = SpectrumAnalyzer::new(config)?;
        let smoother = OctaveSmoother::new(sample_rate_hz, fft_size, 12.0, 24.0, 15.0, 22_000.0)?;
        let centers = smoother.centers_hz().to_vec();
        let valid_to = centers.last().copied().unwrap_or(0.0);
        let map = (0..GRID_POINTS)
            .map(|i| {
                let f = grid_freq(i, GRID_POINTS);
                let j = centers.partition_point(|c| *c <= f);
                if j == 0 {
                    (0, 0.0)
                } else if j >= centers.len() {
                    (centers.len() - 1, 0.0)
                } else {
                    let (a, b) = (centers[j - 1].ln(), centers[j].ln());
                    (j - 1, ((f.ln() - a) / (b - a)).clamp(0.0, 1.0))
                }
            })
            .collect();
        Ok(Self {
            bands: vec![0.0; smoother.len()],
            grid: vec![DISPLAY_FLOOR_DB; GRID_POINTS],
            analyzer,
            smoother,
            map,
            valid_to,
        })
    }

    /// Feeds planar channels; returns true when the spectrum moved.
    pub fn process(&mut self, channels: &[&[f32]]) -> bool {
        self.analyzer.process(channels) > 0
    }

    /// The current spectrum on the grid (dB, sine-peak scale: pink noise reads flat).
    pub fn grid_db(&mut self) -> &[f32] {
        self.smoother
            .apply_power(self.analyzer.power(), &mut self.bands);
        let n = self.bands.len();
        for (i, (g, (j, w))) in self.grid.iter_mut().zip(&self.map).enumerate() {
            let f = grid_freq(i, GRID_POINTS);
            if n == 0 || f > self.valid_to {
                *g = DISPLAY_FLOOR_DB;
                continue;
            }
            let a = self.bands[*j];
            let b = self.bands[(*j + 1).min(n - 1)];
            let p = a + (b - a) * w;
            *g = (10.0 * p.max(1e-30).log10()).max(DISPLAY_FLOOR_DB);
        }
        &self.grid
    }

    /// Forgets the averaged spectrum.
    pub fn reset(&mut self) {
        self.analyzer.reset();
    }
}

/// A target curve (a function of frequency, 0 dB mean) placed on the spectrum scale so it sits
/// on `measured` (grid dB): shifted by the mean of `measured` minus the target over 200 Hz–5 kHz.
pub fn align_target_on_grid(target_db_at: impl Fn(f32) -> f32, measured: &[f32]) -> Vec<f32> {
    let mut t: Vec<f32> = (0..GRID_POINTS)
        .map(|i| target_db_at(grid_freq(i, GRID_POINTS)))
        .collect();
    let (mut sum, mut n) = (0.0f32, 0usize);
    for (i, (m, tv)) in measured.iter().zip(&t).enumerate() {
        let f = grid_freq(i, GRID_POINTS);
        if (200.0..=5000.0).contains(&f) && *m > DISPLAY_FLOOR_DB + 1.0 {
            sum += m - tv;
            n += 1;
        }
    }
    let offset = if n > 0 { sum / n as f32 } else { -40.0 };
    for v in t.iter_mut() {
        *v += offset;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pink_noise_reads_flat_and_a_sine_shows_at_its_frequency() {
        let sr = 48_000.0;
        let noise = dsp_core::testsignals::pink_noise(sr as usize * 2, 0.1, 7);
        let mut s = SpectrumToGrid::new(sr, 1).unwrap();
        s.process(&[&noise]);
        let g = s.grid_db().to_vec();
        let at = |f: f32| {
            let i = (0..GRID_POINTS)
                .min_by(|a, b| {
                    (grid_freq(*a, GRID_POINTS) / f)
                        .ln()
                        .abs()
                        .total_cmp(&(grid_freq(*b, GRID_POINTS) / f).ln().abs())
                })
                .unwrap();
            g[i]
        };
        let (lo, mid, hi) = (at(100.0), at(1000.0), at(10_000.0));
        assert!(
            (lo - mid).abs() < 2.5 && (hi - mid).abs() < 2.5,
            "{lo} {mid} {hi}"
        );

        let sine = dsp_core::testsignals::sine(sr as usize, 2000.0, 0.5, sr as f64);
        let mut s = SpectrumToGrid::new(sr, 1).unwrap();
        s.process(&[&sine]);
        let g = s.grid_db().to_vec();
        let peak = (0..GRID_POINTS)
            .max_by(|a, b| g[*a].total_cmp(&g[*b]))
            .unwrap();
        let f = grid_freq(peak, GRID_POINTS);
        assert!((f / 2000.0).log2().abs() < 1.0 / 12.0, "{f}");
    }

    #[test]
    fn target_is_aligned_to_the_measured_level() {
        let measured = vec![-40.0; GRID_POINTS];
        let t = align_target_on_grid(|_| 0.0, &measured);
        assert!(t.iter().all(|v| (v + 40.0).abs() < 1e-4));
    }
}
