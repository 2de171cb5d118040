//! `tandem`: Tandem's analysis, suggestions and processing on audio files.
//!
//! Exit codes: 0 success, 2 usage error (bad arguments), 3 bad input (a file or value that
//! cannot be used), 1 anything else. Errors are one line on stderr naming the file or argument
//! and the problem; outputs are written to a temporary file and renamed at the end.

mod audio_io;
mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Tandem: the machine listens and proposes; the engineer decides.
#[derive(Parser, Debug)]
#[command(name = "tandem", version, about, long_about = None)]
pub struct Cli {
    /// Print machine-readable JSON instead of the readable report.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors (and the JSON when --json is given).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Measure a file: loudness (integrated, short-term max, momentary max, range), true peak,
    /// sample peak, crest factor, stereo correlation.
    Analyze {
        /// The audio file (WAV: 16/24/32-bit integer or 32-bit float).
        input: PathBuf,
    },
    /// With no input file: synthesise a short demo mix, run the assistants, write the rendered
    /// files and a report into a folder (default `tandem-demo/`).
    Demo {
        /// The folder to write into (created if missing).
        #[arg(long, short, default_value = "tandem-demo")]
        out: PathBuf,
        /// Length of the demo mix in seconds.
        #[arg(long, default_value_t = 30.0)]
        seconds: f64,
    },
}

/// A failure with its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments: exit 2.
    Usage(String),
    /// Bad input file or value: exit 3.
    Input(String),
    /// Anything else: exit 1.
    Other(String),
}

impl From<audio_io::FileError> for Failure {
    fn from(e: audio_io::FileError) -> Self {
        Failure::Input(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                _ => {
                    // clap's own message, reduced to its first line, plus a pointer to --help.
                    let msg = e.to_string();
                    let first = msg.lines().next().unwrap_or("invalid arguments");
                    eprintln!("tandem: {}", first.trim_start_matches("error: "));
                    ExitCode::from(2)
                }
            };
        }
    };
    match commands::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("tandem: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Input(m)) => {
            eprintln!("tandem: {m}");
            ExitCode::from(3)
        }
        Err(Failure::Other(m)) => {
            eprintln!("tandem: {m}");
            ExitCode::from(1)
        }
    }
}
