//! Plugin identity in the saved state, so a state blob saved by another plugin (even another
//! Tandem plugin that shares parameter IDs such as `out_gain`) is never half-applied.

use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::PluginState;

/// The key of the persisted identity field.
pub const IDENTITY_KEY: &str = "tandem-plugin";

/// A persisted field holding the plugin's CLAP ID. Loading never changes it.
pub struct Identity(pub &'static str);

impl<'a> PersistentField<'a, String> for Identity {
    fn set(&self, _new_value: String) {}

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&String) -> R,
    {
        f(&self.0.to_string())
    }
}

/// Call from `Plugin::filter_state`: empties a state that does not carry this plugin's identity
/// (the plugin then keeps its current settings) and logs why. Returns true if the state was kept.
pub fn filter_foreign_state(state: &mut PluginState, plugin_id: &str) -> bool {
    let ours = state
        .fields
        .get(IDENTITY_KEY)
        .and_then(|v| serde_json::from_str::<String>(v).ok())
        .is_some_and(|id| id == plugin_id);
    if !ours {
        nice_plug::nice_log!("ignoring a saved state that was not written by {plugin_id}; keeping the current settings");
        state.params.clear();
        state.fields.clear();
    }
    ours
}
