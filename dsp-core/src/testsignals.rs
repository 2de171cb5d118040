//! Deterministic synthetic material: the demo mix, drum loops, pink noise, sines. Used by the
//! `tandem demo` command, the assistants' quality tests and the benchmarks, so every one of them
//! hears the same audio.

use std::f64::consts::PI;

/// A small deterministic generator (xorshift64*), so test material never depends on a crate's
/// random stream.
#[derive(Debug, Clone)]
pub struct Noise(u64);

impl Noise {
    /// A generator from a seed (0 is replaced by a fixed non-zero seed).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// Uniform in [-1, 1).
    #[inline]
    pub fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((v >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// White noise, uniform, peak `amplitude`.
pub fn white_noise(frames: usize, amplitude: f32, seed: u64) -> Vec<f32> {
    let mut n = Noise::new(seed);
    (0..frames).map(|_| n.uniform() * amplitude).collect()
}

/// Pink noise (−3 dB/octave) by Paul Kellet's refined filter, scaled to `rms` (linear).
pub fn pink_noise(frames: usize, rms: f32, seed: u64) -> Vec<f32> {
    let mut n = Noise::new(seed);
    let (mut b0, mut b1, mut b2, mut b3, mut b4, mut b5, mut b6) =
        (0f64, 0f64, 0f64, 0f64, 0f64, 0f64, 0f64);
    let mut out: Vec<f32> = (0..frames)
        .map(|_| {
            let w = n.uniform() as f64;
            b0 = 0.99886 * b0 + w * 0.0555179;
            b1 = 0.99332 * b1 + w * 0.0750759;
            b2 = 0.96900 * b2 + w * 0.1538520;
            b3 = 0.86650 * b3 + w * 0.3104856;
            b4 = 0.55000 * b4 + w * 0.5329522;
            b5 = -0.7616 * b5 - w * 0.0168980;
            let y = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
            b6 = w * 0.115926;
            y as f32
        })
        .collect();
    scale_to_rms(&mut out, rms);
    out
}

/// Scales a signal in place so its RMS is `rms`.
pub fn scale_to_rms(x: &mut [f32], rms: f32) {
    let cur = (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt();
    if cur > 0.0 {
        let g = (rms as f64 / cur) as f32;
        x.iter_mut().for_each(|v| *v *= g);
    }
}

/// A sine of `freq_hz` with peak `amplitude`.
pub fn sine(frames: usize, freq_hz: f64, amplitude: f32, sample_rate: f64) -> Vec<f32> {
    (0..frames)
        .map(|i| (amplitude as f64 * (2.0 * PI * freq_hz * i as f64 / sample_rate).sin()) as f32)
        .collect()
}

/// A drum-like loop: decaying noise bursts (kick-ish low bursts on beats 1 and 3, snare-ish
/// bright bursts on 2 and 4, hats on eighths) at `bpm` over a sustained tone. Mono.
pub fn drum_loop(frames: usize, sample_rate: f64, bpm: f64, seed: u64) -> Vec<f32> {
    let mut n = Noise::new(seed);
    let beat = (60.0 / bpm * sample_rate) as usize;
    let eighth = beat / 2;
    let mut out = vec![0f32; frames];
    let mut lp = 0f32;
    for (i, o) in out.iter_mut().enumerate() {
        let t_beat = i % beat;
        let beat_idx = (i / beat) % 4;
        let t_eighth = i % eighth;
        let w = n.uniform();
        lp += 0.05 * (w - lp);
        let tb = t_beat as f64 / sample_rate;
        let te = t_eighth as f64 / sample_rate;
        let kick = if beat_idx.is_multiple_of(2) {
            let f = 50.0 + 80.0 * (-tb * 30.0).exp();
            0.9 * (-tb * 18.0).exp() * (2.0 * PI * f * tb).sin()
        } else {
            0.0
        };
        let snare = if beat_idx % 2 == 1 {
            0.5 * (-tb * 25.0).exp() * w as f64
        } else {
            0.0
        };
        let hat = 0.12 * (-te * 90.0).exp() * (w - lp) as f64;
        let tone = 0.05 * (2.0 * PI * 220.0 * i as f64 / sample_rate).sin();
        *o = (kick + snare + hat + tone) as f32;
    }
    out
}

/// The 8-bell EQ of the benchmarks (`tandem bench`, the whole-plugin benchmark in
/// `tests/tests/clap_block_cost.rs`, and `BELLS` in `tools/bench_lv2.py`): frequency (Hz) and
/// gain (dB) of each bell, Q 0.7.
pub const BENCH_EQ_BELLS: [(f32, f32); 8] = [
    (60.0, 3.0),
    (150.0, -2.0),
    (400.0, 2.0),
    (1000.0, -3.0),
    (2500.0, 2.0),
    (5000.0, -2.0),
    (8000.0, 3.0),
    (12000.0, -2.0),
];

/// The benchmarks' signal: [`demo_mix`] normalised to a 0 dBFS sample peak.
pub fn bench_mix(seconds: f64, sample_rate: f64) -> [Vec<f32>; 2] {
    let mut mix = demo_mix(seconds, sample_rate);
    let peak = mix
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    if peak > 0.0 {
        let g = 1.0 / peak;
        mix.iter_mut()
            .flat_map(|c| c.iter_mut())
            .for_each(|v| *v *= g);
    }
    mix
}

/// The demo mix: drums, a bass line and a pad, stereo, `seconds` long, at about −24 LUFS
/// integrated (before any processing), with some dynamics between sections.
pub fn demo_mix(seconds: f64, sample_rate: f64) -> [Vec<f32>; 2] {
    let frames = (seconds * sample_rate) as usize;
    let drums = drum_loop(frames, sample_rate, 120.0, 7);
    let mut nl = Noise::new(11);
    let mut nr = Noise::new(13);
    let beat = 60.0 / 120.0;
    let bass_notes = [55.0, 55.0, 65.41, 49.0];
    let pad_chords = [[220.0, 277.18, 329.63], [196.0, 246.94, 293.66]];
    let mut left = vec![0f32; frames];
    let mut right = vec![0f32; frames];
    let (mut pl, mut pr) = (0f32, 0f32);
    for i in 0..frames {
        let t = i as f64 / sample_rate;
        let bar = (t / (4.0 * beat)) as usize;
        // A quieter verse every other 8 bars, for some loudness range.
        let section = if (bar / 8).is_multiple_of(2) {
            0.55
        } else {
            1.0
        };
        let note = bass_notes[bar % 4];
        let tb = t % beat;
        let bass = 0.35
            * (1.0 - (-tb * 40.0).exp())
            * (-tb * 2.0).exp()
            * ((2.0 * PI * note * t).sin() + 0.3 * (4.0 * PI * note * t).sin());
        let chord = pad_chords[(bar / 2) % 2];
        let pad: f64 = chord.iter().map(|f| (2.0 * PI * f * t).sin()).sum::<f64>() * 0.05;
        pl += 0.02 * (nl.uniform() - pl);
        pr += 0.02 * (nr.uniform() - pr);
        let d = drums[i] as f64;
        left[i] = (section * (0.8 * d + bass + pad) + 0.05 * pl as f64) as f32;
        right[i] = (section * (0.75 * d + bass + 0.9 * pad) + 0.05 * pr as f64) as f32;
    }
    // Normalise to about −24 LUFS: K-weighting is close to flat for this material, so scale to
    // the measured loudness.
    if let Ok(stats) = crate::loudness::measure(&[&left, &right], sample_rate as f32) {
        if let Some(l) = stats.integrated_lufs {
            let g = crate::util::db_to_gain_f64(-24.0 - l) as f32;
            left.iter_mut()
                .chain(right.iter_mut())
                .for_each(|v| *v *= g);
        }
    }
    [left, right]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_mix_is_about_minus_24_lufs_and_deterministic() {
        let a = demo_mix(20.0, 48_000.0);
        let b = demo_mix(20.0, 48_000.0);
        assert_eq!(a[0], b[0]);
        let s = crate::loudness::measure(&[&a[0], &a[1]], 48_000.0).unwrap();
        let i = s.integrated_lufs.unwrap();
        assert!((i + 24.0).abs() < 0.1, "{i}");
        assert!(s.loudness_range_lu > 2.0, "{}", s.loudness_range_lu);
        assert!(a[0].iter().all(|x| x.is_finite() && x.abs() < 1.0));
    }

    #[test]
    fn pink_noise_has_the_asked_rms() {
        let p = pink_noise(48_000, 0.1, 3);
        let rms = (p.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / p.len() as f64).sqrt();
        assert!((rms - 0.1).abs() < 1e-4);
    }
}
