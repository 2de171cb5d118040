//! The proposal's stereo stage: a mono low end when it is too wide or out of phase, a narrower
//! image when the mix largely cancels in mono.

use super::analysis::MasterAnalysisResult;
use super::suggest::item;
use super::{LOW_END_HZ, LOW_END_MAX_SIDE_TO_MID_DB, SUGGESTED_MONO_BELOW_HZ};
use crate::assistant::SuggestionItem;
use crate::chains::master::MasterSettings;

/// The stereo items (set into `s`); warnings go to `warnings`.
pub(super) fn stereo_stage(
    analysis: &MasterAnalysisResult,
    s: &mut MasterSettings,
    evidence: f32,
    warnings: &mut Vec<String>,
) -> Vec<SuggestionItem> {
    let mut stereo_items = Vec::new();
    if analysis.channels == 2 {
        let corr = analysis.correlation.unwrap_or(1.0);
        let low = analysis.low_side_to_mid_db;
        let wide_low = low.is_some_and(|l| l > LOW_END_MAX_SIDE_TO_MID_DB);
        if wide_low || corr < 0.0 {
            s.mono_below_hz = SUGGESTED_MONO_BELOW_HZ;
            let why = match low {
                Some(l) if wide_low => format!(
                    "the side signal below {LOW_END_HZ:.0} Hz is only {:.1} dB under the mid \
                     (more than {LOW_END_MAX_SIDE_TO_MID_DB:.0} dB is risky on mono systems and \
                     vinyl)",
                    -l
                ),
                _ => format!("the channels are out of phase (correlation {corr:+.2})"),
            };
            stereo_items.push(item(
                "mono_low",
                format!("Mono below {SUGGESTED_MONO_BELOW_HZ:.0} Hz"),
                &[("mono_below", SUGGESTED_MONO_BELOW_HZ)],
                format!("Make the low end mono: {why}."),
                evidence * 0.8,
            ));
        }
        if corr < -0.2 {
            s.width_pct = 80.0;
            stereo_items.push(item(
                "width",
                "Narrow the image to 80 %".into(),
                &[("width", 80.0)],
                format!(
                    "The stereo correlation is {corr:+.2}: much of the mix cancels in mono; \
                     narrowing to 80 % reduces the risk."
                ),
                evidence * 0.6,
            ));
            warnings.push(format!(
                "The channels are largely out of phase (correlation {corr:+.2}); check the \
                 polarity of the mix before mastering."
            ));
        }
    }

    stereo_items
}
