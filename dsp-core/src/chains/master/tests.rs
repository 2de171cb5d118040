use super::*;
use crate::chains::Chain;
use crate::loudness::measure;
use crate::testsignals::{pink_noise, white_noise};

fn chain(sr: f32, channels: usize, s: &MasterSettings) -> MasterChain {
    MasterChain::new(ProcessorConfig::new(sr, 512, channels).unwrap(), s).unwrap()
}

fn true_peak_dbtp(chans: &[&[f32]], sr: f32) -> f64 {
    measure(chans, sr).unwrap().true_peak_dbtp.unwrap()
}

#[test]
fn param_map_round_trip_ranges_and_neutral_values() {
    let d = MasterSettings::default();
    assert_eq!(d.ls_freq_hz, 100.0);
    assert_eq!(d.hs_freq_hz, 8000.0);
    assert_eq!(d.width_pct, 100.0);
    assert_eq!(d.lim_ceiling_dbtp, -1.0);
    assert_eq!(d.lim_oversampling, 2);
    assert_eq!(d.oversampling_factor(), OversamplingFactor::X4);
    assert_eq!(d.dither, Dither::Off);
    assert!(!d.glue_on);
    let map = MasterChain::param_map(&d);
    assert_eq!(map.len(), PARAMS.len());
    for p in PARAMS {
        assert!(map.contains_key(p.id), "{}", p.id);
    }
    assert_eq!(MasterChain::from_param_map(&map), d);

    let mut s = d;
    s.ls_gain_db = -2.5;
    s.bell2_place = Placement::Side;
    s.glue_on = true;
    s.glue_threshold_db = -22.0;
    s.width_pct = 120.0;
    s.mono_below_hz = 110.0;
    s.lim_drive_db = 7.5;
    s.lim_oversampling = 3;
    s.dither = Dither::Bits16;
    let map = MasterChain::param_map(&s);
    assert_eq!(map["bell2_place"], 2.0);
    assert_eq!(map["glue_on"], 1.0);
    assert_eq!(map["lim_oversampling"], 3.0);
    assert_eq!(map["dither"], 1.0);
    assert_eq!(MasterChain::from_param_map(&map), s);
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<MasterSettings>(&json).unwrap(), s);

    // Clamping, NaN → default, unknown IDs.
    let mut c = MasterSettings::default();
    assert!(MasterChain::set_param(&mut c, "lim_ceiling", 3.0));
    assert_eq!(c.lim_ceiling_dbtp, -0.1);
    assert!(MasterChain::set_param(&mut c, "lim_drive", f32::NAN));
    assert_eq!(c.lim_drive_db, 0.0);
    assert!(MasterChain::set_param(&mut c, "ls_place", 4.0));
    assert_eq!(c.ls_place, Placement::Side);
    assert!(MasterChain::set_param(&mut c, "bell1_q", 0.01));
    assert_eq!(c.bell1_q, 0.3);
    assert!(!MasterChain::set_param(&mut c, "nope", 1.0));
    assert_eq!(MasterChain::param(&c, "nope"), None);

    assert_eq!(MasterChain::neutral_value("ls_gain"), Some(0.0));
    assert_eq!(MasterChain::neutral_value("width"), Some(100.0));
    assert_eq!(MasterChain::neutral_value("lim_drive"), Some(0.0));
    assert_eq!(MasterChain::neutral_value("glue_on"), Some(0.0));
    assert_eq!(MasterChain::neutral_value("lim_ceiling"), None);
    assert_eq!(MasterChain::neutral_value("bell1_freq"), None);
}

/// Index of the largest |sample|.
fn argmax_abs(x: &[f32]) -> usize {
    x.iter()
        .enumerate()
        .fold((0, 0.0f32), |(bi, bv), (i, v)| {
            if v.abs() > bv {
                (i, v.abs())
            } else {
                (bi, bv)
            }
        })
        .0
}

#[test]
fn reported_latency_equals_impulse_delay_and_never_changes() {
    for sr in [44_100.0f32, 48_000.0, 96_000.0] {
        let expected = MasterChain::latency_for_rate(sr);
        for la in [1.0f32, 5.0] {
            for os in [0usize, 2, 3] {
                for glue in [false, true] {
                    let s = MasterSettings {
                        lim_lookahead_ms: la,
                        lim_oversampling: os,
                        glue_on: glue,
                        ..Default::default()
                    };
                    let mut c = chain(sr, 2, &s);
                    assert_eq!(c.latency_samples(), expected, "{sr} {la} {os} {glue}");
                    let n = expected + 2000;
                    let mut l = vec![0.0f32; n];
                    l[300] = 0.5;
                    let mut r = l.clone();
                    c.process(&mut [&mut l, &mut r]);
                    assert_eq!(argmax_abs(&l) - 300, expected, "{sr} {la} {os} {glue}");
                    assert_eq!(argmax_abs(&r) - 300, expected);
                }
            }
        }
        // Changing settings at run time never changes the latency.
        let mut c = chain(sr, 2, &MasterSettings::default());
        for os in [0usize, 3, 1] {
            c.set_settings(&MasterSettings {
                lim_oversampling: os,
                lim_lookahead_ms: 1.0,
                glue_on: true,
                ..Default::default()
            });
            assert_eq!(c.latency_samples(), expected);
        }
    }
}

fn square(n: usize, freq_hz: f32, amp: f32, sr: f32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            if ((i as f32 * freq_hz / sr) % 1.0) < 0.5 {
                amp
            } else {
                -amp
            }
        })
        .collect()
}

#[test]
fn ceiling_holds_under_20_db_drive_on_noise_and_square() {
    let sr = 48_000.0;
    let n = 48_000;
    for os in [2usize, 3] {
        for ceiling in [-1.0f32, -0.1] {
            let s = MasterSettings {
                lim_drive_db: 20.0,
                lim_ceiling_dbtp: ceiling,
                lim_oversampling: os,
                ..Default::default()
            };
            let signals: [(Vec<f32>, Vec<f32>); 2] = [
                (white_noise(n, 1.0, 1), white_noise(n, 1.0, 2)),
                (square(n, 441.0, 1.0, sr), square(n, 441.0, 1.0, sr)),
            ];
            for (l0, r0) in signals {
                let mut c = chain(sr, 2, &s);
                let (mut l, mut r) = (l0.clone(), r0.clone());
                c.process(&mut [&mut l, &mut r]);
                let tp = true_peak_dbtp(&[&l, &r], sr);
                assert!(
                    tp <= ceiling as f64 + 1e-3,
                    "os {os} ceiling {ceiling}: true peak {tp:.3} dBTP"
                );
                assert!(c.limiter_gain_reduction_db() > 10.0);
            }
        }
    }
}

#[test]
fn non_finite_input_gives_finite_output_and_mono_works() {
    let s = MasterSettings {
        glue_on: true,
        ls_gain_db: 3.0,
        bell1_gain_db: -2.0,
        bell1_place: Placement::Side,
        width_pct: 150.0,
        mono_below_hz: 120.0,
        lim_drive_db: 10.0,
        dither: Dither::Bits16,
        ..Default::default()
    };
    for channels in [1usize, 2] {
        let mut c = chain(44_100.0, channels, &s);
        let mut bufs: Vec<Vec<f32>> = (0..channels)
            .map(|i| pink_noise(20_000, 0.2, i as u64 + 3))
            .collect();
        bufs[0][100] = f32::NAN;
        bufs[0][2000] = f32::INFINITY;
        bufs[channels - 1][5000] = f32::NEG_INFINITY;
        bufs[0][7000] = 3e38;
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        c.process(&mut refs);
        assert!(bufs.iter().flatten().all(|v| v.is_finite()));
        assert!(bufs[0][15_000..].iter().any(|v| *v != 0.0));
        // Extra slices are silenced, the chain survives them.
        let mut a = vec![0.1f32; 64];
        let mut b = vec![0.1f32; 64];
        let mut e = vec![f32::NAN; 64];
        c.process(&mut [&mut a, &mut b, &mut e]);
        assert!(e.iter().all(|v| *v == 0.0));
    }
    // Mono: the limiter holds, side EQ/width do nothing.
    let sr = 48_000.0;
    let x = pink_noise(48_000, 0.3, 9);
    let mono = MasterChain::render(
        &MasterSettings {
            lim_drive_db: 12.0,
            width_pct: 0.0,
            ..Default::default()
        },
        &[&x],
        sr,
    )
    .unwrap();
    let plain = MasterChain::render(
        &MasterSettings {
            lim_drive_db: 12.0,
            ..Default::default()
        },
        &[&x],
        sr,
    )
    .unwrap();
    assert_eq!(mono, plain);
    let tp = true_peak_dbtp(&[&mono[0]], sr);
    assert!(tp <= -1.0 + 1e-3, "{tp}");
}

#[test]
fn width_and_mono_below() {
    let sr = 48_000.0;
    let n = 48_000;
    let l0 = pink_noise(n, 0.1, 1);
    let r0 = pink_noise(n, 0.1, 2);
    // Width 0 → mono.
    let out = MasterChain::render(
        &MasterSettings {
            width_pct: 0.0,
            ..Default::default()
        },
        &[&l0, &r0],
        sr,
    )
    .unwrap();
    let max_diff = out[0]
        .iter()
        .zip(&out[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(max_diff < 1e-6, "{max_diff}");
    // Mono below 150 Hz: side energy below 60 Hz drops by > 20 dB, above 1 kHz unchanged.
    let out = MasterChain::render(
        &MasterSettings {
            mono_below_hz: 150.0,
            ..Default::default()
        },
        &[&l0, &r0],
        sr,
    )
    .unwrap();
    let ratio = |l: &[f32], r: &[f32], lo: f32, hi: f32| {
        crate::analysis::features::side_mid_ratio_db(l, r, sr, &[(lo, hi)]).unwrap()[0]
            .side_to_mid_db
            .unwrap()
    };
    let before_low = ratio(&l0, &r0, 20.0, 60.0);
    let after_low = ratio(&out[0], &out[1], 20.0, 60.0);
    assert!(after_low < before_low - 20.0, "{before_low} → {after_low}");
    let before_hi = ratio(&l0, &r0, 1000.0, 10_000.0);
    let after_hi = ratio(&out[0], &out[1], 1000.0, 10_000.0);
    assert!(
        (after_hi - before_hi).abs() < 0.5,
        "{before_hi} → {after_hi}"
    );
    // Width 200 %: side +6 dB relative to mid.
    let out = MasterChain::render(
        &MasterSettings {
            width_pct: 200.0,
            ..Default::default()
        },
        &[&l0, &r0],
        sr,
    )
    .unwrap();
    let after = ratio(&out[0], &out[1], 100.0, 10_000.0);
    let before = ratio(&l0, &r0, 100.0, 10_000.0);
    assert!((after - before - 6.02).abs() < 0.3, "{before} → {after}");
}

#[test]
fn tonal_eq_and_glue_act() {
    let sr = 48_000.0;
    let s = MasterSettings {
        hs_gain_db: 4.0,
        tilt_gain_db: 2.0,
        ..Default::default()
    };
    let eq = s.eq_settings();
    let hf = eq.magnitude_db(16_000.0, sr as f64);
    let lf = eq.magnitude_db(50.0, sr as f64);
    assert!(hf > 4.5 && lf < -0.5, "{hf} {lf}");
    // Glue: a loud signal gets gain reduction, metered.
    let x = pink_noise(48_000, 0.25, 4);
    let mut c = chain(
        sr,
        2,
        &MasterSettings {
            glue_on: true,
            glue_threshold_db: -30.0,
            glue_ratio: 4.0,
            ..Default::default()
        },
    );
    let (mut l, mut r) = (x.clone(), x.clone());
    c.process(&mut [&mut l, &mut r]);
    assert!(c.glue_gain_reduction_db() > 3.0);
    c.set_settings(&MasterSettings::default());
    assert_eq!(c.glue_gain_reduction_db(), 0.0);
}

#[test]
fn run_time_changes_are_safe_and_settle() {
    let sr = 48_000.0;
    let x = crate::testsignals::sine(96_000, 220.0, 0.5, sr as f64);
    let mut c = chain(sr, 2, &MasterSettings::default());
    let (mut l, mut r) = (x.clone(), x.clone());
    let mut s = MasterSettings::default();
    for (i, (bl, br)) in l.chunks_mut(256).zip(r.chunks_mut(256)).enumerate() {
        match i {
            20 => s.lim_oversampling = 3,
            40 => s.glue_on = true,
            60 => s.lim_oversampling = 0,
            61 => s.lim_oversampling = 1,
            80 => s.mono_below_hz = 120.0,
            100 => s.width_pct = 50.0,
            120 => s.ls_gain_db = 3.0,
            140 => s.lim_drive_db = 6.0,
            160 => s.glue_on = false,
            _ => {}
        }
        c.set_settings(&s);
        c.process(&mut [bl, br]);
    }
    assert!(l.iter().chain(&r).all(|v| v.is_finite()));
    // No dropouts or bursts: a 220 Hz sine's sample-to-sample step stays bounded.
    let max_step = l
        .windows(2)
        .skip(MasterChain::latency_for_rate(sr) + 10)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(max_step < 0.2, "{max_step}");
    assert_eq!(c.latency_samples(), MasterChain::latency_for_rate(sr));
    // Sample-rate change.
    assert!(c.set_sample_rate(1.0).is_err());
    c.set_sample_rate(96_000.0).unwrap();
    assert_eq!(c.latency_samples(), MasterChain::latency_for_rate(96_000.0));
    assert!(MasterChain::new(ProcessorConfig::new(sr, 64, 3).unwrap(), &s).is_err());
}

#[test]
fn dither_quantises_to_the_word_length() {
    let sr = 44_100.0;
    let x = pink_noise(10_000, 0.1, 5);
    let out = MasterChain::render(
        &MasterSettings {
            dither: Dither::Bits16,
            ..Default::default()
        },
        &[&x],
        sr,
    )
    .unwrap();
    let q = 1.0 / 32768.0;
    assert!(out[0]
        .iter()
        .all(|v| ((v / q) - (v / q).round()).abs() < 1e-3));
    let err: f32 = out[0][..9000]
        .iter()
        .zip(&x)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(err <= 2.0 * q, "{err}");
}

/// Every parameter's field, written out by ID independently of the index table in
/// `master.rs`, so the test below checks the table's order and pairing.
fn reference_param(s: &MasterSettings, id: &str) -> Option<f32> {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    let place_index = |p: Placement| match p {
        Placement::Mid => 1.0,
        Placement::Side => 2.0,
        _ => 0.0,
    };
    Some(match id {
        "in_gain" => s.in_gain_db,
        "ls_gain" => s.ls_gain_db,
        "ls_freq" => s.ls_freq_hz,
        "ls_place" => place_index(s.ls_place),
        "hs_gain" => s.hs_gain_db,
        "hs_freq" => s.hs_freq_hz,
        "hs_place" => place_index(s.hs_place),
        "tilt_gain" => s.tilt_gain_db,
        "tilt_place" => place_index(s.tilt_place),
        "bell1_gain" => s.bell1_gain_db,
        "bell1_freq" => s.bell1_freq_hz,
        "bell1_q" => s.bell1_q,
        "bell1_place" => place_index(s.bell1_place),
        "bell2_gain" => s.bell2_gain_db,
        "bell2_freq" => s.bell2_freq_hz,
        "bell2_q" => s.bell2_q,
        "bell2_place" => place_index(s.bell2_place),
        "glue_on" => b(s.glue_on),
        "glue_threshold" => s.glue_threshold_db,
        "glue_ratio" => s.glue_ratio,
        "glue_attack" => s.glue_attack_ms,
        "glue_release" => s.glue_release_ms,
        "glue_auto_release" => b(s.glue_auto_release),
        "glue_makeup" => s.glue_makeup_db,
        "width" => s.width_pct,
        "mono_below" => s.mono_below_hz,
        "lim_drive" => s.lim_drive_db,
        "lim_ceiling" => s.lim_ceiling_dbtp,
        "lim_release" => s.lim_release_ms,
        "lim_auto_release" => b(s.lim_auto_release),
        "lim_lookahead" => s.lim_lookahead_ms,
        "lim_oversampling" => s.lim_oversampling as f32,
        "dither" => s.dither.index() as f32,
        _ => return None,
    })
}

#[test]
fn each_setter_sets_exactly_its_own_parameter() {
    assert_eq!(FIELDS.len(), PARAMS.len());
    for (i, info) in PARAMS.iter().enumerate() {
        let base = MasterSettings::default();
        // A value other than the default, inside the range (enums/bools: another index).
        let v = if info.default == info.max {
            info.min
        } else {
            info.max
        };
        let mut s = base;
        assert!(s.set_param_at(i, v), "{}", info.id);
        assert_eq!(
            MasterChain::param(&s, info.id),
            Some(info.sanitize(v)),
            "{}",
            info.id
        );
        assert_eq!(
            reference_param(&s, info.id),
            Some(info.sanitize(v)),
            "{}",
            info.id
        );
        for other in PARAMS.iter().filter(|o| o.id != info.id) {
            assert_eq!(
                MasterChain::param(&s, other.id),
                MasterChain::param(&base, other.id),
                "{} touched {}",
                info.id,
                other.id
            );
            assert_eq!(
                reference_param(&s, other.id),
                reference_param(&base, other.id),
                "{} touched {}",
                info.id,
                other.id
            );
        }
        // Sanitising by index: NaN after another value gives the default, as by ID.
        let mut by_index = s;
        by_index.set_param_at(i, f32::NAN);
        assert_eq!(
            MasterChain::param(&by_index, info.id),
            Some(info.default),
            "{}",
            info.id
        );
        let mut by_id = s;
        MasterChain::set_param(&mut by_id, info.id, f32::NAN);
        assert_eq!(by_id, by_index, "{}", info.id);
    }
    assert!(!MasterSettings::default().set_param_at(PARAMS.len(), 0.0));
}

/// A chain whose buffers are sized for its own rate only (how the plugins build theirs) sounds
/// exactly like one sized for 192 kHz, through every oversampling choice, the glue and a moving
/// drive; it refuses a higher rate instead of allocating, and takes a lower one.
#[test]
fn a_chain_fixed_to_its_rate_sounds_the_same() {
    let s = MasterSettings {
        glue_on: true,
        lim_drive_db: 4.0,
        ..MasterSettings::default()
    };
    crate::chains::test_support::a_fixed_rate_chain_sounds_the_same(
        |config| MasterChain::new(config, &s).unwrap(),
        |c, i| {
            c.set_settings(&MasterSettings {
                lim_oversampling: i / 40 % 4,
                lim_drive_db: 4.0 + (i % 7) as f32,
                ..s
            })
        },
    );
}

/// The stages before the limiter run once and the limiter stage run after them, in the same
/// blocks, by a chain whose settings differ only from the drive on, give what one chain at
/// those settings gives, bit for bit (mono and stereo, glue, width and dither on, odd blocks);
/// a setting before the limiter changed is told apart.
#[test]
fn the_limiter_stage_after_a_kept_pre_limiter_render_is_the_whole_chain() {
    let sr = 44_100.0;
    let mut first = MasterSettings {
        in_gain_db: -2.0,
        ls_gain_db: 2.5,
        bell1_gain_db: -3.0,
        glue_on: true,
        glue_threshold_db: -24.0,
        width_pct: 120.0,
        mono_below_hz: 90.0,
        lim_drive_db: 6.0,
        ..MasterSettings::default()
    };
    first = first.sanitized();
    let mut second = first;
    second.lim_drive_db = 9.5;
    second.lim_ceiling_dbtp = -1.5;
    second.lim_oversampling = 3;
    second.dither = Dither::Bits16;
    assert!(first.same_before_limiter(&second));
    for channels in [1usize, 2] {
        let input: Vec<Vec<f32>> = (0..channels as u64)
            .map(|c| pink_noise(40_000, 0.3, 5 + c))
            .collect();
        // Feeds `bufs` to `f` in odd blocks.
        let run = |mut bufs: Vec<Vec<f32>>, f: &mut dyn FnMut(&mut [&mut [f32]])| {
            let (mut pos, mut k) = (0, 0);
            while pos < 40_000 {
                let n = [512usize, 77, 1, 300][k % 4].min(40_000 - pos);
                let mut io: Vec<&mut [f32]> =
                    bufs.iter_mut().map(|b| &mut b[pos..pos + n]).collect();
                f(&mut io);
                (pos, k) = (pos + n, k + 1);
            }
            bufs
        };
        let mut whole = chain(sr, channels, &second);
        let want = run(input.clone(), &mut |io| whole.process(io));
        let mut pre = chain(sr, channels, &first);
        let kept = run(input.clone(), &mut |io| pre.process_pre_limiter(io, |_| {}));
        let mut limit = chain(sr, channels, &second);
        let bufs = run(kept.clone(), &mut |io| limit.process_limit_stage(io));
        assert_ne!(
            kept, want,
            "{channels} ch: the limiter stage does something"
        );
        for (g, w) in bufs.iter().zip(&want) {
            assert!(
                g.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{channels} ch"
            );
        }
    }
    for change in [
        |s: &mut MasterSettings| s.in_gain_db = -1.0,
        |s: &mut MasterSettings| s.glue_threshold_db = -20.0,
        |s: &mut MasterSettings| s.width_pct = 100.0,
        |s: &mut MasterSettings| s.hs_gain_db = 1.0,
    ] {
        let mut other = second;
        change(&mut other);
        assert!(!first.same_before_limiter(&other), "{other:?}");
    }
}
