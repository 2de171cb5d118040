//! The EQ's fast path: every active band's sections in one [`StereoBank`], gliding bands'
//! coefficient updates scheduled inside the bank's pipeline. It renders what the band-by-band
//! path renders within −120 dBFS (the bank keeps the signal in `f64` between sections, where the
//! band-by-band path rounds it to `f32` after each band; a few `f32` steps apart, tested).

use super::band::BandRunner;
use super::*;
use crate::filters::design::glide_bells;
use crate::filters::{CONTROL_PERIOD_SAMPLES, MAX_SCHEDULED_UPDATES};

/// A stretch's planned control updates, the fast path's scratch (allocated with the chain): the
/// bank's coefficient updates, in the order of their samples, and the gliding bells whose
/// sections they carry, designed together once the stretch is planned.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    updates: [CoefUpdate; MAX_SCHEDULED_UPDATES],
    /// Each gliding bell's `(log2 freq_hz, gain_db, log2 q)` and the update its section goes to.
    bells: [(f64, f64, f64); MAX_SCHEDULED_UPDATES],
    bell_update: [u16; MAX_SCHEDULED_UPDATES],
    designed: [BiquadCoefs; MAX_SCHEDULED_UPDATES],
}

impl Plan {
    pub(super) fn new() -> Box<Self> {
        Box::new(Self {
            updates: [CoefUpdate::default(); MAX_SCHEDULED_UPDATES],
            bells: [(0.0, 0.0, 0.0); MAX_SCHEDULED_UPDATES],
            bell_update: [0; MAX_SCHEDULED_UPDATES],
            designed: [BiquadCoefs::IDENTITY; MAX_SCHEDULED_UPDATES],
        })
    }
}

// A stretch holds at least one control period of every section a bank can hold.
const _: () = assert!(MAX_SCHEDULED_UPDATES >= MAX_BANK_SECTIONS);

/// The fast path only takes blocks whose samples are all within ±this: finite, and so far from
/// `f32`'s range that no gain the bands can reach overflows (the per-band path guards that).
pub(super) const FAST_PATH_MAX_INPUT: f32 = 1e6;

/// Whether every sample of `block` is within ±[`FAST_PATH_MAX_INPUT`] (so not NaN). On the bits:
/// without its sign, a float's bits order like its magnitude, and every NaN's lie above
/// infinity's. Or-ed over the block in 32-bit lanes, rather than `all` (which stops early, so
/// it cannot vectorise) or counted in `usize` (two lanes per register).
#[inline]
pub(super) fn fast_path_takes(block: &[f32]) -> bool {
    let max_bits = FAST_PATH_MAX_INPUT.to_bits();
    block.iter().fold(0u32, |out, x| {
        out | u32::from(x.to_bits() & 0x7fff_ffff > max_bits)
    }) == 0
}

/// A band's section as the fast path's bank runs it: on both channels (stereo), or on the one its
/// placement filters with an identity on the other (every band in mono runs on the left).
pub(super) fn bank_coefs(placement: Placement, mono: bool, c: &BiquadCoefs) -> [BiquadCoefs; 2] {
    let id = BiquadCoefs::IDENTITY;
    match placement {
        _ if mono => [*c, id],
        Placement::Stereo => [*c, *c],
        Placement::Left | Placement::Mid => [*c, id],
        Placement::Right | Placement::Side => [id, *c],
    }
}

/// The channels of the bank a band's sections filter (see [`bank_coefs`]).
pub(super) fn bank_lanes(placement: Placement, mono: bool) -> u8 {
    match placement {
        _ if mono => CoefUpdate::LEFT,
        Placement::Stereo => CoefUpdate::LEFT | CoefUpdate::RIGHT,
        Placement::Left | Placement::Mid => CoefUpdate::LEFT,
        Placement::Right | Placement::Side => CoefUpdate::RIGHT,
    }
}

impl EqChain {
    /// The fast path, taken when every active band is fully on (not crossfading; gliding is
    /// fine), the input is safely finite and the CPU has AVX or AVX-512: all bands' sections run
    /// sample by sample in one [`StereoBank`], as the per-band path runs them (a left-only
    /// band is an identity section on the right, and vice versa; mid and side bands convert to
    /// and from mid/side around themselves with [`MidSide`], as the per-band path does).
    /// Returns false, having touched nothing, when the block must take the per-band path.
    ///
    /// Mono (`r` = `None`) runs the same way on the left lanes, with silence on the right
    /// lanes; as in the per-band path, every placement but Side filters the one channel (with
    /// its cascade's channel 0) and Side bands do nothing.
    pub(super) fn process_block_fast(&mut self, l: &mut [f32], r: Option<&mut [f32]>) -> bool {
        if !self.bank.is_vectorized() {
            return false;
        }
        let mono = r.is_none();
        let fade_len = self.fade_len;
        let active = |b: &BandRunner| !(b.is_idle() || (mono && b.placement == Placement::Side));
        if !self
            .bands
            .iter()
            .filter(|b| active(b))
            .all(|b| b.is_fully_on(fade_len))
        {
            return false;
        }
        if !(fast_path_takes(l) && r.as_deref().is_none_or(fast_path_takes)) {
            return false;
        }
        if !self.fill_bank(mono) {
            return false;
        }
        let n = l.len();
        let mut r = r;
        if mono {
            self.scratch.dry_r[..n].fill(0.0);
        }
        // Gliding bands change their coefficients every control period, at the samples where
        // the band-by-band path switches them. The block goes through the bank in stretches
        // that carry their updates inside ([`StereoBank::process_scheduled`]), each planned
        // first (see [`Self::plan_stretch`]). With nothing gliding a block is one stretch.
        let mut active_bands = [false; NUM_BANDS];
        let mut any_gliding = false;
        for (a, band) in active_bands.iter_mut().zip(&self.bands) {
            *a = active(band);
            any_gliding |= *a && band.cascade.is_gliding();
        }
        // Samples each active band has run settled (not gliding) in this block: its control
        // clock advances by them at the end (a settled band's update only flushes its state,
        // which the bank holds meanwhile; see `FilterCascade::advance_settled`).
        let mut settled = [0usize; NUM_BANDS];
        let mut pos = 0;
        while pos < n {
            let (len, count) = if any_gliding {
                self.plan_stretch(n - pos, mono, &active_bands, &mut settled)
            } else {
                for (s, &a) in settled.iter_mut().zip(&active_bands) {
                    *s += if a { n } else { 0 };
                }
                (n, 0)
            };
            let end = pos + len;
            let updates = &self.plan.updates[..count];
            match r.as_deref_mut() {
                Some(r) => self
                    .bank
                    .process_scheduled(&mut l[pos..end], &mut r[pos..end], updates),
                None => self.bank.process_scheduled(
                    &mut l[pos..end],
                    &mut self.scratch.dry_r[pos..end],
                    updates,
                ),
            }
            pos = end;
        }
        for (band, &samples) in self.bands.iter_mut().zip(&settled) {
            if samples > 0 {
                band.cascade.advance_settled(samples);
            }
        }
        self.drain_bank(mono);
        true
    }

    /// Plans the next stretch of at most `left` samples: every gliding band's control updates
    /// in it, each exactly as its cascade makes it (the glide step, then the bell designed or the
    /// coefficients recomputed), as the bank's updates in the order of their samples. The
    /// gliding bells of the whole stretch are designed in one call ([`glide_bells`], eight
    /// lanes at a time, bit for bit as one by one). A stretch is as many whole control periods
    /// as the bank call's updates hold. Adds to `settled` the
    /// samples each active band runs settled; returns the stretch's length and update count.
    fn plan_stretch(
        &mut self,
        left: usize,
        mono: bool,
        active: &[bool; NUM_BANDS],
        settled: &mut [usize; NUM_BANDS],
    ) -> (usize, usize) {
        const PERIOD: usize = CONTROL_PERIOD_SAMPLES;
        let Self {
            bands,
            bank_at,
            plan,
            sample_rate_hz,
            ..
        } = self;
        // The gliding bands in the order of their updates within each control period (each has
        // less than a period to go: a call or stretch ends before an update, never on one).
        let mut order = [0usize; NUM_BANDS];
        let (mut gliding, mut per_period) = (0, 0);
        let phase = |i: usize| bands[i].cascade.samples_to_tick();
        for i in 0..NUM_BANDS {
            if !(active[i] && bands[i].cascade.is_gliding()) {
                continue;
            }
            debug_assert!(phase(i) < PERIOD);
            let mut k = gliding;
            while k > 0 && phase(order[k - 1]) > phase(i) {
                order[k] = order[k - 1];
                k -= 1;
            }
            order[k] = i;
            gliding += 1;
            per_period += bank_at[i].1 - bank_at[i].0;
        }
        let len = if gliding == 0 {
            left
        } else {
            left.min(MAX_SCHEDULED_UPDATES / per_period.max(1) * PERIOD)
        };
        for i in 0..NUM_BANDS {
            if active[i] && !bands[i].cascade.is_gliding() {
                settled[i] += len;
            }
        }
        let order = &order[..gliding];
        let mut next = [0usize; NUM_BANDS];
        for &i in order {
            next[i] = bands[i].cascade.samples_to_tick();
        }
        let (mut count, mut bells) = (0, 0);
        // Each band's last bell in the stretch, whose section its cascade keeps.
        let mut last_bell = [None; NUM_BANDS];
        let mut period_start = 0;
        while period_start < len {
            let period_end = (period_start + PERIOD).min(len);
            for &i in order {
                let band = &mut bands[i];
                let at = next[i];
                if !band.cascade.is_gliding() || at >= period_end {
                    continue;
                }
                next[i] = at + PERIOD;
                let (start, stop) = bank_at[i];
                let lanes = bank_lanes(band.placement, mono);
                let update = |section: usize, coefs: BiquadCoefs| CoefUpdate {
                    at: at as u32,
                    section: section as u16,
                    lanes,
                    coefs,
                };
                match band.cascade.glide_step() {
                    Some(bell) => {
                        // A gliding bell is one section (a glide keeps its structure).
                        debug_assert_eq!(stop - start, 1);
                        plan.bells[bells] = bell;
                        plan.bell_update[bells] = count as u16;
                        last_bell[i] = Some(bells);
                        bells += 1;
                        plan.updates[count] = update(start, BiquadCoefs::IDENTITY);
                        count += 1;
                    }
                    None => {
                        last_bell[i] = None;
                        let coefs = band.cascade.coefs().sections();
                        debug_assert_eq!(coefs.len(), stop - start);
                        for (k, c) in coefs.iter().enumerate().take(stop - start) {
                            plan.updates[count] = update(start + k, *c);
                            count += 1;
                        }
                    }
                }
                if !band.cascade.is_gliding() {
                    // Arrived: settled from this update on, a full period to its next.
                    band.cascade.set_samples_to_tick(PERIOD);
                    settled[i] += len - at;
                }
            }
            period_start = period_end;
        }
        for &i in order {
            let cascade = &mut bands[i].cascade;
            if cascade.is_gliding() {
                cascade.set_samples_to_tick(next[i] - len);
            }
        }
        if bells == 0 {
            return (len, count);
        }
        let rate = f64::from(*sample_rate_hz);
        glide_bells(&plan.bells[..bells], rate, &mut plan.designed[..bells]);
        for (&u, c) in plan.bell_update[..bells].iter().zip(&plan.designed) {
            plan.updates[u as usize].coefs = *c;
        }
        for (band, last) in bands.iter_mut().zip(last_bell) {
            if let Some(k) = last {
                band.cascade.set_glide_section(plan.designed[k]);
            }
        }
        (len, count)
    }

    /// Fills the fast path's bank from the active bands' current coefficients and states (see
    /// [`Self::process_block_fast`]); false when it does not fit.
    pub(super) fn fill_bank(&mut self, mono: bool) -> bool {
        let bank = &mut self.bank;
        bank.clear();
        // Whether the running signal is in mid/side: a mid or side band encodes before its first
        // section and the next non-mid/side band (or the end) decodes, exactly as the per-band
        // path converts around each such band.
        let mut in_ms = false;
        for (band, at) in self.bands.iter_mut().zip(self.bank_at.iter_mut()) {
            if band.is_idle() || (mono && band.placement == Placement::Side) {
                *at = (bank.len(), bank.len());
                continue;
            }
            let ms = !mono && matches!(band.placement, Placement::Mid | Placement::Side);
            let first_pre = match (in_ms, ms) {
                (false, true) => MidSide::Encode,
                (true, true) => MidSide::DecodeEncode,
                (true, false) => MidSide::Decode,
                (false, false) => MidSide::None,
            };
            in_ms = ms;
            let start = bank.len();
            let (coefs, state) = band.cascade.coefs_and_state_mut();
            for (i, c) in coefs.sections().iter().enumerate() {
                let none = BiquadState::default();
                // A one-channel band (left, right, mid, side, and every band in mono) runs on
                // its cascade's channel 0.
                let state = match band.placement {
                    _ if mono => [state[0][i], none],
                    Placement::Stereo => [state[0][i], state[1][i]],
                    Placement::Left | Placement::Mid => [state[0][i], none],
                    Placement::Right | Placement::Side => [none, state[0][i]],
                };
                let pre = if i == 0 { first_pre } else { MidSide::None };
                let coefs = bank_coefs(band.placement, mono, c);
                if !bank.push(StereoSection { coefs, state, pre }) {
                    return false;
                }
            }
            *at = (start, bank.len());
        }
        if in_ms {
            let decode = StereoSection {
                pre: MidSide::Decode,
                ..StereoSection::default()
            };
            if !bank.push(decode) {
                return false;
            }
        }
        true
    }

    /// Writes the bank's states back into the bands' cascades.
    pub(super) fn drain_bank(&mut self, mono: bool) {
        let mut done = self.bank.sections().iter();
        for band in self.bands.iter_mut() {
            if band.is_idle() || (mono && band.placement == Placement::Side) {
                continue;
            }
            let count = band.cascade.coefs().len();
            let state = band.cascade.state_mut();
            for (i, s) in done.by_ref().take(count).enumerate() {
                match band.placement {
                    _ if mono => state[0][i] = s.state[0],
                    Placement::Stereo => {
                        state[0][i] = s.state[0];
                        state[1][i] = s.state[1];
                    }
                    Placement::Left | Placement::Mid => state[0][i] = s.state[0],
                    Placement::Right | Placement::Side => state[0][i] = s.state[1],
                }
            }
        }
    }
}
