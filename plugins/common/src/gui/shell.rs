//! The common editor frame of the Tandem plugins.
//!
//! ```text
//! ┌ header: name · Manual|Suggested · level offset ········· match levels · amount ┐
//! │                                                        │ suggestion panel:     │
//! │   plugin body (the plugin draws its own controls)      │  items with reasons,  │
//! │                                                        │  confidence, Accept,  │
//! │                                                        │  Accept all           │
//! └ status: learning… / stable · Restart learning · dropped frames ···· target ────┘
//! ```
//!
//! The shell only reads snapshots and atomics ([`AssistantShared`], the suggestion store, the
//! parameters). It writes parameters only through host gestures (the compare switch, match
//! levels, amount, Accept) and sets `restart_requested` for the learn button.

use super::accept::ParamIndex;
use super::controls::{param_slider, param_toggle, segmented};
use super::editor::{EditorState, TandemEditor};
use super::theme;
use crate::audio::compare::{AssistantParams, Compare};
use crate::audio::display::Display;
use crate::audio::shared::AssistantShared;
use dsp_core::assistant::accept::{changes, Selection};
use dsp_core::assistant::Suggestion;
use egui::{Color32, CornerRadius, FontId, Margin, RichText, Sense, Stroke, Ui, Vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{ParamSetter, Params};
use nice_plug_egui::NiceEguiApp;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Repaint interval while something moves (meters, learning, a new suggestion): about 30 fps.
pub const REPAINT_MOVING: Duration = Duration::from_millis(33);
/// Repaint interval once nothing has moved for [`MOTION_HOLD`]: the editor idles cheaply
/// (software GL redraws the whole window each frame) and input still repaints at once.
pub const REPAINT_IDLE: Duration = Duration::from_millis(500);
/// How long after the last motion the editor keeps [`REPAINT_MOVING`] (peak holds and the
/// meters' fall take about this long to settle).
pub const MOTION_HOLD: Duration = Duration::from_secs(3);
/// A meter above this (dBFS) counts as audio playing.
const AUDIBLE_DB: f32 = -100.0;

/// Static look and naming of one plugin's editor.
#[derive(Debug, Clone)]
pub struct ShellConfig {
    /// Plugin name in the header, e.g. "Tandem EQ".
    pub name: &'static str,
    /// What its assistant does, e.g. "tonal-balance assistant".
    pub tagline: &'static str,
    /// Accent colour (see [`theme::accent`]).
    pub accent: Color32,
    /// Width of the suggestion panel, points.
    pub panel_width: f32,
    /// Smallest window size, logical points.
    pub min_size: (f32, f32),
    /// Largest window size, logical points.
    pub max_size: (f32, f32),
    /// Whether level matching turns a quieter suggestion up (false for a chain that ends in a
    /// ceiling); only changes the wording next to the switch.
    pub boost_quieter_suggestion: bool,
}

impl ShellConfig {
    /// A config with the default panel width and size limits.
    pub fn new(name: &'static str, tagline: &'static str, accent: Color32) -> Self {
        Self {
            name,
            tagline,
            accent,
            panel_width: 320.0,
            min_size: (860.0, 540.0),
            max_size: (2400.0, 1600.0),
            boost_quieter_suggestion: true,
        }
    }
}

/// What the plugin body gets each frame.
pub struct ShellCtx<'a> {
    /// Writes parameters through host gestures.
    pub setter: &'a ParamSetter<'a>,
    /// The current suggestion (a snapshot; `None` until the assistant proposes).
    pub suggestion: Option<&'a Suggestion>,
    /// The compare switch position.
    pub compare: Compare,
    /// The amount (0–1) the suggestion is scaled by.
    pub amount: f32,
    /// The assistant's shared state (learn progress, level offset…).
    pub shared: &'a AssistantShared,
    /// The plugin's accent colour.
    pub accent: Color32,
    /// Seconds since the previous frame (for peak holds and smoothing).
    pub dt: f32,
}

/// A plugin's neutral value for a parameter ID (what `amount` = 0 scales towards), `None` for
/// parameters without one (frequencies, modes).
pub type NeutralFn = Box<dyn Fn(&str) -> Option<f32> + Send + Sync>;

/// The small line under a plugin's curves: `what` the solid and dashed curves are, then which
/// set is playing (the suggested one only while Compare is on Suggested and there is one).
pub fn curve_legend(ui: &mut Ui, cx: &ShellCtx, what: &str) {
    let playing = if cx.compare == Compare::Suggested && cx.suggestion.is_some() {
        "Suggested"
    } else {
        "Manual"
    };
    ui.label(
        RichText::new(format!("{what} \u{00b7} playing: {playing}"))
            .small()
            .color(theme::TEXT_DIM),
    );
}

/// A plugin body's layout: the controls on the left, a column of `right_width` (logical pixels)
/// on the right for the meters, 4 px apart. Both halves get the body's state in turn.
pub fn with_meter_column<T>(
    ui: &mut Ui,
    right_width: f32,
    state: &mut T,
    left: impl FnOnce(&mut Ui, &mut T),
    right: impl FnOnce(&mut Ui, &mut T),
) {
    ui.horizontal_top(|ui| {
        let left_width = ui.available_width() - right_width - 12.0;
        ui.vertical(|ui| {
            ui.set_width(left_width);
            left(ui, state);
        });
        ui.add_space(4.0);
        ui.vertical(|ui| {
            ui.set_width(right_width);
            right(ui, state);
        });
    });
}

/// The text next to the compare switch. `offset_lu` is suggested minus manual loudness.
pub fn level_offset_text(offset_lu: f32, match_levels: bool, boost_quieter: bool) -> String {
    if !offset_lu.is_finite() {
        return "Level difference not measured yet".into();
    }
    let a = offset_lu.abs();
    if a < 0.05 {
        return "Both sets play equally loud".into();
    }
    let dir = if offset_lu > 0.0 { "louder" } else { "quieter" };
    let action = match (match_levels, offset_lu > 0.0, boost_quieter) {
        (false, _, _) => "not level-matched",
        (true, true, _) => "trimmed",
        (true, false, true) => "raised to match",
        (true, false, false) => "not raised (the ceiling holds)",
    };
    format!("Suggested is {a:.1} LU {dir} \u{2014} {action}")
}

/// The learn progress line.
pub fn learn_text(heard_seconds: f32, stable: bool) -> String {
    if stable {
        // Listening goes on after the hold: the figure is what has been heard so far.
        format!("Suggestion held \u{2014} still listening, {heard_seconds:.1} s heard")
    } else if heard_seconds.is_nan() || heard_seconds <= 0.05 {
        "Waiting for audio\u{2026}".into()
    } else {
        format!("Learning\u{2026} {heard_seconds:.1} s heard")
    }
}

/// "72 %".
pub fn percent(confidence: f32) -> String {
    format!("{:.0} %", (confidence.clamp(0.0, 1.0) * 100.0))
}

/// Parameter writes: (stable ID, plain value).
pub type Changes = Vec<(String, f32)>;

/// The pending writes of every item and of "Accept all", for the current manual values.
pub fn pending_changes(
    suggestion: &Suggestion,
    manual: &BTreeMap<String, f32>,
    amount: f32,
    neutral: &dyn Fn(&str) -> Option<f32>,
) -> (Vec<Changes>, Changes) {
    let items = suggestion
        .items
        .iter()
        .map(|item| {
            changes(
                suggestion,
                manual,
                Selection::Item(&item.key),
                amount,
                neutral,
            )
        })
        .collect();
    let all = changes(suggestion, manual, Selection::All, amount, neutral);
    (items, all)
}

/// How many proposals (items that change something) still have writes pending.
pub fn proposals_open(item_changes: &[Changes]) -> usize {
    item_changes.iter().filter(|c| !c.is_empty()).count()
}

/// The editor frame. Build one in `Plugin::editor()` and hand it to [`create_editor`], or call
/// [`Shell::show`] from your own `NiceEguiApp`.
pub struct Shell<P: Params> {
    config: ShellConfig,
    params: Arc<P>,
    assistant: fn(&P) -> &AssistantParams,
    shared: Arc<AssistantShared>,
    neutral: NeutralFn,
    index: ParamIndex,
    cached: Option<Suggestion>,
    cached_generation: Option<u32>,
    toast: Option<(String, f64)>,
    /// The meters' source, when the plugin gives it (see [`Self::with_display`]).
    display: Option<Arc<Display>>,
    motion: Motion,
}

/// What the editor saw move, for its repaint rate (see [`Shell::with_display`]).
#[derive(Debug, Clone, Copy, Default)]
struct Motion {
    /// Last frame's (analysed frames, meter readings, heard seconds, suggestion generation).
    key: (u64, u64, f32, Option<u32>),
    last: Option<Instant>,
}

impl Motion {
    /// This frame's repaint interval: [`REPAINT_MOVING`] when audio flows and is `audible`, the
    /// heard seconds or the suggestion changed, or a `notice` shows, and for [`MOTION_HOLD`]
    /// after; [`REPAINT_IDLE`] otherwise. Audio flows when the analysed frames advanced or the
    /// audio thread's meter readings changed: the readings alone keep the meters at full rate
    /// while the analysis thread is busy solving (Master's solve takes a while), and the
    /// frames alone while a steady tone holds the readings.
    fn interval(
        &mut self,
        key: (u64, u64, f32, Option<u32>),
        audible: bool,
        notice: bool,
        now: Instant,
    ) -> Duration {
        let flows = key.0 != self.key.0 || key.1 != self.key.1;
        let moved = (flows && audible) || key.2 != self.key.2 || key.3 != self.key.3 || notice;
        self.key = key;
        if moved {
            self.last = Some(now);
        }
        match self.last {
            Some(t) if now.duration_since(t) < MOTION_HOLD => REPAINT_MOVING,
            _ => REPAINT_IDLE,
        }
    }
}

impl<P: Params> Shell<P> {
    /// `assistant` picks the nested [`AssistantParams`] out of the plugin's params; `neutral` is the
    /// same neutral-value function the plugin's compare switch uses.
    pub fn new(
        config: ShellConfig,
        params: Arc<P>,
        assistant: fn(&P) -> &AssistantParams,
        shared: Arc<AssistantShared>,
        neutral: impl Fn(&str) -> Option<f32> + Send + Sync + 'static,
    ) -> Self {
        let index = ParamIndex::new(params.as_ref());
        Self {
            config,
            params,
            assistant,
            shared,
            neutral: Box::new(neutral),
            index,
            cached: None,
            cached_generation: None,
            toast: None,
            display: None,
            motion: Motion::default(),
        }
    }

    /// Lets the shell see the plugin's meters, so the editor repaints at full rate only while
    /// audio plays or learning moves, and idles at [`REPAINT_IDLE`] otherwise. Without it the
    /// editor repaints at [`REPAINT_MOVING`] always.
    pub fn with_display(mut self, display: Arc<Display>) -> Self {
        self.display = Some(display);
        self
    }

    /// How soon to repaint without input (see [`Motion::interval`]).
    fn repaint_interval(&mut self) -> Duration {
        let Some(display) = &self.display else {
            return REPAINT_MOVING;
        };
        let peaks = display.in_peak_db.iter().chain(&display.out_peak_db);
        let audible = peaks
            .clone()
            .any(|a| a.load(Ordering::Relaxed) > AUDIBLE_DB);
        let readings = peaks.fold(0u64, |acc, a| {
            acc.rotate_left(16) ^ u64::from(a.load(Ordering::Relaxed).to_bits())
        });
        let key = (
            self.shared.analysed_frames.load(Ordering::Relaxed),
            readings,
            self.shared.heard_seconds.load(Ordering::Relaxed),
            self.cached_generation,
        );
        let notice = self.toast.is_some();
        self.motion.interval(key, audible, notice, Instant::now())
    }

    /// The config this shell was built with.
    pub fn config(&self) -> &ShellConfig {
        &self.config
    }

    /// The plugin's parameters.
    pub fn params(&self) -> &Arc<P> {
        &self.params
    }

    fn refresh_suggestion(&mut self) {
        let generation = self.shared.store.generation();
        if self.cached_generation != Some(generation) {
            self.cached = self.shared.store.suggestion();
            self.cached_generation = Some(generation);
        }
    }

    /// Draws the whole frame into `ui` (the window's root ui) and calls `body` for the central
    /// area.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        body: impl FnOnce(&mut Ui, &ShellCtx),
    ) {
        self.refresh_suggestion();
        super::probe::mark(ui.ctx(), "window", ui.max_rect());
        // Meters and learn progress move without input: ~30 fps while they do, a few frames a
        // second once everything is still.
        let interval = self.repaint_interval();
        ui.ctx().request_repaint_after(interval);
        let params = self.params.clone();
        let assistant = (self.assistant)(&params);

        egui::Panel::top("tandem_header")
            .exact_size(56.0)
            .frame(
                egui::Frame::new()
                    .fill(theme::PANEL)
                    .inner_margin(Margin::symmetric(16, 0))
                    .stroke(Stroke::new(1.0, theme::LINE)),
            )
            .show(ui, |ui| self.header(ui, setter, assistant));

        egui::Panel::bottom("tandem_status")
            .exact_size(32.0)
            .frame(
                egui::Frame::new()
                    .fill(theme::PANEL)
                    .inner_margin(Margin::symmetric(16, 0))
                    .stroke(Stroke::new(1.0, theme::LINE)),
            )
            .show(ui, |ui| self.status_bar(ui));

        egui::Panel::right("tandem_suggestion")
            .exact_size(self.config.panel_width)
            .resizable(false)
            .frame(
                egui::Frame::new()
                    .fill(theme::PANEL)
                    .inner_margin(Margin::same(14))
                    .stroke(Stroke::new(1.0, theme::LINE)),
            )
            .show(ui, |ui| self.suggestion_panel(ui, setter, assistant));

        let dt = ui.input(|i| i.stable_dt).min(0.25);
        egui::CentralPanel::default()
            .frame(
                egui::Frame::new()
                    .fill(theme::BG)
                    .inner_margin(Margin::same(14)),
            )
            .show(ui, |ui| {
                let cx = ShellCtx {
                    setter,
                    suggestion: self.cached.as_ref(),
                    compare: assistant.compare.value(),
                    amount: assistant.amount.value(),
                    shared: &self.shared,
                    accent: self.config.accent,
                    dt,
                };
                body(ui, &cx);
            });
        self.publish_probe(ui.ctx(), assistant);
    }

    /// The editor probe's snapshot (only with `TANDEM_EDITOR_PROBE` set, see [`super::probe`]).
    fn publish_probe(&self, ctx: &egui::Context, assistant: &AssistantParams) {
        super::probe::publish(ctx, || {
            let manual = self.index.manual_values();
            let amount = assistant.amount.value();
            let (suggested, items, open) = match &self.cached {
                Some(s) => {
                    let (item_changes, _) = pending_changes(s, &manual, amount, &*self.neutral);
                    let values = s
                        .items
                        .iter()
                        .flat_map(|i| i.values.iter().map(|(k, v)| (k.clone(), *v)))
                        .collect();
                    (values, s.items.len(), proposals_open(&item_changes))
                }
                None => (BTreeMap::new(), 0, 0),
            };
            super::probe::Snapshot {
                manual,
                suggested,
                items,
                open_proposals: open,
                compare: format!("{:?}", assistant.compare.value()),
                amount,
                heard_seconds: self.shared.heard_seconds.load(Ordering::Relaxed),
                stable: self.shared.stable.load(Ordering::Relaxed),
                analysed_frames: self.shared.analysed_frames.load(Ordering::Relaxed),
                dropped_frames: self.shared.dropped_frames.load(Ordering::Relaxed),
                ..Default::default()
            }
        });
    }

    fn header(&mut self, ui: &mut Ui, setter: &ParamSetter, assistant: &AssistantParams) {
        ui.horizontal_centered(|ui| {
            // Brand: accent mark, name, tagline.
            let (mark, _) = ui.allocate_exact_size(Vec2::new(6.0, 26.0), Sense::hover());
            ui.painter()
                .rect_filled(mark, CornerRadius::same(2), self.config.accent);
            ui.vertical(|ui| {
                ui.add_space(9.0);
                ui.label(
                    RichText::new(self.config.name)
                        .size(17.0)
                        .strong()
                        .color(Color32::WHITE),
                );
                ui.label(
                    RichText::new(self.config.tagline)
                        .size(11.0)
                        .color(theme::TEXT_DIM),
                );
            });
            ui.add_space(22.0);
            separator(ui);
            ui.add_space(14.0);

            let has = self.cached.is_some();
            segmented(
                ui,
                &assistant.compare,
                setter,
                &[theme::MANUAL, theme::SUGGESTED],
                &[true, has || assistant.compare.value() == Compare::Suggested],
            );
            ui.add_space(10.0);
            let offset = self.shared.level_offset_lu.load(Ordering::Relaxed);
            let text = if has {
                level_offset_text(
                    offset,
                    assistant.match_levels.value(),
                    self.config.boost_quieter_suggestion,
                )
            } else {
                "No suggestion to compare yet".into()
            };
            ui.add(
                egui::Label::new(RichText::new(text).size(12.0).color(theme::TEXT_DIM))
                    .truncate(),
            );

            // Right-hand block: match levels and amount, pushed to the right edge.
            let block = 400.0;
            let gap = ui.available_width() - block;
            if gap > 0.0 {
                ui.add_space(gap);
            }
            param_toggle(ui, "Match levels", &assistant.match_levels, setter).on_hover_text(
                "Trim the louder of Manual and Suggested so both play equally loud: louder never wins by accident.",
            );
            ui.add_space(14.0);
            ui.scope(|ui| {
                ui.visuals_mut().selection.bg_fill = theme::SUGGESTED;
                let r = param_slider(ui, "Amount", &assistant.amount, setter, 120.0)
                    .on_hover_text("Scales the suggestion from neutral (0 %) to full (100 %).");
                super::probe::mark(ui.ctx(), "amount", r.rect);
            });
        });
    }

    fn status_bar(&mut self, ui: &mut Ui) {
        ui.horizontal_centered(|ui| {
            let heard = self.shared.heard_seconds.load(Ordering::Relaxed);
            let stable = self.shared.stable.load(Ordering::Relaxed);
            let (dot, _) = ui.allocate_exact_size(Vec2::splat(10.0), Sense::hover());
            let color = if stable {
                theme::OK
            } else if heard > 0.05 {
                // Pulses while learning.
                let t = ui.input(|i| i.time) as f32;
                theme::SUGGESTED.gamma_multiply(0.55 + 0.45 * (t * 4.0).sin().abs())
            } else {
                theme::TEXT_DIM
            };
            ui.painter().circle_filled(dot.center(), 4.5, color);
            ui.label(
                RichText::new(learn_text(heard, stable))
                    .size(12.0)
                    .color(theme::TEXT),
            );
            ui.add_space(6.0);
            let restart = ui
                .add(egui::Button::new(RichText::new("Restart learning").size(12.0)).small())
                .on_hover_text("Forget what the assistant heard and listen again from now.");
            super::probe::mark(ui.ctx(), "restart_learning", restart.rect);
            if restart.clicked() {
                self.shared.restart_requested.store(true, Ordering::Release);
            }
            if let Some(t) =
                crate::audio::shared::fault_text(self.shared.faults.load(Ordering::Relaxed))
            {
                ui.add_space(10.0);
                ui.label(RichText::new(t).size(12.0).color(theme::WARN))
                    .on_hover_text(
                        "The analysis thread met a fault and was caught; the audio and your settings are not affected.",
                    );
            }
            let dropped = self.shared.dropped_frames.load(Ordering::Relaxed);
            if dropped > 0 {
                ui.add_space(10.0);
                ui.label(
                    RichText::new(format!(
                        "{dropped} frames dropped by the analysis"
                    ))
                    .size(12.0)
                    .color(theme::WARN),
                )
                .on_hover_text(
                    "The analysis thread fell behind; the suggestion is based on slightly less audio. Audio output is not affected.",
                );
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(s) = &self.cached {
                    ui.label(
                        RichText::new(format!(
                            "target {} \u{00B7} {} heard \u{00B7} confidence {}",
                            s.target,
                            format_seconds(s.heard_seconds),
                            percent(s.confidence)
                        ))
                        .size(11.5)
                        .color(theme::TEXT_DIM),
                    );
                }
            });
        });
    }

    fn suggestion_panel(&mut self, ui: &mut Ui, setter: &ParamSetter, assistant: &AssistantParams) {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("ASSISTANT")
                    .size(11.0)
                    .strong()
                    .color(theme::TEXT_DIM),
            );
            if let Some(s) = &self.cached {
                chip(ui, &s.target, self.config.accent);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(
                        RichText::new(percent(s.confidence))
                            .monospace()
                            .size(12.0)
                            .color(theme::TEXT),
                    );
                    ui.label(
                        RichText::new("confidence")
                            .size(11.0)
                            .color(theme::TEXT_DIM),
                    );
                });
            }
        });
        ui.add_space(6.0);

        let Some(suggestion) = self.cached.clone() else {
            card(ui, |ui| {
                ui.label(
                    RichText::new("No suggestion yet")
                        .size(14.0)
                        .strong()
                        .color(theme::TEXT),
                );
                ui.label(
                    RichText::new(
                        "Play the track. The assistant listens, then proposes changes here \u{2014} you decide what to accept.",
                    )
                    .size(12.0)
                    .color(theme::TEXT_DIM),
                );
            });
            return;
        };

        let amount = assistant.amount.value();
        let manual = self.index.manual_values();
        let (item_changes, all_changes) =
            pending_changes(&suggestion, &manual, amount, &*self.neutral);
        let mut to_apply: Option<(String, Vec<(String, f32)>)> = None;

        // Bottom block first so it stays pinned: Accept all, toast.
        let now = ui.input(|i| i.time);
        egui::Panel::bottom("tandem_accept_all")
            .frame(egui::Frame::new().inner_margin(Margin {
                left: 0,
                right: 0,
                top: 10,
                bottom: 0,
            }))
            .show_separator_line(false)
            .show(ui, |ui| {
                if let Some((msg, t)) = &self.toast {
                    if now - t < 4.0 {
                        ui.label(RichText::new(msg).size(11.5).color(theme::OK));
                    }
                }
                // Count what the engineer sees: the proposals still to accept, not parameters.
                let n = all_changes.len();
                let open = proposals_open(&item_changes);
                let label = if n == 0 {
                    "Everything accepted".to_string()
                } else {
                    format!(
                        "Accept all  ({open} proposal{})",
                        if open == 1 { "" } else { "s" }
                    )
                };
                let button = egui::Button::new(
                    RichText::new(label)
                        .size(13.5)
                        .strong()
                        .color(if n == 0 { theme::TEXT_DIM } else { theme::PLOT_BG }),
                )
                .fill(if n == 0 {
                    theme::CARD
                } else {
                    theme::SUGGESTED
                })
                .min_size(Vec2::new(ui.available_width(), 32.0));
                let accept_all = ui.add_enabled(n > 0, button);
                super::probe::mark(ui.ctx(), "accept_all", accept_all.rect);
                if accept_all
                    .on_hover_text(if amount < 0.999 {
                        format!("Writes the suggestion at {} amount into your settings (one undo step in most hosts).", percent(amount))
                    } else {
                        "Writes the whole suggestion into your settings (one undo step in most hosts).".to_string()
                    })
                    .clicked()
                {
                    to_apply = Some(("all suggestions".into(), all_changes.clone()));
                }
                if amount < 0.999 {
                    ui.label(
                        RichText::new(format!("applied at {} amount", percent(amount)))
                            .size(11.0)
                            .color(theme::TEXT_DIM),
                    );
                }
            });

        let mut take_newer = false;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if self.shared.newer_ready.load(Ordering::Acquire) {
                    let heard = self.shared.heard_seconds.load(Ordering::Relaxed);
                    card(ui, |ui| {
                        ui.label(
                            RichText::new("A newer suggestion is ready")
                                .size(13.0)
                                .strong()
                                .color(theme::SUGGESTED),
                        );
                        ui.label(
                            RichText::new(format!(
                                "The music has moved on since this one was held: a suggestion from the {} heard would differ. Nothing changes until you update.",
                                format_seconds(heard)
                            ))
                            .size(12.0)
                            .color(theme::TEXT_DIM),
                        );
                        if ui
                            .button(RichText::new("Update").size(12.0).strong())
                            .clicked()
                        {
                            take_newer = true;
                        }
                    });
                    ui.add_space(8.0);
                }
                for warning in &suggestion.warnings {
                    egui::Frame::new()
                        .fill(theme::WARN.gamma_multiply(0.12))
                        .stroke(Stroke::new(1.0, theme::WARN.gamma_multiply(0.6)))
                        .corner_radius(theme::RADIUS)
                        .inner_margin(Margin::same(8))
                        .show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            ui.label(
                                RichText::new(warning.as_str())
                                    .size(12.0)
                                    .color(theme::WARN),
                            );
                        });
                    ui.add_space(6.0);
                }
                if suggestion.items.is_empty() {
                    ui.label(
                        RichText::new("Nothing to change: your settings already match.")
                            .size(12.0)
                            .color(theme::TEXT_DIM),
                    );
                }
                for (item, pending) in suggestion.items.iter().zip(&item_changes) {
                    card(ui, |ui| {
                        // The title gets the whole width and wraps; the button and the state
                        // sit on their own row, so neither covers the title.
                        ui.add(
                            egui::Label::new(
                                RichText::new(&item.title)
                                    .size(13.5)
                                    .strong()
                                    .color(theme::TEXT),
                            )
                            .wrap(),
                        );
                        ui.horizontal(|ui| {
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    if item.values.is_empty() {
                                        // A finding that proposes no change ("nothing to do").
                                        ui.label(
                                            RichText::new("No change")
                                                .size(12.0)
                                                .color(theme::TEXT_DIM),
                                        );
                                    } else if pending.is_empty() {
                                        ui.label(
                                            RichText::new("Applied").size(12.0).color(theme::OK),
                                        );
                                    } else if ui
                                        .add(
                                            egui::Button::new(
                                                RichText::new("Accept")
                                                    .size(12.0)
                                                    .strong()
                                                    .color(theme::PLOT_BG),
                                            )
                                            .fill(theme::SUGGESTED),
                                        )
                                        .on_hover_text(change_summary(pending))
                                        .clicked()
                                    {
                                        to_apply = Some((item.title.clone(), pending.clone()));
                                    }
                                },
                            );
                        });
                        ui.label(
                            RichText::new(&item.reason)
                                .size(12.0)
                                .color(theme::TEXT_DIM),
                        );
                        ui.add_space(2.0);
                        confidence_bar(ui, item.confidence);
                    });
                    ui.add_space(8.0);
                }
            });

        if take_newer && self.shared.take_newer() {
            self.toast = Some(("Updated to the newer suggestion".into(), now));
        }
        if let Some((what, writes)) = to_apply {
            let n = self.index.apply(setter, &writes);
            self.toast = Some((
                format!(
                    "Accepted {what}: {n} parameter{} written",
                    if n == 1 { "" } else { "s" }
                ),
                now,
            ));
        }
    }
}

fn format_seconds(s: f32) -> String {
    if s >= 60.0 {
        format!("{}:{:02} min", (s / 60.0) as u32, (s % 60.0) as u32)
    } else {
        format!("{s:.0} s")
    }
}

fn change_summary(changes: &[(String, f32)]) -> String {
    let mut s = String::from("Writes ");
    for (i, (id, v)) in changes.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&format!("{id} = {v:.2}"));
    }
    s
}

fn separator(ui: &mut Ui) {
    let (r, _) = ui.allocate_exact_size(Vec2::new(1.0, 30.0), Sense::hover());
    ui.painter()
        .vline(r.center().x, r.y_range(), Stroke::new(1.0, theme::LINE));
}

fn chip(ui: &mut Ui, text: &str, color: Color32) {
    egui::Frame::new()
        .fill(color.gamma_multiply(0.18))
        .stroke(Stroke::new(1.0, color.gamma_multiply(0.7)))
        .corner_radius(10)
        .inner_margin(Margin::symmetric(8, 1))
        .show(ui, |ui| {
            ui.label(RichText::new(text).size(11.0).color(color));
        });
}

/// A framed card filling the width.
pub fn card<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    egui::Frame::new()
        .fill(theme::CARD)
        .stroke(Stroke::new(1.0, theme::LINE))
        .corner_radius(theme::RADIUS)
        .inner_margin(Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}

/// A thin confidence bar with the percentage after it.
pub fn confidence_bar(ui: &mut Ui, confidence: f32) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("confidence")
                .size(11.0)
                .color(theme::TEXT_DIM),
        );
        let w = (ui.available_width() - 44.0).max(30.0);
        let (r, _) = ui.allocate_exact_size(Vec2::new(w, 14.0), Sense::hover());
        let bar = egui::Rect::from_center_size(r.center(), Vec2::new(r.width(), 5.0));
        ui.painter().rect_filled(bar, 2.5, theme::PLOT_BG);
        let c = confidence.clamp(0.0, 1.0);
        let mut fill = bar;
        fill.set_width(bar.width() * c);
        let color = if c >= 0.7 {
            theme::OK
        } else if c >= 0.4 {
            theme::SUGGESTED
        } else {
            theme::TEXT_DIM
        };
        ui.painter().rect_filled(fill, 2.5, color);
        ui.label(
            RichText::new(percent(c))
                .font(FontId::monospace(11.5))
                .color(theme::TEXT),
        );
    });
}

/// The body a plugin draws in the central area.
pub type Body = Box<dyn FnMut(&mut Ui, &ShellCtx) + Send>;

/// The `NiceEguiApp` running a [`Shell`] around a plugin body.
pub struct ShellApp<P: Params> {
    shell: Shell<P>,
    body: Body,
    gui: Option<GuiContext>,
}

impl<P: Params> NiceEguiApp for ShellApp<P> {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        theme::apply(&egui_ctx, self.shell.config.accent);
        self.gui = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        let (min_w, min_h) = self.shell.config.min_size;
        let body = &mut self.body;
        let shell = &mut self.shell;
        nice_plug_egui::resizable_window::ResizableWindow::new("tandem-editor")
            .min_size(Vec2::new(min_w, min_h))
            .show(ui, |ui| shell.show(ui, &setter, |ui, cx| body(ui, cx)));
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

/// The editor type a plugin names in `type Editor = ShellEditor<MyParams>;`.
pub type ShellEditor<P> = TandemEditor<ShellApp<P>>;

/// Builds a plugin's editor: the [`Shell`] around `body`, sized and persisted by
/// `editor_state`. Call from `Plugin::editor()`.
pub fn create_editor<P: Params>(
    editor_state: Arc<EditorState>,
    shell: Shell<P>,
    body: impl FnMut(&mut Ui, &ShellCtx) + Send + 'static,
) -> Option<ShellEditor<P>> {
    let title = shell.config.name.to_string();
    let (min, max) = (shell.config.min_size, shell.config.max_size);
    Some(TandemEditor::new(
        editor_state,
        title,
        min,
        max,
        ShellApp {
            shell,
            body: Box::new(body),
            gui: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp_core::assistant::SuggestionItem;

    /// The editor repaints at full rate while audible audio flows or learning moves, holds
    /// it for MOTION_HOLD after, and idles otherwise: silence flowing (a stopped transport
    /// whose host keeps processing) and a host that stopped calling process with the last
    /// meter value still up both idle.
    #[test]
    fn repaint_rate_follows_motion() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // Meter readings that hold still.
        const R: u64 = 7;
        let mut m = Motion::default();
        assert_eq!(
            m.interval((0, R, 0.0, None), false, false, at(0)),
            REPAINT_IDLE
        );
        // Music: frames flow and the meters are up.
        assert_eq!(
            m.interval((512, R, 0.0, None), true, false, at(10)),
            REPAINT_MOVING
        );
        assert_eq!(
            m.interval((1024, R, 0.1, None), true, false, at(50)),
            REPAINT_MOVING
        );
        // The transport stops: frames of silence keep flowing.
        assert_eq!(
            m.interval((2048, R, 0.1, None), false, false, at(1000)),
            REPAINT_MOVING
        );
        assert_eq!(
            m.interval((4096, R, 0.1, None), false, false, at(3049)),
            REPAINT_MOVING
        );
        assert_eq!(
            m.interval((8192, R, 0.1, None), false, false, at(3051)),
            REPAINT_IDLE
        );
        // The host stops processing with a meter still up: nothing flows, so it idles.
        assert_eq!(
            m.interval((8192, R, 0.1, None), true, false, at(4000)),
            REPAINT_IDLE
        );
        // A new suggestion (learning updated it after the music stopped) or a notice wakes it.
        assert_eq!(
            m.interval((8192, R, 0.1, Some(3)), false, false, at(5000)),
            REPAINT_MOVING
        );
        assert_eq!(
            m.interval((8192, R, 0.1, Some(3)), false, false, at(9000)),
            REPAINT_IDLE
        );
        assert_eq!(
            m.interval((8192, R, 0.1, Some(3)), false, true, at(9100)),
            REPAINT_MOVING
        );
        // Music plays while the analysis thread is busy solving: the frames and the heard
        // seconds stand still, the audio thread's meter readings move.
        let mut m = Motion::default();
        assert_eq!(
            m.interval((8192, R, 0.1, Some(3)), false, false, at(20_000)),
            REPAINT_MOVING
        );
        assert_eq!(
            m.interval((8192, R, 0.1, Some(3)), false, false, at(24_000)),
            REPAINT_IDLE
        );
        for (i, ms) in [24_100, 26_000, 28_000, 30_000].into_iter().enumerate() {
            assert_eq!(
                m.interval((8192, R + 1 + i as u64, 0.1, Some(3)), true, false, at(ms)),
                REPAINT_MOVING,
                "at {ms} ms"
            );
        }
        // The same readings, audible, with nothing flowing: the host stopped; it idles.
        assert_eq!(
            m.interval((8192, R + 4, 0.1, Some(3)), true, false, at(34_000)),
            REPAINT_IDLE
        );
    }

    #[test]
    fn level_offset_wording() {
        assert_eq!(
            level_offset_text(2.31, true, true),
            "Suggested is 2.3 LU louder \u{2014} trimmed"
        );
        assert_eq!(
            level_offset_text(-1.2, true, true),
            "Suggested is 1.2 LU quieter \u{2014} raised to match"
        );
        assert_eq!(
            level_offset_text(2.0, false, true),
            "Suggested is 2.0 LU louder \u{2014} not level-matched"
        );
        assert_eq!(
            level_offset_text(-1.2, true, false),
            "Suggested is 1.2 LU quieter \u{2014} not raised (the ceiling holds)"
        );
        assert_eq!(
            level_offset_text(0.01, true, true),
            "Both sets play equally loud"
        );
        assert_eq!(
            level_offset_text(f32::NAN, true, true),
            "Level difference not measured yet"
        );
    }

    #[test]
    fn learn_wording() {
        assert_eq!(learn_text(0.0, false), "Waiting for audio\u{2026}");
        assert_eq!(learn_text(f32::NAN, false), "Waiting for audio\u{2026}");
        assert_eq!(learn_text(12.44, false), "Learning\u{2026} 12.4 s heard");
        assert_eq!(
            learn_text(18.0, true),
            "Suggestion held \u{2014} still listening, 18.0 s heard"
        );
        assert_eq!(percent(0.724), "72 %");
        assert_eq!(percent(1.7), "100 %");
        assert_eq!(format_seconds(75.0), "1:15 min");
    }

    #[test]
    fn pending_changes_use_neutral_amount_and_manual_values() {
        let mut s = Suggestion::empty("eq", "Balanced");
        s.values.insert("b1_gain".into(), -4.0);
        s.values.insert("b1_freq".into(), 250.0);
        s.values.insert("b2_gain".into(), 2.0);
        s.items.push(SuggestionItem {
            key: "band1".into(),
            title: "Cut 250 Hz".into(),
            values: BTreeMap::from([("b1_gain".into(), -4.0), ("b1_freq".into(), 250.0)]),
            reason: "".into(),
            confidence: 0.8,
        });
        s.items.push(SuggestionItem {
            key: "band2".into(),
            title: "Lift 8 kHz".into(),
            values: BTreeMap::from([("b2_gain".into(), 2.0)]),
            reason: "".into(),
            confidence: 0.6,
        });
        let neutral = |id: &str| id.ends_with("_gain").then_some(0.0);
        // Band 2 already matches at half amount (2.0 × 0.5 = 1.0): it shows as applied.
        let manual = BTreeMap::from([
            ("b1_gain".to_string(), 0.0),
            ("b1_freq".to_string(), 1000.0),
            ("b2_gain".to_string(), 1.0),
        ]);
        let (items, all) = pending_changes(&s, &manual, 0.5, &neutral);
        assert_eq!(
            items[0],
            vec![
                ("b1_freq".to_string(), 250.0),
                ("b1_gain".to_string(), -2.0)
            ]
        );
        assert!(items[1].is_empty());
        assert_eq!(all, items[0]);
        // "Accept all" counts proposals, not parameter writes: one open, two writes.
        assert_eq!(proposals_open(&items), 1);
        assert_eq!(all.len(), 2);
    }
}
