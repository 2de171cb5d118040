//! What `tandem analyze` measures of a file, also the before/after columns of `tandem master`,
//! the demo's report and `tandem bench`'s master job.

use crate::audio_io::Audio;
use crate::Failure;
use dsp_core::analysis::features::{crest_factor_db_channels, pearson_correlation};
use dsp_core::loudness::{measure, LoudnessStats};
use serde::Serialize;
use std::path::Path;

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

/// The report of `audio`, read from `path`.
pub(crate) fn analysis_report(path: &Path, audio: &Audio) -> Result<AnalysisReport, Failure> {
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
