//! Generates the gRPC server code for every `.proto` file in `proto/`, and writes their
//! compiled descriptors to `$OUT_DIR/file_descriptor_set.bin` for the unit test that checks
//! field numbers against Terraform's releases (`src/proto_numbers.rs`).
//!
//! protox compiles the definitions in pure Rust, so building needs no system `protoc`.
//! Servers get a default `Unimplemented` body for every RPC, so that newer protocol minors
//! stay well-formed. Clients are generated only with the `testing` feature, for the tests
//! that talk to a provider the way Terraform does.

use std::path::PathBuf;

use prost::Message;

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
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    std::fs::write(
        out_dir.join("file_descriptor_set.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(std::env::var_os("CARGO_FEATURE_TESTING").is_some())
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
