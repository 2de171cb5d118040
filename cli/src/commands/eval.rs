//! `tandem eval` (every assistant over the evaluation set, one table each) and `tandem
//! build-targets` (the built-in EQ targets from a set of tracks).

use super::shared::spinner;
use crate::engines::Kind;
use crate::{Cli, Failure};
use std::path::Path;

pub(super) fn run(
    cli: &Cli,
    assistants: &[Kind],
    set: &Path,
    tracks: &[String],
    check: bool,
) -> Result<(), Failure> {
    use crate::eval::{comp, eq, master};
    let want = |k: Kind| assistants.is_empty() || assistants.contains(&k);
    let mut json = serde_json::Map::new();
    let mut missed = Vec::new();
    let mut first = true;
    let mut gap = |cli: &Cli| {
        if !first && !cli.json && !cli.quiet {
            println!();
        }
        first = false;
    };
    if want(Kind::Eq) {
        let pb = spinner(cli, "evaluating the EQ assistant");
        let rows = eq::run(set, tracks).map_err(Failure::Input)?;
        drop(pb);
        let summary = eq::summarize(&rows);
        gap(cli);
        if !cli.json && !cli.quiet {
            eq::print_table(&rows, &summary);
        }
        if !eq::passes(&summary) {
            missed.push("eq");
        }
        json.insert(
            "eq".into(),
            serde_json::json!({ "tracks": rows, "summary": summary }),
        );
    }
    if want(Kind::Comp) {
        let pb = spinner(cli, "evaluating the Comp assistant");
        let rows = comp::run(set, tracks).map_err(Failure::Input)?;
        drop(pb);
        let summary = comp::summarize(&rows);
        gap(cli);
        if !cli.json && !cli.quiet {
            comp::print_table(&rows, &summary);
        }
        if !comp::passes(&summary) {
            missed.push("comp");
        }
        json.insert(
            "comp".into(),
            serde_json::json!({ "tracks": rows, "summary": summary }),
        );
    }
    if want(Kind::Master) {
        let pb = spinner(cli, "evaluating the Master assistant");
        let rows = master::run(set, tracks).map_err(Failure::Input)?;
        drop(pb);
        let summary = master::summarize(&rows);
        gap(cli);
        if !cli.json && !cli.quiet {
            master::print_table(&rows, &summary);
        }
        if !master::passes(&summary) {
            missed.push("master");
        }
        json.insert(
            "master".into(),
            serde_json::json!({ "tracks": rows, "summary": summary }),
        );
    }
    if cli.json {
        let out = serde_json::Value::Object(json);
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    if check && !missed.is_empty() {
        return Err(Failure::Other(format!(
            "eval: at least one bar missed by: {} (see the tables)",
            missed.join(", ")
        )));
    }
    Ok(())
}

/// Writes the EQ targets built from the tracks of `set` to `output` as JSON (atomically).
pub(super) fn build_targets(set: &Path, output: &Path) -> Result<(), Failure> {
    let v = crate::eval::targets::build_targets(set).map_err(Failure::Input)?;
    let text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    crate::audio_io::check_output(output)?;
    crate::audio_io::prepare_file(output, text.as_bytes())?.commit()?;
    Ok(())
}
