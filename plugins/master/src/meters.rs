//! Tandem Master's meters: what the editor shows of the output (momentary, short-term and
//! integrated loudness, loudness range, true peak, correlation) and of the chain (the glue's
//! and the limiter's gain reduction). [`Meters`] is the shared state: the analysis thread
//! writes the output's measures ([`OutputMeter`]), the audio thread the gain reductions after
//! each block ([`Meters::show_gain_reductions`]), the editor reads both.

use atomic_float::AtomicF32;
use dsp_core::analysis::features::CorrelationMeter;
use dsp_core::chains::master::MasterChain;
use dsp_core::loudness::LoudnessAnalyzer;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tandem_common::analysis::monitor::TapMonitor;
use tandem_common::audio::display::Display;

/// Window of the output correlation meter, in seconds.
pub const CORRELATION_WINDOW_S: f32 = 0.3;

/// Output meters for the editor, written by the analysis thread (NaN = not measured yet) and
/// the audio thread (gain reductions).
pub struct Meters {
    /// Momentary (400 ms) loudness of the output, LUFS.
    pub momentary_lufs: AtomicF32,
    /// Short-term (3 s) loudness of the output, LUFS.
    pub short_term_lufs: AtomicF32,
    /// Integrated loudness of the output since the last meter reset, LUFS.
    pub integrated_lufs: AtomicF32,
    /// Loudness range of the output since the last meter reset, LU.
    pub loudness_range_lu: AtomicF32,
    /// Highest true peak of the output since the last meter reset, dBTP.
    pub true_peak_dbtp: AtomicF32,
    /// Output stereo correlation, −1…+1 (NaN for mono).
    pub correlation: AtomicF32,
    /// Glue compressor gain reduction, dB (audio thread).
    pub glue_gr_db: AtomicF32,
    /// Limiter gain reduction, dB (audio thread).
    pub limiter_gr_db: AtomicF32,
    /// Set by the editor to restart the integrated/LRA/true-peak measurement.
    pub reset_requested: AtomicBool,
}

impl Default for Meters {
    fn default() -> Self {
        Self {
            momentary_lufs: AtomicF32::new(f32::NAN),
            short_term_lufs: AtomicF32::new(f32::NAN),
            integrated_lufs: AtomicF32::new(f32::NAN),
            loudness_range_lu: AtomicF32::new(f32::NAN),
            true_peak_dbtp: AtomicF32::new(f32::NAN),
            correlation: AtomicF32::new(f32::NAN),
            glue_gr_db: AtomicF32::new(0.0),
            limiter_gr_db: AtomicF32::new(0.0),
            reset_requested: AtomicBool::new(false),
        }
    }
}

impl Meters {
    /// The glue's and the limiter's gain reductions after each block, into the meters and
    /// (summed) the display (`PluginSpec::AFTER_BLOCK`). Real-time safe.
    pub fn show_gain_reductions(chain: &MasterChain, display: &Display, meters: &Meters) {
        let glue = chain.glue_gain_reduction_db();
        let lim = chain.limiter_gain_reduction_db();
        meters.glue_gr_db.store(glue, Ordering::Relaxed);
        meters.limiter_gr_db.store(lim, Ordering::Relaxed);
        display
            .gain_reduction_db
            .store(glue + lim, Ordering::Relaxed);
    }
}

/// The analysis thread's measures of the output, into [`Meters`].
pub struct OutputMeter {
    channels: usize,
    meters: Arc<Meters>,
    out_loudness: LoudnessAnalyzer,
    correlation: CorrelationMeter,
}

impl OutputMeter {
    /// Meters the output of a plugin running `channels` (1 or 2) at `sample_rate` (Hz) into
    /// `meters`.
    pub fn new(
        sample_rate: f32,
        channels: usize,
        meters: Arc<Meters>,
    ) -> Result<Self, dsp_core::ConfigError> {
        let channels = channels.clamp(1, 2);
        Ok(Self {
            channels,
            meters,
            out_loudness: LoudnessAnalyzer::new(channels, sample_rate)?,
            correlation: CorrelationMeter::new(
                ((CORRELATION_WINDOW_S * sample_rate) as usize).max(1),
            )?,
        })
    }

    /// Starts every measure again (the output's loudness shown as not measured yet).
    pub fn reset(&mut self) {
        self.out_loudness.reset();
        self.correlation.reset();
        for a in [
            &self.meters.momentary_lufs,
            &self.meters.short_term_lufs,
            &self.meters.integrated_lufs,
            &self.meters.loudness_range_lu,
            &self.meters.true_peak_dbtp,
        ] {
            a.store(f32::NAN, Ordering::Relaxed);
        }
    }

    /// Meters the output channels (the tap's second half, when the block carries them; the
    /// tap carries `channels` in all).
    pub fn monitor(&mut self, tap: &TapMonitor, channels: usize) {
        let n = self.channels;
        if channels < 2 * n {
            return;
        }
        if self.meters.reset_requested.swap(false, Ordering::AcqRel) {
            self.reset();
        }
        let out = tap.output();
        if out.len() < n {
            return;
        }
        self.out_loudness.process(&out);
        if n == 2 {
            self.correlation.process(out[0], out[1]);
        }
        let f = |v: Option<f64>| v.map_or(f32::NAN, |x| x as f32);
        let m = &self.meters;
        m.momentary_lufs
            .store(f(self.out_loudness.momentary_lufs()), Ordering::Relaxed);
        m.short_term_lufs
            .store(f(self.out_loudness.short_term_lufs()), Ordering::Relaxed);
        m.integrated_lufs
            .store(f(self.out_loudness.integrated_lufs()), Ordering::Relaxed);
        m.loudness_range_lu.store(
            self.out_loudness.loudness_range_lu() as f32,
            Ordering::Relaxed,
        );
        m.true_peak_dbtp
            .store(f(self.out_loudness.true_peak_dbtp()), Ordering::Relaxed);
        m.correlation.store(
            if n == 2 {
                self.correlation.correlation()
            } else {
                f32::NAN
            },
            Ordering::Relaxed,
        );
    }
}
