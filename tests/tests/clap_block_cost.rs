//! What the whole plugin costs at DAW block sizes, measured (not a CI test: it times, and
//! timing belongs in benchmarks). Each plugin's release bundle runs through the project's CLAP
//! host: 60 s of 48 kHz stereo (the benchmark signal of `tandem bench`, the demo mix at a
//! 0 dBFS peak) in blocks of 32, 64, 128, 256 and 1024 frames, with the settings of `tandem
//! bench`'s rows, static and with the same automation sent as CLAP parameter events at every
//! block (all eight EQ gains ±3 dB and frequencies ±1/3 octave; the comp threshold ±6 dB; the
//! master drive ±3 dB), with Compare on Manual and on Suggested (a suggestion learned from the
//! same signal and restored with the state). What is timed is the wall time inside the plugin's
//! `process()` — the nice-plug wrapper, event handling, smoothing, the chain, the tap to the
//! analysis thread, meters, compare and trim — and nothing of the host around it. The analysis
//! thread runs on the other core meanwhile (its cost is `clap_learning_cost`'s measure).
//!
//! ```text
//! cargo xtask bundle-all --release
//! cargo test --release -p tests --test clap_block_cost -- --ignored --nocapture
//! cargo xtask bundle-all --features ...   # the debug bundles again before `cargo test`
//! ```
//!
//! `TANDEM_BENCH_RUNS=n` changes the runs per configuration (default 3; the median is printed);
//! `TANDEM_PLUGIN="Tandem EQ"` measures one plugin, `TANDEM_BLOCKS=64,1024` those block sizes.

use std::time::{Duration, Instant};
use tests::clap_host::{each_plugin, parse_nice_plug_state, ParamChange, TestPlugin};

const SR: f64 = 48_000.0;
const SECONDS: f64 = 60.0;
const BLOCKS: [usize; 5] = [32, 64, 128, 256, 1024];
/// The block size the suggestion is learned at.
const LEARN_BLOCK: usize = 512;

/// The benchmark signal of `tandem bench`: the demo mix normalised to a 0 dBFS sample peak.
fn signal() -> Vec<Vec<f32>> {
    dsp_core::testsignals::bench_mix(SECONDS, SR).into()
}

/// The CLAP value of `key` for its display text `text` (panics when the plugin rejects it).
fn value(plugin: &mut TestPlugin, key: &str, text: &str) -> (u32, f64) {
    let id = plugin.param(key).unwrap_or_else(|| panic!("no {key}")).id;
    let v = plugin
        .text_to_value(id, text)
        .unwrap_or_else(|| panic!("{key}: {text:?} not accepted"));
    (id, v)
}

/// One automation lane: a parameter moving between two CLAP values along a sine of `hz` Hz
/// with phase `phase` (radians), as `tandem bench`'s lanes move the chains' settings.
struct Lane {
    id: u32,
    lo: f64,
    hi: f64,
    hz: f64,
    phase: f64,
}

impl Lane {
    /// `key` moving between its display texts `lo` and `hi`.
    fn between(
        plugin: &mut TestPlugin,
        key: &str,
        lo: &str,
        hi: &str,
        hz: f64,
        phase: f64,
    ) -> Self {
        let (id, lo) = value(plugin, key, lo);
        let (_, hi) = value(plugin, key, hi);
        Self {
            id,
            lo,
            hi,
            hz,
            phase,
        }
    }

    fn at(&self, t: f64) -> f64 {
        let s = (std::f64::consts::TAU * self.hz * t + self.phase).sin();
        0.5 * (self.lo + self.hi) + 0.5 * (self.hi - self.lo) * s
    }
}

/// The static settings of `tandem bench`'s row for this plugin, as parameter changes, and the
/// lanes of its automated row.
fn settings(plugin: &mut TestPlugin, name: &str) -> (Vec<ParamChange>, Vec<Lane>) {
    let mut set = Vec::new();
    let mut lanes = Vec::new();
    let mut put = |plugin: &mut TestPlugin, key: &str, text: &str| {
        let (id, v) = value(plugin, key, text);
        set.push(ParamChange::new(0, id, v));
    };
    match name {
        "Tandem EQ" => {
            for (k, &(f, g)) in dsp_core::testsignals::BENCH_EQ_BELLS.iter().enumerate() {
                let b = k + 1;
                put(plugin, &format!("b{b}_on"), "On");
                put(plugin, &format!("b{b}_type"), "Bell");
                put(plugin, &format!("b{b}_freq"), &format!("{f} Hz"));
                put(plugin, &format!("b{b}_gain"), &format!("{g} dB"));
                put(plugin, &format!("b{b}_q"), "0.7");
                let (gain, freq, ph) = (format!("b{b}_gain"), format!("b{b}_freq"), k as f64);
                let db = |d: f32| format!("{} dB", g + d);
                lanes.push(Lane::between(plugin, &gain, &db(-3.0), &db(3.0), 0.5, ph));
                let hz = |o: f32| format!("{} Hz", f * 2f32.powf(o));
                let (lo, hi) = (hz(-1.0 / 3.0), hz(1.0 / 3.0));
                lanes.push(Lane::between(plugin, &freq, &lo, &hi, 0.25, ph));
            }
        }
        "Tandem Comp" => {
            put(plugin, "threshold", "-18 dB");
            put(plugin, "ratio", "4");
            put(plugin, "attack", "10 ms");
            put(plugin, "release", "100 ms");
            put(plugin, "detector", "RMS");
            lanes.push(Lane::between(
                plugin,
                "threshold",
                "-24 dB",
                "-12 dB",
                0.5,
                0.0,
            ));
        }
        _ => {
            put(plugin, "lim_drive", "3 dB");
            lanes.push(Lane::between(plugin, "lim_drive", "0 dB", "6 dB", 0.5, 0.0));
        }
    }
    (set, lanes)
}

fn has_suggestion(plugin: &mut TestPlugin) -> bool {
    let Some(state) = plugin
        .save_state()
        .ok()
        .and_then(|b| parse_nice_plug_state(&b))
    else {
        return false;
    };
    state["fields"]["suggestion"]
        .as_str()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .is_some_and(|v| !v.is_null())
}

/// A state holding a suggestion learned from `audio` (played with pauses so the analysis
/// thread hears most of it).
fn learned_state(put: &tests::clap_host::PluginUnderTest, audio: &[Vec<f32>]) -> Vec<u8> {
    let mut plugin = put.instantiate();
    plugin.activate(SR, LEARN_BLOCK as u32).unwrap();
    let t0 = Instant::now();
    let len = audio[0].len();
    'learn: for _ in 0..4 {
        for (k, start) in (0..len).step_by(LEARN_BLOCK).enumerate() {
            let n = LEARN_BLOCK.min(len - start);
            let chunk: Vec<Vec<f32>> = audio.iter().map(|c| c[start..start + n].to_vec()).collect();
            plugin.process_main(&chunk, &[]).unwrap();
            if k % 20 == 19 {
                std::thread::sleep(Duration::from_millis(10));
                if k % 400 == 399 && has_suggestion(&mut plugin) {
                    break 'learn;
                }
            }
        }
    }
    while !has_suggestion(&mut plugin) {
        assert!(
            t0.elapsed() < Duration::from_secs(180),
            "{}: no suggestion",
            put.name
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let state = plugin.save_state().unwrap();
    plugin.deactivate();
    state
}

/// The block sizes to measure: `TANDEM_BLOCKS` (comma-separated frames) or all of [`BLOCKS`].
fn blocks() -> Vec<usize> {
    std::env::var("TANDEM_BLOCKS")
        .ok()
        .map(|s| {
            s.split(',')
                .filter_map(|b| b.trim().parse().ok())
                .collect::<Vec<usize>>()
        })
        .filter(|b| !b.is_empty() && b.iter().all(|&n| n > 0))
        .unwrap_or_else(|| BLOCKS.to_vec())
}

fn runs() -> usize {
    std::env::var("TANDEM_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}

/// Milliseconds inside `process()` for the whole signal at `block` frames (one fresh
/// instance restored from `state`), and the output's energy (to check that the automation and
/// the compare switch took effect).
fn time_once(
    put: &tests::clap_host::PluginUnderTest,
    state: &[u8],
    audio: &[Vec<f32>],
    block: usize,
    automated: bool,
    suggested: bool,
) -> (f64, f64) {
    let mut plugin = put.instantiate();
    plugin.load_state(state).unwrap();
    let (mut first, lanes) = settings(&mut plugin, put.name);
    let (compare, v) = value(
        &mut plugin,
        "compare",
        if suggested { "Suggested" } else { "Manual" },
    );
    first.push(ParamChange::new(0, compare, v));
    plugin.activate(SR, block as u32).unwrap();
    let len = audio[0].len();
    let mut chunk: Vec<Vec<f32>> = vec![Vec::with_capacity(block); audio.len()];
    let mut events = Vec::with_capacity(first.len() + lanes.len());
    let mut energy = 0.0f64;
    for (k, start) in (0..len).step_by(block).enumerate() {
        let n = block.min(len - start);
        for (c, a) in chunk.iter_mut().zip(audio) {
            c.clear();
            c.extend_from_slice(&a[start..start + n]);
        }
        events.clear();
        if k == 0 {
            events.extend_from_slice(&first);
        }
        if automated {
            let t = start as f64 / SR;
            events.extend(lanes.iter().map(|l| ParamChange::new(0, l.id, l.at(t))));
        }
        let out = plugin.process_main(&chunk, &events).unwrap();
        energy += out
            .iter()
            .flatten()
            .map(|&x| x as f64 * x as f64)
            .sum::<f64>();
    }
    let ms = plugin.process_time().as_secs_f64() * 1000.0;
    plugin.deactivate();
    (ms, energy)
}

#[test]
#[ignore = "a measurement: times every plugin at five block sizes (see the file's header)"]
fn whole_plugin_cost_per_block_size() {
    let audio = signal();
    let runs = runs();
    let blocks = blocks();
    let mut rows = Vec::new();
    // TANDEM_PLUGIN="Tandem EQ" measures one plugin only (e.g. under a profiler).
    let only = std::env::var("TANDEM_PLUGIN").ok();
    for put in each_plugin()
        .into_iter()
        .filter(|p| only.as_deref().is_none_or(|n| n == p.name))
    {
        let state = learned_state(&put, &audio);
        let mut energies = Vec::new();
        for automated in [false, true] {
            for suggested in [false, true] {
                let mut cells = Vec::new();
                for &block in &blocks {
                    let mut ms = Vec::new();
                    for _ in 0..runs {
                        let (t, e) = time_once(&put, &state, &audio, block, automated, suggested);
                        ms.push(t);
                        if block == blocks[blocks.len() - 1] {
                            energies.push(((automated, suggested), e));
                        }
                    }
                    ms.sort_by(f64::total_cmp);
                    cells.push(ms[ms.len() / 2]);
                }
                let what = format!(
                    "{}, {}, Compare {}",
                    put.name,
                    if automated { "automated" } else { "static" },
                    if suggested { "Suggested" } else { "Manual" }
                );
                eprintln!("{what}: {cells:.1?}");
                rows.push((what, cells));
            }
        }
        // Manual renders the same every run (Suggested carries the level match's trim, which
        // the analysis thread measures in its own time); the lanes and the switch change it.
        let energy = |key: (bool, bool)| {
            let e: Vec<f64> = energies
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|e| e.1)
                .collect();
            assert!(
                key.1 || e.iter().all(|&x| x == e[0]),
                "{}: {key:?} {e:?}",
                put.name
            );
            e[0]
        };
        let base = energy((false, false));
        assert!(base > 0.0, "{}: silent output", put.name);
        for key in [(true, false), (false, true)] {
            let e = energy(key);
            assert!(
                (e / base - 1.0).abs() > 1e-4,
                "{}: {key:?} (automated, suggested) renders like static Manual",
                put.name
            );
        }
    }
    eprintln!(
        "\nms inside process() per {SECONDS} s of 48 kHz stereo, median of {runs}\n\n| Configuration | {} |\n|---{}|",
        blocks.iter().map(|b| format!("{b} frames")).collect::<Vec<_>>().join(" | "),
        "|---:".repeat(blocks.len())
    );
    for (what, cells) in &rows {
        let c: Vec<String> = cells.iter().map(|v| format!("{v:.1}")).collect();
        eprintln!("| {what} | {} |", c.join(" | "));
    }
    // A plugin that processes nothing would be "fast": every configuration took measurable time.
    for (what, cells) in &rows {
        assert!(cells.iter().all(|&ms| ms > 1.0), "{what}: {cells:?}");
    }
}
