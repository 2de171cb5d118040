//! Complete processing chains shared by the plugins, the `tandem` CLI and the tests.
//!
//! - [`eq`]: the Tandem EQ — eight zero-latency bands (bell, shelves, cuts, notch, band pass,
//!   tilt) with stereo / mid / side / left / right placement, its persisted [`eq::EqSettings`],
//!   the stable parameter-ID scheme and the analytic response the GUI draws.
//! - [`comp`]: the Tandem Comp — a feed-forward compressor with an external key.
//! - [`master`]: the Tandem Master — input gain, tonal EQ, glue, width, true-peak limiter,
//!   dither.
//!
//! [`Chain`] is what the three have in common as a plugin plays them: settings, a parameter
//! table ([`params::ParamInfo`]: stable IDs, names, ranges, defaults, menus; read and set by
//! index, which the audio thread uses, and so by ID), build and apply. The plugins' shared
//! engine is written against it and names no concrete chain.

pub mod comp;
pub mod eq;
pub mod master;
pub mod params;

use crate::{ConfigError, Processor, ProcessorConfig};
use params::ParamInfo;
use std::collections::BTreeMap;

/// A chain as a plugin plays it and the CLI renders it: its settings, its parameter table (set
/// by ID, or by index on the audio thread), build and apply.
pub trait Chain: Processor + Send + Sized {
    /// The plugin's settings (what its host parameters hold).
    type Settings: Copy + PartialEq + Send + Default;
    /// Every parameter in the chain's stable order: what the plugin's host parameters, the
    /// CLI's `--set` and the assistant's suggestions name, and the order the suggestion store
    /// keeps its values in.
    fn params() -> &'static [ParamInfo];
    /// Builds the chain at `settings` without ramps.
    fn build(config: ProcessorConfig, settings: &Self::Settings) -> Result<Self, ConfigError>;
    /// New settings, click-free (ramps and glides). Real-time safe.
    fn apply(&mut self, settings: &Self::Settings);
    /// New settings at once (state loaded, reset). Real-time safe.
    fn apply_immediate(&mut self, settings: &Self::Settings);
    /// Processes one block (at most the configured size) with an optional external key.
    fn process_keyed(&mut self, io: &mut [&mut [f32]], key: Option<&[&[f32]]>);
    /// Sets `params()[index]` from its plain value (sanitised), without comparing strings (the
    /// audio thread); false past the end.
    fn set_param_at(settings: &mut Self::Settings, index: usize, value: f32) -> bool;
    /// The plain value of `params()[index]` (enums as their index, bools as 0/1); `None` past
    /// the end.
    fn param_at(settings: &Self::Settings, index: usize) -> Option<f32>;
    /// Whether level matching may turn a quieter suggestion up. False for a chain that ends
    /// in a ceiling it must hold (a gain after it would break the ceiling).
    const TRIM_CAN_BOOST: bool = true;

    /// The index of parameter `id` in [`params`](Self::params).
    fn param_index(id: &str) -> Option<usize> {
        params::index_of(Self::params(), id)
    }
    /// Sets one parameter by stable ID from its plain value (sanitised); false for unknown IDs.
    fn set_param(settings: &mut Self::Settings, id: &str, value: f32) -> bool {
        Self::param_index(id).is_some_and(|i| Self::set_param_at(settings, i, value))
    }
    /// The plain value of parameter `id`, `None` for an unknown ID.
    fn param(settings: &Self::Settings, id: &str) -> Option<f32> {
        Self::param_index(id).and_then(|i| Self::param_at(settings, i))
    }
    /// The settings as parameter ID → plain value (enums as their index, bools as 0/1).
    fn param_map(settings: &Self::Settings) -> BTreeMap<String, f32> {
        let table = Self::params();
        (0..table.len())
            .filter_map(|i| Self::param_at(settings, i).map(|v| (table[i].id.to_string(), v)))
            .collect()
    }
    /// The value `amount` = 0 scales a parameter towards, `None` when it has none.
    fn neutral_value(id: &str) -> Option<f32> {
        Self::param_index(id).and_then(Self::neutral_value_at)
    }
    /// [`neutral_value`](Self::neutral_value) for `params()[index]`, without comparing strings
    /// (the audio thread).
    fn neutral_value_at(index: usize) -> Option<f32> {
        Self::params().get(index).and_then(|p| p.neutral)
    }
    /// Settings from parameter ID → plain value (missing IDs at their defaults, unknown IDs
    /// ignored).
    fn from_param_map(map: &BTreeMap<String, f32>) -> Self::Settings {
        let mut s = Self::Settings::default();
        for (id, v) in map {
            Self::set_param(&mut s, id, *v);
        }
        s
    }
}

/// Runs `block` over the first one or two of `channels` (at most `configured`) in blocks of at
/// most `max_block` frames: the left slice and, in stereo, the right one. Stops after a block
/// for which `block` returns false. Returns how many channels it ran on and the frames they
/// have in common (the shortest of them), which the chains' `process` sanitises after.
pub(crate) fn in_blocks(
    channels: &mut [&mut [f32]],
    configured: usize,
    max_block: usize,
    mut block: impl FnMut(&mut [f32], Option<&mut [f32]>) -> bool,
) -> (usize, usize) {
    let nch = channels.len().min(configured);
    let n = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
    let mut start = 0;
    while start < n {
        let len = (n - start).min(max_block);
        let go_on = if nch == 2 {
            let (a, b) = channels.split_at_mut(1);
            block(
                &mut a[0][start..start + len],
                Some(&mut b[0][start..start + len]),
            )
        } else {
            block(&mut channels[0][start..start + len], None)
        };
        start += len;
        if !go_on {
            break;
        }
    }
    (nch, n)
}

#[cfg(test)]
mod chain_tests {
    use super::comp::CompChain;
    use super::eq::EqChain;
    use super::master::MasterChain;
    use super::params::ParamKind;
    use super::*;

    const VALUES: [f32; 15] = [
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

    /// Settings with every parameter moved from its default.
    fn changed<C: Chain>() -> C::Settings
    where
        C::Settings: std::fmt::Debug,
    {
        let mut changed = C::Settings::default();
        for i in 0..C::params().len() {
            assert!(C::set_param_at(&mut changed, i, VALUES[(3 * i + 5) % 12]));
        }
        assert_ne!(changed, C::Settings::default());
        changed
    }

    /// The parameter table describes the settings: the default settings hold every table
    /// default; every parameter set by index reads back as the table sanitises it (finite
    /// values: clamped to the range, switches 0/1, menus rounded to an index), stays in range
    /// for non-finite ones and moves no other parameter; a menu has one name per index; the map
    /// round-trips; the IDs are unique; an index past the end or an unknown ID changes nothing.
    fn table_describes_settings<C: Chain>()
    where
        C::Settings: std::fmt::Debug,
    {
        let table = C::params();
        let defaults = C::param_map(&C::Settings::default());
        assert_eq!(defaults.len(), table.len());
        for (i, p) in table.iter().enumerate() {
            assert_eq!(defaults.get(p.id), Some(&p.default), "{}: default", p.id);
            assert!(p.min <= p.default && p.default <= p.max, "{}", p.id);
            assert_eq!(C::param_index(p.id), Some(i), "{}: unique", p.id);
            match p.kind {
                ParamKind::Enum => {
                    assert_eq!(p.choices.len() as f32, p.max + 1.0, "{}: menu", p.id);
                    assert_eq!(p.min, 0.0);
                }
                ParamKind::Bool => assert_eq!((p.min, p.max), (0.0, 1.0), "{}", p.id),
                ParamKind::Float => assert!(p.choices.is_empty() && p.min < p.max, "{}", p.id),
            }
            if let Some(n) = p.neutral {
                assert!(p.min <= n && n <= p.max, "{}: neutral", p.id);
            }
            for start in [C::Settings::default(), changed::<C>()] {
                for v in VALUES {
                    let mut s = start;
                    assert!(C::set_param_at(&mut s, i, v));
                    let got = C::param_map(&s)[p.id];
                    if v.is_finite() {
                        assert_eq!(got, p.sanitize(v), "{} = {v}", p.id);
                    } else {
                        assert!(p.min <= got && got <= p.max, "{} = {v}: {got}", p.id);
                    }
                    // Only its own parameter moved.
                    for (j, q) in table.iter().enumerate().filter(|&(j, _)| j != i) {
                        let (now, before) = (C::param_at(&s, j), C::param_at(&start, j));
                        assert_eq!(now, before, "{} = {v} moved {}", p.id, q.id);
                    }
                    let mut by_id = start;
                    assert!(C::set_param(&mut by_id, p.id, v));
                    assert_eq!(by_id, s, "{} = {v} by ID", p.id);
                }
            }
        }
        let s = changed::<C>();
        assert_eq!(C::from_param_map(&C::param_map(&s)), s);
        let mut d = C::Settings::default();
        assert!(!C::set_param_at(&mut d, table.len(), 1.0));
        assert!(!C::set_param(&mut d, "no_such_param", 1.0));
        assert_eq!(d, C::Settings::default());
        assert_eq!(C::param_at(&d, table.len()), None);
        assert_eq!(C::param(&d, "no_such_param"), None);
    }

    #[test]
    fn the_tables_describe_the_settings() {
        table_describes_settings::<EqChain>();
        table_describes_settings::<CompChain>();
        table_describes_settings::<MasterChain>();
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
