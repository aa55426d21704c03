//! A scripted in-memory milter and a harness that pumps bytes between it and the client.

#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use bytes::BytesMut;
use milter_proto::client::{Client, ClientError, Config, Event, Output};
use milter_proto::codec::{DecodeError, decode_command, encode_response};
use milter_proto::types::{
    Actions, Command, MacroRequest, NegotiationReply, ProtocolFlags, Response, Text,
};

/// Decides the responses to each command the milter receives.
pub type Script = Box<dyn FnMut(&Command<'static>) -> Vec<Response<'static>>>;

/// A milter that decodes commands with the crate's codec and answers from a script.
pub struct FakeMilter {
    input: BytesMut,
    pub received: Vec<Command<'static>>,
    script: Script,
}

impl FakeMilter {
    pub fn new(script: Script) -> Self {
        Self {
            input: BytesMut::new(),
            received: Vec::new(),
            script,
        }
    }

    /// Bytes from the client; returns the bytes the milter writes back.
    pub fn handle(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.input.extend_from_slice(bytes);
        let mut out = BytesMut::new();
        loop {
            let (consumed, command) = match decode_command(&self.input, 1 << 20) {
                Ok((consumed, command)) => (consumed, command.into_owned()),
                Err(DecodeError::Incomplete { .. }) => break,
                Err(error) => panic!("the client sent an invalid packet: {error}"),
            };
            let _ = self.input.split_to(consumed);
            for response in (self.script)(&command) {
                encode_response(&response, &mut out).unwrap();
            }
            self.received.push(command);
        }
        out.to_vec()
    }

    /// The command bytes received, in order, e.g. "ODCHMR".
    pub fn codes(&self) -> String {
        self.received.iter().map(|c| char::from(c.code())).collect()
    }
}

/// How the milter's bytes are handed to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Each write at once.
    Whole,
    /// One byte per `handle_input`.
    ByteByByte,
    /// The stream as a whole is cut once at this offset.
    At(usize),
}

/// A client wired to a [`FakeMilter`], with a virtual clock.
pub struct Harness {
    pub client: Client,
    pub milter: FakeMilter,
    pub events: Vec<Event>,
    pub now: Instant,
    split: Split,
    delivered: usize,
}

impl Harness {
    /// Starts a session and pumps the negotiation.
    pub fn new(config: Config, script: Script, split: Split) -> Self {
        let now = Instant::now();
        let mut harness = Self {
            client: Client::new(config, now),
            milter: FakeMilter::new(script),
            events: Vec::new(),
            now,
            split,
            delivered: 0,
        };
        harness.pump();
        harness
    }

    /// Moves bytes both ways until nothing moves; returns the events seen meanwhile.
    pub fn pump(&mut self) -> Vec<Event> {
        let start = self.events.len();
        for _ in 0..10_000 {
            let mut to_milter = Vec::new();
            loop {
                match self.client.poll_output() {
                    Output::Transmit(bytes) => to_milter.extend_from_slice(&bytes),
                    Output::Event(event) => self.events.push(event),
                    Output::NeedInput => break,
                }
            }
            if to_milter.is_empty() {
                break;
            }
            let reply = self.milter.handle(&to_milter);
            self.deliver(&reply);
        }
        self.events[start..].to_vec()
    }

    fn deliver(&mut self, bytes: &[u8]) {
        match self.split {
            Split::Whole => self.client.handle_input(bytes),
            Split::ByteByByte => {
                for byte in bytes {
                    self.client.handle_input(std::slice::from_ref(byte));
                }
            }
            Split::At(offset) => {
                let cut = offset.saturating_sub(self.delivered).min(bytes.len());
                self.client.handle_input(&bytes[..cut]);
                self.client.handle_input(&bytes[cut..]);
            }
        }
        self.delivered += bytes.len();
    }

    /// Bytes the milter has sent so far.
    pub fn delivered(&self) -> usize {
        self.delivered
    }

    /// Calls a client method, expecting success, then pumps.
    pub fn call(&mut self, f: impl FnOnce(&mut Client) -> Result<(), ClientError>) -> Vec<Event> {
        f(&mut self.client).expect("the call is accepted");
        self.pump()
    }

    /// Advances the virtual clock and tells the client.
    pub fn advance(&mut self, by: Duration) -> Vec<Event> {
        self.now += by;
        self.client.handle_timeout(self.now);
        self.pump()
    }
}

pub fn t(s: &str) -> Text<'static> {
    Text::try_from(s.to_owned()).unwrap()
}

/// A negotiation reply with these actions and protocol flags and no macro requests.
pub fn negotiation(actions: Actions, protocol: ProtocolFlags) -> Response<'static> {
    negotiation_with_macros(actions, protocol, vec![])
}

pub fn negotiation_with_macros(
    actions: Actions,
    protocol: ProtocolFlags,
    macro_requests: Vec<MacroRequest<'static>>,
) -> Response<'static> {
    Response::OptionNegotiation(NegotiationReply {
        version: 6,
        actions,
        protocol,
        macro_requests,
    })
}

/// A script that negotiates as given, continues every stage, and answers end-of-message
/// with `eom`.
pub fn answering(negotiated: Response<'static>, eom: Vec<Response<'static>>) -> Script {
    let protocol = match &negotiated {
        Response::OptionNegotiation(reply) => reply.protocol,
        _ => ProtocolFlags::NONE,
    };
    Box::new(move |command| match command {
        Command::OptionNegotiation(_) => vec![negotiated.clone()],
        Command::EndOfMessage(_) => eom.clone(),
        Command::Macro { .. } | Command::Abort | Command::Quit | Command::QuitNewConnection => {
            vec![]
        }
        _ if protocol.contains(no_reply_flag(command)) => vec![],
        _ => vec![Response::Continue],
    })
}

/// The SMFIP_NR_* flag of a stage command.
pub fn no_reply_flag(command: &Command<'_>) -> ProtocolFlags {
    match command {
        Command::Connect(_) => ProtocolFlags::NR_CONNECT,
        Command::Helo(_) => ProtocolFlags::NR_HELO,
        Command::Mail(_) => ProtocolFlags::NR_MAIL,
        Command::Rcpt(_) => ProtocolFlags::NR_RCPT,
        Command::Data => ProtocolFlags::NR_DATA,
        Command::Header { .. } => ProtocolFlags::NR_HEADER,
        Command::EndOfHeaders => ProtocolFlags::NR_EOH,
        Command::Body(_) => ProtocolFlags::NR_BODY,
        Command::Unknown(_) => ProtocolFlags::NR_UNKNOWN,
        _ => ProtocolFlags::from_bits(u32::MAX),
    }
}
