//! TLS client configurations for outbound SMTP: one that checks nothing (opportunistic
//! TLS, like Postfix's `smtp_tls_security_level = may`: encryption against passive
//! eavesdroppers, no authentication) and one that verifies the peer's certificate chain
//! and name against the Mozilla roots or a configured CA file.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_rustls::TlsConnector;

use super::OutboundError;

/// The two ways of starting TLS towards a peer.
#[derive(Clone)]
pub(super) struct Connectors {
    /// Any certificate is accepted (the handshake signature is still checked).
    pub(super) unverified: TlsConnector,
    /// The certificate must chain to a trusted root and name the host.
    pub(super) verified: TlsConnector,
}

impl fmt::Debug for Connectors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connectors")
    }
}

impl Connectors {
    /// Builds both configurations; `ca_file` replaces the built-in roots.
    pub(super) fn new(ca_file: Option<&Path>) -> Result<Self, OutboundError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let roots = match ca_file {
            Some(path) => roots_from_file(path)?,
            None => RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        };
        let verified = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(OutboundError::Tls)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let verifier = Arc::new(AcceptAnyCertificate {
            provider: Arc::clone(&provider),
        });
        let unverified = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(OutboundError::Tls)?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Self {
            unverified: TlsConnector::from(Arc::new(unverified)),
            verified: TlsConnector::from(Arc::new(verified)),
        })
    }

    /// The connector for a connection that must (or need not) be verified.
    pub(super) fn get(&self, verify: bool) -> &TlsConnector {
        if verify {
            &self.verified
        } else {
            &self.unverified
        }
    }
}

/// The name to send as SNI and to verify: the host name, or the address when the host
/// is an IP literal or not a valid DNS name.
pub(super) fn server_name(host: &str, ip: std::net::IpAddr) -> ServerName<'static> {
    let host = host.trim_end_matches('.');
    ServerName::try_from(host.to_owned()).unwrap_or_else(|_| ServerName::from(ip))
}

fn roots_from_file(path: &Path) -> Result<RootCertStore, OutboundError> {
    let bad = |reason: String| OutboundError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bad("no usable certificate".to_owned()));
    }
    Ok(roots)
}

/// Accepts every certificate: opportunistic TLS authenticates nobody, by design.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
