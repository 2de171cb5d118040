//! Tandem EQ's frequency response, measured through the CLAP bundle, equals dsp-core's analytic
//! response (the numbers the editor draws) within 0.1 dB for every band type at 44.1 and 96 kHz.
//!
//! The response is measured as the DFT of the plugin's impulse response (the EQ has no
//! latency), evaluated exactly at each test frequency.

use dsp_core::chains::eq::{EqBandType, EqSettings};
use tests::checks::set_by_text;
use tests::clap_host::EQ;
use tests::signals::impulse;

const IR_LEN: usize = 1 << 16;
const TOLERANCE_DB: f64 = 0.1;

/// |H(f)| in dB of impulse response `h` at `f` Hz for rate `sr`.
fn dft_db(h: &[f32], f: f64, sr: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * f / sr;
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, x) in h.iter().enumerate() {
        let p = w * n as f64;
        re += *x as f64 * p.cos();
        im -= *x as f64 * p.sin();
    }
    10.0 * (re * re + im * im).max(1e-30).log10()
}

struct Band {
    kind: EqBandType,
    type_text: &'static str,
    freq: f32,
    gain: f32,
    q: f32,
    slope: f32,
}

fn band(kind: EqBandType, type_text: &'static str, freq: f32, gain: f32, q: f32) -> Band {
    Band {
        kind,
        type_text,
        freq,
        gain,
        q,
        slope: 24.0,
    }
}

fn measure(sr: f64, bands: &[Band], out_gain: f32) {
    let mut plugin = EQ.instantiate();
    let mut settings = EqSettings::default();
    for (i, b) in bands.iter().enumerate() {
        let n = i + 1;
        set_by_text(&mut plugin, &format!("b{n}_on"), "On");
        set_by_text(&mut plugin, &format!("b{n}_type"), b.type_text);
        set_by_text(&mut plugin, &format!("b{n}_freq"), &format!("{}", b.freq));
        set_by_text(&mut plugin, &format!("b{n}_gain"), &format!("{}", b.gain));
        set_by_text(&mut plugin, &format!("b{n}_q"), &format!("{}", b.q));
        set_by_text(&mut plugin, &format!("b{n}_slope"), &format!("{}", b.slope));
        let s = &mut settings.bands[i];
        s.enabled = true;
        s.kind = b.kind;
        s.freq_hz = b.freq;
        s.gain_db = b.gain;
        s.q = b.q;
        s.slope_db_oct = b.slope;
    }
    set_by_text(&mut plugin, "out_gain", &format!("{out_gain}"));
    settings.out_gain_db = out_gain;
    plugin.activate(sr, 4096).unwrap();
    let input = impulse(2, IR_LEN, 0, 1.0);
    let mut ir = vec![Vec::new(), Vec::new()];
    for start in (0..IR_LEN).step_by(4096) {
        let chunk: Vec<Vec<f32>> = input
            .iter()
            .map(|c| c[start..start + 4096].to_vec())
            .collect();
        let out = plugin.process_main(&chunk, &[]).unwrap();
        for (acc, o) in ir.iter_mut().zip(out) {
            acc.extend(o);
        }
    }
    plugin.deactivate();
    let kinds: Vec<EqBandType> = bands.iter().map(|b| b.kind).collect();
    let mut worst = 0.0f64;
    for k in 0..48 {
        let f = 20.0 * ((0.45 * sr) / 20.0).powf(k as f64 / 47.0);
        let analytic = settings.magnitude_db(f, sr);
        if analytic < -40.0 {
            continue; // deep stop bands: below the DFT's numerical floor of interest
        }
        for ch in &ir {
            let measured = dft_db(ch, f, sr);
            let err = (measured - analytic).abs();
            worst = worst.max(err);
            assert!(
                err <= TOLERANCE_DB,
                "{kinds:?} @ {sr} Hz, {f:.1} Hz: plugin {measured:.3} dB, analytic {analytic:.3} dB"
            );
        }
    }
    eprintln!("{kinds:?} @ {sr} Hz: worst deviation {worst:.4} dB");
}

#[test]
fn every_band_type_matches_the_analytic_response_at_44k1_and_96k() {
    for sr in [44_100.0, 96_000.0] {
        for b in [
            band(EqBandType::Bell, "Bell", 1000.0, 6.0, 1.5),
            band(EqBandType::Bell, "Bell", 16000.0, -8.0, 2.0),
            band(EqBandType::LowShelf, "Low Shelf", 150.0, 5.0, 0.7),
            band(EqBandType::HighShelf, "High Shelf", 8000.0, -6.0, 0.7),
            band(EqBandType::LowCut, "Low Cut", 80.0, 0.0, 0.7),
            band(EqBandType::HighCut, "High Cut", 12000.0, 0.0, 0.7),
            band(EqBandType::Notch, "Notch", 3000.0, 0.0, 4.0),
            band(EqBandType::BandPass, "Band Pass", 700.0, 0.0, 1.0),
            band(EqBandType::Tilt, "Tilt", 1000.0, 4.0, 0.7),
        ] {
            measure(sr, &[b], 0.0);
        }
        // Several bands together plus the output gain.
        measure(
            sr,
            &[
                band(EqBandType::LowShelf, "Low Shelf", 100.0, 3.0, 0.7),
                band(EqBandType::Bell, "Bell", 400.0, -4.0, 1.0),
                band(EqBandType::Bell, "Bell", 2500.0, 3.0, 2.0),
                band(EqBandType::HighShelf, "High Shelf", 10000.0, 2.0, 0.7),
            ],
            -2.5,
        );
    }
}
