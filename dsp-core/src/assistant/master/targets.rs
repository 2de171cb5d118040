//! Platform loudness targets (the sourced data file), custom targets, the reference of
//! reference mode and the assistant's options.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::analysis::MasterAnalysisResult;
use super::LOUDNESS_TARGETS_JSON;
use crate::assistant::targets::Target;

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

/// Declares [`Platform`] and its `ALL` list from one list of variants.
macro_rules! platforms {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$attr:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$attr])* $variant,)+
        }

        impl $name {
            /// All platforms in index order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];
        }
    };
}

platforms! {
    /// A delivery target: one variant per row of the loudness-target data file
    /// (`dsp-core/data/loudness_targets.json`), in the file's order, then `Custom`. The order is
    /// the parameter's enum index and never changes; the key, name and numbers come from the
    /// file. Adding a platform is a row at the end of the file and a variant before `Custom`
    /// (a test fails when the two disagree).
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
}

impl Platform {
    /// The stable key (`spotify`, `apple`, … from the data file; `custom`).
    pub fn key(self) -> &'static str {
        match self.data() {
            Some(t) => &t.key,
            None => "custom",
        }
    }

    /// The display name (`Spotify`, `Apple Music`, … from the data file; `Custom`).
    pub fn name(self) -> &'static str {
        match self.data() {
            Some(t) => &t.name,
            None => "Custom",
        }
    }

    /// The platform of a key (case-insensitive).
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.key().eq_ignore_ascii_case(key.trim()))
    }

    /// The enum index (the data file's row; `Custom` last).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }

    /// The platform of a plain parameter value (rounded, clamped; NaN → Spotify).
    pub fn from_value(value: f32) -> Self {
        if !value.is_finite() {
            return Self::Spotify;
        }
        Self::ALL[value.round().clamp(0.0, (Self::ALL.len() - 1) as f32) as usize]
    }

    /// The data-file entry: the row at the variant's index (`None` for `Custom`).
    pub fn data(self) -> Option<&'static PlatformTarget> {
        match self {
            Platform::Custom => None,
            p => loudness_targets().get(p.index()),
        }
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

/// Options of [`suggest_master`](super::suggest_master).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MasterAssistantOptions {
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

impl Default for MasterAssistantOptions {
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
