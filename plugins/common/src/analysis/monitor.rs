//! What every plugin's analysis thread does with the tap besides learning: split the
//! interleaved input+output frames into planar channels, keep the editor's input and output
//! spectra moving, keep the last seconds of input, and measure the loudness difference between
//! the manual and the suggested settings on that recent audio (level matching).

use crate::analysis::recent::RecentAudio;
use crate::audio::display::{Display, SpectrumToGrid};
use dsp_core::chains::Chain;
use dsp_core::ProcessorConfig;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Seconds of recent input kept for level matching.
pub const RECENT_SECONDS: f32 = 6.0;
/// Block size used when rendering the recent audio.
const RENDER_BLOCK: usize = 4096;

/// The shared part of a plugin's analyzer. The tap carries `channels` input channels followed
/// by as many output channels.
pub struct TapMonitor {
    sample_rate: f32,
    channels: usize,
    planar: Vec<Vec<f32>>,
    pre: SpectrumToGrid,
    post: SpectrumToGrid,
    recent: RecentAudio,
    display: Arc<Display>,
}

impl TapMonitor {
    /// For a plugin running `channels` (1 or 2) at `sample_rate` (Hz), publishing spectra into
    /// `display`.
    pub fn new(
        sample_rate: f32,
        channels: usize,
        display: Arc<Display>,
    ) -> Result<Self, dsp_core::ConfigError> {
        let channels = channels.clamp(1, 2);
        Ok(Self {
            sample_rate,
            channels,
            planar: vec![Vec::with_capacity(4096); 2 * channels],
            pre: SpectrumToGrid::new(sample_rate, channels)?,
            post: SpectrumToGrid::new(sample_rate, channels)?,
            recent: RecentAudio::new(channels, (RECENT_SECONDS * sample_rate) as usize),
            display,
        })
    }

    /// The plugin's channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The display the spectra go to.
    pub fn display(&self) -> &Arc<Display> {
        &self.display
    }

    /// The recent input.
    pub fn recent(&self) -> &RecentAudio {
        &self.recent
    }

    /// Splits interleaved frames (`stride` values each) into the planar buffers.
    pub fn deinterleave(&mut self, interleaved: &[f32], stride: usize) {
        let stride = stride.max(1);
        for (c, p) in self.planar.iter_mut().enumerate() {
            p.clear();
            if c < stride {
                p.extend(interleaved.chunks_exact(stride).map(|f| f[c]));
            }
        }
    }

    /// The input channels of the last chunk split.
    pub fn input(&self) -> Vec<&[f32]> {
        self.planar[..self.channels]
            .iter()
            .map(|c| c.as_slice())
            .collect()
    }

    /// The output channels of the last chunk split (empty if the tap carried none).
    pub fn output(&self) -> Vec<&[f32]> {
        self.planar[self.channels..]
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| c.as_slice())
            .collect()
    }

    /// Sees one chunk of the tap: keeps the input as recent audio and moves the spectra.
    /// Leaves the chunk split for [`input`](Self::input) / [`output`](Self::output).
    pub fn monitor(&mut self, interleaved: &[f32], stride: usize) {
        self.recent.push_interleaved(interleaved, stride, 0);
        self.deinterleave(interleaved, stride);
        let n = self.channels;
        let pre: Vec<&[f32]> = self.planar[..n].iter().map(|c| c.as_slice()).collect();
        if self.pre.process(&pre) {
            self.display.pre.store(self.pre.grid_db());
        }
        if stride >= 2 * n {
            let post: Vec<&[f32]> = self.planar[n..2 * n].iter().map(|c| c.as_slice()).collect();
            if self.post.process(&post) {
                self.display.post.store(self.post.grid_db());
            }
        }
    }

    /// Loudness of the recent audio through the suggested settings minus through the manual
    /// ones (LU), each rendered by a fresh chain `C`; `None` with less than 0.5 s heard or
    /// silence.
    pub fn level_offset_lu<C: Chain>(
        &self,
        manual: &BTreeMap<String, f32>,
        suggested: &BTreeMap<String, f32>,
    ) -> Option<f32> {
        if (self.recent.len() as f32) < 0.5 * self.sample_rate {
            return None;
        }
        let audio = self.recent.to_planar();
        let m = loudness_through::<C>(&audio, self.sample_rate, &C::from_param_map(manual))?;
        let s = loudness_through::<C>(&audio, self.sample_rate, &C::from_param_map(suggested))?;
        let d = (s - m) as f32;
        d.is_finite().then_some(d)
    }
}

/// Integrated loudness (LUFS) of planar `audio` at `sample_rate` (Hz) rendered through a fresh
/// chain `C` on `settings`, with the chain's latency removed; `None` when too short or silent.
pub fn loudness_through<C: Chain>(
    audio: &[Vec<f32>],
    sample_rate: f32,
    settings: &C::Settings,
) -> Option<f64> {
    let config = ProcessorConfig::new(sample_rate, RENDER_BLOCK, audio.len()).ok()?;
    let mut chain = C::build(config, settings).ok()?;
    let mut buf: Vec<Vec<f32>> = audio.to_vec();
    let frames = buf.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut start = 0;
    while start < frames {
        let n = (frames - start).min(RENDER_BLOCK);
        let mut io: Vec<&mut [f32]> = buf.iter_mut().map(|c| &mut c[start..start + n]).collect();
        chain.process_keyed(&mut io, None);
        start += n;
        // The thread's stop (deactivate, destroy) ends the render early.
        if dsp_core::assistant::cancel::requested() {
            return None;
        }
    }
    let lat = chain.latency_samples().min(frames);
    let view: Vec<&[f32]> = buf.iter().map(|c| &c[lat..frames]).collect();
    // Integrated loudness only (the same value `measure` gives), polling the stop flag.
    dsp_core::loudness::measure_integrated(&view, sample_rate, false)
        .ok()?
        .0
}
