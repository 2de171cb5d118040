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
//! minimum every sample. The vector kernel breaks the chain eight samples at a time: each step
//! is the map `y ↦ min(C, A·y + D)` (with `C = m`, `A = r`, `D = (1 − r)·m`), and since `A > 0`
//! two such maps compose into one of the same form,
//!
//! ```text
//! (C₂, A₂, D₂) ∘ (C₁, A₁, D₁) = (min(C₂, A₂·C₁ + D₂), A₂·A₁, A₂·D₁ + D₂),
//! ```
//!
//! so three shift-and-compose steps give every lane the map from the previous block of eight's
//! last `h` to its own (`A` is `rᵏ`, a constant per lane), and one multiply, add and minimum
//! per eight samples remain serial. The moving average is a running sum whose eight
//! differences `h[n] − h[n−L]` are summed the same way (a prefix sum). The results equal the
//! plain loop's up to rounding (within 1e-12, far below the `f32` the gain is stored in).

/// The release coefficient and the constants the kernels derive from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Release {
    /// `r`, 0 < r < 1.
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

/// Runs the release and the moving average over one block.
///
/// `m`: the held required gains of the block. `hist[..front]` holds the `h` values before the
/// block, oldest first (`front ≥ lookahead`); the block's `h` are written to
/// `hist[front..front + m.len()]`. `out` receives the gains. `fast` is `h` before the block;
/// the returned value is `h` after it. With `slow`, `h` is also held under the slow branch
/// (always the scalar loop).
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
    out: &mut [f32],
) -> f64 {
    let n = m.len();
    assert!(lookahead >= 1 && front >= lookahead && hist.len() >= front + n && out.len() >= n);
    let sum = sum4(&hist[front - lookahead..front]);
    match (kernel, slow) {
        #[cfg(target_arch = "x86_64")]
        (Kernel::Avx512, None) => {
            // SAFETY: `Avx512` is only chosen when the CPU has AVX-512F; the bounds are
            // checked above.
            unsafe { avx512::run(rel, m, hist, front, lookahead, fast, sum, out) }
        }
        #[cfg(target_arch = "x86_64")]
        (Kernel::Avx2, None) => {
            // SAFETY: `Avx2` is only chosen when the CPU has AVX2; the bounds are checked
            // above.
            unsafe { avx2::run(rel, m, hist, front, lookahead, fast, sum, out) }
        }
        (_, slow) => scalar(rel, m, hist, front, lookahead, fast, sum, slow, out, 0).0,
    }
}

/// The plain loop from sample `start` on; returns `(h, running sum)` after the block.
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

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Release;
    use std::arch::x86_64::*;

    /// See the module docs. Blocks of eight while the running sum's oldest value lies before
    /// the eight being written (`lookahead ≥ 8`), then the plain loop for the rest.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn run(
        rel: &Release,
        m: &[f32],
        hist: &mut [f64],
        front: usize,
        lookahead: usize,
        fast: f64,
        sum: f64,
        out: &mut [f32],
    ) -> f64 {
        let n = m.len();
        let blocks = if lookahead >= 8 { n / 8 } else { 0 };
        // Lane i takes lane i − s (lanes below s are masked off).
        let shift1 = _mm512_set_epi64(6, 5, 4, 3, 2, 1, 0, 0);
        let shift2 = _mm512_set_epi64(5, 4, 3, 2, 1, 0, 0, 0);
        let shift4 = _mm512_set_epi64(3, 2, 1, 0, 0, 0, 0, 0);
        let last = _mm512_set1_epi64(7);
        // Shifted into C below lane s: larger than any gain, so the minimum ignores it.
        let big = _mm512_set1_pd(f64::MAX);
        let r1 = _mm512_set1_pd(rel.pow[0]);
        let r2 = _mm512_set1_pd(rel.pow[1]);
        let r4 = _mm512_set1_pd(rel.pow[3]);
        let pow = _mm512_loadu_pd(rel.pow.as_ptr());
        let b = _mm512_set1_pd(rel.b);
        let inv = _mm512_set1_pd(1.0 / lookahead as f64);
        let (zero, one) = (_mm512_setzero_pd(), _mm512_set1_pd(1.0));
        let mut y = _mm512_set1_pd(fast);
        let mut s = _mm512_set1_pd(sum);
        let hp = hist.as_mut_ptr();
        for k in 0..blocks {
            let i = 8 * k;
            let mv = _mm512_cvtps_pd(_mm256_loadu_ps(m.as_ptr().add(i)));
            // Compose the eight maps (C, r, D) prefix-wise: after the step with shift s, lane i
            // holds the map over its last 2s samples (or all of them from lane 0).
            let mut c = mv;
            let mut d = _mm512_mul_pd(b, mv);
            for (shift, mask, rs) in [(shift1, 0xFE, r1), (shift2, 0xFC, r2), (shift4, 0xF0, r4)] {
                let cs = _mm512_mask_permutexvar_pd(big, mask, shift, c);
                let ds = _mm512_maskz_permutexvar_pd(mask, shift, d);
                c = _mm512_min_pd(c, _mm512_add_pd(_mm512_mul_pd(rs, cs), d));
                d = _mm512_add_pd(_mm512_mul_pd(rs, ds), d);
            }
            // Apply each lane's map to h before the eight.
            let h = _mm512_min_pd(c, _mm512_add_pd(_mm512_mul_pd(pow, y), d));
            _mm512_storeu_pd(hp.add(front + i), h);
            y = _mm512_permutexvar_pd(last, h);
            // Running sum: prefix sum of h[n] − h[n − L] (h[n − L] is already written).
            let mut diff = _mm512_sub_pd(h, _mm512_loadu_pd(hp.add(front + i - lookahead)));
            for (shift, mask) in [(shift1, 0xFE), (shift2, 0xFC), (shift4, 0xF0)] {
                diff = _mm512_add_pd(diff, _mm512_maskz_permutexvar_pd(mask, shift, diff));
            }
            let sums = _mm512_add_pd(s, diff);
            s = _mm512_permutexvar_pd(last, sums);
            let g = _mm512_min_pd(_mm512_max_pd(_mm512_mul_pd(sums, inv), zero), one);
            _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm512_cvtpd_ps(g));
        }
        let (fast, sum) = (_mm512_cvtsd_f64(y), _mm512_cvtsd_f64(s));
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
            8 * blocks,
        )
        .0
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Release;
    use std::arch::x86_64::*;

    /// The AVX-512 kernel's steps on four lanes (two shift-and-compose steps).
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn run(
        rel: &Release,
        m: &[f32],
        hist: &mut [f64],
        front: usize,
        lookahead: usize,
        fast: f64,
        sum: f64,
        out: &mut [f32],
    ) -> f64 {
        /// Lane i takes lane i − 1 (lane 0 takes `fill`).
        #[inline(always)]
        unsafe fn shift1(x: __m256d, fill: __m256d) -> __m256d {
            _mm256_blend_pd::<0b0001>(_mm256_permute4x64_pd::<0b10_01_00_00>(x), fill)
        }
        /// Lane i takes lane i − 2 (lanes 0 and 1 take `fill`).
        #[inline(always)]
        unsafe fn shift2(x: __m256d, fill: __m256d) -> __m256d {
            _mm256_blend_pd::<0b0011>(_mm256_permute4x64_pd::<0b01_00_00_00>(x), fill)
        }
        #[inline(always)]
        unsafe fn last(x: __m256d) -> __m256d {
            _mm256_permute4x64_pd::<0b11_11_11_11>(x)
        }
        let n = m.len();
        let blocks = if lookahead >= 4 { n / 4 } else { 0 };
        let big = _mm256_set1_pd(f64::MAX);
        let r1 = _mm256_set1_pd(rel.pow[0]);
        let r2 = _mm256_set1_pd(rel.pow[1]);
        let pow = _mm256_loadu_pd(rel.pow.as_ptr());
        let b = _mm256_set1_pd(rel.b);
        let inv = _mm256_set1_pd(1.0 / lookahead as f64);
        let (zero, one) = (_mm256_setzero_pd(), _mm256_set1_pd(1.0));
        let mut y = _mm256_set1_pd(fast);
        let mut s = _mm256_set1_pd(sum);
        let hp = hist.as_mut_ptr();
        for k in 0..blocks {
            let i = 4 * k;
            let mv = _mm256_cvtps_pd(_mm_loadu_ps(m.as_ptr().add(i)));
            let mut c = mv;
            let mut d = _mm256_mul_pd(b, mv);
            let (cs, ds) = (shift1(c, big), shift1(d, zero));
            c = _mm256_min_pd(c, _mm256_add_pd(_mm256_mul_pd(r1, cs), d));
            d = _mm256_add_pd(_mm256_mul_pd(r1, ds), d);
            let (cs, ds) = (shift2(c, big), shift2(d, zero));
            c = _mm256_min_pd(c, _mm256_add_pd(_mm256_mul_pd(r2, cs), d));
            d = _mm256_add_pd(_mm256_mul_pd(r2, ds), d);
            let h = _mm256_min_pd(c, _mm256_add_pd(_mm256_mul_pd(pow, y), d));
            _mm256_storeu_pd(hp.add(front + i), h);
            y = last(h);
            let mut diff = _mm256_sub_pd(h, _mm256_loadu_pd(hp.add(front + i - lookahead)));
            diff = _mm256_add_pd(diff, shift1(diff, zero));
            diff = _mm256_add_pd(diff, shift2(diff, zero));
            let sums = _mm256_add_pd(s, diff);
            s = last(sums);
            let g = _mm256_min_pd(_mm256_max_pd(_mm256_mul_pd(sums, inv), zero), one);
            _mm_storeu_ps(out.as_mut_ptr().add(i), _mm256_cvtpd_ps(g));
        }
        let (fast, sum) = (_mm256_cvtsd_f64(y), _mm256_cvtsd_f64(s));
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
            4 * blocks,
        )
        .0
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
                                    ob,
                                );
                                hs.extend_from_slice(&hist[front..front + len]);
                                hist.copy_within(len..len + front, 0);
                            }
                            outs.push((out, hs));
                        }
                        let ((a, ha), (b, hb)) = (&outs[0], &outs[1]);
                        for i in 0..m.len() {
                            let tag =
                                format!("{kernel:?} L {lookahead} r {} block {block} i {i}", rel.r);
                            assert!(
                                (ha[i] - hb[i]).abs() <= 1e-12,
                                "{tag}: h {} {}",
                                ha[i],
                                hb[i]
                            );
                            assert!((a[i] - b[i]).abs() <= 1.2e-7, "{tag}: g {} {}", a[i], b[i]);
                        }
                        // The release did work: h is not just m.
                        assert!(ha.iter().zip(&m).any(|(&h, &x)| h < x as f64 - 1e-3));
                    }
                }
            }
        }
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
