//! The provider binary Terraform starts.

fn main() {}
