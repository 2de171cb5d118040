//! `tandem build-targets`: the measured mix targets from the profile set.

use super::eq::analyze;
use super::{percentile, read_manifest, Track};
use crate::audio_io::read_audio;
use std::path::Path;

/// One track's long-term 1/6-octave spectrum (the EQ analysis of the whole track), anchored
/// with [`dsp_core::assistant::eq::level_anchor`]: (Hz, dB) for the bands below 0.45 × its rate.
fn anchored_curve(t: &Track) -> Result<Vec<(f64, f64)>, String> {
    let audio = read_audio(&t.path).map_err(|e| e.to_string())?;
    let ch: Vec<Vec<f32>> = audio.channels.iter().take(2).cloned().collect();
    let a = analyze(&ch, audio.sample_rate);
    let f: Vec<f64> = a.band_center_hz.iter().map(|v| *v as f64).collect();
    let d: Vec<f64> = a.band_db.iter().map(|v| *v as f64).collect();
    let anchor = dsp_core::assistant::eq::level_anchor(&f, &d, &d);
    let top = 0.45 * audio.sample_rate as f64;
    Ok(f.iter()
        .zip(&d)
        .filter(|(f, _)| (19.0..=20_500.0).contains(*f) && **f <= top)
        .map(|(f, d)| (*f, d - anchor))
        .collect())
}

/// Builds the measured mix targets (Balanced, Warm, Bright) from the profile set in `dir`:
/// per 1/6-octave band the median of the tracks' anchored long-term spectra and their
/// interquartile range as the tolerance corridor, over all tracks (Balanced), the third with the
/// most low end against top end (Warm) and the third with the least (Bright). Returns the JSON
/// of `dsp-core/data/measured_targets.json`.
pub fn build_targets(dir: &Path) -> Result<serde_json::Value, String> {
    let tracks = read_manifest(dir)?;
    let curves: Vec<(String, Vec<(f64, f64)>)> = std::thread::scope(|sc| {
        let hs: Vec<_> = tracks
            .chunks(tracks.len().div_ceil(2))
            .map(|part| {
                sc.spawn(move || {
                    part.iter()
                        .map(|t| anchored_curve(t).map(|c| (t.id.clone(), c)))
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in hs {
            all.extend(h.join().map_err(|_| "a worker panicked".to_string())??);
        }
        Ok::<_, String>(all)
    })?;
    let mean_over = |c: &[(f64, f64)], lo: f64, hi: f64| {
        let v: Vec<f64> = c
            .iter()
            .filter(|p| (lo..=hi).contains(&p.0))
            .map(|p| p.1)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let mut by_tilt: Vec<(f64, usize)> = curves
        .iter()
        .enumerate()
        .map(|(i, (_, c))| {
            (
                mean_over(c, 60.0, 250.0) - mean_over(c, 2500.0, 10_000.0),
                i,
            )
        })
        .collect();
    by_tilt.sort_by(|a, b| b.0.total_cmp(&a.0));
    let third = curves.len().div_ceil(3);
    let warm: Vec<usize> = by_tilt[..third].iter().map(|p| p.1).collect();
    let bright: Vec<usize> = by_tilt[by_tilt.len() - third..]
        .iter()
        .map(|p| p.1)
        .collect();
    let all: Vec<usize> = (0..curves.len()).collect();
    let freqs: Vec<f64> = curves
        .iter()
        .max_by_key(|c| c.1.len())
        .map(|c| c.1.iter().map(|p| p.0).collect())
        .unwrap_or_default();
    let make = |id: &str, name: &str, members: &[usize], what: &str| {
        let mut points = Vec::new();
        let mut corridor = Vec::new();
        for (k, &f) in freqs.iter().enumerate() {
            // Every other 1/6-octave band (1/3-octave points), pooled over ±1/6 octave.
            if k % 2 != 0 {
                continue;
            }
            let mut v: Vec<f64> = members
                .iter()
                .flat_map(|&i| curves[i].1.iter())
                .filter(|p| (p.0 / f).log2().abs() <= 1.0 / 6.0 + 1e-3)
                .map(|p| p.1)
                .collect();
            if v.len() < 3 {
                continue;
            }
            let (q1, q2, q3) = (
                percentile(&mut v, 0.25),
                percentile(&mut v, 0.5),
                percentile(&mut v, 0.75),
            );
            let r = |x: f64| (x * 10.0).round() / 10.0;
            let fr = (f * 10.0).round() / 10.0;
            points.push(serde_json::json!([fr, r(q2)]));
            corridor.push(serde_json::json!([fr, r(q1 - q2), r(q3 - q2)]));
        }
        // Relative curves: 0 dB at 1 kHz, like every built-in target.
        let at_1k = points
            .iter()
            .find(|p| (p[0].as_f64().unwrap_or(0.0) - 1000.0).abs() < 1.0)
            .and_then(|p| p[1].as_f64())
            .unwrap_or(0.0);
        for p in points.iter_mut() {
            let v = p[1].as_f64().unwrap_or(0.0) - at_1k;
            p[1] = serde_json::json!((v * 10.0).round() / 10.0);
        }
        let ids: Vec<&str> = members.iter().map(|&i| curves[i].0.as_str()).collect();
        serde_json::json!({
            "id": id,
            "name": name,
            "version": 2,
            "source": format!(
                "Tandem {name} v2, measured: the median long-term 1/6-octave spectrum (EQ \
                 analysis, pink-referenced, anchored with level_anchor) of {what} of the profile \
                 set ({} tracks: {}), rebuilt by `tandem build-targets`; the corridor is their \
                 interquartile range.",
                members.len(),
                ids.join(", ")
            ),
            "points": points,
            "corridor": corridor,
        })
    };
    Ok(serde_json::json!({
        "version": 2,
        "built_from": "tools/eval/tracks.tsv, set 'profile' (freely licensed game soundtracks in Debian packages, kept apart from the evaluation set)",
        "targets": [
            make("balanced", "Balanced", &all, "all tracks"),
            make("warm", "Warm", &warm, "the third with the most low end against top end (60-250 Hz vs 2.5-10 kHz)"),
            make("bright", "Bright", &bright, "the third with the least low end against top end"),
        ]
    }))
}
