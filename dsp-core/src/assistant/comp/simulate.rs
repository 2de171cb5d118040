//! The chain run over audio: [`average_gain_reduction`] (the definition of average gain
//! reduction used everywhere) and [`integrated_lufs`].

use super::{DEFAULT_GATE_DBFS, LOUD_RELATIVE_DB};
use crate::chains::comp::{CompChain, CompSettings};
use crate::{ConfigError, Processor, ProcessorConfig};

/// The result of running the chain over audio ([`average_gain_reduction`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GainReductionReport {
    /// Mean gain reduction over the loud frames, dB (0 when there are none).
    pub average_db: f32,
    /// Largest frame gain reduction, dB.
    pub max_db: f32,
    /// Loud frames counted.
    pub loud_frames: usize,
    /// All frames.
    pub frames: usize,
    /// The chain's output, latency-compensated, the input's length (empty unless asked for).
    pub output: Vec<Vec<f32>>,
}

/// Runs a fresh [`CompChain`] with `settings` (internal key) over `channels` and measures the
/// average gain reduction over loud frames, as defined in the module docs. With `keep_output`
/// the latency-compensated output is returned too. Allocates (analysis threads only).
pub fn average_gain_reduction(
    settings: &CompSettings,
    channels: &[&[f32]],
    sample_rate_hz: f32,
    keep_output: bool,
) -> Result<GainReductionReport, ConfigError> {
    let nch = channels.len();
    let len = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut out: Vec<Vec<f32>> = if keep_output {
        vec![Vec::with_capacity(len); nch]
    } else {
        Vec::new()
    };
    let mut report = run(settings, channels, sample_rate_hz, |part| {
        if keep_output {
            for (o, p) in out.iter_mut().zip(part) {
                o.extend_from_slice(p);
            }
        }
    })?;
    report.output = out;
    Ok(report)
}

/// [`average_gain_reduction`] and the integrated loudness of the output (what
/// [`integrated_lufs`] of the kept output gives, bit for bit), measured as the output is
/// rendered instead of from a copy of it: `None` when too short, silent or cancelled.
pub fn average_gain_reduction_and_loudness(
    settings: &CompSettings,
    channels: &[&[f32]],
    sample_rate_hz: f32,
) -> Result<(GainReductionReport, Option<f32>), ConfigError> {
    let mut meter = crate::loudness::LoudnessAnalyzer::with_true_peak(
        channels.len().max(1),
        sample_rate_hz,
        false,
    )?;
    let report = run(settings, channels, sample_rate_hz, |part| {
        meter.process(part)
    })?;
    let lufs = if crate::assistant::cancel::requested() {
        None
    } else {
        meter.integrated_lufs().map(|v| v as f32)
    };
    Ok((report, lufs))
}

/// The simulation: `output` receives the latency-compensated output in order, frame by frame
/// (the input's length in all).
fn run(
    settings: &CompSettings,
    channels: &[&[f32]],
    sample_rate_hz: f32,
    mut output: impl FnMut(&[&[f32]]),
) -> Result<GainReductionReport, ConfigError> {
    let nch = channels.len();
    let len = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    let sub = ((sample_rate_hz as f64 * 1e-3).round() as usize).max(1);
    let frame = sub * 10;
    let cfg = ProcessorConfig::new(sample_rate_hz, frame, nch)?;
    let s = CompSettings {
        sc_external: false,
        ..*settings
    };
    let mut chain = CompChain::new(cfg, &s)?;
    let lat = chain.latency_samples();
    let total = len + lat;
    let n_frames = total.div_ceil(frame);
    let mut buf = vec![vec![0.0f32; frame]; nch];
    let mut emitted = 0usize;
    let mut frame_gr = Vec::with_capacity(n_frames);
    let mut frame_ms = Vec::with_capacity(n_frames);
    for f in 0..n_frames {
        // An analysis thread's stop ends the simulation early (its result is discarded).
        if crate::assistant::cancel::requested() {
            break;
        }
        let a = f * frame;
        let b = (a + frame).min(total);
        let m = b - a;
        // Input (zero-padded past the end) and the latency-delayed input level.
        let mut ms = 0.0f64;
        for (b, ch) in buf.iter_mut().zip(channels) {
            for (k, v) in b[..m].iter_mut().enumerate() {
                let i = a + k;
                *v = if i < len { ch[i] } else { 0.0 };
                if i >= lat && i - lat < len {
                    let x = crate::util::sanitize(ch[i - lat]) as f64;
                    ms += x * x;
                }
            }
        }
        frame_ms.push(ms / (m * nch.max(1)) as f64);
        let mut gr_sum = 0.0f32;
        let mut readings = 0;
        let mut pos = 0;
        while pos < m {
            let e = (pos + sub).min(m);
            let mut block: Vec<&mut [f32]> = buf.iter_mut().map(|v| &mut v[pos..e]).collect();
            chain.process(&mut block);
            gr_sum += chain.gain_reduction_db();
            readings += 1;
            pos = e;
        }
        frame_gr.push(gr_sum / readings.max(1) as f32);
        // Drop the first `lat` output samples (latency compensation).
        let skip = lat.saturating_sub(a).min(m);
        let take = (m - skip).min(len - emitted);
        if take > 0 {
            // At most MAX_CHANNELS (the chain's configuration checked it).
            let mut part: [&[f32]; crate::MAX_CHANNELS] = [&[]; crate::MAX_CHANNELS];
            for (p, b) in part.iter_mut().zip(&buf) {
                *p = &b[skip..skip + take];
            }
            output(&part[..nch]);
            emitted += take;
        }
    }
    let gate = 10f64.powf(DEFAULT_GATE_DBFS as f64 / 10.0);
    let (mut sum, mut cnt) = (0.0f64, 0usize);
    for &m in &frame_ms {
        if m >= gate {
            sum += m;
            cnt += 1;
        }
    }
    let mut report = GainReductionReport {
        frames: n_frames,
        ..Default::default()
    };
    if cnt == 0 {
        return Ok(report);
    }
    let loud = (sum / cnt as f64) * 10f64.powf(-LOUD_RELATIVE_DB as f64 / 10.0);
    let (mut gsum, mut gcnt) = (0.0f64, 0usize);
    for (&m, &g) in frame_ms.iter().zip(&frame_gr) {
        if m >= gate && m >= loud {
            gsum += g as f64;
            gcnt += 1;
            report.max_db = report.max_db.max(g);
        }
    }
    report.loud_frames = gcnt;
    report.average_db = if gcnt > 0 {
        (gsum / gcnt as f64) as f32
    } else {
        0.0
    };
    Ok(report)
}

/// Integrated loudness (LUFS) of planar channels, without true peak (`None` when cancelled).
pub fn integrated_lufs(channels: &[&[f32]], sample_rate_hz: f32) -> Option<f32> {
    crate::loudness::measure_integrated(channels, sample_rate_hz, false)
        .ok()?
        .0
        .map(|v| v as f32)
}
