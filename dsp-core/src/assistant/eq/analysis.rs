//! Listening: the streaming analysis behind the EQ assistant ([`EqAnalysis`]) and what it heard
//! ([`EqAnalysisResult`]).

use super::*;

/// Width denominator N of the tonal-balance band curve (1/6 octave).
pub const BAND_FRACTION: f32 = 6.0;
/// Width denominator N of the fine curve used for resonances (1/24 octave).
pub const FINE_FRACTION: f32 = 24.0;
/// Length of one stability / persistence window, in seconds of heard audio.
pub const WINDOW_SECONDS: f32 = 2.0;
/// The estimate has converged once successive windows change the band curve by less than this,
/// in dB RMS (bands 40 Hz–16 kHz above the noise floor).
pub const STABILITY_THRESHOLD_DB: f32 = 0.5;
/// Seconds of music heard before the estimate may count as stable (converged *and* enough of
/// the song: an intro converges within seconds). The same minimum as the Comp and Master
/// assistants.
pub const MIN_STABLE_SECONDS: f32 = 30.0;
/// Default frame gate, in dBFS mean square.
pub const DEFAULT_GATE_DBFS: f32 = -60.0;
/// Bands this far below the loudest band (dB) are treated as noise floor.
pub const NOISE_FLOOR_BELOW_PEAK_DB: f32 = 50.0;

/// The frame length the analysis uses at `sample_rate_hz` (Hz): the power of two nearest to a
/// third of a second, 4096–65536 samples.
pub fn analysis_fft_size(sample_rate_hz: f32) -> usize {
    let target = (sample_rate_hz.max(1.0) / 3.0).log2().round();
    let n = 2f32.powf(target.clamp(12.0, 16.0)) as usize;
    n.clamp(4096, 65536)
}

/// Settings of an [`EqAnalysis`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EqAnalysisConfig {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// Number of planar channels fed (their powers are averaged), 1–8.
    pub channels: usize,
    /// Frames below this mean-square level (dBFS, over all channels) are skipped as silence.
    pub gate_dbfs: f32,
}

impl EqAnalysisConfig {
    /// `channels` channels at `sample_rate_hz` (Hz) with the default −60 dBFS gate.
    pub fn new(sample_rate_hz: f32, channels: usize) -> Self {
        Self {
            sample_rate_hz,
            channels,
            gate_dbfs: DEFAULT_GATE_DBFS,
        }
    }
}

/// What [`EqAnalysis`] heard: the input of [`suggest_eq`] (serialisable, levels in dB on the
/// sine-peak scale of [`crate::analysis::spectrum`], where pink noise reads flat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EqAnalysisResult {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// Frame length in samples.
    pub fft_size: usize,
    /// Seconds of non-silent audio averaged.
    pub heard_seconds: f32,
    /// Completed 2-second windows.
    pub windows: u32,
    /// True once successive windows changed the band curve by less than
    /// [`STABILITY_THRESHOLD_DB`] and at least [`MIN_STABLE_SECONDS`] were heard.
    pub stable: bool,
    /// The last window-to-window change of the band curve, in dB RMS (`None` before two windows).
    pub stability_change_db: Option<f32>,
    /// 1/6-octave band centres, in Hz.
    pub band_center_hz: Vec<f32>,
    /// 1/6-octave band levels, in dB.
    pub band_db: Vec<f32>,
    /// 1/24-octave grid, in Hz.
    pub fine_center_hz: Vec<f32>,
    /// 1/24-octave levels, in dB.
    pub fine_db: Vec<f32>,
    /// Per fine point: the fraction (0–1) of windows in which it stood ≥ 4 dB above its
    /// envelope (see [`fine_excess_db`]).
    pub fine_persistence: Vec<f32>,
    /// Bin spacing of `low_bin_db`, in Hz.
    pub bin_spacing_hz: f32,
    /// Average bin power in dB for the bins from DC to 200 Hz.
    pub low_bin_db: Vec<f32>,
    /// The band curve (dB, on `band_center_hz`) of each of 4–8 contiguous segments of what was
    /// heard, in order (see [`MAX_SEGMENTS`]): how the balance moved through the song, for the
    /// confidence. Empty before the first 2-second window.
    #[serde(default)]
    pub segment_band_db: Vec<Vec<f32>>,
    /// The fine curve (dB, on `fine_center_hz`) of each segment, like `segment_band_db`: a
    /// resonance stands out in every part of the song, a note only where it is played.
    #[serde(default)]
    pub segment_fine_db: Vec<Vec<f32>>,
}

/// The most segments [`EqAnalysisResult::segment_band_db`] holds; when they are full,
/// neighbouring pairs merge (so there are always 4–8 segments of equal length once 8 windows
/// were heard).
pub const MAX_SEGMENTS: usize = 8;

/// Streaming analysis for the EQ assistant. Fed planar chunks of any length on an analysis
/// thread. Buffers are allocated at construction; closing a 2-second window allocates a little.
pub struct EqAnalysis {
    config: EqAnalysisConfig,
    fft_size: usize,
    hop: usize,
    framer: Framer,
    fft: FrameFft,
    frame: Vec<f32>,
    frame_power: Vec<f32>,
    total_power: Vec<f64>,
    window_power: Vec<f64>,
    frames_total: u64,
    frames_used: u64,
    window_frames: u64,
    frames_per_window: u64,
    band: OctaveSmoother,
    fine: OctaveSmoother,
    prev_band_db: Option<Vec<f32>>,
    last_change_db: Option<f32>,
    windows: u32,
    persistence_counts: Vec<u32>,
    /// Band power sums, fine power sums and window counts of the contiguous segments.
    segments: Vec<(Vec<f64>, Vec<f64>, u32)>,
    windows_per_segment: u32,
}

impl std::fmt::Debug for EqAnalysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EqAnalysis")
            .field("config", &self.config)
            .field("fft_size", &self.fft_size)
            .field("frames_used", &self.frames_used)
            .field("windows", &self.windows)
            .finish()
    }
}

/// dB of a linear power, floored.
pub(super) fn db(p: f64) -> f32 {
    crate::util::power_to_db(p as f32)
}

/// Median of a slice (sorted copy); 0 for an empty slice.
pub(super) fn median(v: &[f32]) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// How far each point of a 1/24-octave curve (dB) stands above its robust envelope: the median
/// of the curve over the surrounding 2/3 octave (±8 points), in dB.
pub fn fine_excess_db(fine_db: &[f32]) -> Vec<f32> {
    let half = (FINE_FRACTION / 3.0).round() as usize;
    (0..fine_db.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(fine_db.len());
            fine_db[i] - median(&fine_db[lo..hi])
        })
        .collect()
}

/// Reference mode: bands of the reference this far below its loudest band (dB) hold no content
/// (a codec's lowpass, a missing sub), and the target says nothing there.
pub const REFERENCE_FLOOR_BELOW_PEAK_DB: f32 = 45.0;
/// Reference mode: both spectra are smoothed over this many octaves, so the reference song's
/// notes do not become the target.
pub const REFERENCE_SMOOTHING_OCT: f32 = 1.0 / 3.0;

/// Excess (dB) a fine point must show in a window to count as persistent there.
pub(super) const PERSIST_EXCESS_DB: f32 = 4.0;

impl EqAnalysis {
    /// Builds the analysis. Errors for a sample rate outside 8–768 kHz, 0 or more than 8
    /// channels, or a non-finite gate.
    pub fn new(config: EqAnalysisConfig) -> Result<Self, ConfigError> {
        validate_sample_rate(config.sample_rate_hz)?;
        if config.channels == 0 || config.channels > MAX_CHANNELS {
            return Err(ConfigError::Channels(config.channels));
        }
        if !config.gate_dbfs.is_finite() {
            return Err(ConfigError::Invalid("EQ analysis gate must be finite"));
        }
        let sr = config.sample_rate_hz;
        let fft_size = analysis_fft_size(sr);
        let hop = fft_size / 2;
        let fft = FrameFft::new(fft_size);
        let bins = fft.bins();
        let band = OctaveSmoother::new(sr, fft_size, BAND_FRACTION, BAND_FRACTION, 15.0, 20_500.0)?;
        let fine = OctaveSmoother::new(sr, fft_size, FINE_FRACTION, FINE_FRACTION, 40.0, 18_000.0)?;
        let frames_per_window = ((WINDOW_SECONDS * sr / hop as f32).round() as u64).max(1);
        Ok(Self {
            framer: Framer::new(fft_size, hop, config.channels),
            fft,
            frame: vec![0.0; fft_size],
            frame_power: vec![0.0; bins],
            total_power: vec![0.0; bins],
            window_power: vec![0.0; bins],
            frames_total: 0,
            frames_used: 0,
            window_frames: 0,
            frames_per_window,
            persistence_counts: vec![0; fine.len()],
            segments: Vec::with_capacity(MAX_SEGMENTS + 1),
            windows_per_segment: 1,
            band,
            fine,
            prev_band_db: None,
            last_change_db: None,
            windows: 0,
            fft_size,
            hop,
            config,
        })
    }

    /// One-shot analysis of whole planar channels at `sample_rate_hz` (Hz) with the default gate.
    pub fn analyze(
        channels: &[&[f32]],
        sample_rate_hz: f32,
    ) -> Result<EqAnalysisResult, ConfigError> {
        let mut a = Self::new(EqAnalysisConfig::new(sample_rate_hz, channels.len()))?;
        a.process(channels);
        Ok(a.result())
    }

    /// Clears everything heard.
    pub fn reset(&mut self) {
        self.framer.reset();
        self.total_power.fill(0.0);
        self.window_power.fill(0.0);
        self.frames_total = 0;
        self.frames_used = 0;
        self.window_frames = 0;
        self.prev_band_db = None;
        self.last_change_db = None;
        self.windows = 0;
        self.persistence_counts.fill(0);
        self.segments.clear();
        self.windows_per_segment = 1;
    }

    /// Feeds planar channels (one slice per configured channel, shortest length used; with fewer
    /// slices than channels nothing happens). Non-finite samples count as 0.
    pub fn process(&mut self, channels: &[&[f32]]) {
        if channels.len() < self.config.channels {
            return;
        }
        let chans = &channels[..self.config.channels];
        let len = chans.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut i = 0;
        while i < len {
            let (used, ready) = self.framer.feed(chans, i, len);
            i += used;
            if ready {
                self.frame_done();
            }
        }
    }

    /// Whether the estimate is stable (what [`EqAnalysisResult::stable`] says), without
    /// building a result.
    pub fn is_stable(&self) -> bool {
        self.last_change_db
            .is_some_and(|c| c < STABILITY_THRESHOLD_DB)
            && self.heard_seconds() >= MIN_STABLE_SECONDS
    }

    /// Seconds of non-silent audio heard so far.
    pub fn heard_seconds(&self) -> f32 {
        (self.frames_used as f64 * self.hop as f64 / self.config.sample_rate_hz as f64) as f32
    }

    fn frame_done(&mut self) {
        self.frames_total += 1;
        let nch = self.config.channels;
        let mut ms = 0.0f64;
        for ch in 0..nch {
            self.framer.copy_frame(ch, &mut self.frame);
            ms += self
                .frame
                .iter()
                .map(|&x| {
                    let x = crate::util::sanitize(x) as f64;
                    x * x
                })
                .sum::<f64>();
        }
        ms /= (nch * self.fft_size) as f64;
        let level_db = if ms > 1e-30 {
            10.0 * ms.log10()
        } else {
            -300.0
        };
        if level_db < self.config.gate_dbfs as f64 {
            return;
        }
        self.frame_power.fill(0.0);
        let w = 1.0 / nch as f32;
        for ch in 0..nch {
            self.framer.copy_frame(ch, self.fft.input_mut());
            self.fft.accumulate_power(&mut self.frame_power, w);
        }
        for (s, p) in self.window_power.iter_mut().zip(&self.frame_power) {
            *s += *p as f64;
        }
        self.frames_used += 1;
        self.window_frames += 1;
        if self.window_frames >= self.frames_per_window {
            self.close_window();
        }
    }

    fn smooth_db(smoother: &OctaveSmoother, power: &[f64], frames: u64) -> Vec<f32> {
        let n = frames.max(1) as f64;
        let mean: Vec<f32> = power.iter().map(|p| (p / n) as f32).collect();
        let mut out = vec![0.0; smoother.len()];
        smoother.apply_db(&mean, &mut out);
        out
    }

    fn close_window(&mut self) {
        // Persistence of fine peaks within this window.
        let fine_db = Self::smooth_db(&self.fine, &self.window_power, self.window_frames);
        for (i, e) in fine_excess_db(&fine_db).into_iter().enumerate() {
            if e >= PERSIST_EXCESS_DB {
                self.persistence_counts[i] += 1;
            }
        }
        // This window's band powers go to the current segment.
        let win_band = Self::smooth_db(&self.band, &self.window_power, self.window_frames);
        let win_fine = &fine_db;
        let full = self
            .segments
            .last()
            .is_none_or(|s| s.2 >= self.windows_per_segment);
        if full {
            if self.segments.len() == MAX_SEGMENTS {
                let merged: Vec<(Vec<f64>, Vec<f64>, u32)> = self
                    .segments
                    .chunks(2)
                    .map(|p| {
                        let mut a = p[0].clone();
                        if let Some(b) = p.get(1) {
                            for (x, y) in a.0.iter_mut().zip(&b.0) {
                                *x += y;
                            }
                            for (x, y) in a.1.iter_mut().zip(&b.1) {
                                *x += y;
                            }
                            a.2 += b.2;
                        }
                        a
                    })
                    .collect();
                self.segments = merged;
                self.windows_per_segment *= 2;
            }
            if self
                .segments
                .last()
                .is_none_or(|s| s.2 >= self.windows_per_segment)
            {
                self.segments
                    .push((vec![0.0; win_band.len()], vec![0.0; win_fine.len()], 0));
            }
        }
        if let Some(seg) = self.segments.last_mut() {
            for (x, d) in seg.0.iter_mut().zip(&win_band) {
                *x += 10f64.powf(*d as f64 / 10.0);
            }
            for (x, d) in seg.1.iter_mut().zip(win_fine) {
                *x += 10f64.powf(*d as f64 / 10.0);
            }
            seg.2 += 1;
        }
        for (t, w) in self
            .total_power
            .iter_mut()
            .zip(self.window_power.iter_mut())
        {
            *t += *w;
            *w = 0.0;
        }
        self.window_frames = 0;
        self.windows += 1;
        // Stability of the running band curve.
        let band_db = Self::smooth_db(&self.band, &self.total_power, self.frames_used);
        if let Some(prev) = &self.prev_band_db {
            let peak = band_db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let (mut sum, mut n) = (0.0f64, 0usize);
            for ((f, a), b) in self.band.centers_hz().iter().zip(&band_db).zip(prev) {
                if (40.0..=16_000.0).contains(f) && *a > peak - NOISE_FLOOR_BELOW_PEAK_DB {
                    sum += ((a - b) as f64).powi(2);
                    n += 1;
                }
            }
            self.last_change_db = Some(if n > 0 {
                (sum / n as f64).sqrt() as f32
            } else {
                0.0
            });
        }
        self.prev_band_db = Some(band_db);
    }

    /// Everything heard so far (including the unfinished window). Allocates the result.
    pub fn result(&self) -> EqAnalysisResult {
        let total: Vec<f64> = self
            .total_power
            .iter()
            .zip(&self.window_power)
            .map(|(t, w)| t + w)
            .collect();
        let frames = self.frames_used;
        let band_db = Self::smooth_db(&self.band, &total, frames);
        let fine_db = Self::smooth_db(&self.fine, &total, frames);
        let bin_spacing_hz = self.config.sample_rate_hz / self.fft_size as f32;
        let n_low = ((200.0 / bin_spacing_hz).ceil() as usize + 1).min(total.len());
        let low_bin_db = total[..n_low]
            .iter()
            .map(|p| db(p / frames.max(1) as f64))
            .collect();
        let windows = self.windows.max(1) as f32;
        EqAnalysisResult {
            sample_rate_hz: self.config.sample_rate_hz,
            fft_size: self.fft_size,
            heard_seconds: self.heard_seconds(),
            windows: self.windows,
            stable: self.is_stable(),
            stability_change_db: self.last_change_db,
            band_center_hz: self.band.centers_hz().to_vec(),
            band_db,
            fine_center_hz: self.fine.centers_hz().to_vec(),
            fine_db,
            fine_persistence: self
                .persistence_counts
                .iter()
                .map(|&c| (c as f32 / windows).min(1.0))
                .collect(),
            bin_spacing_hz,
            low_bin_db,
            segment_band_db: self
                .segments
                .iter()
                .map(|(p, _, n)| p.iter().map(|x| db(x / (*n).max(1) as f64)).collect())
                .collect(),
            segment_fine_db: self
                .segments
                .iter()
                .map(|(_, p, n)| p.iter().map(|x| db(x / (*n).max(1) as f64)).collect())
                .collect(),
        }
    }
}

impl EqAnalysisResult {
    /// Reference mode: the tonal target this analysis (of a reference track) describes, named
    /// `name`. See [`Target::from_reference`].
    pub fn reference_target(&self, name: &str) -> Target {
        Target::from_reference(
            name,
            &self.band_center_hz,
            &self.band_db,
            REFERENCE_FLOOR_BELOW_PEAK_DB,
            REFERENCE_SMOOTHING_OCT,
        )
    }
}
