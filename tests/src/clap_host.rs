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

/// All three plugins, for tests that run the same checks on each of them (checked against
/// [`bundled_plugins`], the one list of the plugins).
pub fn each_plugin() -> [PluginUnderTest; 3] {
    [EQ, COMP, MASTER]
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

/// The plugin-side extensions, queried once while the plugin initializes.
#[derive(Clone, Copy, Default)]
struct PluginExts {
    params: Option<PluginParams>,
    state: Option<PluginState>,
    latency: Option<PluginLatency>,
    audio_ports: Option<PluginAudioPorts>,
    audio_ports_config: Option<PluginAudioPortsConfig>,
    timer: Option<PluginTimer>,
    gui: Option<clack_extensions::gui::PluginGui>,
}

/// One message the plugin logged through the host's log extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Severity as text (`Debug`, `Info`, `Warning`, `Error`, `Fatal`, `PluginMisbehaving`...).
    pub severity: String,
    /// The message.
    pub message: String,
}

impl LogEntry {
    /// Whether this is a warning or worse.
    pub fn is_problem(&self) -> bool {
        !matches!(self.severity.as_str(), "Debug" | "Info")
    }
}

/// `[thread-safe]` host state.
struct HostShared {
    main_thread: ThreadId,
    in_audio: AtomicBool,
    exts: OnceLock<PluginExts>,
    restart_requests: AtomicU32,
    restart_pending: AtomicBool,
    process_requests: AtomicU32,
    callback_requests: AtomicU32,
    callback_pending: AtomicBool,
    flush_requests: AtomicU32,
    flush_pending: AtomicBool,
    logs: Mutex<Vec<LogEntry>>,
    violations: Mutex<Vec<String>>,
    echo_logs: bool,
}

impl HostShared {
    fn new() -> Self {
        Self {
            main_thread: std::thread::current().id(),
            in_audio: AtomicBool::new(false),
            exts: OnceLock::new(),
            restart_requests: AtomicU32::new(0),
            restart_pending: AtomicBool::new(false),
            process_requests: AtomicU32::new(0),
            callback_requests: AtomicU32::new(0),
            callback_pending: AtomicBool::new(false),
            flush_requests: AtomicU32::new(0),
            flush_pending: AtomicBool::new(false),
            logs: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            echo_logs: std::env::var_os("TANDEM_TEST_LOG").is_some(),
        }
    }

    fn is_main_thread(&self) -> bool {
        std::thread::current().id() == self.main_thread && !self.in_audio.load(Ordering::SeqCst)
    }

    /// Records a violation if a `[main-thread]` host callback is made from the audio thread.
    fn check_main_thread(&self, what: &str) {
        if !self.is_main_thread() {
            self.violations.lock().unwrap().push(format!(
                "{what} called outside the main thread (or during an audio-thread call)"
            ));
        }
    }
}

impl<'a> SharedHandler<'a> for HostShared {
    fn initializing(&self, instance: InitializingPluginHandle<'a>) {
        let _ = self.exts.set(PluginExts {
            params: instance.get_extension(),
            state: instance.get_extension(),
            latency: instance.get_extension(),
            audio_ports: instance.get_extension(),
            audio_ports_config: instance.get_extension(),
            timer: instance.get_extension(),
            gui: instance.get_extension(),
        });
    }

    fn request_restart(&self) {
        self.restart_requests.fetch_add(1, Ordering::SeqCst);
        self.restart_pending.store(true, Ordering::SeqCst);
    }

    fn request_process(&self) {
        self.process_requests.fetch_add(1, Ordering::SeqCst);
    }

    fn request_callback(&self) {
        self.callback_requests.fetch_add(1, Ordering::SeqCst);
        self.callback_pending.store(true, Ordering::SeqCst);
    }
}

impl HostLogImpl for HostShared {
    fn log(&self, severity: LogSeverity, message: &str) {
        if self.echo_logs {
            eprintln!("[plugin {severity:?}] {message}");
        }
        self.logs.lock().unwrap().push(LogEntry {
            severity: format!("{severity:?}"),
            message: message.to_string(),
        });
    }
}

impl HostThreadCheckImpl for HostShared {
    fn is_main_thread(&self) -> bool {
        HostShared::is_main_thread(self)
    }

    fn is_audio_thread(&self) -> bool {
        self.in_audio.load(Ordering::SeqCst)
    }
}

impl HostParamsImplShared for HostShared {
    fn request_flush(&self) {
        self.flush_requests.fetch_add(1, Ordering::SeqCst);
        self.flush_pending.store(true, Ordering::SeqCst);
    }
}

/// `[main-thread]` host state.
struct HostMainThread<'a> {
    shared: &'a HostShared,
    param_rescans: RefCell<Vec<ParamRescanFlags>>,
    param_clears: RefCell<Vec<(u32, ParamClearFlags)>>,
    latency_changed: Cell<u32>,
    state_dirty: Cell<u32>,
    audio_ports_rescans: RefCell<Vec<AudioPortRescanFlags>>,
    audio_ports_config_rescans: Cell<u32>,
    timers: RefCell<Vec<(TimerId, u32)>>,
    next_timer_id: Cell<u32>,
}

impl<'a> HostMainThread<'a> {
    fn new(shared: &'a HostShared) -> Self {
        Self {
            shared,
            param_rescans: RefCell::new(Vec::new()),
            param_clears: RefCell::new(Vec::new()),
            latency_changed: Cell::new(0),
            state_dirty: Cell::new(0),
            audio_ports_rescans: RefCell::new(Vec::new()),
            audio_ports_config_rescans: Cell::new(0),
            timers: RefCell::new(Vec::new()),
            next_timer_id: Cell::new(1),
        }
    }
}

impl<'a> MainThreadHandler<'a> for HostMainThread<'a> {}

/// The host side of the GUI extension (nice-plug's editors need it to exist): requests are
/// acknowledged and otherwise ignored; the test's parent window has a fixed size.
impl clack_extensions::gui::HostGuiImpl for HostShared {
    fn resize_hints_changed(&self) {}

    fn request_resize(&self, _new_size: clack_extensions::gui::GuiSize) -> Result<(), HostError> {
        Ok(())
    }

    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn closed(&self, _was_destroyed: bool) {}
}

impl HostParamsImplMainThread for HostMainThread<'_> {
    fn rescan(&self, flags: ParamRescanFlags) {
        self.shared.check_main_thread("params.rescan");
        self.param_rescans.borrow_mut().push(flags);
    }

    fn clear(&self, param_id: ClapId, flags: ParamClearFlags) {
        self.shared.check_main_thread("params.clear");
        self.param_clears.borrow_mut().push((param_id.get(), flags));
    }
}

impl HostLatencyImpl for HostMainThread<'_> {
    fn changed(&self) {
        self.shared.check_main_thread("latency.changed");
        self.latency_changed.set(self.latency_changed.get() + 1);
    }
}

impl HostStateImpl for HostMainThread<'_> {
    fn mark_dirty(&self) {
        self.shared.check_main_thread("state.mark_dirty");
        self.state_dirty.set(self.state_dirty.get() + 1);
    }
}

impl HostTimerImpl for HostMainThread<'_> {
    fn register_timer(&self, period_ms: u32) -> Result<TimerId, HostError> {
        self.shared
            .check_main_thread("timer_support.register_timer");
        let id = TimerId(self.next_timer_id.get());
        self.next_timer_id.set(id.0 + 1);
        self.timers.borrow_mut().push((id, period_ms));
        Ok(id)
    }

    fn unregister_timer(&self, timer_id: TimerId) -> Result<(), HostError> {
        self.shared
            .check_main_thread("timer_support.unregister_timer");
        let mut timers = self.timers.borrow_mut();
        let before = timers.len();
        timers.retain(|(id, _)| *id != timer_id);
        if timers.len() == before {
            Err(HostError::Message("unknown timer id"))
        } else {
            Ok(())
        }
    }
}

impl HostAudioPortsImpl for HostMainThread<'_> {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        true
    }

    fn rescan(&self, flags: AudioPortRescanFlags) {
        self.shared.check_main_thread("audio_ports.rescan");
        self.audio_ports_rescans.borrow_mut().push(flags);
    }
}

impl HostAudioPortsConfigImpl for HostMainThread<'_> {
    fn rescan(&self) {
        self.shared.check_main_thread("audio_ports_config.rescan");
        self.audio_ports_config_rescans
            .set(self.audio_ports_config_rescans.get() + 1);
    }
}

/// The host type handed to clack.
struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = HostShared;
    type MainThread<'a> = HostMainThread<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLog>()
            .register::<HostThreadCheck>()
            .register::<HostParams>()
            .register::<HostLatency>()
            .register::<HostState>()
            .register::<HostTimer>()
            .register::<HostAudioPorts>()
            .register::<HostAudioPortsConfig>()
            .register::<clack_extensions::gui::HostGui>();
    }
}

/// Everything the plugin asked of the host since the last [`TestPlugin::clear_notifications`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostNotifications {
    /// `params.rescan` calls.
    pub param_rescans: Vec<ParamRescanFlags>,
    /// `params.clear` calls (param id, flags).
    pub param_clears: Vec<(u32, ParamClearFlags)>,
    /// `params.request_flush` calls.
    pub flush_requests: u32,
    /// `latency.changed` calls.
    pub latency_changed: u32,
    /// `state.mark_dirty` calls.
    pub state_dirty: u32,
    /// `audio_ports.rescan` calls.
    pub audio_ports_rescans: Vec<AudioPortRescanFlags>,
    /// `audio_ports_config.rescan` calls.
    pub audio_ports_config_rescans: u32,
    /// `host.request_restart` calls.
    pub restart_requests: u32,
    /// `host.request_process` calls.
    pub process_requests: u32,
    /// `host.request_callback` calls.
    pub callback_requests: u32,
}

// ---------------------------------------------------------------------------------------------
// Bundles and descriptors
// ---------------------------------------------------------------------------------------------

/// A plugin descriptor, copied out of the factory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorInfo {
    /// CLAP plugin ID.
    pub id: String,
    /// Plugin name.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// Version string.
    pub version: String,
    /// Description.
    pub description: String,
    /// Feature strings (`audio-effect`, `stereo`, ...).
    pub features: Vec<String>,
}

impl DescriptorInfo {
    fn from_descriptor(d: &clack_host::plugin::PluginDescriptor) -> Self {
        let s = |c: Option<&std::ffi::CStr>| {
            c.map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        Self {
            id: s(d.id()),
            name: s(d.name()),
            vendor: s(d.vendor()),
            version: s(d.version()),
            description: s(d.description()),
            features: d
                .features()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
        }
    }
}

/// A loaded `.clap` bundle.
#[derive(Clone)]
pub struct Bundle {
    path: PathBuf,
    entry: PluginEntry,
}

fn bundle_cache() -> &'static Mutex<HashMap<PathBuf, PluginEntry>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, PluginEntry>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Bundle {
    /// Loads (dlopens and initializes) a bundle. Each call loads it again; see
    /// [`Bundle::load_cached`] to keep one entry per path alive for the whole test process.
    pub fn load(path: &Path) -> Result<Self, HarnessError> {
        if !path.exists() {
            return Err(HarnessError::Load(format!(
                "{} does not exist",
                path.display()
            )));
        }
        // SAFETY: loading a plugin runs its initialization code; we trust our own bundles.
        let entry =
            unsafe { PluginEntry::load(path) }.map_err(|e| HarnessError::Load(format!("{e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            entry,
        })
    }

    /// Like [`Bundle::load`] but keeps the entry alive in a process-wide cache, so parallel tests
    /// share one loaded library instead of repeatedly initializing and unloading it.
    pub fn load_cached(path: &Path) -> Result<Self, HarnessError> {
        let mut cache = bundle_cache().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = cache.get(path) {
            return Ok(Self {
                path: path.to_path_buf(),
                entry: entry.clone(),
            });
        }
        let bundle = Self::load(path)?;
        cache.insert(path.to_path_buf(), bundle.entry.clone());
        Ok(bundle)
    }

    /// The bundle's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// All plugin descriptors in the bundle's plugin factory.
    pub fn descriptors(&self) -> Vec<DescriptorInfo> {
        match self.entry.get_plugin_factory() {
            Some(factory) => factory
                .plugin_descriptors()
                .map(DescriptorInfo::from_descriptor)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Creates and initializes an instance of the plugin with this CLAP ID.
    pub fn instantiate(&self, plugin_id: &str) -> Result<TestPlugin, HarnessError> {
        let descriptor = self
            .descriptors()
            .into_iter()
            .find(|d| d.id == plugin_id)
            .ok_or_else(|| {
                HarnessError::Instantiate(format!("no descriptor with id {plugin_id}"))
            })?;
        let host_info = HostInfo::new(
            "Tandem test host",
            "Tandem",
            "https://example.invalid/tandem",
            "0.1.0",
        )
        .map_err(|e| HarnessError::Instantiate(format!("{e}")))?;
        let id = CString::new(plugin_id).map_err(|e| HarnessError::Instantiate(format!("{e}")))?;
        let instance = PluginInstance::<TestHost>::new(
            |_| HostShared::new(),
            |shared| HostMainThread::new(shared),
            &self.entry,
            &id,
            &host_info,
        )
        .map_err(|e| HarnessError::Instantiate(format!("{e}")))?;
        let exts = instance.access_shared_handler(|s| s.exts.get().copied().unwrap_or_default());
        let mut plugin = TestPlugin {
            processor: None,
            instance,
            exts,
            descriptor,
            active: None,
            input_ports: Vec::new(),
            output_ports: Vec::new(),
            in_scratch: Vec::new(),
            in_events: EventBuffer::with_capacity(64),
            out_events: EventBuffer::with_capacity(64),
            steady_time: 0,
            output_param_changes: Vec::new(),
            process_time: std::time::Duration::ZERO,
        };
        plugin.pump_main_thread();
        Ok(plugin)
    }
}

// ---------------------------------------------------------------------------------------------
// Plugin-side information
// ---------------------------------------------------------------------------------------------

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

/// A plugin instance plus the host around it.
pub struct TestPlugin {
    // Declared before `instance` so it is dropped first (we also deactivate in `Drop`).
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    instance: PluginInstance<TestHost>,
    exts: PluginExts,
    descriptor: DescriptorInfo,
    active: Option<ActiveConfig>,
    input_ports: Vec<AudioPortDesc>,
    output_ports: Vec<AudioPortDesc>,
    in_scratch: Vec<Vec<Vec<f32>>>,
    in_events: EventBuffer,
    out_events: EventBuffer,
    steady_time: u64,
    output_param_changes: Vec<ParamChange>,
    /// Wall time spent inside the plugin's `process()` since activation.
    process_time: std::time::Duration,
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

    fn set_in_audio(&self, value: bool) {
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

fn check_ports(
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

fn param_changes_from(buffer: &EventBuffer) -> Vec<ParamChange> {
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

/// nice-plug's CLAP/VST3 parameter ID for a string parameter ID (a 31-bit `*31` string hash;
/// mirrors `nice_plug::wrapper::util::hash_param_id`).
pub fn nice_plug_param_hash(id: &str) -> u32 {
    let mut hash: u32 = 0;
    for byte in id.bytes() {
        hash = hash.wrapping_mul(31).wrapping_add(u32::from(byte));
    }
    hash & !(1 << 31)
}

/// Parses a nice-plug CLAP state blob: an 8-byte little-endian length followed by that many
/// bytes of JSON (`{"version": ..., "params": {id: value}, "fields": {...}}`). `None` if the
/// blob is not in that format.
pub fn parse_nice_plug_state(bytes: &[u8]) -> Option<serde_json::Value> {
    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let json = bytes.get(8..8usize.checked_add(len)?)?;
    serde_json::from_slice(json).ok()
}

/// Builds a nice-plug CLAP state blob from a JSON value (the inverse of
/// [`parse_nice_plug_state`]), for crafting foreign or edited states.
pub fn make_nice_plug_state(state: &serde_json::Value) -> Vec<u8> {
    let json = serde_json::to_vec(state).expect("JSON serializes");
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&json);
    bytes
}
