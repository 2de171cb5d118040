//! Denormal input costs no more than normal input (the wrappers set flush-to-zero for results,
//! not denormals-are-zero for inputs; the engine reads subnormal input as silence). A timing
//! ratio measured in one run, not an absolute time: its own test binary, and its three tests
//! one at a time, so nothing else competes for the cores while it times.

use rand::Rng;
use tests::checks::{check_output, OUTPUT_BOUND};
use tests::clap_host::{PluginUnderTest, COMP, EQ, MASTER};
use tests::signals::rng;

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Per plugin, at default settings, the best of 15 alternating 1 s runs of denormal noise takes
/// less than 1.5× the best of 15 runs of normal noise (Master took 50×, Comp 4× before).
fn denormal_input_costs_no_more(put: PluginUnderTest) {
    use std::time::{Duration, Instant};
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut plugin = put.instantiate();
    let rate = 48_000usize;
    plugin.activate(rate as f64, 512).unwrap();
    let (mut rng, _) = rng(0x5eed_d3e0);
    let channels = 2;
    let make = |scale: f32, rng: &mut rand::rngs::StdRng| -> Vec<Vec<Vec<f32>>> {
        (0..rate / 512)
            .map(|_| {
                (0..channels)
                    .map(|_| {
                        (0..512)
                            .map(|_| scale * rng.gen_range(-1.0f32..=1.0))
                            .collect()
                    })
                    .collect()
            })
            .collect()
    };
    let normal = make(0.1, &mut rng);
    let denormal = make(1e-39, &mut rng);
    let mut run = |blocks: &[Vec<Vec<f32>>]| -> Duration {
        let t = Instant::now();
        for b in blocks {
            let out = plugin.process_main(b, &[]).unwrap();
            check_output(&out, OUTPUT_BOUND).unwrap();
        }
        t.elapsed()
    };
    run(&normal);
    let (mut best_n, mut best_d) = (Duration::MAX, Duration::MAX);
    for _ in 0..15 {
        best_n = best_n.min(run(&normal));
        best_d = best_d.min(run(&denormal));
    }
    let ratio = best_d.as_secs_f64() / best_n.as_secs_f64();
    assert!(
        ratio < 1.5,
        "{}: denormal input took {ratio:.2}x as long as normal input ({best_d:?} vs {best_n:?})",
        put.name
    );
    plugin.deactivate();
}

#[test]
fn eq_costs_no_more_on_denormal_input() {
    denormal_input_costs_no_more(EQ);
}

#[test]
fn comp_costs_no_more_on_denormal_input() {
    denormal_input_costs_no_more(COMP);
}

#[test]
fn master_costs_no_more_on_denormal_input() {
    denormal_input_costs_no_more(MASTER);
}
