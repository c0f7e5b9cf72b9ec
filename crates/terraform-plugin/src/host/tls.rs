//! go-plugin's AutoMTLS, server side.
//!
//! Terraform generates a fresh client certificate for every provider process and passes it
//! in `PLUGIN_CLIENT_CERT`; the provider generates a fresh server certificate and prints it
//! in the handshake line. Each side then trusts exactly the other's certificate.
//!
//! Terraform's certificate is a self-signed ECDSA P-521 CA certificate. Two consequences
//! shape this file: rustls must use the aws-lc-rs provider (ring has no P-521), and
//! webpki's client verifier cannot be used (it refuses a CA certificate as an end entity),
//! so a small verifier here accepts the one certificate whose bytes equal Terraform's.

use std::fmt;
use std::sync::Arc;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{WebPkiSupportedAlgorithms, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName as SubjectName};
use rustls::{ServerConfig, SignatureScheme};
use tokio_rustls::TlsAcceptor;

/// The TLS side of the server: how to accept connections, and the certificate to announce
/// in the handshake line.
pub struct ServerTls {
    pub acceptor: TlsAcceptor,
    pub certificate: CertificateDer<'static>,
}

/// Why TLS could not be set up.
#[derive(Debug)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` is not a PEM certificate.
    ClientCertificate(rustls::pki_types::pem::Error),
    /// The server certificate could not be generated.
    ServerCertificate(rcgen::Error),
    /// rustls refused the configuration.
    Config(rustls::Error),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::ClientCertificate(e) => {
                write!(f, "PLUGIN_CLIENT_CERT is not a PEM certificate: {e}")
            }
            TlsError::ServerCertificate(e) => {
                write!(f, "cannot generate the server certificate: {e}")
            }
            TlsError::Config(e) => write!(f, "cannot configure TLS: {e}"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::ClientCertificate(e) => Some(e),
            TlsError::ServerCertificate(e) => Some(e),
            TlsError::Config(e) => Some(e),
        }
    }
}

/// Builds the server TLS configuration for a client whose certificate is `client_cert_pem`.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, TlsError> {
    let client_certificate = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(TlsError::ClientCertificate)?;
    let (certificate, key) = generate_server_certificate().map_err(TlsError::ServerCertificate)?;

    let provider = Arc::new(aws_lc_rs::default_provider());
    let verifier = PinnedClientCertificate {
        expected: client_certificate,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![certificate.clone()], key)
        .map_err(TlsError::Config)?;
    // grpc-go 1.67 and later (Terraform 1.12 and later) refuse a server without ALPN h2.
    config.alpn_protocols = vec![b"h2".to_vec()];

    Ok(ServerTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        certificate,
    })
}

/// A throwaway certificate for this process. Terraform checks it against the name
/// `localhost`, and Go ignores the common name, so the DNS SAN is what matters. P-256
/// keeps start-up fast; Go accepts any common curve.
fn generate_server_certificate()
-> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), rcgen::Error> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::OrganizationName, "terraform-plugin");
    subject.push(DnType::CommonName, "localhost");
    params.distinguished_name = subject;
    let certificate = params.self_signed(&key)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((certificate.der().clone(), key))
}

/// Accepts exactly one client certificate, compared byte for byte, as go-plugin does with
/// a certificate pool that holds only Terraform's certificate. The handshake signatures
/// are still verified, so the client must also hold the matching private key.
#[derive(Debug)]
struct PinnedClientCertificate {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[SubjectName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier_for(certificate: &CertificateDer<'static>) -> PinnedClientCertificate {
        PinnedClientCertificate {
            expected: certificate.clone(),
            algorithms: aws_lc_rs::default_provider().signature_verification_algorithms,
        }
    }

    #[test]
    fn verifier_accepts_only_the_pinned_certificate() {
        let (pinned, _) = generate_server_certificate().unwrap();
        let (other, _) = generate_server_certificate().unwrap();
        let verifier = verifier_for(&pinned);
        let now = UnixTime::now();

        assert!(verifier.verify_client_cert(&pinned, &[], now).is_ok());
        assert!(matches!(
            verifier.verify_client_cert(&other, &[], now),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        ));
        // The pinned certificate as an intermediate does not make another one acceptable.
        assert!(
            verifier
                .verify_client_cert(&other, std::slice::from_ref(&pinned), now)
                .is_err()
        );
    }

    #[test]
    fn verifier_demands_a_client_certificate_and_offers_p521() {
        let (pinned, _) = generate_server_certificate().unwrap();
        let verifier = verifier_for(&pinned);
        assert!(verifier.offer_client_auth());
        assert!(verifier.client_auth_mandatory());
        assert!(
            verifier
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
    }

    #[test]
    fn server_config_pins_the_pem_certificate_and_offers_h2() {
        let (client, _) = generate_server_certificate().unwrap();
        let pem = pem_encode(&client);
        let tls = server_tls(&pem).unwrap();
        assert_eq!(tls.acceptor.config().alpn_protocols, [b"h2".to_vec()]);
        assert!(!tls.certificate.is_empty());
        assert_ne!(tls.certificate, client);
    }

    #[test]
    fn server_certificates_are_fresh_per_call() {
        let (first, _) = generate_server_certificate().unwrap();
        let (second, _) = generate_server_certificate().unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn garbage_client_certificate_is_an_error() {
        assert!(matches!(
            server_tls("not a certificate"),
            Err(TlsError::ClientCertificate(_))
        ));
    }

    fn pem_encode(certificate: &CertificateDer<'_>) -> String {
        use base64::Engine;
        let body = base64::engine::general_purpose::STANDARD.encode(certificate);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }
}
