//! The assistants as the commands run them: `--amount`, `--reference`, `--profile`, `--style`,
//! `--target` made into options, the suggestion computed (with a spinner) and printed.

use super::shared::{spinner, trim_float};
use crate::audio_io::{read_audio, Audio};
use crate::engines::{self, AssistantOptions, Kind, Settings};
use crate::{AssistantArgs, Cli, Failure};
use dsp_core::assistant::targets::Target;
use dsp_core::assistant::Suggestion;
use dsp_core::loudness::LoudnessStats;
use std::path::Path;

pub(super) fn assistant_options(a: &AssistantArgs) -> Result<(AssistantOptions, f32), Failure> {
    if !(0.0..=100.0).contains(&a.amount) {
        return Err(Failure::Usage(format!(
            "--amount {}: must be between 0 and 100",
            a.amount
        )));
    }
    if a.reference.is_some() && a.profile.is_some() {
        return Err(Failure::Usage(
            "--reference and --profile exclude each other".into(),
        ));
    }
    let reference = match &a.reference {
        Some(p) => {
            let audio = read_audio(p)?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "reference".into());
            Some((name, audio.channels, audio.sample_rate))
        }
        None => None,
    };
    Ok((
        AssistantOptions {
            profile: a.profile.clone(),
            reference,
            style: a.style.clone(),
            target: a.target.clone(),
            lufs: a.lufs,
            ceiling: a.ceiling,
        },
        a.amount / 100.0,
    ))
}

pub(super) fn run_suggest(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    audio: &Audio,
    a: &AssistantArgs,
) -> Result<(Suggestion, f32, Option<Target>), Failure> {
    run_suggest_measured(cli, kind, input, audio, a)
        .map(|(s, amount, target, _)| (s, amount, target))
}

/// [`run_suggest`], also returning the input's loudness when the assistant measured it (see
/// [`engines::suggest_measured`]).
pub(super) fn run_suggest_measured(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    audio: &Audio,
    a: &AssistantArgs,
) -> Result<(Suggestion, f32, Option<Target>, Option<LoudnessStats>), Failure> {
    let (opts, amount) = assistant_options(a)?;
    let pb = spinner(cli, &format!("listening to {}", input.display()));
    let (s, target, loudness) =
        engines::suggest_measured(kind, &audio.channels, audio.sample_rate, &opts)
            .map_err(|e| assistant_failure(input, e))?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok((s, amount, target, loudness))
}

pub(super) fn assistant_failure(input: &Path, e: String) -> Failure {
    if e.starts_with("--") {
        Failure::Usage(e)
    } else {
        Failure::Input(format!("{}: {e}", input.display()))
    }
}

pub(super) fn print_suggestion(kind: Kind, s: &Suggestion, amount: f32) {
    println!(
        "Tandem {} suggestion \u{2014} target {} \u{2014} confidence {:.0} % ({:.1} s heard{})",
        kind.key(),
        s.target,
        100.0 * s.confidence,
        s.heard_seconds,
        if s.stable { ", stable" } else { "" }
    );
    if amount < 1.0 {
        println!("  (values shown at {:.0} % amount)", 100.0 * amount);
    }
    for item in &s.items {
        println!();
        println!("  {} ({:.0} %)", item.title, 100.0 * item.confidence);
        println!("    why: {}", item.reason);
        let vals: Vec<String> = item
            .values
            .iter()
            .map(|(id, v)| {
                let v = dsp_core::assistant::accept::scale(*v, Settings::neutral(kind, id), amount);
                format!("{id}={}", trim_float(v))
            })
            .collect();
        println!("    set: {}", vals.join(" "));
    }
    if s.items.is_empty() {
        println!("  nothing to change");
    }
    for w in &s.warnings {
        println!("  warning: {w}");
    }
}
