//! The last few seconds of audio the analysis thread heard, kept so it can render them through
//! the manual and the suggested settings and measure the loudness difference (level matching).
//! Kept as [`Packed`] 12-bit blocks: 37.5 % of the memory of `f32`, every sample within −72 dB of
//! its block's peak, which moves the loudness of either render by far less than the level
//! match's resolution.

use dsp_core::util::Packed;
use std::collections::VecDeque;

/// Frames per packed block (about 85 ms at 48 kHz).
const BLOCK: usize = 4096;

/// The most recent `capacity` frames of planar audio. Analysis-thread only.
pub struct RecentAudio {
    capacity: usize,
    /// Full blocks, oldest first, one [`Packed`] per channel; at most enough to cover
    /// `capacity` frames.
    blocks: VecDeque<Vec<Packed>>,
    max_blocks: usize,
    /// The block being filled, per channel.
    open: Vec<Vec<f32>>,
}

impl RecentAudio {
    /// Holds the last `capacity` frames of `channels` channels (both at least 1).
    pub fn new(channels: usize, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            blocks: VecDeque::new(),
            max_blocks: capacity.div_ceil(BLOCK),
            open: vec![Vec::with_capacity(BLOCK); channels.max(1)],
        }
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.open.len()
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        (self.blocks.len() * BLOCK + self.open[0].len()).min(self.capacity)
    }

    /// True when nothing was pushed since the last clear.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.blocks.clear();
        self.open.iter_mut().for_each(Vec::clear);
    }

    /// Appends frames from interleaved data with `stride` values per frame, taking channels
    /// `first..first + channel_count()` of each frame. Non-finite samples are stored as 0.
    pub fn push_interleaved(&mut self, data: &[f32], stride: usize, first: usize) {
        let stride = stride.max(1);
        for frame in data.chunks_exact(stride) {
            for (c, ch) in self.open.iter_mut().enumerate() {
                let x = frame.get(first + c).copied().unwrap_or(0.0);
                ch.push(if x.is_finite() { x } else { 0.0 });
            }
            if self.open[0].len() == BLOCK {
                if self.blocks.len() == self.max_blocks {
                    self.blocks.pop_front();
                }
                let block = self.open.iter().map(|c| Packed::pack(c)).collect();
                self.blocks.push_back(block);
                self.open.iter_mut().for_each(Vec::clear);
            }
        }
    }

    /// The held frames, oldest first, as planar vectors (allocates).
    pub fn to_planar(&self) -> Vec<Vec<f32>> {
        let held = self.blocks.len() * BLOCK + self.open[0].len();
        let skip = held - self.len();
        (0..self.channel_count())
            .map(|c| {
                let mut out = Vec::with_capacity(held);
                for block in &self.blocks {
                    block[c].unpack_from(0, &mut out);
                }
                out.extend_from_slice(&self.open[c]);
                out.drain(..skip);
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_frames_in_order() {
        let mut r = RecentAudio::new(2, 3);
        // Interleaved with stride 4: channels 2 and 3 are the ones kept.
        let data: Vec<f32> = (0..5)
            .flat_map(|i| [0.0, 0.0, i as f32, -(i as f32)])
            .collect();
        r.push_interleaved(&data, 4, 2);
        assert_eq!(r.len(), 3);
        assert_eq!(
            r.to_planar(),
            vec![vec![2.0, 3.0, 4.0], vec![-2.0, -3.0, -4.0]]
        );
        r.clear();
        assert!(r.is_empty());
    }

    /// Across packed blocks: the latest `capacity` frames, in order, each within −72 dB of its
    /// block's peak.
    #[test]
    fn packed_blocks_keep_the_latest_frames_within_72_db() {
        let capacity = 2 * BLOCK + 1000;
        let mut r = RecentAudio::new(1, capacity);
        let total = 5 * BLOCK + 123;
        let x: Vec<f32> = (0..total)
            .map(|i| ((i as f32) * 0.01).sin() * 0.5)
            .collect();
        for part in x.chunks(777) {
            r.push_interleaved(part, 1, 0);
        }
        assert_eq!(r.len(), capacity);
        let back = r.to_planar();
        assert_eq!(back[0].len(), capacity);
        for (a, b) in back[0].iter().zip(&x[total - capacity..]) {
            assert!((a - b).abs() <= 0.5 / 4094.0 + 1e-7, "{a} {b}");
        }
        // Never more blocks than needed for the capacity.
        assert_eq!(r.blocks.len(), capacity.div_ceil(BLOCK));
        // Fewer frames than the capacity: all of them.
        let mut r = RecentAudio::new(2, capacity);
        r.push_interleaved(&[1.0, -1.0, f32::NAN, 0.5], 2, 0);
        assert_eq!(r.to_planar(), vec![vec![1.0, 0.0], vec![-1.0, 0.5]]);
    }
}
