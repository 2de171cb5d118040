//! The limiter's release and attack ramp over a block.
//!
//! Per sample, with `m` the held required gain, `r` the release coefficient and `L` the
//! lookahead:
//!
//! ```text
//! h[n] = min(m[n], r·h[n−1] + (1 − r)·m[n])      instant attack, exponential release
//! g[n] = (h[n] + h[n−1] + … + h[n−L+1]) / L      moving average = linear attack ramp
//! ```
//!
//! Both are recurrences, so a plain loop waits on the previous sample's multiply, add and
//! minimum every sample. The vector kernels break the chain eight (AVX-512) or four (AVX2)
//! samples at a time: each step is the map `y ↦ min(C, A·y + D)` (with `C = m`, `A = r`,
//! `D = (1 − r)·m`), and since `A ≥ 0` two such maps compose into one of the same form,
//!
//! ```text
//! (C₂, A₂, D₂) ∘ (C₁, A₁, D₁) = (min(C₂, A₂·C₁ + D₂), A₂·A₁, A₂·D₁ + D₂),
//! ```
//!
//! so three (two) shift-and-compose steps give every lane the map from the previous block's
//! last `h` to its own (`A` is `rᵏ`, a constant per lane), and one multiply, add and minimum
//! per block remain serial. The moving average is a running sum whose differences
//! `h[n] − h[n−L]` are summed the same way (a prefix sum). The results equal the
//! plain loop's up to rounding (within 1e-12, far below the `f32` the gain is stored in).

/// The release coefficient and the constants the kernels derive from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Release {
    /// `r`, 0 ≤ r < 1 (0: no release smoothing).
    pub r: f64,
    /// `1 − r`.
    pub b: f64,
    /// `r¹ … r⁸`.
    pub pow: [f64; 8],
}

impl Release {
    pub fn new(r: f64) -> Self {
        let mut pow = [r; 8];
        for k in 1..8 {
            pow[k] = pow[k - 1] * r;
        }
        Self { r, b: 1.0 - r, pow }
    }
}

/// How [`release_average`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    /// One sample after the other.
    Scalar,
    /// Four samples per 256-bit register (x86-64 with AVX2).
    Avx2,
    /// Eight samples per 512-bit register (x86-64 with AVX-512F).
    Avx512,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        [Self::Avx512, Self::Avx2]
            .into_iter()
            .find(|k| k.is_supported())
            .unwrap_or(Self::Scalar)
    }

    /// Whether this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        match self {
            Self::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// The program-dependent slow release branch: its attack and release coefficients and state.
pub(super) struct Slow<'a> {
    pub attack: f64,
    pub release: f64,
    pub state: &'a mut f64,
}

/// Sum of `xs` with four accumulators (so it does not wait on one add per value).
fn sum4(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = xs.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..4 {
            acc[k] += c[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest.iter().sum::<f64>()
}

/// The moving average's running sum, carried from block to block. It is summed afresh from
/// the history once `lookahead` frames have passed since the last time (so rounding cannot
/// accumulate, and short blocks do not pay for a whole window each), or after
/// [`invalidate`](Self::invalidate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RunningSum {
    sum: f64,
    since: usize,
}

impl RunningSum {
    /// A sum that is summed afresh before the next block.
    pub const STALE: Self = Self {
        sum: 0.0,
        since: usize::MAX,
    };

    /// Call after the history was rewritten (reset, pull-down, another lookahead).
    pub fn invalidate(&mut self) {
        *self = Self::STALE;
    }
}

/// Runs the release and the moving average over one block.
///
/// `m`: the held required gains of the block. `hist[..front]` holds the `h` values before the
/// block, oldest first (`front ≥ lookahead`); the block's `h` are written to
/// `hist[front..front + m.len()]`. `out` receives the gains. `fast` is the release state
/// before the block; the returned value is the state after it. With `slow`, `h` is also held
/// under the slow branch, `h = min(fast, slow)` (always the scalar loop).
#[allow(clippy::too_many_arguments)]
pub(super) fn release_average(
    kernel: Kernel,
    rel: &Release,
    m: &[f32],
    hist: &mut [f64],
    front: usize,
    lookahead: usize,
    fast: f64,
    slow: Option<Slow>,
    running: &mut RunningSum,
    out: &mut [f32],
) -> f64 {
    let n = m.len();
    assert!(lookahead >= 1 && front >= lookahead && hist.len() >= front + n && out.len() >= n);
    if running.since >= lookahead {
        running.sum = sum4(&hist[front - lookahead..front]);
        running.since = 0;
    }
    let sum = running.sum;
    let (fast, sum) = match (kernel, slow) {
        #[cfg(target_arch = "x86_64")]
        (Kernel::Avx512, None) if kernel.is_supported() => {
            // SAFETY: the CPU has AVX-512F; the bounds are checked above.
            unsafe { simd::run_avx512(rel, m, hist, front, lookahead, fast, sum, out) }
        }
        #[cfg(target_arch = "x86_64")]
        (Kernel::Avx2, None) if kernel.is_supported() => {
            // SAFETY: the CPU has AVX2; the bounds are checked above.
            unsafe { simd::run_avx2(rel, m, hist, front, lookahead, fast, sum, out) }
        }
        (_, slow) => scalar(rel, m, hist, front, lookahead, fast, sum, slow, out, 0),
    };
    running.sum = sum;
    running.since = running.since.saturating_add(n);
    fast
}

/// The plain loop from sample `start` on; returns the release state and the running sum after
/// the block.
#[allow(clippy::too_many_arguments)]
fn scalar(
    rel: &Release,
    m: &[f32],
    hist: &mut [f64],
    front: usize,
    lookahead: usize,
    mut fast: f64,
    mut sum: f64,
    mut slow: Option<Slow>,
    out: &mut [f32],
    start: usize,
) -> (f64, f64) {
    let inv = 1.0 / lookahead as f64;
    for i in start..m.len() {
        let m = m[i] as f64;
        // The release step lies between the old value and m, so the smaller of the two is m
        // when m is lower (instant attack, branch-free).
        fast = m.min(rel.r * fast + rel.b * m);
        let mut h = fast;
        if let Some(s) = slow.as_mut() {
            let a = if m < *s.state { s.attack } else { s.release };
            *s.state = (a * *s.state + (1.0 - a) * m).min(1.0);
            h = h.min(*s.state);
        }
        hist[front + i] = h;
        sum += h - hist[front + i - lookahead];
        out[i] = (sum * inv).clamp(0.0, 1.0) as f32;
    }
    (fast, sum)
}

/// The vector kernels: one algorithm ([`simd::run`]) over two register widths.
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::Release;
    use std::arch::x86_64::*;

    /// The operations the kernel needs on `LANES` `f64` lanes. Every method is an intrinsic or
    /// two; callers must run on a CPU with the register's instruction set (the methods are
    /// inlined into the `#[target_feature]` entry points below).
    pub(super) trait Lanes: Copy {
        const LANES: usize;
        unsafe fn splat(x: f64) -> Self;
        unsafe fn load(p: *const f64) -> Self;
        /// `LANES` `f32` values, widened.
        unsafe fn load_f32(p: *const f32) -> Self;
        unsafe fn store(self, p: *mut f64);
        /// Stores the lanes rounded to `f32`.
        unsafe fn store_f32(self, p: *mut f32);
        unsafe fn add(self, o: Self) -> Self;
        unsafe fn sub(self, o: Self) -> Self;
        unsafe fn mul(self, o: Self) -> Self;
        unsafe fn min(self, o: Self) -> Self;
        unsafe fn max(self, o: Self) -> Self;
        /// Lane i takes lane i − `s` (`s` = 1, 2 or 4, below `LANES`); lanes below `s` take
        /// `fill`'s.
        unsafe fn shift(self, s: usize, fill: Self) -> Self;
        /// Every lane takes the last lane.
        unsafe fn last(self) -> Self;
        unsafe fn first(self) -> f64;
    }

    #[derive(Clone, Copy)]
    pub(super) struct Avx2(__m256d);

    impl Lanes for Avx2 {
        const LANES: usize = 4;
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            Self(_mm256_set1_pd(x))
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            Self(_mm256_loadu_pd(p))
        }
        #[inline(always)]
        unsafe fn load_f32(p: *const f32) -> Self {
            Self(_mm256_cvtps_pd(_mm_loadu_ps(p)))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            _mm256_storeu_pd(p, self.0)
        }
        #[inline(always)]
        unsafe fn store_f32(self, p: *mut f32) {
            _mm_storeu_ps(p, _mm256_cvtpd_ps(self.0))
        }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self {
            Self(_mm256_add_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self {
            Self(_mm256_sub_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn mul(self, o: Self) -> Self {
            Self(_mm256_mul_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn min(self, o: Self) -> Self {
            Self(_mm256_min_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn max(self, o: Self) -> Self {
            Self(_mm256_max_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn shift(self, s: usize, fill: Self) -> Self {
            debug_assert!(s == 1 || s == 2);
            let x = self.0;
            Self(match s {
                1 => _mm256_blend_pd::<0b0001>(_mm256_permute4x64_pd::<0b10_01_00_00>(x), fill.0),
                _ => _mm256_blend_pd::<0b0011>(_mm256_permute4x64_pd::<0b01_00_00_00>(x), fill.0),
            })
        }
        #[inline(always)]
        unsafe fn last(self) -> Self {
            Self(_mm256_permute4x64_pd::<0b11_11_11_11>(self.0))
        }
        #[inline(always)]
        unsafe fn first(self) -> f64 {
            _mm256_cvtsd_f64(self.0)
        }
    }

    #[derive(Clone, Copy)]
    pub(super) struct Avx512(__m512d);

    impl Lanes for Avx512 {
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            Self(_mm512_set1_pd(x))
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            Self(_mm512_loadu_pd(p))
        }
        #[inline(always)]
        unsafe fn load_f32(p: *const f32) -> Self {
            Self(_mm512_cvtps_pd(_mm256_loadu_ps(p)))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            _mm512_storeu_pd(p, self.0)
        }
        #[inline(always)]
        unsafe fn store_f32(self, p: *mut f32) {
            _mm256_storeu_ps(p, _mm512_cvtpd_ps(self.0))
        }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self {
            Self(_mm512_add_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self {
            Self(_mm512_sub_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn mul(self, o: Self) -> Self {
            Self(_mm512_mul_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn min(self, o: Self) -> Self {
            Self(_mm512_min_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn max(self, o: Self) -> Self {
            Self(_mm512_max_pd(self.0, o.0))
        }
        #[inline(always)]
        unsafe fn shift(self, s: usize, fill: Self) -> Self {
            debug_assert!(s == 1 || s == 2 || s == 4);
            let (idx, mask) = match s {
                1 => (_mm512_set_epi64(6, 5, 4, 3, 2, 1, 0, 0), 0xFE),
                2 => (_mm512_set_epi64(5, 4, 3, 2, 1, 0, 0, 0), 0xFC),
                _ => (_mm512_set_epi64(3, 2, 1, 0, 0, 0, 0, 0), 0xF0),
            };
            Self(_mm512_mask_permutexvar_pd(fill.0, mask, idx, self.0))
        }
        #[inline(always)]
        unsafe fn last(self) -> Self {
            Self(_mm512_permutexvar_pd(_mm512_set1_epi64(7), self.0))
        }
        #[inline(always)]
        unsafe fn first(self) -> f64 {
            _mm512_cvtsd_f64(self.0)
        }
    }

    /// See the module docs. Blocks of `LANES` while the running sum's oldest value lies before
    /// the block being written (`lookahead ≥ LANES`), then the plain loop for the rest.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) unsafe fn run<V: Lanes>(
        rel: &Release,
        m: &[f32],
        hist: &mut [f64],
        front: usize,
        lookahead: usize,
        fast: f64,
        sum: f64,
        out: &mut [f32],
    ) -> (f64, f64) {
        let w = V::LANES;
        let blocks = if lookahead >= w { m.len() / w } else { 0 };
        // Shifted into C below lane s: larger than any gain, so the minimum ignores it. Finite,
        // so that r = 0 gives 0·MAX = 0 rather than 0·∞ = NaN.
        let big = V::splat(f64::MAX);
        let (zero, one) = (V::splat(0.0), V::splat(1.0));
        let pow = V::load(rel.pow.as_ptr());
        let b = V::splat(rel.b);
        let inv = V::splat(1.0 / lookahead as f64);
        let (mut y, mut s) = (V::splat(fast), V::splat(sum));
        let hp = hist.as_mut_ptr();
        for k in 0..blocks {
            let i = w * k;
            let mv = V::load_f32(m.as_ptr().add(i));
            // Compose the maps (C, r, D) prefix-wise: after the step with shift s, lane i holds
            // the map over its last 2s samples (or all of them from lane 0).
            let (mut c, mut d) = (mv, b.mul(mv));
            let mut span = 1;
            while span < w {
                let rs = V::splat(rel.pow[span - 1]);
                let (cs, ds) = (c.shift(span, big), d.shift(span, zero));
                c = c.min(rs.mul(cs).add(d));
                d = rs.mul(ds).add(d);
                span *= 2;
            }
            // Apply each lane's map to h before the block.
            let h = c.min(pow.mul(y).add(d));
            h.store(hp.add(front + i));
            y = h.last();
            // Running sum: prefix sum of h[n] − h[n − L] (h[n − L] is already written).
            let mut diff = h.sub(V::load(hp.add(front + i - lookahead)));
            let mut span = 1;
            while span < w {
                diff = diff.add(diff.shift(span, zero));
                span *= 2;
            }
            let sums = s.add(diff);
            s = sums.last();
            sums.mul(inv)
                .max(zero)
                .min(one)
                .store_f32(out.as_mut_ptr().add(i));
        }
        let (fast, sum) = (y.first(), s.first());
        super::scalar(
            rel,
            m,
            hist,
            front,
            lookahead,
            fast,
            sum,
            None,
            out,
            w * blocks,
        )
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn run_avx2(
        rel: &Release,
        m: &[f32],
        hist: &mut [f64],
        front: usize,
        lookahead: usize,
        fast: f64,
        sum: f64,
        out: &mut [f32],
    ) -> (f64, f64) {
        run::<Avx2>(rel, m, hist, front, lookahead, fast, sum, out)
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn run_avx512(
        rel: &Release,
        m: &[f32],
        hist: &mut [f64],
        front: usize,
        lookahead: usize,
        fast: f64,
        sum: f64,
        out: &mut [f32],
    ) -> (f64, f64) {
        run::<Avx512>(rel, m, hist, front, lookahead, fast, sum, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testsignals::Noise;

    /// Held gains like the limiter's: runs of full gain, sudden dips, slow recoveries.
    fn gains(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = Noise::new(seed);
        let mut g = 1.0f32;
        (0..n)
            .map(|_| {
                let u = rng.uniform();
                if u > 0.97 {
                    g = 0.2 + 0.8 * rng.uniform().abs();
                } else if u < -0.9 {
                    g = 1.0;
                }
                g
            })
            .collect()
    }

    /// The vector kernels agree with the plain loop within 1e-12 (h; the rounding differs,
    /// and with a release near 1 each path's rounding errors add up like a random walk before
    /// they decay) and one f32 unit (the gain), at every block size, lookahead and release, with
    /// the state carried across blocks.
    #[test]
    fn vector_kernels_match_the_plain_loop() {
        let kernels: Vec<Kernel> = [Kernel::Avx2, Kernel::Avx512]
            .into_iter()
            .filter(|k| k.is_supported())
            .collect();
        if kernels.is_empty() {
            eprintln!("no vector kernel on this CPU; nothing to compare");
            return;
        }
        let m = gains(5000, 7);
        for &kernel in &kernels {
            for lookahead in [1usize, 7, 8, 9, 44, 240, 960] {
                for r in [0.3, 0.9, 0.999, 0.999_99] {
                    let rel = Release::new(r);
                    for block in [1usize, 8, 13, 64, 1024] {
                        let front = 960;
                        let mut outs = Vec::new();
                        for kernel in [Kernel::Scalar, kernel] {
                            let mut hist = vec![1.0f64; front + block];
                            let mut fast = 1.0;
                            let mut running = RunningSum::STALE;
                            let mut out = vec![0.0f32; m.len()];
                            let mut hs = Vec::new();
                            for (mb, ob) in m.chunks(block).zip(out.chunks_mut(block)) {
                                let len = mb.len();
                                fast = release_average(
                                    kernel,
                                    &rel,
                                    mb,
                                    &mut hist[..front + len],
                                    front,
                                    lookahead,
                                    fast,
                                    None,
                                    &mut running,
                                    ob,
                                );
                                hs.extend_from_slice(&hist[front..front + len]);
                                hist.copy_within(len..len + front, 0);
                            }
                            outs.push((out, hs));
                        }
                        let ((a, ha), (b, hb)) = (&outs[0], &outs[1]);
                        let tag = |i: usize| {
                            format!("{kernel:?} L {lookahead} r {r} block {block} i {i}")
                        };
                        for i in 0..m.len() {
                            let (h, g) = ((ha[i], hb[i]), (a[i], b[i]));
                            assert!((h.0 - h.1).abs() <= 1e-12, "{}: h {h:?}", tag(i));
                            assert!((g.0 - g.1).abs() <= 1.2e-7, "{}: g {g:?}", tag(i));
                        }
                        // The release did work: h is not just m.
                        assert!(ha.iter().zip(&m).any(|(&h, &x)| h < x as f64 - 1e-3));
                    }
                }
            }
        }
    }

    /// With the slow branch: h = min(fast, slow), the slow state attacking with one coefficient
    /// and releasing with the other, never above 1.
    #[test]
    fn slow_branch_holds_the_gain_under_the_slow_release() {
        let m = gains(4000, 5);
        let (l, front) = (30usize, 32usize);
        let rel = Release::new(0.9);
        let (attack, release) = (0.99, 0.999);
        let mut hist = vec![1.0f64; front + m.len()];
        let mut out = vec![0.0f32; m.len()];
        let mut slow = 1.0;
        let fast = release_average(
            Kernel::detect(),
            &rel,
            &m,
            &mut hist,
            front,
            l,
            1.0,
            Some(Slow {
                attack,
                release,
                state: &mut slow,
            }),
            &mut { RunningSum::STALE },
            &mut out,
        );
        let (mut f, mut s) = (1.0f64, 1.0f64);
        let mut hs = vec![1.0f64; front];
        let mut held = 0;
        for (i, &x) in m.iter().enumerate() {
            let x = x as f64;
            f = if x < f { x } else { x + 0.9 * (f - x) };
            let a = if x < s { attack } else { release };
            s = (x + a * (s - x)).min(1.0);
            held += usize::from(s < f);
            hs.push(f.min(s));
            let avg = hs[hs.len() - l..].iter().sum::<f64>() / l as f64;
            assert!(
                (out[i] as f64 - avg).abs() < 1e-6,
                "i {i}: {} vs {avg}",
                out[i]
            );
        }
        assert!((fast - f).abs() < 1e-12 && (slow - s).abs() < 1e-12);
        assert!(
            held > 1000,
            "the slow branch held the gain only {held} times"
        );
    }

    /// The plain loop against the formulas, with a sum of the window per sample.
    #[test]
    fn plain_loop_is_release_then_moving_average() {
        let m = gains(3000, 11);
        let (l, front) = (50usize, 64usize);
        let rel = Release::new(0.99);
        let mut hist = vec![1.0f64; front + m.len()];
        let mut out = vec![0.0f32; m.len()];
        release_average(
            Kernel::Scalar,
            &rel,
            &m,
            &mut hist,
            front,
            l,
            1.0,
            None,
            &mut { RunningSum::STALE },
            &mut out,
        );
        let mut h = 1.0f64;
        let mut hs = vec![1.0f64; front];
        for (i, &x) in m.iter().enumerate() {
            let x = x as f64;
            h = if x < h { x } else { x + 0.99 * (h - x) };
            hs.push(h);
            let avg = hs[hs.len() - l..].iter().sum::<f64>() / l as f64;
            assert!(
                (out[i] as f64 - avg).abs() < 1e-6,
                "i {i}: {} vs {avg}",
                out[i]
            );
        }
    }
}
