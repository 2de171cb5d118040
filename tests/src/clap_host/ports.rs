//! What the tests read of a plugin: its audio ports and configurations, its parameters, and
//! parameter changes as events.

use super::*;

/// One audio port of the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPortDesc {
    /// Port ID.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Channel count.
    pub channel_count: u32,
    /// `CLAP_AUDIO_PORT_IS_MAIN`.
    pub is_main: bool,
    /// Port type (`mono`, `stereo`, ...), if given.
    pub port_type: Option<String>,
    /// ID of the in-place pair port, if any.
    pub in_place_pair: Option<u32>,
}

/// The plugin's audio ports in the current configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AudioPortLayout {
    /// Input ports, in index order.
    pub inputs: Vec<AudioPortDesc>,
    /// Output ports, in index order.
    pub outputs: Vec<AudioPortDesc>,
}

impl AudioPortLayout {
    /// Index of the main input port, if any.
    pub fn main_input(&self) -> Option<usize> {
        self.inputs.iter().position(|p| p.is_main)
    }

    /// Index of the main output port, if any.
    pub fn main_output(&self) -> Option<usize> {
        self.outputs.iter().position(|p| p.is_main)
    }

    /// Non-main input ports (sidechains).
    pub fn aux_inputs(&self) -> impl Iterator<Item = (usize, &AudioPortDesc)> {
        self.inputs.iter().enumerate().filter(|(_, p)| !p.is_main)
    }
}

/// An audio ports configuration (audio-ports-config extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPortsConfigDesc {
    /// Config ID (pass to [`TestPlugin::select_audio_ports_config`]).
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Main input channel count, if the config has a main input.
    pub main_input_channels: Option<u32>,
    /// Main output channel count, if the config has a main output.
    pub main_output_channels: Option<u32>,
    /// Number of input ports.
    pub input_port_count: u32,
    /// Number of output ports.
    pub output_port_count: u32,
}

/// One parameter, as reported by the params extension.
///
/// nice-plug reports every parameter with a CLAP range of `[0, 1]` (normalized), or
/// `[0, step_count]` for stepped parameters; `min_text`/`max_text`/`default_text` give the real
/// range in display units.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDesc {
    /// CLAP param ID (for nice-plug: a hash of the string ID).
    pub id: u32,
    /// The stable string ID (nice-plug's `#[id = "..."]`), when it could be recovered from the
    /// saved state (see [`TestPlugin::stable_param_ids`]).
    pub stable_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Module path ("group"), may be empty.
    pub module: String,
    /// CLAP minimum value.
    pub min: f64,
    /// CLAP maximum value.
    pub max: f64,
    /// CLAP default value.
    pub default: f64,
    /// CLAP flags.
    pub flags: ParamInfoFlags,
    /// Display text of `min`.
    pub min_text: Option<String>,
    /// Display text of `max`.
    pub max_text: Option<String>,
    /// Display text of `default`.
    pub default_text: Option<String>,
}

impl ParamDesc {
    /// The stable string ID if known, else the name: what snapshots and messages use.
    pub fn key(&self) -> &str {
        self.stable_id.as_deref().unwrap_or(&self.name)
    }

    /// Whether the parameter is stepped (integer CLAP values).
    pub fn is_stepped(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_STEPPED)
    }

    /// `min + t * (max - min)`, rounded for stepped params.
    pub fn lerp(&self, t: f64) -> f64 {
        let v = self.min + t.clamp(0.0, 1.0) * (self.max - self.min);
        if self.is_stepped() {
            v.round()
        } else {
            v
        }
    }
}

/// A parameter value change, at a sample offset within a process block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamChange {
    /// Sample offset within the block (ignored by `flush`).
    pub offset: u32,
    /// CLAP param ID.
    pub id: u32,
    /// CLAP value.
    pub value: f64,
}

impl ParamChange {
    /// A change of `id` to `value` at sample `offset`.
    pub fn new(offset: u32, id: u32, value: f64) -> Self {
        Self { offset, id, value }
    }
}

/// The current activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActiveConfig {
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Maximum block size.
    pub max_frames: u32,
}

// ---------------------------------------------------------------------------------------------
// The instance
// ---------------------------------------------------------------------------------------------
