//! `tandem render`: a file through one plugin's chain at a preset, `--set` values and optionally
//! the suggestion, written atomically.

use super::assistant::{assistant_failure, assistant_options, run_suggest};
use super::output::{render_and_write, Outputs};
use super::shared::{file_name, parse_sets, to_json};
use crate::audio_io::read_audio;
use crate::engines::{self, Kind, Settings};
use crate::{AssistantArgs, Cli, Failure};
use dsp_core::assistant::Suggestion;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The largest preset or suggestion file read (bytes).
const MAX_PRESET_BYTES: u64 = 16 << 20;

/// Reads a preset: a suggestion JSON (its full set is taken) or a flat {id: value} object.
fn read_preset(path: &Path, kind: Kind) -> Result<BTreeMap<String, f32>, Failure> {
    let text = crate::audio_io::read_text_bounded(path, MAX_PRESET_BYTES)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::Input(format!("{}: not JSON ({e})", path.display())))?;
    if value.get("format_version").is_some() {
        let s = Suggestion::from_json(&text).map_err(|e| {
            Failure::Input(format!("{}: not a valid suggestion ({e})", path.display()))
        })?;
        if s.assistant != kind.key() {
            return Err(Failure::Input(format!(
                "{}: a {} suggestion, not a {} one",
                path.display(),
                s.assistant,
                kind.key()
            )));
        }
        return Ok(s.values);
    }
    let obj = value.as_object().ok_or_else(|| {
        Failure::Input(format!(
            "{}: expected an object of id: value",
            path.display()
        ))
    })?;
    let mut map = BTreeMap::new();
    for (id, v) in obj {
        let v = v
            .as_f64()
            .ok_or_else(|| Failure::Input(format!("{}: {id} is not a number", path.display())))?;
        map.insert(id.clone(), v as f32);
    }
    Ok(map)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    out: &Outputs,
    suggested: bool,
    preset: Option<&Path>,
    set: &[String],
    a: &AssistantArgs,
) -> Result<(), Failure> {
    // Validate every argument before any heavy work.
    let mut inputs = vec![input];
    inputs.extend(preset);
    inputs.extend(a.reference.as_deref());
    out.check(&inputs)?;
    let output = out.output;
    let sets = parse_sets(set, kind)?;
    let mut settings = Settings::default_for(kind);
    if let Some(p) = preset {
        let map = read_preset(p, kind)?;
        for (id, v) in &map {
            settings
                .set(id, *v)
                .map_err(|e| Failure::Input(format!("{}: {e}", p.display())))?;
        }
    }
    for (id, v) in &sets {
        // Checked now so a typo fails before the analysis runs.
        settings
            .clone()
            .set(id, *v)
            .map_err(|e| Failure::Usage(format!("--set {e}")))?;
    }
    let audio = read_audio(input)?;
    out.check_size(&audio)?;
    let mut report = None;
    let mut target = None;
    if suggested {
        let (s, amount, t) = run_suggest(cli, kind, input, &audio, a)?;
        settings = engines::accepted(kind, &settings, &s, amount);
        report = Some(s);
        target = t;
    } else if out.plot.is_some() {
        let (opts, _) = assistant_options(a)?;
        target = engines::explicit_target(kind, &opts).map_err(|e| assistant_failure(input, e))?;
    }
    for (id, v) in &sets {
        settings
            .set(id, *v)
            .map_err(|e| Failure::Usage(format!("--set {e}")))?;
    }
    let title = format!("Tandem {} render: {}", kind.key(), file_name(input));
    render_and_write(cli, &settings, input, &audio, out, target.as_ref(), &title)?;
    if cli.json {
        #[derive(Serialize)]
        struct RenderReport<'a> {
            output: String,
            settings: BTreeMap<String, f32>,
            suggestion: Option<&'a Suggestion>,
        }
        println!(
            "{}",
            to_json(&RenderReport {
                output: output.display().to_string(),
                settings: settings.to_map(),
                suggestion: report.as_ref(),
            })?
        );
    } else if !cli.quiet {
        println!("wrote {}", output.display());
        if let Some(p) = out.plot {
            println!("plot: {}", p.display());
        }
    }
    Ok(())
}
