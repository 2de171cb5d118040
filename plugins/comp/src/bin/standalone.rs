//! Runs the plugin as a standalone application (nice-plug's standalone wrapper), so the editor
//! can be opened without a DAW: `cargo run -p tandem-comp --features standalone --bin tandem-comp-standalone -- --backend dummy`.

fn main() {
    nice_plug::prelude::nice_export_standalone::<tandem_comp::TandemComp>();
}
