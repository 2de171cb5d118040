//! `tandem demo`: the synthetic demo mix, each assistant's suggestion on it and each plugin's
//! render with the suggestion accepted, with a JSON report.

use super::shared::{fmt_opt, spinner, to_json};
use crate::audio_io::{write_wav, Audio, OutFormat};
use crate::engines::{self, AssistantOptions, Kind, Settings};
use crate::report::{analysis_report, AnalysisReport};
use crate::{Cli, Failure};
use dsp_core::assistant::Suggestion;
use serde::Serialize;
use std::path::Path;

pub(super) fn run(cli: &Cli, out: &Path, seconds: f64) -> Result<(), Failure> {
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
            AssistantOptions {
                profile: Some("balanced".into()),
                ..Default::default()
            },
            "demo_eq.wav",
        ),
        (
            Kind::Comp,
            AssistantOptions {
                style: Some("glue".into()),
                ..Default::default()
            },
            "demo_comp.wav",
        ),
        (
            Kind::Master,
            AssistantOptions {
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
