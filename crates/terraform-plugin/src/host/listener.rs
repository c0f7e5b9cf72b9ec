//! Where the provider listens: a unix socket, as every go-plugin server on Linux and macOS
//! uses, or a loopback TCP port.
//!
//! The socket is named like Go's `os.CreateTemp(dir, "plugin")` (`plugin<digits>`), so a
//! leaked one is recognisable next to those of other providers, and is removed when the
//! listener is dropped: Terraform never cleans it up.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio_util::either::Either;

use super::handshake::Network;

/// A connection accepted on either kind of listener.
pub type Stream = Either<UnixStream, TcpStream>;

/// How many random socket names to try before giving up on a unix socket. A clash needs
/// another live socket with the same 32-bit suffix, so one retry is already rare.
const SOCKET_NAME_ATTEMPTS: usize = 16;

/// The inclusive TCP port range from `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT`; port 0 (any free
/// port) when both are unset, as in go-plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    min: u16,
    max: u16,
}

/// Why the port range variables could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortRangeError {
    /// A variable is not a port number.
    NotAPort {
        variable: &'static str,
        value: String,
    },
    /// `PLUGIN_MIN_PORT` is greater than `PLUGIN_MAX_PORT`.
    Inverted { min: u16, max: u16 },
}

impl std::fmt::Display for PortRangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRangeError::NotAPort { variable, value } => {
                write!(f, "{variable}={value:?} is not a port number")
            }
            PortRangeError::Inverted { min, max } => write!(
                f,
                "the PLUGIN_MIN_PORT value of {min} is greater than the PLUGIN_MAX_PORT value of {max}"
            ),
        }
    }
}

impl std::error::Error for PortRangeError {}

impl PortRange {
    /// Reads the range from the values of `PLUGIN_MIN_PORT` and `PLUGIN_MAX_PORT`.
    pub fn parse(min: Option<&str>, max: Option<&str>) -> Result<Self, PortRangeError> {
        let min = parse_port("PLUGIN_MIN_PORT", min)?;
        let max = parse_port("PLUGIN_MAX_PORT", max)?;
        if min > max {
            return Err(PortRangeError::Inverted { min, max });
        }
        Ok(PortRange { min, max })
    }
}

fn parse_port(variable: &'static str, value: Option<&str>) -> Result<u16, PortRangeError> {
    match value.map(str::trim) {
        None | Some("") => Ok(0),
        Some(text) => text.parse().map_err(|_| PortRangeError::NotAPort {
            variable,
            value: text.to_owned(),
        }),
    }
}

/// A bound listener. Dropping it closes the socket and removes a unix socket file.
#[derive(Debug)]
pub enum Listener {
    Unix {
        listener: UnixListener,
        socket: SocketFile,
    },
    Tcp(TcpListener),
}

impl Listener {
    /// Binds a unix socket named `plugin<digits>` in `dir`.
    pub fn bind_unix(dir: &Path) -> io::Result<Self> {
        let mut last_error = None;
        for _ in 0..SOCKET_NAME_ATTEMPTS {
            let path = dir.join(format!("plugin{}", random_suffix()?));
            match UnixListener::bind(&path) {
                Ok(listener) => {
                    return Ok(Listener::Unix {
                        listener,
                        socket: SocketFile(path),
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::AddrInUse => {
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
    }

    /// Binds the first free port of `ports` on 127.0.0.1 (never on all interfaces).
    pub fn bind_tcp(ports: PortRange) -> io::Result<Self> {
        let mut last_error = None;
        for port in ports.min..=ports.max {
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            match std::net::TcpListener::bind(address) {
                Ok(listener) => {
                    listener.set_nonblocking(true)?;
                    return Ok(Listener::Tcp(TcpListener::from_std(listener)?));
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable)))
    }

    pub fn network(&self) -> Network {
        match self {
            Listener::Unix { .. } => Network::Unix,
            Listener::Tcp(_) => Network::Tcp,
        }
    }

    /// The address as the handshake line and `TF_REATTACH_PROVIDERS` give it: the socket
    /// path, or `127.0.0.1:<port>`.
    pub fn address(&self) -> io::Result<String> {
        match self {
            Listener::Unix { socket, .. } => Ok(socket.0.display().to_string()),
            Listener::Tcp(listener) => Ok(listener.local_addr()?.to_string()),
        }
    }

    pub async fn accept(&self) -> io::Result<Stream> {
        match self {
            Listener::Unix { listener, .. } => {
                listener.accept().await.map(|(s, _)| Either::Left(s))
            }
            Listener::Tcp(listener) => listener.accept().await.map(|(s, _)| Either::Right(s)),
        }
    }
}

/// A random decimal suffix, as Go's `CreateTemp` appends (a 32-bit number).
fn random_suffix() -> io::Result<u32> {
    let mut bytes = [0u8; 4];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| io::Error::other("the system random number generator failed"))?;
    Ok(u32::from_le_bytes(bytes))
}

/// The path of a bound unix socket, removed from the file system on drop.
#[derive(Debug)]
pub struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        // Nothing useful can be done if the file is already gone or cannot be removed.
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_ports_mean_any_free_port() {
        assert_eq!(
            PortRange::parse(None, None),
            Ok(PortRange { min: 0, max: 0 })
        );
        assert_eq!(
            PortRange::parse(Some(""), Some(" ")),
            Ok(PortRange { min: 0, max: 0 })
        );
    }

    #[test]
    fn ports_are_read_as_an_inclusive_range() {
        assert_eq!(
            PortRange::parse(Some("10000"), Some("25000")),
            Ok(PortRange {
                min: 10000,
                max: 25000
            })
        );
    }

    #[test]
    fn bad_port_ranges_are_rejected() {
        assert_eq!(
            PortRange::parse(Some("25000"), Some("10000")),
            Err(PortRangeError::Inverted {
                min: 25000,
                max: 10000
            })
        );
        assert!(matches!(
            PortRange::parse(Some("ten"), Some("20")),
            Err(PortRangeError::NotAPort {
                variable: "PLUGIN_MIN_PORT",
                ..
            })
        ));
        assert!(matches!(
            PortRange::parse(None, Some("70000")),
            Err(PortRangeError::NotAPort {
                variable: "PLUGIN_MAX_PORT",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn unix_socket_is_named_like_go_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let listener = Listener::bind_unix(dir.path()).unwrap();
        assert_eq!(listener.network(), Network::Unix);
        let address = PathBuf::from(listener.address().unwrap());
        assert_eq!(address.parent(), Some(dir.path()));
        let name = address.file_name().unwrap().to_str().unwrap();
        let digits = name.strip_prefix("plugin").unwrap();
        assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        assert!(address.exists());
        drop(listener);
        assert!(!address.exists());
    }

    #[tokio::test]
    async fn unix_socket_in_a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Listener::bind_unix(&dir.path().join("missing")).is_err());
    }

    #[tokio::test]
    async fn tcp_listens_on_loopback_only() {
        let listener = Listener::bind_tcp(PortRange::parse(None, None).unwrap()).unwrap();
        assert_eq!(listener.network(), Network::Tcp);
        assert!(listener.address().unwrap().starts_with("127.0.0.1:"));
    }

    #[tokio::test]
    async fn tcp_fallback_only_uses_ports_in_range() {
        let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = taken.local_addr().unwrap().port().to_string();
        let range = PortRange::parse(Some(&port), Some(&port)).unwrap();
        let error = Listener::bind_tcp(range).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
        drop(taken);
        let listener = Listener::bind_tcp(range).unwrap();
        assert_eq!(listener.address().unwrap(), format!("127.0.0.1:{port}"));
    }
}
