//! `tandem master`: the Master assistant's suggestion rendered, verified on the whole file and
//! corrected, with the before/after/target table.

use super::assistant::{print_suggestion, run_suggest_measured};
use super::output::{write_rendered, Outputs};
use super::shared::{file_name, input_err, progress_bar, to_json};
use crate::audio_io::read_audio;
use crate::engines::{self, Kind};
use crate::report::{analysis_report_with, AnalysisReport};
use crate::{AssistantArgs, Cli, Failure};
use dsp_core::assistant::Suggestion;
use serde::Serialize;
use std::path::Path;

pub(super) fn run(
    cli: &Cli,
    input: &Path,
    out: &Outputs,
    a: &AssistantArgs,
) -> Result<(), Failure> {
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
    // The output report reuses the verification's measurement of the render unless the
    // render is resampled on the way out.
    let measured = (!resample).then_some(verified.loudness);
    let rendered = write_rendered(
        verified.rendered,
        input,
        &audio,
        out,
        target.as_ref(),
        &title,
        pb,
    )?;
    let after = analysis_report_with(output, &rendered, measured)?;
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
