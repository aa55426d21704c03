//! The IMAP server state machine (Sans-IO).
//!
//! # Driving contract
//!
//! The machine does no I/O and reads no clock. The application (the "driver") moves
//! bytes and time in and out:
//!
//! - [`Server::new`] queues the greeting (`* OK [CAPABILITY ...]`, `* PREAUTH` or
//!   `* BYE`, see [`GreetingKind`]).
//! - [`Server::handle_input`] appends bytes received from the client.
//! - [`Server::handle_timeout`] tells the machine the time and fires an expired
//!   inactivity timeout (`* BYE Autologout`, then [`Event::Closed`]). Timeouts are
//!   measured from the last time learned through `handle_timeout`, so call it with the
//!   current time whenever the driver wakes up (before `handle_input`, before answering a
//!   decision that took time, and at the instant from [`Server::poll_timeout`]). A
//!   timeout counts from the last complete command line, continuation or decision:
//!   a partial line does not extend it (a client trickling bytes is still closed),
//!   while APPEND message data does (a slow upload is not cut off).
//! - [`Server::poll_output`] returns, in order: [`Output::Transmit`] (bytes to write),
//!   [`Output::Event`] (see [`Event`]), or [`Output::NeedInput`] once nothing more can
//!   happen without input, a timeout or a decision.
//!
//! **Drain order:** after every input, timeout, decision or other method call
//! (`push_unsolicited`, `close`, ...), call `poll_output` until `NeedInput`. Transmits
//! and events come out in the order they arise; write each transmit before acting on a
//! later [`Event::StartTls`], [`Event::StartCompression`] or [`Event::Closed`].
//!
//! Decision events ([`Event::Command`], [`Event::Authenticate`], [`Event::AuthResponse`],
//! [`Event::Literal`], [`Event::AppendMessage`], [`Event::AppendEnd`],
//! [`Event::Compress`]) are answered with
//! methods. Until then the machine reads no further pipelined command, so every command
//! gets exactly one tagged completion, in order. Commands reach the application one at a
//! time; the application answers a command with zero or more
//! [`Server::send_untagged`] calls and one [`Server::complete`]. The machine writes the
//! tag itself and applies the state change a completion implies: LOGIN OK moves to
//! authenticated (with `[CAPABILITY ...]` added), SELECT/EXAMINE OK to selected (with
//! `[READ-WRITE]`/`[READ-ONLY]` added), SELECT/EXAMINE NO to authenticated, CLOSE and
//! UNSELECT OK back to authenticated.
//!
//! # Example
//!
//! ```
//! use std::time::Instant;
//! use imap_proto::server::{Config, Event, Output, Server, State, Status};
//! use imap_proto::types::{CommandBody, Untagged};
//!
//! let mut config = Config::new();
//! config.plaintext_auth = true; // a test without TLS
//! let mut server = Server::new(config, Instant::now());
//! let mut sent = Vec::new();
//! let input: &[&[u8]] = &[b"a1 LOGIN joe secret\r\na2 SELECT INBOX\r\n", b"a3 LOGOUT\r\n"];
//! for bytes in input {
//!     server.handle_timeout(Instant::now());
//!     server.handle_input(bytes);
//!     loop {
//!         match server.poll_output() {
//!             Output::Transmit(b) => sent.extend_from_slice(&b),
//!             Output::Event(Event::Command(cmd)) => match cmd.body {
//!                 CommandBody::Login { .. } => server.complete(Status::ok("Logged in")).unwrap(),
//!                 CommandBody::Select { .. } => {
//!                     server.send_untagged(Untagged::Exists(3)).unwrap();
//!                     server.complete(Status::ok("Selected")).unwrap();
//!                     assert!(matches!(server.state(), State::Selected { read_only: false }));
//!                 }
//!                 _ => server.complete(Status::no("Not implemented")).unwrap(),
//!             },
//!             Output::Event(_) => {}
//!             Output::NeedInput => break,
//!         }
//!     }
//! }
//! let text = String::from_utf8(sent).unwrap();
//! assert!(text.starts_with("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN"));
//! assert!(text.contains("a2 OK [READ-WRITE] Selected\r\n"));
//! assert!(text.ends_with("* 3 EXISTS\r\na2 OK [READ-WRITE] Selected\r\n* BYE Logging out\r\na3 OK LOGOUT completed\r\n"));
//! assert!(server.is_closed());
//! ```
//!
//! # Pipelining and flushing
//!
//! Responses are gathered and written as one transmit when the buffered input holds no
//! further complete command, before the client must answer (`+` continuations, the
//! STARTTLS OK, `* BYE`), when a decision is pending and the driver polls, and whenever
//! 64 KiB have gathered.
//!
//! # Literals
//!
//! Commands are framed before they are parsed ([`crate::codec::frame`]): a garbage line
//! gets `tag BAD` when its tag is readable and `* BAD` otherwise, and the literals inside
//! it are skipped by their announced size, never read as commands.
//!
//! - A synchronising literal `{n}` within [`Limits::max_literal`] is offered to the
//!   application ([`Event::Literal`], or accepted at once with [`LiteralPolicy::Accept`]);
//!   `+` is sent when it is accepted. A refused or too large one gets `tag NO`/`BAD`
//!   (`NO [TOOBIG]` for the limit) and the client sends nothing more of that command.
//! - A non-synchronising literal `{n+}` over the limit (4096 with LITERAL-,
//!   [`Limits::max_literal`] with LITERAL+, [`Limits::max_append_size`] for an APPEND
//!   message) cannot be skipped cheaply: the machine answers `tag BAD [TOOBIG]`, then
//!   `* BYE` and closes (RFC 7888 section 4 allows either; closing bounds the work a
//!   hostile client can cause).
//! - APPEND message literals are never buffered: after [`Event::AppendMessage`] is
//!   accepted they stream out as [`Event::AppendChunk`]s (MULTIAPPEND: one
//!   `AppendMessage` per message), then [`Event::AppendEnd`] asks for the tagged
//!   result. A non-synchronising message the application refuses is read and discarded,
//!   and its status is sent when the command ends.
//!
//! # Unsolicited responses and EXPUNGE
//!
//! [`Server::push_unsolicited`] queues updates from other sessions (EXISTS, FETCH flags,
//! EXPUNGE, VANISHED) in one FIFO. Responses leave the queue at once, except that an
//! EXPUNGE (or VANISHED without EARLIER) waits, together with everything queued after
//! it, until one may be sent (RFC 9051 section 7.5.1): a mailbox is selected and a
//! command other than FETCH, STORE, SEARCH, SORT or THREAD by sequence number (or CLOSE
//! and UNSELECT, which drop the queue) is in progress. A command is in progress from its
//! decision event until its completion, during the [`Event::Noop`] hook and during IDLE;
//! never between commands. So queued expunges go out at the next NOOP, IDLE, or UID
//! command at the latest. [`Server::may_send_expunge`] tells whether they would leave
//! now. Leaving the selected state drops the queue. An expunge passed to
//! [`Server::send_untagged`] when not allowed is queued the same way.
//!
//! # Limits and timeouts
//!
//! See [`Limits`] and [`Timeouts`]: lines 64 KiB, literals 64 KiB (APPEND 50 MiB),
//! commands 1 MiB, 20 bad commands and 5 failed logins before `* BYE`; 60 s before
//! authentication, 30 min after and during IDLE. Timeouts never run while the machine
//! waits for the application.
//!
//! # STARTTLS
//!
//! The tagged OK is flushed, then [`Event::StartTls`]. Bytes the client pipelined after
//! the STARTTLS line, and any input until [`Server::tls_established`], are discarded
//! (never executed), against command injection.
//!
//! # COMPRESS=DEFLATE (RFC 4978)
//!
//! The machine handles the command; the deflate layer belongs to the application. List
//! [`Capability::CompressDeflate`] in [`Config::extensions`] to offer it. `COMPRESS
//! DEFLATE` is valid in the authenticated and selected states (`BAD` before
//! authentication, or when not offered; an unknown algorithm is a syntax error: `BAD`).
//!
//! 1. The client sends `tag COMPRESS DEFLATE`: the machine asks with [`Event::Compress`].
//! 2. [`Server::reject_compression`] sends `tag NO`/`BAD` (e.g. `NO [COMPRESSIONACTIVE]`
//!    when TLS already compresses) and the session goes on uncompressed.
//!    [`Server::accept_compression`] queues `tag OK` and flushes it: the last
//!    uncompressed bytes. Then comes [`Event::StartCompression`]`{ pending }`.
//! 3. On that event the application writes the transmits before it in clear, then
//!    deflates every later transmit and inflates every byte read before passing it to
//!    [`Server::handle_input`]. The machine keeps working on plain IMAP as before.
//!
//! `pending` holds the client bytes already buffered after the COMPRESS line. A client
//! must not send anything after COMPRESS before it sees the result (RFC 4978 section
//! 3); if it did anyway, it compressed those bytes, since it compresses "starting with
//! the first command after COMPRESS". Unlike after STARTTLS they are not discarded:
//! compression is no security boundary (no one can inject bytes before COMPRESS that
//! could not be sent as plain commands), and dropping them would cut the compressed
//! stream. The application inflates `pending` first (an inflate error is a broken
//! stream: close the connection) and feeds the result back. A second COMPRESS once
//! active gets `NO [COMPRESSIONACTIVE]` (as Dovecot answers; the RFC also allows `BAD`).

mod append;
mod capabilities;
mod commands;
mod compress;
mod config;
mod decisions;
mod event;
mod literals;
mod state;
mod unsolicited;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};

pub use config::{Config, GreetingKind, Limits, LiteralPolicy, NonSyncLiterals, Timeouts};
pub use event::{AppendMessageInfo, CloseReason, DecisionError, Event, Output, SaslData, Status};
pub use state::State;

use self::append::AppendCtx;
use crate::codec::{DecodeOptions, EncodeOptions, LiteralMode, encode_response_with};
use crate::types::{Capability, Code, RespText, Response, StatusKind, Tag, Tagged, Untagged};

/// Gathered responses beyond this size are turned into a transmit at once.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// What the machine is reading.
#[derive(Debug)]
enum Phase {
    /// Commands.
    Command,
    /// An AUTHENTICATE response line after a `+` challenge.
    AuthResponse { tag: Tag<'static> },
    /// IDLE: waiting for `DONE`.
    Idle { tag: Tag<'static> },
    /// The data of an APPEND message.
    AppendData { ctx: Box<AppendCtx>, remaining: u64 },
    /// What follows an APPEND message: another message or the end of the command.
    AppendNext { ctx: Box<AppendCtx> },
    /// STARTTLS accepted; input is discarded until `tls_established`.
    TlsHandshake,
    /// The session is over.
    Closed,
}

/// How completing a command changes the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommandKind {
    Login,
    Select { examine: bool },
    Deselect,
    Other,
}

/// The decision the machine waits for.
#[derive(Debug)]
enum Pending {
    Command {
        tag: Tag<'static>,
        kind: CommandKind,
        blocks_expunge: bool,
    },
    Authenticate {
        tag: Tag<'static>,
    },
    Literal {
        tag: Tag<'static>,
        offset: usize,
    },
    AppendMessage(Box<AppendCtx>),
    AppendEnd {
        tag: Tag<'static>,
    },
    Compress {
        tag: Tag<'static>,
    },
}

impl Pending {
    fn name(&self) -> &'static str {
        match self {
            Self::Command { .. } => "command completion",
            Self::Authenticate { .. } => "AUTHENTICATE decision",
            Self::Literal { .. } => "literal decision",
            Self::AppendMessage(_) => "APPEND message decision",
            Self::AppendEnd { .. } => "APPEND completion",
            Self::Compress { .. } => "COMPRESS decision",
        }
    }
}

/// An IMAP server session. See the [module docs](self) for the driving contract.
#[derive(Debug)]
pub struct Server {
    config: Config,
    decode: DecodeOptions,
    input: BytesMut,
    replies: BytesMut,
    outputs: VecDeque<Output>,
    phase: Phase,
    pending: Option<Pending>,
    state: State,
    tls: bool,
    /// COMPRESS was accepted: the application runs the deflate layer.
    compressed: bool,
    enabled: Vec<Capability<'static>>,
    unsolicited: VecDeque<Untagged<'static>>,
    /// NOOP whose OK is sent once the application saw [`Event::Noop`].
    noop: Option<Tag<'static>>,
    /// Offset (in `input`) of the last synchronising literal answered with `+`.
    literal_acked: usize,
    bad_commands: u32,
    auth_failures: u32,
    /// The latest time learned from `new` or `handle_timeout`.
    clock: Instant,
    /// When the current wait for the client started: the end of the last complete
    /// command line (or decision), never a partial line, so trickled bytes cannot
    /// postpone the timeout (slowloris). APPEND message data does move it.
    anchor: Instant,
}

impl Server {
    /// Starts a session: the greeting is the first output.
    pub fn new(config: Config, now: Instant) -> Self {
        let config = config.sanitized();
        let l = &config.limits;
        let non_sync = match config.non_sync_literals {
            NonSyncLiterals::Minus => Some(4096.min(l.max_literal)),
            NonSyncLiterals::Plus => None,
        };
        let decode = DecodeOptions::new(l.max_line_length, l.max_literal)
            .with_max_non_sync_literal(non_sync)
            .with_max_message(l.max_command_size);
        let state = match config.greeting {
            GreetingKind::PreAuth => State::Authenticated,
            _ => State::NotAuthenticated,
        };
        let mut server = Self {
            tls: config.implicit_tls,
            compressed: false,
            config,
            decode,
            input: BytesMut::new(),
            replies: BytesMut::new(),
            outputs: VecDeque::new(),
            phase: Phase::Command,
            pending: None,
            state,
            enabled: Vec::new(),
            unsolicited: VecDeque::new(),
            noop: None,
            literal_acked: 0,
            bad_commands: 0,
            auth_failures: 0,
            clock: now,
            anchor: now,
        };
        server.greet();
        server
    }

    fn greet(&mut self) {
        let text = self.config.greeting_text.clone();
        let caps = Code::Capability(self.capabilities());
        let with_caps = Status::ok(text.clone()).with_code(caps).resp_text();
        match self.config.greeting {
            GreetingKind::Ok => self.send_untagged_status(StatusKind::Ok, with_caps),
            GreetingKind::PreAuth => {
                self.send_response(&Response::Untagged(Untagged::PreAuth(with_caps)))
            }
            GreetingKind::Bye => {
                let bye = Status::ok(text).resp_text();
                self.close_with_bye_text(bye, CloseReason::Refused);
                return;
            }
        }
        self.flush();
    }

    /// The configuration in force (limits raised to usable minimums).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The connection state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the session runs over TLS (implicit, or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Whether the machine waits for the application to answer a decision event.
    pub fn awaiting_decision(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether the client is in IDLE.
    pub fn is_idling(&self) -> bool {
        matches!(self.phase, Phase::Idle { .. })
    }

    /// Bytes of client input held inside the machine: at most one incomplete command
    /// plus one read (APPEND message data is passed on, not held), or
    /// [`Limits::max_pending_input`] more while a decision is pending.
    pub fn buffered_input_len(&self) -> usize {
        self.input.len()
    }

    /// The extensions the client enabled with ENABLE.
    pub fn enabled(&self) -> &[Capability<'static>] {
        &self.enabled
    }

    /// Whether `cap` was enabled (QRESYNC implies CONDSTORE).
    pub fn is_enabled(&self, cap: &Capability<'_>) -> bool {
        self.enabled.iter().any(|c| c == cap)
    }

    /// The capabilities advertised in the current state.
    pub fn capabilities(&self) -> Vec<Capability<'static>> {
        capabilities::advertised(&self.config, self.tls, self.state)
    }

    /// Whether IMAP4rev2 semantics apply (enabled, or the only version offered).
    pub fn is_rev2(&self) -> bool {
        self.is_enabled(&Capability::Imap4Rev2) || !self.config.imap4rev1
    }

    /// Whether responses may carry UTF-8 in quoted strings (IMAP4rev2 or UTF8=ACCEPT).
    pub fn utf8_enabled(&self) -> bool {
        self.is_rev2() || self.is_enabled(&Capability::Utf8Accept)
    }

    /// Bytes from the client. Ignored after the session closed and while a STARTTLS
    /// handshake is pending (the STARTTLS injection defence).
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
            return;
        }
        if matches!(self.phase, Phase::AppendData { .. }) {
            // Message data is progress: a big APPEND over a slow link is not cut off.
            self.anchor = self.clock;
        }
        let cap = self
            .config
            .limits
            .max_command_size
            .saturating_add(self.config.limits.max_pending_input);
        if self.pending.is_some() && self.input.len().saturating_add(bytes.len()) > cap {
            self.close_with_bye("Too much pipelined input", CloseReason::TooMuchInput);
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Tells the machine the time; sends `* BYE Autologout` and closes if the inactivity
    /// timeout expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            self.close_with_bye("Autologout; idle for too long", CloseReason::Timeout);
        }
    }

    /// When [`Server::handle_timeout`] should be called next, if a timeout is running.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current_timeout().map(|d| self.anchor + d)
    }

    fn current_timeout(&self) -> Option<Duration> {
        let t = &self.config.timeouts;
        if self.pending.is_some() || self.noop.is_some() {
            return None;
        }
        match self.phase {
            Phase::Closed | Phase::TlsHandshake => None,
            Phase::Idle { .. } => Some(t.idle),
            _ if self.state.is_authenticated() => Some(t.authenticated),
            _ => Some(t.not_authenticated),
        }
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

    /// Makes one step of progress; false if more input is needed.
    fn step(&mut self) -> bool {
        if let Some(tag) = self.noop.take() {
            self.release_unsolicited();
            self.send_tagged(&tag, &Status::ok("NOOP completed"));
            return true;
        }
        match self.phase {
            Phase::Closed | Phase::TlsHandshake => false,
            Phase::Command => self.step_command(),
            Phase::AuthResponse { .. } => self.step_auth_response(),
            Phase::Idle { .. } => self.step_idle(),
            Phase::AppendData { .. } => self.step_append_data(),
            Phase::AppendNext { .. } => self.step_append_next(),
        }
    }

    fn encode_options(&self) -> EncodeOptions {
        EncodeOptions::new(LiteralMode::Sync, self.utf8_enabled())
    }

    /// Appends a response to the gathered batch.
    fn send_response(&mut self, response: &Response<'_>) {
        encode_response_with(response, self.encode_options(), &mut self.replies);
        if self.replies.len() >= FLUSH_THRESHOLD {
            self.flush();
        }
    }

    fn send_tagged(&mut self, tag: &Tag<'_>, status: &Status) {
        let tagged = Tagged {
            tag: tag.clone(),
            status: status.kind(),
            text: status.resp_text(),
        };
        self.send_response(&Response::Tagged(tagged));
    }

    fn send_untagged_status(&mut self, status: StatusKind, text: RespText<'_>) {
        self.send_response(&Response::Untagged(Untagged::Condition { status, text }));
    }

    /// Sends `+ text` and flushes: the client waits for it.
    fn send_continuation(&mut self, text: &str) {
        self.replies.put_slice(b"+ ");
        self.replies.put_slice(text.as_bytes());
        self.replies.put_slice(b"\r\n");
        self.flush();
    }

    /// Turns the gathered responses into one transmit.
    fn flush(&mut self) {
        if !self.replies.is_empty() {
            let bytes = self.replies.split().freeze();
            self.outputs.push_back(Output::Transmit(bytes));
        }
    }

    fn push_event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    /// Answers a client error with `tag BAD` (or `* BAD`), then `* BYE` at the limit.
    fn bad(&mut self, tag: Option<&Tag<'_>>, text: &str) {
        let status = Status::bad(text);
        match tag {
            Some(tag) => self.send_tagged(tag, &status),
            None => self.send_untagged_status(StatusKind::Bad, status.resp_text()),
        }
        self.bad_commands = self.bad_commands.saturating_add(1);
        if self.bad_commands >= self.config.limits.max_bad_commands {
            self.close_with_bye("Too many invalid commands", CloseReason::TooManyErrors);
        }
    }

    /// Counts a failed authentication; `* BYE` at the limit.
    fn auth_failed(&mut self) {
        self.auth_failures = self.auth_failures.saturating_add(1);
        if self.auth_failures >= self.config.limits.max_auth_failures {
            self.close_with_bye(
                "Too many authentication failures",
                CloseReason::TooManyAuthFailures,
            );
        }
    }

    /// `tag BAD [TOOBIG] text` when the tag is known, then `* BYE` and close: the end of
    /// the command cannot be found.
    fn close_unframeable(&mut self, tag: Option<Tag<'static>>, text: &str) {
        if let Some(tag) = tag {
            let status = Status::bad(text).with_code(Code::TooBig);
            self.send_tagged(&tag, &status);
        }
        self.close_with_bye(text, CloseReason::TooLong);
    }

    fn close_with_bye(&mut self, text: &str, reason: CloseReason) {
        let text = Status::ok(text).resp_text();
        self.close_with_bye_text(text, reason);
    }

    fn close_with_bye_text(&mut self, text: RespText<'_>, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        if self.append_announced() {
            self.push_event(Event::AppendAborted);
        }
        self.send_response(&Response::Untagged(Untagged::Bye(text)));
        self.flush();
        self.phase = Phase::Closed;
        self.state = State::Logout;
        self.pending = None;
        self.noop = None;
        self.input.clear();
        self.unsolicited.clear();
        self.push_event(Event::Closed(reason));
    }

    /// Ends the session from the application side with `* BYE text` (e.g. shutdown).
    pub fn close(&mut self, text: &str) {
        self.close_with_bye(text, CloseReason::Application);
    }

    /// Ends the session from the application side with `* BYE`, carrying the response
    /// code and text of `status` (e.g. `* BYE [UNAVAILABLE] Server shutting down`); the
    /// status kind is ignored.
    pub fn close_with(&mut self, status: Status) {
        self.close_with_bye_text(status.resp_text(), CloseReason::Application);
    }
}
