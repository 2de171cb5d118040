//! The audio-thread side of Tandem EQ without the plugin framework: the EQ chain driven by the
//! manual or the suggested settings, the level-matched compare switch, and the tap feeding the
//! analysis thread. The plugin's `process()` is a thin layer over [`EqEngine::process`], so tests
//! run exactly what hosts run.

use dsp_core::assist::accept::scale;
use dsp_core::chains::eq::{neutral_value, EqChain, EqSettings};
use dsp_core::{ConfigError, Processor, ProcessorConfig};
use tandem_common::compare::{Compare, CompareState};
use tandem_common::runtime::AssistRuntime;
use tandem_common::store::SuggestionStore;

/// What drives one block besides the audio.
pub struct BlockControls<'a> {
    /// The host-visible (manual) settings.
    pub manual: &'a EqSettings,
    /// The compare switch as automated.
    pub compare: Compare,
    /// Amount 0–1 scaling the suggestion.
    pub amount: f32,
    /// Level matching on/off.
    pub match_levels: bool,
}

/// The EQ's audio engine.
pub struct EqEngine {
    chain: EqChain,
    compare: CompareState,
    played: EqSettings,
    channels: usize,
    max_block: usize,
    dry: [Vec<f32>; 2],
}

/// The suggested settings: `manual` with every value the suggestion holds, scaled by `amount`.
/// Real-time safe (no allocation).
pub fn suggested_settings(
    manual: &EqSettings,
    store: &SuggestionStore,
    amount: f32,
    out: &mut EqSettings,
) {
    *out = *manual;
    for (i, id) in store.ids().iter().enumerate() {
        let v = store.value(i);
        if v.is_finite() {
            out.set_param(id, scale(v, neutral_value(id), amount));
        }
    }
}

impl EqEngine {
    /// An engine for `channels` (1 or 2) at `sample_rate` (Hz) for blocks up to `max_block`,
    /// starting on `manual` without glides.
    pub fn new(
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        manual: &EqSettings,
    ) -> Result<Self, ConfigError> {
        let config = ProcessorConfig::new(sample_rate, max_block.max(1), channels)?;
        Ok(Self {
            chain: EqChain::new(config, manual)?,
            compare: CompareState::new(sample_rate),
            played: *manual,
            channels,
            max_block: max_block.max(1),
            dry: [vec![0.0; max_block.max(1)], vec![0.0; max_block.max(1)]],
        })
    }

    /// Jumps to `manual` (state loaded, reset): no glide, filters cleared, Manual playing.
    pub fn reset(&mut self, manual: &EqSettings) {
        self.chain.set_settings_immediate(manual);
        self.chain.reset();
        self.compare.reset(Compare::Manual, 1.0);
        self.played = *manual;
    }

    /// The settings that played in the last block.
    pub fn played(&self) -> &EqSettings {
        &self.played
    }

    /// The set that played in the last block.
    pub fn active(&self) -> Compare {
        self.compare.active()
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
            for (c, ch) in io[..nch].iter().enumerate() {
                self.dry[c][..n].copy_from_slice(&ch[start..start + n]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use atomic_float::AtomicF32;
    use dsp_core::assist::Suggestion;
    use dsp_core::chains::eq::{EqBandType, Placement};
    use dsp_core::testsignals::pink_noise;

    fn manual() -> EqSettings {
        let mut s = EqSettings::default();
        s.bands[1].enabled = true;
        s.bands[1].kind = EqBandType::Bell;
        s.bands[1].freq_hz = 300.0;
        s.bands[1].gain_db = 4.0;
        s.bands[1].q = 1.2;
        s.bands[5].enabled = true;
        s.bands[5].kind = EqBandType::HighShelf;
        s.bands[5].gain_db = -3.0;
        s.bands[5].placement = Placement::Side;
        s.output_gain_db = -1.5;
        s
    }

    fn store_with_suggestion() -> SuggestionStore {
        let store = SuggestionStore::new(crate::assistable_ids());
        let mut s = Suggestion::empty("eq", "Balanced");
        s.values.insert("b3_on".into(), 1.0);
        s.values.insert("b3_freq".into(), 2000.0);
        s.values.insert("b3_gain".into(), 6.0);
        store.set_suggestion(Some(s)).unwrap();
        store
    }

    #[test]
    fn manual_is_bit_exact_with_the_chain_even_with_a_suggestion_and_offset() {
        let sr = 48_000.0;
        let input = [pink_noise(20_000, 0.2, 1), pink_noise(20_000, 0.2, 2)];
        let m = manual();
        let store = store_with_suggestion();
        let offset = AtomicF32::new(3.0);
        let mut engine = EqEngine::new(sr, 512, 2, &m).unwrap();
        let mut reference = EqChain::new(ProcessorConfig::new(sr, 512, 2).unwrap(), &m).unwrap();
        let mut a = input.clone();
        let mut b = input.clone();
        // Odd block sizes, including 1.
        let mut pos = 0;
        for (k, n) in [1usize, 7, 511, 512, 1000, 3].iter().cycle().enumerate() {
            if pos >= a[0].len() || k > 200 {
                break;
            }
            let n = (*n).min(a[0].len() - pos);
            let (l, r) = a.split_at_mut(1);
            let mut io = [&mut l[0][pos..pos + n], &mut r[0][pos..pos + n]];
            let controls = BlockControls {
                manual: &m,
                compare: Compare::Manual,
                amount: 1.0,
                match_levels: true,
            };
            engine.process(&mut io, &controls, &store, &offset, None);
            let (l, r) = b.split_at_mut(1);
            reference.process(&mut [&mut l[0][pos..pos + n], &mut r[0][pos..pos + n]]);
            pos += n;
        }
        assert_eq!(a[0][..pos], b[0][..pos]);
        assert_eq!(a[1][..pos], b[1][..pos]);
    }

    #[test]
    fn switching_to_suggested_is_click_free_and_plays_the_suggestion() {
        let sr = 48_000.0;
        let m = EqSettings::default();
        let store = store_with_suggestion();
        let offset = AtomicF32::new(f32::NAN);
        let mut engine = EqEngine::new(sr, 256, 1, &m).unwrap();
        // A 2 kHz sine at −20 dBFS: Suggested lifts it by 6 dB.
        let sine = dsp_core::testsignals::sine(sr as usize, 2000.0, 0.1, sr as f64);
        let mut out = sine.clone();
        let mut pos = 0;
        while pos < out.len() {
            let n = 256.min(out.len() - pos);
            let compare = if pos >= 12_000 {
                Compare::Suggested
            } else {
                Compare::Manual
            };
            let controls = BlockControls {
                manual: &m,
                compare,
                amount: 1.0,
                match_levels: false,
            };
            engine.process(
                &mut [&mut out[pos..pos + n]],
                &controls,
                &store,
                &offset,
                None,
            );
            pos += n;
        }
        // Before the switch: unity. Long after: +6 dB. In between: no step bigger than the
        // sine's own largest step times the final gain (a click would exceed it).
        let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak(&out[6_000..12_000]) - 0.1).abs() < 1e-3);
        let after = peak(&out[30_000..]);
        assert!(
            (dsp_core::util::gain_to_db(after / 0.1) - 6.0).abs() < 0.1,
            "{after}"
        );
        let max_step_in = sine
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        let max_step_out = out
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
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
        let mut engine = EqEngine::new(44_100.0, 64, 2, &m).unwrap();
        let mut l = vec![
            f32::NAN,
            f32::INFINITY,
            -f32::INFINITY,
            1e30,
            0.5,
            1.0,
            -1.0,
        ];
        let mut r = l.clone();
        for compare in [Compare::Manual, Compare::Suggested] {
            let controls = BlockControls {
                manual: &m,
                compare,
                amount: 0.5,
                match_levels: true,
            };
            engine.process(&mut [&mut l, &mut r], &controls, &store, &offset, None);
            assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        }
    }
}
