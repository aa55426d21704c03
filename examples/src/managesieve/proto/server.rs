//! The ManageSieve server state machine (Sans-IO), RFC 5804.
//!
//! # Driving contract
//!
//! The machine does no I/O and reads no clock:
//!
//! - [`Server::new`] queues the greeting (the capabilities and `OK`).
//! - [`Server::handle_input`] appends bytes from the client.
//! - [`Server::handle_timeout`] tells the machine the time and fires an expired
//!   timeout; [`Server::poll_timeout`] says when to call it next. Call it whenever the
//!   driver wakes up (calling early is harmless), and before `handle_input`. The idle
//!   timeout counts from the last complete command: a partial line does not extend it,
//!   while literal data (a slow PUTSCRIPT) does.
//! - [`Server::poll_output`] returns, in order, [`Output::Transmit`] (write these
//!   bytes), [`Output::Event`] (see [`Event`]), or [`Output::NeedInput`].
//!
//! After every input, timeout or decision, drain `poll_output` until `NeedInput`.
//! Decision events are answered with a method ([`Server::auth_challenge`],
//! [`Server::command_ok`], ...); until then the machine reads no further pipelined
//! command, and input fed anyway is kept only up to a limit.
//!
//! # Sessions
//!
//! Before authentication only CAPABILITY, NOOP, LOGOUT, STARTTLS and AUTHENTICATE work;
//! the other commands get `NO`. PLAIN and LOGIN are neither advertised nor accepted
//! before TLS (`NO (ENCRYPT-NEEDED)`) unless
//! [`Config::allow_plaintext_without_tls`] is set. After STARTTLS's `OK`, input
//! pipelined behind it is discarded, never executed; once the handshake is done the
//! machine sends the capabilities again (RFC 5804 section 2.2). A successful
//! AUTHENTICATE enables the script commands; UNAUTHENTICATE goes back.
//!
//! Malformed commands, unknown commands, commands in the wrong state and failed logins
//! count as bad commands; at [`Limits::max_bad_commands`](super::Limits) the machine
//! says `BYE` and closes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::base64;
use super::codec::{
    FrameError, Framed, Framer, Outcome, ParseError, SaslReply, encode_literal, encode_response,
    encode_string, parse_command, parse_sasl_reply,
};
use super::config::{Config, PLAINTEXT_MECHANISMS};
use super::event::{CloseReason, DecisionError, Event, Output};
use super::types::{Command, ResponseCode, ScriptName, Status};

/// What the machine is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Commands.
    Command,
    /// The client's answer to a SASL challenge.
    SaslReply,
    /// STARTTLS accepted; nothing is read until `tls_established`.
    TlsHandshake,
    /// The session is over.
    Closed,
}

/// The decision the machine waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Auth,
    List,
    Get,
    /// PUTSCRIPT, CHECKSCRIPT, SETACTIVE, DELETESCRIPT, RENAMESCRIPT, HAVESPACE.
    Change,
}

impl Pending {
    const fn name(self) -> &'static str {
        match self {
            Self::Auth => "an AUTHENTICATE answer",
            Self::List => "a script list",
            Self::Get => "a script's content",
            Self::Change => "a script command's result",
        }
    }
}

/// A ManageSieve server session. See the [module docs](self) for the driving contract.
#[derive(Debug)]
pub(crate) struct Server {
    config: Config,
    framer: Framer,
    input: BytesMut,
    replies: BytesMut,
    outputs: VecDeque<Output>,
    phase: Phase,
    pending: Option<Pending>,
    tls: bool,
    user: Option<String>,
    bad_commands: u32,
    /// The latest time learned.
    clock: Instant,
    /// When the current wait started: the end of the last complete command (or
    /// decision), never a partial line, so trickled bytes cannot postpone the timeout
    /// (slowloris); data of an accepted literal does move it.
    anchor: Instant,
}

impl Server {
    /// Starts a session: the greeting is the first output.
    pub(crate) fn new(config: Config, now: Instant) -> Self {
        let mut server = Self {
            framer: Framer::new(config.limits.frame_limits()),
            tls: config.implicit_tls,
            config,
            input: BytesMut::new(),
            replies: BytesMut::new(),
            outputs: VecDeque::new(),
            phase: Phase::Command,
            pending: None,
            user: None,
            bad_commands: 0,
            clock: now,
            anchor: now,
        };
        let greeting = Status::new(server.config.greeting.clone());
        server.capabilities(&greeting);
        server.flush();
        server
    }

    /// Whether the connection is encrypted (implicit TLS or after STARTTLS).
    #[cfg(test)]
    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }

    /// The authenticated user.
    #[cfg(test)]
    pub(crate) fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Whether the session is over.
    #[cfg(test)]
    pub(crate) fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether the machine waits for the application to answer a decision.
    pub(crate) fn awaiting_decision(&self) -> bool {
        self.pending.is_some()
    }

    /// Bytes from the client. Ignored once closed and during a STARTTLS handshake.
    pub(crate) fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
            return;
        }
        if self.pending.is_none() {
            if self.framer.in_literal() {
                // Literal data (PUTSCRIPT over a slow link) is progress.
                self.anchor = self.clock;
            }
        } else {
            let limits = &self.config.limits;
            let cap = limits
                .max_line
                .saturating_add(usize::try_from(limits.max_literal).unwrap_or(usize::MAX))
                .saturating_add(limits.max_pending_input);
            if self.input.len().saturating_add(bytes.len()) > cap {
                let bye = Status::new("Too much input while busy.");
                return self.close(&bye, CloseReason::TooMuchInput);
            }
        }
        self.input.extend_from_slice(bytes);
    }

    /// Tells the machine the time; closes the session if a timeout expired.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            let status = if self.pending.is_some() {
                Status::with_code(ResponseCode::TryLater, "Server timed out.")
            } else {
                Status::new("Disconnected for inactivity.")
            };
            self.close(&status, CloseReason::Timeout);
        }
    }

    /// When [`Server::handle_timeout`] should be called next.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let timeouts = &self.config.timeouts;
        let wait: Duration = match (self.phase, self.pending) {
            (Phase::Closed, _) => return None,
            (_, Some(_)) => timeouts.decision,
            _ => timeouts.idle,
        };
        self.anchor.checked_add(wait)
    }

    /// The next output; see the module docs.
    pub(crate) fn poll_output(&mut self) -> Output {
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

    /// Closes the session with `BYE status` (shutdown, internal error).
    pub(crate) fn close_with(&mut self, status: &Status) {
        if self.phase != Phase::Closed {
            self.close(status, CloseReason::Application);
        }
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded: the capabilities are sent
    /// again.
    pub(crate) fn tls_established(&mut self) -> Result<(), DecisionError> {
        if self.phase != Phase::TlsHandshake {
            return Err(DecisionError::Unexpected {
                waiting_for: "no TLS handshake",
            });
        }
        self.tls = true;
        self.phase = Phase::Command;
        self.anchor = self.clock;
        self.capabilities(&Status::new("TLS negotiation successful."));
        self.flush();
        Ok(())
    }

    /// Makes one step on buffered input; false if more input is needed.
    fn step(&mut self) -> bool {
        if !matches!(self.phase, Phase::Command | Phase::SaslReply) {
            return false;
        }
        match self.framer.next(&self.input) {
            Framed::NeedMore => false,
            Framed::Discard(n) => {
                self.input.advance(n);
                true
            }
            Framed::Rejected { discard, error } => {
                self.input.advance(discard);
                self.anchor = self.clock;
                self.frame_refused(error);
                true
            }
            Framed::Fatal(error) => {
                let bye = Status::new(format!("Protocol error: {error}."));
                self.close(&bye, CloseReason::ProtocolError);
                true
            }
            Framed::Command(len) => {
                let frame = self.input.split_to(len).freeze();
                self.anchor = self.clock;
                if self.phase == Phase::SaslReply {
                    self.sasl_reply(&frame);
                } else {
                    self.command(&frame);
                }
                true
            }
        }
    }

    fn frame_refused(&mut self, error: FrameError) {
        if self.phase == Phase::SaslReply {
            self.phase = Phase::Command;
            self.push_event(Event::AuthCancelled);
        }
        let status = match error {
            FrameError::LiteralTooLarge { .. } => Status::with_code(
                ResponseCode::QuotaMaxSize,
                format!("Command refused: {error}."),
            ),
            _ => Status::new(format!("Command refused: {error}.")),
        };
        self.bad_command(&status);
    }

    fn command(&mut self, frame: &Bytes) {
        if matches!(frame.as_ref(), b"\r\n" | b"\n") {
            return; // Empty lines are ignored.
        }
        let command = match parse_command(frame) {
            Ok(command) => command,
            Err(ParseError::UnknownCommand) => {
                return self.bad_command(&Status::new("Unknown command."));
            }
            Err(e) => return self.bad_command(&Status::new(capitalize(&e.to_string()))),
        };
        if command.needs_auth() && self.user.is_none() {
            return self.bad_command(&Status::new("Authenticate first."));
        }
        match command {
            Command::Capability => self.capabilities(&Status::new("Capability completed.")),
            Command::Noop { tag } => {
                let status = Status {
                    code: tag.map(ResponseCode::Tag),
                    text: Some("Done".to_owned()),
                };
                self.respond(Outcome::Ok, &status);
            }
            Command::Logout => {
                let status = Status::new("Logout completed.");
                self.respond(Outcome::Ok, &status);
                self.finish(CloseReason::Logout);
            }
            Command::StartTls => self.starttls(),
            Command::Authenticate { mechanism, initial } => {
                self.authenticate(mechanism, initial);
            }
            Command::Unauthenticate => {
                self.user = None;
                self.respond(Outcome::Ok, &Status::new("Unauthenticated."));
                self.push_event(Event::Unauthenticated);
            }
            Command::ListScripts => self.decide(Pending::List, Event::ListScripts),
            Command::GetScript { name } => self.decide(Pending::Get, Event::GetScript { name }),
            Command::PutScript { name, content } => {
                self.decide(Pending::Change, Event::PutScript { name, content });
            }
            Command::CheckScript { content } => {
                self.decide(Pending::Change, Event::CheckScript { content });
            }
            Command::SetActive { name } => self.decide(Pending::Change, Event::SetActive { name }),
            Command::DeleteScript { name } => {
                self.decide(Pending::Change, Event::DeleteScript { name });
            }
            Command::RenameScript { from, to } => {
                self.decide(Pending::Change, Event::RenameScript { from, to });
            }
            Command::HaveSpace { name, size } => {
                self.decide(Pending::Change, Event::HaveSpace { name, size });
            }
        }
    }

    fn starttls(&mut self) {
        if self.tls {
            return self.bad_command(&Status::new("TLS is already active."));
        }
        if !self.config.starttls {
            return self.bad_command(&Status::new("STARTTLS is not available."));
        }
        if self.user.is_some() {
            return self.bad_command(&Status::new("STARTTLS is not allowed after login."));
        }
        self.respond(Outcome::Ok, &Status::new("Begin TLS negotiation now."));
        // Anything pipelined behind STARTTLS came in the clear: never execute it.
        self.input.clear();
        self.framer.reset();
        self.phase = Phase::TlsHandshake;
        self.push_event(Event::StartTls);
    }

    fn authenticate(&mut self, mechanism: String, initial: Option<super::types::SaslData>) {
        if self.user.is_some() {
            return self.bad_command(&Status::new("Already authenticated."));
        }
        if !self.mechanisms().any(|m| m == mechanism) {
            let plaintext = PLAINTEXT_MECHANISMS.contains(&mechanism.as_str())
                && self.config.sasl_mechanisms.contains(&mechanism);
            let status = if plaintext {
                Status::with_code(
                    ResponseCode::EncryptNeeded,
                    "Plaintext authentication requires TLS: use STARTTLS first.",
                )
            } else {
                Status::new("Unsupported authentication mechanism.")
            };
            return self.bad_command(&status);
        }
        self.decide(Pending::Auth, Event::Authenticate { mechanism, initial });
    }

    fn sasl_reply(&mut self, frame: &Bytes) {
        self.phase = Phase::Command;
        match parse_sasl_reply(frame) {
            Ok(SaslReply::Data(data)) => self.decide(Pending::Auth, Event::AuthResponse(data)),
            Ok(SaslReply::Cancel) => {
                self.push_event(Event::AuthCancelled);
                self.bad_command(&Status::new("Authentication cancelled."));
            }
            Err(e) => {
                self.push_event(Event::AuthCancelled);
                self.bad_command(&Status::new(format!("Authentication failed: {}.", e)));
            }
        }
    }

    /// The mechanisms offered now.
    fn mechanisms(&self) -> impl Iterator<Item = &str> {
        let plaintext_ok = self.tls || self.config.allow_plaintext_without_tls;
        self.config
            .sasl_mechanisms
            .iter()
            .map(String::as_str)
            .filter(move |m| plaintext_ok || !PLAINTEXT_MECHANISMS.contains(m))
    }

    /// Queues the capability lines and `OK status`.
    fn capabilities(&mut self, status: &Status) {
        let mechanisms = self.mechanisms().collect::<Vec<_>>().join(" ");
        let mut lines: Vec<(&str, Option<String>)> = vec![
            ("IMPLEMENTATION", Some(self.config.implementation.clone())),
            ("SASL", Some(mechanisms)),
            ("SIEVE", Some(self.config.sieve_extensions.clone())),
        ];
        if self.config.starttls && !self.tls {
            lines.push(("STARTTLS", None));
        }
        if let Some(max) = self.config.max_redirects {
            lines.push(("MAXREDIRECTS", Some(max.to_string())));
        }
        if let Some(notify) = &self.config.notify {
            lines.push(("NOTIFY", Some(notify.clone())));
        }
        if let Some(user) = &self.user {
            lines.push(("OWNER", Some(user.clone())));
        }
        lines.push(("UNAUTHENTICATE", None));
        lines.push(("VERSION", Some("1.0".to_owned())));
        for (name, value) in lines {
            encode_string(name.as_bytes(), &mut self.replies);
            if let Some(value) = value {
                self.replies.put_u8(b' ');
                encode_string(value.as_bytes(), &mut self.replies);
            }
            self.replies.put_slice(b"\r\n");
        }
        self.respond(Outcome::Ok, status);
    }

    fn respond(&mut self, outcome: Outcome, status: &Status) {
        encode_response(outcome, status, &mut self.replies);
    }

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

    fn decide(&mut self, pending: Pending, event: Event) {
        self.pending = Some(pending);
        self.anchor = self.clock;
        self.push_event(event);
    }

    /// Answers `NO status`, or says `BYE` and closes at the bad-command limit.
    fn bad_command(&mut self, status: &Status) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        if self.bad_commands >= self.config.limits.max_bad_commands {
            let bye = Status::new("Too many invalid commands.");
            self.close(&bye, CloseReason::TooManyErrors);
        } else {
            self.respond(Outcome::No, status);
        }
    }

    fn close(&mut self, status: &Status, reason: CloseReason) {
        self.respond(Outcome::Bye, status);
        self.finish(reason);
    }

    fn finish(&mut self, reason: CloseReason) {
        self.phase = Phase::Closed;
        self.pending = None;
        self.input.clear();
        self.framer.reset();
        self.push_event(Event::Closed(reason));
    }

    fn take_pending(&mut self, accepts: &[Pending]) -> Result<Pending, DecisionError> {
        match self.pending {
            Some(pending) if accepts.contains(&pending) => {
                self.pending = None;
                self.anchor = self.clock;
                Ok(pending)
            }
            other => Err(DecisionError::Unexpected {
                waiting_for: other.map_or("nothing", Pending::name),
            }),
        }
    }

    /// Sends a SASL challenge; the client's answer arrives as [`Event::AuthResponse`].
    pub(crate) fn auth_challenge(&mut self, data: &[u8]) -> Result<(), DecisionError> {
        self.take_pending(&[Pending::Auth])?;
        encode_string(base64::encode(data).as_bytes(), &mut self.replies);
        self.replies.put_slice(b"\r\n");
        self.flush();
        self.phase = Phase::SaslReply;
        Ok(())
    }

    /// Ends the SASL exchange: `user` is logged in.
    pub(crate) fn auth_success(&mut self, user: impl Into<String>) -> Result<(), DecisionError> {
        self.take_pending(&[Pending::Auth])?;
        self.user = Some(user.into());
        self.respond(Outcome::Ok, &Status::new("Logged in."));
        Ok(())
    }

    /// Ends the SASL exchange with `NO status`; counts as a bad command.
    pub(crate) fn auth_failure(&mut self, status: &Status) -> Result<(), DecisionError> {
        self.take_pending(&[Pending::Auth])?;
        self.bad_command(status);
        Ok(())
    }

    /// Answers LISTSCRIPTS: one line per script (name, and whether it is active).
    pub(crate) fn scripts_listed(
        &mut self,
        scripts: &[(ScriptName, bool)],
    ) -> Result<(), DecisionError> {
        self.take_pending(&[Pending::List])?;
        for (name, active) in scripts {
            encode_string(name.as_str().as_bytes(), &mut self.replies);
            if *active {
                self.replies.put_slice(b" ACTIVE");
            }
            self.replies.put_slice(b"\r\n");
        }
        self.respond(Outcome::Ok, &Status::new("Listscripts completed."));
        Ok(())
    }

    /// Answers GETSCRIPT with the script, as a literal.
    pub(crate) fn script_content(&mut self, content: &[u8]) -> Result<(), DecisionError> {
        self.take_pending(&[Pending::Get])?;
        encode_literal(content, &mut self.replies);
        self.replies.put_slice(b"\r\n");
        self.respond(Outcome::Ok, &Status::new("Getscript completed."));
        Ok(())
    }

    /// Answers a script command other than LISTSCRIPTS and GETSCRIPT with `OK status`.
    pub(crate) fn command_ok(&mut self, status: &Status) -> Result<(), DecisionError> {
        self.take_pending(&[Pending::Change])?;
        self.respond(Outcome::Ok, status);
        Ok(())
    }

    /// Answers any script command with `NO status` (not counted as a bad command).
    pub(crate) fn command_failed(&mut self, status: &Status) -> Result<(), DecisionError> {
        self.take_pending(&[Pending::List, Pending::Get, Pending::Change])?;
        self.respond(Outcome::No, status);
        Ok(())
    }
}

/// `text` with its first letter upper-cased, for response texts made from errors.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
