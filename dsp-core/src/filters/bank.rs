//! [`StereoBank`]: up to [`MAX_BANK_SECTIONS`] biquad sections in series on a stereo pair, run
//! sample by sample with several sections of both channels in one vector register.
//!
//! Running an EQ band by band over a block is bound by the latency of each section's feedback
//! (one multiply and three adds per sample, in series); the CPU's vector units sit mostly idle.
//! Here the sections run *staggered*: a register holds `w` consecutive sections of both channels
//! (`w` = 2 with AVX, 4 with AVX-512) and section `k` works `2k` samples behind the input, so
//! each section's input is the output its predecessor computed two steps earlier: the registers
//! of a step are independent of each other and the recursions overlap. A block of `n` samples
//! takes `n + 2(S − 1)` steps (`S` sections, padded with identities to a multiple of `w`); the
//! first and last `2(S − 1)` steps are masked so no section runs outside the block, and the
//! pipeline is empty again at the end of every block (no latency, no state besides the
//! sections').
//!
//! A section may first convert its input pair to mid/side or back ([`MidSide`]), which is how
//! the EQ's mid- and side-placed bands run here.
//!
//! The signal stays in `f64` from the input to the output: each section's output feeds the next
//! unrounded, and only the last section's output is rounded to `f32`. (Running the sections one
//! after the other over `f32` buffers, as a band-by-band EQ does, rounds between sections and
//! costs a vector kernel two conversions per register and step, about a quarter of its time; the
//! two differ by a few `f32` steps, far below −120 dBFS.) Every lane performs exactly the
//! operations of [`BiquadState::tick`] in the same order (no fused multiply-add), so every kernel
//! gives the same bits, the scalar fallback on CPUs without AVX ([`BankKernel::Scalar`]) too.
//! Both widths run one algorithm over a small lane trait (`simd::Lanes`). A unit test checks the
//! identity on random sections and block sizes for every kernel the CPU has.
//!
//! Sections may change their coefficients inside a call ([`StereoBank::process_scheduled`], for
//! gliding EQ bands): a vector kernel switches each section's lanes at the step where that
//! section reaches the change's sample, inside the pipeline.

use super::biquad::{BiquadCoefs, BiquadState};

/// The most sections a bank holds: 8 bands of up to 4 sections, plus the identity section that
/// decodes mid/side after a last mid- or side-placed band, rounded up to whole registers.
pub const MAX_BANK_SECTIONS: usize = 36;

/// How many samples each section of a vector kernel works behind its predecessor. With 1, the
/// step time would be bound by the latency of one section's feed-forward path (multiply, add,
/// the two `f32` roundings and the permute); with 2 it is bound by the feedback recursion.
const LAG: usize = 2;

/// A mid/side conversion applied to a section's input pair before it filters, with exactly the
/// `f32` arithmetic of the EQ's per-band path: encode `(a, b) → (½(a+b), ½(a−b))`, decode
/// `(a, b) → (a+b, a−b)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MidSide {
    /// The input pair as it comes.
    #[default]
    None,
    /// Left/right → mid/side.
    Encode,
    /// Mid/side → left/right.
    Decode,
    /// Decode, then encode again (between two mid/side bands, as the per-band path does).
    DecodeEncode,
}

impl MidSide {
    fn decodes(self) -> bool {
        matches!(self, Self::Decode | Self::DecodeEncode)
    }

    fn encodes(self) -> bool {
        matches!(self, Self::Encode | Self::DecodeEncode)
    }
}

/// One section of the bank: coefficients and state for the left and right channel (or mid and
/// side, after an [`MidSide::Encode`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StereoSection {
    /// Left (index 0) and right (index 1) coefficients.
    pub coefs: [BiquadCoefs; 2],
    /// Left (index 0) and right (index 1) state.
    pub state: [BiquadState; 2],
    /// The conversion applied to this section's input first.
    pub pre: MidSide,
}

/// A coefficient change made inside [`StereoBank::process_scheduled`]: from sample `at` of the
/// block on, section `section` runs `coefs` on the channels in `lanes`, their states flushed
/// first ([`BiquadState::flush_denormals`]), as a filter's control update does between two
/// samples. The other channel keeps its coefficients and state.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CoefUpdate {
    /// The first sample (index within the block) that runs the new coefficients.
    pub at: u32,
    /// The section's index in the bank.
    pub section: u16,
    /// The channels that take `coefs`: [`Self::LEFT`], [`Self::RIGHT`] or both.
    pub lanes: u8,
    /// The new coefficients.
    pub coefs: BiquadCoefs,
}

impl CoefUpdate {
    /// The left (or mid) channel.
    pub const LEFT: u8 = 0b01;
    /// The right (or side) channel.
    pub const RIGHT: u8 = 0b10;
}

/// The most updates one [`StereoBank::process_scheduled`] call takes.
pub const MAX_SCHEDULED_UPDATES: usize = 256;

/// How a [`StereoBank`] runs its sections. All three give bit-identical results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankKernel {
    /// Sample by sample through the sections ([`BiquadState::tick`]).
    Scalar,
    /// Two sections × two channels per 256-bit register (x86-64 with AVX).
    Avx,
    /// Four sections × two channels per 512-bit register (x86-64 with AVX-512 F and DQ).
    Avx512,
}

impl BankKernel {
    /// The fastest kernel this CPU runs.
    pub fn best() -> Self {
        [Self::Avx512, Self::Avx]
            .into_iter()
            .find(|k| k.is_available())
            .unwrap_or(Self::Scalar)
    }

    /// True when this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Self::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Self::Avx => std::arch::is_x86_feature_detected!("avx"),
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Sections per register (the bank pads with identity sections to a multiple).
    fn width(self) -> usize {
        match self {
            Self::Scalar => 1,
            Self::Avx => 2,
            Self::Avx512 => 4,
        }
    }
}

/// A fixed-capacity series of stereo sections (no heap). Fill it with [`Self::push`], run it with
/// [`Self::process`], read the states back with [`Self::sections`].
#[derive(Debug, Clone)]
pub struct StereoBank {
    sections: [StereoSection; MAX_BANK_SECTIONS],
    len: usize,
    kernel: BankKernel,
    /// [`Self::process_scheduled`]'s updates in the order the pipelined kernel meets them.
    order: [u16; MAX_SCHEDULED_UPDATES],
}

impl Default for StereoBank {
    fn default() -> Self {
        Self::new()
    }
}

impl StereoBank {
    /// An empty bank running the fastest kernel this CPU has.
    pub fn new() -> Self {
        Self {
            sections: [StereoSection::default(); MAX_BANK_SECTIONS],
            len: 0,
            kernel: BankKernel::best(),
            order: [0; MAX_SCHEDULED_UPDATES],
        }
    }

    /// An empty bank running `kernel`, or `None` when this CPU cannot run it.
    pub fn with_kernel(kernel: BankKernel) -> Option<Self> {
        kernel.is_available().then(|| Self {
            kernel,
            ..Self::new()
        })
    }

    /// The kernel [`Self::process`] runs.
    pub fn kernel(&self) -> BankKernel {
        self.kernel
    }

    /// True when [`Self::process`] runs a vector kernel (faster than the per-section path).
    pub fn is_vectorized(&self) -> bool {
        self.kernel != BankKernel::Scalar
    }

    /// Removes every section.
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends a section; returns false (and changes nothing) when the bank is full.
    #[inline]
    pub fn push(&mut self, section: StereoSection) -> bool {
        if self.len < MAX_BANK_SECTIONS {
            self.sections[self.len] = section;
            self.len += 1;
            true
        } else {
            false
        }
    }

    /// The sections, in processing order (with their states after the last [`Self::process`]).
    pub fn sections(&self) -> &[StereoSection] {
        &self.sections[..self.len]
    }

    /// The number of sections.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the bank holds no section.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Runs `l` and `r` (their common length) through every section in order, in place.
    /// Finite input is the caller's business: the arithmetic is plain TDF-II (see the module
    /// documentation), so non-finite samples propagate into the states.
    pub fn process(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len().min(r.len());
        let (l, r) = (&mut l[..n], &mut r[..n]);
        if n == 0 || self.len == 0 {
            return;
        }
        let padded = self.pad();
        match self.kernel {
            // SAFETY: a bank only holds a vector kernel the CPU reported (`with_kernel`, `best`).
            #[cfg(target_arch = "x86_64")]
            BankKernel::Avx => unsafe {
                simd::run_avx(&mut self.sections[..padded], l, r, &[], &[])
            },
            #[cfg(target_arch = "x86_64")]
            BankKernel::Avx512 => unsafe {
                simd::run_avx512(&mut self.sections[..padded], l, r, &[], &[])
            },
            _ => {
                // Sample by sample through every section, in f64 until the output.
                let sections = &mut self.sections[..self.len];
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    let (mut x0, mut x1) = (*a as f64, *b as f64);
                    for s in sections.iter_mut() {
                        if s.pre.decodes() {
                            (x0, x1) = (x0 + x1, x0 - x1);
                        }
                        if s.pre.encodes() {
                            (x0, x1) = (0.5 * (x0 + x1), 0.5 * (x0 - x1));
                        }
                        let [sl, sr] = &mut s.state;
                        x0 = sl.tick(&s.coefs[0], x0);
                        x1 = sr.tick(&s.coefs[1], x1);
                    }
                    (*a, *b) = (x0 as f32, x1 as f32);
                }
            }
        }
    }
}

impl StereoBank {
    /// [`Self::process`] with coefficient changes inside the block: the same output, bit for
    /// bit, as processing up to each update's sample, applying the updates due there (new
    /// coefficients, states flushed) and going on — which is what the scalar kernel does. The
    /// vector kernels instead switch each section inside their staggered pipeline when that
    /// section reaches the update's sample, so the pipeline is filled and emptied once per call
    /// instead of once per update. `updates` are sorted by `at`, at most
    /// [`MAX_SCHEDULED_UPDATES`], each for a section of the bank and at most the block's length
    /// (an update at the end only changes the coefficients for the next call); others are
    /// ignored.
    pub fn process_scheduled(&mut self, l: &mut [f32], r: &mut [f32], updates: &[CoefUpdate]) {
        let n = l.len().min(r.len());
        let updates = &updates[..updates.len().min(MAX_SCHEDULED_UPDATES)];
        debug_assert!(updates.windows(2).all(|w| w[0].at <= w[1].at));
        #[cfg(target_arch = "x86_64")]
        if self.is_vectorized() && self.len > 0 && n > 0 {
            // The updates inside the block, in the order of the step at which their section
            // reaches them (`at + LAG·section`): nearly sorted already, so insertion is cheap.
            let inside = updates.partition_point(|u| (u.at as usize) < n);
            let due = |u: &CoefUpdate| u.at as usize + LAG * u.section as usize;
            let mut count = 0;
            for (i, u) in updates[..inside].iter().enumerate() {
                if u.section as usize >= self.len {
                    continue;
                }
                let mut k = count;
                while k > 0 && due(&updates[self.order[k - 1] as usize]) > due(u) {
                    self.order[k] = self.order[k - 1];
                    k -= 1;
                }
                self.order[k] = i as u16;
                count += 1;
            }
            let padded = self.pad();
            let (sections, order) = (&mut self.sections[..padded], &self.order[..count]);
            let (l, r) = (&mut l[..n], &mut r[..n]);
            // SAFETY: a bank only holds a vector kernel the CPU reported.
            unsafe {
                match self.kernel {
                    BankKernel::Avx512 => simd::run_avx512(sections, l, r, updates, order),
                    _ => simd::run_avx(sections, l, r, updates, order),
                }
            };
            for u in &updates[inside..] {
                self.apply(u);
            }
            return;
        }
        let mut pos = 0;
        let mut i = 0;
        loop {
            let at = updates.get(i).map_or(n, |u| (u.at as usize).min(n));
            self.process(&mut l[pos..at], &mut r[pos..at]);
            pos = at;
            if i == updates.len() {
                break;
            }
            while i < updates.len() && (updates[i].at as usize).min(n) == at {
                self.apply(&updates[i]);
                i += 1;
            }
        }
    }

    /// One update, between two samples.
    fn apply(&mut self, u: &CoefUpdate) {
        if let Some(s) = self.sections[..self.len].get_mut(u.section as usize) {
            for ch in 0..2 {
                if u.lanes & (1 << ch) != 0 {
                    s.coefs[ch] = u.coefs;
                    s.state[ch].flush_denormals();
                }
            }
        }
    }

    /// Pads the sections with identities to a whole number of the kernel's registers; returns
    /// the padded count.
    fn pad(&mut self) -> usize {
        let width = self.kernel.width();
        let padded = self.len.div_ceil(width) * width;
        // Padding sections are identities (bit-transparent: y = 1·x + 0, states stay 0).
        for s in self.sections[self.len..padded].iter_mut() {
            *s = StereoSection {
                coefs: [BiquadCoefs::IDENTITY; 2],
                state: [BiquadState::default(); 2],
                pre: MidSide::None,
            };
        }
        padded
    }
}

/// The vector kernels: one algorithm ([`kernel`]) over two register widths. A register holds
/// `S` consecutive sections of both channels (lanes `2j`, `2j + 1`: left and right of its
/// section `j`; `S` = 2 with AVX, 4 with AVX-512); section `k` works `LAG · k` samples behind
/// the input, so one permute builds every register's input from the outputs of `LAG` steps
/// before.
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::{CoefUpdate, StereoSection, LAG};
    use crate::filters::biquad::STATE_FLUSH_BELOW;
    use std::arch::x86_64::*;

    /// The operations the kernel needs on one register of `S` sections × two channels. Every
    /// method is an intrinsic or a few; callers must run on a CPU with the register's
    /// instruction set (the methods are inlined into the `#[target_feature]` entry points).
    pub(super) trait Lanes: Copy {
        /// Sections per register.
        const S: usize;
        /// A lane mask.
        type Mask: Copy;
        unsafe fn splat(x: f64) -> Self;
        /// Lane `2j + ch` = `get(j, ch)` (section `j` of the register, channel `ch`).
        unsafe fn gather(get: impl Fn(usize, usize) -> f64) -> Self;
        /// Into the first `2·S` values.
        unsafe fn store(self, v: &mut [f64; 8]);
        unsafe fn add(self, o: Self) -> Self;
        unsafe fn sub(self, o: Self) -> Self;
        unsafe fn mul(self, o: Self) -> Self;
        unsafe fn abs(self) -> Self;
        /// Lanes 0–1 from `from`'s last two lanes, the others from this register's lanes
        /// shifted up by two (a section's input is its predecessor's output).
        unsafe fn shift_in(self, from: Self) -> Self;
        /// [`Self::shift_in`] from the block's input pair `(L, R)` (into the first register).
        unsafe fn shift_in_pair(self, pair: __m128d) -> Self;
        /// The last two lanes.
        unsafe fn last_pair(self) -> __m128d;
        /// Per lane pair (a, b): (a + b, a − b).
        unsafe fn sum_diff(self) -> Self;
        /// The mask of the lanes whose bit is set in `bits` (bit `i`: lane `i`).
        unsafe fn mask(bits: u8) -> Self::Mask;
        /// `a` in the masked lanes, this register's values elsewhere.
        unsafe fn select(self, m: Self::Mask, a: Self) -> Self;
        /// The lanes where this register's value is below `o`'s (false for NaN).
        unsafe fn lt(self, o: Self) -> Self::Mask;
        unsafe fn and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
        unsafe fn or(a: Self::Mask, b: Self::Mask) -> Self::Mask;
        /// `a` and not `b`.
        unsafe fn and_not(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    }

    #[derive(Clone, Copy)]
    pub(super) struct Avx(__m256d);

    impl Lanes for Avx {
        const S: usize = 2;
        type Mask = __m256d;
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            Self(_mm256_set1_pd(x))
        }
        #[inline(always)]
        unsafe fn gather(get: impl Fn(usize, usize) -> f64) -> Self {
            Self(_mm256_set_pd(get(1, 1), get(1, 0), get(0, 1), get(0, 0)))
        }
        #[inline(always)]
        unsafe fn store(self, v: &mut [f64; 8]) {
            _mm256_storeu_pd(v.as_mut_ptr(), self.0)
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
        unsafe fn abs(self) -> Self {
            Self(_mm256_andnot_pd(_mm256_set1_pd(-0.0), self.0))
        }
        #[inline(always)]
        unsafe fn shift_in(self, from: Self) -> Self {
            let lo = _mm256_extractf128_pd::<1>(from.0);
            let hi = _mm256_castpd256_pd128(self.0);
            Self(_mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(lo), hi))
        }
        #[inline(always)]
        unsafe fn shift_in_pair(self, pair: __m128d) -> Self {
            let hi = _mm256_castpd256_pd128(self.0);
            Self(_mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(pair), hi))
        }
        #[inline(always)]
        unsafe fn last_pair(self) -> __m128d {
            _mm256_extractf128_pd::<1>(self.0)
        }
        #[inline(always)]
        unsafe fn sum_diff(self) -> Self {
            let x = self.0;
            let swapped = _mm256_permute_pd::<0b0101>(x);
            let sum = _mm256_add_pd(x, swapped);
            let diff = _mm256_sub_pd(swapped, x); // odd lanes: a − b
            Self(_mm256_blend_pd::<0b1010>(sum, diff))
        }
        #[inline(always)]
        unsafe fn mask(bits: u8) -> __m256d {
            // One load from a table of the 16 masks (the masked steps at a block's ends build
            // one per register and step).
            const fn table() -> [[u64; 4]; 16] {
                let mut t = [[0u64; 4]; 16];
                let mut bits = 0;
                while bits < 16 {
                    let mut lane = 0;
                    while lane < 4 {
                        if bits >> lane & 1 == 1 {
                            t[bits][lane] = u64::MAX;
                        }
                        lane += 1;
                    }
                    bits += 1;
                }
                t
            }
            static MASKS: [[u64; 4]; 16] = table();
            _mm256_loadu_pd(MASKS[bits as usize & 15].as_ptr().cast())
        }
        #[inline(always)]
        unsafe fn select(self, m: __m256d, a: Self) -> Self {
            Self(_mm256_blendv_pd(self.0, a.0, m))
        }
        #[inline(always)]
        unsafe fn lt(self, o: Self) -> __m256d {
            _mm256_cmp_pd::<_CMP_LT_OQ>(self.0, o.0)
        }
        #[inline(always)]
        unsafe fn and(a: __m256d, b: __m256d) -> __m256d {
            _mm256_and_pd(a, b)
        }
        #[inline(always)]
        unsafe fn or(a: __m256d, b: __m256d) -> __m256d {
            _mm256_or_pd(a, b)
        }
        #[inline(always)]
        unsafe fn and_not(a: __m256d, b: __m256d) -> __m256d {
            _mm256_andnot_pd(b, a)
        }
    }

    #[derive(Clone, Copy)]
    pub(super) struct Avx512(__m512d);

    impl Lanes for Avx512 {
        const S: usize = 4;
        type Mask = __mmask8;
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            Self(_mm512_set1_pd(x))
        }
        #[inline(always)]
        unsafe fn gather(get: impl Fn(usize, usize) -> f64) -> Self {
            Self(_mm512_set_pd(
                get(3, 1),
                get(3, 0),
                get(2, 1),
                get(2, 0),
                get(1, 1),
                get(1, 0),
                get(0, 1),
                get(0, 0),
            ))
        }
        #[inline(always)]
        unsafe fn store(self, v: &mut [f64; 8]) {
            _mm512_storeu_pd(v.as_mut_ptr(), self.0)
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
        unsafe fn abs(self) -> Self {
            Self(_mm512_abs_pd(self.0))
        }
        #[inline(always)]
        unsafe fn shift_in(self, from: Self) -> Self {
            // Lanes 0–1 from `from`'s lanes 6–7, lanes 2–7 from this register's lanes 0–5.
            let idx = _mm512_set_epi64(5, 4, 3, 2, 1, 0, 15, 14);
            Self(_mm512_permutex2var_pd(self.0, idx, from.0))
        }
        #[inline(always)]
        unsafe fn shift_in_pair(self, pair: __m128d) -> Self {
            // Lanes 0–1 from the pair, lanes 2–7 from this register's lanes 0–5.
            let idx = _mm512_set_epi64(5, 4, 3, 2, 1, 0, 9, 8);
            Self(_mm512_permutex2var_pd(
                self.0,
                idx,
                _mm512_zextpd128_pd512(pair),
            ))
        }
        #[inline(always)]
        unsafe fn last_pair(self) -> __m128d {
            _mm512_extractf64x2_pd::<3>(self.0)
        }
        #[inline(always)]
        unsafe fn sum_diff(self) -> Self {
            let x = self.0;
            let swapped = _mm512_permute_pd::<0b0101_0101>(x);
            let sum = _mm512_add_pd(x, swapped);
            let diff = _mm512_sub_pd(swapped, x); // odd lanes: a − b
            Self(_mm512_mask_blend_pd(0b1010_1010, sum, diff))
        }
        #[inline(always)]
        unsafe fn mask(bits: u8) -> __mmask8 {
            bits
        }
        #[inline(always)]
        unsafe fn select(self, m: __mmask8, a: Self) -> Self {
            Self(_mm512_mask_mov_pd(self.0, m, a.0))
        }
        #[inline(always)]
        unsafe fn lt(self, o: Self) -> __mmask8 {
            _mm512_cmp_pd_mask::<_CMP_LT_OQ>(self.0, o.0)
        }
        #[inline(always)]
        unsafe fn and(a: __mmask8, b: __mmask8) -> __mmask8 {
            a & b
        }
        #[inline(always)]
        unsafe fn or(a: __mmask8, b: __mmask8) -> __mmask8 {
            a | b
        }
        #[inline(always)]
        unsafe fn and_not(a: __mmask8, b: __mmask8) -> __mmask8 {
            a & !b
        }
    }

    /// One register's sections: coefficients, states, its outputs of the last two steps, and
    /// the lanes that decode / encode mid/side first.
    #[derive(Clone, Copy)]
    struct Reg<V: Lanes> {
        b0: V,
        b1: V,
        b2: V,
        a1: V,
        a2: V,
        s1: V,
        s2: V,
        prev1: V,
        prev2: V,
        dec: V::Mask,
        enc: V::Mask,
        has_pre: bool,
    }

    /// The lanes (as mask bits) of register `p` whose section has a sample of the block at
    /// step `t`.
    #[inline(always)]
    fn valid_bits<V: Lanes>(p: usize, t: isize, n: isize) -> u8 {
        let mut m = 0u8;
        for j in 0..V::S {
            let k = t - (LAG * (V::S * p + j)) as isize;
            if k >= 0 && k < n {
                m |= 0b11 << (2 * j);
            }
        }
        m
    }

    /// One step: every section advances by one sample. `input` is section 0's new input
    /// `(L, R)`. When masking, only sections with a sample of the block at this
    /// step change their state. Registers run from last to first so each reads its
    /// predecessor's outputs before they move on.
    #[inline(always)]
    unsafe fn step<V: Lanes, const P: usize, const MASKED: bool>(
        regs: &mut [Reg<V>; P],
        input: __m128d,
        t: isize,
        n: isize,
    ) {
        for p in (0..P).rev() {
            let q = regs[p];
            let mut x = if p == 0 {
                q.prev2.shift_in_pair(input)
            } else {
                q.prev2.shift_in(regs[p - 1].prev2)
            };
            if q.has_pre {
                x = x.select(q.dec, x.sum_diff());
                let half = V::splat(0.5).mul(x.sum_diff());
                x = x.select(q.enc, half);
            }
            // Exactly BiquadState::tick: y = b0·x + s1; s1 = b1·x − a1·y + s2; s2 = b2·x − a2·y.
            let y = q.b0.mul(x).add(q.s1);
            let s1 = q.b1.mul(x).sub(q.a1.mul(y)).add(q.s2);
            let s2 = q.b2.mul(x).sub(q.a2.mul(y));
            let out = y;
            let w = &mut regs[p];
            if MASKED {
                let m = V::mask(valid_bits::<V>(p, t, n));
                w.s1 = w.s1.select(m, s1);
                w.s2 = w.s2.select(m, s2);
            } else {
                w.s1 = s1;
                w.s2 = s2;
            }
            w.prev2 = w.prev1;
            w.prev1 = out;
        }
    }

    /// Section `u.section` (lanes `2j`, `2j + 1` of its register, those `u.lanes` names) takes
    /// `u`'s coefficients and has its states flushed exactly as
    /// [`super::BiquadState::flush_denormals`] does.
    #[inline(always)]
    unsafe fn apply<V: Lanes>(q: &mut Reg<V>, u: &CoefUpdate) {
        let m = V::mask((u.lanes & 0b11) << (2 * (u.section as usize % V::S)));
        let c = &u.coefs;
        q.b0 = q.b0.select(m, V::splat(c.b0));
        q.b1 = q.b1.select(m, V::splat(c.b1));
        q.b2 = q.b2.select(m, V::splat(c.b2));
        q.a1 = q.a1.select(m, V::splat(c.a1));
        q.a2 = q.a2.select(m, V::splat(c.a2));
        let (below, inf) = (V::splat(STATE_FLUSH_BELOW), V::splat(f64::INFINITY));
        let (a1, a2) = (q.s1.abs(), q.s2.abs());
        // Flush tiny values; then a lane whose state is not finite starts again from zero.
        let small1 = V::and(m, a1.lt(below));
        let small2 = V::and(m, a2.lt(below));
        let bad = V::and_not(m, V::and(a1.lt(inf), a2.lt(inf)));
        let zero = V::splat(0.0);
        q.s1 = q.s1.select(V::or(small1, bad), zero);
        q.s2 = q.s2.select(V::or(small2, bad), zero);
    }

    /// Runs the `S·P` sections over `l` and `r`, making `updates[order[0]]`,
    /// `updates[order[1]]`, … (each inside the block, for a section of the bank, in the order
    /// their sections reach them) as each section reaches its update's sample.
    #[inline(always)]
    unsafe fn kernel<V: Lanes, const P: usize, const SCHEDULED: bool>(
        sections: &mut [StereoSection],
        l: &mut [f32],
        r: &mut [f32],
        updates: &[CoefUpdate],
        order: &[u16],
    ) {
        let s = V::S;
        debug_assert_eq!(sections.len(), s * P);
        let n = l.len();
        let zero = V::splat(0.0);
        let mut regs = [Reg {
            b0: zero,
            b1: zero,
            b2: zero,
            a1: zero,
            a2: zero,
            s1: zero,
            s2: zero,
            prev1: zero,
            prev2: zero,
            dec: V::mask(0),
            enc: V::mask(0),
            has_pre: false,
        }; P];
        for (p, q) in regs.iter_mut().enumerate() {
            let secs = &sections[s * p..s * (p + 1)];
            let (mut dec, mut enc) = (0u8, 0u8);
            for (j, sec) in secs.iter().enumerate() {
                if sec.pre.decodes() {
                    dec |= 0b11 << (2 * j);
                }
                if sec.pre.encodes() {
                    enc |= 0b11 << (2 * j);
                }
            }
            q.dec = V::mask(dec);
            q.enc = V::mask(enc);
            q.has_pre = dec | enc != 0;
            q.b0 = V::gather(|j, ch| secs[j].coefs[ch].b0);
            q.b1 = V::gather(|j, ch| secs[j].coefs[ch].b1);
            q.b2 = V::gather(|j, ch| secs[j].coefs[ch].b2);
            q.a1 = V::gather(|j, ch| secs[j].coefs[ch].a1);
            q.a2 = V::gather(|j, ch| secs[j].coefs[ch].a2);
            q.s1 = V::gather(|j, ch| secs[j].state[ch].s1);
            q.s2 = V::gather(|j, ch| secs[j].state[ch].s2);
        }
        // The next update's step (`at + LAG·section`), or past the end.
        let due = |i: usize| {
            order.get(i).map_or(usize::MAX, |&k| {
                let u = &updates[k as usize];
                u.at as usize + LAG * u.section as usize
            })
        };
        let mut next = 0;
        let mut next_due = due(0);
        // The last section works LAG · (S·P − 1) samples behind the input.
        let depth = LAG * (s * P - 1);
        let ni = n as isize;
        for t in 0..n + depth {
            while SCHEDULED && next_due == t {
                let u = &updates[order[next] as usize];
                let section = u.section as usize;
                // Constant indices only, so the registers' values can stay in registers.
                for (p, q) in regs.iter_mut().enumerate() {
                    if p == section / s {
                        apply(q, u);
                    }
                }
                for ch in 0..2 {
                    if u.lanes & (1 << ch) != 0 {
                        sections[section].coefs[ch] = u.coefs;
                    }
                }
                next += 1;
                next_due = due(next);
            }
            let input = if t < n {
                _mm_set_pd(*r.get_unchecked(t) as f64, *l.get_unchecked(t) as f64)
            } else {
                _mm_setzero_pd()
            };
            if t >= depth && t < n {
                step::<V, P, false>(&mut regs, input, t as isize, ni);
            } else {
                step::<V, P, true>(&mut regs, input, t as isize, ni);
            }
            if t >= depth {
                // Rounded to f32 as the scalar kernel's `as f32` rounds (to nearest).
                let o = _mm_cvtpd_ps(regs[P - 1].prev1.last_pair());
                *l.get_unchecked_mut(t - depth) = _mm_cvtss_f32(o);
                *r.get_unchecked_mut(t - depth) = _mm_cvtss_f32(_mm_movehdup_ps(o));
            }
        }
        for (p, q) in regs.iter().enumerate() {
            let (mut s1, mut s2) = ([0.0f64; 8], [0.0f64; 8]);
            q.s1.store(&mut s1);
            q.s2.store(&mut s2);
            for j in 0..s {
                for ch in 0..2 {
                    let st = &mut sections[s * p + j].state[ch];
                    st.s1 = s1[2 * j + ch];
                    st.s2 = s2[2 * j + ch];
                }
            }
        }
    }

    #[target_feature(enable = "avx")]
    unsafe fn kernel_avx<const P: usize, const SCHEDULED: bool>(
        sections: &mut [StereoSection],
        l: &mut [f32],
        r: &mut [f32],
        updates: &[CoefUpdate],
        order: &[u16],
    ) {
        kernel::<Avx, P, SCHEDULED>(sections, l, r, updates, order)
    }

    #[target_feature(enable = "avx512f,avx512dq")]
    unsafe fn kernel_avx512<const P: usize, const SCHEDULED: bool>(
        sections: &mut [StereoSection],
        l: &mut [f32],
        r: &mut [f32],
        updates: &[CoefUpdate],
        order: &[u16],
    ) {
        kernel::<Avx512, P, SCHEDULED>(sections, l, r, updates, order)
    }

    macro_rules! entry {
        ($name:ident, $kernel:ident, $lanes:ty, $($p:literal)*) => {
            /// Runs the sections (a whole number of registers) over `l` and `r` with the
            /// scheduled `updates` (see [`kernel`]). The CPU must have the register's
            /// instruction set.
            pub(super) unsafe fn $name(
                sections: &mut [StereoSection],
                l: &mut [f32],
                r: &mut [f32],
                updates: &[CoefUpdate],
                order: &[u16],
            ) {
                // One instance per register count, so the registers' values live in
                // registers; the unscheduled one has no update check at all.
                match (sections.len() / <$lanes as Lanes>::S, order.is_empty()) {
                    $(($p, true) => $kernel::<$p, false>(sections, l, r, updates, order),)*
                    $(($p, false) => $kernel::<$p, true>(sections, l, r, updates, order),)*
                    _ => unreachable!("at most {} sections", super::MAX_BANK_SECTIONS),
                }
            }
        };
    }

    entry!(run_avx, kernel_avx, Avx, 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18);
    entry!(run_avx512, kernel_avx512, Avx512, 1 2 3 4 5 6 7 8 9);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random stable section (poles inside radius 0.999).
    fn random_coefs(seed: &mut u64) -> BiquadCoefs {
        let radius = 0.3 + 0.699 * rng(seed);
        let theta = std::f64::consts::PI * rng(seed);
        BiquadCoefs {
            b0: 2.0 * rng(seed) - 0.5,
            b1: 2.0 * rng(seed) - 1.0,
            b2: rng(seed) - 0.5,
            a1: -2.0 * radius * theta.cos(),
            a2: radius * radius,
        }
    }

    fn bank(kernel: BankKernel, seed: &mut u64, count: usize) -> StereoBank {
        let mut b = StereoBank::with_kernel(kernel).expect("available");
        for i in 0..count {
            let c = random_coefs(seed);
            // Mix stereo, left-only and right-only sections (identity on the other channel).
            let coefs = match i % 3 {
                0 => [c, c],
                1 => [c, BiquadCoefs::IDENTITY],
                _ => [BiquadCoefs::IDENTITY, random_coefs(seed)],
            };
            // Mid/side conversions on some sections (as the EQ's mid/side bands get them).
            let pre = match (i * 7 + count) % 5 {
                0 => MidSide::Encode,
                1 => MidSide::Decode,
                2 => MidSide::DecodeEncode,
                _ => MidSide::None,
            };
            assert!(b.push(StereoSection {
                coefs,
                state: Default::default(),
                pre,
            }));
        }
        b
    }

    #[test]
    fn vector_kernels_are_bit_identical_to_sections_in_series() {
        let kernels: Vec<BankKernel> = [BankKernel::Avx, BankKernel::Avx512]
            .into_iter()
            .filter(|k| k.is_available())
            .collect();
        eprintln!("vector kernels on this CPU: {kernels:?}");
        for kernel in kernels {
            for count in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32] {
                for block in [1usize, 2, 3, 5, 31, 64, 1000] {
                    let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (count as u64 * 7919 + block as u64);
                    let mut a = bank(kernel, &mut seed.clone(), count);
                    let mut b = bank(BankKernel::Scalar, &mut seed, count);
                    assert!(a.is_vectorized() && !b.is_vectorized());
                    let total = 3000;
                    let mut s = 12345u64 + count as u64;
                    let xl: Vec<f32> = (0..total)
                        .map(|_| (rng(&mut s) * 2.0 - 1.0) as f32)
                        .collect();
                    let xr: Vec<f32> = (0..total)
                        .map(|_| (rng(&mut s) * 2.0 - 1.0) as f32)
                        .collect();
                    let (mut al, mut ar) = (xl.clone(), xr.clone());
                    let (mut bl, mut br) = (xl.clone(), xr.clone());
                    // The vector kernel in blocks, the reference in one go: the result may not
                    // depend on the block size.
                    let mut pos = 0;
                    while pos < total {
                        let end = (pos + block).min(total);
                        a.process(&mut al[pos..end], &mut ar[pos..end]);
                        pos = end;
                    }
                    b.process(&mut bl, &mut br);
                    let what = format!("{kernel:?}, {count} sections, block {block}");
                    assert_eq!(al, bl, "left, {what}");
                    assert_eq!(ar, br, "right, {what}");
                    assert_eq!(a.sections(), b.sections(), "states, {what}");
                    // And the filters did something (not a pass-through by mistake).
                    assert_ne!(al, xl);
                }
            }
        }
    }

    /// Coefficient changes inside a call: every kernel gives the bits of the scalar kernel
    /// processing up to each update, applying it and going on (which is the definition), for
    /// updates anywhere (several at one sample, closer together than the pipeline is deep, at
    /// the block's first and last sample and at its end), states with values to flush, and
    /// blocks of every size.
    #[test]
    fn scheduled_updates_are_bit_identical_on_every_kernel() {
        let kernels: Vec<BankKernel> = [BankKernel::Avx, BankKernel::Avx512]
            .into_iter()
            .filter(|k| k.is_available())
            .collect();
        for kernel in kernels {
            for count in [1, 3, 4, 8, 9, 17, 36] {
                for block in [1usize, 2, 7, 32, 100, 513] {
                    let mut seed = 0x2545_F491_4F6C_DD1D ^ (count as u64 * 31 + block as u64);
                    let mut a = bank(kernel, &mut seed.clone(), count);
                    let mut b = bank(BankKernel::Scalar, &mut seed, count);
                    let total = 2000;
                    let mut s = 777u64 + count as u64;
                    let xl: Vec<f32> = (0..total)
                        .map(|_| (rng(&mut s) * 2.0 - 1.0) as f32)
                        .collect();
                    let xr: Vec<f32> = (0..total)
                        .map(|_| (rng(&mut s) * 2.0 - 1.0) as f32)
                        .collect();
                    let (mut al, mut ar) = (xl.clone(), xr.clone());
                    let (mut bl, mut br) = (xl.clone(), xr.clone());
                    let mut pos = 0;
                    while pos < total {
                        let end = (pos + block).min(total);
                        let len = end - pos;
                        let mut updates = Vec::new();
                        let mut at = (rng(&mut s) * 40.0) as usize;
                        while at <= len {
                            for _ in 0..1 + (rng(&mut s) * 3.0) as usize {
                                let section = (rng(&mut s) * count as f64) as u16;
                                let coefs = random_coefs(&mut s);
                                let lanes = 1 + (section % 3) as u8;
                                updates.push(CoefUpdate {
                                    at: at as u32,
                                    section,
                                    lanes,
                                    coefs,
                                });
                            }
                            at += (rng(&mut s) * 50.0) as usize;
                        }
                        // Tiny states for the flush to clear.
                        if rng(&mut s) < 0.3 {
                            let k = (rng(&mut s) * count as f64) as usize % count;
                            for bank in [&mut a, &mut b] {
                                bank.sections[k].state[0].s2 = 1e-200;
                            }
                        }
                        a.process_scheduled(&mut al[pos..end], &mut ar[pos..end], &updates);
                        // The definition, on the scalar kernel.
                        let mut p = pos;
                        for u in &updates {
                            let at = pos + u.at as usize;
                            b.process(&mut bl[p..at], &mut br[p..at]);
                            p = at;
                            let section = &mut b.sections[u.section as usize];
                            for ch in 0..2 {
                                if u.lanes & (1 << ch) != 0 {
                                    section.coefs[ch] = u.coefs;
                                    section.state[ch].flush_denormals();
                                }
                            }
                        }
                        b.process(&mut bl[p..end], &mut br[p..end]);
                        pos = end;
                    }
                    let what = format!("{kernel:?}, {count} sections, block {block}");
                    assert_eq!(al, bl, "left, {what}");
                    assert_eq!(ar, br, "right, {what}");
                    assert_eq!(
                        a.sections(),
                        b.sections(),
                        "states and coefficients, {what}"
                    );
                }
            }
        }
    }

    #[test]
    fn capacity_is_enforced() {
        let mut b = StereoBank::new();
        for _ in 0..MAX_BANK_SECTIONS {
            assert!(b.push(StereoSection::default()));
        }
        assert!(!b.push(StereoSection::default()));
        assert_eq!(b.len(), MAX_BANK_SECTIONS);
        b.clear();
        assert!(b.is_empty());
        let (mut l, mut r) = (vec![0.5f32; 4], vec![-0.5f32; 4]);
        b.process(&mut l, &mut r);
        assert_eq!((l, r), (vec![0.5; 4], vec![-0.5; 4]));
    }
}
