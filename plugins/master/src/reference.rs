//! Reference mode: a reference master's loudness and tonal balance, loaded from a WAV file
//! chosen in the editor and saved with the project (see [`tandem_common::reference`]).

use dsp_core::assist::master::{MasterAnalysis, MasterReference};
use std::path::Path;
use tandem_common::reference::{display_name, read_wav_planar};

/// The master's reference slot.
pub type ReferenceSlot = tandem_common::reference::ReferenceSlot<MasterReference>;

/// Reads a WAV file and measures what the assistant matches: integrated loudness and tonal
/// balance. Errors name the file and the problem in one line.
pub fn load_reference(path: &Path) -> Result<MasterReference, String> {
    let (planar, rate) = read_wav_planar(path)?;
    let view: Vec<&[f32]> = planar.iter().map(|c| c.as_slice()).collect();
    let analysis = MasterAnalysis::analyze(&view, rate as f32)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    MasterReference::from_analysis(&display_name(path), &analysis)
        .ok_or_else(|| format!("{}: silent", path.display()))
}
