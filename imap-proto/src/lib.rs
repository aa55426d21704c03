//! Sans-IO IMAP for Postroom: IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) with extensions.
//!
//! ```
//! use bytes::BytesMut;
//! use imap_proto::codec::{DecodeError, decode_command, encode_command};
//! use imap_proto::types::{CommandBody, Mailbox};
//!
//! // A server frames first: a synchronising literal makes it wait (and send "+ ").
//! let partial = b"a1 SELECT {5}\r\n";
//! assert!(matches!(
//!     decode_command(partial),
//!     Err(DecodeError::Literal { length: 5, non_sync: false, .. })
//! ));
//!
//! // With the literal's data in the buffer the command decodes, borrowing from it.
//! let input = b"a1 SELECT {5}\r\ninbox\r\na2 NOOP\r\n";
//! let (consumed, command) = decode_command(input).unwrap();
//! assert_eq!(consumed, 22);
//! assert_eq!(command.tag.as_str(), "a1");
//! assert!(matches!(&command.body, CommandBody::Select { mailbox, .. } if *mailbox == Mailbox::INBOX));
//!
//! // Encoding chooses the cheapest correct form of every string.
//! let mut out = BytesMut::new();
//! encode_command(&command, &mut out);
//! assert_eq!(&out[..], b"a1 SELECT INBOX\r\n");
//!
//! // A garbage line still has a known length and tag, so it gets `a3 BAD`.
//! let err = decode_command(b"a3 FROB x\r\n").unwrap_err();
//! assert!(matches!(err, DecodeError::Invalid { consumed: 11, tag: Some(t), .. } if t.as_str() == "a3"));
//! ```
//!
//! The crate has three layers:
//! - [`types`]: messages as values that cannot be invalid (validated constructors,
//!   `Cow`-borrowed from the input, `into_owned()` to keep them);
//! - [`codec`]: framing ([`codec::frame`]), decoders and encoders for commands and
//!   responses, and the streaming APPEND procedure for servers
//!   ([`codec::decode_command_streaming`]);
//! - [`server`] and [`client`]: state machines with the driving contract shared by every
//!   Postroom protocol crate (`handle_input`, `handle_timeout`, `poll_timeout`,
//!   `poll_output`); the server asks the application to answer each command, streams
//!   APPEND literals out in chunks and holds back EXPUNGE responses while a command by
//!   sequence number runs; the client streams large FETCH literals and delivers
//!   unsolicited responses as events.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod codec;
pub mod server;
pub mod types;
