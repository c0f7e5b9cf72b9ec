//! Client certificates: a service principal proves who it is by signing a short JWT (the
//! client assertion) with the private key of a certificate registered on its application.
//!
//! azurerm takes the certificate as a PKCS#12 bundle (a `.pfx` file, or its base64 text) with an
//! optional password; PEM (certificate and unencrypted private key in one file, as `az ad sp
//! create-for-rbac --create-cert` writes) is accepted as well. Entra ID signs in with RSA
//! certificates only, so the key must be RSA. The assertion names the certificate by its SHA-1
//! thumbprint (`x5t`) and its SHA-256 one (`x5t#S256`), and Entra checks the signature with the
//! public key registered under that thumbprint.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use time::OffsetDateTime;

/// How long a client assertion is valid: long enough for one token request, short enough that
/// a leaked one is soon useless (Entra accepts up to a day).
const ASSERTION_LIFETIME_SECONDS: i64 = 10 * 60;

/// A client certificate with its RSA private key, ready to sign client assertions.
pub struct ClientCertificate {
    key: RsaKeyPair,
    /// base64url SHA-1 of the certificate's DER encoding.
    x5t: String,
    /// base64url SHA-256 of the certificate's DER encoding.
    x5t_s256: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t", &self.x5t)
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// Reads a PKCS#12 bundle (with `password`, empty when the bundle has none) or, when `bytes`
    /// are PEM text, a certificate and its private key. The error says what is wrong with the
    /// file, never its content or the password.
    pub fn load(bytes: &[u8], password: Option<&str>) -> Result<Self, String> {
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            Self::from_pem(bytes)
        } else {
            Self::from_pkcs12(bytes, password.unwrap_or_default())
        }
    }

    fn from_pkcs12(bytes: &[u8], password: &str) -> Result<Self, String> {
        use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
        let store = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Relaxed).map_err(
            |error| {
                format!("it is not a PKCS#12 bundle that opens with the given password ({error})")
            },
        )?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or("the PKCS#12 bundle holds no private key")?;
        let certificate = chain
            .certs()
            .first()
            .ok_or("the PKCS#12 bundle holds a private key but no certificate for it")?;
        Self::new(chain.key().as_der(), certificate.as_der(), KeyFormat::Pkcs8)
    }

    fn from_pem(bytes: &[u8]) -> Result<Self, String> {
        if bytes.windows(19).any(|w| w == b"ENCRYPTED PRIVATE K") {
            return Err(
                "its PEM private key is encrypted, which is not supported: give the \
                        certificate as PKCS#12 with a password instead"
                    .into(),
            );
        }
        let certificate = CertificateDer::pem_slice_iter(bytes)
            .next()
            .ok_or("the PEM text holds no CERTIFICATE block")?
            .map_err(|error| format!("its PEM certificate cannot be read ({error})"))?;
        let key = PrivateKeyDer::from_pem_slice(bytes)
            .map_err(|_| "the PEM text holds no private key (RSA PRIVATE KEY or PRIVATE KEY)")?;
        match &key {
            PrivateKeyDer::Pkcs1(der) => {
                Self::new(der.secret_pkcs1_der(), &certificate, KeyFormat::Pkcs1)
            }
            PrivateKeyDer::Pkcs8(der) => {
                Self::new(der.secret_pkcs8_der(), &certificate, KeyFormat::Pkcs8)
            }
            _ => Err(NOT_RSA.into()),
        }
    }

    fn new(key: &[u8], certificate: &[u8], format: KeyFormat) -> Result<Self, String> {
        let key = match format {
            KeyFormat::Pkcs1 => RsaKeyPair::from_der(key),
            KeyFormat::Pkcs8 => RsaKeyPair::from_pkcs8(key),
        }
        .map_err(|_| NOT_RSA.to_owned())?;
        let thumbprint =
            |algorithm| URL_SAFE_NO_PAD.encode(digest::digest(algorithm, certificate).as_ref());
        Ok(Self {
            key,
            x5t: thumbprint(&digest::SHA1_FOR_LEGACY_USE_ONLY),
            x5t_s256: thumbprint(&digest::SHA256),
        })
    }

    /// A client assertion for `client_id` at token endpoint `audience`, valid from `now`.
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> Result<String, String> {
        let issued = now.unix_timestamp();
        let header = json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5t": self.x5t,
            "x5t#S256": self.x5t_s256,
        });
        let claims = json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": issued,
            "nbf": issued,
            "exp": issued.saturating_add(ASSERTION_LIFETIME_SECONDS),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "the client assertion could not be signed with the certificate's key")?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

const NOT_RSA: &str = "its private key is not an RSA key (Microsoft Entra ID signs in with RSA \
                       certificates only) or cannot be read";

#[derive(Clone, Copy)]
enum KeyFormat {
    Pkcs1,
    Pkcs8,
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};

    /// A self-signed RSA certificate: (certificate DER, certificate PEM, PKCS#8 key PEM).
    fn rsa_certificate() -> (Vec<u8>, String, String, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["client".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (
            certificate.der().to_vec(),
            certificate.pem(),
            key.serialize_pem(),
            key,
        )
    }

    fn pkcs12(certificate: &[u8], key: &rcgen::KeyPair, password: &str) -> Vec<u8> {
        let chain = PrivateKeyChain::new(
            vec![1],
            PrivateKey::from_der(&key.serialize_der()).unwrap(),
            [Certificate::from_der(certificate).unwrap()],
        );
        let mut store = KeyStore::new();
        store.add_entry("client", KeyStoreEntry::PrivateKeyChain(chain));
        store.writer(password).write().unwrap()
    }

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn assertions_are_signed_and_name_the_certificate() {
        let (der, cert_pem, key_pem, key) = rsa_certificate();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        for certificate in [
            ClientCertificate::load(format!("{cert_pem}{key_pem}").as_bytes(), None).unwrap(),
            ClientCertificate::load(&pkcs12(&der, &key, "pw"), Some("pw")).unwrap(),
        ] {
            let jwt = certificate
                .assertion(
                    "client-id",
                    "https://login.example/t/oauth2/v2.0/token",
                    now,
                )
                .unwrap();
            let parts: Vec<&str> = jwt.split('.').collect();
            let header = decode(parts[0]);
            assert_eq!(header["alg"], "RS256");
            let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
            assert_eq!(header["x5t"], URL_SAFE_NO_PAD.encode(sha1.as_ref()));
            let claims = decode(parts[1]);
            assert_eq!(claims["iss"], "client-id");
            assert_eq!(claims["sub"], "client-id");
            assert_eq!(claims["aud"], "https://login.example/t/oauth2/v2.0/token");
            assert_eq!(claims["nbf"], 1_800_000_000);
            assert_eq!(claims["exp"], 1_800_000_600);
            let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key_raw());
            let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            let signed = format!("{}.{}", parts[0], parts[1]);
            public.verify(signed.as_bytes(), &signature).unwrap();
        }
    }

    #[test]
    fn unusable_certificates_are_explained_without_their_content() {
        let (der, cert_pem, key_pem, key) = rsa_certificate();
        let bundle = pkcs12(&der, &key, "right");
        let wrong = ClientCertificate::load(&bundle, Some("wrong")).unwrap_err();
        assert!(wrong.contains("password"), "{wrong}");
        let garbage = ClientCertificate::load(b"not a certificate", None).unwrap_err();
        assert!(garbage.contains("not a PKCS#12 bundle"), "{garbage}");
        let no_key = ClientCertificate::load(cert_pem.as_bytes(), None).unwrap_err();
        assert!(no_key.contains("no private key"), "{no_key}");
        let no_cert = ClientCertificate::load(key_pem.as_bytes(), None).unwrap_err();
        assert!(no_cert.contains("no CERTIFICATE"), "{no_cert}");
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let encrypted = ClientCertificate::load(encrypted.as_bytes(), None).unwrap_err();
        assert!(encrypted.contains("encrypted"), "{encrypted}");
        let ec = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ec_cert = rcgen::CertificateParams::new(vec!["c".into()])
            .unwrap()
            .self_signed(&ec)
            .unwrap();
        let pem = format!("{}{}", ec_cert.pem(), ec.serialize_pem());
        let not_rsa = ClientCertificate::load(pem.as_bytes(), None).unwrap_err();
        assert!(not_rsa.contains("not an RSA key"), "{not_rsa}");
        for text in [wrong, garbage, no_key, no_cert, not_rsa] {
            assert!(!text.contains("right") && !text.contains("BEGIN"), "{text}");
        }
    }
}
