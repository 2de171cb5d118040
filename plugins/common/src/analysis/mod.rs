//! The analysis side: each instance's listening task (drains the tap, feeds the analyzer,
//! publishes suggestions and the level offset), the shared pool it runs on, the recent audio the
//! level match renders and the level-match measurement. Stands on
//! [`crate::audio`]; never on the editor.

pub mod assistant;
pub mod generic;
pub mod monitor;
pub mod recent;
pub mod runtime;
pub mod scheduler;
