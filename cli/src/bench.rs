//! `tandem bench`: the standard performance configurations, timed in-process.
//!
//! Every configuration processes the same 60 s of 48 kHz stereo (the demo mix, normalised to a
//! 0 dBFS sample peak) in blocks of 1024 frames. Only the processing loop is timed; building
//! the processor, copying the signal and anything else is outside the clock. The time is the
//! calling thread's CPU time (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, as the LV2 host
//! uses; wall-clock time where that is unavailable), the median of [`DEFAULT_RUNS`] runs
//! (`TANDEM_BENCH_RUNS` overrides). See docs/PERFORMANCE.md for the table, the peers and how to reproduce.

use std::time::Instant;

use dsp_core::analysis::{Averaging, OctaveSmoother, SpectrumAnalyzer, SpectrumConfig};
use dsp_core::assist::comp::{
    suggest_comp, CompAnalysis, CompAnalysisConfig, CompStyle, CompSuggestOptions,
};
use dsp_core::assist::eq::{suggest_eq, EqAnalysis, EqAnalysisConfig, EqAssistOptions};
use dsp_core::assist::master::{suggest_master, MasterAnalysis, MasterAssistOptions, Platform};
use dsp_core::assist::targets::TargetId;
use dsp_core::chains::comp::{CompChain, CompDetector, CompSettings};
use dsp_core::chains::eq::{EqBandType, EqChain, EqSettings};
use dsp_core::chains::master::{MasterChain, MasterSettings};
use dsp_core::dynamics::{LimiterSettings, TruePeakLimiter};
use dsp_core::loudness::LoudnessAnalyzer;
use dsp_core::oversampling::OversamplingFactor;
use dsp_core::{Processor, ProcessorConfig};

use crate::engines::{self, AssistOptions, Kind, Settings};

/// Length of the benchmark signal, in seconds.
pub const SECONDS: f64 = 60.0;
/// Sample rate of the benchmark signal, in Hz.
pub const SAMPLE_RATE: u32 = 48_000;
/// Frames per `process` call.
pub const BLOCK: usize = 1024;
/// Runs per configuration (the median is reported).
pub const DEFAULT_RUNS: usize = 5;
/// The limiter ceiling of the limiter rows: the signal peaks at 0 dBFS, so 6 dB is limited.
pub const LIMITER_CEILING_DBTP: f32 = -6.0;

/// The 8-bell EQ of the standard configuration: frequency (Hz) and gain (dB), Q 0.7.
pub const EQ_BELLS: [(f32, f32); 8] = [
    (60.0, 3.0),
    (150.0, -2.0),
    (400.0, 2.0),
    (1000.0, -3.0),
    (2500.0, 2.0),
    (5000.0, -2.0),
    (8000.0, 3.0),
    (12000.0, -2.0),
];

/// One measured configuration.
#[derive(Debug, Clone)]
struct Row {
    key: &'static str,
    label: &'static str,
    runs_ms: Vec<f64>,
    clock: &'static str,
    /// Output true peak (dBTP) and integrated loudness (LUFS), measured untimed (DSP rows).
    out: Option<(f64, f64)>,
    /// Seconds of audio the row processes (60 s except the whole `tandem master` job).
    audio_s: f64,
}

impl Row {
    fn median_ms(&self) -> f64 {
        let mut v = self.runs_ms.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            f64::NAN
        } else if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    }

    fn realtime(&self) -> f64 {
        self.audio_s * 1000.0 / self.median_ms()
    }
}

/// The CPU time of the calling thread in nanoseconds, when the platform reports it: POSIX
/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` (nanosecond resolution; the C library is linked by
/// std anyway, so no crate is needed).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_ns() -> Option<u64> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock_id: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec with the 64-bit Linux layout, and the call
    // only writes to it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Elsewhere the benchmark falls back to wall-clock time.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// Times `f`: CPU milliseconds of this thread (or wall-clock milliseconds) and the clock used.
fn time_ms(f: impl FnOnce()) -> (f64, &'static str) {
    let cpu0 = thread_cpu_ns();
    let t0 = Instant::now();
    f();
    let wall = t0.elapsed().as_secs_f64() * 1000.0;
    match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) if b >= a => ((b - a) as f64 / 1e6, "cpu"),
        _ => (wall, "wall"),
    }
}

/// The machine's CPU model from /proc/cpuinfo.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The benchmark signal: the demo mix, normalised to a 0 dBFS sample peak.
pub fn signal() -> [Vec<f32>; 2] {
    let mut mix = dsp_core::testsignals::demo_mix(SECONDS, SAMPLE_RATE as f64);
    let peak = mix
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    if peak > 0.0 {
        let g = 1.0 / peak;
        mix.iter_mut()
            .flat_map(|c| c.iter_mut())
            .for_each(|v| *v *= g);
    }
    mix
}

fn config() -> Result<ProcessorConfig, String> {
    ProcessorConfig::new(SAMPLE_RATE as f32, BLOCK, 2).map_err(|e| e.to_string())
}

/// Runs `p` over `input` in blocks of [`BLOCK`]; returns the timed milliseconds.
fn time_processor(p: &mut dyn Processor, input: &[Vec<f32>; 2]) -> (f64, &'static str) {
    let mut l = input[0].clone();
    let mut r = input[1].clone();
    time_ms(|| {
        for (cl, cr) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
            p.process(&mut [cl, cr]);
        }
    })
}

/// The standard EQ settings: eight bells.
pub fn eq_settings() -> EqSettings {
    let mut s = EqSettings::default();
    for (b, (f, g)) in s.bands.iter_mut().zip(EQ_BELLS) {
        b.enabled = true;
        b.kind = EqBandType::Bell;
        b.freq_hz = f;
        b.gain_db = g;
        b.q = 0.7;
    }
    s
}

/// The standard compressor settings (RMS detector).
pub fn comp_settings() -> CompSettings {
    CompSettings {
        threshold_db: -18.0,
        ratio: 4.0,
        attack_ms: 10.0,
        release_ms: 100.0,
        detector: CompDetector::Rms,
        ..CompSettings::default()
    }
}

/// The standard limiter settings (ceiling −6 dBTP on a 0 dBFS signal, lookahead 5 ms).
pub fn limiter_settings() -> LimiterSettings {
    LimiterSettings {
        ceiling_dbtp: LIMITER_CEILING_DBTP,
        release_ms: 50.0,
        auto_release: false,
        lookahead_ms: 5.0,
    }
}

/// The master settings after accepting the assistant's suggestion (Spotify, amount 100 %).
fn master_suggested(input: &[Vec<f32>; 2]) -> Result<MasterSettings, String> {
    let base = Settings::default_for(Kind::Master);
    let suggestion = engines::suggest(
        Kind::Master,
        input.as_slice(),
        SAMPLE_RATE,
        &AssistOptions::default(),
    )?;
    match engines::accepted(Kind::Master, &base, &suggestion, 1.0) {
        Settings::Master(s) => Ok(s),
        _ => Err("master suggestion did not give master settings".into()),
    }
}

/// The analysis thread's display spectrum (as `tandem_common::display::SpectrumToGrid`): Hann
/// FFT of about 85 ms, exponential averaging over 0.3 s, 1/12-octave smoothing when it moved.
struct DisplaySpectrum {
    analyzer: SpectrumAnalyzer,
    smoother: OctaveSmoother,
    bands: Vec<f32>,
}

impl DisplaySpectrum {
    fn new(sample_rate: f32) -> Result<Self, String> {
        let fft_size = ((sample_rate * 0.085) as usize)
            .next_power_of_two()
            .clamp(1024, 32768);
        let mut config = SpectrumConfig::new(sample_rate, fft_size);
        config.channels = 2;
        config.averaging = Averaging::Exponential {
            time_constant_s: 0.3,
        };
        let analyzer = SpectrumAnalyzer::new(config).map_err(|e| e.to_string())?;
        let smoother = OctaveSmoother::new(sample_rate, fft_size, 12.0, 24.0, 15.0, 22_000.0)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            bands: vec![0.0; smoother.len()],
            analyzer,
            smoother,
        })
    }

    fn process(&mut self, channels: &[&[f32]]) {
        if self.analyzer.process(channels) > 0 {
            self.smoother
                .apply_power(self.analyzer.power(), &mut self.bands);
        }
    }
}

/// Which plugin's analysis thread.
#[derive(Clone, Copy)]
enum AnalysisKind {
    Eq,
    Comp,
    Master,
}

/// The analysis thread's work for one plugin over `input` (pre) and `output` (post): the
/// assistant's features block by block, the pre and post display spectra, the output loudness
/// meter (Master), and one suggestion at the end.
fn time_analysis(
    kind: AnalysisKind,
    input: &[Vec<f32>; 2],
    output: &[Vec<f32>; 2],
) -> Result<(f64, &'static str), String> {
    let sr = SAMPLE_RATE as f32;
    let mut pre = DisplaySpectrum::new(sr)?;
    let mut post = DisplaySpectrum::new(sr)?;
    let frames = input[0].len();
    let blocks = move || {
        (0..frames)
            .step_by(BLOCK)
            .map(move |p| p..(p + BLOCK).min(frames))
    };
    let mut err = None;
    let timed = match kind {
        AnalysisKind::Eq => {
            let mut a = EqAnalysis::new(EqAnalysisConfig::new(sr, 2)).map_err(|e| e.to_string())?;
            let target = TargetId::Balanced.target();
            time_ms(|| {
                for b in blocks() {
                    let i = [&input[0][b.clone()], &input[1][b.clone()]];
                    let o = [&output[0][b.clone()], &output[1][b]];
                    pre.process(&i);
                    post.process(&o);
                    a.process(&i);
                }
                let s = suggest_eq(
                    &a.result(),
                    &target,
                    &EqAssistOptions::default(),
                    &EqSettings::default(),
                );
                std::hint::black_box(s);
            })
        }
        AnalysisKind::Comp => {
            let mut a =
                CompAnalysis::new(CompAnalysisConfig::new(sr, 2)).map_err(|e| e.to_string())?;
            time_ms(|| {
                for b in blocks() {
                    let i = [&input[0][b.clone()], &input[1][b.clone()]];
                    let o = [&output[0][b.clone()], &output[1][b]];
                    pre.process(&i);
                    post.process(&o);
                    a.process(&i);
                }
                let s = suggest_comp(
                    &a.result(),
                    CompStyle::from_key("glue").unwrap_or(CompStyle::ALL[0]),
                    &CompSuggestOptions::default(),
                    &CompSettings::default(),
                );
                std::hint::black_box(s);
            })
        }
        AnalysisKind::Master => {
            let mut a = MasterAnalysis::new(sr, 2).map_err(|e| e.to_string())?;
            let mut meter = LoudnessAnalyzer::new(2, sr).map_err(|e| e.to_string())?;
            let target = Platform::from_key("spotify")
                .unwrap_or(Platform::ALL[0])
                .target(-14.0, -1.0);
            time_ms(|| {
                for b in blocks() {
                    let i = [&input[0][b.clone()], &input[1][b.clone()]];
                    let o = [&output[0][b.clone()], &output[1][b]];
                    pre.process(&i);
                    post.process(&o);
                    meter.process(&o);
                    a.process(&i);
                }
                let s = suggest_master(
                    &a.result(),
                    &target,
                    &MasterAssistOptions::default(),
                    &MasterSettings::default(),
                );
                if s.values.is_empty() {
                    err = Some("the master assistant suggested nothing".to_string());
                }
                std::hint::black_box(s);
            })
        }
    };
    match err {
        Some(e) => Err(e),
        None => Ok(timed),
    }
}

/// Renders `input` through `p` (untimed), for the analysis rows' post signal.
fn render(p: &mut dyn Processor, input: &[Vec<f32>; 2]) -> [Vec<f32>; 2] {
    let mut out = input.clone();
    let [l, r] = &mut out;
    for (cl, cr) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
        p.process(&mut [cl, cr]);
    }
    out
}

fn runs() -> usize {
    std::env::var("TANDEM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n >= 1)
        .unwrap_or(DEFAULT_RUNS)
}

/// Measures every configuration.
fn measure(input: &[Vec<f32>; 2], runs: usize) -> Result<Vec<Row>, String> {
    let cfg = config()?;
    let eq = eq_settings();
    let comp = comp_settings();
    let master = master_suggested(input)?;
    let lim = limiter_settings();
    type Make = Box<dyn Fn() -> Result<Box<dyn Processor>, String>>;
    let dsp: Vec<(&'static str, &'static str, Make)> = vec![
        (
            "eq_8_bells",
            "EQ, 8 bells",
            Box::new(move || Ok(Box::new(EqChain::new(cfg, &eq).map_err(|e| e.to_string())?))),
        ),
        (
            "comp_rms",
            "Comp, RMS, 4:1",
            Box::new(move || {
                Ok(Box::new(
                    CompChain::new(cfg, &comp).map_err(|e| e.to_string())?,
                ))
            }),
        ),
        (
            "limiter_4x",
            "Limiter, 4x true peak",
            Box::new(move || {
                Ok(Box::new(
                    TruePeakLimiter::new(cfg, OversamplingFactor::X4, 5.0, lim)
                        .map_err(|e| e.to_string())?,
                ))
            }),
        ),
        (
            "limiter_1x",
            "Limiter, no oversampling",
            Box::new(move || {
                Ok(Box::new(
                    TruePeakLimiter::new(cfg, OversamplingFactor::X1, 5.0, lim)
                        .map_err(|e| e.to_string())?,
                ))
            }),
        ),
        (
            "master_chain",
            "Master chain, suggestion accepted",
            Box::new(move || {
                Ok(Box::new(
                    MasterChain::new(cfg, &master).map_err(|e| e.to_string())?,
                ))
            }),
        ),
    ];
    let mut rows = Vec::new();
    for (key, label, make) in &dsp {
        let mut row = Row {
            key,
            label,
            runs_ms: Vec::new(),
            clock: "cpu",
            out: None,
            audio_s: SECONDS,
        };
        // One untimed warm-up run (page faults, caches) whose output is measured, then the
        // timed runs.
        let mut p = make()?;
        let out = render(p.as_mut(), input);
        let view = [out[0].as_slice(), out[1].as_slice()];
        let stats =
            dsp_core::loudness::measure(&view, SAMPLE_RATE as f32).map_err(|e| e.to_string())?;
        row.out = Some((
            stats.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY),
            stats.integrated_lufs.unwrap_or(f64::NEG_INFINITY),
        ));
        for _ in 0..runs {
            let mut p = make()?;
            let (ms, clock) = time_processor(p.as_mut(), input);
            row.runs_ms.push(ms);
            row.clock = clock;
        }
        rows.push(row);
    }
    // The analysis threads see the plugin's input and output.
    let outputs = [
        render(dsp[0].2()?.as_mut(), input),
        render(dsp[1].2()?.as_mut(), input),
        render(dsp[4].2()?.as_mut(), input),
    ];
    let kinds = [
        (AnalysisKind::Eq, "analysis_eq", "Analysis thread, EQ"),
        (AnalysisKind::Comp, "analysis_comp", "Analysis thread, Comp"),
        (
            AnalysisKind::Master,
            "analysis_master",
            "Analysis thread, Master",
        ),
    ];
    for ((kind, key, label), out) in kinds.into_iter().zip(&outputs) {
        let mut row = Row {
            key,
            label,
            runs_ms: Vec::new(),
            clock: "cpu",
            out: None,
            audio_s: SECONDS,
        };
        time_analysis(kind, input, out)?;
        for _ in 0..runs {
            let (ms, clock) = time_analysis(kind, input, out)?;
            row.runs_ms.push(ms);
            row.clock = clock;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Length of the `tandem master` job's file (the CLI issue's speed target: a 4-minute 44.1 kHz
/// stereo file at ≥ 100× real time).
pub const MASTER_JOB_SECONDS: f64 = 240.0;

/// The whole `tandem master` job without file I/O, as `tandem master` computes it: the master
/// assistant's analysis and suggestion (simulating the chain; its loudness measurement of the
/// input is the report's "before" column), the input report's crest factor and correlation, the
/// render with the suggestion accepted, verified and corrected on the whole file (one to three
/// renders), and the report of the output (loudness, true peak, crest factor, correlation), on
/// a 4-minute 44.1 kHz stereo demo mix.
fn master_job_row(runs: usize) -> Result<Row, String> {
    use crate::audio_io::Audio;
    use crate::commands::analysis_report_with;
    use crate::engines::{master_render_verified, suggest_measured, AssistOptions, Kind};
    use crate::Failure;
    let rate = 44_100u32;
    let [l, r] = dsp_core::testsignals::demo_mix(MASTER_JOB_SECONDS, rate as f64);
    let input = Audio {
        channels: vec![l, r],
        sample_rate: rate,
    };
    let opts = AssistOptions {
        target: Some("spotify".into()),
        ..Default::default()
    };
    let message = |f: Failure| match f {
        Failure::Usage(m) | Failure::Input(m) | Failure::Other(m) => m,
    };
    let job = || -> Result<(), String> {
        let (mut s, _, input_loudness) =
            suggest_measured(Kind::Master, &input.channels, rate, &opts)?;
        let before = analysis_report_with(std::path::Path::new("input"), &input, input_loudness)
            .map_err(message)?;
        let verified = master_render_verified(&mut s, &input.channels, rate, 1.0, &mut |_, _| {})?;
        let output = Audio {
            channels: verified.rendered,
            sample_rate: rate,
        };
        let after =
            analysis_report_with(std::path::Path::new("output"), &output, None).map_err(message)?;
        std::hint::black_box((before, after));
        Ok(())
    };
    let mut row = Row {
        key: "tandem_master_4min_44k1",
        label: "tandem master, 4 min 44.1 kHz file",
        runs_ms: Vec::new(),
        clock: "cpu",
        out: None,
        audio_s: MASTER_JOB_SECONDS,
    };
    for _ in 0..runs.clamp(1, 3) {
        let mut result = Ok(());
        let (ms, clock) = time_ms(|| result = job());
        result?;
        row.runs_ms.push(ms);
        row.clock = clock;
    }
    Ok(row)
}

/// Runs the benchmark and prints the table (or JSON).
pub fn run(json: bool) -> Result<(), String> {
    let runs = runs();
    let input = signal();
    let mut rows = measure(&input, runs)?;
    rows.push(master_job_row(runs)?);
    let cpu = cpu_model();
    if json {
        let configs: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "key": r.key,
                    "name": r.label,
                    "audio_seconds": r.audio_s,
                    "cpu_ms": round3(r.median_ms()),
                    "realtime_x": round3(r.realtime()),
                    "runs_ms": r.runs_ms.iter().map(|v| round3(*v)).collect::<Vec<_>>(),
                    "clock": r.clock,
                    "out_true_peak_dbtp": r.out.map(|o| round3(o.0)),
                    "out_integrated_lufs": r.out.map(|o| round3(o.1)),
                })
            })
            .collect();
        let v = serde_json::json!({
            "cpu_model": cpu,
            "signal": {
                "seconds": SECONDS,
                "sample_rate_hz": SAMPLE_RATE,
                "channels": 2,
                "block_frames": BLOCK,
                "source": "demo mix normalised to 0 dBFS sample peak",
            },
            "runs": runs,
            "statistic": "median",
            "configs": configs,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
        );
    } else {
        println!("Tandem bench: 60 s stereo 48 kHz, blocks of {BLOCK}, median of {runs} runs");
        println!("CPU: {cpu}");
        println!();
        println!(
            "{:<36} {:>10} {:>12} {:>12}",
            "configuration", "CPU ms", "x real time", "out dBTP"
        );
        for r in &rows {
            let clock = if r.clock == "cpu" { "" } else { " (wall)" };
            let tp = r.out.map_or(String::new(), |o| format!("{:.2}", o.0));
            println!(
                "{:<36} {:>10.1} {:>12.0} {:>12}{clock}",
                r.label,
                r.median_ms(),
                r.realtime(),
                tp
            );
        }
    }
    Ok(())
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_realtime() {
        let r = Row {
            key: "x",
            label: "x",
            runs_ms: vec![30.0, 10.0, 20.0, 1000.0],
            clock: "cpu",
            out: None,
            audio_s: SECONDS,
        };
        assert_eq!(r.median_ms(), 25.0);
        assert!((r.realtime() - 2400.0).abs() < 1e-9);
    }

    #[test]
    fn the_signal_peaks_at_zero_dbfs_and_the_limiter_works_6_db() {
        let input = signal();
        let peak = input
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((peak - 1.0).abs() < 1e-6);
        assert_eq!(input[0].len(), 60 * 48_000);
        let cfg = config().unwrap();
        let mut lim =
            TruePeakLimiter::new(cfg, OversamplingFactor::X4, 5.0, limiter_settings()).unwrap();
        let out = render(&mut lim, &input);
        let out_peak = out
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(out_peak <= dsp_core::util::db_to_gain(LIMITER_CEILING_DBTP) * 1.001);
        assert!(thread_cpu_ns().is_some() || cfg!(not(target_os = "linux")));
    }
}
