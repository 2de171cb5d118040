//! The EQ's fast path: every active band's sections in one [`StereoBank`], gliding bands'
//! coefficient updates scheduled inside the bank's pipeline. It renders what the band-by-band
//! path renders within −120 dBFS (the bank keeps the signal in `f64` between sections, where the
//! band-by-band path rounds it to `f32` after each band; a few `f32` steps apart, tested).

use super::band::BandRunner;
use super::*;

/// The most coefficient updates the fast path schedules into one bank call (a call ends early
/// when the next control update's would not fit): enough for eight gliding bells over 256
/// samples, and at least one update of every section a bank can hold.
pub(super) const UPDATES_PER_CALL: usize = 64;
const _: () = assert!(UPDATES_PER_CALL >= MAX_BANK_SECTIONS);

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
        // the band-by-band path switches them. The block goes through the bank in calls that
        // carry their updates inside ([`StereoBank::process_scheduled`]): the due bands are
        // ticked (their bells designed together) up to where the call's updates are full, then
        // the bank runs that stretch at once. With nothing gliding this is one call.
        let mut gliding = [false; NUM_BANDS];
        let mut active_bands = [false; NUM_BANDS];
        for (i, band) in self.bands.iter().enumerate() {
            active_bands[i] = active(band);
            gliding[i] = active_bands[i] && band.cascade.is_gliding();
        }
        // Samples each active band has run settled (not gliding) in this block: its control
        // clock advances by them at the end (a settled band's update only flushes its state,
        // which the bank holds meanwhile; see `FilterCascade::advance_settled`).
        let mut settled = [0usize; NUM_BANDS];
        let mut pos = 0;
        while pos < n {
            let mut count = 0;
            let mut end = pos;
            while end < n {
                let mut due = [false; NUM_BANDS];
                let mut needed = 0;
                for i in 0..NUM_BANDS {
                    if gliding[i] && self.bands[i].cascade.samples_to_tick() == 0 {
                        due[i] = true;
                        needed += self.bank_at[i].1 - self.bank_at[i].0;
                    }
                }
                if needed > 0 {
                    if count + needed > UPDATES_PER_CALL {
                        break;
                    }
                    self.tick_due(&due);
                    for (i, band) in self.bands.iter().enumerate() {
                        if !due[i] {
                            continue;
                        }
                        gliding[i] = band.cascade.is_gliding();
                        let (start, stop) = self.bank_at[i];
                        let coefs = band.cascade.coefs().sections();
                        // A glide keeps each band's structure, so its sections stay in place.
                        debug_assert_eq!(coefs.len(), stop - start);
                        let lanes = bank_lanes(band.placement, mono);
                        for (k, c) in coefs.iter().enumerate().take(stop - start) {
                            self.updates[count] = CoefUpdate {
                                at: (end - pos) as u32,
                                section: (start + k) as u16,
                                lanes,
                                coefs: *c,
                            };
                            count += 1;
                        }
                    }
                }
                let mut len = n - end;
                for (band, &g) in self.bands.iter().zip(&gliding) {
                    if g {
                        len = len.min(band.cascade.samples_to_tick());
                    }
                }
                for i in 0..NUM_BANDS {
                    if gliding[i] {
                        self.bands[i].cascade.advance_within_period(len);
                    } else if active_bands[i] {
                        settled[i] += len;
                    }
                }
                end += len;
            }
            let updates = &self.updates[..count];
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

    /// The control update of every band marked in `due` (each gliding, its update due now), as
    /// each band's cascade would make it: the gliding bells designed together (bit for bit as
    /// each alone, in vector lanes); other kinds, and glides' last steps, tick alone.
    pub(super) fn tick_due(&mut self, due: &[bool; NUM_BANDS]) {
        let mut bells = [(0.0, 0.0, 0.0); NUM_BANDS];
        let mut which = [0usize; NUM_BANDS];
        let mut count = 0;
        for (i, band) in self.bands.iter_mut().enumerate() {
            if due[i] {
                if let Some(bell) = band.cascade.tick_due_begin() {
                    bells[count] = bell;
                    which[count] = i;
                    count += 1;
                }
            }
        }
        if count > 0 {
            // Every band's cascade runs at the chain's rate.
            let rate = self.bands[which[0]].cascade.sample_rate_hz() as f64;
            let mut sections = [BiquadCoefs::IDENTITY; NUM_BANDS];
            crate::filters::design::glide_bells(&bells[..count], rate, &mut sections);
            for (&i, &section) in which[..count].iter().zip(&sections) {
                self.bands[i].cascade.tick_due_finish(section);
            }
        }
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
