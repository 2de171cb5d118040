//! Windowed FFT spectrum analysis and fractional-octave smoothing.
//!
//! # Normalisation (the "sine-peak" dB scale)
//! Bin power is `P[k] = |2·X[k] / Σw|²` (DC and Nyquist bins × ¼), so a sine of amplitude `A`
//! centred on a bin reads `A²` there: a full-scale sine is **0 dB** (off-centre sines read up to
//! 1.42 dB lower, the Hann scalloping loss). Band levels from [`OctaveSmoother`] sum the bin
//! powers inside the band and divide by the window's equivalent noise bandwidth (1.5 bins for
//! Hann), so a sine anywhere inside a band also reads its level (full scale = 0 dB), and a noise
//! band reads twice its mean square (its power on the same scale as a sine, whose mean square is
//! `A²/2`). White noise therefore rises +3 dB/octave in fractional-octave bands and pink noise is
//! flat.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::{validate_sample_rate, ConfigError, MAX_CHANNELS};

/// The smallest FFT size accepted, in samples.
pub const MIN_FFT_SIZE: usize = 64;
/// The largest FFT size accepted, in samples.
pub const MAX_FFT_SIZE: usize = 1 << 16;

/// Validates an FFT size (a power of two in [`MIN_FFT_SIZE`]..=[`MAX_FFT_SIZE`]).
pub(crate) fn validate_fft_size(n: usize) -> Result<(), ConfigError> {
    if n.is_power_of_two() && (MIN_FFT_SIZE..=MAX_FFT_SIZE).contains(&n) {
        Ok(())
    } else {
        Err(ConfigError::Invalid(
            "FFT size must be a power of two in 64..=65536",
        ))
    }
}

/// One Hann-windowed real FFT with its buffers, producing sine-peak-normalised bin powers.
pub(crate) struct FrameFft {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    scale: f32,
    enbw_bins: f32,
}

impl FrameFft {
    pub(crate) fn new(n: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        // Periodic Hann.
        let window: Vec<f32> = (0..n)
            .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos()) as f32)
            .collect();
        let sum: f64 = window.iter().map(|&w| w as f64).sum();
        let sum_sq: f64 = window.iter().map(|&w| (w as f64) * (w as f64)).sum();
        Self {
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            scale: (2.0 / sum).powi(2) as f32,
            enbw_bins: (n as f64 * sum_sq / (sum * sum)) as f32,
        }
    }

    pub(crate) fn bins(&self) -> usize {
        self.window.len() / 2 + 1
    }

    pub(crate) fn enbw_bins(&self) -> f32 {
        self.enbw_bins
    }

    /// The time-domain buffer to fill with one frame (unwindowed) before [`FrameFft::run`].
    pub(crate) fn input_mut(&mut self) -> &mut [f32] {
        &mut self.input
    }

    /// Windows the input buffer, transforms it and returns the complex spectrum (unscaled).
    pub(crate) fn run(&mut self) -> &[Complex<f32>] {
        for (x, w) in self.input.iter_mut().zip(&self.window) {
            *x = crate::util::sanitize(*x) * w;
        }
        // Cannot fail: all buffers come from the plan itself.
        let _ = self
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        &self.output
    }

    /// Windows + transforms the input buffer and adds `weight × P[k]` into `acc`.
    pub(crate) fn accumulate_power(&mut self, acc: &mut [f32], weight: f32) {
        let half = self.window.len() / 2;
        let scale = self.scale;
        let spec = self.run();
        for (k, (a, c)) in acc.iter_mut().zip(spec.iter()).enumerate() {
            let s = if k == 0 || k == half {
                0.25 * scale
            } else {
                scale
            };
            *a += weight * s * c.norm_sqr();
        }
    }
}

/// A fixed-size per-channel history that signals every `hop` samples once a full frame exists.
pub(crate) struct Framer {
    n: usize,
    hop: usize,
    channels: usize,
    hist: Vec<f32>,
    write: usize,
    filled: usize,
    since: usize,
}

impl Framer {
    pub(crate) fn new(n: usize, hop: usize, channels: usize) -> Self {
        Self {
            n,
            hop,
            channels,
            hist: vec![0.0; n * channels],
            write: 0,
            filled: 0,
            since: 0,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.hist.fill(0.0);
        self.write = 0;
        self.filled = 0;
        self.since = 0;
    }

    /// Consumes samples from `chans[..][start..len]` until a frame becomes ready or the input
    /// ends. Returns (samples consumed, frame ready).
    pub(crate) fn feed(&mut self, chans: &[&[f32]], start: usize, len: usize) -> (usize, bool) {
        let mut i = start;
        while i < len {
            let mut m = (len - i).min(self.n - self.write);
            if self.filled == self.n {
                m = m.min(self.hop - self.since);
            } else {
                m = m.min(self.n - self.filled);
            }
            for (ch, src) in chans.iter().enumerate().take(self.channels) {
                let dst = &mut self.hist[ch * self.n + self.write..ch * self.n + self.write + m];
                dst.copy_from_slice(&src[i..i + m]);
            }
            self.write = (self.write + m) % self.n;
            i += m;
            if self.filled < self.n {
                self.filled += m;
                if self.filled == self.n {
                    self.since = 0;
                    return (i - start, true);
                }
            } else {
                self.since += m;
                if self.since == self.hop {
                    self.since = 0;
                    return (i - start, true);
                }
            }
        }
        (i - start, false)
    }

    /// Copies the current frame (oldest sample first) of channel `ch` into `out` (length n).
    pub(crate) fn copy_frame(&self, ch: usize, out: &mut [f32]) {
        let h = &self.hist[ch * self.n..(ch + 1) * self.n];
        let tail = self.n - self.write;
        out[..tail].copy_from_slice(&h[self.write..]);
        out[tail..].copy_from_slice(&h[..self.write]);
    }
}

/// How successive frame spectra are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Averaging {
    /// No averaging: the latest frame only.
    None,
    /// Power average of every frame since construction/reset (equal weights).
    Linear,
    /// Exponential power average with this time constant, in seconds.
    Exponential {
        /// Time constant in seconds (the weight of older frames falls by 1/e per constant).
        time_constant_s: f32,
    },
}

/// Settings of a [`SpectrumAnalyzer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumConfig {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// FFT length in samples: a power of two, 64–65536.
    pub fft_size: usize,
    /// Frame overlap as a fraction in [0, 0.95] (0.5 = 50 %, hop = fft_size / 2).
    pub overlap: f32,
    /// Number of planar channels fed; their powers are averaged.
    pub channels: usize,
    /// How frames are averaged.
    pub averaging: Averaging,
}

impl SpectrumConfig {
    /// `fft_size` points at `sample_rate_hz`, mono, 50 % overlap, linear averaging.
    pub fn new(sample_rate_hz: f32, fft_size: usize) -> Self {
        Self {
            sample_rate_hz,
            fft_size,
            overlap: 0.5,
            channels: 1,
            averaging: Averaging::Linear,
        }
    }

    /// The hop between frames in samples.
    pub fn hop_samples(&self) -> usize {
        ((self.fft_size as f64 * (1.0 - self.overlap as f64)).round() as usize)
            .clamp(1, self.fft_size)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        validate_sample_rate(self.sample_rate_hz)?;
        validate_fft_size(self.fft_size)?;
        if self.channels == 0 || self.channels > MAX_CHANNELS {
            return Err(ConfigError::Channels(self.channels));
        }
        if !(0.0..=0.95).contains(&self.overlap) {
            return Err(ConfigError::Invalid("overlap must be in 0..=0.95"));
        }
        if let Averaging::Exponential { time_constant_s } = self.averaging {
            if !(time_constant_s.is_finite() && time_constant_s > 0.0) {
                return Err(ConfigError::Invalid(
                    "averaging time constant must be > 0 s",
                ));
            }
        }
        Ok(())
    }
}

/// Streaming windowed-FFT spectrum analyzer (Hann window, overlap, averaging), fed planar chunks
/// of any length. The FFT plan and all buffers are created at construction; `process` never
/// allocates and ignores non-finite samples (treated as 0).
pub struct SpectrumAnalyzer {
    config: SpectrumConfig,
    framer: Framer,
    fft: FrameFft,
    frame_power: Vec<f32>,
    avg_power: Vec<f32>,
    frames: u64,
    alpha: f32,
}

impl std::fmt::Debug for SpectrumAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpectrumAnalyzer")
            .field("config", &self.config)
            .field("frames", &self.frames)
            .finish()
    }
}

impl SpectrumAnalyzer {
    /// Builds the analyzer (plans the FFT, allocates every buffer).
    pub fn new(config: SpectrumConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let n = config.fft_size;
        let hop = config.hop_samples();
        let alpha = match config.averaging {
            Averaging::Exponential { time_constant_s } => (-(hop as f64)
                / (time_constant_s as f64 * config.sample_rate_hz as f64))
                .exp() as f32,
            _ => 0.0,
        };
        let fft = FrameFft::new(n);
        let bins = fft.bins();
        Ok(Self {
            framer: Framer::new(n, hop, config.channels),
            fft,
            frame_power: vec![0.0; bins],
            avg_power: vec![0.0; bins],
            frames: 0,
            alpha,
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SpectrumConfig {
        &self.config
    }

    /// Number of bins (fft_size / 2 + 1), DC to Nyquist.
    pub fn bins(&self) -> usize {
        self.avg_power.len()
    }

    /// Centre frequency of bin `k` in Hz.
    pub fn bin_frequency_hz(&self, k: usize) -> f32 {
        k as f32 * self.config.sample_rate_hz / self.config.fft_size as f32
    }

    /// Frames analysed since construction/reset.
    pub fn frames_analysed(&self) -> u64 {
        self.frames
    }

    /// Clears the history and the average.
    pub fn reset(&mut self) {
        self.framer.reset();
        self.avg_power.fill(0.0);
        self.frames = 0;
    }

    /// Feeds planar channels (one slice per configured channel; the shortest length is used;
    /// with fewer slices than channels nothing happens). Returns the number of frames analysed.
    pub fn process(&mut self, channels: &[&[f32]]) -> usize {
        if channels.len() < self.config.channels {
            return 0;
        }
        let chans = &channels[..self.config.channels];
        let len = chans.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut i = 0;
        let mut frames = 0;
        while i < len {
            let (used, ready) = self.framer.feed(chans, i, len);
            i += used;
            if ready {
                self.analyse_frame();
                frames += 1;
            }
        }
        frames
    }

    fn analyse_frame(&mut self) {
        self.frame_power.fill(0.0);
        let w = 1.0 / self.config.channels as f32;
        for ch in 0..self.config.channels {
            self.framer.copy_frame(ch, self.fft.input_mut());
            self.fft.accumulate_power(&mut self.frame_power, w);
        }
        self.frames += 1;
        match self.config.averaging {
            Averaging::None => self.avg_power.copy_from_slice(&self.frame_power),
            Averaging::Linear => {
                let k = 1.0 / self.frames as f32;
                for (a, p) in self.avg_power.iter_mut().zip(&self.frame_power) {
                    *a += (p - *a) * k;
                }
            }
            Averaging::Exponential { .. } => {
                if self.frames == 1 {
                    self.avg_power.copy_from_slice(&self.frame_power);
                } else {
                    let a = self.alpha;
                    for (avg, p) in self.avg_power.iter_mut().zip(&self.frame_power) {
                        *avg = a * *avg + (1.0 - a) * p;
                    }
                }
            }
        }
    }

    /// The averaged bin powers on the sine-peak scale (full-scale sine on a bin = 1.0), linear.
    pub fn power(&self) -> &[f32] {
        &self.avg_power
    }

    /// Writes the averaged bin magnitudes in dB (full-scale sine on a bin = 0 dB, floored at
    /// [`crate::util::MIN_DB`]) into `out` (up to `min(out.len(), bins())` values).
    pub fn magnitude_db(&self, out: &mut [f32]) {
        for (o, p) in out.iter_mut().zip(&self.avg_power) {
            *o = crate::util::power_to_db(*p);
        }
    }

    /// The window's equivalent noise bandwidth in bins (1.5 for Hann).
    pub fn enbw_bins(&self) -> f32 {
        self.fft.enbw_bins()
    }
}

/// One band of an [`OctaveSmoother`]: the bins it covers and the partial weights of its end bins.
#[derive(Debug, Clone, Copy)]
struct BandSpan {
    first: usize,
    last: usize,
    w_first: f32,
    w_last: f32,
}

/// 1/N-octave smoothing of a bin-power spectrum onto a log-frequency grid.
///
/// Each grid point `fc` (spaced `1/points_per_octave` octave, aligned to 1 kHz) gets the band
/// `[fc·2^(−1/2N), fc·2^(1/2N)]`; the band power is the sum of the bin powers inside it (bins
/// partly inside count by their overlapping fraction, bin `k` spanning `(k ± ½)·Δf`), divided by
/// the window's noise bandwidth so a sine reads its level (see the module docs). Weights are
/// computed at construction; `apply_*` never allocate.
#[derive(Debug, Clone)]
pub struct OctaveSmoother {
    fraction: f32,
    centers_hz: Vec<f32>,
    spans: Vec<BandSpan>,
    inv_enbw: f32,
    bins: usize,
}

impl OctaveSmoother {
    /// Smoothing of width `1/fraction` octave (e.g. 3.0, 6.0) for an FFT of `fft_size` at
    /// `sample_rate_hz`, on a grid of `points_per_octave` points per octave from `f_min_hz` to
    /// `f_max_hz` (clamped below Nyquist), with a Hann window (ENBW 1.5 bins).
    pub fn new(
        sample_rate_hz: f32,
        fft_size: usize,
        fraction: f32,
        points_per_octave: f32,
        f_min_hz: f32,
        f_max_hz: f32,
    ) -> Result<Self, ConfigError> {
        Self::with_enbw(
            sample_rate_hz,
            fft_size,
            fraction,
            points_per_octave,
            f_min_hz,
            f_max_hz,
            1.5,
        )
    }

    /// Standard bands: `1/fraction`-octave smoothing sampled once per band (one point per band,
    /// `points_per_octave = fraction`) covering the nominal 20 Hz–20 kHz bands (centres from 19 Hz
    /// to 20.5 kHz, and below Nyquist).
    pub fn bands(sample_rate_hz: f32, fft_size: usize, fraction: f32) -> Result<Self, ConfigError> {
        Self::new(sample_rate_hz, fft_size, fraction, fraction, 19.0, 20_500.0)
    }

    pub(crate) fn with_enbw(
        sample_rate_hz: f32,
        fft_size: usize,
        fraction: f32,
        points_per_octave: f32,
        f_min_hz: f32,
        f_max_hz: f32,
        enbw_bins: f32,
    ) -> Result<Self, ConfigError> {
        validate_sample_rate(sample_rate_hz)?;
        validate_fft_size(fft_size)?;
        if !(fraction.is_finite() && (0.5..=96.0).contains(&fraction)) {
            return Err(ConfigError::Invalid("octave fraction must be in 0.5..=96"));
        }
        if !(points_per_octave.is_finite() && (0.5..=192.0).contains(&points_per_octave)) {
            return Err(ConfigError::Invalid(
                "points per octave must be in 0.5..=192",
            ));
        }
        let nyq = sample_rate_hz as f64 / 2.0;
        let half_bw = 2f64.powf(0.5 / fraction as f64);
        let f_hi = (f_max_hz as f64).min(nyq / half_bw);
        let f_lo = (f_min_hz as f64).max(1e-3);
        if !(f_lo.is_finite() && f_hi.is_finite() && f_lo < f_hi) {
            return Err(ConfigError::Invalid("empty smoothing frequency range"));
        }
        let ppo = points_per_octave as f64;
        let k_lo = ((f_lo / 1000.0).log2() * ppo).ceil() as i64;
        let k_hi = ((f_hi / 1000.0).log2() * ppo).floor() as i64;
        let df = sample_rate_hz as f64 / fft_size as f64;
        let max_bin = fft_size / 2;
        let mut centers_hz = Vec::new();
        let mut spans = Vec::new();
        for k in k_lo..=k_hi {
            let fc = 1000.0 * 2f64.powf(k as f64 / ppo);
            let (lo, hi) = (fc / half_bw / df, fc * half_bw / df); // in bins
            let first = ((lo + 0.5).floor().max(0.0) as usize).min(max_bin);
            let last = ((hi + 0.5).floor().max(0.0) as usize).min(max_bin);
            let overlap = |b: usize| -> f32 {
                let (b0, b1) = (b as f64 - 0.5, b as f64 + 0.5);
                (hi.min(b1) - lo.max(b0)).max(0.0) as f32
            };
            spans.push(BandSpan {
                first,
                last,
                w_first: overlap(first),
                w_last: overlap(last),
            });
            centers_hz.push(fc as f32);
        }
        Ok(Self {
            fraction,
            centers_hz,
            spans,
            inv_enbw: 1.0 / enbw_bins,
            bins: max_bin + 1,
        })
    }

    /// The smoothing width denominator N (bands are 1/N octave wide).
    pub fn fraction(&self) -> f32 {
        self.fraction
    }

    /// The grid (band centre) frequencies in Hz.
    pub fn centers_hz(&self) -> &[f32] {
        &self.centers_hz
    }

    /// Number of grid points.
    pub fn len(&self) -> usize {
        self.centers_hz.len()
    }

    /// True when the grid is empty.
    pub fn is_empty(&self) -> bool {
        self.centers_hz.is_empty()
    }

    /// Band powers (linear, sine-peak scale) from bin powers `power` (fft_size/2+1 values) into
    /// `out` (grid length; extra entries untouched). Too-short input gives 0 for missing bins.
    pub fn apply_power(&self, power: &[f32], out: &mut [f32]) {
        let get = |k: usize| {
            if k < power.len() && k < self.bins {
                power[k]
            } else {
                0.0
            }
        };
        for (o, s) in out.iter_mut().zip(&self.spans) {
            let sum = if s.first == s.last {
                s.w_first * get(s.first)
            } else {
                let mut acc = s.w_first * get(s.first) + s.w_last * get(s.last);
                for k in s.first + 1..s.last {
                    acc += get(k);
                }
                acc
            };
            *o = sum * self.inv_enbw;
        }
    }

    /// Like [`OctaveSmoother::apply_power`] but in dB (sine-peak scale, floored at
    /// [`crate::util::MIN_DB`]).
    pub fn apply_db(&self, power: &[f32], out: &mut [f32]) {
        self.apply_power(power, out);
        for o in out.iter_mut() {
            *o = crate::util::power_to_db(*o);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic white noise, uniform in ±1 (xorshift64).
    pub(crate) fn white(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Pink noise: white noise through Paul Kellet's refined pink filter (±0.05 dB above 9 Hz at 44.1 kHz).
    pub(crate) fn pink(n: usize, seed: u64) -> Vec<f32> {
        let w = white(n, seed);
        let mut b = [0.0f32; 7];
        w.iter()
            .map(|&x| {
                b[0] = 0.99886 * b[0] + x * 0.0555179;
                b[1] = 0.99332 * b[1] + x * 0.0750759;
                b[2] = 0.96900 * b[2] + x * 0.153852;
                b[3] = 0.86650 * b[3] + x * 0.3104856;
                b[4] = 0.55000 * b[4] + x * 0.5329522;
                b[5] = -0.7616 * b[5] - x * 0.0168980;
                let y = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + x * 0.5362;
                b[6] = x * 0.115926;
                y * 0.1
            })
            .collect()
    }

    fn sine(freq: f64, amp: f64, n: usize, sr: f64) -> Vec<f32> {
        (0..n)
            .map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / sr).sin()) as f32)
            .collect()
    }

    #[test]
    fn full_scale_sine_on_bin_reads_0_db_at_its_bin() {
        let sr = 48_000.0;
        let mut a = SpectrumAnalyzer::new(SpectrumConfig::new(sr, 4096)).unwrap();
        let f = 100.0 * sr as f64 / 4096.0; // exactly bin 100
        let s = sine(f, 1.0, 48_000, sr as f64);
        for c in s.chunks(1000) {
            a.process(&[c]);
        }
        assert!(a.frames_analysed() > 10);
        let mut db = vec![0.0; a.bins()];
        a.magnitude_db(&mut db);
        let (peak, &peak_db) = db
            .iter()
            .enumerate()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .unwrap();
        assert_eq!(peak, 100);
        assert!((a.bin_frequency_hz(peak) as f64 - f).abs() < 1e-3);
        assert!(peak_db.abs() < 0.01, "peak {peak_db} dB");
        // −6.02 dBFS sine reads −6.02 dB.
        let mut b = SpectrumAnalyzer::new(SpectrumConfig::new(sr, 4096)).unwrap();
        b.process(&[&sine(f, 0.5, 16_384, sr as f64)]);
        b.magnitude_db(&mut db);
        assert!((db[100] + 6.0206).abs() < 0.01, "{}", db[100]);
    }

    #[test]
    fn off_bin_sine_peak_and_band_level() {
        let sr = 44_100.0;
        let mut cfg = SpectrumConfig::new(sr, 2048);
        cfg.averaging = Averaging::Exponential {
            time_constant_s: 0.2,
        };
        cfg.overlap = 0.75;
        let mut a = SpectrumAnalyzer::new(cfg).unwrap();
        let s = sine(1000.0, 0.5, 44_100, sr as f64);
        a.process(&[&s]);
        let mut db = vec![0.0; a.bins()];
        a.magnitude_db(&mut db);
        let (peak, &peak_db) = db
            .iter()
            .enumerate()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .unwrap();
        assert!((a.bin_frequency_hz(peak) - 1000.0).abs() <= sr / 2048.0 / 2.0 + 1e-3);
        // Within the Hann scalloping loss of the true −6.02 dB.
        assert!(
            (-6.02 - 1.43..=-6.02 + 0.01).contains(&peak_db),
            "{peak_db}"
        );
        // The 1/3-octave band containing the sine reads its level.
        let sm = OctaveSmoother::new(sr, 2048, 3.0, 3.0, 900.0, 1100.0).unwrap();
        assert_eq!(sm.len(), 1);
        let mut band = [0.0f32];
        sm.apply_db(a.power(), &mut band);
        assert!((band[0] + 6.02).abs() < 0.1, "band {}", band[0]);
    }

    /// Regression slope of band level against octaves, dB per octave, over bands in 125 Hz–8 kHz.
    fn slope_db_per_octave(sig: &[f32], sr: f32) -> (f32, f32) {
        let mut a = SpectrumAnalyzer::new(SpectrumConfig::new(sr, 4096)).unwrap();
        a.process(&[sig]);
        let sm = OctaveSmoother::new(sr, 4096, 3.0, 3.0, 125.0, 8000.0).unwrap();
        let mut db = vec![0.0; sm.len()];
        sm.apply_db(a.power(), &mut db);
        let xs: Vec<f32> = sm
            .centers_hz()
            .iter()
            .map(|f| (f / 1000.0).log2())
            .collect();
        let n = xs.len() as f32;
        let (mx, my) = (xs.iter().sum::<f32>() / n, db.iter().sum::<f32>() / n);
        let sxy: f32 = xs.iter().zip(&db).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f32 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        let slope = sxy / sxx;
        let max_dev = xs
            .iter()
            .zip(&db)
            .map(|(x, y)| (y - (my + slope * (x - mx))).abs())
            .fold(0.0, f32::max);
        (slope, max_dev)
    }

    #[test]
    fn white_noise_rises_3db_per_octave_in_third_octaves() {
        let sr = 44_100.0;
        let (slope, dev) = slope_db_per_octave(&white(sr as usize * 8, 3), sr);
        assert!((slope - 3.01).abs() < 0.25, "slope {slope}");
        assert!(dev < 1.0, "deviation {dev}");
    }

    #[test]
    fn pink_noise_is_flat_in_third_octaves() {
        let sr = 44_100.0;
        let (slope, dev) = slope_db_per_octave(&pink(sr as usize * 8, 5), sr);
        assert!(slope.abs() < 0.25, "slope {slope}");
        assert!(dev < 1.0, "deviation {dev}");
    }

    #[test]
    fn white_noise_band_power_matches_mean_square() {
        // Uniform ±1 noise has mean square 1/3; on the sine-peak scale its total power is 2/3.
        let sr = 48_000.0;
        let mut a = SpectrumAnalyzer::new(SpectrumConfig::new(sr, 1024)).unwrap();
        a.process(&[&white(48_000 * 2, 9)]);
        // A full-band "smoother": 1/0.5-octave bands are 2 octaves wide; sum bins directly instead.
        let total: f32 = a.power().iter().sum::<f32>() / a.enbw_bins();
        assert!((total - 2.0 / 3.0).abs() < 0.03, "{total}");
    }

    #[test]
    fn config_validation_and_garbage() {
        assert!(SpectrumAnalyzer::new(SpectrumConfig::new(48_000.0, 1000)).is_err());
        assert!(SpectrumAnalyzer::new(SpectrumConfig::new(48_000.0, 32)).is_err());
        let mut c = SpectrumConfig::new(48_000.0, 256);
        c.overlap = 1.0;
        assert!(SpectrumAnalyzer::new(c).is_err());
        c.overlap = 0.0;
        c.averaging = Averaging::Exponential {
            time_constant_s: 0.0,
        };
        assert!(SpectrumAnalyzer::new(c).is_err());
        c.averaging = Averaging::None;
        c.channels = 2;
        let mut a = SpectrumAnalyzer::new(c).unwrap();
        let bad = vec![f32::NAN; 1000];
        let ok = vec![0.25f32; 1000];
        assert_eq!(a.process(&[&bad]), 0); // too few channels: ignored
        assert!(a.process(&[&bad, &ok]) > 0);
        assert!(a.power().iter().all(|p| p.is_finite()));
        assert!(OctaveSmoother::new(48_000.0, 4096, 3.0, 3.0, 30_000.0, 40_000.0).is_err());
        let sm = OctaveSmoother::bands(48_000.0, 4096, 3.0).unwrap();
        assert_eq!(sm.len(), 31); // 20 Hz … 20 kHz nominal third-octave bands
    }
}
