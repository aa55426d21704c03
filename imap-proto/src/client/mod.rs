//! The IMAP client state machine (Sans-IO).
//!
//! [`Client`] never touches a socket or a clock. The application (the "driver") moves
//! bytes and time in and out:
//!
//! - [`Client::handle_input`] with every byte read from the server (any split is fine);
//! - [`Client::handle_timeout`] with the current time whenever the instant returned by
//!   [`Client::poll_timeout`] has been reached. That instant may be in the past: it then
//!   means "tell me the time" (the client stamps what it just sent or received with the
//!   `now` it is given), so call `handle_timeout` at once;
//! - [`Client::poll_output`] after every input, timeout or method call, draining it until
//!   it returns [`Output::NeedInput`]: write [`Output::Transmit`] bytes to the server in
//!   order, and act on [`Output::Event`]s.
//!
//! Outputs come out in the order they arose; consecutive transmissions are merged.
//!
//! # Commands
//!
//! [`Client::command`] queues any [`CommandBody`] and returns the [`Tag`] the client gave
//! it; [`Event::Completed`] with that tag reports its end. Commands may be given at any
//! time, even before the greeting: each is encoded when it is sent, with the literal
//! form the server allows (`{n+}` with LITERAL+, or with LITERAL- up to 4096 octets;
//! otherwise the client sends `{n}` and waits for the server's `+` before the data).
//! Commands are pipelined (sent without waiting for the previous completion) where that
//! is safe: commands that change the state (LOGIN, AUTHENTICATE, STARTTLS, COMPRESS,
//! SELECT, EXAMINE, CLOSE, UNSELECT, ENABLE, EXPUNGE, IDLE, LOGOUT, CAPABILITY) wait for the
//! commands before them and hold back the ones after them, as does a command waiting for
//! a `+`; commands using message numbers wait for commands during which the server may
//! report an EXPUNGE. Tagged responses are matched by tag, in any order.
//!
//! Untagged responses ([`Event::Untagged`]) are reported whenever they come, in the
//! middle of a command or unsolicited. A FETCH response carrying a literal above
//! [`Config::stream_threshold`] is streamed: [`Event::FetchStart`], its items
//! ([`Event::FetchItem`], [`Event::LiteralStart`], [`Event::LiteralChunk`]s,
//! [`Event::LiteralEnd`]) and [`Event::FetchEnd`]; the client never holds more of the
//! literal than one input.
//!
//! # Exchanges with the application
//!
//! - AUTHENTICATE ([`Client::authenticate`]): the initial response goes on the command
//!   line when the server offers SASL-IR, else in answer to the first, empty challenge.
//!   Each other challenge is an [`Event::AuthChallenge`], answered with
//!   [`Client::auth_respond`] or [`Client::auth_cancel`].
//! - STARTTLS ([`Client::starttls`]): after the server's OK comes [`Event::StartTls`];
//!   the application runs the handshake and calls [`Client::tls_established`]. A byte from
//!   the server in between is an error. Capabilities learnt before are forgotten and
//!   asked for again.
//! - COMPRESS ([`Client::compress`], RFC 4978): sent when the server offers
//!   COMPRESS=DEFLATE, after every command before it completed; the commands after it
//!   wait for its completion (no pipelining across the switch). A NO or BAD comes as
//!   [`Event::Completed`] and the session stays uncompressed. After the OK comes
//!   [`Event::StartCompression`]`{ pending }`: from then on the application deflates
//!   every transmit and inflates what it feeds to [`Client::handle_input`]. Server bytes
//!   that followed the OK in the same input are compressed data: they are handed back
//!   in `pending` (never parsed), and the application inflates them and feeds the
//!   result back.
//! - IDLE ([`Client::idle`]): [`Event::IdleStarted`] once the server accepts, pushed
//!   updates as [`Event::Untagged`], [`Client::done`] to end it, and
//!   [`Event::IdleRefresh`] after [`Timeouts::idle_refresh`] as a reminder to re-issue it.
//!
//! # Errors and limits
//!
//! Anything the server sends that is not a valid, expected response, and every timeout,
//! ends the session with [`Event::Error`] followed by [`Event::Closed`]; the client never
//! panics on input. It buffers at most one response within [`Config::response`] limits
//! (streamed literals aside). A command times out when the server sends nothing for
//! [`Timeouts::command`] while it is outstanding (the application's turn in an
//! AUTHENTICATE exchange and an accepted IDLE do not count).
//!
//! ```
//! use imap_proto::client::{Client, Config, Event, Output};
//! use imap_proto::types::{AString, CommandBody, Secret, StatusKind};
//! use std::time::Instant;
//!
//! let mut client = Client::new(Config::default(), Instant::now());
//! let mut sent = Vec::new();
//! let mut events = Vec::new();
//! let mut drain = |client: &mut Client, sent: &mut Vec<u8>, events: &mut Vec<Event>| loop {
//!     match client.poll_output() {
//!         Output::Transmit(bytes) => sent.extend_from_slice(&bytes),
//!         Output::Event(event) => events.push(event),
//!         Output::NeedInput => break,
//!     }
//! };
//!
//! client.handle_input(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n");
//! drain(&mut client, &mut sent, &mut events);
//! assert!(matches!(events[0], Event::Greeting(_)));
//! assert!(matches!(&events[1], Event::Capabilities(caps) if caps.len() == 2));
//!
//! let login = CommandBody::Login {
//!     username: AString::text("alice").unwrap(),
//!     password: Secret(AString::text("pass word").unwrap()),
//! };
//! let tag = client.command(login).unwrap();
//! drain(&mut client, &mut sent, &mut events);
//! assert_eq!(sent, b"A1 LOGIN alice \"pass word\"\r\n");
//!
//! client.handle_input(b"A1 OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n");
//! drain(&mut client, &mut sent, &mut events);
//! assert!(matches!(&events[2], Event::Completed { tag: t, status: StatusKind::Ok, .. } if *t == tag));
//! assert!(client.is_authenticated());
//! ```

mod config;
mod error;
mod event;
mod input;
mod queue;
mod timer;

pub use config::{Config, Timeouts};
pub use error::ClientError;
pub use event::{Event, Output};

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, BytesMut};

use crate::codec::{
    EncodeOptions, Fragment, LiteralMode, ResponseStream, encode_command_fragments,
};
use crate::types::{Atom, Capability, Command, CommandBody, Secret, Tag};
use queue::{Hold, InFlight, Kind, Queued};

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the greeting.
    Greeting,
    /// Commands can be sent.
    Open,
    /// The server accepted STARTTLS; waiting for [`Client::tls_established`].
    TlsHandshake,
    /// The session is over.
    Closed,
}

/// An IMAP client session. See the [module documentation](self) for the contract.
#[derive(Debug)]
pub struct Client {
    config: Config,
    phase: Phase,
    input: BytesMut,
    stream: ResponseStream,
    /// The message number of the streamed FETCH response being decoded.
    fetch_seq: Option<std::num::NonZeroU32>,
    output: VecDeque<Pending>,
    queue: VecDeque<Queued>,
    in_flight: Vec<InFlight>,
    hold: Option<Hold>,
    next_tag: u64,
    capabilities: Option<Vec<Capability<'static>>>,
    capability_generation: u64,
    /// `* ENABLED` named UTF8=ACCEPT or IMAP4rev2: quoted strings may carry UTF-8.
    utf8: bool,
    authenticated: bool,
    tls: bool,
    compression: Compression,
    /// LOGOUT was queued: nothing more may be.
    logging_out: bool,
    /// `* BYE` arrived during LOGOUT; the session closes at its completion.
    bye: bool,
    // Time keeping (see `timer.rs`).
    clock: Instant,
    needs_stamp: bool,
    input_unstamped: bool,
    last_input: Option<Instant>,
    greeting_deadline: Option<Instant>,
}

/// Where COMPRESS is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Off,
    /// Queued or sent, not completed.
    Requested,
    Active,
}

/// An output waiting to be polled.
#[derive(Debug)]
enum Pending {
    Transmit(BytesMut),
    Event(Event),
}

impl Client {
    /// A client waiting for the server's greeting; `now` starts the greeting timer.
    pub fn new(config: Config, now: Instant) -> Self {
        let stream = ResponseStream::new(config.response, config.stream_threshold);
        let greeting_deadline = now.checked_add(config.timeouts.greeting);
        Self {
            config,
            phase: Phase::Greeting,
            input: BytesMut::new(),
            stream,
            fetch_seq: None,
            output: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            hold: None,
            next_tag: 1,
            capabilities: None,
            capability_generation: 0,
            utf8: false,
            authenticated: false,
            tls: false,
            compression: Compression::Off,
            logging_out: false,
            bye: false,
            clock: now,
            needs_stamp: false,
            input_unstamped: false,
            last_input: None,
            greeting_deadline,
        }
    }

    /// Feeds bytes received from the server.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.phase {
            Phase::Closed => {}
            Phase::TlsHandshake => self.fail(ClientError::DataBeforeTls),
            Phase::Greeting | Phase::Open => {
                self.input_unstamped = true;
                self.needs_stamp = true;
                self.input.extend_from_slice(bytes);
                self.process_input();
            }
        }
    }

    /// The next thing to do; see the [module documentation](self).
    pub fn poll_output(&mut self) -> Output {
        match self.output.pop_front() {
            Some(Pending::Transmit(bytes)) => Output::Transmit(bytes.freeze()),
            Some(Pending::Event(event)) => Output::Event(event),
            None => Output::NeedInput,
        }
    }

    /// Queues a command and returns its tag; [`Event::Completed`] with this tag reports
    /// its completion. The command times out after [`Timeouts::command`] without news
    /// from the server.
    ///
    /// `IDLE`, `STARTTLS`, `AUTHENTICATE` and `COMPRESS` given here behave as
    /// [`Client::idle`], [`Client::starttls`], [`Client::authenticate`] and
    /// [`Client::compress`].
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] after the session closed, after LOGOUT, for
    /// STARTTLS on a TLS connection, and for COMPRESS as [`Client::compress`] says.
    pub fn command(&mut self, body: CommandBody<'_>) -> Result<Tag<'static>, ClientError> {
        let timeout = Some(self.config.timeouts.command);
        self.command_with_timeout(body, timeout)
    }

    /// Like [`Client::command`] with this command's own timeout (`None`: never).
    ///
    /// # Errors
    ///
    /// As [`Client::command`].
    pub fn command_with_timeout(
        &mut self,
        body: CommandBody<'_>,
        timeout: Option<Duration>,
    ) -> Result<Tag<'static>, ClientError> {
        self.check_command(&body)?;
        match body {
            CommandBody::Logout => self.logging_out = true,
            CommandBody::CompressDeflate => self.compression = Compression::Requested,
            _ => {}
        }
        let tag = self.next_tag();
        self.queue.push_back(Queued {
            tag: tag.clone(),
            body: body.into_owned(),
            timeout,
            internal: false,
            idle_done: false,
        });
        self.pump();
        Ok(tag)
    }

    /// Starts `AUTHENTICATE mechanism` with an optional initial response (raw bytes; the
    /// client encodes them). Challenges come as [`Event::AuthChallenge`].
    ///
    /// # Errors
    ///
    /// As [`Client::command`].
    pub fn authenticate(
        &mut self,
        mechanism: Atom<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<Tag<'static>, ClientError> {
        self.command(CommandBody::Authenticate {
            mechanism,
            initial_response: initial_response.map(|r| Secret(Cow::Borrowed(r))),
        })
    }

    /// Answers an [`Event::AuthChallenge`] with raw bytes (base64-encoded by the client).
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] when no challenge waits for an answer.
    pub fn auth_respond(&mut self, response: &[u8]) -> Result<(), ClientError> {
        let mut line = BytesMut::from(BASE64.encode(response).as_bytes());
        line.put_slice(b"\r\n");
        self.answer_challenge(line, "auth_respond")
    }

    /// Cancels the AUTHENTICATE exchange after an [`Event::AuthChallenge`] (sends `*`);
    /// the server completes the command with BAD.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] when no challenge waits for an answer.
    pub fn auth_cancel(&mut self) -> Result<(), ClientError> {
        self.answer_challenge(BytesMut::from(&b"*\r\n"[..]), "auth_cancel")
    }

    /// Queues `STARTTLS`; see [`Event::StartTls`].
    ///
    /// # Errors
    ///
    /// As [`Client::command`].
    pub fn starttls(&mut self) -> Result<Tag<'static>, ClientError> {
        self.command(CommandBody::StartTls)
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded: the client forgets the
    /// capabilities it learnt in clear text, asks for them again (with
    /// [`Config::auto_capability`]) and sends the commands waiting.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] unless the client waits for the handshake.
    pub fn tls_established(&mut self) -> Result<(), ClientError> {
        if self.phase != Phase::TlsHandshake {
            return Err(invalid_state("tls_established", "no STARTTLS was accepted"));
        }
        self.phase = Phase::Open;
        self.tls = true;
        self.capabilities = None;
        self.capability_generation += 1;
        self.input = BytesMut::new();
        self.stream = ResponseStream::new(self.config.response, self.config.stream_threshold);
        self.request_capabilities();
        self.pump();
        Ok(())
    }

    /// Queues `COMPRESS DEFLATE` (RFC 4978); see [`Event::StartCompression`]. It is sent
    /// once the commands before it completed, and holds back the commands after it until
    /// its own completion. Call it once the capabilities after login are known (the
    /// server may offer COMPRESS only then).
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] as [`Client::command`], when the server's known
    /// capabilities lack COMPRESS=DEFLATE (or none are known yet), and when compression
    /// is active or already requested.
    pub fn compress(&mut self) -> Result<Tag<'static>, ClientError> {
        self.command(CommandBody::CompressDeflate)
    }

    /// Whether the server accepted COMPRESS: the application's deflate layer is in use.
    pub fn is_compressed(&self) -> bool {
        self.compression == Compression::Active
    }

    /// Queues `IDLE` (RFC 2177); see [`Event::IdleStarted`] and [`Client::done`].
    ///
    /// # Errors
    ///
    /// As [`Client::command`].
    pub fn idle(&mut self) -> Result<Tag<'static>, ClientError> {
        self.command(CommandBody::Idle)
    }

    /// Ends IDLE: sends `DONE` (at once, or as soon as the server accepts IDLE); the
    /// server then completes the IDLE command. Commands given during IDLE are sent after
    /// its completion.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidState`] when no IDLE is running or queued, or DONE was
    /// already requested.
    pub fn done(&mut self) -> Result<(), ClientError> {
        if let Some(Hold::Idle {
            tag,
            accepted,
            done,
            ..
        }) = &mut self.hold
        {
            if *done {
                return Err(invalid_state("done", "DONE was already requested"));
            }
            *done = true;
            if *accepted {
                let tag = tag.clone();
                self.send_done(&tag);
            }
            return Ok(());
        }
        let queued = self
            .queue
            .iter_mut()
            .find(|q| matches!(q.body, CommandBody::Idle) && !q.idle_done);
        match queued {
            Some(q) => {
                q.idle_done = true;
                Ok(())
            }
            None => Err(invalid_state("done", "no IDLE is running")),
        }
    }

    /// Queues `LOGOUT`; [`Event::Closed`] follows its completion.
    ///
    /// # Errors
    ///
    /// As [`Client::command`].
    pub fn logout(&mut self) -> Result<Tag<'static>, ClientError> {
        self.command(CommandBody::Logout)
    }

    /// The server's capabilities, when known.
    pub fn capabilities(&self) -> Option<&[Capability<'static>]> {
        self.capabilities.as_deref()
    }

    /// Whether the server announced this capability.
    pub fn offers(&self, capability: &Capability<'_>) -> bool {
        self.capabilities
            .as_ref()
            .is_some_and(|caps| caps.iter().any(|c| c == capability))
    }

    /// Whether the session is authenticated (PREAUTH, or a successful LOGIN or
    /// AUTHENTICATE).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Whether the session runs over TLS (after [`Client::tls_established`]).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Bytes from the server buffered but not yet decoded (at most one response, within
    /// the configured limits, or the part of a streamed literal not handed out yet).
    pub fn buffered_len(&self) -> usize {
        self.input.len()
    }

    /// Tags of the commands sent and not completed yet, oldest first.
    pub fn in_flight(&self) -> impl Iterator<Item = &Tag<'static>> {
        self.in_flight.iter().map(|c| &c.tag)
    }

    fn check_command(&self, body: &CommandBody<'_>) -> Result<(), ClientError> {
        if self.phase == Phase::Closed {
            return Err(invalid_state("command", "the session is closed"));
        }
        if self.logging_out {
            return Err(invalid_state("command", "LOGOUT was sent"));
        }
        match body {
            CommandBody::CompressDeflate => self.check_compress(),
            CommandBody::StartTls if self.tls => {
                Err(invalid_state("starttls", "TLS is already active"))
            }
            _ => Ok(()),
        }
    }

    fn check_compress(&self) -> Result<(), ClientError> {
        match self.compression {
            Compression::Active => Err(invalid_state("compress", "compression is active")),
            Compression::Requested => {
                Err(invalid_state("compress", "COMPRESS was already requested"))
            }
            Compression::Off if self.capabilities.is_none() => Err(invalid_state(
                "compress",
                "the server's capabilities are not known yet",
            )),
            Compression::Off if !self.offers(&Capability::CompressDeflate) => Err(invalid_state(
                "compress",
                "the server does not offer COMPRESS=DEFLATE",
            )),
            Compression::Off => Ok(()),
        }
    }

    fn next_tag(&mut self) -> Tag<'static> {
        let tag = Tag::new(format!("A{}", self.next_tag)).expect("A and digits form a valid tag");
        self.next_tag += 1;
        tag
    }

    fn answer_challenge(
        &mut self,
        line: BytesMut,
        operation: &'static str,
    ) -> Result<(), ClientError> {
        let Some(Hold::Auth {
            tag, awaiting_app, ..
        }) = &mut self.hold
        else {
            return Err(invalid_state(operation, "no AUTHENTICATE exchange"));
        };
        if !*awaiting_app {
            return Err(invalid_state(operation, "no challenge waits for an answer"));
        }
        *awaiting_app = false;
        let tag = tag.clone();
        self.push_transmit(line);
        self.restart_timer(&tag);
        Ok(())
    }

    fn send_done(&mut self, tag: &Tag<'static>) {
        self.push_transmit(BytesMut::from(&b"DONE\r\n"[..]));
        self.restart_timer(tag);
    }

    /// Queues a CAPABILITY command of the client's own, ahead of the application's.
    fn request_capabilities(&mut self) {
        if !self.config.auto_capability || self.phase != Phase::Open {
            return;
        }
        let tag = self.next_tag();
        self.queue.push_front(Queued {
            tag,
            body: CommandBody::Capability,
            timeout: Some(self.config.timeouts.command),
            internal: true,
            idle_done: false,
        });
    }

    /// Sends queued commands as far as the pipelining rules allow.
    fn pump(&mut self) {
        while self.phase == Phase::Open && self.hold.is_none() {
            let Some(next) = self.queue.front() else {
                return;
            };
            if !self.may_send(&next.body) {
                return;
            }
            if let Some(queued) = self.queue.pop_front() {
                self.start(queued);
            }
        }
    }

    fn may_send(&self, body: &CommandBody<'_>) -> bool {
        if !self.config.pipelining || queue::is_exclusive(body) {
            self.in_flight.is_empty()
        } else if queue::uses_sequence_numbers(body) {
            self.in_flight.iter().all(|c| c.expunge_free)
        } else {
            true
        }
    }

    fn start(&mut self, queued: Queued) {
        let Queued {
            tag,
            mut body,
            timeout,
            internal,
            idle_done,
        } = queued;
        let mut initial = None;
        if let CommandBody::Authenticate {
            initial_response, ..
        } = &mut body
            && !self.offers(&Capability::SaslIr)
        {
            initial = initial_response.take().map(|r| Secret(r.0.into_owned()));
        }
        let then = match &body {
            CommandBody::Authenticate { .. } => Some(Hold::Auth {
                tag: tag.clone(),
                initial,
                awaiting_app: false,
            }),
            CommandBody::Idle => Some(Hold::Idle {
                tag: tag.clone(),
                accepted: false,
                done: idle_done,
                since: None,
                hinted: false,
            }),
            b if queue::is_exclusive(b) || !self.config.pipelining => {
                Some(Hold::Completion { tag: tag.clone() })
            }
            _ => None,
        };
        self.in_flight.push(InFlight {
            tag: tag.clone(),
            kind: Kind::of(&body),
            name: body.name(),
            internal,
            timeout,
            sent_at: None,
            expunge_free: queue::is_expunge_free(&body),
            capability_generation: self.capability_generation,
        });
        let command = Command::new(tag.clone(), body);
        let fragments = encode_command_fragments(&command, self.encode_options());
        self.send_fragments(tag, fragments.into(), then);
    }

    /// Sends fragments up to the next synchronising literal, where the command then
    /// holds the connection until the server's `+`.
    fn send_fragments(
        &mut self,
        tag: Tag<'static>,
        mut rest: VecDeque<Fragment>,
        then: Option<Hold>,
    ) {
        while let Some(fragment) = rest.pop_front() {
            match fragment {
                Fragment::Literal { data, sync: true } => {
                    rest.push_front(Fragment::Literal { data, sync: false });
                    self.hold = Some(Hold::Literal {
                        tag,
                        rest,
                        then: then.map(Box::new),
                    });
                    return;
                }
                Fragment::Line(bytes) | Fragment::Literal { data: bytes, .. } => {
                    self.push_transmit(BytesMut::from(&bytes[..]));
                }
            }
        }
        self.hold = then;
    }

    fn encode_options(&self) -> EncodeOptions {
        let mode = if self.offers(&Capability::LiteralPlus) {
            LiteralMode::Plus
        } else if self.offers(&Capability::LiteralMinus) {
            LiteralMode::Minus
        } else {
            LiteralMode::Sync
        };
        EncodeOptions::new(mode, self.utf8)
    }

    fn set_capabilities(&mut self, capabilities: Vec<Capability<'static>>) {
        self.capabilities = Some(capabilities.clone());
        self.capability_generation += 1;
        self.push_event(Event::Capabilities(capabilities));
    }

    fn push_transmit(&mut self, bytes: BytesMut) {
        self.needs_stamp = true;
        if let Some(Pending::Transmit(last)) = self.output.back_mut() {
            last.unsplit(bytes);
        } else {
            self.output.push_back(Pending::Transmit(bytes));
        }
    }

    fn push_event(&mut self, event: Event) {
        self.output.push_back(Pending::Event(event));
    }

    /// Ends the session: reports the error, then [`Event::Closed`].
    fn fail(&mut self, error: ClientError) {
        self.push_event(Event::Error(error));
        self.close();
    }

    fn close(&mut self) {
        self.push_event(Event::Closed);
        self.phase = Phase::Closed;
        self.queue.clear();
        self.in_flight.clear();
        self.hold = None;
        self.input = BytesMut::new();
        self.greeting_deadline = None;
    }
}

fn invalid_state(operation: &'static str, reason: &'static str) -> ClientError {
    ClientError::InvalidState { operation, reason }
}
