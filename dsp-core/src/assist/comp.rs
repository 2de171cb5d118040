//! Placeholder: filled by its issue's work.
