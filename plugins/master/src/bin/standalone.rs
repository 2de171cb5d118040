//! Runs the plugin as a standalone application (nice-plug's standalone wrapper), so the editor
//! can be opened without a DAW: `cargo run -p tandem-master --features standalone --bin tandem-master-standalone -- --backend dummy`.

fn main() {
    nice_plug::prelude::nice_export_standalone::<tandem_master::TandemMaster>();
}
