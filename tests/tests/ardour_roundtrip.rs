//! A round trip through a real DAW: Ardour 7 (Debian `ardour`), headless on its dummy backend.
//!
//! `tests/ardour/build_session.lua` makes a session with two stereo tracks, Tandem EQ (VST3) on
//! one and Tandem Comp on the other, a fixed setting (EQ band 1 on) and automation lanes: a step
//! of band 1's gain and of the Comp's threshold, and a switch of each plugin's compare from
//! Manual to Suggested. `tests/ardour/add_regions.py` puts a test signal on each track (7.3's
//! headless Lua cannot import audio), `ardour7-export` renders the session's master bus as 32-bit
//! float. The export must equal this test's own render of the same input with the same changes
//! at the same samples through the CLAP bundles (both plugins have no latency at these settings),
//! summed: within −90 dBFS. Then the saved session, reopened by Ardour, must restore both
//! plugins' parameters, and a suggestion saved in a plugin's state must survive Ardour loading
//! and saving the session again.
//!
//! Ardour 7.3's export tool sometimes aborts or hangs on exit (known, not the plugins'), and
//! about once in 30 exports puts one channel off by a constant every 2048 samples (a wild value
//! held there, or once a constant added; also with both plugins deactivated, see
//! [`ardour_export_glitch`]): it gets three tries, each checked for the full length and that
//! glitch against this test's own render. On a loaded machine about one run in 15
//! also differs by −72.5 dBFS from sample 96 000 for the 120 ms of the EQ's glide after its
//! gain step (2026-12-07; the step falls at the same sample, the glide differs: what Ardour
//! sends during it is not known yet). A failed comparison keeps the inputs, both renders and
//! the export in `target/ardour-roundtrip-failure/`; `TANDEM_ARDOUR_DUMP=<dir>` writes them there
//! on every run. Needs `apt-get install ardour` and `python3`; without them the test fails
//! when `CI` or `TANDEM_REQUIRE_HOSTS` is set and otherwise says why it did not run.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use dsp_core::assistant::{Suggestion, SuggestionItem};
use std::collections::BTreeMap;
use tests::ardour::{ardour_available, sandbox, scan};
use tests::clap_host::{
    bundle_dir, make_nice_plug_state, parse_nice_plug_state, workspace_root, ParamChange,
    PluginUnderTest, TestPlugin, COMP, EQ,
};

const SR: u32 = 48_000;
const FRAMES: usize = 6 * SR as usize;
/// Ardour's period on the dummy backend; the harness renders in the same blocks.
const BLOCK: usize = 1024;
/// −90 dBFS.
const MAX_DIFF: f32 = 3.162e-5;

/// One automated parameter: where it is (track, Ardour's name, the stable ID) and its steps
/// (sample, plain value). Ardour keeps plugin automation in musical time (120 bpm here), so the
/// steps sit on beats: multiples of 24 000 samples.
struct Lane {
    track: &'static str,
    name: &'static str,
    id: &'static str,
    steps: &'static [(usize, f64)],
}

const LANES: &[Lane] = &[
    Lane {
        track: "EQ",
        name: "Band 1 Gain",
        id: "b1_gain",
        steps: &[(0, 0.0), (96_000, 9.0)],
    },
    Lane {
        track: "EQ",
        name: "Compare",
        id: "compare",
        steps: &[(0, 0.0), (144_000, 1.0)],
    },
    Lane {
        track: "Comp",
        name: "Threshold",
        id: "threshold",
        steps: &[(0, -18.0), (120_000, -30.0)],
    },
    Lane {
        track: "Comp",
        name: "Compare",
        id: "compare",
        steps: &[(0, 0.0), (192_000, 1.0)],
    },
];

/// The fixed settings: (track, Ardour's name, stable ID, plain value). Level matching is off:
/// its trim comes from the analysis thread, which runs at its own pace in each host.
const STATIC: &[(&str, &str, &str, f64)] = &[
    ("EQ", "Band 1 On", "b1_on", 1.0),
    ("EQ", "Match Levels", "match_levels", 0.0),
    ("Comp", "Match Levels", "match_levels", 0.0),
];

/// A suggestion saved in each plugin's state before the session plays, so *Suggested* plays
/// the same settings in both hosts (a suggestion in the state when listening starts is held).
fn saved_suggestion(track: &str) -> Suggestion {
    let (assistant, target, values): (&str, &str, &[(&str, f32)]) = match track {
        "EQ" => (
            "eq",
            "Balanced",
            &[
                ("b2_on", 1.0),
                ("b2_type", 0.0),
                ("b2_freq", 1000.0),
                ("b2_gain", -6.0),
                ("b2_q", 1.0),
            ],
        ),
        _ => (
            "comp",
            "Glue",
            &[("threshold", -26.0), ("ratio", 3.0), ("makeup", 2.0)],
        ),
    };
    let mut s = Suggestion::empty(assistant, target);
    let values: BTreeMap<String, f32> = values.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    s.items.push(SuggestionItem {
        key: "test".into(),
        title: format!("The {track} round-trip suggestion"),
        values: values.clone(),
        reason: "saved into the session by the Ardour round-trip test".into(),
        confidence: 0.5,
    });
    s.values = values;
    s.heard_seconds = 40.0;
    s.stable = true;
    s
}

/// The text the plugin parses for a plain value of `id` (the CLAP host sets values through the
/// plugin's own text parser, so nothing here re-implements its value mapping).
fn text_for(id: &str, plain: f64) -> String {
    match id {
        "compare" => if plain >= 0.5 { "Suggested" } else { "Manual" }.into(),
        "b1_on" | "match_levels" => if plain >= 0.5 { "On" } else { "Off" }.into(),
        _ => format!("{plain}"),
    }
}

/// The two test signals: broadband noise into the EQ, a pulsing low tone with some noise into
/// the Comp (so its threshold matters), both stereo, deterministic.
fn inputs() -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let a: Vec<Vec<f32>> = (0..2)
        .map(|_| (0..FRAMES).map(|_| 0.3 * noise()).collect())
        .collect();
    let tone: Vec<f32> = (0..FRAMES)
        .map(|i| {
            let t = i as f32 / SR as f32;
            0.3 * (std::f32::consts::TAU * 110.0 * t).sin()
                * (0.5 + 0.5 * (std::f32::consts::TAU * 1.5 * t).sin())
                + 0.05 * noise()
        })
        .collect();
    let shifted: Vec<f32> = (0..FRAMES).map(|i| tone[(i + 100) % FRAMES]).collect();
    (a, vec![tone, shifted])
}

fn write_f32(path: &Path, channels: &[Vec<f32>]) {
    tests::signals::write_wav_f32(path, channels, SR);
}

fn read_f32(path: &Path) -> Option<Vec<Vec<f32>>> {
    let mut r = hound::WavReader::open(path).ok()?;
    let spec = r.spec();
    if spec.sample_format != hound::SampleFormat::Float || spec.sample_rate != SR {
        return None;
    }
    let ch = spec.channels as usize;
    let s: Vec<f32> = r.samples::<f32>().collect::<Result<_, _>>().ok()?;
    Some(
        (0..ch)
            .map(|c| s.iter().skip(c).step_by(ch).copied().collect())
            .collect(),
    )
}

/// The CLAP host's render of `input` through `put` with the static setting and the lanes of
/// `track`: blocks of [`BLOCK`], split where a step falls, each change sent at the start of the
/// block that begins on it (where Ardour splits its cycle and hands the plugin the new value),
/// latency-compensated as Ardour does.
fn harness_render(put: &PluginUnderTest, track: &str, input: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let mut plugin: TestPlugin = put.instantiate();
    let mut changes: Vec<(usize, u32, f64)> = Vec::new();
    let mut at_start = Vec::new();
    let id_of = |plugin: &mut TestPlugin, key: &str, plain: f64| {
        let p = plugin
            .param(key)
            .unwrap_or_else(|| panic!("{}: no parameter {key}", put.name));
        let v = plugin
            .text_to_value(p.id, &text_for(key, plain))
            .unwrap_or_else(|| panic!("{}: {key} cannot parse {plain}", put.name));
        (p.id, v)
    };
    for st in STATIC.iter().filter(|st| st.0 == track) {
        at_start.push(id_of(&mut plugin, st.2, st.3));
    }
    // The saved suggestion, loaded as a host restores a project.
    let mut state = parse_nice_plug_state(&plugin.save_state().unwrap()).unwrap();
    state["fields"]["suggestion"] =
        serde_json::Value::String(serde_json::to_string(&saved_suggestion(track)).unwrap());
    plugin.load_state(&make_nice_plug_state(&state)).unwrap();
    for lane in LANES.iter().filter(|l| l.track == track) {
        for &(at, plain) in lane.steps {
            let (id, v) = id_of(&mut plugin, lane.id, plain);
            if at == 0 {
                at_start.push((id, v));
            } else {
                changes.push((at, id, v));
            }
        }
    }
    for (id, v) in at_start {
        plugin.set_param_via_flush(id, v);
    }
    plugin.activate(SR as f64, BLOCK as u32).unwrap();
    // Ardour compensates each track's latency: the export is the plugin's output moved earlier
    // by its latency. Render that much silence past the end and drop the delay. It aligns the
    // automation with what is heard too: a step at sample T reaches a plugin with latency L at
    // its input sample T + L, so that the output changes at T.
    let latency = plugin.latency().unwrap_or(0) as usize;
    for c in &mut changes {
        c.0 += latency;
    }
    let total = FRAMES + latency;
    let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(total); input.len()];
    let mut pos = 0;
    while pos < total {
        let block_end = ((pos / BLOCK) + 1) * BLOCK;
        let next_change = changes
            .iter()
            .map(|c| c.0)
            .filter(|&at| at > pos)
            .min()
            .unwrap_or(usize::MAX);
        let end = block_end.min(next_change).min(total);
        let events: Vec<ParamChange> = changes
            .iter()
            .filter(|c| c.0 == pos)
            .map(|c| ParamChange::new(0, c.1, c.2))
            .collect();
        let chunk: Vec<Vec<f32>> = input
            .iter()
            .map(|c| {
                (pos..end)
                    .map(|i| c.get(i).copied().unwrap_or(0.0))
                    .collect()
            })
            .collect();
        let y = plugin.process_main(&chunk, &events).unwrap();
        for (o, c) in out.iter_mut().zip(y) {
            o.extend_from_slice(&c);
        }
        pos = end;
    }
    for o in &mut out {
        o.drain(..latency);
    }
    plugin.deactivate();
    out
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

/// `ardour7-export` of the session to a float WAV, up to three tries (see the header);
/// `expected` is the CLAP host's render, which tells Ardour's glitch from anything else.
fn export(home: &Path, session: &Path, out: &Path, expected: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let mut log = String::new();
    for attempt in 1..=3 {
        let _ = std::fs::remove_file(out);
        let result = Command::new("timeout")
            .args(["120", "ardour7-export", "-b", "float", "-o"])
            .arg(out)
            .arg(session)
            .arg("s")
            .env("VST3_PATH", std::fs::canonicalize(bundle_dir()).unwrap())
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .output()
            .expect("run ardour7-export");
        log.push_str(&format!(
            "try {attempt}: {}\n{}",
            result.status,
            String::from_utf8_lossy(&result.stderr)
        ));
        if let Some(audio) = read_f32(out).filter(|a| a.len() == 2 && a[0].len() == FRAMES) {
            match ardour_export_glitch(&audio, expected) {
                None => return audio,
                Some(what) => log.push_str(&format!("try {attempt}: {what}\n")),
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("ardour7-export did not write the whole session cleanly in three tries:\n{log}");
}

/// Ardour 7.3's export glitch, seen about once in 30 exports on a loaded machine: at every
/// multiple of 2048 samples from 2048 to the end, one channel's sample is off by one constant,
/// everything else exact. In most runs the sample holds one absurd value (1e4 to 1e31); once
/// (2026-12-07, clean-clone CI) every such sample was 55.19 above what it should be. It is
/// Ardour's: the same session exported 100 times with both Tandem plugins deactivated showed it
/// too (2026-12-06). Only that exact pattern against `expected` (the CLAP host's render) counts:
/// one channel, every multiple of the period and nothing else off by more than the test's bar,
/// and either one value held there or one difference (the same to 1e-5 of it); anything else a
/// plugin could produce fails the comparison below.
fn ardour_export_glitch(audio: &[Vec<f32>], expected: &[Vec<f32>]) -> Option<String> {
    const PERIOD: usize = 2048;
    let mut found = None;
    for (c, (ch, want)) in audio.iter().zip(expected).enumerate() {
        let off: Vec<usize> = (0..ch.len())
            .filter(|&i| {
                let d = (ch[i] - want[i]).abs();
                d.is_nan() || d > MAX_DIFF
            })
            .collect();
        if off.is_empty() {
            continue;
        }
        let period: Vec<usize> = (1..)
            .map(|k| k * PERIOD)
            .take_while(|&i| i < ch.len())
            .collect();
        if found.is_some() || off != period {
            return None;
        }
        let value = ch[off[0]];
        let held = value.is_finite()
            && value.abs() > 2.0
            && off.iter().all(|&i| ch[i].to_bits() == value.to_bits());
        let diff = value - want[off[0]];
        let shifted = diff.is_finite()
            && off
                .iter()
                .all(|&i| ((ch[i] - want[i]) - diff).abs() <= 1e-5 * diff.abs());
        found = if held {
            Some(format!("channel {c} holds {value:e}"))
        } else if shifted {
            Some(format!("channel {c} is off by {diff:e}"))
        } else {
            return None;
        };
    }
    found.map(|what| {
        format!(
            "Ardour's export glitch: {what} at every multiple of {PERIOD} samples; exporting again"
        )
    })
}

fn python_available() -> bool {
    if tests::xvfb::which("python3") {
        return true;
    }
    tests::xvfb::require_or_skip("python3 missing", "the Ardour round trip")
}

#[test]
fn ardour_session_with_automation_renders_what_the_clap_host_renders_and_reopens() {
    if !ardour_available() || !python_available() {
        return;
    }
    let home = sandbox("roundtrip");
    for put in [&EQ, &COMP] {
        let bundle = bundle_dir().join(format!("{}.vst3", put.name));
        assert!(
            bundle.exists(),
            "{} is missing: cargo xtask bundle-all",
            bundle.display()
        );
        scan(&std::fs::canonicalize(&bundle).unwrap(), &home);
    }
    let (a, b) = inputs();
    let (a_wav, b_wav) = (home.join("a.wav"), home.join("b.wav"));
    write_f32(&a_wav, &a);
    write_f32(&b_wav, &b);

    // The session, its automation and its audio.
    let session = home.join("session");
    let scripts = workspace_root().join("tests/ardour");
    let automation: Vec<String> = LANES
        .iter()
        .map(|l| {
            let steps: Vec<String> = l.steps.iter().map(|(at, v)| format!("{at}={v}")).collect();
            format!("{} {} {}", l.track, l.name, steps.join(" "))
        })
        .collect();
    let statics: Vec<String> = STATIC
        .iter()
        .map(|(track, name, _, v)| format!("{track} {name} {v}"))
        .collect();
    let built = run(
        Command::new("timeout")
            .args(["120", "ardour7-lua"])
            .arg(scripts.join("build_session.lua"))
            .env("VST3_PATH", std::fs::canonicalize(bundle_dir()).unwrap())
            .env("SESS_DIR", &session)
            .env("SESS_NAME", "s")
            .env("STATIC", statics.join("\n"))
            .env("AUTOMATION", automation.join("\n"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_CONFIG_HOME", home.join("config")),
        "ardour7-lua build_session.lua",
    );
    assert_eq!(built.matches("lane ").count(), LANES.len(), "{built}");
    let arg = |track: &str, wav: &Path| format!("{track}={}:{FRAMES}:2", wav.display());
    run(
        Command::new("python3")
            .arg(scripts.join("add_regions.py"))
            .arg(session.join("s.ardour"))
            .arg(arg("EQ", &a_wav))
            .arg(arg("Comp", &b_wav)),
        "add_regions.py",
    );

    // Each plugin's saved suggestion, written into the session's plugin state.
    let state_tool = scripts.join("plugin_state.py");
    for (track, plugin) in [("EQ", "Tandem EQ"), ("Comp", "Tandem Comp")] {
        let file = home.join(format!("{track}.suggestion.json"));
        std::fs::write(
            &file,
            serde_json::to_string(&saved_suggestion(track)).unwrap(),
        )
        .unwrap();
        run(
            Command::new("python3")
                .arg(&state_tool)
                .arg("set")
                .arg(session.join("s.ardour"))
                .arg(plugin)
                .arg("suggestion")
                .arg(&file),
            "plugin_state.py set",
        );
    }

    // Ardour's render against the CLAP host's.
    let ya = harness_render(&EQ, "EQ", &a);
    let yb = harness_render(&COMP, "Comp", &b);
    let expected: Vec<Vec<f32>> = (0..2)
        .map(|c| ya[c].iter().zip(&yb[c]).map(|(x, y)| x + y).collect())
        .collect();
    let exported = export(&home, &session, &home.join("out.wav"), &expected);
    let dump = |d: &Path| {
        std::fs::create_dir_all(d).unwrap();
        write_f32(&d.join("ya.wav"), &ya);
        write_f32(&d.join("yb.wav"), &yb);
        write_f32(&d.join("exported.wav"), &exported);
        write_f32(&d.join("a.wav"), &a);
        write_f32(&d.join("b.wav"), &b);
    };
    if let Some(d) = std::env::var_os("TANDEM_ARDOUR_DUMP") {
        dump(Path::new(&d));
    }
    let mut worst = (0.0f32, 0usize);
    for c in 0..2 {
        for i in 0..FRAMES {
            let d = (exported[c][i] - expected[c][i]).abs();
            if d > worst.0 {
                worst = (d, i);
            }
        }
    }
    // The automation acted: the rendered sections differ where the steps fall.
    let moved = |y: &[Vec<f32>], x: &[Vec<f32>], at: usize| -> f32 {
        (at..at + 4800)
            .map(|i| (y[0][i] - x[0][i]).abs())
            .fold(0.0, f32::max)
    };
    assert!(
        moved(&ya, &a, 100_000) > 0.01,
        "the EQ gain step changed nothing"
    );
    eprintln!(
        "Ardour export vs CLAP host: largest difference {:.1} dBFS at sample {}",
        20.0 * worst.0.max(1e-12).log10(),
        worst.1
    );
    if worst.0 > MAX_DIFF {
        // Keep what failed to look at (the inputs, both renders and the export).
        let kept = workspace_root()
            .join("target")
            .join("ardour-roundtrip-failure");
        dump(&kept);
        panic!(
            "Ardour's export differs from the CLAP host's render by {:.1} dBFS at sample {} \
             (bar −90 dBFS); the inputs, renders and export are in {}",
            20.0 * worst.0.max(1e-12).log10(),
            worst.1,
            kept.display()
        );
    }

    // Reopened: the parameters as saved (the automation's value at the session start).
    let reopened = run(
        Command::new("timeout")
            .args(["120", "ardour7-lua"])
            .arg(scripts.join("reopen.lua"))
            .env("VST3_PATH", std::fs::canonicalize(bundle_dir()).unwrap())
            .env("SESS_DIR", &session)
            .env("SESS_NAME", "s")
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_CONFIG_HOME", home.join("config")),
        "ardour7-lua reopen.lua",
    );
    let value = |track: &str, name: &str| -> f64 {
        let prefix = format!("param|{track}|{name}|");
        reopened
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("reopened session has no {track}/{name}:\n{reopened}"))
    };
    assert_eq!(value("EQ", "Band 1 On"), 1.0);
    assert_eq!(value("EQ", "Match Levels"), 0.0);
    assert_eq!(value("Comp", "Threshold"), -18.0);
    // Ardour loaded the session and saved it again (reopen.lua saves): each plugin's suggestion
    // came back through its own state, unchanged.
    for (track, plugin) in [("EQ", "Tandem EQ"), ("Comp", "Tandem Comp")] {
        let text = run(
            Command::new("python3")
                .arg(&state_tool)
                .arg("get")
                .arg(session.join("s.ardour"))
                .arg(plugin)
                .arg("suggestion"),
            "plugin_state.py get",
        );
        let back: Suggestion = serde_json::from_str(text.trim())
            .unwrap_or_else(|e| panic!("{plugin}: no suggestion after reopening ({e}): {text}"));
        assert_eq!(
            back,
            saved_suggestion(track),
            "{plugin}: the suggestion changed"
        );
    }
    let _ = std::fs::remove_dir_all(&home);
}

/// The glitch detector recognises only Ardour's pattern (as recorded in the failing runs), never
/// what a misbehaving plugin could write.
#[test]
fn only_ardours_export_glitch_is_retried() {
    // What the CLAP host rendered: a signal that varies, so a held value and a shifted one differ.
    let want: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            (0..FRAMES)
                .map(|i| 0.5 * ((i as f32 * 0.01) + c as f32).sin())
                .collect()
        })
        .collect();
    let check = |a: &[Vec<f32>]| ardour_export_glitch(a, &want);
    assert!(check(&want).is_none());
    let glitch = |c: usize, f: &dyn Fn(f32) -> f32| {
        let mut a = want.clone();
        for i in (2048..FRAMES).step_by(2048) {
            a[c][i] = f(a[c][i]);
        }
        a
    };
    let held = |c: usize, v: f32| glitch(c, &move |_| v);
    let shifted = |c: usize, d: f32| glitch(c, &move |x| x + d);
    for (c, v) in [(0, -8.029_266e12f32), (1, 2.302_268e24), (0, 67_600.0)] {
        assert!(check(&held(c, v)).is_some(), "held {c} {v}");
    }
    for (c, d) in [(0, 55.193_77f32), (1, -0.088)] {
        assert!(check(&shifted(c, d)).is_some(), "shifted {c} {d}");
    }
    // Anything else is the plugins' business: a sample off the period, a gap in the period, a
    // second value or difference, both channels, a non-finite value, a small held value (it
    // differs from the render by a varying amount).
    let mut a = held(0, 1e20);
    a[0][100] = 1e20;
    assert!(check(&a).is_none());
    let mut a = shifted(0, 55.0);
    a[0][100] += 55.0;
    assert!(check(&a).is_none());
    let mut a = held(0, 1e20);
    a[0][4096] = want[0][4096];
    assert!(check(&a).is_none());
    let mut a = held(0, 1e20);
    a[0][6144] = 2e20;
    assert!(check(&a).is_none());
    let mut a = shifted(0, 55.0);
    a[0][6144] += 1.0;
    assert!(check(&a).is_none());
    let mut a = held(0, 1e20);
    a[1] = a[0].clone();
    assert!(check(&a).is_none());
    assert!(check(&held(1, f32::INFINITY)).is_none());
    assert!(check(&held(1, f32::NAN)).is_none());
    assert!(check(&held(0, 1.5)).is_none());
}
