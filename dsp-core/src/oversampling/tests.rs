use super::*;

const SR: f32 = 48_000.0;
const FACTORS: [OversamplingFactor; 3] = [
    OversamplingFactor::X2,
    OversamplingFactor::X4,
    OversamplingFactor::X8,
];

fn make(factor: OversamplingFactor, block: usize) -> Oversampler {
    Oversampler::new(ProcessorConfig::new(SR, block, 2).unwrap(), factor).unwrap()
}

/// Least-squares amplitude of a sinusoid of `freq` (cycles/sample) in `x` (exact for a pure
/// tone whatever the window length).
fn tone_amplitude(x: &[f32], freq: f64, start_index: usize) -> f64 {
    let w = std::f64::consts::TAU * freq;
    let (mut ss, mut cc, mut sc, mut xs, mut xc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let p = w * (i + start_index) as f64;
        let (s, c) = p.sin_cos();
        ss += s * s;
        cc += c * c;
        sc += s * c;
        xs += v as f64 * s;
        xc += v as f64 * c;
    }
    let det = ss * cc - sc * sc;
    let a = (xs * cc - xc * sc) / det;
    let b = (xc * ss - xs * sc) / det;
    (a * a + b * b).sqrt()
}

fn sine(n: usize, freq: f64, amp: f64) -> Vec<f32> {
    (0..n)
        .map(|i| (amp * (std::f64::consts::TAU * freq * i as f64).sin()) as f32)
        .collect()
}

#[test]
fn factor_ratios() {
    assert_eq!(OversamplingFactor::default(), OversamplingFactor::X4);
    for r in [1, 2, 4, 8] {
        assert_eq!(OversamplingFactor::from_ratio(r).unwrap().ratio(), r);
    }
    assert_eq!(OversamplingFactor::from_ratio(3), None);
}

#[test]
fn latencies_are_whole_and_as_documented() {
    let expected = [63, 71, 73];
    for (f, e) in FACTORS.iter().zip(expected) {
        let os = make(*f, 64);
        assert_eq!(os.latency_samples(), e, "{f:?}");
        let exact = os.upsample_latency() + os.downsample_latency();
        assert!((exact - e as f64).abs() < 1e-12, "{f:?}: {exact}");
    }
    assert_eq!(make(OversamplingFactor::X1, 64).latency_samples(), 0);
}

#[test]
fn impulse_round_trip_peaks_at_reported_latency() {
    for f in [OversamplingFactor::X1]
        .into_iter()
        .chain(FACTORS.iter().copied())
    {
        let mut os = make(f, 128);
        let lat = os.latency_samples();
        let n0 = 37;
        let mut x = vec![0.0f32; 512];
        x[n0] = 1.0;
        let mut y = x.clone();
        os.process(&mut [&mut y[..]]);
        let (peak_i, peak) = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap();
        assert_eq!(peak_i, n0 + lat, "{f:?}");
        assert!((peak - 1.0).abs() < 0.15, "{f:?}: peak {peak}");
        assert!(y.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn composite_response_passband_and_stopband() {
    for f in FACTORS {
        let os = make(f, 64);
        let stages = os.stage_filters();
        // Response of the cascade at a base-rate-normalised frequency (cycles per base sample).
        let h = |fb: f64| -> f64 {
            stages
                .iter()
                .enumerate()
                .map(|(j, st)| st.magnitude(fb / (2usize << j) as f64))
                .product()
        };
        let mut worst_pass = 0.0f64;
        for i in 0..=450 {
            let fb = 0.45 * i as f64 / 450.0;
            worst_pass = worst_pass.max((20.0 * h(fb).log10()).abs());
        }
        // One direction; the round trip doubles it.
        assert!(2.0 * worst_pass < 0.1, "{f:?}: ripple {worst_pass} dB");
        let top = f.ratio() as f64 / 2.0;
        let mut worst_stop = f64::NEG_INFINITY;
        let steps = 4000;
        for i in 0..=steps {
            let fb = 0.55 + (top - 0.55) * i as f64 / steps as f64;
            worst_stop = worst_stop.max(20.0 * h(fb).log10());
        }
        assert!(worst_stop <= -90.0, "{f:?}: stop band {worst_stop} dB");
    }
}

#[test]
fn round_trip_passband_ripple_measured_with_sines() {
    for f in FACTORS {
        let mut os = make(f, 256);
        let lat = os.latency_samples();
        for fi in [0.01, 0.1, 0.2, 0.3, 0.4, 0.43, 0.45] {
            os.reset();
            let x = sine(3000, fi, 0.5);
            let mut y = x.clone();
            os.process(&mut [&mut y[..]]);
            let a = tone_amplitude(&y[lat + 200..], fi, 0);
            let db = 20.0 * (a / 0.5).log10();
            assert!(db.abs() < 0.1, "{f:?} at {fi} fs: {db} dB");
        }
    }
}

#[test]
fn upsampled_sine_has_right_amplitude_and_timing() {
    for f in FACTORS {
        let mut os = make(f, 512);
        let r = f.ratio();
        let fi = 1000.0 / SR as f64;
        let x = sine(2048, fi, 0.5);
        let mut y = vec![0.0f32; x.len() * r];
        assert_eq!(os.upsample(0, &x, &mut y), x.len());
        let skip = 200 * r;
        let a = tone_amplitude(&y[skip..], fi / r as f64, skip);
        assert!((20.0 * (a / 0.5).log10()).abs() < 0.01, "{f:?}: {a}");
        // Sample m shows the input at base time m / r − upsample_latency.
        let d = os.upsample_latency();
        for (m, &v) in y.iter().enumerate().skip(skip) {
            let t = m as f64 / r as f64 - d;
            let expect = 0.5 * (std::f64::consts::TAU * fi * t).sin();
            assert!((v as f64 - expect).abs() < 1e-3, "{f:?} at {m}");
        }
    }
}

#[test]
fn image_rejection_of_upsampler_measured() {
    // A 20 kHz tone at 48 kHz: its first image sits at 28 kHz, inside the ≥ 90 dB stop band.
    for f in FACTORS {
        let mut os = make(f, 1024);
        let r = f.ratio();
        let fi = 20_000.0 / SR as f64;
        let x = sine(6000, fi, 1.0);
        let mut y = vec![0.0f32; x.len() * r];
        os.upsample(0, &x, &mut y);
        // A window of whole periods of every tone involved, so the fits are orthogonal.
        let skip = 480 * r;
        let tone = tone_amplitude(&y[skip..], fi / r as f64, skip);
        for image_hz in [28_000.0, 68_000.0, 76_000.0] {
            if image_hz >= SR as f64 * r as f64 / 2.0 {
                continue;
            }
            let img = tone_amplitude(&y[skip..], image_hz / (SR as f64 * r as f64), skip);
            let db = 20.0 * (img / tone).log10();
            assert!(db <= -90.0, "{f:?}: image at {image_hz} Hz {db} dB");
        }
    }
}

#[test]
fn aliasing_rejection_of_downsampler_measured() {
    // A 28 kHz tone at the high rate would alias to 20 kHz at 48 kHz.
    for f in FACTORS {
        let mut os = make(f, 1024);
        let r = f.ratio();
        let top_hz = SR as f64 * r as f64;
        let x = sine(6000 * r, 28_000.0 / top_hz, 1.0);
        let mut y = vec![0.0f32; 6000];
        os.downsample(0, &x, &mut y);
        let alias = tone_amplitude(&y[480..], 20_000.0 / SR as f64, 480);
        let db = 20.0 * alias.log10();
        assert!(db <= -90.0, "{f:?}: alias {db} dB");
    }
}

#[test]
fn chunked_processing_matches_whole() {
    let x = sine(1000, 0.0123, 0.7);
    let mut whole = make(OversamplingFactor::X8, 1000);
    let mut y1 = vec![0.0f32; 8000];
    whole.upsample(1, &x, &mut y1);
    // Max block 64: the long input is split internally; also feed it in uneven pieces.
    let mut chunked = make(OversamplingFactor::X8, 64);
    let mut y2 = vec![0.0f32; 8000];
    let mut pos = 0;
    for len in [1usize, 63, 200, 7, 729] {
        chunked.upsample(1, &x[pos..pos + len], &mut y2[pos * 8..(pos + len) * 8]);
        pos += len;
    }
    assert_eq!(y1, y2);
}

#[test]
fn lower_factor_without_reallocation() {
    let mut os = make(OversamplingFactor::X8, 64);
    os.set_factor(OversamplingFactor::X2).unwrap();
    assert_eq!(os.latency_samples(), 63);
    let mut small = make(OversamplingFactor::X2, 64);
    assert!(small.set_factor(OversamplingFactor::X4).is_err());
}

#[test]
fn non_finite_input_gives_finite_output() {
    for f in FACTORS {
        let mut os = make(f, 64);
        let mut x = sine(300, 0.05, 0.5);
        x[10] = f32::NAN;
        x[20] = f32::INFINITY;
        x[30] = f32::NEG_INFINITY;
        x[40] = f32::MAX;
        os.process(&mut [&mut x[..]]);
        assert!(x.iter().all(|v| v.is_finite()), "{f:?}");
    }
}

#[test]
fn invalid_config_is_an_error() {
    let bad = ProcessorConfig {
        sample_rate: 48_000.0,
        max_block_size: 0,
        channels: 2,
        fixed_rate: false,
    };
    assert!(Oversampler::new(bad, OversamplingFactor::X4).is_err());
}

/// The textbook interpolator (newest-first ring of the last `2k + 2` inputs, one output at a
/// time) that [`UpStage`] replaced: the vectorised stage must give bit-identical samples.
fn reference_upsample(f: &HalfbandFilter, input: &[f32]) -> Vec<f32> {
    let k = f.k;
    let l = 2 * k + 2;
    let mut hist = vec![0.0f32; 2 * l];
    let mut pos = 0;
    let mut out = Vec::with_capacity(2 * input.len());
    for &x in input {
        let x = clean(x);
        pos = if pos == 0 { l - 1 } else { pos - 1 };
        hist[pos] = x;
        hist[pos + l] = x;
        let h = &hist[pos..pos + l];
        let (a, b) = h.split_at(k + 1);
        let mut acc = 0.0f32;
        for ((c, x0), x1) in f.fold.iter().zip(a).zip(b.iter().rev()) {
            acc += c * (x0 + x1);
        }
        out.push(acc);
        out.push(h[k]);
    }
    out
}

#[test]
fn vectorised_upsampler_is_bit_identical_to_the_textbook_loop() {
    // Noise with a few non-finite and huge samples, fed in uneven blocks (shorter and longer
    // than the lane count) through every stage design.
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut input: Vec<f32> = (0..5000)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    input[100] = f32::NAN;
    input[2000] = f32::INFINITY;
    input[3000] = 1e20;
    for &(k, beta) in &STAGE_DESIGNS {
        let f = HalfbandFilter::design(k, beta);
        let want = reference_upsample(&f, &input);
        let mut stage = UpStage::new(f.k, 700);
        let mut got = vec![0.0f32; 2 * input.len()];
        let mut start = 0;
        for len in [1, 15, 16, 17, 700, 3, 64].iter().cycle() {
            if start >= input.len() {
                break;
            }
            let end = (start + len).min(input.len());
            stage.process(&f, &input[start..end], &mut got[2 * start..2 * end]);
            start = end;
        }
        assert!(
            want.iter()
                .zip(&got)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "stage k = {k}"
        );
        // A reset stage starts from silence again.
        stage.reset();
        let mut again = vec![0.0f32; 32];
        stage.process(&f, &input[..16], &mut again);
        assert!(want[..32]
            .iter()
            .zip(&again)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
