//! A lock-free latest-value snapshot (wrapping `triple_buffer`): one writer publishes values, one
//! reader gets the most recent complete one. Neither side ever blocks or waits for the other.

use triple_buffer::{triple_buffer, Input, Output};

/// Creates a snapshot pair whose reader initially sees `initial`. Allocates the three buffers
/// here (three clones of `initial`).
pub fn snapshot<T: Clone + Send>(initial: &T) -> (SnapshotWriter<T>, SnapshotReader<T>) {
    let (input, output) = triple_buffer(initial);
    (SnapshotWriter { input }, SnapshotReader { output })
}

/// The publishing end. Wait-free.
///
/// Real-time note: [`SnapshotWriter::publish`] drops the value it replaces in the back buffer;
/// for types owning heap memory use [`SnapshotWriter::publish_with`], which edits a buffer in
/// place and frees nothing.
pub struct SnapshotWriter<T: Send> {
    input: Input<T>,
}

impl<T: Send> std::fmt::Debug for SnapshotWriter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotWriter").finish_non_exhaustive()
    }
}

impl<T: Send> SnapshotWriter<T> {
    /// Publishes `value` as the latest.
    pub fn publish(&mut self, value: T) {
        self.input.write(value);
    }

    /// Lets `fill` write the next value in place, then publishes it. The buffer handed to `fill`
    /// holds an older value (not necessarily the last published one): overwrite every field.
    pub fn publish_with(&mut self, fill: impl FnOnce(&mut T)) {
        fill(self.input.input_buffer_mut());
        self.input.publish();
    }

    /// True when the reader has taken the last published value (diagnostics only).
    pub fn consumed(&self) -> bool {
        self.input.consumed()
    }
}

/// The reading end. Wait-free.
pub struct SnapshotReader<T: Send> {
    output: Output<T>,
}

impl<T: Send> std::fmt::Debug for SnapshotReader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotReader").finish_non_exhaustive()
    }
}

impl<T: Send> SnapshotReader<T> {
    /// The latest published value (fetching a newer one if there is any).
    pub fn latest(&mut self) -> &T {
        self.output.read()
    }

    /// True when a value newer than the one last returned has been published.
    pub fn has_update(&self) -> bool {
        self.output.updated()
    }

    /// The value last returned by [`SnapshotReader::latest`], without fetching.
    pub fn current(&self) -> &T {
        self.output.output_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// A value whose fields must agree: every field derives from `seq`.
    #[derive(Debug, Clone, PartialEq)]
    struct Frame {
        seq: u64,
        twice: u64,
        squares: [u64; 16],
        label: f64,
    }

    impl Frame {
        fn new(seq: u64) -> Self {
            let mut squares = [0; 16];
            for (k, s) in squares.iter_mut().enumerate() {
                *s = seq.wrapping_mul(seq).wrapping_add(k as u64);
            }
            Self {
                seq,
                twice: seq.wrapping_mul(2),
                squares,
                label: seq as f64 * 0.5,
            }
        }

        fn consistent(&self) -> bool {
            *self == Frame::new(self.seq)
        }
    }

    #[test]
    fn reader_always_sees_complete_values_under_concurrent_publishing() {
        const N: u64 = 300_000;
        let (mut w, mut r) = snapshot(&Frame::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let done2 = Arc::clone(&done);
        let reader = std::thread::spawn(move || {
            let mut last = 0u64;
            let mut reads = 0u64;
            let mut distinct = 0u64;
            loop {
                let finished = done2.load(Ordering::Acquire);
                let f = r.latest();
                assert!(f.consistent(), "torn value {f:?}");
                assert!(f.seq >= last, "went back in time: {} after {last}", f.seq);
                if f.seq != last {
                    distinct += 1;
                }
                last = f.seq;
                reads += 1;
                if finished {
                    break;
                }
            }
            assert_eq!(r.latest().seq, N, "the final value is seen");
            (reads, distinct)
        });
        for seq in 1..=N {
            if seq % 2 == 0 {
                w.publish(Frame::new(seq));
            } else {
                w.publish_with(|f| *f = Frame::new(seq));
            }
        }
        done.store(true, Ordering::Release);
        let (reads, distinct) = reader.join().unwrap();
        assert!(reads > 0 && distinct > 0);
    }

    #[test]
    fn single_thread_semantics() {
        let (mut w, mut r) = snapshot(&vec![0u32; 4]);
        assert_eq!(r.latest(), &vec![0; 4]);
        assert!(!r.has_update());
        w.publish_with(|v| v.copy_from_slice(&[1, 2, 3, 4]));
        assert!(r.has_update());
        assert!(!w.consumed());
        assert_eq!(r.current(), &vec![0; 4]);
        assert_eq!(r.latest(), &vec![1, 2, 3, 4]);
        assert!(w.consumed());
        w.publish(vec![5; 4]);
        w.publish(vec![6; 4]);
        assert_eq!(r.latest(), &vec![6; 4]);
        assert_eq!(r.latest(), &vec![6; 4]);
    }
}
