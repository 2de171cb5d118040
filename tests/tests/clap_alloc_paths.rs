//! Paths the other tests did not take, through the debug bundles built with
//! `assert_process_allocs` (an allocation inside `process()` aborts the test): the suggested set
//! playing with its level trim while `amount` is automated, a suggestion arriving mid-playback
//! and one cleared or restored by a state load mid-playback, zero-length blocks, and a host
//! that announces blocks far larger than any internal buffer (processed bit-identically to
//! ordinary blocks).

use std::time::{Duration, Instant};
use tests::checks::{assert_no_thread_violations, check_output, OUTPUT_BOUND};
use tests::clap_host::{each_plugin, parse_nice_plug_state, ParamChange, TestPlugin};

const SR: f64 = 48_000.0;
const BLOCK: usize = 512;

fn demo(seconds: f64) -> Vec<Vec<f32>> {
    let [l, r] = dsp_core::testsignals::demo_mix(seconds, SR);
    vec![l, r]
}

fn has_suggestion(plugin: &mut TestPlugin) -> bool {
    plugin
        .save_state()
        .ok()
        .and_then(|b| parse_nice_plug_state(&b))
        .and_then(|s| s["fields"]["suggestion"].as_str().map(str::to_string))
        .is_some_and(|f| f != "null" && !f.is_empty())
}

/// Plays `audio` in blocks with `events(block index, frames)` per block, paced so the analysis
/// thread keeps up; every output block is checked.
fn play(
    plugin: &mut TestPlugin,
    audio: &[Vec<f32>],
    mut events: impl FnMut(usize, usize) -> Vec<ParamChange>,
    what: &str,
) {
    let len = audio[0].len();
    for (k, start) in (0..len).step_by(BLOCK).enumerate() {
        let n = BLOCK.min(len - start);
        let chunk: Vec<Vec<f32>> = audio.iter().map(|c| c[start..start + n].to_vec()).collect();
        let out = plugin.process_main(&chunk, &events(k, n)).unwrap();
        check_output(&out, OUTPUT_BOUND).unwrap_or_else(|e| panic!("{what}: {e}"));
        if k % 40 == 39 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn param_id(plugin: &mut TestPlugin, key: &str) -> u32 {
    plugin
        .param(key)
        .unwrap_or_else(|| panic!("no parameter {key}"))
        .id
}

#[test]
fn suggested_set_with_trim_and_moving_amount_and_state_loads_mid_playback() {
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        let blank_state = plugin.save_state().unwrap();
        plugin.activate(SR, BLOCK as u32).unwrap();
        // Zero-length calls before, between and after real ones.
        let empty = vec![Vec::<f32>::new(); 2];
        for n in [0usize, 1, 0, 17, 0, 512, 0] {
            let x = vec![vec![0.1f32; n]; 2];
            let out = plugin
                .process_main(if n == 0 { &empty } else { &x }, &[])
                .unwrap();
            check_output(&out, OUTPUT_BOUND).unwrap();
        }
        // A suggestion arrives while the music plays.
        let music = demo(8.0);
        play(&mut plugin, &music, |_, _| Vec::new(), put.name);
        let t0 = Instant::now();
        while !has_suggestion(&mut plugin) {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "{}: no suggestion",
                put.name
            );
            play(&mut plugin, &demo(0.5), |_, _| Vec::new(), put.name);
        }
        let learned_state = plugin.save_state().unwrap();
        // The suggested set plays, level-matched, while `amount` moves every block (and the
        // compare switch flips now and then).
        let compare = param_id(&mut plugin, "compare");
        let amount = param_id(&mut plugin, "amount");
        let mut flips = 0;
        play(
            &mut plugin,
            &demo(6.0),
            |k, n| {
                let mut ev = vec![
                    ParamChange::new(0, amount, 0.5 + 0.5 * (k as f64 * 0.3).sin()),
                    ParamChange::new((n / 2) as u32, amount, (k % 7) as f64 / 6.0),
                ];
                if k == 0 || k % 150 == 0 {
                    flips += 1;
                    ev.push(ParamChange::new(
                        0,
                        compare,
                        if flips % 4 == 0 { 0.0 } else { 1.0 },
                    ));
                }
                ev
            },
            put.name,
        );
        // State loads mid-playback: one without a suggestion, then the learned one back.
        plugin.load_state(&blank_state).unwrap();
        play(&mut plugin, &demo(1.0), |_, _| Vec::new(), put.name);
        plugin.load_state(&learned_state).unwrap();
        play(
            &mut plugin,
            &demo(1.0),
            |k, _| {
                if k == 0 {
                    vec![ParamChange::new(0, compare, 1.0)]
                } else {
                    Vec::new()
                }
            },
            put.name,
        );
        plugin.deactivate();
        assert_no_thread_violations(&plugin, put.name);
    }
}

/// Resident memory of this process (bytes), from /proc/self/statm.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// A host announcing blocks of up to 2^20 frames: one 300 000-frame block is processed exactly
/// as 8192-frame blocks are (the engine caps its internal block and splits), and the instance's
/// memory does not grow with the announced size.
#[test]
fn huge_host_blocks_process_like_ordinary_ones() {
    for put in each_plugin() {
        let music = demo(300_000.0 / SR);
        let before = rss_bytes();
        let mut big = put.instantiate();
        big.activate(SR, 1 << 20).unwrap();
        let a = big.process_main(&music, &[]).unwrap();
        // Memory does not scale with the announced block: 18-31 MB per instance here (the
        // analysis thread's buffers included); Master took 482 MB before the engine capped it.
        let grew = rss_bytes().saturating_sub(before);
        assert!(
            grew < 128 << 20,
            "{}: one instance at 2^20-frame blocks grew the process by {} MB",
            put.name,
            grew >> 20
        );
        check_output(&a, OUTPUT_BOUND).unwrap();
        let mut small = put.instantiate();
        small.activate(SR, 8192).unwrap();
        let mut b = vec![Vec::new(); 2];
        for start in (0..music[0].len()).step_by(8192) {
            let n = 8192.min(music[0].len() - start);
            let chunk: Vec<Vec<f32>> = music.iter().map(|c| c[start..start + n].to_vec()).collect();
            for (acc, x) in b.iter_mut().zip(small.process_main(&chunk, &[]).unwrap()) {
                acc.extend(x);
            }
        }
        assert!(
            a == b,
            "{}: a 300 000-frame block differs from 8192-frame blocks",
            put.name
        );
    }
}
