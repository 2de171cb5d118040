//! Reference mode: the long-term spectrum of a reference track, loaded from a WAV file chosen in
//! the editor, turned into a tonal target and saved with the project (see
//! [`tandem_common::reference`]).

use dsp_core::assist::eq::EqAnalysis;
use dsp_core::assist::targets::Target;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tandem_common::reference::{display_name, read_wav_planar};

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

/// Reads a WAV file and derives its tonal target. Errors name the file and the problem in one
/// line.
pub fn load_reference(path: &Path) -> Result<Reference, String> {
    let (planar, rate) = read_wav_planar(path)?;
    let view: Vec<&[f32]> = planar.iter().map(|c| c.as_slice()).collect();
    let result =
        EqAnalysis::analyze(&view, rate as f32).map_err(|e| format!("{}: {e}", path.display()))?;
    if result.heard_seconds <= 0.0 {
        return Err(format!("{}: silent", path.display()));
    }
    let name = display_name(path);
    Ok(Reference {
        target: result.reference_target(&name),
        name,
    })
}
