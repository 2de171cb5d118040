//! Dynamics benchmarks, stereo, 48 kHz, 1024-sample blocks:
//! - `compressor_rms`: threshold −18 dB, ratio 4, attack 10 ms, release 100 ms, RMS detector
//!   (10 ms window), fed a signal that keeps it compressing;
//! - `comp_chain`: the Tandem Comp chain (defaults, RMS detector, 5 ms lookahead, +2 dB output
//!   gain, so the output-gain stage runs too);
//! - `limiter_4x` / `limiter_1x`: the true-peak limiter at 4× and 1× oversampling, lookahead
//!   5 ms, ceiling −1 dBTP, fed a signal peaking about 6 dB over the ceiling (≈ 6 dB of
//!   limiting on the peaks); `limiter_1x_calls_of_16`: the same 1024 frames handed over in 64
//!   calls of 16 frames (what sample-accurate automation can do to a host block);
//! - `master_chain`: the whole Tandem Master chain (tonal EQ with four active sections, glue on,
//!   width 120 % with mono below 120 Hz, 6 dB drive into the 4× true-peak limiter at −1 dBTP,
//!   16-bit TPDF dither).
//!
//! Criterion reports the time **per block** (one iteration = 2 channels × 1024 samples plus
//! copying the input into the work buffers, which is negligible). To convert:
//! `ns/sample/channel = time_per_block_ns / (1024 × 2)`. Real-time budget for comparison: one
//! 1024-sample block at 48 kHz lasts 21.3 ms.
//!
//! Run with `cargo bench -p dsp-core --bench dynamics` (`-- --quick` for a fast estimate).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsp_core::chains::comp::{CompChain, CompDetector, CompSettings};
use dsp_core::chains::master::{Dither, MasterChain, MasterSettings};
use dsp_core::dynamics::{
    Compressor, CompressorSettings, DetectorKind, LimiterSettings, TruePeakLimiter,
};
use dsp_core::oversampling::OversamplingFactor;
use dsp_core::{Processor, ProcessorConfig};

const SAMPLE_RATE_HZ: f32 = 48_000.0;
const BLOCK: usize = 1024;
const CHANNELS: usize = 2;

/// A deterministic broadband test signal (two sines and cheap pseudo-random noise) peaking at
/// about `peak` (linear).
fn signal(frames: usize, peak: f32, seed: u32) -> Vec<f32> {
    let mut s = seed.max(1);
    (0..frames)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let noise = (s as f32 / u32::MAX as f32) * 2.0 - 1.0;
            let t = i as f32 / SAMPLE_RATE_HZ;
            let tone = 0.5 * (std::f32::consts::TAU * 110.0 * t).sin()
                + 0.25 * (std::f32::consts::TAU * 2_500.0 * t).sin();
            peak * (tone + 0.25 * noise)
        })
        .collect()
}

/// Times one 1024-frame block, handed to the processor in calls of `host_block` frames.
fn bench_block<P: Processor>(
    c: &mut Criterion,
    name: &str,
    mut p: P,
    peak: f32,
    host_block: usize,
) {
    let input: Vec<Vec<f32>> = (0..CHANNELS)
        .map(|ch| signal(BLOCK * 16, peak, 1 + ch as u32))
        .collect();
    let mut work = vec![vec![0.0f32; BLOCK]; CHANNELS];
    let mut offset = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            for (w, src) in work.iter_mut().zip(&input) {
                w.copy_from_slice(&src[offset..offset + BLOCK]);
            }
            offset = (offset + BLOCK) % (BLOCK * 16);
            for start in (0..BLOCK).step_by(host_block) {
                let end = (start + host_block).min(BLOCK);
                let mut refs: Vec<&mut [f32]> =
                    work.iter_mut().map(|w| &mut w[start..end]).collect();
                p.process(black_box(&mut refs));
            }
            black_box(&work);
        })
    });
}

fn dynamics(c: &mut Criterion) {
    let config = ProcessorConfig::new(SAMPLE_RATE_HZ, BLOCK, CHANNELS).unwrap();
    let comp = Compressor::new(
        config,
        0.0,
        CompressorSettings {
            threshold_db: -18.0,
            ratio: 4.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            detector: DetectorKind::Rms { window_ms: 10.0 },
            ..Default::default()
        },
    )
    .unwrap();
    bench_block(c, "compressor_rms", comp, 0.8, BLOCK);

    // The Comp plugin's chain: RMS detector, 5 ms of lookahead (10 ms latency), +2 dB output.
    let chain = CompChain::new(
        config,
        &CompSettings {
            detector: CompDetector::Rms,
            lookahead_ms: 5.0,
            out_gain_db: 2.0,
            ..Default::default()
        },
    )
    .unwrap();
    bench_block(c, "comp_chain", chain, 0.8, BLOCK);

    // Peaks ≈ 2.0 linear (+6 dBFS) against a −1 dBTP ceiling.
    let settings = LimiterSettings {
        ceiling_dbtp: -1.0,
        release_ms: 50.0,
        auto_release: false,
        lookahead_ms: 5.0,
    };
    for (name, factor) in [
        ("limiter_4x", OversamplingFactor::X4),
        ("limiter_1x", OversamplingFactor::X1),
    ] {
        let lim = TruePeakLimiter::new(config, factor, 5.0, settings).unwrap();
        bench_block(c, name, lim, 1.6, BLOCK);
    }
    // The same 1024 frames in host calls of 16 (sample-accurate automation splits blocks).
    let lim = TruePeakLimiter::new(config, OversamplingFactor::X1, 5.0, settings).unwrap();
    bench_block(c, "limiter_1x_calls_of_16", lim, 1.6, 16);

    let master = MasterSettings {
        ls_gain_db: 1.5,
        bell1_gain_db: -1.0,
        bell2_gain_db: 1.0,
        hs_gain_db: 2.0,
        glue_on: true,
        glue_threshold_db: -20.0,
        width_pct: 120.0,
        mono_below_hz: 120.0,
        lim_drive_db: 6.0,
        dither: Dither::Bits16,
        ..Default::default()
    };
    bench_block(
        c,
        "master_chain",
        MasterChain::new(config, &master).unwrap(),
        0.5,
        BLOCK,
    );
}

criterion_group!(benches, dynamics);
criterion_main!(benches);
