//! Property tests: every assistant, driven with random manual settings, options, targets and
//! styles on short, silent or odd material at several rates (a debug build: overflow checks
//! on), never panics, and every value it proposes is finite and inside its parameter's range
//! (setting it and reading it back gives it unchanged), with confidences in 0–1.

use dsp_core::assistant::comp::{suggest_comp, CompAnalysis, CompAssistantOptions, CompStyle};
use dsp_core::assistant::eq::{suggest_eq, EqAnalysis, EqAssistantOptions};
use dsp_core::assistant::master::{
    suggest_master, MasterAnalysis, MasterAssistantOptions, Platform,
};
use dsp_core::assistant::targets::TargetId;
use dsp_core::assistant::Suggestion;
use dsp_core::chains::comp::CompChain;
use dsp_core::chains::eq::EqChain;
use dsp_core::chains::master::MasterChain;
use dsp_core::chains::Chain;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Short material: (channels, rate, kind, level, seconds).
fn material() -> impl Strategy<Value = (Vec<Vec<f32>>, f32)> {
    (
        1usize..=2,
        prop::sample::select(vec![8_000.0f32, 22_050.0, 44_100.0, 48_000.0, 96_000.0]),
        0u8..6,
        prop_oneof![1 => -90.0f32..-50.0, 4 => -40.0f32..6.0],
        prop_oneof![1 => Just(0.0f32), 1 => 0.01f32..0.8, 4 => 1.2f32..4.0],
        any::<u64>(),
    )
        .prop_map(|(ch, sr, kind, level_db, secs, seed)| {
            let n = (secs * sr) as usize;
            let g = 10f32.powf(level_db / 20.0);
            let mut state = seed | 1;
            let mut noise = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
            };
            let chans = (0..ch)
                .map(|c| {
                    (0..n)
                        .map(|i| match kind {
                            0 => 0.0,
                            1 => g * noise(),
                            2 => g * (i as f32 * 0.05 * (c + 1) as f32).sin(),
                            3 => {
                                if i % 4800 == 0 {
                                    g
                                } else {
                                    0.0
                                }
                            }
                            4 => g,
                            _ => g * noise() * if (i / 2400) % 2 == 0 { 1.0 } else { 0.01 },
                        })
                        .collect()
                })
                .collect();
            (chans, sr)
        })
}

/// Random plain values for every parameter of a chain (out of range too: set_param clamps).
fn manual(ids: Vec<String>) -> impl Strategy<Value = BTreeMap<String, f32>> {
    prop::collection::vec(-1e5f32..1e5, ids.len()).prop_map(move |v| {
        ids.iter()
            .cloned()
            .zip(
                v.into_iter()
                    .map(|x| if x.abs() < 100.0 { x } else { x / 1000.0 }),
            )
            .collect()
    })
}

/// Every proposed value finite and inside its range: `set` then `get` returns it.
fn check(s: &Suggestion, roundtrip: impl Fn(&str, f32) -> Option<f32>) -> Result<(), String> {
    s.validate()?;
    for it in &s.items {
        for (id, &v) in &it.values {
            let back = roundtrip(id, v).ok_or_else(|| format!("unknown parameter {id}"))?;
            if (back - v).abs() > 1e-4 * v.abs().max(1.0) {
                return Err(format!(
                    "{}: {id} = {v} is out of range (reads back {back})",
                    it.key
                ));
            }
        }
    }
    Ok(())
}

fn refs(x: &[Vec<f32>]) -> Vec<&[f32]> {
    x.iter().map(|c| c.as_slice()).collect()
}

/// Every parameter ID of chain `C`.
fn ids<C: Chain>() -> Vec<String> {
    C::params().iter().map(|p| p.id.to_string()).collect()
}

/// `v` set into default settings of chain `C` as parameter `id`, read back (`None` for an
/// unknown ID).
fn round_trip<C: Chain>(id: &str, v: f32) -> Option<f32> {
    let mut s = C::Settings::default();
    C::set_param(&mut s, id, v)
        .then(|| C::param(&s, id))
        .flatten()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn eq_assistant(
        (x, sr) in material(),
        m in manual(ids::<EqChain>()),
        target in prop::sample::select(TargetId::ALL.to_vec()),
        max_bands in 0usize..=10,
        max_gain_db in 0.0f32..30.0,
        flags in any::<(bool, bool, bool)>(),
    ) {
        let a = EqAnalysis::analyze(&refs(&x), sr).unwrap();
        let options = EqAssistantOptions {
            max_bands,
            max_gain_db,
            analysis_is_pre_eq: flags.0,
            detect_resonances: flags.1,
            suggest_low_cut: flags.2,
        };
        let current = EqChain::from_param_map(&m);
        let s = suggest_eq(&a, &target.target(), &options, &current);
        let rt = round_trip::<EqChain>;
        prop_assert!(check(&s, rt).is_ok(), "{:?}", check(&s, rt));
    }

    #[test]
    fn comp_assistant(
        (x, sr) in material(),
        m in manual(ids::<CompChain>()),
        style in prop::sample::select(CompStyle::ALL.to_vec()),
        sim_seconds in 0.0f32..60.0,
        target_gr in prop::option::of(0.0f32..30.0),
    ) {
        let a = CompAnalysis::analyze(&refs(&x), sr).unwrap();
        let options = CompAssistantOptions { sim_seconds, target_avg_gr_db: target_gr };
        let current = CompChain::from_param_map(&m);
        let s = suggest_comp(&a, style, &options, &current);
        let rt = round_trip::<CompChain>;
        prop_assert!(check(&s, rt).is_ok(), "{:?}", check(&s, rt));
    }

    #[test]
    fn master_assistant(
        (x, sr) in material(),
        m in manual(ids::<MasterChain>()),
        platform in prop::sample::select(Platform::ALL.to_vec()),
        custom in (-40.0f32..0.0, -6.0f32..0.0),
        limits in (0.0f32..12.0, 0.0f32..12.0, 0.0f32..6.0, 0.0f32..20.0),
    ) {
        let a = MasterAnalysis::analyze(&refs(&x), sr).unwrap();
        let options = MasterAssistantOptions {
            max_tonal_db: limits.0,
            max_reference_tonal_db: limits.1,
            max_glue_gr_db: limits.2,
            max_limiting_db: limits.3,
            ..MasterAssistantOptions::default()
        };
        let current = MasterChain::from_param_map(&m);
        let s = suggest_master(&a, &platform.target(custom.0, custom.1), &options, &current);
        let rt = round_trip::<MasterChain>;
        prop_assert!(check(&s, rt).is_ok(), "{:?}", check(&s, rt));
    }
}

/// The range check itself fails on a value out of range, an unknown ID or a bad confidence.
#[test]
fn the_range_check_can_fail() {
    let rt = round_trip::<EqChain>;
    let with = |id: &str, v: f32, confidence: f32| {
        let mut s = Suggestion::empty("eq", "t");
        s.items.push(dsp_core::assistant::SuggestionItem {
            key: "band1".into(),
            title: String::new(),
            values: [(id.to_string(), v)].into_iter().collect(),
            reason: String::new(),
            confidence,
        });
        s
    };
    assert!(check(&with("b1_gain", -3.0, 0.5), rt).is_ok());
    assert!(check(&with("b1_gain", 99.0, 0.5), rt).is_err());
    assert!(check(&with("b1_freq", 5.0, 0.5), rt).is_err());
    assert!(check(&with("no_such_id", 1.0, 0.5), rt).is_err());
    assert!(check(&with("b1_gain", -3.0, 1.5), rt).is_err());
}
