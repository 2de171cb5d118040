//! `tandem analyze`: a file's loudness, peaks, crest factor and stereo correlation.

use super::shared::fmt_opt;
use crate::audio_io::read_audio;
use crate::report::analysis_report;
use crate::{Cli, Failure};
use std::path::Path;

pub(super) fn run(cli: &Cli, input: &Path) -> Result<(), Failure> {
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
