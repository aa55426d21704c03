//! The IMAP service end to end: a real listener on 127.0.0.1 (the generic accept loop
//! and driver), a real SQLite directory and Maildirs in a temporary directory, and a
//! small IMAP client that checks the exact responses.

mod interop;
mod login;
mod mailboxes;
mod messages;
mod updates;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use auth::StoredPassword;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::ImapService;
use crate::config::Config;
use crate::directory::Directory;
use crate::listen::{
    BoxStream, ConnectionLimits, Endpoint, Limiter, Listener, Shared as ListenShared, accept_loop,
};
use crate::shutdown::{Shutdown, Trigger};

const PASSWORD: &str = "pw-Secret";
/// How long a test waits for any one response.
const WAIT: Duration = Duration::from_secs(20);

pub(super) struct Harness {
    dir: tempfile::TempDir,
    vmail: PathBuf,
    directory: Directory,
    addr: std::net::SocketAddr,
    /// The implicit-TLS listener (with [`tls_harness`]).
    tls_addr: Option<std::net::SocketAddr>,
    _trigger: Trigger,
}

/// A service with the given `[auth]` settings, listening on 127.0.0.1.
pub(super) async fn harness(auth_toml: &str) -> Harness {
    start(auth_toml, false).await
}

/// [`harness`] with a self-signed certificate: STARTTLS on `addr`, implicit TLS on
/// `tls_addr`.
pub(super) async fn tls_harness(auth_toml: &str) -> Harness {
    start(auth_toml, true).await
}

async fn bind() -> (Listener, std::net::SocketAddr) {
    let listener = Listener::bind(&Endpoint::Tcp("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let Endpoint::Tcp(addr) = listener.endpoint().unwrap() else {
        panic!("not TCP");
    };
    (listener, addr)
}

async fn start(auth_toml: &str, with_tls: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let tls_toml = if with_tls {
        let names = ["imap.example.test".to_owned()];
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        crate::tls::write_self_signed(&names, &cert, &key).unwrap();
        "[tls]\ncertificate = \"cert.pem\"\nkey = \"key.pem\"\n"
    } else {
        ""
    };
    let toml = format!(
        "hostname = \"imap.example.test\"\n[listeners]\nimap = [\"127.0.0.1:1\"]\n\
         [directory]\nurl = \"sqlite://d.db\"\n[mail]\nvmail = \"vmail\"\n{tls_toml}\
         [auth]\ndefault_scheme = \"SHA512-CRYPT\"\nupgrade_hashes = false\n{auth_toml}"
    );
    let config = Config::from_toml(&toml, &dir.path().join("postroom.toml")).unwrap();
    let directory = Directory::create(&config.directory.url, &config.mail.vmail, 2)
        .await
        .unwrap();
    directory.add_domain("example.test").await.unwrap();
    let service = Arc::new(ImapService::with_failure_delay(
        &config,
        directory.clone(),
        Duration::from_millis(10),
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
    let (listener, addr) = bind().await;
    let plain = accept_loop(
        "imap",
        listener,
        false,
        Arc::clone(&service),
        shared.clone(),
    );
    tokio::spawn(plain);
    let mut tls_addr = None;
    if with_tls {
        let (listener, addr) = bind().await;
        tokio::spawn(accept_loop("imaps", listener, true, service, shared));
        tls_addr = Some(addr);
    }
    Harness {
        vmail: config.mail.vmail.clone(),
        dir,
        directory,
        addr,
        tls_addr,
        _trigger: trigger,
    }
}

impl Harness {
    /// Adds `name@example.test` with the test password and `quota` bytes (0: none).
    pub(super) async fn user(&self, name: &str, quota: u64) {
        let stored = StoredPassword::parse(&format!("{{PLAIN}}{PASSWORD}")).unwrap();
        let email = format!("{name}@example.test");
        self.directory
            .add_user(&email, &stored, quota)
            .await
            .unwrap();
    }

    pub(super) fn maildir(&self, name: &str) -> PathBuf {
        self.vmail.join("example.test").join(name).join("Maildir")
    }

    /// Delivers `content` to the user's INBOX as the delivery code does, and tells
    /// the IMAP sessions.
    pub(super) fn deliver(&self, name: &str, content: &[u8]) {
        let maildir = maildir::Maildir::create(self.maildir(name)).unwrap();
        let inbox = maildir.inbox().unwrap();
        let options = maildir::DeliveryOptions {
            fsync: false,
            ..maildir::DeliveryOptions::default()
        };
        inbox.deliver(content, &options).unwrap();
        crate::imap::mailbox::notify_changed(inbox.path());
    }

    pub(super) async fn connect(&self) -> Client {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let mut client = Client {
            stream: BufReader::new(Box::new(stream)),
            next: 0,
        };
        let greeting = client.response().await;
        assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
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
        let name = ServerName::try_from("imap.example.test").unwrap();
        Box::new(connector.connect(name, stream).await.unwrap())
    }

    /// A connection to the implicit-TLS listener.
    pub(super) async fn connect_tls(&self) -> Client {
        let stream = TcpStream::connect(self.tls_addr.unwrap()).await.unwrap();
        let stream = self.tls(Box::new(stream)).await;
        let mut client = Client {
            stream: BufReader::new(stream),
            next: 0,
        };
        let greeting = client.response().await;
        assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
        client
    }

    /// A connection logged in as `name`.
    pub(super) async fn login(&self, name: &str) -> Client {
        let mut c = self.connect().await;
        let done = c
            .cmd(&format!("LOGIN {name}@example.test {PASSWORD}"))
            .await;
        assert!(done.ok(), "{done:?}");
        c
    }
}

/// The answer to one command.
#[derive(Debug)]
pub(super) struct Done {
    /// Untagged responses, literals inlined, CRLF removed from the end.
    pub(super) untagged: Vec<String>,
    /// The tagged status line without the tag.
    pub(super) status: String,
}

impl Done {
    pub(super) fn ok(&self) -> bool {
        self.status.starts_with("OK")
    }

    /// The untagged responses starting with `prefix`.
    pub(super) fn with(&self, prefix: &str) -> Vec<&str> {
        self.untagged
            .iter()
            .filter(|l| l.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }

    pub(super) fn has(&self, line: &str) -> bool {
        self.untagged.iter().any(|l| l == line)
    }
}

pub(super) struct Client {
    stream: BufReader<BoxStream>,
    next: u32,
}

impl Client {
    /// `STARTTLS`, then the handshake.
    pub(super) async fn starttls(self, h: &Harness) -> Self {
        let mut c = self;
        assert_eq!(
            c.cmd("STARTTLS").await.status,
            "OK Begin TLS negotiation now"
        );
        assert!(c.stream.buffer().is_empty());
        let stream = h.tls(c.stream.into_inner()).await;
        Self {
            stream: BufReader::new(stream),
            next: c.next,
        }
    }

    /// One response: a line, with any literals it announces read and inlined.
    pub(super) async fn response(&mut self) -> String {
        let bytes = self.response_bytes().await;
        String::from_utf8_lossy(&bytes).into_owned()
    }

    pub(super) async fn response_bytes(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            timeout(WAIT, self.stream.read_until(b'\n', &mut line))
                .await
                .expect("a response in time")
                .unwrap();
            assert!(!line.is_empty(), "connection closed");
            out.extend_from_slice(&line);
            match literal_length(&line) {
                Some(n) => {
                    let mut data = vec![0; n];
                    timeout(WAIT, self.stream.read_exact(&mut data))
                        .await
                        .expect("literal in time")
                        .unwrap();
                    out.extend_from_slice(&data);
                }
                None => break,
            }
        }
        if out.ends_with(b"\r\n") {
            out.truncate(out.len() - 2);
        }
        out
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).await.unwrap();
    }

    /// Sends `text` with a fresh tag and reads up to its completion.
    pub(super) async fn cmd(&mut self, text: &str) -> Done {
        self.cmd_bytes(text.as_bytes()).await
    }

    pub(super) async fn cmd_bytes(&mut self, text: &[u8]) -> Done {
        self.next += 1;
        let tag = format!("a{}", self.next);
        let mut line = format!("{tag} ").into_bytes();
        line.extend_from_slice(text);
        line.extend_from_slice(b"\r\n");
        self.send(&line).await;
        self.until(&tag).await
    }

    /// Reads responses until the tagged completion of `tag`.
    pub(super) async fn until(&mut self, tag: &str) -> Done {
        let mut untagged = Vec::new();
        loop {
            let response = self.response().await;
            if let Some(status) = response.strip_prefix(&format!("{tag} ")) {
                return Done {
                    untagged,
                    status: status.to_owned(),
                };
            }
            untagged.push(response);
        }
    }

    /// `APPEND mailbox [flags] [date] {n+}` with `message` (LITERAL+).
    pub(super) async fn append(&mut self, head: &str, message: &[u8]) -> Done {
        let mut line = format!("APPEND {head} {{{}+}}\r\n", message.len()).into_bytes();
        line.extend_from_slice(message);
        self.cmd_bytes(&line).await
    }
}

/// The length of the literal a response line announces (`{n}` or `~{n}` at its end).
fn literal_length(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r\n")?;
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&inner[open + 1..]).ok()?.parse().ok()
}

/// Base64 with padding (SASL lines).
pub(super) fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A small MIME message used by several tests.
pub(super) const MULTIPART: &[u8] = b"From: Ann Example <ann@example.test>\r\n\
To: bob@example.test\r\n\
Subject: Report\r\n\
Date: Tue, 3 Feb 2026 10:00:00 +0100\r\n\
Message-ID: <m1@example.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello Bob\r\n\
--b1\r\n\
Content-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAECAw==\r\n\
--b1--\r\n";
