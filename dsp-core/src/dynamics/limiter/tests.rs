use super::*;
use crate::loudness::true_peak::TruePeakMeter;
use control::Kernel;
use std::f64::consts::TAU;

const SR: f32 = 48_000.0;

fn limiter(factor: OversamplingFactor, channels: usize, s: LimiterSettings) -> TruePeakLimiter {
    TruePeakLimiter::new(
        ProcessorConfig::new(SR, 512, channels).unwrap(),
        factor,
        5.0,
        s,
    )
    .unwrap()
}

fn run(l: &mut TruePeakLimiter, chans: &mut [Vec<f32>]) {
    let n = chans[0].len();
    let mut start = 0;
    while start < n {
        let len = 480.min(n - start);
        let mut block: Vec<&mut [f32]> = chans
            .iter_mut()
            .map(|c| &mut c[start..start + len])
            .collect();
        l.process(&mut block);
        start += len;
    }
}

/// True peak of the channels with the 4× BS.1770 meter, with the meter's delay flushed.
fn true_peak_dbtp(chans: &[Vec<f32>]) -> f32 {
    let mut m = TruePeakMeter::new(ProcessorConfig::new(SR, 1024, chans.len()).unwrap()).unwrap();
    let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
    m.process(&refs);
    let zeros = vec![0.0f32; 256];
    let z: Vec<&[f32]> = chans.iter().map(|_| zeros.as_slice()).collect();
    m.process(&z);
    m.max_dbtp()
}

/// A sine at `freq` Hz that jumps by +40 dB (−30 → +10 dBFS) after 0.1 s, stops abruptly
/// after 0.3 s and is followed by 0.05 s of silence (so the limiter, not just the meter, sees
/// the cut-off and its band-limited overshoot).
fn step_sine(freq: f64, phase: f64) -> Vec<f32> {
    (0..16_800)
        .map(|i| {
            let amp = match i {
                0..4800 => 10f64.powf(-1.5),
                4800..14_400 => 10f64.powf(0.5),
                _ => 0.0,
            };
            (amp * (TAU * freq * i as f64 / SR as f64 + phase).sin()) as f32
        })
        .collect()
}

#[test]
fn forty_db_step_never_exceeds_the_ceiling() {
    let ceiling = -1.0f32;
    let mut worst = f32::NEG_INFINITY;
    for factor in [OversamplingFactor::X4, OversamplingFactor::X8] {
        for &freq in &[997.0, 5_000.0, 11_025.0, 15_000.0, 19_000.0] {
            for phase in [0.0, 1.0] {
                let mut l = limiter(
                    factor,
                    1,
                    LimiterSettings {
                        ceiling_dbtp: ceiling,
                        ..Default::default()
                    },
                );
                let mut x = vec![step_sine(freq, phase)];
                run(&mut l, &mut x);
                let tp = true_peak_dbtp(&x);
                worst = worst.max(tp - ceiling);
                assert!(tp <= ceiling, "{factor:?} {freq} Hz: {tp} dBTP");
                // And it actually limits to close to the ceiling, not far below.
                assert!(tp > ceiling - 1.5, "{factor:?} {freq} Hz: {tp} dBTP");
            }
        }
    }
    eprintln!("40 dB step: worst true peak {worst:+.3} dB re ceiling");
}

#[test]
fn driven_white_noise_never_exceeds_the_ceiling() {
    for (factor, ceiling) in [
        (OversamplingFactor::X4, -1.0f32),
        (OversamplingFactor::X4, 0.0),
        (OversamplingFactor::X8, -0.3),
    ] {
        for auto in [false, true] {
            let mut l = limiter(
                factor,
                2,
                LimiterSettings {
                    ceiling_dbtp: ceiling,
                    release_ms: 20.0,
                    auto_release: auto,
                    lookahead_ms: 2.0,
                },
            );
            // Full-scale white noise driven by +20 dB: amplitude 10.
            let mut x = vec![
                crate::testsignals::white_noise(48_000, 10.0, 1),
                crate::testsignals::white_noise(48_000, 10.0, 2),
            ];
            run(&mut l, &mut x);
            let tp = true_peak_dbtp(&x);
            eprintln!("noise {factor:?} ceiling {ceiling} auto {auto}: {tp:+.3} dBTP");
            assert!(tp <= ceiling, "{factor:?} auto {auto}: {tp} dBTP");
            assert!(x.iter().flatten().all(|v| v.is_finite()));
        }
    }
}

#[test]
fn lower_factors_limit_their_own_peaks() {
    // 1×: a sample-peak limiter; 2×: within its larger margin of the 4× meter.
    let ceiling = -1.0f32;
    let mut l = limiter(OversamplingFactor::X1, 1, LimiterSettings::default());
    let mut x = vec![crate::testsignals::white_noise(24_000, 10.0, 3)];
    run(&mut l, &mut x);
    let sp = gain_to_db(x[0].iter().fold(0.0f32, |a, &b| a.max(b.abs())));
    assert!(sp <= ceiling + 1e-4, "{sp}");
    let mut l = limiter(OversamplingFactor::X2, 1, LimiterSettings::default());
    let mut x = vec![step_sine(5_000.0, 0.3)];
    run(&mut l, &mut x);
    assert!(true_peak_dbtp(&x) <= ceiling);
}

#[test]
fn impulse_delay_equals_reported_latency() {
    for (factor, align) in [
        (OversamplingFactor::X1, 0),
        (OversamplingFactor::X2, 31),
        (OversamplingFactor::X4, 35),
        (OversamplingFactor::X8, 36),
    ] {
        for la in [1.0f32, 3.0, 5.0] {
            let mut l = limiter(
                factor,
                2,
                LimiterSettings {
                    lookahead_ms: la,
                    ..Default::default()
                },
            );
            assert_eq!(l.latency_samples(), 240 + align, "{factor:?}");
            let mut x = vec![vec![0.0f32; 2000]; 2];
            x[1][7] = 0.25; // well below the ceiling: passes at unity gain
            run(&mut l, &mut x);
            let i = x[1]
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap()
                .0;
            assert_eq!(i, 7 + l.latency_samples(), "{factor:?} {la} ms");
            assert_eq!(x[1][i], 0.25);
            assert!(x[0].iter().all(|&v| v == 0.0));
        }
    }
}

#[test]
fn gain_ramps_down_before_the_peak_arrives() {
    let mut l = limiter(OversamplingFactor::X4, 1, LimiterSettings::default());
    let lat = l.latency_samples();
    let mut x = vec![vec![0.1f32; 12_000]];
    x[0][2000] = 4.0; // a single spike
    run(&mut l, &mut x);
    let out_spike = 2000 + lat;
    // Before the spike the gain is already falling (samples at 0.1 come out lower)...
    assert!(x[0][out_spike - 60] < 0.099, "{}", x[0][out_spike - 60]);
    // ...but not earlier than the lookahead (240 samples) plus the alignment window.
    assert_eq!(x[0][out_spike - 300], 0.1);
    assert!(x[0][out_spike].abs() <= db_to_gain_f64(-1.0) as f32);
    // And it recovers after the release.
    assert!((x[0][11_999] - 0.1).abs() < 0.002, "{}", x[0][11_999]);
}

#[test]
fn quiet_signal_is_untouched() {
    let mut l = limiter(OversamplingFactor::X4, 1, LimiterSettings::default());
    let lat = l.latency_samples();
    let x: Vec<f32> = (0..3000)
        .map(|i| (0.5 * (TAU * 440.0 * i as f64 / SR as f64).sin()) as f32)
        .collect();
    let mut y = vec![x.clone()];
    run(&mut l, &mut y);
    assert_eq!(&y[0][lat..], &x[..3000 - lat]);
    assert_eq!(l.gain_reduction_db(), 0.0);
}

#[test]
fn non_finite_input_gives_finite_output() {
    let mut l = limiter(OversamplingFactor::X4, 2, LimiterSettings::default());
    let mut x = vec![
        crate::testsignals::white_noise(4800, 2.0, 5),
        crate::testsignals::white_noise(4800, 2.0, 6),
    ];
    x[0][10] = f32::NAN;
    x[1][500] = f32::INFINITY;
    x[0][900] = f32::NEG_INFINITY;
    x[1][1300] = f32::MAX;
    x[0][2000] = -1e30;
    run(&mut l, &mut x);
    assert!(x.iter().flatten().all(|v| v.is_finite()));
    assert!(x.iter().flatten().all(|v| v.abs() <= 1.0));
    assert!(l.gain_reduction_db().is_finite());
}

#[test]
fn settings_changes_keep_the_ceiling() {
    let mut l = limiter(OversamplingFactor::X4, 1, LimiterSettings::default());
    let mut x = vec![step_sine(3_000.0, 0.0)];
    let n = x[0].len();
    let mut start = 0;
    let mut k = 0;
    while start < n {
        let len = 480.min(n - start);
        // Flip lookahead and ceiling every block.
        l.set_settings(LimiterSettings {
            ceiling_dbtp: if k % 2 == 0 { -1.0 } else { -3.0 },
            lookahead_ms: if k % 3 == 0 { 1.0 } else { 4.0 },
            ..Default::default()
        });
        l.process(&mut [&mut x[0][start..start + len]]);
        start += len;
        k += 1;
    }
    // Each change may step the gain down at once (the conservative pull-down), and a gain step
    // on a full-scale tone has a band-limited overshoot of its own: allow 0.2 dB for that
    // under this stress (a change every 10 ms); steady settings are held to +0.0 dB above.
    let tp = true_peak_dbtp(&x);
    assert!(tp <= -1.0 + 0.2, "{tp}");
}

#[test]
fn invalid_configuration_is_an_error() {
    let cfg = ProcessorConfig::new(SR, 512, 2).unwrap();
    let f = OversamplingFactor::X4;
    assert!(TruePeakLimiter::new(cfg, f, 0.5, LimiterSettings::default()).is_err());
    assert!(TruePeakLimiter::new(cfg, f, 6.0, LimiterSettings::default()).is_err());
    let bad = LimiterSettings {
        ceiling_dbtp: 3.0,
        ..Default::default()
    };
    assert!(TruePeakLimiter::new(cfg, f, 5.0, bad).is_err());
    let bad = LimiterSettings {
        lookahead_ms: 4.0,
        ..Default::default()
    };
    assert!(TruePeakLimiter::new(cfg, f, 3.0, bad).is_err());
    let mut l = TruePeakLimiter::new(cfg, f, 5.0, LimiterSettings::default()).unwrap();
    assert!(l.set_sample_rate(96_000.0).is_ok());
    assert_eq!(l.latency_samples(), 480 + 35);
    assert!(l.set_sample_rate(400_000.0).is_err());
}

/// The block paths (sliding minimum by doubling, vector release and average, the AVX2 build
/// of the per-frame loops) and the per-frame paths they fall back to give the same output
/// within two `f32` units at full scale, whatever the host's block size and the CPU's kernels;
/// settings changes mid-stream included. The reference is the plain build at block size 1.
#[test]
fn output_does_not_depend_on_the_block_size_or_the_kernel() {
    let demo = crate::testsignals::demo_mix(1.0, SR as f64);
    let kernels: Vec<(Kernel, bool)> = [
        (Kernel::Scalar, true),
        (Kernel::Avx2, true),
        (Kernel::Avx512, true),
        (Kernel::detect(), false),
    ]
    .into_iter()
    .filter(|(k, _)| k.is_supported())
    .collect();
    for (factor, auto) in [
        (OversamplingFactor::X1, false),
        (OversamplingFactor::X1, true),
        (OversamplingFactor::X4, false),
    ] {
        let settings = LimiterSettings {
            ceiling_dbtp: -1.0,
            release_ms: 30.0,
            auto_release: auto,
            lookahead_ms: 4.0,
        };
        // Each half in blocks of `block` (the second half after a settings change).
        let render = |block: usize, kernel: Kernel, avx2: bool| {
            let mut l = limiter(factor, 2, settings);
            l.kernel = kernel;
            l.avx2 = l.avx2 && avx2;
            let mut x: Vec<Vec<f32>> = demo
                .iter()
                .map(|c| c.iter().map(|v| v * 4.0).collect())
                .collect();
            let n = x[0].len();
            let [a, b] = &mut x[..] else { unreachable!() };
            for (lo, hi) in [(0, n / 2), (n / 2, n)] {
                if lo > 0 {
                    l.set_settings(LimiterSettings {
                        lookahead_ms: 2.5,
                        ceiling_dbtp: -3.0,
                        ..settings
                    });
                }
                let mut start = lo;
                while start < hi {
                    let len = block.min(hi - start);
                    l.process(&mut [&mut a[start..start + len], &mut b[start..start + len]]);
                    start += len;
                }
            }
            (x, l.latency_samples())
        };
        let (reference, lat) = render(1, Kernel::Scalar, false);
        let limited = reference[0][lat..]
            .iter()
            .zip(&demo[0])
            .filter(|(y, x)| (**y - **x * 4.0).abs() > 0.01)
            .count();
        assert!(
            limited > 2000,
            "{factor:?}: the test signal is hardly limited ({limited})"
        );
        for &(kernel, avx2) in &kernels {
            for block in [1usize, 7, 64, 480, 512] {
                let (got, _) = render(block, kernel, avx2);
                for c in 0..2 {
                    for (i, (a, b)) in got[c].iter().zip(&reference[c]).enumerate() {
                        assert!(
                            (a - b).abs() <= 2.4e-7,
                            "{factor:?} auto {auto} {kernel:?} block {block} ch {c} i {i}: \
                             {a} vs {b}"
                        );
                    }
                }
            }
        }
    }
}

/// The hold and the ramp sit exactly where the lookahead puts them (1×, where nothing but the
/// lookahead delays): for a lone spike leaving at frame `s`, frame `s − L − 1` is untouched,
/// frame `s − L` is the first one turned down, the spike comes out at the ceiling, the frames
/// either side of it get the spike's gain too (the hold spans the lookahead plus one frame
/// either side), and the gain recovers from the second frame after it.
#[test]
fn the_ramp_starts_exactly_one_lookahead_before_the_peak() {
    let ceiling = db_to_gain_f64(-1.0) as f32;
    for lookahead_ms in [1.0f32, 2.5, 5.0] {
        for block in [1usize, 7, 512] {
            let mut l = limiter(
                OversamplingFactor::X1,
                1,
                LimiterSettings {
                    lookahead_ms,
                    ..LimiterSettings::default()
                },
            );
            let la = (lookahead_ms * 48.0).round() as usize;
            let spike = 3000;
            let mut x = [vec![0.1f32; 6000]];
            x[0][spike] = 4.0;
            let n = x[0].len();
            let mut start = 0;
            while start < n {
                let len = block.min(n - start);
                l.process(&mut [&mut x[0][start..start + len]]);
                start += len;
            }
            let y = &x[0];
            let s = spike + l.latency_samples();
            let tag = format!("{lookahead_ms} ms block {block}");
            assert_eq!(y[s - la - 1], 0.1, "{tag}");
            assert!(y[s - la] < 0.1, "{tag}: {}", y[s - la]);
            assert!(
                (y[s] - ceiling).abs() <= 1e-6,
                "{tag}: {} vs {ceiling}",
                y[s]
            );
            let held = 0.1 * ceiling / 4.0;
            assert!(
                (y[s - 1] - held).abs() <= 2e-8,
                "{tag} −1: {} vs {held}",
                y[s - 1]
            );
            assert!(
                (y[s + 1] - held).abs() <= 2e-8,
                "{tag} +1: {} vs {held}",
                y[s + 1]
            );
            assert!(y[s + 2] > held + 2e-8, "{tag} +2: {} vs {held}", y[s + 2]);
        }
    }
}

/// At 192 kHz the histories are used to their full length (the capacity rate), before and
/// after a change of sample rate; the ceiling holds.
#[test]
fn full_length_histories_at_the_capacity_rate() {
    for start_rate in [192_000.0f32, 44_100.0] {
        let mut l = TruePeakLimiter::new(
            ProcessorConfig::new(start_rate, 512, 2).unwrap(),
            OversamplingFactor::X1,
            5.0,
            LimiterSettings::default(),
        )
        .unwrap();
        l.set_sample_rate(192_000.0).unwrap();
        assert_eq!(l.latency_samples(), 960);
        let mut x = [
            crate::testsignals::white_noise(192_000, 8.0, 4),
            crate::testsignals::white_noise(192_000, 8.0, 5),
        ];
        let [left, right] = &mut x[..] else {
            unreachable!()
        };
        for (i, (a, b)) in left.chunks_mut(512).zip(right.chunks_mut(512)).enumerate() {
            l.process(&mut [a, b]);
            if i == 200 {
                l.set_settings(LimiterSettings {
                    lookahead_ms: 3.0,
                    ..LimiterSettings::default()
                });
            }
        }
        let peak = x.iter().flatten().fold(0.0f32, |a, &b| a.max(b.abs()));
        assert!(
            gain_to_db(peak) <= -1.0 + 1e-4,
            "{start_rate}: {}",
            gain_to_db(peak)
        );
        assert!(peak > 0.5, "{start_rate}: {peak}");
    }
}
