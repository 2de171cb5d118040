//! A tiny pass-through plugin showing the Tandem editor shell with a fake suggestion, fake
//! spectra and fake meters, as a standalone app:
//!
//! ```sh
//! cargo run -p tandem-common --example shell_preview -- --backend dummy
//! ```
//!
//! The bands are drawn as nodes on the spectrum and as knobs; both write the parameters through
//! host gestures, and Accept / Accept all write the fake suggestion into them.

use nice_plug::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tandem_common::audio::compare::{AssistantParams, Compare};
use tandem_common::audio::shared::AssistantShared;
use tandem_common::audio::store::SuggestionStore;
use tandem_common::gui::{self, theme, EditorState, Knob, Shell, ShellConfig, ShellEditor};
use tandem_common::{Suggestion, SuggestionItem};

#[derive(Params)]
struct PreviewParams {
    #[persist = "editor-state"]
    editor_state: Arc<EditorState>,

    #[id = "b1_freq"]
    b1_freq: FloatParam,
    #[id = "b1_gain"]
    b1_gain: FloatParam,
    #[id = "b2_freq"]
    b2_freq: FloatParam,
    #[id = "b2_gain"]
    b2_gain: FloatParam,
    #[id = "out_gain"]
    out_gain: FloatParam,

    #[nested(group = "Assistant")]
    assistant: AssistantParams,
}

fn freq_param(name: &str, default: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min: 20.0,
            max: 20_000.0,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    .with_value_to_string(formatters::v2s_f32_hz_then_khz(1))
    .with_string_to_value(formatters::s2v_f32_hz_then_khz())
}

fn gain_param(name: &str) -> FloatParam {
    FloatParam::new(
        name,
        0.0,
        FloatRange::Linear {
            min: -18.0,
            max: 18.0,
        },
    )
    .with_unit(" dB")
    .with_step_size(0.1)
}

impl Default for PreviewParams {
    fn default() -> Self {
        Self {
            editor_state: EditorState::new(1180.0, 700.0),
            b1_freq: freq_param("Band 1 Freq", 180.0),
            b1_gain: gain_param("Band 1 Gain"),
            b2_freq: freq_param("Band 2 Freq", 6000.0),
            b2_gain: gain_param("Band 2 Gain"),
            out_gain: gain_param("Output"),
            assistant: AssistantParams::default(),
        }
    }
}

/// Neutral values: gains scale towards 0 dB, frequencies have no neutral.
fn neutral(id: &str) -> Option<f32> {
    id.ends_with("_gain").then_some(0.0)
}

fn fake_suggestion() -> Suggestion {
    let mut s = Suggestion::empty("eq", "Balanced");
    let item = |key: &str, title: &str, values: &[(&str, f32)], reason: &str, confidence: f32| {
        SuggestionItem {
            key: key.into(),
            title: title.into(),
            values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            reason: reason.into(),
            confidence,
        }
    };
    s.items = vec![
        item(
            "band1",
            "Cut 250 Hz by 2.5 dB",
            &[("b1_freq", 250.0), ("b1_gain", -2.5)],
            "Low-mids sit 3.1 dB above the Balanced target between 180 and 350 Hz over 41 s of audio.",
            0.82,
        ),
        item(
            "band2",
            "Lift 8 kHz by 1.5 dB",
            &[("b2_freq", 8000.0), ("b2_gain", 1.5)],
            "The air band is 1.8 dB below target; the lift stays under the sibilance range.",
            0.64,
        ),
        item(
            "output",
            "Output \u{2212}0.8 dB",
            &[("out_gain", -0.8)],
            "Keeps the EQ'd signal at the level it came in with (measured 0.8 LU louder).",
            0.35,
        ),
    ];
    for it in &s.items {
        for (k, v) in &it.values {
            s.values.insert(k.clone(), *v);
        }
    }
    s.confidence = 0.72;
    s.heard_seconds = 41.0;
    s.measurements = BTreeMap::from([("integrated_lufs".to_string(), -13.8)]);
    s.warnings =
        vec!["Low end changes a lot between sections; the 60 Hz estimate is less certain.".into()];
    s
}

struct Preview {
    params: Arc<PreviewParams>,
    shared: Arc<AssistantShared>,
}

impl Default for Preview {
    fn default() -> Self {
        let store = Arc::new(SuggestionStore::new(&dsp_core::chains::eq::PARAMS));
        store
            .set_suggestion(Some(fake_suggestion()))
            .expect("valid fake suggestion");
        let shared = AssistantShared::new(store);
        shared
            .heard_seconds
            .store(12.4, std::sync::atomic::Ordering::Relaxed);
        shared
            .level_offset_lu
            .store(2.3, std::sync::atomic::Ordering::Relaxed);
        if let Some(n) = std::env::var("TANDEM_PREVIEW_DROPPED")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            shared
                .dropped_frames
                .store(n, std::sync::atomic::Ordering::Relaxed);
        }
        Self {
            params: Arc::new(PreviewParams::default()),
            shared,
        }
    }
}

/// A bell on a log axis, close enough for a preview curve.
fn bell(f: f32, fc: f32, gain: f32, octaves: f32) -> f32 {
    let x = (f / fc).log2() / octaves;
    gain * (-0.5 * x * x * 4.0).exp()
}

fn eq_curve(grid: &[f32], bands: &[(f32, f32)], out: f32) -> Vec<f32> {
    grid.iter()
        .map(|f| {
            bands
                .iter()
                .map(|(fc, g)| bell(*f, *fc, *g, 1.2))
                .sum::<f32>()
                + out
        })
        .collect()
}

/// The value the suggestion would play for `id` (scaled by amount), else the manual one.
fn suggested_value(s: Option<&Suggestion>, id: &str, manual: f32, amount: f32) -> f32 {
    s.and_then(|s| s.values.get(id))
        .map(|v| dsp_core::assistant::accept::scale(*v, neutral(id), amount))
        .unwrap_or(manual)
}

struct BodyState {
    t: f32,
    meters: gui::IoMeters,
    display: tandem_common::audio::display::Display,
    grid: Vec<f32>,
    selected: usize,
}

impl Plugin for Preview {
    const NAME: &'static str = "Tandem Shell Preview";
    const VENDOR: &'static str = "Tandem";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];

    type Editor = ShellEditor<PreviewParams>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        let shell = Shell::new(
            ShellConfig::new("Tandem EQ", "tonal-balance assistant", theme::accent::EQ),
            self.params.clone(),
            |p| &p.assistant,
            self.shared.clone(),
            neutral,
        );
        let params = self.params.clone();
        let mut st = BodyState {
            t: 0.0,
            meters: Default::default(),
            display: Default::default(),
            grid: gui::spectrum::log_grid(256),
            selected: 0,
        };
        gui::create_editor(params.editor_state.clone(), shell, move |ui, cx| {
            st.t += cx.dt;
            let t = st.t;
            let p = &params;
            let amount = cx.amount;
            let sugg = cx.suggestion;

            // Fake input spectrum: pink-ish tilt, a low-mid bump, slow wobble.
            let pre: Vec<f32> = st
                .grid
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let oct = (f / 1000.0).log2();
                    -38.0 - 3.2 * oct + bell(*f, 260.0, 5.0, 1.0) - bell(*f, 9000.0, 3.0, 1.5)
                        + if *f < 40.0 {
                            -10.0 * (40.0 - f) / 20.0
                        } else {
                            0.0
                        }
                        + if *f > 14000.0 {
                            -(f - 14000.0) / 400.0
                        } else {
                            0.0
                        }
                        + 1.6
                            * ((i as f32 * 0.37 + t * 3.1).sin()
                                * (i as f32 * 0.11 - t * 1.7).cos())
                })
                .collect();
            let manual_bands = [
                (p.b1_freq.value(), p.b1_gain.value()),
                (p.b2_freq.value(), p.b2_gain.value()),
            ];
            let manual_curve = eq_curve(&st.grid, &manual_bands, p.out_gain.value());
            let sv = |id: &str, m: f32| suggested_value(sugg, id, m, amount);
            let sugg_bands = [
                (
                    sv("b1_freq", manual_bands[0].0),
                    sv("b1_gain", manual_bands[0].1),
                ),
                (
                    sv("b2_freq", manual_bands[1].0),
                    sv("b2_gain", manual_bands[1].1),
                ),
            ];
            let suggested_curve =
                eq_curve(&st.grid, &sugg_bands, sv("out_gain", p.out_gain.value()));
            let playing = if cx.compare == Compare::Suggested && sugg.is_some() {
                &suggested_curve
            } else {
                &manual_curve
            };
            let post: Vec<f32> = pre.iter().zip(playing).map(|(a, b)| a + b).collect();
            let target: Vec<f32> = st
                .grid
                .iter()
                .map(|f| -37.0 - 3.0 * (f / 1000.0).log2())
                .collect();

            let nodes: Vec<gui::SpectrumNode> = manual_bands
                .iter()
                .enumerate()
                .map(|(i, (f, g))| gui::SpectrumNode {
                    freq: *f,
                    db: *g,
                    label: format!("{}", i + 1),
                    color: theme::MANUAL,
                    selected: i == st.selected,
                })
                .collect();

            let meters_w = 190.0;
            ui.horizontal_top(|ui| {
                let left_w = ui.available_width() - meters_w - 12.0;
                ui.vertical(|ui| {
                    ui.set_width(left_w);
                    let h = (ui.available_height() - 150.0).max(180.0);
                    let spec = gui::Spectrum::new("preview")
                        .pre(&pre)
                        .post(&post)
                        .target(&target)
                        .manual_curve(&manual_curve)
                        .suggested_curve(&suggested_curve)
                        .nodes(&nodes)
                        .accent(cx.accent)
                        .height(h)
                        .show(ui);
                    if let Some(d) = spec.drag {
                        st.selected = d.index;
                        let (fp, gp) = if d.index == 0 {
                            (&p.b1_freq, &p.b1_gain)
                        } else {
                            (&p.b2_freq, &p.b2_gain)
                        };
                        if d.started {
                            cx.setter.begin_set_parameter(fp);
                            cx.setter.begin_set_parameter(gp);
                        }
                        cx.setter.set_parameter(fp, d.freq);
                        cx.setter.set_parameter(gp, d.db);
                        if d.stopped {
                            cx.setter.end_set_parameter(fp);
                            cx.setter.end_set_parameter(gp);
                        }
                    }
                    if let Some(i) = spec.clicked_node {
                        st.selected = i;
                    }
                    legend(ui);
                    ui.add_space(6.0);
                    ui.horizontal(|ui| {
                        gui::shell::card(ui, |ui| {
                            ui.horizontal(|ui| {
                                Knob::new(&p.b1_freq, cx.setter, "Band 1 Freq")
                                    .color(theme::MANUAL)
                                    .show(ui);
                                Knob::new(&p.b1_gain, cx.setter, "Band 1 Gain")
                                    .color(theme::MANUAL)
                                    .bipolar()
                                    .show(ui);
                                ui.add_space(8.0);
                                Knob::new(&p.b2_freq, cx.setter, "Band 2 Freq")
                                    .color(theme::MANUAL)
                                    .show(ui);
                                Knob::new(&p.b2_gain, cx.setter, "Band 2 Gain")
                                    .color(theme::MANUAL)
                                    .bipolar()
                                    .show(ui);
                                ui.add_space(8.0);
                                Knob::new(&p.out_gain, cx.setter, "Output")
                                    .bipolar()
                                    .show(ui);
                            });
                        });
                    });
                });
                ui.add_space(4.0);
                ui.vertical(|ui| {
                    ui.set_width(meters_w);
                    let h = (ui.available_height()
                        - gui::meters::LOUDNESS_READOUT_HEIGHT
                        - gui::meters::TRUE_PEAK_READOUT_HEIGHT
                        - 24.0)
                        .max(160.0);
                    let lvl = |ph: f32| -9.0 + 5.0 * (t * 2.3 + ph).sin() * (t * 0.7 + ph).cos();
                    let ins = [lvl(0.0), lvl(0.8)];
                    let outs = [lvl(0.3) + 1.5, lvl(1.1) + 1.5];
                    for (c, (i, o)) in ins.iter().zip(outs).enumerate() {
                        st.display.in_peak_db[c].store(*i, Ordering::Relaxed);
                        st.display.out_peak_db[c].store(o, Ordering::Relaxed);
                    }
                    let gr = 3.0 + 2.0 * (t * 1.3).sin().abs();
                    st.meters
                        .show(ui, &st.display, cx.dt, egui::vec2(60.0, h), |ui| {
                            gui::gain_reduction_meter(ui, egui::vec2(52.0, h), gr, 24.0);
                        });
                    ui.add_space(6.0);
                    gui::loudness_readout(
                        ui,
                        &gui::Loudness {
                            momentary: -12.9 + (t * 1.9).sin(),
                            short_term: -13.6 + 0.3 * (t * 0.5).sin(),
                            integrated: -13.8,
                            target: Some(-14.0),
                        },
                    );
                    ui.add_space(4.0);
                    gui::true_peak_readout(ui, -0.7, -1.0);
                });
            });
        })
    }

    fn process(
        &mut self,
        _buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Pass-through: the buffer already holds the input.
        ProcessStatus::Normal
    }
}

fn legend(ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        let item = |ui: &mut egui::Ui, color: egui::Color32, dashed: bool, text: &str| {
            let (r, _) = ui.allocate_exact_size(egui::vec2(18.0, 12.0), egui::Sense::hover());
            let y = r.center().y;
            if dashed {
                ui.painter().extend(egui::Shape::dashed_line(
                    &[egui::pos2(r.left(), y), egui::pos2(r.right(), y)],
                    egui::Stroke::new(2.0, color),
                    4.0,
                    3.0,
                ));
            } else {
                ui.painter()
                    .hline(r.x_range(), y, egui::Stroke::new(2.0, color));
            }
            ui.label(egui::RichText::new(text).size(11.0).color(theme::TEXT_DIM));
            ui.add_space(8.0);
        };
        item(ui, theme::TEXT_DIM, false, "input");
        item(ui, theme::accent::EQ, false, "output");
        item(
            ui,
            egui::Color32::from_rgb(0xc8, 0xcf, 0xda),
            true,
            "target",
        );
        item(ui, theme::MANUAL, false, "manual EQ");
        item(ui, theme::SUGGESTED, true, "suggested EQ");
    });
}

fn main() {
    nice_export_standalone::<Preview>();
}
