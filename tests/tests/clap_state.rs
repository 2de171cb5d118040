//! State (the `state` extension): what DAW sessions and presets store.
//!
//! - save -> load -> save is byte-identical;
//! - values survive a save and a load into a fresh instance;
//! - corrupt, truncated, empty and foreign blobs are refused or leave every parameter at its
//!   previous (or default) value, and the plugin keeps processing and can still load a good state.

use rand::{Rng, RngCore};
use tests::checks::{
    assert_no_thread_violations, check_output, param_values, set_non_default_values, values_close,
    OUTPUT_BOUND,
};
use tests::clap_host::{
    each_plugin, make_nice_plug_state, parse_nice_plug_state, ParamDesc, PluginUnderTest,
    TestPlugin,
};
use tests::signals::{rng, TestSignal};

#[test]
fn save_load_save_is_identical() {
    for put in each_plugin() {
        for non_default in [false, true] {
            let mut plugin = put.instantiate();
            if non_default {
                let params = plugin.params();
                set_non_default_values(&mut plugin, &params, 0.83);
            }
            let first = plugin.save_state().unwrap();
            assert!(!first.is_empty(), "{}: empty state", put.name);
            plugin
                .load_state(&first)
                .unwrap_or_else(|e| panic!("{}: loading its own state: {e}", put.name));
            let second = plugin.save_state().unwrap();
            assert_eq!(
                first, second,
                "{}: save -> load -> save differs (non-default: {non_default})",
                put.name
            );

            // Also through a fresh instance.
            let mut fresh = put.instantiate();
            fresh.load_state(&first).unwrap();
            assert_eq!(
                fresh.save_state().unwrap(),
                first,
                "{}: fresh instance saves differently",
                put.name
            );
        }
    }
}

#[test]
fn values_survive_save_and_load_into_fresh_instance() {
    for put in each_plugin() {
        for (t, active) in [(0.83, false), (0.0, false), (1.0, true)] {
            let mut source = put.instantiate();
            let params = source.params();
            let set = set_non_default_values(&mut source, &params, t);
            let blob = source.save_state().unwrap();

            let mut target = put.instantiate();
            if active {
                target.activate(48_000.0, 512).unwrap();
            }
            target.load_state(&blob).unwrap();
            for (p, (&want, got)) in params
                .iter()
                .zip(set.iter().zip(param_values(&mut target, &params)))
            {
                assert!(
                    values_close(p, got, want),
                    "{}: {} set to {want}, restored as {got} (active: {active})",
                    put.name,
                    p.key()
                );
            }
            if active {
                let out = target.process_main(&vec![vec![0.5; 512]; 2], &[]).unwrap();
                check_output(&out, OUTPUT_BOUND).unwrap();
            }
        }
    }
}

/// The outcome of loading a bad blob.
fn load_bad_blob(
    plugin: &mut TestPlugin,
    params: &[ParamDesc],
    previous: &[f64],
    blob: &[u8],
    what: &str,
    put: &PluginUnderTest,
) {
    let result = plugin.load_state(blob);
    let now = param_values(plugin, params);
    for ((p, &before), &after) in params.iter().zip(previous).zip(&now) {
        assert!(
            values_close(p, after, before) || values_close(p, after, p.default),
            "{}: {what}: load returned {result:?} and moved {} from {before} to {after} (neither previous nor default)",
            put.name,
            p.key()
        );
    }
}

/// Checks the plugin still works after a bad load: it processes noise within bounds and still
/// loads a good state.
fn still_works(
    plugin: &mut TestPlugin,
    good: &[u8],
    what: &str,
    put: &PluginUnderTest,
    rng: &mut rand::rngs::StdRng,
) {
    let was_active = plugin.is_active();
    if !was_active {
        plugin.activate(48_000.0, 1024).unwrap();
    }
    for _ in 0..4 {
        let input = TestSignal::WhiteNoise.generate(2, 1024, rng);
        let out = plugin
            .process_main(&input, &[])
            .unwrap_or_else(|e| panic!("{}: after {what}: {e}", put.name));
        check_output(&out, OUTPUT_BOUND)
            .unwrap_or_else(|e| panic!("{}: after {what}: {e}", put.name));
    }
    if !was_active {
        plugin.deactivate();
    }
    plugin.load_state(good).unwrap_or_else(|e| {
        panic!(
            "{}: after {what}, a good state no longer loads: {e}",
            put.name
        )
    });
}

#[test]
fn bad_blobs_are_refused_or_harmless() {
    for put in each_plugin() {
        let (mut rng, seed) = rng(0xbad_57a7e);
        let mut plugin = put.instantiate();
        let params = plugin.params();
        let good = plugin.save_state().unwrap();

        let mut bad: Vec<(String, Vec<u8>)> = vec![
            ("empty blob".into(), Vec::new()),
            (
                "half of a valid blob".into(),
                good[..good.len() / 2].to_vec(),
            ),
            (
                "valid blob minus its last byte".into(),
                good[..good.len() - 1].to_vec(),
            ),
            (
                "only the length prefix".into(),
                good[..8.min(good.len())].to_vec(),
            ),
        ];
        for i in 0..8 {
            let mut noise = vec![0u8; rng.gen_range(1..4096)];
            rng.fill_bytes(&mut noise);
            bad.push((format!("random bytes #{i} (seed {seed})"), noise));
        }
        // Random bytes behind a plausible length prefix, so they reach the parser.
        let mut noise = vec![0u8; 300];
        rng.fill_bytes(&mut noise);
        let mut prefixed = 300u64.to_le_bytes().to_vec();
        prefixed.extend_from_slice(&noise);
        bad.push(("random bytes with a valid length prefix".into(), prefixed));
        // A huge announced length.
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        bad.push(("length prefix of u64::MAX".into(), huge));
        // Valid JSON with wrong types for our parameters.
        if let Some(mut json) = parse_nice_plug_state(&good) {
            if let Some(map) = json.get_mut("params").and_then(|p| p.as_object_mut()) {
                for v in map.values_mut() {
                    *v = serde_json::json!({"String": "not a number"});
                }
            }
            bad.push((
                "own format, wrongly typed values".into(),
                make_nice_plug_state(&json),
            ));
        }
        // Corrupt one byte inside the JSON.
        let mut flipped = good.clone();
        let i = 8 + (good.len() - 8) / 2;
        flipped[i] ^= 0x5a;
        bad.push(("valid blob with one corrupted byte".into(), flipped));
        // Foreign JSON: another plugin's (nice-plug-shaped) state with unknown parameter IDs,
        // with and without the length prefix.
        let foreign = serde_json::json!({
            "version": "9.9.9",
            "params": {"other_plugin_cutoff": {"F32": 1234.5}, "other_plugin_mode": {"I32": 3}},
            "fields": {"other_plugin_blob": "{\"x\":1}"}
        });
        bad.push((
            "another plugin's JSON state".into(),
            make_nice_plug_state(&foreign),
        ));
        bad.push((
            "raw JSON without a length prefix".into(),
            serde_json::to_vec(&foreign).unwrap(),
        ));

        for (round, (what, blob)) in bad.iter().enumerate() {
            // Alternate between inactive and active loads (a DAW loads presets while playing).
            let active = round % 2 == 1;
            if active {
                plugin.activate(48_000.0, 1024).unwrap();
            }
            let previous =
                set_non_default_values(&mut plugin, &params, 0.13 + 0.05 * (round % 10) as f64);
            load_bad_blob(&mut plugin, &params, &previous, blob, what, &put);
            still_works(&mut plugin, &good, what, &put, &mut rng);
            plugin.deactivate();
        }
        assert_no_thread_violations(&plugin, put.name);
    }
}

/// A valid state of another Tandem plugin. nice-plug states carry no plugin identity, so
/// parameters whose stable ID exists in both plugins (e.g. `out_gain`) are taken over; every
/// other parameter must keep its previous value, and the plugin must keep working.
#[test]
fn another_tandem_plugins_state_is_harmless() {
    for put in each_plugin() {
        for other in each_plugin()
            .into_iter()
            .filter(|o| o.clap_id != put.clap_id)
        {
            let (mut rng, _) = rng(0xf0e1);
            let mut source = other.instantiate();
            let source_params = source.params();
            let source_values = set_non_default_values(&mut source, &source_params, 0.91);
            let blob = source.save_state().unwrap();

            let mut plugin = put.instantiate();
            let params = plugin.params();
            let good = plugin.save_state().unwrap();
            let previous = set_non_default_values(&mut plugin, &params, 0.27);
            let result = plugin.load_state(&blob);
            let now = param_values(&mut plugin, &params);
            for ((p, &before), &after) in params.iter().zip(&previous).zip(&now) {
                let shared = source_params
                    .iter()
                    .position(|s| s.stable_id.is_some() && s.stable_id == p.stable_id);
                let took_foreign = shared.is_some_and(|i| values_close(p, after, source_values[i]));
                assert!(
                    values_close(p, after, before)
                        || values_close(p, after, p.default)
                        || took_foreign,
                    "{}: loading {}'s state ({result:?}) moved {} from {before} to {after}",
                    put.name,
                    other.name,
                    p.key()
                );
            }
            still_works(
                &mut plugin,
                &good,
                &format!("{}'s state", other.name),
                &put,
                &mut rng,
            );
        }
    }
}
