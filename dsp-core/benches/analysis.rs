//! Analysis benchmarks on 10 s of stereo 48 kHz audio.
//!
//! Throughput is reported in "elements" = seconds of audio, so criterion's `elem/s` reads as
//! "seconds of audio analysed per second", i.e. the real-time factor.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dsp_core::analysis::{Averaging, SpectrumAnalyzer, SpectrumConfig};
use dsp_core::loudness::true_peak::TruePeakMeter;
use dsp_core::loudness::{LoudnessAnalyzer, ShortTermLoudness};
use dsp_core::ProcessorConfig;
use ebur128::{EbuR128, Mode};

const SR: u32 = 48_000;
const SECONDS: usize = 10;
const BLOCK: usize = 512;

/// 10 s of deterministic stereo test signal: a sine plus xorshift noise per channel.
fn signal() -> (Vec<f32>, Vec<f32>) {
    let mut s = 0x1234_5678_9abc_def0u64;
    let mut noise = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let n = SR as usize * SECONDS;
    let w = std::f32::consts::TAU * 440.0 / SR as f32;
    let l = (0..n)
        .map(|i| 0.3 * (w * i as f32).sin() + 0.1 * noise())
        .collect();
    let r = (0..n)
        .map(|i| 0.3 * (w * i as f32 + 0.5).sin() + 0.1 * noise())
        .collect();
    (l, r)
}

fn bench(c: &mut Criterion) {
    let (l, r) = signal();
    let mut g = c.benchmark_group("analysis_10s_stereo_48k");
    g.throughput(Throughput::Elements(SECONDS as u64));
    g.sample_size(10);

    g.bench_function("spectrum_4096_hann_50pct", |b| {
        let mut cfg = SpectrumConfig::new(SR as f32, 4096);
        cfg.channels = 2;
        cfg.overlap = 0.5;
        cfg.averaging = Averaging::Exponential {
            time_constant_s: 0.3,
        };
        let mut a = SpectrumAnalyzer::new(cfg).unwrap();
        b.iter(|| {
            a.reset();
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                a.process(&[cl, cr]);
            }
            black_box(a.power()[10])
        })
    });

    g.bench_function("loudness_analyzer_true_peak", |b| {
        b.iter(|| {
            let mut a = LoudnessAnalyzer::new(2, SR as f32).unwrap();
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                a.process(&[cl, cr]);
            }
            black_box(a.stats())
        })
    });

    g.bench_function("loudness_analyzer_no_true_peak", |b| {
        b.iter(|| {
            let mut a = LoudnessAnalyzer::with_true_peak(2, SR as f32, false).unwrap();
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                a.process(&[cl, cr]);
            }
            black_box(a.stats())
        })
    });

    // The `ebur128` crate (the reference the analyzer is tested against, which it replaced),
    // configured as the analyzer used it: integrated and momentary loudness, sample peak, with
    // and without its 4× true-peak FIR.
    for (name, tp) in [("ebur128_true_peak", true), ("ebur128_no_true_peak", false)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut mode = Mode::I | Mode::M | Mode::SAMPLE_PEAK;
                if tp {
                    mode |= Mode::TRUE_PEAK;
                }
                let mut e = EbuR128::new(2, SR, mode).unwrap();
                for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                    e.add_frames_planar_f32(&[cl, cr]).unwrap();
                }
                black_box(e.loudness_global().ok())
            })
        });
    }

    // The true-peak part alone: dsp-core's polyphase half-band meter (BS.1770 Annex 2, 4× at
    // 48 kHz), the analyzer's.
    g.bench_function("true_peak_meter", |b| {
        let mut m = TruePeakMeter::new(ProcessorConfig::new(SR as f32, BLOCK, 2).unwrap()).unwrap();
        b.iter(|| {
            m.reset();
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                m.process(&[cl, cr]);
            }
            black_box(m.max_dbtp())
        })
    });

    g.bench_function("short_term_loudness_meter", |b| {
        let mut m =
            ShortTermLoudness::new(ProcessorConfig::new(SR as f32, BLOCK, 2).unwrap()).unwrap();
        b.iter(|| {
            for (cl, cr) in l.chunks(BLOCK).zip(r.chunks(BLOCK)) {
                m.analyze(&[cl, cr]);
            }
            black_box(m.short_term_lufs())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
