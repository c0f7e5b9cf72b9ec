//! A client certificate made the way Terraform makes one for each plugin process.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P521_SHA512, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};

/// A client certificate and key made the way Terraform (go-plugin AutoMTLS) makes them:
/// ECDSA P-521 signed with SHA-512, self-signed, CA:TRUE, SAN localhost.
pub struct ClientIdentity {
    /// The certificate as PEM, for `PLUGIN_CLIENT_CERT`.
    pub pem: String,
    /// The certificate, for the TLS client.
    pub certificate: CertificateDer<'static>,
    /// Its private key.
    pub key: PrivatePkcs8KeyDer<'static>,
}

impl ClientIdentity {
    /// A fresh identity.
    pub fn like_terraform() -> Self {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).expect("a P-521 key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("localhost is a valid name");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + time::Duration::hours(262_980);
        let mut serial = [0u8; 16];
        aws_lc_rs::rand::fill(&mut serial).expect("random bytes");
        serial[0] &= 0x7f;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let certificate = params.self_signed(&key).expect("a self-signed certificate");
        ClientIdentity {
            pem: certificate.pem(),
            certificate: certificate.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }
}
