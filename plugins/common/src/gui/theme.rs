//! The Tandem look: a dark, low-glare theme with one accent colour per plugin.

use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle};

/// Window background.
pub const BG: Color32 = Color32::from_rgb(0x15, 0x17, 0x1b);
/// Panels (header, suggestion side panel, status bar).
pub const PANEL: Color32 = Color32::from_rgb(0x1c, 0x1f, 0x25);
/// Cards and framed groups inside panels.
pub const CARD: Color32 = Color32::from_rgb(0x24, 0x28, 0x30);
/// Plot backgrounds (spectrum, meters).
pub const PLOT_BG: Color32 = Color32::from_rgb(0x10, 0x12, 0x15);
/// Thin separators and frames.
pub const LINE: Color32 = Color32::from_rgb(0x33, 0x38, 0x42);
/// Gridlines inside plots.
pub const GRID: Color32 = Color32::from_rgb(0x26, 0x2a, 0x32);
/// Main text.
pub const TEXT: Color32 = Color32::from_rgb(0xdc, 0xe1, 0xe8);
/// Secondary text (reasons, units, axis labels).
pub const TEXT_DIM: Color32 = Color32::from_rgb(0x8b, 0x94, 0xa3);
/// The engineer's settings (manual curve, "Manual" side of the switch).
pub const MANUAL: Color32 = Color32::from_rgb(0x5c, 0xb8, 0xff);
/// The assistant's proposals (suggested curve, confidence bars, Accept buttons).
pub const SUGGESTED: Color32 = Color32::from_rgb(0xf2, 0xa5, 0x4a);
/// Good / in range.
pub const OK: Color32 = Color32::from_rgb(0x5f, 0xd0, 0x8a);
/// Caution (meters near the top).
pub const WARN: Color32 = Color32::from_rgb(0xf0, 0xd0, 0x4a);
/// Over / clipping / dropped audio.
pub const DANGER: Color32 = Color32::from_rgb(0xff, 0x55, 0x55);

/// Accent colours for the three plugins.
pub mod accent {
    use egui::Color32;
    /// Tandem EQ.
    pub const EQ: Color32 = Color32::from_rgb(0x4f, 0xd1, 0xc1);
    /// Tandem Comp.
    pub const COMP: Color32 = Color32::from_rgb(0xb3, 0x8c, 0xff);
    /// Tandem Master.
    pub const MASTER: Color32 = Color32::from_rgb(0xff, 0x8f, 0x70);
}

/// Corner radius used for cards and buttons.
pub const RADIUS: u8 = 4;

/// Installs the Tandem dark theme (visuals, spacing, text sizes) on `ctx`. Call from
/// `NiceEguiApp::build`; the shell does this for you.
pub fn apply(ctx: &egui::Context, accent: Color32) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.set_fonts(fonts());
    ctx.style_mut_of(egui::Theme::Dark, |style| {
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(18.0, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(13.0, FontFamily::Proportional)),
            (
                TextStyle::Monospace,
                FontId::new(12.5, FontFamily::Monospace),
            ),
            (
                TextStyle::Button,
                FontId::new(13.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Small,
                FontId::new(11.0, FontFamily::Proportional),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(10.0, 4.0);
        style.spacing.interact_size.y = 22.0;
        style.spacing.slider_width = 140.0;

        let v = &mut style.visuals;
        v.dark_mode = true;
        v.override_text_color = None;
        v.panel_fill = PANEL;
        v.window_fill = PANEL;
        v.extreme_bg_color = PLOT_BG;
        v.faint_bg_color = CARD;
        v.code_bg_color = CARD;
        v.warn_fg_color = WARN;
        v.error_fg_color = DANGER;
        v.hyperlink_color = accent;
        v.window_stroke = Stroke::new(1.0, LINE);
        v.selection.bg_fill = accent.gamma_multiply(0.55);
        v.selection.stroke = Stroke::new(1.0, accent);
        v.slider_trailing_fill = true;

        let r = CornerRadius::same(RADIUS);
        let w = &mut v.widgets;
        w.noninteractive.bg_fill = PANEL;
        w.noninteractive.weak_bg_fill = PANEL;
        w.noninteractive.bg_stroke = Stroke::new(1.0, LINE);
        w.noninteractive.fg_stroke = Stroke::new(1.0, TEXT);
        w.noninteractive.corner_radius = r;

        w.inactive.bg_fill = Color32::from_rgb(0x2b, 0x30, 0x39);
        w.inactive.weak_bg_fill = Color32::from_rgb(0x2b, 0x30, 0x39);
        w.inactive.bg_stroke = Stroke::new(1.0, Color32::from_rgb(0x3a, 0x40, 0x4b));
        w.inactive.fg_stroke = Stroke::new(1.0, TEXT);
        w.inactive.corner_radius = r;

        w.hovered.bg_fill = Color32::from_rgb(0x34, 0x3a, 0x45);
        w.hovered.weak_bg_fill = Color32::from_rgb(0x34, 0x3a, 0x45);
        w.hovered.bg_stroke = Stroke::new(1.0, accent.gamma_multiply(0.8));
        w.hovered.fg_stroke = Stroke::new(1.5, Color32::WHITE);
        w.hovered.corner_radius = r;

        w.active.bg_fill = accent.gamma_multiply(0.45);
        w.active.weak_bg_fill = accent.gamma_multiply(0.45);
        w.active.bg_stroke = Stroke::new(1.0, accent);
        w.active.fg_stroke = Stroke::new(1.5, Color32::WHITE);
        w.active.corner_radius = r;

        w.open = w.active;
    });
}

/// egui's bundled fonts, with the monospace face (Hack) as the proportional text's last fallback:
/// the reasons use arrows and symbols (→, ≈, ≤) that the proportional face lacks and would draw
/// as empty boxes.
pub fn fonts() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    let mono = fonts
        .families
        .get(&FontFamily::Monospace)
        .and_then(|f| f.first().cloned());
    if let (Some(mono), Some(prop)) = (mono, fonts.families.get_mut(&FontFamily::Proportional)) {
        if !prop.contains(&mono) {
            prop.push(mono);
        }
    }
    fonts
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::epaint::text::{Fonts, TextOptions};

    /// Every character the assistants write into their reasons, titles and warnings draws as a
    /// glyph, not an empty box (the sources of dsp-core's assistants are scanned for them).
    #[test]
    fn every_character_the_assistants_write_has_a_glyph() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dsp-core/src/assistant");
        let mut chars = std::collections::BTreeSet::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let src = std::fs::read_to_string(&p).unwrap();
                    // Only what is inside string literals on non-comment lines.
                    for line in src.lines().filter(|l| !l.trim_start().starts_with("//")) {
                        for (k, part) in line.split('"').enumerate() {
                            if k % 2 == 1 {
                                chars.extend(part.chars().filter(|c| !c.is_ascii()));
                            }
                        }
                    }
                }
            }
        }
        assert!(
            chars.contains(&'→'),
            "the scan found the arrow the reasons use: {chars:?}"
        );
        let mut fonts = Fonts::new(TextOptions::default(), fonts());
        let font = egui::FontId::proportional(13.0);
        let missing: String = chars
            .iter()
            .filter(|c| !fonts.has_glyph(&font, **c))
            .collect();
        assert!(missing.is_empty(), "no glyph for {missing:?}");
        // Without the fallback the arrow has none: the test can fail.
        let mut plain = Fonts::new(TextOptions::default(), egui::FontDefinitions::default());
        assert!(!plain.has_glyph(&font, '→'));
    }
}
