//! TLS for every listener: rustls via tokio-rustls, TLS 1.2 and 1.3 only, one
//! certificate chain and key from PEM files (the quickstart's self-signed pair or Let's
//! Encrypt's `fullchain.pem`/`privkey.pem`), reloaded on SIGHUP.
//!
//! The rustls configuration is built once with a certificate resolver; a reload swaps the
//! resolver's certified key, so connections in progress keep theirs and new handshakes
//! use the new one. A reload that fails (a half-renewed certificate, a key that does not
//! match) keeps the previous certificate and logs why.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, ServerConfig, ServerConnection};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;
use tracing::{info, warn};

/// Why the TLS configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("{path}: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{path}: no certificate found")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused the key, or the key does not match the certificate.
    #[error("certificate {cert} / key {key}: {source}")]
    Rustls {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        #[source]
        source: rustls::Error,
    },
    /// A self-signed certificate could not be generated.
    #[error("generating a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A generated certificate could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

/// The certificate currently served.
#[derive(Debug)]
struct CertStore {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

/// The server's TLS configuration and where its certificate comes from.
pub(crate) struct Tls {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    store: Arc<CertStore>,
    acceptor: TlsAcceptor,
}

impl Tls {
    /// Loads the certificate chain and key from PEM files.
    pub(crate) fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = load_certified_key(cert_path, key_path, &provider)?;
        let store = Arc::new(CertStore {
            current: RwLock::new(Arc::new(key)),
        });
        let rustls_error = |source| TlsError::Rustls {
            cert: cert_path.to_owned(),
            key: key_path.to_owned(),
            source,
        };
        let config = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(rustls_error)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&store) as Arc<dyn ResolvesServerCert>);
        Ok(Self {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            provider,
            store,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// Reads the PEM files again; on error the current certificate stays.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let key = load_certified_key(&self.cert_path, &self.key_path, &self.provider)?;
        *self
            .store
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
        Ok(())
    }

    /// The acceptor for new handshakes.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

fn load_certified_key(
    cert_path: &Path,
    key_path: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let pem_error = |path: &Path| {
        let path = path.to_owned();
        move |source| TlsError::Pem { path, source }
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .map_err(pem_error(cert_path))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error(cert_path))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert_path.to_owned(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(pem_error(key_path))?;
    CertifiedKey::from_der(certs, key, provider).map_err(|source| TlsError::Rustls {
        cert: cert_path.to_owned(),
        key: key_path.to_owned(),
        source,
    })
}

/// Reloads `tls` whenever the process gets SIGHUP, for as long as the runtime runs.
pub(crate) fn reload_on_sighup(tls: Arc<Tls>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => info!("tls: certificate reloaded from {}", tls.cert_path.display()),
                Err(e) => warn!("tls: reload failed, keeping the previous certificate: {e}"),
            }
        }
    });
    Ok(())
}

/// Writes a self-signed certificate for `names` (the first is the host name) and its
/// key as PEM files; the key file is readable by its owner only.
pub(crate) fn write_self_signed(
    names: &[String],
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let generated = rcgen::generate_simple_self_signed(names.to_vec())?;
    let write = |path: &Path, mode: u32, text: &str| {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|source| TlsError::Write {
                path: path.to_owned(),
                source,
            })
    };
    write(key_path, 0o600, &generated.signing_key.serialize_pem())?;
    write(cert_path, 0o644, &generated.cert.pem())
}

/// What was negotiated, for logs and `Received` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub(crate) version: &'static str,
    /// The cipher suite's IANA name.
    pub(crate) cipher: String,
}

impl TlsInfo {
    /// Reads what a finished handshake negotiated.
    pub(crate) fn of(conn: &ServerConnection) -> Self {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "TLS",
        };
        let cipher = conn.negotiated_cipher_suite().map_or_else(
            || "unknown".to_owned(),
            |suite| {
                suite
                    .suite()
                    .as_str()
                    .map_or_else(|| format!("{:?}", suite.suite()), str::to_owned)
            },
        );
        Self { version, cipher }
    }
}

impl fmt::Display for TlsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} with cipher {}", self.version, self.cipher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["mx.example.test".to_owned(), "localhost".to_owned()]
    }

    #[test]
    fn loads_generated_pair_and_reload_swaps_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        write_self_signed(&names(), &cert, &key).unwrap();
        let tls = Tls::load(&cert, &key).unwrap();
        let before = tls.store.current.read().unwrap().cert[0].clone();
        write_self_signed(&names(), &cert, &key).unwrap();
        tls.reload().unwrap();
        let after = tls.store.current.read().unwrap().cert[0].clone();
        assert_ne!(before, after, "a reload serves the new certificate");
    }

    #[test]
    fn failed_reload_keeps_the_previous_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        write_self_signed(&names(), &cert, &key).unwrap();
        let tls = Tls::load(&cert, &key).unwrap();
        let before = tls.store.current.read().unwrap().cert[0].clone();
        // A renewal that replaced the certificate but not yet the key.
        let other = dir.path().join("other-key.pem");
        write_self_signed(&names(), &cert, &other).unwrap();
        let error = tls.reload().unwrap_err();
        assert!(matches!(error, TlsError::Rustls { .. }), "{error}");
        assert_eq!(tls.store.current.read().unwrap().cert[0], before);
    }

    #[test]
    fn missing_or_empty_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        assert!(matches!(Tls::load(&cert, &key), Err(TlsError::Pem { .. })));
        std::fs::write(&cert, "").unwrap();
        write_self_signed(&names(), &dir.path().join("c2.pem"), &key).unwrap();
        assert!(matches!(
            Tls::load(&cert, &key),
            Err(TlsError::NoCertificate { .. })
        ));
    }
}
