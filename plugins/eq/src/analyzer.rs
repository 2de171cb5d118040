//! Tandem EQ's analysis-thread side: learns the input's long-term spectrum
//! ([`dsp_core::assistant::eq::EqAnalysis`]), proposes bands with
//! [`dsp_core::assistant::eq::suggest_eq`], feeds the editor's spectra and measures the loudness
//! difference between the manual and the suggested settings on the recent audio.

use crate::reference::ReferenceSlot;
use dsp_core::assistant::eq::{suggest_eq, EqAnalysisResult, EqAssistant, EqAssistantOptions};
use dsp_core::assistant::targets::{Target, TargetId};
use dsp_core::assistant::Suggestion;
use dsp_core::chains::eq::EqSettings;
use std::collections::BTreeMap;
use std::sync::Arc;
use tandem_common::analysis::generic::{AnalyzerSpec, AssistantAnalyzer};
use tandem_common::audio::display::{align_target_on_grid, Display};
/// Index of the reference-track target in the `eq_target` parameter.
pub const REFERENCE_TARGET_INDEX: usize = 8;

/// The target chosen by the `eq_target` parameter value (enum index), with the reference slot
/// for reference mode. `None` in reference mode without a loaded reference.
pub fn target_for(index: usize, reference: &ReferenceSlot) -> Option<Target> {
    if index >= REFERENCE_TARGET_INDEX {
        reference.get().map(|r| r.target)
    } else {
        Some(
            TargetId::ALL
                .get(index)
                .copied()
                .unwrap_or(TargetId::Balanced)
                .target(),
        )
    }
}

/// The index of the `eq_target` parameter in a manual map (Balanced when absent).
fn target_index(manual: &BTreeMap<String, f32>) -> usize {
    manual
        .get("eq_target")
        .filter(|v| v.is_finite())
        .map(|v| v.round().max(0.0) as usize)
        .unwrap_or(1)
}

/// The EQ's [`Analyzer`](tandem_common::analysis::assistant::Analyzer): the generic one, aimed
/// at the `eq_target` parameter and the reference track.
pub type EqAnalyzer = AssistantAnalyzer<EqAssistant, TargetAim>;

/// The EQ aims at the target the engineer picked, or at the loaded reference track.
pub struct TargetAim {
    /// The reference track (reference mode).
    pub reference: Arc<ReferenceSlot>,
}

impl AnalyzerSpec<EqAssistant> for TargetAim {
    /// (target index, reference generation).
    type Key = (usize, u64);

    fn key(&self, manual: &BTreeMap<String, f32>) -> (usize, u64) {
        (target_index(manual), self.reference.generation())
    }

    /// The suggestion towards the target, which is also drawn behind the input spectrum at
    /// the level of what was heard; in reference mode without a reference, an empty suggestion
    /// that says so.
    fn suggest(
        &self,
        result: &EqAnalysisResult,
        manual: &BTreeMap<String, f32>,
        current: &EqSettings,
        options: &EqAssistantOptions,
        display: &Display,
    ) -> Suggestion {
        let Some(target) = target_for(target_index(manual), &self.reference) else {
            let mut s = Suggestion::empty("eq", "Reference");
            s.heard_seconds = result.heard_seconds;
            s.warnings
                .push("reference mode: load a reference track to compare against".into());
            return s;
        };
        let suggestion = suggest_eq(result, &target, options, current);
        let mut grid = Vec::new();
        display.pre.load_into(&mut grid);
        let curve = align_target_on_grid(|f| target.db_at(f), &grid);
        display.store_target(&curve);
        suggestion
    }
}

/// The analyzer as the plugin builds it (`PluginSpec::ANALYZER`).
pub fn for_plugin(
    sample_rate: f32,
    channels: usize,
    display: Arc<Display>,
    _: Arc<()>,
    params: &crate::params::EqParams,
) -> Result<EqAnalyzer, String> {
    let aim = TargetAim {
        reference: params.reference.clone(),
    };
    EqAnalyzer::new(sample_rate, channels, display, aim).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BlockControls, EqEngine};
    use atomic_float::AtomicF32;
    use dsp_core::chains::eq::{EqBandType, EqChain};
    use dsp_core::chains::Chain;
    use dsp_core::testsignals::pink_noise;
    use tandem_common::analysis::assistant::Analyzer;
    use tandem_common::audio::compare::Compare;
    use tandem_common::audio::store::SuggestionStore;

    fn interleave(pre: &[Vec<f32>]) -> Vec<f32> {
        // The tap carries input then output; the output does not matter here.
        pre[0]
            .iter()
            .zip(&pre[1])
            .flat_map(|(l, r)| [*l, *r, *l, *r])
            .collect()
    }

    #[test]
    fn level_matching_plays_both_sets_within_half_a_lu() {
        let sr = 48_000.0;
        let audio = vec![
            pink_noise(8 * 48_000, 0.1, 11),
            pink_noise(8 * 48_000, 0.1, 12),
        ];
        let aim = TargetAim {
            reference: Arc::new(ReferenceSlot::default()),
        };
        let mut an = EqAnalyzer::new(sr, 2, Arc::new(Display::default()), aim).unwrap();
        an.monitor(&interleave(&audio), 4);

        // Manual: a gentle cut. Suggested: two boosts — clearly louder.
        let mut manual = EqSettings::default();
        manual.bands[0].enabled = true;
        manual.bands[0].kind = EqBandType::HighShelf;
        manual.bands[0].freq_hz = 6000.0;
        manual.bands[0].gain_db = -4.0;
        let mut suggestion = Suggestion::empty("eq", "Balanced");
        for (id, v) in [
            ("b3_on", 1.0),
            ("b3_type", 0.0),
            ("b3_freq", 1000.0),
            ("b3_gain", 6.0),
            ("b3_q", 1.0),
            ("b4_on", 1.0),
            ("b4_type", 1.0),
            ("b4_freq", 150.0),
            ("b4_gain", 4.0),
        ] {
            suggestion.values.insert(id.into(), v);
        }
        let store = SuggestionStore::new(EqChain::params());
        store.set_suggestion(Some(suggestion.clone())).unwrap();
        let manual_map = EqChain::param_map(&manual);
        let suggested_map = dsp_core::assistant::accept::suggested_set(
            &suggestion,
            &manual_map,
            1.0,
            EqChain::neutral_value,
        );
        let offset = an.level_offset_lu(&manual_map, &suggested_map).unwrap();
        assert!(offset > 2.0, "the boosts must measure louder: {offset}");

        let offset_atomic = AtomicF32::new(offset);
        let loudness_of = |compare: Compare, match_levels: bool| {
            let mut engine = EqEngine::new(sr, 512, 2, &manual).unwrap();
            let mut out = audio.clone();
            let len = out[0].len();
            let mut pos = 0;
            while pos < len {
                let n = 512.min(len - pos);
                let (l, r) = out.split_at_mut(1);
                let controls = BlockControls {
                    manual: &manual,
                    compare,
                    amount: 1.0,
                    match_levels,
                };
                engine.process(
                    &mut [&mut l[0][pos..pos + n], &mut r[0][pos..pos + n]],
                    &controls,
                    &store,
                    &offset_atomic,
                    None,
                );
                pos += n;
            }
            let view: Vec<&[f32]> = out.iter().map(|c| &c[48_000..]).collect();
            dsp_core::loudness::measure(&view, sr)
                .unwrap()
                .integrated_lufs
                .unwrap()
        };
        let m = loudness_of(Compare::Manual, true);
        let s = loudness_of(Compare::Suggested, true);
        assert!(
            (s - m).abs() < 0.5,
            "matched: manual {m:.2} suggested {s:.2}"
        );
        // Without matching the difference is what was measured: the test can tell.
        let s_raw = loudness_of(Compare::Suggested, false);
        assert!(
            (s_raw - m - offset as f64).abs() < 0.5,
            "{s_raw} {m} {offset}"
        );
    }
}
