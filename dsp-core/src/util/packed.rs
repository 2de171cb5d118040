//! [`Packed`]: audio kept for later in 37.5 % of the memory of `f32` (analysis threads).

/// The largest magnitude of a packed sample: 12-bit two's complement, symmetric.
const FULL: f32 = 2047.0;

/// One channel of audio as 12-bit samples under one scale (block floating point), the scale set
/// by the block's peak, two samples in three bytes: 37.5 % of the memory of `f32`. Every sample
/// comes back within the peak × 2⁻¹² (−72 dB under the block's own peak, whatever its level;
/// the rounding noise is about −83 dB under the peak, some 60 dB under the music's own level),
/// far below what moves a simulated loudness, true peak or gain reduction. Allocates; not for
/// the audio thread.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packed {
    scale: f32,
    len: usize,
    bytes: Vec<u8>,
}

impl Packed {
    /// Packs `x` (finite samples; a non-finite peak packs as silence).
    pub fn pack(x: &[f32]) -> Self {
        let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if peak > 0.0 && peak.is_finite() {
            peak / FULL
        } else {
            0.0
        };
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let q = |v: f32| ((v * inv).round().clamp(-FULL, FULL) as i16 as u16) & 0xFFF;
        let mut bytes = Vec::with_capacity(x.len().div_ceil(2) * 3);
        for pair in x.chunks(2) {
            let a = q(pair[0]);
            let b = pair.get(1).map_or(0, |&v| q(v));
            bytes.extend_from_slice(&[a as u8, ((a >> 8) | (b << 4)) as u8, (b >> 4) as u8]);
        }
        Self {
            scale,
            len: x.len(),
            bytes,
        }
    }

    /// Samples held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no sample is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The two 12-bit values of pair `p`, sign-extended.
    #[inline]
    fn pair(&self, p: usize) -> (i16, i16) {
        let b = &self.bytes[3 * p..3 * p + 3];
        let a = (b[0] as u16) | ((b[1] as u16 & 0xF) << 8);
        let c = ((b[1] as u16) >> 4) | ((b[2] as u16) << 4);
        (((a << 4) as i16) >> 4, ((c << 4) as i16) >> 4)
    }

    /// Sample `i` (panics out of range).
    pub fn get(&self, i: usize) -> f32 {
        assert!(i < self.len, "sample {i} of {}", self.len);
        let (a, b) = self.pair(i / 2);
        (if i.is_multiple_of(2) { a } else { b }) as f32 * self.scale
    }

    /// Appends samples `from..` to `out`.
    pub fn unpack_from(&self, from: usize, out: &mut Vec<f32>) {
        if from >= self.len {
            return;
        }
        out.reserve(self.len - from);
        let mut i = from;
        if !i.is_multiple_of(2) {
            out.push(self.get(i));
            i += 1;
        }
        while i + 1 < self.len {
            let (a, b) = self.pair(i / 2);
            out.push(a as f32 * self.scale);
            out.push(b as f32 * self.scale);
            i += 2;
        }
        if i < self.len {
            out.push(self.get(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Audio comes back within 2⁻¹² of its block's peak at any level, from any start, odd
    /// lengths included; silence as silence; three bytes per two samples.
    #[test]
    fn packed_audio_comes_back_within_72_db_of_its_peak() {
        for db in [0.0f32, -20.0, -60.0, -120.0] {
            let amp = 10f32.powf(db / 20.0);
            let x: Vec<f32> = (0..8001)
                .map(|i| amp * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 8000.0).sin())
                .collect();
            let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let p = Packed::pack(&x);
            assert_eq!(p.len(), x.len());
            assert_eq!(p.bytes.len(), 3 * 4001);
            for from in [0, 1, 7998, 8000, 8001] {
                let mut back = Vec::new();
                p.unpack_from(from, &mut back);
                assert_eq!(back.len(), x.len() - from);
                for (k, (a, b)) in back.iter().zip(&x[from..]).enumerate() {
                    // Half a step of the scale, plus the f32 rounding of the arithmetic.
                    let bound = peak / (2.0 * FULL) + 2.0 * f32::EPSILON * b.abs();
                    assert!(
                        (a - b).abs() <= bound,
                        "{db} dB, sample {}: {a} {b}",
                        from + k
                    );
                    assert_eq!(p.get(from + k), *a);
                }
            }
            // The extremes survive the sign extension.
            assert_eq!(p.get(2), x[2]);
            let min = x.iter().copied().fold(f32::INFINITY, f32::min);
            let back_min = (0..x.len()).map(|i| p.get(i)).fold(f32::INFINITY, f32::min);
            assert!((back_min - min).abs() <= peak / (2.0 * FULL) + 1e-6 * peak);
        }
        let p = Packed::pack(&[0.0; 16]);
        assert_eq!(p.scale, 0.0);
        assert!((0..16).all(|i| p.get(i) == 0.0));
        let p = Packed::pack(&[f32::NAN; 4]);
        assert_eq!(p.scale, 0.0);
    }
}
