//! The audio tap: a lock-free SPSC ring of interleaved frames from the audio thread to an
//! analysis thread.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};

use crate::{ConfigError, MAX_CHANNELS};

/// The largest ring capacity accepted, in frames (about 45 min at 48 kHz).
pub const MAX_TAP_CAPACITY_FRAMES: usize = 1 << 27;

/// Counters shared by both ends of a tap.
#[derive(Debug, Default)]
struct TapCounters {
    written_frames: AtomicU64,
    dropped_frames: AtomicU64,
}

/// Creates a tap for `channels` channels (1–8) holding up to `capacity_frames` frames
/// (1 ..= [`MAX_TAP_CAPACITY_FRAMES`]). All memory is allocated here.
pub fn audio_tap(
    channels: usize,
    capacity_frames: usize,
) -> Result<(AudioTapWriter, AudioTapReader), ConfigError> {
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(ConfigError::Channels(channels));
    }
    if capacity_frames == 0 || capacity_frames > MAX_TAP_CAPACITY_FRAMES {
        return Err(ConfigError::Invalid(
            "tap capacity must be 1 ..= 2^27 frames",
        ));
    }
    let (producer, consumer) = RingBuffer::new(capacity_frames * channels);
    let counters = Arc::new(TapCounters::default());
    Ok((
        AudioTapWriter {
            producer,
            channels,
            counters: Arc::clone(&counters),
        },
        AudioTapReader {
            consumer,
            channels,
            counters,
        },
    ))
}

/// Writes frames `frames` of the first `given` planar `channels` interleaved by `ch` into
/// `dst`, which holds exactly those frames: every slot is written (channels past `given` as
/// silence), so the ring's slots need no clearing first. Two and four channels (a plugin's
/// stereo input, and input plus output) take a loop over whole frames, which vectorises; others
/// are written channel by channel.
fn interleave(
    dst: &mut [MaybeUninit<f32>],
    channels: &[&[f32]],
    given: usize,
    ch: usize,
    frames: std::ops::Range<usize>,
) {
    debug_assert_eq!(dst.len(), frames.len() * ch);
    let src = |c: usize| &channels[c][frames.clone()];
    match (ch, given) {
        (2, 2) => {
            for ((d, &l), &r) in dst.chunks_exact_mut(2).zip(src(0)).zip(src(1)) {
                d[0].write(l);
                d[1].write(r);
            }
        }
        (4, 4) => {
            let (s0, s1, s2, s3) = (src(0), src(1), src(2), src(3));
            for ((((d, &x0), &x1), &x2), &x3) in
                dst.chunks_exact_mut(4).zip(s0).zip(s1).zip(s2).zip(s3)
            {
                d[0].write(x0);
                d[1].write(x1);
                d[2].write(x2);
                d[3].write(x3);
            }
        }
        _ => {
            for c in 0..ch {
                let slots = dst.iter_mut().skip(c).step_by(ch);
                if c < given {
                    for (d, &x) in slots.zip(src(c)) {
                        d.write(x);
                    }
                } else {
                    for d in slots {
                        d.write(0.0);
                    }
                }
            }
        }
    }
}

/// The audio-thread end of a tap. Every method is wait-free: no allocation, no lock, no spin;
/// when the ring is full the frames that do not fit are dropped and counted.
pub struct AudioTapWriter {
    producer: Producer<f32>,
    channels: usize,
    counters: Arc<TapCounters>,
}

impl std::fmt::Debug for AudioTapWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioTapWriter")
            .field("channels", &self.channels)
            .field("counters", &self.counters)
            .finish()
    }
}

impl AudioTapWriter {
    /// The channel count fixed at construction.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Free space in frames.
    pub fn free_frames(&self) -> usize {
        self.producer.slots() / self.channels
    }

    /// Offers planar audio: one slice per channel, the frame count being the shortest slice
    /// (missing channels — fewer slices than configured — are written as silence). Writes as many
    /// whole frames as fit, drops and counts the rest, and returns the frames written.
    pub fn push_planar(&mut self, channels: &[&[f32]]) -> usize {
        let ch = self.channels;
        let given = channels.len().min(ch);
        let frames = if given == 0 {
            0
        } else {
            channels[..given].iter().map(|c| c.len()).min().unwrap_or(0)
        };
        let n = frames.min(self.producer.slots() / ch);
        if n > 0 {
            if let Ok(mut chunk) = self.producer.write_chunk_uninit(n * ch) {
                // The writer only ever commits whole frames into a ring of whole frames, so the
                // wrap point falls between frames and each part is interleaved channel by
                // channel; a missing channel is written as silence.
                let (a, b) = chunk.as_mut_slices();
                let split = (a.len() / ch).min(n);
                debug_assert_eq!(a.len() % ch, 0);
                interleave(a, channels, given, ch, 0..split);
                interleave(b, channels, given, ch, split..n);
                // SAFETY: `interleave` wrote every slot of both parts (their lengths are
                // `split·ch` and `(n − split)·ch`, every channel of every frame).
                unsafe { chunk.commit_all() };
            }
        }
        self.count(n, frames);
        n
    }

    /// Offers interleaved frames (`frames.len() / channels` whole frames; a trailing partial frame
    /// is ignored). Writes as many as fit, drops and counts the rest, returns the frames written.
    pub fn push_interleaved(&mut self, frames: &[f32]) -> usize {
        let ch = self.channels;
        let offered = frames.len() / ch;
        let n = offered.min(self.producer.slots() / ch);
        let (written, _) = self.producer.push_partial_slice(&frames[..n * ch]);
        debug_assert_eq!(written.len(), n * ch);
        self.count(n, offered);
        n
    }

    #[inline]
    fn count(&self, written: usize, offered: usize) {
        // Only this thread writes the counters, so a load + store would do; fetch_add keeps it simple.
        if written > 0 {
            self.counters
                .written_frames
                .fetch_add(written as u64, Ordering::Relaxed);
        }
        if offered > written {
            self.counters
                .dropped_frames
                .fetch_add((offered - written) as u64, Ordering::Relaxed);
        }
    }

    /// Total frames written since construction.
    pub fn written_frames(&self) -> u64 {
        self.counters.written_frames.load(Ordering::Relaxed)
    }

    /// Total frames dropped (ring full) since construction.
    pub fn dropped_frames(&self) -> u64 {
        self.counters.dropped_frames.load(Ordering::Relaxed)
    }

    /// True when the reader has been dropped.
    pub fn is_abandoned(&self) -> bool {
        self.producer.is_abandoned()
    }
}

/// The analysis-thread end of a tap. Never blocks: pops whatever is available.
pub struct AudioTapReader {
    consumer: Consumer<f32>,
    channels: usize,
    counters: Arc<TapCounters>,
}

impl std::fmt::Debug for AudioTapReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioTapReader")
            .field("channels", &self.channels)
            .field("counters", &self.counters)
            .finish()
    }
}

impl AudioTapReader {
    /// The channel count fixed at construction.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames ready to be popped.
    pub fn available_frames(&self) -> usize {
        self.consumer.slots() / self.channels
    }

    /// Pops up to `out.len() / channels` frames, interleaved, into `out`; returns the frames popped.
    pub fn pop_interleaved(&mut self, out: &mut [f32]) -> usize {
        let ch = self.channels;
        let n = (out.len() / ch).min(self.consumer.slots() / ch);
        if n == 0 {
            return 0;
        }
        let (popped, _) = self.consumer.pop_partial_slice(&mut out[..n * ch]);
        popped.len() / ch
    }

    /// Pops up to N frames into planar buffers, N being the shortest of the first `channels`
    /// buffers (extra buffers are untouched; with fewer buffers than channels, the missing
    /// channels are discarded). Returns the frames popped.
    pub fn pop_planar(&mut self, out: &mut [&mut [f32]]) -> usize {
        let ch = self.channels;
        let given = out.len().min(ch);
        if given == 0 {
            return 0;
        }
        let cap = out[..given].iter().map(|c| c.len()).min().unwrap_or(0);
        let n = cap.min(self.consumer.slots() / ch);
        if n == 0 {
            return 0;
        }
        let Ok(chunk) = self.consumer.read_chunk(n * ch) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        for (idx, &x) in a.iter().chain(b.iter()).enumerate() {
            let (frame, c) = (idx / ch, idx % ch);
            if c < given {
                out[c][frame] = x;
            }
        }
        chunk.commit_all();
        n
    }

    /// Discards everything currently in the ring; returns the frames discarded.
    pub fn clear(&mut self) -> usize {
        let n = self.consumer.slots() / self.channels;
        if let Ok(chunk) = self.consumer.read_chunk(n * self.channels) {
            chunk.commit_all();
        }
        n
    }

    /// Total frames the writer has written since construction.
    pub fn written_frames(&self) -> u64 {
        self.counters.written_frames.load(Ordering::Relaxed)
    }

    /// Total frames the writer has dropped since construction.
    pub fn dropped_frames(&self) -> u64 {
        self.counters.dropped_frames.load(Ordering::Relaxed)
    }

    /// True when the writer has been dropped.
    pub fn is_abandoned(&self) -> bool {
        self.consumer.is_abandoned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};

    /// Sample value for frame `i`, channel `c`: exactly representable in f32 for i < 2^22.
    fn value(i: u64, c: usize) -> f32 {
        ((i % (1 << 22)) as f32) + c as f32 * 0.25
    }

    /// 2 channels × 2 M frames (4 M samples) through a 4096-frame ring; the reader keeps up
    /// (yielding when empty), so nothing is lost and everything arrives in order.
    #[test]
    fn millions_of_samples_without_loss_or_reordering() {
        const FRAMES: u64 = 2_000_000;
        let (mut w, mut r) = audio_tap(2, 4096).unwrap();
        let reader = std::thread::spawn(move || {
            let mut next = 0u64;
            let mut buf = vec![0.0f32; 2 * 700];
            let (mut l, mut rr) = (vec![0.0f32; 333], vec![0.0f32; 333]);
            let mut planar_turn = false;
            while next < FRAMES {
                planar_turn = !planar_turn;
                let n = if planar_turn {
                    let n = r.pop_planar(&mut [&mut l, &mut rr]);
                    for i in 0..n {
                        assert_eq!(l[i], value(next + i as u64, 0), "frame {}", next + i as u64);
                        assert_eq!(rr[i], value(next + i as u64, 1));
                    }
                    n
                } else {
                    let n = r.pop_interleaved(&mut buf);
                    for i in 0..n {
                        assert_eq!(
                            buf[2 * i],
                            value(next + i as u64, 0),
                            "frame {}",
                            next + i as u64
                        );
                        assert_eq!(buf[2 * i + 1], value(next + i as u64, 1));
                    }
                    n
                };
                next += n as u64;
                if n == 0 {
                    std::thread::yield_now();
                }
            }
            next
        });
        // Writer: blocks of varying size, alternating planar and interleaved. A test thread cannot
        // be sure the reader is scheduled in time, so the writer paces itself to the reader: what
        // did not fit is offered again after a yield (the reader "keeps up" by construction). The
        // ring wraps ~500 times; the reader checks every sample.
        let mut i = 0u64;
        let (mut l, mut rr, mut il) = (vec![0.0f32; 512], vec![0.0f32; 512], vec![0.0f32; 1024]);
        let mut turn = 0usize;
        while i < FRAMES {
            let n = (64 + (turn * 37) % 449).min((FRAMES - i) as usize);
            let written = if turn.is_multiple_of(2) {
                for k in 0..n {
                    l[k] = value(i + k as u64, 0);
                    rr[k] = value(i + k as u64, 1);
                }
                w.push_planar(&[&l[..n], &rr[..n]])
            } else {
                for k in 0..n {
                    il[2 * k] = value(i + k as u64, 0);
                    il[2 * k + 1] = value(i + k as u64, 1);
                }
                w.push_interleaved(&il[..2 * n])
            };
            i += written as u64;
            if written < n {
                std::thread::yield_now();
            }
            turn += 1;
        }
        assert_eq!(reader.join().unwrap(), FRAMES);
        assert_eq!(w.written_frames(), FRAMES);
    }

    /// A full-speed writer that never retries against a concurrent reader through a small ring:
    /// whatever is dropped is counted (written + dropped = offered), and the reader receives
    /// exactly the written frames, in order (strictly increasing sequence numbers, gaps only where
    /// whole frames were dropped, channels never mixed up).
    #[test]
    fn concurrent_lossy_exchange_is_ordered_and_counted() {
        const FRAMES: u64 = 1 << 20; // a whole number of 256-frame blocks
        let (mut w, mut r) = audio_tap(2, 8192).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let done2 = Arc::clone(&done);
        let reader = std::thread::spawn(move || {
            let mut last: Option<u64> = None;
            let mut received = 0u64;
            let mut buf = vec![0.0f32; 2 * 1024];
            loop {
                let finished = done2.load(Ordering::Acquire);
                let n = r.pop_interleaved(&mut buf);
                for f in buf[..2 * n].chunks_exact(2) {
                    let seq = f[0] as u64;
                    assert_eq!(f[1], value(seq, 1), "channels mixed up at {seq}");
                    assert!(
                        last.is_none_or(|l| seq > l),
                        "reordered: {seq} after {last:?}"
                    );
                    last = Some(seq);
                }
                received += n as u64;
                if n == 0 {
                    if finished {
                        break;
                    }
                    std::thread::yield_now();
                }
            }
            received
        });
        let mut block = vec![0.0f32; 2 * 256];
        let mut i = 0u64;
        while i < FRAMES {
            for (k, f) in block.chunks_exact_mut(2).enumerate() {
                f[0] = value(i + k as u64, 0);
                f[1] = value(i + k as u64, 1);
            }
            w.push_interleaved(&block);
            i += 256;
        }
        done.store(true, Ordering::Release);
        let received = reader.join().unwrap();
        assert_eq!(w.written_frames() + w.dropped_frames(), FRAMES);
        assert_eq!(received, w.written_frames());
    }

    /// A reader that stalls: every write call returns promptly, and written + dropped = offered
    /// exactly; what was written is a gap-free prefix of each accepted run.
    #[test]
    fn stalled_reader_drops_are_counted_exactly() {
        let (mut w, mut r) = audio_tap(2, 1000).unwrap();
        let stall = Arc::new(AtomicBool::new(true));
        let stall2 = Arc::clone(&stall);
        let reader = std::thread::spawn(move || {
            while stall2.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let mut buf = vec![0.0f32; 2 * 4096];
            let mut total = 0;
            loop {
                let n = r.pop_interleaved(&mut buf);
                if n == 0 {
                    break;
                }
                total += n;
            }
            total
        });
        let (l, rr) = (vec![0.1f32; 300], vec![0.2f32; 300]);
        let mut offered = 0u64;
        let mut max_call = Duration::ZERO;
        for k in 0..10_000 {
            let n = 1 + (k * 7) % 300;
            let t = Instant::now();
            w.push_planar(&[&l[..n], &rr[..n]]);
            max_call = max_call.max(t.elapsed());
            offered += n as u64;
        }
        assert_eq!(
            w.written_frames(),
            1000,
            "the ring holds exactly its capacity"
        );
        assert_eq!(w.written_frames() + w.dropped_frames(), offered);
        assert!(
            max_call < Duration::from_millis(50),
            "a write call took {max_call:?}"
        );
        stall.store(false, Ordering::Release);
        assert_eq!(reader.join().unwrap(), 1000);
    }

    /// Three and four channels through a ring of 10 frames, written in planar blocks of 1–7
    /// frames and read in 4-frame pieces: the planar writes cross the wrap point at every
    /// offset, and every frame arrives whole and in order.
    #[test]
    fn planar_writes_across_the_wrap_keep_frames_whole() {
        for ch in [3usize, 4] {
            let (mut w, mut r) = audio_tap(ch, 10).unwrap();
            let (mut next_w, mut next_r) = (0u64, 0u64);
            let mut out = [0.0f32; 16];
            for turn in 0..500usize {
                let n = 1 + turn % 7;
                let chans: Vec<Vec<f32>> = (0..ch)
                    .map(|c| (0..n as u64).map(|i| value(next_w + i, c)).collect())
                    .collect();
                let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
                let free = w.free_frames();
                let written = w.push_planar(&refs);
                assert_eq!(written, n.min(free));
                next_w += written as u64;
                let got = r.pop_interleaved(&mut out[..4 * ch]);
                for i in 0..got {
                    for c in 0..ch {
                        assert_eq!(
                            out[ch * i + c],
                            value(next_r + i as u64, c),
                            "{ch} channels, turn {turn}"
                        );
                    }
                }
                next_r += got as u64;
            }
            assert!(next_r > 1000);
        }
    }

    #[test]
    fn config_partial_frames_and_missing_channels() {
        assert!(audio_tap(0, 10).is_err());
        assert!(audio_tap(9, 10).is_err());
        assert!(audio_tap(2, 0).is_err());
        let (mut w, mut r) = audio_tap(2, 4).unwrap();
        assert_eq!(w.push_interleaved(&[1.0, 2.0, 3.0]), 1); // trailing half frame ignored
        assert_eq!(w.push_planar(&[&[5.0, 6.0]]), 2); // right channel missing → silence
        assert_eq!(w.push_planar(&[&[7.0, 8.0], &[9.0, 10.0]]), 1); // one frame fits
        assert_eq!((w.written_frames(), w.dropped_frames()), (4, 1));
        assert_eq!(r.available_frames(), 4);
        let mut out = [0.0f32; 5];
        assert_eq!(r.pop_interleaved(&mut out), 2);
        assert_eq!(out[..4], [1.0, 2.0, 5.0, 0.0]);
        let (mut a, mut b) = ([0.0f32; 8], [0.0f32; 8]);
        assert_eq!(r.pop_planar(&mut [&mut a, &mut b]), 2);
        assert_eq!(
            (a[..2].to_vec(), b[..2].to_vec()),
            (vec![6.0, 7.0], vec![0.0, 9.0])
        );
        assert_eq!(r.pop_planar(&mut [&mut a, &mut b]), 0);
        w.push_interleaved(&[1.0; 8]);
        assert_eq!(r.clear(), 4);
        // Slots that held samples before: a missing channel still reads as silence (the
        // writer writes every slot; the ring's memory is not cleared), two channels and three.
        assert_eq!(w.push_planar(&[&[3.0, 4.0]]), 2);
        let mut out = [9.0f32; 4];
        assert_eq!(r.pop_interleaved(&mut out), 2);
        assert_eq!(out, [3.0, 0.0, 4.0, 0.0]);
        let (mut w3, mut r3) = audio_tap(3, 4).unwrap();
        w3.push_interleaved(&[1.0; 12]);
        assert_eq!(r3.clear(), 4);
        assert_eq!(w3.push_planar(&[&[5.0, 6.0, 7.0], &[8.0, 9.0, 10.0]]), 3);
        let mut out = [9.0f32; 9];
        assert_eq!(r3.pop_interleaved(&mut out), 3);
        assert_eq!(out, [5.0, 8.0, 0.0, 6.0, 9.0, 0.0, 7.0, 10.0, 0.0]);
        drop(w);
        assert!(r.is_abandoned());
    }
}
