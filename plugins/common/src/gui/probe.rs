//! The editor probe, for tests that drive a live editor from outside (clicks with `xdotool`
//! under Xvfb): with `TANDEM_EDITOR_PROBE=<file>` in the environment, the editor writes a small
//! JSON file there about five times a second (atomically: a temporary file renamed over it) with
//! where its main controls are on screen and what the plugin's state is: the manual parameter
//! values, the suggestion's values, the compare switch, the amount, the learn status.
//!
//! Without the variable nothing is recorded or written (one cached lookup per frame). The
//! editor writes the file from its own thread, never from the audio thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use egui::{Context, Id, Rect};
use serde::{Deserialize, Serialize};

/// The environment variable naming the probe file.
pub const ENV: &str = "TANDEM_EDITOR_PROBE";

/// How often the file is rewritten, seconds.
const EVERY_S: f64 = 0.2;

/// The probe file, when probing (read once per process).
pub fn path() -> Option<&'static Path> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| std::env::var_os(ENV).map(PathBuf::from))
        .as_deref()
}

fn marks_id() -> Id {
    Id::unique("tandem_probe_marks")
}

/// Records where the control `name` was drawn this frame (window points). Does nothing unless
/// probing.
pub fn mark(ctx: &Context, name: &str, rect: Rect) {
    if path().is_none() {
        return;
    }
    ctx.data_mut(|d| {
        d.get_temp_mut_or_default::<BTreeMap<String, [f32; 4]>>(marks_id())
            .insert(
                name.to_string(),
                [rect.min.x, rect.min.y, rect.max.x, rect.max.y],
            );
    });
}

/// What the probe file holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// Physical pixels per window point (the test scales the rectangles by it).
    pub pixels_per_point: f32,
    /// Controls by name: `[x0, y0, x1, y1]` in window points.
    pub rects: BTreeMap<String, [f32; 4]>,
    /// The manual (unmodulated) value of every parameter, by stable ID.
    pub manual: BTreeMap<String, f32>,
    /// Every value the current suggestion proposes (all items), by stable ID; empty without one.
    pub suggested: BTreeMap<String, f32>,
    /// Items in the suggestion.
    pub items: usize,
    /// Proposals not yet accepted (what *Accept all* counts).
    pub open_proposals: usize,
    /// The compare switch: "Manual" or "Suggested".
    pub compare: String,
    /// The amount, 0–1.
    pub amount: f32,
    /// Seconds heard by the analysis.
    pub heard_seconds: f32,
    /// The learn status shows "stable".
    pub stable: bool,
    /// Frames the analysis has taken in since the plugin was created.
    pub analysed_frames: u64,
    /// Frames the tap dropped because the analysis thread was busy (see `AssistantShared`).
    pub dropped_frames: u64,
}

/// Writes the snapshot at most every `EVERY_S` (when probing): `fill` builds it, the marks
/// recorded this frame are added.
pub fn publish(ctx: &Context, fill: impl FnOnce() -> Snapshot) {
    let Some(path) = path() else {
        return;
    };
    let now = ctx.input(|i| i.time);
    let last_id = Id::unique("tandem_probe_last");
    let due = ctx.data_mut(|d| {
        let last = d.get_temp::<f64>(last_id);
        let due = last.is_none_or(|t| now - t >= EVERY_S || now < t);
        if due {
            d.insert_temp(last_id, now);
        }
        due
    });
    if !due {
        return;
    }
    let mut snap = fill();
    snap.pixels_per_point = ctx.pixels_per_point();
    snap.rects = ctx.data(|d| {
        d.get_temp::<BTreeMap<String, [f32; 4]>>(marks_id())
            .unwrap_or_default()
    });
    let Ok(json) = serde_json::to_vec_pretty(&snap) else {
        return;
    };
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, json).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_round_trips_through_json() {
        let mut s = Snapshot {
            pixels_per_point: 1.0,
            items: 3,
            compare: "Suggested".into(),
            amount: 0.5,
            ..Default::default()
        };
        s.rects.insert("accept_all".into(), [1.0, 2.0, 3.0, 4.0]);
        s.manual.insert("b1_gain".into(), -2.5);
        let back: Snapshot = serde_json::from_slice(&serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
