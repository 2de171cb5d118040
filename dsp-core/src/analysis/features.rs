//! Signal features: crest factor, onsets/transients, stereo correlation, side/mid per band.

use serde::{Deserialize, Serialize};

use super::spectrum::FrameFft;
use crate::{validate_sample_rate, ConfigError, MAX_CHANNELS};

// ---------------------------------------------------------------------------------------------
// Crest factor
// ---------------------------------------------------------------------------------------------

/// Crest factor of `samples` in dB: 20·log10(peak / RMS). A sine reads 3.01 dB, a square wave
/// 0 dB. `None` for an empty or silent slice (RMS below 1e-10). Non-finite samples count as 0.
pub fn crest_factor_db(samples: &[f32]) -> Option<f32> {
    crest_factor_db_channels(&[samples])
}

/// [`crest_factor_db`] of the channels one after the other (peak over all of them against the
/// RMS of all of them), without concatenating them: the same value within rounding (the sums
/// run in eight interleaved parts, so they vectorise).
pub fn crest_factor_db_channels(channels: &[&[f32]]) -> Option<f32> {
    let mut peak = [0.0f32; LANES];
    let mut sum_sq = [0.0f64; LANES];
    for c in channels {
        for_lanes(c, |k, x| {
            let x = crate::util::sanitize(x);
            peak[k] = peak[k].max(x.abs());
            sum_sq[k] += f64::from(x) * f64::from(x);
        });
    }
    let peak = peak.iter().fold(0.0f32, |a, &b| a.max(b));
    crest_from(
        f64::from(peak),
        sum_sq.iter().sum(),
        channels.iter().map(|c| c.len()).sum(),
    )
}

/// How many partial sums the whole-signal features keep side by side.
const LANES: usize = 8;

/// Calls `f(lane, sample)` for every sample of `xs`, the lane being the sample's index modulo
/// [`LANES`], in runs of [`LANES`] so that `f`'s per-lane sums vectorise.
#[inline(always)]
fn for_lanes(xs: &[f32], mut f: impl FnMut(usize, f32)) {
    let (chunks, rest) = xs.as_chunks::<LANES>();
    for c in chunks {
        for (k, &x) in c.iter().enumerate() {
            f(k, x);
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        f(k, x);
    }
}

fn crest_from(peak: f64, sum_sq: f64, n: usize) -> Option<f32> {
    if n == 0 {
        return None;
    }
    let rms = (sum_sq / n as f64).sqrt();
    if rms < 1e-10 {
        None
    } else {
        Some((20.0 * (peak / rms).log10()) as f32)
    }
}

/// Real-time crest-factor meter over consecutive windows of a fixed length: peak over all
/// channels against the RMS of all channels. No allocation; `process` never panics.
#[derive(Debug, Clone)]
pub struct CrestFactorMeter {
    window_frames: usize,
    pos: usize,
    peak: f64,
    sum_sq: f64,
    last_db: Option<f32>,
    max_db: Option<f32>,
}

impl CrestFactorMeter {
    /// A meter with windows of `window_frames` frames (at least 1).
    pub fn new(window_frames: usize) -> Result<Self, ConfigError> {
        if window_frames == 0 {
            return Err(ConfigError::Invalid(
                "crest-factor window must be at least 1 frame",
            ));
        }
        Ok(Self {
            window_frames,
            pos: 0,
            peak: 0.0,
            sum_sq: 0.0,
            last_db: None,
            max_db: None,
        })
    }

    /// Feeds planar channels (shortest length used, up to [`MAX_CHANNELS`] channels).
    pub fn process(&mut self, channels: &[&[f32]]) {
        let chans = &channels[..channels.len().min(MAX_CHANNELS)];
        if chans.is_empty() {
            return;
        }
        let len = chans.iter().map(|c| c.len()).min().unwrap_or(0);
        let inv_ch = 1.0 / chans.len() as f64;
        let mut i = 0;
        while i < len {
            let n = (self.window_frames - self.pos).min(len - i);
            for c in chans {
                for &x in &c[i..i + n] {
                    let x = crate::util::sanitize(x) as f64;
                    self.peak = self.peak.max(x.abs());
                    self.sum_sq += x * x * inv_ch;
                }
            }
            i += n;
            self.pos += n;
            if self.pos == self.window_frames {
                self.last_db = crest_from(self.peak, self.sum_sq, self.window_frames);
                if let Some(d) = self.last_db {
                    self.max_db = Some(self.max_db.map_or(d, |m| m.max(d)));
                }
                self.pos = 0;
                self.peak = 0.0;
                self.sum_sq = 0.0;
            }
        }
    }

    /// Crest factor of the last completed window in dB (`None` before one completes or when
    /// it was silent).
    pub fn crest_db(&self) -> Option<f32> {
        self.last_db
    }

    /// The highest window crest factor since construction/reset, in dB.
    pub fn max_crest_db(&self) -> Option<f32> {
        self.max_db
    }

    /// Clears the running window and the readings.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.peak = 0.0;
        self.sum_sq = 0.0;
        self.last_db = None;
        self.max_db = None;
    }
}

// ---------------------------------------------------------------------------------------------
// Onsets
// ---------------------------------------------------------------------------------------------

/// Settings of [`detect_onsets`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OnsetParams {
    /// Energy-envelope block length in ms (the time resolution).
    pub block_ms: f32,
    /// Length of the two compared windows in ms: the energy of the newest window against the
    /// window just before it.
    pub window_ms: f32,
    /// An onset needs the newest window's energy this many dB above the previous window's.
    pub threshold_db: f32,
    /// An onset needs the newest window's mean square above this level in dBFS.
    pub floor_dbfs: f32,
    /// The shortest time between two onsets in ms.
    pub min_interval_ms: f32,
    /// How far after the detection the envelope peak is searched for (rise time), in ms.
    pub peak_search_ms: f32,
}

impl Default for OnsetParams {
    /// 1 ms blocks, 10 ms windows, +6 dB, −60 dBFS floor, 50 ms minimum interval, 30 ms peak search.
    fn default() -> Self {
        Self {
            block_ms: 1.0,
            window_ms: 10.0,
            threshold_db: 6.0,
            floor_dbfs: -60.0,
            min_interval_ms: 50.0,
            peak_search_ms: 30.0,
        }
    }
}

/// Onsets (transients) found in a signal. Serialisable; undefined statistics are `None`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OnsetReport {
    /// Onset times from the start of the signal, in seconds (start of each attack, 10 % point).
    pub onset_times_s: Vec<f64>,
    /// Onsets per second of signal.
    pub onsets_per_s: f64,
    /// Mean 10 %→90 % rise time of the amplitude envelope (block resolution), in ms.
    pub mean_rise_time_ms: Option<f64>,
    /// Median inter-onset interval in ms (needs two onsets).
    pub median_ioi_ms: Option<f64>,
    /// Signal duration in seconds.
    pub duration_s: f64,
}

/// Energy-envelope onset detection on planar channels (energies summed over channels).
///
/// The signal is cut into `block_ms` blocks; an onset is declared when the energy of the newest
/// `window_ms` window exceeds the window just before it by `threshold_db` and its level is above
/// `floor_dbfs`, at most once per `min_interval_ms`. Each onset time is then refined to the first
/// block whose RMS amplitude reaches 10 % of the way from the preceding level to the following
/// peak; the rise time is the time to 90 %. Allocates (analysis threads only).
pub fn detect_onsets(
    channels: &[&[f32]],
    sample_rate_hz: f32,
    params: &OnsetParams,
) -> Result<OnsetReport, ConfigError> {
    validate_sample_rate(sample_rate_hz)?;
    let p = params;
    let valid = p.block_ms > 0.0
        && p.window_ms >= p.block_ms
        && p.min_interval_ms >= 0.0
        && p.peak_search_ms >= 0.0
        && p.threshold_db.is_finite()
        && p.floor_dbfs.is_finite();
    if !valid {
        return Err(ConfigError::Invalid("onset parameters out of range"));
    }
    let len = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    let sr = sample_rate_hz as f64;
    let duration_s = len as f64 / sr;
    let block = ((p.block_ms as f64 * 1e-3 * sr).round() as usize).max(1);
    let block_s = block as f64 / sr;
    let to_blocks = |ms: f32| ((ms as f64 * 1e-3 / block_s).round() as usize).max(1);
    let win = to_blocks(p.window_ms);
    let min_gap = to_blocks(p.min_interval_ms);
    let search = to_blocks(p.peak_search_ms);
    let n_blocks = len / block;

    // Block energies (mean square, summed over channels).
    let mut e = vec![0.0f64; n_blocks];
    for c in channels {
        for (b, eb) in e.iter_mut().enumerate() {
            *eb += c[b * block..(b + 1) * block]
                .iter()
                .map(|&x| {
                    let x = crate::util::sanitize(x) as f64;
                    x * x
                })
                .sum::<f64>()
                / block as f64;
        }
    }
    let amp: Vec<f64> = e.iter().map(|x| x.sqrt()).collect();
    // Window sums via a prefix sum: s(b) = energy of blocks (b-win, b].
    let mut prefix = vec![0.0f64; n_blocks + 1];
    for b in 0..n_blocks {
        prefix[b + 1] = prefix[b] + e[b];
    }
    let win_sum = |b: usize| -> f64 { prefix[b + 1] - prefix[(b + 1).saturating_sub(win)] };
    let floor = 10f64.powf(p.floor_dbfs as f64 / 10.0) * win as f64;
    let ratio = 10f64.powf(p.threshold_db as f64 / 10.0);

    let mut onsets = Vec::new();
    let mut rises = Vec::new();
    let mut next_allowed = 0usize;
    for b in win..n_blocks {
        if b < next_allowed {
            continue;
        }
        let now = win_sum(b);
        let before = win_sum(b - win);
        if now < floor || now < ratio * before.max(floor * 1e-3) {
            continue;
        }
        // Refine: base level before the window, peak after the detection.
        let base_lo = b.saturating_sub(2 * win);
        let base = amp[base_lo..=b - win]
            .iter()
            .cloned()
            .fold(f64::INFINITY, f64::min);
        let peak_hi = (b + search).min(n_blocks - 1);
        let (peak_idx, peak) =
            (b..=peak_hi)
                .map(|k| (k, amp[k]))
                .fold((b, 0.0), |a, x| if x.1 > a.1 { x } else { a });
        let range = peak - base;
        let start_search = b + 1 - win;
        let first_at = |frac: f64| -> usize {
            (start_search..=peak_idx)
                .find(|&k| amp[k] >= base + frac * range)
                .unwrap_or(peak_idx)
        };
        let k10 = first_at(0.1);
        let k90 = first_at(0.9);
        onsets.push(k10 as f64 * block_s);
        rises.push((k90.saturating_sub(k10)) as f64 * block_s * 1e3);
        next_allowed = k10 + min_gap;
    }

    let mean_rise_time_ms = if rises.is_empty() {
        None
    } else {
        Some(rises.iter().sum::<f64>() / rises.len() as f64)
    };
    let median_ioi_ms = if onsets.len() < 2 {
        None
    } else {
        let mut iois: Vec<f64> = onsets.windows(2).map(|w| (w[1] - w[0]) * 1e3).collect();
        iois.sort_by(f64::total_cmp);
        let m = iois.len();
        Some(if m % 2 == 1 {
            iois[m / 2]
        } else {
            0.5 * (iois[m / 2 - 1] + iois[m / 2])
        })
    };
    Ok(OnsetReport {
        onsets_per_s: if duration_s > 0.0 {
            onsets.len() as f64 / duration_s
        } else {
            0.0
        },
        onset_times_s: onsets,
        mean_rise_time_ms,
        median_ioi_ms,
        duration_s,
    })
}

// ---------------------------------------------------------------------------------------------
// Stereo correlation
// ---------------------------------------------------------------------------------------------

/// Pearson correlation of two equally long signals (the shorter length is used): +1 for identical
/// (mono) channels, −1 for one inverted, ≈0 for independent ones. `None` when either has no
/// variance (silence or DC) or the slices are empty.
pub fn pearson_correlation(a: &[f32], b: &[f32]) -> Option<f32> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let mean = |xs: &[f32]| {
        let mut sum = [0.0f64; LANES];
        for_lanes(xs, |k, x| sum[k] += f64::from(crate::util::sanitize(x)));
        sum.iter().sum::<f64>() / n as f64
    };
    let (ma, mb) = (mean(a), mean(b));
    let (mut ab, mut aa, mut bb) = ([0.0f64; LANES], [0.0f64; LANES], [0.0f64; LANES]);
    let (pairs_a, rest_a) = a.as_chunks::<LANES>();
    let (pairs_b, rest_b) = b.as_chunks::<LANES>();
    let mut add = |k: usize, x: f32, y: f32| {
        let x = f64::from(crate::util::sanitize(x)) - ma;
        let y = f64::from(crate::util::sanitize(y)) - mb;
        ab[k] += x * y;
        aa[k] += x * x;
        bb[k] += y * y;
    };
    for (ca, cb) in pairs_a.iter().zip(pairs_b) {
        for k in 0..LANES {
            add(k, ca[k], cb[k]);
        }
    }
    for (k, (&x, &y)) in rest_a.iter().zip(rest_b).enumerate() {
        add(k, x, y);
    }
    let (sab, saa, sbb): (f64, f64, f64) = (ab.iter().sum(), aa.iter().sum(), bb.iter().sum());
    if saa <= 1e-20 * n as f64 || sbb <= 1e-20 * n as f64 {
        return None;
    }
    Some((sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0) as f32)
}

/// Real-time stereo correlation meter over consecutive windows of a fixed length
/// (Σ l·r / √(Σ l²·Σ r²), the usual phase-correlation meter: audio is taken as zero-mean).
/// Reads 0 for a window where either channel is silent. No allocation.
#[derive(Debug, Clone)]
pub struct CorrelationMeter {
    window_frames: usize,
    pos: usize,
    lr: f64,
    ll: f64,
    rr: f64,
    last: f32,
}

impl CorrelationMeter {
    /// A meter with windows of `window_frames` frames (at least 1).
    pub fn new(window_frames: usize) -> Result<Self, ConfigError> {
        if window_frames == 0 {
            return Err(ConfigError::Invalid(
                "correlation window must be at least 1 frame",
            ));
        }
        Ok(Self {
            window_frames,
            pos: 0,
            lr: 0.0,
            ll: 0.0,
            rr: 0.0,
            last: 0.0,
        })
    }

    /// Feeds a stereo pair (shortest length used).
    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        for (&l, &r) in left.iter().zip(right) {
            let l = crate::util::sanitize(l) as f64;
            let r = crate::util::sanitize(r) as f64;
            self.lr += l * r;
            self.ll += l * l;
            self.rr += r * r;
            self.pos += 1;
            if self.pos == self.window_frames {
                let d = (self.ll * self.rr).sqrt();
                self.last = if d > 1e-20 {
                    (self.lr / d).clamp(-1.0, 1.0) as f32
                } else {
                    0.0
                };
                self.pos = 0;
                self.lr = 0.0;
                self.ll = 0.0;
                self.rr = 0.0;
            }
        }
    }

    /// Correlation of the last completed window, −1…+1 (0 before the first window).
    pub fn correlation(&self) -> f32 {
        self.last
    }

    /// Clears the running window and the reading.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.lr = 0.0;
        self.ll = 0.0;
        self.rr = 0.0;
        self.last = 0.0;
    }
}

// ---------------------------------------------------------------------------------------------
// Side/mid energy per band
// ---------------------------------------------------------------------------------------------

/// Default bands for [`side_mid_ratio_db`], `(low_hz, high_hz)`: lows, low mids, mids, presence, air.
pub const DEFAULT_STEREO_BANDS_HZ: [(f32, f32); 5] = [
    (20.0, 150.0),
    (150.0, 600.0),
    (600.0, 2_500.0),
    (2_500.0, 6_000.0),
    (6_000.0, 20_000.0),
];

/// Side/mid energy of one band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandSideMid {
    /// Lower band edge in Hz.
    pub low_hz: f32,
    /// Upper band edge in Hz.
    pub high_hz: f32,
    /// Mid ((L+R)/2) band power in dB on the sine-peak scale, floored at [`crate::util::MIN_DB`].
    pub mid_db: f32,
    /// Side ((L−R)/2) band power in dB on the sine-peak scale, floored at [`crate::util::MIN_DB`].
    pub side_db: f32,
    /// Side energy relative to mid energy in dB, clamped to ±120 dB (−120: mono, +120: mid
    /// cancelled, 0: equal, e.g. uncorrelated channels). `None` when the band is silent.
    pub side_to_mid_db: Option<f32>,
}

/// Side/mid energy ratio per band, from 4096-point Hann frames at 50 % overlap (signals shorter
/// than a frame are zero-padded). Bins are assigned to the band containing their centre
/// frequency, `low_hz ≤ f < high_hz`. Allocates (analysis threads only).
pub fn side_mid_ratio_db(
    left: &[f32],
    right: &[f32],
    sample_rate_hz: f32,
    bands_hz: &[(f32, f32)],
) -> Result<Vec<BandSideMid>, ConfigError> {
    validate_sample_rate(sample_rate_hz)?;
    const N: usize = 4096;
    let len = left.len().min(right.len());
    let mut fft = FrameFft::new(N);
    let bins = fft.bins();
    let mut mid_p = vec![0.0f32; bins];
    let mut side_p = vec![0.0f32; bins];
    let mut start = 0;
    loop {
        let end = (start + N).min(len);
        for sign in [1.0f32, -1.0] {
            let buf = fft.input_mut();
            buf.fill(0.0);
            for (d, (&l, &r)) in buf
                .iter_mut()
                .zip(left[start..end].iter().zip(&right[start..end]))
            {
                *d = 0.5 * (crate::util::sanitize(l) + sign * crate::util::sanitize(r));
            }
            fft.accumulate_power(if sign > 0.0 { &mut mid_p } else { &mut side_p }, 1.0);
        }
        if start + N >= len {
            break;
        }
        start += N / 2;
    }
    let df = sample_rate_hz / N as f32;
    Ok(bands_hz
        .iter()
        .map(|&(lo, hi)| {
            let (mut m, mut s) = (0.0f64, 0.0f64);
            for k in 0..bins {
                let f = k as f32 * df;
                if f >= lo && f < hi {
                    m += mid_p[k] as f64;
                    s += side_p[k] as f64;
                }
            }
            let scale = 1.0 / (fft.enbw_bins() as f64);
            let (m, s) = (m * scale, s * scale);
            let side_to_mid_db = if m + s <= 1e-20 {
                None
            } else {
                Some((10.0 * ((s + 1e-30) / (m + 1e-30)).log10()).clamp(-120.0, 120.0) as f32)
            };
            BandSideMid {
                low_hz: lo,
                high_hz: hi,
                mid_db: crate::util::power_to_db(m as f32),
                side_db: crate::util::power_to_db(s as f32),
                side_to_mid_db,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::spectrum::tests::white;
    use super::*;

    fn sine(freq: f64, n: usize, sr: f64) -> Vec<f32> {
        (0..n)
            .map(|i| (std::f64::consts::TAU * freq * i as f64 / sr).sin() as f32)
            .collect()
    }

    #[test]
    fn crest_factor_of_sine_square_and_silence() {
        let s = sine(1000.0, 48_000, 48_000.0);
        assert!((crest_factor_db(&s).unwrap() - 3.0103).abs() < 0.01);
        let sq: Vec<f32> = s
            .iter()
            .map(|x| if *x >= 0.0 { 0.7 } else { -0.7 })
            .collect();
        assert!(crest_factor_db(&sq).unwrap().abs() < 1e-4);
        assert_eq!(crest_factor_db(&[0.0; 100]), None);
        assert_eq!(crest_factor_db(&[]), None);
        let (a, b) = (s[..1000].to_vec(), sq[..777].to_vec());
        let joined: Vec<f32> = a.iter().chain(&b).copied().collect();
        let (split, whole) = (
            crest_factor_db_channels(&[&a, &b]).unwrap(),
            crest_factor_db(&joined).unwrap(),
        );
        assert!((split - whole).abs() < 1e-5, "{split} {whole}");
        assert_eq!(crest_factor_db_channels(&[]), None);
        let mut m = CrestFactorMeter::new(4800).unwrap();
        for c in s.chunks(1000) {
            m.process(&[c, c]);
        }
        assert!((m.crest_db().unwrap() - 3.0103).abs() < 0.01);
        assert!((m.max_crest_db().unwrap() - 3.0103).abs() < 0.01);
        m.process(&[&sq[..4800], &sq[..4800]]);
        assert!(m.crest_db().unwrap().abs() < 1e-4);
        m.reset();
        assert_eq!(m.crest_db(), None);
        assert!(CrestFactorMeter::new(0).is_err());
    }

    #[test]
    fn correlation_identical_inverted_independent() {
        let a = white(48_000, 1);
        let b = white(48_000, 2);
        let inv: Vec<f32> = a.iter().map(|x| -x).collect();
        assert!((pearson_correlation(&a, &a).unwrap() - 1.0).abs() < 1e-6);
        assert!((pearson_correlation(&a, &inv).unwrap() + 1.0).abs() < 1e-6);
        assert!(pearson_correlation(&a, &b).unwrap().abs() < 0.03);
        assert_eq!(pearson_correlation(&a, &[0.0; 100]), None);
        let mut m = CorrelationMeter::new(4800).unwrap();
        m.process(&a, &a);
        assert!((m.correlation() - 1.0).abs() < 1e-6);
        m.process(&a, &inv);
        assert!((m.correlation() + 1.0).abs() < 1e-6);
        m.process(&a, &b);
        assert!(m.correlation().abs() < 0.1);
        m.process(&a[..4800], &[0.0; 4800]);
        assert_eq!(m.correlation(), 0.0);
    }

    /// Clicks at 120 BPM (every 500 ms, first at 250 ms): 2 ms exponentially decaying noise bursts
    /// at up to −6 dBFS over a −70 dBFS noise floor, 8 s at 48 kHz.
    #[test]
    fn onsets_of_clicks_at_120_bpm() {
        let sr = 48_000usize;
        let mut x: Vec<f32> = white(sr * 8, 5).iter().map(|v| v * 3.2e-4).collect();
        let burst = white(96, 6);
        let times: Vec<f64> = (0..16).map(|k| 0.25 + 0.5 * k as f64).collect();
        for &t in &times {
            let at = (t * sr as f64) as usize;
            for (j, b) in burst.iter().enumerate() {
                x[at + j] += 0.5 * b * (-(j as f32) / 24.0).exp();
            }
        }
        let r = detect_onsets(&[&x, &x], sr as f32, &OnsetParams::default()).unwrap();
        assert_eq!(r.onset_times_s.len(), 16, "{:?}", r.onset_times_s);
        for (got, want) in r.onset_times_s.iter().zip(&times) {
            assert!((got - want).abs() < 0.010, "onset {got} vs {want}");
        }
        assert!((r.median_ioi_ms.unwrap() - 500.0).abs() < 2.0);
        assert!((r.onsets_per_s - 2.0).abs() < 1e-9);
        assert!(
            r.mean_rise_time_ms.unwrap() < 3.0,
            "{:?}",
            r.mean_rise_time_ms
        );
        assert!(serde_json::to_string(&r).is_ok());
    }

    #[test]
    fn onsets_of_tone_bursts_and_slow_attack() {
        // 200 Hz tone bursts with a 20 ms linear attack every 400 ms, 200 ms long.
        let sr = 44_100usize;
        let tone = sine(200.0, sr * 4, sr as f64);
        let mut x = vec![0.0f32; sr * 4];
        let starts: Vec<f64> = (0..10).map(|k| 0.1 + 0.4 * k as f64).collect();
        for &t in &starts {
            let at = (t * sr as f64) as usize;
            for j in 0..(0.2 * sr as f64) as usize {
                let env = (j as f32 / (0.02 * sr as f32)).min(1.0);
                x[at + j] = 0.5 * env * tone[at + j];
            }
        }
        let r = detect_onsets(&[&x], sr as f32, &OnsetParams::default()).unwrap();
        assert_eq!(r.onset_times_s.len(), 10, "{:?}", r.onset_times_s);
        for (got, want) in r.onset_times_s.iter().zip(&starts) {
            assert!((got - want).abs() < 0.010, "onset {got} vs {want}");
        }
        assert!((r.median_ioi_ms.unwrap() - 400.0).abs() < 3.0);
        let rise = r.mean_rise_time_ms.unwrap();
        assert!((8.0..=22.0).contains(&rise), "rise {rise} ms");
        // Silence: no onsets, valid report.
        let z = vec![0.0f32; 10_000];
        let r = detect_onsets(&[&z], 44_100.0, &OnsetParams::default()).unwrap();
        assert!(r.onset_times_s.is_empty() && r.median_ioi_ms.is_none());
        assert!(detect_onsets(&[&z], 10.0, &OnsetParams::default()).is_err());
    }

    #[test]
    fn side_mid_per_band() {
        let sr = 48_000.0;
        let n = 48_000;
        let a = white(n, 31);
        let b = white(n, 32);
        let inv: Vec<f32> = a.iter().map(|x| -x).collect();
        let mono = side_mid_ratio_db(&a, &a, sr, &DEFAULT_STEREO_BANDS_HZ).unwrap();
        assert!(mono.iter().all(|r| r.side_to_mid_db.unwrap() <= -100.0));
        let anti = side_mid_ratio_db(&a, &inv, sr, &DEFAULT_STEREO_BANDS_HZ).unwrap();
        assert!(anti.iter().all(|r| r.side_to_mid_db.unwrap() >= 100.0));
        let wide = side_mid_ratio_db(&a, &b, sr, &DEFAULT_STEREO_BANDS_HZ).unwrap();
        for r in &wide {
            assert!(r.side_to_mid_db.unwrap().abs() < 1.0, "{r:?}");
        }
        // Mono bass sine + independent noise on top: the low band is mono, the top is wide.
        let bass = sine(60.0, n, 48_000.0);
        let l: Vec<f32> = bass.iter().zip(&a).map(|(s, x)| s + 0.01 * x).collect();
        let r: Vec<f32> = bass.iter().zip(&b).map(|(s, x)| s + 0.01 * x).collect();
        let mixed = side_mid_ratio_db(&l, &r, sr, &DEFAULT_STEREO_BANDS_HZ).unwrap();
        assert!(mixed[0].side_to_mid_db.unwrap() < -30.0, "{:?}", mixed[0]);
        assert!(
            mixed[4].side_to_mid_db.unwrap().abs() < 1.0,
            "{:?}",
            mixed[4]
        );
        let z = [0.0f32; 100];
        let silent = side_mid_ratio_db(&z, &z, sr, &DEFAULT_STEREO_BANDS_HZ).unwrap();
        assert!(silent.iter().all(|r| r.side_to_mid_db.is_none()));
        assert!(serde_json::to_string(&silent).is_ok());
    }
}
