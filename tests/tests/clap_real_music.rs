//! The plugins through their built CLAP bundles on real, mastered music: a whole track of the
//! evaluation set's smoke subset is played through each plugin as a host would (at the file's
//! sample rate, in 512-frame blocks, paced so the analysis thread keeps up), and the learned
//! suggestion is read from the plugin's saved state.
//!
//! - Tandem Master: the track rendered with it (by the `tandem` CLI, which renders what the
//!   plugin plays: see `clap_vs_cli.rs`) must land within ±0.5 LU of the platform target — the
//!   bar of issue 16 for what the plugin proposes.
//! - One play-through hears the song (issue 19): the plugin's suggestion is close to what
//!   `tandem suggest` proposes for the same whole file — EQ curve within 2 dB RMS (1/6-octave
//!   points, 30 Hz–16 kHz), Comp threshold within 2 dB, Master limiter drive within 1.5 dB.
//!
//! The music comes from `tools/eval/fetch-music.sh --smoke target/eval-smoke` (`cargo xtask
//! test` runs it first). Without it the test fails when `TANDEM_REQUIRE_HOSTS` is set (as
//! `cargo xtask test` does) and otherwise prints why it did not run.
//!
//! The Master's bar on the whole evaluation set (12 tracks, about 6 minutes; not in CI), after
//! `tools/eval/fetch-music.sh eval-music`, with the debug bundles and CLI built (as `cargo
//! xtask test` leaves them):
//!
//! ```text
//! cargo test -p tests --test clap_real_music -- --ignored --nocapture
//! ```

use dsp_core::chains::eq::EqChain;
use dsp_core::chains::Chain;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tests::clap_host::{parse_nice_plug_state, PluginUnderTest, TestPlugin, COMP, EQ, MASTER};

const BLOCK: usize = 512;
/// The track played: the smoke subset's 44.1 kHz acoustic adventure score (−16.5 LUFS, 3:18).
const TRACK: &str = "adventure-drascula2.ogg";
/// Spotify, the plugin's default target.
const TARGET_LUFS: f64 = -14.0;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tandem_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let bin = target.join("debug/tandem");
    assert!(
        bin.exists(),
        "{} missing: cargo test --workspace builds it",
        bin.display()
    );
    bin
}

fn tandem(args: &[&str]) -> String {
    let out = Command::new(tandem_binary()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "tandem {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn integrated_lufs(path: &Path) -> f64 {
    let v: serde_json::Value =
        serde_json::from_str(&tandem(&["analyze", path.to_str().unwrap(), "--json"])).unwrap();
    v["loudness"]["integrated_lufs"].as_f64().unwrap()
}

fn suggestion_in_state(plugin: &mut TestPlugin) -> Option<serde_json::Value> {
    let state = parse_nice_plug_state(&plugin.save_state().ok()?)?;
    let field = state["fields"]["suggestion"].as_str()?.to_string();
    let v: serde_json::Value = serde_json::from_str(&field).ok()?;
    (!v.is_null()).then_some(v)
}

/// One test at a time: each plays a whole track paced against the clock.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The smoke track decoded to a 32-bit float WAV in `dir` (see [`decode`]). `None` (or a
/// failure under CI) when the music was not fetched.
fn decoded(dir: &Path) -> Option<(PathBuf, Vec<Vec<f32>>, u32)> {
    let music = workspace().join("target/eval-smoke/eval").join(TRACK);
    if !music.exists() {
        let required =
            std::env::var_os("CI").is_some() || std::env::var_os("TANDEM_REQUIRE_HOSTS").is_some();
        let why = format!(
            "{} missing: run tools/eval/fetch-music.sh --smoke target/eval-smoke",
            music.display()
        );
        assert!(!required, "{why}");
        eprintln!("skipped: {why}");
        return None;
    }
    Some(decode(&music, dir))
}

/// `music` decoded to a 32-bit float WAV in `dir` (through the CLI: an EQ with every band off
/// passes the audio through unchanged): (path, planar audio, sample rate).
fn decode(music: &Path, dir: &Path) -> (PathBuf, Vec<Vec<f32>>, u32) {
    std::fs::create_dir_all(dir).unwrap();
    let wav = dir.join("track.wav");
    tandem(&[
        "render",
        "eq",
        music.to_str().unwrap(),
        "-o",
        wav.to_str().unwrap(),
        "--bits",
        "32f",
    ]);
    let mut r = hound::WavReader::open(&wav).unwrap();
    let spec = r.spec();
    let ch = spec.channels as usize;
    let s: Vec<f32> = r.samples::<f32>().map(|x| x.unwrap()).collect();
    let audio: Vec<Vec<f32>> = (0..ch)
        .map(|c| s.iter().skip(c).step_by(ch).copied().collect())
        .collect();
    (wav, audio, spec.sample_rate)
}

/// Plays `audio` once through a fresh instance of `put` and returns the suggestion it holds
/// when the transport stops and the thread has settled.
fn learn(put: &PluginUnderTest, audio: &[Vec<f32>], rate: u32) -> serde_json::Value {
    let len = audio[0].len();
    let mut plugin = put.instantiate();
    plugin.activate(rate as f64, BLOCK as u32).unwrap();
    // About 20× real time: the debug analysis thread keeps up.
    let pace = Duration::from_secs_f64(BLOCK as f64 / rate as f64 / 20.0);
    let t0 = Instant::now();
    for (k, start) in (0..len).step_by(BLOCK).enumerate() {
        let n = BLOCK.min(len - start);
        let chunk: Vec<Vec<f32>> = audio.iter().map(|c| c[start..start + n].to_vec()).collect();
        plugin.process_main(&chunk, &[]).unwrap();
        let due = pace * (k as u32 + 1);
        if let Some(wait) = due.checked_sub(t0.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    // The transport stops: the thread brings a suggestion that is still learning up to date
    // with everything heard (a held one stays). Wait until it no longer changes.
    let t1 = Instant::now();
    let mut last: Option<serde_json::Value> = None;
    let suggestion = loop {
        std::thread::sleep(Duration::from_secs(2));
        let now = suggestion_in_state(&mut plugin);
        if let Some(s) = now.as_ref().filter(|_| now == last) {
            break s.clone();
        }
        assert!(
            t1.elapsed() < Duration::from_secs(120),
            "{}: no settled suggestion",
            put.key
        );
        last = now;
    };
    plugin.deactivate();
    suggestion
}

/// What `tandem suggest <key>` proposes for the whole file (its default target or style).
fn cli_suggestion(key: &str, wav: &Path) -> serde_json::Value {
    serde_json::from_str(&tandem(&["suggest", key, wav.to_str().unwrap(), "--json"])).unwrap()
}

/// A suggested value (`values` holds the whole suggested set), `None` when absent.
fn value(s: &serde_json::Value, id: &str) -> Option<f64> {
    s["values"][id].as_f64()
}

/// The suggested EQ's response (dB) at 1/6-octave points from 30 Hz to 16 kHz.
fn eq_curve(s: &serde_json::Value, rate: u32) -> Vec<f64> {
    let map: BTreeMap<String, f32> = s["values"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()? as f32)))
                .collect()
        })
        .unwrap_or_default();
    let eq = EqChain::from_param_map(&map);
    (0..)
        .map(|k| 30.0 * 2f64.powf(k as f64 / 6.0))
        .take_while(|f| *f <= 16_000.0)
        .map(|f| eq.magnitude_db(f, rate as f64))
        .collect()
}

fn rms_difference(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()).max(1);
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / n as f64).sqrt()
}

#[test]
fn eq_and_comp_learn_in_one_play_through_what_the_cli_hears_in_the_file() {
    let _serial = serial();
    let dir = std::env::temp_dir().join(format!("tandem-real-music-ec-{}", std::process::id()));
    let Some((wav, audio, rate)) = decoded(&dir) else {
        return;
    };
    let eq = learn(&EQ, &audio, rate);
    let eq_cli = cli_suggestion("eq", &wav);
    let eq_rms = rms_difference(&eq_curve(&eq, rate), &eq_curve(&eq_cli, rate));
    let comp = learn(&COMP, &audio, rate);
    let comp_cli = cli_suggestion("comp", &wav);
    let _ = std::fs::remove_dir_all(&dir);
    let (t, t_cli) = (value(&comp, "threshold"), value(&comp_cli, "threshold"));
    eprintln!(
        "{TRACK}: EQ curve {eq_rms:.2} dB RMS from the CLI's ({:.0} s heard, stable {}); \
         Comp threshold {t:?} vs the CLI's {t_cli:?} dBFS ({:.0} s heard, stable {})",
        eq["heard_seconds"].as_f64().unwrap_or(0.0),
        eq["stable"],
        comp["heard_seconds"].as_f64().unwrap_or(0.0),
        comp["stable"],
    );
    // No hold before the minimum coverage: a suggestion marked stable rests on enough music.
    for (name, s, min) in [
        ("EQ", &eq, dsp_core::assistant::eq::MIN_STABLE_SECONDS),
        ("Comp", &comp, dsp_core::assistant::comp::MIN_STABLE_SECONDS),
    ] {
        let heard = s["heard_seconds"].as_f64().unwrap_or(0.0);
        assert!(
            s["stable"] != true || heard >= min as f64,
            "{TRACK}: the {name} held a suggestion made on {heard:.0} s (minimum {min} s)"
        );
    }
    assert!(
        eq_rms <= 2.0,
        "{TRACK}: the EQ's learned curve is {eq_rms:.2} dB RMS from the CLI's (bar 2 dB)"
    );
    let (Some(t), Some(t_cli)) = (t, t_cli) else {
        panic!("{TRACK}: a threshold is missing: plugin {t:?}, CLI {t_cli:?}");
    };
    assert!(
        (t - t_cli).abs() <= 2.0,
        "{TRACK}: the Comp learned a threshold of {t:.1} dBFS, the CLI proposes {t_cli:.1} (bar 2 dB)"
    );
}

/// What the Master learned in one play-through of a track and how the track renders with it.
struct MasterRun {
    seconds: f64,
    heard: f64,
    /// The render with the learned suggestion, LUFS.
    lufs: f64,
    /// The learned limiter drive and the CLI's for the whole file, dB.
    drive: f64,
    drive_cli: f64,
}

/// Plays the decoded `wav` (planar `audio` at `rate`) once through Tandem Master, renders the
/// file with the learned suggestion (all of it, at 100 %) through the CLI, and measures it.
fn master_run(name: &str, dir: &Path, wav: &Path, audio: &[Vec<f32>], rate: u32) -> MasterRun {
    let seconds = audio[0].len() as f64 / rate as f64;
    let suggestion = learn(&MASTER, audio, rate);
    let heard = suggestion["heard_seconds"].as_f64().unwrap_or(0.0);
    eprintln!(
        "{name}: {seconds:.0} s played, {heard:.0} s heard, stable {}; limiter: {}",
        suggestion["stable"],
        suggestion["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["key"] == "limiter"))
            .map_or(String::new(), |i| i["reason"].to_string())
    );
    let preset = dir.join("suggestion.json");
    std::fs::write(&preset, serde_json::to_string(&suggestion).unwrap()).unwrap();
    let out = dir.join("mastered.wav");
    tandem(&[
        "render",
        "master",
        wav.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--preset",
        preset.to_str().unwrap(),
        "--bits",
        "32f",
    ]);
    let lufs = integrated_lufs(&out);
    let cli = cli_suggestion("master", wav);
    let run = MasterRun {
        seconds,
        heard,
        lufs,
        drive: value(&suggestion, "lim_drive").unwrap_or(0.0),
        drive_cli: value(&cli, "lim_drive").unwrap_or(0.0),
    };
    eprintln!(
        "{name}: limiter drive {:.2} dB, the CLI's {:.2} dB; the learned suggestion renders at \
         {lufs:.2} LUFS",
        run.drive, run.drive_cli
    );
    run
}

#[test]
fn master_learns_a_whole_track_and_its_suggestion_meets_the_target() {
    let _serial = serial();
    let dir = std::env::temp_dir().join(format!("tandem-real-music-{}", std::process::id()));
    let Some((wav, audio, rate)) = decoded(&dir) else {
        return;
    };
    let run = master_run(TRACK, &dir, &wav, &audio, rate);
    let _ = std::fs::remove_dir_all(&dir);
    let MasterRun {
        seconds,
        heard,
        lufs,
        drive: d,
        drive_cli: d_cli,
    } = run;
    // The suggestion held is not an intro's: at least the minimum coverage was heard.
    assert!(
        heard >= dsp_core::assistant::master::MIN_STABLE_SECONDS as f64,
        "{TRACK}: the suggestion rests on only {heard:.0} of {seconds:.0} s"
    );
    assert!(
        (lufs - TARGET_LUFS).abs() <= 0.5,
        "{TRACK}: the learned suggestion renders at {lufs:.2} LUFS against {TARGET_LUFS} \
         (heard {heard:.0} of {seconds:.0} s)"
    );
    assert!(
        (d - d_cli).abs() <= 1.5,
        "{TRACK}: the plugin learned a limiter drive of {d:.2} dB, the CLI proposes {d_cli:.2} \
         (bar 1.5 dB)"
    );
}

/// Issue 16's bar for the Master plugin on every track of the evaluation set
/// (`eval-music/eval`, see the file's header): each whole track played once, the learned
/// suggestion renders within ±0.5 LU of the target. Prints a line per track, then fails with
/// every miss.
#[test]
#[ignore = "the whole evaluation set through the Master, about 6 minutes: run by hand"]
fn master_learns_every_track_of_the_evaluation_set_and_meets_the_target() {
    let _serial = serial();
    let set = workspace().join("eval-music/eval");
    let manifest = std::fs::read_to_string(set.join("manifest.tsv")).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run tools/eval/fetch-music.sh eval-music)",
            set.display()
        )
    });
    let dir = std::env::temp_dir().join(format!("tandem-real-music-set-{}", std::process::id()));
    let mut rows = Vec::new();
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (id, file) = (fields[0], fields[2]);
        let (wav, audio, rate) = decode(&set.join(file), &dir);
        let run = master_run(id, &dir, &wav, &audio, rate);
        rows.push((id.to_string(), run));
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("track                  played s  heard s  render LUFS  error LU  drive dB  CLI dB");
    for (id, r) in &rows {
        eprintln!(
            "{id:<22} {:>8.0} {:>8.0} {:>12.2} {:>+9.2} {:>9.2} {:>7.2}",
            r.seconds,
            r.heard,
            r.lufs,
            r.lufs - TARGET_LUFS,
            r.drive,
            r.drive_cli
        );
    }
    let misses: Vec<String> = rows
        .iter()
        .filter(|(_, r)| (r.lufs - TARGET_LUFS).abs() > 0.5)
        .map(|(id, r)| format!("{id} at {:.2} LUFS", r.lufs))
        .collect();
    assert!(
        misses.is_empty(),
        "the learned suggestion misses {TARGET_LUFS} LUFS by more than 0.5 LU: {misses:?}"
    );
}
