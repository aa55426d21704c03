//! The SMTP/LMTP client state machine (Sans-IO).
//!
//! [`Client`] never touches a socket or a clock. The application (the "driver") moves
//! bytes and time in and out:
//!
//! - [`Client::handle_input`] with every byte read from the server (any split is fine);
//! - [`Client::handle_timeout`] with the current time whenever the instant returned by
//!   [`Client::poll_timeout`] has been reached. That instant may already be in the past:
//!   it means "tell me the time" (the client arms its reply timer from the `now` it is
//!   given), so call `handle_timeout` promptly;
//! - [`Client::poll_output`] after every input, timeout or method call, draining it until
//!   it returns [`Output::NeedInput`]: [`Output::Transmit`] bytes must be written to the
//!   server in order, [`Output::Event`]s reported to the application.
//!
//! Outputs come out in the order they arose; consecutive transmissions are merged, so a
//! pipelined `MAIL`, its `RCPT`s and `DATA` leave as one write (RFC 2920). Decisions are
//! made with methods ([`Client::send_mail`], [`Client::auth_respond`],
//! [`Client::tls_established`], ...), which refuse with [`ClientError::InvalidState`]
//! when called at the wrong moment.
//!
//! A session: the client waits for the 220 greeting, sends EHLO (LHLO in LMTP mode;
//! HELO when EHLO is refused with 500/502), and reports [`Event::Ready`]. From there the
//! application may call [`Client::starttls`], [`Client::auth`], [`Client::send_mail`],
//! [`Client::rset`], [`Client::noop`] or [`Client::quit`], one at a time, each answered by
//! an event after which the client is ready again. A message goes:
//! `send_mail` → [`Event::MailReply`], one [`Event::Recipient`] per recipient →
//! [`Event::SendBody`] → `send_body_chunk`... `end_body` → [`Event::TransactionComplete`].
//! The body is streamed: the client dot-stuffs (DATA) or frames (BDAT) each chunk as it
//! comes and keeps none of it.
//!
//! Anything the server sends that is not a valid, expected reply, and every timeout, ends
//! the session with [`Event::Error`] followed by [`Event::Closed`]; the client never
//! panics on input and buffers at most one reply ([`Config::max_reply_len`]).
//!
//! ```
//! use smtp_proto::client::{Client, Config, Event, Output};
//! use std::time::Instant;
//!
//! let mut client = Client::new(Config::smtp("client.example"), Instant::now());
//! client.handle_input(b"220 mx.example ESMTP\r\n");
//! let mut sent = Vec::new();
//! let mut events = Vec::new();
//! loop {
//!     match client.poll_output() {
//!         Output::Transmit(bytes) => sent.extend_from_slice(&bytes),
//!         Output::Event(event) => events.push(event),
//!         Output::NeedInput => break,
//!     }
//! }
//! assert!(matches!(events[0], Event::Greeting(_)));
//! assert_eq!(sent, b"EHLO client.example\r\n");
//! ```

mod config;
mod envelope;
mod error;
mod event;
mod replies;
mod stuffing;
mod timer;

pub use config::{Config, Mode, Timeouts};
pub use envelope::{Envelope, Transfer};
pub use error::ClientError;
pub use event::{Event, Output, RecipientResult, TransactionResult};
pub use stuffing::DotStuffer;

use crate::codec::encode_command;
use crate::types::{Body, Capability, Command, EhloReply, InitialResponse, MailFrom, Reply};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{BufMut, BytesMut};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::Instant;
use timer::{Timer, TimerKey};

/// An SMTP or LMTP client session. See the [module documentation](self) for the contract.
#[derive(Debug)]
pub struct Client {
    config: Config,
    state: State,
    /// Replies the server owes us, oldest first, each with a sequence number for the timer.
    expects: VecDeque<(u64, Expect)>,
    next_seq: u64,
    input: BytesMut,
    output: VecDeque<Queued>,
    hello: Option<EhloReply<'static>>,
    extended: bool,
    tls: bool,
    tx: Option<Transaction>,
    timer: Option<Timer>,
    clock: Instant,
}

/// Where the session is, as seen by the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    Hello,
    Ready,
    StartTls,
    TlsHandshake,
    Auth,
    AuthChallenge,
    Transaction,
    Command,
    Quit,
    Closed,
}

impl State {
    const fn name(self) -> &'static str {
        match self {
            Self::Greeting => "waiting for the greeting",
            Self::Hello => "greeting the server",
            Self::Ready => "ready",
            Self::StartTls => "waiting for the STARTTLS reply",
            Self::TlsHandshake => "waiting for the TLS handshake",
            Self::Auth => "waiting for an AUTH reply",
            Self::AuthChallenge => "waiting for an AUTH response",
            Self::Transaction => "in a mail transaction",
            Self::Command => "waiting for a reply",
            Self::Quit => "quitting",
            Self::Closed => "closed",
        }
    }
}

/// A reply the client is waiting for, and what it will do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    Lhlo,
    StartTls,
    Auth,
    Mail,
    Rcpt(usize),
    Data,
    /// A non-final BDAT chunk.
    Bdat,
    /// The reply after the body; in LMTP, the reply for the accepted recipient `index`.
    DataEnd(Option<usize>),
    /// RSET; `internal` when the client resets a failed transaction by itself.
    Rset {
        internal: bool,
    },
    Noop,
    Quit,
}

/// An output waiting to be polled.
#[derive(Debug)]
enum Queued {
    Transmit(BytesMut),
    Event(Event),
}

/// A mail transaction in progress.
#[derive(Debug)]
struct Transaction {
    transfer: Transfer,
    /// RCPT commands not sent yet (without PIPELINING they go one at a time).
    unsent_rcpts: VecDeque<BytesMut>,
    pipelined: bool,
    mail: Option<Reply<'static>>,
    recipients: Vec<RecipientResult>,
    data: Option<Reply<'static>>,
    phase: Phase,
    stuffer: DotStuffer,
    /// Body chunks given so far; restarts the data-block timer.
    progress: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// MAIL, RCPT and DATA replies outstanding.
    Envelope,
    /// The application may give body chunks.
    Body,
    /// A BDAT chunk was sent; waiting for its reply.
    BdatWait,
    /// The body is complete; waiting for the final reply(ies).
    Finishing,
    /// The client reset the transaction by itself and waits for the RSET reply.
    Resetting,
}

impl Transaction {
    fn mail_accepted(&self) -> bool {
        self.mail.as_ref().is_some_and(Reply::is_positive)
    }

    fn accepted_count(&self) -> usize {
        self.recipients.iter().filter(|r| r.is_accepted()).count()
    }
}

impl Client {
    /// A client that waits for the server's greeting; `now` starts the greeting timer.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut client = Self {
            config,
            state: State::Greeting,
            expects: VecDeque::new(),
            next_seq: 0,
            input: BytesMut::new(),
            output: VecDeque::new(),
            hello: None,
            extended: false,
            tls: false,
            tx: None,
            timer: None,
            clock: now,
        };
        client.expect(Expect::Greeting);
        client.update_timer();
        client.handle_timeout(now);
        client
    }

    /// Feeds bytes received from the server.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        match self.state {
            State::Closed => {}
            State::TlsHandshake if !bytes.is_empty() => self.fail(ClientError::DataBeforeTls),
            _ => {
                self.input.extend_from_slice(bytes);
                self.process_input();
                self.update_timer();
            }
        }
    }

    /// Tells the client the time: arms a pending timer, or fires an expired one.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
        let Some(timer) = &mut self.timer else {
            return;
        };
        if let Some(waiting_for) = timer.on_time(now) {
            self.fail(ClientError::Timeout { waiting_for });
        }
    }

    /// When [`Client::handle_timeout`] should be called next, if at all.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.as_ref().and_then(|t| t.deadline(self.clock))
    }

    /// The next thing to do; see the [module documentation](self).
    pub fn poll_output(&mut self) -> Output {
        match self.output.pop_front() {
            Some(Queued::Transmit(bytes)) => Output::Transmit(bytes.freeze()),
            Some(Queued::Event(event)) => Output::Event(event),
            None => Output::NeedInput,
        }
    }

    /// The server's name and capabilities from the last successful EHLO/LHLO/HELO.
    pub fn capabilities(&self) -> Option<&EhloReply<'static>> {
        self.hello.as_ref()
    }

    /// Whether the session runs over TLS (after [`Client::tls_established`]).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the client waits for the application to call a command method.
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    /// Sends STARTTLS (RFC 3207). On 220 comes [`Event::StartTls`].
    pub fn starttls(&mut self) -> Result<(), ClientError> {
        self.require(State::Ready, "starttls")?;
        if self.tls {
            return Err(self.invalid("starttls"));
        }
        self.require_capability(&Capability::StartTls, "STARTTLS")?;
        self.send(&Command::StartTls, Expect::StartTls, State::StartTls);
        Ok(())
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded: the client forgets the
    /// capabilities it learnt in clear text and greets the server again.
    pub fn tls_established(&mut self) -> Result<(), ClientError> {
        self.require(State::TlsHandshake, "tls_established")?;
        self.tls = true;
        self.hello = None;
        self.extended = false;
        self.send_hello();
        Ok(())
    }

    /// Starts `AUTH mechanism` (RFC 4954) with an optional initial response (raw bytes;
    /// the client base64-encodes them). The mechanism must be announced by the server.
    pub fn auth(
        &mut self,
        mechanism: &str,
        initial_response: Option<&[u8]>,
    ) -> Result<(), ClientError> {
        self.require(State::Ready, "auth")?;
        let offered = self.hello.as_ref().is_some_and(|h| {
            h.auth_mechanisms()
                .iter()
                .any(|m| m.eq_ignore_ascii_case(mechanism))
        });
        if !offered {
            return Err(ClientError::NotOffered(Cow::Owned(format!(
                "AUTH {mechanism}"
            ))));
        }
        let command = Command::Auth {
            mechanism: Cow::Owned(mechanism.to_ascii_uppercase()),
            initial_response: initial_response.map(InitialResponse::from_decoded),
        };
        self.send(&command, Expect::Auth, State::Auth);
        Ok(())
    }

    /// Answers an [`Event::AuthChallenge`] with raw bytes (base64-encoded by the client).
    pub fn auth_respond(&mut self, response: &[u8]) -> Result<(), ClientError> {
        self.require(State::AuthChallenge, "auth_respond")?;
        let mut line = BytesMut::from(STANDARD.encode(response).as_bytes());
        line.put_slice(b"\r\n");
        self.send_raw(line, Expect::Auth, State::Auth);
        Ok(())
    }

    /// Cancels the exchange after an [`Event::AuthChallenge`] (sends `*`); the server's
    /// reply comes as [`Event::AuthFailed`].
    pub fn auth_cancel(&mut self) -> Result<(), ClientError> {
        self.require(State::AuthChallenge, "auth_cancel")?;
        self.send_raw(BytesMut::from(&b"*\r\n"[..]), Expect::Auth, State::Auth);
        Ok(())
    }

    /// Starts a mail transaction. When the envelope asks for something the server did not
    /// announce (a size over its limit, 8BITMIME, BINARYMIME, SMTPUTF8, REQUIRETLS,
    /// CHUNKING for BDAT), nothing is sent and [`Event::MessageRefused`] is reported.
    pub fn send_mail(&mut self, envelope: &Envelope<'_>) -> Result<(), ClientError> {
        self.require(State::Ready, "send_mail")?;
        let mail_from = match self.check_envelope(envelope) {
            Ok(mail_from) => mail_from,
            Err(refusal) => {
                self.push_event(Event::MessageRefused(refusal));
                return Ok(());
            }
        };
        let pipelined = self.offers(&Capability::Pipelining);
        let mut rcpts: VecDeque<BytesMut> = envelope
            .recipients
            .iter()
            .map(|rcpt| encoded(&Command::Rcpt(rcpt.clone())))
            .collect();
        self.tx = Some(Transaction {
            transfer: envelope.transfer,
            unsent_rcpts: VecDeque::new(),
            pipelined,
            mail: None,
            recipients: vec![RecipientResult::default(); rcpts.len()],
            data: None,
            phase: Phase::Envelope,
            stuffer: DotStuffer::new(),
            progress: 0,
        });
        self.send(&Command::Mail(mail_from), Expect::Mail, State::Transaction);
        if pipelined {
            for (index, rcpt) in rcpts.into_iter().enumerate() {
                self.send_raw(rcpt, Expect::Rcpt(index), State::Transaction);
            }
            if envelope.transfer == Transfer::Data {
                self.send(&Command::Data, Expect::Data, State::Transaction);
            }
        } else if let Some(tx) = &mut self.tx {
            tx.unsent_rcpts = std::mem::take(&mut rcpts);
        }
        Ok(())
    }

    /// Gives the next piece of the body, after [`Event::SendBody`]. With DATA, chunks may
    /// follow each other freely; with BDAT each chunk is sent as one `BDAT` command and the
    /// next one waits for the next [`Event::SendBody`].
    pub fn send_body_chunk(&mut self, chunk: &[u8]) -> Result<(), ClientError> {
        let Some(tx) = self.tx.as_mut().filter(|tx| tx.phase == Phase::Body) else {
            return Err(self.invalid("send_body_chunk"));
        };
        tx.progress += 1;
        match tx.transfer {
            Transfer::Data => {
                let mut out = BytesMut::new();
                tx.stuffer.stuff(chunk, &mut out);
                self.push_transmit(out);
            }
            Transfer::Bdat if chunk.is_empty() => {}
            Transfer::Bdat => {
                tx.phase = Phase::BdatWait;
                let mut out = encoded(&Command::Bdat {
                    size: chunk.len() as u64,
                    last: false,
                });
                out.put_slice(chunk);
                self.send_raw(out, Expect::Bdat, State::Transaction);
            }
        }
        self.update_timer();
        Ok(())
    }

    /// Ends the body: `CRLF . CRLF` after DATA, `BDAT 0 LAST` with BDAT. The result comes
    /// as [`Event::TransactionComplete`].
    pub fn end_body(&mut self) -> Result<(), ClientError> {
        let lmtp = self.config.mode == Mode::Lmtp;
        let Some(tx) = self.tx.as_mut().filter(|tx| tx.phase == Phase::Body) else {
            return Err(self.invalid("end_body"));
        };
        tx.phase = Phase::Finishing;
        let out = match tx.transfer {
            Transfer::Data => {
                let mut out = BytesMut::new();
                tx.stuffer.finish(&mut out);
                out
            }
            Transfer::Bdat => encoded(&Command::Bdat {
                size: 0,
                last: true,
            }),
        };
        let accepted: Vec<usize> = (0..tx.recipients.len())
            .filter(|&i| tx.recipients[i].is_accepted())
            .collect();
        self.push_transmit(out);
        if lmtp {
            for index in accepted {
                self.expect(Expect::DataEnd(Some(index)));
            }
        } else {
            self.expect(Expect::DataEnd(None));
        }
        self.update_timer();
        Ok(())
    }

    /// Sends RSET; the reply comes as [`Event::Reset`].
    pub fn rset(&mut self) -> Result<(), ClientError> {
        self.require(State::Ready, "rset")?;
        self.send(
            &Command::Rset,
            Expect::Rset { internal: false },
            State::Command,
        );
        Ok(())
    }

    /// Sends NOOP; the reply comes as [`Event::Noop`].
    pub fn noop(&mut self) -> Result<(), ClientError> {
        self.require(State::Ready, "noop")?;
        self.send(&Command::Noop(None), Expect::Noop, State::Command);
        Ok(())
    }

    /// Sends QUIT; [`Event::Closed`] follows the server's reply.
    pub fn quit(&mut self) -> Result<(), ClientError> {
        self.require(State::Ready, "quit")?;
        self.send(&Command::Quit, Expect::Quit, State::Quit);
        Ok(())
    }

    /// Validates the envelope against the server's capabilities and returns the MAIL
    /// command to send (SIZE dropped when the server does not announce it).
    fn check_envelope<'e>(&self, envelope: &Envelope<'e>) -> Result<MailFrom<'e>, ClientError> {
        let params = &envelope.mail_from.params;
        if envelope.recipients.is_empty() {
            return Err(ClientError::NoRecipients);
        }
        if params.body == Some(Body::BinaryMime) && envelope.transfer != Transfer::Bdat {
            return Err(ClientError::BinaryNeedsBdat);
        }
        let needs = [
            (
                envelope.transfer == Transfer::Bdat,
                Capability::Chunking,
                "CHUNKING",
            ),
            (
                params.body == Some(Body::EightBitMime),
                Capability::EightBitMime,
                "8BITMIME",
            ),
            (
                params.body == Some(Body::BinaryMime),
                Capability::BinaryMime,
                "BINARYMIME",
            ),
            (params.smtputf8, Capability::SmtpUtf8, "SMTPUTF8"),
            (params.requiretls, Capability::RequireTls, "REQUIRETLS"),
        ];
        for (needed, capability, name) in needs {
            if needed && !self.offers(&capability) {
                return Err(ClientError::NotOffered(Cow::Borrowed(name)));
            }
        }
        let mut mail_from = envelope.mail_from.clone();
        let server_size = self.hello.as_ref().and_then(EhloReply::size);
        match (params.size, server_size) {
            (Some(size), Some(Some(limit))) if limit > 0 && size > limit => {
                return Err(ClientError::MessageTooLarge { size, limit });
            }
            (Some(_), None) => mail_from.params.size = None,
            _ => {}
        }
        Ok(mail_from)
    }

    fn offers(&self, capability: &Capability<'_>) -> bool {
        self.extended && self.hello.as_ref().is_some_and(|h| h.has(capability))
    }

    fn require_capability(
        &self,
        capability: &Capability<'_>,
        name: &'static str,
    ) -> Result<(), ClientError> {
        if self.offers(capability) {
            Ok(())
        } else {
            Err(ClientError::NotOffered(Cow::Borrowed(name)))
        }
    }

    fn require(&self, state: State, operation: &'static str) -> Result<(), ClientError> {
        if self.state == state {
            Ok(())
        } else {
            Err(self.invalid(operation))
        }
    }

    fn invalid(&self, operation: &'static str) -> ClientError {
        ClientError::InvalidState {
            operation,
            state: self.state.name(),
        }
    }

    /// Sends EHLO (or LHLO) with the configured name.
    fn send_hello(&mut self) {
        let domain = Cow::Owned(self.config.hello_domain.clone());
        let (command, expect) = match self.config.mode {
            Mode::Smtp => (Command::Ehlo(domain), Expect::Ehlo),
            Mode::Lmtp => (Command::Lhlo(domain), Expect::Lhlo),
        };
        self.send(&command, expect, State::Hello);
    }

    fn send(&mut self, command: &Command<'_>, expect: Expect, state: State) {
        self.send_raw(encoded(command), expect, state);
    }

    fn send_raw(&mut self, bytes: BytesMut, expect: Expect, state: State) {
        self.push_transmit(bytes);
        self.expect(expect);
        self.state = state;
        self.update_timer();
    }

    fn expect(&mut self, expect: Expect) {
        self.expects.push_back((self.next_seq, expect));
        self.next_seq += 1;
    }

    fn push_transmit(&mut self, bytes: BytesMut) {
        if let Some(Queued::Transmit(last)) = self.output.back_mut() {
            last.unsplit(bytes);
        } else {
            self.output.push_back(Queued::Transmit(bytes));
        }
    }

    fn push_event(&mut self, event: Event) {
        self.output.push_back(Queued::Event(event));
    }

    /// Ends the session: reports the error, then [`Event::Closed`].
    fn fail(&mut self, error: ClientError) {
        self.push_event(Event::Error(error));
        self.close();
    }

    fn close(&mut self) {
        self.push_event(Event::Closed);
        self.state = State::Closed;
        self.expects.clear();
        self.input = BytesMut::new();
        self.tx = None;
        self.timer = None;
    }

    /// Points the timer at what the client now waits for, keeping it when unchanged.
    fn update_timer(&mut self) {
        let timeouts = &self.config.timeouts;
        let wanted = if let Some(&(seq, expect)) = self.expects.front() {
            let (duration, waiting_for) = expect.timeout(timeouts);
            Some((TimerKey::Reply(seq), duration, waiting_for))
        } else {
            self.tx
                .as_ref()
                .filter(|tx| tx.phase == Phase::Body)
                .map(|tx| {
                    let key = TimerKey::Body(tx.progress);
                    (key, timeouts.data_block, "the next body chunk")
                })
        };
        match wanted {
            None => self.timer = None,
            Some((key, duration, waiting_for)) => {
                if self.timer.as_ref().is_none_or(|t| t.key() != key) {
                    self.timer = Some(Timer::new(key, duration, waiting_for));
                }
            }
        }
    }
}

impl Expect {
    fn timeout(self, timeouts: &Timeouts) -> (std::time::Duration, &'static str) {
        match self {
            Self::Greeting => (timeouts.greeting, "the greeting"),
            Self::Mail => (timeouts.mail, "the reply to MAIL"),
            Self::Rcpt(_) => (timeouts.rcpt, "the reply to RCPT"),
            Self::Data => (timeouts.data_initiation, "the reply to DATA"),
            Self::Bdat => (timeouts.data_block, "the reply to BDAT"),
            Self::DataEnd(_) => (timeouts.data_termination, "the reply to the message data"),
            Self::Ehlo | Self::Helo | Self::Lhlo => (timeouts.command, "the reply to EHLO"),
            Self::StartTls => (timeouts.command, "the reply to STARTTLS"),
            Self::Auth => (timeouts.command, "the reply to AUTH"),
            Self::Rset { .. } => (timeouts.command, "the reply to RSET"),
            Self::Noop => (timeouts.command, "the reply to NOOP"),
            Self::Quit => (timeouts.command, "the reply to QUIT"),
        }
    }
}

fn encoded(command: &Command<'_>) -> BytesMut {
    let mut out = BytesMut::new();
    encode_command(command, &mut out);
    out
}
