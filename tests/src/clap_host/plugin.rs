//! [`TestPlugin`]: one instance driven as a DAW drives it (activation, processing with events,
//! state, latency, the GUI, the main-thread callbacks).

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

    // -- parameters -------------------------------------------------------------------------

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

    // -- activation -------------------------------------------------------------------------

    /// The current activation, if active.
    pub fn active_config(&self) -> Option<ActiveConfig> {
        self.active
    }

    /// Whether the plugin is active.
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// Activates at `sample_rate` with blocks of 1..=`max_frames` and starts processing.
    pub fn activate(&mut self, sample_rate: f64, max_frames: u32) -> Result<(), HarnessError> {
        if self.active.is_some() {
            return Err(HarnessError::Usage("activate while already active".into()));
        }
        if max_frames == 0 || sample_rate <= 0.0 {
            return Err(HarnessError::Usage("bad activation config".into()));
        }
        let layout = self.audio_ports();
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_frames,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .map_err(|e| HarnessError::Activate(format!("{e}")))?;
        self.set_in_audio(true);
        let started = stopped.start_processing();
        self.set_in_audio(false);
        match started {
            Ok(started) => self.processor = Some(started),
            Err(e) => {
                self.instance.deactivate(e.into_stopped_processor());
                return Err(HarnessError::StartProcessing);
            }
        }
        self.active = Some(ActiveConfig {
            sample_rate,
            max_frames,
        });
        self.input_ports = layout.inputs;
        self.output_ports = layout.outputs;
        self.steady_time = 0;
        self.process_time = std::time::Duration::ZERO;
        self.pump_main_thread();
        Ok(())
    }

    /// Stops processing and deactivates. Does nothing when inactive.
    pub fn deactivate(&mut self) {
        if let Some(processor) = self.processor.take() {
            self.set_in_audio(true);
            let stopped = processor.stop_processing();
            self.set_in_audio(false);
            self.instance.deactivate(stopped);
        }
        self.active = None;
        self.pump_main_thread();
    }

    /// Wall time spent inside the plugin's `process()` calls since the last activation (the
    /// host's own work around them — copying buffers, building events — is not in it).
    pub fn process_time(&self) -> std::time::Duration {
        self.process_time
    }

    /// Calls the plugin's `reset()` (audio thread).
    pub fn reset(&mut self) {
        if let Some(processor) = self.processor.as_mut() {
            processor.reset();
        }
    }

    pub(super) fn set_in_audio(&self, value: bool) {
        self.instance
            .access_shared_handler(|s| s.in_audio.store(value, Ordering::SeqCst));
    }

    // -- processing -------------------------------------------------------------------------

    /// Processes one block through every port.
    ///
    /// `inputs[port][channel]` and `outputs[port][channel]` must match the plugin's port layout
    /// (see [`audio_ports`](Self::audio_ports)); every channel must have the same length, which
    /// is the block size (1..=max_frames). `events` may be in any order; they are sorted by
    /// offset (stable) and every offset must be inside the block.
    pub fn process_ports(
        &mut self,
        inputs: &[Vec<Vec<f32>>],
        outputs: &mut [Vec<Vec<f32>>],
        events: &[ParamChange],
    ) -> Result<ProcessStatus, HarnessError> {
        let config = self
            .active
            .ok_or_else(|| HarnessError::Usage("process while inactive".into()))?;
        check_ports("input", inputs, &self.input_ports)?;
        check_ports("output", outputs, &self.output_ports)?;
        let lengths: Vec<usize> = inputs
            .iter()
            .chain(outputs.iter())
            .flatten()
            .map(Vec::len)
            .collect();
        let frames = lengths.first().copied().unwrap_or(0);
        if lengths.iter().any(|&l| l != frames) {
            return Err(HarnessError::Usage(format!(
                "channels of different lengths: {lengths:?}"
            )));
        }
        if frames > config.max_frames as usize {
            return Err(HarnessError::Usage(format!(
                "block of {frames} frames (max {})",
                config.max_frames
            )));
        }
        let mut sorted = events.to_vec();
        sorted.sort_by_key(|e| e.offset);
        if let Some(e) = sorted.iter().find(|e| e.offset as usize >= frames) {
            return Err(HarnessError::Usage(format!(
                "event at offset {} in a {frames}-frame block",
                e.offset
            )));
        }
        self.in_events.clear();
        for e in &sorted {
            self.in_events.push(&ParamValueEvent::new(
                e.offset,
                ClapId::new(e.id),
                Pckn::match_all(),
                e.value,
            ));
        }
        self.out_events.clear();

        // The plugin gets its own copy of the inputs (CLAP input buffers are mutable pointers).
        self.in_scratch.clone_from(&inputs.to_vec());
        let total_in: usize = inputs.iter().map(Vec::len).sum();
        let total_out: usize = outputs.iter().map(Vec::len).sum();
        // Capacity for every channel up front: clack's AudioPorts mis-rebuilds its pointer table
        // when it has to grow while adding more than one port.
        let mut in_ports = AudioPorts::with_capacity(total_in.max(1), inputs.len().max(1));
        let mut out_ports = AudioPorts::with_capacity(total_out.max(1), outputs.len().max(1));
        let audio_in =
            in_ports.with_input_buffers(self.in_scratch.iter_mut().map(|port| AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only(
                    port.iter_mut().map(InputChannel::variable),
                ),
            }));
        let mut audio_out =
            out_ports.with_output_buffers(outputs.iter_mut().map(|port| AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    port.iter_mut().map(|ch| ch.as_mut_slice()),
                ),
            }));

        let processor = self.processor.as_mut().expect("active implies a processor");
        self.instance
            .access_shared_handler(|s| s.in_audio.store(true, Ordering::SeqCst));
        let started = std::time::Instant::now();
        let status = processor.process(
            &audio_in,
            &mut audio_out,
            &self.in_events.as_input(),
            &mut self.out_events.as_output(),
            Some(self.steady_time),
            None,
        );
        self.process_time += started.elapsed();
        self.instance
            .access_shared_handler(|s| s.in_audio.store(false, Ordering::SeqCst));
        self.steady_time += frames as u64;
        self.output_param_changes = param_changes_from(&self.out_events);
        self.pump_main_thread();
        status.map_err(|e| HarnessError::Process(format!("{e}")))
    }

    /// Processes one block of the main input (`input[channel]`) with silence on every other
    /// input port, and returns the main output (`[channel][frame]`).
    pub fn process_main(
        &mut self,
        input: &[Vec<f32>],
        events: &[ParamChange],
    ) -> Result<Vec<Vec<f32>>, HarnessError> {
        self.process_with_sidechain(input, None, events)
    }

    /// Like [`process_main`](Self::process_main), with `sidechain` fed to the first non-main
    /// input port (error if `Some` and the plugin has no such port).
    pub fn process_with_sidechain(
        &mut self,
        input: &[Vec<f32>],
        sidechain: Option<&[Vec<f32>]>,
        events: &[ParamChange],
    ) -> Result<Vec<Vec<f32>>, HarnessError> {
        let frames = input.first().map(Vec::len).unwrap_or(0);
        let main_in = self.input_ports.iter().position(|p| p.is_main);
        let aux_in = self.input_ports.iter().position(|p| !p.is_main);
        if sidechain.is_some() && aux_in.is_none() {
            return Err(HarnessError::Usage("plugin has no sidechain input".into()));
        }
        let inputs: Vec<Vec<Vec<f32>>> = self
            .input_ports
            .iter()
            .enumerate()
            .map(|(i, port)| {
                if Some(i) == main_in {
                    input.to_vec()
                } else if let (Some(sc), true) = (sidechain, Some(i) == aux_in) {
                    sc.to_vec()
                } else {
                    vec![vec![0.0; frames]; port.channel_count as usize]
                }
            })
            .collect();
        let mut outputs: Vec<Vec<Vec<f32>>> = self
            .output_ports
            .iter()
            .map(|p| vec![vec![0.0; frames]; p.channel_count as usize])
            .collect();
        self.process_ports(&inputs, &mut outputs, events)?;
        let main_out = self
            .output_ports
            .iter()
            .position(|p| p.is_main)
            .unwrap_or(0);
        if outputs.is_empty() {
            return Err(HarnessError::Usage("plugin has no output port".into()));
        }
        Ok(outputs.swap_remove(main_out))
    }

    /// Processes a long main-input signal in blocks of the given sizes (cycled), with `events`
    /// given at absolute sample positions, and returns the whole main output.
    pub fn process_signal(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        events: &[ParamChange],
    ) -> Result<Vec<Vec<f32>>, HarnessError> {
        let len = input.first().map(Vec::len).unwrap_or(0);
        let mut output = vec![Vec::with_capacity(len); input.len()];
        let mut pos = 0usize;
        let mut sizes = block_sizes.iter().copied().cycle();
        while pos < len {
            let n = sizes.next().unwrap_or(len).clamp(1, len - pos);
            let block: Vec<Vec<f32>> = input.iter().map(|ch| ch[pos..pos + n].to_vec()).collect();
            let block_events: Vec<ParamChange> = events
                .iter()
                .filter(|e| (e.offset as usize) >= pos && (e.offset as usize) < pos + n)
                .map(|e| ParamChange::new(e.offset - pos as u32, e.id, e.value))
                .collect();
            let out = self.process_main(&block, &block_events)?;
            for (dst, src) in output.iter_mut().zip(out) {
                dst.extend_from_slice(&src);
            }
            pos += n;
        }
        Ok(output)
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

pub(super) fn check_ports(
    what: &str,
    buffers: &[Vec<Vec<f32>>],
    ports: &[AudioPortDesc],
) -> Result<(), HarnessError> {
    let given: Vec<usize> = buffers.iter().map(Vec::len).collect();
    let expected: Vec<usize> = ports.iter().map(|p| p.channel_count as usize).collect();
    if given != expected {
        return Err(HarnessError::Usage(format!(
            "{what} channels per port {given:?}, plugin has {expected:?}"
        )));
    }
    Ok(())
}

pub(super) fn param_changes_from(buffer: &EventBuffer) -> Vec<ParamChange> {
    buffer
        .iter()
        .filter_map(|e| e.as_event::<ParamValueEvent>())
        .filter_map(|e| {
            Some(ParamChange::new(
                e.header().time(),
                e.param_id()?.get(),
                e.value(),
            ))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// nice-plug specifics
// ---------------------------------------------------------------------------------------------
