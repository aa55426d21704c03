//! The SMTP/LMTP server state machine (Sans-IO).
//!
//! # Driving contract
//!
//! The machine does no I/O and reads no clock. The application (the "driver") moves bytes
//! and time in and out:
//!
//! - [`Server::new`] queues the `220` greeting.
//! - [`Server::handle_input`] appends bytes received from the client.
//! - [`Server::handle_timeout`] tells the machine the current time and fires an expired
//!   timeout (`421 4.4.2`, then [`Event::Closed`]). **The machine measures every timeout
//!   from the time it last learned through `handle_timeout`**, so call
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
//! Decision events ([`Event::Mail`], [`Event::Rcpt`], [`Event::MessageEnd`],
//! [`Event::Auth`], [`Event::AuthResponse`], [`Event::Vrfy`], [`Event::Expn`]) are
//! answered with a method ([`Server::accept_mail`], [`Server::reject_rcpt`],
//! [`Server::accept_message`], [`Server::auth_challenge`], ...). Until then the machine
//! reads no further pipelined command. Do not feed more input while a decision is pending
//! ([`Server::awaiting_decision`]): then the machine never holds more than one line plus
//! one read. (Input fed anyway is kept up to [`Limits::max_pending_input`].)
//!
//! # Example
//!
//! ```
//! use std::time::Instant;
//! use smtp_proto::server::{Config, Event, Output, Server};
//! use smtp_proto::types::{EnhancedCode, Reply};
//!
//! let mut server = Server::new(Config::new("mx.example.org"), Instant::now());
//! let mut sent = Vec::new();
//! let mut body = Vec::new();
//! let input: &[&[u8]] = &[
//!     b"EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n",
//!     b"Subject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n",
//! ];
//! for bytes in input {
//!     server.handle_timeout(Instant::now());
//!     server.handle_input(bytes);
//!     loop {
//!         match server.poll_output() {
//!             Output::Transmit(b) => sent.extend_from_slice(&b),
//!             Output::Event(Event::Mail(_)) => server.accept_mail().unwrap(),
//!             Output::Event(Event::Rcpt(_)) => server.accept_rcpt().unwrap(),
//!             Output::Event(Event::DataChunk(chunk)) => body.extend_from_slice(&chunk),
//!             Output::Event(Event::MessageEnd { .. }) => {
//!                 let ok = Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "Ok: queued");
//!                 server.accept_message(ok).unwrap();
//!             }
//!             Output::Event(_) => {}
//!             Output::NeedInput => break,
//!         }
//!     }
//! }
//! assert_eq!(body, b"Subject: hi\r\n\r\n.dot\r\n");
//! assert!(String::from_utf8(sent).unwrap().ends_with("250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n"));
//! assert!(server.is_closed());
//! ```
//!
//! # Pipelining
//!
//! Replies are accumulated and written as one transmit when the buffered input holds no
//! further complete command, or before a reply after which the client waits (354, 334,
//! the STARTTLS 220, 221, 421).
//!
//! # Bodies
//!
//! Message bodies are streamed as [`Event::DataChunk`], un-dot-stuffed, never buffered.
//! Only `<CRLF>.<CRLF>` ends a DATA body; bare CR or LF is rejected by default (see
//! [`BareLineEndings`]). A body the server rejects (size, line length, bare line endings)
//! is read to its end and discarded, followed by [`Event::MessageRejected`].
//!
//! # Enhanced status codes
//!
//! Every reply except the greeting and the positive HELO/EHLO/LHLO reply carries an
//! enhanced status code, as RFC 2034 section 3 requires; an application reply without
//! one gets `x.0.0`.

mod commands;
mod config;
mod data;
mod event;
mod replies;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Buf, BytesMut};

pub use config::{
    BareLineEndings, Config, Extensions, Limits, LookupPolicy, Mode, Timeouts, UnknownParams,
};
pub use event::{
    BodyError, BodyKind, CloseReason, DecisionError, Event, HelloKind, Output, SaslData,
};

use self::data::{BdatReceiver, DotReceiver, LineEnds, Piece, Pieces};
use self::replies::{reply, with_enhanced};
use crate::codec::{LineFrame, encode_reply, frame_line, parse_command_line, skip_line};
use crate::types::{Address, Body, MailFrom, RcptTo, Reply};

/// What the machine is reading.
#[derive(Debug)]
enum Phase {
    /// Command lines.
    Command,
    /// The rest of an overlong command line.
    SkipLine,
    /// A SASL response line after a 334 challenge.
    AuthResponse,
    /// The rest of an overlong SASL response line.
    SkipAuthLine,
    /// A DATA body.
    Data(DotReceiver),
    /// A BDAT chunk; `reject` is the reply for a chunk being discarded.
    Bdat {
        rx: BdatReceiver,
        size: u64,
        reject: Option<BdatReject>,
    },
    /// STARTTLS accepted; input is ignored until `tls_established`.
    TlsHandshake,
    /// The session is over.
    Closed,
}

/// The reply for a BDAT chunk that is read and discarded.
#[derive(Debug)]
struct BdatReject {
    reply: Reply<'static>,
    /// How many times to send it (LMTP answers a final chunk once per recipient).
    count: usize,
    /// Whether it counts as a client protocol error.
    protocol_error: bool,
}

/// The decision the machine waits for.
#[derive(Debug)]
enum Pending {
    Mail(MailFrom<'static>),
    Rcpt(RcptTo<'static>),
    Auth,
    Lookup,
    MessageEnd { remaining: usize },
}

impl Pending {
    fn name(&self) -> &'static str {
        match self {
            Self::Mail(_) => "MAIL decision",
            Self::Rcpt(_) => "RCPT decision",
            Self::Auth => "AUTH decision",
            Self::Lookup => "VRFY/EXPN answer",
            Self::MessageEnd { .. } => "end-of-message decision",
        }
    }
}

/// A mail transaction (after an accepted MAIL).
#[derive(Debug)]
struct Transaction {
    mail: MailFrom<'static>,
    recipients: Vec<Address<'static>>,
    rcpt_seen: bool,
    /// Octets received by BDAT so far; `None` until the first BDAT.
    bdat_received: Option<u64>,
    /// The bare CR / LF check across BDAT chunks; `None` for BODY=BINARYMIME.
    bdat_ends: Option<LineEnds>,
}

/// What the server knows about the client; reset by STARTTLS.
#[derive(Debug, Default)]
struct Session {
    hello: Option<(HelloKind, String)>,
    tls: bool,
    identity: Option<String>,
    transaction: Option<Transaction>,
}

/// An SMTP or LMTP server session. See the [module docs](self) for the driving contract.
#[derive(Debug)]
pub struct Server {
    config: Config,
    input: BytesMut,
    replies: BytesMut,
    outputs: VecDeque<Output>,
    phase: Phase,
    pending: Option<Pending>,
    session: Session,
    bad_commands: u32,
    /// The latest time learned from `new` or `handle_timeout`.
    clock: Instant,
    /// When the current wait started: the last complete command line, answered
    /// decision or body input. Partial command lines do not move it, so a client that
    /// trickles a line byte by byte (slowloris) still meets the command timeout.
    anchor: Instant,
    /// The receivers' description of the body bytes in the last input (kept for its
    /// allocation).
    pieces: Pieces,
}

impl Server {
    /// Starts a session: the `220` greeting is the first output.
    pub fn new(config: Config, now: Instant) -> Self {
        let config = config.sanitized();
        let tls = config.implicit_tls;
        let mut server = Self {
            config,
            input: BytesMut::new(),
            replies: BytesMut::new(),
            outputs: VecDeque::new(),
            phase: Phase::Command,
            pending: None,
            session: Session {
                tls,
                ..Session::default()
            },
            bad_commands: 0,
            clock: now,
            anchor: now,
            pieces: Pieces::default(),
        };
        let greeting = format!("{} {}", server.config.hostname, server.config.greeting);
        server.send(Reply::new(220, None, greeting));
        server.flush();
        server
    }

    /// The configuration in force (limits raised to the protocol minimums).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the session runs over TLS (implicit, or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.session.tls
    }

    /// The identity given to [`Server::auth_success`], if AUTH succeeded.
    pub fn authenticated_identity(&self) -> Option<&str> {
        self.session.identity.as_deref()
    }

    /// The HELO/EHLO/LHLO argument of the current session, if the client greeted.
    pub fn hello_domain(&self) -> Option<&str> {
        self.session.hello.as_ref().map(|(_, d)| d.as_str())
    }

    /// Which greeting command the client used in the current session, if it greeted.
    pub fn hello_kind(&self) -> Option<HelloKind> {
        self.session.hello.as_ref().map(|(k, _)| *k)
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Bytes of client input held inside the machine (never more than one line plus one
    /// read, or [`Limits::max_pending_input`] if input is fed while a decision is pending).
    pub fn buffered_input_len(&self) -> usize {
        self.input.len()
    }

    /// Whether the machine waits for the application to answer a decision event.
    pub fn awaiting_decision(&self) -> bool {
        self.pending.is_some()
    }

    /// Bytes from the client. Ignored after the session closed and while a STARTTLS
    /// handshake is pending.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
            return;
        }
        if matches!(self.phase, Phase::Data(_) | Phase::Bdat { .. }) {
            // RFC 5321 4.5.3.2: the data block timeout runs per block received.
            self.anchor = self.clock;
        }
        let cap = self
            .line_limit()
            .saturating_add(self.config.limits.max_pending_input);
        if self.pending.is_some() && self.input.len().saturating_add(bytes.len()) > cap {
            let r = reply(421, (4, 7, 0), "Error: too much pipelined input");
            self.close_with(r, CloseReason::TooMuchInput);
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Tells the machine the time; sends `421 4.4.2` and closes if the timeout expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            let text = format!("{} Error: timeout exceeded", self.config.hostname);
            self.close_with(reply(421, (4, 4, 2), text), CloseReason::Timeout);
        }
    }

    /// When [`Server::handle_timeout`] should be called next, if a timeout is running.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current_timeout().map(|d| self.anchor + d)
    }

    /// The next output; see the module docs.
    pub fn poll_output(&mut self) -> Output {
        loop {
            if let Some(output) = self.outputs.pop_front() {
                return output;
            }
            if self.pending.is_some() {
                return Output::NeedInput;
            }
            if !self.step() {
                self.flush();
                return self.outputs.pop_front().unwrap_or(Output::NeedInput);
            }
        }
    }

    fn line_limit(&self) -> usize {
        let l = &self.config.limits;
        l.max_line_length.max(l.max_auth_line_length)
    }

    fn current_timeout(&self) -> Option<Duration> {
        let t = &self.config.timeouts;
        match (&self.phase, &self.pending) {
            (Phase::Closed | Phase::TlsHandshake, _) => None,
            (_, Some(Pending::Mail(_))) => Some(t.mail),
            (_, Some(Pending::Rcpt(_))) => Some(t.rcpt),
            (_, Some(Pending::MessageEnd { .. })) => Some(t.data_termination),
            (_, Some(_)) => Some(t.command),
            (Phase::Data(rx), None) if rx.started() => Some(t.data_block),
            (Phase::Data(_), None) => Some(t.data_initiation),
            (Phase::Bdat { .. }, None) => Some(t.data_block),
            _ => Some(t.command),
        }
    }

    /// Makes one step of progress on buffered input; false if more input is needed.
    fn step(&mut self) -> bool {
        match self.phase {
            Phase::Closed | Phase::TlsHandshake => false,
            Phase::Command => self.step_command(),
            Phase::SkipLine => self.step_skip(false),
            Phase::AuthResponse => self.step_auth_response(),
            Phase::SkipAuthLine => self.step_skip(true),
            Phase::Data(_) => self.step_data(),
            Phase::Bdat { .. } => self.step_bdat(),
        }
    }

    fn step_command(&mut self) -> bool {
        match frame_line(&self.input, self.config.limits.max_line_length) {
            LineFrame::Incomplete => false,
            LineFrame::TooLong { discard, complete } => {
                self.input.advance(discard);
                if complete {
                    self.anchor = self.clock;
                    self.protocol_error(replies::line_too_long());
                } else {
                    self.phase = Phase::SkipLine;
                }
                true
            }
            LineFrame::Complete { len } => {
                self.anchor = self.clock;
                let line = self.input.split_to(len);
                match parse_command_line(&line) {
                    Ok(command) => self.handle_command(command),
                    Err(error) => self.command_error(&error),
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
            if auth {
                self.auth_line_too_long();
            } else {
                self.protocol_error(replies::line_too_long());
            }
        }
        true
    }

    fn step_auth_response(&mut self) -> bool {
        match frame_line(&self.input, self.config.limits.max_auth_line_length) {
            LineFrame::Incomplete => false,
            LineFrame::TooLong { discard, complete } => {
                self.input.advance(discard);
                if complete {
                    self.anchor = self.clock;
                    self.phase = Phase::Command;
                    self.auth_line_too_long();
                } else {
                    self.phase = Phase::SkipAuthLine;
                }
                true
            }
            LineFrame::Complete { len } => {
                self.anchor = self.clock;
                let line = self.input.split_to(len);
                self.phase = Phase::Command;
                self.auth_response(&line);
                true
            }
        }
    }

    fn auth_response(&mut self, line: &[u8]) {
        let Some(content) = line.strip_suffix(b"\r\n") else {
            return self.auth_cancel(reply(501, (5, 5, 2), "Error: lines must end with CRLF"));
        };
        if content == b"*" {
            return self.auth_cancel(reply(501, (5, 0, 0), "Authentication cancelled"));
        }
        match BASE64.decode(content) {
            Ok(bytes) => {
                self.pending = Some(Pending::Auth);
                self.push_event(Event::AuthResponse(SaslData(bytes)));
            }
            Err(_) => self.auth_cancel(reply(501, (5, 5, 2), "Error: invalid base64 data")),
        }
    }

    fn auth_cancel(&mut self, r: Reply<'static>) {
        self.push_event(Event::AuthCancelled);
        self.protocol_error(r);
    }

    fn auth_line_too_long(&mut self) {
        self.auth_cancel(reply(
            500,
            (5, 5, 6),
            "Authentication Exchange line is too long",
        ));
    }

    fn step_data(&mut self) -> bool {
        let Phase::Data(rx) = &mut self.phase else {
            return false;
        };
        if self.input.is_empty() {
            return false;
        }
        let mut pieces = std::mem::take(&mut self.pieces);
        let progress = rx.feed(&self.input, &mut pieces);
        let failure = rx.failure();
        self.push_body(&mut pieces, progress.consumed);
        self.pieces = pieces;
        if progress.finished {
            self.phase = Phase::Command;
            self.finish_body(failure);
        }
        true
    }

    fn step_bdat(&mut self) -> bool {
        let Phase::Bdat { rx, .. } = &mut self.phase else {
            return false;
        };
        if self.input.is_empty() {
            return false;
        }
        let mut pieces = std::mem::take(&mut self.pieces);
        let progress = rx.feed(&self.input, &mut pieces);
        self.push_body(&mut pieces, progress.consumed);
        self.pieces = pieces;
        if progress.finished
            && let Phase::Bdat {
                rx, size, reject, ..
            } = std::mem::replace(&mut self.phase, Phase::Command)
        {
            self.bdat_done(&rx, size, reject);
        }
        true
    }

    /// Hands on the body bytes in the first `consumed` bytes of input, which `pieces`
    /// describes, as `DataChunk`s, and drops those bytes from the input. Long runs of
    /// input are split off the input buffer and share its memory; everything else is
    /// copied into a chunk of its own between them.
    fn push_body(&mut self, pieces: &mut Pieces, consumed: usize) {
        /// Runs shorter than this are copied: a chunk of its own would cost more.
        const SHARED_RUN: usize = 8192;
        let copied_len = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Input(run) if run.len() >= SHARED_RUN => 0,
                Piece::Input(run) => run.len(),
                Piece::Made(bytes) => bytes.len(),
            })
            .sum();
        // One allocation for all that is copied; each chunk of it is split off the front.
        let mut copied = BytesMut::with_capacity(copied_len);
        // Input bytes already split off or dropped.
        let mut taken = 0;
        for piece in pieces.drain() {
            match piece {
                Piece::Input(run) if run.len() >= SHARED_RUN => {
                    if !copied.is_empty() {
                        let chunk = copied.split().freeze();
                        self.push_event(Event::DataChunk(chunk));
                    }
                    self.input.advance(run.start - taken);
                    let chunk = self.input.split_to(run.len()).freeze();
                    self.push_event(Event::DataChunk(chunk));
                    taken = run.end;
                }
                Piece::Input(run) => {
                    copied.extend_from_slice(&self.input[run.start - taken..run.end - taken]);
                }
                Piece::Made(bytes) => copied.extend_from_slice(bytes),
            }
        }
        if !copied.is_empty() {
            self.push_event(Event::DataChunk(copied.freeze()));
        }
        self.input.advance(consumed - taken);
    }

    /// Ends a DATA body or the last BDAT chunk.
    fn finish_body(&mut self, failure: Option<BodyError>) {
        let lmtp = self.config.mode == Mode::Lmtp;
        let Some(txn) = self.session.transaction.as_ref() else {
            return;
        };
        let recipients = txn.recipients.clone();
        match failure {
            None => {
                let remaining = if lmtp { recipients.len() } else { 1 };
                self.pending = Some(Pending::MessageEnd { remaining });
                self.push_event(Event::MessageEnd { recipients });
            }
            Some(error) => {
                let r = body_error_reply(error);
                let count = if lmtp { recipients.len() } else { 1 };
                for _ in 0..count {
                    self.send(r.clone());
                }
                self.session.transaction = None;
                self.push_event(Event::MessageRejected(error));
            }
        }
    }

    /// Answers a BDAT chunk once all of it is read.
    fn bdat_done(&mut self, rx: &BdatReceiver, size: u64, reject: Option<BdatReject>) {
        let last = rx.last;
        match reject {
            Some(r) if r.protocol_error => self.protocol_error(r.reply),
            Some(r) => {
                for _ in 0..r.count {
                    self.send(r.reply.clone());
                }
            }
            None => match rx.ends.and_then(|ends| ends.failure(last)) {
                Some(error) if last => self.finish_body(Some(error)),
                Some(error) => {
                    // The body is refused before its last chunk: one reply, and the
                    // chunks that follow find no transaction.
                    self.send(body_error_reply(error));
                    self.session.transaction = None;
                    self.push_event(Event::MessageRejected(error));
                }
                None => {
                    if let Some(txn) = self.session.transaction.as_mut() {
                        txn.bdat_ends = rx.ends;
                    }
                    if last {
                        self.finish_body(None);
                    } else {
                        self.send(reply(250, (2, 0, 0), format!("{size} octets received")));
                    }
                }
            },
        }
    }

    /// Appends a reply to the pending batch.
    fn send(&mut self, r: Reply<'_>) {
        encode_reply(&r, &mut self.replies);
    }

    /// Turns the pending batch of replies into one transmit.
    fn flush(&mut self) {
        if !self.replies.is_empty() {
            let bytes = self.replies.split().freeze();
            self.outputs.push_back(Output::Transmit(bytes));
        }
    }

    fn push_event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    /// Sends a reply to a client error, or `421 4.7.0` and closes at the error limit.
    fn protocol_error(&mut self, r: Reply<'static>) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        if self.bad_commands >= self.config.limits.max_bad_commands {
            let text = format!("{} Error: too many errors", self.config.hostname);
            self.close_with(reply(421, (4, 7, 0), text), CloseReason::TooManyErrors);
        } else {
            self.send(r);
        }
    }

    fn close_with(&mut self, r: Reply<'_>, reason: CloseReason) {
        self.send(r);
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

    /// Accepts the MAIL of [`Event::Mail`] (`250 2.1.0`); the transaction starts.
    pub fn accept_mail(&mut self) -> Result<(), DecisionError> {
        if let Pending::Mail(mail) = self.take_pending(|p| matches!(p, Pending::Mail(_)))? {
            let binary = mail.params.body == Some(Body::BinaryMime);
            self.session.transaction = Some(Transaction {
                mail,
                recipients: Vec::new(),
                rcpt_seen: false,
                bdat_received: None,
                bdat_ends: (!binary).then(|| LineEnds::new(self.config.bare_line_endings)),
            });
            self.send(reply(250, (2, 1, 0), "Ok"));
        }
        Ok(())
    }

    /// Rejects the MAIL of [`Event::Mail`] with `reply` (4xx or 5xx).
    pub fn reject_mail(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Mail(_)))?;
        self.send(with_enhanced(reply));
        Ok(())
    }

    /// Accepts the recipient of [`Event::Rcpt`] (`250 2.1.5`).
    pub fn accept_rcpt(&mut self) -> Result<(), DecisionError> {
        if let Pending::Rcpt(rcpt) = self.take_pending(|p| matches!(p, Pending::Rcpt(_)))? {
            if let Some(txn) = self.session.transaction.as_mut() {
                txn.recipients.push(rcpt.recipient);
            }
            self.send(reply(250, (2, 1, 5), "Ok"));
        }
        Ok(())
    }

    /// Rejects the recipient of [`Event::Rcpt`] with `reply` (4xx or 5xx).
    pub fn reject_rcpt(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Rcpt(_)))?;
        self.send(with_enhanced(reply));
        Ok(())
    }

    /// Answers [`Event::MessageEnd`] with a positive `reply` (e.g. `250 2.0.0 Ok: queued`).
    /// In LMTP mode the reply is sent for every recipient not yet answered.
    pub fn accept_message(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        self.answer_message(reply)
    }

    /// Answers [`Event::MessageEnd`] with a negative `reply`. In LMTP mode the reply is
    /// sent for every recipient not yet answered.
    pub fn reject_message(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        self.answer_message(reply)
    }

    fn answer_message(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        if let Pending::MessageEnd { remaining } =
            self.take_pending(|p| matches!(p, Pending::MessageEnd { .. }))?
        {
            let reply = with_enhanced(reply);
            for _ in 0..remaining {
                self.send(reply.clone());
            }
            self.session.transaction = None;
        }
        Ok(())
    }

    /// LMTP: the reply for the next recipient of [`Event::MessageEnd`], in RCPT order.
    /// After the last one the transaction ends. In SMTP mode this is the one reply.
    pub fn recipient_reply(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        if let Pending::MessageEnd { remaining } =
            self.take_pending(|p| matches!(p, Pending::MessageEnd { .. }))?
        {
            self.send(with_enhanced(reply));
            let remaining = remaining.saturating_sub(1);
            if remaining == 0 {
                self.session.transaction = None;
            } else {
                self.pending = Some(Pending::MessageEnd { remaining });
            }
        }
        Ok(())
    }

    /// Sends a SASL challenge (`334` and `data` in base64) for [`Event::Auth`] or
    /// [`Event::AuthResponse`]; the client's answer arrives as [`Event::AuthResponse`].
    pub fn auth_challenge(&mut self, data: &[u8]) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Auth))?;
        self.replies.extend_from_slice(b"334 ");
        self.replies
            .extend_from_slice(BASE64.encode(data).as_bytes());
        self.replies.extend_from_slice(b"\r\n");
        self.flush();
        self.phase = Phase::AuthResponse;
        Ok(())
    }

    /// Ends the SASL exchange successfully (`235 2.7.0`); `identity` is kept for
    /// [`Server::authenticated_identity`].
    pub fn auth_success(&mut self, identity: impl Into<String>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Auth))?;
        self.session.identity = Some(identity.into());
        self.send(reply(235, (2, 7, 0), "Authentication successful"));
        Ok(())
    }

    /// Ends the SASL exchange with a failure `reply` (usually `535 5.7.8`). Failures count
    /// towards [`Limits::max_bad_commands`].
    pub fn auth_failure(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Auth))?;
        self.protocol_error(with_enhanced(reply).into_owned());
        Ok(())
    }

    /// Answers [`Event::Vrfy`] or [`Event::Expn`].
    pub fn answer_lookup(&mut self, reply: Reply<'_>) -> Result<(), DecisionError> {
        self.take_pending(|p| matches!(p, Pending::Lookup))?;
        self.send(with_enhanced(reply));
        Ok(())
    }

    /// The TLS handshake after [`Event::StartTls`] completed: the session starts afresh
    /// over TLS (the client must greet again, RFC 3207 section 4.2).
    pub fn tls_established(&mut self) -> Result<(), DecisionError> {
        if !matches!(self.phase, Phase::TlsHandshake) {
            return Err(DecisionError::Unexpected {
                waiting_for: self.pending.as_ref().map_or("nothing", Pending::name),
            });
        }
        self.session = Session {
            tls: true,
            ..Session::default()
        };
        self.phase = Phase::Command;
        self.anchor = self.clock;
        Ok(())
    }

    /// Ends the session from the application side with `reply` (e.g. `421 4.3.2`).
    pub fn close(&mut self, reply: Reply<'_>) {
        if !self.is_closed() {
            self.close_with(with_enhanced(reply), CloseReason::Application);
        }
    }
}

/// The reply to a body refused while it was read.
fn body_error_reply(error: BodyError) -> Reply<'static> {
    match error {
        BodyError::TooBig => replies::message_too_big(),
        BodyError::LineTooLong => reply(550, (5, 6, 0), "Error: message line too long"),
        BodyError::BareLineEnding => reply(
            550,
            (5, 6, 0),
            "Error: bare CR or LF in message, lines must end with CRLF",
        ),
    }
}
