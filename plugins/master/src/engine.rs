//! The audio-thread side of Tandem Master without the plugin framework: the mastering chain
//! driven by the manual or the suggested settings, the level-matched compare switch, and the
//! tap feeding the analysis thread. The plugin's `process()` is a thin layer over
//! [`MasterEngine::process`], so tests run exactly what hosts run.
//!
//! The compare trim only ever turns the louder set down (see
//! [`tandem_common::compare::match_trims_db`]), so it can never push the output over the
//! limiter's ceiling. The latency is the chain's, constant whatever plays.

use dsp_core::assist::accept::scale;
use dsp_core::chains::master::{neutral_value, MasterChain, MasterSettings};
use dsp_core::{ConfigError, Processor, ProcessorConfig};
use tandem_common::compare::{Compare, CompareState};
use tandem_common::runtime::AssistRuntime;
use tandem_common::store::SuggestionStore;

/// What drives one block besides the audio.
pub struct BlockControls<'a> {
    /// The host-visible (manual) settings.
    pub manual: &'a MasterSettings,
    /// The compare switch as automated.
    pub compare: Compare,
    /// Amount 0–1 scaling the suggestion.
    pub amount: f32,
    /// Level matching on/off.
    pub match_levels: bool,
}

/// The suggested settings: `manual` with every value the suggestion holds, scaled by `amount`
/// towards the parameter's neutral value. Real-time safe (no allocation).
pub fn suggested_settings(
    manual: &MasterSettings,
    store: &SuggestionStore,
    amount: f32,
    out: &mut MasterSettings,
) {
    *out = *manual;
    for (i, id) in store.ids().iter().enumerate() {
        let v = store.value(i);
        if v.is_finite() {
            out.set_param(id, scale(v, neutral_value(id), amount));
        }
    }
}

/// Tandem Master's audio engine.
pub struct MasterEngine {
    chain: MasterChain,
    compare: CompareState,
    played: MasterSettings,
    channels: usize,
    max_block: usize,
    dry: [Vec<f32>; 2],
}

impl MasterEngine {
    /// An engine for `channels` (1 or 2) at `sample_rate` (Hz) for blocks up to `max_block`,
    /// starting on `manual` without ramps.
    pub fn new(
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        manual: &MasterSettings,
    ) -> Result<Self, ConfigError> {
        let max_block = max_block.max(1);
        let config = ProcessorConfig::new(sample_rate, max_block, channels)?;
        Ok(Self {
            chain: MasterChain::new(config, manual)?,
            compare: CompareState::new(sample_rate),
            played: *manual,
            channels,
            max_block,
            dry: [vec![0.0; max_block], vec![0.0; max_block]],
        })
    }

    /// The constant latency in samples (the same in both compare states and for every setting).
    pub fn latency_samples(&self) -> usize {
        self.chain.latency_samples()
    }

    /// Jumps to `manual` (state loaded, reset): no ramps, state cleared, Manual playing.
    pub fn reset(&mut self, manual: &MasterSettings) {
        self.chain.set_settings_immediate(manual);
        self.chain.reset();
        self.compare.reset(Compare::Manual, 1.0);
        self.played = *manual;
    }

    /// The settings that played in the last block.
    pub fn played(&self) -> &MasterSettings {
        &self.played
    }

    /// The set that played in the last block.
    pub fn active(&self) -> Compare {
        self.compare.active()
    }

    /// The glue compressor's current gain reduction, dB (≥ 0).
    pub fn glue_gain_reduction_db(&self) -> f32 {
        self.chain.glue_gain_reduction_db()
    }

    /// The limiter's current gain reduction, dB (≥ 0).
    pub fn limiter_gain_reduction_db(&self) -> f32 {
        self.chain.limiter_gain_reduction_db()
    }

    /// Processes one block in place. `offset_lu` is the measured suggested-minus-manual
    /// loudness; `tap`, when given, receives the input and output for the analysis thread.
    /// Real-time safe.
    pub fn process(
        &mut self,
        io: &mut [&mut [f32]],
        controls: &BlockControls<'_>,
        store: &SuggestionStore,
        offset_lu: &atomic_float::AtomicF32,
        tap: Option<&mut AssistRuntime>,
    ) {
        let active = self.compare.begin_block(
            controls.compare,
            store.has_suggestion(),
            offset_lu,
            controls.match_levels,
        );
        match active {
            Compare::Manual => self.played = *controls.manual,
            Compare::Suggested => {
                let mut s = *controls.manual;
                suggested_settings(controls.manual, store, controls.amount, &mut s);
                self.played = s;
            }
        }
        self.chain.set_settings(&self.played);
        let nch = io.len().min(self.channels);
        let len = io[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        let mut tap = tap;
        while start < len {
            let n = (len - start).min(self.max_block);
            if tap.is_some() {
                for (c, ch) in io[..nch].iter().enumerate() {
                    self.dry[c][..n].copy_from_slice(&ch[start..start + n]);
                }
            }
            {
                let mut parts: [&mut [f32]; 2] = [&mut [], &mut []];
                for (p, ch) in parts.iter_mut().zip(io[..nch].iter_mut()) {
                    *p = &mut ch[start..start + n];
                }
                self.chain.process(&mut parts[..nch]);
                self.compare.apply_trim(&mut parts[..nch]);
            }
            if let Some(t) = tap.as_deref_mut() {
                let mut view: [&[f32]; 4] = [&[]; 4];
                for c in 0..nch {
                    view[c] = &self.dry[c][..n];
                    view[nch + c] = &io[c][start..start + n];
                }
                t.push(&view[..2 * nch]);
            }
            start += n;
        }
    }
}

/// Runs whole planar channels through `engine` in blocks of the given sizes (cycled), with
/// fixed controls. For tests and offline checks.
pub fn run_blocks(
    engine: &mut MasterEngine,
    audio: &mut [Vec<f32>],
    sizes: &[usize],
    controls: &BlockControls<'_>,
    store: &SuggestionStore,
    offset_lu: &atomic_float::AtomicF32,
) {
    let len = audio.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut pos = 0;
    for &n in sizes.iter().cycle() {
        if pos >= len {
            break;
        }
        let n = n.max(1).min(len - pos);
        let mut io: Vec<&mut [f32]> = audio.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        engine.process(&mut io, controls, store, offset_lu, None);
        pos += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atomic_float::AtomicF32;
    use dsp_core::assist::Suggestion;
    use dsp_core::chains::eq::Placement;
    use dsp_core::testsignals::{pink_noise, white_noise};
    use dsp_core::util::gain_to_db;

    fn manual() -> MasterSettings {
        MasterSettings {
            in_gain_db: 2.0,
            ls_gain_db: 1.5,
            bell1_gain_db: -2.0,
            bell1_place: Placement::Mid,
            glue_on: true,
            glue_threshold_db: -24.0,
            width_pct: 120.0,
            mono_below_hz: 90.0,
            lim_drive_db: 4.0,
            lim_ceiling_dbtp: -1.0,
            ..Default::default()
        }
    }

    fn store_with_suggestion() -> SuggestionStore {
        let store = SuggestionStore::new(crate::assistable_ids());
        let mut s = Suggestion::empty("master", "Spotify");
        s.values.insert("lim_drive".into(), 9.0);
        s.values.insert("hs_gain".into(), 2.0);
        s.values.insert("glue_on".into(), 1.0);
        store.set_suggestion(Some(s)).unwrap();
        store
    }

    fn controls(m: &MasterSettings, compare: Compare, match_levels: bool) -> BlockControls<'_> {
        BlockControls {
            manual: m,
            compare,
            amount: 1.0,
            match_levels,
        }
    }

    #[test]
    fn manual_is_bit_exact_with_the_chain_even_with_a_suggestion_and_offset() {
        let sr = 48_000.0;
        let input = vec![pink_noise(30_000, 0.3, 1), pink_noise(30_000, 0.3, 2)];
        let m = manual();
        let store = store_with_suggestion();
        let offset = AtomicF32::new(3.0);
        let mut engine = MasterEngine::new(sr, 512, 2, &m).unwrap();
        let mut reference =
            MasterChain::new(ProcessorConfig::new(sr, 512, 2).unwrap(), &m).unwrap();
        let mut a = input.clone();
        let mut b = input.clone();
        let sizes = [1usize, 7, 511, 512, 1000, 3];
        run_blocks(
            &mut engine,
            &mut a,
            &sizes,
            &controls(&m, Compare::Manual, true),
            &store,
            &offset,
        );
        // The bare chain, in blocks no longer than its maximum.
        let mut pos = 0;
        for &n in sizes.iter().cycle() {
            if pos >= b[0].len() {
                break;
            }
            let n = n.min(b[0].len() - pos);
            let mut start = pos;
            while start < pos + n {
                let k = (pos + n - start).min(512);
                let (l, r) = b.split_at_mut(1);
                reference.process(&mut [&mut l[0][start..start + k], &mut r[0][start..start + k]]);
                start += k;
            }
            pos += n;
        }
        assert!(a[0].iter().any(|x| *x != 0.0));
        assert_eq!(a[0], b[0]);
        assert_eq!(a[1], b[1]);
        assert_eq!(engine.active(), Compare::Manual);
    }

    #[test]
    fn switching_to_suggested_is_click_free_and_plays_the_suggestion() {
        let sr = 48_000.0;
        let m = MasterSettings::default();
        let store = SuggestionStore::new(crate::assistable_ids());
        let mut s = Suggestion::empty("master", "Spotify");
        s.values.insert("in_gain".into(), 6.0);
        store.set_suggestion(Some(s)).unwrap();
        let offset = AtomicF32::new(f32::NAN);
        let mut engine = MasterEngine::new(sr, 256, 1, &m).unwrap();
        let lat = engine.latency_samples();
        // A 1 kHz sine at −20 dBFS: Suggested lifts it by 6 dB (no limiting at −14 dBFS).
        let sine = dsp_core::testsignals::sine(sr as usize, 1000.0, 0.1, sr as f64);
        let mut out = sine.clone();
        let mut pos = 0;
        while pos < out.len() {
            let n = 256.min(out.len() - pos);
            let compare = if pos >= 12_000 {
                Compare::Suggested
            } else {
                Compare::Manual
            };
            engine.process(
                &mut [&mut out[pos..pos + n]],
                &controls(&m, compare, false),
                &store,
                &offset,
                None,
            );
            pos += n;
        }
        let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak(&out[lat + 4_000..12_000]) - 0.1).abs() < 2e-3);
        let after = peak(&out[30_000..]);
        assert!((gain_to_db(after / 0.1) - 6.0).abs() < 0.1, "{after}");
        let step = |s: &[f32]| {
            s.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max)
        };
        let max_step_in = step(&sine);
        let max_step_out = step(&out[lat + 100..]);
        assert!(
            max_step_out <= max_step_in * 2.0 * 1.05,
            "{max_step_out} {max_step_in}"
        );
        assert_eq!(engine.active(), Compare::Suggested);
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let m = manual();
        let store = store_with_suggestion();
        let offset = AtomicF32::new(2.0);
        let mut engine = MasterEngine::new(44_100.0, 64, 2, &m).unwrap();
        for compare in [Compare::Manual, Compare::Suggested, Compare::Manual] {
            let mut l = vec![
                f32::NAN,
                f32::INFINITY,
                -f32::INFINITY,
                1e30,
                0.5,
                1.0,
                -1.0,
                1e-40,
            ];
            l.extend(white_noise(500, 1.0, 3));
            let mut r = l.clone();
            r.reverse();
            engine.process(
                &mut [&mut l, &mut r],
                &controls(&m, compare, true),
                &store,
                &offset,
                None,
            );
            assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        }
    }

    #[test]
    fn output_true_peak_stays_under_the_ceiling_with_heavy_drive() {
        let sr = 48_000.0;
        let n = 3 * sr as usize;
        for ceiling in [-1.0f32, -0.1] {
            let m = MasterSettings {
                lim_drive_db: 20.0,
                lim_ceiling_dbtp: ceiling,
                ..Default::default()
            };
            let store = store_with_suggestion();
            let offset = AtomicF32::new(-4.0);
            let mut engine = MasterEngine::new(sr, 480, 2, &m).unwrap();
            let mut audio = vec![white_noise(n, 1.0, 5), white_noise(n, 1.0, 6)];
            for compare in [Compare::Manual, Compare::Suggested] {
                run_blocks(
                    &mut engine,
                    &mut audio,
                    &[480, 17, 1, 333],
                    &controls(&m, compare, true),
                    &store,
                    &offset,
                );
                let view: Vec<&[f32]> = audio.iter().map(|c| c.as_slice()).collect();
                let tp = dsp_core::loudness::measure(&view, sr)
                    .unwrap()
                    .true_peak_dbtp
                    .unwrap();
                assert!(
                    tp <= ceiling as f64 + 1e-3,
                    "{compare:?} ceiling {ceiling}: true peak {tp}"
                );
                assert!(tp > ceiling as f64 - 3.0, "limiter output too low: {tp}");
                audio = vec![white_noise(n, 1.0, 7), white_noise(n, 1.0, 8)];
            }
        }
    }
}
