use super::*;
use crate::util::gain_to_db;
use std::f64::consts::TAU;

const SR: f32 = 48_000.0;

fn config(channels: usize) -> ProcessorConfig {
    ProcessorConfig::new(SR, 512, channels).unwrap()
}

fn sine(freq: f64, amp: f64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (amp * (TAU * freq * i as f64 / SR as f64).sin()) as f32)
        .collect()
}

fn rms_db(x: &[f32]) -> f32 {
    let ms: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64;
    (10.0 * ms.log10()) as f32
}

fn peak_db(x: &[f32]) -> f32 {
    gain_to_db(x.iter().fold(0.0f32, |a, &b| a.max(b.abs())))
}

fn run(c: &mut Compressor, chans: &mut [Vec<f32>]) {
    let mut refs: Vec<&mut [f32]> = chans.iter_mut().map(|v| v.as_mut_slice()).collect();
    // Uneven blocks to exercise streaming.
    let n = refs[0].len();
    let mut start = 0;
    let mut k = 0;
    while start < n {
        let len = [512usize, 100, 333][k % 3].min(n - start);
        let mut block: Vec<&mut [f32]> = refs
            .iter_mut()
            .map(|r| &mut r[start..start + len])
            .collect();
        c.process(&mut block);
        start += len;
        k += 1;
    }
}

#[test]
fn stationary_sine_follows_the_static_curve_rms() {
    // 1 kHz, −6 dBFS peak = −9.03 dB RMS; RMS window 10 ms = 10 whole periods, so the detected
    // level is constant and the output RMS must sit on T + (x − T)/R (+ makeup).
    for &(t, r, knee, makeup) in &[
        (-20.0f32, 4.0f32, 0.0f32, 0.0f32),
        (-30.0, 2.0, 6.0, 0.0),
        (-24.0, 8.0, 0.0, 6.0),
        (-20.0, f32::INFINITY, 0.0, 0.0),
    ] {
        let s = CompressorSettings {
            threshold_db: t,
            ratio: r,
            knee_db: knee,
            attack_ms: 5.0,
            release_ms: 50.0,
            detector: DetectorKind::Rms { window_ms: 10.0 },
            makeup_db: makeup,
            ..Default::default()
        };
        let mut c = Compressor::new(config(1), 0.0, s).unwrap();
        let mut x = vec![sine(1000.0, 0.5, 48_000)];
        let x_db = rms_db(&x[0][24_000..]);
        run(&mut c, &mut x);
        let y_db = rms_db(&x[0][36_000..]);
        let expect = t + (x_db - t) / r + makeup;
        assert!(
            (y_db - expect).abs() < 0.1,
            "T {t} R {r} W {knee}: out {y_db} dB, expected {expect}"
        );
        let gr = x_db - (expect - makeup);
        assert!((c.gain_reduction_db() - gr).abs() < 0.1, "meter");
    }
}

#[test]
fn stationary_sine_follows_the_static_curve_peak() {
    // Peak detector with a long release holds the sine's peak level.
    let (t, r) = (-20.0f32, 4.0f32);
    let s = CompressorSettings {
        threshold_db: t,
        ratio: r,
        knee_db: 0.0,
        attack_ms: 1.0,
        release_ms: 2000.0,
        detector: DetectorKind::Peak,
        ..Default::default()
    };
    let mut c = Compressor::new(config(1), 0.0, s).unwrap();
    let mut x = vec![sine(1000.0, 0.5, 96_000)];
    run(&mut c, &mut x);
    let y = peak_db(&x[0][72_000..]);
    let expect = t + (-6.0206 - t) / r;
    assert!((y - expect).abs() < 0.1, "{y} vs {expect}");
}

#[test]
fn impulse_latency_is_constant_and_reported() {
    for max_ms in [0.0f32, 5.0, 20.0] {
        for frac in [0.0f32, 0.5, 1.0] {
            let s = CompressorSettings {
                threshold_db: -10.0,
                lookahead_ms: max_ms * frac,
                mix_pct: 60.0,
                ..Default::default()
            };
            let mut c = Compressor::new(config(2), max_ms, s).unwrap();
            let lat = c.latency_samples();
            assert_eq!(lat, ms_to_samples(max_ms, SR));
            let mut x = vec![vec![0.0f32; 2000]; 2];
            x[0][10] = 0.1;
            x[1][10] = 0.1;
            run(&mut c, &mut x);
            let i = x[0]
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap()
                .0;
            assert_eq!(i, 10 + lat, "max {max_ms} ms, lookahead {}", frac * max_ms);
            assert!((x[0][i] - 0.1).abs() < 1e-6);
        }
    }
}

#[test]
fn lookahead_reduces_gain_before_the_transient() {
    let s = CompressorSettings {
        threshold_db: -30.0,
        ratio: 10.0,
        attack_ms: 0.5,
        lookahead_ms: 5.0,
        ..Default::default()
    };
    let mut c = Compressor::new(config(1), 5.0, s).unwrap();
    let lat = c.latency_samples();
    let mut x = vec![vec![0.001f32; 4000]];
    for v in &mut x[0][2000..] {
        *v = 0.9;
    }
    run(&mut c, &mut x);
    // The output of the loud part starts at 2000 + lat; by then the gain is already well down.
    let first_loud = x[0][2000 + lat].abs();
    assert!(first_loud < 0.5, "{first_loud}");
}

#[test]
fn sidechain_key_ducks_the_main_input() {
    let s = CompressorSettings {
        threshold_db: -30.0,
        ratio: 10.0,
        attack_ms: 1.0,
        release_ms: 50.0,
        ..Default::default()
    };
    let mut c = Compressor::new(config(2), 0.0, s).unwrap();
    let n = 24_000;
    let main = sine(440.0, 0.1, n); // −20 dBFS: would be compressed if it were the key
    let mut l = main.clone();
    let mut r = main.clone();
    let mut key = vec![0.0f32; n];
    for (i, k) in key.iter_mut().enumerate().skip(12_000) {
        *k = (0.9 * (TAU * 100.0 * i as f64 / SR as f64).sin()) as f32;
    }
    for start in (0..n).step_by(512) {
        let end = (start + 512).min(n);
        let kb = &key[start..end];
        c.process_with_sidechain(&mut [&mut l[start..end], &mut r[start..end]], &[kb]);
    }
    let before = rms_db(&l[6000..12_000]);
    let during = rms_db(&l[18_000..]);
    // A silent key leaves the main signal alone; the loud key pulls it down.
    assert!((before - rms_db(&main[6000..12_000])).abs() < 0.01);
    assert!(during < before - 15.0, "before {before} during {during}");
    assert!((rms_db(&r[18_000..]) - during).abs() < 0.01);
}

#[test]
fn stereo_link_spreads_gain_reduction() {
    let run_link = |link: f32| {
        let s = CompressorSettings {
            threshold_db: -20.0,
            ratio: 4.0,
            knee_db: 0.0,
            stereo_link_pct: link,
            detector: DetectorKind::Rms { window_ms: 10.0 },
            ..Default::default()
        };
        let mut c = Compressor::new(config(2), 0.0, s).unwrap();
        let mut x = vec![sine(1000.0, 0.5, 24_000), sine(1000.0, 0.01, 24_000)];
        run(&mut c, &mut x);
        rms_db(&x[1][18_000..]) - rms_db(&sine(1000.0, 0.01, 24_000)[18_000..])
    };
    let unlinked = run_link(0.0);
    let linked = run_link(100.0);
    let half = run_link(50.0);
    // Left: −9.03 dB RMS → 11 dB over → 8.27 dB GR.
    assert!(unlinked.abs() < 0.05, "{unlinked}");
    assert!((linked + 8.27).abs() < 0.15, "{linked}");
    assert!((half + 4.14).abs() < 0.15, "{half}");
}

#[test]
fn mid_side_compresses_side_only() {
    // Mid: quiet 500 Hz; side: loud 3 kHz. Only the side exceeds the threshold.
    let n = 24_000;
    let m = sine(500.0, 0.02, n);
    let sd = sine(3000.0, 0.5, n);
    let mut x = vec![
        m.iter().zip(&sd).map(|(a, b)| a + b).collect::<Vec<f32>>(),
        m.iter().zip(&sd).map(|(a, b)| a - b).collect::<Vec<f32>>(),
    ];
    let s = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        stereo_link_pct: 0.0,
        stereo_mode: StereoMode::MidSide,
        detector: DetectorKind::Rms { window_ms: 10.0 },
        ..Default::default()
    };
    let mut c = Compressor::new(config(2), 0.0, s).unwrap();
    run(&mut c, &mut x);
    let mid: Vec<f32> = x[0].iter().zip(&x[1]).map(|(a, b)| 0.5 * (a + b)).collect();
    let side: Vec<f32> = x[0].iter().zip(&x[1]).map(|(a, b)| 0.5 * (a - b)).collect();
    assert!((rms_db(&mid[18_000..]) - rms_db(&m[18_000..])).abs() < 0.05);
    assert!(rms_db(&side[18_000..]) < rms_db(&sd[18_000..]) - 5.0);
}

#[test]
fn sidechain_high_pass_ignores_bass() {
    let gr_for = |hpf: Option<f32>| {
        let s = CompressorSettings {
            threshold_db: -30.0,
            ratio: 4.0,
            sidechain_hpf_hz: hpf,
            ..Default::default()
        };
        let mut c = Compressor::new(config(1), 0.0, s).unwrap();
        let mut x = vec![sine(40.0, 0.5, 24_000)];
        run(&mut c, &mut x);
        c.gain_reduction_db()
    };
    let without = gr_for(None);
    let with = gr_for(Some(500.0));
    assert!(without > 10.0 && with < without - 10.0, "{without} {with}");
}

#[test]
fn auto_makeup_and_mix() {
    let s = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 0.0,
        auto_makeup: true,
        ..Default::default()
    };
    let c = Compressor::new(config(1), 0.0, s).unwrap();
    assert!((c.auto_makeup_db() - 15.0).abs() < 1e-4);
    // Mix 0 %: the output is the (delayed) input, bit for bit.
    let s = CompressorSettings {
        threshold_db: -40.0,
        ratio: 20.0,
        mix_pct: 0.0,
        lookahead_ms: 1.0,
        ..Default::default()
    };
    let mut c = Compressor::new(config(1), 2.0, s).unwrap();
    let lat = c.latency_samples();
    let x = sine(1000.0, 0.5, 4000);
    let mut y = vec![x.clone()];
    run(&mut c, &mut y);
    assert_eq!(&y[0][lat..], &x[..4000 - lat]);
}

#[test]
fn non_finite_input_gives_finite_output_and_recovers() {
    let mut c = Compressor::new(config(2), 5.0, CompressorSettings::default()).unwrap();
    let mut x = vec![sine(1000.0, 0.9, 4800), sine(1000.0, 0.9, 4800)];
    x[0][100] = f32::NAN;
    x[1][200] = f32::INFINITY;
    x[0][300] = f32::NEG_INFINITY;
    x[1][400] = f32::MAX;
    run(&mut c, &mut x);
    assert!(x.iter().flatten().all(|v| v.is_finite()));
    assert!(c.gain_reduction_db().is_finite());
    let mut sc = vec![f32::NAN; 64];
    let mut a = vec![0.5f32; 64];
    c.process_with_sidechain(&mut [&mut a[..]], &[&sc]);
    sc.fill(0.0);
    assert!(a.iter().all(|v| v.is_finite()));
}

#[test]
fn invalid_settings_are_rejected_and_runtime_values_clamped() {
    let bad = [
        CompressorSettings {
            ratio: 0.5,
            ..Default::default()
        },
        CompressorSettings {
            threshold_db: f32::NAN,
            ..Default::default()
        },
        CompressorSettings {
            lookahead_ms: 10.0,
            ..Default::default()
        },
        CompressorSettings {
            sidechain_hpf_hz: Some(5.0),
            ..Default::default()
        },
    ];
    for s in bad {
        assert!(Compressor::new(config(2), 5.0, s).is_err(), "{s:?}");
    }
    assert!(Compressor::new(config(2), 50.0, CompressorSettings::default()).is_err());
    let mut c = Compressor::new(config(2), 5.0, CompressorSettings::default()).unwrap();
    c.set_settings(CompressorSettings {
        threshold_db: f32::NAN,
        lookahead_ms: 100.0,
        mix_pct: 150.0,
        ..Default::default()
    });
    assert_eq!(c.settings().threshold_db, -18.0);
    assert_eq!(c.settings().lookahead_ms, 5.0);
    assert_eq!(c.settings().mix_pct, 100.0);
    assert!(c.set_sample_rate(96_000.0).is_ok());
    assert_eq!(c.latency_samples(), 480);
    assert!(c.set_sample_rate(384_000.0).is_err());
}
