//! Sans-IO LMTP (RFC 2033): a server and a client state machine.
//!
//! # Example
//!
//! A client delivers one message to two mailboxes; the server's store is full for one.
//!
//! ```
//! use std::time::Instant;
//! use lmtp_proto::{client, server};
//! use lmtp_proto::types::{Address, EnhancedCode, MailFrom, RcptTo, RcptParams, Reply};
//!
//! let now = Instant::now();
//! let mut srv = server::new(server::config("store.example"), now);
//! let mut cli = client::new(client::config("mx.example"), now);
//! let rcpt = |user: &'static str| RcptTo {
//!     recipient: Address::new(user, "example.org"),
//!     params: RcptParams::default(),
//! };
//! let envelope = client::Envelope {
//!     mail_from: MailFrom { sender: Some(Address::new("a", "example.com")), ..Default::default() },
//!     recipients: vec![rcpt("pat"), rcpt("green")],
//!     transfer: client::Transfer::Data,
//! };
//! let mut result = None;
//! let mut to_server = Vec::new();
//! let mut to_client = Vec::new();
//! while result.is_none() {
//!     srv.handle_input(&std::mem::take(&mut to_server));
//!     loop {
//!         match srv.poll_output() {
//!             server::Output::Transmit(bytes) => to_client.extend_from_slice(&bytes),
//!             server::Output::Event(server::Event::Mail(_)) => srv.accept_mail().unwrap(),
//!             server::Output::Event(server::Event::Rcpt(_)) => srv.accept_rcpt().unwrap(),
//!             server::Output::Event(server::Event::MessageEnd { recipients }) => {
//!                 for r in recipients {
//!                     let reply = if r.local_part == "green" {
//!                         Reply::new(452, Some(EnhancedCode::new(4, 2, 2)), "Mailbox full")
//!                     } else {
//!                         Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "Delivered")
//!                     };
//!                     srv.recipient_reply(reply).unwrap();
//!                 }
//!             }
//!             server::Output::Event(_) => {}
//!             server::Output::NeedInput => break,
//!         }
//!     }
//!     cli.handle_input(&std::mem::take(&mut to_client));
//!     loop {
//!         match cli.poll_output() {
//!             client::Output::Transmit(bytes) => to_server.extend_from_slice(&bytes),
//!             client::Output::Event(client::Event::Ready { .. }) => cli.send_mail(&envelope).unwrap(),
//!             client::Output::Event(client::Event::SendBody) => {
//!                 cli.send_body_chunk(b"Subject: hi\r\n\r\nHello\r\n").unwrap();
//!                 cli.end_body().unwrap();
//!             }
//!             client::Output::Event(client::Event::TransactionComplete(r)) => result = Some(r),
//!             client::Output::Event(_) => {}
//!             client::Output::NeedInput => break,
//!         }
//!     }
//! }
//! let result = result.unwrap();
//! let codes: Vec<u16> = result.recipients.iter().map(|r| r.delivery.as_ref().unwrap().code).collect();
//! assert_eq!(codes, [250, 452]);
//! assert_eq!(result.delivered_count(), 1);
//! ```
//!
//! # LMTP on top of smtp-proto
//!
//! LMTP is SMTP for the last hop into a mail store: the client greets with `LHLO`
//! (`HELO` and `EHLO` are refused), and after the end of the message the server answers
//! **once per accepted recipient, in RCPT order**, so one message can be delivered to
//! some mailboxes and fail for others. This crate is a thin layer over `smtp-proto`,
//! whose machines have an LMTP mode: it adds LMTP constructors with sensible defaults
//! ([`server::config`], [`server::new`], [`client::config`], [`client::new`]) and
//! re-exports everything else, so one import path serves an LMTP application.
//!
//! The driving contract is smtp-proto's (see [`server`] and [`client`]): feed bytes with
//! `handle_input`, tell the time with `handle_timeout`/`poll_timeout`, and drain
//! `poll_output` after every input, timeout or decision.
//!
//! - Server: after [`server::Event::MessageEnd`] call
//!   [`Server::recipient_reply`](server::Server::recipient_reply) once per recipient, in
//!   the order of the event's `recipients`.
//! - Client: [`client::Event::TransactionComplete`] carries one
//!   [`RecipientResult`](client::RecipientResult) per recipient, whose `delivery` is that
//!   recipient's own reply.
//!
//! With the `tokio` feature, `lmtp_proto::tokio` re-exports smtp-proto's codecs and
//! async driver. The `lmtp-sink` example is an LMTP server writing messages to a directory:
//! `cargo run -p lmtp-proto --features tokio --example lmtp-sink -- --listen 127.0.0.1:2424 --out DIR`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use smtp_proto::{codec, types};

/// smtp-proto's codecs and async server driver (the `tokio` feature); they work in LMTP
/// mode unchanged.
#[cfg(feature = "tokio")]
pub use smtp_proto::tokio;

pub mod client;
pub mod server;
