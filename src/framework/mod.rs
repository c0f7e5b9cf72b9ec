//! framework layer (see the crate documentation).
