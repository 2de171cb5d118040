//! The reference-track row of the EQ and Master editors: a typed path, a *Browse…* file chooser
//! drawn in egui (no GTK or portal: it works inside any host's window), *Load*, a spinner with
//! *Cancel* while the track is read, and what was loaded or why not.
//!
//! Choosing a file in the chooser loads it at once; a typed path loads with *Load* (or Enter).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{RichText, Ui};
use egui_file::FileDialog;

use super::theme;
use crate::reference::{ReferenceSlot, REFERENCE_LIMIT_TEXT};

/// What the reference loader of a plugin reads (the same signature as
/// [`ReferenceSlot::load_in_background`] takes).
pub type Loader<T> = fn(&Path, &dyn Fn() -> bool) -> Result<T, String>;

/// True for the files the chooser lists: WAV (any case of the extension).
pub fn is_wav(path: &Path) -> bool {
    path.extension()
        .and_then(OsStr::to_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("wav") || e.eq_ignore_ascii_case("wave"))
}

/// The editor-side state of the row (kept across frames by the editor).
#[derive(Default)]
pub struct ReferencePicker {
    /// The typed (or last chosen) path.
    pub path: String,
    dialog: Option<FileDialog>,
}

impl ReferencePicker {
    /// The folder the chooser opens in: the typed path's folder when it exists, else the home
    /// folder, else the current one.
    fn start_folder(&self) -> PathBuf {
        let typed = PathBuf::from(self.path.trim());
        let folder = if typed.is_dir() {
            Some(typed)
        } else {
            typed.parent().filter(|p| p.is_dir()).map(Path::to_path_buf)
        };
        folder
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Draws the row into `ui` (a horizontal layout). `describe` says what a loaded reference
    /// is (its name, and for Master its loudness).
    pub fn show<T: Clone + Send + 'static>(
        &mut self,
        ui: &mut Ui,
        slot: &Arc<ReferenceSlot<T>>,
        load: Loader<T>,
        describe: impl Fn(&T) -> String,
        width: f32,
    ) {
        let edit = ui.add(
            egui::TextEdit::singleline(&mut self.path)
                .hint_text("/path/to/reference.wav (WAV, up to 30 min)")
                .desired_width(width),
        );
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui
            .button("Browse…")
            .on_hover_text("Choose a WAV file")
            .clicked()
        {
            let filter = Box::new(|p: &Path| is_wav(p));
            let mut dialog = FileDialog::open_file()
                .title("Reference track")
                .initial_path(self.start_folder())
                .show_files_filter(filter)
                .show_new_folder(false)
                .show_rename(false);
            dialog.open();
            self.dialog = Some(dialog);
        }
        let mut chosen = None;
        if let Some(dialog) = &mut self.dialog {
            if dialog.show(ui.ctx()).selected() {
                chosen = dialog.path().map(Path::to_path_buf);
            }
            if !dialog.visible() {
                self.dialog = None;
            }
        }
        let clicked = ui
            .button("Load")
            .on_hover_text(REFERENCE_LIMIT_TEXT)
            .clicked();
        if let Some(p) = chosen {
            self.path = p.display().to_string();
            slot.load_in_background(p, load);
        } else if (clicked || enter) && !self.path.trim().is_empty() {
            slot.load_in_background(PathBuf::from(self.path.trim()), load);
        }
        if slot.is_loading() {
            ui.spinner();
            if ui.small_button("Cancel").clicked() {
                slot.cancel_loading();
            }
        }
        match (slot.get(), slot.error()) {
            (_, Some(e)) => {
                ui.label(RichText::new(e).color(theme::DANGER));
            }
            (Some(r), None) => {
                ui.label(RichText::new(describe(&r)).color(theme::OK));
            }
            (None, None) => {
                ui.label(RichText::new("No reference loaded").color(theme::WARN));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chooser_lists_wav_files_only() {
        assert!(is_wav(Path::new("/a/mix.wav")));
        assert!(is_wav(Path::new("/a/MIX.WAV")));
        assert!(is_wav(Path::new("b.Wave")));
        assert!(!is_wav(Path::new("/a/mix.flac")));
        assert!(!is_wav(Path::new("/a/wav")));
        assert!(!is_wav(Path::new("/a/mix.wav.txt")));
    }

    #[test]
    fn the_chooser_opens_in_the_typed_folder() {
        let dir = std::env::temp_dir();
        let mut p = ReferencePicker {
            path: dir.join("no-such-file.wav").display().to_string(),
            ..Default::default()
        };
        assert_eq!(p.start_folder(), dir);
        p.path = dir.display().to_string();
        assert_eq!(p.start_folder(), dir);
    }
}
