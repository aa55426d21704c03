//! The ManageSieve service in-process: a real listener on 127.0.0.1 (the generic accept
//! loop and driver), a real SQLite directory and homes in a temporary directory, and a
//! small client that checks the exact responses.

mod interop;
mod service;
mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use auth::StoredPassword;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{ManagesieveService, Options, Quota};
use crate::config::Config;
use crate::directory::Directory;
use crate::listen::{
    BoxStream, ConnectionLimits, Endpoint, Limiter, Listener, Shared as ListenShared, accept_loop,
};
use crate::shutdown::{Shutdown, Trigger};

const PASSWORD: &str = "pw-Secret";
/// How long a test waits for any one response.
const WAIT: Duration = Duration::from_secs(20);
/// The host name in the test certificate.
const HOST: &str = "sieve.example.test";

pub(super) struct Harness {
    dir: tempfile::TempDir,
    vmail: PathBuf,
    directory: Directory,
    addr: std::net::SocketAddr,
    _trigger: Trigger,
}

/// A service with the given `[auth]` settings and quota, listening on 127.0.0.1, with a
/// self-signed certificate for STARTTLS when `with_tls`.
pub(super) async fn start(auth_toml: &str, quota: Quota, with_tls: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let tls_toml = if with_tls {
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        crate::tls::write_self_signed(&[HOST.to_owned()], &cert, &key).unwrap();
        "[tls]\ncertificate = \"cert.pem\"\nkey = \"key.pem\"\n"
    } else {
        ""
    };
    // The configuration needs some listener; the tests bind their own.
    let toml = format!(
        "hostname = \"{HOST}\"\n[listeners]\nimap = [\"127.0.0.1:1\"]\n[directory]\nurl = \"sqlite://d.db\"\n\
         [mail]\nvmail = \"vmail\"\n{tls_toml}\
         [auth]\ndefault_scheme = \"SHA512-CRYPT\"\nupgrade_hashes = false\n{auth_toml}"
    );
    let config = Config::from_toml(&toml, &dir.path().join("postroom.toml")).unwrap();
    let directory = Directory::create(&config.directory.url, &config.mail.vmail, 2)
        .await
        .unwrap();
    directory.add_domain("example.test").await.unwrap();
    let options = Options {
        failure_delay: Duration::from_millis(10),
        quota,
        ..Options::default()
    };
    let service = Arc::new(ManagesieveService::with_options(
        &config,
        directory.clone(),
        options,
    ));
    let tls = config
        .tls
        .as_ref()
        .map(|t| Arc::new(crate::tls::Tls::load(&t.certificate, &t.key).unwrap()));
    let (trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
    let shared = ListenShared {
        limiter: Limiter::new(ConnectionLimits::default()),
        tls,
        shutdown,
    };
    let listener = Listener::bind(&Endpoint::Tcp("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let Endpoint::Tcp(addr) = listener.endpoint().unwrap() else {
        panic!("not TCP");
    };
    tokio::spawn(accept_loop("managesieve", listener, false, service, shared));
    Harness {
        vmail: config.mail.vmail.clone(),
        dir,
        directory,
        addr,
        _trigger: trigger,
    }
}

impl Harness {
    /// Adds `name@example.test` with the test password stored as `{PLAIN}` (so SCRAM
    /// works too).
    pub(super) async fn user(&self, name: &str) {
        let stored = StoredPassword::parse(&format!("{{PLAIN}}{PASSWORD}")).unwrap();
        let email = format!("{name}@example.test");
        self.directory.add_user(&email, &stored, 0).await.unwrap();
    }

    /// The user's home: the directory holding the Maildir.
    pub(super) fn home(&self, name: &str) -> PathBuf {
        self.vmail.join("example.test").join(name)
    }

    /// A connection, with the greeting read (its lines returned).
    pub(super) async fn connect(&self) -> (Client, Vec<String>) {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let mut client = Client {
            stream: BufReader::new(Box::new(stream)),
        };
        let greeting = client.response().await;
        (client, greeting)
    }

    /// A connection logged in as `name` with PLAIN (allowed on loopback by default).
    pub(super) async fn login(&self, name: &str) -> Client {
        let (mut client, _) = self.connect().await;
        let plain = format!("\0{name}@example.test\0{PASSWORD}");
        let encoded = super::proto::base64::encode(plain.as_bytes());
        let reply = client
            .cmd(&format!("AUTHENTICATE \"PLAIN\" \"{encoded}\""))
            .await;
        assert_eq!(reply, ["OK \"Logged in.\""]);
        client
    }

    /// A client-side TLS handshake over `stream`, trusting the test certificate.
    pub(super) async fn tls(&self, stream: BoxStream) -> BoxStream {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, ServerName};
        let cert = CertificateDer::from_pem_file(self.dir.path().join("cert.pem")).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = ServerName::try_from(HOST).unwrap();
        Box::new(connector.connect(name, stream).await.unwrap())
    }
}

/// A small ManageSieve client.
pub(super) struct Client {
    stream: BufReader<BoxStream>,
}

impl Client {
    /// One logical line without its CRLF; a literal (`{n}` at the end of a line) is
    /// replaced by its content.
    pub(super) async fn line(&mut self) -> String {
        let mut logical = Vec::new();
        loop {
            let mut raw = Vec::new();
            timeout(WAIT, self.stream.read_until(b'\n', &mut raw))
                .await
                .expect("a response in time")
                .unwrap();
            assert!(raw.ends_with(b"\r\n"), "unterminated line {raw:?}");
            raw.truncate(raw.len() - 2);
            let Some(n) = literal_length(&raw) else {
                logical.extend_from_slice(&raw);
                return String::from_utf8(logical).unwrap();
            };
            let header = raw.iter().rposition(|&b| b == b'{').unwrap();
            logical.extend_from_slice(&raw[..header]);
            let mut data = vec![0; n];
            timeout(WAIT, self.stream.read_exact(&mut data))
                .await
                .expect("a literal in time")
                .unwrap();
            logical.extend_from_slice(&data);
        }
    }

    /// Lines up to and including the one starting with OK, NO or BYE.
    pub(super) async fn response(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await;
            let done = ["OK", "NO", "BYE"]
                .iter()
                .any(|s| line == *s || line.starts_with(&format!("{s} ")));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) {
        let stream = self.stream.get_mut();
        stream.write_all(bytes).await.unwrap();
        stream.flush().await.unwrap();
    }

    /// Sends `text` and CRLF; returns the response.
    pub(super) async fn cmd(&mut self, text: &str) -> Vec<String> {
        self.send(format!("{text}\r\n").as_bytes()).await;
        self.response().await
    }

    /// Sends `text` and CRLF; returns the next line (a SASL challenge, or the end).
    pub(super) async fn sasl(&mut self, text: &str) -> String {
        self.send(format!("{text}\r\n").as_bytes()).await;
        self.line().await
    }

    /// The stream, to wrap in TLS.
    pub(super) fn into_stream(self) -> BoxStream {
        assert!(self.stream.buffer().is_empty(), "unread input before TLS");
        self.stream.into_inner()
    }

    pub(super) fn from_stream(stream: BoxStream) -> Self {
        Self {
            stream: BufReader::new(stream),
        }
    }
}

fn literal_length(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let start = inner.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&inner[start + 1..]).ok()?.parse().ok()
}
