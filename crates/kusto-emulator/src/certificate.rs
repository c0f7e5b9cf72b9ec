//! Certificate credentials: the X.509 certificates of an application, found by the thumbprint
//! a client assertion names and used to check the assertion's signature.
//!
//! Entra identifies the key that signed an assertion by the header's `x5t` (base64url of the
//! certificate's SHA-1) or `x5t#S256` (of its SHA-256), and accepts RS256 and PS256 signed
//! with an RSA key of at least 2048 bits, within the certificate's validity. Clients do not
//! all spell `x5t` the same way (Go clients send standard base64 with padding, MSAL sends
//! base64url without), and Entra takes both, so thumbprints are decoded leniently.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer as _, X509Certificate};
use x509_parser::public_key::PublicKey;

/// A certificate of an application, parsed once per token request.
#[derive(Debug, Clone)]
pub struct Certificate {
    sha1: Vec<u8>,
    sha256: Vec<u8>,
    /// The RSA public key (PKCS#1 `RSAPublicKey`); `None` for keys of other types, which
    /// verify nothing.
    rsa_public_key: Option<Vec<u8>>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// The thumbprint an assertion's header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thumbprint {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
    /// A header value that is not base64 at all; it matches no certificate.
    Undecodable(String),
}

impl Thumbprint {
    /// The thumbprint of a JWT header: `x5t#S256` if present, else `x5t`.
    pub fn of_header(header: &serde_json::Value) -> Option<Thumbprint> {
        let text = |name: &str| header.get(name).and_then(serde_json::Value::as_str);
        let (value, wrap): (&str, fn(Vec<u8>) -> Thumbprint) = match (text("x5t#S256"), text("x5t"))
        {
            (Some(value), _) => (value, Thumbprint::Sha256),
            (None, Some(value)) => (value, Thumbprint::Sha1),
            (None, None) => return None,
        };
        Some(match decode_lenient(value) {
            Some(bytes) => wrap(bytes),
            None => Thumbprint::Undecodable(value.to_owned()),
        })
    }

    /// How Entra shows a thumbprint in its errors: upper-case hex (what is not base64, as
    /// sent, cut to 64 characters).
    pub fn display(&self) -> String {
        match self {
            Thumbprint::Sha1(bytes) | Thumbprint::Sha256(bytes) => {
                bytes.iter().map(|b| format!("{b:02X}")).collect()
            }
            Thumbprint::Undecodable(text) => text.chars().take(64).collect(),
        }
    }
}

/// Base64 in either alphabet, padded or not.
fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    let normalized: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(normalized).ok()
}

impl Certificate {
    /// Every certificate in `pem` (one or more `CERTIFICATE` blocks); blocks that do not parse
    /// are left out.
    pub fn parse_pem(pem: &str) -> Vec<Certificate> {
        Pem::iter_from_buffer(pem.as_bytes())
            .map_while(Result::ok)
            .filter(|block| block.label == "CERTIFICATE")
            .filter_map(|block| Certificate::from_der(&block.contents))
            .collect()
    }

    fn from_der(der: &[u8]) -> Option<Certificate> {
        let (_, parsed) = X509Certificate::from_der(der).ok()?;
        let spki = parsed.public_key();
        let rsa_public_key = matches!(spki.parsed(), Ok(PublicKey::RSA(_)))
            .then(|| spki.subject_public_key.data.to_vec());
        let validity = parsed.validity();
        Some(Certificate {
            sha1: digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der)
                .as_ref()
                .to_vec(),
            sha256: digest::digest(&digest::SHA256, der).as_ref().to_vec(),
            rsa_public_key,
            not_before: validity.not_before.to_datetime(),
            not_after: validity.not_after.to_datetime(),
        })
    }

    pub fn matches(&self, thumbprint: &Thumbprint) -> bool {
        match thumbprint {
            Thumbprint::Sha1(bytes) => *bytes == self.sha1,
            Thumbprint::Sha256(bytes) => *bytes == self.sha256,
            Thumbprint::Undecodable(_) => false,
        }
    }

    /// Whether `signature` over `signing_input` verifies with this certificate's key, for the
    /// JWS algorithm `alg` (RS256 or PS256; any other never verifies).
    pub fn verifies(&self, alg: &str, signing_input: &[u8], signature: &[u8]) -> bool {
        let parameters = match alg {
            "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
            "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
            _ => return false,
        };
        self.rsa_public_key.as_ref().is_some_and(|key| {
            UnparsedPublicKey::new(parameters, key)
                .verify(signing_input, signature)
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::RsaKeyPair;
    use base64::engine::general_purpose::STANDARD;
    use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256};
    use serde_json::json;

    fn certificate(key: &KeyPair) -> String {
        let mut params = CertificateParams::new(vec!["client".to_owned()]).unwrap();
        let now = OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(1);
        params.self_signed(key).unwrap().pem()
    }

    fn sign(key: &KeyPair, alg: &'static dyn signature::RsaEncoding, input: &[u8]) -> Vec<u8> {
        let pair = RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap();
        let mut out = vec![0; pair.public_modulus_len()];
        pair.sign(alg, &SystemRandom::new(), input, &mut out)
            .unwrap();
        out
    }

    #[test]
    fn rs256_and_ps256_signatures_verify_with_the_certificate_key() {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let pem = certificate(&key);
        let parsed = Certificate::parse_pem(&format!("junk\n{pem}{pem}"));
        assert_eq!(parsed.len(), 2, "every block of a PEM bundle");
        let cert = &parsed[0];
        let now = OffsetDateTime::now_utc();
        assert!(cert.not_before < now && now < cert.not_after);
        let rs = sign(&key, &signature::RSA_PKCS1_SHA256, b"header.payload");
        assert!(cert.verifies("RS256", b"header.payload", &rs));
        assert!(!cert.verifies("RS256", b"header.other", &rs));
        assert!(!cert.verifies("PS256", b"header.payload", &rs));
        assert!(!cert.verifies("HS256", b"header.payload", &rs));
        let ps = sign(&key, &signature::RSA_PSS_SHA256, b"header.payload");
        assert!(cert.verifies("PS256", b"header.payload", &ps));

        let other = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let foreign = sign(&other, &signature::RSA_PKCS1_SHA256, b"header.payload");
        assert!(!cert.verifies("RS256", b"header.payload", &foreign));
    }

    #[test]
    fn thumbprints_select_the_certificate_in_any_base64_spelling() {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let pem = certificate(&key);
        let cert = &Certificate::parse_pem(&pem)[0];
        let der = Pem::iter_from_buffer(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
            .contents;
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        let sha256 = digest::digest(&digest::SHA256, &der);
        for header in [
            json!({"x5t": URL_SAFE_NO_PAD.encode(sha1)}),
            json!({"x5t": STANDARD.encode(sha1)}),
            json!({"x5t#S256": URL_SAFE_NO_PAD.encode(sha256), "x5t": "AAAA"}),
        ] {
            let thumbprint = Thumbprint::of_header(&header).unwrap();
            assert!(cert.matches(&thumbprint), "{header}");
        }
        let unknown = Thumbprint::of_header(&json!({"x5t": "AAAA"})).unwrap();
        assert!(!cert.matches(&unknown));
        assert_eq!(unknown.display(), "000000");
        let garbage = Thumbprint::of_header(&json!({"x5t": "not base64!"})).unwrap();
        assert!(!cert.matches(&garbage));
        assert_eq!(garbage.display(), "not base64!");
        let long = Thumbprint::of_header(&json!({"x5t": "é".repeat(100)})).unwrap();
        assert_eq!(long.display(), "é".repeat(64));
        assert_eq!(Thumbprint::of_header(&json!({"kid": "x"})), None);
        let rs = vec![0; 256];
        assert!(
            !cert.verifies("RS256", b"x", &rs),
            "an EC key verifies no RSA signature"
        );
    }

    #[test]
    fn what_is_not_a_pem_certificate_yields_nothing() {
        for text in [
            "",
            "hello",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        ] {
            assert!(Certificate::parse_pem(text).is_empty(), "{text:?}");
        }
    }
}
