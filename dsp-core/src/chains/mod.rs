//! Complete processing chains shared by the plugins, the `tandem` CLI and the tests.
//!
//! - [`eq`]: the Tandem EQ — eight zero-latency bands (bell, shelves, cuts, notch, band pass,
//!   tilt) with stereo / mid / side / left / right placement, its persisted [`eq::EqSettings`],
//!   the stable parameter-ID scheme and the analytic response the GUI draws.
//! - [`comp`]: the Tandem Comp — a feed-forward compressor with an external key.
//! - [`master`]: the Tandem Master — input gain, tonal EQ, glue, width, true-peak limiter,
//!   dither.
//!
//! [`Chain`] is what the three have in common as a plugin plays them: settings, stable
//! parameter IDs (set by ID, or by index on the audio thread), build and apply. The plugins'
//! shared engine is written against it and names no concrete chain.

pub mod comp;
pub mod eq;
pub mod master;

use crate::{ConfigError, Processor, ProcessorConfig};
use comp::{CompChain, CompSettings};
use eq::{EqChain, EqSettings};
use master::{MasterChain, MasterSettings};
use std::sync::OnceLock;

/// A chain as a plugin plays it and the CLI renders it: its settings, its stable parameter IDs
/// (set by ID, or by index on the audio thread), build and apply.
pub trait Chain: Processor + Send + Sized {
    /// The plugin's settings (what its host parameters hold).
    type Settings: Copy + PartialEq + Send + Default;
    /// Builds the chain at `settings` without ramps.
    fn build(config: ProcessorConfig, settings: &Self::Settings) -> Result<Self, ConfigError>;
    /// New settings, click-free (ramps and glides). Real-time safe.
    fn apply(&mut self, settings: &Self::Settings);
    /// New settings at once (state loaded, reset). Real-time safe.
    fn apply_immediate(&mut self, settings: &Self::Settings);
    /// Processes one block (at most the configured size) with an optional external key.
    fn process_keyed(&mut self, io: &mut [&mut [f32]], key: Option<&[&[f32]]>);
    /// Sets one parameter by stable ID from its plain value (clamped); false for unknown IDs.
    fn set_param(settings: &mut Self::Settings, id: &str, value: f32) -> bool;
    /// The value `amount` = 0 scales a parameter towards, `None` when it has none.
    fn neutral_value(id: &str) -> Option<f32>;
    /// Every parameter ID the assistant may propose, in the chain's stable order: the
    /// suggestion store keeps its values in this order.
    fn param_ids() -> &'static [&'static str];
    /// [`set_param`](Self::set_param) for `param_ids()[index]`, without comparing strings (the
    /// audio thread); false past the end.
    fn set_param_at(settings: &mut Self::Settings, index: usize, value: f32) -> bool;
    /// [`neutral_value`](Self::neutral_value) for `param_ids()[index]`, without comparing
    /// strings (the audio thread).
    fn neutral_value_at(index: usize) -> Option<f32>;
    /// Settings from parameter ID → plain value (missing IDs at their defaults).
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> Self::Settings;
    /// Whether level matching may turn a quieter suggestion up. False for a chain that ends
    /// in a ceiling it must hold (a gain after it would break the ceiling).
    const TRIM_CAN_BOOST: bool = true;
}

impl Chain for EqChain {
    type Settings = EqSettings;
    fn build(config: ProcessorConfig, settings: &EqSettings) -> Result<Self, ConfigError> {
        EqChain::new(config, settings)
    }
    fn apply(&mut self, settings: &EqSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &EqSettings) {
        self.set_settings_immediate(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], _key: Option<&[&[f32]]>) {
        self.process(io);
    }
    fn set_param(settings: &mut EqSettings, id: &str, value: f32) -> bool {
        settings.set_param(id, value)
    }
    fn neutral_value(id: &str) -> Option<f32> {
        crate::chains::eq::neutral_value(id)
    }
    fn param_ids() -> &'static [&'static str] {
        static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
        leaked(&IDS, crate::chains::eq::param_ids)
    }
    fn set_param_at(settings: &mut EqSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn neutral_value_at(index: usize) -> Option<f32> {
        crate::chains::eq::neutral_value_at(index)
    }
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> EqSettings {
        EqSettings::from_param_map(map)
    }
}

impl Chain for CompChain {
    type Settings = CompSettings;
    fn build(config: ProcessorConfig, settings: &CompSettings) -> Result<Self, ConfigError> {
        CompChain::new(config, settings)
    }
    fn apply(&mut self, settings: &CompSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &CompSettings) {
        // The following `reset` settles the ramps.
        self.set_settings(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], key: Option<&[&[f32]]>) {
        self.process_with_sidechain(io, key);
    }
    fn set_param(settings: &mut CompSettings, id: &str, value: f32) -> bool {
        settings.set_param(id, value)
    }
    fn neutral_value(id: &str) -> Option<f32> {
        crate::chains::comp::neutral_value(id)
    }
    fn param_ids() -> &'static [&'static str] {
        &crate::chains::comp::PARAM_IDS
    }
    fn set_param_at(settings: &mut CompSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn neutral_value_at(index: usize) -> Option<f32> {
        crate::chains::comp::neutral_value_at(index)
    }
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> CompSettings {
        CompSettings::from_param_map(map)
    }
}

impl Chain for MasterChain {
    type Settings = MasterSettings;
    const TRIM_CAN_BOOST: bool = false;
    fn build(config: ProcessorConfig, settings: &MasterSettings) -> Result<Self, ConfigError> {
        MasterChain::new(config, settings)
    }
    fn apply(&mut self, settings: &MasterSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &MasterSettings) {
        self.set_settings_immediate(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], _key: Option<&[&[f32]]>) {
        self.process(io);
    }
    fn set_param(settings: &mut MasterSettings, id: &str, value: f32) -> bool {
        settings.set_param(id, value)
    }
    fn neutral_value(id: &str) -> Option<f32> {
        crate::chains::master::neutral_value(id)
    }
    fn param_ids() -> &'static [&'static str] {
        static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
        leaked(&IDS, crate::chains::master::param_ids)
    }
    fn set_param_at(settings: &mut MasterSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn neutral_value_at(index: usize) -> Option<f32> {
        crate::chains::master::neutral_value_at(index)
    }
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> MasterSettings {
        MasterSettings::from_param_map(map)
    }
}

/// Owned IDs made `'static` once per process (a chain whose IDs are built, not written out).
fn leaked(
    cell: &'static OnceLock<Vec<&'static str>>,
    ids: fn() -> Vec<String>,
) -> &'static [&'static str] {
    cell.get_or_init(|| {
        ids()
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect()
    })
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    /// Setting a parameter by index is setting it by its ID, for every parameter of every chain,
    /// from the defaults and from a changed start, with in-range, out-of-range and non-finite
    /// values; the neutral values agree too.
    fn index_matches_id<C: Chain>()
    where
        C::Settings: std::fmt::Debug,
    {
        let ids = C::param_ids();
        assert!(!ids.is_empty());
        let values = [
            -1e9,
            -48.0,
            -3.5,
            0.0,
            0.4,
            0.6,
            1.0,
            2.0,
            7.3,
            150.0,
            2500.0,
            1e9,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        let mut changed = C::Settings::default();
        for (i, id) in ids.iter().enumerate() {
            assert!(C::set_param(&mut changed, id, values[(3 * i + 5) % 12]));
        }
        assert_ne!(changed, C::Settings::default());
        for start in [C::Settings::default(), changed] {
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(C::neutral_value_at(i), C::neutral_value(id), "{id}");
                for v in values {
                    let (mut a, mut b) = (start, start);
                    assert!(C::set_param(&mut a, id, v));
                    assert!(C::set_param_at(&mut b, i, v));
                    assert_eq!(a, b, "{id} = {v}");
                }
            }
        }
        let mut s = C::Settings::default();
        assert!(!C::set_param_at(&mut s, ids.len(), 1.0));
        assert_eq!(C::neutral_value_at(ids.len()), None);
    }

    #[test]
    fn parameters_set_by_index_are_set_by_id() {
        index_matches_id::<EqChain>();
        index_matches_id::<CompChain>();
        index_matches_id::<MasterChain>();
    }
}

/// What the chains' tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::{Processor, ProcessorConfig};

    /// Renders 3 s of stereo noise at 44.1 kHz through the chain `build` makes, once sized for
    /// 192 kHz and once fixed to its rate ([`ProcessorConfig::with_fixed_rate`]), `change`
    /// setting block `i`'s settings before each 300-frame block: the two must sound exactly
    /// the same, the fixed one must refuse a higher rate and take a lower one.
    pub(crate) fn a_fixed_rate_chain_sounds_the_same<C: Processor>(
        build: impl Fn(ProcessorConfig) -> C,
        change: impl Fn(&mut C, usize),
    ) {
        let x = crate::testsignals::pink_noise(3 * 44_100, 0.4, 3);
        let y = crate::testsignals::white_noise(3 * 44_100, 0.3, 4);
        let run = |config: ProcessorConfig| {
            let mut c = build(config);
            let (mut l, mut r) = (x.clone(), y.clone());
            for (i, (bl, br)) in l.chunks_mut(300).zip(r.chunks_mut(300)).enumerate() {
                change(&mut c, i);
                c.process(&mut [bl, br]);
            }
            (l, r, c)
        };
        let config = ProcessorConfig::new(44_100.0, 512, 2).unwrap();
        let (l, r, mut wide) = run(config);
        let (lf, rf, mut fixed) = run(config.with_fixed_rate());
        assert!(l == lf && r == rf, "the fixed chain sounds different");
        assert!(fixed.set_sample_rate(48_000.0).is_err());
        fixed.set_sample_rate(32_000.0).unwrap();
        wide.set_sample_rate(96_000.0).unwrap();
    }
}
