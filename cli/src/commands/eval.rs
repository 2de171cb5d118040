//! `tandem eval` (every assistant over the evaluation set, one table each) and `tandem
//! build-targets` (the built-in EQ targets from a set of tracks).

use super::shared::spinner;
use crate::engines::Kind;
use crate::{Cli, Failure};
use serde::Serialize;
use std::path::Path;

/// One assistant's evaluation as `tandem eval` runs it: its rows per track, their summary, its
/// table and whether the summary meets the bars (the functions of `crate::eval::{eq,comp,master}`).
struct Judge<R, S> {
    kind: Kind,
    label: &'static str,
    run: fn(&Path, &[String]) -> Result<Vec<R>, String>,
    summarize: fn(&[R]) -> S,
    print_table: fn(&[R], &S),
    passes: fn(&S) -> bool,
}

/// A [`Judge`] whatever its row and summary types.
trait Evaluation {
    fn kind(&self) -> Kind;
    /// Runs the evaluation on `tracks` of `set` (all when empty), prints its table (unless
    /// `--json` or `--quiet`; after a blank line when `gap`) and returns its JSON (rows and
    /// summary) and whether it meets the bars.
    fn judge(
        &self,
        cli: &Cli,
        set: &Path,
        tracks: &[String],
        gap: bool,
    ) -> Result<(serde_json::Value, bool), Failure>;
}

impl<R: Serialize, S: Serialize> Evaluation for Judge<R, S> {
    fn kind(&self) -> Kind {
        self.kind
    }

    fn judge(
        &self,
        cli: &Cli,
        set: &Path,
        tracks: &[String],
        gap: bool,
    ) -> Result<(serde_json::Value, bool), Failure> {
        let pb = spinner(cli, &format!("evaluating the {} assistant", self.label));
        let rows = (self.run)(set, tracks).map_err(Failure::Input)?;
        drop(pb);
        let summary = (self.summarize)(&rows);
        if !cli.json && !cli.quiet {
            if gap {
                println!();
            }
            (self.print_table)(&rows, &summary);
        }
        let json = serde_json::json!({ "tracks": rows, "summary": summary });
        Ok((json, (self.passes)(&summary)))
    }
}

pub(super) fn run(
    cli: &Cli,
    assistants: &[Kind],
    set: &Path,
    tracks: &[String],
    check: bool,
) -> Result<(), Failure> {
    use crate::eval::{comp, eq, master};
    let judges: [&dyn Evaluation; 3] = [
        &Judge {
            kind: Kind::Eq,
            label: "EQ",
            run: eq::run,
            summarize: eq::summarize,
            print_table: eq::print_table,
            passes: eq::passes,
        },
        &Judge {
            kind: Kind::Comp,
            label: "Comp",
            run: comp::run,
            summarize: comp::summarize,
            print_table: comp::print_table,
            passes: comp::passes,
        },
        &Judge {
            kind: Kind::Master,
            label: "Master",
            run: master::run,
            summarize: master::summarize,
            print_table: master::print_table,
            passes: master::passes,
        },
    ];
    let mut json = serde_json::Map::new();
    let mut missed = Vec::new();
    for j in judges {
        if assistants.is_empty() || assistants.contains(&j.kind()) {
            let (value, passes) = j.judge(cli, set, tracks, !json.is_empty())?;
            if !passes {
                missed.push(j.kind().key());
            }
            json.insert(j.kind().key().into(), value);
        }
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
