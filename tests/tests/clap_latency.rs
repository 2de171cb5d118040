//! Latency: the latency a plugin reports (latency extension) must equal the delay measured on an
//! impulse, or the DAW's delay compensation misaligns tracks.
//!
//! Cases are data: add a [`LatencyCase`] (sample rate, parameter settings by stable ID, expected
//! latency if known) to [`cases`] when a plugin gains lookahead, oversampling or a linear-phase
//! mode. Settings are applied through `params.flush` before activation, then any restart the
//! plugin requests is honoured, as a DAW would.

use tests::clap_host::{ParamChange, PluginUnderTest, TestPlugin, COMP, EQ, MASTER};
use tests::signals::{first_above, impulse, peak_abs, peak_position};

/// Where the test impulse goes (after some silence, so pre-ringing would be visible).
const IMPULSE_AT: usize = 1000;
/// Amplitude of the test impulse (-12 dBFS, below any limiter's ceiling).
const IMPULSE_AMPLITUDE: f32 = 0.25;
/// The impulse arrives where the output first exceeds this fraction of its peak.
const ONSET_THRESHOLD: f32 = 0.5;

/// One latency measurement setup.
#[derive(Debug, Clone)]
pub struct LatencyCase {
    /// Description for messages.
    pub name: &'static str,
    /// Plugin to measure.
    pub plugin: PluginUnderTest,
    /// Activation sample rate.
    pub sample_rate: f64,
    /// Block size used while measuring.
    pub block: usize,
    /// Parameter settings, by stable ID (or name), as CLAP values.
    pub settings: Vec<(&'static str, f64)>,
    /// Parameter settings, by stable ID (or name), as display text (parsed by the plugin).
    pub text_settings: Vec<(&'static str, &'static str)>,
    /// The latency this case must report, if known (`None`: only "reported == measured").
    pub expected: Option<u32>,
}

impl LatencyCase {
    fn defaults(
        name: &'static str,
        plugin: PluginUnderTest,
        sample_rate: f64,
        block: usize,
        expected: Option<u32>,
    ) -> Self {
        Self {
            name,
            plugin,
            sample_rate,
            block,
            settings: Vec::new(),
            text_settings: Vec::new(),
            expected,
        }
    }
}

/// The latency a plugin reports with default settings at `sample_rate`: Tandem Comp always
/// delays by its maximum lookahead (10 ms, rounded to samples, whatever the `lookahead`
/// setting); the others are zero-latency by default.
fn default_latency(plugin: &PluginUnderTest, sample_rate: f64) -> u32 {
    match plugin.key {
        "comp" => (sample_rate * 0.010).round() as u32,
        // The master always delays by its worst case (5 ms lookahead, 8x oversampling), so its
        // latency never changes with the settings.
        "master" => {
            dsp_core::chains::master::MasterChain::latency_for_rate(sample_rate as f32) as u32
        }
        _ => 0,
    }
}

/// All latency cases. Pass-through plugins with default parameters report (and have) 0.
fn cases() -> Vec<LatencyCase> {
    let mut cases = Vec::new();
    for plugin in [EQ, COMP, MASTER] {
        cases.push(LatencyCase::defaults(
            "defaults @ 48 kHz",
            plugin,
            48_000.0,
            512,
            Some(default_latency(&plugin, 48_000.0)),
        ));
        cases.push(LatencyCase::defaults(
            "defaults @ 44.1 kHz, odd blocks",
            plugin,
            44_100.0,
            333,
            Some(default_latency(&plugin, 44_100.0)),
        ));
        cases.push(LatencyCase::defaults(
            "defaults @ 96 kHz, 1-sample blocks",
            plugin,
            96_000.0,
            1,
            Some(default_latency(&plugin, 96_000.0)),
        ));
    }
    // The comp's latency is constant: the maximum lookahead with the fastest attack reports the
    // same delay.
    let mut comp = LatencyCase::defaults(
        "max lookahead, fastest attack @ 48 kHz",
        COMP,
        48_000.0,
        256,
        Some(480),
    );
    comp.text_settings = vec![("lookahead", "10.00"), ("attack", "0.01")];
    cases.push(comp);
    // The master's latency is constant under every setting that could change it, in both
    // compare states.
    for (name, texts) in [
        (
            "shortest lookahead, no oversampling, glue on",
            vec![
                ("lim_lookahead", "1"),
                ("lim_oversampling", "1x"),
                ("glue_on", "On"),
            ],
        ),
        (
            "8x oversampling, compare Suggested",
            vec![("lim_oversampling", "8x"), ("compare", "Suggested")],
        ),
    ] {
        for rate in [44_100.0, 96_000.0] {
            let mut m = LatencyCase::defaults(
                name,
                MASTER,
                rate,
                256,
                Some(default_latency(&MASTER, rate)),
            );
            m.text_settings = texts.clone();
            cases.push(m);
        }
    }
    cases
}

fn apply_settings(plugin: &mut TestPlugin, case: &LatencyCase) {
    for (key, value) in &case.settings {
        let p = plugin
            .param(key)
            .unwrap_or_else(|| panic!("{}: {}: no parameter {key}", case.plugin.name, case.name));
        plugin.set_param_via_flush(p.id, *value);
    }
    for (key, text) in &case.text_settings {
        let p = plugin
            .param(key)
            .unwrap_or_else(|| panic!("{}: {}: no parameter {key}", case.plugin.name, case.name));
        let value = plugin
            .text_to_value(p.id, text)
            .unwrap_or_else(|| panic!("{}: {key} cannot parse {text:?}", case.name));
        plugin.set_param_via_flush(p.id, value);
    }
}

/// Activates, measures, and returns (reported, measured onset, peak position).
fn measure(case: &LatencyCase) -> (u32, usize, usize) {
    let mut plugin = case.plugin.instantiate();
    apply_settings(&mut plugin, case);
    plugin
        .activate(case.sample_rate, case.block as u32)
        .unwrap();
    plugin.handle_restart_request().unwrap();
    let reported = plugin.latency().expect("latency extension");
    let channels = plugin
        .audio_ports()
        .inputs
        .first()
        .map(|p| p.channel_count as usize)
        .unwrap_or(2);
    // Enough room for the latency plus a long-ish response.
    let frames = IMPULSE_AT + reported as usize + 8192;
    let input = impulse(channels, frames, IMPULSE_AT, IMPULSE_AMPLITUDE);
    let output = plugin.process_signal(&input, &[case.block], &[]).unwrap();
    assert!(
        peak_abs(&output) > IMPULSE_AMPLITUDE * 1e-3,
        "{}: {}: the impulse did not come out (peak {})",
        case.plugin.name,
        case.name,
        peak_abs(&output)
    );
    let threshold = peak_abs(&output) * ONSET_THRESHOLD;
    let onset =
        first_above(&output, threshold).expect("peak exists") as isize - IMPULSE_AT as isize;
    assert!(
        onset >= 0,
        "{}: {}: output before the impulse (at {onset} samples)",
        case.plugin.name,
        case.name
    );
    let peak = peak_position(&output[0]).unwrap() as isize - IMPULSE_AT as isize;

    // Latency must not change behind the host's back while active.
    assert_eq!(
        plugin.latency(),
        Some(reported),
        "{}: {}: latency changed while processing without a restart",
        case.plugin.name,
        case.name
    );
    (reported, onset as usize, peak.max(0) as usize)
}

#[test]
fn reported_latency_matches_measured_impulse_delay() {
    let mut failures = Vec::new();
    for case in cases() {
        let (reported, onset, peak) = measure(&case);
        if reported as usize != onset {
            failures.push(format!(
                "{}: {}: reports {reported} samples, impulse onset at {onset} (peak at {peak})",
                case.plugin.name, case.name
            ));
        }
        if let Some(expected) = case.expected {
            if reported != expected {
                failures.push(format!(
                    "{}: {}: reports {reported}, expected {expected}",
                    case.plugin.name, case.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "latency mismatches:\n{}",
        failures.join("\n")
    );
}

/// The onset measurement itself sees a delay (so the latency test can fail).
#[test]
fn onset_measurement_sees_delays() {
    let delayed = impulse(2, 100, 10 + 7, 0.25);
    assert_eq!(first_above(&delayed, 0.125).map(|i| i - 10), Some(7));
    assert_eq!(peak_position(&delayed[0]), Some(17));
}

/// Changing every latency-relevant setting while the plugin runs (as automation does) never
/// changes the delay: measured before and after the change, in both compare states.
#[test]
fn latency_holds_when_settings_change_while_running() {
    let changes: [(PluginUnderTest, &[(&str, &str)]); 2] = [
        (
            COMP,
            &[
                ("lookahead", "10.00"),
                ("attack", "0.01"),
                ("compare", "Suggested"),
            ],
        ),
        (
            MASTER,
            &[
                ("lim_oversampling", "1x"),
                ("lim_lookahead", "1"),
                ("glue_on", "On"),
                ("compare", "Suggested"),
            ],
        ),
    ];
    for (put, settings) in changes {
        let mut plugin = put.instantiate();
        plugin.activate(48_000.0, 512).unwrap();
        let reported = plugin.latency().expect("latency extension") as usize;
        let onset = |plugin: &mut TestPlugin| -> usize {
            let frames = IMPULSE_AT + reported + 8192;
            let input = impulse(2, frames, IMPULSE_AT, IMPULSE_AMPLITUDE);
            let output = plugin.process_signal(&input, &[512], &[]).unwrap();
            let threshold = peak_abs(&output) * ONSET_THRESHOLD;
            first_above(&output, threshold).expect("impulse out") - IMPULSE_AT
        };
        assert_eq!(
            onset(&mut plugin),
            reported,
            "{}: before the change",
            put.name
        );
        // The changes arrive as parameter events inside a block, as automation does.
        let events: Vec<ParamChange> = settings
            .iter()
            .map(|(key, text)| {
                let p = plugin.param(key).expect("param");
                let v = plugin.text_to_value(p.id, text).expect("text");
                ParamChange::new(100, p.id, v)
            })
            .collect();
        let silence = vec![vec![0.0f32; 512]; 2];
        plugin.process_main(&silence, &events).unwrap();
        // Let crossfades between oversampling paths settle.
        for _ in 0..40 {
            plugin.process_main(&silence, &[]).unwrap();
        }
        assert_eq!(
            plugin.latency(),
            Some(reported as u32),
            "{}: the reported latency changed",
            put.name
        );
        assert_eq!(
            onset(&mut plugin),
            reported,
            "{}: after the change",
            put.name
        );
    }
}
