//! Assertions and generators shared by the whole-plugin tests.

use crate::clap_host::{ParamChange, ParamDesc, TestPlugin};
use crate::signals::{first_non_finite, peak_abs};
use rand::rngs::StdRng;
use rand::Rng;

/// Largest output magnitude the robustness tests accept (+24 dB of output gain on full-scale
/// input is 15.85).
pub const OUTPUT_BOUND: f32 = 16.0;

/// `Err` with a description unless every sample is finite and `|x| <= bound`.
pub fn check_output(output: &[Vec<f32>], bound: f32) -> Result<(), String> {
    if let Some((ch, i, x)) = first_non_finite(output) {
        return Err(format!("non-finite output {x} at channel {ch}, frame {i}"));
    }
    for (ch, c) in output.iter().enumerate() {
        if let Some(i) = c.iter().position(|x| x.is_subnormal()) {
            return Err(format!(
                "subnormal output {:e} at channel {ch}, frame {i}",
                c[i]
            ));
        }
    }
    let peak = peak_abs(output);
    if peak > bound {
        return Err(format!("output peak {peak} exceeds {bound}"));
    }
    Ok(())
}

/// Random parameter changes for one block of `frames`: up to `max_events` events at random
/// offsets, on random parameters, with values drawn from the extremes, the default, stepped
/// values or uniformly across the CLAP range.
pub fn random_param_events(
    params: &[ParamDesc],
    frames: usize,
    max_events: usize,
    rng: &mut StdRng,
) -> Vec<ParamChange> {
    if params.is_empty() || frames == 0 {
        return Vec::new();
    }
    let count = rng.gen_range(0..=max_events);
    let mut events: Vec<ParamChange> = (0..count)
        .map(|_| {
            let p = &params[rng.gen_range(0..params.len())];
            let value = match rng.gen_range(0..6) {
                0 => p.min,
                1 => p.max,
                2 => p.default,
                _ => p.lerp(rng.gen_range(0.0..=1.0)),
            };
            ParamChange::new(rng.gen_range(0..frames as u32), p.id, value)
        })
        .collect();
    events.sort_by_key(|e| e.offset);
    events
}

/// Tolerance for comparing two CLAP values of `param` (nice-plug keeps values as `f32`).
pub fn value_tolerance(param: &ParamDesc) -> f64 {
    // The EQ's cut slopes are quantised by nice-plug to 6 dB/oct steps over 6–48 dB/oct while
    // the host sees a continuous (normalized) value: a set value lands within half a step.
    if param.key().ends_with("_slope") {
        return 0.5 * 6.0 / 42.0 + 1e-6;
    }
    if param.is_stepped() {
        // Steps are whole numbers; nice-plug hands values through f32, so 6 may read
        // 6.0000000596. Any real error is a whole step.
        1e-5
    } else {
        1e-5 * (param.max - param.min).abs().max(1.0)
    }
}

/// Whether two CLAP values of `param` are equal within [`value_tolerance`].
pub fn values_close(param: &ParamDesc, a: f64, b: f64) -> bool {
    (a - b).abs() <= value_tolerance(param)
}

/// Current CLAP value of every parameter, in `params` order (panics if one cannot be read).
pub fn param_values(plugin: &mut TestPlugin, params: &[ParamDesc]) -> Vec<f64> {
    params
        .iter()
        .map(|p| {
            plugin
                .param_value(p.id)
                .unwrap_or_else(|| panic!("get_value({}) failed", p.key()))
        })
        .collect()
}

/// Sets every parameter to a non-default value (`lerp(t)`, or the other end if that equals the
/// default) through `params.flush`, and returns the values set.
pub fn set_non_default_values(plugin: &mut TestPlugin, params: &[ParamDesc], t: f64) -> Vec<f64> {
    let changes: Vec<ParamChange> = params
        .iter()
        .map(|p| {
            let mut v = p.lerp(t);
            if values_close(p, v, p.default) {
                v = if values_close(p, p.max, p.default) {
                    p.min
                } else {
                    p.max
                };
            }
            ParamChange::new(0, p.id, v)
        })
        .collect();
    plugin.flush(&changes);
    changes.iter().map(|c| c.value).collect()
}

/// Sets parameter `key` (stable ID) from display text, as a user typing into a DAW's parameter
/// field would (the plugin parses the text). Panics with the plugin's name if it cannot.
pub fn set_by_text(plugin: &mut TestPlugin, key: &str, text: &str) {
    let p = plugin
        .param(key)
        .unwrap_or_else(|| panic!("no parameter {key}"));
    let v = plugin
        .text_to_value(p.id, text)
        .unwrap_or_else(|| panic!("{key}: cannot parse {text:?}"));
    plugin.set_param_via_flush(p.id, v);
}

/// Fails when the plugin called a host function from the wrong thread (thread-check).
pub fn assert_no_thread_violations(plugin: &TestPlugin, name: &str) {
    let v = plugin.thread_violations();
    assert!(v.is_empty(), "{name}: {v:?}");
}
