//! The last few seconds of audio the analysis thread heard, kept so it can render them through
//! the manual and the suggested settings and measure the loudness difference (level matching).

/// A planar ring of the most recent `capacity` frames. Analysis-thread only.
pub struct RecentAudio {
    channels: Vec<Vec<f32>>,
    capacity: usize,
    write: usize,
    filled: usize,
}

impl RecentAudio {
    /// Holds the last `capacity` frames of `channels` channels (both at least 1).
    pub fn new(channels: usize, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            channels: vec![vec![0.0; capacity]; channels.max(1)],
            capacity,
            write: 0,
            filled: 0,
        }
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.filled
    }

    /// True when nothing was pushed since the last clear.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.write = 0;
        self.filled = 0;
    }

    /// Appends frames from interleaved data with `stride` values per frame, taking channels
    /// `first..first + channel_count()` of each frame. Non-finite samples are stored as 0.
    pub fn push_interleaved(&mut self, data: &[f32], stride: usize, first: usize) {
        let stride = stride.max(1);
        for frame in data.chunks_exact(stride) {
            for (c, ch) in self.channels.iter_mut().enumerate() {
                let x = frame.get(first + c).copied().unwrap_or(0.0);
                ch[self.write] = if x.is_finite() { x } else { 0.0 };
            }
            self.write = (self.write + 1) % self.capacity;
            self.filled = (self.filled + 1).min(self.capacity);
        }
    }

    /// The held frames, oldest first, as planar vectors (allocates).
    pub fn to_planar(&self) -> Vec<Vec<f32>> {
        let start = (self.write + self.capacity - self.filled) % self.capacity;
        self.channels
            .iter()
            .map(|ch| {
                (0..self.filled)
                    .map(|i| ch[(start + i) % self.capacity])
                    .collect()
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
}
