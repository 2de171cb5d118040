//! Parameter controls bound to nice-plug parameters. Every change goes through the host gesture
//! sequence (begin → set → end), so automation and undo work.
//!
//! - [`param_slider`]: a labelled row around nice-plug-egui's `ParamSlider` (click-to-type,
//!   double-click/ctrl-click reset, shift for fine).
//! - [`Knob`]: a rotary control with the value and unit under it.
//! - [`param_toggle`]: a switch for a `BoolParam`.
//! - [`segmented`]: one button per choice of an `EnumParam`.

use super::theme;
use egui::{
    Align2, Color32, FontId, Pos2, Rect, Response, RichText, Sense, Shape, Stroke, Ui, Vec2,
};
use nice_plug::prelude::{BoolParam, Enum, EnumParam, Param, ParamSetter};
use nice_plug_egui::widgets::ParamSlider;
use std::f32::consts::PI;

/// Sets `param` to `value` as one complete gesture (a click, not a drag).
pub fn set_param_gesture<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// A row: label (fixed width) then nice-plug-egui's `ParamSlider` showing value and unit.
pub fn param_slider<P: Param>(
    ui: &mut Ui,
    label: &str,
    param: &P,
    setter: &ParamSetter,
    slider_width: f32,
) -> Response {
    param_slider_with_label_width(ui, label, None, param, setter, slider_width)
}

/// [`param_slider`] with a fixed label column width (for aligned rows); `None` = fit the label.
pub fn param_slider_with_label_width<P: Param>(
    ui: &mut Ui,
    label: &str,
    label_width: Option<f32>,
    param: &P,
    setter: &ParamSetter,
    slider_width: f32,
) -> Response {
    ui.horizontal(|ui| {
        let galley = ui.painter().layout_no_wrap(
            label.to_string(),
            FontId::proportional(12.5),
            theme::TEXT_DIM,
        );
        let w = label_width.unwrap_or(galley.size().x);
        let (rect, _) = ui.allocate_exact_size(Vec2::new(w, 20.0), Sense::hover());
        ui.painter().galley(
            Pos2::new(rect.left(), rect.center().y - galley.size().y / 2.0),
            galley,
            theme::TEXT_DIM,
        );
        ui.add(ParamSlider::for_param(param, setter).with_width(slider_width))
    })
    .inner
}

/// A switch for a boolean parameter, with a label after it.
pub fn param_toggle(ui: &mut Ui, label: &str, param: &BoolParam, setter: &ParamSetter) -> Response {
    let on = param.value();
    let mut response = toggle_switch(ui, on, label);
    if response.clicked() {
        set_param_gesture(setter, param, !on);
        response.mark_changed();
    }
    response
}

/// Draws a pill switch (no parameter binding); returns the click response.
pub fn toggle_switch(ui: &mut Ui, on: bool, label: &str) -> Response {
    let galley =
        ui.painter()
            .layout_no_wrap(label.to_string(), FontId::proportional(12.5), theme::TEXT);
    let size = Vec2::new(30.0 + 6.0 + galley.size().x, 20.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    let track = Rect::from_min_size(rect.min + Vec2::new(0.0, 2.0), Vec2::new(30.0, 16.0));
    let t = ui.ctx().animate_bool(response.id, on);
    let accent = ui.visuals().selection.stroke.color;
    let fill = lerp_color(Color32::from_rgb(0x3a, 0x40, 0x4b), accent, t);
    let p = ui.painter();
    p.rect_filled(track, 8.0, fill);
    let x = egui::lerp(track.left() + 8.0..=track.right() - 8.0, t);
    p.circle_filled(Pos2::new(x, track.center().y), 6.0, Color32::WHITE);
    p.galley(
        Pos2::new(track.right() + 6.0, rect.center().y - galley.size().y / 2.0),
        galley,
        if response.hovered() {
            Color32::WHITE
        } else {
            theme::TEXT
        },
    );
    response.on_hover_cursor(egui::CursorIcon::PointingHand)
}

/// One button per variant of an enum parameter, the current one highlighted. `colors` gives an
/// optional highlight colour per variant; `enabled` can grey out variants. Returns the response
/// of the clicked button, if any.
pub fn segmented<T: Enum + PartialEq + Copy + 'static>(
    ui: &mut Ui,
    param: &EnumParam<T>,
    setter: &ParamSetter,
    colors: &[Color32],
    enabled: &[bool],
) -> Option<Response> {
    let current = param.value();
    let names = T::variants();
    let mut clicked = None;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        for (i, name) in names.iter().enumerate() {
            let variant = T::from_index(i);
            let selected = variant == current;
            let color = colors
                .get(i)
                .copied()
                .unwrap_or(ui.visuals().selection.stroke.color);
            let is_enabled = enabled.get(i).copied().unwrap_or(true);
            let r = segment_button(ui, name, selected, color, is_enabled, i, names.len());
            super::probe::mark(ui.ctx(), &format!("segment:{name}"), r.rect);
            if r.clicked() && !selected {
                set_param_gesture(setter, param, variant);
                clicked = Some(r);
            }
        }
    });
    clicked
}

fn segment_button(
    ui: &mut Ui,
    text: &str,
    selected: bool,
    color: Color32,
    enabled: bool,
    index: usize,
    count: usize,
) -> Response {
    let font = FontId::proportional(13.0);
    let galley = ui
        .painter()
        .layout_no_wrap(text.to_string(), font, theme::TEXT);
    let size = Vec2::new(galley.size().x + 28.0, 26.0);
    let sense = if enabled {
        Sense::click()
    } else {
        Sense::hover()
    };
    let (rect, response) = ui.allocate_exact_size(size, sense);
    let r = theme::RADIUS;
    let corner = egui::CornerRadius {
        nw: if index == 0 { r } else { 0 },
        sw: if index == 0 { r } else { 0 },
        ne: if index + 1 == count { r } else { 0 },
        se: if index + 1 == count { r } else { 0 },
    };
    let (fill, text_color) = if selected {
        (color.gamma_multiply(0.85), theme::PLOT_BG)
    } else if !enabled {
        (theme::CARD, theme::TEXT_DIM.gamma_multiply(0.5))
    } else if response.hovered() {
        (Color32::from_rgb(0x34, 0x3a, 0x45), Color32::WHITE)
    } else {
        (Color32::from_rgb(0x2b, 0x30, 0x39), theme::TEXT)
    };
    let p = ui.painter();
    p.rect_filled(rect, corner, fill);
    p.rect_stroke(
        rect,
        corner,
        Stroke::new(1.0, if selected { color } else { theme::LINE }),
        egui::StrokeKind::Inside,
    );
    p.galley(rect.center() - galley.size() / 2.0, galley, text_color);
    if enabled && !selected {
        response.on_hover_cursor(egui::CursorIcon::PointingHand)
    } else {
        response
    }
}

fn lerp_color(a: Color32, b: Color32, t: f32) -> Color32 {
    let l = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    Color32::from_rgb(l(a.r(), b.r()), l(a.g(), b.g()), l(a.b(), b.b()))
}

/// Start and sweep of the knob arc: 270° with the gap at the bottom (angles in radians,
/// clockwise from the positive x axis, y down).
pub const KNOB_START: f32 = 0.75 * PI;
/// See [`KNOB_START`].
pub const KNOB_SWEEP: f32 = 1.5 * PI;

/// The angle of a knob showing normalized value `t` (0–1).
pub fn knob_angle(t: f32) -> f32 {
    KNOB_START + KNOB_SWEEP * t.clamp(0.0, 1.0)
}

/// Normalized-value change per pixel of vertical drag (shift: ten times finer).
pub const KNOB_DRAG_PER_PX: f32 = 1.0 / 200.0;

/// A rotary knob bound to a parameter: drag up/down (shift for fine), double-click to reset,
/// scroll to nudge. Shows the label above and the value with its unit below.
pub struct Knob<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    label: &'a str,
    diameter: f32,
    color: Option<Color32>,
    bipolar: bool,
}

impl<'a, P: Param> Knob<'a, P> {
    /// A knob for `param` labelled `label`.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>, label: &'a str) -> Self {
        Self {
            param,
            setter,
            label,
            diameter: 44.0,
            color: None,
            bipolar: false,
        }
    }

    /// Knob diameter in points (default 44).
    pub fn diameter(mut self, d: f32) -> Self {
        self.diameter = d;
        self
    }

    /// Arc colour (default: the theme accent).
    pub fn color(mut self, c: Color32) -> Self {
        self.color = Some(c);
        self
    }

    /// Draw the value arc from the default value (for gains centred on 0 dB).
    pub fn bipolar(mut self) -> Self {
        self.bipolar = true;
        self
    }

    /// Shows the knob.
    pub fn show(self, ui: &mut Ui) -> Response {
        let width = (self.diameter + 24.0).max(64.0);
        let size = Vec2::new(width, self.diameter + 38.0);
        let (rect, mut response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        let id = response.id;

        if response.drag_started() {
            self.setter.begin_set_parameter(self.param);
            let start = self.param.unmodulated_normalized_value();
            ui.data_mut(|d| d.insert_temp(id, start));
        }
        if response.dragged() {
            let fine = ui.input(|i| i.modifiers.shift);
            let per_px = KNOB_DRAG_PER_PX * if fine { 0.1 } else { 1.0 };
            let acc: f32 = ui.data(|d| d.get_temp(id)).unwrap_or(0.5);
            let acc = (acc - response.drag_delta().y * per_px).clamp(0.0, 1.0);
            ui.data_mut(|d| d.insert_temp(id, acc));
            let plain = self.param.preview_plain(acc);
            if plain != self.param.unmodulated_plain_value() {
                self.setter.set_parameter(self.param, plain);
                response.mark_changed();
            }
        }
        if response.drag_stopped() {
            self.setter.end_set_parameter(self.param);
        }
        if response.double_clicked() {
            set_param_gesture(self.setter, self.param, self.param.default_plain_value());
            response.mark_changed();
        }
        if response.hovered() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0 {
                let t =
                    (self.param.unmodulated_normalized_value() + scroll * 0.001).clamp(0.0, 1.0);
                set_param_gesture(self.setter, self.param, self.param.preview_plain(t));
                response.mark_changed();
            }
        }

        let p = ui.painter();
        let accent = self.color.unwrap_or(ui.visuals().selection.stroke.color);
        p.text(
            Pos2::new(rect.center().x, rect.min.y),
            Align2::CENTER_TOP,
            self.label,
            FontId::proportional(11.5),
            theme::TEXT_DIM,
        );
        let center = Pos2::new(rect.center().x, rect.min.y + 16.0 + self.diameter / 2.0);
        let r = self.diameter / 2.0;
        let t = self.param.modulated_normalized_value();
        let arc = |from: f32, to: f32, radius: f32| -> Vec<Pos2> {
            let n = ((to - from).abs() / 0.08).ceil().max(2.0) as usize;
            (0..=n)
                .map(|i| {
                    let a = from + (to - from) * i as f32 / n as f32;
                    center + Vec2::new(a.cos(), a.sin()) * radius
                })
                .collect()
        };
        p.add(Shape::line(
            arc(KNOB_START, KNOB_START + KNOB_SWEEP, r),
            Stroke::new(3.5, Color32::from_rgb(0x30, 0x35, 0x3e)),
        ));
        let from = if self.bipolar {
            knob_angle(self.param.default_normalized_value())
        } else {
            KNOB_START
        };
        let to = knob_angle(t);
        if (to - from).abs() > 1e-3 {
            p.add(Shape::line(arc(from, to, r), Stroke::new(3.5, accent)));
        }
        let body = if response.hovered() || response.dragged() {
            Color32::from_rgb(0x3a, 0x40, 0x4b)
        } else {
            Color32::from_rgb(0x2e, 0x33, 0x3c)
        };
        p.circle(
            center,
            r - 6.0,
            body,
            Stroke::new(1.0, Color32::from_rgb(0x45, 0x4c, 0x58)),
        );
        let dir = Vec2::new(to.cos(), to.sin());
        p.line_segment(
            [center + dir * (r - 16.0).max(2.0), center + dir * (r - 7.0)],
            Stroke::new(2.0, Color32::WHITE),
        );
        let value_rect = Rect::from_center_size(
            Pos2::new(rect.center().x, rect.max.y - 9.0),
            Vec2::new(rect.width(), 16.0),
        );
        p.text(
            value_rect.center(),
            Align2::CENTER_CENTER,
            self.param.to_string(),
            FontId::monospace(11.0),
            if response.dragged() {
                Color32::WHITE
            } else {
                theme::TEXT
            },
        );
        response.on_hover_text(RichText::new(format!(
            "{}: {}\ndrag (shift = fine), double-click to reset",
            self.param.name(),
            self.param
        )))
    }
}

/// A drop-down for an enum parameter, written through a host gesture.
pub fn enum_combo<T: Enum + PartialEq + Copy + 'static>(
    ui: &mut Ui,
    id: &str,
    param: &EnumParam<T>,
    setter: &ParamSetter,
    width: f32,
) {
    let current = param.value();
    let names = T::variants();
    let mut chosen = None;
    egui::ComboBox::from_id_salt(id)
        .width(width)
        // Tall enough for every choice (the EQ's nine targets) without scrolling.
        .height(32.0 * names.len() as f32 + 16.0)
        .selected_text(names[current.to_index()])
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                if ui
                    .selectable_label(i == current.to_index(), *name)
                    .clicked()
                {
                    chosen = Some(T::from_index(i));
                }
            }
        });
    if let Some(v) = chosen {
        if v != current {
            set_param_gesture(setter, param, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knob_angle_spans_270_degrees_with_the_gap_at_the_bottom() {
        assert!((knob_angle(0.0) - 0.75 * PI).abs() < 1e-6);
        assert!((knob_angle(1.0) - 2.25 * PI).abs() < 1e-6);
        // Middle points straight up (angle 1.5π, y down → -y).
        let mid = knob_angle(0.5);
        assert!((mid.sin() - -1.0).abs() < 1e-6 && mid.cos().abs() < 1e-6);
        assert_eq!(knob_angle(2.0), knob_angle(1.0));
    }
}
