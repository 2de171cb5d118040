//! Offline / analysis-thread loudness measurement (ITU-R BS.1770-4, EBU R128, EBU Tech 3342):
//! Tandem's own K-weighting, gating and loudness range, with the true peak from
//! [`TruePeakMeter`]. The tests hold it to the EBU test cases and to the `ebur128` crate (the
//! Rust port of libebur128), which it replaced for speed: the same figures within rounding
//! (true peak aside, see [`LoudnessAnalyzer`]), at about a fifth of the cost.

use serde::{Deserialize, Serialize};

use super::true_peak::{abs_max, TruePeakMeter};
use super::{
    channel_weight, energy_to_lufs, k_weighting_coefficients, lufs_to_energy, BLOCKS_PER_SHORT_TERM,
};
use crate::{validate_sample_rate, ConfigError, ProcessorConfig, MAX_CHANNELS};

/// Number of 100 ms blocks in the 400 ms momentary window (and in a gating block).
const BLOCKS_PER_MOMENTARY: usize = 4;

/// The true-peak meter's largest block (it takes longer chunks in pieces).
const PEAK_BLOCK: usize = 1024;

/// A complete loudness measurement. Serialisable; silent or unmeasurable values are `None`
/// (JSON `null`), never −∞.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LoudnessStats {
    /// Integrated (gated) loudness over everything fed, in LUFS. `None` when no 400 ms block
    /// passed the −70 LUFS absolute gate.
    pub integrated_lufs: Option<f64>,
    /// Momentary loudness (last 400 ms) at the end of the input, in LUFS.
    pub momentary_lufs: Option<f64>,
    /// Short-term loudness (last 3 s) at the end of the input, in LUFS.
    pub short_term_lufs: Option<f64>,
    /// Highest momentary loudness seen (evaluated every 100 ms), in LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term loudness seen (evaluated every 100 ms), in LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Loudness range per EBU Tech 3342, in LU (0 when there is too little gated material).
    pub loudness_range_lu: f64,
    /// Highest absolute sample value over all channels, in dBFS. `None` for digital silence.
    pub sample_peak_dbfs: Option<f64>,
    /// Highest true (inter-sample, 4× oversampled below 96 kHz) peak over all channels, in dBTP.
    /// `None` for digital silence or when true-peak measurement was disabled.
    pub true_peak_dbtp: Option<f64>,
    /// Duration of the measured audio, in seconds.
    pub duration_s: f64,
}

/// The lowest sample rate (Hz) the integrated measurement accepts: the K-weighting shelf
/// (1.68 kHz) designed by the bilinear transform is only the standard's shelf well below
/// Nyquist. Below it the plugins' assistants report that they cannot listen, and the
/// real-time meter ([`super::ShortTermLoudness`]) measures without the shelf.
pub const MIN_MEASURED_RATE_HZ: f32 = 8_000.0;

/// 100 ms blocks between two loudness-range blocks (EBU Tech 3342: 3 s windows, 2 s overlap).
const LRA_HOP_BLOCKS: u64 = 10;
/// The absolute gate of the integrated loudness and of the loudness range, LUFS.
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// The integrated loudness's relative gate, LU below the absolutely gated mean.
const RELATIVE_GATE_LU: f64 = -10.0;
/// The loudness range's relative gate, LU below the mean of its short-term blocks.
const LRA_RELATIVE_GATE_LU: f64 = -20.0;

/// The BS.1770 K-weighting of up to [`MAX_CHANNELS`] planar channels: the two biquads of
/// [`k_weighting_coefficients`] per channel (direct form I, `f64`), summing the squared output. Channels are filtered two at a time, so that the two recursions
/// overlap instead of waiting on each other.
#[derive(Debug, Clone)]
pub(crate) struct KWeighting {
    shelf: [f64; 5],
    highpass: [f64; 5],
    /// Per channel: the last two inputs, shelf outputs and high-pass outputs.
    state: [[f64; 6]; MAX_CHANNELS],
}

impl KWeighting {
    pub(crate) fn new(sample_rate_hz: f64) -> Self {
        let (shelf, highpass) = k_weighting_coefficients(sample_rate_hz);
        Self {
            shelf,
            highpass,
            state: [[0.0; 6]; MAX_CHANNELS],
        }
    }

    pub(crate) fn reset(&mut self) {
        self.state = [[0.0; 6]; MAX_CHANNELS];
    }

    /// Filters `chans` (finite samples, equal lengths), adding each squared output sample to
    /// its channel's running sum in `sums` in order (so the sums do not depend on how the
    /// audio was cut into calls).
    pub(crate) fn process(&mut self, chans: &[&[f32]], sums: &mut [f64]) {
        let mut c = 0;
        while c + 1 < chans.len() {
            let mut st = [self.state[c], self.state[c + 1]];
            let mut acc = [sums[c], sums[c + 1]];
            self.lanes(&mut st, &mut acc, [chans[c], chans[c + 1]]);
            [self.state[c], self.state[c + 1]] = st;
            [sums[c], sums[c + 1]] = acc;
            c += 2;
        }
        if c < chans.len() {
            let (mut st, mut acc) = ([self.state[c]], [sums[c]]);
            self.lanes(&mut st, &mut acc, [chans[c]]);
            (self.state[c], sums[c]) = (st[0], acc[0]);
        }
    }

    // The lanes are the channels of one frame: indexing them is the clearest form.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn lanes<const N: usize>(&self, st: &mut [[f64; 6]; N], sums: &mut [f64; N], x: [&[f32]; N]) {
        let (b, a) = (&self.shelf, &self.highpass);
        let len = x.iter().map(|c| c.len()).min().unwrap_or(0);
        let x = x.map(|c| &c[..len]);
        let mut s = *st;
        let mut acc = *sums;
        // Direct form I: the feedback term of the last output is the only step that waits on
        // the previous sample (a multiply and a subtraction). One small step over a lane's six
        // states keeps them in registers (written inline the loop kept them in memory: 2.6
        // against 2.0 ms per 10 s of 48 kHz stereo).
        let step = |st: &mut [f64; 6], acc: &mut f64, v: f64| {
            let [x1, x2, y1, y2, z1, z2] = *st;
            let y = (b[0] * v + b[1] * x1 + b[2] * x2 - b[4] * y2) - b[3] * y1;
            let z = (a[0] * y + a[1] * y1 + a[2] * y2 - a[4] * z2) - a[3] * z1;
            *st = [v, x1, y, y1, z, z1];
            *acc += z * z;
        };
        for i in 0..len {
            for k in 0..N {
                step(&mut s[k], &mut acc[k], x[k][i] as f64);
            }
        }
        // States decaying through silence are flushed at the end of each call rather than each
        // sample (the few hundred subnormal steps on the way down cost less than the checks).
        for v in s.iter_mut().flatten() {
            if v.abs() < f64::MIN_POSITIVE {
                *v = 0.0;
            }
        }
        *st = s;
        *sums = acc;
    }
}

/// BS.1770-4 / EBU R128 loudness analyzer for any channel count and sample rate, fed planar
/// chunks of any length. For exact gating it keeps every 400 ms block's energy above the
/// absolute gate and one 3 s short-term energy per second (about 90 bytes per second of audio,
/// growing while processing), so it belongs on an analysis thread, not the audio thread — use
/// [`super::ShortTermLoudness`] there.
///
/// The integrated loudness, loudness range, momentary and short-term readings and sample peak
/// are the `ebur128` crate's within rounding (its 400 ms blocks every 100 ms, its gates, its
/// Tech 3342 percentiles; the tests compare the two). The true peak comes from
/// [`TruePeakMeter`] (BS.1770-4 Annex 2, the limiter's polyphase half-band interpolator, flat to
/// 0.45 × the rate), taken with the sample peak; on music it reads the same as `ebur128`'s
/// 49-tap interpolator or up to about 0.2 dB higher, never lower.
pub struct LoudnessAnalyzer {
    channels: usize,
    sample_rate_hz: u32,
    weights: [f64; MAX_CHANNELS],
    kw: KWeighting,
    /// `None` when true peak is not measured.
    true_peak: Option<TruePeakMeter>,
    sample_peak: [f32; MAX_CHANNELS],
    /// Frames in one 100 ms block (rounded like `ebur128`).
    block_frames: usize,
    /// Frames fed into the current 100 ms block.
    block_pos: usize,
    /// Per channel: the squared K-weighted samples of the current 100 ms block, summed.
    block_sums: [f64; MAX_CHANNELS],
    /// The last 30 per-100 ms block energies (channel-weighted mean squares).
    blocks: [f64; BLOCKS_PER_SHORT_TERM],
    block_idx: usize,
    /// 100 ms blocks completed.
    blocks_done: u64,
    /// The energy of every 400 ms gating block (one per 100 ms once 400 ms were heard) at or
    /// above the absolute gate, in order.
    gating: Vec<f64>,
    max_momentary_energy: f64,
    max_short_term_energy: f64,
    momentary_energy: f64,
    short_term_energy: f64,
    total_frames: u64,
    /// The short-term (3 s) energies for the loudness range: one per second from the third
    /// second on, at or above the absolute gate, as EBU Tech 3342 and `ebur128` take them (about
    /// 8 bytes per second of audio).
    lra_energies: Vec<f64>,
}

impl std::fmt::Debug for LoudnessAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoudnessAnalyzer")
            .field("channels", &self.channels)
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("true_peak", &self.true_peak.is_some())
            .field("total_frames", &self.total_frames)
            .finish()
    }
}

impl LoudnessAnalyzer {
    /// An analyzer for `channels` planar channels (1–8, default BS.1770 layouts, see
    /// [`super::channel_weight`]) at `sample_rate_hz` (8–768 kHz, rounded to an integer),
    /// with true-peak measurement enabled.
    pub fn new(channels: usize, sample_rate_hz: f32) -> Result<Self, ConfigError> {
        Self::with_true_peak(channels, sample_rate_hz, true)
    }

    /// Like [`LoudnessAnalyzer::new`], choosing whether to measure true peak (4× oversampling,
    /// the costliest part; sample peak is always measured).
    pub fn with_true_peak(
        channels: usize,
        sample_rate_hz: f32,
        true_peak: bool,
    ) -> Result<Self, ConfigError> {
        validate_sample_rate(sample_rate_hz)?;
        if sample_rate_hz < MIN_MEASURED_RATE_HZ {
            return Err(ConfigError::SampleRate(sample_rate_hz));
        }
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(ConfigError::Channels(channels));
        }
        let rate = sample_rate_hz.round() as u32;
        let mut weights = [0.0; MAX_CHANNELS];
        for (i, w) in weights.iter_mut().enumerate().take(channels) {
            *w = channel_weight(channels, i);
        }
        let true_peak = if true_peak {
            let config = ProcessorConfig::new(sample_rate_hz, PEAK_BLOCK, channels)?;
            Some(TruePeakMeter::new(config)?)
        } else {
            None
        };
        Ok(Self {
            channels,
            sample_rate_hz: rate,
            weights,
            kw: KWeighting::new(rate as f64),
            true_peak,
            sample_peak: [0.0; MAX_CHANNELS],
            block_frames: (rate as usize + 5) / 10,
            block_pos: 0,
            block_sums: [0.0; MAX_CHANNELS],
            blocks: [0.0; BLOCKS_PER_SHORT_TERM],
            block_idx: 0,
            blocks_done: 0,
            gating: Vec::new(),
            max_momentary_energy: 0.0,
            max_short_term_energy: 0.0,
            momentary_energy: 0.0,
            short_term_energy: 0.0,
            total_frames: 0,
            lra_energies: Vec::new(),
        })
    }

    /// The channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The (integer) sample rate in Hz.
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    /// Clears everything measured so far.
    pub fn reset(&mut self) {
        self.kw.reset();
        if let Some(m) = self.true_peak.as_mut() {
            m.reset();
        }
        self.sample_peak = [0.0; MAX_CHANNELS];
        self.block_pos = 0;
        self.block_sums = [0.0; MAX_CHANNELS];
        self.blocks = [0.0; BLOCKS_PER_SHORT_TERM];
        self.block_idx = 0;
        self.blocks_done = 0;
        self.gating.clear();
        self.max_momentary_energy = 0.0;
        self.max_short_term_energy = 0.0;
        self.momentary_energy = 0.0;
        self.short_term_energy = 0.0;
        self.total_frames = 0;
        self.lra_energies.clear();
    }

    /// Feeds one planar chunk: one slice per channel, all the same length (extra slices are
    /// ignored, unequal lengths use the shortest, and a call with fewer slices than channels is
    /// ignored). Non-finite samples are treated as 0.
    pub fn process(&mut self, channels: &[&[f32]]) {
        if channels.len() < self.channels {
            return;
        }
        let chans = &channels[..self.channels];
        let len = chans.iter().map(|c| c.len()).min().unwrap_or(0);
        let dirty = chans
            .iter()
            .any(|c| !c[..len].iter().all(|x| x.is_finite()));
        let mut start = 0;
        while start < len {
            let n = (self.block_frames - self.block_pos).min(len - start);
            if dirty {
                self.feed_cleaned(chans, start, n);
            } else {
                let mut parts: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
                for (p, c) in parts.iter_mut().zip(chans) {
                    *p = &c[start..start + n];
                }
                self.feed(&parts[..self.channels]);
            }
            start += n;
            self.block_pos += n;
            self.total_frames += n as u64;
            if self.block_pos == self.block_frames {
                self.block_pos = 0;
                self.end_block();
            }
        }
    }

    /// Measures finite planar samples (within one 100 ms block).
    fn feed(&mut self, parts: &[&[f32]]) {
        self.kw.process(parts, &mut self.block_sums);
        for (peak, p) in self.sample_peak.iter_mut().zip(parts) {
            *peak = peak.max(abs_max(p));
        }
        if let Some(m) = self.true_peak.as_mut() {
            m.process(parts);
        }
    }

    fn feed_cleaned(&mut self, chans: &[&[f32]], start: usize, n: usize) {
        const CHUNK: usize = 256;
        let mut buf = [[0.0f32; CHUNK]; MAX_CHANNELS];
        let mut off = 0;
        while off < n {
            let m = CHUNK.min(n - off);
            for (b, c) in buf.iter_mut().zip(chans) {
                for (d, s) in b[..m].iter_mut().zip(&c[start + off..start + off + m]) {
                    *d = crate::util::sanitize(*s);
                }
            }
            let mut parts: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
            for (p, b) in parts.iter_mut().zip(buf.iter()) {
                *p = &b[..m];
            }
            self.feed(&parts[..self.channels]);
            off += m;
        }
    }

    fn end_block(&mut self) {
        let mut e = 0.0;
        for (sum, w) in self.block_sums.iter_mut().zip(&self.weights) {
            e += *sum * w;
            *sum = 0.0;
        }
        self.blocks[self.block_idx] = e / self.block_frames as f64;
        self.block_idx = (self.block_idx + 1) % BLOCKS_PER_SHORT_TERM;
        self.blocks_done += 1;
        let mut m = 0.0;
        let mut s = 0.0;
        for k in 0..BLOCKS_PER_SHORT_TERM {
            let idx = (self.block_idx + BLOCKS_PER_SHORT_TERM - 1 - k) % BLOCKS_PER_SHORT_TERM;
            if k < BLOCKS_PER_MOMENTARY {
                m += self.blocks[idx];
            }
            s += self.blocks[idx];
        }
        self.momentary_energy = m / BLOCKS_PER_MOMENTARY as f64;
        self.short_term_energy = s / BLOCKS_PER_SHORT_TERM as f64;
        self.max_momentary_energy = self.max_momentary_energy.max(self.momentary_energy);
        self.max_short_term_energy = self.max_short_term_energy.max(self.short_term_energy);
        let gate = lufs_to_energy(ABSOLUTE_GATE_LUFS);
        // A gating block (the last 400 ms) every 100 ms once 400 ms were heard.
        if self.blocks_done >= BLOCKS_PER_MOMENTARY as u64 && self.momentary_energy >= gate {
            self.gating.push(self.momentary_energy);
        }
        // A loudness-range block every second once 3 s were heard (three seconds overlapping by
        // two), kept when at or above the absolute gate.
        let after = self
            .blocks_done
            .saturating_sub(BLOCKS_PER_SHORT_TERM as u64);
        if self.blocks_done >= BLOCKS_PER_SHORT_TERM as u64
            && after.is_multiple_of(LRA_HOP_BLOCKS)
            && self.short_term_energy >= gate
        {
            self.lra_energies.push(self.short_term_energy);
        }
    }

    /// Momentary loudness (last 400 ms, updated every 100 ms) in LUFS.
    pub fn momentary_lufs(&self) -> Option<f64> {
        energy_to_lufs(self.momentary_energy)
    }

    /// Short-term loudness (last 3 s, updated every 100 ms) in LUFS.
    pub fn short_term_lufs(&self) -> Option<f64> {
        energy_to_lufs(self.short_term_energy)
    }

    /// Integrated loudness (absolute −70 LUFS and relative −10 LU gates) in LUFS: the mean
    /// energy of the gating blocks at or above both gates.
    pub fn integrated_lufs(&self) -> Option<f64> {
        if self.gating.is_empty() {
            return None;
        }
        let mean = self.gating.iter().sum::<f64>() / self.gating.len() as f64;
        let relative = mean * 10f64.powf(RELATIVE_GATE_LU / 10.0);
        let (sum, n) = self
            .gating
            .iter()
            .filter(|&&e| e >= relative)
            .fold((0.0, 0u64), |(s, n), &e| (s + e, n + 1));
        if n == 0 {
            return None;
        }
        energy_to_lufs(sum / n as f64)
    }

    /// Loudness range (EBU Tech 3342) in LU; 0 when there is too little material. Computed
    /// as `ebur128` computes it: the short-term blocks above the absolute gate, then those at
    /// or above their mean energy − 20 LU, then the 95th minus the 10th percentile.
    pub fn loudness_range_lu(&self) -> f64 {
        if self.lra_energies.is_empty() {
            return 0.0;
        }
        let mut q = self.lra_energies.clone();
        q.sort_by(f64::total_cmp);
        let mean = q.iter().sum::<f64>() / q.len() as f64;
        let gate = 10f64.powf(LRA_RELATIVE_GATE_LU / 10.0) * mean;
        let below = q.iter().take_while(|&&e| e < gate).count();
        let Some(n) = (q.len() - below).checked_sub(1) else {
            return 0.0;
        };
        let at = |p: f64| q[below + (n as f64 * p + 0.5) as usize];
        let lra =
            energy_to_lufs(at(0.95)).unwrap_or(-200.0) - energy_to_lufs(at(0.10)).unwrap_or(-200.0);
        if lra.is_finite() {
            lra
        } else {
            0.0
        }
    }

    /// The highest momentary loudness so far in LUFS.
    pub fn max_momentary_lufs(&self) -> Option<f64> {
        energy_to_lufs(self.max_momentary_energy)
    }

    /// The highest short-term loudness so far in LUFS.
    pub fn max_short_term_lufs(&self) -> Option<f64> {
        energy_to_lufs(self.max_short_term_energy)
    }

    /// The highest absolute sample over all channels in dBFS (`None` for digital silence).
    pub fn sample_peak_dbfs(&self) -> Option<f64> {
        peak_to_db(self.sample_peak.iter().fold(0.0f32, |a, &b| a.max(b)) as f64)
    }

    /// The highest true peak over all channels in dBTP (`None` for silence or when disabled):
    /// the interpolated peak or the sample peak, whichever is higher.
    pub fn true_peak_dbtp(&self) -> Option<f64> {
        let m = self.true_peak.as_ref()?;
        let peak = (0..self.channels)
            .map(|c| self.sample_peak[c].max(m.channel_max_linear(c)))
            .fold(0.0f32, f32::max);
        peak_to_db(peak as f64)
    }

    /// Duration fed so far in seconds.
    pub fn duration_s(&self) -> f64 {
        self.total_frames as f64 / self.sample_rate_hz as f64
    }

    /// Everything measured so far.
    pub fn stats(&self) -> LoudnessStats {
        LoudnessStats {
            integrated_lufs: self.integrated_lufs(),
            momentary_lufs: self.momentary_lufs(),
            short_term_lufs: self.short_term_lufs(),
            max_momentary_lufs: self.max_momentary_lufs(),
            max_short_term_lufs: self.max_short_term_lufs(),
            loudness_range_lu: self.loudness_range_lu(),
            sample_peak_dbfs: self.sample_peak_dbfs(),
            true_peak_dbtp: self.true_peak_dbtp(),
            duration_s: self.duration_s(),
        }
    }
}

fn peak_to_db(peak: f64) -> Option<f64> {
    if peak.is_finite() && peak > 1e-10 {
        Some(20.0 * peak.log10())
    } else {
        None
    }
}

/// Measures whole planar channels (one slice per channel, 1–8 channels) at `sample_rate_hz`,
/// true peak included.
pub fn measure(channels: &[&[f32]], sample_rate_hz: f32) -> Result<LoudnessStats, ConfigError> {
    let mut a = LoudnessAnalyzer::new(channels.len(), sample_rate_hz)?;
    a.process(channels);
    Ok(a.stats())
}

/// Integrated loudness (LUFS) and, when `true_peak`, true peak (dBTP) of whole planar channels
/// (1–8) at `sample_rate_hz`: the values [`measure`] reports, for callers that measure many
/// renders and read nothing else (the assistants' simulations, the plugins' level match).
///
/// It polls [`crate::assistant::cancel`] between slices: cancelled, it reports `(None, None)`.
pub fn measure_integrated(
    channels: &[&[f32]],
    sample_rate_hz: f32,
    true_peak: bool,
) -> Result<(Option<f64>, Option<f64>), ConfigError> {
    let mut a = LoudnessAnalyzer::with_true_peak(channels.len(), sample_rate_hz, true_peak)?;
    let len = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut slice: Vec<&[f32]> = Vec::with_capacity(channels.len());
    let done = crate::assistant::cancel::in_slices(len, |r| {
        slice.clear();
        slice.extend(channels.iter().map(|c| &c[r.clone()]));
        a.process(&slice);
    });
    if !done {
        return Ok((None, None));
    }
    Ok((a.integrated_lufs(), a.true_peak_dbtp()))
}

#[cfg(test)]
mod tests {
    use super::super::test_signals::{noise, sine_1k, sine_1k_segments};
    use super::*;

    const SR: u32 = 48_000;

    /// Runs a dual-mono stereo signal through an analyzer (no true peak, for debug-build speed),
    /// in uneven chunks to exercise the block splitting.
    fn run_stereo(signal: &[f32]) -> LoudnessAnalyzer {
        let mut a = LoudnessAnalyzer::with_true_peak(2, SR as f32, false).unwrap();
        let mut start = 0;
        let mut chunk = 1000;
        while start < signal.len() {
            let end = (start + chunk).min(signal.len());
            a.process(&[&signal[start..end], &signal[start..end]]);
            start = end;
            chunk = if chunk == 1000 { 4801 } else { 1000 };
        }
        a
    }

    fn assert_near(got: Option<f64>, want: f64, tol: f64, what: &str) {
        let g = got.unwrap_or_else(|| panic!("{what}: None"));
        assert!(
            (g - want).abs() <= tol,
            "{what}: got {g:.3}, want {want} ± {tol}"
        );
    }

    /// EBU Tech 3341 test 1: stereo 1 kHz sine at −23 dBFS (each channel), 20 s:
    /// M, S and I read −23.0 ± 0.1 LUFS.
    #[test]
    fn tech3341_case1_minus23() {
        let a = run_stereo(&sine_1k(-23.0, 20.0, SR));
        assert_near(a.momentary_lufs(), -23.0, 0.1, "M");
        assert_near(a.short_term_lufs(), -23.0, 0.1, "S");
        assert_near(a.integrated_lufs(), -23.0, 0.1, "I");
        assert_near(a.max_momentary_lufs(), -23.0, 0.1, "max M");
        assert_near(a.max_short_term_lufs(), -23.0, 0.1, "max S");
        assert_near(a.sample_peak_dbfs(), -23.0, 0.01, "sample peak");
    }

    /// EBU Tech 3341 test 2: stereo 1 kHz sine at −33 dBFS, 20 s: M, S and I read −33.0 ± 0.1 LUFS.
    #[test]
    fn tech3341_case2_minus33() {
        let a = run_stereo(&sine_1k(-33.0, 20.0, SR));
        assert_near(a.momentary_lufs(), -33.0, 0.1, "M");
        assert_near(a.short_term_lufs(), -33.0, 0.1, "S");
        assert_near(a.integrated_lufs(), -33.0, 0.1, "I");
    }

    /// EBU Tech 3341 test 3: stereo 1 kHz sine −36 / −23 / −36 dBFS for 10 / 60 / 10 s:
    /// the relative gate removes the quiet parts, I = −23.0 ± 0.1 LUFS.
    #[test]
    fn tech3341_case3_relative_gate() {
        let a = run_stereo(&sine_1k_segments(
            &[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)],
            SR,
        ));
        assert_near(a.integrated_lufs(), -23.0, 0.1, "I");
    }

    /// EBU Tech 3341 test 4: stereo 1 kHz sine −72 / −36 / −23 / −36 / −72 dBFS for
    /// 10 / 10 / 60 / 10 / 10 s: absolute and relative gates, I = −23.0 ± 0.1 LUFS.
    #[test]
    fn tech3341_case4_absolute_gate() {
        let a = run_stereo(&sine_1k_segments(
            &[
                (-72.0, 10.0),
                (-36.0, 10.0),
                (-23.0, 60.0),
                (-36.0, 10.0),
                (-72.0, 10.0),
            ],
            SR,
        ));
        assert_near(a.integrated_lufs(), -23.0, 0.1, "I");
    }

    /// EBU Tech 3341 test 5: stereo 1 kHz sine −26 / −20 / −26 dBFS for 20 / 20.1 / 20 s:
    /// I = −23.0 ± 0.1 LUFS.
    #[test]
    fn tech3341_case5_mixed_levels() {
        let a = run_stereo(&sine_1k_segments(
            &[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)],
            SR,
        ));
        assert_near(a.integrated_lufs(), -23.0, 0.1, "I");
        assert_near(a.max_momentary_lufs(), -20.0, 0.15, "max M");
    }

    /// Everything but the true peak is the `ebur128` crate's (the reference it replaced) within
    /// rounding: music fading out by 30 dB from its first sample (so gating blocks lie on both
    /// sides of each gate and the first ones count), fed in odd chunks, at the lowest rate it
    /// accepts up to 192 kHz, in mono, stereo, three channels (a pair and a single filtered)
    /// and 5.1 (surround weights, the LFE left out).
    #[test]
    fn the_measurement_is_ebur128s() {
        use ebur128::{EbuR128, Mode};
        for sr in [8_000u32, 44_100, 48_000, 96_000, 192_000] {
            let [mut l, mut r] = crate::testsignals::demo_mix(24.0, sr as f64);
            let n = l.len() as f32;
            for (i, (a, b)) in l.iter_mut().zip(r.iter_mut()).enumerate() {
                let g = 10f32.powf(-1.5 * i as f32 / n);
                (*a, *b) = (*a * g, *b * g);
            }
            let third: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a - b)).collect();
            let all = [&l[..], &r[..], &third[..], &l[..], &r[..], &third[..]];
            for channels in [1usize, 2, 3, 6] {
                let chans = &all[..channels];
                let mut a = LoudnessAnalyzer::with_true_peak(channels, sr as f32, false).unwrap();
                let mut e =
                    EbuR128::new(channels as u32, sr, Mode::I | Mode::LRA | Mode::SAMPLE_PEAK)
                        .unwrap();
                let mut pos = 0;
                let mut step = 1;
                while pos < l.len() {
                    let n = step.min(l.len() - pos);
                    let part: Vec<&[f32]> = chans.iter().map(|c| &c[pos..pos + n]).collect();
                    a.process(&part);
                    e.add_frames_planar_f32(&part).unwrap();
                    pos += n;
                    step = step * 7 % 4001 + 1;
                }
                let what = format!("{sr} Hz, {channels} channels");
                let lra = e.loudness_range().unwrap();
                assert!(lra > 3.0, "{what}: the test material's range is {lra} LU");
                let pairs = [
                    ("loudness range", a.loudness_range_lu(), lra),
                    (
                        "integrated",
                        a.integrated_lufs().unwrap(),
                        e.loudness_global().unwrap(),
                    ),
                    (
                        "momentary",
                        a.momentary_lufs().unwrap(),
                        e.loudness_momentary().unwrap(),
                    ),
                    (
                        "short-term",
                        a.short_term_lufs().unwrap(),
                        e.loudness_shortterm().unwrap(),
                    ),
                ];
                for (name, got, want) in pairs {
                    assert!(
                        (got - want).abs() < 1e-6,
                        "{what}: {name} {got} against {want}"
                    );
                }
                let peak = (0..channels as u32)
                    .map(|c| e.sample_peak(c).unwrap())
                    .fold(0.0f64, f64::max);
                assert_eq!(
                    a.sample_peak_dbfs(),
                    peak_to_db(peak),
                    "{what}: sample peak"
                );
            }
        }
    }

    /// EBU Tech 3342 test 1: stereo 1 kHz sine −20 dBFS 20 s then −30 dBFS 20 s: LRA = 10 ± 1 LU.
    #[test]
    fn tech3342_case1() {
        let a = run_stereo(&sine_1k_segments(&[(-20.0, 20.0), (-30.0, 20.0)], SR));
        let lra = a.loudness_range_lu();
        assert!((lra - 10.0).abs() <= 1.0, "LRA {lra}");
    }

    /// EBU Tech 3342 test 2: stereo 1 kHz sine −20 dBFS 20 s then −15 dBFS 20 s: LRA = 5 ± 1 LU.
    #[test]
    fn tech3342_case2() {
        let a = run_stereo(&sine_1k_segments(&[(-20.0, 20.0), (-15.0, 20.0)], SR));
        let lra = a.loudness_range_lu();
        assert!((lra - 5.0).abs() <= 1.0, "LRA {lra}");
    }

    /// EBU Tech 3342 test 3: stereo 1 kHz sine −40 dBFS 20 s then −20 dBFS 20 s: LRA = 20 ± 1 LU.
    #[test]
    fn tech3342_case3() {
        let a = run_stereo(&sine_1k_segments(&[(-40.0, 20.0), (-20.0, 20.0)], SR));
        let lra = a.loudness_range_lu();
        assert!((lra - 20.0).abs() <= 1.0, "LRA {lra}");
    }

    /// EBU Tech 3342 test 4: stereo 1 kHz sine −50 / −35 / −20 / −35 / −50 dBFS, 20 s each:
    /// LRA = 15 ± 1 LU.
    #[test]
    fn tech3342_case4() {
        let a = run_stereo(&sine_1k_segments(
            &[
                (-50.0, 20.0),
                (-35.0, 20.0),
                (-20.0, 20.0),
                (-35.0, 20.0),
                (-50.0, 20.0),
            ],
            SR,
        ));
        let lra = a.loudness_range_lu();
        assert!((lra - 15.0).abs() <= 1.0, "LRA {lra}");
    }

    /// The true peak reads `ebur128`'s or a little higher on music, never lower (its
    /// half-band interpolator is flatter towards Nyquist than `ebur128`'s 49-tap one), at the
    /// rates where the two oversample 4×, 2× and not at all; fed with a non-finite sample and
    /// in odd chunks. And it is within 0.1 dB of the analytic inter-sample peak: a sine at fs/4
    /// sampled 45° off its crest peaks 3.01 dB above its samples.
    #[test]
    fn the_true_peak_reads_ebur128s_or_a_little_higher() {
        use ebur128::{EbuR128, Mode};
        for sr in [44_100u32, 48_000, 96_000, 192_000, 384_000] {
            // Music-like material (the demo mix); full-band white noise would measure the
            // interpolators' different responses right at Nyquist instead.
            let [mut l, r] = crate::testsignals::demo_mix(2.0, sr as f64);
            l[500] = f32::NAN;
            let mut a = LoudnessAnalyzer::new(2, sr as f32).unwrap();
            for k in (0..r.len()).step_by(777) {
                let end = (k + 777).min(r.len());
                a.process(&[&l[k..end], &r[k..end]]);
            }
            l[500] = 0.0;
            let mut e = EbuR128::new(2, sr, Mode::TRUE_PEAK).unwrap();
            e.add_frames_planar_f32(&[&l, &r]).unwrap();
            let want = peak_to_db(e.true_peak(0).unwrap().max(e.true_peak(1).unwrap())).unwrap();
            let got = a.true_peak_dbtp().unwrap();
            assert!(
                got - want < 0.25 && got - want > -0.01,
                "{sr} Hz: {got} against ebur128's {want}"
            );
        }
        let x: Vec<f32> = (0..48_000)
            .map(|i| {
                (0.5 * (std::f64::consts::FRAC_PI_2 * i as f64 + 0.25 * std::f64::consts::PI).sin())
                    as f32
            })
            .collect();
        let mut a = LoudnessAnalyzer::new(1, 48_000.0).unwrap();
        a.process(&[&x]);
        let expected = 20.0 * 0.5f64.log10();
        let tp = a.true_peak_dbtp().unwrap();
        assert!((tp - expected).abs() < 0.1, "{tp} vs {expected}");
        assert!(a.sample_peak_dbfs().unwrap() < expected - 2.9);
        a.reset();
        assert_eq!(a.true_peak_dbtp(), None);
    }

    #[test]
    fn measure_mono_true_peak_and_json() {
        // Mono 1 kHz sine at −20 dBFS, 3 s: mono loudness is 3 LU below dual-mono stereo.
        let s = sine_1k(-20.0, 3.0, SR);
        let st = measure(&[&s], SR as f32).unwrap();
        assert_near(st.integrated_lufs, -23.0, 0.1, "mono I");
        assert_near(st.sample_peak_dbfs, -20.0, 0.01, "sample peak");
        assert_near(st.true_peak_dbtp, -20.0, 0.2, "true peak");
        assert!((st.duration_s - 3.0).abs() < 1e-9);
        let json = serde_json::to_string(&st).unwrap();
        let back: LoudnessStats = serde_json::from_str(&json).unwrap();
        assert!((back.integrated_lufs.unwrap() - st.integrated_lufs.unwrap()).abs() < 1e-9);
        assert!((back.max_momentary_lufs.unwrap() - st.max_momentary_lufs.unwrap()).abs() < 1e-9);
    }

    #[test]
    fn silence_is_none_and_json_valid() {
        let z = vec![0.0f32; 48_000];
        let st = measure(&[&z, &z], SR as f32).unwrap();
        assert_eq!(st.integrated_lufs, None);
        assert_eq!(st.momentary_lufs, None);
        assert_eq!(st.sample_peak_dbfs, None);
        assert_eq!(st.true_peak_dbtp, None);
        assert_eq!(st.loudness_range_lu, 0.0);
        let json = serde_json::to_string(&st).unwrap();
        assert!(json.contains("null"));
        let _: LoudnessStats = serde_json::from_str(&json).unwrap();
    }

    #[test]
    fn non_finite_input_is_ignored_and_bad_config_rejected() {
        let mut n = noise(44_100, 0.5, 7);
        n[100] = f32::NAN;
        n[200] = f32::INFINITY;
        let st = measure(&[&n], 44_100.0).unwrap();
        assert!(st.integrated_lufs.unwrap().is_finite());
        assert!(LoudnessAnalyzer::new(0, 48_000.0).is_err());
        assert!(LoudnessAnalyzer::new(9, 48_000.0).is_err());
        assert!(LoudnessAnalyzer::new(2, 1_000.0).is_err());
        assert!(LoudnessAnalyzer::new(2, 7_999.0).is_err());
        let n = noise(8_000, 3.0, 3);
        let st = measure(&[&n], 8_000.0).unwrap();
        assert!(st.integrated_lufs.is_some_and(f64::is_finite));
        assert!(LoudnessAnalyzer::new(2, f32::NAN).is_err());
    }

    /// The lean measurement reports exactly (bit for bit) what the full one does: level steps
    /// over more than the 3 s ring of filtered audio, two rates, mono and stereo, a non-finite
    /// sample, with and without true peak; silence is `None`.
    #[test]
    fn measure_integrated_matches_measure_bit_for_bit() {
        for rate in [44_100u32, 48_000] {
            let mut l = sine_1k_segments(&[(-30.0, 2.3), (-12.0, 4.1), (-24.0, 3.7)], rate);
            let r: Vec<f32> = noise(l.len(), 0.3, 11)
                .iter()
                .zip(&l)
                .map(|(n, s)| 0.5 * n + s)
                .collect();
            l[5000] = f32::NAN;
            let sr = rate as f32;
            for chans in [vec![l.as_slice()], vec![l.as_slice(), r.as_slice()]] {
                let full = measure(&chans, sr).unwrap();
                let (i, tp) = measure_integrated(&chans, sr, true).unwrap();
                assert_eq!(i.map(f64::to_bits), full.integrated_lufs.map(f64::to_bits));
                assert_eq!(tp.map(f64::to_bits), full.true_peak_dbtp.map(f64::to_bits));
                let (i2, tp2) = measure_integrated(&chans, sr, false).unwrap();
                assert_eq!(i2.map(f64::to_bits), i.map(f64::to_bits));
                assert_eq!(tp2, None);
            }
        }
        let z = vec![0.0f32; 48_000];
        assert_eq!(
            measure_integrated(&[&z, &z], 48_000.0, true).unwrap(),
            (None, None)
        );
        assert!(measure_integrated(&[], 48_000.0, true).is_err());
    }

    /// A cancelled measurement reports nothing rather than a partial reading.
    #[test]
    fn measure_integrated_reports_nothing_when_cancelled() {
        use std::sync::atomic::AtomicBool;
        use std::sync::Arc;
        let x = noise(96_000, 0.3, 3);
        let flag = Arc::new(AtomicBool::new(true));
        let scope = crate::assistant::cancel::Scope::new(flag);
        assert_eq!(
            measure_integrated(&[&x], 48_000.0, false).unwrap(),
            (None, None)
        );
        drop(scope);
        assert!(measure_integrated(&[&x], 48_000.0, false)
            .unwrap()
            .0
            .is_some());
    }
}
