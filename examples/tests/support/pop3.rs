//! A POP3 client for the tests, and helpers around it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Postroom, connect};

/// A POP3 client over any stream.
pub(crate) struct Pop3<S: Read + Write> {
    /// The buffered stream.
    pub(crate) stream: BufReader<S>,
}

impl<S: Read + Write> Pop3<S> {
    pub(crate) fn new(stream: S) -> Self {
        Self {
            stream: BufReader::new(stream),
        }
    }

    /// One line without CRLF; empty once the server closed the connection.
    pub(crate) fn line(&mut self) -> String {
        let mut line = String::new();
        match self.stream.read_line(&mut line) {
            Ok(_) => line.trim_end().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => String::new(),
            Err(e) => panic!("reading a POP3 reply: {e}"),
        }
    }

    pub(crate) fn send(&mut self, text: &str) {
        let stream = self.stream.get_mut();
        stream.write_all(format!("{text}\r\n").as_bytes()).unwrap();
        stream.flush().unwrap();
    }

    pub(crate) fn cmd(&mut self, text: &str) -> String {
        self.send(text);
        self.line()
    }

    /// The body of a multi-line response, dot-unstuffed, CRLFs kept.
    pub(crate) fn body(&mut self, text: &str) -> Vec<u8> {
        let status = self.cmd(text);
        assert!(status.starts_with("+OK"), "{text}: {status}");
        let mut body = Vec::new();
        loop {
            let mut line = Vec::new();
            assert!(self.stream.read_until(b'\n', &mut line).unwrap() > 0);
            if line == b".\r\n" {
                return body;
            }
            body.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
        }
    }

    pub(crate) fn login(&mut self, user: &str, password: &str) -> String {
        let reply = self.cmd(&format!("USER {user}"));
        if !reply.starts_with("+OK") {
            return reply;
        }
        self.cmd(&format!("PASS {password}"))
    }
}

/// Connects to a listener that may still be coming up.
pub(crate) fn tcp(addr: SocketAddr) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(addr) {
            Ok(stream) => {
                stream
                    .set_read_timeout(Some(Duration::from_secs(20)))
                    .unwrap();
                return stream;
            }
            Err(e) => assert!(Instant::now() < deadline, "connect {addr}: {e}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn pop3(server: &Postroom) -> Pop3<TcpStream> {
    let mut client = Pop3::new(tcp(server.pop3));
    let greeting = client.line();
    assert!(greeting.starts_with("+OK "), "{greeting}");
    client
}

/// Delivers a message with `body` (CRLF line ends) to `to` through the MX.
pub(crate) fn deliver(server: &Postroom, to: &str, body: &str) {
    let mut mx = connect(server.mx);
    assert!(mx.reply().starts_with("220 "));
    assert!(mx.command("EHLO client.example").starts_with("250 "));
    assert!(
        mx.command("MAIL FROM:<a@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(mx.command(&format!("RCPT TO:<{to}>")).starts_with("250 "));
    assert!(mx.command("DATA").starts_with("354 "));
    // Dot-stuffed, so the stored message has `body` as given.
    let stuffed = format!("\r\n{body}").replace("\r\n.", "\r\n..");
    mx.send(&format!("Subject: test\r\n{stuffed}\r\n.\r\n"));
    assert!(mx.reply().starts_with("250 "));
    assert!(mx.command("QUIT").starts_with("221 "));
}

/// A rustls client that trusts the installation's self-signed certificate.
pub(crate) fn tls(
    server: &Postroom,
    stream: TcpStream,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(server.cert.as_ref().unwrap()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "mx.example.test".try_into().unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    rustls::StreamOwned::new(conn, stream)
}

pub(crate) fn capa<S: Read + Write>(client: &mut Pop3<S>) -> Vec<String> {
    assert!(client.cmd("CAPA").starts_with("+OK"));
    let mut lines = Vec::new();
    loop {
        let line = client.line();
        if line == "." || line.is_empty() {
            return lines;
        }
        lines.push(line);
    }
}
