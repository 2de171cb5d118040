//! The compressor assistant: listens to the dynamics of the material and proposes
//! [`CompSettings`] for a compression style, with the measured reasons.
//!
//! # Listening: [`CompAnalysis`]
//! Fed planar chunks on an analysis thread (or all at once with [`CompAnalysis::analyze`]). It
//! measures, over all channels (mean square averaged over channels, peak = largest channel):
//! - the **short-term level distribution**: RMS over consecutive 10 ms, 50 ms and 400 ms windows,
//!   as histograms (0.25 dB bins) of the non-silent windows (above the −60 dBFS gate), reported
//!   as percentiles ([`LevelPercentiles`]);
//! - the **crest factor** (peak / RMS, dB) of consecutive 200 ms non-silent windows (percentiles);
//! - BS.1770 **integrated loudness**, **loudness range** (EBU Tech 3342) and the sample peak,
//!   hence the **peak-to-loudness ratio** PLR = sample peak (dBFS) − integrated (LUFS);
//! - **onsets** ([`detect_onsets`], default [`OnsetParams`]) on the kept audio: onset rate, mean
//!   10→90 % **transient rise time**, median **inter-onset interval** and the tempo it implies;
//! - an excerpt of everything heard for simulation, at most [`CompAnalysisConfig::keep_seconds`]
//!   long, stratified by loudness so its loud and quiet passages stand in the song's proportions
//!   ([`Excerpt`]): a quiet last half minute no longer sets the threshold for the tutti.
//!
//! Every statistic covers everything heard, in bounded memory (histograms, the excerpt).
//! Every [`STABILITY_WINDOW_SECONDS`] of heard audio the 90th percentile of the 50 ms levels and
//! the median crest factor are compared with the previous window's; the analysis is *stable* once
//! both moved by less than [`STABILITY_THRESHOLD_DB`] and at least [`MIN_STABLE_SECONDS`] were
//! heard.
//!
//! # Average gain reduction (the definition used everywhere)
//! [`average_gain_reduction`] runs the real [`CompChain`] (internal key) over the audio in 1 ms
//! sub-blocks and reads [`CompChain::gain_reduction_db`] after each. The timeline is cut into
//! 10 ms frames (10 sub-blocks); a frame's gain reduction is the mean of its readings and its
//! level is the mean square (over channels) of the *input delayed by the chain's latency* (so
//! level and gain reduction refer to the same audio). A frame is **loud** when its level is above
//! the gate (−60 dBFS) and within [`LOUD_RELATIVE_DB`] (20 dB) of the power average of all frames
//! above the gate. The average gain reduction is the arithmetic mean (dB) over the loud frames.
//!
//! # Proposing: [`suggest_comp`]
//! Ratio, knee, detector, lookahead and auto release come from the style ([`StyleParams`], data
//! in `data/comp_styles.json`). Attack = clamp(`attack_rise_factor` × rise time) to the style's
//! range (styles that *let through* use an attack longer than the rise, styles that *catch* one
//! at or below it); release = clamp(`release_ioi_factor` × inter-onset interval). The threshold
//! is then **solved** by bisection so that [`average_gain_reduction`] on the excerpt (at most
//! [`CompSuggestOptions::sim_seconds`] of it) equals the style's target, and the makeup so the
//! integrated loudness of the output equals the input's (measured after simulation,
//! `auto_makeup` off). Everything is a pure function of its inputs; it never panics.
//!
//! The **material** changes the style's proposal ([`MaterialRule`], the `material` record of
//! the style data, where the rule and its sources are written down): the target gain reduction
//! is scaled by a density factor from the peak-to-loudness ratio, and below
//! `decline_below_db` the assistant declines with an item that changes nothing ("Already dense:
//! little to gain"); a loudness range of `dynamic_lra_lu` or more limits the ratio; styles with a
//! [`CrestBackoff`] (Transient control) back off on a low crest factor. An explicit target
//! ([`CompSuggestOptions::target_avg_gr_db`]) is the engineer's and is not scaled. Each value
//! that a range or limit held says so in its reason. Confidence comes from the coverage of the
//! song, the stability of the level statistics across windows, whether the threshold was solved
//! or held at a limit, and how much compression the material calls for.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::excerpt::Excerpt;
use super::{Suggestion, SuggestionItem};
use crate::analysis::features::{detect_onsets, OnsetParams};
use crate::chains::comp::{ids, CompChain, CompDetector, CompSettings};
use crate::loudness::LoudnessAnalyzer;
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig, MAX_CHANNELS};

/// The built-in style data (JSON).
pub const STYLES_JSON: &str = include_str!("../../data/comp_styles.json");
/// Default gate: windows below this RMS (dBFS) are silence.
pub const DEFAULT_GATE_DBFS: f32 = -60.0;
/// Loud frames are within this many dB of the power average of the non-silent frames.
pub const LOUD_RELATIVE_DB: f32 = 20.0;
/// Gain-reduction frame length, ms.
pub const FRAME_MS: f32 = 10.0;
/// Crest-factor window, ms.
pub const CREST_WINDOW_MS: f32 = 200.0;
/// Default length of the simulation excerpt, s.
pub const DEFAULT_KEEP_SECONDS: f32 = 20.0;
/// Seconds of heard audio before the analysis can be stable.
pub const MIN_STABLE_SECONDS: f32 = 30.0;
/// Length of one stability window, s of heard audio.
pub const STABILITY_WINDOW_SECONDS: f32 = 5.0;
/// Stable once successive windows move the 50 ms p90 level and median crest by less than this, dB.
pub const STABILITY_THRESHOLD_DB: f32 = 0.5;
/// Seconds of heard audio after which the evidence counts as complete.
pub const FULL_CONFIDENCE_SECONDS: f32 = MIN_STABLE_SECONDS;
/// Less heard audio than this gives an empty suggestion, s.
pub const MIN_HEARD_SECONDS: f32 = 1.0;

const HIST_MIN_DB: f32 = -120.0;
const HIST_MAX_DB: f32 = 40.0;
const HIST_STEP_DB: f32 = 0.25;

// ---------------------------------------------------------------------------------------------
// Styles
// ---------------------------------------------------------------------------------------------

/// A compression style. The order is the plugin's `comp_style` enum index and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CompStyle {
    /// Transparent control: low ratio, wide knee, about 2 dB.
    Gentle,
    /// Bus glue: 4:1, transients through, release with the groove, about 3 dB.
    #[default]
    Glue,
    /// Punch: slow attack lets hits through, quick release, about 5 dB.
    Punch,
    /// Vocal leveler (key `vocal`): catches syllables, smooth release, about 5 dB.
    Vocal,
    /// Transient control (key `transient`): catches the peaks themselves.
    Transient,
}

impl CompStyle {
    /// All styles in index order.
    pub const ALL: [CompStyle; 5] = [
        CompStyle::Gentle,
        CompStyle::Glue,
        CompStyle::Punch,
        CompStyle::Vocal,
        CompStyle::Transient,
    ];

    /// The stable key used in the data file and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            CompStyle::Gentle => "gentle",
            CompStyle::Glue => "glue",
            CompStyle::Punch => "punch",
            CompStyle::Vocal => "vocal",
            CompStyle::Transient => "transient",
        }
    }

    /// The display name, e.g. `"Vocal leveler"`.
    pub fn name(self) -> &'static str {
        match self {
            CompStyle::Gentle => "Gentle",
            CompStyle::Glue => "Glue",
            CompStyle::Punch => "Punch",
            CompStyle::Vocal => "Vocal leveler",
            CompStyle::Transient => "Transient control",
        }
    }

    /// The enum index (0–4).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&s| s == self).unwrap_or(0)
    }

    /// From a plain parameter value (rounded, clamped; NaN → Gentle).
    pub fn from_value(value: f32) -> Self {
        let i = if value.is_finite() {
            value.round().clamp(0.0, 4.0) as usize
        } else {
            0
        };
        Self::ALL[i]
    }

    /// From its key (case-insensitive).
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.key().eq_ignore_ascii_case(key.trim()))
    }

    /// The style's parameters from the built-in data.
    pub fn params(self) -> StyleParams {
        parsed()
            .1
            .iter()
            .find(|p| p.key == self.key())
            .cloned()
            .unwrap_or_else(|| StyleParams::fallback(self))
    }
}

/// Whether a style lets transients through or catches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransientHandling {
    /// Attack longer than the rise time: the transient passes, the sustain is compressed.
    LetThrough,
    /// Attack at or below the rise time: the transient is compressed.
    Catch,
}

/// One style's parameters (a record of `data/comp_styles.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleParams {
    /// Stable key, e.g. `"glue"`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Version of this style's numbers.
    pub version: u32,
    /// Where the numbers come from (reference keys of the data file and a summary).
    pub source: String,
    /// Target average gain reduction over loud frames, dB (see [`average_gain_reduction`]).
    pub target_avg_gr_db: f32,
    /// Ratio (≥ 100 = ∞:1).
    pub ratio: f32,
    /// Knee width, dB.
    pub knee_db: f32,
    /// `"peak"` or `"rms"`.
    pub detector: String,
    /// Let transients through or catch them.
    pub transients: TransientHandling,
    /// attack = this × measured rise time (then clamped to `attack_ms`).
    pub attack_rise_factor: f32,
    /// Practitioner attack range `[min, max]`, ms.
    pub attack_ms: [f32; 2],
    /// Attack without onsets, ms.
    pub default_attack_ms: f32,
    /// release = this × median inter-onset interval (then clamped to `release_ms`).
    pub release_ioi_factor: f32,
    /// Practitioner release range `[min, max]`, ms.
    pub release_ms: [f32; 2],
    /// Release without onsets, ms.
    pub default_release_ms: f32,
    /// Lookahead, ms.
    pub lookahead_ms: f32,
    /// Program-dependent release.
    pub auto_release: bool,
    /// How the style backs off on material with a low crest factor (`None`: it does not).
    #[serde(default)]
    pub crest_backoff: Option<CrestBackoff>,
}

/// A style's back-off on low-crest material (a record of the style data): below `below_db` of
/// median 200 ms crest factor, the ratio is at most `max_ratio`, the attack at least
/// `min_attack_ms` and the target gain reduction scaled by `target_scale`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CrestBackoff {
    /// Crest factor below which the style backs off, dB.
    pub below_db: f32,
    /// Largest ratio on such material.
    pub max_ratio: f32,
    /// Shortest attack on such material, ms.
    pub min_attack_ms: f32,
    /// Target gain reduction scale on such material.
    pub target_scale: f32,
}

/// How the material changes every style's proposal (the `material` record of the style data;
/// its `about` states the rule and its sources).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MaterialRule {
    /// PLR range over which the target gain reduction goes from 0 to the style's, dB.
    pub dense_plr_db: [f32; 2],
    /// A scaled target below this declines, dB.
    pub decline_below_db: f32,
    /// Loudness range from which the ratio is limited, LU.
    pub dynamic_lra_lu: f32,
    /// The largest ratio on such material.
    pub dynamic_max_ratio: f32,
}

impl Default for MaterialRule {
    /// The numbers of the data file (used only if it lacked the record).
    fn default() -> Self {
        Self {
            dense_plr_db: [9.0, 13.0],
            decline_below_db: 0.5,
            dynamic_lra_lu: 12.0,
            dynamic_max_ratio: 2.0,
        }
    }
}

impl MaterialRule {
    /// The density factor (0–1) for a peak-to-loudness ratio; 1 when unknown.
    pub fn density_factor(&self, plr_db: Option<f32>) -> f32 {
        let [lo, hi] = self.dense_plr_db;
        match plr_db.filter(|p| p.is_finite()) {
            Some(p) if hi > lo => ((p - lo) / (hi - lo)).clamp(0.0, 1.0),
            _ => 1.0,
        }
    }
}

/// The material rule of the built-in style data.
pub fn material_rule() -> MaterialRule {
    parsed().2
}

impl StyleParams {
    /// The detector as the chain's enum.
    pub fn detector(&self) -> CompDetector {
        if self.detector.eq_ignore_ascii_case("rms") {
            CompDetector::Rms
        } else {
            CompDetector::Peak
        }
    }

    /// Conservative built-in numbers used only if the data file lacked the style.
    fn fallback(style: CompStyle) -> Self {
        Self {
            key: style.key().into(),
            name: style.name().into(),
            version: 0,
            source: "built-in fallback".into(),
            target_avg_gr_db: 2.0,
            ratio: 2.0,
            knee_db: 6.0,
            detector: "rms".into(),
            transients: TransientHandling::LetThrough,
            attack_rise_factor: 3.0,
            attack_ms: [5.0, 30.0],
            default_attack_ms: 10.0,
            release_ioi_factor: 1.0,
            release_ms: [100.0, 1000.0],
            default_release_ms: 200.0,
            lookahead_ms: 0.0,
            auto_release: false,
            crest_backoff: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct StyleFile {
    version: u32,
    styles: Vec<StyleParams>,
    #[serde(default)]
    material: MaterialRule,
}

fn parsed() -> &'static (u32, Vec<StyleParams>, MaterialRule) {
    static CELL: OnceLock<(u32, Vec<StyleParams>, MaterialRule)> = OnceLock::new();
    CELL.get_or_init(|| match serde_json::from_str::<StyleFile>(STYLES_JSON) {
        Ok(f) => (f.version, f.styles, f.material),
        // Compiled in and checked by the tests; never fail at run time.
        Err(_) => (0, Vec::new(), MaterialRule::default()),
    })
}

/// The version of the built-in style set (the data file's `version`).
pub fn styles_version() -> u32 {
    parsed().0
}

// ---------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------

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
    pub fn process(&mut self, channels: &[&[f32]]) {
        let nch = self.config.channels;
        let n = channels
            .iter()
            .take(nch)
            .map(|c| c.len())
            .min()
            .unwrap_or(0);
        if n == 0 {
            return;
        }
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
        let w10_s = self.w10.len as f32 / sr;
        let heard_seconds = self.heard_windows as f32 * w10_s;
        CompAnalysisResult {
            sample_rate_hz: sr,
            channels: self.config.channels,
            duration_s: self.frames as f32 / sr,
            heard_seconds,
            gate_dbfs: self.config.gate_dbfs,
            windows: self.windows,
            stable: heard_seconds >= MIN_STABLE_SECONDS
                && self.last_change.is_some_and(|c| c < STABILITY_THRESHOLD_DB),
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

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/// The result of running the chain over audio ([`average_gain_reduction`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GainReductionReport {
    /// Mean gain reduction over the loud frames, dB (0 when there are none).
    pub average_db: f32,
    /// Largest frame gain reduction, dB.
    pub max_db: f32,
    /// Loud frames counted.
    pub loud_frames: usize,
    /// All frames.
    pub frames: usize,
    /// The chain's output, latency-compensated, the input's length (empty unless asked for).
    pub output: Vec<Vec<f32>>,
}

/// Runs a fresh [`CompChain`] with `settings` (internal key) over `channels` and measures the
/// average gain reduction over loud frames, as defined in the module docs. With `keep_output`
/// the latency-compensated output is returned too. Allocates (analysis threads only).
pub fn average_gain_reduction(
    settings: &CompSettings,
    channels: &[&[f32]],
    sample_rate_hz: f32,
    keep_output: bool,
) -> Result<GainReductionReport, ConfigError> {
    let nch = channels.len();
    let len = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    let sub = ((sample_rate_hz as f64 * 1e-3).round() as usize).max(1);
    let frame = sub * 10;
    let cfg = ProcessorConfig::new(sample_rate_hz, frame, nch)?;
    let s = CompSettings {
        sc_external: false,
        ..*settings
    };
    let mut chain = CompChain::new(cfg, &s)?;
    let lat = chain.latency_samples();
    let total = len + lat;
    let n_frames = total.div_ceil(frame);
    let mut buf = vec![vec![0.0f32; frame]; nch];
    let mut out: Vec<Vec<f32>> = if keep_output {
        vec![Vec::with_capacity(len); nch]
    } else {
        Vec::new()
    };
    let mut frame_gr = Vec::with_capacity(n_frames);
    let mut frame_ms = Vec::with_capacity(n_frames);
    for f in 0..n_frames {
        let a = f * frame;
        let b = (a + frame).min(total);
        let m = b - a;
        // Input (zero-padded past the end) and the latency-delayed input level.
        let mut ms = 0.0f64;
        for (b, ch) in buf.iter_mut().zip(channels) {
            for (k, v) in b[..m].iter_mut().enumerate() {
                let i = a + k;
                *v = if i < len { ch[i] } else { 0.0 };
                if i >= lat && i - lat < len {
                    let x = crate::util::sanitize(ch[i - lat]) as f64;
                    ms += x * x;
                }
            }
        }
        frame_ms.push(ms / (m * nch.max(1)) as f64);
        let mut gr_sum = 0.0f32;
        let mut readings = 0;
        let mut pos = 0;
        while pos < m {
            let e = (pos + sub).min(m);
            let mut block: Vec<&mut [f32]> = buf.iter_mut().map(|v| &mut v[pos..e]).collect();
            chain.process(&mut block);
            gr_sum += chain.gain_reduction_db();
            readings += 1;
            pos = e;
        }
        frame_gr.push(gr_sum / readings.max(1) as f32);
        if keep_output {
            // Drop the first `lat` output samples (latency compensation).
            let skip = lat.saturating_sub(a).min(m);
            for (o, b) in out.iter_mut().zip(&buf) {
                let room = len - o.len();
                let take = (m - skip).min(room);
                o.extend_from_slice(&b[skip..skip + take]);
            }
        }
    }
    let gate = 10f64.powf(DEFAULT_GATE_DBFS as f64 / 10.0);
    let (mut sum, mut cnt) = (0.0f64, 0usize);
    for &m in &frame_ms {
        if m >= gate {
            sum += m;
            cnt += 1;
        }
    }
    let mut report = GainReductionReport {
        frames: n_frames,
        output: out,
        ..Default::default()
    };
    if cnt == 0 {
        return Ok(report);
    }
    let loud = (sum / cnt as f64) * 10f64.powf(-LOUD_RELATIVE_DB as f64 / 10.0);
    let (mut gsum, mut gcnt) = (0.0f64, 0usize);
    for (&m, &g) in frame_ms.iter().zip(&frame_gr) {
        if m >= gate && m >= loud {
            gsum += g as f64;
            gcnt += 1;
            report.max_db = report.max_db.max(g);
        }
    }
    report.loud_frames = gcnt;
    report.average_db = if gcnt > 0 {
        (gsum / gcnt as f64) as f32
    } else {
        0.0
    };
    Ok(report)
}

/// Integrated loudness (LUFS) of planar channels, without true peak.
pub fn integrated_lufs(channels: &[&[f32]], sample_rate_hz: f32) -> Option<f32> {
    let mut a = LoudnessAnalyzer::with_true_peak(channels.len(), sample_rate_hz, false).ok()?;
    a.process(channels);
    a.integrated_lufs().map(|v| v as f32)
}

// ---------------------------------------------------------------------------------------------
// Suggestion
// ---------------------------------------------------------------------------------------------

/// Options of [`suggest_comp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompSuggestOptions {
    /// At most this many seconds of the kept audio (its loudest part) are simulated.
    pub sim_seconds: f32,
    /// Overrides the style's target average gain reduction, dB.
    pub target_avg_gr_db: Option<f32>,
}

impl Default for CompSuggestOptions {
    /// 20 s simulated, the style's target.
    fn default() -> Self {
        Self {
            sim_seconds: 20.0,
            target_avg_gr_db: None,
        }
    }
}

fn fmt_opt(v: Option<f32>, unit: &str) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.1} {unit}"))
}

fn round_to(v: f32, step: f32) -> f32 {
    (v / step).round() * step
}

/// Proposes compressor settings for `style` from what was heard (see the module docs).
/// `current` supplies everything the assistant has no opinion on (link, stereo mode, side-chain,
/// mix, output gain). Never panics; with too little heard audio the suggestion is empty with a
/// warning.
pub fn suggest_comp(
    analysis: &CompAnalysisResult,
    style: CompStyle,
    options: &CompSuggestOptions,
    current: &CompSettings,
) -> Suggestion {
    let mut sug = Suggestion::empty("comp", style.name());
    sug.heard_seconds = analysis.heard_seconds.max(0.0);
    sug.stable = analysis.stable;
    let p = style.params();
    let target = options
        .target_avg_gr_db
        .filter(|t| t.is_finite())
        .unwrap_or(p.target_avg_gr_db)
        .clamp(0.0, 30.0);
    add_measurements(&mut sug.measurements, analysis);
    sug.measurements
        .insert("target_avg_gr_db".into(), target as f64);
    if analysis.heard_seconds.is_nan()
        || analysis.heard_seconds < MIN_HEARD_SECONDS
        || validate_sample_rate(analysis.sample_rate_hz).is_err()
    {
        sug.warnings.push(format!(
            "Not enough audio heard yet ({:.1} s of non-silent audio; at least {:.0} s needed): play the part to compress.",
            analysis.heard_seconds.max(0.0),
            MIN_HEARD_SECONDS
        ));
        return sug;
    }
    let sr = analysis.sample_rate_hz;
    let evidence = (analysis.heard_seconds / FULL_CONFIDENCE_SECONDS).clamp(0.0, 1.0);
    // Stability across the analysis windows: full below the threshold, less as the level
    // statistics still move.
    let stab = analysis.stability_change_db.map_or(0.6, |c| {
        (1.0 - (c - STABILITY_THRESHOLD_DB).max(0.0) / (4.0 * STABILITY_THRESHOLD_DB))
            .clamp(0.4, 1.0)
    }) * if analysis.stable { 1.0 } else { 0.85 };

    // The material: density, dynamics and crest change the style's proposal (the rule and its
    // sources are in the style data).
    let rule = material_rule();
    let mut ratio = p.ratio;
    let (mut a_lo, mut a_hi) = (
        p.attack_ms[0].min(p.attack_ms[1]),
        p.attack_ms[0].max(p.attack_ms[1]),
    );
    let mut target = target;
    let mut material: Vec<String> = Vec::new();
    let density = if options.target_avg_gr_db.is_none() {
        rule.density_factor(analysis.plr_db)
    } else {
        1.0
    };
    if density < 1.0 {
        material.push(format!(
            "the material is already dense (PLR {:.1} dB; below {:.0} dB the style's {target:.1} dB is scaled down) → {:.1} dB",
            analysis.plr_db.unwrap_or(0.0),
            rule.dense_plr_db[1],
            target * density
        ));
        target *= density;
    }
    let crest = analysis.crest_200ms.p50;
    if let (Some(b), Some(c)) = (p.crest_backoff, crest) {
        if c < b.below_db {
            if options.target_avg_gr_db.is_none() {
                target *= b.target_scale.clamp(0.0, 1.0);
            }
            ratio = ratio.min(b.max_ratio);
            a_lo = a_lo.max(b.min_attack_ms);
            a_hi = a_hi.max(a_lo);
            material.push(format!(
                "a low crest factor ({c:.1} dB, below {:.0} dB) leaves little transient to catch → at most {:.0}:1, attack at least {:.1} ms{}",
                b.below_db,
                b.max_ratio,
                b.min_attack_ms,
                if options.target_avg_gr_db.is_none() {
                    format!(", {target:.1} dB")
                } else {
                    String::new()
                }
            ));
        }
    }
    if analysis.loudness_range_lu >= rule.dynamic_lra_lu && ratio > rule.dynamic_max_ratio {
        ratio = rule.dynamic_max_ratio;
        material.push(format!(
            "the material is very dynamic (loudness range {:.1} LU, from {:.0} LU on) → a gentler {:.0}:1 levels it without squashing the quiet passages",
            analysis.loudness_range_lu, rule.dynamic_lra_lu, ratio
        ));
    }
    sug.measurements
        .insert("target_avg_gr_db".into(), target as f64);
    sug.measurements
        .insert("density_factor".into(), density as f64);
    if target < rule.decline_below_db && options.target_avg_gr_db.is_none() {
        let conf = (evidence * stab).clamp(0.0, 1.0);
        sug.items.push(SuggestionItem {
            key: "declined".into(),
            title: "Already dense: little to gain".into(),
            values: BTreeMap::new(),
            reason: format!(
                "Peak-to-loudness ratio {} (loudness range {:.1} LU, crest factor {}): the peaks sit only a few dB above the loudness, so {} would take away what little movement is left. Below {:.1} dB of gain reduction a compressor is not worth inserting; nothing is proposed.",
                fmt_opt(analysis.plr_db, "dB"),
                analysis.loudness_range_lu,
                fmt_opt(crest, "dB"),
                style.name(),
                rule.decline_below_db,
            ),
            confidence: conf,
        });
        sug.measurements.insert("declined".into(), 1.0);
        sug.confidence = conf;
        return sug;
    }

    // Timing from transients and tempo.
    let (r_lo, r_hi) = (
        p.release_ms[0].min(p.release_ms[1]),
        p.release_ms[0].max(p.release_ms[1]),
    );
    let attack_raw = analysis
        .rise_time_ms
        .filter(|r| r.is_finite() && analysis.onset_count >= 2)
        .map_or(p.default_attack_ms, |r| r * p.attack_rise_factor);
    let attack = round_attack(attack_raw.clamp(a_lo, a_hi)).clamp(a_lo, a_hi);
    let release_raw = analysis
        .median_ioi_ms
        .filter(|r| r.is_finite())
        .map_or(p.default_release_ms, |i| i * p.release_ioi_factor);
    let release = round_to(release_raw.clamp(r_lo, r_hi), 1.0).clamp(r_lo, r_hi);
    let attack_clamp = (attack_raw < a_lo || attack_raw > a_hi).then(|| {
        format!(
            " (the rise alone gives {}; held within {}–{})",
            fmt_attack(attack_raw),
            fmt_attack(a_lo),
            fmt_attack(a_hi)
        )
    });
    let release_clamp = (release_raw < r_lo || release_raw > r_hi).then(|| {
        format!(
            " (the onsets alone give {release_raw:.0} ms; held within the style's {r_lo:.0}–{r_hi:.0} ms)"
        )
    });

    let mut s = CompSettings {
        ratio,
        knee_db: p.knee_db,
        detector: p.detector(),
        attack_ms: attack,
        release_ms: release,
        auto_release: p.auto_release,
        lookahead_ms: p.lookahead_ms,
        makeup_db: 0.0,
        auto_makeup: false,
        out_gain_db: 0.0,
        sc_external: false,
        ..*current
    }
    .sanitized();
    if current.sc_external {
        sug.warnings.push(
            "The threshold was solved on the main input; with the external side-chain selected the gain reduction will differ.".into(),
        );
    }

    // The audio to simulate: the excerpt (at most sim_seconds of it).
    let len = analysis.audio.iter().map(|c| c.len()).min().unwrap_or(0);
    let sim_frames = (options.sim_seconds.clamp(1.0, 600.0) as f64 * sr as f64) as usize;
    let (a0, a1) = (0, len.min(sim_frames));
    let audio: Vec<&[f32]> = analysis.audio.iter().map(|c| &c[a0..a1]).collect();
    let have_audio = !audio.is_empty() && a1 > a0 && audio.len() <= MAX_CHANNELS;

    let mut solved = false;
    let mut threshold_clamp = None;
    let mut predicted_gr = None;
    let mut makeup = 0.0f32;
    let mut out_lufs = None;
    let mut out_before = None;
    let in_lufs = if have_audio {
        integrated_lufs(&audio, sr)
    } else {
        analysis.integrated_lufs
    };
    if have_audio {
        let gr_at = |t: f32, s: &CompSettings| -> f32 {
            let st = CompSettings {
                threshold_db: t,
                ..*s
            };
            average_gain_reduction(&st, &audio, sr, false)
                .map(|r| r.average_db)
                .unwrap_or(0.0)
        };
        let (mut lo, mut hi) = (crate::chains::comp::MIN_THRESHOLD_DB, 0.0f32);
        let g_lo = gr_at(lo, &s);
        let g_hi = gr_at(hi, &s);
        let t = if g_hi >= target {
            if target > 0.05 {
                sug.warnings.push(format!(
                "The material is so hot that even a 0 dBFS threshold gives {g_hi:.1} dB of average gain reduction."
            ));
            }
            predicted_gr = Some(g_hi);
            threshold_clamp = Some(" (held at the 0 dBFS limit)");
            hi
        } else if g_lo < target {
            sug.warnings.push(format!(
                "The material is too quiet to reach {target:.1} dB of average gain reduction: at the lowest threshold (−60 dBFS) it gets {g_lo:.1} dB."
            ));
            predicted_gr = Some(g_lo);
            threshold_clamp = Some(" (held at the −60 dBFS limit)");
            lo
        } else {
            for _ in 0..13 {
                let mid = 0.5 * (lo + hi);
                if gr_at(mid, &s) >= target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            solved = true;
            // lo gives at least the target; take the midpoint of the final bracket.
            0.5 * (lo + hi)
        };
        s.threshold_db = round_to(t, 0.01);
        // Makeup: measure the output loudness and correct (a second pass for mixes below
        // 100 %, where the makeup is not a pure gain shift of the output).
        for pass in 0..2 {
            let st = CompSettings {
                makeup_db: makeup,
                ..s
            };
            let Ok(rep) = average_gain_reduction(&st, &audio, sr, true) else {
                break;
            };
            predicted_gr = Some(rep.average_db);
            let outs: Vec<&[f32]> = rep.output.iter().map(|c| c.as_slice()).collect();
            let o = integrated_lufs(&outs, sr);
            if pass == 0 {
                out_before = o;
            }
            out_lufs = o;
            match (in_lufs, o) {
                (Some(i), Some(o)) => {
                    let d = i - o;
                    if d.abs() < 0.05 {
                        break;
                    }
                    makeup = (makeup + d).clamp(-24.0, 24.0);
                    // At 100 % mix the makeup shifts the output loudness exactly.
                    out_lufs = Some(o + d);
                }
                _ => break,
            }
        }
    } else {
        // No audio kept (e.g. a deserialised analysis): estimate from the level statistics.
        let loud = analysis.rms_50ms.p90.unwrap_or(-20.0);
        let r = s.effective_ratio();
        let slope = if r.is_finite() { 1.0 - 1.0 / r } else { 1.0 };
        s.threshold_db = round_to(loud - target / slope.max(0.05), 0.1).clamp(-60.0, 0.0);
        makeup = target * 0.7;
        sug.warnings.push(
            "No audio was kept with this analysis: the threshold is estimated from the level statistics, not simulated.".into(),
        );
    }
    makeup = round_to(makeup, 0.1).clamp(-24.0, 24.0);
    s.makeup_db = makeup;

    // Confidence: coverage of the song, stability across windows, whether the threshold was
    // solved or held at a limit, and how much compression the material calls for (a move the
    // density rule scaled down is a closer call).
    let onset_ev = if analysis.rise_time_ms.is_some() && analysis.onset_count >= 2 {
        0.4 + 0.6 * (analysis.onset_count as f32 / 8.0).min(1.0)
    } else {
        0.3
    };
    let need = 0.6 + 0.4 * density;
    let conf_t = (evidence * stab * need * if solved { 1.0 } else { 0.5 }).clamp(0.0, 1.0);
    let conf_timing = (evidence * stab * onset_ev).clamp(0.0, 1.0);
    let conf_m = (evidence * stab * if out_lufs.is_some() { 1.0 } else { 0.3 }).clamp(0.0, 1.0);

    let ratio_txt = if s.effective_ratio().is_finite() {
        format!("{:.1}:1", s.ratio)
    } else {
        "∞:1".to_string()
    };
    let mut item = |key: &str, title: String, vals: &[(&str, f32)], reason: String, conf: f32| {
        let values: BTreeMap<String, f32> = vals.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        for (k, v) in &values {
            sug.values.insert(k.clone(), *v);
        }
        sug.items.push(SuggestionItem {
            key: key.into(),
            title,
            values,
            reason,
            confidence: conf,
        });
    };
    let gr_txt = predicted_gr.map_or_else(String::new, |g| {
        format!(" (simulated: {g:.1} dB average on the loud passages)")
    });
    item(
        "threshold",
        format!("Threshold {:.1} dBFS at {ratio_txt}", s.threshold_db),
        &[
            (ids::THRESHOLD, s.threshold_db),
            (ids::RATIO, s.ratio),
            (ids::KNEE, s.knee_db),
            (ids::DETECTOR, s.detector.index() as f32),
        ],
        format!(
            "{} aims at {target:.1} dB of average gain reduction{}; with ratio {ratio_txt}, a {:.0} dB knee and {} sensing that takes a threshold of {:.1} dBFS{}{gr_txt}, solved on {:.0} s chosen across the {:.0} s heard. Loud 50 ms levels: median {}, 90th percentile {}.",
            style.name(),
            if material.is_empty() {
                String::new()
            } else {
                format!(": {}", material.join("; "))
            },
            s.knee_db,
            if s.detector == CompDetector::Rms { "RMS" } else { "peak" },
            s.threshold_db,
            threshold_clamp.unwrap_or(""),
            (a1 - a0) as f32 / sr,
            analysis.heard_seconds,
            fmt_opt(analysis.rms_50ms.p50, "dBFS"),
            fmt_opt(analysis.rms_50ms.p90, "dBFS"),
        ),
        conf_t,
    );
    let transient_txt = match (analysis.rise_time_ms, p.transients) {
        (Some(r), TransientHandling::LetThrough) if analysis.onset_count >= 2 => format!(
            "transients rise in {r:.1} ms → attack {} lets them through",
            fmt_attack(s.attack_ms)
        ),
        (Some(r), TransientHandling::Catch) if analysis.onset_count >= 2 => format!(
            "transients rise in {r:.1} ms → attack {} catches them",
            fmt_attack(s.attack_ms)
        ),
        _ => format!(
            "no clear transients found → the style's attack of {}",
            fmt_attack(s.attack_ms)
        ),
    };
    let release_txt = match (analysis.median_ioi_ms, analysis.tempo_bpm) {
        (Some(i), Some(b)) => format!(
            "onsets every {i:.0} ms (about {b:.0} BPM) → release {:.0} ms recovers before the next one",
            s.release_ms
        ),
        _ => format!("no regular onsets → the style's release of {:.0} ms", s.release_ms),
    };
    item(
        "timing",
        format!(
            "Attack {}, release {:.0} ms",
            fmt_attack(s.attack_ms),
            s.release_ms
        ),
        &[
            (ids::ATTACK, s.attack_ms),
            (ids::RELEASE, s.release_ms),
            (ids::AUTO_RELEASE, f32::from(u8::from(s.auto_release))),
            (ids::LOOKAHEAD, s.lookahead_ms),
        ],
        format!(
            "Crest factor {} (200 ms median), {transient_txt}{}; {release_txt}{}.",
            fmt_opt(analysis.crest_200ms.p50, "dB"),
            attack_clamp.unwrap_or_default(),
            release_clamp.unwrap_or_default(),
        ),
        conf_timing,
    );
    let makeup_reason = match (in_lufs, out_before) {
        (Some(i), Some(o)) => format!(
            "The input measures {i:.1} LUFS integrated; compressed without makeup it measured {o:.1} LUFS, so {makeup:+.1} dB of makeup keeps the loudness the same (a fair comparison)."
        ),
        _ => format!("Estimated makeup {makeup:+.1} dB to keep the loudness about the same."),
    };
    item(
        "makeup",
        format!("Makeup {makeup:+.1} dB"),
        &[(ids::MAKEUP, makeup), (ids::AUTO_MAKEUP, 0.0)],
        makeup_reason,
        conf_m,
    );
    if let Some(g) = predicted_gr {
        sug.measurements
            .insert("predicted_avg_gr_db".into(), g as f64);
    }
    if let Some(o) = out_lufs {
        sug.measurements
            .insert("predicted_output_lufs".into(), o as f64);
    }
    sug.confidence = ((conf_t + conf_timing + conf_m) / 3.0).clamp(0.0, 1.0);
    sug
}

fn fmt_attack(a: f32) -> String {
    if a < 1.0 {
        format!("{a:.2} ms")
    } else {
        format!("{a:.1} ms")
    }
}

fn round_attack(a: f32) -> f32 {
    if a < 1.0 {
        round_to(a, 0.01)
    } else {
        round_to(a, 0.1)
    }
}

fn add_measurements(m: &mut BTreeMap<String, f64>, a: &CompAnalysisResult) {
    let mut put = |k: &str, v: Option<f32>| {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            m.insert(k.to_string(), v as f64);
        }
    };
    put("heard_s", Some(a.heard_seconds));
    for (name, p) in [
        ("rms10ms", &a.rms_10ms),
        ("rms50ms", &a.rms_50ms),
        ("rms400ms", &a.rms_400ms),
    ] {
        put(&format!("{name}_p10_dbfs"), p.p10);
        put(&format!("{name}_p50_dbfs"), p.p50);
        put(&format!("{name}_p90_dbfs"), p.p90);
        put(&format!("{name}_p95_dbfs"), p.p95);
    }
    put("crest200ms_p50_db", a.crest_200ms.p50);
    put("crest200ms_p90_db", a.crest_200ms.p90);
    put("sample_peak_dbfs", a.sample_peak_dbfs);
    put("integrated_lufs", a.integrated_lufs);
    put("loudness_range_lu", Some(a.loudness_range_lu));
    put("plr_db", a.plr_db);
    put("onsets_per_s", Some(a.onsets_per_s));
    put("rise_time_ms", a.rise_time_ms);
    put("median_ioi_ms", a.median_ioi_ms);
    put("tempo_bpm", a.tempo_bpm);
}

#[cfg(test)]
mod tests;
