//! Whole-plugin test harness for Tandem.
//!
//! - [`ardour`]: Ardour 7 headless (its VST3 scanner, a sandbox for its caches).
//! - [`clap_host`]: a small CLAP host that loads the bundles from `target/bundled/` and drives
//!   instances (parameters, processing, latency, state, lifecycle).
//! - [`signals`]: test signals and measurements.
//! - [`checks`]: shared assertions and random parameter automation.
//! - [`xvfb`]: a private X server for the tests that open editors.
//! - [`image`]: screenshots as data (drawn regions, changes between two screenshots).
//!
//! The integration tests live in `tests/clap_*.rs`. Build the bundles first:
//! `cargo xtask bundle-all && cargo test -p tests`.

pub mod ardour;
pub mod checks;
pub mod clap_host;
pub mod image;
pub mod signals;
pub mod xvfb;
