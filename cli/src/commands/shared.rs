//! What several commands share: progress on stderr, number and path formatting, JSON output,
//! the `--set ID=VALUE` parser and the input error.

use crate::engines::{Kind, Settings};
use crate::{Cli, Failure};
use serde::Serialize;
use std::path::Path;

/// A spinner on stderr for long work (only on a terminal and without --quiet/--json).
pub(super) fn spinner(cli: &Cli, message: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if cli.quiet || cli.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(message.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(pb)
}

/// A progress bar of `total` units on stderr (only on a terminal and without --quiet/--json).
pub(super) fn progress_bar(cli: &Cli, total: u64, message: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if cli.quiet || cli.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(total.max(1));
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40.cyan/blue}] {percent:>3}% ({elapsed} elapsed, {eta} left)",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(message.to_string());
    Some(pb)
}

pub(super) fn trim_float(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

pub(super) fn to_json<T: Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(v).map_err(|e| Failure::Other(e.to_string()))
}

pub(super) fn input_err(input: &Path, e: String) -> Failure {
    Failure::Input(format!("{}: {e}", input.display()))
}

pub(super) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

pub(super) fn parse_sets(set: &[String], kind: Kind) -> Result<Vec<(String, f32)>, Failure> {
    let table = Settings::default_for(kind).params();
    set.iter()
        .map(|s| {
            let (id, v) = s
                .split_once('=')
                .ok_or_else(|| Failure::Usage(format!("--set {s}: expected ID=VALUE")))?;
            let id = id.trim();
            let info = dsp_core::chains::params::index_of(table, id)
                .map(|i| &table[i])
                .ok_or_else(|| Failure::Usage(format!("--set unknown parameter ID '{id}'")))?;
            let v = info
                .parse(v)
                .map_err(|e| Failure::Usage(format!("--set {e}")))?;
            Ok((id.to_string(), v))
        })
        .collect()
}

pub(super) fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) => format!("{v:.1} {unit}"),
        None => "-inf (silence)".to_string(),
    }
}
