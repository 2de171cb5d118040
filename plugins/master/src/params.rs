//! Tandem Master's host-visible parameters (the engineer's manual settings). Every ID is the
//! chain's stable ID (see [`dsp_core::chains::master::PARAMS`]; ranges, defaults and names are
//! built from that table), plus the assistant's own `master_target`, `custom_lufs` and
//! `custom_ceiling`, and the shared assistant parameters (`compare`, `match_levels`, `amount`).

use crate::reference::ReferenceSlot;
use dsp_core::assistant::master::Platform;
use dsp_core::chains::master::{MasterSettings, ParamInfo, PARAMS};
use nice_plug::prelude::*;
use std::sync::{Arc, OnceLock};
use tandem_common::audio::compare::switch_param;
use tandem_common::audio::store::SuggestionStore;
use tandem_common::params::{
    bool_param, float_param, menu_param, table_entry, AssistedParams, TandemParams,
};

/// Where a tonal section acts: the EQ's first three placements (the chain reads 0 stereo, 1 mid,
/// 2 side; pinned by a test).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    #[id = "stereo"]
    Stereo,
    #[id = "mid"]
    Mid,
    #[id = "side"]
    Side,
}

/// The limiter's oversampling factor (index order of `OVERSAMPLING_FACTORS`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversampling {
    #[id = "x1"]
    #[name = "1x"]
    X1,
    #[id = "x2"]
    #[name = "2x"]
    X2,
    #[id = "x4"]
    #[name = "4x"]
    X4,
    #[id = "x8"]
    #[name = "8x"]
    X8,
}

/// Dither after the limiter (index order of `dsp_core::chains::master::Dither`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DitherMode {
    #[id = "off"]
    Off,
    #[id = "16bit"]
    #[name = "16-bit"]
    Bits16,
    #[id = "24bit"]
    #[name = "24-bit"]
    Bits24,
}

/// The delivery target: dsp-core's [`Platform`], named from its loudness-target data file. The
/// IDs are the platforms' stable keys, so a saved project keeps its target; a platform added to
/// dsp-core appears here without a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformParam(pub Platform);

impl Enum for PlatformParam {
    fn variants() -> &'static [&'static str] {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        NAMES.get_or_init(|| Platform::ALL.iter().map(|p| p.name()).collect())
    }

    fn ids() -> Option<&'static [&'static str]> {
        static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
        Some(IDS.get_or_init(|| Platform::ALL.iter().map(|p| p.key()).collect()))
    }

    fn to_index(self) -> usize {
        self.0.index()
    }

    fn from_index(index: usize) -> Self {
        Self(Platform::ALL.get(index).copied().unwrap_or_default())
    }
}

/// Reads one parameter's plain chain value from the host parameters.
type Getter = fn(&MasterParams) -> f32;

/// One getter per entry of [`PARAMS`], in the same order (`manual_settings_follow_the_ids` checks
/// every pairing against the parameters' own IDs), so the audio thread reads the manual settings
/// without comparing strings.
const GETTERS: [Getter; 33] = [
    |p| p.in_gain.value(),                         // in_gain
    |p| p.ls_gain.value(),                         // ls_gain
    |p| p.ls_freq.value(),                         // ls_freq
    |p| p.ls_place.value().to_index() as f32,      // ls_place
    |p| p.hs_gain.value(),                         // hs_gain
    |p| p.hs_freq.value(),                         // hs_freq
    |p| p.hs_place.value().to_index() as f32,      // hs_place
    |p| p.tilt_gain.value(),                       // tilt_gain
    |p| p.tilt_place.value().to_index() as f32,    // tilt_place
    |p| p.bell1_gain.value(),                      // bell1_gain
    |p| p.bell1_freq.value(),                      // bell1_freq
    |p| p.bell1_q.value(),                         // bell1_q
    |p| p.bell1_place.value().to_index() as f32,   // bell1_place
    |p| p.bell2_gain.value(),                      // bell2_gain
    |p| p.bell2_freq.value(),                      // bell2_freq
    |p| p.bell2_q.value(),                         // bell2_q
    |p| p.bell2_place.value().to_index() as f32,   // bell2_place
    |p| if p.glue_on.value() { 1.0 } else { 0.0 }, // glue_on
    |p| p.glue_threshold.value(),                  // glue_threshold
    |p| p.glue_ratio.value(),                      // glue_ratio
    |p| p.glue_attack.value(),                     // glue_attack
    |p| p.glue_release.value(),                    // glue_release
    |p| {
        if p.glue_auto_release.value() {
            1.0
        } else {
            0.0
        }
    }, // glue_auto_release
    |p| p.glue_makeup.value(),                     // glue_makeup
    |p| p.width.value(),                           // width
    |p| p.mono_below.value(),                      // mono_below
    |p| p.lim_drive.value(),                       // lim_drive
    |p| p.lim_ceiling.value(),                     // lim_ceiling
    |p| p.lim_release.value(),                     // lim_release
    |p| if p.lim_auto_release.value() { 1.0 } else { 0.0 }, // lim_auto_release
    |p| p.lim_lookahead.value(),                   // lim_lookahead
    |p| p.lim_oversampling.value().to_index() as f32, // lim_oversampling
    |p| p.dither.value().to_index() as f32,        // dither
];
const _: () = assert!(
    GETTERS.len() == PARAMS.len(),
    "one getter per chain parameter"
);

/// The editor's default size, which is also its minimum: the layout is designed for it, and
/// smaller windows would hide the meters or cut labels (the window may grow).
pub const EDITOR_SIZE: (f32, f32) = (1180.0, 720.0);

/// All of Tandem Master's parameters and persisted fields.
#[derive(Params)]
pub struct MasterParams {
    #[id = "in_gain"]
    pub in_gain: FloatParam,
    #[id = "ls_gain"]
    pub ls_gain: FloatParam,
    #[id = "ls_freq"]
    pub ls_freq: FloatParam,
    #[id = "ls_place"]
    pub ls_place: EnumParam<Placement>,
    #[id = "hs_gain"]
    pub hs_gain: FloatParam,
    #[id = "hs_freq"]
    pub hs_freq: FloatParam,
    #[id = "hs_place"]
    pub hs_place: EnumParam<Placement>,
    #[id = "tilt_gain"]
    pub tilt_gain: FloatParam,
    #[id = "tilt_place"]
    pub tilt_place: EnumParam<Placement>,
    #[id = "bell1_gain"]
    pub bell1_gain: FloatParam,
    #[id = "bell1_freq"]
    pub bell1_freq: FloatParam,
    #[id = "bell1_q"]
    pub bell1_q: FloatParam,
    #[id = "bell1_place"]
    pub bell1_place: EnumParam<Placement>,
    #[id = "bell2_gain"]
    pub bell2_gain: FloatParam,
    #[id = "bell2_freq"]
    pub bell2_freq: FloatParam,
    #[id = "bell2_q"]
    pub bell2_q: FloatParam,
    #[id = "bell2_place"]
    pub bell2_place: EnumParam<Placement>,
    #[id = "glue_on"]
    pub glue_on: BoolParam,
    #[id = "glue_threshold"]
    pub glue_threshold: FloatParam,
    #[id = "glue_ratio"]
    pub glue_ratio: FloatParam,
    #[id = "glue_attack"]
    pub glue_attack: FloatParam,
    #[id = "glue_release"]
    pub glue_release: FloatParam,
    #[id = "glue_auto_release"]
    pub glue_auto_release: BoolParam,
    #[id = "glue_makeup"]
    pub glue_makeup: FloatParam,
    #[id = "width"]
    pub width: FloatParam,
    #[id = "mono_below"]
    pub mono_below: FloatParam,
    #[id = "lim_drive"]
    pub lim_drive: FloatParam,
    #[id = "lim_ceiling"]
    pub lim_ceiling: FloatParam,
    #[id = "lim_release"]
    pub lim_release: FloatParam,
    #[id = "lim_auto_release"]
    pub lim_auto_release: BoolParam,
    #[id = "lim_lookahead"]
    pub lim_lookahead: FloatParam,
    #[id = "lim_oversampling"]
    pub lim_oversampling: EnumParam<Oversampling>,
    #[id = "dither"]
    pub dither: EnumParam<DitherMode>,

    /// The assistant's delivery target.
    #[id = "master_target"]
    pub master_target: EnumParam<PlatformParam>,
    /// Custom target loudness, LUFS (used when `master_target` is Custom).
    #[id = "custom_lufs"]
    pub custom_lufs: FloatParam,
    /// Custom target ceiling, dBTP (used when `master_target` is Custom).
    #[id = "custom_ceiling"]
    pub custom_ceiling: FloatParam,
    /// Reference mode: aim at the loaded reference's loudness and tonal balance instead of the
    /// platform target (true peak still held at the ceiling).
    #[id = "match_reference"]
    pub match_reference: BoolParam,
    /// The reference master (reference mode), saved with the project.
    #[persist = "reference"]
    pub reference: Arc<ReferenceSlot>,

    /// The assistant's parameters and what every plugin persists.
    #[nested]
    pub common: TandemParams,
}

fn info(id: &str) -> &'static ParamInfo {
    table_entry(PARAMS, id)
}

/// "x.xx" with the unit appended by nice-plug.
fn decimals(n: usize) -> Arc<dyn Fn(f32) -> String + Send + Sync> {
    formatters::v2s_f32_rounded(n)
}

/// A float parameter from the chain's table: range shape and display by unit.
fn float(id: &str) -> FloatParam {
    let p = info(id);
    let (min, max) = (p.min, p.max);
    let (linear, skewed) = (None, Some);
    let param = |skew| float_param(p, skew);
    match p.unit {
        "Hz" if id == "mono_below" => param(linear)
            .with_value_to_string(Arc::new(|v| {
                if v < dsp_core::chains::master::MONO_BELOW_MIN_HZ {
                    "Off".to_string()
                } else {
                    format!("{v:.0} Hz")
                }
            }))
            .with_string_to_value(Arc::new(|s| {
                let t = s.trim();
                if t.eq_ignore_ascii_case("off") {
                    return Some(0.0);
                }
                t.trim_end_matches("Hz")
                    .trim_end_matches("hz")
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|v| v.is_finite())
            })),
        // Wide ranges (20 Hz–20 kHz) skew harder than one decade (the high shelf).
        "Hz" => param(skewed(if max / min > 20.0 { -2.0 } else { -1.0 }))
            .with_value_to_string(formatters::v2s_f32_hz_then_khz(2))
            .with_string_to_value(formatters::s2v_f32_hz_then_khz()),
        "ms" => param(if max / min > 20.0 {
            skewed(-1.0)
        } else {
            linear
        })
        .with_unit(" ms")
        .with_value_to_string(Arc::new(|v| {
            // Enough digits that the text maps back near the value across the range.
            if v < 10.0 {
                format!("{v:.2}")
            } else if v < 100.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.0}")
            }
        })),
        ":1" => param(skewed(-1.0))
            .with_unit(":1")
            .with_value_to_string(decimals(2)),
        "%" => param(linear)
            .with_unit(" %")
            .with_value_to_string(decimals(0)),
        "" => param(linear).with_value_to_string(decimals(2)),
        unit => param(linear)
            .with_unit(match unit {
                "dB" => " dB",
                "dBFS" => " dBFS",
                "dBTP" => " dBTP",
                _ => "",
            })
            .with_value_to_string(decimals(2)),
    }
}

fn boolean(id: &str) -> BoolParam {
    bool_param(info(id))
}

fn enumeration<T: Enum + PartialEq + 'static>(id: &str) -> EnumParam<T> {
    menu_param(info(id))
}

impl MasterParams {}

impl AssistedParams for MasterParams {
    type Settings = MasterSettings;

    /// Parameters with the given suggestion store (shared with the assistant runtime).
    fn with_store(store: Arc<SuggestionStore>) -> Self {
        let common = TandemParams::new(store, EDITOR_SIZE, crate::CLAP_ID);
        let loader = common.loader.clone();
        Self {
            in_gain: float("in_gain"),
            ls_gain: float("ls_gain"),
            ls_freq: float("ls_freq"),
            ls_place: enumeration("ls_place"),
            hs_gain: float("hs_gain"),
            hs_freq: float("hs_freq"),
            hs_place: enumeration("hs_place"),
            tilt_gain: float("tilt_gain"),
            tilt_place: enumeration("tilt_place"),
            bell1_gain: float("bell1_gain"),
            bell1_freq: float("bell1_freq"),
            bell1_q: float("bell1_q"),
            bell1_place: enumeration("bell1_place"),
            bell2_gain: float("bell2_gain"),
            bell2_freq: float("bell2_freq"),
            bell2_q: float("bell2_q"),
            bell2_place: enumeration("bell2_place"),
            glue_on: boolean("glue_on"),
            glue_threshold: float("glue_threshold"),
            glue_ratio: float("glue_ratio"),
            glue_attack: float("glue_attack"),
            glue_release: float("glue_release"),
            glue_auto_release: boolean("glue_auto_release"),
            glue_makeup: float("glue_makeup"),
            width: float("width"),
            mono_below: float("mono_below"),
            lim_drive: float("lim_drive"),
            lim_ceiling: float("lim_ceiling"),
            lim_release: float("lim_release"),
            lim_auto_release: boolean("lim_auto_release"),
            lim_lookahead: float("lim_lookahead"),
            lim_oversampling: enumeration("lim_oversampling"),
            dither: enumeration("dither"),
            master_target: EnumParam::new("Target", PlatformParam(Platform::Spotify)),
            custom_lufs: FloatParam::new(
                "Custom LUFS",
                -14.0,
                FloatRange::Linear {
                    min: -30.0,
                    max: -5.0,
                },
            )
            .with_unit(" LUFS")
            .with_value_to_string(decimals(1)),
            custom_ceiling: FloatParam::new(
                "Custom Ceiling",
                -1.0,
                FloatRange::Linear {
                    min: -3.0,
                    max: -0.1,
                },
            )
            .with_unit(" dBTP")
            .with_value_to_string(decimals(2)),
            match_reference: switch_param("Match Reference", false),
            reference: Arc::new(ReferenceSlot::new(loader)),
            common,
        }
    }

    fn common(&self) -> &TandemParams {
        &self.common
    }

    /// Each chain parameter through its getter, by index. Real-time safe.
    fn manual_settings(&self, out: &mut MasterSettings) {
        for (index, get) in GETTERS.iter().enumerate() {
            out.set_param_at(index, get(self));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp_core::chains::master::MasterChain;
    use dsp_core::chains::Chain;
    use std::collections::BTreeSet;

    /// The oversampling, dither, platform and section-placement menus are dsp-core's, index for
    /// index (the chain reads a place as 0 stereo, 1 mid, 2 side: the EQ's first three
    /// placements).
    #[test]
    fn enums_mirror_dsp_core() {
        use dsp_core::chains::master::{Dither, OVERSAMPLING_FACTORS};
        use tandem_common::mirror::assert_mirrors;
        assert_mirrors::<Oversampling, _>("oversampling", &OVERSAMPLING_FACTORS);
        assert_mirrors::<DitherMode, _>("dither", &Dither::ALL);
        // The target's IDs are what saved projects hold: today's never change.
        let ids = [
            "spotify", "apple", "youtube", "tidal", "amazon", "deezer", "ebu_r128",
        ];
        assert_eq!(&PlatformParam::ids().unwrap()[..ids.len()], &ids);
        assert_eq!(PlatformParam::ids().unwrap().last(), Some(&"custom"));
        assert_eq!(PlatformParam::variants().len(), Platform::ALL.len());
        for (i, p) in Platform::ALL.iter().enumerate() {
            assert_eq!(PlatformParam::from_index(i), PlatformParam(*p));
            assert_eq!(PlatformParam(*p).to_index(), i);
        }
        assert_mirrors::<Placement, _>("placement", &dsp_core::chains::eq::Placement::ALL[..3]);
    }

    #[test]
    fn every_chain_id_is_a_host_parameter_with_the_table_default() {
        let params =
            MasterParams::with_store(Arc::new(SuggestionStore::new(MasterChain::params())));
        let map = params.param_map();
        let ids: BTreeSet<&str> = map.iter().map(|(id, _, _)| id.as_str()).collect();
        let manual = tandem_common::params::manual_values(&params);
        for p in PARAMS {
            assert!(ids.contains(p.id), "{} missing", p.id);
            assert_eq!(manual[p.id], p.default, "{}", p.id);
        }
        for id in [
            "master_target",
            "custom_lufs",
            "custom_ceiling",
            "compare",
            "match_levels",
            "amount",
        ] {
            assert!(ids.contains(id), "{id} missing");
        }
        let mut s = MasterSettings {
            lim_drive_db: 5.0,
            ..Default::default()
        };
        params.manual_settings(&mut s);
        assert_eq!(s, MasterSettings::default());
    }

    tandem_common::chain_params_tests!(MasterParams, dsp_core::chains::master::MasterChain);
}
