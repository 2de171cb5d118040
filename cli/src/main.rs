//! `tandem`: Tandem's analysis, suggestions and processing on audio files.
//!
//! Exit codes: 0 success, 2 usage error (bad arguments), 3 bad input (a file or value that
//! cannot be used), 1 anything else. Errors are one line on stderr naming the file or argument
//! and the problem; outputs are written to a temporary file and renamed at the end.

mod audio_io;
mod bench;
mod commands;
mod engines;
mod eval;
mod plot;
mod report;
mod resample;

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
        /// The audio file (WAV: 16/24/32-bit integer or 32-bit float; FLAC, Ogg Vorbis, MP3).
        input: PathBuf,
    },
    /// Propose settings for one plugin from what the file contains, with the reasons.
    Suggest {
        /// Which plugin's assistant.
        #[arg(value_enum)]
        plugin: engines::Kind,
        /// The audio file (WAV, FLAC, Ogg Vorbis or MP3).
        input: PathBuf,
        #[command(flatten)]
        assistant: AssistantArgs,
        /// Draw the spectrum before and with the suggestion applied, and the target, as a PNG.
        #[arg(long, value_name = "FILE.png")]
        plot: Option<PathBuf>,
    },
    /// Process a file with given settings (parameter IDs and values exactly as the plugins').
    Render {
        /// Which plugin's processing.
        #[arg(value_enum)]
        plugin: engines::Kind,
        /// The audio file (WAV, FLAC, Ogg Vorbis or MP3).
        input: PathBuf,
        /// Where to write the result (WAV).
        #[arg(long, short)]
        output: PathBuf,
        /// Render with the assistant's suggestion accepted (takes the analysis options).
        #[arg(long)]
        suggested: bool,
        /// A suggestion or settings JSON (as written by --json or exported by the plugin).
        #[arg(long)]
        preset: Option<PathBuf>,
        /// Set a parameter: `--set b1_gain=-3`, `--set b1_type=low_shelf`, `--set b1_on=on`
        /// (repeatable; applied last).
        #[arg(long = "set", value_name = "ID=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        assistant: AssistantArgs,
        /// Output sample format.
        #[arg(long, value_enum, default_value = "24")]
        bits: audio_io::OutFormat,
        /// Output sample rate in Hz (processing runs at the input's rate, then the result is
        /// resampled); default: the input's rate.
        #[arg(long, value_name = "HZ")]
        rate: Option<u32>,
        /// Draw the spectrum before and after (and the target, if any) as a PNG.
        #[arg(long, value_name = "FILE.png")]
        plot: Option<PathBuf>,
    },
    /// Suggest and render the master with the suggestion accepted, then verify the result and
    /// print the before/after table.
    Master {
        /// The mix (WAV, FLAC, Ogg Vorbis or MP3).
        input: PathBuf,
        /// Where to write the master (WAV).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        assistant: AssistantArgs,
        /// Output sample format.
        #[arg(long, value_enum, default_value = "24")]
        bits: audio_io::OutFormat,
        /// Output sample rate in Hz (processing runs at the input's rate, then the result is
        /// resampled); default: the input's rate.
        #[arg(long, value_name = "HZ")]
        rate: Option<u32>,
        /// Draw the spectrum before and after (and the target, if any) as a PNG.
        #[arg(long, value_name = "FILE.png")]
        plot: Option<PathBuf>,
    },
    /// Print the analytic magnitude response of EQ settings (the curve the editor draws) as
    /// frequency/dB pairs; `master` gives its tone EQ.
    Response {
        /// `eq` or `master`.
        #[arg(value_enum)]
        plugin: engines::Kind,
        /// Set a parameter: `--set b1_gain=-3`, `--set b1_type=low_shelf`, `--set b1_on=on`
        /// (repeatable).
        #[arg(long = "set", value_name = "ID=VALUE")]
        set: Vec<String>,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 48_000)]
        rate: u32,
        /// Number of log-spaced points from 20 Hz to 0.45 × the rate.
        #[arg(long, default_value_t = 48)]
        points: usize,
    },
    /// Time the standard DSP and analysis configurations in-process (CPU ms and × real time
    /// for 60 s of 48 kHz stereo), each chain static and automated; see docs/PERFORMANCE.md.
    Bench {
        /// Host block size in frames (repeatable, e.g. --block 64 --block 1024; default 1024).
        #[arg(long = "block", value_name = "FRAMES")]
        blocks: Vec<usize>,
    },
    /// Rebuild the measured tonal targets (Balanced, Warm, Bright) from the profile set fetched
    /// by `tools/eval/fetch-music.sh`, as the JSON of dsp-core/data/measured_targets.json.
    BuildTargets {
        /// The profile set's folder (holding manifest.tsv).
        #[arg(long, default_value = "eval-music/profile")]
        set: PathBuf,
        /// Where to write the JSON (a new file; never an input).
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Judge the assistants on real, mastered music: the evaluation set fetched by
    /// `tools/eval/fetch-music.sh` (see docs/ASSISTANTS.md). Prints one table per assistant
    /// (with --json, the rows and the summaries as JSON).
    Eval {
        /// Which assistants: eq, comp, master (repeatable; default: all three).
        #[arg(long = "assistant", value_enum, value_name = "KIND")]
        assistants: Vec<crate::engines::Kind>,
        /// The set's folder (holding manifest.tsv).
        #[arg(long, default_value = "eval-music/eval")]
        set: PathBuf,
        /// Only these track IDs (repeatable; default: all).
        #[arg(long = "track", value_name = "ID")]
        tracks: Vec<String>,
        /// Exit with status 1 unless every bar of the table is met.
        #[arg(long)]
        check: bool,
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

/// The assistants' analysis options.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AssistantArgs {
    /// EQ/master tonal profile: flat, balanced, warm, bright, vocal, bass, drums, acoustic.
    #[arg(long)]
    pub profile: Option<String>,
    /// A reference track (WAV, FLAC, Ogg Vorbis or MP3) to match instead of a profile.
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Comp style: gentle, glue, punch, vocal, transient.
    #[arg(long)]
    pub style: Option<String>,
    /// Master platform by key, e.g. spotify (the default), apple, youtube, ebu_r128 (an unknown
    /// key gets the whole list).
    #[arg(long)]
    pub target: Option<String>,
    /// Master custom loudness target in LUFS (instead of --target).
    #[arg(long, allow_negative_numbers = true)]
    pub lufs: Option<f32>,
    /// Master custom true-peak ceiling in dBTP (with --lufs).
    #[arg(long, allow_negative_numbers = true)]
    pub ceiling: Option<f32>,
    /// How much of the suggestion to use, in percent (0–100).
    #[arg(long, default_value_t = 100.0)]
    pub amount: f32,
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

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown cause".to_string()
    }
}

fn main() -> ExitCode {
    // Never a backtrace: a panic (a bug, or a decoder tripping on malformed data) is caught below
    // and reported as one line.
    std::panic::set_hook(Box::new(|_| {}));
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
    let result = std::panic::catch_unwind(|| commands::run(&cli)).unwrap_or_else(|p| {
        Err(Failure::Other(format!(
            "internal error: {} (please report this)",
            panic_message(p.as_ref()).lines().next().unwrap_or("")
        )))
    });
    match result {
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
