//! Tandem Master's analysis-thread side: learns the input ([`MasterAnalysis`]: loudness, tonal
//! balance, stereo, an excerpt for simulation), proposes settings with [`suggest_master`] for the
//! chosen platform, meters the output for the editor ([`OutputMeter`]) and measures the loudness
//! difference between the manual and the suggested settings on the recent input.
//!
//! [`MasterAnalysis`]: dsp_core::assistant::master::MasterAnalysis

use crate::meters::{Meters, OutputMeter};
use crate::reference::ReferenceSlot;
use dsp_core::assistant::master::{
    suggest_master, MasterAnalysisResult, MasterAssistant, MasterAssistantOptions, MasterTarget,
    Platform,
};
use dsp_core::assistant::Suggestion;
use dsp_core::chains::master::{MasterChain, MasterSettings};
use std::collections::BTreeMap;
use std::sync::Arc;
use tandem_common::analysis::generic::{AnalyzerSpec, AssistantAnalyzer};
use tandem_common::analysis::monitor::TapMonitor;
use tandem_common::audio::display::Display;

/// Default custom target loudness, LUFS.
pub const DEFAULT_CUSTOM_LUFS: f32 = -14.0;
/// Default custom target ceiling, dBTP.
pub const DEFAULT_CUSTOM_CEILING: f32 = -1.0;

/// The platform index and custom values in a manual-value map (enum = variant index).
fn target_key(manual: &BTreeMap<String, f32>) -> (Platform, f32, f32) {
    let platform = manual
        .get("master_target")
        .map(|v| Platform::from_value(*v))
        .unwrap_or_default();
    let get = |id: &str, default: f32| {
        manual
            .get(id)
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(default)
    };
    (
        platform,
        get("custom_lufs", DEFAULT_CUSTOM_LUFS),
        get("custom_ceiling", DEFAULT_CUSTOM_CEILING),
    )
}

/// The delivery target chosen in a manual-value map.
pub fn target_from_manual(manual: &BTreeMap<String, f32>) -> MasterTarget {
    let (p, lufs, ceiling) = target_key(manual);
    p.target(lufs, ceiling)
}

/// Integrated loudness of planar audio rendered through a fresh chain at `settings`.
pub fn loudness_through(audio: &[Vec<f32>], settings: &MasterSettings, sr: f32) -> Option<f64> {
    tandem_common::analysis::monitor::loudness_through::<MasterChain>(audio, sr, settings)
}

/// Tandem Master's [`Analyzer`](tandem_common::analysis::assistant::Analyzer): the generic
/// one, aimed at the delivery target (or the reference), metering the output.
pub type MasterAnalyzer = AssistantAnalyzer<MasterAssistant, PlatformAim>;

/// The Master aims at the delivery target the engineer picked (or, in reference mode, at the
/// loaded reference), and meters the output for the editor.
pub struct PlatformAim {
    output: OutputMeter,
    reference: Arc<ReferenceSlot>,
}

impl PlatformAim {
    /// The aim of a plugin running `channels` (1 or 2) at `sample_rate` (Hz), metering into
    /// `meters`, with the reference slot for reference mode.
    pub fn new(
        sample_rate: f32,
        channels: usize,
        meters: Arc<Meters>,
        reference: Arc<ReferenceSlot>,
    ) -> Result<Self, dsp_core::ConfigError> {
        Ok(Self {
            output: OutputMeter::new(sample_rate, channels, meters)?,
            reference,
        })
    }
}

impl AnalyzerSpec<MasterAssistant> for PlatformAim {
    /// The target (custom values only for Custom), reference mode on, and the reference's
    /// generation when on.
    type Key = (Platform, f32, f32, bool, u64);

    fn key(&self, manual: &BTreeMap<String, f32>) -> Self::Key {
        let (p, l, c) = normalise_key(target_key(manual));
        let on = match_reference(manual);
        (
            p,
            l,
            c,
            on,
            if on { self.reference.generation() } else { 0 },
        )
    }

    fn suggest(
        &self,
        result: &MasterAnalysisResult,
        manual: &BTreeMap<String, f32>,
        current: &MasterSettings,
        options: &MasterAssistantOptions,
        _: &Display,
    ) -> Suggestion {
        let target = target_from_manual(manual);
        // Reference mode: the loaded reference's loudness and tonal balance.
        let mut options = options.clone();
        options.reference = if match_reference(manual) {
            self.reference.get()
        } else {
            None
        };
        suggest_master(result, &target, &options, current)
    }

    /// Meters the output channels (the tap's second half, when the block carries them).
    fn monitor(&mut self, tap: &TapMonitor, channels: usize) {
        self.output.monitor(tap, channels);
    }

    fn restart(&mut self) {
        self.output.reset();
    }
}

/// The analyzer for a plugin running `channels` at `sample_rate`, metering into `meters`.
pub fn new_analyzer(
    sample_rate: f32,
    channels: usize,
    display: Arc<Display>,
    meters: Arc<Meters>,
    reference: Arc<ReferenceSlot>,
) -> Result<MasterAnalyzer, dsp_core::ConfigError> {
    let aim = PlatformAim::new(sample_rate, channels, meters, reference)?;
    MasterAnalyzer::new(sample_rate, channels, display, aim)
}

/// The analyzer as the plugin builds it (`PluginSpec::ANALYZER`).
pub fn for_plugin(
    sample_rate: f32,
    channels: usize,
    display: Arc<Display>,
    meters: Arc<Meters>,
    params: &crate::params::MasterParams,
) -> Result<MasterAnalyzer, String> {
    let reference = params.reference.clone();
    new_analyzer(sample_rate, channels, display, meters, reference).map_err(|e| e.to_string())
}

/// Whether reference mode is switched on.
fn match_reference(manual: &BTreeMap<String, f32>) -> bool {
    manual.get("match_reference").is_some_and(|v| *v >= 0.5)
}

/// Custom values only matter for the Custom platform.
fn normalise_key(key: (Platform, f32, f32)) -> (Platform, f32, f32) {
    if key.0 == Platform::Custom {
        key
    } else {
        (key.0, DEFAULT_CUSTOM_LUFS, DEFAULT_CUSTOM_CEILING)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{run_blocks, BlockControls, MasterEngine};
    use atomic_float::AtomicF32;
    use dsp_core::chains::master::MasterChain;
    use dsp_core::chains::Chain;
    use dsp_core::testsignals::demo_mix;
    use std::sync::atomic::Ordering;
    use tandem_common::analysis::assistant::Analyzer;
    use tandem_common::audio::compare::Compare;
    use tandem_common::audio::store::SuggestionStore;

    fn interleave(chans: &[Vec<f32>], range: std::ops::Range<usize>) -> Vec<f32> {
        let mut out = Vec::with_capacity(range.len() * chans.len());
        for i in range {
            for c in chans {
                out.push(c[i]);
            }
        }
        out
    }

    fn manual_defaults() -> BTreeMap<String, f32> {
        let mut m = MasterChain::param_map(&MasterSettings::default());
        m.insert("master_target".into(), 0.0);
        m.insert("custom_lufs".into(), -14.0);
        m.insert("custom_ceiling".into(), -1.0);
        m
    }

    #[test]
    fn resuggests_only_when_the_target_changes() {
        let sr = 48_000.0;
        let mut a = new_analyzer(
            sr,
            2,
            Arc::new(Display::default()),
            Arc::new(Meters::default()),
            Arc::new(ReferenceSlot::default()),
        )
        .unwrap();
        let mut m = manual_defaults();
        assert!(!a.wants_resuggest(&m));
        let _ = a.suggest(&m);
        assert!(!a.wants_resuggest(&m));
        // Custom values do not matter for Spotify…
        m.insert("custom_lufs".into(), -9.0);
        assert!(!a.wants_resuggest(&m));
        // …but the platform does, and then the custom values too.
        m.insert("master_target".into(), 7.0);
        assert!(a.wants_resuggest(&m));
        let s = a.suggest(&m).unwrap();
        assert_eq!(s.target, "Custom");
        m.insert("custom_ceiling".into(), -2.0);
        assert!(a.wants_resuggest(&m));
    }

    #[test]
    fn suggestion_targets_spotify_and_level_matching_holds() {
        let sr = 48_000.0;
        let mix = demo_mix(12.0, sr as f64);
        let mix = vec![mix[0].clone(), mix[1].clone()];
        let display = Arc::new(Display::default());
        let meters = Arc::new(Meters::default());
        let mut a = new_analyzer(
            sr,
            2,
            display,
            meters.clone(),
            Arc::new(ReferenceSlot::default()),
        )
        .unwrap();
        // The tap: input then output (here the output is the input, unprocessed).
        let tap = vec![
            mix[0].clone(),
            mix[1].clone(),
            mix[0].clone(),
            mix[1].clone(),
        ];
        let block = 4096;
        let mut pos = 0;
        while pos < mix[0].len() {
            let n = block.min(mix[0].len() - pos);
            let data = interleave(&tap, pos..pos + n);
            a.monitor(&data, 4);
            a.feed(&data, 4);
            pos += n;
        }
        assert!(a.heard_seconds() > 5.0, "{}", a.heard_seconds());
        // Output meters were published.
        let i = meters.integrated_lufs.load(Ordering::Relaxed);
        assert!(i.is_finite() && i < -10.0, "{i}");
        assert!(meters.true_peak_dbtp.load(Ordering::Relaxed).is_finite());

        let manual = manual_defaults();
        let s = a.suggest(&manual).expect("a suggestion");
        assert_eq!(s.assistant, "master");
        assert_eq!(s.target, "Spotify");
        assert!(
            s.values.get("lim_drive").is_some_and(|d| *d > 1.0),
            "{:?}",
            s.values
        );
        let suggested = dsp_core::assistant::accept::suggested_set(
            &s,
            &manual,
            1.0,
            MasterChain::neutral_value,
        );
        let offset = a.level_offset_lu(&manual, &suggested).expect("offset");
        // The demo mix sits near −24 LUFS; Spotify wants −14.
        assert!(offset > 5.0, "{offset}");

        // Through the engine: Manual (defaults) and Suggested level-matched play equally loud.
        let store = SuggestionStore::new(MasterChain::params());
        store.set_suggestion(Some(s)).unwrap();
        let offset = AtomicF32::new(offset);
        let m = MasterSettings::default();
        let render = |compare| {
            let mut engine = MasterEngine::new(sr, 512, 2, &m).unwrap();
            let mut audio = mix.clone();
            let controls = BlockControls {
                manual: &m,
                compare,
                amount: 1.0,
                match_levels: true,
            };
            run_blocks(
                &mut engine,
                &mut audio,
                &[512, 129],
                &controls,
                &store,
                &offset,
            );
            let view: Vec<&[f32]> = audio.iter().map(|c| &c[sr as usize..]).collect();
            dsp_core::loudness::measure(&view, sr)
                .unwrap()
                .integrated_lufs
                .unwrap()
        };
        let lm = render(Compare::Manual);
        let ls = render(Compare::Suggested);
        assert!((lm - ls).abs() < 0.5, "manual {lm} suggested {ls}");
        // Unmatched, the suggestion is much louder (the check above can fail).
        let unmatched = AtomicF32::new(f32::NAN);
        let mut engine = MasterEngine::new(sr, 512, 2, &m).unwrap();
        let mut audio = mix.clone();
        let controls = BlockControls {
            manual: &m,
            compare: Compare::Suggested,
            amount: 1.0,
            match_levels: true,
        };
        run_blocks(
            &mut engine,
            &mut audio,
            &[512],
            &controls,
            &store,
            &unmatched,
        );
        let view: Vec<&[f32]> = audio.iter().map(|c| &c[sr as usize..]).collect();
        let lu = dsp_core::loudness::measure(&view, sr)
            .unwrap()
            .integrated_lufs
            .unwrap();
        assert!(lu > lm + 5.0, "{lu} vs {lm}");
    }

    #[test]
    fn reference_mode_aims_at_the_reference_loudness_and_follows_the_switch() {
        let sr = 48_000.0f32;
        let mix = demo_mix(10.0, sr as f64);
        let mix = [mix[0].clone(), mix[1].clone()];
        // The reference: the same material 6 dB hotter (about -18 LUFS).
        let hot: Vec<Vec<f32>> = mix
            .iter()
            .map(|c| c.iter().map(|x| x * 2.0).collect())
            .collect();
        let view: Vec<&[f32]> = hot.iter().map(|c| c.as_slice()).collect();
        let ra = dsp_core::assistant::master::MasterAnalysis::analyze(&view, sr).unwrap();
        let reference =
            dsp_core::assistant::master::MasterReference::from_analysis("hot.wav", &ra).unwrap();
        let ref_lufs = reference.integrated_lufs;
        let slot = Arc::new(ReferenceSlot::default());
        slot.set(Some(reference));
        let mut a = new_analyzer(
            sr,
            2,
            Arc::new(Display::default()),
            Arc::new(Meters::default()),
            slot.clone(),
        )
        .unwrap();
        let tap: Vec<f32> = (0..mix[0].len())
            .flat_map(|i| [mix[0][i], mix[1][i], mix[0][i], mix[1][i]])
            .collect();
        a.feed(&tap, 4);
        let mut manual = MasterChain::param_map(&MasterSettings::default());
        manual.insert("master_target".into(), 0.0);
        manual.insert("match_reference".into(), 1.0);
        let s = a.suggest(&manual).unwrap();
        let predicted = s.measurements["predicted_lufs"];
        assert!(
            (predicted - ref_lufs).abs() < 0.5,
            "predicted {predicted} vs reference {ref_lufs}"
        );
        assert!(!a.wants_resuggest(&manual));
        // A new reference or switching reference mode off asks for a new suggestion.
        slot.set(slot.get());
        assert!(a.wants_resuggest(&manual));
        a.suggest(&manual).unwrap();
        manual.insert("match_reference".into(), 0.0);
        assert!(a.wants_resuggest(&manual));
        let s = a.suggest(&manual).unwrap();
        assert!((s.measurements["predicted_lufs"] + 14.0).abs() < 0.5);
    }
}
