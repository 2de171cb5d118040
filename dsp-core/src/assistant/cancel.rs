//! Cancelling a long suggestion from outside: the plugins' analysis threads install their stop
//! flag for the thread ([`Scope`]), and the simulations inside the assistants (chain renders
//! over the excerpt, the drive and threshold searches) poll [`requested`] between slices of a
//! few thousand frames and return early. The result of a cancelled call is meaningless and is
//! discarded by the caller; without a flag (the CLI, the tests) nothing changes, bit for bit.
//!
//! Never called from an audio thread.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

thread_local! {
    static FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Frames processed between two polls of the flag in the offline renders.
pub const SLICE_FRAMES: usize = 1 << 15;

/// True when the current thread's flag (if any) asks to stop.
pub fn requested() -> bool {
    FLAG.with(|f| {
        f.borrow()
            .as_ref()
            .is_some_and(|a| a.load(Ordering::Acquire))
    })
}

/// Installs `flag` as the current thread's cancel flag until dropped.
#[derive(Debug)]
pub struct Scope(());

impl Scope {
    /// Polls `flag` in this thread's long assistant work from now on.
    pub fn new(flag: Arc<AtomicBool>) -> Self {
        FLAG.with(|f| *f.borrow_mut() = Some(flag));
        Scope(())
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        FLAG.with(|f| *f.borrow_mut() = None);
    }
}

/// Runs `f` over `0..n` in slices of [`SLICE_FRAMES`] (a multiple of every chain's internal
/// block, so the processing is the same as in one call), stopping early when cancelled.
/// Returns false when it stopped early.
pub fn in_slices(n: usize, mut f: impl FnMut(std::ops::Range<usize>)) -> bool {
    let mut start = 0;
    while start < n {
        if requested() {
            return false;
        }
        let end = (start + SLICE_FRAMES).min(n);
        f(start..end);
        start = end;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_cancels_only_its_thread_and_only_while_it_lives() {
        let flag = Arc::new(AtomicBool::new(false));
        assert!(!requested());
        {
            let _s = Scope::new(flag.clone());
            assert!(!requested());
            flag.store(true, Ordering::Release);
            assert!(requested());
            let other = std::thread::spawn(requested).join().unwrap();
            assert!(!other, "another thread is not cancelled");
            let mut seen = 0;
            assert!(!in_slices(10 * SLICE_FRAMES, |r| seen += r.len()));
            assert_eq!(seen, 0);
        }
        assert!(!requested());
        let mut seen = 0;
        assert!(in_slices(3 * SLICE_FRAMES + 5, |r| seen += r.len()));
        assert_eq!(seen, 3 * SLICE_FRAMES + 5);
    }
}
