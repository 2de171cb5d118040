//! The audio-thread side every Tandem plugin shares, without the plugin framework: a
//! `dsp-core` chain driven by the manual or the suggested settings, the level-matched compare
//! switch, and the tap feeding the analysis thread. A plugin's `process()` is a thin layer over
//! [`AssistedEngine::process`], so the tests run exactly what hosts run.

use crate::assistant::AssistantShared;
use crate::compare::{Compare, CompareState};
use crate::display::Display;
use crate::runtime::AssistRuntime;
use crate::store::SuggestionStore;
use dsp_core::assist::accept::scale;
use dsp_core::chains::comp::{CompChain, CompSettings};
use dsp_core::chains::eq::{EqChain, EqSettings};
use dsp_core::chains::master::{MasterChain, MasterSettings};
use dsp_core::{ConfigError, Processor, ProcessorConfig};
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

/// A `dsp-core` chain a plugin plays, with its settings type and parameter-ID scheme.
pub trait AssistedChain: Processor + Send + Sized {
    /// The plugin's settings (what its host parameters hold).
    type Settings: Copy + PartialEq + Send + Default;
    /// Builds the chain at `settings` without ramps.
    fn build(config: ProcessorConfig, settings: &Self::Settings) -> Result<Self, ConfigError>;
    /// New settings, click-free (ramps and glides). Real-time safe.
    fn apply(&mut self, settings: &Self::Settings);
    /// New settings at once (state loaded, reset). Real-time safe.
    fn apply_immediate(&mut self, settings: &Self::Settings);
    /// Processes one block (at most the configured size) with an optional external key.
    fn process_keyed(&mut self, io: &mut [&mut [f32]], key: Option<&[&[f32]]>);
    /// Sets one parameter by stable ID from its plain value (clamped); false for unknown IDs.
    fn set_param(settings: &mut Self::Settings, id: &str, value: f32) -> bool;
    /// The value `amount` = 0 scales a parameter towards, `None` when it has none.
    fn neutral_value(id: &str) -> Option<f32>;
    /// Every parameter ID the assistant may propose, in the chain's stable order: the
    /// suggestion store keeps its values in this order.
    fn param_ids() -> &'static [&'static str];
    /// [`set_param`](Self::set_param) for `param_ids()[index]`, without comparing strings (the
    /// audio thread); false past the end.
    fn set_param_at(settings: &mut Self::Settings, index: usize, value: f32) -> bool;
    /// [`neutral_value`](Self::neutral_value) for `param_ids()[index]`, without comparing
    /// strings (the audio thread).
    fn neutral_value_at(index: usize) -> Option<f32>;
    /// Settings from parameter ID → plain value (missing IDs at their defaults).
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> Self::Settings;
    /// Whether level matching may turn a quieter suggestion up. False for a chain that ends
    /// in a ceiling it must hold (a gain after it would break the ceiling).
    const TRIM_CAN_BOOST: bool = true;
}

impl AssistedChain for EqChain {
    type Settings = EqSettings;
    fn build(config: ProcessorConfig, settings: &EqSettings) -> Result<Self, ConfigError> {
        EqChain::new(config, settings)
    }
    fn apply(&mut self, settings: &EqSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &EqSettings) {
        self.set_settings_immediate(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], _key: Option<&[&[f32]]>) {
        self.process(io);
    }
    fn set_param(settings: &mut EqSettings, id: &str, value: f32) -> bool {
        settings.set_param(id, value)
    }
    fn neutral_value(id: &str) -> Option<f32> {
        dsp_core::chains::eq::neutral_value(id)
    }
    fn param_ids() -> &'static [&'static str] {
        static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
        leaked(&IDS, dsp_core::chains::eq::param_ids)
    }
    fn set_param_at(settings: &mut EqSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn neutral_value_at(index: usize) -> Option<f32> {
        dsp_core::chains::eq::neutral_value_at(index)
    }
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> EqSettings {
        EqSettings::from_param_map(map)
    }
}

impl AssistedChain for CompChain {
    type Settings = CompSettings;
    fn build(config: ProcessorConfig, settings: &CompSettings) -> Result<Self, ConfigError> {
        CompChain::new(config, settings)
    }
    fn apply(&mut self, settings: &CompSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &CompSettings) {
        // The following `reset` settles the ramps.
        self.set_settings(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], key: Option<&[&[f32]]>) {
        self.process_with_sidechain(io, key);
    }
    fn set_param(settings: &mut CompSettings, id: &str, value: f32) -> bool {
        settings.set_param(id, value)
    }
    fn neutral_value(id: &str) -> Option<f32> {
        dsp_core::chains::comp::neutral_value(id)
    }
    fn param_ids() -> &'static [&'static str] {
        &dsp_core::chains::comp::PARAM_IDS
    }
    fn set_param_at(settings: &mut CompSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn neutral_value_at(index: usize) -> Option<f32> {
        dsp_core::chains::comp::neutral_value_at(index)
    }
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> CompSettings {
        CompSettings::from_param_map(map)
    }
}

impl AssistedChain for MasterChain {
    type Settings = MasterSettings;
    const TRIM_CAN_BOOST: bool = false;
    fn build(config: ProcessorConfig, settings: &MasterSettings) -> Result<Self, ConfigError> {
        MasterChain::new(config, settings)
    }
    fn apply(&mut self, settings: &MasterSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &MasterSettings) {
        self.set_settings_immediate(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], _key: Option<&[&[f32]]>) {
        self.process(io);
    }
    fn set_param(settings: &mut MasterSettings, id: &str, value: f32) -> bool {
        settings.set_param(id, value)
    }
    fn neutral_value(id: &str) -> Option<f32> {
        dsp_core::chains::master::neutral_value(id)
    }
    fn param_ids() -> &'static [&'static str] {
        static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
        leaked(&IDS, dsp_core::chains::master::param_ids)
    }
    fn set_param_at(settings: &mut MasterSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn neutral_value_at(index: usize) -> Option<f32> {
        dsp_core::chains::master::neutral_value_at(index)
    }
    fn from_param_map(map: &std::collections::BTreeMap<String, f32>) -> MasterSettings {
        MasterSettings::from_param_map(map)
    }
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
/// [`AssistedChain::param_ids`]. Real-time safe (no allocation, no string comparison).
pub fn suggested_settings<C: AssistedChain>(
    manual: &C::Settings,
    store: &SuggestionStore,
    amount: f32,
    out: &mut C::Settings,
) {
    *out = *manual;
    // The store holds its values in the order of `C::param_ids()` (it is built from them), so
    // a value's index is the parameter's: no string is compared here.
    for i in 0..store.ids().len().min(C::param_ids().len()) {
        let v = store.value(i);
        if v.is_finite() {
            C::set_param_at(out, i, scale(v, C::neutral_value_at(i), amount));
        }
    }
}

/// Owned IDs made `'static` once per process (a chain whose IDs are built, not written out).
fn leaked(
    cell: &'static OnceLock<Vec<&'static str>>,
    ids: fn() -> Vec<String>,
) -> &'static [&'static str] {
    cell.get_or_init(|| {
        ids()
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect()
    })
}

/// The largest block the chains are built for; a host block above it is processed in pieces.
pub const MAX_INTERNAL_BLOCK: usize = 8192;

/// A plugin's audio engine around chain `C`.
pub struct AssistedEngine<C: AssistedChain> {
    chain: C,
    compare: CompareState,
    played: C::Settings,
    /// The suggested settings last derived, with what they were derived from (suggestion
    /// generation, amount bits, manual settings): rebuilt only when one of those changes.
    suggested: Option<(u32, u32, C::Settings, C::Settings)>,
    channels: usize,
    max_block: usize,
    dry: [Vec<f32>; 2],
}

impl<C: AssistedChain> AssistedEngine<C> {
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
        runtime: &mut AssistRuntime,
        display: &Display,
    ) {
        display.store_peaks(&display.in_peak_db, io);
        self.process_keyed(
            io,
            key,
            controls,
            &shared.store,
            &shared.level_offset_lu,
            Some(runtime),
        );
        display.store_peaks(&display.out_peak_db, io);
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
        tap: Option<&mut AssistRuntime>,
    ) {
        self.process_keyed(io, None, controls, store, offset_lu, tap);
    }

    /// Processes one block in place. `key` is an external side-chain (one slice per channel,
    /// at least as long as `io`; ignored otherwise) for chains that use one. `offset_lu` is the
    /// measured suggested-minus-manual loudness; `tap`, when given, receives the input and the
    /// output for the analysis thread. Real-time safe.
    pub fn process_keyed(
        &mut self,
        io: &mut [&mut [f32]],
        key: Option<&[&[f32]]>,
        controls: &BlockControls<'_, C::Settings>,
        store: &SuggestionStore,
        offset_lu: &atomic_float::AtomicF32,
        tap: Option<&mut AssistRuntime>,
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
        for ch in io[..nch].iter_mut() {
            dsp_core::util::flush_subnormals(ch);
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
                for p in parts[..nch].iter_mut() {
                    dsp_core::util::flush_subnormals(p);
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Setting a parameter by index is setting it by its ID, for every parameter of every chain,
    /// from the defaults and from a changed start, with in-range, out-of-range and non-finite
    /// values; the neutral values agree too.
    fn index_matches_id<C: AssistedChain>()
    where
        C::Settings: std::fmt::Debug,
    {
        let ids = C::param_ids();
        assert!(!ids.is_empty());
        let values = [
            -1e9,
            -48.0,
            -3.5,
            0.0,
            0.4,
            0.6,
            1.0,
            2.0,
            7.3,
            150.0,
            2500.0,
            1e9,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        let mut changed = C::Settings::default();
        for (i, id) in ids.iter().enumerate() {
            assert!(C::set_param(&mut changed, id, values[(3 * i + 5) % 12]));
        }
        assert_ne!(changed, C::Settings::default());
        for start in [C::Settings::default(), changed] {
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(C::neutral_value_at(i), C::neutral_value(id), "{id}");
                for v in values {
                    let (mut a, mut b) = (start, start);
                    assert!(C::set_param(&mut a, id, v));
                    assert!(C::set_param_at(&mut b, i, v));
                    assert_eq!(a, b, "{id} = {v}");
                }
            }
        }
        let mut s = C::Settings::default();
        assert!(!C::set_param_at(&mut s, ids.len(), 1.0));
        assert_eq!(C::neutral_value_at(ids.len()), None);
    }

    #[test]
    fn parameters_set_by_index_are_set_by_id() {
        index_matches_id::<EqChain>();
        index_matches_id::<CompChain>();
        index_matches_id::<MasterChain>();
    }
}
