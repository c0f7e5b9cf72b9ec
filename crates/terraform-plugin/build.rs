//! Generates the gRPC server code for every `.proto` file in `proto/`.
//!
//! protox compiles the definitions in pure Rust, so building needs no system `protoc`.
//! Servers get a default `Unimplemented` body for every RPC, so that newer protocol minors
//! stay well-formed. Clients are generated only with the `testing` feature, for the tests
//! that talk to a provider the way Terraform does.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut protos: Vec<PathBuf> = std::fs::read_dir("proto")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    protos.retain(|p| p.extension().is_some_and(|ext| ext == "proto"));
    protos.sort();
    println!("cargo:rerun-if-changed=proto");
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }

    let descriptors = protox::compile(&protos, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(std::env::var_os("CARGO_FEATURE_TESTING").is_some())
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
