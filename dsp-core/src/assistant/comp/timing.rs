//! The proposal's timing stage: attack from the transients' rise, release from the onsets.

use super::analysis::CompAnalysisResult;
use super::style::StyleParams;
use super::suggest::round_to;

/// Attack and release, with what a range held.
pub(super) struct Timing {
    /// Attack, ms.
    pub attack: f32,
    /// Release, ms.
    pub release: f32,
    /// " (the rise alone gives …; held within …)" when the range held the attack.
    pub attack_clamp: Option<String>,
    /// The same for the release.
    pub release_clamp: Option<String>,
}

/// attack = clamp(`attack_rise_factor` × rise time) to `(a_lo, a_hi)`; release =
/// clamp(`release_ioi_factor` × inter-onset interval) to the style's range; the style's
/// defaults without onsets.
pub(super) fn timing(
    analysis: &CompAnalysisResult,
    p: &StyleParams,
    (a_lo, a_hi): (f32, f32),
) -> Timing {
    let (r_lo, r_hi) = (
        p.release_ms[0].min(p.release_ms[1]),
        p.release_ms[0].max(p.release_ms[1]),
    );
    let attack_raw = analysis
        .rise_time_ms
        .filter(|r| r.is_finite() && analysis.onset_count >= 2)
        .map_or(p.default_attack_ms, |r| r * p.attack_rise_factor);
    let attack = round_attack(attack_raw.clamp(a_lo, a_hi)).clamp(a_lo, a_hi);
    let release_raw = analysis
        .median_ioi_ms
        .filter(|r| r.is_finite())
        .map_or(p.default_release_ms, |i| i * p.release_ioi_factor);
    let release = round_to(release_raw.clamp(r_lo, r_hi), 1.0).clamp(r_lo, r_hi);
    let attack_clamp = (attack_raw < a_lo || attack_raw > a_hi).then(|| {
        format!(
            " (the rise alone gives {}; held within {}–{})",
            fmt_attack(attack_raw),
            fmt_attack(a_lo),
            fmt_attack(a_hi)
        )
    });
    let release_clamp = (release_raw < r_lo || release_raw > r_hi).then(|| {
        format!(
            " (the onsets alone give {release_raw:.0} ms; held within the style's {r_lo:.0}–{r_hi:.0} ms)"
        )
    });

    Timing {
        attack,
        release,
        attack_clamp,
        release_clamp,
    }
}

/// An attack time as shown: two decimals below 1 ms.
pub(super) fn fmt_attack(a: f32) -> String {
    if a < 1.0 {
        format!("{a:.2} ms")
    } else {
        format!("{a:.1} ms")
    }
}

fn round_attack(a: f32) -> f32 {
    if a < 1.0 {
        round_to(a, 0.01)
    } else {
        round_to(a, 0.1)
    }
}
