//! What a learning instance costs, measured (not a CI test: it plays music in real time).
//! Each plugin's release bundle gets 30 s of a real track (the smoke subset's 44.1 kHz score)
//! in 128-frame blocks paced to the wall clock, as a DAW plays it; the CPU time of the
//! instance's analysis thread (from /proc) over those 30 s, as a share of one core, must stay
//! within the learning budget (about 2 %; the test fails above 5 %, where the old Comp loop was
//! at 21 %). Each plugin plays twice: with static parameters, and with one parameter automated
//! every 100 ms of audio (EQ band 1 gain, Comp threshold, Master limiter drive), as a moving
//! automation lane in a DAW; both are reported, and both are held to the same bar. A second
//! measurement plays ten minutes of the track through one instance of each plugin and reports
//! the heap it holds once quiet (issue 18's bar: 10 MB) and the resident growth. A third plays the track through 64
//! instances of each plugin at once in one process, all learning, paced in real time, and
//! reports whether the audio thread kept up, the CPU per instance and the memory.
//!
//! ```text
//! tools/eval/fetch-music.sh --smoke target/eval-smoke
//! cargo xtask bundle-all --release
//! cargo build --release -p tandem-cli
//! cargo test --release -p tests --test clap_learning_cost -- --ignored --nocapture
//! # TANDEM_PLUGIN="Tandem Master" before it: that plugin only; the memory measurement
//! # (an_instance_holds_under_10_mb_after_ten_minutes, 2 min per plugin) runs with it, and
//! # so does many_instances_learning_at_once_stay_real_time (1 min per plugin;
//! # TANDEM_INSTANCES=n for another count than 64)
//! cargo xtask bundle-all --features ...   # the debug bundles again before `cargo test`
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tests::clap_host::{each_plugin, ParamChange};

const BLOCK: usize = 128;
/// The automated runs move one parameter every this many seconds of audio.
const AUTOMATION_PERIOD_S: f64 = 0.1;

/// The parameter each plugin's automated run moves.
fn automated_param(plugin_name: &str) -> &'static str {
    match plugin_name {
        "Tandem EQ" => "b1_gain",
        "Tandem Comp" => "threshold",
        _ => "lim_drive",
    }
}
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

fn track() -> PathBuf {
    ["target/eval-smoke/eval", "eval-music/eval"]
        .iter()
        .map(|d| workspace().join(d).join(TRACK))
        .find(|p| p.exists())
        .expect("adventure-drascula2.ogg missing: fetch the smoke subset")
}

/// The plugins `TANDEM_PLUGIN` selects (all when unset).
fn selected() -> impl Iterator<Item = tests::clap_host::PluginUnderTest> {
    let only = std::env::var("TANDEM_PLUGIN").ok();
    each_plugin()
        .into_iter()
        .filter(move |p| only.as_deref().is_none_or(|n| n == p.name))
}

/// This process's resident memory in bytes (`/proc/self/statm`, 4 KiB pages).
/// Bytes the C allocator (glibc) holds in use for the program, whatever is resident: the live
/// data, without what fragmentation keeps.
fn allocated_bytes() -> u64 {
    /// glibc's `struct mallinfo2`.
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: a read-only query of the allocator's statistics, callable from any thread.
    let m = unsafe { mallinfo2() };
    (m.uordblks + m.hblkhd) as u64
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// What an instance holds after ten minutes of music: the heap it holds (allocated and in use)
/// once it has gone quiet, gained between before the instance was created and after it played
/// 600 s of the track (looped) in 128-frame blocks paced to 5× real time, so the analysis
/// thread hears it (its whole-song statistics grow with what it hears). The plugin's library is
/// loaded and its statics set up by a warm-up instance first, so they are not counted. Issue
/// 18's bar: ≤ 10 MB. The resident growth is printed too: it also holds what the allocator kept
/// from the pool worker's solves (buffers as long as the simulated excerpt, freed after each
/// solve), which one worker reuses for every instance it serves, so it does not grow with the
/// number of instances (`many_instances_learning_at_once_stay_real_time` prints the resident
/// memory per instance of 64).
#[test]
#[ignore = "a measurement: plays 10 minutes per plugin at 5x real time (see the file's header)"]
fn an_instance_holds_under_10_mb_after_ten_minutes() {
    const MINUTES: f64 = 10.0;
    const SPEED: f64 = 5.0;
    let (audio, rate) = decode(&track());
    let len = audio[0].len();
    let mut report = Vec::new();
    for put in selected() {
        {
            let mut warm = put.instantiate();
            warm.activate(rate as f64, BLOCK as u32).unwrap();
            let chunk: Vec<Vec<f32>> = audio.iter().map(|c| c[..BLOCK].to_vec()).collect();
            warm.process_main(&chunk, &[]).unwrap();
            warm.deactivate();
        }
        std::thread::sleep(Duration::from_millis(200));
        let before = resident_bytes();
        let allocated_before = allocated_bytes();
        let mut plugin = put.instantiate();
        plugin.activate(rate as f64, BLOCK as u32).unwrap();
        let frames = (MINUTES * 60.0 * rate as f64) as usize;
        let t0 = Instant::now();
        for (k, start) in (0..frames).step_by(BLOCK).enumerate() {
            let at = start % (len - BLOCK);
            let chunk: Vec<Vec<f32>> = audio.iter().map(|c| c[at..at + BLOCK].to_vec()).collect();
            plugin.process_main(&chunk, &[]).unwrap();
            let due = Duration::from_secs_f64((k + 1) as f64 * BLOCK as f64 / rate as f64 / SPEED);
            if let Some(wait) = due.checked_sub(t0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        // Let the analysis thread finish what is in its ring (and the suggestion it makes when
        // playback stops), then take the least of a few readings: a solve in progress holds
        // its excerpt-long buffers only while it runs.
        std::thread::sleep(Duration::from_secs(2));
        let mut live = u64::MAX;
        for _ in 0..12 {
            live = live.min(allocated_bytes().saturating_sub(allocated_before));
            std::thread::sleep(Duration::from_millis(250));
        }
        let resident = resident_bytes().saturating_sub(before);
        eprintln!(
            "{}: {:.1} MB allocated and in use after {MINUTES} minutes of music at {SPEED}x \
             real time ({:.1} MB resident growth, with what the allocator kept)",
            put.name,
            live as f64 / 1e6,
            resident as f64 / 1e6
        );
        report.push((put.name, live));
        plugin.deactivate();
    }
    for (name, held) in report {
        assert!(held < 10_000_000, "{name}: {held} bytes after ten minutes");
    }
}

#[test]
#[ignore = "a measurement: plays 30 s per plugin in real time (see the file's header)"]
fn a_learning_instance_costs_about_2_percent_of_a_core() {
    let (audio, rate) = decode(&track());
    let frames = ((SECONDS * rate as f64) as usize).min(audio[0].len());
    let mut report = Vec::new();
    // TANDEM_PLUGIN="Tandem Master" measures one plugin only (e.g. under a profiler).
    for put in selected() {
        for automate in [false, true] {
            let mut plugin = put.instantiate();
            plugin.activate(rate as f64, BLOCK as u32).unwrap();
            let lane = automate.then(|| {
                let key = automated_param(put.name);
                let p = plugin.param(key).unwrap_or_else(|| panic!("{key}"));
                (p.id, p.lerp(0.4), p.lerp(0.6))
            });
            // The EQ's band 1 is switched on in the first block, so that moving its gain
            // changes the sound (the other plugins have no such parameter).
            let band_on = plugin
                .param("b1_on")
                .map(|p| ParamChange::new(0, p.id, p.max));
            // Linux keeps 15 bytes of a thread name: "Tandem Comp ana".
            let prefix: String = format!("{} analysis", put.name).chars().take(15).collect();
            std::thread::sleep(Duration::from_millis(200));
            let cpu0 = thread_cpu_seconds(&prefix);
            let t0 = Instant::now();
            let period = (AUTOMATION_PERIOD_S * rate as f64) as usize;
            let mut changes = 0usize;
            for (k, start) in (0..frames).step_by(BLOCK).enumerate() {
                let n = BLOCK.min(frames - start);
                let chunk: Vec<Vec<f32>> =
                    audio.iter().map(|c| c[start..start + n].to_vec()).collect();
                // A change at the first frame of each automation period in this block.
                let mut events: Vec<ParamChange> = band_on.filter(|_| k == 0).into_iter().collect();
                if let Some((id, lo, hi)) = lane {
                    let first = start.div_ceil(period) * period;
                    if first < start + n {
                        let value = if (first / period).is_multiple_of(2) {
                            lo
                        } else {
                            hi
                        };
                        events.push(ParamChange::new((first - start) as u32, id, value));
                        changes += 1;
                    }
                }
                plugin.process_main(&chunk, &events).unwrap();
                // Real time: block k ends at (k + 1) blocks of audio after t0.
                let due = Duration::from_secs_f64((k + 1) as f64 * BLOCK as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(t0.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            let wall = t0.elapsed().as_secs_f64();
            let cpu = thread_cpu_seconds(&prefix) - cpu0;
            let share = 100.0 * cpu / wall;
            let what = match lane {
                Some(_) => format!(
                    "{} automated every {:.0} ms ({changes} changes)",
                    automated_param(put.name),
                    AUTOMATION_PERIOD_S * 1000.0
                ),
                None => "static parameters".to_string(),
            };
            eprintln!(
                "{}, {what}: analysis thread {:.2} s of CPU over {:.1} s played: {:.2} % of a core",
                put.name, cpu, wall, share
            );
            if automate {
                assert!(changes > 200, "{}: {changes} automation changes", put.name);
            }
            report.push((format!("{} ({what})", put.name), share));
            plugin.deactivate();
        }
    }
    for (name, share) in report {
        assert!(share < 5.0, "{name}: learning costs {share:.1} % of a core");
    }
}

/// Issue 18's many-instance case: 64 instances of one plugin in one process, each hearing the
/// track from another point (as 64 tracks would), all activated at once and played in real time
/// in 128-frame blocks by one audio thread that runs every instance in turn (a DAW that does not
/// spread tracks over threads: the hardest case for it). Over the first 30 s (all learning) and
/// the next 30 s it reports the audio thread's share of the wall clock (time inside the host's
/// process calls, the test host's own copies and allocations included, and of that the time
/// inside the plugins' `process()`), how many blocks finished later than one
/// block after their due time (an underrun a DAW with two periods of buffering would hear), the
/// analysis threads' CPU per instance, and the resident memory per instance. It fails when more
/// than 1 % of the blocks were late: the instances did not stay real-time.
#[test]
#[ignore = "a measurement: plays 60 s through 64 instances per plugin in real time (see the file's header)"]
fn many_instances_learning_at_once_stay_real_time() {
    const HALF_S: f64 = 30.0;
    let count: usize = std::env::var("TANDEM_INSTANCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let (audio, rate) = decode(&track());
    let len = audio[0].len();
    let block_s = BLOCK as f64 / rate as f64;
    let blocks_per_half = (HALF_S / block_s) as usize;
    let mut failures = Vec::new();
    for put in selected() {
        let prefix: String = format!("{} analysis", put.name).chars().take(15).collect();
        // Load the library and set up its statics first (not counted in the memory).
        {
            let mut warm = put.instantiate();
            warm.activate(rate as f64, BLOCK as u32).unwrap();
            warm.deactivate();
        }
        std::thread::sleep(Duration::from_millis(200));
        let mem0 = resident_bytes();
        let mut plugins: Vec<_> = (0..count)
            .map(|_| {
                let mut p = put.instantiate();
                p.activate(rate as f64, BLOCK as u32).unwrap();
                p
            })
            .collect();
        // Each instance starts at its own place in the track.
        let offset = |i: usize| (i * 7 * rate as usize / 3) % (len - BLOCK);
        let mut halves = Vec::new();
        let mut k = 0usize;
        let t0 = Instant::now();
        for _half in 0..2 {
            let cpu0 = thread_cpu_seconds(&prefix);
            let h0 = Instant::now();
            let mut busy = Duration::ZERO;
            let inside0: Duration = plugins.iter().map(|p| p.process_time()).sum();
            let (mut late, mut worst_lag) = (0usize, 0.0f64);
            let mut peak = 0.0f32;
            for _ in 0..blocks_per_half {
                let b0 = Instant::now();
                for (i, plugin) in plugins.iter_mut().enumerate() {
                    let at = (offset(i) + k * BLOCK) % (len - BLOCK);
                    let chunk: Vec<Vec<f32>> =
                        audio.iter().map(|c| c[at..at + BLOCK].to_vec()).collect();
                    let out = plugin.process_main(&chunk, &[]).unwrap();
                    for c in &out {
                        peak = peak.max(dsp_core::util::finite_abs_max(c));
                        assert!(c.iter().all(|x| x.is_finite()), "{}: non-finite", put.name);
                    }
                }
                busy += b0.elapsed();
                k += 1;
                let due = Duration::from_secs_f64(k as f64 * block_s);
                let now = t0.elapsed();
                let lag = now.as_secs_f64() - due.as_secs_f64();
                if lag > block_s {
                    late += 1;
                }
                worst_lag = worst_lag.max(lag);
                if let Some(wait) = due.checked_sub(now) {
                    std::thread::sleep(wait);
                }
            }
            let wall = h0.elapsed().as_secs_f64();
            let cpu = thread_cpu_seconds(&prefix) - cpu0;
            let inside: Duration = plugins.iter().map(|p| p.process_time()).sum();
            assert!(peak > 0.01, "{}: the instances played silence", put.name);
            halves.push((
                100.0 * busy.as_secs_f64() / wall,
                100.0 * (inside - inside0).as_secs_f64() / wall,
                late,
                worst_lag,
                100.0 * cpu / wall / count as f64,
            ));
        }
        let mem = resident_bytes().saturating_sub(mem0) as f64 / count as f64 / 1e6;
        for (h, (audio_share, inside, late, worst_lag, per_instance)) in halves.iter().enumerate() {
            eprintln!(
                "{}, {count} instances, {}: audio thread {audio_share:.1} % of the wall clock \
                 ({inside:.1} % inside the plugins' process()), {late} of {blocks_per_half} \
                 blocks late (worst {:.1} ms behind), analysis {per_instance:.2} % of a core \
                 per instance",
                put.name,
                ["first 30 s (learning)", "next 30 s"][h],
                worst_lag.max(0.0) * 1e3,
            );
            if *late * 100 > blocks_per_half {
                failures.push(format!(
                    "{}: {late} of {blocks_per_half} blocks late in half {}",
                    put.name,
                    h + 1
                ));
            }
        }
        // What the instances learned meanwhile: the suggestions in their saved states.
        let mut based_on: Vec<f64> = plugins
            .iter_mut()
            .filter_map(|p| {
                let state = tests::clap_host::parse_nice_plug_state(&p.save_state().ok()?)?;
                let s: serde_json::Value =
                    serde_json::from_str(state["fields"]["suggestion"].as_str()?).ok()?;
                s["heard_seconds"].as_f64()
            })
            .collect();
        based_on.sort_by(f64::total_cmp);
        let median = based_on.get(based_on.len() / 2).copied().unwrap_or(0.0);
        eprintln!(
            "{}, {count} instances after {:.0} s: {} hold a suggestion, the median one based on \
             {median:.0} s heard",
            put.name,
            2.0 * HALF_S,
            based_on.len()
        );
        if based_on.len() < count {
            failures.push(format!(
                "{}: {} of {count} instances made no suggestion in {:.0} s",
                put.name,
                count - based_on.len(),
                2.0 * HALF_S
            ));
        }
        eprintln!(
            "{}, {count} instances: {mem:.1} MB resident per instance",
            put.name
        );
        assert!(
            thread_cpu_seconds(&prefix) > 0.0,
            "{}: no analysis thread ran",
            put.name
        );
        for p in &mut plugins {
            p.deactivate();
        }
        drop(plugins);
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(failures.is_empty(), "{failures:?}");
}
