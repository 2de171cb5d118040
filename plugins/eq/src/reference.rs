//! Reference mode: the long-term spectrum of a reference track, loaded from a WAV file chosen in
//! the editor, turned into a tonal target and saved with the project (see
//! [`tandem_common::reference`]).

use dsp_core::assistant::eq::{EqAnalysis, EqAnalysisConfig};
use dsp_core::assistant::targets::Target;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tandem_common::reference::{display_name, WavStream};

/// A loaded reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// File name shown in the editor.
    pub name: String,
    /// The tonal target derived from its spectrum.
    pub target: Target,
}

/// The EQ's reference slot.
pub type ReferenceSlot = tandem_common::reference::ReferenceSlot<Reference>;

/// Reads a WAV file chunk by chunk (memory stays bounded; `cancelled` is polled between
/// chunks) and derives its tonal target. Errors name the file and the problem in one line.
pub fn load_reference(path: &Path, cancelled: &dyn Fn() -> bool) -> Result<Reference, String> {
    let wav = WavStream::open(path)?;
    let mut analysis = EqAnalysis::new(EqAnalysisConfig::new(wav.sample_rate as f32, wav.channels))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    wav.for_each_chunk(cancelled, &mut |chunk| analysis.process(chunk))?;
    let result = analysis.result();
    if result.heard_seconds <= 0.0 {
        return Err(format!("{}: silent", path.display()));
    }
    let name = display_name(path);
    Ok(Reference {
        target: result.reference_target(&name),
        name,
    })
}
