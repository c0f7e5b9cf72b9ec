//! The local ARM + Entra ID emulator.

fn main() {}
