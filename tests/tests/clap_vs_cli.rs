//! `tandem render` and the plugin (through its CLAP bundle) with the same settings produce the
//! same samples: difference below −120 dBFS after the plugin's reported latency is removed.
//! The CLI binary is the one `cargo test --workspace` builds (`target/debug/tandem`).

use std::path::{Path, PathBuf};
use std::process::Command;
use tests::checks::set_by_text;
use tests::clap_host::{PluginUnderTest, COMP, EQ, MASTER};

const SR: u32 = 48_000;
const BLOCK: usize = 512;
/// −120 dBFS.
const MAX_DIFF: f32 = 1e-6;

fn tandem_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("debug/tandem");
    assert!(
        bin.exists(),
        "{} missing: build it with `cargo build -p tandem-cli` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

fn write_f32(path: &Path, channels: &[Vec<f32>]) {
    tests::signals::write_wav_f32(path, channels, SR);
}

fn read_f32(path: &Path) -> Vec<Vec<f32>> {
    let mut r = hound::WavReader::open(path).unwrap();
    let ch = r.spec().channels as usize;
    let s: Vec<f32> = r.samples::<f32>().map(|x| x.unwrap()).collect();
    (0..ch)
        .map(|c| s.iter().skip(c).step_by(ch).copied().collect())
        .collect()
}

/// Settings are given as the plugin's display text; the CLI takes plain numbers (enum index).
fn cli_value(text: &str) -> &str {
    match text {
        "On" => "1",
        "Low Shelf" => "1",
        "Side" => "2",
        t => t,
    }
}

fn compare(put: PluginUnderTest, kind: &str, settings: &[(&str, &str)]) {
    let dir = std::env::temp_dir().join(format!("tandem-vs-cli-{kind}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let [l, r] = dsp_core::testsignals::demo_mix(4.0, SR as f64);
    let input = vec![l, r];
    let in_path = dir.join("in.wav");
    let out_path = dir.join("out.wav");
    write_f32(&in_path, &input);

    let mut cmd = Command::new(tandem_binary());
    cmd.args(["render", kind])
        .arg(&in_path)
        .arg("-o")
        .arg(&out_path)
        .args(["--bits", "32f", "--quiet"]);
    for (id, text) in settings {
        cmd.arg("--set").arg(format!("{id}={}", cli_value(text)));
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{kind}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let cli = read_f32(&out_path);

    let mut plugin = put.instantiate();
    for (id, text) in settings {
        set_by_text(&mut plugin, id, text);
    }
    plugin.activate(SR as f64, BLOCK as u32).unwrap();
    let latency = plugin.latency().unwrap_or(0) as usize;
    let total = input[0].len() + latency;
    let padded: Vec<Vec<f32>> = input
        .iter()
        .map(|c| {
            let mut v = c.clone();
            v.resize(total, 0.0);
            v
        })
        .collect();
    let mut out = [Vec::new(), Vec::new()];
    for start in (0..total).step_by(BLOCK) {
        let n = BLOCK.min(total - start);
        let chunk: Vec<Vec<f32>> = padded
            .iter()
            .map(|c| c[start..start + n].to_vec())
            .collect();
        for (acc, x) in out
            .iter_mut()
            .zip(plugin.process_main(&chunk, &[]).unwrap())
        {
            acc.extend(x);
        }
    }
    plugin.deactivate();
    let mut worst = 0.0f32;
    for (p, c) in out.iter().zip(&cli) {
        assert_eq!(p.len() - latency, c.len(), "{kind}: lengths");
        for (a, b) in p[latency..].iter().zip(c) {
            worst = worst.max((a - b).abs());
        }
    }
    // The settings really did something (not two pass-throughs agreeing).
    let changed = cli[0]
        .iter()
        .zip(&input[0])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(changed > 1e-3, "{kind}: the settings changed nothing");
    assert!(
        worst <= MAX_DIFF,
        "{kind}: plugin and `tandem render` differ by {worst:e} (latency {latency})"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn eq_plugin_and_cli_render_the_same_samples() {
    compare(
        EQ,
        "eq",
        &[
            ("b1_on", "On"),
            ("b1_type", "Low Shelf"),
            ("b1_freq", "120"),
            ("b1_gain", "3.5"),
            ("b2_on", "On"),
            ("b2_freq", "2500"),
            ("b2_gain", "-4"),
            ("b2_q", "2"),
            ("b2_place", "Side"),
            ("out_gain", "-1.5"),
        ],
    );
}

#[test]
fn comp_plugin_and_cli_render_the_same_samples() {
    compare(
        COMP,
        "comp",
        &[
            ("threshold", "-30"),
            ("ratio", "4"),
            ("attack", "5"),
            ("release", "80"),
            ("makeup", "3"),
            ("lookahead", "2"),
        ],
    );
}

#[test]
fn master_plugin_and_cli_render_the_same_samples() {
    compare(
        MASTER,
        "master",
        &[
            ("ls_gain", "2"),
            ("glue_on", "1"),
            ("width", "120"),
            ("lim_drive", "8"),
            ("lim_ceiling", "-1"),
        ],
    );
}
