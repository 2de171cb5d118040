//! The editors live, the way an engineer meets them: each plugin's standalone app runs on a
//! JACK server (the dummy driver, no sound card) under a private Xvfb, a real track of the
//! evaluation set's smoke subset is played into it with `jack-play`, and the test works the
//! editor with the mouse (`xdotool`):
//!
//! 1. while the music plays, the assistant holds a suggestion only after its minimum coverage
//!    (30 s), "heard" keeps counting after the hold and keeps up with what was played (at least
//!    90 %), the analyzer (EQ, Master) or the input meter (Comp) shows what a silent editor does
//!    not, the meters move between two screenshots, and the assistant proposes items (`target/screenshots/live-<key>.png` is the picture; `cargo xtask
//!    screenshots` runs this test and copies the pictures into `docs/screenshots/`);
//! 2. with the music stopped, a click on *Accept all* leaves every manual parameter at the value
//!    the suggestion proposes, and nothing open;
//! 3. a click on *Suggested* switches the compare switch, a click in the middle of *Amount* sets
//!    about half, and *Restart learning* forgets what was heard.
//!
//! The state is read from the editor probe (`TANDEM_EDITOR_PROBE`, see
//! `plugins/common/src/gui/probe.rs`): where the controls are and the plugin's values, written by
//! the editor itself.
//!
//! Needs `apt-get install jackd2 jack-tools xvfb xauth libgl1-mesa-dri libglx-mesa0 libgl1
//! imagemagick xdotool`, the standalone binaries and the smoke music (`cargo xtask test` builds
//! and fetches both). When something is missing the test fails if `CI` or
//! `TANDEM_REQUIRE_HOSTS` is set, and otherwise prints why it did not run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tests::clap_host::workspace_root;
use tests::image::{busyness, mean_abs_diff, Region, Rgb};
use tests::xvfb::{require_or_skip, which, KillOnDrop, Xvfb};

/// The track played (44.1 kHz; `jack-play` resamples it to the server's 48 kHz).
const TRACK: &str = "target/eval-smoke/eval/adventure-drascula2.ogg";
/// Where into the track playing starts (seconds): past its quiet opening.
const START_S: u32 = 30;
/// The minimum coverage before any assistant may hold its suggestion (`MIN_STABLE_SECONDS` of
/// the EQ, Comp and Master assistants).
const MIN_STABLE_S: f32 = 30.0;
/// How long the test listens at most before judging the editor (seconds heard).
const LISTEN_S: f32 = 40.0;
const SCREEN: (u32, u32) = (1600, 1000);

struct Live {
    key: &'static str,
    bin: &'static str,
    /// The JACK client name the standalone registers.
    client: &'static str,
    /// The region that must show the music (a probe mark).
    music_mark: &'static str,
}

const LIVE: &[Live] = &[
    Live {
        key: "eq",
        bin: "tandem-eq-standalone",
        client: "tandem_eq",
        music_mark: "spectrum",
    },
    Live {
        key: "comp",
        bin: "tandem-comp-standalone",
        client: "tandem_comp",
        music_mark: "meter:IN",
    },
    Live {
        key: "master",
        bin: "tandem-master-standalone",
        client: "tandem_master",
        music_mark: "spectrum",
    },
];

/// JACK's sample rate (the plugins run at it).
const JACK_RATE: u32 = 48_000;

/// The editor probe's file (the fields this test reads).
#[derive(Debug, Clone, Deserialize)]
struct Snapshot {
    pixels_per_point: f32,
    rects: BTreeMap<String, [f32; 4]>,
    manual: BTreeMap<String, f32>,
    suggested: BTreeMap<String, f32>,
    items: usize,
    open_proposals: usize,
    compare: String,
    amount: f32,
    heard_seconds: f32,
    stable: bool,
    dropped_frames: u64,
}

impl Snapshot {
    /// The control's rectangle in screen pixels (the window sits at the screen's origin).
    fn rect(&self, name: &str) -> Result<Region, String> {
        let r = self.rects.get(name).ok_or_else(|| {
            format!(
                "the editor drew no {name:?} (probe marks: {:?})",
                self.rects.keys()
            )
        })?;
        let s = self.pixels_per_point;
        Ok(Region {
            name: "mark",
            x0: (r[0] * s).max(0.0) as u32,
            y0: (r[1] * s).max(0.0) as u32,
            x1: (r[2] * s).max(0.0) as u32,
            y1: (r[3] * s).max(0.0) as u32,
        })
    }

    /// Manual values that differ from what the suggestion proposes: (ID, manual, proposed).
    fn not_accepted(&self) -> Vec<(String, f32, f32)> {
        self.suggested
            .iter()
            .filter_map(|(k, &v)| {
                let m = self.manual.get(k).copied().unwrap_or(f32::NAN);
                let tol = 1e-3 * v.abs().max(1.0);
                ((m - v).abs() > tol).then(|| (k.clone(), m, v))
            })
            .collect()
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn ready() -> bool {
    let test = "the live editor test";
    let missing: Vec<&str> = [
        "jackd",
        "jack-play",
        "jack_connect",
        "jack_lsp",
        "Xvfb",
        "xdotool",
        "import",
        "convert",
    ]
    .into_iter()
    .filter(|t| !which(t))
    .collect();
    if !missing.is_empty() {
        return require_or_skip(
            &format!(
                "{} not installed (apt-get install jackd2 jack-tools xvfb xauth libgl1-mesa-dri \
                 libglx-mesa0 libgl1 imagemagick xdotool)",
                missing.join(", ")
            ),
            test,
        );
    }
    for l in LIVE {
        let bin = target_dir().join("debug").join(l.bin);
        if !bin.is_file() {
            return require_or_skip(
                &format!(
                    "{} missing (cargo build -p tandem-eq -p tandem-comp -p tandem-master \
                     --features tandem-eq/standalone,tandem-comp/standalone,\
                     tandem-master/standalone --bins)",
                    bin.display()
                ),
                test,
            );
        }
    }
    if !workspace_root().join(TRACK).is_file() {
        return require_or_skip(
            &format!("{TRACK} missing (tools/eval/fetch-music.sh --smoke target/eval-smoke)"),
            test,
        );
    }
    true
}

/// A JACK server of the tests' own, on the dummy driver. It always has the same name and is
/// stopped with SIGTERM: JACK keeps a registry of servers in shared memory with a few slots, and
/// a killed server's slot is only reclaimed by a server of the same name (a unique name per run
/// plus SIGKILL filled the registry after eight runs: "Too many servers already active").
struct Jack {
    server: Child,
    name: String,
}

impl Drop for Jack {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.server.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.server.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Jack {
    fn start(log: &Path) -> Jack {
        let name = "tandem-tests".to_string();
        let log_file = std::fs::File::create(log).unwrap();
        let server = Command::new("jackd")
            .args([
                "-n",
                &name,
                "--no-realtime",
                "-d",
                "dummy",
                "-r",
                &JACK_RATE.to_string(),
                "-p",
                "256",
            ])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start jackd");
        let mut jack = Jack { server, name };
        let t = Instant::now();
        while jack.ports().is_empty() {
            let exited = jack.server.try_wait().ok().flatten();
            if exited.is_some() || t.elapsed() > Duration::from_secs(20) {
                panic!(
                    "jackd did not come up ({}); its log:\n{}\n(a registry left full by killed \
                     servers: stop every jackd and remove /dev/shm/jack*)",
                    exited.map_or("not within 20 s".to_string(), |s| s.to_string()),
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        jack
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("JACK_DEFAULT_SERVER", &self.name)
            .env("JACK_NO_START_SERVER", "1");
        c
    }

    fn ports(&self) -> Vec<String> {
        self.command("jack_lsp")
            .stderr(Stdio::null())
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until `port` exists.
    fn wait_port(&self, port: &str, within: Duration) -> Result<(), String> {
        let t = Instant::now();
        while !self.ports().iter().any(|p| p == port) {
            if t.elapsed() > within {
                return Err(format!(
                    "JACK port {port} did not appear in {within:?}: {:?}",
                    self.ports()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }

    fn connect(&self, from: &str, to: &str) -> Result<(), String> {
        let ok = self
            .command("jack_connect")
            .args([from, to])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(())
            .ok_or_else(|| format!("jack_connect {from} {to} failed"))
    }
}

fn read_probe(path: &Path) -> Option<Snapshot> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Polls the probe until `ok` holds (returns that snapshot) or `within` passes (the last one in
/// the error).
fn wait_for(
    path: &Path,
    within: Duration,
    what: &str,
    ok: impl Fn(&Snapshot) -> bool,
) -> Result<Snapshot, String> {
    let t = Instant::now();
    let mut last = None;
    loop {
        if let Some(s) = read_probe(path) {
            if ok(&s) {
                return Ok(s);
            }
            last = Some(s);
        }
        if t.elapsed() > within {
            return Err(format!(
                "{what}: not within {within:?}; last probe: {}",
                last.map(|s| format!(
                    "items {} open {} compare {} amount {:.2} heard {:.1} s stable {} not accepted {:?}",
                    s.items,
                    s.open_proposals,
                    s.compare,
                    s.amount,
                    s.heard_seconds,
                    s.stable,
                    s.not_accepted()
                ))
                .unwrap_or_else(|| "none".into())
            ));
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn screenshot(x: &Xvfb, png: &Path) -> Result<Rgb, String> {
    let p = png.to_string_lossy().into_owned();
    x.run("import", &["-window", "root", &p])?;
    Rgb::from_ppm(&x.run("convert", &[&p, "ppm:-"])?)
}

/// Clicks at the fraction `fx` across and the middle of the control `name`.
fn click(x: &Xvfb, s: &Snapshot, name: &str, fx: f32) -> Result<(), String> {
    let r = s.rect(name)?;
    let px = r.x0 as f32 + fx * (r.x1 - r.x0) as f32;
    let py = 0.5 * (r.y0 + r.y1) as f32;
    x.run(
        "xdotool",
        &[
            "mousemove",
            "--sync",
            &format!("{}", px.round()),
            &format!("{}", py.round()),
            "click",
            "1",
        ],
    )?;
    // Park the pointer away from the window: no hover highlight in the next screenshot.
    x.run(
        "xdotool",
        &[
            "mousemove",
            &(SCREEN.0 - 1).to_string(),
            &(SCREEN.1 - 1).to_string(),
        ],
    )?;
    Ok(())
}

/// One plugin, live: returns the problems found (empty when everything worked).
fn run_live(l: &Live, x: &Xvfb, jack: &Jack, out: &Path) -> Result<(), String> {
    let probe = out.join(format!("live-{}.json", l.key));
    let _ = std::fs::remove_file(&probe);
    let log = std::fs::File::create(out.join(format!("live-{}.log", l.key))).unwrap();
    let mut app = jack.command(&target_dir().join("debug").join(l.bin).to_string_lossy());
    app.env("DISPLAY", &x.display)
        .env("TANDEM_EDITOR_PROBE", &probe)
        .args(["--backend", "jack"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let _app = KillOnDrop(app.spawn().map_err(|e| format!("start {}: {e}", l.bin))?);
    let input = |n: u32| format!("{}:input_{n}", l.client);
    jack.wait_port(&input(2), Duration::from_secs(60))?;
    let silent_shot = out.join(format!("live-{}-silent.png", l.key));
    let first = wait_for(
        &probe,
        Duration::from_secs(60),
        "the editor's first frame",
        |s| s.rects.contains_key(l.music_mark) && s.rects.contains_key("restart_learning"),
    )?;
    std::thread::sleep(Duration::from_millis(500));
    let silent = screenshot(x, &silent_shot)?;

    // Play the track into the plugin.
    let player = jack
        .command("jack-play")
        .args(["-i", &(START_S * 44_100).to_string()])
        .arg(workspace_root().join(TRACK))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("jack-play: {e}"))?;
    let mut player = KillOnDrop(player);
    let port = |n: u32| format!("jack-play-{}:out_{n}", player.0.id());
    jack.wait_port(&port(2), Duration::from_secs(20))?;
    jack.connect(&port(1), &input(1))?;
    jack.connect(&port(2), &input(2))?;
    let connected = Instant::now();
    // Learning hears the song: no hold before the minimum coverage, and "heard" keeps counting
    // after the hold, up with the music played.
    // (A held suggestion, or 40 s heard: the Comp may take a minute and more to settle on a
    // dynamic track, and CI time is limited.)
    let learned = wait_for(&probe, Duration::from_secs(120), "a held suggestion", |s| {
        s.items > 0 && (s.stable || s.heard_seconds >= LISTEN_S)
    })?;
    let held_at = learned.stable.then_some(learned.heard_seconds);
    let png = out.join(format!("live-{}-screen.png", l.key));
    let a = screenshot(x, &png)?;
    // The picture of the editor alone (`cargo xtask screenshots` copies it into docs/).
    let w = learned.rect("window")?;
    x.run(
        "convert",
        &[
            &png.to_string_lossy(),
            "-crop",
            &format!("{}x{}+0+0", w.x1, w.y1),
            "+repage",
            &out.join(format!("live-{}.png", l.key)).to_string_lossy(),
        ],
    )?;
    std::thread::sleep(Duration::from_millis(700));
    let b = screenshot(x, &out.join(format!("live-{}-b.png", l.key)))?;
    let music = learned.rect(l.music_mark)?;
    let meter = learned.rect("meter:IN")?;
    let shows_music = mean_abs_diff(&silent, &a, music);
    let meters_move = mean_abs_diff(&a, &b, meter);
    let panel = learned.rect("accept_all")?;
    println!(
        "{}: {} heard, {} items; {} changed {shows_music:.1} from silence, IN meter moved {meters_move:.1}; {:?}",
        l.key, learned.heard_seconds, learned.items, l.music_mark, busyness(&a, panel)
    );
    // Listening goes on after the hold, up with the music played. The analysis thread may be
    // busy solving (seconds in a debug build) while the tap's ring holds the music for it, and
    // the tap drops (and counts) what does not fit: give it up to 10 s, music playing, to
    // catch up.
    std::thread::sleep(Duration::from_secs(3));
    let t = Instant::now();
    let (later, played, dropped_s) = loop {
        let s = read_probe(&probe).ok_or("no probe")?;
        let played = connected.elapsed().as_secs_f32();
        let dropped_s = s.dropped_frames as f32 / JACK_RATE as f32;
        let caught_up = s.heard_seconds >= learned.heard_seconds + 2.0
            && s.heard_seconds + dropped_s >= 0.9 * played;
        if caught_up || t.elapsed() > Duration::from_secs(10) {
            break (s, played, dropped_s);
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    println!(
        "{}: held at {held_at:?} s heard; {:.1} s heard and {dropped_s:.1} s dropped of {played:.1} s played",
        l.key, later.heard_seconds
    );
    let mut problems = Vec::new();
    if held_at.is_some_and(|h| h < MIN_STABLE_S - 0.5) {
        problems.push(format!(
            "held after only {held_at:?} s heard (minimum {MIN_STABLE_S} s)"
        ));
    }
    if later.heard_seconds < learned.heard_seconds + 2.0 {
        problems.push(format!(
            "heard stopped counting: {:.1} s, later {:.1} s (held: {})",
            learned.heard_seconds, later.heard_seconds, learned.stable
        ));
    }
    if later.heard_seconds + dropped_s < 0.9 * played {
        problems.push(format!(
            "{:.1} s heard and {dropped_s:.1} s dropped of {played:.1} s played",
            later.heard_seconds
        ));
    }
    if shows_music < 2.0 {
        problems.push(format!(
            "{} looks the same with music as silent ({shows_music:.2})",
            l.music_mark
        ));
    }
    if meters_move < 0.2 {
        problems.push(format!(
            "the IN meter did not move in 0.7 s ({meters_move:.2})"
        ));
    }
    if !busyness(&a, panel).is_drawn() {
        problems.push("the Accept all button is not drawn".into());
    }
    let _ = first;

    // Stop the music, let the last suggestion settle, then accept everything.
    let _ = player.0.kill();
    let _ = player.0.wait();
    // A suggestion still learning is brought up to date once the music stops (Master's solve
    // takes seconds in a debug build): wait until it has not changed for 2 s.
    let mut settled = read_probe(&probe).ok_or("no probe")?;
    let mut same_since = Instant::now();
    let t = Instant::now();
    while same_since.elapsed() < Duration::from_secs(2) && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(250));
        let now = read_probe(&probe).ok_or("no probe")?;
        if now.suggested != settled.suggested || now.items != settled.items {
            same_since = Instant::now();
        }
        settled = now;
    }
    if settled.open_proposals == 0 {
        problems.push("nothing to accept after learning".into());
    }
    click(x, &settled, "accept_all", 0.5)?;
    match wait_for(&probe, Duration::from_secs(5), "Accept all", |s| {
        s.items > 0 && s.open_proposals == 0 && s.not_accepted().is_empty()
    }) {
        Ok(s) => println!("{}: accepted {} values", l.key, s.suggested.len()),
        Err(e) => problems.push(e),
    }

    // The compare switch.
    let s = read_probe(&probe).ok_or("no probe")?;
    click(x, &s, "segment:Suggested", 0.5)?;
    if let Err(e) = wait_for(&probe, Duration::from_secs(5), "Suggested", |s| {
        s.compare == "Suggested"
    }) {
        problems.push(e);
    }
    // Amount: a click in the middle of the slider.
    click(x, &s, "amount", 0.5)?;
    if let Err(e) = wait_for(&probe, Duration::from_secs(5), "Amount at half", |s| {
        (0.35..=0.65).contains(&s.amount)
    }) {
        problems.push(e);
    }
    // Restart learning forgets what was heard (no music plays now, so it stays at zero).
    let before = read_probe(&probe).ok_or("no probe")?;
    click(x, &before, "restart_learning", 0.5)?;
    if let Err(e) = wait_for(&probe, Duration::from_secs(5), "Restart learning", |s| {
        s.heard_seconds < 0.5 && !s.stable
    }) {
        problems.push(format!(
            "{e} (before the click: {:.1} s heard)",
            before.heard_seconds
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn editors_with_music_playing_learn_show_it_and_answer_clicks() {
    if !ready() {
        return;
    }
    let out = target_dir().join("screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let x = Xvfb::start(SCREEN);
    let jack = Jack::start(&out.join("jackd.log"));
    let mut failures = Vec::new();
    for l in LIVE {
        let t = Instant::now();
        let r = run_live(l, &x, &jack, &out);
        println!(
            "{}: {} in {:.1} s",
            l.key,
            if r.is_ok() { "ok" } else { "FAILED" },
            t.elapsed().as_secs_f64()
        );
        if let Err(e) = r {
            failures.push(format!("{}: {e}", l.key));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
