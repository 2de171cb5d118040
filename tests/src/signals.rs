//! Test signals and simple measurements for whole-plugin tests.
//!
//! Signals are `[channel][frame]` (`Vec<Vec<f32>>`), the layout `TestPlugin::process_main` takes.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A seeded RNG; tests print the seed so a failure can be replayed with `TANDEM_TEST_SEED`.
pub fn rng(default_seed: u64) -> (StdRng, u64) {
    let seed = std::env::var("TANDEM_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_seed);
    (StdRng::seed_from_u64(seed), seed)
}

/// The kinds of input the robustness tests feed the plugins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TestSignal {
    /// All zeros.
    Silence,
    /// A full-scale impulse every `period` samples (first at 0).
    Impulses {
        /// Distance between impulses in samples.
        period: usize,
    },
    /// Uniform full-scale white noise in [-1, 1].
    WhiteNoise,
    /// A constant value.
    Dc(f32),
    /// Alternating-sign denormals of this magnitude (e.g. 1e-40).
    Denormals(f32),
    /// Noise with NaN every `period` samples.
    NanBursts {
        /// Distance between NaNs.
        period: usize,
    },
    /// Noise with +Inf and -Inf every `period` samples.
    InfBursts {
        /// Distance between infinities.
        period: usize,
    },
    /// Only NaN.
    AllNan,
}

impl TestSignal {
    /// Every signal kind the robustness test uses.
    pub fn all() -> Vec<TestSignal> {
        vec![
            TestSignal::Silence,
            TestSignal::Impulses { period: 4_801 },
            TestSignal::WhiteNoise,
            TestSignal::Dc(1.0),
            TestSignal::Dc(-1.0),
            TestSignal::Denormals(1e-40),
            TestSignal::NanBursts { period: 997 },
            TestSignal::InfBursts { period: 1_009 },
            TestSignal::AllNan,
        ]
    }

    /// Whether the input itself contains non-finite samples.
    pub fn has_non_finite(&self) -> bool {
        matches!(
            self,
            TestSignal::NanBursts { .. } | TestSignal::InfBursts { .. } | TestSignal::AllNan
        )
    }

    /// Generates `frames` samples on `channels` channels.
    pub fn generate(&self, channels: usize, frames: usize, rng: &mut StdRng) -> Vec<Vec<f32>> {
        (0..channels)
            .map(|_| {
                (0..frames)
                    .map(|i| match *self {
                        TestSignal::Silence => 0.0,
                        TestSignal::Impulses { period } => {
                            if i % period == 0 {
                                1.0
                            } else {
                                0.0
                            }
                        }
                        TestSignal::WhiteNoise => rng.gen_range(-1.0f32..=1.0),
                        TestSignal::Dc(v) => v,
                        TestSignal::Denormals(m) => {
                            if i % 2 == 0 {
                                m
                            } else {
                                -m
                            }
                        }
                        TestSignal::NanBursts { period } => {
                            if i % period == period / 2 {
                                f32::NAN
                            } else {
                                rng.gen_range(-1.0f32..=1.0)
                            }
                        }
                        TestSignal::InfBursts { period } => match i % period {
                            x if x == period / 3 => f32::INFINITY,
                            x if x == 2 * period / 3 => f32::NEG_INFINITY,
                            _ => rng.gen_range(-1.0f32..=1.0),
                        },
                        TestSignal::AllNan => f32::NAN,
                    })
                    .collect()
            })
            .collect()
    }
}

/// A single impulse of `amplitude` at `position`, on every channel.
pub fn impulse(channels: usize, frames: usize, position: usize, amplitude: f32) -> Vec<Vec<f32>> {
    let mut ch = vec![0.0; frames];
    ch[position] = amplitude;
    vec![ch; channels]
}

/// A sine of `freq` Hz at `amplitude`, on every channel.
pub fn sine(
    channels: usize,
    frames: usize,
    freq: f64,
    sample_rate: f64,
    amplitude: f32,
) -> Vec<Vec<f32>> {
    let ch: Vec<f32> = (0..frames)
        .map(|i| {
            (amplitude as f64 * (2.0 * std::f64::consts::PI * freq * i as f64 / sample_rate).sin())
                as f32
        })
        .collect();
    vec![ch; channels]
}

/// The first non-finite sample as (channel, frame, value).
pub fn first_non_finite(signal: &[Vec<f32>]) -> Option<(usize, usize, f32)> {
    signal.iter().enumerate().find_map(|(c, ch)| {
        ch.iter()
            .position(|x| !x.is_finite())
            .map(|i| (c, i, ch[i]))
    })
}

/// Largest absolute sample value (NaN counts as infinite).
pub fn peak_abs(signal: &[Vec<f32>]) -> f32 {
    signal.iter().flatten().fold(0.0f32, |m, &x| {
        if x.is_nan() {
            f32::INFINITY
        } else {
            m.max(x.abs())
        }
    })
}

/// First frame where any channel's magnitude exceeds `threshold`.
pub fn first_above(signal: &[Vec<f32>], threshold: f32) -> Option<usize> {
    let len = signal.first().map(Vec::len).unwrap_or(0);
    (0..len).find(|&i| signal.iter().any(|ch| ch[i].abs() > threshold))
}

/// Frame of the largest magnitude on `channel` (first one on ties).
pub fn peak_position(channel: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &x) in channel.iter().enumerate() {
        if best.is_none_or(|(_, b)| x.abs() > b) {
            best = Some((i, x.abs()));
        }
    }
    best.map(|(i, _)| i)
}

/// Measured delay of an impulse sent at frame `sent_at`: the first frame whose magnitude exceeds
/// `threshold` times the output peak, minus `sent_at`. `None` if nothing came out.
pub fn measured_impulse_delay(
    output: &[Vec<f32>],
    sent_at: usize,
    threshold: f32,
) -> Option<usize> {
    let peak = peak_abs(output);
    if peak <= 0.0 || !peak.is_finite() {
        return None;
    }
    first_above(output, peak * threshold).map(|i| i.saturating_sub(sent_at))
}

/// Random block sizes in `1..=max` that add up to exactly `total`, mixing tiny blocks, odd sizes
/// and the maximum.
pub fn random_block_sizes(total: usize, max: usize, rng: &mut StdRng) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut left = total;
    while left > 0 {
        let n = match rng.gen_range(0..10) {
            0 => 1,
            1 => max,
            2 => rng.gen_range(1..=16),
            _ => rng.gen_range(1..=max),
        }
        .min(left);
        sizes.push(n);
        left -= n;
    }
    sizes
}

/// Writes planar `channels` as a 32-bit float WAV at `sample_rate` (what `tandem` and the DAWs
/// read back bit for bit).
pub fn write_wav_f32(path: &std::path::Path, channels: &[Vec<f32>], sample_rate: u32) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            w.write_sample(c[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}
