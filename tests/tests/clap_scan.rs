//! Scanning: what a DAW sees when it scans the bundles (descriptor, audio ports, parameters).
//!
//! Needs the bundles: `cargo xtask bundle-all` first.

use std::collections::HashSet;
use tests::checks::{
    assert_no_thread_violations, check_output, value_tolerance, values_close, OUTPUT_BOUND,
};
use tests::clap_host::{
    bundled_plugins, each_plugin, nice_plug_param_hash, ParamChange, COMP, EQ, MASTER, VENDOR,
};
use tests::signals::sine;

/// The plugins under test are `bundler.toml`'s (the one list of the plugins; the CLI and the
/// VST3 tests check theirs against it too), each with its package, bundle and CLAP ID from
/// one key; the named ones the plugin-specific tests use are among them, as they are.
#[test]
fn the_plugins_under_test_are_the_bundled_ones() {
    for named in [EQ, COMP, MASTER] {
        assert!(each_plugin().contains(&named), "{named:?}");
    }
    let mut ours: Vec<(String, String)> = each_plugin()
        .iter()
        .map(|p| (p.package.to_string(), p.bundle_name.to_string()))
        .collect();
    let mut bundled = bundled_plugins();
    ours.sort();
    bundled.sort();
    assert_eq!(ours, bundled);
    for p in each_plugin() {
        assert_eq!(p.package, format!("tandem-{}", p.key));
        assert_eq!(p.clap_id, format!("audio.tandem.{}", p.key));
        assert_eq!(p.name, p.bundle_name);
    }
}

#[test]
fn descriptor_id_name_vendor_features() {
    for put in each_plugin() {
        let descriptors = put.bundle().descriptors();
        assert_eq!(
            descriptors.len(),
            1,
            "{}: one plugin per bundle, got {descriptors:?}",
            put.name
        );
        let d = &descriptors[0];
        assert_eq!(d.id, put.clap_id, "{}: CLAP id", put.name);
        assert_eq!(d.name, put.name, "{}: name", put.name);
        assert_eq!(d.vendor, VENDOR, "{}: vendor", put.name);
        assert!(!d.version.is_empty(), "{}: empty version", put.name);
        assert!(
            d.features.iter().any(|f| f == "audio-effect"),
            "{}: features {:?} lack audio-effect",
            put.name,
            d.features
        );
        assert!(
            d.features.iter().any(|f| f == "stereo"),
            "{}: features {:?} lack stereo",
            put.name,
            d.features
        );

        let plugin = put.instantiate();
        assert_eq!(
            plugin.descriptor(),
            d,
            "{}: instance descriptor differs from factory's",
            put.name
        );
        for ext in ["params", "state", "latency", "audio-ports"] {
            assert!(
                plugin.has_extension(ext),
                "{}: missing the {ext} extension",
                put.name
            );
        }
    }
}

#[test]
fn main_ports_are_stereo_in_and_out() {
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        let layout = plugin.audio_ports();
        for (what, ports, main) in [
            ("input", &layout.inputs, layout.main_input()),
            ("output", &layout.outputs, layout.main_output()),
        ] {
            let main =
                main.unwrap_or_else(|| panic!("{}: no main {what} port in {ports:?}", put.name));
            assert_eq!(
                main, 0,
                "{}: main {what} port should be the first",
                put.name
            );
            assert_eq!(
                ports[main].channel_count, 2,
                "{}: main {what} {:?}",
                put.name, ports[main]
            );
            assert_eq!(
                ports[main].port_type.as_deref(),
                Some("stereo"),
                "{}: main {what} {:?}",
                put.name,
                ports[main]
            );
        }
        assert_eq!(
            layout.outputs.len(),
            1,
            "{}: one output port expected, got {:?}",
            put.name,
            layout.outputs
        );
        // Tandem Comp has exactly one stereo sidechain input (its external key); the others
        // have none.
        let aux: Vec<_> = layout.aux_inputs().collect();
        if put.key == "comp" {
            assert_eq!(
                aux.len(),
                1,
                "{}: sidechain port expected: {aux:?}",
                put.name
            );
            assert_eq!(aux[0].1.channel_count, 2, "{}: {aux:?}", put.name);
        } else {
            assert!(
                aux.is_empty(),
                "{}: unexpected aux inputs {aux:?}",
                put.name
            );
        }
        let ids: HashSet<u32> = layout.inputs.iter().map(|p| p.id).collect();
        assert_eq!(
            ids.len(),
            layout.inputs.len(),
            "{}: duplicate input port ids {:?}",
            put.name,
            layout.inputs
        );
    }
}

/// Every audio ports configuration the plugin offers (e.g. mono) can be selected, reports
/// matching ports, and processes.
#[test]
fn every_audio_ports_config_selects_and_processes() {
    for put in each_plugin() {
        let configs = put.instantiate().audio_ports_configs();
        assert!(
            configs
                .iter()
                .any(|c| c.main_input_channels == Some(2) && c.main_output_channels == Some(2)),
            "{}: no stereo config in {configs:?}",
            put.name
        );
        for config in configs {
            let mut plugin = put.instantiate();
            plugin
                .select_audio_ports_config(config.id)
                .unwrap_or_else(|e| panic!("{}: {config:?}: {e}", put.name));
            let layout = plugin.audio_ports();
            let main_in = layout.main_input().map(|i| layout.inputs[i].channel_count);
            let main_out = layout
                .main_output()
                .map(|i| layout.outputs[i].channel_count);
            assert_eq!(
                main_in, config.main_input_channels,
                "{}: {config:?} vs ports {layout:?}",
                put.name
            );
            assert_eq!(
                main_out, config.main_output_channels,
                "{}: {config:?} vs ports {layout:?}",
                put.name
            );

            let channels = main_in.unwrap_or(0) as usize;
            plugin.activate(48_000.0, 1024).unwrap();
            let input = sine(channels, 1024, 997.0, 48_000.0, 0.5);
            let output = plugin.process_main(&input, &[]).unwrap();
            assert_eq!(
                output.len(),
                main_out.unwrap_or(0) as usize,
                "{}: {config:?}",
                put.name
            );
            check_output(&output, OUTPUT_BOUND)
                .unwrap_or_else(|e| panic!("{}: {config:?}: {e}", put.name));
        }
    }
}

#[test]
fn parameters_are_listed_and_sane() {
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        let params = plugin.params();
        assert!(!params.is_empty(), "{}: no parameters", put.name);
        let mut ids = HashSet::new();
        let mut keys = HashSet::new();
        for p in &params {
            assert!(
                ids.insert(p.id),
                "{}: duplicate param id {}",
                put.name,
                p.id
            );
            assert!(
                keys.insert(p.key().to_string()),
                "{}: duplicate param key {}",
                put.name,
                p.key()
            );
            assert!(
                !p.name.is_empty(),
                "{}: param {} has no name",
                put.name,
                p.id
            );
            // nice-plug string IDs must be recoverable, and hash to the CLAP id.
            let stable = p
                .stable_id
                .as_deref()
                .unwrap_or_else(|| panic!("{}: no stable id for {p:?}", put.name));
            assert_eq!(nice_plug_param_hash(stable), p.id, "{}: {stable}", put.name);
            assert!(
                p.min < p.max,
                "{}: {}: empty range {}..{}",
                put.name,
                p.key(),
                p.min,
                p.max
            );
            assert!(
                p.min <= p.default && p.default <= p.max,
                "{}: {}: default out of range",
                put.name,
                p.key()
            );
            for text in [&p.min_text, &p.max_text, &p.default_text] {
                assert!(
                    text.as_deref().is_some_and(|t| !t.is_empty()),
                    "{}: {}: no display text: {p:?}",
                    put.name,
                    p.key()
                );
            }
            let value = plugin
                .param_value(p.id)
                .unwrap_or_else(|| panic!("{}: get_value({})", put.name, p.key()));
            assert!(
                values_close(p, value, p.default),
                "{}: {} starts at {value}, default {}",
                put.name,
                p.key(),
                p.default
            );
        }
        assert!(
            plugin.param_value(0x7fff_fff0).is_none(),
            "{}: get_value of an unknown id succeeded",
            put.name
        );
    }
}

/// value -> text -> value gives the same text again and (almost) the same value.
#[test]
fn param_value_text_round_trip() {
    /// Allowed value drift through the display text, as a fraction of the CLAP range (display
    /// texts are rounded; stepped params must round-trip exactly).
    const TEXT_ROUND_TRIP_TOLERANCE: f64 = 0.02;
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        for p in plugin.params() {
            for t in [0.0, 0.1, 0.25, 0.5, 0.77, 1.0] {
                let value = p.lerp(t);
                let text = plugin
                    .value_to_text(p.id, value)
                    .unwrap_or_else(|| panic!("{}: {}: value_to_text({value})", put.name, p.key()));
                let back = plugin.text_to_value(p.id, &text).unwrap_or_else(|| {
                    panic!(
                        "{}: {}: text_to_value({text:?}) failed (from {value})",
                        put.name,
                        p.key()
                    )
                });
                let text_again = plugin.value_to_text(p.id, back).unwrap();
                assert_eq!(
                    text_again,
                    text,
                    "{}: {}: {value} -> {text:?} -> {back} -> {text_again:?}",
                    put.name,
                    p.key()
                );
                let tolerance = if p.is_stepped() {
                    1e-5
                } else {
                    (TEXT_ROUND_TRIP_TOLERANCE * (p.max - p.min)).max(value_tolerance(&p))
                };
                assert!(
                    (back - value).abs() <= tolerance,
                    "{}: {}: {value} -> {text:?} -> {back}",
                    put.name,
                    p.key()
                );
            }
            assert!(
                plugin
                    .text_to_value(p.id, "definitely not a value")
                    .is_none(),
                "{}: {}: garbage text parsed",
                put.name,
                p.key()
            );
        }
    }
}

/// The harness can set parameters both ways a DAW does: `params.flush` and in-block events.
#[test]
fn params_set_through_flush_and_process_events() {
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        let params = plugin.params();
        // flush while inactive
        for p in &params {
            let v = p.lerp(0.8);
            plugin.set_param_via_flush(p.id, v);
            let got = plugin.param_value(p.id).unwrap();
            assert!(
                values_close(p, got, v),
                "{}: {}: flush(inactive) set {v}, got {got}",
                put.name,
                p.key()
            );
        }
        // events in process: the last event of the block wins
        plugin.activate(48_000.0, 512).unwrap();
        let input = sine(2, 512, 440.0, 48_000.0, 0.25);
        // The compressor's makeup and output gain reach +48 dB (see clap_robustness.rs): at
        // these settings a -12 dBFS sine legitimately comes out above full scale.
        let bound = if put.key == "comp" {
            260.0
        } else {
            OUTPUT_BOUND
        };
        for p in &params {
            let (a, b) = (p.lerp(0.1), p.lerp(0.3));
            let events = [ParamChange::new(5, p.id, a), ParamChange::new(300, p.id, b)];
            let out = plugin.process_main(&input, &events).unwrap();
            check_output(&out, bound).unwrap();
            let got = plugin.param_value(p.id).unwrap();
            assert!(
                values_close(p, got, b),
                "{}: {}: process events ended at {b}, got {got}",
                put.name,
                p.key()
            );
        }
        // flush while active (audio thread)
        for p in &params {
            let v = p.lerp(0.6);
            plugin.set_param_via_flush(p.id, v);
            let got = plugin.param_value(p.id).unwrap();
            assert!(
                values_close(p, got, v),
                "{}: {}: flush(active) set {v}, got {got}",
                put.name,
                p.key()
            );
        }
        assert_no_thread_violations(&plugin, put.name);
    }
}
