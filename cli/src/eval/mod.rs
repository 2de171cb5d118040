//! `tandem eval`: the assistants judged on real, mastered music (the evaluation set that
//! `tools/eval/fetch-music.sh` fetches). One table per assistant, also as JSON; how each measure
//! is computed is in docs/ASSISTANTS.md.
//!
//! Every measure of the sound uses an independent meter ([`third_octave_db`]: a plain Welch
//! power spectrum summed into 1/3-octave bands, not the assistant's own analysis), on the
//! central [`EXCERPT_SECONDS`] of each track.

use crate::audio_io::Audio;
use realfft::RealFftPlanner;
use std::path::{Path, PathBuf};

pub mod comp;
pub mod eq;
pub mod master;
pub mod targets;

/// Seconds taken from the middle of each track.
pub const EXCERPT_SECONDS: f64 = 150.0;

/// One row of the manifest.
#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub path: PathBuf,
    pub description: String,
}

/// Reads `DIR/manifest.tsv` (id, package, file, description).
pub fn read_manifest(dir: &Path) -> Result<Vec<Track>, String> {
    let m = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&m).map_err(|e| {
        format!(
            "{}: {e} (fetch the set first: tools/eval/fetch-music.sh)",
            m.display()
        )
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 {
            return Err(format!(
                "{}:{}: expected 4 tab-separated columns",
                m.display(),
                n + 1
            ));
        }
        out.push(Track {
            id: f[0].to_string(),
            path: dir.join(f[2]),
            description: f[3].to_string(),
        });
    }
    if out.is_empty() {
        return Err(format!("{}: no tracks", m.display()));
    }
    Ok(out)
}

/// The central `seconds` of `audio`, at most two channels.
pub(super) fn excerpt(audio: &Audio, seconds: f64) -> Vec<Vec<f32>> {
    let n = audio.frames();
    let want = ((seconds * audio.sample_rate as f64) as usize).min(n);
    let start = (n - want) / 2;
    audio
        .channels
        .iter()
        .take(2)
        .map(|c| c[start..start + want].to_vec())
        .collect()
}

/// The independent meter: Hann-windowed 8192-point Welch power spectrum (50 % overlap, channels
/// averaged), summed into ISO 1/3-octave bands from 25 Hz to 16 kHz (bands above 0.45 × the
/// rate or with fewer than 2 bins left out). Returns (centre Hz, dB).
pub fn third_octave_db(channels: &[Vec<f32>], sr: f64) -> Vec<(f64, f64)> {
    let n = 8192usize;
    let hop = n / 2;
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let win: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect();
    let mut psd = vec![0.0f64; n / 2 + 1];
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut frames = 0usize;
    for ch in channels {
        let mut i = 0;
        while i + n <= ch.len() {
            for (k, x) in input.iter_mut().enumerate() {
                *x = ch[i + k] as f64 * win[k];
            }
            if fft.process(&mut input, &mut spec).is_ok() {
                for (p, c) in psd.iter_mut().zip(&spec) {
                    *p += c.norm_sqr();
                }
                frames += 1;
            }
            i += hop;
        }
    }
    let df = sr / n as f64;
    let mut out = Vec::new();
    for k in 14..=42 {
        let fc = 10f64.powf(k as f64 / 10.0);
        let (lo, hi) = (fc * 2f64.powf(-1.0 / 6.0), fc * 2f64.powf(1.0 / 6.0));
        if hi > 0.45 * sr {
            break;
        }
        let (b0, b1) = ((lo / df).ceil() as usize, (hi / df).floor() as usize);
        if b1 < b0 + 1 {
            continue;
        }
        let p: f64 = psd[b0..=b1.min(psd.len() - 1)].iter().sum::<f64>() / frames.max(1) as f64;
        out.push((fc, 10.0 * p.max(1e-30).log10()));
    }
    out
}

/// Deviation in dB between two spectra of [`third_octave_db`]: RMS over 40 Hz–16 kHz, where
/// both have content (within 60 dB of their loudest band), after removing the median difference
/// (so an overall level change is not a deviation).
pub fn spectral_deviation_db(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
    let pa = a.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let pb = b.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let mut d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| (40.0..=16_500.0).contains(&x.0) && x.1 > pa - 60.0 && y.1 > pb - 60.0)
        .map(|(x, y)| x.1 - y.1)
        .collect();
    if d.is_empty() {
        return 0.0;
    }
    let mut s = d.clone();
    s.sort_by(f64::total_cmp);
    let med = s[s.len() / 2];
    for v in d.iter_mut() {
        *v -= med;
    }
    (d.iter().map(|v| v * v).sum::<f64>() / d.len() as f64).sqrt()
}

/// The median (0 for none).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The `p` quantile (0–1, linear interpolation) of a non-empty slice (sorts it).
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let x = p * (v.len() - 1) as f64;
    let (i, t) = (x.floor() as usize, x - x.floor());
    if i + 1 < v.len() {
        v[i] * (1.0 - t) + v[i + 1] * t
    } else {
        v[i]
    }
}

/// BS.1770 integrated loudness, LUFS.
pub fn lufs(audio: &[Vec<f32>], sr: u32) -> Option<f64> {
    let v: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
    dsp_core::loudness::measure(&v, sr as f32)
        .ok()
        .and_then(|s| s.integrated_lufs)
}

/// Runs `f(track, index, count)` over the tracks of `dir` (only the IDs in `only`, when given)
/// on two threads. Returns the rows in manifest order, or the first failure.
pub fn run_tracks<R: Send>(
    dir: &Path,
    only: &[String],
    f: impl Fn(&Track, usize, usize) -> Result<R, String> + Sync,
) -> Result<Vec<R>, String> {
    let tracks = read_manifest(dir)?;
    let n = tracks.len();
    let todo: Vec<(usize, &Track)> = tracks
        .iter()
        .enumerate()
        .filter(|(_, t)| only.is_empty() || only.iter().any(|o| o == &t.id))
        .collect();
    if todo.is_empty() {
        return Err(format!(
            "{}: none of the asked tracks is in the set",
            dir.display()
        ));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..2 {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((k, t)) = todo.get(i) else { break };
                let r = f(t, *k, n).map_err(|e| format!("{}: {e}", t.id));
                results.lock().expect("no panics while held").push((*k, r));
            });
        }
    });
    let mut rows = results
        .into_inner()
        .map_err(|_| "a worker panicked".to_string())?;
    rows.sort_by_key(|r| r.0);
    rows.into_iter().map(|r| r.1).collect()
}
