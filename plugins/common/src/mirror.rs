//! The plugins' parameter enums mirror `dsp-core`'s enums index for index (the host stores the
//! index; the chain and the assistants read it back through `from_value`). Each mirror is
//! pinned by a test in its plugin's `params.rs` with [`assert_mirrors`], so reordering or adding
//! a variant on one side only fails a test instead of silently swapping, say, a bell for a
//! shelf in saved projects.

use nice_plug::prelude::Enum;
use std::fmt::Debug;

/// Checks that the plugin enum `E` has exactly the variants `dsp` lists, in the same order, by
/// variant name (`Debug`); `what` names the pair in the failure message.
pub fn assert_mirrors<E: Enum + Debug, D: Debug>(what: &str, dsp: &[D]) {
    let core: Vec<String> = dsp.iter().map(|d| format!("{d:?}")).collect();
    assert_mirrors_names::<E>(what, &core);
}

/// [`assert_mirrors`] against variant names (for a menu that is a dsp-core list plus entries
/// of the plugin's own).
pub fn assert_mirrors_names<E: Enum + Debug>(what: &str, core: &[String]) {
    let plugin: Vec<String> = (0..E::variants().len())
        .map(|i| format!("{:?}", E::from_index(i)))
        .collect();
    assert_eq!(
        plugin, core,
        "{what}: the plugin enum and dsp-core's differ"
    );
    for i in 0..plugin.len() {
        assert_eq!(
            E::from_index(i).to_index(),
            i,
            "{what}: index {i} does not round-trip"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
    enum Two {
        A,
        B,
    }

    #[derive(Debug)]
    enum Core {
        A,
        B,
    }

    /// The check passes on a mirror and fails on a swap or a missing variant.
    #[test]
    fn a_swapped_or_missing_variant_fails() {
        assert_mirrors::<Two, _>("same", &[Core::A, Core::B]);
        let swapped =
            std::panic::catch_unwind(|| assert_mirrors::<Two, _>("x", &[Core::B, Core::A]));
        assert!(swapped.is_err());
        let missing = std::panic::catch_unwind(|| assert_mirrors::<Two, _>("x", &[Core::A]));
        assert!(missing.is_err());
    }
}
