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
    use dsp_core::assistant::Suggestion;
    use dsp_core::chains::eq::{EqBandType, Placement};
    use dsp_core::chains::Chain;
    use tandem_common::audio::checks;
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
        s.out_gain_db = -1.5;
        s
    }

    fn store_with_suggestion() -> SuggestionStore {
        let store = SuggestionStore::new(EqChain::params());
        let mut s = Suggestion::empty("eq", "Balanced");
        s.values.insert("b3_on".into(), 1.0);
        s.values.insert("b3_freq".into(), 2000.0);
        s.values.insert("b3_gain".into(), 6.0);
        store.set_suggestion(Some(s)).unwrap();
        store
    }

    #[test]
    fn manual_is_bit_exact_with_the_chain_even_with_a_suggestion_and_offset() {
        // Negative: the suggestion is quieter, which must not touch the manual sound either.
        checks::manual_is_bit_exact_with_the_chain::<EqChain>(
            &manual(),
            &store_with_suggestion(),
            -3.0,
        );
    }

    #[test]
    fn switching_to_suggested_is_click_free_and_plays_the_suggestion() {
        // The suggestion is a +6 dB bell at 2 kHz.
        let (m, store) = (EqSettings::default(), store_with_suggestion());
        checks::switching_to_suggested_is_click_free::<EqChain>(&m, &store, 2000.0, 1e-3);
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        checks::non_finite_input_gives_finite_output::<EqChain>(
            &manual(),
            &store_with_suggestion(),
        );
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
