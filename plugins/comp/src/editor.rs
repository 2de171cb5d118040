//! Tandem Comp's editor: the shared shell around the style selector, the static transfer curve
//! (manual solid, suggested dashed), the compressor's knobs and switches, and the input,
//! gain-reduction and output meters.

use crate::params::CompParams;
use dsp_core::chains::comp::CompSettings;
use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Shape, Stroke, StrokeKind, Ui};
use std::sync::atomic::Ordering;
use tandem_common::audio::display::Display;
use tandem_common::gui::{self, theme, Knob, ShellConfig, ShellEditor};
use tandem_common::plugin::{manual_and_suggested, shell_editor, EditorArgs};

/// The plotted level range of the transfer curve, dB.
pub const CURVE_MIN_DB: f32 = -60.0;
/// The top of the plotted level range, dB.
pub const CURVE_MAX_DB: f32 = 6.0;

/// The transfer curve of `settings` at `points` input levels over the plotted range: output
/// level (dB) including makeup (and the automatic makeup when it is on, capped as the engine
/// runs it), before the output gain.
pub fn transfer_curve(settings: &CompSettings, points: usize) -> Vec<(f32, f32)> {
    let s = crate::engine::effective_settings(settings).sanitized();
    let auto = if s.auto_makeup {
        -s.static_curve_db(0.0)
    } else {
        0.0
    };
    let points = points.max(2);
    (0..points)
        .map(|i| {
            let x = CURVE_MIN_DB + (CURVE_MAX_DB - CURVE_MIN_DB) * i as f32 / (points - 1) as f32;
            (x, s.static_curve_db(x) + s.makeup_db + auto)
        })
        .collect()
}

struct BodyState {
    meters: gui::IoMeters,
}

/// Builds the editor.
pub fn create(args: EditorArgs<crate::CompSpec>) -> Option<ShellEditor<CompParams>> {
    let mut config = ShellConfig::new("Tandem Comp", "dynamics assistant", theme::accent::COMP);
    config.min_size = crate::params::EDITOR_SIZE;
    let st = BodyState {
        meters: Default::default(),
    };
    shell_editor::<crate::CompSpec, _>(config, args, st, body)
}

fn body(
    ui: &mut Ui,
    cx: &gui::ShellCtx,
    params: &CompParams,
    display: &Display,
    _: &(),
    st: &mut BodyState,
) {
    let (manual, suggested) = manual_and_suggested::<crate::CompSpec>(params, cx);
    let has_suggestion = cx.suggestion.is_some();
    let suggested = has_suggestion.then_some(suggested);
    let in_peak = display.in_peak_db[0]
        .load(Ordering::Relaxed)
        .max(display.in_peak_db[1].load(Ordering::Relaxed));

    gui::with_meter_column(
        ui,
        190.0,
        st,
        |ui, _| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Style").color(theme::TEXT_DIM));
                gui::segmented(ui, &params.style, cx.setter, &[], &[]);
            });
            ui.add_space(6.0);
            ui.horizontal_top(|ui| {
                let size = (ui.available_height() - 190.0).clamp(160.0, 300.0);
                curve_plot(ui, size, &manual, suggested.as_ref(), in_peak, cx.accent);
                ui.add_space(8.0);
                ui.vertical(|ui| {
                    gui::curve_legend(ui, cx, "Solid: manual curve \u{00b7} dashed: suggested");
                    if let Some(s) = suggested {
                        ui.label(
                            RichText::new(format!(
                                "Suggested: {:.1} dB, {}, attack {} ms, release {} ms, makeup {:+.1} dB",
                                s.threshold_db,
                                crate::params::ratio_to_string(s.ratio),
                                crate::params::ms_to_string(s.attack_ms),
                                crate::params::ms_to_string(s.release_ms),
                                s.makeup_db
                            ))
                            .small()
                            .color(theme::SUGGESTED),
                        );
                    }
                    ui.add_space(6.0);
                    ui.label(RichText::new("Detector").color(theme::TEXT_DIM));
                    gui::segmented(ui, &params.detector, cx.setter, &[], &[]);
                    ui.add_space(4.0);
                    ui.label(RichText::new("Stereo").color(theme::TEXT_DIM));
                    gui::segmented(ui, &params.stereo_mode, cx.setter, &[], &[]);
                    ui.add_space(6.0);
                    gui::param_toggle(ui, "Auto release", &params.auto_release, cx.setter);
                    gui::param_toggle(ui, "Auto makeup", &params.auto_makeup, cx.setter);
                    gui::param_toggle(ui, "External sidechain", &params.sc_external, cx.setter);
                    gui::param_toggle(ui, "Sidechain HPF", &params.sc_hpf_on, cx.setter);
                });
            });
            ui.add_space(6.0);
            gui::shell::card(ui, |ui| {
                ui.horizontal(|ui| {
                    let c = cx.accent;
                    Knob::new(&params.threshold_db, cx.setter, "Threshold")
                        .color(c)
                        .show(ui);
                    Knob::new(&params.ratio, cx.setter, "Ratio")
                        .color(c)
                        .show(ui);
                    Knob::new(&params.knee_db, cx.setter, "Knee")
                        .color(c)
                        .show(ui);
                    Knob::new(&params.attack_ms, cx.setter, "Attack")
                        .color(c)
                        .show(ui);
                    Knob::new(&params.release_ms, cx.setter, "Release")
                        .color(c)
                        .show(ui);
                    Knob::new(&params.lookahead_ms, cx.setter, "Lookahead")
                        .color(c)
                        .show(ui);
                });
                ui.horizontal(|ui| {
                    Knob::new(&params.makeup_db, cx.setter, "Makeup")
                        .bipolar()
                        .show(ui);
                    Knob::new(&params.mix_pct, cx.setter, "Mix").show(ui);
                    Knob::new(&params.link_pct, cx.setter, "Link").show(ui);
                    Knob::new(&params.sc_hpf_hz, cx.setter, "SC HPF").show(ui);
                    ui.add_space(24.0);
                    Knob::new(&params.out_gain_db, cx.setter, "Output")
                        .bipolar()
                        .show(ui);
                });
            });
        },
        |ui, st| {
            let h = (ui.available_height() - 16.0).max(160.0);
            let gr = display.gain_reduction_db.load(Ordering::Relaxed);
            st.meters
                .show(ui, display, cx.dt, egui::vec2(56.0, h), |ui| {
                    gui::gain_reduction_meter(ui, egui::vec2(52.0, h), gr, 24.0);
                });
        },
    );
}

/// The static transfer curve: input level (x) to output level (y), both −60…+6 dB, with the
/// unity diagonal, the threshold and the current input peak.
fn curve_plot(
    ui: &mut Ui,
    size: f32,
    manual: &CompSettings,
    suggested: Option<&CompSettings>,
    in_peak_db: f32,
    accent: Color32,
) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, theme::RADIUS, theme::PLOT_BG);
    let plot = rect.shrink(6.0);
    let span = CURVE_MAX_DB - CURVE_MIN_DB;
    let to_pos = |x: f32, y: f32| {
        Pos2::new(
            plot.min.x + (x - CURVE_MIN_DB) / span * plot.width(),
            plot.max.y
                - (y.clamp(CURVE_MIN_DB - 12.0, CURVE_MAX_DB + 12.0) - CURVE_MIN_DB) / span
                    * plot.height(),
        )
    };
    let small = FontId::proportional(10.0);
    for db in [-48.0f32, -36.0, -24.0, -12.0, 0.0] {
        let p = to_pos(db, db);
        painter.vline(p.x, plot.y_range(), Stroke::new(1.0, theme::GRID));
        painter.hline(plot.x_range(), p.y, Stroke::new(1.0, theme::GRID));
        painter.text(
            Pos2::new(plot.min.x + 2.0, p.y - 1.0),
            Align2::LEFT_BOTTOM,
            format!("{db:.0}"),
            small.clone(),
            theme::TEXT_DIM,
        );
    }
    // Unity.
    painter.line_segment(
        [
            to_pos(CURVE_MIN_DB, CURVE_MIN_DB),
            to_pos(CURVE_MAX_DB, CURVE_MAX_DB),
        ],
        Stroke::new(1.0, theme::LINE),
    );
    // Threshold.
    let t = to_pos(manual.sanitized().threshold_db, 0.0).x;
    painter.vline(
        t,
        plot.y_range(),
        Stroke::new(1.0, accent.gamma_multiply(0.5)),
    );
    let clip = ui.painter_at(plot);
    let pts = |s: &CompSettings| -> Vec<Pos2> {
        transfer_curve(s, 133)
            .into_iter()
            .map(|(x, y)| to_pos(x, y))
            .collect()
    };
    if let Some(s) = suggested {
        clip.extend(Shape::dashed_line(
            &pts(s),
            Stroke::new(2.0, theme::SUGGESTED),
            7.0,
            5.0,
        ));
    }
    clip.add(Shape::line(pts(manual), Stroke::new(2.0, theme::MANUAL)));
    // Where the input is now, on the manual curve.
    if in_peak_db.is_finite() && in_peak_db > CURVE_MIN_DB {
        let x = in_peak_db.min(CURVE_MAX_DB);
        let y = transfer_curve_at(manual, x);
        clip.circle_filled(to_pos(x, y), 4.0, accent);
    }
    painter.text(
        Pos2::new(plot.max.x - 2.0, plot.max.y - 2.0),
        Align2::RIGHT_BOTTOM,
        "in (dB)",
        small,
        theme::TEXT_DIM,
    );
    painter.rect_stroke(
        Rect::from_min_size(rect.min, rect.size()),
        theme::RADIUS,
        Stroke::new(1.0, theme::LINE),
        StrokeKind::Inside,
    );
}

/// One point of [`transfer_curve`].
fn transfer_curve_at(settings: &CompSettings, x_db: f32) -> f32 {
    let s = crate::engine::effective_settings(settings).sanitized();
    let auto = if s.auto_makeup {
        -s.static_curve_db(0.0)
    } else {
        0.0
    };
    s.static_curve_db(x_db) + s.makeup_db + auto
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_curve_is_unity_below_the_knee_and_flat_at_infinity() {
        let s = CompSettings {
            threshold_db: -20.0,
            ratio: 100.0,
            knee_db: 0.0,
            ..CompSettings::default()
        };
        let c = transfer_curve(&s, 67);
        assert_eq!(c.len(), 67);
        for (x, y) in c {
            if x <= -20.0 {
                assert!((y - x).abs() < 1e-3, "{x} {y}");
            } else {
                assert!((y + 20.0).abs() < 1e-3, "{x} {y}");
            }
        }
        let s = CompSettings {
            threshold_db: -20.0,
            ratio: 4.0,
            knee_db: 0.0,
            makeup_db: 3.0,
            ..CompSettings::default()
        };
        assert!((transfer_curve_at(&s, 0.0) - (-15.0 + 3.0)).abs() < 1e-3);
    }
}
