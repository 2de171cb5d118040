//! What the analysis thread costs in steady state, for "≤ 2 % of one core at 48 kHz stereo":
//! - `eq_monitor_1s`: one second of 48 kHz stereo through `Analyzer::monitor` (display
//!   spectra, meters, the recent audio) — what runs once learning holds;
//! - `eq_learn_1s`: the same second through `feed` as well (while learning);
//! - `eq_level_offset`: one level-matching measurement (the recent audio through the manual
//!   and the suggested settings), which the thread repeats at most every 10 s while audio
//!   flows (`LEVEL_REFRESH`).
//!
//! Steady-state share of a core ≈ (monitor_1s + level_offset / 10) / 1 s.
//! Run with `cargo bench -p tandem-eq --bench analysis_thread`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::collections::BTreeMap;
use std::sync::Arc;
use tandem_common::assistant::Analyzer;
use tandem_common::display::Display;

const SR: f32 = 48_000.0;

fn tap(seconds: f64) -> Vec<f32> {
    let [l, r] = dsp_core::testsignals::demo_mix(seconds, SR as f64);
    l.iter()
        .zip(&r)
        .flat_map(|(l, r)| [*l, *r, *l, *r])
        .collect()
}

fn bench(c: &mut Criterion) {
    let audio = tap(8.0);
    let second = &audio[..SR as usize * 4];
    let mut an = tandem_eq::analyzer::EqAnalyzer::new(
        SR,
        2,
        Arc::new(Display::default()),
        Arc::new(tandem_eq::reference::ReferenceSlot::default()),
    )
    .unwrap();
    // Fill the recent audio.
    an.monitor(&audio, 4);
    c.bench_function("eq_monitor_1s", |b| {
        b.iter(|| an.monitor(black_box(second), 4))
    });
    c.bench_function("eq_learn_1s", |b| {
        b.iter(|| {
            an.feed(black_box(second), 4);
            an.monitor(black_box(second), 4)
        })
    });
    let manual: BTreeMap<String, f32> = dsp_core::chains::eq::EqSettings::default().to_param_map();
    let mut suggested = manual.clone();
    suggested.insert("b1_on".into(), 1.0);
    suggested.insert("b1_gain".into(), 4.0);
    c.bench_function("eq_level_offset", |b| {
        b.iter(|| an.level_offset_lu(black_box(&manual), black_box(&suggested)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
