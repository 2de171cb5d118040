//! Polyphase half-band oversampling: 2×, 4× and 8× up- and down-sampling by cascaded 2× stages.
//!
//! Each 2× stage is a linear-phase half-band FIR (Kaiser-windowed sinc, every second tap zero)
//! run in polyphase form: the interpolator computes one output per input with the short
//! non-trivial branch and copies the other (the centre tap is a pure delay); the decimator does
//! the mirror image. Symmetric taps are folded, so a stage costs `k + 1` multiplies per
//! low-rate sample.
//!
//! Each stage is designed for its own transition band, so later stages are short:
//!
//! | stage | runs at | pass edge (of its rate) | stop edge | taps (`4k+3`) |
//! |-------|---------|-------------------------|-----------|---------------|
//! | 1     | 2·fs    | 0.225 (0.45·fs)         | 0.275 (0.55·fs) | 127 |
//! | 2     | 4·fs    | 0.1375 (0.55·fs)        | 0.3625 (1.45·fs) | 31 |
//! | 3     | 8·fs    | 0.06875 (0.55·fs)       | 0.43125 (3.45·fs) | 19 |
//!
//! Everything above 0.55·fs (base rate) is rejected by at least 90 dB (≈ 95 dB as designed), the
//! passband ripple up to 0.45·fs is below 0.001 dB per stage. Content between 0.45·fs and
//! 0.55·fs is in the transition band (the usual half-band compromise).
//!
//! Latency: a stage with `4k+3` taps delays by `2k+1` samples of its high rate in each
//! direction, so its round trip is `2k+1` samples of its low rate. For 4× and 8× the sum is not
//! a whole number of base-rate samples; the downsampler then adds a small pure delay at the top
//! rate ([`Oversampler::latency_samples`] is always an integer: 63 for 2×, 71 for 4×, 73 for 8×).

use crate::{validate_sample_rate, ConfigError, Processor, ProcessorConfig};

/// How much a signal is oversampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum OversamplingFactor {
    /// No oversampling (1×): up- and down-sampling are plain copies with no latency.
    X1,
    /// 2× (one half-band stage).
    X2,
    /// 4× (two cascaded stages). The default.
    #[default]
    X4,
    /// 8× (three cascaded stages).
    X8,
}

impl OversamplingFactor {
    /// The ratio between the oversampled and the base rate (1, 2, 4 or 8).
    pub fn ratio(self) -> usize {
        1 << self.stages()
    }

    /// The number of cascaded 2× stages (0–3).
    pub fn stages(self) -> usize {
        match self {
            Self::X1 => 0,
            Self::X2 => 1,
            Self::X4 => 2,
            Self::X8 => 3,
        }
    }

    /// The factor for a ratio of 1, 2, 4 or 8; `None` otherwise.
    pub fn from_ratio(ratio: usize) -> Option<Self> {
        match ratio {
            1 => Some(Self::X1),
            2 => Some(Self::X2),
            4 => Some(Self::X4),
            8 => Some(Self::X8),
            _ => None,
        }
    }
}

/// `(k, Kaiser β)` of each stage: the stage has `4k + 3` taps. Chosen so every stage rejects its
/// stop band by ≥ 95 dB (checked in the tests against the 90 dB requirement).
const STAGE_DESIGNS: [(usize, f64); 3] = [(31, 10.0), (7, 10.0), (4, 10.5)];

/// Input magnitudes above this are clamped so no accumulator can overflow (≈ +300 dBFS).
const MAX_MAGNITUDE: f32 = 1e15;

/// Replaces NaN/±Inf by 0 and clamps absurd finite magnitudes to ±[`MAX_MAGNITUDE`].
#[inline(always)]
fn clean(x: f32) -> f32 {
    if x.abs() <= MAX_MAGNITUDE {
        x
    } else if x.is_finite() {
        MAX_MAGNITUDE.copysign(x)
    } else {
        0.0
    }
}

/// Zeroth-order modified Bessel function of the first kind (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let mut k = 1.0;
    loop {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        k += 1.0;
        if term < 1e-20 * sum {
            return sum;
        }
    }
}

/// One linear-phase half-band low-pass (cut-off at a quarter of its sample rate), DC gain 1.
#[derive(Debug, Clone)]
pub struct HalfbandFilter {
    k: usize,
    taps: Vec<f64>,
    /// `2·h[2j]` for `j = 0..=k`: the folded non-trivial polyphase branch (sums to 1).
    fold: Vec<f32>,
}

impl HalfbandFilter {
    /// Designs a Kaiser-windowed half-band filter with `4k + 3` taps and window parameter
    /// `beta`. `k` must be at least 1 (smaller values are raised to 1).
    pub fn design(k: usize, beta: f64) -> Self {
        let k = k.max(1);
        let n = 4 * k + 3;
        let c = (2 * k + 1) as isize;
        let i0_beta = bessel_i0(beta);
        let mut taps = vec![0.0f64; n];
        for (i, t) in taps.iter_mut().enumerate() {
            let m = i as isize - c;
            if m == 0 {
                *t = 0.5;
            } else if m % 2 != 0 {
                let mf = m as f64;
                let r = mf / (c + 1) as f64;
                let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
                *t = (std::f64::consts::FRAC_PI_2 * mf).sin() / (std::f64::consts::PI * mf) * w;
            }
        }
        // Scale the off-centre taps so the DC gain is exactly 1 with the centre tap at 0.5.
        let side: f64 = taps
            .iter()
            .enumerate()
            .filter(|&(i, _)| i as isize != c)
            .map(|(_, t)| t)
            .sum();
        for (i, t) in taps.iter_mut().enumerate() {
            if i as isize != c {
                *t *= 0.5 / side;
            }
        }
        let fold = (0..=k).map(|j| (2.0 * taps[2 * j]) as f32).collect();
        Self { k, taps, fold }
    }

    /// The full impulse response (length `4k + 3`, DC gain 1), for analysis.
    pub fn taps(&self) -> &[f64] {
        &self.taps
    }

    /// The group delay in samples of the filter's (high) rate: `2k + 1`.
    pub fn delay_samples(&self) -> usize {
        2 * self.k + 1
    }

    /// Magnitude response (linear) at `freq`, in cycles per sample of the filter's rate (0–0.5).
    pub fn magnitude(&self, freq: f64) -> f64 {
        let w = std::f64::consts::TAU * freq;
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &t) in self.taps.iter().enumerate() {
            re += t * (w * i as f64).cos();
            im -= t * (w * i as f64).sin();
        }
        (re * re + im * im).sqrt()
    }
}

/// Outputs computed side by side by [`UpStage::process`] (independent accumulators, so the
/// loop vectorises and is not bound by the latency of one long chain of additions).
const UP_LANES: usize = 16;

/// Running state of one 2× interpolator stage (one channel).
///
/// The filter runs over a linear buffer: the last `2k + 1` inputs (oldest first) followed by
/// the new block. Each output is the same sum in the same order as the textbook loop
/// (`acc += c_j · (x[n − j] + x[n − 2k − 1 + j])`, j = 0…k, from 0), only several consecutive
/// outputs are accumulated side by side, so the result is bit-identical to it (Rust never
/// fuses the multiply and the add).
#[derive(Debug, Clone)]
struct UpStage {
    /// `2k + 1` samples of history (oldest first), then room for the largest input block.
    buf: Vec<f32>,
}

impl UpStage {
    /// A stage with `4k + 3` taps for input blocks of up to `max_input` samples.
    fn new(k: usize, max_input: usize) -> Self {
        Self {
            buf: vec![0.0; 2 * k + 1 + max_input],
        }
    }

    fn reset(&mut self) {
        self.buf.fill(0.0);
    }

    /// `output.len()` must be `2 * input.len()`, `input.len()` at most the `max_input` given
    /// to [`UpStage::new`]. Never allocates. Compiled for AVX-512 or AVX2 where the CPU has
    /// them: the lanes are independent sums in the same order, so every width gives the same
    /// samples.
    fn process(&mut self, f: &HalfbandFilter, input: &[f32], output: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F.
                return unsafe { self.process_avx512(f, input, output) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                return unsafe { self.process_avx2(f, input, output) };
            }
        }
        self.process_impl(f, input, output)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn process_avx512(&mut self, f: &HalfbandFilter, input: &[f32], output: &mut [f32]) {
        self.process_impl(f, input, output)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn process_avx2(&mut self, f: &HalfbandFilter, input: &[f32], output: &mut [f32]) {
        self.process_impl(f, input, output)
    }

    #[inline(always)]
    fn process_impl(&mut self, f: &HalfbandFilter, input: &[f32], output: &mut [f32]) {
        let k = f.k;
        let hist = 2 * k + 1;
        let m = input.len().min(output.len() / 2).min(self.buf.len() - hist);
        for (d, &x) in self.buf[hist..hist + m].iter_mut().zip(input) {
            *d = clean(x);
        }
        let buf = &self.buf[..hist + m];
        let fold = &f.fold[..=k];
        // Output pair n: the filtered sample, then the centre tap (a pure delay of k).
        // Input n sits at buf[n + hist]; x[n − j] = buf[n + hist − j], x[n − hist + j] = buf[n + j].
        let mut n = 0;
        while n + UP_LANES <= m {
            let mut acc = [0.0f32; UP_LANES];
            for (j, &c) in fold.iter().enumerate() {
                let newer = &buf[n + hist - j..n + hist - j + UP_LANES];
                let older = &buf[n + j..n + j + UP_LANES];
                for ((a, &x0), &x1) in acc.iter_mut().zip(newer).zip(older) {
                    *a += c * (x0 + x1);
                }
            }
            let out = &mut output[2 * n..2 * (n + UP_LANES)];
            for ((o, &a), &centre) in out
                .chunks_exact_mut(2)
                .zip(&acc)
                .zip(&buf[n + hist - k..n + hist - k + UP_LANES])
            {
                o[0] = a;
                o[1] = centre;
            }
            n += UP_LANES;
        }
        for n in n..m {
            let mut acc = 0.0f32;
            for (j, &c) in fold.iter().enumerate() {
                acc += c * (buf[n + hist - j] + buf[n + j]);
            }
            output[2 * n] = acc;
            output[2 * n + 1] = buf[n + hist - k];
        }
        // Keep the last 2k + 1 inputs for the next block.
        self.buf.copy_within(m..m + hist, 0);
    }
}

/// Running state of one 2× decimator stage (one channel).
#[derive(Debug, Clone)]
struct DownStage {
    /// Newest-first history of the even-indexed inputs (`2k + 2`, stored twice).
    even: Vec<f32>,
    even_pos: usize,
    /// Newest-first history of the odd-indexed inputs (`k + 2`, stored twice).
    odd: Vec<f32>,
    odd_pos: usize,
}

impl DownStage {
    fn new(k: usize) -> Self {
        Self {
            even: vec![0.0; 2 * (2 * k + 2)],
            even_pos: 0,
            odd: vec![0.0; 2 * (k + 2)],
            odd_pos: 0,
        }
    }

    fn reset(&mut self) {
        self.even.fill(0.0);
        self.odd.fill(0.0);
        self.even_pos = 0;
        self.odd_pos = 0;
    }

    /// `input.len()` must be `2 * output.len()`.
    fn process(&mut self, f: &HalfbandFilter, input: &[f32], output: &mut [f32]) {
        let k = f.k;
        let l = 2 * k + 2;
        let lo = k + 2;
        for (pair, out) in input.chunks_exact(2).zip(output.iter_mut()) {
            let e = clean(pair[0]);
            let o = clean(pair[1]);
            self.even_pos = if self.even_pos == 0 {
                l - 1
            } else {
                self.even_pos - 1
            };
            self.even[self.even_pos] = e;
            self.even[self.even_pos + l] = e;
            self.odd_pos = if self.odd_pos == 0 {
                lo - 1
            } else {
                self.odd_pos - 1
            };
            self.odd[self.odd_pos] = o;
            self.odd[self.odd_pos + lo] = o;
            let h = &self.even[self.even_pos..self.even_pos + l];
            let (a, b) = h.split_at(k + 1);
            let mut acc = 0.0f32;
            for ((c, x0), x1) in f.fold.iter().zip(a).zip(b.iter().rev()) {
                acc += c * (x0 + x1);
            }
            *out = 0.5 * (acc + self.odd[self.odd_pos + k + 1]);
        }
    }
}

/// A pure delay of 0–7 samples (the top-rate padding that makes the round trip whole).
#[derive(Debug, Clone, Default)]
struct PadDelay {
    buf: [f32; 8],
    pos: usize,
}

impl PadDelay {
    #[inline]
    fn tick(&mut self, x: f32, delay: usize) -> f32 {
        self.buf[self.pos] = x;
        let out = self.buf[(self.pos + 8 - delay) & 7];
        self.pos = (self.pos + 1) & 7;
        out
    }
}

/// Multichannel polyphase half-band oversampler (2×/4×/8× up and down), preallocated for the
/// configured maximum block size and channel count.
///
/// Use [`upsample`](Self::upsample) and [`downsample`](Self::downsample) per channel around
/// processing at the high rate. As a [`Processor`] it performs the up→down round trip in place
/// (a band-limiting delay of [`latency_samples`](Processor::latency_samples) samples).
#[derive(Debug, Clone)]
pub struct Oversampler {
    factor: OversamplingFactor,
    max_factor: OversamplingFactor,
    max_block: usize,
    channels: usize,
    sample_rate: f32,
    filters: Vec<HalfbandFilter>,
    up: Vec<Vec<UpStage>>,
    down: Vec<Vec<DownStage>>,
    pad: Vec<PadDelay>,
    /// Top-rate padding delay of the downsampler, samples of the top rate.
    pad_samples: usize,
    scratch_a: Vec<f32>,
    scratch_b: Vec<f32>,
    round_trip: Vec<f32>,
}

impl Oversampler {
    /// An oversampler for `config` at `factor`. Allocates every buffer here; the factor can later
    /// be lowered (or raised back up to this one) with [`set_factor`](Self::set_factor).
    pub fn new(config: ProcessorConfig, factor: OversamplingFactor) -> Result<Self, ConfigError> {
        config.validate()?;
        let stages = factor.stages();
        let filters: Vec<HalfbandFilter> = STAGE_DESIGNS[..stages]
            .iter()
            .map(|&(k, beta)| HalfbandFilter::design(k, beta))
            .collect();
        // Stage j (0-based) gets blocks of up to max_block · 2^j samples.
        let up = (0..config.channels)
            .map(|_| {
                filters
                    .iter()
                    .enumerate()
                    .map(|(j, f)| UpStage::new(f.k, config.max_block_size << j))
                    .collect()
            })
            .collect();
        let down = (0..config.channels)
            .map(|_| filters.iter().map(|f| DownStage::new(f.k)).collect())
            .collect();
        let top = config.max_block_size * factor.ratio();
        let mut os = Self {
            factor,
            max_factor: factor,
            max_block: config.max_block_size,
            channels: config.channels,
            sample_rate: config.sample_rate,
            filters,
            up,
            down,
            pad: vec![PadDelay::default(); config.channels],
            pad_samples: 0,
            scratch_a: vec![0.0; top],
            scratch_b: vec![0.0; top],
            round_trip: vec![0.0; top],
        };
        os.set_factor(factor)?;
        Ok(os)
    }

    /// Changes the factor without allocating. Allowed up to the factor given at construction;
    /// resets the running state.
    pub fn set_factor(&mut self, factor: OversamplingFactor) -> Result<(), ConfigError> {
        if factor > self.max_factor {
            return Err(ConfigError::Invalid(
                "oversampling factor above the one allocated at construction",
            ));
        }
        self.factor = factor;
        // Round trip in top-rate samples: stage j (1-based) contributes (2k_j + 1) samples of
        // its low rate = (2k_j + 1) · 2^(K − j + 1) top-rate samples.
        let stages = factor.stages();
        let ratio = factor.ratio();
        let total: usize = self.filters[..stages]
            .iter()
            .enumerate()
            .map(|(j, f)| f.delay_samples() << (stages - j))
            .sum();
        self.pad_samples = (ratio - total % ratio) % ratio;
        self.reset();
        Ok(())
    }

    /// The current factor.
    pub fn factor(&self) -> OversamplingFactor {
        self.factor
    }

    /// The current ratio (1, 2, 4 or 8).
    pub fn ratio(&self) -> usize {
        self.factor.ratio()
    }

    /// The half-band stages in use, lowest rate first (for analysis and tests).
    pub fn stage_filters(&self) -> &[HalfbandFilter] {
        &self.filters[..self.factor.stages()]
    }

    /// Delay of the upsampler alone, in base-rate samples (fractional for 2× and above: the
    /// oversampled sample `m` of input block position `n` shows the signal at base time
    /// `m / ratio − upsample_latency()`).
    pub fn upsample_latency(&self) -> f64 {
        self.stage_filters()
            .iter()
            .enumerate()
            .map(|(j, f)| f.delay_samples() as f64 / (2usize << j) as f64)
            .sum()
    }

    /// Delay of the downsampler alone (including its top-rate padding), in base-rate samples.
    pub fn downsample_latency(&self) -> f64 {
        self.upsample_latency() + self.pad_samples as f64 / self.ratio() as f64
    }

    /// The number of channels this oversampler was built for.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Clears the running state of one channel (out-of-range channels are ignored).
    pub fn reset_channel(&mut self, channel: usize) {
        if channel >= self.channels {
            return;
        }
        for s in &mut self.up[channel] {
            s.reset();
        }
        for s in &mut self.down[channel] {
            s.reset();
        }
        self.pad[channel] = PadDelay::default();
    }

    /// Upsamples `input` of `channel` into `output` (which should hold `input.len() · ratio`
    /// samples). Any input length is accepted (processed in chunks of the maximum block size);
    /// processes as many input samples as `output` has room for and returns that count.
    /// Non-finite input samples are treated as 0. Never allocates.
    pub fn upsample(&mut self, channel: usize, input: &[f32], output: &mut [f32]) -> usize {
        if channel >= self.channels {
            return 0;
        }
        let r = self.ratio();
        let n = input.len().min(output.len() / r);
        let mut start = 0;
        while start < n {
            let len = (n - start).min(self.max_block);
            self.upsample_chunk(
                channel,
                &input[start..start + len],
                &mut output[start * r..(start + len) * r],
            );
            start += len;
        }
        n
    }

    /// Downsamples `input` (top rate) of `channel` into `output` (which should hold
    /// `input.len() / ratio` samples). Processes `min(input.len() / ratio, output.len())` output
    /// samples and returns that count. Never allocates.
    pub fn downsample(&mut self, channel: usize, input: &[f32], output: &mut [f32]) -> usize {
        if channel >= self.channels {
            return 0;
        }
        let r = self.ratio();
        let n = output.len().min(input.len() / r);
        let mut start = 0;
        while start < n {
            let len = (n - start).min(self.max_block);
            self.downsample_chunk(
                channel,
                &input[start * r..(start + len) * r],
                &mut output[start..start + len],
            );
            start += len;
        }
        n
    }

    fn upsample_chunk(&mut self, ch: usize, input: &[f32], output: &mut [f32]) {
        let stages = self.factor.stages();
        let Self {
            filters,
            up,
            scratch_a,
            scratch_b,
            ..
        } = self;
        let st = &mut up[ch];
        if stages == 0 {
            for (o, &x) in output.iter_mut().zip(input) {
                *o = clean(x);
            }
            return;
        }
        if stages == 1 {
            st[0].process(&filters[0], input, output);
            return;
        }
        let mut len = input.len() * 2;
        st[0].process(&filters[0], input, &mut scratch_a[..len]);
        let mut in_a = true;
        for s in 1..stages {
            let last = s + 1 == stages;
            let src: &[f32] = if in_a {
                &scratch_a[..len]
            } else {
                &scratch_b[..len]
            };
            if last {
                st[s].process(&filters[s], src, &mut output[..2 * len]);
            } else if in_a {
                st[s].process(&filters[s], &scratch_a[..len], &mut scratch_b[..2 * len]);
            } else {
                st[s].process(&filters[s], &scratch_b[..len], &mut scratch_a[..2 * len]);
            }
            len *= 2;
            in_a = !in_a;
        }
    }

    fn downsample_chunk(&mut self, ch: usize, input: &[f32], output: &mut [f32]) {
        let stages = self.factor.stages();
        let pad_samples = self.pad_samples;
        let Self {
            filters,
            down,
            pad,
            scratch_a,
            scratch_b,
            ..
        } = self;
        if stages == 0 {
            for (o, &x) in output.iter_mut().zip(input) {
                *o = clean(x);
            }
            return;
        }
        let mut len = input.len();
        let p = &mut pad[ch];
        for (d, &x) in scratch_a[..len].iter_mut().zip(input) {
            *d = p.tick(clean(x), pad_samples);
        }
        let st = &mut down[ch];
        let mut in_a = true;
        for s in (0..stages).rev() {
            let half = len / 2;
            if s == 0 {
                let src: &[f32] = if in_a {
                    &scratch_a[..len]
                } else {
                    &scratch_b[..len]
                };
                st[0].process(&filters[0], src, output);
            } else if in_a {
                st[s].process(&filters[s], &scratch_a[..len], &mut scratch_b[..half]);
            } else {
                st[s].process(&filters[s], &scratch_b[..len], &mut scratch_a[..half]);
            }
            len = half;
            in_a = !in_a;
        }
    }
}

impl Processor for Oversampler {
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        // The designs are normalised to the rate; nothing to re-derive.
        validate_sample_rate(sample_rate)?;
        self.sample_rate = sample_rate;
        self.reset();
        Ok(())
    }

    fn reset(&mut self) {
        for ch in 0..self.channels {
            self.reset_channel(ch);
        }
    }

    /// The up→down round trip, in place.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let r = self.ratio();
        let mut buf = std::mem::take(&mut self.round_trip);
        for (ch, data) in channels.iter_mut().enumerate().take(self.channels) {
            for chunk in data.chunks_mut(self.max_block) {
                let n = chunk.len();
                self.upsample_chunk(ch, chunk, &mut buf[..n * r]);
                self.downsample_chunk(ch, &buf[..n * r], chunk);
            }
        }
        self.round_trip = buf;
    }

    /// The round-trip (up then down) delay in base-rate samples.
    fn latency_samples(&self) -> usize {
        let l = self.upsample_latency() + self.downsample_latency();
        l.round() as usize
    }
}

#[cfg(test)]
mod tests;
