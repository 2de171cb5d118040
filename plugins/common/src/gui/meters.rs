//! Meters: level bars with peak hold, gain reduction, loudness (M/S/I) and true-peak readouts.
//!
//! The widgets only draw what they are given (values the audio/analysis side published through
//! atomics); the small amount of GUI-side state (peak hold) lives in [`PeakHold`], and the IN/OUT
//! column every editor shows, with its four holds, in [`IoMeters`].

use super::theme;
use crate::audio::display::Display;
use egui::{
    Align2, Color32, CornerRadius, FontId, Pos2, Rangef, Rect, Response, Sense, Stroke, StrokeKind,
    Ui, Vec2,
};
use std::sync::atomic::Ordering;

/// Fraction 0–1 of a meter's height for `db` on a scale from `min_db` (bottom) to `max_db`
/// (top); clamped, with −∞/NaN at 0.
pub fn meter_fraction(db: f32, min_db: f32, max_db: f32) -> f32 {
    if !db.is_finite() || max_db <= min_db {
        return if db == f32::INFINITY { 1.0 } else { 0.0 };
    }
    ((db - min_db) / (max_db - min_db)).clamp(0.0, 1.0)
}

/// y position of `db` in a vertical range `y` (top = `max_db`).
pub fn meter_y(db: f32, min_db: f32, max_db: f32, y: Rangef) -> f32 {
    y.max - meter_fraction(db, min_db, max_db) * y.span()
}

/// Tick marks for a dBFS scale between `min_db` and `max_db`: denser near the top, where the
/// decisions happen.
pub fn level_ticks(min_db: f32, max_db: f32) -> Vec<f32> {
    const TICKS: &[f32] = &[
        12.0, 6.0, 3.0, 0.0, -3.0, -6.0, -9.0, -12.0, -18.0, -24.0, -30.0, -36.0, -42.0, -48.0,
        -60.0, -72.0, -84.0, -96.0,
    ];
    TICKS
        .iter()
        .copied()
        .filter(|t| *t >= min_db - 1e-3 && *t <= max_db + 1e-3)
        .collect()
}

/// Peak hold for a level meter: holds the highest value for `hold_s`, then falls at
/// `fall_db_per_s`.
#[derive(Debug, Clone, Copy)]
pub struct PeakHold {
    value: f32,
    held_for: f32,
    /// How long a peak stays, seconds.
    pub hold_s: f32,
    /// How fast it falls afterwards, dB per second.
    pub fall_db_per_s: f32,
}

impl Default for PeakHold {
    fn default() -> Self {
        Self {
            value: f32::NEG_INFINITY,
            held_for: 0.0,
            hold_s: 1.5,
            fall_db_per_s: 20.0,
        }
    }
}

impl PeakHold {
    /// Feeds the current level (dB) after `dt` seconds; returns the held value.
    pub fn update(&mut self, db: f32, dt: f32) -> f32 {
        let dt = if dt.is_finite() { dt.max(0.0) } else { 0.0 };
        if db.is_finite() && db >= self.value {
            self.value = db;
            self.held_for = 0.0;
        } else {
            self.held_for += dt;
            if self.held_for > self.hold_s {
                self.value -= self.fall_db_per_s * dt;
                if db.is_finite() && self.value < db {
                    self.value = db;
                }
            }
        }
        self.value
    }

    /// The held value, dB.
    pub fn value(&self) -> f32 {
        self.value
    }

    /// Forgets the held peak (click on the meter).
    pub fn reset(&mut self) {
        self.value = f32::NEG_INFINITY;
        self.held_for = 0.0;
    }
}

/// The IN and OUT peak meters every editor shows, with their peak holds (a click on a meter
/// clears its holds). A plugin's own meters (gain reduction) stand between them.
#[derive(Default)]
pub struct IoMeters {
    holds: [PeakHold; 4],
}

impl IoMeters {
    /// Draws IN, `between`, then OUT side by side, 4 points apart; `meter` is the size of each
    /// level meter, `dt` the seconds since the last frame.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        display: &Display,
        dt: f32,
        meter: Vec2,
        between: impl FnOnce(&mut Ui),
    ) {
        let load = |a: &atomic_float::AtomicF32| a.load(Ordering::Relaxed);
        let ins = [load(&display.in_peak_db[0]), load(&display.in_peak_db[1])];
        let outs = [load(&display.out_peak_db[0]), load(&display.out_peak_db[1])];
        let [h0, h1, h2, h3] = &mut self.holds;
        let hi = [h0.update(ins[0], dt), h1.update(ins[1], dt)];
        let ho = [h2.update(outs[0], dt), h3.update(outs[1], dt)];
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            if level_meter(ui, meter, "IN", &ins, &hi, -60.0, 6.0).clicked() {
                h0.reset();
                h1.reset();
            }
            between(ui);
            if level_meter(ui, meter, "OUT", &outs, &ho, -60.0, 6.0).clicked() {
                h2.reset();
                h3.reset();
            }
        });
    }
}

/// Colour of a level at `db`: green, yellow in the last 6 dB below 0, red above 0 dBFS.
pub fn level_color(db: f32) -> Color32 {
    if db > 0.0 {
        theme::DANGER
    } else if db > -6.0 {
        theme::WARN
    } else {
        theme::OK
    }
}

/// A vertical level meter: one bar per channel (`levels_db`), peak-hold ticks (`holds_db`,
/// same length or empty), a dBFS scale on the left and the highest held peak as a number on top.
/// Clicking it returns a clicked response (reset the holds).
pub fn level_meter(
    ui: &mut Ui,
    size: Vec2,
    label: &str,
    levels_db: &[f32],
    holds_db: &[f32],
    min_db: f32,
    max_db: f32,
) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    super::probe::mark(ui.ctx(), &format!("meter:{label}"), rect);
    let painter = ui.painter_at(rect);
    let small = FontId::proportional(10.0);

    // Header: label and the highest held peak.
    let peak = holds_db
        .iter()
        .chain(levels_db.iter())
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    painter.text(
        Pos2::new(rect.center().x, rect.min.y),
        Align2::CENTER_TOP,
        label,
        small.clone(),
        theme::TEXT_DIM,
    );
    painter.text(
        Pos2::new(rect.center().x, rect.min.y + 13.0),
        Align2::CENTER_TOP,
        format_level(peak),
        FontId::monospace(11.0),
        if peak > 0.0 {
            theme::DANGER
        } else {
            theme::TEXT
        },
    );

    let scale_w = 22.0;
    let bars = Rect::from_min_max(
        Pos2::new(rect.min.x + scale_w, rect.min.y + 30.0),
        Pos2::new(rect.max.x - 2.0, rect.max.y - 7.0),
    );
    let yr = bars.y_range();
    painter.rect_filled(bars, 2.0, theme::PLOT_BG);
    for t in level_ticks(min_db, max_db) {
        let y = meter_y(t, min_db, max_db, yr);
        painter.hline(
            Rangef::new(bars.min.x - 3.0, bars.min.x),
            y,
            Stroke::new(1.0, theme::TEXT_DIM),
        );
        painter.text(
            Pos2::new(bars.min.x - 5.0, y),
            Align2::RIGHT_CENTER,
            format!("{}", t as i32),
            small.clone(),
            theme::TEXT_DIM,
        );
    }

    let n = levels_db.len().max(1);
    let gap = 2.0;
    let bw = ((bars.width() - gap * (n as f32 + 1.0)) / n as f32).max(2.0);
    for (i, db) in levels_db.iter().enumerate() {
        let x0 = bars.min.x + gap + i as f32 * (bw + gap);
        let col = Rangef::new(x0, x0 + bw);
        // Segments coloured by zone, so the colour says where the level is.
        for (lo, hi, c) in [
            (min_db, -6.0, theme::OK),
            (-6.0, 0.0, theme::WARN),
            (0.0, max_db, theme::DANGER),
        ] {
            let top = db.min(hi);
            if top <= lo || hi <= min_db {
                continue;
            }
            let y0 = meter_y(lo.max(min_db), min_db, max_db, yr);
            let y1 = meter_y(top, min_db, max_db, yr);
            painter.rect_filled(
                Rect::from_x_y_ranges(col, Rangef::new(y1, y0)),
                CornerRadius::ZERO,
                c.gamma_multiply(0.9),
            );
        }
        if let Some(h) = holds_db.get(i).filter(|h| h.is_finite() && **h > min_db) {
            let y = meter_y(*h, min_db, max_db, yr);
            painter.hline(col, y, Stroke::new(2.0, level_color(*h)));
        }
    }
    // 0 dBFS line across the bars.
    painter.hline(
        bars.x_range(),
        meter_y(0.0, min_db, max_db, yr),
        Stroke::new(1.0, theme::DANGER.gamma_multiply(0.5)),
    );
    painter.rect_stroke(bars, 2.0, Stroke::new(1.0, theme::LINE), StrokeKind::Inside);
    response
}

/// A gain-reduction meter: a bar growing *downward* from 0 dB by `gr_db` (a positive amount of
/// reduction), scale 0…`max_db`, with the amount printed on top.
pub fn gain_reduction_meter(ui: &mut Ui, size: Vec2, gr_db: f32, max_db: f32) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    let small = FontId::proportional(10.0);
    let gr = if gr_db.is_finite() { gr_db.abs() } else { 0.0 };
    painter.text(
        Pos2::new(rect.center().x, rect.min.y),
        Align2::CENTER_TOP,
        "GR",
        small.clone(),
        theme::TEXT_DIM,
    );
    painter.text(
        Pos2::new(rect.center().x, rect.min.y + 13.0),
        Align2::CENTER_TOP,
        if gr < 0.05 {
            "0.0".to_string()
        } else {
            format!("\u{2212}{gr:.1}")
        },
        FontId::monospace(11.0),
        theme::TEXT,
    );
    let scale_w = 22.0;
    let bar = Rect::from_min_max(
        Pos2::new(rect.min.x + scale_w, rect.min.y + 30.0),
        Pos2::new(rect.max.x - 2.0, rect.max.y - 7.0),
    );
    painter.rect_filled(bar, 2.0, theme::PLOT_BG);
    let yr = bar.y_range();
    let y_of = |db: f32| yr.min + (db / max_db).clamp(0.0, 1.0) * yr.span();
    for t in [0.0, 3.0, 6.0, 9.0, 12.0, 18.0, 24.0, 30.0, 40.0] {
        if t > max_db + 1e-3 {
            break;
        }
        let y = y_of(t);
        painter.hline(
            Rangef::new(bar.min.x - 3.0, bar.min.x),
            y,
            Stroke::new(1.0, theme::TEXT_DIM),
        );
        painter.text(
            Pos2::new(bar.min.x - 5.0, y),
            Align2::RIGHT_CENTER,
            format!("{}", t as i32),
            small.clone(),
            theme::TEXT_DIM,
        );
    }
    if gr > 0.0 {
        let r = Rect::from_x_y_ranges(bar.x_range().shrink(2.0), Rangef::new(yr.min, y_of(gr)));
        painter.rect_filled(r, 0.0, theme::accent::COMP.gamma_multiply(0.9));
    }
    painter.rect_stroke(bar, 2.0, Stroke::new(1.0, theme::LINE), StrokeKind::Inside);
    response
}

/// Loudness values for [`loudness_readout`] (LUFS; NaN/−∞ = not measured yet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    /// Momentary (400 ms).
    pub momentary: f32,
    /// Short-term (3 s).
    pub short_term: f32,
    /// Integrated since the last reset.
    pub integrated: f32,
    /// The target integrated loudness, if any (the readout colours I against it).
    pub target: Option<f32>,
}

/// "−14.2" or "—" for an unmeasured value.
pub fn format_lufs(v: f32) -> String {
    if v.is_finite() && v > -70.0 {
        let s = format!("{:.1}", v.abs());
        if v < -0.05 {
            format!("\u{2212}{s}")
        } else {
            s
        }
    } else {
        "\u{2014}".into()
    }
}

/// "−0.8" dB style number, "−inf" below −120.
pub fn format_level(db: f32) -> String {
    if !db.is_finite() || db < -120.0 {
        "\u{2212}inf".into()
    } else if db < -0.05 {
        format!("\u{2212}{:.1}", -db)
    } else {
        format!("{db:.1}")
    }
}

/// Height of [`loudness_readout`], points.
pub const LOUDNESS_READOUT_HEIGHT: f32 = 64.0;
/// Height of [`true_peak_readout`], points.
pub const TRUE_PEAK_READOUT_HEIGHT: f32 = 48.0;

/// Colour of the integrated value against the target: within ±1 LU green, louder yellow.
pub fn integrated_color(integrated: f32, target: Option<f32>) -> Color32 {
    match target {
        Some(t) if integrated.is_finite() && (integrated - t).abs() <= 1.0 => theme::OK,
        Some(t) if integrated.is_finite() && integrated > t + 1.0 => theme::WARN,
        _ => theme::TEXT,
    }
}

/// A LUFS readout filling the available width: M, S and I side by side (I largest, coloured
/// against the target), with the target under it.
pub fn loudness_readout(ui: &mut Ui, values: &Loudness) -> Response {
    let width = ui.available_width().max(150.0);
    let (rect, response) =
        ui.allocate_exact_size(Vec2::new(width, LOUDNESS_READOUT_HEIGHT), Sense::hover());
    let p = ui.painter_at(rect);
    p.rect_filled(rect, theme::RADIUS, theme::PLOT_BG);
    p.rect_stroke(
        rect,
        theme::RADIUS,
        Stroke::new(1.0, theme::LINE),
        StrokeKind::Inside,
    );
    let inner = rect.shrink2(Vec2::new(10.0, 6.0));
    let col = inner.width() / 3.2;
    let cols = [
        ("M", values.momentary, 0.0, 13.0, theme::TEXT),
        ("S", values.short_term, col, 13.0, theme::TEXT),
        (
            "I",
            values.integrated,
            2.0 * col,
            18.0,
            integrated_color(values.integrated, values.target),
        ),
    ];
    for (name, v, x, size, color) in cols {
        let x = inner.min.x + x;
        p.text(
            Pos2::new(x, inner.min.y),
            Align2::LEFT_TOP,
            name,
            FontId::proportional(10.0),
            theme::TEXT_DIM,
        );
        p.text(
            Pos2::new(x, inner.min.y + 13.0),
            Align2::LEFT_TOP,
            format_lufs(v),
            FontId::monospace(size),
            color,
        );
    }
    let footer = match values.target {
        Some(t) => format!("LUFS \u{00B7} target {}", format_lufs(t)),
        None => "LUFS".into(),
    };
    p.text(
        Pos2::new(inner.min.x, inner.max.y),
        Align2::LEFT_BOTTOM,
        footer,
        FontId::proportional(10.0),
        theme::TEXT_DIM,
    );
    response
}

/// True if `tp_dbtp` is over the ceiling (what turns the readout red).
pub fn true_peak_over(tp_dbtp: f32, ceiling_dbtp: f32) -> bool {
    tp_dbtp.is_finite() && tp_dbtp > ceiling_dbtp + 1e-4
}

/// A true-peak readout (dBTP) filling the available width, red once above `ceiling_dbtp`.
pub fn true_peak_readout(ui: &mut Ui, tp_dbtp: f32, ceiling_dbtp: f32) -> Response {
    let over = true_peak_over(tp_dbtp, ceiling_dbtp);
    let width = ui.available_width().max(150.0);
    let (rect, response) =
        ui.allocate_exact_size(Vec2::new(width, TRUE_PEAK_READOUT_HEIGHT), Sense::hover());
    let p = ui.painter_at(rect);
    p.rect_filled(
        rect,
        theme::RADIUS,
        if over {
            theme::DANGER.gamma_multiply(0.22)
        } else {
            theme::PLOT_BG
        },
    );
    p.rect_stroke(
        rect,
        theme::RADIUS,
        Stroke::new(1.0, if over { theme::DANGER } else { theme::LINE }),
        StrokeKind::Inside,
    );
    let inner = rect.shrink2(Vec2::new(10.0, 6.0));
    p.text(
        inner.left_top(),
        Align2::LEFT_TOP,
        "TRUE PEAK",
        FontId::proportional(10.0),
        theme::TEXT_DIM,
    );
    p.text(
        inner.right_top(),
        Align2::RIGHT_TOP,
        format!("ceiling {}", format_level(ceiling_dbtp)),
        FontId::proportional(10.0),
        theme::TEXT_DIM,
    );
    p.text(
        inner.left_bottom(),
        Align2::LEFT_BOTTOM,
        format!("{} dBTP", format_level(tp_dbtp)),
        FontId::monospace(17.0),
        if over { theme::DANGER } else { theme::TEXT },
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_scale_maps_and_clamps() {
        assert_eq!(meter_fraction(-60.0, -60.0, 6.0), 0.0);
        assert_eq!(meter_fraction(6.0, -60.0, 6.0), 1.0);
        assert!((meter_fraction(-27.0, -60.0, 6.0) - 0.5).abs() < 1e-6);
        assert_eq!(meter_fraction(f32::NEG_INFINITY, -60.0, 6.0), 0.0);
        assert_eq!(meter_fraction(f32::NAN, -60.0, 6.0), 0.0);
        assert_eq!(meter_fraction(20.0, -60.0, 6.0), 1.0);
        let y = Rangef::new(0.0, 660.0);
        assert_eq!(meter_y(6.0, -60.0, 6.0, y), 0.0);
        assert_eq!(meter_y(0.0, -60.0, 6.0, y), 60.0);
        assert_eq!(meter_y(-60.0, -60.0, 6.0, y), 660.0);
    }

    #[test]
    fn ticks_stay_in_range() {
        let t = level_ticks(-60.0, 6.0);
        assert_eq!(t.first(), Some(&6.0));
        assert_eq!(t.last(), Some(&-60.0));
        assert!(t.contains(&0.0));
        assert!(!t.contains(&12.0));
    }

    #[test]
    fn peak_hold_holds_then_falls_and_never_below_the_level() {
        let mut h = PeakHold::default();
        assert_eq!(h.update(-6.0, 0.1), -6.0);
        assert_eq!(h.update(-20.0, 1.0), -6.0); // held
        assert_eq!(h.update(-20.0, 0.4), -6.0); // still held at 1.4 s
        let v = h.update(-20.0, 0.5); // past hold: falls 20 dB/s
        assert!((v - -16.0).abs() < 1e-4, "{v}");
        assert_eq!(h.update(-20.0, 10.0), -20.0); // stops at the level
        assert_eq!(h.update(-3.0, 0.1), -3.0); // new peak
        h.reset();
        assert_eq!(h.value(), f32::NEG_INFINITY);
    }

    #[test]
    fn readout_formatting_and_over_detection() {
        assert_eq!(format_lufs(-14.24), "\u{2212}14.2");
        assert_eq!(format_lufs(f32::NEG_INFINITY), "\u{2014}");
        assert_eq!(format_lufs(f32::NAN), "\u{2014}");
        assert_eq!(format_level(-0.84), "\u{2212}0.8");
        assert_eq!(format_level(0.3), "0.3");
        assert_eq!(format_level(f32::NEG_INFINITY), "\u{2212}inf");
        assert!(true_peak_over(-0.5, -1.0));
        assert!(!true_peak_over(-1.0, -1.0));
        assert!(!true_peak_over(f32::NAN, -1.0));
        assert_eq!(level_color(-20.0), theme::OK);
        assert_eq!(level_color(-3.0), theme::WARN);
        assert_eq!(level_color(0.5), theme::DANGER);
    }
}
