//! Parameter-ID snapshot: automation, presets and saved sessions refer to parameters by ID, so
//! an ID must never silently disappear or change.
//!
//! Each plugin has a checked-in snapshot, `tests/snapshots/<plugin>_params.txt`, one line per
//! parameter:
//!
//! ```text
//! <stable id>\tid=<CLAP id>\tname=<name>\tstepped=<bool>\tclap=<min>..<max>\trange=<min text>..<max text>
//! ```
//!
//! `<stable id>` is nice-plug's `#[id = "..."]` string (recovered from the saved state; the
//! parameter name if it cannot be recovered). The CLAP id is nice-plug's hash of that string.
//! Defaults are deliberately not part of the snapshot: changing a default does not break
//! sessions.
//!
//! The test fails when
//! - a parameter in the snapshot is gone, or any part of its line changed (ID, name, range...);
//! - the plugin has a parameter that is not in the snapshot (new parameters are fine, but only
//!   together with an updated snapshot, so every change is reviewed);
//! - the snapshot file is missing.
//!
//! To accept the current parameters, regenerate the snapshots and commit them:
//! `UPDATE_SNAPSHOTS=1 cargo test -p tests --test clap_param_snapshot` (after
//! `cargo xtask bundle-all`). Review the diff: a removed or changed line breaks existing
//! sessions and needs a migration (nice-plug's `Plugin::filter_state`).

use std::collections::BTreeMap;
use tests::clap_host::{each_plugin, ParamDesc, PluginUnderTest};

fn snapshot_line(p: &ParamDesc) -> String {
    format!(
        "{}\tid={}\tname={}\tstepped={}\tclap={}..{}\trange={}..{}",
        p.key(),
        p.id,
        p.name,
        p.is_stepped(),
        p.min,
        p.max,
        p.min_text.as_deref().unwrap_or("?"),
        p.max_text.as_deref().unwrap_or("?"),
    )
}

fn current_snapshot(put: &PluginUnderTest) -> String {
    let mut plugin = put.instantiate();
    let mut text = String::new();
    for p in plugin.params() {
        text.push_str(&snapshot_line(&p));
        text.push('\n');
    }
    text
}

/// key -> line
fn parse(snapshot: &str) -> BTreeMap<String, String> {
    snapshot
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            (
                l.split('\t').next().unwrap_or("").to_string(),
                l.to_string(),
            )
        })
        .collect()
}

/// The differences between a checked-in snapshot and the current parameters, as messages.
fn compare(expected: &str, current: &str) -> Vec<String> {
    let expected = parse(expected);
    let current = parse(current);
    let mut problems = Vec::new();
    for (key, line) in &expected {
        match current.get(key) {
            None => problems.push(format!("parameter `{key}` disappeared (was: {line})")),
            Some(now) if now != line => problems.push(format!(
                "parameter `{key}` changed:\n    was: {line}\n    now: {now}"
            )),
            Some(_) => {}
        }
    }
    for (key, line) in &current {
        if !expected.contains_key(key) {
            problems.push(format!(
                "new parameter `{key}` is not in the snapshot: {line}"
            ));
        }
    }
    problems
}

#[test]
fn param_ids_match_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v != "0" && !v.is_empty());
    let mut failures = Vec::new();
    for put in each_plugin() {
        let path = put.params_snapshot_path();
        let current = current_snapshot(&put);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &current).unwrap();
            eprintln!("updated {}", path.display());
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(&path) else {
            failures.push(format!(
                "{}: snapshot {} is missing; create it with UPDATE_SNAPSHOTS=1 cargo test -p tests --test clap_param_snapshot",
                put.name,
                path.display()
            ));
            continue;
        };
        for problem in compare(&expected, &current) {
            failures.push(format!("{}: {problem}", put.name));
        }
    }
    assert!(
        failures.is_empty(),
        "parameter snapshot mismatch:\n{}\n\nIf the change is intended, run \
         `UPDATE_SNAPSHOTS=1 cargo test -p tests --test clap_param_snapshot` and commit \
         tests/snapshots/ (a removed or changed ID breaks saved sessions and automation).",
        failures.join("\n")
    );
}

/// The comparison itself catches each kind of change (so the snapshot test can fail).
#[test]
fn snapshot_comparison_detects_changes() {
    let base = "a\tid=1\tname=A\tstepped=false\tclap=0..1\trange=0..1\nb\tid=2\tname=B\tstepped=true\tclap=0..3\trange=x..y\n";
    assert!(compare(base, base).is_empty());
    let removed = "a\tid=1\tname=A\tstepped=false\tclap=0..1\trange=0..1\n";
    assert!(compare(base, removed)[0].contains("disappeared"));
    let changed = base.replace("id=2", "id=3");
    assert!(compare(base, &changed)[0].contains("changed"));
    let ranged = base.replace("range=x..y", "range=x..z");
    assert!(compare(base, &ranged)[0].contains("changed"));
    let added = format!("{base}c\tid=9\tname=C\tstepped=false\tclap=0..1\trange=0..1\n");
    assert!(compare(base, &added)[0].contains("new parameter"));
}

/// The checked-in snapshots hold each chain's parameter table (dsp-core's, which the plugins
/// build their chain parameters from): every table entry is a line under its ID with the
/// table's name, stepped exactly when it is a switch or a menu, a menu running from its first
/// entry to its last. No bundle needed: a table changed without its snapshot fails here.
#[test]
fn the_snapshots_hold_each_chain_table() {
    use dsp_core::chains::params::ParamKind;
    use dsp_core::chains::Chain;
    let tables = [
        ("eq", dsp_core::chains::eq::EqChain::params()),
        ("comp", dsp_core::chains::comp::CompChain::params()),
        ("master", dsp_core::chains::master::MasterChain::params()),
    ];
    for (key, table) in tables {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("snapshots")
            .join(format!("{key}_params.txt"));
        let snapshot = parse(&std::fs::read_to_string(&path).unwrap());
        for p in table {
            let line = snapshot
                .get(p.id)
                .unwrap_or_else(|| panic!("{key}: {} is not in the snapshot", p.id));
            let field = |name: &str| {
                line.split('\t')
                    .find_map(|f| f.strip_prefix(name))
                    .unwrap_or_else(|| panic!("{key}: {line}: no {name}"))
                    .to_string()
            };
            assert_eq!(field("name="), p.name, "{key}: {}", p.id);
            let stepped = p.kind != ParamKind::Float;
            assert_eq!(field("stepped="), stepped.to_string(), "{key}: {}", p.id);
            if p.kind == ParamKind::Enum {
                let range = format!("{}..{}", p.choices[0], p.choices[p.choices.len() - 1]);
                assert_eq!(field("range="), range, "{key}: {}", p.id);
            }
        }
    }
}
