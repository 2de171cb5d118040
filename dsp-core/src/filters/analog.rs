//! The analog prototypes the digital designs approximate, for tests and reference curves.

use super::biquad::Complex;
use super::design::butterworth_q;
use super::spec::{clamp_gain_db, clamp_q, CutShape, FilterKind, FilterSpec, MIN_FREQ_HZ};

/// `c2·s² + c1·s + c0` at `s = j·x`.
fn quad(c2: f64, c1: f64, c0: f64, x: f64) -> Complex {
    Complex::new(c0 - c2 * x * x, c1 * x)
}

/// `c1·s + c0` at `s = j·x`.
fn lin(c1: f64, c0: f64, x: f64) -> Complex {
    Complex::new(c0, c1 * x)
}

/// The analog prototype's response at `freq_hz` (Hz), linear complex: the continuous-time
/// filter each digital design approximates (the formulas are in the docs of the functions in
/// [`super::design`]). Gain and Q are clamped like the digital designs, the frequency only to
/// ≥ 1 Hz (there is no Nyquist limit in the analog domain).
///
/// [`super::design`]: mod@super::design
pub fn analog_response(spec: &FilterSpec, freq_hz: f64) -> Complex {
    let f0 = if spec.freq_hz.is_finite() {
        spec.freq_hz.max(MIN_FREQ_HZ)
    } else {
        1000.0
    };
    let x = if freq_hz.is_finite() {
        freq_hz.abs() / f0
    } else {
        0.0
    };
    let g = clamp_gain_db(spec.gain_db);
    let q = clamp_q(spec.q);
    match spec.kind {
        FilterKind::Bell => {
            let a = 10f64.powf(g / 40.0);
            quad(1.0, a / q, 1.0, x) / quad(1.0, 1.0 / (a * q), 1.0, x)
        }
        FilterKind::LowShelf => {
            let a = 10f64.powf(g / 40.0);
            let q = spec.effective_shelf_q();
            let k = a.sqrt() / q;
            Complex::new(a, 0.0) * (quad(1.0, k, a, x) / quad(a, k, 1.0, x))
        }
        FilterKind::HighShelf => {
            let a = 10f64.powf(g / 40.0);
            let q = spec.effective_shelf_q();
            let k = a.sqrt() / q;
            Complex::new(a, 0.0) * (quad(a, k, 1.0, x) / quad(1.0, k, a, x))
        }
        FilterKind::LowPass | FilterKind::HighPass => {
            let high = spec.kind == FilterKind::HighPass;
            let order = spec.cut_order();
            let (bw_order, times) = match spec.cut_shape {
                CutShape::Butterworth => (order, 1),
                CutShape::LinkwitzRiley => (order / 2, 2),
            };
            let mut h = Complex::ONE;
            for _ in 0..times {
                if bw_order % 2 == 1 {
                    let num = if high { lin(1.0, 0.0, x) } else { Complex::ONE };
                    h = h * (num / lin(1.0, 1.0, x));
                }
                for k in 0..bw_order / 2 {
                    let qk = butterworth_q(bw_order, k);
                    let num = if high {
                        quad(1.0, 0.0, 0.0, x)
                    } else {
                        Complex::ONE
                    };
                    h = h * (num / quad(1.0, 1.0 / qk, 1.0, x));
                }
            }
            h
        }
        FilterKind::Notch => quad(1.0, 0.0, 1.0, x) / quad(1.0, 1.0 / q, 1.0, x),
        FilterKind::BandPass => lin(1.0 / q, 0.0, x) / quad(1.0, 1.0 / q, 1.0, x),
        FilterKind::Tilt => {
            let t = 10f64.powf(g / 40.0);
            lin(t, 1.0, x) / lin(1.0, t, x)
        }
    }
}

/// The analog prototype's magnitude at `freq_hz` (Hz), in dB (floored at
/// [`crate::util::MIN_DB`]). The reference the digital designs are tested against.
pub fn analog_magnitude_db(spec: &FilterSpec, freq_hz: f64) -> f64 {
    analog_response(spec, freq_hz).magnitude_db()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn prototypes_have_their_textbook_values() {
        let bell = FilterSpec::bell(1000.0, 6.0, 1.0);
        assert!(close(analog_magnitude_db(&bell, 1000.0), 6.0, 1e-9));
        assert!(close(analog_magnitude_db(&bell, 1.0), 0.0, 1e-3));
        let ls = FilterSpec::low_shelf(1000.0, -10.0, 0.7);
        assert!(close(analog_magnitude_db(&ls, 1.0), -10.0, 1e-3));
        assert!(close(analog_magnitude_db(&ls, 1000.0), -5.0, 1e-9));
        assert!(close(analog_magnitude_db(&ls, 1e7), 0.0, 1e-3));
        let hs = FilterSpec::high_shelf(1000.0, 8.0, 0.7);
        assert!(close(analog_magnitude_db(&hs, 1.0), 0.0, 1e-3));
        assert!(close(analog_magnitude_db(&hs, 1000.0), 4.0, 1e-9));
        assert!(close(analog_magnitude_db(&hs, 1e7), 8.0, 1e-3));
        for order in 1..=8 {
            let lp = FilterSpec::low_pass(1000.0, 6.0 * order as f64, CutShape::Butterworth);
            assert!(
                close(analog_magnitude_db(&lp, 1000.0), -3.0103, 1e-3),
                "{order}"
            );
        }
        let lr = FilterSpec::high_pass(1000.0, 24.0, CutShape::LinkwitzRiley);
        assert!(close(analog_magnitude_db(&lr, 1000.0), -6.0206, 1e-3));
        assert!(analog_magnitude_db(&FilterSpec::notch(1000.0, 2.0), 1000.0) <= -199.0);
        assert!(close(
            analog_magnitude_db(&FilterSpec::band_pass(1000.0, 3.0), 1000.0),
            0.0,
            1e-9
        ));
        let tilt = FilterSpec::tilt(1000.0, 6.0);
        assert!(close(analog_magnitude_db(&tilt, 1000.0), 0.0, 1e-9));
        assert!(close(analog_magnitude_db(&tilt, 1e-3), -3.0, 1e-3));
        assert!(close(analog_magnitude_db(&tilt, 1e9), 3.0, 1e-3));
    }
}
