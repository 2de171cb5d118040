//! Where and how a processed file is written: the output options checked before any work, no
//! output that is an input or another output, the render, resampling and plot written
//! atomically.

use super::shared::{input_err, progress_bar};
use crate::audio_io::{check_output, prepare_wav, Audio, OutFormat};
use crate::engines::Settings;
use crate::{Cli, Failure};
use dsp_core::assistant::targets::Target;
use std::path::Path;

pub(super) fn with_target(
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
pub(super) struct Outputs<'a> {
    pub(super) output: &'a Path,
    pub(super) bits: OutFormat,
    pub(super) rate: Option<u32>,
    pub(super) plot: Option<&'a Path>,
}

impl<'a> Outputs<'a> {
    /// The output options as given on the command line.
    pub(super) fn new(
        output: &'a Path,
        bits: OutFormat,
        rate: Option<u32>,
        plot: Option<&'a Path>,
    ) -> Self {
        Self {
            output,
            bits,
            rate,
            plot,
        }
    }

    /// Validates the output options before any heavy work; `inputs` are every file the command
    /// reads (the input, a preset, a reference), none of which an output may be.
    pub(super) fn check(&self, inputs: &[&Path]) -> Result<(), Failure> {
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
    pub(super) fn check_size(&self, audio: &Audio) -> Result<(), Failure> {
        let rate = self.rate.unwrap_or(audio.sample_rate) as u64;
        let frames = (audio.frames() as u64 * rate).div_ceil(audio.sample_rate.max(1) as u64);
        crate::audio_io::check_wav_fits(self.output, frames, audio.channels.len(), self.bits)?;
        Ok(())
    }
}

/// Refuses, before any work, an output that is one of the files read or another output (the
/// same file by device and inode, through symlinks and hard links, or the same resolved path):
/// the CLI never overwrites its own input.
pub(super) fn guard_outputs(outputs: &[(&str, &Path)], inputs: &[&Path]) -> Result<(), Failure> {
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

/// Renders `audio` through `settings` (with a progress bar), resamples to `--rate`, draws the
/// plot, and writes the audio and the plot atomically (neither is left behind on a failure).
/// Returns the audio as written.
pub(super) fn render_and_write(
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
pub(super) fn write_rendered(
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
