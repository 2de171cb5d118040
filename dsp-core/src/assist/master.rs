//! The mastering assistant ("master"): loudness targets, analysis and suggestions for
//! [`crate::chains::master`].
//!
//! - [`Platform`] / [`PlatformTarget`] / [`MasterTarget`]: platform loudness targets from the
//!   versioned, sourced data file `data/loudness_targets.json` ([`LOUDNESS_TARGETS_JSON`]), plus a
//!   custom target.
//! - [`MasterAnalysis`]: streaming analysis fed planar chunks (1 or 2 channels) on an analysis
//!   thread — BS.1770 loudness (integrated, LRA, true peak), the EQ assistant's tonal band curve
//!   ([`EqAnalysis`]), stereo correlation, low-end side/mid ratio — and a bounded excerpt of the
//!   audio for simulation, stratified by loudness over everything heard ([`Excerpt`]). One-shot:
//!   [`MasterAnalysis::analyze`].
//! - [`suggest_master`]: broad tonal moves, glue, stereo fixes, and limiter drive + ceiling
//!   solved by **simulating the whole [`MasterChain`]** on the analysed audio.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::eq::{EqAnalysis, EqAnalysisConfig, EqAnalysisResult, FULL_CONFIDENCE_SECONDS};
use super::excerpt::Excerpt;
use super::targets::{Target, TargetId};
use super::{Suggestion, SuggestionItem};
use crate::chains::master::{MasterChain, MasterSettings, PARAMS};
use crate::dynamics::{TruePeakLimiter, LIMITER_MAX_LOOKAHEAD_MS};
use crate::loudness::{LoudnessAnalyzer, LoudnessStats};
use crate::util::db_to_gain;
use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig};

/// The loudness-target data file, compiled in.
pub const LOUDNESS_TARGETS_JSON: &str = include_str!("../../data/loudness_targets.json");

/// Upper edge of the "low end" for the mono-compatibility check, in Hz.
pub const LOW_END_HZ: f32 = 120.0;
/// `mono_below` the assistant proposes when the low end is too wide or out of phase, in Hz.
pub const SUGGESTED_MONO_BELOW_HZ: f32 = 120.0;
/// Side/mid energy below [`LOW_END_HZ`] above which the low end counts as too wide, in dB.
pub const LOW_END_MAX_SIDE_TO_MID_DB: f32 = -12.0;
/// The most audio kept for simulation ([`Excerpt`]), in seconds at rates up to 96 kHz
/// (proportionally fewer seconds above, so memory stays below ≈ 23 MB for stereo).
pub const SIM_MAX_SECONDS: f32 = 30.0;
/// Loudness tolerance of the drive solution, in LU.
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.2;
/// The verified output true peak is kept this far under the target's ceiling, in dB.
pub const TRUE_PEAK_GUARD_DB: f64 = 0.02;
/// Minimum of heard (non-silent) audio for a suggestion, in seconds.
pub const MIN_HEARD_SECONDS: f32 = 1.0;
/// Seconds of heard audio before the analysis can be stable (the tonal estimate converging on
/// an intro is not enough).
pub const MIN_STABLE_SECONDS: f32 = 30.0;

/// One platform's target as stored in the data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformTarget {
    /// Stable key (`spotify`, `apple`, …).
    pub key: String,
    /// Display name.
    pub name: String,
    /// Integrated loudness target, LUFS.
    pub lufs: f32,
    /// Maximum true peak, dBTP.
    pub ceiling_dbtp: f32,
    /// Where the numbers come from, in words.
    pub source: String,
    /// Source URL / document.
    pub url: String,
    /// Date or revision of the source document.
    pub source_date: String,
    /// When Tandem last took the value over (YYYY-MM).
    pub as_of: String,
}

#[derive(Debug, Deserialize)]
struct TargetsFile {
    version: u32,
    targets: Vec<PlatformTarget>,
}

fn targets_file() -> &'static TargetsFile {
    static FILE: OnceLock<TargetsFile> = OnceLock::new();
    FILE.get_or_init(|| {
        serde_json::from_str(LOUDNESS_TARGETS_JSON).unwrap_or(TargetsFile {
            version: 0,
            targets: Vec::new(),
        })
    })
}

/// The version of the loudness-target data file.
pub fn loudness_targets_version() -> u32 {
    targets_file().version
}

/// Every platform target of the data file, in file order.
pub fn loudness_targets() -> &'static [PlatformTarget] {
    &targets_file().targets
}

/// A delivery target. The order is the parameter's enum index and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Platform {
    /// Spotify, −14 LUFS / −1 dBTP (the default).
    #[default]
    Spotify,
    /// Apple Music, −16 LUFS / −1 dBTP.
    Apple,
    /// YouTube, −14 LUFS / −1 dBTP.
    Youtube,
    /// Tidal, −14 LUFS / −1 dBTP.
    Tidal,
    /// Amazon Music, −14 LUFS / −2 dBTP.
    Amazon,
    /// Deezer, −15 LUFS / −1 dBTP.
    Deezer,
    /// EBU R128 broadcast, −23 LUFS / −1 dBTP.
    EbuR128,
    /// A target given by the caller.
    Custom,
}

impl Platform {
    /// All platforms in index order.
    pub const ALL: [Platform; 8] = [
        Platform::Spotify,
        Platform::Apple,
        Platform::Youtube,
        Platform::Tidal,
        Platform::Amazon,
        Platform::Deezer,
        Platform::EbuR128,
        Platform::Custom,
    ];

    /// The stable key: `spotify`, `apple`, `youtube`, `tidal`, `amazon`, `deezer`, `ebu_r128`,
    /// `custom`.
    pub fn key(self) -> &'static str {
        match self {
            Platform::Spotify => "spotify",
            Platform::Apple => "apple",
            Platform::Youtube => "youtube",
            Platform::Tidal => "tidal",
            Platform::Amazon => "amazon",
            Platform::Deezer => "deezer",
            Platform::EbuR128 => "ebu_r128",
            Platform::Custom => "custom",
        }
    }

    /// The platform of a key (case-insensitive).
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.key().eq_ignore_ascii_case(key.trim()))
    }

    /// The enum index (0–7).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }

    /// The platform of a plain parameter value (rounded, clamped; NaN → Spotify).
    pub fn from_value(value: f32) -> Self {
        if !value.is_finite() {
            return Self::Spotify;
        }
        Self::ALL[value.round().clamp(0.0, 7.0) as usize]
    }

    /// The data-file entry (`None` for `Custom`).
    pub fn data(self) -> Option<&'static PlatformTarget> {
        loudness_targets().iter().find(|t| t.key == self.key())
    }

    /// The target: the data file's values, or for `Custom` `custom_lufs` / `custom_ceiling_dbtp`.
    pub fn target(self, custom_lufs: f32, custom_ceiling_dbtp: f32) -> MasterTarget {
        match self.data() {
            Some(t) => MasterTarget {
                name: t.name.clone(),
                lufs: t.lufs,
                ceiling_dbtp: t.ceiling_dbtp,
            },
            None => MasterTarget::custom(custom_lufs, custom_ceiling_dbtp),
        }
    }
}

/// A loudness target the suggestion aims for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterTarget {
    /// Display name (e.g. "Spotify", "Custom").
    pub name: String,
    /// Integrated loudness, LUFS.
    pub lufs: f32,
    /// Maximum true peak, dBTP (clamped to the limiter's −3…−0.1 when used).
    pub ceiling_dbtp: f32,
}

impl MasterTarget {
    /// A custom target named "Custom".
    pub fn custom(lufs: f32, ceiling_dbtp: f32) -> Self {
        Self {
            name: "Custom".into(),
            lufs,
            ceiling_dbtp,
        }
    }
}

impl Default for MasterTarget {
    /// Spotify.
    fn default() -> Self {
        Platform::Spotify.target(-14.0, -1.0)
    }
}

/// A reference track for reference mode: its loudness and tonal balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterReference {
    /// Display name (e.g. the file name).
    pub name: String,
    /// The reference's integrated loudness, LUFS.
    pub integrated_lufs: f64,
    /// The reference's tonal balance as a target curve.
    pub tonal: Target,
}

impl MasterReference {
    /// The reference described by an analysis of the reference track (`None` when it was
    /// silent).
    pub fn from_analysis(name: &str, analysis: &MasterAnalysisResult) -> Option<Self> {
        Some(Self {
            name: name.to_string(),
            integrated_lufs: analysis.integrated_lufs?,
            tonal: analysis.tonal.reference_target(name),
        })
    }
}

/// Options of [`suggest_master`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MasterAssistOptions {
    /// Largest tonal move of any section, in dB.
    pub max_tonal_db: f32,
    /// Largest tonal move of any section in reference mode (the target is a measured song), dB.
    pub max_reference_tonal_db: f32,
    /// Largest mean glue gain reduction, in dB (0 = never suggest glue).
    pub max_glue_gr_db: f32,
    /// Most limiting before a warning, in dB of **peak limiting**: the true peak of the signal
    /// entering the limiter, after drive, minus the ceiling (how far the loudest peak is
    /// pushed into the limiter).
    pub max_limiting_db: f32,
    /// The tonal target (`None`: Balanced).
    pub tonal_target: Option<Target>,
    /// Reference mode: match this track's loudness and tonal balance (tonal moves still limited
    /// by `max_tonal_db`, the ceiling of the [`MasterTarget`] always respected).
    pub reference: Option<MasterReference>,
}

impl Default for MasterAssistOptions {
    fn default() -> Self {
        Self {
            max_tonal_db: 3.0,
            max_reference_tonal_db: 6.0,
            max_glue_gr_db: 2.0,
            max_limiting_db: 6.0,
            tonal_target: None,
            reference: None,
        }
    }
}

/// What [`MasterAnalysis`] heard: the input of [`suggest_master`].
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
    /// non-finite samples read as 0).
    pub fn process(&mut self, channels: &[&[f32]]) {
        if channels.is_empty() {
            return;
        }
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

    /// The excerpt kept for simulation (planar, see [`Excerpt::audio`]).
    pub fn excerpt(&self) -> Vec<Vec<f32>> {
        self.excerpt.audio()
    }

    /// The full BS.1770 / R128 measurement of everything fed: the values
    /// [`crate::loudness::measure`] gives for the same channels (non-finite samples read as 0),
    /// so a caller that also reports the input's loudness need not measure it again.
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

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/// Integrated loudness (and optionally true peak) of planar channels.
fn loudness_of(chans: &[Vec<f32>], sr: f32, true_peak: bool) -> (Option<f64>, Option<f64>) {
    let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
    crate::loudness::measure_integrated(&refs, sr, true_peak).unwrap_or((None, None))
}

/// The pre-limiter signal (input gain, EQ, glue, width) of `settings` and the glue's mean gain
/// reduction over it.
fn render_pre(settings: &MasterSettings, audio: &[Vec<f32>], sr: f32) -> (Vec<Vec<f32>>, f32) {
    let mut bufs: Vec<Vec<f32>> = audio.to_vec();
    let Ok(config) = ProcessorConfig::new(sr, 512, bufs.len()) else {
        return (bufs, 0.0);
    };
    let Ok(mut chain) = MasterChain::new(config, settings) else {
        return (bufs, 0.0);
    };
    let (mut sum, mut count) = (0.0f64, 0u64);
    {
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        chain.process_pre_limiter(&mut refs, |c| {
            sum += c.glue_gain_reduction_db() as f64;
            count += 1;
        });
    }
    (bufs, (sum / count.max(1) as f64) as f32)
}

/// Integrated loudness after drive and the limiter of `settings` (exactly the chain's limiter
/// stage; the latency padding does not change loudness).
fn limited_loudness(pre: &[Vec<f32>], sr: f32, settings: &MasterSettings, drive_db: f32) -> f64 {
    let fallback = -200.0;
    let Ok(config) = ProcessorConfig::new(sr, 4096, pre.len()) else {
        return fallback;
    };
    let Ok(mut lim) = TruePeakLimiter::new(
        config,
        settings.oversampling_factor(),
        LIMITER_MAX_LOOKAHEAD_MS,
        settings.limiter_settings(),
    ) else {
        return fallback;
    };
    let g = db_to_gain(drive_db);
    let mut bufs: Vec<Vec<f32>> = pre
        .iter()
        .map(|c| c.iter().map(|x| x * g).collect())
        .collect();
    {
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        lim.process(&mut refs);
    }
    loudness_of(&bufs, sr, false).0.unwrap_or(fallback)
}

/// Safeguarded root search for the drive (dB, 0–24) giving `target` LUFS: secant steps inside
/// a bisection bracket (a step leaving the bracket is replaced by bisection). Returns (drive,
/// loudness at it).
fn solve_drive(eval: &mut impl FnMut(f32) -> f64, target: f64, guess: f32) -> (f32, f64) {
    let (mut lo, mut hi) = (0.0f32, 24.0f32);
    let mut d = guess.clamp(lo, hi);
    let mut prev: Option<(f32, f64)> = None;
    let mut best = (d, f64::INFINITY, 0.0);
    for _ in 0..16 {
        let l = eval(d);
        let f = l - target;
        if f.abs() < best.1 {
            best = (d, f.abs(), l);
        }
        if f.abs() < 0.05 {
            break;
        }
        if f < 0.0 {
            lo = d;
        } else {
            hi = d;
        }
        if hi - lo < 0.005 {
            break;
        }
        let secant = match prev {
            Some((pd, pf)) if (f - pf).abs() > 1e-6 => d - (f * (d - pd) as f64 / (f - pf)) as f32,
            // First step: assume 1 LU per dB.
            _ => d - f as f32,
        };
        prev = Some((d, f));
        d = if secant > lo && secant < hi {
            secant
        } else {
            0.5 * (lo + hi)
        };
    }
    (best.0, best.2)
}

// ---------------------------------------------------------------------------------------------
// Tonal fit
// ---------------------------------------------------------------------------------------------

/// The four broad sections the assistant moves: (param prefix, display name, frequency, Q).
const TONAL_SECTIONS: [(&str, &str, f32, f32); 4] = [
    ("ls", "low shelf", 100.0, 0.7),
    ("bell1", "low-mid bell", 300.0, 0.7),
    ("bell2", "presence bell", 3000.0, 0.7),
    ("hs", "high shelf", 8000.0, 0.7),
];

/// Least-squares gains (dB) of the four sections that bring the band curve towards the target,
/// each clamped to ±`max_db`; plus the per-section measured deviation (dB, mix − target, averaged
/// over the section's main region) for the reasons, and the sections' (frequency, Q).
///
/// With `search` (reference mode: the target is a measured song, not a taste prior), each
/// section's frequency and Q are also chosen, by coordinate descent over a small grid within the
/// section's region (still broad: Q 0.5–1.4), to leave the smallest weighted residual; only the
/// bands where the target has content count.
fn fit_tonal(
    tonal: &EqAnalysisResult,
    target: &Target,
    max_db: f32,
    sr: f32,
    search: bool,
) -> Option<TonalFit> {
    let (lo_hz, hi_hz) = target.valid_hz.unwrap_or((0.0, f32::INFINITY));
    let bands: Vec<(f32, f32)> = tonal
        .band_center_hz
        .iter()
        .zip(&tonal.band_db)
        .filter(|(f, d)| **f >= 30.0 && **f <= 16_000.0 && f.is_finite() && d.is_finite())
        .filter(|(f, _)| !search || (lo_hz..=hi_hz).contains(*f))
        .map(|(f, d)| (*f, *d))
        .collect();
    if bands.len() < 8 {
        return None;
    }
    let peak = bands.iter().map(|b| b.1).fold(f32::NEG_INFINITY, f32::max);
    let bands: Vec<(f32, f32)> = bands.into_iter().filter(|b| b.1 > peak - 60.0).collect();
    let mut diff: Vec<(f32, f32, f64)> = bands
        .iter()
        .map(|&(f, d)| {
            let w = if (40.0..=12_000.0).contains(&f) {
                1.0
            } else {
                0.5
            };
            (f, d - target.db_at(f), w)
        })
        .collect();
    let mids: Vec<f32> = diff
        .iter()
        .filter(|(f, _, _)| (200.0..=5000.0).contains(f))
        .map(|d| d.1)
        .collect();
    if mids.is_empty() {
        return None;
    }
    let offset = mids.iter().sum::<f32>() / mids.len() as f32;
    diff.iter_mut().for_each(|d| d.1 -= offset);
    let mut shape: [(f32, f32); 4] = TONAL_SECTIONS.map(|(_, _, f, q)| (f, q));
    let (mut gains, mut residual) = solve_sections(&diff, &shape, max_db, sr)?;
    if search {
        for _ in 0..2 {
            for k in 0..4 {
                let (lo, hi) = SEARCH_HZ[k];
                let mut best = (residual, shape[k], gains);
                for step in 0..=8 {
                    let f = lo * (hi / lo).powf(step as f32 / 8.0);
                    for q in [0.5f32, 0.7, 1.0, 1.4] {
                        // Shelves keep their Q.
                        if (k == 0 || k == 3) && q != 0.7 {
                            continue;
                        }
                        let mut trial = shape;
                        trial[k] = (f, q);
                        if let Some((g, r)) = solve_sections(&diff, &trial, max_db, sr) {
                            if r < best.0 - 1e-9 {
                                best = (r, (f, q), g);
                            }
                        }
                    }
                }
                residual = best.0;
                shape[k] = best.1;
                gains = best.2;
            }
        }
    }
    // Measured deviation per region, for the reasons.
    let regions = [
        (30.0, 120.0),
        (180.0, 500.0),
        (1500.0, 5000.0),
        (6000.0, 16_000.0),
    ];
    let mut dev = [0.0f32; 4];
    for (k, (lo, hi)) in regions.iter().enumerate() {
        let v: Vec<f32> = diff
            .iter()
            .filter(|(f, _, _)| f >= lo && f <= hi)
            .map(|d| d.1)
            .collect();
        dev[k] = if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f32>() / v.len() as f32
        };
    }
    Some(TonalFit {
        gains,
        deviation: dev,
        shape,
    })
}

/// What [`fit_tonal`] found.
struct TonalFit {
    /// Gain of each section, dB (rounded to 0.1).
    gains: [f32; 4],
    /// Mix − target over each section's main region, dB.
    deviation: [f32; 4],
    /// (frequency Hz, Q) of each section.
    shape: [(f32, f32); 4],
}

/// The frequency range each section's frequency is searched over in reference mode, Hz.
const SEARCH_HZ: [(f32, f32); 4] = [
    (60.0, 250.0),
    (150.0, 800.0),
    (1000.0, 6000.0),
    (4000.0, 12_000.0),
];

/// Least-squares gains of the sections at `shape` for the deviation `diff` (Hz, dB, weight),
/// clamped to ±`max_db` (the clamped ones held and the others solved again), rounded to 0.1 dB;
/// with the weighted squared residual.
fn solve_sections(
    diff: &[(f32, f32, f64)],
    shape: &[(f32, f32); 4],
    max_db: f32,
    sr: f32,
) -> Option<([f32; 4], f64)> {
    // Basis: dB response per dB of gain.
    let basis: Vec<[f64; 4]> = diff
        .iter()
        .map(|&(f, _, _)| {
            let mut row = [0.0; 4];
            for (k, &(freq, q)) in shape.iter().enumerate() {
                let spec = match k {
                    0 => crate::filters::FilterSpec::low_shelf(freq as f64, 3.0, q as f64),
                    3 => crate::filters::FilterSpec::high_shelf(freq as f64, 3.0, q as f64),
                    _ => crate::filters::FilterSpec::bell(freq as f64, 3.0, q as f64),
                };
                row[k] = spec.magnitude_db(f as f64, sr as f64) / 3.0;
            }
            row
        })
        .collect();
    let ridge = 0.05 * diff.len() as f64 * 0.1;
    let mut fixed: [Option<f64>; 4] = [None; 4];
    let mut g = [0.0f64; 4];
    for _ in 0..3 {
        // Normal equations with a small ridge; held sections enter as known terms.
        let mut a = [[0.0f64; 4]; 4];
        let mut b = [0.0f64; 4];
        for (row, &(_, d, w)) in basis.iter().zip(diff) {
            let known: f64 = (0..4).filter_map(|k| fixed[k].map(|v| v * row[k])).sum();
            for i in 0..4 {
                if fixed[i].is_some() {
                    continue;
                }
                b[i] += w * row[i] * -(d as f64 + known);
                for j in 0..4 {
                    if fixed[j].is_none() {
                        a[i][j] += w * row[i] * row[j];
                    }
                }
            }
        }
        for (i, r) in a.iter_mut().enumerate() {
            r[i] += if fixed[i].is_some() { 1.0 } else { ridge };
        }
        let sol = solve4(a, b)?;
        let mut changed = false;
        for k in 0..4 {
            g[k] = fixed[k].unwrap_or(sol[k]);
            if fixed[k].is_none() && g[k].abs() > max_db as f64 {
                fixed[k] = Some(g[k].clamp(-(max_db as f64), max_db as f64));
                g[k] = fixed[k].unwrap_or(g[k]);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut gains = [0.0f32; 4];
    for k in 0..4 {
        let v = (g[k] as f32).clamp(-max_db, max_db);
        gains[k] = (v * 10.0).round() / 10.0;
    }
    let residual = basis
        .iter()
        .zip(diff)
        .map(|(row, &(_, d, w))| {
            let e = d as f64 + (0..4).map(|k| gains[k] as f64 * row[k]).sum::<f64>();
            w * e * e
        })
        .sum();
    Some((gains, residual))
}

/// Solves a 4×4 system by Gaussian elimination with partial pivoting.
#[allow(clippy::needless_range_loop)]
fn solve4(mut a: [[f64; 4]; 4], mut b: [f64; 4]) -> Option<[f64; 4]> {
    for c in 0..4 {
        let p = (c..4).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..4 {
            let f = a[r][c] / a[c][c];
            for k in c..4 {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; 4];
    for c in (0..4).rev() {
        let s: f64 = (c + 1..4).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

// ---------------------------------------------------------------------------------------------
// The suggestion
// ---------------------------------------------------------------------------------------------

fn item(
    key: &str,
    title: String,
    values: &[(&str, f32)],
    reason: String,
    conf: f32,
) -> SuggestionItem {
    SuggestionItem {
        key: key.to_string(),
        title,
        values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        reason,
        confidence: conf.clamp(0.0, 1.0),
    }
}

fn fmt_db(v: f32) -> String {
    format!("{v:+.1} dB")
}

/// Proposes master settings for `analysis` aimed at `target` (see the module docs):
///
/// - **tonal**: four broad sections (low shelf 100 Hz, bells 300 Hz / 3 kHz at Q 0.7, high shelf
///   8 kHz) least-squares fitted to bring the 1/6-octave band curve towards the tonal target
///   (Balanced, `options.tonal_target`, or the reference's curve), each ≤ `max_tonal_db`; moves
///   under 0.5 dB are left out;
/// - **stereo**: `mono_below` [`SUGGESTED_MONO_BELOW_HZ`] when the low end is wide
///   (side/mid below [`LOW_END_HZ`] > [`LOW_END_MAX_SIDE_TO_MID_DB`]) or the mix is out of phase
///   (correlation < 0), plus width 80 % when the correlation is below −0.2; otherwise left alone;
/// - **glue**: when reaching the target would need more than 3 dB of peak limiting, a 2:1 glue
///   whose threshold is solved by simulation (bisection) for a mean gain reduction of
///   min(1.5, `max_glue_gr_db`) dB, with makeup equal to that gain reduction;
/// - **limiter**: `lim_ceiling` = the target's ceiling, `lim_drive` solved by simulating the
///   whole [`MasterChain`] on the analysed excerpt (secant-safeguarded bisection) until the
///   predicted integrated loudness is within [`LOUDNESS_TOLERANCE_LU`] of the target; a mix
///   louder than the target gets a negative `in_gain` instead. More than `max_limiting_db` of
///   peak limiting gives a warning with the nearest target that stays within it.
///
/// The limiter's release, auto release, lookahead and oversampling are taken from `current`
/// and listed in the limiter item so the suggestion reproduces the simulation. Never panics;
/// nothing heard gives an empty suggestion with a warning.
pub fn suggest_master(
    analysis: &MasterAnalysisResult,
    target: &MasterTarget,
    options: &MasterAssistOptions,
    current: &MasterSettings,
) -> Suggestion {
    let reference = options.reference.as_ref();
    let target_name = match reference {
        Some(r) => format!("Reference: {}", r.name),
        None => target.name.clone(),
    };
    let mut sug = Suggestion::empty("master", &target_name);
    sug.heard_seconds = analysis.heard_seconds;
    sug.stable = analysis.stable;
    let sr = analysis.sample_rate_hz;
    let audio = &analysis.audio;
    let frames = audio.first().map_or(0, |c| c.len());
    let (Some(integrated), true) = (
        analysis.integrated_lufs,
        analysis.heard_seconds >= MIN_HEARD_SECONDS
            && !audio.is_empty()
            && audio.len() <= 2
            && frames > 0
            && validate_sample_rate(sr).is_ok(),
    ) else {
        sug.warnings.push(format!(
            "Nothing to work on yet: {:.1} s of audio heard (at least {MIN_HEARD_SECONDS:.0} s of \
             non-silent audio is needed, with the analysed excerpt).",
            analysis.heard_seconds
        ));
        return sug;
    };
    let m = &mut sug.measurements;
    m.insert("integrated_lufs".into(), integrated);
    m.insert("loudness_range_lu".into(), analysis.loudness_range_lu);
    if let Some(tp) = analysis.true_peak_dbtp {
        m.insert("true_peak_dbtp".into(), tp);
    }
    if let Some(p) = analysis.plr_db {
        m.insert("plr_db".into(), p);
    }
    if let Some(c) = analysis.correlation {
        m.insert("correlation".into(), c as f64);
    }
    if let Some(c) = analysis.low_side_to_mid_db {
        m.insert("low_side_to_mid_db".into(), c as f64);
    }
    m.insert("simulated_seconds".into(), frames as f64 / sr as f64);

    let evidence = (analysis.heard_seconds / FULL_CONFIDENCE_SECONDS).clamp(0.0, 1.0)
        * if analysis.stable { 1.0 } else { 0.75 };

    // Target loudness and ceiling.
    let ceiling_info = PARAMS.iter().find(|p| p.id == "lim_ceiling");
    let (cmin, cmax) = ceiling_info.map_or((-3.0, -0.1), |p| (p.min, p.max));
    let mut ceiling = if target.ceiling_dbtp.is_finite() {
        target.ceiling_dbtp
    } else {
        -1.0
    };
    if !(cmin..=cmax).contains(&ceiling) {
        sug.warnings.push(format!(
            "The ceiling {ceiling:.1} dBTP is outside the limiter's {cmin:.1}…{cmax:.1} dBTP; \
             using {:.1} dBTP.",
            ceiling.clamp(cmin, cmax)
        ));
        ceiling = ceiling.clamp(cmin, cmax);
    }
    let target_lufs = match reference {
        Some(r) if r.integrated_lufs.is_finite() => r.integrated_lufs,
        _ if target.lufs.is_finite() => target.lufs as f64,
        _ => -14.0,
    };
    sug.measurements.insert("target_lufs".into(), target_lufs);
    sug.measurements
        .insert("target_ceiling_dbtp".into(), ceiling as f64);

    // Base: defaults plus the engineer's limiter taste.
    let mut s = MasterSettings {
        lim_release_ms: current.lim_release_ms,
        lim_auto_release: current.lim_auto_release,
        lim_lookahead_ms: current.lim_lookahead_ms,
        lim_oversampling: current.lim_oversampling,
        lim_ceiling_dbtp: ceiling,
        ..Default::default()
    }
    .sanitized();

    // Tonal balance.
    let tonal_target: Target = match (reference, &options.tonal_target) {
        (Some(r), _) => r.tonal.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => TargetId::Balanced.target(),
    }
    .normalized();
    let max_tonal = if options.max_tonal_db.is_finite() {
        options.max_tonal_db.clamp(0.0, 12.0)
    } else {
        3.0
    };
    let mut tonal_items = Vec::new();
    let max_tonal = match reference {
        Some(_) if options.max_reference_tonal_db.is_finite() => {
            options.max_reference_tonal_db.clamp(0.0, 12.0)
        }
        _ => max_tonal,
    };
    if max_tonal > 0.0 {
        if let Some(fit) = fit_tonal(
            &analysis.tonal,
            &tonal_target,
            max_tonal,
            sr,
            reference.is_some(),
        ) {
            let regions = ["30–120 Hz", "180–500 Hz", "1.5–5 kHz", "6–16 kHz"];
            for (k, &(prefix, name, _, _)) in TONAL_SECTIONS.iter().enumerate() {
                let g = fit.gains[k];
                if g.abs() < 0.5 {
                    continue;
                }
                let (freq, q) = fit.shape[k];
                let freq = freq.round();
                let q = (q * 10.0).round() / 10.0;
                let gain_id = format!("{prefix}_gain");
                let freq_id = format!("{prefix}_freq");
                let place_id = format!("{prefix}_place");
                s.set_param(&gain_id, g);
                s.set_param(&freq_id, freq);
                let mut values = vec![
                    (gain_id.as_str(), g),
                    (freq_id.as_str(), freq),
                    (place_id.as_str(), 0.0),
                ];
                let q_id = format!("{prefix}_q");
                if prefix.starts_with("bell") {
                    s.set_param(&q_id, q);
                    values.push((q_id.as_str(), q));
                }
                let verb = if g > 0.0 { "Lift" } else { "Cut" };
                let strength = (fit.deviation[k].abs() / 3.0).clamp(0.3, 1.0);
                let limit = if g.abs() >= max_tonal - 0.05 {
                    format!(" (held at the ±{max_tonal:.1} dB limit)")
                } else {
                    String::new()
                };
                tonal_items.push(item(
                    prefix,
                    format!("{verb} the {name} ({freq:.0} Hz) by {:.1} dB", g.abs()),
                    &values,
                    format!(
                        "{} sits {} relative to the {} curve (mids aligned); a broad {} of {} \
                         brings it closer{limit}.",
                        regions[k],
                        fmt_db(fit.deviation[k]),
                        tonal_target.name,
                        name,
                        fmt_db(g),
                    ),
                    evidence * strength,
                ));
            }
        }
    }

    // Stereo.
    let mut stereo_items = Vec::new();
    if analysis.channels == 2 {
        let corr = analysis.correlation.unwrap_or(1.0);
        let low = analysis.low_side_to_mid_db;
        let wide_low = low.is_some_and(|l| l > LOW_END_MAX_SIDE_TO_MID_DB);
        if wide_low || corr < 0.0 {
            s.mono_below_hz = SUGGESTED_MONO_BELOW_HZ;
            let why = match low {
                Some(l) if wide_low => format!(
                    "the side signal below {LOW_END_HZ:.0} Hz is only {:.1} dB under the mid \
                     (more than {LOW_END_MAX_SIDE_TO_MID_DB:.0} dB is risky on mono systems and \
                     vinyl)",
                    -l
                ),
                _ => format!("the channels are out of phase (correlation {corr:+.2})"),
            };
            stereo_items.push(item(
                "mono_low",
                format!("Mono below {SUGGESTED_MONO_BELOW_HZ:.0} Hz"),
                &[("mono_below", SUGGESTED_MONO_BELOW_HZ)],
                format!("Make the low end mono: {why}."),
                evidence * 0.8,
            ));
        }
        if corr < -0.2 {
            s.width_pct = 80.0;
            stereo_items.push(item(
                "width",
                "Narrow the image to 80 %".into(),
                &[("width", 80.0)],
                format!(
                    "The stereo correlation is {corr:+.2}: much of the mix cancels in mono; \
                     narrowing to 80 % reduces the risk."
                ),
                evidence * 0.6,
            ));
            sug.warnings.push(format!(
                "The channels are largely out of phase (correlation {corr:+.2}); check the \
                 polarity of the mix before mastering."
            ));
        }
    }

    // Loudness: glue and limiter, simulated. Up to two passes (the second with a negative input
    // gain when the mix is already louder than the target).
    let max_glue = if options.max_glue_gr_db.is_finite() {
        options.max_glue_gr_db.clamp(0.0, 6.0)
    } else {
        2.0
    };
    let max_lim = if options.max_limiting_db.is_finite() {
        options.max_limiting_db.max(0.0)
    } else {
        6.0
    };
    let mut glue_item = None;
    let mut glue_gr = 0.0f32;
    let mut result = (0.0f32, -200.0f64);
    let mut pre_tp = f64::NEG_INFINITY;
    let mut pre_lufs = -200.0;
    let mut pre: Vec<Vec<f32>> = Vec::new();
    // The excerpt stands for the whole programme, but its integrated loudness is not exactly
    // the programme's (gating, the loudest moments): the simulation aims at the target shifted
    // by that measured offset, and its predictions are reported shifted back.
    let excerpt_lufs = loudness_of(audio, sr, false).0.unwrap_or(integrated);
    let offset = (integrated - excerpt_lufs).clamp(-6.0, 6.0);
    sug.measurements
        .insert("excerpt_loudness_offset_lu".into(), offset);
    let sim_target = target_lufs - offset;
    for pass in 0..2 {
        s.glue_on = false;
        s.lim_drive_db = 0.0;
        let (p0, _) = render_pre(&s, audio, sr);
        let (l0, tp0) = loudness_of(&p0, sr, true);
        let (l0, tp0) = (l0.unwrap_or(-200.0), tp0.unwrap_or(-200.0));
        let needed_peak_gr = (sim_target - l0) - (ceiling as f64 - tp0);
        glue_item = None;
        glue_gr = 0.0;
        pre = p0;
        pre_tp = tp0;
        pre_lufs = l0;
        if max_glue > 0.0 && needed_peak_gr > 3.0 {
            let aim = max_glue.min(1.5);
            let mut g = s;
            g.glue_on = true;
            g.glue_ratio = 2.0;
            g.glue_attack_ms = 30.0;
            g.glue_release_ms = 200.0;
            g.glue_auto_release = true;
            g.glue_makeup_db = 0.0;
            // Bisection on the threshold: mean GR falls as the threshold rises.
            let (mut lo, mut hi) = (-40.0f32, 0.0f32);
            let mut best: Option<(f32, f32)> = None;
            for _ in 0..9 {
                let thr = 0.5 * (lo + hi);
                g.glue_threshold_db = thr;
                let (_, gr) = render_pre(&g, audio, sr);
                if gr > aim {
                    lo = thr;
                } else {
                    hi = thr;
                }
                let better = best
                    .as_ref()
                    .is_none_or(|b| (gr - aim).abs() < (b.1 - aim).abs());
                if better && gr <= max_glue {
                    best = Some((thr, gr));
                }
            }
            if let Some((thr, gr)) = best {
                if gr >= 0.3 {
                    let thr = (thr * 2.0).round() / 2.0;
                    g.glue_threshold_db = thr;
                    g.glue_makeup_db = (gr * 2.0).round() / 2.0;
                    let (p, gr) = render_pre(&g, audio, sr);
                    s = g;
                    glue_gr = gr;
                    let (l1, tp1) = loudness_of(&p, sr, true);
                    pre_lufs = l1.unwrap_or(pre_lufs);
                    pre_tp = tp1.unwrap_or(pre_tp);
                    pre = p;
                    glue_item = Some(item(
                        "glue",
                        format!("Glue: 2:1 at {thr:.1} dBFS"),
                        &[
                            ("glue_on", 1.0),
                            ("glue_threshold", thr),
                            ("glue_ratio", 2.0),
                            ("glue_attack", 30.0),
                            ("glue_release", 200.0),
                            ("glue_auto_release", 1.0),
                            ("glue_makeup", s.glue_makeup_db),
                        ],
                        format!(
                            "Reaching {target_lufs:.1} LUFS from a peak-to-loudness ratio of \
                             {:.1} dB would need {needed_peak_gr:.1} dB of peak limiting; a gentle \
                             2:1 glue averaging {gr:.1} dB of gain reduction (simulated) takes \
                             some of that work off the limiter.",
                            tp0 - l0
                        ),
                        evidence * 0.7,
                    ));
                }
            }
        }
        let mut eval = |d: f32| limited_loudness(&pre, sr, &s, d);
        let l_at_0 = eval(0.0);
        if pass == 0 && l_at_0 > sim_target + LOUDNESS_TOLERANCE_LU {
            // Too loud already: turn the input down and solve again.
            s.in_gain_db = ((sim_target - l_at_0) as f32 - 0.5).clamp(-24.0, 0.0);
            continue;
        }
        let guess = (sim_target - pre_lufs) as f32;
        result = solve_drive(&mut eval, sim_target, guess);
        break;
    }
    let (mut drive, mut predicted) = result;
    s.lim_drive_db = drive;
    // Verify on the whole chain (real settings, latency compensated, true peak measured like
    // any BS.1770 meter) and correct: the level for loudness (the drive, or the input gain when
    // even no drive is too loud), the limiter ceiling when the reconstructed peak of heavy
    // limiting overshoots the target's ceiling.
    let mut predicted_tp = None;
    let mut prev: Option<(f64, f64)> = None;
    for _ in 0..5 {
        let refs: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
        let Ok(out) = MasterChain::render(&s, &refs, sr) else {
            break;
        };
        let (l, tp) = loudness_of(&out, sr, true);
        predicted = l.unwrap_or(predicted);
        predicted_tp = tp;
        let err = sim_target - predicted;
        let level = (s.in_gain_db.min(0.0) + drive) as f64;
        let loud_ok =
            err.abs() <= 0.1 || (level >= 24.0 && err > 0.0) || (level <= -24.0 && err < 0.0);
        let over = tp.map_or(0.0, |tp| tp - ceiling as f64 + TRUE_PEAK_GUARD_DB);
        let peak_ok = over <= 0.0 || s.lim_ceiling_dbtp <= cmin;
        if loud_ok && peak_ok {
            break;
        }
        if !peak_ok {
            s.lim_ceiling_dbtp = (s.lim_ceiling_dbtp - over as f32 - 0.05).max(cmin);
        }
        if !loud_ok {
            // Loudness per dB of level: 1 below the limiter, less as it works harder.
            let slope = match prev {
                Some((pl, pv)) if (level - pl).abs() > 1e-3 => {
                    ((predicted - pv) / (level - pl)).clamp(0.2, 1.2)
                }
                _ => 1.0,
            };
            prev = Some((level, predicted));
            let new_level = (level + err / slope).clamp(-24.0, 24.0) as f32;
            if new_level < 0.0 {
                s.in_gain_db = (new_level * 100.0).round() / 100.0;
                drive = 0.0;
            } else {
                s.in_gain_db = 0.0;
                drive = new_level;
            }
            s.lim_drive_db = drive;
        }
    }
    let predicted = predicted + offset;
    let drive = (drive * 100.0).round() / 100.0;
    s.lim_drive_db = drive;
    let peak_limiting = (pre_tp + drive as f64 - s.lim_ceiling_dbtp as f64).max(0.0);
    let mm = &mut sug.measurements;
    mm.insert("pre_limiter_lufs".into(), pre_lufs);
    mm.insert("pre_limiter_true_peak_dbtp".into(), pre_tp);
    mm.insert("predicted_lufs".into(), predicted);
    if let Some(tp) = predicted_tp {
        mm.insert("predicted_true_peak_dbtp".into(), tp);
    }
    mm.insert("lim_drive_db".into(), drive as f64);
    mm.insert("limiting_db".into(), peak_limiting);
    mm.insert("glue_gr_db".into(), glue_gr as f64);
    if (predicted - target_lufs).abs() > LOUDNESS_TOLERANCE_LU + 0.1 {
        sug.warnings.push(format!(
            "{target_lufs:.1} LUFS is out of reach within the limiter's 24 dB of drive; the \
             simulation predicts {predicted:.1} LUFS."
        ));
    }
    if peak_limiting > max_lim as f64 {
        let d_s = ((s.lim_ceiling_dbtp as f64 + max_lim as f64 - pre_tp) as f32).clamp(0.0, 24.0);
        let l_s = limited_loudness(&pre, sr, &s, d_s) + offset;
        let sensible = (l_s * 2.0).floor() / 2.0;
        sug.measurements
            .insert("sensible_target_lufs".into(), sensible);
        sug.warnings.push(format!(
            "{target_lufs:.1} LUFS needs {peak_limiting:.1} dB of limiting (more than \
             {max_lim:.1} dB); {sensible:.1} LUFS keeps the transients."
        ));
    }

    // Items.
    let mut items = tonal_items;
    items.extend(stereo_items);
    if s.in_gain_db != 0.0 {
        items.push(item(
            "input",
            format!("Turn the input down by {:.1} dB", -s.in_gain_db),
            &[("in_gain", s.in_gain_db)],
            format!(
                "The mix ({integrated:.1} LUFS) is already louder than the {target_lufs:.1} LUFS \
                 target."
            ),
            evidence * 0.9,
        ));
    }
    if let Some(g) = glue_item {
        items.push(g);
    }
    // The limiter's confidence: coverage of the song, whether the simulation reached the
    // target, how hard the limiter must work (the more limiting, the less certain the result
    // is what the engineer wants) and how well the excerpt stood for the whole (its loudness
    // offset).
    let reach = if (predicted - target_lufs).abs() <= LOUDNESS_TOLERANCE_LU {
        1.0
    } else {
        0.5
    };
    let strain = 1.0 - (peak_limiting / (2.0 * max_lim.max(0.5) as f64)).min(0.5) as f32;
    let representative = 1.0 - (offset.abs() / 5.0).min(0.3) as f32;
    let lim_conf = (reach * strain * representative * (0.4 + 0.6 * evidence)).clamp(0.0, 1.0);
    items.push(item(
        "limiter",
        format!(
            "Limiter: drive {drive:.1} dB, ceiling {:.1} dBTP",
            s.lim_ceiling_dbtp
        ),
        &[
            ("lim_drive", drive),
            ("lim_ceiling", s.lim_ceiling_dbtp),
            ("lim_release", s.lim_release_ms),
            (
                "lim_auto_release",
                if s.lim_auto_release { 1.0 } else { 0.0 },
            ),
            ("lim_lookahead", s.lim_lookahead_ms),
            ("lim_oversampling", s.lim_oversampling as f32),
        ],
        format!(
            "From {integrated:.1} LUFS to the {target_lufs:.1} LUFS of {target_name}: the whole \
             chain simulated on {:.0} s chosen across the {:.0} s heard (loud and quiet passages \
             in the song's proportions) predicts {predicted:.1} LUFS with {peak_limiting:.1} dB \
             of peak limiting, true peak held at {ceiling:.1} dBTP{}.",
            frames as f64 / sr as f64,
            analysis.heard_seconds,
            if s.lim_ceiling_dbtp < ceiling - 1e-3 {
                format!(
                    " (the limiter's ceiling is set {:.2} dB lower: heavy limiting overshot \
                     it in the simulation)",
                    ceiling - s.lim_ceiling_dbtp
                )
            } else {
                String::new()
            }
        ),
        lim_conf,
    ));
    let mut values = BTreeMap::new();
    for it in &items {
        for (k, v) in &it.values {
            values.insert(k.clone(), *v);
        }
    }
    sug.values = values;
    sug.confidence = if items.is_empty() {
        0.0
    } else {
        items.iter().map(|i| i.confidence).sum::<f32>() / items.len() as f32
    };
    sug.items = items;
    sug
}

#[cfg(test)]
mod tests;
