//! Reference mode: a reference master's loudness and tonal balance, loaded from a WAV file
//! chosen in the editor and saved with the project (see [`tandem_common::reference`]).

use dsp_core::assistant::master::{MasterAnalysis, MasterReference};
use std::path::Path;
use tandem_common::reference::{display_name, WavStream};

/// The master's reference slot.
pub type ReferenceSlot = tandem_common::reference::ReferenceSlot<MasterReference>;

/// Reads a WAV file chunk by chunk (memory stays bounded; `cancelled` is polled between
/// chunks) and measures what the assistant matches: integrated loudness and tonal balance.
/// Errors name the file and the problem in one line.
pub fn load_reference(
    path: &Path,
    cancelled: &dyn Fn() -> bool,
) -> Result<MasterReference, String> {
    let wav = WavStream::open(path)?;
    let mut analysis = MasterAnalysis::new(wav.sample_rate as f32, wav.channels)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    wav.for_each_chunk(cancelled, &mut |chunk| analysis.process(chunk))?;
    MasterReference::from_analysis(&display_name(path), &analysis.result())
        .ok_or_else(|| format!("{}: silent", path.display()))
}
