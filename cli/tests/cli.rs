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
fn master_before_column_is_the_analysis_of_the_input() {
    // The "before" report reuses the master analysis' loudness measurement of the input: it
    // must be exactly what `tandem analyze` reports for that file (stereo and mono).
    let d = tmp("master_before");
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stereo = d.join("demo_mix.wav");
    let mono = d.join("mono.wav");
    let [l, _] = read_planar(&stereo).try_into().unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&mono, spec).unwrap();
    for x in l {
        w.write_sample(x).unwrap();
    }
    w.finalize().unwrap();
    for input in [stereo, mono] {
        let out = d.join("master.wav");
        let o = tandem(&[
            "master",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let o = tandem(&["analyze", input.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let analyzed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["before"], analyzed, "{}", input.display());
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

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn analyze_json(path: &Path) -> serde_json::Value {
    let o = tandem(&["analyze", path.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn reads_flac_ogg_and_mp3_by_their_content() {
    // 1 kHz sines at −20 dBFS peak, 1 s (made with sox, then flac / oggenc -q 0 / lame -b 64).
    // Mono reads 3 dB below stereo (BS.1770 sums the channels' powers).
    for (name, rate, channels, lufs, tol) in [
        ("sine_1k_16k_mono.flac", 16_000, 1, -23.0, 0.1),
        ("sine_1k_44k1_stereo.ogg", 44_100, 2, -20.0, 0.3),
        ("sine_1k_44k1_stereo.mp3", 44_100, 2, -20.0, 0.6),
    ] {
        let v = analyze_json(&fixture(name));
        assert_eq!(v["sample_rate_hz"], rate, "{name}");
        assert_eq!(v["channels"], channels, "{name}");
        let dur = v["duration_s"].as_f64().unwrap();
        assert!((dur - 1.0).abs() < 0.005, "{name}: {dur} s");
        let i = v["loudness"]["integrated_lufs"].as_f64().unwrap();
        assert!((i - lufs).abs() < tol, "{name}: {i} LUFS");
    }
    // Chosen by content, not by name: a FLAC file called .wav is read as FLAC.
    let d = tmp("probe");
    let misnamed = d.join("really_flac.wav");
    std::fs::copy(fixture("sine_1k_16k_mono.flac"), &misnamed).unwrap();
    assert_eq!(analyze_json(&misnamed)["sample_rate_hz"], 16_000);
    // Reference tracks are read the same way.
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mix = d.join("demo_mix.wav");
    let reference = fixture("sine_1k_44k1_stereo.ogg");
    let o = tandem(&[
        "suggest",
        "eq",
        mix.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn damaged_or_fake_compressed_files_give_one_line_and_exit_3() {
    let d = tmp("badcomp");
    let bytes = std::fs::read(fixture("sine_1k_16k_mono.flac")).unwrap();
    let cut = d.join("cut.flac");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = tandem(&["analyze", cut.to_str().unwrap()]);
    assert_one_line_error(&o, 3, "cut.flac");
    assert!(stderr(&o).contains("truncated"), "{}", stderr(&o));

    for name in ["notes.mp3", "notes.ogg", "notes.flac"] {
        let fake = d.join(name);
        std::fs::write(&fake, "la la la, this is a text file and not a song\n").unwrap();
        let o = tandem(&["analyze", fake.to_str().unwrap()]);
        assert_one_line_error(&o, 3, name);
        assert!(stderr(&o).contains("not an audio file"), "{}", stderr(&o));
    }
    let bytes = std::fs::read(fixture("sine_1k_44k1_stereo.ogg")).unwrap();
    let cut = d.join("cut.ogg");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    assert_one_line_error(&tandem(&["analyze", cut.to_str().unwrap()]), 3, "cut.ogg");
}

fn wav_frames_and_rate(path: &Path) -> (u32, u32) {
    let r = hound::WavReader::open(path).unwrap();
    (r.duration(), r.spec().sample_rate)
}

#[test]
fn rate_resamples_the_output_without_changing_its_loudness() {
    let d = tmp("rate");
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "6"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mix = d.join("demo_mix.wav");
    let render = |out: &Path, extra: &[&str]| {
        let mut a = vec![
            "render",
            "eq",
            mix.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--suggested",
            "--profile",
            "warm",
            "--bits",
            "32f",
        ];
        a.extend_from_slice(extra);
        tandem(&a)
    };
    let (at48, at44) = (d.join("at48.wav"), d.join("at44.wav"));
    let o = render(&at48, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = render(&at44, &["--rate", "44100"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (n48, r48) = wav_frames_and_rate(&at48);
    let (n44, r44) = wav_frames_and_rate(&at44);
    assert_eq!((r48, r44), (48_000, 44_100));
    let expected = (n48 as f64 * 44_100.0 / 48_000.0).round();
    assert!((n44 as f64 - expected).abs() <= 1.0, "{n44} vs {expected}");
    let l48 = analyze_json(&at48)["loudness"]["integrated_lufs"]
        .as_f64()
        .unwrap();
    let l44 = analyze_json(&at44)["loudness"]["integrated_lufs"]
        .as_f64()
        .unwrap();
    assert!((l48 - l44).abs() < 0.1, "{l48} vs {l44}");

    // Out of range: a usage error before any work, no output.
    let bad = d.join("bad.wav");
    for rate in ["4000", "1000000"] {
        let o = render(&bad, &["--rate", rate]);
        assert_one_line_error(&o, 2, "--rate");
        assert!(!bad.exists());
    }
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() > 1000,
        "{}: {} bytes",
        path.display(),
        bytes.len()
    );
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
}

#[test]
fn plot_draws_the_spectra_as_png_and_a_bad_plot_path_leaves_nothing() {
    let d = tmp("plot");
    let o = tandem(&["demo", "--out", d.to_str().unwrap(), "--seconds", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mix = d.join("demo_mix.wav");
    let m = mix.to_str().unwrap();
    let (out, png) = (d.join("eq.wav"), d.join("eq.png"));
    let o = tandem(&[
        "render",
        "eq",
        m,
        "-o",
        out.to_str().unwrap(),
        "--suggested",
        "--plot",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.exists());
    assert_png(&png);
    let (out, png) = (d.join("master.wav"), d.join("master.png"));
    let o = tandem(&[
        "master",
        m,
        "-o",
        out.to_str().unwrap(),
        "--plot",
        png.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_png(&png);
    for plugin in ["eq", "comp", "master"] {
        let png = d.join(format!("suggest_{plugin}.png"));
        let o = tandem(&["suggest", plugin, m, "--plot", png.to_str().unwrap(), "-q"]);
        assert!(o.status.success(), "{plugin}: {}", stderr(&o));
        assert_png(&png);
    }

    // A plot into a folder that does not exist: one line naming it, and no audio either.
    let out = d.join("never.wav");
    let bad = d.join("no_such_folder").join("plot.png");
    let o = tandem(&[
        "render",
        "eq",
        m,
        "-o",
        out.to_str().unwrap(),
        "--plot",
        bad.to_str().unwrap(),
    ]);
    assert_one_line_error(&o, 3, "plot.png");
    assert!(!out.exists() && !bad.exists());
    let o = tandem(&["suggest", "eq", m, "--plot", bad.to_str().unwrap()]);
    assert_one_line_error(&o, 3, "plot.png");
    // No temporary files left behind anywhere.
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// No invocation in this matrix of bad arguments changes a file it was given to read: an output
/// that is the input (by name, through `..`, a symlink or a hard link), the preset or the
/// reference, a plot that is the input or the output, a preset that never ends, an output too
/// large for WAV. Each fails with one line and a non-zero exit, before any work, and leaves no
/// new file.
#[test]
fn no_invocation_changes_an_input() {
    let d = tmp("guard");
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    let input = d.join("in.wav");
    write_wav_i16(&input, &vec![[3000, -2000]; 24_000]);
    let reference = d.join("ref.wav");
    write_wav_i16(&reference, &vec![[1000, 1000]; 24_000]);
    let preset = d.join("preset.json");
    std::fs::write(&preset, "{\"b1_gain\": -3}").unwrap();
    std::os::unix::fs::symlink(&input, d.join("link.wav")).unwrap();
    std::fs::hard_link(&input, d.join("hard.wav")).unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    // 12 minutes of 8 kHz stereo: at 768 kHz in 32-bit float, 4.4 GB of audio.
    let long = d.join("long.wav");
    {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&long, spec).unwrap();
        let mut i16w = w.get_i16_writer(720 * 8_000 * 2);
        for i in 0..720 * 8_000 * 2 {
            i16w.write_sample(((i % 200) as i16 - 100) * 50);
        }
        i16w.flush().unwrap();
        w.finalize().unwrap();
    }
    let inputs = [&input, &reference, &preset, &long];
    let before: Vec<Vec<u8>> = inputs.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let listing = || {
        let mut v: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let files_before = listing();
    let (i, r, pr) = (p("in.wav"), p("ref.wav"), p("preset.json"));
    let dotdot = format!("{}/sub/../in.wav", d.display());
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (vec!["render", "eq", &i, "-o", &i], 2, "in.wav"),
        (vec!["render", "eq", &i, "-o", &dotdot], 2, "in.wav"),
        (
            vec!["render", "eq", &i, "-o", &p("link.wav")],
            2,
            "link.wav",
        ),
        (
            vec!["render", "eq", &i, "-o", &p("hard.wav")],
            2,
            "hard.wav",
        ),
        (
            vec!["render", "eq", &i, "-o", &p("y.wav"), "--plot", &i],
            2,
            "in.wav",
        ),
        (
            vec!["render", "eq", &i, "-o", &p("y.wav"), "--plot", &p("y.wav")],
            2,
            "y.wav",
        ),
        (
            vec!["render", "eq", &i, "-o", &pr, "--preset", &pr],
            2,
            "preset.json",
        ),
        (
            vec![
                "render",
                "eq",
                &i,
                "-o",
                &p("y.wav"),
                "--preset",
                "/dev/zero",
            ],
            3,
            "/dev/zero",
        ),
        (
            vec![
                "render",
                "eq",
                &i,
                "--suggested",
                "--reference",
                &r,
                "-o",
                &r,
            ],
            2,
            "ref.wav",
        ),
        (
            vec!["master", &i, "--reference", &r, "-o", &r],
            2,
            "ref.wav",
        ),
        (
            vec![
                "master",
                &i,
                "-o",
                &p("y.wav"),
                "--plot",
                &r,
                "--reference",
                &r,
            ],
            2,
            "ref.wav",
        ),
        (vec!["suggest", "eq", &i, "--plot", &i], 2, "in.wav"),
        (
            vec![
                "render",
                "eq",
                &p("long.wav"),
                "-o",
                &p("big.wav"),
                "--rate",
                "768000",
                "--bits",
                "32f",
            ],
            3,
            "4 GiB",
        ),
    ]
    .into_iter()
    .map(|(a, c, w)| (a.into_iter().map(String::from).collect(), c, w))
    .collect();
    for (args, code, what) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let t = std::time::Instant::now();
        let o = tandem(&args);
        assert_one_line_error(&o, *code, what);
        assert!(
            t.elapsed().as_secs() < 20,
            "{args:?} did work before refusing"
        );
        for (f, b) in inputs.iter().zip(&before) {
            assert_eq!(
                &std::fs::read(f).unwrap(),
                b,
                "{args:?} changed {}",
                f.display()
            );
        }
        assert_eq!(listing(), files_before, "{args:?} left a file behind");
    }
}

/// `tandem response` draws the EQ's response and the Master's tone EQ from `--set` values (here
/// a +3 dB low shelf at its 100 Hz default: about +3 dB at 20 Hz, flat at the top), and
/// refuses the Comp, which has no frequency response of its own.
#[test]
fn response_draws_eq_and_master_tone_and_refuses_comp() {
    let o = tandem(&[
        "response",
        "master",
        "--set",
        "ls_gain=3",
        "--points",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pts: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let db = |i: usize| pts[i]["db"].as_f64().unwrap();
    assert!((db(0) - 3.0).abs() < 0.1, "{pts}");
    assert!(db(2).abs() < 0.05, "{pts}");
    let o = tandem(&[
        "response",
        "eq",
        "--set",
        "b4_on=1",
        "--set",
        "b4_gain=-6",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pts: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lowest = pts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["db"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!((lowest + 6.0).abs() < 0.2, "{lowest}");
    assert_one_line_error(&tandem(&["response", "comp"]), 2, "frequency response");
}

/// `--set` takes a menu entry or a switch word where a number would be an index or 0/1 (a
/// +6 dB high shelf at 5 kHz: about +6 dB at the top, flat at the bottom, the same as by
/// numbers), and refuses a word the parameter does not have, in one line that lists its menu.
#[test]
fn set_takes_menu_entries_and_switch_words() {
    let by = |on: &str, kind: &str| {
        let o = tandem(&[
            "response",
            "eq",
            "--set",
            &format!("b2_on={on}"),
            "--set",
            &format!("b2_type={kind}"),
            "--set",
            "b2_freq=5000",
            "--set",
            "b2_gain=6",
            "--points",
            "3",
            "--json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let words = by("on", "high_shelf");
    assert_eq!(words, by("1", "2"));
    assert_eq!(words, by("On", "High Shelf"));
    let db = |i: usize| words[i]["db"].as_f64().unwrap();
    assert!(db(0).abs() < 0.05 && (db(2) - 6.0).abs() < 0.3, "{words}");
    assert_one_line_error(
        &tandem(&["response", "eq", "--set", "b2_type=shelfy"]),
        2,
        "Bell, Low Shelf, High Shelf",
    );
}
