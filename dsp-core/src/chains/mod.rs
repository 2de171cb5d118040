//! Complete processing chains shared by the plugins, the `tandem` CLI and the tests.
//!
//! - [`eq`]: the Tandem EQ — eight zero-latency bands (bell, shelves, cuts, notch, band pass,
//!   tilt) with stereo / mid / side / left / right placement, its persisted [`eq::EqSettings`],
//!   the stable parameter-ID scheme and the analytic response the GUI draws.

pub mod comp;
pub mod eq;
pub mod master;

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
