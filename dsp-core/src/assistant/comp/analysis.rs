//! Listening: [`CompAnalysis`] and what it heard, [`CompAnalysisResult`].

use serde::{Deserialize, Serialize};

use super::{
    CREST_WINDOW_MS, DEFAULT_GATE_DBFS, DEFAULT_KEEP_SECONDS, FRAME_MS, MIN_STABLE_SECONDS,
    STABILITY_THRESHOLD_DB, STABILITY_WINDOW_SECONDS,
};
use crate::analysis::features::{detect_onsets, OnsetParams};
use crate::assistant::excerpt::Excerpt;
use crate::assistant::PROCESS_STEP_FRAMES;
use crate::loudness::LoudnessAnalyzer;
use crate::{validate_sample_rate, ConfigError, MAX_CHANNELS};

const HIST_MIN_DB: f32 = -120.0;
const HIST_MAX_DB: f32 = 40.0;
const HIST_STEP_DB: f32 = 0.25;

/// Percentiles of a level (or crest-factor) distribution, dB; `None` when nothing was measured.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LevelPercentiles {
    /// 10th percentile.
    pub p10: Option<f32>,
    /// Median.
    pub p50: Option<f32>,
    /// 90th percentile.
    pub p90: Option<f32>,
    /// 95th percentile.
    pub p95: Option<f32>,
    /// Largest value.
    pub max: Option<f32>,
    /// Number of windows.
    pub count: u64,
}

/// A histogram of dB values in 0.25 dB bins.
#[derive(Debug, Clone)]
struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: f32,
}

impl Histogram {
    fn new() -> Self {
        let bins = ((HIST_MAX_DB - HIST_MIN_DB) / HIST_STEP_DB) as usize + 1;
        Self {
            counts: vec![0; bins],
            total: 0,
            max: f32::NEG_INFINITY,
        }
    }

    fn add(&mut self, db: f32) {
        if !db.is_finite() {
            return;
        }
        let i = ((db.clamp(HIST_MIN_DB, HIST_MAX_DB) - HIST_MIN_DB) / HIST_STEP_DB) as usize;
        let i = i.min(self.counts.len() - 1);
        self.counts[i] += 1;
        self.total += 1;
        self.max = self.max.max(db);
    }

    fn percentile(&self, p: f32) -> Option<f32> {
        if self.total == 0 {
            return None;
        }
        let want = ((p / 100.0) * self.total as f32).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, c) in self.counts.iter().enumerate() {
            acc += c;
            if acc >= want {
                return Some(HIST_MIN_DB + (i as f32 + 0.5) * HIST_STEP_DB);
            }
        }
        Some(self.max)
    }

    fn report(&self) -> LevelPercentiles {
        LevelPercentiles {
            p10: self.percentile(10.0),
            p50: self.percentile(50.0),
            p90: self.percentile(90.0),
            p95: self.percentile(95.0),
            max: (self.total > 0).then_some(self.max),
            count: self.total,
        }
    }
}

/// A running consecutive window: mean square (over channels) and peak.
#[derive(Debug, Clone)]
struct Window {
    len: usize,
    n: usize,
    sum: f64,
    peak: f32,
}

impl Window {
    fn new(ms: f32, sr: f32) -> Self {
        Self {
            len: ((ms as f64 * 1e-3 * sr as f64).round() as usize).max(1),
            n: 0,
            sum: 0.0,
            peak: 0.0,
        }
    }

    /// Adds a frame; returns (level dB, peak) when the window closes.
    #[inline]
    fn push(&mut self, ms: f64, peak: f32) -> Option<(f32, f32)> {
        self.sum += ms;
        self.peak = self.peak.max(peak);
        self.n += 1;
        if self.n < self.len {
            return None;
        }
        let level = power_db(self.sum / self.len as f64);
        let p = self.peak;
        self.n = 0;
        self.sum = 0.0;
        self.peak = 0.0;
        Some((level, p))
    }
}

fn power_db(p: f64) -> f32 {
    if p > 1e-20 && p.is_finite() {
        (10.0 * p.log10()) as f32
    } else {
        -200.0
    }
}

/// Settings of a [`CompAnalysis`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompAnalysisConfig {
    /// Sample rate, Hz.
    pub sample_rate_hz: f32,
    /// Planar channels fed, 1–8.
    pub channels: usize,
    /// Windows below this RMS (dBFS) are silence.
    pub gate_dbfs: f32,
    /// Length of the simulation excerpt, s (1–600).
    pub keep_seconds: f32,
}

impl CompAnalysisConfig {
    /// Defaults: −60 dBFS gate, a 20 s excerpt.
    pub fn new(sample_rate_hz: f32, channels: usize) -> Self {
        Self {
            sample_rate_hz,
            channels,
            gate_dbfs: DEFAULT_GATE_DBFS,
            keep_seconds: DEFAULT_KEEP_SECONDS,
        }
    }
}

/// What [`CompAnalysis`] heard: the input of [`suggest_comp`]. Serialisable without the kept
/// audio (`audio` is skipped; a deserialised result can still be suggested from, but the
/// threshold then comes from the level statistics alone, with a warning).
///
/// [`suggest_comp`]: super::suggest_comp
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CompAnalysisResult {
    /// Sample rate, Hz.
    pub sample_rate_hz: f32,
    /// Channels.
    pub channels: usize,
    /// Seconds of audio fed.
    pub duration_s: f32,
    /// Seconds of non-silent audio (10 ms windows above the gate).
    pub heard_seconds: f32,
    /// The gate, dBFS.
    pub gate_dbfs: f32,
    /// Completed stability windows.
    pub windows: u32,
    /// True once successive windows agreed within [`STABILITY_THRESHOLD_DB`].
    pub stable: bool,
    /// The last window-to-window change, dB (`None` before two windows).
    pub stability_change_db: Option<f32>,
    /// RMS level distribution of 10 ms windows, dBFS.
    pub rms_10ms: LevelPercentiles,
    /// RMS level distribution of 50 ms windows, dBFS.
    pub rms_50ms: LevelPercentiles,
    /// RMS level distribution of 400 ms windows, dBFS.
    pub rms_400ms: LevelPercentiles,
    /// Crest factor distribution of 200 ms windows, dB.
    pub crest_200ms: LevelPercentiles,
    /// Sample peak, dBFS.
    pub sample_peak_dbfs: Option<f32>,
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f32>,
    /// Loudness range, LU.
    pub loudness_range_lu: f32,
    /// Peak-to-loudness ratio: sample peak − integrated loudness, dB.
    pub plr_db: Option<f32>,
    /// Onsets found in the kept audio.
    pub onset_count: u32,
    /// Onsets per second of kept audio.
    pub onsets_per_s: f32,
    /// Mean 10→90 % transient rise time, ms.
    pub rise_time_ms: Option<f32>,
    /// Median inter-onset interval, ms.
    pub median_ioi_ms: Option<f32>,
    /// Tempo implied by the inter-onset interval, folded into 70–180 BPM.
    pub tempo_bpm: Option<f32>,
    /// The excerpt (planar), for simulation. Not serialised.
    #[serde(skip)]
    pub audio: Vec<Vec<f32>>,
}

/// Streaming analysis for the compressor assistant. Fed planar chunks of any length on an
/// analysis thread; allocates at construction, when closing a stability window (a little) and
/// in [`result`](Self::result).
pub struct CompAnalysis {
    config: CompAnalysisConfig,
    w10: Window,
    w50: Window,
    w200: Window,
    w400: Window,
    h10: Histogram,
    h50: Histogram,
    h400: Histogram,
    crest: Histogram,
    loudness: LoudnessAnalyzer,
    peak: f32,
    frames: u64,
    heard_windows: u64,
    windows_per_stability: u64,
    next_stability_at: u64,
    prev: Option<(f32, f32)>,
    last_change: Option<f32>,
    windows: u32,
    excerpt: Excerpt,
    clean: Vec<Vec<f32>>,
}

impl std::fmt::Debug for CompAnalysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompAnalysis")
            .field("config", &self.config)
            .field("frames", &self.frames)
            .field("windows", &self.windows)
            .finish()
    }
}

impl CompAnalysis {
    /// Builds the analysis. Errors for a sample rate outside 8–768 kHz, 0 or more than 8
    /// channels, or a non-finite gate / keep length.
    pub fn new(config: CompAnalysisConfig) -> Result<Self, ConfigError> {
        validate_sample_rate(config.sample_rate_hz)?;
        if config.channels == 0 || config.channels > MAX_CHANNELS {
            return Err(ConfigError::Channels(config.channels));
        }
        if !config.gate_dbfs.is_finite() || !(1.0..=600.0).contains(&config.keep_seconds) {
            return Err(ConfigError::Invalid(
                "gate must be finite and keep_seconds within 1..=600",
            ));
        }
        let sr = config.sample_rate_hz;
        let w10 = Window::new(FRAME_MS, sr);
        let windows_per_stability =
            ((STABILITY_WINDOW_SECONDS * sr) as u64 / w10.len as u64).max(1);
        Ok(Self {
            config,
            w10,
            w50: Window::new(50.0, sr),
            w200: Window::new(CREST_WINDOW_MS, sr),
            w400: Window::new(400.0, sr),
            h10: Histogram::new(),
            h50: Histogram::new(),
            h400: Histogram::new(),
            crest: Histogram::new(),
            loudness: LoudnessAnalyzer::with_true_peak(config.channels, sr, false)?,
            peak: 0.0,
            frames: 0,
            heard_windows: 0,
            windows_per_stability,
            next_stability_at: windows_per_stability,
            prev: None,
            last_change: None,
            windows: 0,
            excerpt: Excerpt::new(sr, config.channels, config.keep_seconds),
            clean: vec![Vec::new(); config.channels],
        })
    }

    /// The configuration.
    pub fn config(&self) -> &CompAnalysisConfig {
        &self.config
    }

    /// Feeds planar channels (one slice per configured channel; the shortest length is used;
    /// missing channels read as silence, extra ones are ignored). Non-finite samples count as 0.
    /// A whole file may come at once: it is read in steps of [`PROCESS_STEP_FRAMES`], so the
    /// cleaned copy stays that short (every statistic streams, so the result is the same).
    pub fn process(&mut self, channels: &[&[f32]]) {
        let nch = self.config.channels;
        let n = channels
            .iter()
            .take(nch)
            .map(|c| c.len())
            .min()
            .unwrap_or(0);
        let mut start = 0;
        while start < n {
            let end = n.min(start + PROCESS_STEP_FRAMES);
            let step: Vec<&[f32]> = channels.iter().take(nch).map(|c| &c[start..end]).collect();
            self.process_step(&step, end - start);
            start = end;
        }
    }

    /// [`Self::process`] of `n` frames (at most [`PROCESS_STEP_FRAMES`]).
    fn process_step(&mut self, channels: &[&[f32]], n: usize) {
        let nch = self.config.channels;
        if channels.len() >= nch {
            self.loudness.process(&channels[..nch]);
        }
        let gate = self.config.gate_dbfs;
        let inv = 1.0 / nch as f64;
        for (c, clean) in self.clean.iter_mut().enumerate() {
            clean.clear();
            match channels.get(c) {
                Some(ch) => clean.extend(ch[..n].iter().map(|&x| crate::util::sanitize(x))),
                None => clean.resize(n, 0.0),
            }
        }
        {
            let refs: Vec<&[f32]> = self.clean.iter().map(|c| c.as_slice()).collect();
            self.excerpt.process(&refs);
        }
        for i in 0..n {
            let mut ms = 0.0f64;
            let mut pk = 0.0f32;
            for clean in &self.clean {
                let x = clean[i];
                ms += (x as f64) * (x as f64);
                pk = pk.max(x.abs());
            }
            ms *= inv;
            self.peak = self.peak.max(pk);
            if let Some((l, _)) = self.w10.push(ms, pk) {
                if l >= gate {
                    self.h10.add(l);
                    self.heard_windows += 1;
                }
            }
            if let Some((l, _)) = self.w50.push(ms, pk) {
                if l >= gate {
                    self.h50.add(l);
                }
            }
            if let Some((l, p)) = self.w200.push(ms, pk) {
                if l >= gate {
                    self.crest.add(crate::util::gain_to_db(p) - l);
                }
            }
            if let Some((l, _)) = self.w400.push(ms, pk) {
                if l >= gate {
                    self.h400.add(l);
                }
            }
            if self.heard_windows >= self.next_stability_at {
                self.next_stability_at += self.windows_per_stability;
                self.close_stability_window();
            }
        }
        self.frames += n as u64;
    }

    fn close_stability_window(&mut self) {
        self.windows += 1;
        let now = (
            self.h50.percentile(90.0).unwrap_or(-200.0),
            self.crest.percentile(50.0).unwrap_or(0.0),
        );
        if let Some(prev) = self.prev {
            self.last_change = Some((now.0 - prev.0).abs().max((now.1 - prev.1).abs()));
        }
        self.prev = Some(now);
    }

    /// Clears everything heard.
    pub fn reset(&mut self) {
        if let Ok(fresh) = Self::new(self.config) {
            *self = fresh;
        }
    }

    /// Seconds heard above the gate (10 ms windows), as [`CompAnalysisResult::heard_seconds`]
    /// reports them, without building a result.
    pub fn heard_seconds(&self) -> f32 {
        self.heard_windows as f32 * (self.w10.len as f32 / self.config.sample_rate_hz)
    }

    /// [`CompAnalysisResult::stable`] without building a result: no allocation, no onset
    /// detection (what an analysis thread asks after every chunk it feeds).
    pub fn is_stable(&self) -> bool {
        self.heard_seconds() >= MIN_STABLE_SECONDS
            && self.last_change.is_some_and(|c| c < STABILITY_THRESHOLD_DB)
    }

    /// What was heard so far (allocates; runs onset detection on the excerpt).
    pub fn result(&self) -> CompAnalysisResult {
        let sr = self.config.sample_rate_hz;
        let audio = self.excerpt.audio();
        let refs: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
        let onsets = detect_onsets(&refs, sr, &OnsetParams::default()).unwrap_or_default();
        let stats = self.loudness.stats();
        let integrated = stats.integrated_lufs.map(|v| v as f32);
        let peak_db = (self.peak > 1e-10).then(|| crate::util::gain_to_db(self.peak));
        let tempo = onsets.median_ioi_ms.and_then(|ioi| {
            if ioi <= 0.0 {
                return None;
            }
            let mut bpm = 60_000.0 / ioi as f32;
            while bpm > 180.0 {
                bpm *= 0.5;
            }
            while bpm < 70.0 {
                bpm *= 2.0;
            }
            Some(bpm)
        });
        let heard_seconds = self.heard_seconds();
        CompAnalysisResult {
            sample_rate_hz: sr,
            channels: self.config.channels,
            duration_s: self.frames as f32 / sr,
            heard_seconds,
            gate_dbfs: self.config.gate_dbfs,
            windows: self.windows,
            stable: self.is_stable(),
            stability_change_db: self.last_change,
            rms_10ms: self.h10.report(),
            rms_50ms: self.h50.report(),
            rms_400ms: self.h400.report(),
            crest_200ms: self.crest.report(),
            sample_peak_dbfs: peak_db,
            integrated_lufs: integrated,
            loudness_range_lu: stats.loudness_range_lu as f32,
            plr_db: peak_db.zip(integrated).map(|(p, l)| p - l),
            onset_count: onsets.onset_times_s.len() as u32,
            onsets_per_s: onsets.onsets_per_s as f32,
            rise_time_ms: onsets.mean_rise_time_ms.map(|v| v as f32),
            median_ioi_ms: onsets.median_ioi_ms.map(|v| v as f32),
            tempo_bpm: tempo,
            audio,
        }
    }

    /// One-shot analysis of whole planar channels at `sample_rate_hz`: statistics and the
    /// excerpt cover all of it.
    pub fn analyze(
        channels: &[&[f32]],
        sample_rate_hz: f32,
    ) -> Result<CompAnalysisResult, ConfigError> {
        let mut a = Self::new(CompAnalysisConfig::new(sample_rate_hz, channels.len()))?;
        a.process(channels);
        Ok(a.result())
    }
}
