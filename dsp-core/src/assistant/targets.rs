//! Tonal targets for the EQ assistant: versioned data with their sources.
//!
//! A [`Target`] is a relative curve, dB versus frequency, on the scale of fractional-octave band
//! power referenced to pink noise: pink noise reads 0 dB in every band, so [`TargetId::Flat`] is
//! the pink spectrum. Curves are level-independent (the assistant aligns levels before comparing)
//! and are interpolated linearly in log frequency between their points (flat beyond the ends).
//!
//! The built-in curves live in `dsp-core/data/tonal_targets.json` (compiled in), each with a
//! `version` and a `source` text saying honestly what it is based on: Flat is exact by
//! definition; Balanced, Warm and Bright are measured on real music and come from
//! `dsp-core/data/measured_targets.json` (the median spectrum of a documented set of tracks with
//! its interquartile range as the tolerance corridor, rebuilt by `tandem build-targets`; they
//! replace the hand-drawn entries of the same id); Vocal, Bass, Drums and Acoustic are
//! hand-drawn heuristics (`measured: false`). [`Target::from_reference`] builds a target from a
//! reference track's measured spectrum (reference mode).

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The built-in target data (JSON).
pub const TARGETS_JSON: &str = include_str!("../../data/tonal_targets.json");

/// The measured targets (Balanced, Warm, Bright), rebuilt from real music by
/// `tandem build-targets` (see docs/ASSISTANTS.md); they replace the entries of
/// [`TARGETS_JSON`] with the same `id`.
pub const MEASURED_TARGETS_JSON: &str = include_str!("../../data/measured_targets.json");

/// The built-in targets' identifiers, in the plugin's enum order (reference mode is separate:
/// see [`Target::from_reference`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TargetId {
    /// Pink-referenced flat: equal power in every 1/N-octave band.
    Flat,
    /// Full mixes, after the average shape of commercial music.
    Balanced,
    /// Fuller lows and low-mids, darker top.
    Warm,
    /// Leaner lows, more open top.
    Bright,
    /// A vocal track.
    Vocal,
    /// A bass instrument track.
    Bass,
    /// A drum bus.
    Drums,
    /// Acoustic material.
    Acoustic,
}

impl TargetId {
    /// All built-in targets in order.
    pub const ALL: [TargetId; 8] = [
        TargetId::Flat,
        TargetId::Balanced,
        TargetId::Warm,
        TargetId::Bright,
        TargetId::Vocal,
        TargetId::Bass,
        TargetId::Drums,
        TargetId::Acoustic,
    ];

    /// The stable lower-case key used in the data file and on the command line, e.g. `"warm"`.
    pub fn key(self) -> &'static str {
        match self {
            TargetId::Flat => "flat",
            TargetId::Balanced => "balanced",
            TargetId::Warm => "warm",
            TargetId::Bright => "bright",
            TargetId::Vocal => "vocal",
            TargetId::Bass => "bass",
            TargetId::Drums => "drums",
            TargetId::Acoustic => "acoustic",
        }
    }

    /// The identifier for a key (case-insensitive), `None` if unknown.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.key().eq_ignore_ascii_case(key.trim()))
    }

    /// The built-in target (parsed once from [`TARGETS_JSON`]).
    pub fn target(self) -> Target {
        builtin_targets()
            .iter()
            .find(|t| t.id == self.key())
            .cloned()
            .unwrap_or_else(Target::flat)
    }
}

/// One point of a target curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "(f32, f32)", into = "(f32, f32)")]
pub struct TargetPoint {
    /// Frequency in Hz.
    pub freq_hz: f32,
    /// Relative level in dB (pink-referenced band power).
    pub db: f32,
}

impl From<(f32, f32)> for TargetPoint {
    fn from((freq_hz, db): (f32, f32)) -> Self {
        Self { freq_hz, db }
    }
}

impl From<TargetPoint> for (f32, f32) {
    fn from(p: TargetPoint) -> Self {
        (p.freq_hz, p.db)
    }
}

/// One point of a target's tolerance corridor: at `freq_hz` (Hz) a level from `below_db` (≤ 0)
/// to `above_db` (≥ 0) around the curve counts as on target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "(f32, f32, f32)", into = "(f32, f32, f32)")]
pub struct CorridorPoint {
    /// Frequency in Hz.
    pub freq_hz: f32,
    /// Lower edge relative to the curve, dB (≤ 0).
    pub below_db: f32,
    /// Upper edge relative to the curve, dB (≥ 0).
    pub above_db: f32,
}

impl From<(f32, f32, f32)> for CorridorPoint {
    fn from((freq_hz, below_db, above_db): (f32, f32, f32)) -> Self {
        Self {
            freq_hz,
            below_db,
            above_db,
        }
    }
}

impl From<CorridorPoint> for (f32, f32, f32) {
    fn from(p: CorridorPoint) -> Self {
        (p.freq_hz, p.below_db, p.above_db)
    }
}

/// Half-width (dB) of a reference target's corridor: a reference is matched closely.
pub const REFERENCE_TOLERANCE_DB: f32 = 0.5;

/// Half-width (dB) of the corridor of a target that has none of its own (hand-drawn curves).
pub const DEFAULT_TOLERANCE_DB: f32 = 1.5;

/// A tonal target: a relative dB-versus-frequency curve with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Stable key, e.g. `"balanced"`, or `"reference"` for reference mode.
    pub id: String,
    /// Display name, e.g. `"Balanced"`.
    pub name: String,
    /// Version of this curve (bumped whenever its numbers change).
    pub version: u32,
    /// What the curve is based on, in plain words.
    pub source: String,
    /// Curve points, ascending in frequency (Hz, dB).
    pub points: Vec<TargetPoint>,
    /// The tolerance corridor around the curve, ascending in frequency (empty:
    /// ±[`DEFAULT_TOLERANCE_DB`]). Measured targets carry their interquartile range.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corridor: Vec<CorridorPoint>,
    /// Where the curve says anything (Hz): outside, the assistant leaves the music alone (a
    /// reference without content there, e.g. above a codec's lowpass). `None`: everywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_hz: Option<(f32, f32)>,
    /// True when the curve was measured on real music (or is a reference); false for the
    /// hand-drawn heuristics, which the editor labels so and whose items get less confidence.
    #[serde(default)]
    pub measured: bool,
}

/// The layout of [`TARGETS_JSON`].
#[derive(Debug, Clone, Deserialize)]
struct TargetFile {
    version: u32,
    targets: Vec<Target>,
}

/// The version of the built-in target set (the data file's `version`).
pub fn targets_version() -> u32 {
    parsed().0
}

/// All built-in targets, in [`TargetId::ALL`] order.
pub fn builtin_targets() -> &'static [Target] {
    &parsed().1
}

fn parsed() -> &'static (u32, Vec<Target>) {
    static CELL: OnceLock<(u32, Vec<Target>)> = OnceLock::new();
    CELL.get_or_init(|| match serde_json::from_str::<TargetFile>(TARGETS_JSON) {
        Ok(f) => {
            let measured = serde_json::from_str::<TargetFile>(MEASURED_TARGETS_JSON)
                .map(|m| m.targets)
                .unwrap_or_default();
            let targets = f
                .targets
                .into_iter()
                .map(|t| {
                    let t = measured
                        .iter()
                        .find(|m| m.id == t.id)
                        .cloned()
                        .map_or(t, |mut m| {
                            m.measured = true;
                            m
                        });
                    t.normalized()
                })
                .collect();
            (f.version, targets)
        }
        // The data file is compiled in and checked by the tests; never fail at run time.
        Err(_) => (0, vec![Target::flat()]),
    })
}

impl Target {
    /// The flat (pink-referenced) target, independent of the data file.
    pub fn flat() -> Self {
        Self {
            id: "flat".into(),
            name: "Flat".into(),
            version: 1,
            source: "equal power in every 1/N-octave band (pink noise)".into(),
            points: vec![(20.0, 0.0).into(), (20_000.0, 0.0).into()],
            corridor: Vec::new(),
            valid_hz: None,
            measured: true,
        }
    }

    /// The built-in target with the key `key` (e.g. `"warm"`), case-insensitive.
    pub fn builtin(key: &str) -> Option<Self> {
        TargetId::from_key(key).map(TargetId::target)
    }

    /// The same target with non-finite or non-positive-frequency points removed and the rest
    /// sorted by frequency.
    pub fn normalized(mut self) -> Self {
        self.corridor.retain(|p| {
            p.freq_hz.is_finite()
                && p.freq_hz > 0.0
                && p.below_db.is_finite()
                && p.above_db.is_finite()
        });
        self.corridor
            .sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
        self.points
            .retain(|p| p.freq_hz.is_finite() && p.freq_hz > 0.0 && p.db.is_finite());
        self.points.sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
        self
    }

    /// The target level at `freq_hz` (Hz), in dB: linear interpolation in log frequency, flat
    /// beyond the first and last points, 0 dB for an empty curve.
    pub fn db_at(&self, freq_hz: f32) -> f32 {
        let pts = &self.points;
        let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
            return 0.0;
        };
        if !(freq_hz.is_finite() && freq_hz > first.freq_hz) {
            return first.db;
        }
        if freq_hz >= last.freq_hz {
            return last.db;
        }
        let i = pts.partition_point(|p| p.freq_hz <= freq_hz);
        let (a, b) = (pts[i - 1], pts[i]);
        let span = (b.freq_hz / a.freq_hz).ln();
        if span <= 0.0 {
            return b.db;
        }
        let t = (freq_hz / a.freq_hz).ln() / span;
        a.db + t * (b.db - a.db)
    }

    /// The tolerance corridor at `freq_hz` (Hz): (below, above) in dB relative to the curve,
    /// interpolated like [`Self::db_at`].
    pub fn corridor_at(&self, freq_hz: f32) -> (f32, f32) {
        let c = &self.corridor;
        let (Some(first), Some(last)) = (c.first(), c.last()) else {
            return (-DEFAULT_TOLERANCE_DB, DEFAULT_TOLERANCE_DB);
        };
        if !(freq_hz.is_finite() && freq_hz > first.freq_hz) {
            return (first.below_db, first.above_db);
        }
        if freq_hz >= last.freq_hz {
            return (last.below_db, last.above_db);
        }
        let i = c.partition_point(|p| p.freq_hz <= freq_hz);
        let (a, b) = (c[i - 1], c[i]);
        let span = (b.freq_hz / a.freq_hz).ln();
        if span <= 0.0 {
            return (b.below_db, b.above_db);
        }
        let t = (freq_hz / a.freq_hz).ln() / span;
        (
            a.below_db + t * (b.below_db - a.below_db),
            a.above_db + t * (b.above_db - a.above_db),
        )
    }

    /// True when `freq_hz` (Hz) lies where the curve says anything (see [`Self::valid_hz`]).
    pub fn covers(&self, freq_hz: f32) -> bool {
        self.valid_hz
            .is_none_or(|(lo, hi)| (lo..=hi).contains(&freq_hz))
    }

    /// A target from a reference track's spectrum (reference mode): `centers_hz` / `band_db` are
    /// a fractional-octave band curve (e.g. an LTAS on the sine-peak scale, where pink noise is
    /// flat). Bands more than `floor_below_peak_db` (dB) below the loudest band are treated as
    /// noise floor and dropped; the rest is smoothed over `smoothing_oct` octaves (a running mean
    /// in dB; 0 = as measured) and shifted so the curve's mean over 200 Hz–5 kHz is 0 dB. `name`
    /// is the display name (e.g. the reference file's name).
    pub fn from_reference(
        name: &str,
        centers_hz: &[f32],
        band_db: &[f32],
        floor_below_peak_db: f32,
        smoothing_oct: f32,
    ) -> Self {
        let half_oct = if smoothing_oct.is_finite() {
            smoothing_oct.max(0.0) / 2.0
        } else {
            0.0
        };
        let pairs: Vec<(f32, f32)> = centers_hz
            .iter()
            .zip(band_db)
            .filter(|(f, d)| f.is_finite() && **f > 0.0 && d.is_finite())
            .map(|(f, d)| (*f, *d))
            .collect();
        let peak = pairs.iter().map(|p| p.1).fold(f32::NEG_INFINITY, f32::max);
        let kept: Vec<(f32, f32)> = pairs
            .into_iter()
            .filter(|p| p.1 >= peak - floor_below_peak_db.abs())
            .collect();
        let smoothed: Vec<(f32, f32)> = kept
            .iter()
            .map(|&(f, _)| {
                let near: Vec<f32> = kept
                    .iter()
                    .filter(|(g, _)| (g / f).log2().abs() <= half_oct + 1e-4)
                    .map(|p| p.1)
                    .collect();
                (f, near.iter().sum::<f32>() / near.len().max(1) as f32)
            })
            .collect();
        let mid: Vec<f32> = smoothed
            .iter()
            .filter(|(f, _)| (200.0..=5000.0).contains(f))
            .map(|p| p.1)
            .collect();
        let offset = if mid.is_empty() {
            smoothed.iter().map(|p| p.1).sum::<f32>() / smoothed.len().max(1) as f32
        } else {
            mid.iter().sum::<f32>() / mid.len() as f32
        };
        let valid_hz = match (smoothed.first(), smoothed.last()) {
            (Some(a), Some(b)) => Some((a.0, b.0)),
            _ => None,
        };
        Self {
            id: "reference".into(),
            name: name.to_string(),
            version: 1,
            source: format!(
                "reference mode: the measured long-term average spectrum of '{name}' \
                 (non-silent frames, {} bands, smoothed over {:.2} octave, bands more than \
                 {:.0} dB below the loudest dropped)",
                smoothed.len(),
                2.0 * half_oct,
                floor_below_peak_db.abs()
            ),
            corridor: smoothed
                .iter()
                .map(|&(f, _)| (f, -REFERENCE_TOLERANCE_DB, REFERENCE_TOLERANCE_DB).into())
                .collect(),
            points: smoothed
                .into_iter()
                .map(|(f, d)| (f, d - offset).into())
                .collect(),
            valid_hz,
            measured: true,
        }
        .normalized()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_targets_parse_with_versions_and_sources() {
        assert_eq!(targets_version(), 1);
        let all = builtin_targets();
        assert_eq!(all.len(), TargetId::ALL.len());
        for (t, id) in all.iter().zip(TargetId::ALL) {
            assert_eq!(t.id, id.key());
            assert_eq!(id.target(), *t);
            assert!(t.version >= 1);
            assert!(t.source.len() > 40, "{}", t.id);
            assert!(t.points.len() >= 2);
            assert!(t.points.windows(2).all(|w| w[0].freq_hz < w[1].freq_hz));
            // Relative curves: 0 dB at 1 kHz.
            assert!(t.db_at(1000.0).abs() < 1e-6, "{}", t.id);
        }
        assert!(TargetId::Flat.target().points.iter().all(|p| p.db == 0.0));
        assert_eq!(Target::builtin("WARM").unwrap().name, "Warm");
        assert!(Target::builtin("nope").is_none());
    }

    #[test]
    fn interpolation_is_linear_in_log_frequency() {
        let t = Target {
            id: "t".into(),
            name: "t".into(),
            version: 1,
            source: String::new(),
            points: vec![(100.0, 0.0).into(), (400.0, -6.0).into()],
            corridor: Vec::new(),
            valid_hz: None,
            measured: false,
        };
        assert!((t.db_at(200.0) + 3.0).abs() < 1e-5);
        assert_eq!(t.db_at(10.0), 0.0);
        assert_eq!(t.db_at(1e5), -6.0);
        assert_eq!(t.db_at(f32::NAN), 0.0);
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("[100.0,0.0]"));
        assert_eq!(serde_json::from_str::<Target>(&json).unwrap(), t);
    }

    #[test]
    fn reference_target_is_relative_and_drops_the_floor() {
        let centers: Vec<f32> = (0..60).map(|k| 20.0 * 2f32.powf(k as f32 / 6.0)).collect();
        // A 3 dB/octave tilt at an arbitrary level, with a dead band at the top.
        let db: Vec<f32> = centers
            .iter()
            .map(|f| {
                if *f > 15_000.0 {
                    -190.0
                } else {
                    -30.0 + 3.0 * (f / 1000.0).log2()
                }
            })
            .collect();
        let t = Target::from_reference("ref.wav", &centers, &db, 60.0, 1.0 / 3.0);
        assert!(t.points.iter().all(|p| p.freq_hz <= 15_000.0));
        assert!((t.db_at(2000.0) - t.db_at(1000.0) - 3.0).abs() < 0.05);
        let mid: Vec<f32> = t
            .points
            .iter()
            .filter(|p| (200.0..=5000.0).contains(&p.freq_hz))
            .map(|p| p.db)
            .collect();
        assert!((mid.iter().sum::<f32>() / mid.len() as f32).abs() < 1e-3);
        assert!(t.source.contains("ref.wav"));
    }
}
