//! Certificates: a private CA generated at start-up and a server certificate it signs,
//! valid for `127.0.0.1`, `::1` and `localhost`.
//!
//! Clients trust the emulator by trusting the CA (written to a PEM file whose path is
//! printed at start-up), exactly as they would trust a corporate CA. Real clients insist on
//! subject alternative names (a CN alone is refused) and, in strict modes, on key usages and
//! key identifiers, so all of those are set.

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use super::error::Error;

/// A freshly generated CA and the TLS configuration of a server certificate it signed.
pub struct Certificates {
    /// The CA certificate, PEM-encoded, for clients to trust.
    pub ca_pem: String,
    /// rustls configuration serving the server certificate (ALPN h2 and http/1.1).
    pub server_config: Arc<rustls::ServerConfig>,
}

fn tls_error(e: impl std::fmt::Display) -> Error {
    Error::Tls(e.to_string())
}

/// Generates the CA and the server certificate.
pub fn generate() -> Result<Certificates, Error> {
    let now = OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate().map_err(tls_error)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kusto-emulator local CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = now - Duration::days(1);
    ca_params.not_after = now + Duration::days(365);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().map_err(tls_error)?;
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let mut server_params = CertificateParams::new(names).map_err(tls_error)?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.use_authority_key_identifier_extension = true;
    server_params.not_before = now - Duration::days(1);
    server_params.not_after = now + Duration::days(365);
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .map_err(tls_error)?;

    let chain = vec![
        CertificateDer::from(server_cert.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_error)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Certificates {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(config),
    })
}

/// Writes the CA PEM, creating the parent directory if needed.
pub fn write_ca(path: &Path, pem: &str) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    std::fs::write(path, pem).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_ca_and_a_serving_config() {
        let certs = generate().unwrap();
        assert!(certs.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(certs.server_config.alpn_protocols.len(), 2);
    }
}
