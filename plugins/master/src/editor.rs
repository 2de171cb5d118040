//! Tandem Master's editor: the shared shell around the platform target, the chain's sections
//! (input, tone, glue, width, limiter, dither) as knobs, the tone EQ drawn over the pre/post
//! spectra (manual solid, suggested dashed), and the output meters (loudness against the
//! target, true peak against the ceiling, glue and limiter gain reduction, in/out levels,
//! correlation).

use crate::analyzer::target_from_manual;
use crate::meters::Meters;
use crate::params::MasterParams;
use dsp_core::assistant::master::Platform;
use dsp_core::chains::eq::Placement;
use dsp_core::chains::master::{MasterChain, MasterSettings};
use egui::{Color32, RichText, Ui};
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;
use tandem_common::audio::compare::Compare;
use tandem_common::audio::display::{Display, GRID_POINTS};
use tandem_common::audio::engine::suggested_settings;
use tandem_common::gui::{
    self, enum_combo, spectrum::grid_freq, theme, Knob, ShellConfig, ShellEditor,
};
use tandem_common::plugin::{manual_and_suggested, shell_editor, EditorArgs};

/// The tone EQ's response (stereo plus mid-placed sections) on the display grid, in dB.
pub fn tone_curve_on_grid(settings: &MasterSettings, sample_rate: f32, out: &mut Vec<f32>) {
    let eq = settings.eq_settings();
    out.clear();
    for i in 0..GRID_POINTS {
        let f = grid_freq(i, GRID_POINTS) as f64;
        let db = eq.placement_magnitude_db(Placement::Mid, f, sample_rate as f64);
        out.push(db.clamp(-60.0, 60.0) as f32);
    }
}

struct BodyState {
    curves: gui::spectrum::Curves,
    meters: gui::IoMeters,
    reference: gui::ReferencePicker,
    tab: usize,
}

/// Builds the editor.
pub fn create(args: EditorArgs<crate::MasterSpec>) -> Option<ShellEditor<MasterParams>> {
    let mut config = ShellConfig::new(
        "Tandem Master",
        "mastering assistant",
        theme::accent::MASTER,
    );
    config.min_size = crate::params::EDITOR_SIZE;
    // The limiter's ceiling must hold: a quieter suggestion is not raised after it.
    config.boost_quieter_suggestion = false;
    let st = BodyState {
        curves: Default::default(),
        meters: Default::default(),
        reference: Default::default(),
        tab: 3,
    };
    shell_editor::<crate::MasterSpec, _>(config, args, st, body)
}

/// A framed group of controls, as wide as its contents (`gui::shell::card` fills the row).
fn section(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui)) {
    egui::Frame::new()
        .fill(theme::CARD)
        .stroke(egui::Stroke::new(1.0, theme::LINE))
        .corner_radius(theme::RADIUS)
        .inner_margin(egui::Margin::same(10))
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new(title).small().color(theme::TEXT_DIM));
                ui.horizontal(add);
            });
        });
}

fn body(
    ui: &mut Ui,
    cx: &gui::ShellCtx,
    params: &MasterParams,
    display: &Display,
    meters: &Meters,
    st: &mut BodyState,
) {
    let (manual, suggested) = manual_and_suggested::<crate::MasterSpec>(params, cx);
    st.curves
        .load(display, &manual, &suggested, tone_curve_on_grid);
    let has_suggestion = cx.suggestion.is_some();
    let accent = cx.accent;
    let setter = cx.setter;

    gui::with_meter_column(
        ui,
        230.0,
        st,
        |ui, st| {
            // Target.
            ui.horizontal(|ui| {
                ui.label(RichText::new("Target").color(theme::TEXT_DIM));
                enum_combo(ui, "master_target", &params.master_target, setter, 130.0);
                let manual_values = tandem_common::params::manual_values(params);
                let target = target_from_manual(&manual_values);
                ui.label(
                    RichText::new(format!(
                        "{} LUFS \u{00b7} {} dBTP",
                        gui::meters::format_lufs(target.lufs),
                        gui::meters::format_level(target.ceiling_dbtp)
                    ))
                    .color(theme::TEXT_DIM),
                );
            });
            // Reference mode: match a reference master's loudness and tonal balance.
            ui.horizontal(|ui| {
                gui::param_toggle(ui, "Match reference", &params.match_reference, setter);
                if params.match_reference.value() {
                    st.reference.show(
                        ui,
                        &params.reference,
                        crate::reference::load_reference,
                        |r| format!("{}: {:.1} LUFS", r.name, r.integrated_lufs),
                        240.0,
                    );
                }
            });
            if params.master_target.value().0 == Platform::Custom {
                ui.horizontal(|ui| {
                    Knob::new(&params.custom_lufs, setter, "Custom LUFS")
                        .color(accent)
                        .show(ui);
                    Knob::new(&params.custom_ceiling, setter, "Custom ceiling")
                        .color(accent)
                        .show(ui);
                });
            }
            ui.add_space(4.0);
            // Tone curve over the spectra.
            let h = (ui.available_height() - 250.0).max(150.0);
            st.curves
                .spectrum("master_analyzer", has_suggestion)
                .curve_range(-12.0..=12.0)
                .accent(accent)
                .height(h)
                .show(ui);
            let what = "Tone EQ (stereo + mid): solid manual \u{00b7} dashed suggested";
            gui::curve_legend(ui, cx, what);
            ui.add_space(4.0);
            controls(ui, params, setter, accent, &mut st.tab);
        },
        |ui, st| {
            meter_column(ui, cx, params, display, meters, st, &manual);
        },
    );
}

/// The sections of the chain, one shown at a time under the analyzer (all of them at once do
/// not fit a plugin window).
const TABS: [&str; 4] = ["Tone", "Glue", "Input & width", "Limiter & dither"];

fn controls(ui: &mut Ui, p: &MasterParams, setter: &ParamSetter, accent: Color32, tab: &mut usize) {
    ui.horizontal(|ui| {
        for (i, name) in TABS.iter().enumerate() {
            if ui.selectable_label(*tab == i, *name).clicked() {
                *tab = i;
            }
        }
    });
    let tab = *tab;
    egui::ScrollArea::vertical()
        .id_salt("master_controls")
        .show(ui, |ui| {
            // One row per section (the small ones share the first): egui's wrapped layouts never
            // wrap frames or nested groups, so a wrapped row grew wider than the column and
            // pushed the meters off the window.
            if tab == 2 {
                ui.horizontal_top(|ui| {
                    section(ui, "INPUT", |ui| {
                        Knob::new(&p.in_gain, setter, "Input")
                            .color(accent)
                            .bipolar()
                            .show(ui);
                    });
                    section(ui, "WIDTH", |ui| {
                        Knob::new(&p.width, setter, "Width")
                            .color(accent)
                            .bipolar()
                            .show(ui);
                        Knob::new(&p.mono_below, setter, "Mono below")
                            .color(accent)
                            .show(ui);
                    });
                });
            }
            ui.vertical(|ui| {
                if tab == 0 {
                    section(ui, "TONE", |ui| {
                        let place = |ui: &mut Ui, id: &str, param| {
                            enum_combo(ui, id, param, setter, 64.0);
                        };
                        ui.vertical(|ui| {
                            ui.horizontal_top(|ui| {
                                ui.vertical(|ui| {
                                    ui.horizontal(|ui| {
                                        Knob::new(&p.ls_gain, setter, "Low shelf")
                                            .color(accent)
                                            .bipolar()
                                            .show(ui);
                                        Knob::new(&p.ls_freq, setter, "Freq")
                                            .color(accent)
                                            .show(ui);
                                    });
                                    place(ui, "ls_place", &p.ls_place);
                                });
                                ui.vertical(|ui| {
                                    ui.horizontal(|ui| {
                                        Knob::new(&p.bell1_gain, setter, "Bell 1")
                                            .color(accent)
                                            .bipolar()
                                            .show(ui);
                                        Knob::new(&p.bell1_freq, setter, "Freq")
                                            .color(accent)
                                            .show(ui);
                                        Knob::new(&p.bell1_q, setter, "Q").color(accent).show(ui);
                                    });
                                    place(ui, "bell1_place", &p.bell1_place);
                                });
                            });
                            ui.horizontal_top(|ui| {
                                ui.vertical(|ui| {
                                    ui.horizontal(|ui| {
                                        Knob::new(&p.bell2_gain, setter, "Bell 2")
                                            .color(accent)
                                            .bipolar()
                                            .show(ui);
                                        Knob::new(&p.bell2_freq, setter, "Freq")
                                            .color(accent)
                                            .show(ui);
                                        Knob::new(&p.bell2_q, setter, "Q").color(accent).show(ui);
                                    });
                                    place(ui, "bell2_place", &p.bell2_place);
                                });
                                ui.vertical(|ui| {
                                    ui.horizontal(|ui| {
                                        Knob::new(&p.hs_gain, setter, "High shelf")
                                            .color(accent)
                                            .bipolar()
                                            .show(ui);
                                        Knob::new(&p.hs_freq, setter, "Freq")
                                            .color(accent)
                                            .show(ui);
                                    });
                                    place(ui, "hs_place", &p.hs_place);
                                });
                                ui.vertical(|ui| {
                                    Knob::new(&p.tilt_gain, setter, "Tilt")
                                        .color(accent)
                                        .bipolar()
                                        .show(ui);
                                    place(ui, "tilt_place", &p.tilt_place);
                                });
                            });
                        });
                    });
                }
                if tab == 1 {
                    section(ui, "GLUE", |ui| {
                        ui.vertical(|ui| {
                            gui::param_toggle(ui, "On", &p.glue_on, setter);
                            gui::param_toggle(ui, "Auto rel", &p.glue_auto_release, setter);
                        });
                        Knob::new(&p.glue_threshold, setter, "Threshold")
                            .color(accent)
                            .show(ui);
                        Knob::new(&p.glue_ratio, setter, "Ratio")
                            .color(accent)
                            .show(ui);
                        Knob::new(&p.glue_attack, setter, "Attack")
                            .color(accent)
                            .show(ui);
                        Knob::new(&p.glue_release, setter, "Release")
                            .color(accent)
                            .show(ui);
                        Knob::new(&p.glue_makeup, setter, "Makeup")
                            .color(accent)
                            .bipolar()
                            .show(ui);
                    });
                }
                if tab == 3 {
                    section(ui, "LIMITER", |ui| {
                        Knob::new(&p.lim_drive, setter, "Drive")
                            .color(accent)
                            .show(ui);
                        Knob::new(&p.lim_ceiling, setter, "Ceiling")
                            .color(accent)
                            .show(ui);
                        Knob::new(&p.lim_release, setter, "Release")
                            .color(accent)
                            .show(ui);
                        Knob::new(&p.lim_lookahead, setter, "Lookahead")
                            .color(accent)
                            .show(ui);
                        ui.vertical(|ui| {
                            ui.label(RichText::new("Oversampling").small().color(theme::TEXT_DIM));
                            enum_combo(ui, "lim_oversampling", &p.lim_oversampling, setter, 64.0);
                            gui::param_toggle(ui, "Auto rel", &p.lim_auto_release, setter);
                        });
                    });
                    section(ui, "DITHER", |ui| {
                        enum_combo(ui, "dither", &p.dither, setter, 80.0);
                    });
                }
            });
        });
}

fn meter_column(
    ui: &mut Ui,
    cx: &gui::ShellCtx,
    params: &MasterParams,
    display: &Display,
    meters: &Meters,
    st: &mut BodyState,
    manual: &MasterSettings,
) {
    let load = |a: &atomic_float::AtomicF32| a.load(Ordering::Relaxed);
    let target = target_from_manual(&tandem_common::params::manual_values(params));
    let readout = gui::Loudness {
        momentary: load(&meters.momentary_lufs),
        short_term: load(&meters.short_term_lufs),
        integrated: load(&meters.integrated_lufs),
        target: Some(target.lufs),
    };
    if gui::loudness_readout(ui, &readout)
        .on_hover_text("Output loudness (click to reset integrated, LRA and true peak)")
        .interact(egui::Sense::click())
        .clicked()
    {
        meters.reset_requested.store(true, Ordering::Release);
    }
    let lra = load(&meters.loudness_range_lu);
    let corr = load(&meters.correlation);
    ui.horizontal(|ui| {
        ui.label(RichText::new("LRA").small().color(theme::TEXT_DIM));
        ui.label(
            RichText::new(if lra.is_finite() {
                format!("{lra:.1} LU")
            } else {
                "\u{2014}".into()
            })
            .monospace(),
        );
        ui.add_space(8.0);
        ui.label(RichText::new("Corr").small().color(theme::TEXT_DIM));
        let (text, color) = if corr.is_finite() {
            (
                format!("{corr:+.2}"),
                if corr < 0.0 {
                    theme::DANGER
                } else {
                    theme::TEXT
                },
            )
        } else {
            ("\u{2014}".into(), theme::TEXT_DIM)
        };
        ui.label(RichText::new(text).monospace().color(color));
    });
    // The ceiling that plays: the suggested set's while it is heard.
    let ceiling = if cx.compare == Compare::Suggested && cx.suggestion.is_some() {
        let mut s = *manual;
        suggested_settings::<MasterChain>(manual, &cx.shared.store, cx.amount, &mut s);
        s.lim_ceiling_dbtp
    } else {
        manual.lim_ceiling_dbtp
    };
    gui::true_peak_readout(ui, load(&meters.true_peak_dbtp), ceiling);
    ui.add_space(4.0);
    let h = (ui.available_height() - 20.0).max(140.0);
    st.meters
        .show(ui, display, cx.dt, egui::vec2(52.0, h), |ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new("Glue").small().color(theme::TEXT_DIM));
                gui::gain_reduction_meter(
                    ui,
                    egui::vec2(44.0, h - 18.0),
                    load(&meters.glue_gr_db),
                    12.0,
                );
            });
            ui.vertical(|ui| {
                ui.label(RichText::new("Limit").small().color(theme::TEXT_DIM));
                gui::gain_reduction_meter(
                    ui,
                    egui::vec2(44.0, h - 18.0),
                    load(&meters.limiter_gr_db),
                    12.0,
                );
            });
        });
}
