use super::style::parsed;
use super::*;
use crate::assistant::Suggestion;
use crate::chains::comp::{CompChain, CompSettings};
use crate::chains::Chain;
use crate::testsignals::{drum_loop, pink_noise, Noise};

const SR: f32 = 48_000.0;

/// Decaying noise bursts at 120 BPM over a sustained tone.
fn drums(seconds: f32) -> Vec<f32> {
    drum_loop((seconds * SR) as usize, SR as f64, 120.0, 3)
}

/// A harmonic tone whose level moves slowly by ±6 dB (0.2 Hz).
fn slow_tone(seconds: f32) -> Vec<f32> {
    let n = (seconds * SR) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / SR as f64;
            let g = 10f64.powf(6.0 * (std::f64::consts::TAU * 0.2 * t).sin() / 20.0);
            let w = std::f64::consts::TAU * 220.0 * t;
            (0.15 * g * (w.sin() + 0.5 * (2.0 * w).sin() + 0.25 * (3.0 * w).sin())) as f32
        })
        .collect()
}

/// Speech-like material: pink noise amplitude-modulated by ~4 Hz syllables, phrases of 2.5 s
/// at random levels (±6 dB) separated by 0.5 s pauses.
fn speech_like(seconds: f32) -> Vec<f32> {
    let n = (seconds * SR) as usize;
    let noise = pink_noise(n, 0.15, 9);
    let mut rng = Noise::new(21);
    let mut phrase_gain = 1.0f64;
    let mut last_phrase = usize::MAX;
    (0..n)
        .map(|i| {
            let t = i as f64 / SR as f64;
            let phrase = (t / 3.0) as usize;
            if phrase != last_phrase {
                last_phrase = phrase;
                phrase_gain = 10f64.powf(6.0 * rng.uniform() as f64 / 20.0);
            }
            let in_phrase = t % 3.0 < 2.5;
            let syl = (std::f64::consts::TAU * 4.0 * t + 0.7 * (t * 1.3).sin())
                .sin()
                .max(0.0);
            let env = if in_phrase { syl * syl } else { 0.0 };
            (noise[i] as f64 * env * phrase_gain * 2.0) as f32
        })
        .collect()
}

fn lufs(x: &[&[f32]]) -> f64 {
    crate::loudness::measure(x, SR)
        .unwrap()
        .integrated_lufs
        .unwrap()
}

/// Analyses `x`, suggests `style` with the style's own target asked for explicitly (so the
/// material rule does not scale it: these synthetic signals test the solver, not the rule),
/// accepts the suggestion onto default settings, runs the chain and checks the target average
/// gain reduction (±1 dB), the loudness (±1 LU) and the practitioner ranges of attack/release.
fn check_style(style: CompStyle, x: &[f32]) -> Suggestion {
    let a = CompAnalysis::analyze(&[x], SR).unwrap();
    let sug = suggest_comp(
        &a,
        style,
        &CompAssistantOptions {
            target_avg_gr_db: Some(style.params().target_avg_gr_db),
            ..CompAssistantOptions::default()
        },
        &CompSettings::default(),
    );
    sug.validate().unwrap();
    assert_eq!(sug.assistant, "comp");
    assert_eq!(sug.target, style.name());
    let keys: Vec<&str> = sug.items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["threshold", "timing", "makeup"]);
    let mut s = CompSettings::default();
    for (id, v) in &sug.values {
        assert!(CompChain::set_param(&mut s, id, *v), "unknown id {id}");
    }
    let p = style.params();
    assert_eq!(s.ratio, p.ratio);
    assert!(
        s.attack_ms >= p.attack_ms[0] && s.attack_ms <= p.attack_ms[1],
        "{style:?} attack {} outside {:?}",
        s.attack_ms,
        p.attack_ms
    );
    assert!(
        s.release_ms >= p.release_ms[0] && s.release_ms <= p.release_ms[1],
        "{style:?} release {} outside {:?}",
        s.release_ms,
        p.release_ms
    );
    let rep = average_gain_reduction(&s, &[x], SR, true).unwrap();
    assert!(
        (rep.average_db - p.target_avg_gr_db).abs() <= 1.0,
        "{style:?}: average GR {:.2} dB vs target {} (threshold {:.2})",
        rep.average_db,
        p.target_avg_gr_db,
        s.threshold_db
    );
    assert!(rep.loud_frames > 100);
    let out: Vec<&[f32]> = rep.output.iter().map(|c| c.as_slice()).collect();
    let (li, lo) = (lufs(&[x]), lufs(&out));
    assert!(
        (li - lo).abs() <= 1.0,
        "{style:?}: loudness in {li:.2} LUFS, out {lo:.2} LUFS (makeup {})",
        s.makeup_db
    );
    assert!(sug.confidence > 0.1, "{}", sug.confidence);
    for i in &sug.items {
        eprintln!(
            "{style:?} {}: {} — {} ({:.2})",
            i.key, i.title, i.reason, i.confidence
        );
    }
    eprintln!("GR {:.2} dB, loudness {li:.2} → {lo:.2}", rep.average_db);
    for i in &sug.items {
        assert!(!i.reason.is_empty() && i.reason.chars().any(|c| c.is_ascii_digit()));
    }
    sug
}

#[test]
fn style_data_parses_with_sources_and_ranges() {
    assert!(styles_version() >= 1);
    let file: serde_json::Value = serde_json::from_str(STYLES_JSON).unwrap();
    let refs = file["references"].as_object().unwrap();
    assert_eq!(parsed().1.len(), CompStyle::ALL.len());
    for (i, style) in CompStyle::ALL.into_iter().enumerate() {
        assert_eq!(style.index(), i);
        assert_eq!(CompStyle::from_value(i as f32), style);
        assert_eq!(CompStyle::from_key(style.key()), Some(style));
        let p = style.params();
        assert_eq!(p.key, style.key());
        assert_eq!(p.name, style.name());
        assert!(p.version >= 1);
        assert!(
            refs.keys().any(|k| p.source.contains(k.as_str())),
            "{} cites no reference",
            p.key
        );
        assert!(p.attack_ms[0] < p.attack_ms[1] && p.release_ms[0] < p.release_ms[1]);
        assert!(p.attack_ms[0] >= crate::chains::comp::MIN_ATTACK_MS);
        assert!(p.release_ms[0] >= crate::chains::comp::MIN_RELEASE_MS);
        assert!((p.attack_ms[0]..=p.attack_ms[1]).contains(&p.default_attack_ms));
        assert!((p.release_ms[0]..=p.release_ms[1]).contains(&p.default_release_ms));
        assert!(p.target_avg_gr_db > 0.0 && p.ratio > 1.0);
        match p.transients {
            TransientHandling::LetThrough => assert!(p.attack_rise_factor > 1.0),
            TransientHandling::Catch => assert!(p.attack_rise_factor <= 1.0),
        }
    }
    assert_eq!(CompStyle::from_key("VOCAL"), Some(CompStyle::Vocal));
    assert_eq!(CompStyle::from_key("nope"), None);
    assert_eq!(CompStyle::from_value(f32::NAN), CompStyle::Gentle);
}

#[test]
fn drum_loop_features() {
    let x = drums(12.0);
    let a = CompAnalysis::analyze(&[&x], SR).unwrap();
    let tempo = a.tempo_bpm.unwrap();
    assert!((tempo - 120.0).abs() < 3.0, "tempo {tempo}");
    let rise = a.rise_time_ms.unwrap();
    assert!(rise < 10.0, "rise {rise}");
    assert!(a.onset_count >= 20, "{}", a.onset_count);
    let crest = a.crest_200ms.p50.unwrap();
    assert!(crest > 8.0, "crest {crest}");
    assert!(a.plr_db.unwrap() > 8.0);
    assert!(a.heard_seconds > 11.0);
    let (p10, p90) = (a.rms_10ms.p10.unwrap(), a.rms_10ms.p90.unwrap());
    assert!(p90 - p10 > 10.0, "10 ms spread {p10}..{p90}");
    // The steady tone has no onsets and a small crest factor.
    let t = slow_tone(10.0);
    let b = CompAnalysis::analyze(&[&t], SR).unwrap();
    assert!(b.onset_count <= 2, "{}", b.onset_count);
    assert!(b.crest_200ms.p50.unwrap() < 6.0);
    let spread = b.rms_400ms.p95.unwrap() - b.rms_400ms.p10.unwrap();
    assert!((9.0..13.0).contains(&spread), "{spread}");
}

#[test]
fn glue_on_drum_loop_meets_target_and_loudness() {
    let x = drums(15.0);
    let sug = check_style(CompStyle::Glue, &x);
    assert!(
        sug.items[1].reason.contains("lets them through"),
        "{}",
        sug.items[1].reason
    );
}

#[test]
fn gentle_on_slowly_moving_tone_meets_target_and_loudness() {
    check_style(CompStyle::Gentle, &slow_tone(15.0));
}

#[test]
fn vocal_leveler_on_speech_like_noise_meets_target_and_loudness() {
    check_style(CompStyle::Vocal, &speech_like(15.0));
}

#[test]
fn every_style_keeps_its_practitioner_ranges_on_drums() {
    let x = drums(6.0);
    let a = CompAnalysis::analyze(&[&x], SR).unwrap();
    let opts = CompAssistantOptions::default();
    assert_eq!(
        material_rule().density_factor(a.plr_db),
        1.0,
        "{:?}",
        a.plr_db
    );
    for style in [CompStyle::Punch, CompStyle::Transient] {
        let sug = suggest_comp(&a, style, &opts, &CompSettings::default());
        sug.validate().unwrap();
        let s = CompChain::from_param_map(&sug.values);
        let p = style.params();
        assert!(
            (p.attack_ms[0]..=p.attack_ms[1]).contains(&s.attack_ms),
            "{style:?}"
        );
        assert!(
            (p.release_ms[0]..=p.release_ms[1]).contains(&s.release_ms),
            "{style:?}"
        );
        let g = sug.measurements["predicted_avg_gr_db"] as f32;
        assert!((g - p.target_avg_gr_db).abs() < 0.5, "{style:?}: {g}");
    }
    // A catching style gets a shorter attack than a letting-through one.
    let t = CompChain::from_param_map(
        &suggest_comp(&a, CompStyle::Transient, &opts, &CompSettings::default()).values,
    );
    let p = CompChain::from_param_map(
        &suggest_comp(&a, CompStyle::Punch, &opts, &CompSettings::default()).values,
    );
    assert!(t.attack_ms < p.attack_ms);
}

#[test]
fn streaming_equals_one_shot_and_stability() {
    let x = slow_tone(12.0);
    let one = CompAnalysis::analyze(&[&x, &x], SR).unwrap();
    let mut a = CompAnalysis::new(CompAnalysisConfig::new(SR, 2)).unwrap();
    for c in x.chunks(777) {
        a.process(&[c, c]);
    }
    let r = a.result();
    assert_eq!(r.rms_10ms, one.rms_10ms);
    assert_eq!(r.rms_400ms, one.rms_400ms);
    assert_eq!(r.crest_200ms, one.crest_200ms);
    assert_eq!(r.integrated_lufs, one.integrated_lufs);
    // The one-shot analysis reads its 12 s in steps of PROCESS_STEP_FRAMES: the same excerpt.
    assert!(x.len() > 4 * crate::assistant::PROCESS_STEP_FRAMES);
    assert_eq!(r.audio, one.audio);
    assert_eq!(r.audio.len(), 2);
    assert_eq!(r.audio[0].len(), x.len());
    assert!(r.windows >= 2);
    // A 4 s excerpt of 12 s: bounded (two 2 s chunks, their crossfade tail and at most one
    // more chunk being collected), and not stable before MIN_STABLE_SECONDS were heard.
    let mut cfg = CompAnalysisConfig::new(SR, 1);
    cfg.keep_seconds = 4.0;
    let mut a = CompAnalysis::new(cfg).unwrap();
    for c in x.chunks(1000) {
        a.process(&[c]);
    }
    let r = a.result();
    assert!(r.audio[0].len() <= 6 * 48_000, "{}", r.audio[0].len());
    assert!(r.audio[0].len() >= 4 * 48_000, "{}", r.audio[0].len());
    assert!(!r.stable, "12 s heard");
    assert_eq!(a.heard_seconds(), r.heard_seconds);
    assert!(!a.is_stable());
    // The cheap accessors the analysis thread polls say what a full result says, at every
    // step until the steady loop is stable.
    let mut became_stable = false;
    for _ in 0..3 {
        for c in x.chunks(1000) {
            a.process(&[c]);
            assert!(
                !became_stable || a.is_stable(),
                "a steady loop lost stability"
            );
        }
        let r = a.result();
        assert_eq!(a.heard_seconds(), r.heard_seconds);
        assert_eq!(a.is_stable(), r.stable, "{} s heard", r.heard_seconds);
        became_stable = r.stable;
    }
    assert!(became_stable, "48 s of a steady loop");
    assert!(CompAnalysis::new(CompAnalysisConfig::new(SR, 0)).is_err());
    assert!(CompAnalysis::new(CompAnalysisConfig::new(1.0, 1)).is_err());
}

#[test]
fn nothing_heard_gives_empty_suggestion_with_warning() {
    let silence = vec![0.0f32; 48_000];
    let a = CompAnalysis::analyze(&[&silence], SR).unwrap();
    let s = suggest_comp(
        &a,
        CompStyle::Glue,
        &Default::default(),
        &CompSettings::default(),
    );
    assert!(s.values.is_empty() && s.items.is_empty());
    assert_eq!(s.warnings.len(), 1);
    s.validate().unwrap();
    let s = suggest_comp(
        &CompAnalysisResult::default(),
        CompStyle::Vocal,
        &Default::default(),
        &CompSettings::default(),
    );
    assert!(s.items.is_empty() && !s.warnings.is_empty());
    // Garbage in: NaN audio is silence, never a panic.
    let nan = vec![f32::NAN; 10_000];
    let a = CompAnalysis::analyze(&[&nan], SR).unwrap();
    assert_eq!(a.heard_seconds, 0.0);
}

#[test]
fn deserialised_analysis_suggests_from_statistics() {
    let x = drums(5.0);
    let a = CompAnalysis::analyze(&[&x], SR).unwrap();
    let json = serde_json::to_string(&a).unwrap();
    let b: CompAnalysisResult = serde_json::from_str(&json).unwrap();
    assert!(b.audio.is_empty());
    assert_eq!(b.rms_50ms, a.rms_50ms);
    let s = suggest_comp(
        &b,
        CompStyle::Glue,
        &Default::default(),
        &CompSettings::default(),
    );
    s.validate().unwrap();
    assert_eq!(s.items.len(), 3);
    assert!(s.warnings.iter().any(|w| w.contains("not simulated")));
}

#[test]
fn simulation_output_is_latency_compensated() {
    let x = pink_noise(30_000, 0.2, 4);
    let s = CompSettings {
        ratio: 1.0,
        threshold_db: 0.0,
        ..CompSettings::default()
    };
    let rep = average_gain_reduction(&s, &[&x, &x], SR, true).unwrap();
    assert_eq!(rep.output.len(), 2);
    assert_eq!(rep.output[0], x);
    assert_eq!(rep.average_db, 0.0);
    assert!(rep.loud_frames > 50);
    // With compression, the reported frames agree with the chain's own meter.
    let s = CompSettings {
        threshold_db: -40.0,
        ..CompSettings::default()
    };
    let rep = average_gain_reduction(&s, &[&x], SR, false).unwrap();
    assert!(rep.output.is_empty());
    assert!(rep.average_db > 5.0 && rep.max_db >= rep.average_db);
    // The output's loudness measured while rendering is the kept output's, bit for bit, with
    // a lookahead latency too.
    let y = drums(3.0);
    for lookahead_ms in [0.0, 5.0] {
        let s = CompSettings {
            threshold_db: -30.0,
            lookahead_ms,
            ..CompSettings::default()
        };
        let kept = average_gain_reduction(&s, &[&y, &x], SR, true).unwrap();
        let outs: Vec<&[f32]> = kept.output.iter().map(|c| c.as_slice()).collect();
        let (rep, lufs) = average_gain_reduction_and_loudness(&s, &[&y, &x], SR).unwrap();
        assert_eq!(lufs, integrated_lufs(&outs, SR));
        assert!(lufs.is_some());
        assert_eq!(rep.average_db, kept.average_db);
        assert_eq!(rep.max_db, kept.max_db);
    }
}

/// `x` through a hard limiter: `drive` dB of gain, then clipped at ±0.5 (dense material).
fn squashed(x: &[f32], drive: f32) -> Vec<f32> {
    let g = 10f32.powf(drive / 20.0);
    x.iter().map(|v| (v * g).clamp(-0.5, 0.5)).collect()
}

/// Dense material (a low peak-to-loudness ratio) gets less gain reduction, scaled by the rule of
/// the style data, and below half a dB the assistant declines with an item that changes nothing
/// and says why; an explicit target is the engineer's and is kept.
#[test]
fn dense_material_gets_less_or_is_declined() {
    let x = drums(12.0);
    let rule = material_rule();
    let opts = CompAssistantOptions::default();
    let glue = CompStyle::Glue.params().target_avg_gr_db;
    let mut seen_scaled = false;
    let mut seen_declined = false;
    for drive in [0.0, 6.0, 12.0, 24.0] {
        let y = squashed(&x, drive);
        let a = CompAnalysis::analyze(&[&y], SR).unwrap();
        let f = rule.density_factor(a.plr_db);
        let s = suggest_comp(&a, CompStyle::Glue, &opts, &CompSettings::default());
        s.validate().unwrap();
        let target = s.measurements["target_avg_gr_db"] as f32;
        assert!((target - glue * f).abs() < 1e-4, "{drive}: {target} vs {f}");
        if glue * f < rule.decline_below_db {
            seen_declined = true;
            assert_eq!(s.items.len(), 1);
            let it = &s.items[0];
            assert_eq!(it.key, "declined");
            assert!(it.values.is_empty() && s.values.is_empty());
            assert!(
                it.reason.contains("Peak-to-loudness ratio"),
                "{}",
                it.reason
            );
            assert!(it.confidence > 0.0);
        } else if f < 1.0 {
            seen_scaled = true;
            let th = &s.items[0];
            assert!(th.reason.contains("already dense"), "{}", th.reason);
            let g = s.measurements["predicted_avg_gr_db"] as f32;
            assert!((g - glue * f).abs() < 0.5, "{drive}: {g}");
        }
        // The engineer's explicit target is not scaled.
        let own = CompAssistantOptions {
            target_avg_gr_db: Some(3.0),
            ..opts
        };
        let s = suggest_comp(&a, CompStyle::Glue, &own, &CompSettings::default());
        assert_eq!(s.measurements["target_avg_gr_db"], 3.0);
        assert!(s.items.iter().any(|i| i.key == "threshold"));
    }
    assert!(seen_scaled && seen_declined);
}

/// Very dynamic material (loudness range at or above the rule's) gets a gentler ratio, and the
/// reason says so.
#[test]
fn very_dynamic_material_gets_a_gentler_ratio() {
    // Drums alternating 10 s at full level and 10 s 20 dB down: a wide loudness range.
    let x = drums(40.0);
    let n = (10.0 * SR) as usize;
    let y: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, v)| if (i / n) % 2 == 1 { v * 0.1 } else { *v })
        .collect();
    let a = CompAnalysis::analyze(&[&y], SR).unwrap();
    let rule = material_rule();
    assert!(
        a.loudness_range_lu >= rule.dynamic_lra_lu,
        "{}",
        a.loudness_range_lu
    );
    let s = suggest_comp(
        &a,
        CompStyle::Glue,
        &CompAssistantOptions::default(),
        &CompSettings::default(),
    );
    let c = CompChain::from_param_map(&s.values);
    assert_eq!(c.ratio, rule.dynamic_max_ratio);
    assert!(
        s.items[0].reason.contains("very dynamic"),
        "{}",
        s.items[0].reason
    );
    // The drums alone: the style's ratio.
    let a = CompAnalysis::analyze(&[&x], SR).unwrap();
    let s = suggest_comp(
        &a,
        CompStyle::Glue,
        &CompAssistantOptions::default(),
        &CompSettings::default(),
    );
    assert_eq!(
        CompChain::from_param_map(&s.values).ratio,
        CompStyle::Glue.params().ratio
    );
}

/// Transient control backs off on material with a low crest factor (no sub-millisecond attack
/// at 8:1 on a sustained tone); the reason names the crest factor. On drums it does not.
#[test]
fn transient_style_backs_off_on_low_crest_material() {
    let b = CompStyle::Transient.params().crest_backoff.unwrap();
    let opts = CompAssistantOptions {
        target_avg_gr_db: Some(2.0),
        ..CompAssistantOptions::default()
    };
    let t = slow_tone(15.0);
    let a = CompAnalysis::analyze(&[&t], SR).unwrap();
    assert!(a.crest_200ms.p50.unwrap() < b.below_db);
    let s = suggest_comp(&a, CompStyle::Transient, &opts, &CompSettings::default());
    let c = CompChain::from_param_map(&s.values);
    assert!(c.ratio <= b.max_ratio, "{}", c.ratio);
    assert!(c.attack_ms >= b.min_attack_ms, "{}", c.attack_ms);
    assert!(
        s.items[0].reason.contains("low crest factor"),
        "{}",
        s.items[0].reason
    );
    let x = drums(12.0);
    let a = CompAnalysis::analyze(&[&x], SR).unwrap();
    assert!(a.crest_200ms.p50.unwrap() >= b.below_db);
    let s = suggest_comp(&a, CompStyle::Transient, &opts, &CompSettings::default());
    let c = CompChain::from_param_map(&s.values);
    assert_eq!(c.ratio, CompStyle::Transient.params().ratio);
    assert!(c.attack_ms < 1.0);
}

/// A time constant held at the style's range says so, with the value the measurement gave.
#[test]
fn clamped_timing_says_so() {
    let x = drums(12.0);
    let a = CompAnalysis::analyze(&[&x], SR).unwrap();
    let p = CompStyle::Glue.params();
    let raw = a.rise_time_ms.unwrap() * p.attack_rise_factor;
    assert!(
        raw < p.attack_ms[0],
        "the drums' rise must be clamped here: {raw}"
    );
    let s = suggest_comp(
        &a,
        CompStyle::Glue,
        &CompAssistantOptions::default(),
        &CompSettings::default(),
    );
    let timing = s.items.iter().find(|i| i.key == "timing").unwrap();
    assert!(timing.reason.contains("held within"), "{}", timing.reason);
}
