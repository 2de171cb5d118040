//! Plugin-side machinery shared by the three Tandem plugins, layered by thread:
//!
//! - [`audio`]: what `process()` runs and shares (the engine around a `dsp-core` chain, the
//!   Manual/Suggested compare switch with level matching, the suggestion store, the display
//!   atomics, the state shared with the analysis thread and the editor);
//! - [`analysis`]: the listening tasks on their shared pool, the level-match measurement and the
//!   recent audio — on top of `audio`;
//! - [`gui`]: the egui editor shell and widgets — on top of `audio`, never of `analysis`;
//! - [`plugin`]: the plugin written once over a small per-plugin spec, which ties the three;
//! - [`params`]: the host parameters as the shared machinery reads them;
//! - [`reference`]: the persisted reference-track slot and its background loader, which the
//!   analyzers read and the editors fill.
//!
//! Nothing here does DSP: the processors and the suggestion engines live in `dsp-core`.
//!
//! [`reference`]: mod@reference

pub mod analysis;
pub mod audio;
pub mod gui;
pub mod identity;
pub mod mirror;
pub mod params;
pub mod plugin;
pub mod reference;

pub use dsp_core::assistant::{Suggestion, SuggestionItem};

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `crate::…` path in the `.rs` files below `dir`.
    fn crate_paths(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(crate_paths(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices("crate::") {
                    let rest = &text[i + "crate::".len()..];
                    let module: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push((path.display().to_string(), module));
                }
            }
        }
        out
    }

    /// The layers by thread: `audio` uses none of the others, `analysis` and `gui` stand on
    /// `audio` (and the shared `params` and `reference`) and never on each other, and none of
    /// them on the plugin that ties them.
    #[test]
    fn analysis_and_gui_stand_on_audio_and_never_on_each_other() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let rules = [
            (
                "audio",
                &["analysis", "gui", "plugin", "params", "reference"][..],
            ),
            ("analysis", &["gui", "plugin"][..]),
            ("gui", &["analysis", "plugin"][..]),
        ];
        let mut found = Vec::new();
        for (layer, forbidden) in rules {
            let paths = crate_paths(&src.join(layer));
            assert!(
                !paths.is_empty() || layer == "audio",
                "{layer}: no crate paths read"
            );
            for (file, module) in paths {
                if forbidden.contains(&module.as_str()) {
                    found.push(format!("{file} uses crate::{module}"));
                }
            }
        }
        assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
    }
}
