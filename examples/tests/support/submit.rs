//! A mail client for the submission listener, as a user's MUA does it: EHLO, STARTTLS
//! (trusting the installation's certificate), EHLO again, AUTH PLAIN, then messages.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{PASSWORD, Postroom};

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A logged-in submission session over STARTTLS.
pub(crate) struct Submission {
    reader: BufReader<Tls>,
}

impl Submission {
    /// Connects to `server`'s submission port, starts TLS and logs in as `user` (an
    /// address) with the test password; panics if any step is refused.
    pub(crate) fn login(server: &Postroom, user: &str) -> Self {
        let stream = TcpStream::connect(server.submission)
            .unwrap_or_else(|e| panic!("connect to submission: {e}\n{}", server.log()));
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut plain = BufReader::new(stream);
        expect(&read_reply(&mut plain), "220 ");
        write_line(plain.get_mut(), "EHLO client.example");
        let ehlo = read_reply(&mut plain);
        assert!(ehlo.contains("STARTTLS"), "{ehlo}");
        write_line(plain.get_mut(), "STARTTLS");
        expect(&read_reply(&mut plain), "220 ");
        assert!(plain.buffer().is_empty(), "bytes after the 220 to STARTTLS");
        let tls = super::pop3::tls(server, plain.into_inner());
        let mut session = Self {
            reader: BufReader::new(tls),
        };
        let ehlo = session.command("EHLO client.example");
        assert!(ehlo.contains("AUTH PLAIN"), "{ehlo}");
        let auth = session.command(&format!("AUTH PLAIN {}", super::sasl_plain(user, PASSWORD)));
        expect(&auth, "235 ");
        session
    }

    /// Sends a command; returns the whole reply (lines joined by `\n`).
    pub(crate) fn command(&mut self, line: &str) -> String {
        write_line(self.reader.get_mut(), line);
        read_reply(&mut self.reader)
    }

    /// Sends one message (`content` with CRLF line ends, dot-stuffed here) from `from` to
    /// `to`; returns the reply after the data.
    pub(crate) fn send(&mut self, from: &str, to: &[&str], content: &str) -> String {
        expect(&self.command(&format!("MAIL FROM:<{from}>")), "250 ");
        for rcpt in to {
            expect(&self.command(&format!("RCPT TO:<{rcpt}>")), "250 ");
        }
        expect(&self.command("DATA"), "354 ");
        let stuffed = format!("\r\n{content}").replace("\r\n.", "\r\n..");
        let data = format!("{}.\r\n", &stuffed[2..]);
        let stream = self.reader.get_mut();
        stream.write_all(data.as_bytes()).expect("send data");
        stream.flush().expect("flush");
        read_reply(&mut self.reader)
    }

    /// QUIT.
    pub(crate) fn quit(mut self) {
        let _ = self.command("QUIT");
    }
}

fn expect(reply: &str, start: &str) {
    assert!(
        reply.starts_with(start),
        "expected {start:?}, got {reply:?}"
    );
}

fn write_line<W: Write>(stream: &mut W, line: &str) {
    stream
        .write_all(format!("{line}\r\n").as_bytes())
        .expect("send");
    stream.flush().expect("flush");
}

/// One reply, all its lines joined by `\n`; empty if the server closed.
fn read_reply<R: BufRead>(reader: &mut R) -> String {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read a reply") == 0 {
            break;
        }
        let line = line.trim_end().to_owned();
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            break;
        }
    }
    lines.join("\n")
}
