//! The three processors and assistants behind one face: parameter IDs exactly as the plugins
//! expose them, validation of `--set id=value`, latency-compensated rendering, and suggestions.

use dsp_core::assist::comp::{suggest_comp, CompAnalysis, CompStyle, CompSuggestOptions};
use dsp_core::assist::eq::{suggest_eq, EqAnalysis, EqAssistOptions};
use dsp_core::assist::master::{
    suggest_master, MasterAnalysis, MasterAssistOptions, MasterReference, MasterTarget, Platform,
};
use dsp_core::assist::targets::{Target, TargetId};
use dsp_core::assist::Suggestion;
use dsp_core::chains::comp::{CompChain, CompSettings};
use dsp_core::chains::eq::{EqChain, EqSettings};
use dsp_core::chains::master::{MasterChain, MasterSettings};
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
        match self {
            Settings::Eq(s) => s.to_param_map(),
            Settings::Comp(s) => s.to_param_map(),
            Settings::Master(s) => s.to_param_map(),
        }
    }

    fn set_raw(&mut self, id: &str, value: f32) -> bool {
        match self {
            Settings::Eq(s) => s.set_param(id, value),
            Settings::Comp(s) => s.set_param(id, value),
            Settings::Master(s) => s.set_param(id, value),
        }
    }

    /// Sets one parameter; refuses unknown IDs, non-finite values and values the parameter
    /// cannot hold (out of range, or not one of its choices), with a one-line reason.
    pub fn set(&mut self, id: &str, value: f32) -> Result<(), String> {
        if !value.is_finite() {
            return Err(format!("{id}={value}: not a finite number"));
        }
        let mut probe = self.clone();
        if !probe.set_raw(id, value) {
            return Err(format!("unknown parameter ID '{id}'"));
        }
        let got = probe.to_map().get(id).copied().unwrap_or(f32::NAN);
        if (got - value).abs() > 1e-4 * value.abs().max(1.0) {
            return Err(format!(
                "{id}={value}: out of range or not a valid choice (the parameter would hold {got})"
            ));
        }
        *self = probe;
        Ok(())
    }

    /// Applies a map of values, leniently clamping (suggestions are always in range).
    pub fn apply_map(&mut self, map: &BTreeMap<String, f32>) {
        for (id, v) in map {
            self.set_raw(id, *v);
        }
    }

    /// The neutral value of a parameter for amount scaling.
    pub fn neutral(kind: Kind, id: &str) -> Option<f32> {
        match kind {
            Kind::Eq => dsp_core::chains::eq::neutral_value(id),
            Kind::Comp => dsp_core::chains::comp::neutral_value(id),
            Kind::Master => dsp_core::chains::master::neutral_value(id),
        }
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
        let nch = channels.len();
        let frames = channels.first().map(|c| c.len()).unwrap_or(0);
        let config = ProcessorConfig::new(sample_rate, 4096, nch).map_err(|e| e.to_string())?;
        let mut chain: Box<dyn Processor> = match self {
            Settings::Eq(s) => Box::new(EqChain::new(config, s).map_err(|e| e.to_string())?),
            Settings::Comp(s) => Box::new(CompChain::new(config, s).map_err(|e| e.to_string())?),
            Settings::Master(s) => {
                Box::new(MasterChain::new(config, s).map_err(|e| e.to_string())?)
            }
        };
        let latency = chain.latency_samples();
        let mut buf: Vec<Vec<f32>> = channels
            .iter()
            .map(|c| {
                let mut v = c.clone();
                v.resize(frames + latency, 0.0);
                v
            })
            .collect();
        let total = frames + latency;
        let mut pos = 0;
        while pos < total {
            let n = 4096.min(total - pos);
            let mut io: Vec<&mut [f32]> = buf.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
            chain.process(&mut io);
            pos += n;
            progress(pos.min(frames));
        }
        Ok(buf.into_iter().map(|c| c[latency..].to_vec()).collect())
    }
}

/// Assistant options from the command line.
#[derive(Debug, Clone, Default)]
pub struct AssistOptions {
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

fn eq_target(opts: &AssistOptions) -> Result<Target, String> {
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

fn master_target(opts: &AssistOptions) -> Result<MasterTarget, String> {
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
    opts: &AssistOptions,
) -> Result<Suggestion, String> {
    suggest_with_target(kind, channels, sample_rate, opts).map(|(s, _)| s)
}

/// [`suggest`], also returning the tonal target it aimed for (EQ: the profile or the
/// reference's curve; master: Balanced or the reference's curve; comp: none).
pub fn suggest_with_target(
    kind: Kind,
    channels: &[Vec<f32>],
    sample_rate: u32,
    opts: &AssistOptions,
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
    opts: &AssistOptions,
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
                &EqAssistOptions::default(),
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
            let s = suggest_comp(
                &r,
                style,
                &CompSuggestOptions::default(),
                &CompSettings::default(),
            );
            Ok((s, None, None))
        }
        Kind::Master => {
            let target = master_target(opts)?;
            let mut analysis = MasterAnalysis::new(sr, view.len()).map_err(|e| e.to_string())?;
            analysis.process(&view);
            let r = analysis.result();
            // The analysis hears only the first two channels.
            let loudness = (view.len() == channels.len()).then(|| analysis.loudness_stats());
            let mut options = MasterAssistOptions::default();
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
pub fn explicit_target(kind: Kind, opts: &AssistOptions) -> Result<Option<Target>, String> {
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
    let set = dsp_core::assist::accept::suggested_set(suggestion, &base.to_map(), amount, |id| {
        Settings::neutral(kind, id)
    });
    let mut s = base.clone();
    s.apply_map(&set);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_refuses_unknown_ids_and_out_of_range_values() {
        let mut s = Settings::default_for(Kind::Eq);
        assert!(s.set("b1_gain", 3.5).is_ok());
        assert_eq!(s.to_map()["b1_gain"], 3.5);
        assert!(s.set("b9_gain", 1.0).unwrap_err().contains("unknown"));
        assert!(s.set("b1_gain", 99.0).unwrap_err().contains("out of range"));
        assert!(s.set("b1_type", 2.5).is_err());
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
}
