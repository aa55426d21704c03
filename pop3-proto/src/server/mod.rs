//! The POP3 server state machine (Sans-IO): AUTHORIZATION, TRANSACTION and UPDATE
//! (RFC 1939), with CAPA (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034) and UTF8/LANG
//! (RFC 6856).
//!
//! # Driving contract
//!
//! The machine does no I/O and reads no clock. The application (the "driver") moves bytes
//! and time in and out:
//!
//! - [`Server::new`] queues the `+OK` greeting (with the APOP timestamp, if configured).
//! - [`Server::handle_input`] appends bytes received from the client.
//! - [`Server::handle_timeout`] tells the machine the current time and fires an expired
//!   timeout. The machine measures every timeout from the time it last learned, so call
//!   `handle_timeout(Instant::now())` whenever the driver wakes up: before
//!   `handle_input`, before answering a decision that took time, and when the instant
//!   from [`Server::poll_timeout`] is reached. Calling it early is harmless.
//! - [`Server::poll_output`] returns, in order: [`Output::Transmit`] (bytes to write),
//!   [`Output::Event`] (see [`Event`]), or [`Output::NeedInput`] once nothing more can
//!   happen without new input, a timeout or a decision.
//!
//! After every input, timeout or decision, drain `poll_output` until `NeedInput`.
//! Transmits and events come out in the order they arise; write each transmit before
//! acting on a later [`Event::StartTls`] or [`Event::Closed`].
//!
//! Decision events ([`Event::Login`], [`Event::Apop`], [`Event::Auth`],
//! [`Event::AuthResponse`], [`Event::OpenMaildrop`], [`Event::Retrieve`],
//! [`Event::Update`]) are answered with a method. Until then the machine reads no
//! further pipelined command. Do not feed more input while a decision is pending
//! ([`Server::awaiting_decision`]); input fed anyway is kept up to
//! [`Limits::max_pending_input`], beyond which the session is closed.
//!
//! # Sessions
//!
//! In AUTHORIZATION the client logs in with USER/PASS, APOP or AUTH. The application
//! checks the credentials, then is asked to lock and list the maildrop
//! ([`Event::OpenMaildrop`]); the machine answers STAT, LIST, UIDL, DELE, RSET and NOOP
//! from that listing by itself. RETR and TOP ask for the message content, which the
//! application streams in chunks of any size; the machine dot-stuffs it, turns bare LF
//! into CRLF, cuts it for TOP, and terminates it. QUIT in TRANSACTION enters UPDATE:
//! [`Event::Update`] lists the messages to delete and the application reports whether it
//! could. A session that ends any other way deletes nothing.
//!
//! USER/PASS and the PLAIN and LOGIN mechanisms are refused before TLS
//! (`-ERR [AUTH] ...`) and not advertised, unless
//! [`Config::allow_plaintext_without_tls`] is set. After STLS, input that was pipelined
//! behind it is discarded, never executed (CVE-2011-0411).
//!
//! # Example
//!
//! ```
//! use std::time::Instant;
//! use pop3_proto::server::{Config, Event, MessageInfo, Output, Server};
//!
//! let mut config = Config::new("pop.example.org");
//! config.allow_plaintext_without_tls = true;
//! let mut server = Server::new(config, Instant::now());
//! server.handle_input(b"USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n");
//! let mut sent = Vec::new();
//! loop {
//!     match server.poll_output() {
//!         Output::Transmit(bytes) => sent.extend_from_slice(&bytes),
//!         Output::Event(Event::Login { password, .. }) => {
//!             assert_eq!(password.expose(), b"secret");
//!             server.accept_login().unwrap();
//!         }
//!         Output::Event(Event::OpenMaildrop { .. }) => {
//!             server.maildrop_ready(vec![MessageInfo::new(14, "uid-1")]).unwrap();
//!         }
//!         Output::Event(Event::Retrieve { .. }) => {
//!             server.message_chunk(b"Subject: hi\n\n.").unwrap();
//!             server.message_end().unwrap();
//!         }
//!         Output::Event(Event::Update { deleted }) => {
//!             assert!(deleted.is_empty());
//!             server.update_complete().unwrap();
//!         }
//!         Output::Event(_) => {}
//!         Output::NeedInput => break,
//!     }
//! }
//! let sent = String::from_utf8(sent).unwrap();
//! assert!(sent.contains("+OK 14 octets\r\nSubject: hi\r\n\r\n..\r\n.\r\n"));
//! assert!(server.is_closed());
//! ```

mod commands;
mod config;
mod event;
mod maildrop;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Buf, BytesMut};

pub use config::{Config, Limits, Timeouts};
pub use event::{CloseReason, DecisionError, Event, MessageInfo, Output};

use self::maildrop::Maildrop;
use crate::codec::{LineFrame, MultilineEncoder, encode_response, frame_line, skip_line};
use crate::types::{Response, ResponseCode, SaslData, Status};

/// What the machine is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Command lines.
    Command,
    /// The rest of an overlong command line.
    SkipLine,
    /// A SASL response line after a `+` challenge.
    AuthResponse,
    /// The rest of an overlong SASL response line.
    SkipAuthLine,
    /// STLS accepted; input is ignored until `tls_established`.
    TlsHandshake,
    /// The session is over.
    Closed,
}

/// The decision the machine waits for.
#[derive(Debug)]
enum Pending {
    Login { user: String },
    Auth,
    Maildrop { user: String },
    Message(Streaming),
    Update,
}

/// A RETR or TOP response being streamed.
#[derive(Debug)]
struct Streaming {
    encoder: MultilineEncoder,
    first_line: String,
    started: bool,
}

impl Pending {
    const fn name(&self) -> &'static str {
        match self {
            Self::Login { .. } => "login decision",
            Self::Auth => "AUTH decision",
            Self::Maildrop { .. } => "maildrop listing",
            Self::Message(_) => "message content",
            Self::Update => "UPDATE result",
        }
    }
}

/// What the server knows about the client; reset by STLS.
#[derive(Debug, Default)]
struct Session {
    tls: bool,
    utf8: bool,
    /// The name given with USER, waiting for PASS.
    user: Option<String>,
    /// The authenticated user, in TRANSACTION.
    identity: Option<String>,
    /// Present in TRANSACTION.
    maildrop: Option<Maildrop>,
}

/// A POP3 server session. See the [module docs](self) for the driving contract.
#[derive(Debug)]
pub struct Server {
    config: Config,
    timestamp: Option<String>,
    input: BytesMut,
    replies: BytesMut,
    outputs: VecDeque<Output>,
    phase: Phase,
    pending: Option<Pending>,
    session: Session,
    bad_commands: u32,
    /// The latest time learned from `new` or `handle_timeout`.
    clock: Instant,
    /// When the current wait started: the last complete line or answered decision.
    /// Partial lines do not move it, so a client that trickles a command byte by byte
    /// (slowloris) still meets the idle timeout.
    anchor: Instant,
}

impl Server {
    /// Starts a session: the `+OK` greeting is the first output.
    pub fn new(config: Config, now: Instant) -> Self {
        let config = config.sanitized();
        let timestamp = config.apop_uniqueness.as_deref().map(|u| {
            let clean = |s: &str| -> String {
                s.chars()
                    .filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '@'))
                    .collect()
            };
            format!("<{}@{}>", clean(u), clean(&config.hostname))
        });
        let mut server = Self {
            session: Session {
                tls: config.implicit_tls,
                ..Session::default()
            },
            config,
            timestamp,
            input: BytesMut::new(),
            replies: BytesMut::new(),
            outputs: VecDeque::new(),
            phase: Phase::Command,
            pending: None,
            bad_commands: 0,
            clock: now,
            anchor: now,
        };
        let greeting = match &server.timestamp {
            Some(t) => format!("{} {t}", server.config.greeting),
            None => server.config.greeting.clone(),
        };
        server.ok(greeting);
        server.flush();
        server
    }

    /// The configuration in force (limits raised to the protocol minimums).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The APOP timestamp of the greeting, brackets included, if APOP is offered.
    pub fn apop_timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// Whether the session runs over TLS (implicit, or after STLS).
    pub fn is_tls(&self) -> bool {
        self.session.tls
    }

    /// Whether the client enabled UTF-8 mode with the `UTF8` command.
    pub fn is_utf8(&self) -> bool {
        self.session.utf8
    }

    /// The authenticated user, once in TRANSACTION.
    pub fn authenticated_user(&self) -> Option<&str> {
        self.session.identity.as_deref()
    }

    /// Whether the session is in TRANSACTION state (logged in, maildrop open).
    pub fn in_transaction(&self) -> bool {
        self.session.maildrop.is_some()
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether the machine waits for the application to answer a decision event.
    pub fn awaiting_decision(&self) -> bool {
        self.pending.is_some()
    }

    /// Bytes of client input held inside the machine.
    pub fn buffered_input_len(&self) -> usize {
        self.input.len()
    }

    /// Bytes from the client. Ignored after the session closed and while a STLS
    /// handshake is pending.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
            return;
        }
        let cap = self
            .config
            .limits
            .max_auth_line_length
            .max(self.config.limits.max_line_length)
            .saturating_add(self.config.limits.max_pending_input);
        if self.pending.is_some() && self.input.len().saturating_add(bytes.len()) > cap {
            self.close_abruptly(
                Status::new("too much pipelined input"),
                CloseReason::TooMuchInput,
            );
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Tells the machine the time; closes the session if a timeout expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            let text = if self.pending.is_some() {
                Status::with_code(ResponseCode::SysTemp, "server timed out")
            } else {
                Status::new("autologout: idle for too long")
            };
            self.close_abruptly(text, CloseReason::Timeout);
        }
    }

    /// When [`Server::handle_timeout`] should be called next, if a timeout is running.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = &self.config.timeouts;
        let duration: Duration = match (self.phase, &self.pending) {
            (Phase::Closed, _) => return None,
            (_, Some(_)) => t.decision,
            _ => t.idle,
        };
        self.anchor.checked_add(duration)
    }

    /// The next output; see the module docs.
    pub fn poll_output(&mut self) -> Output {
        loop {
            if let Some(output) = self.outputs.pop_front() {
                return output;
            }
            if self.pending.is_some() || !self.step() {
                self.flush();
                return self.outputs.pop_front().unwrap_or(Output::NeedInput);
            }
        }
    }

    /// Makes one step of progress on buffered input; false if more input is needed.
    fn step(&mut self) -> bool {
        match self.phase {
            Phase::Closed | Phase::TlsHandshake => false,
            Phase::Command => self.step_line(false),
            Phase::AuthResponse => self.step_line(true),
            Phase::SkipLine => self.step_skip(false),
            Phase::SkipAuthLine => self.step_skip(true),
        }
    }

    fn step_line(&mut self, auth: bool) -> bool {
        let limit = if auth {
            self.config.limits.max_auth_line_length
        } else {
            self.config.limits.max_line_length
        };
        match frame_line(&self.input, limit) {
            LineFrame::Incomplete => false,
            LineFrame::TooLong { discard, complete } => {
                self.input.advance(discard);
                if complete {
                    self.anchor = self.clock;
                    self.phase = Phase::Command;
                    self.line_too_long(auth);
                } else {
                    self.phase = if auth {
                        Phase::SkipAuthLine
                    } else {
                        Phase::SkipLine
                    };
                }
                true
            }
            LineFrame::Complete { len } => {
                if self.pending.is_none() {
                    self.anchor = self.clock;
                }
                let line = self.input.split_to(len);
                self.phase = Phase::Command;
                if auth {
                    self.auth_response(&line);
                } else {
                    self.command_line(&line);
                }
                true
            }
        }
    }

    fn step_skip(&mut self, auth: bool) -> bool {
        let (skip, complete) = skip_line(&self.input);
        if skip == 0 {
            return false;
        }
        self.input.advance(skip);
        if complete {
            self.anchor = self.clock;
            self.phase = Phase::Command;
            self.line_too_long(auth);
        }
        true
    }

    fn line_too_long(&mut self, auth: bool) {
        if auth {
            self.push_event(Event::AuthCancelled);
        }
        self.protocol_error(Status::new("line too long"));
    }

    fn auth_response(&mut self, line: &[u8]) {
        let Some(content) = line.strip_suffix(b"\r\n") else {
            self.push_event(Event::AuthCancelled);
            return self.protocol_error(Status::new("lines must end with CRLF"));
        };
        if content == b"*" {
            self.push_event(Event::AuthCancelled);
            return self.protocol_error(Status::new("authentication cancelled"));
        }
        match BASE64.decode(content) {
            Ok(bytes) => {
                self.pending = Some(Pending::Auth);
                self.push_event(Event::AuthResponse(SaslData(bytes)));
            }
            Err(_) => {
                self.push_event(Event::AuthCancelled);
                self.protocol_error(Status::new("invalid base64 in SASL response"));
            }
        }
    }

    /// Appends a `+OK` line to the pending batch.
    fn ok(&mut self, text: impl Into<String>) {
        encode_response(&Response::Ok(Status::new(text.into())), &mut self.replies);
    }

    /// Appends a `-ERR` line to the pending batch.
    fn err(&mut self, status: Status<'_>) {
        encode_response(&Response::Err(status), &mut self.replies);
    }

    /// Turns the pending batch of responses into one transmit.
    fn flush(&mut self) {
        if !self.replies.is_empty() {
            let bytes = self.replies.split().freeze();
            self.outputs.push_back(Output::Transmit(bytes));
        }
    }

    fn push_event(&mut self, event: Event) {
        self.flush();
        self.outputs.push_back(Output::Event(event));
    }

    /// Answers a client error, or closes the session at the error limit.
    fn protocol_error(&mut self, status: Status<'_>) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        if self.bad_commands >= self.config.limits.max_bad_commands {
            self.close_with(
                Status::new("too many bad commands, closing connection"),
                CloseReason::TooManyErrors,
            );
        } else {
            self.err(status);
        }
    }

    /// Sends `-ERR status` (unless a message body is being streamed, which cannot be
    /// interrupted) and closes.
    fn close_abruptly(&mut self, status: Status<'_>, reason: CloseReason) {
        if matches!(&self.pending, Some(Pending::Message(s)) if s.started) {
            self.finish_close(reason);
        } else {
            self.close_with(status, reason);
        }
    }

    fn close_with(&mut self, status: Status<'_>, reason: CloseReason) {
        self.err(status);
        self.finish_close(reason);
    }

    fn finish_close(&mut self, reason: CloseReason) {
        self.flush();
        self.phase = Phase::Closed;
        self.pending = None;
        self.input.clear();
        self.push_event(Event::Closed(reason));
    }

    /// Takes the pending decision if `matches` accepts it.
    fn take_pending(
        &mut self,
        matches: impl Fn(&Pending) -> bool,
    ) -> Result<Pending, DecisionError> {
        match self.pending.take() {
            Some(p) if matches(&p) => {
                self.anchor = self.clock;
                Ok(p)
            }
            other => {
                let waiting_for = other.as_ref().map_or("nothing", Pending::name);
                self.pending = other;
                Err(DecisionError::Unexpected { waiting_for })
            }
        }
    }

    fn waiting_error(&self) -> DecisionError {
        DecisionError::Unexpected {
            waiting_for: self.pending.as_ref().map_or("nothing", Pending::name),
        }
    }

    /// Accepts the credentials of [`Event::Login`] or [`Event::Apop`]; the machine then
    /// asks for the maildrop with [`Event::OpenMaildrop`].
    pub fn accept_login(&mut self) -> Result<(), DecisionError> {
        if let Pending::Login { user } =
            self.take_pending(|p| matches!(p, Pending::Login { .. }))?
        {
            self.open_maildrop(user);
        }
        Ok(())
    }

    /// Rejects the credentials of [`Event::Login`] or [`Event::Apop`] with `-ERR status`
    /// (e.g. `[AUTH] invalid credentials`, or `[LOGIN-DELAY] ...`). Counts as a bad
    /// command; the client may try again.
    pub fn reject_login(&mut self, status: Status<'_>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Login { .. }))?;
        self.protocol_error(status);
        Ok(())
    }

    /// Sends a SASL challenge (`+ base64`) for [`Event::Auth`] or [`Event::AuthResponse`];
    /// the client's answer arrives as [`Event::AuthResponse`].
    pub fn auth_challenge(&mut self, data: &[u8]) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Auth))?;
        encode_response(
            &Response::Continue(SaslData(data.to_vec())),
            &mut self.replies,
        );
        self.flush();
        self.phase = Phase::AuthResponse;
        Ok(())
    }

    /// Ends the SASL exchange successfully for `user`; the machine then asks for the
    /// maildrop with [`Event::OpenMaildrop`].
    pub fn auth_success(&mut self, user: impl Into<String>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Auth))?;
        self.open_maildrop(user.into());
        Ok(())
    }

    /// Ends the SASL exchange with `-ERR status` (usually `[AUTH] ...`). Counts as a bad
    /// command.
    pub fn auth_failure(&mut self, status: Status<'_>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Auth))?;
        self.protocol_error(status);
        Ok(())
    }

    fn open_maildrop(&mut self, user: String) {
        self.pending = Some(Pending::Maildrop { user: user.clone() });
        self.push_event(Event::OpenMaildrop { user });
    }

    /// The maildrop is locked; `listing` has one entry per message, in the order of
    /// their numbers. The session enters TRANSACTION. A listing with an invalid unique
    /// id, or longer than [`Limits::max_messages`], is refused and nothing changes.
    pub fn maildrop_ready(&mut self, listing: Vec<MessageInfo>) -> Result<(), DecisionError> {
        if !matches!(self.pending, Some(Pending::Maildrop { .. })) {
            return Err(self.waiting_error());
        }
        let maildrop = Maildrop::new(listing, self.config.limits.max_messages)?;
        if let Pending::Maildrop { user } =
            self.take_pending(|p| matches!(p, Pending::Maildrop { .. }))?
        {
            self.ok(format!(
                "maildrop has {} messages ({} octets)",
                maildrop.count(),
                maildrop.size()
            ));
            self.session.user = None;
            self.session.identity = Some(user);
            self.session.maildrop = Some(maildrop);
        }
        Ok(())
    }

    /// The maildrop is locked by another session: `-ERR [IN-USE]`; the session stays in
    /// AUTHORIZATION.
    pub fn maildrop_in_use(&mut self) -> Result<(), DecisionError> {
        self.maildrop_failed(Status::with_code(
            ResponseCode::InUse,
            "maildrop is locked by another session",
        ))
    }

    /// The maildrop cannot be opened: `-ERR status` (e.g. `[SYS/TEMP] ...`); the session
    /// stays in AUTHORIZATION.
    pub fn maildrop_failed(&mut self, status: Status<'_>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Maildrop { .. }))?;
        self.session.user = None;
        self.err(status);
        Ok(())
    }

    /// Content of the message of [`Event::Retrieve`], in chunks of any size. The first
    /// call sends the `+OK` line. Returns whether more content is wanted: false once a
    /// TOP response has all its lines (further chunks are ignored; call `message_end`).
    pub fn message_chunk(&mut self, bytes: &[u8]) -> Result<bool, DecisionError> {
        let Some(Pending::Message(streaming)) = &mut self.pending else {
            return Err(self.waiting_error());
        };
        self.anchor = self.clock;
        if !streaming.started {
            streaming.started = true;
            let first = std::mem::take(&mut streaming.first_line);
            encode_response(&Response::Ok(Status::new(first)), &mut self.replies);
        }
        let more = streaming.encoder.encode(bytes, &mut self.replies);
        self.flush();
        Ok(more)
    }

    /// Ends the message of [`Event::Retrieve`]: completes its last line and sends the
    /// terminating `.` line.
    pub fn message_end(&mut self) -> Result<(), DecisionError> {
        if let Pending::Message(mut streaming) =
            self.take_pending(|p| matches!(p, Pending::Message(_)))?
        {
            if !streaming.started {
                encode_response(
                    &Response::Ok(Status::new(streaming.first_line)),
                    &mut self.replies,
                );
            }
            streaming.encoder.finish(&mut self.replies);
            self.flush();
        }
        Ok(())
    }

    /// Refuses the message of [`Event::Retrieve`] with `-ERR status` (e.g.
    /// `[SYS/TEMP] cannot read message`). Only possible before the first chunk.
    pub fn message_unavailable(&mut self, status: Status<'_>) -> Result<(), DecisionError> {
        if matches!(&self.pending, Some(Pending::Message(s)) if s.started) {
            return Err(DecisionError::MessageStarted);
        }
        self.take_pending(|p| matches!(p, Pending::Message(_)))?;
        self.err(status);
        Ok(())
    }

    /// The deletions of [`Event::Update`] were committed: `+OK` and the session closes.
    pub fn update_complete(&mut self) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Update))?;
        let left = self.session.maildrop.as_ref().map_or(0, Maildrop::count);
        let text = if left == 0 {
            format!(
                "{} POP3 server signing off (maildrop empty)",
                self.config.hostname
            )
        } else {
            format!(
                "{} POP3 server signing off ({left} messages left)",
                self.config.hostname
            )
        };
        self.ok(text);
        self.finish_close(CloseReason::Quit);
        Ok(())
    }

    /// Some deletions of [`Event::Update`] failed: `-ERR [SYS/TEMP]` and the session
    /// closes (RFC 1939 section 6).
    pub fn update_failed(&mut self) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Update))?;
        self.close_with(
            Status::with_code(ResponseCode::SysTemp, "some deleted messages not removed"),
            CloseReason::Quit,
        );
        Ok(())
    }

    /// The TLS handshake after [`Event::StartTls`] completed: the session continues over
    /// TLS in AUTHORIZATION, with nothing remembered from before (RFC 2595 section 4).
    pub fn tls_established(&mut self) -> Result<(), DecisionError> {
        if self.phase != Phase::TlsHandshake {
            return Err(self.waiting_error());
        }
        self.session = Session {
            tls: true,
            ..Session::default()
        };
        self.phase = Phase::Command;
        self.anchor = self.clock;
        Ok(())
    }

    /// Ends the session from the application side: `-ERR [SYS/TEMP]` (unless a message
    /// is being streamed), then [`Event::Closed`]. Nothing is deleted.
    pub fn close(&mut self) {
        if !self.is_closed() {
            self.close_abruptly(
                Status::with_code(ResponseCode::SysTemp, "server closing connection"),
                CloseReason::Application,
            );
        }
    }
}
