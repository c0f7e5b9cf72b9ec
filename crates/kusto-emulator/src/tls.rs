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

/// The emulator's certificate authority: what clients trust and what signs the server
/// certificate. With `--state` it is kept beside the state file so that a restarted
/// emulator is trusted by the same clients.
pub struct Ca {
    pub cert_pem: String,
    key_pem: String,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

fn tls_error(e: impl std::fmt::Display) -> Error {
    Error::Tls(e.to_string())
}

/// Certificate parameters for the subject alternative `names`, with common name
/// `common_name` and the key `usages`.
fn named_params(
    names: Vec<String>,
    common_name: &str,
    usages: Vec<KeyUsagePurpose>,
) -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::new(names).map_err(tls_error)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = usages;
    Ok(params)
}

/// The CA's name and usages; also what identifies it as the issuer of server certificates.
fn ca_params() -> Result<CertificateParams, Error> {
    let mut params = named_params(
        Vec::new(),
        "kusto-emulator local CA",
        vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ],
    )?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    Ok(params)
}

impl Ca {
    /// Generates a new CA valid for a year.
    pub fn generate() -> Result<Ca, Error> {
        let now = OffsetDateTime::now_utc();
        let key = KeyPair::generate().map_err(tls_error)?;
        let mut params = ca_params()?;
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(365);
        let cert = params.self_signed(&key).map_err(tls_error)?;
        Ok(Ca {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Reads a CA saved by [`Ca::save`]; `None` when either file is absent.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Option<Ca>, Error> {
        let read = |path: &Path| match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        };
        match (read(cert_path)?, read(key_path)?) {
            (Some(cert_pem), Some(key_pem)) => {
                KeyPair::from_pem(&key_pem).map_err(tls_error)?;
                Ok(Some(Ca { cert_pem, key_pem }))
            }
            _ => Ok(None),
        }
    }

    /// Writes the certificate and (readable by the owner only) the key.
    pub fn save(&self, cert_path: &Path, key_path: &Path) -> Result<(), Error> {
        write_ca(cert_path, &self.cert_pem)?;
        write_private(key_path, &self.key_pem)
    }

    /// A rustls configuration serving a new server certificate signed by this CA,
    /// valid for `localhost`, `127.0.0.1` and `::1` (ALPN h2 and http/1.1).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, Error> {
        let now = OffsetDateTime::now_utc();
        let ca_key = KeyPair::from_pem(&self.key_pem).map_err(tls_error)?;
        let issuer = Issuer::new(ca_params()?, ca_key);
        let server_key = KeyPair::generate().map_err(tls_error)?;
        let names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let mut params = named_params(
            names,
            "localhost",
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ],
        )?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(365);
        let server_cert = params.signed_by(&server_key, &issuer).map_err(tls_error)?;
        let chain = vec![CertificateDer::from(server_cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(tls_error)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Writes the CA key readable by its owner only (mode 0600, also over an existing file).
fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write as _;
    super::persist::owner_only_file(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
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
    fn a_saved_ca_loads_and_serves() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("ca.pem"), dir.path().join("ca-key.pem"));
        assert!(Ca::load(&cert, &key).unwrap().is_none());
        let ca = Ca::generate().unwrap();
        assert!(ca.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(!format!("{ca:?}").contains("PRIVATE"));
        std::fs::write(&key, "stale").unwrap();
        ca.save(&cert, &key).unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the CA key is private");
        }
        let loaded = Ca::load(&cert, &key).unwrap().unwrap();
        assert_eq!(loaded.cert_pem, ca.cert_pem);
        assert_eq!(loaded.server_config().unwrap().alpn_protocols.len(), 2);
    }
}
