//! The plugins' host parameters as the shared machinery reads them, on any thread but the
//! audio thread's `process()` (which reads typed settings through [`AssistedParams`]), and
//! built from their chain's parameter table ([`float_param`], [`bool_param`], [`menu_param`];
//! [`assert_params_follow_table`] pins them to it).

use crate::audio::compare::{switch_param, AssistantParams};
use crate::audio::store::SuggestionStore;
use crate::gui::EditorState;
use crate::identity::Identity;
use crate::reference::Loader;
use dsp_core::chains::params::{ParamInfo, ParamKind};
use nice_plug::prelude::{BoolParam, Enum, EnumParam, FloatParam, FloatRange, Params};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What every plugin's parameters end with, nested inline (`#[nested]`, no prefix, so the IDs
/// and keys are the ones the plugins always had): the assistant's parameters (compare, match
/// levels, amount, in the "Assistant" group) and the fields every plugin persists (the latest
/// suggestion, the editor's size, and the plugin's identity, which makes a foreign state load
/// nothing).
#[derive(Params)]
pub struct TandemParams {
    /// Compare / match levels / amount.
    #[nested(group = "Assistant")]
    pub assistant: AssistantParams,
    /// The latest suggestion, saved with the project.
    #[persist = "suggestion"]
    pub suggestion: Arc<SuggestionStore>,
    /// Editor window size.
    #[persist = "editor-state"]
    pub editor_state: Arc<EditorState>,
    /// Which plugin wrote a saved state (foreign states are ignored).
    #[persist = "tandem-plugin"]
    pub identity: Identity,
    /// The instance's reference loader (the helper thread a reference track is read on), which
    /// the generic plugin stops when the instance goes away. Not a parameter, not saved.
    pub loader: Arc<Loader>,
}

impl TandemParams {
    /// The assistant's parameters at their defaults, `store` persisted, an editor of
    /// `editor_size` (logical pixels), the identity `clap_id`.
    pub fn new(
        store: Arc<SuggestionStore>,
        editor_size: (f32, f32),
        clap_id: &'static str,
    ) -> Self {
        Self {
            assistant: AssistantParams::default(),
            suggestion: store,
            editor_state: EditorState::new(editor_size.0, editor_size.1),
            identity: Identity(clap_id),
            loader: Arc::default(),
        }
    }
}

/// A plugin's host parameters as the generic plugin uses them.
pub trait AssistedParams: Params + 'static {
    /// The chain settings the manual parameters describe.
    type Settings;
    /// The parameters at their defaults, persisting the suggestion through `store`.
    fn with_store(store: Arc<SuggestionStore>) -> Self;
    /// The assistant's parameters and persisted fields every plugin nests.
    fn common(&self) -> &TandemParams;
    /// The assistant's own parameters (compare, amount, level match).
    fn assistant(&self) -> &AssistantParams {
        &self.common().assistant
    }
    /// The editor's persisted window size.
    fn editor_state(&self) -> Arc<EditorState> {
        self.common().editor_state.clone()
    }
    /// The manual settings as the parameters hold them now. Real-time safe.
    fn manual_settings(&self, out: &mut Self::Settings);
}

/// The engineer's (unmodulated) plain parameter values by stable ID, nested groups included:
/// the `manual` input of [`dsp_core::assistant::accept::changes`] and of the assistants. Booleans
/// read 0/1, enums their variant index.
pub fn manual_values(params: &dyn Params) -> BTreeMap<String, f32> {
    params
        .param_map()
        .into_iter()
        // SAFETY: the pointers come from `params`, alive for this call.
        .map(|(id, ptr, _group)| (id, unsafe { ptr.unmodulated_plain_value() }))
        .collect()
}

/// The entry `id` of a chain's parameter table (a plugin builds its host parameters from it).
/// Panics on an unknown ID: a typo in the plugin's own code, caught by its tests.
pub fn table_entry(table: &'static [ParamInfo], id: &str) -> &'static ParamInfo {
    table
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no parameter '{id}' in the chain's table"))
}

/// A float host parameter with the table entry's name, default and range: linear, or skewed by
/// `skew` (see [`FloatRange::skew_factor`]). Display and step size are the plugin's to add.
pub fn float_param(info: &ParamInfo, skew: Option<f32>) -> FloatParam {
    debug_assert_eq!(info.kind, ParamKind::Float, "{}", info.id);
    let (min, max) = (info.min, info.max);
    let range = match skew {
        None => FloatRange::Linear { min, max },
        Some(s) => FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(s),
        },
    };
    FloatParam::new(info.name, info.default, range)
}

/// A switch with the table entry's name and default (taking on/off, yes/no, 1/0 as text).
pub fn bool_param(info: &ParamInfo) -> BoolParam {
    debug_assert_eq!(info.kind, ParamKind::Bool, "{}", info.id);
    switch_param(info.name, info.default >= 0.5)
}

/// A menu with the table entry's name and default index; the plugin enum `E` lists the table's
/// choices in order ([`assert_params_follow_table`] checks it).
pub fn menu_param<E: Enum + PartialEq + 'static>(info: &ParamInfo) -> EnumParam<E> {
    debug_assert_eq!(info.kind, ParamKind::Enum, "{}", info.id);
    EnumParam::new(info.name, E::from_index(info.default as usize))
}

/// The parameter tests every plugin runs, in its `params.rs` test module:
/// `tandem_common::chain_params_tests!(EqParams, EqChain);` makes
/// `params_follow_the_chain_table` ([`assert_params_follow_chain`]) and
/// `manual_settings_follow_the_ids` ([`assert_manual_settings_follow_ids`]).
#[macro_export]
macro_rules! chain_params_tests {
    ($params:ty, $chain:ty) => {
        /// Every chain parameter is the table's: name, default, range, unit, menu entries.
        #[test]
        fn params_follow_the_chain_table() {
            $crate::params::assert_params_follow_chain::<$params, $chain>();
        }

        /// The audio thread's reader takes each host parameter into the setting of its ID.
        #[test]
        fn manual_settings_follow_the_ids() {
            $crate::params::assert_manual_settings_follow_ids::<$params, $chain>();
        }
    };
}

/// [`assert_params_follow_table`] for the plugin parameters `P` at their defaults and chain `C`.
pub fn assert_params_follow_chain<P: AssistedParams, C: dsp_core::chains::Chain>() {
    let params = P::with_store(Arc::new(SuggestionStore::new(C::params())));
    assert_params_follow_table(&params, C::params());
}

/// Checks that `P::manual_settings` (what the audio thread reads every block) takes each host
/// parameter into the chain setting of the same ID: with every host parameter moved to a value
/// of its own, as a host would, the settings it reads are the chain's settings from the
/// parameters' plain values by ID (nice-plug's own map, [`manual_values`]), and not the defaults.
pub fn assert_manual_settings_follow_ids<P, C>()
where
    C: dsp_core::chains::Chain,
    C::Settings: std::fmt::Debug,
    P: AssistedParams<Settings = C::Settings>,
{
    let params = P::with_store(Arc::new(SuggestionStore::new(C::params())));
    let map = params.param_map();
    for (k, (_, ptr, _)) in map.iter().enumerate() {
        let normalized = 0.05 + 0.9 * (k as f32 / map.len() as f32);
        // SAFETY: the pointers come from `params`, which outlives this loop.
        unsafe { ptr._internal_set_normalized_value(normalized) };
    }
    let expect = C::from_param_map(&manual_values(&params));
    let mut got = C::Settings::default();
    params.manual_settings(&mut got);
    assert_eq!(got, expect);
    assert_ne!(got, C::Settings::default());
}

/// Checks a plugin's host parameters against its chain's table, entry by entry: each is there
/// under its ID with the table's name, default, range and unit; a switch has two steps, a menu
/// one step per entry, showing the table's choices in order. The plugins' tests call it, so a
/// menu reordered, a range or a default changed on one side only fails.
pub fn assert_params_follow_table(params: &dyn Params, table: &[ParamInfo]) {
    let map = params.param_map();
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0);
    for info in table {
        let id = info.id;
        let ptr = map
            .iter()
            .find(|(pid, _, _)| pid == id)
            .unwrap_or_else(|| panic!("{id}: no host parameter"))
            .1;
        // SAFETY: the pointers come from `params`, alive for this call.
        unsafe {
            assert_eq!(ptr.name(), info.name, "{id}: name");
            let default = ptr.default_plain_value();
            assert!(close(default, info.default), "{id}: default {default}");
            let (min, max) = (ptr.preview_plain(0.0), ptr.preview_plain(1.0));
            assert!(close(min, info.min), "{id}: min {min}");
            assert!(close(max, info.max), "{id}: max {max}");
            let unit = ptr.unit().trim();
            assert!(unit.is_empty() || unit == info.unit, "{id}: unit {unit}");
            match info.kind {
                ParamKind::Float => {}
                ParamKind::Bool => assert_eq!(ptr.step_count(), Some(1), "{id}: switch"),
                ParamKind::Enum => {
                    assert_eq!(ptr.step_count(), Some(info.choices.len() - 1), "{id}");
                    for (i, choice) in info.choices.iter().enumerate() {
                        let text =
                            ptr.normalized_value_to_string(ptr.preview_normalized(i as f32), false);
                        assert_eq!(text, *choice, "{id}: menu entry {i}");
                    }
                }
            }
        }
    }
}
