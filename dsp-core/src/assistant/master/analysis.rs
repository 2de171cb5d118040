//! Listening: [`MasterAnalysis`] and what it heard, [`MasterAnalysisResult`].

use serde::{Deserialize, Serialize};

use super::{LOW_END_HZ, MIN_STABLE_SECONDS, SIM_MAX_SECONDS};
use crate::assistant::eq::{EqAnalysis, EqAnalysisConfig, EqAnalysisResult};
use crate::assistant::excerpt::Excerpt;
use crate::assistant::PROCESS_STEP_FRAMES;
use crate::loudness::{LoudnessAnalyzer, LoudnessStats};
use crate::{validate_sample_rate, ConfigError};

/// What [`MasterAnalysis`] heard: the input of [`suggest_master`](super::suggest_master).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterAnalysisResult {
    /// Sample rate in Hz.
    pub sample_rate_hz: f32,
    /// Channels (1 or 2).
    pub channels: usize,
    /// Seconds fed in total.
    pub duration_s: f64,
    /// Seconds of non-silent audio (as the tonal analysis gates it).
    pub heard_seconds: f32,
    /// True once the tonal estimate stopped changing and at least [`MIN_STABLE_SECONDS`] were
    /// heard.
    pub stable: bool,
    /// Integrated loudness, LUFS (`None`: silence).
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range_lu: f64,
    /// True peak, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Maximum short-term loudness, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Peak-to-loudness ratio, true peak − integrated, dB.
    pub plr_db: Option<f64>,
    /// Stereo correlation (Pearson, whole signal) (`None`: mono or silent).
    pub correlation: Option<f32>,
    /// Side/mid energy ratio below [`LOW_END_HZ`], dB (`None`: mono or silent).
    pub low_side_to_mid_db: Option<f32>,
    /// The tonal analysis (1/6-octave band curve etc.).
    pub tonal: EqAnalysisResult,
    /// The excerpt kept for simulation, planar (not serialised).
    #[serde(skip)]
    pub audio: Vec<Vec<f32>>,
}

/// Streaming analysis for the mastering assistant (analysis thread; allocates).
///
/// The simulation excerpt is an [`Excerpt`] of at most `SIM_MAX_SECONDS` (scaled down above
/// 96 kHz): chunks chosen so their loudness spreads like the whole programme's, joined with
/// crossfades.
pub struct MasterAnalysis {
    sample_rate_hz: f32,
    channels: usize,
    eq: EqAnalysis,
    loudness: LoudnessAnalyzer,
    sums: [f64; 5],
    frames: u64,
    excerpt: Excerpt,
}

impl std::fmt::Debug for MasterAnalysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterAnalysis")
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("channels", &self.channels)
            .field("frames", &self.frames)
            .finish()
    }
}

impl MasterAnalysis {
    /// An analysis for `channels` (1 or 2) planar channels at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f32, channels: usize) -> Result<Self, ConfigError> {
        Self::build(sample_rate_hz, channels)
    }

    /// The same as [`MasterAnalysis::new`], for a plugin's analysis thread.
    pub fn live(sample_rate_hz: f32, channels: usize) -> Result<Self, ConfigError> {
        Self::build(sample_rate_hz, channels)
    }

    fn build(sample_rate_hz: f32, channels: usize) -> Result<Self, ConfigError> {
        validate_sample_rate(sample_rate_hz)?;
        if !(1..=2).contains(&channels) {
            return Err(ConfigError::Channels(channels));
        }
        let max_seconds = SIM_MAX_SECONDS * 96_000.0f32.min(sample_rate_hz) / sample_rate_hz;
        Ok(Self {
            sample_rate_hz,
            channels,
            eq: EqAnalysis::new(EqAnalysisConfig::new(sample_rate_hz, channels))?,
            loudness: LoudnessAnalyzer::new(channels, sample_rate_hz)?,
            sums: [0.0; 5],
            frames: 0,
            excerpt: Excerpt::new(sample_rate_hz, channels, max_seconds),
        })
    }

    /// One-shot analysis of whole planar channels.
    pub fn analyze(
        channels: &[&[f32]],
        sample_rate_hz: f32,
    ) -> Result<MasterAnalysisResult, ConfigError> {
        let mut a = Self::new(sample_rate_hz, channels.len())?;
        a.process(channels);
        Ok(a.result())
    }

    /// Clears everything heard.
    pub fn reset(&mut self) {
        self.eq.reset();
        self.loudness.reset();
        self.sums = [0.0; 5];
        self.frames = 0;
        self.excerpt.reset();
    }

    /// Feeds planar chunks (extra channels are ignored, missing ones repeat the first;
    /// non-finite samples read as 0). A whole file may come at once: it is read in steps of
    /// [`PROCESS_STEP_FRAMES`], so the cleaned copy stays that short and each step is still in
    /// cache for the next measurement (every measurement streams, so the result is the same).
    pub fn process(&mut self, channels: &[&[f32]]) {
        if channels.is_empty() {
            return;
        }
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < n {
            let end = n.min(start + PROCESS_STEP_FRAMES);
            let step: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
            self.process_step(&step);
            start = end;
        }
    }

    /// [`Self::process`] of at most [`PROCESS_STEP_FRAMES`] (equal lengths).
    fn process_step(&mut self, channels: &[&[f32]]) {
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let clean: Vec<Vec<f32>> = (0..self.channels)
            .map(|c| {
                channels[c.min(channels.len() - 1)][..n]
                    .iter()
                    .map(|&x| crate::util::sanitize(x))
                    .collect()
            })
            .collect();
        let refs: Vec<&[f32]> = clean.iter().map(|c| c.as_slice()).collect();
        self.eq.process(&refs);
        self.loudness.process(&refs);
        if self.channels == 2 {
            for (&l, &r) in clean[0].iter().zip(&clean[1]) {
                let (l, r) = (l as f64, r as f64);
                self.sums[0] += l;
                self.sums[1] += r;
                self.sums[2] += l * l;
                self.sums[3] += r * r;
                self.sums[4] += l * r;
            }
        }
        self.frames += n as u64;
        self.excerpt.process(&refs);
    }

    /// (heard seconds, stable): what [`Self::result`] reports as `heard_seconds` and `stable`,
    /// without building the excerpt and the measurements (the plugin polls it twice a second).
    pub fn status(&self) -> (f32, bool) {
        let heard = self.eq.heard_seconds();
        (heard, self.eq.is_stable() && heard >= MIN_STABLE_SECONDS)
    }

    /// The excerpt kept for simulation (planar, see [`Excerpt::audio`]).
    pub fn excerpt(&self) -> Vec<Vec<f32>> {
        self.excerpt.audio()
    }

    /// The full BS.1770 / R128 measurement of everything fed: the values
    /// [`crate::loudness::measure`] gives for the same channels (non-finite samples read as 0;
    /// the true peak by the live interpolator for [`Self::live`]), so a caller that also reports
    /// the input's loudness need not measure it again.
    pub fn loudness_stats(&self) -> LoudnessStats {
        self.loudness.stats()
    }

    /// What was heard so far (the excerpt included).
    pub fn result(&self) -> MasterAnalysisResult {
        let stats: LoudnessStats = self.loudness.stats();
        let tonal = self.eq.result();
        let audio = self.excerpt();
        let (correlation, low_side_to_mid_db) = if self.channels == 2 && self.frames > 0 {
            let n = self.frames as f64;
            let [sl, sr, sll, srr, slr] = self.sums;
            let vl = sll / n - (sl / n).powi(2);
            let vr = srr / n - (sr / n).powi(2);
            let cov = slr / n - (sl / n) * (sr / n);
            let corr = (vl > 1e-12 && vr > 1e-12).then(|| (cov / (vl * vr).sqrt()) as f32);
            let low = crate::analysis::features::side_mid_ratio_db(
                &audio[0],
                &audio[1],
                self.sample_rate_hz,
                &[(20.0, LOW_END_HZ)],
            )
            .ok()
            .and_then(|b| b.first().and_then(|b| b.side_to_mid_db));
            (corr.map(|c| c.clamp(-1.0, 1.0)), low)
        } else {
            (None, None)
        };
        let plr_db = match (stats.true_peak_dbtp, stats.integrated_lufs) {
            (Some(tp), Some(i)) => Some(tp - i),
            _ => None,
        };
        MasterAnalysisResult {
            sample_rate_hz: self.sample_rate_hz,
            channels: self.channels,
            duration_s: self.frames as f64 / self.sample_rate_hz as f64,
            heard_seconds: tonal.heard_seconds,
            stable: tonal.stable && tonal.heard_seconds >= MIN_STABLE_SECONDS,
            integrated_lufs: stats.integrated_lufs,
            loudness_range_lu: stats.loudness_range_lu,
            true_peak_dbtp: stats.true_peak_dbtp,
            max_short_term_lufs: stats.max_short_term_lufs,
            plr_db,
            correlation,
            low_side_to_mid_db,
            tonal,
            audio,
        }
    }
}
