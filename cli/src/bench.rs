//! `tandem bench`: the standard performance configurations, timed in-process.
//!
//! Every configuration processes the same 60 s of 48 kHz stereo (the demo mix, normalised to a
//! 0 dBFS sample peak) in host blocks of 1024 frames, or of each size `--block` names. Each chain
//! runs twice per block size: with static settings, and automated (a moving automation lane
//! read at every block, as a plugin applies its parameters: the EQ's eight gains and
//! frequencies, the compressor's threshold, the 4× limiter's ceiling, the master's limiter
//! drive, see [`automated_eq`]
//! and its neighbours). The analysis rows and the `tandem master` job do not depend on the host
//! block. Only the processing loop is timed; building the processor, copying the signal and
//! anything else is outside the clock. The time is the
//! calling thread's CPU time (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, as the LV2 host
//! uses; wall-clock time where that is unavailable), the median of [`DEFAULT_RUNS`] runs
//! (`TANDEM_BENCH_RUNS` overrides). See docs/PERFORMANCE.md for the table, the peers and how to reproduce.

use std::time::Instant;

use dsp_core::analysis::{Averaging, OctaveSmoother, SpectrumAnalyzer, SpectrumConfig};
use dsp_core::assistant::comp::{CompAssistant, CompStyle};
use dsp_core::assistant::eq::EqAssistant;
use dsp_core::assistant::master::{MasterAssistant, Platform};
use dsp_core::assistant::targets::TargetId;
use dsp_core::assistant::Assistant;
use dsp_core::chains::comp::{CompChain, CompDetector, CompSettings};
use dsp_core::chains::eq::{EqBandType, EqChain, EqSettings};
use dsp_core::chains::master::{MasterChain, MasterSettings};
use dsp_core::dynamics::{LimiterSettings, TruePeakLimiter};
use dsp_core::loudness::LoudnessAnalyzer;
use dsp_core::oversampling::OversamplingFactor;
use dsp_core::{Processor, ProcessorConfig};

use crate::engines::{self, AssistantOptions, Kind, Settings};

/// Length of the benchmark signal, in seconds.
pub const SECONDS: f64 = 60.0;
/// Sample rate of the benchmark signal, in Hz.
pub const SAMPLE_RATE: u32 = 48_000;
/// Frames per `process` call unless `--block` says otherwise.
pub const DEFAULT_BLOCK: usize = 1024;
/// Frames per call of the analysis rows (the ring hands the analysis thread audio in chunks of
/// its own, whatever the host block).
const ANALYSIS_BLOCK: usize = 1024;
/// The largest `--block`.
pub const MAX_BLOCK: usize = 65_536;
/// Runs per configuration (the median is reported).
pub const DEFAULT_RUNS: usize = 5;
/// The limiter ceiling of the limiter rows: the signal peaks at 0 dBFS, so 6 dB is limited.
pub const LIMITER_CEILING_DBTP: f32 = -6.0;

/// One measured configuration.
#[derive(Debug, Clone)]
struct Row {
    key: String,
    label: String,
    runs_ms: Vec<f64>,
    clock: &'static str,
    /// Output true peak (dBTP) and integrated loudness (LUFS), measured untimed (DSP rows).
    out: Option<(f64, f64)>,
    /// Seconds of audio the row processes (60 s except the whole `tandem master` job).
    audio_s: f64,
    /// Host block, frames (`None`: the row does not depend on it).
    block: Option<usize>,
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
    dsp_core::testsignals::bench_mix(SECONDS, SAMPLE_RATE as f64)
}

fn config(block: usize) -> Result<ProcessorConfig, String> {
    ProcessorConfig::new(SAMPLE_RATE as f32, block, 2).map_err(|e| e.to_string())
}

/// A benchmarked chain: processes the next host block (an automated one first moves its
/// settings to where its lane is at the block's start).
trait Bench {
    fn block(&mut self, channels: &mut [&mut [f32]]);
}

/// A chain with static settings.
struct Static<P>(P);

impl<P: Processor> Bench for Static<P> {
    fn block(&mut self, channels: &mut [&mut [f32]]) {
        self.0.process(channels);
    }
}

/// A chain whose settings follow an automation lane: `lane` holds the settings at each block's
/// start, computed when the row is built (evaluating its automation curves is the DAW's work,
/// not the plugin's, so it is not timed); `apply` sets them before each block.
struct Automated<P, S> {
    chain: P,
    lane: Vec<S>,
    next: usize,
    apply: fn(&mut P, &S),
}

impl<P, S> Automated<P, S> {
    /// `chain` at host block `block` over the benchmark signal, its settings at `t` s `at(t)`.
    fn new(chain: P, block: usize, at: impl Fn(f64) -> S, apply: fn(&mut P, &S)) -> Self {
        let rate = SAMPLE_RATE as f64;
        let frames = (SECONDS * rate) as usize;
        let lane = (0..frames.div_ceil(block))
            .map(|k| at((k * block) as f64 / rate))
            .collect();
        Self {
            chain,
            lane,
            next: 0,
            apply,
        }
    }
}

impl<P: Processor, S> Bench for Automated<P, S> {
    fn block(&mut self, channels: &mut [&mut [f32]]) {
        if let Some(s) = self.lane.get(self.next) {
            (self.apply)(&mut self.chain, s);
        }
        self.next += 1;
        self.chain.process(channels);
    }
}

/// A slow automation lane: −1…1, a sine of `hz` Hz with phase `phase` (radians) at `t` s.
fn lane(t: f64, hz: f64, phase: f64) -> f32 {
    (std::f64::consts::TAU * hz * t + phase).sin() as f32
}

/// The automated EQ at `t` s: each of the eight bells' gains ±3 dB around its own (0.5 Hz)
/// and its frequency ±1/3 octave (0.25 Hz), every band on its own phase.
pub fn automated_eq(base: &EqSettings, t: f64) -> EqSettings {
    let mut s = *base;
    for (k, b) in s.bands.iter_mut().enumerate() {
        let ph = k as f64;
        b.gain_db += 3.0 * lane(t, 0.5, ph);
        b.freq_hz *= 2f32.powf(lane(t, 0.25, ph) / 3.0);
    }
    s
}

/// The automated compressor at `t` s: the threshold ±6 dB around its own (0.5 Hz).
pub fn automated_comp(base: &CompSettings, t: f64) -> CompSettings {
    CompSettings {
        threshold_db: base.threshold_db + 6.0 * lane(t, 0.5, 0.0),
        ..*base
    }
}

/// The automated master at `t` s: the limiter drive ±3 dB around its own (0.5 Hz, ≥ 0).
pub fn automated_master(base: &MasterSettings, t: f64) -> MasterSettings {
    MasterSettings {
        lim_drive_db: (base.lim_drive_db + 3.0 * lane(t, 0.5, 0.0)).max(0.0),
        ..*base
    }
}

/// The automated limiter at `t` s: the ceiling ±3 dB around its own (0.5 Hz), as the peers'
/// threshold lanes in tools/bench_lv2.py.
pub fn automated_limiter(base: &LimiterSettings, t: f64) -> LimiterSettings {
    LimiterSettings {
        ceiling_dbtp: base.ceiling_dbtp + 3.0 * lane(t, 0.5, 0.0),
        ..*base
    }
}

/// Runs `p` over `input` in blocks of `block` frames; returns the timed milliseconds.
fn time_processor(p: &mut dyn Bench, input: &[Vec<f32>; 2], block: usize) -> (f64, &'static str) {
    let mut l = input[0].clone();
    let mut r = input[1].clone();
    time_ms(|| run_blocks(p, &mut l, &mut r, block))
}

/// Processes `l`, `r` through `p` in place, in blocks of `block` frames.
fn run_blocks(p: &mut dyn Bench, l: &mut [f32], r: &mut [f32], block: usize) {
    for (cl, cr) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        p.block(&mut [cl, cr]);
    }
}

/// The standard EQ settings: eight bells.
pub fn eq_settings() -> EqSettings {
    let mut s = EqSettings::default();
    for (b, (f, g)) in s
        .bands
        .iter_mut()
        .zip(dsp_core::testsignals::BENCH_EQ_BELLS)
    {
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
        &AssistantOptions::default(),
    )?;
    match engines::accepted(Kind::Master, &base, &suggestion, 1.0) {
        Settings::Master(s) => Ok(s),
        _ => Err("master suggestion did not give master settings".into()),
    }
}

/// The analysis thread's display spectrum (as `tandem_common::audio::display::SpectrumToGrid`): Hann
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

/// The analysis thread's work for assistant `A` over `input` (pre) and `output` (post): the
/// assistant's features block by block, the pre and post display spectra, `meter` on the output
/// (the Master's loudness meter; nothing for the others), and one suggestion at the end, aiming
/// at `aim`. Also says whether the suggestion proposed anything.
fn time_analysis<A: Assistant>(
    aim: &A::Aim,
    meter: &mut dyn FnMut(&[&[f32]]),
    input: &[Vec<f32>; 2],
    output: &[Vec<f32>; 2],
) -> Result<(f64, &'static str, bool), String> {
    let sr = SAMPLE_RATE as f32;
    let mut pre = DisplaySpectrum::new(sr)?;
    let mut post = DisplaySpectrum::new(sr)?;
    let mut a = A::live(sr, 2).map_err(|e| e.to_string())?;
    let frames = input[0].len();
    let mut proposed = false;
    let (ms, clock) = time_ms(|| {
        for p in (0..frames).step_by(ANALYSIS_BLOCK) {
            let b = p..(p + ANALYSIS_BLOCK).min(frames);
            let i = [&input[0][b.clone()], &input[1][b.clone()]];
            let o = [&output[0][b.clone()], &output[1][b]];
            pre.process(&i);
            post.process(&o);
            meter(&o);
            A::process(&mut a, &i);
        }
        let s = A::suggest(
            &A::result(&a),
            aim,
            &A::Options::default(),
            &Default::default(),
        );
        proposed = !s.values.is_empty();
        std::hint::black_box(s);
    });
    Ok((ms, clock, proposed))
}

/// One plugin's analysis-thread timing over (input, output): (ms, clock).
type TimeAnalysis =
    Box<dyn Fn(&[Vec<f32>; 2], &[Vec<f32>; 2]) -> Result<(f64, &'static str), String>>;

/// The three plugins' analysis-thread timings: (key, label, timing), with the aims the plugins
/// start with (Balanced, Glue, Spotify).
fn analysis_timings() -> [(&'static str, &'static str, TimeAnalysis); 3] {
    let quiet = |_: &[&[f32]]| {};
    [
        (
            "analysis_eq",
            "Analysis thread, EQ",
            Box::new(move |i, o| {
                let aim = TargetId::Balanced.target();
                time_analysis::<EqAssistant>(&aim, &mut { quiet }, i, o).map(|(ms, c, _)| (ms, c))
            }),
        ),
        (
            "analysis_comp",
            "Analysis thread, Comp",
            Box::new(move |i, o| {
                let aim = CompStyle::from_key("glue").unwrap_or(CompStyle::ALL[0]);
                time_analysis::<CompAssistant>(&aim, &mut { quiet }, i, o).map(|(ms, c, _)| (ms, c))
            }),
        ),
        (
            "analysis_master",
            "Analysis thread, Master",
            Box::new(|i, o| {
                let sr = SAMPLE_RATE as f32;
                let mut meter = LoudnessAnalyzer::new(2, sr).map_err(|e| e.to_string())?;
                let aim = Platform::from_key("spotify")
                    .unwrap_or(Platform::ALL[0])
                    .target(-14.0, -1.0);
                let (ms, c, proposed) =
                    time_analysis::<MasterAssistant>(&aim, &mut |o| meter.process(o), i, o)?;
                if !proposed {
                    return Err("the master assistant suggested nothing".to_string());
                }
                Ok((ms, c))
            }),
        ),
    ]
}

/// Renders `input` through `p` in blocks of `block` frames (untimed).
fn render(p: &mut dyn Bench, input: &[Vec<f32>; 2], block: usize) -> [Vec<f32>; 2] {
    let mut out = input.clone();
    let [l, r] = &mut out;
    run_blocks(p, l, r, block);
    out
}

fn runs() -> usize {
    std::env::var("TANDEM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n >= 1)
        .unwrap_or(DEFAULT_RUNS)
}

type Make = Box<dyn Fn() -> Result<Box<dyn Bench>, String>>;

/// The chains of the DSP rows at host block `block`, the master chain at `master` (the
/// suggestion accepted, [`master_suggested`]): (key, label, constructor), static first, then
/// the automated ones (keys ending in `_automated`).
fn chains(master: MasterSettings, block: usize) -> Result<Vec<(String, String, Make)>, String> {
    let cfg = config(block)?;
    let eq = eq_settings();
    let comp = comp_settings();
    let lim = limiter_settings();
    let e = |e: dsp_core::ConfigError| e.to_string();
    let rows: Vec<(&str, &str, Make)> = vec![
        (
            "eq_8_bells",
            "EQ, 8 bells",
            Box::new(move || Ok(Box::new(Static(EqChain::new(cfg, &eq).map_err(e)?)))),
        ),
        (
            "comp_rms",
            "Comp, RMS, 4:1",
            Box::new(move || Ok(Box::new(Static(CompChain::new(cfg, &comp).map_err(e)?)))),
        ),
        (
            "limiter_4x",
            "Limiter, 4x true peak",
            Box::new(move || {
                Ok(Box::new(Static(
                    TruePeakLimiter::new(cfg, OversamplingFactor::X4, 5.0, lim).map_err(e)?,
                )))
            }),
        ),
        (
            "limiter_1x",
            "Limiter, no oversampling",
            Box::new(move || {
                Ok(Box::new(Static(
                    TruePeakLimiter::new(cfg, OversamplingFactor::X1, 5.0, lim).map_err(e)?,
                )))
            }),
        ),
        (
            "master_chain",
            "Master chain, suggestion accepted",
            Box::new(move || Ok(Box::new(Static(MasterChain::new(cfg, &master).map_err(e)?)))),
        ),
        (
            "eq_8_bells_automated",
            "EQ, 8 bells, gains+freqs moving",
            Box::new(move || {
                let p = EqChain::new(cfg, &eq).map_err(e)?;
                let at = move |t| automated_eq(&eq, t);
                Ok(Box::new(Automated::new(
                    p,
                    block,
                    at,
                    EqChain::set_settings,
                )))
            }),
        ),
        (
            "comp_rms_automated",
            "Comp, RMS, 4:1, threshold moving",
            Box::new(move || {
                let p = CompChain::new(cfg, &comp).map_err(e)?;
                let at = move |t| automated_comp(&comp, t);
                Ok(Box::new(Automated::new(
                    p,
                    block,
                    at,
                    CompChain::set_settings,
                )))
            }),
        ),
        (
            "limiter_4x_automated",
            "Limiter, 4x true peak, ceiling moving",
            Box::new(move || {
                let p = TruePeakLimiter::new(cfg, OversamplingFactor::X4, 5.0, lim).map_err(e)?;
                let at = move |t| automated_limiter(&lim, t);
                let apply = |p: &mut TruePeakLimiter, s: &LimiterSettings| p.set_settings(*s);
                Ok(Box::new(Automated::new(p, block, at, apply)))
            }),
        ),
        (
            "master_chain_automated",
            "Master chain, drive moving",
            Box::new(move || {
                let p = MasterChain::new(cfg, &master).map_err(e)?;
                let at = move |t| automated_master(&master, t);
                Ok(Box::new(Automated::new(
                    p,
                    block,
                    at,
                    MasterChain::set_settings,
                )))
            }),
        ),
    ];
    Ok(rows
        .into_iter()
        .map(|(k, l, m)| (k.to_string(), l.to_string(), m))
        .collect())
}

/// Measures the DSP rows at host block `block`.
fn measure_chains(
    input: &[Vec<f32>; 2],
    master: MasterSettings,
    runs: usize,
    block: usize,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (key, label, make) in chains(master, block)? {
        let mut row = Row {
            key,
            label,
            runs_ms: Vec::new(),
            clock: "cpu",
            out: None,
            audio_s: SECONDS,
            block: Some(block),
        };
        // One untimed warm-up run (page faults, caches) whose output is measured, then the
        // timed runs.
        let mut p = make()?;
        let out = render(p.as_mut(), input, block);
        let view = [out[0].as_slice(), out[1].as_slice()];
        let stats =
            dsp_core::loudness::measure(&view, SAMPLE_RATE as f32).map_err(|e| e.to_string())?;
        row.out = Some((
            stats.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY),
            stats.integrated_lufs.unwrap_or(f64::NEG_INFINITY),
        ));
        for _ in 0..runs {
            let mut p = make()?;
            let (ms, clock) = time_processor(p.as_mut(), input, block);
            row.runs_ms.push(ms);
            row.clock = clock;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Measures the analysis rows (the analysis threads see the plugin's input and output).
fn measure_analysis(
    input: &[Vec<f32>; 2],
    master: MasterSettings,
    runs: usize,
) -> Result<Vec<Row>, String> {
    let c = chains(master, DEFAULT_BLOCK)?;
    let out = |key: &str| -> Result<[Vec<f32>; 2], String> {
        let make = &c.iter().find(|r| r.0 == key).ok_or("no such chain")?.2;
        Ok(render(make()?.as_mut(), input, DEFAULT_BLOCK))
    };
    let outputs = [out("eq_8_bells")?, out("comp_rms")?, out("master_chain")?];
    let mut rows = Vec::new();
    for ((key, label, time), out) in analysis_timings().into_iter().zip(&outputs) {
        let mut row = Row {
            key: key.into(),
            label: label.into(),
            runs_ms: Vec::new(),
            clock: "cpu",
            out: None,
            audio_s: SECONDS,
            block: None,
        };
        time(input, out)?;
        for _ in 0..runs {
            let (ms, clock) = time(input, out)?;
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
    use crate::engines::{master_render_verified, suggest_measured, AssistantOptions, Kind};
    use crate::report::analysis_report_with;
    use crate::Failure;
    let rate = 44_100u32;
    let [l, r] = dsp_core::testsignals::demo_mix(MASTER_JOB_SECONDS, rate as f64);
    let input = Audio {
        channels: vec![l, r],
        sample_rate: rate,
    };
    let opts = AssistantOptions {
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
        let after = analysis_report_with(
            std::path::Path::new("output"),
            &output,
            Some(verified.loudness),
        )
        .map_err(message)?;
        std::hint::black_box((before, after));
        Ok(())
    };
    let mut row = Row {
        key: "tandem_master_4min_44k1".into(),
        label: "tandem master, 4 min 44.1 kHz file".into(),
        runs_ms: Vec::new(),
        clock: "cpu",
        out: None,
        audio_s: MASTER_JOB_SECONDS,
        block: None,
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

/// Runs the benchmark at each host block of `blocks` (none: [`DEFAULT_BLOCK`]) and prints the
/// tables (or JSON).
pub fn run(json: bool, blocks: &[usize]) -> Result<(), String> {
    let blocks = if blocks.is_empty() {
        vec![DEFAULT_BLOCK]
    } else {
        blocks.to_vec()
    };
    if let Some(b) = blocks.iter().find(|b| !(1..=MAX_BLOCK).contains(*b)) {
        return Err(format!(
            "--block {b}: a host block is 1 to {MAX_BLOCK} frames"
        ));
    }
    let runs = runs();
    let input = signal();
    let master = master_suggested(&input)?;
    let mut rows = Vec::new();
    for &b in &blocks {
        rows.extend(measure_chains(&input, master, runs, b)?);
    }
    rows.extend(measure_analysis(&input, master, runs)?);
    rows.push(master_job_row(runs)?);
    let cpu = cpu_model();
    if json {
        let configs: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "key": r.key,
                    "name": r.label,
                    "block_frames": r.block,
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
                "block_frames": blocks,
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
        println!("Tandem bench: 60 s stereo 48 kHz, median of {runs} runs");
        println!("CPU: {cpu}");
        let print = |r: &Row| {
            let clock = if r.clock == "cpu" { "" } else { " (wall)" };
            let tp = r.out.map_or(String::new(), |o| format!("{:.2}", o.0));
            println!(
                "{:<36} {:>10.1} {:>12.0} {:>12}{clock}",
                r.label,
                r.median_ms(),
                r.realtime(),
                tp
            );
        };
        let header = |title: &str| {
            println!();
            println!(
                "{:<36} {:>10} {:>12} {:>12}",
                title, "CPU ms", "x real time", "out dBTP"
            );
        };
        for &b in &blocks {
            header(&format!("host blocks of {b} frames"));
            rows.iter().filter(|r| r.block == Some(b)).for_each(print);
        }
        header("any host block");
        rows.iter().filter(|r| r.block.is_none()).for_each(print);
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
            key: "x".into(),
            label: "x".into(),
            runs_ms: vec![30.0, 10.0, 20.0, 1000.0],
            clock: "cpu",
            out: None,
            audio_s: SECONDS,
            block: None,
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
        let cfg = config(DEFAULT_BLOCK).unwrap();
        let lim =
            TruePeakLimiter::new(cfg, OversamplingFactor::X4, 5.0, limiter_settings()).unwrap();
        let out = render(&mut Static(lim), &input, DEFAULT_BLOCK);
        let out_peak = out
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(out_peak <= dsp_core::util::db_to_gain(LIMITER_CEILING_DBTP) * 1.001);
        assert!(thread_cpu_ns().is_some() || cfg!(not(target_os = "linux")));
    }

    /// The automated rows move what they say, within the parameters' ranges, and each chain
    /// renders the same static signal at every block size the bench offers (to float rounding).
    #[test]
    fn automation_moves_and_static_rows_do_not_depend_on_the_block() {
        let eq = eq_settings();
        let (a, b) = (automated_eq(&eq, 0.0), automated_eq(&eq, 0.7));
        for k in 0..8 {
            assert_ne!(a.bands[k].gain_db, b.bands[k].gain_db);
            assert_ne!(a.bands[k].freq_hz, b.bands[k].freq_hz);
            assert!((a.bands[k].gain_db - eq.bands[k].gain_db).abs() <= 3.0);
            assert!(b.bands[k].freq_hz <= eq.bands[k].freq_hz * 1.26);
        }
        let comp = comp_settings();
        assert_ne!(automated_comp(&comp, 0.5).threshold_db, comp.threshold_db);
        let m = MasterSettings {
            lim_drive_db: 1.0,
            ..MasterSettings::default()
        };
        assert_eq!(automated_master(&m, 1.5).lim_drive_db, 0.0, "never below 0");
        let lim = limiter_settings();
        assert_eq!(
            automated_limiter(&lim, 0.5).ceiling_dbtp,
            lim.ceiling_dbtp + 3.0
        );
        // 2 s of the signal through the EQ rows at blocks 1024 and 37.
        let input = signal().map(|c| c[..96_000].to_vec());
        let master = master_suggested(&input).unwrap();
        let render_at = |key: &str, block: usize| {
            let c = chains(master, block).unwrap();
            let make = &c.iter().find(|r| r.0 == key).unwrap().2;
            render(make().unwrap().as_mut(), &input, block)
        };
        let big = render_at("eq_8_bells", 1024);
        let small = render_at("eq_8_bells", 37);
        let diff = big[0]
            .iter()
            .zip(&small[0])
            .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(diff < 1e-5, "static EQ at 1024 vs 37 frames: {diff}");
        let moving = render_at("eq_8_bells_automated", 37);
        assert!(moving[0].iter().all(|v| v.is_finite()));
        let moved = big[0]
            .iter()
            .zip(&moving[0])
            .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(moved > 1e-2, "the automation changes the sound: {moved}");
    }
}
