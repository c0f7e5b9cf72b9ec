//! plugin layer (see the crate documentation).
