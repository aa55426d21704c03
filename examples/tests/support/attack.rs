//! Helpers for the attack suites: a server with a ManageSieve listener and a chosen idle
//! timeout, a raw byte client that reads without buffering ahead (so a STARTTLS upgrade
//! sees every byte the server sent), connections from another loopback address, and the
//! check each case ends with: the server still serves and never panicked.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::{DOMAIN, Options, PASSWORD, Postroom, connect, free_port, pop3};

/// A TLS client stream over TCP.
pub(crate) type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A started server and its ManageSieve listener.
pub(crate) struct Target {
    /// The server (its other listeners are in here).
    pub(crate) server: Postroom,
    /// The ManageSieve listener (STARTTLS when TLS is on).
    pub(crate) sieve: SocketAddr,
}

/// Sets up a server as `options` says, adds a ManageSieve listener, sets the idle
/// timeout to `idle_timeout_secs` if given, and starts it.
pub(crate) fn start(options: &Options, idle_timeout_secs: Option<u64>) -> Target {
    let mut server = Postroom::setup(options);
    let sieve = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut toml = std::fs::read_to_string(&server.config).expect("read config");
    toml = toml.replacen(
        "[listeners]\n",
        &format!("[listeners]\nmanagesieve = [\"{sieve}\"]\n"),
        1,
    );
    if let Some(secs) = idle_timeout_secs {
        toml = toml.replacen(
            "idle_timeout_secs = 60\n",
            &format!("idle_timeout_secs = {secs}\n"),
            1,
        );
    }
    std::fs::write(&server.config, toml).expect("write config");
    server.start();
    Target { server, sieve }
}

/// Starts a default server (TLS on, plaintext login allowed on loopback).
pub(crate) fn start_default() -> Target {
    start(&Options::default(), None)
}

/// Starts a server that refuses plaintext logins on loopback too, as on a public
/// address: logins need TLS first.
pub(crate) fn start_tls_only() -> Target {
    let options = Options {
        plaintext_on_loopback: false,
        ..Options::default()
    };
    start(&options, None)
}

impl Target {
    /// Asserts the server never panicked and still serves: the MX delivers a message to
    /// `pat` (checked in the Maildir) and an IMAP login works.
    pub(crate) fn assert_still_serving(&self) {
        self.assert_no_panic();
        let before = self.server.inbox("pat").len();
        super::imap::deliver_raw(
            self.server.mx,
            &format!("pat@{DOMAIN}"),
            "Subject: still alive\r\n\r\nhello\r\n",
        );
        let inbox = self.server.inbox("pat");
        assert_eq!(inbox.len(), before + 1, "{}", self.server.log());
        assert!(inbox.iter().any(|m| m.contains("Subject: still alive")));
        let mut imap = super::imap::imap(&self.server);
        imap.login(&format!("pat@{DOMAIN}"), PASSWORD);
        imap.ok("LOGOUT");
        self.assert_no_panic();
    }

    /// Asserts the server log shows no panic.
    pub(crate) fn assert_no_panic(&self) {
        let log = self.server.log();
        assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    }

    /// The messages in `pat`'s INBOX.
    pub(crate) fn pat_inbox(&self) -> Vec<String> {
        self.server.inbox("pat")
    }
}

/// What a wait for more data from the server saw.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Quiet {
    /// Nothing arrived.
    Silent,
    /// The server closed the connection.
    Closed,
    /// These bytes arrived.
    Data(Vec<u8>),
}

/// A stream whose TCP socket can be reached (for read timeouts).
pub(crate) trait Socket: Read + Write {
    /// The TCP socket.
    fn socket(&self) -> &TcpStream;
}

impl Socket for TcpStream {
    fn socket(&self) -> &TcpStream {
        self
    }
}

impl Socket for TlsStream {
    fn socket(&self) -> &TcpStream {
        &self.sock
    }
}

/// A byte-level client that never reads past the end of the line it wants.
pub(crate) struct Raw<S: Socket> {
    /// The stream.
    pub(crate) stream: S,
}

impl Raw<TcpStream> {
    /// Connects to `addr` from 127.0.0.1.
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        Self::wrap(TcpStream::connect(addr).expect("connect"))
    }

    /// Connects to `addr` from the loopback address `source` (e.g. 127.0.0.2).
    pub(crate) fn connect_from(source: IpAddr, addr: SocketAddr) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("runtime");
        let stream = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket
                .bind(SocketAddr::new(source, 0))
                .expect("bind source");
            socket.connect(addr).await.expect("connect")
        });
        let stream = stream.into_std().expect("std stream");
        stream.set_nonblocking(false).expect("blocking");
        Self::wrap(stream)
    }

    fn wrap(stream: TcpStream) -> Self {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        Self { stream }
    }

    /// Upgrades to TLS (after a positive STARTTLS/STLS reply) and completes the
    /// handshake.
    pub(crate) fn into_tls(self, server: &Postroom) -> Raw<TlsStream> {
        let mut tls = pop3::tls(server, self.stream);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock).expect("TLS handshake");
        }
        Raw { stream: tls }
    }
}

impl<S: Socket> Raw<S> {
    /// Sends raw bytes in one write.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
        self.stream.flush().expect("flush");
    }

    /// Sends `bytes` as separate writes of at most `size` bytes, pausing between them
    /// so each lands in its own TCP segment.
    pub(crate) fn send_in_pieces(&mut self, bytes: &[u8], size: usize) {
        for piece in bytes.chunks(size.max(1)) {
            self.send(piece);
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// Reads one line (up to and including LF), returned without its line end; empty
    /// once the server closed the connection.
    pub(crate) fn line(&mut self) -> String {
        let mut line = Vec::new();
        let mut byte = [0u8];
        while line.len() < 1_000_000 {
            match self.stream.read(&mut byte) {
                Ok(0) => break,
                Ok(_) => {
                    line.push(byte[0]);
                    if byte[0] == b'\n' {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => panic!("reading a line: {e}"),
            }
        }
        String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned()
    }

    /// Reads an SMTP reply; returns its last line (empty if the server closed).
    pub(crate) fn smtp_reply(&mut self) -> String {
        loop {
            let line = self.line();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    }

    /// Sends an SMTP command line and returns the last line of its reply.
    pub(crate) fn smtp(&mut self, command: &str) -> String {
        self.send(format!("{command}\r\n").as_bytes());
        self.smtp_reply()
    }

    /// Sends a line (CRLF added) and reads one line back.
    pub(crate) fn cmd(&mut self, command: &str) -> String {
        self.send(format!("{command}\r\n").as_bytes());
        self.line()
    }

    /// Reads lines until one starts with `prefix` (bounded); returns it.
    pub(crate) fn until(&mut self, prefix: &str) -> String {
        for _ in 0..10_000 {
            let line = self.line();
            if line.starts_with(prefix) || line.is_empty() {
                return line;
            }
        }
        panic!("no line starting with {prefix:?}");
    }

    /// Waits `wait` for anything from the server.
    pub(crate) fn quiet_for(&mut self, wait: Duration) -> Quiet {
        self.stream
            .socket()
            .set_read_timeout(Some(wait))
            .expect("timeout");
        let mut buf = [0u8; 4096];
        let outcome = match self.stream.read(&mut buf) {
            Ok(0) => Quiet::Closed,
            Ok(n) => Quiet::Data(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Quiet::Silent
            }
            Err(_) => Quiet::Closed,
        };
        self.stream
            .socket()
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        outcome
    }

    /// Waits (at most `limit`) until the server closes the connection, discarding what
    /// it sends; returns how long that took, `None` if it stayed open.
    pub(crate) fn closed_within(&mut self, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            match self.quiet_for(Duration::from_millis(200)) {
                Quiet::Closed => return Some(start.elapsed()),
                Quiet::Silent | Quiet::Data(_) => {}
            }
        }
        None
    }
}

/// A plain MX connection, greeted and past EHLO.
pub(crate) fn mx_session(target: &Target) -> Raw<TcpStream> {
    let mut mx = Raw::connect(target.server.mx);
    assert!(mx.smtp_reply().starts_with("220 "));
    assert!(mx.smtp("EHLO client.example").starts_with("250 "));
    mx
}

/// An SMTP line client on the MX that can still do a whole transaction (used to show a
/// normal session works after an attack on another connection).
pub(crate) fn deliver_normal(target: &Target, subject: &str) {
    let mut mx = connect(target.server.mx);
    assert!(mx.reply().starts_with("220 "));
    assert!(mx.command("EHLO client.example").starts_with("250 "));
    assert!(
        mx.command("MAIL FROM:<a@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(
        mx.command(&format!("RCPT TO:<pat@{DOMAIN}>"))
            .starts_with("250 ")
    );
    assert!(mx.command("DATA").starts_with("354 "));
    mx.send(&format!("Subject: {subject}\r\n\r\nbody\r\n.\r\n"));
    let done = mx.reply();
    assert!(done.starts_with("250 "), "{done}");
    assert!(mx.command("QUIT").starts_with("221 "));
}
