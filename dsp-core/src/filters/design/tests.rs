use super::*;
use crate::filters::{analog_magnitude_db, BiquadCoefs, Complex, BUTTERWORTH_Q, MAX_SECTIONS};

const RATES: [f64; 4] = [44_100.0, 48_000.0, 96_000.0, 192_000.0];

/// Log-spaced frequencies from `lo` to `hi` (Hz), `per_oct` per octave.
fn sweep(lo: f64, hi: f64, per_oct: usize) -> Vec<f64> {
    let n = ((hi / lo).log2() * per_oct as f64).ceil() as usize;
    (0..=n)
        .map(|i| lo * (hi / lo).powf(i as f64 / n as f64))
        .collect()
}

/// The frequencies (Hz) below and above f0 where the analog prototype is at half the gain (dB).
fn half_gain_points(spec: &FilterSpec) -> (f64, f64) {
    let half = spec.gain_db / 2.0;
    let f0 = spec.freq_hz;
    let find = |mut lo: f64, mut hi: f64| {
        let sign_lo = (analog_magnitude_db(spec, lo) - half).signum();
        for _ in 0..200 {
            let mid = (lo * hi).sqrt();
            if (analog_magnitude_db(spec, mid) - half).signum() == sign_lo {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo * hi).sqrt()
    };
    (find(f0 / 1000.0, f0), find(f0, f0 * 1000.0))
}

/// RBJ's cookbook bell (plain bilinear transform), to show what the bandwidth test catches.
fn rbj_bilinear_bell(f0: f64, gain_db: f64, q: f64, fs: f64) -> BiquadCoefs {
    let a = 10f64.powf(gain_db / 40.0);
    let w0 = 2.0 * PI * f0 / fs;
    let alpha = w0.sin() / (2.0 * q);
    let a0 = 1.0 + alpha / a;
    BiquadCoefs {
        b0: (1.0 + alpha * a) / a0,
        b1: -2.0 * w0.cos() / a0,
        b2: (1.0 - alpha * a) / a0,
        a1: -2.0 * w0.cos() / a0,
        a2: (1.0 - alpha / a) / a0,
    }
}

#[test]
fn bell_gain_at_f0_and_flat_two_octaves_away_at_all_rates() {
    let q = 3.0;
    for gain_db in [6.0, -6.0] {
        // The analog prototype itself is within 0.1 dB of flat two octaves away at Q = 3.
        let proto = FilterSpec::bell(1000.0, gain_db, q);
        assert!(analog_magnitude_db(&proto, 4000.0).abs() < 0.1);
        assert!(analog_magnitude_db(&proto, 250.0).abs() < 0.1);
        for fs in RATES {
            for f0 in [100.0, 1000.0, 4000.0] {
                let c = design(&FilterSpec::bell(f0, gain_db, q), fs);
                let at_f0 = c.magnitude_db(f0, fs);
                assert!(
                    (at_f0 - gain_db).abs() <= 0.05,
                    "fs {fs} f0 {f0} g {gain_db}: {at_f0}"
                );
                for f in [f0 / 4.0, f0 * 4.0] {
                    let m = c.magnitude_db(f, fs);
                    assert!(m.abs() <= 0.1, "fs {fs} f0 {f0} g {gain_db} at {f}: {m}");
                }
            }
        }
    }
}

#[test]
fn bell_near_nyquist_keeps_gain_and_bandwidth() {
    let fs = 44_100.0;
    let mut rbj_worst: f64 = 0.0;
    for q in [0.7, 1.0, 2.0, 3.0, 4.0] {
        for gain_db in [-12.0, -6.0, 6.0, 12.0] {
            let spec = FilterSpec::bell(16_000.0, gain_db, q);
            let c = design(&spec, fs);
            let at_f0 = c.magnitude_db(16_000.0, fs);
            assert!((at_f0 - gain_db).abs() <= 0.1, "q {q} g {gain_db}: {at_f0}");
            let (lo, hi) = half_gain_points(&spec);
            let rbj = rbj_bilinear_bell(16_000.0, gain_db, q, fs);
            for f in [lo, hi] {
                if f > 0.45 * fs {
                    continue; // above the band a 44.1 kHz stream can represent faithfully
                }
                let analog = analog_magnitude_db(&spec, f);
                assert!((analog - gain_db / 2.0).abs() < 1e-6);
                let err = c.magnitude_db(f, fs) - analog;
                assert!(
                    err.abs() <= 0.5,
                    "q {q} g {gain_db} at {f:.0} Hz: {err} dB off analog"
                );
                rbj_worst = rbj_worst.max((rbj.magnitude_db(f, fs) - analog).abs());
            }
        }
    }
    // A plain bilinear bell fails this test by a wide margin (its bandwidth cramps).
    assert!(rbj_worst > 1.5, "{rbj_worst}");
}

#[test]
fn shelves_follow_analog_up_to_nyquist() {
    let fs = 44_100.0;
    for make in [
        FilterSpec::low_shelf as fn(f64, f64, f64) -> FilterSpec,
        FilterSpec::high_shelf,
    ] {
        for f0 in [1000.0, 4000.0, 8000.0, 12_000.0, 16_000.0] {
            for gain_db in [-12.0, -6.0, 6.0, 12.0] {
                for q in [0.5, BUTTERWORTH_Q, 1.0] {
                    let spec = make(f0, gain_db, q);
                    let c = design(&spec, fs);
                    assert_eq!(c.len(), 1);
                    let at_f0 = c.magnitude_db(f0, fs);
                    assert!((at_f0 - gain_db / 2.0).abs() <= 0.01, "{spec:?}: {at_f0}");
                    // Low frequencies: the matched design is exact where the analog one is.
                    // Exact where the analog shape fits well below Nyquist, within about half a dB
                    // for a 16 kHz shelf at 44.1 kHz (a bilinear shelf is several dB off there).
                    let tol = match f0 {
                        f if f <= 1000.0 => 0.02,
                        f if f <= 4000.0 => 0.2,
                        f if f <= 8000.0 => 0.35,
                        _ => 0.65,
                    };
                    for f in sweep(20.0, 0.45 * fs, 12) {
                        let err = c.magnitude_db(f, fs) - analog_magnitude_db(&spec, f);
                        assert!(
                            err.abs() <= tol,
                            "{spec:?} at {f:.0} Hz: {err} dB off analog"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn shelf_slope_parameter() {
    let fs = 48_000.0;
    let by_slope = design(&FilterSpec::low_shelf_with_slope(200.0, 9.0, 1.0), fs);
    let by_q = design(&FilterSpec::low_shelf(200.0, 9.0, BUTTERWORTH_Q), fs);
    assert_eq!(by_slope, by_q);
    // A gentler slope: same end points, shallower transition (less change per octave at f0).
    let gentle = FilterSpec::high_shelf_with_slope(2000.0, 12.0, 0.3);
    let steep = FilterSpec::high_shelf_with_slope(2000.0, 12.0, 1.0);
    let slope_at =
        |s: &FilterSpec| s.magnitude_db(2000.0 * 1.1, fs) - s.magnitude_db(2000.0 / 1.1, fs);
    assert!(slope_at(&gentle) < 0.7 * slope_at(&steep));
    for s in [gentle, steep] {
        assert!((s.magnitude_db(2000.0, fs) - 6.0).abs() < 0.01);
        assert!(s.magnitude_db(10.0, fs).abs() < 0.05);
    }
}

#[test]
fn butterworth_is_minus_3db_at_fc_for_orders_1_to_8() {
    for fs in RATES {
        for fc in [50.0, 1000.0, 15_000.0] {
            for order in 1..=8usize {
                for kind in [FilterKind::LowPass, FilterKind::HighPass] {
                    let spec = FilterSpec {
                        kind,
                        freq_hz: fc,
                        slope_db_oct: 6.0 * order as f64,
                        ..FilterSpec::default()
                    };
                    let c = design(&spec, fs);
                    assert_eq!(c.len(), order.div_ceil(2));
                    assert!(c.is_stable());
                    let m = c.magnitude_db(fc, fs);
                    assert!(
                        (m + 3.0103).abs() <= 0.05,
                        "{kind:?} order {order} fc {fc} fs {fs}: {m}"
                    );
                }
            }
        }
    }
}

#[test]
fn linkwitz_riley_is_minus_6db_at_fc_and_sums_flat() {
    for fs in RATES {
        for fc in [80.0, 2500.0] {
            for slope in [12.0, 24.0, 36.0, 48.0] {
                let lp = FilterSpec::low_pass(fc, slope, CutShape::LinkwitzRiley);
                let hp = FilterSpec::high_pass(fc, slope, CutShape::LinkwitzRiley);
                let (cl, ch) = (design(&lp, fs), design(&hp, fs));
                assert!(cl.len() <= MAX_SECTIONS && ch.len() == cl.len());
                for c in [cl, ch] {
                    let m = c.magnitude_db(fc, fs);
                    assert!(
                        (m + 6.0206).abs() <= 0.05,
                        "slope {slope} fc {fc} fs {fs}: {m}"
                    );
                }
                // LR 24/48 sum to an all-pass in phase; LR 12/36 with one branch inverted.
                let sign = if slope == 12.0 || slope == 36.0 {
                    -1.0
                } else {
                    1.0
                };
                for f in sweep(20.0, 0.45 * fs, 6) {
                    let (a, b) = (cl.response(f, fs), ch.response(f, fs));
                    let sum = Complex::new(a.re + sign * b.re, a.im + sign * b.im);
                    assert!(
                        sum.magnitude_db().abs() < 0.01,
                        "slope {slope} at {f}: {}",
                        sum.magnitude_db()
                    );
                }
            }
        }
    }
}

#[test]
fn cut_slopes_approach_6db_per_order_per_octave() {
    let fs = 192_000.0;
    for order in 1..=8 {
        let slope = 6.0 * order as f64;
        let lp = design(
            &FilterSpec::low_pass(500.0, slope, CutShape::Butterworth),
            fs,
        );
        let hp = design(
            &FilterSpec::high_pass(4000.0, slope, CutShape::Butterworth),
            fs,
        );
        // Three octaves beyond the corner: about −slope·3 dB (the exact Butterworth value is
        // −10·log10(1 + 8^(2n)), within 0.3 dB of that for n ≥ 1).
        let exact = -10.0 * (1.0 + 8f64.powi(2 * order)).log10();
        for m in [lp.magnitude_db(4000.0, fs), hp.magnitude_db(500.0, fs)] {
            // (bilinear warping adds ≈ 0.2 % of the slope per octave at 4 kHz / 192 kHz)
            assert!(
                (m - exact).abs() < 0.005 * slope + 0.02,
                "order {order}: {m} vs {exact}"
            );
            assert!((m + 3.0 * slope).abs() < 1.0, "order {order}: {m}");
        }
        // And one more octave further is ≈ slope dB lower still.
        // (bilinear warping adds ≈ 0.8 % of the slope at 8 kHz / 192 kHz).
        let step = lp.magnitude_db(4000.0, fs) - lp.magnitude_db(8000.0, fs);
        assert!(
            (step - slope).abs() < 0.012 * slope,
            "order {order}: {step}"
        );
    }
}

#[test]
fn notch_is_deep_at_f0_and_transparent_away() {
    for fs in RATES {
        for f0 in [50.0, 1000.0, 16_000.0] {
            for q in [0.5, 2.0, 10.0] {
                let spec = FilterSpec::notch(f0, q);
                let c = design(&spec, fs);
                assert!(c.is_stable());
                let m = c.magnitude_db(f0, fs);
                assert!(m <= -40.0, "f0 {f0} q {q} fs {fs}: {m}");
                assert!(c.magnitude_db(0.0, fs).abs() < 1e-6);
                let far = f0 / 16.0;
                let err = c.magnitude_db(far, fs) - analog_magnitude_db(&spec, far);
                assert!(err.abs() < 0.05, "f0 {f0} q {q}: {err}");
            }
        }
    }
}

#[test]
fn band_pass_is_0db_at_f0() {
    for fs in RATES {
        for f0 in [30.0, 1000.0, 16_000.0] {
            for q in [0.1, BUTTERWORTH_Q, 5.0, 40.0] {
                let spec = FilterSpec::band_pass(f0, q);
                let c = design(&spec, fs);
                assert!(c.is_stable());
                let m = c.magnitude_db(f0, fs);
                assert!(m.abs() <= 0.05, "f0 {f0} q {q} fs {fs}: {m}");
                // Two octaves below, the analog prototype is matched (a broad band pass centred
                // close to Nyquist cannot follow it everywhere).
                let f = f0 / 4.0;
                let err = c.magnitude_db(f, fs) - analog_magnitude_db(&spec, f);
                let tol = if f0 < 0.2 * fs { 0.1 } else { 1.0 };
                assert!(
                    err.abs() < tol,
                    "f0 {f0} q {q} fs {fs}: {err} off analog at {f}"
                );
                assert!(c.magnitude_db(0.0, fs) < -150.0);
            }
        }
    }
}

#[test]
fn tilt_spans_minus_half_to_plus_half() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        for gain_db in [-12.0, -6.0, 3.0, 6.0, 12.0] {
            let c = design(&FilterSpec::tilt(1000.0, gain_db), fs);
            assert!(c.magnitude_db(1000.0, fs).abs() <= 0.05, "{gain_db} {fs}");
            let low = c.magnitude_db(20.0, fs);
            let high = c.magnitude_db(20_000.0, fs);
            assert!((low + gain_db / 2.0).abs() <= 0.1, "{gain_db} {fs}: {low}");
            assert!(
                (high - gain_db / 2.0).abs() <= 0.1,
                "{gain_db} {fs}: {high}"
            );
            // Monotonic.
            let pts: Vec<f64> = sweep(20.0, 20_000.0, 3)
                .iter()
                .map(|f| c.magnitude_db(*f, fs))
                .collect();
            assert!(pts
                .windows(2)
                .all(|w| (w[1] - w[0]) * gain_db.signum() >= -1e-9));
        }
    }
}

#[test]
fn every_kind_matches_its_analog_prototype_at_low_frequencies() {
    let fs = 192_000.0;
    let specs = [
        FilterSpec::bell(100.0, 9.0, 0.5),
        FilterSpec::bell(100.0, -15.0, 4.0),
        FilterSpec::low_shelf(100.0, 10.0, 0.9),
        FilterSpec::low_shelf_with_slope(100.0, -10.0, 0.6),
        FilterSpec::high_shelf(100.0, -7.0, 0.6),
        FilterSpec::high_shelf_with_slope(100.0, 7.0, 1.0),
        FilterSpec::low_pass(100.0, 18.0, CutShape::Butterworth),
        FilterSpec::high_pass(100.0, 42.0, CutShape::Butterworth),
        FilterSpec::low_pass(100.0, 36.0, CutShape::LinkwitzRiley),
        FilterSpec::high_pass(100.0, 48.0, CutShape::LinkwitzRiley),
        FilterSpec::notch(100.0, 3.0),
        FilterSpec::band_pass(100.0, 1.5),
        FilterSpec::tilt(100.0, -8.0),
    ];
    for spec in specs {
        let c = design(&spec, fs);
        for f in sweep(10.0, 2000.0, 8) {
            let analog = analog_magnitude_db(&spec, f);
            if analog < -80.0 {
                continue;
            }
            let err = c.magnitude_db(f, fs) - analog;
            assert!(err.abs() < 0.05, "{spec:?} at {f:.1} Hz: {err}");
        }
    }
}

#[test]
fn low_frequency_precision_at_high_rates() {
    let fs = 768_000.0;
    for (f0, g) in [(1.0, 6.0), (10.0, -12.0), (20.0, 18.0)] {
        let c = design(&FilterSpec::bell(f0, g, 1.0), fs);
        assert!(
            (c.magnitude_db(f0, fs) - g).abs() < 0.05,
            "{f0}: {}",
            c.magnitude_db(f0, fs)
        );
        assert!(c.magnitude_db(0.0, fs).abs() < 0.05);
        let ls = design(&FilterSpec::low_shelf(f0, g, BUTTERWORTH_Q), fs);
        assert!((ls.magnitude_db(f0, fs) - g / 2.0).abs() < 0.05);
        assert!((ls.magnitude_db(0.0, fs) - g).abs() < 0.05);
        assert!(ls.magnitude_db(1000.0, fs).abs() < 0.05);
    }
}

#[test]
fn extreme_and_invalid_parameters_give_stable_finite_filters() {
    let kinds = [
        FilterKind::Bell,
        FilterKind::LowShelf,
        FilterKind::HighShelf,
        FilterKind::LowPass,
        FilterKind::HighPass,
        FilterKind::Notch,
        FilterKind::BandPass,
        FilterKind::Tilt,
    ];
    let freqs = [
        -1.0,
        0.0,
        1.0,
        20.0,
        1e4,
        3.9e4,
        1e9,
        f64::NAN,
        f64::INFINITY,
    ];
    let gains = [-1e3, -48.0, -0.001, 0.0, 24.0, 48.0, f64::NAN];
    let qs = [0.0, 0.025, 0.3, 40.0, 1e6, f64::NAN];
    for fs in [8000.0, 44_100.0, 768_000.0, 0.0, f64::NAN] {
        for kind in kinds {
            for freq_hz in freqs {
                for gain_db in gains {
                    for q in qs {
                        for slope_db_oct in [6.0, 30.0, 48.0] {
                            for cut_shape in [CutShape::Butterworth, CutShape::LinkwitzRiley] {
                                let spec = FilterSpec {
                                    kind,
                                    freq_hz,
                                    gain_db,
                                    q,
                                    slope_db_oct,
                                    cut_shape,
                                    shelf_slope: None,
                                };
                                let c = design(&spec, fs);
                                assert!(c.is_stable(), "{spec:?} fs {fs}: {c:?}");
                                let fsr = if fs.is_finite() && fs > 0.0 {
                                    fs
                                } else {
                                    48_000.0
                                };
                                for f in [0.0, 100.0, 0.5 * fsr] {
                                    assert!(c.magnitude_db(f, fsr).is_finite(), "{spec:?} fs {fs}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn magnitude_squared_form_matches_complex_evaluation() {
    for (wp, qp) in [(0.01, 0.7), (1.0, 3.0), (2.5, 0.1), (3.0, 20.0), (6.0, 0.7)] {
        let p = MatchedPoles::new(wp, qp);
        let c = BiquadCoefs {
            a1: p.a1,
            a2: p.a2,
            ..BiquadCoefs::IDENTITY
        };
        for w in [0.001, 0.5, 2.0, 3.1] {
            // |1/D|² = 1/den_sq
            let direct = c.response_at_omega(w).norm_sqr();
            let via_phi = 1.0 / matched_den_sq(wp, qp, w);
            assert!(
                (direct / via_phi - 1.0).abs() < 1e-9,
                "wp {wp} qp {qp} w {w}"
            );
        }
    }
}

#[test]
fn matched_z_and_magnitude_matching_agree_where_they_hand_over() {
    // Both sides of the switch-over follow the analog prototype within 0.02 dB, so a glide
    // across it cannot step by more than 0.04 dB anywhere.
    let fs = 48_000.0;
    for make in [
        FilterSpec::bell as fn(f64, f64, f64) -> FilterSpec,
        FilterSpec::low_shelf,
        FilterSpec::high_shelf,
    ] {
        for (gain_db, q) in [(6.0, 1.0), (-12.0, 3.0), (18.0, 0.5)] {
            for f0 in sweep(5.0, 400.0, 48) {
                let spec = make(f0, gain_db, q);
                let c = design(&spec, fs);
                for f in sweep(2.0, 20_000.0, 4) {
                    let err = c.magnitude_db(f, fs) - analog_magnitude_db(&spec, f);
                    assert!(err.abs() < 0.02, "{spec:?} at {f}: {err}");
                }
            }
            // 5 Hz is deep in the matched-z range for these settings (root scale at most
            // ≈ 6·ω0), 400 Hz well inside magnitude matching.
            assert!(
                6.0 * omega(5.0, fs).0 < MATCHED_Z_BELOW && omega(400.0, fs).0 > MATCHED_Z_BELOW
            );
        }
    }
}

/// Designing bells together gives every bell's coefficients bit for bit as [`bell`] alone,
/// across rates from 1 kHz to 768 kHz, frequencies from below the lowest to above Nyquist,
/// ±48 dB (0 dB and the clamps included), Q from below the lowest to above the highest, in
/// groups of every size up to beyond two of [`MAX_BELLS`]: the common path and each case it hands
/// back to [`bell`] (0 dB, real poles, matched-z, the fallback numerator).
#[test]
fn glide_bells_are_each_bell_alone_and_match_bell() {
    let mut specs: Vec<(f64, f64, f64)> = Vec::new();
    for fi in 0..40 {
        let f = 0.3 * 1.45f64.powi(fi);
        for g in [
            -60.0,
            -24.0,
            -6.0,
            -0.5,
            0.0,
            0.01,
            3.0,
            18.0,
            48.0,
            f64::NAN,
        ] {
            for q in [0.01, 0.1, 0.3, 0.7, 2.0, 12.0, 40.0, 100.0] {
                specs.push((f, g, q));
            }
        }
    }
    let bits = |c: &BiquadCoefs| [c.b0, c.b1, c.b2, c.a1, c.a2].map(f64::to_bits);
    let mut worst = (0.0f64, 0.0f64);
    for fs in [
        1_000.0, 8_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 768_000.0, 44_100.5,
    ] {
        // Groups of every size from 1 to beyond two batches, in turn.
        let (mut start, mut k) = (0, 0);
        while start < specs.len() {
            let end = (start + 1 + k % (2 * MAX_BELLS + 3)).min(specs.len());
            let part = &specs[start..end];
            (start, k) = (end, k + 1);
            {
                // As a glide holds them.
                let logs: Vec<_> = part
                    .iter()
                    .map(|&(f, g, q)| (f.log2(), g, q.log2()))
                    .collect();
                let mut out = vec![BiquadCoefs::IDENTITY; logs.len()];
                glide_bells(&logs, fs, &mut out);
                for (&(lf, g, lq), got) in logs.iter().zip(&out) {
                    let mut alone = [BiquadCoefs::IDENTITY];
                    glide_bells(&[(lf, g, lq)], fs, &mut alone);
                    let what = format!("2^{lf} Hz, {g} dB, Q 2^{lq} at {fs} Hz");
                    assert_eq!(bits(got), bits(&alone[0]), "together vs alone: {what}");
                    let want = bell(lf.exp2(), g, lq.exp2(), fs);
                    // Where the design is ill-conditioned (big gains at a few Hz) a unit in
                    // the last place of an input moves the response by up to ~1e−6 dB; across
                    // the EQ's own ranges it stays far below.
                    let eq_range = (20.0..=20_000.0).contains(&lf.exp2())
                        && g.abs() <= 24.0
                        && (0.1..=40.0).contains(&lq.exp2())
                        && fs >= 44_100.0;
                    let f0 = lf.exp2().clamp(1.0, 0.49 * fs);
                    for f in [
                        f0 / 4.0,
                        f0 / 1.1,
                        f0,
                        1.1 * f0,
                        4.0 * f0,
                        0.3 * fs,
                        0.45 * fs,
                    ] {
                        let f = f.min(0.49 * fs);
                        let d = (got.magnitude_db(f, fs) - want.magnitude_db(f, fs)).abs();
                        if eq_range {
                            worst.0 = worst.0.max(d);
                        } else {
                            worst.1 = worst.1.max(d);
                        }
                        let tolerance = if eq_range { 5e-7 } else { 1e-4 };
                        assert!(d < tolerance, "{what}: {d} dB apart at {f} Hz");
                    }
                }
            }
        }
    }
    eprintln!(
        "glide bells vs bell: worst response difference {:e} dB in the EQ ranges, {:e} beyond",
        worst.0, worst.1
    );
    // The vector path ran (not libm's through `bell` everywhere).
    assert!(worst.0 > 0.0);
}
