//! Hand-written real-time K-weighted loudness meter (momentary and short-term).

use super::{channel_weight, energy_to_lufs};
use crate::{ConfigError, Processor, ProcessorConfig, MAX_CHANNELS};

/// Number of 100 ms blocks in the 3 s short-term window.
pub const BLOCKS_PER_SHORT_TERM: usize = 30;
/// Number of 100 ms blocks in the 400 ms momentary window.
const BLOCKS_PER_MOMENTARY: usize = 4;

/// The reading (in LUFS) the real-time meter reports for silence or anything quieter.
pub const SILENCE_LUFS: f32 = -120.0;

/// Biquad coefficients `[b0, b1, b2, a1, a2]` (a0 = 1) of the two BS.1770 K-weighting stages at
/// `sample_rate_hz`: the high-shelf "pre-filter" and the RLB high-pass.
///
/// Derived from the analog prototypes (shelf f0 = 1681.97 Hz, G = +4.0 dB, Q = 0.7072; high-pass
/// f0 = 38.135 Hz, Q = 0.5003) by the bilinear transform, exactly as libebur128 / the `ebur128`
/// crate do, so at 48 kHz they reproduce the coefficients printed in BS.1770-4 and at other
/// rates both meters agree.
///
/// At rates where the shelf lies above 0.45 × the rate (below about 3.7 kHz) the bilinear design
/// turns unstable; there the shelf stage passes the signal unchanged (below 0.45 × 3.7 kHz the
/// shelf's gain is under 1 dB), so the meter stays finite at any rate a host may offer.
#[allow(non_snake_case)]
pub fn k_weighting_coefficients(sample_rate_hz: f64) -> ([f64; 5], [f64; 5]) {
    let f0 = 1681.974450955533;
    let G = 3.999843853973347;
    let Q = 0.7071752369554196;
    let shelf = if f0 < 0.45 * sample_rate_hz {
        let K = (std::f64::consts::PI * f0 / sample_rate_hz).tan();
        let Vh = 10f64.powf(G / 20.0);
        let Vb = Vh.powf(0.4996667741545416);
        let a0 = 1.0 + K / Q + K * K;
        [
            (Vh + Vb * K / Q + K * K) / a0,
            2.0 * (K * K - Vh) / a0,
            (Vh - Vb * K / Q + K * K) / a0,
            2.0 * (K * K - 1.0) / a0,
            (1.0 - K / Q + K * K) / a0,
        ]
    } else {
        [1.0, 0.0, 0.0, 0.0, 0.0]
    };
    let f0 = 38.13547087602444;
    let Q = 0.5003270373238773;
    let K = (std::f64::consts::PI * f0 / sample_rate_hz).tan();
    let a0 = 1.0 + K / Q + K * K;
    let highpass = [
        1.0,
        -2.0,
        1.0,
        2.0 * (K * K - 1.0) / a0,
        (1.0 - K / Q + K * K) / a0,
    ];
    (shelf, highpass)
}

/// One transposed-direct-form-II biquad state.
#[derive(Debug, Clone, Copy, Default)]
struct BiquadState {
    s1: f64,
    s2: f64,
}

impl BiquadState {
    #[inline(always)]
    fn tick(&mut self, c: &[f64; 5], x: f64) -> f64 {
        let y = c[0] * x + self.s1;
        self.s1 = crate::util::flush_denormal_f64(c[1] * x - c[3] * y + self.s2);
        self.s2 = crate::util::flush_denormal_f64(c[2] * x - c[4] * y);
        y
    }
}

/// Real-time BS.1770 loudness meter: K-weighting (two biquads per channel, `f64` state),
/// channel-weighted mean square in 100 ms blocks kept in a fixed 30-block ring, giving
/// momentary (400 ms) and short-term (3 s) loudness updated every 100 ms.
///
/// No heap memory at all (fixed arrays sized for [`MAX_CHANNELS`]); `process` never allocates,
/// locks or panics, and non-finite input samples count as 0. Ungated: it is a meter, not the
/// integrated measurement (use [`super::LoudnessAnalyzer`] for that). Blocks are aligned to the
/// first sample after construction/`reset`, the same as `ebur128`, so the readings agree with it.
#[derive(Debug, Clone)]
pub struct ShortTermLoudness {
    channels: usize,
    sample_rate_hz: f32,
    shelf: [f64; 5],
    highpass: [f64; 5],
    weights: [f64; MAX_CHANNELS],
    state: [[BiquadState; 2]; MAX_CHANNELS],
    block_frames: usize,
    block_pos: usize,
    block_acc: f64,
    blocks: [f64; BLOCKS_PER_SHORT_TERM],
    block_idx: usize,
    blocks_done: u64,
    momentary_energy: f64,
    short_term_energy: f64,
}

impl ShortTermLoudness {
    /// A meter for `config.channels` channels at `config.sample_rate`; `max_block_size` is not
    /// limiting (any block length is accepted).
    pub fn new(config: ProcessorConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut weights = [0.0; MAX_CHANNELS];
        for (i, w) in weights.iter_mut().enumerate().take(config.channels) {
            *w = channel_weight(config.channels, i);
        }
        let mut m = Self {
            channels: config.channels,
            sample_rate_hz: config.sample_rate,
            shelf: [0.0; 5],
            highpass: [0.0; 5],
            weights,
            state: [[BiquadState::default(); 2]; MAX_CHANNELS],
            block_frames: 1,
            block_pos: 0,
            block_acc: 0.0,
            blocks: [0.0; BLOCKS_PER_SHORT_TERM],
            block_idx: 0,
            blocks_done: 0,
            momentary_energy: 0.0,
            short_term_energy: 0.0,
        };
        m.set_sample_rate(config.sample_rate)?;
        Ok(m)
    }

    /// Feeds planar channels (read only). Uses the first `channels` slices and the shortest length
    /// among them; with fewer slices than configured channels, the missing ones count as silence.
    pub fn analyze(&mut self, channels: &[&[f32]]) {
        let n_ch = self.channels.min(channels.len());
        let len = channels[..n_ch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut i = 0;
        while i < len {
            let n = (self.block_frames - self.block_pos).min(len - i);
            for (ch, input) in channels[..n_ch].iter().enumerate() {
                let w = self.weights[ch];
                let [st0, st1] = &mut self.state[ch];
                let mut acc = 0.0;
                for &x in &input[i..i + n] {
                    let x = if x.is_finite() { x as f64 } else { 0.0 };
                    let y = st1.tick(&self.highpass, st0.tick(&self.shelf, x));
                    acc += y * y;
                }
                self.block_acc += w * acc;
            }
            i += n;
            self.block_pos += n;
            if self.block_pos == self.block_frames {
                self.end_block();
            }
        }
    }

    fn end_block(&mut self) {
        let e = self.block_acc / self.block_frames as f64;
        self.blocks[self.block_idx] = if e.is_finite() { e } else { 0.0 };
        self.block_idx = (self.block_idx + 1) % BLOCKS_PER_SHORT_TERM;
        self.block_acc = 0.0;
        self.block_pos = 0;
        self.blocks_done += 1;
        let mut m = 0.0;
        let mut s = 0.0;
        for k in 0..BLOCKS_PER_SHORT_TERM {
            let e = self.blocks
                [(self.block_idx + BLOCKS_PER_SHORT_TERM - 1 - k) % BLOCKS_PER_SHORT_TERM];
            if k < BLOCKS_PER_MOMENTARY {
                m += e;
            }
            s += e;
        }
        self.momentary_energy = m / BLOCKS_PER_MOMENTARY as f64;
        self.short_term_energy = s / BLOCKS_PER_SHORT_TERM as f64;
    }

    /// Momentary loudness (last 400 ms, updated every 100 ms) in LUFS, floored at [`SILENCE_LUFS`].
    pub fn momentary_lufs(&self) -> f32 {
        lufs_floored(self.momentary_energy)
    }

    /// Short-term loudness (last 3 s, updated every 100 ms) in LUFS, floored at [`SILENCE_LUFS`].
    /// During the first 3 s after a reset the missing blocks count as silence (as in `ebur128`).
    pub fn short_term_lufs(&self) -> f32 {
        lufs_floored(self.short_term_energy)
    }

    /// Momentary channel-weighted mean-square energy (linear, K-weighted; LUFS = −0.691 + 10·log10).
    pub fn momentary_energy(&self) -> f64 {
        self.momentary_energy
    }

    /// Short-term channel-weighted mean-square energy (linear, K-weighted).
    pub fn short_term_energy(&self) -> f64 {
        self.short_term_energy
    }

    /// True once a full 3 s short-term window has been measured since construction/reset.
    pub fn short_term_ready(&self) -> bool {
        self.blocks_done >= BLOCKS_PER_SHORT_TERM as u64
    }

    /// The number of completed 100 ms blocks since construction/reset.
    pub fn blocks_done(&self) -> u64 {
        self.blocks_done
    }

    /// The length of one block in samples (100 ms, rounded).
    pub fn block_frames(&self) -> usize {
        self.block_frames
    }
}

fn lufs_floored(energy: f64) -> f32 {
    match energy_to_lufs(energy) {
        Some(l) if l > SILENCE_LUFS as f64 => l as f32,
        _ => SILENCE_LUFS,
    }
}

impl Processor for ShortTermLoudness {
    /// Recomputes the K-weighting for the new rate and resets the meter.
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        crate::validate_sample_rate(sample_rate)?;
        let rate = sample_rate.round() as f64;
        let (shelf, highpass) = k_weighting_coefficients(rate);
        self.shelf = shelf;
        self.highpass = highpass;
        self.sample_rate_hz = sample_rate;
        self.block_frames = ((rate as usize) + 5) / 10;
        self.reset();
        Ok(())
    }

    fn reset(&mut self) {
        self.state = [[BiquadState::default(); 2]; MAX_CHANNELS];
        self.block_pos = 0;
        self.block_acc = 0.0;
        self.blocks = [0.0; BLOCKS_PER_SHORT_TERM];
        self.block_idx = 0;
        self.blocks_done = 0;
        self.momentary_energy = 0.0;
        self.short_term_energy = 0.0;
    }

    /// Measures the channels and leaves them unchanged (a pass-through meter).
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let mut refs: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        let n = channels.len().min(MAX_CHANNELS);
        for (r, c) in refs.iter_mut().zip(channels.iter()) {
            *r = c;
        }
        self.analyze(&refs[..n]);
    }

    fn latency_samples(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_signals::{noise, sine};
    use super::*;
    use ebur128::{EbuR128, Mode};

    /// Feeds the same stereo signal to the meter and to `ebur128` in 512-sample chunks and compares
    /// momentary and short-term readings at every 100 ms block boundary after the first 3 s.
    fn compare_with_ebur128(left: &[f32], right: &[f32], rate: u32) {
        let mut meter =
            ShortTermLoudness::new(ProcessorConfig::new(rate as f32, 512, 2).unwrap()).unwrap();
        let mut ebu = EbuR128::new(2, rate, Mode::M | Mode::S).unwrap();
        let block = meter.block_frames();
        let mut pos = 0;
        let mut checked = 0;
        while pos < left.len() {
            // Stop every chunk at block boundaries so both readings refer to the same instant.
            let n = 512.min(block - pos % block).min(left.len() - pos);
            meter.analyze(&[&left[pos..pos + n], &right[pos..pos + n]]);
            ebu.add_frames_planar_f32(&[&left[pos..pos + n], &right[pos..pos + n]])
                .unwrap();
            pos += n;
            if pos % block == 0 && meter.short_term_ready() {
                let m = ebu.loudness_momentary().unwrap();
                let s = ebu.loudness_shortterm().unwrap();
                let dm = (meter.momentary_lufs() as f64 - m).abs();
                let ds = (meter.short_term_lufs() as f64 - s).abs();
                assert!(
                    dm < 0.1,
                    "{rate} Hz momentary: meter {} vs ebur128 {m}",
                    meter.momentary_lufs()
                );
                assert!(
                    ds < 0.1,
                    "{rate} Hz short-term: meter {} vs ebur128 {s}",
                    meter.short_term_lufs()
                );
                checked += 1;
            }
        }
        assert!(checked >= 5);
    }

    #[test]
    fn agrees_with_ebur128_on_sine() {
        for rate in [44_100u32, 48_000, 96_000] {
            let s = sine(997.0, -18.0, 3.6, rate);
            let low = sine(60.0, -12.0, 3.6, rate);
            compare_with_ebur128(&s, &low, rate);
        }
    }

    #[test]
    fn agrees_with_ebur128_on_noise() {
        for rate in [44_100u32, 48_000, 96_000] {
            let n = (3.6 * rate as f64) as usize;
            compare_with_ebur128(&noise(n, 0.5, 11), &noise(n, 0.25, 12), rate);
        }
    }

    /// At the lowest rates a host may offer (the shelf lies above Nyquist, where the bilinear
    /// design is unstable) the meter stays finite and reads a 100 Hz tone within 2.5 dB of what
    /// it reads at 48 kHz (the K-weighting there is the high-pass alone).
    #[test]
    fn stays_finite_and_close_at_the_lowest_rates() {
        let read = |rate: f32| {
            let s = sine(100.0, -23.0, 4.0, rate as u32);
            let mut meter =
                ShortTermLoudness::new(ProcessorConfig::new(rate, 256, 2).unwrap()).unwrap();
            for c in s.chunks(256) {
                meter.analyze(&[c, c]);
            }
            meter.short_term_lufs()
        };
        let at_48k = read(48_000.0);
        for rate in [1_000.0f32, 1_234.57, 2_000.0, 3_000.0, 3_700.0, 8_000.0] {
            let l = read(rate);
            assert!(
                l.is_finite() && (l - at_48k).abs() < 2.5,
                "{rate} Hz: {l} vs {at_48k}"
            );
        }
    }

    /// Tech 3341-style check on the hand-written meter alone: stereo 1 kHz at −23 dBFS → −23.0 LUFS.
    #[test]
    fn reads_minus23_on_reference_sine() {
        let s = sine(1000.0, -23.0, 3.2, 48_000);
        let mut meter =
            ShortTermLoudness::new(ProcessorConfig::new(48_000.0, 1024, 2).unwrap()).unwrap();
        for c in s.chunks(1024) {
            meter.analyze(&[c, c]);
        }
        assert!(
            (meter.momentary_lufs() + 23.0).abs() < 0.1,
            "{}",
            meter.momentary_lufs()
        );
        assert!(
            (meter.short_term_lufs() + 23.0).abs() < 0.1,
            "{}",
            meter.short_term_lufs()
        );
    }

    #[test]
    fn silence_garbage_and_pass_through() {
        let mut meter =
            ShortTermLoudness::new(ProcessorConfig::new(44_100.0, 256, 2).unwrap()).unwrap();
        assert_eq!(meter.momentary_lufs(), SILENCE_LUFS);
        let mut l = vec![f32::NAN; 256];
        let mut r = vec![f32::INFINITY; 256];
        l[3] = 0.5;
        for _ in 0..40 {
            let before = r.clone();
            meter.process(&mut [&mut l, &mut r]);
            assert_eq!(r[..4], before[..4]);
        }
        assert!(meter.momentary_lufs().is_finite() && meter.short_term_lufs().is_finite());
        meter.reset();
        assert_eq!(meter.short_term_lufs(), SILENCE_LUFS);
        assert!(meter.set_sample_rate(1.0).is_err());
        assert!(meter.set_sample_rate(96_000.0).is_ok());
        assert_eq!(meter.block_frames(), 9600);
    }
}
