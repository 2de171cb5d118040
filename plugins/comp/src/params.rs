//! Tandem Comp's host-visible parameters (the engineer's manual settings). IDs are stable and
//! never renamed; they, the names, ranges and defaults are the chain's table
//! ([`dsp_core::chains::comp::PARAMS`], so suggestions, the CLI and presets use the same names),
//! plus the shared assistant parameters (`compare`, `match_levels`, `amount`) and the assistant's
//! own `comp_style`.

use dsp_core::chains::comp::{ids, CompSettings, MAX_RATIO, PARAMS};
use dsp_core::chains::params::ParamInfo;
use nice_plug::prelude::*;
use std::sync::Arc;
use tandem_common::audio::store::SuggestionStore;
use tandem_common::params::{
    bool_param, float_param, menu_param, table_entry, AssistedParams, TandemParams,
};

/// The level detector (mirrors `dsp_core::chains::comp::CompDetector`, same order).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    #[id = "peak"]
    Peak,
    #[id = "rms"]
    #[name = "RMS"]
    Rms,
}

/// Left/right or mid/side (mirrors `dsp_core::chains::comp::CompStereoMode`, same order).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StereoMode {
    #[id = "lr"]
    #[name = "L/R"]
    LeftRight,
    #[id = "ms"]
    #[name = "M/S"]
    MidSide,
}

/// The compression style the assistant aims for (mirrors `dsp_core::assistant::comp::CompStyle`,
/// same order).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    #[id = "gentle"]
    Gentle,
    #[id = "glue"]
    Glue,
    #[id = "punch"]
    Punch,
    #[id = "vocal"]
    #[name = "Vocal leveler"]
    Vocal,
    #[id = "transient"]
    #[name = "Transient control"]
    Transient,
}

/// Display text of a ratio: `4.0:1`, two decimals below 2 (`1.25:1`, where the skewed range is
/// dense), and `∞:1` at the top of the range (≥ 100 means ∞:1). The precision is chosen on the
/// rounded value so text → value → text is stable.
pub fn ratio_to_string(v: f32) -> String {
    if v >= MAX_RATIO - 0.05 {
        "\u{221e}:1".to_string()
    } else if (v * 100.0).round() / 100.0 < 2.0 {
        format!("{v:.2}:1")
    } else {
        format!("{v:.1}:1")
    }
}

/// Parses `4:1`, `4.0:1`, `4`, `inf`, `∞` or `∞:1` (∞ is the top of the range, 100).
pub fn string_to_ratio(s: &str) -> Option<f32> {
    let s = s.trim();
    let s = s.strip_suffix(":1").unwrap_or(s).trim();
    let lower = s.to_ascii_lowercase();
    if s == "\u{221e}" || lower == "inf" || lower == "infinity" {
        return Some(MAX_RATIO);
    }
    let v: f32 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Display text of a time in ms with a precision that suits the magnitude (`0.05`, `12.5`,
/// `250`); the precision is chosen on the rounded value so text → value → text is stable.
pub fn ms_to_string(v: f32) -> String {
    let r2 = (v * 100.0).round() / 100.0;
    if r2 < 10.0 {
        return format!("{v:.2}");
    }
    let r1 = (v * 10.0).round() / 10.0;
    if r1 < 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// Parses a time in ms (`12.5`, `12.5 ms`, `12.5ms`).
pub fn string_to_ms(s: &str) -> Option<f32> {
    let s = s.trim();
    let s = s.strip_suffix("ms").unwrap_or(s).trim();
    let v: f32 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// The chain's table entry `id`.
fn info(id: &str) -> &'static ParamInfo {
    table_entry(&PARAMS, id)
}

/// A gain in dB (the table's ±24), shown to 0.01 dB.
fn gain_param(id: &str) -> FloatParam {
    float_param(info(id), None)
        .with_unit(" dB")
        .with_value_to_string(formatters::v2s_f32_rounded(2))
}

/// A time in ms on a skewed range (more resolution at the short end).
fn time_param(id: &str) -> FloatParam {
    float_param(info(id), Some(-2.0))
        .with_unit(" ms")
        .with_value_to_string(Arc::new(ms_to_string))
        .with_string_to_value(Arc::new(string_to_ms))
}

/// A percentage 0–100 (plain value in %, as the chain takes it).
fn percent_param(id: &str) -> FloatParam {
    float_param(info(id), None)
        .with_unit(" %")
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

/// The editor's default size, which is also its minimum: the layout is designed for it, and
/// smaller windows would hide the meters or cut labels (the window may grow).
pub const EDITOR_SIZE: (f32, f32) = (1000.0, 640.0);

/// All of Tandem Comp's parameters and persisted fields.
#[derive(Params)]
pub struct CompParams {
    /// Threshold, dBFS.
    #[id = "threshold"]
    pub threshold_db: FloatParam,
    /// Ratio; the top of the range (100) is ∞:1.
    #[id = "ratio"]
    pub ratio: FloatParam,
    /// Soft-knee width, dB.
    #[id = "knee"]
    pub knee_db: FloatParam,
    /// Attack, ms.
    #[id = "attack"]
    pub attack_ms: FloatParam,
    /// Release, ms.
    #[id = "release"]
    pub release_ms: FloatParam,
    /// Program-dependent release.
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    /// Peak or RMS detector.
    #[id = "detector"]
    pub detector: EnumParam<Detector>,
    /// Stereo link, %.
    #[id = "link"]
    pub link_pct: FloatParam,
    /// L/R or M/S.
    #[id = "stereo_mode"]
    pub stereo_mode: EnumParam<StereoMode>,
    /// Key from the external side-chain input.
    #[id = "sc_external"]
    pub sc_external: BoolParam,
    /// Side-chain high-pass corner, Hz.
    #[id = "sc_hpf"]
    pub sc_hpf_hz: FloatParam,
    /// Side-chain high-pass on.
    #[id = "sc_hpf_on"]
    pub sc_hpf_on: BoolParam,
    /// Lookahead, ms (does not change the latency, which is always the maximum lookahead).
    #[id = "lookahead"]
    pub lookahead_ms: FloatParam,
    /// Makeup gain, dB.
    #[id = "makeup"]
    pub makeup_db: FloatParam,
    /// Automatic makeup.
    #[id = "auto_makeup"]
    pub auto_makeup: BoolParam,
    /// Dry/wet mix, %.
    #[id = "mix"]
    pub mix_pct: FloatParam,
    /// Output gain, dB, applied last.
    #[id = "out_gain"]
    pub out_gain_db: FloatParam,
    /// The assistant's compression style.
    #[id = "comp_style"]
    pub style: EnumParam<Style>,
    /// The assistant's parameters and what every plugin persists.
    #[nested]
    pub common: TandemParams,
}

impl AssistedParams for CompParams {
    type Settings = CompSettings;

    /// Parameters with the given suggestion store (shared with the assistant runtime); names,
    /// ranges and defaults are the chain's table ([`PARAMS`]).
    fn with_store(store: Arc<SuggestionStore>) -> Self {
        Self {
            threshold_db: float_param(info(ids::THRESHOLD), None)
                .with_unit(" dB")
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
            ratio: float_param(info(ids::RATIO), Some(-2.0))
                .with_value_to_string(Arc::new(ratio_to_string))
                .with_string_to_value(Arc::new(string_to_ratio)),
            knee_db: float_param(info(ids::KNEE), None)
                .with_unit(" dB")
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
            attack_ms: time_param(ids::ATTACK),
            release_ms: time_param(ids::RELEASE),
            auto_release: bool_param(info(ids::AUTO_RELEASE)),
            detector: menu_param(info(ids::DETECTOR)),
            link_pct: percent_param(ids::LINK),
            stereo_mode: menu_param(info(ids::STEREO_MODE)),
            sc_external: bool_param(info(ids::SC_EXTERNAL)),
            sc_hpf_hz: float_param(info(ids::SC_HPF), Some(-1.0))
                .with_unit(" Hz")
                .with_value_to_string(formatters::v2s_f32_rounded(0)),
            sc_hpf_on: bool_param(info(ids::SC_HPF_ON)),
            lookahead_ms: float_param(info(ids::LOOKAHEAD), None)
                .with_unit(" ms")
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
            makeup_db: gain_param(ids::MAKEUP),
            auto_makeup: bool_param(info(ids::AUTO_MAKEUP)),
            mix_pct: percent_param(ids::MIX),
            out_gain_db: gain_param(ids::OUT_GAIN),
            style: EnumParam::new("Style", Style::Glue),
            common: TandemParams::new(store, EDITOR_SIZE, crate::CLAP_ID),
        }
    }

    fn common(&self) -> &TandemParams {
        &self.common
    }

    /// Plain values, no smoothing: the chain ramps itself. Real-time safe.
    fn manual_settings(&self, out: &mut CompSettings) {
        out.threshold_db = self.threshold_db.value();
        out.ratio = self.ratio.value();
        out.knee_db = self.knee_db.value();
        out.attack_ms = self.attack_ms.value();
        out.release_ms = self.release_ms.value();
        out.auto_release = self.auto_release.value();
        out.detector = dsp_core::chains::comp::CompDetector::from_value(
            self.detector.value().to_index() as f32,
        );
        out.link_pct = self.link_pct.value();
        out.stereo_mode = dsp_core::chains::comp::CompStereoMode::from_value(
            self.stereo_mode.value().to_index() as f32,
        );
        out.sc_external = self.sc_external.value();
        out.sc_hpf_hz = self.sc_hpf_hz.value();
        out.sc_hpf_on = self.sc_hpf_on.value();
        out.lookahead_ms = self.lookahead_ms.value();
        out.makeup_db = self.makeup_db.value();
        out.auto_makeup = self.auto_makeup.value();
        out.mix_pct = self.mix_pct.value();
        out.out_gain_db = self.out_gain_db.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp_core::chains::comp::{CompChain, PARAMS};
    use dsp_core::chains::Chain;

    /// The detector, stereo mode and style menus are dsp-core's, index for index.
    #[test]
    fn enums_mirror_dsp_core() {
        use tandem_common::mirror::assert_mirrors;
        assert_mirrors::<Detector, _>("detector", &dsp_core::chains::comp::CompDetector::ALL);
        assert_mirrors::<StereoMode, _>(
            "stereo mode",
            &dsp_core::chains::comp::CompStereoMode::ALL,
        );
        assert_mirrors::<Style, _>("style", &dsp_core::assistant::comp::CompStyle::ALL);
    }

    #[test]
    fn host_ids_are_the_chain_ids_and_defaults_match() {
        let params = CompParams::with_store(Arc::new(SuggestionStore::new(&PARAMS)));
        let map = params.param_map();
        let ids: Vec<&str> = map.iter().map(|(id, _, _)| id.as_str()).collect();
        for id in PARAMS.iter().map(|p| p.id) {
            assert!(ids.contains(&id), "missing host parameter {id}");
        }
        assert!(ids.contains(&"comp_style"));
        let mut s = CompSettings {
            threshold_db: 0.0,
            ..CompSettings::default()
        };
        params.manual_settings(&mut s);
        assert_eq!(s, CompSettings::default());
        let manual = tandem_common::params::manual_values(&params);
        assert_eq!(CompChain::from_param_map(&manual), CompSettings::default());
        assert_eq!(manual["comp_style"], 1.0);
    }

    #[test]
    fn ratio_text() {
        assert_eq!(ratio_to_string(4.0), "4.0:1");
        assert_eq!(ratio_to_string(1.25), "1.25:1");
        assert_eq!(ratio_to_string(1.999), "2.0:1");
        assert_eq!(ratio_to_string(100.0), "\u{221e}:1");
        assert_eq!(string_to_ratio("4:1"), Some(4.0));
        assert_eq!(string_to_ratio(" 2.5 "), Some(2.5));
        assert_eq!(string_to_ratio("\u{221e}:1"), Some(100.0));
        assert_eq!(string_to_ratio("inf"), Some(100.0));
        assert_eq!(string_to_ratio("loud"), None);
    }

    #[test]
    fn time_text_round_trips_at_precision_boundaries() {
        for v in [0.01, 0.5, 9.994, 9.996, 10.0, 99.94, 99.96, 250.0, 3000.0] {
            let t = ms_to_string(v);
            let back = string_to_ms(&t).unwrap();
            assert_eq!(ms_to_string(back), t, "{v}");
        }
        assert_eq!(string_to_ms("12.5 ms"), Some(12.5));
        assert_eq!(string_to_ms("fast"), None);
    }

    tandem_common::chain_params_tests!(CompParams, dsp_core::chains::comp::CompChain);
}
