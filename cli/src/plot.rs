//! `--plot FILE.png`: long-term average spectra before/after and the tonal target, drawn with
//! plotters' bitmap backend (labels in the Ubuntu Light face egui ships, so no system fonts).

use crate::audio_io::{prepare_file, Audio, FileError, Pending};
use dsp_core::analysis::ltas::{Ltas, LtasConfig};
use dsp_core::assistant::targets::Target;
use plotters::prelude::*;
use std::path::Path;

/// One curve: (Hz, dB) points in ascending frequency.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Legend text.
    pub label: String,
    /// (frequency in Hz, level in dB).
    pub points: Vec<(f32, f32)>,
}

/// Long-term average spectrum of `audio` in 1/6-octave bands (sine-peak dB scale, frames below
/// −60 dBFS skipped), as used by the assistants.
pub fn spectrum(audio: &Audio, label: &str) -> Result<Curve, String> {
    let mut cfg = LtasConfig::new(audio.sample_rate as f32);
    cfg.channels = audio.channels.len().clamp(1, 8);
    cfg.band_fraction = 6.0;
    let mut ltas = Ltas::new(cfg).map_err(|e| e.to_string())?;
    ltas.process(&audio.slices()[..cfg.channels]);
    let r = ltas.result();
    Ok(Curve {
        label: label.to_string(),
        points: r.band_center_hz.into_iter().zip(r.band_db).collect(),
    })
}

/// `curve` with `delta_db(f)` added at each point (e.g. an EQ's magnitude response).
pub fn shifted(curve: &Curve, label: &str, delta_db: impl Fn(f32) -> f32) -> Curve {
    Curve {
        label: label.to_string(),
        points: curve
            .points
            .iter()
            .map(|&(f, d)| (f, d + delta_db(f)))
            .collect(),
    }
}

/// The target curve on the points of `like`, level-matched to it over 200 Hz–5 kHz (a target
/// is relative: only its shape matters).
pub fn target_curve(target: &Target, like: &Curve) -> Curve {
    let mid: Vec<(f32, f32)> = like
        .points
        .iter()
        .copied()
        .filter(|(f, _)| (200.0..=5_000.0).contains(f))
        .collect();
    let offset = if mid.is_empty() {
        0.0
    } else {
        mid.iter().map(|(f, d)| d - target.db_at(*f)).sum::<f32>() / mid.len() as f32
    };
    Curve {
        label: format!("target: {} (level-matched 200 Hz–5 kHz)", target.name),
        points: like
            .points
            .iter()
            .map(|&(f, _)| (f, target.db_at(f) + offset))
            .collect(),
    }
}

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 560;

/// Draws the curves (before, after, target) into an RGB image of WIDTH × HEIGHT.
fn draw(title: &str, curves: &[Curve]) -> Result<Vec<u8>, String> {
    register_font();
    let e = |e: DrawingAreaErrorKind<_>| format!("cannot draw the plot: {e}");
    let all = curves.iter().flat_map(|c| c.points.iter());
    let f_max = all
        .clone()
        .map(|p| p.0)
        .fold(1_000.0f32, f32::max)
        .min(22_000.0);
    let top = all
        .filter(|p| p.1.is_finite())
        .map(|p| p.1)
        .fold(-200.0f32, f32::max);
    let y_max = (top / 6.0).ceil() * 6.0 + 6.0;
    let y_min = y_max - 84.0;
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((20f32..f_max).log_scale(), y_min..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("frequency (Hz)")
            .y_desc("level (dB, sine-peak scale)")
            .x_label_formatter(&|f| {
                if *f >= 1000.0 {
                    format!("{}k", (*f / 1000.0 * 10.0).round() / 10.0)
                } else {
                    format!("{}", f.round())
                }
            })
            .y_label_formatter(&|d| format!("{d:.0}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e)?;
        let colours = [
            RGBColor(120, 120, 120),
            RGBColor(20, 100, 200),
            RGBColor(220, 90, 20),
        ];
        for (curve, colour) in curves.iter().zip(colours) {
            let pts: Vec<(f32, f32)> = curve
                .points
                .iter()
                .map(|&(f, d)| (f, d.clamp(y_min, y_max)))
                .filter(|(f, _)| (20.0..=f_max).contains(f))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(e)?
                .label(curve.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    Ok(buf)
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| format!("cannot encode PNG: {e}"))?;
        w.write_image_data(rgb)
            .map_err(|e| format!("cannot encode PNG: {e}"))?;
    }
    Ok(out)
}

/// Draws the plot and writes it to a temporary file beside `path`, to be committed together
/// with the audio output.
pub fn prepare(path: &Path, title: &str, curves: &[Curve]) -> Result<Pending, FileError> {
    let fail = |problem: String| FileError {
        path: path.to_path_buf(),
        problem,
    };
    let png = draw(title, curves)
        .and_then(|rgb| encode_png(&rgb))
        .map_err(fail)?;
    prepare_file(path, &png)
}
