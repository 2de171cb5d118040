//! The three processors and assistants behind one face: parameter IDs exactly as the plugins
//! expose them, validation of `--set id=value`, latency-compensated rendering, and suggestions.

use dsp_core::assistant::comp::{suggest_comp, CompAnalysis, CompAssistantOptions, CompStyle};
use dsp_core::assistant::eq::{suggest_eq, EqAnalysis, EqAssistantOptions};
use dsp_core::assistant::master::{
    suggest_master, MasterAnalysis, MasterAssistantOptions, MasterReference, MasterTarget, Platform,
};
use dsp_core::assistant::targets::{Target, TargetId};
use dsp_core::assistant::{Suggestion, SuggestionItem};
use dsp_core::chains::comp::{CompChain, CompSettings};
use dsp_core::chains::eq::{EqChain, EqSettings};
use dsp_core::chains::master::{MasterChain, MasterSettings};
use dsp_core::chains::params::ParamInfo;
use dsp_core::chains::Chain;
use dsp_core::loudness::LoudnessStats;
use dsp_core::{Processor, ProcessorConfig};
use std::collections::BTreeMap;

/// Which plugin's engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Tandem EQ.
    Eq,
    /// Tandem Comp.
    Comp,
    /// Tandem Master.
    Master,
}

impl Kind {
    /// The assistant name used in suggestion JSON.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Eq => "eq",
            Kind::Comp => "comp",
            Kind::Master => "master",
        }
    }
}

/// Settings of any of the three, as the plugins' parameter IDs → plain values.
#[derive(Debug, Clone)]
pub enum Settings {
    /// EQ settings.
    Eq(EqSettings),
    /// Comp settings.
    Comp(CompSettings),
    /// Master settings.
    Master(MasterSettings),
}

/// `$body` with `$s` bound to the settings inside and `$C` to their chain's type, whichever
/// plugin's they are: the one place that lists the plugins' settings and chains.
macro_rules! with_chain {
    ($settings:expr, $s:pat, $C:ident => $body:expr) => {
        match $settings {
            Settings::Eq($s) => {
                type $C = EqChain;
                $body
            }
            Settings::Comp($s) => {
                type $C = CompChain;
                $body
            }
            Settings::Master($s) => {
                type $C = MasterChain;
                $body
            }
        }
    };
}

impl Settings {
    /// The defaults (what a freshly inserted plugin plays).
    pub fn default_for(kind: Kind) -> Self {
        match kind {
            Kind::Eq => Settings::Eq(EqSettings::default()),
            Kind::Comp => Settings::Comp(CompSettings::default()),
            Kind::Master => Settings::Master(MasterSettings::default()),
        }
    }

    /// Every parameter as ID → plain value.
    pub fn to_map(&self) -> BTreeMap<String, f32> {
        with_chain!(self, s, C => C::param_map(s))
    }

    fn set_raw(&mut self, id: &str, value: f32) -> bool {
        with_chain!(self, s, C => C::set_param(s, id, value))
    }

    /// The parameter table of these settings' chain.
    pub fn params(&self) -> &'static [ParamInfo] {
        with_chain!(self, _, C => C::params())
    }

    /// Sets one parameter; refuses unknown IDs, non-finite values and values the parameter
    /// cannot hold (out of its range, not a whole menu index, a switch not 0 or 1), with a
    /// one-line reason that says what it takes (from the chain's parameter table).
    pub fn set(&mut self, id: &str, value: f32) -> Result<(), String> {
        let info = self
            .params()
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| format!("unknown parameter ID '{id}'"))?;
        info.check(value)?;
        self.set_raw(id, value);
        Ok(())
    }

    /// Applies a map of values, leniently clamping (suggestions are always in range).
    pub fn apply_map(&mut self, map: &BTreeMap<String, f32>) {
        for (id, v) in map {
            self.set_raw(id, *v);
        }
    }

    /// The EQ these settings apply, as a frequency response can be drawn from (`tandem
    /// response`, the suggestion's plot), with what the plugin calls it: the EQ's own, the
    /// Master's tone EQ, `None` for the Comp (its effect depends on the signal).
    pub fn tone_eq(&self) -> Option<(EqSettings, &'static str)> {
        match self {
            Settings::Eq(s) => Some((*s, "EQ")),
            Settings::Master(m) => Some((m.eq_settings(), "tone EQ")),
            Settings::Comp(_) => None,
        }
    }

    /// The neutral value of a parameter for amount scaling.
    pub fn neutral(kind: Kind, id: &str) -> Option<f32> {
        with_chain!(Settings::default_for(kind), _, C => C::neutral_value(id))
    }

    /// Renders planar audio through these settings, compensating the processor's latency so
    /// the output lines up with the input and has the same length.
    pub fn render(&self, channels: &[Vec<f32>], sample_rate: f32) -> Result<Vec<Vec<f32>>, String> {
        self.render_with_progress(channels, sample_rate, &mut |_| {})
    }

    /// [`Settings::render`], calling `progress` with the input frames processed so far after
    /// each block.
    pub fn render_with_progress(
        &self,
        channels: &[Vec<f32>],
        sample_rate: f32,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>, String> {
        let config = render_config(channels, sample_rate)?;
        let mut chain: Box<dyn Processor> =
            with_chain!(self, s, C => Box::new(C::build(config, s).map_err(|e| e.to_string())?));
        let latency = chain.latency_samples();
        let frames = channels.first().map_or(0, |c| c.len());
        let mut buf = padded(channels, latency);
        in_render_blocks(&mut buf, |io| chain.process(io), &mut |n| {
            progress(n.min(frames))
        });
        Ok(trimmed(buf, latency))
    }
}

/// The configuration [`Settings::render`] builds its chain with: blocks of [`RENDER_BLOCK`].
fn render_config(channels: &[Vec<f32>], sample_rate: f32) -> Result<ProcessorConfig, String> {
    ProcessorConfig::new(sample_rate, RENDER_BLOCK, channels.len()).map_err(|e| e.to_string())
}

/// The block [`Settings::render`] processes in, frames.
const RENDER_BLOCK: usize = 4096;

/// `channels` followed by `latency` frames of silence (the render's tail).
fn padded(channels: &[Vec<f32>], latency: usize) -> Vec<Vec<f32>> {
    channels
        .iter()
        .map(|c| {
            let mut v = Vec::with_capacity(c.len() + latency);
            v.extend_from_slice(c);
            v.resize(c.len() + latency, 0.0);
            v
        })
        .collect()
}

/// The render without its first `latency` frames: aligned with the input.
fn trimmed(buf: Vec<Vec<f32>>, latency: usize) -> Vec<Vec<f32>> {
    buf.into_iter()
        .map(|mut c| {
            c.drain(..latency.min(c.len()));
            c
        })
        .collect()
}

/// Runs `process` over `buf` (a [`padded`] input) in [`RENDER_BLOCK`] blocks, calling
/// `progress` with the frames done after each (the tail included).
fn in_render_blocks(
    buf: &mut [Vec<f32>],
    mut process: impl FnMut(&mut [&mut [f32]]),
    progress: &mut dyn FnMut(usize),
) {
    let total = buf.first().map_or(0, |c| c.len());
    let mut pos = 0;
    while pos < total {
        let n = RENDER_BLOCK.min(total - pos);
        let mut io: Vec<&mut [f32]> = buf.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        process(&mut io);
        pos += n;
        progress(pos);
    }
}

/// Renders master settings for [`master_render_verified`]: what [`Settings::render`] gives,
/// bit for bit, but keeping the output of the stages before the limiter, so that a render
/// whose settings differ only from the drive on (a corrected drive or ceiling) runs just the
/// limiter stage again ([`MasterChain::process_limit_stage`]). Holds one more copy of the file.
struct MasterRenderer<'a> {
    channels: &'a [Vec<f32>],
    sample_rate: f32,
    /// The settings the kept stages ran at, and their output (with the latency tail).
    kept: Option<(MasterSettings, Vec<Vec<f32>>)>,
}

impl MasterRenderer<'_> {
    fn render(
        &mut self,
        settings: &MasterSettings,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>, String> {
        let config = render_config(self.channels, self.sample_rate)?;
        let frames = self.channels.first().map_or(0, |c| c.len());
        let mut chain = MasterChain::new(config, settings).map_err(|e| e.to_string())?;
        let latency = chain.latency_samples();
        let kept = match self.kept.take() {
            Some((k, buf)) if k.same_before_limiter(settings) => Some(buf),
            _ => None,
        };
        let mut buf = match &kept {
            Some(k) => k.clone(),
            None => padded(self.channels, latency),
        };
        let mut fresh: Vec<Vec<f32>> = Vec::new();
        if kept.is_none() {
            fresh = buf.iter().map(|c| Vec::with_capacity(c.len())).collect();
        }
        // Block by block: the stages before the limiter (their output kept), then the rest.
        in_render_blocks(
            &mut buf,
            |io| {
                if kept.is_none() {
                    chain.process_pre_limiter(io, |_| {});
                    for (f, c) in fresh.iter_mut().zip(io.iter()) {
                        f.extend_from_slice(c);
                    }
                }
                chain.process_limit_stage(io);
            },
            &mut |n| progress(n.min(frames)),
        );
        self.kept = Some((*settings, kept.unwrap_or(fresh)));
        Ok(trimmed(buf, latency))
    }
}

/// Assistant options from the command line.
#[derive(Debug, Clone, Default)]
pub struct AssistantOptions {
    /// EQ tonal profile key (`balanced`, `warm`, …).
    pub profile: Option<String>,
    /// A reference track, already read: (name, planar audio, sample rate).
    pub reference: Option<(String, Vec<Vec<f32>>, u32)>,
    /// Comp style key.
    pub style: Option<String>,
    /// Master platform key.
    pub target: Option<String>,
    /// Master custom loudness target, LUFS.
    pub lufs: Option<f32>,
    /// Master custom ceiling, dBTP.
    pub ceiling: Option<f32>,
}

fn eq_target(opts: &AssistantOptions) -> Result<Target, String> {
    if let Some((name, audio, sr)) = &opts.reference {
        let view: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
        let r = EqAnalysis::analyze(&view, *sr as f32).map_err(|e| format!("{name}: {e}"))?;
        if r.heard_seconds <= 0.0 {
            return Err(format!("{name}: the reference is silent"));
        }
        return Ok(r.reference_target(name));
    }
    let key = opts.profile.as_deref().unwrap_or("balanced");
    TargetId::from_key(key)
        .map(TargetId::target)
        .ok_or_else(|| {
            let all: Vec<&str> = TargetId::ALL.iter().map(|t| t.key()).collect();
            format!(
                "--profile {key}: unknown profile (one of {})",
                all.join(", ")
            )
        })
}

fn master_target(opts: &AssistantOptions) -> Result<MasterTarget, String> {
    match (opts.lufs, opts.ceiling) {
        (Some(l), c) => {
            let c = c.unwrap_or(-1.0);
            if !(-40.0..=-3.0).contains(&l) {
                return Err(format!("--lufs {l}: must be between -40 and -3"));
            }
            if !(-3.0..=-0.1).contains(&c) {
                return Err(format!("--ceiling {c}: must be between -3 and -0.1 dBTP"));
            }
            Ok(MasterTarget::custom(l, c))
        }
        (None, Some(_)) => Err("--ceiling needs --lufs (or use --target)".into()),
        (None, None) => {
            let key = opts.target.as_deref().unwrap_or("spotify");
            let p = Platform::from_key(key)
                .filter(|p| *p != Platform::Custom)
                .ok_or_else(|| {
                    let all: Vec<&str> = Platform::ALL
                        .iter()
                        .filter(|p| **p != Platform::Custom)
                        .map(|p| p.key())
                        .collect();
                    format!(
                        "--target {key}: unknown platform (one of {})",
                        all.join(", ")
                    )
                })?;
            Ok(p.target(-14.0, -1.0))
        }
    }
}

/// Runs the assistant of `kind` on planar audio and returns its suggestion.
pub fn suggest(
    kind: Kind,
    channels: &[Vec<f32>],
    sample_rate: u32,
    opts: &AssistantOptions,
) -> Result<Suggestion, String> {
    suggest_with_target(kind, channels, sample_rate, opts).map(|(s, _)| s)
}

/// [`suggest`], also returning the tonal target it aimed for (EQ: the profile or the
/// reference's curve; master: Balanced or the reference's curve; comp: none).
pub fn suggest_with_target(
    kind: Kind,
    channels: &[Vec<f32>],
    sample_rate: u32,
    opts: &AssistantOptions,
) -> Result<(Suggestion, Option<Target>), String> {
    suggest_measured(kind, channels, sample_rate, opts).map(|(s, t, _)| (s, t))
}

/// [`suggest_with_target`], also returning the input's loudness when the assistant measured
/// all of it (master, 1–2 channels): the values `dsp_core::loudness::measure` gives for
/// `channels`, so the caller need not measure the input a second time.
pub fn suggest_measured(
    kind: Kind,
    channels: &[Vec<f32>],
    sample_rate: u32,
    opts: &AssistantOptions,
) -> Result<(Suggestion, Option<Target>, Option<LoudnessStats>), String> {
    let view: Vec<&[f32]> = channels.iter().take(2).map(|c| c.as_slice()).collect();
    let sr = sample_rate as f32;
    match kind {
        Kind::Eq => {
            let target = eq_target(opts)?;
            let r = EqAnalysis::analyze(&view, sr).map_err(|e| e.to_string())?;
            let s = suggest_eq(
                &r,
                &target,
                &EqAssistantOptions::default(),
                &EqSettings::default(),
            );
            Ok((s, Some(target), None))
        }
        Kind::Comp => {
            let key = opts.style.as_deref().unwrap_or("glue");
            let style = CompStyle::from_key(key).ok_or_else(|| {
                let all: Vec<&str> = CompStyle::ALL.iter().map(|s| s.key()).collect();
                format!("--style {key}: unknown style (one of {})", all.join(", "))
            })?;
            let r = CompAnalysis::analyze(&view, sr).map_err(|e| e.to_string())?;
            let mut s = suggest_comp(
                &r,
                style,
                &CompAssistantOptions::default(),
                &CompSettings::default(),
            );
            comp_makeup_verified(&mut s, channels, sample_rate)?;
            Ok((s, None, None))
        }
        Kind::Master => {
            let target = master_target(opts)?;
            let mut analysis = MasterAnalysis::new(sr, view.len()).map_err(|e| e.to_string())?;
            analysis.process(&view);
            let r = analysis.result();
            // The analysis hears only the first two channels.
            let loudness = (view.len() == channels.len()).then(|| analysis.loudness_stats());
            let mut options = MasterAssistantOptions::default();
            if let Some((name, audio, rsr)) = &opts.reference {
                let rv: Vec<&[f32]> = audio.iter().take(2).map(|c| c.as_slice()).collect();
                let ra = MasterAnalysis::analyze(&rv, *rsr as f32).map_err(|e| e.to_string())?;
                options.reference = Some(
                    MasterReference::from_analysis(name, &ra)
                        .ok_or_else(|| format!("{name}: the reference is silent"))?,
                );
            }
            let s = suggest_master(&r, &target, &options, &MasterSettings::default());
            let tonal = match &options.reference {
                Some(reference) => reference.tonal.clone(),
                None => options
                    .tonal_target
                    .clone()
                    .unwrap_or_else(|| TargetId::Balanced.target()),
            };
            Ok((s, Some(tonal), loudness))
        }
    }
}

/// The tonal target to draw for a render without `--suggested`: the EQ's profile or reference
/// when one was given, the master's reference when one was given, otherwise none.
pub fn explicit_target(kind: Kind, opts: &AssistantOptions) -> Result<Option<Target>, String> {
    match kind {
        Kind::Eq if opts.profile.is_some() || opts.reference.is_some() => eq_target(opts).map(Some),
        Kind::Master => match &opts.reference {
            Some((name, audio, sr)) => {
                let rv: Vec<&[f32]> = audio.iter().take(2).map(|c| c.as_slice()).collect();
                let ra = MasterAnalysis::analyze(&rv, *sr as f32).map_err(|e| e.to_string())?;
                MasterReference::from_analysis(name, &ra)
                    .map(|r| Some(r.tonal))
                    .ok_or_else(|| format!("{name}: the reference is silent"))
            }
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The settings that play when `suggestion` is accepted at `amount` (0–1) onto `base`.
pub fn accepted(kind: Kind, base: &Settings, suggestion: &Suggestion, amount: f32) -> Settings {
    let set =
        dsp_core::assistant::accept::suggested_set(suggestion, &base.to_map(), amount, |id| {
            Settings::neutral(kind, id)
        });
    let mut s = base.clone();
    s.apply_map(&set);
    s
}

/// Most renders `tandem master` makes to verify and correct its result.
pub const MASTER_MAX_PASSES: usize = 3;
/// `tandem master` corrects the drive until the output is this close to the target, LU.
pub const MASTER_VERIFY_TOLERANCE_LU: f64 = 0.2;

/// The whole file's true peak by dsp-core's [`dsp_core::loudness::true_peak::TruePeakMeter`], dBTP.
pub fn true_peak_dbtp(channels: &[Vec<f32>], sample_rate: f32) -> Option<f64> {
    let config = ProcessorConfig::new(sample_rate, 4096, channels.len()).ok()?;
    let mut meter = dsp_core::loudness::true_peak::TruePeakMeter::new(config).ok()?;
    let refs: Vec<&[f32]> = channels.iter().map(|c| c.as_slice()).collect();
    meter.process(&refs);
    Some(meter.max_dbtp() as f64)
}

/// What [`master_render_verified`] rendered and measured.
#[derive(Debug, Clone)]
pub struct MasterVerified {
    /// The rendered audio (latency compensated, the input's length).
    pub rendered: Vec<Vec<f32>>,
    /// Renders made (1 = the suggestion met its target as simulated).
    pub passes: usize,
    /// Integrated loudness and true peak of the first render (the suggestion as simulated).
    pub first: (Option<f64>, Option<f64>),
    /// Integrated loudness and true peak of the final render.
    pub last: (Option<f64>, Option<f64>),
    /// Everything [`dsp_core::loudness::measure`] gives for the final render (the report of
    /// the output reuses it when nothing changes the audio after the render).
    pub loudness: LoudnessStats,
}

/// Renders the whole file through the master suggestion `s` accepted at `amount`, then
/// verifies it: the file is all there, so when the integrated loudness misses the target by
/// more than [`MASTER_VERIFY_TOLERANCE_LU`] or the true peak (dsp-core's meter) exceeds the
/// ceiling, the limiter drive (secant on the measured loudness) and ceiling are corrected in `s`
/// (values, the limiter item and its reason) and the file rendered again, at most
/// [`MASTER_MAX_PASSES`] renders in all (a correction of the drive or ceiling alone runs only
/// the limiter stage again, see `MasterRenderer`). At an amount below 100 % the engineer asked
/// for less than the target, so nothing is corrected.
pub fn master_render_verified(
    s: &mut Suggestion,
    channels: &[Vec<f32>],
    sample_rate: u32,
    amount: f32,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<MasterVerified, String> {
    let sr = sample_rate as f32;
    let target = s.measurements.get("target_lufs").copied();
    let ceiling = s.measurements.get("target_ceiling_dbtp").copied();
    let base = Settings::default_for(Kind::Master);
    let mut prev: Option<(f64, f64)> = None; // (drive, loudness)
    let mut first = (None, None);
    let mut pass = 0;
    let mut renderer = MasterRenderer {
        channels,
        sample_rate: sr,
        kept: None,
    };
    loop {
        pass += 1;
        let settings = accepted(Kind::Master, &base, s, amount);
        let Settings::Master(m) = &settings else {
            return Err("internal error: not master settings".into());
        };
        let rendered = renderer.render(m, &mut |n| progress(pass, n))?;
        let refs: Vec<&[f32]> = rendered.iter().map(|c| c.as_slice()).collect();
        let loudness = dsp_core::loudness::measure(&refs, sr).map_err(|e| e.to_string())?;
        let (lufs, tp) = (loudness.integrated_lufs, loudness.true_peak_dbtp);
        if pass == 1 {
            first = (lufs, tp);
        }
        let done = |s: &mut Suggestion| {
            s.measurements.insert("verified_passes".into(), pass as f64);
            if let Some(l) = lufs {
                s.measurements.insert("verified_lufs".into(), l);
            }
            if let Some(t) = tp {
                s.measurements.insert("verified_true_peak_dbtp".into(), t);
            }
        };
        let (Some(t), Some(c), Some(l), Settings::Master(m)) = (target, ceiling, lufs, &settings)
        else {
            done(s);
            return Ok(MasterVerified {
                rendered,
                passes: pass,
                first,
                last: (lufs, tp),
                loudness,
            });
        };
        let err = t - l;
        let over = tp.map_or(0.0, |tp| tp - c);
        // The level control: input gain (≤ 0, turning a hot mix down) and then drive.
        let level = (m.in_gain_db.min(0.0) + m.lim_drive_db) as f64;
        let loud_ok = err.abs() <= MASTER_VERIFY_TOLERANCE_LU
            || (level >= 24.0 && err > 0.0)
            || (level <= -24.0 && err < 0.0);
        let peak_ok = over <= 0.0 || m.lim_ceiling_dbtp <= -3.0;
        if amount < 1.0 || pass >= MASTER_MAX_PASSES || (loud_ok && peak_ok) {
            done(s);
            return Ok(MasterVerified {
                rendered,
                passes: pass,
                first,
                last: (lufs, tp),
                loudness,
            });
        }
        // Loudness per dB of level: 1 below the limiter, less as it works harder.
        let slope = match prev {
            Some((pd, pl)) if (level - pd).abs() > 1e-3 => {
                ((l - pl) / (level - pd)).clamp(0.2, 1.2)
            }
            _ => 1.0,
        };
        prev = Some((level, l));
        let new_level = if loud_ok {
            level
        } else {
            (level + err / slope).clamp(-24.0, 24.0)
        };
        let round = |v: f64| ((v * 100.0).round() / 100.0) as f32;
        let (new_in, new_drive) = if new_level < 0.0 {
            (round(new_level), 0.0)
        } else {
            (0.0, round(new_level))
        };
        let new_ceiling = if peak_ok {
            m.lim_ceiling_dbtp
        } else {
            (m.lim_ceiling_dbtp - over as f32 - 0.02).max(-3.0)
        };
        s.values.insert("lim_drive".into(), new_drive);
        s.values.insert("lim_ceiling".into(), new_ceiling);
        if new_in != 0.0 || s.values.contains_key("in_gain") {
            s.values.insert("in_gain".into(), new_in);
        }
        let measured = format!(
            " Rendered whole, the file measured {l:.1} LUFS{}; corrected",
            tp.map_or(String::new(), |tp| format!(" and {tp:.2} dBTP"))
        );
        if let Some(it) = s.items.iter_mut().find(|i| i.key == "input") {
            it.values.insert("in_gain".into(), new_in);
            it.title = if new_in < 0.0 {
                format!("Turn the input down by {:.1} dB", -new_in)
            } else {
                "Input gain 0 dB".into()
            };
            it.reason
                .push_str(&format!("{measured} to {new_in:+.2} dB."));
        } else if new_in != 0.0 {
            s.items.push(SuggestionItem {
                key: "input".into(),
                title: format!("Turn the input down by {:.1} dB", -new_in),
                values: [("in_gain".to_string(), new_in)].into_iter().collect(),
                reason: format!("{measured} the input gain to {new_in:+.2} dB: the drive alone cannot make it quieter."),
                confidence: s.items.iter().find(|i| i.key == "limiter").map_or(0.5, |i| i.confidence),
            });
        }
        if let Some(it) = s.items.iter_mut().find(|i| i.key == "limiter") {
            it.values.insert("lim_drive".into(), new_drive);
            it.values.insert("lim_ceiling".into(), new_ceiling);
            it.title = format!("Limiter: drive {new_drive:.1} dB, ceiling {new_ceiling:.1} dBTP");
            it.reason.push_str(&format!(
                "{measured} to drive {new_drive:.2} dB, ceiling {new_ceiling:.2} dBTP."
            ));
        }
    }
}

/// The comp suggestion's makeup is corrected when the whole file's loudness moves more than
/// this, LU (the makeup is set in 0.1 dB steps).
pub const COMP_MAKEUP_TOLERANCE_LU: f64 = 0.05;

/// Checks the comp suggestion's makeup on the whole file. The assistant solves it on an excerpt
/// (what the plugin hears, in bounded memory); the CLI has all of the file, so it renders it
/// with the suggestion accepted, measures the BS.1770 integrated loudness in and out (the first
/// two channels, as the analysis hears them) and, when they differ by more than
/// [`COMP_MAKEUP_TOLERANCE_LU`], corrects the makeup in `s` (its values, the makeup item and its
/// reason) and checks again, at most two corrections (a mix below 100 % makes the makeup not a
/// pure gain shift). Returns the final output minus input loudness, LU; `None` when there is
/// no makeup item or the file is too short or silent to measure.
pub fn comp_makeup_verified(
    s: &mut Suggestion,
    channels: &[Vec<f32>],
    sample_rate: u32,
) -> Result<Option<f64>, String> {
    if !s.items.iter().any(|i| i.key == "makeup") {
        return Ok(None);
    }
    let sr = sample_rate as f32;
    let measure = |audio: &[Vec<f32>]| -> Result<Option<f64>, String> {
        let refs: Vec<&[f32]> = audio.iter().take(2).map(|c| c.as_slice()).collect();
        dsp_core::loudness::measure_integrated(&refs, sr, false)
            .map(|(l, _)| l)
            .map_err(|e| e.to_string())
    };
    let Some(input) = measure(channels)? else {
        return Ok(None);
    };
    let base = Settings::default_for(Kind::Comp);
    let mut pass = 0;
    loop {
        pass += 1;
        let settings = accepted(Kind::Comp, &base, s, 1.0);
        let Some(out) = measure(&settings.render(channels, sr)?)? else {
            return Ok(None);
        };
        let change = out - input;
        let Settings::Comp(c) = settings else {
            return Ok(Some(change));
        };
        let makeup = (((c.makeup_db as f64 - change) * 10.0).round() / 10.0).clamp(-24.0, 24.0);
        if change.abs() <= COMP_MAKEUP_TOLERANCE_LU
            || pass > 2
            || (makeup - c.makeup_db as f64).abs() < 0.05
        {
            s.measurements.insert("verified_output_lufs".into(), out);
            s.measurements.insert("verified_input_lufs".into(), input);
            return Ok(Some(change));
        }
        let makeup = makeup as f32;
        s.values
            .insert(dsp_core::chains::comp::ids::MAKEUP.into(), makeup);
        if let Some(it) = s.items.iter_mut().find(|i| i.key == "makeup") {
            it.values
                .insert(dsp_core::chains::comp::ids::MAKEUP.into(), makeup);
            it.title = format!("Makeup {makeup:+.1} dB");
            it.reason.push_str(&format!(
                " Rendered whole, the file measured {out:.1} LUFS against {input:.1} LUFS in; corrected to {makeup:+.1} dB."
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CLI's plugins are `bundler.toml`'s, the one list of the plugins: a plugin added
    /// there and not here (or the other way round) fails.
    #[test]
    fn the_kinds_are_the_bundled_plugins() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../bundler.toml");
        let table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
        let mut bundled: Vec<String> = table.keys().cloned().collect();
        let mut kinds: Vec<String> = <Kind as clap::ValueEnum>::value_variants()
            .iter()
            .map(|k| format!("tandem-{}", k.key()))
            .collect();
        bundled.sort();
        kinds.sort();
        assert_eq!(kinds, bundled);
    }

    #[test]
    fn set_refuses_unknown_ids_and_out_of_range_values() {
        let mut s = Settings::default_for(Kind::Eq);
        assert!(s.set("b1_gain", 3.5).is_ok());
        assert_eq!(s.to_map()["b1_gain"], 3.5);
        assert!(s.set("b9_gain", 1.0).unwrap_err().contains("unknown"));
        assert_eq!(
            s.set("b1_gain", 99.0).unwrap_err(),
            "b1_gain=99: out of range (-24 to 24 dB)"
        );
        assert!(s.set("b1_type", 2.5).unwrap_err().contains("1 = Low Shelf"));
        assert!(s.set("b1_on", 0.5).is_err());
        assert!(s.set("b1_type", 7.0).is_ok());
        assert_eq!(s.to_map()["b1_type"], 7.0);
        assert!(s.set("b1_gain", f32::NAN).is_err());
        let mut c = Settings::default_for(Kind::Comp);
        assert!(c.set("threshold", -30.0).is_ok());
        assert!(c.set("threshold", 10.0).is_err());
        let mut m = Settings::default_for(Kind::Master);
        assert!(m.set("lim_ceiling", -0.5).is_ok());
        assert!(m.set("lim_ceiling", 0.5).is_err());
    }

    #[test]
    fn render_compensates_latency() {
        let sr = 48_000.0;
        let mut x = vec![0.0f32; 20_000];
        x[1000] = 0.5;
        for kind in [Kind::Eq, Kind::Comp, Kind::Master] {
            let s = Settings::default_for(kind);
            let out = s.render(&[x.clone(), x.clone()], sr).unwrap();
            assert_eq!(out[0].len(), x.len());
            let peak = (0..out[0].len())
                .max_by(|a, b| out[0][*a].abs().total_cmp(&out[0][*b].abs()))
                .unwrap();
            assert!((peak as i64 - 1000).abs() <= 2, "{kind:?}: peak at {peak}");
        }
    }

    /// A 20 s stereo test programme: noise bursts at two levels (deterministic).
    fn programme(sr: u32, gain: f32) -> Vec<Vec<f32>> {
        let n = 20 * sr as usize;
        let mut state = 0x2545_f491_u32;
        let mut rnd = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32 * 2.0 - 1.0
        };
        (0..2)
            .map(|_| {
                (0..n)
                    .map(|i| {
                        let loud = (i / (sr as usize / 2)).is_multiple_of(3);
                        rnd() * gain * if loud { 1.0 } else { 0.2 }
                    })
                    .collect()
            })
            .collect()
    }

    /// The verification corrects a suggestion that misses its target (here made to miss on
    /// purpose: drive 2 dB short, then a hot mix whose input gain is 3 dB short of quiet
    /// enough), within the tolerance, and says so in the limiter item.
    #[test]
    fn master_verification_corrects_a_missed_target() {
        let sr = 48_000;
        for (gain, field, error) in [(0.1f32, "lim_drive", -2.0f32), (0.9, "in_gain", 3.0)] {
            let x = programme(sr, gain);
            let opts = AssistantOptions::default();
            let (mut s, _) = suggest_with_target(Kind::Master, &x, sr, &opts).unwrap();
            let target = s.measurements["target_lufs"];
            let v = s.values.get(field).copied().unwrap_or(0.0) + error;
            s.values.insert(field.into(), v);
            let r = master_render_verified(&mut s, &x, sr, 1.0, &mut |_, _| {}).unwrap();
            let first = r.first.0.unwrap();
            let last = r.last.0.unwrap();
            assert!(
                (first - target).abs() > 1.0,
                "{field}: the miss is real ({first})"
            );
            assert!(r.passes > 1, "{field}");
            assert!(
                (last - target).abs() <= MASTER_VERIFY_TOLERANCE_LU + 0.05,
                "{field}: {last} LUFS against {target}"
            );
            let c = s.measurements["target_ceiling_dbtp"];
            assert!(r.last.1.unwrap() <= c + 1e-3, "{field}: true peak");
            let lim = s.items.iter().find(|i| i.key == "limiter").unwrap();
            assert!(lim.reason.contains("Rendered whole"), "{}", lim.reason);
            assert_eq!(s.measurements["verified_passes"], r.passes as f64);
            // The corrected suggestion is what a second render plays (the drive's correction
            // ran the limiter stage alone over the kept stages before it), and the measurement
            // the output report reuses is the render's.
            let again = accepted(Kind::Master, &Settings::default_for(Kind::Master), &s, 1.0)
                .render(&x, sr as f32)
                .unwrap();
            assert_eq!(again, r.rendered, "{field}");
            let refs: Vec<&[f32]> = r.rendered.iter().map(|c| c.as_slice()).collect();
            assert_eq!(
                r.loudness,
                dsp_core::loudness::measure(&refs, sr as f32).unwrap(),
                "{field}"
            );
        }
    }

    /// The comp makeup check: a suggestion whose makeup is made 2 dB wrong on purpose is
    /// corrected on the whole file to within the tolerance (and the rounding of the makeup
    /// to 0.1 dB), says so in the makeup item, and the corrected values are what a render plays.
    #[test]
    fn comp_makeup_check_corrects_the_loudness_on_the_whole_file() {
        let sr = 48_000;
        // Percussive: a decaying noise hit every 250 ms over a quiet bed, louder in the
        // second half (so an excerpt is not the whole).
        let bed = programme(sr, 0.02);
        let x: Vec<Vec<f32>> = bed
            .iter()
            .map(|c| {
                c.iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        let t = (i % (sr as usize / 4)) as f32 / sr as f32;
                        let level = if i < c.len() / 2 { 0.3 } else { 0.6 };
                        b + b * 40.0 * level * (-t / 0.04).exp()
                    })
                    .collect()
            })
            .collect();
        let opts = AssistantOptions::default();
        let (mut s, _) = suggest_with_target(Kind::Comp, &x, sr, &opts).unwrap();
        assert!(
            s.items.iter().any(|i| i.key == "threshold"),
            "compresses: {:?}",
            s.items
                .iter()
                .map(|i| (&i.title, &i.reason))
                .collect::<Vec<_>>()
        );
        let wrong = s.values[dsp_core::chains::comp::ids::MAKEUP] + 2.0;
        s.values
            .insert(dsp_core::chains::comp::ids::MAKEUP.into(), wrong);
        let loudness = |s: &Suggestion| {
            let out = accepted(Kind::Comp, &Settings::default_for(Kind::Comp), s, 1.0)
                .render(&x, sr as f32)
                .unwrap();
            let m = |a: &[Vec<f32>]| {
                let r: Vec<&[f32]> = a.iter().map(|c| c.as_slice()).collect();
                dsp_core::loudness::measure_integrated(&r, sr as f32, false)
                    .unwrap()
                    .0
                    .unwrap()
            };
            m(&out) - m(&x)
        };
        assert!(loudness(&s) > 1.5, "the miss is real: {}", loudness(&s));
        let change = comp_makeup_verified(&mut s, &x, sr).unwrap().unwrap();
        assert!(change.abs() <= COMP_MAKEUP_TOLERANCE_LU + 0.05, "{change}");
        assert!(
            (loudness(&s) - change).abs() < 1e-9,
            "the check measured what plays"
        );
        let item = s.items.iter().find(|i| i.key == "makeup").unwrap();
        assert!(item.reason.contains("Rendered whole"), "{}", item.reason);
        assert_eq!(
            item.values[dsp_core::chains::comp::ids::MAKEUP],
            s.values[dsp_core::chains::comp::ids::MAKEUP]
        );
    }
}
