//! The analyzer a plugin needs, written once over its assistant ([`Assistant`]): it feeds the
//! plugin's input to the assistant's analysis, the editor's spectra and the recent audio (for
//! level matching) through a [`TapMonitor`], and suggests again when what the engineer aims at
//! changes. A plugin brings only its [`AnalyzerSpec`]: what its settings aim the assistant at,
//! its suggest step, and anything it meters on the tap besides.

use super::assistant::Analyzer;
use super::monitor::TapMonitor;
use crate::audio::display::Display;
use dsp_core::assistant::{Assistant, Suggestion};
use dsp_core::chains::Chain;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What makes a plugin's analyzer its own: what its settings aim the assistant at, its suggest
/// step, and anything it meters on the tap besides the analysis.
pub trait AnalyzerSpec<A: Assistant>: Send + 'static {
    /// What the aim is, compared between suggestions: a change suggests again from what was
    /// heard (EQ: the target and the reference loaded; Comp: the style).
    type Key: PartialEq + Send + 'static;
    /// The aim of the engineer's (manual) parameter values.
    fn key(&self, manual: &BTreeMap<String, f32>) -> Self::Key;
    /// The suggestion for what was measured and the manual values (at least the assistant's
    /// `suggest` towards the aim; the plugin may add to the display, e.g. the target curve).
    fn suggest(
        &self,
        result: &A::Result,
        manual: &BTreeMap<String, f32>,
        current: &<A::Chain as Chain>::Settings,
        options: &A::Options,
        display: &Display,
    ) -> Suggestion;
    /// Sees every block after the tap has deinterleaved it (inputs, then outputs when
    /// `channels` holds both), learning or not: the Master's output meters. The default does
    /// nothing.
    fn monitor(&mut self, _tap: &TapMonitor, _channels: usize) {}
    /// Forgets what [`monitor`](Self::monitor) measured (the learn control). The default does
    /// nothing.
    fn restart(&mut self) {}
}

/// An [`Analyzer`] over assistant `A`, made the plugin's own by `M`.
pub struct AssistantAnalyzer<A: Assistant, M: AnalyzerSpec<A>> {
    analysis: A::Analysis,
    tap: TapMonitor,
    spec: M,
    /// The aim the last suggestion was built for.
    suggested_for: Option<M::Key>,
    options: A::Options,
}

impl<A: Assistant, M: AnalyzerSpec<A>> AssistantAnalyzer<A, M> {
    /// An analyzer for a plugin running `channels` (1 or 2) at `sample_rate` (Hz). The tap it
    /// reads carries the input channels followed by the output channels.
    pub fn new(
        sample_rate: f32,
        channels: usize,
        display: Arc<Display>,
        spec: M,
    ) -> Result<Self, dsp_core::ConfigError> {
        let channels = channels.clamp(1, 2);
        Ok(Self {
            analysis: A::live(sample_rate, channels)?,
            tap: TapMonitor::new(sample_rate, channels, display)?,
            spec,
            suggested_for: None,
            options: A::Options::default(),
        })
    }

    /// What the assistant's analysis has heard so far.
    pub fn analysis(&self) -> &A::Analysis {
        &self.analysis
    }
}

impl<A, M> Analyzer for AssistantAnalyzer<A, M>
where
    A: Assistant + 'static,
    A::Options: Send,
    M: AnalyzerSpec<A>,
{
    fn restart(&mut self) {
        A::reset(&mut self.analysis);
        self.suggested_for = None;
        self.spec.restart();
    }

    fn feed(&mut self, interleaved: &[f32], channels: usize) {
        self.tap.deinterleave(interleaved, channels);
        A::process(&mut self.analysis, &self.tap.input());
    }

    fn monitor(&mut self, interleaved: &[f32], channels: usize) {
        self.tap.monitor(interleaved, channels);
        self.spec.monitor(&self.tap, channels);
    }

    fn heard_seconds(&self) -> f32 {
        A::heard_seconds(&self.analysis)
    }

    fn is_stable(&self) -> bool {
        A::is_stable(&self.analysis)
    }

    fn wants_resuggest(&self, manual: &BTreeMap<String, f32>) -> bool {
        let key = self.spec.key(manual);
        self.suggested_for.as_ref().is_some_and(|k| *k != key)
    }

    fn suggest(&mut self, manual: &BTreeMap<String, f32>) -> Option<Suggestion> {
        self.suggested_for = Some(self.spec.key(manual));
        let result = A::result(&self.analysis);
        let current = A::Chain::from_param_map(manual);
        let display = self.tap.display();
        Some(
            self.spec
                .suggest(&result, manual, &current, &self.options, display),
        )
    }

    fn level_offset_lu(
        &mut self,
        manual: &BTreeMap<String, f32>,
        suggested: &BTreeMap<String, f32>,
    ) -> Option<f32> {
        self.tap.level_offset_lu::<A::Chain>(manual, suggested)
    }
}
