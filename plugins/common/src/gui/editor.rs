//! A resizable egui editor whose window size is persisted with the plugin state.
//!
//! nice-plug-egui's `EguiEditorState` is not serialisable, and `Plugin::editor()` is called once
//! right after the plugin is created — *before* the host restores the state. So the size cannot
//! live in the `EguiEditorState` handed to `create_egui_editor` at that point. Instead:
//!
//! - [`EditorState`] is the persisted field (`#[persist = "editor-state"]`), holding the size in
//!   logical points and the zoom factor, and tracking the live window's size while it is open;
//! - [`TandemEditor`] creates a fresh `EguiEditorState` from the persisted size every time the
//!   host opens the window, and delegates everything else to nice-plug-egui.

use crossbeam::atomic::AtomicCell;
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::{Editor, ParentWindowHandle, ResizeHint, TrackInfo};
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorHandle, EguiEditorState, EguiNiceSettings,
    NiceEguiApp, RepaintNotifier,
};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// The persisted editor geometry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EditorSize {
    /// Width in logical points.
    pub width: f32,
    /// Height in logical points.
    pub height: f32,
    /// User zoom on top of the system scale.
    #[serde(default = "one")]
    pub zoom: f32,
}

fn one() -> f32 {
    1.0
}

impl EditorSize {
    /// This size, grown to at least `min` (width, height) logical points.
    pub fn at_least(self, min: (f32, f32)) -> Self {
        Self {
            width: self.width.max(min.0),
            height: self.height.max(min.1),
            ..self
        }
    }

    /// Clamps to something a window can be (finite, at least 200 × 150, zoom 0.5–4).
    pub fn sanitized(self) -> Self {
        let dim = |v: f32, min: f32, default: f32| {
            if v.is_finite() {
                v.clamp(min, 8192.0)
            } else {
                default
            }
        };
        Self {
            width: dim(self.width, 200.0, 1000.0),
            height: dim(self.height, 150.0, 640.0),
            zoom: if self.zoom.is_finite() {
                self.zoom.clamp(0.5, 4.0)
            } else {
                1.0
            },
        }
    }
}

/// The editor's size, persisted with the plugin state. Put it in the plugin's params:
///
/// ```ignore
/// #[persist = "editor-state"]
/// pub editor_state: Arc<EditorState>,
/// // in Default: editor_state: EditorState::new(1000.0, 640.0),
/// ```
pub struct EditorState {
    stored: AtomicCell<EditorSize>,
    live: Mutex<Option<Arc<EguiEditorState>>>,
}

impl EditorState {
    /// A default size in logical points.
    pub fn new(width: f32, height: f32) -> Arc<Self> {
        Arc::new(Self {
            stored: AtomicCell::new(
                EditorSize {
                    width,
                    height,
                    zoom: 1.0,
                }
                .sanitized(),
            ),
            live: Mutex::new(None),
        })
    }

    /// The current size: the open window's, else the last persisted or restored one.
    pub fn size(&self) -> EditorSize {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        match live.as_ref() {
            Some(state) => {
                let logical = match state.size() {
                    Size::Logical(l) => l,
                    // Only logical sizes are handed out; a physical one means the host resized in
                    // pixels, convert with the zoom the window ran at.
                    other => other.to_logical::<f64>(1.0),
                };
                EditorSize {
                    width: logical.width as f32,
                    height: logical.height as f32,
                    zoom: state.user_scale_factor(),
                }
                .sanitized()
            }
            None => self.stored.load(),
        }
    }

    /// True while the editor window is open.
    pub fn is_open(&self) -> bool {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|s| s.is_open())
    }

    /// A fresh `EguiEditorState` at the current size (at least `min`: a project saved when the
    /// editor could be smaller opens at the size its layout needs), remembered as the live one.
    fn open_state(&self, min: (f32, f32)) -> Arc<EguiEditorState> {
        let size = self.size().at_least(min);
        let state =
            EguiEditorState::from_size(LogicalSize::new(size.width, size.height), size.zoom);
        *self.live.lock().unwrap_or_else(|e| e.into_inner()) = Some(state.clone());
        state
    }
}

impl<'a> PersistentField<'a, EditorSize> for EditorState {
    fn set(&self, new_value: EditorSize) {
        self.stored.store(new_value.sanitized());
        // A restored state wins over a closed window's last size; an open window keeps its own
        // size until it is reopened.
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if live.as_ref().is_some_and(|s| !s.is_open()) {
            *live = None;
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&EditorSize) -> R,
    {
        let size = self.size();
        self.stored.store(size);
        f(&size)
    }
}

impl<'a> PersistentField<'a, EditorSize> for Arc<EditorState> {
    fn set(&self, new_value: EditorSize) {
        PersistentField::set(self.as_ref(), new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&EditorSize) -> R,
    {
        PersistentField::map(self.as_ref(), f)
    }
}

/// Forwards to an app shared between the editor and every window it opens.
struct SharedApp<A: NiceEguiApp>(Arc<Mutex<A>>);

impl<A: NiceEguiApp> SharedApp<A> {
    fn lock(&self) -> std::sync::MutexGuard<'_, A> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<A: NiceEguiApp> NiceEguiApp for SharedApp<A> {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: nice_plug::context::gui::GuiContext,
        frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.lock().build(egui_ctx, nice_gui_ctx, frame)
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut nice_plug_egui::Frame) {
        self.lock().ui(ui, frame);
    }

    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        self.lock().resized(new_size);
    }

    fn zoom_factor_changed(&mut self, zoom_factor: f32) {
        self.lock().zoom_factor_changed(zoom_factor);
    }

    fn editor_closed(&mut self) {
        self.lock().editor_closed();
    }

    fn track_info_changed(&mut self, info: TrackInfo) {
        self.lock().track_info_changed(info);
    }
}

/// A resizable egui editor whose size lives in an [`EditorState`]. Return it from
/// `Plugin::editor()` (the shell's [`super::shell::create_editor`] builds one for you).
pub struct TandemEditor<A: NiceEguiApp> {
    state: Arc<EditorState>,
    app: Arc<Mutex<A>>,
    title: String,
    min: (f32, f32),
    resize_hint: ResizeHint,
    repaint: RepaintNotifier,
}

impl<A: NiceEguiApp> TandemEditor<A> {
    /// An editor for `app`, sized by `state`, resizable within `min`…`max` logical points.
    pub fn new(
        state: Arc<EditorState>,
        title: impl Into<String>,
        min: (f32, f32),
        max: (f32, f32),
        app: A,
    ) -> Self {
        Self {
            state,
            app: Arc::new(Mutex::new(app)),
            title: title.into(),
            min,
            resize_hint: ResizeHint::resizable().with_min_max_logical_size(
                Some(LogicalSize::new(min.0, min.1)),
                Some(LogicalSize::new(max.0, max.1)),
            ),
            repaint: RepaintNotifier::new(),
        }
    }

    /// A handle to request a repaint from any thread (real-time safe).
    pub fn repaint_notifier(&self) -> RepaintNotifier {
        self.repaint.clone()
    }

    fn egui_editor(&self, state: Arc<EguiEditorState>) -> EguiEditor<SharedApp<A>> {
        let settings = EguiNiceSettings::new()
            .with_tile(self.title.clone())
            .with_resize_hint(self.resize_hint);
        create_egui_editor(
            state,
            self.repaint.clone(),
            settings,
            SharedApp(self.app.clone()),
        )
        .expect("create_egui_editor always returns an editor")
    }

    fn current_state(&self) -> Arc<EguiEditorState> {
        let live = self.state.live.lock().unwrap_or_else(|e| e.into_inner());
        match live.as_ref() {
            Some(s) if s.is_open() => s.clone(),
            _ => {
                let size = self.state.stored.load().at_least(self.min);
                EguiEditorState::from_size(LogicalSize::new(size.width, size.height), size.zoom)
            }
        }
    }
}

impl<A: NiceEguiApp> Editor for TandemEditor<A> {
    type Handle = EguiEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: nice_plug::context::gui::GuiContext,
        host: Option<nice_plug::editor::HostMethods>,
    ) -> Result<nice_plug::editor::SpawnedEditor<Self::Handle>, Box<dyn std::error::Error>> {
        let state = self.state.open_state(self.min);
        self.egui_editor(state).spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        )
    }

    fn size(&self) -> NativeSize<u32> {
        self.egui_editor(self.current_state()).size()
    }

    fn resize_hint(&self) -> ResizeHint {
        self.resize_hint
    }

    fn track_info_updated(&self, info: TrackInfo) {
        self.app
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .track_info_changed(info);
        self.repaint.request_repaint();
    }

    unsafe fn assume_standalone_in_process(&self) {
        // SAFETY: same contract as the trait method we forward to.
        unsafe {
            self.egui_editor(self.current_state())
                .assume_standalone_in_process()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_persists_round_trip_and_is_sanitized() {
        let s = EditorState::new(1000.0, 640.0);
        let json = PersistentField::map(&s, |v| serde_json::to_string(v).unwrap());
        let restored = EditorState::new(10.0, 10.0);
        PersistentField::set(
            &restored,
            serde_json::from_str::<EditorSize>(&json).unwrap(),
        );
        assert_eq!(restored.size(), s.size());
        assert_eq!(restored.size().width, 1000.0);

        PersistentField::set(
            &restored,
            EditorSize {
                width: f32::NAN,
                height: 5.0,
                zoom: 9.0,
            },
        );
        let z = restored.size();
        assert_eq!((z.width, z.height, z.zoom), (1000.0, 150.0, 4.0));
        // Older states without a zoom field still load.
        let old: EditorSize = serde_json::from_str(r#"{"width":900,"height":600}"#).unwrap();
        assert_eq!(old.zoom, 1.0);
    }

    use nice_plug::prelude::Params;

    #[derive(Params)]
    struct WithEditor {
        #[persist = "editor-state"]
        editor_state: Arc<EditorState>,
    }

    #[test]
    fn the_params_derive_saves_and_restores_the_size() {
        let a = WithEditor {
            editor_state: EditorState::new(1111.0, 666.0),
        };
        let saved = a.serialize_fields();
        assert!(saved.contains_key("editor-state"), "{saved:?}");
        let b = WithEditor {
            editor_state: EditorState::new(1000.0, 640.0),
        };
        b.deserialize_fields(&saved);
        assert_eq!(b.editor_state.size().width, 1111.0);
        assert_eq!(b.editor_state.size().height, 666.0);
    }

    #[test]
    fn reopening_uses_the_restored_size() {
        let s = EditorState::new(1000.0, 640.0);
        let first = s.open_state((900.0, 600.0));
        assert_eq!(first.size(), Size::Logical(LogicalSize::new(1000.0, 640.0)));
        // The window is not open (no host), so a restored size replaces it.
        PersistentField::set(
            s.as_ref(),
            EditorSize {
                width: 1200.0,
                height: 700.0,
                zoom: 1.25,
            },
        );
        let second = s.open_state((900.0, 600.0));
        assert_eq!(
            second.size(),
            Size::Logical(LogicalSize::new(1200.0, 700.0))
        );
        assert_eq!(second.user_scale_factor(), 1.25);
    }

    /// A size saved below the editor's minimum (an older project) opens at the minimum.
    #[test]
    fn a_saved_size_below_the_minimum_opens_at_the_minimum() {
        let s = EditorState::new(860.0, 540.0);
        let opened = s.open_state((1100.0, 680.0));
        assert_eq!(
            opened.size(),
            Size::Logical(LogicalSize::new(1100.0, 680.0))
        );
        let tall = EditorSize {
            width: 900.0,
            height: 900.0,
            zoom: 1.0,
        };
        assert_eq!(tall.at_least((1100.0, 680.0)).width, 1100.0);
        assert_eq!(tall.at_least((1100.0, 680.0)).height, 900.0);
    }
}
