//! The subcommands, on top of `dsp-core`.

use crate::audio_io::{read_wav, write_wav, Audio, OutFormat};
use crate::{Cli, Command, Failure};
use dsp_core::analysis::features::{crest_factor_db, pearson_correlation};
use dsp_core::loudness::{measure, LoudnessStats};
use serde::Serialize;
use std::path::Path;

/// Runs the parsed command.
pub fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Analyze { input } => analyze(cli, input),
        Command::Demo { out, seconds } => demo(cli, out, *seconds),
    }
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
    let slices = audio.slices();
    let loudness = measure(&slices, audio.sample_rate as f32)
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
    let all: Vec<f32> = audio.channels.iter().flatten().copied().collect();
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
        crest_factor_db: crest_factor_db(&all),
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
    let audio = read_wav(input)?;
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
    let report = analysis_report(&mix_path, &mix)?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| Failure::Other(e.to_string()))?;
    let json_path = out.join("report.json");
    std::fs::write(&json_path, &json)
        .map_err(|e| Failure::Other(format!("{}: {e}", json_path.display())))?;
    if cli.json {
        println!("{json}");
    } else if !cli.quiet {
        println!(
            "Tandem demo: wrote {} ({seconds:.0} s, 48 kHz, 24-bit)",
            mix_path.display()
        );
        println!(
            "  demo mix: {} integrated, {:.1} LU range, {} true peak",
            fmt_opt(report.loudness.integrated_lufs, "LUFS"),
            report.loudness.loudness_range_lu,
            fmt_opt(report.loudness.true_peak_dbtp, "dBTP")
        );
        println!("  report: {}", json_path.display());
    }
    Ok(())
}
