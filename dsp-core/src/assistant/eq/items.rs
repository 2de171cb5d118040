//! Items and reasons: proposals, their titles and reasons, and the EQ slots they go to.

use super::*;

/// One proposed band before slot assignment.
#[derive(Debug, Clone)]
pub(super) struct Proposal {
    pub(super) band: BandSettings,
    /// `"band"`, `"resonance"` or `"lowcut"`.
    pub(super) role: &'static str,
    pub(super) reason: String,
    /// Confidence 0–1.
    pub(super) confidence: f32,
    /// Tonal bands: the error the band acts on (dB, see `deviation::local_error`), the number
    /// its reason quotes.
    pub(super) local_error_db: Option<f64>,
}

pub(super) fn fmt_hz(f: f64) -> String {
    if f >= 1000.0 {
        let k = f / 1000.0;
        if (k - k.round()).abs() < 0.05 {
            format!("{:.0} kHz", k)
        } else {
            format!("{:.1} kHz", k)
        }
    } else {
        format!("{:.0} Hz", f)
    }
}

pub(super) fn region_name(f: f64) -> &'static str {
    match f {
        f if f < 60.0 => "sub-bass",
        f if f < 200.0 => "bass",
        f if f < 500.0 => "low-mids",
        f if f < 2000.0 => "mids",
        f if f < 4000.0 => "upper mids",
        f if f < 8000.0 => "presence",
        _ => "air",
    }
}

/// Half-gain bandwidth of a bell in octaves for `q`.
pub(super) fn bell_bandwidth_oct(q: f64) -> f64 {
    2.0 / std::f64::consts::LN_2 * (1.0 / (2.0 * q)).asinh()
}

/// The Q of a bell whose half-gain bandwidth is `bw_oct` octaves.
pub(super) fn q_from_bandwidth(bw_oct: f64) -> f64 {
    1.0 / (2.0 * (std::f64::consts::LN_2 / 2.0 * bw_oct).sinh())
}

/// Assigns proposals (sorted by frequency) to free slots (sorted), keeping the order and
/// minimising the summed log-distance to the slots' current frequencies. Returns slot indices.
pub(super) fn assign_slots(freqs: &[f64], slots: &[(usize, f64)]) -> Vec<usize> {
    let (k, m) = (freqs.len(), slots.len());
    if k == 0 || m < k {
        return (0..k.min(m)).map(|i| slots[i].0).collect();
    }
    // cost[i][j]: best cost placing the first i proposals in the first j slots.
    let inf = f64::INFINITY;
    let mut cost = vec![vec![inf; m + 1]; k + 1];
    let mut take = vec![vec![false; m + 1]; k + 1];
    for c in cost[0].iter_mut() {
        *c = 0.0;
    }
    for i in 1..=k {
        for j in i..=m {
            let skip = cost[i][j - 1];
            let d = (freqs[i - 1] / slots[j - 1].1.max(1.0)).log2().abs();
            let use_it = cost[i - 1][j - 1] + d;
            if use_it <= skip {
                cost[i][j] = use_it;
                take[i][j] = true;
            } else {
                cost[i][j] = skip;
            }
        }
    }
    let mut out = vec![0; k];
    let (mut i, mut j) = (k, m);
    while i > 0 {
        if take[i][j] {
            out[i - 1] = slots[j - 1].0;
            i -= 1;
        }
        j -= 1;
    }
    out
}

/// Stage 5: proposals to free slots (in frequency order) and to items.
pub(super) fn emit_items(proposals: &[Proposal], free: &[(usize, f64)], s: &mut Suggestion) {
    let mut order: Vec<usize> = (0..proposals.len()).collect();
    order.sort_by(|&x, &y| {
        proposals[x]
            .band
            .freq_hz
            .total_cmp(&proposals[y].band.freq_hz)
    });
    let freqs: Vec<f64> = order
        .iter()
        .map(|&i| proposals[i].band.freq_hz as f64)
        .collect();
    let slots = assign_slots(&freqs, free);
    let mut res_count = 0;
    for (&pi, &slot) in order.iter().zip(&slots) {
        let p = &proposals[pi];
        let n = slot + 1;
        let b = p.band;
        let mut values: BTreeMap<String, f32> = BTreeMap::new();
        values.insert(band_param_id(n, BandParam::On).into(), 1.0);
        values.insert(
            band_param_id(n, BandParam::Type).into(),
            b.kind.index() as f32,
        );
        values.insert(band_param_id(n, BandParam::Freq).into(), b.freq_hz);
        values.insert(band_param_id(n, BandParam::Gain).into(), b.gain_db);
        values.insert(band_param_id(n, BandParam::Q).into(), b.q);
        values.insert(band_param_id(n, BandParam::Slope).into(), b.slope_db_oct);
        values.insert(
            band_param_id(n, BandParam::Place).into(),
            Placement::Stereo.index() as f32,
        );
        let key = match p.role {
            "lowcut" => "lowcut".to_string(),
            "resonance" => {
                res_count += 1;
                if res_count == 1 {
                    "resonance".to_string()
                } else {
                    format!("resonance{res_count}")
                }
            }
            _ => format!("band{n}"),
        };
        if let Some(l) = p.local_error_db {
            s.measurements.insert(format!("{key}_local_error_db"), l);
        }
        let f = fmt_hz(b.freq_hz as f64);
        let title = match (p.role, b.kind) {
            ("lowcut", _) => format!("Low cut at {f} ({:.0} dB/oct)", b.slope_db_oct),
            ("resonance", _) => format!(
                "Cut resonance at {f} by {:.1} dB (Q {:.0})",
                -b.gain_db, b.q
            ),
            (_, EqBandType::LowShelf) => format!("Low shelf {:+.1} dB at {f}", b.gain_db),
            (_, EqBandType::HighShelf) => format!("High shelf {:+.1} dB at {f}", b.gain_db),
            _ => format!(
                "{} {f} by {:.1} dB",
                if b.gain_db < 0.0 { "Cut" } else { "Boost" },
                b.gain_db.abs()
            ),
        };
        s.values.extend(values.iter().map(|(k, v)| (k.clone(), *v)));
        s.items.push(SuggestionItem {
            key,
            title,
            values,
            reason: p.reason.clone(),
            confidence: p.confidence.clamp(0.0, 1.0),
        });
    }
}

/// The reason of a tonal band: the error it acts on (`local`, dB: mean of what lies outside
/// the corridor under the band), where, and against what.
pub(super) fn tonal_reason(band: &BandSettings, local: f64, target: &Target, top: f64) -> String {
    let f = band.freq_hz as f64;
    let where_ = match band.kind {
        EqBandType::LowShelf => format!("below {}", fmt_hz(f)),
        EqBandType::HighShelf => format!("above {}", fmt_hz(f.min(top))),
        _ => {
            let bw = bell_bandwidth_oct(band.q as f64);
            format!(
                "between {} and {}",
                fmt_hz(f * (-bw / 2.0).exp2()),
                fmt_hz(f * (bw / 2.0).exp2())
            )
        }
    };
    let what = match band.kind {
        EqBandType::LowShelf => "lows",
        EqBandType::HighShelf => "highs",
        _ => region_name(f),
    };
    let range = if target.corridor.is_empty() && target.id != "reference" {
        format!(
            "the {} target's ±{:.1} dB range",
            target.name, DEFAULT_TOLERANCE_DB
        )
    } else if target.id == "reference" {
        format!("the reference '{}'", target.name)
    } else {
        format!(
            "the range of the {} target (middle half of real mixes)",
            target.name
        )
    };
    let mut reason = format!(
        "{what} {:.1} dB {} {range} {where_}",
        local.abs(),
        if local >= 0.0 { "above" } else { "below" },
    );
    if local.abs() < 0.5 || local * band.gain_db as f64 > 0.0 {
        reason.push_str(&format!(
            "; this band {} by {:.1} dB to even out where the neighbouring bands overlap",
            if band.gain_db < 0.0 { "cuts" } else { "lifts" },
            band.gain_db.abs()
        ));
    }
    reason
}
