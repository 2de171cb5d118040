//! [`TestPlugin`]: one instance driven as a DAW drives it. This file holds the instance, the
//! host-side records, the audio ports, the GUI, latency and state; `params.rs` its parameters,
//! `process.rs` its activation and processing.

use super::*;

/// A plugin instance plus the host around it.
pub struct TestPlugin {
    // Declared before `instance` so it is dropped first (we also deactivate in `Drop`).
    pub(super) processor: Option<StartedPluginAudioProcessor<TestHost>>,
    pub(super) instance: PluginInstance<TestHost>,
    pub(super) exts: PluginExts,
    pub(super) descriptor: DescriptorInfo,
    pub(super) active: Option<ActiveConfig>,
    pub(super) input_ports: Vec<AudioPortDesc>,
    pub(super) output_ports: Vec<AudioPortDesc>,
    pub(super) in_scratch: Vec<Vec<Vec<f32>>>,
    pub(super) in_events: EventBuffer,
    pub(super) out_events: EventBuffer,
    pub(super) steady_time: u64,
    pub(super) output_param_changes: Vec<ParamChange>,
    /// Wall time spent inside the plugin's `process()` since activation.
    pub(super) process_time: std::time::Duration,
}

impl TestPlugin {
    /// The descriptor this instance was created from.
    pub fn descriptor(&self) -> &DescriptorInfo {
        &self.descriptor
    }

    /// Which optional plugin extensions are present, by CLAP name.
    pub fn has_extension(&self, name: &str) -> bool {
        match name {
            "params" => self.exts.params.is_some(),
            "state" => self.exts.state.is_some(),
            "latency" => self.exts.latency.is_some(),
            "audio-ports" => self.exts.audio_ports.is_some(),
            "audio-ports-config" => self.exts.audio_ports_config.is_some(),
            "timer-support" => self.exts.timer.is_some(),
            _ => false,
        }
    }

    // -- host-side records ------------------------------------------------------------------

    /// Everything the plugin asked of the host so far.
    pub fn notifications(&self) -> HostNotifications {
        let mut n = self.instance.access_handler(|h| HostNotifications {
            param_rescans: h.param_rescans.borrow().clone(),
            param_clears: h.param_clears.borrow().clone(),
            latency_changed: h.latency_changed.get(),
            state_dirty: h.state_dirty.get(),
            audio_ports_rescans: h.audio_ports_rescans.borrow().clone(),
            audio_ports_config_rescans: h.audio_ports_config_rescans.get(),
            ..HostNotifications::default()
        });
        self.instance.access_shared_handler(|s| {
            n.flush_requests = s.flush_requests.load(Ordering::SeqCst);
            n.restart_requests = s.restart_requests.load(Ordering::SeqCst);
            n.process_requests = s.process_requests.load(Ordering::SeqCst);
            n.callback_requests = s.callback_requests.load(Ordering::SeqCst);
        });
        n
    }

    /// Resets the records returned by [`notifications`](Self::notifications).
    pub fn clear_notifications(&mut self) {
        self.instance.access_handler(|h| {
            h.param_rescans.borrow_mut().clear();
            h.param_clears.borrow_mut().clear();
            h.latency_changed.set(0);
            h.state_dirty.set(0);
            h.audio_ports_rescans.borrow_mut().clear();
            h.audio_ports_config_rescans.set(0);
        });
        self.instance.access_shared_handler(|s| {
            for counter in [
                &s.flush_requests,
                &s.restart_requests,
                &s.process_requests,
                &s.callback_requests,
            ] {
                counter.store(0, Ordering::SeqCst);
            }
        });
    }

    /// Messages the plugin logged through the host.
    pub fn logs(&self) -> Vec<LogEntry> {
        self.instance
            .access_shared_handler(|s| s.logs.lock().unwrap().clone())
    }

    /// Main-thread-only host callbacks that the plugin made from the audio thread.
    pub fn thread_violations(&self) -> Vec<String> {
        self.instance
            .access_shared_handler(|s| s.violations.lock().unwrap().clone())
    }

    /// Timers the plugin registered: (id, period in ms).
    pub fn timers(&self) -> Vec<(u32, u32)> {
        self.instance
            .access_handler(|h| h.timers.borrow().iter().map(|(id, p)| (id.0, *p)).collect())
    }

    /// Does what a DAW's main loop does between blocks: runs the requested main-thread callback,
    /// fires every registered timer once, and (while inactive) answers a flush request.
    pub fn pump_main_thread(&mut self) {
        for _ in 0..8 {
            let callback = self
                .instance
                .access_shared_handler(|s| s.callback_pending.swap(false, Ordering::SeqCst));
            if callback {
                self.instance.call_on_main_thread_callback();
            }
            let flush = self.processor.is_none()
                && self
                    .instance
                    .access_shared_handler(|s| s.flush_pending.swap(false, Ordering::SeqCst));
            if flush {
                self.flush(&[]);
            }
            if !callback && !flush {
                break;
            }
        }
        if let Some(timer) = self.exts.timer {
            for (id, _) in self.timers() {
                timer.on_timer(&self.instance.plugin_handle(), TimerId(id));
            }
        }
    }

    /// If the plugin requested a restart, deactivates and reactivates with the same config, as a
    /// DAW would. Returns whether a restart happened.
    pub fn handle_restart_request(&mut self) -> Result<bool, HarnessError> {
        let pending = self
            .instance
            .access_shared_handler(|s| s.restart_pending.swap(false, Ordering::SeqCst));
        match (pending, self.active) {
            (true, Some(config)) => {
                self.deactivate();
                self.activate(config.sample_rate, config.max_frames)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    // -- audio ports ------------------------------------------------------------------------

    /// The plugin's audio ports (current configuration).
    pub fn audio_ports(&mut self) -> AudioPortLayout {
        let Some(ext) = self.exts.audio_ports else {
            return AudioPortLayout::default();
        };
        let handle = self.instance.plugin_handle();
        let read = |is_input: bool| {
            let mut buffer = AudioPortInfoBuffer::new();
            (0..ext.count(&handle, is_input))
                .filter_map(|i| {
                    let info = ext.get(&handle, i, is_input, &mut buffer)?;
                    Some(AudioPortDesc {
                        id: info.id.get(),
                        name: String::from_utf8_lossy(info.name).into_owned(),
                        channel_count: info.channel_count,
                        is_main: info.flags.contains(AudioPortFlags::IS_MAIN),
                        port_type: info.port_type.map(|t| t.0.to_string_lossy().into_owned()),
                        in_place_pair: info.in_place_pair.map(|p| p.get()),
                    })
                })
                .collect::<Vec<_>>()
        };
        let inputs = read(true);
        let outputs = read(false);
        AudioPortLayout { inputs, outputs }
    }

    /// The plugin's audio ports configurations (empty without the audio-ports-config extension).
    pub fn audio_ports_configs(&mut self) -> Vec<AudioPortsConfigDesc> {
        let Some(ext) = self.exts.audio_ports_config else {
            return Vec::new();
        };
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortsConfigBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|i| {
                let c = ext.get(&handle, i, &mut buffer)?;
                Some(AudioPortsConfigDesc {
                    id: c.id.get(),
                    name: String::from_utf8_lossy(c.name).into_owned(),
                    main_input_channels: c.main_input.as_ref().map(|p| p.channel_count),
                    main_output_channels: c.main_output.as_ref().map(|p| p.channel_count),
                    input_port_count: c.input_port_count,
                    output_port_count: c.output_port_count,
                })
            })
            .collect()
    }

    /// Selects an audio ports configuration (only while inactive).
    pub fn select_audio_ports_config(&mut self, config_id: u32) -> Result<(), HarnessError> {
        if self.active.is_some() {
            return Err(HarnessError::Usage(
                "select_audio_ports_config while active".into(),
            ));
        }
        let ext = self
            .exts
            .audio_ports_config
            .ok_or(HarnessError::MissingExtension("audio-ports-config"))?;
        ext.select(&self.instance.plugin_handle(), ClapId::new(config_id))
            .map_err(|_| HarnessError::SelectConfig)
    }

    /// Selects the first configuration whose main input and output have `channels` channels.
    pub fn select_main_channels(&mut self, channels: u32) -> Result<(), HarnessError> {
        let config = self
            .audio_ports_configs()
            .into_iter()
            .find(|c| {
                c.main_input_channels == Some(channels) && c.main_output_channels == Some(channels)
            })
            .ok_or_else(|| {
                HarnessError::Usage(format!("no {channels}-channel audio ports config"))
            })?;
        self.select_audio_ports_config(config.id)
    }

    // -- gui --------------------------------------------------------------------------------

    /// Opens the editor embedded in the X11 window `parent` (`gui.create` for X11, not
    /// floating, then `set_parent` and `show`). Returns its size.
    ///
    /// # Safety
    ///
    /// `parent` must stay a valid window until [`gui_close`](Self::gui_close).
    pub unsafe fn gui_open_x11(&mut self, parent: u64) -> Result<(u32, u32), HarnessError> {
        use clack_extensions::gui::{GuiApiType, GuiConfiguration, Window};
        let gui = self
            .exts
            .gui
            .ok_or_else(|| HarnessError::Usage("plugin has no gui extension".into()))?;
        let handle = self.instance.plugin_handle();
        let config = GuiConfiguration {
            api_type: GuiApiType::X11,
            is_floating: false,
        };
        if !gui.is_api_supported(&handle, config) {
            return Err(HarnessError::Usage("X11 embedding not supported".into()));
        }
        let fail = |what: &str| HarnessError::Usage(format!("gui.{what} failed"));
        gui.create(&handle, config).map_err(|_| fail("create"))?;
        let size = gui.get_size(&handle).ok_or_else(|| fail("get_size"))?;
        // SAFETY: the caller keeps `parent` alive until gui_close.
        unsafe { gui.set_parent(&handle, Window::from_x11_handle(parent as _)) }
            .map_err(|_| fail("set_parent"))?;
        gui.show(&handle).map_err(|_| fail("show"))?;
        Ok((size.width, size.height))
    }

    /// Hides and destroys an open editor (`gui.hide`, `gui.destroy`).
    pub fn gui_close(&mut self) {
        if let Some(gui) = self.exts.gui {
            let handle = self.instance.plugin_handle();
            let _ = gui.hide(&handle);
            gui.destroy(&handle);
        }
    }

    // -- latency ----------------------------------------------------------------------------

    /// Reported latency in samples (`latency.get`), `None` without the latency extension.
    pub fn latency(&mut self) -> Option<u32> {
        let ext = self.exts.latency?;
        Some(ext.get(&self.instance.plugin_handle()))
    }

    // -- state ------------------------------------------------------------------------------

    /// Saves the plugin state (`state.save`).
    pub fn save_state(&mut self) -> Result<Vec<u8>, HarnessError> {
        let ext = self
            .exts
            .state
            .ok_or(HarnessError::MissingExtension("state"))?;
        let mut bytes = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut bytes)
            .map_err(|_| HarnessError::StateSave)?;
        Ok(bytes)
    }

    /// Loads a plugin state (`state.load`), then pumps the main thread.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), HarnessError> {
        let ext = self
            .exts
            .state
            .ok_or(HarnessError::MissingExtension("state"))?;
        let mut reader: &[u8] = bytes;
        let result = ext
            .load(&self.instance.plugin_handle(), &mut reader)
            .map_err(|_| HarnessError::StateLoad);
        self.pump_main_thread();
        result
    }
}

impl Drop for TestPlugin {
    fn drop(&mut self) {
        // clack only deactivates on drop when no processor is alive; do it properly here.
        if let Some(processor) = self.processor.take() {
            let stopped = processor.stop_processing();
            self.instance.deactivate(stopped);
        }
    }
}
