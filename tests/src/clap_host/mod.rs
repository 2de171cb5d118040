//! A small, strict CLAP host for whole-plugin tests, built on `clack-host`.
//!
//! It loads a `.clap` bundle by path, lists its descriptors and creates instances with a host that
//! provides the extensions a DAW provides (log, thread-check, params, latency, state, timer,
//! audio-ports, audio-ports-config). Everything the plugin asks of the host is recorded
//! ([`HostNotifications`], [`LogEntry`], thread violations) so tests can assert on it.
//!
//! The usual flow:
//!
//! ```no_run
//! use tests::clap_host::{each_plugin, ParamChange};
//! for put in each_plugin() {
//!     let mut plugin = put.instantiate();
//!     let params = plugin.params();
//!     plugin.activate(48_000.0, 512).unwrap();
//!     let input = vec![vec![0.0f32; 256]; 2];
//!     let events = [ParamChange::new(10, params[0].id, params[0].max)];
//!     let output = plugin.process_main(&input, &events).unwrap();
//!     assert!(output.iter().flatten().all(|x| x.is_finite()));
//!     plugin.deactivate();
//! }
//! ```
//!
//! Threading: the test thread plays both the main thread and the audio thread. While a
//! `[audio-thread]` call (process, start/stop processing, active flush) runs, the host's
//! thread-check answers "audio thread, not main thread", exactly as a DAW with a separate audio
//! thread would; a main-thread-only host callback made during that time is recorded as a thread
//! violation (see [`TestPlugin::thread_violations`]).
//!
//! Parameter values are CLAP values: for nice-plug plugins that is the *normalized* value in
//! `[0, 1]`, or `[0, step_count]` for stepped parameters (see [`ParamDesc`]).

use clack_extensions::audio_ports::{
    AudioPortFlags, AudioPortInfoBuffer, AudioPortRescanFlags, HostAudioPorts, HostAudioPortsImpl,
    PluginAudioPorts,
};
use clack_extensions::audio_ports_config::{
    AudioPortsConfigBuffer, HostAudioPortsConfig, HostAudioPortsConfigImpl, PluginAudioPortsConfig,
};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::log::{HostLog, HostLogImpl, LogSeverity};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamInfoFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_extensions::timer::{HostTimer, HostTimerImpl, PluginTimer, TimerId};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::CString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

mod bundle;
mod host;
mod params;
mod plugin;
mod ports;
mod process;
mod state;

pub use bundle::*;
pub use host::*;
pub use plugin::*;
pub use ports::*;
pub use state::*;

// ---------------------------------------------------------------------------------------------
// The plugins under test
// ---------------------------------------------------------------------------------------------

/// One of Tandem's plugins, as the whole-plugin tests see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginUnderTest {
    /// Short key used for snapshot file names and messages (`eq`, `comp`, `master`).
    pub key: &'static str,
    /// Cargo package name.
    pub package: &'static str,
    /// Bundle file stem in `target/bundled/` (from `bundler.toml`).
    pub bundle_name: &'static str,
    /// CLAP plugin ID.
    pub clap_id: &'static str,
    /// Plugin name as shown to the user (`Plugin::NAME`).
    pub name: &'static str,
}

/// Tandem EQ.
pub const EQ: PluginUnderTest = PluginUnderTest {
    key: "eq",
    package: "tandem-eq",
    bundle_name: "Tandem EQ",
    clap_id: "audio.tandem.eq",
    name: "Tandem EQ",
};

/// Tandem Comp.
pub const COMP: PluginUnderTest = PluginUnderTest {
    key: "comp",
    package: "tandem-comp",
    bundle_name: "Tandem Comp",
    clap_id: "audio.tandem.comp",
    name: "Tandem Comp",
};

/// Tandem Master.
pub const MASTER: PluginUnderTest = PluginUnderTest {
    key: "master",
    package: "tandem-master",
    bundle_name: "Tandem Master",
    clap_id: "audio.tandem.master",
    name: "Tandem Master",
};

/// Vendor string every Tandem plugin reports.
pub const VENDOR: &str = "Tandem";

/// Every plugin, for tests that run the same checks on each of them: `bundler.toml`'s (the one
/// list of the plugins), in its order, each named by the house convention from its package
/// `tandem-<key>`: CLAP ID `audio.tandem.<key>`, name and bundle name the bundle's. A plugin
/// added to `bundler.toml` is under test here without a change.
pub fn each_plugin() -> Vec<PluginUnderTest> {
    static ALL: OnceLock<Vec<PluginUnderTest>> = OnceLock::new();
    ALL.get_or_init(|| {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        bundled_plugins()
            .into_iter()
            .map(|(package, bundle_name)| {
                let key = package
                    .strip_prefix("tandem-")
                    .unwrap_or_else(|| panic!("bundler.toml: {package} is not tandem-<key>"))
                    .to_string();
                let name = leak(bundle_name);
                PluginUnderTest {
                    clap_id: leak(format!("audio.tandem.{key}")),
                    key: leak(key),
                    package: leak(package),
                    bundle_name: name,
                    name,
                }
            })
            .collect()
    })
    .clone()
}

/// `bundler.toml`, the one list of the plugins: (package, bundle name) in package order.
pub fn bundled_plugins() -> Vec<(String, String)> {
    let path = workspace_root().join("bundler.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    table
        .iter()
        .map(|(pkg, v)| {
            let name = v.get("name").and_then(|n| n.as_str()).unwrap_or(pkg);
            (pkg.clone(), name.to_string())
        })
        .collect()
}

/// The cargo workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate has a parent")
        .to_path_buf()
}

/// Where the bundles are: `$TANDEM_BUNDLE_DIR` if set, else `<workspace>/target/bundled`.
pub fn bundle_dir() -> PathBuf {
    match std::env::var_os("TANDEM_BUNDLE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target").join("bundled"),
    }
}

impl PluginUnderTest {
    /// Path of this plugin's `.clap` bundle.
    pub fn bundle_path(&self) -> PathBuf {
        bundle_dir().join(format!("{}.clap", self.bundle_name))
    }

    /// Path of this plugin's parameter snapshot (`tests/snapshots/<key>_params.txt`).
    pub fn params_snapshot_path(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("snapshots")
            .join(format!("{}_params.txt", self.key))
    }

    /// Loads the bundle (cached for the whole test process). Panics with instructions when the
    /// bundle is missing: a missing bundle is a test failure, never a skip.
    pub fn bundle(&self) -> Bundle {
        let path = self.bundle_path();
        if !path.exists() {
            panic!(
                "{} bundle not found at {}.\nRun `cargo xtask bundle-all` (from the workspace root) \
                 before `cargo test -p tests`.",
                self.name,
                path.display()
            );
        }
        Bundle::load_cached(&path).unwrap_or_else(|e| panic!("loading {}: {e}", path.display()))
    }

    /// Creates a fresh instance of this plugin. Panics on failure.
    pub fn instantiate(&self) -> TestPlugin {
        self.bundle()
            .instantiate(self.clap_id)
            .unwrap_or_else(|e| panic!("instantiating {}: {e}", self.clap_id))
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Anything that went wrong in the harness or in a plugin call.
#[derive(Debug)]
pub enum HarnessError {
    /// The bundle could not be loaded.
    Load(String),
    /// No descriptor with this ID in the bundle, or instantiation failed.
    Instantiate(String),
    /// `activate()` returned false or was refused.
    Activate(String),
    /// `start_processing()` failed.
    StartProcessing,
    /// `process()` returned `CLAP_PROCESS_ERROR` (or the call was refused).
    Process(String),
    /// The plugin lacks an extension the call needs.
    MissingExtension(&'static str),
    /// `state.save()` returned false.
    StateSave,
    /// `state.load()` returned false.
    StateLoad,
    /// Audio-ports-config `select()` failed.
    SelectConfig,
    /// The call was made in the wrong lifecycle state or with bad arguments.
    Usage(String),
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Load(e) => write!(f, "could not load bundle: {e}"),
            HarnessError::Instantiate(e) => write!(f, "could not instantiate plugin: {e}"),
            HarnessError::Activate(e) => write!(f, "activation failed: {e}"),
            HarnessError::StartProcessing => write!(f, "start_processing failed"),
            HarnessError::Process(e) => write!(f, "process failed: {e}"),
            HarnessError::MissingExtension(ext) => write!(f, "plugin does not implement {ext}"),
            HarnessError::StateSave => write!(f, "state save failed"),
            HarnessError::StateLoad => write!(f, "state load failed"),
            HarnessError::SelectConfig => write!(f, "audio ports config select failed"),
            HarnessError::Usage(e) => write!(f, "harness misuse: {e}"),
        }
    }
}

impl std::error::Error for HarnessError {}

// ---------------------------------------------------------------------------------------------
// Host handlers (what the plugin can call)
// ---------------------------------------------------------------------------------------------
