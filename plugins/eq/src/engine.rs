//! The audio-thread side of Tandem EQ without the plugin framework: the EQ chain driven by the
//! manual or the suggested settings, the level-matched compare switch, and the tap feeding the
//! analysis thread. The plugin's `process()` is a thin layer over [`EqEngine::process`], so tests
//! run exactly what hosts run.

use dsp_core::chains::eq::{EqChain, EqSettings};

/// What drives one block besides the audio.
pub type BlockControls<'a> = tandem_common::audio::engine::BlockControls<'a, EqSettings>;

/// The EQ's audio engine: [`EqChain`] behind the shared compare/level-matching/tap engine.
pub type EqEngine = tandem_common::audio::engine::AssistedEngine<EqChain>;

#[cfg(test)]
mod tests {
    use super::*;
    use atomic_float::AtomicF32;
    use dsp_core::assist::Suggestion;
    use dsp_core::chains::eq::{EqBandType, Placement};
    use dsp_core::testsignals::pink_noise;
    use dsp_core::{Processor, ProcessorConfig};
    use tandem_common::audio::compare::Compare;
    use tandem_common::audio::store::SuggestionStore;

    fn manual() -> EqSettings {
        let mut s = EqSettings::default();
        s.bands[1].enabled = true;
        s.bands[1].kind = EqBandType::Bell;
        s.bands[1].freq_hz = 300.0;
        s.bands[1].gain_db = 4.0;
        s.bands[1].q = 1.2;
        s.bands[5].enabled = true;
        s.bands[5].kind = EqBandType::HighShelf;
        s.bands[5].gain_db = -3.0;
        s.bands[5].placement = Placement::Side;
        s.output_gain_db = -1.5;
        s
    }

    fn store_with_suggestion() -> SuggestionStore {
        let store = SuggestionStore::new(crate::assistable_ids());
        let mut s = Suggestion::empty("eq", "Balanced");
        s.values.insert("b3_on".into(), 1.0);
        s.values.insert("b3_freq".into(), 2000.0);
        s.values.insert("b3_gain".into(), 6.0);
        store.set_suggestion(Some(s)).unwrap();
        store
    }

    #[test]
    fn manual_is_bit_exact_with_the_chain_even_with_a_suggestion_and_offset() {
        let sr = 48_000.0;
        let input = [pink_noise(20_000, 0.2, 1), pink_noise(20_000, 0.2, 2)];
        let m = manual();
        let store = store_with_suggestion();
        // Negative: the suggestion is quieter, which must not touch the manual sound either.
        let offset = AtomicF32::new(-3.0);
        let mut engine = EqEngine::new(sr, 512, 2, &m).unwrap();
        let mut reference = EqChain::new(ProcessorConfig::new(sr, 512, 2).unwrap(), &m).unwrap();
        let mut a = input.clone();
        let mut b = input.clone();
        // Odd block sizes, including 1.
        let mut pos = 0;
        for (k, n) in [1usize, 7, 511, 512, 1000, 3].iter().cycle().enumerate() {
            if pos >= a[0].len() || k > 200 {
                break;
            }
            let n = (*n).min(a[0].len() - pos);
            let (l, r) = a.split_at_mut(1);
            let mut io = [&mut l[0][pos..pos + n], &mut r[0][pos..pos + n]];
            let controls = BlockControls {
                manual: &m,
                compare: Compare::Manual,
                amount: 1.0,
                match_levels: true,
            };
            engine.process(&mut io, &controls, &store, &offset, None);
            let (l, r) = b.split_at_mut(1);
            reference.process(&mut [&mut l[0][pos..pos + n], &mut r[0][pos..pos + n]]);
            pos += n;
        }
        assert_eq!(a[0][..pos], b[0][..pos]);
        assert_eq!(a[1][..pos], b[1][..pos]);
    }

    #[test]
    fn switching_to_suggested_is_click_free_and_plays_the_suggestion() {
        let sr = 48_000.0;
        let m = EqSettings::default();
        let store = store_with_suggestion();
        let offset = AtomicF32::new(f32::NAN);
        let mut engine = EqEngine::new(sr, 256, 1, &m).unwrap();
        // A 2 kHz sine at −20 dBFS: Suggested lifts it by 6 dB.
        let sine = dsp_core::testsignals::sine(sr as usize, 2000.0, 0.1, sr as f64);
        let mut out = sine.clone();
        let mut pos = 0;
        while pos < out.len() {
            let n = 256.min(out.len() - pos);
            let compare = if pos >= 12_000 {
                Compare::Suggested
            } else {
                Compare::Manual
            };
            let controls = BlockControls {
                manual: &m,
                compare,
                amount: 1.0,
                match_levels: false,
            };
            engine.process(
                &mut [&mut out[pos..pos + n]],
                &controls,
                &store,
                &offset,
                None,
            );
            pos += n;
        }
        // Before the switch: unity. Long after: +6 dB. In between: no step bigger than the
        // sine's own largest step times the final gain (a click would exceed it).
        let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak(&out[6_000..12_000]) - 0.1).abs() < 1e-3);
        let after = peak(&out[30_000..]);
        assert!(
            (dsp_core::util::gain_to_db(after / 0.1) - 6.0).abs() < 0.1,
            "{after}"
        );
        let max_step_in = sine
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        let max_step_out = out
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(
            max_step_out <= max_step_in * 2.0 * 1.05,
            "{max_step_out} {max_step_in}"
        );
        assert_eq!(engine.active(), Compare::Suggested);
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let m = manual();
        let store = store_with_suggestion();
        let offset = AtomicF32::new(2.0);
        let mut engine = EqEngine::new(44_100.0, 64, 2, &m).unwrap();
        let mut l = vec![
            f32::NAN,
            f32::INFINITY,
            -f32::INFINITY,
            1e30,
            0.5,
            1.0,
            -1.0,
        ];
        let mut r = l.clone();
        for compare in [Compare::Manual, Compare::Suggested] {
            let controls = BlockControls {
                manual: &m,
                compare,
                amount: 0.5,
                match_levels: true,
            };
            engine.process(&mut [&mut l, &mut r], &controls, &store, &offset, None);
            assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        }
    }

    #[test]
    fn suggested_follows_a_new_suggestion_and_the_amount() {
        let sr = 48_000.0;
        let m = EqSettings::default();
        let store = store_with_suggestion(); // +6 dB bell at 2 kHz
        let offset = AtomicF32::new(f32::NAN);
        let mut engine = EqEngine::new(sr, 256, 1, &m).unwrap();
        let sine = dsp_core::testsignals::sine(24_000, 2000.0, 0.1, sr as f64);
        let gain_db = |engine: &mut EqEngine, amount: f32| {
            let mut out = sine.clone();
            for chunk in out.chunks_mut(256) {
                let controls = BlockControls {
                    manual: &m,
                    compare: Compare::Suggested,
                    amount,
                    match_levels: false,
                };
                engine.process(&mut [chunk], &controls, &store, &offset, None);
            }
            let peak = out[12_000..].iter().fold(0.0f32, |a, x| a.max(x.abs()));
            dsp_core::util::gain_to_db(peak / 0.1)
        };
        assert!((gain_db(&mut engine, 1.0) - 6.0).abs() < 0.1);
        assert!((gain_db(&mut engine, 0.5) - 3.0).abs() < 0.1);
        let mut s = Suggestion::empty("eq", "Balanced");
        s.values.insert("b3_on".into(), 1.0);
        s.values.insert("b3_freq".into(), 2000.0);
        s.values.insert("b3_gain".into(), 12.0);
        store.set_suggestion(Some(s)).unwrap();
        assert!((gain_db(&mut engine, 1.0) - 12.0).abs() < 0.1);
    }
}
