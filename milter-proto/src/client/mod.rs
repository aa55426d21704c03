//! The milter client: the MTA's side of the Sendmail milter protocol, version 6 (Sans-IO).
//!
//! [`Client`] never touches a socket or a clock. The application (the "driver") moves
//! bytes and time in and out:
//!
//! - [`Client::handle_input`] with every byte read from the milter (any split is fine);
//! - [`Client::handle_timeout`] with the current time, whenever the driver wakes up and
//!   when the instant of [`Client::poll_timeout`] is reached (deadlines count from the
//!   last instant the client was given);
//! - [`Client::poll_output`] after every input, timeout or method call, draining it until
//!   [`Output::NeedInput`]: write [`Output::Transmit`] bytes to the milter in order, and
//!   act on [`Output::Event`]s.
//!
//! [`Client::new`] queues option negotiation; the session can go on after
//! [`Event::Negotiated`]. Then the application reports the SMTP session stage by stage,
//! one call at a time: [`Client::connect`], [`Client::helo`], and per message
//! [`Client::mail`], [`Client::rcpt`], [`Client::data`], [`Client::header`] for each
//! header, [`Client::end_of_headers`], [`Client::body`] for each piece of the body, and
//! [`Client::end_of_message`]. Every stage call is answered by exactly one
//! [`Event::Reply`] (end-of-message by one [`Event::Verdict`]); the next call may be made
//! after it. A call made while an answer is outstanding, or out of order, returns
//! [`ClientError::InvalidState`] and changes nothing.
//!
//! The answer is implied, without asking the milter, when the milter declined the stage
//! (`SMFIP_NO*`: [`Action::Continue`]), promised not to answer it (`SMFIP_NR_*`: the
//! command is sent, the answer is [`Action::Continue`]), or has already decided: after
//! Accept, Reject or TempFail at CONNECT or HELO every later stage gets the same answer
//! (Accept as Continue); after a message-level decision the rest of the message does
//! (Accept and Discard as Continue), and [`Client::end_of_message`] gives the verdict
//! without asking. After SKIP, further body gets [`Action::Skip`].
//!
//! [`Client::abort`] ends a message early (RSET, or a rejection by the MTA itself);
//! [`Client::mail`] aborts an unfinished message first. [`Client::quit`] ends the session
//! and [`Client::quit_new_connection`] keeps the milter connection for a new SMTP session.
//! Anything the milter sends that is not a valid, expected response, and every timeout,
//! ends the session with [`Event::Error`] then [`Event::Closed`]; the client never panics
//! on input and buffers at most one packet of [`Config::max_data_size`].
//!
//! ```
//! use milter_proto::client::{Action, Client, Config, Event, Output, Stage};
//! use milter_proto::{Address, Macros};
//! use std::time::Instant;
//!
//! let mut client = Client::new(Config::default(), Instant::now());
//! let mut drain = |client: &mut Client| {
//!     let (mut sent, mut events) = (Vec::new(), Vec::new());
//!     loop {
//!         match client.poll_output() {
//!             Output::Transmit(bytes) => sent.extend_from_slice(&bytes),
//!             Output::Event(event) => events.push(event),
//!             Output::NeedInput => return (sent, events),
//!         }
//!     }
//! };
//! let (sent, _) = drain(&mut client);
//! assert_eq!(&sent[..5], b"\0\0\0\x0dO"); // SMFIC_OPTNEG
//!
//! // The milter wants version 6, may add headers, and needs no CONNECT.
//! client.handle_input(b"\0\0\0\x0dO\0\0\0\x06\0\0\0\x01\0\0\0\x01");
//! let (_, events) = drain(&mut client);
//! assert!(matches!(events[0], Event::Negotiated(_)));
//!
//! let address = Address::Inet { ip: "192.0.2.1".parse().unwrap(), port: 4321 };
//! client.connect("mail.example.net", address, &Macros::new()).unwrap();
//! let (sent, events) = drain(&mut client);
//! assert!(sent.is_empty());
//! assert_eq!(events, [Event::Reply { stage: Stage::Connect, action: Action::Continue }]);
//! ```

mod config;
mod error;
mod event;
mod message;

pub use config::Config;
pub use error::ClientError;
pub use event::{Action, Event, Negotiated, Output, Stage};

use message::{Decided, Message, MessagePhase, modification_size, to_modification};

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::codec::{DecodeError, LENGTH_BYTES, decode_frame, encode_command, parse_response};
use crate::types::{
    Address, Command, Connect, Disposition, Envelope, InvalidText, Macro, MacroStage, Macros,
    OptionNegotiation, PROTOCOL_VERSION, ProtocolFlags, Reply, Response, Text, Verdict,
};

/// What the client waits for.
#[derive(Debug)]
enum Awaiting {
    Negotiation,
    Stage(Stage),
    /// A body chunk's reply; `rest` is still to be sent.
    Body {
        rest: Bytes,
    },
    EndOfMessage,
}

impl Awaiting {
    const fn name(&self) -> &'static str {
        match self {
            Self::Negotiation => "the negotiation reply",
            Self::Stage(stage) => stage.reply_name(),
            Self::Body { .. } => Stage::Body.reply_name(),
            Self::EndOfMessage => "the end-of-message reply",
        }
    }
}

/// Where the session is.
#[derive(Debug)]
enum Phase {
    Waiting(Awaiting),
    Idle,
    Closed,
}

/// A milter session, the MTA side. See the [module documentation](self) for the contract.
#[derive(Debug)]
pub struct Client {
    config: Config,
    phase: Phase,
    negotiated: Option<Negotiated>,
    connected: bool,
    connection: Option<Decided>,
    message: Option<Message>,
    input: BytesMut,
    outputs: VecDeque<Output>,
    clock: Instant,
    deadline: Option<Instant>,
}

impl Client {
    /// A client that starts option negotiation: the first output is SMFIC_OPTNEG.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut client = Self {
            config,
            phase: Phase::Idle,
            negotiated: None,
            connected: false,
            connection: None,
            message: None,
            input: BytesMut::new(),
            outputs: VecDeque::new(),
            clock: now,
            deadline: None,
        };
        let offer = Command::OptionNegotiation(OptionNegotiation {
            version: PROTOCOL_VERSION,
            actions: client.config.actions,
            protocol: client.config.protocol,
        });
        let mut out = BytesMut::new();
        // Twelve bytes of data always fit the length field.
        if encode_command(&offer, &mut out).is_ok() {
            client.transmit(out);
        }
        client.wait_for(Awaiting::Negotiation);
        client
    }

    /// The outcome of negotiation, once done.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// Whether a stage method may be called now.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Idle) && self.negotiated.is_some()
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Bytes received but not yet used (at most one incomplete packet).
    pub fn buffered_input(&self) -> usize {
        self.input.len()
    }

    /// Bytes from the milter. Ignored once the session is closed.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.is_closed() || bytes.is_empty() {
            return;
        }
        self.input.extend_from_slice(bytes);
        self.process_input();
    }

    /// Tells the client the time; an overdue answer ends the session.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.clock = self.clock.max(now);
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            let waiting_for = match &self.phase {
                Phase::Waiting(awaiting) => awaiting.name(),
                _ => "an answer",
            };
            self.fatal(ClientError::Timeout { waiting_for });
        }
    }

    /// When [`Client::handle_timeout`] must be called, if an answer is awaited.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// The next output; drain until [`Output::NeedInput`].
    pub fn poll_output(&mut self) -> Output {
        self.outputs.pop_front().unwrap_or(Output::NeedInput)
    }

    /// SMFIC_CONNECT: a new SMTP connection from `hostname` (its reverse DNS name, or
    /// the address in brackets) at `address`.
    pub fn connect(
        &mut self,
        hostname: &str,
        address: Address<'_>,
        macros: &Macros,
    ) -> Result<(), ClientError> {
        self.check_ready("connect")?;
        if self.connected {
            return Err(self.invalid_state("connect"));
        }
        let command = Command::Connect(Connect {
            hostname: text(hostname.as_bytes())?,
            address,
        });
        self.connected = true;
        self.stage(Stage::Connect, macros, &command)
    }

    /// SMFIC_HELO: the argument of HELO or EHLO.
    pub fn helo(&mut self, name: &str, macros: &Macros) -> Result<(), ClientError> {
        self.check_connected("helo")?;
        let command = Command::Helo(text(name.as_bytes())?);
        self.stage(Stage::Helo, macros, &command)
    }

    /// SMFIC_MAIL: MAIL FROM with its address (angle brackets are added if missing) and
    /// ESMTP parameters. Starts a message; an unfinished one is aborted first.
    pub fn mail(
        &mut self,
        sender: &str,
        args: &[&str],
        macros: &Macros,
    ) -> Result<(), ClientError> {
        self.check_connected("mail")?;
        let command = Command::Mail(envelope(sender, args)?);
        if self.message.is_some() {
            self.send_abort();
        }
        self.message = Some(Message::new());
        self.stage(Stage::Mail, macros, &command)
    }

    /// SMFIC_RCPT: one RCPT TO, as [`Client::mail`] takes its sender.
    pub fn rcpt(
        &mut self,
        recipient: &str,
        args: &[&str],
        macros: &Macros,
    ) -> Result<(), ClientError> {
        self.check_message("rcpt", MessagePhase::Envelope)?;
        let command = Command::Rcpt(envelope(recipient, args)?);
        self.stage(Stage::Rcpt, macros, &command)
    }

    /// SMFIC_DATA: the DATA command was accepted; headers follow.
    pub fn data(&mut self, macros: &Macros) -> Result<(), ClientError> {
        self.check_message("data", MessagePhase::Envelope)?;
        self.set_message_phase(MessagePhase::Headers);
        self.stage(Stage::Data, macros, &Command::Data)
    }

    /// SMFIC_HEADER: one header; `value` is everything after the colon as in the message
    /// (folded lines included). Its leading blanks are dropped unless the milter asked for
    /// them (`SMFIP_HDR_LEADSPC`), its final CRLF is dropped and CRLF becomes LF.
    pub fn header(&mut self, name: &str, value: &[u8]) -> Result<(), ClientError> {
        self.check_message("header", MessagePhase::Headers)?;
        let value = self.header_value(value);
        let command = Command::Header {
            name: text(name.as_bytes())?,
            value: text(&value)?,
        };
        self.stage(Stage::Header, &Macros::new(), &command)
    }

    /// SMFIC_EOH: the end of the headers.
    pub fn end_of_headers(&mut self, macros: &Macros) -> Result<(), ClientError> {
        self.check_message("end_of_headers", MessagePhase::Headers)?;
        self.set_message_phase(MessagePhase::Body);
        self.stage(Stage::EndOfHeaders, macros, &Command::EndOfHeaders)
    }

    /// SMFIC_BODY: the next piece of the body, as in the message (CRLF line ends,
    /// dot-unstuffed). Any length: it is sent in packets of [`Config::body_chunk_size`],
    /// and answered once.
    pub fn body(&mut self, chunk: &[u8]) -> Result<(), ClientError> {
        self.check_message("body", MessagePhase::Body)?;
        if let Some(action) = self.implied_action(Stage::Body) {
            self.reply(Stage::Body, action);
            return Ok(());
        }
        if chunk.is_empty() || self.protocol().contains(ProtocolFlags::NO_BODY) {
            self.reply(Stage::Body, Action::Continue);
            return Ok(());
        }
        let mut rest = Bytes::copy_from_slice(chunk);
        if self.protocol().contains(ProtocolFlags::NR_BODY) {
            while !rest.is_empty() {
                self.send_body_piece(&mut rest);
            }
            self.reply(Stage::Body, Action::Continue);
        } else {
            self.send_body_piece(&mut rest);
            self.wait_for(Awaiting::Body { rest });
        }
        Ok(())
    }

    /// SMFIC_BODYEOB: the end of the message. Answered by one [`Event::Verdict`], after
    /// any [`Event::ReplacementBody`] chunks.
    pub fn end_of_message(&mut self, macros: &Macros) -> Result<(), ClientError> {
        self.check_message("end_of_message", MessagePhase::Body)?;
        let decided = self.connection.clone().or_else(|| {
            self.message
                .as_ref()
                .and_then(|message| message.decided.clone())
        });
        if let Some(decided) = decided {
            let disposition = match decided {
                Decided::Accepted => Disposition::Accept,
                Decided::Refused(disposition) => disposition,
            };
            self.message = None;
            self.event(Event::Verdict(Verdict::new(disposition)));
            return Ok(());
        }
        let mut out = BytesMut::new();
        self.put_macros(MacroStage::EndOfMessage, macros, &mut out);
        put_command(&Command::EndOfMessage(Default::default()), &mut out)?;
        self.transmit(out);
        self.wait_for(Awaiting::EndOfMessage);
        Ok(())
    }

    /// SMFIC_UNKNOWN: an SMTP command the application does not know.
    pub fn unknown(&mut self, command: &str, macros: &Macros) -> Result<(), ClientError> {
        self.check_connected("unknown")?;
        let command = Command::Unknown(text(command.as_bytes())?);
        self.stage(Stage::Unknown, macros, &command)
    }

    /// SMFIC_ABORT: the current message is abandoned (RSET, or refused by the MTA).
    pub fn abort(&mut self) -> Result<(), ClientError> {
        self.check_ready("abort")?;
        self.send_abort();
        self.message = None;
        Ok(())
    }

    /// SMFIC_QUIT: the session is over; [`Event::Closed`] follows. Possible at any time.
    pub fn quit(&mut self) -> Result<(), ClientError> {
        if self.is_closed() {
            return Err(self.invalid_state("quit"));
        }
        self.send_simple(&Command::Quit);
        self.close();
        Ok(())
    }

    /// SMFIC_QUIT_NC: the SMTP session is over and the milter connection is kept for the
    /// next one, which starts with [`Client::connect`].
    pub fn quit_new_connection(&mut self) -> Result<(), ClientError> {
        self.check_ready("quit_new_connection")?;
        self.send_simple(&Command::QuitNewConnection);
        self.connected = false;
        self.connection = None;
        self.message = None;
        Ok(())
    }

    // ----- sending -----

    /// Sends a stage (or implies its answer), then waits for the answer if one comes.
    fn stage(
        &mut self,
        stage: Stage,
        macros: &Macros,
        command: &Command<'_>,
    ) -> Result<(), ClientError> {
        if let Some(action) = self.implied_action(stage) {
            self.reply(stage, action);
            return Ok(());
        }
        let protocol = self.protocol();
        if protocol.contains(stage.not_sent_flag()) {
            self.reply(stage, Action::Continue);
            return Ok(());
        }
        let mut out = BytesMut::new();
        self.put_macros(stage.macro_stage(), macros, &mut out);
        put_command(command, &mut out)?;
        self.transmit(out);
        if protocol.contains(stage.no_reply_flag()) {
            self.reply(stage, Action::Continue);
        } else {
            self.wait_for(Awaiting::Stage(stage));
        }
        Ok(())
    }

    /// Encodes the macros the milter wants at `stage`, if any.
    fn put_macros(&self, stage: MacroStage, macros: &Macros, out: &mut BytesMut) {
        let Some(negotiated) = &self.negotiated else {
            return;
        };
        let wanted: Vec<Macro<'_>> = macros
            .iter()
            .filter(|m| negotiated.wants_macro(stage, m.name.as_bytes()))
            .map(|m| Macro {
                name: Text::from_checked(m.name.as_bytes()),
                value: Text::from_checked(m.value.as_bytes()),
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        let command = Command::Macro {
            stage,
            macros: wanted,
        };
        // Macros are limited by the application's own strings; a failure leaves `out`
        // untouched and the stage goes without them.
        let _ = encode_command(&command, out);
    }

    fn send_body_piece(&mut self, rest: &mut Bytes) {
        let size = rest
            .len()
            .min(self.config.body_chunk_size.clamp(1, crate::MAX_BODY_CHUNK));
        let piece = rest.split_to(size);
        self.send_simple(&Command::Body(piece.as_ref().into()));
    }

    fn send_abort(&mut self) {
        self.send_simple(&Command::Abort);
    }

    /// Sends a command that always fits a packet.
    fn send_simple(&mut self, command: &Command<'_>) {
        let mut out = BytesMut::new();
        if encode_command(command, &mut out).is_ok() {
            self.transmit(out);
        }
    }

    fn transmit(&mut self, out: BytesMut) {
        if !out.is_empty() {
            self.outputs.push_back(Output::Transmit(out.freeze()));
        }
    }

    fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn reply(&mut self, stage: Stage, action: Action) {
        self.event(Event::Reply { stage, action });
    }

    fn wait_for(&mut self, awaiting: Awaiting) {
        let timeout = match awaiting {
            Awaiting::Negotiation => self.config.negotiation_timeout,
            Awaiting::EndOfMessage => self.config.end_of_message_timeout,
            Awaiting::Stage(_) | Awaiting::Body { .. } => self.config.command_timeout,
        };
        self.deadline = Some(self.clock + timeout);
        // Input is empty here: bytes that arrive while idle end the session at once.
        self.phase = Phase::Waiting(awaiting);
    }

    // ----- state checks -----

    fn protocol(&self) -> ProtocolFlags {
        self.negotiated
            .as_ref()
            .map_or(ProtocolFlags::NONE, |n| n.protocol)
    }

    fn state_name(&self) -> &'static str {
        match &self.phase {
            Phase::Closed => "closed",
            Phase::Waiting(Awaiting::Negotiation) => "negotiating",
            Phase::Waiting(_) => "waiting for an answer",
            Phase::Idle if !self.connected => "not connected",
            Phase::Idle => match self.message.as_ref().map(|m| m.phase) {
                None => "outside a message",
                Some(MessagePhase::Envelope) => "in the envelope of a message",
                Some(MessagePhase::Headers) => "in the headers of a message",
                Some(MessagePhase::Body) => "in the body of a message",
            },
        }
    }

    fn invalid_state(&self, operation: &'static str) -> ClientError {
        ClientError::InvalidState {
            operation,
            state: self.state_name(),
        }
    }

    fn check_ready(&self, operation: &'static str) -> Result<(), ClientError> {
        if self.is_ready() {
            Ok(())
        } else {
            Err(self.invalid_state(operation))
        }
    }

    fn check_connected(&self, operation: &'static str) -> Result<(), ClientError> {
        self.check_ready(operation)?;
        if self.connected {
            Ok(())
        } else {
            Err(self.invalid_state(operation))
        }
    }

    fn check_message(
        &self,
        operation: &'static str,
        phase: MessagePhase,
    ) -> Result<(), ClientError> {
        self.check_connected(operation)?;
        if self.message.as_ref().is_some_and(|m| m.phase == phase) {
            Ok(())
        } else {
            Err(self.invalid_state(operation))
        }
    }

    fn set_message_phase(&mut self, phase: MessagePhase) {
        if let Some(message) = &mut self.message {
            message.phase = phase;
        }
    }

    /// The answer to `stage` when an earlier decision already gives it.
    fn implied_action(&self, stage: Stage) -> Option<Action> {
        let from_decision = |decided: &Decided| match decided {
            Decided::Accepted | Decided::Refused(Disposition::Accept | Disposition::Discard) => {
                Action::Continue
            }
            Decided::Refused(Disposition::Reject(reply)) => Action::Reject(reply.clone()),
            Decided::Refused(Disposition::TempFail(reply)) => Action::TempFail(reply.clone()),
        };
        if let Some(decided) = &self.connection {
            return Some(from_decision(decided));
        }
        let message = self.message.as_ref()?;
        if matches!(
            stage,
            Stage::Connect | Stage::Helo | Stage::Mail | Stage::Unknown
        ) {
            return None;
        }
        if let Some(decided) = &message.decided {
            return Some(from_decision(decided));
        }
        (stage == Stage::Body && message.skip_body).then_some(Action::Skip)
    }

    fn header_value(&self, value: &[u8]) -> Vec<u8> {
        let mut value = value.strip_suffix(b"\r\n").unwrap_or(value);
        if !self
            .protocol()
            .contains(ProtocolFlags::HEADER_LEADING_SPACE)
        {
            while let [b' ' | b'\t', rest @ ..] = value {
                value = rest;
            }
        }
        let mut out = Vec::with_capacity(value.len());
        let mut bytes = value.iter().peekable();
        while let Some(&byte) = bytes.next() {
            if !(byte == b'\r' && bytes.peek() == Some(&&b'\n')) {
                out.push(byte);
            }
        }
        out
    }

    // ----- receiving -----

    fn process_input(&mut self) {
        while !self.input.is_empty() {
            if !matches!(self.phase, Phase::Waiting(_)) {
                if matches!(self.phase, Phase::Idle) {
                    self.fatal(ClientError::UnexpectedData);
                }
                return;
            }
            let consumed = match decode_frame(&self.input, self.config.max_data_size) {
                Ok((consumed, _)) => consumed,
                Err(DecodeError::Incomplete { .. }) => return,
                Err(error) => return self.fatal(error.into()),
            };
            let packet = self.input.split_to(consumed).freeze();
            if let Err(error) = self.handle_packet(&packet) {
                return self.fatal(error);
            }
        }
    }

    fn handle_packet(&mut self, packet: &Bytes) -> Result<(), ClientError> {
        let (_, frame) = decode_frame(packet, self.config.max_data_size)?;
        let response = parse_response(frame, packet.len())?;
        if response == Response::Progress {
            self.deadline = self.deadline.map(|_| self.clock + self.current_timeout());
            self.event(Event::Progress);
            return Ok(());
        }
        let Phase::Waiting(awaiting) = std::mem::replace(&mut self.phase, Phase::Idle) else {
            return Err(ClientError::UnexpectedData);
        };
        match awaiting {
            Awaiting::Negotiation => self.on_negotiation(response),
            Awaiting::Stage(stage) => self.on_stage_reply(stage, response),
            Awaiting::Body { rest } => self.on_body_reply(rest, response),
            Awaiting::EndOfMessage => self.on_end_of_message(packet, response),
        }
    }

    fn current_timeout(&self) -> std::time::Duration {
        match &self.phase {
            Phase::Waiting(Awaiting::Negotiation) => self.config.negotiation_timeout,
            Phase::Waiting(Awaiting::EndOfMessage) => self.config.end_of_message_timeout,
            _ => self.config.command_timeout,
        }
    }

    fn on_negotiation(&mut self, response: Response<'_>) -> Result<(), ClientError> {
        let Response::OptionNegotiation(reply) = response else {
            return Err(unexpected(&response, "the negotiation reply"));
        };
        if !(2..=PROTOCOL_VERSION).contains(&reply.version) {
            return Err(ClientError::UnsupportedVersion(reply.version));
        }
        let offered = self.config.protocol;
        let beyond = reply.protocol & !(offered | ProtocolFlags::MAX_DATA_SIZE);
        if !beyond.is_empty() {
            return Err(ClientError::UnsupportedProtocolFlags {
                requested: reply.protocol,
                offered,
            });
        }
        let negotiated = Negotiated {
            version: reply.version,
            actions: reply.actions & self.config.actions,
            protocol: reply.protocol & offered,
            macro_requests: reply
                .macro_requests
                .into_iter()
                .map(|request| request.into_owned())
                .collect(),
        };
        self.negotiated = Some(negotiated.clone());
        self.deadline = None;
        self.event(Event::Negotiated(negotiated));
        Ok(())
    }

    /// The action a stage answer stands for.
    fn stage_action(&self, stage: Stage, response: &Response<'_>) -> Result<Action, ClientError> {
        Ok(match response {
            Response::Continue => Action::Continue,
            Response::Accept => Action::Accept,
            Response::Reject => Action::Reject(Reply::default_reject()),
            Response::TempFail => Action::TempFail(Reply::default_tempfail()),
            Response::ReplyCode(reply) if reply.is_permanent() => Action::Reject(reply.clone()),
            Response::ReplyCode(reply) => Action::TempFail(reply.clone()),
            Response::Shutdown | Response::ConnectionFailure => {
                Action::TempFail(Reply::service_unavailable())
            }
            Response::Discard if !stage.is_connection_stage() => Action::Discard,
            Response::Skip
                if stage == Stage::Body && self.protocol().contains(ProtocolFlags::SKIP) =>
            {
                Action::Skip
            }
            _ => return Err(unexpected(response, stage.reply_name())),
        })
    }

    fn on_stage_reply(&mut self, stage: Stage, response: Response<'_>) -> Result<(), ClientError> {
        let action = self.stage_action(stage, &response)?;
        self.deadline = None;
        if matches!(response, Response::Shutdown | Response::ConnectionFailure) {
            self.connection = Some(Decided::Refused(Disposition::TempFail(
                Reply::service_unavailable(),
            )));
        } else {
            self.record_decision(stage, &action);
        }
        self.reply(stage, action);
        Ok(())
    }

    fn on_body_reply(
        &mut self,
        mut rest: Bytes,
        response: Response<'_>,
    ) -> Result<(), ClientError> {
        if response == Response::Continue && !rest.is_empty() {
            self.send_body_piece(&mut rest);
            self.wait_for(Awaiting::Body { rest });
            return Ok(());
        }
        self.on_stage_reply(Stage::Body, response)
    }

    /// Remembers what an answer decides for the rest of the connection or message.
    fn record_decision(&mut self, stage: Stage, action: &Action) {
        let decided = match action {
            Action::Continue => return,
            Action::Accept => Decided::Accepted,
            Action::Reject(reply) => Decided::Refused(Disposition::Reject(reply.clone())),
            Action::TempFail(reply) => Decided::Refused(Disposition::TempFail(reply.clone())),
            Action::Discard => Decided::Refused(Disposition::Discard),
            Action::Skip => {
                if let Some(message) = &mut self.message {
                    message.skip_body = true;
                }
                return;
            }
        };
        match stage {
            Stage::Connect | Stage::Helo => self.connection = Some(decided),
            // An answer to an unknown command concerns that command only, and a refusal
            // at RCPT that recipient only.
            Stage::Unknown => {}
            Stage::Rcpt if matches!(action, Action::Reject(_) | Action::TempFail(_)) => {}
            _ => {
                if let Some(message) = &mut self.message {
                    message.decided = Some(decided);
                }
            }
        }
    }

    fn on_end_of_message(
        &mut self,
        packet: &Bytes,
        response: Response<'_>,
    ) -> Result<(), ClientError> {
        let disposition = match response {
            Response::Accept | Response::Continue => Disposition::Accept,
            Response::Discard => Disposition::Discard,
            Response::Reject => Disposition::Reject(Reply::default_reject()),
            Response::TempFail => Disposition::TempFail(Reply::default_tempfail()),
            Response::ReplyCode(reply) if reply.is_permanent() => Disposition::Reject(reply),
            Response::ReplyCode(reply) => Disposition::TempFail(reply),
            Response::Shutdown | Response::ConnectionFailure => {
                let reply = Reply::service_unavailable();
                self.connection = Some(Decided::Refused(Disposition::TempFail(reply.clone())));
                Disposition::TempFail(reply)
            }
            modification => {
                // Still at end-of-message: a modification, or an error.
                self.phase = Phase::Waiting(Awaiting::EndOfMessage);
                return self.on_modification(packet, modification);
            }
        };
        self.deadline = None;
        let message = self.message.take().unwrap_or_else(Message::new);
        self.event(Event::Verdict(Verdict {
            disposition,
            modifications: message.modifications,
            body_replaced: message.body_replaced,
        }));
        Ok(())
    }

    fn on_modification(
        &mut self,
        packet: &Bytes,
        response: Response<'_>,
    ) -> Result<(), ClientError> {
        let code = char::from(response.code());
        let Some(required) = response.required_action() else {
            return Err(unexpected(&response, "the end-of-message reply"));
        };
        let negotiated = self.negotiated.as_ref().map(|n| n.actions);
        if !negotiated.is_some_and(|actions| actions.contains(required)) {
            return Err(ClientError::ActionNotNegotiated { response: code });
        }
        let (max_count, max_bytes) = (
            self.config.max_modifications,
            self.config.max_modification_bytes,
        );
        let message = self.message.get_or_insert_with(Message::new);
        if let Response::ReplaceBody(_) = response {
            message.body_replaced = true;
            let data = packet.slice(LENGTH_BYTES + 1..);
            self.event(Event::ReplacementBody(data));
            return Ok(());
        }
        let Some(modification) = to_modification(response) else {
            return Err(ClientError::UnexpectedResponse {
                response: code,
                waiting_for: "the end-of-message reply",
            });
        };
        let size = modification_size(&modification);
        message.modification_bytes = message.modification_bytes.saturating_add(size);
        if message.modifications.len() >= max_count {
            return Err(ClientError::TooManyModifications { limit: max_count });
        }
        if message.modification_bytes > max_bytes {
            return Err(ClientError::TooManyModifications { limit: max_bytes });
        }
        message.modifications.push(modification);
        Ok(())
    }

    fn fatal(&mut self, error: ClientError) {
        self.event(Event::Error(error));
        self.close();
    }

    fn close(&mut self) {
        self.phase = Phase::Closed;
        self.deadline = None;
        self.message = None;
        self.input = BytesMut::new();
        self.event(Event::Closed);
    }
}

/// Encodes a command built from the application's arguments.
fn put_command(command: &Command<'_>, out: &mut BytesMut) -> Result<(), ClientError> {
    encode_command(command, out).map_err(|_| ClientError::InvalidArgument("too large for a packet"))
}

fn text(bytes: &[u8]) -> Result<Text<'_>, ClientError> {
    Text::new(bytes).map_err(|InvalidText { .. }| ClientError::InvalidArgument("contains NUL"))
}

/// An address in angle brackets with its ESMTP parameters.
fn envelope<'a>(address: &str, args: &[&'a str]) -> Result<Envelope<'a>, ClientError> {
    let address = if address.starts_with('<') {
        address.to_owned()
    } else {
        format!("<{address}>")
    };
    Ok(Envelope {
        address: text(address.as_bytes())?.into_owned(),
        args: args
            .iter()
            .map(|arg| text(arg.as_bytes()))
            .collect::<Result<_, _>>()?,
    })
}

fn unexpected(response: &Response<'_>, waiting_for: &'static str) -> ClientError {
    ClientError::UnexpectedResponse {
        response: char::from(response.code()),
        waiting_for,
    }
}
