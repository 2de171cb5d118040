//! A DAW's own scanner: Ardour 7's VST3 scanner (Debian `ardour`) must accept all three VST3
//! bundles, and Ardour itself (headless, through `ardour7-lua`) must instantiate each and see as
//! many parameters as our CLAP host does.
//!
//! Needs `apt-get install ardour`. When Ardour is missing the tests fail if `CI` or
//! `TANDEM_REQUIRE_HOSTS` is set (as `cargo xtask test` does), and otherwise print why they did
//! not run.

use std::process::Command;
use tests::ardour::{ardour_available, attr, sandbox, scan};
use tests::clap_host::{bundle_dir, each_plugin};

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
