//! The [`EqChain`]: the eight bands in series and the output gain, block by block; the
//! band-by-band path (see `fast` for the fast path).

use super::band::{BandRunner, Scratch};
use super::fast::Plan;
use super::*;
use crate::chains::params::ParamInfo;
use crate::chains::{in_blocks, Chain};

/// The Tandem EQ processor: 8 bands in series then the output gain, mono or stereo, zero
/// latency. Allocates only in [`EqChain::new`]; `process` never allocates, locks or panics and
/// never outputs NaN/Inf (non-finite input samples come out as 0).
#[derive(Debug, Clone)]
pub struct EqChain {
    pub(super) sample_rate_hz: f32,
    pub(super) channels: usize,
    pub(super) max_block_size: usize,
    pub(super) settings: EqSettings,
    pub(super) bands: [BandRunner; NUM_BANDS],
    pub(super) fade_len: u32,
    pub(super) out_gain: LinearSmoother,
    pub(super) scratch: Scratch,
    /// The stereo fast path's sections (see [`EqChain::process_block_fast`]).
    pub(super) bank: Box<StereoBank>,
    /// Where each band's sections are in the bank (first, one past the last), as
    /// [`Self::fill_bank`] last put them.
    pub(super) bank_at: [(usize, usize); NUM_BANDS],
    /// The fast path's plan of a stretch's control updates.
    pub(super) plan: Box<Plan>,
}

pub(super) fn fade_len_samples(sample_rate_hz: f32) -> u32 {
    ((BAND_FADE_MS * 1e-3 * sample_rate_hz).round() as u32).max(1)
}

impl EqChain {
    /// An EQ for `config` (1 or 2 channels) starting at `settings` without any fade.
    pub fn new(config: ProcessorConfig, settings: &EqSettings) -> Result<Self, ConfigError> {
        config.validate()?;
        if config.channels > 2 {
            return Err(ConfigError::Channels(config.channels));
        }
        let band_cfg = ProcessorConfig {
            channels: 2,
            ..config
        };
        let mut bands = Vec::with_capacity(NUM_BANDS);
        for b in &settings.bands {
            let spec = b.filter_spec();
            bands.push(BandRunner {
                cascade: FilterCascade::new(band_cfg, spec)?,
                spec,
                placement: b.placement,
                fade_pos: 0,
                fade_up: false,
                pending: None,
            });
        }
        let bands: [BandRunner; NUM_BANDS] = bands
            .try_into()
            .map_err(|_| ConfigError::Invalid("EQ band count"))?;
        let n = config.max_block_size;
        let mut chain = Self {
            sample_rate_hz: config.sample_rate,
            channels: config.channels,
            max_block_size: n,
            settings: *settings,
            bands,
            fade_len: fade_len_samples(config.sample_rate),
            out_gain: LinearSmoother::new(1.0, OUTPUT_GAIN_RAMP_MS, config.sample_rate),
            scratch: Scratch {
                dry_l: vec![0.0; n],
                dry_r: vec![0.0; n],
                mid: vec![0.0; n],
                side: vec![0.0; n],
            },
            bank: Box::new(StereoBank::new()),
            bank_at: [(0, 0); NUM_BANDS],
            plan: Plan::new(),
        };
        chain.set_settings_immediate(settings);
        Ok(chain)
    }

    /// Sets new settings, click-free: frequency, gain and Q glide (the filters module's
    /// [`FilterCascade`] glide), band on/off and type/slope/placement changes crossfade over
    /// [`BAND_FADE_MS`], the output gain ramps over [`OUTPUT_GAIN_RAMP_MS`]. Real-time safe.
    pub fn set_settings(&mut self, settings: &EqSettings) {
        self.settings = *settings;
        for (runner, band) in self.bands.iter_mut().zip(&settings.bands) {
            runner.update(band);
        }
        self.out_gain.set_target(crate::util::db_to_gain(clamp_or(
            settings.out_gain_db,
            -MAX_GAIN_DB,
            MAX_GAIN_DB,
            0.0,
        )));
    }

    /// Sets new settings at once, without glides or fades (presets, state loading, offline).
    pub fn set_settings_immediate(&mut self, settings: &EqSettings) {
        self.settings = *settings;
        for (runner, band) in self.bands.iter_mut().zip(&settings.bands) {
            runner.update_immediate(band, self.fade_len);
        }
        self.out_gain.reset(crate::util::db_to_gain(clamp_or(
            settings.out_gain_db,
            -MAX_GAIN_DB,
            MAX_GAIN_DB,
            0.0,
        )));
    }

    /// The settings last set.
    pub fn settings(&self) -> &EqSettings {
        &self.settings
    }

    /// The sample rate, in Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// The number of channels (1 or 2).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The magnitude response of the current settings at `freq_hz` (Hz), in dB, for `placement`
    /// at the running sample rate. See [`EqSettings::placement_magnitude_db`].
    pub fn magnitude_db(&self, placement: Placement, freq_hz: f64) -> f64 {
        self.settings
            .placement_magnitude_db(placement, freq_hz, self.sample_rate_hz as f64)
    }

    fn process_block(&mut self, l: &mut [f32], mut r: Option<&mut [f32]>) {
        let fast = match r.as_deref_mut() {
            Some(r) if r.len() == l.len() => self.process_block_fast(l, Some(r)),
            Some(_) => false,
            None => self.process_block_fast(l, None),
        };
        if !fast {
            for band in self.bands.iter_mut() {
                if band.is_idle() {
                    continue;
                }
                band.process(l, r.as_deref_mut(), &mut self.scratch, self.fade_len);
            }
        }
        if self.out_gain.is_smoothing() || self.out_gain.current() != 1.0 {
            for i in 0..l.len() {
                let g = self.out_gain.tick();
                l[i] *= g;
                if let Some(r) = r.as_deref_mut() {
                    r[i] *= g;
                }
            }
        }
        for x in l.iter_mut() {
            *x = crate::util::sanitize(*x);
        }
        if let Some(r) = r {
            for x in r.iter_mut() {
                *x = crate::util::sanitize(*x);
            }
        }
    }
}

impl Processor for EqChain {
    /// Re-derives every band for the new rate (bands jump to their settings, state cleared).
    /// Errors (and changes nothing) outside 8–768 kHz.
    fn set_sample_rate(&mut self, sample_rate: f32) -> Result<(), ConfigError> {
        validate_sample_rate(sample_rate)?;
        self.sample_rate_hz = sample_rate;
        self.fade_len = fade_len_samples(sample_rate);
        self.out_gain.set_ramp(OUTPUT_GAIN_RAMP_MS, sample_rate);
        for b in self.bands.iter_mut() {
            b.cascade.set_sample_rate(sample_rate)?;
        }
        let s = self.settings;
        self.set_settings_immediate(&s);
        self.reset();
        Ok(())
    }

    /// Clears all filter state and finishes every glide and fade.
    fn reset(&mut self) {
        for b in self.bands.iter_mut() {
            b.settle(self.fade_len);
        }
        let g = self.out_gain.target();
        self.out_gain.reset(g);
    }

    /// Processes 1 or 2 channels in place (more slices than configured channels: the extra ones
    /// are only sanitised). Blocks longer than the configured maximum are split internally.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let (configured, max_block) = (self.channels, self.max_block_size);
        let (nch, n) = in_blocks(channels, configured, max_block, |l, r| {
            self.process_block(l, r);
            true
        });
        for (i, buf) in channels.iter_mut().enumerate() {
            let from = if i < nch { n } else { 0 };
            for x in buf[from..].iter_mut() {
                *x = crate::util::sanitize(*x);
            }
        }
    }

    /// Always 0: minimum-phase biquads only.
    fn latency_samples(&self) -> usize {
        0
    }
}

impl Chain for EqChain {
    type Settings = EqSettings;
    fn params() -> &'static [ParamInfo] {
        &super::PARAMS
    }
    fn build(config: ProcessorConfig, settings: &EqSettings) -> Result<Self, ConfigError> {
        EqChain::new(config, settings)
    }
    fn apply(&mut self, settings: &EqSettings) {
        self.set_settings(settings);
    }
    fn apply_immediate(&mut self, settings: &EqSettings) {
        self.set_settings_immediate(settings);
    }
    fn process_keyed(&mut self, io: &mut [&mut [f32]], _key: Option<&[&[f32]]>) {
        self.process(io);
    }
    fn set_param_at(settings: &mut EqSettings, index: usize, value: f32) -> bool {
        settings.set_param_at(index, value)
    }
    fn param_at(settings: &EqSettings, index: usize) -> Option<f32> {
        settings.param_at(index)
    }
}
