//! The handshake line a plugin prints, split the way go-plugin's client splits it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use rustls::pki_types::CertificateDer;

use super::dial::{Address, Security};
use super::identity::ClientIdentity;

/// The handshake line, split the way go-plugin's client splits it.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The line as printed.
    pub line: String,
    /// Its six `|`-separated fields: core version, protocol version, network, address,
    /// protocol, server certificate.
    pub fields: Vec<String>,
}

impl Handshake {
    /// Splits `line`, checking that it is complete and has six fields.
    pub fn parse(line: &str) -> Self {
        assert!(
            line.ends_with('\n'),
            "handshake line not terminated: {line:?}"
        );
        let fields: Vec<String> = line.trim().split('|').map(str::to_owned).collect();
        assert_eq!(fields.len(), 6, "handshake line: {line:?}");
        Handshake {
            line: line.to_owned(),
            fields,
        }
    }

    /// Where the plugin listens.
    pub fn address(&self) -> Address {
        match self.fields[2].as_str() {
            "unix" => Address::Unix(self.fields[3].clone()),
            "tcp" => Address::Tcp(self.fields[3].clone()),
            other => panic!("unknown network {other:?}"),
        }
    }

    /// The server certificate, decoded as go-plugin does (base64 without padding).
    pub fn server_certificate(&self) -> Option<CertificateDer<'static>> {
        let field = &self.fields[5];
        if field.is_empty() {
            return None;
        }
        let der = STANDARD_NO_PAD
            .decode(field)
            .expect("the certificate field is base64");
        Some(CertificateDer::from(der))
    }

    /// TLS trusting the announced server certificate, presenting `client`.
    pub fn tls<'a>(&self, client: Option<&'a ClientIdentity>) -> Security<'a> {
        Security::Tls {
            server: self.server_certificate().expect("a server certificate"),
            client,
        }
    }
}
