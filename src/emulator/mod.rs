//! emulator layer (see the crate documentation).
