//! The audio-thread side of Tandem Master without the plugin framework: the mastering chain
//! driven by the manual or the suggested settings, the level-matched compare switch, and the
//! tap feeding the analysis thread. The plugin's `process()` is a thin layer over
//! [`MasterEngine::process`], so tests run exactly what hosts run.
//!
//! The compare trim never touches the manual set and, for the master, only ever turns the
//! suggested set down (`TRIM_CAN_BOOST = false`, see
//! [`tandem_common::audio::compare::match_trims_db`]), so it can never push the output over the
//! limiter's ceiling. The latency is the chain's, constant whatever plays.

use dsp_core::chains::master::{MasterChain, MasterSettings};
use tandem_common::audio::store::SuggestionStore;

/// What drives one block besides the audio.
pub type BlockControls<'a> = tandem_common::audio::engine::BlockControls<'a, MasterSettings>;

/// The master's audio engine: [`MasterChain`] behind the shared compare/level-matching/tap
/// engine. Meters: `engine.chain().glue_gain_reduction_db()` and
/// `engine.chain().limiter_gain_reduction_db()`.
pub type MasterEngine = tandem_common::audio::engine::AssistedEngine<MasterChain>;

/// Runs whole planar channels through `engine` in blocks of the given sizes (cycled), with
/// fixed controls. For tests and offline checks.
pub fn run_blocks(
    engine: &mut MasterEngine,
    audio: &mut [Vec<f32>],
    sizes: &[usize],
    controls: &BlockControls<'_>,
    store: &SuggestionStore,
    offset_lu: &atomic_float::AtomicF32,
) {
    let len = audio.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut pos = 0;
    for &n in sizes.iter().cycle() {
        if pos >= len {
            break;
        }
        let n = n.max(1).min(len - pos);
        let mut io: Vec<&mut [f32]> = audio.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        engine.process(&mut io, controls, store, offset_lu, None);
        pos += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atomic_float::AtomicF32;
    use dsp_core::assistant::Suggestion;
    use dsp_core::chains::eq::Placement;
    use dsp_core::chains::Chain;
    use dsp_core::testsignals::white_noise;
    use tandem_common::audio::checks;
    use tandem_common::audio::compare::Compare;

    fn manual() -> MasterSettings {
        MasterSettings {
            in_gain_db: 2.0,
            ls_gain_db: 1.5,
            bell1_gain_db: -2.0,
            bell1_place: Placement::Mid,
            glue_on: true,
            glue_threshold_db: -24.0,
            width_pct: 120.0,
            mono_below_hz: 90.0,
            lim_drive_db: 4.0,
            lim_ceiling_dbtp: -1.0,
            ..Default::default()
        }
    }

    fn store_with_suggestion() -> SuggestionStore {
        let store = SuggestionStore::new(MasterChain::params());
        let mut s = Suggestion::empty("master", "Spotify");
        s.values.insert("lim_drive".into(), 9.0);
        s.values.insert("hs_gain".into(), 2.0);
        s.values.insert("glue_on".into(), 1.0);
        store.set_suggestion(Some(s)).unwrap();
        store
    }

    fn controls(m: &MasterSettings, compare: Compare, match_levels: bool) -> BlockControls<'_> {
        BlockControls {
            manual: m,
            compare,
            amount: 1.0,
            match_levels,
        }
    }

    #[test]
    fn manual_is_bit_exact_with_the_chain_even_with_a_suggestion_and_offset() {
        checks::manual_is_bit_exact_with_the_chain::<MasterChain>(
            &manual(),
            &store_with_suggestion(),
            3.0,
        );
    }

    #[test]
    fn switching_to_suggested_is_click_free_and_plays_the_suggestion() {
        let store = SuggestionStore::new(MasterChain::params());
        let mut s = Suggestion::empty("master", "Spotify");
        // +6 dB of input gain: no limiting at −14 dBFS.
        s.values.insert("in_gain".into(), 6.0);
        store.set_suggestion(Some(s)).unwrap();
        let m = MasterSettings::default();
        checks::switching_to_suggested_is_click_free::<MasterChain>(&m, &store, 1000.0, 2e-3);
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        checks::non_finite_input_gives_finite_output::<MasterChain>(
            &manual(),
            &store_with_suggestion(),
        );
    }

    #[test]
    fn output_true_peak_stays_under_the_ceiling_with_heavy_drive() {
        let sr = 48_000.0;
        let n = 3 * sr as usize;
        for ceiling in [-1.0f32, -0.1] {
            let m = MasterSettings {
                lim_drive_db: 20.0,
                lim_ceiling_dbtp: ceiling,
                ..Default::default()
            };
            let store = store_with_suggestion();
            let offset = AtomicF32::new(-4.0);
            let mut engine = MasterEngine::new(sr, 480, 2, &m).unwrap();
            let mut audio = vec![white_noise(n, 1.0, 5), white_noise(n, 1.0, 6)];
            for compare in [Compare::Manual, Compare::Suggested] {
                run_blocks(
                    &mut engine,
                    &mut audio,
                    &[480, 17, 1, 333],
                    &controls(&m, compare, true),
                    &store,
                    &offset,
                );
                let view: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
                let tp = dsp_core::loudness::measure(&view, sr)
                    .unwrap()
                    .true_peak_dbtp
                    .unwrap();
                assert!(
                    tp <= ceiling as f64 + 1e-3,
                    "{compare:?} ceiling {ceiling}: true peak {tp}"
                );
                assert!(tp > ceiling as f64 - 3.0, "limiter output too low: {tp}");
                audio = vec![white_noise(n, 1.0, 7), white_noise(n, 1.0, 8)];
            }
        }
    }
}
