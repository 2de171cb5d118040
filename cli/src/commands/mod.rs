//! The subcommands, on top of `dsp-core`: [`run`] dispatches to one module per command. What
//! several share lives beside them: progress, formatting and `--set` parsing ([`shared`]), the
//! assistants' options and printout ([`assistant`]), and where and how a processed file is written
//! ([`output`]). `tandem bench` is [`crate::bench`]; the analysis report is [`crate::report`].

mod analyze;
mod assistant;
mod demo;
mod eval;
mod master;
mod output;
mod render;
mod response;
mod shared;
mod suggest;

use crate::{Cli, Command, Failure};
use output::Outputs;

pub fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Analyze { input } => analyze::run(cli, input),
        Command::Demo { out, seconds } => demo::run(cli, out, *seconds),
        Command::Suggest {
            plugin,
            input,
            assistant,
            plot,
        } => suggest::run(cli, *plugin, input, assistant, plot.as_deref()),
        Command::Render {
            plugin,
            input,
            output,
            suggested,
            preset,
            set,
            assistant,
            bits,
            rate,
            plot,
        } => render::run(
            cli,
            *plugin,
            input,
            &Outputs::new(output, *bits, *rate, plot.as_deref()),
            *suggested,
            preset.as_deref(),
            set,
            assistant,
        ),
        Command::Master {
            input,
            output,
            assistant,
            bits,
            rate,
            plot,
        } => master::run(
            cli,
            input,
            &Outputs::new(output, *bits, *rate, plot.as_deref()),
            assistant,
        ),
        Command::Response {
            plugin,
            set,
            rate,
            points,
        } => response::run(cli, *plugin, set, *rate, *points),
        Command::Bench { blocks } => crate::bench::run(cli.json, blocks).map_err(Failure::Other),
        Command::BuildTargets { set, output } => eval::build_targets(set, output),
        Command::Eval {
            assistants,
            set,
            tracks,
            check,
        } => eval::run(cli, assistants, set, tracks, *check),
    }
}
