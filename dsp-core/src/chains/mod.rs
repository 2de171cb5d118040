//! Complete processing chains shared by the plugins, the `tandem` CLI and the tests.
//!
//! - [`eq`]: the Tandem EQ — eight zero-latency bands (bell, shelves, cuts, notch, band pass,
//!   tilt) with stereo / mid / side / left / right placement, its persisted [`eq::EqSettings`],
//!   the stable parameter-ID scheme and the analytic response the GUI draws.

pub mod comp;
pub mod eq;
pub mod master;
