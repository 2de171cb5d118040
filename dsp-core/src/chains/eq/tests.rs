//! The EQ chain's tests.

use super::fast::{fast_path_takes, FAST_PATH_MAX_INPUT};
use super::*;
use crate::chains::Chain;
use crate::testsignals::{pink_noise, white_noise};

fn chain(sr: f32, channels: usize, s: &EqSettings) -> EqChain {
    EqChain::new(ProcessorConfig::new(sr, 512, channels).unwrap(), s).unwrap()
}

/// |DFT| of `h` at `freq_hz`, in dB.
fn dft_db(h: &[f32], freq_hz: f64, sr: f64) -> f64 {
    let w = std::f64::consts::TAU * freq_hz / sr;
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, &v) in h.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        re += v as f64 * c;
        im -= v as f64 * s;
    }
    10.0 * (re * re + im * im).max(1e-30).log10()
}

fn one_band(kind: EqBandType, freq_hz: f32, gain_db: f32, q: f32, slope: f32) -> EqSettings {
    let mut s = EqSettings::default();
    s.bands[2] = BandSettings {
        enabled: true,
        kind,
        freq_hz,
        gain_db,
        q,
        slope_db_oct: slope,
        placement: Placement::Stereo,
    };
    s
}

fn all_types() -> Vec<EqSettings> {
    vec![
        one_band(EqBandType::Bell, 1000.0, 6.0, 1.5, 12.0),
        one_band(EqBandType::Bell, 15_000.0, -9.0, 3.0, 12.0),
        one_band(EqBandType::LowShelf, 200.0, -8.0, 0.7, 12.0),
        one_band(EqBandType::HighShelf, 5000.0, 5.0, 0.9, 12.0),
        one_band(EqBandType::LowCut, 100.0, 24.0, 0.7, 24.0),
        one_band(EqBandType::HighCut, 8000.0, 18.0, 0.7, 18.0),
        one_band(EqBandType::Notch, 3000.0, 0.0, 4.0, 12.0),
        one_band(EqBandType::BandPass, 700.0, 0.0, 2.0, 12.0),
        one_band(EqBandType::Tilt, 1000.0, 6.0, 0.7, 12.0),
    ]
}

const TEST_FREQS_HZ: [f64; 9] = [
    31.0, 97.0, 310.0, 1000.0, 2900.0, 5300.0, 9700.0, 14_000.0, 19_000.0,
];

#[test]
fn running_chain_matches_analytic_response_for_every_type() {
    for sr in [44_100.0f32, 96_000.0] {
        for s in all_types() {
            let mut eq = chain(sr, 1, &s);
            let mut h = vec![0.0f32; 1 << 16];
            h[0] = 1.0;
            eq.process(&mut [&mut h]);
            for f in TEST_FREQS_HZ {
                let want = s.magnitude_db(f, sr as f64);
                if want < -50.0 {
                    continue;
                }
                let got = dft_db(&h, f, sr as f64);
                assert!(
                    (got - want).abs() < 0.1,
                    "{:?} at {sr} Hz, {f} Hz: measured {got:.3} dB, analytic {want:.3} dB",
                    s.bands[2].kind
                );
            }
        }
    }
}

#[test]
fn sine_amplitude_after_settling_matches_analytic() {
    let sr = 48_000.0;
    let mut s = one_band(EqBandType::Bell, 2000.0, 7.5, 2.0, 12.0);
    s.bands[5] = BandSettings {
        enabled: true,
        ..s.bands[2]
    };
    s.bands[5].kind = EqBandType::LowShelf;
    s.bands[5].freq_hz = 300.0;
    s.out_gain_db = -2.0;
    for f in [150.0, 1500.0, 2000.0, 6000.0] {
        let mut eq = chain(sr, 2, &s);
        let x: Vec<f32> = crate::testsignals::sine(24_000, f, 0.5, sr as f64);
        let (mut l, mut r) = (x.clone(), x.clone());
        eq.process(&mut [&mut l, &mut r]);
        // Least-squares amplitude over the last 0.25 s.
        let w = std::f64::consts::TAU * f / sr as f64;
        let (mut a, mut b) = (0.0, 0.0);
        let tail = 12_000..24_000;
        for n in tail.clone() {
            let (sn, cs) = (w * n as f64).sin_cos();
            a += l[n] as f64 * sn;
            b += l[n] as f64 * cs;
        }
        let amp = 2.0 * (a * a + b * b).sqrt() / tail.len() as f64;
        let got = 20.0 * (amp / 0.5).log10();
        let want = s.magnitude_db(f, sr as f64);
        assert!((got - want).abs() < 0.1, "{f} Hz: {got} vs {want}");
        assert_eq!(l, r);
    }
}

#[test]
fn mid_side_left_right_touch_only_their_signal() {
    let sr = 48_000.0;
    let n = 20_000;
    let a = pink_noise(n, 0.1, 5);
    let b = white_noise(n, 0.1, 6);
    for place in [
        Placement::Mid,
        Placement::Side,
        Placement::Left,
        Placement::Right,
    ] {
        let mut s = one_band(EqBandType::Bell, 1000.0, 9.0, 1.0, 12.0);
        s.bands[2].placement = place;
        let mut eq = chain(sr, 2, &s);
        let (mut l, mut r) = (a.clone(), b.clone());
        eq.process(&mut [&mut l, &mut r]);
        let err = |x: &[f32], y: &[f32]| {
            x.iter()
                .zip(y)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0f32, f32::max)
        };
        let m_in: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.5 * (x + y)).collect();
        let s_in: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 0.5 * (x - y)).collect();
        let m_out: Vec<f32> = l.iter().zip(&r).map(|(x, y)| 0.5 * (x + y)).collect();
        let s_out: Vec<f32> = l.iter().zip(&r).map(|(x, y)| 0.5 * (x - y)).collect();
        match place {
            Placement::Mid => {
                assert!(err(&s_in, &s_out) < 1e-6);
                assert!(err(&m_in, &m_out) > 0.01);
            }
            Placement::Side => {
                assert!(err(&m_in, &m_out) < 1e-6);
                assert!(err(&s_in, &s_out) > 0.01);
            }
            Placement::Left => {
                assert_eq!(r, b);
                assert!(err(&a, &l) > 0.01);
            }
            _ => {
                assert_eq!(l, a);
                assert!(err(&b, &r) > 0.01);
            }
        }
    }
    // The mid path's measured response equals the per-placement analytic one.
    let mut s = one_band(EqBandType::Bell, 1000.0, 9.0, 1.0, 12.0);
    s.bands[2].placement = Placement::Mid;
    s.bands[4] = one_band(EqBandType::HighShelf, 4000.0, -4.0, 0.7, 12.0).bands[2];
    let mut eq = chain(sr, 2, &s);
    let mut l = vec![0.0f32; 1 << 15];
    l[0] = 1.0;
    let mut r = l.clone();
    eq.process(&mut [&mut l, &mut r]);
    for f in TEST_FREQS_HZ {
        let want = s.placement_magnitude_db(Placement::Mid, f, sr as f64);
        assert!((dft_db(&l, f, sr as f64) - want).abs() < 0.1, "{f}");
    }
    // Mono: a side band does nothing.
    let mut s = one_band(EqBandType::Bell, 1000.0, 9.0, 1.0, 12.0);
    s.bands[2].placement = Placement::Side;
    let mut eq = chain(sr, 1, &s);
    let mut m = a.clone();
    eq.process(&mut [&mut m]);
    assert_eq!(m, a);
}

#[test]
fn disabled_bands_are_bit_transparent() {
    let sr = 44_100.0;
    let x = pink_noise(30_000, 0.2, 9);
    let mut s = EqSettings::default();
    for (i, b) in s.bands.iter_mut().enumerate() {
        b.kind = EqBandType::ALL[i];
        b.gain_db = 6.0;
        b.placement = Placement::ALL[i % 5];
    }
    let mut eq = chain(sr, 2, &s);
    let (mut l, mut r) = (x.clone(), x.clone());
    eq.process(&mut [&mut l, &mut r]);
    assert_eq!(l, x);
    assert_eq!(r, x);
    // Switch one on, then off again: once the fade has finished it is transparent again.
    let mut on = s;
    on.bands[0].enabled = true;
    eq.set_settings(&on);
    let (mut l, mut r) = (x.clone(), x.clone());
    eq.process(&mut [&mut l, &mut r]);
    assert_ne!(l, x);
    eq.set_settings(&s);
    let (mut l, mut r) = (x.clone(), x.clone());
    eq.process(&mut [&mut l[..1000], &mut r[..1000]]);
    let (mut l, mut r) = (x.clone(), x.clone());
    eq.process(&mut [&mut l, &mut r]);
    assert_eq!(l, x);
    assert_eq!(r, x);
}

fn busy_settings() -> (EqSettings, EqSettings) {
    let mut a = EqSettings::default();
    a.bands[0] = one_band(EqBandType::LowCut, 40.0, 0.0, 0.7, 24.0).bands[2];
    a.bands[1] = one_band(EqBandType::Bell, 300.0, -4.0, 1.2, 12.0).bands[2];
    a.bands[1].placement = Placement::Mid;
    a.bands[3] = one_band(EqBandType::HighShelf, 6000.0, 3.0, 0.7, 12.0).bands[2];
    a.bands[3].placement = Placement::Side;
    a.bands[4] = one_band(EqBandType::Notch, 2000.0, 0.0, 6.0, 12.0).bands[2];
    a.bands[4].placement = Placement::Left;
    a.out_gain_db = 1.5;
    let mut b = a;
    b.bands[1].freq_hz = 450.0; // glide
    b.bands[1].gain_db = 5.0;
    b.bands[3].kind = EqBandType::Bell; // structural: crossfade
    b.bands[4].placement = Placement::Right; // placement change: crossfade
    b.bands[6].enabled = true; // fade in
    b.bands[0].enabled = false; // fade out
    b.out_gain_db = -3.0;
    (a, b)
}

/// Processing in blocks of any size renders what processing sample by sample renders: bit for
/// bit band by band; on the fast path within −120 dBFS (a block that glides or crossfades takes
/// the band-by-band path, so where the paths take turns depends on the block size).
#[test]
fn block_processing_equals_sample_by_sample() {
    let sr = 48_000.0;
    let (a, b) = busy_settings();
    let xl = pink_noise(12_000, 0.2, 1);
    let xr = white_noise(12_000, 0.2, 2);
    let run = |block: usize, fast: bool| {
        let mut eq = chain_on_path(sr, 2, &a, fast);
        let (mut l, mut r) = (xl.clone(), xr.clone());
        let mut pos = 0;
        while pos < l.len() {
            if pos == 4096 {
                eq.set_settings(&b);
            }
            let end = (pos + block)
                .min(l.len())
                .min(if pos < 4096 { 4096 } else { usize::MAX });
            eq.process(&mut [&mut l[pos..end], &mut r[pos..end]]);
            pos = end;
        }
        vec![l, r]
    };
    let big = run(512, false);
    assert_eq!(big, run(1, false));
    assert_eq!(big, run(37, false));
    // One call longer than the maximum block size is split internally.
    assert_eq!(big, run(3000, false));
    for block in [512, 1, 37, 3000] {
        let diff = max_diff_dbfs(&big, &run(block, true));
        assert!(
            diff <= PATHS_WITHIN_DBFS,
            "fast, block {block}: {diff:.1} dBFS"
        );
    }
}

/// [`chain`], on the fast path where the CPU has it (`fast`) or always band by band.
fn chain_on_path(sr: f32, channels: usize, settings: &EqSettings, fast: bool) -> EqChain {
    let mut eq = chain(sr, channels, settings);
    if !fast {
        *eq.bank = StereoBank::with_kernel(BankKernel::Scalar).unwrap();
    }
    eq
}

/// The largest difference between two renders (channel by channel), in dBFS; −∞ when they
/// are identical.
fn max_diff_dbfs(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mut worst = 0.0f64;
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(y) {
            assert!(p.is_finite() && q.is_finite());
            worst = worst.max((*p as f64 - *q as f64).abs());
        }
    }
    20.0 * worst.log10()
}

/// Where the fast path and the band-by-band path may differ: the bank keeps the signal in
/// `f64` between sections, the band-by-band path rounds it to `f32` after each band.
const PATHS_WITHIN_DBFS: f64 = -120.0;

/// Settings the fast path takes once settled: stereo, left, right, mid and side bands of
/// every section count (a 48 dB/oct cut has 4).
fn fast_settings() -> (EqSettings, EqSettings) {
    let mut a = EqSettings::default();
    for (i, b) in a.bands.iter_mut().enumerate() {
        b.enabled = true;
        b.kind = EqBandType::Bell;
        b.gain_db = if i % 2 == 0 { 3.0 } else { -2.5 };
    }
    a.bands[0] = one_band(EqBandType::LowCut, 30.0, 0.0, 0.7, 48.0).bands[2];
    a.bands[1].placement = Placement::Side;
    a.bands[2].placement = Placement::Mid; // side then mid: decode, encode again
    a.bands[3].placement = Placement::Left;
    a.bands[5].kind = EqBandType::HighShelf;
    a.bands[5].placement = Placement::Right;
    a.bands[7].kind = EqBandType::Tilt;
    a.bands[7].placement = Placement::Mid; // ends in mid/side: a final decode
    a.out_gain_db = -1.0;
    let mut b = a;
    b.bands[1].freq_hz = 220.0; // glide
    b.bands[2].gain_db = -6.0;
    b.bands[3].placement = Placement::Right; // crossfade
    b.bands[6].enabled = false; // fade out
    (a, b)
}

#[test]
fn the_fast_path_takes_exactly_the_samples_within_its_bound() {
    let bound = FAST_PATH_MAX_INPUT;
    let below = f32::from_bits(bound.to_bits() - 1);
    let above = f32::from_bits(bound.to_bits() + 1);
    for x in [
        0.0, -0.0, 1.0, -1.0, 1e-45, -1e-45, below, -below, bound, -bound,
    ] {
        assert!(fast_path_takes(&[0.5, x, 0.25]), "{x}");
    }
    let nan_with_sign = f32::from_bits(f32::NAN.to_bits() | 0x8000_0000);
    for x in [
        above,
        -above,
        1e30,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        nan_with_sign,
    ] {
        assert!(!fast_path_takes(&[0.5, x, 0.25]), "{x}");
        // Anywhere in a long block (the vectorised body and its tail).
        for at in [0, 1, 7, 63, 64, 99] {
            let mut b = vec![0.1f32; 100];
            b[at] = x;
            assert!(!fast_path_takes(&b), "{x} at {at}");
        }
    }
    assert!(fast_path_takes(&[]));
}

/// The fast path renders what the band-by-band path renders, within −120 dBFS (it does not
/// round between sections), at every host block size, through glides and crossfades and back.
#[test]
fn fast_path_renders_the_band_by_band_path() {
    let sr = 48_000.0;
    let (a, b) = fast_settings();
    let len = 40_000;
    let mut xl = pink_noise(len, 0.3, 5);
    let mut xr = white_noise(len, 0.3, 6);
    // A silent tail: the faster sections' states decay through the flush threshold.
    for x in xl[30_000..].iter_mut().chain(xr[30_000..].iter_mut()) {
        *x = 0.0;
    }
    // The settings change to `b` at 8192 (glides and fades), in blocks of `block`.
    let run = |settings: &EqSettings, input: &[Vec<f32>], block: usize, fast: bool| {
        let mut eq = chain_on_path(sr, input.len(), settings, fast);
        let mut x = input.to_vec();
        let mut pos = 0;
        while pos < len {
            if pos == 8192 {
                eq.set_settings(&b);
            }
            let end = (pos + block)
                .min(len)
                .min(if pos < 8192 { 8192 } else { usize::MAX });
            let mut chans: Vec<&mut [f32]> = x.iter_mut().map(|c| &mut c[pos..end]).collect();
            eq.process(&mut chans);
            pos = end;
        }
        (x, eq)
    };
    let stereo = [xl.clone(), xr.clone()];
    let reference = run(&a, &stereo, 512, false).0;
    assert_ne!(reference[0], xl);
    for block in [512, 1, 37, 1024, 3000] {
        let (got, mut eq) = run(&a, &stereo, block, true);
        let diff = max_diff_dbfs(&reference, &got);
        assert!(diff <= PATHS_WITHIN_DBFS, "block {block}: {diff:.1} dBFS");
        // Once the glides and fades are over, the fast path runs again (so the comparison
        // above covered it after the change too, not the band-by-band path twice).
        let (mut l, mut r) = (vec![0.0f32; 64], vec![0.0f32; 64]);
        assert_eq!(
            eq.process_block_fast(&mut l, Some(&mut r)),
            eq.bank.is_vectorized(),
            "block {block}: the fast path did not resume"
        );
    }
    // Mono: every band but the side-placed ones filters the one channel.
    let mut mono_settings = a;
    mono_settings.bands[2].placement = Placement::Side;
    mono_settings.bands[4].placement = Placement::Mid;
    let mono = [xl.clone()];
    let mono_reference = run(&mono_settings, &mono, 512, false).0;
    assert_ne!(mono_reference[0], xl);
    for block in [512, 1, 37, 3000] {
        let diff = max_diff_dbfs(&mono_reference, &run(&mono_settings, &mono, block, true).0);
        assert!(
            diff <= PATHS_WITHIN_DBFS,
            "mono, block {block}: {diff:.1} dBFS"
        );
    }
    // The fast path really runs for these settings (where the CPU has AVX).
    let mut eq = chain(sr, 2, &a);
    let (mut l, mut r) = (xl[..256].to_vec(), xr[..256].to_vec());
    assert_eq!(
        eq.process_block_fast(&mut l, Some(&mut r)),
        eq.bank.is_vectorized()
    );
    // And not while a band glides, or for non-finite or huge input.
    let mut gliding = chain(sr, 2, &a);
    gliding.set_settings(&b);
    assert!(!gliding.process_block_fast(&mut l, Some(&mut r)));
    l[3] = f32::NAN;
    assert!(!eq.process_block_fast(&mut l, Some(&mut r)));
    l[3] = 1e7;
    assert!(!eq.process_block_fast(&mut l, Some(&mut r)));
}

/// Automation: every band's gain, frequency and Q moved at every host block (each glides)
/// keeps the fast path, which renders what the band-by-band path renders within −120 dBFS,
/// stereo and mono, at any host block size.
#[test]
fn gliding_bands_keep_the_fast_path() {
    let sr = 48_000.0;
    let (a, _) = fast_settings();
    let len = 30_000;
    let xl = pink_noise(len, 0.3, 7);
    let xr = white_noise(len, 0.3, 8);
    let at = |base: &EqSettings, t: usize| {
        let mut s = *base;
        for (k, b) in s.bands.iter_mut().enumerate() {
            let ph = (t as f32 / 2000.0 + k as f32).sin();
            b.gain_db += 3.0 * ph;
            b.freq_hz *= 2f32.powf(ph / 3.0);
            b.q *= 2f32.powf(0.5 * ph);
        }
        s
    };
    let run = |settings: &EqSettings, input: &[Vec<f32>], block: usize, fast: bool| {
        let mut eq = chain_on_path(sr, input.len(), settings, fast);
        let mut x = input.to_vec();
        let mut pos = 0;
        while pos < len {
            eq.set_settings(&at(settings, pos));
            let end = (pos + block).min(len);
            let mut chans: Vec<&mut [f32]> = x.iter_mut().map(|c| &mut c[pos..end]).collect();
            eq.process(&mut chans);
            pos = end;
        }
        x
    };
    // (The lane is read at each block's start, so each block size has its own reference.)
    let stereo = [xl.clone(), xr.clone()];
    for block in [64, 1, 37, 512, 3000] {
        let diff = max_diff_dbfs(
            &run(&a, &stereo, block, false),
            &run(&a, &stereo, block, true),
        );
        assert!(diff <= PATHS_WITHIN_DBFS, "block {block}: {diff:.1} dBFS");
    }
    // A gliding chain really takes the fast path (where the CPU has AVX).
    let mut eq = chain(sr, 2, &a);
    eq.set_settings(&at(&a, 5000));
    assert!(eq.bands.iter().all(|b| b.cascade.is_gliding()));
    let (mut l, mut r) = (xl[..256].to_vec(), xr[..256].to_vec());
    assert_eq!(
        eq.process_block_fast(&mut l, Some(&mut r)),
        eq.bank.is_vectorized()
    );
    let mut mono_settings = a;
    mono_settings.bands[2].placement = Placement::Side;
    mono_settings.bands[4].placement = Placement::Mid;
    let mono = [xl.clone()];
    for block in [64, 1, 37, 3000] {
        let diff = max_diff_dbfs(
            &run(&mono_settings, &mono, block, false),
            &run(&mono_settings, &mono, block, true),
        );
        assert!(
            diff <= PATHS_WITHIN_DBFS,
            "mono, block {block}: {diff:.1} dBFS"
        );
    }
}

/// Automation of bands whose control clocks are out of step (switched on at different samples),
/// in host calls long enough for the fast path to plan several stretches each (up to eight
/// 48 dB/oct cuts' sections of updates per control period, so a stretch of a few periods),
/// short and odd ones between: still what the band-by-band path renders, within −120 dBFS.
#[test]
fn out_of_step_glides_over_many_stretches_render_the_band_by_band_path() {
    let sr = 48_000.0;
    let mut a = EqSettings::default();
    for (i, b) in a.bands.iter_mut().enumerate() {
        *b = match i % 4 {
            0 => one_band(EqBandType::LowCut, 25.0 + i as f32, 0.0, 0.7, 48.0).bands[2],
            1 => one_band(EqBandType::HighCut, 17_000.0 - i as f32, 0.0, 0.7, 48.0).bands[2],
            2 => one_band(EqBandType::Bell, 300.0 * (i + 1) as f32, 4.0, 1.5, 12.0).bands[2],
            _ => one_band(EqBandType::LowShelf, 120.0, -3.0, 0.7, 12.0).bands[2],
        };
    }
    a.bands[2].placement = Placement::Mid;
    a.bands[5].placement = Placement::Side;
    a.bands[6].placement = Placement::Left;
    let len = 40_000;
    let xl = pink_noise(len, 0.3, 21);
    let xr = white_noise(len, 0.3, 22);
    // Bands 1, 3, 4 and 6 come on at odd samples, so each counts its control periods from
    // its own start.
    let settings_at = |pos: usize| {
        let mut s = a;
        for (k, b) in s.bands.iter_mut().enumerate() {
            let on_at = [0, 1_003, 0, 2_011, 3_017, 0, 4_021, 0][k];
            b.enabled = pos >= on_at;
            let ph = (pos as f32 / 3000.0 + k as f32).sin();
            b.freq_hz *= 2f32.powf(ph / 2.0);
            b.gain_db += 2.0 * ph;
            b.q *= 2f32.powf(0.3 * ph);
        }
        s
    };
    let blocks = [3000, 17, 2048, 1, 640, 4096, 33];
    let run = |channels: usize, fast: bool| {
        let config = ProcessorConfig::new(sr, 4096, channels).unwrap();
        let mut eq = EqChain::new(config, &settings_at(0)).unwrap();
        if !fast {
            *eq.bank = StereoBank::with_kernel(BankKernel::Scalar).unwrap();
        }
        let mut x = [xl.clone(), xr.clone()];
        // Long blocks the fast path took with the gliding bands' clocks out of step.
        let (mut pos, mut k, mut out_of_step) = (0, 0, 0);
        while pos < len {
            // A block boundary falls on the switch-ons, as a host's automation splits blocks.
            let next_on = [1_003, 2_011, 3_017, 4_021]
                .into_iter()
                .find(|&p| p > pos)
                .unwrap_or(usize::MAX);
            let end = (pos + blocks[k % blocks.len()]).min(len).min(next_on);
            eq.set_settings(&settings_at(pos));
            let phases: Vec<usize> = eq
                .bands
                .iter()
                .filter(|b| b.cascade.is_gliding())
                .map(|b| b.cascade.samples_to_tick())
                .collect();
            let [l, r] = &mut x;
            if fast && end - pos >= 2048 && phases.iter().any(|&p| p != phases[0]) {
                let mut probe = eq.clone();
                let (mut pl, mut pr) = (l[pos..end].to_vec(), r[pos..end].to_vec());
                let pr = (channels == 2).then_some(&mut pr[..]);
                out_of_step += usize::from(probe.process_block_fast(&mut pl[..], pr));
            }
            if channels == 2 {
                eq.process(&mut [&mut l[pos..end], &mut r[pos..end]]);
            } else {
                eq.process(&mut [&mut l[pos..end]]);
            }
            (pos, k) = (end, k + 1);
        }
        if fast && eq.bank.is_vectorized() {
            assert!(
                out_of_step >= 3,
                "{out_of_step} long out-of-step blocks on the fast path"
            );
        }
        x[..channels].to_vec()
    };
    for channels in [2, 1] {
        let diff = max_diff_dbfs(&run(channels, false), &run(channels, true));
        assert!(
            diff <= PATHS_WITHIN_DBFS,
            "{channels} channel(s): {diff:.1} dBFS"
        );
    }
}

/// Automation designs its gliding bells with vector polynomials instead of libm's functions
/// ([`crate::filters::design::glide_bells`]): the render stays within −120 dBFS of what the
/// libm design gives, on both paths, at 44.1 and 48 kHz, with every band's gain, frequency
/// and Q moving (12 dB of boost at the lows included) at host blocks of 64 and 1024.
#[test]
fn automated_bells_render_within_minus_120_dbfs_of_the_libm_design() {
    use crate::filters::design::EXACT_GLIDE_BELLS;
    let mut a = EqSettings::default();
    let freqs = [40.0, 100.0, 250.0, 600.0, 1500.0, 3500.0, 8000.0, 15000.0];
    for (i, (b, f)) in a.bands.iter_mut().zip(freqs).enumerate() {
        b.enabled = true;
        b.kind = EqBandType::Bell;
        b.freq_hz = f;
        b.gain_db = if i % 2 == 0 { 4.0 } else { -5.0 };
        b.q = [0.7, 2.0, 4.0, 1.0][i % 4];
    }
    a.bands[3].placement = Placement::Mid;
    a.bands[4].placement = Placement::Side;
    let len = 48_000;
    let xl = pink_noise(len, 0.5, 17);
    let xr = white_noise(len, 0.5, 18);
    let mut worst = 0.0f32;
    for sr in [44_100.0, 48_000.0] {
        for (block, fast) in [(64, true), (1024, true), (1024, false)] {
            let run = |exact: bool| {
                EXACT_GLIDE_BELLS.with(|e| e.set(exact));
                let mut eq = chain_on_path(sr, 2, &a, fast);
                let mut x = [xl.clone(), xr.clone()];
                let mut pos = 0;
                while pos < len {
                    let mut s = a;
                    let t = pos as f32 / sr;
                    for (k, b) in s.bands.iter_mut().enumerate() {
                        let ph = (std::f32::consts::TAU * 0.7 * t + k as f32).sin();
                        b.gain_db = (b.gain_db + 6.0 * ph + if k == 0 { 6.0 } else { 0.0 })
                            .clamp(-24.0, 24.0);
                        b.freq_hz *= 2f32.powf(ph);
                        b.q *= 2f32.powf(0.5 * ph);
                    }
                    eq.set_settings(&s);
                    let end = (pos + block).min(len);
                    let [l, r] = &mut x;
                    eq.process(&mut [&mut l[pos..end], &mut r[pos..end]]);
                    pos = end;
                }
                EXACT_GLIDE_BELLS.with(|e| e.set(false));
                x
            };
            let (poly, exact) = (run(false), run(true));
            assert!(poly != exact, "the two designs should differ somewhere");
            for (p, e) in poly.iter().zip(&exact) {
                for (p, e) in p.iter().zip(e) {
                    worst = worst.max((p - e).abs());
                }
            }
        }
    }
    eprintln!(
        "automated bells, vector vs libm design: {:.1} dBFS",
        20.0 * worst.log10()
    );
    assert!(worst < 1e-6, "{worst} apart");
}

/// The largest bank the EQ builds — eight 48 dB/oct cuts (four sections each), the last
/// one mid-placed (one more section for the final decode) — still takes the fast path.
#[test]
fn eight_steepest_cuts_ending_in_mid_take_the_fast_path() {
    let mut s = EqSettings::default();
    for (i, b) in s.bands.iter_mut().enumerate() {
        let kind = if i % 2 == 0 {
            EqBandType::LowCut
        } else {
            EqBandType::HighCut
        };
        let freq = if i % 2 == 0 {
            20.0 + i as f32
        } else {
            18_000.0 - i as f32
        };
        *b = one_band(kind, freq, 0.0, 0.7, 48.0).bands[2];
    }
    s.bands[7].placement = Placement::Mid;
    let mut eq = chain(48_000.0, 2, &s);
    let (mut l, mut r) = (pink_noise(256, 0.3, 1), pink_noise(256, 0.3, 2));
    assert_eq!(
        eq.process_block_fast(&mut l, Some(&mut r)),
        eq.bank.is_vectorized()
    );
    assert!(eq.bank.len() > 32, "{} sections", eq.bank.len());
}

#[test]
fn setting_changes_are_click_free() {
    let sr = 48_000.0;
    let x = crate::testsignals::sine(48_000, 200.0, 0.5, sr as f64);
    let max_step = |y: &[f32]| {
        y.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    };
    let dry_step = max_step(&x);
    let mut s = EqSettings::default();
    let mut eq = chain(sr, 1, &s);
    let mut y = x.clone();
    for (i, block) in y.chunks_mut(256).enumerate() {
        match i {
            20 => s.bands[0] = one_band(EqBandType::LowCut, 1000.0, 0.0, 0.7, 48.0).bands[2],
            60 => s.bands[0].kind = EqBandType::Notch,
            100 => s.bands[0].enabled = false,
            120 => s.out_gain_db = -12.0,
            _ => {}
        }
        eq.set_settings(&s);
        eq.process(&mut [block]);
    }
    assert!(
        max_step(&y) < 1.5 * dry_step,
        "{} vs {}",
        max_step(&y),
        dry_step
    );
}

#[test]
fn non_finite_input_gives_finite_output() {
    let (a, _) = busy_settings();
    let mut eq = chain(44_100.0, 2, &a);
    let mut l = pink_noise(4000, 0.3, 3);
    let mut r = l.clone();
    l[100] = f32::NAN;
    r[200] = f32::INFINITY;
    l[300] = f32::NEG_INFINITY;
    r[1000] = 3e38;
    eq.process(&mut [&mut l, &mut r]);
    assert!(l.iter().chain(&r).all(|v| v.is_finite()));
    assert!(l[3000..].iter().any(|v| *v != 0.0));
    let mut extra = vec![f32::NAN; 10];
    let mut m = vec![f32::NAN; 10];
    let mut n = vec![0.1f32; 10];
    eq.process(&mut [&mut m, &mut n, &mut extra]);
    assert!(m.iter().chain(&n).chain(&extra).all(|v| v.is_finite()));
    assert_eq!(eq.latency_samples(), 0);
}

#[test]
fn settings_param_map_round_trip() {
    let (mut s, _) = busy_settings();
    s.bands[7] = one_band(EqBandType::Tilt, 900.0, -3.25, 2.5, 30.0).bands[2];
    s.bands[7].placement = Placement::Right;
    let map = EqChain::param_map(&s);
    assert_eq!(map.len(), NUM_BANDS * 7 + 1);
    assert_eq!(
        map.keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        PARAMS.iter().map(|p| p.id.to_string()).collect()
    );
    // The table's IDs are the scheme's, in its order.
    for (i, p) in PARAMS[..NUM_BANDS * 7].iter().enumerate() {
        assert_eq!(
            p.id,
            format!("b{}_{}", i / 7 + 1, BandParam::ALL[i % 7].suffix())
        );
        assert_eq!(p.id, band_param_id(i / 7 + 1, BandParam::ALL[i % 7]));
    }
    assert_eq!(PARAMS[NUM_BANDS * 7].id, OUT_GAIN_ID);
    assert_eq!(map["b8_type"], 7.0);
    assert_eq!(map["b8_place"], 4.0);
    assert_eq!(map["b1_on"], 1.0);
    assert_eq!(map["b3_on"], 0.0);
    assert_eq!(EqChain::from_param_map(&map), s);
    assert_eq!(EqChain::param(&s, "b2_freq"), Some(300.0));
    assert_eq!(EqChain::param(&s, "nope"), None);
    // Serde too.
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<EqSettings>(&json).unwrap(), s);
    // The output gain's earlier field name still loads.
    let old = r#"{"output_gain_db": -4.5}"#;
    assert_eq!(
        serde_json::from_str::<EqSettings>(old).unwrap().out_gain_db,
        -4.5
    );
    // Neutral values and IDs.
    assert_eq!(EqChain::neutral_value("b3_gain"), Some(0.0));
    assert_eq!(EqChain::neutral_value("out_gain"), Some(0.0));
    assert_eq!(EqChain::neutral_value("b3_freq"), None);
    assert_eq!(EqChain::param_index("b8_place"), Some(7 * 7 + 6));
    for id in ["b9_gain", "b0_gain", "b01_gain"] {
        assert_eq!(EqChain::param_index(id), None, "{id}");
    }
    // Out-of-range values are clamped.
    let mut m = std::collections::BTreeMap::new();
    m.insert("b1_freq".to_string(), 1e6);
    m.insert("b1_gain".to_string(), f32::NAN);
    m.insert("b1_type".to_string(), 42.0);
    let c = EqChain::from_param_map(&m);
    assert_eq!(c.bands[0].freq_hz, MAX_FREQ_HZ);
    assert_eq!(c.bands[0].gain_db, 0.0);
    assert_eq!(c.bands[0].kind, EqBandType::Tilt);
    let d = EqSettings::default();
    assert!(d
        .bands
        .iter()
        .all(|b| !b.enabled && b.kind == EqBandType::Bell && b.q == 0.7));
    assert_eq!(d.bands[3].freq_hz, 1000.0);
}

#[test]
fn config_and_sample_rate_changes() {
    let s = one_band(EqBandType::Bell, 30_000.0, 6.0, 1.0, 12.0);
    assert!(EqChain::new(ProcessorConfig::new(48_000.0, 64, 3).unwrap(), &s).is_err());
    let mut eq = chain(48_000.0, 2, &s);
    assert!(eq.set_sample_rate(1.0).is_err());
    eq.set_sample_rate(22_050.0).unwrap();
    // Clamped below Nyquist, still finite.
    let v = eq.magnitude_db(Placement::Stereo, 10_000.0);
    assert!(v.is_finite() && v > 1.0, "{v}");
    let mut x = pink_noise(2048, 0.1, 4);
    eq.process(&mut [&mut x]);
    assert!(x.iter().all(|v| v.is_finite()));
}
