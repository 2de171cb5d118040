//! Lookahead building blocks: a preallocated delay line and a sliding-window maximum.
//!
//! [`SlidingMax`] is the monotonic-deque algorithm (a.k.a. the "ascending minima" algorithm) on
//! a preallocated ring: each value is pushed and popped at most once, so the maximum over the
//! last `window` values costs O(1) amortised per sample.

/// Frames [`DelayLine::process_block`] moves with two ring copies at a time; the ring holds this
/// many samples beyond the longest delay so the copies never overlap.
const BLOCK_SLACK: usize = 1024;

/// A delay line of up to `max_delay` samples. The delay can change at run time (clamped).
#[derive(Debug, Clone)]
pub struct DelayLine {
    buf: Vec<f32>,
    pos: usize,
    delay: usize,
    max_delay: usize,
}

impl DelayLine {
    /// A delay line able to delay up to `max_delay` samples; the delay starts at `max_delay`.
    pub fn new(max_delay: usize) -> Self {
        Self {
            buf: vec![0.0; max_delay + 1 + BLOCK_SLACK],
            pos: 0,
            delay: max_delay,
            max_delay,
        }
    }

    /// The largest delay in samples.
    pub fn max_delay(&self) -> usize {
        self.max_delay
    }

    /// The current delay in samples.
    pub fn delay(&self) -> usize {
        self.delay
    }

    /// Sets the delay in samples (clamped to `0..=max_delay`).
    pub fn set_delay(&mut self, samples: usize) {
        self.delay = samples.min(self.max_delay());
    }

    /// Pushes `x` and returns the sample from `delay` samples ago.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let cap = self.buf.len();
        self.buf[self.pos] = x;
        let read = if self.pos >= self.delay {
            self.pos - self.delay
        } else {
            self.pos + cap - self.delay
        };
        self.pos = if self.pos + 1 == cap { 0 } else { self.pos + 1 };
        self.buf[read]
    }

    /// [`Self::process`] for every sample of `xs`, in place (the same output), as ring copies:
    /// each run of up to [`BLOCK_SLACK`] frames is written into the ring and then read back
    /// `delay` frames earlier — the ring's slack keeps the two regions apart.
    pub fn process_block(&mut self, xs: &mut [f32]) {
        let cap = self.buf.len();
        for run in xs.chunks_mut(BLOCK_SLACK) {
            let k = run.len();
            ring_write(&mut self.buf, self.pos, run);
            let read = (self.pos + cap - self.delay) % cap;
            ring_read(&self.buf, read, run);
            self.pos = (self.pos + k) % cap;
        }
    }

    /// Fills the line with zeros.
    pub fn reset(&mut self) {
        self.fill(0.0);
    }

    /// Fills the whole line with `value` (as if `value` had been pushed forever).
    pub fn fill(&mut self, value: f32) {
        self.buf.fill(value);
        self.pos = 0;
    }

    /// The smallest of the last `max_delay + 1` values pushed (everything a delay could still
    /// return or has just returned).
    pub fn min_value(&self) -> f32 {
        ring_recent(&self.buf, self.pos, self.max_delay + 1).fold(f32::INFINITY, f32::min)
    }
}

/// The last `len` values written to `ring` before position `pos` (`len ≤ ring.len()`), newest
/// first: `ring[pos−1]` down to `ring[pos−len]` modulo the length, as two contiguous runs (no
/// division per value).
pub(crate) fn ring_recent<T: Copy>(
    ring: &[T],
    pos: usize,
    len: usize,
) -> impl Iterator<Item = T> + '_ {
    let recent = len.min(pos);
    let wrapped = len - recent;
    ring[pos - recent..pos]
        .iter()
        .rev()
        .chain(ring[ring.len() - wrapped..].iter().rev())
        .copied()
}

/// Copies `src` into `ring` starting at `at`, wrapping (`src.len() ≤ ring.len()`).
fn ring_write(ring: &mut [f32], at: usize, src: &[f32]) {
    let first = src.len().min(ring.len() - at);
    ring[at..at + first].copy_from_slice(&src[..first]);
    ring[..src.len() - first].copy_from_slice(&src[first..]);
}

/// Copies from `ring` starting at `at`, wrapping, into `dst` (`dst.len() ≤ ring.len()`).
fn ring_read(ring: &[f32], at: usize, dst: &mut [f32]) {
    let first = dst.len().min(ring.len() - at);
    dst[..first].copy_from_slice(&ring[at..at + first]);
    let rest = dst.len() - first;
    dst[first..].copy_from_slice(&ring[..rest]);
}

/// Maximum of the last `window` pushed values, O(1) amortised (monotonic deque on a
/// preallocated ring). NaN values are treated as −∞ (ignored).
#[derive(Debug, Clone)]
pub struct SlidingMax {
    values: Vec<f32>,
    stamps: Vec<u64>,
    head: usize,
    len: usize,
    window: usize,
    count: u64,
}

impl SlidingMax {
    /// A sliding maximum over windows of up to `max_window` (≥ 1) values; the window starts at
    /// `max_window`.
    pub fn new(max_window: usize) -> Self {
        let cap = max_window.max(1) + 1;
        Self {
            values: vec![0.0; cap],
            stamps: vec![0; cap],
            head: 0,
            len: 0,
            window: cap - 1,
            count: 0,
        }
    }

    /// The largest window.
    pub fn max_window(&self) -> usize {
        self.values.len() - 1
    }

    /// The current window length.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Sets the window (clamped to `1..=max_window`). Shrinking takes effect at once; after
    /// growing, values pushed before the change that had already left the old window stay
    /// forgotten.
    pub fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.max_window());
    }

    /// Clears all values.
    pub fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
        self.count = 0;
    }

    /// Pushes `x` and returns the maximum of the last `window` values (including `x`).
    #[inline]
    pub fn push(&mut self, x: f32) -> f32 {
        let x = if x.is_nan() { f32::NEG_INFINITY } else { x };
        let cap = self.values.len();
        // Drop smaller values from the back: they can never be the maximum again.
        // Ring indices without a division: head < cap and len ≤ cap.
        let wrap = |i: usize| if i >= cap { i - cap } else { i };
        while self.len > 0 {
            let back = wrap(self.head + self.len - 1);
            if self.values[back] <= x {
                self.len -= 1;
            } else {
                break;
            }
        }
        let slot = wrap(self.head + self.len);
        self.values[slot] = x;
        self.stamps[slot] = self.count;
        self.len += 1;
        // Drop values that left the window from the front.
        let oldest = (self.count + 1).saturating_sub(self.window as u64);
        while self.stamps[self.head] < oldest {
            self.head = wrap(self.head + 1);
            self.len -= 1;
        }
        self.count += 1;
        self.values[self.head]
    }

    /// The current maximum (−∞ when empty).
    pub fn current(&self) -> f32 {
        if self.len == 0 {
            f32::NEG_INFINITY
        } else {
            self.values[self.head]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_delay_equals_per_sample_at_every_delay_and_block_size() {
        let x = crate::testsignals::white_noise(6000, 1.0, 3);
        for max in [0usize, 1, 5, 240, 2000] {
            for delay in [0, 1, max / 2, max] {
                for block in [1usize, 7, 240, 1024, 3000] {
                    let mut a = DelayLine::new(max);
                    a.set_delay(delay);
                    let mut b = a.clone();
                    let expect: Vec<f32> = x.iter().map(|&v| a.process(v)).collect();
                    let mut got = x.clone();
                    for chunk in got.chunks_mut(block) {
                        b.process_block(chunk);
                    }
                    assert_eq!(got, expect, "max {max} delay {delay} block {block}");
                    assert_eq!(a.min_value(), b.min_value());
                }
            }
        }
        let mut d = DelayLine::new(3);
        d.fill(0.5);
        d.process(-1.0);
        assert_eq!(d.min_value(), -1.0);
        for _ in 0..4 {
            d.process(0.25);
        }
        assert_eq!(d.min_value(), 0.25, "older values have left the line");
    }
    use rand::{Rng, SeedableRng};

    #[test]
    fn sliding_max_matches_brute_force_on_random_data() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        for &max_w in &[1usize, 2, 5, 17, 64] {
            let mut sm = SlidingMax::new(max_w);
            let mut hist: Vec<f32> = Vec::new();
            let mut w = max_w;
            let mut check_from = 0;
            for i in 0..3000 {
                if i % 700 == 699 {
                    // Change the window at run time. After growing, values that had already
                    // left the old window stay forgotten, so compare once the new window has
                    // filled with values pushed after the change.
                    let new_w = rng.gen_range(1..=max_w);
                    if new_w > w {
                        check_from = i + new_w;
                    }
                    w = new_w;
                    sm.set_window(w);
                }
                // Include plateaus (repeated values) to exercise the ≤ comparison.
                let x: f32 = if rng.gen_bool(0.2) {
                    0.5
                } else {
                    rng.gen_range(-1.0..1.0)
                };
                hist.push(x);
                let got = sm.push(x);
                let lo = hist.len().saturating_sub(w);
                let expect = hist[lo..].iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                if i >= check_from {
                    assert_eq!(got, expect, "max_w {max_w} w {w} i {i}");
                } else {
                    assert!(got <= expect);
                }
            }
        }
    }

    #[test]
    fn sliding_max_of_decreasing_sequence_expires_old_values() {
        let mut sm = SlidingMax::new(3);
        let got: Vec<f32> = [5.0, 4.0, 3.0, 2.0, 1.0]
            .iter()
            .map(|&x| sm.push(x))
            .collect();
        assert_eq!(got, vec![5.0, 5.0, 5.0, 4.0, 3.0]);
        assert_eq!(sm.push(f32::NAN), 2.0);
    }

    #[test]
    fn delay_line_delays() {
        let mut d = DelayLine::new(4);
        let out: Vec<f32> = (1..=6).map(|i| d.process(i as f32)).collect();
        assert_eq!(out, vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0]);
        d.set_delay(0);
        assert_eq!(d.process(9.0), 9.0);
        d.set_delay(100);
        assert_eq!(d.delay(), 4);
    }
}
