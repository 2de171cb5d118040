//! `tandem response`: the frequency response of EQ or Master settings given with `--set`.

use super::shared::{parse_sets, to_json};
use crate::engines::{Kind, Settings};
use crate::{Cli, Failure};
use serde::Serialize;

pub(super) fn run(
    cli: &Cli,
    kind: Kind,
    set: &[String],
    rate: u32,
    points: usize,
) -> Result<(), Failure> {
    if !(8_000..=768_000).contains(&rate) {
        return Err(Failure::Usage(format!(
            "--rate {rate}: must be 8000–768000 Hz"
        )));
    }
    if !(2..=10_000).contains(&points) {
        return Err(Failure::Usage(format!(
            "--points {points}: must be 2–10000"
        )));
    }
    let mut settings = Settings::default_for(kind);
    for (id, v) in parse_sets(set, kind)? {
        settings
            .set(&id, v)
            .map_err(|e| Failure::Usage(format!("--set {e}")))?;
    }
    let (eq, _) = settings.tone_eq().ok_or_else(|| {
        Failure::Usage("response: only eq and master have a frequency response".into())
    })?;
    let sr = rate as f64;
    let curve: Vec<(f64, f64)> = (0..points)
        .map(|k| {
            let f = 20.0 * ((0.45 * sr) / 20.0).powf(k as f64 / (points - 1) as f64);
            (f, eq.magnitude_db(f, sr))
        })
        .collect();
    if cli.json {
        #[derive(Serialize)]
        struct Point {
            hz: f64,
            db: f64,
        }
        let pts: Vec<Point> = curve
            .iter()
            .map(|(hz, db)| Point { hz: *hz, db: *db })
            .collect();
        println!("{}", to_json(&pts)?);
    } else if !cli.quiet {
        for (f, d) in curve {
            println!("{f:10.1} Hz  {d:+8.3} dB");
        }
    }
    Ok(())
}
