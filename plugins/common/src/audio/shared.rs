//! State shared between the audio thread, the analysis thread and the editor: the suggestion
//! store, the hold flag, the measured level offset and what the editor shows about learning.
//! Everything the audio thread touches is an atomic.

use crate::audio::store::SuggestionStore;
use atomic_float::AtomicF32;
use dsp_core::assistant::Suggestion;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// State shared between the analysis thread, the audio thread and the editor. Everything the
/// audio thread touches is an atomic.
pub struct AssistantShared {
    /// Seconds of non-silent audio heard.
    pub heard_seconds: AtomicF32,
    /// Whether the estimate is stable (learning done, suggestion held).
    pub stable: AtomicBool,
    /// Set by the editor's learn button; the thread clears it when it restarts.
    pub restart_requested: AtomicBool,
    /// Suggested minus manual loudness in LU; NaN when unknown.
    pub level_offset_lu: AtomicF32,
    /// Frames the audio thread dropped because the analysis fell behind.
    pub dropped_frames: AtomicU64,
    /// Frames analysed since the thread started.
    pub analysed_frames: AtomicU64,
    /// Set while the engineer listens to the suggested set: the thread then does not replace the
    /// suggestion, so nothing changes under the engineer's ears.
    pub hold: AtomicBool,
    /// The persisted suggestion (also read by the audio thread through its atomics).
    pub store: Arc<SuggestionStore>,
    /// A newer suggestion, built from everything heard after the held one, when it differs
    /// materially (the analysis thread decides); the editor offers it ("a newer suggestion is
    /// ready — update") and never swaps it in by itself. Analysis thread and editor only.
    pub newer: Mutex<Option<Suggestion>>,
    /// True while [`newer`](Self::newer) holds a suggestion (cheap to poll every frame).
    pub newer_ready: AtomicBool,
    /// Faults (panics) the analysis thread caught: after the first it restarts listening from a
    /// clean analyzer, after [`MAX_FAULTS`] it stops. The audio is never touched.
    pub faults: std::sync::atomic::AtomicU32,
}

/// Faults after which the analysis thread stops instead of restarting.
pub const MAX_FAULTS: u32 = 2;

/// What the editor says about faults of the analysis thread, if any.
pub fn fault_text(faults: u32) -> Option<&'static str> {
    match faults {
        0 => None,
        f if f < MAX_FAULTS => Some("Assistant stopped after a fault \u{2014} restarted"),
        _ => Some("Assistant stopped after a second fault \u{2014} reload the plugin to try again"),
    }
}

impl AssistantShared {
    /// Shared state around a suggestion store.
    pub fn new(store: Arc<SuggestionStore>) -> Arc<Self> {
        Arc::new(Self {
            heard_seconds: AtomicF32::new(0.0),
            stable: AtomicBool::new(false),
            restart_requested: AtomicBool::new(false),
            level_offset_lu: AtomicF32::new(f32::NAN),
            dropped_frames: AtomicU64::new(0),
            analysed_frames: AtomicU64::new(0),
            hold: AtomicBool::new(false),
            store,
            newer: Mutex::new(None),
            newer_ready: AtomicBool::new(false),
            faults: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// Takes the newer suggestion in place of the held one (the editor's "update"). Returns
    /// whether there was one.
    pub fn take_newer(&self) -> bool {
        let newer = self
            .newer
            .lock()
            .map(|mut n| n.take())
            .unwrap_or_else(|e| e.into_inner().take());
        self.newer_ready.store(false, Ordering::Release);
        match newer {
            Some(s) => self.store.set_suggestion(Some(s)).is_ok(),
            None => false,
        }
    }

    /// Offers a newer suggestion to the editor (the analysis thread), or withdraws it.
    pub(crate) fn set_newer(&self, s: Option<Suggestion>) {
        let ready = s.is_some();
        match self.newer.lock() {
            Ok(mut n) => *n = s,
            Err(e) => *e.into_inner() = s,
        }
        self.newer_ready.store(ready, Ordering::Release);
    }
}
