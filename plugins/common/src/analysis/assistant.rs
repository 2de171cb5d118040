//! An instance's listening: started on activate (never from the audio thread), stopped on
//! deactivate and on drop, run in turns by the library's analysis pool ([`crate::analysis::scheduler`],
//! shared by every instance in the process). Each turn drains the audio tap, feeds an
//! [`Analyzer`], and publishes suggestions, learn progress and the compare level offset. "The
//! analysis thread" below means whichever pool worker runs the instance's turn.

use crate::analysis::scheduler::{self, Task, TaskHandle, Turn};
use crate::audio::shared::{AssistantShared, MAX_FAULTS};
use dsp_core::assistant::Suggestion;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the thread sleeps when the tap is empty. Keeps it off the CPU when no audio flows.
pub const IDLE_SLEEP: Duration = Duration::from_millis(25);
/// How often (in seconds of heard audio) the suggestion is recomputed while learning, at least.
pub const SUGGEST_EVERY_S: f32 = 1.0;
/// The share of one core a learning instance may spend re-solving its suggestion while music
/// plays in real time: after a suggestion that took `t` seconds, the next one waits for
/// `t / LEARN_BUDGET` seconds of heard audio (at least [`SUGGEST_EVERY_S`], at most
/// [`MAX_SUGGEST_EVERY_S`]). Half of the instance's 2 %: listening itself (the analyses fed
/// with every block, the meters, the level match) takes the rest (measured in
/// `tests/tests/clap_learning_cost.rs`). Charging the level match of each new suggestion to
/// this budget as well was tried (2026-12-06) and made Master's learning cost more, not less
/// (5.7 % against 2.9-3.0 % of a core in paired runs), so it is not done.
pub const LEARN_BUDGET: f32 = 0.01;
/// The longest wait between two suggestions while learning, in seconds of heard audio.
pub const MAX_SUGGEST_EVERY_S: f32 = 60.0;
/// The share of one core an instance's analysis may spend in all, measured on the pool
/// worker's CPU clock during the instance's own turns: listening (the analyses fed with every block, the editor's spectra),
/// level matches and suggestions together. Listening and the level match after a change run
/// regardless; what only keeps a suggestion or a level offset up to date with more music (a
/// re-solve while learning, a look for a newer suggestion while one is held, the level
/// offset's refresh) waits while the instance is over it. The first suggestion and one the
/// engineer asked for (a new style or target, a restart) never wait.
pub const THREAD_BUDGET: f32 = 0.015;
/// The most CPU time [`THREAD_BUDGET`] saves up while the thread is under it, so a quiet
/// stretch does not buy a burst afterwards.
pub const BUDGET_BURST: Duration = Duration::from_millis(50);
/// The most it remembers spending over it (a bounce faster than real time listens far over
/// the budget): background work resumes at most this / [`THREAD_BUDGET`] after it (33 s).
pub const BUDGET_MAX_DEBT: Duration = Duration::from_millis(500);
/// When no audio arrived for this long (the transport stopped), a suggestion that has not yet
/// seen everything heard is brought up to date.
pub const IDLE_CATCH_UP: Duration = Duration::from_millis(500);

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
/// it may allocate; the heavy lifting is `dsp_core::assistant`'s pure functions.
pub trait Analyzer: Send + 'static {
    /// Forgets everything heard (the `learn` control).
    fn restart(&mut self);
    /// Consumes interleaved frames: everything heard, before and after the suggestion is held
    /// (the statistics cover the whole song; a held suggestion is only not replaced).
    fn feed(&mut self, interleaved: &[f32], channels: usize);
    /// Sees every block, learning or not: display spectra, the recent audio used for level
    /// matching. The default does nothing.
    fn monitor(&mut self, _interleaved: &[f32], _channels: usize) {}
    /// Seconds of non-silent audio heard since the last restart.
    fn heard_seconds(&self) -> f32;
    /// True once the estimate stopped changing; the thread then holds the suggestion (until the
    /// engineer restarts learning or asks for a rebuild by changing the target or style).
    fn is_stable(&self) -> bool;
    /// True when the suggestion should be rebuilt from what was heard without relearning (the
    /// engineer picked another target or style). Checked a few times per second.
    fn wants_resuggest(&self, _manual: &BTreeMap<String, f32>) -> bool {
        false
    }
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

/// True when `b` would change the sound materially against `a`: another set of parameters, a
/// frequency moved by more than 1/6 octave, or any other value by more than 1 (dB, ms, ratio
/// step) or 10 % of its size, whichever is larger.
pub fn differs_materially(a: &Suggestion, b: &Suggestion) -> bool {
    if a.values.len() != b.values.len() || a.values.keys().ne(b.values.keys()) {
        return true;
    }
    a.values
        .iter()
        .zip(b.values.values())
        .any(|((id, &x), &y)| {
            if id.ends_with("_freq") && x > 0.0 && y > 0.0 {
                (y / x).log2().abs() > 1.0 / 6.0
            } else {
                (x - y).abs() > (0.1 * x.abs().max(y.abs())).max(1.0)
            }
        })
}

/// Reads the manual parameter values (plain units, by stable ID) for the thread. Parameter reads
/// are atomic loads, so this is safe off the audio thread.
pub type ManualReader = Box<dyn Fn() -> BTreeMap<String, f32> + Send>;
/// Builds the suggested set the compare switch plays from a suggestion and the manual values.
pub type SuggestedSetFn =
    Box<dyn Fn(&Suggestion, &BTreeMap<String, f32>) -> BTreeMap<String, f32> + Send>;

/// How often the thread looks at parameter changes (target, manual values, amount), in wall time.
pub const CHECK_EVERY: Duration = Duration::from_millis(200);
/// The level offset is re-measured at least this often while audio flows, or less often when
/// a measurement costs more than [`LEVEL_REFRESH_BUDGET`] of a core at this interval.
pub const LEVEL_REFRESH: Duration = Duration::from_secs(10);
/// The share of one core the level match's refresh (settings still, music moving on) may take:
/// after a measurement that took `t`, the next refresh waits `max(t / LEVEL_REFRESH_BUDGET,
/// LEVEL_REFRESH)`, at most [`MAX_LEVEL_REFRESH`].
pub const LEVEL_REFRESH_BUDGET: f32 = 0.0025;
/// The longest wait between two refreshes of the level offset while audio flows.
pub const MAX_LEVEL_REFRESH: Duration = Duration::from_secs(30);
/// The share of one core the level match may take while the settings keep changing (a moving
/// automation lane): after a measurement that took `t`, the next waits `t / LEVEL_BUDGET`
/// (at least [`CHECK_EVERY`], at most [`LEVEL_REFRESH`]) unless the settings have settled.
pub const LEVEL_BUDGET: f32 = 0.005;
/// Parameters that change neither chain the level match renders: the compare switch, level
/// matching itself, and the amount (already in the suggested values).
const NOT_RENDERED: [&str; 3] = ["compare", "match_levels", "amount"];

/// What the level offset depends on besides the audio: the manual and suggested values of
/// every parameter the chains render.
type LevelKey = (BTreeMap<String, f32>, BTreeMap<String, f32>);

fn level_key(manual: BTreeMap<String, f32>, suggested: BTreeMap<String, f32>) -> LevelKey {
    let rendered = |mut m: BTreeMap<String, f32>| {
        m.retain(|id, _| !NOT_RENDERED.contains(&id.as_str()));
        m
    };
    (rendered(manual), rendered(suggested))
}

/// When the level offset is measured again: when what it depends on changed and has held for
/// one check (a knob let go, a new suggestion), at once when it keeps changing but the budget
/// allows, and every [`LEVEL_REFRESH`] or more (within [`LEVEL_REFRESH_BUDGET`]) while audio
/// flows.
#[derive(Debug)]
struct LevelSchedule {
    /// The key last measured.
    measured: Option<LevelKey>,
    /// The key seen at the last check.
    seen: Option<LevelKey>,
    last: Instant,
    every: Duration,
    /// The refresh interval while the key holds and audio flows.
    refresh: Duration,
}

impl LevelSchedule {
    fn new(now: Instant) -> Self {
        Self {
            measured: None,
            seen: None,
            last: now.checked_sub(MAX_LEVEL_REFRESH).unwrap_or(now),
            every: CHECK_EVERY,
            refresh: LEVEL_REFRESH,
        }
    }

    /// Whether to measure for `key` now; `audio` is whether audio flowed since the last
    /// measurement, `refresh_allowed` whether the thread's budget allows a refresh (a
    /// measurement for settings already measured).
    fn due(&mut self, key: &LevelKey, audio: bool, refresh_allowed: bool, now: Instant) -> bool {
        let settled = self.seen.as_ref() == Some(key);
        if !settled {
            self.seen = Some(key.clone());
        }
        let since = now.duration_since(self.last);
        if self.measured.as_ref() != Some(key) {
            settled || since >= self.every
        } else {
            audio && refresh_allowed && since >= self.refresh
        }
    }

    /// A measurement of `key` that took `took` finished at `now`.
    fn measured(&mut self, key: LevelKey, took: Duration, now: Instant) {
        self.measured = Some(key);
        self.last = now;
        self.every = took.div_f32(LEVEL_BUDGET).clamp(CHECK_EVERY, LEVEL_REFRESH);
        self.refresh = took
            .div_f32(LEVEL_REFRESH_BUDGET)
            .clamp(LEVEL_REFRESH, MAX_LEVEL_REFRESH);
    }

    /// Forget the last measurement (no suggestion, or a new one restored from outside).
    fn forget(&mut self) {
        self.measured = None;
    }
}

/// [`THREAD_BUDGET`] as a token bucket on the CPU clock of the instance's turns: credit grows
/// with wall time at the budget's share (up to [`BUDGET_BURST`]) and every CPU second a turn
/// spends takes it down. Background work waits while the credit is negative.
#[derive(Debug)]
struct CpuBudget {
    credit_s: f64,
    wall: Instant,
    /// The thread's CPU clock at `wall` (`None` where the platform cannot read it: then the
    /// budget always allows, as before it existed).
    cpu: Option<Duration>,
}

/// The calling thread's CPU clock, where the platform has one.
fn thread_cpu() -> Option<Duration> {
    cpu_time::ThreadTime::try_now()
        .ok()
        .map(|t| t.as_duration())
}

impl CpuBudget {
    fn new() -> Self {
        Self {
            credit_s: BUDGET_BURST.as_secs_f64(),
            wall: Instant::now(),
            cpu: thread_cpu(),
        }
    }

    /// A turn starts on a pool worker: the CPU the worker spent since this task's last turn was
    /// other tasks' (wall time still earns credit).
    fn begin_turn(&mut self) {
        self.cpu = thread_cpu();
    }

    /// Brings the credit up to now (reads the thread's CPU clock: call it from the thread).
    fn update(&mut self) {
        let now = Instant::now();
        let cpu = thread_cpu();
        if let (Some(c), Some(prev)) = (cpu, self.cpu) {
            self.charge(now.duration_since(self.wall), c.saturating_sub(prev));
        }
        self.wall = now;
        self.cpu = cpu;
    }

    /// `wall` passed and the thread spent `cpu` of it computing.
    fn charge(&mut self, wall: Duration, cpu: Duration) {
        self.credit_s = (self.credit_s + THREAD_BUDGET as f64 * wall.as_secs_f64()
            - cpu.as_secs_f64())
        .clamp(-BUDGET_MAX_DEBT.as_secs_f64(), BUDGET_BURST.as_secs_f64());
    }

    /// Whether background work may run now.
    fn allows(&self) -> bool {
        self.cpu.is_none() || self.credit_s > 0.0
    }
}

/// One instance's listening, as the scheduler's task: what the analysis thread's loop was, one
/// pass per turn.
struct Listener<S: AudioSource, A: Analyzer> {
    source: S,
    analyzer: Arc<Mutex<A>>,
    shared: Arc<AssistantShared>,
    manual: ManualReader,
    suggested_set: SuggestedSetFn,
    state: ListenState,
}

/// What a listener keeps between turns; a fresh one after a fault.
struct ListenState {
    buf: Vec<f32>,
    since_suggest_s: f32,
    suggest_every_s: f32,
    idle_since: Option<Instant>,
    last_check: Instant,
    level: LevelSchedule,
    budget: CpuBudget,
    restarted: bool,
    audio_since_level: bool,
    /// The store's generation as this task last left it: a change it did not make is a
    /// suggestion restored from outside.
    seen_generation: u32,
}

impl ListenState {
    fn new(channels: usize, shared: &AssistantShared) -> Self {
        // A suggestion already in the store when listening starts (saved with the project, or
        // held before a reactivation at another rate or buffer size, an offline bounce) is
        // held: a fresh analyzer that has heard a second does not replace it. It is replaced
        // when the engineer restarts learning or changes the target or style; when the music
        // heard from now on would change it materially, the editor offers the newer one.
        if shared.store.suggestion().is_some() {
            shared.stable.store(true, Ordering::Release);
        }
        Self {
            buf: vec![0.0f32; TURN_FRAMES * channels],
            since_suggest_s: 0.0,
            suggest_every_s: SUGGEST_EVERY_S,
            idle_since: None,
            last_check: Instant::now() - CHECK_EVERY,
            level: LevelSchedule::new(Instant::now()),
            budget: CpuBudget::new(),
            restarted: false,
            audio_since_level: false,
            seen_generation: shared.store.generation(),
        }
    }
}

/// The most frames a listener takes from its tap in one turn.
pub const TURN_FRAMES: usize = 4096;

impl<S: AudioSource, A: Analyzer> Task for Listener<S, A> {
    fn turn(&mut self) -> Turn {
        // A panic in an analyzer (a bug) must not end the assistant silently: it is caught,
        // counted for the editor, and listening restarts from a clean analyzer once; a second
        // fault stops it. The audio thread never waits on this.
        self.state.budget.begin_turn();
        let turn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.step()));
        self.state.budget.update();
        match turn {
            Ok(t) => t,
            Err(_) => {
                let faults = self.shared.faults.fetch_add(1, Ordering::AcqRel) + 1;
                if faults >= MAX_FAULTS || dsp_core::assistant::cancel::requested() {
                    return Turn::Done;
                }
                self.shared.restart_requested.store(true, Ordering::Release);
                self.state = ListenState::new(self.source.channels().max(1), &self.shared);
                Turn::Again
            }
        }
    }
}

impl<S: AudioSource, A: Analyzer> Listener<S, A> {
    /// One pass: the tap drained by up to [`TURN_FRAMES`], the analyses fed, a suggestion or a
    /// level match when due.
    fn step(&mut self) -> Turn {
        let stopped_by_host = dsp_core::assistant::cancel::requested;
        let channels = self.source.channels().max(1);
        let shared = &*self.shared;
        let st = &mut self.state;
        let mut an = self.analyzer.lock().unwrap_or_else(|e| e.into_inner());
        if shared.restart_requested.swap(false, Ordering::AcqRel) {
            an.restart();
            shared.stable.store(false, Ordering::Release);
            shared.heard_seconds.store(0.0, Ordering::Release);
            shared.set_newer(None);
            st.since_suggest_s = 0.0;
            st.suggest_every_s = SUGGEST_EVERY_S;
            // The engineer asked for it: the first suggestion after a restart never waits.
            st.restarted = true;
        }
        // Written from outside the task since it last looked: a host restoring a saved
        // project after listening started (Ardour loads a session's plugin state into an
        // already active plugin), or the engineer taking a newer suggestion. A suggestion that
        // arrives this way is held like one present at the start; an empty one lets learning
        // propose again.
        let generation = shared.store.generation();
        if generation != st.seen_generation {
            st.seen_generation = generation;
            shared
                .stable
                .store(shared.store.has_suggestion(), Ordering::Release);
            shared.set_newer(None);
            st.since_suggest_s = 0.0;
            st.level.forget();
        }
        let frames = self.source.read_frames(&mut st.buf);
        shared
            .dropped_frames
            .store(self.source.dropped_frames(), Ordering::Relaxed);
        if frames > 0 {
            st.audio_since_level = true;
            shared
                .analysed_frames
                .fetch_add(frames as u64, Ordering::Relaxed);
            let data = &st.buf[..frames * channels];
            an.monitor(data, channels);
            let before = an.heard_seconds();
            an.feed(data, channels);
            let heard = an.heard_seconds();
            shared.heard_seconds.store(heard, Ordering::Release);
            st.since_suggest_s += (heard - before).max(0.0);
            st.idle_since = None;
        } else if st.idle_since.is_none() {
            st.idle_since = Some(Instant::now());
        }
        // A held suggestion stays until the engineer restarts or changes the target; listening
        // goes on regardless.
        let held = shared.stable.load(Ordering::Acquire);
        let hold = shared.hold.load(Ordering::Acquire) || held;
        let stopped = st.idle_since.is_some_and(|t| t.elapsed() >= IDLE_CATCH_UP);
        st.budget.update();
        // The first suggestion comes as soon as it is due; later ones only bring it up to
        // date with more music, within the task's budget.
        // Playback stopped with music not yet in the suggestion: brought up to date once,
        // whatever the budget (an offline bounce outruns it by far).
        let first = st.restarted || !shared.store.has_suggestion();
        let catch_up = stopped && st.since_suggest_s > 0.0;
        let due =
            (st.since_suggest_s >= st.suggest_every_s && (first || st.budget.allows())) || catch_up;
        let mut suggest_now = !hold && due;
        // Held: the music moved on, so look (within the same budget) whether a suggestion from
        // everything heard would now be materially different, and offer it.
        let look_again = held && !shared.hold.load(Ordering::Acquire) && due;
        let check_now = st.last_check.elapsed() >= CHECK_EVERY;
        let manual_values = if suggest_now || check_now || look_again {
            Some((self.manual)())
        } else {
            None
        };
        if let Some(m) = &manual_values {
            if check_now
                && !shared.hold.load(Ordering::Acquire)
                && an.heard_seconds() > 0.0
                && an.wants_resuggest(m)
            {
                suggest_now = true;
            }
            if suggest_now {
                st.since_suggest_s = 0.0;
                st.restarted = false;
                let t0 = Instant::now();
                let suggestion = an.suggest(m);
                if stopped_by_host() {
                    // Cancelled half-way: the result means nothing.
                    return Turn::Done;
                }
                if let Some(s) = suggestion {
                    // Only over what this task last saw: a suggestion restored meanwhile wins.
                    if let Ok(Some(g)) = shared
                        .store
                        .set_suggestion_if_unchanged(Some(s), st.seen_generation)
                    {
                        st.seen_generation = g;
                        st.level.forget();
                    }
                }
                // Keep re-solving within the learning budget.
                st.suggest_every_s = (t0.elapsed().as_secs_f32() / LEARN_BUDGET)
                    .clamp(SUGGEST_EVERY_S, MAX_SUGGEST_EVERY_S);
                shared
                    .stable
                    .store(held || an.is_stable(), Ordering::Release);
                // A rebuild the engineer asked for replaces any newer one on offer.
                shared.set_newer(None);
            } else if look_again {
                st.since_suggest_s = 0.0;
                let t0 = Instant::now();
                let newer = an.suggest(m);
                if stopped_by_host() {
                    return Turn::Done;
                }
                let newer = newer.filter(|n| {
                    shared
                        .store
                        .suggestion()
                        .is_some_and(|held| differs_materially(&held, n))
                });
                st.suggest_every_s = (t0.elapsed().as_secs_f32() / LEARN_BUDGET)
                    .clamp(SUGGEST_EVERY_S, MAX_SUGGEST_EVERY_S);
                shared.set_newer(newer);
            }
        }
        if check_now {
            st.last_check = Instant::now();
            let m = manual_values.unwrap_or_else(|| (self.manual)());
            if let Some(s) = shared.store.suggestion() {
                let set = (self.suggested_set)(&s, &m);
                let key = level_key(m.clone(), set.clone());
                if st.level.due(
                    &key,
                    st.audio_since_level,
                    st.budget.allows(),
                    Instant::now(),
                ) {
                    let t0 = Instant::now();
                    if let Some(offset) = an.level_offset_lu(&m, &set) {
                        let took = t0.elapsed();
                        shared.level_offset_lu.store(offset, Ordering::Release);
                        st.level.measured(key, took, Instant::now());
                        st.audio_since_level = false;
                    }
                }
            } else {
                shared.level_offset_lu.store(f32::NAN, Ordering::Release);
                st.level.forget();
            }
        }
        // A full chunk: more is probably waiting in the tap.
        if frames == TURN_FRAMES {
            Turn::Again
        } else {
            Turn::Nap
        }
    }
}

/// An instance's listening in the library's analysis pool ([`crate::analysis::scheduler`]). Dropping it
/// stops it.
pub struct AnalysisTask {
    handle: TaskHandle,
}

impl AnalysisTask {
    /// Starts listening. Call from `activate()` or the main thread, never from `process()`.
    pub fn start<S: AudioSource, A: Analyzer>(
        name: &str,
        source: S,
        analyzer: Arc<Mutex<A>>,
        shared: Arc<AssistantShared>,
        manual: ManualReader,
        suggested_set: SuggestedSetFn,
    ) -> std::io::Result<Self> {
        let state = ListenState::new(source.channels().max(1), &shared);
        let listener = Listener {
            source,
            analyzer,
            shared,
            manual,
            suggested_set,
            state,
        };
        Ok(Self {
            handle: scheduler::spawn(name, Box::new(listener))?,
        })
    }

    /// Stops listening; waits only for a turn in progress (cut short by the cancel flag).
    pub fn stop(&mut self) {
        self.handle.stop();
    }

    /// True while it listens.
    pub fn is_running(&self) -> bool {
        self.handle.is_running()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::store::SuggestionStore;
    use crate::audio::store::TEST_OUT_GAIN as OUT_GAIN;

    fn key(drive: f32, compare: f32) -> LevelKey {
        let manual = BTreeMap::from([
            ("lim_drive".to_string(), drive),
            ("compare".to_string(), compare),
            ("amount".to_string(), 1.0),
        ]);
        let mut suggested = manual.clone();
        suggested.insert("lim_drive".into(), 4.0);
        level_key(manual, suggested)
    }

    /// The level match follows a knob as soon as it is let go, ignores the compare switch,
    /// trails a moving automation lane within its budget, and refreshes while audio flows.
    #[test]
    fn level_match_is_keyed_on_the_sound_and_budgeted() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut l = LevelSchedule::new(t0);
        // The first key is measured at once; the measurement took 20 ms (4 s at 0.5 %).
        assert!(l.due(&key(0.0, 0.0), true, true, at(0)));
        l.measured(key(0.0, 0.0), Duration::from_millis(20), at(20));
        assert_eq!(l.every, Duration::from_secs(4));
        // A/B: the compare switch does not change what is rendered.
        assert_eq!(key(0.0, 0.0), key(0.0, 1.0));
        assert!(!l.due(&key(0.0, 1.0), false, true, at(200)));
        // A knob turned once: measured at the next check, when it has held.
        assert!(!l.due(&key(1.0, 0.0), false, true, at(400)));
        assert!(l.due(&key(1.0, 0.0), false, true, at(600)));
        l.measured(key(1.0, 0.0), Duration::from_millis(20), at(620));
        // An automation lane moving at every check: measured once per 4 s, not at every check.
        let mut measured_at = Vec::new();
        for k in 0..60u64 {
            let ms = 800 + 200 * k;
            let moving = key(2.0 + k as f32, 0.0);
            if l.due(&moving, true, true, at(ms)) {
                measured_at.push(ms);
                l.measured(moving, Duration::from_millis(20), at(ms + 20));
            }
        }
        assert_eq!(measured_at, vec![4800, 9000]);
        // Settings still, audio flowing: refreshed every LEVEL_REFRESH.
        let still = key(100.0, 0.0);
        assert!(!l.due(&still, true, true, at(13_000)));
        assert!(l.due(&still, true, true, at(13_200)));
        l.measured(still.clone(), Duration::from_millis(20), at(13_220));
        assert!(!l.due(&still, true, true, at(22_000)));
        assert!(!l.due(&still, false, true, at(24_000)));
        // Over the thread's budget: the refresh waits, a new setting would not.
        assert!(!l.due(&still, true, false, at(24_000)));
        assert!(l.due(&still, true, true, at(24_000)));
        // Forgotten (a new suggestion): measured again.
        l.forget();
        assert!(l.due(&still, false, false, at(24_200)));
        // A costly measurement (50 ms) is refreshed every 20 s (0.25 %), one of 100 ms every
        // 30 s at most.
        l.measured(still.clone(), Duration::from_millis(50), at(24_250));
        assert!(!l.due(&still, true, true, at(44_000)));
        assert!(l.due(&still, true, true, at(44_250)));
        l.measured(still.clone(), Duration::from_millis(100), at(44_350));
        assert!(!l.due(&still, true, true, at(74_000)));
        assert!(l.due(&still, true, true, at(74_350)));
    }

    /// A tap that hands out what the test pushed.
    struct Pushed(Arc<Mutex<Vec<f32>>>);

    impl AudioSource for Pushed {
        fn channels(&self) -> usize {
            1
        }
        fn read_frames(&mut self, out: &mut [f32]) -> usize {
            let mut q = self.0.lock().unwrap();
            let n = q.len().min(out.len());
            out[..n].copy_from_slice(&q[..n]);
            q.drain(..n);
            n
        }
        fn dropped_frames(&self) -> u64 {
            0
        }
    }

    /// Hears 1 kHz mono; proposes the seconds heard as `out_gain`; counts its solves.
    struct Solves(f32, Arc<std::sync::atomic::AtomicUsize>);

    impl Analyzer for Solves {
        fn restart(&mut self) {
            self.0 = 0.0;
        }
        fn feed(&mut self, interleaved: &[f32], _channels: usize) {
            self.0 += interleaved.len() as f32 / 1000.0;
        }
        fn heard_seconds(&self) -> f32 {
            self.0
        }
        fn is_stable(&self) -> bool {
            false
        }
        fn suggest(&mut self, _manual: &BTreeMap<String, f32>) -> Option<Suggestion> {
            self.1.fetch_add(1, Ordering::SeqCst);
            let mut s = Suggestion::empty("test", "unity");
            s.values.insert("out_gain".into(), self.0);
            Some(s)
        }
        fn level_offset_lu(
            &mut self,
            _m: &BTreeMap<String, f32>,
            _s: &BTreeMap<String, f32>,
        ) -> Option<f32> {
            None
        }
    }

    /// The budget's rules, turn by turn with the budget deep in debt: the first suggestion does
    /// not wait for it, re-solves while learning do, the first one after the engineer restarts
    /// learning does not, and neither does the update when playback stops.
    #[test]
    fn in_debt_only_background_solves_wait() {
        let tap = Arc::new(Mutex::new(Vec::new()));
        let solves = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let shared = AssistantShared::new(Arc::new(SuggestionStore::new(OUT_GAIN)));
        let state = ListenState::new(1, &shared);
        let mut l = Listener {
            source: Pushed(tap.clone()),
            analyzer: Arc::new(Mutex::new(Solves(0.0, solves.clone()))),
            shared: shared.clone(),
            manual: Box::new(BTreeMap::new),
            suggested_set: Box::new(|s, _| s.values.clone()),
            state,
        };
        let in_debt = |l: &mut Listener<Pushed, Solves>| {
            l.state.budget.credit_s = -BUDGET_MAX_DEBT.as_secs_f64();
        };
        // Plays `seconds` at 1 kHz through turns, with the budget in debt at every turn.
        let play = |l: &mut Listener<Pushed, Solves>, seconds: usize| {
            for _ in 0..seconds {
                tap.lock().unwrap().extend(std::iter::repeat_n(0.5, 1000));
                in_debt(l);
                while l.turn() == Turn::Again {
                    in_debt(l);
                }
            }
        };
        play(&mut l, 3);
        assert_eq!(
            solves.load(Ordering::SeqCst),
            1,
            "the first suggestion does not wait"
        );
        assert!(shared.store.has_suggestion());
        play(&mut l, 5);
        assert_eq!(solves.load(Ordering::SeqCst), 1, "re-solves wait in debt");
        shared.restart_requested.store(true, Ordering::Release);
        play(&mut l, 2);
        assert_eq!(
            solves.load(Ordering::SeqCst),
            2,
            "a restart's first suggestion does not"
        );
        play(&mut l, 1);
        assert_eq!(solves.load(Ordering::SeqCst), 2);
        // Playback stops: the suggestion catches up with what was heard, once.
        std::thread::sleep(IDLE_CATCH_UP);
        in_debt(&mut l);
        l.turn();
        std::thread::sleep(IDLE_CATCH_UP + Duration::from_millis(50));
        in_debt(&mut l);
        l.turn();
        assert_eq!(
            solves.load(Ordering::SeqCst),
            3,
            "stopping brings it up to date"
        );
        in_debt(&mut l);
        l.turn();
        assert_eq!(solves.load(Ordering::SeqCst), 3, "once");
        // Out of debt, re-solves come back.
        l.state.budget.credit_s = BUDGET_BURST.as_secs_f64();
        tap.lock().unwrap().extend(std::iter::repeat_n(0.5, 2000));
        l.turn();
        assert_eq!(
            solves.load(Ordering::SeqCst),
            4,
            "within budget, learning re-solves"
        );
    }

    /// The thread's budget: credit at the budget's share of wall time, spent by CPU time,
    /// capped so that idling buys no burst.
    #[test]
    fn the_thread_budget_is_a_token_bucket_on_cpu_time() {
        let mut b = CpuBudget {
            credit_s: BUDGET_BURST.as_secs_f64(),
            wall: Instant::now(),
            cpu: thread_cpu(),
        };
        assert!(b.allows());
        // A 200 ms solve: 150 ms in debt, paid back by 10 s of wall time at 1.5 %.
        b.charge(Duration::ZERO, Duration::from_millis(200));
        assert!(!b.allows());
        b.charge(Duration::from_secs(9), Duration::ZERO);
        assert!(!b.allows());
        b.charge(Duration::from_millis(1_100), Duration::ZERO);
        assert!(b.allows());
        // Listening at 1 % of a core leaves 0.5 % for the rest: no more.
        for _ in 0..100 {
            b.charge(Duration::from_secs(1), Duration::from_millis(10));
        }
        assert!((b.credit_s - BUDGET_BURST.as_secs_f64()).abs() < 1e-9);
        // An hour idle saves no more than the burst.
        b.charge(Duration::from_secs(3_600), Duration::ZERO);
        assert_eq!(b.credit_s, BUDGET_BURST.as_secs_f64());
        // Listening alone over the budget: background work never runs.
        let mut b = CpuBudget { credit_s: 0.0, ..b };
        for _ in 0..100 {
            b.charge(Duration::from_secs(1), Duration::from_millis(20));
            assert!(!b.allows());
        }
        // A minute's bounce at 10x real time, 60 s of CPU: the debt is capped, so background
        // work resumes within BUDGET_MAX_DEBT / THREAD_BUDGET (33 s), not an hour later.
        b.charge(Duration::from_secs(6), Duration::from_secs(60));
        assert_eq!(b.credit_s, -BUDGET_MAX_DEBT.as_secs_f64());
        b.charge(Duration::from_secs(33), Duration::ZERO);
        assert!(!b.allows());
        b.charge(Duration::from_secs(1), Duration::ZERO);
        assert!(b.allows());
        // The real clock moves with work done on this thread.
        let mut b = CpuBudget::new();
        let t = Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        b.update();
        assert!(!b.allows(), "300 ms of work: {} s of credit", b.credit_s);
    }
}
