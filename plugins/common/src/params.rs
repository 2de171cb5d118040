//! The plugins' host parameters as the shared machinery reads them, on any thread but the
//! audio thread's `process()` (which reads typed settings through [`AssistedParams`]).

use crate::audio::compare::AssistParams;
use crate::audio::store::SuggestionStore;
use crate::gui::EditorState;
use nice_plug::prelude::Params;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A plugin's host parameters as the generic plugin uses them.
pub trait AssistedParams: Params + 'static {
    /// The chain settings the manual parameters describe.
    type Settings;
    /// The parameters at their defaults, persisting the suggestion through `store`.
    fn with_store(store: Arc<SuggestionStore>) -> Self;
    /// The assistant's own parameters (compare, amount, level match, learn).
    fn assist(&self) -> &AssistParams;
    /// The editor's persisted window size.
    fn editor_state(&self) -> Arc<EditorState>;
    /// The manual settings as the parameters hold them now. Real-time safe.
    fn manual_settings(&self, out: &mut Self::Settings);
    /// Called when the instance goes away (a reference still loading stops with it: its
    /// thread runs this library's code). The default does nothing.
    fn shutdown(&self) {}
}

/// The engineer's (unmodulated) plain parameter values by stable ID, nested groups included:
/// the `manual` input of [`dsp_core::assist::accept::changes`] and of the assistants. Booleans
/// read 0/1, enums their variant index.
pub fn manual_values(params: &dyn Params) -> BTreeMap<String, f32> {
    params
        .param_map()
        .into_iter()
        // SAFETY: the pointers come from `params`, alive for this call.
        .map(|(id, ptr, _group)| (id, unsafe { ptr.unmodulated_plain_value() }))
        .collect()
}
