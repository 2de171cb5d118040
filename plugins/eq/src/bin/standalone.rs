//! Runs the plugin as a standalone application (nice-plug's standalone wrapper), so the editor
//! can be opened without a DAW: `cargo run -p tandem-eq --features standalone --bin tandem-eq-standalone -- --backend dummy`.

fn main() {
    nice_plug::prelude::nice_export_standalone::<tandem_eq::TandemEq>();
}
