//! Tandem Comp's analysis-thread side: learns the input's dynamics
//! ([`dsp_core::assistant::comp::CompAnalysis`]), proposes settings for the chosen style with
//! [`dsp_core::assistant::comp::suggest_comp`], feeds the editor's spectra and measures the loudness
//! difference between the manual and the suggested settings on the recent audio.

use dsp_core::assistant::comp::{
    suggest_comp, CompAnalysisResult, CompAssistant, CompAssistantOptions, CompStyle,
};
use dsp_core::assistant::Suggestion;
use dsp_core::chains::comp::{CompChain, CompSettings};
use std::collections::BTreeMap;
use std::sync::Arc;
use tandem_common::analysis::generic::{AnalyzerSpec, AssistantAnalyzer};
use tandem_common::audio::display::Display;

/// The style chosen by the `comp_style` value (enum index) in a manual map; Glue when absent.
pub fn style_of(manual: &BTreeMap<String, f32>) -> CompStyle {
    manual
        .get("comp_style")
        .filter(|v| v.is_finite())
        .map(|v| CompStyle::from_value(*v))
        .unwrap_or_default()
}

/// Integrated loudness (LUFS) of planar `audio` at `sample_rate` rendered through a fresh
/// [`CompChain`] on `settings` (internal key, latency removed), `None` when too short or silent.
pub fn loudness_through(
    audio: &[Vec<f32>],
    sample_rate: f32,
    settings: &CompSettings,
) -> Option<f64> {
    tandem_common::analysis::monitor::loudness_through::<CompChain>(audio, sample_rate, settings)
}

/// The compressor's [`Analyzer`]: the generic one, aimed at the `comp_style` parameter.
///
/// [`Analyzer`]: tandem_common::analysis::assistant::Analyzer
pub type CompAnalyzer = AssistantAnalyzer<CompAssistant, StyleAim>;

/// The Comp aims at the style the engineer picked.
pub struct StyleAim;

impl AnalyzerSpec<CompAssistant> for StyleAim {
    type Key = CompStyle;

    fn key(&self, manual: &BTreeMap<String, f32>) -> CompStyle {
        style_of(manual)
    }

    fn suggest(
        &self,
        result: &CompAnalysisResult,
        manual: &BTreeMap<String, f32>,
        current: &CompSettings,
        options: &CompAssistantOptions,
        _: &Display,
    ) -> Suggestion {
        suggest_comp(result, style_of(manual), options, current)
    }
}

/// The analyzer as the plugin builds it (`PluginSpec::ANALYZER`).
pub fn for_plugin(
    sample_rate: f32,
    channels: usize,
    display: Arc<Display>,
    _: Arc<()>,
    _: &crate::params::CompParams,
) -> Result<CompAnalyzer, String> {
    CompAnalyzer::new(sample_rate, channels, display, StyleAim).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BlockControls, CompEngine};
    use atomic_float::AtomicF32;
    use dsp_core::assistant::accept::suggested_set;
    use dsp_core::chains::comp::CompChain;
    use dsp_core::chains::Chain;
    use dsp_core::testsignals::drum_loop;
    use tandem_common::analysis::assistant::Analyzer;
    use tandem_common::audio::compare::Compare;
    use tandem_common::audio::store::SuggestionStore;

    const SR: f32 = 48_000.0;

    fn drums(seconds: f32) -> Vec<Vec<f32>> {
        let frames = (seconds * SR) as usize;
        vec![
            drum_loop(frames, SR as f64, 120.0, 1),
            drum_loop(frames, SR as f64, 120.0, 2),
        ]
    }

    /// Feeds planar `audio` as the tap would carry it (input then output channels).
    fn listen(analyzer: &mut CompAnalyzer, audio: &[Vec<f32>]) {
        let frames = audio[0].len();
        let mut start = 0;
        let mut chunk = Vec::new();
        while start < frames {
            let n = (frames - start).min(4096);
            chunk.clear();
            for i in start..start + n {
                for _ in 0..2 {
                    chunk.extend(audio.iter().map(|c| c[i]));
                }
            }
            analyzer.monitor(&chunk, 2 * audio.len());
            analyzer.feed(&chunk, 2 * audio.len());
            start += n;
        }
    }

    fn render(
        audio: &[Vec<f32>],
        manual: &CompSettings,
        compare: Compare,
        store: &SuggestionStore,
        offset: &AtomicF32,
    ) -> Vec<Vec<f32>> {
        let mut engine = CompEngine::new(SR, 512, 2, manual).unwrap();
        let mut out = audio.to_vec();
        let frames = out[0].len();
        let mut start = 0;
        while start < frames {
            let n = (frames - start).min(480);
            let controls = BlockControls {
                manual,
                compare,
                amount: 1.0,
                match_levels: true,
            };
            let mut io: Vec<&mut [f32]> =
                out.iter_mut().map(|c| &mut c[start..start + n]).collect();
            engine.process_keyed(&mut io, None, &controls, store, offset, None);
            start += n;
        }
        out
    }

    fn lufs(audio: &[Vec<f32>]) -> f64 {
        let view: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
        dsp_core::loudness::measure(&view, SR)
            .unwrap()
            .integrated_lufs
            .unwrap()
    }

    #[test]
    fn level_matched_manual_and_suggested_play_equally_loud() {
        let audio = drums(10.0);
        let mut analyzer =
            CompAnalyzer::new(SR, 2, Arc::new(Display::default()), StyleAim).unwrap();
        listen(&mut analyzer, &audio);
        assert!(
            analyzer.heard_seconds() > 8.0,
            "{}",
            analyzer.heard_seconds()
        );

        // The defaults compress the loop by several dB; 9 dB of makeup more than make up for it.
        let manual = CompSettings {
            makeup_db: 9.0,
            ..CompSettings::default()
        };
        let mut manual_map = <CompChain as dsp_core::chains::Chain>::param_map(&manual);
        manual_map.insert("comp_style".into(), 1.0);
        let suggestion = analyzer.suggest(&manual_map).unwrap();
        assert!(
            suggestion.values.contains_key("threshold"),
            "no threshold proposed: {:?}",
            suggestion.warnings
        );
        let suggested_map = suggested_set(&suggestion, &manual_map, 1.0, CompChain::neutral_value);
        let offset = analyzer
            .level_offset_lu(&manual_map, &suggested_map)
            .unwrap();
        // The manual set is louder than the input, the suggestion is loudness-neutral: they differ.
        assert!(offset.abs() > 1.0, "offset {offset} LU");

        let store = SuggestionStore::new(CompChain::params());
        store.set_suggestion(Some(suggestion)).unwrap();
        let offset = AtomicF32::new(offset);
        let m = render(&audio, &manual, Compare::Manual, &store, &offset);
        let s = render(&audio, &manual, Compare::Suggested, &store, &offset);
        let (lm, ls) = (lufs(&m), lufs(&s));
        assert!(
            (lm - ls).abs() < 0.5,
            "manual {lm:.2} LUFS, suggested {ls:.2} LUFS"
        );

        // Without level matching they would not agree (the test can fail).
        let unmatched = AtomicF32::new(f32::NAN);
        let s_raw = render(&audio, &manual, Compare::Suggested, &store, &unmatched);
        assert!((lm - lufs(&s_raw)).abs() > 1.0);
        // And Manual is never touched by level matching: bit for bit the same either way.
        let m_raw = render(&audio, &manual, Compare::Manual, &store, &unmatched);
        assert_eq!(m, m_raw);
    }

    #[test]
    fn a_new_style_asks_for_a_new_suggestion() {
        let audio = drums(3.0);
        let mut analyzer =
            CompAnalyzer::new(SR, 2, Arc::new(Display::default()), StyleAim).unwrap();
        listen(&mut analyzer, &audio);
        let mut manual =
            <CompChain as dsp_core::chains::Chain>::param_map(&CompSettings::default());
        manual.insert("comp_style".into(), 1.0);
        assert!(!analyzer.wants_resuggest(&manual));
        let s = analyzer.suggest(&manual).unwrap();
        assert_eq!(s.target, CompStyle::Glue.name());
        assert!(!analyzer.wants_resuggest(&manual));
        manual.insert("comp_style".into(), 3.0);
        assert!(analyzer.wants_resuggest(&manual));
        let s = analyzer.suggest(&manual).unwrap();
        assert_eq!(s.target, CompStyle::Vocal.name());
        assert!(!analyzer.wants_resuggest(&manual));
        analyzer.restart();
        assert_eq!(analyzer.heard_seconds(), 0.0);
    }

    #[test]
    fn heard_seconds_follow_the_analysis() {
        let audio = drums(4.0);
        let mut analyzer =
            CompAnalyzer::new(SR, 2, Arc::new(Display::default()), StyleAim).unwrap();
        listen(&mut analyzer, &audio);
        let result = analyzer.analysis().result();
        assert!(analyzer.heard_seconds() > 3.0);
        assert_eq!(analyzer.heard_seconds(), result.heard_seconds);
        assert_eq!(analyzer.is_stable(), result.stable);
    }
}
