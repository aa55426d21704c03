//! A listening address: `host:port` or `unix:/path` (LMTP only).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

/// Where a listener accepts connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ListenAddr {
    /// A TCP address such as `0.0.0.0:25` or `[::1]:24`.
    Tcp(SocketAddr),
    /// A unix-domain socket, written `unix:/var/spool/postfix/private/postroom-lmtp`.
    Unix(PathBuf),
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Why a listening address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is neither host:port (an IP address and port, e.g. 0.0.0.0:25 or [::]:25) nor unix:/path"
)]
pub(crate) struct ListenAddrError {
    text: String,
}

impl FromStr for ListenAddr {
    type Err = ListenAddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ListenAddrError { text: s.to_owned() };
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(error());
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        s.parse().map(Self::Tcp).map_err(|_| error())
    }
}

impl<'de> Deserialize<'de> for ListenAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
