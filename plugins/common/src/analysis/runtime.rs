//! What a plugin holds to be assistive: the audio-thread end of the tap, its listening task in
//! the library's analysis pool, and the state shared with the editor. Start it in `activate()`,
//! stop it in `deactivate()`; dropping it stops the task.

use crate::analysis::assistant::{
    AnalysisTask, Analyzer, AudioSource, ManualReader, SuggestedSetFn,
};
use crate::audio::shared::AssistantShared;
use dsp_core::rt::{audio_tap, AudioTapReader, AudioTapWriter};
use std::sync::{Arc, Mutex};

/// Seconds of audio the tap holds before it starts dropping: the listening task drains it at
/// every turn, at most 25 ms apart while idle, so this covers a turn that solves a suggestion
/// (well under a second alone in the pool). A pool saturated by many instances, or an offline
/// bounce, outruns any length; what is dropped is counted.
pub const TAP_SECONDS: f32 = 2.0;

impl AudioSource for AudioTapReader {
    fn channels(&self) -> usize {
        AudioTapReader::channels(self)
    }

    fn read_frames(&mut self, out: &mut [f32]) -> usize {
        self.pop_interleaved(out)
    }

    fn dropped_frames(&self) -> u64 {
        AudioTapReader::dropped_frames(self)
    }
}

/// The plugin-side assistant runtime.
pub struct AssistantRuntime {
    /// Shared with the editor and the analysis thread.
    pub shared: Arc<AssistantShared>,
    writer: Option<AudioTapWriter>,
    task: Option<AnalysisTask>,
}

impl AssistantRuntime {
    /// A stopped runtime around the shared state.
    pub fn new(shared: Arc<AssistantShared>) -> Self {
        Self {
            shared,
            writer: None,
            task: None,
        }
    }

    /// Creates the tap and starts the listening task (stopping a previous one first). Call from
    /// `activate()`: it allocates and may spawn the pool's workers.
    pub fn start<A: Analyzer>(
        &mut self,
        name: &str,
        sample_rate: f32,
        channels: usize,
        analyzer: A,
        manual: ManualReader,
        suggested_set: SuggestedSetFn,
    ) -> Result<(), String> {
        self.stop();
        let capacity = ((sample_rate * TAP_SECONDS) as usize).max(4096);
        let (writer, reader) =
            audio_tap(channels.clamp(1, 8), capacity).map_err(|e| e.to_string())?;
        let analyzer = Arc::new(Mutex::new(analyzer));
        let task = AnalysisTask::start(
            name,
            reader,
            analyzer,
            self.shared.clone(),
            manual,
            suggested_set,
        )
        .map_err(|e| format!("cannot start the analysis thread: {e}"))?;
        self.writer = Some(writer);
        self.task = Some(task);
        Ok(())
    }

    /// Stops the listening task (waiting only for a turn in progress) and drops the tap. Call
    /// from `deactivate()`.
    pub fn stop(&mut self) {
        if let Some(mut t) = self.task.take() {
            t.stop();
        }
        self.writer = None;
    }

    /// True while the listening task runs.
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| t.is_running())
    }

    /// Copies a block to the analysis thread. Real-time safe: never waits; drops and counts
    /// when the ring is full; does nothing while stopped.
    #[inline]
    pub fn push(&mut self, channels: &[&[f32]]) {
        if let Some(w) = self.writer.as_mut() {
            w.push_planar(channels);
        }
    }
}

impl AssistantRuntime {
    /// [`start`](Self::start) for a plugin whose parameters are `params`: the analysis thread
    /// reads the manual values from them (all parameters, by stable ID) and builds the suggested
    /// set with the `amount` found by `assistant` and the plugin's `neutral` values. The tap
    /// carries the input and the output (`2 × channels`).
    #[allow(clippy::too_many_arguments)]
    pub fn start_for<P: nice_plug::prelude::Params + 'static, A: Analyzer>(
        &mut self,
        name: &str,
        sample_rate: f32,
        channels: usize,
        analyzer: A,
        params: std::sync::Arc<P>,
        assistant: fn(&P) -> &crate::audio::compare::AssistantParams,
        neutral: fn(&str) -> Option<f32>,
    ) -> Result<(), String> {
        let reader = params.clone();
        self.start(
            name,
            sample_rate,
            2 * channels,
            analyzer,
            Box::new(move || crate::params::manual_values(reader.as_ref())),
            Box::new(move |s, manual| {
                dsp_core::assistant::accept::suggested_set(
                    s,
                    manual,
                    assistant(&params).amount.value(),
                    neutral,
                )
            }),
        )
    }

    /// [`push`](Self::push) for the `&[&mut [f32]]` a host buffer hands out. Real-time safe.
    #[inline]
    pub fn push_mut(&mut self, channels: &[&mut [f32]]) {
        let mut slices: [&[f32]; 8] = [&[]; 8];
        let n = channels.len().min(8);
        for (dst, src) in slices.iter_mut().zip(channels.iter()) {
            *dst = src;
        }
        self.push(&slices[..n]);
    }
}

impl Drop for AssistantRuntime {
    fn drop(&mut self) {
        self.stop();
    }
}

impl crate::audio::engine::Tap for AssistantRuntime {
    fn push(&mut self, channels: &[&[f32]]) {
        AssistantRuntime::push(self, channels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::scheduler::LIVE_WORKERS;
    use crate::audio::store::SuggestionStore;
    use crate::audio::store::TEST_OUT_GAIN as OUT_GAIN;
    use dsp_core::assistant::Suggestion;
    use std::collections::BTreeMap;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    /// Learns the mean absolute level; proposes `out_gain` = −level in dB; stable after 2 s.
    struct LevelAnalyzer {
        rate: f32,
        frames: usize,
        sum: f64,
    }

    impl Analyzer for LevelAnalyzer {
        fn restart(&mut self) {
            self.frames = 0;
            self.sum = 0.0;
        }
        fn feed(&mut self, interleaved: &[f32], channels: usize) {
            self.frames += interleaved.len() / channels;
            self.sum += interleaved.iter().map(|x| x.abs() as f64).sum::<f64>();
        }
        fn heard_seconds(&self) -> f32 {
            self.frames as f32 / self.rate
        }
        fn is_stable(&self) -> bool {
            self.heard_seconds() >= 2.0
        }
        fn suggest(&mut self, _manual: &BTreeMap<String, f32>) -> Option<Suggestion> {
            let mut s = Suggestion::empty("test", "unity");
            // −3 dB for the test's 0.5 level; a louder song asks for more.
            let level = self.sum / (self.frames.max(1) * 2) as f64;
            let gain = if level > 0.6 { -6.0 } else { -3.0 };
            s.values.insert("out_gain".into(), gain);
            s.heard_seconds = self.heard_seconds();
            Some(s)
        }
        fn level_offset_lu(
            &mut self,
            _m: &BTreeMap<String, f32>,
            _s: &BTreeMap<String, f32>,
        ) -> Option<f32> {
            Some(-3.0)
        }
    }

    fn runtime() -> AssistantRuntime {
        AssistantRuntime::new(AssistantShared::new(Arc::new(SuggestionStore::new(
            OUT_GAIN,
        ))))
    }

    fn start(rt: &mut AssistantRuntime) {
        rt.start(
            "test",
            48_000.0,
            2,
            LevelAnalyzer {
                rate: 48_000.0,
                frames: 0,
                sum: 0.0,
            },
            Box::new(BTreeMap::new),
            Box::new(|s, _| s.values.clone()),
        )
        .unwrap();
    }

    /// A running thread that learned 3 s at level 0.5 and holds its -3 dB suggestion.
    fn learned() -> (AssistantRuntime, Arc<AssistantShared>) {
        let mut rt = runtime();
        start(&mut rt);
        let shared = rt.shared.clone();
        play(&mut rt, 0.5, 300);
        assert!(wait_for(|| shared.stable.load(Ordering::Acquire)));
        assert_eq!(shared.store.value(0), -3.0);
        (rt, shared)
    }

    /// Pushes `blocks` 10 ms stereo blocks at `level`, paced so the reader keeps up: while the
    /// task runs, at most half a second of audio waits in the tap (whatever the machine's load,
    /// nothing is dropped); into a stopped task's tap it pushes at once.
    fn play(rt: &mut AssistantRuntime, level: f32, blocks: usize) {
        let x = vec![level; 480];
        let shared = rt.shared.clone();
        let base = shared.analysed_frames.load(Ordering::Relaxed);
        for i in 0..blocks {
            rt.push(&[&x, &x]);
            if i % 20 == 19 {
                let pushed = (i as u64 + 1) * 480;
                let t = Instant::now();
                while rt.is_running()
                    && shared
                        .analysed_frames
                        .load(Ordering::Relaxed)
                        .saturating_sub(base)
                        + 24_000
                        < pushed
                    && t.elapsed() < Duration::from_secs(10)
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    use crate::analysis::scheduler::tests::wait_for;

    #[test]
    fn activate_deactivate_100_times_leaves_no_thread() {
        let _serial = crate::analysis::scheduler::tests::serial();
        let mut rt = runtime();
        for _ in 0..100 {
            start(&mut rt);
            assert!(rt.is_running());
            rt.stop();
            assert!(!rt.is_running());
        }
        start(&mut rt);
        drop(rt);
        assert_eq!(
            LIVE_WORKERS.load(Ordering::SeqCst),
            0,
            "the pool left with the last task"
        );
    }

    #[test]
    fn audio_in_suggestion_out_and_learning_holds() {
        let _serial = crate::analysis::scheduler::tests::serial();
        let mut rt = runtime();
        start(&mut rt);
        let shared = rt.shared.clone();
        // 3 s of audio, in 10 ms blocks, paced so the reader keeps up.
        play(&mut rt, 0.5, 300);
        assert!(wait_for(|| shared.stable.load(Ordering::Acquire)));
        assert!(shared.store.has_suggestion());
        assert_eq!(shared.store.value(0), -3.0);
        // The level offset follows within a parameter check.
        assert!(wait_for(
            || shared.level_offset_lu.load(Ordering::Relaxed) == -3.0
        ));
        let heard = shared.heard_seconds.load(Ordering::Acquire);
        assert!(heard >= 2.0, "{heard}");
        // Restart learning clears progress.
        shared.restart_requested.store(true, Ordering::Release);
        play(&mut rt, 0.5, 1);
        assert!(wait_for(|| !shared.stable.load(Ordering::Acquire)));
        rt.stop();
    }

    /// After the hold the thread keeps listening; when the rest of the song would change the
    /// suggestion materially it offers a newer one and leaves the held one in place until the
    /// engineer takes it.
    #[test]
    fn a_held_suggestion_stays_and_a_newer_one_is_offered() {
        let _serial = crate::analysis::scheduler::tests::serial();
        let (mut rt, shared) = learned();
        assert!(!shared.newer_ready.load(Ordering::Acquire));
        // The song gets much louder: 20 s at 1.0 moves the mean level above 0.6.
        play(&mut rt, 1.0, 2000);
        assert!(wait_for(|| shared.newer_ready.load(Ordering::Acquire)));
        assert!(shared.heard_seconds.load(Ordering::Acquire) > 20.0);
        assert_eq!(shared.store.value(0), -3.0, "the held suggestion stays");
        assert!(shared.take_newer());
        assert_eq!(shared.store.value(0), -6.0);
        assert!(!shared.newer_ready.load(Ordering::Acquire));
        rt.stop();
    }

    /// A suggestion in the store when the thread starts (restored with the project, or held
    /// before a reactivation) stays: a fresh analyzer hearing louder music offers a newer one
    /// and does not replace it.
    #[test]
    fn a_stored_suggestion_survives_reactivation() {
        let _serial = crate::analysis::scheduler::tests::serial();
        let (mut rt, shared) = learned();
        // Deactivate, then activate again (a new thread and a fresh analyzer) and play louder
        // music: a fresh analyzer would propose -6 dB after a second.
        rt.stop();
        shared.stable.store(false, Ordering::Release);
        start(&mut rt);
        play(&mut rt, 1.0, 2000);
        assert!(wait_for(|| shared.newer_ready.load(Ordering::Acquire)));
        assert!(shared.stable.load(Ordering::Acquire));
        assert_eq!(shared.store.value(0), -3.0, "the stored suggestion stays");
        // Restart learning replaces it with what is heard from then on.
        shared.restart_requested.store(true, Ordering::Release);
        play(&mut rt, 1.0, 300);
        assert!(wait_for(|| shared.store.value(0) == -6.0));
        rt.stop();
    }

    /// A host that restores a project's state into a plugin that is already listening (Ardour
    /// does, on session load): the restored suggestion is held from then on, not replaced by
    /// what the thread learns next (the thread is mid-learning, 1 s heard, not yet stable).
    #[test]
    fn a_suggestion_restored_while_listening_is_held() {
        let _serial = crate::analysis::scheduler::tests::serial();
        let mut rt = runtime();
        start(&mut rt);
        let shared = rt.shared.clone();
        play(&mut rt, 0.5, 100);
        assert!(wait_for(|| shared.store.value(0) == -3.0));
        assert!(!shared.stable.load(Ordering::Acquire));
        // The host restores a saved suggestion (what the persisted field does on state load).
        let mut saved = Suggestion::empty("test", "unity");
        saved.values.insert("out_gain".into(), -9.0);
        shared.store.set_suggestion(Some(saved)).unwrap();
        // Much more music, louder: unheld, the thread would replace it with -6 dB.
        play(&mut rt, 1.0, 1500);
        assert!(wait_for(|| shared.newer_ready.load(Ordering::Acquire)));
        assert!(shared.stable.load(Ordering::Acquire), "held");
        assert_eq!(shared.store.value(0), -9.0, "the restored suggestion stays");
        rt.stop();
    }

    /// The analysis thread's write never lands over a suggestion written since it last looked.
    #[test]
    fn a_conditional_write_loses_to_a_newer_one() {
        let _serial = crate::analysis::scheduler::tests::serial();
        let store = SuggestionStore::new(OUT_GAIN);
        let g = store.generation();
        let mut a = Suggestion::empty("test", "unity");
        a.values.insert("out_gain".into(), -1.0);
        let mut b = a.clone();
        b.values.insert("out_gain".into(), -2.0);
        store.set_suggestion(Some(b)).unwrap();
        assert_eq!(
            store.set_suggestion_if_unchanged(Some(a.clone()), g),
            Ok(None)
        );
        assert_eq!(store.value(0), -2.0);
        let g = store.generation();
        assert_eq!(
            store.set_suggestion_if_unchanged(Some(a), g),
            Ok(Some(g + 1))
        );
        assert_eq!(store.value(0), -1.0);
    }

    /// Panics on a "poison" sample (a stand-in for any bug in an analyzer).
    struct FaultyAnalyzer(LevelAnalyzer);

    impl Analyzer for FaultyAnalyzer {
        fn restart(&mut self) {
            self.0.restart()
        }
        fn feed(&mut self, interleaved: &[f32], channels: usize) {
            assert!(!interleaved.contains(&0.75), "analyzer bug");
            self.0.feed(interleaved, channels)
        }
        fn heard_seconds(&self) -> f32 {
            self.0.heard_seconds()
        }
        fn is_stable(&self) -> bool {
            self.0.is_stable()
        }
        fn suggest(&mut self, m: &BTreeMap<String, f32>) -> Option<Suggestion> {
            self.0.suggest(m)
        }
        fn level_offset_lu(
            &mut self,
            m: &BTreeMap<String, f32>,
            s: &BTreeMap<String, f32>,
        ) -> Option<f32> {
            self.0.level_offset_lu(m, s)
        }
    }

    /// A panic in the analyzer is caught: the first restarts listening from scratch (the held
    /// suggestion stays, the editor says "restarted"), the second stops the thread; pushing
    /// audio never blocks either way.
    #[test]
    fn an_analyzer_panic_restarts_once_then_stops() {
        let _serial = crate::analysis::scheduler::tests::serial();
        use crate::audio::shared::{fault_text, MAX_FAULTS};
        let mut rt = runtime();
        rt.start(
            "faulty",
            48_000.0,
            2,
            FaultyAnalyzer(LevelAnalyzer {
                rate: 48_000.0,
                frames: 0,
                sum: 0.0,
            }),
            Box::new(BTreeMap::new),
            Box::new(|s, _| s.values.clone()),
        )
        .unwrap();
        let shared = rt.shared.clone();
        // One poison sample: only the chunk the thread reads it in faults.
        let poison = |rt: &mut AssistantRuntime| {
            let mut x = vec![0.5f32; 480];
            x[100] = 0.75;
            rt.push(&[&x, &x]);
        };
        play(&mut rt, 0.5, 300);
        assert!(wait_for(|| shared.stable.load(Ordering::Acquire)));
        assert_eq!(fault_text(0), None);
        poison(&mut rt);
        assert!(wait_for(|| shared.faults.load(Ordering::Acquire) == 1));
        assert!(fault_text(1).unwrap().contains("restarted"));
        assert_eq!(shared.store.value(0), -3.0, "the held suggestion stays");
        // Listening restarted from a clean analyzer: "heard" starts again and grows.
        assert!(wait_for(|| !shared.stable.load(Ordering::Acquire)));
        play(&mut rt, 0.5, 150);
        assert!(wait_for(
            || shared.heard_seconds.load(Ordering::Acquire) > 0.5
        ));
        assert!(rt.is_running());
        poison(&mut rt);
        assert!(wait_for(
            || shared.faults.load(Ordering::Acquire) == MAX_FAULTS
        ));
        assert!(wait_for(|| !rt.is_running()));
        assert!(fault_text(MAX_FAULTS).unwrap().contains("stopped"));
        // The audio side goes on: pushing into a stopped thread's tap drops and counts.
        play(&mut rt, 0.5, 2000);
        rt.stop();
    }

    #[test]
    fn material_difference_ignores_rounding_and_sees_real_moves() {
        let _serial = crate::analysis::scheduler::tests::serial();
        use crate::analysis::assistant::differs_materially;
        let mk = |pairs: &[(&str, f32)]| {
            let mut s = Suggestion::empty("t", "t");
            for (k, v) in pairs {
                s.values.insert(k.to_string(), *v);
            }
            s
        };
        let a = mk(&[("b1_gain", -3.0), ("b1_freq", 250.0), ("attack", 20.0)]);
        assert!(!differs_materially(
            &a,
            &mk(&[("b1_gain", -3.4), ("b1_freq", 270.0), ("attack", 21.5)])
        ));
        assert!(differs_materially(
            &a,
            &mk(&[("b1_gain", -4.5), ("b1_freq", 250.0), ("attack", 20.0)])
        ));
        assert!(differs_materially(
            &a,
            &mk(&[("b1_gain", -3.0), ("b1_freq", 320.0), ("attack", 20.0)])
        ));
        assert!(differs_materially(
            &a,
            &mk(&[("b1_gain", -3.0), ("b1_freq", 250.0)])
        ));
    }

    #[test]
    fn a_full_tap_drops_and_counts_instead_of_waiting() {
        let _serial = crate::analysis::scheduler::tests::serial();
        let mut rt = runtime();
        // No thread: push into a tap nobody drains.
        let (writer, _reader) = audio_tap(2, 1024).unwrap();
        rt.writer = Some(writer);
        let block = vec![0.1f32; 1000];
        let t0 = Instant::now();
        for _ in 0..100 {
            rt.push(&[&block, &block]);
        }
        assert!(t0.elapsed() < Duration::from_secs(1));
        assert_eq!(
            rt.writer.as_ref().unwrap().dropped_frames(),
            100 * 1000 - 1024
        );
    }
}
