//! Spectrum analyzer with EQ curves and draggable nodes.
//!
//! All curves are slices of dB values sampled on a *log-frequency grid* from [`F_MIN`] to
//! [`F_MAX`]: point `i` of `n` sits at [`grid_freq`]`(i, n)`. Any length ≥ 2 works; each curve
//! may have its own length. Two vertical scales are drawn:
//!
//! - the *spectrum* scale (dBFS, right-hand labels) for the pre/post spectra and the target
//!   overlay,
//! - the *curve* scale (± dB, left-hand labels) for the manual and suggested EQ curves and the
//!   nodes.

use super::theme;
use crate::audio::display::Display;
use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{
    Align2, Color32, FontId, Pos2, Rangef, Rect, Response, Sense, Shape, Stroke, StrokeKind, Ui,
    Vec2,
};
use std::ops::RangeInclusive;
use std::sync::atomic::Ordering;

/// The frequency axis is the display grid's (the analysis thread publishes spectra on it).
pub use crate::audio::display::{grid_freq, F_MAX, F_MIN};

/// x position of frequency `freq` (Hz) on a log axis spanning `x` from [`F_MIN`] to [`F_MAX`].
/// Frequencies outside the axis map outside `x` (callers clip).
pub fn freq_to_x(freq: f32, x: Rangef) -> f32 {
    let t = (freq.max(1e-3) / F_MIN).ln() / (F_MAX / F_MIN).ln();
    x.min + t * x.span()
}

/// Frequency (Hz) at x position `pos` on the log axis spanning `x`; inverse of [`freq_to_x`].
pub fn x_to_freq(pos: f32, x: Rangef) -> f32 {
    let t = if x.span() > 0.0 {
        (pos - x.min) / x.span()
    } else {
        0.0
    };
    F_MIN * (F_MAX / F_MIN).powf(t)
}

/// y position of `db` on a vertical axis showing `db_range` over `y` (top = `db_range.end()`).
pub fn db_to_y(db: f32, db_range: &RangeInclusive<f32>, y: Rangef) -> f32 {
    let (lo, hi) = (*db_range.start(), *db_range.end());
    let t = if hi > lo { (db - lo) / (hi - lo) } else { 0.0 };
    y.max - t * y.span()
}

/// dB value at y position `pos`; inverse of [`db_to_y`].
pub fn y_to_db(pos: f32, db_range: &RangeInclusive<f32>, y: Rangef) -> f32 {
    let (lo, hi) = (*db_range.start(), *db_range.end());
    let t = if y.span() > 0.0 {
        (y.max - pos) / y.span()
    } else {
        0.0
    };
    lo + t * (hi - lo)
}

/// The `n` frequencies of the log grid the curves are sampled on (for computing curves).
pub fn log_grid(n: usize) -> Vec<f32> {
    (0..n).map(|i| grid_freq(i, n)).collect()
}

/// Frequencies with a vertical gridline; the `true` ones get a label.
pub const FREQ_GRID: &[(f32, bool)] = &[
    (20.0, true),
    (30.0, false),
    (40.0, false),
    (50.0, true),
    (60.0, false),
    (70.0, false),
    (80.0, false),
    (90.0, false),
    (100.0, true),
    (200.0, true),
    (300.0, false),
    (400.0, false),
    (500.0, true),
    (600.0, false),
    (700.0, false),
    (800.0, false),
    (900.0, false),
    (1000.0, true),
    (2000.0, true),
    (3000.0, false),
    (4000.0, false),
    (5000.0, true),
    (6000.0, false),
    (7000.0, false),
    (8000.0, false),
    (9000.0, false),
    (10000.0, true),
    (20000.0, true),
];

/// "50", "1k", "2.5k", "20k".
pub fn format_freq(freq: f32) -> String {
    if freq >= 1000.0 {
        let k = freq / 1000.0;
        if (k - k.round()).abs() < 0.05 {
            format!("{}k", k.round() as i32)
        } else {
            format!("{k:.1}k")
        }
    } else {
        format!("{}", freq.round() as i32)
    }
}

/// A draggable node on the curve scale (an EQ band).
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumNode {
    /// Centre frequency, Hz.
    pub freq: f32,
    /// Gain on the curve scale, dB.
    pub db: f32,
    /// Short label drawn in the node ("1", "LS"…).
    pub label: String,
    /// Node colour.
    pub color: Color32,
    /// Draw it highlighted (selected band).
    pub selected: bool,
}

/// What happened to the nodes this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeDrag {
    /// Index into the node slice.
    pub index: usize,
    /// The node's new position under the pointer (Hz, dB), clamped to the axes.
    pub freq: f32,
    /// See `freq`.
    pub db: f32,
    /// This frame's movement in octaves (positive = up).
    pub delta_octaves: f32,
    /// This frame's movement in dB (positive = up).
    pub delta_db: f32,
    /// The drag began this frame: open the parameter gestures.
    pub started: bool,
    /// The drag ended this frame: close the parameter gestures.
    pub stopped: bool,
}

/// The result of [`Spectrum::show`].
pub struct SpectrumResponse {
    /// The plot's response (hover, clicks on empty space).
    pub response: Response,
    /// The node being dragged, if any.
    pub drag: Option<NodeDrag>,
    /// The node under the pointer, if any.
    pub hovered_node: Option<usize>,
    /// The node clicked this frame, if any.
    pub clicked_node: Option<usize>,
    /// Pointer position as (Hz, curve dB) when hovering the plot.
    pub hover: Option<(f32, f32)>,
}

/// What an EQ-drawing editor shows each frame, kept between frames so nothing is allocated
/// once the vectors have grown: the pre and post spectra and the manual and suggested curves.
#[derive(Debug, Default)]
pub struct Curves {
    /// The input spectrum.
    pub pre: Vec<f32>,
    /// The output spectrum.
    pub post: Vec<f32>,
    /// The manual settings' response.
    pub manual: Vec<f32>,
    /// The suggested settings' response.
    pub suggested: Vec<f32>,
}

impl Curves {
    /// Loads this frame's spectra from `display` and draws the `manual` and `suggested`
    /// settings' responses on the grid with `curve` (settings, sample rate, out).
    pub fn load<S>(
        &mut self,
        display: &Display,
        manual: &S,
        suggested: &S,
        curve: impl Fn(&S, f32, &mut Vec<f32>),
    ) {
        let sr = display.sample_rate_hz.load(Ordering::Relaxed);
        curve(manual, sr, &mut self.manual);
        curve(suggested, sr, &mut self.suggested);
        display.pre.load_into(&mut self.pre);
        display.post.load_into(&mut self.post);
    }

    /// An analyzer showing these spectra and the manual curve, and the suggested curve when
    /// there is a suggestion.
    pub fn spectrum<'a>(&'a self, id_salt: &'a str, has_suggestion: bool) -> Spectrum<'a> {
        let spec = Spectrum::new(id_salt)
            .pre(&self.pre)
            .post(&self.post)
            .manual_curve(&self.manual);
        if has_suggestion {
            spec.suggested_curve(&self.suggested)
        } else {
            spec
        }
    }
}

/// Spectrum analyzer builder. Everything is optional; set what the plugin has.
pub struct Spectrum<'a> {
    id_salt: &'a str,
    pre: Option<&'a [f32]>,
    post: Option<&'a [f32]>,
    target: Option<&'a [f32]>,
    manual: Option<&'a [f32]>,
    suggested: Option<&'a [f32]>,
    nodes: &'a [SpectrumNode],
    spectrum_range: RangeInclusive<f32>,
    curve_range: RangeInclusive<f32>,
    height: Option<f32>,
    accent: Color32,
}

impl<'a> Spectrum<'a> {
    /// An empty analyzer; `id_salt` must be unique within the window.
    pub fn new(id_salt: &'a str) -> Self {
        Self {
            id_salt,
            pre: None,
            post: None,
            target: None,
            manual: None,
            suggested: None,
            nodes: &[],
            spectrum_range: -84.0..=0.0,
            curve_range: -18.0..=18.0,
            height: None,
            accent: theme::accent::EQ,
        }
    }

    /// The input spectrum (dBFS on the log grid), drawn as a dim filled area.
    pub fn pre(mut self, db: &'a [f32]) -> Self {
        self.pre = Some(db);
        self
    }

    /// The output spectrum (dBFS on the log grid), drawn as a bright line.
    pub fn post(mut self, db: &'a [f32]) -> Self {
        self.post = Some(db);
        self
    }

    /// A reference overlay on the spectrum scale (e.g. the assistant's target tonal curve).
    pub fn target(mut self, db: &'a [f32]) -> Self {
        self.target = Some(db);
        self
    }

    /// The manual EQ response (curve scale), drawn solid and filled towards 0 dB.
    pub fn manual_curve(mut self, db: &'a [f32]) -> Self {
        self.manual = Some(db);
        self
    }

    /// The suggested EQ response (curve scale), drawn dashed.
    pub fn suggested_curve(mut self, db: &'a [f32]) -> Self {
        self.suggested = Some(db);
        self
    }

    /// Draggable nodes on the curve scale.
    pub fn nodes(mut self, nodes: &'a [SpectrumNode]) -> Self {
        self.nodes = nodes;
        self
    }

    /// Range of the spectrum scale in dBFS (default −84…0).
    pub fn spectrum_range(mut self, range: RangeInclusive<f32>) -> Self {
        self.spectrum_range = range;
        self
    }

    /// Range of the curve scale in dB (default ±18).
    pub fn curve_range(mut self, range: RangeInclusive<f32>) -> Self {
        self.curve_range = range;
        self
    }

    /// Fixed height; by default the plot fills the available height.
    pub fn height(mut self, height: f32) -> Self {
        self.height = Some(height);
        self
    }

    /// Colour of the post spectrum.
    pub fn accent(mut self, accent: Color32) -> Self {
        self.accent = accent;
        self
    }

    /// Draws the analyzer into the available width.
    pub fn show(self, ui: &mut Ui) -> SpectrumResponse {
        let width = ui.available_width().max(120.0);
        let height = self
            .height
            .unwrap_or_else(|| ui.available_height())
            .max(80.0);
        let (outer, response) =
            ui.allocate_exact_size(Vec2::new(width, height), Sense::click_and_drag());
        super::probe::mark(ui.ctx(), "spectrum", outer);
        let painter = ui.painter_at(outer);
        painter.rect_filled(outer, theme::RADIUS, theme::PLOT_BG);

        // Leave room for the axis labels: left = curve dB, right = spectrum dB, bottom = Hz.
        let plot = Rect::from_min_max(
            outer.min + Vec2::new(34.0, 8.0),
            outer.max - Vec2::new(34.0, 20.0),
        );
        let xr = plot.x_range();
        let yr = plot.y_range();
        let small = FontId::proportional(10.5);

        // Frequency grid.
        for &(f, labelled) in FREQ_GRID {
            let x = freq_to_x(f, xr);
            let color = if labelled {
                theme::GRID.gamma_multiply(1.6)
            } else {
                theme::GRID
            };
            painter.vline(x, yr, Stroke::new(1.0, color));
            if labelled {
                painter.text(
                    Pos2::new(x, plot.max.y + 4.0),
                    Align2::CENTER_TOP,
                    format_freq(f),
                    small.clone(),
                    theme::TEXT_DIM,
                );
            }
        }
        // Curve-scale grid (left labels) — these define the horizontal lines.
        let (clo, chi) = (*self.curve_range.start(), *self.curve_range.end());
        let step = nice_step(chi - clo, 6);
        let mut db = (clo / step).ceil() * step;
        while db <= chi + 1e-3 {
            let y = db_to_y(db, &self.curve_range, yr);
            let zero = db.abs() < 1e-3;
            let stroke = if zero {
                Stroke::new(1.0, theme::LINE.gamma_multiply(1.4))
            } else {
                Stroke::new(1.0, theme::GRID)
            };
            painter.hline(xr, y, stroke);
            painter.text(
                Pos2::new(plot.min.x - 6.0, y),
                Align2::RIGHT_CENTER,
                format_db(db),
                small.clone(),
                theme::TEXT_DIM,
            );
            db += step;
        }
        // Spectrum-scale labels (right).
        let (slo, shi) = (*self.spectrum_range.start(), *self.spectrum_range.end());
        let sstep = nice_step(shi - slo, 6);
        let mut sdb = (slo / sstep).ceil() * sstep;
        while sdb <= shi + 1e-3 {
            let y = db_to_y(sdb, &self.spectrum_range, yr);
            painter.text(
                Pos2::new(plot.max.x + 6.0, y),
                Align2::LEFT_CENTER,
                format!("{}", sdb.round() as i32),
                small.clone(),
                theme::TEXT_DIM.gamma_multiply(0.8),
            );
            sdb += sstep;
        }

        let clip = painter.with_clip_rect(plot);
        let to_points = |db: &[f32], range: &RangeInclusive<f32>| -> Vec<Pos2> {
            let n = db.len();
            db.iter()
                .enumerate()
                .map(|(i, v)| {
                    let x = xr.min + xr.span() * i as f32 / (n.max(2) - 1) as f32;
                    let v = if v.is_finite() {
                        *v
                    } else {
                        *range.start() - 100.0
                    };
                    Pos2::new(x, db_to_y(v, range, yr).clamp(yr.min - 2.0, yr.max + 2.0))
                })
                .collect()
        };

        if let Some(pre) = self.pre.filter(|c| c.len() >= 2) {
            let pts = to_points(pre, &self.spectrum_range);
            clip.add(fill_between(
                &pts,
                yr.max,
                Color32::from_rgba_unmultiplied(0x8b, 0x94, 0xa3, 70),
                Color32::from_rgba_unmultiplied(0x8b, 0x94, 0xa3, 12),
            ));
            clip.add(Shape::line(
                pts,
                Stroke::new(1.0, theme::TEXT_DIM.gamma_multiply(0.7)),
            ));
        }
        if let Some(post) = self.post.filter(|c| c.len() >= 2) {
            let pts = to_points(post, &self.spectrum_range);
            clip.add(fill_between(
                &pts,
                yr.max,
                self.accent.gamma_multiply(0.22),
                self.accent.gamma_multiply(0.02),
            ));
            clip.add(Shape::line(pts, Stroke::new(1.5, self.accent)));
        }
        if let Some(target) = self.target.filter(|c| c.len() >= 2) {
            let pts = to_points(target, &self.spectrum_range);
            clip.extend(Shape::dotted_line(
                &pts,
                Color32::from_rgb(0xc8, 0xcf, 0xda),
                6.0,
                1.2,
            ));
        }
        if let Some(manual) = self.manual.filter(|c| c.len() >= 2) {
            let pts = to_points(manual, &self.curve_range);
            let zero_y = db_to_y(0.0, &self.curve_range, yr);
            clip.add(fill_between(
                &pts,
                zero_y,
                theme::MANUAL.gamma_multiply(0.25),
                theme::MANUAL.gamma_multiply(0.25),
            ));
            clip.add(Shape::line(pts, Stroke::new(2.0, theme::MANUAL)));
        }
        if let Some(sugg) = self.suggested.filter(|c| c.len() >= 2) {
            let pts = to_points(sugg, &self.curve_range);
            clip.extend(Shape::dashed_line(
                &pts,
                Stroke::new(2.0, theme::SUGGESTED),
                7.0,
                5.0,
            ));
        }

        // Nodes.
        let base_id = egui::Id::unique(("tandem_spectrum", self.id_salt));
        let mut drag = None;
        let mut hovered_node = None;
        let mut clicked_node = None;
        for (i, node) in self.nodes.iter().enumerate() {
            let center = Pos2::new(
                freq_to_x(node.freq.clamp(F_MIN, F_MAX), xr),
                db_to_y(
                    node.db
                        .clamp(*self.curve_range.start(), *self.curve_range.end()),
                    &self.curve_range,
                    yr,
                ),
            );
            let hit = Rect::from_center_size(center, Vec2::splat(22.0));
            let r = ui.interact(hit, base_id.with(i), Sense::click_and_drag());
            if r.hovered() {
                hovered_node = Some(i);
            }
            if r.clicked() {
                clicked_node = Some(i);
            }
            if r.dragged() || r.drag_started() || r.drag_stopped() {
                let d = r.drag_delta();
                let pointer = r.interact_pointer_pos().unwrap_or(center);
                let p = pointer.clamp(plot.min, plot.max);
                let new_freq = x_to_freq(p.x, xr);
                let new_db = y_to_db(p.y, &self.curve_range, yr);
                let old_freq = x_to_freq((center.x - d.x).clamp(xr.min, xr.max), xr);
                drag = Some(NodeDrag {
                    index: i,
                    freq: new_freq,
                    db: new_db,
                    delta_octaves: (new_freq / old_freq).log2()
                        * if d.x == 0.0 { 0.0 } else { 1.0 },
                    delta_db: -d.y / yr.span() * (chi - clo),
                    started: r.drag_started(),
                    stopped: r.drag_stopped(),
                });
            }
            let active = r.hovered() || r.dragged() || node.selected;
            let radius = if active { 9.0 } else { 7.5 };
            painter.circle_filled(center, radius + 3.0, node.color.gamma_multiply(0.18));
            painter.circle(
                center,
                radius,
                if active {
                    node.color
                } else {
                    node.color.gamma_multiply(0.85)
                },
                Stroke::new(
                    1.5,
                    if node.selected {
                        Color32::WHITE
                    } else {
                        theme::PLOT_BG
                    },
                ),
            );
            painter.text(
                center,
                Align2::CENTER_CENTER,
                &node.label,
                FontId::proportional(10.0),
                theme::PLOT_BG,
            );
        }

        // Readout of the pointer position.
        let hover = response
            .hover_pos()
            .filter(|p| plot.contains(*p))
            .map(|p| (x_to_freq(p.x, xr), y_to_db(p.y, &self.curve_range, yr)));
        if let Some((f, d)) = hover {
            painter.text(
                Pos2::new(plot.max.x - 4.0, plot.min.y + 4.0),
                Align2::RIGHT_TOP,
                format!("{} Hz  {:+.1} dB", format_freq(f), d),
                FontId::monospace(11.0),
                theme::TEXT_DIM,
            );
        }
        painter.rect_stroke(
            outer,
            theme::RADIUS,
            Stroke::new(1.0, theme::LINE),
            StrokeKind::Inside,
        );

        SpectrumResponse {
            response,
            drag,
            hovered_node,
            clicked_node,
            hover,
        }
    }
}

/// "+6", "0", "−12".
fn format_db(db: f32) -> String {
    let r = db.round() as i32;
    if r > 0 {
        format!("+{r}")
    } else if r < 0 {
        format!("\u{2212}{}", -r)
    } else {
        "0".into()
    }
}

/// A "nice" gridline step (1, 2, 3, 5, 6, 10, 12, 20… dB) giving about `target` lines over `span`.
pub fn nice_step(span: f32, target: usize) -> f32 {
    let raw = span.abs().max(1e-3) / target.max(1) as f32;
    const STEPS: &[f32] = &[1.0, 2.0, 3.0, 5.0, 6.0, 10.0, 12.0, 20.0, 24.0, 30.0, 50.0];
    STEPS.iter().copied().find(|s| *s >= raw).unwrap_or(100.0)
}

/// A mesh filling the area between a polyline and the horizontal line `base_y`, with `top`
/// colour along the curve and `bottom` colour at the base.
fn fill_between(points: &[Pos2], base_y: f32, top: Color32, bottom: Color32) -> Shape {
    let mut mesh = Mesh::default();
    for p in points {
        mesh.vertices.push(Vertex {
            pos: *p,
            uv: WHITE_UV,
            color: top,
        });
        mesh.vertices.push(Vertex {
            pos: Pos2::new(p.x, base_y),
            uv: WHITE_UV,
            color: bottom,
        });
    }
    for i in 0..points.len().saturating_sub(1) as u32 {
        let a = 2 * i;
        mesh.indices
            .extend_from_slice(&[a, a + 1, a + 2, a + 1, a + 3, a + 2]);
    }
    Shape::mesh(mesh)
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: Rangef = Rangef {
        min: 100.0,
        max: 1100.0,
    };

    #[test]
    fn log_frequency_axis_round_trips_and_is_logarithmic() {
        assert!((freq_to_x(F_MIN, X) - 100.0).abs() < 1e-3);
        assert!((freq_to_x(F_MAX, X) - 1100.0).abs() < 1e-3);
        // 20 Hz–20 kHz is three decades: each decade takes a third of the width.
        assert!((freq_to_x(200.0, X) - (100.0 + 1000.0 / 3.0)).abs() < 1e-2);
        assert!((freq_to_x(2000.0, X) - (100.0 + 2000.0 / 3.0)).abs() < 1e-2);
        for f in [20.0, 31.5, 440.0, 1000.0, 12_345.0, 20_000.0] {
            let back = x_to_freq(freq_to_x(f, X), X);
            assert!((back - f).abs() / f < 1e-4, "{f} -> {back}");
        }
        // Equal ratios are equal distances.
        let octave_low = freq_to_x(100.0, X) - freq_to_x(50.0, X);
        let octave_high = freq_to_x(10_000.0, X) - freq_to_x(5_000.0, X);
        assert!((octave_low - octave_high).abs() < 1e-3);
    }

    #[test]
    fn grid_points_sit_on_the_axis() {
        let n = 97;
        let grid = log_grid(n);
        assert_eq!(grid.len(), n);
        assert!((grid[0] - F_MIN).abs() < 1e-3);
        assert!((grid[n - 1] - F_MAX).abs() < 0.5);
        // Point i of the grid lands at i/(n-1) of the width: curves are drawn evenly spaced.
        for (i, f) in grid.iter().enumerate() {
            let x = freq_to_x(*f, X);
            let expect = X.min + X.span() * i as f32 / (n - 1) as f32;
            assert!((x - expect).abs() < 1e-2, "{i}: {x} vs {expect}");
        }
    }

    #[test]
    fn db_axis_maps_top_to_max_and_round_trips() {
        let y = Rangef {
            min: 10.0,
            max: 210.0,
        };
        let r = -18.0..=18.0;
        assert_eq!(db_to_y(18.0, &r, y), 10.0);
        assert_eq!(db_to_y(-18.0, &r, y), 210.0);
        assert_eq!(db_to_y(0.0, &r, y), 110.0);
        for db in [-18.0, -3.5, 0.0, 7.25, 18.0] {
            assert!((y_to_db(db_to_y(db, &r, y), &r, y) - db).abs() < 1e-4);
        }
    }

    #[test]
    fn labels_and_steps() {
        assert_eq!(format_freq(20.0), "20");
        assert_eq!(format_freq(1000.0), "1k");
        assert_eq!(format_freq(2500.0), "2.5k");
        assert_eq!(format_freq(20_000.0), "20k");
        assert_eq!(format_db(6.0), "+6");
        assert_eq!(format_db(-12.0), "\u{2212}12");
        assert_eq!(nice_step(36.0, 6), 6.0);
        assert_eq!(nice_step(84.0, 6), 20.0);
        assert_eq!(nice_step(24.0, 6), 5.0);
    }
}
