//! Tandem EQ's host-visible parameters (the engineer's manual settings). IDs are stable and
//! never renamed: `b{n}_on/_type/_freq/_gain/_q/_slope/_place` for bands 1–8, `out_gain`, plus the
//! shared assistant parameters (`compare`, `match_levels`, `amount`) and the assistant's own
//! (`eq_target`, `eq_max_bands`).

use crate::reference::ReferenceSlot;
use dsp_core::chains::eq::{band_param_id, BandParam, EqBandType, EqSettings, OUT_GAIN_ID, PARAMS};
use nice_plug::prelude::*;
use std::sync::Arc;
use tandem_common::audio::store::SuggestionStore;
use tandem_common::params::{
    bool_param, float_param, menu_param, table_entry, AssistedParams, TandemParams,
};

/// Band filter type (mirrors `dsp_core::chains::eq::EqBandType`, same order).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandType {
    #[id = "bell"]
    Bell,
    #[id = "low_shelf"]
    #[name = "Low Shelf"]
    LowShelf,
    #[id = "high_shelf"]
    #[name = "High Shelf"]
    HighShelf,
    #[id = "low_cut"]
    #[name = "Low Cut"]
    LowCut,
    #[id = "high_cut"]
    #[name = "High Cut"]
    HighCut,
    #[id = "notch"]
    Notch,
    #[id = "band_pass"]
    #[name = "Band Pass"]
    BandPass,
    #[id = "tilt"]
    Tilt,
}

/// Where a band acts in the stereo image (mirrors `dsp_core::chains::eq::Placement`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    #[id = "stereo"]
    Stereo,
    #[id = "mid"]
    Mid,
    #[id = "side"]
    Side,
    #[id = "left"]
    Left,
    #[id = "right"]
    Right,
}

/// The tonal target the assistant aims for.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    #[id = "flat"]
    Flat,
    #[id = "balanced"]
    Balanced,
    #[id = "warm"]
    Warm,
    #[id = "bright"]
    Bright,
    #[id = "vocal"]
    Vocal,
    #[id = "bass"]
    Bass,
    #[id = "drums"]
    Drums,
    #[id = "acoustic"]
    Acoustic,
    #[id = "reference"]
    Reference,
}

/// The editor's default size, which is also its minimum: the layout is designed for it, and
/// smaller windows would hide the meters or cut labels (the window may grow).
pub const EDITOR_SIZE: (f32, f32) = (1100.0, 680.0);

/// One band's parameters.
#[derive(Params)]
pub struct BandParams {
    /// Band on/off.
    #[id = "on"]
    pub on: BoolParam,
    /// Filter type.
    #[id = "type"]
    pub kind: EnumParam<BandType>,
    /// Frequency in Hz (clamped below Nyquist at the running rate).
    #[id = "freq"]
    pub freq_hz: FloatParam,
    /// Gain in dB (bells, shelves, tilt).
    #[id = "gain"]
    pub gain_db: FloatParam,
    /// Quality factor.
    #[id = "q"]
    pub q: FloatParam,
    /// Cut slope in dB/octave (low/high cut), 6–48 in steps of 6.
    #[id = "slope"]
    pub slope_db_oct: FloatParam,
    /// Stereo placement.
    #[id = "place"]
    pub placement: EnumParam<Placement>,
}

impl BandParams {
    /// Band `n`'s (1-based) parameters from the chain's table: names, ranges and defaults.
    fn new(n: usize) -> Self {
        let info = |p| table_entry(&PARAMS, band_param_id(n, p));
        Self {
            on: bool_param(info(BandParam::On)),
            kind: menu_param(info(BandParam::Type)),
            freq_hz: float_param(info(BandParam::Freq), Some(-2.2))
                .with_value_to_string(formatters::v2s_f32_hz_then_khz(2))
                .with_string_to_value(formatters::s2v_f32_hz_then_khz()),
            gain_db: float_param(info(BandParam::Gain), None)
                .with_unit(" dB")
                .with_step_size(0.01),
            q: float_param(info(BandParam::Q), Some(-2.0))
                // Three decimals below 1: the low end of the skewed range is dense.
                .with_value_to_string(Arc::new(|q| {
                    if q < 1.0 {
                        format!("{q:.3}")
                    } else {
                        format!("{q:.2}")
                    }
                })),
            slope_db_oct: float_param(info(BandParam::Slope), None)
                .with_step_size(6.0)
                .with_unit(" dB/oct"),
            placement: menu_param(info(BandParam::Place)),
        }
    }
}

/// All of Tandem EQ's parameters and persisted fields.
#[derive(Params)]
pub struct EqParams {
    #[nested(id_prefix = "b1", group = "Band 1")]
    pub b1: BandParams,
    #[nested(id_prefix = "b2", group = "Band 2")]
    pub b2: BandParams,
    #[nested(id_prefix = "b3", group = "Band 3")]
    pub b3: BandParams,
    #[nested(id_prefix = "b4", group = "Band 4")]
    pub b4: BandParams,
    #[nested(id_prefix = "b5", group = "Band 5")]
    pub b5: BandParams,
    #[nested(id_prefix = "b6", group = "Band 6")]
    pub b6: BandParams,
    #[nested(id_prefix = "b7", group = "Band 7")]
    pub b7: BandParams,
    #[nested(id_prefix = "b8", group = "Band 8")]
    pub b8: BandParams,
    /// Output gain in dB, applied last.
    #[id = "out_gain"]
    pub out_gain_db: FloatParam,
    /// The assistant's tonal target.
    #[id = "eq_target"]
    pub target: EnumParam<Target>,
    /// The assistant's parameters and what every plugin persists.
    #[nested]
    pub common: TandemParams,
    /// The reference track's tonal target (reference mode).
    #[persist = "reference"]
    pub reference: Arc<ReferenceSlot>,
}

impl EqParams {
    /// The eight bands in order.
    pub fn bands(&self) -> [&BandParams; 8] {
        [
            &self.b1, &self.b2, &self.b3, &self.b4, &self.b5, &self.b6, &self.b7, &self.b8,
        ]
    }
}

impl AssistedParams for EqParams {
    type Settings = EqSettings;

    /// Parameters with the given suggestion store (shared with the assistant runtime).
    fn with_store(store: Arc<SuggestionStore>) -> Self {
        let common = TandemParams::new(store, EDITOR_SIZE, crate::CLAP_ID);
        let loader = common.loader.clone();
        Self {
            b1: BandParams::new(1),
            b2: BandParams::new(2),
            b3: BandParams::new(3),
            b4: BandParams::new(4),
            b5: BandParams::new(5),
            b6: BandParams::new(6),
            b7: BandParams::new(7),
            b8: BandParams::new(8),
            out_gain_db: float_param(table_entry(&PARAMS, OUT_GAIN_ID), None)
                .with_unit(" dB")
                .with_step_size(0.01),
            target: EnumParam::new("Target", Target::Balanced),
            common,
            reference: Arc::new(ReferenceSlot::new(loader)),
        }
    }

    fn common(&self) -> &TandemParams {
        &self.common
    }

    /// Plain values; no smoothing: the chain glides itself.
    fn manual_settings(&self, out: &mut EqSettings) {
        for (b, p) in out.bands.iter_mut().zip(self.bands()) {
            b.enabled = p.on.value();
            b.kind = EqBandType::from_value(p.kind.value() as usize as f32);
            b.freq_hz = p.freq_hz.value();
            b.gain_db = p.gain_db.value();
            b.q = p.q.value();
            b.slope_db_oct = p.slope_db_oct.value();
            b.placement =
                dsp_core::chains::eq::Placement::from_value(p.placement.value() as usize as f32);
        }
        out.out_gain_db = self.out_gain_db.value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_common::mirror::{assert_mirrors, assert_mirrors_names};

    /// The band type, placement and target menus are dsp-core's, index for index; the target
    /// menu ends with the reference track, after the built-in targets.
    #[test]
    fn enums_mirror_dsp_core() {
        assert_mirrors::<BandType, _>("band type", &dsp_core::chains::eq::EqBandType::ALL);
        assert_mirrors::<Placement, _>("placement", &dsp_core::chains::eq::Placement::ALL);
        let builtin = dsp_core::assistant::targets::TargetId::ALL;
        assert_eq!(crate::analyzer::REFERENCE_TARGET_INDEX, builtin.len());
        let mut names: Vec<String> = builtin.iter().map(|t| format!("{t:?}")).collect();
        names.push("Reference".into());
        assert_mirrors_names::<Target>("target", &names);
    }

    tandem_common::chain_params_tests!(EqParams, dsp_core::chains::eq::EqChain);
}
