//! nice-plug's parameter hashes and state format, read and written.

/// nice-plug's CLAP/VST3 parameter ID for a string parameter ID (a 31-bit `*31` string hash;
/// mirrors `nice_plug::wrapper::util::hash_param_id`).
pub fn nice_plug_param_hash(id: &str) -> u32 {
    let mut hash: u32 = 0;
    for byte in id.bytes() {
        hash = hash.wrapping_mul(31).wrapping_add(u32::from(byte));
    }
    hash & !(1 << 31)
}

/// Parses a nice-plug CLAP state blob: an 8-byte little-endian length followed by that many
/// bytes of JSON (`{"version": ..., "params": {id: value}, "fields": {...}}`). `None` if the
/// blob is not in that format.
pub fn parse_nice_plug_state(bytes: &[u8]) -> Option<serde_json::Value> {
    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let json = bytes.get(8..8usize.checked_add(len)?)?;
    serde_json::from_slice(json).ok()
}

/// Builds a nice-plug CLAP state blob from a JSON value (the inverse of
/// [`parse_nice_plug_state`]), for crafting foreign or edited states.
pub fn make_nice_plug_state(state: &serde_json::Value) -> Vec<u8> {
    let json = serde_json::to_vec(state).expect("JSON serializes");
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&json);
    bytes
}
