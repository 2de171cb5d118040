//! The host side: what the plugin may ask of the host (log, thread check, params, latency,
//! state, timer, audio ports, GUI), recorded for the tests ([`HostNotifications`], [`LogEntry`],
//! thread violations).

use super::*;

/// The plugin-side extensions, queried once while the plugin initializes.
#[derive(Clone, Copy, Default)]
pub(super) struct PluginExts {
    pub(super) params: Option<PluginParams>,
    pub(super) state: Option<PluginState>,
    pub(super) latency: Option<PluginLatency>,
    pub(super) audio_ports: Option<PluginAudioPorts>,
    pub(super) audio_ports_config: Option<PluginAudioPortsConfig>,
    pub(super) timer: Option<PluginTimer>,
    pub(super) gui: Option<clack_extensions::gui::PluginGui>,
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
pub(super) struct HostShared {
    pub(super) main_thread: ThreadId,
    pub(super) in_audio: AtomicBool,
    pub(super) exts: OnceLock<PluginExts>,
    pub(super) restart_requests: AtomicU32,
    pub(super) restart_pending: AtomicBool,
    pub(super) process_requests: AtomicU32,
    pub(super) callback_requests: AtomicU32,
    pub(super) callback_pending: AtomicBool,
    pub(super) flush_requests: AtomicU32,
    pub(super) flush_pending: AtomicBool,
    pub(super) logs: Mutex<Vec<LogEntry>>,
    pub(super) violations: Mutex<Vec<String>>,
    pub(super) echo_logs: bool,
}

impl HostShared {
    pub(super) fn new() -> Self {
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

    pub(super) fn is_main_thread(&self) -> bool {
        std::thread::current().id() == self.main_thread && !self.in_audio.load(Ordering::SeqCst)
    }

    /// Records a violation if a `[main-thread]` host callback is made from the audio thread.
    pub(super) fn check_main_thread(&self, what: &str) {
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
pub(super) struct HostMainThread<'a> {
    pub(super) shared: &'a HostShared,
    pub(super) param_rescans: RefCell<Vec<ParamRescanFlags>>,
    pub(super) param_clears: RefCell<Vec<(u32, ParamClearFlags)>>,
    pub(super) latency_changed: Cell<u32>,
    pub(super) state_dirty: Cell<u32>,
    pub(super) audio_ports_rescans: RefCell<Vec<AudioPortRescanFlags>>,
    pub(super) audio_ports_config_rescans: Cell<u32>,
    pub(super) timers: RefCell<Vec<(TimerId, u32)>>,
    pub(super) next_timer_id: Cell<u32>,
}

impl<'a> HostMainThread<'a> {
    pub(super) fn new(shared: &'a HostShared) -> Self {
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
pub(super) struct TestHost;

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
