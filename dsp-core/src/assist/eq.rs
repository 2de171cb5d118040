//! The EQ assistant: listens (long-term spectrum of non-silent audio) and proposes EQ bands
//! towards a tonal [`Target`], with the measured reasons.
//!
//! # Listening: [`EqAnalysis`]
//! Hann-windowed frames of about a third of a second (16384 points at 44.1/48 kHz, 50 % overlap)
//! are gated like [`crate::analysis::Ltas`] (frames below −60 dBFS mean square are skipped) and
//! power-averaged. The result holds a 1/6-octave band curve (the tonal balance), a 1/24-octave
//! fine curve (for resonances) with, per point, how persistently it stood out in the 2-second
//! windows, and the raw bins below 200 Hz (for rumble). Every 2 seconds of heard audio the
//! running 1/6-octave curve is compared with the one 2 seconds earlier; the estimate is *stable*
//! once it changed by less than [`STABILITY_THRESHOLD_DB`] dB RMS.
//!
//! # Proposing: [`suggest_eq`]
//! 1. Deviation = measured − target on the 1/6-octave grid (20 Hz–20 kHz, below 0.45·fs),
//!    levels aligned by the weighted median of the deviation over 200 Hz–5 kHz. Bands that are
//!    only noise floor (more than 50 dB below the loudest band) are ignored. If the analysis is of
//!    the EQ's input, the engineer's enabled bands are added to the deviation (they stay as set).
//! 2. A **low cut** is proposed when the 16–28 Hz bands hold more energy than 40–80 Hz (+3 dB,
//!    or 12 dB more than the target expects) and that energy is noise-like (spectral flatness of
//!    the 10–30 Hz bins ≥ 0.3): rumble, not a musical low note.
//! 3. **Resonances**: points of the 1/24-octave curve at least 6 dB above the robust envelope
//!    (the median over the surrounding 2/3 octave) that stood out (≥ 4 dB) in at least half of
//!    the 2-second windows get a narrow cut (Q 6–12 from the measured width).
//! 4. **Tonal bands**, greedily: each step tries low shelves (30–400 Hz), high shelves
//!    (1.5–12 kHz) and bells (30 Hz–16 kHz, Q 0.5–2) with the gain that best cancels the
//!    remaining deviation, capped at ± `max_gain_db`, computed with the exact digital response
//!    of the filter ([`BandSettings::magnitude_db`]), and keeps the one that most reduces the
//!    perceptually weighted squared deviation (weights 1 from 100 Hz to 6 kHz, falling towards
//!    the extremes; a free overall level, since targets are relative). Then a few rounds of
//!    coordinate refinement of frequency, Q and gain. A band must be ≥ 1 dB and reduce the error
//!    noticeably to be proposed.
//! 5. Bands go to free EQ slots (bands the engineer has not enabled), in frequency order near
//!    their default frequencies. At most `max_bands` bands are used in all.
//!
//! Everything here is a pure function of its inputs (deterministic), for analysis threads.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::targets::Target;
use super::{Suggestion, SuggestionItem};
use crate::analysis::spectrum::{FrameFft, Framer, OctaveSmoother};
use crate::chains::eq::{
    band_param_id, BandParam, BandSettings, EqBandType, EqSettings, Placement, NUM_BANDS,
};
use crate::{validate_sample_rate, ConfigError, MAX_CHANNELS};

/// Width denominator N of the tonal-balance band curve (1/6 octave).
pub const BAND_FRACTION: f32 = 6.0;
/// Width denominator N of the fine curve used for resonances (1/24 octave).
pub const FINE_FRACTION: f32 = 24.0;
/// Length of one stability / persistence window, in seconds of heard audio.
pub const WINDOW_SECONDS: f32 = 2.0;
/// The estimate is stable once successive windows change the band curve by less than this, in
/// dB RMS (bands 40 Hz–16 kHz above the noise floor).
pub const STABILITY_THRESHOLD_DB: f32 = 0.5;
/// Default frame gate, in dBFS mean square.
pub const DEFAULT_GATE_DBFS: f32 = -60.0;
/// Bands this far below the loudest band (dB) are treated as noise floor.
pub const NOISE_FLOOR_BELOW_PEAK_DB: f32 = 50.0;
/// Seconds of heard audio after which the evidence counts as complete for the confidence.
pub const FULL_CONFIDENCE_SECONDS: f32 = 20.0;

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
    /// [`STABILITY_THRESHOLD_DB`].
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
}

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
fn db(p: f64) -> f32 {
    crate::util::power_to_db(p as f32)
}

/// Median of a slice (sorted copy); 0 for an empty slice.
fn median(v: &[f32]) -> f32 {
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

/// Excess (dB) a fine point must show in a window to count as persistent there.
const PERSIST_EXCESS_DB: f32 = 4.0;

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
        for (c, e) in self
            .persistence_counts
            .iter_mut()
            .zip(fine_excess_db(&fine_db))
        {
            if e >= PERSIST_EXCESS_DB {
                *c += 1;
            }
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
            stable: self
                .last_change_db
                .is_some_and(|c| c < STABILITY_THRESHOLD_DB),
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
            NOISE_FLOOR_BELOW_PEAK_DB,
            0.0,
        )
    }
}

/// Options of [`suggest_eq`]. The "amount" is applied by the caller ([`super::accept`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EqAssistOptions {
    /// The most EQ bands the suggestion uses in all (tonal bands, resonance cuts, low cut).
    pub max_bands: usize,
    /// The largest boost or cut of any suggested band, in dB.
    pub max_gain_db: f32,
    /// True when the analysis is of the EQ's input: the engineer's enabled bands are then added
    /// to the measured deviation (they stay as they are and the suggestion completes them).
    /// False when it is of the EQ's output.
    pub analysis_is_pre_eq: bool,
    /// Look for resonances.
    pub detect_resonances: bool,
    /// Look for sub-30 Hz rumble.
    pub suggest_low_cut: bool,
}

impl Default for EqAssistOptions {
    /// 6 bands, ±6 dB, analysis of the input, resonances and low cut on.
    fn default() -> Self {
        Self {
            max_bands: 6,
            max_gain_db: 6.0,
            analysis_is_pre_eq: true,
            detect_resonances: true,
            suggest_low_cut: true,
        }
    }
}

/// Perceptual weight (0–1, dimensionless) of a deviation at `freq_hz` (Hz): 1 from 100 Hz to
/// 6 kHz, falling (linearly in log frequency) to 0.4 at 40 Hz, 0.15 at 20 Hz, 0.6 at 10 kHz,
/// 0.35 at 16 kHz and 0.15 at 20 kHz.
pub fn perceptual_weight(freq_hz: f32) -> f32 {
    const PTS: [(f32, f32); 8] = [
        (20.0, 0.15),
        (40.0, 0.4),
        (100.0, 1.0),
        (6000.0, 1.0),
        (10_000.0, 0.6),
        (16_000.0, 0.35),
        (20_000.0, 0.15),
        (24_000.0, 0.1),
    ];
    if !(freq_hz.is_finite() && freq_hz > PTS[0].0) {
        return PTS[0].1;
    }
    for w in PTS.windows(2) {
        let ((f0, w0), (f1, w1)) = (w[0], w[1]);
        if freq_hz <= f1 {
            let t = (freq_hz / f0).ln() / (f1 / f0).ln();
            return w0 + t * (w1 - w0);
        }
    }
    PTS[PTS.len() - 1].1
}

/// The fitting grid: frequencies, deviation (dB) and weights.
struct Grid {
    /// Fit with a free overall level (true) or against the aligned level (false).
    free_level: bool,
    freq_hz: Vec<f64>,
    weight: Vec<f64>,
    weight_sum: f64,
    sample_rate_hz: f64,
}

impl Grid {
    /// Weighted mean of `r`.
    fn mean(&self, r: &[f64]) -> f64 {
        if self.weight_sum <= 0.0 || !self.free_level {
            return 0.0;
        }
        r.iter().zip(&self.weight).map(|(r, w)| r * w).sum::<f64>() / self.weight_sum
    }

    /// Weighted mean square of `r` after removing its weighted mean (the free level), dB².
    fn error(&self, r: &[f64]) -> f64 {
        if self.weight_sum <= 0.0 {
            return 0.0;
        }
        let m = self.mean(r);
        r.iter()
            .zip(&self.weight)
            .map(|(r, w)| w * (r - m).powi(2))
            .sum::<f64>()
            / self.weight_sum
    }

    /// The band's response at the grid points, dB.
    fn response(&self, band: &BandSettings) -> Vec<f64> {
        let c = band.design(self.sample_rate_hz);
        self.freq_hz
            .iter()
            .map(|&f| c.magnitude_db(f, self.sample_rate_hz))
            .collect()
    }

    /// The band's response averaged (in power) over each grid point's 1/6-octave band, dB:
    /// what the band curve of the processed audio would show for a narrow filter.
    fn band_averaged_response(&self, band: &BandSettings) -> Vec<f64> {
        let c = band.design(self.sample_rate_hz);
        self.freq_hz
            .iter()
            .map(|&f| {
                let n = 9;
                let p: f64 = (0..n)
                    .map(|k| {
                        let o = (k as f64 / (n - 1) as f64 - 0.5) / BAND_FRACTION as f64;
                        let db = c.magnitude_db(f * o.exp2(), self.sample_rate_hz);
                        10f64.powf(db / 10.0)
                    })
                    .sum::<f64>()
                    / n as f64;
                10.0 * p.max(1e-30).log10()
            })
            .collect()
    }
}

fn add(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// One proposed band before slot assignment.
#[derive(Debug, Clone)]
struct Proposal {
    band: BandSettings,
    /// `"band"`, `"resonance"` or `"lowcut"`.
    role: &'static str,
    reason: String,
    confidence_factor: f32,
}

/// Regularisation per dB² of band gain (boosts cost 1.5×): breaks ties towards smaller gains
/// and cuts. In units of the weighted mean-square error (dB²).
const GAIN_PENALTY: f64 = 0.002;
/// A tonal band must be at least this large, in dB.
const MIN_BAND_GAIN_DB: f64 = 1.0;
/// A tonal band must reduce the weighted mean-square deviation by at least this much (dB²).
const MIN_IMPROVEMENT_DB2: f64 = 0.03;

fn penalty(gain_db: f64) -> f64 {
    let k = if gain_db > 0.0 { 1.5 } else { 1.0 };
    k * GAIN_PENALTY * gain_db * gain_db
}

fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let p = digits - 1 - x.abs().log10().floor() as i32;
    let m = 10f64.powi(p);
    (x * m).round() / m
}

fn make_band(kind: EqBandType, freq_hz: f64, gain_db: f64, q: f64) -> BandSettings {
    BandSettings {
        enabled: true,
        kind,
        freq_hz: freq_hz as f32,
        gain_db: gain_db as f32,
        q: q as f32,
        slope_db_oct: 12.0,
        placement: Placement::Stereo,
    }
}

/// A tonal candidate: type, frequency and Q; the gain is solved.
#[derive(Debug, Clone, Copy)]
struct Shape {
    kind: EqBandType,
    freq_hz: f64,
    q: f64,
}

/// Best capped gain for `shape` against residual `r`, with the exact error it leaves
/// (including the gain penalty). Returns (gain dB, error, response on the grid).
fn solve_gain(grid: &Grid, r: &[f64], shape: Shape, cap: f64) -> (f64, f64, Vec<f64>) {
    // Least-squares gain (free level, gain penalty) using the per-dB shape of the filter
    // designed at `probe` dB: the dB response is nearly proportional to the gain.
    let mr = grid.mean(r);
    let estimate = |probe: f64| -> Option<f64> {
        let h = grid.response(&make_band(shape.kind, shape.freq_hz, probe, shape.q));
        let b: Vec<f64> = h.iter().map(|v| v / probe).collect();
        let mb = grid.mean(&b);
        let (mut num, mut den) = (0.0, 0.0);
        for ((bi, ri), w) in b.iter().zip(r).zip(&grid.weight) {
            num += w * (bi - mb) * (ri - mr);
            den += w * (bi - mb) * (bi - mb);
        }
        (den > 1e-12).then(|| -num / (den + GAIN_PENALTY * grid.weight_sum))
    };
    let Some(g_pos) = estimate(6.0) else {
        return (0.0, grid.error(r), vec![0.0; r.len()]);
    };
    let mut g = if g_pos >= 0.0 {
        g_pos
    } else {
        estimate(-6.0).map_or(g_pos, |g| g.min(0.0))
    };
    g = g.clamp(-cap, cap);
    if g.abs() > 0.5 {
        if let Some(g2) = estimate(g) {
            if g2 * g > 0.0 {
                g = g2.clamp(-cap, cap);
            }
        }
    }
    if g.abs() < 1e-3 {
        return (0.0, grid.error(r), vec![0.0; r.len()]);
    }
    let resp = grid.response(&make_band(shape.kind, shape.freq_hz, g, shape.q));
    let mut res = r.to_vec();
    add(&mut res, &resp);
    (g, grid.error(&res) + penalty(g), resp)
}

fn candidate_shapes(sr: f64) -> Vec<Shape> {
    let mut v = Vec::new();
    let top = (0.45 * sr).min(20_000.0);
    let grid = |lo: f64, hi: f64| {
        let k0 = ((lo / 1000.0).log2() * 6.0).ceil() as i32;
        let k1 = ((hi.min(top) / 1000.0).log2() * 6.0).floor() as i32;
        (k0..=k1)
            .map(|k| 1000.0 * (k as f64 / 6.0).exp2())
            .collect::<Vec<_>>()
    };
    for f in grid(30.0, 400.0) {
        for q in [0.5, 0.7, 1.0] {
            v.push(Shape {
                kind: EqBandType::LowShelf,
                freq_hz: f,
                q,
            });
        }
    }
    for f in grid(1500.0, 12_000.0) {
        for q in [0.5, 0.7, 1.0] {
            v.push(Shape {
                kind: EqBandType::HighShelf,
                freq_hz: f,
                q,
            });
        }
    }
    for f in grid(30.0, 16_000.0) {
        for q in [0.5, 0.7, 1.0, 1.4, 2.0] {
            v.push(Shape {
                kind: EqBandType::Bell,
                freq_hz: f,
                q,
            });
        }
    }
    v
}

/// A fitted tonal band with its response on the grid.
#[derive(Debug, Clone)]
struct Fitted {
    shape: Shape,
    gain_db: f64,
    resp: Vec<f64>,
}

/// Greedy fit plus coordinate refinement. `r` is the residual to cancel (deviation plus fixed
/// bands). Returns the fitted bands.
fn fit_tonal(grid: &Grid, r: &[f64], max: usize, cap: f64) -> Vec<Fitted> {
    let shapes = candidate_shapes(grid.sample_rate_hz);
    let mut bands: Vec<Fitted> = Vec::new();
    for _ in 0..3 {
        let before = bands.len();
        greedy_add(grid, r, &shapes, &mut bands, max, cap);
        if bands.is_empty() {
            break;
        }
        swap_passes(grid, r, &shapes, &mut bands, cap);
        joint_refine(grid, r, &mut bands, cap);
        // Bands the joint fit made redundant free their slot for another greedy round.
        bands.retain(|b| b.gain_db.abs() >= 0.5);
        if bands.len() == before || bands.len() >= max {
            break;
        }
    }
    bands
}

/// Adds bands one at a time, each the candidate that most reduces the error, while it helps.
fn greedy_add(
    grid: &Grid,
    r: &[f64],
    shapes: &[Shape],
    bands: &mut Vec<Fitted>,
    max: usize,
    cap: f64,
) {
    let mut total = r.to_vec();
    for b in bands.iter() {
        add(&mut total, &b.resp);
    }
    let mut err = grid.error(&total);
    while bands.len() < max {
        let mut best: Option<(f64, f64, Shape, Vec<f64>)> = None;
        for &s in shapes {
            let (g, e, resp) = solve_gain(grid, &total, s, cap);
            if g.abs() < MIN_BAND_GAIN_DB {
                continue;
            }
            if best.as_ref().is_none_or(|b| e < b.1) {
                best = Some((g, e, s, resp));
            }
        }
        let Some((g, e, s, resp)) = best else { break };
        if err - e < MIN_IMPROVEMENT_DB2.max(0.02 * err) {
            break;
        }
        add(&mut total, &resp);
        err = grid.error(&total);
        bands.push(Fitted {
            shape: s,
            gain_db: g,
            resp,
        });
    }
}

/// Bounds of (log2 frequency, log2 Q) for a band type.
fn bounds(kind: EqBandType, top: f64) -> ([f64; 2], [f64; 2]) {
    let (f, q) = match kind {
        EqBandType::LowShelf => ((25.0, 500.0), (0.4, 1.2)),
        EqBandType::HighShelf => ((1000.0, top.min(14_000.0)), (0.4, 1.2)),
        _ => ((25.0, top.min(17_000.0)), (0.4, 3.0)),
    };
    (
        [f64::log2(f.0), f64::log2(f.1)],
        [f64::log2(q.0), f64::log2(q.1)],
    )
}

/// Solves `a·x = b` (n×n, row-major) by Gaussian elimination with partial pivoting; `None` when
/// singular.
fn solve_linear(mut a: Vec<f64>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))?;
        if a[p * n + c].abs() < 1e-12 {
            return None;
        }
        if p != c {
            for k in 0..n {
                a.swap(p * n + k, c * n + k);
            }
            b.swap(p, c);
        }
        for i in c + 1..n {
            let f = a[i * n + c] / a[c * n + c];
            for k in c..n {
                a[i * n + k] -= f * a[c * n + k];
            }
            b[i] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c * n + k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c * n + c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Joint Levenberg–Marquardt refinement of every band's log-frequency, log-Q and gain (within
/// bounds, gains within ±`cap`), minimising the same weighted error plus gain penalty.
fn joint_refine(grid: &Grid, r: &[f64], bands: &mut [Fitted], cap: f64) {
    let nb = bands.len();
    if nb == 0 {
        return;
    }
    let top = (0.45 * grid.sample_rate_hz).min(20_000.0);
    let kinds: Vec<EqBandType> = bands.iter().map(|b| b.shape.kind).collect();
    let clamp_x = |x: &mut [f64]| {
        for (k, kind) in kinds.iter().enumerate() {
            let (bf, bq) = bounds(*kind, top);
            x[3 * k] = x[3 * k].clamp(bf[0], bf[1]);
            x[3 * k + 1] = x[3 * k + 1].clamp(bq[0], bq[1]);
            x[3 * k + 2] = x[3 * k + 2].clamp(-cap, cap);
        }
    };
    let band_of = |x: &[f64], k: usize| {
        make_band(kinds[k], x[3 * k].exp2(), x[3 * k + 2], x[3 * k + 1].exp2())
    };
    let sqrt_w: Vec<f64> = grid
        .weight
        .iter()
        .map(|w| (w / grid.weight_sum).sqrt())
        .collect();
    let m = r.len();
    // Residual vector: weighted deviation points, then one penalty term per band.
    let residuals = |resps: &[Vec<f64>], x: &[f64]| -> Vec<f64> {
        let mut t = r.to_vec();
        for rs in resps {
            add(&mut t, rs);
        }
        let mean = grid.mean(&t);
        let mut e: Vec<f64> = t
            .iter()
            .zip(&sqrt_w)
            .map(|(v, sw)| (v - mean) * sw)
            .collect();
        for k in 0..nb {
            e.push(penalty(x[3 * k + 2]).sqrt() * x[3 * k + 2].signum());
        }
        e
    };
    let cost = |e: &[f64]| e.iter().map(|v| v * v).sum::<f64>();
    let mut x: Vec<f64> = bands
        .iter()
        .flat_map(|b| [b.shape.freq_hz.log2(), b.shape.q.log2(), b.gain_db])
        .collect();
    clamp_x(&mut x);
    let mut resps: Vec<Vec<f64>> = (0..nb).map(|k| grid.response(&band_of(&x, k))).collect();
    let mut e = residuals(&resps, &x);
    let mut c = cost(&e);
    let n = 3 * nb;
    let mut mu = 1e-2;
    for _ in 0..30 {
        // Forward-difference Jacobian (each parameter only moves its own band's response).
        let mut jac = vec![0.0; (m + nb) * n];
        for p in 0..n {
            let k = p / 3;
            let h = if p % 3 == 2 { 0.01 } else { 0.005 };
            let mut xp = x.clone();
            xp[p] += h;
            let rp = grid.response(&band_of(&xp, k));
            let mut rs = resps.clone();
            rs[k] = rp;
            let ep = residuals(&rs, &xp);
            for i in 0..m + nb {
                jac[i * n + p] = (ep[i] - e[i]) / h;
            }
        }
        let mut jtj = vec![0.0; n * n];
        let mut jte = vec![0.0; n];
        for i in 0..m + nb {
            let row = &jac[i * n..(i + 1) * n];
            for a in 0..n {
                jte[a] += row[a] * e[i];
                for b in 0..n {
                    jtj[a * n + b] += row[a] * row[b];
                }
            }
        }
        let mut improved = false;
        for _ in 0..6 {
            let mut aug = jtj.clone();
            for d in 0..n {
                aug[d * n + d] += mu * (jtj[d * n + d] + 1e-9);
            }
            let Some(delta) = solve_linear(aug, jte.iter().map(|v| -v).collect()) else {
                mu *= 4.0;
                continue;
            };
            let mut xn: Vec<f64> = x.iter().zip(&delta).map(|(a, d)| a + d).collect();
            clamp_x(&mut xn);
            let rn: Vec<Vec<f64>> = (0..nb).map(|k| grid.response(&band_of(&xn, k))).collect();
            let en = residuals(&rn, &xn);
            let cn = cost(&en);
            if cn < c {
                x = xn;
                resps = rn;
                e = en;
                let gain = c - cn;
                c = cn;
                mu = (mu / 3.0).max(1e-7);
                improved = gain > 1e-7;
                break;
            }
            mu *= 4.0;
        }
        if !improved {
            break;
        }
    }
    for (k, b) in bands.iter_mut().enumerate() {
        *b = Fitted {
            shape: Shape {
                kind: kinds[k],
                freq_hz: x[3 * k].exp2(),
                q: x[3 * k + 1].exp2(),
            },
            gain_db: x[3 * k + 2],
            resp: resps[k].clone(),
        };
    }
}

/// Revisits greedy choices: each band in turn is replaced by the best candidate of the whole
/// set given all the others (a band may also move to another type or frequency), until no
/// replacement helps (at most 3 passes).
fn swap_passes(grid: &Grid, r: &[f64], shapes: &[Shape], bands: &mut [Fitted], cap: f64) {
    for _ in 0..3 {
        let mut changed = false;
        for k in 0..bands.len() {
            let mut others = r.to_vec();
            for (j, b) in bands.iter().enumerate() {
                if j != k {
                    add(&mut others, &b.resp);
                }
            }
            let cur_e = {
                let mut t = others.clone();
                add(&mut t, &bands[k].resp);
                grid.error(&t) + penalty(bands[k].gain_db)
            };
            let mut best: Option<Fitted> = None;
            let mut best_e = cur_e - 1e-4;
            for &shape in shapes {
                let (g, e, resp) = solve_gain(grid, &others, shape, cap);
                if g.abs() >= MIN_BAND_GAIN_DB && e < best_e {
                    best_e = e;
                    best = Some(Fitted {
                        shape,
                        gain_db: g,
                        resp,
                    });
                }
            }
            if let Some(b) = best {
                bands[k] = b;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

fn fmt_hz(f: f64) -> String {
    if f >= 1000.0 {
        let k = f / 1000.0;
        if (k - k.round()).abs() < 0.05 {
            format!("{:.0} kHz", k)
        } else {
            format!("{:.1} kHz", k)
        }
    } else {
        format!("{:.0} Hz", f)
    }
}

fn region_name(f: f64) -> &'static str {
    match f {
        f if f < 60.0 => "sub-bass",
        f if f < 200.0 => "bass",
        f if f < 500.0 => "low-mids",
        f if f < 2000.0 => "mids",
        f if f < 4000.0 => "upper mids",
        f if f < 8000.0 => "presence",
        _ => "air",
    }
}

/// Half-gain bandwidth of a bell in octaves for `q`.
fn bell_bandwidth_oct(q: f64) -> f64 {
    2.0 / std::f64::consts::LN_2 * (1.0 / (2.0 * q)).asinh()
}

/// The Q of a bell whose half-gain bandwidth is `bw_oct` octaves.
fn q_from_bandwidth(bw_oct: f64) -> f64 {
    1.0 / (2.0 * (std::f64::consts::LN_2 / 2.0 * bw_oct).sinh())
}

/// Assigns proposals (sorted by frequency) to free slots (sorted), keeping the order and
/// minimising the summed log-distance to the slots' current frequencies. Returns slot indices.
fn assign_slots(freqs: &[f64], slots: &[(usize, f64)]) -> Vec<usize> {
    let (k, m) = (freqs.len(), slots.len());
    if k == 0 || m < k {
        return (0..k.min(m)).map(|i| slots[i].0).collect();
    }
    // cost[i][j]: best cost placing the first i proposals in the first j slots.
    let inf = f64::INFINITY;
    let mut cost = vec![vec![inf; m + 1]; k + 1];
    let mut take = vec![vec![false; m + 1]; k + 1];
    for c in cost[0].iter_mut() {
        *c = 0.0;
    }
    for i in 1..=k {
        for j in i..=m {
            let skip = cost[i][j - 1];
            let d = (freqs[i - 1] / slots[j - 1].1.max(1.0)).log2().abs();
            let use_it = cost[i - 1][j - 1] + d;
            if use_it <= skip {
                cost[i][j] = use_it;
                take[i][j] = true;
            } else {
                cost[i][j] = skip;
            }
        }
    }
    let mut out = vec![0; k];
    let (mut i, mut j) = (k, m);
    while i > 0 {
        if take[i][j] {
            out[i - 1] = slots[j - 1].0;
            i -= 1;
        }
        j -= 1;
    }
    out
}

/// Weighted median of `v` (weights `w` ≥ 0); 0 when all weights are 0.
fn weighted_median(v: &[f64], w: &[f64]) -> f64 {
    let mut pairs: Vec<(f64, f64)> = v
        .iter()
        .zip(w)
        .filter(|(_, w)| **w > 0.0)
        .map(|(a, b)| (*a, *b))
        .collect();
    if pairs.is_empty() {
        return 0.0;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = pairs.iter().map(|p| p.1).sum::<f64>() / 2.0;
    let mut acc = 0.0;
    for (x, wi) in &pairs {
        acc += wi;
        if acc >= half {
            return *x;
        }
    }
    pairs[pairs.len() - 1].0
}

/// Rumble measurement: (16–28 Hz band level − 40–80 Hz band level in dB, the same difference of
/// the target in dB, spectral flatness 0–1 of the 10–30 Hz bins).
fn rumble(a: &EqAnalysisResult, target: &Target) -> Option<(f64, f64, f64)> {
    let mean_db = |lo: f32, hi: f32, f: &dyn Fn(usize) -> f32| -> Option<f64> {
        let idx: Vec<usize> = (0..a.band_center_hz.len())
            .filter(|&i| (lo..=hi).contains(&a.band_center_hz[i]))
            .collect();
        if idx.is_empty() {
            return None;
        }
        let p: f64 = idx
            .iter()
            .map(|&i| 10f64.powf(f(i) as f64 / 10.0))
            .sum::<f64>()
            / idx.len() as f64;
        Some(10.0 * p.max(1e-30).log10())
    };
    let meas = |i: usize| a.band_db[i];
    let tgt = |i: usize| target.db_at(a.band_center_hz[i]);
    let sub = mean_db(15.5, 28.5, &meas)?;
    let reference = mean_db(40.0, 80.0, &meas)?;
    let t_sub = mean_db(15.5, 28.5, &tgt)?;
    let t_ref = mean_db(40.0, 80.0, &tgt)?;
    let bins: Vec<f64> = a
        .low_bin_db
        .iter()
        .enumerate()
        .filter(|(k, _)| (10.0..=30.0).contains(&(*k as f32 * a.bin_spacing_hz)))
        .map(|(_, d)| 10f64.powf(*d as f64 / 10.0).max(1e-30))
        .collect();
    if bins.len() < 2 {
        return None;
    }
    let am = bins.iter().sum::<f64>() / bins.len() as f64;
    let gm = (bins.iter().map(|p| p.ln()).sum::<f64>() / bins.len() as f64).exp();
    Some((sub - reference, t_sub - t_ref, (gm / am).clamp(0.0, 1.0)))
}

/// A detected resonance.
#[derive(Debug, Clone, Copy)]
struct Resonance {
    freq_hz: f64,
    excess_db: f64,
    q: f64,
    persistence: f64,
}

fn find_resonances(a: &EqAnalysisResult, max: usize) -> Vec<Resonance> {
    let f = &a.fine_center_hz;
    let d = &a.fine_db;
    if f.len() < 5 || d.len() != f.len() {
        return Vec::new();
    }
    let excess = fine_excess_db(d);
    let peak = d.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let top = (0.4 * a.sample_rate_hz).min(16_000.0);
    let mut found: Vec<Resonance> = Vec::new();
    for i in 1..f.len() - 1 {
        let e = excess[i];
        if !(60.0..=top).contains(&f[i])
            || e < 6.0
            || e < excess[i - 1]
            || e < excess[i + 1]
            || d[i] < peak - NOISE_FLOOR_BELOW_PEAK_DB
        {
            continue;
        }
        let persistence = if a.windows >= 2 {
            a.fine_persistence.get(i).copied().unwrap_or(0.0) as f64
        } else {
            1.0
        };
        if persistence < 0.5 {
            continue;
        }
        // Parabolic interpolation of the peak in log frequency.
        let (y0, y1, y2) = (d[i - 1] as f64, d[i] as f64, d[i + 1] as f64);
        let den = y0 - 2.0 * y1 + y2;
        let off = if den < 0.0 {
            (0.5 * (y0 - y2) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let freq_hz = f[i] as f64 * (off / FINE_FRACTION as f64).exp2();
        // Half-excess width.
        let half = e / 2.0;
        let edge = |dir: isize| -> f64 {
            let mut j = i as isize;
            loop {
                let n = j + dir;
                if n < 0 || n as usize >= f.len() {
                    return (j - i as isize).unsigned_abs() as f64;
                }
                if excess[n as usize] < half {
                    let (a0, a1) = (excess[j as usize] as f64, excess[n as usize] as f64);
                    let t = ((a0 - half as f64) / (a0 - a1).max(1e-9)).clamp(0.0, 1.0);
                    return (j - i as isize).unsigned_abs() as f64 + t;
                }
                j = n;
            }
        };
        let bw_oct = (edge(-1) + edge(1)) / FINE_FRACTION as f64;
        let q = q_from_bandwidth(bw_oct.max(1e-3)).clamp(6.0, 12.0);
        found.push(Resonance {
            freq_hz,
            excess_db: e as f64,
            q,
            persistence,
        });
    }
    found.sort_by(|a, b| b.excess_db.total_cmp(&a.excess_db));
    let mut kept: Vec<Resonance> = Vec::new();
    for r in found {
        if kept
            .iter()
            .all(|k| (r.freq_hz / k.freq_hz).log2().abs() > 1.0 / 3.0)
        {
            kept.push(r);
        }
        if kept.len() >= max {
            break;
        }
    }
    kept
}

/// How far the tonal bands together may move any frequency, as a multiple of the per-band cap:
/// two bands may complete a capped move (e.g. +8 dB with a 6 dB cap), never more.
pub const MAX_STACK_FACTOR: f64 = 1.5;

/// Keeps the fitted tonal bands a sensible proposal: bands of the same kind within 1/6 octave
/// are merged (keeping the broader Q), at most two per place (one at the cap plus the remainder), and if
/// the bands together still move any frequency by more than [`MAX_STACK_FACTOR`] × `cap`, every
/// gain is scaled down so they do not. Without this the greedy fit stacks three +6 dB bells on a
/// region that is merely empty in the material (a synthetic mix with nothing at 1 kHz).
fn limit_stacking(bands: Vec<BandSettings>, grid: &Grid, cap: f64) -> Vec<BandSettings> {
    let mut merged: Vec<(BandSettings, f64)> = Vec::new();
    for b in bands {
        let same = merged.iter_mut().find(|(m, _)| {
            m.kind == b.kind && (m.freq_hz as f64 / b.freq_hz as f64).log2().abs() < 1.0 / 6.0
        });
        match same {
            Some((m, total)) => {
                *total += b.gain_db as f64;
                // The broader shape of the two: broad moves are preferred.
                m.q = m.q.min(b.q);
            }
            None => merged.push((b, b.gain_db as f64)),
        }
    }
    let mut out = Vec::new();
    for (b, total) in merged {
        let first = total.clamp(-cap, cap);
        let extra = (MAX_STACK_FACTOR - 1.0) * cap;
        let rest = (total - first).clamp(-extra, extra);
        let mut a = b;
        a.gain_db = ((first * 10.0).round() / 10.0) as f32;
        out.push(a);
        if rest.abs() >= 0.5 {
            let mut r = b;
            r.gain_db = ((rest * 10.0).round() / 10.0) as f32;
            out.push(r);
        }
    }
    let mut sum = vec![0.0f64; grid.freq_hz.len()];
    for b in &out {
        add(&mut sum, &grid.response(b));
    }
    let peak = sum.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let limit = MAX_STACK_FACTOR * cap;
    if peak > limit {
        let k = limit / peak;
        for b in out.iter_mut() {
            b.gain_db = ((b.gain_db as f64 * k * 10.0).round() / 10.0) as f32;
        }
    }
    out.retain(|b| b.gain_db.abs() >= 0.5 || !b.kind.uses_gain());
    out
}

/// The suggested EQ for what `analysis` heard, towards `target`, completing `current` (the
/// engineer's settings, left untouched: suggested bands go to bands that are not enabled).
/// See the module docs for the method. Never panics; with nothing heard it returns an empty
/// suggestion with a warning.
pub fn suggest_eq(
    analysis: &EqAnalysisResult,
    target: &Target,
    options: &EqAssistOptions,
    current: &EqSettings,
) -> Suggestion {
    let a = analysis;
    let mut s = Suggestion::empty("eq", &target.name);
    s.heard_seconds = if a.heard_seconds.is_finite() {
        a.heard_seconds.max(0.0)
    } else {
        0.0
    };
    s.stable = a.stable;
    let sr = a.sample_rate_hz as f64;
    let cap = if options.max_gain_db.is_finite() {
        options
            .max_gain_db
            .clamp(0.5, crate::chains::eq::MAX_GAIN_DB) as f64
    } else {
        6.0
    };
    if s.heard_seconds <= 0.0
        || a.band_db.len() != a.band_center_hz.len()
        || !sr.is_finite()
        || sr <= 0.0
    {
        s.warnings
            .push("nothing heard yet: play the material to get a suggestion".into());
        return s;
    }

    // 1. The grid, the deviation and the weights.
    let top = (0.45 * sr).min(20_000.0);
    let peak = a
        .band_db
        .iter()
        .zip(&a.band_center_hz)
        .filter(|(_, f)| (20.0..=top as f32).contains(*f))
        .map(|(d, _)| *d)
        .fold(f32::NEG_INFINITY, f32::max);
    let mut freq_hz = Vec::new();
    let mut weight = Vec::new();
    let mut dev = Vec::new();
    for (f, d) in a.band_center_hz.iter().zip(&a.band_db) {
        if !(19.5..=top as f32).contains(f) || !d.is_finite() {
            continue;
        }
        let floor = *d < peak - NOISE_FLOOR_BELOW_PEAK_DB || *d <= crate::util::MIN_DB + 10.0;
        freq_hz.push(*f as f64);
        weight.push(if floor {
            0.0
        } else {
            perceptual_weight(*f) as f64
        });
        dev.push((*d - target.db_at(*f)) as f64);
    }
    let weight_sum: f64 = weight.iter().sum();
    let grid = Grid {
        free_level: true,
        freq_hz,
        weight,
        weight_sum,
        sample_rate_hz: sr,
    };
    if grid.weight_sum <= 0.0 {
        s.warnings
            .push("the audio heard is too quiet to analyse".into());
        return s;
    }
    if options.analysis_is_pre_eq {
        for b in current.bands.iter().filter(|b| b.enabled) {
            if b.placement == Placement::Stereo || b.placement == Placement::Mid {
                add(&mut dev, &grid.response(b));
            }
        }
    }
    let mid_w: Vec<f64> = grid
        .freq_hz
        .iter()
        .zip(&grid.weight)
        .map(|(f, w)| {
            if (200.0..=5000.0).contains(f) {
                *w
            } else {
                0.0
            }
        })
        .collect();
    let alignment = weighted_median(&dev, &mid_w);
    for d in dev.iter_mut() {
        *d -= alignment;
    }

    // Evidence.
    let evidence = (s.heard_seconds / FULL_CONFIDENCE_SECONDS).clamp(0.0, 1.0)
        * if a.stable { 1.0 } else { 0.75 };

    // Free slots and the band budget.
    let free: Vec<(usize, f64)> = current
        .bands
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.enabled)
        .map(|(i, b)| (i, b.freq_hz as f64))
        .collect();
    let mut budget = options.max_bands.min(free.len()).min(NUM_BANDS);
    if free.len() < options.max_bands.min(NUM_BANDS) {
        s.warnings.push(format!(
            "only {} EQ band(s) are free; switch bands off to let the assistant use more",
            free.len()
        ));
    }
    let mut proposals: Vec<Proposal> = Vec::new();
    let mut residual = dev.clone();

    // 2. Low cut.
    let rumble_m = rumble(a, target);
    if let Some((excess, t_excess, flatness)) = rumble_m {
        s.measurements.insert("sub30_excess_db".into(), excess);
        s.measurements.insert("sub30_flatness".into(), flatness);
        let over_target = excess - t_excess;
        if options.suggest_low_cut
            && budget > 0
            && flatness >= 0.3
            && (excess >= 3.0 || over_target >= 12.0)
        {
            let mut band = make_band(EqBandType::LowCut, 30.0, 0.0, 0.707);
            band.slope_db_oct = 24.0;
            add(&mut residual, &grid.response(&band));
            budget -= 1;
            proposals.push(Proposal {
                band,
                role: "lowcut",
                reason: format!(
                    "{:.1} dB more energy in 16–28 Hz than in 40–80 Hz ({:.1} dB more than the \
                     {} target has there), and noise-like (spectral flatness {:.2}): rumble \
                     below the music, not musical content",
                    excess, over_target, target.name, flatness
                ),
                confidence_factor: (0.5 + (excess.max(over_target) / 24.0)).min(1.0) as f32,
            });
        }
    }

    // 3. Resonances.
    let resonances = if options.detect_resonances {
        find_resonances(a, budget.min(3))
    } else {
        Vec::new()
    };
    s.measurements
        .insert("resonances_found".into(), resonances.len() as f64);
    for r in &resonances {
        let gain = -(r.excess_db.min(cap));
        let band = make_band(
            EqBandType::Bell,
            round_sig(r.freq_hz, 3),
            (gain * 10.0).round() / 10.0,
            (r.q * 10.0).round() / 10.0,
        );
        add(&mut residual, &grid.band_averaged_response(&band));
        budget -= 1;
        proposals.push(Proposal {
            band,
            role: "resonance",
            reason: format!(
                "narrow peak at {} stands {:.1} dB above the surrounding spectrum (1/24-octave \
                 analysis) in {:.0} % of the 2-second windows",
                fmt_hz(r.freq_hz),
                r.excess_db,
                100.0 * r.persistence
            ),
            confidence_factor: ((0.5 + 0.5 * r.persistence) * (r.excess_db / 9.0).min(1.0)) as f32,
        });
    }

    // 4. Tonal bands.
    let fitted = fit_tonal(&grid, &residual, budget, cap);
    let before_err = grid.error(&dev);
    let mut tonal: Vec<BandSettings> = fitted
        .iter()
        .filter(|b| b.gain_db.abs() >= 0.5)
        .map(|b| {
            make_band(
                b.shape.kind,
                round_sig(b.shape.freq_hz, 3),
                (b.gain_db * 10.0).round() / 10.0,
                (b.shape.q * 100.0).round() / 100.0,
            )
        })
        .collect();
    tonal.sort_by(|x, y| x.freq_hz.total_cmp(&y.freq_hz));
    let tonal = limit_stacking(tonal, &grid, cap);
    for (i, band) in tonal.iter().enumerate() {
        let f = band.freq_hz as f64;
        let (lo, hi) = match band.kind {
            EqBandType::LowShelf => (20.0, f),
            EqBandType::HighShelf => (f, top),
            _ => {
                let bw = bell_bandwidth_oct(band.q as f64);
                (f * (-bw / 2.0).exp2(), f * (bw / 2.0).exp2())
            }
        };
        let (mut sum, mut wsum) = (0.0, 0.0);
        for ((fr, d), w) in grid.freq_hz.iter().zip(&dev).zip(&grid.weight) {
            if (lo..=hi).contains(fr) && *w > 0.0 {
                sum += d * w;
                wsum += w;
            }
        }
        let mean_dev = if wsum > 0.0 {
            sum / wsum
        } else {
            -(band.gain_db as f64)
        };
        let where_ = match band.kind {
            EqBandType::LowShelf => format!("below {}", fmt_hz(f)),
            EqBandType::HighShelf => format!("above {}", fmt_hz(f)),
            _ => format!("between {} and {}", fmt_hz(lo), fmt_hz(hi)),
        };
        let mut reason = format!(
            "{} {:.1} dB {} the {} target {}",
            match band.kind {
                EqBandType::LowShelf => "lows",
                EqBandType::HighShelf => "highs",
                _ => region_name(f),
            },
            mean_dev.abs(),
            if mean_dev >= 0.0 { "above" } else { "below" },
            target.name,
            where_
        );
        if mean_dev.abs() < 0.5 || mean_dev * band.gain_db as f64 > 0.0 {
            // The band corrects how the neighbouring bands overlap rather than a deviation of
            // its own: say so instead of quoting a number that seems to contradict it.
            reason.push_str(&format!(
                "; this band {} by {:.1} dB to even out where the neighbouring bands overlap",
                if band.gain_db < 0.0 { "cuts" } else { "lifts" },
                band.gain_db.abs()
            ));
        }
        let partner = tonal.iter().enumerate().find(|(j, o)| {
            *j != i
                && o.kind == band.kind
                && (o.freq_hz as f64 / f).log2().abs() < 0.5
                && (o.gain_db.abs() as f64) >= cap - 0.05
                && o.gain_db.signum() == band.gain_db.signum()
        });
        if partner.is_some() && (band.gain_db.abs() as f64) < cap - 0.05 {
            reason.push_str(&format!(
                "; completes the other band near {}, which is capped at {:.0} dB",
                fmt_hz(f),
                cap
            ));
        }
        proposals.push(Proposal {
            band: *band,
            role: "band",
            reason,
            confidence_factor: (0.6 + 0.4 * (band.gain_db.abs() / 3.0).min(1.0)),
        });
    }

    // The error left by everything proposed (exact responses, rounded values).
    let mut after = dev.clone();
    for p in &proposals {
        let resp = if p.role == "resonance" {
            grid.band_averaged_response(&p.band)
        } else {
            grid.response(&p.band)
        };
        add(&mut after, &resp);
    }
    let after_err = grid.error(&after);

    // 5. Slots and items.
    let mut order: Vec<usize> = (0..proposals.len()).collect();
    order.sort_by(|&x, &y| {
        proposals[x]
            .band
            .freq_hz
            .total_cmp(&proposals[y].band.freq_hz)
    });
    let freqs: Vec<f64> = order
        .iter()
        .map(|&i| proposals[i].band.freq_hz as f64)
        .collect();
    let slots = assign_slots(&freqs, &free);
    let mut res_count = 0;
    for (&pi, &slot) in order.iter().zip(&slots) {
        let p = &proposals[pi];
        let n = slot + 1;
        let b = p.band;
        let mut values = BTreeMap::new();
        values.insert(band_param_id(n, BandParam::On), 1.0);
        values.insert(band_param_id(n, BandParam::Type), b.kind.index() as f32);
        values.insert(band_param_id(n, BandParam::Freq), b.freq_hz);
        values.insert(band_param_id(n, BandParam::Gain), b.gain_db);
        values.insert(band_param_id(n, BandParam::Q), b.q);
        values.insert(band_param_id(n, BandParam::Slope), b.slope_db_oct);
        values.insert(
            band_param_id(n, BandParam::Place),
            Placement::Stereo.index() as f32,
        );
        let key = match p.role {
            "lowcut" => "lowcut".to_string(),
            "resonance" => {
                res_count += 1;
                if res_count == 1 {
                    "resonance".to_string()
                } else {
                    format!("resonance{res_count}")
                }
            }
            _ => format!("band{n}"),
        };
        let f = fmt_hz(b.freq_hz as f64);
        let title = match (p.role, b.kind) {
            ("lowcut", _) => format!("Low cut at {f} ({:.0} dB/oct)", b.slope_db_oct),
            ("resonance", _) => format!(
                "Cut resonance at {f} by {:.1} dB (Q {:.0})",
                -b.gain_db, b.q
            ),
            (_, EqBandType::LowShelf) => format!("Low shelf {:+.1} dB at {f}", b.gain_db),
            (_, EqBandType::HighShelf) => format!("High shelf {:+.1} dB at {f}", b.gain_db),
            _ => format!(
                "{} {f} by {:.1} dB",
                if b.gain_db < 0.0 { "Cut" } else { "Boost" },
                b.gain_db.abs()
            ),
        };
        s.values.extend(values.iter().map(|(k, v)| (k.clone(), *v)));
        s.items.push(SuggestionItem {
            key,
            title,
            values,
            reason: p.reason.clone(),
            confidence: (evidence * p.confidence_factor).clamp(0.0, 1.0),
        });
    }
    s.confidence = evidence.clamp(0.0, 1.0);

    // Measurements.
    let m = &mut s.measurements;
    m.insert("heard_seconds".into(), s.heard_seconds as f64);
    m.insert("windows".into(), a.windows as f64);
    if let Some(c) = a.stability_change_db {
        m.insert("stability_change_db".into(), c as f64);
    }
    m.insert("level_alignment_db".into(), alignment);
    m.insert("deviation_rms_db".into(), before_err.sqrt());
    m.insert("residual_rms_db".into(), after_err.sqrt());
    if before_err > 0.0 {
        m.insert(
            "deviation_reduction_pct".into(),
            100.0 * (1.0 - (after_err / before_err).sqrt()),
        );
    }
    let mean_dev = grid.mean(&dev);
    for oct in [
        31.5f64, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16_000.0,
    ] {
        let (mut sum, mut n) = (0.0, 0);
        for ((f, d), w) in grid.freq_hz.iter().zip(&dev).zip(&grid.weight) {
            if (f / oct).log2().abs() <= 0.5 + 1e-6 && *w > 0.0 {
                sum += d - mean_dev;
                n += 1;
            }
        }
        if n > 0 {
            m.insert(
                format!("deviation_db_{}hz", oct.round() as u32),
                sum / n as f64,
            );
        }
    }
    if s.heard_seconds < 10.0 {
        s.warnings.push(format!(
            "only {:.1} s heard so far; keep playing for a steadier estimate",
            s.heard_seconds
        ));
    }
    if !a.stable && a.windows >= 2 {
        s.warnings
            .push("the spectrum is still changing between windows".into());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::accept;
    use crate::chains::eq::{neutral_value, EqChain};
    use crate::filters::FilterSpec;
    use crate::testsignals::{pink_noise, white_noise};
    use crate::{Processor, ProcessorConfig};

    const SR: f32 = 48_000.0;

    fn shaping() -> EqSettings {
        let mut s = EqSettings::default();
        s.bands[0] = make_band(EqBandType::LowShelf, 120.0, 6.0, 0.7);
        s.bands[1] = make_band(EqBandType::HighShelf, 6000.0, -6.0, 0.7);
        s.bands[2] = make_band(EqBandType::Bell, 1000.0, 8.0, 2.0);
        s
    }

    fn process(settings: &EqSettings, x: &[f32]) -> Vec<f32> {
        let mut eq = EqChain::new(ProcessorConfig::new(SR, 4096, 1).unwrap(), settings).unwrap();
        let mut y = x.to_vec();
        eq.process(&mut [&mut y]);
        y
    }

    /// Third-octave band levels 40 Hz–16 kHz (fine FFT so the low bands hold enough bins).
    fn third_octaves(x: &[f32]) -> Vec<(f32, f32)> {
        let mut cfg = crate::analysis::LtasConfig::new(SR);
        cfg.fft_size = 16_384;
        let mut l = crate::analysis::Ltas::new(cfg).unwrap();
        l.process(&[x]);
        let r = l.result();
        r.band_center_hz
            .iter()
            .zip(&r.band_db)
            .filter(|(f, _)| (39.0..=16_500.0).contains(*f))
            .map(|(f, d)| (*f, *d))
            .collect()
    }

    fn rms_mean_removed(v: &[f64]) -> f64 {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    }

    fn applied(sug: &Suggestion) -> EqSettings {
        let manual = EqSettings::default().to_param_map();
        EqSettings::from_param_map(&accept::suggested_set(sug, &manual, 1.0, neutral_value))
    }

    /// (analytic reduction, processed reduction) of the RMS deviation over third octaves.
    fn reductions(
        shaped: &[f32],
        reference_bands: &[(f32, f32)],
        target: &Target,
        sug: &Suggestion,
    ) -> (f64, f64) {
        let eq = applied(sug);
        let shaped_b = third_octaves(shaped);
        let dev: Vec<f64> = shaped_b
            .iter()
            .zip(reference_bands)
            .map(|((f, d), (_, r))| (*d - *r - target.db_at(*f)) as f64)
            .collect();
        let before = rms_mean_removed(&dev);
        let after_analytic: Vec<f64> = shaped_b
            .iter()
            .zip(&dev)
            .map(|((f, _), d)| d + eq.magnitude_db(*f as f64, SR as f64))
            .collect();
        let processed = third_octaves(&process(&eq, shaped));
        let after_processed: Vec<f64> = processed
            .iter()
            .zip(reference_bands)
            .map(|((f, d), (_, r))| (*d - *r - target.db_at(*f)) as f64)
            .collect();
        (
            1.0 - rms_mean_removed(&after_analytic) / before,
            1.0 - rms_mean_removed(&after_processed) / before,
        )
    }

    fn print(sug: &Suggestion) {
        for i in &sug.items {
            eprintln!(
                "  {} | {} | {} | conf {:.2}",
                i.key, i.title, i.reason, i.confidence
            );
        }
        eprintln!("  measurements: {:?}", sug.measurements);
    }

    #[test]
    fn undoes_a_known_eq_in_reference_and_flat_mode() {
        let pink = pink_noise((SR * 12.0) as usize, 0.1, 42);
        let shaped = process(&shaping(), &pink);
        let analysis = EqAnalysis::analyze(&[&shaped], SR).unwrap();
        let reference = EqAnalysis::analyze(&[&pink], SR)
            .unwrap()
            .reference_target("pink");
        let opts = EqAssistOptions::default();
        let sug = suggest_eq(&analysis, &reference, &opts, &EqSettings::default());
        sug.validate().unwrap();
        eprintln!("reference mode:");
        print(&sug);
        let flat_ref: Vec<(f32, f32)> = third_octaves(&pink);
        let (ana, proc_) = reductions(&shaped, &flat_ref, &Target::flat(), &sug);
        eprintln!(
            "reference mode: analytic {:.1} %, processed {:.1} %",
            100.0 * ana,
            100.0 * proc_
        );
        assert!(ana >= 0.8 && proc_ >= 0.8, "{ana} {proc_}");
        assert!(sug.items.len() <= 6);
        for i in &sug.items {
            for (k, v) in &i.values {
                if k.ends_with("_gain") {
                    assert!(v.abs() <= 6.0 + 1e-4, "{k} {v}");
                }
            }
        }

        let flat = Target::flat();
        let sug = suggest_eq(&analysis, &flat, &opts, &EqSettings::default());
        eprintln!("flat mode:");
        print(&sug);
        let zero: Vec<(f32, f32)> = flat_ref.iter().map(|(f, _)| (*f, 0.0)).collect();
        let (ana, proc_) = reductions(&shaped, &zero, &flat, &sug);
        eprintln!(
            "flat mode: analytic {:.1} %, processed {:.1} %",
            100.0 * ana,
            100.0 * proc_
        );
        assert!(ana >= 0.6 && proc_ >= 0.6, "{ana} {proc_}");
        assert!(analysis.heard_seconds > 11.0);
    }

    #[test]
    fn clean_pink_noise_gives_no_false_positives() {
        for seed in [1u64, 2, 3] {
            let pink = pink_noise((SR * 10.0) as usize, 0.1, seed);
            let a = EqAnalysis::analyze(&[&pink], SR).unwrap();
            let sug = suggest_eq(
                &a,
                &Target::flat(),
                &EqAssistOptions::default(),
                &EqSettings::default(),
            );
            eprintln!("seed {seed}:");
            print(&sug);
            for i in &sug.items {
                for (k, v) in &i.values {
                    if k.ends_with("_gain") {
                        assert!(v.abs() <= 1.0, "{} {k} {v}", i.key);
                    }
                }
                assert_ne!(i.key, "lowcut");
                assert!(!i.key.starts_with("resonance"));
            }
            assert!(a.stable, "{:?}", a.stability_change_db);
        }
    }

    #[test]
    fn a_hole_in_the_spectrum_never_gets_more_than_one_and_a_half_caps() {
        // Pink noise with a deep two-octave hole around 1 kHz: the fit would like +20 dB there.
        let mut hole = EqSettings::default();
        hole.bands[0] = make_band(EqBandType::Bell, 1000.0, -20.0, 0.5);
        let x = process(&hole, &pink_noise((SR * 10.0) as usize, 0.1, 4));
        let a = EqAnalysis::analyze(&[&x], SR).unwrap();
        let sug = suggest_eq(
            &a,
            &Target::flat(),
            &EqAssistOptions::default(),
            &EqSettings::default(),
        );
        print(&sug);
        let eq = applied(&sug);
        let mut max_db = 0.0f64;
        for i in 0..200 {
            let f = 20.0 * 1000f64.powf(i as f64 / 199.0);
            max_db = max_db.max(eq.magnitude_db(f, SR as f64).abs());
        }
        assert!(max_db <= MAX_STACK_FACTOR * 6.0 + 0.3, "{max_db}");
        assert!(max_db >= 6.0, "the hole is still addressed: {max_db}");
        // No three bands of one kind in the same place.
        let on: Vec<&BandSettings> = eq.bands.iter().filter(|b| b.enabled).collect();
        for b in &on {
            let near = on
                .iter()
                .filter(|o| o.kind == b.kind && (o.freq_hz / b.freq_hz).log2().abs() < 1.0 / 6.0)
                .count();
            assert!(near <= 2, "{on:?}");
        }
    }

    #[test]
    fn finds_an_injected_resonance() {
        let pink = pink_noise((SR * 10.0) as usize, 0.1, 7);
        let mut s = EqSettings::default();
        s.bands[0] = make_band(EqBandType::Bell, 2500.0, 12.0, 10.0);
        let x = process(&s, &pink);
        let a = EqAnalysis::analyze(&[&x], SR).unwrap();
        let sug = suggest_eq(
            &a,
            &Target::flat(),
            &EqAssistOptions::default(),
            &EqSettings::default(),
        );
        print(&sug);
        let r = sug
            .items
            .iter()
            .find(|i| i.key == "resonance")
            .expect("resonance item");
        let f = r
            .values
            .iter()
            .find(|(k, _)| k.ends_with("_freq"))
            .unwrap()
            .1;
        let q = r.values.iter().find(|(k, _)| k.ends_with("_q")).unwrap().1;
        let g = r
            .values
            .iter()
            .find(|(k, _)| k.ends_with("_gain"))
            .unwrap()
            .1;
        assert!((f / 2500.0).log2().abs() <= 1.0 / 6.0, "{f}");
        assert!((6.0..=12.0).contains(q) && *g < -3.0, "{q} {g}");
    }

    /// Noise below 30 Hz: white noise through a 4th-order 25 Hz low pass.
    fn rumble_signal(n: usize, seed: u64) -> Vec<f32> {
        let w = white_noise(n, 1.0, seed);
        let c = FilterSpec::low_pass(25.0, 24.0, crate::filters::CutShape::Butterworth)
            .design(SR as f64);
        let mut st = [crate::filters::BiquadState::default(); 4];
        w.iter()
            .map(|&x| {
                let mut v = x as f64;
                for (s, sec) in st.iter_mut().zip(c.sections()) {
                    v = s.tick(sec, v);
                }
                v as f32
            })
            .collect()
    }

    #[test]
    fn low_cut_for_rumble_only() {
        let n = (SR * 10.0) as usize;
        let pink = pink_noise(n, 0.1, 9);
        let mut rumble = rumble_signal(n, 10);
        crate::testsignals::scale_to_rms(&mut rumble, 0.1);
        let x: Vec<f32> = pink.iter().zip(&rumble).map(|(a, b)| a + b).collect();
        let a = EqAnalysis::analyze(&[&x], SR).unwrap();
        for t in [Target::flat(), Target::builtin("balanced").unwrap()] {
            let sug = suggest_eq(&a, &t, &EqAssistOptions::default(), &EqSettings::default());
            print(&sug);
            let lc = sug
                .items
                .iter()
                .find(|i| i.key == "lowcut")
                .expect("low cut item");
            let ty = lc
                .values
                .iter()
                .find(|(k, _)| k.ends_with("_type"))
                .unwrap()
                .1;
            assert_eq!(*ty, EqBandType::LowCut.index() as f32);
        }
        let a = EqAnalysis::analyze(&[&pink], SR).unwrap();
        for t in [Target::flat(), Target::builtin("balanced").unwrap()] {
            let sug = suggest_eq(&a, &t, &EqAssistOptions::default(), &EqSettings::default());
            assert!(sug.items.iter().all(|i| i.key != "lowcut"), "{}", t.name);
        }
    }

    #[test]
    fn respects_enabled_bands_budget_and_short_input() {
        let pink = pink_noise((SR * 6.0) as usize, 0.1, 42);
        let shaped = process(&shaping(), &pink);
        let a = EqAnalysis::analyze(&[&shaped], SR).unwrap();
        // The engineer already uses bands 1, 2 and 5.
        let mut cur = EqSettings::default();
        cur.bands[0] = make_band(EqBandType::LowCut, 20.0, 0.0, 0.7);
        cur.bands[1] = make_band(EqBandType::Bell, 3000.0, 0.0, 1.0);
        cur.bands[4] = make_band(EqBandType::Bell, 9000.0, 0.0, 1.0);
        let opts = EqAssistOptions {
            max_bands: 3,
            ..Default::default()
        };
        let sug = suggest_eq(&a, &Target::flat(), &opts, &cur);
        sug.validate().unwrap();
        print(&sug);
        assert!(!sug.items.is_empty() && sug.items.len() <= 3);
        for k in sug.values.keys() {
            assert!(
                !k.starts_with("b1_") && !k.starts_with("b2_") && !k.starts_with("b5_"),
                "{k}"
            );
        }
        assert!(sug.warnings.iter().any(|w| w.contains("keep playing")));
        assert!(sug.confidence < 0.5);
        // Nothing heard.
        let silent = vec![0.0f32; 48_000];
        let a = EqAnalysis::analyze(&[&silent], SR).unwrap();
        let sug = suggest_eq(&a, &Target::flat(), &EqAssistOptions::default(), &cur);
        assert!(sug.items.is_empty() && !sug.warnings.is_empty());
        sug.validate().unwrap();
        // JSON round trip of the analysis.
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            serde_json::from_str::<EqAnalysisResult>(&json)
                .unwrap()
                .fft_size,
            a.fft_size
        );
    }

    #[test]
    fn slot_assignment_keeps_order_and_prefers_near_defaults() {
        let slots: Vec<(usize, f64)> = crate::chains::eq::DEFAULT_FREQS_HZ
            .iter()
            .enumerate()
            .map(|(i, f)| (i, *f as f64))
            .collect();
        assert_eq!(
            assign_slots(&[100.0, 1000.0, 10_000.0], &slots),
            vec![1, 3, 7]
        );
        assert_eq!(assign_slots(&[1000.0, 1100.0], &slots), vec![3, 4]);
        assert!((q_from_bandwidth(bell_bandwidth_oct(1.3)) - 1.3).abs() < 1e-9);
        assert!((weighted_median(&[1.0, 5.0, 2.0], &[1.0, 1.0, 1.0]) - 2.0).abs() < 1e-12);
    }
}
