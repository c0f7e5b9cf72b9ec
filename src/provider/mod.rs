//! provider layer (see the crate documentation).
