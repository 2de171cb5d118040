//! Tandem EQ's editor: the shared shell around an analyzer with the manual curve (solid), the
//! suggested curve (dashed), draggable band nodes, the target curve behind the input spectrum,
//! and the selected band's controls.

use crate::params::{BandParams, EqParams, Target};
use crate::reference::load_reference;
use dsp_core::chains::eq::{EqBandType, EqSettings};
use egui::{Color32, RichText, Ui};
use nice_plug::prelude::*;
use tandem_common::audio::display::{Display, GRID_POINTS};
use tandem_common::gui::{
    self, enum_combo, spectrum::grid_freq, theme, Knob, ShellConfig, ShellEditor,
};
use tandem_common::plugin::{manual_and_suggested, shell_editor, EditorArgs};

/// Colour of band `i` (nodes and band buttons).
pub fn band_color(i: usize) -> Color32 {
    const C: [Color32; 8] = [
        Color32::from_rgb(0xff, 0x6b, 0x6b),
        Color32::from_rgb(0xff, 0xa9, 0x4d),
        Color32::from_rgb(0xff, 0xd9, 0x3d),
        Color32::from_rgb(0x8c, 0xe9, 0x9a),
        Color32::from_rgb(0x4f, 0xd1, 0xc1),
        Color32::from_rgb(0x5c, 0xb8, 0xff),
        Color32::from_rgb(0x9d, 0x8c, 0xff),
        Color32::from_rgb(0xf0, 0x7c, 0xd8),
    ];
    C[i % 8]
}

/// The response of `settings` on the display grid at `sample_rate` (Hz), in dB.
pub fn response_on_grid(settings: &EqSettings, sample_rate: f32, out: &mut Vec<f32>) {
    let designs = settings.designs(sample_rate as f64);
    out.clear();
    for i in 0..GRID_POINTS {
        let f = grid_freq(i, GRID_POINTS) as f64;
        let db: f64 = designs
            .iter()
            .flatten()
            .map(|d| d.magnitude_db(f, sample_rate as f64))
            .sum::<f64>()
            + settings.out_gain_db as f64;
        out.push(db.max(-60.0) as f32);
    }
}

struct BodyState {
    curves: gui::spectrum::Curves,
    target: Vec<f32>,
    selected: usize,
    meters: gui::IoMeters,
    reference: gui::ReferencePicker,
}

/// Builds the editor.
pub fn create(args: EditorArgs<crate::EqSpec>) -> Option<ShellEditor<EqParams>> {
    let mut config = ShellConfig::new("Tandem EQ", "tonal-balance assistant", theme::accent::EQ);
    config.min_size = crate::params::EDITOR_SIZE;
    let st = BodyState {
        curves: Default::default(),
        target: Vec::new(),
        selected: 0,
        meters: Default::default(),
        reference: Default::default(),
    };
    shell_editor::<crate::EqSpec, _>(config, args, st, body)
}

fn body(
    ui: &mut Ui,
    cx: &gui::ShellCtx,
    params: &EqParams,
    display: &Display,
    _: &(),
    st: &mut BodyState,
) {
    let (manual, suggested) = manual_and_suggested::<crate::EqSpec>(params, cx);
    st.curves
        .load(display, &manual, &suggested, response_on_grid);
    let has_target = display.has_target();
    if has_target {
        display.target.load_into(&mut st.target);
    }
    let has_suggestion = cx.suggestion.is_some();

    // Nodes for the enabled bands.
    let bands = params.bands();
    let node_bands: Vec<usize> = (0..8).filter(|i| bands[*i].on.value()).collect();
    let nodes: Vec<gui::SpectrumNode> = node_bands
        .iter()
        .map(|&i| {
            let b = &manual.bands[i];
            gui::SpectrumNode {
                freq: b.freq_hz,
                db: if b.kind.uses_gain() { b.gain_db } else { 0.0 },
                label: format!("{}", i + 1),
                color: band_color(i),
                selected: i == st.selected,
            }
        })
        .collect();

    gui::with_meter_column(
        ui,
        130.0,
        st,
        |ui, st| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Target").color(theme::TEXT_DIM));
                enum_combo(ui, "eq_target", &params.target, cx.setter, 120.0);
                let index = params.target.value().to_index();
                if crate::analyzer::target_for(index, &params.reference)
                    .is_some_and(|t| !t.measured)
                {
                    ui.label(RichText::new("heuristic").color(theme::TEXT_DIM))
                        .on_hover_text(
                            "A hand-drawn curve, not measured on real recordings: \
                             its proposals get less confidence.",
                        );
                }
                if params.target.value() == Target::Reference {
                    st.reference.show(
                        ui,
                        &params.reference,
                        load_reference,
                        |r| format!("Reference: {}", r.name),
                        260.0,
                    );
                }
            });
            ui.add_space(4.0);
            let h = (ui.available_height() - 150.0).max(180.0);
            let mut spec = st
                .curves
                .spectrum("eq_analyzer", has_suggestion)
                .nodes(&nodes)
                .accent(cx.accent)
                .height(h);
            if has_target {
                spec = spec.target(&st.target);
            }
            let resp = spec.show(ui);
            if let Some(d) = resp.drag {
                if let Some(&band) = node_bands.get(d.index) {
                    st.selected = band;
                    let b = bands[band];
                    let gain = manual.bands[band].kind.uses_gain();
                    if d.started {
                        cx.setter.begin_set_parameter(&b.freq_hz);
                        if gain {
                            cx.setter.begin_set_parameter(&b.gain_db);
                        }
                    }
                    cx.setter.set_parameter(&b.freq_hz, d.freq);
                    if gain {
                        cx.setter.set_parameter(&b.gain_db, d.db);
                    }
                    if d.stopped {
                        cx.setter.end_set_parameter(&b.freq_hz);
                        if gain {
                            cx.setter.end_set_parameter(&b.gain_db);
                        }
                    }
                }
            }
            if let Some(i) = resp.clicked_node.and_then(|i| node_bands.get(i)) {
                st.selected = *i;
            }
            gui::curve_legend(ui, cx, "Solid: manual curve \u{00b7} dashed: suggested");
            ui.add_space(4.0);
            band_strip(ui, cx, params, st);
        },
        |ui, st| {
            let h = (ui.available_height() - 16.0).max(160.0);
            st.meters
                .show(ui, display, cx.dt, egui::vec2(60.0, h), |_| {});
        },
    );
}

fn band_strip(ui: &mut Ui, cx: &gui::ShellCtx, params: &EqParams, st: &mut BodyState) {
    let bands = params.bands();
    gui::shell::card(ui, |ui| {
        ui.horizontal(|ui| {
            for (i, b) in bands.iter().enumerate() {
                let on = b.on.value();
                let text = RichText::new(format!(" {} ", i + 1)).color(if on {
                    band_color(i)
                } else {
                    theme::TEXT_DIM
                });
                if ui.selectable_label(st.selected == i, text).clicked() {
                    st.selected = i;
                }
            }
            ui.separator();
            let b: &BandParams = bands[st.selected];
            gui::param_toggle(ui, "On", &b.on, cx.setter);
            enum_combo(ui, "band_type", &b.kind, cx.setter, 96.0);
            enum_combo(ui, "band_place", &b.placement, cx.setter, 70.0);
        });
        ui.horizontal(|ui| {
            let i = st.selected;
            let b: &BandParams = bands[i];
            let kind = EqBandType::from_value(b.kind.value().to_index() as f32);
            let color = band_color(i);
            Knob::new(&b.freq_hz, cx.setter, "Freq")
                .color(color)
                .show(ui);
            if kind.uses_gain() {
                Knob::new(&b.gain_db, cx.setter, "Gain")
                    .color(color)
                    .bipolar()
                    .show(ui);
            }
            if kind.is_cut() {
                Knob::new(&b.slope_db_oct, cx.setter, "Slope")
                    .color(color)
                    .show(ui);
            } else {
                Knob::new(&b.q, cx.setter, "Q").color(color).show(ui);
            }
            ui.add_space(24.0);
            Knob::new(&params.out_gain_db, cx.setter, "Output")
                .bipolar()
                .show(ui);
        });
    });
}
