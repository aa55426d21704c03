//! Sans-IO POP3 for Postroom: RFC 1939 (with APOP, TOP, UIDL), CAPA and extended
//! response codes (RFC 2449, RFC 3206), STLS (RFC 2595), SASL AUTH (RFC 5034), and UTF8
//! and LANG (RFC 6856).
//!
//! ```
//! use std::num::NonZeroU32;
//! use std::time::Instant;
//! use pop3_proto::{client, server};
//!
//! let now = Instant::now();
//! let mut config = server::Config::new("pop.example.org");
//! config.apop_uniqueness = Some("4711.1".into());
//! let mut server = server::Server::new(config, now);
//! let mut client = client::Client::new(client::Config::default(), now);
//! let mut message = Vec::new();
//!
//! // The application's side of the server: one user, one message.
//! let mut serve = |server: &mut server::Server, to_client: &mut Vec<u8>| loop {
//!     match server.poll_output() {
//!         server::Output::Transmit(bytes) => to_client.extend_from_slice(&bytes),
//!         server::Output::Event(server::Event::Apop { user, timestamp, digest }) => {
//!             if user == "alice" && digest.verify(&timestamp, b"secret") {
//!                 server.accept_login().unwrap();
//!             }
//!         }
//!         server::Output::Event(server::Event::OpenMaildrop { .. }) => {
//!             server.maildrop_ready(vec![server::MessageInfo::new(20, "a1")]).unwrap();
//!         }
//!         server::Output::Event(server::Event::Retrieve { .. }) => {
//!             server.message_chunk(b"Subject: x\r\n\r\n.hi\r\n").unwrap();
//!             server.message_end().unwrap();
//!         }
//!         server::Output::Event(_) => {}
//!         server::Output::NeedInput => break,
//!     }
//! };
//!
//! // Pumps bytes between the two machines; returns the client's events.
//! let mut pump = |server: &mut server::Server, client: &mut client::Client| {
//!     let mut events = Vec::new();
//!     for _ in 0..10 {
//!         let mut to_client = Vec::new();
//!         serve(server, &mut to_client);
//!         client.handle_input(&to_client);
//!         let mut to_server = Vec::new();
//!         loop {
//!             match client.poll_output() {
//!                 client::Output::Transmit(bytes) => to_server.extend_from_slice(&bytes),
//!                 client::Output::Event(event) => events.push(event),
//!                 client::Output::NeedInput => break,
//!             }
//!         }
//!         server.handle_input(&to_server);
//!     }
//!     events
//! };
//!
//! pump(&mut server, &mut client);
//! client.apop("alice", b"secret").unwrap();
//! pump(&mut server, &mut client);
//! assert!(client.in_transaction());
//! client.retr(NonZeroU32::MIN).unwrap();
//! for event in pump(&mut server, &mut client) {
//!     if let client::Event::MessageChunk(bytes) = event {
//!         message.extend_from_slice(&bytes);
//!     }
//! }
//! assert_eq!(message, b"Subject: x\r\n\r\n.hi\r\n");
//! ```
//!
//! # Layers
//!
//! - [`types`]: commands, responses with their [`ResponseCode`](types::ResponseCode),
//!   capabilities, and secrets whose `Debug` prints `***`.
//! - [`codec`]: line decoders and encoders, and the streaming multi-line (dot-stuffing)
//!   encoder and decoder.
//! - [`server`] and [`client`]: state machines with the driving contract shared by every
//!   Postroom protocol crate (`handle_input`, `handle_timeout`, `poll_timeout`,
//!   `poll_output`). The application answers decisions (credentials, maildrop listing,
//!   message content, deletions) with methods; SASL data crosses as raw bytes and the
//!   application runs the mechanism.
//! - `tokio` (feature `tokio`): tokio-util codecs for command and status lines.
//!
//! # UTF8 and LANG (RFC 6856)
//!
//! The server accepts `UTF8` in AUTHORIZATION and advertises `UTF8` (`UTF8 USER` when
//! [`server::Config::utf8_user`] allows UTF-8 user names; without it a non-ASCII USER is
//! answered `-ERR [UTF8]`). Message content is passed through as the application streams
//! it. `LANG` is implemented for a server that speaks English only: `LANG` lists `en`,
//! and `LANG en`, `LANG en-*`, `LANG i-default` and `LANG *` select it; anything else
//! is `-ERR`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod codec;
pub mod server;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod types;
