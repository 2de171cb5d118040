//! The analysis thread: one per plugin instance, started on activate (never from the audio
//! thread), stopped and joined on deactivate and on drop. It drains the audio tap, feeds an
//! [`Analyzer`], and publishes suggestions, learn progress and the compare level offset.

use crate::store::SuggestionStore;
use atomic_float::AtomicF32;
use dsp_core::assist::Suggestion;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the thread sleeps when the tap is empty. Keeps it off the CPU when no audio flows.
pub const IDLE_SLEEP: Duration = Duration::from_millis(25);
/// How often (in seconds of heard audio) the suggestion is recomputed while learning.
pub const SUGGEST_EVERY_S: f32 = 1.0;

/// Where the analysis thread reads audio from: the consumer side of the audio tap.
pub trait AudioSource: Send + 'static {
    /// Channels per frame.
    fn channels(&self) -> usize;
    /// Pops up to `out.len() / channels` interleaved frames into `out`; returns frames read.
    fn read_frames(&mut self, out: &mut [f32]) -> usize;
    /// Frames the writer had to drop because the ring was full.
    fn dropped_frames(&self) -> u64;
}

/// A plugin's analysis: consumes audio, learns, proposes. Runs on the analysis thread only, so
/// it may allocate; the heavy lifting is `dsp_core::assist`'s pure functions.
pub trait Analyzer: Send + 'static {
    /// Forgets everything heard (the `learn` control).
    fn restart(&mut self);
    /// Consumes interleaved frames.
    fn feed(&mut self, interleaved: &[f32], channels: usize);
    /// Seconds of non-silent audio heard since the last restart.
    fn heard_seconds(&self) -> f32;
    /// True once the estimate stopped changing; the thread then holds the suggestion.
    fn is_stable(&self) -> bool;
    /// Builds the current suggestion from what was heard, or `None` if too little was heard.
    fn suggest(&mut self, manual: &BTreeMap<String, f32>) -> Option<Suggestion>;
    /// Loudness of the suggested set minus the manual set (LU), measured by rendering recent
    /// audio through both; `None` when unknown.
    fn level_offset_lu(
        &mut self,
        manual: &BTreeMap<String, f32>,
        suggested: &BTreeMap<String, f32>,
    ) -> Option<f32>;
}

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
        })
    }
}

/// Reads the manual parameter values (plain units, by stable ID) for the thread. Parameter reads
/// are atomic loads, so this is safe off the audio thread.
pub type ManualReader = Box<dyn Fn() -> BTreeMap<String, f32> + Send>;
/// Builds the suggested set the compare switch plays from a suggestion and the manual values.
pub type SuggestedSetFn =
    Box<dyn Fn(&Suggestion, &BTreeMap<String, f32>) -> BTreeMap<String, f32> + Send>;

/// The running analysis thread. Dropping it stops and joins the thread.
pub struct AnalysisThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Number of live analysis threads in this process (for the lifecycle tests).
pub static LIVE_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl AnalysisThread {
    /// Starts the thread. Call from `activate()` or the main thread, never from `process()`.
    pub fn start<S: AudioSource, A: Analyzer>(
        name: &str,
        mut source: S,
        analyzer: Arc<Mutex<A>>,
        shared: Arc<AssistantShared>,
        manual: ManualReader,
        suggested_set: SuggestedSetFn,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_thread = stop.clone();
        let handle = std::thread::Builder::new()
            .name(format!("{name} analysis"))
            .spawn(move || {
                LIVE_THREADS.fetch_add(1, Ordering::SeqCst);
                let channels = source.channels().max(1);
                let mut buf = vec![0.0f32; 4096 * channels];
                let mut since_suggest_s = 0.0f32;
                let mut sample_rate_hint_frames = 0u64;
                while !stop_thread.load(Ordering::Acquire) {
                    if shared.restart_requested.swap(false, Ordering::AcqRel) {
                        analyzer.lock().unwrap_or_else(|e| e.into_inner()).restart();
                        shared.stable.store(false, Ordering::Release);
                        shared.heard_seconds.store(0.0, Ordering::Release);
                        since_suggest_s = SUGGEST_EVERY_S;
                    }
                    let frames = source.read_frames(&mut buf);
                    shared
                        .dropped_frames
                        .store(source.dropped_frames(), Ordering::Relaxed);
                    if frames == 0 {
                        std::thread::sleep(IDLE_SLEEP);
                        continue;
                    }
                    shared
                        .analysed_frames
                        .fetch_add(frames as u64, Ordering::Relaxed);
                    sample_rate_hint_frames += frames as u64;
                    let mut an = analyzer.lock().unwrap_or_else(|e| e.into_inner());
                    if an.is_stable() && shared.stable.load(Ordering::Acquire) {
                        // Learning is done: keep the tap drained, but hold the suggestion.
                        continue;
                    }
                    let before = an.heard_seconds();
                    an.feed(&buf[..frames * channels], channels);
                    let heard = an.heard_seconds();
                    shared.heard_seconds.store(heard, Ordering::Release);
                    since_suggest_s += heard - before;
                    if since_suggest_s >= SUGGEST_EVERY_S && !shared.hold.load(Ordering::Acquire) {
                        since_suggest_s = 0.0;
                        let manual_values = manual();
                        if let Some(s) = an.suggest(&manual_values) {
                            let set = suggested_set(&s, &manual_values);
                            let offset =
                                an.level_offset_lu(&manual_values, &set).unwrap_or(f32::NAN);
                            shared.level_offset_lu.store(offset, Ordering::Release);
                            let _ = shared.store.set_suggestion(Some(s));
                        }
                        shared.stable.store(an.is_stable(), Ordering::Release);
                    }
                }
                let _ = sample_rate_hint_frames;
                LIVE_THREADS.fetch_sub(1, Ordering::SeqCst);
            })?;
        Ok(Self {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread and waits for it to finish.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }

    /// True while the thread runs.
    pub fn is_running(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }
}

impl Drop for AnalysisThread {
    fn drop(&mut self) {
        self.stop();
    }
}
