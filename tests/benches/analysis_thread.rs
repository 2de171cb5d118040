//! What each plugin's analysis thread costs in steady state, for "≤ 2 % of one core at 48 kHz
//! stereo", one generic bench over the plugins' specs (`tandem_common::plugin::PluginSpec`):
//! - `{eq,comp,master}_monitor_1s`: one second of 48 kHz stereo through `Analyzer::monitor`
//!   (display spectra, meters, the recent audio) — what runs once learning holds;
//! - `…_learn_1s`: the same second through `feed` as well (while learning);
//! - `…_level_offset`: one level-matching measurement (the recent audio through the manual and
//!   the suggested settings), which the thread repeats at most every 10 s while audio flows
//!   (`LEVEL_REFRESH`).
//!
//! Steady-state share of a core ≈ (monitor_1s + level_offset / 10) / 1 s.
//! Run with `cargo bench -p tests --bench analysis_thread` (a name after `--` picks one plugin).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsp_core::chains::Chain;
use std::sync::Arc;
use tandem_common::analysis::assistant::Analyzer;
use tandem_common::audio::display::Display;
use tandem_common::audio::store::SuggestionStore;
use tandem_common::params::AssistedParams;
use tandem_common::plugin::PluginSpec;

const SR: f32 = 48_000.0;

/// What the analysis thread's tap carries: input and output of a stereo instance, interleaved.
fn tap(seconds: f64) -> Vec<f32> {
    let [l, r] = dsp_core::testsignals::demo_mix(seconds, SR as f64);
    l.iter()
        .zip(&r)
        .flat_map(|(l, r)| [*l, *r, *l, *r])
        .collect()
}

/// The three measures for plugin `S`; `change` is what the suggested set changes from the
/// manual one (the manual set is the plugin's defaults, as the runtime reads them).
fn bench_plugin<S: PluginSpec>(c: &mut Criterion, key: &str, change: &[(&str, f32)]) {
    let audio = tap(8.0);
    let second = &audio[..SR as usize * 4];
    let store = Arc::new(SuggestionStore::new(S::Chain::params()));
    let params = S::Params::with_store(store);
    let display = Arc::new(Display::default());
    let mut an = (S::ANALYZER)(SR, 2, display, Default::default(), &params).unwrap();
    // Fill the recent audio.
    an.monitor(&audio, 4);
    c.bench_function(&format!("{key}_monitor_1s"), |b| {
        b.iter(|| an.monitor(black_box(second), 4))
    });
    c.bench_function(&format!("{key}_learn_1s"), |b| {
        b.iter(|| {
            an.feed(black_box(second), 4);
            an.monitor(black_box(second), 4)
        })
    });
    let manual = tandem_common::params::manual_values(&params);
    let mut suggested = manual.clone();
    for (id, v) in change {
        suggested.insert(id.to_string(), *v);
    }
    c.bench_function(&format!("{key}_level_offset"), |b| {
        b.iter(|| an.level_offset_lu(black_box(&manual), black_box(&suggested)))
    });
    params.common().loader.shutdown();
}

fn bench(c: &mut Criterion) {
    bench_plugin::<tandem_eq::EqSpec>(c, "eq", &[("b1_on", 1.0), ("b1_gain", 4.0)]);
    bench_plugin::<tandem_comp::CompSpec>(c, "comp", &[("threshold", -30.0)]);
    bench_plugin::<tandem_master::MasterSpec>(c, "master", &[("lim_drive", 8.0)]);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
