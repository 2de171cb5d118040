//! Robustness: at every supported sample rate, random block sizes (1..=8192) with random
//! sample-accurate parameter automation over the full range (extremes included), for silence,
//! impulses, full-scale noise, DC, denormals, NaN and ±Inf inputs, the output stays finite and
//! bounded (|x| <= 16) and never subnormal. The rates run from 1 kHz to 768 kHz, fractional
//! included.
//!
//! Each case runs `TANDEM_ROBUSTNESS_SECONDS` seconds of audio (default 1.0) at its sample rate;
//! `TANDEM_TEST_SEED` replays a failing seed. One test per plugin so they run in parallel.

use rand::Rng;
use tests::checks::{assert_no_thread_violations, check_output, random_param_events, OUTPUT_BOUND};
use tests::clap_host::{PluginUnderTest, COMP, EQ, MASTER};
use tests::signals::{random_block_sizes, rng, TestSignal};

/// Sample rates every plugin must handle: any a host may offer, fractional included.
pub const SAMPLE_RATES: [f64; 10] = [
    1_000.0, 1_234.57, 8_000.0, 22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 384_000.0,
    768_000.0,
];
/// At most this many frames per case (the highest rates run a shorter stretch of time).
const MAX_FRAMES_PER_CASE: usize = 192_000;
/// Maximum block size the host announces.
const MAX_BLOCK: u32 = 8192;

fn seconds_per_case() -> f64 {
    std::env::var("TANDEM_ROBUSTNESS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// Rates the non-default audio ports configurations (e.g. mono) are run at.
const OTHER_CONFIG_RATES: [f64; 2] = [44_100.0, 96_000.0];

/// The largest output magnitude a plugin may legitimately produce from full-scale input under
/// random settings: the EQ can stack boosts (three +24 dB bands at one frequency plus +24 dB of
/// output is +96 dB); the compressor's makeup and output gain add up to +48 dB; anything beyond
/// these means a filter or envelope blew up.
fn output_bound(put: &PluginUnderTest) -> f32 {
    match put.key {
        "eq" => 1e5,
        "comp" => 260.0,
        // The master ends in a true-peak limiter with a ceiling of at most -0.1 dBTP: nothing
        // it outputs may reach full scale, whatever the automation does.
        "master" => 1.0,
        _ => OUTPUT_BOUND,
    }
}

fn robustness(put: PluginUnderTest) {
    let bound = output_bound(&put);
    let (mut rng, seed) = rng(0x7a4d_e301 ^ put.clap_id.len() as u64);
    let mut plugin = put.instantiate();
    let params = plugin.params();
    // The default configuration (stereo) at every rate, every other configuration at a few.
    let mut runs: Vec<(Option<u32>, Vec<f64>)> = vec![(None, SAMPLE_RATES.to_vec())];
    for config in plugin.audio_ports_configs() {
        if config.main_input_channels != Some(2) || config.main_output_channels != Some(2) {
            runs.push((Some(config.id), OTHER_CONFIG_RATES.to_vec()));
        }
    }
    let signals = TestSignal::all();
    for (config, rates) in runs {
        if let Some(id) = config {
            plugin.select_audio_ports_config(id).unwrap();
        }
        let layout = plugin.audio_ports();
        let channels = layout
            .main_input()
            .map(|i| layout.inputs[i].channel_count as usize)
            .unwrap_or(0);
        // A sidechain (if any) gets a different signal kind than the main input.
        let sidechain_channels = layout
            .aux_inputs()
            .next()
            .map(|(_, p)| p.channel_count as usize);
        for rate in rates {
            plugin
                .activate(rate, MAX_BLOCK)
                .unwrap_or_else(|e| panic!("{} @ {rate} Hz: {e}", put.name));
            for (k, &signal) in signals.iter().enumerate() {
                let total = ((rate * seconds_per_case()) as usize).min(MAX_FRAMES_PER_CASE);
                let input = signal.generate(channels, total, &mut rng);
                let sidechain_signal = signals[(k + 3) % signals.len()];
                let sidechain =
                    sidechain_channels.map(|c| sidechain_signal.generate(c, total, &mut rng));
                let sizes = random_block_sizes(total, MAX_BLOCK as usize, &mut rng);
                let mut pos = 0;
                for (block, &n) in sizes.iter().enumerate() {
                    let slice = |sig: &Vec<Vec<f32>>| -> Vec<Vec<f32>> {
                        sig.iter().map(|ch| ch[pos..pos + n].to_vec()).collect()
                    };
                    let chunk = slice(&input);
                    let sc_chunk = sidechain.as_ref().map(slice);
                    let max_events = if rng.gen_bool(0.1) { 64 } else { 4 };
                    let events = random_param_events(&params, n, max_events, &mut rng);
                    let context = || {
                        format!(
                            "{} ({channels} ch, config {config:?}) @ {rate} Hz, input {signal:?}, sidechain {:?}, \
                             block {block} ({n} frames at {pos}), events {events:?}, seed {seed} \
                             (TANDEM_TEST_SEED={seed} replays)",
                            put.name,
                            sidechain.as_ref().map(|_| sidechain_signal),
                        )
                    };
                    let output = plugin
                        .process_with_sidechain(&chunk, sc_chunk.as_deref(), &events)
                        .unwrap_or_else(|e| panic!("{}: {e}", context()));
                    if let Err(e) = check_output(&output, bound) {
                        panic!("{}: {e}", context());
                    }
                    pos += n;
                }
            }
            plugin.deactivate();
        }
    }
    assert_no_thread_violations(&plugin, put.name);
}

#[test]
fn eq_output_stays_finite_and_bounded() {
    robustness(EQ);
}

#[test]
fn comp_output_stays_finite_and_bounded() {
    robustness(COMP);
}

#[test]
fn master_output_stays_finite_and_bounded() {
    robustness(MASTER);
}

/// The check itself flags NaN, Inf and overs (so the robustness tests can fail).
#[test]
fn output_check_flags_bad_samples() {
    assert!(check_output(&[vec![0.0, 1.0, -15.9]], OUTPUT_BOUND).is_ok());
    assert!(check_output(&[vec![0.0, f32::NAN]], OUTPUT_BOUND).is_err());
    assert!(check_output(&[vec![f32::NEG_INFINITY]], OUTPUT_BOUND).is_err());
    assert!(check_output(&[vec![0.0], vec![16.5]], OUTPUT_BOUND).is_err());
    assert!(check_output(&[vec![0.0], vec![0.0, 1e-40]], OUTPUT_BOUND).is_err());
}

/// A parameter change at sample k never affects output before k (two fresh instances, same
/// input, one with the change), and at least one parameter audibly affects the output after k:
/// this proves in-block events arrive sample-accurately.
#[test]
fn param_events_are_causal_and_sample_accurate() {
    const FRAMES: usize = 4096;
    for put in [EQ, COMP, MASTER] {
        let (mut rng, seed) = rng(0x5eed_0001);
        let params = put.instantiate().params();
        let input = TestSignal::WhiteNoise.generate(2, FRAMES, &mut rng);
        let reference = {
            let mut plugin = put.instantiate();
            plugin.activate(48_000.0, FRAMES as u32).unwrap();
            plugin.process_main(&input, &[]).unwrap()
        };
        let mut any_audible = false;
        for p in &params {
            for value in [p.min, p.max] {
                if (value - p.default).abs() < 1e-12 {
                    continue;
                }
                let offset = rng.gen_range(1..FRAMES as u32 - 256);
                let mut plugin = put.instantiate();
                plugin.activate(48_000.0, FRAMES as u32).unwrap();
                let event = tests::clap_host::ParamChange::new(offset, p.id, value);
                let output = plugin.process_main(&input, &[event]).unwrap();
                for (ch, (a, b)) in output.iter().zip(&reference).enumerate() {
                    let first_diff = a
                        .iter()
                        .zip(b)
                        .position(|(x, y)| x.to_bits() != y.to_bits());
                    if let Some(i) = first_diff {
                        assert!(
                            i >= offset as usize,
                            "{}: {} = {value} at sample {offset} changed channel {ch} already at sample {i} (seed {seed})",
                            put.name,
                            p.key()
                        );
                        any_audible = true;
                    }
                }
            }
        }
        assert!(
            any_audible,
            "{}: no parameter change had any effect on the output",
            put.name
        );
    }
}
