//! The POP3 client state machine (Sans-IO).
//!
//! [`Client`] never touches a socket or a clock. The application (the "driver") moves
//! bytes and time in and out:
//!
//! - [`Client::handle_input`] with every byte read from the server (any split is fine);
//! - [`Client::handle_timeout`] with the current time, whenever the driver wakes up and
//!   when the instant of [`Client::poll_timeout`] is reached;
//! - [`Client::poll_output`] after every input, timeout or method call, draining it until
//!   [`Output::NeedInput`]: write [`Output::Transmit`] bytes to the server in order, and
//!   act on [`Output::Event`]s.
//!
//! The client waits for the greeting ([`Event::Greeting`]), then the application issues
//! one command at a time with a method ([`Client::capa`], [`Client::stls`],
//! [`Client::login`], [`Client::apop`], [`Client::auth`], [`Client::stat`],
//! [`Client::list`], [`Client::uidl`], [`Client::retr`], [`Client::top`],
//! [`Client::dele`], [`Client::noop`], [`Client::rset`], [`Client::quit`], ...). Each
//! command ends with [`Event::Completed`] or [`Event::Failed`], after its data events;
//! then the next one may be issued. Methods called at the wrong moment return
//! [`ClientError::InvalidState`] and change nothing.
//!
//! Message content (RETR, TOP) is un-dot-stuffed and streamed as
//! [`Event::MessageChunk`]; listings are parsed line by line, each line bounded by
//! [`Config::max_line_length`]. Anything the server sends that is not a valid, expected
//! response, and every timeout, ends the session with [`Event::Error`] then
//! [`Event::Closed`]; the client never panics on input.
//!
//! ```
//! use pop3_proto::client::{Client, Config, Event, Output};
//! use std::time::Instant;
//!
//! let mut client = Client::new(Config::default(), Instant::now());
//! client.handle_input(b"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n");
//! let mut events = Vec::new();
//! let mut drain = |client: &mut Client, events: &mut Vec<Event>, sent: &mut Vec<u8>| loop {
//!     match client.poll_output() {
//!         Output::Transmit(bytes) => sent.extend_from_slice(&bytes),
//!         Output::Event(event) => events.push(event),
//!         Output::NeedInput => break,
//!     }
//! };
//! let mut sent = Vec::new();
//! drain(&mut client, &mut events, &mut sent);
//! client.apop("mrose", b"tanstaaf").unwrap();
//! drain(&mut client, &mut events, &mut sent);
//! assert_eq!(sent, b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
//! client.handle_input(b"+OK maildrop has 1 message\r\n");
//! drain(&mut client, &mut events, &mut sent);
//! assert!(client.in_transaction());
//! ```

mod config;
mod error;
mod event;

pub use config::Config;
pub use error::ClientError;
pub use event::{Event, Output};

use std::borrow::Cow;
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::time::Instant;

use bytes::{Buf, BytesMut};
use memchr::memchr;

use crate::codec::{LineFrame, MultilineDecoder, encode_command, frame_line, parse_response_line};
use crate::types::{
    ApopDigest, Capabilities, Capability, Command, CommandKind, Password, Response, SaslData,
    Status, apop_timestamp,
};

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Authorization,
    Transaction,
    TlsHandshake,
    Closed,
}

impl Phase {
    const fn name(self) -> &'static str {
        match self {
            Self::Greeting => "waiting for the greeting",
            Self::Authorization => "in AUTHORIZATION state",
            Self::Transaction => "in TRANSACTION state",
            Self::TlsHandshake => "waiting for the TLS handshake",
            Self::Closed => "closed",
        }
    }
}

/// What is being read for the command in flight.
#[derive(Debug)]
enum Read {
    /// The status line.
    Status,
    /// The application owes an answer to an AUTH challenge.
    Challenge,
    /// A multi-line body after `+OK`.
    Body {
        decoder: MultilineDecoder,
        status: Status<'static>,
        /// Un-stuffed bytes of an incomplete listing line.
        partial: BytesMut,
        capabilities: Vec<Capability>,
    },
}

/// The command in flight.
#[derive(Debug)]
struct Inflight {
    kind: CommandKind,
    /// For LIST/UIDL/LANG: whether the answer is multi-line (no argument given).
    multiline: bool,
    /// For USER: the PASS command to send after `+OK`.
    then_pass: Option<BytesMut>,
    read: Read,
}

/// A POP3 client session. See the [module documentation](self) for the contract.
#[derive(Debug)]
pub struct Client {
    config: Config,
    phase: Phase,
    inflight: Option<Inflight>,
    input: BytesMut,
    outputs: VecDeque<Output>,
    timestamp: Option<String>,
    tls: bool,
    clock: Instant,
    anchor: Instant,
}

impl Client {
    /// A client waiting for the server's greeting.
    pub fn new(config: Config, now: Instant) -> Self {
        Self {
            config,
            phase: Phase::Greeting,
            inflight: None,
            input: BytesMut::new(),
            outputs: VecDeque::new(),
            timestamp: None,
            tls: false,
            clock: now,
            anchor: now,
        }
    }

    /// Whether the client is logged in (TRANSACTION state).
    pub fn in_transaction(&self) -> bool {
        self.phase == Phase::Transaction
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether the session runs over TLS (after [`Client::tls_established`]).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether a command may be issued now.
    pub fn is_ready(&self) -> bool {
        self.inflight.is_none() && matches!(self.phase, Phase::Authorization | Phase::Transaction)
    }

    /// The APOP timestamp of the greeting, if any.
    pub fn apop_timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// Bytes from the server. Ignored once the session is closed.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || self.phase == Phase::Closed {
            return;
        }
        self.anchor = self.clock;
        self.input.extend_from_slice(bytes);
    }

    /// Tells the client the time; a response that is overdue ends the session.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            let waiting_for = self.waiting_for();
            self.fatal(ClientError::Timeout { waiting_for });
        }
    }

    /// When [`Client::handle_timeout`] should be called next, if a response is awaited.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let waiting = match self.phase {
            Phase::Greeting => true,
            Phase::Closed | Phase::TlsHandshake => false,
            Phase::Authorization | Phase::Transaction => self
                .inflight
                .as_ref()
                .is_some_and(|i| !matches!(i.read, Read::Challenge)),
        };
        if waiting {
            self.anchor.checked_add(self.config.reply_timeout)
        } else {
            None
        }
    }

    fn waiting_for(&self) -> &'static str {
        match self.inflight.as_ref().map(|i| i.kind) {
            None => "the greeting",
            Some(CommandKind::Retr | CommandKind::Top) => "message content",
            Some(_) => "a response",
        }
    }

    /// The next output; see the module docs.
    pub fn poll_output(&mut self) -> Output {
        loop {
            if let Some(output) = self.outputs.pop_front() {
                return output;
            }
            if !self.step() {
                return self.outputs.pop_front().unwrap_or(Output::NeedInput);
            }
        }
    }

    // ----- application calls -----

    /// Asks for the capability list (RFC 2449): [`Event::Capabilities`].
    pub fn capa(&mut self) -> Result<(), ClientError> {
        self.issue("capa", &Command::Capa, Phase::Authorization, true)
    }

    /// Asks for TLS (RFC 2595): [`Event::StartTls`] on success.
    pub fn stls(&mut self) -> Result<(), ClientError> {
        self.issue("stls", &Command::Stls, Phase::Authorization, false)
    }

    /// Turns on UTF-8 mode (RFC 6856).
    pub fn utf8(&mut self) -> Result<(), ClientError> {
        self.issue("utf8", &Command::Utf8, Phase::Authorization, false)
    }

    /// `LANG`: lists the languages ([`Event::Language`]) without an argument, or selects
    /// one.
    pub fn lang(&mut self, range: Option<&str>) -> Result<(), ClientError> {
        if range.is_some_and(|r| r.is_empty() || r.bytes().any(|b| b <= b' ')) {
            return Err(ClientError::InvalidArgument("invalid language range"));
        }
        let command = Command::Lang(range.map(Cow::Borrowed));
        self.issue_with("lang", &command, true, range.is_none(), None)
    }

    /// Logs in with USER and PASS; PASS is sent after USER's `+OK`.
    pub fn login(&mut self, user: &str, password: &[u8]) -> Result<(), ClientError> {
        check_text(user.as_bytes(), "user name")?;
        check_text(password, "password")?;
        let mut pass = BytesMut::new();
        encode_command(&Command::Pass(Password::new(password)), &mut pass);
        self.check_ready("login", Phase::Authorization, false)?;
        self.send(
            &Command::User(Cow::Borrowed(user)),
            CommandKind::User,
            false,
        );
        if let Some(inflight) = &mut self.inflight {
            inflight.then_pass = Some(pass);
        }
        Ok(())
    }

    /// Logs in with APOP, computing the digest from the greeting's timestamp and `secret`.
    pub fn apop(&mut self, user: &str, secret: &[u8]) -> Result<(), ClientError> {
        if user.is_empty() || user.bytes().any(|b| b <= b' ') {
            return Err(ClientError::InvalidArgument(
                "APOP names cannot contain spaces",
            ));
        }
        self.check_ready("apop", Phase::Authorization, false)?;
        let timestamp = self
            .timestamp
            .as_deref()
            .ok_or(ClientError::NoApopTimestamp)?;
        let digest = ApopDigest::compute(timestamp, secret);
        let command = Command::Apop {
            name: Cow::Borrowed(user),
            digest,
        };
        self.issue("apop", &command, Phase::Authorization, false)
    }

    /// Starts AUTH (RFC 5034) with `mechanism` and an optional initial response (raw
    /// bytes; the client encodes them). Challenges arrive as [`Event::AuthChallenge`].
    pub fn auth(
        &mut self,
        mechanism: &str,
        initial_response: Option<&[u8]>,
    ) -> Result<(), ClientError> {
        let valid = !mechanism.is_empty()
            && mechanism.len() <= 20
            && mechanism
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(ClientError::InvalidArgument("invalid SASL mechanism name"));
        }
        let command = Command::Auth {
            mechanism: Cow::Owned(mechanism.to_ascii_uppercase()),
            initial_response: initial_response.map(|r| SaslData(r.to_vec())),
        };
        self.issue("auth", &command, Phase::Authorization, false)
    }

    /// Answers an [`Event::AuthChallenge`] with `data` (raw bytes; the client encodes them).
    pub fn auth_respond(&mut self, data: &[u8]) -> Result<(), ClientError> {
        self.challenge_answer("auth_respond")?;
        let mut line = BytesMut::new();
        crate::codec::encode_response(&Response::Continue(SaslData(data.to_vec())), &mut line);
        // A client response is the bare base64 line: drop the "+ " of the encoder.
        line.advance(2);
        self.transmit(line);
        Ok(())
    }

    /// Cancels the exchange after an [`Event::AuthChallenge`] (`*`); the server answers
    /// `-ERR`, reported as [`Event::Failed`].
    pub fn auth_cancel(&mut self) -> Result<(), ClientError> {
        self.challenge_answer("auth_cancel")?;
        self.transmit(BytesMut::from(&b"*\r\n"[..]));
        Ok(())
    }

    fn challenge_answer(&mut self, operation: &'static str) -> Result<(), ClientError> {
        match &mut self.inflight {
            Some(i) if matches!(i.read, Read::Challenge) => {
                i.read = Read::Status;
                self.anchor = self.clock;
                Ok(())
            }
            _ => Err(self.invalid_state(operation)),
        }
    }

    /// `STAT`: [`Event::Stat`].
    pub fn stat(&mut self) -> Result<(), ClientError> {
        self.issue("stat", &Command::Stat, Phase::Transaction, false)
    }

    /// `LIST [msg]`: one [`Event::ListEntry`] per message (or for `msg`).
    pub fn list(&mut self, msg: Option<NonZeroU32>) -> Result<(), ClientError> {
        self.check_ready("list", Phase::Transaction, false)?;
        self.send(&Command::List(msg), CommandKind::List, msg.is_none());
        Ok(())
    }

    /// `UIDL [msg]`: one [`Event::UidlEntry`] per message (or for `msg`).
    pub fn uidl(&mut self, msg: Option<NonZeroU32>) -> Result<(), ClientError> {
        self.check_ready("uidl", Phase::Transaction, false)?;
        self.send(&Command::Uidl(msg), CommandKind::Uidl, msg.is_none());
        Ok(())
    }

    /// `RETR msg`: the message as [`Event::MessageChunk`]s.
    pub fn retr(&mut self, msg: NonZeroU32) -> Result<(), ClientError> {
        self.issue("retr", &Command::Retr(msg), Phase::Transaction, true)
    }

    /// `TOP msg lines`: the header and `lines` body lines as [`Event::MessageChunk`]s.
    pub fn top(&mut self, msg: NonZeroU32, lines: u32) -> Result<(), ClientError> {
        self.issue(
            "top",
            &Command::Top { msg, lines },
            Phase::Transaction,
            true,
        )
    }

    /// `DELE msg`.
    pub fn dele(&mut self, msg: NonZeroU32) -> Result<(), ClientError> {
        self.issue("dele", &Command::Dele(msg), Phase::Transaction, false)
    }

    /// `NOOP`.
    pub fn noop(&mut self) -> Result<(), ClientError> {
        self.issue("noop", &Command::Noop, Phase::Transaction, false)
    }

    /// `RSET`.
    pub fn rset(&mut self) -> Result<(), ClientError> {
        self.issue("rset", &Command::Rset, Phase::Transaction, false)
    }

    /// `QUIT`: in TRANSACTION the server commits deletions; [`Event::Completed`] (or
    /// [`Event::Failed`] if some deletions failed), then [`Event::Closed`].
    pub fn quit(&mut self) -> Result<(), ClientError> {
        self.issue_with("quit", &Command::Quit, true, false, None)
    }

    /// The TLS handshake after [`Event::StartTls`] is done; the client is in
    /// AUTHORIZATION and ready again.
    pub fn tls_established(&mut self) -> Result<(), ClientError> {
        if self.phase != Phase::TlsHandshake {
            return Err(self.invalid_state("tls_established"));
        }
        self.phase = Phase::Authorization;
        self.tls = true;
        Ok(())
    }

    fn invalid_state(&self, operation: &'static str) -> ClientError {
        let state = if self.inflight.is_some() && self.phase != Phase::Closed {
            "waiting for a response"
        } else {
            self.phase.name()
        };
        ClientError::InvalidState { operation, state }
    }

    fn check_ready(
        &self,
        operation: &'static str,
        phase: Phase,
        any_phase: bool,
    ) -> Result<(), ClientError> {
        let phase_ok = if any_phase {
            matches!(self.phase, Phase::Authorization | Phase::Transaction)
        } else {
            self.phase == phase
        };
        if self.inflight.is_some() || !phase_ok {
            return Err(self.invalid_state(operation));
        }
        Ok(())
    }

    fn issue(
        &mut self,
        operation: &'static str,
        command: &Command<'_>,
        phase: Phase,
        multiline: bool,
    ) -> Result<(), ClientError> {
        self.check_ready(operation, phase, command.kind() == CommandKind::Capa)?;
        self.send(command, command.kind(), multiline);
        Ok(())
    }

    fn issue_with(
        &mut self,
        operation: &'static str,
        command: &Command<'_>,
        any_phase: bool,
        multiline: bool,
        then_pass: Option<BytesMut>,
    ) -> Result<(), ClientError> {
        self.check_ready(operation, self.phase, any_phase)?;
        self.send(command, command.kind(), multiline);
        if let Some(i) = &mut self.inflight {
            i.then_pass = then_pass;
        }
        Ok(())
    }

    fn send(&mut self, command: &Command<'_>, kind: CommandKind, multiline: bool) {
        let mut line = BytesMut::new();
        encode_command(command, &mut line);
        self.transmit(line);
        self.inflight = Some(Inflight {
            kind,
            multiline,
            then_pass: None,
            read: Read::Status,
        });
        self.anchor = self.clock;
    }

    fn transmit(&mut self, bytes: BytesMut) {
        self.outputs.push_back(Output::Transmit(bytes.freeze()));
    }

    fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn fatal(&mut self, error: ClientError) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.inflight = None;
        self.input.clear();
        self.event(Event::Error(error));
        self.event(Event::Closed);
    }

    // ----- reading -----

    /// Makes one step of progress on buffered input; false if more is needed.
    fn step(&mut self) -> bool {
        if self.input.is_empty() {
            return false;
        }
        match self.phase {
            Phase::Closed => false,
            Phase::TlsHandshake => {
                self.fatal(ClientError::DataBeforeTls);
                true
            }
            Phase::Greeting => self.read_status(),
            Phase::Authorization | Phase::Transaction => match &self.inflight {
                None => {
                    self.fatal(ClientError::UnexpectedData);
                    true
                }
                Some(i) => match i.read {
                    Read::Status => self.read_status(),
                    Read::Challenge => false,
                    Read::Body { .. } => self.read_body(),
                },
            },
        }
    }

    fn read_status(&mut self) -> bool {
        let limit = self.config.max_line_length;
        match frame_line(&self.input, limit) {
            LineFrame::Incomplete => false,
            LineFrame::TooLong { .. } => {
                self.fatal(ClientError::LineTooLong { limit });
                true
            }
            LineFrame::Complete { len } => {
                let line = self.input.split_to(len);
                let parsed = line
                    .strip_suffix(b"\r\n")
                    .ok_or(Cow::Borrowed("lines must end with CRLF"))
                    .and_then(parse_response_line);
                match parsed {
                    Ok(response) => self.on_response(response.into_owned()),
                    Err(reason) => self.fatal(ClientError::InvalidResponse { reason }),
                }
                true
            }
        }
    }

    fn on_response(&mut self, response: Response<'static>) {
        if self.phase == Phase::Greeting {
            return self.on_greeting(response);
        }
        let Some(mut inflight) = self.inflight.take() else {
            return self.fatal(ClientError::UnexpectedData);
        };
        let kind = inflight.kind;
        match response {
            Response::Continue(data) if kind == CommandKind::Auth => {
                inflight.read = Read::Challenge;
                self.inflight = Some(inflight);
                self.event(Event::AuthChallenge(data));
            }
            Response::Continue(_) => self.fatal(ClientError::InvalidResponse {
                reason: "unexpected SASL continuation".into(),
            }),
            Response::Err(status) => {
                self.event(Event::Failed {
                    command: kind,
                    status,
                });
                if kind == CommandKind::Quit {
                    self.close();
                }
            }
            Response::Ok(status) => self.on_ok(inflight, status),
        }
    }

    fn on_greeting(&mut self, response: Response<'static>) {
        match response {
            Response::Ok(status) => {
                self.timestamp = apop_timestamp(&status.text).map(str::to_owned);
                self.phase = Phase::Authorization;
                let apop_timestamp = self.timestamp.clone();
                self.event(Event::Greeting {
                    status,
                    apop_timestamp,
                });
            }
            Response::Err(status) => self.fatal(ClientError::GreetingRejected(status)),
            Response::Continue(_) => self.fatal(ClientError::InvalidResponse {
                reason: "continuation instead of greeting".into(),
            }),
        }
    }

    fn on_ok(&mut self, mut inflight: Inflight, status: Status<'static>) {
        let kind = inflight.kind;
        if inflight.multiline {
            inflight.read = Read::Body {
                decoder: MultilineDecoder::new(),
                status,
                partial: BytesMut::new(),
                capabilities: Vec::new(),
            };
            self.inflight = Some(inflight);
            return;
        }
        match kind {
            CommandKind::User => {
                if let Some(pass) = inflight.then_pass.take() {
                    self.transmit(pass);
                    self.anchor = self.clock;
                    self.inflight = Some(Inflight {
                        kind: CommandKind::Pass,
                        multiline: false,
                        then_pass: None,
                        read: Read::Status,
                    });
                    return;
                }
            }
            CommandKind::Pass | CommandKind::Apop | CommandKind::Auth => {
                self.phase = Phase::Transaction;
            }
            CommandKind::Stls => {
                self.phase = Phase::TlsHandshake;
                self.event(Event::StartTls);
                return;
            }
            CommandKind::Stat => match parse_two(&status.text) {
                Some((count, size)) => self.event(Event::Stat { count, size }),
                None => return self.bad_line("invalid STAT response"),
            },
            CommandKind::List | CommandKind::Uidl => {
                if let Err(reason) = self.listing_line(kind, status.text.as_bytes()) {
                    return self.bad_line(reason);
                }
            }
            _ => {}
        }
        self.complete(kind, status);
    }

    fn complete(&mut self, command: CommandKind, status: Status<'static>) {
        self.event(Event::Completed { command, status });
        if command == CommandKind::Quit {
            self.close();
        }
    }

    fn close(&mut self) {
        self.phase = Phase::Closed;
        self.inflight = None;
        self.input.clear();
        self.event(Event::Closed);
    }

    fn bad_line(&mut self, reason: &'static str) {
        self.fatal(ClientError::InvalidResponse {
            reason: reason.into(),
        });
    }

    fn read_body(&mut self) -> bool {
        let Some(Inflight {
            kind,
            read: Read::Body {
                decoder, partial, ..
            },
            ..
        }) = &mut self.inflight
        else {
            return false;
        };
        let kind = *kind;
        let mut out = BytesMut::new();
        let progress = decoder.feed(&self.input, &mut out);
        self.input.advance(progress.consumed);
        if matches!(kind, CommandKind::Retr | CommandKind::Top) {
            if !out.is_empty() {
                self.event(Event::MessageChunk(out.freeze()));
            }
        } else {
            partial.extend_from_slice(&out);
            if let Err(error) = self.drain_lines(kind) {
                self.fatal(error);
                return true;
            }
        }
        if progress.finished {
            self.finish_body(kind);
        }
        true
    }

    /// Parses the complete lines of a listing body.
    fn drain_lines(&mut self, kind: CommandKind) -> Result<(), ClientError> {
        let limit = self.config.max_line_length;
        loop {
            let Some(Inflight {
                read: Read::Body { partial, .. },
                ..
            }) = &mut self.inflight
            else {
                return Ok(());
            };
            let Some(lf) = memchr(b'\n', partial) else {
                if partial.len() >= limit {
                    return Err(ClientError::LineTooLong { limit });
                }
                return Ok(());
            };
            if lf >= limit {
                return Err(ClientError::LineTooLong { limit });
            }
            let line = partial.split_to(lf + 1);
            let content = line.strip_suffix(b"\n").unwrap_or(&line);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            if kind == CommandKind::Capa {
                self.capability_line(content)?;
            } else {
                self.listing_line(kind, content).map_err(|reason| {
                    ClientError::InvalidResponse {
                        reason: reason.into(),
                    }
                })?;
            }
        }
    }

    fn capability_line(&mut self, content: &[u8]) -> Result<(), ClientError> {
        let max = self.config.max_capabilities;
        let Some(Inflight {
            read: Read::Body { capabilities, .. },
            ..
        }) = &mut self.inflight
        else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(content);
        if let Some(cap) = Capability::parse(&text) {
            if capabilities.len() >= max {
                return Err(ClientError::InvalidResponse {
                    reason: "too many capabilities".into(),
                });
            }
            capabilities.push(cap);
        }
        Ok(())
    }

    /// One `msg size`, `msg uid` or `tag description` line.
    fn listing_line(&mut self, kind: CommandKind, line: &[u8]) -> Result<(), &'static str> {
        let text = std::str::from_utf8(line).map_err(|_| "listing line is not UTF-8")?;
        let mut words = text.split_ascii_whitespace();
        let first = words.next().ok_or("empty listing line")?;
        let second = words.next();
        let event = match kind {
            CommandKind::List => {
                let msg = first.parse().map_err(|_| "invalid message number")?;
                let size = second
                    .and_then(|s| s.parse().ok())
                    .ok_or("invalid message size")?;
                Event::ListEntry { msg, size }
            }
            CommandKind::Uidl => {
                let msg = first.parse().map_err(|_| "invalid message number")?;
                let uid = second.ok_or("missing unique id")?;
                Event::UidlEntry {
                    msg,
                    uid: uid.to_owned(),
                }
            }
            _ => {
                let description = text[first.len()..].trim().to_owned();
                Event::Language {
                    tag: first.to_owned(),
                    description,
                }
            }
        };
        self.event(event);
        Ok(())
    }

    fn finish_body(&mut self, kind: CommandKind) {
        let Some(Inflight {
            read:
                Read::Body {
                    status,
                    partial,
                    capabilities,
                    ..
                },
            ..
        }) = self.inflight.take()
        else {
            return;
        };
        if !partial.is_empty() {
            return self.bad_line("listing ended inside a line");
        }
        if kind == CommandKind::Capa {
            self.event(Event::Capabilities(Capabilities(capabilities)));
        }
        self.complete(kind, status);
    }
}

/// Refuses text that would break the command line.
fn check_text(text: &[u8], what: &'static str) -> Result<(), ClientError> {
    if text.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(ClientError::InvalidArgument(match what {
            "user name" => "user name contains CR, LF or NUL",
            _ => "password contains CR, LF or NUL",
        }));
    }
    Ok(())
}

/// `count size` at the start of a STAT answer.
fn parse_two(text: &str) -> Option<(u64, u64)> {
    let mut words = text.split_ascii_whitespace();
    let a = words.next()?.parse().ok()?;
    let b = words.next()?.parse().ok()?;
    Some((a, b))
}
