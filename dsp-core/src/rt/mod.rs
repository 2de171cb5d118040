//! Lock-free plumbing between the audio thread and the analysis thread.
//!
//! - [`tap`]: the audio tap, a preallocated single-producer single-consumer ring of interleaved
//!   multichannel frames (wrapping `rtrb`); the audio-thread writer never waits: when the ring is
//!   full it drops frames and counts them.
//! - [`mod@snapshot`]: a latest-value snapshot for results going back (wrapping `triple_buffer`);
//!   neither side ever blocks and the reader always sees a complete value.

pub mod snapshot;
pub mod tap;

pub use snapshot::{snapshot, SnapshotReader, SnapshotWriter};
pub use tap::{audio_tap, AudioTapReader, AudioTapWriter};
