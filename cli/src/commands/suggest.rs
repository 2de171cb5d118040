//! `tandem suggest`: what an assistant proposes for a file, printed or as JSON, with an optional
//! plot of the spectrum before and after.

use super::assistant::run_suggest;
use super::output::{guard_outputs, with_target};
use super::shared::{file_name, input_err, spinner, to_json};
use crate::audio_io::{check_output, read_audio, Audio};
use crate::engines::{self, Kind, Settings};
use crate::{AssistantArgs, Cli, Failure};
use std::path::Path;

pub(super) fn run(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    a: &AssistantArgs,
    plot: Option<&Path>,
) -> Result<(), Failure> {
    if let Some(p) = plot {
        check_output(p)?;
        let mut inputs = vec![input];
        inputs.extend(a.reference.as_deref());
        guard_outputs(&[("--plot", p)], &inputs)?;
    }
    let audio = read_audio(input)?;
    let (s, amount, target) = run_suggest(cli, kind, input, &audio, a)?;
    if let Some(p) = plot {
        let pb = spinner(cli, &format!("drawing {}", p.display()));
        let before =
            crate::plot::spectrum(&audio, "before: input").map_err(|e| input_err(input, e))?;
        let settings = engines::accepted(kind, &Settings::default_for(kind), &s, amount);
        let sr = audio.sample_rate as f64;
        let after = match settings.tone_eq() {
            Some((eq, what)) => {
                let label = format!("with the suggested {what}");
                crate::plot::shifted(&before, &label, |f| eq.magnitude_db(f as f64, sr) as f32)
            }
            None => {
                let rendered = Audio {
                    channels: settings
                        .render(&audio.channels, audio.sample_rate as f32)
                        .map_err(|e| input_err(input, e))?,
                    sample_rate: audio.sample_rate,
                };
                crate::plot::spectrum(&rendered, "after: rendered with the suggestion")
                    .map_err(|e| input_err(input, e))?
            }
        };
        let curves = with_target(before, after, target.as_ref());
        let title = format!("Tandem {} suggestion: {}", kind.key(), file_name(input));
        let png = crate::plot::prepare(p, &title, &curves)?;
        png.commit()?;
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
    }
    if cli.json {
        println!("{}", to_json(&s)?);
    } else if !cli.quiet {
        super::assistant::print_suggestion(kind, &s, amount);
        if let Some(p) = plot {
            println!("plot: {}", p.display());
        }
    }
    Ok(())
}
