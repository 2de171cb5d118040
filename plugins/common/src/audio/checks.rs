//! Checks every plugin's engine must pass, written once and called from each plugin's tests
//! with its own settings and suggestion (a plugin adds the checks that are its own).

use crate::audio::compare::Compare;
use crate::audio::engine::{AssistedEngine, BlockControls};
use crate::audio::store::SuggestionStore;
use atomic_float::AtomicF32;
use dsp_core::chains::Chain;
use dsp_core::testsignals::{pink_noise, white_noise};
use dsp_core::ProcessorConfig;

/// The host block sizes the checks cycle through: odd ones, 1, and one longer than the
/// engine's maximum block (512), which the engine splits.
const SIZES: [usize; 6] = [1, 7, 511, 512, 1000, 3];

/// With Compare on Manual, the engine's output is the bare chain's at `manual`, bit for bit,
/// although `store` holds a suggestion and a level offset of `offset_lu` is measured (the trim
/// belongs to Suggested alone). Stereo pink noise at 48 kHz in the blocks of `SIZES` (the
/// chain gets them split to its maximum of 512). Returns the input and the output, for the
/// plugin's own checks.
pub fn manual_is_bit_exact_with_the_chain<C: Chain>(
    manual: &C::Settings,
    store: &SuggestionStore,
    offset_lu: f32,
) -> ([Vec<f32>; 2], [Vec<f32>; 2]) {
    let sr = 48_000.0;
    let input = [pink_noise(30_000, 0.3, 1), pink_noise(30_000, 0.3, 2)];
    let offset = AtomicF32::new(offset_lu);
    let mut engine = AssistedEngine::<C>::new(sr, 512, 2, manual).unwrap();
    let mut chain = C::build(ProcessorConfig::new(sr, 512, 2).unwrap(), manual).unwrap();
    let controls = BlockControls {
        manual,
        compare: Compare::Manual,
        amount: 1.0,
        match_levels: true,
    };
    let (mut a, mut b) = (input.clone(), input.clone());
    let mut pos = 0;
    for &n in SIZES.iter().cycle() {
        let len = a[0].len();
        if pos >= len {
            break;
        }
        let n = n.min(len - pos);
        let [l, r] = &mut a;
        engine.process(
            &mut [&mut l[pos..pos + n], &mut r[pos..pos + n]],
            &controls,
            store,
            &offset,
            None,
        );
        let [l, r] = &mut b;
        for start in (pos..pos + n).step_by(512) {
            let end = (start + 512).min(pos + n);
            chain.process_keyed(&mut [&mut l[start..end], &mut r[start..end]], None);
        }
        pos += n;
    }
    assert!(a[0].iter().any(|x| *x != 0.0), "silent output");
    assert_eq!(a, b, "Manual differs from the bare chain");
    assert_eq!(engine.active(), Compare::Manual);
    (input, a)
}

/// Samples no host should send but some do: NaN, ±∞, an enormous value, a subnormal, then
/// ordinary ones.
pub const NON_FINITE_AND_HUGE: [f32; 8] = [
    f32::NAN,
    f32::INFINITY,
    -f32::INFINITY,
    1e30,
    0.5,
    1.0,
    -1.0,
    1e-40,
];

/// Non-finite and enormous input (NaN, ±∞, 1e30, a subnormal, then noise) gives finite output
/// with Compare on Manual, on Suggested (`store` holds a suggestion) and back on Manual, level
/// matching on, at 44.1 kHz: each time one call longer than the engine's maximum block of 64
/// frames (the engine splits it).
pub fn non_finite_input_gives_finite_output<C: Chain>(
    manual: &C::Settings,
    store: &SuggestionStore,
) {
    let offset = AtomicF32::new(2.0);
    let mut engine = AssistedEngine::<C>::new(44_100.0, 64, 2, manual).unwrap();
    for compare in [Compare::Manual, Compare::Suggested, Compare::Manual] {
        let mut l = NON_FINITE_AND_HUGE.to_vec();
        l.extend(white_noise(500, 1.0, 3));
        let mut r = l.clone();
        r.reverse();
        let controls = BlockControls {
            manual,
            compare,
            amount: 0.5,
            match_levels: true,
        };
        engine.process(&mut [&mut l, &mut r], &controls, store, &offset, None);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()), "{compare:?}");
    }
}

/// Switching Compare from Manual to Suggested mid-stream is click-free and then plays the
/// suggestion: a mono sine of `freq_hz` at −20 dBFS (48 kHz, 256-frame blocks, level matching
/// off) through `manual` (unity at that frequency) and the suggestion in `store` (+6 dB at
/// that frequency, no limiting): unity before the switch at 12,000 samples (within
/// `tolerance`, linear), +6 dB long after (within 0.1 dB), and no step between two samples
/// bigger than the sine's own largest step times the final gain (a click would exceed it).
pub fn switching_to_suggested_is_click_free<C: Chain>(
    manual: &C::Settings,
    store: &SuggestionStore,
    freq_hz: f64,
    tolerance: f32,
) {
    let sr = 48_000.0;
    let offset = AtomicF32::new(f32::NAN);
    let mut engine = AssistedEngine::<C>::new(sr, 256, 1, manual).unwrap();
    let lat = engine.latency_samples();
    let sine = dsp_core::testsignals::sine(sr as usize, freq_hz, 0.1, sr as f64);
    let mut out = sine.clone();
    for (k, block) in out.chunks_mut(256).enumerate() {
        let compare = if k * 256 >= 12_000 {
            Compare::Suggested
        } else {
            Compare::Manual
        };
        let controls = BlockControls {
            manual,
            compare,
            amount: 1.0,
            match_levels: false,
        };
        engine.process(&mut [block], &controls, store, &offset, None);
    }
    let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let before = peak(&out[lat + 6_000..12_000]);
    assert!((before - 0.1).abs() < tolerance, "{before}");
    let after = peak(&out[30_000..]);
    let gain_db = dsp_core::util::gain_to_db(after / 0.1);
    assert!((gain_db - 6.0).abs() < 0.1, "{gain_db} dB");
    let step = |s: &[f32]| {
        s.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    };
    let (max_step_in, max_step_out) = (step(&sine), step(&out[lat + 100..]));
    assert!(
        max_step_out <= max_step_in * 2.0 * 1.05,
        "{max_step_out} {max_step_in}"
    );
    assert_eq!(engine.active(), Compare::Suggested);
}
