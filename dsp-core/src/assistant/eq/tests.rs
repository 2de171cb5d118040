//! Tests of the EQ assistant on synthetic signals (what synthetic signals prove well: filters,
//! edge cases, injected faults); the real-music judgement is `tandem eval`.

use super::*;
use crate::assistant::accept;
use crate::chains::eq::EqChain;
use crate::chains::Chain;
use crate::filters::FilterSpec;
use crate::testsignals::{pink_noise, white_noise};
use crate::{Processor, ProcessorConfig};

const SR: f32 = 48_000.0;

fn shaping() -> EqSettings {
    let mut s = EqSettings::default();
    s.bands[0] = make_band(EqBandType::LowShelf, 120.0, 6.0, 0.7);
    s.bands[1] = make_band(EqBandType::HighShelf, 6000.0, -6.0, 0.7);
    s.bands[2] = make_band(EqBandType::Bell, 1000.0, 8.0, 2.0);
    s
}

fn process(settings: &EqSettings, x: &[f32]) -> Vec<f32> {
    let mut eq = EqChain::new(ProcessorConfig::new(SR, 4096, 1).unwrap(), settings).unwrap();
    let mut y = x.to_vec();
    eq.process(&mut [&mut y]);
    y
}

/// Third-octave band levels 40 Hz–16 kHz (fine FFT so the low bands hold enough bins).
fn third_octaves(x: &[f32]) -> Vec<(f32, f32)> {
    let mut cfg = crate::analysis::LtasConfig::new(SR);
    cfg.fft_size = 16_384;
    let mut l = crate::analysis::Ltas::new(cfg).unwrap();
    l.process(&[x]);
    let r = l.result();
    r.band_center_hz
        .iter()
        .zip(&r.band_db)
        .filter(|(f, _)| (39.0..=16_500.0).contains(*f))
        .map(|(f, d)| (*f, *d))
        .collect()
}

fn rms_mean_removed(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
}

fn applied(sug: &Suggestion) -> EqSettings {
    let manual = <EqChain as crate::chains::Chain>::param_map(&EqSettings::default());
    EqChain::from_param_map(&accept::suggested_set(
        sug,
        &manual,
        1.0,
        EqChain::neutral_value,
    ))
}

/// (analytic reduction, processed reduction) of the RMS deviation over third octaves.
fn reductions(
    shaped: &[f32],
    reference_bands: &[(f32, f32)],
    target: &Target,
    sug: &Suggestion,
) -> (f64, f64) {
    let eq = applied(sug);
    let shaped_b = third_octaves(shaped);
    let dev: Vec<f64> = shaped_b
        .iter()
        .zip(reference_bands)
        .map(|((f, d), (_, r))| (*d - *r - target.db_at(*f)) as f64)
        .collect();
    let before = rms_mean_removed(&dev);
    let after_analytic: Vec<f64> = shaped_b
        .iter()
        .zip(&dev)
        .map(|((f, _), d)| d + eq.magnitude_db(*f as f64, SR as f64))
        .collect();
    let processed = third_octaves(&process(&eq, shaped));
    let after_processed: Vec<f64> = processed
        .iter()
        .zip(reference_bands)
        .map(|((f, d), (_, r))| (*d - *r - target.db_at(*f)) as f64)
        .collect();
    (
        1.0 - rms_mean_removed(&after_analytic) / before,
        1.0 - rms_mean_removed(&after_processed) / before,
    )
}

fn print(sug: &Suggestion) {
    for i in &sug.items {
        eprintln!(
            "  {} | {} | {} | conf {:.2}",
            i.key, i.title, i.reason, i.confidence
        );
    }
    eprintln!("  measurements: {:?}", sug.measurements);
}

#[test]
fn undoes_a_known_eq_in_reference_and_flat_mode() {
    let pink = pink_noise((SR * 12.0) as usize, 0.1, 42);
    let shaped = process(&shaping(), &pink);
    let analysis = EqAnalysis::analyze(&[&shaped], SR).unwrap();
    let reference = EqAnalysis::analyze(&[&pink], SR)
        .unwrap()
        .reference_target("pink");
    let opts = EqAssistantOptions::default();
    let sug = suggest_eq(&analysis, &reference, &opts, &EqSettings::default());
    sug.validate().unwrap();
    eprintln!("reference mode:");
    print(&sug);
    let flat_ref: Vec<(f32, f32)> = third_octaves(&pink);
    let (ana, proc_) = reductions(&shaped, &flat_ref, &Target::flat(), &sug);
    eprintln!(
        "reference mode: analytic {:.1} %, processed {:.1} %",
        100.0 * ana,
        100.0 * proc_
    );
    // Reference mode smooths both spectra over 1/3 octave (so a reference song's notes do not
    // become the target), which takes part of the Q 2 bell's peak with it: ≥ 65 % here. The
    // real-music bar (≥ 80 % median over the evaluation set) is checked by `tandem eval`.
    assert!(ana >= 0.65 && proc_ >= 0.65, "{ana} {proc_}");
    assert!(sug.items.len() <= 6);
    for i in &sug.items {
        for (k, v) in &i.values {
            if k.ends_with("_gain") {
                assert!(v.abs() <= 6.0 + 1e-4, "{k} {v}");
            }
        }
    }

    let flat = Target::flat();
    let sug = suggest_eq(&analysis, &flat, &opts, &EqSettings::default());
    eprintln!("flat mode:");
    print(&sug);
    let zero: Vec<(f32, f32)> = flat_ref.iter().map(|(f, _)| (*f, 0.0)).collect();
    let (ana, proc_) = reductions(&shaped, &zero, &flat, &sug);
    eprintln!(
        "flat mode: analytic {:.1} %, processed {:.1} %",
        100.0 * ana,
        100.0 * proc_
    );
    assert!(ana >= 0.6 && proc_ >= 0.6, "{ana} {proc_}");
    assert!(analysis.heard_seconds > 11.0);
}

#[test]
fn clean_pink_noise_gives_no_false_positives() {
    for seed in [1u64, 2, 3] {
        let pink = pink_noise((SR * 10.0) as usize, 0.1, seed);
        let a = EqAnalysis::analyze(&[&pink], SR).unwrap();
        let sug = suggest_eq(
            &a,
            &Target::flat(),
            &EqAssistantOptions::default(),
            &EqSettings::default(),
        );
        eprintln!("seed {seed}:");
        print(&sug);
        for i in &sug.items {
            for (k, v) in &i.values {
                if k.ends_with("_gain") {
                    assert!(v.abs() <= 1.0, "{} {k} {v}", i.key);
                }
            }
            assert_ne!(i.key, "lowcut");
            assert!(!i.key.starts_with("resonance"));
        }
        // Converged, but 10 s is not enough of a song to hold the suggestion.
        assert!(
            a.stability_change_db
                .is_some_and(|c| c < STABILITY_THRESHOLD_DB),
            "{:?}",
            a.stability_change_db
        );
        assert!(!a.stable, "stable after only {} s", a.heard_seconds);
    }
}

/// "Stable" needs convergence and coverage: a steady signal converges within seconds but counts
/// as stable only once [`MIN_STABLE_SECONDS`] were heard.
#[test]
fn stable_needs_convergence_and_the_minimum_coverage() {
    let pink = pink_noise((SR * (MIN_STABLE_SECONDS + 4.0)) as usize, 0.1, 5);
    let mut an = EqAnalysis::new(EqAnalysisConfig::new(SR, 1)).unwrap();
    let cut = (SR * (MIN_STABLE_SECONDS - 4.0)) as usize;
    an.process(&[&pink[..cut]]);
    let early = an.result();
    assert!(early
        .stability_change_db
        .is_some_and(|c| c < STABILITY_THRESHOLD_DB));
    assert!(
        !early.stable && !an.is_stable(),
        "{} s heard",
        early.heard_seconds
    );
    an.process(&[&pink[cut..]]);
    let late = an.result();
    assert!(
        late.stable && an.is_stable(),
        "{} s heard, {:?}",
        late.heard_seconds,
        late.stability_change_db
    );
}

#[test]
fn a_hole_in_the_spectrum_gets_at_most_the_boost_budget() {
    // Pink noise with a deep two-octave hole around 1 kHz. The old fit boosted ≥ 6 dB into
    // it; an engineer does not fill missing content: the deepest part is left alone with a
    // warning, and all boosts together stay within the boost budget.
    let mut hole = EqSettings::default();
    hole.bands[0] = make_band(EqBandType::Bell, 1000.0, -20.0, 0.5);
    let x = process(&hole, &pink_noise((SR * 10.0) as usize, 0.1, 4));
    let a = EqAnalysis::analyze(&[&x], SR).unwrap();
    let sug = suggest_eq(
        &a,
        &Target::flat(),
        &EqAssistantOptions::default(),
        &EqSettings::default(),
    );
    print(&sug);
    let eq = applied(&sug);
    // The hole is 20 dB deep: at most the boost budget goes there (the old fit stacked
    // 1.5 caps), and all boosts together stay within it.
    let at_hole = eq.magnitude_db(1000.0, SR as f64);
    assert!(at_hole <= BOOST_BUDGET_DB + 1e-3, "{at_hole}");
    let boosts: f32 = eq
        .bands
        .iter()
        .filter(|b| b.enabled && b.gain_db > 0.0)
        .map(|b| b.gain_db)
        .sum();
    assert!(boosts as f64 <= BOOST_BUDGET_DB + 1e-3, "{boosts}");
    // No three bands of one kind in the same place.
    let on: Vec<&BandSettings> = eq.bands.iter().filter(|b| b.enabled).collect();
    for b in &on {
        let near = on
            .iter()
            .filter(|o| o.kind == b.kind && (o.freq_hz / b.freq_hz).log2().abs() < 1.0 / 6.0)
            .count();
        assert!(near <= 2, "{on:?}");
    }
}

/// A harmonic tone (6 partials, amplitude 1/k) at `f0` Hz, `n` samples from sample `start`.
fn tone(out: &mut [f32], f0: f32, amp: f32, start: usize, n: usize) {
    for k in 1..=6 {
        let w = 2.0 * std::f32::consts::PI * f0 * k as f32 / SR;
        if f0 * k as f32 > 0.45 * SR {
            break;
        }
        for i in start..(start + n).min(out.len()) {
            out[i] += amp / k as f32 * (w * i as f32).sin();
        }
    }
}

/// 24 s of music-like material: pink noise (drums/room) plus a chord every 1.5 s from a
/// progression that moves through the keys, plus `extra` (a held note, a drone, a bass line).
fn chords_with(extra: impl Fn(&mut [f32])) -> Vec<f32> {
    let n = (SR * 24.0) as usize;
    let mut x = pink_noise(n, 0.05, 11);
    let step = (SR * 1.5) as usize;
    let roots = [220.0f32, 174.6, 261.6, 196.0, 233.1, 164.8, 293.7, 207.7];
    for (c, start) in (0..n).step_by(step).enumerate() {
        let r = roots[c % roots.len()];
        for ratio in [1.0f32, 1.26, 1.5] {
            tone(&mut x, r * ratio, 0.03, start, step);
        }
    }
    extra(&mut x);
    x
}

fn resonance_items(x: &[f32]) -> Vec<(f32, f32, f32)> {
    let a = EqAnalysis::analyze(&[x], SR).unwrap();
    let sug = suggest_eq(
        &a,
        &Target::flat(),
        &EqAssistantOptions::default(),
        &EqSettings::default(),
    );
    print(&sug);
    sug.items
        .iter()
        .filter(|i| i.key.starts_with("resonance"))
        .map(|i| {
            let get = |s: &str| *i.values.iter().find(|(k, _)| k.ends_with(s)).unwrap().1;
            (get("_freq"), get("_gain"), get("_q"))
        })
        .collect()
}

#[test]
fn finds_a_fixed_resonance_under_changing_chords() {
    let x = chords_with(|_| {});
    let mut s = EqSettings::default();
    s.bands[0] = make_band(EqBandType::Bell, 2500.0, 12.0, 10.0);
    let y = process(&s, &x);
    let found = resonance_items(&y);
    let (f, g, q) = *found.first().expect("a resonance item");
    assert!((f / 2500.0).log2().abs() <= 1.0 / 6.0, "{f}");
    // Half the excess, at most the default 4 dB, with a narrow Q.
    assert!((-(MAX_CUT_DB as f32) - 1e-3..=-2.0).contains(&g), "{g}");
    assert!((2.0..=12.0).contains(&q), "{q}");
    // The same chords without the resonance: nothing to cut.
    assert!(resonance_items(&x).is_empty());
}

#[test]
fn held_notes_drones_and_bass_lines_are_not_resonances() {
    // A note held through every chord change.
    let held = chords_with(|x| {
        let n = x.len();
        tone(x, 440.0, 0.05, 0, n)
    });
    assert!(resonance_items(&held).is_empty(), "held note");
    // A drone alone over noise (the music does not move: nothing can be told apart).
    let n = (SR * 24.0) as usize;
    let mut drone = pink_noise(n, 0.05, 12);
    tone(&mut drone, 110.0, 0.1, 0, n);
    tone(&mut drone, 165.0, 0.05, 0, n);
    assert!(resonance_items(&drone).is_empty(), "drone");
    // A bass line with its harmonic series under the chords.
    let bass = chords_with(|x| {
        let step = (SR * 0.375) as usize;
        let notes = [55.0f32, 65.4, 73.4, 82.4, 98.0, 73.4, 61.7, 49.0];
        let n = x.len();
        for (k, start) in (0..n).step_by(step).enumerate() {
            tone(x, notes[k % notes.len()], 0.12, start, step);
        }
    });
    assert!(resonance_items(&bass).is_empty(), "bass line");
}

/// Noise below 30 Hz: white noise through a 4th-order 25 Hz low pass.
fn rumble_signal(n: usize, seed: u64) -> Vec<f32> {
    let w = white_noise(n, 1.0, seed);
    let c =
        FilterSpec::low_pass(25.0, 24.0, crate::filters::CutShape::Butterworth).design(SR as f64);
    let mut st = [crate::filters::BiquadState::default(); 4];
    w.iter()
        .map(|&x| {
            let mut v = x as f64;
            for (s, sec) in st.iter_mut().zip(c.sections()) {
                v = s.tick(sec, v);
            }
            v as f32
        })
        .collect()
}

#[test]
fn low_cut_for_rumble_only() {
    let n = (SR * 10.0) as usize;
    let pink = pink_noise(n, 0.1, 9);
    let mut rumble = rumble_signal(n, 10);
    crate::testsignals::scale_to_rms(&mut rumble, 0.1);
    let x: Vec<f32> = pink.iter().zip(&rumble).map(|(a, b)| a + b).collect();
    let a = EqAnalysis::analyze(&[&x], SR).unwrap();
    for t in [Target::flat(), Target::builtin("balanced").unwrap()] {
        let sug = suggest_eq(
            &a,
            &t,
            &EqAssistantOptions::default(),
            &EqSettings::default(),
        );
        print(&sug);
        let lc = sug
            .items
            .iter()
            .find(|i| i.key == "lowcut")
            .expect("low cut item");
        let ty = lc
            .values
            .iter()
            .find(|(k, _)| k.ends_with("_type"))
            .unwrap()
            .1;
        assert_eq!(*ty, EqBandType::LowCut.index() as f32);
    }
    let a = EqAnalysis::analyze(&[&pink], SR).unwrap();
    for t in [Target::flat(), Target::builtin("balanced").unwrap()] {
        let sug = suggest_eq(
            &a,
            &t,
            &EqAssistantOptions::default(),
            &EqSettings::default(),
        );
        assert!(sug.items.iter().all(|i| i.key != "lowcut"), "{}", t.name);
    }
}

#[test]
fn respects_enabled_bands_budget_and_short_input() {
    let pink = pink_noise((SR * 6.0) as usize, 0.1, 42);
    let shaped = process(&shaping(), &pink);
    let a = EqAnalysis::analyze(&[&shaped], SR).unwrap();
    // The engineer already uses bands 1, 2 and 5.
    let mut cur = EqSettings::default();
    cur.bands[0] = make_band(EqBandType::LowCut, 20.0, 0.0, 0.7);
    cur.bands[1] = make_band(EqBandType::Bell, 3000.0, 0.0, 1.0);
    cur.bands[4] = make_band(EqBandType::Bell, 9000.0, 0.0, 1.0);
    let opts = EqAssistantOptions {
        max_bands: 3,
        ..Default::default()
    };
    let sug = suggest_eq(&a, &Target::flat(), &opts, &cur);
    sug.validate().unwrap();
    print(&sug);
    assert!(!sug.items.is_empty() && sug.items.len() <= 3);
    for k in sug.values.keys() {
        assert!(
            !k.starts_with("b1_") && !k.starts_with("b2_") && !k.starts_with("b5_"),
            "{k}"
        );
    }
    assert!(sug.warnings.iter().any(|w| w.contains("keep playing")));
    assert!(sug.confidence < 0.5);
    // Nothing heard.
    let silent = vec![0.0f32; 48_000];
    let a = EqAnalysis::analyze(&[&silent], SR).unwrap();
    let sug = suggest_eq(&a, &Target::flat(), &EqAssistantOptions::default(), &cur);
    assert!(sug.items.is_empty() && !sug.warnings.is_empty());
    sug.validate().unwrap();
    // JSON round trip of the analysis.
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(
        serde_json::from_str::<EqAnalysisResult>(&json)
            .unwrap()
            .fft_size,
        a.fft_size
    );
}

#[test]
fn slot_assignment_keeps_order_and_prefers_near_defaults() {
    let slots: Vec<(usize, f64)> = crate::chains::eq::DEFAULT_FREQS_HZ
        .iter()
        .enumerate()
        .map(|(i, f)| (i, *f as f64))
        .collect();
    assert_eq!(
        assign_slots(&[100.0, 1000.0, 10_000.0], &slots),
        vec![1, 3, 7]
    );
    assert_eq!(assign_slots(&[1000.0, 1100.0], &slots), vec![3, 4]);
    assert!((q_from_bandwidth(bell_bandwidth_oct(1.3)) - 1.3).abs() < 1e-9);
    assert!((weighted_median(&[1.0, 5.0, 2.0], &[1.0, 1.0, 1.0]) - 2.0).abs() < 1e-12);
}

#[test]
fn little_sub_content_is_not_boosted_and_says_so() {
    // Pink noise with almost nothing below 50 Hz, against the measured Balanced target: the
    // sub is a region real music rolls off; at most +3 dB below 40 Hz, and a warning.
    let mut hp = EqSettings::default();
    hp.bands[0] = make_band(EqBandType::LowCut, 60.0, 0.0, 0.7);
    hp.bands[0].slope_db_oct = 48.0;
    let x = process(&hp, &pink_noise((SR * 12.0) as usize, 0.1, 5));
    let a = EqAnalysis::analyze(&[&x], SR).unwrap();
    let t = Target::builtin("balanced").unwrap();
    assert!(t.measured && !t.corridor.is_empty());
    let sug = suggest_eq(
        &a,
        &Target::flat(),
        &EqAssistantOptions::default(),
        &EqSettings::default(),
    );
    print(&sug);
    let eq = applied(&sug);
    for k in 0..=8 {
        let f = 20.0 * 2f64.powf(k as f64 / 8.0);
        assert!(
            eq.magnitude_db(f, SR as f64) <= MAX_SUB_BOOST_DB + 1e-3,
            "{f}"
        );
    }
    assert!(
        sug.warnings
            .iter()
            .any(|w| w.contains("little content below")),
        "{:?}",
        sug.warnings
    );
}

#[test]
fn every_reason_quotes_the_error_its_band_acts_on() {
    // On a shaped pink noise and on a chord texture: the number in each tonal reason is the
    // fitted local error (measurement `<key>_local_error_db`), within 0.05 dB (rounding).
    let shaped = process(&shaping(), &pink_noise((SR * 12.0) as usize, 0.1, 6));
    let chords = chords_with(|_| {});
    for x in [&shaped, &chords] {
        let a = EqAnalysis::analyze(&[x], SR).unwrap();
        for t in [Target::flat(), Target::builtin("balanced").unwrap()] {
            let sug = suggest_eq(
                &a,
                &t,
                &EqAssistantOptions::default(),
                &EqSettings::default(),
            );
            let mut checked = 0;
            for i in sug.items.iter().filter(|i| i.key.starts_with("band")) {
                let quoted: f64 = i
                    .reason
                    .split(" dB")
                    .next()
                    .and_then(|h| h.rsplit(' ').next())
                    .and_then(|n| n.parse().ok())
                    .expect("a number in the reason");
                let local = sug.measurements[&format!("{}_local_error_db", i.key)];
                assert!(
                    (quoted - local.abs()).abs() <= 0.051,
                    "{} {quoted} {local}",
                    i.reason
                );
                checked += 1;
            }
            assert!(checked > 0 || sug.items.is_empty());
        }
    }
}

/// With every band already in use (and with one or none free) the assistant never runs out of
/// slots: no panic (overflow checks are on in tests), and it proposes no more bands than are
/// free, whatever the material (rumble, a shaped tilt, a held tone, silence, a few frames).
#[test]
fn all_bands_in_use_never_overflows_the_band_budget() {
    let mut rumble = pink_noise((SR * 12.0) as usize, 0.1, 7);
    for (i, x) in rumble.iter_mut().enumerate() {
        *x += 0.3 * (std::f32::consts::TAU * 20.0 * i as f32 / SR).sin();
    }
    let shaped = process(&shaping(), &pink_noise((SR * 12.0) as usize, 0.1, 8));
    let tone: Vec<f32> = (0..(SR * 12.0) as usize)
        .map(|i| 0.3 * (std::f32::consts::TAU * 1000.0 * i as f32 / SR).sin())
        .collect();
    let silence = vec![0.0f32; (SR * 3.0) as usize];
    let short = pink_noise(100, 0.1, 9);
    for x in [&rumble, &shaped, &tone, &silence, &short] {
        let analysis = EqAnalysis::analyze(&[x], SR).unwrap();
        for used in [NUM_BANDS, NUM_BANDS - 1, 0] {
            let mut current = EqSettings::default();
            for b in current.bands.iter_mut().take(used) {
                b.enabled = true;
            }
            let s = suggest_eq(
                &analysis,
                &crate::assistant::targets::TargetId::Balanced.target(),
                &EqAssistantOptions::default(),
                &current,
            );
            s.validate().unwrap();
            let bands = s.items.iter().filter(|i| !i.values.is_empty()).count();
            assert!(bands <= NUM_BANDS - used, "{used} in use: {bands} proposed");
        }
    }
}

/// A plugin's analysis thread that is stopping (its cancel flag raised) does not wait out the
/// tonal fit: the suggestion comes back without it (and is discarded there); with the flag down
/// the same analysis gets its tonal moves.
#[test]
fn the_tonal_fit_stops_when_the_thread_is_cancelled() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let pink = pink_noise(SR as usize * 4, 0.2, 5);
    let shaped = process(&shaping(), &pink);
    let analysis = EqAnalysis::analyze(&[&shaped], SR).unwrap();
    let flat = Target::flat();
    let opts = EqAssistantOptions::default();
    let full = suggest_eq(&analysis, &flat, &opts, &EqSettings::default());
    assert!(!full.items.is_empty());
    let scope = crate::assistant::cancel::Scope::new(Arc::new(AtomicBool::new(true)));
    let stopped = suggest_eq(&analysis, &flat, &opts, &EqSettings::default());
    drop(scope);
    assert!(
        stopped.items.len() < full.items.len(),
        "{} items cancelled, {} not",
        stopped.items.len(),
        full.items.len()
    );
    let again = suggest_eq(&analysis, &flat, &opts, &EqSettings::default());
    assert_eq!(again.items.len(), full.items.len());
}
