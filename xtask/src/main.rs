//! `cargo xtask`: bundling (nice-plug-xtask) plus `install`, which builds all three plugins in
//! release and copies the bundles into the user's plugin folders.

use std::path::{Path, PathBuf};

/// The plugin packages and the bundle names they produce: `bundler.toml`, the one list of the
/// plugins (the bundler, this tool, the whole-plugin tests and the CLI read it or are checked
/// against it).
fn plugins() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bundler.toml");
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

fn main() -> nice_plug_xtask::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("install") => install(args.collect()),
        Some("test") => test_all(args.collect()),
        Some("bundle-all") => bundle_all(args.collect()),
        Some("screenshots") => screenshots(),
        Some("folders") => {
            print_folders();
            Ok(())
        }
        _ => nice_plug_xtask::main(),
    }
}

/// The README's pictures, from live runs: the live editor test (`tests/tests/live_editors.rs`:
/// each standalone on JACK's dummy driver with a real track playing, under Xvfb) and its
/// editor-only screenshots copied into `docs/screenshots/` as 256-colour PNGs.
fn screenshots() -> nice_plug_xtask::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    std::env::set_var("TANDEM_REQUIRE_HOSTS", "1");
    build_standalones()?;
    fetch_smoke_music()?;
    run(
        "cargo",
        &[
            "test",
            "-p",
            "tests",
            "--test",
            "live_editors",
            "--",
            "--nocapture",
        ],
    )?;
    for (pkg, _) in &plugins() {
        let key = pkg.trim_start_matches("tandem-");
        run(
            "convert",
            &[
                &format!("target/screenshots/live-{key}.png"),
                "-strip",
                "-colors",
                "256",
                &format!("PNG8:docs/screenshots/{key}.png"),
            ],
        )?;
    }
    Ok(())
}

/// Runs a command from the workspace root, failing with its name when it fails.
fn run(program: &str, args: &[&str]) -> nice_plug_xtask::Result<()> {
    run_with(program, args, &[])
}

/// [`run`] with extra environment variables.
fn run_with(program: &str, args: &[&str], env: &[(&str, &str)]) -> nice_plug_xtask::Result<()> {
    let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}=\"{v}\" ")).collect();
    eprintln!("\n==> {}{program} {}", vars.concat(), args.join(" "));
    let status = std::process::Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        anyhow_bail(&format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Every test Tandem has, in the order that fails fastest: formatting, lints, debug bundles with
/// nice-plug's `assert_process_allocs` (so the host-level tests abort on any allocation in
/// `process()`), the standalone apps (for the editor tests) and the tests in one build, then all
/// cargo tests (unit, property and whole-plugin tests through a CLAP host, the editors under
/// Xvfb). The bundles, the standalones and the tests share one feature set ([`test_features`])
/// and one build, so nothing compiles twice. Prints how long each step took.
/// `.ci/run` calls exactly this after installing the system packages it needs.
fn test_all(extra: Vec<String>) -> nice_plug_xtask::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    // Host-level tests must fail, not skip, when a host they need is missing.
    std::env::set_var("TANDEM_REQUIRE_HOSTS", "1");
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let features = test_features();
    let mut steps = Steps::default();
    steps.time("fmt", || run("cargo", &["fmt", "--all", "--check"]))?;
    steps.time("clippy", || {
        run(
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )
    })?;
    // The API docs build without a warning (an intra-doc link that no longer resolves fails).
    steps.time("docs", || {
        run_with(
            "cargo",
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    // One build of everything `cargo test --workspace` runs, dev-dependencies included, so the
    // libraries the bundles copy, the standalones and the tests share one feature resolution
    // and compile once; `cargo test` below then only runs them.
    steps.time("debug build: bundles, standalones, tests", || {
        run(
            "cargo",
            &[
                "build",
                "--workspace",
                "--lib",
                "--bins",
                "--tests",
                "--examples",
                "--features",
                &features,
            ],
        )?;
        for (pkg, _) in &plugins() {
            nice_plug_xtask::bundle(&target_dir(), pkg, &[], false)?;
        }
        Ok(())
    })?;
    // The real-music smoke subset: the plugin tests play it too (tests/tests/clap_real_music.rs).
    steps.time("smoke music", fetch_smoke_music)?;
    let mut test_args = vec!["test", "--workspace", "--features", &features];
    test_args.extend(extra.iter().copied());
    steps.time("cargo test", || run("cargo", &test_args))?;
    steps.time("pedalboard", python_tests)?;
    steps.time("eval smoke", eval_smoke)?;
    steps.print();
    Ok(())
}

/// Cargo's target directory, from the workspace root.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The plugins' features for every debug build the tests use: `assert_process_allocs` (the
/// wrappers, standalone included, panic on an allocation in `process()`) and `standalone`.
fn test_features() -> String {
    let features: Vec<String> = plugins()
        .iter()
        .flat_map(|(pkg, _)| {
            [
                format!("{pkg}/assert_process_allocs"),
                format!("{pkg}/standalone"),
            ]
        })
        .collect();
    features.join(",")
}

/// Wall-clock time per step of [`test_all`].
#[derive(Default)]
struct Steps(Vec<(&'static str, std::time::Duration)>);

impl Steps {
    fn time(
        &mut self,
        name: &'static str,
        step: impl FnOnce() -> nice_plug_xtask::Result<()>,
    ) -> nice_plug_xtask::Result<()> {
        let t = std::time::Instant::now();
        let r = step();
        self.0.push((name, t.elapsed()));
        if r.is_err() {
            self.print();
        }
        r
    }

    fn print(&self) {
        eprintln!("\n==> time per step");
        for (name, d) in &self.0 {
            eprintln!("{:>8.1} s  {name}", d.as_secs_f64());
        }
        let total: f64 = self.0.iter().map(|(_, d)| d.as_secs_f64()).sum();
        eprintln!("{total:>8.1} s  total");
    }
}

/// Fetches the evaluation set's two-track smoke subset (one 46 MB download) into
/// `target/eval-smoke`.
fn fetch_smoke_music() -> nice_plug_xtask::Result<()> {
    run(
        "tools/eval/fetch-music.sh",
        &["--smoke", "target/eval-smoke"],
    )
}

/// The real-music evaluation on the smoke subset (fetched by [`fetch_smoke_music`]): the whole
/// `tandem eval` path runs on real music and must finish with a table. The full set and its
/// bars: `tools/eval/fetch-music.sh && cargo run --release -p tandem-cli -- eval --check`.
fn eval_smoke() -> nice_plug_xtask::Result<()> {
    // The debug build step built the CLI with the tests' feature resolution; `cargo run -p
    // tandem-cli` would build it again with its own.
    let tandem = target_dir().join("debug").join("tandem");
    run(
        &tandem.to_string_lossy(),
        &["eval", "--set", "target/eval-smoke/eval"],
    )
}

/// The standalone apps (nice-plug's standalone wrapper), debug: `tests/tests/gui_screenshots.rs`
/// opens each editor through them under Xvfb.
fn build_standalones() -> nice_plug_xtask::Result<()> {
    let mut args = vec!["build"];
    let list = plugins();
    for (pkg, _) in &list {
        args.extend(["-p", pkg.as_str()]);
    }
    let features: Vec<String> = list
        .iter()
        .map(|(pkg, _)| format!("{pkg}/standalone"))
        .collect();
    let features = features.join(",");
    args.extend(["--features", &features, "--bins"]);
    run("cargo", &args)
}

/// The VST3 tests through pedalboard, in a venv this creates on first use (`.venv/`).
fn python_tests() -> nice_plug_xtask::Result<()> {
    let python = Path::new(".venv/bin/python");
    if !python.exists() {
        run("python3", &["-m", "venv", ".venv"])?;
    }
    run(
        ".venv/bin/python",
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pedalboard",
            "numpy",
            "pytest",
        ],
    )?;
    run(".venv/bin/python", &["-m", "pytest", "-q", "tests/python"])
}

/// Bundles every plugin (`cargo xtask bundle-all --release`).
fn bundle_all(extra: Vec<String>) -> nice_plug_xtask::Result<()> {
    let mut args: Vec<String> = Vec::new();
    args.push("bundle".into());
    for (pkg, _) in &plugins() {
        args.push("-p".into());
        args.push(pkg.clone());
    }
    args.extend(extra);
    nice_plug_xtask::main_with_args("cargo xtask", args)
}

/// The CLAP and VST3 folders of the current user on this OS, as (clap, vst3).
fn plugin_folders() -> Option<(PathBuf, PathBuf)> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_os = "linux") {
        let home = home?;
        Some((home.join(".clap"), home.join(".vst3")))
    } else if cfg!(target_os = "macos") {
        let lib = home?.join("Library/Audio/Plug-Ins");
        Some((lib.join("CLAP"), lib.join("VST3")))
    } else if cfg!(target_os = "windows") {
        let common = std::env::var_os("COMMONPROGRAMFILES").map(PathBuf::from)?;
        Some((common.join("CLAP"), common.join("VST3")))
    } else {
        None
    }
}

fn print_folders() {
    println!("Plugin folders Tandem installs into:");
    println!("  Linux:   ~/.clap and ~/.vst3");
    println!("  macOS:   ~/Library/Audio/Plug-Ins/CLAP and ~/Library/Audio/Plug-Ins/VST3");
    println!("  Windows: %COMMONPROGRAMFILES%\\CLAP and %COMMONPROGRAMFILES%\\VST3");
}

/// Builds all three plugins in release and copies the bundles to the user's plugin folders.
fn install(extra: Vec<String>) -> nice_plug_xtask::Result<()> {
    let mut build_args = vec!["--release".to_string()];
    build_args.extend(extra);
    bundle_all(build_args)?;
    let Some((clap_dir, vst3_dir)) = plugin_folders() else {
        print_folders();
        anyhow_bail("cannot tell this system's plugin folders; copy target/bundled/* by hand")?;
        return Ok(());
    };
    nice_plug_xtask::chdir_workspace_root()?;
    let bundled = Path::new("target/bundled");
    for (_, name) in &plugins() {
        for (ext, dir) in [("clap", &clap_dir), ("vst3", &vst3_dir)] {
            let src = bundled.join(format!("{name}.{ext}"));
            let dst = dir.join(format!("{name}.{ext}"));
            std::fs::create_dir_all(dir)?;
            copy_any(&src, &dst)?;
            println!("installed {}", dst.display());
        }
    }
    if cfg!(target_os = "macos") || cfg!(target_os = "windows") {
        print_folders();
    }
    Ok(())
}

fn anyhow_bail(msg: &str) -> nice_plug_xtask::Result<()> {
    Err(std::io::Error::other(msg.to_string()).into())
}

/// Copies a file or a directory tree (a VST3 bundle is a directory), replacing what was there.
fn copy_any(src: &Path, dst: &Path) -> std::io::Result<()> {
    if src.is_dir() {
        if dst.exists() {
            std::fs::remove_dir_all(dst)?;
        }
        std::fs::create_dir_all(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_any(&entry.path(), &dst.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        if dst.is_dir() {
            std::fs::remove_dir_all(dst)?;
        }
        std::fs::copy(src, dst).map(|_| ())
    }
}
