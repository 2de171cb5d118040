//! [`TestPlugin`]'s activation and processing: activate/deactivate/reset, and `process()` with
//! audio on every port, parameter events in and out.

use super::*;

impl TestPlugin {
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
