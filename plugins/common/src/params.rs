//! The plugins' host parameters as the shared machinery reads them, on any thread but the
//! audio thread's `process()` (which reads typed settings through [`AssistedParams`]).

use crate::audio::compare::AssistParams;
use crate::audio::store::SuggestionStore;
use crate::gui::EditorState;
use crate::identity::Identity;
use nice_plug::prelude::Params;
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
    pub assist: AssistParams,
    /// The latest suggestion, saved with the project.
    #[persist = "suggestion"]
    pub suggestion: Arc<SuggestionStore>,
    /// Editor window size.
    #[persist = "editor-state"]
    pub editor_state: Arc<EditorState>,
    /// Which plugin wrote a saved state (foreign states are ignored).
    #[persist = "tandem-plugin"]
    pub identity: Identity,
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
            assist: AssistParams::default(),
            suggestion: store,
            editor_state: EditorState::new(editor_size.0, editor_size.1),
            identity: Identity(clap_id),
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
    fn assist(&self) -> &AssistParams {
        &self.common().assist
    }
    /// The editor's persisted window size.
    fn editor_state(&self) -> Arc<EditorState> {
        self.common().editor_state.clone()
    }
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
