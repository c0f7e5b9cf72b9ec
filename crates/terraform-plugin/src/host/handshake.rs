//! The go-plugin launch contract: what Terraform tells the provider through its
//! environment, and the single line the provider answers with on stdout.
//!
//! Terraform reads the first line the provider writes to stdout and treats it as the
//! handshake, so the line is written exactly once, after the listener is bound, and
//! flushed at once; anything else on stdout breaks the launch.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// Environment variable through which go-plugin clients prove they launched the process.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";

/// The cookie value Terraform sends. It is a UX guard against running the binary by hand,
/// not a secret, and Terraform promises never to change it.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// What go-plugin prints when its binary is started by hand; kept word for word so that
/// users recognise it from every other Terraform provider.
pub const NOT_LAUNCHED_BY_TERRAFORM: &str = "This binary is a plugin. These are not meant to be executed directly.\n\
     Please execute the program that consumes these plugins, which will\n\
     load any plugins automatically";

/// The plugin protocol this provider speaks (`tfplugin6`).
pub const PROTOCOL_VERSION: u32 = 6;

/// go-plugin's own protocol version, the first handshake field. It has been 1 since
/// go-plugin's first release.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// Whether the value of [`MAGIC_COOKIE_KEY`] shows that a go-plugin client started us.
pub fn cookie_is_valid(value: Option<&str>) -> bool {
    value == Some(MAGIC_COOKIE_VALUE)
}

/// The outcome of matching our protocol against the client's `PLUGIN_PROTOCOL_VERSIONS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiation {
    /// The version to announce in the handshake line: always ours, since we speak one.
    pub version: u32,
    /// Whether the client listed that version. When it did not, go-plugin servers still
    /// announce their version and let the client explain the mismatch to the user.
    pub client_accepts: bool,
    /// List entries that were not version numbers.
    pub ignored: Vec<String>,
}

/// Matches [`PROTOCOL_VERSION`] against the comma-separated list a go-plugin client sends.
///
/// The list order is not meaningful (Terraform builds it from a Go map), so it is split and
/// searched rather than compared as a string.
pub fn negotiate(client_versions: Option<&str>) -> Negotiation {
    let mut client_accepts = false;
    let mut ignored = Vec::new();
    let entries = client_versions
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty());
    for entry in entries {
        match entry.parse::<u32>() {
            Ok(version) => client_accepts |= version == PROTOCOL_VERSION,
            Err(_) => ignored.push(entry.to_owned()),
        }
    }
    Negotiation {
        version: PROTOCOL_VERSION,
        client_accepts,
        ignored,
    }
}

/// The network a listener is on, as named in the handshake line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Unix,
    Tcp,
}

impl Network {
    /// The name go-plugin (and Go's `net` package) uses for this network.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Unix => "unix",
            Network::Tcp => "tcp",
        }
    }
}

/// The handshake line: `1|6|<network>|<address>|grpc|<server certificate>`.
///
/// Its `Display` output includes the trailing newline, so it can be written in one call.
#[derive(Debug, Clone, Copy)]
pub struct HandshakeLine<'a> {
    pub protocol_version: u32,
    pub network: Network,
    pub address: &'a str,
    /// DER of the server certificate when serving TLS; `None` for plaintext, which leaves
    /// the last field empty.
    pub server_certificate: Option<&'a [u8]>,
}

impl fmt::Display for HandshakeLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // go-plugin decodes the certificate with Go's RawStdEncoding: standard alphabet,
        // no padding. A padded value makes Terraform fail the whole launch.
        let certificate = self
            .server_certificate
            .map(|der| STANDARD_NO_PAD.encode(der))
            .unwrap_or_default();
        writeln!(
            f,
            "{CORE_PROTOCOL_VERSION}|{}|{}|{}|grpc|{certificate}",
            self.protocol_version,
            self.network.as_str(),
            self.address,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert!(cookie_is_valid(Some(MAGIC_COOKIE_VALUE)));
        assert!(!cookie_is_valid(None));
        assert!(!cookie_is_valid(Some("")));
        assert!(!cookie_is_valid(Some(&MAGIC_COOKIE_VALUE[1..])));
    }

    #[test]
    fn negotiation_finds_six_in_any_order() {
        for list in ["5,6", "6,5", "6", " 5 , 6 ", "6,7"] {
            let negotiation = negotiate(Some(list));
            assert_eq!(negotiation.version, 6, "{list}");
            assert!(negotiation.client_accepts, "{list}");
            assert!(negotiation.ignored.is_empty(), "{list}");
        }
    }

    #[test]
    fn negotiation_without_a_match_still_announces_six() {
        for list in [None, Some(""), Some("5"), Some("4,5"), Some("56")] {
            let negotiation = negotiate(list);
            assert_eq!(negotiation.version, 6, "{list:?}");
            assert!(!negotiation.client_accepts, "{list:?}");
        }
    }

    #[test]
    fn negotiation_ignores_entries_that_are_not_numbers() {
        let negotiation = negotiate(Some("five,6,,v7"));
        assert!(negotiation.client_accepts);
        assert_eq!(negotiation.ignored, ["five", "v7"]);
    }

    #[test]
    fn tls_line_carries_unpadded_base64_der() {
        // 4 bytes encode to 6 characters without padding ("AQIDBA==" with it).
        let line = HandshakeLine {
            protocol_version: 6,
            network: Network::Unix,
            address: "/tmp/plugin123",
            server_certificate: Some(&[1, 2, 3, 4]),
        };
        assert_eq!(line.to_string(), "1|6|unix|/tmp/plugin123|grpc|AQIDBA\n");
    }

    #[test]
    fn plaintext_line_leaves_the_certificate_field_empty() {
        let line = HandshakeLine {
            protocol_version: 6,
            network: Network::Tcp,
            address: "127.0.0.1:10000",
            server_certificate: None,
        };
        assert_eq!(line.to_string(), "1|6|tcp|127.0.0.1:10000|grpc|\n");
    }
}
