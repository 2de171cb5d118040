//! A representative excerpt of everything heard, in bounded memory: what the Comp and Master
//! assistants simulate their chains on.
//!
//! The stream is cut into chunks of [`CHUNK_SECONDS`]. Each chunk's loudness is measured as
//! BS.1770 does (K-weighted mean square, channels summed), and its sample peak (the largest
//! magnitude in any channel); every non-silent chunk's loudness and peak go into two histograms
//! of the whole programme (a few hundred counters each, whatever its length). At most
//! `max_chunks` chunks of audio are kept. While fewer have been heard, all are kept; after that
//! each new chunk competes with the kept ones, and the one dropped is the one whose removal
//! leaves the kept loudnesses closest to the programme's loudness quantiles at
//! (j + ½) / `max_chunks`, and the kept peaks closest to its peak quantiles (sums of absolute
//! differences in dB, sorted against sorted, the two added): the excerpt is **stratified by
//! short-term loudness and by peak**, so its loud and quiet passages stand in the same
//! proportions as the song's, the loudest stratum included, wherever in the song they were, and
//! a limiter or compressor simulated on it meets the song's peaks as often as the song does
//! (on loudness alone a dynamic song's loud strata could be held by its least peaky seconds:
//! the whole song rendered with the Master's suggestion then fell 0.6 LU short of its target).
//!
//! [`Excerpt::audio`] joins the kept chunks in time order with [`FADE_SECONDS`] crossfades (each
//! chunk keeps that much of the audio after it): neighbours in time cross with gains summing to
//! one, so they join exactly as they were played; chunks from different places cross at equal
//! power, so no click and no loudness dip enters the simulation.
//!
//! Silent chunks (below [`SILENCE_LUFS`]) are neither kept nor counted. Kept chunks are stored
//! [`Packed`]: 12-bit samples under a per-chunk scale (within −72 dB of the chunk's peak), 37.5 %
//! of the memory of `f32`.

use crate::loudness::{channel_weight, energy_to_lufs, KWeighting};
use crate::util::Packed;
use crate::MAX_CHANNELS;

/// Length of one chunk, s.
pub const CHUNK_SECONDS: f32 = 1.0;
/// Crossfade at each join, s.
pub const FADE_SECONDS: f32 = 0.02;
/// Chunks quieter than this are silence, LUFS (BS.1770's absolute gate).
pub const SILENCE_LUFS: f64 = -70.0;

const HIST_MIN: f64 = -70.0;
const HIST_MAX: f64 = 10.0;
const HIST_STEP: f64 = 0.25;
const HIST_BINS: usize = ((HIST_MAX - HIST_MIN) / HIST_STEP) as usize;

/// One kept chunk: its index in the stream, its loudness, its sample peak (dBFS) and its audio
/// (the chunk plus the crossfade tail after it), planar.
#[derive(Debug, Clone)]
struct Chunk {
    index: u64,
    lufs: f64,
    peak_db: f64,
    audio: Vec<Packed>,
}

/// Streaming, bounded store of a loudness-stratified excerpt (see the module docs). Allocates
/// (analysis threads only).
#[derive(Debug, Clone)]
pub struct Excerpt {
    channels: usize,
    chunk_frames: usize,
    fade_frames: usize,
    max_chunks: usize,
    /// BS.1770's K-weighting of each channel.
    kw: KWeighting,
    /// Per channel, the K-weighted samples of the chunk being measured squared and summed,
    /// and the chunk's frames so far.
    sums: [f64; MAX_CHANNELS],
    measured: usize,
    /// Loudness of the last measured chunk, waiting for its crossfade tail.
    pending: Option<f64>,
    /// The chunk being collected (chunk plus tail).
    current: Vec<Vec<f32>>,
    index: u64,
    kept: Vec<Chunk>,
    /// The programme's chunk loudness and chunk peak histograms ([`HIST_STEP`] dB bins).
    hist: Vec<u32>,
    peak_hist: Vec<u32>,
    counted: u64,
}

impl Excerpt {
    /// A store for `channels` planar channels at `sample_rate_hz` keeping at most
    /// `max_seconds` (at least two chunks).
    pub fn new(sample_rate_hz: f32, channels: usize, max_seconds: f32) -> Self {
        let chunk_frames = ((CHUNK_SECONDS * sample_rate_hz).round() as usize).max(1);
        let fade_frames =
            ((FADE_SECONDS * sample_rate_hz).round() as usize).clamp(1, chunk_frames / 2 + 1);
        let max_chunks = ((max_seconds / CHUNK_SECONDS).floor() as usize).max(2);
        Self {
            channels,
            chunk_frames,
            fade_frames,
            max_chunks,
            kw: KWeighting::new(sample_rate_hz as f64),
            sums: [0.0; MAX_CHANNELS],
            measured: 0,
            pending: None,
            current: (0..channels)
                .map(|_| Vec::with_capacity(chunk_frames + fade_frames))
                .collect(),
            index: 0,
            kept: Vec::new(),
            hist: vec![0; HIST_BINS],
            peak_hist: vec![0; HIST_BINS],
            counted: 0,
        }
    }

    /// Clears everything heard.
    pub fn reset(&mut self) {
        self.kw.reset();
        self.sums = [0.0; MAX_CHANNELS];
        self.measured = 0;
        self.pending = None;
        self.current.iter_mut().for_each(Vec::clear);
        self.index = 0;
        self.kept.clear();
        self.hist.fill(0);
        self.peak_hist.fill(0);
        self.counted = 0;
    }

    /// Non-silent chunks heard so far.
    pub fn chunks_heard(&self) -> u64 {
        self.counted
    }

    /// Seconds of non-silent audio heard, counted in whole chunks.
    pub fn seconds_heard(&self) -> f32 {
        self.counted as f32 * CHUNK_SECONDS
    }

    /// Feeds planar channels (one finite slice per configured channel, equal lengths; the
    /// caller sanitises).
    pub fn process(&mut self, channels: &[&[f32]]) {
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        if channels.len() < self.channels {
            return;
        }
        let nch = self.channels.min(MAX_CHANNELS);
        let mut i = 0;
        while i < n {
            // Up to the end of the chunk's measurement or of its tail, whichever comes first.
            let to_measured = self.chunk_frames - self.measured;
            let to_closed = self.chunk_frames + self.fade_frames - self.current[0].len();
            let m = (n - i).min(to_measured).min(to_closed);
            let mut part: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
            for ((p, src), cur) in part.iter_mut().zip(channels).zip(&mut self.current) {
                *p = &src[i..i + m];
                cur.extend_from_slice(p);
            }
            self.kw.process(&part[..nch], &mut self.sums);
            self.measured += m;
            if self.measured == self.chunk_frames {
                let mean = self.energy() / self.chunk_frames as f64;
                self.pending = Some(energy_to_lufs(mean).unwrap_or(-200.0));
                self.sums = [0.0; MAX_CHANNELS];
                self.measured = 0;
            }
            if self.current[0].len() == self.chunk_frames + self.fade_frames {
                self.close_chunk();
            }
            i += m;
        }
    }

    /// The channel-weighted K-weighted energy of the chunk being measured, summed over its
    /// frames so far.
    fn energy(&self) -> f64 {
        let nch = self.channels.min(MAX_CHANNELS);
        (0..nch)
            .map(|c| channel_weight(nch, c) * self.sums[c])
            .sum()
    }

    fn close_chunk(&mut self) {
        let lufs = self.pending.take().unwrap_or(-200.0);
        let index = self.index;
        self.index += 1;
        // The next chunk starts with this one's tail.
        let c = self.chunk_frames;
        let keep = lufs >= SILENCE_LUFS;
        let peak = self
            .current
            .iter()
            .flat_map(|cur| cur[..c].iter())
            .fold(0.0f32, |m, x| m.max(x.abs()));
        let peak_db = crate::util::gain_to_db_f64(f64::from(peak));
        let audio: Vec<Packed> = self
            .current
            .iter_mut()
            .filter_map(|cur| {
                let packed = keep.then(|| Packed::pack(cur));
                cur.drain(..c);
                packed
            })
            .collect();
        if !keep {
            return;
        }
        let bin = (((lufs - HIST_MIN) / HIST_STEP) as usize).min(HIST_BINS - 1);
        self.hist[bin] += 1;
        let pbin = (((peak_db - HIST_MIN) / HIST_STEP).max(0.0) as usize).min(HIST_BINS - 1);
        self.peak_hist[pbin] += 1;
        self.counted += 1;
        self.kept.push(Chunk {
            index,
            lufs,
            peak_db,
            audio,
        });
        if self.kept.len() > self.max_chunks {
            let drop = self.least_representative();
            self.kept.remove(drop);
        }
    }

    /// The value at quantile `p` (0–1) of one of the programme's histograms (bin centres).
    fn quantile(&self, hist: &[u32], p: f64) -> f64 {
        let want = (p * self.counted as f64).floor() as u64;
        let mut seen = 0u64;
        for (b, &n) in hist.iter().enumerate() {
            seen += n as u64;
            if seen > want {
                return HIST_MIN + (b as f64 + 0.5) * HIST_STEP;
            }
        }
        HIST_MAX
    }

    /// Index (into `kept`) of the chunk whose removal best matches the programme's loudness and
    /// peak quantiles.
    fn least_representative(&self) -> usize {
        let n = self.max_chunks;
        // Per measure (loudness, peak): the programme's quantiles, the kept chunks sorted by it
        // (ties by age), and how far those without `skipped` lie from the quantiles.
        let measure = |hist: &[u32], value: fn(&Chunk) -> f64| {
            let q: Vec<f64> = (0..n)
                .map(|j| self.quantile(hist, (j as f64 + 0.5) / n as f64))
                .collect();
            let mut order: Vec<usize> = (0..self.kept.len()).collect();
            order.sort_by(|&a, &b| {
                value(&self.kept[a])
                    .total_cmp(&value(&self.kept[b]))
                    .then(self.kept[a].index.cmp(&self.kept[b].index))
            });
            move |skipped: usize| -> f64 {
                order
                    .iter()
                    .filter(|&&i| i != skipped)
                    .map(|&i| value(&self.kept[i]))
                    .zip(&q)
                    .map(|(v, q)| (v - q).abs())
                    .sum()
            }
        };
        let loudness_cost = measure(&self.hist, |c| c.lufs);
        let peak_cost = measure(&self.peak_hist, |c| c.peak_db);
        let mut best = (f64::INFINITY, 0);
        for skip in 0..self.kept.len() {
            let cost = loudness_cost(skip) + peak_cost(skip);
            // Ties go to the oldest chunk, so the excerpt follows the song as it goes on.
            if cost < best.0 - 1e-9 {
                best = (cost, skip);
            } else if (cost - best.0).abs() <= 1e-9
                && self.kept[skip].index < self.kept[best.1].index
            {
                best.1 = skip;
            }
        }
        best.1
    }

    /// The kept chunks' loudness, in time order, LUFS.
    pub fn chunk_loudness(&self) -> Vec<f64> {
        let mut k: Vec<&Chunk> = self.kept.iter().collect();
        k.sort_by_key(|c| c.index);
        k.iter().map(|c| c.lufs).collect()
    }

    /// The excerpt: the kept chunks in time order joined with crossfades (see the module
    /// docs), planar. Empty before the first non-silent chunk is complete.
    ///
    /// Until the store is full, the chunk still being collected is included too (so a short
    /// programme is simulated whole).
    pub fn audio(&self) -> Vec<Vec<f32>> {
        let mut k: Vec<&Chunk> = self.kept.iter().collect();
        k.sort_by_key(|c| c.index);
        let partial;
        let partial_lufs = self.pending.unwrap_or_else(|| {
            energy_to_lufs(self.energy() / self.measured.max(1) as f64).unwrap_or(-200.0)
        });
        if self.kept.len() < self.max_chunks
            && self.current[0].len() > self.fade_frames
            && partial_lufs >= SILENCE_LUFS
        {
            partial = Chunk {
                index: self.index,
                lufs: 0.0,
                peak_db: 0.0,
                audio: self.current.iter().map(|c| Packed::pack(c)).collect(),
            };
            k.push(&partial);
        }
        join(&k, self.channels, self.fade_frames)
    }
}

/// Joins chunks (in the given order) with crossfades of `fade` frames over each chunk's tail.
fn join(chunks: &[&Chunk], channels: usize, fade: usize) -> Vec<Vec<f32>> {
    let total: usize = chunks
        .iter()
        .map(|c| c.audio[0].len() - fade)
        .sum::<usize>()
        + fade;
    let mut out: Vec<Vec<f32>> = (0..channels).map(|_| Vec::with_capacity(total)).collect();
    let mut prev: Option<u64> = None;
    for chunk in chunks {
        let adjacent = prev.is_some_and(|p| p + 1 == chunk.index);
        for (o, a) in out.iter_mut().zip(&chunk.audio) {
            if prev.is_none() {
                a.unpack_from(0, o);
                continue;
            }
            let start = o.len() - fade;
            for i in 0..fade {
                let t = (i as f64 + 0.5) / fade as f64;
                let th = 0.5 * std::f64::consts::PI * t;
                let (g_out, g_in) = if adjacent {
                    // Gains summing to one: the same audio crosses into itself.
                    let s = th.sin().powi(2);
                    (1.0 - s, s)
                } else {
                    // Equal power for unrelated audio.
                    (th.cos(), th.sin())
                };
                o[start + i] = (o[start + i] as f64 * g_out + a.get(i) as f64 * g_in) as f32;
            }
            a.unpack_from(fade, o);
        }
        prev = Some(chunk.index);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 8000.0;

    /// A 1 kHz sine at `db` dBFS for `seconds`, stereo.
    fn tone(db: f32, seconds: f32) -> Vec<Vec<f32>> {
        let a = 10f32.powf(db / 20.0) * std::f32::consts::SQRT_2;
        let n = (seconds * SR) as usize;
        let x: Vec<f32> = (0..n)
            .map(|i| a * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / SR).sin())
            .collect();
        vec![x.clone(), x]
    }

    fn feed(e: &mut Excerpt, x: &[Vec<f32>]) {
        let refs: Vec<&[f32]> = x.iter().map(|c| c.as_slice()).collect();
        // Varying, odd block sizes: the chunking must not depend on them.
        let n = refs[0].len();
        let mut pos = 0;
        let mut step = 1;
        while pos < n {
            let m = step.min(n - pos);
            let part: Vec<&[f32]> = refs.iter().map(|c| &c[pos..pos + m]).collect();
            e.process(&part);
            pos += m;
            step = step * 7 % 3001 + 1;
        }
    }

    /// Chunk loudness is BS.1770's: a 1 kHz sine at −20 dBFS RMS per channel in stereo reads
    /// −20 + 3 − 0.691 + K-weighting's +0.69 dB at 1 kHz ≈ −17.0 LUFS (the published reference
    /// value for this signal is −20 LUFS per channel, −17 for two).
    #[test]
    fn chunk_loudness_is_bs1770() {
        let mut e = Excerpt::new(SR, 2, 30.0);
        feed(&mut e, &tone(-20.0, 10.0));
        let l = e.chunk_loudness();
        assert!(l.len() >= 4, "{l:?}");
        for v in &l[1..] {
            assert!((v - (-17.0)).abs() < 0.1, "{v}");
        }
    }

    /// A programme that is quiet for 60 s then loud for 20 s: the excerpt keeps both in the
    /// song's proportions (3 : 1), not the most recent 30 s, and not only the loud part.
    #[test]
    fn the_excerpt_is_stratified_by_loudness() {
        let mut e = Excerpt::new(SR, 2, 20.0);
        feed(&mut e, &tone(-30.0, 60.0));
        feed(&mut e, &tone(-10.0, 20.0));
        let l = e.chunk_loudness();
        let n = (20.0 / CHUNK_SECONDS) as usize;
        assert_eq!(l.len(), n);
        let loud = l.iter().filter(|v| **v > -20.0).count() as f64;
        assert!((loud / n as f64 - 0.25).abs() <= 0.1, "{l:?}");
        // Time order: the quiet chunks come first.
        assert!(l[0] < -20.0 && l[n - 1] > -20.0, "{l:?}");
        // Bounded: n chunks (plus the tail), whatever the length.
        let a = e.audio();
        let want = n * e.chunk_frames + e.fade_frames;
        assert_eq!(a[0].len(), want);
    }

    /// Chunks of one loudness with two peaks (a steady tone, and the same tone in bursts of a
    /// quarter of the time at twice the amplitude: the same mean square, 6 dB more peak): the
    /// excerpt keeps both in the song's proportions (3 : 1). Stratified on loudness alone it
    /// kept no burst at all (tried).
    #[test]
    fn the_excerpt_is_stratified_by_peak_too() {
        let mut e = Excerpt::new(SR, 2, 20.0);
        // −18.1 dBFS RMS: −18.1 LUFS, in the middle of a histogram bin.
        feed(&mut e, &tone(-18.1, 60.0));
        let mut bursts = tone(-18.1 + 6.02, 20.0);
        let period = (0.1 * SR) as usize;
        for ch in bursts.iter_mut() {
            for (i, x) in ch.iter_mut().enumerate() {
                if i % period >= period / 4 {
                    *x = 0.0;
                }
            }
        }
        feed(&mut e, &bursts);
        let n = (20.0 / CHUNK_SECONDS) as usize;
        assert_eq!(e.kept.len(), n);
        let lufs: Vec<f64> = e.kept.iter().map(|c| c.lufs).collect();
        let (lo, hi) = lufs
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &l| (a.min(l), b.max(l)));
        assert!(hi - lo < 0.1, "one loudness: {lufs:?}");
        let peaky = e.kept.iter().filter(|c| c.peak_db > -12.0).count();
        assert!(
            (peaky as f64 / n as f64 - 0.25).abs() <= 0.1,
            "{peaky} of {n} kept chunks are bursts"
        );
    }

    /// Adjacent chunks join exactly as played; unrelated ones cross at equal power, without a
    /// click or a loudness dip.
    #[test]
    fn joins_are_exact_between_neighbours_and_smooth_elsewhere() {
        let x = tone(-20.0, 9.0);
        let mut e = Excerpt::new(SR, 2, 30.0);
        feed(&mut e, &x);
        let a = e.audio();
        // All chunks are neighbours (the last one still being collected): the excerpt is the
        // input as played.
        let n = a[0].len();
        assert_eq!(n, x[0].len());
        // Within half a step of the packing (the tone's peak × 2⁻¹²).
        let peak = x[0].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for i in 0..n {
            assert!(
                (a[0][i] - x[0][i]).abs() <= peak / 4094.0 + 1e-6,
                "sample {i}"
            );
        }
        // Unrelated chunks: two independent noises (the same level) from far apart.
        let mut seed = 1u32;
        let mut noise = |len: usize| -> Vec<f32> {
            (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                })
                .collect()
        };
        let fade = 400;
        let (na, nb) = (noise(4000 + fade), noise(4000 + fade));
        let a = Chunk {
            index: 0,
            lufs: 0.0,
            peak_db: 0.0,
            audio: vec![Packed::pack(&na)],
        };
        let b = Chunk {
            index: 7,
            lufs: 0.0,
            peak_db: 0.0,
            audio: vec![Packed::pack(&nb)],
        };
        let j = join(&[&a, &b], 1, fade);
        assert_eq!(j[0].len(), 8000 + fade);
        let power = |s: &[f32]| s.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / s.len() as f64;
        let around = power(&j[0][3000..4000]);
        let cross = power(&j[0][4000..4000 + fade]);
        assert!(
            (10.0 * (cross / around).log10()).abs() < 1.0,
            "{around} {cross}"
        );
        // No click: the join's largest step is of the order of the noise's own (an abrupt cut
        // between two noises of ±0.5 can step by up to 1.0, twice the bound).
        let step = |s: &[f32]| {
            s.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max)
        };
        let own = step(&na).max(step(&nb));
        assert!(step(&j[0][3990..4000 + fade + 10]) <= 1.2 * own);
        // The first sample of the fade continues the first chunk, the last one the second.
        assert!((j[0][4000] - na[4000]).abs() < 0.01);
        assert!((j[0][4000 + fade - 1] - nb[fade - 1]).abs() < 0.01);
    }

    #[test]
    fn silence_is_neither_kept_nor_counted() {
        let mut e = Excerpt::new(SR, 2, 30.0);
        feed(&mut e, &[vec![0.0; 80_000], vec![0.0; 80_000]]);
        assert_eq!(e.chunks_heard(), 0);
        assert!(e.audio()[0].is_empty());
    }
}
