//! Lifecycle: what a DAW does to a plugin over a session (many activations, many instances,
//! reactivation at another sample rate, reset).

use rand::Rng;
use std::collections::HashMap;
use tests::checks::{assert_no_thread_violations, check_output, OUTPUT_BOUND};
use tests::clap_host::{each_plugin, PluginUnderTest, TestPlugin};
use tests::signals::{rng, TestSignal};

/// The tests in this file count the process's analysis threads, so they run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Names of this process's threads that belong to a Tandem plugin (the analysis threads are
/// named "<plugin> analysis"; Linux truncates thread names to 15 bytes).
fn tandem_threads() -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for t in dir.flatten() {
            if let Ok(comm) = std::fs::read_to_string(t.path().join("comm")) {
                if comm.starts_with("Tandem") {
                    names.push(comm.trim().to_string());
                }
            }
        }
    }
    names
}

/// Waits briefly for threads to finish exiting (join returns before the kernel reaps the task).
fn assert_no_tandem_threads(what: &str) {
    let t0 = std::time::Instant::now();
    while !tandem_threads().is_empty() && t0.elapsed() < std::time::Duration::from_secs(2) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        tandem_threads().is_empty(),
        "{what}: threads left behind: {:?}",
        tandem_threads()
    );
}

const RATES: [f64; 4] = [44_100.0, 48_000.0, 96_000.0, 22_050.0];
const MAX_BLOCKS: [u32; 4] = [64, 512, 8192, 1];

fn process_noise(
    plugin: &mut TestPlugin,
    frames: usize,
    put: &PluginUnderTest,
    what: &str,
) -> Vec<Vec<f32>> {
    let (mut rng, _) = rng(frames as u64);
    let input = TestSignal::WhiteNoise.generate(2, frames, &mut rng);
    let max = plugin.active_config().expect("active").max_frames as usize;
    let out = plugin
        .process_signal(&input, &[max], &[])
        .unwrap_or_else(|e| panic!("{}: {what}: {e}", put.name));
    check_output(&out, OUTPUT_BOUND).unwrap_or_else(|e| panic!("{}: {what}: {e}", put.name));
    out
}

#[test]
fn activate_deactivate_100_times() {
    let _serial = serial();
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        // The latency reported for each (rate, max block) must not drift across activations.
        let mut latencies: HashMap<(u64, u32), Option<u32>> = HashMap::new();
        for i in 0..100 {
            let (rate, max) = (
                RATES[i % RATES.len()],
                MAX_BLOCKS[(i / RATES.len()) % MAX_BLOCKS.len()],
            );
            plugin.activate(rate, max).unwrap_or_else(|e| {
                panic!("{}: activation #{i} at {rate} Hz / {max}: {e}", put.name)
            });
            let latency = plugin.latency();
            assert!(latency.is_some(), "{}: no latency extension", put.name);
            let first = *latencies.entry((rate.to_bits(), max)).or_insert(latency);
            assert_eq!(
                latency, first,
                "{}: activation #{i} at {rate} Hz / {max}: latency drifted",
                put.name
            );
            if i % 10 == 0 {
                process_noise(&mut plugin, 700, &put, &format!("activation #{i}"));
            }
            // (The thread names itself as it starts: give it a moment.)
            let t0 = std::time::Instant::now();
            while tandem_threads().is_empty() && t0.elapsed() < std::time::Duration::from_secs(2) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            assert!(
                !tandem_threads().is_empty(),
                "{}: no analysis thread while active (#{i}, {rate} Hz, max block {max})",
                put.name
            );
            plugin.deactivate();
        }
        assert_no_tandem_threads(&format!("{} after 100 deactivations", put.name));
        assert_no_thread_violations(&plugin, put.name);
    }
}

#[test]
fn destroy_while_the_analysis_thread_is_busy_leaves_no_thread() {
    let _serial = serial();
    for put in each_plugin() {
        for _ in 0..3 {
            let mut plugin = put.instantiate();
            plugin.activate(48_000.0, 4096).unwrap();
            // Far faster than real time: the tap fills, the thread is busy analysing.
            process_noise(&mut plugin, 48_000 * 6, &put, "flood");
            assert!(
                !tandem_threads().is_empty(),
                "{}: no analysis thread",
                put.name
            );
            drop(plugin); // destroy while active and busy, as a DAW closing a project may
        }
        assert_no_tandem_threads(put.name);
    }
}

#[test]
fn create_and_destroy_20_instances() {
    let _serial = serial();
    for put in each_plugin() {
        // One after another, each used and destroyed while active half of the time.
        for i in 0..20 {
            let mut plugin = put.instantiate();
            assert!(!plugin.params().is_empty());
            plugin.activate(48_000.0, 256).unwrap();
            process_noise(&mut plugin, 256, &put, &format!("instance #{i}"));
            if i % 2 == 0 {
                plugin.deactivate();
            }
            drop(plugin);
        }
        // 20 alive at once, then destroyed in a scrambled order.
        let mut plugins: Vec<TestPlugin> = (0..20).map(|_| put.instantiate()).collect();
        for (i, plugin) in plugins.iter_mut().enumerate() {
            plugin.activate(RATES[i % RATES.len()], 128).unwrap();
            process_noise(plugin, 128, &put, &format!("concurrent instance #{i}"));
        }
        let (mut rng, _) = rng(20);
        while !plugins.is_empty() {
            let i = rng.gen_range(0..plugins.len());
            drop(plugins.swap_remove(i));
        }
    }
}

/// After reactivating at another rate, the plugin behaves exactly like a fresh instance
/// activated at that rate (no stale coefficients, buffers or envelopes).
#[test]
fn reactivation_at_a_different_rate_matches_fresh_instance() {
    let _serial = serial();
    for put in each_plugin() {
        for (first, second) in [
            (44_100.0, 96_000.0),
            (192_000.0, 22_050.0),
            (48_000.0, 48_000.0),
        ] {
            let mut plugin = put.instantiate();
            plugin.activate(first, 1024).unwrap();
            process_noise(&mut plugin, 4096, &put, "before reactivation");
            plugin.deactivate();
            plugin.activate(second, 1024).unwrap();
            let reactivated = process_noise(&mut plugin, 4096, &put, "after reactivation");

            let mut fresh = put.instantiate();
            fresh.activate(second, 1024).unwrap();
            let expected = process_noise(&mut fresh, 4096, &put, "fresh instance");
            let diff = reactivated
                .iter()
                .flatten()
                .zip(expected.iter().flatten())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(diff <= 1e-6, "{}: {first} -> {second} Hz: reactivated output differs from a fresh instance by {diff}", put.name);
        }
    }
}

/// `reset()` (e.g. on transport jumps) clears processing state like a fresh activation does.
#[test]
fn reset_matches_fresh_instance() {
    let _serial = serial();
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        plugin.activate(48_000.0, 1024).unwrap();
        process_noise(&mut plugin, 3000, &put, "before reset");
        plugin.reset();
        let after_reset = process_noise(&mut plugin, 4096, &put, "after reset");
        let mut fresh = put.instantiate();
        fresh.activate(48_000.0, 1024).unwrap();
        let expected = process_noise(&mut fresh, 4096, &put, "fresh instance");
        let diff = after_reset
            .iter()
            .flatten()
            .zip(expected.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            diff <= 1e-6,
            "{}: output after reset differs from a fresh instance by {diff}",
            put.name
        );
    }
}

/// Deactivating or destroying a plugin never waits out a whole suggestion: with the analysis
/// thread busy (a flood of 192 kHz noise, so it is analysing and solving), `deactivate()` and
/// destroy return within 50 ms, wherever in its work the thread is (stopped after 0 to 1.5 s).
#[test]
fn deactivate_and_destroy_return_within_50_ms_while_solving() {
    use std::time::{Duration, Instant};
    let _serial = serial();
    let limit = Duration::from_millis(50);
    for put in each_plugin() {
        let mut worst = (Duration::ZERO, 0u64, "");
        for (k, wait_ms) in [0u64, 150, 300, 500, 750, 1000, 1500]
            .into_iter()
            .enumerate()
        {
            let mut plugin = put.instantiate();
            plugin.activate(192_000.0, 8192).unwrap();
            process_noise(&mut plugin, 192_000 * 12, &put, "flood");
            std::thread::sleep(Duration::from_millis(wait_ms));
            let destroy = k % 2 == 1;
            let t = Instant::now();
            if destroy {
                drop(plugin);
            } else {
                plugin.deactivate();
            }
            let took = t.elapsed();
            if took > worst.0 {
                worst = (
                    took,
                    wait_ms,
                    if destroy { "destroy" } else { "deactivate" },
                );
            }
        }
        eprintln!("{}: slowest stop {:?} ({})", put.name, worst.0, worst.2);
        assert!(
            worst.0 < limit,
            "{}: {} took {:?} (stopped {} ms after the flood)",
            put.name,
            worst.2,
            worst.0,
            worst.1
        );
        assert_no_tandem_threads(put.name);
    }
}
