//! The proposal's first stage: what the material changes in the style's proposal (the rule
//! and its sources are the `material` record of the style data).

use std::collections::BTreeMap;

use super::analysis::CompAnalysisResult;
use super::style::{material_rule, CompStyle, MaterialRule, StyleParams};
use super::suggest::{fmt_opt, CompAssistantOptions};
use crate::assistant::SuggestionItem;

/// What the material made of the style's numbers.
pub(super) struct Material {
    /// The target average gain reduction, dB.
    pub target: f32,
    /// The ratio.
    pub ratio: f32,
    /// The attack range, ms.
    pub attack_range: (f32, f32),
    /// The density factor (0–1; 1 when an explicit target was asked for).
    pub density: f32,
    /// One sentence per change, for the threshold's reason.
    pub notes: Vec<String>,
    /// The rule applied.
    pub rule: MaterialRule,
}

/// Density, dynamics and crest applied to style `p` and the target `target` (dB).
pub(super) fn read_material(
    analysis: &CompAnalysisResult,
    p: &StyleParams,
    options: &CompAssistantOptions,
    target: f32,
) -> Material {
    let rule = material_rule();
    let mut ratio = p.ratio;
    let (mut a_lo, mut a_hi) = (
        p.attack_ms[0].min(p.attack_ms[1]),
        p.attack_ms[0].max(p.attack_ms[1]),
    );
    let mut target = target;
    let mut material: Vec<String> = Vec::new();
    let density = if options.target_avg_gr_db.is_none() {
        rule.density_factor(analysis.plr_db)
    } else {
        1.0
    };
    if density < 1.0 {
        material.push(format!(
            "the material is already dense (PLR {:.1} dB; below {:.0} dB the style's {target:.1} dB is scaled down) → {:.1} dB",
            analysis.plr_db.unwrap_or(0.0),
            rule.dense_plr_db[1],
            target * density
        ));
        target *= density;
    }
    let crest = analysis.crest_200ms.p50;
    if let (Some(b), Some(c)) = (p.crest_backoff, crest) {
        if c < b.below_db {
            if options.target_avg_gr_db.is_none() {
                target *= b.target_scale.clamp(0.0, 1.0);
            }
            ratio = ratio.min(b.max_ratio);
            a_lo = a_lo.max(b.min_attack_ms);
            a_hi = a_hi.max(a_lo);
            material.push(format!(
                "a low crest factor ({c:.1} dB, below {:.0} dB) leaves little transient to catch → at most {:.0}:1, attack at least {:.1} ms{}",
                b.below_db,
                b.max_ratio,
                b.min_attack_ms,
                if options.target_avg_gr_db.is_none() {
                    format!(", {target:.1} dB")
                } else {
                    String::new()
                }
            ));
        }
    }
    if analysis.loudness_range_lu >= rule.dynamic_lra_lu && ratio > rule.dynamic_max_ratio {
        ratio = rule.dynamic_max_ratio;
        material.push(format!(
            "the material is very dynamic (loudness range {:.1} LU, from {:.0} LU on) → a gentler {:.0}:1 levels it without squashing the quiet passages",
            analysis.loudness_range_lu, rule.dynamic_lra_lu, ratio
        ));
    }
    Material {
        target,
        ratio,
        attack_range: (a_lo, a_hi),
        density,
        notes: material,
        rule,
    }
}

/// The "nothing to do" answer for dense material: an item that changes nothing and says why.
pub(super) fn declined_item(
    analysis: &CompAnalysisResult,
    style: CompStyle,
    rule: &MaterialRule,
    confidence: f32,
) -> SuggestionItem {
    SuggestionItem {
        key: "declined".into(),
        title: "Already dense: little to gain".into(),
        values: BTreeMap::new(),
        reason: format!(
            "Peak-to-loudness ratio {} (loudness range {:.1} LU, crest factor {}): the peaks sit only a few dB above the loudness, so {} would take away what little movement is left. Below {:.1} dB of gain reduction a compressor is not worth inserting; nothing is proposed.",
            fmt_opt(analysis.plr_db, "dB"),
            analysis.loudness_range_lu,
            fmt_opt(analysis.crest_200ms.p50, "dB"),
            style.name(),
            rule.decline_below_db,
        ),
        confidence,
    }
}
