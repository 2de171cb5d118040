//! The `tandem` binary end to end: outputs, exit codes and one-line errors on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tandem(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .output()
        .expect("run tandem")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tandem-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A bad input gives exit code `code` and exactly one line on stderr that names `what`.
fn assert_one_line_error(o: &Output, code: i32, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.contains(what), "{err:?} does not name {what}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

fn write_wav_i16(path: &Path, frames: &[[i16; 2]]) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for f in frames {
        w.write_sample(f[0]).unwrap();
        w.write_sample(f[1]).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn demo_writes_the_mix_and_a_report_and_analyze_reads_it() {
    let d = tmp("demo");
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mix = d.join("demo_mix.wav");
    assert!(mix.exists() && d.join("report.json").exists());
    // All three assistants ran and each rendered its file; the master hit Spotify's target.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("report.json")).unwrap()).unwrap();
    let steps = report["steps"].as_array().unwrap();
    let plugins: Vec<&str> = steps
        .iter()
        .map(|s| s["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(plugins, ["eq", "comp", "master"]);
    for name in ["demo_eq.wav", "demo_comp.wav", "demo_master.wav"] {
        assert!(d.join(name).exists(), "{name}");
    }
    let master = &steps[2]["result"]["loudness"];
    assert!((master["integrated_lufs"].as_f64().unwrap() + 14.0).abs() < 0.5);
    assert!(master["true_peak_dbtp"].as_f64().unwrap() <= -0.95);
    let o = tandem(&["analyze", mix.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let i = v["loudness"]["integrated_lufs"].as_f64().unwrap();
    assert!((i + 24.0).abs() < 1.0, "{i}");
    assert_eq!(v["channels"], 2);
}

#[test]
fn analyze_measures_a_known_sine() {
    let d = tmp("sine");
    let p = d.join("sine.wav");
    // 1 kHz sine at −20 dBFS peak on both channels for 5 s. EBU Tech 3341 case 1: a stereo
    // 1 kHz sine at −23 dBFS reads −23.0 LUFS, so this one reads −20.0.
    let frames: Vec<[i16; 2]> = (0..240_000)
        .map(|i| {
            let s = (0.1
                * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48_000.0).sin()
                * 32767.0) as i16;
            [s, s]
        })
        .collect();
    write_wav_i16(&p, &frames);
    let o = tandem(&["--json", "analyze", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sp = v["loudness"]["sample_peak_dbfs"].as_f64().unwrap();
    assert!((sp + 20.0).abs() < 0.05, "{sp}");
    let i = v["loudness"]["integrated_lufs"].as_f64().unwrap();
    // EBU Tech 3341 case 1 scaled: −23 dBFS stereo sine reads −23 LUFS, so −20 reads −20.
    assert!((i + 20.0).abs() < 0.1, "{i}");
    assert!((v["crest_factor_db"].as_f64().unwrap() - 3.01).abs() < 0.05);
    assert!((v["stereo_correlation"].as_f64().unwrap() - 1.0).abs() < 1e-3);
}

#[test]
fn bad_inputs_give_one_clear_line_and_exit_3() {
    let d = tmp("bad");
    let missing = d.join("missing.wav");
    assert_one_line_error(
        &tandem(&["analyze", missing.to_str().unwrap()]),
        3,
        "missing.wav",
    );

    let empty = d.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    assert_one_line_error(
        &tandem(&["analyze", empty.to_str().unwrap()]),
        3,
        "empty.wav",
    );

    let text = d.join("notes.wav");
    std::fs::write(&text, b"this is not audio at all, just text").unwrap();
    assert_one_line_error(
        &tandem(&["analyze", text.to_str().unwrap()]),
        3,
        "notes.wav",
    );

    let good = d.join("good.wav");
    write_wav_i16(&good, &vec![[1000, -1000]; 48_000]);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = d.join("truncated.wav");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_error(
        &tandem(&["analyze", truncated.to_str().unwrap()]),
        3,
        "truncated.wav",
    );

    let nan = d.join("nan.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&nan, spec).unwrap();
    for i in 0..1000 {
        w.write_sample(if i == 500 { f32::NAN } else { 0.1 })
            .unwrap();
    }
    w.finalize().unwrap();
    assert_one_line_error(&tandem(&["analyze", nan.to_str().unwrap()]), 3, "nan.wav");

    assert_one_line_error(&tandem(&["analyze", d.to_str().unwrap()]), 3, "directory");
}

#[test]
fn usage_errors_exit_2() {
    assert_one_line_error(&tandem(&["frobnicate"]), 2, "frobnicate");
    assert_one_line_error(&tandem(&["demo", "--seconds", "1"]), 2, "--seconds");
    assert_one_line_error(&tandem(&["analyze"]), 2, "required");
}

fn read_planar(path: &Path) -> Vec<Vec<f32>> {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let ch = spec.channels as usize;
    let s: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|x| x.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|x| x.unwrap() as f32 * scale)
                .collect()
        }
    };
    (0..ch)
        .map(|c| s.iter().skip(c).step_by(ch).copied().collect())
        .collect()
}

#[test]
fn master_meets_every_asked_target_and_reports_it() {
    let d = tmp("master");
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "12"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mix = d.join("demo_mix.wav");
    for (args, lufs, ceiling) in [
        (vec!["--target", "spotify"], -14.0, -1.0),
        (vec!["--target", "ebu_r128"], -23.0, -1.0),
        (vec!["--lufs", "-11", "--ceiling", "-0.5"], -11.0, -0.5),
    ] {
        let out = d.join("master.wav");
        let mut a = vec![
            "master",
            mix.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--json",
        ];
        a.extend(args.iter().copied());
        let o = tandem(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["meets_target"], true, "{args:?}");
        // Measured again from the written file by `tandem analyze`.
        let o = tandem(&["analyze", out.to_str().unwrap(), "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let i = v["loudness"]["integrated_lufs"].as_f64().unwrap();
        let tp = v["loudness"]["true_peak_dbtp"].as_f64().unwrap();
        assert!((i - lufs).abs() <= 0.5, "{args:?}: {i} LUFS");
        assert!(tp <= ceiling + 0.05, "{args:?}: {tp} dBTP");
    }
}

#[test]
fn render_with_a_suggestion_json_equals_render_suggested() {
    let d = tmp("preset");
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mix = d.join("demo_mix.wav");
    for (plugin, opt) in [("eq", "--profile=warm"), ("comp", "--style=punch")] {
        let o = tandem(&["suggest", plugin, mix.to_str().unwrap(), opt, "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let preset = d.join(format!("{plugin}.json"));
        std::fs::write(&preset, &o.stdout).unwrap();
        let a = d.join(format!("{plugin}_a.wav"));
        let b = d.join(format!("{plugin}_b.wav"));
        let o = tandem(&[
            "render",
            plugin,
            mix.to_str().unwrap(),
            "-o",
            a.to_str().unwrap(),
            "--suggested",
            opt,
            "--bits",
            "32f",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = tandem(&[
            "render",
            plugin,
            mix.to_str().unwrap(),
            "-o",
            b.to_str().unwrap(),
            "--preset",
            preset.to_str().unwrap(),
            "--bits",
            "32f",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let (a, b) = (read_planar(&a), read_planar(&b));
        assert_eq!(a, b, "{plugin}");
        // And the render changed the sound (the suggestion did something).
        let dry = read_planar(&mix);
        let diff = a[0]
            .iter()
            .zip(&dry[0])
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(diff > 1e-3, "{plugin}: {diff}");
    }
}

#[test]
fn render_refuses_bad_parameters_without_leaving_output() {
    let d = tmp("badset");
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mix = d.join("demo_mix.wav");
    let out = d.join("out.wav");
    for (set, what) in [
        ("b9_gain=3", "b9_gain"),
        ("b1_gain=99", "b1_gain"),
        ("b1_gain", "b1_gain"),
        ("b1_gain=loud", "b1_gain"),
    ] {
        let o = tandem(&[
            "render",
            "eq",
            mix.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--set",
            set,
        ]);
        assert_one_line_error(&o, 2, what);
        assert!(!out.exists());
    }
    let o = tandem(&["suggest", "comp", mix.to_str().unwrap(), "--style", "loud"]);
    assert_one_line_error(&o, 2, "--style");
    let o = tandem(&[
        "suggest",
        "master",
        mix.to_str().unwrap(),
        "--target",
        "radio",
    ]);
    assert_one_line_error(&o, 2, "--target");
    let bad = d.join("bad.json");
    std::fs::write(&bad, "{\"b1_gain\": \"x\"}").unwrap();
    let o = tandem(&[
        "render",
        "eq",
        mix.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--preset",
        bad.to_str().unwrap(),
    ]);
    assert_one_line_error(&o, 3, "bad.json");
    assert!(!out.exists());
}
