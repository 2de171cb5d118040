//! Biquad filters: matched (analog-shaped up to Nyquist) designs, fixed-capacity cascades,
//! analytic responses and the multichannel [`FilterCascade`] processor.
//!
//! - [`FilterSpec`] / [`FilterKind`] / [`CutShape`]: the persisted (serde) description of one
//!   filter — bell, low/high shelf (Q or shelf slope), low/high pass 6–48 dB/octave (Butterworth
//!   or Linkwitz–Riley), notch, band pass, tilt.
//! - [`design()`] turns a spec into a [`CascadeCoefs`] of at most [`MAX_SECTIONS`] [`BiquadCoefs`]
//!   (see [`design`](mod@design) for which method each kind uses and why).
//! - [`BiquadCoefs::response`], [`CascadeCoefs::magnitude_db`], [`FilterSpec::magnitude_db`]: the
//!   exact digital response of the coefficients the DSP runs, for GUIs;
//!   [`analog_magnitude_db`]: the analog prototype, for tests and reference curves.
//! - [`FilterCascade`]: the real-time [`crate::Processor`] with click-free parameter glides.

mod analog;
mod bank;
mod biquad;
mod cascade;
pub mod design;
mod processor;
mod spec;

pub use analog::{analog_magnitude_db, analog_response};
pub use bank::{
    BankKernel, CoefUpdate, MidSide, StereoBank, StereoSection, MAX_BANK_SECTIONS,
    MAX_SCHEDULED_UPDATES,
};
pub use biquad::{BiquadCoefs, BiquadState, Complex, STATE_FLUSH_BELOW};
pub use cascade::{CascadeCoefs, MAX_SECTIONS};
pub use design::design;
pub use processor::{FilterCascade, CONTROL_PERIOD_SAMPLES, DEFAULT_SMOOTHING_MS};
pub use spec::{
    CutShape, FilterKind, FilterSpec, BUTTERWORTH_Q, MAX_FREQ_RATIO, MAX_GAIN_DB, MAX_Q,
    MAX_SHELF_SLOPE, MAX_SLOPE_DB_OCT, MIN_FREQ_HZ, MIN_Q, MIN_SHELF_SLOPE, MIN_SLOPE_DB_OCT,
};
