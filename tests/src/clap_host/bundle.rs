//! A loaded `.clap` bundle and its descriptors (one entry per bundle path, kept loaded for the
//! process).

use super::*;

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
    pub(super) fn from_descriptor(d: &clack_host::plugin::PluginDescriptor) -> Self {
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
    pub(super) path: PathBuf,
    pub(super) entry: PluginEntry,
}

pub(super) fn bundle_cache() -> &'static Mutex<HashMap<PathBuf, PluginEntry>> {
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
