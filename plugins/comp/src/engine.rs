//! The audio-thread side of Tandem Comp without the plugin framework: the compressor chain driven
//! by the manual or the suggested settings and keyed by the main input or the external
//! side-chain, the level-matched compare switch, and the tap feeding the analysis thread. The
//! plugin's `process()` is a thin layer over [`CompEngine::process`], so tests run exactly what
//! hosts run.

use dsp_core::chains::comp::{CompChain, CompSettings};

/// What drives one block besides the audio.
pub type BlockControls<'a> = tandem_common::audio::engine::BlockControls<'a, CompSettings>;

/// The compressor's audio engine: [`CompChain`] behind the shared compare/level-matching/tap
/// engine; `process_keyed` takes the external side-chain. Meter:
/// `engine.chain().gain_reduction_db()`.
pub type CompEngine = tandem_common::audio::engine::AssistedEngine<CompChain>;

/// The settings the chain runs for `settings` (see [`CompSettings::capped`]: the total makeup
/// is capped at +24 dB), for drawing the transfer curve the chain really has.
pub fn effective_settings(settings: &CompSettings) -> CompSettings {
    settings.capped()
}

/// The chain's gain reduction into the display after each block (`PluginSpec::AFTER_BLOCK`).
/// Real-time safe.
pub fn show_gain_reduction(
    chain: &CompChain,
    display: &tandem_common::audio::display::Display,
    _: &(),
) {
    let gr = chain.gain_reduction_db();
    display
        .gain_reduction_db
        .store(gr, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use atomic_float::AtomicF32;
    use dsp_core::assistant::Suggestion;
    use dsp_core::chains::Chain;
    use dsp_core::testsignals::{pink_noise, sine};
    use dsp_core::util::gain_to_db;
    use tandem_common::audio::checks;
    use tandem_common::audio::compare::Compare;
    use tandem_common::audio::store::SuggestionStore;

    fn manual() -> CompSettings {
        CompSettings {
            threshold_db: -24.0,
            ratio: 3.0,
            attack_ms: 5.0,
            release_ms: 80.0,
            makeup_db: 2.0,
            out_gain_db: -1.0,
            link_pct: 60.0,
            ..CompSettings::default()
        }
    }

    fn store_with(values: &[(&str, f32)]) -> SuggestionStore {
        let store = SuggestionStore::new(CompChain::params());
        let mut s = Suggestion::empty("comp", "Glue");
        for (id, v) in values {
            s.values.insert(id.to_string(), *v);
        }
        store.set_suggestion(Some(s)).unwrap();
        store
    }

    fn store_with_suggestion() -> SuggestionStore {
        store_with(&[
            ("threshold", -30.0),
            ("ratio", 6.0),
            ("attack", 20.0),
            ("makeup", 5.0),
        ])
    }

    /// The manual settings, the suggestion and the level offset a run plays with.
    struct Env<'a> {
        m: &'a CompSettings,
        store: &'a SuggestionStore,
        offset: &'a AtomicF32,
    }

    fn run(
        engine: &mut CompEngine,
        io: &mut [Vec<f32>],
        key: Option<&[Vec<f32>]>,
        blocks: &[usize],
        controls_at: impl Fn(usize) -> (Compare, bool),
        env: &Env<'_>,
    ) {
        let Env { m, store, offset } = *env;
        let len = io[0].len();
        let mut pos = 0;
        for n in blocks.iter().cycle() {
            if pos >= len {
                break;
            }
            let n = (*n).min(len - pos);
            let (compare, match_levels) = controls_at(pos);
            let controls = BlockControls {
                manual: m,
                compare,
                amount: 1.0,
                match_levels,
            };
            let mut parts: Vec<&mut [f32]> = io.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
            let key_parts: Option<Vec<&[f32]>> =
                key.map(|k| k.iter().map(|c| &c[pos..pos + n]).collect());
            engine.process_keyed(
                &mut parts,
                key_parts.as_deref(),
                &controls,
                store,
                offset,
                None,
            );
            pos += n;
        }
    }

    #[test]
    fn manual_is_bit_exact_with_the_chain_even_with_a_suggestion_and_offset() {
        // Suggested would be louder: with level matching its trim applies, Manual's must not.
        let (input, out) = checks::manual_is_bit_exact_with_the_chain::<CompChain>(
            &manual(),
            &store_with_suggestion(),
            3.0,
        );
        // And the compressor did work on it (the comparison is not trivially equal).
        assert!(out[0].iter().zip(&input[0]).any(|(x, y)| x != y));
    }

    #[test]
    fn switching_to_suggested_is_click_free_and_plays_the_suggestion() {
        let sr = 48_000.0;
        let m = CompSettings::default();
        // Suggested: the same curve with 6 dB more makeup (and a harder ratio).
        let store = store_with(&[("makeup", 6.0), ("ratio", 8.0)]);
        let offset = AtomicF32::new(f32::NAN);
        let mut engine = CompEngine::new(sr, 256, 1, &m).unwrap();
        // A 1 kHz sine at −30 dBFS: below the threshold, so only the makeup changes.
        let input = sine(sr as usize, 1000.0, 0.0316, sr as f64);
        let mut out = vec![input.clone()];
        run(
            &mut engine,
            &mut out,
            None,
            &[256],
            |pos| {
                if pos >= 12_032 {
                    (Compare::Suggested, false)
                } else {
                    (Compare::Manual, false)
                }
            },
            &Env {
                m: &m,
                store: &store,
                offset: &offset,
            },
        );
        let out = &out[0];
        let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((gain_to_db(peak(&out[6_000..12_000]) / 0.0316)).abs() < 0.1);
        let after = peak(&out[30_000..]);
        assert!((gain_to_db(after / 0.0316) - 6.0).abs() < 0.1, "{after}");
        // No step bigger than the sine's own largest step at the final gain (a click or a gain
        // jump would exceed it; the makeup ramps over 20 ms).
        let max_step = |s: &[f32]| {
            s.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max)
        };
        let step_in = max_step(&input);
        let step_out = max_step(&out[11_000..20_000]);
        assert!(step_out <= step_in * 2.0 * 1.05, "{step_out} {step_in}");
        assert_eq!(engine.active(), Compare::Suggested);
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let m = manual();
        let store = store_with_suggestion();
        let offset = AtomicF32::new(2.0);
        let mut engine = CompEngine::new(44_100.0, 64, 2, &m).unwrap();
        let bad = checks::NON_FINITE_AND_HUGE.to_vec();
        let key = vec![bad.clone(), bad.clone()];
        for (compare, ext) in [
            (Compare::Manual, false),
            (Compare::Suggested, false),
            (Compare::Manual, true),
        ] {
            let m = CompSettings {
                sc_external: ext,
                ..m
            };
            let mut io = vec![bad.clone(), bad.clone()];
            for _ in 0..200 {
                run(
                    &mut engine,
                    &mut io,
                    Some(&key),
                    &[3],
                    |_| (compare, true),
                    &Env {
                        m: &m,
                        store: &store,
                        offset: &offset,
                    },
                );
                assert!(io.iter().flatten().all(|x| x.is_finite()));
                io = vec![bad.clone(), bad.clone()];
            }
            // And it recovers: a plain signal afterwards comes out finite and, once the release
            // let go of the enormous reduction, audible.
            let mut io = vec![
                sine(88_200, 440.0, 0.5, 44_100.0),
                sine(88_200, 440.0, 0.5, 44_100.0),
            ];
            run(
                &mut engine,
                &mut io,
                None,
                &[64],
                |_| (compare, true),
                &Env {
                    m: &m,
                    store: &store,
                    offset: &offset,
                },
            );
            assert!(io.iter().flatten().all(|x| x.is_finite()));
            assert!(io[0][80_000..].iter().any(|x| x.abs() > 0.01));
        }
    }

    #[test]
    fn the_sidechain_key_ducks_the_main_signal() {
        let sr = 48_000.0;
        let frames = 48_000;
        let m = CompSettings {
            threshold_db: -30.0,
            ratio: 10.0,
            sc_external: true,
            ..CompSettings::default()
        };
        let store = SuggestionStore::new(CompChain::params());
        let offset = AtomicF32::new(f32::NAN);
        // Main: a quiet sine below the threshold; key: loud noise in the second half.
        let main = sine(frames, 500.0, 0.02, sr as f64);
        let mut key = pink_noise(frames, 0.3, 7);
        key[..frames / 2].fill(0.0);
        let keys = vec![key.clone(), key];
        let mut engine = CompEngine::new(sr, 512, 2, &m).unwrap();
        let mut io = vec![main.clone(), main.clone()];
        run(
            &mut engine,
            &mut io,
            Some(&keys),
            &[333],
            |_| (Compare::Manual, true),
            &Env {
                m: &m,
                store: &store,
                offset: &offset,
            },
        );
        let rms = |s: &[f32]| (s.iter().map(|x| x * x).sum::<f32>() / s.len() as f32).sqrt();
        let quiet = gain_to_db(rms(&io[0][8_000..20_000]) / rms(&main[8_000..20_000]));
        let ducked = gain_to_db(rms(&io[1][32_000..46_000]) / rms(&main[32_000..46_000]));
        assert!(quiet.abs() < 0.5, "no key: {quiet} dB");
        assert!(ducked < -10.0, "keyed: {ducked} dB");
        assert!(engine.chain().gain_reduction_db() > 10.0);

        // With the external key switched off, the same key does nothing.
        let internal = CompSettings {
            sc_external: false,
            ..m
        };
        let mut engine = CompEngine::new(sr, 512, 2, &internal).unwrap();
        let mut io = vec![main.clone(), main.clone()];
        run(
            &mut engine,
            &mut io,
            Some(&keys),
            &[333],
            |_| (Compare::Manual, true),
            &Env {
                m: &internal,
                store: &store,
                offset: &offset,
            },
        );
        let level = gain_to_db(rms(&io[0][32_000..46_000]) / rms(&main[32_000..46_000]));
        assert!(level.abs() < 0.5, "internal key: {level} dB");
    }

    #[test]
    fn total_makeup_is_capped_so_a_setting_jump_stays_within_48_db() {
        let normal = CompSettings {
            auto_makeup: true,
            makeup_db: 3.0,
            ..CompSettings::default()
        };
        assert_eq!(effective_settings(&normal), normal);
        let extreme = CompSettings {
            auto_makeup: true,
            threshold_db: -60.0,
            ratio: 100.0,
            makeup_db: 24.0,
            ..CompSettings::default()
        };
        let e = effective_settings(&extreme);
        assert!(!e.auto_makeup);
        assert_eq!(e.makeup_db, dsp_core::chains::comp::MAX_GAIN_DB);

        // Full-scale DC, then threshold and ratio jump with the slowest attack.
        let before = CompSettings {
            threshold_db: 0.0,
            ratio: 1.0,
            makeup_db: 24.0,
            out_gain_db: 24.0,
            auto_makeup: true,
            attack_ms: 300.0,
            ..CompSettings::default()
        };
        let after = CompSettings {
            threshold_db: -60.0,
            ratio: 100.0,
            ..before
        };
        let store = SuggestionStore::new(CompChain::params());
        let offset = AtomicF32::new(f32::NAN);
        let mut engine = CompEngine::new(22_050.0, 512, 2, &before).unwrap();
        let mut peak = 0.0f32;
        for k in 0..100 {
            let m = if k < 10 { before } else { after };
            let mut l = vec![1.0f32; 441];
            let mut r = l.clone();
            let controls = BlockControls {
                manual: &m,
                compare: Compare::Manual,
                amount: 1.0,
                match_levels: true,
            };
            engine.process_keyed(
                &mut [&mut l, &mut r],
                None,
                &controls,
                &store,
                &offset,
                None,
            );
            peak = l.iter().chain(&r).fold(peak, |p, x| p.max(x.abs()));
        }
        assert!(peak <= dsp_core::util::db_to_gain(48.0) * 1.001, "{peak}");
    }
}
