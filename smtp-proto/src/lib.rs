//! Sans-IO SMTP (RFC 5321 and the ESMTP extensions) and LMTP (RFC 2033) for Postroom.
//!
//! The crate parses and produces SMTP without doing any I/O: it never touches a socket or
//! a clock. An application feeds it bytes and time and writes out what it asks to send.
//!
//! - [`types`]: commands, parameters, replies and EHLO capabilities as Rust values;
//! - [`codec`]: frame-first decoders and encoders for command lines and replies;
//! - [`server`]: the receiving state machine (EHLO, MAIL, RCPT, DATA, BDAT, STARTTLS,
//!   AUTH, PIPELINING, limits, timeouts; SMTP-smuggling-safe DATA);
//! - [`client`]: the sending state machine (EHLO/HELO fallback, STARTTLS, AUTH,
//!   pipelined transactions, dot-stuffing, BDAT, per-recipient results);
//! - `tokio` (feature `tokio`): tokio-util codecs and a small async driver for the server.
//!
//! Both machines follow the same contract: `handle_input(bytes)`, `handle_timeout(now)`,
//! `poll_timeout()`, and `poll_output()` drained until it returns `NeedInput`; decisions
//! (accept this recipient, this message) are answered with methods.
//!
//! # Example: our client talks to our server in memory
//!
//! ```
//! use std::time::Instant;
//! use smtp_proto::{client, server};
//! use smtp_proto::types::{Address, EnhancedCode, MailFrom, RcptParams, RcptTo, Reply};
//!
//! /// Answers the server's decisions (accept everything) and collects what it sends.
//! fn drain_server(mx: &mut server::Server, to_client: &mut Vec<u8>, body: &mut Vec<u8>) {
//!     loop {
//!         match mx.poll_output() {
//!             server::Output::Transmit(bytes) => to_client.extend_from_slice(&bytes),
//!             server::Output::Event(server::Event::Mail(_)) => mx.accept_mail().unwrap(),
//!             server::Output::Event(server::Event::Rcpt(_)) => mx.accept_rcpt().unwrap(),
//!             server::Output::Event(server::Event::DataChunk(chunk)) => body.extend_from_slice(&chunk),
//!             server::Output::Event(server::Event::MessageEnd { .. }) => {
//!                 let ok = Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "stored");
//!                 mx.accept_message(ok).unwrap();
//!             }
//!             server::Output::Event(_) => {}
//!             server::Output::NeedInput => break,
//!         }
//!     }
//! }
//!
//! let envelope = client::Envelope {
//!     mail_from: MailFrom { sender: Some(Address::new("alice", "example.com")), ..MailFrom::default() },
//!     recipients: vec![RcptTo { recipient: Address::new("bob", "example.org"), params: RcptParams::default() }],
//!     transfer: client::Transfer::Data,
//! };
//! let now = Instant::now();
//! let mut mx = server::Server::new(server::Config::new("mx.example.org"), now);
//! let mut mua = client::Client::new(client::Config::smtp("client.example.com"), now);
//! let (mut body, mut result, mut sent) = (Vec::new(), None, false);
//!
//! // Pump bytes both ways until neither side has anything more to say.
//! loop {
//!     let mut to_client = Vec::new();
//!     drain_server(&mut mx, &mut to_client, &mut body);
//!     mua.handle_input(&to_client);
//!     let mut to_server = Vec::new();
//!     loop {
//!         match mua.poll_output() {
//!             client::Output::Transmit(bytes) => to_server.extend_from_slice(&bytes),
//!             client::Output::Event(client::Event::Ready { .. }) if !sent => {
//!                 mua.send_mail(&envelope).unwrap();
//!                 sent = true;
//!             }
//!             client::Output::Event(client::Event::SendBody) => {
//!                 // A line that starts with a dot is stuffed on the wire, unstuffed again.
//!                 mua.send_body_chunk(b"Subject: hi\r\n\r\n.dotted line\r\n").unwrap();
//!                 mua.end_body().unwrap();
//!             }
//!             client::Output::Event(client::Event::TransactionComplete(done)) => result = Some(done),
//!             client::Output::Event(_) => {}
//!             client::Output::NeedInput => break,
//!         }
//!     }
//!     if to_client.is_empty() && to_server.is_empty() {
//!         break;
//!     }
//!     mx.handle_input(&to_server);
//! }
//! assert_eq!(body, b"Subject: hi\r\n\r\n.dotted line\r\n");
//! let done = result.expect("the transaction completed");
//! assert_eq!(done.data.map(|reply| reply.code), Some(250));
//! assert!(done.recipients[0].is_accepted());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod codec;
pub mod server;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod types;
