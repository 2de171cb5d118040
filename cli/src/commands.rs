//! The subcommands, on top of `dsp-core`.

use crate::audio_io::{check_output, prepare_wav, read_audio, write_wav, Audio, OutFormat};
use crate::engines::{self, AssistOptions, Kind, Settings};
use crate::{AssistArgs, Cli, Command, Failure};
use dsp_core::analysis::features::{crest_factor_db_channels, pearson_correlation};
use dsp_core::assist::targets::Target;
use dsp_core::assist::Suggestion;
use dsp_core::loudness::{measure, LoudnessStats};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Runs the parsed command.
pub fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Analyze { input } => analyze(cli, input),
        Command::Demo { out, seconds } => demo(cli, out, *seconds),
        Command::Suggest {
            plugin,
            input,
            assist,
            plot,
        } => suggest_cmd(cli, *plugin, input, assist, plot.as_deref()),
        Command::Render {
            plugin,
            input,
            output,
            suggested,
            preset,
            set,
            assist,
            bits,
            rate,
            plot,
        } => render_cmd(
            cli,
            *plugin,
            input,
            &Outputs {
                output,
                bits: *bits,
                rate: *rate,
                plot: plot.as_deref(),
            },
            *suggested,
            preset.as_deref(),
            set,
            assist,
        ),
        Command::Master {
            input,
            output,
            assist,
            bits,
            rate,
            plot,
        } => master_cmd(
            cli,
            input,
            &Outputs {
                output,
                bits: *bits,
                rate: *rate,
                plot: plot.as_deref(),
            },
            assist,
        ),
        Command::Response {
            plugin,
            set,
            rate,
            points,
        } => response_cmd(cli, *plugin, set, *rate, *points),
        Command::Bench { blocks } => crate::bench::run(cli.json, blocks).map_err(Failure::Other),
        Command::BuildTargets { set, output } => {
            let v = crate::eval::targets::build_targets(set).map_err(Failure::Input)?;
            let text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
            crate::audio_io::check_output(output)?;
            crate::audio_io::prepare_file(output, text.as_bytes())?.commit()?;
            Ok(())
        }
        Command::Eval {
            assistants,
            set,
            tracks,
            check,
        } => eval_cmd(cli, assistants, set, tracks, *check),
    }
}

/// A spinner on stderr for long work (only on a terminal and without --quiet/--json).
fn spinner(cli: &Cli, message: &str) -> Option<indicatif::ProgressBar> {
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
fn progress_bar(cli: &Cli, total: u64, message: &str) -> Option<indicatif::ProgressBar> {
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

fn assist_options(a: &AssistArgs) -> Result<(AssistOptions, f32), Failure> {
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
        AssistOptions {
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

fn run_suggest(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    audio: &Audio,
    a: &AssistArgs,
) -> Result<(Suggestion, f32, Option<Target>), Failure> {
    run_suggest_measured(cli, kind, input, audio, a)
        .map(|(s, amount, target, _)| (s, amount, target))
}

/// [`run_suggest`], also returning the input's loudness when the assistant measured it (see
/// [`engines::suggest_measured`]).
fn run_suggest_measured(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    audio: &Audio,
    a: &AssistArgs,
) -> Result<(Suggestion, f32, Option<Target>, Option<LoudnessStats>), Failure> {
    let (opts, amount) = assist_options(a)?;
    let pb = spinner(cli, &format!("listening to {}", input.display()));
    let (s, target, loudness) =
        engines::suggest_measured(kind, &audio.channels, audio.sample_rate, &opts)
            .map_err(|e| assist_failure(input, e))?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok((s, amount, target, loudness))
}

fn assist_failure(input: &Path, e: String) -> Failure {
    if e.starts_with("--") {
        Failure::Usage(e)
    } else {
        Failure::Input(format!("{}: {e}", input.display()))
    }
}

fn print_suggestion(kind: Kind, s: &Suggestion, amount: f32) {
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
                let v = dsp_core::assist::accept::scale(*v, Settings::neutral(kind, id), amount);
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

fn trim_float(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(v).map_err(|e| Failure::Other(e.to_string()))
}

fn suggest_cmd(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    a: &AssistArgs,
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
        let after = match &settings {
            Settings::Eq(eq) => crate::plot::shifted(&before, "with the suggested EQ", |f| {
                eq.magnitude_db(f as f64, sr) as f32
            }),
            Settings::Master(m) => {
                let eq = m.eq_settings();
                crate::plot::shifted(&before, "with the suggested tone EQ", |f| {
                    eq.magnitude_db(f as f64, sr) as f32
                })
            }
            Settings::Comp(_) => {
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
        print_suggestion(kind, &s, amount);
        if let Some(p) = plot {
            println!("plot: {}", p.display());
        }
    }
    Ok(())
}

fn input_err(input: &Path, e: String) -> Failure {
    Failure::Input(format!("{}: {e}", input.display()))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn with_target(
    before: crate::plot::Curve,
    after: crate::plot::Curve,
    target: Option<&Target>,
) -> Vec<crate::plot::Curve> {
    // Level-matched to the result: the question the plot answers is how close it came.
    let t = target.map(|t| crate::plot::target_curve(t, &after));
    let mut curves = vec![before, after];
    curves.extend(t);
    curves
}

/// Where and how a processed file is written.
struct Outputs<'a> {
    output: &'a Path,
    bits: OutFormat,
    rate: Option<u32>,
    plot: Option<&'a Path>,
}

impl Outputs<'_> {
    /// Validates the output options before any heavy work; `inputs` are every file the command
    /// reads (the input, a preset, a reference), none of which an output may be.
    fn check(&self, inputs: &[&Path]) -> Result<(), Failure> {
        if let Some(r) = self.rate {
            if !(8_000..=768_000).contains(&r) {
                return Err(Failure::Usage(format!(
                    "--rate {r}: must be 8000–768000 Hz"
                )));
            }
        }
        check_output(self.output)?;
        if let Some(p) = self.plot {
            check_output(p)?;
        }
        let mut outputs = vec![("the output", self.output)];
        outputs.extend(self.plot.map(|p| ("--plot", p)));
        guard_outputs(&outputs, inputs)
    }

    /// Checks, once the input is read, that the output fits in a WAV file.
    fn check_size(&self, audio: &Audio) -> Result<(), Failure> {
        let rate = self.rate.unwrap_or(audio.sample_rate) as u64;
        let frames = (audio.frames() as u64 * rate).div_ceil(audio.sample_rate.max(1) as u64);
        crate::audio_io::check_wav_fits(self.output, frames, audio.channels.len(), self.bits)?;
        Ok(())
    }
}

/// Refuses, before any work, an output that is one of the files read or another output (the
/// same file by device and inode, through symlinks and hard links, or the same resolved path):
/// the CLI never overwrites its own input.
fn guard_outputs(outputs: &[(&str, &Path)], inputs: &[&Path]) -> Result<(), Failure> {
    use crate::audio_io::same_file;
    for (k, (what, o)) in outputs.iter().enumerate() {
        if let Some(i) = inputs.iter().find(|i| same_file(o, i)) {
            return Err(Failure::Usage(format!(
                "{}: {what} would overwrite {}, which this command reads",
                o.display(),
                i.display()
            )));
        }
        if let Some((other, _)) = outputs[..k].iter().find(|(_, p)| same_file(o, p)) {
            return Err(Failure::Usage(format!(
                "{}: {what} is the same file as {other}",
                o.display()
            )));
        }
    }
    Ok(())
}

/// The largest preset or suggestion file read (bytes).
const MAX_PRESET_BYTES: u64 = 16 << 20;

/// Renders `audio` through `settings` (with a progress bar), resamples to `--rate`, draws the
/// plot, and writes the audio and the plot atomically (neither is left behind on a failure).
/// Returns the audio as written.
fn render_and_write(
    cli: &Cli,
    settings: &Settings,
    input: &Path,
    audio: &Audio,
    out: &Outputs,
    target: Option<&Target>,
    title: &str,
) -> Result<Audio, Failure> {
    let frames = audio.frames();
    let resample_to = out.rate.filter(|r| *r != audio.sample_rate);
    let total = frames as u64 * if resample_to.is_some() { 2 } else { 1 };
    let pb = progress_bar(cli, total, &format!("rendering {}", out.output.display()));
    let channels = settings
        .render_with_progress(&audio.channels, audio.sample_rate as f32, &mut |n| {
            if let Some(pb) = &pb {
                pb.set_position(n as u64);
            }
        })
        .map_err(|e| input_err(input, e))?;
    write_rendered(channels, input, audio, out, target, title, pb)
}

/// The second half of [`render_and_write`]: resamples the rendered `channels` to `--rate`,
/// draws the plot, and writes both atomically, reporting on `pb` (positioned after the render).
fn write_rendered(
    channels: Vec<Vec<f32>>,
    input: &Path,
    audio: &Audio,
    out: &Outputs,
    target: Option<&Target>,
    title: &str,
    pb: Option<indicatif::ProgressBar>,
) -> Result<Audio, Failure> {
    // The resampling's progress continues from where the render left the bar.
    let done = pb.as_ref().map_or(0, |p| p.position());
    let resample_to = out.rate.filter(|r| *r != audio.sample_rate);
    let mut rendered = Audio {
        channels,
        sample_rate: audio.sample_rate,
    };
    if let Some(rate) = resample_to {
        if let Some(pb) = &pb {
            pb.set_message(format!("resampling to {rate} Hz"));
        }
        let channels =
            crate::resample::resample(&rendered.channels, audio.sample_rate, rate, &mut |n| {
                if let Some(pb) = &pb {
                    pb.set_position(done + n as u64);
                }
            })
            .map_err(Failure::Other)?;
        rendered = Audio {
            channels,
            sample_rate: rate,
        };
    }
    if let Some(pb) = &pb {
        pb.set_message(format!("writing {}", out.output.display()));
    }
    let png = match out.plot {
        Some(p) => {
            let before =
                crate::plot::spectrum(audio, "before: input").map_err(|e| input_err(input, e))?;
            let after = crate::plot::spectrum(&rendered, "after: output")
                .map_err(|e| input_err(input, e))?;
            Some(crate::plot::prepare(
                p,
                title,
                &with_target(before, after, target),
            )?)
        }
        None => None,
    };
    // The audio first: a failure leaves neither new file and deletes nothing that was there.
    let wav = prepare_wav(out.output, &rendered, out.bits)?;
    wav.commit()?;
    if let Some(png) = png {
        png.commit()?;
    }
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok(rendered)
}

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
fn render_cmd(
    cli: &Cli,
    kind: Kind,
    input: &Path,
    out: &Outputs,
    suggested: bool,
    preset: Option<&Path>,
    set: &[String],
    a: &AssistArgs,
) -> Result<(), Failure> {
    // Validate every argument before any heavy work.
    let mut inputs = vec![input];
    inputs.extend(preset);
    inputs.extend(a.reference.as_deref());
    out.check(&inputs)?;
    let output = out.output;
    let mut sets = Vec::new();
    for s in set {
        let (id, v) = s
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--set {s}: expected ID=VALUE")))?;
        let v: f32 = v
            .trim()
            .parse()
            .map_err(|_| Failure::Usage(format!("--set {s}: '{v}' is not a number")))?;
        sets.push((id.trim().to_string(), v));
    }
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
        let (opts, _) = assist_options(a)?;
        target = engines::explicit_target(kind, &opts).map_err(|e| assist_failure(input, e))?;
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

fn parse_sets(set: &[String]) -> Result<Vec<(String, f32)>, Failure> {
    set.iter()
        .map(|s| {
            let (id, v) = s
                .split_once('=')
                .ok_or_else(|| Failure::Usage(format!("--set {s}: expected ID=VALUE")))?;
            let v: f32 = v
                .trim()
                .parse()
                .map_err(|_| Failure::Usage(format!("--set {s}: '{v}' is not a number")))?;
            Ok((id.trim().to_string(), v))
        })
        .collect()
}

fn response_cmd(
    cli: &Cli,
    kind: Kind,
    set: &[String],
    rate: u32,
    points: usize,
) -> Result<(), Failure> {
    if !(8_000..=768_000).contains(&rate) {
        return Err(Failure::Usage(format!(
            "--rate {rate}: must be 8000–768000 Hz"
        )));
    }
    if !(2..=10_000).contains(&points) {
        return Err(Failure::Usage(format!(
            "--points {points}: must be 2–10000"
        )));
    }
    let mut settings = Settings::default_for(kind);
    for (id, v) in parse_sets(set)? {
        settings
            .set(&id, v)
            .map_err(|e| Failure::Usage(format!("--set {e}")))?;
    }
    let eq = match &settings {
        Settings::Eq(s) => *s,
        Settings::Master(m) => m.eq_settings(),
        Settings::Comp(_) => {
            return Err(Failure::Usage(
                "response: only eq and master have a frequency response".into(),
            ))
        }
    };
    let sr = rate as f64;
    let curve: Vec<(f64, f64)> = (0..points)
        .map(|k| {
            let f = 20.0 * ((0.45 * sr) / 20.0).powf(k as f64 / (points - 1) as f64);
            (f, eq.magnitude_db(f, sr))
        })
        .collect();
    if cli.json {
        #[derive(Serialize)]
        struct Point {
            hz: f64,
            db: f64,
        }
        let pts: Vec<Point> = curve
            .iter()
            .map(|(hz, db)| Point { hz: *hz, db: *db })
            .collect();
        println!("{}", to_json(&pts)?);
    } else if !cli.quiet {
        for (f, d) in curve {
            println!("{f:10.1} Hz  {d:+8.3} dB");
        }
    }
    Ok(())
}

fn master_cmd(cli: &Cli, input: &Path, out: &Outputs, a: &AssistArgs) -> Result<(), Failure> {
    let mut inputs = vec![input];
    inputs.extend(a.reference.as_deref());
    out.check(&inputs)?;
    let output = out.output;
    let audio = read_audio(input)?;
    out.check_size(&audio)?;
    // The master analysis measures the input's loudness; the "before" column reuses it.
    let (mut s, amount, target, input_loudness) =
        run_suggest_measured(cli, Kind::Master, input, &audio, a)?;
    let before = analysis_report_with(input, &audio, input_loudness)?;
    let title = format!("Tandem master: {}", file_name(input));
    // Render, verify on the whole file and correct the drive and ceiling when needed.
    let frames = audio.frames() as u64;
    let resample = out.rate.is_some_and(|r| r != audio.sample_rate);
    let total = frames * (engines::MASTER_MAX_PASSES as u64 + u64::from(resample));
    let pb = progress_bar(cli, total, &format!("rendering {}", output.display()));
    let verified = engines::master_render_verified(
        &mut s,
        &audio.channels,
        audio.sample_rate,
        amount,
        &mut |pass, n| {
            if let Some(pb) = &pb {
                pb.set_position((pass as u64 - 1) * frames + n as u64);
            }
        },
    )
    .map_err(|e| input_err(input, e))?;
    if let Some(pb) = &pb {
        pb.set_length(frames * (verified.passes as u64 + u64::from(resample)));
        pb.set_position(frames * verified.passes as u64);
    }
    let rendered = write_rendered(
        verified.rendered,
        input,
        &audio,
        out,
        target.as_ref(),
        &title,
        pb,
    )?;
    let after = analysis_report(output, &rendered)?;
    let target_lufs = s.measurements.get("target_lufs").copied();
    let ceiling = s.measurements.get("target_ceiling_dbtp").copied();
    let lufs_ok = match (after.loudness.integrated_lufs, target_lufs) {
        (Some(l), Some(t)) => (l - t).abs() <= 0.5 || amount < 1.0,
        _ => true,
    };
    let tp_ok = match (after.loudness.true_peak_dbtp, ceiling) {
        (Some(tp), Some(c)) => tp <= c + 0.05,
        _ => true,
    };
    if cli.json {
        #[derive(Serialize)]
        struct MasterReport<'a> {
            suggestion: &'a Suggestion,
            before: &'a AnalysisReport,
            after: &'a AnalysisReport,
            meets_target: bool,
        }
        println!(
            "{}",
            to_json(&MasterReport {
                suggestion: &s,
                before: &before,
                after: &after,
                meets_target: lufs_ok && tp_ok,
            })?
        );
    } else if !cli.quiet {
        print_suggestion(Kind::Master, &s, amount);
        println!();
        println!("                      before        after     target");
        let row = |name: &str, b: Option<f64>, a: Option<f64>, t: Option<f64>, unit: &str| {
            let f = |v: Option<f64>| {
                v.map(|v| format!("{v:7.1}"))
                    .unwrap_or_else(|| "   -inf".into())
            };
            println!(
                "  {name:<18} {} {unit:<4} {} {unit:<4} {}",
                f(b),
                f(a),
                t.map(|t| format!("{t:.1} {unit}")).unwrap_or_default()
            );
        };
        row(
            "integrated",
            before.loudness.integrated_lufs,
            after.loudness.integrated_lufs,
            target_lufs,
            "LUFS",
        );
        row(
            "true peak",
            before.loudness.true_peak_dbtp,
            after.loudness.true_peak_dbtp,
            ceiling,
            "dBTP",
        );
        row(
            "loudness range",
            Some(before.loudness.loudness_range_lu),
            Some(after.loudness.loudness_range_lu),
            None,
            "LU",
        );
        row(
            "short-term max",
            before.loudness.max_short_term_lufs,
            after.loudness.max_short_term_lufs,
            None,
            "LUFS",
        );
        println!(
            "  {}",
            if lufs_ok && tp_ok {
                "verified: the master meets its target"
            } else {
                "WARNING: the master misses its target (see the table)"
            }
        );
        println!("wrote {}", output.display());
        if let Some(p) = out.plot {
            println!("plot: {}", p.display());
        }
    }
    Ok(())
}

/// What `tandem analyze` measures.
#[derive(Debug, Serialize)]
pub struct AnalysisReport {
    /// The file analysed.
    pub file: String,
    /// Sample rate in Hz.
    pub sample_rate_hz: u32,
    /// Channel count.
    pub channels: usize,
    /// Duration in seconds.
    pub duration_s: f64,
    /// BS.1770 / EBU R128 loudness, loudness range, peaks.
    pub loudness: LoudnessStats,
    /// Peak-to-RMS ratio over the whole file, in dB (all channels).
    pub crest_factor_db: Option<f32>,
    /// Pearson correlation of left and right (+1 mono, 0 wide, −1 out of phase); None for mono.
    pub stereo_correlation: Option<f32>,
}

fn analysis_report(path: &Path, audio: &Audio) -> Result<AnalysisReport, Failure> {
    analysis_report_with(path, audio, None)
}

/// [`analysis_report`] with the loudness already measured (`loudness`: the values
/// `dsp_core::loudness::measure` gives for all of `audio`; `None` measures it here).
pub(crate) fn analysis_report_with(
    path: &Path,
    audio: &Audio,
    loudness: Option<LoudnessStats>,
) -> Result<AnalysisReport, Failure> {
    let slices = audio.slices();
    let loudness = match loudness {
        Some(l) => l,
        None => measure(&slices, audio.sample_rate as f32)
            .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?,
    };
    let stereo_correlation = if audio.channels.len() >= 2 {
        pearson_correlation(&audio.channels[0], &audio.channels[1])
    } else {
        None
    };
    Ok(AnalysisReport {
        file: path.display().to_string(),
        sample_rate_hz: audio.sample_rate,
        channels: audio.channels.len(),
        duration_s: audio.seconds(),
        loudness,
        crest_factor_db: crest_factor_db_channels(&slices),
        stereo_correlation,
    })
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) => format!("{v:.1} {unit}"),
        None => "-inf (silence)".to_string(),
    }
}

fn analyze(cli: &Cli, input: &Path) -> Result<(), Failure> {
    let audio = read_audio(input)?;
    let r = analysis_report(input, &audio)?;
    if cli.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&r).map_err(|e| Failure::Other(e.to_string()))?
        );
    } else if !cli.quiet {
        println!(
            "{} — {} Hz, {} ch, {:.2} s",
            r.file, r.sample_rate_hz, r.channels, r.duration_s
        );
        println!(
            "  integrated loudness   {}",
            fmt_opt(r.loudness.integrated_lufs, "LUFS")
        );
        println!(
            "  short-term max        {}",
            fmt_opt(r.loudness.max_short_term_lufs, "LUFS")
        );
        println!(
            "  momentary max         {}",
            fmt_opt(r.loudness.max_momentary_lufs, "LUFS")
        );
        println!(
            "  loudness range        {:.1} LU",
            r.loudness.loudness_range_lu
        );
        println!(
            "  true peak             {}",
            fmt_opt(r.loudness.true_peak_dbtp, "dBTP")
        );
        println!(
            "  sample peak           {}",
            fmt_opt(r.loudness.sample_peak_dbfs, "dBFS")
        );
        println!(
            "  crest factor          {}",
            fmt_opt(r.crest_factor_db.map(f64::from), "dB")
        );
        match r.stereo_correlation {
            Some(c) => println!("  stereo correlation    {c:+.2}"),
            None => println!("  stereo correlation    n/a (mono)"),
        }
    }
    Ok(())
}

fn demo(cli: &Cli, out: &Path, seconds: f64) -> Result<(), Failure> {
    if !(5.0..=600.0).contains(&seconds) {
        return Err(Failure::Usage(format!(
            "--seconds {seconds}: must be between 5 and 600"
        )));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| Failure::Input(format!("{}: cannot create folder: {e}", out.display())))?;
    let rate = 48_000u32;
    let [l, r] = dsp_core::testsignals::demo_mix(seconds, rate as f64);
    let mix = Audio {
        channels: vec![l, r],
        sample_rate: rate,
    };
    let mix_path = out.join("demo_mix.wav");
    write_wav(&mix_path, &mix, OutFormat::Int24)?;
    let before = analysis_report(&mix_path, &mix)?;

    // Each assistant listens to the mix; each plugin renders it with the suggestion accepted.
    #[derive(Serialize)]
    struct Step {
        plugin: &'static str,
        file: String,
        suggestion: Suggestion,
        result: AnalysisReport,
    }
    let pb = spinner(cli, "running the three assistants on the demo mix");
    let mut steps = Vec::new();
    for (kind, opts, name) in [
        (
            Kind::Eq,
            AssistOptions {
                profile: Some("balanced".into()),
                ..Default::default()
            },
            "demo_eq.wav",
        ),
        (
            Kind::Comp,
            AssistOptions {
                style: Some("glue".into()),
                ..Default::default()
            },
            "demo_comp.wav",
        ),
        (
            Kind::Master,
            AssistOptions {
                target: Some("spotify".into()),
                ..Default::default()
            },
            "demo_master.wav",
        ),
    ] {
        let s = engines::suggest(kind, &mix.channels, rate, &opts)
            .map_err(|e| Failure::Other(format!("demo: {e}")))?;
        let settings = engines::accepted(kind, &Settings::default_for(kind), &s, 1.0);
        let rendered = Audio {
            channels: settings
                .render(&mix.channels, rate as f32)
                .map_err(|e| Failure::Other(format!("demo: {e}")))?,
            sample_rate: rate,
        };
        let path = out.join(name);
        write_wav(&path, &rendered, OutFormat::Int24)?;
        steps.push(Step {
            plugin: kind.key(),
            file: path.display().to_string(),
            result: analysis_report(&path, &rendered)?,
            suggestion: s,
        });
    }
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    #[derive(Serialize)]
    struct DemoReport<'a> {
        mix: &'a AnalysisReport,
        steps: &'a [Step],
    }
    let json = to_json(&DemoReport {
        mix: &before,
        steps: &steps,
    })?;
    let json_path = out.join("report.json");
    let tmp = out.join(".report.json.tmp");
    std::fs::write(&tmp, &json)
        .and_then(|_| std::fs::rename(&tmp, &json_path))
        .map_err(|e| Failure::Other(format!("{}: {e}", json_path.display())))?;
    if cli.json {
        println!("{json}");
    } else if !cli.quiet {
        println!(
            "Tandem demo: a {seconds:.0} s synthetic mix (drums, bass, pad) at 48 kHz in {}",
            out.display()
        );
        println!(
            "  demo_mix.wav      {} integrated, {:.1} LU range, {} true peak",
            fmt_opt(before.loudness.integrated_lufs, "LUFS"),
            before.loudness.loudness_range_lu,
            fmt_opt(before.loudness.true_peak_dbtp, "dBTP")
        );
        for st in &steps {
            println!();
            println!(
                "  Tandem {} ({}): {} item(s), confidence {:.0} %",
                st.plugin,
                st.suggestion.target,
                st.suggestion.items.len(),
                100.0 * st.suggestion.confidence
            );
            for item in &st.suggestion.items {
                println!("    - {}: {}", item.title, item.reason);
            }
            for w in &st.suggestion.warnings {
                println!("    ! {w}");
            }
            println!(
                "    -> {}: {} integrated, {} true peak",
                st.file,
                fmt_opt(st.result.loudness.integrated_lufs, "LUFS"),
                fmt_opt(st.result.loudness.true_peak_dbtp, "dBTP")
            );
        }
        println!();
        println!("  report: {}", json_path.display());
    }
    Ok(())
}

fn eval_cmd(
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
