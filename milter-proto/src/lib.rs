//! Sans-IO spam-check protocols for Postroom: a Sendmail milter client (protocol
//! version 6, the MTA side, as Postfix and Sendmail speak it to rspamd, OpenDKIM and
//! others) and the pieces of rspamd's HTTP protocol (`/checkv2`). Both end in the same
//! [`Verdict`]: accept, reject, fail temporarily or discard, with header and envelope
//! modifications.
//!
//! ```
//! use std::time::Instant;
//! use bytes::BytesMut;
//! use milter_proto::client::{Client, Config, Event, Output};
//! use milter_proto::codec::encode_response;
//! use milter_proto::types::{NegotiationReply, Response};
//! use milter_proto::{Actions, Address, Disposition, Macros, ProtocolFlags, Text};
//!
//! /// What the milter writes back (here scripted; normally read from its socket).
//! fn milter_says(responses: &[Response<'_>]) -> Vec<u8> {
//!     let mut out = BytesMut::new();
//!     for response in responses {
//!         encode_response(response, &mut out).unwrap();
//!     }
//!     out.to_vec()
//! }
//!
//! /// Drains the client: bytes for the milter, and events for the application.
//! fn drain(client: &mut Client, events: &mut Vec<Event>) -> Vec<u8> {
//!     let mut to_milter = Vec::new();
//!     loop {
//!         match client.poll_output() {
//!             Output::Transmit(bytes) => to_milter.extend_from_slice(&bytes),
//!             Output::Event(event) => events.push(event),
//!             Output::NeedInput => return to_milter,
//!         }
//!     }
//! }
//!
//! let mut events = Vec::new();
//! let mut client = Client::new(Config::default(), Instant::now());
//! drain(&mut client, &mut events); // SMFIC_OPTNEG
//!
//! // Like rspamd: it may add and change headers, and answers only the end of message.
//! client.handle_input(&milter_says(&[Response::OptionNegotiation(NegotiationReply {
//!     version: 6,
//!     actions: Actions::ADD_HEADERS | Actions::CHANGE_HEADERS,
//!     protocol: ProtocolFlags::NO_REPLIES,
//!     macro_requests: vec![],
//! })]));
//! drain(&mut client, &mut events);
//! assert!(client.is_ready());
//!
//! let none = Macros::new();
//! let queue = Macros::new().with("i", "4F1")?;
//! let peer = Address::Inet { ip: "192.0.2.7".parse()?, port: 50_000 };
//! client.connect("client.example.net", peer, &none)?;
//! client.helo("client.example.net", &none)?;
//! client.mail("alice@example.org", &[], &none)?;
//! client.rcpt("bob@example.net", &[], &none)?;
//! client.data(&queue)?;
//! client.header("Subject", b" lunch")?;
//! client.end_of_headers(&queue)?;
//! client.body(b"Noon?\r\n")?;
//! client.end_of_message(&queue)?;
//! let wire = drain(&mut client, &mut events);
//! assert_eq!(&wire[wire.len() - 5..], b"\0\0\0\x01E"); // SMFIC_BODYEOB
//!
//! client.handle_input(&milter_says(&[
//!     Response::AddHeader { name: Text::try_from("X-Spam")?, value: Text::try_from("Yes")? },
//!     Response::Accept,
//! ]));
//! drain(&mut client, &mut events);
//! let Some(Event::Verdict(verdict)) = events.last() else { panic!("{events:?}") };
//! assert_eq!(verdict.disposition, Disposition::Accept);
//! assert_eq!(verdict.header_value("X-Spam").unwrap(), "Yes");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! - [`types`]: commands, responses, flags, macros, SMTP replies and the [`Verdict`],
//!   as values that cannot hold what the wire cannot carry (no NUL in a [`Text`], reply
//!   codes 4xx/5xx only);
//! - [`codec`]: packet framing first (length, then command byte), then one parser and
//!   encoder per packet, both directions, so the same crate can test against a fake
//!   milter or back a milter one day;
//! - [`client`]: the MTA's state machine with Postroom's driving contract
//!   (`handle_input`, `handle_timeout`, `poll_timeout`, `poll_output`); limits
//!   (packet size, modifications, timeouts) in [`client::Config`];
//! - [`rspamd`]: the `/checkv2` request, a Sans-IO HTTP/1.x response reader, and the JSON
//!   reply's verdict, mapped as rspamd's own milter proxy maps it.
//!
//! This is a crate of its own rather than a module of the reference server because it is
//! a protocol like the other `*-proto` crates: no I/O, fuzzable decoders, usable by any
//! MTA (the server, the LMTP front end, tests), and testable against rspamd alone.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod codec;
pub mod rspamd;
pub mod types;

pub use types::{
    Actions, Address, Disposition, EnhancedCode, HeaderOccurrence, InvalidText, MAX_BODY_CHUNK,
    Macros, Modification, PROTOCOL_VERSION, ProtocolFlags, Reply, Text, Verdict,
};
