//! Ardour 7 (Debian `ardour`), headless: its VST3 scanner, and a sandbox for its caches and
//! configuration so the tests never touch the user's.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::clap_host::bundle_dir;
use crate::xvfb::which;

pub const SCANNER: &str = "/usr/lib/ardour7/ardour-vst3-scanner";
pub const LIB_DIR: &str = "/usr/lib/ardour7";

/// True when Ardour 7 is installed; otherwise fails under CI, or says why and returns false.
pub fn ardour_available() -> bool {
    if Path::new(SCANNER).exists() && which("ardour7-lua") {
        return true;
    }
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("TANDEM_REQUIRE_HOSTS").is_some();
    assert!(
        !required,
        "Ardour 7 is not installed (apt-get install ardour); the DAW scanner tests need it"
    );
    eprintln!("NOTE: Ardour 7 not installed; skipping the DAW scanner test (CI requires it)");
    false
}

/// A private HOME-like sandbox so Ardour's caches and config never touch the user's.
pub fn sandbox(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-ardour-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    dir
}

/// The value of the XML attribute `name` (the first one) in `xml`.
pub fn attr<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = xml.find(&key)? + key.len();
    let end = xml[start..].find('"')? + start;
    Some(&xml[start..end])
}

/// Runs Ardour's VST3 scanner on `bundle` with its cache in `home`; returns the cache entry.
pub fn scan(bundle: &Path, home: &Path) -> String {
    let out = Command::new(SCANNER)
        .arg("-f")
        .arg(bundle)
        .env("LD_LIBRARY_PATH", LIB_DIR)
        .env("VST3_PATH", bundle_dir())
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .expect("run ardour-vst3-scanner");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "scanner rejected {}: {log}",
        bundle.display()
    );
    // The scanner writes its verdict into a cache file: find the one for this bundle.
    let vst_cache = home.join("cache/ardour7/vst");
    for entry in std::fs::read_dir(&vst_cache).expect("scanner wrote no cache") {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if text.contains(&*bundle.to_string_lossy()) {
            return text;
        }
    }
    panic!(
        "no scanner cache entry for {} in {}:\n{log}",
        bundle.display(),
        vst_cache.display()
    );
}
