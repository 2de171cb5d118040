//! [`TestPlugin`]'s parameters as a host sees them: the list with stable IDs and texts, values,
//! text conversion, and changes flushed outside `process()`.

use super::process::param_changes_from;
use super::*;

impl TestPlugin {
    /// All parameters, in the plugin's order, with stable IDs and display texts filled in.
    pub fn params(&mut self) -> Vec<ParamDesc> {
        let Some(ext) = self.exts.params else {
            return Vec::new();
        };
        let mut raw = Vec::new();
        {
            let handle = self.instance.plugin_handle();
            let mut buffer = ParamInfoBuffer::new();
            for i in 0..ext.count(&handle) {
                if let Some(info) = ext.get_info(&handle, i, &mut buffer) {
                    raw.push((
                        info.id.get(),
                        String::from_utf8_lossy(info.name).into_owned(),
                        String::from_utf8_lossy(info.module).into_owned(),
                        info.min_value,
                        info.max_value,
                        info.default_value,
                        info.flags,
                    ));
                }
            }
        }
        let stable = self.stable_param_ids();
        raw.into_iter()
            .map(|(id, name, module, min, max, default, flags)| ParamDesc {
                id,
                stable_id: stable.get(&id).cloned(),
                name,
                module,
                min,
                max,
                default,
                flags,
                min_text: self.value_to_text(id, min),
                max_text: self.value_to_text(id, max),
                default_text: self.value_to_text(id, default),
            })
            .collect()
    }

    /// Finds a parameter by stable ID or by name.
    pub fn param(&mut self, key: &str) -> Option<ParamDesc> {
        self.params()
            .into_iter()
            .find(|p| p.stable_id.as_deref() == Some(key) || p.name == key)
    }

    /// Maps CLAP param IDs to nice-plug's stable string IDs.
    ///
    /// CLAP has no string parameter IDs; nice-plug derives the CLAP ID by hashing the string ID
    /// ([`nice_plug_param_hash`]). The string IDs appear as keys in nice-plug's saved state, so
    /// this saves the state, hashes every key and keeps those that match a reported CLAP ID.
    /// Empty if the state cannot be saved or is not in nice-plug's format.
    pub fn stable_param_ids(&mut self) -> HashMap<u32, String> {
        let Ok(bytes) = self.save_state() else {
            return HashMap::new();
        };
        let Some(state) = parse_nice_plug_state(&bytes) else {
            return HashMap::new();
        };
        let Some(params) = state.get("params").and_then(|p| p.as_object()) else {
            return HashMap::new();
        };
        params
            .keys()
            .map(|k| (nice_plug_param_hash(k), k.clone()))
            .collect()
    }

    /// Current CLAP value of a parameter (`params.get_value`).
    pub fn param_value(&mut self, id: u32) -> Option<f64> {
        let ext = self.exts.params?;
        ext.get_value(&self.instance.plugin_handle(), ClapId::new(id))
    }

    /// Display text of `value` for parameter `id` (`params.value_to_text`).
    pub fn value_to_text(&mut self, id: u32, value: f64) -> Option<String> {
        let ext = self.exts.params?;
        let mut buffer = [0u8; 256];
        let text = ext
            .value_to_text(
                &self.instance.plugin_handle(),
                ClapId::new(id),
                value,
                &mut buffer,
            )
            .ok()?;
        Some(String::from_utf8_lossy(text).into_owned())
    }

    /// Parses display text for parameter `id` (`params.text_to_value`).
    pub fn text_to_value(&mut self, id: u32, text: &str) -> Option<f64> {
        let ext = self.exts.params?;
        let text = CString::new(text).ok()?;
        ext.text_to_value(&self.instance.plugin_handle(), ClapId::new(id), &text)
    }

    /// Sends parameter changes through `params.flush` (on the audio thread while active, on the
    /// main thread while inactive) and returns the parameter changes the plugin output.
    pub fn flush(&mut self, changes: &[ParamChange]) -> Vec<ParamChange> {
        let Some(ext) = self.exts.params else {
            return Vec::new();
        };
        let mut input = EventBuffer::with_capacity(changes.len());
        for c in changes {
            input.push(&ParamValueEvent::new(
                0,
                ClapId::new(c.id),
                Pckn::match_all(),
                c.value,
            ));
        }
        let mut output = EventBuffer::new();
        match self.processor.as_mut() {
            Some(processor) => {
                self.instance
                    .access_shared_handler(|s| s.in_audio.store(true, Ordering::SeqCst));
                let mut handle = processor.plugin_handle();
                ext.flush_active(&mut handle, &input.as_input(), &mut output.as_output());
                self.instance
                    .access_shared_handler(|s| s.in_audio.store(false, Ordering::SeqCst));
            }
            None => {
                let mut handle = self.instance.inactive_plugin_handle().expect("inactive");
                ext.flush(&mut handle, &input.as_input(), &mut output.as_output());
            }
        }
        let out = param_changes_from(&output);
        self.pump_main_thread();
        out
    }

    /// Sets one parameter through `params.flush`.
    pub fn set_param_via_flush(&mut self, id: u32, value: f64) {
        self.flush(&[ParamChange::new(0, id, value)]);
    }

    /// Parameter changes the plugin output during the last `process` call.
    pub fn output_param_changes(&self) -> &[ParamChange] {
        &self.output_param_changes
    }
}
