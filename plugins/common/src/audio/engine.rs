//! The audio-thread side every Tandem plugin shares, without the plugin framework: a
//! `dsp-core` chain driven by the manual or the suggested settings, the level-matched compare
//! switch, and the tap feeding the analysis thread. A plugin's `process()` is a thin layer over
//! [`AssistedEngine::process`], so the tests run exactly what hosts run.

use crate::audio::compare::{Compare, CompareState};
use crate::audio::display::Display;
use crate::audio::shared::AssistantShared;
use crate::audio::store::SuggestionStore;
use dsp_core::assistant::accept::scale;
use dsp_core::chains::Chain;
use dsp_core::util::{finite_abs_max, flush_subnormals_abs_max};
use dsp_core::{ConfigError, ProcessorConfig};
use std::sync::atomic::Ordering;

/// Where the engine copies each block's input and output for the analysis thread (the
/// analysis side's runtime implements it). Implementations are real-time safe: no allocation,
/// lock or wait.
pub trait Tap {
    /// One block: the input channels, then the output channels.
    fn push(&mut self, channels: &[&[f32]]);
}

/// What drives one block besides the audio.
pub struct BlockControls<'a, S> {
    /// The host-visible (manual) settings.
    pub manual: &'a S,
    /// The compare switch as automated.
    pub compare: Compare,
    /// Amount 0–1 scaling the suggestion.
    pub amount: f32,
    /// Level matching on/off.
    pub match_levels: bool,
}

/// The suggested settings: `manual` with every value the suggestion holds, scaled by `amount`
/// towards the parameter's neutral value. `store` must have been built from
/// [`Chain::params`]. Real-time safe (no allocation, no string comparison).
pub fn suggested_settings<C: Chain>(
    manual: &C::Settings,
    store: &SuggestionStore,
    amount: f32,
    out: &mut C::Settings,
) {
    *out = *manual;
    // The store holds its values in the order of `C::params()` (it is built from them), so
    // a value's index is the parameter's: no string is compared here.
    for i in 0..store.params().len().min(C::params().len()) {
        let v = store.value(i);
        if v.is_finite() {
            C::set_param_at(out, i, scale(v, C::neutral_value_at(i), amount));
        }
    }
}

/// The largest block the chains are built for; a host block above it is processed in pieces.
pub const MAX_INTERNAL_BLOCK: usize = 8192;

/// A host block's peaks per channel (linear, finite samples only): the input as it enters the
/// chain and the output as it leaves, for the meters.
#[derive(Debug, Default)]
struct BlockPeaks {
    input: [f32; 2],
    output: [f32; 2],
}

/// A plugin's audio engine around chain `C`.
pub struct AssistedEngine<C: Chain> {
    chain: C,
    compare: CompareState,
    played: C::Settings,
    /// The suggested settings last derived, with what they were derived from (suggestion
    /// generation, amount bits, manual settings): rebuilt only when one of those changes.
    suggested: Option<(u32, u32, C::Settings, C::Settings)>,
    channels: usize,
    max_block: usize,
    dry: [Vec<f32>; 2],
    /// The last block's peaks, taken in the passes that flush it.
    peaks: BlockPeaks,
}

impl<C: Chain> AssistedEngine<C> {
    /// An engine for `channels` (1 or 2) at `sample_rate` (Hz) for blocks up to `max_block`,
    /// starting on `manual` without ramps.
    pub fn new(
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        manual: &C::Settings,
    ) -> Result<Self, ConfigError> {
        if channels > 2 {
            return Err(ConfigError::Channels(channels));
        }
        // Larger host blocks are split: buffers never scale with what a host announces. The
        // host's rate is fixed for the engine's life (a new rate comes through `activate()`,
        // which builds a new engine), so nothing is held for rates it does not run at.
        let max_block = max_block.clamp(1, MAX_INTERNAL_BLOCK);
        let config = ProcessorConfig::new(sample_rate, max_block, channels)?.with_fixed_rate();
        Ok(Self {
            chain: C::build(config, manual)?,
            compare: CompareState::new(sample_rate).with_boost(C::TRIM_CAN_BOOST),
            played: *manual,
            suggested: None,
            channels,
            max_block,
            dry: [vec![0.0; max_block], vec![0.0; max_block]],
            peaks: BlockPeaks::default(),
        })
    }

    /// Jumps to `manual` (state loaded, reset): no ramps, state cleared, Manual playing.
    pub fn reset(&mut self, manual: &C::Settings) {
        self.chain.apply_immediate(manual);
        self.chain.reset();
        self.compare.reset(Compare::Manual, 1.0);
        self.played = *manual;
    }

    /// The chain's latency in samples (constant for a given sample rate).
    pub fn latency_samples(&self) -> usize {
        self.chain.latency_samples()
    }

    /// The chain (for meters).
    pub fn chain(&self) -> &C {
        &self.chain
    }

    /// The settings that played in the last block.
    pub fn played(&self) -> &C::Settings {
        &self.played
    }

    /// The set that played in the last block.
    pub fn active(&self) -> Compare {
        self.compare.active()
    }

    /// A host block as every plugin's `process()` runs it: block peaks of input and output into
    /// `display`, the block through [`process_keyed`](Self::process_keyed) with the tap, and the
    /// `hold` flag raised while the suggestion plays (so the analysis thread does not replace
    /// it under the engineer's ears). Real-time safe: atomics only.
    #[allow(clippy::too_many_arguments)]
    pub fn process_host_block(
        &mut self,
        io: &mut [&mut [f32]],
        key: Option<&[&[f32]]>,
        controls: &BlockControls<'_, C::Settings>,
        shared: &AssistantShared,
        runtime: &mut dyn Tap,
        display: &Display,
    ) {
        self.process_keyed(
            io,
            key,
            controls,
            &shared.store,
            &shared.level_offset_lu,
            Some(runtime),
        );
        let metered = io.len().min(2);
        display.store_peaks(&display.in_peak_db, &self.peaks.input[..metered]);
        display.store_peaks(&display.out_peak_db, &self.peaks.output[..metered]);
        shared
            .hold
            .store(self.active() == Compare::Suggested, Ordering::Release);
    }

    /// [`process_keyed`](Self::process_keyed) without an external key.
    pub fn process(
        &mut self,
        io: &mut [&mut [f32]],
        controls: &BlockControls<'_, C::Settings>,
        store: &SuggestionStore,
        offset_lu: &atomic_float::AtomicF32,
        tap: Option<&mut dyn Tap>,
    ) {
        self.process_keyed(io, None, controls, store, offset_lu, tap);
    }

    /// Processes one block in place. `key` is an external side-chain (one slice per channel,
    /// at least as long as `io`; ignored otherwise) for chains that use one. `offset_lu` is the
    /// measured suggested-minus-manual loudness; `tap`, when given, receives the input and the
    /// output for the analysis thread. Each channel's peak of the input (once flushed: the
    /// same value, a subnormal's is below the meters) and of the output is kept for the
    /// meters, taken in the passes that flush them. Real-time safe.
    pub fn process_keyed(
        &mut self,
        io: &mut [&mut [f32]],
        key: Option<&[&[f32]]>,
        controls: &BlockControls<'_, C::Settings>,
        store: &SuggestionStore,
        offset_lu: &atomic_float::AtomicF32,
        tap: Option<&mut dyn Tap>,
    ) {
        let active = self.compare.begin_block(
            controls.compare,
            store.has_suggestion(),
            offset_lu,
            controls.match_levels,
        );
        let next = match active {
            Compare::Manual => *controls.manual,
            Compare::Suggested => {
                let key = (
                    store.generation(),
                    controls.amount.to_bits(),
                    *controls.manual,
                );
                match &self.suggested {
                    Some((g, a, m, s)) if (*g, *a, *m) == key => *s,
                    _ => {
                        let mut s = *controls.manual;
                        suggested_settings::<C>(controls.manual, store, controls.amount, &mut s);
                        self.suggested = Some((key.0, key.1, key.2, s));
                        s
                    }
                }
            }
        };
        if next != self.played {
            self.played = next;
            self.chain.apply(&self.played);
        }
        let nch = io.len().min(self.channels);
        let len = io[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        // Subnormal input reads as silence: arithmetic on it is many times slower on x86 (the
        // wrappers set flush-to-zero for results, not denormals-are-zero for inputs).
        self.peaks = BlockPeaks::default();
        for (c, ch) in io.iter_mut().enumerate().take(2) {
            self.peaks.input[c] = if c < nch {
                flush_subnormals_abs_max(ch)
            } else {
                finite_abs_max(ch)
            };
        }
        let key = key.filter(|k| !k.is_empty() && k.iter().all(|c| c.len() >= len));
        let mut start = 0;
        let mut tap = tap;
        while start < len {
            let n = (len - start).min(self.max_block);
            if tap.is_some() {
                for (c, ch) in io[..nch].iter().enumerate() {
                    self.dry[c][..n].copy_from_slice(&ch[start..start + n]);
                }
            }
            {
                let mut parts: [&mut [f32]; 2] = [&mut [], &mut []];
                for (p, ch) in parts.iter_mut().zip(io[..nch].iter_mut()) {
                    *p = &mut ch[start..start + n];
                }
                let mut key_parts: [&[f32]; 2] = [&[]; 2];
                let key_view = key.map(|k| {
                    let kn = k.len().min(2);
                    for (p, ch) in key_parts.iter_mut().zip(k.iter()) {
                        *p = &ch[start..start + n];
                    }
                    &key_parts[..kn]
                });
                self.chain.process_keyed(&mut parts[..nch], key_view);
                self.compare.apply_trim(&mut parts[..nch]);
                // Subnormal input passed through (or a tail decaying into the subnormal range)
                // leaves as zero.
                for (p, out) in parts[..nch].iter_mut().zip(&mut self.peaks.output) {
                    *out = out.max(flush_subnormals_abs_max(p));
                }
            }
            if let Some(t) = tap.as_deref_mut() {
                let mut view: [&[f32]; 4] = [&[]; 4];
                for c in 0..nch {
                    view[c] = &self.dry[c][..n];
                    view[nch + c] = &io[c][start..start + n];
                }
                t.push(&view[..2 * nch]);
            }
            start += n;
        }
        // What the chain did not run (channels beyond its own, or past the shortest) is metered
        // as it leaves.
        for (c, ch) in io.iter().enumerate().take(2) {
            let rest = if c < nch { &ch[len..] } else { &ch[..] };
            self.peaks.output[c] = self.peaks.output[c].max(finite_abs_max(rest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp_core::chains::eq::{EqChain, EqSettings};
    use dsp_core::util::{gain_to_db, MIN_DB};
    use std::sync::Arc;

    struct NoTap;
    impl Tap for NoTap {
        fn push(&mut self, _: &[&[f32]]) {}
    }

    /// The meters read each channel's largest finite magnitude of the host block as it came in
    /// and as it leaves (−6 dB of output gain here), over blocks the engine splits (longer than
    /// its 512), with NaN, ±∞ and subnormals in them; a silent or subnormal block reads the
    /// floor.
    #[test]
    fn host_blocks_meter_their_input_and_output_peaks() {
        let manual = EqSettings {
            out_gain_db: -6.0,
            ..EqSettings::default()
        };
        let mut engine = AssistedEngine::<EqChain>::new(48_000.0, 512, 2, &manual).unwrap();
        let shared = AssistantShared::new(Arc::new(SuggestionStore::new(EqChain::params())));
        let display = Display::default();
        let controls = BlockControls {
            manual: &manual,
            compare: Compare::Manual,
            amount: 1.0,
            match_levels: true,
        };
        let meters =
            |m: &[atomic_float::AtomicF32; 2]| m.each_ref().map(|a| a.load(Ordering::Relaxed));
        for n in [1usize, 7, 700, 1500] {
            let mut l: Vec<f32> = (0..n).map(|i| 0.4 * ((i as f32) * 0.37).sin()).collect();
            let mut r: Vec<f32> = (0..n).map(|i| 0.2 * ((i as f32) * 0.11).cos()).collect();
            l[n / 2] = -0.9;
            r[n - 1] = f32::MIN_POSITIVE / 4.0;
            if n > 7 {
                (l[1], l[3], r[2]) = (f32::NAN, f32::INFINITY, f32::NEG_INFINITY);
            }
            let peak_in = [finite_abs_max(&l), finite_abs_max(&r)];
            engine.process_host_block(
                &mut [&mut l, &mut r],
                None,
                &controls,
                &shared,
                &mut NoTap,
                &display,
            );
            let peak_out = [finite_abs_max(&l), finite_abs_max(&r)];
            assert!(
                (peak_out[0] / peak_in[0] - 0.501).abs() < 0.01,
                "{peak_out:?}"
            );
            let db = |p: [f32; 2]| p.map(|p| gain_to_db(p).max(MIN_DB));
            assert_eq!(meters(&display.in_peak_db), db(peak_in), "{n} in");
            assert_eq!(meters(&display.out_peak_db), db(peak_out), "{n} out");
        }
        let (mut l, mut r) = (vec![0.0f32; 64], vec![f32::MIN_POSITIVE / 2.0; 64]);
        engine.process_host_block(
            &mut [&mut l, &mut r],
            None,
            &controls,
            &shared,
            &mut NoTap,
            &display,
        );
        assert_eq!(meters(&display.in_peak_db), [MIN_DB; 2]);
        assert_eq!(meters(&display.out_peak_db), [MIN_DB; 2]);
    }
}
