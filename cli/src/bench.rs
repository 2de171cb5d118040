//! `tandem bench`: the standard performance configurations, timed in-process.

/// Runs the benchmark and prints the table (or JSON).
pub fn run(_json: bool) -> Result<(), String> {
    Err("the benchmark is not built yet".into())
}
