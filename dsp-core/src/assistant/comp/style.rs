//! Compression styles and the material rule: the records of `data/comp_styles.json`.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use super::STYLES_JSON;
use crate::chains::comp::CompDetector;

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
    ///
    /// [`average_gain_reduction`]: super::average_gain_reduction
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

pub(super) fn parsed() -> &'static (u32, Vec<StyleParams>, MaterialRule) {
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
