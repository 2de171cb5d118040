//! The analysis scheduler: every instance of a plugin in a host process listens through one
//! small pool of worker threads (one on a machine of up to seven cores), not a thread each.
//! Sixty-four learning instances were sixty-four threads at the audio thread's priority, each
//! asking for its share of the cores, and the audio thread ran late (docs/PERFORMANCE.md);
//! through the pool they take at most the pool's threads, and each instance's own budget
//! (`assistant::THREAD_BUDGET`) decides how much of that it gets for background work.
//!
//! An instance hands the pool a [`Task`]; a worker gives each task due a *turn* in round robin
//! (one chunk of audio, perhaps one suggestion) and puts it back, due again at once when it has
//! more waiting or after [`NAP`] when it had nothing to do. [`TaskHandle::stop`] takes a task
//! out: at once when it is waiting for its turn, else when its turn ends (the turn polls the
//! task's stop flag through `dsp_core::assistant::cancel`, so a long solve is cut short). When the
//! last task of the library is stopped, the workers are joined, so no thread runs the library's
//! code once its last instance is gone (a host may unload it then).
//!
//! Each plugin library (a CLAP or VST3 bundle) has its own pool: the three plugins share no
//! statics.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a task that had nothing to do waits for its next turn.
pub const NAP: Duration = Duration::from_millis(25);

/// What a turn came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// More work is waiting: due again at once (after the other tasks due).
    Again,
    /// Nothing more to do now: due again after [`NAP`].
    Nap,
    /// Finished for good (stopped, or given up after faults).
    Done,
}

/// Work a worker does in turns. A turn should be short (a chunk of audio, one suggestion):
/// the other tasks wait for it.
pub trait Task: Send {
    /// One turn. Runs on a worker with the task's stop flag installed as the thread's cancel
    /// flag (`dsp_core::assistant::cancel::Scope`).
    fn turn(&mut self) -> Turn;
}

struct Entry {
    task: Mutex<Box<dyn Task>>,
    stop: Arc<AtomicBool>,
    finished: AtomicBool,
}

struct Queued {
    entry: Arc<Entry>,
    due: Instant,
}

struct Pool {
    /// Tasks waiting for a turn, in round-robin order.
    queue: VecDeque<Queued>,
    /// Tasks not finished (waiting or in a turn).
    tasks: usize,
    workers: Vec<JoinHandle<()>>,
    /// Workers of an older generation leave (the pool emptied and was joined).
    generation: u64,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    queue: VecDeque::new(),
    tasks: 0,
    workers: Vec::new(),
    generation: 0,
});
/// Signals a task queued, a turn ended, a stop asked for.
static CHANGED: Condvar = Condvar::new();

/// Worker threads alive in this library, counted from their spawn to their end (for the
/// lifecycle tests).
pub static LIVE_WORKERS: AtomicUsize = AtomicUsize::new(0);

fn pool() -> MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Workers per pool: one for every four cores, one at least and four at most (on this
/// project's 2-core reference machine: one, leaving a core to the audio).
pub fn worker_count() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 4)
        .unwrap_or(1)
        .clamp(1, 4)
}

/// A task in the pool, as its instance holds it. Dropping it stops the task.
pub struct TaskHandle {
    entry: Arc<Entry>,
}

/// Queues `task` for turns, starting the pool's workers (named `"{name} analysis"`) when none
/// runs. Call from `activate()` or the main thread, never from `process()`.
pub fn spawn(name: &str, task: Box<dyn Task>) -> std::io::Result<TaskHandle> {
    let entry = Arc::new(Entry {
        task: Mutex::new(task),
        stop: Arc::new(AtomicBool::new(false)),
        finished: AtomicBool::new(false),
    });
    let mut pool = pool();
    if pool.workers.is_empty() {
        for _ in 0..worker_count() {
            let generation = pool.generation;
            match std::thread::Builder::new()
                .name(format!("{name} analysis"))
                .spawn(move || work(generation))
            {
                Ok(h) => {
                    LIVE_WORKERS.fetch_add(1, Ordering::SeqCst);
                    pool.workers.push(h);
                }
                Err(e) if pool.workers.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
    }
    pool.tasks += 1;
    pool.queue.push_back(Queued {
        entry: entry.clone(),
        due: Instant::now(),
    });
    CHANGED.notify_all();
    Ok(TaskHandle { entry })
}

fn finish(pool: &mut Pool, entry: &Entry) {
    if !entry.finished.swap(true, Ordering::AcqRel) {
        pool.tasks -= 1;
    }
}

/// A worker: turns for the tasks due, in round robin, until its generation retires.
fn work(generation: u64) {
    let mut pool = pool();
    while pool.generation == generation {
        let now = Instant::now();
        let due = pool
            .queue
            .iter()
            .position(|q| q.due <= now || q.entry.stop.load(Ordering::Acquire));
        let Some(i) = due else {
            let wait = pool
                .queue
                .iter()
                .map(|q| q.due.saturating_duration_since(now))
                .min()
                .unwrap_or(NAP);
            pool = CHANGED
                .wait_timeout(pool, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            continue;
        };
        let Some(q) = pool.queue.remove(i) else {
            continue;
        };
        drop(pool);
        let turn = if q.entry.stop.load(Ordering::Acquire) {
            Turn::Done
        } else {
            let _cancel = dsp_core::assistant::cancel::Scope::new(q.entry.stop.clone());
            let mut task = q.entry.task.lock().unwrap_or_else(|e| e.into_inner());
            // A task that panics past its own guard is finished; the worker goes on.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.turn()))
                .unwrap_or(Turn::Done)
        };
        pool = self::pool();
        match turn {
            _ if q.entry.stop.load(Ordering::Acquire) => finish(&mut pool, &q.entry),
            Turn::Done => finish(&mut pool, &q.entry),
            Turn::Again => pool.queue.push_back(Queued {
                entry: q.entry,
                due: Instant::now(),
            }),
            Turn::Nap => pool.queue.push_back(Queued {
                entry: q.entry,
                due: Instant::now() + NAP,
            }),
        }
        CHANGED.notify_all();
    }
    drop(pool);
    LIVE_WORKERS.fetch_sub(1, Ordering::SeqCst);
}

impl TaskHandle {
    /// Stops the task: takes it out of the queue, or waits for its turn to end (cut short by its
    /// cancel flag). When it was the library's last task, joins the workers.
    pub fn stop(&self) {
        self.entry.stop.store(true, Ordering::Release);
        let mut pool = pool();
        CHANGED.notify_all();
        while !self.entry.finished.load(Ordering::Acquire) {
            if let Some(i) = pool
                .queue
                .iter()
                .position(|q| Arc::ptr_eq(&q.entry, &self.entry))
            {
                pool.queue.remove(i);
                finish(&mut pool, &self.entry);
                break;
            }
            // In a turn on a worker: it ends the turn and finishes the task.
            pool = CHANGED.wait(pool).unwrap_or_else(|e| e.into_inner());
        }
        let retired = if pool.tasks == 0 && !pool.workers.is_empty() {
            pool.generation += 1;
            std::mem::take(&mut pool.workers)
        } else {
            Vec::new()
        };
        CHANGED.notify_all();
        drop(pool);
        for h in retired {
            let _ = h.join();
        }
    }

    /// True until the task is stopped or finished by itself.
    pub fn is_running(&self) -> bool {
        !self.entry.finished.load(Ordering::Acquire) && !self.entry.stop.load(Ordering::Acquire)
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// The pool is per process: tests that start tasks or count workers take turns.
    pub(crate) fn serial() -> MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    struct Counter {
        turns: Arc<AtomicU64>,
        limit: u64,
        then: Turn,
    }

    impl Task for Counter {
        fn turn(&mut self) -> Turn {
            let n = self.turns.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= self.limit {
                self.then
            } else {
                Turn::Again
            }
        }
    }

    fn counter(limit: u64, then: Turn) -> (Box<dyn Task>, Arc<AtomicU64>) {
        let turns = Arc::new(AtomicU64::new(0));
        let task = Counter {
            turns: turns.clone(),
            limit,
            then,
        };
        (Box::new(task), turns)
    }

    /// Polls `cond` until it holds (true) or 10 s passed (false).
    pub(crate) fn wait_for(mut cond: impl FnMut() -> bool) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    }

    /// Forty tasks share the pool's workers round robin (each gets turns while the others
    /// still run), a task that finishes by itself is finished, and the workers leave with
    /// the last task.
    #[test]
    fn many_tasks_share_the_workers_and_the_last_stop_joins_them() {
        let _s = serial();
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (t, n) = counter(u64::MAX, Turn::Again);
                (spawn("test", t).unwrap(), n)
            })
            .collect();
        assert_eq!(LIVE_WORKERS.load(Ordering::SeqCst), worker_count());
        assert!(wait_for(|| tasks
            .iter()
            .all(|(_, n)| n.load(Ordering::SeqCst) >= 100)));
        let (t, n) = counter(5, Turn::Done);
        let done = spawn("test", t).unwrap();
        assert!(wait_for(|| !done.is_running()));
        assert_eq!(n.load(Ordering::SeqCst), 5);
        assert_eq!(LIVE_WORKERS.load(Ordering::SeqCst), worker_count());
        drop(done);
        for (h, _) in &tasks[1..] {
            h.stop();
            assert!(!h.is_running());
        }
        assert_eq!(LIVE_WORKERS.load(Ordering::SeqCst), worker_count());
        let first = &tasks[0];
        let before = first.1.load(Ordering::SeqCst);
        assert!(wait_for(|| first.1.load(Ordering::SeqCst) > before + 100));
        first.0.stop();
        assert_eq!(
            LIVE_WORKERS.load(Ordering::SeqCst),
            0,
            "joined with the last task"
        );
        let after = first.1.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            first.1.load(Ordering::SeqCst),
            after,
            "no turn after the stop"
        );
        // A new task starts the pool again.
        let (t, n) = counter(u64::MAX, Turn::Nap);
        let again = spawn("test", t).unwrap();
        assert!(wait_for(|| n.load(Ordering::SeqCst) > 0));
        drop(again);
        assert_eq!(LIVE_WORKERS.load(Ordering::SeqCst), 0);
    }

    /// A napping task gets about one turn per NAP, not a busy loop; a stop in the middle of a
    /// long turn waits for that turn only, which sees its cancel flag.
    #[test]
    fn naps_are_naps_and_a_stop_cancels_the_turn() {
        let _s = serial();
        let (t, n) = counter(0, Turn::Nap);
        let napping = spawn("test", t).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let turns = n.load(Ordering::SeqCst);
        // Not a busy loop (at most one turn per NAP); at least one even on a loaded machine.
        assert!((1..=14).contains(&turns), "{turns} turns in 300 ms");
        struct Long(Arc<AtomicBool>);
        impl Task for Long {
            fn turn(&mut self) -> Turn {
                self.0.store(true, Ordering::SeqCst);
                let t0 = Instant::now();
                while !dsp_core::assistant::cancel::requested() {
                    assert!(t0.elapsed() < Duration::from_secs(10), "never cancelled");
                    std::hint::spin_loop();
                }
                Turn::Again
            }
        }
        let started = Arc::new(AtomicBool::new(false));
        let long = spawn("test", Box::new(Long(started.clone()))).unwrap();
        assert!(wait_for(|| started.load(Ordering::SeqCst)));
        let t0 = Instant::now();
        long.stop();
        assert!(t0.elapsed() < Duration::from_secs(1));
        assert!(!long.is_running());
        drop(napping);
        assert_eq!(LIVE_WORKERS.load(Ordering::SeqCst), 0);
    }
}
