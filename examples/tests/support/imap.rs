//! A raw IMAP client for the tests: tagged commands, responses with their literals, IDLE
//! with a deadline, and delivery of whole messages through the MX.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::{Postroom, connect, pop3::tcp};

/// One server response: its text (literals left as their `{n}` markers) and the literal
/// bytes in order.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// The response without its final CRLF; each literal appears as `{n}` only.
    pub(crate) text: String,
    /// The literals of the response, in order.
    pub(crate) literals: Vec<Vec<u8>>,
    /// Where each literal's `{` is in `text`.
    pub(crate) literal_at: Vec<usize>,
}

/// The untagged responses and the tagged status of one command.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// The untagged (`*`) responses received while the command ran.
    pub(crate) untagged: Vec<Response>,
    /// The tagged status line without the tag, e.g. `OK [READ-WRITE] SELECT completed`.
    pub(crate) status: String,
}

impl Reply {
    /// Whether the status is `OK`.
    pub(crate) fn is_ok(&self) -> bool {
        self.status.starts_with("OK")
    }

    /// The texts of the untagged responses.
    pub(crate) fn lines(&self) -> Vec<&str> {
        self.untagged.iter().map(|r| r.text.as_str()).collect()
    }

    /// Whether an untagged response's text equals `line` (without `* `).
    pub(crate) fn has(&self, line: &str) -> bool {
        self.untagged
            .iter()
            .any(|r| r.text.strip_prefix("* ") == Some(line))
    }

    /// The number in the first untagged `* n WORD` response, e.g. `EXISTS`.
    pub(crate) fn count(&self, word: &str) -> Option<u32> {
        self.untagged.iter().find_map(|r| {
            let rest = r.text.strip_prefix("* ")?;
            let (n, tail) = rest.split_once(' ')?;
            (tail == word).then(|| n.parse().ok()).flatten()
        })
    }

    /// The number after `[CODE ` in any untagged response or the status, e.g. `UIDNEXT`.
    pub(crate) fn code_number(&self, code: &str) -> Option<u64> {
        let marker = format!("[{code} ");
        self.untagged
            .iter()
            .map(|r| r.text.as_str())
            .chain(std::iter::once(self.status.as_str()))
            .find_map(|t| {
                let rest = t.split(&marker).nth(1)?;
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
    }
}

/// An IMAP client over any stream.
pub(crate) struct Imap<S: Read + Write> {
    stream: BufReader<S>,
    tag: u32,
}

impl<S: Read + Write> Imap<S> {
    /// A client on a stream whose greeting has not been read yet.
    pub(crate) fn new(stream: S) -> Self {
        Self {
            stream: BufReader::new(stream),
            tag: 0,
        }
    }

    /// The stream, once no response is left unread (for STARTTLS).
    pub(crate) fn into_stream(self) -> S {
        assert!(
            self.stream.buffer().is_empty(),
            "data after the STARTTLS reply"
        );
        self.stream.into_inner()
    }

    /// The underlying stream.
    pub(crate) fn get_ref(&self) -> &S {
        self.stream.get_ref()
    }

    /// Sends raw bytes.
    pub(crate) fn send_raw(&mut self, bytes: &[u8]) {
        let stream = self.stream.get_mut();
        stream.write_all(bytes).expect("send");
        stream.flush().expect("flush");
    }

    /// Reads one CRLF-terminated line (with its line end); `None` once the server closed.
    fn raw_line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        match self.stream.read_until(b'\n', &mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line)),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads one whole response, literals included; `None` once the server closed.
    pub(crate) fn try_response(&mut self) -> std::io::Result<Option<Response>> {
        let mut text = String::new();
        let mut literals = Vec::new();
        let mut literal_at = Vec::new();
        loop {
            let Some(line) = self.raw_line()? else {
                return Ok(None);
            };
            let line = String::from_utf8_lossy(&line).into_owned();
            let line = line.trim_end_matches(['\r', '\n']);
            let Some((start, size)) = literal_size(line) else {
                text.push_str(line);
                return Ok(Some(Response {
                    text,
                    literals,
                    literal_at,
                }));
            };
            literal_at.push(text.len() + start);
            text.push_str(line);
            let mut literal = vec![0; size];
            self.stream.read_exact(&mut literal)?;
            literals.push(literal);
        }
    }

    /// Reads one whole response; panics if the server closed the connection.
    pub(crate) fn response(&mut self) -> Response {
        match self.try_response() {
            Ok(Some(r)) => r,
            Ok(None) => panic!("the server closed the connection"),
            Err(e) => panic!("reading an IMAP response: {e}"),
        }
    }

    /// Reads the greeting; asserts it is `* OK`.
    pub(crate) fn greeting(&mut self) -> Response {
        let greeting = self.response();
        assert!(greeting.text.starts_with("* OK"), "{}", greeting.text);
        greeting
    }

    /// A fresh tag.
    pub(crate) fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("t{}", self.tag)
    }

    /// Reads responses up to the tagged status of `tag`.
    pub(crate) fn finish(&mut self, tag: &str) -> Reply {
        let prefix = format!("{tag} ");
        let mut untagged = Vec::new();
        for _ in 0..1_000_000 {
            let response = self.response();
            if let Some(status) = response.text.strip_prefix(&prefix) {
                return Reply {
                    untagged,
                    status: status.to_owned(),
                };
            }
            untagged.push(response);
        }
        panic!("no tagged reply for {tag}");
    }

    /// Sends a command and returns its reply.
    pub(crate) fn command(&mut self, command: &str) -> Reply {
        let tag = self.next_tag();
        self.send_raw(format!("{tag} {command}\r\n").as_bytes());
        self.finish(&tag)
    }

    /// Sends a command and asserts its reply is `OK`.
    pub(crate) fn ok(&mut self, command: &str) -> Reply {
        let reply = self.command(command);
        assert!(reply.is_ok(), "{command} -> {reply:?}");
        reply
    }

    /// `LOGIN user password` (quoted), asserted `OK`.
    pub(crate) fn login(&mut self, user: &str, password: &str) -> Reply {
        self.ok(&format!("LOGIN \"{user}\" \"{password}\""))
    }

    /// The capabilities from `CAPABILITY`.
    pub(crate) fn capabilities(&mut self) -> Vec<String> {
        let reply = self.ok("CAPABILITY");
        reply
            .untagged
            .iter()
            .find_map(|r| r.text.strip_prefix("* CAPABILITY "))
            .expect("* CAPABILITY")
            .split(' ')
            .map(str::to_owned)
            .collect()
    }

    /// `APPEND mailbox (flags) [date] {n}` with a synchronizing literal.
    pub(crate) fn append(
        &mut self,
        mailbox: &str,
        flags: &str,
        date: &str,
        message: &[u8],
    ) -> Reply {
        let tag = self.next_tag();
        let date = if date.is_empty() {
            String::new()
        } else {
            format!(" \"{date}\"")
        };
        let head = format!(
            "{tag} APPEND {mailbox} ({flags}){date} {{{}}}\r\n",
            message.len()
        );
        self.send_raw(head.as_bytes());
        let go = self.response();
        // The server may refuse the literal at once (e.g. NO [OVERQUOTA], [TOOBIG]).
        if let Some(status) = go.text.strip_prefix(&format!("{tag} ")) {
            return Reply {
                untagged: Vec::new(),
                status: status.to_owned(),
            };
        }
        assert!(go.text.starts_with('+'), "APPEND: {}", go.text);
        self.send_raw(message);
        self.send_raw(b"\r\n");
        self.finish(&tag)
    }

    /// Starts IDLE; returns the tag for [`Imap::done`].
    pub(crate) fn idle(&mut self) -> String {
        let tag = self.next_tag();
        self.send_raw(format!("{tag} IDLE\r\n").as_bytes());
        let go = self.response();
        assert!(go.text.starts_with("+ "), "IDLE: {}", go.text);
        tag
    }

    /// Ends IDLE; returns the responses that came before the tagged `OK`.
    pub(crate) fn done(&mut self, tag: &str) -> Reply {
        self.send_raw(b"DONE\r\n");
        let reply = self.finish(tag);
        assert!(reply.is_ok(), "IDLE -> {reply:?}");
        reply
    }
}

impl Imap<TcpStream> {
    /// Waits until an untagged response satisfying `wanted` arrives, at most `limit`;
    /// returns it and the time it took, or `None` after `limit` (other responses that
    /// arrive meanwhile are skipped).
    pub(crate) fn wait_for(
        &mut self,
        limit: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<(Response, Duration)> {
        let start = Instant::now();
        let deadline = start + limit;
        let mut found = None;
        while found.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.stream
                .get_ref()
                .set_read_timeout(Some(left))
                .expect("timeout");
            match self.try_response() {
                Ok(Some(r)) if wanted(&r.text) => found = Some((r, start.elapsed())),
                Ok(Some(_)) => {}
                Ok(None) => panic!("the server closed the connection"),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                Err(e) => panic!("reading an IMAP response: {e}"),
            }
        }
        self.stream
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        found
    }
}

/// Where the literal announced at the end of `line` (`{n}`, `{n+}` or `~{n}`) starts,
/// and its size.
fn literal_size(line: &str) -> Option<(usize, usize)> {
    let open = line.strip_suffix('}')?;
    let start = open.rfind('{')?;
    let digits = open[start + 1..].trim_end_matches('+');
    Some((start, digits.parse().ok()?))
}

/// A plain connection to the IMAP listener, greeting read.
pub(crate) fn imap(server: &Postroom) -> Imap<TcpStream> {
    let mut client = Imap::new(tcp(server.imap));
    client.greeting();
    client
}

/// A plain connection, logged in as `user` (local part) with SELECT INBOX done.
pub(crate) fn selected(server: &Postroom, user: &str) -> (Imap<TcpStream>, Reply) {
    let mut client = imap(server);
    client.login(&format!("{user}@{}", super::DOMAIN), super::PASSWORD);
    let select = client.ok("SELECT INBOX");
    (client, select)
}

/// Delivers `message` (headers and body, CRLF line ends) to `to` through the MX at
/// `mx`, unchanged apart from the trace headers the server adds.
pub(crate) fn deliver_raw(mx: SocketAddr, to: &str, message: &str) {
    let mut smtp = connect(mx);
    assert!(smtp.reply().starts_with("220 "));
    assert!(smtp.command("EHLO client.example").starts_with("250 "));
    assert!(
        smtp.command("MAIL FROM:<a@elsewhere.example>")
            .starts_with("250 ")
    );
    let rcpt = smtp.command(&format!("RCPT TO:<{to}>"));
    assert!(rcpt.starts_with("250 "), "{rcpt}");
    assert!(smtp.command("DATA").starts_with("354 "));
    let stuffed = format!("\r\n{message}").replace("\r\n.", "\r\n..");
    let data = stuffed.strip_prefix("\r\n").unwrap_or(&stuffed);
    let end = if data.ends_with("\r\n") { "" } else { "\r\n" };
    smtp.send(&format!("{data}{end}.\r\n"));
    let done = smtp.reply();
    assert!(done.starts_with("250 "), "{done}");
    assert!(smtp.command("QUIT").starts_with("221 "));
}

/// The string value following `item` (e.g. `BODY[]`, `BINARY[1]`) in a FETCH
/// response: a literal, a quoted string or NIL (empty).
pub(crate) fn fetched(response: &Response, item: &str) -> Vec<u8> {
    let literal = response.literal_at.iter().position(|&at| {
        let before = response.text[..at].trim_end_matches('~').trim_end();
        before.ends_with(item)
    });
    if let Some(index) = literal {
        return response.literals[index].clone();
    }
    let marker = format!("{item} ");
    let Some(at) = response.text.find(&marker) else {
        panic!("no {item} in {}", response.text);
    };
    let rest = &response.text[at + marker.len()..];
    if rest.starts_with("NIL") {
        return Vec::new();
    }
    let Some(quoted) = rest.strip_prefix('"') else {
        panic!("{item} is neither a string nor NIL in {}", response.text);
    };
    let mut value = Vec::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return value,
            '\\' => {
                let escaped = chars.next().expect("escaped character");
                value.extend_from_slice(escaped.to_string().as_bytes());
            }
            c => value.extend_from_slice(c.to_string().as_bytes()),
        }
    }
    panic!("unterminated string for {item} in {}", response.text);
}

/// The FETCH responses of a reply, by sequence number.
pub(crate) fn fetches(reply: &Reply) -> Vec<(u32, &Response)> {
    reply
        .untagged
        .iter()
        .filter_map(|r| {
            let rest = r.text.strip_prefix("* ")?;
            let (n, tail) = rest.split_once(' ')?;
            tail.starts_with("FETCH (")
                .then(|| Some((n.parse().ok()?, r)))
                .flatten()
        })
        .collect()
}

/// The value of a FETCH item that is an atom or number, e.g. `UID`, `RFC822.SIZE`.
pub(crate) fn item<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    let text = response.text.as_str();
    let marker = format!("{name} ");
    let mut from = 0;
    while let Some(found) = text[from..].find(&marker) {
        let at = from + found;
        let boundary = at == 0 || matches!(text.as_bytes()[at - 1], b'(' | b' ');
        if boundary {
            let rest = &text[at + marker.len()..];
            let end = rest.find([' ', ')']).unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
        from = at + marker.len();
    }
    None
}

/// The FLAGS list of a FETCH response, sorted, without `\Recent`.
pub(crate) fn flags(response: &Response) -> Vec<String> {
    let Some(rest) = response.text.split("FLAGS (").nth(1) else {
        return Vec::new();
    };
    let list = rest.split(')').next().unwrap_or_default();
    let mut flags: Vec<String> = list
        .split(' ')
        .filter(|f| !f.is_empty() && *f != "\\Recent")
        .map(str::to_owned)
        .collect();
    flags.sort();
    flags
}
