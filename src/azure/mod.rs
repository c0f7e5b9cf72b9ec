//! azure layer (see the crate documentation).
