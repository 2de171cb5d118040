//! What a learning instance costs, measured (not a CI test: it plays music in real time).
//! Each plugin's release bundle gets 30 s of a real track (the smoke subset's 44.1 kHz score)
//! in 128-frame blocks paced to the wall clock, as a DAW plays it; the CPU time of the
//! instance's analysis thread (from /proc) over those 30 s, as a share of one core, must stay
//! within the learning budget (about 2 %; the test fails above 5 %, where the old Comp loop was
//! at 21 %).
//!
//! ```text
//! tools/eval/fetch-music.sh --smoke target/eval-smoke
//! cargo xtask bundle-all --release
//! cargo build --release -p tandem-cli
//! cargo test --release -p tests --test clap_learning_cost -- --ignored --nocapture
//! cargo xtask bundle-all --features ...   # the debug bundles again before `cargo test`
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tests::clap_host::each_plugin;

const BLOCK: usize = 128;
const SECONDS: f64 = 30.0;
const TRACK: &str = "adventure-drascula2.ogg";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// CPU seconds (user + system) of this process's threads whose name starts with `prefix`.
fn thread_cpu_seconds(prefix: &str) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the ")" that ends the name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() > 12 {
            let ut: f64 = f[11].parse().unwrap_or(0.0);
            let st: f64 = f[12].parse().unwrap_or(0.0);
            total += (ut + st) / tick;
        }
    }
    total
}

fn decode(track: &Path) -> (Vec<Vec<f32>>, u32) {
    let target = workspace().join("target");
    let bin = ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("tandem"))
        .find(|p| p.exists())
        .expect("build the tandem CLI first");
    let wav = std::env::temp_dir().join(format!("tandem-cost-{}.wav", std::process::id()));
    let out = Command::new(bin)
        .args(["render", "eq", track.to_str().unwrap(), "-o"])
        .arg(&wav)
        .args(["--bits", "32f"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = hound::WavReader::open(&wav).unwrap();
    let spec = r.spec();
    let ch = spec.channels as usize;
    let s: Vec<f32> = r.samples::<f32>().map(|x| x.unwrap()).collect();
    let _ = std::fs::remove_file(&wav);
    let audio = (0..ch)
        .map(|c| s.iter().skip(c).step_by(ch).copied().collect())
        .collect();
    (audio, spec.sample_rate)
}

#[test]
#[ignore = "a measurement: plays 30 s per plugin in real time (see the file's header)"]
fn a_learning_instance_costs_about_2_percent_of_a_core() {
    let track = ["target/eval-smoke/eval", "eval-music/eval"]
        .iter()
        .map(|d| workspace().join(d).join(TRACK))
        .find(|p| p.exists())
        .expect("adventure-drascula2.ogg missing: fetch the smoke subset");
    let (audio, rate) = decode(&track);
    let frames = ((SECONDS * rate as f64) as usize).min(audio[0].len());
    let mut report = Vec::new();
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        plugin.activate(rate as f64, BLOCK as u32).unwrap();
        // Linux keeps 15 bytes of a thread name: "Tandem Comp ana".
        let prefix: String = format!("{} analysis", put.name).chars().take(15).collect();
        std::thread::sleep(Duration::from_millis(200));
        let cpu0 = thread_cpu_seconds(&prefix);
        let t0 = Instant::now();
        for (k, start) in (0..frames).step_by(BLOCK).enumerate() {
            let n = BLOCK.min(frames - start);
            let chunk: Vec<Vec<f32>> = audio.iter().map(|c| c[start..start + n].to_vec()).collect();
            plugin.process_main(&chunk, &[]).unwrap();
            // Real time: block k ends at (k + 1) blocks of audio after t0.
            let due = Duration::from_secs_f64((k + 1) as f64 * BLOCK as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(t0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let wall = t0.elapsed().as_secs_f64();
        let cpu = thread_cpu_seconds(&prefix) - cpu0;
        let share = 100.0 * cpu / wall;
        eprintln!(
            "{}: analysis thread {:.2} s of CPU over {:.1} s played: {:.2} % of a core",
            put.name, cpu, wall, share
        );
        report.push((put.name, share));
        plugin.deactivate();
    }
    for (name, share) in report {
        assert!(share < 5.0, "{name}: learning costs {share:.1} % of a core");
    }
}
