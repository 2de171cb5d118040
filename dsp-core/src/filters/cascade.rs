//! A fixed-capacity chain of biquad sections (no heap) and its analytic response.

use super::biquad::{BiquadCoefs, Complex};

/// The most second-order sections one designed filter uses (an 8th-order cut).
pub const MAX_SECTIONS: usize = 4;

/// Up to [`MAX_SECTIONS`] biquads applied in series: what [`super::design()`] returns and what
/// [`super::FilterCascade`] runs. Plain arrays, `Copy`, no heap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CascadeCoefs {
    sections: [BiquadCoefs; MAX_SECTIONS],
    len: usize,
}

impl Default for CascadeCoefs {
    fn default() -> Self {
        Self::identity()
    }
}

impl CascadeCoefs {
    /// A cascade of one pass-through section.
    pub const fn identity() -> Self {
        Self {
            sections: [BiquadCoefs::IDENTITY; MAX_SECTIONS],
            len: 1,
        }
    }

    /// An empty cascade (also a pass-through); fill it with [`Self::push`].
    pub const fn empty() -> Self {
        Self {
            sections: [BiquadCoefs::IDENTITY; MAX_SECTIONS],
            len: 0,
        }
    }

    /// A cascade holding one section.
    pub fn single(section: BiquadCoefs) -> Self {
        let mut c = Self::empty();
        c.push(section);
        c
    }

    /// Makes this `Self::single(section)` in place (without building and copying a whole
    /// cascade).
    pub fn set_single(&mut self, section: BiquadCoefs) {
        self.sections[0] = section;
        self.sections[1..].fill(BiquadCoefs::IDENTITY);
        self.len = 1;
    }

    /// Appends a section; returns false (and changes nothing) when the cascade is full.
    pub fn push(&mut self, section: BiquadCoefs) -> bool {
        if self.len < MAX_SECTIONS {
            self.sections[self.len] = section;
            self.len += 1;
            true
        } else {
            false
        }
    }

    /// The active sections, in processing order.
    pub fn sections(&self) -> &[BiquadCoefs] {
        &self.sections[..self.len]
    }

    /// The number of active sections.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no sections (a pass-through).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The combined response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), linear complex.
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        self.sections().iter().fold(Complex::ONE, |acc, s| {
            acc * s.response(freq_hz, sample_rate_hz)
        })
    }

    /// The combined magnitude response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), in dB.
    /// Summed per section in dB, so very deep stop bands do not underflow.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        let db: f64 = self
            .sections()
            .iter()
            .map(|s| s.magnitude_db(freq_hz, sample_rate_hz))
            .sum();
        db.max(crate::util::MIN_DB as f64)
    }

    /// The combined phase response at `freq_hz` (Hz) for `sample_rate_hz` (Hz), in radians
    /// (wrapped to −π…π).
    pub fn phase_rad(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.response(freq_hz, sample_rate_hz).arg()
    }

    /// True when every active section is stable.
    pub fn is_stable(&self) -> bool {
        self.sections().iter().all(BiquadCoefs::is_stable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_respects_capacity_and_response_multiplies() {
        let half = BiquadCoefs {
            b0: 0.5,
            ..BiquadCoefs::IDENTITY
        };
        let mut c = CascadeCoefs::empty();
        assert!(c.is_empty());
        for _ in 0..MAX_SECTIONS {
            assert!(c.push(half));
        }
        assert!(!c.push(half));
        assert_eq!(c.len(), MAX_SECTIONS);
        let expect = 20.0 * 0.5f64.powi(MAX_SECTIONS as i32).log10();
        assert!((c.magnitude_db(1000.0, 48_000.0) - expect).abs() < 1e-9);
        assert!((c.response(1000.0, 48_000.0).magnitude_db() - expect).abs() < 1e-9);
        assert_eq!(CascadeCoefs::identity().magnitude_db(5.0, 48_000.0), 0.0);
    }
}
