//! A DAW's own scanner: Ardour 7's VST3 scanner (Debian `ardour`) must accept all three VST3
//! bundles, and Ardour itself (headless, through `ardour7-lua`) must instantiate each and see as
//! many parameters as our CLAP host does.
//!
//! Needs `apt-get install ardour`. When Ardour is missing the tests fail if `CI` or
//! `TANDEM_REQUIRE_HOSTS` is set (as `cargo xtask test` does), and otherwise print why they did
//! not run.

use std::path::{Path, PathBuf};
use std::process::Command;
use tests::clap_host::{bundle_dir, each_plugin};

const SCANNER: &str = "/usr/lib/ardour7/ardour-vst3-scanner";
const LIB_DIR: &str = "/usr/lib/ardour7";

fn ardour_available() -> bool {
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

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// A private HOME-like sandbox so Ardour's caches and config never touch the user's.
fn sandbox(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-ardour-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    dir
}

fn attr<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = xml.find(&key)? + key.len();
    let end = xml[start..].find('"')? + start;
    Some(&xml[start..end])
}

fn scan(bundle: &Path, home: &Path) -> String {
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

#[test]
fn ardour_scans_instantiates_and_counts_parameters() {
    if !ardour_available() {
        return;
    }
    let home = sandbox("scan");
    let mut expected = Vec::new();
    for put in each_plugin() {
        let bundle = bundle_dir().join(format!("{}.vst3", put.name));
        assert!(
            bundle.exists(),
            "{} is missing: run `cargo xtask bundle-all` first",
            bundle.display()
        );
        let info = scan(&std::fs::canonicalize(&bundle).unwrap(), &home);
        assert_eq!(attr(&info, "name"), Some(put.name), "{info}");
        assert_eq!(attr(&info, "vendor"), Some("Tandem"), "{info}");
        assert_eq!(attr(&info, "n_inputs"), Some("2"), "{info}");
        assert_eq!(attr(&info, "n_outputs"), Some("2"), "{info}");
        assert!(
            attr(&info, "category").is_some_and(|c| c.starts_with("Fx")),
            "{info}"
        );
        let mut plugin = put.instantiate();
        expected.push((put.name, plugin.params().len()));
    }

    // Ardour itself, headless on the dummy backend: instantiate each and count its parameters.
    let script = home.join("count.lua");
    let mut lua = String::from(
        "AudioEngine:set_backend(\"None (Dummy)\", \"\", \"\")\n\
         local s = create_session(os.getenv(\"SESS_DIR\"), \"count\", 48000)\n\
         assert(s, \"create_session failed\")\n",
    );
    for (name, _) in &expected {
        lua.push_str(&format!(
            "do local proc = ARDOUR.LuaAPI.new_plugin(s, \"{name}\", ARDOUR.PluginType.VST3, \"\")\n\
             assert(not proc:isnil(), \"VST3 '{name}' not found\")\n\
             local p = proc:to_insert():plugin(0)\n\
             local n = 0\n\
             for i = 0, p:parameter_count() - 1 do if p:parameter_is_input(i) then n = n + 1 end end\n\
             print(\"TANDEM-PLUGIN|{name}|\" .. n) end\n"
        ));
    }
    lua.push_str("close_session()\nquit()\n");
    std::fs::write(&script, lua).unwrap();
    let out = Command::new("ardour7-lua")
        .arg(&script)
        .env("VST3_PATH", std::fs::canonicalize(bundle_dir()).unwrap())
        .env("SESS_DIR", home.join("session"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .expect("run ardour7-lua");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (name, clap_count) in &expected {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("TANDEM-PLUGIN|{name}|")))
            .unwrap_or_else(|| panic!("Ardour did not instantiate {name}:\n{text}"));
        let n: usize = line.rsplit('|').next().unwrap().trim().parse().unwrap();
        println!("Ardour: {name}: {n} parameters");
        assert_eq!(
            n, *clap_count,
            "{name}: Ardour sees {n} parameters, the CLAP host {clap_count}"
        );
    }
    let _ = std::fs::remove_dir_all(&home);
}
