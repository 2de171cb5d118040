use super::*;
use crate::assistant::targets::Target;
use crate::assistant::Suggestion;
use crate::chains::master::{MasterChain, MasterSettings};
use crate::chains::Chain;
use crate::loudness::measure;
use crate::testsignals::{demo_mix, pink_noise};

const SR: f32 = 48_000.0;

fn demo(seconds: f64) -> [Vec<f32>; 2] {
    demo_mix(seconds, SR as f64)
}

fn apply(s: &Suggestion) -> MasterSettings {
    MasterChain::from_param_map(&s.values)
}

fn render_and_measure(settings: &MasterSettings, audio: &[Vec<f32>]) -> (f64, f64) {
    let refs: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
    let out = MasterChain::render(settings, &refs, SR).unwrap();
    let refs: Vec<&[f32]> = out.iter().map(|c| c.as_slice()).collect();
    let st = measure(&refs, SR).unwrap();
    (st.integrated_lufs.unwrap(), st.true_peak_dbtp.unwrap())
}

/// Adding a platform is a data row plus a variant: each row of the data file is the variant at
/// its index (the variant's name is its key without underscores), `Custom` comes last, and a
/// row without a variant or a variant without a row fails here.
#[test]
fn each_platform_variant_is_the_data_row_at_its_index() {
    let rows = loudness_targets();
    let named = &Platform::ALL[..Platform::ALL.len() - 1];
    assert_eq!(Platform::ALL.last(), Some(&Platform::Custom));
    assert_eq!(
        rows.len(),
        named.len(),
        "one row of loudness_targets.json per Platform variant before Custom"
    );
    for (p, row) in named.iter().zip(rows) {
        assert_eq!(
            format!("{p:?}").to_lowercase(),
            row.key.replace('_', ""),
            "row {} is not Platform::{p:?}",
            row.key
        );
        assert_eq!((p.key(), p.name()), (row.key.as_str(), row.name.as_str()));
        assert_eq!(Platform::from_value(p.index() as f32), *p);
    }
    let last = (Platform::ALL.len() - 1) as f32;
    assert_eq!(Platform::from_value(last + 5.0), Platform::Custom);
    assert_eq!(Platform::Custom.name(), "Custom");
}

#[test]
fn platform_targets_are_sourced_and_ordered() {
    let want = [
        ("spotify", -14.0, -1.0),
        ("apple", -16.0, -1.0),
        ("youtube", -14.0, -1.0),
        ("tidal", -14.0, -1.0),
        ("amazon", -14.0, -2.0),
        ("deezer", -15.0, -1.0),
        ("ebu_r128", -23.0, -1.0),
    ];
    assert_eq!(loudness_targets_version(), 1);
    // Today's platforms keep their index, key and numbers (saved projects and scripts name
    // them); a new platform goes after them.
    for (i, (key, lufs, ceil)) in want.iter().enumerate() {
        let p = Platform::ALL[i];
        assert_eq!(p.key(), *key);
        assert_eq!(p.index(), i);
        assert_eq!(Platform::from_key(key), Some(p));
        assert_eq!(Platform::from_value(i as f32), p);
        let d = p.data().unwrap();
        assert_eq!((d.lufs, d.ceiling_dbtp), (*lufs, *ceil));
        assert!(d.url.starts_with("https://"), "{key}");
        assert!(!d.source.is_empty() && !d.source_date.is_empty() && !d.as_of.is_empty());
        let t = p.target(0.0, 0.0);
        assert_eq!((t.lufs, t.ceiling_dbtp), (*lufs, *ceil));
    }
    assert_eq!(Platform::default(), Platform::Spotify);
    assert_eq!(Platform::Custom.key(), "custom");
    assert!(Platform::Custom.data().is_none());
    let c = Platform::Custom.target(-11.0, -0.5);
    assert_eq!(
        (c.lufs, c.ceiling_dbtp, c.name.as_str()),
        (-11.0, -0.5, "Custom")
    );
    assert_eq!(MasterTarget::default().name, "Spotify");
}

/// The bar: for every platform target, the suggestion applied onto default settings and
/// rendered through the chain lands within ±0.5 LU with the true peak under the ceiling
/// (measured independently by `loudness::measure`).
#[test]
fn every_platform_target_is_met_on_a_dynamic_mix() {
    let [l, r] = demo(16.0);
    let analysis = MasterAnalysis::analyze(&[&l, &r], SR).unwrap();
    let i = analysis.integrated_lufs.unwrap();
    assert!((-27.0..-20.0).contains(&i), "demo mix at {i}");
    let audio = vec![l, r];
    let mut targets: Vec<MasterTarget> = Platform::ALL[..7]
        .iter()
        .map(|p| p.target(0.0, 0.0))
        .collect();
    targets.push(Platform::Custom.target(-10.0, -0.3));
    for t in targets {
        let s = suggest_master(
            &analysis,
            &t,
            &MasterAssistantOptions::default(),
            &MasterSettings::default(),
        );
        s.validate().unwrap();
        assert_eq!(s.assistant, "master");
        let settings = apply(&s);
        assert!(settings.lim_ceiling_dbtp <= t.ceiling_dbtp);
        assert!(settings.lim_ceiling_dbtp >= t.ceiling_dbtp - 0.5);
        let (lufs, tp) = render_and_measure(&settings, &audio);
        assert!(
            (lufs - t.lufs as f64).abs() <= 0.5,
            "{}: {lufs:.2} LUFS for {} (predicted {:?})",
            t.name,
            t.lufs,
            s.measurements.get("predicted_lufs")
        );
        assert!(
            tp <= t.ceiling_dbtp as f64 + 1e-3,
            "{}: true peak {tp:.3} over {}",
            t.name,
            t.ceiling_dbtp
        );
        let pred = s.measurements["predicted_lufs"];
        assert!(
            (pred - t.lufs as f64).abs() <= LOUDNESS_TOLERANCE_LU,
            "{pred}"
        );
        assert!(s.items.iter().any(|it| it.key == "limiter"));
        for key in [
            "integrated_lufs",
            "limiting_db",
            "target_lufs",
            "lim_drive_db",
        ] {
            assert!(s.measurements.contains_key(key), "{key}");
        }
        // Loud targets on a −24 LUFS mix need more than 6 dB of limiting → warning with a
        // sensible alternative; the broadcast target does not.
        let lim = s.measurements["limiting_db"];
        let warned = s
            .warnings
            .iter()
            .any(|w| w.contains("keeps the transients"));
        assert_eq!(warned, lim > 6.0, "{}: {lim} {:?}", t.name, s.warnings);
        if warned {
            let sensible = s.measurements["sensible_target_lufs"];
            assert!(sensible < t.lufs as f64, "{sensible}");
        }
        if t.lufs <= -23.0 {
            assert!(lim < 6.0);
            assert!(s.items.iter().all(|it| it.key != "glue"));
        }
    }
}

#[test]
fn silence_gives_an_empty_suggestion_with_a_warning() {
    let z = vec![0.0f32; 48_000];
    let a = MasterAnalysis::analyze(&[&z, &z], SR).unwrap();
    let s = suggest_master(
        &a,
        &MasterTarget::default(),
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    assert!(s.items.is_empty() && s.values.is_empty());
    assert_eq!(s.warnings.len(), 1);
    s.validate().unwrap();
    // A deserialised result (no excerpt) and garbage targets never panic either.
    let [l, r] = demo(4.0);
    let a = MasterAnalysis::analyze(&[&l, &r], SR).unwrap();
    let json = serde_json::to_string(&a).unwrap();
    let b: MasterAnalysisResult = serde_json::from_str(&json).unwrap();
    assert!(b.audio.is_empty());
    let s = suggest_master(
        &b,
        &MasterTarget::default(),
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    assert!(s.items.is_empty() && !s.warnings.is_empty());
    let s = suggest_master(
        &a,
        &MasterTarget::custom(f32::NAN, 5.0),
        &MasterAssistantOptions {
            max_tonal_db: f32::NAN,
            max_glue_gr_db: -1.0,
            max_limiting_db: f32::INFINITY,
            ..Default::default()
        },
        &MasterSettings::default(),
    );
    s.validate().unwrap();
    let c = apply(&s).lim_ceiling_dbtp;
    assert!((-0.6..=-0.1).contains(&c), "{c}");
    assert!(MasterAnalysis::new(SR, 3).is_err());
}

#[test]
fn a_mix_louder_than_the_target_is_turned_down() {
    let [mut l, mut r] = demo(8.0);
    for x in l.iter_mut().chain(r.iter_mut()) {
        *x *= 2.5; // ≈ −16 LUFS, peaks well over 0 dBFS
    }
    let a = MasterAnalysis::analyze(&[&l, &r], SR).unwrap();
    let t = Platform::EbuR128.target(0.0, 0.0);
    let s = suggest_master(
        &a,
        &t,
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    let settings = apply(&s);
    assert!(settings.in_gain_db < -3.0, "{}", settings.in_gain_db);
    let (lufs, tp) = render_and_measure(&settings, &[l, r]);
    assert!((lufs + 23.0).abs() <= 0.5, "{lufs}");
    assert!(tp <= -1.0 + 1e-3);
}

#[test]
fn reference_mode_matches_the_reference_loudness() {
    let [l, r] = demo(10.0);
    // The reference: the same mix, brighter and mastered loud by the chain itself.
    let ref_settings = MasterSettings {
        hs_gain_db: 3.0,
        lim_drive_db: 12.0,
        ..Default::default()
    };
    let reference = MasterChain::render(&ref_settings, &[&l, &r], SR).unwrap();
    let ra = MasterAnalysis::analyze(&[&reference[0], &reference[1]], SR).unwrap();
    let reference = MasterReference::from_analysis("ref.wav", &ra).unwrap();
    let a = MasterAnalysis::analyze(&[&l, &r], SR).unwrap();
    let s = suggest_master(
        &a,
        &MasterTarget::default(),
        &MasterAssistantOptions {
            reference: Some(reference.clone()),
            ..Default::default()
        },
        &MasterSettings::default(),
    );
    assert_eq!(s.target, "Reference: ref.wav");
    let settings = apply(&s);
    // Brighter reference → the high end is lifted.
    assert!(settings.hs_gain_db > 0.9, "{:?}", settings);
    let (lufs, tp) = render_and_measure(&settings, &[l, r]);
    assert!((lufs - reference.integrated_lufs).abs() <= 0.5, "{lufs}");
    assert!(tp <= -1.0 + 1e-3);
}

/// Reference mode undoes a known tonal damage (boomy lows, a muddy 400 Hz, dull highs) when
/// the undamaged audio is the reference: the sections' frequencies and Q are searched, the moves
/// stay within ±`max_reference_tonal_db` and broad, and the summed response of the accepted
/// sections cancels most of the damage's response.
#[test]
fn reference_mode_undoes_a_known_tonal_damage() {
    let x = pink_noise(12 * 48_000, 0.05, 3);
    let y = pink_noise(12 * 48_000, 0.05, 4);
    let damage = MasterSettings {
        ls_gain_db: 5.0,
        ls_freq_hz: 100.0,
        bell1_gain_db: 4.0,
        bell1_freq_hz: 400.0,
        bell1_q: 1.0,
        hs_gain_db: -5.0,
        hs_freq_hz: 8000.0,
        ..Default::default()
    };
    let d = MasterChain::render(&damage, &[&x, &y], SR).unwrap();
    let ra = MasterAnalysis::analyze(&[&x, &y], SR).unwrap();
    let reference = MasterReference::from_analysis("clean", &ra).unwrap();
    let a = MasterAnalysis::analyze(&[&d[0], &d[1]], SR).unwrap();
    let opts = MasterAssistantOptions {
        reference: Some(reference),
        ..Default::default()
    };
    let s = suggest_master(
        &a,
        &MasterTarget::default(),
        &opts,
        &MasterSettings::default(),
    );
    let st = apply(&s);
    let max = opts.max_reference_tonal_db;
    for (g, q) in [
        (st.ls_gain_db, 0.7),
        (st.bell1_gain_db, st.bell1_q),
        (st.bell2_gain_db, st.bell2_q),
        (st.hs_gain_db, 0.7),
    ] {
        assert!(g.abs() <= max + 1e-3 && (0.5..=1.4).contains(&q), "{st:?}");
    }
    // Residual of damage + correction over 40 Hz–16 kHz (level removed), against the damage's.
    let eq = |m: &MasterSettings, f: f64| {
        let spec = |kind: u8, freq: f32, g: f32, q: f32| {
            match kind {
                0 => crate::filters::FilterSpec::low_shelf(freq as f64, g as f64, q as f64),
                3 => crate::filters::FilterSpec::high_shelf(freq as f64, g as f64, q as f64),
                _ => crate::filters::FilterSpec::bell(freq as f64, g as f64, q as f64),
            }
            .magnitude_db(f, SR as f64)
        };
        spec(0, m.ls_freq_hz, m.ls_gain_db, 0.7)
            + spec(1, m.bell1_freq_hz, m.bell1_gain_db, m.bell1_q)
            + spec(2, m.bell2_freq_hz, m.bell2_gain_db, m.bell2_q)
            + spec(3, m.hs_freq_hz, m.hs_gain_db, 0.7)
    };
    let rms = |v: Vec<f64>| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let freqs: Vec<f64> = (0..60)
        .map(|k| 40.0 * 400f64.powf(k as f64 / 59.0))
        .collect();
    let before = rms(freqs.iter().map(|&f| eq(&damage, f)).collect());
    let after = rms(freqs.iter().map(|&f| eq(&damage, f) + eq(&st, f)).collect());
    assert!(
        after < 0.35 * before,
        "{before:.2} -> {after:.2} dB: {st:?}"
    );
    // Generic mode (the Balanced prior) keeps its ±3 dB.
    let g = suggest_master(
        &a,
        &MasterTarget::default(),
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    let gs = apply(&g);
    for v in [
        gs.ls_gain_db,
        gs.bell1_gain_db,
        gs.bell2_gain_db,
        gs.hs_gain_db,
    ] {
        assert!(v.abs() <= 3.0 + 1e-3);
    }
}

#[test]
fn tonal_moves_are_broad_limited_and_not_invented() {
    // Pink noise against the Flat target: nothing to do.
    let x = pink_noise(10 * 48_000, 0.05, 1);
    let y = pink_noise(10 * 48_000, 0.05, 2);
    let a = MasterAnalysis::analyze(&[&x, &y], SR).unwrap();
    let opts = MasterAssistantOptions {
        tonal_target: Some(Target::flat()),
        ..Default::default()
    };
    let t = Platform::EbuR128.target(0.0, 0.0);
    let s = suggest_master(&a, &t, &opts, &MasterSettings::default());
    for key in ["ls", "bell1", "bell2", "hs"] {
        assert!(s.items.iter().all(|i| i.key != key), "{key}: {:?}", s.items);
    }
    // Pink noise with the top 6 dB down: a high-shelf lift, at most 3 dB.
    let dull = MasterSettings {
        hs_gain_db: -6.0,
        hs_freq_hz: 6000.0,
        ..Default::default()
    };
    let d = MasterChain::render(&dull, &[&x, &y], SR).unwrap();
    let a = MasterAnalysis::analyze(&[&d[0], &d[1]], SR).unwrap();
    let s = suggest_master(&a, &t, &opts, &MasterSettings::default());
    let st = apply(&s);
    assert!(st.hs_gain_db >= 2.0 && st.hs_gain_db <= 3.0, "{st:?}");
    for g in [st.ls_gain_db, st.bell1_gain_db, st.bell2_gain_db] {
        assert!(g.abs() <= 3.0);
    }
    // The reason quotes the error the shelf acts on, on the EQ assistant's scale: a deficit
    // (6 dB above ~10 kHz, less on the slope, minus the Flat corridor's quarter of ±1.5 dB).
    let it = s.items.iter().find(|i| i.key == "hs").unwrap();
    let (quoted, above) = quoted_error(&it.reason);
    assert!(!above && (3.0..=5.7).contains(&quoted), "{}", it.reason);
}

/// The error a generic-mode tonal reason quotes: (dB, true when above the corridor).
fn quoted_error(reason: &str) -> (f32, bool) {
    let rest = reason.split(" sits ").nth(1).expect(reason);
    let mut words = rest.split_whitespace();
    let value: f32 = words.next().and_then(|w| w.parse().ok()).expect(reason);
    assert_eq!(words.next(), Some("dB"), "{reason}");
    let dir = words.next().expect(reason);
    assert!(dir == "above" || dir == "below", "{reason}");
    (value, dir == "above")
}

/// Generic mode moves a section only where the music sits outside the target's corridor, by
/// at least `MIN_SECTION_ERROR_DB`, in the direction that brings it back (a cut where it sits
/// above), never more than the limit (on the demo mix).
#[test]
fn generic_tonal_moves_follow_the_error_they_quote() {
    let x = demo(30.0);
    let a = MasterAnalysis::analyze(&[&x[0], &x[1]], SR).unwrap();
    let t = Platform::Spotify.target(0.0, 0.0);
    let s = suggest_master(
        &a,
        &t,
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    let mut moved = 0;
    for it in s
        .items
        .iter()
        .filter(|i| ["ls", "bell1", "bell2", "hs"].contains(&i.key.as_str()))
    {
        let g = it.values[&format!("{}_gain", it.key)];
        let (quoted, above) = quoted_error(&it.reason);
        assert!(quoted >= tonal::MIN_SECTION_ERROR_DB, "{}", it.reason);
        assert_eq!(g < 0.0, above, "{}: {g}", it.reason);
        assert!(g.abs() <= 3.0, "{}", it.reason);
        moved += 1;
    }
    assert!(moved >= 1, "{:?}", s.items);
}

#[test]
fn wide_or_out_of_phase_low_end_gets_mono_below() {
    let n = 8 * 48_000;
    let bass = crate::testsignals::sine(n, 60.0, 0.3, SR as f64);
    let pad = pink_noise(n, 0.05, 3);
    let l: Vec<f32> = bass.iter().zip(&pad).map(|(b, p)| b + p).collect();
    let r: Vec<f32> = bass.iter().zip(&pad).map(|(b, p)| -0.6 * b + p).collect();
    let a = MasterAnalysis::analyze(&[&l, &r], SR).unwrap();
    assert!(a.low_side_to_mid_db.unwrap() > 0.0);
    let s = suggest_master(
        &a,
        &Platform::EbuR128.target(0.0, 0.0),
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    assert_eq!(s.values.get("mono_below"), Some(&SUGGESTED_MONO_BELOW_HZ));
    // A normal mix (mono bass) is left alone.
    let [l, r] = demo(6.0);
    let a = MasterAnalysis::analyze(&[&l, &r], SR).unwrap();
    assert!(a.correlation.unwrap() > 0.3);
    let s = suggest_master(
        &a,
        &Platform::EbuR128.target(0.0, 0.0),
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    assert!(!s.values.contains_key("mono_below") && !s.values.contains_key("width"));
    // Mono input works end to end.
    let a = MasterAnalysis::analyze(&[&l], SR).unwrap();
    assert!(a.correlation.is_none());
    let s = suggest_master(
        &a,
        &Platform::Apple.target(0.0, 0.0),
        &MasterAssistantOptions::default(),
        &MasterSettings::default(),
    );
    let (lufs, tp) = render_and_measure(&apply(&s), &[l]);
    assert!(
        (lufs + 16.0).abs() <= 0.5 && tp <= -1.0 + 1e-3,
        "{lufs} {tp}"
    );
}

#[test]
fn simulation_excerpt_is_bounded_and_spans_the_programme() {
    let sr = 8000.0;
    let mut a = MasterAnalysis::new(sr, 1).unwrap();
    // 100 s of a 1 kHz crescendo from −40 to 0 dBFS, fed in uneven chunks: the excerpt's
    // loudness spreads like the programme's, so it holds quiet early and loud late material.
    let total = 100 * 8000;
    let amp = |i: usize| 0.01 * 100f32.powf(i as f32 / total as f32);
    let x: Vec<f32> = (0..total)
        .map(|i| amp(i) * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr).sin())
        .collect();
    let mut pos = 0;
    let mut step = 777;
    while pos < total {
        let end = (pos + step).min(total);
        a.process(&[&x[pos..end]]);
        pos = end;
        step = if step == 777 { 12_345 } else { 777 };
    }
    let e = a.excerpt();
    let secs = e[0].len() as f32 / sr;
    assert!((20.0..=SIM_MAX_SECONDS + 1.0).contains(&secs), "{secs}");
    let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak(&e[0][..8000]) < 0.05, "starts quiet, early");
    assert!(peak(&e[0][e[0].len() - 8000..]) > 0.6, "ends loud, late");
    let r = a.result();
    assert!((r.duration_s - 100.0).abs() < 1e-6);
}

/// The demo mix with sharp, loud transients every half second: a high peak-to-loudness ratio.
fn peaky_mix(seconds: f64) -> [Vec<f32>; 2] {
    let [mut l, mut r] = demo(seconds);
    let period = (SR * 0.5) as usize;
    let len = (SR * 0.004) as usize;
    let mut noise = crate::testsignals::Noise::new(5);
    for start in (period / 3..l.len()).step_by(period) {
        for k in 0..len.min(l.len() - start) {
            let env = 0.9 * (-(k as f32) / (len as f32 / 4.0)).exp();
            let v = env * noise.uniform();
            l[start + k] += v;
            r[start + k] += v;
        }
    }
    [l, r]
}

#[test]
fn peaky_mix_gets_gentle_glue_and_a_limiting_warning() {
    let [l, r] = peaky_mix(12.0);
    let a = MasterAnalysis::analyze(&[&l, &r], SR).unwrap();
    assert!(a.plr_db.unwrap() > 18.0, "{:?}", a.plr_db);
    let audio = vec![l, r];
    for t in [
        Platform::Spotify.target(0.0, 0.0),
        Platform::Custom.target(-9.0, -0.5),
    ] {
        let s = suggest_master(
            &a,
            &t,
            &MasterAssistantOptions::default(),
            &MasterSettings::default(),
        );
        let glue = s.items.iter().find(|i| i.key == "glue").expect("glue item");
        assert_eq!(glue.values["glue_on"], 1.0);
        let gr = s.measurements["glue_gr_db"];
        assert!((0.3..=2.0).contains(&gr), "glue GR {gr}");
        let settings = apply(&s);
        assert!(settings.glue_on);
        let (lufs, tp) = render_and_measure(&settings, &audio);
        assert!((lufs - t.lufs as f64).abs() <= 0.5, "{}: {lufs}", t.name);
        assert!(tp <= t.ceiling_dbtp as f64 + 1e-3, "{}: {tp}", t.name);
        let lim = s.measurements["limiting_db"];
        assert!(lim > 6.0, "{}: {lim}", t.name);
        let w = s
            .warnings
            .iter()
            .find(|w| w.contains("keeps the transients"))
            .expect("limiting warning");
        let sensible = s.measurements["sensible_target_lufs"];
        assert!(sensible < t.lufs as f64 && sensible > -30.0, "{sensible}");
        assert!(w.contains("dB of limiting"), "{w}");
    }
}

#[test]
fn the_analysis_loudness_is_the_measurement_of_the_input() {
    // Stereo with a non-finite sample, and mono: bit for bit what `measure` reports.
    let [mut l, r] = demo(8.0);
    l[1000] = f32::NAN;
    for chans in [vec![l.as_slice(), r.as_slice()], vec![r.as_slice()]] {
        let mut a = MasterAnalysis::new(48_000.0, chans.len()).unwrap();
        a.process(&chans);
        let got = a.loudness_stats();
        let want = measure(&chans, 48_000.0).unwrap();
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
        assert_eq!(
            got.integrated_lufs.map(f64::to_bits),
            want.integrated_lufs.map(f64::to_bits)
        );
        assert_eq!(a.result().integrated_lufs, want.integrated_lufs);
    }
}

/// The cheap status the plugin polls is exactly what the full result reports, all along a
/// learning run (silence, music, past the minimum for "stable").
#[test]
fn status_matches_the_full_result() {
    let sr = 24_000.0;
    let [l, r] = crate::testsignals::demo_mix(40.0, sr as f64);
    let mut a = MasterAnalysis::new(sr, 2).unwrap();
    let silence = vec![0.0f32; 12_000];
    a.process(&[&silence, &silence]);
    let mut seen_stable = false;
    for (cl, cr) in l.chunks(12_000).zip(r.chunks(12_000)) {
        a.process(&[cl, cr]);
        let full = a.result();
        assert_eq!(a.status(), (full.heard_seconds, full.stable));
        seen_stable |= full.stable;
    }
    assert!(
        seen_stable,
        "the demo never became stable: the test saw one state only"
    );
}

/// A whole file fed at once (as the CLI does; read in steps inside) and the same audio fed in
/// odd host blocks give the same analysis, bit for bit, excerpt included.
#[test]
fn the_analysis_does_not_depend_on_how_the_audio_is_fed() {
    let sr = 24_000.0;
    let [l, r] = crate::testsignals::demo_mix(45.0, sr as f64);
    let mut whole = MasterAnalysis::new(sr, 2).unwrap();
    whole.process(&[&l, &r]);
    let mut blocks = MasterAnalysis::new(sr, 2).unwrap();
    for (cl, cr) in l.chunks(1_001).zip(r.chunks(1_001)) {
        blocks.process(&[cl, cr]);
    }
    let (a, b) = (whole.result(), blocks.result());
    assert!(l.len() > 4 * crate::assistant::PROCESS_STEP_FRAMES);
    assert_eq!(a.audio, b.audio);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}
