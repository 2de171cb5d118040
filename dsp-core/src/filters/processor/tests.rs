use super::*;
use crate::filters::CutShape;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;

fn config(fs: f32, channels: usize) -> ProcessorConfig {
    ProcessorConfig::new(fs, 1024, channels).unwrap()
}

fn sine(freq_hz: f64, fs: f64, n: usize, amp: f64) -> Vec<f32> {
    (0..n)
        .map(|i| (amp * (2.0 * PI * freq_hz * i as f64 / fs).sin()) as f32)
        .collect()
}

fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(-0.5f32..0.5)).collect()
}

/// The amplitude of the `freq_hz` component of `y` (projection; `y` must hold whole cycles).
fn amplitude(y: &[f32], freq_hz: f64, fs: f64) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let ph = 2.0 * PI * freq_hz * i as f64 / fs;
        s += *v as f64 * ph.sin();
        c += *v as f64 * ph.cos();
    }
    2.0 * s.hypot(c) / y.len() as f64
}

/// Processes `bufs` in blocks of the sizes `next_size` returns, applying `events` (absolute
/// sample position, spec) exactly at their positions.
fn run(
    p: &mut FilterCascade,
    bufs: &mut [Vec<f32>],
    mut next_size: impl FnMut() -> usize,
    events: &[(usize, FilterSpec)],
) {
    let n = bufs[0].len();
    let mut pos = 0;
    let mut ev = events.iter().peekable();
    while pos < n {
        while let Some((at, spec)) = ev.peek() {
            if *at <= pos {
                p.set_spec(*spec);
                ev.next();
            } else {
                break;
            }
        }
        let mut len = next_size().max(1).min(n - pos);
        if let Some((at, _)) = ev.peek() {
            len = len.min(at - pos);
        }
        let mut slices: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[pos..pos + len]).collect();
        p.process(&mut slices);
        pos += len;
    }
}

fn run_whole(p: &mut FilterCascade, bufs: &mut [Vec<f32>]) {
    run(p, bufs, || 1024, &[]);
}

fn max_step(y: &[f32]) -> f32 {
    y.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn processed_sine_amplitude_equals_analytic_magnitude() {
    let cases: Vec<(f64, FilterSpec, Vec<f64>)> = vec![
        (
            48_000.0,
            FilterSpec::bell(1000.0, 6.0, 1.0),
            vec![1000.0, 700.0, 3000.0],
        ),
        (
            48_000.0,
            FilterSpec::bell(12_000.0, -9.0, 2.0),
            vec![12_000.0, 10_000.0, 15_000.0],
        ),
        (
            48_000.0,
            FilterSpec::low_shelf(200.0, 8.0, 0.7),
            vec![100.0, 200.0, 400.0],
        ),
        (
            48_000.0,
            FilterSpec::high_shelf_with_slope(6000.0, -6.0, 0.8),
            vec![3000.0, 6000.0, 20_000.0],
        ),
        (
            48_000.0,
            FilterSpec::low_pass(2000.0, 24.0, CutShape::Butterworth),
            vec![1000.0, 2000.0, 3000.0],
        ),
        (
            48_000.0,
            FilterSpec::high_pass(300.0, 36.0, CutShape::LinkwitzRiley),
            vec![300.0, 500.0, 1000.0],
        ),
        (
            48_000.0,
            FilterSpec::high_pass(300.0, 6.0, CutShape::Butterworth),
            vec![100.0, 300.0],
        ),
        (
            48_000.0,
            FilterSpec::notch(1000.0, 2.0),
            vec![700.0, 1300.0],
        ),
        (
            48_000.0,
            FilterSpec::band_pass(1000.0, 1.0),
            vec![500.0, 1000.0, 2000.0],
        ),
        (
            44_100.0,
            FilterSpec::tilt(1000.0, 6.0),
            vec![100.0, 1000.0, 10_000.0],
        ),
        (
            192_000.0,
            FilterSpec::bell(30.0, 6.0, 1.0),
            vec![30.0, 60.0],
        ),
    ];
    for (fs, spec, freqs) in cases {
        let coefs = spec.design(fs);
        let mut p = FilterCascade::new(config(fs as f32, 2), spec).unwrap();
        // Whole cycles of every test frequency (all multiples of 10 Hz) in a 0.1 s window.
        let window = (fs / 10.0) as usize;
        for f in freqs {
            p.reset();
            let n = fs as usize + window;
            let mut bufs = vec![sine(f, fs, n, 0.5), sine(f, fs, n, 0.25)];
            run_whole(&mut p, &mut bufs);
            let expect = coefs.magnitude_db(f, fs);
            for (buf, amp_in) in bufs.iter().zip([0.5, 0.25]) {
                let got = 20.0 * (amplitude(&buf[n - window..], f, fs) / amp_in).log10();
                assert!(
                    (got - expect).abs() <= 0.05,
                    "{spec:?} at {f} Hz, fs {fs}: {got} vs {expect}"
                );
            }
        }
    }
}

#[test]
fn block_processing_equals_sample_by_sample() {
    let fs = 48_000.0;
    let n = 30_000;
    let input = vec![noise(1, n), sine(440.0, fs as f64, n, 0.7)];
    let start = FilterSpec::bell(300.0, -4.0, 0.9);
    let events = [
        (5_003, FilterSpec::bell(4000.0, 9.0, 3.0)), // glide
        (
            12_345,
            FilterSpec::high_pass(120.0, 42.0, CutShape::Butterworth),
        ), // structural
        (
            20_001,
            FilterSpec::high_pass(900.0, 42.0, CutShape::Butterworth),
        ), // glide
    ];
    let mut reference = input.clone();
    let mut p = FilterCascade::new(config(fs, 2), start).unwrap();
    run(&mut p, &mut reference, || 1, &events);
    let mut rng = StdRng::seed_from_u64(7);
    for trial in 0..4 {
        let mut out = input.clone();
        let mut q = FilterCascade::new(config(fs, 2), start).unwrap();
        let sizes = [1usize, 3, 31, 32, 33, 64, 1023];
        run(
            &mut q,
            &mut out,
            || {
                if trial == 0 {
                    sizes[rng.gen_range(0..sizes.len())]
                } else {
                    rng.gen_range(1..=700)
                }
            },
            &events,
        );
        for ch in 0..2 {
            for i in 0..n {
                assert_eq!(
                    out[ch][i].to_bits(),
                    reference[ch][i].to_bits(),
                    "trial {trial} ch {ch} sample {i}"
                );
            }
        }
    }
    assert!(reference.iter().flatten().all(|x| x.is_finite()));
}

#[test]
fn reset_restores_determinism() {
    let fs = 44_100.0;
    let input = vec![noise(3, 8000), noise(4, 8000)];
    let spec = FilterSpec::low_shelf(150.0, 6.0, 0.7);
    let mut fresh_out = input.clone();
    run_whole(
        &mut FilterCascade::new(config(fs, 2), spec).unwrap(),
        &mut fresh_out,
    );

    let mut p = FilterCascade::new(config(fs, 2), FilterSpec::bell(2000.0, 12.0, 5.0)).unwrap();
    let mut junk = vec![noise(5, 3001), noise(6, 3001)];
    run_whole(&mut p, &mut junk);
    p.set_spec(spec); // leaves a glide half-way, then reset finishes it
    run(&mut p, &mut junk, || 17, &[]);
    p.reset();
    assert!(!p.is_gliding());
    let mut again = input.clone();
    run(&mut p, &mut again, || 100, &[]);
    assert_eq!(again, fresh_out);
    p.reset();
    let mut third = input.clone();
    run_whole(&mut p, &mut third);
    assert_eq!(third, fresh_out);
}

#[test]
fn nan_and_inf_reset_the_channel_and_output_silence() {
    let fs = 48_000.0;
    let n = 6000;
    let spec = FilterSpec::bell(500.0, 12.0, 4.0);
    let clean = sine(440.0, fs as f64, n, 0.5);
    let mut dirty = clean.clone();
    for (i, v) in [
        (1000, f32::NAN),
        (1500, f32::INFINITY),
        (1501, f32::NEG_INFINITY),
        (3000, f32::NAN),
    ] {
        dirty[i] = v;
    }
    let mut p = FilterCascade::new(config(fs, 2), spec).unwrap();
    let mut bufs = vec![dirty.clone(), clean.clone()];
    run(&mut p, &mut bufs, || 77, &[]);
    assert!(bufs.iter().flatten().all(|x| x.is_finite()));
    for i in [1000, 1500, 1501, 3000] {
        assert_eq!(bufs[0][i], 0.0);
    }
    // The other channel is untouched by the bad samples.
    let mut reference = vec![clean.clone(), clean.clone()];
    run_whole(
        &mut FilterCascade::new(config(fs, 2), spec).unwrap(),
        &mut reference,
    );
    assert_eq!(bufs[1], reference[1]);
    assert_eq!(bufs[0][..1000], reference[0][..1000]);
    // Recovery: after the last bad sample the channel behaves like a freshly reset filter.
    let mut restarted = vec![clean[3001..].to_vec()];
    run_whole(
        &mut FilterCascade::new(config(fs, 1), spec).unwrap(),
        &mut restarted,
    );
    for (a, b) in bufs[0][3001..].iter().zip(&restarted[0]) {
        assert!((a - b).abs() < 1e-6);
    }
    assert!(bufs[0][n - 500..].iter().any(|x| x.abs() > 0.1));

    // Finite input that overflows f32 after +48 dB is silenced too, and the filter recovers.
    let mut p = FilterCascade::new(config(fs, 1), FilterSpec::bell(1000.0, 48.0, 1.0)).unwrap();
    let mut huge = vec![sine(1000.0, fs as f64, 4000, 3e38)];
    huge[0].extend(sine(1000.0, fs as f64, 4000, 0.001));
    run_whole(&mut p, &mut huge);
    assert!(huge[0].iter().all(|x| x.is_finite()));
    assert!(huge[0][7000..].iter().any(|x| x.abs() > 0.1)); // 0.001 · 251 ≈ 0.25
}

#[test]
fn invalid_configs_are_errors() {
    let spec = FilterSpec::default();
    for (sr, block, ch) in [
        (0.0, 64, 2),
        (999.0, 64, 2),
        (1e6, 64, 2),
        (f32::NAN, 64, 2),
        (48e3, 0, 2),
        (48e3, 64, 0),
        (48e3, 64, 9),
    ] {
        let cfg = ProcessorConfig {
            sample_rate: sr,
            max_block_size: block,
            channels: ch,
            fixed_rate: false,
        };
        assert!(FilterCascade::new(cfg, spec).is_err(), "{sr} {block} {ch}");
    }
    let mut p =
        FilterCascade::new(config(44_100.0, 1), FilterSpec::bell(30_000.0, 3.0, 1.0)).unwrap();
    assert!((p.target_spec().freq_hz - 0.49 * 44_100.0).abs() < 1e-6);
    assert_eq!(p.set_sample_rate(5.0), Err(ConfigError::SampleRate(5.0)));
    assert_eq!(p.sample_rate_hz(), 44_100.0);
    p.set_sample_rate(96_000.0).unwrap();
    assert_eq!(p.target_spec().freq_hz, 30_000.0); // re-clamped from the requested spec
    assert_eq!(
        *p.coefs(),
        FilterSpec::bell(30_000.0, 3.0, 1.0).design(96_000.0)
    );
    assert_eq!(p.latency_samples(), 0);
}

#[test]
fn glides_to_the_exact_target_and_stops() {
    let fs = 48_000.0;
    let mut p = FilterCascade::new(config(fs, 1), FilterSpec::bell(200.0, 0.0, 1.0)).unwrap();
    let target = FilterSpec::bell(5000.0, 12.0, 2.0);
    p.set_spec(target);
    assert!(p.is_gliding());
    let mut buf = vec![vec![0.0f32; 4800]];
    run_whole(&mut p, &mut buf);
    assert!(
        p.is_gliding(),
        "an exponential glide is still (barely) moving after five time constants"
    );
    let mut buf = vec![vec![0.0f32; 48_000]];
    run_whole(&mut p, &mut buf);
    assert!(!p.is_gliding());
    assert_eq!(*p.coefs(), target.design(fs as f64));
    // Immediate set and zero smoothing skip the glide.
    p.set_spec_immediate(FilterSpec::bell(100.0, -3.0, 1.0));
    assert!(!p.is_gliding());
    p.set_smoothing_ms(0.0);
    p.set_spec(target);
    assert_eq!(*p.coefs(), target.design(fs as f64));
}

/// Setting the spec a cascade already has changes nothing, in every state it can be in: settled,
/// gliding, arrived, and gliding when its glide time was set to 0 (which must end the glide
/// then, as a new spec would). Compared with the whole state (its `Debug` form) after the full
/// update, which the early return skips.
#[test]
fn setting_the_same_spec_again_changes_nothing() {
    let fs = 48_000.0;
    let from = FilterSpec::bell(100.0, -3.0, 1.0);
    let to = FilterSpec::bell(1000.0, 6.0, 2.0);
    let full = |p: &FilterCascade| {
        // What the update without the early return leaves: a fresh spec first, then this one.
        let mut q = p.clone();
        q.requested = FilterSpec {
            q: f64::NAN,
            ..q.requested
        };
        q.set_spec(p.spec());
        format!("{q:?}")
    };
    let mut p = FilterCascade::new(config(fs, 1), from).unwrap();
    let mut buf = vec![vec![0.1f32; 100]];
    for step in 0..6 {
        match step {
            1 => p.set_spec(to),
            3 => {
                let mut long = vec![vec![0.1f32; 96_000]];
                run_whole(&mut p, &mut long);
                assert!(!p.is_gliding(), "arrived");
            }
            4 => p.set_spec(from),
            // Still gliding, now with no glide time.
            5 => p.set_smoothing_ms(0.0),
            _ => {}
        }
        if step != 5 {
            run_whole(&mut p, &mut buf);
        }
        assert_eq!(p.is_gliding(), matches!(step, 1 | 2 | 4 | 5), "step {step}");
        let want = full(&p);
        p.set_spec(p.spec());
        assert_eq!(format!("{p:?}"), want, "step {step}");
    }
    // The last state glided with a zero glide time: setting its spec again ended the glide.
    assert!(!p.is_gliding());
}

/// Runs a sine through a bell that jumps from `from` to `to` after 1 s and returns the largest
/// sample-to-sample step: (steady before, during the 0.5 s after the change, steady after).
fn automation_steps(
    freq_hz: f64,
    from: FilterSpec,
    to: FilterSpec,
    smoothing_ms: f32,
) -> (f32, f32, f32) {
    let fs = 48_000.0;
    let mut p = FilterCascade::new(config(fs as f32, 1), from).unwrap();
    p.set_smoothing_ms(smoothing_ms);
    let n = 4 * 48_000;
    let mut bufs = vec![sine(freq_hz, fs, n, 0.5)];
    run(&mut p, &mut bufs, || 256, &[(48_000, to)]);
    let y = &bufs[0];
    (
        max_step(&y[24_000..48_000]),
        max_step(&y[47_999..72_000]),
        max_step(&y[n - 24_000..]),
    )
}

#[test]
fn automation_is_click_free() {
    // A bell sweeping from 0 dB at 200 Hz to +12 dB at 5 kHz under a 100 Hz sine: the sine's
    // level barely changes, so any click shows up as a step far above the steady one.
    let from = FilterSpec::bell(200.0, 0.0, 1.0);
    let to = FilterSpec::bell(5000.0, 12.0, 1.0);
    let (before, during, after) = automation_steps(100.0, from, to, DEFAULT_SMOOTHING_MS);
    let steady = before.max(after);
    assert!(
        during <= 1.25 * steady,
        "glided: {during} vs steady {steady}"
    );
    // The same jump without smoothing clicks well beyond that bound (so the test can fail).
    let (_, unsmoothed, _) = automation_steps(100.0, from, to, 0.0);
    assert!(
        unsmoothed > 2.0 * steady,
        "unsmoothed: {unsmoothed} vs steady {steady}"
    );

    // Gain automation on the sine's own frequency: the level rises 4×, the step never
    // overshoots the new steady-state one.
    let from = FilterSpec::bell(1000.0, 0.0, 1.0);
    let to = FilterSpec::bell(1000.0, 12.0, 1.0);
    let (before, during, after) = automation_steps(1000.0, from, to, DEFAULT_SMOOTHING_MS);
    assert!(after > 3.5 * before);
    assert!(during <= 1.05 * after, "gain glide: {during} vs {after}");
}

#[test]
fn odd_channel_layouts_never_panic() {
    let mut p =
        FilterCascade::new(config(48_000.0, 2), FilterSpec::bell(1000.0, 6.0, 1.0)).unwrap();
    // More channels than configured: extra ones only sanitised; different lengths: the common
    // length is filtered, the rest sanitised.
    let mut a = vec![0.5f32; 100];
    let mut b = vec![0.5f32; 60];
    let mut c = vec![f32::NAN, 0.25];
    let mut chans: Vec<&mut [f32]> = vec![&mut a, &mut b, &mut c];
    p.process(&mut chans);
    assert_eq!(c, [0.0, 0.25]);
    assert!(a.iter().chain(&b).all(|x| x.is_finite()));
    assert_eq!(a[60..], [0.5f32; 40]);
    p.process(&mut []);
    let mut empty: Vec<&mut [f32]> = vec![&mut [], &mut []];
    p.process(&mut empty);
}
