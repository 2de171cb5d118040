//! Lookahead building blocks: a preallocated delay line and a block sliding minimum.

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
    /// each run of up to `BLOCK_SLACK` frames is written into the ring and then read back
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

/// Sliding minimum over a block: `out[i] = min(src[i..i + window])` for every `i <
/// out.len()` (`src` at least `out.len() + window − 1` long, no NaN).
///
/// Computed by doubling: after each pass every position holds the minimum of twice (or four
/// times) as many consecutive values, and two overlapping spans of the largest power of two ≤
/// `window` cover any window — about log₄(window) vector passes over the block instead of a
/// data-dependent deque per sample. A minimum has no rounding, so the result is exact whatever
/// the block split; short blocks scan each window directly. `a` and `b` are scratch, each at
/// least as long as the part of `src` used.
pub fn sliding_min(src: &[f32], window: usize, out: &mut [f32], a: &mut [f32], b: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        unsafe { sliding_min_avx2(src, window, out, a, b) };
        return;
    }
    sliding_min_impl(src, window, out, a, b);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sliding_min_avx2(
    src: &[f32],
    window: usize,
    out: &mut [f32],
    a: &mut [f32],
    b: &mut [f32],
) {
    sliding_min_impl(src, window, out, a, b);
}

/// The smaller of two numbers as one compare-and-select (vectorises; no NaN handling).
#[inline(always)]
fn lesser(x: f32, y: f32) -> f32 {
    if y < x {
        y
    } else {
        x
    }
}

/// The minimum of `xs` (not empty, no NaN), eight running minima at a time (vectorises).
#[inline(always)]
fn window_min(xs: &[f32]) -> f32 {
    let (chunks, rest) = xs.as_chunks::<8>();
    let mut acc = [f32::INFINITY; 8];
    for c in chunks {
        for k in 0..8 {
            acc[k] = lesser(acc[k], c[k]);
        }
    }
    acc.iter()
        .chain(rest)
        .fold(f32::INFINITY, |m, &v| lesser(m, v))
}

#[inline(always)]
fn sliding_min_impl(src: &[f32], window: usize, out: &mut [f32], a: &mut [f32], b: &mut [f32]) {
    let n = out.len();
    if n == 0 {
        return;
    }
    let w = window.max(1);
    let len = n + w - 1;
    let src = &src[..len];
    // Direct scans cost n·w, the passes about (n + w) each.
    let mut passes = 1;
    let mut span = 1;
    while 2 * span <= w {
        span *= if 4 * span <= w { 4 } else { 2 };
        passes += 1;
    }
    if n * w <= len * passes {
        for (i, o) in out.iter_mut().enumerate() {
            *o = window_min(&src[i..i + w]);
        }
        return;
    }
    // dst[j] = the minimum of cur[j + i·span] for i < times: the minimum over `times` spans
    // (two passes in one where the window allows, to save loads and stores).
    #[inline(always)]
    fn widen(cur: &[f32], span: usize, times: usize, dst: &mut [f32]) {
        let n = dst.len();
        if times == 4 {
            let (c0, c1) = (&cur[..n], &cur[span..span + n]);
            let (c2, c3) = (&cur[2 * span..2 * span + n], &cur[3 * span..3 * span + n]);
            for (j, d) in dst.iter_mut().enumerate() {
                *d = lesser(lesser(c0[j], c1[j]), lesser(c2[j], c3[j]));
            }
        } else {
            for (d, (&x, &y)) in dst.iter_mut().zip(cur.iter().zip(&cur[span..])) {
                *d = lesser(x, y);
            }
        }
    }
    let (mut x, mut y) = (a, b);
    let (mut span, mut cur_len, mut in_src) = (1usize, len, true);
    while 2 * span <= w {
        let times = if 4 * span <= w { 4 } else { 2 };
        let next = cur_len - (times - 1) * span;
        if in_src {
            widen(src, span, times, &mut x[..next]);
            in_src = false;
        } else {
            widen(&x[..cur_len], span, times, &mut y[..next]);
            std::mem::swap(&mut x, &mut y);
        }
        cur_len = next;
        span *= times;
    }
    let cur: &[f32] = if in_src { src } else { &x[..cur_len] };
    let off = w - span;
    for (o, (&p, &q)) in out.iter_mut().zip(cur.iter().zip(&cur[off..])) {
        *o = lesser(p, q);
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
                }
            }
        }
    }
    use rand::{Rng, SeedableRng};

    #[test]
    fn sliding_min_matches_brute_force_at_every_window_and_block_size() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        // Plateaus (repeated values) and long falling and rising runs, as gains have.
        let src: Vec<f32> = (0..3000)
            .map(|i| match (i / 300) % 3 {
                0 if rng.gen_bool(0.3) => 0.5,
                1 => 1.0 - i as f32 * 1e-4,
                _ => rng.gen_range(-1.0..1.0),
            })
            .collect();
        let mut a = vec![0.0; src.len()];
        let mut b = vec![0.0; src.len()];
        for w in [1usize, 2, 3, 4, 5, 7, 8, 9, 17, 64, 242, 961] {
            for n in [1usize, 2, 5, 16, 100, 1024, src.len() + 1 - w] {
                for start in [0usize, 13] {
                    if start + n + w - 1 > src.len() {
                        continue;
                    }
                    let s = &src[start..];
                    let mut out = vec![f32::NAN; n];
                    sliding_min(s, w, &mut out, &mut a, &mut b);
                    for (i, &o) in out.iter().enumerate() {
                        let expect = s[i..i + w].iter().copied().fold(f32::INFINITY, f32::min);
                        assert_eq!(o, expect, "window {w} block {n} start {start} i {i}");
                    }
                }
            }
        }
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
